/*
 * ctl-queue.c: "queue list|show|approve|dismiss|escalate|restore" for
 * editors who prefer a terminal.  Talks to the running daemon's JSON API
 * (daemon/API.md) over loopback with a bearer token from
 * "netiquettectl user token"; the daemon does the deciding, so the tool
 * needs no access to the state directory.  A tiny HTTP/1.0 client: one
 * request per connection, no TLS (loopback only).
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "xmalloc.h"

#define CQ_DEFAULT_URL	"http://127.0.0.1:8080"
#define CQ_MAX_RESPONSE	(16 * 1024 * 1024)

static int	ctl_queue_handler(struct ctl_global *, int, char **);

const struct ctl_command ctl_queue_entry = {
	.name = "queue",
	.usage = "list [--state S] [--limit N] [--json] | show ID [--json] | "
	    "approve|dismiss|escalate|restore ID --reason TEXT  "
	    "[--url URL] [--token-file FILE]",
	.help = "work through the editors' queue via the daemon's API",
	.handler = ctl_queue_handler,
};

struct cq {
	char	 host[256];
	char	 port[16];
	char	*token;
};

static int
cq_setup(struct cq *q, const char *url, const char *token_file)
{
	const char	*p, *env;
	size_t		 n;
	FILE		*fp;
	char		 buf[256];

	if (url == NULL && ((env = getenv("NETIQUETTED_URL")) == NULL ||
	    *env == '\0'))
		url = CQ_DEFAULT_URL;
	else if (url == NULL)
		url = env;
	if (strncmp(url, "http://", 7) != 0) {
		ctl_warnx("%s: only http:// URLs on loopback are supported", url);
		return -1;
	}
	p = url + 7;
	n = strcspn(p, ":/");
	if (n == 0 || n >= sizeof q->host) {
		ctl_warnx("%s: bad URL", url);
		return -1;
	}
	memcpy(q->host, p, n);
	q->host[n] = '\0';
	p += n;
	if (*p == ':') {
		n = strcspn(++p, "/");
		if (n == 0 || n >= sizeof q->port) {
			ctl_warnx("%s: bad port", url);
			return -1;
		}
		memcpy(q->port, p, n);
		q->port[n] = '\0';
	} else
		snprintf(q->port, sizeof q->port, "80");
	if (token_file != NULL) {
		if ((fp = fopen(token_file, "r")) == NULL) {
			ctl_warn("%s", token_file);
			return -1;
		}
		if (fgets(buf, sizeof buf, fp) == NULL)
			buf[0] = '\0';
		fclose(fp);
		buf[strcspn(buf, "\r\n")] = '\0';
		q->token = xstrdup(buf);
	} else if ((env = getenv("NETIQUETTED_TOKEN")) != NULL && *env != '\0')
		q->token = xstrdup(env);
	if (q->token == NULL || q->token[0] == '\0') {
		ctl_warnx("no API token: use --token-file or $NETIQUETTED_TOKEN "
		    "(netiquettectl user token NAME)");
		return -1;
	}
	return 0;
}

/* One request; *body owned.  The HTTP status, or -1. */
static int
cq_request(struct cq *q, const char *method, const char *path, json_t *in,
    char **body)
{
	struct addrinfo	 hints, *res, *ai;
	char		*req, *data = NULL, *resp = NULL, *p;
	size_t		 len = 0, cap = 0;
	ssize_t		 n;
	int		 fd = -1, rc, status;

	*body = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(q->host, q->port, &hints, &res)) != 0) {
		ctl_warnx("%s: %s", q->host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype, 0)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		ctl_warn("cannot connect to %s:%s", q->host, q->port);
		return -1;
	}
	if (in != NULL)
		data = json_dumps(in, JSON_COMPACT);
	xasprintf(&req, "%s %s HTTP/1.0\r\nHost: %s:%s\r\n"
	    "Authorization: Bearer %s\r\nAccept: application/json\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    method, path, q->host, q->port, q->token, data ? strlen(data) : 0,
	    data ? data : "");
	free(data);
	for (p = req, len = strlen(req); len > 0; p += n, len -= (size_t)n)
		if ((n = write(fd, p, len)) <= 0) {
			ctl_warn("write to daemon");
			free(req);
			close(fd);
			return -1;
		}
	free(req);
	len = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 16384;
			resp = xreallocarray(resp, cap, 1);
		}
		if ((n = read(fd, resp + len, cap - len - 1)) < 0) {
			if (errno == EINTR)
				continue;
			ctl_warn("read from daemon");
			break;
		}
		if (n == 0 || len + (size_t)n > CQ_MAX_RESPONSE)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (resp == NULL)
		return -1;
	resp[len] = '\0';
	if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1 ||
	    (p = strstr(resp, "\r\n\r\n")) == NULL) {
		ctl_warnx("bad response from the daemon");
		free(resp);
		return -1;
	}
	*body = xstrdup(p + 4);
	free(resp);
	return status;
}

