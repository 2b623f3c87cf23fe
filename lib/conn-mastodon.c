/*
 * conn-mastodon.c: the Mastodon backend of connector.h (PLATFORMS.md
 * section 1).  Pure functions only: request builders and response parsers.
 *
 * Polling.  Comments and DMs both arrive as `mention` notifications:
 *
 *   GET /api/v1/notifications?types[]=mention&include_filtered=true
 *       &limit=40&min_id=<cursor>
 *
 * A DM is a mention whose status has visibility "direct"; include_filtered
 * is needed because Mastodon 4.3+ filters private mentions by default.
 * The cursor is the highest notification id seen.  With min_id the server
 * returns the page immediately newer than the cursor (still sorted newest
 * first), so catching up is: request with min_id = cursor, take the highest
 * id as the new cursor, repeat until a page is empty.  A page shorter than
 * the limit is not taken as the end, because the server may drop entries
 * (deleted statuses) after applying the limit; only [] is.
 *
 * First start (no cursor): one request without min_id returns the newest
 * page (up to the limit) of mentions; they are screened and the highest id
 * becomes the cursor, and the page is reported as done.  Older history is
 * not walked: acting on months-old comments on the first start would
 * surprise the editors, and the newest page covers what is still visible
 * in a running discussion.
 *
 * Actions: block, mute (with duration), unblock, unmute and report through
 * the user API; with an admin token and a configured admin action, a block
 * can be sent as POST /api/v1/admin/accounts/:id/action instead.  Mastodon
 * has no hide, and a user cannot delete other people's replies.
 *
 * Every POST carries Idempotency-Key when the action has one.  Mastodon
 * itself honours that header only when posting statuses.  Block, mute and
 * their undos set a state and are harmless to repeat; a report sent twice
 * becomes two reports, and an admin account action records a second
 * warning against the account, so neither is (repeat_harmless).  The key
 * is sent anyway for proxies.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connector.h"
#include "html2text.h"
#include "jsonprune.h"
#include "xmalloc.h"

#define MASTODON_LIMIT		40
#define MASTODON_LIMIT_MAX	80
#define MASTODON_COMMENT_MAX	1000	/* characters of a report comment */
#define MASTODON_ID_MAX		64

static const char *
mastodon_json_type(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:	return "object";
	case JSON_ARRAY:	return "array";
	case JSON_STRING:	return "string";
	case JSON_INTEGER:	return "integer";
	case JSON_REAL:		return "number";
	case JSON_TRUE:
	case JSON_FALSE:	return "boolean";
	case JSON_NULL:		return "null";
	}
	return "unknown";
}

/* ---- small builders ---- */

