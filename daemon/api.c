/*
 * api.c: the daemon's HTTP listener (libevent evhttp) and everything every
 * request goes through: the route table (method, path, roles, handler),
 * request limits, authentication (bearer token or session cookie, see
 * api-auth.c), the CSRF and Origin checks for state-changing requests, the
 * JSON body, the security headers on every response, JSON errors, the web
 * UI's static files, and the operators' /healthz and /metrics.  The
 * resources' handlers live in api-<resource>.c; the contract is API.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api.h"
#include "kvfile.h"
#include "log.h"
#include "netiquetted.h"
#include "queue.h"
#include "xmalloc.h"

#define API_MAX_HEADERS	(16 * 1024)
#define API_MAX_BODY	(1024 * 1024)
#define API_TIMEOUT	30
#define API_STATIC_MAX	(4 * 1024 * 1024)
#define API_UI_INSTALLED NQ_INSTALLED_UI_DIR

#define API_CSP "default-src 'self'; script-src 'self'; style-src 'self'; " \
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; " \
    "form-action 'self'"

/* Route flags. */
#define API_F_LOGIN	0x1	/* no session yet: Origin check only */

struct api_route {
	enum evhttp_cmd_type	 method;
	const char		*path;	/* "*" matches one segment */
	unsigned		 roles;	/* 0: public */
	unsigned		 flags;
	void			(*handler)(struct api_req *);
};

static void	api_healthz(struct api_req *);
static void	api_metrics(struct api_req *);

static const struct api_route api_routes[] = {
	{ EVHTTP_REQ_GET,  "/healthz", 0, 0, api_healthz },
	{ EVHTTP_REQ_GET,  "/metrics", 0, 0, api_metrics },
	{ EVHTTP_REQ_POST, "/api/login", 0, API_F_LOGIN, api_auth_login },
	{ EVHTTP_REQ_POST, "/api/logout", API_ANY, 0, api_auth_logout },
	{ EVHTTP_REQ_GET,  "/api/session", API_ANY, 0, api_auth_session },
	{ EVHTTP_REQ_GET,  "/api/users", API_ADMIN, 0, api_users_list },
	{ EVHTTP_REQ_POST, "/api/users", API_ADMIN, 0, api_users_add },
	{ EVHTTP_REQ_POST, "/api/users/*", API_ADMIN, 0, api_users_change },
	{ EVHTTP_REQ_GET,  "/api/queue", API_ANY, 0, api_queue_list },
	{ EVHTTP_REQ_POST, "/api/queue/bulk", API_ANY, 0, api_queue_bulk },
	{ EVHTTP_REQ_GET,  "/api/items/*", API_ANY, 0, api_items_get },
	{ EVHTTP_REQ_POST, "/api/items/*/decide", API_ANY, 0, api_items_decide },
	{ EVHTTP_REQ_POST, "/api/items/*/undo", API_ANY, 0, api_items_undo },
	{ EVHTTP_REQ_POST, "/api/items/*/assign", API_ANY, 0, api_items_assign },
	{ EVHTTP_REQ_POST, "/api/items/*/notes", API_ANY, 0, api_items_note },
	{ EVHTTP_REQ_POST, "/api/items/*/evidence", API_LEGAL | API_ADMIN, 0,
	  api_evidence_export },
	{ EVHTTP_REQ_GET,  "/api/rules", API_ADMIN, 0, api_rules_list },
	{ EVHTTP_REQ_GET,  "/api/rules/*/items", API_ADMIN, 0, api_rules_items },
	{ EVHTTP_REQ_GET,  "/api/audit", API_ADMIN, 0, api_audit_list },
	{ EVHTTP_REQ_GET,  "/api/events", API_ANY, 0, api_events_stream },
};

void
api_headers(struct evhttp_request *req, const char *type, bool cache)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", cache ? "no-cache" : "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Content-Security-Policy", API_CSP);
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cross-Origin-Opener-Policy", "same-origin");
	evhttp_add_header(h, "Cross-Origin-Resource-Policy", "same-origin");
}

static const char *
api_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return status < 400 ? "OK" : "Error";
	}
}

static void
api_send(struct daemon *d, struct evhttp_request *req, int status,
    struct evbuffer *b)
{
	if (status >= 100 && status < 600)
		d->api_state->status_count[status / 100]++;
	evhttp_send_reply(req, status, api_reason(status), b);
}

