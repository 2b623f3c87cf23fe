/*
 * checkpoint.c: WAL checkpoints of the store on a thread of their own.
 *
 * In WAL mode every commit appends pages to the -wal file, and now and
 * then those pages have to be copied back into the database and synced: a
 * checkpoint.  SQLite runs it inside the commit that crosses its threshold,
 * on the committing thread, which for the daemon is the event loop: the
 * loop stalls while megabytes are copied and fsync'd.  Here the commit
 * only notices (the WAL hook) and wakes a thread that runs a PASSIVE
 * checkpoint through its own connection, which SQLite allows beside a
 * writer: it copies what no reader still needs and never blocks the loop.
 *
 * Durability is unchanged: a commit is durable when its WAL frames are
 * synced, which the committing connection still does (synchronous=FULL);
 * the checkpointer's connection syncs the database file it writes.  If it
 * falls far behind, the loop checkpoints itself, as SQLite would.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "checkpoint.h"
#include "xmalloc.h"

/* the loop checkpoints itself beyond this many thresholds of WAL */
#define CKPT_BEHIND	8

struct checkpointer {
	struct store	*st;
	sqlite3		*db;		/* the thread's own connection */
	int		 threshold;	/* WAL pages */
	pthread_t	 thread;
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cond;
	bool		 wanted;
	bool		 stop;
	uint64_t	 done;
};

static void *
ckpt_thread(void *arg)
{
	struct checkpointer	*c = arg;
	int			 nlog, nckpt;

	pthread_mutex_lock(&c->mtx);
	for (;;) {
		while (!c->stop && !c->wanted)
			pthread_cond_wait(&c->cond, &c->mtx);
		if (c->stop)
			break;
		c->wanted = false;
		pthread_mutex_unlock(&c->mtx);
		/* SQLITE_BUSY (a checkpoint of the loop's running): next time */
		(void)sqlite3_wal_checkpoint_v2(c->db, "main",
		    SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt);
		pthread_mutex_lock(&c->mtx);
		c->done++;
	}
	pthread_mutex_unlock(&c->mtx);
	return NULL;
}

/* Runs on the committing thread after each commit; nframes: WAL pages. */
static int
ckpt_wal_hook(void *arg, sqlite3 *db, const char *name, int nframes)
{
	struct checkpointer *c = arg;

	if (nframes < c->threshold)
		return SQLITE_OK;
	if (nframes >= CKPT_BEHIND * c->threshold) {
		(void)sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return SQLITE_OK;
	}
	pthread_mutex_lock(&c->mtx);
	c->wanted = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->mtx);
	return SQLITE_OK;
}

struct checkpointer *
checkpointer_start(struct store *st, int pages_threshold, struct store_err *e)
{
	struct checkpointer	*c;
	const char		*path;
	sigset_t		 all, old;
	int			 rc;

	path = sqlite3_db_filename(store_db(st), "main");
	if (path == NULL || path[0] == '\0') {
		store_err_set(e, "checkpointer: the store has no file");
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->st = st;
	c->threshold = pages_threshold > 0 ? pages_threshold : 1000;
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(c->db, "PRAGMA synchronous = FULL", NULL, NULL,
	    NULL) != SQLITE_OK) {
		store_err_set(e, "checkpointer: %s: %s", path, c->db != NULL ?
		    sqlite3_errmsg(c->db) : "cannot open");
		sqlite3_close(c->db);
		free(c);
		return NULL;
	}
	sqlite3_busy_timeout(c->db, 1000);
	pthread_mutex_init(&c->mtx, NULL);
	pthread_cond_init(&c->cond, NULL);
	/* signals are the loop's business */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&c->thread, NULL, ckpt_thread, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		store_err_set(e, "checkpointer: pthread_create: %s",
		    strerror(rc));
		pthread_cond_destroy(&c->cond);
		pthread_mutex_destroy(&c->mtx);
		sqlite3_close(c->db);
		free(c);
		return NULL;
	}
	/* replaces SQLite's own hook, the automatic checkpoint */
	sqlite3_wal_hook(store_db(st), ckpt_wal_hook, c);
	return c;
}

uint64_t
checkpointer_count(struct checkpointer *c)
{
	uint64_t n;

	pthread_mutex_lock(&c->mtx);
	n = c->done;
	pthread_mutex_unlock(&c->mtx);
	return n;
}

void
checkpointer_stop(struct checkpointer *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mtx);
	c->stop = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->mtx);
	pthread_join(c->thread, NULL);
	sqlite3_wal_autocheckpoint(store_db(c->st), 1000);
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->mtx);
	free(c);
}
