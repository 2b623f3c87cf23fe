/*
 * test_users.c: local users, sessions and API tokens (users.h) on a real
 * SQLite file: argon2id hashes with at least libsodium's INTERACTIVE
 * limits, names and roles validated, a wrong password and an unknown user
 * look the same, sessions expire when idle and absolutely, tokens and
 * session ids are stored only as hashes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "store.h"
#include "testutil.h"
#include "users.h"

static char tmpdir[64];

static struct store *
fresh(void)
{
	struct store_err	 e = { "" };
	struct store		*st;

	snprintf(tmpdir, sizeof tmpdir, "/tmp/nq-users-XXXXXX");
	if (mkdtemp(tmpdir) == NULL || (st = store_open(tmpdir, &e)) == NULL) {
		fprintf(stderr, "open: %s\n", e.msg);
		exit(1);
	}
	return st;
}

static void
test_add(struct store *st)
{
	struct store_err	 e = { "" };
	struct users_user	 u, *all;
	size_t			 n;
	sqlite3_stmt		*s;
	const char		*hash;

	CHECK(users_name_valid("anna"));
	CHECK(users_name_valid("a.b-c_1"));
	CHECK(!users_name_valid(""));
	CHECK(!users_name_valid("-x"));
	CHECK(!users_name_valid("a b"));
	CHECK(!users_name_valid("<script>"));
	CHECK(!users_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	CHECK_INT(users_role_from_name("legal"), USERS_LEGAL);
	CHECK_INT(users_role_from_name("root"), -1);

	CHECK_INT(users_add(st, "anna", USERS_EDITOR, "korrekt-pferd", 100, &e), 1);
	CHECK_INT(users_add(st, "lena", USERS_LEGAL, "batterie-klammer", 100, &e), 1);
	store_err_clear(&e);
	CHECK_INT(users_add(st, "anna", USERS_ADMIN, "whatever-long", 100, &e), -1);
	CHECK(strstr(e.msg, "exists") != NULL);
	store_err_clear(&e);
	CHECK_INT(users_add(st, "bob", USERS_ADMIN, "short", 100, &e), -1);
	CHECK(strstr(e.msg, "too short") != NULL);
	store_err_clear(&e);
	CHECK_INT(users_add(st, "bad name", USERS_ADMIN, "long enough", 100, &e), -1);
	store_err_clear(&e);

	CHECK_INT(users_get(st, "anna", &u, &e), 1);
	CHECK_STR(u.name, "anna");
	CHECK_INT(u.role, USERS_EDITOR);
	CHECK_INT(users_get(st, "nobody", &u, &e), 0);

	/* argon2id, never the password, and at least INTERACTIVE limits */
	s = store_stmt(st, "SELECT pwhash FROM users WHERE name = 'anna'", &e);
	CHECK(s != NULL && sqlite3_step(s) == SQLITE_ROW);
	hash = (const char *)sqlite3_column_text(s, 0);
	CHECK(hash != NULL && strncmp(hash, "$argon2id$", 10) == 0);
	CHECK(hash != NULL && strstr(hash, "korrekt") == NULL);
	CHECK(hash != NULL && crypto_pwhash_str_needs_rehash(hash,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0);
	sqlite3_reset(s);

	CHECK_INT(users_list(st, &all, &n, &e), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(all[0].name, "anna");
		CHECK_STR(all[1].name, "lena");
		CHECK_INT(all[1].role, USERS_LEGAL);
	}
	free(all);
	CHECK_INT(users_set_role(st, "lena", USERS_ADMIN, &e), 0);
	CHECK_INT(users_get(st, "lena", &u, &e), 1);
	CHECK_INT(u.role, USERS_ADMIN);
	CHECK_STR(e.msg, "");
}

static void
test_verify(struct store *st)
{
	struct store_err	e = { "" };
	struct users_user	u;

	CHECK_INT(users_verify(st, "anna", "korrekt-pferd", 200, &u, &e), 1);
	CHECK_STR(u.name, "anna");
	CHECK_INT(u.last_login, 200);
	CHECK_INT(users_verify(st, "anna", "Korrekt-pferd", 200, &u, &e), 0);
	CHECK_INT(users_verify(st, "nobody", "korrekt-pferd", 200, &u, &e), 0);
	CHECK_INT(users_verify(st, "", "", 200, &u, &e), 0);
	CHECK_INT(users_verify(st, "anna' OR '1'='1", "x", 200, &u, &e), 0);
	CHECK_INT(users_set_password(st, "anna", "neues-passwort", &e), 0);
	CHECK_INT(users_verify(st, "anna", "korrekt-pferd", 200, &u, &e), 0);
	CHECK_INT(users_verify(st, "anna", "neues-passwort", 200, &u, &e), 1);
	CHECK_INT(store_exec(st, "UPDATE users SET disabled = 1 WHERE name = 'lena'",
	    &e), 0);
	CHECK_INT(users_verify(st, "lena", "batterie-klammer", 200, &u, &e), 0);
	CHECK_INT(store_exec(st, "UPDATE users SET disabled = 0 WHERE name = 'lena'",
	    &e), 0);
	CHECK_STR(e.msg, "");
}

