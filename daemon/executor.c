/*
 * executor.c: sends the action outbox, exactly once in effect.
 *
 * A row is marked "sent" in a commit before its request leaves (the
 * commit of the page that queued it, or of a round of its own), and
 * "done" only when the platform confirms.  5xx, timeouts and truncated
 * answers are retried with exponential backoff and jitter; 429 and an
 * exhausted rate limit pause the account until its reset, without
 * counting as a failed try; after max-tries, or on a permanent or
 * authorization error, the row fails and its item goes to the editors'
 * queue with the error.  Every transition is an audit entry.
 *
 * A try whose outcome is unknown (a timeout or reset after the request
 * left, a 5xx but 503, a stop or a crash while it was out) may have been
 * applied.  It is sent again, with the row's idempotency key,
 * only where the connector says a repeat is harmless: block and mute set
 * a state that is harmless to set twice.  A report is not: Mastodon
 * honours the key only for posting statuses, and gives an account
 * without admin rights no way to look up the reports it filed.  Such a
 * row fails instead, and its item goes to the editors, who can see on
 * the platform whether it arrived and approve it again if not.  A
 * notification is resent: a second notice costs a reader a glance.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>
#include <sodium.h>

#include "audit.h"
#include "httpc.h"
#include "log.h"
#include "netiquetted.h"
#include "notify.h"
#include "xmalloc.h"

#define EXEC_BATCH		128	/* rows fetched per round */
#define EXEC_OUTCOME_UNKNOWN	"outcome unknown, not sent again"
/*
 * Requests handed to curl, which opens at most HTTP_ACTION_CONNECTIONS
 * per host and queues the rest.  A page's actions go out right after its
 * commit, and their answers are read only when the loop is free again,
 * after the next page: a smaller number made the actions of a catch-up
 * fall behind its pages (p50 fetch -> sent 0.3 s at 64, 3 s at 32).
 */
#define EXEC_MAX_INFLIGHT	128
#define EXEC_REFILL_US		1000	/* answers wait when rows do */
#define EXEC_SETTLE_US		20000	/* ... and when none do */
#define EXEC_SETTLE_GIVEUP	10	/* s an answer's writes may fail */

struct exec_job {
	struct daemon	*d;
	struct account	*a;		/* NULL: the account left the config */
	char		*account;	/* the row's account name */
	int64_t		 row;
	unsigned	 action;
	int		 attempts;
	int64_t		 item;
	char		*idem_key;
	struct conn_action ca;
	json_t		*params;	/* owns the strings ca borrows */
	struct http_request req;
	/* the answer, kept until the flush settles it */
	struct http_response resp;
	struct http_headers resp_headers;
	char		*resp_body;
	char		*transport_error;
	time_t		 settle_failed_at; /* monotonic s, 0: never */
	bool		 is_mail;	/* notification over SMTP */
	char		*mail;
	size_t		 maillen;
	TAILQ_ENTRY(exec_job) entry;
};

static void	executor_round(struct daemon *);
static void	exec_schedule(struct daemon *, long);
static const char *exec_param(json_t *, const char *);

static struct account *
exec_account(struct daemon *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->naccounts; i++)
		if (strcmp(d->accounts[i].conf->name, name) == 0)
			return &d->accounts[i];
	return NULL;
}

static void
exec_job_free(struct exec_job *j)
{
	json_decref(j->params);
	free(j->account);
	free(j->idem_key);
	http_request_free(&j->req);
	http_headers_free(&j->resp_headers);
	free(j->resp_body);
	free(j->transport_error);
	free(j->mail);
	free(j);
}

static int
exec_bit_index(unsigned bit)
{
	int i;

	for (i = 0; i < ACT_KNOWN_BITS; i++)
		if (bit == (1u << i))
			return i;
	return 0;
}

/* Backoff for try n (1-based): base * 2^(n-1), capped, +-25 % jitter. */
static int64_t
exec_backoff(struct daemon *d, int attempts)
{
	double	base = d->conf->backoff_base, cap = d->conf->backoff_max, t;
	int	i;

	t = base;
	for (i = 1; i < attempts && t < cap; i++)
		t *= 2;
	if (t > cap)
		t = cap;
	t *= 0.75 + (randombytes_uniform(1000) / 2000.0);
	return (int64_t)(t < 1 ? 1 : t);
}

/*
 * The entry of one transition.  withdrawn: the platform answered for a
 * row an editor had withdrawn while its request was out; the entry says
 * so, and the row stays withdrawn.
 */
