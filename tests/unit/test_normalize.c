/*
 * test_normalize.c: every fold of normalize.c against the obfuscations it
 * exists for, and against ordinary German text that must come through
 * unharmed.  Also the byte map (a match in the normalized text must point
 * at what the author wrote) and the repairs for hostile input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "normalize.h"
#include "testutil.h"

static struct nz_text tx;

static const char *
view(const char *s, enum nz_view v)
{
	nz_normalize(s, strlen(s), nz_view_folds(v), 0, &tx);
	return tx.s;
}

static const char *
norm(const char *s)
{
	return view(s, NZ_VIEW_NORM);
}

static const char *
fold(const char *s)
{
	return view(s, NZ_VIEW_FOLD);
}

/* Original text behind the first occurrence of needle in the NORM view. */
static char *
orig_of(const char *s, const char *needle)
{
	static char buf[256];
	const char *hit;
	size_t os, oe;

	norm(s);
	hit = strstr(tx.s, needle);
	if (hit == NULL)
		return NULL;
	nz_span_to_orig(&tx, hit - tx.s, hit - tx.s + strlen(needle), &os, &oe);
	snprintf(buf, sizeof(buf), "%.*s", (int)(oe - os), s + os);
	return buf;
}

static char *
lit(const char *s, enum nz_view v)
{
	static char buf[256];
	char *r = nz_fold_literal(s, strlen(s), nz_view_folds(v));

	snprintf(buf, sizeof(buf), "%s", r);
	free(r);
	return buf;
}

static void
test_views(void)
{
	CHECK_STR(nz_view_name(NZ_VIEW_RAW), "raw");
	CHECK_STR(nz_view_name(NZ_VIEW_FOLD), "fold");
	CHECK_STR(nz_view_name(NZ_VIEW_NORM), "norm");
	CHECK_INT(nz_view_from_name("raw"), NZ_VIEW_RAW);
	CHECK_INT(nz_view_from_name("fold"), NZ_VIEW_FOLD);
	CHECK_INT(nz_view_from_name("norm"), NZ_VIEW_NORM);
	CHECK_INT(nz_view_from_name("NORM"), -1);
	CHECK_INT(nz_view_from_name(""), -1);
	CHECK_INT(nz_view_folds(NZ_VIEW_RAW), 0);
	CHECK_INT(nz_view_folds(NZ_VIEW_FOLD), NZ_FOLDS_FOLD);
	CHECK_INT(nz_view_folds(NZ_VIEW_NORM), NZ_FOLDS_NORM);
}

static void
test_nfkc_case(void)
{
	CHECK_STR(norm("\xf0\x9d\x90\x80\xf0\x9d\x90\xab\xf0\x9d\x90\xac"
	    "\xf0\x9d\x90\x9c\xf0\x9d\x90\xa1"), "arsch");	/* bold */
	CHECK_STR(fold("\xef\xbc\xa1\xef\xbd\x92\xef\xbd\x93\xef\xbd\x83"
	    "\xef\xbd\x88"), "arsch");			/* fullwidth */
	CHECK_STR(fold("\xef\xac\x81nde"), "finde");	/* fi ligature */
	CHECK_STR(fold("x\xc2\xb2"), "x2");		/* superscript */
	CHECK_STR(fold("\xe2\x92\xb6rsch"), "arsch");	/* circled A */
	CHECK_STR(fold("Caf\xc3\xa9 CR\xc3\x88ME"), "cafe creme");
	CHECK_STR(fold("Cafe\xcc\x81"), "cafe");	/* combining acute */
	/* Without STRIPMARK, NFKC keeps (and composes) the accent. */
	nz_normalize("\xc3\x89", 2, NZ_NFKC | NZ_CASEFOLD, 0, &tx);
	CHECK_STR(tx.s, "\xc3\xa9");
	nz_normalize("ABC", 3, NZ_NFKC, 0, &tx);
	CHECK_STR(tx.s, "ABC");
}

