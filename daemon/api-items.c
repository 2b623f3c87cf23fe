/*
 * api-items.c: one queued item.  The detail view (original text cut into
 * marked and unmarked segments, normalized text, rules and clauses,
 * decision, author history, thread, evidence, notes, outbox, audit), and
 * the editors' decisions: approve, dismiss, escalate, close, restore,
 * undo, assign and note.  Each decision is one transaction holding the
 * queue state change, its outbox rows, its history row and its audit
 * entry; platform effects go only through the outbox (the executor sends
 * them), never from here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "api.h"
#include "audit.h"
#include "evidence.h"
#include "log.h"
#include "normalize.h"
#include "queue.h"
#include "xmalloc.h"

#define REASON_MAX	1000
#define NOTE_MAX	4000

struct decide_ctx {
	struct api_req		*r;
	struct store_item	 it;
	struct account		*a;	/* NULL when no longer configured */
	const char		*verb;
	int64_t			 n;	/* decision number, for outbox keys */
	int64_t			 now;
	json_t			*queued, *withdrawn, *irreversible, *unsupported;
	json_t			*qids, *wids;	/* ids for the history row */
	struct store_err	 e;
};

static struct account *
items_account(struct daemon *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->naccounts; i++)
		if (strcmp(d->accounts[i].conf->name, name) == 0)
			return &d->accounts[i];
	return NULL;
}

json_t *
api_items_summary(struct api_req *r, int64_t item)
{
	struct store_err	 e = { "" };
	struct queue_hist	 h;
	json_t			*o = queue_item_summary(r->d->store, item, &e);
	int			 rc;

	if (o == NULL) {
		log_warnx("%s: %s", __func__, e.msg);
		return NULL;
	}
	rc = queue_hist_last(r->d->store, item, &h, &e);
	queue_hist_free(&h);
	json_object_set_new(o, "allowed", api_queue_allowed(r,
	    json_string_value(json_object_get(o, "state")), rc == 1));
	return o;
}

static json_t *
items_str(const char *s, size_t n)
{
	json_t	*j = json_stringn(s, n);
	char	*c;
	size_t	 i;

	if (j != NULL)
		return j;
	c = xmalloc(n + 1);
	memcpy(c, s, n);
	c[n] = '\0';
	for (i = 0; i < n; i++)
		if ((unsigned char)c[i] >= 0x80 || c[i] == '\0')
			c[i] = '?';
	j = json_stringn(c, n);
	free(c);
	return j;
}

static int
items_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The original text cut at every match boundary; each segment lists the
 * rules whose spans cover it.
 */
static json_t *
items_segments(const char *text, size_t len, const struct verdict *v)
{
	size_t	*cut = xreallocarray(NULL, 2 * v->nmatches + 2, sizeof *cut);
	size_t	 ncut = 0, i, k;
	json_t	*a = json_array();

	cut[ncut++] = 0;
	cut[ncut++] = len;
	for (i = 0; i < v->nmatches; i++) {
		if (v->matches[i].start < len)
			cut[ncut++] = v->matches[i].start;
		if (v->matches[i].end < len)
			cut[ncut++] = v->matches[i].end;
	}
	qsort(cut, ncut, sizeof *cut, items_cmp);
	for (i = 0; i + 1 < ncut; i++) {
		json_t *rules;

		if (cut[i] == cut[i + 1])
			continue;
		rules = json_array();
		for (k = 0; k < v->nmatches; k++) {
			const struct rs_match *m = &v->matches[k];
			size_t j;
			json_t *x;
			bool dup = false;

			if (m->start > cut[i] || m->end < cut[i + 1])
				continue;
			json_array_foreach(rules, j, x)
				if (strcmp(json_string_value(x), m->rule_id) == 0)
					dup = true;
			if (!dup)
				json_array_append_new(rules,
				    json_string(m->rule_id));
		}
		json_array_append_new(a, json_pack("{s:o, s:o}", "text",
		    items_str(text + cut[i], cut[i + 1] - cut[i]), "rules", rules));
	}
	free(cut);
	return a;
}

