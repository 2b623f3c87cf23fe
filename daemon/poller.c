/*
 * poller.c: fetches each account's new comments and direct messages.
 *
 * One timer per account.  When it fires, the connector builds the request
 * for the stored cursor and httpc sends it (on connections of its own, so
 * a page never waits behind the outbox).  The answer is parsed on the
 * parser thread (the connector's parser is a pure function, and so is
 * classifying the page's items) and comes back to the loop, where
 * screen_page records the page in one transaction with the new cursor.
 * An unfinished catch-up asks for the next page early, so that it is
 * fetched and parsed while the loop records the one before: as soon as an
 * answer's headers name it (Mastodon's Link header) and the parser has
 * room (at most POLL_AHEAD pages of an account are in it), else as soon as
 * a page leaves the parser.  Each page is asked for once: a page asks for
 * its successor only when no request went out after its own.  A finished
 * one waits for the poll interval.  The cursor stays what the store says: a
 * page is screened only if it was asked for from the stored cursor, so a
 * page whose commit failed, or a guess the page did not confirm, is
 * fetched again, never skipped.  Transport errors, 5xx and pages that
 * cannot be trusted back off exponentially and never move the cursor; 429
 * and an exhausted rate limit wait for the platform's reset.  The daemon
 * keeps running through all of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "httpc.h"
#include "log.h"
#include "netiquetted.h"
#include "workq.h"
#include "xmalloc.h"

#define POLL_BACKOFF_MAX	300
/* how often a page being screened looks for the next page's answer, us */
#define POLL_PUMP_US		500
/*
 * Pages of an account in the parser.  One keeps the loop fed: page n+1 is
 * asked for when page n leaves the parser, its answer is read while page n
 * is screened (poller_pump), and it is parsed in less time than the loop
 * takes to record page n.  Each one more only adds a page's wait to every
 * item's fetch-to-action time: in alternating 40k runs of bench_daemon.py
 * (before poller_pump), 1 gave 2,740-3,319 items/s with p99 47-63 ms, 2
 * gave 2,964-3,250 with p99 66-87 ms.
 */
#define POLL_AHEAD		1

static void	poller_schedule(struct account *, long seconds);
static void	poller_done_cb(void *, const struct http_response *,
		    const char *);

/*
 * Sends the inbox request for the page after cursor (NULL: the newest
 * page).  Returns -1 when no request could be started.
 */
static int
poller_fetch(struct account *a, const char *cursor)
{
	struct daemon		*d = a->d;
	struct http_request	 req;
	struct conn_error	 ce;

	memset(&req, 0, sizeof req);
	conn_error_clear(&ce);
	if (a->conn->poll_request(&a->ca, CONN_STREAM_INBOX, cursor, &req,
	    &ce) == -1) {
		log_warnx("account %s: cannot build poll request: %s",
		    a->conf->name, ce.msg);
		http_request_free(&req);
		return -1;
	}
	d->m.polls++;
	if (httpc_submit(d->http_poll, &req, d->conf->request_timeout * 1000L,
	    poller_done_cb, a) == -1) {
		log_warnx("account %s: cannot start poll request", a->conf->name);
		http_request_free(&req);
		return -1;
	}
	http_request_free(&req);
	httpc_kick(d->http_poll);
	free(a->poll_cursor);
	a->poll_cursor = cursor != NULL ? xstrdup(cursor) : NULL;
	a->polling = true;
	return 0;
}

/* The stored cursor, "0" for a backfilling account that has none yet. */
static int
poller_cursor(struct account *a, char **cursor)
{
	struct store_err e = { { 0 } };

	*cursor = NULL;
	if (store_cursor_get(a->d->store, a->conf->name, "inbox", cursor,
	    &e) == -1) {
		log_warnx("account %s: %s", a->conf->name, e.msg);
		return -1;
	}
	/*
	 * "0" is older than every id: with backfill the first start walks the
	 * whole history with min_id paging instead of taking the newest page.
	 */
	if (*cursor == NULL && a->conf->backfill)
		*cursor = xstrdup("0");
	return 0;
}

static long
poller_backoff(struct account *a)
{
	long wait;

	a->poll_failures++;
	wait = 1L << (a->poll_failures < 8 ? a->poll_failures : 8);
	return wait > POLL_BACKOFF_MAX ? POLL_BACKOFF_MAX : wait;
}

