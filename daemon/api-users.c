/*
 * api-users.c: the administrators' user management (API.md "Users"): the
 * list of users with role, last login, disabled and throttled state, and
 * the changes an administrator makes: add a user with a role and an
 * initial password, change the role, disable and enable, set a new
 * password, lift a login throttle.  Each change names a reason and is an
 * audit entry with the administrator as actor, written in the same
 * transaction as the change.  Password hashes never leave lib/users.c's
 * table; new passwords are hashed on api-pwhash.c's workers.
 *
 * An administrator cannot lock the door behind everyone: the last
 * enabled administrator can be neither disabled nor demoted, and nobody
 * disables their own account.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "api.h"
#include "audit.h"
#include "log.h"
#include "xmalloc.h"

#define USERS_REASON_MAX	1000

static json_t *
users_json(struct daemon *d, const struct users_user *u)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:b, s:I}", "name", u->name,
	    "role", users_role_name(u->role), "created_at",
	    (json_int_t)u->created_at, "last_login", (json_int_t)u->last_login,
	    "disabled", u->disabled, "locked_until",
	    (json_int_t)api_auth_locked_until(d, u->name));
}

void
api_users_list(struct api_req *r)
{
	struct store_err	 e = { "" };
	struct users_user	*v;
	size_t			 n, i;
	json_t			*a;

	if (users_list(r->d->store, &v, &n, &e) == -1) {
		log_warnx("%s: %s", __func__, e.msg);
		api_error(r, 500, "store failure");
		return;
	}
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, users_json(r->d, &v[i]));
	free(v);
	api_json(r, 200, json_pack("{s:o, s:b}", "users", a, "password_login",
	    r->d->conf->proxy_auth_header == NULL ||
	    r->d->conf->proxy_auth_password_login));
}

/* The body's reason, or NULL after answering 400. */
static const char *
users_reason(struct api_req *r)
{
	const char *reason = api_body_str(r, "reason");

	if (reason == NULL || reason[0] == '\0' ||
	    strlen(reason) > USERS_REASON_MAX) {
		api_error(r, 400, "a reason (1 to %d bytes) is required",
		    USERS_REASON_MAX);
		return NULL;
	}
	return reason;
}

/* The password's length as users_pw_hash wants it, or 400. */
static bool
users_password_ok(struct api_req *r, const char *pw)
{
	size_t n = pw ? strlen(pw) : 0;

	if (n < USERS_PASSWORD_MIN || n > USERS_PASSWORD_MAX) {
		api_error(r, 400, "the password must have %d to %d bytes",
		    USERS_PASSWORD_MIN, USERS_PASSWORD_MAX);
		return false;
	}
	return true;
}

/*
 * Runs change (a store write) and its audit entry in one transaction.
 * 0, or -1 after answering 500, or the change's own answer when it
 * returns -2 (it has answered).
 */
static int
users_commit(struct api_req *r, const char *kind, json_t *detail,
    int (*change)(struct api_req *, json_t *, struct store_err *))
{
	struct store_err	e = { "" };
	int			rc;

	if (store_begin(r->d->store, &e) == -1)
		goto fail;
	if ((rc = change(r, detail, &e)) == -2) {
		store_rollback(r->d->store);
		return -1;
	}
	if (rc == -1 || audit_append(r->d->store, api_actor(r), kind, 0,
	    detail, NULL, &e) == -1 || store_commit(r->d->store, &e) == -1) {
		store_rollback(r->d->store);
		goto fail;
	}
	r->d->api_state->writes++;
	return 0;
fail:
	log_warnx("%s: %s: %s", __func__, kind, e.msg);
	api_error(r, 500, "store failure");
	return -1;
}

static const char *
users_detail_str(json_t *detail, const char *key)
{
	return json_string_value(json_object_get(detail, key));
}

/* How many enabled administrators there are. */
static int
users_admins(struct api_req *r, size_t *count)
{
	struct store_err	 e = { "" };
	struct users_user	*v;
	size_t			 n, i;

	if (users_list(r->d->store, &v, &n, &e) == -1) {
		log_warnx("%s: %s", __func__, e.msg);
		return -1;
	}
	for (*count = 0, i = 0; i < n; i++)
		if (v[i].role == USERS_ADMIN && !v[i].disabled)
			(*count)++;
	free(v);
	return 0;
}

/* The reply after a change: the user as the list shows it. */
static void
users_reply(struct api_req *r, const char *name)
{
	struct store_err	e = { "" };
	struct users_user	u;

	if (users_get(r->d->store, name, &u, &e) != 1) {
		api_error(r, 500, "store failure");
		return;
	}
	api_json(r, 200, json_pack("{s:o}", "user", users_json(r->d, &u)));
}

