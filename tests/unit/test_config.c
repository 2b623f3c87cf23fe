/*
 * test_config.c: netiquetted.conf(5).  A full file parses into the values
 * it says; every kind of mistake is reported at its line, all of them in
 * one pass; the printed configuration parses back to itself; tokens are
 * read from $CREDENTIALS_DIRECTORY and never echoed; and the manual page
 * holds exactly the key reference the table generates.
 *
 * NQ_UPDATE_MAN=1 test_config rewrites that part of man/netiquetted.conf.5
 * (the generator step): run it after changing the key table.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "config.h"
#include "kvfile.h"

#define MAN_BEGIN	".\\\" BEGIN GENERATED KEYS\n"
#define MAN_END		".\\\" END GENERATED KEYS\n"

static int
parse(const char *src, struct config *c, struct diags *d)
{
	return config_parse_buffer("t.conf", src, strlen(src), c, d);
}

/* True when some diagnostic is at line and contains text. */
static int
has_diag(const struct diags *d, int line, const char *text)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].line == line && strstr(d->v[i].msg, text) != NULL)
			return 1;
	fprintf(stderr, "  no diagnostic at line %d with \"%s\"\n", line, text);
	return 0;
}

static void
test_defaults(void)
{
	struct config	c;
	struct diags	d = { 0 };

	CHECK_INT(parse("", &c, &d), 0);
	CHECK_INT(d.n, 0);
	CHECK_STR(c.state_dir, "/var/lib/netiquetted");
	CHECK_INT(c.rules_dirs.n, 1);
	CHECK_STR(c.listen, "127.0.0.1:8080");
	CHECK_INT(c.poll_interval, 30);
	CHECK_INT(c.log_level, CONFIG_LOG_INFO);
	CHECK_INT(c.max_tries, 8);
	CHECK_INT(c.backoff_base, 5);
	CHECK_INT(c.backoff_max, 3600);
	CHECK_INT(c.policy.max_strikes, 3);
	CHECK_INT(c.policy.window, 30 * 86400);
	CHECK_INT(c.policy.offender_action, POLICY_OFFENDER_PROPOSE_BLOCK);
	CHECK_INT(c.policy.actions[CAT_INSULT], ACT_HIDE | ACT_REVIEW);
	CHECK_INT(c.policy.actions[CAT_COMMERCIAL], ACT_DELETE);
	CHECK_STR(c.notify.office_hours, "Mon-Fri 09:00-17:00");
	CHECK_INT(c.notify.hours.days, 0x1f);
	CHECK_INT(c.notify.hours.start, 9 * 60);
	CHECK_INT(c.notify.hours.end, 17 * 60);
	CHECK_STR(c.notify.timezone, "Europe/Berlin");
	CHECK(c.notify.smtp_url == NULL);
	CHECK_INT(c.naccounts, 0);
	config_free(&c);
	diags_free(&d);
}

static const char full[] =
    "# netiquetted.conf\n"
    "state-dir = /srv/nq\n"
    "rules-dir = /etc/netiquetted/rules\n"
    "rules-dir = /etc/netiquetted/local\n"
    "listen = [::1]:9090\n"
    "poll-interval = 5m\n"
    "log-level = debug\n"
    "max-tries = 5\n"
    "backoff-base = 2s\n"
    "backoff-max = 1h30m\n"
    "\n"
    "[policy]\n"
    "insult = hide+review\n"
    "provocation = none\n"
    "commercial = delete, notify\n"
    "\n"
    "[offenders]\n"
    "max-strikes = 5\n"
    "window = 2w\n"
    "action = block\n"
    "\n"
    "[notify]\n"
    "webhook-url = https://chat.example.bund.de/hooks/abc\n"
    "smtp-url = smtp://mail.example.bund.de:587\n"
    "mail-from = netiquetted@example.bund.de\n"
    "office-to = redaktion@example.bund.de, recht@example.bund.de\n"
    "oncall-to = bereitschaft@example.bund.de\n"
    "office-hours = mon-thu,Sat 08:30-16:00\n"
    "\n"
    "[account bmi-mastodon]\n"
    "platform = mastodon\n"
    "base-url = https://social.bund.de/\n"
    "token-file = bmi-mastodon.token\n"
    "admin-token-file = /run/credentials/admin.token\n"
    "mode = auto\n"
    "report-forward = yes\n"
    "policy.vulgar = review\n"
    "policy.personal-data = hide\n"
    "\n"
    "[account bmi-youtube]\n"
    "platform = youtube\n"
    "base-url = https://www.googleapis.com/youtube/v3\n"
    "token-file = yt.token\n"
    "poll-interval = 2m\n";

