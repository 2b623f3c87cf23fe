/*
 * scanners.c: the hand-written finders behind scanners.h.  Each kind is
 * one matcher that is tried at every byte offset; a hit moves the scan past
 * its end, so hits come out ordered and never overlap.  Every matcher looks
 * at a bounded window (an IBAN is at most 34 characters, a host at most 253,
 * a phone number at most 12 national digits), except that a URL's path is
 * consumed only once it is certain to be a hit, so a scan is linear in the
 * input.  Nothing here allocates.
 *
 * The finders match ASCII only.  A byte >= 0x80 never belongs to a hit, so
 * a span cannot split a UTF-8 sequence.  For word boundaries the character
 * next to a candidate is decoded: a non-ASCII letter, digit or mark (ä, ß,
 * é) continues the word, so "Größe0171..." or "müll.de" are not cut into
 * an ASCII fragment that happens to match, while typographic punctuation
 * („“ … – → and the no-break space) is a boundary like its ASCII cousins.
 * Invalid UTF-8 counts as a letter: no hits glued to garbage.
 *
 * The scanners favour precision: they exist to flag personal data and spam
 * links in comments, and a false hit on a date or a paragraph of law costs
 * an editor's time.  Where a form is ambiguous, the comment at the matcher
 * says what was decided.  Rules, categories and actions are not our
 * business; ruleset.c decides what a hit means.
 */
#include <stddef.h>
#include <string.h>
#include <utf8proc.h>

#include "scanners.h"

#define SC_EOF		(-1)
#define IBAN_MAXLEN	34
#define HOST_MAXLEN	253
#define LABEL_MAXLEN	63
#define LABELS_MAX	128		/* 253 bytes hold at most 127 labels */
#define LOCAL_MAXLEN	64		/* RFC 5321 */
#define TLD_MAXLEN	24
#define PHONE_NSN_MIN	8	/* "030 123456" and shorter are too ambiguous */
#define PHONE_NSN_MAX	12

static const char *const scanner_names[SCAN_COUNT] = {
	[SCAN_IBAN] = "iban",
	[SCAN_PHONE] = "phone",
	[SCAN_TAXID] = "taxid",
	[SCAN_EMAIL] = "email",
	[SCAN_URL] = "url",
	[SCAN_SHORTENER] = "shortener",
};

/*
 * IBAN lengths from the SWIFT IBAN registry: all SEPA countries and
 * territories plus the other registered countries.  The check digits make
 * a wrong length harmless in the checksum sense, but the length is what
 * tells the scanner where an IBAN without spaces ends.
 */
static const struct iban_country {
	char		cc[3];
	unsigned char	len;
} iban_countries[] = {
	{ "AD", 24 }, { "AE", 23 }, { "AL", 28 }, { "AT", 20 }, { "AX", 18 },
	{ "AZ", 28 }, { "BA", 20 }, { "BE", 16 }, { "BG", 22 }, { "BH", 22 },
	{ "BI", 27 }, { "BL", 27 }, { "BR", 29 }, { "BY", 28 }, { "CH", 21 },
	{ "CR", 22 }, { "CY", 28 }, { "CZ", 24 }, { "DE", 22 }, { "DJ", 27 },
	{ "DK", 18 }, { "DO", 28 }, { "EE", 20 }, { "EG", 29 }, { "ES", 24 },
	{ "FI", 18 }, { "FK", 18 }, { "FO", 18 }, { "FR", 27 }, { "GB", 22 },
	{ "GE", 22 }, { "GF", 27 }, { "GI", 23 }, { "GL", 18 }, { "GP", 27 },
	{ "GR", 27 }, { "GT", 28 }, { "HR", 21 }, { "HU", 28 }, { "IE", 22 },
	{ "IL", 23 }, { "IQ", 23 }, { "IS", 26 }, { "IT", 27 }, { "JO", 30 },
	{ "KW", 30 }, { "KZ", 20 }, { "LB", 28 }, { "LC", 32 }, { "LI", 21 },
	{ "LT", 20 }, { "LU", 20 }, { "LV", 21 }, { "LY", 25 }, { "MC", 27 },
	{ "MD", 24 }, { "ME", 22 }, { "MF", 27 }, { "MK", 19 }, { "MN", 20 },
	{ "MQ", 27 }, { "MR", 27 }, { "MT", 31 }, { "MU", 30 }, { "NC", 27 },
	{ "NI", 28 }, { "NL", 18 }, { "NO", 15 }, { "OM", 23 }, { "PF", 27 },
	{ "PK", 24 }, { "PL", 28 }, { "PM", 27 }, { "PS", 29 }, { "PT", 25 },
	{ "QA", 29 }, { "RE", 27 }, { "RO", 24 }, { "RS", 22 }, { "RU", 33 },
	{ "SA", 24 }, { "SC", 31 }, { "SD", 18 }, { "SE", 24 }, { "SI", 19 },
	{ "SK", 24 }, { "SM", 27 }, { "SO", 23 }, { "ST", 25 }, { "SV", 28 },
	{ "TF", 27 }, { "TL", 23 }, { "TN", 24 }, { "TR", 26 }, { "UA", 29 },
	{ "VA", 22 }, { "VG", 24 }, { "WF", 27 }, { "XK", 20 }, { "YE", 30 },
	{ "YT", 27 },
};