static void
api_send_json(struct daemon *d, struct evhttp_request *req, int status,
    json_t *obj)
{
	struct evbuffer	*b = evbuffer_new();
	char		*s;

	api_headers(req, "application/json; charset=utf-8", false);
	s = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (s == NULL) {
		/* a handler's bug, never a client's: not a 200 */
		log_warnx("%s: the answer (status %d) could not be encoded",
		    __func__, status);
		s = xstrdup("{\"error\":\"response could not be encoded\"}");
		status = 500;
	}
	evbuffer_add(b, s, strlen(s));
	evbuffer_add(b, "\n", 1);
	free(s);
	api_send(d, req, status, b);
	evbuffer_free(b);
}

static void __attribute__((format(printf, 4, 0)))
api_verror(struct daemon *d, struct evhttp_request *req, int status,
    const char *fmt, va_list ap)
{
	char	 msg[512];
	json_t	*o;

	vsnprintf(msg, sizeof msg, fmt, ap);
	o = json_object();
	json_object_set_new(o, "error", api_message(msg));
	api_send_json(d, req, status, o);
	json_decref(o);
}

/*
 * A message for an answer: up to its first byte that is not UTF-8.  A
 * message cut to its buffer can end inside a character, and one that
 * quotes the client can hold anything; json_string refused both, and the
 * answer lost what it had to say.
 */
json_t *
api_message(const char *msg)
{
	return json_stringn(msg, kv_utf8_valid_prefix(msg, strlen(msg)));
}

static void __attribute__((format(printf, 4, 5)))
api_raw_error(struct daemon *d, struct evhttp_request *req, int status,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	api_verror(d, req, status, fmt, ap);
	va_end(ap);
}

void
api_error(struct api_req *r, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	api_verror(r->d, r->req, status, fmt, ap);
	va_end(ap);
}

void
api_json(struct api_req *r, int status, json_t *obj)
{
	api_send_json(r->d, r->req, status, obj);
	json_decref(obj);
}

void
api_json_text(struct api_req *r, int status, const char *body, size_t len)
{
	struct evbuffer *b = evbuffer_new();

	api_headers(r->req, "application/json; charset=utf-8", false);
	evbuffer_add(b, body, len);
	api_send(r->d, r->req, status, b);
	evbuffer_free(b);
}

const char *
api_actor(struct api_req *r)
{
	snprintf(r->actor, sizeof r->actor, "editor:%s", r->session.user.name);
	return r->actor;
}

const char *
api_query(struct api_req *r, const char *key)
{
	return r->query ? evhttp_find_header(r->query, key) : NULL;
}

int
api_query_int(struct api_req *r, const char *key, int64_t def, int64_t min,
    int64_t max, int64_t *out)
{
	const char	*v = api_query(r, key);
	char		*end;
	long long	 n;

	*out = def;
	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max) {
		api_error(r, 400, "parameter %s must be an integer from %lld to "
		    "%lld", key, (long long)min, (long long)max);
		return -1;
	}
	*out = n;
	return 0;
}