/*
 * The halves the daemon splits across its password worker: hashing and
 * checking use no store; the store side adds, replaces and disables.
 */
static void
test_split(struct store *st)
{
	struct store_err	 e = { "" };
	struct users_user	 u;
	struct users_session	 s, c;
	char			 hash[USERS_HASH_LEN], stored[USERS_HASH_LEN];
	char			 weak[USERS_HASH_LEN];
	bool			 rehash;

	CHECK_INT(users_pw_hash("kurz", hash, &e), -1);
	CHECK(strstr(e.msg, "too short") != NULL);
	store_err_clear(&e);
	CHECK_INT(users_pw_hash("mein-langes-passwort", hash, &e), 0);
	CHECK(strncmp(hash, "$argon2id$", 10) == 0);
	CHECK_INT(users_pw_check(hash, "mein-langes-passwort", &rehash), 1);
	CHECK(!rehash);
	CHECK_INT(users_pw_check(hash, "mein-langes-passworT", &rehash), 0);
	CHECK_INT(users_pw_check(NULL, "mein-langes-passwort", &rehash), 0);
	CHECK_INT(users_pw_check("", "", &rehash), 0);

	/* a hash below INTERACTIVE is flagged for rehashing */
	CHECK_INT(crypto_pwhash_str_alg(weak, "schwaches-passwort", 18,
	    crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN,
	    crypto_pwhash_ALG_ARGON2ID13), 0);
	CHECK_INT(users_pw_check(weak, "schwaches-passwort", &rehash), 1);
	CHECK(rehash);

	CHECK_INT(users_add_hash(st, "dora", USERS_EDITOR, hash, 300, &e), 1);
	CHECK_INT(users_add_hash(st, "dora", USERS_EDITOR, hash, 300, &e), -1);
	store_err_clear(&e);
	CHECK_INT(users_add_hash(st, "emil", USERS_EDITOR, "plain", 300, &e), -1);
	CHECK(strstr(e.msg, "argon2id") != NULL);
	store_err_clear(&e);
	CHECK_INT(users_credentials(st, "dora", &u, stored, &e), 1);
	CHECK_STR(stored, hash);
	CHECK_INT(users_credentials(st, "niemand", &u, stored, &e), 0);
	CHECK_STR(stored, "");
	CHECK_INT(users_credentials(st, "<bad>", &u, stored, &e), 0);
	CHECK_INT(users_verify(st, "dora", "mein-langes-passwort", 310, &u, &e), 1);

	/* a weak stored hash is replaced on the next successful login */
	CHECK_INT(users_set_hash(st, "dora", weak, &e), 0);
	CHECK_INT(users_verify(st, "dora", "schwaches-passwort", 320, &u, &e), 1);
	CHECK_INT(users_credentials(st, "dora", &u, stored, &e), 1);
	CHECK(strcmp(stored, weak) != 0);
	CHECK_INT(users_pw_check(stored, "schwaches-passwort", &rehash), 1);
	CHECK(!rehash);
	CHECK_INT(users_set_hash(st, "ghost", hash, &e), -1);
	store_err_clear(&e);

	/* disabling ends logins and sessions; every session of a user ends */
	CHECK_INT(users_session_new(st, &u, 400, &s, &e), 0);
	CHECK_INT(users_set_disabled(st, "dora", true, &e), 0);
	CHECK_INT(users_get(st, "dora", &u, &e), 1);
	CHECK(u.disabled);
	CHECK_INT(users_verify(st, "dora", "schwaches-passwort", 401, &u, &e), 0);
	CHECK_INT(users_session_check(st, s.token, 401, USERS_SESSION_IDLE, &c,
	    &e), 0);
	CHECK_INT(users_set_disabled(st, "dora", false, &e), 0);
	CHECK_INT(users_verify(st, "dora", "schwaches-passwort", 402, &u, &e), 1);
	CHECK_INT(users_session_new(st, &u, 402, &s, &e), 0);
	CHECK_INT(users_session_check(st, s.token, 403, USERS_SESSION_IDLE, &c,
	    &e), 1);
	CHECK_INT(users_session_end_user(st, u.id, &e), 0);
	CHECK_INT(users_session_check(st, s.token, 404, USERS_SESSION_IDLE, &c,
	    &e), 0);
	CHECK_INT(users_set_disabled(st, "ghost", true, &e), -1);
	store_err_clear(&e);
	CHECK_STR(e.msg, "");
}

