/*
 * config.c: netiquetted.conf(5) on top of kvfile.  cfg_keys[] below is
 * the only place a key is defined: its section, type, default, range,
 * whether it may repeat, and the help text of the manual page.  The
 * parser, config_print() (netiquetted -n) and config_print_reference()
 * (the manual page) all walk that table; none of them knows a key by name,
 * except for the few cross-key checks in cfg_check().
 *
 * Defaults are written as the file would write them and go through the
 * same setter as the file's values, so the documented default is the
 * default in effect.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "kvfile.h"
#include "xmalloc.h"

#ifndef NQ_INSTALLED_RULES_DIR
#define NQ_INSTALLED_RULES_DIR "/usr/share/netiquetted/rules"
#endif

enum cfg_section {
	CS_GLOBAL,
	CS_ACCOUNT,
	CS_POLICY,
	CS_OFFENDERS,
	CS_NOTIFY,
	CS_COUNT
};

static const struct {
	const char	*kind;		/* as in "[kind name]" */
	const char	*title;		/* manual page subsection */
	const char	*help;
} cfg_sections[CS_COUNT] = {
	[CS_GLOBAL] = { "", "Global options",
	    "Keys before the first section header." },
	[CS_ACCOUNT] = { "account", "[account NAME]",
	    "One social media account.  NAME names it in logs, the store and "
	    "the API; it must be unique.  platform, base-url and token-file "
	    "are required." },
	[CS_POLICY] = { "policy", "[policy]",
	    "What the daemon does about each netiquette category, for all "
	    "accounts (an account may override a category with "
	    "policy.CATEGORY).  The value is a list of actions joined by "
	    "'+': hide, delete, mute, report, escalate, review, notify, or "
	    "none.  block is not allowed here: the author is blocked only "
	    "through [offenders].  In auto mode delete is never sent "
	    "automatically: the item is hidden and the delete is proposed to "
	    "the editors." },
	[CS_OFFENDERS] = { "offenders", "[offenders]",
	    "The repeat-offender rule (fail2ban's maxretry and findtime): an "
	    "item counts as a strike against its author when its category "
	    "calls for hide, delete or escalate." },
	[CS_NOTIFY] = { "notify", "[notify]",
	    "Where escalations (violence, illegal content, or any category "
	    "whose actions include escalate or notify) are announced." },
};

enum cfg_type {
	CT_STRING,
	CT_PATH,
	CT_URL,		/* choices: the allowed schemes */
	CT_INT,
	CT_DURATION,
	CT_BOOL,
	CT_ENUM,	/* choices; stored as the index unless CF_ENUMSTR */
	CT_ACTIONS,	/* per category (CF_CATEGORY) */
	CT_ADDR,	/* host:port */
	CT_MAIL,	/* addr-spec, a comma-separated list with CF_LIST */
	CT_HOURS,	/* officehours.h spec */
	CT_HEADER,	/* an HTTP header field name */
	CT_NET,		/* address or network in CIDR notation */
};

static const char *cfg_type_arg[] = {
	[CT_STRING] = "string", [CT_PATH] = "path", [CT_URL] = "url",
	[CT_INT] = "number", [CT_DURATION] = "duration", [CT_BOOL] = "yes|no",
	[CT_ENUM] = NULL, [CT_ACTIONS] = "actions", [CT_ADDR] = "host:port",
	[CT_MAIL] = "address", [CT_HOURS] = "days hh:mm-hh:mm",
	[CT_HEADER] = "header", [CT_NET] = "address[/prefix]",
};

#define CF_REPEAT	0x01	/* may repeat; values accumulate */
#define CF_REQUIRED	0x02
#define CF_ABSOLUTE	0x04	/* path must be absolute */
#define CF_CATEGORY	0x08	/* key is prefix + a category name */
#define CF_INHERIT	0x10	/* unset: the global key of the same name */
#define CF_ENUMSTR	0x20	/* enum stored as its string */
#define CF_LIST		0x40	/* comma-separated list of addresses */

struct cfg_key {
	enum cfg_section sec;
	const char	*key;		/* the prefix for CF_CATEGORY */
	enum cfg_type	 type;
	unsigned	 flags;
	const char	*def;		/* as written in the file; NULL: unset */
	const char	*defdoc;	/* the manual's words when def is not it */
	long		 min, max;	/* CT_INT, CT_DURATION */
	const char	*choices;	/* CT_ENUM, CT_URL: "a|b|c" */
	size_t		 off;		/* in the section's struct */
	const char	*help;
};

#define G(m)	offsetof(struct config, m)
#define A(m)	offsetof(struct config_account, m)
#define P(m)	offsetof(struct policy, m)
#define N(m)	offsetof(struct config_notify, m)
#define DAY	86400L