/*
 * Top-level domains a bare "name.tld" may end in.  With "http(s)://" or
 * "www." in front any alphabetic TLD is accepted; without, the TLD is all
 * the evidence there is, so this list leaves out TLDs that are also German
 * or English words or common file extensions: es, it, in, is, am, im, so,
 * do, be, no, sh, md, rs, py, ai, ps, zip, mov, app.
 */
static const char *const url_bare_tlds[] = {
	"at", "biz", "blog", "by", "cc", "cf", "ch", "click", "cloud", "club",
	"cn", "co", "com", "cz", "de", "dev", "dk", "ee", "email", "eu", "fi",
	"fr", "ga", "gg", "gq", "gr", "hr", "hu", "ie", "info", "io", "jp",
	"kz", "li", "link", "live", "lt", "lu", "lv", "ly", "me", "ml",
	"mobi", "net", "news", "nl", "online", "org", "pl", "pro", "pt", "pw",
	"ro", "ru", "se", "shop", "si", "site", "sk", "store", "su", "tech",
	"tk", "to", "top", "tr", "tv", "ua", "uk", "us", "vip", "website",
	"win", "ws", "xyz",
};

/* Link shorteners and messenger invites; compared after dropping "www.". */
static const char *const url_shorteners[] = {
	"amzn.to", "bit.ly", "bitly.com", "bl.ink", "buff.ly",
	"chat.whatsapp.com", "cutt.ly", "discord.gg", "fb.me", "goo.gl",
	"is.gd", "linktr.ee", "lnkd.in", "m.me", "ow.ly", "qrco.de", "rb.gy",
	"rebrand.ly", "s.id", "shorturl.at", "t.co", "t.ly", "t.me",
	"telegram.me", "tiny.cc", "tinyurl.com", "v.gd", "wa.me", "youtu.be",
};

/* --- characters ------------------------------------------------------ */

/* The byte at i, or SC_EOF outside the text; i - 1 at 0 wraps and is EOF. */
static int
sc_at(const char *s, size_t len, size_t i)
{
	return i < len ? (unsigned char)s[i] : SC_EOF;
}

static int
sc_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
sc_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
sc_alnum(int c)
{
	return sc_digit(c) || sc_alpha(c);
}

static int
sc_upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

static int
sc_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Whether code point cp (decoded from non-ASCII bytes) is a word character. */
static int
sc_word_cp(utf8proc_int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return 1;
	default:
		return 0;
	}
}

/* Whether the character starting at byte i continues a word. */
static int
sc_word_after(const char *s, size_t len, size_t i)
{
	utf8proc_int32_t	 cp;
	int			 c = sc_at(s, len, i);

	if (c < 0x80)
		return sc_alnum(c);
	if (utf8proc_iterate((const utf8proc_uint8_t *)s + i,
	    (utf8proc_ssize_t)(len - i < 4 ? len - i : 4), &cp) < 0)
		return 1;
	return sc_word_cp(cp);
}

/*
 * Whether the character ending at byte i - 1 continues a word: step back
 * over at most three continuation bytes to the lead byte and decode.
 */
static int
sc_word_before(const char *s, size_t len, size_t i)
{
	utf8proc_int32_t	 cp;
	size_t			 k = i;
	int			 c = sc_at(s, len, i - 1);

	if (c < 0x80)
		return sc_alnum(c);
	while (k > 0 && i - k < 4 && ((unsigned char)s[k - 1] & 0xc0) == 0x80)
		k--;
	if (k == 0 || i - k == 4)
		return 1;
	k--;
	if (utf8proc_iterate((const utf8proc_uint8_t *)s + k,
	    (utf8proc_ssize_t)(i - k), &cp) != (utf8proc_ssize_t)(i - k))
		return 1;
	return sc_word_cp(cp);
}

/* Punctuation that joins digits into one number: "1.299", "12-34", "3/21". */
static int
sc_numsep(int c)
{
	return c == '.' || c == ',' || c == '-' || c == '/';
}

/*
 * True when the digits starting at i continue a number on the left, as in
 * "0044 0532" or "12.0171": one separator, blank or punctuation, with a
 * digit before it.
 */
