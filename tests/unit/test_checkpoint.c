/*
 * test_checkpoint.c: the store's WAL checkpoints on their own thread, on a
 * real SQLite file: the commits' thread never checkpoints while the thread
 * keeps up, the WAL is copied back and reused instead of growing, what was
 * committed is all there (also for a second connection that opens the file
 * afterwards), and stopping hands the checkpoints back to SQLite.
 */
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "checkpoint.h"
#include "store.h"
#include "testutil.h"

#define ROWS		4000
#define THRESHOLD	50	/* WAL pages */

static char tmpdir[64];

static off_t
file_size(const char *suffix)
{
	char		path[128];
	struct stat	sb;

	snprintf(path, sizeof path, "%s/%s%s", tmpdir, STORE_DB_NAME, suffix);
	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

/* One commit of a row of ~1 KB, like the daemon's per-page commits. */
static int
put_row(struct store *st, int i)
{
	char	sql[1400], pad[1025];

	memset(pad, 'a' + i % 26, sizeof pad - 1);
	pad[sizeof pad - 1] = '\0';
	snprintf(sql, sizeof sql, "INSERT INTO ckpt_test (n, pad) VALUES "
	    "(%d, '%s')", i, pad);
	return sqlite3_exec(store_db(st), sql, NULL, NULL, NULL);
}

static void
wait_for_checkpoints(struct checkpointer *c, uint64_t n)
{
	struct timespec	ts = { 0, 10 * 1000 * 1000 };
	int		i;

	/* the thread is asynchronous: give it up to 20 s, not a timing */
	for (i = 0; i < 2000 && checkpointer_count(c) < n; i++)
		nanosleep(&ts, NULL);
}

static void
test_checkpointer(void)
{
	struct store		*st;
	struct store_err	 e = { "" };
	struct checkpointer	*c;
	sqlite3			*other;
	sqlite3_stmt		*s;
	off_t			 wal_max = 0, sz;
	int			 i, n = -1;

	st = store_open(tmpdir, &e);
	CHECK(st != NULL);
	if (st == NULL)
		return;
	CHECK_INT(sqlite3_exec(store_db(st), "CREATE TABLE ckpt_test "
	    "(n INTEGER PRIMARY KEY, pad TEXT)", NULL, NULL, NULL), SQLITE_OK);
	c = checkpointer_start(st, THRESHOLD, &e);
	CHECK(c != NULL);
	if (c == NULL) {
		fprintf(stderr, "checkpointer: %s\n", e.msg);
		store_close(st);
		return;
	}
	for (i = 0; i < ROWS; i++) {
		CHECK_INT(put_row(st, i), SQLITE_OK);
		if (i % 500 == 499)
			wait_for_checkpoints(c, 1);
		if ((sz = file_size("-wal")) > wal_max)
			wal_max = sz;
	}
	wait_for_checkpoints(c, 2);
	CHECK(checkpointer_count(c) >= 2);
	/*
	 * Each commit appends at least one 8 KiB page (the store's page
	 * size): 32 MB of WAL without checkpoints.  Checkpointed and reused,
	 * it stays below what the loop's own fallback (8 x 50 pages, 3.2 MB)
	 * allows.
	 */
	CHECK(wal_max > 0 && wal_max < 4 * 1024 * 1024);
	/* the checkpoints reached the database file itself */
	CHECK(file_size("") > 1024 * 1024);

	/* a second connection sees every committed row */
	CHECK_INT(sqlite3_open_v2(sqlite3_db_filename(store_db(st), "main"), &other,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(other, "SELECT count(*) FROM ckpt_test", -1,
	    &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(other);
	CHECK_INT(n, ROWS);

	checkpointer_stop(c);
	/* SQLite's own checkpoints again: writing on still works */
	for (i = ROWS; i < ROWS + 100; i++)
		CHECK_INT(put_row(st, i), SQLITE_OK);
	if (sqlite3_prepare_v2(store_db(st), "PRAGMA integrity_check", -1, &s,
	    NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		CHECK_STR((const char *)sqlite3_column_text(s, 0), "ok");
	sqlite3_finalize(s);
	store_close(st);
	checkpointer_stop(NULL);
}

int
main(void)
{
	char cmd[128];
	int rc;

	snprintf(tmpdir, sizeof tmpdir, "/tmp/nq-ckpt-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_checkpointer();
	rc = tu_finish("test_checkpoint");
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return rc;
}
