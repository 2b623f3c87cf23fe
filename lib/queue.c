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

/*
 * queue_find's SQL is built from only the filters given, so that SQLite
 * can use queue_state_created (migration 4) for the common "one state,
 * oldest first" page instead of scanning and sorting the whole queue, and
 * count with an index-only scan.  Every value is bound, never pasted in,
 * so there are at most two texts per filter combination, and the store
 * keeps each prepared (store_stmt_text).
 */
enum {
	QF_STATE	= 1 << 0,
	QF_PLATFORM	= 1 << 1,
	QF_ACCOUNT	= 1 << 2,
	QF_ASSIGNEE	= 1 << 3,
	QF_SINCE	= 1 << 4,
	QF_CATEGORY	= 1 << 5,
	QF_ALL		= (1 << 6) - 1,
	QF_ITEMS	= QF_PLATFORM | QF_ACCOUNT	/* filters on items */
};

static const char *const queue_find_conds[] = {
	"q.state = ?1",
	"i.platform = ?2",
	"i.account = ?3",
	"q.assignee = ?4",
	"(q.updated_at >= ?5 OR q.created_at >= ?5)",
	/* migration 9: ",insult,vulgar,"; no category name has a comma */
	"instr(q.categories, ',' || ?6 || ',') > 0",
};

static unsigned
queue_filter_mask(const struct queue_filter *f)
{
	unsigned m = 0;

	if (f->state >= 0 && store_queue_state_name(f->state) != NULL)
		m |= QF_STATE;
	if (f->platform != NULL)
		m |= QF_PLATFORM;
	if (f->account != NULL)
		m |= QF_ACCOUNT;
	if (f->assignee != NULL)
		m |= QF_ASSIGNEE;
	if (f->since > 0)
		m |= QF_SINCE;
	if (f->category != NULL)
		m |= QF_CATEGORY;
	return m;
}

/* The SELECT for mask m into buf: the count (count) or the page. */
static void
queue_find_sql(unsigned m, bool count, char *buf, size_t size)
{
	size_t		 i, len;
	bool		 first = true;

	m &= QF_ALL;
	/*
	 * queue.item references items (id) with foreign keys on, so the
	 * join only matters for the columns of items.
	 */
	len = (size_t)snprintf(buf, size, "%s FROM queue q%s",
	    count ? "SELECT count(*)" : "SELECT q.item",
	    (m & QF_ITEMS) ? " JOIN items i ON i.id = q.item" : "");
	for (i = 0; i < sizeof queue_find_conds / sizeof queue_find_conds[0];
	    i++) {
		if (!(m & (1u << i)))
			continue;
		len += (size_t)snprintf(buf + len, size - len, " %s %s",
		    first ? "WHERE" : "AND", queue_find_conds[i]);
		first = false;
	}
	if (!count)
		len += (size_t)snprintf(buf + len, size - len,
		    " ORDER BY q.created_at, q.item LIMIT ?7 OFFSET ?8");
	if (len >= size)
		abort();	/* cannot happen: the pieces are constants */
}

static void
queue_bind_filter(sqlite3_stmt *s, unsigned m, const struct queue_filter *f)
{
	const char *as = f->assignee;

	if (as != NULL && strcmp(as, "-") == 0)
		as = "";
	if (m & QF_STATE)
		queue_bind(s, 1, store_queue_state_name(f->state));
	if (m & QF_PLATFORM)
		queue_bind(s, 2, f->platform);
	if (m & QF_ACCOUNT)
		queue_bind(s, 3, f->account);
	if (m & QF_ASSIGNEE)
		queue_bind(s, 4, as);
	if (m & QF_SINCE)
		sqlite3_bind_int64(s, 5, f->since);
	if (m & QF_CATEGORY)
		queue_bind(s, 6, f->category);
}

