/*
 * test_scanners.c: the scanners of scanners.h against positives and, more
 * importantly, the harmless lookalikes of German comments (dates, prices,
 * times, paragraphs of law, file numbers, postcodes, ISBNs, abbreviations)
 * that must never be flagged as personal data or links.
 */
#include "scanners.h"
#include "testutil.h"

#define MAXHITS 16

static size_t
nhits(enum scanner_kind k, const char *t)
{
	struct scan_hit	 h[MAXHITS];

	return scanner_run(k, t, strlen(t), h, MAXHITS);
}

/* True when exactly one hit was found and it spans exactly want. */
static int
only(enum scanner_kind k, const char *t, const char *want)
{
	struct scan_hit	 h[MAXHITS];
	size_t		 n;

	n = scanner_run(k, t, strlen(t), h, MAXHITS);
	if (n != 1) {
		fprintf(stderr, "  %s: %zu hits in \"%s\"\n", scanner_name(k),
		    n, t);
		return 0;
	}
	if (h[0].end - h[0].start != strlen(want) ||
	    memcmp(t + h[0].start, want, strlen(want)) != 0) {
		fprintf(stderr, "  %s: got \"%.*s\" in \"%s\", want \"%s\"\n",
		    scanner_name(k), (int)(h[0].end - h[0].start),
		    t + h[0].start, t, want);
		return 0;
	}
	return 1;
}

/* True when nothing is found; prints the spurious hit otherwise. */
static int
none(enum scanner_kind k, const char *t)
{
	struct scan_hit	 h[MAXHITS];
	size_t		 n;

	n = scanner_run(k, t, strlen(t), h, MAXHITS);
	if (n != 0)
		fprintf(stderr, "  %s: false hit \"%.*s\" in \"%s\"\n",
		    scanner_name(k), (int)(h[0].end - h[0].start),
		    t + h[0].start, t);
	return n == 0;
}

static void
test_names(void)
{
	int	 k;

	for (k = 0; k < SCAN_COUNT; k++)
		CHECK_INT(scanner_from_name(scanner_name(k)), k);
	CHECK_STR(scanner_name(SCAN_IBAN), "iban");
	CHECK_STR(scanner_name(SCAN_SHORTENER), "shortener");
	CHECK(scanner_name(SCAN_COUNT) == NULL);
	CHECK_INT(scanner_from_name("bic"), -1);
	CHECK_INT(scanner_from_name(NULL), -1);
	CHECK_INT(scanner_from_name(""), -1);
}

static void
test_iban_valid(void)
{
	static const char *const good[] = {
		"DE89370400440532013000", "AT611904300234573201",
		"CH9300762011623852957", "NL91ABNA0417164300",
		"FR1420041010050500013M02606", "IT60X0542811101000000123456",
		"ES9121000418450200051332", "BE68539007547034",
		"PL61109010140000071219812874", "LU280019400644750000",
		"GB29NWBK60161331926819", "DK5000400440116243",
		"NO9386011117947", "SE4550000000058398257466",
		"IE29AIBK93115212345678", "PT50000201231234567890154",
		"FI2112345600000785", "de89370400440532013000",
	};
	size_t	 k;

	for (k = 0; k < sizeof good / sizeof good[0]; k++)
		CHECK(scanner_iban_valid(good[k], strlen(good[k])));
	/* one digit changed, two digits swapped, check digits off by one */
	CHECK(!scanner_iban_valid("DE89370400440532013001", 22));
	CHECK(!scanner_iban_valid("DE89370400440532010300", 22));
	CHECK(!scanner_iban_valid("DE88370400440532013000", 22));
	/* wrong length for the country, unknown country, junk */
	CHECK(!scanner_iban_valid("DE8937040044053201300", 21));
	CHECK(!scanner_iban_valid("XX89370400440532013000", 22));
	CHECK(!scanner_iban_valid("DE89 3704 0044 0532 0130 00", 27));
	CHECK(!scanner_iban_valid("", 0));
	CHECK(!scanner_iban_valid(NULL, 22));
	/* 99 is 2 mod 97 and 00/01 are 97/98: congruent, never issued */
	CHECK(!scanner_iban_valid("DE99370400440532013000", 22));
}