static void
items_classify(struct api_req *r, const struct store_item *it, json_t *o)
{
	struct daemon		*d = r->d;
	struct verdict		 v;
	const struct nz_text	*nz;
	const char		*text = it->text ? it->text : "";
	size_t			 len = strlen(text), i, j;
	json_t			*spans = json_array(), *rules = json_array(), *x;

	verdict_init(&v);
	rs_classify(d->rs, d->scratch, text, len, it->kind == STORE_KIND_DM ?
	    RS_SCOPE_DM : RS_SCOPE_COMMENT, &v);
	nz = rs_scratch_view(d->scratch, NZ_VIEW_NORM);
	json_object_set_new(o, "normalized", nz && nz->s ?
	    items_str(nz->s, nz->len) : json_string(""));
	json_object_set_new(o, "segments", items_segments(text, len, &v));
	for (i = 0; i < v.nmatches; i++) {
		const struct rs_match	*m = &v.matches[i];
		struct rs_rule_info	 ri;
		bool			 dup = false;

		json_array_append_new(spans, json_pack("{s:s, s:s, s:i, s:I, s:I,"
		    " s:s}", "rule", m->rule_id, "category",
		    category_name(m->category), "severity", m->severity,
		    "start", (json_int_t)m->start, "end", (json_int_t)m->end,
		    "what", m->what ? m->what : ""));
		json_array_foreach(rules, j, x)
			if (strcmp(json_string_value(json_object_get(x, "id")),
			    m->rule_id) == 0)
				dup = true;
		if (dup)
			continue;
		memset(&ri, 0, sizeof ri);
		(void)rs_rule_info(d->rs, m->rule, &ri);
		json_array_append_new(rules, json_pack("{s:s, s:s, s:s, s:i, s:s}",
		    "id", m->rule_id, "category", category_name(m->category),
		    "clause", category_clause(m->category), "severity",
		    m->severity, "description", ri.description ? ri.description :
		    ""));
	}
	json_object_set_new(o, "spans", spans);
	json_object_set_new(o, "matched_rules", rules);
	json_object_set_new(o, "current_ruleset", json_string(rs_hash(d->rs)));
	verdict_free(&v);
}

static const char sql_decision[] =
    "SELECT actions, mode, rule_ids, clause, reason, created_at FROM decisions"
    " WHERE item = ?1 ORDER BY id DESC LIMIT 1";

static json_t *
items_decision(struct store *st, int64_t item)
{
	struct store_err	 e = { "" };
	sqlite3_stmt		*s = store_stmt(st, sql_decision, &e);
	json_t			*o = json_null(), *acts;
	unsigned		 bit, a;

	if (s == NULL)
		return o;
	sqlite3_bind_int64(s, 1, item);
	if (sqlite3_step(s) == SQLITE_ROW) {
		a = (unsigned)sqlite3_column_int64(s, 0);
		acts = json_array();
		for (bit = 1; bit < (1u << ACT_KNOWN_BITS); bit <<= 1)
			if (a & bit)
				json_array_append_new(acts,
				    json_string(action_name(bit)));
		o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:I}", "actions", acts,
		    "mode", items_str((const char *)sqlite3_column_text(s, 1),
		    (size_t)sqlite3_column_bytes(s, 1)),
		    "rule_ids", items_str((const char *)sqlite3_column_text(s, 2),
		    (size_t)sqlite3_column_bytes(s, 2)),
		    "clause", items_str((const char *)sqlite3_column_text(s, 3),
		    (size_t)sqlite3_column_bytes(s, 3)),
		    "reason", items_str((const char *)sqlite3_column_text(s, 4),
		    (size_t)sqlite3_column_bytes(s, 4)),
		    "created_at", (json_int_t)sqlite3_column_int64(s, 5));
	}
	sqlite3_reset(s);
	return o;
}