static void
test_sessions(struct store *st)
{
	struct store_err	 e = { "" };
	struct users_user	 u;
	struct users_session	 s, c, s2;
	sqlite3_stmt		*q;
	int64_t			 t = 1000;

	CHECK_INT(users_get(st, "anna", &u, &e), 1);
	CHECK_INT(users_session_new(st, &u, t, &s, &e), 0);
	CHECK_INT(strlen(s.token), 43);
	CHECK_INT(strlen(s.csrf), 43);
	CHECK(strcmp(s.token, s.csrf) != 0);
	CHECK_INT(s.expires_at, t + USERS_SESSION_MAX);

	/* only the hash is stored */
	q = store_stmt(st, "SELECT count(*) FROM sessions WHERE hash = ?1", &e);
	sqlite3_bind_text(q, 1, s.token, -1, SQLITE_TRANSIENT);
	CHECK(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 0);
	sqlite3_reset(q);

	CHECK_INT(users_session_check(st, s.token, t + 10, USERS_SESSION_IDLE,
	    &c, &e), 1);
	CHECK_STR(c.user.name, "anna");
	CHECK_STR(c.csrf, s.csrf);
	CHECK_INT(users_session_check(st, "nonsense", t, USERS_SESSION_IDLE,
	    &c, &e), 0);
	CHECK_INT(users_session_check(st, NULL, t, USERS_SESSION_IDLE, &c, &e), 0);

	/* activity keeps it alive ... */
	CHECK_INT(users_session_check(st, s.token, t + USERS_SESSION_IDLE - 1,
	    USERS_SESSION_IDLE, &c, &e), 1);
	CHECK_INT(users_session_check(st, s.token, t + 2 * USERS_SESSION_IDLE - 10,
	    USERS_SESSION_IDLE, &c, &e), 1);
	/* ... idle for too long ends it, for good */
	CHECK_INT(users_session_check(st, s.token, t + 4 * USERS_SESSION_IDLE,
	    USERS_SESSION_IDLE, &c, &e), 0);
	CHECK_INT(users_session_check(st, s.token, t + 2 * USERS_SESSION_IDLE,
	    USERS_SESSION_IDLE, &c, &e), 0);

	/*
	 * a check that is no activity (the event stream's ping) finds the
	 * session valid but does not extend it
	 */
	CHECK_INT(users_session_new(st, &u, t, &s2, &e), 0);
	CHECK_INT(users_session_valid(st, s2.token, t + USERS_SESSION_IDLE - 1,
	    USERS_SESSION_IDLE, &c, &e), 1);
	CHECK_STR(c.user.name, "anna");
	CHECK_INT(c.last_seen, t);
	CHECK_INT(users_session_valid(st, s2.token, t + USERS_SESSION_IDLE,
	    USERS_SESSION_IDLE, &c, &e), 0);
	CHECK_INT(users_session_check(st, s2.token, t + USERS_SESSION_IDLE - 1,
	    USERS_SESSION_IDLE, &c, &e), 0);

	/* the absolute timeout holds however active the user is */
	CHECK_INT(users_session_new(st, &u, t, &s2, &e), 0);
	for (t = 1000; t < 1000 + USERS_SESSION_MAX; t += 1200)
		CHECK_INT(users_session_check(st, s2.token, t, USERS_SESSION_IDLE,
		    &c, &e), 1);
	CHECK_INT(users_session_check(st, s2.token, 1000 + USERS_SESSION_MAX,
	    USERS_SESSION_IDLE, &c, &e), 0);

	/* logout */
	CHECK_INT(users_session_new(st, &u, 5000, &s, &e), 0);
	CHECK_INT(users_session_end(st, s.token, &e), 0);
	CHECK_INT(users_session_check(st, s.token, 5001, USERS_SESSION_IDLE,
	    &c, &e), 0);
	CHECK_INT(users_session_new(st, &u, 5000, &s, &e), 0);
	CHECK_INT(users_session_purge(st, 5000 + USERS_SESSION_MAX, 1800, &e), 0);
	CHECK_INT(users_session_check(st, s.token, 5001, USERS_SESSION_IDLE,
	    &c, &e), 0);
	CHECK_STR(e.msg, "");
}

static void
test_tokens(struct store *st)
{
	struct store_err	e = { "" };
	struct users_user	u;
	char			tok[USERS_SECRET_LEN], tok2[USERS_SECRET_LEN];

	CHECK_INT(users_token_new(st, "lena", 10, tok, &e), 0);
	CHECK(strncmp(tok, "nqt_", 4) == 0);
	CHECK_INT(strlen(tok), 47);
	CHECK_INT(users_token_new(st, "lena", 10, tok2, &e), 0);
	CHECK(strcmp(tok, tok2) != 0);
	CHECK_INT(users_token_check(st, tok, 20, &u, &e), 1);
	CHECK_STR(u.name, "lena");
	tok[10] ^= 1;
	CHECK_INT(users_token_check(st, tok, 20, &u, &e), 0);
	CHECK_INT(users_token_check(st, "nqt_", 20, &u, &e), 0);
	CHECK_INT(users_token_check(st, "", 20, &u, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_INT(users_token_new(st, "ghost", 10, tok, &e), -1);
	CHECK(strstr(e.msg, "no user") != NULL);
}

int
main(void)
{
	struct store	*st = fresh();
	char		 cmd[128];

	test_add(st);
	test_verify(st);
	test_split(st);
	test_sessions(st);
	test_tokens(st);
	store_close(st);
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	return tu_finish("test_users");
}