static int
sc_number_before(const char *s, size_t len, size_t i)
{
	int	c = sc_at(s, len, i - 1);

	if (sc_digit(c))
		return 1;
	return (c == ' ' || sc_numsep(c)) && sc_digit(sc_at(s, len, i - 2));
}

/* The same on the right of the digits ending before i. */
static int
sc_number_after(const char *s, size_t len, size_t i)
{
	int	c = sc_at(s, len, i);

	if (sc_digit(c))
		return 1;
	return (c == ' ' || sc_numsep(c)) && sc_digit(sc_at(s, len, i + 1));
}

/* Case-insensitive compare of text[i..i+n) with the lowercase word w. */
static int
sc_word_at(const char *s, size_t len, size_t i, const char *w)
{
	size_t	n = strlen(w), k;

	if (i > len || len - i < n)
		return 0;
	for (k = 0; k < n; k++)
		if (sc_lower((unsigned char)s[i + k]) != w[k])
			return 0;
	return 1;
}

/* Case-insensitive compare of text[i..i+n) with a table entry of length n. */
static int
sc_span_is(const char *s, size_t i, size_t n, const char *w)
{
	size_t	k;

	if (strlen(w) != n)
		return 0;
	for (k = 0; k < n; k++)
		if (sc_lower((unsigned char)s[i + k]) != w[k])
			return 0;
	return 1;
}

/* --- names ----------------------------------------------------------- */

const char *
scanner_name(enum scanner_kind k)
{
	if ((int)k < 0 || k >= SCAN_COUNT)
		return NULL;
	return scanner_names[k];
}

int
scanner_from_name(const char *name)
{
	int	k;

	if (name == NULL)
		return -1;
	for (k = 0; k < SCAN_COUNT; k++)
		if (strcmp(scanner_names[k], name) == 0)
			return k;
	return -1;
}

/* --- IBAN ------------------------------------------------------------ */

static int
iban_length(int a, int b)
{
	size_t	k;

	a = sc_upper(a);
	b = sc_upper(b);
	for (k = 0; k < sizeof iban_countries / sizeof iban_countries[0]; k++)
		if (iban_countries[k].cc[0] == a && iban_countries[k].cc[1] == b)
			return iban_countries[k].len;
	return 0;
}

/*
 * ISO 13616: the country code and check digits move to the end, letters
 * become 10..35, and the number must be 1 mod 97.  The remainder is kept
 * small by folding one digit (or one two-digit letter) at a time.  Check
 * digits 00, 01 and 99 also satisfy the congruence for some BBANs (as
 * aliases of 97, 98 and 02) but are never issued, so they are refused.
 */
int
scanner_iban_valid(const char *compact, size_t len)
{
	unsigned	 rem = 0, cd;
	size_t		 k, j;
	int		 c;

	if (compact == NULL || len < 5 || len > IBAN_MAXLEN)
		return 0;
	if (!sc_alpha((unsigned char)compact[0]) ||
	    !sc_alpha((unsigned char)compact[1]) ||
	    !sc_digit((unsigned char)compact[2]) ||
	    !sc_digit((unsigned char)compact[3]))
		return 0;
	if ((size_t)iban_length((unsigned char)compact[0],
	    (unsigned char)compact[1]) != len)
		return 0;
	cd = (compact[2] - '0') * 10 + (compact[3] - '0');
	if (cd < 2 || cd > 98)
		return 0;
	for (j = 0; j < len; j++) {
		k = (j + 4) % len;
		c = sc_upper((unsigned char)compact[k]);
		if (sc_digit(c))
			rem = (rem * 10 + (c - '0')) % 97;
		else if (sc_alpha(c))
			rem = (rem * 100 + (c - 'A' + 10)) % 97;
		else
			return 0;
	}
	return rem == 1;
}

/*
 * An IBAN is written either in one run or in groups of four separated by
 * single spaces (the paper form, DIN 5008); whichever the first group
 * shows is required throughout.  The country's length says where it ends,
 * and the byte after it must not continue a word.  "IBAN:" in front needs
 * no special case: ':' is a boundary.
 */
static int
iban_match(const char *s, size_t len, size_t i, struct scan_hit *h)
{
	char	 buf[IBAN_MAXLEN];
	size_t	 n, p;
	int	 want, grouped, c;

	if (sc_word_before(s, len, i) ||
	    !sc_alpha(sc_at(s, len, i)) || !sc_alpha(sc_at(s, len, i + 1)) ||
	    !sc_digit(sc_at(s, len, i + 2)) || !sc_digit(sc_at(s, len, i + 3)))
		return 0;
	if ((want = iban_length(s[i], s[i + 1])) == 0)
		return 0;
	memcpy(buf, s + i, 4);
	n = 4;
	p = i + 4;
	grouped = sc_at(s, len, p) == ' ' && sc_alnum(sc_at(s, len, p + 1));
	while (n < (size_t)want) {
		if (grouped && n % 4 == 0) {
			if (sc_at(s, len, p) != ' ')
				return 0;
			p++;
		}
		if (!sc_alnum(c = sc_at(s, len, p)))
			return 0;
		buf[n++] = (char)c;
		p++;
	}
	if (sc_word_after(s, len, p) || !scanner_iban_valid(buf, n))
		return 0;
	h->start = i;
	h->end = p;
	return 1;
}

