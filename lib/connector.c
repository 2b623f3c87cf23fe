/*
 * connector.c: the backend table and what every backend shares: HTTP
 * header lists, errors, freeing of items and pages, status classification,
 * rate-limit headers, timestamps, form and URL encoding, numeric id order.
 * Nothing here does I/O or reads the clock; "now" is always passed in.
 * Platform specifics live in conn-<platform>.c.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connector.h"
#include "xmalloc.h"

const struct connector *const conn_backends[] = {
	&conn_mastodon,
	NULL
};

const struct connector *
conn_find(const char *platform)
{
	size_t i;

	if (platform == NULL)
		return NULL;
	for (i = 0; conn_backends[i] != NULL; i++)
		if (strcmp(conn_backends[i]->name, platform) == 0)
			return conn_backends[i];
	return NULL;
}

/* ---- HTTP values ---- */

static void
http_headers_grow(struct http_headers *h)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 8;
		h->v = xreallocarray(h->v, h->cap, sizeof *h->v);
	}
}

void
http_headers_add(struct http_headers *h, const char *name, const char *value)
{
	http_headers_grow(h);
	h->v[h->n].name = xstrdup(name);
	h->v[h->n].value = xstrdup(value);
	h->n++;
}

void
http_headers_addn(struct http_headers *h, const char *name, size_t namelen,
    const char *value, size_t valuelen)
{
	http_headers_grow(h);
	h->v[h->n].name = xstrndup(name, namelen);
	h->v[h->n].value = xstrndup(value, valuelen);
	h->n++;
}

const char *
http_headers_get(const struct http_headers *h, const char *name)
{
	size_t i;

	if (h == NULL || name == NULL)
		return NULL;
	for (i = 0; i < h->n; i++)
		if (h->v[i].name != NULL && strcasecmp(h->v[i].name, name) == 0)
			return h->v[i].value;
	return NULL;
}

void
http_headers_free(struct http_headers *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->v[i].name);
		free(h->v[i].value);
	}
	free(h->v);
	memset(h, 0, sizeof *h);
}

const char *
http_response_header(const struct http_response *r, const char *name)
{
	return r == NULL ? NULL : http_headers_get(&r->headers, name);
}

void
http_request_free(struct http_request *r)
{
	if (r == NULL)
		return;
	free(r->method);
	free(r->url);
	http_headers_free(&r->headers);
	free(r->body);
	free(r->content_type);
	memset(r, 0, sizeof *r);
}

/* ---- errors ---- */

const char *
conn_status_name(enum conn_status st)
{
	switch (st) {
	case CONN_OK:		return "ok";
	case CONN_RETRY:	return "retry";
	case CONN_RATELIMITED:	return "ratelimited";
	case CONN_AUTH:		return "auth";
	case CONN_PERMANENT:	return "permanent";
	}
	return "unknown";
}

void
conn_error_set(struct conn_error *e, enum conn_status st, int http,
    const char *fmt, ...)
{
	va_list ap;

	if (e == NULL || e->msg[0] != '\0')
		return;
	e->status = st;
	e->http_status = http;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	if (e->msg[0] == '\0')
		snprintf(e->msg, sizeof e->msg, "error");
}

void
conn_error_clear(struct conn_error *e)
{
	memset(e, 0, sizeof *e);
}

/* ---- freeing ---- */

void
conn_rules_free(struct conn_rules *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].id);
		free(r->v[i].text);
	}
	free(r->v);
	memset(r, 0, sizeof *r);
}

const char *
conn_item_kind_name(enum conn_item_kind k)
{
	return k == CONN_ITEM_DM ? "dm" : "comment";
}

void
conn_item_free(struct conn_item *it)
{
	free(it->account);
	free(it->id);
	free(it->author_id);
	free(it->author_handle);
	free(it->author_name);
	free(it->text);
	free(it->html);
	free(it->raw_json);
	free(it->permalink);
	free(it->parent_id);
	free(it->thread_id);
	free(it->created_at_iso);
	memset(it, 0, sizeof *it);
}

void
conn_page_free(struct conn_page *p)
{
	size_t i;

	for (i = 0; i < p->nitems; i++)
		conn_item_free(&p->items[i]);
	free(p->items);
	for (i = 0; i < p->nskipped; i++) {
		free(p->skipped[i].id);
		free(p->skipped[i].why);
	}
	free(p->skipped);
	free(p->next_cursor);
	memset(p, 0, sizeof *p);
}

void
conn_action_result_free(struct conn_action_result *r)
{
	free(r->remote_id);
	r->remote_id = NULL;
}

/* ---- status and rate limits ---- */

enum conn_status
conn_classify_status(int s)
{
	if (s >= 200 && s < 300)
		return CONN_OK;
	if (s == 429)
		return CONN_RATELIMITED;
	if (s == 401 || s == 403)
		return CONN_AUTH;
	if (s == 0 || s == 408 || s == 425 || s >= 500)
		return CONN_RETRY;
	return CONN_PERMANENT;
}