/* A page on its way through the parse worker. */
struct poller_parse {
	struct workq_job	 wq;
	struct account		*a;		/* the loop's; the worker's: ca */
	struct conn_account	 ca;		/* a copy, strings owned */
	char			*cursor;	/* asked from here */
	struct http_response	 resp;		/* a copy, owned */
	char			*body;
	struct conn_ratelimit	 rl;
	struct parse_rules	*rules;		/* held from submit to done */
	/* the worker's result */
	int			 rc;
	struct conn_page	 page;
	struct conn_error	 ce;
	struct screen_prep	*prep;		/* one per page item */
};

static void
poller_parse_free(struct poller_parse *pp)
{
	size_t i;

	free((char *)pp->ca.name);
	free((char *)pp->ca.platform);
	free((char *)pp->ca.base_url);
	free((char *)pp->ca.account_id);
	free((char *)pp->ca.handle);
	free(pp->cursor);
	http_headers_free(&pp->resp.headers);
	free(pp->body);
	if (pp->prep != NULL)
		for (i = 0; i < pp->page.nitems; i++)
			screen_prep_free(&pp->prep[i]);
	free(pp->prep);
	conn_page_free(&pp->page);
	if (pp->rules != NULL)
		daemon_rules_release(pp->a->d, pp->rules);
	free(pp);
}

/* Whether two cursors are the same; NULL (the newest page) only equals NULL. */
static bool
poller_same_cursor(const char *x, const char *y)
{
	return x == NULL || y == NULL ? x == y : strcmp(x, y) == 0;
}

/* Forgets the hint kept for later: its page will be asked for again. */
static void
poller_forget_hint(struct account *a)
{
	free(a->poll_hint);
	a->poll_hint = NULL;
}

/*
 * After a page left the parser: the page after the newest one asked for.
 * The hint its headers gave, if the full parser held it back; else, when
 * nothing went out after this page's own request (no hint: a connector
 * without one, or a parser that was full when the answer came), the
 * page's own next cursor.  Asking for that one again in any other case
 * fetched and parsed about every third page of a catch-up twice, and the
 * duplicate held the parser's slot that the page after it needed.
 */
static void
poller_ask_ahead(struct account *a, const struct poller_parse *pp)
{
	const struct conn_page	*page = &pp->page;
	char			*hint;

	if (a->polling || a->paused_until > daemon_now(a->d) ||
	    evtimer_pending(a->poll_timer, NULL))
		return;
	if ((hint = a->poll_hint) != NULL) {
		a->poll_hint = NULL;
		(void)poller_fetch(a, hint);
		free(hint);
		return;
	}
	if (poller_same_cursor(a->poll_cursor, pp->cursor) && !page->done &&
	    page->next_cursor != NULL)
		(void)poller_fetch(a, page->next_cursor);
}

/*
 * Worker side: the connector's parser is a pure function of the answer,
 * and so is classifying its items, which takes that work off the loop.
 */
static void
poller_parse_work(struct workq_job *wq)
{
	struct poller_parse	*pp = (struct poller_parse *)wq;
	size_t			 i;

	pp->rc = pp->a->conn->parse_page(&pp->ca, CONN_STREAM_INBOX,
	    pp->cursor, &pp->resp, &pp->page, &pp->ce);
	if (pp->rc == -1 || pp->rules == NULL || pp->page.nitems == 0)
		return;
	pp->prep = xcalloc(pp->page.nitems, sizeof *pp->prep);
	for (i = 0; i < pp->page.nitems; i++)
		screen_prepare(pp->rules->rs, pp->rules->scratch,
		    &pp->page.items[i], &pp->prep[i]);
}

/*
 * Once nothing of the account is on its way (no request, no page in the
 * parser) and no wait is set: the next poll, after `seconds`.
 */
static void
poller_idle(struct account *a, long seconds)
{
	if (a->polling || a->parsing > 0 ||
	    evtimer_pending(a->poll_timer, NULL))
		return;
	poller_schedule(a, seconds);
}

/*
 * A parsed page (or the reason it was rejected): rate limits, the next
 * request, and the page screened and committed with the new cursor.
 */
