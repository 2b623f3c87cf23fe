/*
 * audit.h: the tamper-evident audit log, an append-only hash chain in the
 * store's audit table.  Every action the daemon or an editor takes, every
 * rule-set reload and every evidence export is one entry; the entry names
 * who (actor), what (kind), which item, and the details as a JSON object.
 *
 * Chain.  Entry n carries prev_hash = hash of entry n - 1 (64 zeros for
 * entry 1) and hash = hex SHA-256 of the canonical serialization
 *
 *	[seq,ts,"actor","kind",item,detail,"prev_hash"]
 *
 * written by jansson with JSON_COMPACT | JSON_SORT_KEYS, where item is
 * null when the entry concerns no item and detail is the detail object
 * (keys sorted recursively).  Anyone holding the database and this comment
 * can recompute the chain; integers only in detail, please, since the text
 * form of reals is not canonical across libraries.
 *
 * What it does not do: a chain without a secret proves integrity only
 * against someone who did not rewrite every later entry too.  Anchoring the
 * head (audit_head) outside the database, e.g. in the journal on every
 * start and in each evidence export, closes that gap; audit_verify accepts
 * such an anchor.
 */
#ifndef NQ_AUDIT_H
#define NQ_AUDIT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

#define AUDIT_GENESIS \
	"0000000000000000000000000000000000000000000000000000000000000000"

struct audit_entry {
	int64_t	 seq;
	int64_t	 ts;		/* unix seconds */
	char	*actor;		/* "daemon", "editor:anna", "ctl" */
	char	*kind;		/* "item.screened", "action.hide", ... */
	int64_t	 item;		/* 0 when none */
	char	*detail;	/* canonical JSON object text */
	char	 prev_hash[65];
	char	 hash[65];
};

/*
 * Appends one entry stamped with store_now().  detail may be NULL ({}) and
 * must be an object; it is borrowed.  Runs inside the caller's transaction
 * when one is open, so that the entry commits or rolls back with the
 * change it records; otherwise in a transaction of its own.  *seq may be
 * NULL.  Returns 0 or -1.
 */
int	audit_append(struct store *, const char *actor, const char *kind,
	    int64_t item, json_t *detail, int64_t *seq, struct store_err *);
/*
 * The same with the detail already serialized, for callers that build it
 * off the loop: text must be what json_dumps(JSON_COMPACT |
 * JSON_SORT_KEYS) writes for an object (audit verify recomputes the hash
 * from exactly that form, so any other text breaks the chain there).
 */
int	audit_append_text(struct store *, const char *actor, const char *kind,
	    int64_t item, const char *text, int64_t *seq, struct store_err *);
/*
 * Whether jansson dumps s as it is, between quotes (printable ASCII, no
 * '"' or '\\'): such a string can go into a canonical text unescaped.
 */
bool	audit_plain(const char *s);

/* The last entry's seq and hash (0 and AUDIT_GENESIS when empty). */
int	audit_head(struct store *, int64_t *seq, char hash[65],
	    struct store_err *);

struct audit_report {
	bool	 ok;
	int64_t	 entries;	/* entries checked */
	int64_t	 first_bad;	/* first broken seq, 0 when ok */
	char	 reason[200];
	int64_t	 head_seq;	/* last good entry */
	char	 head_hash[65];
};

/*
 * Walks the whole chain in seq order and stops at the first entry that is
 * missing, out of place, linked to the wrong predecessor or changed.  When
 * anchor_seq > 0, also checks that entry anchor_seq still has anchor_hash
 * (a head recorded earlier elsewhere).  Returns 0 when the walk could be
 * done (r->ok says whether the chain is intact), -1 on a database error.
 */
int	audit_verify(struct store *, int64_t anchor_seq, const char *anchor_hash,
	    struct audit_report *r, struct store_err *);

struct audit_filter {
	int64_t		 item;		/* 0: any */
	const char	*author;	/* platform author id; NULL: any */
	const char	*kind;		/* exact, or "prefix.*"; NULL: any */
	int64_t		 since;		/* ts >= since; 0: no bound */
	int64_t		 until;		/* ts < until; 0: no bound */
	size_t		 limit;		/* the newest limit entries; 0: all */
};

/*
 * Entries matching every filter, in seq order.  An entry matches author
 * when its item was written by that author or its detail has
 * "author": that id.  *out is owned: audit_entries_free.
 */
int	audit_query(struct store *, const struct audit_filter *,
	    struct audit_entry **out, size_t *n, struct store_err *);
void	audit_entries_free(struct audit_entry *, size_t n);

/* The entry as a JSON object (owned reference), for exports and the API. */
json_t	*audit_entry_json(const struct audit_entry *);

/* Hex SHA-256 of len bytes into out (65 bytes). */
void	audit_sha256_hex(const void *data, size_t len, char out[65]);

#endif
