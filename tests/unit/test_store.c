/*
 * test_store.c: the state store on a real SQLite file in a temporary
 * directory: migrations from an empty file, item dedup, transactions
 * (commit, rollback, and a process killed mid-transaction), cursors,
 * verdicts, the queue, the outbox state machine and its idempotency keys,
 * strikes, and the queue counts behind /metrics.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "category.h"
#include "queue.h"
#include "ruleset.h"
#include "store.h"
#include "testutil.h"

static char tmpdir[64];

static int64_t
fixed_now(void *arg)
{
	return *(int64_t *)arg;
}

static struct store_item
item(const char *id, const char *author)
{
	struct store_item it = {
		.platform = "mastodon", .account = "bmi", .item_id = id,
		.kind = STORE_KIND_COMMENT, .author_id = author,
		.author_handle = "@troll", .author_name = "Troll",
		.text = "Du bist ein Vollidiot", .raw_json = "{\"id\":\"1\"}",
		.permalink = "https://example.social/@troll/1",
		.parent_id = "p1", .created_at = 1700000000,
		.fetched_at = 1700000060,
	};
	return it;
}

static struct store *
reopen(struct store *st)
{
	struct store_err e = { "" };

	store_close(st);
	st = store_open(tmpdir, &e);
	if (st == NULL)
		fprintf(stderr, "reopen: %s\n", e.msg);
	return st;
}

/*
 * Runs sql (which takes the store back to an older schema and sets its
 * user_version), reopens the store, and checks it was migrated to the
 * latest schema: the reopened store, or NULL.
 */
static struct store *
reopen_older(struct store **stp, const char *sql)
{
	struct store_err e = { "" };

	CHECK_INT(store_exec(*stp, sql, &e), 0);
	*stp = reopen(*stp);
	CHECK(*stp != NULL);
	if (*stp != NULL)
		CHECK_INT(store_schema_version(*stp), store_schema_latest());
	return *stp;
}

