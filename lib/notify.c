/*
 * notify.c: builders for the escalation webhook body and e-mail (see
 * notify.h).  Pure: the time comes from the caller, the German offset from
 * officehours.c.  Header values are cleaned of line breaks and control
 * characters before they are written, because config names, handles and
 * categories end up in them and a stray CRLF there would forge headers.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "officehours.h"
#include "xmalloc.h"

struct nbuf {
	char	*p;
	size_t	 len, cap;
};

static void
nb_add(struct nbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 1024;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
nb_str(struct nbuf *b, const char *s)
{
	nb_add(b, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
nb_printf(struct nbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n == -1)
		abort();
	nb_add(b, s, (size_t)n);
	free(s);
}

/* A copy of s fit for a header: controls (CR, LF, tab ...) become spaces. */
static char *
notify_clean(const char *s)
{
	char *c = xstrdup(s ? s : ""), *p;

	for (p = c; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return c;
}

char *
notify_date(time_t t, char *buf, size_t len)
{
	static const char *wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri",
	    "Sat" };
	static const char *mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	officehours_berlin_tm(t, &tm);
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +%02ld00",
	    wd[tm.tm_wday], tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_gmtoff / 3600);
	return buf;
}

static void
notify_iso(time_t t, bool local, char *buf, size_t len)
{
	struct tm tm;

	if (local) {
		officehours_berlin_tm(t, &tm);
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d+%02ld:00",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, tm.tm_gmtoff / 3600);
	} else {
		gmtime_r(&t, &tm);
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	}
}

/* "Eskalation (violence) bmi-mastodon: gewaltverherrlichende Äußerungen" */
static char *
notify_summary(const struct notify_event *e)
{
	char *s, *c;

	xasprintf(&s, "Eskalation (%s) %s: %s", e->categories ?
	    e->categories : "?", e->account ? e->account : "?",
	    e->clauses ? e->clauses : "");
	c = notify_clean(s);
	free(s);
	return c;
}

static void
notify_set(json_t *o, const char *key, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, key, json_string(v));
}

json_t *
notify_webhook_json(const struct notify_event *e)
{
	json_t	*o = json_object(), *item = json_object(), *rules;
	char	 buf[64], *sum;
	const char *s, *c;

	sum = notify_summary(e);
	json_object_set_new(o, "event", json_string("escalation"));
	json_object_set_new(o, "text", json_string(sum));
	free(sum);
	notify_set(o, "account", e->account);
	notify_set(o, "platform", e->platform);
	notify_set(item, "id", e->item_id);
	notify_set(item, "kind", e->item_kind);
	notify_set(item, "url", e->item_url);
	notify_set(item, "author", e->author);
	json_object_set_new(o, "item", item);
	notify_set(o, "categories", e->categories);
	if (e->rule_ids != NULL) {
		rules = json_array();
		for (s = e->rule_ids; *s != '\0'; s = *c ? c + 1 : c) {
			c = s + strcspn(s, ",");
			if (c > s)
				json_array_append_new(rules,
				    json_stringn(s, (size_t)(c - s)));
		}
		json_object_set_new(o, "rules", rules);
	}
	notify_set(o, "clauses", e->clauses);
	notify_set(o, "actions", e->actions);
	notify_set(o, "evidence_id", e->evidence_id);
	notify_set(o, "reason", e->reason);
	notify_set(o, "ui_url", e->ui_url);
	notify_iso(e->when, false, buf, sizeof buf);
	json_object_set_new(o, "time", json_string(buf));
	notify_iso(e->when, true, buf, sizeof buf);
	json_object_set_new(o, "time_local", json_string(buf));
	return o;
}

char *
notify_webhook_body(const struct notify_event *e)
{
	json_t	*o = notify_webhook_json(e);
	char	*s;

	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL)
		abort();
	return s;
}

/* --- e-mail --------------------------------------------------------------- */

static void
notify_base64(struct nbuf *b, const unsigned char *s, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char	out[4];
	size_t	i;
	unsigned v;

	for (i = 0; i < n; i += 3) {
		v = (unsigned)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		out[0] = tab[v >> 18 & 63];
		out[1] = tab[v >> 12 & 63];
		out[2] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[3] = i + 2 < n ? tab[v & 63] : '=';
		nb_add(b, out, 4);
	}
}

/*
 * "Subject: " plus s, as RFC 2047 B encoded-words when s is not ASCII.
 * Each word holds at most 39 bytes (52 base64 characters, 64 with the
 * delimiters), so that even the first line, "Subject: " included, stays
 * within RFC 2047's 76 characters; a word never splits a UTF-8 sequence.
 */
static void
notify_subject(struct nbuf *b, const char *s)
{
	size_t	n = strlen(s), i, chunk;
	int	ascii = 1;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			ascii = 0;
	nb_str(b, "Subject: ");
	if (ascii) {
		nb_str(b, s);
		nb_str(b, "\r\n");
		return;
	}
	for (i = 0; i < n; i += chunk) {
		chunk = n - i < 39 ? n - i : 39;
		while (chunk > 0 && i + chunk < n &&
		    ((unsigned char)s[i + chunk] & 0xc0) == 0x80)
			chunk--;
		if (chunk == 0)
			chunk = n - i < 39 ? n - i : 39;
		if (i > 0)
			nb_str(b, "\r\n ");
		nb_str(b, "=?UTF-8?B?");
		notify_base64(b, (const unsigned char *)s + i, chunk);
		nb_str(b, "?=");
	}
	nb_str(b, "\r\n");
}

