/*
 * checkpoint.h: WAL checkpoints of the store on a thread of their own.
 */
#ifndef CHECKPOINT_H
#define CHECKPOINT_H

#include <stdint.h>

#include "store.h"

struct checkpointer;

/*
 * Takes over the checkpoints of st's WAL: SQLite's automatic checkpoint
 * (run inside a commit, on the caller's thread) is turned off, and a
 * thread with its own connection copies the WAL back into the database
 * once it holds pages_threshold pages.  Returns NULL with e set.
 */
struct checkpointer	*checkpointer_start(struct store *st,
			    int pages_threshold, struct store_err *e);
/* Checkpoints done so far (a metric). */
uint64_t		 checkpointer_count(struct checkpointer *);
/*
 * Joins the thread (after the checkpoint in hand) and gives the
 * checkpoints back to SQLite.  Before store_close.  NULL is fine.
 */
void			 checkpointer_stop(struct checkpointer *);

#endif
