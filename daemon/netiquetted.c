/*
 * netiquetted.c: the daemon's entry point and lifecycle.
 *
 * Start: parse the configuration (every error reported), compile the rule
 * set (its examples must pass), open the store, set up the accounts, bind
 * the API listener, resume the outbox, start polling, and only then tell
 * systemd READY=1.  SIGHUP builds a new configuration and rule set beside
 * the running ones and swaps them in, or keeps the old ones and says why.
 * SIGTERM/SIGINT stop taking new work, give in-flight requests a few
 * seconds, record the stop in the audit chain and exit.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "audit.h"
#include "checkpoint.h"
#include "httpc.h"
#include "log.h"
#include "netiquetted.h"
#include "xmalloc.h"

#define STOP_GRACE_SECONDS	5
#define HTTP_ACTION_CONNECTIONS	64	/* per platform host */
#define STORE_CKPT_PAGES	1000	/* WAL pages, SQLite's default */

static void
daemon_notify(const char *state)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

time_t
daemon_now(struct daemon *d)
{
	(void)d;
	return time(NULL);
}

static void
daemon_rs_log(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

static int
daemon_strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Builds a rule set from every *.rules file of every configured rules
 * directory.  Problems are logged as file:line: message, all of them.
 */
static struct ruleset *
daemon_build_rules(const struct config *conf)
{
	struct rs_options	 o;
	struct diags		 d = { 0 };
	struct ruleset		*rs;
	char			**paths = NULL;
	size_t			 n = 0, i, k;
	bool			 missing = false;

	for (k = 0; k < conf->rules_dirs.n; k++) {
		DIR		*dp = opendir(conf->rules_dirs.v[k]);
		struct dirent	*de;
		size_t		 first = n;

		/*
		 * A directory that cannot be read refuses the rule set: with
		 * a mistyped rules-dir the daemon ran on the other directories'
		 * rules alone, after a warning.
		 */
		if (dp == NULL) {
			log_msg(LOG_LVL_ERR, __func__, 1, "rules-dir %s",
			    conf->rules_dirs.v[k]);
			missing = true;
			continue;
		}
		while ((de = readdir(dp)) != NULL) {
			size_t len = strlen(de->d_name);

			if (de->d_name[0] == '.' || len < 7 ||
			    strcmp(de->d_name + len - 6, ".rules") != 0)
				continue;
			paths = xreallocarray(paths, n + 1, sizeof *paths);
			xasprintf(&paths[n++], "%s/%s", conf->rules_dirs.v[k],
			    de->d_name);
		}
		closedir(dp);
		if (n == first)
			log_warnx("rules-dir %s holds no *.rules files",
			    conf->rules_dirs.v[k]);
		qsort(paths + first, n - first, sizeof *paths, daemon_strcmp_ptr);
	}
	rs_options_default(&o);
	o.log = daemon_rs_log;
	rs = n > 0 && !missing ? rs_load_files((const char *const *)paths, n,
	    &o, &d) : NULL;
	/*
	 * Errors: each one refuses the whole rule set (at start, in -n and on
	 * reload), which journalctl -p err should show.  A missing directory
	 * is only a warning while the others still hold rules.
	 */
	if (n == 0)
		log_err("no *.rules files in the configured rules directories");
	for (i = 0; i < d.n; i++) {
		char buf[2048];

		diags_format(&d, i, buf, sizeof buf);
		log_err("%s", buf);
	}
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	diags_free(&d);
	return rs;
}

int
daemon_load_rules(struct daemon *d, struct ruleset **out)
{
	*out = daemon_build_rules(d->conf);
	return *out == NULL ? -1 : 0;
}

/*
 * The start and stop entries also go to the journal with their seq and
 * hash: an anchor outside the store for `netiquettectl audit verify
 * --anchor SEQ:HASH`, which catches a chain rewritten from some entry on
 * or cut off at the end together with sqlite_sequence (audit.h).
 */
static void
daemon_audit(struct daemon *d, const char *kind, json_t *detail)
{
	struct store_err	e = { { 0 } };
	int64_t			seq = 0;
	char			hash[65];

	if (audit_append(d->store, "daemon", kind, 0, detail, &seq, &e) == -1)
		log_warnx("audit %s: %s", kind, e.msg);
	else if ((strcmp(kind, "daemon.start") == 0 ||
	    strcmp(kind, "daemon.stop") == 0) &&
	    audit_head(d->store, &seq, hash, &e) == 0)
		log_info("audit anchor: %" PRId64 ":%s (%s)", seq, hash, kind);
	json_decref(detail);
}

static int
daemon_setup_accounts(struct daemon *d)
{
	size_t	i;
	int	rc = 0;

	d->naccounts = d->conf->naccounts;
	d->accounts = xcalloc(d->naccounts ? d->naccounts : 1, sizeof *d->accounts);
	for (i = 0; i < d->naccounts; i++) {
		struct account			*a = &d->accounts[i];
		const struct config_account	*ca = &d->conf->accounts[i];
		struct diags			 dg = { 0 };

		a->d = d;
		a->conf = ca;
		/* errors, named at the account's section of the file */
		if ((a->conn = conn_find(ca->platform)) == NULL) {
			log_err("%s:%d: account %s: platform %s has no "
			    "connector yet", d->conf->path, ca->line, ca->name,
			    ca->platform);
			rc = -1;
			continue;
		}
		if (config_read_token(ca, false, &a->token, &dg) == -1 ||
		    (ca->admin_token_file != NULL &&
		    config_read_token(ca, true, &a->admin_token, &dg) == -1)) {
			size_t k;
			char buf[1024];

			for (k = 0; k < dg.n; k++) {
				diags_format(&dg, k, buf, sizeof buf);
				log_err("%s:%d: account %s: %s", d->conf->path,
				    ca->line, ca->name, buf);
			}
			rc = -1;
		}
		diags_free(&dg);
		a->ca.name = ca->name;
		a->ca.platform = ca->platform;
		a->ca.base_url = ca->base_url;
		a->ca.token = a->token ? a->token : "";
		a->ca.admin = a->admin_token != NULL;
		a->ca.report_forward = ca->report_forward;
		/*
		 * Mastodon's default of 40 (its maximum is 80): every page
		 * costs a request, a parse and a commit with its fsync, but it
		 * holds the loop while it is screened and its actions wait for
		 * its commit, so an item's fetch-to-action time grows with the
		 * page.  Since the next page is parsed while one is screened
		 * (poller_pump), the size hardly changes items/s: in
		 * alternating 40k runs of bench_daemon.py, 40 gave 3,234-4,019
		 * items/s with p99 28-39 ms, 50 gave 2,827-3,917 with p99
		 * 37-63 ms, 60 gave 3,334-3,844 with p99 48-58 ms; at 100k,
		 * 3,409 (p99 40 ms), 3,306 (47 ms) and 3,619-3,666 (51-53 ms).
		 * Before that, with the loop waiting for the parser, 60 was
		 * about a fifth faster than 40.
		 */
		a->ca.page_limit = 40;
		a->caps = a->conn->capabilities(&a->ca);
	}
	return rc;
}

static void
daemon_free_accounts(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->naccounts; i++) {
		if (d->accounts[i].token != NULL)
			sodium_memzero(d->accounts[i].token,
			    strlen(d->accounts[i].token));
		free(d->accounts[i].token);
		free(d->accounts[i].admin_token);
		instance_free(&d->accounts[i]);
	}
	free(d->accounts);
	d->accounts = NULL;
	d->naccounts = 0;
}