void
api_items_get(struct api_req *r)
{
	struct store		*st = r->d->store;
	struct store_err	 e = { "" };
	struct store_item	 it;
	struct store_verdict_row v;
	struct audit_filter	 af;
	struct audit_entry	*ents;
	size_t			 n, i;
	json_t			*o, *x, *hist;
	char			*rec = NULL, sha[65];
	int64_t			 created, strikes = 0;
	int			 rc = 0;

	if (r->id <= 0 || (rc = store_item_get(st, r->id, &it, &e)) == 0) {
		api_error(r, 404, "no item %s", r->arg ? r->arg : "");
		return;
	}
	if (rc == -1) {
		log_warnx("%s: item %lld: %s", __func__, (long long)r->id, e.msg);
		api_error(r, 500, "store failure");
		return;
	}
	if ((o = api_items_summary(r, r->id)) == NULL) {
		store_item_free(&it);
		api_error(r, 500, "store failure");
		return;
	}
	items_classify(r, &it, o);
	json_object_set_new(o, "decision", items_decision(st, r->id));
	memset(&v, 0, sizeof v);
	if (store_verdict_get(st, r->id, &v, &e) == 1) {
		json_object_set_new(o, "verdict", json_pack("{s:s, s:b, s:o}",
		    "ruleset", v.ruleset, "review", v.review, "review_reason",
		    items_str(v.review_reason ? v.review_reason : "",
		    v.review_reason ? strlen(v.review_reason) : 0)));
		store_verdict_row_free(&v);
	} else
		json_object_set_new(o, "verdict", json_null());
	if (it.author_id != NULL && it.author_id[0] != '\0')
		(void)store_author_strike_count_since(st, it.platform, it.account,
		    it.author_id, 0, &strikes, &e);
	x = queue_author_items(st, r->id, 20, &e);
	json_object_set_new(o, "author_history", json_pack("{s:I, s:o}",
	    "strikes", (json_int_t)strikes, "items", x ? x : json_array()));
	x = queue_thread(st, r->id, &e);
	json_object_set_new(o, "thread", x ? x : json_null());
	if (store_evidence_get(st, r->id, &rec, sha, &created, &e) == 1) {
		json_t *rj = json_loads(rec, 0, NULL);

		json_object_set_new(o, "evidence", json_pack("{s:s, s:I, s:o}",
		    "sha256", sha, "created_at", (json_int_t)created,
		    "record", rj ? rj : json_null()));
	} else
		json_object_set_new(o, "evidence", json_null());
	free(rec);
	x = queue_notes(st, r->id, &e);
	json_object_set_new(o, "notes", x ? x : json_array());
	x = queue_outbox(st, r->id, &e);
	for (i = 0; x != NULL && i < json_array_size(x); i++) {
		json_t		*ob = json_array_get(x, i);
		const char	*state = json_string_value(json_object_get(ob,
				    "state"));

		json_object_set_new(ob, "outcome_unknown", json_boolean(
		    state != NULL && strcmp(state, "failed") == 0 &&
		    executor_failed_unknown(json_string_value(
		    json_object_get(ob, "last_error")))));
	}
	json_object_set_new(o, "outbox", x ? x : json_array());
	memset(&af, 0, sizeof af);
	af.item = r->id;
	af.limit = 200;
	hist = json_array();
	if (audit_query(st, &af, &ents, &n, &e) == 0) {
		for (i = 0; i < n; i++)
			json_array_append_new(hist, audit_entry_json(&ents[i]));
		audit_entries_free(ents, n);
	}
	json_object_set_new(o, "history", hist);
	store_item_free(&it);
	if (e.msg[0] != '\0')
		log_warnx("%s: item %lld: %s", __func__, (long long)r->id, e.msg);
	api_json(r, 200, o);
}

/* --- decisions ------------------------------------------------------------- */

static unsigned
items_inverse(unsigned bit)
{
	switch (bit) {
	case ACT_HIDE: return ACT_UNHIDE;
	case ACT_UNHIDE: return ACT_HIDE;
	case ACT_BLOCK: return ACT_UNBLOCK;
	case ACT_UNBLOCK: return ACT_BLOCK;
	case ACT_MUTE: return ACT_UNMUTE;
	case ACT_UNMUTE: return ACT_MUTE;
	default: return 0;
	}
}