/*
 * Quoted-printable (RFC 2045 6.7) of text with '\n' line ends: lines of at
 * most 76 characters, CRLF ends, trailing white space and a leading '.'
 * encoded (the latter so that no SMTP server sees a lone dot).
 */
static void
notify_qp(struct nbuf *b, const char *text)
{
	const unsigned char	*s = (const unsigned char *)text;
	char			 enc[4];
	size_t			 col = 0, n;
	int			 lit;

	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			nb_str(b, "\r\n");
			col = 0;
			continue;
		}
		lit = (*s >= 33 && *s <= 126 && *s != '=') ||
		    ((*s == ' ' || *s == '\t') && s[1] != '\n' && s[1] != '\0');
		if (col == 0 && *s == '.')
			lit = 0;
		if (lit) {
			enc[0] = (char)*s;
			n = 1;
		} else {
			snprintf(enc, sizeof enc, "=%02X", *s);
			n = 3;
		}
		if (col + n > 75) {
			nb_str(b, "=\r\n");
			col = 0;
		}
		nb_add(b, enc, n);
		col += n;
	}
	if (col > 0)
		nb_str(b, "\r\n");
}

static int
notify_addr_ok(const char *s)
{
	if (s == NULL || *s == '\0' || strchr(s, '@') == NULL)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '<' ||
		    *s == '>')
			return 0;
	return 1;
}

static void
notify_line(struct nbuf *b, const char *label, const char *v)
{
	char *c;

	if (v == NULL || *v == '\0')
		return;
	c = notify_clean(v);
	nb_printf(b, "%-26s %s\n", label, c);
	free(c);
}

int
notify_mail(const struct notify_event *e, const char *from, const char *to,
    const char *unique, time_t now, char **msg, size_t *len, char *err,
    size_t errlen)
{
	struct nbuf	 h = { 0 }, body = { 0 };
	const char	*domain;
	char		 date[64], *sum, *u, *p, when[64], item[512];
	struct tm	 tm;

	*msg = NULL;
	*len = 0;
	if (!notify_addr_ok(from) || !notify_addr_ok(to)) {
		snprintf(err, errlen, "unusable %s address",
		    notify_addr_ok(from) ? "recipient" : "sender");
		return -1;
	}
	domain = strrchr(from, '@') + 1;
	u = notify_clean(unique ? unique : "x");
	for (p = u; *p != '\0'; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '.' && *p != '-')
			*p = '_';

	nb_printf(&h, "From: %s\r\n", from);
	nb_printf(&h, "To: %s\r\n", to);
	sum = notify_summary(e);
	xasprintf(&p, "[netiquetted] %s", sum);
	free(sum);
	notify_subject(&h, p);
	free(p);
	nb_printf(&h, "Date: %s\r\n", notify_date(now, date, sizeof date));
	nb_printf(&h, "Message-ID: <netiquetted.%s.%lld@%s>\r\n", u,
	    (long long)now, domain);
	free(u);
	nb_str(&h, "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "Auto-Submitted: auto-generated\r\n\r\n");

	officehours_berlin_tm(e->when, &tm);
	snprintf(when, sizeof when, "%04d-%02d-%02d %02d:%02d:%02d %s",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, tm.tm_zone);
	snprintf(item, sizeof item, "%s (%s %s)", e->item_url ? e->item_url :
	    "-", e->item_kind ? e->item_kind : "item", e->item_id ?
	    e->item_id : "?");

	nb_str(&body, "Ein Beitrag wurde zur strafrechtlichen Prüfung "
	    "eskaliert.\nAn item was escalated for criminal review.\n\n");
	if (e->account != NULL) {
		xasprintf(&p, "%s (%s)", e->account, e->platform ?
		    e->platform : "?");
		notify_line(&body, "Konto / account:", p);
		free(p);
	}
	notify_line(&body, "Beitrag / item:", item);
	notify_line(&body, "Verfasser / author:", e->author);
	notify_line(&body, "Kategorie / category:", e->categories);
	notify_line(&body, "Netiquette:", e->clauses);
	notify_line(&body, "Regel / rule:", e->rule_ids);
	notify_line(&body, "Beweis-ID / evidence:", e->evidence_id);
	notify_line(&body, "Maßnahmen / actions:", e->actions);
	notify_line(&body, "Zeit / time:", when);
	notify_line(&body, "Begründung / reason:", e->reason);
	notify_line(&body, "Prüfen / review:", e->ui_url);
	nb_str(&body, "\nDer Text des Beitrags steht nicht in dieser E-Mail; "
	    "er ist in der\nBeweissicherung gespeichert.\n"
	    "The item's text is not in this e-mail; it is preserved in the\n"
	    "evidence snapshot.\n");

	notify_qp(&h, body.p);
	free(body.p);
	*msg = h.p;
	*len = h.len;
	return 0;
}

size_t
notify_addresses(const char *list, char ***out)
{
	const char	*s = list, *e;
	size_t		 n = 0, k;

	*out = NULL;
	while (s != NULL && *s != '\0') {
		e = strchr(s, ',');
		k = e ? (size_t)(e - s) : strlen(s);
		while (k > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			k--;
		}
		while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
			k--;
		if (k > 0) {
			*out = xreallocarray(*out, n + 1, sizeof **out);
			(*out)[n++] = xstrndup(s, k);
		}
		s = e ? e + 1 : NULL;
	}
	return n;
}

void
notify_addresses_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