static const struct cfg_key cfg_keys[] = {
	/* global */
	{ CS_GLOBAL, "state-dir", CT_PATH, CF_ABSOLUTE, "/var/lib/netiquetted",
	  NULL, 0, 0, NULL, G(state_dir),
	  "Directory of the SQLite store and the audit log.  Must be writable "
	  "by the daemon only." },
	{ CS_GLOBAL, "rules-dir", CT_PATH, CF_REPEAT | CF_ABSOLUTE,
	  NQ_INSTALLED_RULES_DIR, "the shipped rule set, "
	  "/usr/share/netiquetted/rules when installed under /usr",
	  0, 0, NULL, G(rules_dirs),
	  "Directory of *.rules files; the files of all "
	  "directories form one rule set.  Giving it replaces the default.  "
	  "A directory that cannot be read refuses the rule set (at start, "
	  "in -n and on reload)." },
	{ CS_GLOBAL, "listen", CT_ADDR, 0, "127.0.0.1:8080", NULL, 0, 0, NULL,
	  G(listen),
	  "Address of the HTTP API and the editors' web UI, as host:port or "
	  "[v6-address]:port.  Put a TLS-terminating proxy in front of it." },
	{ CS_GLOBAL, "proxy-auth-header", CT_HEADER, 0, NULL, NULL, 0, 0,
	  NULL, G(proxy_auth_header),
	  "Trust an authenticating reverse proxy: the name of the request "
	  "header in which it passes the signed-in user's name, e.g. "
	  "X-Remote-User.  The header is believed only on connections from "
	  "proxy-auth-from; from any other address a request carrying it is "
	  "refused with 403.  The user must exist locally (netiquettectl user "
	  "add, or the administrators' user page) and be enabled; the role "
	  "is the local one.  The first request of a browser starts a "
	  "session with cookie and CSRF token as a password login does, and "
	  "is recorded in the audit log.  The proxy must remove the header "
	  "from its clients' requests, and nothing but the proxy may reach "
	  "the listen address from a proxy-auth-from address.  Not set: "
	  "local passwords only." },
	{ CS_GLOBAL, "proxy-auth-from", CT_NET, CF_REPEAT, NULL, NULL, 0, 0,
	  NULL, G(proxy_auth_from),
	  "Address of the authenticating proxy as the daemon sees it, or a "
	  "network in CIDR notation (192.0.2.10, 10.1.0.0/16, fd00::/64).  "
	  "Required with proxy-auth-header." },
	{ CS_GLOBAL, "proxy-auth-password-login", CT_BOOL, 0, "no", NULL, 0, 0,
	  NULL, G(proxy_auth_password_login),
	  "With proxy-auth-header: whether local passwords still log in too, "
	  "e.g. for an administrator when the proxy or its identity provider "
	  "is down.  API tokens of netiquettectl work either way." },
	{ CS_GLOBAL, "poll-interval", CT_DURATION, 0, "30s", NULL, 5, DAY,
	  NULL, G(poll_interval),
	  "How often each account is polled once it has caught up.  An "
	  "account may override it." },
	{ CS_GLOBAL, "log-level", CT_ENUM, 0, "info", NULL, 0, 0,
	  "error|warning|notice|info|debug", G(log_level),
	  "Least important message that is logged." },
	{ CS_GLOBAL, "max-tries", CT_INT, 0, "8", NULL, 1, 100, NULL,
	  G(max_tries),
	  "How often an action is sent to a platform before it is given up "
	  "and put into the editors' queue as failed." },
	{ CS_GLOBAL, "backoff-base", CT_DURATION, 0, "5s", NULL, 1, 3600,
	  NULL, G(backoff_base),
	  "First wait before an action is retried after a transient error; "
	  "each further retry doubles it." },
	{ CS_GLOBAL, "backoff-max", CT_DURATION, 0, "1h", NULL, 1, 7 * DAY,
	  NULL, G(backoff_max),
	  "Longest wait between two retries; not less than backoff-base.  "
	  "A platform's Retry-After is honoured even when longer." },
	{ CS_GLOBAL, "request-timeout", CT_DURATION, 0, "20s", NULL, 1, 600,
	  NULL, G(request_timeout),
	  "How long one request to a platform (a poll, an action, a "
	  "notification) may take before it counts as failed and is retried "
	  "with backoff." },

	/* [account NAME] */
	{ CS_ACCOUNT, "platform", CT_ENUM, CF_REQUIRED | CF_ENUMSTR, NULL,
	  NULL, 0, 0, "mastodon|youtube|facebook|instagram|x", A(platform),
	  "The platform, which decides the connector and its capabilities." },
	{ CS_ACCOUNT, "base-url", CT_URL, CF_REQUIRED, NULL, NULL, 0, 0,
	  "https|http", A(base_url),
	  "The API's base URL, e.g. https://social.bund.de for a Mastodon "
	  "instance.  A trailing slash is removed." },
	{ CS_ACCOUNT, "token-file", CT_PATH, CF_REQUIRED, NULL, NULL, 0, 0,
	  NULL, A(token_file),
	  "File holding the access token.  A relative name is looked up in "
	  "$CREDENTIALS_DIRECTORY when the daemon runs with systemd's "
	  "LoadCredential=, else beside this file.  White space around the "
	  "token is ignored.  The token is never logged." },
	{ CS_ACCOUNT, "admin-token-file", CT_PATH, 0, NULL, NULL, 0, 0, NULL,
	  A(admin_token_file),
	  "Optional file holding a token with moderator or admin scopes "
	  "(Mastodon admin API), looked up like token-file." },
	{ CS_ACCOUNT, "mode", CT_ENUM, 0, "review", NULL, 0, 0,
	  "auto|review|dry-run", A(mode),
	  "auto: reversible actions are sent at once and irreversible ones "
	  "proposed; review: nothing is sent, everything is proposed to the "
	  "editors; dry-run: decisions are recorded as in auto mode but "
	  "nothing is sent, no notification either." },
	{ CS_ACCOUNT, "poll-interval", CT_DURATION, CF_INHERIT, NULL,
	  "the global poll-interval", 5, DAY, NULL, A(poll_interval),
	  "Poll interval of this account." },
	{ CS_ACCOUNT, "report-forward", CT_BOOL, 0, "no", NULL, 0, 0, NULL,
	  A(report_forward),
	  "Whether a report is forwarded to the author's remote instance "
	  "(Mastodon)." },
	{ CS_ACCOUNT, "backfill", CT_BOOL, 0, "no", NULL, 0, 0, NULL,
	  A(backfill),
	  "On the very first start (no cursor stored yet), screen the "
	  "account's whole history instead of only the newest page.  Off by "
	  "default: acting on months-old comments surprises the editors." },
	{ CS_ACCOUNT, "policy.", CT_ACTIONS, CF_CATEGORY, NULL,
	  "the [policy] section", 0, 0, NULL, A(overrides),
	  "Overrides the [policy] actions of CATEGORY for this account, e.g. "
	  "policy.insult = hide+review." },

	/* [policy] */
	{ CS_POLICY, "", CT_ACTIONS, CF_CATEGORY, NULL,
	  "the category's default (see CATEGORIES)", 0, 0, NULL, P(actions),
	  "Actions for CATEGORY, e.g. insult = hide+review." },

	/* [offenders] */
	{ CS_OFFENDERS, "max-strikes", CT_INT, 0, "3", NULL, 1, 1000, NULL,
	  P(max_strikes),
	  "Strikes within window after which action applies to the author "
	  "(fail2ban's maxretry)." },
	{ CS_OFFENDERS, "window", CT_DURATION, 0, "30d", NULL, 3600, 365 * DAY,
	  NULL, P(window),
	  "How far back strikes count (fail2ban's findtime)." },
	{ CS_OFFENDERS, "action", CT_ENUM, 0, "propose-block", NULL, 0, 0,
	  "none|propose-block|block", P(offender_action),
	  "What happens at max-strikes: nothing, a block proposed to the "
	  "editors, or a block sent at once (auto mode only).  Where the "
	  "platform cannot block, the author is muted instead." },

	/* [notify] */
	{ CS_NOTIFY, "webhook-url", CT_URL, 0, NULL, NULL, 0, 0, "https|http",
	  N(webhook_url),
	  "URL that receives a JSON POST for every escalation." },
	{ CS_NOTIFY, "smtp-url", CT_URL, 0, NULL, NULL, 0, 0, "smtp|smtps",
	  N(smtp_url),
	  "Mail server for escalation e-mails, smtp://host:port (STARTTLS "
	  "is required) or smtps://host:port." },
	{ CS_NOTIFY, "mail-from", CT_MAIL, 0, NULL, NULL, 0, 0, NULL,
	  N(mail_from),
	  "Sender address of escalation e-mails; required with smtp-url." },
	{ CS_NOTIFY, "office-to", CT_MAIL, CF_LIST, NULL, NULL, 0, 0, NULL,
	  N(office_to),
	  "Recipients during office-hours, comma-separated." },
	{ CS_NOTIFY, "oncall-to", CT_MAIL, CF_LIST, NULL, NULL, 0, 0, NULL,
	  N(oncall_to),
	  "Recipients outside office-hours, comma-separated.  When one of "
	  "office-to and oncall-to is missing, the other receives all." },
	{ CS_NOTIFY, "office-hours", CT_HOURS, 0, OFFICEHOURS_DEFAULT, NULL,
	  0, 0, NULL, N(office_hours),
	  "When the editors are in: days (Mon Tue Wed Thu Fri Sat Sun, "
	  "ranges like Mon-Fri, lists like Mon,Wed) and a time range, in "
	  "German time.  Public holidays are not known." },
	{ CS_NOTIFY, "timezone", CT_ENUM, CF_ENUMSTR, "Europe/Berlin", NULL,
	  0, 0, "Europe/Berlin", N(timezone),
	  "The time zone of office-hours and of e-mail dates.  Only "
	  "Europe/Berlin is supported; it is computed from the EU summer-time "
	  "rule, so the daemon needs no tzdata." },
};
#define CFG_NKEYS (sizeof cfg_keys / sizeof *cfg_keys)

