/*
 * api-events.c: server-sent events for the web UI, so the queue updates
 * itself.  A stream is a chunked reply that stays open; an event names
 * an item whose queue entry appeared or changed, and the client re-fetches
 * what it shows.  Editors' decisions are announced at once; items the
 * daemon queues (screen.c) are found by one small query every two seconds
 * while anyone listens.  A comment line every 25 s keeps proxies from
 * closing idle streams and ends streams whose session has expired.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <sqlite3.h>

#include "api.h"
#include "log.h"
#include "xmalloc.h"

#define EVENTS_TICK		2	/* seconds between queue polls */
#define EVENTS_PING_TICKS	12	/* ping every 24 s */
#define EVENTS_MAX_CLIENTS	512

#ifndef TAILQ_FOREACH_SAFE	/* glibc's sys/queue.h lacks it */
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

/* One open stream; the list and counters are in d->api_state (api.h). */
struct api_events_client {
	TAILQ_ENTRY(api_events_client)	 entry;
	struct daemon			*d;
	struct evhttp_request		*req;
	struct evhttp_connection	*con;
	bool				 bearer;
	char				 token[USERS_SECRET_LEN];
	char				 user[USERS_NAME_MAX + 1];
};

/*
 * Whether the stream's login still holds, checked at each ping without
 * extending it: a stream is no activity, so an idle session still times
 * out (the UI's own requests extend it), and a bearer stream ends when
 * its user is disabled, as the token's requests would be refused.
 */
static bool
events_still_authed(struct api_events_client *c, time_t now)
{
	struct users_session	s;
	struct users_user	u;

	if (!c->bearer)
		return users_session_valid(c->d->store, c->token, now,
		    USERS_SESSION_IDLE, &s, NULL) == 1;
	return users_get(c->d->store, c->user, &u, NULL) == 1 && !u.disabled;
}

static void
events_drop(struct api_events_client *c)
{
	struct api_state *st = c->d->api_state;

	TAILQ_REMOVE(&st->events_clients, c, entry);
	st->events_n--;
	memset(c->token, 0, sizeof c->token);
	free(c);
}

/*
 * The client went away.  When libevent sees the end of a connection whose
 * reply is still streaming, it disowns the request (its connection
 * becomes NULL) and leaves it to us: ending the reply then frees it.
 */
static void
events_closed(struct evhttp_connection *con, void *arg)
{
	struct api_events_client *c = arg;

	if (evhttp_request_get_connection(c->req) == NULL)
		evhttp_send_reply_end(c->req);
	events_drop(c);
}

static void
events_send(struct api_events_client *c, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add(b, text, strlen(text));
	evhttp_send_reply_chunk(c->req, b);
	evbuffer_free(b);
}

static void
events_broadcast(struct daemon *d, const char *text)
{
	struct api_events_client *c, *t;

	TAILQ_FOREACH_SAFE(c, &d->api_state->events_clients, entry, t)
		events_send(c, text);
}

void
api_events_queue(struct daemon *d, int64_t item, const char *state,
    const char *by)
{
	struct api_state	*st = d->api_state;
	json_t			*o;
	char			*s, *msg;

	if (st == NULL || st->events_n == 0)
		return;
	o = json_pack("{s:I, s:s, s:s}", "item", (json_int_t)item, "state",
	    state ? state : "", "by", by ? by : "");
	s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	xasprintf(&msg, "event: queue\nid: %llu\ndata: %s\n\n",
	    (unsigned long long)++st->events_seq, s);
	events_broadcast(d, msg);
	free(msg);
	free(s);
}

/*
 * Every state named: so SQLite searches queue_state (state, updated_at)
 * once per state instead of scanning the whole queue, every queue entry
 * ever made, each tick (13 ms at 300,000 entries).
 */
#define EVENTS_ALL_STATES	"state IN " STORE_QUEUE_STATES_SQL
static const char sql_changed[] =
    "SELECT item, state, updated_at FROM queue WHERE " EVENTS_ALL_STATES
    " AND updated_at >= ?1 ORDER BY updated_at, item LIMIT 500";
static const char sql_max[] =
    "SELECT coalesce(max(updated_at), 0) FROM queue WHERE " EVENTS_ALL_STATES;

/*
 * Items whose queue entry changed since the last look.  updated_at has a
 * resolution of one second, so the items already announced for the
 * newest second are remembered and not announced again.  The first look
 * only takes note of where things stand.
 */