bool
conn_status_unapplied(int s)
{
	return s == 503 || s == 408 || s == 425;
}

/* Parses exactly n digits at *sp into *out and advances. */
static int
conn_digits(const char **sp, int n, int *out)
{
	const char *s = *sp;
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*sp = s + n;
	*out = v;
	return 0;
}

static int
conn_tm_valid(const struct tm *tm)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return tm->tm_mon >= 0 && tm->tm_mon < 12 && tm->tm_mday >= 1 &&
	    tm->tm_mday <= mdays[tm->tm_mon] && tm->tm_hour <= 23 &&
	    tm->tm_min <= 59 && tm->tm_sec <= 60;
}

int
conn_parse_iso8601(const char *s, time_t *t)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	time_t v;

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof tm);
	if (conn_digits(&s, 4, &y) || *s++ != '-' || conn_digits(&s, 2, &mo) ||
	    *s++ != '-' || conn_digits(&s, 2, &d) ||
	    (*s != 'T' && *s != 't' && *s != ' '))
		return -1;
	s++;
	if (conn_digits(&s, 2, &h) || *s++ != ':' || conn_digits(&s, 2, &mi) ||
	    *s++ != ':' || conn_digits(&s, 2, &sec))
		return -1;
	if (*s == '.' || *s == ',') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (conn_digits(&s, 2, &oh))
			return -1;
		if (*s == ':')
			s++;
		if (*s != '\0' && conn_digits(&s, 2, &om))
			return -1;
		if (oh > 23 || om > 59)
			return -1;
	} else
		return -1;
	if (*s != '\0')
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (!conn_tm_valid(&tm))
		return -1;
	v = timegm(&tm);
	v -= sign * (oh * 3600 + om * 60);
	*t = v;
	return 0;
}

int
conn_parse_http_date(const char *s, time_t *t)
{
	static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	int d, y, h, mi, sec, mo;
	time_t v;

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof tm);
	/* "Sun, 06 Nov 1994 08:49:37 GMT": skip the day name. */
	while (isalpha((unsigned char)*s))
		s++;
	if (*s++ != ',' || *s++ != ' ' || conn_digits(&s, 2, &d) ||
	    *s++ != ' ')
		return -1;
	for (mo = 0; mo < 12; mo++)
		if (strncmp(s, months[mo], 3) == 0)
			break;
	if (mo == 12)
		return -1;
	s += 3;
	if (*s++ != ' ' || conn_digits(&s, 4, &y) || *s++ != ' ' ||
	    conn_digits(&s, 2, &h) || *s++ != ':' || conn_digits(&s, 2, &mi) ||
	    *s++ != ':' || conn_digits(&s, 2, &sec) || strcmp(s, " GMT") != 0)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (!conn_tm_valid(&tm))
		return -1;
	if ((v = timegm(&tm)) == (time_t)-1)
		return -1;
	*t = v;
	return 0;
}

/* A non-negative decimal header value; -1 when absent or not a number. */
static long long
conn_header_num(const char *v)
{
	long long n = 0;

	if (v == NULL)
		return -1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (!isdigit((unsigned char)*v))
		return -1;
	for (; isdigit((unsigned char)*v); v++) {
		if (n > (LLONG_MAX - 9) / 10)
			return -1;
		n = n * 10 + (*v - '0');
	}
	while (*v == ' ' || *v == '\t')
		v++;
	return *v == '\0' ? n : -1;
}

/* Longest wait we believe from a header: a day.  Beyond that it is noise. */
#define CONN_MAX_WAIT	86400

void
conn_ratelimit_parse(const struct http_response *r, time_t now,
    struct conn_ratelimit *rl)
{
	const char *v;
	long long n;
	time_t t;

	memset(rl, 0, sizeof *rl);
	if ((n = conn_header_num(http_response_header(r, "X-RateLimit-Limit")))
	    >= 0) {
		rl->limit = n > LONG_MAX ? LONG_MAX : (long)n;
		rl->known |= CONN_RL_LIMIT;
	}
	if ((n = conn_header_num(http_response_header(r,
	    "X-RateLimit-Remaining"))) >= 0) {
		rl->remaining = n > LONG_MAX ? LONG_MAX : (long)n;
		rl->known |= CONN_RL_REMAINING;
	}
	if ((v = http_response_header(r, "X-RateLimit-Reset")) != NULL) {
		if (conn_parse_iso8601(v, &t) == 0) {
			rl->reset = t;
			rl->known |= CONN_RL_RESET;
		} else if ((n = conn_header_num(v)) >= 0) {
			/* Unix seconds (X), or a delta when implausibly small. */
			if (n < 1000000000LL)
				rl->reset = now + (n > CONN_MAX_WAIT ?
				    CONN_MAX_WAIT : (time_t)n);
			else
				rl->reset = (time_t)n;
			rl->known |= CONN_RL_RESET;
		}
	}
	/*
	 * The poller and the executor pause an exhausted account until the
	 * reset: a server clock days ahead must not stop it for days.
	 */
	if ((rl->known & CONN_RL_RESET) && rl->reset > now + CONN_MAX_WAIT)
		rl->reset = now + CONN_MAX_WAIT;
	if ((v = http_response_header(r, "Retry-After")) != NULL) {
		if ((n = conn_header_num(v)) >= 0) {
			rl->retry_at = now + (n > CONN_MAX_WAIT ? CONN_MAX_WAIT :
			    (time_t)n);
			rl->known |= CONN_RL_RETRY_AFTER;
		} else if (conn_parse_http_date(v, &t) == 0) {
			rl->retry_at = t < now ? now : t;
			rl->known |= CONN_RL_RETRY_AFTER;
		}
	}
	if (rl->retry_at > now + CONN_MAX_WAIT)
		rl->retry_at = now + CONN_MAX_WAIT;

