/*
 * test_notify.c: the escalation webhook body and e-mail.  The e-mail is
 * checked the way a mail server and a mail client would see it: CRLF only,
 * short lines, an RFC 2047 subject that decodes back to the UTF-8 text, a
 * quoted-printable body that decodes to the item link, rule, clause and
 * evidence id, German dates, and no header forged through a line break in
 * a configured name.
 */
#include <stdlib.h>

#include "testutil.h"
#include "notify.h"

#define T_SUMMER	1748847600L	/* 2025-06-02 07:00:00 UTC, Monday */
#define T_WINTER	1736150400L	/* 2025-01-06 08:00:00 UTC, Monday */

static const struct notify_event ev = {
	.account = "bmi-mastodon",
	.platform = "mastodon",
	.item_id = "113424242",
	.item_kind = "comment",
	.item_url = "https://social.bund.de/@bmi/113424242",
	.author = "someone@example.social",
	.categories = "violence",
	.rule_ids = "violence.threat,illegal.86a",
	.clauses = "gewaltverherrlichende Äußerungen",
	.actions = "report+mute",
	.evidence_id = "ev-42",
	.reason = "Regel violence.threat; zur strafrechtlichen Prüfung",
	.ui_url = "https://moderation.bund.de/queue/7",
	.when = T_SUMMER,
};

static int
b64val(int c)
{
	const char *tab =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(tab, c) : NULL;

	return p ? (int)(p - tab) : -1;
}

/* Decodes the encoded-words of a (folded) Subject value into out. */
static void
decode_subject(const char *s, char *out, size_t len)
{
	size_t	o = 0;
	int	acc = 0, bits = 0, v;

	while ((s = strstr(s, "=?UTF-8?B?")) != NULL) {
		for (s += 10; *s != '\0' && *s != '?'; s++) {
			if (*s == '=' || (v = b64val(*s)) == -1)
				continue;
			acc = ((acc << 6) | v) & 0xffffff;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				if (o + 1 < len)
					out[o++] = (char)(acc >> bits & 0xff);
			}
		}
		acc = bits = 0;
	}
	out[o] = '\0';
}

