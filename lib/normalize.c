/*
 * normalize.c: the folds described in normalize.h, with a byte map back to
 * the original text.  It owns no policy: what counts as an insult is the
 * rule set's business; this file only makes obfuscated spellings of one
 * word look alike.
 *
 * Shape of the work.  Stage 1 decodes the input (repairing bad UTF-8,
 * dropping NUL, honouring the cap) and applies the per-code-point folds:
 * ASCII through a table, everything else through utf8proc_decompose_char.
 * It produces "entries": one output code point, its class, and the span of
 * original bytes it came from.  Stage 2 runs the folds that need context
 * (LEET, JOIN, COLLAPSE) over the entries, only ever changing or dropping
 * them.  Stage 3 encodes the entries as UTF-8 and expands the spans to one
 * per output byte.
 *
 * The entries live in the caller's own map arrays, so a call allocates
 * nothing once the buffers have grown: start[i] holds the entry's original
 * start, end[i] packs code point, class and span length (a span is at most
 * 255 bytes long).  Every entry becomes at least one output byte, so stage 3
 * can expand in place, walking backwards.
 *
 * Choices the header leaves open:
 *   - INVISIBLE turns tabs, newlines and Unicode spaces into ' '; COLLAPSE
 *     also squeezes runs of spaces into one.
 *   - NFKC is applied per code point: a base letter followed by a separate
 *     combining mark is not composed with it (the views strip marks anyway).
 *   - HOMOGLYPH is not context sensitive: Cyrillic and Greek look-alikes are
 *     mapped wherever they occur, which garbles genuine Russian or Greek in
 *     the NORM view only.  Upper case is mapped before case folding, so
 *     Greek Η (looks like H) and η (looks like n) stay distinct.
 *   - LEET: a token is a run of letters, digits and @ $ €.  Tokens with no
 *     letter or with a digit that has no letter reading (2 6 8 9) are left
 *     alone ("Tel. 030", "2019", "B52").  Otherwise leet characters between
 *     letters are converted ("H3tze"); leading ones when the token also
 *     has inner leet or at least three letters ("1d10t", "@rschloch", but
 *     not "3er", "10er", "5km"); trailing ones only with inner leet ("MP3",
 *     "Arsch1" stay).  "!" becomes i only between two letters and not at
 *     what looks like a sentence end ("Id!ot", not "Gut!Und").
 *   - JOIN: a "single" is a letter (or, with LEET, a leet character) with
 *     no letter, digit or leet character on either side.  Three or more
 *     singles, at least two of them letters, separated by the same
 *     separator string (1-3 of space . - _ * / + · ~ | and Unicode dashes),
 *     are joined.  When the separator has no space, a word attached to the
 *     run by that same separator is glued on too ("A-r-s-c-hloch",
 *     "Arsch-l-o-c-h"); with spaces it is not ("V o l l idiot" becomes
 *     "voll idiot"), because in ordinary prose that would merge real words.
 *   - "*" inside a word ("H*rens*hn") is kept as it is; a rule that wants
 *     to see through it writes a class such as [u*].
 *   - COLLAPSE extends the kept letter's span over the dropped repeats, so
 *     a highlight covers "Arschhhh" and not just "Arsch".
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "normalize.h"
#include "xmalloc.h"

/* Entry packing in end[]: code point, class, span length. */
#define NZ_CP(p)	((p) & 0x1fffffu)
#define NZ_CLS(p)	(((p) >> 21) & 0x7u)
#define NZ_LEN(p)	((p) >> 24)
#define NZ_PACK(cp, cls, len) \
	((uint32_t)(cp) | ((uint32_t)(cls) << 21) | ((uint32_t)(len) << 24))
#define NZ_MAXSPAN	255u

/*
 * Classes, chosen so that each context fold asks one small question: a
 * "word" character is LETTER..LSYM, a leet character LDIGIT or LSYM, a
 * separator SPACE or SEP.
 */
