/*
 * api-queue.c: the queue as a resource: the filtered, paged list, bulk
 * decisions, and which decisions a role may take in which state (the
 * "allowed" list every item object carries).  The decisions themselves
 * are api-items.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <jansson.h>

#include "api.h"
#include "category.h"
#include "log.h"
#include "queue.h"
#include "xmalloc.h"

#define BULK_MAX	200

json_t *
api_queue_allowed(const struct api_req *r, const char *state, bool has_history)
{
	return api_queue_allowed_role(r->session.user.role, state, has_history);
}

json_t *
api_queue_allowed_role(enum users_role role, const char *state,
    bool has_history)
{
	bool		 editor = role == USERS_EDITOR || role == USERS_ADMIN;
	bool		 legal = role == USERS_LEGAL || role == USERS_ADMIN;
	json_t		*a = json_array();

	if (state == NULL)
		return a;
	if (strcmp(state, "open") == 0 && editor) {
		json_array_append_new(a, json_string("approve"));
		json_array_append_new(a, json_string("dismiss"));
	}
	if (strcmp(state, "open") == 0)
		json_array_append_new(a, json_string("escalate"));
	if (strcmp(state, "escalated") == 0 && legal) {
		json_array_append_new(a, json_string("approve"));
		json_array_append_new(a, json_string("dismiss"));
		json_array_append_new(a, json_string("close"));
	}
	/* a closed item is legal's: handled outside (API.md) */
	if ((strcmp(state, "approved") == 0 && (editor || legal)) ||
	    (strcmp(state, "closed") == 0 && legal))
		json_array_append_new(a, json_string("restore"));
	if (has_history && (legal || (strcmp(state, "escalated") != 0 &&
	    strcmp(state, "closed") != 0)))
		json_array_append_new(a, json_string("undo"));
	return a;
}

static int64_t
queue_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Editors poll the same page: a page is built once per role and request
 * URI and served from here for up to API_QCACHE_MS, or until an editor's
 * POST changes anything.  Items the daemon queues meanwhile appear at the
 * next build, at most a second late (the event stream announces them).
 */
static struct api_qcache *
queue_cache_find(struct api_req *r, const char *key)
{
	struct api_state	*st = r->d->api_state;
	int64_t			 now = queue_now_ms();
	size_t			 i;

	for (i = 0; i < API_QCACHE; i++) {
		struct api_qcache *c = &st->qcache[i];

		if (c->body != NULL && strcmp(c->key, key) == 0 &&
		    c->writes == st->writes && now - c->at_ms < API_QCACHE_MS)
			return c;
	}
	return NULL;
}

static void
queue_cache_put(struct api_req *r, const char *key, json_t *reply)
{
	struct api_state	*st = r->d->api_state;
	struct api_qcache	*c = &st->qcache[st->qcache_next++ % API_QCACHE];
	char			*body;

	if ((body = json_dumps(reply, JSON_COMPACT | JSON_ENSURE_ASCII)) == NULL)
		return;
	free(c->body);
	snprintf(c->key, sizeof c->key, "%s", key);
	xasprintf(&c->body, "%s\n", body);
	free(body);
	c->len = strlen(c->body);
	c->writes = st->writes;
	c->at_ms = queue_now_ms();
}

void
api_queue_cache_free(struct api_state *st)
{
	size_t i;

	for (i = 0; i < API_QCACHE; i++) {
		free(st->qcache[i].body);
		st->qcache[i].body = NULL;
	}
}

