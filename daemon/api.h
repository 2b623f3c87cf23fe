/*
 * api.h: the map of the daemon's HTTP API (daemon/API.md).  api.c owns the
 * listener, the route table, authentication, CSRF, the security headers,
 * the static UI files and the operators' endpoints; each api-<resource>.c
 * owns the handlers of one resource and exports them here.  A handler gets
 * a parsed, authenticated request and answers it with api_json or
 * api_error exactly once.
 */
#ifndef NQ_API_H
#define NQ_API_H
#include <sys/queue.h>

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "netiquetted.h"
#include "users.h"
#include "workq.h"

struct event;
struct evhttp_request;

/* Role bits for the route table. */
#define API_EDITOR	(1u << USERS_EDITOR)
#define API_LEGAL	(1u << USERS_LEGAL)
#define API_ADMIN	(1u << USERS_ADMIN)
#define API_ANY		(API_EDITOR | API_LEGAL | API_ADMIN)

#define API_AUTH_SLOTS		1024
#define API_EVENTS_SEEN_MAX	256

/* One login throttling entry (api-auth.c). */
struct api_auth_slot {
	char	 key[80];	/* "u:name" or "ip:addr" */
	int	 failures;
	int	 pending;	/* password checks in flight */
	time_t	 until;		/* no attempt before */
	time_t	 last;
};

struct workq;		/* workq.h */

struct api_events_client;	/* api-events.c */
TAILQ_HEAD(api_events_clients, api_events_client);

/*
 * What the API keeps between requests, as d->api_state: allocated by
 * api_start, freed by api_stop.  Each file touches only its own part.
 */
#define API_QCACHE		8
#define API_QCACHE_MS		1000	/* how stale a shared page may be */

struct api_state {
	/* api.c */
	uint64_t		 status_count[6];	/* by status / 100 */
	char			 ui_dir[1024];		/* found once */

	/* api-auth.c */
	uint64_t		 logins[3];	/* ok, failed, throttled */
	struct api_auth_slot	 auth_slots[API_AUTH_SLOTS];

	/* api-pwhash.c */
	struct workq		*pwpool;

	/* api-queue.c: queue pages shared by the editors who poll them */
	struct api_qcache {
		char		 key[600];	/* role and request URI */
		char		*body;		/* the JSON reply */
		size_t		 len;
		uint64_t	 writes;	/* api writes when made */
		int64_t		 at_ms;
	}			 qcache[API_QCACHE];
	unsigned		 qcache_next;
	uint64_t		 writes;	/* POSTs handled: invalidates */

	/* api-events.c */
	struct api_events_clients events_clients;
	size_t			 events_n;
	struct event		*events_timer;
	uint64_t		 events_seq;
	unsigned		 events_ticks;
	int64_t			 events_last_ts;	/* -1: not looked yet */
	int64_t			 events_seen[API_EVENTS_SEEN_MAX]; /* at last_ts */
	size_t			 events_nseen;
};

struct api_req {
	struct daemon		*d;
	struct evhttp_request	*req;
	const char		*path;
	const char		*arg;		/* the "*" segment, unescaped */
	int64_t			 id;		/* the "*" segment as item id */
	struct evkeyvalq	*query;
	json_t			*body;		/* POST body, NULL otherwise */
	bool			 authed;
	bool			 bearer;
	struct users_session	 session;	/* user filled when authed */
	char			 peer[64];
	char			 actor[80];	/* api_actor's answer */
};

/* The security headers of API.md, Content-Type and Cache-Control. */
void		 api_headers(struct evhttp_request *, const char *type,
		    bool cache);
/* The audit actor of the request's user: "editor:NAME", kept in r. */
const char	*api_actor(struct api_req *);
/* Sends obj (reference stolen) as JSON with status. */
void		 api_json(struct api_req *, int status, json_t *obj);
void		 api_queue_cache_free(struct api_state *);
/* Sends an already encoded JSON reply, with the same headers. */
void		 api_json_text(struct api_req *, int status, const char *body,
		    size_t len);
