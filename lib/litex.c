/*
 * litex.c: static analysis of rule patterns for the rule compiler: the
 * required-literal set fed to the Aho-Corasick prefilter, the
 * catastrophic-backtracking check, and the folding of a pattern's literal
 * characters into the normalizer's spelling.  It never runs a pattern and
 * never decides what a rule means; PCRE2 stays the judge of syntax.
 *
 * A small recursive-descent parser turns the pattern into a tree (litex
 * nodes below).  Whatever the parser does not fully understand becomes an
 * "anything" node, which can only weaken the literal set, never make it
 * wrong.  Constructs that change how the rest of the pattern is read
 * ((?x), verbs such as (*ACCEPT), conditionals, callouts, recursion) make
 * the whole pattern "give up": no literals.
 *
 * Assumptions, shared with the rule compiler: patterns are compiled with
 * PCRE2_UTF, and caseless patterns run on case-folded text (the normalizer
 * folds case), so a caseless ASCII letter is required in lowercase and a
 * caseless non-ASCII character is treated as unknown.
 *
 * Literal extraction follows RE2's prefilter: every node yields either an
 * EXACT set (the node matches exactly one of these strings), a MATCH set
 * (every match contains one of these strings) or ANY.  Concatenation
 * builds cross products of exact runs while they stay small and otherwise
 * keeps the most selective factor; alternation takes the union; a node that
 * may be skipped (?, *, {0,n}) contributes nothing unless it is a small
 * exact set.  Literals of two bytes are kept when nothing better exists
 * (running PCRE2 only on texts containing "du" still beats running it on
 * every text); one-byte literals are worthless and yield no set.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "litex.h"
#include "normalize.h"
#include "xmalloc.h"

#define LX_MAXDEPTH	200	/* nested groups before giving up */
#define LX_CLASS_EXPAND	8	/* class members expanded into literals */
#define LX_EXACT_MAX	64	/* strings in an exact set */
#define LX_EXACT_LEN	64	/* bytes in one exact string */
#define LX_BIGREP	16	/* a repeat bound above this counts as unbounded */
#define LX_USEFUL_LEN	2	/* shorter literals are no prefilter at all */

/*
 * A set of ASCII characters, plus two bits for non-ASCII ones: word
 * characters (letters, digits) and the rest, so that \w and \s stay
 * disjoint.  LX_HIGH adds both.
 */
struct lx_cset {
	uint64_t	 w[4];
};
#define LX_HIGH		128
#define LX_HIGHW	129
#define LX_HIGHO	130

enum lx_kind {
	LX_EMPTY,	/* zero-width: anchors, \b, comments, options */
	LX_LIT,		/* one literal character */
	LX_CLASS,	/* a character class or class escape */
	LX_ANY,		/* unknown: backreference, \p, \X ... */
	LX_CAT,
	LX_ALT,
	LX_REP,
	LX_LOOK		/* lookaround: zero-width, content checked for risk */
};

struct lx_node {
	enum lx_kind	 kind;
	int		 child, next;	/* first child, next sibling; -1 */
	int		 min, max;	/* LX_REP; max -1 is unbounded */
	size_t		 pos;		/* offset in the pattern */
	char		 lit[5];	/* LX_LIT: UTF-8, NUL-terminated */
	int		 nexp;		/* LX_CLASS: expansion size, -1 none */
	char		 exp[LX_CLASS_EXPAND];
	bool		 nullable;	/* LX_ANY may match empty */
	struct lx_cset	 cs;		/* characters it may consume */
};

struct lx_parse {
	const char	*s;
	size_t		 i, len;
	bool		 caseless;
	int		 depth;
	const char	*giveup;	/* set: no literals, reason */
	struct lx_node	*n;
	size_t		 nn, cap;
	char		*err;
	size_t		 errlen;
	bool		 failed;
};

/* Character sets. */

static void
lx_cs_add(struct lx_cset *cs, unsigned c)
{
	if (c == LX_HIGH || c > LX_HIGHO) {
		lx_cs_add(cs, LX_HIGHW);
		lx_cs_add(cs, LX_HIGHO);
		return;
	}
	cs->w[c >> 6] |= 1ull << (c & 63);
}

static void
lx_cs_all(struct lx_cset *cs)
{
	memset(cs, 0, sizeof *cs);
	cs->w[0] = cs->w[1] = ~0ull;
	lx_cs_add(cs, LX_HIGH);
}

static void
lx_cs_or(struct lx_cset *a, const struct lx_cset *b)
{
	int	 i;

	for (i = 0; i < 4; i++)
		a->w[i] |= b->w[i];
}

static bool
lx_cs_meets(const struct lx_cset *a, const struct lx_cset *b)
{
	int	 i;

	for (i = 0; i < 4; i++)
		if (a->w[i] & b->w[i])
			return true;
	return false;
}

/* The characters of \d \w \s \h \v and their negations. */
static void
lx_cs_escape(struct lx_cset *cs, int e)
{
	struct lx_cset	 t;
	unsigned	 c;
	bool		 neg = isupper(e), word = false;

	memset(&t, 0, sizeof t);
	for (c = 0; c < 128; c++) {
		switch (tolower(e)) {
		case 'd':
			word = true;
			if (isdigit(c))
				lx_cs_add(&t, c);
			break;
		case 'w':
			word = true;
			if (isalnum(c) || c == '_')
				lx_cs_add(&t, c);
			break;
		case 's':
			if (c == ' ' || (c >= 9 && c <= 13))
				lx_cs_add(&t, c);
			break;
		case 'h':
			if (c == ' ' || c == '\t')
				lx_cs_add(&t, c);
			break;
		case 'v':
			if (c >= 10 && c <= 13)
				lx_cs_add(&t, c);
			break;
		}
	}
	/*
	 * Under UCP, \d and \w take non-ASCII word characters, \s \h \v
	 * other ones; a negation takes the rest (\D: both).
	 */
	if (word)
		lx_cs_add(&t, LX_HIGHW);
	else
		lx_cs_add(&t, LX_HIGHO);
	if (neg) {
		t.w[0] = ~t.w[0];
		t.w[1] = ~t.w[1];
		t.w[2] ^= (1ull << (LX_HIGHW & 63)) |
		    (1ull << (LX_HIGHO & 63));
		if (tolower(e) == 'd')
			lx_cs_add(&t, LX_HIGH);
	}
	lx_cs_or(cs, &t);
}

/* Small lexical helpers shared by the parser and the folder. */

/* Length of the UTF-8 sequence at s (1 for an invalid byte). */
static size_t
lx_u8len(const char *s, size_t avail, int32_t *cp)
{
	utf8proc_ssize_t	 n;

	n = utf8proc_iterate((const utf8proc_uint8_t *)s,
	    (utf8proc_ssize_t)avail, cp);
	if (n <= 0) {
		*cp = -1;
		return 1;
	}
	return (size_t)n;
}

/*
 * A brace quantifier at s[i] == '{': 1 for {n} {n,} {n,m}, 2 for forms a
 * newer PCRE2 reads as a quantifier ({,m}, spaces), 0 for a literal brace.
 * Form 2 is treated as {0,} so either reading stays sound.
 */
static int
lx_brace(const char *s, size_t len, size_t i, int *min, int *max,
    size_t *end)
{
	size_t	 j = i + 1;
	long	 a = -1, b = -1, *cur = &a;
	bool	 comma = false, space = false;

	for (; j < len; j++) {
		if (s[j] == ' ' || s[j] == '\t')
			space = true;
		else if (isdigit((unsigned char)s[j])) {
			if (*cur < 0)
				*cur = 0;
			if (*cur < 100000)
				*cur = *cur * 10 + (s[j] - '0');
		} else if (s[j] == ',' && !comma) {
			comma = true;
			cur = &b;
		} else
			break;
	}
	if (j >= len || s[j] != '}')
		return 0;
	if (a < 0 && b < 0)
		return 0;
	*end = j + 1;
	if (a < 0 || space) {
		*min = 0;
		*max = -1;
		return 2;
	}
	if (a > 65535)
		a = 65535;
	*min = (int)a;
	if (!comma)
		*max = (int)a;
	else if (b < 0)
		*max = -1;
	else
		*max = b > 65535 ? 65535 : (int)b;
	return 1;
}

