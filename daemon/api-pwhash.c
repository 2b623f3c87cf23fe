/*
 * api-pwhash.c: the password jobs.  An argon2id hash or check costs tens
 * of milliseconds of CPU and 64 MiB; on the event loop, a burst of logins
 * would stall every other request, the pollers and the executor for
 * seconds.  So the API hands each one to a worker queue (workq.c) and
 * answers the request when the job comes back.  A job's work calls
 * users_pw_hash() and users_pw_check() only: no store, no libevent, no
 * daemon state.
 *
 * Stopping (api_stop, after the loop has ended): the workers finish the
 * job in hand, take no new one and are joined; every job that is still
 * queued or not yet delivered is answered 503, and as the loop will not
 * run again, the answer is written out at once, before evhttp frees the
 * connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <sodium.h>

#include "api.h"
#include "log.h"
#include "workq.h"
#include "xmalloc.h"

#define PW_THREADS	2	/* of the 2 cores: the loop still gets its share */
#define PW_QUEUE_MAX	128	/* jobs waiting or running; more: 503 */

static void
pw_work(struct workq_job *wq)
{
	struct api_pwjob	*j = (struct api_pwjob *)wq;
	struct store_err	 e = { "" };
	bool			 rehash = false;

	switch (j->op) {
	case API_PW_CHECK:
		j->result = users_pw_check(j->hash, j->password, &rehash);
		j->rehashed = false;
		/* a match with outdated limits: the new hash rides back */
		if (j->result == 1 && rehash &&
		    users_pw_hash(j->password, j->hash, &e) == 0)
			j->rehashed = true;
		break;
	case API_PW_HASH:
		j->result = users_pw_hash(j->password, j->hash, &e);
		snprintf(j->err, sizeof j->err, "%s", e.msg);
		/* else argon2 could not run (its 64 MiB): the server's fault */
		j->refused = strlen(j->password) < USERS_PASSWORD_MIN ||
		    strlen(j->password) > USERS_PASSWORD_MAX;
		break;
	}
	/* the password is not needed any more: wipe it here, not later */
	sodium_memzero(j->password, strlen(j->password));
}

void
api_pw_free(struct api_pwjob *j)
{
	if (j == NULL)
		return;
	if (j->password != NULL) {
		sodium_memzero(j->password, strlen(j->password));
		free(j->password);
	}
	sodium_memzero(j->hash, sizeof j->hash);
	sodium_memzero(j->checked, sizeof j->checked);
	json_decref(j->ctx);
	free(j);
}

static void
pw_done(struct workq_job *wq, bool stopped)
{
	struct api_pwjob		*j = (struct api_pwjob *)wq;
	struct evhttp_connection	*con = NULL;
	struct bufferevent		*bev;

	if (stopped)	/* NULL when the client has gone */
		con = evhttp_request_get_connection(j->r.req);
	j->stopped = stopped;
	j->done(j);
	api_pw_free(j);
	/* a small reply to a local socket: one write, no loop needed */
	if (con != NULL && (bev = evhttp_connection_get_bufferevent(con)) !=
	    NULL)
		(void)evbuffer_write(bufferevent_get_output(bev),
		    bufferevent_getfd(bev));
}

struct api_pwjob *
api_pw_job(struct api_req *r, enum api_pwop op, const char *password,
    void (*done)(struct api_pwjob *))
{
	struct api_pwjob *j = xcalloc(1, sizeof *j);

	j->wq.work = pw_work;
	j->wq.done = pw_done;
	j->op = op;
	j->password = xstrdup(password);
	j->done = done;
	/* what the callback may use of the request: no body, query or path */
	j->r.d = r->d;
	j->r.req = r->req;
	j->r.authed = r->authed;
	j->r.bearer = r->bearer;
	j->r.session = r->session;
	snprintf(j->r.peer, sizeof j->r.peer, "%s", r->peer);
	return j;
}

int
api_pw_submit(struct api_pwjob *j)
{
	return workq_submit(j->r.d->api_state->pwpool, &j->wq);
}

size_t
api_pw_pending(struct daemon *d)
{
	struct workq *q = d->api_state ? d->api_state->pwpool : NULL;

	return q != NULL ? workq_pending(q) : 0;
}

int
api_pw_start(struct daemon *d)
{
	d->api_state->pwpool = workq_new(d->base, PW_THREADS, PW_QUEUE_MAX,
	    "password jobs");
	return d->api_state->pwpool != NULL ? 0 : -1;
}

void
api_pw_stop(struct daemon *d)
{
	if (d->api_state == NULL)
		return;
	workq_free(d->api_state->pwpool);
	d->api_state->pwpool = NULL;
}
