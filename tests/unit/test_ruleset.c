/*
 * test_ruleset.c: building a rule set from files (every error reported as
 * file:line), the verdicts it gives (spans in the original text, unless
 * exceptions, scope, severity per category, proposed action), limits that
 * must turn into "review" instead of "no match", the canonical dump and
 * hash, and the JIT/no-JIT equivalence including the fallback under a
 * MemoryDenyWriteExecute-like process.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "ruleset.h"

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

static char tmpdir[] = "/tmp/nq-ruleset-XXXXXX";

static void
write_file(const char *name, const char *content)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	if (fp == NULL) {
		perror(path);
		exit(2);
	}
	fputs(content, fp);
	fclose(fp);
}

static void
remove_file(const char *name)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	unlink(path);
}

static int jit_log_count;

static void
count_log(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
	jit_log_count++;
}

static const char good_rules[] =
    "# a small set\n"
    "[rule insult.voll]\n"
    "category = insult\n"
    "severity = 2\n"
    "description = Vollidiot and friends\n"
    "pattern = \\bvoll(idiot|depp|trottel)\\w*\n"
    "unless = \\bvollidiotensicher\n"
    "match = Du bist ein Vollidiot\n"
    "match = V o l l i d i o t\n"
    "nomatch = Die Vollversammlung tagt\n"
    "nomatch = Das ist vollidiotensicher\n"
    "\n"
    "[rule vulgar.words]\n"
    "category = vulgar\n"
    "severity = 1\n"
    "words = words/vulgar.words\n"
    "unless-text = ^zitat:\n"
    "match = So eine Scheiße\n"
    "match = Arschloch!\n"
    "nomatch = Arschbombe ins Becken\n"
    "nomatch = Zitat: so eine Scheiße\n"
    "\n"
    "[rule violence.threat]\n"
    "category = violence\n"
    "severity = 3\n"
    "scope = dm\n"
    "pattern = \\bich (bring|mach) dich (um|kalt)\n"
    "match = ich bring dich um\n"
    "match = ICH MACH DICH KALT\n"
    "nomatch = ich bring dich nach Hause\n"
    "nomatch = bring dich um nichts\n";

static const char good_words[] =
    "# vulgar words\n"
    "scheiße\n"
    "arschloch\n"
    "*wichser\n"
    "\n";

static struct ruleset *
load(struct diags *d, struct rs_options *o)
{
	return rs_load_dir(tmpdir, o, d);
}

static void
test_load_and_classify(void)
{
	struct diags d = { 0 };
	struct ruleset *rs;
	struct rs_scratch *s;
	struct verdict v;
	const char *t;

	write_file("a.rules", good_rules);
	write_file("words/vulgar.words", good_words);
	rs = load(&d, NULL);
	diags_print(&d, stderr);
	CHECK(rs != NULL);
	if (rs == NULL)
		return;
	CHECK_INT(rs_rule_count(rs), 3);
	CHECK_INT(rs_example_count(rs), 12);
	CHECK_INT(strlen(rs_hash(rs)), 64);

	s = rs_scratch_new(rs);
	verdict_init(&v);

	t = "Sie sind ein V.0.l.l.i.d.1.o.t!";
	rs_classify(rs, s, t, strlen(t), RS_SCOPE_COMMENT, &v);
	CHECK(v.flagged);
	CHECK_INT(v.nmatches, 1);
	if (v.nmatches == 1) {
		CHECK_STR(v.matches[0].rule_id, "insult.voll");
		/* the span covers what the author wrote */
		CHECK_INT(v.matches[0].start, 13);
		CHECK_INT(v.matches[0].end, 30);
	}
	CHECK_INT(v.cat_severity[CAT_INSULT], 2);
	CHECK_INT(v.severity, 2);
	CHECK_INT(v.actions, ACT_HIDE | ACT_REVIEW);
	CHECK(!v.review);
	CHECK_STR(v.ruleset, rs_hash(rs));

	t = "Das Gerät ist vollidiotensicher.";
	rs_classify(rs, s, t, strlen(t), RS_SCOPE_COMMENT, &v);
	CHECK(!v.flagged);

	/* scope: the threat rule only screens direct messages */
	t = "ich bring dich um";
	rs_classify(rs, s, t, strlen(t), RS_SCOPE_COMMENT, &v);
	CHECK(!v.flagged);
	rs_classify(rs, s, t, strlen(t), RS_SCOPE_DM, &v);
	CHECK(v.flagged);
	CHECK_INT(v.severity, 3);
	CHECK(v.actions & ACT_ESCALATE);

	/* two categories: highest severity per category, union of actions */
	t = "Du Vollidiot, du Arschloch, du Staatswichser";
	rs_classify(rs, s, t, strlen(t), RS_SCOPE_COMMENT, &v);
	CHECK_INT(v.nmatches, 3);
	CHECK_INT(v.cat_severity[CAT_INSULT], 2);
	CHECK_INT(v.cat_severity[CAT_VULGAR], 1);
	if (v.nmatches == 3) {
		CHECK(v.matches[0].start < v.matches[1].start);
		CHECK_INT(v.matches[2].start, strlen("Du Vollidiot, du Arschloch, du "));
		CHECK_INT(v.matches[2].end, strlen(t));
	}

	/* harmless text stays harmless */
	t = "Die Regierung versagt komplett. Der Minister hat keine Ahnung.";
	rs_classify(rs, s, t, strlen(t), RS_SCOPE_ALL, &v);
	CHECK(!v.flagged);
	CHECK_INT(v.actions, 0);

	/* hostile bytes: invalid UTF-8 and NUL do not hide a match */
	{
		const char bad[] = "\xff\xfe Voll\0idiot \xc3";
		rs_classify(rs, s, bad, sizeof bad - 1, RS_SCOPE_ALL, &v);
		CHECK(v.input_notes & NZ_NOTE_INVALID_UTF8);
		CHECK(v.input_notes & NZ_NOTE_NUL);
	}

	verdict_free(&v);
	rs_scratch_free(s);
	rs_free(rs);
	diags_free(&d);
}

