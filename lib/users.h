/*
 * users.h: the people who use the web UI and netiquettectl queue: local
 * users with a role, their login sessions and their API tokens, all in the
 * store (migration 3).
 *
 * Passwords are hashed with argon2id (libsodium crypto_pwhash_str, at
 * least its INTERACTIVE limits) and rehashed on login when the limits
 * grow.  Session ids and API tokens are 256-bit random strings given to
 * the client once; the store keeps only their SHA-256, so a copy of the
 * database logs nobody in.  This module knows nothing of HTTP: the API
 * decides about cookies, CSRF and throttling.
 *
 * Errors as in store.h: 0/1 on success, -1 with e set.
 */
#ifndef NQ_USERS_H
#define NQ_USERS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

enum users_role {
	USERS_EDITOR,
	USERS_LEGAL,
	USERS_ADMIN,
};
const char	*users_role_name(enum users_role);	/* "editor" ... */
int		 users_role_from_name(const char *);	/* -1 when unknown */

#define USERS_NAME_MAX		32	/* bytes */
#define USERS_PASSWORD_MIN	8	/* bytes */
#define USERS_PASSWORD_MAX	1024
#define USERS_SESSION_IDLE	(30 * 60)
#define USERS_SESSION_MAX	(12 * 3600)
#define USERS_SECRET_LEN	48	/* buffer for a session id, CSRF token
					   or API token, with the NUL */
#define USERS_HASH_LEN		128	/* crypto_pwhash_STRBYTES */

struct users_user {
	int64_t		 id;
	char		 name[USERS_NAME_MAX + 1];
	enum users_role	 role;
	int64_t		 created_at;
	int64_t		 last_login;
	bool		 disabled;
};

/* A name is 1..32 of [A-Za-z0-9._-], starting with a letter or digit. */
bool	users_name_valid(const char *);

/*
 * Adds a user with an argon2id hash of password.  Returns 1, or -1 when
 * the name is invalid or taken, the password too short or too long.
 */
int	users_add(struct store *, const char *name, enum users_role,
	    const char *password, int64_t now, struct store_err *);
int	users_set_password(struct store *, const char *name,
	    const char *password, struct store_err *);
int	users_set_role(struct store *, const char *name, enum users_role,
	    struct store_err *);
/* A disabled user cannot log in; its sessions and tokens stop working. */
int	users_set_disabled(struct store *, const char *name, bool disabled,
	    struct store_err *);

/*
 * The same in two halves, for a caller that hashes on another thread:
 * users_pw_hash() and users_pw_check() use no store and no shared state
 * (thread-safe); the store functions stay on the store's thread.
 *
 * users_pw_hash: an argon2id hash of password at INTERACTIVE limits; 0, or
 * -1 when the password is too short or too long.
 * users_pw_check: 1 when password matches hash, 0 when not; a NULL or
 * empty hash (unknown user) costs the same and never matches.  *rehash
 * tells that a matching hash's limits are below today's.
 */
int	users_pw_hash(const char *password, char out[USERS_HASH_LEN],
	    struct store_err *);
int	users_pw_check(const char *hash, const char *password, bool *rehash);
/* users_add and users_set_password with a hash from users_pw_hash. */
int	users_add_hash(struct store *, const char *name, enum users_role,
	    const char *hash, int64_t now, struct store_err *);
int	users_set_hash(struct store *, const char *name, const char *hash,
	    struct store_err *);
/*
 * Sets hash only while the stored one is still old (a rehash after a
 * login must not undo a password change made meanwhile): 1 replaced,
 * 0 not (changed meanwhile, or no such user), -1 error.
 */
int	users_replace_hash(struct store *, const char *name, const char *old,
	    const char *hash, struct store_err *);
/*
 * 1 when name is a user (u and its stored hash filled), 0 when the name
 * is unknown or invalid, -1 error.  The caller wipes hash.
 */
int	users_credentials(struct store *, const char *name,
	    struct users_user *u, char hash[USERS_HASH_LEN], struct store_err *);
/* Records a successful login of u at now (last_login). */
int	users_logged_in(struct store *, struct users_user *u, int64_t now,
	    struct store_err *);
/* 1 found (u filled), 0 unknown, -1 error. */
int	users_get(struct store *, const char *name, struct users_user *u,
	    struct store_err *);
/*
 * Checks name and password.  1 when they match an enabled user (u filled,
 * last_login set, the hash upgraded when its limits are too low), 0 when
 * not; an unknown name costs as much time as a wrong password.
 */
int	users_verify(struct store *, const char *name, const char *password,
	    int64_t now, struct users_user *u, struct store_err *);
/* Every user by name; *out owned (free()). */
int	users_list(struct store *, struct users_user **out, size_t *n,
	    struct store_err *);

struct users_session {
	char			token[USERS_SECRET_LEN];	/* only after _new */
	char			csrf[USERS_SECRET_LEN];
	struct users_user	user;
	int64_t			created_at;
	int64_t			last_seen;
	int64_t			expires_at;	/* absolute timeout */
};

/* Starts a session for u: random token and CSRF token.  0 or -1. */
int	users_session_new(struct store *, const struct users_user *u,
	    int64_t now, struct users_session *s, struct store_err *);
/*
 * Looks the session token up: 1 when it is valid at now (not idle for
 * more than idle seconds, before its absolute expiry, user enabled), and
 * then its last_seen moves to now; 0 when unknown or expired (an expired
 * one is deleted); -1 error.  s->token stays empty.
 */
int	users_session_check(struct store *, const char *token, int64_t now,
	    int64_t idle, struct users_session *s, struct store_err *);
/*
 * The same check without moving last_seen: for what the server does on
 * its own (the event stream's pings), which must not keep an idle
 * session alive.
 */
int	users_session_valid(struct store *, const char *token, int64_t now,
	    int64_t idle, struct users_session *s, struct store_err *);
int	users_session_end(struct store *, const char *token, struct store_err *);
/* Ends every session of user id (after a new password, a disabling). */
int	users_session_end_user(struct store *, int64_t id, struct store_err *);
/* Deletes every expired session. */
int	users_session_purge(struct store *, int64_t now, int64_t idle,
	    struct store_err *);

/* A new API token "nqt_..." for name, printed once by the caller. */
int	users_token_new(struct store *, const char *name, int64_t now,
	    char token[USERS_SECRET_LEN], struct store_err *);
/* 1 when token belongs to an enabled user (u filled), 0 not, -1 error. */
int	users_token_check(struct store *, const char *token, int64_t now,
	    struct users_user *u, struct store_err *);

#endif
