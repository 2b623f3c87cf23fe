/*
 * queue.c: queries behind the editors' queue API (queue.h).  Plain SQL on
 * the store's tables through store_stmt(); JSON built with jansson so that
 * hostile text is only ever encoded, never interpreted.  Owns the
 * queue_history table; does not decide or send anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "category.h"
#include "queue.h"
#include "xmalloc.h"

static int
queue_fail(struct store *st, struct store_err *e, const char *what)
{
	store_err_set(e, "%s: %s", what, sqlite3_errmsg(store_db(st)));
	return -1;
}

static void
queue_bind(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

static const char *
col(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);

	return v ? v : "";
}

/* Collects column 0 of every row as int64; 0 or -1. */
static int
queue_ids(struct store *st, sqlite3_stmt *s, int64_t **ids, size_t *n,
    struct store_err *e)
{
	size_t	cap = 0;
	int	rc;

	*ids = NULL;
	*n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			*ids = xreallocarray(*ids, cap, sizeof **ids);
		}
		(*ids)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return queue_fail(st, e, "query");
	}
	return 0;
}

static int
queue_int(struct store *st, sqlite3_stmt *s, int64_t *v, struct store_err *e)
{
	int rc = sqlite3_step(s);

	*v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return queue_fail(st, e, "query");
	return 0;
}

#define QUEUE_WHERE \
    " FROM queue q JOIN items i ON i.id = q.item" \
    " WHERE (?1 IS NULL OR q.state = ?1) AND (?2 IS NULL OR i.platform = ?2)" \
    " AND (?3 IS NULL OR i.account = ?3) AND (?4 IS NULL OR q.assignee = ?4)" \
    " AND (?5 IS NULL OR q.updated_at >= ?5 OR q.created_at >= ?5)" \
    " AND (?6 IS NULL OR EXISTS (SELECT 1 FROM verdicts v, json_each(v.categories) c" \
    "   WHERE v.item = i.id AND c.key = ?6 AND v.id = (SELECT max(id) FROM" \
    "   verdicts WHERE item = i.id)))"
static const char sql_find[] =
    "SELECT q.item" QUEUE_WHERE " ORDER BY q.created_at, q.item LIMIT ?7 OFFSET ?8";
static const char sql_find_count[] = "SELECT count(*)" QUEUE_WHERE;

static void
queue_bind_filter(sqlite3_stmt *s, const struct queue_filter *f)
{
	const char *as = f->assignee;

	if (as != NULL && strcmp(as, "-") == 0)
		as = "";
	queue_bind(s, 1, f->state >= 0 ? store_queue_state_name(f->state) : NULL);
	queue_bind(s, 2, f->platform);
	queue_bind(s, 3, f->account);
	queue_bind(s, 4, as);
	if (f->since > 0)
		sqlite3_bind_int64(s, 5, f->since);
	queue_bind(s, 6, f->category);
}

int
queue_find(struct store *st, const struct queue_filter *f, int64_t **ids,
    size_t *n, int64_t *total, struct store_err *e)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, sql_find_count, e)) == NULL)
		return -1;
	queue_bind_filter(s, f);
	if (queue_int(st, s, total, e) == -1)
		return -1;
	if ((s = store_stmt(st, sql_find, e)) == NULL)
		return -1;
	queue_bind_filter(s, f);
	sqlite3_bind_int64(s, 7, f->limit ? (int64_t)f->limit : 50);
	sqlite3_bind_int64(s, 8, (int64_t)f->offset);
	return queue_ids(st, s, ids, n, e);
}

static const char sql_entry[] =
    "SELECT state, proposed, assignee, created_at, updated_at FROM queue"
    " WHERE item = ?1";