static void
test_open(void)
{
	struct store_err	 e = { "" };
	struct store		*st;
	sqlite3_stmt		*s;
	char			 mode[16] = "";

	st = store_open(tmpdir, &e);
	CHECK(st != NULL);
	if (st == NULL) {
		fprintf(stderr, "open: %s\n", e.msg);
		exit(1);
	}
	CHECK_INT(store_schema_version(st), store_schema_latest());
	CHECK(store_schema_latest() >= 2);
	sqlite3_prepare_v2(store_db(st), "PRAGMA journal_mode", -1, &s, NULL);
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(mode, sizeof mode, "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	CHECK_STR(mode, "wal");
	CHECK_INT(store_item_count(st), 0);

	/* reopening an up-to-date store changes nothing */
	st = reopen(st);
	CHECK(st != NULL);
	CHECK_INT(store_schema_version(st), store_schema_latest());

	/* a newer schema is refused, not downgraded */
	CHECK_INT(store_exec(st, "PRAGMA user_version = 99", &e), 0);
	store_close(st);
	st = store_open(tmpdir, &e);
	CHECK(st == NULL);
	CHECK(strstr(e.msg, "newer") != NULL);
	store_err_clear(&e);
	{
		/* put it back with plain SQLite */
		sqlite3 *db;
		char path[128];

		snprintf(path, sizeof path, "%s/%s", tmpdir, STORE_DB_NAME);
		sqlite3_open(path, &db);
		sqlite3_exec(db, "PRAGMA user_version = 2", NULL, NULL, NULL);
		sqlite3_close(db);
	}
	st = store_open(tmpdir, &e);
	CHECK(st != NULL);
	store_close(st);
}

static void
test_items(struct store *st)
{
	struct store_err	e = { "" };
	struct store_item	it = item("100", "a1"), dup = item("100", "a1");
	struct store_item	other = item("100", "a1"), got;
	int64_t			n;

	CHECK_INT(store_item_put(st, &it, &e), 1);
	CHECK(it.id > 0);
	dup.text = "changed";
	CHECK_INT(store_item_put(st, &dup, &e), 0);
	CHECK_INT(dup.id, it.id);
	other.account = "bpol";		/* same id on another account is new */
	CHECK_INT(store_item_put(st, &other, &e), 1);
	CHECK(other.id != it.id);
	CHECK_INT(store_item_count(st), 2);

	CHECK_INT(store_item_get(st, it.id, &got, &e), 1);
	CHECK_STR(got.text, "Du bist ein Vollidiot");
	CHECK_STR(got.state, "new");
	CHECK_STR(got.parent_id, "p1");
	CHECK_INT(got.created_at, 1700000000);
	store_item_free(&got);
	CHECK_INT(store_item_get(st, 9999, &got, &e), 0);
	CHECK_INT(store_item_find(st, "100", &n, &e), 1);
	CHECK_INT(n, it.id);
	CHECK_INT(store_item_set_state(st, it.id, "hidden", &e), 0);
	CHECK_INT(store_item_set_state(st, 9999, "hidden", &e), -1);
	CHECK(strstr(e.msg, "no such item") != NULL);
	store_err_clear(&e);

	/* a DM with no optional fields */
	{
		struct store_item dm = { .platform = "x", .account = "bmi",
		    .item_id = "dm1", .kind = STORE_KIND_DM };

		CHECK_INT(store_item_put(st, &dm, &e), 1);
		CHECK_INT(store_item_get(st, dm.id, &got, &e), 1);
		CHECK_INT(got.kind, STORE_KIND_DM);
		CHECK(got.raw_json == NULL);
		store_item_free(&got);
	}
	CHECK_STR(e.msg, "");
}

static void
test_transactions(struct store *st)
{
	struct store_err	 e = { "" };
	struct store_item	 a = item("200", "a2"), b = item("201", "a2");
	char			*v;
	int64_t			 before = store_item_count(st);

	CHECK_INT(store_begin(st, &e), 0);
	CHECK(store_in_transaction(st));
	CHECK_INT(store_begin(st, &e), -1);	/* not nestable */
	store_err_clear(&e);
	CHECK_INT(store_item_put(st, &a, &e), 1);
	CHECK_INT(store_cursor_set(st, "bmi", "comments", "c200", &e), 0);
	store_rollback(st);
	CHECK(!store_in_transaction(st));
	CHECK_INT(store_item_count(st), before);
	CHECK_INT(store_cursor_get(st, "bmi", "comments", &v, &e), 0);

	CHECK_INT(store_begin(st, &e), 0);
	CHECK_INT(store_item_put(st, &a, &e), 1);
	CHECK_INT(store_item_put(st, &b, &e), 1);
	CHECK_INT(store_cursor_set(st, "bmi", "comments", "c201", &e), 0);
	CHECK_INT(store_commit(st, &e), 0);
	CHECK_INT(store_item_count(st), before + 2);
	CHECK_INT(store_cursor_get(st, "bmi", "comments", &v, &e), 1);
	CHECK_STR(v, "c201");
	free(v);
	CHECK_INT(store_cursor_set(st, "bmi", "comments", "c202", &e), 0);
	CHECK_INT(store_cursor_get(st, "bmi", "comments", &v, &e), 1);
	CHECK_STR(v, "c202");
	free(v);
	CHECK_INT(store_commit(st, &e), -1);	/* none open */
	store_err_clear(&e);
}

/*
 * kill -9 in the middle of a transaction: the child commits one screening,
 * starts another and dies before committing it.  The reopened store has
 * the first and nothing of the second.
 */
static void
test_crash(struct store **stp)
{
	struct store_err	 e = { "" };
	pid_t			 pid;
	int			 status;
	int64_t			 before, id, n;
	char			*v;

	before = store_item_count(*stp);
	store_close(*stp);
	*stp = NULL;
	if ((pid = fork()) == 0) {
		struct store		*st = store_open(tmpdir, &e);
		struct store_item	 a = item("300", "a3"), b = item("301", "a3");

		if (st == NULL)
			_exit(2);
		store_begin(st, &e);
		store_item_put(st, &a, &e);
		store_outbox_add(st, a.id, "bmi", ACT_HIDE, NULL, "hide:300",
		    10, &id, &e);
		store_cursor_set(st, "bmi", "crash", "c300", &e);
		if (store_commit(st, &e) == -1)
			_exit(3);
		store_begin(st, &e);
		store_item_put(st, &b, &e);
		store_outbox_add(st, b.id, "bmi", ACT_HIDE, NULL, "hide:301",
		    10, &id, &e);
		store_cursor_set(st, "bmi", "crash", "c301", &e);
		raise(SIGKILL);
		_exit(4);
	}
	CHECK(pid > 0);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	*stp = store_open(tmpdir, &e);
	CHECK(*stp != NULL);
	if (*stp == NULL)
		exit(1);
	CHECK_INT(store_item_count(*stp), before + 1);
	CHECK_INT(store_item_find(*stp, "300", &id, &e), 1);
	CHECK_INT(store_item_find(*stp, "301", &id, &e), 0);
	CHECK_INT(store_cursor_get(*stp, "bmi", "crash", &v, &e), 1);
	CHECK_STR(v, "c300");
	free(v);
	CHECK_INT(store_outbox_pending_count(*stp, &n, &e), 0);
	CHECK_INT(n, 1);
	CHECK_STR(e.msg, "");
}

static void
test_verdict_decision_queue(struct store *st)
{
	struct store_err		 e = { "" };
	struct store_item		 it = item("400", "a4");
	struct verdict			 v;
	struct rs_match			 m;
	struct store_verdict_row	 row;
	struct store_decision		 d;
	struct store_queue_entry	*q;
	size_t				 n;
	int64_t				 did;

	CHECK_INT(store_item_put(st, &it, &e), 1);
	memset(&v, 0, sizeof v);
	memset(&m, 0, sizeof m);
	m.rule_id = "insult.vollidiot";
	m.category = CAT_INSULT;
	m.severity = 2;
	m.start = 12;
	m.end = 21;
	m.what = "pattern 1";
	v.matches = &m;
	v.nmatches = 1;
	v.cat_severity[CAT_INSULT] = 2;
	v.severity = 2;
	v.flagged = true;
	snprintf(v.ruleset, sizeof v.ruleset, "%064d", 7);
	CHECK_INT(store_verdict_put(st, it.id, &v, &e), 0);
	CHECK_INT(store_verdict_put(st, it.id, &v, &e), 0);	/* replaces */
	CHECK_INT(store_verdict_get(st, it.id, &row, &e), 1);
	CHECK(row.flagged);
	CHECK_INT(row.severity, 2);
	CHECK_STR(row.categories, "{\"insult\":2}");
	CHECK(strstr(row.matches, "\"rule\":\"insult.vollidiot\"") != NULL);
	store_verdict_row_free(&row);

	memset(&d, 0, sizeof d);
	d.item = it.id;
	d.actions = ACT_HIDE | ACT_REVIEW;
	d.mode = STORE_MODE_REVIEW;
	d.rule_ids = "insult.vollidiot";
	d.ruleset = v.ruleset;
	d.clause = "Beleidigungen";
	d.reason = "hide, not delete: reversible until an editor confirms";
	CHECK_INT(store_decision_put(st, &d, &did, &e), 0);
	CHECK(did > 0);
	d.mode = (enum store_mode)7;
	CHECK_INT(store_decision_put(st, &d, NULL, &e), -1);
	store_err_clear(&e);

	CHECK_INT(store_queue_put(st, it.id, ACT_HIDE, 100, &e), 1);
	CHECK_INT(store_queue_note_add(st, it.id, "anna", "looks bad", 101,
	    &e), 0);
	CHECK_INT(store_queue_list(st, STORE_Q_OPEN, 0, &q, &n, &e), 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_INT(q[0].item, it.id);
		CHECK_INT(q[0].proposed, ACT_HIDE);
	}
	store_queue_list_free(q, n);
	CHECK_INT(store_queue_set_state(st, it.id, STORE_Q_APPROVED, "anna",
	    102, &e), 0);
	CHECK_INT(store_queue_list(st, STORE_Q_OPEN, 0, &q, &n, &e), 0);
	CHECK_INT(n, 0);
	store_queue_list_free(q, n);
	CHECK_INT(store_queue_list(st, -1, 10, &q, &n, &e), 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_INT(q[0].state, STORE_Q_APPROVED);
		CHECK_STR(q[0].assignee, "anna");
		CHECK_INT(q[0].updated_at, 102);
	}
	store_queue_list_free(q, n);
	CHECK_INT(store_queue_put(st, it.id, ACT_DELETE, 103, &e), 0);
	CHECK_INT(store_queue_set_state(st, 9999, STORE_Q_CLOSED, NULL, 1, &e),
	    -1);
	store_err_clear(&e);
	CHECK_STR(e.msg, "");
}

static void
test_outbox(struct store *st)
{
	struct store_err	 e = { "" };
	struct store_item	 it = item("500", "a5");
	struct store_outbox_row	*rows, r;
	size_t			 n;
	int64_t			 id1, id2, id3, again, cnt, base;

	CHECK_INT(store_item_put(st, &it, &e), 1);
	CHECK_INT(store_outbox_pending_count(st, &base, &e), 0);
	CHECK_INT(store_outbox_add(st, it.id, "bmi", ACT_HIDE,
	    "{\"id\":\"500\"}", "mastodon:bmi:500:hide", 1000, &id1, &e), 1);
	CHECK_INT(store_outbox_add(st, it.id, "bmi", ACT_HIDE, NULL,
	    "mastodon:bmi:500:hide", 2000, &again, &e), 0);
	CHECK_INT(again, id1);
	CHECK_INT(store_outbox_add(st, it.id, "bmi", ACT_BLOCK, NULL,
	    "mastodon:bmi:a5:block", 1000, &id2, &e), 1);
	CHECK_INT(store_outbox_add(st, 0, "bmi", ACT_NOTIFY, NULL,
	    "notify:1", 5000, &id3, &e), 1);
	CHECK_INT(store_outbox_add(st, it.id, "bmi", ACT_HIDE | ACT_BLOCK,
	    NULL, "two", 1000, NULL, &e), -1);	/* one action per row */
	store_err_clear(&e);
	CHECK_INT(store_outbox_add(st, it.id, "bmi", ACT_HIDE, NULL, "", 1000,
	    NULL, &e), -1);
	store_err_clear(&e);
	CHECK_INT(store_outbox_pending_count(st, &cnt, &e), 0);
	CHECK_INT(cnt, base + 3);

	CHECK_INT(store_outbox_due(st, 1500, 0, &rows, &n, &e), 0);
	CHECK_INT(n, 2 + base);	/* the crash test's row is due at 10 */
	if ((int64_t)n == 2 + base) {
		CHECK_INT(rows[n - 2].id, id1);
		CHECK_INT(rows[n - 2].action, ACT_HIDE);
		CHECK_STR(rows[n - 2].params, "{\"id\":\"500\"}");
		CHECK_INT(rows[n - 1].id, id2);
	}
	store_outbox_rows_free(rows, n);

	/* pending -> sent -> pending (retry) -> sent -> done */
	CHECK_INT(store_outbox_mark_sent(st, id1, 1500, &e), 0);
	CHECK_INT(store_outbox_mark_sent(st, id1, 1500, &e), -1);
	CHECK(strstr(e.msg, "from sent to sent") != NULL);
	store_err_clear(&e);
	CHECK_INT(store_outbox_inflight(st, &rows, &n, &e), 0);
	CHECK_INT(n, 1);
	store_outbox_rows_free(rows, n);
	CHECK_INT(store_outbox_retry(st, id1, 1600, "HTTP 503", true, 1501, &e), 0);
	CHECK_INT(store_outbox_due(st, 1599, 0, &rows, &n, &e), 0);
	CHECK_INT(n, 1 + base);		/* only id2 and the crash row */
	store_outbox_rows_free(rows, n);
	/* a try that does not count (429) gives its attempt back */
	CHECK_INT(store_outbox_mark_sent(st, id1, 1600, &e), 0);
	CHECK_INT(store_outbox_retry(st, id1, 1600, "HTTP 429", false, 1600,
	    &e), 0);
	CHECK_INT(store_outbox_get(st, id1, &r, &e), 1);
	CHECK_INT(r.attempts, 1);
	CHECK_INT(r.state, STORE_OB_PENDING);
	store_outbox_row_free(&r);
	/* ... only a sent one: a pending row has no attempt to give back */
	CHECK_INT(store_outbox_retry(st, id1, 1600, "HTTP 429", false, 1600,
	    &e), 0);
	CHECK_INT(store_outbox_get(st, id1, &r, &e), 1);
	CHECK_INT(r.attempts, 1);
	store_outbox_row_free(&r);
	CHECK_INT(store_outbox_mark_sent(st, id1, 1600, &e), 0);
	CHECK_INT(store_outbox_mark_done(st, id1, 1601, &e), 0);
	CHECK_INT(store_outbox_get(st, id1, &r, &e), 1);
	CHECK_INT(r.state, STORE_OB_DONE);
	CHECK_INT(r.attempts, 2);
	CHECK_STR(r.last_error, "HTTP 429");
	store_outbox_row_free(&r);
	CHECK_INT(store_outbox_retry(st, id1, 1, "x", true, 1, &e), -1);
	CHECK(strstr(e.msg, "from done") != NULL);
	store_err_clear(&e);
	CHECK_INT(store_outbox_abandon(st, id1, "x", 1, &e), -1);
	store_err_clear(&e);

	/* a done key stays taken: the action is not queued again */
	CHECK_INT(store_outbox_add(st, it.id, "bmi", ACT_HIDE, NULL,
	    "mastodon:bmi:500:hide", 3000, &again, &e), 0);
	CHECK_INT(again, id1);

	CHECK_INT(store_outbox_mark_sent(st, id2, 1700, &e), 0);
	CHECK_INT(store_outbox_mark_failed(st, id2, "HTTP 403", 1701, &e), 0);
	CHECK_INT(store_outbox_mark_done(st, id2, 1702, &e), -1);
	CHECK(store_outbox_conflict(st));
	store_err_clear(&e);
	CHECK_INT(store_outbox_abandon(st, id2, "editor withdrew", 1703, &e),
	    0);
	CHECK(!store_outbox_conflict(st));
	/*
	 * A failed statement is no conflict: the executor must not commit
	 * around it (the row would stay "sent" until a restart).
	 */
	CHECK_INT(store_outbox_mark_sent(st, id3, 1704, &e), 0);
	CHECK_INT(store_exec(st, "CREATE TEMP TRIGGER ob_done_fails BEFORE "
	    "UPDATE OF state ON main.outbox WHEN NEW.state = 'done' BEGIN "
	    "SELECT RAISE(ABORT, 'disk on fire'); END", &e), 0);
	CHECK_INT(store_outbox_mark_done(st, id3, 1705, &e), -1);
	CHECK(strstr(e.msg, "disk on fire") != NULL);
	CHECK(!store_outbox_conflict(st));
	store_err_clear(&e);
	CHECK_INT(store_exec(st, "DROP TRIGGER temp.ob_done_fails", &e), 0);
	CHECK_INT(store_outbox_retry(st, id3, 1705, "resumed", true, 1705, &e),
	    0);
	/* deferred (its account paused): not due before then, nor moved back */
	{
		struct store_outbox_row	*due = NULL;
		size_t			 ndue = 0, k;
		bool			 seen;

		CHECK_INT(store_outbox_defer(st, id3, 5000, &e), 0);
		CHECK_INT(store_outbox_defer(st, id3, 4000, &e), 0);
		CHECK_INT(store_outbox_due(st, 4999, 0, &due, &ndue, &e), 0);
		for (k = 0, seen = false; k < ndue; k++)
			seen = seen || due[k].id == id3;
		CHECK(!seen);
		store_outbox_rows_free(due, ndue);
		CHECK_INT(store_outbox_due(st, 5000, 0, &due, &ndue, &e), 0);
		for (k = 0, seen = false; k < ndue; k++)
			seen = seen || due[k].id == id3;
		CHECK(seen);
		store_outbox_rows_free(due, ndue);
	}
	CHECK_INT(store_outbox_abandon(st, id3, "not needed", 1703, &e), 0);
	CHECK_INT(store_outbox_mark_sent(st, 424242, 1, &e), -1);
	CHECK(strstr(e.msg, "from missing") != NULL);
	store_err_clear(&e);
	CHECK_INT(store_outbox_pending_count(st, &cnt, &e), 0);
	CHECK_INT(cnt, base);
	CHECK_STR(e.msg, "");
}

static void
test_strikes(struct store *st)
{
	struct store_err	e = { "" };
	int64_t			n;

	CHECK_INT(store_author_strike_add(st, "mastodon", "bmi", "a1", 1000,
	    "insult.vollidiot", 0, &e), 0);
	CHECK_INT(store_author_strike_add(st, "mastodon", "bmi", "a1", 2000,
	    "insult.vollidiot", 0, &e), 0);
	CHECK_INT(store_author_strike_add(st, "mastodon", "bmi", "new", 2000,
	    "vulgar.x", 0, &e), 0);		/* author not seen before */
	CHECK_INT(store_author_strike_count_since(st, "mastodon", "bmi", "a1",
	    0, &n, &e), 0);
	CHECK_INT(n, 2);
	CHECK_INT(store_author_strike_count_since(st, "mastodon", "bmi", "a1",
	    1500, &n, &e), 0);
	CHECK_INT(n, 1);
	CHECK_INT(store_author_strike_count_since(st, "mastodon", "bpol", "a1",
	    0, &n, &e), 0);
	CHECK_INT(n, 0);
	CHECK_STR(e.msg, "");
}

/* handle, name, last_seen of an author, via SQL */
static void
author_row(struct store *st, const char *id, char *handle, char *name,
    int64_t *last_seen)
{
	sqlite3_stmt *q;

	handle[0] = name[0] = '\0';
	*last_seen = -1;
	if (sqlite3_prepare_v2(store_db(st), "SELECT handle, name, last_seen "
	    "FROM authors WHERE platform = 'mastodon' AND account = 'bmi' AND "
	    "author_id = ?1", -1, &q, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		snprintf(handle, 64, "%s", (const char *)sqlite3_column_text(q, 0));
		snprintf(name, 64, "%s", (const char *)sqlite3_column_text(q, 1));
		*last_seen = sqlite3_column_int64(q, 2);
	}
	sqlite3_finalize(q);
}

/*
 * An author's row changes when the handle or name does, and last_seen
 * moves to the minute; an empty handle or name keeps the stored one.
 */
static void
test_authors(struct store *st)
{
	struct store_err	e = { "" };
	char			h[64], n[64];
	int64_t			seen;

	CHECK_INT(store_author_put(st, "mastodon", "bmi", "au", "@a", "A",
	    5000, &e), 0);
	CHECK_INT(store_author_put(st, "mastodon", "bmi", "au", "@a", "A",
	    5059, &e), 0);
	author_row(st, "au", h, n, &seen);
	CHECK_INT(seen, 5000);
	CHECK_INT(store_author_put(st, "mastodon", "bmi", "au", "@b", "",
	    5030, &e), 0);
	author_row(st, "au", h, n, &seen);
	CHECK_STR(h, "@b");
	CHECK_STR(n, "A");
	CHECK_INT(seen, 5030);
	CHECK_INT(store_author_put(st, "mastodon", "bmi", "au", "", "",
	    5100, &e), 0);
	author_row(st, "au", h, n, &seen);
	CHECK_STR(h, "@b");
	CHECK_INT(seen, 5100);
	/* an older sighting never moves last_seen back */
	CHECK_INT(store_author_put(st, "mastodon", "bmi", "au", "", "Z",
	    10, &e), 0);
	author_row(st, "au", h, n, &seen);
	CHECK_STR(n, "Z");
	CHECK_INT(seen, 5100);
	CHECK_STR(e.msg, "");
}

static void
test_evidence_rows(struct store *st)
{
	struct store_err	 e = { "" };
	struct store_item	 it = item("600", "a6");
	char			*rec, sha[65];
	int64_t			 at;

	CHECK_INT(store_item_put(st, &it, &e), 1);
	CHECK_INT(store_evidence_put(st, it.id, "{\"a\":1}", "abc", 5, &e), 1);
	CHECK_INT(store_evidence_put(st, it.id, "{\"a\":2}", "def", 6, &e), 0);
	CHECK_INT(store_evidence_get(st, it.id, &rec, sha, &at, &e), 1);
	CHECK_STR(rec, "{\"a\":1}");
	CHECK_STR(sha, "abc");
	CHECK_INT(at, 5);
	free(rec);
	CHECK_INT(store_evidence_get(st, 9999, &rec, sha, &at, &e), 0);
	/* write-once even through plain SQL */
	CHECK_INT(store_exec(st, "UPDATE evidence SET sha256 = 'x'", &e), -1);
	store_err_clear(&e);
}

/* queue_stats against counting the queue itself */
static void
check_queue_stats(struct store *st, const char *when)
{
	struct store_err	 e = { "" };
	sqlite3_stmt		*s;
	int64_t			 count[5], oldest[5], want[5] = { 0 },
				 wold[5] = { 0 };
	int			 k;

	sqlite3_prepare_v2(store_db(st), "SELECT state, count(*),"
	    " min(created_at) FROM queue GROUP BY state", -1, &s, NULL);
	while (sqlite3_step(s) == SQLITE_ROW) {
		k = store_queue_state_from_name((const char *)
		    sqlite3_column_text(s, 0));
		CHECK(k >= 0 && k < 5);
		if (k < 0 || k >= 5)
			continue;
		want[k] = sqlite3_column_int64(s, 1);
		wold[k] = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	CHECK_INT(queue_stats(st, count, oldest, &e), 0);
	for (k = 0; k < 5; k++) {
		if (count[k] != want[k] || oldest[k] != wold[k])
			fprintf(stderr, "%s: state %d: %lld/%lld, want %lld/%lld\n",
			    when, k, (long long)count[k], (long long)oldest[k],
			    (long long)want[k], (long long)wold[k]);
		CHECK(count[k] == want[k]);
		CHECK(oldest[k] == wold[k]);
	}
}

/*
 * The queue's counts are kept by triggers (migration 6): through puts,
 * state changes, a requeue and a delete, and rebuilt when a store of
 * schema 5 that already has a queue is opened.
 */
static void
test_queue_counts(struct store **stp)
{
	struct store_err	 e = { "" };
	struct store		*st = *stp;
	struct store_item	 it[6];
	char			 id[6][8];
	int			 i;

	for (i = 0; i < 6; i++) {
		snprintf(id[i], sizeof id[i], "qc%d", i);
		it[i] = item(id[i], "qc");
		CHECK_INT(store_item_put(st, &it[i], &e), 1);
		CHECK_INT(store_queue_put(st, it[i].id, ACT_HIDE, 500 + i, &e),
		    1);
	}
	check_queue_stats(st, "queued");
	CHECK_INT(store_queue_set_state(st, it[0].id, STORE_Q_APPROVED, "a",
	    600, &e), 0);
	CHECK_INT(store_queue_set_state(st, it[1].id, STORE_Q_APPROVED, "a",
	    601, &e), 0);
	CHECK_INT(store_queue_set_state(st, it[2].id, STORE_Q_DISMISSED, NULL,
	    602, &e), 0);
	/* the same state again changes no count */
	CHECK_INT(store_queue_set_state(st, it[2].id, STORE_Q_DISMISSED, "b",
	    603, &e), 0);
	check_queue_stats(st, "decided");
	CHECK_INT(store_queue_put(st, it[1].id, ACT_REPORT, 604, &e), 0);
	check_queue_stats(st, "requeued");
	CHECK_INT(store_exec(st, "DELETE FROM queue WHERE item IN"
	    " (SELECT id FROM items WHERE item_id = 'qc5')", &e), 0);
	check_queue_stats(st, "deleted");

	/* a store from before migration 6, with a queue */
	if ((st = reopen_older(stp, "DROP TRIGGER queue_counts_insert;"
	    "DROP TRIGGER queue_counts_delete;"
	    "DROP TRIGGER queue_counts_update;"
	    "DROP TABLE queue_counts;"
	    "PRAGMA user_version = 5")) == NULL)
		return;
	check_queue_stats(st, "migrated");
	CHECK_INT(store_queue_set_state(st, it[3].id, STORE_Q_ESCALATED, NULL,
	    605, &e), 0);
	check_queue_stats(st, "after migration");
}

/* The item_ids of an array of item summaries, space-separated, in got. */
static void
summary_ids(const json_t *a, char *got, size_t len)
{
	const json_t	*o;
	size_t		 i;

	got[0] = '\0';
	json_array_foreach(a, i, o) {
		if (i > 0)
			strncat(got, " ", len - strlen(got) - 1);
		strncat(got, json_string_value(json_object_get(o, "item_id")),
		    len - strlen(got) - 1);
	}
}

/* The item ids (item_id) queue_author_items finds for item, newest first. */
static void
author_items_are(struct store *st, int64_t item, const char *want,
    const char *what)
{
	struct store_err	 e = { "" };
	json_t			*a = queue_author_items(st, item, 20, &e);
	char			 got[256];

	CHECK(a != NULL);
	summary_ids(a, got, sizeof got);
	json_decref(a);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "%s: author items \"%s\", want \"%s\"\n", what,
		    got, want);
	CHECK_STR(got, want);
}

/*
 * Items by author (migration 7): found before and after a batch fills
 * author_items, newer items found past its mark, other authors and other
 * accounts left out; a store of schema 6 migrated with its items.
 */
static void
test_author_items(struct store **stp)
{
	struct store_err	 e = { "" };
	struct store		*st = *stp;
	struct store_item	 it[5], other, elsewhere, bulk;
	char			 id[5][8], bid[16];
	int64_t			 n;
	int			 i;

	for (i = 0; i < 4; i++) {
		snprintf(id[i], sizeof id[i], "ai%d", i);
		it[i] = item(id[i], "ai-author");
		it[i].created_at = 1700000000 + i;
		CHECK_INT(store_item_put(st, &it[i], &e), 1);
	}
	other = item("ai-other", "ai-someone-else");
	CHECK_INT(store_item_put(st, &other, &e), 1);
	elsewhere = item("ai-elsewhere", "ai-author");
	elsewhere.account = "bpol";
	CHECK_INT(store_item_put(st, &elsewhere, &e), 1);
	author_items_are(st, it[0].id, "ai3 ai2 ai1", "before a batch");
	CHECK_INT(store_author_items_index(st, &n, &e), 0);
	CHECK(n >= 6);
	CHECK(!store_author_items_due(st));
	author_items_are(st, it[0].id, "ai3 ai2 ai1", "after a batch");
	author_items_are(st, it[3].id, "ai2 ai1 ai0", "the newest");
	/* one after the mark: found by rowid, beside the filled ones */
	snprintf(id[4], sizeof id[4], "ai4");
	it[4] = item(id[4], "ai-author");
	it[4].created_at = 1700000004;
	CHECK_INT(store_item_put(st, &it[4], &e), 1);
	author_items_are(st, it[0].id, "ai4 ai3 ai2 ai1", "past the mark");
	author_items_are(st, other.id, "", "an author with one item");
	/*
	 * A batch whose mark cannot be written leaves nothing behind: no
	 * rows filled without the mark that says they are there (the query
	 * would find them twice, in the table and past the mark).
	 */
	CHECK_INT(store_exec(st, "CREATE TRIGGER marks_refused BEFORE INSERT ON "
	    "store_marks BEGIN SELECT RAISE(ABORT, 'refused'); END", &e), 0);
	{
		sqlite3_stmt	*s = NULL;
		int		 rows = -1, after = -2;

		sqlite3_prepare_v2(store_db(st), "SELECT count(*) FROM "
		    "author_items", -1, &s, NULL);
		if (s != NULL && sqlite3_step(s) == SQLITE_ROW)
			rows = sqlite3_column_int(s, 0);
		sqlite3_reset(s);
		CHECK_INT(store_author_items_index(st, &n, &e), -1);
		CHECK(strstr(e.msg, "refused") != NULL);
		store_err_clear(&e);
		CHECK_INT(n, 0);
		CHECK(!store_in_transaction(st));
		if (s != NULL && sqlite3_step(s) == SQLITE_ROW)
			after = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
		CHECK_INT(after, rows);
	}
	author_items_are(st, it[0].id, "ai4 ai3 ai2 ai1", "after a failed batch");
	CHECK_INT(store_exec(st, "DROP TRIGGER marks_refused", &e), 0);
	CHECK_INT(store_author_items_index(st, &n, &e), 0);
	CHECK_INT(n, 1);
	author_items_are(st, it[0].id, "ai4 ai3 ai2 ai1", "the batch again");
	CHECK_INT(store_author_items_index(st, &n, &e), 0);
	CHECK_INT(n, 0);

	/* due after a batch's worth of new items */
	CHECK_INT(store_begin(st, &e), 0);
	for (i = 0; i < STORE_AUTHOR_ITEMS_BATCH && e.msg[0] == '\0'; i++) {
		snprintf(bid, sizeof bid, "aib%d", i);
		bulk = item(bid, i % 2 ? "ai-bulk" : "ai-author");
		bulk.created_at = 1600000000 + i;
		(void)store_item_put(st, &bulk, &e);
	}
	CHECK_INT(store_commit(st, &e), 0);
	CHECK(store_author_items_due(st));
	author_items_are(st, it[0].id, "ai4 ai3 ai2 ai1 aib4094 aib4092 aib4090 "
	    "aib4088 aib4086 aib4084 aib4082 aib4080 aib4078 aib4076 aib4074 "
	    "aib4072 aib4070 aib4068 aib4066 aib4064", "a batch behind");
	CHECK_INT(store_author_items_index(st, &n, &e), 0);
	CHECK_INT(n, STORE_AUTHOR_ITEMS_BATCH);
	CHECK(!store_author_items_due(st));
	/* the items past the mark by rowid, not every item of the account */
	{
		sqlite3_stmt	*s = NULL;
		char		 sql[2048];
		bool		 by_rowid = false, by_account = false;

		snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s",
		    queue_author_items_sql());
		CHECK_INT(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL),
		    SQLITE_OK);
		while (s != NULL && sqlite3_step(s) == SQLITE_ROW) {
			const char *d = (const char *)sqlite3_column_text(s, 3);

			if (strncmp(d, "SEARCH t USING INTEGER PRIMARY KEY",
			    34) == 0)
				by_rowid = true;
			if (strncmp(d, "SEARCH t USING INDEX", 20) == 0 ||
			    strncmp(d, "SCAN t", 6) == 0)
				by_account = true;
		}
		sqlite3_finalize(s);
		CHECK(by_rowid && !by_account);
	}

	/* a store of schema 6: items_author, no author_items */
	if ((st = reopen_older(stp, "DROP TABLE author_items;"
	    "DROP TABLE store_marks;"
	    "CREATE INDEX items_author ON items (platform, author_id);"
	    "PRAGMA user_version = 6")) == NULL)
		return;
	author_items_are(st, it[3].id, "ai4 ai2 ai1 ai0 aib4094 aib4092 "
	    "aib4090 aib4088 aib4086 aib4084 aib4082 aib4080 aib4078 aib4076 "
	    "aib4074 aib4072 aib4070 aib4068 aib4066 aib4064", "migrated");
	CHECK_INT(store_author_items_index(st, &n, &e), 0);
	CHECK_INT(n, 0);
	{
		sqlite3_stmt *s = NULL;

		sqlite3_prepare_v2(store_db(st), "SELECT count(*) FROM "
		    "sqlite_master WHERE name = 'items_author'", -1, &s, NULL);
		CHECK(s != NULL && sqlite3_step(s) == SQLITE_ROW &&
		    sqlite3_column_int(s, 0) == 0);
		sqlite3_finalize(s);
	}
	CHECK_STR(e.msg, "");
}