/* --- reload --------------------------------------------------------------- */

static bool
daemon_same_accounts(const struct config *a, const struct config *b)
{
	size_t i;

	if (a->naccounts != b->naccounts)
		return false;
	for (i = 0; i < a->naccounts; i++)
		if (strcmp(a->accounts[i].name, b->accounts[i].name) != 0 ||
		    strcmp(a->accounts[i].platform, b->accounts[i].platform) != 0 ||
		    strcmp(a->accounts[i].base_url, b->accounts[i].base_url) != 0)
			return false;
	return true;
}

struct parse_rules *
daemon_rules_hold(struct daemon *d)
{
	if (d->parse_rules == NULL) {
		d->parse_rules = xcalloc(1, sizeof *d->parse_rules);
		d->parse_rules->rs = d->rs;
		d->parse_rules->scratch = rs_scratch_new(d->rs);
	}
	d->parse_rules->jobs++;
	return d->parse_rules;
}

static void
daemon_rules_free(struct parse_rules *pr)
{
	rs_scratch_free(pr->scratch);
	rs_free(pr->rs);
	free(pr);
}

void
daemon_rules_release(struct daemon *d, struct parse_rules *pr)
{
	if (--pr->jobs == 0 && pr->retired)
		daemon_rules_free(pr);
}