/* The params of a new action on the item: what screen.c writes. */
static char *
items_params(struct decide_ctx *c, unsigned bit)
{
	struct store_verdict_row	 v;
	json_t				*m, *x, *p;
	const char			*rule = "", *cat = "offtopic";
	char				*out, comment[512];
	int				 best = -1;
	size_t				 i;

	memset(&v, 0, sizeof v);
	m = NULL;
	if (store_verdict_get(c->r->d->store, c->it.id, &v, NULL) == 1)
		m = json_loads(v.matches, 0, NULL);
	json_array_foreach(m, i, x) {
		int sev = (int)json_integer_value(json_object_get(x, "severity"));

		if (sev > best && json_is_string(json_object_get(x, "rule"))) {
			best = sev;
			rule = json_string_value(json_object_get(x, "rule"));
			cat = json_string_value(json_object_get(x, "category"));
		}
	}
	snprintf(comment, sizeof comment, "Verstoß gegen unsere Netiquette "
	    "(%s), Regel %s", category_from_name(cat) >= 0 ?
	    category_clause(category_from_name(cat)) : cat, rule);
	p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:s}",
	    "item_id", c->it.item_id, "author_id", c->it.author_id ?
	    c->it.author_id : "", "category", cat ? cat : "", "rule", rule,
	    "comment", comment, "mute_seconds", (json_int_t)(bit == ACT_MUTE ?
	    7 * 24 * 3600 : 0), "forward", c->a && c->a->conf->report_forward,
	    "rule_ids", rule);
	out = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(p);
	json_decref(m);
	store_verdict_row_free(&v);
	return out;
}

/*
 * Queues bit for the item; params NULL: build them.  0 or -1; *idp (may
 * be NULL) is the row, or 0 when the account cannot do bit.
 */
static int
items_queue(struct decide_ctx *c, unsigned bit, const char *params,
    int64_t *idp)
{
	char	 key[600], *own = NULL;
	int64_t	 id = 0;
	size_t	 i;
	int	 rc;

	if (idp != NULL)
		*idp = 0;

	if (c->a == NULL || (c->a->caps & bit) == 0) {
		json_array_append_new(c->unsupported, json_string(action_name(bit)));
		return 0;
	}
	/*
	 * The item's own key (API.md), for mute and block too: keyed by
	 * the author, an approval of the author's next item took the key of
	 * an earlier one (both decision 1) and sent nothing.
	 */
	snprintf(key, sizeof key, "%s/%s/%s/%s/%lld", c->it.account,
	    c->it.item_id, action_name(bit), c->verb, (long long)c->n);
	if (params == NULL)
		params = own = items_params(c, bit);
	rc = store_outbox_add(c->r->d->store, c->it.id, c->it.account, bit,
	    params, key, c->now, &id, &c->e);
	free(own);
	if (rc == -1)
		return -1;
	if (idp != NULL)
		*idp = id;
	/* asked for twice in one decision: one row, by its key */
	for (i = 0; i < json_array_size(c->qids); i++)
		if (json_integer_value(json_array_get(c->qids, i)) == id)
			return 0;
	json_array_append_new(c->queued, json_pack("{s:s, s:I}", "action",
	    action_name(bit), "outbox", (json_int_t)id));
	json_array_append_new(c->qids, json_integer(id));
	return 0;
}

static int
items_withdraw(struct decide_ctx *c, const struct store_outbox_row *row)
{
	if (store_outbox_abandon(c->r->d->store, row->id, c->verb, c->now,
	    &c->e) == -1)
		return -1;
	json_array_append_new(c->withdrawn, json_pack("{s:s, s:I}", "action",
	    action_name(row->action), "outbox", (json_int_t)row->id));
	json_array_append_new(c->wids, json_integer(row->id));
	return 0;
}

/*
 * Whether a row may have reached the platform: it was tried before.  A
 * try that did not count (a rate limit, a request cut off at a stop) gave
 * its attempt back but left its error.
 */
static bool
items_maybe_applied(const struct store_outbox_row *row)
{
	return row->state == STORE_OB_SENT || row->state == STORE_OB_DONE ||
	    row->attempts > 0 || (row->last_error != NULL &&
	    row->last_error[0] != '\0');
}