static void
test_iban_scan(void)
{
	const char	*de = "DE89 3704 0044 0532 0130 00";

	CHECK(only(SCAN_IBAN, "Bitte an DE89 3704 0044 0532 0130 00 "
	    "überweisen!", de));
	CHECK(only(SCAN_IBAN, "IBAN: DE89370400440532013000.",
	    "DE89370400440532013000"));
	CHECK(only(SCAN_IBAN, "IBAN:DE89370400440532013000",
	    "DE89370400440532013000"));
	CHECK(only(SCAN_IBAN, "iban de89 3704 0044 0532 0130 00",
	    "de89 3704 0044 0532 0130 00"));
	CHECK(only(SCAN_IBAN, "(AT61 1904 3002 3457 3201)",
	    "AT61 1904 3002 3457 3201"));
	CHECK(only(SCAN_IBAN, "Konto NL91ABNA0417164300 bei der ABN",
	    "NL91ABNA0417164300"));
	CHECK(only(SCAN_IBAN, "GB29 NWBK 6016 1331 9268 19",
	    "GB29 NWBK 6016 1331 9268 19"));
	CHECK(only(SCAN_IBAN, "FR14 2004 1010 0505 0001 3M02 606",
	    "FR14 2004 1010 0505 0001 3M02 606"));
	CHECK(only(SCAN_IBAN, "CH93 0076 2011 6238 5295 7 (Schweiz)",
	    "CH93 0076 2011 6238 5295 7"));
	CHECK(only(SCAN_IBAN, "→DE89370400440532013000←",
	    "DE89370400440532013000"));
	CHECK_INT(nhits(SCAN_IBAN, "DE89370400440532013000 und "
	    "BE68539007547034"), 2);

	/* lookalikes */
	CHECK(none(SCAN_IBAN, "DE89 3704 0044 0532 0130 01"));
	CHECK(none(SCAN_IBAN, "DE89370400440532013001"));
	CHECK(none(SCAN_IBAN, "DE89 3704 0044 0532 0130"));
	CHECK(none(SCAN_IBAN, "XDE89370400440532013000"));
	CHECK(none(SCAN_IBAN, "DE890370400440532013000"));	/* too long */
	CHECK(none(SCAN_IBAN, "DE8937040044053201300012"));
	CHECK(none(SCAN_IBAN, "DE89370400440532013000ab"));
	CHECK(none(SCAN_IBAN, "ÄDE89370400440532013000"));
	CHECK(none(SCAN_IBAN, "DE89-3704-0044-0532-0130-00"));
	CHECK(none(SCAN_IBAN, "DE89  3704 0044 0532 0130 00"));
	CHECK(none(SCAN_IBAN, "ISBN 978-3-16-148410-0"));
	CHECK(none(SCAN_IBAN, "Art. 5 GG, §§ 185–187 StGB"));
	CHECK(none(SCAN_IBAN, "BLZ 370 400 44, Kto 532013000"));
	CHECK(none(SCAN_IBAN, "DE12 3456 7890 1234 5678 90"));
	CHECK(none(SCAN_IBAN, ""));
}