/* The item_ids of the replies queue_thread finds for item, in order. */
static void
replies_are(struct store *st, int64_t item, const char *want)
{
	struct store_err	 e = { "" };
	json_t			*t = queue_thread(st, item, &e);
	char			 got[256];

	CHECK(t != NULL);
	summary_ids(json_object_get(t, "replies"), got, sizeof got);
	json_decref(t);
	CHECK_STR(got, want);
}

/* The VM steps of every statement of the connection since the last call. */
static long
vm_steps(struct store *st)
{
	sqlite3_stmt	*s = NULL;
	long		 n = 0;

	while ((s = sqlite3_next_stmt(store_db(st), s)) != NULL)
		n += sqlite3_stmt_status(s, SQLITE_STMTSTATUS_VM_STEP, 1);
	return n;
}

/*
 * What an editor's look at one item reads (migration 8): its thread
 * (replies to it and to its parent, in its account only; an empty parent
 * is no parent) and its outbox rows, at a cost that does not grow with
 * the account's items or the outbox: a few thousand unrelated ones do
 * not show in the VM steps.
 */
static void
test_item_reads(struct store *st)
{
	struct store_err	 e = { "" };
	struct store_item	 p, r1, r2, c, n1, n2, nn, o, filler;
	int64_t			*ids = NULL, a1 = 0, a2 = 0, b1 = 0, id;
	size_t			 nids = 0;
	char			 fid[32], key[32];
	long			 steps;
	int			 i;

	p = item("th-p", "th-a");
	p.parent_id = "th-root";
	r1 = item("th-r1", "th-a");
	r1.parent_id = "th-p";
	r1.created_at = 1700000001;
	r2 = item("th-r2", "th-b");
	r2.parent_id = "th-p";
	r2.created_at = 1700000002;
	c = item("th-c", "th-b");
	c.parent_id = "th-r1";
	c.created_at = 1700000003;
	n1 = item("th-n1", "th-b");
	n1.parent_id = "";
	n2 = item("th-n2", "th-b");
	n2.parent_id = "";
	nn = item("th-nn", "th-b");
	nn.parent_id = NULL;
	o = item("th-o", "th-a");
	o.account = "bmj";
	o.parent_id = "th-p";
	CHECK_INT(store_begin(st, &e), 0);
	CHECK_INT(store_item_put(st, &p, &e), 1);
	CHECK_INT(store_item_put(st, &r1, &e), 1);
	CHECK_INT(store_item_put(st, &r2, &e), 1);
	CHECK_INT(store_item_put(st, &c, &e), 1);
	CHECK_INT(store_item_put(st, &n1, &e), 1);
	CHECK_INT(store_item_put(st, &n2, &e), 1);
	CHECK_INT(store_item_put(st, &nn, &e), 1);
	CHECK_INT(store_item_put(st, &o, &e), 1);
	CHECK_INT(store_outbox_add(st, r1.id, "bmi", ACT_MUTE, NULL, "th:1",
	    1700000100, &a1, &e), 1);
	CHECK_INT(store_outbox_add(st, r2.id, "bmi", ACT_MUTE, NULL, "th:2",
	    1700000100, &b1, &e), 1);
	CHECK_INT(store_outbox_add(st, r1.id, "bmi", ACT_REPORT, NULL, "th:3",
	    1700000100, &a2, &e), 1);
	for (i = 0; i < 3000 && e.msg[0] == '\0'; i++) {
		snprintf(fid, sizeof fid, "th-fill%d", i);
		snprintf(key, sizeof key, "th-fill:%d", i);
		filler = item(fid, "th-filler");
		filler.parent_id = i % 2 ? "th-elsewhere" : "";
		(void)store_item_put(st, &filler, &e);
		(void)store_outbox_add(st, filler.id, "bmi", ACT_REPORT, NULL,
		    key, 1700000100, &id, &e);
	}
	CHECK_STR(e.msg, "");
	CHECK_INT(store_commit(st, &e), 0);

	(void)vm_steps(st);
	replies_are(st, r1.id, "th-r2 th-c");
	CHECK_INT(queue_outbox_ids(st, r1.id, &ids, &nids, &e), 0);
	steps = vm_steps(st);
	if (steps >= 2000)
		fprintf(stderr, "thread and outbox of one item: %ld VM steps\n",
		    steps);
	CHECK(steps < 2000);
	CHECK_INT((int)nids, 2);
	if (nids == 2) {
		CHECK_INT(ids[0], a1);
		CHECK_INT(ids[1], a2);
	}
	free(ids);
	ids = NULL;
	CHECK_INT(queue_outbox_ids(st, r2.id, &ids, &nids, &e), 0);
	CHECK_INT((int)nids, 1);
	if (nids == 1)
		CHECK_INT(ids[0], b1);
	free(ids);
	replies_are(st, p.id, "th-r1 th-r2");
	replies_are(st, c.id, "");
	replies_are(st, n1.id, "");
	replies_are(st, o.id, "");
	replies_are(st, nn.id, "");
}