#undef G
#undef A
#undef P
#undef N

/* --- small helpers ------------------------------------------------------ */

static void *
cfg_base(struct config *c, enum cfg_section sec, struct config_account *a)
{
	switch (sec) {
	case CS_GLOBAL:		return c;
	case CS_ACCOUNT:	return a;
	case CS_POLICY:
	case CS_OFFENDERS:	return &c->policy;
	case CS_NOTIFY:		return &c->notify;
	default:		return NULL;
	}
}

static const void *
cfg_cbase(const struct config *c, enum cfg_section sec,
    const struct config_account *a)
{
	return cfg_base((struct config *)c, sec, (struct config_account *)a);
}

/* Index of word in "a|b|c", or -1. */
static int
cfg_choice(const char *choices, const char *word)
{
	const char	*s = choices, *e;
	size_t		 n = strlen(word);
	int		 i = 0;

	for (;;) {
		e = strchr(s, '|');
		if ((size_t)((e ? e : s + strlen(s)) - s) == n &&
		    strncmp(s, word, n) == 0)
			return i;
		if (e == NULL)
			return -1;
		s = e + 1;
		i++;
	}
}

/* The i-th word of "a|b|c" into buf. */
static const char *
cfg_choice_name(const char *choices, int i, char *buf, size_t len)
{
	const char	*s = choices, *e;

	while (i-- > 0 && (s = strchr(s, '|')) != NULL)
		s++;
	if (s == NULL)
		return "?";
	e = strchr(s, '|');
	snprintf(buf, len, "%.*s", (int)((e ? e : s + strlen(s)) - s), s);
	return buf;
}

static size_t
cfg_levenshtein(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), i, j, prev, tmp, cost;
	size_t	row[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			cost = a[i - 1] == b[j - 1] ? 0 : 1;
			row[j] = prev + cost;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}

/* Closer than a third of the word: a typo, not a different word. */
static int
cfg_close(const char *typed, const char *cand, size_t *best)
{
	size_t d = cfg_levenshtein(typed, cand);

	if (d == 0 || d > 2 || d * 3 > strlen(cand) + 1 || d >= *best)
		return 0;
	*best = d;
	return 1;
}

int
config_parse_duration(const char *s, long *secs)
{
	long long	 total = 0, n, mult;
	const char	*p = s;
	int		 parts = 0;
	long long	 last = 0;

	if (*p == '\0')
		return -1;
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			return -1;
		for (n = 0; isdigit((unsigned char)*p); p++) {
			if (n > (LONG_MAX - (*p - '0')) / 10)
				return -1;
			n = n * 10 + (*p - '0');
		}
		switch (*p) {
		case 's':	mult = 1; break;
		case 'm':	mult = 60; break;
		case 'h':	mult = 3600; break;
		case 'd':	mult = 86400; break;
		case 'w':	mult = 7 * 86400; break;
		case '\0':
			/* a bare number is seconds, but not "1h30" */
			if (parts > 0)
				return -1;
			mult = 1;
			p--;
			break;
		default:
			return -1;
		}
		/* largest unit first, each once: "1m1m" and "1s1h" are typos */
		if (last != 0 && mult >= last)
			return -1;
		last = mult;
		p++;
		if (n > (LONG_MAX - total) / mult)
			return -1;
		total += n * mult;
		parts++;
	}
	*secs = (long)total;
	return 0;
}

char *
config_format_duration(long secs, char *buf, size_t len)
{
	static const struct { long n; char u; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
	};
	size_t	off = 0, i;
	int	k;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (secs <= 0) {
		snprintf(buf, len, "%lds", secs);
		return buf;
	}
	for (i = 0; i < sizeof units / sizeof *units; i++) {
		if (secs < units[i].n)
			continue;
		k = snprintf(buf + off, len - off, "%ld%c", secs / units[i].n,
		    units[i].u);
		if (k < 0 || (size_t)k >= len - off)
			break;
		off += k;
		secs %= units[i].n;
	}
	return buf;
}

/*
 * A host of n bytes: a name, an IPv4 address (a name of digits and dots
 * must be one: 999.1.1.1 is none), or an IPv6 address in brackets.
 */
static bool
cfg_host_ok(const char *h, size_t n)
{
	unsigned char	addr[16];
	char		buf[64];
	size_t		i;
	bool		numeric = true;

	if (n == 0 || n >= sizeof buf)
		return false;
	if (h[0] == '[') {
		if (n < 3 || h[n - 1] != ']')
			return false;
		snprintf(buf, sizeof buf, "%.*s", (int)(n - 2), h + 1);
		return inet_pton(AF_INET6, buf, addr) == 1;
	}
	for (i = 0; i < n; i++) {
		/* bytes of UTF-8 too: curl converts an IDN host itself */
		if (!isalnum((unsigned char)h[i]) && h[i] != '.' &&
		    h[i] != '-' && h[i] != '_' && (unsigned char)h[i] < 0x80)
			return false;
		if (!isdigit((unsigned char)h[i]) && h[i] != '.')
			numeric = false;
	}
	snprintf(buf, sizeof buf, "%.*s", (int)n, h);
	return !numeric || inet_pton(AF_INET, buf, addr) == 1;
}

/* A port of n bytes, 1..65535 */
static bool
cfg_port_ok(const char *p, size_t n)
{
	long	port = 0;
	size_t	i;

	if (n == 0 || n > 5)
		return false;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return false;
		port = port * 10 + (p[i] - '0');
	}
	return port >= 1 && port <= 65535;
}

/* Where the port's colon is in host[:port] of n bytes, or NULL. */
static const char *
cfg_port_colon(const char *h, size_t n)
{
	const char *colon;

	if (h[0] == '[') {
		colon = memchr(h, ']', n);
		return colon != NULL && colon + 1 < h + n && colon[1] == ':' ?
		    colon + 1 : NULL;
	}
	return memchr(h, ':', n);
}

/* host:port or [v6]:port; the port 1..65535. */
static int
cfg_check_addr(const char *v, char *err, size_t errlen)
{
	size_t		 n = strlen(v);
	const char	*colon = cfg_port_colon(v, n);

	if (colon == NULL || !cfg_host_ok(v, colon - v)) {
		snprintf(err, errlen, "expected host:port or [address]:port "
		    "(a valid IPv4 or IPv6 address or a host name)");
		return -1;
	}
	if (!cfg_port_ok(colon + 1, v + n - colon - 1)) {
		snprintf(err, errlen, "port must be 1..65535");
		return -1;
	}
	return 0;
}

