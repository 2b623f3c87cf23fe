/*
 * api-pwhash.c: the password worker.  An argon2id hash or check costs tens
 * of milliseconds of CPU and 64 MiB; on the event loop, a burst of logins
 * would stall every other request, the pollers and the executor for
 * seconds.  So the API hands each one to a small pool of threads as a job
 * and answers the request when the job comes back.
 *
 * Ownership is handed over, never shared: the loop fills a job and
 * submits it; from then on a worker owns the job's input and output
 * fields (op, password, hash, result, rehashed, err) until it puts the
 * job on the done list; the loop takes it from there, runs its callback
 * and frees it.  A worker calls users_pw_hash() and users_pw_check()
 * only: no store, no libevent, no daemon state; the two lists and the
 * counters are the only memory both sides touch, under one mutex.  A
 * worker tells the loop that jobs are done by writing a byte to a pipe.
 *
 * Stopping (api_stop, after the loop has ended): the workers finish the
 * job in hand, take no new one and are joined; every job that is still
 * queued or not yet delivered is answered 503, and as the loop will not
 * run again, the answer is written out at once, before evhttp frees the
 * connection.
 */
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <sodium.h>

#include "api.h"
#include "log.h"
#include "xmalloc.h"

#define PW_THREADS	2	/* of the 2 cores: the loop still gets its share */
#define PW_QUEUE_MAX	128	/* jobs waiting or running; more: 503 */

TAILQ_HEAD(api_pwjobs, api_pwjob);

struct api_pwpool {
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	struct api_pwjobs	 todo;		/* submitted, not started */
	struct api_pwjobs	 done;		/* finished, not delivered */
	size_t			 pending;	/* todo + running + done */
	bool			 stop;
	pthread_t		 threads[PW_THREADS];
	int			 nthreads;
	int			 pipe[2];	/* worker -> loop wakeup */
	struct event		*ev;
};

static void
pw_work(struct api_pwjob *j)
{
	struct store_err	e = { "" };
	bool			rehash = false;

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
		break;
	}
	/* the password is not needed any more: wipe it here, not later */
	sodium_memzero(j->password, strlen(j->password));
}

static void *
pw_thread(void *arg)
{
	struct api_pwpool	*p = arg;
	struct api_pwjob	*j;

	pthread_mutex_lock(&p->mtx);
	for (;;) {
		while (!p->stop && TAILQ_EMPTY(&p->todo))
			pthread_cond_wait(&p->cond, &p->mtx);
		if (p->stop)
			break;
		j = TAILQ_FIRST(&p->todo);
		TAILQ_REMOVE(&p->todo, j, entry);
		pthread_mutex_unlock(&p->mtx);

		pw_work(j);

		pthread_mutex_lock(&p->mtx);
		TAILQ_INSERT_TAIL(&p->done, j, entry);
		/* a full pipe already holds a wakeup: EAGAIN is fine */
		(void)!write(p->pipe[1], "", 1);
	}
	pthread_mutex_unlock(&p->mtx);
	return NULL;
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
	json_decref(j->ctx);
	free(j);
}

/* Loop side: delivers every finished job to its callback. */
static void
pw_deliver(evutil_socket_t fd, short what, void *arg)
{
	struct daemon		*d = arg;
	struct api_pwpool	*p = d->api_state->pwpool;
	struct api_pwjobs	 ready = TAILQ_HEAD_INITIALIZER(ready);
	struct api_pwjob	*j;
	char			 buf[256];

	while (read(fd, buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&p->mtx);
	while ((j = TAILQ_FIRST(&p->done)) != NULL) {
		TAILQ_REMOVE(&p->done, j, entry);
		TAILQ_INSERT_TAIL(&ready, j, entry);
		p->pending--;
	}
	pthread_mutex_unlock(&p->mtx);
	while ((j = TAILQ_FIRST(&ready)) != NULL) {
		TAILQ_REMOVE(&ready, j, entry);
		j->done(j);
		api_pw_free(j);
	}
}

struct api_pwjob *
api_pw_job(struct api_req *r, enum api_pwop op, const char *password,
    void (*done)(struct api_pwjob *))
{
	struct api_pwjob *j = xcalloc(1, sizeof *j);

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
	struct api_pwpool *p = j->r.d->api_state->pwpool;

	pthread_mutex_lock(&p->mtx);
	if (p->stop || p->pending >= PW_QUEUE_MAX) {
		pthread_mutex_unlock(&p->mtx);
		return -1;
	}
	TAILQ_INSERT_TAIL(&p->todo, j, entry);
	p->pending++;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->mtx);
	return 0;
}

size_t
api_pw_pending(struct daemon *d)
{
	struct api_pwpool	*p = d->api_state->pwpool;
	size_t			 n;

	if (p == NULL)
		return 0;
	pthread_mutex_lock(&p->mtx);
	n = p->pending;
	pthread_mutex_unlock(&p->mtx);
	return n;
}

int
api_pw_start(struct daemon *d)
{
	struct api_pwpool	*p = xcalloc(1, sizeof *p);
	sigset_t		 all, old;
	int			 i, rc;

	TAILQ_INIT(&p->todo);
	TAILQ_INIT(&p->done);
	p->pipe[0] = p->pipe[1] = -1;
	d->api_state->pwpool = p;
	if (pthread_mutex_init(&p->mtx, NULL) != 0 ||
	    pthread_cond_init(&p->cond, NULL) != 0) {
		log_warnx("%s: cannot initialise the mutex", __func__);
		return -1;
	}
	if (pipe2(p->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		log_warn("%s: pipe", __func__);
		return -1;
	}
	p->ev = event_new(d->base, p->pipe[0], EV_READ | EV_PERSIST,
	    pw_deliver, d);
	if (p->ev == NULL || event_add(p->ev, NULL) == -1) {
		log_warnx("%s: cannot watch the pipe", __func__);
		return -1;
	}
	/* signals are the loop's business: the workers block them all */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < PW_THREADS; i++) {
		if ((rc = pthread_create(&p->threads[i], NULL, pw_thread,
		    p)) != 0) {
			log_warnx("%s: pthread_create: %s", __func__,
			    strerror(rc));
			break;
		}
		p->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return p->nthreads > 0 ? 0 : -1;
}

void
api_pw_stop(struct daemon *d)
{
	struct api_pwpool	*p = d->api_state ? d->api_state->pwpool : NULL;
	struct api_pwjob	*j;
	struct evhttp_connection *con;
	struct bufferevent	*bev;
	int			 i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mtx);
	p->stop = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mtx);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	/* no worker runs now: the lists are the loop's alone */
	TAILQ_CONCAT(&p->done, &p->todo, entry);
	while ((j = TAILQ_FIRST(&p->done)) != NULL) {
		TAILQ_REMOVE(&p->done, j, entry);
		/* NULL when the client has gone: the reply frees the request */
		con = evhttp_request_get_connection(j->r.req);
		j->stopped = true;
		j->done(j);
		api_pw_free(j);
		/* a small reply to a local socket: one write, no loop needed */
		if (con != NULL && (bev = evhttp_connection_get_bufferevent(
		    con)) != NULL)
			(void)evbuffer_write(bufferevent_get_output(bev),
			    bufferevent_getfd(bev));
	}
	if (p->ev != NULL)
		event_free(p->ev);
	for (i = 0; i < 2; i++)
		if (p->pipe[i] != -1)
			close(p->pipe[i]);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->mtx);
	free(p);
	d->api_state->pwpool = NULL;
}
