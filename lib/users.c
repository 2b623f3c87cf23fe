/*
 * users.c: local users, sessions and API tokens (users.h) in the store's
 * users, sessions and tokens tables.  Owns password hashing (argon2id via
 * libsodium) and the random secrets; does not own HTTP, cookies or login
 * throttling (daemon/api-auth.c).
 *
 * users_pw_hash() and users_pw_check() touch neither the store nor any
 * other state, so the daemon can run them on a worker thread: an argon2id
 * hash takes tens of milliseconds and 64 MiB, far too long for the event
 * loop.  The store functions around them stay on the caller's thread.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "audit.h"
#include "users.h"
#include "xmalloc.h"

static const char *const users_role_names[] = { "editor", "legal", "admin" };

const char *
users_role_name(enum users_role r)
{
	if ((unsigned)r >= sizeof users_role_names / sizeof users_role_names[0])
		return NULL;
	return users_role_names[r];
}

int
users_role_from_name(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < sizeof users_role_names /
	    sizeof users_role_names[0]; i++)
		if (strcmp(s, users_role_names[i]) == 0)
			return (int)i;
	return -1;
}

bool
users_name_valid(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > USERS_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))
			continue;
		if (i > 0 && (c == '.' || c == '_' || c == '-'))
			continue;
		return false;
	}
	return true;
}

static int
users_fail(struct store *st, struct store_err *e, const char *what)
{
	store_err_set(e, "%s: %s", what, sqlite3_errmsg(store_db(st)));
	return -1;
}

static int
users_step_done(struct store *st, sqlite3_stmt *s, struct store_err *e,
    const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return users_fail(st, e, what);
	return 0;
}

static void
users_bind(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

_Static_assert(USERS_HASH_LEN == crypto_pwhash_STRBYTES, "USERS_HASH_LEN");

int
users_pw_hash(const char *password, char out[USERS_HASH_LEN],
    struct store_err *e)
{
	size_t n = strlen(password);

	if (n < USERS_PASSWORD_MIN) {
		store_err_set(e, "password too short (at least %d bytes)",
		    USERS_PASSWORD_MIN);
		return -1;
	}
	if (n > USERS_PASSWORD_MAX) {
		store_err_set(e, "password too long (at most %d bytes)",
		    USERS_PASSWORD_MAX);
		return -1;
	}
	if (sodium_init() < 0 || crypto_pwhash_str_alg(out, password, n,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE,
	    crypto_pwhash_ALG_ARGON2ID13) != 0) {
		store_err_set(e, "password hashing failed (out of memory?)");
		return -1;
	}
	return 0;
}

/* 256 random bits as unpadded base64url (43 characters), after prefix. */
static void
users_random_secret(const char *prefix, char out[USERS_SECRET_LEN])
{
	unsigned char	raw[32];
	size_t		p = strlen(prefix);

	if (sodium_init() < 0)
		abort();	/* no random source: nothing is safe */
	randombytes_buf(raw, sizeof raw);
	memcpy(out, prefix, p);
	sodium_bin2base64(out + p, USERS_SECRET_LEN - p, raw, sizeof raw,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
}

static void
users_secret_hash(const char *secret, char out[65])
{
	audit_sha256_hex(secret, strlen(secret), out);
}

static const char sql_user_add[] =
    "INSERT INTO users (name, role, pwhash, created_at) VALUES (?1, ?2, ?3, ?4)";
static const char sql_user_exists[] = "SELECT 1 FROM users WHERE name = ?1";
static const char sql_user_pw[] = "UPDATE users SET pwhash = ?2 WHERE name = ?1";
static const char sql_user_pw_if[] =
    "UPDATE users SET pwhash = ?2 WHERE name = ?1 AND pwhash = ?3";
static const char sql_user_role[] = "UPDATE users SET role = ?2 WHERE name = ?1";
#define USER_COLUMNS "id, name, role, created_at, last_login, disabled"
static const char sql_user_get[] =
    "SELECT " USER_COLUMNS ", pwhash FROM users WHERE name = ?1";
static const char sql_user_disabled[] =
    "UPDATE users SET disabled = ?2 WHERE name = ?1";
static const char sql_user_login[] =
    "UPDATE users SET last_login = ?2 WHERE id = ?1";
static const char sql_user_list[] =
    "SELECT " USER_COLUMNS " FROM users ORDER BY name";

static void
users_row(sqlite3_stmt *s, struct users_user *u)
{
	const char *name = (const char *)sqlite3_column_text(s, 1);
	int r = users_role_from_name((const char *)sqlite3_column_text(s, 2));

	memset(u, 0, sizeof *u);
	u->id = sqlite3_column_int64(s, 0);
	snprintf(u->name, sizeof u->name, "%s", name ? name : "");
	u->role = r < 0 ? USERS_EDITOR : (enum users_role)r;
	u->created_at = sqlite3_column_int64(s, 3);
	u->last_login = sqlite3_column_int64(s, 4);
	u->disabled = sqlite3_column_int(s, 5) != 0;
}

/* The checks of a new user that need no hash: 0, or -1 with e set. */
static int
users_add_check(struct store *st, const char *name, enum users_role role,
    struct store_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	if (!users_name_valid(name)) {
		store_err_set(e, "invalid user name (1-%d of A-Z a-z 0-9 . _ -)",
		    USERS_NAME_MAX);
		return -1;
	}
	if (users_role_name(role) == NULL) {
		store_err_set(e, "invalid role");
		return -1;
	}
	if ((s = store_stmt(st, sql_user_exists, e)) == NULL)
		return -1;
	users_bind(s, 1, name);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW) {
		store_err_set(e, "user %s exists already", name);
		return -1;
	}
	if (rc != SQLITE_DONE)
		return users_fail(st, e, "user lookup");
	return 0;
}