void		 api_error(struct api_req *, int status, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/* Query parameter or NULL. */
const char	*api_query(struct api_req *, const char *key);
/* Parses a non-negative integer parameter within [min, max]; -1 bad. */
int		 api_query_int(struct api_req *, const char *key, int64_t def,
		    int64_t min, int64_t max, int64_t *out);
/* The body's string member, or NULL when absent or not a string. */
const char	*api_body_str(struct api_req *, const char *key);

/* api-auth.c */
void	api_auth_login(struct api_req *);
void	api_auth_logout(struct api_req *);
void	api_auth_session(struct api_req *);
/*
 * Fills r->session from a bearer token, the trusted proxy's user header or
 * the cookie: 1, 0 none, -1 error, or API_AUTH_ANSWERED when it has
 * refused the request itself (a proxy header from the wrong address, an
 * unknown proxy user).
 */
#define API_AUTH_ANSWERED	(-2)
int	api_auth_identify(struct api_req *);
bool	api_auth_csrf_ok(struct api_req *, const char **why);
bool	api_auth_origin_ok(struct api_req *, const char **why);

/* api-users.c: the administrators' user management */
void	api_users_list(struct api_req *);
void	api_users_add(struct api_req *);
void	api_users_change(struct api_req *);
/* Until when logins of user name are throttled (0: not). */
time_t	api_auth_locked_until(struct daemon *, const char *name);
void	api_auth_unlock(struct daemon *, const char *name);

/*
 * api-pwhash.c: argon2id off the event loop.  A job is made on the loop
 * with a copy of the request's identity (r: d, req, peer, session; no
 * body, query or path), submitted, and comes back to done() on the loop,
 * which must answer j->r exactly once; the pool frees the job afterwards.
 * When the daemon stops with the job unfinished, done() is called with
 * stopped set and must answer 503 without using the result.
 */
enum api_pwop {
	API_PW_CHECK,	/* password against hash ("" unknown user) */
	API_PW_HASH,	/* a new hash of password into hash */
};

struct api_pwjob {
	struct workq_job	 wq;		/* first: the pool's handle */
	/* the worker's while it runs */
	enum api_pwop		 op;
	char			*password;	/* owned; wiped when checked */
	char			 hash[USERS_HASH_LEN];
	int			 result;	/* CHECK 1/0, HASH 0/-1 */
	char			 checked[USERS_HASH_LEN]; /* CHECK: the
						   stored hash it ran on */
	bool			 rehashed;	/* CHECK: hash is a new one */
	char			 err[256];	/* HASH: why not (a store_err) */
	bool			 refused;	/* HASH: the password's fault */
	/* the loop's */
	bool			 stopped;
	struct api_req		 r;
	void			(*done)(struct api_pwjob *);
	json_t			*ctx;		/* done()'s data, owned */
};

int	api_pw_start(struct daemon *);
void	api_pw_stop(struct daemon *);
struct api_pwjob *api_pw_job(struct api_req *, enum api_pwop,
	    const char *password, void (*done)(struct api_pwjob *));
/* 0 submitted (the pool owns j), -1 queue full or stopping (caller's). */
int	api_pw_submit(struct api_pwjob *);
void	api_pw_free(struct api_pwjob *);
/* Jobs submitted and not yet delivered: the /metrics gauge. */
size_t	api_pw_pending(struct daemon *);

/* A JSON string of msg up to its first byte that is not UTF-8. */
json_t	*api_message(const char *msg);

/* api-queue.c */
void	api_queue_list(struct api_req *);
void	api_queue_bulk(struct api_req *);
/* The decisions the user may take on an item in state (API.md "allowed"). */
json_t	*api_queue_allowed(const struct api_req *, const char *state,
	    bool has_history);
/* The same for a role; USERS_ADMIN: everything the state allows. */
json_t	*api_queue_allowed_role(enum users_role, const char *state,
	    bool has_history);

/* api-items.c */
void	api_items_get(struct api_req *);
void	api_items_decide(struct api_req *);
void	api_items_undo(struct api_req *);
void	api_items_assign(struct api_req *);
void	api_items_note(struct api_req *);
/*
 * Applies one decision ("approve", ..., "undo", "assign") to item in its
 * own transaction.  0 with *result set (owned), or -1 with *status and
 * msg (the JSON error text).
 */
/*
 * What a decision request must hold whatever the item (a known decision,
 * a reason, an assignee who exists): 0, or -1 with status and msg.
 */
int	api_items_check(struct api_req *, const char *verb, const char *reason,
	    const char *assignee, int *status, char *msg, size_t msglen);
int	api_items_apply(struct api_req *, int64_t item, const char *verb,
	    const char *reason, const char *assignee, json_t **result,
	    int *status, char *msg, size_t msglen);
json_t	*api_items_summary(struct api_req *, int64_t item);

/* api-rules.c */
void	api_rules_list(struct api_req *);
void	api_rules_items(struct api_req *);

/* api-audit.c */
void	api_audit_list(struct api_req *);

/* api-evidence.c */
void	api_evidence_export(struct api_req *);

/* api-events.c */
void	api_events_stream(struct api_req *);
/* Tells every open stream that item changed (by: "daemon" or a user). */
void	api_events_queue(struct daemon *, int64_t item, const char *state,
	    const char *by);
/* Ends every open stream and the poll timer; before evhttp_free. */
void	api_events_stop(struct daemon *);

#endif