/*
 * Skips what PCRE2 ignores between an item and its quantifier: \E, an
 * empty \Q\E and (?#comments).  In "c\E??" the ?? applies to c.
 */
static size_t
lx_skip_ignored(const char *s, size_t len, size_t i)
{
	for (;;) {
		if (i + 1 < len && s[i] == '\\' && s[i + 1] == 'E')
			i += 2;
		else if (i + 3 < len && strncmp(s + i, "\\Q\\E", 4) == 0)
			i += 4;
		else if (i + 2 < len && strncmp(s + i, "(?#", 3) == 0 &&
		    memchr(s + i, ')', len - i) != NULL)
			i = (size_t)((const char *)memchr(s + i, ')', len - i) -
			    s) + 1;
		else
			return i;
	}
}

/* Is there a quantifier at s[i]? */
static bool
lx_is_quant(const char *s, size_t len, size_t i)
{
	int	 mn, mx;
	size_t	 e;

	i = lx_skip_ignored(s, len, i);
	if (i >= len)
		return false;
	if (s[i] == '*' || s[i] == '+' || s[i] == '?')
		return true;
	return s[i] == '{' && lx_brace(s, len, i, &mn, &mx, &e) != 0;
}

/* Skips a delimited name or argument: from s[i] up to and including c. */
static size_t
lx_skip_to(const char *s, size_t len, size_t i, char c)
{
	while (i < len && s[i] != c)
		i++;
	return i < len ? i + 1 : len;
}

enum lx_esc {
	LX_E_CHAR,	/* a literal character, cp */
	LX_E_ZERO,	/* zero-width assertion */
	LX_E_CLASS,	/* \d \w \s \h \v and negations */
	LX_E_ANY,	/* backreference, property, \X, \R, unknown */
	LX_E_QUOTE,	/* \Q */
	LX_E_END,	/* \E */
	LX_E_BAD	/* trailing backslash */
};

/*
 * Reads the escape at s[i] == '\\'.  Sets *end past it.  Errs on the
 * side of consuming too much: whatever is consumed and not understood is
 * LX_E_ANY, which is always sound, while a character wrongly left behind
 * could be taken for a literal.
 */
static enum lx_esc
lx_escape(const char *s, size_t len, size_t i, bool inclass, int32_t *cp,
    size_t *end)
{
	size_t	 j = i + 1;
	int	 c;
	long	 v;

	*cp = -1;
	if (j >= len) {
		*end = len;
		return LX_E_BAD;
	}
	c = (unsigned char)s[j];
	*end = j + 1;
	if (c >= 0x80) {
		*end = j + lx_u8len(s + j, len - j, cp);
		return LX_E_CHAR;
	}
	if (!isalnum(c)) {
		*cp = c;
		return LX_E_CHAR;
	}
	switch (c) {
	case 'a': *cp = 7; return LX_E_CHAR;
	case 'e': *cp = 27; return LX_E_CHAR;
	case 'f': *cp = 12; return LX_E_CHAR;
	case 'n': *cp = 10; return LX_E_CHAR;
	case 'r': *cp = 13; return LX_E_CHAR;
	case 't': *cp = 9; return LX_E_CHAR;
	case 'b':
		if (inclass) {
			*cp = 8;
			return LX_E_CHAR;
		}
		return LX_E_ZERO;
	case 'B': case 'A': case 'z': case 'Z': case 'G': case 'K':
		return inclass ? LX_E_ANY : LX_E_ZERO;
	case 'd': case 'D': case 'w': case 'W': case 's': case 'S':
	case 'h': case 'H': case 'v': case 'V':
		return LX_E_CLASS;
	case 'Q':
		return LX_E_QUOTE;
	case 'E':
		return LX_E_END;
	case 'x':
		if (j + 1 < len && s[j + 1] == '{') {
			*end = lx_skip_to(s, len, j + 1, '}');
			v = strtol(s + j + 2, NULL, 16);
		} else {
			v = 0;
			for (j++; j < len && j < i + 4 &&
			    isxdigit((unsigned char)s[j]); j++)
				v = v * 16 + (isdigit((unsigned char)s[j]) ?
				    s[j] - '0' : (tolower((unsigned char)s[j]) -
				    'a' + 10));
			*end = j;
		}
		if (v > 0 && v < 128) {
			*cp = (int32_t)v;
			return LX_E_CHAR;
		}
		return LX_E_ANY;
	case 'o': case 'p': case 'P': case 'N':
		if (j + 1 < len && s[j + 1] == '{')
			*end = lx_skip_to(s, len, j + 1, '}');
		else if ((c == 'p' || c == 'P') && j + 1 < len)
			*end = j + 2;
		return LX_E_ANY;
	case 'c':
		*end = j + 1 < len ? j + 2 : len;
		return LX_E_ANY;
	case 'g':
		if (j + 1 < len && s[j + 1] == '{')
			*end = lx_skip_to(s, len, j + 1, '}');
		else if (j + 1 < len && s[j + 1] == '<')
			*end = lx_skip_to(s, len, j + 1, '>');
		else if (j + 1 < len && s[j + 1] == '\'')
			*end = lx_skip_to(s, len, j + 2, '\'');
		else {
			j++;
			if (j < len && (s[j] == '+' || s[j] == '-'))
				j++;
			while (j < len && isdigit((unsigned char)s[j]))
				j++;
			*end = j;
		}
		return LX_E_ANY;
	case 'k':
		if (j + 1 < len && s[j + 1] == '{')
			*end = lx_skip_to(s, len, j + 1, '}');
		else if (j + 1 < len && s[j + 1] == '<')
			*end = lx_skip_to(s, len, j + 1, '>');
		else if (j + 1 < len && s[j + 1] == '\'')
			*end = lx_skip_to(s, len, j + 2, '\'');
		return LX_E_ANY;
	default:
		if (isdigit(c)) {
			/* backreference or octal: take every digit */
			while (j < len && isdigit((unsigned char)s[j]))
				j++;
			*end = j;
		}
		return LX_E_ANY;
	}
}

/*
 * PCRE2's check_posix_syntax: at s[i] == '[' inside a class, followed by
 * one of ":.=", is this a POSIX class?  *end is set past its ":]".
 */
static bool
lx_posix(const char *s, size_t len, size_t i, size_t *end)
{
	char	 term = s[i + 1];
	size_t	 j;

	for (j = i + 2; j + 1 < len; j++) {
		if (s[j] == '\\' && (s[j + 1] == ']' || s[j + 1] == '\\'))
			j++;
		else if ((s[j] == '[' && s[j + 1] == term) || s[j] == ']')
			return false;
		else if (s[j] == term && s[j + 1] == ']') {
			*end = j + 2;
			return true;
		}
	}
	return false;
}

/* The parser. */

static void
lx_fail(struct lx_parse *p, const char *msg)
{
	if (p->failed)
		return;
	p->failed = true;
	if (p->err != NULL && p->errlen > 0)
		snprintf(p->err, p->errlen, "offset %zu: %s", p->i, msg);
}

static int
lx_new(struct lx_parse *p, enum lx_kind kind)
{
	struct lx_node	*n;

	if (p->nn == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 32;
		p->n = xreallocarray(p->n, p->cap, sizeof *p->n);
	}
	n = &p->n[p->nn];
	memset(n, 0, sizeof *n);
	n->kind = kind;
	n->child = n->next = -1;
	n->nexp = -1;
	n->pos = p->i;
	return (int)p->nn++;
}

static void
lx_append(struct lx_parse *p, int parent, int *last, int child)
{
	if (*last < 0)
		p->n[parent].child = child;
	else
		p->n[*last].next = child;
	*last = child;
}

