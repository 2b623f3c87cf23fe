/*
 * workq.c: runs jobs on worker threads and hands them back to the loop.
 *
 * For CPU work that would stall the event loop (password hashing, parsing
 * a platform's page) and that needs nothing but its job.  Ownership is
 * handed over, never shared: the loop fills a job and submits it; a worker
 * owns it while work runs; the loop takes it back and runs done.  The two
 * lists and the counter are the only memory both sides touch, under one
 * mutex.  A worker wakes the loop by writing a byte to a pipe; the workers
 * block every signal, which are the loop's business.
 */
#include <sys/queue.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "workq.h"
#include "xmalloc.h"

#define WORKQ_MAX_THREADS	8

TAILQ_HEAD(workq_jobs, workq_job);

struct workq {
	const char		*name;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	struct workq_jobs	 todo;		/* submitted, not started */
	struct workq_jobs	 done;		/* finished, not delivered */
	size_t			 pending;	/* todo + running + done */
	size_t			 max;
	bool			 stop;
	pthread_t		 threads[WORKQ_MAX_THREADS];
	int			 nthreads;
	int			 pipe[2];	/* worker -> loop wakeup */
	struct event		*ev;
};

static void *
workq_thread(void *arg)
{
	struct workq		*q = arg;
	struct workq_job	*j;

	pthread_mutex_lock(&q->mtx);
	for (;;) {
		while (!q->stop && TAILQ_EMPTY(&q->todo))
			pthread_cond_wait(&q->cond, &q->mtx);
		if (q->stop)
			break;
		j = TAILQ_FIRST(&q->todo);
		TAILQ_REMOVE(&q->todo, j, entry);
		pthread_mutex_unlock(&q->mtx);

		j->work(j);

		pthread_mutex_lock(&q->mtx);
		TAILQ_INSERT_TAIL(&q->done, j, entry);
		/* a full pipe already holds a wakeup: EAGAIN is fine */
		(void)!write(q->pipe[1], "", 1);
	}
	pthread_mutex_unlock(&q->mtx);
	return NULL;
}

/* Loop side: delivers every finished job, in the order they finished. */
static void
workq_deliver(evutil_socket_t fd, short what, void *arg)
{
	struct workq		*q = arg;
	struct workq_jobs	 ready = TAILQ_HEAD_INITIALIZER(ready);
	struct workq_job	*j;
	char			 buf[256];

	while (read(fd, buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&q->mtx);
	TAILQ_FOREACH(j, &q->done, entry)
		q->pending--;
	TAILQ_CONCAT(&ready, &q->done, entry);
	pthread_mutex_unlock(&q->mtx);
	while ((j = TAILQ_FIRST(&ready)) != NULL) {
		TAILQ_REMOVE(&ready, j, entry);
		j->done(j, false);
	}
}

struct workq *
workq_new(struct event_base *base, int nthreads, size_t max,
    const char *name)
{
	struct workq	*q = xcalloc(1, sizeof *q);
	sigset_t	 all, old;
	int		 i, rc;

	q->name = name;
	q->max = max;
	TAILQ_INIT(&q->todo);
	TAILQ_INIT(&q->done);
	q->pipe[0] = q->pipe[1] = -1;
	if (nthreads > WORKQ_MAX_THREADS)
		nthreads = WORKQ_MAX_THREADS;
	if (pthread_mutex_init(&q->mtx, NULL) != 0 ||
	    pthread_cond_init(&q->cond, NULL) != 0) {
		log_warnx("%s: cannot initialise the mutex", name);
		free(q);
		return NULL;
	}
	if (pipe2(q->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		log_warn("%s: pipe", name);
		workq_free(q);
		return NULL;
	}
	q->ev = event_new(base, q->pipe[0], EV_READ | EV_PERSIST,
	    workq_deliver, q);
	if (q->ev == NULL || event_add(q->ev, NULL) == -1) {
		log_warnx("%s: cannot watch the pipe", name);
		workq_free(q);
		return NULL;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < nthreads; i++) {
		if ((rc = pthread_create(&q->threads[i], NULL, workq_thread,
		    q)) != 0) {
			log_warnx("%s: pthread_create: %s", name, strerror(rc));
			break;
		}
		q->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (q->nthreads == 0) {
		workq_free(q);
		return NULL;
	}
	return q;
}

int
workq_submit(struct workq *q, struct workq_job *j)
{
	pthread_mutex_lock(&q->mtx);
	if (q->stop || q->pending >= q->max) {
		pthread_mutex_unlock(&q->mtx);
		return -1;
	}
	TAILQ_INSERT_TAIL(&q->todo, j, entry);
	q->pending++;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->mtx);
	return 0;
}

size_t
workq_pending(struct workq *q)
{
	size_t n;

	pthread_mutex_lock(&q->mtx);
	n = q->pending;
	pthread_mutex_unlock(&q->mtx);
	return n;
}

void
workq_free(struct workq *q)
{
	struct workq_job	*j;
	int			 i;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mtx);
	q->stop = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->mtx);
	for (i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	/* no worker runs now: the lists are the loop's alone */
	TAILQ_CONCAT(&q->done, &q->todo, entry);
	while ((j = TAILQ_FIRST(&q->done)) != NULL) {
		TAILQ_REMOVE(&q->done, j, entry);
		q->pending--;
		j->done(j, true);
	}
	if (q->ev != NULL)
		event_free(q->ev);
	for (i = 0; i < 2; i++)
		if (q->pipe[i] != -1)
			close(q->pipe[i]);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->mtx);
	free(q);
}