static void
test_umlaut(void)
{
	CHECK_STR(fold("\xc3\x84rger"), "aerger");
	CHECK_STR(fold("sch\xc3\xb6n \xc3\xbc""ber"), "schoen ueber");
	CHECK_STR(fold("A\xcc\x88rger"), "aerger");	/* A + U+0308 */
	CHECK_STR(fold("so\xcc\x88hne"), "soehne");
	CHECK_STR(fold("Schei\xc3\x9f""e"), "scheisse");
	CHECK_STR(fold("GRO\xe1\xba\x9e"), "gross");	/* capital sharp s */
	CHECK_STR(norm("Schei\xc3\x9f""e"), "scheise");
	CHECK_STR(fold("na\xc3\xafv"), "naiv");	/* other diaeresis: stripped */
	nz_normalize("\xc3\x84\xc3\x9f", 4, NZ_UMLAUT, 0, &tx);
	CHECK_STR(tx.s, "Aess");
	nz_normalize("\xc3\xa4", 2, NZ_UMLAUT | NZ_NFKC, 0, &tx);
	CHECK_STR(tx.s, "ae");
	/* Without UMLAUT, STRIPMARK alone gives the bare vowel. */
	nz_normalize("\xc3\xa4", 2, NZ_STRIPMARK, 0, &tx);
	CHECK_STR(tx.s, "a");
}

static void
test_invisible(void)
{
	CHECK_STR(fold("Id\xe2\x80\x8bi\xe2\x80\x8co\xe2\x80\x8dt"), "idiot");
	CHECK_STR(fold("Ar\xc2\xadsch"), "arsch");		/* soft hyphen */
	CHECK_STR(fold("\xef\xbb\xbfHallo"), "hallo");	/* BOM */
	CHECK_STR(fold("a\xe2\x80\xae" "b\xe2\x80\xac" "c"), "abc");	/* bidi */
	CHECK_STR(fold("a\xe2\x81\xa6""b\xe2\x81\xa9"), "ab");	/* isolates */
	CHECK_STR(fold("a\xe2\x81\xa0" "b"), "ab");		/* word joiner */
	CHECK_STR(fold("x\xef\xb8\x8fy"), "xy");	/* variation selector */
	CHECK_STR(fold("a\x01\x1b[31mb"), "a[31mb");
	CHECK_STR(fold("a\tb\nc\r\nd"), "a b c  d");
	CHECK_STR(norm("eins\tzwei\ndrei\r\nvier"), "eins zwei drei vier");
	CHECK_STR(fold("a\xc2\xa0""b\xe2\x80\xa8""c"), "a b c");
	CHECK_STR(view("A\tB\n", NZ_VIEW_RAW), "A\tB\n");
}

static void
test_homoglyph(void)
{
	/* Cyrillic а, о, р, с, е in otherwise Latin words. */
	CHECK_STR(norm("\xd0\xb0rs\xd1\x81h"), "arsch");
	CHECK_STR(norm("Id\xd1\x96\xd0\xbet"), "idiot");
	CHECK_STR(norm("\xd0\x90\xd0\xa0\xd0\xa1\xd0\x9d"), "apch");	/* АРСН */
	CHECK_STR(norm("\xd0\x9d\xd1\x83r\xd0\xb5"), "hyre");
	/* Greek: capital Eta looks like H, small eta like n. */
	CHECK_STR(norm("\xce\x97\xce\xb1llo"), "halo");
	CHECK_STR(norm("\xce\xb7\xce\xb1zi"), "nazi");
	CHECK_STR(norm("\xce\xbd\xce\xbfll"), "vol");
	CHECK_STR(norm("\xce\xac"), "a");	/* alpha with tonos */
	/* FOLD leaves the script alone. */
	CHECK_STR(fold("\xd0\xb0"), "\xd0\xb0");
	/* Letters without a Latin twin stay. */
	CHECK_STR(norm("\xd0\xb6\xd0\xb4"), "\xd0\xb6\xd0\xb4");
}