/*
 * Runs rs from now on (NULL: none, at exit).  The old rule set is freed
 * now, or by the last parse job still classifying with it.
 */
static void
daemon_rules_swap(struct daemon *d, struct ruleset *rs)
{
	struct parse_rules *pr = d->parse_rules;

	rs_scratch_free(d->scratch);
	d->scratch = NULL;
	if (pr == NULL)
		rs_free(d->rs);
	else {
		d->parse_rules = NULL;
		pr->retired = true;
		if (pr->jobs == 0)
			daemon_rules_free(pr);
	}
	d->rs = rs;
	if (rs != NULL)
		d->scratch = rs_scratch_new(rs);
}

static void
daemon_reload(struct daemon *d)
{
	struct config	*conf;
	struct diags	 dg = { 0 };
	struct ruleset	*rs;
	char		 old[65];
	size_t		 i;

	daemon_notify("RELOADING=1");
	log_info("reloading configuration and rules");
	conf = xcalloc(1, sizeof *conf);
	if (config_parse_file(d->conf_path, conf, &dg) == -1) {
		char buf[2048];

		for (i = 0; i < dg.n; i++) {
			diags_format(&dg, i, buf, sizeof buf);
			log_err("%s", buf);
		}
		log_err("reload refused: configuration invalid; keeping the "
		    "running one");
		goto refused;
	}
	if (!daemon_same_accounts(d->conf, conf)) {
		log_err("reload refused: accounts changed (added, removed or "
		    "moved); that needs a restart");
		goto refused;
	}
	if ((rs = daemon_build_rules(conf)) == NULL) {
		log_err("reload refused: rule set invalid; keeping rule set %.12s",
		    rs_hash(d->rs));
		goto refused;
	}
	/*
	 * swap: nothing is in the middle of screening, we are the loop; a
	 * page the parser classified with the old rules is classified again
	 */
	snprintf(old, sizeof old, "%s", rs_hash(d->rs));
	daemon_rules_swap(d, rs);
	for (i = 0; i < d->naccounts; i++)
		d->accounts[i].conf = &conf->accounts[i];
	for (i = 0; i < d->naccounts; i++) {
		d->accounts[i].ca.name = conf->accounts[i].name;
		d->accounts[i].ca.platform = conf->accounts[i].platform;
		d->accounts[i].ca.base_url = conf->accounts[i].base_url;
		d->accounts[i].ca.report_forward = conf->accounts[i].report_forward;
	}
	config_free(d->conf);
	free(d->conf);
	d->conf = conf;
	d->policy = conf->policy;
	log_set_level(conf->log_level >= CONFIG_LOG_DEBUG ? LOG_LVL_DEBUG :
	    conf->log_level >= CONFIG_LOG_INFO ? LOG_LVL_INFO :
	    conf->log_level >= CONFIG_LOG_WARNING ? LOG_LVL_WARN : LOG_LVL_ERR);
	d->m.reloads++;
	daemon_audit(d, "daemon.reload", json_pack("{s:s, s:s, s:i}",
	    "old_ruleset", old, "ruleset", rs_hash(rs), "rules",
	    (int)rs_rule_count(rs)));
	log_info("reloaded: rule set %.12s (%zu rules)", rs_hash(rs),
	    rs_rule_count(rs));
	diags_free(&dg);
	daemon_notify("READY=1");
	return;
refused:
	d->m.reload_failures++;
	daemon_audit(d, "daemon.reload_refused", json_pack("{s:s}", "ruleset",
	    rs_hash(d->rs)));
	config_free(conf);
	free(conf);
	diags_free(&dg);
	daemon_notify("READY=1");
}

/* --- stop ----------------------------------------------------------------- */