static void
test_taxid(void)
{
	CHECK(scanner_taxid_valid("86095742719"));
	CHECK(scanner_taxid_valid("65929970489"));
	CHECK(scanner_taxid_valid("57549285017"));
	CHECK(scanner_taxid_valid("25768131411"));
	CHECK(!scanner_taxid_valid("86095742718"));	/* check digit */
	CHECK(!scanner_taxid_valid("06095742719"));	/* leading 0 */
	CHECK(!scanner_taxid_valid("12345678901"));	/* no repeat */
	CHECK(!scanner_taxid_valid("11112345675"));	/* four times */
	CHECK(!scanner_taxid_valid("11123456784"));	/* three in a row */
	CHECK(!scanner_taxid_valid("11223456783"));	/* two repeats */
	CHECK(!scanner_taxid_valid("8609574271"));	/* ten, NUL stops */
	CHECK(!scanner_taxid_valid("8609574271x"));
	CHECK(!scanner_taxid_valid(NULL));

	CHECK(only(SCAN_TAXID, "Steuer-ID 86095742719.", "86095742719"));
	CHECK(only(SCAN_TAXID, "meine IdNr: 86 095 742 719 bitte",
	    "86 095 742 719"));
	CHECK(only(SCAN_TAXID, "(65929970489)", "65929970489"));
	CHECK_INT(nhits(SCAN_TAXID, "86095742719, 57549285017"), 2);

	CHECK(none(SCAN_TAXID, "86095742718"));
	CHECK(none(SCAN_TAXID, "86 095 742 718"));
	CHECK(none(SCAN_TAXID, "860957427190"));
	CHECK(none(SCAN_TAXID, "186095742719"));
	CHECK(none(SCAN_TAXID, "Nr86095742719"));
	CHECK(none(SCAN_TAXID, "86095742719x"));
	CHECK(none(SCAN_TAXID, "+86095742719"));
	CHECK(none(SCAN_TAXID, "1.86095742719"));
	CHECK(none(SCAN_TAXID, "86095742719,50 €"));
	CHECK(none(SCAN_TAXID, "0049 86095742719"));
	CHECK(none(SCAN_TAXID, "86 095 742 719 12"));
	CHECK(none(SCAN_TAXID, "86 0957 42719"));
	CHECK(none(SCAN_TAXID, "am 12.03.2024 um 10:30, 1.299,00 €"));
	CHECK(none(SCAN_TAXID, "ISBN 978-3-16-148410-0"));
	CHECK(none(SCAN_TAXID, "DE89 3704 0044 0532 0130 00"));
}