/*
 * A verdict of item under rule set number rs, with one match in each of
 * cats (CAT_COUNT ends).
 */
static void
put_verdict(struct store *st, int64_t item, int rs, const enum category *cats)
{
	struct store_err	e = { "" };
	struct verdict		v;
	struct rs_match		m[4];
	size_t			i;

	memset(&v, 0, sizeof v);
	memset(m, 0, sizeof m);
	for (i = 0; i < 4 && cats[i] != CAT_COUNT; i++) {
		m[i].rule_id = "test.rule";
		m[i].category = cats[i];
		m[i].severity = 2;
		m[i].what = "pattern 1";
		v.cat_severity[cats[i]] = 2;
	}
	v.matches = m;
	v.nmatches = i;
	v.severity = 2;
	v.flagged = i > 0;
	snprintf(v.ruleset, sizeof v.ruleset, "%064d", rs);
	CHECK_INT(store_verdict_put(st, item, &v, &e), 0);
}

/* The item_ids queue_find gives for f, space-separated, and the total. */
static void
found_are(struct store *st, int state, const char *category,
    const char *want, int64_t want_total)
{
	struct store_err	 e = { "" };
	struct queue_filter	 f;
	struct store_item	 it;
	int64_t			*ids = NULL, total = -1;
	size_t			 n = 0, i;
	char			 got[256] = "";

	memset(&f, 0, sizeof f);
	f.state = state;
	f.account = "qcat";
	f.category = category;
	CHECK_INT(queue_find(st, &f, &ids, &n, &total, &e), 0);
	for (i = 0; i < n; i++) {
		if (store_item_get(st, ids[i], &it, &e) != 1)
			continue;
		snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s",
		    i ? " " : "", it.item_id);
		store_item_free(&it);
	}
	free(ids);
	if (strcmp(got, want) != 0 || total != want_total)
		fprintf(stderr, "category %s: \"%s\" (%lld), want \"%s\" "
		    "(%lld)\n", category, got, (long long)total, want,
		    (long long)want_total);
	CHECK_STR(got, want);
	CHECK(total == want_total);
}