static void
test_errors_reported_with_lines(void)
{
	struct diags d = { 0 };
	struct ruleset *rs;
	size_t i;
	int saw_cat = 0, saw_sev = 0, saw_re = 0, saw_key = 0, saw_words = 0,
	    saw_missing = 0, saw_risky = 0, saw_dup = 0, saw_nothing = 0;

	write_file("a.rules", good_rules);
	write_file("b.rules",
	    "[rule x.badcat]\n"			/* 1 */
	    "category = nonsense\n"		/* 2 */
	    "pattern = abc\n"			/* 3 */
	    "[rule x.badsev]\n"			/* 4 */
	    "category = insult\n"		/* 5 */
	    "severity = 7\n"			/* 6 */
	    "pattern = (unclosed\n"		/* 7 */
	    "colour = blue\n"			/* 8 */
	    "[rule x.words]\n"			/* 9 */
	    "category = vulgar\n"		/* 10 */
	    "words = words/missing.words\n"	/* 11 */
	    "[rule x.nocat]\n"			/* 12 */
	    "pattern = abcdef\n"		/* 13 */
	    "[rule x.risky]\n"			/* 14 */
	    "category = hate\n"			/* 15 */
	    "pattern = (a+)+b\n"		/* 16 */
	    "[rule insult.voll]\n"		/* 17 */
	    "category = insult\n"		/* 18 */
	    "pattern = dup\n"			/* 19 */
	    "[rule x.nothing]\n"		/* 20 */
	    "category = hate\n");		/* 21 */
	rs = load(&d, NULL);
	CHECK(rs == NULL);
	for (i = 0; i < d.n; i++) {
		const struct diag *g = &d.v[i];

		if (strstr(g->file, "b.rules") == NULL)
			continue;
		if (g->line == 2 && strstr(g->msg, "unknown category"))
			saw_cat = 1;
		if (g->line == 6 && strstr(g->msg, "severity"))
			saw_sev = 1;
		if (g->line == 7 && strstr(g->msg, "pattern"))
			saw_re = 1;
		if (g->line == 8 && strstr(g->msg, "unknown key 'colour'"))
			saw_key = 1;
		if (g->line == 12 && strstr(g->msg, "missing 'category'"))
			saw_missing = 1;
		if (g->line == 16 && strstr(g->msg, "refused"))
			saw_risky = 1;
		if (g->line == 17 && strstr(g->msg, "duplicate rule id"))
			saw_dup = 1;
		if (g->line == 20 && strstr(g->msg, "no pattern"))
			saw_nothing = 1;
	}
	for (i = 0; i < d.n; i++)
		if (d.v[i].line == 11 && strstr(d.v[i].msg, "missing.words") &&
		    strstr(d.v[i].msg, "cannot read"))
			saw_words = 1;
	CHECK(saw_cat);
	CHECK(saw_sev);
	CHECK(saw_re);
	CHECK(saw_key);
	CHECK(saw_words);
	CHECK(saw_missing);
	CHECK(saw_risky);
	CHECK(saw_dup);
	CHECK(saw_nothing);
	if (!(saw_cat && saw_sev && saw_re && saw_key && saw_words &&
	    saw_missing && saw_risky && saw_dup && saw_nothing))
		diags_print(&d, stderr);
	remove_file("b.rules");
	diags_free(&d);
}

