/*
 * ruleset.c: builds the immutable rule set from rule files and word lists,
 * and classifies texts against it.
 *
 * Build: every [rule] section becomes a struct rs_rule with one or more
 * parts (a pattern, a word list compiled into one alternation, or a
 * dedicated scanner).  Each regex part is folded like the text it will see
 * (litex_fold_pattern), compiled with PCRE2 (JIT when the system allows),
 * checked for catastrophic backtracking statically (litex_risky) and
 * dynamically (a bounded run on pathological inputs), and contributes its
 * required literals to the prefilter of its view.
 *
 * Classify: each view the set uses is computed once; one Aho-Corasick scan
 * per view marks the parts whose literals occur; only those parts, plus
 * the few without literals, run PCRE2.  Cost per comment therefore grows
 * with the number of rules that could plausibly match, not with the size
 * of the set.  A PCRE2 limit hit never reads as "no match": the verdict
 * asks for human review.
 *
 * The set's identity is the SHA-256 of its canonical dump, so two
 * directories that mean the same thing have the same hash.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <sodium.h>
#include <utf8proc.h>

#include "acmatch.h"
#include "kvfile.h"
#include "litex.h"
#include "ruleset.h"
#include "scanners.h"
#include "xmalloc.h"

#define RS_MAX_MATCHES		64	/* per text; more adds nothing for a human */
#define RS_MAX_WORDS		100000	/* per word list */
#define RS_PROBE_LEN		256	/* pathological input for the blow-up probe */
#define RS_PROBE_MATCH_LIMIT	2000000

enum rs_part_kind { PART_PATTERN, PART_WORDS, PART_WORDLIT, PART_SCANNER };

/*
 * Word-list entries without spaces are not regexes at all: the prefilter's
 * automaton already finds them, with their end offsets, in one pass; the
 * word boundaries and the '*' extensions are checked around each hit.
 * That is linear in the text however long the list, where an alternation
 * of "\w*word" branches costs list length times word length at every word.
 * AC ids of such entries carry RS_WORD_FLAG; other ids are part indexes.
 */
#define RS_WORD_FLAG	0x80000000u

/*
 * A regex part may need literals of up to RS_FACTORS_MAX sets at once
 * (litex_extract_factors): "\bich\s+...(hau|schlag)\s+dich" runs only
 * when "ich", one of the verbs and "dich" all occur, where "ich" alone
 * let it run on most German texts.  The set's index rides in the AC id
 * above the part index.
 */
#define RS_FACTORS_MAX	3
#define RS_FACTOR_SHIFT	28
#define RS_PART_MASK	((1u << RS_FACTOR_SHIFT) - 1)

struct rs_word {
	uint32_t	part;
	uint32_t	len;
	uint32_t	order;		/* position in the rule's list */
	bool		pre, post;	/* '*' at the start, at the end */
};

struct rs_wordhit {
	uint32_t	word;
	uint32_t	start, end;	/* the literal's own bytes */
};

struct rs_part {
	enum rs_part_kind	 kind;
	uint32_t		 rule;
	pcre2_code		*code;		/* NULL for scanners */
	enum scanner_kind	 scanner;
	char			*src;		/* pattern as written, or list path */
	char			*what;		/* "pattern 1", "words x.words" */
	bool			 always;	/* no literal: runs on every text */
	uint8_t			 factors;	/* a bit per literal set it needs */
	int			 line;
};

struct rs_example {
	char	*text;
	bool	 match;
	int	 line;
};

struct rs_cond {		/* unless / unless-text */
	pcre2_code	*code;
	char		*src;
	int		 line;
};

struct rs_rule {
	char		*id;
	enum category	 category;
	int		 severity;
	unsigned	 scope;
	enum nz_view	 view;
	char		*description;
	char		*file;
	int		 line;
	uint32_t	*parts;		/* indexes into ruleset->parts */
	size_t		 nparts;
	char		**words;	/* all inline and listed words, for dump */
	size_t		 nwords;
	char		**patterns;	/* as written, for dump */
	size_t		 npatterns;
	enum scanner_kind *scanners;
	size_t		 nscanners;
	struct rs_cond	*unless;
	size_t		 nunless;
	struct rs_cond	*unless_text;
	size_t		 nunless_text;
	struct rs_example *examples;
	size_t		 nexamples;
};

struct ruleset {
	struct rs_rule	*rules;
	size_t		 nrules;
	struct rs_part	*parts;
	size_t		 nparts;
	struct rs_word	*words;
	size_t		 nwords;
	struct ac	*prefilter[NZ_VIEW_COUNT];
	uint32_t	*always[NZ_VIEW_COUNT];	/* parts without literals */
	size_t		 nalways[NZ_VIEW_COUNT];
	bool		 view_used[NZ_VIEW_COUNT];
	struct rs_options opts;
	bool		 jit;
	size_t		 nexamples;
	size_t		 memory;
	char		 hash[65];
};

struct rs_scratch {
	const struct ruleset	*rs;
	struct nz_text		 view[NZ_VIEW_COUNT];
	bool			 have_view[NZ_VIEW_COUNT];
	pcre2_match_data	*md;
	pcre2_match_context	*mctx;
	pcre2_jit_stack		*jstack;
	uint32_t		*stamp;		/* per part: gen when marked */
	uint32_t		*fstamp;	/* per part: gen of fseen */
	uint8_t			*fseen;		/* per part: its sets seen */
	uint32_t		*cand;		/* candidate parts of this text */
	size_t			 ncand;
	uint32_t		*rule_stamp;	/* per rule: gen when unless-text ran */
	bool			*rule_suppressed;
	uint32_t		 gen;
	int			 limit_error;	/* first PCRE2 limit error seen */
	struct rs_wordhit	*wordhits;
	size_t			 nwordhits, wordhitcap;
	enum nz_view		 scanning;	/* view of the running AC scan */
};

/* --- building ----------------------------------------------------------- */

struct rs_build {
	struct ruleset		*rs;
	struct diags		*d;
	const struct rs_options	*opts;
	struct ac_builder	*acb[NZ_VIEW_COUNT];
	size_t			 partcap, rulecap, alwayscap[NZ_VIEW_COUNT];
	size_t			 wordcap;
	bool			 jit_logged;
	pcre2_match_data	*probe_md;
	pcre2_match_context	*probe_mctx;
	int			 errors;
};

void
rs_options_default(struct rs_options *o)
{
	memset(o, 0, sizeof *o);
	o->jit = true;
	o->run_examples = true;
	o->match_limit = 200000;
	o->depth_limit = 10000;
	o->heap_limit_kib = 20480;
	o->max_input = 64 * 1024;
}

static void
rs_build_error(struct rs_build *b, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
rs_build_error(struct rs_build *b, const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		abort();
	va_end(ap);
	diags_add(b->d, file, line, "%s", msg);
	free(msg);
	b->errors++;
}

static void
rs_pcre2_message(int rc, char *buf, size_t len)
{
	if (pcre2_get_error_message(rc, (PCRE2_UCHAR *)buf, len) < 0)
		snprintf(buf, len, "PCRE2 error %d", rc);
}

/*
 * Compiles one pattern (already folded) and JITs it if allowed.  On error
 * reports at file:line and returns NULL.
 */
static pcre2_code *
rs_compile_regex(struct rs_build *b, const char *pattern, const char *file,
    int line, const char *key)
{
	pcre2_code	*code;
	int		 err, rc;
	PCRE2_SIZE	 off;
	char		 msg[256];

	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_NEVER_BACKSLASH_C,
	    &err, &off, NULL);
	if (code == NULL) {
		rs_pcre2_message(err, msg, sizeof msg);
		rs_build_error(b, file, line, "%s: %s at offset %zu", key, msg,
		    (size_t)off);
		return NULL;
	}
	if (b->rs->jit) {
		rc = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
		if (rc != 0) {
			/*
			 * Under MemoryDenyWriteExecute the JIT cannot get
			 * executable memory.  The interpreter is slower but
			 * correct; say so once and stop trying.
			 */
			b->rs->jit = false;
			if (!b->jit_logged && b->opts->log != NULL) {
				rs_pcre2_message(rc, msg, sizeof msg);
				char line_msg[384];
				snprintf(line_msg, sizeof line_msg,
				    "PCRE2 JIT unavailable (%s); using the "
				    "interpreter", msg);
				b->opts->log(b->opts->log_arg, line_msg);
			}
			b->jit_logged = true;
		}
	}
	return code;
}

