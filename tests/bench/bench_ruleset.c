/*
 * bench_ruleset.c: how fast the rule engine screens comments, and what it
 * costs to build and hold.  Not a test: it prints figures.
 *
 *   bench_ruleset [-n COMMENTS] [-r RULES_DIR] [-s SIZES] [-q]
 *
 * For the shipped rules (RULES_DIR, default the source tree's rules/) and
 * for generated rule sets of 100, 1,000 and 5,000 realistic patterns
 * (word-boundary alternations, obfuscation-tolerant insults, phrases with
 * gaps, URL and phone patterns), over a corpus of realistic comments
 * (default 100,000, generated from a fixed seed), single-threaded, with the
 * PCRE2 JIT and without it, it prints comments/s, MB/s, build time and
 * memory, and in the same run a naive loop that runs every pattern with
 * PCRE2 over every comment (on a slice of the corpus, extrapolated).
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "normalize.h"
#include "ruleset.h"

static uint64_t bench_rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	bench_rng ^= bench_rng << 13;
	bench_rng ^= bench_rng >> 7;
	bench_rng ^= bench_rng << 17;
	return (uint32_t)(bench_rng >> 11);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long
rss_kib(void)
{
	FILE	*fp = fopen("/proc/self/statm", "r");
	long	 pages = 0, resident = 0;

	if (fp == NULL)
		return 0;
	if (fscanf(fp, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	fclose(fp);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* --- a corpus of realistic comments ------------------------------------ */

static const char *corpus_words[] = {
	"die", "der", "das", "und", "ist", "nicht", "wir", "ich", "Sie", "es",
	"Regierung", "Minister", "Ministerium", "Antrag", "Personalausweis",
	"Bürger", "Bürgerinnen", "Digitalisierung", "Katastrophenschutz",
	"endlich", "warum", "wann", "wieder", "schon", "noch", "immer", "keine",
	"Ahnung", "Politik", "Steuern", "Rente", "Schule", "Kinder", "Straße",
	"Bahn", "Zug", "Verspätung", "Behörde", "Termin", "online", "Formular",
	"Frage", "Antwort", "danke", "bitte", "gut", "schlecht", "teuer",
	"Katastrophe", "versagt", "komplett", "Rücktritt", "Wahl", "Partei",
	"Ministerin", "Gesetz", "Entwurf", "Bundestag", "Länder", "Kommune",
	"Breitband", "Internet", "Funkloch", "Hochwasser", "Feuerwehr", "THW",
	"Migration", "Integration", "Arbeit", "Wohnung", "Miete", "Preise",
	"Energie", "Heizung", "Klima", "Wald", "Schwarzwald", "Analyse",
	"Dummerstorf", "Arschbombe", "Idiotentest", "wirklich", "einfach",
	"seit", "Wochen", "Monaten", "Jahren", "meine", "unsere", "eure",
	"haben", "hat", "sind", "war", "wird", "werden", "kann", "muss", "soll",
	"Verwaltung", "Amt", "Beamte", "Ausweis", "Pass", "Visum", "Gebühr",
};

static const char *corpus_spice[] = {
	"Du Vollidiot!", "so eine Scheiße", "Halt die Fresse", "V o l l i d i o t",
	"Arschloch", "www.beispiel-gewinn.de", "Tel. 0176 12345678",
	"schreib mir auf WhatsApp", "DE89 3704 0044 0532 0130 00", "😡😡😡",
	"𝐃𝐮 𝐃𝐞𝐩𝐩", "ich bring dich um", "https://bit.ly/abc123", "Ｉｄｉｏｔ",
};

struct corpus {
	char	**text;
	size_t	 *len;
	size_t	  n, bytes;
};

static void
corpus_make(struct corpus *c, size_t n)
{
	char	buf[1024];
	size_t	i, off, words, k;

	c->text = calloc(n, sizeof *c->text);
	c->len = calloc(n, sizeof *c->len);
	c->n = n;
	c->bytes = 0;
	for (i = 0; i < n; i++) {
		off = 0;
		words = 6 + rnd() % 28;		/* 6..33 words, ~40..250 bytes */
		if (rnd() % 10 == 0)
			off += snprintf(buf + off, sizeof buf - off, "@user%u ",
			    rnd() % 10000);
		for (k = 0; k < words && off < sizeof buf - 64; k++) {
			const char *w = corpus_words[rnd() %
			    (sizeof corpus_words / sizeof corpus_words[0])];

			off += snprintf(buf + off, sizeof buf - off, "%s%s",
			    k ? " " : "", w);
			if (rnd() % 9 == 0)
				off += snprintf(buf + off, sizeof buf - off, "%c",
				    ".,!?"[rnd() % 4]);
		}
		if (rnd() % 20 == 0 && off < sizeof buf - 64)	/* ~5 % spicy */
			off += snprintf(buf + off, sizeof buf - off, " %s",
			    corpus_spice[rnd() % (sizeof corpus_spice /
			    sizeof corpus_spice[0])]);
		c->text[i] = strndup(buf, off);
		c->len[i] = off;
		c->bytes += off;
	}
}

