/*
 * store.c: the SQLite state database (store.h): opening and migrating it,
 * the statement cache, transactions, and the small typed accessors for each
 * table.  The audit chain and the evidence records have their own files
 * (audit.c, evidence.c) that use this file's statement cache; this file
 * only creates their tables.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "category.h"
#include "ruleset.h"
#include "store.h"
#include "xmalloc.h"

/* SQLite's page cache per connection (PRAGMA cache_size), in KiB */
#define STORE_CACHE_KIB	"16384"
/*
 * An item row with its platform JSON is 3-4 KB: at SQLite's default of
 * 4 KB most took a page of their own, and every commit wrote twice as many
 * WAL frames (two write(2)s each) as at 8 KB.
 */
#define STORE_PAGE_SIZE	"8192"

struct store_cached {
	const char	*sql;		/* key: the caller's static string, */
	bool		 owned;		/* or, if owned, a copy of its text */
	sqlite3_stmt	*stmt;
};

struct store {
	sqlite3			*db;
	char			*path;
	struct store_cached	*cache;
	size_t			 ncache, capcache;
	int64_t			(*now)(void *);
	void			*now_arg;
	/* the audit tip of one transaction: valid while tip_txn == txn */
	uint64_t		 txn;
	uint64_t		 tip_txn;
	int64_t			 tip_next;
	char			 tip_hash[65];
	/* the last outbox transition failed on the row's state */
	bool			 outbox_conflict;
	/* items put since author_items was last filled, about */
	int64_t			 unindexed;
	/* store_sha256: fetched and allocated once */
	EVP_MD			*sha256_md;
	EVP_MD_CTX		*sha256_ctx;
};

/*
 * The schema, as an ordered list of migrations: migration i takes the
 * database from user_version i to i + 1.  Never edit a shipped migration;
 * append a new one.  Each runs in one transaction with the version bump.
 */
static const char *const store_migrations[] = {
	/* 1: the daemon's working tables */
	"CREATE TABLE items ("
	"  id INTEGER PRIMARY KEY,"
	"  platform TEXT NOT NULL,"
	"  account TEXT NOT NULL,"
	"  item_id TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('comment', 'dm')),"
	"  author_id TEXT NOT NULL DEFAULT '',"
	"  author_handle TEXT NOT NULL DEFAULT '',"
	"  author_name TEXT NOT NULL DEFAULT '',"
	"  text TEXT NOT NULL DEFAULT '',"
	"  raw_json TEXT,"
	"  permalink TEXT,"
	"  parent_id TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  created_iso TEXT NOT NULL,"
	"  fetched_at INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'new',"
	"  UNIQUE (platform, account, item_id));"
	"CREATE INDEX items_author ON items (platform, author_id);"
	"CREATE INDEX items_item_id ON items (item_id);"
	"CREATE TABLE cursors ("
	"  account TEXT NOT NULL,"
	"  stream TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  PRIMARY KEY (account, stream)) WITHOUT ROWID;"
	"CREATE TABLE verdicts ("
	"  id INTEGER PRIMARY KEY,"
	"  item INTEGER NOT NULL REFERENCES items (id),"
	"  ruleset TEXT NOT NULL,"
	"  flagged INTEGER NOT NULL,"
	"  severity INTEGER NOT NULL,"
	"  categories TEXT NOT NULL,"
	"  matches TEXT NOT NULL,"
	"  review INTEGER NOT NULL,"
	"  review_reason TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE (item, ruleset));"
	"CREATE TABLE decisions ("
	"  id INTEGER PRIMARY KEY,"
	"  item INTEGER NOT NULL REFERENCES items (id),"
	"  actions INTEGER NOT NULL,"
	"  mode TEXT NOT NULL CHECK (mode IN ('auto', 'review', 'dry-run')),"
	"  rule_ids TEXT NOT NULL DEFAULT '',"
	"  ruleset TEXT NOT NULL DEFAULT '',"
	"  clause TEXT NOT NULL DEFAULT '',"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX decisions_item ON decisions (item);"
	"CREATE TABLE queue ("
	"  item INTEGER PRIMARY KEY REFERENCES items (id),"
	"  state TEXT NOT NULL CHECK (state IN"
	"    ('open', 'approved', 'dismissed', 'escalated', 'closed')),"
	"  proposed INTEGER NOT NULL,"
	"  assignee TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX queue_state ON queue (state, updated_at);"
	"CREATE TABLE queue_notes ("
	"  id INTEGER PRIMARY KEY,"
	"  item INTEGER NOT NULL REFERENCES queue (item),"
	"  author TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX queue_notes_item ON queue_notes (item);"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  item INTEGER REFERENCES items (id),"
	"  account TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  params TEXT NOT NULL DEFAULT '{}',"
	"  idem_key TEXT NOT NULL UNIQUE,"
	"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN"
	"    ('pending', 'sent', 'done', 'failed', 'abandoned')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER NOT NULL,"
	"  last_error TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX outbox_due ON outbox (state, next_attempt_at, id);"
	"CREATE TABLE authors ("
	"  id INTEGER PRIMARY KEY,"
	"  platform TEXT NOT NULL,"
	"  account TEXT NOT NULL,"
	"  author_id TEXT NOT NULL,"
	"  handle TEXT NOT NULL DEFAULT '',"
	"  name TEXT NOT NULL DEFAULT '',"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  UNIQUE (platform, account, author_id));"
	"CREATE TABLE strikes ("
	"  id INTEGER PRIMARY KEY,"
	"  author INTEGER NOT NULL REFERENCES authors (id),"
	"  ts INTEGER NOT NULL,"
	"  rule TEXT NOT NULL,"
	"  item INTEGER REFERENCES items (id));"
	"CREATE INDEX strikes_author ON strikes (author, ts);",

	/*
	 * 2: the audit chain and evidence.  AUTOINCREMENT keeps the highest
	 * seq ever used in sqlite_sequence, which lets audit_verify notice
	 * entries removed from the end of the chain.  The triggers make the
	 * log append-only for anyone going through SQL; audit_verify does
	 * not rely on them.
	 */
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  ts INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  item INTEGER,"
	"  detail TEXT NOT NULL,"
	"  prev_hash TEXT NOT NULL,"
	"  hash TEXT NOT NULL);"
	"CREATE INDEX audit_item ON audit (item);"
	"CREATE INDEX audit_kind_ts ON audit (kind, ts);"
	"CREATE INDEX audit_ts ON audit (ts);"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN"
	"  SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN"
	"  SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	"CREATE TABLE evidence ("
	"  item INTEGER PRIMARY KEY REFERENCES items (id),"
	"  record TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence BEGIN"
	"  SELECT RAISE(ABORT, 'evidence is write-once'); END;"
	"CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence BEGIN"
	"  SELECT RAISE(ABORT, 'evidence is write-once'); END;",

	/*
	 * 3: users, roles, sessions and API tokens for the web UI and
	 * netiquettectl (users.h), and the editors' decision history, which
	 * undo and rule quality read (queue.h).  Secrets are stored hashed.
	 */
	"CREATE TABLE IF NOT EXISTS users ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  role TEXT NOT NULL CHECK (role IN ('editor', 'legal', 'admin')),"
	"  pwhash TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  last_login INTEGER NOT NULL DEFAULT 0,"
	"  disabled INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS sessions ("
	"  hash TEXT PRIMARY KEY,"
	"  user INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	"  csrf TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user);"
	"CREATE TABLE IF NOT EXISTS tokens ("
	"  hash TEXT PRIMARY KEY,"
	"  user INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	"  created_at INTEGER NOT NULL,"
	"  last_used INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS queue_history ("
	"  id INTEGER PRIMARY KEY,"
	"  item INTEGER NOT NULL REFERENCES items (id),"
	"  verb TEXT NOT NULL,"
	"  from_state TEXT NOT NULL,"
	"  to_state TEXT NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  effects TEXT NOT NULL DEFAULT '{}',"
	"  undone INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS queue_history_item ON queue_history (item, id);",

	/*
	 * 4: the editors' queue page (queue.c's queue_find): one state,
	 * oldest queued first, and its count, straight off an index; item is
	 * the rowid, so it is the last key of both.  queue_created serves
	 * state=all in the same order.
	 */
	("CREATE INDEX IF NOT EXISTS queue_state_created ON queue (state, created_at);"
	 "CREATE INDEX IF NOT EXISTS queue_created ON queue (created_at);"),

	/*
	 * 5: no query reads the audit log by kind or by time (audit_query
	 * walks it newest first, and by item through audit_item), and the two
	 * indexes cost every commit a write of their pages: two audit entries
	 * per item went into three indexes.
	 */
	("DROP INDEX IF EXISTS audit_kind_ts;"
	 "DROP INDEX IF EXISTS audit_ts;"),

	/*
	 * 6: entries per queue state, kept by triggers, for /metrics: the
	 * queue keeps every item ever queued, and counting it scanned an
	 * index of all of them on the event loop at every scrape.  Rebuilt
	 * from the queue itself, so running this again is harmless.
	 */
	("CREATE TABLE IF NOT EXISTS queue_counts ("
	 "  state TEXT PRIMARY KEY,"
	 "  n INTEGER NOT NULL) WITHOUT ROWID;"
	 "DELETE FROM queue_counts;"
	 "INSERT INTO queue_counts (state, n)"
	 "  SELECT state, count(*) FROM queue GROUP BY state;"
	 "CREATE TRIGGER IF NOT EXISTS queue_counts_insert AFTER INSERT ON queue"
	 " BEGIN INSERT INTO queue_counts (state, n) VALUES (NEW.state, 1)"
	 "  ON CONFLICT (state) DO UPDATE SET n = n + 1; END;"
	 "CREATE TRIGGER IF NOT EXISTS queue_counts_delete AFTER DELETE ON queue"
	 " BEGIN UPDATE queue_counts SET n = n - 1 WHERE state = OLD.state; END;"
	 "CREATE TRIGGER IF NOT EXISTS queue_counts_update"
	 " AFTER UPDATE OF state ON queue WHEN OLD.state IS NOT NEW.state"
	 " BEGIN UPDATE queue_counts SET n = n - 1 WHERE state = OLD.state;"
	 "  INSERT INTO queue_counts (state, n) VALUES (NEW.state, 1)"
	 "  ON CONFLICT (state) DO UPDATE SET n = n + 1; END;"),

	/*
	 * 7: items by author in a table of their own, filled in batches
	 * (store_author_items_index) instead of an index on items.  Author
	 * ids are random keys: each new item wrote a leaf page of
	 * items_author somewhere in the middle, about one 8 KiB page of WAL
	 * (and of checkpoint) per item.  A batch of thousands sorted by
	 * author touches each leaf once.  Items after the mark are found by
	 * rowid; queue.c's author query reads both.
	 */
	("CREATE TABLE IF NOT EXISTS author_items ("
	 "  author INTEGER NOT NULL,"
	 "  item INTEGER NOT NULL,"
	 "  PRIMARY KEY (author, item)) WITHOUT ROWID;"
	 "CREATE TABLE IF NOT EXISTS store_marks ("
	 "  name TEXT PRIMARY KEY,"
	 "  value INTEGER NOT NULL) WITHOUT ROWID;"
	 "INSERT OR IGNORE INTO author_items (author, item)"
	 "  SELECT a.id, i.id FROM items i JOIN authors a"
	 "  ON a.platform = i.platform AND a.account = i.account"
	 "  AND a.author_id = i.author_id WHERE i.author_id != '';"
	 "INSERT OR REPLACE INTO store_marks (name, value)"
	 "  VALUES ('author_items', (SELECT coalesce(max(id), 0) FROM items));"
	 "DROP INDEX IF EXISTS items_author;"),

	/*
	 * 8: what an editor's look at one item reads, by index.  Its outbox
	 * rows (the item view, every decision and undo) were a scan of the
	 * whole outbox, on the event loop: 82 ms at 500,000 rows.  Its
	 * thread (replies to it and to its parent) read every item of the
	 * account.  Item ids grow, and a reply's parent is mostly a post or
	 * a recent comment, so a commit writes few leaves of either.
	 */
	("CREATE INDEX IF NOT EXISTS outbox_item ON outbox (item);"
	 "CREATE INDEX IF NOT EXISTS items_parent"
	 "  ON items (platform, account, parent_id, created_at);"),

	/*
	 * 9: the categories of a queue entry's verdict on the entry itself,
	 * as ",insult,vulgar,", set when the item is queued (sql_queue_put);
	 * the column is in store_added_columns, its values filled here.
	 * The editors' category filter parsed the latest verdict's JSON of
	 * every entry it looked at, for the count and for the page, on the
	 * event loop: 100 ms (420 ms from a cold cache) at 30,000 open
	 * entries.  A string search in the entry's own row needs neither the
	 * verdicts nor json_each, and the row is written anyway.
	 */
	("UPDATE queue SET categories = coalesce((SELECT"
	 "  ',' || group_concat(c.key, ',') || ','"
	 "  FROM verdicts v, json_each(v.categories) c WHERE v.id ="
	 "  (SELECT max(id) FROM verdicts WHERE item = queue.item)), '');"),
};
#define STORE_NMIGRATIONS \
	((int)(sizeof store_migrations / sizeof store_migrations[0]))