static void
test_failing_examples(void)
{
	struct diags d = { 0 };
	struct ruleset *rs;
	struct rs_options o;

	write_file("b.rules",
	    "[rule x.ex]\n"
	    "category = insult\n"
	    "pattern = \\bdepp\\b\n"
	    "match = du Depp\n"
	    "match = du Trottel\n"		/* 5: does not match */
	    "nomatch = Deppenapostroph\n"
	    "nomatch = so ein Depp\n");		/* 7: matches */
	rs = load(&d, NULL);
	CHECK(rs == NULL);
	CHECK_INT(d.n, 2);
	if (d.n == 2) {
		CHECK_INT(d.v[0].line, 5);
		CHECK(strstr(d.v[0].msg, "does not match") != NULL);
		CHECK_INT(d.v[1].line, 7);
		CHECK(strstr(d.v[1].msg, "nomatch") != NULL);
	}
	diags_clear(&d);

	/* without example checking the set builds; checking finds both */
	rs_options_default(&o);
	o.run_examples = false;
	rs = load(&d, &o);
	CHECK(rs != NULL);
	if (rs != NULL) {
		CHECK_INT(rs_check_examples(rs, &d), 2);
		rs_free(rs);
	}
	remove_file("b.rules");
	diags_free(&d);
}

/* A key of one value given twice is refused, not silently the last one. */
static void
test_single_keys_once(void)
{
	struct diags d = { 0 };
	struct ruleset *rs;

	write_file("b.rules",
	    "[rule x.twice]\n"
	    "category = insult\n"
	    "pattern = \\bvollidiot\\b\n"
	    "match = Du Vollidiot\n"
	    "category = vulgar\n"		/* 5 */
	    "severity = 2\n"
	    "severity = 3\n"			/* 7 */
	    "pattern = \\btrottel\\b\n");	/* repeats: fine */
	rs = load(&d, NULL);
	CHECK(rs == NULL);
	CHECK_INT(d.n, 2);
	if (d.n == 2) {
		CHECK_INT(d.v[0].line, 5);
		CHECK(strstr(d.v[0].msg, "'category' given twice in rule "
		    "x.twice (first at line 2)") != NULL);
		CHECK_INT(d.v[1].line, 7);
		CHECK(strstr(d.v[1].msg, "'severity' given twice") != NULL);
	}
	rs_free(rs);
	remove_file("b.rules");
	diags_clear(&d);

	/* a NUL byte in a word list is reported at its line */
	{
		static const char words[] = "eins\nzwei\ndr\0ei\n";
		char path[512];
		FILE *fp;

		snprintf(path, sizeof path, "%s/nul.words", tmpdir);
		if ((fp = fopen(path, "wb")) != NULL) {
			fwrite(words, 1, sizeof words - 1, fp);
			fclose(fp);
		}
		write_file("b.rules", "[rule x.nul]\ncategory = insult\n"
		    "words = nul.words\n");
		rs = load(&d, NULL);
		CHECK(rs == NULL);
		CHECK(d.n >= 1 && d.v[0].line == 3 &&
		    strstr(d.v[0].msg, "NUL byte") != NULL);
		rs_free(rs);
		remove_file("b.rules");
		remove_file("nul.words");
	}
	diags_free(&d);
}