static void
test_full(void)
{
	const struct config_account	*a;
	struct config			 c;
	struct diags			 d = { 0 };

	CHECK_INT(parse(full, &c, &d), 0);
	diags_print(&d, stderr);
	CHECK_INT(d.n, 0);
	CHECK_STR(c.state_dir, "/srv/nq");
	CHECK_INT(c.rules_dirs.n, 2);
	if (c.rules_dirs.n == 2) {
		CHECK_STR(c.rules_dirs.v[0], "/etc/netiquetted/rules");
		CHECK_STR(c.rules_dirs.v[1], "/etc/netiquetted/local");
	}
	CHECK_STR(c.listen, "[::1]:9090");
	CHECK_INT(c.poll_interval, 300);
	CHECK_INT(c.log_level, CONFIG_LOG_DEBUG);
	CHECK_INT(c.max_tries, 5);
	CHECK_INT(c.backoff_max, 5400);
	CHECK_INT(c.policy.actions[CAT_PROVOCATION], 0);
	CHECK_INT(c.policy.actions[CAT_COMMERCIAL], ACT_DELETE | ACT_NOTIFY);
	CHECK_INT(c.policy.actions[CAT_HATE], ACT_HIDE | ACT_REVIEW);
	CHECK_INT(c.policy.max_strikes, 5);
	CHECK_INT(c.policy.window, 14 * 86400);
	CHECK_INT(c.policy.offender_action, POLICY_OFFENDER_BLOCK);
	CHECK_STR(c.notify.oncall_to, "bereitschaft@example.bund.de");
	CHECK_INT(c.notify.hours.days, 0x0f | 0x20);
	CHECK_INT(c.notify.hours.start, 8 * 60 + 30);
	CHECK_INT(c.naccounts, 2);

	a = config_account_find(&c, "bmi-mastodon");
	CHECK(a != NULL);
	if (a != NULL) {
		CHECK_STR(a->platform, "mastodon");
		CHECK_STR(a->base_url, "https://social.bund.de");
		CHECK_STR(a->token_file, "bmi-mastodon.token");
		CHECK_STR(a->admin_token_file, "/run/credentials/admin.token");
		CHECK_INT(a->mode, POLICY_MODE_AUTO);
		CHECK_INT(a->poll_interval, 300);	/* inherited */
		CHECK(a->report_forward);
		CHECK_INT(a->overrides.set,
		    (1u << CAT_VULGAR) | (1u << CAT_PERSONAL_DATA));
		CHECK_INT(a->overrides.actions[CAT_VULGAR], ACT_REVIEW);
		CHECK_INT(a->line, 30);
		CHECK_STR(a->confdir, ".");
	}
	a = config_account_find(&c, "bmi-youtube");
	CHECK(a != NULL);
	if (a != NULL) {
		CHECK_INT(a->mode, POLICY_MODE_REVIEW);	/* the default */
		CHECK_INT(a->poll_interval, 120);
		CHECK(a->admin_token_file == NULL);
		CHECK(!a->report_forward);
		CHECK_INT(a->overrides.set, 0);
	}
	CHECK(config_account_find(&c, "nope") == NULL);
	config_free(&c);
	diags_free(&d);
}

