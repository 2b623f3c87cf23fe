/*
 * store.h: the daemon's durable state, one SQLite database
 * (STATE_DIR/netiquetted.db) in WAL mode with synchronous=FULL: items,
 * cursors, verdicts, decisions, the editors' queue, the action outbox,
 * authors and their strikes, the audit chain (audit.h) and evidence
 * snapshots (evidence.h).
 *
 * The store knows tables and transactions, not policy: it never decides
 * what to do with an item, it only records what the daemon decided, and
 * it gives the daemon the transaction boundaries to record one screening
 * atomically:
 *
 *	store_begin()
 *	store_item_put()          1 new / 0 duplicate: stop here on 0
 *	store_verdict_put(), store_decision_put(), store_queue_put(),
 *	store_outbox_add() per action, store_author_strike_add(),
 *	audit_append() per event, store_cursor_set()
 *	store_commit()            or store_rollback() on any -1
 *
 * Crash contract.  Every commit is durable when store_commit returns
 * (WAL + synchronous=FULL); a process killed at any point leaves either
 * the whole transaction or none of it.  Outbox rows move
 * pending -> sent -> done, with sent -> pending (retry), pending|sent ->
 * failed (permanent) and pending|sent -> abandoned (an editor withdrew it).
 * The executor marks a row "sent" in its own commit *before* the HTTP
 * request leaves, so a row found in state "sent" after a restart
 * (store_outbox_inflight) may or may not have reached the platform.  The
 * executor resends it with its idempotency key (see executor.c for which
 * actions that makes harmless on which platform).  The outbox idempotency
 * key is unique, so a screening that is repeated after a crash before its
 * commit cannot queue an action twice.
 *
 * Errors: functions return 0 (or a count / 1 new) on success and -1 on
 * failure, with a message in the caller's struct store_err; the first error
 * wins, so a caller may run several steps and report the first problem.
 * Not thread-safe: one struct store per thread (the daemon has one).
 * Times are unix seconds (UTC).
 */
#ifndef NQ_STORE_H
#define NQ_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ruleset.h"

#define STORE_DB_NAME		"netiquetted.db"
#define STORE_BUSY_TIMEOUT_MS	5000

struct store;
struct sqlite3;
struct sqlite3_stmt;

struct store_err {
	char	msg[256];
};

