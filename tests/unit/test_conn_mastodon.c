/*
 * test_conn_mastodon.c: the Mastodon connector against recorded bodies
 * (tests/fixtures/mastodon/, from PLATFORMS.md section 1) and against
 * broken ones: truncated JSON, wrong types, missing fields, error statuses,
 * rate-limit headers.  Also the shared helpers of connector.c.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connector.h"
#include "jsonprune.h"
#include "testutil.h"
#include "xmalloc.h"

static char *
fixture(const char *name, size_t *len)
{
	const char *dir = getenv("NQ_SOURCE_DIR");
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof path, "%s/tests/fixtures/mastodon/%s",
	    dir != NULL ? dir : "..", name);
	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(2);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static const struct conn_rulemap rulemap[] = {
	{ CAT_ILLEGAL, "1" },
	{ CAT_ILLEGAL, "5" },
	{ CAT_COMMERCIAL, "2" },
};

static struct conn_account acct = {
	.name = "bmi-mastodon",
	.platform = "mastodon",
	.base_url = "https://social.bund.de/",
	.token = "s3cr3t-token",
	.account_id = "109000000000000001",
	.handle = "bmi",
	.rulemap = rulemap,
	.nrulemap = 3,
};

static struct http_response
resp(int status, const char *body)
{
	struct http_response r;

	memset(&r, 0, sizeof r);
	r.status = status;
	r.body = body;
	r.bodylen = body != NULL ? strlen(body) : 0;
	return r;
}

static void
test_table(void)
{
	const struct connector *c = conn_find("mastodon");

	CHECK(c == &conn_mastodon);
	CHECK(conn_find("myspace") == NULL);
	CHECK(conn_find(NULL) == NULL);
	CHECK(conn_backends[0] != NULL);
	CHECK(c->streams == CONN_STREAM_INBOX);
	CHECK_INT(c->capabilities(&acct), ACT_BLOCK | ACT_MUTE | ACT_REPORT |
	    ACT_UNBLOCK | ACT_UNMUTE);
	CHECK((c->capabilities(&acct) & (ACT_HIDE | ACT_DELETE)) == 0);
}

/* What may be sent again after a lost answer: states, not reports. */
static void
test_repeat_harmless(void)
{
	struct conn_action act;
	unsigned kinds[] = { ACT_BLOCK, ACT_MUTE, ACT_UNBLOCK, ACT_UNMUTE };
	size_t i;

	memset(&act, 0, sizeof act);
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		act.kind = kinds[i];
		CHECK(conn_mastodon.repeat_harmless(&acct, &act));
	}
	act.kind = ACT_REPORT;
	CHECK(!conn_mastodon.repeat_harmless(&acct, &act));
	/* an admin block records a warning each time */
	act.kind = ACT_BLOCK;
	act.use_admin = true;
	CHECK(!conn_mastodon.repeat_harmless(&acct, &act));
	act.kind = ACT_DELETE;
	act.use_admin = false;
	CHECK(!conn_mastodon.repeat_harmless(&acct, &act));
}

static void
test_poll_request(void)
{
	struct http_request req;
	struct conn_error err;
	struct conn_account a = acct;

	conn_error_clear(&err);
	CHECK_INT(conn_mastodon.poll_request(&acct, CONN_STREAM_INBOX, NULL,
	    &req, &err), 0);
	CHECK_STR(req.method, "GET");
	CHECK_STR(req.url, "https://social.bund.de/api/v1/notifications?"
	    "types%5B%5D=mention&include_filtered=true&limit=40");
	CHECK_STR(http_headers_get(&req.headers, "authorization"),
	    "Bearer s3cr3t-token");
	CHECK(req.body == NULL);
	http_request_free(&req);

	CHECK_INT(conn_mastodon.poll_request(&acct, CONN_STREAM_INBOX,
	    "34975861", &req, &err), 0);
	CHECK_STR(req.url, "https://social.bund.de/api/v1/notifications?"
	    "types%5B%5D=mention&include_filtered=true&limit=40"
	    "&min_id=34975861");
	http_request_free(&req);

	a.page_limit = 500;
	CHECK_INT(conn_mastodon.poll_request(&a, CONN_STREAM_INBOX, NULL,
	    &req, &err), 0);
	CHECK(strstr(req.url, "limit=80") != NULL);
	http_request_free(&req);

	/* A cursor that is not an id never reaches a URL. */
	CHECK_INT(conn_mastodon.poll_request(&acct, CONN_STREAM_INBOX,
	    "1&max_id=2", &req, &err), -1);
	CHECK(err.status == CONN_PERMANENT);
	CHECK(strstr(err.msg, "s3cr3t") == NULL);
	conn_error_clear(&err);
	CHECK_INT(conn_mastodon.poll_request(&acct, CONN_STREAM_DMS, NULL,
	    &req, &err), -1);
	conn_error_clear(&err);
	a.base_url = "ftp://x";
	CHECK_INT(conn_mastodon.poll_request(&a, CONN_STREAM_INBOX, NULL,
	    &req, &err), -1);
	CHECK(strstr(err.msg, "base_url") != NULL);
}