static void
test_blowup_probe(void)
{
	struct diags d = { 0 };
	struct ruleset *rs;

	/* no nested quantifier, but adjacent overlapping ones explode */
	write_file("b.rules",
	    "[rule x.slow]\n"
	    "category = hate\n"
	    "pattern = \\w+\\s*\\w+\\s*\\w+\\s*\\w+\\s*\\w+\\s*\\w+x\n");
	rs = load(&d, NULL);
	CHECK(rs == NULL);
	CHECK(d.n >= 1 && strstr(d.v[0].msg, "refused") != NULL);
	if (rs)
		rs_free(rs);
	remove_file("b.rules");
	diags_free(&d);
}

static void
test_limits_mean_review(void)
{
	struct diags d = { 0 };
	struct ruleset *rs;
	struct rs_options o;
	struct rs_scratch *s;
	struct verdict v;
	char *big;
	size_t n = 200000;

	rs_options_default(&o);
	o.match_limit = 1;	/* far too low: any real work hits it */
	o.run_examples = false;
	write_file("a.rules", good_rules);
	write_file("words/vulgar.words", good_words);
	/*
	 * a phrase with a gap: needs backtracking on every attempt (the text
	 * has both "voltrotel" and "du", or the prefilter skips the pattern)
	 */
	write_file("b.rules",
	    "[rule insult.gap]\n"
	    "category = insult\n"
	    "pattern = \\bvoltrotel(?:\\s+\\w+){0,3}\\s+du\\b\n");
	rs = load(&d, &o);
	CHECK(rs != NULL);
	if (rs == NULL)
		return;
	s = rs_scratch_new(rs);
	verdict_init(&v);
	{
		const char *t = "Volltrottel Volltrottel Volltrottel Volltrottel "
		    "und noch viel mehr Text dahinter, Volltrottel du";
		rs_classify(rs, s, t, strlen(t), RS_SCOPE_ALL, &v);
		CHECK(v.review);
		CHECK(strstr(v.review_reason, "insult.gap") != NULL);
		CHECK(v.actions & ACT_REVIEW);
	}
	verdict_free(&v);
	rs_scratch_free(s);
	rs_free(rs);
	remove_file("b.rules");

	/* over-long input: screened up to the cap, and flagged for review */
	rs_options_default(&o);
	o.max_input = 1024;
	rs = load(&d, &o);
	CHECK(rs != NULL);
	if (rs == NULL)
		return;
	s = rs_scratch_new(rs);
	verdict_init(&v);
	big = malloc(n);
	memset(big, 'a', n);
	memcpy(big + 10, " Arschloch ", 11);
	rs_classify(rs, s, big, n, RS_SCOPE_ALL, &v);
	CHECK(v.flagged);
	CHECK(v.review);
	CHECK(v.input_notes & NZ_NOTE_TRUNCATED);
	free(big);
	verdict_free(&v);
	rs_scratch_free(s);
	rs_free(rs);
	diags_free(&d);
}

static char *
dump_string(const struct ruleset *rs)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	rs_dump(rs, fp);
	fclose(fp);
	return buf;
}