/*
 * Columns a migration adds before its SQL runs.  ALTER TABLE ADD COLUMN
 * has no IF NOT EXISTS, and every migration from 3 on may run again
 * (test_store opens a store whose version was set back), so the column
 * is added only where it is missing.
 */
static const struct store_column {
	int		 migration;
	const char	*table, *column, *decl;
} store_added_columns[] = {
	{ 9, "queue", "categories", "TEXT NOT NULL DEFAULT ''" },
};

static int	store_author_items_behind(struct store *, int64_t *,
		    struct store_err *);

static const char *const store_outbox_state_names[] = {
	"pending", "sent", "done", "failed", "abandoned",
};
static const char *const store_queue_state_names[] = {
	"open", "approved", "dismissed", "escalated", "closed",
};
static const char *const store_mode_names[] = { "auto", "review", "dry-run" };

void
store_err_set(struct store_err *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL || e->msg[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
}

void
store_err_clear(struct store_err *e)
{
	if (e != NULL)
		e->msg[0] = '\0';
}

static int
store_fail(struct store *st, struct store_err *e, const char *what)
{
	store_err_set(e, "%s: %s", what, sqlite3_errmsg(st->db));
	return -1;
}

static int64_t
store_default_now(void *arg)
{
	return (int64_t)time(NULL);
}

static int
store_lookup_name(const char *const *names, size_t n, const char *name)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

const char *
store_kind_name(enum store_item_kind k)
{
	return k == STORE_KIND_DM ? "dm" : "comment";
}

const char *
store_mode_name(enum store_mode m)
{
	if ((unsigned)m >= 3)
		return NULL;
	return store_mode_names[m];
}

int
store_mode_from_name(const char *name)
{
	return store_lookup_name(store_mode_names, 3, name);
}

const char *
store_queue_state_name(enum store_queue_state s)
{
	if ((unsigned)s >= 5)
		return NULL;
	return store_queue_state_names[s];
}

int
store_queue_state_from_name(const char *name)
{
	return store_lookup_name(store_queue_state_names, 5, name);
}

const char *
store_outbox_state_name(enum store_outbox_state s)
{
	if ((unsigned)s >= 5)
		return NULL;
	return store_outbox_state_names[s];
}

/* --- lifecycle ------------------------------------------------------------- */

int
store_exec(struct store *st, const char *sql, struct store_err *e)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		store_err_set(e, "%s", msg != NULL ? msg :
		    sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
store_pragma_int(struct store *st, const char *sql, int *out,
    struct store_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, e, sql);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, e, sql);
	return 0;
}

