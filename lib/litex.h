/*
 * litex.h: what the rule compiler needs to know about a PCRE2 pattern
 * without running it: a set of literals that every match must contain
 * (the prefilter's input), whether the pattern risks catastrophic
 * backtracking, and the pattern rewritten with the normalizer's literal
 * folds (lowercase, umlauts, collapsed double letters).
 *
 * It parses the subset of PCRE2 syntax rule authors use: literals,
 * escapes (\b \B \w \W \d \D \s \S \. \\ \x{..} ...), character classes,
 * groups ((...) (?:...) (?i) (?<name>...) lookarounds), alternation and
 * quantifiers (? * + {n} {n,} {n,m}, lazy and possessive forms).  Anything
 * it does not understand makes the pattern "no literals" (always run),
 * never a wrong literal: the prefilter may only over-approximate.
 */
#ifndef NQ_LITEX_H
#define NQ_LITEX_H
#include <stdbool.h>
#include <stddef.h>

/*
 * Any match of the pattern contains at least one of lits[] as a substring
 * of the subject (lits are lowercase UTF-8 when the pattern is matched
 * caselessly).  n == 0 means no such set could be found: run the pattern
 * on every text.  The set is kept small: literals are at least
 * LITEX_MIN_LEN bytes where possible and at most LITEX_MAX_LITS of them.
 */
#define LITEX_MIN_LEN	3
#define LITEX_MAX_LITS	256

struct litset {
	char	**lits;
	size_t	 n;
};

/*
 * Extracts the literal set.  caseless: the pattern will be compiled with
 * PCRE2_CASELESS, so literals are lowercased.  Returns 0 (possibly with
 * n == 0), or -1 when the pattern is malformed (err says why).
 */
int	 litex_extract(const char *pattern, bool caseless, struct litset *out,
	    char *err, size_t errlen);
/*
 * All the sets the prefilter may ask for at once: when the pattern is a
 * concatenation, each of its parts that yields a set is required of every
 * match on its own ("\bich\s+(hau|schlag)\s+dich" needs "ich" and one
 * of "hau", "schlag" and "dich").  Up to max sets, the most selective
 * first.  *nsets == 0: no set.  Returns 0, or -1 when the pattern is
 * malformed (err says why).
 */
int	 litex_extract_factors(const char *pattern, bool caseless,
	    struct litset *sets, size_t max, size_t *nsets, char *err,
	    size_t errlen);
void	 litset_free(struct litset *);

/*
 * Static check for catastrophic backtracking: a quantified group that
 * contains an unbounded quantifier ((a+)+, (\w*)*, (a|ab)*x, (.*a){20}).
 * Returns 1 and a reason in why when the pattern is risky, 0 otherwise.
 */
int	 litex_risky(const char *pattern, char *why, size_t whylen);

/*
 * Rewrites the literal characters of the pattern with nz_fold_literal's
 * folds (see normalize.h), leaving escapes, classes, quantifier targets
 * and syntax alone: "\bVoll(idiot|depp)\b" -> "\bvol(idiot|dep)\b",
 * "Scheiße" -> "scheise".  A letter followed by a quantifier is not merged
 * with its neighbour ("vol+" stays).  Non-ASCII letters inside a character
 * class are an error when they would fold to several characters (write
 * "(?:ae|a)" instead of "[ä]").  Returns a malloc'd pattern, or NULL with
 * err set.
 */
char	*litex_fold_pattern(const char *pattern, unsigned folds, char *err,
	    size_t errlen);

#endif