static int
rs_match_raw(const struct ruleset *rs, pcre2_code *code, const char *s,
    size_t len, size_t off, pcre2_match_data *md, pcre2_match_context *mctx)
{
	(void)rs;
	return pcre2_match(code, (PCRE2_SPTR)s, len, off, PCRE2_NO_UTF_CHECK,
	    md, mctx);
}

/*
 * Whether the pattern has a quantifier without an upper bound (*, +,
 * {n,}): without one, no input can make it backtrack more than a
 * multiple of the pattern's own length, and the probe can be skipped.
 * Lexical, so it errs on the side of "yes".
 */
static bool
rs_has_unbounded(const char *p)
{
	bool in_class = false;

	for (; *p != '\0'; p++) {
		if (*p == '\\') {
			if (p[1] == '\0')
				break;
			p++;
			continue;
		}
		if (in_class) {
			if (*p == ']')
				in_class = false;
			continue;
		}
		if (*p == '[') {
			in_class = true;
			if (p[1] == ']' || (p[1] == '^' && p[2] == ']'))
				p += p[1] == '^' ? 2 : 1;
			continue;
		}
		if (*p == '*' || *p == '+')
			return true;
		if (*p == '{') {
			const char *q = p + 1;

			while (*q >= '0' && *q <= '9')
				q++;
			if (q > p + 1 && q[0] == ',' && q[1] == '}')
				return true;
		}
	}
	return false;
}

/*
 * Runs a pattern over inputs known to make backtracking regexes explode.
 * litex_risky catches the classic nested-quantifier shapes statically;
 * this catches what it cannot see (overlapping adjacent quantifiers like
 * \w+\s*\w+\s*x).  Returns 0 when the pattern stays within limits.
 */
static int
rs_probe_blowup(struct rs_build *b, const char *pattern, char *why, size_t whylen)
{
	static const char *units[] = { "a", "a ", "ab", "1", "a." };
	char		 buf[RS_PROBE_LEN + 8];
	size_t		 u, i, ulen;
	int		 rc, err;
	PCRE2_SIZE	 off;
	pcre2_code	*code;

	if (!rs_has_unbounded(pattern))
		return 0;	/* every path is bounded by the pattern's length */
	/*
	 * Without the start optimizations: otherwise PCRE2 rejects a probe
	 * that lacks a required character before it backtracks at all, and
	 * the probe would prove nothing about texts that do contain it.
	 */
	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_NO_START_OPTIMIZE,
	    &err, &off, NULL);
	if (code == NULL)
		return 0;	/* the real compile reports it */
	for (u = 0; u < sizeof units / sizeof units[0]; u++) {
		ulen = strlen(units[u]);
		for (i = 0; i + ulen <= RS_PROBE_LEN; i += ulen)
			memcpy(buf + i, units[u], ulen);
		buf[i++] = '!';
		buf[i] = '\0';
		rc = pcre2_match(code, (PCRE2_SPTR)buf, i, 0,
		    PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, b->probe_md,
		    b->probe_mctx);
		if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
		    rc == PCRE2_ERROR_HEAPLIMIT) {
			snprintf(why, whylen, "exceeds the match limit on %zu "
			    "bytes of \"%s\" repeated (catastrophic "
			    "backtracking)", i, units[u]);
			pcre2_code_free(code);
			return -1;
		}
	}
	pcre2_code_free(code);
	return 0;
}

static uint32_t
rs_add_part(struct rs_build *b, struct rs_rule *r, uint32_t ruleidx,
    enum rs_part_kind kind, int line)
{
	struct ruleset	*rs = b->rs;
	struct rs_part	*p;
	uint32_t	 idx;

	if (rs->nparts == b->partcap) {
		b->partcap = b->partcap ? b->partcap * 2 : 64;
		rs->parts = xreallocarray(rs->parts, b->partcap, sizeof *rs->parts);
	}
	idx = rs->nparts++;
	p = &rs->parts[idx];
	memset(p, 0, sizeof *p);
	p->kind = kind;
	p->rule = ruleidx;
	p->line = line;
	r->parts = xreallocarray(r->parts, r->nparts + 1, sizeof *r->parts);
	r->parts[r->nparts++] = idx;
	return idx;
}

static void
rs_mark_always(struct rs_build *b, enum nz_view view, uint32_t part)
{
	struct ruleset *rs = b->rs;

	if (rs->nalways[view] == b->alwayscap[view]) {
		b->alwayscap[view] = b->alwayscap[view] ? b->alwayscap[view] * 2 : 16;
		rs->always[view] = xreallocarray(rs->always[view],
		    b->alwayscap[view], sizeof *rs->always[view]);
	}
	rs->always[view][rs->nalways[view]++] = part;
	rs->parts[part].always = true;
}

/*
 * Adds a regex part: fold, risk-check, compile, probe, extract literals.
 * src is the pattern as the author wrote it (or the generated word-list
 * alternation, already folded when prefolded is set).
 */
static void
rs_add_regex_part(struct rs_build *b, struct rs_rule *r, uint32_t ruleidx,
    enum rs_part_kind kind, const char *src, const char *regex, bool prefolded,
    const char *what, int line)
{
	char		 err[256], why[256];
	char		*folded;
	pcre2_code	*code;
	struct litset	 ls[RS_FACTORS_MAX];
	uint32_t	 idx;
	size_t		 i, k, nls = 0;

	if (prefolded)
		folded = xstrdup(regex);
	else if ((folded = litex_fold_pattern(regex,
	    nz_view_folds(r->view), err, sizeof err)) == NULL) {
		rs_build_error(b, r->file, line, "pattern: %s", err);
		return;
	}
	if (litex_risky(folded, why, sizeof why)) {
		rs_build_error(b, r->file, line, "pattern refused: %s", why);
		free(folded);
		return;
	}
	if ((code = rs_compile_regex(b, folded, r->file, line, "pattern")) == NULL) {
		free(folded);
		return;
	}
	if (rs_probe_blowup(b, folded, why, sizeof why) == -1) {
		rs_build_error(b, r->file, line, "pattern refused: %s", why);
		pcre2_code_free(code);
		free(folded);
		return;
	}
	idx = rs_add_part(b, r, ruleidx, kind, line);
	b->rs->parts[idx].code = code;
	b->rs->parts[idx].src = xstrdup(src);
	b->rs->parts[idx].what = xstrdup(what);

	/*
	 * The raw view is not case-folded while its literals would be
	 * lowercase: its few parts run on every text instead.
	 */
	if (idx > RS_PART_MASK) {
		rs_build_error(b, r->file, line, "too many patterns");
		free(folded);
		return;
	}
	if (r->view == NZ_VIEW_RAW ||
	    litex_extract_factors(folded, true, ls, RS_FACTORS_MAX, &nls, err,
	    sizeof err) == -1 || nls == 0)
		rs_mark_always(b, r->view, idx);
	for (k = 0; k < nls; k++) {
		for (i = 0; i < ls[k].n; i++)
			ac_builder_add(b->acb[r->view], ls[k].lits[i],
			    strlen(ls[k].lits[i]), idx | (uint32_t)k <<
			    RS_FACTOR_SHIFT);
		litset_free(&ls[k]);
	}
	b->rs->parts[idx].factors = (uint8_t)((1u << nls) - 1);
	free(folded);
}

static int
rs_add_cond(struct rs_build *b, struct rs_rule *r, struct rs_cond **v,
    size_t *n, const char *src, int line, const char *key)
{
	char		 err[256], why[256];
	char		*folded;
	pcre2_code	*code;

	if ((folded = litex_fold_pattern(src, nz_view_folds(r->view), err,
	    sizeof err)) == NULL) {
		rs_build_error(b, r->file, line, "%s: %s", key, err);
		return -1;
	}
	if (litex_risky(folded, why, sizeof why)) {
		rs_build_error(b, r->file, line, "%s refused: %s", key, why);
		free(folded);
		return -1;
	}
	code = rs_compile_regex(b, folded, r->file, line, key);
	if (code == NULL) {
		free(folded);
		return -1;
	}
	if (rs_probe_blowup(b, folded, why, sizeof why) == -1) {
		rs_build_error(b, r->file, line, "%s refused: %s", key, why);
		pcre2_code_free(code);
		free(folded);
		return -1;
	}
	free(folded);
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[*n].code = code;
	(*v)[*n].src = xstrdup(src);
	(*v)[*n].line = line;
	(*n)++;
	return 0;
}