/* A literal character node; caseless letters are stored lowercase. */
static int
lx_char(struct lx_parse *p, int32_t cp, const char *bytes, size_t blen)
{
	int		 x;
	struct lx_node	*n;

	if (cp == 0 || (p->caseless && (cp >= 128 || cp < 0))) {
		x = lx_new(p, LX_ANY);
		lx_cs_add(&p->n[x].cs, cp >= 0 && cp < 128 ? (unsigned)cp :
		    LX_HIGH);
		return x;
	}
	x = lx_new(p, LX_LIT);
	n = &p->n[x];
	if (cp >= 0 && cp < 128) {
		n->lit[0] = (char)(p->caseless ? tolower(cp) : cp);
		lx_cs_add(&n->cs, (unsigned)cp);
		if (p->caseless) {
			lx_cs_add(&n->cs, (unsigned)tolower(cp));
			lx_cs_add(&n->cs, (unsigned)toupper(cp));
		}
	} else {
		memcpy(n->lit, bytes, blen);
		lx_cs_add(&n->cs, LX_HIGH);
	}
	return x;
}

/* Adds cp (and its other case when caseless) to a class node. */
static void
lx_class_add(struct lx_parse *p, struct lx_node *n, int32_t cp, bool *exp,
    bool *members)
{
	if (cp <= 0 || cp >= 128) {
		lx_cs_add(&n->cs, LX_HIGH);
		*exp = false;
		return;
	}
	lx_cs_add(&n->cs, (unsigned)cp);
	members[p->caseless ? tolower(cp) : cp] = true;
	if (p->caseless) {
		lx_cs_add(&n->cs, (unsigned)tolower(cp));
		lx_cs_add(&n->cs, (unsigned)toupper(cp));
	}
}

/*
 * Skips the \E and \Q\E that PCRE2 ignores inside a class, also between
 * the ends of a range: "[\n\E-\EH]" is the range \n-H.
 */
static size_t
lx_class_skip(const char *s, size_t len, size_t i)
{
	for (;;) {
		if (i + 1 < len && s[i] == '\\' && s[i + 1] == 'E')
			i += 2;
		else if (i + 3 < len && strncmp(s + i, "\\Q\\E", 4) == 0)
			i += 4;
		else
			return i;
	}
}

/*
 * Skips what may open a class before its first member, as PCRE2's
 * parse_regex does: \E, \Q\E and one '^' in any order.  A ']' right after
 * them is still the first member, so a literal.  i is just past the '['.
 */
static size_t
lx_class_open(const char *s, size_t len, size_t i, bool *neg)
{
	for (;;) {
		i = lx_class_skip(s, len, i);
		if (*neg || i >= len || s[i] != '^')
			return i;
		*neg = true;
		i++;
	}
}

/* Reads one class member: a character (*cp >= 0) or a set (*cp < 0). */
static void
lx_class_member(struct lx_parse *p, struct lx_node *n, int32_t *cp,
    bool *exp)
{
	size_t		 end;
	enum lx_esc	 e;

	*cp = -1;
	if (p->s[p->i] == '[' && p->i + 1 < p->len &&
	    strchr(":.=", p->s[p->i + 1]) != NULL &&
	    lx_posix(p->s, p->len, p->i, &end)) {
		p->i = end;
		lx_cs_all(&n->cs);
		*exp = false;
		return;
	}
	if (p->s[p->i] != '\\') {
		p->i += lx_u8len(p->s + p->i, p->len - p->i, cp);
		if (*cp < 0) {
			lx_cs_add(&n->cs, LX_HIGH);
			*exp = false;
		}
		return;
	}
	e = lx_escape(p->s, p->len, p->i, true, cp, &end);
	p->i = end;
	switch (e) {
	case LX_E_CHAR:
		return;
	case LX_E_CLASS:
		lx_cs_escape(&n->cs, p->s[end - 1]);
		break;
	default:
		lx_cs_all(&n->cs);
		break;
	}
	*cp = -1;
	*exp = false;
}

static int
lx_class(struct lx_parse *p)
{
	int		 x;
	struct lx_node	*n;
	bool		 neg = false, exp = true, first = true;
	bool		 members[128];
	int32_t		 lo, hi, c;
	size_t		 end, hi_at;

	memset(members, 0, sizeof members);
	x = lx_new(p, LX_CLASS);
	n = &p->n[x];
	p->i++;
	p->i = lx_class_open(p->s, p->len, p->i, &neg);
	for (;;) {
		if (p->i >= p->len) {
			lx_fail(p, "missing terminating ] for character class");
			return -1;
		}
		if (p->s[p->i] == ']' && !first)
			break;
		first = false;
		if (p->s[p->i] == '\\' && p->i + 1 < p->len &&
		    (p->s[p->i + 1] == 'Q' || p->s[p->i + 1] == 'E')) {
			if (p->s[p->i + 1] == 'E') {
				p->i += 2;
				continue;
			}
			for (p->i += 2; p->i < p->len; ) {
				if (p->s[p->i] == '\\' && p->i + 1 < p->len &&
				    p->s[p->i + 1] == 'E') {
					p->i += 2;
					break;
				}
				p->i += lx_u8len(p->s + p->i, p->len - p->i, &c);
				lx_class_add(p, n, c, &exp, members);
			}
			/*
			 * A quoted character can start a range ("[\Qa\E-z]"):
			 * not worth following, so any character may match.
			 */
			end = lx_class_skip(p->s, p->len, p->i);
			if (end + 1 < p->len && p->s[end] == '-' &&
			    p->s[end + 1] != ']') {
				lx_cs_all(&n->cs);
				exp = false;
			}
			continue;
		}
		lx_class_member(p, n, &lo, &exp);
		if (lo < 0)
			continue;
		end = lx_class_skip(p->s, p->len, p->i);
		hi_at = end < p->len && p->s[end] == '-' ?
		    lx_class_skip(p->s, p->len, end + 1) : p->len;
		if (hi_at < p->len && p->s[hi_at] != ']') {
			p->i = hi_at;
			if (p->s[hi_at] == '\\' && hi_at + 1 < p->len &&
			    p->s[hi_at + 1] == 'Q') {
				/*
				 * A quoted end ("[a-\Qz\E]"): not worth
				 * following; the run is read as quoted.
				 */
				lx_cs_all(&n->cs);
				exp = false;
				continue;
			}
			lx_class_member(p, n, &hi, &exp);
			if (hi < 0) {
				/* [a-\d]: '-' is a literal */
				lx_class_add(p, n, lo, &exp, members);
				lx_class_add(p, n, '-', &exp, members);
				continue;
			}
			if (hi < lo || hi >= 128) {
				lx_cs_all(&n->cs);
				exp = false;
				continue;
			}
			for (c = lo; c <= hi; c++)
				lx_class_add(p, n, c, &exp, members);
			continue;
		}
		lx_class_add(p, n, lo, &exp, members);
	}
	p->i++;
	if (neg) {
		n->cs.w[0] = ~n->cs.w[0];
		n->cs.w[1] = ~n->cs.w[1];
		lx_cs_add(&n->cs, LX_HIGH);	/* conservative */
		exp = false;
	}
	n->nexp = -1;
	if (exp) {
		int	 k = 0;

		for (c = 1; c < 128; c++) {
			if (!members[c])
				continue;
			if (k == LX_CLASS_EXPAND) {
				k = -1;
				break;
			}
			n->exp[k++] = (char)c;
		}
		n->nexp = k;
	}
	return x;
}

static int	lx_alt(struct lx_parse *);

/* Parses a group body up to ')' and consumes it. */
static int
lx_group_body(struct lx_parse *p, bool caseless)
{
	bool	 saved = p->caseless;
	int	 x;

	if (++p->depth > LX_MAXDEPTH) {
		p->giveup = "groups nested too deeply";
		p->depth--;
		return -1;
	}
	p->caseless = caseless;
	x = lx_alt(p);
	p->caseless = saved;
	p->depth--;
	if (x < 0)
		return -1;
	if (p->i >= p->len || p->s[p->i] != ')') {
		lx_fail(p, "missing closing parenthesis");
		return -1;
	}
	p->i++;
	return x;
}

/*
 * Option letters after "(?": returns 1 for "(?opts)" (applies to the rest
 * of the enclosing group), 2 for "(?opts:", 0 when not an option setting,
 * -1 when the options change how the pattern is read (x) and we give up.
 */