static void
test_dump_roundtrip_and_hash(void)
{
	struct diags d = { 0 };
	struct ruleset *rs, *rs2;
	char *dump1, *dump2, hash1[65], path[512];

	write_file("a.rules", good_rules);
	write_file("words/vulgar.words", good_words);
	rs = load(&d, NULL);
	CHECK(rs != NULL);
	if (rs == NULL)
		return;
	dump1 = dump_string(rs);
	snprintf(hash1, sizeof hash1, "%s", rs_hash(rs));
	rs_free(rs);

	/* the same meaning in other formatting has the same hash */
	write_file("a.rules", "   # reformatted\n");
	{
		char *p = NULL;
		/* append the good rules with extra blank lines and comments */
		FILE *fp;
		snprintf(path, sizeof path, "%s/a.rules", tmpdir);
		fp = fopen(path, "a");
		fputs("\n\n# comment\n", fp);
		fputs(good_rules, fp);
		fclose(fp);
		(void)p;
	}
	rs = load(&d, NULL);
	CHECK(rs != NULL && strcmp(rs_hash(rs), hash1) == 0);
	rs_free(rs);

	/* the dump compiles again, to the same dump */
	snprintf(path, sizeof path, "%s/dump.rules", tmpdir);
	{
		FILE *fp = fopen(path, "w");
		fputs(dump1, fp);
		fclose(fp);
	}
	{
		const char *paths[] = { path };
		rs2 = rs_load_files(paths, 1, NULL, &d);
	}
	diags_print(&d, stderr);
	CHECK(rs2 != NULL);
	if (rs2 != NULL) {
		dump2 = dump_string(rs2);
		CHECK_STR(dump1, dump2);
		CHECK_STR(rs_hash(rs2), hash1);
		free(dump2);
		rs_free(rs2);
	}
	unlink(path);

	/* a changed rule changes the hash */
	write_file("a.rules", good_rules);
	{
		FILE *fp;
		snprintf(path, sizeof path, "%s/a.rules", tmpdir);
		fp = fopen(path, "a");
		fputs("\n[rule extra.one]\ncategory = hate\npattern = \\bungeziefer\\b\n", fp);
		fclose(fp);
	}
	rs = load(&d, NULL);
	CHECK(rs != NULL && strcmp(rs_hash(rs), hash1) != 0);
	rs_free(rs);
	write_file("a.rules", good_rules);
	free(dump1);
	diags_free(&d);
}

static void
verdict_signature(const struct ruleset *rs, const char *t, char *out, size_t len)
{
	struct rs_scratch *s = rs_scratch_new(rs);
	struct verdict v;
	size_t i, off = 0;

	verdict_init(&v);
	rs_classify(rs, s, t, strlen(t), RS_SCOPE_ALL, &v);
	out[0] = '\0';
	for (i = 0; i < v.nmatches && off < len; i++)
		off += snprintf(out + off, len - off, "%s:%zu-%zu;",
		    v.matches[i].rule_id, v.matches[i].start, v.matches[i].end);
	verdict_free(&v);
	rs_scratch_free(s);
}

static void
test_jit_equivalence_and_fallback(void)
{
	static const char *texts[] = {
		"Du Vollidiot und Arschloch", "ich mach dich kalt", "harmlos",
		"𝐕𝐨𝐥𝐥𝐢𝐝𝐢𝐨𝐭", "Sch3iße, du W1chser",
	};
	struct diags d = { 0 };
	struct rs_options o;
	struct ruleset *jit, *nojit;
	char a[512], b[512];
	size_t i;

	write_file("a.rules", good_rules);
	write_file("words/vulgar.words", good_words);
	rs_options_default(&o);
	jit = load(&d, &o);
	o.jit = false;
	nojit = load(&d, &o);
	CHECK(jit != NULL && nojit != NULL);
	if (jit == NULL || nojit == NULL)
		return;
	CHECK(!rs_jit_active(nojit));
	CHECK_STR(rs_hash(jit), rs_hash(nojit));
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		verdict_signature(jit, texts[i], a, sizeof a);
		verdict_signature(nojit, texts[i], b, sizeof b);
		CHECK_STR(a, b);
	}
	rs_free(jit);
	rs_free(nojit);

	diags_free(&d);
}

