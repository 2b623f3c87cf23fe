/*
 * normalize.h: turns hostile, obfuscated UTF-8 into the text rules match,
 * keeping a map from every output byte back to the original bytes so that a
 * match can be highlighted in what the author actually wrote.
 *
 * The folds, in the order they are applied:
 *
 *   always       invalid UTF-8 -> U+FFFD, NUL -> dropped, input capped at
 *                `cap` bytes (the result notes each of these)
 *   NZ_NFKC      compatibility decomposition/composition: mathematical
 *                bold, fullwidth, ligatures, superscripts -> plain letters
 *   NZ_CASEFOLD  Unicode case folding (lowercase)
 *   NZ_INVISIBLE zero-width, bidi, soft hyphen, variation selectors and
 *                other control/format characters removed
 *   NZ_STRIPMARK combining marks removed (é -> e), except that a/o/u with
 *                diaeresis become ae/oe/ue when NZ_UMLAUT is set
 *   NZ_UMLAUT    ä -> ae, ö -> oe, ü -> ue, ß/ẞ -> ss
 *   NZ_HOMOGLYPH Cyrillic/Greek look-alikes -> Latin (а->a, о->o, ν->v ...)
 *   NZ_LEET      0->o 1->i 3->e 4->a 5->s 7->t @->a $->s €->e, only
 *                inside or adjacent to letters, so "Tel. 0301234" and
 *                "5 Euro" keep their digits
 *   NZ_JOIN      letters split by one separator each (space . - _ * / +)
 *                rejoined when at least three single letters in a row use
 *                the same separator: "A-r-s-c-h" -> "arsch",
 *                "V o l l i d i o t" -> "vollidiot"; ordinary words and
 *                abbreviations with two letters ("z. B.") are left alone
 *   NZ_COLLAPSE  runs of the same letter collapse to one letter:
 *                "Vollidiooot" -> "volidiot".  Rule patterns are folded
 *                the same way by the rule compiler, so authors write
 *                ordinary spelling.
 *
 * Views: a rule chooses which text it sees.
 *   NZ_VIEW_RAW   folds 0: the original with only the "always" repairs;
 *                 for IBANs, URLs, phone numbers, exact quotes
 *   NZ_VIEW_FOLD  NFKC|CASEFOLD|INVISIBLE|STRIPMARK|UMLAUT: readable,
 *                 lowercase, but digits, punctuation and spacing intact
 *   NZ_VIEW_NORM  every fold: the default for word rules
 */
#ifndef NQ_NORMALIZE_H
#define NQ_NORMALIZE_H
#include <stddef.h>
#include <stdint.h>

#define NZ_NFKC		0x001u
#define NZ_CASEFOLD	0x002u
#define NZ_INVISIBLE	0x004u
#define NZ_STRIPMARK	0x008u
#define NZ_UMLAUT	0x010u
#define NZ_HOMOGLYPH	0x020u
#define NZ_LEET		0x040u
#define NZ_JOIN		0x080u
#define NZ_COLLAPSE	0x100u

enum nz_view { NZ_VIEW_RAW, NZ_VIEW_FOLD, NZ_VIEW_NORM, NZ_VIEW_COUNT };

#define NZ_FOLDS_RAW	0u
#define NZ_FOLDS_FOLD	(NZ_NFKC | NZ_CASEFOLD | NZ_INVISIBLE | NZ_STRIPMARK | \
			 NZ_UMLAUT)
#define NZ_FOLDS_NORM	(NZ_FOLDS_FOLD | NZ_HOMOGLYPH | NZ_LEET | NZ_JOIN | \
			 NZ_COLLAPSE)

/* What the "always" repairs had to do; a caller may report these. */
#define NZ_NOTE_INVALID_UTF8	0x1u
#define NZ_NOTE_NUL		0x2u
#define NZ_NOTE_TRUNCATED	0x4u

/*
 * A normalized text.  Reusable: pass the same struct again and its buffers
 * are reused (grown when needed), which keeps the per-comment hot path free
 * of allocation.  Zero-initialize before first use.
 */
struct nz_text {
	char		*s;	/* NUL-terminated valid UTF-8 */
	size_t		 len;
	/*
	 * For output byte i, the original bytes [start[i], end[i]) it came
	 * from.  All bytes of one output character share one span.
	 */
	uint32_t	*start, *end;
	unsigned	 notes;	/* NZ_NOTE_* */
	size_t		 cap;	/* allocated bytes of s (and entries of maps) */
};

/*
 * Normalizes in[0..inlen) with the given folds; at most cap input bytes are
 * read (0 means the default, NZ_DEFAULT_CAP).  Never fails on any input;
 * returns 0.
 */
#define NZ_DEFAULT_CAP	(64u * 1024)
int	 nz_normalize(const char *in, size_t inlen, unsigned folds, size_t cap,
	    struct nz_text *out);
unsigned nz_view_folds(enum nz_view);
const char *nz_view_name(enum nz_view);
int	 nz_view_from_name(const char *);	/* -1 when unknown */

/* Maps the output span [s, e) to the original span [*os, *oe). */
void	 nz_span_to_orig(const struct nz_text *, size_t s, size_t e,
	    size_t *os, size_t *oe);
void	 nz_text_free(struct nz_text *);

/*
 * Folds a literal (a word-list entry, or a literal run inside a rule
 * pattern) with the folds of a view, so that rule text and comment text
 * meet in the same form.  NZ_JOIN and NZ_LEET are not applied to literals
 * (a rule author's "4" means 4).  Returns a malloc'd string.
 */
char	*nz_fold_literal(const char *s, size_t len, unsigned folds);

#endif