static void
test_parse_example(void)
{
	struct conn_page p;
	struct conn_error err;
	struct http_response r;
	size_t len;
	char *body = fixture("notification_mention.json", &len);

	conn_error_clear(&err);
	r = resp(200, NULL);
	r.body = body;
	r.bodylen = len;
	CHECK_INT(conn_mastodon.parse_page(&acct, CONN_STREAM_INBOX, NULL, &r,
	    &p, &err), 0);
	CHECK_INT(p.nitems, 1);
	CHECK_INT(p.nskipped, 0);
	CHECK_STR(p.next_cursor, "68739215");
	CHECK(p.done);			/* first start: newest page only */
	if (p.nitems == 1) {
		struct conn_item *it = &p.items[0];

		CHECK_STR(it->platform, "mastodon");
		CHECK_STR(it->account, "bmi-mastodon");
		CHECK_STR(it->id, "108914343542683797");
		CHECK(it->kind == CONN_ITEM_COMMENT);
		CHECK_STR(it->author_id, "108892712797543112");
		CHECK_STR(it->author_handle, "a@pl.nulled.red");
		CHECK_STR(it->author_name, "a");
		CHECK_STR(it->text, "@trwnh test");
		CHECK(strstr(it->html, "h-card") != NULL);
		CHECK_STR(it->permalink, "https://pl.nulled.red/objects/"
		    "64b196c6-3bc5-44d5-8ffb-f760235ee6ca");
		CHECK(it->parent_id == NULL);
		CHECK_STR(it->created_at_iso, "2022-08-30T23:09:52.359Z");
		CHECK_INT(it->created_at, 1661900992);
		/* the platform's bytes, as they stood in the page */
		CHECK(strstr(body, it->raw_json) != NULL);
		CHECK(strncmp(it->raw_json, "{", 1) == 0);
		CHECK(it->raw_json[strlen(it->raw_json) - 1] == '}');
		CHECK(strstr(it->raw_json, "\"68739215\"") != NULL);
	}
	conn_page_free(&p);
	free(body);
}

static void
test_json_spans(void)
{
	struct conn_span	 sp[4];
	const char		*s;

	s = " [ {\"a\": \"x,]}\\\"\"} ,\n[1, [2]] , \"s\",3 ] ";
	CHECK_INT(conn_json_array_spans(s, strlen(s), sp, 4), 4);
	CHECK(strncmp(s + sp[0].off, "{\"a\": \"x,]}\\\"\"}", sp[0].len) == 0 &&
	    sp[0].len == strlen("{\"a\": \"x,]}\\\"\"}"));
	CHECK(strncmp(s + sp[1].off, "[1, [2]]", sp[1].len) == 0 &&
	    sp[1].len == 8);
	CHECK(sp[2].len == 3 && s[sp[2].off] == '"');
	CHECK(sp[3].len == 1 && s[sp[3].off] == '3');
	/* more elements than spans: counted, not written */
	CHECK_INT(conn_json_array_spans(s, strlen(s), sp, 1), 4);
	CHECK_INT(conn_json_array_spans("[]", 2, sp, 4), 0);
	CHECK_INT(conn_json_array_spans(" [ ] ", 5, sp, 4), 0);
	CHECK_INT(conn_json_array_spans("{}", 2, sp, 4), -1);
	CHECK_INT(conn_json_array_spans("[1,", 3, sp, 4), -1);
	CHECK_INT(conn_json_array_spans("[\"]", 3, sp, 4), -1);
	CHECK_INT(conn_json_array_spans("", 0, sp, 4), -1);
}

static void
test_parse_page(void)
{
	struct conn_page p;
	struct conn_error err;
	struct http_response r;
	size_t len;
	char *body = fixture("notifications_page.json", &len);

	conn_error_clear(&err);
	r = resp(200, NULL);
	r.body = body;
	r.bodylen = len;
	CHECK_INT(conn_mastodon.parse_page(&acct, CONN_STREAM_INBOX,
	    "34975860", &r, &p, &err), 0);
	CHECK_INT(p.nitems, 2);		/* the favourite is not screened */
	CHECK_INT(p.nskipped, 0);
	CHECK_STR(p.next_cursor, "34975863");
	CHECK(!p.done);			/* more may follow: ask again */
	if (p.nitems == 2) {
		CHECK(p.items[0].kind == CONN_ITEM_DM);
		CHECK_STR(p.items[0].text, "@bmi Guten Tag, wann kann ich den "
		    "neuen Personalausweis online beantragen?");
		CHECK(p.items[0].thread_id == NULL);
		CHECK(p.items[1].kind == CONN_ITEM_COMMENT);
		CHECK_STR(p.items[1].parent_id, "112300000000000001");
		CHECK_STR(p.items[1].thread_id, "112300000000000001");
		CHECK_STR(p.items[1].author_handle, "kalle");
		CHECK_STR(p.items[1].author_name, "Kalle :verified:");
		CHECK_STR(p.items[1].text, "Kritik\n\n@bmi Die Regierung "
		    "versagt komplett & der Minister hat keine Ahnung.\n\n"
		    "Quelle: https://www.example.org/artikel/2024/05/"
		    "digitalisierung-verwaltung\n\nScreenshot: Warteschlange "
		    "im Bürgeramt");
	}
	conn_page_free(&p);

	/* Caught up: [] ends the catch-up and keeps the cursor. */
	r = resp(200, "[]");
	CHECK_INT(conn_mastodon.parse_page(&acct, CONN_STREAM_INBOX,
	    "34975863", &r, &p, &err), 0);
	CHECK_INT(p.nitems, 0);
	CHECK(p.next_cursor == NULL);
	CHECK(p.done);
	conn_page_free(&p);

	/* A server that ignores min_id must not make us loop. */
	r = resp(200, "[{\"id\":\"5\",\"type\":\"follow\"}]");
	CHECK_INT(conn_mastodon.parse_page(&acct, CONN_STREAM_INBOX, "9", &r,
	    &p, &err), 0);
	CHECK(p.next_cursor == NULL);
	CHECK(p.done);
	conn_page_free(&p);

	/* Ids compare as numbers, not strings. */
	r = resp(200, "[{\"id\":\"10\",\"type\":\"follow\"},"
	    "{\"id\":\"9\",\"type\":\"follow\"}]");
	CHECK_INT(conn_mastodon.parse_page(&acct, CONN_STREAM_INBOX, "8", &r,
	    &p, &err), 0);
	CHECK_STR(p.next_cursor, "10");
	CHECK(!p.done);
	conn_page_free(&p);
	free(body);
}