static void
mastodon_str_append(char **buf, size_t *len, const char *s)
{
	size_t n = strlen(s);

	*buf = xreallocarray(*buf, *len + n + 1, 1);
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

/* A base URL we can build on: http(s)://, no trailing slash. */
static int
mastodon_base(const struct conn_account *a, char **base, size_t *len,
    struct conn_error *err)
{
	size_t n;

	if (a == NULL || a->base_url == NULL ||
	    (strncmp(a->base_url, "https://", 8) != 0 &&
	    strncmp(a->base_url, "http://", 7) != 0)) {
		conn_error_set(err, CONN_PERMANENT, 0,
		    "account base_url: expected http(s)://host");
		return -1;
	}
	n = strlen(a->base_url);
	while (n > 0 && a->base_url[n - 1] == '/')
		n--;
	*base = xstrndup(a->base_url, n);
	*len = n;
	return 0;
}

static void
mastodon_request_init(const struct conn_account *a, struct http_request *req,
    const char *method, char *url)
{
	char *auth;

	memset(req, 0, sizeof *req);
	req->method = xstrdup(method);
	req->url = url;
	http_headers_add(&req->headers, "Accept", "application/json");
	if (a->token != NULL && a->token[0] != '\0') {
		xasprintf(&auth, "Bearer %s", a->token);
		http_headers_add(&req->headers, "Authorization", auth);
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
}

/* Ids go into URL paths: refuse anything that is not a plain id. */
static bool
mastodon_id_ok(const char *s)
{
	size_t n;

	if (s == NULL || s[0] == '\0')
		return false;
	for (n = 0; s[n] != '\0'; n++)
		if (n >= MASTODON_ID_MAX || !((s[n] >= '0' && s[n] <= '9') ||
		    (s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' &&
		    s[n] <= 'Z') || s[n] == '_' || s[n] == '-'))
			return false;
	return true;
}

/* ---- capabilities ---- */

static unsigned
mastodon_capabilities(const struct conn_account *a)
{
	unsigned caps = ACT_BLOCK | ACT_MUTE | ACT_REPORT | ACT_UNBLOCK |
	    ACT_UNMUTE;

	if (a != NULL && a->admin && a->admin_action != NULL)
		caps |= CONN_CAP_ADMIN;
	return caps;
}

/* A repeated block or mute sets what is set; a report or admin action adds one. */
static bool
mastodon_repeat_harmless(const struct conn_account *a,
    const struct conn_action *act)
{
	(void)a;
	switch (act->kind) {
	case ACT_BLOCK:
		return !act->use_admin;
	case ACT_MUTE:
	case ACT_UNBLOCK:
	case ACT_UNMUTE:
		return true;
	default:
		return false;
	}
}

/* ---- polling ---- */

static int
mastodon_poll_request(const struct conn_account *a, enum conn_stream stream,
    const char *cursor, struct http_request *req, struct conn_error *err)
{
	char *url, lim[16];
	size_t len;
	int limit;

	memset(req, 0, sizeof *req);
	if (stream != CONN_STREAM_INBOX) {
		conn_error_set(err, CONN_PERMANENT, 0,
		    "mastodon polls only the inbox stream");
		return -1;
	}
	if (cursor != NULL && !conn_id_is_numeric(cursor)) {
		conn_error_set(err, CONN_PERMANENT, 0,
		    "cursor: expected a notification id");
		return -1;
	}
	if (mastodon_base(a, &url, &len, err) == -1)
		return -1;
	limit = a->page_limit > 0 ? a->page_limit : MASTODON_LIMIT;
	if (limit > MASTODON_LIMIT_MAX)
		limit = MASTODON_LIMIT_MAX;
	snprintf(lim, sizeof lim, "%d", limit);
	mastodon_str_append(&url, &len, "/api/v1/notifications?"
	    "types%5B%5D=mention&include_filtered=true&limit=");
	mastodon_str_append(&url, &len, lim);
	if (cursor != NULL) {
		mastodon_str_append(&url, &len, "&min_id=");
		mastodon_str_append(&url, &len, cursor);
	}
	mastodon_request_init(a, req, "GET", url);
	return 0;
}

/* The "error" member of an error body, made printable and short. */
static void
mastodon_body_error(const struct http_response *r, char *buf, size_t len)
{
	json_t *root, *e;
	const char *s = NULL;
	size_t i, o = 0;

	buf[0] = '\0';
	if (r->body == NULL || r->bodylen == 0)
		return;
	root = json_loadb(r->body, r->bodylen, 0, NULL);
	if (root != NULL && json_is_object(root) &&
	    (e = json_object_get(root, "error")) != NULL && json_is_string(e))
		s = json_string_value(e);
	for (i = 0; s != NULL && s[i] != '\0' && o + 1 < len && i < 200; i++)
		buf[o++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ?
		    '?' : s[i];
	buf[o] = '\0';
	json_decref(root);
}

/* Fails err for a non-2xx response; 0 when the status is a success. */
static int
mastodon_check_status(const struct http_response *r, const char *what,
    struct conn_error *err)
{
	enum conn_status st = conn_classify_status(r->status);
	char msg[256];

	if (st == CONN_OK)
		return 0;
	mastodon_body_error(r, msg, sizeof msg);
	if (r->status == 0)
		conn_error_set(err, st, 0, "%s: no response", what);
	else
		conn_error_set(err, st, r->status, "%s: HTTP %d%s%s", what,
		    r->status, msg[0] ? ": " : "", msg);
	return -1;
}

/*
 * Reads member key of obj as a string.  Returns 0 (with *out NULL when
 * absent or null and that is allowed) or -1 with why set to
 * "<path>.<key>: expected string, got integer".
 */
static int
mastodon_get_str(const json_t *obj, const char *path, const char *key,
    bool required, const char **out, char *why, size_t whylen)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		snprintf(why, whylen, "%s.%s: %s", path, key,
		    v == NULL ? "missing" : "expected string, got null");
		return -1;
	}
	if (!json_is_string(v)) {
		snprintf(why, whylen, "%s.%s: expected string, got %s", path,
		    key, mastodon_json_type(v));
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

static void
mastodon_add_skip(struct conn_page *p, const char *id, const char *why)
{
	p->skipped = xreallocarray(p->skipped, p->nskipped + 1,
	    sizeof *p->skipped);
	p->skipped[p->nskipped].id = id != NULL ? xstrdup(id) : NULL;
	p->skipped[p->nskipped].why = xstrdup(why);
	p->nskipped++;
}

/* Appends "\n\n" + s to the text unless s is empty. */
static void
mastodon_text_more(char **text, size_t *len, const char *s)
{
	if (s == NULL || s[0] == '\0')
		return;
	if (*len > 0)
		mastodon_str_append(text, len, "\n\n");
	mastodon_str_append(text, len, s);
}

/*
 * The text the rules see: content warning, content, media descriptions and
 * poll options.  Abuse hides in all of them.  Wrong types here are not
 * worth dropping the item for; they are simply not added.
 */
static char *
mastodon_text(const json_t *st, const char *spoiler, const char *html)
{
	const json_t *arr, *v, *d, *poll;
	char *text = NULL, *body;
	size_t len = 0, i;

	mastodon_str_append(&text, &len, "");
	mastodon_text_more(&text, &len, spoiler);
	/*
	 * All of it: a remote status has no length limit, and padding that
	 * converts to nothing (empty paragraphs, whitespace) hid whatever
	 * came after an input cap.  The page is bounded by the HTTP client;
	 * a text longer than the rule engine reads goes to review.
	 */
	body = html2text(html, strlen(html), strlen(html) + 1, NULL);
	mastodon_text_more(&text, &len, body);
	free(body);
	arr = json_object_get(st, "media_attachments");
	if (json_is_array(arr))
		json_array_foreach(arr, i, v) {
			d = json_object_get(v, "description");
			if (json_is_string(d))
				mastodon_text_more(&text, &len,
				    json_string_value(d));
		}
	poll = json_object_get(st, "poll");
	arr = json_is_object(poll) ? json_object_get(poll, "options") : NULL;
	if (json_is_array(arr))
		json_array_foreach(arr, i, v) {
			d = json_object_get(v, "title");
			if (json_is_string(d))
				mastodon_text_more(&text, &len,
				    json_string_value(d));
		}
	return text;
}

/*
 * One notification into it.  Returns 1 for an item, 0 for a notification
 * that is not ours to screen (another type), -1 with why set.
 */
static int
mastodon_parse_one(const struct conn_account *a, const json_t *n,
    const char *raw, size_t rawlen, const char *path, struct conn_item *it,
    char *why, size_t whylen)
{
	const json_t *st, *au;
	const char *type, *sid, *html, *aid, *acct, *dname, *vis, *spoiler;
	const char *url, *uri, *reply, *created;
	char spath[96], apath[128];
	time_t t;

	if (mastodon_get_str(n, path, "type", true, &type, why, whylen) == -1)
		return -1;
	if (strcmp(type, "mention") != 0)
		return 0;
	st = json_object_get(n, "status");
	if (st == NULL || !json_is_object(st)) {
		snprintf(why, whylen, "%s.status: %s", path, st == NULL ?
		    "missing" : json_is_null(st) ? "null (status deleted?)" :
		    "expected object");
		if (st != NULL && !json_is_null(st))
			snprintf(why, whylen, "%s.status: expected object, "
			    "got %s", path, mastodon_json_type(st));
		return -1;
	}
	snprintf(spath, sizeof spath, "%s.status", path);
	if (mastodon_get_str(st, spath, "id", true, &sid, why, whylen) == -1 ||
	    mastodon_get_str(st, spath, "content", true, &html, why,
	    whylen) == -1 ||
	    mastodon_get_str(st, spath, "visibility", false, &vis, why,
	    whylen) == -1 ||
	    mastodon_get_str(st, spath, "spoiler_text", false, &spoiler, why,
	    whylen) == -1 ||
	    mastodon_get_str(st, spath, "url", false, &url, why, whylen) == -1 ||
	    mastodon_get_str(st, spath, "uri", false, &uri, why, whylen) == -1 ||
	    mastodon_get_str(st, spath, "in_reply_to_id", false, &reply, why,
	    whylen) == -1 ||
	    mastodon_get_str(st, spath, "created_at", false, &created, why,
	    whylen) == -1)
		return -1;
	if (!mastodon_id_ok(sid)) {
		snprintf(why, whylen, "%s.id: not a status id", spath);
		return -1;
	}
	if (reply != NULL && !mastodon_id_ok(reply)) {
		snprintf(why, whylen, "%s.in_reply_to_id: not a status id",
		    spath);
		return -1;
	}
	/* The status's author; the notification's account is the same one. */
	au = json_object_get(st, "account");
	snprintf(apath, sizeof apath, "%s.account", spath);
	if (au == NULL || json_is_null(au)) {
		au = json_object_get(n, "account");
		snprintf(apath, sizeof apath, "%s.account", path);
	}
	if (au == NULL || !json_is_object(au)) {
		snprintf(why, whylen, "%s: %s", apath, au == NULL ? "missing" :
		    "expected object");
		return -1;
	}
	if (mastodon_get_str(au, apath, "id", true, &aid, why, whylen) == -1 ||
	    mastodon_get_str(au, apath, "acct", true, &acct, why,
	    whylen) == -1 ||
	    mastodon_get_str(au, apath, "display_name", false, &dname, why,
	    whylen) == -1)
		return -1;
	if (!mastodon_id_ok(aid)) {
		snprintf(why, whylen, "%s.id: not an account id", apath);
		return -1;
	}
	if (created == NULL &&
	    mastodon_get_str(n, path, "created_at", false, &created, why,
	    whylen) == -1)
		return -1;

	memset(it, 0, sizeof *it);
	it->platform = "mastodon";
	it->account = xstrdup(a != NULL && a->name != NULL ? a->name : "");
	it->id = xstrdup(sid);
	it->kind = vis != NULL && strcmp(vis, "direct") == 0 ?
	    CONN_ITEM_DM : CONN_ITEM_COMMENT;
	it->author_id = xstrdup(aid);
	it->author_handle = xstrdup(acct);
	it->author_name = xstrdup(dname != NULL ? dname : "");
	it->text = mastodon_text(st, spoiler, html);
	it->html = xstrdup(html);
	/* the platform's own bytes for evidence, when the page gave them */
	it->raw_json = raw != NULL ? xstrndup(raw, rawlen) :
	    json_dumps(n, JSON_COMPACT);
	if (it->raw_json == NULL)
		it->raw_json = xstrdup("{}");
	if (url != NULL)
		it->permalink = xstrdup(url);
	else if (uri != NULL)
		it->permalink = xstrdup(uri);
	if (reply != NULL) {
		/* No root without a /context call; the replied-to post it is. */
		it->parent_id = xstrdup(reply);
		it->thread_id = xstrdup(reply);
	}
	if (created != NULL) {
		it->created_at_iso = xstrdup(created);
		if (conn_parse_iso8601(created, &t) == 0)
			it->created_at = t;
	}
	return 1;
}

/*
 * The members of a notification that mastodon_parse_one and mastodon_text
 * read, at any depth; the rest is pruned before jansson builds the page.
 * A name missing here reads as missing: test_conn_mastodon parses pages
 * both ways and compares.
 */
const char *const conn_mastodon_page_keys[] = {
	"id", "type", "created_at", "account", "status", "content",
	"visibility", "spoiler_text", "url", "uri", "in_reply_to_id", "acct",
	"display_name", "media_attachments", "description", "poll", "options",
	"title",
};
const size_t conn_mastodon_npage_keys = sizeof conn_mastodon_page_keys /
    sizeof conn_mastodon_page_keys[0];

/*
 * The page as jansson builds it, pruned when the pruner is sure of the
 * text and the raw notifications can still be cut from the original (the
 * evidence keeps the platform's bytes, never the pruned ones); otherwise
 * the original, whose errors jansson names.  *spansp: where each
 * notification is in the original, or NULL when they cannot be cut out.
 */
static json_t *
mastodon_page_root(const struct http_response *r, json_error_t *jerr,
    struct conn_span **spansp)
{
	json_t			*root = NULL;
	struct conn_span	*spans;
	char			*pruned;
	size_t			 plen, n;
	bool			 was_pruned = false;

	*spansp = NULL;
	if (json_prune(r->body, r->bodylen, conn_mastodon_page_keys,
	    conn_mastodon_npage_keys, &pruned,
	    &plen) == 0) {
		root = json_loadb(pruned, plen, 0, jerr);
		free(pruned);
		if (root != NULL && !json_is_array(root)) {
			json_decref(root);
			root = NULL;
		}
		was_pruned = root != NULL;
	}
	if (root == NULL) {
		root = json_loadb(r->body, r->bodylen, 0, jerr);
		if (root == NULL || !json_is_array(root))
			return root;
	}
	n = json_array_size(root);
	spans = xcalloc(n ? n : 1, sizeof *spans);
	if (conn_json_array_spans(r->body, r->bodylen, spans, n) == (long)n) {
		*spansp = spans;
		return root;
	}
	free(spans);
	if (!was_pruned)
		return root;
	/* a pruned page whose elements cannot be cut out is not trusted */
	json_decref(root);
	return json_loadb(r->body, r->bodylen, 0, jerr);
}

/*
 * What an action's answer is checked for, at its top level; a report
 * answer carries the whole reported account, which nobody reads.
 */
static const char *const mastodon_result_keys[] = {
	"id", "blocking", "muting",
};

/* body pruned to keys when the pruner is sure of it, else as it is */
static json_t *
mastodon_load_pruned(const char *body, size_t len, const char *const *keys,
    size_t nkeys)
{
	json_t	*root;
	char	*pruned;
	size_t	 plen;

	if (json_prune(body, len, keys, nkeys, &pruned, &plen) == -1)
		return json_loadb(body, len, 0, NULL);
	root = json_loadb(pruned, plen, 0, NULL);
	free(pruned);
	return root;
}

static int
mastodon_parse_page(const struct conn_account *a, enum conn_stream stream,
    const char *cursor, const struct http_response *r, struct conn_page *p,
    struct conn_error *err)
{
	json_t *root, *n, *idv;
	json_error_t jerr;
	struct conn_span *spans;
	char path[48], why[320];
	const char *best = NULL;
	size_t i, nvalid = 0;
	int rv;

	memset(p, 0, sizeof *p);
	if (mastodon_check_status(r, "notifications", err) == -1)
		return -1;
	if (r->body == NULL || r->bodylen == 0) {
		conn_error_set(err, CONN_RETRY, r->status,
		    "notifications: empty body");
		return -1;
	}
	root = mastodon_page_root(r, &jerr, &spans);
	if (root == NULL) {
		conn_error_set(err, CONN_RETRY, r->status,
		    "notifications: invalid JSON at line %d column %d: %s",
		    jerr.line, jerr.column, jerr.text);
		return -1;
	}
	if (!json_is_array(root)) {
		conn_error_set(err, CONN_RETRY, r->status,
		    "notifications: expected array, got %s",
		    mastodon_json_type(root));
		json_decref(root);
		return -1;
	}
	p->items = xcalloc(json_array_size(root) ? json_array_size(root) : 1,
	    sizeof *p->items);
	json_array_foreach(root, i, n) {
		const char *nid = NULL;

		snprintf(path, sizeof path, "notifications[%zu]", i);
		if (!json_is_object(n)) {
			snprintf(why, sizeof why, "%s: expected object, got %s",
			    path, mastodon_json_type(n));
			mastodon_add_skip(p, NULL, why);
			continue;
		}
		idv = json_object_get(n, "id");
		if (idv == NULL || !json_is_string(idv) ||
		    !conn_id_is_numeric(json_string_value(idv))) {
			snprintf(why, sizeof why, "%s.id: %s", path,
			    idv == NULL ? "missing" : !json_is_string(idv) ?
			    "expected string" : "not a notification id");
			if (idv != NULL && !json_is_string(idv))
				snprintf(why, sizeof why, "%s.id: expected "
				    "string, got %s", path,
				    mastodon_json_type(idv));
			mastodon_add_skip(p, NULL, why);
			continue;
		}
		nid = json_string_value(idv);
		nvalid++;
		if (best == NULL || conn_id_cmp(nid, best) > 0)
			best = nid;
		rv = mastodon_parse_one(a, n, spans ? r->body + spans[i].off :
		    NULL, spans ? spans[i].len : 0, path, &p->items[p->nitems],
		    why, sizeof why);
		if (rv == 1)
			p->nitems++;
		else if (rv == -1)
			mastodon_add_skip(p, nid, why);
	}
	if (json_array_size(root) > 0 && nvalid == 0) {
		/* Nothing to move the cursor past: the same page again. */
		free(spans);
		conn_page_free(p);
		conn_error_set(err, CONN_RETRY, r->status,
		    "notifications: no entry with a usable id");
		json_decref(root);
		return -1;
	}
	if (best != NULL && (cursor == NULL || conn_id_cmp(best, cursor) > 0))
		p->next_cursor = xstrdup(best);
	/*
	 * Done on an empty page, on the first start (newest page only), and
	 * when the server ignored min_id and sent nothing newer: asking again
	 * would return the same page forever.
	 */
	p->done = cursor == NULL || json_array_size(root) == 0 ||
	    p->next_cursor == NULL;
	free(spans);
	json_decref(root);
	return 0;
}

/*
 * The Link header's rel="prev" URL carries min_id = the newest id of this
 * page (PLATFORMS.md (c)), which is what mastodon_parse_page makes the
 * next cursor.  Only the min_id walk of a catch-up asks for more.
 */
static char *
mastodon_next_cursor_hint(const char *cursor, const struct http_response *r)
{
	const char	*link, *p, *end, *rel, *q;
	size_t		 n;
	char		*id;

	if (cursor == NULL || r->status != 200 ||
	    (link = http_response_header(r, "Link")) == NULL)
		return NULL;
	for (p = link; (p = strchr(p, '<')) != NULL; p = end + 1) {
		if ((end = strchr(p, '>')) == NULL)
			return NULL;
		/* the parameters of this link run to the next ',' */
		rel = end + 1;
		n = strcspn(rel, ",");
		if (memmem(rel, n, "rel=\"prev\"", 10) == NULL)
			continue;
		for (q = p; q < end; q++)
			if ((*q == '?' || *q == '&') && end - q > 8 &&
			    strncmp(q + 1, "min_id=", 7) == 0)
				break;
		if (q >= end)
			return NULL;
		q += 8;
		n = strcspn(q, "&>");
		if (n == 0 || n > 32 || q + n > end)
			return NULL;
		id = xstrndup(q, n);
		if (!conn_id_is_numeric(id) || conn_id_cmp(id, cursor) <= 0) {
			free(id);
			return NULL;
		}
		return id;
	}
	return NULL;
}

/* ---- actions ---- */

/* Copies at most max characters (code points) of s. */
static void
mastodon_append_chars(char **buf, size_t *len, const char *s, size_t max)
{
	size_t i = 0, chars = 0;
	char *tmp;

	while (s[i] != '\0') {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (chars == max)
				break;
			chars++;
		}
		i++;
	}
	tmp = xstrndup(s, i);
	mastodon_str_append(buf, len, tmp);
	free(tmp);
}

static size_t
mastodon_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * The report comment names our netiquette clause and rule, so that the
 * instance's moderators can see why an authority reports.
 */
static char *
mastodon_report_comment(const struct conn_account *a,
    const struct conn_action *act)
{
	char *head, *out = NULL;
	size_t len = 0, used;
	const char *cat = category_name(act->category);
	const char *clause = category_clause(act->category);

	xasprintf(&head, "Verstoß gegen die Netiquette%s%s: %s (Kategorie "
	    "%s%s%s).", a->name != NULL ? " von " : "",
	    a->name != NULL ? a->name : "", clause != NULL ? clause : "?",
	    cat != NULL ? cat : "?", act->rule != NULL ? ", Regel " : "",
	    act->rule != NULL ? act->rule : "");
	mastodon_str_append(&out, &len, "");
	mastodon_append_chars(&out, &len, head, MASTODON_COMMENT_MAX);
	free(head);
	used = mastodon_chars(out);
	if (act->comment != NULL && act->comment[0] != '\0' &&
	    used + 1 < MASTODON_COMMENT_MAX) {
		mastodon_str_append(&out, &len, " ");
		mastodon_append_chars(&out, &len, act->comment,
		    MASTODON_COMMENT_MAX - used - 1);
	}
	return out;
}

static const char *
mastodon_report_category(enum category c)
{
	switch (c) {
	case CAT_COMMERCIAL:
		return "spam";
	case CAT_ILLEGAL:
	case CAT_VIOLENCE:
		return "legal";
	default:
		return "other";
	}
}

static int
mastodon_action_request(const struct conn_account *a,
    const struct conn_action *act, struct http_request *req,
    struct conn_error *err)
{
	char *url = NULL, *body = NULL, *comment, num[32];
	const char *verb = NULL;
	size_t len = 0, blen = 0, i;
	bool admin = false, rules = false;

	memset(req, 0, sizeof *req);
	if (act == NULL || !mastodon_id_ok(act->author_id)) {
		conn_error_set(err, CONN_PERMANENT, 0,
		    "action: author_id is not an account id");
		return -1;
	}
	if (act->item_id != NULL && !mastodon_id_ok(act->item_id)) {
		conn_error_set(err, CONN_PERMANENT, 0,
		    "action: item_id is not a status id");
		return -1;
	}
	switch (act->kind) {
	case ACT_BLOCK:
		if (act->use_admin) {
			if (!a->admin || a->admin_action == NULL) {
				conn_error_set(err, CONN_PERMANENT, 0,
				    "action: admin block needs an admin token "
				    "and admin_action");
				return -1;
			}
			admin = true;
		} else
			verb = "block";
		break;
	case ACT_MUTE:	verb = "mute"; break;
	case ACT_UNBLOCK: verb = "unblock"; break;
	case ACT_UNMUTE: verb = "unmute"; break;
	case ACT_REPORT: break;
	default:
		conn_error_set(err, CONN_PERMANENT, 0,
		    "mastodon cannot %s", action_name(act->kind) != NULL ?
		    action_name(act->kind) : "do this");
		return -1;
	}
	if (mastodon_base(a, &url, &len, err) == -1)
		return -1;
	mastodon_str_append(&body, &blen, "");
	if (verb != NULL) {
		mastodon_str_append(&url, &len, "/api/v1/accounts/");
		mastodon_str_append(&url, &len, act->author_id);
		mastodon_str_append(&url, &len, "/");
		mastodon_str_append(&url, &len, verb);
		if (act->kind == ACT_MUTE) {
			snprintf(num, sizeof num, "%ld", act->mute_seconds > 0 ?
			    act->mute_seconds : 0);
			conn_form_add(&body, &blen, "notifications", "true");
			conn_form_add(&body, &blen, "duration", num);
		}
	} else if (admin) {
		mastodon_str_append(&url, &len, "/api/v1/admin/accounts/");
		mastodon_str_append(&url, &len, act->author_id);
		mastodon_str_append(&url, &len, "/action");
		conn_form_add(&body, &blen, "type", a->admin_action);
		comment = mastodon_report_comment(a, act);
		conn_form_add(&body, &blen, "text", comment);
		free(comment);
		conn_form_add(&body, &blen, "send_email_notification", "false");
	} else {
		mastodon_str_append(&url, &len, "/api/v1/reports");
		conn_form_add(&body, &blen, "account_id", act->author_id);
		if (act->item_id != NULL)
			conn_form_add(&body, &blen, "status_ids[]",
			    act->item_id);
		comment = mastodon_report_comment(a, act);
		conn_form_add(&body, &blen, "comment", comment);
		free(comment);
		for (i = 0; i < a->nrulemap; i++)
			if (a->rulemap[i].category == act->category &&
			    a->rulemap[i].rule_id != NULL &&
			    mastodon_id_ok(a->rulemap[i].rule_id)) {
				conn_form_add(&body, &blen, "rule_ids[]",
				    a->rulemap[i].rule_id);
				rules = true;
			}
		/* Mastodon forces "violation" when rule_ids[] is given. */
		conn_form_add(&body, &blen, "category", rules ? "violation" :
		    mastodon_report_category(act->category));
		conn_form_add(&body, &blen, "forward",
		    act->forward || a->report_forward ? "true" : "false");
	}
	mastodon_request_init(a, req, "POST", url);
	req->body = body;
	req->bodylen = blen;
	req->content_type = xstrdup("application/x-www-form-urlencoded");
	if (act->idempotency_key != NULL && act->idempotency_key[0] != '\0')
		http_headers_add(&req->headers, "Idempotency-Key",
		    act->idempotency_key);
	return 0;
}

static enum conn_status
mastodon_parse_action_result(const struct conn_account *a,
    const struct conn_action *act, const struct http_response *r,
    struct conn_action_result *res, struct conn_error *err)
{
	json_t *root, *v;
	const char *field = NULL;
	bool want = true;
	char what[32];

	memset(res, 0, sizeof *res);
	snprintf(what, sizeof what, "%s",
	    act != NULL && action_name(act->kind) != NULL ?
	    action_name(act->kind) : "action");
	if (mastodon_check_status(r, what, err) == -1)
		return err->status;
	/* 2xx: the platform applied it.  Check what we can, never retry. */
	root = r->body != NULL && r->bodylen > 0 ?
	    mastodon_load_pruned(r->body, r->bodylen, mastodon_result_keys,
	    sizeof mastodon_result_keys / sizeof mastodon_result_keys[0]) : NULL;
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		return CONN_OK;
	}
	switch (act != NULL ? act->kind : 0) {
	case ACT_BLOCK:
		field = act->use_admin ? NULL : "blocking";
		break;
	case ACT_UNBLOCK:
		field = "blocking";
		want = false;
		break;
	case ACT_MUTE:
		field = "muting";
		break;
	case ACT_UNMUTE:
		field = "muting";
		want = false;
		break;
	case ACT_REPORT:
		v = json_object_get(root, "id");
		if (json_is_string(v) && json_string_length(v) > 0 &&
		    json_string_length(v) <= MASTODON_ID_MAX)
			res->remote_id = xstrdup(json_string_value(v));
		break;
	}
	if (field != NULL && (v = json_object_get(root, field)) != NULL &&
	    json_is_boolean(v) && json_is_true(v) != want) {
		conn_error_set(err, CONN_PERMANENT, r->status,
		    "%s: relationship says %s=%s", what, field,
		    want ? "false" : "true");
		json_decref(root);
		return CONN_PERMANENT;
	}
	json_decref(root);
	return CONN_OK;
}

/* ---- instance rules ---- */

static int
mastodon_rules_request(const struct conn_account *a, struct http_request *req,
    struct conn_error *err)
{
	char *url;
	size_t len;

	memset(req, 0, sizeof *req);
	if (mastodon_base(a, &url, &len, err) == -1)
		return -1;
	mastodon_str_append(&url, &len, "/api/v1/instance/rules");
	mastodon_request_init(a, req, "GET", url);
	return 0;
}

static int
mastodon_parse_rules(const struct http_response *r, struct conn_rules *out,
    struct conn_error *err)
{
	json_t *root, *v;
	json_error_t jerr;
	const char *id, *text;
	char path[32], why[160];
	size_t i;

	memset(out, 0, sizeof *out);
	if (mastodon_check_status(r, "instance rules", err) == -1)
		return -1;
	root = r->body != NULL ? json_loadb(r->body, r->bodylen, 0, &jerr) :
	    NULL;
	if (root == NULL) {
		conn_error_set(err, CONN_RETRY, r->status,
		    "rules: invalid JSON");
		return -1;
	}
	if (!json_is_array(root)) {
		conn_error_set(err, CONN_RETRY, r->status,
		    "rules: expected array, got %s", mastodon_json_type(root));
		json_decref(root);
		return -1;
	}
	out->v = xcalloc(json_array_size(root) ? json_array_size(root) : 1,
	    sizeof *out->v);
	json_array_foreach(root, i, v) {
		snprintf(path, sizeof path, "rules[%zu]", i);
		if (!json_is_object(v)) {
			conn_error_set(err, CONN_PERMANENT, r->status,
			    "%s: expected object, got %s", path,
			    mastodon_json_type(v));
			goto fail;
		}
		if (mastodon_get_str(v, path, "id", true, &id, why,
		    sizeof why) == -1 ||
		    mastodon_get_str(v, path, "text", true, &text, why,
		    sizeof why) == -1) {
			conn_error_set(err, CONN_PERMANENT, r->status, "%s",
			    why);
			goto fail;
		}
		out->v[out->n].id = xstrdup(id);
		out->v[out->n].text = xstrdup(text);
		out->n++;
	}
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	conn_rules_free(out);
	return -1;
}

const struct connector conn_mastodon = {
	.name = "mastodon",
	.streams = CONN_STREAM_INBOX,
	.capabilities = mastodon_capabilities,
	.poll_request = mastodon_poll_request,
	.parse_page = mastodon_parse_page,
	.action_request = mastodon_action_request,
	.parse_action_result = mastodon_parse_action_result,
	.repeat_harmless = mastodon_repeat_harmless,
	.next_cursor_hint = mastodon_next_cursor_hint,
	.parse_ratelimit = conn_ratelimit_parse,
	.classify_status = conn_classify_status,
	.rules_request = mastodon_rules_request,
	.parse_rules = mastodon_parse_rules,
};
