/*
 * test_shipped_rules.c: the German rule set in rules/ as shipped.  It must
 * build, pass all of its own examples, exercise every pattern, word list
 * and scanner with a match example (fail2ban's rule), give every rule at
 * least two match and two nomatch examples, and cover all 13 categories.
 * Beyond its own examples the set is held to what the issue promises:
 * sharp criticism of government and politics, look-alike words and
 * counter-speech are not flagged; plain and obfuscated violations are,
 * with the right category.  JIT and interpreter give the same verdicts.
 *
 * This test fails whenever the shipped set is broken; that is its job.
 */
#include <dirent.h>
#include <errno.h>

#include "testutil.h"
#include "kvfile.h"
#include "ruleset.h"

#define MIN_MATCH	2
#define MIN_NOMATCH	2

static char	 rulesdir[4096];

/* Sharp opinions and innocent words that no rule may flag, in any scope. */
static const char *const harmless[] = {
	/* criticism of government and politicians is not an insult */
	"Der Minister hat keine Ahnung",
	"Die Regierung versagt komplett",
	"Merkel muss weg",
	"Diese Politik ist eine Katastrophe",
	"Rücktritt!",
	/* words that contain or resemble a bad one */
	"Arschbombe",
	"Dummerstorf",
	"Analyse",
	"Idiotentest",
	"Schwarzwald",
	"Schwarzfahrer",
	/*
	 * Counter-speech: "wer X Y nennt" is a shape a rule can tell from
	 * the slur itself; quoting a slur in general is not.
	 */
	"Wer Flüchtlinge Ungeziefer nennt, hat nichts verstanden",
};

struct violation {
	const char	*text;
	unsigned	 scope;
	enum category	 cat[2];	/* any of them; CAT_COUNT = unused */
};