/*
 * The editors' category filter (migration 9) reads the categories a
 * queue entry took from its item's latest verdict, whole names only, with
 * and without a state, those of a newer verdict after a requeue, and
 * finds the same after a store of schema 8 is migrated.  It costs a few VM steps per queue entry it passes: it no
 * longer reads the verdicts (json_each of each, about 60 steps more).
 */
static void
test_queue_categories(struct store **stp)
{
	static const enum category cats[][4] = {
		{ CAT_INSULT, CAT_COUNT },
		{ CAT_VULGAR, CAT_INSULT, CAT_COUNT },
		{ CAT_COMMERCIAL, CAT_COUNT },
		{ CAT_PERSONAL_DATA, CAT_COUNT },
		{ CAT_COUNT },				/* no verdict */
		{ CAT_INSULT, CAT_COUNT },		/* not queued */
	};
	struct store_err	 e = { "" };
	struct store		*st = *stp;
	struct store_item	 it[6], filler;
	struct queue_filter	 f;
	int64_t			*ids = NULL, total = 0;
	size_t			 n = 0;
	char			 id[6][8], fid[32];
	long			 steps;
	int			 i;

	CHECK_INT(store_begin(st, &e), 0);
	for (i = 0; i < 6; i++) {
		snprintf(id[i], sizeof id[i], "cat%d", i);
		it[i] = item(id[i], "qcat");
		it[i].account = "qcat";
		CHECK_INT(store_item_put(st, &it[i], &e), 1);
		if (i == 3)	/* an older verdict: the latest one counts */
			put_verdict(st, it[i].id, 8, cats[2]);
		if (i != 4)
			put_verdict(st, it[i].id, 9, cats[i]);
		if (i != 5)
			CHECK_INT(store_queue_put(st, it[i].id, ACT_HIDE, 700 + i,
			    &e), 1);
	}
	for (i = 0; i < 2000 && e.msg[0] == '\0'; i++) {
		snprintf(fid, sizeof fid, "cat-fill%d", i);
		filler = item(fid, "qcat-filler");
		(void)store_item_put(st, &filler, &e);
		put_verdict(st, filler.id, 9, cats[2]);
		(void)store_queue_put(st, filler.id, ACT_REPORT, 800, &e);
	}
	CHECK_STR(e.msg, "");
	CHECK_INT(store_commit(st, &e), 0);

	found_are(st, -1, "insult", "cat0 cat1", 2);
	found_are(st, -1, "vulgar", "cat1", 1);
	found_are(st, -1, "personal-data", "cat3", 1);
	found_are(st, -1, "data", "", 0);	/* part of a name */
	found_are(st, -1, "hate", "", 0);
	found_are(st, -1, NULL, "cat0 cat1 cat2 cat3 cat4", 5);
	CHECK_INT(store_queue_set_state(st, it[0].id, STORE_Q_DISMISSED, NULL,
	    710, &e), 0);
	found_are(st, STORE_Q_OPEN, "insult", "cat1", 1);
	found_are(st, STORE_Q_DISMISSED, "insult", "cat0", 1);
	/* a requeue takes the categories of a newer verdict */
	put_verdict(st, it[0].id, 10, cats[3]);
	CHECK_INT(store_queue_put(st, it[0].id, ACT_REPORT, 711, &e), 0);
	found_are(st, STORE_Q_OPEN, "insult", "cat1", 1);
	found_are(st, STORE_Q_OPEN, "personal-data", "cat0 cat3", 2);

	/* over every open entry of the store, fillers included */
	memset(&f, 0, sizeof f);
	f.state = STORE_Q_OPEN;
	f.category = "vulgar";
	(void)vm_steps(st);
	CHECK_INT(queue_find(st, &f, &ids, &n, &total, &e), 0);
	steps = vm_steps(st);
	free(ids);
	CHECK_INT((int)total, 1);
	if (steps >= 20 * 2000)
		fprintf(stderr, "category filter over 2,000 open entries: %ld "
		    "VM steps\n", steps);
	CHECK(steps < 20 * 2000);

	/* a store from before migration 9: the entries get their categories */
	if ((st = reopen_older(stp, "ALTER TABLE queue DROP COLUMN categories;"
	    "PRAGMA user_version = 8")) == NULL)
		return;
	found_are(st, STORE_Q_OPEN, "insult", "cat1", 1);
	found_are(st, -1, "commercial", "cat2", 1);
	found_are(st, -1, "personal-data", "cat0 cat3", 2);
}