/*
 * The loop ends once no action is on the wire, or after the grace period.
 * Polls are not waited for: a stopping poller drops its answers (the page
 * is fetched again from the stored cursor at the next start), so waiting
 * for one only kept the loop, and whatever else it still delivered,
 * running for up to the grace period.
 */
static void
daemon_stop_check(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*d = arg;

	if (httpc_inflight(d->http) == 0 ||
	    ++d->stop_checks > STOP_GRACE_SECONDS * 10) {
		event_base_loopbreak(d->base);
		return;
	}
	{
		struct timeval tv = { 0, 100000 };

		event_base_once(d->base, -1, EV_TIMEOUT, daemon_stop_check, d, &tv);
	}
}

void
daemon_stop(struct daemon *d, const char *why)
{
	struct timeval tv = { 0, 0 };

	if (d->stopping)
		return;
	d->stopping = true;
	daemon_notify("STOPPING=1");
	log_info("stopping (%s): %zu action(s) in flight", why,
	    httpc_inflight(d->http));
	poller_stop(d);
	executor_stop(d);
	instance_stop(d);
	event_base_once(d->base, -1, EV_TIMEOUT, daemon_stop_check, d, &tv);
}

static void
daemon_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	switch (sig) {
	case SIGHUP:
		daemon_reload(d);
		break;
	case SIGTERM:
		daemon_stop(d, "SIGTERM");
		break;
	case SIGINT:
		daemon_stop(d, "SIGINT");
		break;
	}
}

static void
daemon_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	/* only a turning event loop gets here: that is what systemd checks */
	daemon_notify("WATCHDOG=1");
}

static void
daemon_start_watchdog(struct daemon *d)
{
#ifdef HAVE_SYSTEMD
	uint64_t	usec;
	struct timeval	tv;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return;
	usec /= 2;
	tv.tv_sec = usec / 1000000;
	tv.tv_usec = usec % 1000000;
	d->ev_watchdog = event_new(d->base, -1, EV_PERSIST, daemon_watchdog_cb, d);
	event_add(d->ev_watchdog, &tv);
#else
	(void)d;
#endif
}

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr, "usage: netiquetted [-dn] [-f config]\n"
	    "  -f FILE  configuration (default %s)\n"
	    "  -n       check configuration and rules, then exit\n"
	    "  -d       debug logging\n", CONFIG_DEFAULT_PATH);
	exit(64);
}