static void
rs_push_str(char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = xstrdup(s);
}

/* Appends a literal with regex metacharacters escaped; spaces match \s+. */
static void
rs_str_append_literal(struct xbuf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == ' ') {
			xbuf_put(b, "\\s+", 3);
			while (i + 1 < n && s[i + 1] == ' ')
				i++;
			continue;
		}
		if (strchr("\\^$.|?*+()[]{}#-/", s[i]) != NULL)
			xbuf_put(b, "\\", 1);
		xbuf_put(b, s + i, 1);
	}
}

static bool
rs_word_ok(const char *w, char *why, size_t whylen)
{
	size_t i, n = strlen(w);

	for (i = 0; i < n; i++) {
		unsigned char c = w[i];

		if (c < 0x20 || c == 0x7f) {
			snprintf(why, whylen, "control character in entry");
			return false;
		}
		if (c == '*' && i != 0 && i != n - 1) {
			snprintf(why, whylen,
			    "'*' is allowed only at the start or end of an entry");
			return false;
		}
	}
	if (n == 0 || (n == 1 && w[0] == '*') || (n == 2 && strcmp(w, "**") == 0)) {
		snprintf(why, whylen, "empty entry");
		return false;
	}
	return true;
}

/*
 * Compiles the rule's words.  Entries without spaces become literal words
 * matched through the prefilter automaton (see RS_WORD_FLAG); entries with
 * spaces, and every entry of a raw-view rule (the raw text is not case
 * folded), become one alternation "\b(?:w1|\w*w2|...)\b".  Entries are
 * literal and folded like the text: a word list is edited by people who
 * should not need to know regex syntax.
 */
static void
rs_add_words_part(struct rs_build *b, struct rs_rule *r, uint32_t ruleidx,
    char **words, size_t nwords, const char *what, int line)
{
	struct xbuf	 re = { 0 };
	char		**cores;
	size_t		 i, nre = 0, nlit = 0;
	pcre2_code	*code;
	uint32_t	 idx = 0;
	bool		 always = false;
	char		 why[256];

	if (nwords == 0)
		return;
	cores = xcalloc(nwords, sizeof *cores);
	xbuf_put(&re, "\\b(?:", 5);
	for (i = 0; i < nwords; i++) {
		const char *w = words[i], *p, *best = NULL;
		size_t wl = strlen(w), bestlen = 0;
		bool pre = w[0] == '*', post = wl > 1 && w[wl - 1] == '*';
		char *folded;

		if (pre) { w++; wl--; }
		if (post) wl--;
		folded = nz_fold_literal(w, wl, nz_view_folds(r->view));
		/*
		 * Nothing left once folded (a no-break space, a zero-width or
		 * combining character): "\b(?:)\b" would match every text.
		 */
		if (folded[strspn(folded, " ")] == '\0') {
			rs_build_error(b, r->file, line, "%s: entry %zu (\"%s\") "
			    "is empty once folded", what, i + 1, words[i]);
			free(folded);
			continue;
		}
		if (strchr(folded, ' ') == NULL &&
		    r->view != NZ_VIEW_RAW) {
			struct ruleset *rs = b->rs;

			if (nlit++ == 0) {
				idx = rs_add_part(b, r, ruleidx, PART_WORDLIT, line);
				rs->parts[idx].src = xstrdup("");
				rs->parts[idx].what = xstrdup(what);
			}
			if (rs->nwords == b->wordcap) {
				b->wordcap = b->wordcap ? b->wordcap * 2 : 256;
				rs->words = xreallocarray(rs->words, b->wordcap,
				    sizeof *rs->words);
			}
			rs->words[rs->nwords].part = idx;
			rs->words[rs->nwords].len = (uint32_t)strlen(folded);
			rs->words[rs->nwords].order = (uint32_t)i;
			rs->words[rs->nwords].pre = pre;
			rs->words[rs->nwords].post = post;
			ac_builder_add(b->acb[r->view], folded, strlen(folded),
			    RS_WORD_FLAG | (uint32_t)rs->nwords);
			rs->nwords++;
			free(folded);
			continue;
		}
		if (nre++ > 0)
			xbuf_put(&re, "|", 1);
		if (pre)
			xbuf_put(&re, "\\w*", 3);
		rs_str_append_literal(&re, folded, strlen(folded));
		if (post)
			xbuf_put(&re, "\\w*", 3);
		/* the longest space-separated piece is the literal to look for */
		for (p = folded; *p != '\0';) {
			const char *q = strchr(p, ' ');
			size_t n = q ? (size_t)(q - p) : strlen(p);

			if (n > bestlen) { best = p; bestlen = n; }
			p += n;
			while (*p == ' ')
				p++;
		}
		if (bestlen < 2)
			always = true;
		else
			cores[i] = xstrndup(best, bestlen);
		free(folded);
	}
	xbuf_put(&re, ")\\b", 3);

	code = NULL;
	if (nre > 0) {
		code = rs_compile_regex(b, re.s, r->file, line, "words");
		if (code != NULL &&
		    rs_probe_blowup(b, re.s, why, sizeof why) == -1) {
			rs_build_error(b, r->file, line, "words refused: %s", why);
			pcre2_code_free(code);
			code = NULL;
		}
	}
	if (code == NULL) {
		for (i = 0; i < nwords; i++)
			free(cores[i]);
		free(cores);
		free(re.s);
		return;
	}
	idx = rs_add_part(b, r, ruleidx, PART_WORDS, line);
	b->rs->parts[idx].code = code;
	b->rs->parts[idx].src = re.s;
	/* entries with spaces: named apart, each kind needs its example */
	if (nlit > 0)
		xasprintf(&b->rs->parts[idx].what, "%s (phrases)", what);
	else
		b->rs->parts[idx].what = xstrdup(what);
	if (r->view == NZ_VIEW_RAW)
		always = true;
	for (i = 0; i < nwords; i++) {
		if (cores[i] != NULL && !always)
			ac_builder_add(b->acb[r->view], cores[i], strlen(cores[i]),
			    idx);
		free(cores[i]);
	}
	free(cores);
	if (always)
		rs_mark_always(b, r->view, idx);
}

/* Reads a word list; every problem is reported at the list's file:line. */
static int
rs_read_words(struct rs_build *b, const char *rulefile, int ruleline,
    const char *path, char ***words, size_t *n)
{
	char		*buf, *p, *nl, why[128];
	size_t		 len, first = *n;
	int		 lineno = 0, rc = 0;

	if (kv_read_file(path, KV_MAX_FILE, &buf, &len) == -1) {
		rs_build_error(b, rulefile, ruleline, "cannot read word list "
		    "%s: %s", path, kv_read_strerror(errno, KV_MAX_FILE, why,
		    sizeof why));
		return -1;
	}
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		/* editors on other systems write a byte-order mark */
		memmove(buf, buf + 3, len - 3 + 1);
		len -= 3;
	}
	if ((p = memchr(buf, '\0', len)) != NULL) {
		const char	*q;
		int		 nul_line = 1;

		for (q = buf; q < p; q++)
			nul_line += *q == '\n';
		rs_build_error(b, path, nul_line, "NUL byte in word list");
		free(buf);
		return -1;
	}
	for (p = buf; p < buf + len; p = nl + 1) {
		char *s, *e;

		lineno++;
		if ((nl = memchr(p, '\n', buf + len - p)) == NULL)
			nl = buf + len;
		*nl = '\0';
		for (s = p; *s == ' ' || *s == '\t'; s++)
			;
		for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t' ||
		    e[-1] == '\r'); e--)
			;
		*e = '\0';
		if (*s == '\0' || *s == '#')
			continue;
		if (!rs_word_ok(s, why, sizeof why)) {
			rs_build_error(b, path, lineno, "%s", why);
			rc = -1;
			continue;
		}
		if (kv_utf8_valid_prefix(s, strlen(s)) != strlen(s)) {
			rs_build_error(b, path, lineno, "invalid UTF-8");
			rc = -1;
			continue;
		}
		/* per list, as documented: not the rule's words so far */
		if (*n - first >= RS_MAX_WORDS) {
			rs_build_error(b, path, lineno, "more than %d entries",
			    RS_MAX_WORDS);
			rc = -1;
			break;
		}
		rs_push_str(words, n, s);
	}
	free(buf);
	return rc;
}