static void
exec_audit(struct daemon *d, const struct exec_job *j, const char *kind,
    const char *error, bool withdrawn)
{
	struct store_err	 e = { { 0 } };
	json_t			*detail;
	const char		*action = action_name(j->action);
	char			*text;
	int			 rc;

	/*
	 * About one entry per screened item: written the way json_dumps
	 * (JSON_COMPACT | JSON_SORT_KEYS) would write it, keys in that order,
	 * unless a string would need escaping.
	 */
	if (audit_plain(action) && audit_plain(j->account) &&
	    audit_plain(j->idem_key) && (error == NULL || audit_plain(error))) {
		xasprintf(&text, "{\"account\":\"%s\",\"action\":\"%s\","
		    "\"attempt\":%d,%s%s%s\"idempotency_key\":\"%s\","
		    "\"outbox\":%lld%s}", j->account, action, j->attempts,
		    error != NULL ? "\"error\":\"" : "", error != NULL ? error : "",
		    error != NULL ? "\"," : "", j->idem_key, (long long)j->row,
		    withdrawn ? ",\"withdrawn\":true" : "");
		rc = audit_append_text(d->store, "daemon", kind, j->item, text,
		    NULL, &e);
		free(text);
	} else {
		detail = json_pack("{s:s, s:s, s:I, s:s, s:i}", "action", action,
		    "account", j->account, "outbox", (json_int_t)j->row,
		    "idempotency_key", j->idem_key, "attempt", j->attempts);
		if (error != NULL)
			json_object_set_new(detail, "error", json_string(error));
		if (withdrawn)
			json_object_set_new(detail, "withdrawn", json_true());
		rc = audit_append(d->store, "daemon", kind, j->item, detail,
		    NULL, &e);
		json_decref(detail);
	}
	/*
	 * No action leaves and no outcome is settled without its entry: a
	 * failed append fails the round (exec_stage), whose writes are rolled
	 * back and tried again.
	 */
	if (rc == -1) {
		log_warnx("audit %s for outbox %lld: %s", kind, (long long)j->row,
		    e.msg);
		d->exec_round_failed = true;
	}
}

/*
 * A write of a settling that failed.  A row in another state (an editor
 * abandoned it while its request was out) is only logged: there is
 * nothing to write.  A failed statement fails the round: its writes are
 * rolled back and its answers settled again by the next one, with the
 * round's own backoff, instead of the row staying "sent" until a restart.
 * Meanwhile the failed rounds hold up every other answer and every new
 * action, so an answer whose writes still fail EXEC_SETTLE_GIVEUP seconds
 * after the first failure is given up: its row stays "sent" for the next
 * start (executor_start).
 */
