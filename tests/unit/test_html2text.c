/*
 * test_html2text.c: html2text on Mastodon content (mentions, hashtags,
 * links split into invisible/ellipsis spans, paragraphs), character
 * references, and malformed or truncated markup.
 */
#include <stdlib.h>
#include <string.h>

#include "html2text.h"
#include "testutil.h"

static char *
h(const char *s)
{
	static char *last;

	free(last);
	last = html2text(s, strlen(s), 0, NULL);
	return last;
}

static void
test_mastodon(void)
{
	CHECK_STR(h("<span class=\"h-card\"><a class=\"u-url mention\" "
	    "href=\"https://mastodon.social/@trwnh\" rel=\"nofollow noopener "
	    "noreferrer\" target=\"_blank\">@<span>trwnh</span></a></span> "
	    "test"), "@trwnh test");
	CHECK_STR(h("<p>Erster Absatz</p><p>Zweiter Absatz</p>"),
	    "Erster Absatz\n\nZweiter Absatz");
	CHECK_STR(h("<p>Zeile eins<br>Zeile zwei<br/>Zeile drei<br />"
	    "</p>"), "Zeile eins\nZeile zwei\nZeile drei");
	CHECK_STR(h("<p>a<br><br>b</p>"), "a\n\nb");
	/* Full URL text survives Mastodon's shortening spans. */
	CHECK_STR(h("<p>Siehe <a href=\"https://www.example.org/artikel/x\" "
	    "rel=\"nofollow\"><span class=\"invisible\">https://www.</span>"
	    "<span class=\"ellipsis\">example.org/arti</span><span "
	    "class=\"invisible\">kel/x</span></a> bitte</p>"),
	    "Siehe https://www.example.org/artikel/x bitte");
	CHECK_STR(h("<p><a href=\"https://social.bund.de/tags/"
	    "Digitalisierung\" class=\"mention hashtag\" rel=\"tag\">#<span>"
	    "Digitalisierung</span></a></p>"), "#Digitalisierung");
	CHECK_STR(h(""), "");
	CHECK_STR(h("   <p>  </p>  "), "");
	CHECK_STR(h("kein   HTML\n\nhier"), "kein HTML hier");
}

static void
test_entities(void)
{
	CHECK_STR(h("a &amp; b &lt;script&gt; &quot;x&quot; &apos;y&#39;"),
	    "a & b <script> \"x\" 'y'");
	CHECK_STR(h("Gr&uuml;&szlig;e &auml;&ouml; &Auml;&Ouml;&Uuml; &euro;"),
	    "Grüße äö ÄÖÜ €");
	CHECK_STR(h("&#228;&#xE4;&#Xe4;&#x1F600;"), "äää😀");
	CHECK_STR(h("&#0; &#xD800; &#x110000; &#99999999999999999999;"),
	    "\xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD");
	CHECK_STR(h("&unknown; &amp &; &#; &#x; AT&T"),
	    "&unknown; &amp &; &#; &#x; AT&T");
	CHECK_STR(h("&#65"), "A");		/* no semicolon */
	CHECK_STR(h("trunc&am"), "trunc&am");
	CHECK_STR(h("x&nbsp;y"), "x y");
	/* An encoded tag is text, not markup. */
	CHECK_STR(h("&lt;b&gt;fett&lt;/b&gt;"), "<b>fett</b>");
}

static void
test_malformed(void)
{
	char big[5000];
	char *s;
	size_t n;

	CHECK_STR(h("a < b und c > d"), "a < b und c > d");
	CHECK_STR(h("1<2"), "1<2");
	CHECK_STR(h("text <a href=\"x"), "text");		/* truncated */
	CHECK_STR(h("<p>offen"), "offen");
	CHECK_STR(h("</p></p></br>x"), "x");
	CHECK_STR(h("<a href=\"x>y\">link</a> danach"), "link danach");
	/* Unterminated quote: the tag ends at its first '>'. */
	CHECK_STR(h("<a href=\"x>Beleidigung</a> danach"),
	    "Beleidigung danach");
	CHECK_STR(h("<script>alert(1)</script>sichtbar"), "sichtbar");
	CHECK_STR(h("<style>p{}</style>x<script>nie zu"), "x");
	CHECK_STR(h("a<!-- kommentar -->b<!-- offen"), "ab");
	CHECK_STR(h("<!DOCTYPE html><html><body>x</body></html>"), "x");
	CHECK_STR(h("<"), "<");
	CHECK_STR(h("&"), "&");
	CHECK_STR(h("<<<>>>"), "<<<>>>");
	CHECK_STR(h("<ul><li>eins</li><li>zwei</li></ul>"), "eins\nzwei");
	/* NUL bytes are dropped, and len is honoured. */
	s = html2text("a\0b<p>c", 7, 0, &n);
	CHECK_STR(s, "ab\n\nc");
	CHECK_INT(n, 5);
	free(s);
	s = html2text("abcdef", 3, 0, NULL);
	CHECK_STR(s, "abc");
	free(s);
	/* The cap bounds the work. */
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	s = html2text(big, strlen(big), 100, &n);
	CHECK_INT(n, 100);
	free(s);
	s = html2text(NULL, 10, 0, &n);
	CHECK_STR(s, "");
	free(s);
	/* Lots of <br>: bounded output, no blow-up. */
	memset(big, 0, sizeof big);
	for (n = 0; n + 4 < sizeof big; n += 4)
		memcpy(big + n, "<br>", 4);
	s = html2text(big, strlen(big), 0, &n);
	CHECK_INT(n, 0);
	free(s);
}

int
main(void)
{
	test_mastodon();
	test_entities();
	test_malformed();
	h("");
	return tu_finish("test_html2text");
}