static int
lx_options(struct lx_parse *p, size_t j, bool *caseless, size_t *end)
{
	bool	 on = true, ci = *caseless;

	for (; j < p->len; j++) {
		switch (p->s[j]) {
		case 'i':
			ci = on;
			break;
		case '-':
			on = false;
			break;
		case '^':
			ci = false;
			break;
		case 'm': case 's': case 'n': case 'U': case 'J':
			break;
		case 'x':
			return -1;
		case ')':
		case ':':
			*caseless = ci;
			*end = j + 1;
			return p->s[j] == ')' ? 1 : 2;
		default:
			return -1;
		}
	}
	return 0;
}

static int
lx_group(struct lx_parse *p)
{
	const char	*s = p->s;
	size_t		 j = p->i + 1, end;
	int		 x, body, r;
	bool		 ci;

	if (j < p->len && s[j] == '*') {
		p->giveup = "backtracking verb or alpha assertion";
		return -1;
	}
	if (j >= p->len || s[j] != '?') {
		p->i = j;
		return lx_group_body(p, p->caseless);
	}
	j++;
	if (j >= p->len) {
		lx_fail(p, "unterminated group");
		return -1;
	}
	switch (s[j]) {
	case '#':
		p->i = lx_skip_to(s, p->len, j, ')');
		if (s[p->i - 1] != ')') {
			lx_fail(p, "missing ) after comment");
			return -1;
		}
		return lx_new(p, LX_EMPTY);
	case ':': case '|': case '>':
		p->i = j + 1;
		return lx_group_body(p, p->caseless);
	case '=': case '!': case '*':
		p->i = j + 1;
		goto look;
	case '<':
		if (j + 1 < p->len && strchr("=!*", s[j + 1]) != NULL) {
			p->i = j + 2;
			goto look;
		}
		p->i = lx_skip_to(s, p->len, j, '>');
		return lx_group_body(p, p->caseless);
	case '\'':
		p->i = lx_skip_to(s, p->len, j + 1, '\'');
		return lx_group_body(p, p->caseless);
	case 'P':
		if (j + 1 < p->len && s[j + 1] == '<') {
			p->i = lx_skip_to(s, p->len, j + 1, '>');
			return lx_group_body(p, p->caseless);
		}
		if (j + 1 < p->len && s[j + 1] == '=') {
			p->i = lx_skip_to(s, p->len, j, ')');
			x = lx_new(p, LX_ANY);
			p->n[x].nullable = true;
			lx_cs_all(&p->n[x].cs);
			return x;
		}
		break;
	default:
		break;
	}
	ci = p->caseless;
	r = lx_options(p, j, &ci, &end);
	if (r == 1) {
		p->caseless = ci;
		p->i = end;
		return lx_new(p, LX_EMPTY);
	}
	if (r == 2) {
		p->i = end;
		return lx_group_body(p, ci);
	}
	p->giveup = "recursion, conditional, callout or unknown group";
	return -1;

look:
	x = lx_new(p, LX_LOOK);
	body = lx_group_body(p, p->caseless);
	if (body < 0)
		return -1;
	p->n[x].child = body;
	return x;
}

/* One atom, or -1 (failure or give-up), or -2 at the end of a sequence. */
static int
lx_atom(struct lx_parse *p)
{
	const char	*s = p->s;
	int32_t		 cp;
	size_t		 end, n;
	enum lx_esc	 e;
	int		 x;

	switch (s[p->i]) {
	case '|':
	case ')':
		return -2;
	case '(':
		return lx_group(p);
	case '[':
		return lx_class(p);
	case '^':
	case '$':
		p->i++;
		return lx_new(p, LX_EMPTY);
	case '.':
		p->i++;
		x = lx_new(p, LX_CLASS);
		lx_cs_all(&p->n[x].cs);
		return x;
	case '*':
	case '+':
	case '?':
		lx_fail(p, "quantifier does not follow a repeatable item");
		return -1;
	case '\\':
		e = lx_escape(s, p->len, p->i, false, &cp, &end);
		switch (e) {
		case LX_E_BAD:
			lx_fail(p, "\\ at end of pattern");
			return -1;
		case LX_E_CHAR:
			if (cp < 0) {
				lx_fail(p, "invalid UTF-8");
				return -1;
			}
			if (cp >= 128) {
				x = lx_char(p, cp, s + p->i + 1,
				    end - p->i - 1);
			} else
				x = lx_char(p, cp, NULL, 1);
			p->i = end;
			return x;
		case LX_E_ZERO:
			p->i = end;
			return lx_new(p, LX_EMPTY);
		case LX_E_CLASS:
			x = lx_new(p, LX_CLASS);
			lx_cs_escape(&p->n[x].cs, s[end - 1]);
			p->i = end;
			return x;
		case LX_E_END:
			p->i = end;
			return lx_new(p, LX_EMPTY);
		case LX_E_QUOTE:
			/* \Q...\E: a run of literal characters */
			x = lx_new(p, LX_CAT);
			{
				int	 last = -1, c, nq = 0;

				for (p->i = end; p->i < p->len; ) {
					if (s[p->i] == '\\' &&
					    p->i + 1 < p->len &&
					    s[p->i + 1] == 'E') {
						p->i += 2;
						break;
					}
					n = lx_u8len(s + p->i, p->len - p->i,
					    &cp);
					c = lx_char(p, cp, s + p->i, n);
					p->i += n;
					lx_append(p, x, &last, c);
					nq++;
				}
				/*
				 * A quantifier after \E applies to the last
				 * quoted character only ("\Qab\E?" is a, b?),
				 * which one node cannot say: give up on a
				 * longer run, soundly.
				 */
				if (nq > 1 && p->i < p->len &&
				    strchr("?*+{", s[p->i]) != NULL) {
					x = lx_new(p, LX_ANY);
					p->n[x].nullable = true;
					lx_cs_all(&p->n[x].cs);
				}
			}
			return x;
		default:
			x = lx_new(p, LX_ANY);
			p->n[x].nullable = true;
			lx_cs_all(&p->n[x].cs);
			p->i = end;
			return x;
		}
	default:
		n = lx_u8len(s + p->i, p->len - p->i, &cp);
		if (cp < 0) {
			lx_fail(p, "invalid UTF-8");
			return -1;
		}
		x = lx_char(p, cp, s + p->i, n);
		p->i += n;
		return x;
	}
}

/* Wraps atom x in the quantifier at p->i, if any. */
static int
lx_quant(struct lx_parse *p, int x)
{
	int	 mn, mx, r, chain = 0;
	size_t	 end;

	for (;; chain++) {
		if (lx_is_quant(p->s, p->len, p->i))
			p->i = lx_skip_ignored(p->s, p->len, p->i);
		if (p->i >= p->len)
			return x;
		if (chain > 8 && lx_is_quant(p->s, p->len, p->i)) {
			p->giveup = "too many stacked quantifiers";
			return -1;
		}
		switch (p->s[p->i]) {
		case '*':
			mn = 0, mx = -1, end = p->i + 1;
			break;
		case '+':
			mn = 1, mx = -1, end = p->i + 1;
			break;
		case '?':
			mn = 0, mx = 1, end = p->i + 1;
			break;
		case '{':
			if (lx_brace(p->s, p->len, p->i, &mn, &mx, &end) == 0)
				return x;
			break;
		default:
			return x;
		}
		if (mx >= 0 && mn > mx) {
			lx_fail(p, "numbers out of order in {} quantifier");
			return -1;
		}
		p->i = end;
		if (p->i < p->len && (p->s[p->i] == '?' || p->s[p->i] == '+'))
			p->i++;	/* lazy or possessive: same language */
		r = lx_new(p, LX_REP);
		p->n[r].min = mn;
		p->n[r].max = mx;
		p->n[r].child = x;
		p->n[r].pos = p->n[x].pos;
		x = r;
	}
}

static int
lx_seq(struct lx_parse *p)
{
	int	 x, a, last = -1;

	x = lx_new(p, LX_CAT);
	while (p->i < p->len) {
		a = lx_atom(p);
		if (a == -2)
			break;
		if (a < 0)
			return -1;
		if ((a = lx_quant(p, a)) < 0)
			return -1;
		lx_append(p, x, &last, a);
	}
	return x;
}

static int
lx_alt(struct lx_parse *p)
{
	int	 x, b, last = -1;

	x = lx_new(p, LX_ALT);
	for (;;) {
		if ((b = lx_seq(p)) < 0)
			return -1;
		lx_append(p, x, &last, b);
		if (p->i < p->len && p->s[p->i] == '|') {
			p->i++;
			continue;
		}
		return x;
	}
}