static bool
same_str(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* The page parsed from body, pruned (want_pruned) or whole: compared. */
static void
parse_both(const char *body)
{
	static const char tail[] = ",{\"id\":\"1\",\"type\":\"follow\","
	    "\"n\":1e2}]";
	struct conn_page	 a, b;
	struct conn_error	 ea, eb;
	struct http_response	 ra, rb;
	char			*whole, *pruned;
	size_t			 n = strlen(body), plen, i;
	int			 rca, rcb;

	/* the same entries and one the pruner cannot be sure of (1e2) */
	while (n > 0 && body[n - 1] != ']')
		n--;
	CHECK(n > 0);
	whole = malloc(n + sizeof tail);
	memcpy(whole, body, n - 1);
	memcpy(whole + n - 1, tail, sizeof tail);
	/* the pruned text must parse, or the page silently goes the long way */
	CHECK_INT(json_prune(body, strlen(body), NULL, 0, &pruned, &plen), 0);
	if (pruned != NULL) {
		json_t *j = json_loadb(pruned, plen, 0, NULL);

		CHECK(json_is_array(j));
		json_decref(j);
	}
	free(pruned);
	CHECK_INT(json_prune(whole, strlen(whole), NULL, 0, &pruned, &plen), -1);
	conn_error_clear(&ea);
	conn_error_clear(&eb);
	ra = resp(200, body);
	rb = resp(200, whole);
	rca = conn_mastodon.parse_page(&acct, CONN_STREAM_INBOX, "0", &ra, &a,
	    &ea);
	rcb = conn_mastodon.parse_page(&acct, CONN_STREAM_INBOX, "0", &rb, &b,
	    &eb);
	CHECK_INT(rca, rcb);
	CHECK_STR(ea.msg, eb.msg);
	if (rca == 0 && rcb == 0) {
		CHECK_INT(a.nitems, b.nitems);
		CHECK_INT(a.nskipped, b.nskipped);
		CHECK(same_str(a.next_cursor, b.next_cursor));
		CHECK(a.done == b.done);
		for (i = 0; i < a.nitems && i < b.nitems; i++) {
			struct conn_item *x = &a.items[i], *y = &b.items[i];

			CHECK(same_str(x->id, y->id));
			CHECK(same_str(x->account, y->account));
			CHECK(x->kind == y->kind);
			CHECK(same_str(x->author_id, y->author_id));
			CHECK(same_str(x->author_handle, y->author_handle));
			CHECK(same_str(x->author_name, y->author_name));
			CHECK(same_str(x->text, y->text));
			CHECK(same_str(x->html, y->html));
			CHECK(same_str(x->raw_json, y->raw_json));
			CHECK(same_str(x->permalink, y->permalink));
			CHECK(same_str(x->parent_id, y->parent_id));
			CHECK(same_str(x->thread_id, y->thread_id));
			CHECK(x->created_at == y->created_at);
			CHECK(same_str(x->created_at_iso, y->created_at_iso));
		}
		for (i = 0; i < a.nskipped && i < b.nskipped; i++) {
			CHECK(same_str(a.skipped[i].id, b.skipped[i].id));
			CHECK_STR(a.skipped[i].why, b.skipped[i].why);
		}
		conn_page_free(&a);
		conn_page_free(&b);
	}
	free(whole);
}

/*
 * A page is parsed pruned (json_prune drops what the connector does not
 * read) when the pruner is sure of it, else whole: both must give the
 * same page, so every member the connector reads must be on its list.
 * The synthetic page has all of them: content warning, media
 * descriptions, poll options, a reply, a DM, the notification's account
 * standing in for a missing one, and entries with wrong types.
 */
static void
test_pruned_same(void)
{
	static const char synthetic[] = "[{\"id\":\"900\",\"type\":"
	    "\"mention\",\"created_at\":\"2024-05-02T10:00:00.000Z\","
	    "\"group_key\":\"g\",\"account\":{\"id\":\"77\",\"acct\":"
	    "\"anna@example.org\",\"display_name\":\"Anna \\u00e4\","
	    "\"note\":\"<p>bio</p>\",\"fields\":[{\"name\":\"x\","
	    "\"value\":\"y\"}],\"followers_count\":12},\"status\":{\"id\":"
	    "\"901\",\"created_at\":\"2024-05-02T09:59:59.000Z\","
	    "\"in_reply_to_id\":\"800\",\"visibility\":\"direct\","
	    "\"spoiler_text\":\"CW\",\"content\":\"<p>Hallo <b>du</b>"
	    "</p>\",\"url\":\"https://ex.org/@anna/901\",\"uri\":"
	    "\"https://ex.org/users/anna/statuses/901\",\"account\":null,"
	    "\"media_attachments\":[{\"id\":\"5\",\"type\":\"image\","
	    "\"description\":\"Bildtext\",\"meta\":{\"original\":"
	    "{\"aspect\":1.5,\"width\":-3}}}],\"poll\":{\"id\":\"6\","
	    "\"options\":[{\"title\":\"Ja\",\"votes_count\":1},{\"title\":"
	    "\"Nein\"}]},\"tags\":[],\"emojis\":[{\"shortcode\":\"x\"}],"
	    "\"card\":null,\"sensitive\":true}},"
	    "{\"id\":\"902\",\"type\":\"mention\",\"status\":{\"id\":"
	    "\"903\",\"content\":5,\"account\":{\"id\":\"2\",\"acct\":"
	    "\"b\"}}},"
	    "{\"id\":\"904\",\"type\":\"mention\",\"status\":{\"id\":"
	    "\"905\",\"content\":\"<p>x</p>\",\"account\":{\"id\":[],"
	    "\"acct\":\"b\"}}},"
	    "{\"id\":\"906\",\"type\":\"mention\",\"status\":null},"
	    "{\"id\":\"907\",\"type\":\"favourite\",\"status\":{}}]";
	size_t	 len;
	char	*body = fixture("notifications_page.json", &len);

	parse_both(body);
	free(body);
	parse_both(synthetic);
}

/* One entry with status fields replaced, for the wrong-type checks. */
static void
expect_skip(const char *entry, const char *why)
{
	struct conn_page p;
	struct conn_error err;
	struct http_response r;
	char body[2048];

	snprintf(body, sizeof body, "[{\"id\":\"100\",\"type\":\"mention\","
	    "\"status\":{\"id\":\"1\",\"content\":\"<p>ok</p>\","
	    "\"account\":{\"id\":\"2\",\"acct\":\"ok\"}}},%s]", entry);
	conn_error_clear(&err);
	r = resp(200, body);
	CHECK_INT(conn_mastodon.parse_page(&acct, CONN_STREAM_INBOX, "50", &r,
	    &p, &err), 0);
	CHECK_INT(p.nitems, 1);
	CHECK_INT(p.nskipped, 1);
	if (p.nskipped == 1 && strcmp(p.skipped[0].why, why) != 0) {
		CHECK_STR(p.skipped[0].why, why);
	}
	conn_page_free(&p);
}

static void
test_wrong_types(void)
{
	expect_skip("{\"id\":\"99\",\"type\":\"mention\",\"status\":{\"id\":"
	    "\"3\",\"content\":7,\"account\":{\"id\":\"2\",\"acct\":\"x\"}}}",
	    "notifications[1].status.content: expected string, got integer");
	expect_skip("{\"id\":\"99\",\"type\":\"mention\",\"status\":{\"id\":"
	    "3,\"content\":\"x\",\"account\":{\"id\":\"2\",\"acct\":\"x\"}}}",
	    "notifications[1].status.id: expected string, got integer");
	expect_skip("{\"id\":\"99\",\"type\":\"mention\",\"status\":{\"id\":"
	    "\"3\",\"account\":{\"id\":\"2\",\"acct\":\"x\"}}}",
	    "notifications[1].status.content: missing");
	expect_skip("{\"id\":\"99\",\"type\":\"mention\",\"status\":null}",
	    "notifications[1].status: null (status deleted?)");
	expect_skip("{\"id\":\"99\",\"type\":\"mention\",\"status\":[]}",
	    "notifications[1].status: expected object, got array");
	expect_skip("{\"id\":\"99\",\"type\":\"mention\",\"status\":{\"id\":"
	    "\"3\",\"content\":\"x\",\"account\":{\"id\":\"2\"}}}",
	    "notifications[1].status.account.acct: missing");
	expect_skip("{\"id\":\"99\",\"type\":\"mention\",\"status\":{\"id\":"
	    "\"3\",\"content\":\"x\",\"account\":{\"id\":\"2\",\"acct\":\"x\"},"
	    "\"in_reply_to_id\":12}}",
	    "notifications[1].status.in_reply_to_id: expected string, got "
	    "integer");
	expect_skip("{\"id\":\"99\",\"type\":\"mention\",\"status\":{\"id\":"
	    "\"../../x\",\"content\":\"x\",\"account\":{\"id\":\"2\",\"acct\":"
	    "\"x\"}}}", "notifications[1].status.id: not a status id");
	expect_skip("{\"id\":99,\"type\":\"mention\"}",
	    "notifications[1].id: expected string, got integer");
	expect_skip("{\"type\":\"mention\"}", "notifications[1].id: missing");
	expect_skip("{\"id\":\"abc\",\"type\":\"mention\"}",
	    "notifications[1].id: not a notification id");
	expect_skip("{\"id\":\"99\",\"type\":true}",
	    "notifications[1].type: expected string, got boolean");
	expect_skip("\"string\"",
	    "notifications[1]: expected object, got string");
	/* The notification's account stands in for a missing status one. */
	{
		struct conn_page p;
		struct conn_error err;
		struct http_response r = resp(200, "[{\"id\":\"7\",\"type\":"
		    "\"mention\",\"account\":{\"id\":\"4\",\"acct\":\"n\"},"
		    "\"status\":{\"id\":\"3\",\"content\":\"hi\"}}]");

		conn_error_clear(&err);
		CHECK_INT(conn_mastodon.parse_page(&acct, CONN_STREAM_INBOX,
		    "1", &r, &p, &err), 0);
		CHECK_INT(p.nitems, 1);
		if (p.nitems == 1)
			CHECK_STR(p.items[0].author_id, "4");
		conn_page_free(&p);
	}
}

/*
 * Markup that converts to nothing cannot push text out of reach: the
 * connector once read only the first 256 KiB of a status's HTML.
 */
static void
test_padding_hides_nothing(void)
{
	static const char head[] = "[{\"id\":\"7\",\"type\":\"mention\","
	    "\"status\":{\"id\":\"3\",\"account\":{\"id\":\"4\",\"acct\":"
	    "\"n\"},\"content\":\"";
	static const char tail[] = "<p>Du Idiot</p>\"}}]";
	struct conn_page	 p;
	struct conn_error	 err;
	struct http_response	 r;
	size_t			 i, n = 60000, off;
	char			*body = xmalloc(sizeof head + n * 7 + sizeof tail);

	off = strlen(head);
	memcpy(body, head, off);
	for (i = 0; i < n; i++, off += 7)
		memcpy(body + off, "<p></p>", 7);
	memcpy(body + off, tail, sizeof tail);
	conn_error_clear(&err);
	r = resp(200, body);
	CHECK_INT(conn_mastodon.parse_page(&acct, CONN_STREAM_INBOX, "1", &r,
	    &p, &err), 0);
	CHECK_INT(p.nitems, 1);
	if (p.nitems == 1)
		CHECK(strstr(p.items[0].text, "Du Idiot") != NULL);
	conn_page_free(&p);
	free(body);
}

static void
expect_fail(int status, const char *body, enum conn_status st,
    const char *msg)
{
	struct conn_page p;
	struct conn_error err;
	struct http_response r = resp(status, body);

	conn_error_clear(&err);
	CHECK_INT(conn_mastodon.parse_page(&acct, CONN_STREAM_INBOX, "5", &r,
	    &p, &err), -1);
	CHECK_INT(err.status, st);
	if (strstr(err.msg, msg) == NULL)
		CHECK_STR(err.msg, msg);
	CHECK(p.items == NULL && p.nitems == 0);
}

static void
test_broken(void)
{
	size_t len, cut;
	char *body = fixture("notifications_page.json", &len);
	struct conn_page p;
	struct conn_error err;
	struct http_response r;

	expect_fail(200, "[{\"id\":\"1\",", CONN_RETRY,
	    "notifications: invalid JSON at line 1");
	expect_fail(200, "", CONN_RETRY, "notifications: empty body");
	expect_fail(200, "{\"error\":\"x\"}", CONN_RETRY,
	    "notifications: expected array, got object");
	expect_fail(200, "<html>proxy</html>", CONN_RETRY, "invalid JSON");
	expect_fail(200, "[1,2,3]", CONN_RETRY, "no entry with a usable id");
	expect_fail(401, "{\"error\":\"The access token is invalid\"}",
	    CONN_AUTH, "notifications: HTTP 401: The access token is invalid");
	expect_fail(403, "{\"error\":\"This action is not allowed\"}",
	    CONN_AUTH, "HTTP 403");
	expect_fail(429, "{\"error\":\"Too many requests\"}",
	    CONN_RATELIMITED, "HTTP 429: Too many requests");
	expect_fail(503, "<html>", CONN_RETRY, "notifications: HTTP 503");
	expect_fail(0, NULL, CONN_RETRY, "notifications: no response");
	expect_fail(404, "{\"error\":\"a\\u0007b\"}", CONN_PERMANENT,
	    "HTTP 404: a?b");

	/* Every truncation of a real page fails cleanly or parses. */
	for (cut = 0; cut < len; cut++) {
		conn_error_clear(&err);
		r = resp(200, NULL);
		r.body = body;
		r.bodylen = cut;
		if (conn_mastodon.parse_page(&acct, CONN_STREAM_INBOX, "1",
		    &r, &p, &err) == 0)
			conn_page_free(&p);
		else
			CHECK(err.status == CONN_RETRY);
	}
	free(body);
}

static void
test_actions(void)
{
	struct http_request req;
	struct conn_error err;
	struct conn_action act;
	struct conn_account a = acct;

	memset(&act, 0, sizeof act);
	conn_error_clear(&err);
	act.kind = ACT_BLOCK;
	act.author_id = "108366849347798387";
	act.idempotency_key = "nq-7-block";
	CHECK_INT(conn_mastodon.action_request(&acct, &act, &req, &err), 0);
	CHECK_STR(req.method, "POST");
	CHECK_STR(req.url, "https://social.bund.de/api/v1/accounts/"
	    "108366849347798387/block");
	CHECK_STR(http_headers_get(&req.headers, "Idempotency-Key"),
	    "nq-7-block");
	CHECK_STR(req.content_type, "application/x-www-form-urlencoded");
	http_request_free(&req);

	act.kind = ACT_MUTE;
	act.mute_seconds = 86400;
	CHECK_INT(conn_mastodon.action_request(&acct, &act, &req, &err), 0);
	CHECK_STR(req.url, "https://social.bund.de/api/v1/accounts/"
	    "108366849347798387/mute");
	CHECK_STR(req.body, "notifications=true&duration=86400");
	http_request_free(&req);

	act.kind = ACT_UNMUTE;
	CHECK_INT(conn_mastodon.action_request(&acct, &act, &req, &err), 0);
	CHECK(strstr(req.url, "/unmute") != NULL);
	http_request_free(&req);

	act.kind = ACT_REPORT;
	act.item_id = "108882889550545820";
	act.category = CAT_ILLEGAL;
	act.rule = "illegal.86a";
	act.comment = "Kennzeichen verfassungswidriger Organisationen";
	CHECK_INT(conn_mastodon.action_request(&acct, &act, &req, &err), 0);
	CHECK_STR(req.url, "https://social.bund.de/api/v1/reports");
	CHECK_STR(req.body, "account_id=108366849347798387"
	    "&status_ids%5B%5D=108882889550545820"
	    "&comment=Versto%C3%9F%20gegen%20die%20Netiquette%20von%20"
	    "bmi-mastodon%3A%20gesetzeswidrige%20%C3%84u%C3%9Ferungen%20oder%20Inhalte%20"
	    "%28Kategorie%20illegal%2C%20Regel%20illegal.86a%29.%20"
	    "Kennzeichen%20verfassungswidriger%20Organisationen"
	    "&rule_ids%5B%5D=1&rule_ids%5B%5D=5&category=violation"
	    "&forward=false");
	http_request_free(&req);

	act.category = CAT_INSULT;
	act.forward = true;
	CHECK_INT(conn_mastodon.action_request(&acct, &act, &req, &err), 0);
	CHECK(strstr(req.body, "&category=other&forward=true") != NULL);
	CHECK(strstr(req.body, "rule_ids") == NULL);
	http_request_free(&req);

	/* A long comment is cut to Mastodon's 1000 characters. */
	{
		char longc[3000];

		memset(longc, 'x', sizeof longc - 1);
		longc[sizeof longc - 1] = '\0';
		act.comment = longc;
		CHECK_INT(conn_mastodon.action_request(&acct, &act, &req,
		    &err), 0);
		CHECK(strlen(req.body) < 1400);
		http_request_free(&req);
		act.comment = NULL;
	}

	/* No hide, no delete of others' replies. */
	act.kind = ACT_HIDE;
	CHECK_INT(conn_mastodon.action_request(&acct, &act, &req, &err), -1);
	CHECK_INT(err.status, CONN_PERMANENT);
	CHECK_STR(err.msg, "mastodon cannot hide");
	conn_error_clear(&err);
	act.kind = ACT_DELETE;
	CHECK_INT(conn_mastodon.action_request(&acct, &act, &req, &err), -1);
	conn_error_clear(&err);

	/* Ids go into paths; anything else is refused. */
	act.kind = ACT_BLOCK;
	act.author_id = "1/../../admin";
	CHECK_INT(conn_mastodon.action_request(&acct, &act, &req, &err), -1);
	conn_error_clear(&err);
	act.author_id = "";
	CHECK_INT(conn_mastodon.action_request(&acct, &act, &req, &err), -1);
	conn_error_clear(&err);

	/* Admin block: only with an admin token and admin_action. */
	act.author_id = "42";
	act.use_admin = true;
	CHECK_INT(conn_mastodon.action_request(&acct, &act, &req, &err), -1);
	conn_error_clear(&err);
	a.admin = true;
	a.admin_action = "silence";
	CHECK(conn_mastodon.capabilities(&a) & CONN_CAP_ADMIN);
	CHECK_INT(conn_mastodon.action_request(&a, &act, &req, &err), 0);
	CHECK_STR(req.url, "https://social.bund.de/api/v1/admin/accounts/42/"
	    "action");
	CHECK(strncmp(req.body, "type=silence&text=", 18) == 0);
	http_request_free(&req);
}

static void
test_action_results(void)
{
	struct conn_action act;
	struct conn_action_result res;
	struct conn_error err;
	struct http_response r;
	size_t len;
	char *block = fixture("relationship_block.json", &len);
	char *mute = fixture("relationship_mute.json", &len);
	char *report = fixture("report.json", &len);

	memset(&act, 0, sizeof act);
	act.author_id = "3";
	conn_error_clear(&err);

	act.kind = ACT_BLOCK;
	r = resp(200, block);
	CHECK_INT(conn_mastodon.parse_action_result(&acct, &act, &r, &res,
	    &err), CONN_OK);
	r = resp(200, mute);	/* blocking:false after a block */
	CHECK_INT(conn_mastodon.parse_action_result(&acct, &act, &r, &res,
	    &err), CONN_PERMANENT);
	CHECK(strstr(err.msg, "blocking=false") != NULL);
	conn_error_clear(&err);

	act.kind = ACT_MUTE;
	r = resp(200, mute);
	CHECK_INT(conn_mastodon.parse_action_result(&acct, &act, &r, &res,
	    &err), CONN_OK);

	act.kind = ACT_REPORT;
	r = resp(200, report);
	CHECK_INT(conn_mastodon.parse_action_result(&acct, &act, &r, &res,
	    &err), CONN_OK);
	CHECK_STR(res.remote_id, "48914");
	conn_action_result_free(&res);

	/* 2xx with a body we cannot read: applied, never resend. */
	r = resp(200, "{\"id\":");
	CHECK_INT(conn_mastodon.parse_action_result(&acct, &act, &r, &res,
	    &err), CONN_OK);
	CHECK(res.remote_id == NULL);

	r = resp(422, "{\"error\":\"Validation failed: Rule ids does not "
	    "reference valid rules\"}");
	CHECK_INT(conn_mastodon.parse_action_result(&acct, &act, &r, &res,
	    &err), CONN_PERMANENT);
	CHECK_STR(err.msg, "report: HTTP 422: Validation failed: Rule ids "
	    "does not reference valid rules");
	CHECK_INT(err.http_status, 422);
	conn_error_clear(&err);

	act.kind = ACT_BLOCK;
	r = resp(404, "{\"error\":\"Record not found\"}");
	CHECK_INT(conn_mastodon.parse_action_result(&acct, &act, &r, &res,
	    &err), CONN_PERMANENT);
	conn_error_clear(&err);
	r = resp(502, "<html>Bad Gateway</html>");
	CHECK_INT(conn_mastodon.parse_action_result(&acct, &act, &r, &res,
	    &err), CONN_RETRY);
	conn_error_clear(&err);
	r = resp(429, "{\"error\":\"Too many requests\"}");
	CHECK_INT(conn_mastodon.parse_action_result(&acct, &act, &r, &res,
	    &err), CONN_RATELIMITED);
	conn_error_clear(&err);
	r = resp(401, "{\"error\":\"The access token is invalid\"}");
	CHECK_INT(conn_mastodon.parse_action_result(&acct, &act, &r, &res,
	    &err), CONN_AUTH);
	conn_error_clear(&err);
	free(block);
	free(mute);
	free(report);
}

static void
test_rules(void)
{
	struct http_request req;
	struct conn_rules rules;
	struct conn_error err;
	struct http_response r;
	size_t len;
	char *body = fixture("instance_rules.json", &len);

	conn_error_clear(&err);
	CHECK_INT(conn_mastodon.rules_request(&acct, &req, &err), 0);
	CHECK_STR(req.url, "https://social.bund.de/api/v1/instance/rules");
	http_request_free(&req);
	r = resp(200, body);
	CHECK_INT(conn_mastodon.parse_rules(&r, &rules, &err), 0);
	CHECK_INT(rules.n, 3);
	if (rules.n == 3) {
		CHECK_STR(rules.v[2].id, "5");
		CHECK_STR(rules.v[2].text, "No content illegal in Germany");
	}
	conn_rules_free(&rules);
	r = resp(200, "[{\"id\":1,\"text\":\"x\"}]");
	CHECK_INT(conn_mastodon.parse_rules(&r, &rules, &err), -1);
	CHECK_STR(err.msg, "rules[0].id: expected string, got integer");
	conn_error_clear(&err);
	r = resp(200, "[{\"id\":\"1\",\"te");
	CHECK_INT(conn_mastodon.parse_rules(&r, &rules, &err), -1);
	free(body);
}

/* The next page's cursor from the Link header (PLATFORMS.md (c)). */
static void
test_next_cursor_hint(void)
{
	static const struct {
		const char	*cursor, *link, *want;
		int		 status;
	} cases[] = {
		/* the documented example: rel="prev" carries min_id */
		{ "34975000", "<https://mastodon.example/api/v1/notifications?"
		    "max_id=34975535>; rel=\"next\", <https://mastodon.example/"
		    "api/v1/notifications?min_id=34975861>; rel=\"prev\"",
		    "34975861", 200 },
		/* other parameters around it, prev first */
		{ "5", "<http://h/api/v1/notifications?types%5B%5D=mention&"
		    "min_id=99&limit=80>; rel=\"prev\", <http://h/x?max_id=6>; "
		    "rel=\"next\"", "99", 200 },
		/* no cursor: the first start takes the newest page only */
		{ NULL, "<http://h/n?min_id=99>; rel=\"prev\"", NULL, 200 },
		/* not newer than the cursor: nothing to ask for */
		{ "99", "<http://h/n?min_id=99>; rel=\"prev\"", NULL, 200 },
		{ "100", "<http://h/n?min_id=99>; rel=\"prev\"", NULL, 200 },
		/* no prev link, no min_id, not a number, not an answer */
		{ "5", "<http://h/n?max_id=4>; rel=\"next\"", NULL, 200 },
		{ "5", "<http://h/n?since_id=9>; rel=\"prev\"", NULL, 200 },
		{ "5", "<http://h/n?xmin_id=9>; rel=\"prev\"", NULL, 200 },
		{ "5", "<http://h/n?min_id=9a>; rel=\"prev\"", NULL, 200 },
		{ "5", "<http://h/n?min_id=>; rel=\"prev\"", NULL, 200 },
		{ "5", "<http://h/n?min_id=9; rel=\"prev\"", NULL, 200 },
		{ "5", "<http://h/n?min_id=9>; rel=\"prev\"", NULL, 503 },
		{ "5", NULL, NULL, 200 },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct http_response r = resp(cases[i].status, "[]");
		char *got;

		if (cases[i].link != NULL)
			http_headers_add(&r.headers, "Link", cases[i].link);
		got = conn_mastodon.next_cursor_hint(cases[i].cursor, &r);
		if (cases[i].want == NULL) {
			if (got != NULL)
				fprintf(stderr, "case %zu: got %s\n", i, got);
			CHECK(got == NULL);
		} else
			CHECK_STR(got, cases[i].want);
		free(got);
		http_headers_free(&r.headers);
	}
}

/* The limits of a 200 with no requests left and the reset `reset`. */
static void
exhausted_until(const char *reset, time_t now, struct conn_ratelimit *rl)
{
	struct http_response r = resp(200, "[]");

	http_headers_add(&r.headers, "X-RateLimit-Remaining", "0");
	http_headers_add(&r.headers, "X-RateLimit-Reset", reset);
	conn_mastodon.parse_ratelimit(&r, now, rl);
	http_headers_free(&r.headers);
}

static void
test_ratelimit(void)
{
	struct http_response r = resp(200, "[]");
	struct conn_ratelimit rl;
	time_t now = 1714564800;	/* 2024-05-01T12:00:00Z */

	http_headers_add(&r.headers, "x-ratelimit-limit", "300");
	http_headers_add(&r.headers, "X-RateLimit-Remaining", "299");
	http_headers_add(&r.headers, "X-RateLimit-Reset",
	    "2024-05-01T12:05:00.000000Z");
	conn_mastodon.parse_ratelimit(&r, now, &rl);
	CHECK_INT(rl.known, CONN_RL_LIMIT | CONN_RL_REMAINING | CONN_RL_RESET);
	CHECK_INT(rl.limit, 300);
	CHECK_INT(rl.remaining, 299);
	CHECK_INT(rl.reset, now + 300);
	CHECK_INT(rl.retry_at, 0);
	http_headers_free(&r.headers);

	/* 429 without Retry-After: wait until the reset. */
	r = resp(429, "{\"error\":\"Too many requests\"}");
	http_headers_add(&r.headers, "X-RateLimit-Remaining", "0");
	http_headers_add(&r.headers, "X-RateLimit-Reset",
	    "2024-05-01T14:05:00.123+02:00");
	conn_mastodon.parse_ratelimit(&r, now, &rl);
	CHECK_INT(rl.reset, now + 300);
	CHECK_INT(rl.retry_at, now + 300);
	CHECK(conn_mastodon.classify_status(429) == CONN_RATELIMITED);
	http_headers_free(&r.headers);

	/* Remaining 0 on a success also means: wait. */
	exhausted_until("2024-05-01T12:01:00Z", now, &rl);
	CHECK_INT(rl.retry_at, now + 60);

	/* Retry-After, both forms; the later of it and the reset wins. */
	r = resp(429, "");
	http_headers_add(&r.headers, "Retry-After", "120");
	conn_mastodon.parse_ratelimit(&r, now, &rl);
	CHECK_INT(rl.retry_at, now + 120);
	CHECK(rl.known & CONN_RL_RETRY_AFTER);
	http_headers_free(&r.headers);
	r = resp(503, "");
	http_headers_add(&r.headers, "Retry-After",
	    "Wed, 01 May 2024 12:10:00 GMT");
	conn_mastodon.parse_ratelimit(&r, now, &rl);
	CHECK_INT(rl.retry_at, now + 600);
	http_headers_free(&r.headers);

	/* A 429 whose reset has passed still waits a second. */
	r = resp(429, "");
	http_headers_add(&r.headers, "X-RateLimit-Reset",
	    "2024-05-01T11:00:00Z");
	conn_mastodon.parse_ratelimit(&r, now, &rl);
	CHECK_INT(rl.retry_at, now + 1);
	http_headers_free(&r.headers);

	/* A reset days ahead (a server's clock) pauses for a day at most. */
	exhausted_until("2024-05-09T12:00:00Z", now, &rl);
	CHECK_INT(rl.reset, now + 86400);
	CHECK_INT(rl.retry_at, now + 86400);
	exhausted_until("4102444800", now, &rl);
	CHECK_INT(rl.reset, now + 86400);

	/* 429 with nothing at all: a minute. */
	r = resp(429, "");
	conn_mastodon.parse_ratelimit(&r, now, &rl);
	CHECK_INT(rl.known, 0);
	CHECK_INT(rl.retry_at, now + 60);

	/* Garbage is ignored, absurd waits are capped at a day. */
	http_headers_add(&r.headers, "X-RateLimit-Remaining", "-1");
	http_headers_add(&r.headers, "X-RateLimit-Limit", "12abc");
	http_headers_add(&r.headers, "Retry-After", "99999999999");
	conn_mastodon.parse_ratelimit(&r, now, &rl);
	CHECK_INT(rl.known, CONN_RL_RETRY_AFTER);
	CHECK_INT(rl.retry_at, now + 86400);
	http_headers_free(&r.headers);
}

static void
test_helpers(void)
{
	time_t t;
	char *buf = NULL;
	size_t len = 0;

	CHECK_INT(conn_parse_iso8601("2019-12-08T03:48:33.901Z", &t), 0);
	CHECK_INT(t, 1575776913);
	CHECK_INT(conn_parse_iso8601("2019-12-16T12:09:40+0000", &t), 0);
	CHECK_INT(t, 1576498180);
	CHECK_INT(conn_parse_iso8601("2019-12-16T13:09:40+01:00", &t), 0);
	CHECK_INT(t, 1576498180);
	CHECK_INT(conn_parse_iso8601("2019-12-16T07:09:40-05", &t), 0);
	CHECK_INT(t, 1576498180);
	CHECK_INT(conn_parse_iso8601("2019-12-16T12:09:40", &t), -1);
	CHECK_INT(conn_parse_iso8601("2019-13-16T12:09:40Z", &t), -1);
	CHECK_INT(conn_parse_iso8601("2019-12-16T12:09:40.Z", &t), -1);
	CHECK_INT(conn_parse_iso8601("2019-12-16T12:09:40Zjunk", &t), -1);
	CHECK_INT(conn_parse_iso8601("", &t), -1);
	CHECK_INT(conn_parse_iso8601(NULL, &t), -1);
	CHECK_INT(conn_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &t),
	    0);
	CHECK_INT(t, 784111777);
	CHECK_INT(conn_parse_http_date("Sun, 06 Nov 1994 08:49:37", &t), -1);

	CHECK(conn_id_cmp("10", "9") > 0);
	CHECK(conn_id_cmp("009", "9") == 0);
	CHECK(conn_id_cmp("112365000000000003", "112365000000000002") > 0);
	CHECK(conn_id_cmp("x", "0") == 0);
	CHECK(conn_id_is_numeric("123"));
	CHECK(!conn_id_is_numeric(""));
	CHECK(!conn_id_is_numeric("12a"));

	conn_form_add(&buf, &len, "status_ids[]", "1 2&3=ä");
	conn_form_add(&buf, &len, "x", "");
	CHECK_STR(buf, "status_ids%5B%5D=1%202%263%3D%C3%A4&x=");
	CHECK_INT((int)len, (int)strlen(buf));
	free(buf);
	buf = NULL;
	len = 0;
	conn_urlencode_append(&buf, &len, "");		/* a string, not NULL */
	CHECK(buf != NULL && buf[0] == '\0' && len == 0);
	conn_urlencode_append(&buf, &len, "Verstoß (Regel insult.x~1)");
	conn_urlencode_append(&buf, &len, "/");
	CHECK_STR(buf, "Versto%C3%9F%20%28Regel%20insult.x~1%29%2F");
	CHECK_INT((int)len, (int)strlen(buf));
	free(buf);

	CHECK_INT(conn_classify_status(200), CONN_OK);
	CHECK_INT(conn_classify_status(204), CONN_OK);
	CHECK_INT(conn_classify_status(0), CONN_RETRY);
	CHECK_INT(conn_classify_status(500), CONN_RETRY);
	CHECK_INT(conn_classify_status(408), CONN_RETRY);
	CHECK_INT(conn_classify_status(401), CONN_AUTH);
	CHECK_INT(conn_classify_status(403), CONN_AUTH);
	CHECK_INT(conn_classify_status(404), CONN_PERMANENT);
	CHECK_INT(conn_classify_status(422), CONN_PERMANENT);
	/* of the retried ones, which say nothing was done */
	CHECK(conn_status_unapplied(503));
	CHECK(conn_status_unapplied(408));
	CHECK(conn_status_unapplied(425));
	CHECK(!conn_status_unapplied(500));
	CHECK(!conn_status_unapplied(502));
	CHECK(!conn_status_unapplied(504));
	CHECK(!conn_status_unapplied(0));
	CHECK_STR(conn_status_name(CONN_RATELIMITED), "ratelimited");
}

int
main(void)
{
	test_table();
	test_repeat_harmless();
	test_poll_request();
	test_parse_example();
	test_json_spans();
	test_parse_page();
	test_pruned_same();
	test_padding_hides_nothing();
	test_wrong_types();
	test_broken();
	test_actions();
	test_action_results();
	test_rules();
	test_ratelimit();
	test_next_cursor_hint();
	test_helpers();
	return tu_finish("test_conn_mastodon");
}