int
store_schema_latest(void)
{
	return STORE_NMIGRATIONS;
}

int
store_schema_version(struct store *st)
{
	int v = -1;

	if (store_pragma_int(st, "PRAGMA user_version", &v, NULL) == -1)
		return -1;
	return v;
}

/* The columns of migration n (store_added_columns) its table lacks. */
static int
store_add_columns(struct store *st, int n)
{
	sqlite3_stmt	*s;
	char		 sql[256];
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof store_added_columns /
	    sizeof store_added_columns[0]; i++) {
		const struct store_column *c = &store_added_columns[i];

		if (c->migration != n)
			continue;
		if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM"
		    " pragma_table_info(?1) WHERE name = ?2", -1, &s,
		    NULL) != SQLITE_OK)
			return -1;
		sqlite3_bind_text(s, 1, c->table, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, c->column, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc == SQLITE_ROW)
			continue;
		if (rc != SQLITE_DONE)
			return -1;
		snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s",
		    c->table, c->column, c->decl);
		if (store_exec(st, sql, NULL) == -1)
			return -1;
	}
	return 0;
}

/*
 * Applies migrations one at a time.  The version is read again under the
 * write lock so that two processes opening a fresh database at once do not
 * both run migration 1.
 */
static int
store_migrate(struct store *st, struct store_err *e)
{
	char	sql[64];
	int	v = 0;

	for (;;) {
		if (store_exec(st, "BEGIN IMMEDIATE", e) == -1)
			return -1;
		if (store_pragma_int(st, "PRAGMA user_version", &v, e) == -1)
			goto fail;
		if (v > STORE_NMIGRATIONS) {
			store_err_set(e, "%s: schema version %d is newer than "
			    "this build (%d)", st->path, v, STORE_NMIGRATIONS);
			goto fail;
		}
		if (v == STORE_NMIGRATIONS)
			break;
		if (store_add_columns(st, v + 1) == -1 ||
		    store_exec(st, store_migrations[v], NULL) == -1) {
			/* name the migration that failed, for the operator */
			store_err_set(e, "%s: migration %d: %s", st->path, v + 1,
			    sqlite3_errmsg(st->db));
			goto fail;
		}
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
		if (store_exec(st, sql, e) == -1)
			goto fail;
		if (store_exec(st, "COMMIT", e) == -1)
			goto fail;
	}
	return store_exec(st, "COMMIT", e);
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

struct store *
store_open_file(const char *path, struct store_err *e)
{
	struct store	*st;
	char		 mode[16] = "";
	sqlite3_stmt	*s;

	st = xcalloc(1, sizeof *st);
	st->path = xstrdup(path);
	st->now = store_default_now;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		store_err_set(e, "%s: %s", path, st->db != NULL ?
		    sqlite3_errmsg(st->db) : "cannot open");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);

	/*
	 * Only a new, empty database takes this (before WAL is on); an
	 * existing one keeps the page size it was made with.
	 */
	if (store_exec(st, "PRAGMA page_size = " STORE_PAGE_SIZE, e) == -1)
		goto fail;
	/* journal_mode answers with the mode it actually set */
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s,
	    NULL) != SQLITE_OK) {
		store_fail(st, e, path);
		goto fail;
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(mode, sizeof mode, "%s",
		    (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (strcmp(mode, "wal") != 0) {
		store_err_set(e, "%s: cannot enable WAL mode (%s): %s", path,
		    mode[0] != '\0' ? mode : "no answer",
		    sqlite3_errmsg(st->db));
		goto fail;
	}
	/*
	 * SQLite's default page cache is 2 MB; the editors' queue pages and
	 * their item summaries touch far more than that of a store with many
	 * items, and every miss is a read(2).  STORE_CACHE_KIB keeps the
	 * daemon's memory moderate (its target is < 64 MB resident).
	 *
	 * temp_store: a statement or savepoint that changes more than 64 KiB
	 * (the executor's savepoint in a page's transaction) spilled its
	 * statement journal to a temporary file, opened, written and unlinked
	 * once per page.  That journal only ever undoes a part of an open
	 * transaction, so it need not survive anything.
	 */
	if (store_exec(st, "PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA temp_store = MEMORY;"
	    "PRAGMA cache_size = -" STORE_CACHE_KIB ";", e) == -1)
		goto fail;
	if (store_migrate(st, e) == -1)
		goto fail;
	if (store_author_items_behind(st, &st->unindexed, e) == -1)
		goto fail;
	return st;
fail:
	store_close(st);
	return NULL;
}

struct store *
store_open(const char *dir, struct store_err *e)
{
	struct store	*st;
	char		*path;

	xasprintf(&path, "%s/%s", dir, STORE_DB_NAME);
	st = store_open_file(path, e);
	free(path);
	return st;
}

void
store_close(struct store *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->ncache; i++) {
		sqlite3_finalize(st->cache[i].stmt);
		if (st->cache[i].owned)
			free((char *)st->cache[i].sql);
	}
	free(st->cache);
	EVP_MD_CTX_free(st->sha256_ctx);
	EVP_MD_free(st->sha256_md);
	if (st->db != NULL) {
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(st->db);
	}
	free(st->path);
	free(st);
}

/*
 * OpenSSL 3 looks the digest up in its provider store (under a lock) for
 * every EVP_DigestInit_ex with EVP_sha256(), and the context is one more
 * allocation: the two took four times as long as hashing an audit entry.
 */
EVP_MD_CTX *
store_sha256(struct store *st)
{
	if (st->sha256_md == NULL &&
	    (st->sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		return NULL;
	if (st->sha256_ctx == NULL &&
	    (st->sha256_ctx = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if (EVP_DigestInit_ex2(st->sha256_ctx, st->sha256_md, NULL) != 1)
		return NULL;
	return st->sha256_ctx;
}

void
store_set_clock(struct store *st, int64_t (*now)(void *), void *arg)
{
	st->now = now != NULL ? now : store_default_now;
	st->now_arg = arg;
}

int64_t
store_now(struct store *st)
{
	return st->now(st->now_arg);
}

struct sqlite3 *
store_db(struct store *st)
{
	return st->db;
}

static sqlite3_stmt *
store_stmt_cached(struct store *st, const char *sql, bool by_text,
    struct store_err *e)
{
	sqlite3_stmt	*s;
	size_t		 i;

	for (i = 0; i < st->ncache; i++) {
		if (by_text ? st->cache[i].owned &&
		    strcmp(st->cache[i].sql, sql) == 0 :
		    st->cache[i].sql == sql) {
			s = st->cache[i].stmt;
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			return s;
		}
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s,
	    NULL) != SQLITE_OK) {
		store_err_set(e, "prepare: %s", sqlite3_errmsg(st->db));
		return NULL;
	}
	if (st->ncache == st->capcache) {
		st->capcache = st->capcache ? st->capcache * 2 : 32;
		st->cache = xreallocarray(st->cache, st->capcache,
		    sizeof *st->cache);
	}
	st->cache[st->ncache].sql = by_text ? xstrdup(sql) : sql;
	st->cache[st->ncache].owned = by_text;
	st->cache[st->ncache].stmt = s;
	st->ncache++;
	return s;
}

sqlite3_stmt *
store_stmt(struct store *st, const char *sql, struct store_err *e)
{
	return store_stmt_cached(st, sql, false, e);
}

sqlite3_stmt *
store_stmt_text(struct store *st, const char *sql, struct store_err *e)
{
	return store_stmt_cached(st, sql, true, e);
}

/* --- transactions ------------------------------------------------------------ */

bool
store_in_transaction(struct store *st)
{
	return !sqlite3_get_autocommit(st->db);
}

int
store_begin(struct store *st, struct store_err *e)
{
	if (store_in_transaction(st)) {
		store_err_set(e, "store_begin: a transaction is already open");
		return -1;
	}
	st->txn++;
	return store_exec(st, "BEGIN IMMEDIATE", e);
}

int
store_commit(struct store *st, struct store_err *e)
{
	if (!store_in_transaction(st)) {
		store_err_set(e, "store_commit: no transaction is open");
		return -1;
	}
	st->tip_txn = 0;
	if (store_exec(st, "COMMIT", e) == -1) {
		/* a failed COMMIT may leave the transaction open: end it */
		store_rollback(st);
		return -1;
	}
	return 0;
}

void
store_rollback(struct store *st)
{
	st->tip_txn = 0;
	if (store_in_transaction(st))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int
store_txn_begin(struct store *st, bool *own, struct store_err *e)
{
	*own = !store_in_transaction(st);
	if (*own)
		return store_begin(st, e);
	return 0;
}

int
store_txn_end(struct store *st, bool own, bool ok, struct store_err *e)
{
	if (!own)
		return ok ? 0 : -1;
	if (ok)
		return store_commit(st, e);
	store_rollback(st);
	return -1;
}

/* sql (a savepoint statement for name), inside the open transaction */
static int
store_savepoint_exec(struct store *st, const char *name, const char *sql,
    struct store_err *e)
{
	if (!store_in_transaction(st)) {
		store_err_set(e, "savepoint %s: no transaction is open", name);
		return -1;
	}
	return store_exec(st, sql, e);
}

int
store_savepoint(struct store *st, const char *name, struct store_err *e)
{
	char	sql[128];

	snprintf(sql, sizeof sql, "SAVEPOINT %s", name);
	return store_savepoint_exec(st, name, sql, e);
}

int
store_savepoint_release(struct store *st, const char *name,
    struct store_err *e)
{
	char	sql[128];

	snprintf(sql, sizeof sql, "RELEASE %s", name);
	return store_savepoint_exec(st, name, sql, e);
}

int
store_savepoint_rollback(struct store *st, const char *name,
    struct store_err *e)
{
	char	sql[160];

	st->tip_txn = 0;
	snprintf(sql, sizeof sql, "ROLLBACK TO %s; RELEASE %s", name, name);
	return store_savepoint_exec(st, name, sql, e);
}

bool
store_audit_tip(struct store *st, int64_t *next, char hash[65])
{
	/* a transaction SQLite ended by itself (an I/O error) ends the tip too */
	if (st->tip_txn != st->txn || st->txn == 0 || !store_in_transaction(st))
		return false;
	*next = st->tip_next;
	memcpy(hash, st->tip_hash, 65);
	return true;
}

void
store_audit_tip_set(struct store *st, int64_t next, const char *hash)
{
	st->tip_txn = st->txn;
	st->tip_next = next;
	snprintf(st->tip_hash, sizeof st->tip_hash, "%s", hash);
}

/* --- binding and reading helpers ------------------------------------------------ */

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v != NULL ? v : "", -1, SQLITE_TRANSIENT);
}

/* NULL stays NULL: for optional columns. */
static void
bind_text_null(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

static void
bind_id(sqlite3_stmt *s, int i, int64_t id)
{
	if (id == 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, id);
}

static char *
col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return xstrdup(t != NULL ? (const char *)t : "");
}

static char *
col_text_null(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? xstrdup((const char *)t) : NULL;
}

/* Steps a statement that returns no rows; resets it. */
static int
store_step_done(struct store *st, sqlite3_stmt *s, struct store_err *e,
    const char *what)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE) {
		store_err_set(e, "%s: %s", what, sqlite3_errmsg(st->db));
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

static void
store_iso_utc(int64_t t, char *buf, size_t len)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	if (gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, len, "%" PRId64, t);
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* --- items ------------------------------------------------------------------------ */

static const char sql_item_insert[] =
    "INSERT INTO items (platform, account, item_id, kind, author_id,"
    " author_handle, author_name, text, raw_json, permalink, parent_id,"
    " created_at, created_iso, fetched_at, state)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
    " ON CONFLICT (platform, account, item_id) DO NOTHING";
static const char sql_item_id[] =
    "SELECT id FROM items WHERE platform = ?1 AND account = ?2"
    " AND item_id = ?3";
static const char sql_item_get[] =
    "SELECT platform, account, item_id, kind, author_id, author_handle,"
    " author_name, text, raw_json, permalink, parent_id, created_at,"
    " fetched_at, state FROM items WHERE id = ?1";
static const char sql_item_find[] =
    "SELECT id FROM items WHERE item_id = ?1 ORDER BY id LIMIT 1";
static const char sql_item_state[] =
    "UPDATE items SET state = ?2 WHERE id = ?1";
static const char sql_item_count[] = "SELECT count(*) FROM items";

/* --- author_items (migration 7) --- */

static const char sql_author_items_mark[] =
    "SELECT coalesce((SELECT value FROM store_marks"
    " WHERE name = 'author_items'), 0), coalesce(max(id), 0) FROM items";
static const char sql_author_items_fill[] =
    "INSERT OR IGNORE INTO author_items (author, item)"
    " SELECT a.id, i.id FROM items i JOIN authors a"
    " ON a.platform = i.platform AND a.account = i.account"
    " AND a.author_id = i.author_id"
    " WHERE i.id > ?1 AND i.id <= ?2 AND i.author_id != ''"
    " ORDER BY 1, 2";
static const char sql_author_items_set[] =
    "INSERT OR REPLACE INTO store_marks (name, value)"
    " VALUES ('author_items', ?1)";

/* The mark and the newest item: what the next batch covers. */
static int
store_author_items_range(struct store *st, int64_t *lo, int64_t *hi,
    struct store_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store_stmt(st, sql_author_items_mark, e)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*lo = sqlite3_column_int64(s, 0);
		*hi = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return store_fail(st, e, "author items mark");
	return 0;
}

static int
store_author_items_behind(struct store *st, int64_t *n, struct store_err *e)
{
	int64_t lo = 0, hi = 0;

	if (store_author_items_range(st, &lo, &hi, e) == -1)
		return -1;
	*n = hi > lo ? hi - lo : 0;
	return 0;
}

bool
store_author_items_due(const struct store *st)
{
	return st->unindexed >= STORE_AUTHOR_ITEMS_BATCH;
}

int
store_author_items_index(struct store *st, int64_t *n, struct store_err *e)
{
	sqlite3_stmt	*s;
	int64_t		 lo = 0, hi = 0;
	bool		 own;

	*n = 0;
	if (store_txn_begin(st, &own, e) == -1)
		return -1;
	if (store_author_items_range(st, &lo, &hi, e) == -1)
		goto fail;
	if (hi > lo) {
		if ((s = store_stmt(st, sql_author_items_fill, e)) == NULL)
			goto fail;
		sqlite3_bind_int64(s, 1, lo);
		sqlite3_bind_int64(s, 2, hi);
		if (store_step_done(st, s, e, "fill author items") == -1)
			goto fail;
		if ((s = store_stmt(st, sql_author_items_set, e)) == NULL)
			goto fail;
		sqlite3_bind_int64(s, 1, hi);
		if (store_step_done(st, s, e, "author items mark") == -1)
			goto fail;
	}
	if (store_txn_end(st, own, true, e) == -1)
		return -1;
	/* items put meanwhile by another process are the next batch's */
	st->unindexed = 0;
	*n = hi > lo ? hi - lo : 0;
	return 0;
fail:
	store_txn_end(st, own, false, e);
	return -1;
}

int
store_item_put(struct store *st, struct store_item *it, struct store_err *e)
{
	sqlite3_stmt	*s;
	char		 iso[32];
	bool		 own;
	int		 isnew = 0, rc;

	if (it->platform == NULL || it->account == NULL || it->item_id == NULL) {
		store_err_set(e, "store_item_put: platform, account and "
		    "item_id are required");
		return -1;
	}
	if (store_txn_begin(st, &own, e) == -1)
		return -1;
	if ((s = store_stmt(st, sql_item_insert, e)) == NULL)
		goto fail;
	store_iso_utc(it->created_at, iso, sizeof iso);
	bind_text(s, 1, it->platform);
	bind_text(s, 2, it->account);
	bind_text(s, 3, it->item_id);
	bind_text(s, 4, store_kind_name(it->kind));
	bind_text(s, 5, it->author_id);
	bind_text(s, 6, it->author_handle);
	bind_text(s, 7, it->author_name);
	bind_text(s, 8, it->text);
	bind_text_null(s, 9, it->raw_json);
	bind_text_null(s, 10, it->permalink);
	bind_text_null(s, 11, it->parent_id);
	sqlite3_bind_int64(s, 12, it->created_at);
	bind_text(s, 13, iso);
	sqlite3_bind_int64(s, 14, it->fetched_at);
	bind_text(s, 15, it->state != NULL ? it->state : "new");
	if (store_step_done(st, s, e, "insert item") == -1)
		goto fail;
	isnew = sqlite3_changes(st->db) > 0;
	if (isnew) {
		it->id = sqlite3_last_insert_rowid(st->db);
		st->unindexed++;
	} else {
		if ((s = store_stmt(st, sql_item_id, e)) == NULL)
			goto fail;
		bind_text(s, 1, it->platform);
		bind_text(s, 2, it->account);
		bind_text(s, 3, it->item_id);
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW) {
			store_fail(st, e, "item id");
			sqlite3_reset(s);
			goto fail;
		}
		it->id = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
	}

	if (isnew && it->author_id != NULL && it->author_id[0] != '\0' &&
	    store_author_put(st, it->platform, it->account, it->author_id,
	    it->author_handle, it->author_name, it->fetched_at, e) == -1)
		goto fail;
	if (store_txn_end(st, own, true, e) == -1)
		return -1;
	return isnew;
fail:
	store_txn_end(st, own, false, e);
	return -1;
}

int
store_item_get(struct store *st, int64_t id, struct store_item *it,
    struct store_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	memset(it, 0, sizeof *it);
	if ((s = store_stmt(st, sql_item_get, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		store_fail(st, e, "get item");
		sqlite3_reset(s);
		return -1;
	}
	it->id = id;
	it->platform = col_text(s, 0);
	it->account = col_text(s, 1);
	it->item_id = col_text(s, 2);
	it->kind = strcmp((const char *)sqlite3_column_text(s, 3), "dm") == 0 ?
	    STORE_KIND_DM : STORE_KIND_COMMENT;
	it->author_id = col_text(s, 4);
	it->author_handle = col_text(s, 5);
	it->author_name = col_text(s, 6);
	it->text = col_text(s, 7);
	it->raw_json = col_text_null(s, 8);
	it->permalink = col_text_null(s, 9);
	it->parent_id = col_text_null(s, 10);
	it->created_at = sqlite3_column_int64(s, 11);
	it->fetched_at = sqlite3_column_int64(s, 12);
	it->state = col_text(s, 13);
	sqlite3_reset(s);
	return 1;
}

int
store_item_find(struct store *st, const char *item_id, int64_t *id,
    struct store_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store_stmt(st, sql_item_find, e)) == NULL)
		return -1;
	bind_text(s, 1, item_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(st, e, "find item");
}

int
store_item_set_state(struct store *st, int64_t id, const char *state,
    struct store_err *e)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, sql_item_state, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, state);
	if (store_step_done(st, s, e, "item state") == -1)
		return -1;
	if (sqlite3_changes(st->db) == 0) {
		store_err_set(e, "item %" PRId64 ": no such item", id);
		return -1;
	}
	return 0;
}

int64_t
store_item_count(struct store *st)
{
	sqlite3_stmt	*s;
	int64_t		 n = -1;

	if ((s = store_stmt(st, sql_item_count, NULL)) == NULL)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return n;
}

void
store_item_free(struct store_item *it)
{
	free((void *)it->platform);
	free((void *)it->account);
	free((void *)it->item_id);
	free((void *)it->author_id);
	free((void *)it->author_handle);
	free((void *)it->author_name);
	free((void *)it->text);
	free((void *)it->raw_json);
	free((void *)it->permalink);
	free((void *)it->parent_id);
	free((void *)it->state);
	memset(it, 0, sizeof *it);
}

/* --- cursors ----------------------------------------------------------------------- */

static const char sql_cursor_get[] =
    "SELECT value FROM cursors WHERE account = ?1 AND stream = ?2";
static const char sql_cursor_set[] =
    "INSERT INTO cursors (account, stream, value, updated_at)"
    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (account, stream)"
    " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";

int
store_cursor_get(struct store *st, const char *account, const char *stream,
    char **value, struct store_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	*value = NULL;
	if ((s = store_stmt(st, sql_cursor_get, e)) == NULL)
		return -1;
	bind_text(s, 1, account);
	bind_text(s, 2, stream);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*value = col_text(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(st, e, "get cursor");
}

int
store_cursor_set(struct store *st, const char *account, const char *stream,
    const char *value, struct store_err *e)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, sql_cursor_set, e)) == NULL)
		return -1;
	bind_text(s, 1, account);
	bind_text(s, 2, stream);
	bind_text(s, 3, value);
	sqlite3_bind_int64(s, 4, store_now(st));
	return store_step_done(st, s, e, "set cursor");
}