/* Clear violations that the set must flag, with an acceptable category. */
static const struct violation violations[] = {
	{ "Du bist ein Vollidiot", RS_SCOPE_COMMENT,
	    { CAT_INSULT, CAT_COUNT } },
	{ "V.0.l.l.i.d.1.o.t", RS_SCOPE_COMMENT,
	    { CAT_INSULT, CAT_COUNT } },
	{ "𝐀𝐫𝐬𝐜𝐡𝐥𝐨𝐜𝐡", RS_SCOPE_COMMENT,
	    { CAT_INSULT, CAT_COUNT } },
	{ "Ich bring dich um", RS_SCOPE_COMMENT,
	    { CAT_VIOLENCE, CAT_COUNT } },
	{ "Ich bring dich um", RS_SCOPE_DM,
	    { CAT_VIOLENCE, CAT_COUNT } },
	{ "Sieg Heil", RS_SCOPE_COMMENT,
	    { CAT_ILLEGAL, CAT_COUNT } },
	{ "DE89 3704 0044 0532 0130 00", RS_SCOPE_COMMENT,
	    { CAT_PERSONAL_DATA, CAT_COUNT } },
	{ "Schreib mir auf WhatsApp 0176 12345678", RS_SCOPE_COMMENT,
	    { CAT_COMMERCIAL, CAT_PERSONAL_DATA } },
	{ "bit.ly/xyz", RS_SCOPE_COMMENT,
	    { CAT_COMMERCIAL, CAT_COUNT } },
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rules/ *.rules paths, sorted like rs_load_dir sorts them. */
static size_t
list_rule_files(char ***out)
{
	DIR		*dp;
	struct dirent	*de;
	char		**v = NULL, *p;
	size_t		 n = 0, len;

	*out = NULL;
	if ((dp = opendir(rulesdir)) == NULL) {
		fprintf(stderr, "%s: %s\n", rulesdir, strerror(errno));
		return 0;
	}
	while ((de = readdir(dp)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 7 ||
		    strcmp(de->d_name + len - 6, ".rules") != 0)
			continue;
		if (asprintf(&p, "%s/%s", rulesdir, de->d_name) == -1)
			abort();
		v = realloc(v, (n + 1) * sizeof *v);
		v[n++] = p;
	}
	closedir(dp);
	qsort(v, n, sizeof *v, cmp_str);
	*out = v;
	return n;
}

/*
 * Counts each rule's examples from the files themselves, so a rule that
 * the compiler refuses is still held to the minimum.
 */
static void
test_examples_per_rule(void)
{
	char		**files;
	size_t		  nfiles, i, j, k, nrules = 0;
	struct diags	  d = { 0 };

	nfiles = list_rule_files(&files);
	CHECK(nfiles > 0);
	for (i = 0; i < nfiles; i++) {
		struct kv_file f;

		CHECK_INT(kv_parse_file(files[i], &f, &d), 0);
		for (j = 1; j < f.nsections; j++) {
			const struct kv_section *s = &f.sections[j];
			int nm = 0, nn = 0;

			if (strcmp(s->kind, "rule") != 0)
				continue;
			nrules++;
			for (k = 0; k < s->npairs; k++) {
				if (strcmp(s->pairs[k].key, "match") == 0)
					nm++;
				else if (strcmp(s->pairs[k].key, "nomatch") == 0)
					nn++;
			}
			if (nm < MIN_MATCH || nn < MIN_NOMATCH) {
				CHECK(!"at least 2 match and 2 nomatch examples");
				fprintf(stderr, "%s:%d: rule %s has %d match and "
				    "%d nomatch examples (at least %d and %d)\n",
				    files[i], s->line, s->name, nm, nn,
				    MIN_MATCH, MIN_NOMATCH);
			}
		}
		kv_file_free(&f);
		free(files[i]);
	}
	free(files);
	CHECK(nrules > 0);
	diags_print(&d, stderr);
	diags_free(&d);
}

static struct ruleset *
load(bool jit)
{
	struct rs_options	 o;
	struct diags		 d = { 0 };
	struct ruleset		*rs;

	rs_options_default(&o);
	o.jit = jit;
	/* examples are checked on their own below, with their own message */
	o.run_examples = false;
	rs = rs_load_dir(rulesdir, &o, &d);
	if (rs == NULL) {
		fprintf(stderr, "%s: the shipped rules do not build (jit %s):\n",
		    rulesdir, jit ? "on" : "off");
		diags_print(&d, stderr);
	}
	diags_free(&d);
	return rs;
}

static void
test_examples_and_coverage(const struct ruleset *rs)
{
	struct diags d = { 0 };

	CHECK_INT(rs_check_examples(rs, &d), 0);
	diags_print(&d, stderr);
	diags_clear(&d);
	CHECK_INT(rs_check_coverage(rs, &d), 0);
	diags_print(&d, stderr);
	diags_free(&d);
}

static void
test_all_categories(const struct ruleset *rs)
{
	int			 seen[CAT_COUNT] = { 0 };
	struct rs_rule_info	 ri;
	size_t			 i;
	int			 c;

	for (i = 0; i < rs_rule_count(rs); i++)
		if (rs_rule_info(rs, i, &ri) == 0)
			seen[ri.category]++;
	for (c = 0; c < CAT_COUNT; c++)
		if (seen[c] == 0) {
			CHECK(!"every category has a rule");
			fprintf(stderr, "no shipped rule for category %s (%s)\n",
			    category_name(c), category_clause(c));
		}
}

static void
print_matches(const char *text, const struct verdict *v)
{
	size_t i;

	fprintf(stderr, "  \"%s\":", text);
	for (i = 0; i < v->nmatches; i++)
		fprintf(stderr, " %s/%s [%zu,%zu) \"%.*s\"", v->matches[i].rule_id,
		    category_name(v->matches[i].category), v->matches[i].start,
		    v->matches[i].end,
		    (int)(v->matches[i].end - v->matches[i].start),
		    text + v->matches[i].start);
	if (v->review)
		fprintf(stderr, " (review: %s)", v->review_reason);
	fprintf(stderr, "\n");
}

static void
test_harmless(const struct ruleset *rs)
{
	struct rs_scratch	*s = rs_scratch_new(rs);
	struct verdict		 v;
	size_t			 i;

	verdict_init(&v);
	for (i = 0; i < sizeof harmless / sizeof harmless[0]; i++) {
		rs_classify(rs, s, harmless[i], strlen(harmless[i]),
		    RS_SCOPE_ALL, &v);
		CHECK(!v.flagged && !v.review);
		if (v.flagged || v.review) {
			fprintf(stderr, "harmless text flagged:\n");
			print_matches(harmless[i], &v);
		}
	}
	verdict_free(&v);
	rs_scratch_free(s);
}

static void
test_violations(const struct ruleset *rs)
{
	struct rs_scratch	*s = rs_scratch_new(rs);
	struct verdict		 v;
	size_t			 i, k;

	verdict_init(&v);
	for (i = 0; i < sizeof violations / sizeof violations[0]; i++) {
		const struct violation *x = &violations[i];
		bool right = false;

		rs_classify(rs, s, x->text, strlen(x->text), x->scope, &v);
		for (k = 0; k < 2; k++)
			if (x->cat[k] != CAT_COUNT && v.cat_severity[x->cat[k]] > 0)
				right = true;
		CHECK(right);
		if (!right) {
			fprintf(stderr, "violation not flagged as %s%s%s in %s "
			    "scope:\n", category_name(x->cat[0]),
			    x->cat[1] != CAT_COUNT ? " or " : "",
			    x->cat[1] != CAT_COUNT ? category_name(x->cat[1]) : "",
			    x->scope == RS_SCOPE_DM ? "dm" : "comment");
			print_matches(x->text, &v);
		}
	}
	verdict_free(&v);
	rs_scratch_free(s);
}

/* "rule:start-end;..." plus review and severity: what a verdict decides. */
static void
signature(const struct ruleset *rs, struct rs_scratch *s, const char *t,
    unsigned scope, char *out, size_t len)
{
	struct verdict	v;
	size_t		i, off;

	verdict_init(&v);
	rs_classify(rs, s, t, strlen(t), scope, &v);
	off = (size_t)snprintf(out, len, "sev %d review %d:", v.severity,
	    v.review);
	for (i = 0; i < v.nmatches && off < len; i++)
		off += (size_t)snprintf(out + off, len - off, "%s:%s:%zu-%zu;",
		    v.matches[i].rule_id, v.matches[i].what, v.matches[i].start,
		    v.matches[i].end);
	verdict_free(&v);
}

static void
compare_verdicts(const struct ruleset *jit, struct rs_scratch *sj,
    const struct ruleset *nojit, struct rs_scratch *sn, const char *t,
    size_t *compared)
{
	static const unsigned scopes[] = { RS_SCOPE_COMMENT, RS_SCOPE_DM };
	char	a[4096], b[4096];
	size_t	i;

	for (i = 0; i < 2; i++) {
		signature(jit, sj, t, scopes[i], a, sizeof a);
		signature(nojit, sn, t, scopes[i], b, sizeof b);
		if (strcmp(a, b) != 0) {
			CHECK(!"JIT and interpreter agree");
			fprintf(stderr, "  \"%s\": jit %s\n  interpreter %s\n",
			    t, a, b);
		}
		(*compared)++;
	}
}

/*
 * Every example of every rule, and the texts above, classified by the
 * JIT-compiled set and by the interpreter: the same verdicts.
 */
static void
test_jit_equivalence(const struct ruleset *jit)
{
	struct ruleset		*nojit = load(false);
	struct rs_scratch	*sj, *sn;
	char			**files;
	size_t			  nfiles, i, j, k, compared = 0;
	struct diags		  d = { 0 };

	CHECK(nojit != NULL);
	if (nojit == NULL)
		return;
	CHECK(!rs_jit_active(nojit));
	CHECK_STR(rs_hash(nojit), rs_hash(jit));
	sj = rs_scratch_new(jit);
	sn = rs_scratch_new(nojit);
	for (i = 0; i < sizeof harmless / sizeof harmless[0]; i++)
		compare_verdicts(jit, sj, nojit, sn, harmless[i], &compared);
	for (i = 0; i < sizeof violations / sizeof violations[0]; i++)
		compare_verdicts(jit, sj, nojit, sn, violations[i].text, &compared);
	nfiles = list_rule_files(&files);
	for (i = 0; i < nfiles; i++) {
		struct kv_file f;

		kv_parse_file(files[i], &f, &d);
		for (j = 1; j < f.nsections; j++)
			for (k = 0; k < f.sections[j].npairs; k++) {
				const struct kv_pair *p = &f.sections[j].pairs[k];

				if (strcmp(p->key, "match") == 0 ||
				    strcmp(p->key, "nomatch") == 0)
					compare_verdicts(jit, sj, nojit, sn,
					    p->value, &compared);
			}
		kv_file_free(&f);
		free(files[i]);
	}
	free(files);
	if (!rs_jit_active(jit))
		fprintf(stderr, "note: PCRE2 JIT unavailable here; both sets "
		    "use the interpreter\n");
	printf("jit/interpreter: %zu verdicts compared\n", compared);
	diags_free(&d);
	rs_scratch_free(sj);
	rs_scratch_free(sn);
	rs_free(nojit);
}

int
main(void)
{
	const char	*src = getenv("NQ_SOURCE_DIR");
	struct ruleset	*rs;

	if (src != NULL && *src != '\0')
		snprintf(rulesdir, sizeof rulesdir, "%s/rules", src);
	else
		snprintf(rulesdir, sizeof rulesdir, "../../rules"); /* tests/unit */

	test_examples_per_rule();
	rs = load(true);
	CHECK(rs != NULL);
	if (rs != NULL) {
		printf("%s: %zu rules, %zu examples, %zu parts, hash %.12s\n",
		    rulesdir, rs_rule_count(rs), rs_example_count(rs),
		    rs_pattern_count(rs), rs_hash(rs));
		test_examples_and_coverage(rs);
		test_all_categories(rs);
		test_harmless(rs);
		test_violations(rs);
		test_jit_equivalence(rs);
		rs_free(rs);
	}
	return tu_finish("test_shipped_rules");
}