/* Parses the whole pattern: root node, -1 on error, -2 on give-up. */
static int
lx_parse(struct lx_parse *p, const char *pattern, bool caseless, char *err,
    size_t errlen)
{
	int	 x;

	memset(p, 0, sizeof *p);
	p->s = pattern;
	p->len = strlen(pattern);
	p->caseless = caseless;
	p->err = err;
	p->errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	x = lx_alt(p);
	if (p->failed)
		return -1;
	if (p->giveup != NULL)
		return -2;
	if (x >= 0 && p->i < p->len) {
		lx_fail(p, "unmatched closing parenthesis");
		return -1;
	}
	return x;
}

/* Literal sets. */

enum lx_ikind { LX_I_ANY, LX_I_EXACT, LX_I_MATCH };

struct lx_info {
	enum lx_ikind	 kind;
	char		**v;
	size_t		 n;
};

static void
lx_info_free(struct lx_info *f)
{
	size_t	 i;

	for (i = 0; i < f->n; i++)
		free(f->v[i]);
	free(f->v);
	f->v = NULL;
	f->n = 0;
	f->kind = LX_I_ANY;
}

static void
lx_info_move(struct lx_info *dst, struct lx_info *src)
{
	lx_info_free(dst);
	*dst = *src;
	src->v = NULL;
	src->n = 0;
	src->kind = LX_I_ANY;
}

/* Adds a string unless present; takes ownership. */
static void
lx_info_add(struct lx_info *f, char *s)
{
	size_t	 i;

	for (i = 0; i < f->n; i++) {
		if (strcmp(f->v[i], s) == 0) {
			free(s);
			return;
		}
	}
	f->v = xreallocarray(f->v, f->n + 1, sizeof *f->v);
	f->v[f->n++] = s;
}

static void
lx_info_exact1(struct lx_info *f, const char *s)
{
	lx_info_free(f);
	f->kind = LX_I_EXACT;
	lx_info_add(f, xstrdup(s));
}

/*
 * Turns an exact set into a match set: the strings themselves, minus
 * those containing another member (an occurrence of the longer string
 * implies one of the shorter).  An empty member means no constraint.
 */
static void
lx_to_match(struct lx_info *f)
{
	size_t	 i, j, k;
	bool	*drop;

	if (f->kind != LX_I_EXACT && f->kind != LX_I_MATCH)
		return;
	for (i = 0; i < f->n; i++) {
		if (f->v[i][0] == '\0') {
			lx_info_free(f);
			return;
		}
	}
	drop = xcalloc(f->n, sizeof *drop);
	for (i = 0; i < f->n; i++) {
		for (j = 0; j < f->n; j++) {
			if (j != i && strstr(f->v[i], f->v[j]) != NULL) {
				drop[i] = true;	/* members are distinct */
				break;
			}
		}
	}
	for (i = 0, k = 0; i < f->n; i++) {
		if (drop[i])
			free(f->v[i]);
		else
			f->v[k++] = f->v[i];
	}
	free(drop);
	f->n = k;
	f->kind = f->n > 0 ? LX_I_MATCH : LX_I_ANY;
	if (f->n > LITEX_MAX_LITS)
		lx_info_free(f);
}

static size_t
lx_minlen(const struct lx_info *f)
{
	size_t	 i, m = SIZE_MAX, l;

	for (i = 0; i < f->n; i++)
		if ((l = strlen(f->v[i])) < m)
			m = l;
	return m;
}

/* Is match set a more selective prefilter than b? */
static bool
lx_better(const struct lx_info *a, const struct lx_info *b)
{
	size_t	 la, lb;

	if (a->kind == LX_I_ANY)
		return false;
	if (b->kind == LX_I_ANY)
		return true;
	la = lx_minlen(a);
	lb = lx_minlen(b);
	if (la > 8)
		la = 8;
	if (lb > 8)
		lb = 8;
	if (la != lb)
		return la > lb;
	return a->n < b->n;
}

/* best = the better of best and f (f converted to a match set). */
static void
lx_keep_best(struct lx_info *best, struct lx_info *f)
{
	lx_to_match(f);
	if (lx_better(f, best))
		lx_info_move(best, f);
	else
		lx_info_free(f);
}

/* Cross product of exact sets; false (a unchanged) when too large. */
static bool
lx_cross(struct lx_info *a, const struct lx_info *b)
{
	struct lx_info	 r = { LX_I_EXACT, NULL, 0 };
	size_t		 i, j, la, lb;
	char		*s;

	if (a->n * b->n > LX_EXACT_MAX)
		return false;
	for (i = 0; i < a->n; i++) {
		la = strlen(a->v[i]);
		for (j = 0; j < b->n; j++) {
			lb = strlen(b->v[j]);
			if (la + lb > LX_EXACT_LEN) {
				lx_info_free(&r);
				return false;
			}
			s = xmalloc(la + lb + 1);
			memcpy(s, a->v[i], la);
			memcpy(s + la, b->v[j], lb + 1);
			lx_info_add(&r, s);
		}
	}
	lx_info_move(a, &r);
	a->kind = LX_I_EXACT;
	return true;
}

static void	lx_extract_node(const struct lx_parse *, int, struct lx_info *);

/*
 * The factors of one concatenation that its best set was chosen from: each
 * is required of every match on its own, so the prefilter may ask for all
 * of them at once.
 */
struct lx_factors {
	struct lx_info	*v;
	size_t		 n;
};

static bool
lx_usable(const struct lx_info *f)
{
	return f->kind == LX_I_MATCH && lx_minlen(f) >= LX_USEFUL_LEN &&
	    f->n <= LITEX_MAX_LITS;
}

/* best = the better of best and f; a usable f is also noted in col. */
static void
lx_keep_factor(struct lx_info *best, struct lx_info *f,
    struct lx_factors *col)
{
	struct lx_info	 copy = { LX_I_MATCH, NULL, 0 };
	size_t		 i;

	lx_to_match(f);
	if (col != NULL && lx_usable(f)) {
		for (i = 0; i < f->n; i++)
			lx_info_add(&copy, xstrdup(f->v[i]));
		col->v = xreallocarray(col->v, col->n + 1, sizeof *col->v);
		col->v[col->n++] = copy;
	}
	lx_keep_best(best, f);
}

static void
lx_extract_cat_col(const struct lx_parse *p, int x, struct lx_info *out,
    struct lx_factors *col)
{
	struct lx_info	 best = { LX_I_ANY, NULL, 0 }, run, f;
	bool		 exact = true;
	int		 c;

	memset(&run, 0, sizeof run);
	lx_info_exact1(&run, "");
	for (c = p->n[x].child; c >= 0; c = p->n[c].next) {
		memset(&f, 0, sizeof f);
		lx_extract_node(p, c, &f);
		if (f.kind == LX_I_EXACT) {
			if (lx_cross(&run, &f)) {
				lx_info_free(&f);
				continue;
			}
			exact = false;
			lx_keep_factor(&best, &run, col);
			lx_info_move(&run, &f);
			continue;
		}
		exact = false;
		lx_keep_factor(&best, &run, col);
		lx_info_exact1(&run, "");
		lx_keep_factor(&best, &f, col);
	}
	if (exact) {
		lx_info_move(out, &run);
		lx_info_free(&best);
		return;
	}
	lx_keep_factor(&best, &run, col);
	lx_info_move(out, &best);
}

static void
lx_extract_cat(const struct lx_parse *p, int x, struct lx_info *out)
{
	lx_extract_cat_col(p, x, out, NULL);
}