enum nz_cls {
	NZ_C_OTHER,
	NZ_C_LETTER,
	NZ_C_DIGIT,	/* a digit with no letter reading: 2 6 8 9 */
	NZ_C_LDIGIT,	/* 0 1 3 4 5 7 */
	NZ_C_LSYM,	/* @ $ € */
	NZ_C_SPACE,
	NZ_C_SEP,	/* . - _ * / + ~ | · and dashes */
	NZ_C_BANG	/* ! */
};
#define NZ_WORDISH(p)	(NZ_CLS(p) - 1u < 4u)
#define NZ_LEETISH(p)	(NZ_CLS(p) - 3u < 2u)
#define NZ_SEPISH(p)	(NZ_CLS(p) - 5u < 2u)
#define NZ_LETTER(p)	(NZ_CLS(p) == NZ_C_LETTER)

/* Longest decomposition utf8proc produces (U+FDFA) is 18 code points. */
#define NZ_DBUF		32

/* Spans are uint32_t; keep every offset comfortably inside that. */
#define NZ_MAX_CAP	(1u << 30)

/*
 * ASCII is the hot path, so its per-code-point folds are four constant
 * tables of ready entries (span length 1), one per combination of CASEFOLD
 * and INVISIBLE; 0 means "drop".  The other folds do not touch ASCII.
 */
#define NZ_A_ALPHA(c)	(((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define NZ_A_WS(c)	((c) == ' ' || ((c) >= '\t' && (c) <= '\r'))
#define NZ_A_CLS(c)							\
	(NZ_A_ALPHA(c) ? NZ_C_LETTER :					\
	 ((c) == '0' || (c) == '1' || (c) == '3' || (c) == '4' ||	\
	  (c) == '5' || (c) == '7') ? NZ_C_LDIGIT :			\
	 ((c) >= '0' && (c) <= '9') ? NZ_C_DIGIT :			\
	 ((c) == '@' || (c) == '$') ? NZ_C_LSYM :			\
	 NZ_A_WS(c) ? NZ_C_SPACE :					\
	 ((c) == '.' || (c) == '-' || (c) == '_' || (c) == '*' ||	\
	  (c) == '/' || (c) == '+' || (c) == '~' || (c) == '|') ?	\
	 NZ_C_SEP :							\
	 (c) == '!' ? NZ_C_BANG : NZ_C_OTHER)
#define NZ_A_LOWER(c)	((c) >= 'A' && (c) <= 'Z' ? (c) + 32 : (c))
#define NZ_A_CTL(c)	((c) < 0x20 || (c) == 0x7f)

#define NZ_T_RAW(c)	((c) == 0 ? 0 : NZ_PACK((c), NZ_A_CLS(c), 1))
#define NZ_T_LOW(c)	((c) == 0 ? 0 : NZ_PACK(NZ_A_LOWER(c), NZ_A_CLS(c), 1))
#define NZ_T_INV(c)	(NZ_A_WS(c) ? NZ_PACK(' ', NZ_C_SPACE, 1) :	\
			 NZ_A_CTL(c) ? 0 : NZ_T_RAW(c))
#define NZ_T_LOWINV(c)	(NZ_A_WS(c) ? NZ_PACK(' ', NZ_C_SPACE, 1) :	\
			 NZ_A_CTL(c) ? 0 : NZ_T_LOW(c))
#define NZ_R4(T, c)	T(c), T((c) + 1), T((c) + 2), T((c) + 3)
#define NZ_R16(T, c)	NZ_R4(T, c), NZ_R4(T, (c) + 4), NZ_R4(T, (c) + 8), \
			NZ_R4(T, (c) + 12)
#define NZ_R128(T)	NZ_R16(T, 0), NZ_R16(T, 16), NZ_R16(T, 32),	\
			NZ_R16(T, 48), NZ_R16(T, 64), NZ_R16(T, 80),	\
			NZ_R16(T, 96), NZ_R16(T, 112)

static const uint32_t nz_ascii[4][128] = {
	{ NZ_R128(NZ_T_RAW) },
	{ NZ_R128(NZ_T_LOW) },
	{ NZ_R128(NZ_T_INV) },
	{ NZ_R128(NZ_T_LOWINV) },
};