/* The job whose request r is: the changes that follow a hash get j->r. */
static struct api_pwjob *
users_job(struct api_req *r)
{
	return (struct api_pwjob *)(void *)((char *)r -
	    offsetof(struct api_pwjob, r));
}

/* --- add ------------------------------------------------------------------ */

static int
users_add_change(struct api_req *r, json_t *detail, struct store_err *e)
{
	struct api_pwjob	*j = users_job(r);
	const char		*name = users_detail_str(detail, "user");
	struct users_user	 u;
	int			 rc;

	if ((rc = users_get(r->d->store, name, &u, e)) == -1)
		return -1;
	if (rc == 1) {	/* added by someone else while hashing */
		api_error(r, 409, "user %s exists already", name);
		return -2;
	}
	return users_add_hash(r->d->store, name, users_role_from_name(
	    users_detail_str(detail, "role")), j->hash, time(NULL), e) == 1 ?
	    0 : -1;
}

/*
 * Whether the admin who asked still is one: a hash takes a while, and an
 * admin demoted or disabled meanwhile must not have the change committed
 * in their name.  Answers the request when not.
 */
static bool
users_asker_still_admin(struct api_pwjob *j)
{
	struct store_err	e = { "" };
	struct users_user	u;
	int			rc;

	rc = users_get(j->r.d->store, j->r.session.user.name, &u, &e);
	if (rc == -1) {
		log_warnx("%s: %s", __func__, e.msg);
		api_error(&j->r, 500, "store failure");
		return false;
	}
	if (rc == 0 || u.disabled || u.role != USERS_ADMIN ||
	    u.id != j->r.session.user.id) {
		api_error(&j->r, 403, "not an administrator any more");
		return false;
	}
	return true;
}

/* A new hash is back: commit the change it was made for, if still allowed. */
static void
users_hash_done(struct api_pwjob *j, const char *kind,
    int (*change)(struct api_req *, json_t *, struct store_err *))
{
	if (j->stopped) {
		api_error(&j->r, 503, "daemon is shutting down");
		return;
	}
	if (j->result == -1 && j->refused) {
		api_error(&j->r, 400, "%s", j->err);
		return;
	}
	if (j->result == -1) {
		log_warnx("%s: %s", kind, j->err);
		api_error(&j->r, 500, "the password could not be hashed");
		return;
	}
	if (!users_asker_still_admin(j))
		return;
	if (users_commit(&j->r, kind, j->ctx, change) == 0)
		users_reply(&j->r, users_detail_str(j->ctx, "user"));
}

static void
users_add_done(struct api_pwjob *j)
{
	users_hash_done(j, "user.add", users_add_change);
}