int
queue_entry_get(struct store *st, int64_t item, struct store_queue_entry *q,
    struct store_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	memset(q, 0, sizeof *q);
	if ((s = store_stmt(st, sql_entry, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, item);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		q->item = item;
		q->state = store_queue_state_from_name(col(s, 0));
		q->proposed = (unsigned)sqlite3_column_int64(s, 1);
		q->assignee = xstrdup(col(s, 2));
		q->created_at = sqlite3_column_int64(s, 3);
		q->updated_at = sqlite3_column_int64(s, 4);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return queue_fail(st, e, "queue entry");
}

static json_t *
queue_actions_json(unsigned acts)
{
	json_t		*a = json_array();
	unsigned	 bit;

	for (bit = 1; bit < (1u << ACT_KNOWN_BITS); bit <<= 1)
		if ((acts & bit) && action_name(bit) != NULL)
			json_array_append_new(a, json_string(action_name(bit)));
	return a;
}

/* Strings from the store may be invalid UTF-8: jansson would refuse them. */
static json_t *
queue_str(const char *s)
{
	json_t	*j;
	char	*c;
	size_t	 i;

	if (s == NULL)
		s = "";
	if ((j = json_string(s)) != NULL)
		return j;
	c = xstrdup(s);
	for (i = 0; c[i] != '\0'; i++)
		if ((unsigned char)c[i] >= 0x80)
			c[i] = '?';
	j = json_string(c);
	free(c);
	return j;
}

static const char sql_notes_count[] =
    "SELECT count(*) FROM queue_notes WHERE item = ?1";

json_t *
queue_item_summary(struct store *st, int64_t item, struct store_err *e)
{
	struct store_item		 it;
	struct store_queue_entry	 q;
	struct store_verdict_row	 v;
	sqlite3_stmt			*s;
	json_t				*o, *cats, *rules, *m, *x;
	int64_t				 notes = 0;
	int				 rc, qrc;
	size_t				 i;
	const char			*k;

	if ((rc = store_item_get(st, item, &it, e)) != 1) {
		if (rc == 0)
			store_err_set(e, "no item %lld", (long long)item);
		return NULL;
	}
	if ((qrc = queue_entry_get(st, item, &q, e)) == -1) {
		store_item_free(&it);
		return NULL;
	}
	o = json_object();
	json_object_set_new(o, "id", json_integer(item));
	json_object_set_new(o, "platform", queue_str(it.platform));
	json_object_set_new(o, "account", queue_str(it.account));
	json_object_set_new(o, "item_id", queue_str(it.item_id));
	json_object_set_new(o, "kind", json_string(store_kind_name(it.kind)));
	json_object_set_new(o, "permalink", queue_str(it.permalink));
	json_object_set_new(o, "author", json_pack("{s:o, s:o, s:o}",
	    "id", queue_str(it.author_id), "handle", queue_str(it.author_handle),
	    "name", queue_str(it.author_name)));
	json_object_set_new(o, "text", queue_str(it.text));
	json_object_set_new(o, "created_at", json_integer(it.created_at));
	json_object_set_new(o, "fetched_at", json_integer(it.fetched_at));
	json_object_set_new(o, "parent_id", it.parent_id && it.parent_id[0] ?
	    queue_str(it.parent_id) : json_null());
	if (qrc == 1) {
		json_object_set_new(o, "state",
		    json_string(store_queue_state_name(q.state)));
		json_object_set_new(o, "proposed", queue_actions_json(q.proposed));
		json_object_set_new(o, "assignee", queue_str(q.assignee));
		json_object_set_new(o, "queued_at", json_integer(q.created_at));
		json_object_set_new(o, "updated_at", json_integer(q.updated_at));
		free(q.assignee);
	} else {
		json_object_set_new(o, "state", json_null());
		json_object_set_new(o, "proposed", json_array());
		json_object_set_new(o, "assignee", json_string(""));
		json_object_set_new(o, "queued_at", json_null());
		json_object_set_new(o, "updated_at", json_null());
	}
	store_item_free(&it);

	cats = json_array();
	rules = json_array();
	memset(&v, 0, sizeof v);
	if ((rc = store_verdict_get(st, item, &v, e)) == -1) {
		json_decref(o);
		json_decref(cats);
		json_decref(rules);
		return NULL;
	}
	json_object_set_new(o, "severity", json_integer(rc == 1 ? v.severity : 0));
	if (rc == 1) {
		if ((m = json_loads(v.categories, 0, NULL)) != NULL) {
			json_object_foreach(m, k, x)
				json_array_append_new(cats, json_string(k));
			json_decref(m);
		}
		if ((m = json_loads(v.matches, 0, NULL)) != NULL) {
			json_array_foreach(m, i, x) {
				json_t	*r = json_object_get(x, "rule");
				size_t	 j;
				json_t	*y;
				bool	 dup = false;

				if (!json_is_string(r))
					continue;
				json_array_foreach(rules, j, y)
					if (json_equal(y, r))
						dup = true;
				if (!dup)
					json_array_append(rules, r);
			}
			json_decref(m);
		}
		store_verdict_row_free(&v);
	}
	json_object_set_new(o, "categories", cats);
	json_object_set_new(o, "rules", rules);
	if ((s = store_stmt(st, sql_notes_count, e)) == NULL ||
	    (sqlite3_bind_int64(s, 1, item), queue_int(st, s, &notes, e)) == -1) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "notes", json_integer(notes));
	return o;
}

static json_t *
queue_summaries(struct store *st, sqlite3_stmt *s, struct store_err *e)
{
	int64_t	*ids;
	size_t	 n, i;
	json_t	*a, *o;

	if (queue_ids(st, s, &ids, &n, e) == -1)
		return NULL;
	a = json_array();
	for (i = 0; i < n; i++) {
		if ((o = queue_item_summary(st, ids[i], e)) == NULL) {
			free(ids);
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, o);
	}
	free(ids);
	return a;
}

static const char sql_author_items[] =
    "SELECT o.id FROM items i JOIN items o ON o.platform = i.platform"
    " AND o.account = i.account AND o.author_id = i.author_id"
    " WHERE i.id = ?1 AND o.id != i.id AND i.author_id != ''"
    " ORDER BY o.created_at DESC, o.id DESC LIMIT ?2";

json_t *
queue_author_items(struct store *st, int64_t item, size_t limit,
    struct store_err *e)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, sql_author_items, e)) == NULL)
		return NULL;
	sqlite3_bind_int64(s, 1, item);
	sqlite3_bind_int64(s, 2, (int64_t)limit);
	return queue_summaries(st, s, e);
}