static void
test_errors(void)
{
	const char src[] =
	    "state-dir = relative/dir\n"			/* 1 */
	    "pol-interval = 30s\n"				/* 2 */
	    "poll-interval = 2s\n"				/* 3 */
	    "max-tries = 0\n"					/* 4 */
	    "backoff-base = 5 minutes\n"			/* 5 */
	    "listen = localhost\n"				/* 6 */
	    "log-level = loud\n"				/* 7 */
	    "[polcy]\n"						/* 8 */
	    "x = y\n"						/* 9 */
	    "[policy]\n"					/* 10 */
	    "insult = hide+block\n"				/* 11 */
	    "insutl = hide\n"					/* 12 */
	    "violence = hide+shout\n"				/* 13 */
	    "insult = review\n"					/* 14 */
	    "[offenders]\n"					/* 15 */
	    "max-strikes = 0\n"					/* 16 */
	    "window = 0s\n"					/* 17 */
	    "action = ban\n"					/* 18 */
	    "[account a]\n"					/* 19 */
	    "platform = myspace\n"				/* 20 */
	    "base-url = ftp://x\n"				/* 21 */
	    "mode = yolo\n"					/* 22 */
	    "webhook-url = https://x\n"				/* 23 */
	    "policy.insul = hide\n"				/* 24 */
	    "policy.nonsense = hide\n"				/* 25 */
	    "report-forward = maybe\n"				/* 26 */
	    "[account a]\n"					/* 27 */
	    "[account]\n"					/* 28 */
	    "[notify]\n"					/* 29 */
	    "mail-from = not an address\n"			/* 30 */
	    "office-to = a@b, <evil>\n"				/* 31 */
	    "office-hours = Mon-Fri 17:00-09:00\n"		/* 32 */
	    "timezone = UTC\n"					/* 33 */
	    "smtp-url = smtp://mail:25\n"			/* 34 */
	    "[notify]\n"					/* 35 */
	    "[account b]\n"					/* 36 */
	    "mode = auto\n"					/* 37 */
	    "platform = mastodon\n"				/* 38 */
	    "platform = x\n"					/* 39 */
	    "bad line\n";					/* 40 */
	struct config	c;
	struct diags	d = { 0 };
	size_t		i;

	CHECK_INT(parse(src, &c, &d), -1);
	CHECK(has_diag(&d, 1, "absolute"));
	CHECK(has_diag(&d, 2, "did you mean 'poll-interval'"));
	CHECK(has_diag(&d, 3, "out of range 5s..1d"));
	CHECK(has_diag(&d, 4, "0 is out of range 1..100"));
	CHECK(has_diag(&d, 5, "bad duration"));
	CHECK(has_diag(&d, 6, "host:port"));
	CHECK(has_diag(&d, 7, "not one of error|warning"));
	CHECK(has_diag(&d, 8, "unknown section [polcy] (did you mean [policy]"));
	CHECK(has_diag(&d, 11, "[offenders]"));
	CHECK(has_diag(&d, 12, "did you mean 'insult'"));
	CHECK(has_diag(&d, 13, "unknown action"));
	CHECK(has_diag(&d, 14, "given twice (first at line 11)"));
	CHECK(has_diag(&d, 16, "out of range"));
	CHECK(has_diag(&d, 17, "out of range 1h..365d"));
	CHECK(has_diag(&d, 18, "none|propose-block|block"));
	CHECK(has_diag(&d, 20, "'myspace' is not one of mastodon"));
	CHECK(has_diag(&d, 21, "scheme"));
	CHECK(has_diag(&d, 22, "auto|review|dry-run"));
	CHECK(has_diag(&d, 23, "belongs in the [notify] section"));
	CHECK(has_diag(&d, 24, "did you mean 'policy.insult'"));
	CHECK(has_diag(&d, 25, "unknown category 'nonsense'"));
	CHECK(has_diag(&d, 26, "yes or no"));
	CHECK(has_diag(&d, 27, "duplicate account 'a' (first at line 19)"));
	CHECK(has_diag(&d, 28, "needs a name"));
	CHECK(has_diag(&d, 30, "not a plain e-mail address"));
	CHECK(has_diag(&d, 31, "'<evil>'"));
	CHECK(has_diag(&d, 32, "end before they start"));
	CHECK(has_diag(&d, 33, "Europe/Berlin"));
	CHECK(has_diag(&d, 35, "duplicate [notify] section (first at line 29)"));
	CHECK(has_diag(&d, 39, "given twice (first at line 38)"));
	CHECK(has_diag(&d, 40, "key = value"));
	/* cross-key checks: at the header they concern */
	CHECK(has_diag(&d, 19, "account 'a' lacks platform, base-url, "
	    "token-file"));
	CHECK(has_diag(&d, 36, "account 'b' lacks base-url, token-file"));
	CHECK(has_diag(&d, 29, "smtp-url needs mail-from"));
	CHECK(has_diag(&d, 29, "needs office-to or oncall-to"));
	CHECK_INT(d.n, 35);
	for (i = 0; i < d.n; i++)
		CHECK(d.v[i].line > 0 && strcmp(d.v[i].file, "t.conf") == 0);
	if (tu_failures)
		diags_print(&d, stderr);
	config_free(&c);
	diags_free(&d);

	/* a global key in a section, an account key globally */
	CHECK_INT(parse("platform = x\n[notify]\nlisten = 1.2.3.4:80\n", &c,
	    &d), -1);
	CHECK(has_diag(&d, 1, "belongs in the [account NAME] section"));
	CHECK(has_diag(&d, 3, "global key"));
	config_free(&c);
	diags_clear(&d);

	/* in [policy] every key names a category: another section's first */
	CHECK_INT(parse("[policy]\nmax-strikes = 3\nnonsense = hide\n", &c,
	    &d), -1);
	CHECK(has_diag(&d, 2, "'max-strikes' belongs in the [offenders] "
	    "section"));
	CHECK(has_diag(&d, 3, "unknown category 'nonsense'"));
	config_free(&c);
	diags_clear(&d);

	CHECK_INT(parse("backoff-base = 10m\nbackoff-max = 1m\n", &c, &d), -1);
	CHECK(d.n == 1 && strstr(d.v[0].msg, "backoff-max") != NULL);
	CHECK(has_diag(&d, 2, "backoff-max is less than backoff-base"));
	config_free(&c);
	diags_clear(&d);

	/* the reason, not the errno of what ran after the failed read */
	CHECK_INT(config_parse_file("/nonexistent/nq.conf", &c, &d), -1);
	CHECK(d.n == 1 && strstr(d.v[0].msg,
	    "cannot read: No such file or directory") != NULL);
	config_free(&c);
	diags_free(&d);
}