static bool
rs_id_ok(const char *id)
{
	const char *p;

	if (*id == '\0')
		return false;
	for (p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '.' || *p == '-' || *p == '_'))
			return false;
	return true;
}

static int
rs_parse_scope(const char *v, unsigned *out)
{
	char	 word[32];
	size_t	 n;

	*out = 0;
	while (*v) {
		while (*v == ' ' || *v == ',' || *v == '\t')
			v++;
		if (*v == '\0')
			break;
		for (n = 0; v[n] && v[n] != ',' && v[n] != ' ' && v[n] != '\t'; n++)
			;
		if (n >= sizeof word)
			return -1;
		memcpy(word, v, n);
		word[n] = '\0';
		if (strcmp(word, "comment") == 0)
			*out |= RS_SCOPE_COMMENT;
		else if (strcmp(word, "dm") == 0)
			*out |= RS_SCOPE_DM;
		else
			return -1;
		v += n;
	}
	return *out ? 0 : -1;
}

static char *
rs_dirname_join(const char *file, const char *rel)
{
	const char	*slash;
	char		*out;

	if (rel[0] == '/' || (slash = strrchr(file, '/')) == NULL)
		return xstrdup(rel);
	xasprintf(&out, "%.*s/%s", (int)(slash - file), file, rel);
	return out;
}

static void
rs_rule_release(struct rs_rule *r)
{
	size_t i;

	free(r->id);
	free(r->description);
	free(r->file);
	free(r->parts);
	for (i = 0; i < r->nwords; i++)
		free(r->words[i]);
	free(r->words);
	for (i = 0; i < r->npatterns; i++)
		free(r->patterns[i]);
	free(r->patterns);
	free(r->scanners);
	for (i = 0; i < r->nunless; i++) {
		pcre2_code_free(r->unless[i].code);
		free(r->unless[i].src);
	}
	free(r->unless);
	for (i = 0; i < r->nunless_text; i++) {
		pcre2_code_free(r->unless_text[i].code);
		free(r->unless_text[i].src);
	}
	free(r->unless_text);
	for (i = 0; i < r->nexamples; i++)
		free(r->examples[i].text);
	free(r->examples);
}

static long
rs_find_rule(const struct ruleset *rs, const char *id)
{
	size_t i;

	for (i = 0; i < rs->nrules; i++)
		if (strcmp(rs->rules[i].id, id) == 0)
			return (long)i;
	return -1;
}

/* A rule's keys that take one value (pattern, words, match... repeat). */
static const char *const rs_single_keys[] = {
	"category", "severity", "view", "scope", "description",
};
#define RS_NSINGLE	(sizeof rs_single_keys / sizeof rs_single_keys[0])

/* Compiles one [rule] section. */
static void
rs_add_rule(struct rs_build *b, const char *path, const struct kv_section *sec)
{
	struct ruleset		*rs = b->rs;
	struct rs_rule		*r;
	uint32_t		 ruleidx;
	size_t			 i, npat = 0, nwordlists = 0;
	int			 errors_before = b->errors;
	long			 dup;
	bool			 have_category = false;
	char			 what[300] = "";
	char			**inline_words = NULL;
	size_t			 ninline = 0;
	int			 words_line = 0;
	bool			 inline_seen = false, have_category_key = false;
	int			 single_line[RS_NSINGLE] = { 0 };

	if (!rs_id_ok(sec->name)) {
		rs_build_error(b, path, sec->line, "rule id '%s' must be "
		    "non-empty and use only a-z 0-9 . - _", sec->name);
		return;
	}
	if ((dup = rs_find_rule(rs, sec->name)) != -1) {
		rs_build_error(b, path, sec->line, "duplicate rule id '%s' "
		    "(first defined at %s:%d)", sec->name, rs->rules[dup].file,
		    rs->rules[dup].line);
		return;
	}
	if (rs->nrules == b->rulecap) {
		b->rulecap = b->rulecap ? b->rulecap * 2 : 64;
		rs->rules = xreallocarray(rs->rules, b->rulecap, sizeof *rs->rules);
	}
	ruleidx = rs->nrules++;
	r = &rs->rules[ruleidx];
	memset(r, 0, sizeof *r);
	r->id = xstrdup(sec->name);
	r->file = xstrdup(path);
	r->line = sec->line;
	r->severity = 2;
	r->scope = RS_SCOPE_ALL;
	r->view = NZ_VIEW_NORM;
	r->description = xstrdup("");

	/* First pass: the keys that shape how the others are compiled. */
	for (i = 0; i < sec->npairs; i++) {
		const struct kv_pair *p = &sec->pairs[i];
		int v;
		size_t k;

		/* a key of one value given twice: which one was meant? */
		for (k = 0; k < RS_NSINGLE; k++)
			if (strcmp(p->key, rs_single_keys[k]) == 0)
				break;
		if (k < RS_NSINGLE) {
			if (single_line[k] != 0) {
				rs_build_error(b, path, p->line, "'%s' given "
				    "twice in rule %s (first at line %d)", p->key,
				    r->id, single_line[k]);
				continue;
			}
			single_line[k] = p->line;
		}
		if (strcmp(p->key, "category") == 0) {
			have_category_key = true;
			if ((v = category_from_name(p->value)) == -1)
				rs_build_error(b, path, p->line,
				    "unknown category '%s'", p->value);
			else {
				r->category = v;
				have_category = true;
			}
		} else if (strcmp(p->key, "severity") == 0) {
			char *end;
			long s = strtol(p->value, &end, 10);

			if (*p->value == '\0' || *end != '\0' ||
			    s < RS_SEVERITY_MIN || s > RS_SEVERITY_MAX)
				rs_build_error(b, path, p->line, "severity must be "
				    "%d..%d, not '%s'", RS_SEVERITY_MIN,
				    RS_SEVERITY_MAX, p->value);
			else
				r->severity = (int)s;
		} else if (strcmp(p->key, "view") == 0) {
			if ((v = nz_view_from_name(p->value)) == -1)
				rs_build_error(b, path, p->line, "view must be "
				    "norm, fold or raw, not '%s'", p->value);
			else
				r->view = v;
		} else if (strcmp(p->key, "scope") == 0) {
			if (rs_parse_scope(p->value, &r->scope) == -1)
				rs_build_error(b, path, p->line, "scope must be a "
				    "list of comment, dm; not '%s'", p->value);
		} else if (strcmp(p->key, "description") == 0) {
			if (p->value[0] == '\0')
				rs_build_error(b, path, p->line, "description: "
				    "empty value");
			free(r->description);
			r->description = xstrdup(p->value);
		} else if (strcmp(p->key, "pattern") == 0 ||
		    strcmp(p->key, "words") == 0 || strcmp(p->key, "word") == 0 ||
		    strcmp(p->key, "scanner") == 0 || strcmp(p->key, "unless") == 0 ||
		    strcmp(p->key, "unless-text") == 0 ||
		    strcmp(p->key, "match") == 0 || strcmp(p->key, "nomatch") == 0) {
			if (p->value[0] == '\0')
				rs_build_error(b, path, p->line, "%s: empty value",
				    p->key);
		} else
			rs_build_error(b, path, p->line, "unknown key '%s' in "
			    "rule %s", p->key, r->id);
	}
	if (!have_category && !have_category_key)
		rs_build_error(b, path, sec->line, "rule %s: missing 'category'",
		    r->id);
	b->rs->view_used[r->view] = true;

	/* Second pass: parts, conditions, examples. */
	for (i = 0; i < sec->npairs; i++) {
		const struct kv_pair *p = &sec->pairs[i];

		if (p->value[0] == '\0')
			continue;
		if (strcmp(p->key, "pattern") == 0) {
			char pwhat[32];

			npat++;
			snprintf(pwhat, sizeof pwhat, "pattern %zu", npat);
			rs_push_str(&r->patterns, &r->npatterns, p->value);
			rs_add_regex_part(b, r, ruleidx, PART_PATTERN, p->value,
			    p->value, false, pwhat, p->line);
		} else if (strcmp(p->key, "words") == 0) {
			char *wpath = rs_dirname_join(path, p->value);
			size_t before = ninline;

			nwordlists++;
			if (words_line == 0)
				words_line = p->line;
			if (rs_read_words(b, path, p->line, wpath, &inline_words,
			    &ninline) == 0 && ninline == before)
				rs_build_error(b, path, p->line,
				    "word list %s is empty", p->value);
			snprintf(what + strlen(what), sizeof what - strlen(what),
			    "%s%s", what[0] ? ", " : "words ", p->value);
			free(wpath);
		} else if (strcmp(p->key, "word") == 0) {
			char why[128];

			if (words_line == 0)
				words_line = p->line;
			if (!rs_word_ok(p->value, why, sizeof why))
				rs_build_error(b, path, p->line, "word: %s", why);
			else {
				if (!inline_seen)
					snprintf(what + strlen(what), sizeof what -
					    strlen(what), "%s", what[0] ?
					    ", inline" : "words (inline)");
				inline_seen = true;
				rs_push_str(&inline_words, &ninline, p->value);
			}
		} else if (strcmp(p->key, "scanner") == 0) {
			int k = scanner_from_name(p->value);
			uint32_t idx;

			if (k == -1) {
				rs_build_error(b, path, p->line, "unknown scanner "
				    "'%s' (iban, phone, taxid, email, url, "
				    "shortener)", p->value);
				continue;
			}
			idx = rs_add_part(b, r, ruleidx, PART_SCANNER, p->line);
			rs->parts[idx].scanner = k;
			rs->parts[idx].src = xstrdup(p->value);
			{
				char swhat[64];

				snprintf(swhat, sizeof swhat, "scanner %s", p->value);
				rs->parts[idx].what = xstrdup(swhat);
			}
			/* scanners see the raw text: digits as written */
			rs_mark_always(b, NZ_VIEW_RAW, idx);
			rs->view_used[NZ_VIEW_RAW] = true;
			r->scanners = xreallocarray(r->scanners, r->nscanners + 1,
			    sizeof *r->scanners);
			r->scanners[r->nscanners++] = k;
		} else if (strcmp(p->key, "unless") == 0) {
			rs_add_cond(b, r, &r->unless, &r->nunless, p->value,
			    p->line, "unless");
		} else if (strcmp(p->key, "unless-text") == 0) {
			rs_add_cond(b, r, &r->unless_text, &r->nunless_text,
			    p->value, p->line, "unless-text");
		} else if (strcmp(p->key, "match") == 0 ||
		    strcmp(p->key, "nomatch") == 0) {
			r->examples = xreallocarray(r->examples, r->nexamples + 1,
			    sizeof *r->examples);
			r->examples[r->nexamples].text = xstrdup(p->value);
			r->examples[r->nexamples].match = p->key[0] == 'm';
			r->examples[r->nexamples].line = p->line;
			r->nexamples++;
		}
	}
	/*
	 * All of a rule's words, from lists and inline, are one alternation:
	 * one part finds the leftmost matches over all of them, which is
	 * exactly what the canonical dump (words inlined) compiles to.
	 */
	if (ninline > 0) {
		rs_add_words_part(b, r, ruleidx, inline_words, ninline, what,
		    words_line);
		for (i = 0; i < ninline; i++) {
			rs_push_str(&r->words, &r->nwords, inline_words[i]);
			free(inline_words[i]);
		}
		free(inline_words);
	}
	if (npat == 0 && nwordlists == 0 && ninline == 0 && r->nscanners == 0 &&
	    b->errors == errors_before)
		rs_build_error(b, path, sec->line, "rule %s has no pattern, "
		    "words or scanner", r->id);
	rs->nexamples += r->nexamples;
}