/* Sets e->msg unless an earlier error is already there.  e may be NULL. */
void	store_err_set(struct store_err *e, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	store_err_clear(struct store_err *e);

/* --- lifecycle ---------------------------------------------------------- */

/*
 * Opens (creating if needed) dir/netiquetted.db, sets WAL, synchronous=FULL,
 * foreign keys and the busy timeout, and applies every pending migration,
 * each in its own IMMEDIATE transaction.  Refuses a database whose schema
 * is newer than this build.  dir must exist.
 */
struct store	*store_open(const char *dir, struct store_err *);
/* Same with an explicit file path (tests, tools). */
struct store	*store_open_file(const char *path, struct store_err *);
void		 store_close(struct store *);

/* Schema version of the open database, and the one this build writes. */
int		 store_schema_version(struct store *);
int		 store_schema_latest(void);

/*
 * The clock used for the rows the store stamps itself (audit ts, updated_at
 * where the caller gives no time).  Defaults to time(NULL); tests pin it.
 */
void		 store_set_clock(struct store *, int64_t (*now)(void *), void *arg);
int64_t		 store_now(struct store *);

/* --- transactions --------------------------------------------------------- */

/*
 * BEGIN IMMEDIATE: the write lock is taken at the start, so a transaction
 * never fails half-way with SQLITE_BUSY.  Not nestable: store_begin inside
 * an open transaction is an error.  Functions below that need several
 * statements join the caller's transaction when one is open and use their
 * own otherwise.
 */
int		 store_begin(struct store *, struct store_err *);
int		 store_commit(struct store *, struct store_err *);
/* Never fails in a way the caller could act on; safe without a transaction. */
void		 store_rollback(struct store *);
bool		 store_in_transaction(struct store *);

/* --- items ----------------------------------------------------------------- */

enum store_item_kind {
	STORE_KIND_COMMENT,
	STORE_KIND_DM,
};

/*
 * One comment or direct message as the connector normalized it.  On put
 * the strings are borrowed (NULL means empty / absent); from
 * store_item_get they are owned and freed by store_item_free.
 */
struct store_item {
	int64_t			 id;		/* store row id, set by put/get */
	const char		*platform;	/* "mastodon", ... */
	const char		*account;	/* the authority's account */
	const char		*item_id;	/* platform id */
	enum store_item_kind	 kind;
	const char		*author_id;
	const char		*author_handle;
	const char		*author_name;
	const char		*text;
	const char		*raw_json;	/* the platform's object, verbatim */
	const char		*permalink;
	const char		*parent_id;	/* post or comment replied to */
	int64_t			 created_at;
	int64_t			 fetched_at;
	const char		*state;		/* "new" when NULL */
};

const char	*store_kind_name(enum store_item_kind);	/* "comment", "dm" */

/*
 * Inserts the item unless (platform, account, item_id) is already there,
 * and records its author (handle and name refreshed) when it is new.
 * it->id is set either way.
 * Returns 1 when new, 0 for a duplicate (nothing changed), -1 on error.
 */
int	store_item_put(struct store *, struct store_item *it, struct store_err *);
/* Returns 1 found (it filled, owned), 0 not found, -1 error. */
int	store_item_get(struct store *, int64_t id, struct store_item *it,
	    struct store_err *);
/* Finds an item by platform id (any platform/account): 1, 0 or -1. */
int	store_item_find(struct store *, const char *item_id, int64_t *id,
	    struct store_err *);
int	store_item_set_state(struct store *, int64_t id, const char *state,
	    struct store_err *);
int64_t	store_item_count(struct store *);
void	store_item_free(struct store_item *);

/* --- cursors ----------------------------------------------------------- */

/* Returns 1 and an owned *value, 0 when no cursor is stored, -1 on error. */
int	store_cursor_get(struct store *, const char *account, const char *stream,
	    char **value, struct store_err *);
int	store_cursor_set(struct store *, const char *account, const char *stream,
	    const char *value, struct store_err *);

/* --- verdicts and decisions -------------------------------------------------- */

/*
 * Records v for item under v->ruleset (one verdict per item and rule set:
 * a re-screening after a reload with another rule set adds one, with the
 * same rule set replaces it).  Categories are stored as {"insult":2,...},
 * matches as [{"rule","category","severity","start","end","what"}, ...].
 * A queue entry keeps the categories of the verdict it was queued with
 * (store_queue_put): queue the item again after a new verdict.
 */
int	store_verdict_put(struct store *, int64_t item, const struct verdict *v,
	    struct store_err *);
/*
 * The same with the two texts as store_verdict_texts made them, made
 * beforehand (the daemon's parser thread does, off the event loop).
 */
int	store_verdict_put_texts(struct store *, int64_t item,
	    const struct verdict *v, const char *cats, const char *matches,
	    struct store_err *);
/* v's categories and matches as store_verdict_put stores them (owned) */
void	store_verdict_texts(const struct verdict *v, char **cats,
	    char **matches);

struct store_verdict_row {
	char	 ruleset[65];
	bool	 flagged;
	int	 severity;
	char	*categories;	/* JSON text, owned */
	char	*matches;	/* JSON text, owned */
	bool	 review;
	char	*review_reason;	/* owned */
	int64_t	 created_at;
};
/* The newest verdict of item: 1 found, 0 none, -1 error. */
int	store_verdict_get(struct store *, int64_t item, struct store_verdict_row *,
	    struct store_err *);
void	store_verdict_row_free(struct store_verdict_row *);

enum store_mode {
	STORE_MODE_AUTO,
	STORE_MODE_REVIEW,
	STORE_MODE_DRYRUN,
};
const char	*store_mode_name(enum store_mode);	/* "auto" "review" "dry-run" */
int		 store_mode_from_name(const char *);	/* -1 if unknown */

/*
 * What the policy decided and why: the actions (category.h bits), the
 * account mode, the rule ids (comma-separated), the netiquette clause, and
 * the reason, which must say why a milder measure was not chosen when the
 * action is not the mildest available ("delete: platform cannot hide").
 */
struct store_decision {
	int64_t		 item;
	unsigned	 actions;
	enum store_mode	 mode;
	const char	*rule_ids;
	const char	*ruleset;
	const char	*clause;
	const char	*reason;
	int64_t		 created_at;
};
/* Appends a decision (an item may collect several); *id may be NULL. */
int	store_decision_put(struct store *, const struct store_decision *,
	    int64_t *id, struct store_err *);

/* --- the editors' queue ----------------------------------------------------- */

enum store_queue_state {
	STORE_Q_OPEN,
	STORE_Q_APPROVED,
	STORE_Q_DISMISSED,
	STORE_Q_ESCALATED,
	STORE_Q_CLOSED,
};
/*
 * Every state, for SQL that names them all so that SQLite searches an
 * index led by state (queue_state) instead of scanning the queue.
 * test_store checks it against store_queue_state_name.
 */
#define STORE_QUEUE_STATES_SQL \
	"('open', 'approved', 'dismissed', 'escalated', 'closed')"
const char	*store_queue_state_name(enum store_queue_state);
int		 store_queue_state_from_name(const char *);

/*
 * Puts item into the queue in state open with the proposed actions.  An
 * item has one queue entry: putting it again reopens it with the new
 * proposal.  Returns 1 new, 0 reopened, -1 error.
 */
int	store_queue_put(struct store *, int64_t item, unsigned proposed,
	    int64_t now, struct store_err *);
/* assignee may be NULL (unchanged).  0, or -1 when item is not queued. */
int	store_queue_set_state(struct store *, int64_t item,
	    enum store_queue_state, const char *assignee, int64_t now,
	    struct store_err *);
int	store_queue_note_add(struct store *, int64_t item, const char *author,
	    const char *text, int64_t now, struct store_err *);

struct store_queue_entry {
	int64_t			 item;
	enum store_queue_state	 state;
	unsigned		 proposed;
	char			*assignee;	/* owned, "" when none */
	int64_t			 created_at;
	int64_t			 updated_at;
};
/*
 * Entries in state (or every state when state < 0), oldest update first,
 * at most limit (0: no limit).  *out is owned: store_queue_list_free.
 */
int	store_queue_list(struct store *, int state, size_t limit,
	    struct store_queue_entry **out, size_t *n, struct store_err *);
void	store_queue_list_free(struct store_queue_entry *, size_t n);

/* --- the action outbox -------------------------------------------------------- */

enum store_outbox_state {
	STORE_OB_PENDING,
	STORE_OB_SENT,		/* handed to the platform, not yet confirmed */
	STORE_OB_DONE,
	STORE_OB_FAILED,	/* permanent error; needs a human */
	STORE_OB_ABANDONED,	/* withdrawn before it was done */
};
const char	*store_outbox_state_name(enum store_outbox_state);

struct store_outbox_row {
	int64_t				 id;
	int64_t				 item;		/* 0 when none */
	char				*account;
	unsigned			 action;	/* one ACT_* bit */
	char				*params;	/* JSON text */
	char				*idem_key;
	enum store_outbox_state		 state;
	int				 attempts;
	int64_t				 next_attempt_at;
	char				*last_error;
	int64_t				 created_at;
	int64_t				 updated_at;
};

/*
 * Queues one action (a single ACT_* bit) for account, due at now.
 * params_json may be NULL ({}).  The idempotency key is unique: when it
 * exists already, nothing is added, *id is the existing row and 0 is
 * returned; 1 for a new row; -1 on error.
 */
int	store_outbox_add(struct store *, int64_t item, const char *account,
	    unsigned action, const char *params_json, const char *idem_key,
	    int64_t now, int64_t *id, struct store_err *);
/* Pending rows with next_attempt_at <= now, by next_attempt_at then id. */
int	store_outbox_due(struct store *, int64_t now, size_t limit,
	    struct store_outbox_row **out, size_t *n, struct store_err *);
/* Rows in state "sent": what a restart must resume (see the contract). */
int	store_outbox_inflight(struct store *, struct store_outbox_row **out,
	    size_t *n, struct store_err *);
int	store_outbox_get(struct store *, int64_t id, struct store_outbox_row *,
	    struct store_err *);
/*
 * State transitions; each fails (-1, nothing changed) when the row is not
 * in a state the transition starts from:
 *   mark_sent   pending -> sent, attempts + 1
 *   mark_done   sent|pending -> done
 *   retry       sent|pending -> pending at next_at, error recorded; a sent
 *               try that does not count (rate limit, cancelled at
 *               shutdown) gives back the attempt mark_sent counted
 *   mark_failed pending|sent -> failed, error recorded
 *   abandon     pending|sent|failed -> abandoned, reason recorded
 * A row in any other state (or none) is -1 too, and then
 * store_outbox_conflict says so: nothing was written and the transaction
 * goes on.  After a failed statement it is false, and the caller must not
 * commit around the failure.
 */
int	store_outbox_mark_sent(struct store *, int64_t id, int64_t now,
	    struct store_err *);
int	store_outbox_mark_done(struct store *, int64_t id, int64_t now,
	    struct store_err *);
int	store_outbox_retry(struct store *, int64_t id, int64_t next_at,
	    const char *error, bool counted, int64_t now, struct store_err *);
int	store_outbox_mark_failed(struct store *, int64_t id, const char *error,
	    int64_t now, struct store_err *);
bool	store_outbox_conflict(const struct store *);
/* A pending row not due before next_at (its account waits for a reset). */
int	store_outbox_defer(struct store *, int64_t id, int64_t next_at,
	    struct store_err *);
int	store_outbox_abandon(struct store *, int64_t id, const char *reason,
	    int64_t now, struct store_err *);
/* Rows not yet finished (pending + sent), for /metrics and shutdown. */
int	store_outbox_pending_count(struct store *, int64_t *n, struct store_err *);
void	store_outbox_row_free(struct store_outbox_row *);
void	store_outbox_rows_free(struct store_outbox_row *, size_t n);

/*
 * Items by author (queue.c's author query) are kept in a table filled in
 * batches, not in an index on items that every item's insert would write
 * at a random place.  Due once about STORE_AUTHOR_ITEMS_BATCH items came
 * in since the last batch; queries find the newer ones by rowid.
 * store_author_items_index fills it up to the newest item, in the
 * caller's transaction or its own; *n is how many items it covered.
 */
#define STORE_AUTHOR_ITEMS_BATCH	4096
bool	store_author_items_due(const struct store *);
int	store_author_items_index(struct store *, int64_t *n,
	    struct store_err *);

/* --- authors and strikes ------------------------------------------------------ */

/* Records or refreshes an author (store_item_put does this too). */
int	store_author_put(struct store *, const char *platform, const char *account,
	    const char *author_id, const char *handle, const char *name,
	    int64_t now, struct store_err *);
/* One strike against the author at ts for rule, caused by item (0: none). */
int	store_author_strike_add(struct store *, const char *platform,
	    const char *account, const char *author_id, int64_t ts,
	    const char *rule, int64_t item, struct store_err *);
/* Strikes with ts >= since (now - window). */
int	store_author_strike_count_since(struct store *, const char *platform,
	    const char *account, const char *author_id, int64_t since,
	    int64_t *count, struct store_err *);

/* --- evidence rows (built by evidence.c) --------------------------------------- */

/*
 * Stores item's evidence record (canonical JSON) and its hex SHA-256.
 * Evidence is written once: 1 new, 0 when the item already has a record
 * (kept unchanged), -1 error.
 */
int	store_evidence_put(struct store *, int64_t item, const char *record,
	    const char *sha256, int64_t now, struct store_err *);
/* 1 and owned *record (and sha256 copied, 65 bytes), 0 none, -1 error. */
int	store_evidence_get(struct store *, int64_t item, char **record,
	    char sha256[65], int64_t *created_at, struct store_err *);

/* --- for the other storage modules (audit.c, evidence.c) and tests ---------- */

/*
 * A prepared statement for sql, cached in the store by the address of sql:
 * pass a string with static storage.  The statement is reset and its
 * bindings cleared.  NULL with e set on error.
 */
struct sqlite3_stmt	*store_stmt(struct store *, const char *sql,
			    struct store_err *);
/*
 * The same for SQL put together at run time (queue.c's filters), cached
 * by its text, of which the store keeps a copy: a caller's buffer will do.
 */
struct sqlite3_stmt	*store_stmt_text(struct store *, const char *sql,
			    struct store_err *);
struct sqlite3		*store_db(struct store *);
/* Runs sql (no results) outside the cache; tests use it to tamper. */
int			 store_exec(struct store *, const char *sql,
			    struct store_err *);
/*
 * Joins the caller's transaction or begins one: *own says whether to
 * finish it with store_txn_end(st, own, ok, e) (commit when ok, else
 * rollback).  Returns -1 when begin fails.
 */
int			 store_txn_begin(struct store *, bool *own,
			    struct store_err *);
int			 store_txn_end(struct store *, bool own, bool ok,
			    struct store_err *);
/*
 * A savepoint inside the open transaction, for a part of it that may fail
 * alone.  Rolling back to it also forgets the audit tip: entries appended
 * after the savepoint are gone.  name must be a plain SQL identifier.
 */
int			 store_savepoint(struct store *, const char *name,
			    struct store_err *);
int			 store_savepoint_release(struct store *, const char *name,
			    struct store_err *);
int			 store_savepoint_rollback(struct store *,
			    const char *name, struct store_err *);
/*
 * The connection's SHA-256 context, initialized for a new digest (the
 * audit chain hashes about two entries per item).  The caller finishes it
 * with EVP_DigestFinal_ex and does not free it; valid until the next call
 * on this store.  NULL when OpenSSL cannot give SHA-256.
 */
struct evp_md_ctx_st	*store_sha256(struct store *);
/*
 * The audit chain's tip as the open transaction left it: the next seq and
 * the hash of the last entry.  audit_append sets it after each entry and
 * reads it back for the next one in the same transaction, which holds the
 * write lock, so no other writer can have moved it.  Any begin, commit or
 * rollback forgets it.  store_audit_tip returns false when there is none.
 */
bool			 store_audit_tip(struct store *, int64_t *next,
			    char hash[65]);
void			 store_audit_tip_set(struct store *, int64_t next,
			    const char *hash);

#endif