/* Only what users_pw_hash makes may be stored as a password hash. */
static int
users_hash_check(const char *hash, struct store_err *e)
{
	if (strncmp(hash, "$argon2id$", 10) != 0) {
		store_err_set(e, "not an argon2id hash");
		return -1;
	}
	return 0;
}

int
users_add_hash(struct store *st, const char *name, enum users_role role,
    const char *hash, int64_t now, struct store_err *e)
{
	sqlite3_stmt *s;

	if (users_add_check(st, name, role, e) == -1)
		return -1;
	if (users_hash_check(hash, e) == -1)
		return -1;
	if ((s = store_stmt(st, sql_user_add, e)) == NULL)
		return -1;
	users_bind(s, 1, name);
	users_bind(s, 2, users_role_name(role));
	users_bind(s, 3, hash);
	sqlite3_bind_int64(s, 4, now);
	return users_step_done(st, s, e, "add user") == -1 ? -1 : 1;
}

int
users_add(struct store *st, const char *name, enum users_role role,
    const char *password, int64_t now, struct store_err *e)
{
	char	hash[USERS_HASH_LEN];
	int	rc;

	/* refuse a bad name before spending a hash on it */
	if (users_add_check(st, name, role, e) == -1 ||
	    users_pw_hash(password, hash, e) == -1)
		return -1;
	rc = users_add_hash(st, name, role, hash, now, e);
	sodium_memzero(hash, sizeof hash);
	return rc;
}

static int
users_update(struct store *st, const char *sql, const char *name,
    const char *value, struct store_err *e)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, sql, e)) == NULL)
		return -1;
	users_bind(s, 1, name);
	users_bind(s, 2, value);
	if (users_step_done(st, s, e, "update user") == -1)
		return -1;
	if (sqlite3_changes(store_db(st)) == 0) {
		store_err_set(e, "no user %s", name);
		return -1;
	}
	return 0;
}

int
users_set_hash(struct store *st, const char *name, const char *hash,
    struct store_err *e)
{
	if (users_hash_check(hash, e) == -1)
		return -1;
	return users_update(st, sql_user_pw, name, hash, e);
}

int
users_replace_hash(struct store *st, const char *name, const char *old,
    const char *hash, struct store_err *e)
{
	sqlite3_stmt *s;

	if (users_hash_check(hash, e) == -1)
		return -1;
	if ((s = store_stmt(st, sql_user_pw_if, e)) == NULL)
		return -1;
	users_bind(s, 1, name);
	users_bind(s, 2, hash);
	users_bind(s, 3, old);
	if (users_step_done(st, s, e, "update user") == -1)
		return -1;
	return sqlite3_changes(store_db(st)) > 0 ? 1 : 0;
}