static int
rs_add_file(struct rs_build *b, const char *path)
{
	struct kv_file	f;
	size_t		i, j;
	int		rc;

	rc = kv_parse_file(path, &f, b->d);
	if (rc == -1)
		b->errors++;
	for (j = 0; j < f.sections[0].npairs; j++)
		rs_build_error(b, path, f.sections[0].pairs[j].line,
		    "'%s' outside of a [rule] section", f.sections[0].pairs[j].key);
	for (i = 1; i < f.nsections; i++) {
		if (strcmp(f.sections[i].kind, "rule") != 0) {
			rs_build_error(b, path, f.sections[i].line,
			    "unknown section [%s]; rule files hold [rule ID] "
			    "sections", f.sections[i].kind);
			continue;
		}
		rs_add_rule(b, path, &f.sections[i]);
	}
	kv_file_free(&f);
	return 0;
}

static int
rs_strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
rs_compute_hash(struct ruleset *rs)
{
	char			*buf = NULL;
	size_t			 len = 0, i;
	FILE			*fp;
	unsigned char		 h[crypto_hash_sha256_BYTES];

	fp = open_memstream(&buf, &len);
	if (fp == NULL)
		abort();
	rs_dump(rs, fp);
	fclose(fp);
	crypto_hash_sha256(h, (unsigned char *)buf, len);
	free(buf);
	for (i = 0; i < sizeof h; i++)
		snprintf(rs->hash + 2 * i, 3, "%02x", h[i]);
}

static size_t
rs_code_memory(const pcre2_code *code)
{
	size_t size = 0, jsize = 0;

	if (code == NULL)
		return 0;
	pcre2_pattern_info(code, PCRE2_INFO_SIZE, &size);
	if (pcre2_pattern_info(code, PCRE2_INFO_JITSIZE, &jsize) != 0)
		jsize = 0;
	return size + jsize;
}

struct ruleset *
rs_load_files(const char *const *paths, size_t n, const struct rs_options *opts,
    struct diags *d)
{
	struct rs_build		 b;
	struct rs_options	 defaults;
	struct ruleset		*rs;
	size_t			 i, v, before = d->n;

	if (opts == NULL) {
		rs_options_default(&defaults);
		opts = &defaults;
	}
	if (sodium_init() == -1) {
		diags_add(d, "", 0, "libsodium failed to initialize");
		return NULL;
	}
	memset(&b, 0, sizeof b);
	rs = xcalloc(1, sizeof *rs);
	rs->opts = *opts;
	rs->jit = opts->jit;
	b.rs = rs;
	b.d = d;
	b.opts = opts;
	for (v = 0; v < NZ_VIEW_COUNT; v++)
		b.acb[v] = ac_builder_new();
	b.probe_md = pcre2_match_data_create(16, NULL);
	b.probe_mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(b.probe_mctx, RS_PROBE_MATCH_LIMIT);
	pcre2_set_depth_limit(b.probe_mctx, opts->depth_limit);
	pcre2_set_heap_limit(b.probe_mctx, opts->heap_limit_kib);

	for (i = 0; i < n; i++)
		rs_add_file(&b, paths[i]);
	if (n == 0)
		diags_add(d, "", 0, "no rule files");

	for (v = 0; v < NZ_VIEW_COUNT; v++) {
		rs->prefilter[v] = ac_build(b.acb[v]);
		b.acb[v] = NULL;
		rs->memory += ac_memory(rs->prefilter[v]);
	}
	for (i = 0; i < rs->nparts; i++)
		rs->memory += rs_code_memory(rs->parts[i].code) + sizeof rs->parts[i];
	rs->memory += rs->nrules * sizeof *rs->rules;
	pcre2_match_data_free(b.probe_md);
	pcre2_match_context_free(b.probe_mctx);

	if (b.errors > 0 || d->n > before || n == 0) {
		rs_free(rs);
		return NULL;
	}
	rs_compute_hash(rs);
	if (opts->run_examples && rs_check_examples(rs, d) > 0) {
		rs_free(rs);
		return NULL;
	}
	return rs;
}

struct ruleset *
rs_load_dir(const char *dir, const struct rs_options *opts, struct diags *d)
{
	DIR		*dp;
	struct dirent	*de;
	char		**paths = NULL;
	size_t		 n = 0, i;
	struct ruleset	*rs;

	if ((dp = opendir(dir)) == NULL) {
		diags_add(d, dir, 0, "cannot open rules directory: %s",
		    strerror(errno));
		return NULL;
	}
	while ((de = readdir(dp)) != NULL) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < 7 ||
		    strcmp(de->d_name + len - 6, ".rules") != 0)
			continue;
		paths = xreallocarray(paths, n + 1, sizeof *paths);
		xasprintf(&paths[n++], "%s/%s", dir, de->d_name);
	}
	closedir(dp);
	qsort(paths, n, sizeof *paths, rs_strcmp_ptr);
	if (n == 0) {
		diags_add(d, dir, 0, "no *.rules files in directory");
		free(paths);
		return NULL;
	}
	rs = rs_load_files((const char *const *)paths, n, opts, d);
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	return rs;
}