/*
 * Takes back one row of the item.  A row that never left is withdrawn.
 * Any other may have been applied: a done one; a pending one that was
 * tried before, whose answer was lost (a timeout, a 5xx after the
 * platform acted); a sent one, whose request is on the wire; a failed
 * one whose outcome is unknown (executor_failed_unknown).  Those are
 * inverted, and the pending and sent ones withdrawn as well, so that no
 * later try applies them after their inverse.  The inverse of a sent row
 * waits out the request's timeout: it cannot overtake the request.  A
 * row without an inverse (delete, report) cannot be taken back.
 */
static int
items_take_back(struct decide_ctx *c, const struct store_outbox_row *row)
{
	unsigned	inverse = items_inverse(row->action);
	int64_t		id;

	bool		unknown = row->state == STORE_OB_FAILED &&
			    executor_failed_unknown(row->last_error);

	/* a failed row did nothing, unless it failed for not knowing that */
	if (row->state == STORE_OB_ABANDONED ||
	    (row->state == STORE_OB_FAILED && !unknown))
		return 0;
	if (row->state == STORE_OB_PENDING && !items_maybe_applied(row))
		return items_withdraw(c, row);
	if (row->state != STORE_OB_DONE && !unknown &&
	    items_withdraw(c, row) == -1)
		return -1;
	if (inverse == 0) {
		json_array_append_new(c->irreversible,
		    json_string(action_name(row->action)));
		return 0;
	}
	if (items_queue(c, inverse, row->params, &id) == -1)
		return -1;
	/* its request ends by the timeout after it left (updated_at) */
	if (id != 0 && row->state == STORE_OB_SENT)
		return store_outbox_defer(c->r->d->store, id, row->updated_at +
		    c->r->d->conf->request_timeout + 1, &c->e);
	return 0;
}

/*
 * Restores the item on the platform: per reversible pair (hide/unhide,
 * block/unblock, mute/unmute) the last live row decides, and an effect
 * is taken back (items_take_back).  So are deletes and reports: one that
 * never left is withdrawn; one that may have been applied is reported
 * as irreversible.
 */
static int
items_restore(struct decide_ctx *c)
{
	static const unsigned pairs[] = { ACT_HIDE, ACT_BLOCK, ACT_MUTE };
	struct store_outbox_row	*rows;
	int64_t			*ids;
	size_t			 n, i, p;
	int			 rc = 0;

	if (queue_outbox_ids(c->r->d->store, c->it.id, &ids, &n, &c->e) == -1)
		return -1;
	rows = xcalloc(n ? n : 1, sizeof *rows);
	for (i = 0; i < n; i++)
		if (store_outbox_get(c->r->d->store, ids[i], &rows[i], &c->e) == -1)
			rc = -1;
	for (p = 0; rc == 0 && p < sizeof pairs / sizeof pairs[0]; p++) {
		struct store_outbox_row *last = NULL;

		for (i = 0; i < n; i++)
			if ((rows[i].action == pairs[p] ||
			    rows[i].action == items_inverse(pairs[p])) &&
			    rows[i].state != STORE_OB_ABANDONED &&
			    rows[i].state != STORE_OB_FAILED)
				last = &rows[i];
		if (last == NULL || last->action != pairs[p])
			continue;
		rc = items_take_back(c, last);
	}
	for (i = 0; rc == 0 && i < n; i++)
		if (rows[i].action == ACT_DELETE || rows[i].action == ACT_REPORT)
			rc = items_take_back(c, &rows[i]);
	for (i = 0; i < n; i++)
		if (rows[i].id != 0)
			store_outbox_row_free(&rows[i]);
	free(rows);
	free(ids);
	return rc;
}

/* Reverses what the decision described by effects did. */
static int
items_unapply(struct decide_ctx *c, const char *effects)
{
	json_t			*ef = json_loads(effects, 0, NULL), *v;
	struct store_outbox_row	 row;
	size_t			 i;
	int			 rc = 0;

	json_array_foreach(json_object_get(ef, "queued"), i, v) {
		if (rc == -1 || store_outbox_get(c->r->d->store,
		    json_integer_value(v), &row, &c->e) == -1) {
			rc = -1;
			break;
		}
		rc = items_take_back(c, &row);
		store_outbox_row_free(&row);
	}
	json_array_foreach(json_object_get(ef, "withdrawn"), i, v) {
		if (rc == -1 || store_outbox_get(c->r->d->store,
		    json_integer_value(v), &row, &c->e) == -1) {
			rc = -1;
			break;
		}
		/*
		 * A delete or report that may have been carried out before it
		 * was withdrawn is not queued again: a second report is a
		 * second report, a second delete a failure.
		 */
		if (items_inverse(row.action) == 0 && items_maybe_applied(&row))
			json_array_append_new(c->irreversible,
			    json_string(action_name(row.action)));
		else
			rc = items_queue(c, row.action, row.params, NULL);
		store_outbox_row_free(&row);
	}
	json_decref(ef);
	return rc;
}

