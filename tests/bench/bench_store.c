/*
 * bench_store.c: what the event loop's SQLite work costs per screened
 * item, phase by phase, without HTTP, parsing or other threads: the
 * daemon's page transaction replayed through the store API on a real
 * store in a temporary directory (WAL, synchronous=FULL, the same
 * migrations).  Per page of 40 items, in one transaction as screen_page
 * does: item and author, verdict, the audit entry; for a flagged item also
 * its strike count, decision, strike and two outbox rows; then the
 * previous page's actions settled (done + "action.confirmed") and this
 * page's staged (sent + "action.sent"); commit.
 *
 * Figures are CPU microseconds of this thread per item (the loop's cost
 * is what limits the daemon's items/s) and the fsync'd commits' wall time.
 * Checkpoints run on the checkpointer's thread, as in the daemon.
 *
 * Usage: bench_store [-n items] [-f flagged-percent] [-p page] [-s "SQL"]...
 *   -p items per transaction (the daemon's page: 40)
 *   -s runs SQL on the fresh store before the run, to try a schema
 *      change (e.g. -s "DROP INDEX audit_ts") against the same workload.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "category.h"
#include "checkpoint.h"
#include "ruleset.h"
#include "store.h"
#include "xmalloc.h"

#define MAX_PAGE	240
#define CKPT_PAGES	1000	/* as the daemon's checkpointer */
#define MAX_SQL		8

enum phase {
	PH_ITEM, PH_VERDICT, PH_AUDIT, PH_FLAGGED, PH_STAGE, PH_SETTLE,
	PH_COMMIT, PH_AUTHORS, PH_COUNT
};
static const char *const phase_name[PH_COUNT] = {
	"item + author", "verdict", "audit item entry", "flagged extras",
	"stage (sent + entry)", "settle (done + entry)", "begin + commit",
	"author index batches",
};

static uint64_t rng = 88172645463325252ull;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static double
cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double
wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void
die(const char *what, const struct store_err *e)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, e->msg);
	exit(1);
}