static void
lx_extract_alt(const struct lx_parse *p, int x, struct lx_info *out)
{
	struct lx_info	 acc = { LX_I_ANY, NULL, 0 }, f;
	size_t		 i;
	int		 c;
	bool		 first = true;

	for (c = p->n[x].child; c >= 0; c = p->n[c].next) {
		memset(&f, 0, sizeof f);
		lx_extract_node(p, c, &f);
		if (first) {
			first = false;
			lx_info_move(&acc, &f);
			if (acc.kind == LX_I_ANY)
				break;
			continue;
		}
		if (f.kind != LX_I_EXACT || acc.kind != LX_I_EXACT ||
		    acc.n + f.n > LX_EXACT_MAX) {
			lx_to_match(&acc);
			lx_to_match(&f);
			if (acc.kind == LX_I_ANY || f.kind == LX_I_ANY ||
			    acc.n + f.n > LITEX_MAX_LITS) {
				lx_info_free(&acc);
				lx_info_free(&f);
				break;
			}
		}
		for (i = 0; i < f.n; i++) {
			lx_info_add(&acc, f.v[i]);
			f.v[i] = NULL;
		}
		f.n = 0;
		lx_info_free(&f);
	}
	if (acc.kind == LX_I_MATCH)
		lx_to_match(&acc);
	lx_info_move(out, &acc);
}

static void
lx_extract_rep(const struct lx_parse *p, int x, struct lx_info *out)
{
	const struct lx_node	*n = &p->n[x];
	struct lx_info		 f = { LX_I_ANY, NULL, 0 }, pw;
	int			 k;

	if (n->max == 0) {
		lx_info_exact1(out, "");
		return;
	}
	lx_extract_node(p, n->child, &f);
	if (n->min == 0) {
		if (f.kind == LX_I_EXACT && n->max == 1 &&
		    f.n < LX_EXACT_MAX) {
			lx_info_add(&f, xstrdup(""));
			lx_info_move(out, &f);
		} else {
			lx_info_free(&f);
			lx_info_free(out);
		}
		return;
	}
	if (f.kind != LX_I_EXACT) {
		lx_info_move(out, &f);
		return;
	}
	/* f{min,max}: the first min repetitions, as far as they stay small. */
	memset(&pw, 0, sizeof pw);
	lx_info_exact1(&pw, "");
	for (k = 0; k < n->min; k++)
		if (!lx_cross(&pw, &f))
			break;
	if (k == 0)
		lx_info_move(&pw, &f);	/* f alone is already too big */
	lx_info_free(&f);
	if (k < n->min || n->max != n->min)
		lx_to_match(&pw);
	lx_info_move(out, &pw);
}

static void
lx_extract_node(const struct lx_parse *p, int x, struct lx_info *out)
{
	const struct lx_node	*n = &p->n[x];
	char			 b[2];
	int			 i;

	lx_info_free(out);
	switch (n->kind) {
	case LX_EMPTY:
	case LX_LOOK:
		lx_info_exact1(out, "");
		return;
	case LX_LIT:
		lx_info_exact1(out, n->lit);
		return;
	case LX_CLASS:
		if (n->nexp <= 0)
			return;
		out->kind = LX_I_EXACT;
		for (i = 0; i < n->nexp; i++) {
			b[0] = n->exp[i];
			b[1] = '\0';
			lx_info_add(out, xstrdup(b));
		}
		return;
	case LX_ANY:
		return;
	case LX_CAT:
		lx_extract_cat(p, x, out);
		return;
	case LX_ALT:
		lx_extract_alt(p, x, out);
		return;
	case LX_REP:
		lx_extract_rep(p, x, out);
		return;
	}
}


/* moves a usable set into ls, the caller's */
static void
lx_give(struct lx_info *f, struct litset *ls)
{
	ls->lits = f->v;
	ls->n = f->n;
	f->v = NULL;
	f->n = 0;
	f->kind = LX_I_ANY;
}

int
litex_extract_factors(const char *pattern, bool caseless, struct litset *sets,
    size_t max, size_t *nsets, char *err, size_t errlen)
{
	struct lx_parse		 p;
	struct lx_info		 f = { LX_I_ANY, NULL, 0 }, t;
	struct lx_factors	 col = { NULL, 0 };
	size_t			 i, j;
	int			 root, x;

	*nsets = 0;
	root = lx_parse(&p, pattern, caseless, err, errlen);
	if (root == -1) {
		free(p.n);
		return -1;
	}
	if (root < 0 || max == 0) {
		free(p.n);
		return 0;
	}
	/* a group around the whole pattern is the pattern */
	for (x = root; (p.n[x].kind == LX_ALT || p.n[x].kind == LX_CAT) &&
	    p.n[x].child >= 0 && p.n[p.n[x].child].next < 0; x = p.n[x].child)
		;
	if (p.n[x].kind == LX_CAT)
		lx_extract_cat_col(&p, x, &f, &col);
	else
		lx_extract_node(&p, x, &f);
	lx_to_match(&f);
	if (col.n == 0) {
		if (lx_usable(&f))
			lx_give(&f, &sets[(*nsets)++]);
	} else {
		/* most selective first: litex_extract takes the first */
		for (i = 1; i < col.n; i++)
			for (j = i; j > 0 && lx_better(&col.v[j], &col.v[j - 1]);
			    j--) {
				t = col.v[j];
				col.v[j] = col.v[j - 1];
				col.v[j - 1] = t;
			}
		for (i = 0; i < col.n && *nsets < max; i++)
			lx_give(&col.v[i], &sets[(*nsets)++]);
	}
	for (i = 0; i < col.n; i++)
		lx_info_free(&col.v[i]);
	free(col.v);
	lx_info_free(&f);
	free(p.n);
	return 0;
}

int
litex_extract(const char *pattern, bool caseless, struct litset *out,
    char *err, size_t errlen)
{
	size_t	n;

	out->lits = NULL;
	out->n = 0;
	return litex_extract_factors(pattern, caseless, out, 1, &n, err,
	    errlen);
}

void
litset_free(struct litset *ls)
{
	size_t	 i;

	if (ls == NULL)
		return;
	for (i = 0; i < ls->n; i++)
		free(ls->lits[i]);
	free(ls->lits);
	ls->lits = NULL;
	ls->n = 0;
}

/*
 * Backtracking risk.
 *
 * Exponential backtracking needs a repeated group (upper bound >= 2) that
 * can split the same text between its iterations in more than one way.
 * We flag two shapes:
 *
 *  1. The group's body starts (after nullable items) with an unbounded
 *     repeat Y* whose last characters can also end the body, or ends
 *     (before nullable items) with one whose first characters can also
 *     start the body: text may then move between Y and the neighbouring
 *     iteration: (a+)+, (\w+\s?)+, (.*a){20}.  (\w+\s+){0,3} is fine:
 *     an iteration must end in \s and the next one starts with \w.
 *  2. The body starts with an alternation whose branches can start with
 *     the same character: (a|ab)*, (a|a)+.
 *
 * Repeats bounded by more than LX_BIGREP count as unbounded.  Polynomial
 * cases outside loops (\w+\w+x) are left to PCRE2's match limit.
 */

struct lx_rinfo {
	bool		 nullable;
	struct lx_cset	 first, last;
};

static void	lx_rinfo(const struct lx_parse *, int, struct lx_rinfo *);

static void
lx_rinfo(const struct lx_parse *p, int x, struct lx_rinfo *r)
{
	const struct lx_node	*n = &p->n[x];
	struct lx_rinfo		 c;
	int			 k;
	bool			 firstdone;

	memset(r, 0, sizeof *r);
	switch (n->kind) {
	case LX_EMPTY:
	case LX_LOOK:
		r->nullable = true;
		return;
	case LX_LIT:
	case LX_CLASS:
	case LX_ANY:
		r->first = r->last = n->cs;
		r->nullable = n->kind == LX_ANY && n->nullable;
		return;
	case LX_REP:
		lx_rinfo(p, n->child, r);
		if (n->min == 0 || n->max == 0)
			r->nullable = true;
		return;
	case LX_ALT:
		for (k = n->child; k >= 0; k = p->n[k].next) {
			lx_rinfo(p, k, &c);
			r->nullable |= c.nullable;
			lx_cs_or(&r->first, &c.first);
			lx_cs_or(&r->last, &c.last);
		}
		return;
	case LX_CAT:
		r->nullable = true;
		firstdone = false;
		for (k = n->child; k >= 0; k = p->n[k].next) {
			lx_rinfo(p, k, &c);
			if (!firstdone)
				lx_cs_or(&r->first, &c.first);
			if (!c.nullable) {
				firstdone = true;
				r->nullable = false;
				memset(&r->last, 0, sizeof r->last);
			}
			lx_cs_or(&r->last, &c.last);
		}
		return;
	}
}