/* --- Steuer-ID ------------------------------------------------------- */

/*
 * The BZSt rules for the Identifikationsnummer (§ 139b AO): eleven digits,
 * the first not 0.  In the first ten exactly one digit occurs more than
 * once, two or three times (three only since 2016), and a digit never
 * stands three times in a row.  The eleventh is the ISO 7064 MOD 11,10
 * check digit.
 */
int
scanner_taxid_valid(const char *d)
{
	unsigned	 count[10] = { 0 }, product = 10, sum;
	int		 k, repeated = 0;

	if (d == NULL)
		return 0;
	for (k = 0; k < 11; k++)	/* stops at a NUL before reading past it */
		if (!sc_digit((unsigned char)d[k]))
			return 0;
	if (d[0] == '0')
		return 0;
	for (k = 0; k < 10; k++)
		count[d[k] - '0']++;
	for (k = 0; k < 10; k++) {
		if (count[k] > 3)
			return 0;
		if (count[k] > 1)
			repeated++;
	}
	if (repeated != 1)
		return 0;
	for (k = 0; k + 2 < 10; k++)
		if (d[k] == d[k + 1] && d[k + 1] == d[k + 2])
			return 0;
	for (k = 0; k < 10; k++) {
		sum = (d[k] - '0' + product) % 10;
		if (sum == 0)
			sum = 10;
		product = sum * 2 % 11;
	}
	return (11 - product) % 10 == (unsigned)(d[10] - '0');
}

/*
 * Eleven digits in one run or as printed on the BZSt letter, "12 345 678
 * 901".  A tax id that continues a longer number ("+49 ...", "0532 ...",
 * "1.234...") is not one, so the digits must stand alone on both sides.
 */
static int
taxid_match(const char *s, size_t len, size_t i, struct scan_hit *h)
{
	static const unsigned char groups[] = { 2, 3, 3, 3 };
	char	 d[11];
	size_t	 p = i, n = 0, g, k;
	int	 c = sc_at(s, len, i - 1);

	if (sc_word_before(s, len, i) || c == '+' ||
	    sc_number_before(s, len, i))
		return 0;
	c = sc_at(s, len, i);
	if (c < '1' || c > '9')
		return 0;
	if (sc_at(s, len, i + 2) == ' ') {
		for (g = 0; g < sizeof groups; g++) {
			if (g > 0 && sc_at(s, len, p++) != ' ')
				return 0;
			for (k = 0; k < groups[g]; k++) {
				if (!sc_digit(c = sc_at(s, len, p++)))
					return 0;
				d[n++] = (char)c;
			}
		}
	} else {
		for (; n < 11; n++) {
			if (!sc_digit(c = sc_at(s, len, p++)))
				return 0;
			d[n] = (char)c;
		}
	}
	if (sc_word_after(s, len, p) || sc_number_after(s, len, p))
		return 0;
	if (!scanner_taxid_valid(d))
		return 0;
	h->start = i;
	h->end = p;
	return 1;
}

/* --- phone numbers --------------------------------------------------- */

/*
 * A separator between digit groups: " ", "-", "/", "." or one of the
 * latter three with a single space on either side (" / ", "- ").  *kind is
 * ' ' for a blank-only separator, else the punctuation.
 */
static size_t
phone_sep(const char *s, size_t len, size_t p, int *kind)
{
	size_t	 q = p;
	int	 c;

	*kind = ' ';
	if (sc_at(s, len, q) == ' ')
		q++;
	c = sc_at(s, len, q);
	if (c == '-' || c == '/' || c == '.') {
		*kind = c;
		q++;
		if (sc_at(s, len, q) == ' ')
			q++;
	}
	return q - p;
}

/*
 * German numbers in national form (0 + area code, "030 1234567",
 * "(0221) 12 34 56", "0171-1234567") and international form ("+49",
 * "0049", with the "(0)" habit or a stray trunk 0: "+49 (0)30 1234567").
 *
 * What keeps dates, prices, times, postcodes and file numbers out:
 * - at least PHONE_NSN_MIN national digits (9 with the leading 0) and at
 *   most PHONE_NSN_MAX; a longer digit run is some other number;
 * - the area-code group has at least two digits after the 0 when more
 *   groups follow, so "03.12.2024", "08-12 Uhr", "0.9.12" fail;
 * - dots as separators exclude every other separator ("0171.123.4567"
 *   yes, "030 12.03.2024" no);
 * - 01x must be a mobile or service range (015-018): "0123 456789" is the
 *   placeholder everyone types, not a number;
 * - no letter, digit or number separator right before the start, so
 *   fragments of IBANs ("0044 0532 0130 00"), order numbers in words and
 *   version strings do not match.
 * Trailing blank-separated groups are taken while the count allows; when
 * a later group overflows, the match falls back to the last blank, so
 * "0171 1234567 2024" still yields the number.
 */
