/*
 * netiquetted.h: the daemon's map.  One struct daemon owns everything the
 * process has: the event base, the configuration, the rule set, the store,
 * the HTTP client, the accounts and the API listener.  Each file below has
 * one job; callbacks only record what happened and hand the work to the
 * function that owns it.
 */
#ifndef NETIQUETTED_H
#define NETIQUETTED_H
#include <sys/queue.h>

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "connector.h"
#include "policy.h"
#include "ruleset.h"
#include "store.h"

struct event;
struct event_base;
struct exec_job;
TAILQ_HEAD(exec_jobs, exec_job);
struct evhttp;
struct api_state;
struct workq;
struct checkpointer;
struct httpc;

/* Counters for /metrics; monotonic over the process lifetime. */
struct metrics {
	uint64_t	items_seen;
	uint64_t	items_new;
	uint64_t	items_duplicate;
	uint64_t	items_skipped;		/* unparseable entries */
	uint64_t	flagged[CAT_COUNT];
	uint64_t	actions_sent[ACT_KNOWN_BITS];
	uint64_t	actions_done[ACT_KNOWN_BITS];
	uint64_t	actions_failed[ACT_KNOWN_BITS];
	uint64_t	actions_retried;
	uint64_t	polls;
	uint64_t	poll_errors;
	uint64_t	ratelimited;
	uint64_t	reloads;
	uint64_t	reload_failures;
	uint64_t	screen_latency_us[12];	/* histogram buckets, see api.c */
	uint64_t	screen_latency_count;
	double		screen_latency_sum;
};

/* One configured account and its polling state. */
struct account {
	struct daemon			*d;
	const struct config_account	*conf;	/* owned by d->conf */
	const struct connector		*conn;
	struct conn_account		 ca;	/* borrows conf and token */
	char				*token;	/* never logged */
	char				*admin_token;
	unsigned			 caps;
	struct event			*poll_timer;
	bool				 polling;	/* request in flight */
	int				 parsing;	/* pages in the parser */
	char				*poll_cursor;	/* it asked from here */
	char				*poll_hint;	/* next page, not yet asked */
	int				 poll_failures;	/* consecutive */
	time_t				 paused_until;	/* rate limit */
	uint64_t			 pages;
	struct conn_rulemap		*rulemap;	/* instance rules */
	size_t				 nrulemap;
};

/*
 * The running rule set as the parser thread classifies with it.  A parse
 * job holds it from submit to done; a reload retires it, and whoever lets
 * go last (the reload or the last job) frees the rule set.  The counts
 * are touched on the loop only; the scratch only on the parser thread,
 * which is one thread, so jobs never share it at the same time.
 */
struct parse_rules {
	struct ruleset		*rs;
	struct rs_scratch	*scratch;
	unsigned		 jobs;
	bool			 retired;
};

struct daemon {
	struct event_base	*base;
	const char		*conf_path;
	struct config		*conf;
	struct policy		 policy;
	struct ruleset		*rs;
	struct rs_scratch	*scratch;	/* the loop's */
	struct parse_rules	*parse_rules;	/* rs, as parse jobs hold it */
	struct store		*store;
	struct checkpointer	*ckpt;		/* checkpoint.h */
	struct httpc		*http;		/* outbox, instance rules */
	struct httpc		*http_poll;	/* polls: never behind the outbox */
	struct account		*accounts;
	size_t			 naccounts;
	struct evhttp		*api;
	struct api_state	*api_state;	/* api.h */
	struct event		*ev_term, *ev_int, *ev_hup, *ev_watchdog;
	struct event		*instance_timer;	/* instance rules again */
	struct event		*exec_timer;
	struct event		*exec_soon;	/* coalesced round */
	int64_t			 exec_soon_at;	/* its deadline, monotonic us */
	struct workq		*parseq;	/* poller.c: page parser */
	int64_t			 poll_pumped_at; /* monotonic us */
	bool			 poll_nested;	/* in httpc_pump or an inline
						   parse: neither nests */
	size_t			 exec_inflight;
	struct exec_jobs	 exec_answered;	/* answers not yet settled */
	struct exec_jobs	 exec_settled;	/* settled, not yet committed */
	struct exec_jobs	 exec_staged;	/* marked sent, not yet committed */
	size_t			 exec_nstaged;
	bool			 exec_backlog;	/* due rows wait for a slot */
	bool			 exec_round_failed; /* this round: undo it */
	long			 exec_retry_us;	/* after undone rounds, doubling */
	bool			 stopping;
	int			 stop_checks;	/* daemon_stop_check, 0.1 s each */
	bool			 ready;
	time_t			 started;
	struct metrics		 m;
};

/* netiquetted.c */
void	daemon_stop(struct daemon *, const char *why);
struct parse_rules *daemon_rules_hold(struct daemon *);
void	daemon_rules_release(struct daemon *, struct parse_rules *);
int	daemon_load_rules(struct daemon *, struct ruleset **out);
time_t	daemon_now(struct daemon *);

/* poller.c */
int	poller_start(struct daemon *);
void	poller_stop(struct daemon *);
void	poller_kick(struct account *);
void	poller_pump(struct daemon *);

/* screen.c */
/*
 * What screening an item needs that reads no store: its verdict, and the
 * item and verdict parts of its audit entry as canonical JSON text.
 * screen_prepare is a pure function of the item and the rule set, so the
 * parser thread runs it with a scratch of its own; screen_page prepares
 * on the loop what was not, or what a rule set since replaced prepared.
 */
struct screen_prep {
	const struct ruleset	*rs;		/* NULL: not prepared */
	struct verdict		 v;
	char			*item_json;
	char			*verdict_json;
	char			*cats_json;	/* store_verdict_texts */
	char			*matches_json;
};

void	screen_prepare(const struct ruleset *, struct rs_scratch *,
	    const struct conn_item *, struct screen_prep *);
void	screen_prep_free(struct screen_prep *);
/*
 * Screens one polled page of an account in a single transaction: every new
 * item gets its verdict, decision, queue entry, evidence, outbox actions
 * and audit entries, and the cursor moves, or none of it happens.  prep,
 * when not NULL, has one entry per page item.
 */
int	screen_page(struct daemon *, struct account *, const struct conn_page *,
	    struct screen_prep *prep, struct store_err *);

/* executor.c */
int	executor_start(struct daemon *);
/*
 * Whether a failed outbox row failed because its try may have been
 * applied (its error says so): an undo counts it as maybe applied, the
 * item view tells the editors what to check.
 */
bool	executor_failed_unknown(const char *last_error);
void	executor_stop(struct daemon *);
void	executor_kick(struct daemon *);
int	executor_stage(struct daemon *);
void	executor_staged(struct daemon *, bool committed);
void	executor_flush(struct daemon *);

/* instance.c */
void	instance_start(struct daemon *);
void	instance_stop(struct daemon *);
void	instance_free(struct account *);

/* api.c */
int	api_start(struct daemon *);
void	api_stop(struct daemon *);

#endif