static int
cfg_check_url(const char *v, const char *schemes, char *err, size_t errlen)
{
	const char	*sep, *p, *auth, *colon;
	char		 scheme[16];
	size_t		 alen;

	if ((sep = strstr(v, "://")) == NULL || sep == v ||
	    (size_t)(sep - v) >= sizeof scheme) {
		snprintf(err, errlen, "expected a URL like %.*s://host",
		    (int)strcspn(schemes, "|"), schemes);
		return -1;
	}
	snprintf(scheme, sizeof scheme, "%.*s", (int)(sep - v), v);
	if (cfg_choice(schemes, scheme) == -1) {
		snprintf(err, errlen, "URL scheme must be one of %s", schemes);
		return -1;
	}
	if (sep[3] == '\0' || sep[3] == '/' || sep[3] == ':') {
		snprintf(err, errlen, "URL has no host");
		return -1;
	}
	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
			snprintf(err, errlen, "URL contains white space or "
			    "control characters");
			return -1;
		}
	/* the authority: [userinfo@]host[:port], up to the path */
	auth = sep + 3;
	alen = strcspn(auth, "/?#");
	for (p = auth + alen; p > auth; p--)
		if (p[-1] == '@') {
			alen -= p - auth;
			auth = p;
			break;
		}
	if (alen == 0) {
		snprintf(err, errlen, "URL has no host");
		return -1;
	}
	colon = cfg_port_colon(auth, alen);
	if (!cfg_host_ok(auth, colon != NULL ? (size_t)(colon - auth) : alen)) {
		snprintf(err, errlen, "URL host '%.*s' is not a host name or "
		    "an IPv4 or [IPv6] address", (int)(colon != NULL ?
		    (size_t)(colon - auth) : alen), auth);
		return -1;
	}
	if (colon != NULL && !cfg_port_ok(colon + 1, auth + alen - colon - 1)) {
		snprintf(err, errlen, "URL port must be 1..65535");
		return -1;
	}
	return 0;
}

/* An addr-spec as far as a header can carry it safely. */
static int
cfg_check_mail1(const char *s, size_t n)
{
	const char	*at = NULL;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f ||
		    strchr("<>()[]\\,;:\"", s[i]) != NULL)
			return -1;
		if (s[i] == '@') {
			if (at != NULL)
				return -1;
			at = s + i;
		}
	}
	return (at == NULL || at == s || at == s + n - 1) ? -1 : 0;
}

static int
cfg_check_mail(const char *v, int list, char *err, size_t errlen)
{
	const char	*s = v, *e;
	size_t		 n;

	for (;;) {
		while (*s == ' ')
			s++;
		e = list ? strchr(s, ',') : NULL;
		n = e ? (size_t)(e - s) : strlen(s);
		while (n > 0 && s[n - 1] == ' ')
			n--;
		if (cfg_check_mail1(s, n) == -1) {
			snprintf(err, errlen, "'%.*s' is not a plain e-mail "
			    "address (local@domain)", (int)n, s);
			return -1;
		}
		if (e == NULL)
			return 0;
		s = e + 1;
	}
}

/* An HTTP field name (RFC 9110 token) that is not one the daemon reads. */
static int
cfg_check_header(const char *v, char *err, size_t errlen)
{
	static const char *const own[] = { "Host", "Cookie", "Authorization",
	    "Origin", "Sec-Fetch-Site", "X-CSRF-Token", "Content-Type",
	    "Content-Length", "Transfer-Encoding", "Connection" };
	const char	*p;
	size_t		 i;

	for (p = v; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) &&
		    strchr("!#$%&'*+-.^_`|~", *p) == NULL) {
			snprintf(err, errlen, "'%s' is not a header name", v);
			return -1;
		}
	for (i = 0; i < sizeof own / sizeof *own; i++)
		if (strcasecmp(v, own[i]) == 0) {
			snprintf(err, errlen, "%s cannot carry the user name: "
			    "the daemon reads it itself", own[i]);
			return -1;
		}
	return 0;
}

/* "addr" or "addr/prefix" into family, 16 address bytes and prefix. */
static int
cfg_parse_net(const char *v, int *af, unsigned char a[16], int *prefix,
    char *err, size_t errlen)
{
	char		 host[INET6_ADDRSTRLEN + 8], *slash, *end;
	long		 n;
	int		 max, i;

	if (strlen(v) >= sizeof host)
		goto bad;
	snprintf(host, sizeof host, "%s", v);
	if ((slash = strchr(host, '/')) != NULL)
		*slash++ = '\0';
	memset(a, 0, 16);
	if (inet_pton(AF_INET, host, a) == 1) {
		*af = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, a) == 1) {
		*af = AF_INET6;
		max = 128;
	} else
		goto bad;
	/* peers are compared as IPv4 when they are v4-mapped: so must this */
	if (*af == AF_INET6 && memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff",
	    12) == 0) {
		snprintf(err, errlen, "'%s': write the IPv4 address or network "
		    "(IPv4 clients are matched as IPv4)", v);
		return -1;
	}
	*prefix = max;
	if (slash != NULL) {
		errno = 0;
		n = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || errno != 0 || n < 0 ||
		    n > max || strspn(slash, "0123456789") != strlen(slash)) {
			snprintf(err, errlen, "'%s': prefix must be 1..%d", v,
			    max);
			return -1;
		}
		if (n == 0) {
			snprintf(err, errlen, "'%s' would trust every address",
			    v);
			return -1;
		}
		*prefix = (int)n;
	}
	for (i = *prefix; i < max; i++)
		if (a[i / 8] & (0x80 >> (i % 8))) {
			snprintf(err, errlen, "'%s' has host bits set beyond "
			    "/%d", v, *prefix);
			return -1;
		}
	return 0;
bad:
	snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 address or network",
	    v);
	return -1;
}

bool
config_net_match(const struct config_strv *nets, const char *addr)
{
	unsigned char	 peer[16], net[16];
	char		 err[128];
	const char	*p = addr;
	size_t		 i;
	int		 paf, af, prefix, b;

	if (addr == NULL)
		return false;
	/* an IPv4 peer on an IPv6 socket: compare it as IPv4 */
	if (strncasecmp(p, "::ffff:", 7) == 0 && strchr(p + 7, ':') == NULL)
		p += 7;
	memset(peer, 0, sizeof peer);
	if (inet_pton(AF_INET, p, peer) == 1)
		paf = AF_INET;
	else if (inet_pton(AF_INET6, p, peer) == 1)
		paf = AF_INET6;
	else
		return false;
	for (i = 0; i < nets->n; i++) {
		if (cfg_parse_net(nets->v[i], &af, net, &prefix, err,
		    sizeof err) == -1 || af != paf)
			continue;
		for (b = 0; b < prefix; b++)
			if ((peer[b / 8] ^ net[b / 8]) & (0x80 >> (b % 8)))
				break;
		if (b == prefix)
			return true;
	}
	return false;
}