static int
phone_match(const char *s, size_t len, size_t i, struct scan_hit *h)
{
	size_t	 p = i, end, best = 0, sl;
	int	 c, paren = 0, nsn = 0, groups = 0, glen, d0 = 0, d1 = 0;
	int	 kind, dots = 0, others = 0, valid;

	c = sc_at(s, len, i - 1);
	if (sc_word_before(s, len, i) || c == '+' || c == ')' ||
	    sc_number_before(s, len, i))
		return 0;

	if (sc_at(s, len, p) == '+' && sc_at(s, len, p + 1) == '4' &&
	    sc_at(s, len, p + 2) == '9')
		p += 3;
	else if (sc_word_at(s, len, p, "0049"))
		p += 4;
	if (p > i) {
		p += phone_sep(s, len, p, &kind);
		if (sc_word_at(s, len, p, "(0)")) {
			p += 3;
			p += phone_sep(s, len, p, &kind);
		} else if (sc_at(s, len, p) == '(') {
			paren = 1;
			if (sc_at(s, len, ++p) == '0')
				p++;
		} else if (sc_at(s, len, p) == '0')
			p++;		/* "+49 030 ...": wrong, but common */
	} else {
		if (sc_at(s, len, p) == '(') {
			paren = 1;
			p++;
		}
		if (sc_at(s, len, p) != '0')
			return 0;
		p++;
	}
	c = sc_at(s, len, p);
	if (c < '1' || c > '9')
		return 0;

	for (;;) {
		glen = 0;
		while (sc_digit(c = sc_at(s, len, p))) {
			if (nsn == 0)
				d0 = c;
			else if (nsn == 1)
				d1 = c;
			if (++nsn > PHONE_NSN_MAX)
				goto overflow;
			glen++;
			p++;
		}
		groups++;
		if (paren) {
			if (sc_at(s, len, p) != ')')
				return 0;
			paren = 0;
			p++;
			/* "(030)1234567": the parenthesis is the separator */
			sl = phone_sep(s, len, p, &kind);
		} else if ((sl = phone_sep(s, len, p, &kind)) == 0)
			break;
		end = p;
		if (!sc_digit(sc_at(s, len, p + sl)))
			break;
		valid = nsn >= PHONE_NSN_MIN;
		if (valid && kind == ' ')
			best = end;
		if (groups == 1 && glen < 2)
			break;
		if (kind == '.' ? others : dots)
			goto overflow;
		if (kind == '.')
			dots = 1;
		else
			others = 1;
		p += sl;
	}
	if (nsn < PHONE_NSN_MIN)
		return 0;
	end = p;
	c = sc_at(s, len, end);
	if (sc_word_after(s, len, end) ||
	    (c == ',' && sc_digit(sc_at(s, len, end + 1))))
		return 0;
	goto found;

overflow:
	if (best == 0)
		return 0;
	end = best;
found:
	if (d0 == '1' && (d1 < '5' || d1 > '8'))
		return 0;
	h->start = i;
	h->end = end;
	return 1;
}

/* --- hosts ----------------------------------------------------------- */

/*
 * A bracketed or spelled-out marker in an obfuscated address: "(at)",
 * "[dot]", "{punkt}", "<at>" with optional blanks around it, or the bare
 * word between blanks (" at ", " dot ").  Returns its length, 0 if there
 * is none; *bare says that it was the unbracketed word.
 */
static size_t
sc_marker(const char *s, size_t len, size_t p, const char *const *words,
    int *bare)
{
	static const char open[] = "([{<", close[] = ")]}>";
	size_t	 q, k, w, n, t;
	int	 c;

	for (w = 0; words[w] != NULL; w++) {
		n = strlen(words[w]);
		q = p;
		while (sc_at(s, len, q) == ' ' && q - p < 2)
			q++;
		c = sc_at(s, len, q);
		for (k = 0; open[k] != '\0'; k++)
			if (c == open[k])
				break;
		if (open[k] != '\0') {
			if (!sc_word_at(s, len, q + 1, words[w]) ||
			    sc_at(s, len, q + 1 + n) != close[k])
				continue;
			q += n + 2;
			for (t = 0; t < 2 && sc_at(s, len, q) == ' '; t++)
				q++;
			*bare = 0;
			return q - p;
		}
		if (q == p || !sc_word_at(s, len, q, words[w]) ||
		    sc_at(s, len, q + n) != ' ')
			continue;
		*bare = 1;
		return q + n + 1 - p;
	}
	return 0;
}