static const char sql_parent[] =
    "SELECT p.id FROM items i JOIN items p ON p.platform = i.platform"
    " AND p.account = i.account AND p.item_id = i.parent_id WHERE i.id = ?1";
static const char sql_replies[] =
    "SELECT r.id FROM items i JOIN items r ON r.platform = i.platform"
    " AND r.account = i.account AND (r.parent_id = i.item_id OR"
    " (i.parent_id IS NOT NULL AND i.parent_id != '' AND r.parent_id = i.parent_id))"
    " WHERE i.id = ?1 AND r.id != i.id ORDER BY r.created_at, r.id LIMIT 20";

json_t *
queue_thread(struct store *st, int64_t item, struct store_err *e)
{
	sqlite3_stmt	*s;
	int64_t		 parent = 0;
	json_t		*o = json_object(), *p = NULL, *r;
	struct store_item it;

	if (store_item_get(st, item, &it, e) == 1) {
		json_object_set_new(o, "parent_id", it.parent_id && it.parent_id[0]
		    ? queue_str(it.parent_id) : json_null());
		store_item_free(&it);
	}
	if ((s = store_stmt(st, sql_parent, e)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, item);
	if (queue_int(st, s, &parent, e) == -1)
		goto fail;
	if (parent > 0 && (p = queue_item_summary(st, parent, e)) == NULL)
		goto fail;
	json_object_set_new(o, "parent", p ? p : json_null());
	if ((s = store_stmt(st, sql_replies, e)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, item);
	if ((r = queue_summaries(st, s, e)) == NULL)
		goto fail;
	json_object_set_new(o, "replies", r);
	return o;
fail:
	json_decref(o);
	return NULL;
}

static const char sql_notes[] =
    "SELECT author, text, created_at FROM queue_notes WHERE item = ?1"
    " ORDER BY id";

json_t *
queue_notes(struct store *st, int64_t item, struct store_err *e)
{
	sqlite3_stmt	*s;
	json_t		*a;
	int		 rc;

	if ((s = store_stmt(st, sql_notes, e)) == NULL)
		return NULL;
	sqlite3_bind_int64(s, 1, item);
	a = json_array();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:o, s:o, s:I}",
		    "author", queue_str(col(s, 0)), "text", queue_str(col(s, 1)),
		    "created_at", (json_int_t)sqlite3_column_int64(s, 2)));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(a);
		queue_fail(st, e, "notes");
		return NULL;
	}
	return a;
}