void
rs_free(struct ruleset *rs)
{
	size_t i, v;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->nrules; i++)
		rs_rule_release(&rs->rules[i]);
	free(rs->rules);
	for (i = 0; i < rs->nparts; i++) {
		pcre2_code_free(rs->parts[i].code);
		free(rs->parts[i].src);
		free(rs->parts[i].what);
	}
	free(rs->parts);
	free(rs->words);
	for (v = 0; v < NZ_VIEW_COUNT; v++) {
		ac_free(rs->prefilter[v]);
		free(rs->always[v]);
	}
	free(rs);
}

const char *
rs_hash(const struct ruleset *rs)
{
	return rs->hash;
}

size_t
rs_rule_count(const struct ruleset *rs)
{
	return rs->nrules;
}

size_t
rs_example_count(const struct ruleset *rs)
{
	return rs->nexamples;
}

size_t
rs_pattern_count(const struct ruleset *rs)
{
	return rs->nparts;
}

bool
rs_jit_active(const struct ruleset *rs)
{
	return rs->jit;
}

size_t
rs_memory(const struct ruleset *rs)
{
	return rs->memory;
}

int
rs_rule_info(const struct ruleset *rs, size_t i, struct rs_rule_info *out)
{
	const struct rs_rule *r;

	if (i >= rs->nrules)
		return -1;
	r = &rs->rules[i];
	out->id = r->id;
	out->category = r->category;
	out->severity = r->severity;
	out->scope = r->scope;
	out->view = r->view;
	out->description = r->description;
	out->file = r->file;
	out->line = r->line;
	return 0;
}

long
rs_rule_find(const struct ruleset *rs, const char *id)
{
	return rs_find_rule(rs, id);
}

/* --- dump --------------------------------------------------------------- */

static int
rs_cmp_rule_idx(const void *a, const void *b, void *arg)
{
	const struct ruleset *rs = arg;

	return strcmp(rs->rules[*(const size_t *)a].id,
	    rs->rules[*(const size_t *)b].id);
}

int
rs_dump(const struct ruleset *rs, FILE *fp)
{
	size_t	*order, i, k;
	char	 scope[32];

	order = xreallocarray(NULL, rs->nrules ? rs->nrules : 1, sizeof *order);
	for (i = 0; i < rs->nrules; i++)
		order[i] = i;
	qsort_r(order, rs->nrules, sizeof *order, rs_cmp_rule_idx, (void *)rs);
	fprintf(fp, "# netiquette rule set, canonical form: %zu rules\n",
	    rs->nrules);
	for (k = 0; k < rs->nrules; k++) {
		const struct rs_rule *r = &rs->rules[order[k]];

		snprintf(scope, sizeof scope, "%s%s%s",
		    r->scope & RS_SCOPE_COMMENT ? "comment" : "",
		    r->scope == RS_SCOPE_ALL ? ", " : "",
		    r->scope & RS_SCOPE_DM ? "dm" : "");
		fprintf(fp, "\n[rule %s]\n", r->id);
		fprintf(fp, "category = %s\n", category_name(r->category));
		fprintf(fp, "severity = %d\n", r->severity);
		fprintf(fp, "view = %s\n", nz_view_name(r->view));
		fprintf(fp, "scope = %s\n", scope);
		if (r->description[0] != '\0')
			fprintf(fp, "description = %s\n", r->description);
		for (i = 0; i < r->npatterns; i++)
			fprintf(fp, "pattern = %s\n", r->patterns[i]);
		for (i = 0; i < r->nwords; i++)
			fprintf(fp, "word = %s\n", r->words[i]);
		for (i = 0; i < r->nscanners; i++)
			fprintf(fp, "scanner = %s\n", scanner_name(r->scanners[i]));
		for (i = 0; i < r->nunless; i++)
			fprintf(fp, "unless = %s\n", r->unless[i].src);
		for (i = 0; i < r->nunless_text; i++)
			fprintf(fp, "unless-text = %s\n", r->unless_text[i].src);
		for (i = 0; i < r->nexamples; i++)
			fprintf(fp, "%s = %s\n", r->examples[i].match ? "match" :
			    "nomatch", r->examples[i].text);
	}
	free(order);
	return ferror(fp) ? -1 : 0;
}

/* --- classification ------------------------------------------------------ */

void
verdict_init(struct verdict *v)
{
	memset(v, 0, sizeof *v);
}

void
verdict_free(struct verdict *v)
{
	free(v->matches);
	memset(v, 0, sizeof *v);
}

static void
verdict_reset(struct verdict *v)
{
	struct rs_match	*m = v->matches;
	size_t		 cap = v->cap;

	memset(v, 0, sizeof *v);
	v->matches = m;
	v->cap = cap;
}

struct rs_scratch *
rs_scratch_new(const struct ruleset *rs)
{
	struct rs_scratch *s = xcalloc(1, sizeof *s);

	s->rs = rs;
	s->md = pcre2_match_data_create(32, NULL);
	s->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(s->mctx, rs->opts.match_limit);
	pcre2_set_depth_limit(s->mctx, rs->opts.depth_limit);
	pcre2_set_heap_limit(s->mctx, rs->opts.heap_limit_kib);
	if (rs->jit) {
		s->jstack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
		if (s->jstack != NULL)
			pcre2_jit_stack_assign(s->mctx, NULL, s->jstack);
	}
	s->stamp = xcalloc(rs->nparts ? rs->nparts : 1, sizeof *s->stamp);
	s->fstamp = xcalloc(rs->nparts ? rs->nparts : 1, sizeof *s->fstamp);
	s->fseen = xcalloc(rs->nparts ? rs->nparts : 1, sizeof *s->fseen);
	s->cand = xcalloc(rs->nparts ? rs->nparts : 1, sizeof *s->cand);
	s->rule_stamp = xcalloc(rs->nrules ? rs->nrules : 1, sizeof *s->rule_stamp);
	s->rule_suppressed = xcalloc(rs->nrules ? rs->nrules : 1,
	    sizeof *s->rule_suppressed);
	return s;
}

size_t
rs_scratch_parts_run(const struct rs_scratch *s)
{
	return s->ncand;
}

void
rs_scratch_free(struct rs_scratch *s)
{
	size_t v;

	if (s == NULL)
		return;
	for (v = 0; v < NZ_VIEW_COUNT; v++)
		nz_text_free(&s->view[v]);
	pcre2_match_data_free(s->md);
	pcre2_match_context_free(s->mctx);
	if (s->jstack != NULL)
		pcre2_jit_stack_free(s->jstack);
	free(s->stamp);
	free(s->fstamp);
	free(s->fseen);
	free(s->cand);
	free(s->rule_stamp);
	free(s->rule_suppressed);
	free(s->wordhits);
	free(s);
}

const struct nz_text *
rs_scratch_view(const struct rs_scratch *s, enum nz_view v)
{
	if ((unsigned)v >= NZ_VIEW_COUNT || !s->have_view[v])
		return NULL;
	return &s->view[v];
}

static void
rs_candidate_hit(uint32_t part, void *arg)
{
	struct rs_scratch *s = arg;

	if (s->stamp[part] != s->gen) {
		s->stamp[part] = s->gen;
		s->cand[s->ncand++] = part;
	}
}

/* The automaton's callback: a part to run, or a word entry that occurs. */
static void
rs_prefilter_hit(uint32_t id, size_t end, void *arg)
{
	struct rs_scratch	*s = arg;
	const struct rs_word	*w;

	if ((id & RS_WORD_FLAG) == 0) {
		uint32_t	part = id & RS_PART_MASK;
		uint8_t		need = s->rs->parts[part].factors;

		if (need > 1) {
			if (s->fstamp[part] != s->gen) {
				s->fstamp[part] = s->gen;
				s->fseen[part] = 0;
			}
			s->fseen[part] |= (uint8_t)(1u << (id >> RS_FACTOR_SHIFT));
			if (s->fseen[part] != need)
				return;
		}
		rs_candidate_hit(part, s);
		return;
	}
	w = &s->rs->words[id & ~RS_WORD_FLAG];
	if (s->nwordhits == s->wordhitcap) {
		s->wordhitcap = s->wordhitcap ? s->wordhitcap * 2 : 64;
		s->wordhits = xreallocarray(s->wordhits, s->wordhitcap,
		    sizeof *s->wordhits);
	}
	s->wordhits[s->nwordhits].word = id & ~RS_WORD_FLAG;
	s->wordhits[s->nwordhits].start = (uint32_t)(end - w->len);
	s->wordhits[s->nwordhits].end = (uint32_t)end;
	s->nwordhits++;
}