static void
corpus_free(struct corpus *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->text[i]);
	free(c->text);
	free(c->len);
}

/* --- generated rule sets ---------------------------------------------- */

static const char *syll[] = {
	"ba", "ber", "bi", "bo", "dra", "de", "den", "do", "fa", "fi", "ga",
	"gel", "hu", "kla", "ko", "kru", "la", "len", "lo", "ma", "mer", "mi",
	"na", "ne", "no", "pe", "pfu", "ra", "ri", "ro", "sa", "sche", "schi",
	"ta", "te", "ter", "tro", "ul", "va", "we", "wi", "zo", "zu", "xa",
};

/* A made-up word of 3..5 syllables: realistic length, no real word. */
static void
gen_word(char *out, size_t len)
{
	size_t n = 3 + rnd() % 3, i, off = 0;

	for (i = 0; i < n; i++)
		off += snprintf(out + off, len - off, "%s",
		    syll[rnd() % (sizeof syll / sizeof syll[0])]);
}

/* Words of the generated word-boundary rules, to plant in the corpus. */
static char	gen_hits[64][64];
static size_t	gen_nhits;

static int
gen_rules(const char *dir, size_t nrules)
{
	char	path[1024], w[5][64];
	FILE	*fp;
	size_t	i, k;

	mkdir(dir, 0700);
	snprintf(path, sizeof path, "%s/generated.rules", dir);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	for (i = 0; i < nrules; i++) {
		for (k = 0; k < 5; k++)
			gen_word(w[k], sizeof w[k]);
		fprintf(fp, "[rule gen.r%zu]\ncategory = insult\nseverity = %zu\n",
		    i, 1 + i % 3);
		switch (i % 10) {
		case 0: case 1: case 2: case 3:	/* word-boundary alternation */
			fprintf(fp, "pattern = \\b(%s|%s|%s|%s)\\b\n", w[0], w[1],
			    w[2], w[3]);
			if (gen_nhits < 64)
				snprintf(gen_hits[gen_nhits++], sizeof gen_hits[0],
				    "%s", w[1]);
			break;
		case 4: case 5:		/* obfuscation-tolerant compound insult */
			fprintf(fp, "pattern = \\b\\w*(%s|%s)\\w*\n", w[0], w[1]);
			break;
		case 6: case 7:		/* a phrase with gaps */
			fprintf(fp, "pattern = \\b%s\\s+(?:\\w+\\s+){0,3}%s\\b\n",
			    w[0], w[1]);
			break;
		case 8:			/* a URL pattern */
			fprintf(fp, "view = fold\npattern = "
			    "https?://(?:www\\.)?%s\\.(?:de|com|net)\\b\n", w[0]);
			break;
		case 9:			/* a phone-like pattern with a keyword */
			fprintf(fp, "view = fold\npattern = \\b%s\\W{0,3}"
			    "(?:\\+49|0)\\d{2,4}[ /-]?\\d{4,8}\\b\n", w[0]);
			break;
		}
		fputc('\n', fp);
	}
	fclose(fp);
	return 0;
}

/* --- measuring ------------------------------------------------------------ */

static void
bench_log(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "  (log) %s\n", msg);
}