static void
test_jit_fallback_under_mdwe(void)
{
	static const char *text = "Du Vollidiot und Arschloch";
	struct diags d = { 0 };
	struct rs_options o;
	char a[512];
	pid_t pid;
	int status;

	write_file("a.rules", good_rules);
	write_file("words/vulgar.words", good_words);
	/*
	 * Under PR_SET_MDWE (what systemd's MemoryDenyWriteExecute does with
	 * seccomp) PCRE2's JIT cannot map executable memory: the set must
	 * still build, say so once, and classify the same.
	 */
	pid = fork();
	if (pid == 0) {
		struct ruleset *rs;
		int rc = 0;

		if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0)
			_exit(77);	/* kernel without MDWE: nothing to test */
		rs_options_default(&o);
		o.log = count_log;
		rs = load(&d, &o);
		if (rs == NULL)
			_exit(1);
		if (rs_jit_active(rs))
			rc = 2;
		if (jit_log_count != 1)
			rc = 3;
		verdict_signature(rs, text, a, sizeof a);
		if (strstr(a, "insult.voll") == NULL)
			rc = 4;
		rs_free(rs);
		_exit(rc);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		fprintf(stderr, "note: PR_SET_MDWE not supported, fallback untested\n");
	else
		CHECK_INT(WEXITSTATUS(status), 0);
	diags_free(&d);
}

/*
 * A part needs a literal of each set litex_extract_factors gives: "dich"
 * alone (the best single set) let the pattern run on "dich mag ich"; with
 * "ich" and hau/schlag also needed it does not.  The verdicts are the
 * same either way; what changes is how many parts run.
 */
static void
test_prefilter_factors(void)
{
	static const char rules[] =
	    "[rule test.threat]\n"
	    "category = violence\n"
	    "severity = 2\n"
	    "pattern = \\bich\\s+(?:\\w+\\s+){0,2}?(hau|schlag)e?\\s+dich\\b\n"
	    "match = Ich haue dich\n"
	    "match = ich schlag dich\n"
	    "nomatch = dich mag ich\n";
	static const struct {
		const char	*text;
		size_t		 run;
		bool		 flagged;
	} cases[] = {
		{ "Dich mag ich nicht.", 0, false },
		{ "Ich gehe zu dir.", 0, false },
		{ "Ich haue Nägel ein, dich nicht.", 1, false },
		{ "Ich Hau Dich!", 1, true },
		{ "ich glaube ich schlage dich", 1, true },
	};
	struct diags		 d = { 0 };
	struct ruleset		*rs;
	struct rs_scratch	*s;
	struct verdict		 v;
	char			 path[512];
	const char		*paths[] = { path };
	size_t			 i;

	snprintf(path, sizeof path, "%s/factors.rules", tmpdir);
	write_file("factors.rules", rules);
	rs = rs_load_files(paths, 1, NULL, &d);
	diags_print(&d, stderr);
	diags_free(&d);
	remove_file("factors.rules");
	CHECK(rs != NULL);
	if (rs == NULL)
		return;
	s = rs_scratch_new(rs);
	verdict_init(&v);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rs_classify(rs, s, cases[i].text, strlen(cases[i].text),
		    RS_SCOPE_COMMENT, &v);
		CHECK_INT(rs_scratch_parts_run(s), cases[i].run);
		CHECK(v.flagged == cases[i].flagged);
	}
	verdict_free(&v);
	rs_scratch_free(s);
	rs_free(rs);
}

int
main(void)
{
	char path[512];

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(path, sizeof path, "%s/words", tmpdir);
	mkdir(path, 0700);
	/*
	 * First, before anything is JIT-compiled: PCRE2 keeps freed
	 * executable chunks for reuse, and a child forked later would
	 * inherit them and never need a new executable mapping.
	 */
	test_jit_fallback_under_mdwe();
	test_load_and_classify();
	test_errors_reported_with_lines();
	test_failing_examples();
	test_single_keys_once();
	test_blowup_probe();
	test_limits_mean_review();
	test_dump_roundtrip_and_hash();
	test_jit_equivalence_and_fallback();
	test_prefilter_factors();
	remove_file("a.rules");
	remove_file("words/vulgar.words");
	rmdir(path);
	rmdir(tmpdir);
	return tu_finish("test_ruleset");
}