static const char sql_outbox[] =
    "SELECT id, action, state, attempts, last_error, updated_at FROM outbox"
    " WHERE item = ?1 ORDER BY id";
static const char sql_outbox_ids[] =
    "SELECT id FROM outbox WHERE item = ?1 ORDER BY id";

json_t *
queue_outbox(struct store *st, int64_t item, struct store_err *e)
{
	sqlite3_stmt	*s;
	json_t		*a;
	int		 rc;

	if ((s = store_stmt(st, sql_outbox, e)) == NULL)
		return NULL;
	sqlite3_bind_int64(s, 1, item);
	a = json_array();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:I, s:o, s:o, s:i, s:o, s:I}",
		    "id", (json_int_t)sqlite3_column_int64(s, 0),
		    "action", queue_str(col(s, 1)), "state", queue_str(col(s, 2)),
		    "attempts", sqlite3_column_int(s, 3),
		    "last_error", queue_str(col(s, 4)),
		    "updated_at", (json_int_t)sqlite3_column_int64(s, 5)));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(a);
		queue_fail(st, e, "outbox");
		return NULL;
	}
	return a;
}

int
queue_outbox_ids(struct store *st, int64_t item, int64_t **ids, size_t *n,
    struct store_err *e)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, sql_outbox_ids, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, item);
	return queue_ids(st, s, ids, n, e);
}

/* --- history ---------------------------------------------------------------- */

static const char sql_hist_add[] =
    "INSERT INTO queue_history (item, verb, from_state, to_state, actor,"
    " reason, effects, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char sql_hist_last[] =
    "SELECT id, verb, from_state, to_state, effects FROM queue_history"
    " WHERE item = ?1 AND undone = 0 AND verb != 'undo'"
    " ORDER BY id DESC LIMIT 1";
static const char sql_hist_undone[] =
    "UPDATE queue_history SET undone = 1 WHERE id = ?1";
static const char sql_hist_count[] =
    "SELECT count(*) FROM queue_history WHERE item = ?1";

int
queue_hist_add(struct store *st, int64_t item, const char *verb,
    const char *from, const char *to, const char *actor, const char *reason,
    const char *effects, int64_t now, struct store_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store_stmt(st, sql_hist_add, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, item);
	queue_bind(s, 2, verb);
	queue_bind(s, 3, from);
	queue_bind(s, 4, to);
	queue_bind(s, 5, actor);
	queue_bind(s, 6, reason);
	queue_bind(s, 7, effects ? effects : "{}");
	sqlite3_bind_int64(s, 8, now);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : queue_fail(st, e, "history");
}

