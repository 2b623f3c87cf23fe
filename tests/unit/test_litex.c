/*
 * test_litex.c: literal extraction, the backtracking check and pattern
 * folding, on the shapes rule authors actually write.  Each expectation
 * is a sorted, comma-joined literal set ("" for none).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litex.h"
#include "normalize.h"
#include "testutil.h"

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The literal set as "a,b,c" (sorted), or "ERR" on failure. */
static const char *
lits(const char *pattern, bool caseless)
{
	static char	 buf[4096];
	struct litset	 ls;
	char		 err[128];
	size_t		 i, len;

	if (litex_extract(pattern, caseless, &ls, err, sizeof err) != 0)
		return "ERR";
	if (ls.n > 0)
		qsort(ls.lits, ls.n, sizeof *ls.lits, cmp);
	buf[0] = '\0';
	for (i = 0, len = 0; i < ls.n && len < sizeof buf; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
		    i > 0 ? "," : "", ls.lits[i]);
	litset_free(&ls);
	return buf;
}

/* Every set litex_extract_factors gives, in its order, as "a,b|c". */
static const char *
factors(const char *pattern)
{
	static char	 buf[4096];
	struct litset	 ls[3];
	char		 err[128];
	size_t		 i, k, n, len = 0;

	if (litex_extract_factors(pattern, true, ls, 3, &n, err,
	    sizeof err) != 0)
		return "ERR";
	buf[0] = '\0';
	for (k = 0; k < n; k++) {
		qsort(ls[k].lits, ls[k].n, sizeof *ls[k].lits, cmp);
		for (i = 0; i < ls[k].n && len < sizeof buf; i++)
			len += (size_t)snprintf(buf + len, sizeof buf - len,
			    "%s%s", i > 0 ? "," : k > 0 ? "|" : "",
			    ls[k].lits[i]);
		litset_free(&ls[k]);
	}
	return buf;
}

static int
risky(const char *pattern)
{
	char	 why[256];

	return litex_risky(pattern, why, sizeof why);
}

static const char *
fold(const char *pattern, unsigned folds)
{
	static char	 buf[1024];
	char		 err[256], *r;

	r = litex_fold_pattern(pattern, folds, err, sizeof err);
	if (r == NULL)
		return "ERR";
	snprintf(buf, sizeof buf, "%s", r);
	free(r);
	return buf;
}

