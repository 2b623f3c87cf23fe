/*
 * api-auth.c: who is asking.  Login and logout with the session cookie,
 * the session's CSRF token, the Origin / Sec-Fetch-Site check, bearer
 * tokens from loopback, the user header of a trusted authenticating proxy
 * (proxy-auth-header), and login throttling per user and per client
 * address (in memory).  Passwords, sessions and tokens themselves are
 * lib/users.c's; the password check runs on api-pwhash.c's workers.
 *
 * Every way in ends in the same session: a password login and a proxy's
 * user header both go through auth_session_start(), which sets the
 * cookie, hands out the CSRF token and writes the audit entry, so the
 * CSRF and Origin checks hold for proxy users exactly as for the others.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <sodium.h>

#include "api.h"
#include "audit.h"
#include "log.h"

#define AUTH_FREE_FAILURES	3	/* before the first delay */
#define AUTH_DELAY_MAX		(15 * 60)
#define AUTH_COOKIE		"nq_session"
/*
 * Password checks in flight: one per user name, so that parallel guesses
 * cannot slip past AUTH_FREE_FAILURES before the first failure is
 * counted; a few per address, for an office behind one NAT address.
 */
#define AUTH_USER_INFLIGHT	1
#define AUTH_IP_INFLIGHT	16

/* The throttling slots live in d->api_state (api.h). */
static struct api_auth_slot *
auth_slot(struct daemon *d, const char *kind, const char *v, bool create)
{
	struct api_auth_slot	*slots = d->api_state->auth_slots;
	struct api_auth_slot	*s, *old = &slots[0];
	char			 key[80];
	size_t			 i;

	snprintf(key, sizeof key, "%s:%s", kind, v);
	for (i = 0; i < API_AUTH_SLOTS; i++) {
		s = &slots[i];
		if (strcmp(s->key, key) == 0)
			return s;
		/* a slot with checks in flight must live until they return */
		if (s->pending == 0 && (old->pending > 0 || s->last < old->last))
			old = s;
	}
	if (!create)
		return NULL;
	/* replace the least recently used slot */
	memset(old, 0, sizeof *old);
	snprintf(old->key, sizeof old->key, "%s", key);
	return old;
}

static time_t
auth_wait(struct daemon *d, const char *kind, const char *v, time_t now)
{
	struct api_auth_slot *s = auth_slot(d, kind, v, false);

	return s != NULL && s->until > now ? s->until - now : 0;
}

static void
auth_fail(struct daemon *d, const char *kind, const char *v, time_t now)
{
	struct api_auth_slot	*s = auth_slot(d, kind, v, true);
	long			 delay;
	int			 k;

	s->failures++;
	s->last = now;
	if (s->failures >= AUTH_FREE_FAILURES) {
		k = s->failures - AUTH_FREE_FAILURES;
		delay = k >= 10 ? AUTH_DELAY_MAX : 1L << k;
		if (delay > AUTH_DELAY_MAX)
			delay = AUTH_DELAY_MAX;
		s->until = now + delay;
	}
}

static void
auth_reset(struct daemon *d, const char *kind, const char *v)
{
	struct api_auth_slot *s = auth_slot(d, kind, v, false);

	if (s != NULL) {
		s->failures = 0;
		s->until = 0;
	}
}

static int
auth_pending(struct daemon *d, const char *kind, const char *v)
{
	struct api_auth_slot *s = auth_slot(d, kind, v, false);

	return s != NULL ? s->pending : 0;
}

static void
auth_pending_add(struct daemon *d, const char *kind, const char *v, int n,
    time_t now)
{
	struct api_auth_slot *s = auth_slot(d, kind, v, n > 0);

	if (s == NULL)
		return;
	s->pending += n;
	if (s->pending < 0)
		s->pending = 0;
	s->last = now;
}

time_t
api_auth_locked_until(struct daemon *d, const char *name)
{
	struct api_auth_slot *s = auth_slot(d, "u", name, false);

	return s != NULL && s->until > time(NULL) ? s->until : 0;
}

void
api_auth_unlock(struct daemon *d, const char *name)
{
	auth_reset(d, "u", name);
}

static bool
auth_loopback(const char *peer)
{
	return strncmp(peer, "127.", 4) == 0 || strcmp(peer, "::1") == 0 ||
	    strncmp(peer, "::ffff:127.", 11) == 0;
}

static const char *
auth_header(struct api_req *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r->req), name);
}

/* The value of cookie name in the Cookie header, into out. */
static bool
auth_cookie(struct api_req *r, const char *name, char *out, size_t len)
{
	const char	*c = auth_header(r, "Cookie"), *p;
	size_t		 nl = strlen(name), vl;

	for (p = c; p != NULL && *p != '\0';) {
		while (*p == ' ' || *p == ';')
			p++;
		vl = strcspn(p, ";");
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			vl -= nl + 1;
			if (vl == 0 || vl >= len)
				return false;
			memcpy(out, p + nl + 1, vl);
			out[vl] = '\0';
			return true;
		}
		p += vl;
	}
	return false;
}