/* proxy-auth-*: header names, networks, the pairing, and matching peers. */
static void
test_proxy(void)
{
	struct config	c;
	struct diags	d = { 0 };
	const char	bad[] =
	    "proxy-auth-header = X Remote User\n"		/* 1 */
	    "proxy-auth-from = 10.0.0.300\n"			/* 2 */
	    "proxy-auth-from = 10.1.2.3/16\n"			/* 3 */
	    "proxy-auth-from = ::/0\n"				/* 4 */
	    "proxy-auth-from = 10.0.0.0/33\n"			/* 5 */
	    "proxy-auth-from = proxy.example\n"			/* 6 */
	    "proxy-auth-from = ::ffff:192.0.2.10\n"		/* 7 */
	    "proxy-auth-from = 10.0.0.0/+8\n"			/* 8 */
	    "proxy-auth-from = 10.0.0.0/ 8\n";			/* 9 */
	const char	own[] = "proxy-auth-header = authorization\n"
	    "proxy-auth-from = 127.0.0.1\n";
	const char	lonely[] = "\nproxy-auth-from = 127.0.0.1\n";
	const char	nofrom[] = "proxy-auth-header = X-Remote-User\n";
	const char	good[] = "proxy-auth-header = X-Remote-User\n"
	    "proxy-auth-from = 127.0.0.2\n"
	    "proxy-auth-from = 10.8.0.0/16\n"
	    "proxy-auth-from = fd00:1::/64\n"
	    "proxy-auth-password-login = yes\n";

	CHECK_INT(parse(bad, &c, &d), -1);
	CHECK(has_diag(&d, 1, "not a header name"));
	CHECK(has_diag(&d, 2, "not an IPv4 or IPv6"));
	CHECK(has_diag(&d, 3, "host bits set beyond /16"));
	CHECK(has_diag(&d, 4, "would trust every address"));
	CHECK(has_diag(&d, 5, "prefix must be 1..32"));
	CHECK(has_diag(&d, 6, "not an IPv4 or IPv6"));
	CHECK(has_diag(&d, 7, "write the IPv4 address"));
	CHECK(has_diag(&d, 8, "prefix must be 1..32"));
	CHECK(has_diag(&d, 9, "prefix must be 1..32"));
	config_free(&c);
	diags_free(&d);
	CHECK_INT(parse(own, &c, &d), -1);
	CHECK(has_diag(&d, 1, "Authorization cannot carry the user name"));
	config_free(&c);
	diags_free(&d);
	CHECK_INT(parse(lonely, &c, &d), -1);
	CHECK(has_diag(&d, 2, "proxy-auth-header is not"));
	config_free(&c);
	diags_free(&d);
	CHECK_INT(parse(nofrom, &c, &d), -1);
	CHECK(has_diag(&d, 1, "needs proxy-auth-from"));
	config_free(&c);
	diags_free(&d);

	CHECK_INT(parse(good, &c, &d), 0);
	CHECK_STR(c.proxy_auth_header, "X-Remote-User");
	CHECK_INT(c.proxy_auth_from.n, 3);
	CHECK(c.proxy_auth_password_login);
	CHECK(config_net_match(&c.proxy_auth_from, "127.0.0.2"));
	CHECK(config_net_match(&c.proxy_auth_from, "::ffff:127.0.0.2"));
	CHECK(!config_net_match(&c.proxy_auth_from, "127.0.0.1"));
	CHECK(!config_net_match(&c.proxy_auth_from, "127.0.0.20"));
	CHECK(config_net_match(&c.proxy_auth_from, "10.8.255.1"));
	CHECK(!config_net_match(&c.proxy_auth_from, "10.9.0.1"));
	CHECK(config_net_match(&c.proxy_auth_from, "fd00:1::7"));
	CHECK(config_net_match(&c.proxy_auth_from, "fd00:1:0:0:ffff::1"));
	CHECK(!config_net_match(&c.proxy_auth_from, "fd00:2::7"));
	CHECK(!config_net_match(&c.proxy_auth_from, "::1"));
	CHECK(!config_net_match(&c.proxy_auth_from, ""));
	CHECK(!config_net_match(&c.proxy_auth_from, "not-an-address"));
	CHECK(!config_net_match(&c.proxy_auth_from, NULL));
	config_free(&c);
	diags_free(&d);

	/* off by default; a default config matches no peer */
	config_init(&c);
	CHECK(c.proxy_auth_header == NULL);
	CHECK(!c.proxy_auth_password_login);
	CHECK(!config_net_match(&c.proxy_auth_from, "127.0.0.1"));
	config_free(&c);
}