static void
test_phone(void)
{
	CHECK(only(SCAN_PHONE, "Tel: 0176 12345678", "0176 12345678"));
	CHECK(only(SCAN_PHONE, "Ruf an: +49 (0)30 1234567!",
	    "+49 (0)30 1234567"));
	CHECK(only(SCAN_PHONE, "0171-1234567", "0171-1234567"));
	CHECK(only(SCAN_PHONE, "WhatsApp 0157 1234 5678",
	    "0157 1234 5678"));
	CHECK(only(SCAN_PHONE, "+49 176 12345678", "+49 176 12345678"));
	CHECK(only(SCAN_PHONE, "+4917612345678", "+4917612345678"));
	CHECK(only(SCAN_PHONE, "0049 176 12345678", "0049 176 12345678"));
	CHECK(only(SCAN_PHONE, "0049(0)89 12345678", "0049(0)89 12345678"));
	CHECK(only(SCAN_PHONE, "+49-89-1234567", "+49-89-1234567"));
	CHECK(only(SCAN_PHONE, "+49 030 1234567", "+49 030 1234567"));
	CHECK(only(SCAN_PHONE, "(030) 1234567", "(030) 1234567"));
	CHECK(only(SCAN_PHONE, "(0221)1234567", "(0221)1234567"));
	CHECK(only(SCAN_PHONE, "030/1234567", "030/1234567"));
	CHECK(only(SCAN_PHONE, "0221 / 123 45 67", "0221 / 123 45 67"));
	CHECK(only(SCAN_PHONE, "06131 123456", "06131 123456"));
	CHECK(only(SCAN_PHONE, "Tel.: 089 - 12 34 56 7", "089 - 12 34 56 7"));
	CHECK(only(SCAN_PHONE, "0171.123.4567", "0171.123.4567"));
	CHECK(only(SCAN_PHONE, "01711234567", "01711234567"));
	CHECK(only(SCAN_PHONE, "Zentrale 030 12345-0", "030 12345-0"));
	CHECK(only(SCAN_PHONE, "Handy:0160 9876543.", "0160 9876543"));
	CHECK(only(SCAN_PHONE, "0171 1234567 2024 neu", "0171 1234567"));
	CHECK(only(SCAN_PHONE, "0171 1234567 12.03.2024", "0171 1234567"));
	CHECK(only(SCAN_PHONE, "Straße 5, 0171 1234567", "0171 1234567"));
	CHECK(only(SCAN_PHONE, "„0176 12345678“", "0176 12345678"));
	CHECK_INT(nhits(SCAN_PHONE, "0171 1234567 oder 030 1234567"), 2);

	/* dates, times, prices, years */
	CHECK(none(SCAN_PHONE, "am 12.03.2024 um 10:30"));
	CHECK(none(SCAN_PHONE, "am 03.12.2024 um 10 Uhr"));
	CHECK(none(SCAN_PHONE, "01.02.2024 10 20 30"));
	CHECK(none(SCAN_PHONE, "2024-03-12T10:30:00Z"));
	CHECK(none(SCAN_PHONE, "08:00-18:00, 08-12 / 14-18 Uhr"));
	CHECK(none(SCAN_PHONE, "Preis: 1.299,00 € statt 0,99 €"));
	CHECK(none(SCAN_PHONE, "in den Jahren 2019, 2020 und 2021"));
	CHECK(none(SCAN_PHONE, "Zeitraum 2023/2024"));
	/* law, file numbers, postcodes */
	CHECK(none(SCAN_PHONE, "§ 130 StGB"));
	CHECK(none(SCAN_PHONE, "§§ 185–187 StGB"));
	CHECK(none(SCAN_PHONE, "Art. 5 Abs. 1 GG"));
	CHECK(none(SCAN_PHONE, "Az. 12-3456/21"));
	CHECK(none(SCAN_PHONE, "Az. 0 12-3456/21"));
	CHECK(none(SCAN_PHONE, "10115 Berlin"));
	CHECK(none(SCAN_PHONE, "01067 Dresden"));
	/* numbers inside other numbers and words */
	CHECK(none(SCAN_PHONE, "DE89 3704 0044 0532 0130 00"));
	CHECK(none(SCAN_PHONE, "Bestellnr0176123456789"));
	CHECK(none(SCAN_PHONE, "Größe0176123456789"));
	CHECK(none(SCAN_PHONE, "Version 0.9.12345678"));
	CHECK(none(SCAN_PHONE, "v0171.1234567"));
	CHECK(none(SCAN_PHONE, "ISBN 978-3-16-148410-0"));
	CHECK(none(SCAN_PHONE, "ISBN 0-306-40615-2"));
	CHECK(none(SCAN_PHONE, "Kunden-Nr. 0012345678"));
	CHECK(none(SCAN_PHONE, "017112345678901234"));
	CHECK(none(SCAN_PHONE, "0171-1234567-1234567"));
	CHECK(none(SCAN_PHONE, "0171 1234567x"));
	CHECK(none(SCAN_PHONE, "030 1234567,50"));
	CHECK(none(SCAN_PHONE, "1+4917612345678"));
	/* too short, not a German range */
	CHECK(none(SCAN_PHONE, "030 12345"));
	CHECK(only(SCAN_PHONE, "030 123456", "030 123456"));	/* 9 digits */
	CHECK(none(SCAN_PHONE, "+49 30 12345"));
	CHECK(none(SCAN_PHONE, "0123 456789"));
	CHECK(none(SCAN_PHONE, "0111 1234567"));
	CHECK(none(SCAN_PHONE, "+44 20 7946 0958"));
	CHECK(none(SCAN_PHONE, "0 30 1234567"));
	CHECK(only(SCAN_PHONE, "(030 1234567", "030 1234567"));
	CHECK(none(SCAN_PHONE, "86095742719"));
	CHECK(none(SCAN_PHONE, "um 10.30 Uhr, ca. 0,5 %, Notruf 110 / 112"));
	CHECK(none(SCAN_PHONE, "Postfach 10 11 12, 10115 Berlin"));
	CHECK(none(SCAN_PHONE, "Rechnung Nr. 2024-0815-004211"));
	CHECK(none(SCAN_PHONE, "Ticket #08151234567890"));
	/* UTF-8 neighbours: no-break space and quotes are boundaries */
	CHECK(only(SCAN_PHONE, "Tel.\xc2\xa0" "0176 12345678", "0176 12345678"));
	CHECK(only(SCAN_PHONE, "«0171 1234567»", "0171 1234567"));
	CHECK(none(SCAN_PHONE, "Maß0171 1234567"));
	CHECK(none(SCAN_PHONE, "\xe9\x80" "0171 1234567"));	/* invalid */
}

