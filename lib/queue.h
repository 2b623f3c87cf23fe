/*
 * queue.h: the read side of the editors' queue and its decision history,
 * as JSON for the API (daemon/API.md): filtered and paged lists, item
 * summaries, author history, thread context, per-rule quality, and the
 * queue_history table (migration 3) that undo reads.  Deciding about an
 * item (outbox, audit) is the daemon's job (daemon/api-items.c); this
 * module only queries and records history rows.
 *
 * Errors as in store.h.  Returned json_t * are owned references.
 */
#ifndef NQ_QUEUE_H
#define NQ_QUEUE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

#define QUEUE_LIMIT_MAX	200

struct queue_filter {
	int		 state;		/* store_queue_state, -1: any */
	const char	*platform;	/* NULL: any */
	const char	*account;
	const char	*category;	/* a category of the verdict queued */
	const char	*assignee;	/* "" or "-": unassigned */
	int64_t		 since;		/* queued or updated at or after; 0 */
	size_t		 limit;
	size_t		 offset;
};

/* Item ids of the page, oldest queued first, and the total.  0 or -1. */
int	queue_find(struct store *, const struct queue_filter *, int64_t **ids,
	    size_t *n, int64_t *total, struct store_err *);

/* The queue entry of item: 1 found, 0 not queued, -1 error. */
int	queue_entry_get(struct store *, int64_t item, struct store_queue_entry *q,
	    struct store_err *);

/*
 * The item as API.md's ITEM_SUMMARY, without "allowed" (the caller knows
 * the user).  NULL with e set when the item does not exist.
 */
json_t	*queue_item_summary(struct store *, int64_t item, struct store_err *);

/* Earlier items of the same author (newest first, at most limit). */
json_t	*queue_author_items(struct store *, int64_t item, size_t limit,
	    struct store_err *);
/* Its SQL, for tests that look at its query plan. */
const char	*queue_author_items_sql(void);
/* {"parent_id", "parent": summary|null, "replies": [summaries]} */
json_t	*queue_thread(struct store *, int64_t item, struct store_err *);
/* [{"author","text","created_at"}] */
json_t	*queue_notes(struct store *, int64_t item, struct store_err *);
/* [{"id","action","state","attempts","last_error","updated_at"}] */
json_t	*queue_outbox(struct store *, int64_t item, struct store_err *);
/* Outbox row ids of item, in id order; *ids owned. */
int	queue_outbox_ids(struct store *, int64_t item, int64_t **ids, size_t *n,
	    struct store_err *);

/* --- decision history --------------------------------------------------- */

struct queue_hist {
	int64_t	 id;
	char	 verb[16];
	char	 from[16];
	char	 to[16];
	char	*effects;	/* JSON text, owned */
};
int	queue_hist_add(struct store *, int64_t item, const char *verb,
	    const char *from, const char *to, const char *actor,
	    const char *reason, const char *effects, int64_t now,
	    struct store_err *);
/* The newest decision not undone: 1, 0 none, -1. */
int	queue_hist_last(struct store *, int64_t item, struct queue_hist *,
	    struct store_err *);
int	queue_hist_undone(struct store *, int64_t id, struct store_err *);
/* How many decisions item has had (numbers outbox keys). */
int64_t	queue_hist_count(struct store *, int64_t item);
void	queue_hist_free(struct queue_hist *);

/* --- rule quality --------------------------------------------------------- */

/*
 * Per rule that ever matched (newest verdict per item):
 * [{"id","hits","open","approved","dismissed","escalated","closed",
 *   "precision": approved/(approved+dismissed) or null}], by id.
 */
json_t	*queue_rule_quality(struct store *, struct store_err *);
/* Item ids behind one number: outcome "hits" or a queue state name. */
int	queue_rule_items(struct store *, const char *rule, const char *outcome,
	    size_t limit, size_t offset, int64_t **ids, size_t *n,
	    int64_t *total, struct store_err *);

/* --- /metrics -------------------------------------------------------------- */

/* Entries and oldest created_at per state (0 when none). */
int	queue_stats(struct store *, int64_t count[5], int64_t oldest[5],
	    struct store_err *);

#endif