static void
test_durations(void)
{
	char	buf[32];
	long	s;

	CHECK_INT(config_parse_duration("30s", &s), 0);
	CHECK_INT(s, 30);
	CHECK_INT(config_parse_duration("90", &s), 0);
	CHECK_INT(s, 90);
	CHECK_INT(config_parse_duration("1h30m", &s), 0);
	CHECK_INT(s, 5400);
	CHECK_INT(config_parse_duration("2w", &s), 0);
	CHECK_INT(s, 14 * 86400);
	CHECK_INT(config_parse_duration("", &s), -1);
	CHECK_INT(config_parse_duration("1h30", &s), -1);
	/* each unit once, the largest first */
	CHECK_INT(config_parse_duration("1m1m", &s), -1);
	CHECK_INT(config_parse_duration("1s1h", &s), -1);
	CHECK_INT(config_parse_duration("1d2h3m4s", &s), 0);
	CHECK_INT(s, 86400 + 7200 + 180 + 4);
	CHECK_INT(config_parse_duration("m", &s), -1);
	CHECK_INT(config_parse_duration("-5s", &s), -1);
	CHECK_INT(config_parse_duration("5 s", &s), -1);
	CHECK_INT(config_parse_duration("99999999999999999999999s", &s), -1);
	CHECK_INT(config_parse_duration("9223372036854775807w", &s), -1);
	CHECK_STR(config_format_duration(30, buf, sizeof buf), "30s");
	CHECK_STR(config_format_duration(5400, buf, sizeof buf), "1h30m");
	CHECK_STR(config_format_duration(30 * 86400, buf, sizeof buf), "30d");
	CHECK_STR(config_format_duration(90061, buf, sizeof buf), "1d1h1m1s");
	CHECK_STR(config_format_duration(0, buf, sizeof buf), "0s");
}

