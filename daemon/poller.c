/*
 * poller.c: fetches each account's new comments and direct messages.
 *
 * One timer per account.  When it fires, the connector builds the request
 * for the stored cursor, httpc sends it, and the answer is parsed into a
 * page that screen_page records in one transaction with the new cursor.
 * An unfinished catch-up asks for the next page at once; a finished one
 * waits for the poll interval.  Transport errors, 5xx and pages that cannot
 * be trusted back off exponentially and never move the cursor; 429 and an
 * exhausted rate limit wait for the platform's reset.  The daemon keeps
 * running through all of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "httpc.h"
#include "log.h"
#include "netiquetted.h"
#include "xmalloc.h"

#define POLL_BACKOFF_MAX	300

static void	poller_schedule(struct account *, long seconds);

static void
poller_done_cb(void *arg, const struct http_response *resp, const char *error)
{
	struct account		*a = arg;
	struct daemon		*d = a->d;
	struct conn_page	 page;
	struct conn_error	 ce;
	struct conn_ratelimit	 rl;
	struct store_err	 e = { { 0 } };
	char			*cursor = NULL;
	time_t			 now = daemon_now(d);
	long			 wait;

	a->polling = false;
	if (d->stopping)
		return;
	memset(&rl, 0, sizeof rl);
	a->conn->parse_ratelimit(resp, now, &rl);
	if (error != NULL) {
		d->m.poll_errors++;
		a->poll_failures++;
		wait = 1L << (a->poll_failures < 8 ? a->poll_failures : 8);
		if (wait > POLL_BACKOFF_MAX)
			wait = POLL_BACKOFF_MAX;
		log_warnx("account %s: poll failed: %s; retry in %lds",
		    a->conf->name, error, wait);
		poller_schedule(a, wait);
		return;
	}
	if (store_cursor_get(d->store, a->conf->name, "inbox", &cursor, &e) == -1) {
		log_warnx("account %s: %s", a->conf->name, e.msg);
		poller_schedule(a, 5);
		return;
	}
	if (cursor == NULL && a->conf->backfill)
		cursor = xstrdup("0");
	memset(&page, 0, sizeof page);
	conn_error_clear(&ce);
	if (a->conn->parse_page(&a->ca, CONN_STREAM_INBOX, cursor, resp, &page,
	    &ce) == -1) {
		free(cursor);
		conn_page_free(&page);
		if (ce.status == CONN_RATELIMITED) {
			time_t until = rl.retry_at > now ? rl.retry_at :
			    (rl.reset > now ? rl.reset : now + 60);

			d->m.ratelimited++;
			a->paused_until = until;
			log_info("account %s: rate limited until %lld",
			    a->conf->name, (long long)until);
			poller_schedule(a, (long)(until - now));
			return;
		}
		d->m.poll_errors++;
		a->poll_failures++;
		wait = 1L << (a->poll_failures < 8 ? a->poll_failures : 8);
		if (wait > POLL_BACKOFF_MAX)
			wait = POLL_BACKOFF_MAX;
		if (ce.status == CONN_AUTH)
			wait = POLL_BACKOFF_MAX;
		log_warnx("account %s: page rejected (%s, HTTP %d): %s; retry in "
		    "%lds", a->conf->name, conn_status_name(ce.status),
		    resp->status, ce.msg, wait);
		poller_schedule(a, wait);
		return;
	}
	free(cursor);
	a->pages++;
	if (screen_page(d, a, &page, &e) == -1) {
		log_warnx("account %s: recording page failed: %s", a->conf->name,
		    e.msg);
		conn_page_free(&page);
		poller_schedule(a, 5);
		return;
	}
	a->poll_failures = 0;
	if ((rl.known & CONN_RL_REMAINING) && rl.remaining <= 0 &&
	    (rl.known & CONN_RL_RESET) && rl.reset > now) {
		a->paused_until = rl.reset;
		poller_schedule(a, (long)(rl.reset - now));
	} else if (!page.done)
		poller_schedule(a, 0);
	else
		poller_schedule(a, a->conf->poll_interval);
	conn_page_free(&page);
}

static void
poller_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct account		*a = arg;
	struct daemon		*d = a->d;
	struct http_request	 req;
	struct conn_error	 ce;
	struct store_err	 e = { { 0 } };
	char			*cursor = NULL;

	if (d->stopping || a->polling)
		return;
	if (a->paused_until > daemon_now(d)) {
		poller_schedule(a, (long)(a->paused_until - daemon_now(d)));
		return;
	}
	if (store_cursor_get(d->store, a->conf->name, "inbox", &cursor, &e) == -1) {
		log_warnx("account %s: %s", a->conf->name, e.msg);
		poller_schedule(a, 5);
		return;
	}
	/*
	 * "0" is older than every id: with backfill the first start walks the
	 * whole history with min_id paging instead of taking the newest page.
	 */
	if (cursor == NULL && a->conf->backfill)
		cursor = xstrdup("0");
	memset(&req, 0, sizeof req);
	conn_error_clear(&ce);
	if (a->conn->poll_request(&a->ca, CONN_STREAM_INBOX, cursor, &req,
	    &ce) == -1) {
		log_warnx("account %s: cannot build poll request: %s",
		    a->conf->name, ce.msg);
		free(cursor);
		http_request_free(&req);
		poller_schedule(a, a->conf->poll_interval);
		return;
	}
	free(cursor);
	d->m.polls++;
	if (httpc_submit(d->http, &req, d->conf->request_timeout * 1000L,
	    poller_done_cb, a) == -1) {
		log_warnx("account %s: cannot start poll request", a->conf->name);
		poller_schedule(a, 5);
	} else
		a->polling = true;
	http_request_free(&req);
}

static void
poller_schedule(struct account *a, long seconds)
{
	struct timeval tv;

	if (a->d->stopping)
		return;
	tv.tv_sec = seconds < 0 ? 0 : seconds;
	tv.tv_usec = 0;
	evtimer_add(a->poll_timer, &tv);
}

void
poller_kick(struct account *a)
{
	poller_schedule(a, 0);
}

int
poller_start(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->naccounts; i++) {
		struct account *a = &d->accounts[i];

		a->poll_timer = evtimer_new(d->base, poller_timer_cb, a);
		poller_kick(a);
	}
	return 0;
}

void
poller_stop(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->naccounts; i++) {
		if (d->accounts[i].poll_timer != NULL) {
			event_free(d->accounts[i].poll_timer);
			d->accounts[i].poll_timer = NULL;
		}
	}
}