static void
test_leet(void)
{
	CHECK_STR(norm("1d10t"), "idiot");
	CHECK_STR(norm("V0llidiot"), "volidiot");
	CHECK_STR(norm("@rschloch"), "arschloch");
	CHECK_STR(norm("Schei$$e"), "scheise");
	CHECK_STR(norm("H3tze"), "hetze");
	CHECK_STR(norm("N4z1"), "nazi");
	CHECK_STR(norm("H\xe2\x82\xac" "tze"), "hetze");	/* € */
	CHECK_STR(norm("Id!ot"), "idiot");
	CHECK_STR(norm("ID!OT"), "idiot");
	CHECK_STR(norm("5chlampe"), "schlampe");

	/* Numbers stay numbers. */
	CHECK_STR(norm("Tel. 030 1234"), "tel. 030 1234");
	CHECK_STR(norm("Tel. 030 12345678"), "tel. 030 12345678");
	CHECK_STR(norm("Das kostet 5 Euro"), "das kostet 5 euro");
	CHECK_STR(norm("seit 2019"), "seit 2019");
	CHECK_STR(norm("100% sicher"), "100% sicher");
	CHECK_STR(norm("3er BMW"), "3er bmw");
	CHECK_STR(norm("10er"), "10er");
	CHECK_STR(norm("5km"), "5km");
	CHECK_STR(norm("B52 und A7"), "b52 und a7");
	CHECK_STR(norm("MP3"), "mp3");
	CHECK_STR(norm("1.000 $"), "1.000 $");
	CHECK_STR(norm("Preis: 5$"), "preis: 5$");
	CHECK_STR(norm("Gut!Und"), "gut!und");
	CHECK_STR(norm("Hallo!"), "halo!");
	CHECK_STR(norm("Wow !!!"), "wow !!!");
	/* FOLD never applies leet. */
	CHECK_STR(fold("1d10t @rschloch"), "1d10t @rschloch");
}

static void
test_join(void)
{
	CHECK_STR(norm("A-r-s-c-h-l-o-c-h"), "arschloch");
	CHECK_STR(norm("V o l l i d i o t"), "volidiot");
	CHECK_STR(norm("I.D.I.O.T"), "idiot");
	CHECK_STR(norm("du I.D.I.O.T."), "du idiot.");
	CHECK_STR(norm("N_a_z_i"), "nazi");
	CHECK_STR(norm("A*r*s*c*h"), "arsch");
	CHECK_STR(norm("I. D. I. O. T."), "idiot.");
	CHECK_STR(norm("V.0.l.l.i.d.1.o.t"), "volidiot");
	CHECK_STR(norm("A-r-s-c-hloch"), "arschloch");
	CHECK_STR(norm("Arsch-l-o-c-h"), "arschloch");
	CHECK_STR(norm("V.o.l.l.i-d-i-o-t"), "volidiot");
	CHECK_STR(norm("V o l l idiot"), "vol idiot");	/* spaces: no glue */
	CHECK_STR(norm("A\xc2\xb7r\xc2\xb7s\xc2\xb7""c\xc2\xb7h"), "arsch");

	/* Abbreviations, single-letter words and numbers stay apart. */
	CHECK_STR(norm("z. B. das"), "z. b. das");
	CHECK_STR(norm("u. a. hier"), "u. a. hier");
	CHECK_STR(norm("a b"), "a b");
	CHECK_STR(norm("Ich habe a und b"), "ich habe a und b");
	CHECK_STR(norm("Ich habe a, b und c"), "ich habe a, b und c");
	CHECK_STR(norm("Tel. 0 3 0 1 2"), "tel. 0 3 0 1 2");
	CHECK_STR(norm("E-Mail-Adresse"), "e-mail-adrese");
	CHECK_STR(norm("3 x 4 = 12"), "3 x 4 = 12");
	CHECK_STR(fold("A-r-s-c-h"), "a-r-s-c-h");
}

static void
test_collapse(void)
{
	CHECK_STR(norm("Vollidiooooot"), "volidiot");
	CHECK_STR(norm("Arschhhhh"), "arsch");
	CHECK_STR(norm("2000 Leute"), "2000 leute");
	CHECK_STR(norm("a    b"), "a b");
	CHECK_STR(fold("Vollidiooot"), "vollidiooot");
	CHECK_STR(norm("H*rens*hn"), "h*rens*hn");	/* '*' kept in words */
}

