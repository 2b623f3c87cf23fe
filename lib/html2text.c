/*
 * html2text.c: the small HTML-to-text converter described in html2text.h.
 * It is a single forward scan with a one-element lookahead for tags and
 * character references: no tree, no recursion, no allocation besides the
 * output buffer.  It does not try to be a full HTML5 tokenizer; it tries to
 * recover the text a reader sees in platform-sanitized markup and to survive
 * anything else.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html2text.h"
#include "xmalloc.h"

struct h2t {
	char	*out;
	size_t	 len, cap;
	int	 pending_nl;	/* newlines owed before the next text */
	bool	 space;		/* a space is owed before the next text */
};

static void
h2t_put(struct h2t *h, const char *s, size_t n)
{
	if (h->len + n + 1 > h->cap) {
		while (h->len + n + 1 > h->cap)
			h->cap = h->cap ? h->cap * 2 : 256;
		h->out = xreallocarray(h->out, h->cap, 1);
	}
	memcpy(h->out + h->len, s, n);
	h->len += n;
	h->out[h->len] = '\0';
}

/* Emits owed separators, then n bytes of text. */
static void
h2t_text(struct h2t *h, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (h->len > 0) {
		while (h->pending_nl > 0) {
			h2t_put(h, "\n", 1);
			h->pending_nl--;
		}
		if (h->space && h->out[h->len - 1] != '\n' &&
		    h->out[h->len - 1] != ' ')
			h2t_put(h, " ", 1);
	}
	h->pending_nl = 0;
	h->space = false;
	h2t_put(h, s, n);
}

/* A block boundary owing n newlines (counted from the end of output). */
static void
h2t_block(struct h2t *h, int n)
{
	int have = 0;
	size_t i;

	if (h->len == 0)
		return;
	for (i = h->len; i > 0 && h->out[i - 1] == '\n' && have < n; i--)
		have++;
	if (n - have > h->pending_nl)
		h->pending_nl = n - have;
	h->space = false;
}

static void
h2t_utf8(struct h2t *h, unsigned long cp)
{
	char b[4];
	size_t n;

	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	h2t_text(h, b, n);
}

static const struct h2t_entity {
	const char	*name;
	unsigned long	 cp;
} h2t_entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "nbsp", ' ' }, { "shy", 0xad },
	{ "auml", 0xe4 }, { "ouml", 0xf6 }, { "uuml", 0xfc },
	{ "Auml", 0xc4 }, { "Ouml", 0xd6 }, { "Uuml", 0xdc },
	{ "szlig", 0xdf }, { "euro", 0x20ac }, { "hellip", 0x2026 },
	{ "ndash", 0x2013 }, { "mdash", 0x2014 }, { "laquo", 0xab },
	{ "raquo", 0xbb }, { "bdquo", 0x201e }, { "ldquo", 0x201c },
	{ "rdquo", 0x201d }, { "lsquo", 0x2018 }, { "rsquo", 0x2019 },
	{ "sbquo", 0x201a }, { "copy", 0xa9 }, { "reg", 0xae },
	{ "trade", 0x2122 }, { "deg", 0xb0 }, { "middot", 0xb7 },
	{ "times", 0xd7 }, { "para", 0xb6 }, { "sect", 0xa7 },
	{ "eacute", 0xe9 }, { "egrave", 0xe8 }, { "agrave", 0xe0 },
	{ "aacute", 0xe1 }, { "ccedil", 0xe7 }, { "ntilde", 0xf1 },
	{ "oacute", 0xf3 }, { "uacute", 0xfa }, { "iacute", 0xed },
	{ "Eacute", 0xc9 }, { "zwj", 0x200d }, { "zwnj", 0x200c },
	{ "lrm", 0x200e }, { "rlm", 0x200f }, { "thinsp", 0x2009 },
	{ "ensp", 0x2002 }, { "emsp", 0x2003 }, { "bull", 0x2022 },
	{ "num", '#' }, { "commat", '@' }, { "dollar", '$' },
	{ "colon", ':' }, { "sol", '/' }, { "period", '.' },
};

/*
 * Decodes a character reference at s[0] == '&'.  Returns the bytes
 * consumed, or 0 when it is not a reference (the '&' is then text).
 */
static size_t
h2t_entity(struct h2t *h, const char *s, size_t n)
{
	size_t i, j;
	unsigned long cp = 0;
	bool hex;

	if (n >= 3 && s[1] == '#') {
		hex = s[2] == 'x' || s[2] == 'X';
		i = hex ? 3 : 2;
		j = i;
		while (i < n && (hex ? isxdigit((unsigned char)s[i]) :
		    isdigit((unsigned char)s[i]))) {
			if (cp <= 0x10ffff) {
				int d = isdigit((unsigned char)s[i]) ?
				    s[i] - '0' :
				    (tolower((unsigned char)s[i]) - 'a' + 10);
				cp = cp * (hex ? 16 : 10) + (unsigned long)d;
			}
			i++;
		}
		if (i == j)
			return 0;
		if (i < n && s[i] == ';')
			i++;
		h2t_utf8(h, cp);
		return i;
	}
	for (i = 1; i < n && i < 32 && isalnum((unsigned char)s[i]); i++)
		;
	if (i == 1 || i >= n || s[i] != ';')
		return 0;
	for (j = 0; j < sizeof h2t_entities / sizeof h2t_entities[0]; j++) {
		const struct h2t_entity *e = &h2t_entities[j];

		if (strlen(e->name) == i - 1 &&
		    memcmp(e->name, s + 1, i - 1) == 0) {
			h2t_utf8(h, e->cp);
			return i + 1;
		}
	}
	return 0;
}