static int
rs_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
rs_note_engine_error(struct rs_scratch *s, struct verdict *v, const char *rule,
    int rc)
{
	char msg[120];

	if (v->review)
		return;
	rs_pcre2_message(rc, msg, sizeof msg);
	v->review = true;
	snprintf(v->review_reason, sizeof v->review_reason,
	    "rule %s: %s: needs human review", rule, msg);
	if (s->limit_error == 0)
		s->limit_error = rc;
}

/* Does any match of one of conds overlap [vs, ve) in text? */
static bool
rs_cond_overlaps(struct rs_scratch *s, struct verdict *v,
    const struct rs_rule *r, const struct nz_text *t, size_t vs, size_t ve)
{
	size_t		 i, off;
	int		 rc;
	PCRE2_SIZE	*ov;

	for (i = 0; i < r->nunless; i++) {
		off = 0;
		while (off <= t->len) {
			rc = rs_match_raw(s->rs, r->unless[i].code, t->s, t->len,
			    off, s->md, s->mctx);
			if (rc < 0) {
				if (rc != PCRE2_ERROR_NOMATCH)
					rs_note_engine_error(s, v, r->id, rc);
				break;
			}
			ov = pcre2_get_ovector_pointer(s->md);
			if (ov[0] < ve && ov[1] > vs)
				return true;
			if (ov[0] == ov[1] && ov[0] == vs && ov[0] == ve)
				return true;
			if (ov[0] >= ve)
				break;
			off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
			while (off < t->len && (t->s[off] & 0xc0) == 0x80)
				off++;
		}
	}
	return false;
}

static bool
rs_rule_suppressed(struct rs_scratch *s, struct verdict *v, uint32_t ruleidx,
    const struct nz_text *t)
{
	const struct rs_rule	*r = &s->rs->rules[ruleidx];
	size_t			 i;
	int			 rc;

	if (r->nunless_text == 0)
		return false;
	if (s->rule_stamp[ruleidx] == s->gen)
		return s->rule_suppressed[ruleidx];
	s->rule_stamp[ruleidx] = s->gen;
	s->rule_suppressed[ruleidx] = false;
	for (i = 0; i < r->nunless_text; i++) {
		rc = rs_match_raw(s->rs, r->unless_text[i].code, t->s, t->len, 0,
		    s->md, s->mctx);
		if (rc >= 0) {
			s->rule_suppressed[ruleidx] = true;
			break;
		}
		if (rc != PCRE2_ERROR_NOMATCH)
			rs_note_engine_error(s, v, r->id, rc);
	}
	return s->rule_suppressed[ruleidx];
}

static void
rs_add_match(struct verdict *v, const struct ruleset *rs, const struct rs_part *p,
    const struct nz_text *t, size_t vs, size_t ve)
{
	const struct rs_rule	*r = &rs->rules[p->rule];
	struct rs_match		*m;
	size_t			 os, oe;

	if (v->nmatches >= RS_MAX_MATCHES)
		return;
	if (v->nmatches == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 8;
		v->matches = xreallocarray(v->matches, v->cap, sizeof *v->matches);
	}
	nz_span_to_orig(t, vs, ve, &os, &oe);
	m = &v->matches[v->nmatches++];
	m->rule = p->rule;
	m->part = (uint32_t)(p - rs->parts);
	m->rule_id = r->id;
	m->category = r->category;
	m->severity = r->severity;
	m->start = os;
	m->end = oe;
	m->view = r->view;
	m->vstart = vs;
	m->vend = ve;
	m->what = p->what;
}

/* Runs one regex part over its view and records every accepted match. */
static void
rs_run_regex_part(struct rs_scratch *s, struct verdict *v, const struct rs_part *p,
    const struct rs_rule *r, const struct nz_text *t)
{
	size_t		 off = 0;
	int		 rc;
	PCRE2_SIZE	*ov;

	while (off <= t->len && v->nmatches < RS_MAX_MATCHES) {
		rc = rs_match_raw(s->rs, p->code, t->s, t->len, off, s->md, s->mctx);
		if (rc < 0) {
			if (rc != PCRE2_ERROR_NOMATCH)
				rs_note_engine_error(s, v, r->id, rc);
			return;
		}
		ov = pcre2_get_ovector_pointer(s->md);
		{
			size_t vs = ov[0], ve = ov[1];

			off = ve > vs ? ve : vs + 1;
			while (off < t->len && (t->s[off] & 0xc0) == 0x80)
				off++;
			if (ve == vs)
				continue;	/* empty matches say nothing */
			if (r->nunless > 0 && rs_cond_overlaps(s, v, r, t, vs, ve))
				continue;
			rs_add_match(v, s->rs, p, t, vs, ve);
		}
	}
}

/* Is the character ending just before pos (or starting at pos) a \w? */
static bool
rs_word_char(const char *text, size_t len, size_t pos, bool before)
{
	utf8proc_int32_t	cp;
	utf8proc_category_t	cat;
	size_t			i;

	if (before) {
		if (pos == 0)
			return false;
		i = pos - 1;
		while (i > 0 && ((unsigned char)text[i] & 0xc0) == 0x80)
			i--;
	} else {
		if (pos >= len)
			return false;
		i = pos;
	}
	if ((unsigned char)text[i] < 0x80) {
		char c = text[i];

		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_';
	}
	if (utf8proc_iterate((const utf8proc_uint8_t *)text + i, len - i,
	    &cp) < 0)
		return false;
	cat = utf8proc_category(cp);
	return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
	    (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO) ||
	    cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_PC;
}

static size_t
rs_word_extend(const char *text, size_t len, size_t pos, bool backwards)
{
	while (rs_word_char(text, len, pos, backwards)) {
		if (backwards) {
			pos--;
			while (pos > 0 && ((unsigned char)text[pos] & 0xc0) == 0x80)
				pos--;
		} else {
			pos++;
			while (pos < len && ((unsigned char)text[pos] & 0xc0) == 0x80)
				pos++;
		}
	}
	return pos;
}

/*
 * Matches of a literal word part, with the semantics of the alternation
 * "\b(?:w1|\w*w2|...)\b" it stands for: the leftmost match wins, at one
 * position the entry listed first wins, and the search goes on after it.
 * Word hits are sorted by part, start, order.
 */
static int
rs_cmp_wordspan(const void *a, const void *b)
{
	const struct rs_wordhit *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->word < y->word ? -1 : x->word > y->word;
}

static void
rs_run_word_part(struct rs_scratch *s, struct verdict *v, uint32_t partidx,
    const struct rs_rule *r, const struct nz_text *t)
{
	const struct ruleset	*rs = s->rs;
	struct rs_wordhit	*spans;
	size_t			 i, n = 0, last_end = 0;
	bool			 any = false;

	/* the spans each hit stands for; .word holds the entry's order */
	spans = xreallocarray(NULL, s->nwordhits ? s->nwordhits : 1,
	    sizeof *spans);
	for (i = 0; i < s->nwordhits; i++) {
		const struct rs_wordhit	*h = &s->wordhits[i];
		const struct rs_word	*w = &rs->words[h->word];
		size_t			 vs = h->start, ve = h->end;

		if (w->part != partidx)
			continue;
		if (w->pre)
			vs = rs_word_extend(t->s, t->len, vs, true);
		else if (rs_word_char(t->s, t->len, vs, true))
			continue;
		if (w->post)
			ve = rs_word_extend(t->s, t->len, ve, false);
		else if (rs_word_char(t->s, t->len, ve, false))
			continue;
		spans[n].start = (uint32_t)vs;
		spans[n].end = (uint32_t)ve;
		spans[n].word = w->order;
		n++;
	}
	if (n > 1)
		qsort(spans, n, sizeof *spans, rs_cmp_wordspan);
	for (i = 0; i < n && v->nmatches < RS_MAX_MATCHES; i++) {
		if (any && spans[i].start < last_end)
			continue;
		any = true;
		last_end = spans[i].end;
		if (r->nunless > 0 && rs_cond_overlaps(s, v, r, t, spans[i].start,
		    spans[i].end))
			continue;
		rs_add_match(v, rs, &rs->parts[partidx], t, spans[i].start,
		    spans[i].end);
	}
	free(spans);
}