static bool
items_allowed(enum users_role role, const char *state, bool hist,
    const char *verb)
{
	json_t	*a = api_queue_allowed_role(role, state, hist), *v;
	size_t	 i;
	bool	 ok = false;

	json_array_foreach(a, i, v)
		if (strcmp(json_string_value(v), verb) == 0)
			ok = true;
	json_decref(a);
	return ok;
}

static const char *
items_target(const char *verb, const char *from)
{
	if (strcmp(verb, "approve") == 0)
		return "approved";
	if (strcmp(verb, "dismiss") == 0 || strcmp(verb, "restore") == 0)
		return "dismissed";
	if (strcmp(verb, "escalate") == 0)
		return "escalated";
	if (strcmp(verb, "close") == 0)
		return "closed";
	return from;
}

int
api_items_check(struct api_req *r, const char *verb, const char *reason,
    const char *assignee, int *status, char *msg, size_t msglen)
{
	bool is_assign = strcmp(verb, "assign") == 0;

	if (strcmp(verb, "undo") != 0 && !is_assign &&
	    strcmp(verb, "approve") != 0 && strcmp(verb, "dismiss") != 0 &&
	    strcmp(verb, "escalate") != 0 && strcmp(verb, "close") != 0 &&
	    strcmp(verb, "restore") != 0) {
		*status = 400;
		snprintf(msg, msglen, "unknown decision %.64s (approve, dismiss, "
		    "escalate, close, restore, undo, assign)", verb);
		return -1;
	}
	if (!is_assign && (reason == NULL || reason[0] == '\0' ||
	    strlen(reason) > REASON_MAX)) {
		*status = 400;
		snprintf(msg, msglen, "a reason (1 to %d bytes) is required",
		    REASON_MAX);
		return -1;
	}
	if (is_assign) {
		struct users_user u;

		if (assignee == NULL) {
			*status = 400;
			snprintf(msg, msglen, "assignee is required (\"\" for nobody)");
			return -1;
		}
		if (assignee[0] != '\0' && users_get(r->d->store, assignee, &u,
		    NULL) != 1) {
			*status = 400;
			snprintf(msg, msglen, "no user %.64s", assignee);
			return -1;
		}
	}
	return 0;
}