static char *
print_to_string(const struct config *c)
{
	char	*s = NULL;
	size_t	 n = 0;
	FILE	*fp = open_memstream(&s, &n);

	config_print(fp, c);
	fclose(fp);
	return s;
}

static void
test_roundtrip(void)
{
	struct config	c, c2;
	struct diags	d = { 0 };
	char		*a, *b;

	CHECK_INT(parse(full, &c, &d), 0);
	a = print_to_string(&c);
	CHECK(strstr(a, "poll-interval = 5m\n") != NULL);
	CHECK(strstr(a, "office-hours = Mon-Thu,Sat 08:30-16:00\n") != NULL);
	CHECK(strstr(a, "policy.vulgar = review\n") != NULL);
	CHECK(strstr(a, "[account bmi-youtube]\n") != NULL);
	CHECK(strstr(a, "provocation = none\n") != NULL);
	CHECK_INT(parse(a, &c2, &d), 0);
	diags_print(&d, stderr);
	b = print_to_string(&c2);
	/* the first line names the file; the rest must be identical */
	CHECK_STR(strchr(a, '\n'), strchr(b, '\n'));
	free(a);
	free(b);
	config_free(&c);
	config_free(&c2);

	/* a URL's password is not printed; the rest of the URL is */
	CHECK_INT(parse("[account a]\nplatform = mastodon\ntoken-file = t\n"
	    "base-url = https://user:geheim@social.bund.de:8443/x\n", &c, &d),
	    0);
	a = print_to_string(&c);
	CHECK(strstr(a, "geheim") == NULL);
	CHECK(strstr(a, "base-url = https://user:****@social.bund.de:8443/x\n")
	    != NULL);
	free(a);
	config_free(&c);

	/* the defaults print and parse back too */
	config_init(&c);
	a = print_to_string(&c);
	CHECK(strstr(a, "# webhook-url is not set\n") != NULL);
	CHECK_INT(parse(a, &c2, &d), 0);
	diags_print(&d, stderr);
	free(a);
	config_free(&c);
	config_free(&c2);
	diags_free(&d);
}

static void
write_file(const char *path, const char *s)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL) {
		perror(path);
		abort();
	}
	fputs(s, fp);
	fclose(fp);
}

