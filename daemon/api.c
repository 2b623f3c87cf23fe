/*
 * api.c: the daemon's HTTP listener (libevent evhttp): routes as a table of
 * (method, path, handler).  For now it serves the operators' endpoints,
 * /healthz and /metrics (Prometheus text format); the editors' queue API
 * and web UI are added as further table entries.  Request limits keep a
 * slow or hostile client from holding the loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "log.h"
#include "netiquetted.h"
#include "xmalloc.h"

#define API_MAX_HEADERS	(16 * 1024)
#define API_MAX_BODY	(1024 * 1024)
#define API_TIMEOUT	30

struct api_route {
	enum evhttp_cmd_type	 method;
	const char		*path;
	void			(*handler)(struct daemon *, struct evhttp_request *);
};

static void
api_common_headers(struct evhttp_request *req, const char *type)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Content-Security-Policy", "default-src 'none'");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
}

static void
api_error(struct evhttp_request *req, int status, const char *msg)
{
	struct evbuffer *b = evbuffer_new();

	api_common_headers(req, "application/json");
	evbuffer_add_printf(b, "{\"error\":\"%s\"}\n", msg);
	evhttp_send_reply(req, status, msg, b);
	evbuffer_free(b);
}

static void
api_healthz(struct daemon *d, struct evhttp_request *req)
{
	struct evbuffer	*b = evbuffer_new();
	int64_t		 pending = -1;
	struct store_err e = { { 0 } };

	store_outbox_pending_count(d->store, &pending, &e);
	api_common_headers(req, "application/json");
	evbuffer_add_printf(b, "{\"status\":\"%s\",\"ruleset\":\"%s\","
	    "\"rules\":%zu,\"accounts\":%zu,\"outbox_pending\":%lld,"
	    "\"uptime\":%lld}\n", d->stopping ? "stopping" : "ok", rs_hash(d->rs),
	    rs_rule_count(d->rs), d->naccounts, (long long)pending,
	    (long long)(time(NULL) - d->started));
	evhttp_send_reply(req, d->stopping ? 503 : 200, "OK", b);
	evbuffer_free(b);
}

static void
api_metrics(struct daemon *d, struct evhttp_request *req)
{
	static const double bounds[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
	    0.005, 0.01, 0.025, 0.05, 0.1, 0.25 };
	struct evbuffer		*b = evbuffer_new();
	struct store_err	 e = { { 0 } };
	int64_t			 pending = 0;
	uint64_t		 cum = 0;
	size_t			 i;

	store_outbox_pending_count(d->store, &pending, &e);
	api_common_headers(req, "text/plain; version=0.0.4");
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
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static const struct api_route api_routes[] = {
	{ EVHTTP_REQ_GET, "/healthz", api_healthz },
	{ EVHTTP_REQ_GET, "/metrics", api_metrics },
};

static void
api_dispatch(struct evhttp_request *req, void *arg)
{
	struct daemon		*d = arg;
	const char		*path = evhttp_request_get_uri(req);
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	size_t			 i;
	bool			 path_known = false;

	if (uri != NULL && evhttp_uri_get_path(uri) != NULL)
		path = evhttp_uri_get_path(uri);
	for (i = 0; i < sizeof api_routes / sizeof api_routes[0]; i++) {
		if (strcmp(api_routes[i].path, path) != 0)
			continue;
		path_known = true;
		if (api_routes[i].method == evhttp_request_get_command(req)) {
			api_routes[i].handler(d, req);
			return;
		}
	}
	if (path_known)
		api_error(req, 405, "method not allowed");
	else
		api_error(req, 404, "not found");
}

int
api_start(struct daemon *d)
{
	char	*host, *colon;
	long	 port;

	if ((d->api = evhttp_new(d->base)) == NULL)
		return -1;
	evhttp_set_max_headers_size(d->api, API_MAX_HEADERS);
	evhttp_set_max_body_size(d->api, API_MAX_BODY);
	evhttp_set_timeout(d->api, API_TIMEOUT);
	evhttp_set_allowed_methods(d->api, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD);
	evhttp_set_gencb(d->api, api_dispatch, d);
	host = xstrdup(d->conf->listen);
	if ((colon = strrchr(host, ':')) == NULL) {
		free(host);
		return -1;
	}
	*colon = '\0';
	port = strtol(colon + 1, NULL, 10);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	if (evhttp_bind_socket(d->api, host, (unsigned short)port) != 0) {
		log_warn("bind %s", d->conf->listen);
		free(host);
		return -1;
	}
	free(host);
	return 0;
}

void
api_stop(struct daemon *d)
{
	if (d->api != NULL) {
		evhttp_free(d->api);
		d->api = NULL;
	}
}