int
api_items_apply(struct api_req *r, int64_t item, const char *verb,
    const char *reason, const char *assignee, json_t **result, int *status,
    char *msg, size_t msglen)
{
	struct daemon			*d = r->d;
	struct store			*st = d->store;
	struct decide_ctx		 c;
	struct store_queue_entry	 q;
	struct queue_hist		 h;
	const char			*from, *to;
	bool				 hist, is_undo, is_assign, ok = false;
	json_t				*detail, *effects;
	char				*ej = NULL, kind[32];
	int				 rc;

	*result = NULL;
	memset(&c, 0, sizeof c);
	memset(&h, 0, sizeof h);
	c.r = r;
	c.verb = verb;
	c.now = time(NULL);
	is_undo = strcmp(verb, "undo") == 0;
	is_assign = strcmp(verb, "assign") == 0;
	if (api_items_check(r, verb, reason, assignee, status, msg,
	    msglen) == -1)
		return -1;
	if ((rc = queue_entry_get(st, item, &q, &c.e)) != 1) {
		*status = rc == 0 ? 404 : 500;
		snprintf(msg, msglen, rc == 0 ? "item %lld is not in the queue" :
		    "store failure", (long long)item);
		return -1;
	}
	free(q.assignee);
	from = store_queue_state_name(q.state);
	if ((rc = queue_hist_last(st, item, &h, &c.e)) == -1) {
		*status = 500;
		snprintf(msg, msglen, "store failure");
		return -1;
	}
	hist = rc == 1;
	if (!is_assign && !items_allowed(r->session.user.role, from, hist,
	    verb)) {
		queue_hist_free(&h);
		/*
		 * 403 when the role is the reason: the item is with legal,
		 * or another role could take the decision now.
		 */
		*status = (r->session.user.role == USERS_EDITOR &&
		    (q.state == STORE_Q_ESCALATED ||
		    q.state == STORE_Q_CLOSED)) ||
		    items_allowed(USERS_ADMIN, from, hist, verb) ? 403 : 409;
		if (is_undo && !hist)
			snprintf(msg, msglen, "item %lld has no decision to undo",
			    (long long)item);
		else if (r->session.user.role == USERS_EDITOR &&
		    (q.state == STORE_Q_ESCALATED || q.state == STORE_Q_CLOSED))
			snprintf(msg, msglen, "cannot %s item %lld: it is %s and "
			    "with legal review", verb, (long long)item, from);
		else if (*status == 403)
			snprintf(msg, msglen, "cannot %s item %lld: not for the "
			    "role %s while it is %s", verb, (long long)item,
			    users_role_name(r->session.user.role), from);
		else
			snprintf(msg, msglen, "cannot %s item %lld: it is %s", verb,
			    (long long)item, from);
		return -1;
	}
	if (store_item_get(st, item, &c.it, &c.e) != 1) {
		queue_hist_free(&h);
		*status = 500;
		snprintf(msg, msglen, "store failure");
		return -1;
	}
	c.a = items_account(d, c.it.account);
	c.n = queue_hist_count(st, item) + 1;
	c.queued = json_array();
	c.withdrawn = json_array();
	c.irreversible = json_array();
	c.unsupported = json_array();
	c.qids = json_array();
	c.wids = json_array();
	to = is_undo ? h.from : items_target(verb, from);

	if (store_begin(st, &c.e) == -1)
		goto out;
	rc = 0;
	if (strcmp(verb, "approve") == 0) {
		unsigned bit;

		for (bit = 1; rc == 0 && bit < (1u << ACT_KNOWN_BITS); bit <<= 1)
			if ((q.proposed & bit) && (bit & POLICY_PLATFORM_ACTS))
				rc = items_queue(&c, bit, NULL, NULL);
	} else if (strcmp(verb, "dismiss") == 0 || strcmp(verb, "restore") == 0)
		rc = items_restore(&c);
	else if (strcmp(verb, "escalate") == 0) {
		char sha[65];

		rc = evidence_snapshot(st, item, api_actor(r), sha, &c.e) < 0 ?
		    -1 : 0;
	} else if (is_undo)
		rc = items_unapply(&c, h.effects);
	if (rc == 0)
		rc = store_queue_set_state(st, item, store_queue_state_from_name(to),
		    is_assign ? assignee : NULL, c.now, &c.e);
	if (rc == 0 && is_undo)
		rc = queue_hist_undone(st, h.id, &c.e);
	effects = json_pack("{s:O, s:O}", "queued", c.qids, "withdrawn", c.wids);
	ej = json_dumps(effects, JSON_COMPACT);
	json_decref(effects);
	if (rc == 0 && !is_assign)
		rc = queue_hist_add(st, item, verb, from, to, api_actor(r),
		    reason, ej, c.now, &c.e);
	if (rc == 0) {
		detail = json_pack("{s:s, s:s, s:s, s:O, s:O, s:O, s:O}",
		    "from", from, "to", to, "reason", reason ? reason : "",
		    "queued", c.queued, "withdrawn", c.withdrawn,
		    "irreversible", c.irreversible, "unsupported", c.unsupported);
		if (is_assign)
			json_object_set_new(detail, "assignee", json_string(assignee));
		if (detail == NULL)	/* reason was not UTF-8 */
			detail = json_pack("{s:s, s:s}", "from", from, "to", to);
		if (is_undo)
			json_object_set_new(detail, "undone", json_string(h.verb));
		snprintf(kind, sizeof kind, "queue.%s", verb);
		rc = audit_append(st, api_actor(r), kind, item, detail, NULL, &c.e);
		json_decref(detail);
	}
	if (rc == 0 && store_commit(st, &c.e) == 0)
		ok = true;
	else
		store_rollback(st);
out:
	free(ej);
	queue_hist_free(&h);
	if (!ok) {
		log_warnx("%s: item %lld %s: %s", __func__, (long long)item, verb,
		    c.e.msg);
		*status = 500;
		snprintf(msg, msglen, "store failure");
	} else {
		if (json_array_size(c.queued) > 0)
			executor_kick(d);
		api_events_queue(d, item, to, r->session.user.name);
		*result = json_pack("{s:o, s:O, s:O, s:O, s:O}",
		    "item", api_items_summary(r, item), "queued", c.queued,
		    "withdrawn", c.withdrawn, "irreversible", c.irreversible,
		    "unsupported", c.unsupported);
	}
	json_decref(c.queued);
	json_decref(c.withdrawn);
	json_decref(c.irreversible);
	json_decref(c.unsupported);
	json_decref(c.qids);
	json_decref(c.wids);
	store_item_free(&c.it);
	return ok ? 0 : -1;
}