static int
cfg_parse_bool(const char *v, bool *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* --- setting a value ----------------------------------------------------- */

static void
cfg_set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = xstrdup(v);
}

/* A repeatable key's value; the first one in the file drops the default. */
static void
cfg_append(struct config_strv *sv, const char *v, bool first)
{
	if (first) {
		while (sv->n > 0)
			free(sv->v[--sv->n]);
	}
	sv->v = xreallocarray(sv->v, sv->n + 1, sizeof *sv->v);
	sv->v[sv->n++] = xstrdup(v);
}

/*
 * Validates value and stores it for key k in base.  cat is the category of
 * a CF_CATEGORY key.  Returns 0, or -1 with a message in err.
 */
static int
cfg_set(const struct cfg_key *k, void *base, int cat, const char *v,
    bool first_repeat, char *err, size_t errlen)
{
	char			*slot = (char *)base + k->off;
	struct officehours	 oh;
	char			 buf[64], *end;
	long			 l;
	unsigned		 acts;
	bool			 b;
	int			 i;

	if (*v == '\0') {
		snprintf(err, errlen, "empty value");
		return -1;
	}
	switch (k->type) {
	case CT_STRING:
		cfg_set_str((char **)slot, v);
		return 0;
	case CT_PATH:
		if ((k->flags & CF_ABSOLUTE) && v[0] != '/') {
			snprintf(err, errlen, "must be an absolute path");
			return -1;
		}
		if (k->flags & CF_REPEAT)
			cfg_append((struct config_strv *)slot, v, first_repeat);
		else
			cfg_set_str((char **)slot, v);
		return 0;
	case CT_URL:
		if (cfg_check_url(v, k->choices, err, errlen) == -1)
			return -1;
		cfg_set_str((char **)slot, v);
		end = *(char **)slot;
		for (l = (long)strlen(end); l > 0 && end[l - 1] == '/'; l--)
			end[l - 1] = '\0';
		return 0;
	case CT_INT:
		errno = 0;
		l = strtol(v, &end, 10);
		if (*end != '\0' || errno != 0) {
			snprintf(err, errlen, "'%s' is not a number", v);
			return -1;
		}
		if (l < k->min || l > k->max) {
			snprintf(err, errlen, "%ld is out of range %ld..%ld", l,
			    k->min, k->max);
			return -1;
		}
		*(int *)slot = (int)l;
		return 0;
	case CT_DURATION:
		if (config_parse_duration(v, &l) == -1) {
			snprintf(err, errlen, "bad duration '%s' (e.g. 30s, 5m, "
			    "1h, 30d)", v);
			return -1;
		}
		if (l < k->min || l > k->max) {
			char lo[32], hi[32];

			snprintf(err, errlen, "%s is out of range %s..%s", v,
			    config_format_duration(k->min, lo, sizeof lo),
			    config_format_duration(k->max, hi, sizeof hi));
			return -1;
		}
		*(long *)slot = l;
		return 0;
	case CT_BOOL:
		if (cfg_parse_bool(v, &b) == -1) {
			snprintf(err, errlen, "expected yes or no, not '%s'", v);
			return -1;
		}
		*(bool *)slot = b;
		return 0;
	case CT_ENUM:
		if ((i = cfg_choice(k->choices, v)) == -1) {
			snprintf(err, errlen, "'%s' is not one of %s", v,
			    k->choices);
			return -1;
		}
		if (k->flags & CF_ENUMSTR)
			cfg_set_str((char **)slot, v);
		else
			*(int *)slot = i;
		return 0;
	case CT_ACTIONS:
		switch (action_parse(v, &acts)) {
		case 0:
			break;
		case ACTION_PARSE_EMPTY:
			snprintf(err, errlen, "'%s' is not a list of actions "
			    "joined by '+' (an action is missing)", v);
			return -1;
		case ACTION_PARSE_NONE:
			snprintf(err, errlen, "'%s': none stands alone", v);
			return -1;
		default:
			snprintf(err, errlen, "unknown action in '%s' (hide, "
			    "delete, mute, report, escalate, review, notify, "
			    "none)", v);
			return -1;
		}
		if (acts & ACT_BLOCK) {
			snprintf(err, errlen, "block is not a per-category "
			    "action: authors are blocked through [offenders]");
			return -1;
		}
		if (acts & (ACT_UNHIDE | ACT_UNBLOCK | ACT_UNMUTE)) {
			snprintf(err, errlen, "'%s': undo actions are for "
			    "editors, not policy", action_format(acts &
			    (ACT_UNHIDE | ACT_UNBLOCK | ACT_UNMUTE), buf,
			    sizeof buf));
			return -1;
		}
		if (k->sec == CS_ACCOUNT) {
			struct policy_overrides *o = (void *)slot;

			o->actions[cat] = acts;
			o->set |= 1u << cat;
		} else
			((unsigned *)slot)[cat] = acts;
		return 0;
	case CT_ADDR:
		if (cfg_check_addr(v, err, errlen) == -1)
			return -1;
		cfg_set_str((char **)slot, v);
		return 0;
	case CT_MAIL:
		if (cfg_check_mail(v, k->flags & CF_LIST, err, errlen) == -1)
			return -1;
		cfg_set_str((char **)slot, v);
		return 0;
	case CT_HOURS:
		if (officehours_parse(v, &oh, err, errlen) == -1)
			return -1;
		cfg_set_str((char **)slot, v);
		((struct config_notify *)base)->hours = oh;
		return 0;
	case CT_HEADER:
		if (cfg_check_header(v, err, errlen) == -1)
			return -1;
		cfg_set_str((char **)slot, v);
		return 0;
	case CT_NET: {
		unsigned char	a[16];
		int		af, prefix;

		if (cfg_parse_net(v, &af, a, &prefix, err, errlen) == -1)
			return -1;
		cfg_append((struct config_strv *)slot, v, first_repeat);
		return 0;
	}
	}
	snprintf(err, errlen, "internal error: unknown key type");
	return -1;
}

/* Applies the defaults of section sec to base. */
static void
cfg_defaults(enum cfg_section sec, void *base)
{
	char	err[256];
	size_t	i;

	for (i = 0; i < CFG_NKEYS; i++) {
		if (cfg_keys[i].sec != sec || cfg_keys[i].def == NULL)
			continue;
		if (cfg_set(&cfg_keys[i], base, 0, cfg_keys[i].def, true, err,
		    sizeof err) == -1)
			abort();	/* a default the table itself refuses */
	}
}

void
config_init(struct config *c)
{
	memset(c, 0, sizeof *c);
	policy_init(&c->policy);
	cfg_defaults(CS_GLOBAL, c);
	cfg_defaults(CS_POLICY, &c->policy);
	cfg_defaults(CS_OFFENDERS, &c->policy);
	cfg_defaults(CS_NOTIFY, &c->notify);
}

