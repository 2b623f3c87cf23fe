/*
 * notify.h: the escalation notification, built but not sent.  An item that
 * is escalated (violence, illegal content, or a category whose actions say
 * escalate or notify) is announced to the legal reviewers and editors by a
 * webhook POST and/or an e-mail.  This module only builds the bytes: the
 * JSON body for the webhook and an RFC 5322 message for libcurl's SMTP
 * upload (CURLOPT_READFUNCTION); the daemon sends them and picks the
 * recipient with officehours_recipient().
 *
 * The comment's text is deliberately not part of either: it may hold
 * personal data or criminal content, and it is preserved in the evidence
 * snapshot, which the recipient opens through the link and the evidence id.
 */
#ifndef NQ_NOTIFY_H
#define NQ_NOTIFY_H
#include <stddef.h>
#include <time.h>

#include <jansson.h>

/* Everything borrowed; any field but account and item_id may be NULL. */
struct notify_event {
	const char	*account;	/* config name, "bmi-mastodon" */
	const char	*platform;	/* "mastodon" */
	const char	*item_id;	/* platform id of the comment/DM */
	const char	*item_kind;	/* "comment" or "dm" */
	const char	*item_url;	/* permalink */
	const char	*author;	/* handle */
	const char	*categories;	/* "violence, illegal" */
	const char	*rule_ids;	/* "violence.threat,illegal.86a" */
	const char	*clauses;	/* decision.clauses */
	const char	*actions;	/* what was done now, "hide" */
	const char	*evidence_id;	/* the evidence snapshot's id */
	const char	*reason;	/* decision.reason_de (or reason) */
	const char	*ui_url;	/* link to the item in the editors' UI */
	time_t		 when;		/* when the item was escalated */
};

/*
 * The webhook body:
 *   {"event": "escalation", "text": "<one-line summary>",
 *    "account", "platform", "item": {"id", "kind", "url", "author"},
 *    "categories", "rules", "clauses", "actions", "evidence_id",
 *    "reason", "ui_url", "time": "2025-06-02T08:00:00Z",
 *    "time_local": "2025-06-02T10:00:00+02:00"}
 * NULL fields are omitted; "text" suits chat webhooks that show only it.
 * Never NULL; json_decref() it.
 */
json_t	*notify_webhook_json(const struct notify_event *);
/* The same serialized compactly; free() it. */
char	*notify_webhook_body(const struct notify_event *);

/*
 * An RFC 5322 message with CRLF line ends: From, To, Subject (an RFC 2047
 * UTF-8 encoded-word when not ASCII), Date (German time), Message-ID,
 * MIME-Version, Content-Type text/plain UTF-8, quoted-printable body,
 * Auto-Submitted.  to may be a comma-separated list.  unique makes the
 * Message-ID unique (e.g. the evidence id and a counter); the domain is the
 * sender's.  now is the Date.  Returns 0 with an owned *msg of *len bytes
 * (also NUL-terminated), or -1 with err set when an address is unusable
 * (a line break in an address would let one header forge others).
 */
int	 notify_mail(const struct notify_event *, const char *from,
	    const char *to, const char *unique, time_t now, char **msg,
	    size_t *len, char *err, size_t errlen);

/*
 * Splits "a@x, b@y" into owned addresses for CURLOPT_MAIL_RCPT.  Returns
 * the count; free each and the array with notify_addresses_free().
 */
size_t	 notify_addresses(const char *list, char ***out);
void	 notify_addresses_free(char **, size_t);

/* RFC 5322 date of t in German time, "Mon, 02 Jun 2025 10:00:00 +0200". */
char	*notify_date(time_t t, char *buf, size_t len);

#endif