static void
test_harmless(void)
{
	CHECK_STR(norm("Analyse"), "analyse");
	CHECK_STR(norm("Arschbombe"), "arschbombe");
	CHECK_STR(norm("Schwarzwald"), "schwarzwald");
	CHECK_STR(norm("Dummerstorf"), "dumerstorf");
	CHECK_STR(norm("Ich bin's"), "ich bin's");
	CHECK_STR(norm("Das ist gut, danke."), "das ist gut, danke.");
	CHECK_STR(fold("Siehe https://Example.org/Pfad?a=1&b=2"),
	    "siehe https://example.org/pfad?a=1&b=2");
	CHECK_STR(fold("IBAN DE89 3704 0044 0532 0130 00"),
	    "iban de89 3704 0044 0532 0130 00");
	CHECK_STR(view("Ärger 1d10t", NZ_VIEW_RAW), "Ärger 1d10t");
	CHECK_STR(norm(""), "");
}

static void
test_literal(void)
{
	CHECK_STR(lit("Vollidiot", NZ_VIEW_NORM), norm("Vollidiot"));
	CHECK_STR(lit("Scheiße", NZ_VIEW_NORM), "scheise");
	CHECK_STR(lit("Ärger", NZ_VIEW_NORM), "aerger");
	CHECK_STR(lit("Ärger", NZ_VIEW_FOLD), "aerger");
	CHECK_STR(lit("4chan", NZ_VIEW_NORM), "4chan");		/* no leet */
	CHECK_STR(lit("a-b-c", NZ_VIEW_NORM), "a-b-c");		/* no join */
	CHECK_STR(lit("\xd0\xb0rsch", NZ_VIEW_NORM), "arsch");
	CHECK_STR(lit("Arsch", NZ_VIEW_RAW), "Arsch");
	CHECK_STR(lit("", NZ_VIEW_NORM), "");
	CHECK_STR(lit("Hurensohn", NZ_VIEW_NORM), norm("H u r e n s o h n"));
}

static void
test_map(void)
{
	const char *s = "Du V.0.l.l.i.d.1.o.t!";
	size_t os, oe, i;

	CHECK_STR(norm(s), "du volidiot!");
	CHECK_STR(orig_of(s, "volidiot"), "V.0.l.l.i.d.1.o.t");
	CHECK_STR(orig_of("So ein Arschhhhh.", "arsch"), "Arschhhhh");
	CHECK_STR(orig_of("Du \xc3\x84rger", "aerger"), "\xc3\x84rger");
	CHECK_STR(orig_of("Du \xc3\x84rger", "e"), "\xc3\x84");
	CHECK_STR(orig_of("x \xf0\x9d\x90\x80\xf0\x9d\x90\xab\xf0\x9d\x90\xac"
	    "\xf0\x9d\x90\x9c\xf0\x9d\x90\xa1 y", "arsch"),
	    "\xf0\x9d\x90\x80\xf0\x9d\x90\xab\xf0\x9d\x90\xac"
	    "\xf0\x9d\x90\x9c\xf0\x9d\x90\xa1");
	CHECK_STR(orig_of("Id\xe2\x80\x8bi\xe2\x80\x8bot hier", "idiot"),
	    "Id\xe2\x80\x8bi\xe2\x80\x8bot");
	CHECK_STR(orig_of("na @rschloch", "arschloch"), "@rschloch");

	/* Bytes of one output character share a span. */
	norm("\xc3\xa4\xd0\xb6");
	CHECK_STR(tx.s, "ae\xd0\xb6");
	CHECK_INT(tx.start[2], 2);
	CHECK_INT(tx.start[3], 2);
	CHECK_INT(tx.end[2], 4);
	CHECK_INT(tx.end[3], 4);

	/* Spans are monotone and inside the input. */
	s = "W\xc3\xa4hrend 1d10t-I-D-I-O-T \xef\xac\x81 \xe2\x80\x8bX";
	norm(s);
	for (i = 0; i < tx.len; i++) {
		CHECK(tx.start[i] < tx.end[i]);
		CHECK(tx.end[i] <= strlen(s));
		if (i > 0)
			CHECK(tx.start[i] >= tx.start[i - 1] &&
			    tx.end[i] >= tx.end[i - 1]);
	}
	nz_span_to_orig(&tx, 0, tx.len, &os, &oe);
	CHECK_INT(os, 0);
	CHECK_INT(oe, strlen(s));
	nz_span_to_orig(&tx, 3, 3, &os, &oe);
	CHECK_INT(os, oe);
	nz_span_to_orig(&tx, 5, 1000, &os, &oe);
	CHECK_INT(oe, strlen(s));
}