static void
cfg_free_account(struct config_account *a)
{
	free(a->name);
	free(a->platform);
	free(a->base_url);
	free(a->token_file);
	free(a->admin_token_file);
	free(a->confdir);
}

void
config_free(struct config *c)
{
	size_t i;

	free(c->path);
	free(c->state_dir);
	for (i = 0; i < c->rules_dirs.n; i++)
		free(c->rules_dirs.v[i]);
	free(c->rules_dirs.v);
	free(c->listen);
	free(c->proxy_auth_header);
	for (i = 0; i < c->proxy_auth_from.n; i++)
		free(c->proxy_auth_from.v[i]);
	free(c->proxy_auth_from.v);
	free(c->notify.webhook_url);
	free(c->notify.smtp_url);
	free(c->notify.mail_from);
	free(c->notify.office_to);
	free(c->notify.oncall_to);
	free(c->notify.office_hours);
	free(c->notify.timezone);
	for (i = 0; i < c->naccounts; i++)
		cfg_free_account(&c->accounts[i]);
	free(c->accounts);
	memset(c, 0, sizeof *c);
}

/* --- parsing -------------------------------------------------------------- */

/* The key of section sec that key names; *cat gets a CF_CATEGORY's category. */
static const struct cfg_key *
cfg_lookup(enum cfg_section sec, const char *key, int *cat)
{
	size_t	i, n;

	for (i = 0; i < CFG_NKEYS; i++) {
		if (cfg_keys[i].sec != sec)
			continue;
		if (cfg_keys[i].flags & CF_CATEGORY) {
			n = strlen(cfg_keys[i].key);
			if (strncmp(key, cfg_keys[i].key, n) == 0 &&
			    (*cat = category_from_name(key + n)) != -1)
				return &cfg_keys[i];
		} else if (strcmp(cfg_keys[i].key, key) == 0)
			return &cfg_keys[i];
	}
	return NULL;
}

/* "unknown key" with a hint: a near key, or the section it belongs in. */
static void
cfg_unknown_key(struct diags *d, const char *file, int line,
    enum cfg_section sec, const char *key)
{
	const char	*hint = NULL, *kind = NULL, *badcat = NULL;
	char		 cand[80];
	size_t		 best = SIZE_MAX, i, n;
	int		 c, cat;

	for (i = 0; i < CFG_NKEYS; i++) {
		if (cfg_keys[i].sec != sec)
			continue;
		if (cfg_keys[i].flags & CF_CATEGORY) {
			n = strlen(cfg_keys[i].key);
			if (strncmp(key, cfg_keys[i].key, n) != 0)
				continue;
			for (c = 0; c < CAT_COUNT; c++)
				if (cfg_close(key + n, category_name(c), &best)) {
					snprintf(cand, sizeof cand, "%s%s",
					    cfg_keys[i].key, category_name(c));
					hint = cand;
				}
			/* said after the other sections had their say */
			if (hint == NULL)
				badcat = key + n;
		} else if (cfg_close(key, cfg_keys[i].key, &best)) {
			snprintf(cand, sizeof cand, "%s", cfg_keys[i].key);
			hint = cand;
		}
	}
	if (hint != NULL) {
		diags_add(d, file, line, "unknown key '%s' (did you mean '%s'?)",
		    key, hint);
		return;
	}
	for (i = 0; i < CS_COUNT; i++)
		if (i != sec && cfg_lookup(i, key, &cat) != NULL) {
			kind = cfg_sections[i].kind;
			break;
		}
	if (kind != NULL && *kind == '\0')
		diags_add(d, file, line, "'%s' is a global key: put it before "
		    "the first section", key);
	else if (kind != NULL)
		diags_add(d, file, line, "'%s' belongs in the [%s%s] section",
		    key, kind, strcmp(kind, "account") == 0 ? " NAME" : "");
	else if (badcat != NULL)
		diags_add(d, file, line, "unknown category '%s' in '%s'", badcat,
		    key);
	else
		diags_add(d, file, line, "unknown key '%s'", key);
}

static void
cfg_section_pairs(struct config *c, struct diags *d, const char *file,
    enum cfg_section sec, void *base, const struct kv_section *s)
{
	const struct cfg_key	*k;
	const struct kv_pair	*kp;
	int			 seen[CFG_NKEYS][CAT_COUNT];
	char			 err[512];
	size_t			 i, ki;
	int			 cat;

	memset(seen, 0, sizeof seen);
	for (i = 0; i < s->npairs; i++) {
		kp = &s->pairs[i];
		cat = 0;
		if ((k = cfg_lookup(sec, kp->key, &cat)) == NULL) {
			cfg_unknown_key(d, file, kp->line, sec, kp->key);
			continue;
		}
		ki = (size_t)(k - cfg_keys);
		if (seen[ki][cat] && !(k->flags & CF_REPEAT)) {
			diags_add(d, file, kp->line, "'%s' given twice (first "
			    "at line %d)", kp->key, seen[ki][cat]);
			continue;
		}
		if (cfg_set(k, base, cat, kp->value, seen[ki][cat] == 0, err,
		    sizeof err) == -1)
			diags_add(d, file, kp->line, "%s: %s", kp->key, err);
		if (seen[ki][cat] == 0)
			seen[ki][cat] = kp->line;
	}
	(void)c;
}

/* Which section a header names; -1 (reported) when none. */
static int
cfg_section_of(struct diags *d, const char *file, const struct kv_section *s)
{
	size_t	best = SIZE_MAX, i;
	int	hint = -1;

	for (i = 0; i < CS_COUNT; i++)
		if (strcmp(s->kind, cfg_sections[i].kind) == 0)
			return (int)i;
	for (i = 1; i < CS_COUNT; i++)
		if (cfg_close(s->kind, cfg_sections[i].kind, &best))
			hint = (int)i;
	if (hint != -1)
		diags_add(d, file, s->line, "unknown section [%s] (did you mean "
		    "[%s]?)", s->kind, cfg_sections[hint].kind);
	else
		diags_add(d, file, s->line, "unknown section [%s] (sections: "
		    "account, policy, offenders, notify)", s->kind);
	return -1;
}

static char *
cfg_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* The line of global key in f, or 0. */
static int
cfg_global_line(const struct kv_file *f, const char *key)
{
	size_t i, j;

	for (i = 0; i < f->nsections; i++) {
		if (f->sections[i].kind[0] != '\0')
			continue;
		for (j = 0; j < f->sections[i].npairs; j++)
			if (strcmp(f->sections[i].pairs[j].key, key) == 0)
				return f->sections[i].pairs[j].line;
	}
	return 0;
}