static bool
lx_unbounded(const struct lx_node *n)
{
	return n->kind == LX_REP && (n->max < 0 || n->max > LX_BIGREP);
}

/*
 * Looks for an unbounded repeat at the start (atstart) or end of node x
 * whose edge characters meet edge: shape 1.
 */
static bool
lx_edge_overlap(const struct lx_parse *p, int x, bool atstart,
    const struct lx_cset *edge)
{
	const struct lx_node	*n = &p->n[x];
	struct lx_rinfo		 r;
	int			 k, *kids = NULL, nk = 0, i;
	bool			 found = false;

	switch (n->kind) {
	case LX_REP:
		if (lx_unbounded(n)) {
			lx_rinfo(p, n->child, &r);
			if (lx_cs_meets(atstart ? &r.last : &r.first, edge))
				return true;
		}
		return lx_edge_overlap(p, n->child, atstart, edge);
	case LX_ALT:
		for (k = n->child; k >= 0; k = p->n[k].next)
			if (lx_edge_overlap(p, k, atstart, edge))
				return true;
		return false;
	case LX_CAT:
		for (k = n->child; k >= 0; k = p->n[k].next) {
			kids = xreallocarray(kids, nk + 1, sizeof *kids);
			kids[nk++] = k;
		}
		for (i = 0; i < nk && !found; i++) {
			k = kids[atstart ? i : nk - 1 - i];
			if (lx_edge_overlap(p, k, atstart, edge))
				found = true;
			lx_rinfo(p, k, &r);
			if (!r.nullable)
				break;
		}
		free(kids);
		return found;
	default:
		return false;
	}
}

/* Shape 2: an alternation at the start of x with overlapping branches. */
static bool
lx_alt_overlap(const struct lx_parse *p, int x)
{
	const struct lx_node	*n = &p->n[x];
	struct lx_rinfo		 r;
	struct lx_cset		 seen;
	int			 k;

	switch (n->kind) {
	case LX_ALT:
		memset(&seen, 0, sizeof seen);
		for (k = n->child; k >= 0; k = p->n[k].next) {
			lx_rinfo(p, k, &r);
			if (lx_cs_meets(&seen, &r.first))
				return true;
			lx_cs_or(&seen, &r.first);
		}
		for (k = n->child; k >= 0; k = p->n[k].next)
			if (lx_alt_overlap(p, k))
				return true;
		return false;
	case LX_CAT:
		for (k = n->child; k >= 0; k = p->n[k].next) {
			if (lx_alt_overlap(p, k))
				return true;
			lx_rinfo(p, k, &r);
			if (!r.nullable)
				break;
		}
		return false;
	default:
		return false;
	}
}

/* Checks every repeat in the tree; the first finding wins. */
static int
lx_risky_node(const struct lx_parse *p, int x, char *why, size_t whylen)
{
	const struct lx_node	*n = &p->n[x];
	struct lx_rinfo		 body;
	int			 k;

	/*
	 * Exponential blow-up needs many iterations: a group repeated at most
	 * a few times can only cost a small polynomial, which the match limit
	 * and the build-time probe bound.  Trading characters between
	 * iterations is polynomial of the repeat's degree, so it is refused
	 * from four iterations on; overlapping alternatives only multiply
	 * paths per iteration, so they are refused when unbounded.
	 */
	if (n->kind == LX_REP && (n->max < 0 || n->max >= 4)) {
		lx_rinfo(p, n->child, &body);
		if (lx_edge_overlap(p, n->child, true, &body.last) ||
		    lx_edge_overlap(p, n->child, false, &body.first)) {
			snprintf(why, whylen, "offset %zu: repeated group "
			    "contains an unbounded repeat that can trade "
			    "characters with the next iteration (nested "
			    "quantifiers)", n->pos);
			return 1;
		}
		if (lx_unbounded(n) && lx_alt_overlap(p, n->child)) {
			snprintf(why, whylen, "offset %zu: repeated "
			    "alternation whose branches can start with the "
			    "same character", n->pos);
			return 1;
		}
	}
	for (k = n->child; k >= 0; k = p->n[k].next)
		if (lx_risky_node(p, k, why, whylen))
			return 1;
	return 0;
}

int
litex_risky(const char *pattern, char *why, size_t whylen)
{
	struct lx_parse	 p;
	char		 err[128];
	int		 root, r = 0;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	else {
		why = err;
		whylen = sizeof err;
	}
	root = lx_parse(&p, pattern, false, err, sizeof err);
	if (root == -2) {
		snprintf(why, whylen, "cannot check: %s", p.giveup);
		r = 1;
	} else if (root >= 0)
		r = lx_risky_node(&p, root, why, whylen);
	/* malformed: PCRE2 reports the error, there is nothing to run */
	free(p.n);
	return r;
}

/*
 * Folding.  A lexical pass copies syntax verbatim and rewrites literal
 * characters as nz_fold_literal would: NFKC/casefold/stripmark per
 * character via utf8proc, umlauts to two letters, then runs of the same
 * letter collapsed, but only between plain literal letters (no quantifier
 * on the second, no syntax in between).
 */


static void
lx_put_cp(struct xbuf *b, int32_t cp)
{
	utf8proc_uint8_t	 u[4];
	utf8proc_ssize_t	 n;

	n = utf8proc_encode_char(cp, u);
	xbuf_put(b, (const char *)u, (size_t)n);
}

static bool
lx_is_letter(int32_t cp)
{
	utf8proc_category_t	 c;

	if (cp < 128)
		return isalpha(cp);
	c = utf8proc_category(cp);
	return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
}

/*
 * Folds one character as the normalizer does; writes up to 8 code points
 * to out and returns how many.
 */
static size_t
lx_fold_char(int32_t cp, unsigned folds, int32_t *out)
{
	static const struct {
		int32_t	 from, a, b;
	} um[] = {
		{ 0xe4, 'a', 'e' }, { 0xc4, 'A', 'e' },
		{ 0xf6, 'o', 'e' }, { 0xd6, 'O', 'e' },
		{ 0xfc, 'u', 'e' }, { 0xdc, 'U', 'e' },
		{ 0xdf, 's', 's' }, { 0x1e9e, 'S', 'S' },
	};
	bool			 cf = (folds & NZ_CASEFOLD) != 0;
	utf8proc_uint8_t	 u[4], *m = NULL;
	utf8proc_ssize_t	 n, k, r;
	int			 opts = 0;
	size_t			 i, nout = 0;

	if (folds & NZ_UMLAUT) {
		for (i = 0; i < sizeof um / sizeof um[0]; i++) {
			if (um[i].from != cp)
				continue;
			out[0] = cf ? tolower(um[i].a) : um[i].a;
			out[1] = cf ? tolower(um[i].b) : um[i].b;
			return 2;
		}
	}
	if (cp < 128) {
		out[0] = cf ? tolower(cp) : cp;
		return 1;
	}
	if (folds & NZ_NFKC)
		opts |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
	if (cf)
		opts |= UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD;
	if (folds & NZ_STRIPMARK)
		opts |= UTF8PROC_COMPOSE | UTF8PROC_STRIPMARK;
	out[0] = cp;
	if (opts == 0)
		return 1;
	n = utf8proc_encode_char(cp, u);
	r = utf8proc_map(u, n, &m, (utf8proc_option_t)(opts |
	    UTF8PROC_STABLE));
	if (r < 0)
		return 1;
	for (k = 0; k < r && nout < 8; ) {
		int32_t	 c;

		k += utf8proc_iterate(m + k, r - k, &c);
		out[nout++] = c;
	}
	free(m);
	return nout;
}