/* Status 2xx: the parsed body; else prints the API's error, NULL. */
static json_t *
cq_call(struct cq *q, const char *method, const char *path, json_t *in,
    char **raw)
{
	char	*body;
	int	 status = cq_request(q, method, path, in, &body);
	json_t	*o;

	if (status == -1)
		return NULL;
	o = json_loads(body, 0, NULL);
	if (status < 200 || status > 299) {
		const char *msg = json_string_value(json_object_get(o, "error"));

		ctl_warnx("%s %s: %d %s", method, path, status, msg ? msg : body);
		json_decref(o);
		free(body);
		return NULL;
	}
	if (raw != NULL)
		*raw = body;
	else
		free(body);
	return o;
}

static void
cq_print_item(json_t *it)
{
	const char	*text = json_string_value(json_object_get(it, "text"));
	json_t		*v;
	size_t		 i;

	printf("%-6lld %-9s ", (long long)json_integer_value(json_object_get(it,
	    "id")), json_string_value(json_object_get(it, "state")) ?
	    json_string_value(json_object_get(it, "state")) : "-");
	json_array_foreach(json_object_get(it, "proposed"), i, v)
		printf("%s%s", i ? "+" : "", json_string_value(v));
	if (json_array_size(json_object_get(it, "proposed")) == 0)
		printf("-");
	printf(" ");
	json_array_foreach(json_object_get(it, "rules"), i, v)
		printf("%s%s", i ? "," : "", json_string_value(v));
	printf(" ");
	text = text ? text : "";
	ctl_print_text(stdout, text, strlen(text), 80);
	printf("\n");
}

static int
cq_list(struct cq *q, const char *state, long limit, bool json)
{
	char	 path[256], *raw = NULL;
	json_t	*o, *v;
	size_t	 i;

	snprintf(path, sizeof path, "/api/queue?state=%s&limit=%ld",
	    state ? state : "open", limit);
	if ((o = cq_call(q, "GET", path, NULL, &raw)) == NULL)
		return CTL_EXIT_SOFTWARE;
	if (json)
		printf("%s", raw);
	else {
		json_array_foreach(json_object_get(o, "items"), i, v)
			cq_print_item(v);
		printf("%lld item(s)\n", (long long)json_integer_value(
		    json_object_get(o, "total")));
	}
	free(raw);
	json_decref(o);
	return ctl_finish_output();
}

static int
cq_show(struct cq *q, long id, bool json)
{
	char		 path[64], *raw = NULL;
	json_t		*o, *v;
	size_t		 i;
	const char	*s;

	snprintf(path, sizeof path, "/api/items/%ld", id);
	if ((o = cq_call(q, "GET", path, NULL, &raw)) == NULL)
		return CTL_EXIT_SOFTWARE;
	if (json) {
		printf("%s", raw);
		goto out;
	}
	cq_print_item(o);
	s = json_string_value(json_object_get(json_object_get(o, "author"),
	    "handle"));
	printf("author:     ");
	ctl_print_text(stdout, s ? s : "", s ? strlen(s) : 0, 200);
	s = json_string_value(json_object_get(o, "normalized"));
	printf("\nnormalized: ");
	ctl_print_text(stdout, s ? s : "", s ? strlen(s) : 0, 400);
	printf("\n");
	json_array_foreach(json_object_get(o, "matched_rules"), i, v)
		printf("rule:       %s (%s, %s)\n",
		    json_string_value(json_object_get(v, "id")),
		    json_string_value(json_object_get(v, "category")),
		    json_string_value(json_object_get(v, "clause")));
	s = json_string_value(json_object_get(json_object_get(o, "decision"),
	    "reason"));
	if (s != NULL)
		printf("why:        %s\n", s);
	printf("allowed:    ");
	json_array_foreach(json_object_get(o, "allowed"), i, v)
		printf("%s%s", i ? " " : "", json_string_value(v));
	printf("\n");
out:
	free(raw);
	json_decref(o);
	return ctl_finish_output();
}