	/*
	 * Exhausted, or told so by a 429: wait for the window to reset.
	 * Mastodon's 429 carries no Retry-After, only X-RateLimit-Reset.
	 */
	if ((r != NULL && r->status == 429) ||
	    ((rl->known & CONN_RL_REMAINING) && rl->remaining == 0)) {
		if ((rl->known & CONN_RL_RESET) && rl->reset > rl->retry_at)
			rl->retry_at = rl->reset;
		if (rl->retry_at == 0 && r != NULL && r->status == 429)
			rl->retry_at = now + 60;
	}
	/* A 429 whose reset lies in the past (clock skew): not a hot loop. */
	if (r != NULL && r->status == 429 && rl->retry_at < now + 1)
		rl->retry_at = now + 1;
	if (rl->retry_at != 0 && rl->retry_at <= now &&
	    !(r != NULL && r->status == 429))
		rl->retry_at = 0;
	if (rl->retry_at > now + CONN_MAX_WAIT)
		rl->retry_at = now + CONN_MAX_WAIT;
}

/* ---- encoding ---- */

static void
conn_append(char **buf, size_t *len, const char *s, size_t n)
{
	*buf = xreallocarray(*buf, *len + n + 1, 1);
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static bool
conn_url_unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/*
 * Sized before it is written: a report's comment grew the buffer by one
 * realloc per character, a quarter of the event loop's mallocs.
 */
void
conn_urlencode_append(char **buf, size_t *len, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	size_t n = 0;
	char *out;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		n += conn_url_unreserved(*p) ? 1 : 3;
	*buf = xreallocarray(*buf, *len + n + 1, 1);
	out = *buf + *len;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (conn_url_unreserved(*p)) {
			*out++ = (char)*p;
			continue;
		}
		*out++ = '%';
		*out++ = hex[*p >> 4];
		*out++ = hex[*p & 15];
	}
	*out = '\0';
	*len += n;
}

void
conn_form_add(char **buf, size_t *len, const char *name, const char *value)
{
	if (*buf != NULL && *len > 0)
		conn_append(buf, len, "&", 1);
	conn_urlencode_append(buf, len, name);
	conn_append(buf, len, "=", 1);
	conn_urlencode_append(buf, len, value);
}

/* ---- ids ---- */

bool
conn_id_is_numeric(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	for (n = 0; s[n] != '\0'; n++)
		if (!isdigit((unsigned char)s[n]) || n >= 32)
			return false;
	return n > 0;
}

int
conn_id_cmp(const char *a, const char *b)
{
	size_t la, lb;
	int c;

	if (!conn_id_is_numeric(a))
		a = "0";
	if (!conn_id_is_numeric(b))
		b = "0";
	while (*a == '0' && a[1] != '\0')
		a++;
	while (*b == '0' && b[1] != '\0')
		b++;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	c = strcmp(a, b);
	return c < 0 ? -1 : c > 0;
}

static bool
conn_json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

long
conn_json_array_spans(const char *s, size_t len, struct conn_span *spans,
    size_t max)
{
	size_t	 i = 0, start, depth;
	long	 n = 0;
	bool	 instr;

	while (i < len && conn_json_ws(s[i]))
		i++;
	if (i == len || s[i] != '[')
		return -1;
	i++;
	for (;;) {
		while (i < len && conn_json_ws(s[i]))
			i++;
		if (i == len)
			return -1;
		if (s[i] == ']')
			return n;
		start = i;
		depth = 0;
		instr = false;
		for (; i < len; i++) {
			char c = s[i];

			if (instr) {
				if (c == '\\')
					i++;
				else if (c == '"')
					instr = false;
			} else if (c == '"')
				instr = true;
			else if (c == '{' || c == '[')
				depth++;
			else if (c == '}' || c == ']') {
				if (depth == 0)
					break;
				depth--;
			} else if (c == ',' && depth == 0)
				break;
		}
		if (i >= len)
			return -1;
		if ((size_t)n < max) {
			size_t end = i;

			while (end > start && conn_json_ws(s[end - 1]))
				end--;
			spans[n].off = start;
			spans[n].len = end - start;
		}
		n++;
		if (s[i] == ',')
			i++;
	}
}