static void
exec_store_failed(struct daemon *d, struct exec_job *j,
    const struct store_err *e)
{
	struct timespec	ts;

	if (store_outbox_conflict(d->store)) {
		log_warnx("outbox %lld: %s", (long long)j->row, e->msg);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (j->settle_failed_at == 0)
		j->settle_failed_at = ts.tv_sec;
	else if (ts.tv_sec - j->settle_failed_at >= EXEC_SETTLE_GIVEUP) {
		log_err("outbox %lld: %s; given up after %ds: the row stays "
		    "\"sent\" for the next start", (long long)j->row, e->msg,
		    EXEC_SETTLE_GIVEUP);
		return;
	}
	log_warnx("outbox %lld: %s", (long long)j->row, e->msg);
	d->exec_round_failed = true;
}

/* A failed row needs a human: its item goes back to the editors' queue. */
static void
exec_fail(struct daemon *d, struct exec_job *j, const char *error)
{
	struct store_err	e = { { 0 } };
	bool			own, withdrawn = false;

	if (store_txn_begin(d->store, &own, &e) == 0) {
		bool ok = store_outbox_mark_failed(d->store, j->row, error,
		    daemon_now(d), &e) == 0;

		withdrawn = !ok && store_outbox_conflict(d->store);
		if (ok && j->item > 0)
			ok = store_queue_put(d->store, j->item, j->action,
			    daemon_now(d), &e) >= 0;
		if (ok)
			exec_audit(d, j, "action.failed", error, false);
		store_txn_end(d->store, own, ok, &e);
	}
	if (withdrawn) {
		/*
		 * An editor withdrew the row while its request was out, and
		 * the platform refused it: no failure to put before anyone,
		 * but the audit shows the refusal as it shows a confirmation.
		 */
		log_info("outbox %lld: refused after it was withdrawn: %s",
		    (long long)j->row, error);
		exec_audit(d, j, "action.failed", error, true);
		return;
	}
	if (e.msg[0])
		exec_store_failed(d, j, &e);
	d->m.actions_failed[exec_bit_index(j->action)]++;
	log_warnx("account %s: %s of %s failed for good: %s", j->account,
	    action_name(j->action), j->ca.item_id ? j->ca.item_id : "?", error);
}

static void
exec_retry(struct daemon *d, struct exec_job *j, int64_t at, const char *error,
    bool counts)
{
	struct store_err e = { { 0 } };

	if (counts && j->attempts >= d->conf->max_tries) {
		char why[600];

		snprintf(why, sizeof why, "gave up after %d tries: %s",
		    j->attempts, error);
		exec_fail(d, j, why);
		return;
	}
	if (store_outbox_retry(d->store, j->row, at, error, counts,
	    daemon_now(d), &e) == -1) {
		if (store_outbox_conflict(d->store))
			log_info("outbox %lld: not retried, it was withdrawn "
			    "while its request was out (%s)", (long long)j->row,
			    error);
		else
			exec_store_failed(d, j, &e);
		return;
	}
	d->m.actions_retried++;
	log_info("account %s: %s of %s retried in %llds: %s", j->account,
	    action_name(j->action), j->ca.item_id ? j->ca.item_id : "?",
	    (long long)(at - daemon_now(d)), error);
}

static bool
exec_repeat_harmless(const struct exec_job *j)
{
	if (j->action == ACT_NOTIFY)
		return true;
	/* a connector that does not say is taken at its worst */
	return j->a != NULL && j->a->conn->repeat_harmless != NULL &&
	    j->a->conn->repeat_harmless(&j->a->ca, &j->ca);
}

bool
executor_failed_unknown(const char *last_error)
{
	return last_error != NULL && strncmp(last_error, EXEC_OUTCOME_UNKNOWN,
	    sizeof EXEC_OUTCOME_UNKNOWN - 1) == 0;
}

/*
 * A try that may have been applied, its answer lost: retried where a
 * repeat is harmless, else failed to the editors (the file comment says
 * why).
 */
static void
exec_unknown(struct daemon *d, struct exec_job *j, int64_t at,
    const char *error, bool counts)
{
	char why[700];

	if (exec_repeat_harmless(j)) {
		exec_retry(d, j, at, error, counts);
		return;
	}
	snprintf(why, sizeof why, EXEC_OUTCOME_UNKNOWN ": a second %s would "
	    "be a second one on the platform; check there before approving it "
	    "again (%s)", action_name(j->action), error);
	exec_fail(d, j, why);
}

/*
 * Settles one answered request.  Runs inside the flush transaction, so a
 * whole turn's confirmations cost one commit.
 */
static void
exec_settle(struct daemon *d, struct exec_job *j)
{
	struct account			*a = j->a;
	struct conn_error		 ce;
	struct conn_action_result	 res;
	struct conn_ratelimit		 rl;
	struct store_err		 e = { { 0 } };
	enum conn_status		 st;
	time_t				 now = daemon_now(d);
	const struct http_response	*resp = &j->resp;

	memset(&rl, 0, sizeof rl);
	a->conn->parse_ratelimit(resp, now, &rl);
	if ((rl.known & CONN_RL_REMAINING) && rl.remaining <= 0 &&
	    (rl.known & CONN_RL_RESET) && rl.reset > a->paused_until)
		a->paused_until = rl.reset;

	if (j->transport_error != NULL) {
		/*
		 * Cancelled by our own stop: neither a failed try nor, on the
		 * last one, a failure for good.  Due again at once: resent at
		 * the next start, if it never left or a repeat is harmless.
		 */
		bool cancelled = strcmp(j->transport_error,
		    HTTPC_CANCELLED) == 0;
		int64_t at = cancelled ? now : now + exec_backoff(d,
		    j->attempts);

		if (j->resp.unsent)
			exec_retry(d, j, at, j->transport_error, !cancelled);
		else
			exec_unknown(d, j, at, j->transport_error, !cancelled);
		return;
	}
	conn_error_clear(&ce);
	memset(&res, 0, sizeof res);
	if (j->action == ACT_NOTIFY) {
		/* webhook: HTTP status; mail: the SMTP server's last reply */
		int code = resp->status;

		if ((code >= 200 && code < 300) || (j->is_mail && code == 250))
			st = CONN_OK;
		else if (code == 429)
			st = CONN_RETRY;
		else if (j->is_mail ? (code >= 400 && code < 500) : code >= 500)
			st = CONN_RETRY;
		else
			st = CONN_PERMANENT;
		if (st != CONN_OK)
			conn_error_set(&ce, st, code, "notification %s: status %d",
			    j->is_mail ? "mail" : "webhook", code);
	} else
		st = a->conn->parse_action_result(&a->ca, &j->ca, resp, &res,
		    &ce);
	switch (st) {
	case CONN_OK:
		if (store_outbox_mark_done(d->store, j->row, now, &e) == 0)
			exec_audit(d, j, "action.confirmed", NULL, false);
		else if (store_outbox_conflict(d->store)) {
			/*
			 * Withdrawn while on the wire, done all the same: the
			 * audit must show what the platform did (the editor's
			 * inverse, if there is one, follows it).
			 */
			log_info("outbox %lld: confirmed after it was "
			    "withdrawn (%s)", (long long)j->row, e.msg);
			exec_audit(d, j, "action.confirmed", NULL, true);
		} else
			exec_store_failed(d, j, &e);
		d->m.actions_done[exec_bit_index(j->action)]++;
		break;
	case CONN_RATELIMITED: {
		time_t until = rl.retry_at > now ? rl.retry_at :
		    (rl.reset > now ? rl.reset : now + 60);

		d->m.ratelimited++;
		if (until > a->paused_until)
			a->paused_until = until;
		exec_retry(d, j, until, ce.msg[0] ? ce.msg : "rate limited", false);
		break;
	}
	case CONN_RETRY:
		if (conn_status_unapplied(resp->status))
			exec_retry(d, j, now + exec_backoff(d, j->attempts),
			    ce.msg, true);
		else
			exec_unknown(d, j, now + exec_backoff(d, j->attempts),
			    ce.msg, true);
		break;
	case CONN_AUTH:
	case CONN_PERMANENT:
	default:
		exec_fail(d, j, ce.msg[0] ? ce.msg : "permanent error");
		break;
	}
	conn_action_result_free(&res);
}

/* Settles every answer received since the last round, in its transaction. */
static void
exec_settle_answered(struct daemon *d)
{
	struct exec_job	*j;

	while ((j = TAILQ_FIRST(&d->exec_answered)) != NULL) {
		TAILQ_REMOVE(&d->exec_answered, j, entry);
		exec_settle(d, j);
		exec_job_free(j);
	}
}

static void
exec_done_cb(void *arg, const struct http_response *resp, const char *error)
{
	struct exec_job	*j = arg;
	struct daemon	*d = j->d;
	size_t		 i;

	d->exec_inflight--;
	/* keep what the settling needs: the response dies with this call */
	j->resp.status = resp->status;
	j->resp.unsent = resp->unsent;
	for (i = 0; i < resp->headers.n; i++)
		http_headers_add(&j->resp_headers, resp->headers.v[i].name,
		    resp->headers.v[i].value);
	j->resp.headers = j->resp_headers;
	j->resp_body = xmalloc(resp->bodylen + 1);
	memcpy(j->resp_body, resp->body, resp->bodylen);
	j->resp_body[resp->bodylen] = '\0';
	j->resp.body = j->resp_body;
	j->resp.bodylen = resp->bodylen;
	if (error != NULL)
		j->transport_error = xstrdup(error);
	/* settled by the next round, together with whatever goes out then */
	TAILQ_INSERT_TAIL(&d->exec_answered, j, entry);
	exec_schedule(d, d->exec_backlog ? EXEC_REFILL_US : EXEC_SETTLE_US);
}

static const char *
exec_param(json_t *params, const char *key)
{
	json_t *v = json_object_get(params, key);

	return json_is_string(v) && json_string_length(v) > 0 ?
	    json_string_value(v) : NULL;
}

/*
 * An escalation notice: the webhook body or the e-mail, built by notify.c
 * from what screen.c put into the row.  The comment's text is not in it;
 * the recipient follows the link or the evidence id.
 */
static int
exec_prepare_notify(struct daemon *d, struct exec_job *j)
{
	const struct config_notify	*n = &d->conf->notify;
	struct notify_event		 ev;
	const char			*channel = exec_param(j->params, "channel");
	char				 evid[32], err[256];

	memset(&ev, 0, sizeof ev);
	ev.account = j->a->conf->name;
	ev.platform = j->a->conf->platform;
	ev.item_id = exec_param(j->params, "item_id");
	ev.item_kind = exec_param(j->params, "kind");
	ev.item_url = exec_param(j->params, "url");
	ev.author = exec_param(j->params, "author");
	ev.categories = exec_param(j->params, "categories");
	ev.rule_ids = exec_param(j->params, "rules");
	ev.clauses = exec_param(j->params, "clauses");
	ev.actions = exec_param(j->params, "actions");
	snprintf(evid, sizeof evid, "%lld", (long long)json_integer_value(
	    json_object_get(j->params, "evidence")));
	ev.evidence_id = evid;
	ev.reason = exec_param(j->params, "reason");
	ev.when = (time_t)json_integer_value(json_object_get(j->params, "when"));

	if (channel != NULL && strcmp(channel, "webhook") == 0) {
		if (n->webhook_url == NULL) {
			exec_fail(d, j, "notify webhook-url no longer configured");
			return -1;
		}
		j->req.method = xstrdup("POST");
		j->req.url = xstrdup(n->webhook_url);
		j->req.body = notify_webhook_body(&ev);
		j->req.bodylen = strlen(j->req.body);
		j->req.content_type = xstrdup("application/json");
		http_headers_add(&j->req.headers, "Idempotency-Key", j->idem_key);
		return 0;
	}
	if (channel != NULL && strcmp(channel, "mail") == 0) {
		const char *to = exec_param(j->params, "to");

		if (n->smtp_url == NULL || n->mail_from == NULL || to == NULL) {
			exec_fail(d, j, "notify smtp-url no longer configured");
			return -1;
		}
		if (notify_mail(&ev, n->mail_from, to, j->idem_key,
		    daemon_now(d), &j->mail, &j->maillen, err, sizeof err) == -1) {
			exec_fail(d, j, err);
			return -1;
		}
		j->is_mail = true;
		return 0;
	}
	exec_fail(d, j, "notification row without a channel");
	return -1;
}

/* A row of account a (NULL: no longer configured) as a job, without its request. */
static struct exec_job *
exec_job_new(struct daemon *d, struct account *a,
    const struct store_outbox_row *row)
{
	struct exec_job		*j;
	json_error_t		 jerr;
	int			 c;

	j = xcalloc(1, sizeof *j);
	j->d = d;
	j->a = a;
	j->account = xstrdup(row->account);
	j->row = row->id;
	j->action = row->action;
	j->attempts = row->attempts + 1;
	j->item = row->item;
	j->idem_key = xstrdup(row->idem_key);
	if ((j->params = json_loads(row->params ? row->params : "{}", 0,
	    &jerr)) == NULL)
		j->params = json_object();
	j->ca.kind = row->action;
	j->ca.item_id = exec_param(j->params, "item_id");
	j->ca.author_id = exec_param(j->params, "author_id");
	j->ca.mute_seconds = (long)json_integer_value(json_object_get(j->params,
	    "mute_seconds"));
	c = category_from_name(exec_param(j->params, "category") ?
	    exec_param(j->params, "category") : "");
	j->ca.category = c < 0 ? CAT_OFFTOPIC : (enum category)c;
	j->ca.rule = exec_param(j->params, "rule");
	j->ca.comment = exec_param(j->params, "comment");
	j->ca.forward = json_is_true(json_object_get(j->params, "forward"));
	j->ca.idempotency_key = j->idem_key;
	return j;
}

/*
 * Turns a due row of account a (NULL: no longer configured) into a job
 * with its request.  Returns NULL when the row was settled here (no
 * account, no request could be built).
 */
static struct exec_job *
exec_prepare(struct daemon *d, struct account *a,
    const struct store_outbox_row *row)
{
	struct exec_job		*j = exec_job_new(d, a, row);
	struct conn_error	 ce;

	if (a == NULL) {
		/*
		 * Nobody can send it: failed for good, with its audit entry and
		 * the item back in the editors' queue, like any other action
		 * that cannot be done.
		 */
		exec_fail(d, j, "account no longer configured");
		exec_job_free(j);
		return NULL;
	}
	if (row->action == ACT_NOTIFY) {
		if (exec_prepare_notify(d, j) == -1) {
			exec_job_free(j);
			return NULL;
		}
		return j;
	}
	conn_error_clear(&ce);
	if (a->conn->action_request(&a->ca, &j->ca, &j->req, &ce) == -1) {
		exec_fail(d, j, ce.msg);
		exec_job_free(j);
		return NULL;
	}
	return j;
}

/*
 * Inside the caller's open transaction: settles the answers received so
 * far and marks every due row that gets a slot "sent" (with its audit
 * entry).  Nothing leaves here; exec_unstage sends the staged jobs once
 * the transaction is committed, so a request is never on the wire while
 * its row could still read "pending".
 */
static int
exec_stage(struct daemon *d)
{
	struct store_outbox_row	*rows = NULL;
	struct store_err	 e = { { 0 } };
	struct exec_job		*j;
	struct account		*a;
	size_t			 n = 0, i;
	time_t			 now = daemon_now(d);

	d->exec_round_failed = false;
	while ((j = TAILQ_FIRST(&d->exec_answered)) != NULL) {
		TAILQ_REMOVE(&d->exec_answered, j, entry);
		exec_settle(d, j);
		TAILQ_INSERT_TAIL(&d->exec_settled, j, entry);
		/*
		 * SQLite ends a transaction by itself on some errors (a full
		 * disk, I/O): what follows would commit row by row.
		 */
		if (!store_in_transaction(d->store))
			d->exec_round_failed = true;
		if (d->exec_round_failed)
			return -1;
	}
	d->exec_backlog = false;
	if (d->exec_inflight + d->exec_nstaged >= EXEC_MAX_INFLIGHT) {
		d->exec_backlog = true;
		return 0;
	}
	if (store_outbox_due(d->store, now, EXEC_BATCH, &rows, &n, &e) == -1) {
		log_warnx("outbox: %s", e.msg);
		return 0;
	}
	/* a full batch may hide more due rows: look again soon */
	if (n == EXEC_BATCH)
		d->exec_backlog = true;
	for (i = 0; i < n && !d->exec_round_failed; i++) {
		if (d->exec_inflight + d->exec_nstaged >= EXEC_MAX_INFLIGHT) {
			d->exec_backlog = true;
			break;
		}
		/*
		 * Not due before its account's rate limit resets: otherwise
		 * one paused account's rows fill every batch and the other
		 * accounts' actions wait for that reset too.
		 */
		a = exec_account(d, rows[i].account);
		if (a != NULL && a->paused_until > now) {
			if (store_outbox_defer(d->store, rows[i].id,
			    a->paused_until, &e) == -1) {
				log_warnx("outbox %lld: %s",
				    (long long)rows[i].id, e.msg);
				store_err_clear(&e);
			}
			continue;
		}
		if ((j = exec_prepare(d, a, &rows[i])) == NULL)
			continue;
		if (store_outbox_mark_sent(d->store, j->row, now, &e) == -1) {
			log_warnx("outbox %lld: %s", (long long)j->row, e.msg);
			store_err_clear(&e);
			exec_job_free(j);
			/* an error that ended the transaction ends the round */
			if (!store_in_transaction(d->store))
				d->exec_round_failed = true;
			continue;
		}
		exec_audit(d, j, "action.sent", NULL, false);
		TAILQ_INSERT_TAIL(&d->exec_staged, j, entry);
		d->exec_nstaged++;
		if (!store_in_transaction(d->store))
			d->exec_round_failed = true;
	}
	store_outbox_rows_free(rows, n);
	return d->exec_round_failed ? -1 : 0;
}

static void
exec_submit(struct daemon *d, struct exec_job *j)
{
	int submitted;

	if (j->is_mail) {
		const struct config_notify *cn = &d->conf->notify;
		char **rcpts = NULL;
		size_t nr = notify_addresses(exec_param(j->params, "to"), &rcpts);

		submitted = httpc_submit_mail(d->http, cn->smtp_url,
		    cn->mail_from, rcpts, nr, j->mail, j->maillen,
		    d->conf->request_timeout * 1000L, exec_done_cb, j);
		notify_addresses_free(rcpts, nr);
	} else
		submitted = httpc_submit(d->http, &j->req,
		    d->conf->request_timeout * 1000L, exec_done_cb, j);
	d->exec_inflight++;
	if (submitted == -1) {
		/* answered at once as a transport error: retried */
		struct http_response none;

		memset(&none, 0, sizeof none);
		none.unsent = true;
		exec_done_cb(j, &none, "could not start request");
		return;
	}
	d->m.actions_sent[exec_bit_index(j->action)]++;
}

/*
 * After the transaction of exec_stage: committed, the settled jobs are
 * done and the staged ones leave (curl is kicked so that they are on the
 * wire before the loop turns to whatever waits next); rolled back, the
 * marks are gone, so the staged jobs are dropped (their rows are pending
 * again) and the answers go back to be settled in the next transaction.
 */
static void
exec_unstage(struct daemon *d, bool committed)
{
	struct exec_job	*j;
	size_t		 sent = 0, settled = 0;

	if (committed) {
		while ((j = TAILQ_FIRST(&d->exec_settled)) != NULL) {
			TAILQ_REMOVE(&d->exec_settled, j, entry);
			exec_job_free(j);
			settled++;
		}
	} else {
		while ((j = TAILQ_LAST(&d->exec_settled, exec_jobs)) != NULL) {
			TAILQ_REMOVE(&d->exec_settled, j, entry);
			TAILQ_INSERT_HEAD(&d->exec_answered, j, entry);
		}
	}
	while ((j = TAILQ_FIRST(&d->exec_staged)) != NULL) {
		TAILQ_REMOVE(&d->exec_staged, j, entry);
		d->exec_nstaged--;
		if (committed) {
			exec_submit(d, j);
			sent++;
		} else
			exec_job_free(j);
	}
	if (sent > 0)
		httpc_kick(d->http);
	/*
	 * Everything answered is settled: a round set for answers that this
	 * transaction has taken would only commit the answers that came in
	 * since, with an fsync of its own, before the next page could (in a
	 * catch-up: one such round for every other page).  The next answer
	 * sets it again.
	 */
	if (committed && TAILQ_EMPTY(&d->exec_answered) && !d->exec_backlog &&
	    d->exec_soon != NULL)
		evtimer_del(d->exec_soon);
	/* a round that keeps failing is tried less and less often, up to 1/s */
	if (committed && (sent > 0 || settled > 0))
		d->exec_retry_us = 0;
	else if (!committed)
		d->exec_retry_us = d->exec_retry_us == 0 ? EXEC_REFILL_US :
		    d->exec_retry_us >= 500000 ? 1000000 : d->exec_retry_us * 2;
	if (!committed && !TAILQ_EMPTY(&d->exec_answered))
		exec_schedule(d, d->exec_retry_us);
}

/*
 * After a round's writes were rolled back: what it settled is settled
 * again next time, so its counts go too (saved before the round).
 */
static void
exec_undone(struct daemon *d, const struct metrics *saved)
{
	d->m = *saved;
	exec_unstage(d, false);
}

/* One round, one commit: exec_stage in a transaction of its own. */
static void
executor_round(struct daemon *d)
{
	struct store_err	e = { { 0 } };
	struct metrics		saved;

	if (d->stopping || (TAILQ_EMPTY(&d->exec_answered) &&
	    d->exec_inflight >= EXEC_MAX_INFLIGHT))
		return;
	if (store_begin(d->store, &e) == -1) {
		log_warnx("outbox: %s", e.msg);
		return;
	}
	saved = d->m;
	if (exec_stage(d) == -1 || store_commit(d->store, &e) == -1) {
		if (e.msg[0] != '\0')
			log_warnx("outbox: %s", e.msg);
		store_rollback(d->store);
		exec_undone(d, &saved);
		return;
	}
	exec_unstage(d, true);
}

static void
executor_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*d = arg;
	struct timeval	 tv = { 1, 0 };

	executor_round(d);
	if (!d->stopping)
		evtimer_add(d->exec_timer, &tv);
}

