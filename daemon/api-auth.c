/*
 * api-auth.c: who is asking.  Login and logout with the session cookie,
 * the session's CSRF token, the Origin / Sec-Fetch-Site check, bearer
 * tokens from loopback, login throttling per user and per client address
 * (in memory), and the administrators' user list.  Passwords, sessions and
 * tokens themselves are lib/users.c's.
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
		if (s->last < old->last)
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

	if (s != NULL)
		memset(s, 0, sizeof *s);
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

int
api_auth_identify(struct api_req *r)
{
	struct store_err	 e = { "" };
	const char		*h = auth_header(r, "Authorization");
	char			 tok[USERS_SECRET_LEN];
	int			 rc;
	time_t			 now = time(NULL);

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
	if (!auth_cookie(r, AUTH_COOKIE, tok, sizeof tok))
		return 0;
	rc = users_session_check(r->d->store, tok, now, USERS_SESSION_IDLE,
	    &r->session, &e);
	if (rc == -1)
		log_warnx("%s: %s", __func__, e.msg);
	/* the cookie value, for logout */
	if (rc == 1)
		snprintf(r->session.token, sizeof r->session.token, "%s", tok);
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

static void
auth_throttled(struct api_req *r, time_t wait)
{
	char s[32];

	r->d->api_state->logins[2]++;
	snprintf(s, sizeof s, "%lld", (long long)wait);
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Retry-After", s);
	api_error(r, 429, "too many failed logins; try again in %lld s",
	    (long long)wait);
}

void
api_auth_login(struct api_req *r)
{
	struct store_err	 e = { "" };
	struct users_user	 u;
	struct users_session	 s;
	const char		*name = api_body_str(r, "username");
	const char		*pw = api_body_str(r, "password");
	time_t			 now = time(NULL), w1, w2;
	int			 rc;
	json_t			*detail;

	if (name == NULL || pw == NULL) {
		api_error(r, 400, "username and password are required");
		return;
	}
	if (strlen(name) > USERS_NAME_MAX || strlen(pw) > USERS_PASSWORD_MAX) {
		api_error(r, 401, "wrong user name or password");
		return;
	}
	w1 = auth_wait(r->d, "u", name, now);
	w2 = auth_wait(r->d, "ip", r->peer, now);
	if (w1 > 0 || w2 > 0) {
		auth_throttled(r, w1 > w2 ? w1 : w2);
		return;
	}
	rc = users_verify(r->d->store, name, pw, now, &u, &e);
	if (rc == -1) {
		log_warnx("%s: %s", __func__, e.msg);
		api_error(r, 500, "store failure");
		return;
	}
	detail = json_pack("{s:s, s:s}", "user", users_name_valid(name) ? name :
	    "(invalid)", "peer", r->peer);
	if (rc == 0) {
		r->d->api_state->logins[1]++;
		auth_fail(r->d, "u", name, now);
		auth_fail(r->d, "ip", r->peer, now);
		log_info("login failed for %s from %s",
		    users_name_valid(name) ? name : "(invalid name)", r->peer);
		(void)audit_append(r->d->store, "api", "auth.login_failed", 0,
		    detail, NULL, &e);
		json_decref(detail);
		api_error(r, 401, "wrong user name or password");
		return;
	}
	auth_reset(r->d, "u", name);
	auth_reset(r->d, "ip", r->peer);
	if (users_session_new(r->d->store, &u, now, &s, &e) == -1) {
		json_decref(detail);
		log_warnx("%s: %s", __func__, e.msg);
		api_error(r, 500, "store failure");
		return;
	}
	(void)users_session_purge(r->d->store, now, USERS_SESSION_IDLE, NULL);
	r->d->api_state->logins[0]++;
	(void)audit_append(r->d->store, api_actor(&(struct api_req){ .session =
	    s }), "auth.login", 0, detail, NULL, &e);
	json_decref(detail);
	auth_set_cookie(r, s.token, false);
	sodium_memzero(s.token, sizeof s.token);
	api_json(r, 200, auth_session_json(&s));
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

void
api_auth_users(struct api_req *r)
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
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I, s:b}",
		    "name", v[i].name, "role", users_role_name(v[i].role),
		    "created_at", (json_int_t)v[i].created_at,
		    "last_login", (json_int_t)v[i].last_login,
		    "disabled", v[i].disabled));
	free(v);
	api_json(r, 200, json_pack("{s:o}", "users", a));
}
