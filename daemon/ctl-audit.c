/*
 * ctl-audit.c: "audit verify" and "audit show", the administrators' view
 * of the daemon's audit chain (audit.h), and the state-directory helpers
 * the store commands share (ctl-store.h).  Read-only: verifying or showing
 * the log never appends to it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "ctl-store.h"
#include "ctl.h"
#include "evidence.h"
#include "store.h"
#include "xmalloc.h"

static int	ctl_audit_handler(struct ctl_global *, int, char **);

const struct ctl_command ctl_audit_entry = {
	.name = "audit",
	.usage = "verify [--state DIR] [--anchor SEQ:HASH] | "
	    "show [--state DIR] [--item ID] [--author ID] [--kind K] "
	    "[--since TIME] [--until TIME] [--limit N] [--json]",
	.help = "verify the audit hash chain, or show audit entries",
	.handler = ctl_audit_handler,
};

struct store *
ctl_store_open(const char *dir)
{
	struct store_err	 e = { "" };
	struct store		*st;
	char			*path;

	if (dir == NULL)
		dir = getenv("STATE_DIRECTORY");
	if (dir == NULL || dir[0] == '\0')
		dir = CTL_STATE_DEFAULT;
	/* opening would create an empty database: say what is missing */
	xasprintf(&path, "%s/%s", dir, STORE_DB_NAME);
	if (access(path, R_OK) == -1) {
		ctl_warn("%s", path);
		free(path);
		return NULL;
	}
	free(path);
	if ((st = store_open(dir, &e)) == NULL)
		ctl_warnx("%s", e.msg);
	return st;
}

const char *
ctl_store_actor(void)
{
	static char	 actor[64];
	struct passwd	*pw;

	if (actor[0] == '\0') {
		pw = getpwuid(getuid());
		snprintf(actor, sizeof actor, "ctl:%s",
		    pw != NULL ? pw->pw_name : "unknown");
	}
	return actor;
}

static int
ctl_audit_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state",	required_argument,	NULL, 's' },
		{ "anchor",	required_argument,	NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	struct store_err	 e = { "" };
	struct audit_report	 r;
	struct store		*st;
	const char		*state = NULL, *anchor_hash = NULL;
	char			*end;
	int64_t			 anchor_seq = 0;
	int			 ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			state = optarg;
			break;
		case 'a':
			errno = 0;
			anchor_seq = strtoll(optarg, &end, 10);
			if (errno != 0 || anchor_seq <= 0 || *end != ':' ||
			    strlen(end + 1) != 64)
				return ctl_usage_error(&ctl_audit_entry,
				    "--anchor wants SEQ:HASH (64 hex digits)");
			anchor_hash = end + 1;
			break;
		default:
			return ctl_usage_error(&ctl_audit_entry, NULL);
		}
	}
	if (optind != argc)
		return ctl_usage_error(&ctl_audit_entry, "audit verify takes "
		    "no arguments");
	if ((st = ctl_store_open(state)) == NULL)
		return CTL_EXIT_NOINPUT;
	if (audit_verify(st, anchor_seq, anchor_hash, &r, &e) == -1) {
		ctl_warnx("%s", e.msg);
		store_close(st);
		return CTL_EXIT_SOFTWARE;
	}
	store_close(st);
	if (!r.ok) {
		printf("audit chain BROKEN at seq %" PRId64 ": %s\n",
		    r.first_bad, r.reason);
		printf("%" PRId64 " entries intact before it; last good: seq "
		    "%" PRId64 " hash %s\n", r.entries, r.head_seq, r.head_hash);
		ctl_finish_output();
		return CTL_EXIT_TAMPERED;
	}
	printf("audit chain OK: %" PRId64 " entries, head seq %" PRId64
	    " hash %s\n", r.entries, r.head_seq, r.head_hash);
	return ctl_finish_output();
}

/*
 * An item as the platform's id ("109876543210") or the store's row id.
 * Platform ids are often numeric too, so they are tried first.
 */