/*
 * The screener's share of a round: called inside a page's transaction
 * after its items, so that the page's actions are marked "sent" by the
 * page's own commit (one fsync for both) and the answers that came in
 * meanwhile are settled by it too; executor_staged sends them after the
 * commit, before the loop turns to the next page.  In a savepoint: when
 * the round fails (an audit entry could not be written), only its part is
 * undone and the page's items still commit.  -1 only when the transaction
 * itself is gone, and the caller must roll back.
 */
int
executor_stage(struct daemon *d)
{
	struct store_err	e = { { 0 } };
	struct metrics		saved;

	if (d->exec_timer == NULL || d->stopping)
		return 0;
	if (store_savepoint(d->store, "exec_stage", &e) == -1) {
		log_warnx("outbox: %s", e.msg);
		return store_in_transaction(d->store) ? 0 : -1;
	}
	saved = d->m;
	if (exec_stage(d) == 0 &&
	    store_savepoint_release(d->store, "exec_stage", &e) == 0)
		return 0;
	if (store_savepoint_rollback(d->store, "exec_stage", &e) == -1) {
		log_warnx("outbox: %s", e.msg);
		d->m = saved;
		return -1;	/* the caller's rollback undoes the rest */
	}
	exec_undone(d, &saved);
	return 0;
}