struct host {
	size_t	 end;		/* just past the last label taken */
	size_t	 tld, tldlen;	/* the last label */
	size_t	 sld, sldlen;	/* the label before it */
	int	 labels;
	int	 bare_dots;	/* a " dot " word was used */
	int	 obf_dots;	/* any "(dot)" or " dot " was used */
};

static int
host_labelc(int c)
{
	return sc_alnum(c) || c == '-';
}

/*
 * Reads dot-separated labels from p.  With markers set, "(dot)", " dot "
 * and friends count as dots too (obfuscated e-mail).  A dot that is not
 * followed by a label ends the host: "web.de." ends a sentence.  Returns
 * -1 on a label that is empty, too long or starts or ends with '-'.  When
 * the last label is not a TLD the caller wants, host_pick_tld() may fall
 * back one label.
 */
static int
host_parse(const char *s, size_t len, size_t p, int markers, struct host *ho,
    size_t ends[LABELS_MAX], size_t starts[LABELS_MAX])
{
	static const char *const dots[] = { "dot", "punkt", NULL };
	size_t	 start = p, ls, dl;
	int	 bare;

	memset(ho, 0, sizeof *ho);
	for (;;) {
		ls = p;
		while (host_labelc(sc_at(s, len, p)) && p - ls <= LABEL_MAXLEN)
			p++;
		if (p == ls || p - ls > LABEL_MAXLEN || s[ls] == '-' ||
		    s[p - 1] == '-' || p - start > HOST_MAXLEN)
			return -1;
		if (ho->labels == LABELS_MAX)
			return -1;
		starts[ho->labels] = ls;
		ends[ho->labels] = p;
		ho->labels++;
		dl = 0;
		bare = 0;
		if (sc_at(s, len, p) == '.')
			dl = 1;
		else if (markers)
			dl = sc_marker(s, len, p, dots, &bare);
		if (dl == 0 || !sc_alnum(sc_at(s, len, p + dl)))
			break;
		if (dl > 1 || sc_at(s, len, p) != '.') {
			ho->obf_dots = 1;
			ho->bare_dots |= bare;
		}
		p += dl;
	}
	return 0;
}

static int
tld_shape(const char *s, size_t i, size_t n, int need_case)
{
	size_t	 k;
	int	 lower = 0, upper = 0;

	if (n >= 5 && sc_span_is(s, i, 4, "xn--"))
		return 1;
	if (n < 2 || n > TLD_MAXLEN)
		return 0;
	for (k = 0; k < n; k++) {
		if (!sc_alpha((unsigned char)s[i + k]))
			return 0;
		if (s[i + k] >= 'a')
			lower = 1;
		else
			upper = 1;
	}
	/* "gesagt.De" is a missing blank, "BILD.DE" and "bild.de" are hosts */
	return !need_case || !(lower && upper);
}

static int
tld_bare_known(const char *s, size_t i, size_t n)
{
	size_t	 k;

	for (k = 0; k < sizeof url_bare_tlds / sizeof url_bare_tlds[0]; k++)
		if (sc_span_is(s, i, n, url_bare_tlds[k]))
			return 1;
	return 0;
}

static int
host_is_shortener(const char *s, size_t i, size_t n)
{
	size_t	 k;

	if (n > 4 && sc_span_is(s, i, 4, "www."))
		i += 4, n -= 4;
	for (k = 0; k < sizeof url_shorteners / sizeof url_shorteners[0]; k++)
		if (sc_span_is(s, i, n, url_shorteners[k]))
			return 1;
	return 0;
}

enum tld_want {
	TLD_ANY,	/* any TLD in one case: after "https://", "www.", "@" */
	TLD_BARE,	/* url_bare_tlds or a shortener host, consistent case */
	TLD_KNOWN,	/* url_bare_tlds, any case: " at ... dot de" */
};

static int
host_tld_ok(const char *s, size_t start, size_t ls, size_t le,
    enum tld_want want)
{
	switch (want) {
	case TLD_ANY:
		return tld_shape(s, ls, le - ls, 1);
	case TLD_BARE:
		if (host_is_shortener(s, start, le - start))
			return 1;
		return tld_shape(s, ls, le - ls, 1) &&
		    tld_bare_known(s, ls, le - ls);
	case TLD_KNOWN:
		return tld_bare_known(s, ls, le - ls);
	}
	return 0;
}

/*
 * Picks the TLD: the last label, or the one before when the last is not
 * acceptable ("web.de.Das" is "web.de" and a missing blank).  Needs at
 * least two labels left.  Returns -1 if neither fits.
 */