static void
test_token(void)
{
	char			 dir[] = "/tmp/nq-token-XXXXXX", path[256];
	char			 cred[300];
	const char		*src;
	struct config		 c;
	struct diags		 d = { 0 };
	const struct config_account *a;
	char			*tok;
	size_t			 i;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(cred, sizeof cred, "%s/cred", dir);
	CHECK_INT(mkdir(cred, 0700), 0);
	snprintf(path, sizeof path, "%s/nq.conf", dir);
	src = "[account m]\nplatform = mastodon\nbase-url = https://m.example\n"
	    "token-file = m.token\nadmin-token-file = bad.token\n"
	    "[account e]\nplatform = x\nbase-url = https://api.x.com\n"
	    "token-file = empty.token\n";
	write_file(path, src);
	CHECK_INT(config_parse_file(path, &c, &d), 0);
	diags_print(&d, stderr);

	/* beside the config file when systemd passes no credentials */
	unsetenv("CREDENTIALS_DIRECTORY");
	snprintf(cred, sizeof cred, "%s/m.token", dir);
	write_file(cred, "  s3cr3t-local\n\n");
	a = config_account_find(&c, "m");
	CHECK_INT(config_read_token(a, false, &tok, &d), 0);
	CHECK_STR(tok, "s3cr3t-local");
	free(tok);

	/* $CREDENTIALS_DIRECTORY wins for relative names */
	snprintf(cred, sizeof cred, "%s/cred", dir);
	setenv("CREDENTIALS_DIRECTORY", cred, 1);
	snprintf(cred, sizeof cred, "%s/cred/m.token", dir);
	write_file(cred, "s3cr3t-systemd\r\n");
	CHECK_INT(config_read_token(a, false, &tok, &d), 0);
	CHECK_STR(tok, "s3cr3t-systemd");
	free(tok);

	/* errors name the file, never the content */
	snprintf(cred, sizeof cred, "%s/cred/bad.token", dir);
	write_file(cred, "abc\ndef-s3cr3t\n");
	CHECK_INT(config_read_token(a, true, &tok, &d), -1);
	CHECK(tok == NULL);
	snprintf(cred, sizeof cred, "%s/cred/empty.token", dir);
	write_file(cred, " \n");
	CHECK_INT(config_read_token(config_account_find(&c, "e"), false, &tok,
	    &d), -1);
	CHECK_INT(config_read_token(config_account_find(&c, "e"), true, &tok,
	    &d), -1);				/* no admin-token-file */
	snprintf(cred, sizeof cred, "%s/cred/m.token", dir);
	unlink(cred);
	CHECK_INT(config_read_token(a, false, &tok, &d), -1);
	CHECK_INT(d.n, 4);
	CHECK(has_diag(&d, 0, "control characters"));
	CHECK(has_diag(&d, 0, "empty"));
	CHECK(has_diag(&d, 0, "no admin-token-file"));
	CHECK(has_diag(&d, 0, "cannot read token"));
	for (i = 0; i < d.n; i++)
		CHECK(strstr(d.v[i].msg, "s3cr3t") == NULL &&
		    strstr(d.v[i].file, "s3cr3t") == NULL);
	unsetenv("CREDENTIALS_DIRECTORY");

	unlink(cred);
	snprintf(cred, sizeof cred, "%s/cred/bad.token", dir);
	unlink(cred);
	snprintf(cred, sizeof cred, "%s/cred/empty.token", dir);
	unlink(cred);
	snprintf(cred, sizeof cred, "%s/cred", dir);
	rmdir(cred);
	snprintf(cred, sizeof cred, "%s/m.token", dir);
	unlink(cred);
	unlink(path);
	rmdir(dir);
	config_free(&c);
	diags_free(&d);
}

/* The manual page holds the generated reference; NQ_UPDATE_MAN rewrites it. */
static void
test_manpage(void)
{
	const char	*srcdir = getenv("NQ_SOURCE_DIR"), *sec, *key;
	char		 path[1024], *man = NULL, *ref = NULL, *b, *e, *out;
	char		 want[256];
	size_t		 len, reflen = 0, i;
	FILE		*fp;

	snprintf(path, sizeof path, "%s/man/netiquetted.conf.5",
	    srcdir ? srcdir : "..");
	fp = open_memstream(&ref, &reflen);
	config_print_reference(fp);
	fclose(fp);
	if (kv_read_file(path, 1 << 20, &man, &len) == -1) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		CHECK(0);
		free(ref);
		return;
	}
	b = strstr(man, MAN_BEGIN);
	e = b ? strstr(b, MAN_END) : NULL;
	CHECK(b != NULL && e != NULL);
	if (b == NULL || e == NULL)
		goto out;
	b += strlen(MAN_BEGIN);
	if (getenv("NQ_UPDATE_MAN") != NULL) {
		if ((fp = fopen(path, "w")) == NULL) {
			perror(path);
			CHECK(0);
			goto out;
		}
		fwrite(man, 1, (size_t)(b - man), fp);
		fputs(ref, fp);
		fputs(e, fp);
		fclose(fp);
		printf("%s: key reference regenerated\n", path);
		goto out;
	}
	if ((size_t)(e - b) != reflen || memcmp(b, ref, reflen) != 0) {
		fprintf(stderr, "%s: the key reference differs from the key "
		    "table; regenerate it with NQ_UPDATE_MAN=1 test_config\n",
		    path);
		CHECK(0);
	}
	/* and, spelled out, every key of the table is in the page */
	for (i = 0; (key = config_key(i, &sec)) != NULL; i++) {
		out = want;
		out += snprintf(want, sizeof want, ".BI \"");
		for (; *key != '\0' && out < want + sizeof want - 3; key++) {
			if (*key == '-')
				*out++ = '\\';
			*out++ = *key;
		}
		*out = '\0';
		if (strstr(b, want) == NULL) {
			fprintf(stderr, "%s: key %s%s%s missing\n", path,
			    *sec ? sec : "", *sec ? " " : "", want);
			CHECK(0);
		}
	}
	CHECK(i > 20);