static void
test_email(void)
{
	CHECK(only(SCAN_EMAIL, "Mail an max.mustermann@example.de.",
	    "max.mustermann@example.de"));
	CHECK(only(SCAN_EMAIL, "<info+spam@mail.example.co.uk>",
	    "info+spam@mail.example.co.uk"));
	CHECK(only(SCAN_EMAIL, "mailto:A_B-c%d@EXAMPLE.ORG",
	    "A_B-c%d@EXAMPLE.ORG"));
	CHECK(only(SCAN_EMAIL, "name (at) domain (dot) de",
	    "name (at) domain (dot) de"));
	CHECK(only(SCAN_EMAIL, "name [at] domain.de", "name [at] domain.de"));
	CHECK(only(SCAN_EMAIL, "name(at)domain[dot]com",
	    "name(at)domain[dot]com"));
	CHECK(only(SCAN_EMAIL, "schreib an name {at} web (punkt) de",
	    "name {at} web (punkt) de"));
	CHECK(only(SCAN_EMAIL, "name at domain dot de", "name at domain dot de"));
	CHECK(only(SCAN_EMAIL, "Kontakt: max@web.de.Das", "max@web.de"));
	CHECK(only(SCAN_EMAIL, "…max@web.de…", "max@web.de"));
	CHECK_INT(nhits(SCAN_EMAIL, "a@b.de, c@d.com; e (at) f.org"), 3);

	CHECK(none(SCAN_EMAIL, "@max folgt mir"));
	CHECK(none(SCAN_EMAIL, "user@localhost"));
	CHECK(none(SCAN_EMAIL, "max@web."));
	CHECK(none(SCAN_EMAIL, "max@-web.de"));
	CHECK(none(SCAN_EMAIL, "max..m@web.de"));
	CHECK(none(SCAN_EMAIL, "max.@web.de"));
	CHECK(none(SCAN_EMAIL, "jürgen@web.de"));
	CHECK(none(SCAN_EMAIL, "max@müller.de"));
	CHECK(none(SCAN_EMAIL, "max@web.de-Adresse"));
	CHECK(none(SCAN_EMAIL, "max@web.123"));
	CHECK(none(SCAN_EMAIL, "Preis @ 3.50 EUR"));
	CHECK(none(SCAN_EMAIL, "wir treffen uns at home"));
	CHECK(none(SCAN_EMAIL, "Meeting at Berlin.de"));	/* no obf dot */
	/* indistinguishable from "name at domain dot com"; accepted */
	CHECK_INT(nhits(SCAN_EMAIL, "look at this dot com"), 1);
	CHECK(none(SCAN_EMAIL, "look at this.com"));
	CHECK(none(SCAN_EMAIL, "meet at noon dot xyzzy"));
	CHECK(none(SCAN_EMAIL, "Treffen (at) Hauptbahnhof"));
	CHECK(none(SCAN_EMAIL, "§ 130 StGB, 12.03.2024"));
}

static void
test_url(void)
{
	CHECK(only(SCAN_URL, "siehe https://www.example.de/a?b=c#d.",
	    "https://www.example.de/a?b=c#d"));
	CHECK(only(SCAN_URL, "(http://example.com/wiki/Foo_(bar))",
	    "http://example.com/wiki/Foo_(bar)"));
	CHECK(only(SCAN_URL, "HTTPS://EXAMPLE.ORG", "HTTPS://EXAMPLE.ORG"));
	CHECK(only(SCAN_URL, "http://192.168.0.1:8080/x",
	    "http://192.168.0.1:8080/x"));
	CHECK(only(SCAN_URL, "www.beispiel.berlin ist neu",
	    "www.beispiel.berlin"));
	CHECK(only(SCAN_URL, "Gewinn auf example.de/gewinn!",
	    "example.de/gewinn"));
	CHECK(only(SCAN_URL, "BILD.DE meldet", "BILD.DE"));
	CHECK(only(SCAN_URL, "orf.at berichtet", "orf.at"));
	CHECK(only(SCAN_URL, "Kauf bei billig-shop.xyz:8080/angebot",
	    "billig-shop.xyz:8080/angebot"));
	CHECK(only(SCAN_URL, "x.com/user", "x.com/user"));
	CHECK(only(SCAN_URL, "https://de.wikipedia.org/wiki/Müller",
	    "https://de.wikipedia.org/wiki/M"));
	CHECK_INT(nhits(SCAN_URL, "a.de b.com https://c.org/x www.d.net"), 4);

	CHECK(none(SCAN_URL, "z.B. d.h. u.a. bzw. usw. i.d.R. e.V. s.o."));
	CHECK(none(SCAN_URL, "Siehe Abb.3 und Nr.5"));
	CHECK(none(SCAN_URL, "bild.jpg foto.png doc.pdf archiv.zip film.mov"));
	CHECK(none(SCAN_URL, "script.sh readme.md main.c index.html"));
	CHECK(none(SCAN_URL, "Preis 3.50 EUR, Version 2.0.1, 12.03.2024"));
	CHECK(none(SCAN_URL, "das ist gut.Es geht"));
	CHECK(none(SCAN_URL, "gesagt.De facto"));
	CHECK(none(SCAN_URL, "max@web.de und max.mustermann@gmx.net"));
	CHECK(none(SCAN_URL, "123.de 2.at"));
	CHECK(none(SCAN_URL, "müll.de"));
	CHECK(none(SCAN_URL, "http:// nichts"));
	CHECK(none(SCAN_URL, "https://-bad.de"));
	CHECK(none(SCAN_URL, "§ 130 StGB, Art. 5 GG, Az. 12-3456/21"));
}