/* A platform JSON of about the size Mastodon sends per notification. */
static char *
raw_json(const char *id, const char *author, const char *text)
{
	char	*s, pad[1801];
	size_t	 i;

	for (i = 0; i < sizeof pad - 1; i++)
		pad[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[rnd(36)];
	pad[sizeof pad - 1] = '\0';
	xasprintf(&s, "{\"id\":\"%s\",\"type\":\"mention\",\"account\":{\"id\":"
	    "\"%s\",\"note\":\"%s\"},\"status\":{\"content\":\"<p>%s</p>\"}}",
	    id, author, pad, text);
	return s;
}

struct pending_action {
	int64_t	row, item;
};

/*
 * What the executor writes for each action: staged (sent) before it
 * leaves, settled (done) when the platform answered; each with its entry.
 */
static void
actions_record(struct store *st, const struct pending_action *a, size_t n,
    bool sent, int64_t now)
{
	struct store_err	e = { { 0 } };
	char			detail[256];
	size_t			i;

	for (i = 0; i < n; i++) {
		if ((sent ? store_outbox_mark_sent(st, a[i].row, now, &e) :
		    store_outbox_mark_done(st, a[i].row, now, &e)) == -1)
			die(sent ? "sent" : "done", &e);
		snprintf(detail, sizeof detail, "{\"account\":\"bmi\","
		    "\"action\":\"report\",\"attempt\":1,"
		    "\"idempotency_key\":\"bmi:%" PRId64 "\",\"outbox\":%"
		    PRId64 "}", a[i].row, a[i].row);
		if (audit_append_text(st, "daemon", sent ? "action.sent" :
		    "action.confirmed", a[i].item, detail, NULL, &e) == -1)
			die("audit", &e);
	}
}

int
main(int argc, char **argv)
{
	struct store		*st;
	struct checkpointer	*ckpt;
	struct store_err	 e = { { 0 } };
	struct verdict		 v;
	struct rs_match		 m;
	struct pending_action	 staged[MAX_PAGE * 2], settle[MAX_PAGE * 2];
	const char		*sql[MAX_SQL];
	char			 dir[] = "/tmp/bench_store.XXXXXX", path[64];
	char			 id[32], author[32], key[96], detail[512];
	double			 t[PH_COUNT] = { 0 }, c0, w0, commit_wall = 0;
	double			 total_cpu, total_wall;
	size_t			 nsql = 0, nstaged = 0, nsettle = 0, i, k;
	long			 items = 30000, flagged_pct = 27, nflagged = 0;
	int64_t			 now = 1790000000, row, strikes;
	int			 ch, p, page = 40;

	while ((ch = getopt(argc, argv, "f:n:p:s:")) != -1) {
		switch (ch) {
		case 'p':
			page = (int)strtol(optarg, NULL, 10);
			if (page < 1 || page > MAX_PAGE)
				page = 40;
			break;
		case 'f':
			flagged_pct = strtol(optarg, NULL, 10);
			break;
		case 'n':
			items = strtol(optarg, NULL, 10);
			break;
		case 's':
			if (nsql < MAX_SQL)
				sql[nsql++] = optarg;
			break;
		default:
			fprintf(stderr, "usage: bench_store [-n items] "
			    "[-f flagged-percent] [-p page] [-s SQL]...\n");
			return 2;
		}
	}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	if ((st = store_open(dir, &e)) == NULL)
		die("open", &e);
	for (i = 0; i < nsql; i++)
		if (store_exec(st, sql[i], &e) == -1)
			die(sql[i], &e);
	if ((ckpt = checkpointer_start(st, CKPT_PAGES, &e)) == NULL)
		die("checkpointer", &e);

	verdict_init(&v);
	memset(&m, 0, sizeof m);
	m.rule_id = "insult.direct";
	m.category = CAT_INSULT;
	m.severity = 2;
	m.start = 4;
	m.end = 12;
	m.what = "pattern 1";
	snprintf(v.ruleset, sizeof v.ruleset, "%064d", 0);

	total_wall = wall_us();
	total_cpu = cpu_us();
	for (k = 0; k < (size_t)items; k += page) {
		c0 = cpu_us();
		w0 = wall_us();
		if (store_begin(st, &e) == -1)
			die("begin", &e);
		t[PH_COMMIT] += cpu_us() - c0;
		commit_wall += wall_us() - w0;
		nstaged = 0;
		for (i = k; i < k + page && i < (size_t)items; i++) {
			struct store_item	it;
			struct store_decision	sd;
			bool			flag = (long)rnd(100) < flagged_pct;
			char			*raw;

			snprintf(id, sizeof id, "%llu", 117000000000000000ull + i);
			snprintf(author, sizeof author, "1100%06u",
			    rnd((unsigned)(items / 3 + 1)));
			raw = raw_json(id, author, flag ? "Du bist ein Idiot" :
			    "Wann kommt der neue Ausweis?");
			memset(&it, 0, sizeof it);
			it.platform = "mastodon";
			it.account = "bmi";
			it.item_id = id;
			it.kind = STORE_KIND_COMMENT;
			it.author_id = author;
			it.author_handle = author;
			it.author_name = author;
			it.text = flag ? "Du bist ein Idiot" :
			    "Wann kommt der neue Ausweis?";
			it.raw_json = raw;
			it.permalink = "https://social.example/@someone/1";
			it.parent_id = "117000000000000001";
			it.created_at = now;
			it.fetched_at = now;

			c0 = cpu_us();
			if (store_item_put(st, &it, &e) != 1)
				die("item", &e);
			t[PH_ITEM] += cpu_us() - c0;
			free(raw);

			c0 = cpu_us();
			v.nmatches = 0;
			v.flagged = flag;
			v.severity = flag ? 2 : 0;
			memset(v.cat_severity, 0, sizeof v.cat_severity);
			if (flag) {
				v.cat_severity[CAT_INSULT] = 2;
				v.matches = &m;
				v.nmatches = 1;
			}
			if (store_verdict_put(st, it.id, &v, &e) < 0)
				die("verdict", &e);
			v.matches = NULL;
			v.nmatches = 0;
			t[PH_VERDICT] += cpu_us() - c0;

			if (flag) {
				nflagged++;
				c0 = cpu_us();
				if (store_author_strike_count_since(st,
				    "mastodon", "bmi", author, now - 86400,
				    &strikes, &e) == -1)
					die("strikes", &e);
				memset(&sd, 0, sizeof sd);
				sd.item = it.id;
				sd.actions = ACT_REPORT | ACT_MUTE;
				sd.mode = STORE_MODE_AUTO;
				sd.rule_ids = "insult.direct";
				sd.ruleset = v.ruleset;
				sd.clause = "Beleidigungen";
				sd.reason = "report + mute: hide unavailable";
				sd.created_at = now;
				if (store_decision_put(st, &sd, NULL, &e) < 0)
					die("decision", &e);
				if (store_author_strike_add(st, "mastodon", "bmi",
				    author, now, "insult.direct", it.id,
				    &e) == -1)
					die("strike", &e);
				for (p = 0; p < 2; p++) {
					snprintf(key, sizeof key, "bmi:%s:%s", id,
					    p ? "mute" : "report");
					if (store_outbox_add(st, it.id, "bmi",
					    p ? ACT_MUTE : ACT_REPORT,
					    "{\"item_id\":\"1\",\"author_id\":\"2\"}",
					    key, now, &row, &e) != 1)
						die("outbox", &e);
					staged[nstaged].row = row;
					staged[nstaged].item = it.id;
					nstaged++;
				}
				t[PH_FLAGGED] += cpu_us() - c0;
			}

			c0 = cpu_us();
			snprintf(detail, sizeof detail, "{\"decision\":{\"actions\":"
			    "[\"report\",\"mute\"],\"clause\":\"Beleidigungen\"},"
			    "\"item\":{\"author\":\"%s\",\"id\":\"%s\",\"kind\":"
			    "\"comment\",\"platform\":\"mastodon\"},\"verdict\":"
			    "{\"flagged\":%s,\"matches\":[],\"ruleset\":\"%s\"}}",
			    author, id, flag ? "true" : "false", v.ruleset);
			if (audit_append_text(st, "daemon", flag ? "item.flagged" :
			    "item.screened", it.id, detail, NULL, &e) == -1)
				die("audit", &e);
			t[PH_AUDIT] += cpu_us() - c0;
		}

		/* the answers to the last page's actions, then this page's */
		c0 = cpu_us();
		actions_record(st, settle, nsettle, false, now);
		t[PH_SETTLE] += cpu_us() - c0;
		c0 = cpu_us();
		actions_record(st, staged, nstaged, true, now);
		t[PH_STAGE] += cpu_us() - c0;
		memcpy(settle, staged, nstaged * sizeof *staged);
		nsettle = nstaged;

		c0 = cpu_us();
		w0 = wall_us();
		if (store_commit(st, &e) == -1)
			die("commit", &e);
		t[PH_COMMIT] += cpu_us() - c0;
		commit_wall += wall_us() - w0;
		/* as the daemon does after a page (screen.c) */
		if (store_author_items_due(st)) {
			int64_t n;

			c0 = cpu_us();
			w0 = wall_us();
			if (store_author_items_index(st, &n, &e) == -1)
				die("author index", &e);
			t[PH_AUTHORS] += cpu_us() - c0;
			commit_wall += wall_us() - w0;
		}
		now++;
	}
	total_cpu = cpu_us() - total_cpu;
	total_wall = wall_us() - total_wall;

	printf("bench_store: %ld items (%ld flagged, %ld actions), pages of "
	    "%d, WAL, synchronous=FULL, in %s\n", items, nflagged,
	    nflagged * 2, page, dir);
	for (i = 0; i < nsql; i++)
		printf("  with: %s\n", sql[i]);
	for (p = 0; p < PH_COUNT; p++)
		printf("  %-24s %7.1f us CPU per item\n", phase_name[p],
		    t[p] / items);
	printf("  %-24s %7.1f us CPU per item  (%.0f items/s on one core)\n",
	    "total", total_cpu / items, items / (total_cpu / 1e6));
	printf("  wall %.2f s; commits' wall %.1f us per item (fsync)\n",
	    total_wall / 1e6, commit_wall / items);

	checkpointer_stop(ckpt);
	store_close(st);
	snprintf(path, sizeof path, "rm -rf %s", dir);
	if (system(path) != 0)
		fprintf(stderr, "bench_store: could not remove %s\n", dir);
	return 0;
}