/* --- verdicts and decisions ------------------------------------------------------- */

static const char sql_verdict_put[] =
    "INSERT INTO verdicts (item, ruleset, flagged, severity, categories,"
    " matches, review, review_reason, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    " ON CONFLICT (item, ruleset) DO UPDATE SET flagged = excluded.flagged,"
    " severity = excluded.severity, categories = excluded.categories,"
    " matches = excluded.matches, review = excluded.review,"
    " review_reason = excluded.review_reason,"
    " created_at = excluded.created_at";
static const char sql_verdict_get[] =
    "SELECT ruleset, flagged, severity, categories, matches, review,"
    " review_reason, created_at FROM verdicts WHERE item = ?1"
    " ORDER BY created_at DESC, id DESC LIMIT 1";

/* The verdict's categories and matches as canonical JSON text (owned). */
void
store_verdict_texts(const struct verdict *v, char **cats, char **matches)
{
	json_t		*c, *m, *o;
	const char	*name;
	size_t		 i;

	c = json_object();
	for (i = 0; i < CAT_COUNT; i++) {
		if (v->cat_severity[i] == 0 ||
		    (name = category_name((enum category)i)) == NULL)
			continue;
		json_object_set_new(c, name, json_integer(v->cat_severity[i]));
	}
	m = json_array();
	for (i = 0; i < v->nmatches; i++) {
		const struct rs_match *r = &v->matches[i];

		o = json_object();
		json_object_set_new(o, "rule",
		    json_string(r->rule_id != NULL ? r->rule_id : ""));
		name = category_name(r->category);
		json_object_set_new(o, "category",
		    json_string(name != NULL ? name : ""));
		json_object_set_new(o, "severity", json_integer(r->severity));
		json_object_set_new(o, "start", json_integer((json_int_t)r->start));
		json_object_set_new(o, "end", json_integer((json_int_t)r->end));
		json_object_set_new(o, "what",
		    json_string(r->what != NULL ? r->what : ""));
		json_array_append_new(m, o);
	}
	*cats = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	*matches = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(c);
	json_decref(m);
	if (*cats == NULL || *matches == NULL)
		abort();	/* jansson fails only on allocation */
}