int
queue_find(struct store *st, const struct queue_filter *f, int64_t **ids,
    size_t *n, int64_t *total, struct store_err *e)
{
	sqlite3_stmt	*s;
	char		 sql[1024];
	unsigned	 m = queue_filter_mask(f);

	queue_find_sql(m, true, sql, sizeof sql);
	if ((s = store_stmt_text(st, sql, e)) == NULL)
		return -1;
	queue_bind_filter(s, m, f);
	if (queue_int(st, s, total, e) == -1)
		return -1;
	queue_find_sql(m, false, sql, sizeof sql);
	if ((s = store_stmt_text(st, sql, e)) == NULL)
		return -1;
	queue_bind_filter(s, m, f);
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

/*
 * Everything ITEM_SUMMARY shows of one item in one statement: the item
 * (without raw_json, which a summary never shows), its queue entry, its
 * newest verdict (as store_verdict_get picks it) and how many notes it
 * has.  The queue page asks for up to 200 of these per request.
 */
static const char sql_summary[] =
    "SELECT i.platform, i.account, i.item_id, i.kind, i.author_id,"
    " i.author_handle, i.author_name, i.text, i.permalink, i.parent_id,"
    " i.created_at, i.fetched_at,"
    " q.item IS NOT NULL, q.state, q.proposed, q.assignee, q.created_at,"
    " q.updated_at,"
    " v.id IS NOT NULL, v.severity, v.categories, v.matches,"
    " (SELECT count(*) FROM queue_notes n WHERE n.item = i.id)"
    " FROM items i LEFT JOIN queue q ON q.item = i.id"
    " LEFT JOIN verdicts v ON v.id = (SELECT id FROM verdicts"
    "  WHERE item = i.id ORDER BY created_at DESC, id DESC LIMIT 1)"
    " WHERE i.id = ?1";

static void
queue_summary_verdict(json_t *o, const char *categories, const char *matches)
{
	json_t		*cats = json_array(), *rules = json_array(), *m, *x;
	const char	*k;
	size_t		 i;

	if (categories != NULL && (m = json_loads(categories, 0, NULL)) != NULL) {
		json_object_foreach(m, k, x)
			json_array_append_new(cats, json_string(k));
		json_decref(m);
	}
	if (matches != NULL && (m = json_loads(matches, 0, NULL)) != NULL) {
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
	json_object_set_new(o, "categories", cats);
	json_object_set_new(o, "rules", rules);
}

json_t *
queue_item_summary(struct store *st, int64_t item, struct store_err *e)
{
	sqlite3_stmt	*s;
	json_t		*o;
	const char	*parent, *state;
	int		 rc;

	if ((s = store_stmt(st, sql_summary, e)) == NULL)
		return NULL;
	sqlite3_bind_int64(s, 1, item);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			store_err_set(e, "no item %lld", (long long)item);
		else
			queue_fail(st, e, "get item");
		sqlite3_reset(s);
		return NULL;
	}
	o = json_object();
	json_object_set_new(o, "id", json_integer(item));
	json_object_set_new(o, "platform", queue_str(col(s, 0)));
	json_object_set_new(o, "account", queue_str(col(s, 1)));
	json_object_set_new(o, "item_id", queue_str(col(s, 2)));
	json_object_set_new(o, "kind", json_string(store_kind_name(
	    strcmp(col(s, 3), "dm") == 0 ? STORE_KIND_DM : STORE_KIND_COMMENT)));
	json_object_set_new(o, "permalink", queue_str(col(s, 8)));
	json_object_set_new(o, "author", json_pack("{s:o, s:o, s:o}",
	    "id", queue_str(col(s, 4)), "handle", queue_str(col(s, 5)),
	    "name", queue_str(col(s, 6))));
	json_object_set_new(o, "text", queue_str(col(s, 7)));
	json_object_set_new(o, "created_at",
	    json_integer(sqlite3_column_int64(s, 10)));
	json_object_set_new(o, "fetched_at",
	    json_integer(sqlite3_column_int64(s, 11)));
	parent = (const char *)sqlite3_column_text(s, 9);
	json_object_set_new(o, "parent_id", parent != NULL && parent[0] ?
	    queue_str(parent) : json_null());
	if (sqlite3_column_int(s, 12)) {
		state = store_queue_state_name(
		    store_queue_state_from_name(col(s, 13)));
		json_object_set_new(o, "state", json_string(state));
		json_object_set_new(o, "proposed", queue_actions_json(
		    (unsigned)sqlite3_column_int64(s, 14)));
		json_object_set_new(o, "assignee", queue_str(col(s, 15)));
		json_object_set_new(o, "queued_at",
		    json_integer(sqlite3_column_int64(s, 16)));
		json_object_set_new(o, "updated_at",
		    json_integer(sqlite3_column_int64(s, 17)));
	} else {
		json_object_set_new(o, "state", json_null());
		json_object_set_new(o, "proposed", json_array());
		json_object_set_new(o, "assignee", json_string(""));
		json_object_set_new(o, "queued_at", json_null());
		json_object_set_new(o, "updated_at", json_null());
	}
	if (sqlite3_column_int(s, 18)) {
		json_object_set_new(o, "severity",
		    json_integer(sqlite3_column_int(s, 19)));
		queue_summary_verdict(o, col(s, 20), col(s, 21));
	} else {
		json_object_set_new(o, "severity", json_integer(0));
		queue_summary_verdict(o, NULL, NULL);
	}
	json_object_set_new(o, "notes", json_integer(sqlite3_column_int64(s, 22)));
	sqlite3_reset(s);
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

/*
 * The author's other items: those filled into author_items
 * (store_author_items_index), and those after its mark, by rowid.  The
 * unary + keeps SQLite off the unique index on (platform, account,
 * item_id) for the latter: without statistics it prefers that to the
 * rowid range, and reads every item of the account.
 */
static const char sql_author_items[] =
    "WITH me AS (SELECT a.id AS author, i.platform, i.account, i.author_id"
    "  FROM items i JOIN authors a ON a.platform = i.platform"
    "  AND a.account = i.account AND a.author_id = i.author_id"
    "  WHERE i.id = ?1 AND i.author_id != ''),"
    " mark AS (SELECT coalesce((SELECT value FROM store_marks"
    "  WHERE name = 'author_items'), 0) AS upto)"
    " SELECT o.id FROM items o WHERE o.id != ?1 AND o.id IN ("
    "  SELECT x.item FROM author_items x JOIN me ON x.author = me.author"
    "  UNION"
    "  SELECT t.id FROM items t JOIN me ON +t.platform = me.platform"
    "  AND +t.account = me.account AND +t.author_id = me.author_id"
    "  WHERE t.id > (SELECT upto FROM mark))"
    " ORDER BY o.created_at DESC, o.id DESC LIMIT ?2";

const char *
queue_author_items_sql(void)
{
	return sql_author_items;
}

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
/*
 * Replies to the item and to its parent.  An IN list, not an OR of the
 * two: SQLite searches items_parent for each value, where with the OR
 * it read every item of the account.  A NULL in the list matches
 * nothing, as the OR's second half did for an item without a parent.
 */
static const char sql_replies[] =
    "SELECT r.id FROM items i JOIN items r ON r.platform = i.platform"
    " AND r.account = i.account AND r.parent_id IN (i.item_id,"
    " CASE WHEN i.parent_id != '' THEN i.parent_id END)"
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

/*
 * Counts from queue_counts (kept by triggers, see the store's migration
 * 6) and each state's oldest entry off queue_state_created: a handful of
 * index lookups however long the queue has grown.  Two statements, so a
 * change between them may show in one and not the other; these are
 * gauges.
 */
static const char sql_stats_counts[] = "SELECT state, n FROM queue_counts";
static const char sql_stats_oldest[] =
    "SELECT min(created_at) FROM queue WHERE state = ?1";

int
queue_stats(struct store *st, int64_t count[5], int64_t oldest[5],
    struct store_err *e)
{
	sqlite3_stmt	*s;
	int		 rc, k;

	memset(count, 0, 5 * sizeof count[0]);
	memset(oldest, 0, 5 * sizeof oldest[0]);
	if ((s = store_stmt(st, sql_stats_counts, e)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((k = store_queue_state_from_name(col(s, 0))) < 0 || k > 4)
			continue;
		count[k] = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return queue_fail(st, e, "queue counts");
	if ((s = store_stmt(st, sql_stats_oldest, e)) == NULL)
		return -1;
	for (k = 0; k < 5; k++) {
		if (count[k] <= 0)
			continue;
		queue_bind(s, 1, store_queue_state_name(k));
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			oldest[k] = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		if (rc != SQLITE_ROW)
			return queue_fail(st, e, "queue oldest");
	}
	return 0;
}