static void
rs_run_part(struct rs_scratch *s, struct verdict *v, uint32_t partidx,
    unsigned scope)
{
	const struct ruleset	*rs = s->rs;
	const struct rs_part	*p = &rs->parts[partidx];
	const struct rs_rule	*r = &rs->rules[p->rule];
	const struct nz_text	*t;

	if ((r->scope & scope) == 0)
		return;
	if (p->kind == PART_SCANNER) {
		struct scan_hit	 hits[16];
		size_t		 n, i;

		t = &s->view[NZ_VIEW_RAW];
		if (r->nunless_text > 0 &&
		    rs_rule_suppressed(s, v, p->rule, &s->view[r->view]))
			return;
		n = scanner_run(p->scanner, t->s, t->len, hits, 16);
		for (i = 0; i < n; i++) {
			/* unless conditions see the rule's own view */
			if (r->nunless > 0 && r->view == NZ_VIEW_RAW &&
			    rs_cond_overlaps(s, v, r, t, hits[i].start, hits[i].end))
				continue;
			rs_add_match(v, rs, p, t, hits[i].start, hits[i].end);
		}
		return;
	}
	t = &s->view[r->view];
	if (r->nunless_text > 0 && rs_rule_suppressed(s, v, p->rule, t))
		return;
	if (p->kind == PART_WORDLIT)
		rs_run_word_part(s, v, partidx, r, t);
	else
		rs_run_regex_part(s, v, p, r, t);
}

static int
rs_cmp_match(const void *a, const void *b)
{
	const struct rs_match *x = a, *y = b;
	int c;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if ((c = strcmp(x->rule_id, y->rule_id)) != 0)
		return c;
	return x->end < y->end ? -1 : x->end > y->end;
}

int
rs_classify(const struct ruleset *rs, struct rs_scratch *s, const char *text,
    size_t len, unsigned scope, struct verdict *v)
{
	size_t		v_i, i;
	unsigned	notes = 0;

	verdict_reset(v);
	memcpy(v->ruleset, rs->hash, sizeof v->ruleset);
	if (text == NULL)
		len = 0;
	if (++s->gen == 0) {
		/* wrapped: stale stamps could alias the new generation */
		memset(s->stamp, 0, rs->nparts * sizeof *s->stamp);
		memset(s->fstamp, 0, rs->nparts * sizeof *s->fstamp);
		memset(s->rule_stamp, 0, rs->nrules * sizeof *s->rule_stamp);
		s->gen = 1;
	}
	s->ncand = 0;
	s->nwordhits = 0;
	s->limit_error = 0;

	for (v_i = 0; v_i < NZ_VIEW_COUNT; v_i++) {
		s->have_view[v_i] = false;
		if (!rs->view_used[v_i])
			continue;
		nz_normalize(text ? text : "", len, nz_view_folds(v_i),
		    rs->opts.max_input, &s->view[v_i]);
		s->have_view[v_i] = true;
		notes |= s->view[v_i].notes;
	}
	v->input_notes = notes;

	for (v_i = 0; v_i < NZ_VIEW_COUNT; v_i++) {
		if (!s->have_view[v_i])
			continue;
		for (i = 0; i < rs->nalways[v_i]; i++)
			rs_candidate_hit(rs->always[v_i][i], s);
		if (rs->prefilter[v_i] != NULL) {
			size_t first = s->nwordhits, k;

			ac_scan_at(rs->prefilter[v_i], s->view[v_i].s,
			    s->view[v_i].len, rs_prefilter_hit, s);
			/* word hits of this view: their parts run below */
			for (k = first; k < s->nwordhits; k++)
				rs_candidate_hit(rs->words[s->wordhits[k].word].part,
				    s);
		}
	}
	/* part order is file order: deterministic, and examples read well */
	if (s->ncand > 1)
		qsort(s->cand, s->ncand, sizeof *s->cand, rs_cmp_u32);
	for (i = 0; i < s->ncand; i++)
		rs_run_part(s, v, s->cand[i], scope);

	if (v->nmatches > 1)
		qsort(v->matches, v->nmatches, sizeof *v->matches, rs_cmp_match);
	for (i = 0; i < v->nmatches; i++) {
		const struct rs_match *m = &v->matches[i];

		if (m->severity > v->cat_severity[m->category])
			v->cat_severity[m->category] = m->severity;
		if (m->severity > v->severity)
			v->severity = m->severity;
		v->actions |= category_default_actions(m->category);
	}
	v->flagged = v->nmatches > 0;
	if (notes & NZ_NOTE_TRUNCATED && !v->review) {
		v->review = true;
		snprintf(v->review_reason, sizeof v->review_reason,
		    "text longer than %zu bytes: only the beginning was screened",
		    rs->opts.max_input);
	}
	if (v->review)
		v->actions |= ACT_REVIEW;
	return 0;
}

/* --- examples ----------------------------------------------------------- */

size_t
rs_check_examples(const struct ruleset *rs, struct diags *d)
{
	struct rs_scratch	*s = rs_scratch_new(rs);
	struct verdict		 v;
	size_t			 i, k, m, failed = 0;

	verdict_init(&v);
	for (i = 0; i < rs->nrules; i++) {
		const struct rs_rule *r = &rs->rules[i];

		for (k = 0; k < r->nexamples; k++) {
			const struct rs_example *e = &r->examples[k];
			bool fired = false;

			rs_classify(rs, s, e->text, strlen(e->text), r->scope, &v);
			for (m = 0; m < v.nmatches; m++)
				if (v.matches[m].rule == i)
					fired = true;
			if (e->match && !fired) {
				diags_add(d, r->file, e->line, "rule %s does not "
				    "match its example \"%s\"%s%s", r->id, e->text,
				    v.review ? ": " : "",
				    v.review ? v.review_reason : "");
				failed++;
			} else if (!e->match && fired) {
				diags_add(d, r->file, e->line, "rule %s matches "
				    "its nomatch example \"%s\"", r->id, e->text);
				failed++;
			}
		}
	}
	verdict_free(&v);
	rs_scratch_free(s);
	return failed;
}

size_t
rs_check_coverage(const struct ruleset *rs, struct diags *d)
{
	struct rs_scratch	*s = rs_scratch_new(rs);
	struct verdict		 v;
	bool			*hit;
	size_t			 i, k, m, missing = 0;

	hit = xcalloc(rs->nparts ? rs->nparts : 1, sizeof *hit);
	verdict_init(&v);
	for (i = 0; i < rs->nrules; i++) {
		const struct rs_rule *r = &rs->rules[i];

		for (k = 0; k < r->nexamples; k++) {
			if (!r->examples[k].match)
				continue;
			rs_classify(rs, s, r->examples[k].text,
			    strlen(r->examples[k].text), r->scope, &v);
			for (m = 0; m < v.nmatches; m++)
				if (v.matches[m].rule == i)
					hit[v.matches[m].part] = true;
		}
	}
	for (i = 0; i < rs->nparts; i++) {
		const struct rs_part *p = &rs->parts[i];

		if (hit[i])
			continue;
		diags_add(d, rs->rules[p->rule].file, p->line, "rule %s: %s is "
		    "not exercised by any match example", rs->rules[p->rule].id,
		    p->what);
		missing++;
	}
	free(hit);
	verdict_free(&v);
	rs_scratch_free(s);
	return missing;
}

size_t
rs_unfiltered(const struct ruleset *rs, struct diags *d)
{
	size_t i, n = 0;

	for (i = 0; i < rs->nparts; i++) {
		const struct rs_part *p = &rs->parts[i];

		if (!p->always || p->kind == PART_SCANNER)
			continue;
		diags_add(d, rs->rules[p->rule].file, p->line, "rule %s: %s has "
		    "no literal for the prefilter and runs on every text",
		    rs->rules[p->rule].id, p->what);
		n++;
	}
	return n;
}