static void
events_poll(struct daemon *d)
{
	struct api_state	*st = d->api_state;
	struct store_err	 e = { "" };
	sqlite3_stmt		*s;
	int64_t			 ts, item, last, seen[API_EVENTS_SEEN_MAX];
	size_t			 nseen = 0, i;
	bool			 first = st->events_last_ts < 0, old;

	if (first) {
		if ((s = store_stmt(d->store, sql_max, &e)) == NULL)
			return;
		if (sqlite3_step(s) == SQLITE_ROW)
			st->events_last_ts = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		st->events_nseen = 0;
	}
	if ((s = store_stmt(d->store, sql_changed, &e)) == NULL)
		return;
	last = st->events_last_ts;
	sqlite3_bind_int64(s, 1, st->events_last_ts);
	while (sqlite3_step(s) == SQLITE_ROW) {
		item = sqlite3_column_int64(s, 0);
		ts = sqlite3_column_int64(s, 2);
		old = false;
		for (i = 0; ts == st->events_last_ts && i < st->events_nseen;
		    i++)
			if (st->events_seen[i] == item)
				old = true;
		if (old)
			continue;
		if (!first)
			api_events_queue(d, item,
			    (const char *)sqlite3_column_text(s, 1), "daemon");
		if (ts > last) {
			last = ts;
			nseen = 0;
		}
		if (nseen < API_EVENTS_SEEN_MAX)
			seen[nseen++] = item;
	}
	sqlite3_reset(s);
	if (last == st->events_last_ts) {
		for (i = 0; i < nseen && st->events_nseen < API_EVENTS_SEEN_MAX;
		    i++)
			st->events_seen[st->events_nseen++] = seen[i];
	} else {
		memcpy(st->events_seen, seen, nseen * sizeof seen[0]);
		st->events_nseen = nseen;
		st->events_last_ts = last;
	}
}

static void
events_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daemon			*d = arg;
	struct api_state		*st = d->api_state;
	struct api_events_client	*c, *t;
	time_t				 now = time(NULL);

	if (st->events_n == 0)
		return;
	events_poll(d);
	if (++st->events_ticks % EVENTS_PING_TICKS != 0)
		return;
	TAILQ_FOREACH_SAFE(c, &st->events_clients, entry, t) {
		if (!events_still_authed(c, now)) {
			events_send(c, "event: logout\ndata: {}\n\n");
			evhttp_connection_set_closecb(c->con, NULL, NULL);
			evhttp_send_reply_end(c->req);
			events_drop(c);
			continue;
		}
		events_send(c, ": ping\n\n");
	}
}

void
api_events_stream(struct api_req *r)
{
	struct api_state		*st = r->d->api_state;
	struct api_events_client	*c;
	struct timeval			 tv = { EVENTS_TICK, 0 };

	if (st->events_n >= EVENTS_MAX_CLIENTS) {
		api_error(r, 503, "too many event streams");
		return;
	}
	if (st->events_timer == NULL) {
		st->events_timer = event_new(r->d->base, -1, EV_PERSIST,
		    events_tick, r->d);
		event_add(st->events_timer, &tv);
	}
	if (st->events_n == 0)
		st->events_last_ts = -1;
	c = xcalloc(1, sizeof *c);
	c->d = r->d;
	c->req = r->req;
	c->con = evhttp_request_get_connection(r->req);
	c->bearer = r->bearer;
	snprintf(c->token, sizeof c->token, "%s", r->session.token);
	snprintf(c->user, sizeof c->user, "%s", r->session.user.name);
	TAILQ_INSERT_TAIL(&st->events_clients, c, entry);
	st->events_n++;
	events_poll(r->d);
	api_headers(r->req, "text/event-stream", false);
	evhttp_connection_set_closecb(c->con, events_closed, c);
	evhttp_send_reply_start(r->req, 200, "OK");
	events_send(c, "retry: 5000\n\n");
}

void
api_events_stop(struct daemon *d)
{
	struct api_state		*st = d->api_state;
	struct api_events_client	*c;

	if (st == NULL)
		return;
	while ((c = TAILQ_FIRST(&st->events_clients)) != NULL) {
		evhttp_connection_set_closecb(c->con, NULL, NULL);
		/* hand the request back to libevent, or evhttp_free leaks it */
		evhttp_send_reply_end(c->req);
		events_drop(c);
	}
	if (st->events_timer != NULL) {
		event_free(st->events_timer);
		st->events_timer = NULL;
	}
}