void
executor_staged(struct daemon *d, bool committed)
{
	exec_unstage(d, committed);
}

static void
exec_soon_cb(evutil_socket_t fd, short what, void *arg)
{
	executor_round(arg);
}

/*
 * Group commit for the answers: each one used to get a round (and an
 * fsync) of its own.  Now a round waits EXEC_REFILL_US when due rows are
 * waiting for a slot, else EXEC_SETTLE_US; a page committed before then
 * settles the answers in its own transaction.  A confirmation that waits
 * costs nothing: until it is committed the row reads "sent", which a
 * restart resends with its idempotency key.
 */
static void
exec_schedule(struct daemon *d, long us)
{
	struct timespec	ts;
	struct timeval	tv;
	int64_t		now, at;

	if (d->exec_soon == NULL || d->stopping)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	at = now + us;
	/* pending or already due (active) sooner: leave it alone */
	if (event_pending(d->exec_soon, EV_TIMEOUT, NULL) &&
	    d->exec_soon_at <= at)
		return;
	d->exec_soon_at = at;
	tv.tv_sec = us / 1000000;
	tv.tv_usec = us % 1000000;
	evtimer_add(d->exec_soon, &tv);
}

/*
 * Activates the round rather than re-adding the timer with a zero
 * timeout: libevent takes a timer that has just expired off the active
 * list when it is re-added, so a kick per committed page would postpone
 * the round for as long as pages keep arriving.
 */