int
store_verdict_put(struct store *st, int64_t item, const struct verdict *v,
    struct store_err *e)
{
	char	*cats, *matches;
	int	 rc;

	store_verdict_texts(v, &cats, &matches);
	rc = store_verdict_put_texts(st, item, v, cats, matches, e);
	free(cats);
	free(matches);
	return rc;
}

int
store_verdict_put_texts(struct store *st, int64_t item,
    const struct verdict *v, const char *cats, const char *matches,
    struct store_err *e)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql_verdict_put, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, item);
	bind_text(s, 2, v->ruleset);
	sqlite3_bind_int(s, 3, v->flagged);
	sqlite3_bind_int(s, 4, v->severity);
	bind_text(s, 5, cats);
	bind_text(s, 6, matches);
	sqlite3_bind_int(s, 7, v->review);
	bind_text(s, 8, v->review_reason);
	sqlite3_bind_int64(s, 9, store_now(st));
	return store_step_done(st, s, e, "put verdict");
}

int
store_verdict_get(struct store *st, int64_t item, struct store_verdict_row *r,
    struct store_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	memset(r, 0, sizeof *r);
	if ((s = store_stmt(st, sql_verdict_get, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, item);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		snprintf(r->ruleset, sizeof r->ruleset, "%s",
		    (const char *)sqlite3_column_text(s, 0));
		r->flagged = sqlite3_column_int(s, 1) != 0;
		r->severity = sqlite3_column_int(s, 2);
		r->categories = col_text(s, 3);
		r->matches = col_text(s, 4);
		r->review = sqlite3_column_int(s, 5) != 0;
		r->review_reason = col_text(s, 6);
		r->created_at = sqlite3_column_int64(s, 7);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(st, e, "get verdict");
}

void
store_verdict_row_free(struct store_verdict_row *r)
{
	free(r->categories);
	free(r->matches);
	free(r->review_reason);
	memset(r, 0, sizeof *r);
}

static const char sql_decision_put[] =
    "INSERT INTO decisions (item, actions, mode, rule_ids, ruleset, clause,"
    " reason, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

int
store_decision_put(struct store *st, const struct store_decision *d,
    int64_t *id, struct store_err *e)
{
	sqlite3_stmt	*s;
	const char	*mode;

	if ((mode = store_mode_name(d->mode)) == NULL) {
		store_err_set(e, "put decision: bad mode %d", (int)d->mode);
		return -1;
	}
	if ((s = store_stmt(st, sql_decision_put, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, d->item);
	sqlite3_bind_int64(s, 2, d->actions);
	bind_text(s, 3, mode);
	bind_text(s, 4, d->rule_ids);
	bind_text(s, 5, d->ruleset);
	bind_text(s, 6, d->clause);
	bind_text(s, 7, d->reason);
	sqlite3_bind_int64(s, 8, d->created_at != 0 ? d->created_at :
	    store_now(st));
	if (store_step_done(st, s, e, "put decision") == -1)
		return -1;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

/* --- queue --------------------------------------------------------------------------- */

static const char sql_queue_exists[] = "SELECT 1 FROM queue WHERE item = ?1";
/*
 * categories: of the item's latest verdict, for queue.c's filter.  Taken
 * when the item is queued: a verdict added later (a re-screening) is seen
 * by the filter only once the item is queued again.
 */
static const char sql_queue_put[] =
    "INSERT INTO queue (item, state, proposed, created_at, updated_at,"
    " categories) VALUES (?1, 'open', ?2, ?3, ?3, coalesce((SELECT"
    " ',' || group_concat(c.key, ',') || ','"
    " FROM verdicts v, json_each(v.categories) c WHERE v.id ="
    " (SELECT max(id) FROM verdicts WHERE item = ?1)), ''))"
    " ON CONFLICT (item) DO UPDATE SET"
    " state = 'open', proposed = excluded.proposed,"
    " updated_at = excluded.updated_at, categories = excluded.categories";
static const char sql_queue_state[] =
    "UPDATE queue SET state = ?2, assignee = coalesce(?3, assignee),"
    " updated_at = ?4 WHERE item = ?1";
static const char sql_queue_note[] =
    "INSERT INTO queue_notes (item, author, text, created_at)"
    " VALUES (?1, ?2, ?3, ?4)";
static const char sql_queue_list[] =
    "SELECT item, state, proposed, assignee, created_at, updated_at"
    " FROM queue WHERE ?1 IS NULL OR state = ?1"
    " ORDER BY updated_at, item LIMIT ?2";

int
store_queue_put(struct store *st, int64_t item, unsigned proposed,
    int64_t now, struct store_err *e)
{
	sqlite3_stmt	*s;
	int		 rc, existed;

	if ((s = store_stmt(st, sql_queue_exists, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, item);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, e, "queue lookup");
	existed = rc == SQLITE_ROW;
	if ((s = store_stmt(st, sql_queue_put, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, item);
	sqlite3_bind_int64(s, 2, proposed);
	sqlite3_bind_int64(s, 3, now);
	if (store_step_done(st, s, e, "queue put") == -1)
		return -1;
	return existed ? 0 : 1;
}

int
store_queue_set_state(struct store *st, int64_t item,
    enum store_queue_state state, const char *assignee, int64_t now,
    struct store_err *e)
{
	sqlite3_stmt	*s;
	const char	*name;

	if ((name = store_queue_state_name(state)) == NULL) {
		store_err_set(e, "queue: bad state %d", (int)state);
		return -1;
	}
	if ((s = store_stmt(st, sql_queue_state, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, item);
	bind_text(s, 2, name);
	bind_text_null(s, 3, assignee);
	sqlite3_bind_int64(s, 4, now);
	if (store_step_done(st, s, e, "queue state") == -1)
		return -1;
	if (sqlite3_changes(st->db) == 0) {
		store_err_set(e, "queue: item %" PRId64 " is not queued", item);
		return -1;
	}
	return 0;
}

int
store_queue_note_add(struct store *st, int64_t item, const char *author,
    const char *text, int64_t now, struct store_err *e)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, sql_queue_note, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, item);
	bind_text(s, 2, author);
	bind_text(s, 3, text);
	sqlite3_bind_int64(s, 4, now);
	return store_step_done(st, s, e, "queue note");
}

int
store_queue_list(struct store *st, int state, size_t limit,
    struct store_queue_entry **out, size_t *n, struct store_err *e)
{
	sqlite3_stmt			*s;
	struct store_queue_entry	*v = NULL, *q;
	size_t				 cap = 0;
	int				 rc;

	*out = NULL;
	*n = 0;
	if ((s = store_stmt(st, sql_queue_list, e)) == NULL)
		return -1;
	if (state >= 0)
		bind_text(s, 1, store_queue_state_name(state));
	sqlite3_bind_int64(s, 2, limit == 0 ? -1 : (int64_t)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof *v);
		}
		q = &v[(*n)++];
		q->item = sqlite3_column_int64(s, 0);
		q->state = store_queue_state_from_name(
		    (const char *)sqlite3_column_text(s, 1));
		q->proposed = (unsigned)sqlite3_column_int64(s, 2);
		q->assignee = col_text(s, 3);
		q->created_at = sqlite3_column_int64(s, 4);
		q->updated_at = sqlite3_column_int64(s, 5);
	}
	sqlite3_reset(s);
	*out = v;
	if (rc != SQLITE_DONE) {
		store_fail(st, e, "queue list");
		store_queue_list_free(v, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

void
store_queue_list_free(struct store_queue_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].assignee);
	free(v);
}

/* --- outbox ---------------------------------------------------------------------------- */

#define OB_COLUMNS \
    "id, item, account, action, params, idem_key, state, attempts," \
    " next_attempt_at, last_error, created_at, updated_at"

static const char sql_ob_add[] =
    "INSERT INTO outbox (item, account, action, params, idem_key, state,"
    " next_attempt_at, created_at, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6, ?6)"
    " ON CONFLICT (idem_key) DO NOTHING";
static const char sql_ob_by_key[] = "SELECT id FROM outbox WHERE idem_key = ?1";
static const char sql_ob_due[] =
    "SELECT " OB_COLUMNS " FROM outbox WHERE state = 'pending'"
    " AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2";
static const char sql_ob_inflight[] =
    "SELECT " OB_COLUMNS " FROM outbox WHERE state = 'sent' ORDER BY id";
static const char sql_ob_get[] =
    "SELECT " OB_COLUMNS " FROM outbox WHERE id = ?1";
static const char sql_ob_sent[] =
    "UPDATE outbox SET state = 'sent', attempts = attempts + 1,"
    " updated_at = ?2 WHERE id = ?1 AND state = 'pending'";
static const char sql_ob_done[] =
    "UPDATE outbox SET state = 'done', updated_at = ?2"
    " WHERE id = ?1 AND state IN ('sent', 'pending')";
static const char sql_ob_retry[] =
    "UPDATE outbox SET state = 'pending', next_attempt_at = ?2,"
    " last_error = ?3, updated_at = ?4,"
    " attempts = attempts - (CASE WHEN state = 'sent' AND attempts > 0"
    "   THEN ?5 ELSE 0 END)"
    " WHERE id = ?1 AND state IN ('sent', 'pending')";
static const char sql_ob_defer[] =
    "UPDATE outbox SET next_attempt_at = max(next_attempt_at, ?2)"
    " WHERE id = ?1 AND state = 'pending'";
static const char sql_ob_failed[] =
    "UPDATE outbox SET state = 'failed', last_error = ?2, updated_at = ?3"
    " WHERE id = ?1 AND state IN ('pending', 'sent')";
static const char sql_ob_abandon[] =
    "UPDATE outbox SET state = 'abandoned', last_error = ?2, updated_at = ?3"
    " WHERE id = ?1 AND state IN ('pending', 'sent', 'failed')";
static const char sql_ob_count[] =
    "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sent')";
static const char sql_ob_state[] = "SELECT state FROM outbox WHERE id = ?1";

int
store_outbox_add(struct store *st, int64_t item, const char *account,
    unsigned action, const char *params_json, const char *idem_key,
    int64_t now, int64_t *id, struct store_err *e)
{
	sqlite3_stmt	*s;
	const char	*name;
	int		 isnew, rc;

	if ((name = action_name(action)) == NULL) {
		store_err_set(e, "outbox: %#x is not a single action", action);
		return -1;
	}
	if (idem_key == NULL || idem_key[0] == '\0') {
		store_err_set(e, "outbox: an idempotency key is required");
		return -1;
	}
	if ((s = store_stmt(st, sql_ob_add, e)) == NULL)
		return -1;
	bind_id(s, 1, item);
	bind_text(s, 2, account);
	bind_text(s, 3, name);
	bind_text(s, 4, params_json != NULL ? params_json : "{}");
	bind_text(s, 5, idem_key);
	sqlite3_bind_int64(s, 6, now);
	if (store_step_done(st, s, e, "outbox add") == -1)
		return -1;
	isnew = sqlite3_changes(st->db) > 0;
	if ((s = store_stmt(st, sql_ob_by_key, e)) == NULL)
		return -1;
	bind_text(s, 1, idem_key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && id != NULL)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return store_fail(st, e, "outbox key");
	return isnew;
}

static void
store_outbox_read(sqlite3_stmt *s, struct store_outbox_row *r)
{
	int st;

	r->id = sqlite3_column_int64(s, 0);
	r->item = sqlite3_column_int64(s, 1);
	r->account = col_text(s, 2);
	r->action = action_from_name((const char *)sqlite3_column_text(s, 3));
	r->params = col_text(s, 4);
	r->idem_key = col_text(s, 5);
	st = store_lookup_name(store_outbox_state_names, 5,
	    (const char *)sqlite3_column_text(s, 6));
	r->state = st < 0 ? STORE_OB_FAILED : (enum store_outbox_state)st;
	r->attempts = sqlite3_column_int(s, 7);
	r->next_attempt_at = sqlite3_column_int64(s, 8);
	r->last_error = col_text(s, 9);
	r->created_at = sqlite3_column_int64(s, 10);
	r->updated_at = sqlite3_column_int64(s, 11);
}

static int
store_outbox_collect(struct store *st, sqlite3_stmt *s,
    struct store_outbox_row **out, size_t *n, struct store_err *e)
{
	struct store_outbox_row	*v = NULL;
	size_t			 cap = 0;
	int			 rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof *v);
		}
		store_outbox_read(s, &v[(*n)++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_fail(st, e, "outbox list");
		store_outbox_rows_free(v, *n);
		*n = 0;
		return -1;
	}
	*out = v;
	return 0;
}

int
store_outbox_due(struct store *st, int64_t now, size_t limit,
    struct store_outbox_row **out, size_t *n, struct store_err *e)
{
	sqlite3_stmt *s;

	*out = NULL;
	*n = 0;
	if ((s = store_stmt(st, sql_ob_due, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, limit == 0 ? -1 : (int64_t)limit);
	return store_outbox_collect(st, s, out, n, e);
}

int
store_outbox_inflight(struct store *st, struct store_outbox_row **out,
    size_t *n, struct store_err *e)
{
	sqlite3_stmt *s;

	*out = NULL;
	*n = 0;
	if ((s = store_stmt(st, sql_ob_inflight, e)) == NULL)
		return -1;
	return store_outbox_collect(st, s, out, n, e);
}

int
store_outbox_get(struct store *st, int64_t id, struct store_outbox_row *r,
    struct store_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	memset(r, 0, sizeof *r);
	if ((s = store_stmt(st, sql_ob_get, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		store_outbox_read(s, r);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(st, e, "outbox get");
}

/* Starts a guarded transition: its statement, and no conflict yet. */
static sqlite3_stmt *
store_outbox_stmt(struct store *st, const char *sql, struct store_err *e)
{
	st->outbox_conflict = false;
	return store_stmt(st, sql, e);
}

/*
 * Finishes a guarded transition: when no row changed, says which state the
 * row was in, so the executor's log shows the illegal move.
 */
static int
store_outbox_moved(struct store *st, int64_t id, const char *to,
    struct store_err *e)
{
	sqlite3_stmt	*s;
	char		 from[16] = "missing";
	int		 rc;

	if (sqlite3_changes(st->db) > 0)
		return 0;
	if ((s = store_stmt(st, sql_ob_state, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		snprintf(from, sizeof from, "%s",
		    (const char *)sqlite3_column_text(s, 0));
	else if (rc != SQLITE_DONE) {
		store_fail(st, e, "outbox state");
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	st->outbox_conflict = true;
	store_err_set(e, "outbox %" PRId64 ": cannot go from %s to %s", id,
	    from, to);
	return -1;
}

int
store_outbox_mark_sent(struct store *st, int64_t id, int64_t now,
    struct store_err *e)
{
	sqlite3_stmt *s;

	if ((s = store_outbox_stmt(st, sql_ob_sent, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	if (store_step_done(st, s, e, "outbox sent") == -1)
		return -1;
	return store_outbox_moved(st, id, "sent", e);
}

int
store_outbox_mark_done(struct store *st, int64_t id, int64_t now,
    struct store_err *e)
{
	sqlite3_stmt *s;

	if ((s = store_outbox_stmt(st, sql_ob_done, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	if (store_step_done(st, s, e, "outbox done") == -1)
		return -1;
	return store_outbox_moved(st, id, "done", e);
}

int
store_outbox_retry(struct store *st, int64_t id, int64_t next_at,
    const char *error, bool counted, int64_t now, struct store_err *e)
{
	sqlite3_stmt *s;

	if ((s = store_outbox_stmt(st, sql_ob_retry, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, next_at);
	bind_text(s, 3, error);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_int(s, 5, counted ? 0 : 1);
	if (store_step_done(st, s, e, "outbox retry") == -1)
		return -1;
	return store_outbox_moved(st, id, "pending", e);
}

int
store_outbox_defer(struct store *st, int64_t id, int64_t next_at,
    struct store_err *e)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, sql_ob_defer, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, next_at);
	return store_step_done(st, s, e, "outbox defer");
}

int
store_outbox_mark_failed(struct store *st, int64_t id, const char *error,
    int64_t now, struct store_err *e)
{
	sqlite3_stmt *s;

	if ((s = store_outbox_stmt(st, sql_ob_failed, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, error);
	sqlite3_bind_int64(s, 3, now);
	if (store_step_done(st, s, e, "outbox failed") == -1)
		return -1;
	return store_outbox_moved(st, id, "failed", e);
}

int
store_outbox_abandon(struct store *st, int64_t id, const char *reason,
    int64_t now, struct store_err *e)
{
	sqlite3_stmt *s;

	if ((s = store_outbox_stmt(st, sql_ob_abandon, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, reason);
	sqlite3_bind_int64(s, 3, now);
	if (store_step_done(st, s, e, "outbox abandon") == -1)
		return -1;
	return store_outbox_moved(st, id, "abandoned", e);
}

bool
store_outbox_conflict(const struct store *st)
{
	return st->outbox_conflict;
}

int
store_outbox_pending_count(struct store *st, int64_t *n, struct store_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store_stmt(st, sql_ob_count, e)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return store_fail(st, e, "outbox count");
	return 0;
}

void
store_outbox_row_free(struct store_outbox_row *r)
{
	free(r->account);
	free(r->params);
	free(r->idem_key);
	free(r->last_error);
	memset(r, 0, sizeof *r);
}

void
store_outbox_rows_free(struct store_outbox_row *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_outbox_row_free(&v[i]);
	free(v);
}

/* --- authors and strikes ------------------------------------------------------------- */

/*
 * An author's row is rewritten only when something changed, and last_seen
 * only to the minute: every rewrite dirties a page at a random place of
 * the table, and a busy author writes many items a minute.
 */
static const char sql_author_put[] =
    "INSERT INTO authors (platform, account, author_id, handle, name,"
    " first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)"
    " ON CONFLICT (platform, account, author_id) DO UPDATE SET"
    " handle = CASE WHEN excluded.handle != '' THEN excluded.handle"
    "   ELSE handle END,"
    " name = CASE WHEN excluded.name != '' THEN excluded.name ELSE name END,"
    " last_seen = max(last_seen, excluded.last_seen)"
    " WHERE (excluded.handle != '' AND excluded.handle != handle)"
    " OR (excluded.name != '' AND excluded.name != name)"
    " OR excluded.last_seen >= last_seen + 60";
static const char sql_author_id[] =
    "SELECT id FROM authors WHERE platform = ?1 AND account = ?2"
    " AND author_id = ?3";
static const char sql_strike_add[] =
    "INSERT INTO strikes (author, ts, rule, item) VALUES (?1, ?2, ?3, ?4)";
static const char sql_strike_count[] =
    "SELECT count(*) FROM strikes JOIN authors ON authors.id = strikes.author"
    " WHERE authors.platform = ?1 AND authors.account = ?2"
    " AND authors.author_id = ?3 AND strikes.ts >= ?4";

int
store_author_put(struct store *st, const char *platform, const char *account,
    const char *author_id, const char *handle, const char *name, int64_t now,
    struct store_err *e)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, sql_author_put, e)) == NULL)
		return -1;
	bind_text(s, 1, platform);
	bind_text(s, 2, account);
	bind_text(s, 3, author_id);
	bind_text(s, 4, handle);
	bind_text(s, 5, name);
	sqlite3_bind_int64(s, 6, now);
	return store_step_done(st, s, e, "author put");
}

int
store_author_strike_add(struct store *st, const char *platform,
    const char *account, const char *author_id, int64_t ts, const char *rule,
    int64_t item, struct store_err *e)
{
	sqlite3_stmt	*s;
	int64_t		 author;
	bool		 own;
	int		 rc;

	if (store_txn_begin(st, &own, e) == -1)
		return -1;
	/* the author may not have been seen through store_item_put */
	if (store_author_put(st, platform, account, author_id, NULL, NULL, ts,
	    e) == -1)
		goto fail;
	if ((s = store_stmt(st, sql_author_id, e)) == NULL)
		goto fail;
	bind_text(s, 1, platform);
	bind_text(s, 2, account);
	bind_text(s, 3, author_id);
	rc = sqlite3_step(s);
	author = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		store_fail(st, e, "author id");
		goto fail;
	}
	if ((s = store_stmt(st, sql_strike_add, e)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, author);
	sqlite3_bind_int64(s, 2, ts);
	bind_text(s, 3, rule);
	bind_id(s, 4, item);
	if (store_step_done(st, s, e, "strike add") == -1)
		goto fail;
	return store_txn_end(st, own, true, e);
fail:
	store_txn_end(st, own, false, e);
	return -1;
}

int
store_author_strike_count_since(struct store *st, const char *platform,
    const char *account, const char *author_id, int64_t since, int64_t *count,
    struct store_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store_stmt(st, sql_strike_count, e)) == NULL)
		return -1;
	bind_text(s, 1, platform);
	bind_text(s, 2, account);
	bind_text(s, 3, author_id);
	sqlite3_bind_int64(s, 4, since);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*count = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return store_fail(st, e, "strike count");
	return 0;
}

/* --- evidence rows ------------------------------------------------------------------- */

static const char sql_evidence_put[] =
    "INSERT INTO evidence (item, record, sha256, created_at)"
    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (item) DO NOTHING";
static const char sql_evidence_get[] =
    "SELECT record, sha256, created_at FROM evidence WHERE item = ?1";

int
store_evidence_put(struct store *st, int64_t item, const char *record,
    const char *sha256, int64_t now, struct store_err *e)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, sql_evidence_put, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, item);
	bind_text(s, 2, record);
	bind_text(s, 3, sha256);
	sqlite3_bind_int64(s, 4, now);
	if (store_step_done(st, s, e, "evidence put") == -1)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

int
store_evidence_get(struct store *st, int64_t item, char **record,
    char sha256[65], int64_t *created_at, struct store_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	*record = NULL;
	if ((s = store_stmt(st, sql_evidence_get, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, item);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*record = col_text(s, 0);
		if (sha256 != NULL)
			snprintf(sha256, 65, "%s",
			    (const char *)sqlite3_column_text(s, 1));
		if (created_at != NULL)
			*created_at = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(st, e, "evidence get");
}