/* Length of the group opening at s[i] == '(' that is syntax, not text. */
static size_t
lx_group_head(const char *s, size_t len, size_t i)
{
	size_t	 j = i + 1, k;

	if (j < len && s[j] == '*') {
		for (k = j + 1; k < len && (isalnum((unsigned char)s[k]) ||
		    s[k] == '_'); k++)
			;
		if (k < len && s[k] == ':' && k > j + 1 &&
		    strncmp(s + j + 1, "MARK", 4) != 0 && s[j + 1] != 'M' &&
		    strncmp(s + j + 1, "PRUNE", 5) != 0 &&
		    strncmp(s + j + 1, "SKIP", 4) != 0 &&
		    strncmp(s + j + 1, "THEN", 4) != 0)
			return k + 1 - i;	/* (*pla: ... */
		return lx_skip_to(s, len, j, ')') - i;
	}
	if (j >= len || s[j] != '?')
		return 1;
	j++;
	if (j >= len)
		return j - i;
	switch (s[j]) {
	case ':': case '|': case '>': case '=': case '!': case '*':
		return j + 1 - i;
	case '<':
		if (j + 1 < len && strchr("=!*", s[j + 1]) != NULL)
			return j + 2 - i;
		return lx_skip_to(s, len, j, '>') - i;
	case '\'':
		return lx_skip_to(s, len, j + 1, '\'') - i;
	case 'P':
		if (j + 1 < len && s[j + 1] == '<')
			return lx_skip_to(s, len, j, '>') - i;
		return lx_skip_to(s, len, j, ')') - i;
	case '#': case 'R': case '&': case 'C': case '(': case '+':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return lx_skip_to(s, len, j, ')') - i;
	default:
		break;
	}
	if (s[j] == '-' && j + 1 < len && isdigit((unsigned char)s[j + 1]))
		return lx_skip_to(s, len, j, ')') - i;
	while (j < len && (isalpha((unsigned char)s[j]) || s[j] == '-' ||
	    s[j] == '^'))
		j++;
	if (j < len && (s[j] == ':' || s[j] == ')'))
		j++;
	return j - i;
}

/*
 * Copies the class at s[i] == '[' to b, folding non-ASCII members that
 * fold to one other character.  Returns the index after it, or 0 with err
 * set when a member would fold to several characters.
 */
static size_t
lx_fold_class(const char *s, size_t len, size_t i, unsigned folds,
    struct xbuf *b, char *err, size_t errlen)
{
	size_t	 j = i + 1, n, end;
	bool	 first = true;
	int32_t	 cp, f[8];
	size_t	 nf;
	bool	 neg = false;

	j = lx_class_open(s, len, j, &neg);
	xbuf_put(b, s + i, j - i);
	while (j < len) {
		if (s[j] == ']' && !first) {
			xbuf_put(b, "]", 1);
			return j + 1;
		}
		first = false;
		if (s[j] == '\\') {
			if (j + 1 < len && s[j + 1] == 'Q') {
				for (end = j + 2; end < len; end++)
					if (s[end] == '\\' && end + 1 < len &&
					    s[end + 1] == 'E') {
						end += 2;
						break;
					}
				if (end > len)
					end = len;
			} else
				(void)lx_escape(s, len, j, true, &cp, &end);
			xbuf_put(b, s + j, end - j);
			j = end;
			continue;
		}
		if (s[j] == '[' && j + 1 < len &&
		    strchr(":.=", s[j + 1]) != NULL &&
		    lx_posix(s, len, j, &end)) {
			xbuf_put(b, s + j, end - j);
			j = end;
			continue;
		}
		n = lx_u8len(s + j, len - j, &cp);
		if (cp >= 128) {
			nf = lx_fold_char(cp, folds, f);
			if (nf == 1 && f[0] == cp) {
				/* unchanged */
			} else if (nf == 1 && f[0] >= 128 && s[j - 1] != '-' &&
			    (j + n >= len || s[j + n] != '-')) {
				lx_put_cp(b, f[0]);
				j += n;
				continue;
			} else {
				snprintf(err, errlen, "offset %zu: '%.*s' in a "
				    "character class folds to \"%s\"; write an "
				    "alternation such as (?:ae|a) instead",
				    j, (int)n, s + j, nf > 1 ?
				    "several letters" : "another letter");
				return 0;
			}
		}
		xbuf_put(b, s + j, n);
		j += n;
	}
	snprintf(err, errlen, "offset %zu: missing terminating ] for "
	    "character class", i);
	return 0;
}

char *
litex_fold_pattern(const char *pattern, unsigned folds, char *err,
    size_t errlen)
{
	const char	*s = pattern;
	size_t		 len = strlen(pattern), i = 0, j, n, nf, k;
	struct xbuf	 b = { NULL, 0, 0 };
	int32_t		 cp, next, prev = -1, f[8];
	bool		 quant;
	char		 dummy[1];

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = '\0';
	xbuf_put(&b, "", 0);
	while (i < len) {
		switch (s[i]) {
		case '\\':
			if (i + 1 < len && s[i + 1] == 'Q') {
				for (j = i + 2; j < len; j++)
					if (s[j] == '\\' && j + 1 < len &&
					    s[j + 1] == 'E') {
						j += 2;
						break;
					}
				if (j > len)
					j = len;
			} else
				(void)lx_escape(s, len, i, false, &cp, &j);
			xbuf_put(&b, s + i, j - i);
			i = j;
			prev = -1;
			continue;
		case '[':
			if ((j = lx_fold_class(s, len, i, folds, &b, err,
			    errlen)) == 0) {
				free(b.s);
				return NULL;
			}
			i = j;
			prev = -1;
			continue;
		case '(':
			n = lx_group_head(s, len, i);
			xbuf_put(&b, s + i, n);
			i += n;
			prev = -1;
			continue;
		case ')': case '|': case '^': case '$': case '.':
		case '*': case '+': case '?':
			xbuf_put(&b, s + i, 1);
			i++;
			prev = -1;
			continue;
		case '{':
			{
				int	 mn, mx;

				if (lx_brace(s, len, i, &mn, &mx, &j) != 0) {
					xbuf_put(&b, s + i, j - i);
					i = j;
					prev = -1;
					continue;
				}
			}
			break;
		default:
			break;
		}

		/* A literal character. */
		n = lx_u8len(s + i, len - i, &cp);
		if (cp < 0) {
			xbuf_put(&b, s + i, n);
			i += n;
			prev = -1;
			continue;
		}
		j = i + n;
		if ((folds & NZ_UMLAUT) && strchr("aouAOU", cp != 0 &&
		    cp < 128 ? cp : 'x') != NULL && j < len) {
			/* a + combining diaeresis is an umlaut too */
			if (lx_u8len(s + j, len - j, &next) == 2 &&
			    next == 0x308) {
				cp = cp == 'a' ? 0xe4 : cp == 'o' ? 0xf6 :
				    cp == 'u' ? 0xfc : cp == 'A' ? 0xc4 :
				    cp == 'O' ? 0xd6 : 0xdc;
				j += 2;
			}
		}
		quant = lx_is_quant(s, len, j);
		nf = lx_fold_char(cp, folds, f);
		if (nf == 0 || (nf == 1 && f[0] == cp)) {
			xbuf_put(&b, s + i, j - i);
			nf = 0;
		}
		if (quant) {
			if (nf > 1)
				xbuf_put(&b, "(?:", 3);
			for (k = 0; k < nf; k++) {
				if (f[k] < 128 && strchr("\\^$.|?*+()[]{}",
				    f[k]) != NULL && f[k] != 0)
					xbuf_put(&b, "\\", 1);
				lx_put_cp(&b, f[k]);
			}
			if (nf > 1)
				xbuf_put(&b, ")", 1);
			prev = -1;
			i = j;
			continue;
		}
		if (nf == 0) {
			/* copied as is; may still collapse into prev */
			if ((folds & NZ_COLLAPSE) && lx_is_letter(cp) &&
			    cp == prev)
				b.len -= j - i, b.s[b.len] = '\0';
			prev = lx_is_letter(cp) ? cp : -1;
			i = j;
			continue;
		}
		for (k = 0; k < nf; k++) {
			if ((folds & NZ_COLLAPSE) && lx_is_letter(f[k]) &&
			    f[k] == prev)
				continue;
			if (f[k] < 128 && strchr("\\^$.|?*+()[]{}", f[k]) !=
			    NULL && f[k] != 0)
				xbuf_put(&b, "\\", 1);
			lx_put_cp(&b, f[k]);
			prev = lx_is_letter(f[k]) ? f[k] : -1;
		}
		i = j;
	}
	return b.s;
}