/*
 * Look-alikes, sorted by code point.  Only letters that pass for Latin in
 * common fonts; capitals map to capitals so that case folding afterwards
 * decides the case like it does for Latin text.
 */
static const struct nz_glyph {
	uint32_t	cp;
	uint8_t		to;
} nz_glyphs[] = {
	{ 0x0131, 'i' },	/* dotless i */
	{ 0x0251, 'a' }, { 0x0261, 'g' },	/* IPA script a, g */
	{ 0x0391, 'A' }, { 0x0392, 'B' }, { 0x0395, 'E' }, { 0x0396, 'Z' },
	{ 0x0397, 'H' }, { 0x0399, 'I' }, { 0x039a, 'K' }, { 0x039c, 'M' },
	{ 0x039d, 'N' }, { 0x039f, 'O' }, { 0x03a1, 'P' }, { 0x03a4, 'T' },
	{ 0x03a5, 'Y' }, { 0x03a7, 'X' },
	{ 0x03b1, 'a' }, { 0x03b2, 'b' }, { 0x03b3, 'y' }, { 0x03b5, 'e' },
	{ 0x03b7, 'n' }, { 0x03b9, 'i' }, { 0x03ba, 'k' }, { 0x03bd, 'v' },
	{ 0x03bf, 'o' }, { 0x03c1, 'p' }, { 0x03c4, 't' }, { 0x03c5, 'u' },
	{ 0x03c7, 'x' }, { 0x03c9, 'w' },
	{ 0x0405, 'S' }, { 0x0406, 'I' }, { 0x0408, 'J' },
	{ 0x0410, 'A' }, { 0x0412, 'B' }, { 0x0415, 'E' }, { 0x041a, 'K' },
	{ 0x041c, 'M' }, { 0x041d, 'H' }, { 0x041e, 'O' }, { 0x0420, 'P' },
	{ 0x0421, 'C' }, { 0x0422, 'T' }, { 0x0423, 'Y' }, { 0x0425, 'X' },
	{ 0x0430, 'a' }, { 0x0432, 'b' }, { 0x0435, 'e' }, { 0x043a, 'k' },
	{ 0x043c, 'm' }, { 0x043d, 'h' }, { 0x043e, 'o' }, { 0x0440, 'p' },
	{ 0x0441, 'c' }, { 0x0442, 't' }, { 0x0443, 'y' }, { 0x0445, 'x' },
	{ 0x0455, 's' }, { 0x0456, 'i' }, { 0x0458, 'j' },
	{ 0x04bb, 'h' }, { 0x04c0, 'I' }, { 0x04cf, 'l' },
	{ 0x0501, 'd' }, { 0x051b, 'q' }, { 0x051d, 'w' },
};