static int
host_pick_tld(const char *s, size_t start, struct host *ho,
    const size_t *ends, const size_t *starts, enum tld_want want)
{
	int	 k;

	for (k = ho->labels - 1; k >= 1 && k >= ho->labels - 2; k--) {
		if (!host_tld_ok(s, start, starts[k], ends[k], want))
			continue;
		ho->end = ends[k];
		ho->tld = starts[k];
		ho->tldlen = ends[k] - starts[k];
		ho->sld = starts[k - 1];
		ho->sldlen = ends[k - 1] - starts[k - 1];
		ho->labels = k + 1;
		return 0;
	}
	return -1;
}

/* --- e-mail ---------------------------------------------------------- */

static int
email_localc(int c)
{
	return sc_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' ||
	    c == '-';
}

/*
 * local@domain.tld with the dot-atom subset that people actually use
 * (letters, digits, . _ % + -; quoted local parts and IP literals are not
 * worth the false hits).  Obfuscations are recognised in two strengths:
 *
 * - "(at)", "[at]", "{at}", "<at>": nobody writes that except to hide an
 *   address, so the domain may use real dots or "(dot)"/" dot "/"(punkt)"
 *   and any TLD;
 * - the bare word " at ": English "at" does occur in German comments ("at
 *   home"), so it counts only when the domain is obfuscated too (" dot ",
 *   "(dot)") and ends in a well-known TLD: "max at web dot de".
 *
 * The matcher is anchored on the marker; the local part is read
 * backwards, at most LOCAL_MAXLEN bytes, and must not start right after a
 * non-ASCII letter ("jürgen@..." is not "rgen@...").
 */
static int
email_match(const char *s, size_t len, size_t i, size_t floor,
    struct scan_hit *h)
{
	static const char *const ats[] = { "at", NULL };
	size_t		 ends[LABELS_MAX], starts[LABELS_MAX];
	struct host	 ho;
	size_t		 q, ml, k;
	int		 c = sc_at(s, len, i), bare = 0, alnum = 0;

	if (i == 0 || !email_localc(sc_at(s, len, i - 1)) ||
	    s[i - 1] == '.')
		return 0;
	if (c == '@')
		ml = 1;
	else if (c == ' ' || c == '(' || c == '[' || c == '{' || c == '<') {
		if ((ml = sc_marker(s, len, i, ats, &bare)) == 0)
			return 0;
	} else
		return 0;

	for (q = i; q > 0 && i - q <= LOCAL_MAXLEN &&
	    email_localc((unsigned char)s[q - 1]); q--)
		;
	if (i - q > LOCAL_MAXLEN)
		return 0;
	while (s[q] == '.')
		q++;
	if (q < floor || sc_word_before(s, len, q) ||
	    sc_at(s, len, q - 1) == '@')
		return 0;
	for (k = q; k < i; k++) {
		if (s[k] == '.' && s[k + 1] == '.')
			return 0;
		alnum |= sc_alnum((unsigned char)s[k]);
	}
	if (!alnum)
		return 0;

	if (host_parse(s, len, i + ml, c != '@', &ho, ends, starts) == -1 ||
	    ho.labels < 2)
		return 0;
	if (host_pick_tld(s, i + ml, &ho, ends, starts,
	    bare ? TLD_KNOWN : TLD_ANY) == -1)
		return 0;
	if (bare && !ho.obf_dots)
		return 0;
	c = sc_at(s, len, ho.end);
	if (sc_word_after(s, len, ho.end) || c == '@' || c == '_')
		return 0;
	h->start = q;
	h->end = ho.end;
	return 1;
}

/* --- URLs ------------------------------------------------------------ */

static int
url_pathc(int c)
{
	return c > ' ' && c < 0x7f && strchr("<>\"`{}|\\^", c) == NULL;
}

static int
url_ipv4(const char *s, size_t len, size_t p, size_t *end)
{
	unsigned	 v;
	int		 part, nd;

	for (part = 0; part < 4; part++) {
		if (part > 0 && sc_at(s, len, p++) != '.')
			return 0;
		for (v = 0, nd = 0; sc_digit(sc_at(s, len, p)) && nd < 4; nd++)
			v = v * 10 + (s[p++] - '0');
		if (nd == 0 || nd > 3 || v > 255)
			return 0;
	}
	if (sc_alnum(sc_at(s, len, p)))
		return 0;
	*end = p;
	return 1;
}

/*
 * "http(s)://host", "www.host.tld" or a bare "name.tld".  The bare form
 * is the risky one: the TLD must be in url_bare_tlds (or the whole host a
 * known shortener), in one case, and the label before it must contain a
 * letter.  That keeps out "z.B.", "d.h.", "u.a.", "3.50", "bild.jpg" and
 * "v2.0".  A host followed by '@' is the local part of an address, and a
 * host right after '@' or '.' is its domain, so e-mail addresses are not
 * URLs.  The path runs to the next blank or non-ASCII byte; trailing
 * sentence punctuation and unbalanced closing brackets are not part of it.
 */