/* Checks that involve more than one key. */
static void
cfg_check(struct config *c, struct diags *d, const char *file,
    const struct kv_file *f)
{
	const struct config_notify	*n = &c->notify;
	struct config_account		*a;
	char				 missing[128];
	size_t				 i, j;
	int				 line = 0;

	for (i = 0; i < c->naccounts; i++) {
		a = &c->accounts[i];
		missing[0] = '\0';
		for (j = 0; j < CFG_NKEYS; j++) {
			if (cfg_keys[j].sec != CS_ACCOUNT ||
			    !(cfg_keys[j].flags & CF_REQUIRED) ||
			    *(char **)((char *)a + cfg_keys[j].off) != NULL)
				continue;
			snprintf(missing + strlen(missing), sizeof missing -
			    strlen(missing), "%s%s", missing[0] ? ", " : "",
			    cfg_keys[j].key);
		}
		if (missing[0] != '\0')
			diags_add(d, file, a->line, "account '%s' lacks %s",
			    a->name, missing);
		if (a->poll_interval == 0)
			a->poll_interval = c->poll_interval;
	}

	for (i = 0; i < f->nsections; i++)
		if (line == 0 && strcmp(f->sections[i].kind, "notify") == 0)
			line = f->sections[i].line;
	if (n->smtp_url != NULL && n->mail_from == NULL)
		diags_add(d, file, line, "[notify] smtp-url needs mail-from");
	if (n->smtp_url != NULL && n->office_to == NULL && n->oncall_to == NULL)
		diags_add(d, file, line, "[notify] smtp-url needs office-to "
		    "or oncall-to");
	if (n->smtp_url == NULL && (n->office_to != NULL ||
	    n->oncall_to != NULL || n->mail_from != NULL))
		diags_add(d, file, line, "[notify] mail addresses are given "
		    "but smtp-url is not");
	if (c->backoff_max < c->backoff_base) {
		int bl = cfg_global_line(f, "backoff-max");

		diags_add(d, file, bl ? bl : cfg_global_line(f, "backoff-base"),
		    "backoff-max is less than backoff-base");
	}
	if (c->proxy_auth_header != NULL && c->proxy_auth_from.n == 0)
		diags_add(d, file, cfg_global_line(f, "proxy-auth-header"),
		    "proxy-auth-header needs proxy-auth-from, the address of "
		    "the proxy it is trusted from");
	if (c->proxy_auth_header == NULL && c->proxy_auth_from.n > 0)
		diags_add(d, file, cfg_global_line(f, "proxy-auth-from"),
		    "proxy-auth-from is set but proxy-auth-header is not");
}

int
config_parse_buffer(const char *path, const char *buf, size_t len,
    struct config *c, struct diags *d)
{
	struct kv_file		 f;
	struct config_account	*a;
	const struct kv_section	*s;
	int			 once[CS_COUNT] = { 0 };
	size_t			 before = d->n, i, j;
	int			 sec;

	config_init(c);
	c->path = xstrdup(path);
	(void)kv_parse_buffer(path, buf, len, &f, d);

	for (i = 0; i < f.nsections; i++) {
		s = &f.sections[i];
		if ((sec = cfg_section_of(d, path, s)) == -1)
			continue;
		if (sec == CS_ACCOUNT) {
			if (s->name[0] == '\0') {
				diags_add(d, path, s->line, "[account] needs a "
				    "name: [account NAME]");
				continue;
			}
			for (j = 0; j < c->naccounts; j++)
				if (strcmp(c->accounts[j].name, s->name) == 0)
					break;
			if (j < c->naccounts) {
				diags_add(d, path, s->line, "duplicate account "
				    "'%s' (first at line %d)", s->name,
				    c->accounts[j].line);
				continue;
			}
			c->accounts = xreallocarray(c->accounts,
			    c->naccounts + 1, sizeof *c->accounts);
			a = &c->accounts[c->naccounts++];
			memset(a, 0, sizeof *a);
			a->name = xstrdup(s->name);
			a->line = s->line;
			a->confdir = cfg_dirname(path);
			cfg_defaults(CS_ACCOUNT, a);
			cfg_section_pairs(c, d, path, CS_ACCOUNT, a, s);
			continue;
		}
		if (sec != CS_GLOBAL) {
			if (s->name[0] != '\0')
				diags_add(d, path, s->line, "[%s] takes no name",
				    s->kind);
			if (once[sec]) {
				diags_add(d, path, s->line, "duplicate [%s] "
				    "section (first at line %d)", s->kind,
				    once[sec]);
				continue;
			}
			once[sec] = s->line;
		}
		cfg_section_pairs(c, d, path, sec, cfg_base(c, sec, NULL), s);
	}
	cfg_check(c, d, path, &f);
	kv_file_free(&f);
	return d->n > before ? -1 : 0;
}

int
config_parse_file(const char *path, struct config *c, struct diags *d)
{
	char	*buf;
	size_t	 len;
	int	 rv;

	if (kv_read_file(path, KV_MAX_FILE, &buf, &len) == -1) {
		/* before config_init and xstrdup, which may change errno */
		char		 msg[64];
		const char	*why = kv_read_strerror(errno, KV_MAX_FILE, msg,
		    sizeof msg);

		config_init(c);
		c->path = xstrdup(path);
		diags_add(d, path, 0, "cannot read: %s", why);
		return -1;
	}
	rv = config_parse_buffer(path, buf, len, c, d);
	free(buf);
	return rv;
}

const char *
config_key(size_t i, const char **section)
{
	if (i >= CFG_NKEYS)
		return NULL;
	if (section != NULL)
		*section = cfg_sections[cfg_keys[i].sec].kind;
	return cfg_keys[i].key;
}

const struct config_account *
config_account_find(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->naccounts; i++)
		if (strcmp(c->accounts[i].name, name) == 0)
			return &c->accounts[i];
	return NULL;
}

/* --- tokens ------------------------------------------------------------ */

int
config_read_token(const struct config_account *a, bool admin, char **token,
    struct diags *d)
{
	const char	*file = admin ? a->admin_token_file : a->token_file;
	const char	*dir;
	char		*path, *buf, why[64];
	size_t		 len, i, s, e;