void
api_queue_list(struct api_req *r)
{
	struct store_err	 e = { "" };
	struct queue_filter	 f;
	const char		*s;
	int64_t			 limit, offset, since, total, *ids;
	size_t			 n, i;
	json_t			*a, *o;

	char			 key[600];
	struct api_qcache	*c;
	json_t			*reply;

	snprintf(key, sizeof key, "%s|%s", users_role_name(r->session.user.role),
	    evhttp_request_get_uri(r->req));
	if ((c = queue_cache_find(r, key)) != NULL) {
		api_json_text(r, 200, c->body, c->len);
		return;
	}
	memset(&f, 0, sizeof f);
	s = api_query(r, "state");
	if (s == NULL || *s == '\0')
		f.state = STORE_Q_OPEN;
	else if (strcmp(s, "all") == 0)
		f.state = -1;
	else if ((f.state = store_queue_state_from_name(s)) < 0) {
		api_error(r, 400, "unknown state (open, approved, dismissed, "
		    "escalated, closed, all)");
		return;
	}
	f.platform = api_query(r, "platform");
	f.account = api_query(r, "account");
	f.assignee = api_query(r, "assignee");
	if ((f.category = api_query(r, "category")) != NULL &&
	    category_from_name(f.category) < 0) {
		api_error(r, 400, "unknown category");
		return;
	}
	if (api_query_int(r, "limit", 50, 1, QUEUE_LIMIT_MAX, &limit) == -1 ||
	    api_query_int(r, "offset", 0, 0, INT32_MAX, &offset) == -1 ||
	    api_query_int(r, "since", 0, 0, INT64_MAX / 2, &since) == -1)
		return;
	f.limit = (size_t)limit;
	f.offset = (size_t)offset;
	f.since = since;
	if (queue_find(r->d->store, &f, &ids, &n, &total, &e) == -1) {
		log_warnx("%s: %s", __func__, e.msg);
		api_error(r, 500, "store failure");
		return;
	}
	a = json_array();
	for (i = 0; i < n; i++)
		if ((o = api_items_summary(r, ids[i])) != NULL)
			json_array_append_new(a, o);
	free(ids);
	reply = json_pack("{s:o, s:I, s:I, s:I}", "items", a,
	    "total", (json_int_t)total, "limit", (json_int_t)limit,
	    "offset", (json_int_t)offset);
	queue_cache_put(r, key, reply);
	api_json(r, 200, reply);
}

void
api_queue_bulk(struct api_req *r)
{
	json_t		*ids = json_object_get(r->body, "ids"), *v, *res;
	const char	*verb = api_body_str(r, "decision");
	const char	*reason = api_body_str(r, "reason");
	const char	*assignee = api_body_str(r, "assignee");
	size_t		 i;

	if (!json_is_array(ids) || json_array_size(ids) == 0 ||
	    json_array_size(ids) > BULK_MAX) {
		api_error(r, 400, "ids must be an array of 1 to %d item ids",
		    BULK_MAX);
		return;
	}
	if (verb == NULL) {
		api_error(r, 400, "decision is required");
		return;
	}
	json_array_foreach(ids, i, v)
		if (!json_is_integer(v) || json_integer_value(v) <= 0) {
			api_error(r, 400, "ids must be positive integers");
			return;
		}
	{
		/* a request wrong for every item is one 400, not one per id */
		int	status = 0;
		char	msg[300];

		if (api_items_check(r, verb, reason, assignee, &status, msg,
		    sizeof msg) == -1) {
			api_error(r, status, "%s", msg);
			return;
		}
	}
	res = json_array();
	json_array_foreach(ids, i, v) {
		json_t	*out = NULL;
		int	 status = 0;
		char	 msg[300];
		int64_t	 id = json_integer_value(v);

		if (api_items_apply(r, id, verb, reason, assignee, &out, &status,
		    msg, sizeof msg) == 0) {
			json_decref(out);
			json_array_append_new(res, json_pack("{s:I, s:b}", "id",
			    (json_int_t)id, "ok", 1));
		} else
			json_array_append_new(res, json_pack("{s:I, s:b, s:i, s:o}",
			    "id", (json_int_t)id, "ok", 0, "status", status,
			    "error", api_message(msg)));
	}
	api_json(r, 200, json_pack("{s:o}", "results", res));
}