static void
test_hostile(void)
{
	static const char bad[] = "a\xff" "b\xc3" "c\xe2\x82" "d\xed\xa0\x80"
	    "e\xc0\xaf" "f\xf4\x90\x80\x80" "g";
	char *big;
	size_t i, n = 1024 * 1024;

	nz_normalize(bad, sizeof(bad) - 1, 0, 0, &tx);
	CHECK_INT(tx.notes, NZ_NOTE_INVALID_UTF8);
	/* One U+FFFD per maximal ill-formed subpart. */
	CHECK_STR(tx.s, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd"
	    "d\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    "e\xef\xbf\xbd\xef\xbf\xbd"
	    "f\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "g");
	nz_normalize("abc\xe2\x82", 5, NZ_FOLDS_NORM, 0, &tx);
	CHECK_STR(tx.s, "abc\xef\xbf\xbd");
	CHECK_INT(tx.start[3], 3);
	CHECK_INT(tx.end[3], 5);
	/* An honest U+FFFD in the input is not a note. */
	nz_normalize("\xef\xbf\xbd", 3, 0, 0, &tx);
	CHECK_INT(tx.notes, 0);

	nz_normalize("Id\0iot", 6, NZ_FOLDS_NORM, 0, &tx);
	CHECK_STR(tx.s, "idiot");
	CHECK_INT(tx.len, 5);
	CHECK_INT(tx.notes, NZ_NOTE_NUL);
	nz_normalize("\0\0", 2, 0, 0, &tx);
	CHECK_INT(tx.len, 0);
	CHECK_STR(tx.s, "");

	nz_normalize(NULL, 0, NZ_FOLDS_NORM, 0, &tx);
	CHECK_STR(tx.s, "");

	big = malloc(n);
	for (i = 0; i < n; i++)
		big[i] = "ab\xc3\xa4 "[i % 5];
	nz_normalize(big, n, NZ_FOLDS_NORM, 0, &tx);
	CHECK_INT(tx.notes, NZ_NOTE_TRUNCATED);
	CHECK(tx.end[tx.len - 1] <= NZ_DEFAULT_CAP);
	CHECK_INT(strlen(tx.s), tx.len);

	/* The cap never splits a sequence: "aa" + ä with cap 3. */
	nz_normalize("aa\xc3\xa4", 4, 0, 3, &tx);
	CHECK_STR(tx.s, "aa");
	CHECK_INT(tx.notes, NZ_NOTE_TRUNCATED);
	nz_normalize("a\xf0\x9d\x90\x80", 5, 0, 4, &tx);
	CHECK_STR(tx.s, "a");
	CHECK_INT(tx.notes, NZ_NOTE_TRUNCATED);
	nz_normalize("\xf0\x9d\x90\x80", 4, 0, 2, &tx);
	CHECK_STR(tx.s, "");
	nz_normalize("abcdef", 6, 0, 4, &tx);
	CHECK_STR(tx.s, "abcd");

	/* Worst-case expansion: U+FDFA is 18 code points under NFKC. */
	for (i = 0; i + 3 <= 3000; i += 3)
		memcpy(big + i, "\xef\xb7\xba", 3);
	nz_normalize(big, 3000, NZ_FOLDS_NORM, 0, &tx);
	CHECK(tx.len > 3000);
	CHECK_INT(strlen(tx.s), tx.len);
	free(big);
}

static void
test_reuse(void)
{
	struct nz_text t = { 0 };
	char *p;

	nz_normalize("Hallo Welt", 10, NZ_FOLDS_NORM, 0, &t);
	p = t.s;
	nz_normalize("Servus", 6, NZ_FOLDS_NORM, 0, &t);
	CHECK(t.s == p);	/* no reallocation for small inputs */
	CHECK_STR(t.s, "servus");
	nz_text_free(&t);
	CHECK(t.s == NULL && t.cap == 0);
	nz_text_free(&t);
}

int
main(void)
{
	test_views();
	test_nfkc_case();
	test_umlaut();
	test_invisible();
	test_homoglyph();
	test_leet();
	test_join();
	test_collapse();
	test_harmless();
	test_literal();
	test_map();
	test_hostile();
	test_reuse();
	nz_text_free(&tx);
	return tu_finish("test_normalize");
}