static void
poller_parsed(struct poller_parse *pp)
{
	struct account		*a = pp->a;
	struct daemon		*d = a->d;
	struct conn_ratelimit	*rl = &pp->rl;
	struct conn_page	*page = &pp->page;
	struct store_err	 e = { { 0 } };
	time_t			 now = daemon_now(d);
	long			 wait;
	char			*cursor = NULL;

	if (poller_cursor(a, &cursor) == -1) {
		poller_forget_hint(a);
		poller_idle(a, 5);
		return;
	}
	if (!poller_same_cursor(cursor, pp->cursor)) {
		/*
		 * Asked ahead of a page whose commit failed, or from a guess
		 * of the headers that the page did not confirm: ask again
		 * from the store's cursor.
		 */
		log_debug("account %s: answer for cursor %s dropped, the store "
		    "is at %s", a->conf->name, pp->cursor ? pp->cursor :
		    "(none)", cursor ? cursor : "(none)");
		free(cursor);
		poller_forget_hint(a);
		poller_idle(a, a->poll_failures > 0 ? 5 : 0);
		return;
	}
	free(cursor);
	if (pp->rc == -1) {
		poller_forget_hint(a);
		if (pp->ce.status == CONN_RATELIMITED) {
			time_t until = rl->retry_at > now ? rl->retry_at :
			    (rl->reset > now ? rl->reset : now + 60);

			d->m.ratelimited++;
			a->paused_until = until;
			log_info("account %s: rate limited until %lld",
			    a->conf->name, (long long)until);
			poller_schedule(a, (long)(until - now));
			return;
		}
		d->m.poll_errors++;
		wait = poller_backoff(a);
		if (pp->ce.status == CONN_AUTH)
			wait = POLL_BACKOFF_MAX;
		log_warnx("account %s: page rejected (%s, HTTP %d): %s; retry in "
		    "%lds", a->conf->name, conn_status_name(pp->ce.status),
		    pp->resp.status, pp->ce.msg, wait);
		poller_schedule(a, wait);
		return;
	}
	a->pages++;
	if ((rl->known & CONN_RL_REMAINING) && rl->remaining <= 0 &&
	    (rl->known & CONN_RL_RESET) && rl->reset > a->paused_until)
		a->paused_until = rl->reset;
	/*
	 * The next page is asked for now, before this one is screened
	 * (unless the executor paused the account after a 429 on an action,
	 * or a retry waits).
	 */
	poller_ask_ahead(a, pp);
	if (screen_page(d, a, page, pp->prep, &e) == -1) {
		log_warnx("account %s: recording page failed: %s", a->conf->name,
		    e.msg);
		poller_forget_hint(a);
		a->poll_failures++;
		poller_idle(a, 5);
		return;
	}
	a->poll_failures = 0;
	if (a->paused_until > now)
		poller_idle(a, (long)(a->paused_until - now));
	else if (!page->done)
		poller_idle(a, page->next_cursor != NULL ? 0 : 5);
	else
		poller_idle(a, a->conf->poll_interval);
}

static void
poller_parse_done(struct workq_job *wq, bool stopped)
{
	struct poller_parse *pp = (struct poller_parse *)wq;

	pp->a->parsing--;
	/* stopped: never committed, so fetched again on the next start */
	if (!stopped && !pp->a->d->stopping)
		poller_parsed(pp);
	poller_parse_free(pp);
}

/*
 * An answer goes to the parser as it is; whether it is the page the store
 * expects is checked when it comes back, just before it is screened.  If
 * its headers already name the page after it, that request leaves now if
 * the parser has room, else it is kept for when a page leaves the parser.
 */