int
main(int argc, char **argv)
{
	struct daemon	 daemon, *d = &daemon;
	struct diags	 dg = { 0 };
	struct store_err e = { { 0 } };
	int		 ch, check_only = 0, debug = 0;
	size_t		 i;

	memset(d, 0, sizeof *d);
	d->conf_path = CONFIG_DEFAULT_PATH;
	while ((ch = getopt(argc, argv, "df:n")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'f':
			d->conf_path = optarg;
			break;
		case 'n':
			check_only = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init(LOG_LVL_INFO, getenv("JOURNAL_STREAM") != NULL);
	if (sodium_init() == -1)
		fatalx("libsodium failed to initialize");
	/*
	 * SQLite's allocation statistics take a process-wide mutex around
	 * every malloc and free of every connection (the loop's, the
	 * parser's, the checkpointer's); nothing here reads them.  Before the
	 * first connection, or SQLite refuses.
	 */
	if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
		log_warnx("SQLite's memory statistics stay on");

	d->conf = xcalloc(1, sizeof *d->conf);
	if (config_parse_file(d->conf_path, d->conf, &dg) == -1) {
		diags_print(&dg, stderr);
		fprintf(stderr, "netiquetted: configuration invalid: %zu "
		    "problem(s)\n", dg.n);
		diags_free(&dg);
		config_free(d->conf);
		free(d->conf);
		return 1;
	}
	diags_free(&dg);
	if (!debug)
		log_set_level(d->conf->log_level >= CONFIG_LOG_DEBUG ? LOG_LVL_DEBUG :
		    d->conf->log_level >= CONFIG_LOG_INFO ? LOG_LVL_INFO :
		    d->conf->log_level >= CONFIG_LOG_WARNING ? LOG_LVL_WARN :
		    LOG_LVL_ERR);
	else
		log_set_level(LOG_LVL_DEBUG);
	d->policy = d->conf->policy;
	if ((d->rs = daemon_build_rules(d->conf)) == NULL) {
		fprintf(stderr, "netiquetted: rule set invalid\n");
		config_free(d->conf);
		free(d->conf);
		return 1;
	}
	if (check_only) {
		int ok = daemon_setup_accounts(d) == 0;

		if (ok) {
			config_print(stdout, d->conf);
			printf("configuration OK: %zu account(s), rule set %.12s "
			    "(%zu rules, %zu examples)\n", d->conf->naccounts,
			    rs_hash(d->rs), rs_rule_count(d->rs),
			    rs_example_count(d->rs));
		}
		rs_free(d->rs);
		daemon_free_accounts(d);
		config_free(d->conf);
		free(d->conf);
		return ok ? 0 : 1;
	}
	if (mkdir(d->conf->state_dir, 0700) == -1 && errno != EEXIST)
		fatal("state directory %s", d->conf->state_dir);
	if ((d->store = store_open(d->conf->state_dir, &e)) == NULL)
		fatalx("store: %s", e.msg);
	/* without it SQLite checkpoints inside the loop's commits: slower */
	if ((d->ckpt = checkpointer_start(d->store, STORE_CKPT_PAGES,
	    &e)) == NULL)
		log_warnx("store: %s; checkpoints stay in the loop", e.msg);
	if (daemon_setup_accounts(d) == -1)
		fatalx("accounts are not usable; see above");
	d->scratch = rs_scratch_new(d->rs);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		fatalx("curl_global_init failed");
	if ((d->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	/*
	 * Two pools of connections: with the outbox's requests queued in
	 * curl for the platform's few connections, the next page would
	 * wait behind all of them.
	 */
	d->http = httpc_new(d->base, HTTP_ACTION_CONNECTIONS);
	d->http_poll = httpc_new(d->base, 2);
	d->ev_term = evsignal_new(d->base, SIGTERM, daemon_signal_cb, d);
	d->ev_int = evsignal_new(d->base, SIGINT, daemon_signal_cb, d);
	d->ev_hup = evsignal_new(d->base, SIGHUP, daemon_signal_cb, d);
	evsignal_add(d->ev_term, NULL);
	evsignal_add(d->ev_int, NULL);
	evsignal_add(d->ev_hup, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (api_start(d) == -1)
		fatalx("the API on %s cannot start; see above", d->conf->listen);
	d->started = time(NULL);
	daemon_audit(d, "daemon.start", json_pack("{s:s, s:i, s:s, s:i}",
	    "ruleset", rs_hash(d->rs), "rules", (int)rs_rule_count(d->rs),
	    "version", NQ_VERSION, "accounts", (int)d->naccounts));
	if (executor_start(d) == -1)
		fatalx("outbox cannot be resumed");
	instance_start(d);
	poller_start(d);
	daemon_start_watchdog(d);
	d->ready = true;
	log_info("ready: %zu account(s), rule set %.12s (%zu rules%s), "
	    "listening on %s", d->naccounts, rs_hash(d->rs),
	    rs_rule_count(d->rs), rs_jit_active(d->rs) ? ", JIT" : "",
	    d->conf->listen);
	daemon_notify("READY=1");

	event_base_dispatch(d->base);

	api_stop(d);
	httpc_free(d->http_poll);
	httpc_free(d->http);
	executor_flush(d);
	{
		uint64_t done = 0;

		for (i = 0; i < ACT_KNOWN_BITS; i++)
			done += d->m.actions_done[i];
		daemon_audit(d, "daemon.stop", json_pack("{s:s, s:I, s:I}",
		    "ruleset", rs_hash(d->rs), "items",
		    (json_int_t)d->m.items_new, "actions_confirmed",
		    (json_int_t)done));
	}
	event_free(d->ev_term);
	event_free(d->ev_int);
	event_free(d->ev_hup);
	if (d->ev_watchdog)
		event_free(d->ev_watchdog);
	event_base_free(d->base);
	curl_global_cleanup();
	checkpointer_stop(d->ckpt);
	store_close(d->store);
	daemon_rules_swap(d, NULL);
	daemon_free_accounts(d);
	config_free(d->conf);
	free(d->conf);
	log_info("stopped");
	return 0;
}