static void
test_extract(void)
{
	/* plain and concatenated literals */
	CHECK_STR(lits("idiot", false), "idiot");
	CHECK_STR(lits("\\bidiot\\b", false), "idiot");
	CHECK_STR(lits("^du bist$", false), "du bist");
	/* cross product through a group */
	CHECK_STR(lits("\\bvoll(idiot|depp)\\w*\\b", false),
	    "volldepp,vollidiot");
	CHECK_STR(lits("\\bvol(?:idiot|dep)\\w*\\b", true),
	    "voldep,volidiot");
	/* the best factor of a sequence */
	CHECK_STR(lits("ab\\w+trottel", false), "trottel");
	CHECK_STR(lits("\\b(du|ihr)\\s+(\\w+\\s+){0,3}(idiot|trottel)", false),
	    "idiot,trottel");
	CHECK_STR(lits("(?:\\s+\\w+){0,3}\\s+arsch", false), "arsch");
	/* optional pieces contribute nothing, or a small exact set */
	CHECK_STR(lits("colou?r", false), "color,colour");
	CHECK_STR(lits("a*", false), "");
	CHECK_STR(lits("(?:foo)?bar", false), "bar");	/* foobar implies bar */
	CHECK_STR(lits("x(?:foo)*bar", false), "bar");
	CHECK_STR(lits("(?:schei)+e", false), "schei");
	/* small classes expand, large ones do not */
	CHECK_STR(lits("gr[ea]n", false), "gran,gren");
	CHECK_STR(lits("[a-z]+dumm", false), "dumm");
	CHECK_STR(lits("[^x]abc", false), "abc");
	/* alternation: union, and any unconstrained branch kills it */
	CHECK_STR(lits("idiot|trottel|depp", false), "depp,idiot,trottel");
	CHECK_STR(lits("idiot|\\w+", false), "");
	CHECK_STR(lits("idiot|", false), "");
	CHECK_STR(lits("(?:foo|foobar)baz", false), "foobarbaz,foobaz");
	/* caseless: lowercase; non-ASCII is unknown */
	CHECK_STR(lits("IDIOT", true), "idiot");
	CHECK_STR(lits("(?i)IDIOT", false), "idiot");
	CHECK_STR(lits("(?i:AB)CD", false), "abCD");
	CHECK_STR(lits("a(?i)BC|DE", false), "abc,de");
	CHECK_STR(lits("GRÖSSE", true), "sse");
	CHECK_STR(lits("größe", false), "größe");
	/* lookarounds, backreferences and zero-width escapes */
	CHECK_STR(lits("(?<=foo)bar", false), "bar");
	CHECK_STR(lits("(?!foo)bar", false), "bar");
	CHECK_STR(lits("(ab)c\\1d", false), "abc");
	CHECK_STR(lits("\\Aabc\\z", false), "abc");
	CHECK_STR(lits("a\\Qb.c\\Ed", false), "ab.cd");
	CHECK_STR(lits("a\\.b", false), "a.b");
	CHECK_STR(lits("\\x41\\x{42}C", false), "ABC");
	CHECK_STR(lits("(?#comment)abc", false), "abc");
	CHECK_STR(lits("[[:alpha:]]]x", false), "]x");
	CHECK_STR(lits("[]a]bc", false), "]bc,abc");
	/* \E, \Q\E and '^' may open a class; a ']' after them is a member */
	CHECK_STR(lits("\n[\\E]E]", false), "\nE,\n]");
	CHECK_STR(lits("[\\Q\\E^]]ab", false), "ab");
	CHECK_STR(lits("[^\\E]x]yz", false), "yz");
	CHECK_STR(lits("[\\E]x]yz", false), "]yz,xyz");
	/*
	 * \E between the ends of a range leaves it a range: [\n\E-\EH] is
	 * \n-H, too large to expand; a quoted character may start one
	 */
	CHECK_STR(lits("xy[\n\\E-\\EH]", false), "xy");
	CHECK_STR(lits("xy[a\\E-\\Ec]", false), "xya,xyb,xyc");
	CHECK_STR(lits("xy[a\\E-\\E]", false), "xy-,xya");
	CHECK_STR(lits("xy[\\Qa\\E-z]", false), "xy");
	CHECK_STR(lits("xy[[-\\Q\\e]g\\E]", false), "xy");
	/* a quantifier after \E takes the last quoted character only */
	CHECK_STR(lits("\n\\Q\bx\\E?]", false), "");
	CHECK_STR(lits("abc\\Qxy\\E?", false), "abc");
	CHECK_STR(lits("\\Qab\\E+", false), "");
	CHECK_STR(lits("\\Qa\\E?bcd", false), "bcd");
	CHECK_STR(lits("\\p{Lu}xyz", false), "xyz");
	/* repeats */
	CHECK_STR(lits("a{3}", false), "aaa");
	CHECK_STR(lits("(?:ab){2,}", false), "abab");
	CHECK_STR(lits("x{,3}abc", false), "abc");
	/* short literals: two bytes kept, one byte is none */
	CHECK_STR(lits("du", false), "du");
	CHECK_STR(lits("a\\w+b", false), "");
	CHECK_STR(lits(".*", false), "");
	/* give up: syntax that changes how the rest reads */
	CHECK_STR(lits("(?x) f o o", false), "");
	CHECK_STR(lits("foo(*ACCEPT)bar", false), "");
	CHECK_STR(lits("(?(1)a|b)", false), "");
	CHECK_STR(lits("(a(?R)?b)", false), "");
	/* malformed */
	CHECK_STR(lits("(abc", false), "ERR");
	CHECK_STR(lits("abc)", false), "ERR");
	CHECK_STR(lits("[abc", false), "ERR");
	CHECK_STR(lits("*abc", false), "ERR");
	CHECK_STR(lits("abc\\", false), "ERR");
}