	*token = NULL;
	if (file == NULL) {
		diags_add(d, "", 0, "account '%s' has no %s", a->name,
		    admin ? "admin-token-file" : "token-file");
		return -1;
	}
	if (file[0] == '/')
		path = xstrdup(file);
	else {
		dir = getenv("CREDENTIALS_DIRECTORY");
		if (dir == NULL || *dir == '\0')
			dir = a->confdir ? a->confdir : ".";
		xasprintf(&path, "%s/%s", dir, file);
	}
	if (kv_read_file(path, 65536, &buf, &len) == -1) {
		diags_add(d, path, 0, "account '%s': cannot read token: %s",
		    a->name, kv_read_strerror(errno, 65536, why, sizeof why));
		free(path);
		return -1;
	}
	for (s = 0; s < len && isspace((unsigned char)buf[s]); s++)
		;
	for (e = len; e > s && isspace((unsigned char)buf[e - 1]); e--)
		;
	for (i = s; i < e; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			break;
	if (e == s || i < e) {
		diags_add(d, path, 0, "account '%s': token %s", a->name,
		    e == s ? "file is empty" : "contains white space or "
		    "control characters inside");
		explicit_bzero(buf, len);
		free(buf);
		free(path);
		return -1;
	}
	*token = xstrndup(buf + s, e - s);
	explicit_bzero(buf, len);
	free(buf);
	free(path);
	return 0;
}

/* --- printing ------------------------------------------------------------ */

/*
 * A URL as -n prints it: the password of user:password@ is not shown (the
 * output goes to terminals, logs and bug reports).
 */
static const char *
cfg_url_shown(const char *url, char *buf, size_t len)
{
	const char	*auth, *at = NULL, *colon, *p;
	size_t		 alen;

	if (url == NULL || (auth = strstr(url, "://")) == NULL)
		return url;
	auth += 3;
	alen = strcspn(auth, "/?#");
	for (p = auth; p < auth + alen; p++)
		if (*p == '@')
			at = p;
	if (at == NULL || (colon = memchr(auth, ':', at - auth)) == NULL)
		return url;
	if ((size_t)snprintf(buf, len, "%.*s:****%s", (int)(colon - url), url,
	    at) >= len)
		return "(a URL with a password, not shown)";
	return buf;
}

/* The value of key k (category cat) as the file would write it; NULL: unset. */
static const char *
cfg_value(const struct cfg_key *k, const void *base, int cat, char *buf,
    size_t len)
{
	const char	*slot = (const char *)base + k->off;

	switch (k->type) {
	case CT_URL:
		return cfg_url_shown(*(char *const *)slot, buf, len);
	case CT_STRING:
	case CT_PATH:
	case CT_ADDR:
	case CT_MAIL:
	case CT_HEADER:
		return *(char *const *)slot;
	case CT_NET:
		return NULL;	/* CF_REPEAT: printed from the list */
	case CT_HOURS:
		return officehours_format(&((const struct config_notify *)
		    base)->hours, buf, len);
	case CT_INT:
		snprintf(buf, len, "%d", *(const int *)slot);
		return buf;
	case CT_DURATION:
		return config_format_duration(*(const long *)slot, buf, len);
	case CT_BOOL:
		return *(const bool *)slot ? "yes" : "no";
	case CT_ENUM:
		if (k->flags & CF_ENUMSTR)
			return *(char *const *)slot;
		return cfg_choice_name(k->choices, *(const int *)slot, buf, len);
	case CT_ACTIONS:
		if (k->sec == CS_ACCOUNT) {
			const struct policy_overrides *o = (const void *)slot;

			if (!(o->set & (1u << cat)))
				return NULL;
			return action_format(o->actions[cat], buf, len);
		}
		return action_format(((const unsigned *)slot)[cat], buf, len);
	}
	return NULL;
}

static void
cfg_print_section(FILE *fp, const struct config *c, enum cfg_section sec,
    const struct config_account *a)
{
	const struct cfg_key	*k;
	const struct config_strv *sv;
	const void		*base = cfg_cbase(c, sec, a);
	const char		*v;
	char			 buf[256];
	size_t			 i, j;
	int			 cat;

	for (i = 0; i < CFG_NKEYS; i++) {
		k = &cfg_keys[i];
		if (k->sec != sec)
			continue;
		if (k->flags & CF_CATEGORY) {
			for (cat = 0; cat < CAT_COUNT; cat++)
				if ((v = cfg_value(k, base, cat, buf,
				    sizeof buf)) != NULL)
					fprintf(fp, "%s%s = %s\n", k->key,
					    category_name(cat), v);
			continue;
		}
		if (k->flags & CF_REPEAT) {
			sv = (const void *)((const char *)base + k->off);
			for (j = 0; j < sv->n; j++)
				fprintf(fp, "%s = %s\n", k->key, sv->v[j]);
			if (sv->n == 0)
				fprintf(fp, "# %s is not set\n", k->key);
			continue;
		}
		if ((v = cfg_value(k, base, 0, buf, sizeof buf)) != NULL)
			fprintf(fp, "%s = %s\n", k->key, v);
		else
			fprintf(fp, "# %s is not set\n", k->key);
	}
}

void
config_print(FILE *fp, const struct config *c)
{
	size_t i;

	fprintf(fp, "# effective configuration of %s\n",
	    c->path ? c->path : "(defaults)");
	cfg_print_section(fp, c, CS_GLOBAL, NULL);
	for (i = CS_POLICY; i < CS_COUNT; i++) {
		fprintf(fp, "\n[%s]\n", cfg_sections[i].kind);
		cfg_print_section(fp, c, i, NULL);
	}
	for (i = 0; i < c->naccounts; i++) {
		fprintf(fp, "\n[account %s]\n", c->accounts[i].name);
		cfg_print_section(fp, c, CS_ACCOUNT, &c->accounts[i]);
	}
}

/* man(7) text: backslash, hyphen-minus and leading control characters. */
static void
cfg_man(FILE *fp, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", fp);
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", fp);
		else if (*s == '-')
			fputs("\\-", fp);
		else if (*s == '\n' && (s[1] == '.' || s[1] == '\''))
			fputs("\n\\&", fp);
		else
			fputc(*s, fp);
	}
}

void
config_print_reference(FILE *fp)
{
	const struct cfg_key	*k;
	char			 lo[32], hi[32];
	size_t			 i, s;

	for (s = 0; s < CS_COUNT; s++) {
		fputs(".SS ", fp);
		cfg_man(fp, cfg_sections[s].title);
		fputs("\n", fp);
		cfg_man(fp, cfg_sections[s].help);
		fputs("\n", fp);
		for (i = 0; i < CFG_NKEYS; i++) {
			k = &cfg_keys[i];
			if (k->sec != (enum cfg_section)s)
				continue;
			/* .BI alternates bold and italic: key = type */
			fputs(".TP\n.BI \"", fp);
			cfg_man(fp, k->key);
			if (k->flags & CF_CATEGORY)
				fputs("\" CATEGORY \"", fp);
			fputs(" = \" \"", fp);
			cfg_man(fp, k->type == CT_ENUM ? k->choices :
			    cfg_type_arg[k->type]);
			fputs("\"\n", fp);
			cfg_man(fp, k->help);
			fputs("\n", fp);
			if (k->flags & CF_REPEAT)
				fputs("May be given more than once.\n", fp);
			if (k->flags & CF_REQUIRED)
				fputs("Required.\n", fp);
			if (k->type == CT_INT)
				fprintf(fp, "Range %ld to %ld.\n", k->min,
				    k->max);
			if (k->type == CT_DURATION)
				fprintf(fp, "Range %s to %s.\n",
				    config_format_duration(k->min, lo, sizeof lo),
				    config_format_duration(k->max, hi,
				    sizeof hi));
			if (k->type == CT_URL) {
				fputs("Schemes: ", fp);
				cfg_man(fp, k->choices);
				fputs(".\n", fp);
			}
			if (k->defdoc != NULL) {
				fputs("Default: ", fp);
				cfg_man(fp, k->defdoc);
				fputs(".\n", fp);
			} else if (k->def != NULL) {
				fputs("Default:\n.BR \"", fp);
				cfg_man(fp, k->def);
				fputs("\" .\n", fp);
			} else if (!(k->flags & CF_REQUIRED))
				fputs("Not set by default.\n", fp);
		}
	}
}