/* STORE_QUEUE_STATES_SQL names every queue state, and nothing else. */
static void
test_queue_states_sql(void)
{
	char	list[128] = "(";
	int	i;

	for (i = 0; store_queue_state_name(i) != NULL; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list),
		    "%s'%s'", i ? ", " : "", store_queue_state_name(i));
	strncat(list, ")", sizeof list - strlen(list) - 1);
	CHECK_STR(STORE_QUEUE_STATES_SQL, list);
}

int
main(void)
{
	struct store	*st;
	struct store_err e = { "" };
	int64_t		 now = 1700000000;
	char		 cmd[128];
	int		 rc;

	snprintf(tmpdir, sizeof tmpdir, "/tmp/nq-store-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_open();
	st = store_open(tmpdir, &e);
	if (st == NULL) {
		fprintf(stderr, "open: %s\n", e.msg);
		return 1;
	}
	store_set_clock(st, fixed_now, &now);
	test_items(st);
	test_transactions(st);
	test_crash(&st);
	store_set_clock(st, fixed_now, &now);
	test_verdict_decision_queue(st);
	test_outbox(st);
	test_strikes(st);
	test_authors(st);
	test_evidence_rows(st);
	test_queue_counts(&st);
	test_author_items(&st);
	test_item_reads(st);
	test_queue_categories(&st);
	test_queue_states_sql();
	store_close(st);

	rc = tu_finish("test_store");
	if (rc == 0) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	return rc;
}