static void
items_respond(struct api_req *r, const char *verb, const char *reason,
    const char *assignee)
{
	json_t	*out;
	int	 status;
	char	 msg[300];

	if (r->id <= 0) {
		api_error(r, 404, "no item %s", r->arg ? r->arg : "");
		return;
	}
	if (api_items_apply(r, r->id, verb, reason, assignee, &out, &status, msg,
	    sizeof msg) == -1) {
		api_error(r, status, "%s", msg);
		return;
	}
	api_json(r, 200, out);
}

void
api_items_decide(struct api_req *r)
{
	const char *verb = api_body_str(r, "decision");

	if (verb == NULL) {
		api_error(r, 400, "decision is required (approve, dismiss, escalate,"
		    " close, restore)");
		return;
	}
	if (strcmp(verb, "undo") == 0 || strcmp(verb, "assign") == 0) {
		api_error(r, 400, "use /api/items/%lld/%s", (long long)r->id, verb);
		return;
	}
	items_respond(r, verb, api_body_str(r, "reason"), NULL);
}

void
api_items_undo(struct api_req *r)
{
	items_respond(r, "undo", api_body_str(r, "reason"), NULL);
}

void
api_items_assign(struct api_req *r)
{
	items_respond(r, "assign", api_body_str(r, "reason"),
	    api_body_str(r, "assignee"));
}

void
api_items_note(struct api_req *r)
{
	struct store_err		 e = { "" };
	struct store_queue_entry	 q;
	const char			*text = api_body_str(r, "text");
	int64_t				 now = time(NULL);
	json_t				*detail;
	int				 rc;

	if (text == NULL || text[0] == '\0' || strlen(text) > NOTE_MAX) {
		api_error(r, 400, "text (1 to %d bytes) is required", NOTE_MAX);
		return;
	}
	if (r->id <= 0 || (rc = queue_entry_get(r->d->store, r->id, &q, &e)) == 0) {
		api_error(r, 404, "item %s is not in the queue", r->arg ? r->arg : "");
		return;
	}
	if (rc == 1)
		free(q.assignee);
	detail = json_pack("{s:s}", "text", text);
	if (rc == -1 || store_begin(r->d->store, &e) == -1 ||
	    store_queue_note_add(r->d->store, r->id, r->session.user.name, text,
	    now, &e) == -1 || audit_append(r->d->store, api_actor(r), "queue.note",
	    r->id, detail, NULL, &e) == -1 || store_commit(r->d->store, &e) == -1) {
		store_rollback(r->d->store);
		json_decref(detail);
		log_warnx("%s: %s", __func__, e.msg);
		api_error(r, 500, "store failure");
		return;
	}
	json_decref(detail);
	api_events_queue(r->d, r->id, store_queue_state_name(q.state),
	    r->session.user.name);
	api_json(r, 200, json_pack("{s:{s:s, s:s, s:I}}", "note", "author",
	    r->session.user.name, "text", text, "created_at", (json_int_t)now));
}