/* Quoted-printable body to text (CRLF -> LF, soft breaks joined). */
static char *
decode_qp(const char *s)
{
	char	*out = malloc(strlen(s) + 1), *o = out;
	unsigned v;

	while (*s != '\0') {
		if (s[0] == '=' && s[1] == '\r' && s[2] == '\n')
			s += 3;
		else if (s[0] == '=' && sscanf(s + 1, "%2X", &v) == 1) {
			*o++ = (char)v;
			s += 3;
		} else if (s[0] == '\r' && s[1] == '\n') {
			*o++ = '\n';
			s += 2;
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

static void
test_webhook(void)
{
	json_t		*j, *item, *rules;
	char		*body;
	struct notify_event e = ev;

	j = notify_webhook_json(&ev);
	CHECK_STR(json_string_value(json_object_get(j, "event")), "escalation");
	CHECK_STR(json_string_value(json_object_get(j, "text")),
	    "Eskalation (violence) bmi-mastodon: gewaltverherrlichende "
	    "Äußerungen");
	CHECK_STR(json_string_value(json_object_get(j, "account")),
	    "bmi-mastodon");
	item = json_object_get(j, "item");
	CHECK_STR(json_string_value(json_object_get(item, "id")), "113424242");
	CHECK_STR(json_string_value(json_object_get(item, "url")), ev.item_url);
	CHECK_STR(json_string_value(json_object_get(item, "kind")), "comment");
	rules = json_object_get(j, "rules");
	CHECK_INT(json_array_size(rules), 2);
	CHECK_STR(json_string_value(json_array_get(rules, 1)), "illegal.86a");
	CHECK_STR(json_string_value(json_object_get(j, "evidence_id")), "ev-42");
	CHECK_STR(json_string_value(json_object_get(j, "time")),
	    "2025-06-02T07:00:00Z");
	CHECK_STR(json_string_value(json_object_get(j, "time_local")),
	    "2025-06-02T09:00:00+02:00");
	json_decref(j);

	/* NULL fields are left out, not "null" */
	e.item_url = NULL;
	e.author = NULL;
	e.rule_ids = NULL;
	e.when = T_WINTER;
	body = notify_webhook_body(&e);
	CHECK(strstr(body, "\"url\"") == NULL);
	CHECK(strstr(body, "\"author\"") == NULL);
	CHECK(strstr(body, "\"rules\"") == NULL);
	CHECK(strstr(body, "\"time_local\":\"2025-01-06T09:00:00+01:00\"") !=
	    NULL);
	CHECK(strchr(body, '\n') == NULL);
	free(body);
}

static void
test_mail(void)
{
	char		*msg, *hdr_end, *body, subj[512], err[128], *p, *line;
	size_t		 len, n;
	int		 bare_lf = 0, long_line = 0;

	CHECK_INT(notify_mail(&ev, "netiquetted@bund.example",
	    "redaktion@bund.example, recht@bund.example", "ev-42.1", T_SUMMER,
	    &msg, &len, err, sizeof err), 0);
	CHECK_INT(strlen(msg), len);
	CHECK(strncmp(msg, "From: netiquetted@bund.example\r\n", 32) == 0);
	CHECK(strstr(msg, "\r\nTo: redaktion@bund.example, "
	    "recht@bund.example\r\n") != NULL);
	CHECK(strstr(msg, "\r\nDate: Mon, 02 Jun 2025 09:00:00 +0200\r\n") !=
	    NULL);
	CHECK(strstr(msg, "\r\nMessage-ID: <netiquetted.ev-42.1.1748847600"
	    "@bund.example>\r\n") != NULL);
	CHECK(strstr(msg, "\r\nMIME-Version: 1.0\r\n") != NULL);
	CHECK(strstr(msg, "\r\nContent-Type: text/plain; charset=UTF-8\r\n") !=
	    NULL);
	CHECK(strstr(msg, "\r\nContent-Transfer-Encoding: quoted-printable\r\n")
	    != NULL);
	CHECK(strstr(msg, "\r\nAuto-Submitted: auto-generated\r\n") != NULL);

	/* CRLF only, and no line longer than 76 characters */
	for (p = msg; *p != '\0'; p++)
		if (*p == '\n' && (p == msg || p[-1] != '\r'))
			bare_lf++;
	CHECK_INT(bare_lf, 0);
	for (line = msg; *line != '\0'; line = p + 2) {
		if ((p = strstr(line, "\r\n")) == NULL)
			break;
		if ((size_t)(p - line) > 76) {
			long_line++;
			fprintf(stderr, "long line: %.*s\n", (int)(p - line),
			    line);
		}
	}
	CHECK_INT(long_line, 0);

	/* the subject is encoded, folded, and decodes to the UTF-8 text */
	hdr_end = strstr(msg, "\r\n\r\n");
	CHECK(hdr_end != NULL);
	p = strstr(msg, "\r\nSubject: ");
	CHECK(p != NULL && p < hdr_end);
	if (p != NULL) {
		n = strcspn(p + 2, "\r");
		CHECK(strstr(p, "=?UTF-8?B?") == p + 11);
		CHECK(strstr(p + 2, "\r\n =?UTF-8?B?") != NULL);	/* folded */
		(void)n;
		decode_subject(p, subj, sizeof subj);
		CHECK_STR(subj, "[netiquetted] Eskalation (violence) "
		    "bmi-mastodon: gewaltverherrlichende Äußerungen");
	}

	/* the body decodes to what a legal reviewer needs, and no text */
	if (hdr_end != NULL) {
		body = decode_qp(hdr_end + 4);
		CHECK(strstr(body, ev.item_url) != NULL);
		CHECK(strstr(body, "(comment 113424242)") != NULL);
		CHECK(strstr(body, "violence.threat,illegal.86a") != NULL);
		CHECK(strstr(body, "gewaltverherrlichende Äußerungen") != NULL);
		CHECK(strstr(body, "Beweis-ID / evidence:      ev-42") != NULL);
		CHECK(strstr(body, "2025-06-02 09:00:00 CEST") != NULL);
		CHECK(strstr(body, "Maßnahmen / actions:") != NULL);
		CHECK(strstr(body, ev.ui_url) != NULL);
		CHECK(strstr(body, "nicht in dieser E-Mail") != NULL);
		free(body);
	}
	free(msg);

	/* winter time and an ASCII subject */
	{
		struct notify_event e = ev;

		e.clauses = "Beleidigungen";
		e.when = T_WINTER;
		CHECK_INT(notify_mail(&e, "a@b.example", "c@d.example", "u",
		    T_WINTER, &msg, &len, err, sizeof err), 0);
		CHECK(strstr(msg, "\r\nSubject: [netiquetted] Eskalation "
		    "(violence) bmi-mastodon: Beleidigungen\r\n") != NULL);
		CHECK(strstr(msg, "\r\nDate: Mon, 06 Jan 2025 09:00:00 +0100"
		    "\r\n") != NULL);
		free(msg);
	}
}

static void
test_mail_hostile(void)
{
	struct notify_event	 e = ev;
	char			*msg, err[128], *body;
	size_t			 len;

	/* a line break in a name must not start a header */
	e.account = "evil\r\nBcc: everyone@example.org";
	e.clauses = "x\nContent-Type: text/html";
	e.categories = "violence";
	e.reason = ".\r\n.\r\nQUIT";
	CHECK_INT(notify_mail(&e, "a@b.example", "c@d.example",
	    "id\r\nX-Injected: 1", T_SUMMER, &msg, &len, err, sizeof err), 0);
	CHECK(strstr(msg, "\r\nBcc:") == NULL);
	CHECK(strstr(msg, "\r\nX-Injected") == NULL);
	CHECK(strstr(msg, "\r\nContent-Type: text/html") == NULL);
	CHECK(strstr(msg, "\r\n.\r\n") == NULL);	/* no SMTP end marker */
	body = decode_qp(strstr(msg, "\r\n\r\n") + 4);
	CHECK(strstr(body, "evil  Bcc: everyone@example.org (mastodon)") !=
	    NULL);
	free(body);
	free(msg);

	CHECK_INT(notify_mail(&ev, "a@b.example\r\nBcc: x@y", "c@d.example",
	    "u", T_SUMMER, &msg, &len, err, sizeof err), -1);
	CHECK(msg == NULL);
	CHECK(strstr(err, "sender") != NULL);
	CHECK_INT(notify_mail(&ev, "a@b.example", "no-at-sign", "u", T_SUMMER,
	    &msg, &len, err, sizeof err), -1);
	CHECK(strstr(err, "recipient") != NULL);
	CHECK_INT(notify_mail(&ev, "a@b.example", NULL, "u", T_SUMMER,
	    &msg, &len, err, sizeof err), -1);
}

static void
test_addresses(void)
{
	char	**v, buf[64];
	size_t	  n;

	n = notify_addresses(" a@b.example ,c@d.example,, e@f.example", &v);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(v[0], "a@b.example");
		CHECK_STR(v[1], "c@d.example");
		CHECK_STR(v[2], "e@f.example");
	}
	notify_addresses_free(v, n);
	CHECK_INT(notify_addresses("", &v), 0);
	CHECK(v == NULL);
	CHECK_INT(notify_addresses(NULL, &v), 0);
	CHECK_STR(notify_date(T_WINTER, buf, sizeof buf),
	    "Mon, 06 Jan 2025 09:00:00 +0100");
}

int
main(void)
{
	test_webhook();
	test_mail();
	test_mail_hostile();
	test_addresses();
	return tu_finish("test_notify");
}