/* The sets a concatenation needs all at once, most selective first. */
static void
test_factors(void)
{
	CHECK_STR(factors("\\bich\\s+(?:\\w+\\s+){0,2}?(hau|schlag)e?"
	    "\\s+dich\\b"), "dich|ich|hau,schlag");
	/* a group around the whole pattern is the pattern */
	CHECK_STR(factors("(?:\\bdu\\s+(idiot|depp))"), "depp,idiot|du");
	CHECK_STR(factors("((?:\\bdu\\s+(idiot|depp)))"), "depp,idiot|du");
	/* at most three, the longest */
	CHECK_STR(factors("aaa\\s+bbbb\\s+ccccc\\s+dddddd"),
	    "dddddd|ccccc|bbbb");
	/* ties keep the pattern's order, as litex_extract does */
	CHECK_STR(factors("(?:foo)?bar\\s+baz"), "bar|baz");
	CHECK_STR(lits("(?:foo)?bar\\s+baz", true), "bar");
	/* one set where the pattern is no concatenation */
	CHECK_STR(factors("idiot"), "idiot");
	CHECK_STR(factors("idiot|depp"), "depp,idiot");
	CHECK_STR(factors("(?:idiot\\s+du|depp)"), "depp,idiot");
	/* unusable parts are no set: one-byte literals, none at all */
	CHECK_STR(factors("a\\s+bbb"), "bbb");
	CHECK_STR(factors("a\\w+b"), "");
	CHECK_STR(factors("(abc"), "ERR");
}

static void
test_risky(void)
{
	CHECK_INT(risky("(a+)+"), 1);
	CHECK_INT(risky("(\\w*)*"), 1);
	CHECK_INT(risky("(a|ab)*x"), 1);
	CHECK_INT(risky("(.*a){20}"), 1);
	CHECK_INT(risky("(\\w+\\s?)+$"), 1);
	CHECK_INT(risky("(?:a|a)+"), 1);
	CHECK_INT(risky("^(\\d+)*$"), 1);
	CHECK_INT(risky("(?=(a+)+b)"), 1);
	CHECK_INT(risky("(?x)a"), 1);

	CHECK_INT(risky("\\bvoll(idiot|depp)\\w*\\b"), 0);
	CHECK_INT(risky("(?:\\s+\\w+){0,3}\\s+"), 0);
	CHECK_INT(risky("\\b(du|ihr)\\s+(\\w+\\s+){0,3}(idiot|trottel)"), 0);
	CHECK_INT(risky("(?:a+b)+"), 0);
	CHECK_INT(risky("(?:ab|cd)*"), 0);
	CHECK_INT(risky("a+b+c*"), 0);
	CHECK_INT(risky("(abc)?x"), 0);
	CHECK_INT(risky("(\\w+\\s+)+x"), 0);
	CHECK_INT(risky("(abc"), 0);	/* malformed: PCRE2's job */
}

static void
test_fold(void)
{
	unsigned	 all = NZ_FOLDS_NORM;

	CHECK_STR(fold("\\bVoll(idiot|depp)\\b", all), "\\bvol(idiot|dep)\\b");
	CHECK_STR(fold("Scheiße", all), "scheise");
	CHECK_STR(fold("scheisse", all), "scheise");
	CHECK_STR(fold("vol+", all), "vol+");
	CHECK_STR(fold("voll+", all), "voll+");
	CHECK_STR(fold("l(l)", all), "l(l)");
	CHECK_STR(fold("Ärger", all), "aerger");
	CHECK_STR(fold("Bä?r", all), "b(?:ae)?r");
	CHECK_STR(fold("uü", all), "ue");
	CHECK_STR(fold("a\xcc\x88rger", all), "aerger");
	CHECK_STR(fold("Vollidiooot", all), "volidiot");
	CHECK_STR(fold("100", all), "100");
	/* syntax stays: escapes, classes, quantifiers, group names */
	CHECK_STR(fold("\\bAA\\w{2,3}[AB]", all), "\\ba\\w{2,3}[AB]");
	CHECK_STR(fold("(?<Gross>x)\\k<Gross>", all),
	    "(?<Gross>x)\\k<Gross>");
	CHECK_STR(fold("(?i:Mm)", all), "(?i:m)");
	CHECK_STR(fold("\\QAA\\E", all), "\\QAA\\E");
	/* folds not requested are not applied */
	CHECK_STR(fold("Voll", NZ_CASEFOLD), "voll");
	CHECK_STR(fold("Voll", NZ_COLLAPSE), "Vol");
	CHECK_STR(fold("Ärger", NZ_UMLAUT), "Aerger");
	CHECK_STR(fold("Ärger", 0), "Ärger");
	/* umlauts in classes cannot be rewritten */
	CHECK_STR(fold("[äa]", all), "ERR");
	CHECK_STR(fold("[äa]", 0), "[äa]");
	CHECK_STR(fold("[É]", NZ_CASEFOLD), "[é]");
	/* a fold that produces syntax is escaped */
	CHECK_STR(fold("\xef\xbc\x88", NZ_NFKC), "\\(");
}

int
main(void)
{
	test_extract();
	test_factors();
	test_risky();
	test_fold();
	return tu_finish("test_litex");
}