static void
test_shortener(void)
{
	CHECK(only(SCAN_SHORTENER, "Klick: bit.ly/3abcDEF", "bit.ly/3abcDEF"));
	CHECK(only(SCAN_SHORTENER, "https://t.me/joinchat/xyz",
	    "https://t.me/joinchat/xyz"));
	CHECK(only(SCAN_SHORTENER, "wa.me/4917612345678", "wa.me/4917612345678"));
	CHECK(only(SCAN_SHORTENER, "https://chat.whatsapp.com/AbC",
	    "https://chat.whatsapp.com/AbC"));
	CHECK(only(SCAN_SHORTENER, "discord.gg/abc", "discord.gg/abc"));
	CHECK(only(SCAN_SHORTENER, "linktr.ee/someone", "linktr.ee/someone"));
	CHECK(only(SCAN_SHORTENER, "www.tinyurl.com/x", "www.tinyurl.com/x"));
	CHECK(only(SCAN_SHORTENER, "is.gd/x und example.de", "is.gd/x"));
	CHECK(only(SCAN_SHORTENER, "HTTPS://BIT.LY/X", "HTTPS://BIT.LY/X"));
	CHECK(only(SCAN_SHORTENER, "shorturl.at/abc", "shorturl.at/abc"));
	CHECK(only(SCAN_URL, "is.gd/x", "is.gd/x"));

	CHECK(none(SCAN_SHORTENER, "https://example.de/?r=bit.ly"));
	CHECK(none(SCAN_SHORTENER, "https://notbit.ly/x"));
	CHECK(none(SCAN_SHORTENER, "https://bit.ly.example.de/x"));
	CHECK(none(SCAN_SHORTENER, "habit.ly"));
	CHECK(none(SCAN_SHORTENER, "max@bit.ly"));
	CHECK(none(SCAN_SHORTENER, "z.B. bzw. 3.50"));
}

/* Bounds, NULL and max handling shared by all kinds. */
static void
test_api(void)
{
	struct scan_hit	 h[4];
	const char	*t = "0171 1234567, 030 1234567, 089 1234567";
	int		 k;

	CHECK_INT(scanner_run(SCAN_PHONE, t, strlen(t), h, 2), 2);
	CHECK_INT(h[0].start, 0);
	CHECK_INT(h[0].end, 12);
	CHECK_INT(h[1].start, 14);
	CHECK_INT(scanner_run(SCAN_PHONE, t, strlen(t), h, 0), 0);
	CHECK_INT(scanner_run(SCAN_PHONE, t, strlen(t), NULL, 4), 0);
	CHECK_INT(scanner_run(SCAN_COUNT, t, strlen(t), h, 4), 0);
	/* the length bounds the scan: no NUL terminator is needed */
	CHECK_INT(scanner_run(SCAN_PHONE, t, 8, h, 4), 0);
	CHECK_INT(scanner_run(SCAN_IBAN, "DE89370400440532013000", 21, h, 4),
	    0);
	for (k = 0; k < SCAN_COUNT; k++) {
		CHECK_INT(scanner_run(k, NULL, 0, h, 4), 0);
		CHECK_INT(scanner_run(k, "", 0, h, 4), 0);
	}
}

int
main(void)
{
	test_names();
	test_iban_valid();
	test_iban_scan();
	test_taxid();
	test_phone();
	test_email();
	test_url();
	test_shortener();
	test_api();
	return tu_finish("test_scanners");
}