static int
url_match(const char *s, size_t len, size_t i, struct scan_hit *h,
    struct scan_hit *host)
{
	size_t		 ends[LABELS_MAX], starts[LABELS_MAX];
	struct host	 ho;
	size_t		 p = i, hs, he, k, opened = 0, closed = 0;
	int		 c = sc_at(s, len, i - 1), scheme = 0, digits;
	enum tld_want	 want;

	if (sc_word_before(s, len, i) || c == '.' || c == '-' || c == '_' ||
	    c == '@')
		return 0;
	if (!sc_alnum(sc_at(s, len, i)))
		return 0;
	if (sc_word_at(s, len, p, "https://"))
		p += 8, scheme = 1;
	else if (sc_word_at(s, len, p, "http://"))
		p += 7, scheme = 1;
	hs = p;
	if (scheme && url_ipv4(s, len, p, &he))
		goto host_done;
	if (host_parse(s, len, p, 0, &ho, ends, starts) == -1 ||
	    ho.labels < 2)
		return 0;
	if (scheme || (ho.labels >= 3 && sc_span_is(s, starts[0],
	    ends[0] - starts[0], "www")))
		want = TLD_ANY;
	else
		want = TLD_BARE;
	if (host_pick_tld(s, hs, &ho, ends, starts, want) == -1)
		return 0;
	if (want == TLD_BARE && !host_is_shortener(s, hs, ho.end - hs)) {
		for (k = 0, digits = 1; k < ho.sldlen; k++)
			if (sc_alpha((unsigned char)s[ho.sld + k]))
				digits = 0;
		if (digits)
			return 0;
	}
	he = ho.end;
host_done:
	c = sc_at(s, len, he);
	if (sc_word_after(s, len, he) || c == '@' || c == '_' || c == '-')
		return 0;
	p = he;
	if (c == ':' && sc_digit(sc_at(s, len, p + 1))) {
		for (k = 0, p++; sc_digit(sc_at(s, len, p)) && k < 5; k++)
			p++;
		if (sc_digit(sc_at(s, len, p)))
			return 0;
		c = sc_at(s, len, p);
	}
	if (c == '/' || c == '?' || c == '#') {
		for (; url_pathc(c = sc_at(s, len, p)); p++) {
			if (c == '(' || c == '[')
				opened++;
			else if (c == ')' || c == ']')
				closed++;
		}
		while (p > he) {
			c = (unsigned char)s[p - 1];
			if (strchr(".,;:!?'\"*", c) != NULL)
				p--;
			else if ((c == ')' || c == ']') && closed > opened) {
				closed--;
				p--;
			} else
				break;
		}
	}
	h->start = i;
	h->end = p;
	host->start = hs;
	host->end = he;
	return 1;
}

/* --- driver ---------------------------------------------------------- */

/* One attempt at offset i; host is set for URL and shortener hits. */
static int
scanner_match(enum scanner_kind kind, const char *s, size_t len, size_t i,
    size_t floor, struct scan_hit *h, struct scan_hit *host)
{
	switch (kind) {
	case SCAN_IBAN:
		return iban_match(s, len, i, h);
	case SCAN_PHONE:
		return phone_match(s, len, i, h);
	case SCAN_TAXID:
		return taxid_match(s, len, i, h);
	case SCAN_EMAIL:
		return email_match(s, len, i, floor, h);
	case SCAN_URL:
	case SCAN_SHORTENER:
		return url_match(s, len, i, h, host);
	case SCAN_COUNT:
		break;
	}
	return 0;
}

/*
 * Leftmost-first: a hit resumes the scan at its end.  A shortener is a URL
 * with a shortener host; a URL on another host is skipped whole, so the
 * "bit.ly" inside "example.de/?r=bit.ly" is not reported.
 */
size_t
scanner_run(enum scanner_kind kind, const char *text, size_t len,
    struct scan_hit *hits, size_t max)
{
	struct scan_hit	 h, host;
	size_t		 i = 0, n = 0, floor = 0;

	if (text == NULL || hits == NULL || (int)kind < 0 ||
	    kind >= SCAN_COUNT)
		return 0;
	while (i < len && n < max) {
		if (!scanner_match(kind, text, len, i, floor, &h, &host) ||
		    h.start < floor || h.end <= i) {
			i++;
			continue;
		}
		if (kind != SCAN_SHORTENER ||
		    host_is_shortener(text, host.start, host.end - host.start))
			hits[n++] = h;
		i = floor = h.end;
	}
	return n;
}