void
executor_kick(struct daemon *d)
{
	if (d->exec_timer != NULL && !d->stopping)
		event_active(d->exec_timer, EV_TIMEOUT, 1);
}

/*
 * A row a previous run left in "sent" whose repeat is not harmless: failed
 * to the editors.  Returns whether it was settled here.
 */
static bool
exec_resume_unsafe(struct daemon *d, const struct store_outbox_row *row)
{
	struct account	*a;
	struct exec_job	*j;
	bool		 harmless;

	if (row->action == ACT_NOTIFY ||
	    (a = exec_account(d, row->account)) == NULL)
		return false;	/* resent, or failed when it is due */
	j = exec_job_new(d, a, row);
	j->attempts = row->attempts;	/* the lost try was counted */
	if (!(harmless = exec_repeat_harmless(j)))
		exec_unknown(d, j, daemon_now(d),
		    "it may have been on the wire when the daemon last "
		    "stopped", true);
	exec_job_free(j);
	return !harmless;
}

/*
 * Resumes what a previous run left in "sent": every such row goes back to
 * pending and is resent with its idempotency key, unless a repeat would
 * not be harmless (see the file comment).
 */
int
executor_start(struct daemon *d)
{
	struct store_outbox_row	*rows = NULL;
	struct store_err	 e = { { 0 } };
	size_t			 n = 0, i, nfailed = 0;

	if (store_outbox_inflight(d->store, &rows, &n, &e) == -1) {
		log_warnx("outbox: %s", e.msg);
		return -1;
	}
	if (n > 0 && store_begin(d->store, &e) == -1) {
		log_warnx("outbox: %s", e.msg);
		store_outbox_rows_free(rows, n);
		return -1;
	}
	/* a row left "sent" would never be sent again: no start */
	d->exec_round_failed = false;
	for (i = 0; i < n && !d->exec_round_failed; i++) {
		if (exec_resume_unsafe(d, &rows[i])) {
			nfailed++;
			continue;
		}
		if (store_outbox_retry(d->store, rows[i].id, daemon_now(d),
		    "resumed after restart", true, daemon_now(d), &e) == -1 &&
		    !store_outbox_conflict(d->store)) {
			log_warnx("outbox %lld: %s", (long long)rows[i].id,
			    e.msg);
			d->exec_round_failed = true;
		}
		store_err_clear(&e);
	}
	if (n > 0 && (d->exec_round_failed ||
	    store_commit(d->store, &e) == -1)) {
		if (e.msg[0])
			log_warnx("outbox: %s", e.msg);
		store_rollback(d->store);
		store_outbox_rows_free(rows, n);
		return -1;
	}
	if (n > 0)
		log_info("%zu action(s) were in flight at the last stop: %zu "
		    "due again, %zu to the editors (not harmless to repeat)", n,
		    n - nfailed, nfailed);
	store_outbox_rows_free(rows, n);
	TAILQ_INIT(&d->exec_answered);
	TAILQ_INIT(&d->exec_settled);
	TAILQ_INIT(&d->exec_staged);
	d->exec_timer = evtimer_new(d->base, executor_timer_cb, d);
	d->exec_soon = evtimer_new(d->base, exec_soon_cb, d);
	executor_kick(d);
	return 0;
}