const char *
api_body_str(struct api_req *r, const char *key)
{
	json_t *v = r->body ? json_object_get(r->body, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* --- operators' endpoints ----------------------------------------------- */

static void
api_healthz(struct api_req *r)
{
	struct daemon	*d = r->d;
	int64_t		 pending = -1;
	struct store_err e = { { 0 } };

	store_outbox_pending_count(d->store, &pending, &e);
	api_json(r, d->stopping ? 503 : 200, json_pack("{s:s, s:s, s:I, s:I,"
	    " s:I, s:I}", "status", d->stopping ? "stopping" : "ok",
	    "ruleset", rs_hash(d->rs), "rules", (json_int_t)rs_rule_count(d->rs),
	    "accounts", (json_int_t)d->naccounts, "outbox_pending",
	    (json_int_t)pending, "uptime", (json_int_t)(time(NULL) - d->started)));
}

static void
api_metrics(struct api_req *r)
{
	static const double bounds[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
	    0.005, 0.01, 0.025, 0.05, 0.1, 0.25 };
	static const char *const classes[] = { "", "1xx", "2xx", "3xx", "4xx",
	    "5xx" };
	struct daemon		*d = r->d;
	struct evbuffer		*b = evbuffer_new();
	struct store_err	 e = { { 0 } };
	int64_t			 pending = 0, qn[5], qold[5], now = time(NULL);
	uint64_t		 cum = 0;
	size_t			 i;

	store_outbox_pending_count(d->store, &pending, &e);
	if (queue_stats(d->store, qn, qold, &e) == -1) {
		memset(qn, 0, sizeof qn);
		memset(qold, 0, sizeof qold);
	}
	api_headers(r->req, "text/plain; version=0.0.4", false);
	evbuffer_add_printf(b,
	    "# HELP netiquetted_items_total Items fetched, by outcome.\n"
	    "# TYPE netiquetted_items_total counter\n"
	    "netiquetted_items_total{outcome=\"new\"} %llu\n"
	    "netiquetted_items_total{outcome=\"duplicate\"} %llu\n"
	    "netiquetted_items_total{outcome=\"unparseable\"} %llu\n",
	    (unsigned long long)d->m.items_new,
	    (unsigned long long)d->m.items_duplicate,
	    (unsigned long long)d->m.items_skipped);
	evbuffer_add_printf(b, "# HELP netiquetted_flagged_total Flagged items "
	    "per netiquette category.\n# TYPE netiquetted_flagged_total counter\n");
	for (i = 0; i < CAT_COUNT; i++)
		evbuffer_add_printf(b, "netiquetted_flagged_total{category=\"%s\"} "
		    "%llu\n", category_name(i), (unsigned long long)d->m.flagged[i]);
	evbuffer_add_printf(b, "# HELP netiquetted_actions_total Actions per kind "
	    "and result.\n# TYPE netiquetted_actions_total counter\n");
	for (i = 0; i < ACT_KNOWN_BITS; i++) {
		const char *n = action_name(1u << i);

		evbuffer_add_printf(b,
		    "netiquetted_actions_total{action=\"%s\",result=\"sent\"} %llu\n"
		    "netiquetted_actions_total{action=\"%s\",result=\"done\"} %llu\n"
		    "netiquetted_actions_total{action=\"%s\",result=\"failed\"} %llu\n",
		    n, (unsigned long long)d->m.actions_sent[i], n,
		    (unsigned long long)d->m.actions_done[i], n,
		    (unsigned long long)d->m.actions_failed[i]);
	}
	evbuffer_add_printf(b,
	    "# TYPE netiquetted_action_retries_total counter\n"
	    "netiquetted_action_retries_total %llu\n"
	    "# TYPE netiquetted_outbox_pending gauge\n"
	    "netiquetted_outbox_pending %lld\n"
	    "# TYPE netiquetted_polls_total counter\n"
	    "netiquetted_polls_total %llu\n"
	    "# TYPE netiquetted_poll_errors_total counter\n"
	    "netiquetted_poll_errors_total %llu\n"
	    "# TYPE netiquetted_ratelimited_total counter\n"
	    "netiquetted_ratelimited_total %llu\n"
	    "# TYPE netiquetted_reloads_total counter\n"
	    "netiquetted_reloads_total{result=\"ok\"} %llu\n"
	    "netiquetted_reloads_total{result=\"refused\"} %llu\n",
	    (unsigned long long)d->m.actions_retried, (long long)pending,
	    (unsigned long long)d->m.polls, (unsigned long long)d->m.poll_errors,
	    (unsigned long long)d->m.ratelimited,
	    (unsigned long long)d->m.reloads,
	    (unsigned long long)d->m.reload_failures);
	evbuffer_add_printf(b, "# HELP netiquetted_queue_items Items in the "
	    "editors' queue per state.\n# TYPE netiquetted_queue_items gauge\n");
	for (i = 0; i < 5; i++)
		evbuffer_add_printf(b, "netiquetted_queue_items{state=\"%s\"} %lld\n",
		    store_queue_state_name(i), (long long)qn[i]);
	evbuffer_add_printf(b, "# HELP netiquetted_queue_oldest_age_seconds Age "
	    "of the oldest queue entry per state.\n"
	    "# TYPE netiquetted_queue_oldest_age_seconds gauge\n");
	for (i = 0; i < 5; i++)
		evbuffer_add_printf(b, "netiquetted_queue_oldest_age_seconds"
		    "{state=\"%s\"} %lld\n", store_queue_state_name(i),
		    (long long)(qn[i] > 0 && now > qold[i] ? now - qold[i] : 0));
	evbuffer_add_printf(b, "# HELP netiquetted_password_jobs Password "
	    "hashes and checks queued or running on the worker threads.\n"
	    "# TYPE netiquetted_password_jobs gauge\n"
	    "netiquetted_password_jobs %zu\n", api_pw_pending(d));
	evbuffer_add_printf(b, "# TYPE netiquetted_logins_total counter\n"
	    "netiquetted_logins_total{result=\"ok\"} %llu\n"
	    "netiquetted_logins_total{result=\"failed\"} %llu\n"
	    "netiquetted_logins_total{result=\"throttled\"} %llu\n"
	    "# TYPE netiquetted_api_requests_total counter\n",
	    (unsigned long long)d->api_state->logins[0],
	    (unsigned long long)d->api_state->logins[1],
	    (unsigned long long)d->api_state->logins[2]);
	for (i = 2; i < 6; i++)
		evbuffer_add_printf(b, "netiquetted_api_requests_total{status=\"%s\"}"
		    " %llu\n", classes[i],
		    (unsigned long long)d->api_state->status_count[i]);
	evbuffer_add_printf(b, "# HELP netiquetted_screen_seconds Time to screen "
	    "and record one item.\n# TYPE netiquetted_screen_seconds histogram\n");
	for (i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
		cum += d->m.screen_latency_us[i];
		evbuffer_add_printf(b, "netiquetted_screen_seconds_bucket{le=\"%g\"} "
		    "%llu\n", bounds[i], (unsigned long long)cum);
	}
	evbuffer_add_printf(b, "netiquetted_screen_seconds_bucket{le=\"+Inf\"} %llu\n"
	    "netiquetted_screen_seconds_sum %.6f\n"
	    "netiquetted_screen_seconds_count %llu\n",
	    (unsigned long long)d->m.screen_latency_count,
	    d->m.screen_latency_sum,
	    (unsigned long long)d->m.screen_latency_count);
	api_send(d, r->req, 200, b);
	evbuffer_free(b);
}

/* --- static UI files ---------------------------------------------------------- */

static const struct {
	const char *ext, *type;
} api_mime[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".json", "application/json; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".woff2", "font/woff2" },
	{ ".txt", "text/plain; charset=utf-8" },
};

static const char *
api_ui_path(struct daemon *d)
{
	char		*dir = d->api_state->ui_dir;
	size_t		 len = sizeof d->api_state->ui_dir, n;
	const char	*env = getenv("NETIQUETTED_UI_DIR");
	struct stat	 st;

	if (dir[0] != '\0')
		return dir;
	if (env != NULL && *env != '\0')
		snprintf(dir, len, "%s", env);
	else if (stat(API_UI_INSTALLED, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(dir, len, "%s", API_UI_INSTALLED);
	else {
		/* the build tree: <src>/rules -> <src>/daemon/ui */
		snprintf(dir, len, "%s", NQ_SOURCE_RULES_DIR);
		n = strlen(dir);
		if (n >= 6 && strcmp(dir + n - 6, "/rules") == 0)
			dir[n - 6] = '\0';
		strncat(dir, "/daemon/ui", len - strlen(dir) - 1);
	}
	return dir;
}

/*
 * A file name below the UI directory: segments of [A-Za-z0-9._-], none
 * empty or starting with a dot, so no "..", no hidden files, no escapes.
 */
static bool
api_static_name_ok(const char *p)
{
	bool start = true;

	if (*p == '\0' || strlen(p) > 200)
		return false;
	for (; *p != '\0'; p++) {
		if (*p == '/') {
			if (start)
				return false;
			start = true;
			continue;
		}
		if (start && *p == '.')
			return false;
		start = false;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-'))
			return false;
	}
	return !start;
}

static void
api_static(struct daemon *d, struct evhttp_request *req, const char *path)
{
	const char	*name, *type = "application/octet-stream", *dot;
	char		 full[1400];
	struct evbuffer	*b;
	struct stat	 st;
	size_t		 i;
	int		 fd;

	if (strcmp(path, "/") == 0 || strcmp(path, "/ui/") == 0 ||
	    strcmp(path, "/ui") == 0)
		name = "index.html";
	else
		name = path + 4;	/* "/ui/" */
	if (!api_static_name_ok(name)) {
		api_raw_error(d, req, 404, "not found");
		return;
	}
	snprintf(full, sizeof full, "%s/%s", api_ui_path(d), name);
	if ((fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		api_raw_error(d, req, 404, "not found");
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > API_STATIC_MAX) {
		close(fd);
		api_raw_error(d, req, 404, "not found");
		return;
	}
	if ((dot = strrchr(name, '.')) != NULL)
		for (i = 0; i < sizeof api_mime / sizeof api_mime[0]; i++)
			if (strcmp(dot, api_mime[i].ext) == 0)
				type = api_mime[i].type;
	api_headers(req, type, true);
	b = evbuffer_new();
	if (st.st_size > 0 && evbuffer_add_file(b, fd, 0, st.st_size) == -1) {
		close(fd);
		evbuffer_free(b);
		api_raw_error(d, req, 500, "cannot read file");
		return;
	}
	if (st.st_size == 0)
		close(fd);
	api_send(d, req, 200, b);
	evbuffer_free(b);
}

/* --- dispatch ------------------------------------------------------------------ */

/*
 * Matches path against a pattern whose "*" stands for one non-empty
 * segment; the segment is copied to seg.
 */
static bool
api_match(const char *pat, const char *path, char *seg, size_t seglen)
{
	while (*pat != '\0' && *path != '\0') {
		if (*pat == '*') {
			size_t n = strcspn(path, "/");

			if (n == 0 || n >= seglen)
				return false;
			memcpy(seg, path, n);
			seg[n] = '\0';
			path += n;
			pat++;
			continue;
		}
		if (*pat != *path)
			return false;
		pat++;
		path++;
	}
	return *pat == '\0' && *path == '\0';
}

static bool
api_role_ok(unsigned roles, enum users_role role)
{
	return (roles & (1u << role)) != 0;
}

static int
api_read_body(struct api_req *r)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(r->req);
	size_t		 len = evbuffer_get_length(in);
	const char	*ct;
	json_error_t	 je;
	char		*buf;

	if (len == 0)
		return 0;
	ct = evhttp_find_header(evhttp_request_get_input_headers(r->req),
	    "Content-Type");
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' ')) {
		api_error(r, 415, "request body must be application/json");
		return -1;
	}
	buf = xmalloc(len + 1);
	evbuffer_remove(in, buf, len);
	buf[len] = '\0';
	r->body = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (r->body == NULL) {
		api_error(r, 400, "invalid JSON at line %d column %d: %s", je.line,
		    je.column, je.text);
		return -1;
	}
	if (!json_is_object(r->body)) {
		api_error(r, 400, "request body must be a JSON object");
		return -1;
	}
	return 0;
}

static void
api_dispatch(struct evhttp_request *req, void *arg)
{
	struct daemon			*d = arg;
	const struct evhttp_uri		*uri = evhttp_request_get_evhttp_uri(req);
	const struct api_route		*rt = NULL;
	enum evhttp_cmd_type		 cmd = evhttp_request_get_command(req);
	struct evkeyvalq		 query;
	struct api_req			 r;
	struct evhttp_connection	*con;
	const char			*path = NULL, *q, *why;
	char				 seg[256], *decoded = NULL, *peer = NULL;
	ev_uint16_t			 port;
	size_t				 i;
	bool				 path_known = false;

	if (uri != NULL)
		path = evhttp_uri_get_path(uri);
	if (path == NULL || *path == '\0')
		path = "/";
	memset(&r, 0, sizeof r);
	r.d = d;
	r.req = req;
	r.path = path;
	if ((con = evhttp_request_get_connection(req)) != NULL) {
		evhttp_connection_get_peer(con, &peer, &port);
		snprintf(r.peer, sizeof r.peer, "%s", peer ? peer : "");
	}
	for (i = 0; i < sizeof api_routes / sizeof api_routes[0]; i++) {
		if (!api_match(api_routes[i].path, path, seg, sizeof seg))
			continue;
		path_known = true;
		if (api_routes[i].method == cmd || (cmd == EVHTTP_REQ_HEAD &&
		    api_routes[i].method == EVHTTP_REQ_GET)) {
			rt = &api_routes[i];
			break;
		}
	}
	if (rt == NULL) {
		if (path_known)
			api_raw_error(d, req, 405, "method not allowed");
		else if ((cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD) &&
		    (strcmp(path, "/") == 0 || strncmp(path, "/ui", 3) == 0))
			api_static(d, req, path);
		else if (strncmp(path, "/ui/", 4) == 0 || strcmp(path, "/") == 0)
			api_raw_error(d, req, 405, "method not allowed");
		else
			api_raw_error(d, req, 404, "not found");
		return;
	}
	if (strchr(rt->path, '*') != NULL) {
		char *end;

		if ((decoded = evhttp_uridecode(seg, 0, NULL)) == NULL) {
			api_raw_error(d, req, 400, "bad path");
			return;
		}
		/* an id or rule name that no answer could carry */
		if (kv_utf8_valid_prefix(decoded, strlen(decoded)) !=
		    strlen(decoded)) {
			api_raw_error(d, req, 400, "path segment is not UTF-8");
			free(decoded);
			return;
		}
		r.arg = decoded;
		r.id = strtoll(decoded, &end, 10);
		if (*end != '\0' || r.id <= 0)
			r.id = 0;
	}
	TAILQ_INIT(&query);
	if (uri != NULL && (q = evhttp_uri_get_query(uri)) != NULL &&
	    evhttp_parse_query_str(q, &query) == -1) {
		api_raw_error(d, req, 400, "bad query string");
		goto done;
	}
	r.query = &query;
	if (d->stopping && rt->roles != 0) {
		api_error(&r, 503, "daemon is shutting down");
		goto done;
	}
	if (rt->roles != 0) {
		int rc = api_auth_identify(&r);

		if (rc == API_AUTH_ANSWERED)
			goto done;
		if (rc == -1) {
			api_error(&r, 500, "store failure");
			goto done;
		}
		if (rc == 0) {
			api_error(&r, 401, "not logged in or session expired");
			goto done;
		}
		if (!api_role_ok(rt->roles, r.session.user.role)) {
			api_error(&r, 403, "role %s may not do this",
			    users_role_name(r.session.user.role));
			goto done;
		}
	}
	if (cmd == EVHTTP_REQ_POST) {
		/* whatever a POST changes, no cached queue page shows it */
		d->api_state->writes++;
		if (!api_auth_origin_ok(&r, &why) ||
		    ((rt->flags & API_F_LOGIN) == 0 && !r.bearer &&
		    !api_auth_csrf_ok(&r, &why))) {
			api_error(&r, 403, "%s", why);
			goto done;
		}
		if (api_read_body(&r) == -1)
			goto done;
	}
	rt->handler(&r);
done:
	json_decref(r.body);
	evhttp_clear_headers(&query);
	free(decoded);
}

int
api_start(struct daemon *d)
{
	struct evhttp_bound_socket *bound;
	char	*host, *colon;
	long	 port;

	d->api_state = xcalloc(1, sizeof *d->api_state);
	TAILQ_INIT(&d->api_state->events_clients);
	d->api_state->events_last_ts = -1;
	if ((d->api = evhttp_new(d->base)) == NULL)
		return -1;
	evhttp_set_max_headers_size(d->api, API_MAX_HEADERS);
	evhttp_set_max_body_size(d->api, API_MAX_BODY);
	evhttp_set_timeout(d->api, API_TIMEOUT);
	/*
	 * The methods no route has are still let through, so that the router
	 * answers them (405 or 404, JSON, with the security headers) instead
	 * of libevent's bare 501 page.
	 */
	evhttp_set_allowed_methods(d->api, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(d->api, api_dispatch, d);
	if (api_pw_start(d) == -1)
		return -1;
	host = xstrdup(d->conf->listen);
	if ((colon = strrchr(host, ':')) == NULL) {
		log_warnx("listen %s: expected HOST:PORT", d->conf->listen);
		free(host);
		return -1;
	}
	*colon = '\0';
	port = strtol(colon + 1, NULL, 10);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	if ((bound = evhttp_bind_socket_with_handle(d->api, host,
	    (unsigned short)port)) == NULL) {
		log_warn("bind %s", d->conf->listen);
		free(host);
		return -1;
	}
	/*
	 * Accepted sockets inherit TCP_NODELAY from the listener on Linux.
	 * Without it a reply larger than one segment waits for the client's
	 * delayed ACK: 40 ms on every queue page of more than ~25 items.
	 */
	{
		int one = 1;

		if (setsockopt(evhttp_bound_socket_get_fd(bound), IPPROTO_TCP,
		    TCP_NODELAY, &one, sizeof one) == -1)
			log_warn("TCP_NODELAY on %s", d->conf->listen);
	}
	free(host);
	log_info("web UI from %s", api_ui_path(d));
	return 0;
}

void
api_stop(struct daemon *d)
{
	api_events_stop(d);
	/* answers what is left before evhttp frees the connections */
	api_pw_stop(d);
	if (d->api != NULL) {
		evhttp_free(d->api);
		d->api = NULL;
	}
	if (d->api_state != NULL)
		api_queue_cache_free(d->api_state);
	free(d->api_state);
	d->api_state = NULL;
}