/*
 * The cookie's session, or none.  rc as api_auth_identify; *tok gets the
 * cookie's value.
 */
static int
auth_cookie_session(struct api_req *r, time_t now, char *tok, size_t len)
{
	struct store_err	e = { "" };
	int			rc;

	if (!auth_cookie(r, AUTH_COOKIE, tok, len))
		return 0;
	rc = users_session_check(r->d->store, tok, now, USERS_SESSION_IDLE,
	    &r->session, &e);
	if (rc == -1)
		log_warnx("%s: %s", __func__, e.msg);
	/* the cookie value, for logout */
	if (rc == 1)
		snprintf(r->session.token, sizeof r->session.token, "%s", tok);
	return rc;
}

static json_t *auth_session_json(const struct users_session *);
static int auth_session_start(struct api_req *, struct users_user *, time_t,
    const char *via, struct users_session *);

/*
 * The proxy's user header: 1 with r->session (a new session and cookie
 * when the browser has none for this user yet), -1 answered (403: not
 * from the proxy, not a local user, disabled; 500), or 0: the header is
 * absent, the cookie decides.
 */
static int
auth_proxy(struct api_req *r, time_t now)
{
	struct store_err	 e = { "" };
	struct config		*c = r->d->conf;
	struct users_user	 u;
	struct users_session	 s;
	const char		*name;
	char			 tok[USERS_SECRET_LEN];
	int			 rc;

	if (c->proxy_auth_header == NULL ||
	    (name = auth_header(r, c->proxy_auth_header)) == NULL)
		return 0;
	if (!config_net_match(&c->proxy_auth_from, r->peer)) {
		/*
		 * Someone reaches the daemon around the proxy, or the proxy
		 * runs elsewhere than configured: refuse loudly rather than
		 * fall back, so neither goes unnoticed.
		 */
		log_warnx("%s header from %s, which is not proxy-auth-from: "
		    "refused", c->proxy_auth_header, r->peer);
		api_error(r, 403, "%s is accepted only from the authenticating "
		    "proxy", c->proxy_auth_header);
		return -1;
	}
	rc = auth_cookie_session(r, now, tok, sizeof tok);
	if (rc == -1) {
		api_error(r, 500, "store failure");
		return -1;
	}
	if (rc == 1 && strcmp(r->session.user.name, name) == 0) {
		r->authed = true;
		return 1;
	}
	if (rc == 1)	/* another user signed in at the proxy */
		(void)users_session_end(r->d->store, tok, NULL);
	memset(&r->session, 0, sizeof r->session);
	if ((rc = users_get(r->d->store, name, &u, &e)) == -1) {
		log_warnx("%s: %s", __func__, e.msg);
		api_error(r, 500, "store failure");
		return -1;
	}
	if (rc == 0 || u.disabled) {
		log_info("proxy user %s from %s refused: %s",
		    users_name_valid(name) ? name : "(invalid name)", r->peer,
		    rc == 0 ? "no such local user" : "disabled");
		if (rc == 0)
			api_error(r, 403, "the proxy's user is not a user of "
			    "netiquetted; an administrator adds it with "
			    "netiquettectl user add");
		else
			api_error(r, 403, "this user is disabled");
		return -1;
	}
	if (users_logged_in(r->d->store, &u, now, &e) == -1 ||
	    auth_session_start(r, &u, now, "proxy", &s) == -1) {
		log_warnx("%s: %s", __func__, e.msg);
		api_error(r, 500, "store failure");
		return -1;
	}
	r->session = s;
	sodium_memzero(s.token, sizeof s.token);
	r->authed = true;
	return 1;
}

int
api_auth_identify(struct api_req *r)
{
	struct store_err	 e = { "" };
	const char		*h = auth_header(r, "Authorization");
	char			 tok[USERS_SECRET_LEN];
	int			 rc;
	time_t			 now = time(NULL);

	/*
	 * The proxy's header first: a proxy may pass on an Authorization
	 * header of its own (an OAuth token), which is not ours to check.
	 */
	if ((rc = auth_proxy(r, now)) != 0)
		return rc == 1 ? 1 : API_AUTH_ANSWERED;
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
		if (!auth_loopback(r->peer))
			return 0;
		rc = users_token_check(r->d->store, h + 7, now, &r->session.user,
		    &e);
		if (rc == -1)
			log_warnx("%s: %s", __func__, e.msg);
		r->authed = r->bearer = rc == 1;
		return rc;
	}
	rc = auth_cookie_session(r, now, tok, sizeof tok);
	r->authed = rc == 1;
	return rc;
}

