/*
 * ruleset.h: the compiled rule set and the verdicts it produces.
 *
 * A rule set is built once from a directory of *.rules files (and the word
 * lists they name), then never changes: any number of classifications may
 * share it, and a reload builds a new one beside it.  Building parses every
 * file, compiles every pattern (PCRE2, JIT where the system allows), builds
 * the literal prefilter, refuses patterns that risk catastrophic
 * backtracking, and (unless told not to) runs every match/nomatch example.
 * Any error anywhere makes the whole build fail, with every problem
 * reported as "file:line: message".
 *
 * Rule file keys ([rule ID] sections; see netiquette.rules(5)):
 *   category    one of the 13 categories (category.h), required
 *   severity    1 (low) .. 3 (high), default 2
 *   pattern     PCRE2 pattern, repeatable; matched caselessly against the
 *               rule's view; literal runs are folded like the text
 *   words       word-list file relative to the rule file, repeatable
 *   scanner     iban | phone | taxid | email | url | shortener
 *   unless      PCRE2 pattern; a match overlapping one of its matches is
 *               dropped (e.g. "vollidiotensicher"), repeatable
 *   unless-text PCRE2 pattern; if it matches anywhere, the rule does not
 *               fire on this text (quotation, counter-speech), repeatable
 *   view        norm (default) | fold | raw, see normalize.h
 *   scope       comment, dm (default both)
 *   description one line saying what the rule catches, shown by --explain
 *   match       example text that must make this rule fire, repeatable
 *   nomatch     example text on which this rule must not fire, repeatable
 *   A rule needs at least one of pattern, words, scanner.
 */
#ifndef NQ_RULESET_H
#define NQ_RULESET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "category.h"
#include "diag.h"
#include "normalize.h"

#define RS_SCOPE_COMMENT	0x1u
#define RS_SCOPE_DM		0x2u
#define RS_SCOPE_ALL		(RS_SCOPE_COMMENT | RS_SCOPE_DM)

#define RS_SEVERITY_MIN		1
#define RS_SEVERITY_MAX		3

struct rs_options {
	bool		jit;		/* try PCRE2 JIT; fall back when it fails */
	bool		run_examples;	/* refuse a set whose examples fail */
	uint32_t	match_limit;	/* pcre2_set_match_limit */
	uint32_t	depth_limit;	/* pcre2_set_depth_limit */
	uint32_t	heap_limit_kib;	/* pcre2_set_heap_limit */
	size_t		max_input;	/* bytes of a text that are screened */
	/* called once when JIT was requested but is unavailable */
	void		(*log)(void *arg, const char *msg);
	void		*log_arg;
};

void	rs_options_default(struct rs_options *);

struct ruleset;
struct rs_scratch;

/*
 * Builds a rule set from every *.rules file in dir (sorted by name).
 * Returns NULL if anything failed; d then holds every problem.
 */
struct ruleset	*rs_load_dir(const char *dir, const struct rs_options *,
		    struct diags *d);
/* Same from an explicit list of files (the golden tests use this). */
struct ruleset	*rs_load_files(const char *const *paths, size_t n,
		    const struct rs_options *, struct diags *d);
void		 rs_free(struct ruleset *);

const char	*rs_hash(const struct ruleset *);	/* hex SHA-256, 64 chars */
size_t		 rs_rule_count(const struct ruleset *);
size_t		 rs_example_count(const struct ruleset *);
size_t		 rs_pattern_count(const struct ruleset *);
bool		 rs_jit_active(const struct ruleset *);
size_t		 rs_memory(const struct ruleset *);	/* approximate bytes */

/*
 * How many parts the last rs_classify on this scratch let through the
 * prefilter (and so ran): its selectivity, for tests and benchmarks.
 */
size_t		 rs_scratch_parts_run(const struct rs_scratch *);

/* Rule i's metadata, for dumps, explain and the daemon's rule-quality view. */
struct rs_rule_info {
	const char	*id;
	enum category	 category;
	int		 severity;
	unsigned	 scope;
	enum nz_view	 view;
	const char	*description;	/* may be "" */
	const char	*file;
	int		 line;
};
int		 rs_rule_info(const struct ruleset *, size_t i, struct rs_rule_info *);
/* Index of rule id, or -1. */
long		 rs_rule_find(const struct ruleset *, const char *id);

/*
 * Runs every rule's match/nomatch examples; each failure is reported at the
 * example's file:line.  Returns the number of failed examples.
 */
size_t		 rs_check_examples(const struct ruleset *, struct diags *d);

/*
 * Reports every pattern, word list and scanner that no `match` example of
 * its rule exercises (fail2ban's rule: an untested regex is a regex nobody
 * knows to work).  Returns the number of such parts.
 */
size_t		 rs_check_coverage(const struct ruleset *, struct diags *d);

/*
 * Lists the parts the prefilter cannot skip (no literal could be found, or
 * the raw view): they run on every text, so each costs speed.  Not an
 * error; `rules check` shows them as notes.  Returns how many.
 */
size_t		 rs_unfiltered(const struct ruleset *, struct diags *d);

/*
 * Writes the canonical form: rules sorted by id, keys in a fixed order,
 * word lists inlined as "word = ...", one per line.  Compiling the dump
 * again gives a rule set with the same behaviour and the same dump.
 */
int		 rs_dump(const struct ruleset *, FILE *);

/* --- classification ---------------------------------------------------- */

struct rs_match {
	uint32_t	 rule;		/* index for rs_rule_info */
	uint32_t	 part;		/* which pattern/list/scanner of the rule */
	const char	*rule_id;
	enum category	 category;
	int		 severity;
	size_t		 start, end;	/* byte span in the original text */
	enum nz_view	 view;
	size_t		 vstart, vend;	/* byte span in that view's text */
	const char	*what;		/* "pattern 2", "words insults.words", "scanner iban" */
};

struct verdict {
	struct rs_match	*matches;	/* ordered by start, then rule id */
	size_t		 nmatches, cap;
	int		 cat_severity[CAT_COUNT];	/* 0 = category not hit */
	int		 severity;	/* highest, 0 when nothing matched */
	bool		 flagged;	/* at least one match */
	bool		 review;	/* a human must look (limit hit, bad input) */
	char		 review_reason[160];
	unsigned	 actions;	/* union of the default actions (category.h) */
	unsigned	 input_notes;	/* NZ_NOTE_* of the text */
	char		 ruleset[65];
};

void	verdict_init(struct verdict *);
void	verdict_free(struct verdict *);

/*
 * Per-caller scratch space (normalized views, PCRE2 match data, prefilter
 * bits).  Not shared between threads; reused across classifications.
 */
struct rs_scratch	*rs_scratch_new(const struct ruleset *);
void			 rs_scratch_free(struct rs_scratch *);

/*
 * Classifies text (any bytes) in the given scope (RS_SCOPE_COMMENT or
 * RS_SCOPE_DM).  Fills v (reset first).  Returns 0; a PCRE2 limit hit or
 * other engine error does not fail the call but sets v->review with a
 * reason: it is never reported as "no match".
 */
int	rs_classify(const struct ruleset *, struct rs_scratch *,
	    const char *text, size_t len, unsigned scope, struct verdict *v);

/* The views of the last classified text (for --explain). */
const struct nz_text *rs_scratch_view(const struct rs_scratch *, enum nz_view);

#endif