static int
cq_decide(struct cq *q, const char *verb, long id, const char *reason)
{
	char	 path[64];
	json_t	*in, *o, *v;
	size_t	 i;

	snprintf(path, sizeof path, "/api/items/%ld/decide", id);
	in = json_pack("{s:s, s:s}", "decision", verb, "reason", reason);
	if (in == NULL) {
		ctl_warnx("reason must be UTF-8");
		return CTL_EXIT_DATAERR;
	}
	o = cq_call(q, "POST", path, in, NULL);
	json_decref(in);
	if (o == NULL)
		return CTL_EXIT_SOFTWARE;
	printf("item %ld: %s\n", id, json_string_value(json_object_get(
	    json_object_get(o, "item"), "state")));
	json_array_foreach(json_object_get(o, "queued"), i, v)
		printf("queued:   %s (outbox %lld)\n",
		    json_string_value(json_object_get(v, "action")),
		    (long long)json_integer_value(json_object_get(v, "outbox")));
	json_array_foreach(json_object_get(o, "withdrawn"), i, v)
		printf("withdrawn: %s (outbox %lld)\n",
		    json_string_value(json_object_get(v, "action")),
		    (long long)json_integer_value(json_object_get(v, "outbox")));
	json_array_foreach(json_object_get(o, "irreversible"), i, v)
		printf("cannot be undone: %s\n", json_string_value(v));
	json_decref(o);
	return ctl_finish_output();
}

static int
ctl_queue_handler(struct ctl_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url",	required_argument,	NULL, 'u' },
		{ "token-file",	required_argument,	NULL, 't' },
		{ "state",	required_argument,	NULL, 's' },
		{ "limit",	required_argument,	NULL, 'l' },
		{ "reason",	required_argument,	NULL, 'r' },
		{ "json",	no_argument,		NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const struct ctl_command	*cmd = &ctl_queue_entry;
	struct cq			 q;
	const char			*url = NULL, *tf = NULL, *state = NULL;
	const char			*reason = NULL, *sub;
	char				*end;
	long				 limit = 50, id = 0;
	bool				 json = false;
	int				 ch, rc;

	if (argc < 2)
		return ctl_usage_error(cmd, "queue: subcommand expected");
	sub = argv[1];
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'u': url = optarg; break;
		case 't': tf = optarg; break;
		case 's': state = optarg; break;
		case 'r': reason = optarg; break;
		case 'j': json = true; break;
		case 'l':
			limit = strtol(optarg, &end, 10);
			if (*end != '\0' || limit < 1 || limit > 200)
				return ctl_usage_error(cmd, "--limit: 1 to 200");
			break;
		default:
			return ctl_usage_error(cmd, NULL);
		}
	}
	if (strcmp(sub, "list") != 0) {
		if (optind + 1 != argc)
			return ctl_usage_error(cmd, "queue %s: one ID expected", sub);
		id = strtol(argv[optind], &end, 10);
		if (*end != '\0' || id <= 0)
			return ctl_usage_error(cmd, "bad item id %s", argv[optind]);
	} else if (optind != argc)
		return ctl_usage_error(cmd, "queue list: no arguments expected");
	if (strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0 &&
	    strcmp(sub, "approve") != 0 && strcmp(sub, "dismiss") != 0 &&
	    strcmp(sub, "escalate") != 0 && strcmp(sub, "restore") != 0)
		return ctl_usage_error(cmd, "queue: unknown subcommand %s", sub);
	if (strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0 &&
	    (reason == NULL || *reason == '\0'))
		return ctl_usage_error(cmd, "queue %s: --reason is required", sub);
	memset(&q, 0, sizeof q);
	if (cq_setup(&q, url, tf) == -1) {
		free(q.token);
		return CTL_EXIT_USAGE;
	}
	if (strcmp(sub, "list") == 0)
		rc = cq_list(&q, state, limit, json);
	else if (strcmp(sub, "show") == 0)
		rc = cq_show(&q, id, json);
	else
		rc = cq_decide(&q, sub, id, reason);
	free(q.token);
	return rc;
}