/* Settles answers not yet settled; after httpc_free, before exit. */
void
executor_flush(struct daemon *d)
{
	struct store_err	e = { { 0 } };
	struct metrics		saved;

	if (TAILQ_EMPTY(&d->exec_answered))
		return;
	if (store_begin(d->store, &e) == -1) {
		log_warnx("outbox: %s", e.msg);
		return;
	}
	saved = d->m;
	d->exec_round_failed = false;
	exec_settle_answered(d);
	if (d->exec_round_failed) {
		log_warnx("outbox: confirmations not stored: a write failed "
		    "(logged above); the rows stay \"sent\" for the next "
		    "start");
		store_rollback(d->store);
		d->m = saved;	/* daemon.stop counts what was stored */
		return;
	}
	if (store_commit(d->store, &e) == -1) {
		/* the rows stay "sent" for the next start (executor_start) */
		log_warnx("outbox: commit of confirmations failed: %s", e.msg);
		store_rollback(d->store);
		d->m = saved;
	}
}

void
executor_stop(struct daemon *d)
{
	if (d->exec_timer != NULL) {
		event_free(d->exec_timer);
		d->exec_timer = NULL;
	}
	if (d->exec_soon != NULL) {
		event_free(d->exec_soon);
		d->exec_soon = NULL;
	}
}
