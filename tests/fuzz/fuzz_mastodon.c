/*
 * fuzz_mastodon.c: the Mastodon connector's parsers on arbitrary bodies.
 * The first input byte picks the status code and the cursor, the rest is
 * the body; every parser that reads a response sees it.  Besides not
 * crashing, a successful page must be internally consistent.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connector.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const int statuses[] = { 200, 200, 200, 201, 401, 404, 422, 429,
    500, 0 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn_account a = { .name = "fuzz", .platform = "mastodon",
	    .base_url = "https://example.org" };
	struct http_response r;
	struct conn_page p;
	struct conn_error err;
	struct conn_action act;
	struct conn_action_result res;
	struct conn_rules rules;
	struct conn_ratelimit rl;
	const char *cursor;
	size_t i;
	char *hdr;

	if (size < 1)
		return 0;
	memset(&r, 0, sizeof r);
	r.status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
	cursor = (data[0] & 0x80) ? NULL : "100";
	r.body = (const char *)data + 1;
	r.bodylen = size - 1;

	memset(&err, 0, sizeof err);
	if (conn_mastodon.parse_page(&a, CONN_STREAM_INBOX, cursor, &r, &p,
	    &err) == 0) {
		for (i = 0; i < p.nitems; i++)
			if (p.items[i].id == NULL || p.items[i].text == NULL ||
			    p.items[i].author_id == NULL ||
			    p.items[i].raw_json == NULL)
				abort();
		/* each item's raw JSON is one whole value of the page */
		for (i = 0; i < p.nitems; i++) {
			json_t *v = json_loads(p.items[i].raw_json, 0, NULL);

			if (v == NULL || !json_is_object(v))
				abort();
			json_decref(v);
		}
		if (p.next_cursor != NULL && !conn_id_is_numeric(p.next_cursor))
			abort();
		conn_page_free(&p);
	} else if (err.msg[0] == '\0' || p.nitems != 0)
		abort();

	memset(&act, 0, sizeof act);
	act.kind = (data[0] & 1) ? ACT_REPORT : ACT_BLOCK;
	act.author_id = "1";
	memset(&err, 0, sizeof err);
	conn_mastodon.parse_action_result(&a, &act, &r, &res, &err);
	conn_action_result_free(&res);

	memset(&err, 0, sizeof err);
	if (conn_mastodon.parse_rules(&r, &rules, &err) == 0)
		conn_rules_free(&rules);

	/* The body as a rate-limit header value. */
	hdr = strndup(r.body, r.bodylen > 200 ? 200 : r.bodylen);
	if (hdr != NULL) {
		http_headers_add(&r.headers, "X-RateLimit-Reset", hdr);
		http_headers_add(&r.headers, "Retry-After", hdr);
		http_headers_add(&r.headers, "X-RateLimit-Remaining", hdr);
		conn_mastodon.parse_ratelimit(&r, 1714564800, &rl);
		if (rl.retry_at > 1714564800 + 86400)
			abort();
		http_headers_free(&r.headers);
		free(hdr);
	}

	/* The body (up to 2,000 bytes) as a Link header: a hint is an id. */
	hdr = strndup(r.body, r.bodylen > 2000 ? 2000 : r.bodylen);
	if (hdr != NULL) {
		char *hint;

		r.status = 200;
		http_headers_add(&r.headers, "Link", hdr);
		hint = conn_mastodon.next_cursor_hint(cursor, &r);
		if (hint != NULL && (cursor == NULL ||
		    !conn_id_is_numeric(hint) || conn_id_cmp(hint, cursor) <= 0))
			abort();
		free(hint);
		http_headers_free(&r.headers);
		free(hdr);
	}
	return 0;
}