out:
	free(man);
	free(ref);
}

/*
 * One configuration text: accepted without a word, or refused with error
 * at its last line.  Prints the text when it is not.
 */
static void
expect_config(const char *src, const char *error)
{
	struct config	 c;
	struct diags	 d = { 0 };
	const char	*p;
	int		 line = 1, rc, ok;

	for (p = src; *p != '\0'; p++)
		if (*p == '\n' && p[1] != '\0')
			line++;
	rc = parse(src, &c, &d);
	ok = error == NULL ? rc == 0 && d.n == 0 :
	    rc == -1 && has_diag(&d, line, error);
	CHECK(ok);
	if (!ok)
		fprintf(stderr, "config '%s': %zu diagnostics, first: %s\n", src,
		    d.n, d.n ? d.v[0].msg : "-");
	config_free(&c);
	diags_free(&d);
}

/*
 * An action list is words joined by '+' (or ','), none alone: a stray
 * '+' used to read as "none" (commercial posts silently left alone) and
 * "none+hide" as hide.
 */
static void
test_action_lists(void)
{
	static const struct {
		const char	*value;
		const char	*error;	/* NULL: accepted */
	} cases[] = {
		{ "hide+review", NULL },
		{ " hide + review ", NULL },
		{ "delete, notify", NULL },
		{ "none", NULL },
		{ "+", "an action is missing" },
		{ "", "empty value" },
		{ "hide++review", "an action is missing" },
		{ "hide+", "an action is missing" },
		{ "+hide", "an action is missing" },
		{ "hide review", "an action is missing" },
		{ "none+hide", "none stands alone" },
		{ "hide+none", "none stands alone" },
		{ "hide+shout", "unknown action" },
	};
	char	src[128];
	size_t	i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(src, sizeof src, "[policy]\ncommercial = %s\n",
		    cases[i].value);
		expect_config(src, cases[i].error);
	}
}

/* listen addresses and URL authorities: hosts, IP addresses, ports */
static void
test_addresses(void)
{
	static const struct {
		const char	*src;
		const char	*error;	/* NULL: accepted */
	} cases[] = {
		{ "listen = 127.0.0.1:8080", NULL },
		{ "listen = localhost:8080", NULL },
		{ "listen = [::1]:8080", NULL },
		{ "listen = 999.1.1.1:8080", "expected host:port" },
		{ "listen = 1.2.3:8080", "expected host:port" },
		{ "listen = [zz]:80", "expected host:port" },
		{ "listen = [::1]8080", "expected host:port" },
		{ "listen = host:0", "port must be 1..65535" },
		{ "listen = host:65536", "port must be 1..65535" },
		{ "listen = host:80x", "port must be 1..65535" },
		{ "[account a]\nplatform = mastodon\ntoken-file = t\n"
		  "base-url = https://user:pw@social.bund.de:8443/x", NULL },
		{ "[account a]\nplatform = mastodon\ntoken-file = t\n"
		  "base-url = http://[::1]:3000", NULL },
		{ "[account a]\nplatform = mastodon\ntoken-file = t\n"
		  "base-url = https://bürgeramt.example", NULL },
		{ "[account a]\nplatform = mastodon\ntoken-file = t\n"
		  "base-url = https://example.org:99999", "URL port must be" },
		{ "[account a]\nplatform = mastodon\ntoken-file = t\n"
		  "base-url = https://[::1", "is not a host name" },
		{ "[account a]\nplatform = mastodon\ntoken-file = t\n"
		  "base-url = https://300.1.1.1/", "is not a host name" },
		{ "[account a]\nplatform = mastodon\ntoken-file = t\n"
		  "base-url = https://user@/x", "URL has no host" },
	};
	size_t	i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_config(cases[i].src, cases[i].error);
}

int
main(void)
{
	test_defaults();
	test_full();
	test_errors();
	test_action_lists();
	test_addresses();
	test_proxy();
	test_durations();
	test_roundtrip();
	test_token();
	test_manpage();
	return tu_finish("test_config");
}