/* Finds needle (ASCII, case-insensitive) in s[0..n); n when absent. */
static size_t
h2t_find(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return i;
	return n;
}

static bool
h2t_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

/*
 * Handles a tag at s[0] == '<'.  Returns the bytes consumed, or 0 when the
 * '<' does not start a tag.
 */
static size_t
h2t_tag(struct h2t *h, const char *s, size_t n)
{
	size_t i, name, namelen, end, first_gt = 0;
	bool closing = false;
	char quote = 0, last = 0;

	if (n < 2)
		return 0;
	if (n >= 4 && memcmp(s, "<!--", 4) == 0) {
		end = h2t_find(s + 4, n - 4, "-->");
		return end == n - 4 ? n : 4 + end + 3;
	}
	i = 1;
	if (s[i] == '/') {
		closing = true;
		i++;
	}
	if (i >= n || !(isalpha((unsigned char)s[i]) ||
	    (!closing && (s[i] == '!' || s[i] == '?'))))
		return 0;
	name = i;
	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-' ||
	    s[i] == ':' || s[i] == '!' || s[i] == '?'))
		i++;
	namelen = i - name;
	/* Find the end of the tag, skipping quoted attribute values. */
	for (; i < n; i++) {
		if (s[i] == '>' && first_gt == 0)
			first_gt = i;
		if (quote) {
			if (s[i] == quote)
				quote = 0;
		} else if (s[i] == '"' || s[i] == '\'') {
			if (last == '=')
				quote = s[i];
		} else if (s[i] == '>')
			break;
		if (!isspace((unsigned char)s[i]))
			last = s[i];
	}
	if (i >= n) {
		/*
		 * An unterminated quote: end the tag at its first '>' rather
		 * than swallow the rest of the text.  No '>' at all: the tag
		 * was truncated, drop it.
		 */
		if (first_gt == 0)
			return n;
		i = first_gt;
	}
	end = i + 1;

	if (h2t_is(s + name, namelen, "br")) {
		h2t_put(h, "", 0);
		if (h->len > 0 || h->pending_nl > 0) {
			while (h->pending_nl > 0) {
				h2t_put(h, "\n", 1);
				h->pending_nl--;
			}
			h2t_put(h, "\n", 1);
		}
		h->space = false;
	} else if (h2t_is(s + name, namelen, "p") ||
	    h2t_is(s + name, namelen, "div") ||
	    h2t_is(s + name, namelen, "blockquote") ||
	    h2t_is(s + name, namelen, "pre") ||
	    h2t_is(s + name, namelen, "ul") ||
	    h2t_is(s + name, namelen, "ol") ||
	    (namelen == 2 && tolower((unsigned char)s[name]) == 'h' &&
	    s[name + 1] >= '1' && s[name + 1] <= '6'))
		h2t_block(h, 2);
	else if (h2t_is(s + name, namelen, "li") ||
	    h2t_is(s + name, namelen, "tr"))
		h2t_block(h, 1);
	else if (!closing && (h2t_is(s + name, namelen, "script") ||
	    h2t_is(s + name, namelen, "style"))) {
		const char *close = h2t_is(s + name, namelen, "script") ?
		    "</script" : "</style";
		size_t k = h2t_find(s + end, n - end, close);

		if (k == n - end)
			return n;
		end += k;
		while (end < n && s[end] != '>')
			end++;
		return end < n ? end + 1 : n;
	} else if (h2t_is(s + name, namelen, "td") ||
	    h2t_is(s + name, namelen, "th"))
		h->space = true;
	return end;
}

char *
html2text(const char *html, size_t len, size_t cap, size_t *outlen)
{
	struct h2t h;
	size_t i = 0, k, run;

	memset(&h, 0, sizeof h);
	h2t_put(&h, "", 0);
	if (html == NULL)
		len = 0;
	if (cap == 0)
		cap = HTML2TEXT_DEFAULT_CAP;
	if (len > cap)
		len = cap;
	while (i < len) {
		char c = html[i];

		if (c == '<' && (k = h2t_tag(&h, html + i, len - i)) > 0) {
			i += k;
			continue;
		}
		if (c == '&' && (k = h2t_entity(&h, html + i, len - i)) > 0) {
			i += k;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\f') {
			if (h.len > 0)
				h.space = true;
			i++;
			continue;
		}
		if (c == '\0') {
			i++;
			continue;
		}
		/* A run of plain text up to the next special byte. */
		for (run = i + 1; run < len; run++) {
			c = html[run];
			if (c == '<' || c == '&' || c == ' ' || c == '\t' ||
			    c == '\n' || c == '\r' || c == '\f' || c == '\0')
				break;
		}
		h2t_text(&h, html + i, run - i);
		i = run;
	}
	/* Drop trailing whitespace. */
	while (h.len > 0 && (h.out[h.len - 1] == '\n' ||
	    h.out[h.len - 1] == ' '))
		h.out[--h.len] = '\0';
	if (outlen != NULL)
		*outlen = h.len;
	return h.out;
}