static void
bench_set(const char *label, const char *dir, const struct corpus *c, bool jit,
    bool naive)
{
	struct rs_options	 o;
	struct diags		 d = { 0 };
	struct ruleset		*rs;
	struct rs_scratch	*s;
	struct verdict		 v;
	double			 t0, t1, t_build, t_run;
	long			 rss0, rss1;
	size_t			 i, flagged = 0, review = 0;

	rs_options_default(&o);
	o.jit = jit;
	o.run_examples = false;
	o.log = bench_log;
	rss0 = rss_kib();
	t0 = now_s();
	rs = rs_load_dir(dir, &o, &d);
	t1 = now_s();
	if (rs == NULL) {
		fprintf(stderr, "%s: rule set failed to build:\n", label);
		diags_print(&d, stderr);
		diags_free(&d);
		return;
	}
	t_build = t1 - t0;
	rss1 = rss_kib();

	s = rs_scratch_new(rs);
	verdict_init(&v);
	t0 = now_s();
	for (i = 0; i < c->n; i++) {
		rs_classify(rs, s, c->text[i], c->len[i], RS_SCOPE_COMMENT, &v);
		flagged += v.flagged;
		review += v.review;
	}
	t_run = now_s() - t0;
	printf("%-14s %-6s rules=%5zu parts=%5zu build=%7.3fs mem=%6.1fMB "
	    "(rss +%6.1fMB) %10.0f comments/s %7.1f MB/s flagged=%.2f%% "
	    "review=%zu\n", label, rs_jit_active(rs) ? "jit" : "nojit",
	    rs_rule_count(rs), rs_pattern_count(rs), t_build,
	    rs_memory(rs) / 1048576.0, (rss1 - rss0) / 1024.0, c->n / t_run,
	    c->bytes / t_run / 1048576.0, 100.0 * flagged / c->n, review);
	fflush(stdout);
	verdict_free(&v);
	rs_scratch_free(s);
	rs_free(rs);
	diags_free(&d);

	if (naive) {
		/*
		 * The baseline the prefilter must beat: every pattern of the
		 * generated file, compiled alone, run over the normalized text.
		 */
		char		 path[1024], line[4096];
		FILE		*fp;
		pcre2_code	**codes = NULL;
		size_t		 ncodes = 0, slice = c->n < 2000 ? c->n : 2000;
		pcre2_match_data *md = pcre2_match_data_create(16, NULL);
		struct nz_text	 t = { 0 };
		size_t		 hits = 0;

		snprintf(path, sizeof path, "%s/generated.rules", dir);
		if ((fp = fopen(path, "r")) == NULL)
			return;
		while (fgets(line, sizeof line, fp) != NULL) {
			int err;
			PCRE2_SIZE off;
			pcre2_code *code;

			if (strncmp(line, "pattern = ", 10) != 0)
				continue;
			line[strcspn(line, "\n")] = '\0';
			code = pcre2_compile((PCRE2_SPTR)line + 10,
			    PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP |
			    PCRE2_CASELESS, &err, &off, NULL);
			if (code == NULL)
				continue;
			if (jit)
				pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
			codes = realloc(codes, (ncodes + 1) * sizeof *codes);
			codes[ncodes++] = code;
		}
		fclose(fp);
		t0 = now_s();
		for (i = 0; i < slice; i++) {
			size_t k;

			nz_normalize(c->text[i], c->len[i], NZ_FOLDS_NORM, 0, &t);
			for (k = 0; k < ncodes; k++)
				if (pcre2_match(codes[k], (PCRE2_SPTR)t.s, t.len,
				    0, 0, md, NULL) >= 0)
					hits++;
		}
		t_run = now_s() - t0;
		printf("%-14s %-6s naive loop over %zu patterns: %10.0f comments/s "
		    "(%zu comments)\n", label, jit ? "jit" : "nojit", ncodes,
		    slice / t_run, slice);
		for (i = 0; i < ncodes; i++)
			pcre2_code_free(codes[i]);
		free(codes);
		nz_text_free(&t);
		pcre2_match_data_free(md);
	}
}

int
main(int argc, char **argv)
{
	struct corpus	 c;
	size_t		 n = 100000, sizes[8] = { 100, 1000, 5000 }, nsizes = 3;
	const char	*rules = NQ_SOURCE_RULES_DIR;
	char		 tmp[] = "/tmp/nq-bench-XXXXXX", dir[600];
	int		 ch, j;
	size_t		 i;

	while ((ch = getopt(argc, argv, "n:r:s:")) != -1) {
		switch (ch) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rules = optarg;
			break;
		case 's': {
			char *p = optarg, *end;

			nsizes = 0;
			while (*p && nsizes < 8) {
				sizes[nsizes++] = strtoul(p, &end, 10);
				p = *end == ',' ? end + 1 : end;
				if (end == p && *p) break;
			}
			break;
		}
		default:
			fprintf(stderr, "usage: bench_ruleset [-n comments] "
			    "[-r rules_dir] [-s 100,1000,5000]\n");
			return 64;
		}
	}
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	corpus_make(&c, n);
	printf("corpus: %zu comments, %.1f MB, %.0f bytes/comment; single thread\n",
	    c.n, c.bytes / 1048576.0, (double)c.bytes / c.n);
	for (j = 1; j >= 0; j--)
		bench_set("shipped", rules, &c, j, false);
	for (i = 0; i < nsizes; i++) {
		char label[1024];

		snprintf(dir, sizeof dir, "%s/r%zu", tmp, sizes[i]);
		bench_rng = 0x1234567ull + sizes[i];
		if (gen_rules(dir, sizes[i]) == -1) {
			perror(dir);
			continue;
		}
		snprintf(label, sizeof label, "generated-%zu", sizes[i]);
		/*
		 * About 3 % of the comments get a word one of the rules is
		 * after, so that the patterns run and match as they would on
		 * real traffic, not only the prefilter.
		 */
		{
			struct corpus	 h = c;
			size_t		 k;

			h.text = calloc(c.n, sizeof *h.text);
			h.len = calloc(c.n, sizeof *h.len);
			h.bytes = 0;
			for (k = 0; k < c.n; k++) {
				if (gen_nhits > 0 && k % 33 == 0) {
					h.len[k] = asprintf(&h.text[k], "%s %s",
					    c.text[k], gen_hits[k % gen_nhits]);
				} else {
					h.text[k] = strdup(c.text[k]);
					h.len[k] = c.len[k];
				}
				h.bytes += h.len[k];
			}
			for (j = 1; j >= 0; j--)
				bench_set(label, dir, &h, j, true);
			corpus_free(&h);
		}
		gen_nhits = 0;
		snprintf(label, sizeof label, "%s/generated.rules", dir);
		unlink(label);
		rmdir(dir);
	}
	rmdir(tmp);
	corpus_free(&c);
	{
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		printf("peak RSS of the whole run: %.1f MB\n", ru.ru_maxrss / 1024.0);
	}
	return 0;
}