static void
poller_done_cb(void *arg, const struct http_response *resp, const char *error)
{
	struct account		*a = arg;
	struct daemon		*d = a->d;
	struct poller_parse	*pp;
	char			*hint;
	long			 wait;
	size_t			 i;
	time_t			 now = daemon_now(d);

	a->polling = false;
	if (d->stopping)
		return;
	if (error != NULL) {
		d->m.poll_errors++;
		wait = poller_backoff(a);
		log_warnx("account %s: poll failed: %s; retry in %lds",
		    a->conf->name, error, wait);
		poller_schedule(a, wait);
		return;
	}
	pp = xcalloc(1, sizeof *pp);
	pp->wq.work = poller_parse_work;
	pp->wq.done = poller_parse_done;
	pp->a = a;
	/*
	 * What a parser may read of the account, copied: a reload replaces
	 * the configuration strings while the worker runs.  No token, no
	 * instance rules: parsing needs neither.
	 */
	pp->ca.name = xstrdup(a->ca.name ? a->ca.name : "");
	pp->ca.platform = xstrdup(a->ca.platform ? a->ca.platform : "");
	pp->ca.base_url = xstrdup(a->ca.base_url ? a->ca.base_url : "");
	pp->ca.account_id = a->ca.account_id ? xstrdup(a->ca.account_id) :
	    NULL;
	pp->ca.handle = a->ca.handle ? xstrdup(a->ca.handle) : NULL;
	pp->ca.token = "";
	pp->ca.admin = a->ca.admin;
	pp->ca.report_forward = a->ca.report_forward;
	pp->ca.page_limit = a->ca.page_limit;
	pp->cursor = a->poll_cursor != NULL ? xstrdup(a->poll_cursor) : NULL;
	a->conn->parse_ratelimit(resp, now, &pp->rl);
	pp->resp.status = resp->status;
	for (i = 0; i < resp->headers.n; i++)
		http_headers_add(&pp->resp.headers, resp->headers.v[i].name,
		    resp->headers.v[i].value);
	pp->body = xmalloc(resp->bodylen + 1);
	memcpy(pp->body, resp->body, resp->bodylen);
	pp->body[resp->bodylen] = '\0';
	pp->resp.body = pp->body;
	pp->resp.bodylen = resp->bodylen;
	conn_error_clear(&pp->ce);
	/* only the parser thread classifies with the rules' scratch */
	if (d->parseq != NULL)
		pp->rules = daemon_rules_hold(d);
	a->parsing++;
	poller_forget_hint(a);
	if (a->conn->next_cursor_hint != NULL &&
	    a->paused_until <= now && !evtimer_pending(a->poll_timer, NULL) &&
	    !((pp->rl.known & CONN_RL_REMAINING) && pp->rl.remaining <= 0) &&
	    (hint = a->conn->next_cursor_hint(pp->cursor, resp)) != NULL) {
		if (a->parsing < POLL_AHEAD) {
			(void)poller_fetch(a, hint);
			free(hint);
		} else
			a->poll_hint = hint;	/* asked when a page leaves */
	}
	if (d->parseq == NULL || workq_submit(d->parseq, &pp->wq) == -1) {
		if (d->poll_nested) {
			/*
			 * Read while a page is screened: parsed here, it
			 * would be screened inside that page's transaction.
			 * Asked for again from the cursor once that is done.
			 */
			log_debug("account %s: answer dropped, no room in the "
			    "parser", a->conf->name);
			a->parsing--;
			poller_forget_hint(a);
			poller_parse_free(pp);
			poller_idle(a, 0);
			return;
		}
		/* on the loop: the parser's scratch may be in use there */
		if (pp->rules != NULL)
			daemon_rules_release(d, pp->rules);
		pp->rules = NULL;
		/* a completion callback: the page's screening reads no answers */
		d->poll_nested = true;
		poller_parse_work(&pp->wq);
		poller_parse_done(&pp->wq, false);
		d->poll_nested = false;
	}
}

static void
poller_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct account		*a = arg;
	struct daemon		*d = a->d;
	char			*cursor;

	/* whatever is on its way carries on when it arrives */
	if (d->stopping || a->polling || a->parsing > 0)
		return;
	if (a->paused_until > daemon_now(d)) {
		poller_schedule(a, (long)(a->paused_until - daemon_now(d)));
		return;
	}
	if (poller_cursor(a, &cursor) == -1) {
		poller_schedule(a, 5);
		return;
	}
	if (poller_fetch(a, cursor) == -1)
		poller_schedule(a, cursor == NULL ? a->conf->poll_interval : 5);
	free(cursor);
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

/*
 * Called between the items of a page being screened.  The answer to the
 * next page's request arrives a millisecond after it left, but the loop
 * read it only when the page was committed, 10-20 ms later: then the
 * parser had it, and the loop waited for the parser, about 40 % of its
 * time in a catch-up.  Read now, it is parsed while this page is screened.
 * Only the polls' client, whose callbacks touch no store, and only with a
 * parser thread.
 */
void
poller_pump(struct daemon *d)
{
	struct timespec	ts;
	int64_t		now;

	if (d->parseq == NULL || d->http_poll == NULL || d->poll_nested ||
	    httpc_inflight(d->http_poll) == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (now - d->poll_pumped_at < POLL_PUMP_US)
		return;
	d->poll_pumped_at = now;
	d->poll_nested = true;
	httpc_pump(d->http_poll);
	d->poll_nested = false;
}

int
poller_start(struct daemon *d)
{
	size_t i;

	/*
	 * One parser thread: a page is parsed while the loop screens and
	 * commits the one before.  Without it, pages are parsed on the loop.
	 * One thread: the jobs share the parse_rules scratch, one at a time.
	 */
	d->parseq = workq_new(d->base, 1, POLL_AHEAD * d->naccounts,
	    "page parser");
	if (d->parseq == NULL)
		log_warnx("no parser thread: pages are parsed on the loop");
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

	/* a page in the parser is dropped: it is fetched again next time */
	workq_free(d->parseq);
	d->parseq = NULL;
	for (i = 0; i < d->naccounts; i++) {
		if (d->accounts[i].poll_timer != NULL) {
			event_free(d->accounts[i].poll_timer);
			d->accounts[i].poll_timer = NULL;
		}
		free(d->accounts[i].poll_cursor);
		d->accounts[i].poll_cursor = NULL;
		poller_forget_hint(&d->accounts[i]);
	}
}