static uint32_t
nz_homoglyph(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(nz_glyphs) / sizeof(nz_glyphs[0]);

	if (cp < 0x0131 || cp > 0x051d)
		return cp;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (nz_glyphs[mid].cp == cp)
			return nz_glyphs[mid].to;
		if (nz_glyphs[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return cp;
}

/* The letter a leet character stands for, or 0. */
static uint32_t
nz_leet(uint32_t cp)
{
	switch (cp) {
	case '0': return 'o';
	case '1': return 'i';
	case '3': return 'e';
	case '4': return 'a';
	case '5': return 's';
	case '7': return 't';
	case '@': return 'a';
	case '$': return 's';
	case 0x20ac: return 'e';
	}
	return 0;
}

static enum nz_cls
nz_class(uint32_t cp)
{
	if (cp < 0x80)
		return NZ_CLS(nz_ascii[0][cp]);
	switch (cp) {
	case 0x20ac:
		return NZ_C_LSYM;
	case 0xb7: case 0x2022: case 0x2212:
		return NZ_C_SEP;
	}
	if (cp >= 0x2010 && cp <= 0x2015)
		return NZ_C_SEP;
	switch (utf8proc_category((utf8proc_int32_t)cp)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
		return NZ_C_LETTER;
	case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP:
		return NZ_C_SPACE;
	default:
		return NZ_C_OTHER;
	}
}

static bool
nz_is_mark(uint32_t cp)
{
	utf8proc_category_t c;

	if (cp < 0x300)
		return false;
	c = utf8proc_category((utf8proc_int32_t)cp);
	return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC ||
	    c == UTF8PROC_CATEGORY_ME;
}

static bool
nz_is_aou(uint32_t cp)
{
	switch (cp) {
	case 'a': case 'o': case 'u': case 'A': case 'O': case 'U':
		return true;
	}
	return false;
}

/* Makes room for need entries/bytes; geometric so growth amortizes. */
static void
nz_reserve(struct nz_text *t, size_t need)
{
	size_t ncap;

	if (need <= t->cap)
		return;
	ncap = t->cap < 256 ? 256 : t->cap;
	while (ncap < need)
		ncap *= 2;
	t->s = xreallocarray(t->s, ncap, 1);
	t->start = xreallocarray(t->start, ncap, sizeof(*t->start));
	t->end = xreallocarray(t->end, ncap, sizeof(*t->end));
	t->cap = ncap;
}

/*
 * Decodes one code point at p[0..len), len > 0 and p[0] >= 0x80.  Returns
 * the bytes consumed; on bad input *cp is U+FFFD and the bytes consumed are
 * the maximal ill-formed subpart (Unicode's recommended practice), so one
 * broken sequence becomes one replacement character.
 */
static size_t
nz_decode(const unsigned char *p, size_t len, uint32_t *cp)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, k;
	uint32_t v;

	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;	/* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	for (k = 1; k <= need; k++) {
		if (k >= len || p[k] < lo || p[k] > hi) {
			*cp = 0xfffd;
			return k;
		}
		v = (v << 6) | (p[k] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = v;
	return need + 1;
}

/*
 * The per-code-point folds for a non-ASCII code point.  Writes the result
 * to buf and returns its length, 0 when the code point is removed.  Marks
 * are left in place; the caller handles them because the umlaut rule looks
 * at the previous character.
 */
static size_t
nz_fold_cp(uint32_t cp, unsigned folds, utf8proc_int32_t *buf)
{
	utf8proc_option_t opt = 0;
	utf8proc_ssize_t n, i;
	int bc = 0;

	if (folds & NZ_HOMOGLYPH)
		cp = nz_homoglyph(cp);
	if (cp < 0x80) {
		if ((folds & NZ_CASEFOLD) && cp >= 'A' && cp <= 'Z')
			cp += 'a' - 'A';
		buf[0] = (utf8proc_int32_t)cp;
		return 1;
	}
	if (folds & NZ_INVISIBLE) {
		const utf8proc_property_t *pr;

		pr = utf8proc_get_property((utf8proc_int32_t)cp);
		if (pr->ignorable || pr->category == UTF8PROC_CATEGORY_CC ||
		    pr->category == UTF8PROC_CATEGORY_CF)
			return 0;
		if (pr->category == UTF8PROC_CATEGORY_ZS ||
		    pr->category == UTF8PROC_CATEGORY_ZL ||
		    pr->category == UTF8PROC_CATEGORY_ZP) {
			buf[0] = ' ';
			return 1;
		}
	}
	/* Case folding already turns both into "ss"; without it, do it here. */
	if ((folds & NZ_UMLAUT) && (cp == 0xdf || cp == 0x1e9e)) {
		buf[0] = buf[1] = (cp == 0xdf || (folds & NZ_CASEFOLD)) ?
		    's' : 'S';
		return 2;
	}
	if (folds & NZ_NFKC)
		opt |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
	if (folds & (NZ_STRIPMARK | NZ_UMLAUT))
		opt |= UTF8PROC_DECOMPOSE;
	if (folds & NZ_CASEFOLD)
		opt |= UTF8PROC_CASEFOLD;
	if (opt == 0) {
		buf[0] = (utf8proc_int32_t)cp;
		return 1;
	}
	n = utf8proc_decompose_char((utf8proc_int32_t)cp, buf, NZ_DBUF, opt,
	    &bc);
	if (n < 1 || n > NZ_DBUF) {
		buf[0] = (utf8proc_int32_t)cp;
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (folds & NZ_HOMOGLYPH)
			buf[i] = (utf8proc_int32_t)nz_homoglyph((uint32_t)buf[i]);
		if ((folds & NZ_UMLAUT) && (buf[i] == 0xdf || buf[i] == 0x1e9e))
			buf[i] = 's';	/* only from compatibility forms */
	}
	/*
	 * Marks that are kept go back onto their letter, so that without
	 * STRIPMARK the result is composed as NFKC promises.  Umlauts are
	 * spelled out first, or composition would undo them.
	 */
	if (!(folds & NZ_STRIPMARK) && n > 1) {
		if (folds & NZ_UMLAUT)
			for (i = 1; i < n; i++)
				if (buf[i] == 0x308 &&
				    nz_is_aou((uint32_t)buf[i - 1]))
					buf[i] = 'e';
		n = utf8proc_normalize_utf32(buf, n, UTF8PROC_COMPOSE);
		if (n < 1)
			n = 0;
	}
	return (size_t)n;
}

/*
 * Stage 1: decode and fold code points into entries.  Returns the number
 * of entries; *wide tells whether any of them is outside ASCII.
 */
static size_t
nz_stage1(const unsigned char *p, size_t len, unsigned folds,
    struct nz_text *t, bool *wide)
{
	const uint32_t *tab = nz_ascii[((folds & NZ_CASEFOLD) ? 1 : 0) |
	    ((folds & NZ_INVISIBLE) ? 2 : 0)];
	uint32_t *st, *pk;
	bool dropped = false;
	size_t i = 0, n = 0;

	*wide = false;
	/* ASCII never expands, so this covers the whole fast path. */
	nz_reserve(t, len + 1);
	st = t->start;
	pk = t->end;
	while (i < len) {
		utf8proc_int32_t buf[NZ_DBUF];
		size_t k, m, clen, i0 = i, n0 = n;
		uint32_t cp;

		/* Store unconditionally, keep only what the table keeps. */
		while (i < len && p[i] < 0x80) {
			uint32_t e = tab[p[i]];

			st[n] = (uint32_t)i;
			pk[n] = e;
			n += e != 0;
			i++;
		}
		dropped |= n - n0 != i - i0;
		if (i == len)
			break;

		clen = nz_decode(p + i, len - i, &cp);
		if (cp == 0xfffd && !(clen == 3 && p[i] == 0xef &&
		    p[i + 1] == 0xbf && p[i + 2] == 0xbd))
			t->notes |= NZ_NOTE_INVALID_UTF8;
		if (folds == 0) {
			buf[0] = (utf8proc_int32_t)cp;
			m = 1;
		} else
			m = nz_fold_cp(cp, folds, buf);
		/* Each entry needs a slot; keep one spare for the NUL. */
		if (n + m + 1 > t->cap) {
			nz_reserve(t, n + m + 1 + (len - i));
			st = t->start;
			pk = t->end;
		}
		for (k = 0; k < m; k++) {
			uint32_t o = (uint32_t)buf[k];

			if ((folds & (NZ_STRIPMARK | NZ_UMLAUT)) &&
			    nz_is_mark(o)) {
				if ((folds & NZ_UMLAUT) && o == 0x308 &&
				    n > 0 && nz_is_aou(NZ_CP(pk[n - 1])))
					o = 'e';
				else if (folds & NZ_STRIPMARK)
					continue;
			}
			st[n] = (uint32_t)i;
			pk[n++] = NZ_PACK(o, nz_class(o), clen);
			if (o >= 0x80)
				*wide = true;
		}
		i += clen;
	}
	/* Only a dropped byte can have been a NUL; rare, so look again. */
	if (dropped && memchr(p, 0, len) != NULL)
		t->notes |= NZ_NOTE_NUL;
	return n;
}

static void
nz_to_letter(uint32_t *pk, size_t i)
{
	uint32_t l = nz_leet(NZ_CP(pk[i]));

	if (l != 0)
		pk[i] = NZ_PACK(l, NZ_C_LETTER, NZ_LEN(pk[i]));
}

/*
 * "!" reads as i between letters, unless it looks like the end of a
 * sentence someone forgot to follow with a space: lower case before,
 * capital after.  The case is taken from the original bytes.
 */
static bool
nz_bang_is_i(const unsigned char *in, const uint32_t *st, const uint32_t *pk,
    size_t n, size_t i)
{
	unsigned char a, b;

	if (i == 0 || i + 1 >= n || !NZ_LETTER(pk[i - 1]) ||
	    !NZ_LETTER(pk[i + 1]))
		return false;
	a = in[st[i - 1]];
	b = in[st[i + 1]];
	return !(a >= 'a' && a <= 'z' && b >= 'A' && b <= 'Z');
}

/* Stage 2a: leet characters inside words become letters. */
static void
nz_leet_pass(const unsigned char *in, const uint32_t *st, uint32_t *pk,
    size_t n)
{
	size_t i = 0, a, k, first, last, letters;
	bool bad, inner, leet;

	while (i < n) {
		if (!NZ_WORDISH(pk[i])) {
			i++;
			continue;
		}
		a = i;
		letters = 0;
		bad = leet = false;
		first = last = SIZE_MAX;
		for (; i < n; i++) {
			uint32_t c = NZ_CLS(pk[i]);

			if (c == NZ_C_BANG) {
				if (!nz_bang_is_i(in, st, pk, n, i))
					break;
				pk[i] = NZ_PACK('i', NZ_C_LETTER,
				    NZ_LEN(pk[i]));
				c = NZ_C_LETTER;
			}
			if (c == NZ_C_LETTER) {
				letters++;
				if (first == SIZE_MAX)
					first = i;
				last = i;
			} else if (c == NZ_C_DIGIT)
				bad = true;
			else if (c == NZ_C_LDIGIT || c == NZ_C_LSYM)
				leet = true;
			else
				break;
		}
		if (letters == 0 || bad || !leet)
			continue;
		inner = false;
		for (k = first + 1; k < last; k++)
			if (!NZ_LETTER(pk[k])) {
				nz_to_letter(pk, k);
				inner = true;
			}
		if (inner || letters >= 3)
			for (k = a; k < first; k++)
				nz_to_letter(pk, k);
		if (inner)
			for (k = last + 1; k < i; k++)
				nz_to_letter(pk, k);
	}
}

/*
 * A letter (or leet character) standing alone between non-word chars.
 * The right neighbour is tested first: inside ordinary words that fails
 * at once.
 */
static inline bool
nz_single(const uint32_t *pk, size_t n, size_t i, bool leet)
{
	if (i + 1 < n && NZ_WORDISH(pk[i + 1]))
		return false;
	if (!NZ_LETTER(pk[i]) && !(leet && NZ_LEETISH(pk[i])))
		return false;
	return i == 0 || !NZ_WORDISH(pk[i - 1]);
}

/* Do entries [i, i + sl) hold exactly the separator string sep? */
static bool
nz_sep_at(const uint32_t *pk, size_t n, size_t i, const uint32_t *sep,
    size_t sl)
{
	size_t k;

	if (i + sl > n)
		return false;
	for (k = 0; k < sl; k++)
		if (NZ_CP(pk[i + k]) != sep[k])
			return false;
	return true;
}

/*
 * Stage 2b: joins letters spelled out with separators.  Compacts in place:
 * writes trail reads, and the entry just before the read position still
 * holds its original value (either nothing was dropped yet, so it was
 * copied onto itself, or it lies beyond everything written so far).
 * Returns the new count.
 */
static size_t
nz_join_pass(uint32_t *st, uint32_t *pk, size_t n, bool leet)
{
	size_t r = 0, w = 0;

	while (r < n) {
		uint32_t sep[3];
		size_t sl = 0, j, units, letters, last, k;
		bool spaced = false;

		if (!nz_single(pk, n, r, leet))
			goto copy;
		while (sl < 3 && r + 1 + sl < n && NZ_SEPISH(pk[r + 1 + sl])) {
			sep[sl] = NZ_CP(pk[r + 1 + sl]);
			if (NZ_CLS(pk[r + 1 + sl]) == NZ_C_SPACE)
				spaced = true;
			sl++;
		}
		if (sl == 0)
			goto copy;
		units = 1;
		letters = NZ_LETTER(pk[r]);
		last = r;
		for (j = r + 1; nz_sep_at(pk, n, j, sep, sl) &&
		    j + sl < n && nz_single(pk, n, j + sl, leet); j += sl + 1) {
			last = j + sl;
			units++;
			letters += NZ_LETTER(pk[last]);
		}
		if (units < 3 || letters < 2)
			goto copy;

		/* Glue a word attached in front by the same separator. */
		if (!spaced && w > sl && nz_sep_at(pk, w, w - sl, sep, sl) &&
		    NZ_LETTER(pk[w - sl - 1]))
			w -= sl;
		for (k = r; k <= last; k += sl + 1) {
			st[w] = st[k];
			pk[w] = pk[k];
			if (leet)
				nz_to_letter(pk, w);
			w++;
		}
		r = last + 1;
		/* And one attached behind it. */
		if (!spaced && nz_sep_at(pk, n, r, sep, sl) && r + sl < n &&
		    NZ_LETTER(pk[r + sl]))
			r += sl;
		continue;
copy:
		st[w] = st[r];
		pk[w] = pk[r];
		w++;
		r++;
	}
	return w;
}

/* Stage 2c: runs of one letter, and runs of spaces, become one. */
static size_t
nz_collapse_pass(uint32_t *st, uint32_t *pk, size_t n)
{
	uint32_t prev = UINT32_MAX;	/* code point and class of pk[w - 1] */
	size_t r, w = 0;

	for (r = 0; r < n; r++) {
		uint32_t p = pk[r], c = NZ_CLS(p);

		if ((p & 0xffffffu) == prev &&
		    (c == NZ_C_LETTER || c == NZ_C_SPACE)) {
			uint32_t span = st[r] + NZ_LEN(p) - st[w - 1];

			if (span <= NZ_MAXSPAN)
				pk[w - 1] = NZ_PACK(NZ_CP(p), c, span);
			continue;
		}
		prev = p & 0xffffffu;
		if (w != r) {
			st[w] = st[r];
			pk[w] = p;
		}
		w++;
	}
	return w;
}

static size_t
nz_utf8_len(uint32_t cp)
{
	if (cp < 0x80)
		return 1;
	if (cp < 0x800)
		return 2;
	if (cp < 0x10000)
		return 3;
	return 4;
}

/*
 * Stage 3: entries to UTF-8 plus per-byte spans.  Walks backwards: entry j
 * lands at byte offset >= j, so it is read before anything overwrites it.
 */
static void
nz_encode(struct nz_text *t, size_t n, bool wide)
{
	uint32_t *st, *en;
	size_t j, bytes = 0, pos;
	char *s;

	if (!wide) {
		/* One byte per entry: in place, front to back. */
		s = t->s;
		st = t->start;
		en = t->end;
		for (j = 0; j < n; j++) {
			uint32_t p = en[j];

			s[j] = (char)NZ_CP(p);
			en[j] = st[j] + NZ_LEN(p);
		}
		s[n] = '\0';
		t->len = n;
		return;
	}
	for (j = 0; j < n; j++)
		bytes += nz_utf8_len(NZ_CP(t->end[j]));
	nz_reserve(t, bytes + 1);
	s = t->s;
	st = t->start;
	en = t->end;
	pos = bytes;
	for (j = n; j-- > 0;) {
		uint32_t b = st[j], p = en[j];
		uint32_t cp = NZ_CP(p), e = b + NZ_LEN(p);
		unsigned char u[4];
		size_t k, m;

		if (cp < 0x80) {
			pos--;
			s[pos] = (char)cp;
			st[pos] = b;
			en[pos] = e;
			continue;
		}
		m = (size_t)utf8proc_encode_char((utf8proc_int32_t)cp, u);
		pos -= m;
		for (k = 0; k < m; k++) {
			s[pos + k] = (char)u[k];
			st[pos + k] = b;
			en[pos + k] = e;
		}
	}
	s[bytes] = '\0';
	t->len = bytes;
}

int
nz_normalize(const char *in, size_t inlen, unsigned folds, size_t cap,
    struct nz_text *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t n;
	bool wide;

	out->notes = 0;
	out->len = 0;
	if (cap == 0)
		cap = NZ_DEFAULT_CAP;
	if (cap > NZ_MAX_CAP)
		cap = NZ_MAX_CAP;
	if (p == NULL)
		inlen = 0;
	if (inlen > cap) {
		out->notes |= NZ_NOTE_TRUNCATED;
		inlen = cap;
		/* Do not cut a sequence in two: back up to its lead byte. */
		while (inlen > 0 && inlen + 3 > cap &&
		    (p[inlen] & 0xc0) == 0x80)
			inlen--;
	}

	n = nz_stage1(p, inlen, folds, out, &wide);
	if (folds & NZ_LEET)
		nz_leet_pass(p, out->start, out->end, n);
	if (folds & NZ_JOIN)
		n = nz_join_pass(out->start, out->end, n,
		    (folds & NZ_LEET) != 0);
	if (folds & NZ_COLLAPSE)
		n = nz_collapse_pass(out->start, out->end, n);
	nz_encode(out, n, wide);
	return 0;
}

unsigned
nz_view_folds(enum nz_view v)
{
	switch (v) {
	case NZ_VIEW_RAW:
		return NZ_FOLDS_RAW;
	case NZ_VIEW_FOLD:
		return NZ_FOLDS_FOLD;
	case NZ_VIEW_NORM:
		return NZ_FOLDS_NORM;
	default:
		return NZ_FOLDS_RAW;
	}
}

static const char *const nz_view_names[NZ_VIEW_COUNT] = {
	[NZ_VIEW_RAW] = "raw",
	[NZ_VIEW_FOLD] = "fold",
	[NZ_VIEW_NORM] = "norm",
};

const char *
nz_view_name(enum nz_view v)
{
	if ((unsigned)v >= NZ_VIEW_COUNT)
		return "unknown";
	return nz_view_names[v];
}

int
nz_view_from_name(const char *name)
{
	int v;

	if (name == NULL)
		return -1;
	for (v = 0; v < NZ_VIEW_COUNT; v++)
		if (strcmp(name, nz_view_names[v]) == 0)
			return v;
	return -1;
}

/*
 * An empty output span maps to an empty original span at the matching
 * position, so a zero-width match still points somewhere sensible.
 */
void
nz_span_to_orig(const struct nz_text *t, size_t s, size_t e, size_t *os,
    size_t *oe)
{
	if (e > t->len)
		e = t->len;
	if (s > e)
		s = e;
	if (t->len == 0) {
		*os = *oe = 0;
		return;
	}
	if (s == e) {
		*os = *oe = s < t->len ? t->start[s] : t->end[t->len - 1];
		return;
	}
	*os = t->start[s];
	*oe = t->end[e - 1];
}

void
nz_text_free(struct nz_text *t)
{
	free(t->s);
	free(t->start);
	free(t->end);
	memset(t, 0, sizeof(*t));
}

char *
nz_fold_literal(const char *s, size_t len, unsigned folds)
{
	struct nz_text t = { 0 };
	char *r;

	nz_normalize(s, len, folds & ~(NZ_JOIN | NZ_LEET),
	    len > NZ_MAX_CAP ? NZ_MAX_CAP : len + 1, &t);
	r = xstrndup(t.s, t.len);
	nz_text_free(&t);
	return r;
}