int
ctl_store_item(struct store *st, const char *arg, int64_t *id)
{
	struct store_err	 e = { "" };
	struct store_item	 it;
	char			*end;
	long long		 v;
	int			 rc;

	if ((rc = store_item_find(st, arg, id, &e)) == 1)
		return 0;
	if (rc == 0) {
		errno = 0;
		v = strtoll(arg, &end, 10);
		if (errno == 0 && *end == '\0' && v > 0 &&
		    (rc = store_item_get(st, v, &it, &e)) == 1) {
			store_item_free(&it);
			*id = v;
			return 0;
		}
	}
	if (rc == -1)
		ctl_warnx("%s", e.msg);
	else
		ctl_warnx("no item %s", arg);
	return -1;
}

static void
ctl_audit_print(const struct audit_entry *a, bool as_json)
{
	char	 when[40], item[24];
	json_t	*j;
	char	*text;

	if (as_json) {
		j = audit_entry_json(a);
		text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		if (text != NULL)
			printf("%s\n", text);
		free(text);
		json_decref(j);
		return;
	}
	evidence_format_berlin(a->ts, when, sizeof when);
	if (a->item != 0)
		snprintf(item, sizeof item, "%" PRId64, a->item);
	else
		snprintf(item, sizeof item, "-");
	printf("%" PRId64 "\t%s\t%s\t%s\t%s\t%s\n", a->seq, when, a->actor,
	    a->kind, item, a->detail);
}

static int
ctl_audit_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state",	required_argument,	NULL, 's' },
		{ "item",	required_argument,	NULL, 'i' },
		{ "author",	required_argument,	NULL, 'a' },
		{ "kind",	required_argument,	NULL, 'k' },
		{ "since",	required_argument,	NULL, 'S' },
		{ "until",	required_argument,	NULL, 'U' },
		{ "limit",	required_argument,	NULL, 'n' },
		{ "json",	no_argument,		NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct store_err	 e = { "" };
	struct audit_filter	 f;
	struct audit_entry	*v;
	struct store		*st;
	const char		*state = NULL, *item = NULL;
	char			*end;
	size_t			 n, i;
	long long		 lim;
	bool			 as_json = false;
	int			 ch;

	memset(&f, 0, sizeof f);
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			state = optarg;
			break;
		case 'i':
			item = optarg;
			break;
		case 'a':
			f.author = optarg;
			break;
		case 'k':
			f.kind = optarg;
			break;
		case 'S':
		case 'U':
			if (evidence_parse_time(optarg, ch == 'S' ? &f.since :
			    &f.until) == -1)
				return ctl_usage_error(&ctl_audit_entry,
				    "bad time %s (want YYYY-MM-DD[THH:MM[:SS]]"
				    "[Z|+HH:MM])", optarg);
			break;
		case 'n':
			errno = 0;
			lim = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || lim < 0)
				return ctl_usage_error(&ctl_audit_entry,
				    "bad --limit %s", optarg);
			f.limit = (size_t)lim;
			break;
		case 'j':
			as_json = true;
			break;
		default:
			return ctl_usage_error(&ctl_audit_entry, NULL);
		}
	}
	if (optind != argc)
		return ctl_usage_error(&ctl_audit_entry, "audit show takes "
		    "no arguments");
	if ((st = ctl_store_open(state)) == NULL)
		return CTL_EXIT_NOINPUT;
	if (item != NULL && ctl_store_item(st, item, &f.item) == -1) {
		store_close(st);
		return CTL_EXIT_NOINPUT;
	}
	if (audit_query(st, &f, &v, &n, &e) == -1) {
		ctl_warnx("%s", e.msg);
		store_close(st);
		return CTL_EXIT_SOFTWARE;
	}
	for (i = 0; i < n; i++)
		ctl_audit_print(&v[i], as_json);
	audit_entries_free(v, n);
	store_close(st);
	return ctl_finish_output();
}

int
ctl_audit(int argc, char **argv)
{
	if (argc < 2)
		return ctl_usage_error(&ctl_audit_entry, "audit what?");
	if (strcmp(argv[1], "verify") == 0)
		return ctl_audit_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return ctl_audit_show(argc - 1, argv + 1);
	return ctl_usage_error(&ctl_audit_entry, "unknown audit command: %s",
	    argv[1]);
}

static int
ctl_audit_handler(struct ctl_global *g, int argc, char **argv)
{
	return ctl_audit(argc, argv);
}