bool
api_auth_csrf_ok(struct api_req *r, const char **why)
{
	const char *t = auth_header(r, "X-CSRF-Token");

	if (t == NULL || r->session.csrf[0] == '\0' ||
	    strlen(t) != strlen(r->session.csrf) ||
	    sodium_memcmp(t, r->session.csrf, strlen(t)) != 0) {
		*why = "CSRF token missing or wrong";
		return false;
	}
	return true;
}

bool
api_auth_origin_ok(struct api_req *r, const char **why)
{
	const char	*o = auth_header(r, "Origin");
	const char	*s = auth_header(r, "Sec-Fetch-Site");
	const char	*host = auth_header(r, "Host");
	char		 want[300];

	if (r->bearer)
		return true;
	if (s != NULL && strcmp(s, "same-origin") != 0 && strcmp(s, "none") != 0) {
		*why = "cross-site request refused (Sec-Fetch-Site)";
		return false;
	}
	if (o != NULL) {
		snprintf(want, sizeof want, "http://%s", host ? host : "");
		if (host == NULL || (strcmp(o, want) != 0 &&
		    (snprintf(want, sizeof want, "https://%s", host),
		    strcmp(o, want) != 0))) {
			*why = "cross-origin request refused (Origin)";
			return false;
		}
	}
	return true;
}

static json_t *
auth_session_json(const struct users_session *s)
{
	return json_pack("{s:{s:s, s:s}, s:s, s:i, s:I}",
	    "user", "name", s->user.name, "role", users_role_name(s->user.role),
	    "csrf_token", s->csrf, "idle_timeout", USERS_SESSION_IDLE,
	    "expires_at", (json_int_t)s->expires_at);
}

static void
auth_set_cookie(struct api_req *r, const char *value, bool clear)
{
	const char	*sec = getenv("NETIQUETTED_COOKIE_SECURE");
	char		 c[256];

	snprintf(c, sizeof c, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
	    AUTH_COOKIE, value, clear ? "; Max-Age=0" : "",
	    sec != NULL && strcmp(sec, "1") == 0 ? "; Secure" : "");
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Set-Cookie", c);
}

/*
 * The one way a session begins, whoever vouched for u (via: "password" or
 * "proxy"): the session row, the cookie on r's reply, the login counter
 * and an audit entry with the user as actor.  0 with *s (its token still
 * set: the caller wipes it), or -1.
 */
static int
auth_session_start(struct api_req *r, struct users_user *u, time_t now,
    const char *via, struct users_session *s)
{
	struct store_err	 e = { "" };
	json_t			*detail;

	if (users_session_new(r->d->store, u, now, s, &e) == -1) {
		log_warnx("%s: %s", __func__, e.msg);
		return -1;
	}
	(void)users_session_purge(r->d->store, now, USERS_SESSION_IDLE, NULL);
	r->d->api_state->logins[0]++;
	detail = json_pack("{s:s, s:s, s:s}", "user", u->name, "peer", r->peer,
	    "via", via);
	if (audit_append(r->d->store, api_actor(&(struct api_req){ .session =
	    *s }), "auth.login", 0, detail, NULL, &e) == -1)
		log_warnx("%s: audit: %s", __func__, e.msg);
	json_decref(detail);
	log_info("login of %s from %s (%s)", u->name, r->peer, via);
	auth_set_cookie(r, s->token, false);
	return 0;
}

static void
auth_retry_after(struct api_req *r, time_t wait)
{
	char s[32];

	snprintf(s, sizeof s, "%lld", (long long)wait);
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Retry-After", s);
}

static void
auth_throttled(struct api_req *r, time_t wait)
{
	r->d->api_state->logins[2]++;
	auth_retry_after(r, wait);
	api_error(r, 429, "too many failed logins; try again in %lld s",
	    (long long)wait);
}