int
users_set_password(struct store *st, const char *name, const char *password,
    struct store_err *e)
{
	char	hash[USERS_HASH_LEN];
	int	rc;

	if (users_pw_hash(password, hash, e) == -1)
		return -1;
	rc = users_set_hash(st, name, hash, e);
	sodium_memzero(hash, sizeof hash);
	return rc;
}

int
users_set_role(struct store *st, const char *name, enum users_role role,
    struct store_err *e)
{
	if (users_role_name(role) == NULL) {
		store_err_set(e, "invalid role");
		return -1;
	}
	return users_update(st, sql_user_role, name, users_role_name(role), e);
}

int
users_set_disabled(struct store *st, const char *name, bool disabled,
    struct store_err *e)
{
	return users_update(st, sql_user_disabled, name, disabled ? "1" : "0",
	    e);
}

int
users_credentials(struct store *st, const char *name, struct users_user *u,
    char hash[USERS_HASH_LEN], struct store_err *e)
{
	sqlite3_stmt	*s;
	const char	*h;
	int		 rc;

	hash[0] = '\0';
	memset(u, 0, sizeof *u);
	if (!users_name_valid(name))
		return 0;
	if ((s = store_stmt(st, sql_user_get, e)) == NULL)
		return -1;
	users_bind(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		users_row(s, u);
		h = (const char *)sqlite3_column_text(s, 6);
		snprintf(hash, USERS_HASH_LEN, "%s", h ? h : "");
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return users_fail(st, e, "user lookup");
}

int
users_get(struct store *st, const char *name, struct users_user *u,
    struct store_err *e)
{
	char	hash[USERS_HASH_LEN];
	int	rc;

	rc = users_credentials(st, name, u, hash, e);
	sodium_memzero(hash, sizeof hash);
	return rc;
}

/*
 * A hash to verify against when the user is unknown, so that an unknown
 * name and a wrong password take the same time.  Made once, by whichever
 * thread needs it first.
 */
static char		users_dummy[USERS_HASH_LEN];
static pthread_once_t	users_dummy_once = PTHREAD_ONCE_INIT;

static void
users_dummy_make(void)
{
	char pw[USERS_SECRET_LEN];

	users_random_secret("", pw);
	if (crypto_pwhash_str_alg(users_dummy, pw, strlen(pw),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		users_dummy[0] = '\0';
	sodium_memzero(pw, sizeof pw);
}

int
users_pw_check(const char *hash, const char *password, bool *rehash)
{
	size_t n = strlen(password);

	*rehash = false;
	if (sodium_init() < 0)
		abort();	/* no libsodium: nothing is safe */
	if (hash == NULL || hash[0] == '\0' || n > USERS_PASSWORD_MAX) {
		pthread_once(&users_dummy_once, users_dummy_make);
		if (users_dummy[0] != '\0' && crypto_pwhash_str_verify(
		    users_dummy, password, n > USERS_PASSWORD_MAX ?
		    USERS_PASSWORD_MAX : n) == 0)
			abort();	/* a random password cannot match */
		return 0;
	}
	if (crypto_pwhash_str_verify(hash, password, n) != 0)
		return 0;
	*rehash = crypto_pwhash_str_needs_rehash(hash,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0;
	return 1;
}

int
users_logged_in(struct store *st, struct users_user *u, int64_t now,
    struct store_err *e)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, sql_user_login, e)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, u->id);
	sqlite3_bind_int64(s, 2, now);
	if (users_step_done(st, s, e, "last login") == -1)
		return -1;
	u->last_login = now;
	return 0;
}

int
users_verify(struct store *st, const char *name, const char *password,
    int64_t now, struct users_user *u, struct store_err *e)
{
	char	hash[USERS_HASH_LEN];
	int	rc;
	bool	rehash, ok;

	if ((rc = users_credentials(st, name, u, hash, e)) == -1)
		return -1;
	ok = users_pw_check(rc == 1 ? hash : NULL, password, &rehash) == 1 &&
	    !u->disabled;
	sodium_memzero(hash, sizeof hash);
	if (!ok)
		return 0;
	if (rehash)
		(void)users_set_password(st, name, password, NULL);
	return users_logged_in(st, u, now, e) == -1 ? -1 : 1;
}

int
users_list(struct store *st, struct users_user **out, size_t *n,
    struct store_err *e)
{
	sqlite3_stmt	*s;
	size_t		 cap = 0;
	int		 rc;

	*out = NULL;
	*n = 0;
	if ((s = store_stmt(st, sql_user_list, e)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*out = xreallocarray(*out, cap, sizeof **out);
		}
		users_row(s, &(*out)[(*n)++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(*out);
		*out = NULL;
		*n = 0;
		return users_fail(st, e, "user list");
	}
	return 0;
}

/* --- sessions ------------------------------------------------------------ */

static const char sql_session_add[] =
    "INSERT INTO sessions (hash, user, csrf, created_at, last_seen, expires_at)"
    " VALUES (?1, ?2, ?3, ?4, ?4, ?5)";
static const char sql_session_get[] =
    "SELECT s.csrf, s.created_at, s.last_seen, s.expires_at,"
    " u.id, u.name, u.role, u.created_at, u.last_login, u.disabled"
    " FROM sessions s JOIN users u ON u.id = s.user WHERE s.hash = ?1";
static const char sql_session_seen[] =
    "UPDATE sessions SET last_seen = ?2 WHERE hash = ?1";
static const char sql_session_del[] = "DELETE FROM sessions WHERE hash = ?1";
static const char sql_session_del_user[] =
    "DELETE FROM sessions WHERE user = ?1";
static const char sql_session_purge[] =
    "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen + ?2 <= ?1";

int
users_session_new(struct store *st, const struct users_user *u, int64_t now,
    struct users_session *s, struct store_err *e)
{
	sqlite3_stmt	*q;
	char		 h[65];

	memset(s, 0, sizeof *s);
	users_random_secret("", s->token);
	users_random_secret("", s->csrf);
	s->user = *u;
	s->created_at = s->last_seen = now;
	s->expires_at = now + USERS_SESSION_MAX;
	users_secret_hash(s->token, h);
	if ((q = store_stmt(st, sql_session_add, e)) == NULL)
		return -1;
	users_bind(q, 1, h);
	sqlite3_bind_int64(q, 2, u->id);
	users_bind(q, 3, s->csrf);
	sqlite3_bind_int64(q, 4, now);
	sqlite3_bind_int64(q, 5, s->expires_at);
	return users_step_done(st, q, e, "new session");
}

static int
users_session_lookup(struct store *st, const char *token, int64_t now,
    int64_t idle, bool touch, struct users_session *s, struct store_err *e)
{
	sqlite3_stmt	*q;
	char		 h[65];
	const char	*csrf;
	int		 rc;

	memset(s, 0, sizeof *s);
	if (token == NULL || strlen(token) >= USERS_SECRET_LEN)
		return 0;
	users_secret_hash(token, h);
	if ((q = store_stmt(st, sql_session_get, e)) == NULL)
		return -1;
	users_bind(q, 1, h);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		csrf = (const char *)sqlite3_column_text(q, 0);
		snprintf(s->csrf, sizeof s->csrf, "%s", csrf ? csrf : "");
		s->created_at = sqlite3_column_int64(q, 1);
		s->last_seen = sqlite3_column_int64(q, 2);
		s->expires_at = sqlite3_column_int64(q, 3);
		s->user.id = sqlite3_column_int64(q, 4);
		snprintf(s->user.name, sizeof s->user.name, "%s",
		    (const char *)sqlite3_column_text(q, 5));
		rc = users_role_from_name((const char *)sqlite3_column_text(q, 6));
		s->user.role = rc < 0 ? USERS_EDITOR : (enum users_role)rc;
		s->user.created_at = sqlite3_column_int64(q, 7);
		s->user.last_login = sqlite3_column_int64(q, 8);
		s->user.disabled = sqlite3_column_int(q, 9) != 0;
		rc = SQLITE_ROW;
	}
	sqlite3_reset(q);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return users_fail(st, e, "session lookup");
	if (now >= s->expires_at || now - s->last_seen >= idle ||
	    s->user.disabled) {
		(void)users_session_end(st, token, NULL);
		memset(s, 0, sizeof *s);
		return 0;
	}
	/* one write per minute at most: polling must not hammer the disk */
	if (touch && now - s->last_seen >= 60) {
		if ((q = store_stmt(st, sql_session_seen, e)) == NULL)
			return -1;
		users_bind(q, 1, h);
		sqlite3_bind_int64(q, 2, now);
		if (users_step_done(st, q, e, "session seen") == -1)
			return -1;
		s->last_seen = now;
	}
	return 1;
}

int
users_session_check(struct store *st, const char *token, int64_t now,
    int64_t idle, struct users_session *s, struct store_err *e)
{
	return users_session_lookup(st, token, now, idle, true, s, e);
}

int
users_session_valid(struct store *st, const char *token, int64_t now,
    int64_t idle, struct users_session *s, struct store_err *e)
{
	return users_session_lookup(st, token, now, idle, false, s, e);
}

int
users_session_end(struct store *st, const char *token, struct store_err *e)
{
	sqlite3_stmt	*q;
	char		 h[65];

	users_secret_hash(token, h);
	if ((q = store_stmt(st, sql_session_del, e)) == NULL)
		return -1;
	users_bind(q, 1, h);
	return users_step_done(st, q, e, "end session");
}

int
users_session_end_user(struct store *st, int64_t id, struct store_err *e)
{
	sqlite3_stmt *q;

	if ((q = store_stmt(st, sql_session_del_user, e)) == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	return users_step_done(st, q, e, "end sessions");
}

int
users_session_purge(struct store *st, int64_t now, int64_t idle,
    struct store_err *e)
{
	sqlite3_stmt *q;

	if ((q = store_stmt(st, sql_session_purge, e)) == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_int64(q, 2, idle);
	return users_step_done(st, q, e, "purge sessions");
}

/* --- API tokens -------------------------------------------------------------- */

static const char sql_token_add[] =
    "INSERT INTO tokens (hash, user, created_at) VALUES (?1, ?2, ?3)";
static const char sql_token_get[] =
    "SELECT u.id, u.name, u.role, u.created_at, u.last_login, u.disabled"
    " FROM tokens t JOIN users u ON u.id = t.user WHERE t.hash = ?1";
static const char sql_token_used[] =
    "UPDATE tokens SET last_used = ?2 WHERE hash = ?1";

int
users_token_new(struct store *st, const char *name, int64_t now,
    char token[USERS_SECRET_LEN], struct store_err *e)
{
	struct users_user	 u;
	sqlite3_stmt		*q;
	char			 h[65];
	int			 rc;

	if ((rc = users_get(st, name, &u, e)) <= 0) {
		if (rc == 0)
			store_err_set(e, "no user %s", name);
		return -1;
	}
	users_random_secret("nqt_", token);
	users_secret_hash(token, h);
	if ((q = store_stmt(st, sql_token_add, e)) == NULL)
		return -1;
	users_bind(q, 1, h);
	sqlite3_bind_int64(q, 2, u.id);
	sqlite3_bind_int64(q, 3, now);
	return users_step_done(st, q, e, "new token");
}

int
users_token_check(struct store *st, const char *token, int64_t now,
    struct users_user *u, struct store_err *e)
{
	sqlite3_stmt	*q;
	char		 h[65];
	int		 rc;

	memset(u, 0, sizeof *u);
	if (token == NULL || strncmp(token, "nqt_", 4) != 0 ||
	    strlen(token) >= USERS_SECRET_LEN)
		return 0;
	users_secret_hash(token, h);
	if ((q = store_stmt(st, sql_token_get, e)) == NULL)
		return -1;
	users_bind(q, 1, h);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		users_row(q, u);
	sqlite3_reset(q);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return users_fail(st, e, "token lookup");
	if (u->disabled)
		return 0;
	if ((q = store_stmt(st, sql_token_used, e)) == NULL)
		return -1;
	users_bind(q, 1, h);
	sqlite3_bind_int64(q, 2, now);
	if (users_step_done(st, q, e, "token used") == -1)
		return -1;
	return 1;
}