void
api_users_add(struct api_req *r)
{
	struct store_err	 e = { "" };
	struct users_user	 u;
	struct api_pwjob	*j;
	const char		*name = api_body_str(r, "name");
	const char		*role = api_body_str(r, "role");
	const char		*pw = api_body_str(r, "password");
	const char		*reason;
	unsigned char		 raw[32];
	char			 random[64];
	int			 rc;

	if (!users_name_valid(name)) {
		api_error(r, 400, "name must be 1 to %d of A-Z a-z 0-9 . _ -, "
		    "starting with a letter or digit", USERS_NAME_MAX);
		return;
	}
	if (users_role_from_name(role) < 0) {
		api_error(r, 400, "role must be editor, legal or admin");
		return;
	}
	if ((reason = users_reason(r)) == NULL)
		return;
	/*
	 * Behind a proxy without passwords a user needs none: it gets a
	 * random one that nobody knows, so the row is never passwordless.
	 */
	if (pw == NULL && r->d->conf->proxy_auth_header != NULL &&
	    !r->d->conf->proxy_auth_password_login) {
		randombytes_buf(raw, sizeof raw);
		sodium_bin2base64(random, sizeof random, raw, sizeof raw,
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		sodium_memzero(raw, sizeof raw);
		pw = random;
	} else if (!users_password_ok(r, pw))
		return;
	if ((rc = users_get(r->d->store, name, &u, &e)) != 0) {
		if (rc == -1)
			api_error(r, 500, "store failure");
		else
			api_error(r, 409, "user %s exists already", name);
		return;
	}
	j = api_pw_job(r, API_PW_HASH, pw, users_add_done);
	if (pw == random)
		sodium_memzero(random, sizeof random);
	j->ctx = json_pack("{s:s, s:s, s:s}", "user", name, "role", role,
	    "reason", reason);
	if (api_pw_submit(j) == -1) {
		api_pw_free(j);
		api_error(r, 503, "too many password jobs at once; try again");
	}
}

/* --- changes ------------------------------------------------------------ */

static int
users_role_change(struct api_req *r, json_t *detail, struct store_err *e)
{
	return users_set_role(r->d->store, users_detail_str(detail, "user"),
	    users_role_from_name(users_detail_str(detail, "role")), e);
}

static int
users_disable_change(struct api_req *r, json_t *detail, struct store_err *e)
{
	struct users_user	u;
	const char		*name = users_detail_str(detail, "user");
	bool			off = strcmp(users_detail_str(detail, "action"),
				    "disable") == 0;

	if (users_set_disabled(r->d->store, name, off, e) == -1)
		return -1;
	/* a disabled user's sessions would be refused; drop them now */
	if (off && (users_get(r->d->store, name, &u, e) != 1 ||
	    users_session_end_user(r->d->store, u.id, e) == -1))
		return -1;
	return 0;
}

static int
users_unlock_change(struct api_req *r, json_t *detail, struct store_err *e)
{
	api_auth_unlock(r->d, users_detail_str(detail, "user"));
	return 0;
}

static int
users_password_change(struct api_req *r, json_t *detail, struct store_err *e)
{
	struct api_pwjob	*j = users_job(r);
	const char		*name = users_detail_str(detail, "user");
	struct users_user	 u;

	/* a new password ends every session that the old one opened */
	if (users_set_hash(r->d->store, name, j->hash, e) == -1 ||
	    users_get(r->d->store, name, &u, e) != 1 ||
	    users_session_end_user(r->d->store, u.id, e) == -1)
		return -1;
	return 0;
}

static void
users_password_done(struct api_pwjob *j)
{
	users_hash_done(j, "user.password", users_password_change);
}

void
api_users_change(struct api_req *r)
{
	struct store_err	 e = { "" };
	struct users_user	 u;
	struct api_pwjob	*j;
	const char		*action = api_body_str(r, "action");
	const char		*role = api_body_str(r, "role");
	const char		*pw = api_body_str(r, "password");
	const char		*reason;
	size_t			 admins;
	int			 rc, newrole = -1;
	json_t			*detail;
	int			(*change)(struct api_req *, json_t *,
				    struct store_err *) = NULL;

	if (action == NULL) {
		api_error(r, 400, "action is required: role, disable, enable, "
		    "password or unlock");
		return;
	}
	if ((rc = users_get(r->d->store, r->arg, &u, &e)) != 1) {
		if (rc == -1)
			api_error(r, 500, "store failure");
		else
			api_error(r, 404, "no such user");
		return;
	}
	if (strcmp(action, "role") == 0) {
		if ((newrole = users_role_from_name(role)) < 0) {
			api_error(r, 400, "role must be editor, legal or admin");
			return;
		}
		change = users_role_change;
	} else if (strcmp(action, "disable") == 0 ||
	    strcmp(action, "enable") == 0)
		change = users_disable_change;
	else if (strcmp(action, "unlock") == 0)
		change = users_unlock_change;
	else if (strcmp(action, "password") != 0) {
		api_error(r, 400, "unknown action %s: role, disable, enable, "
		    "password or unlock", action);
		return;
	}
	if ((reason = users_reason(r)) == NULL)
		return;
	if (strcmp(action, "disable") == 0 &&
	    strcmp(u.name, r->session.user.name) == 0) {
		api_error(r, 409, "you cannot disable your own account");
		return;
	}
	if (u.role == USERS_ADMIN && !u.disabled &&
	    (strcmp(action, "disable") == 0 || (newrole >= 0 &&
	    newrole != USERS_ADMIN))) {
		if (users_admins(r, &admins) == -1) {
			api_error(r, 500, "store failure");
			return;
		}
		if (admins <= 1) {
			api_error(r, 409, "%s is the last enabled administrator",
			    u.name);
			return;
		}
	}
	detail = json_pack("{s:s, s:s, s:s}", "user", u.name, "action", action,
	    "reason", reason);
	if (newrole >= 0) {
		json_object_set_new(detail, "role", json_string(role));
		json_object_set_new(detail, "old_role",
		    json_string(users_role_name(u.role)));
	}
	if (change != NULL) {
		if (users_commit(r, change == users_role_change ? "user.role" :
		    change == users_unlock_change ? "user.unlock" :
		    strcmp(action, "disable") == 0 ? "user.disable" :
		    "user.enable", detail, change) == 0)
			users_reply(r, u.name);
		json_decref(detail);
		return;
	}
	if (!users_password_ok(r, pw)) {
		json_decref(detail);
		return;
	}
	j = api_pw_job(r, API_PW_HASH, pw, users_password_done);
	j->ctx = detail;
	if (api_pw_submit(j) == -1) {
		api_pw_free(j);
		api_error(r, 503, "too many password jobs at once; try again");
	}
}