/* The password check is back from the worker (api-pwhash.c). */
static void
auth_login_done(struct api_pwjob *j)
{
	struct store_err	 e = { "" };
	struct api_req		*r = &j->r;
	struct daemon		*d = r->d;
	struct users_user	 u;
	struct users_session	 s;
	const char		*name = json_string_value(json_object_get(j->ctx,
				    "user"));
	json_int_t		 id = json_integer_value(json_object_get(j->ctx,
				    "id"));
	time_t			 now = time(NULL);
	char			 stored[USERS_HASH_LEN];
	int			 rc;
	bool			 ok;
	json_t			*detail;

	auth_pending_add(d, "u", name, -1, now);
	auth_pending_add(d, "ip", r->peer, -1, now);
	if (j->stopped) {
		api_error(r, 503, "daemon is shutting down");
		return;
	}
	/*
	 * The user may have changed while the worker checked: a password set
	 * meanwhile makes the check void, or a leaked old password kept in
	 * flight would outlive the reset.
	 */
	if ((rc = users_credentials(d->store, name, &u, stored, &e)) == -1) {
		log_warnx("%s: %s", __func__, e.msg);
		api_error(r, 500, "store failure");
		return;
	}
	ok = j->result == 1 && rc == 1 && u.id == id && !u.disabled &&
	    strcmp(stored, j->checked) == 0;
	sodium_memzero(stored, sizeof stored);
	if (!ok) {
		d->api_state->logins[1]++;
		auth_fail(d, "u", name, now);
		auth_fail(d, "ip", r->peer, now);
		log_info("login failed for %s from %s",
		    users_name_valid(name) ? name : "(invalid name)", r->peer);
		detail = json_pack("{s:s, s:s}", "user", users_name_valid(name) ?
		    name : "(invalid)", "peer", r->peer);
		(void)audit_append(d->store, "api", "auth.login_failed", 0,
		    detail, NULL, &e);
		json_decref(detail);
		api_error(r, 401, "wrong user name or password");
		return;
	}
	if (j->rehashed && users_replace_hash(d->store, name, j->checked,
	    j->hash, &e) == -1)
		log_warnx("%s: rehash: %s", __func__, e.msg);
	auth_reset(d, "u", name);
	auth_reset(d, "ip", r->peer);
	if (users_logged_in(d->store, &u, now, &e) == -1 ||
	    auth_session_start(r, &u, now, "password", &s) == -1) {
		log_warnx("%s: %s", __func__, e.msg);
		api_error(r, 500, "store failure");
		return;
	}
	sodium_memzero(s.token, sizeof s.token);
	api_json(r, 200, auth_session_json(&s));
}

void
api_auth_login(struct api_req *r)
{
	struct store_err	 e = { "" };
	struct users_user	 u;
	struct api_pwjob	*j;
	const char		*name = api_body_str(r, "username");
	const char		*pw = api_body_str(r, "password");
	char			 hash[USERS_HASH_LEN];
	time_t			 now = time(NULL), w1, w2;
	int			 rc;

	if (r->d->conf->proxy_auth_header != NULL &&
	    !r->d->conf->proxy_auth_password_login) {
		api_error(r, 403, "password login is off: sign in through the "
		    "authenticating proxy");
		return;
	}
	if (name == NULL || pw == NULL) {
		api_error(r, 400, "username and password are required");
		return;
	}
	if (strlen(name) > USERS_NAME_MAX || strlen(pw) > USERS_PASSWORD_MAX) {
		api_error(r, 401, "wrong user name or password");
		return;
	}
	if (r->d->stopping) {
		api_error(r, 503, "daemon is shutting down");
		return;
	}
	w1 = auth_wait(r->d, "u", name, now);
	w2 = auth_wait(r->d, "ip", r->peer, now);
	if (w1 > 0 || w2 > 0) {
		auth_throttled(r, w1 > w2 ? w1 : w2);
		return;
	}
	if (auth_pending(r->d, "u", name) >= AUTH_USER_INFLIGHT ||
	    auth_pending(r->d, "ip", r->peer) >= AUTH_IP_INFLIGHT) {
		r->d->api_state->logins[2]++;
		auth_retry_after(r, 1);
		api_error(r, 429, "a login is being checked already; try again "
		    "in 1 s");
		return;
	}
	if ((rc = users_credentials(r->d->store, name, &u, hash, &e)) == -1) {
		log_warnx("%s: %s", __func__, e.msg);
		api_error(r, 500, "store failure");
		return;
	}
	/* an unknown name is checked against nothing, as slowly */
	j = api_pw_job(r, API_PW_CHECK, pw, auth_login_done);
	memcpy(j->hash, hash, sizeof j->hash);
	memcpy(j->checked, hash, sizeof j->checked);
	sodium_memzero(hash, sizeof hash);
	j->ctx = json_pack("{s:s, s:I}", "user", name, "id",
	    (json_int_t)(rc == 1 ? u.id : 0));
	if (api_pw_submit(j) == -1) {
		api_pw_free(j);
		auth_retry_after(r, 1);
		api_error(r, 503, "too many logins at once; try again in 1 s");
		return;
	}
	auth_pending_add(r->d, "u", name, 1, now);
	auth_pending_add(r->d, "ip", r->peer, 1, now);
}

void
api_auth_logout(struct api_req *r)
{
	struct store_err e = { "" };

	if (!r->bearer && r->session.token[0] != '\0')
		(void)users_session_end(r->d->store, r->session.token, &e);
	auth_set_cookie(r, "", true);
	api_json(r, 200, json_pack("{s:b}", "ok", 1));
}

void
api_auth_session(struct api_req *r)
{
	api_json(r, 200, auth_session_json(&r->session));
}