int
queue_hist_last(struct store *st, int64_t item, struct queue_hist *h,
    struct store_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	memset(h, 0, sizeof *h);
	if ((s = store_stmt(st, sql_hist_last, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, item);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		h->id = sqlite3_column_int64(s, 0);
		snprintf(h->verb, sizeof h->verb, "%s", col(s, 1));
		snprintf(h->from, sizeof h->from, "%s", col(s, 2));
		snprintf(h->to, sizeof h->to, "%s", col(s, 3));
		h->effects = xstrdup(col(s, 4));
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : queue_fail(st, e, "history");
}

int
queue_hist_undone(struct store *st, int64_t id, struct store_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store_stmt(st, sql_hist_undone, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : queue_fail(st, e, "history");
}

int64_t
queue_hist_count(struct store *st, int64_t item)
{
	sqlite3_stmt	*s;
	int64_t		 n = 0;

	if ((s = store_stmt(st, sql_hist_count, NULL)) == NULL)
		return 0;
	sqlite3_bind_int64(s, 1, item);
	(void)queue_int(st, s, &n, NULL);
	return n;
}

void
queue_hist_free(struct queue_hist *h)
{
	free(h->effects);
	h->effects = NULL;
}

/* --- rule quality ------------------------------------------------------------- */

#define RULE_HITS \
    " FROM verdicts v JOIN json_each(v.matches) m LEFT JOIN queue q" \
    " ON q.item = v.item WHERE v.id = (SELECT max(id) FROM verdicts" \
    " WHERE item = v.item)"
static const char sql_quality[] =
    "SELECT json_extract(m.value, '$.rule') AS rule, count(DISTINCT v.item),"
    " count(DISTINCT CASE WHEN q.state = 'open' THEN v.item END),"
    " count(DISTINCT CASE WHEN q.state = 'approved' THEN v.item END),"
    " count(DISTINCT CASE WHEN q.state = 'dismissed' THEN v.item END),"
    " count(DISTINCT CASE WHEN q.state = 'escalated' THEN v.item END),"
    " count(DISTINCT CASE WHEN q.state = 'closed' THEN v.item END)"
    RULE_HITS " GROUP BY rule ORDER BY rule";
static const char sql_rule_items[] =
    "SELECT DISTINCT v.item" RULE_HITS
    " AND json_extract(m.value, '$.rule') = ?1 AND (?2 IS NULL OR q.state = ?2)"
    " ORDER BY v.item LIMIT ?3 OFFSET ?4";
static const char sql_rule_count[] =
    "SELECT count(DISTINCT v.item)" RULE_HITS
    " AND json_extract(m.value, '$.rule') = ?1 AND (?2 IS NULL OR q.state = ?2)";

json_t *
queue_rule_quality(struct store *st, struct store_err *e)
{
	sqlite3_stmt	*s;
	json_t		*a;
	int		 rc;

	if ((s = store_stmt(st, sql_quality, e)) == NULL)
		return NULL;
	a = json_array();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t ap = sqlite3_column_int64(s, 3);
		int64_t di = sqlite3_column_int64(s, 4);

		json_array_append_new(a, json_pack("{s:o, s:I, s:I, s:I, s:I,"
		    " s:I, s:I, s:o}", "id", queue_str(col(s, 0)),
		    "hits", (json_int_t)sqlite3_column_int64(s, 1),
		    "open", (json_int_t)sqlite3_column_int64(s, 2),
		    "approved", (json_int_t)ap, "dismissed", (json_int_t)di,
		    "escalated", (json_int_t)sqlite3_column_int64(s, 5),
		    "closed", (json_int_t)sqlite3_column_int64(s, 6),
		    "precision", ap + di > 0 ? json_real((double)ap /
		    (double)(ap + di)) : json_null()));
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(a);
		queue_fail(st, e, "rule quality");
		return NULL;
	}
	return a;
}

int
queue_rule_items(struct store *st, const char *rule, const char *outcome,
    size_t limit, size_t offset, int64_t **ids, size_t *n, int64_t *total,
    struct store_err *e)
{
	sqlite3_stmt	*s;
	const char	*state = NULL;

	if (outcome != NULL && strcmp(outcome, "hits") != 0) {
		if (store_queue_state_from_name(outcome) < 0) {
			store_err_set(e, "unknown outcome %s", outcome);
			return -1;
		}
		state = outcome;
	}
	if ((s = store_stmt(st, sql_rule_count, e)) == NULL)
		return -1;
	queue_bind(s, 1, rule);
	queue_bind(s, 2, state);
	if (queue_int(st, s, total, e) == -1)
		return -1;
	if ((s = store_stmt(st, sql_rule_items, e)) == NULL)
		return -1;
	queue_bind(s, 1, rule);
	queue_bind(s, 2, state);
	sqlite3_bind_int64(s, 3, limit ? (int64_t)limit : 50);
	sqlite3_bind_int64(s, 4, (int64_t)offset);
	return queue_ids(st, s, ids, n, e);
}

static const char sql_stats[] =
    "SELECT state, count(*), min(created_at) FROM queue GROUP BY state";

int
queue_stats(struct store *st, int64_t count[5], int64_t oldest[5],
    struct store_err *e)
{
	sqlite3_stmt	*s;
	int		 rc, k;

	memset(count, 0, 5 * sizeof count[0]);
	memset(oldest, 0, 5 * sizeof oldest[0]);
	if ((s = store_stmt(st, sql_stats, e)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((k = store_queue_state_from_name(col(s, 0))) < 0 || k > 4)
			continue;
		count[k] = sqlite3_column_int64(s, 1);
		oldest[k] = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : queue_fail(st, e, "queue stats");
}
