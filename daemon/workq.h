/*
 * workq.h: jobs run on worker threads and handed back to the event loop.
 */
#ifndef WORKQ_H
#define WORKQ_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>

struct event_base;

/*
 * Embedded in the caller's job struct.  work runs on a worker thread and
 * may touch only the job; done runs on the loop (stopped: the queue is
 * being freed and the job did not run or its result is not delivered by
 * the loop) and owns the job from then on.
 */
struct workq_job {
	void			(*work)(struct workq_job *);
	void			(*done)(struct workq_job *, bool stopped);
	TAILQ_ENTRY(workq_job)	 entry;
};

struct workq;

/* Starts nthreads workers; at most max jobs queued, running or undelivered. */
struct workq	*workq_new(struct event_base *, int nthreads, size_t max,
		    const char *name);
/* Hands j to the workers; -1 when the queue is full or stopping. */
int		 workq_submit(struct workq *, struct workq_job *);
/* Jobs submitted and not yet delivered. */
size_t		 workq_pending(struct workq *);
/*
 * Stops the workers after the job in hand, joins them, and calls done
 * with stopped = true for every job not yet delivered.  NULL is fine.
 */
void		 workq_free(struct workq *);

#endif
