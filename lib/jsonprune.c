/*
 * jsonprune.c: a JSON text checked without building it, and copied
 * without the object members a reader does not want.
 *
 * jansson builds every value of a text, and a Mastodon page is mostly
 * what the connector never reads: the author's profile twice, emojis,
 * cards, tags, the application.  Building all of it was half of what
 * parsing a page cost.  Pruned, jansson builds a small part of it.  The
 * copy keeps the bytes of every value it keeps and drops the whitespace
 * between them.
 *
 * The checker accepts only what jansson (json_loadb, no flags) accepts
 * too.  Where it cannot be sure without doing jansson's work (a number
 * that might not fit, a \u escape of NUL or of a surrogate, an escaped
 * member name, nesting deeper than any platform sends) it gives up, and
 * the caller parses the original: its errors keep jansson's words, and a
 * pruned text never parses where the original would not.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonprune.h"
#include "xmalloc.h"

#define JP_MAX_DEPTH	128	/* jansson stops at 2048 */
#define JP_MAX_DIGITS	18	/* an integer part this long fits a long long */

struct jp {
	const char		*s;
	size_t			 len, pos;
	const char *const	*keep;
	size_t			*keeplen;	/* strlen of each, once */
	size_t			 nkeep;
	struct xbuf		 out;
	int			 pruning;	/* inside a member that goes */
};

static int	jp_value(struct jp *, int depth);

static bool
jp_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void
jp_ws(struct jp *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' ||
	    p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
	    p->s[p->pos] == '\r'))
		p->pos++;
}

/* s[from..pos) into the copy, unless it is part of what goes */
static void
jp_keep(struct jp *p, size_t from)
{
	if (p->pruning == 0)
		xbuf_put(&p->out, p->s + from, p->pos - from);
}

/* One UTF-8 sequence at pos, checked as jansson's utf.c does. */
static int
jp_utf8(struct jp *p)
{
	const unsigned char	*u = (const unsigned char *)p->s + p->pos;
	size_t			 n, i;
	uint32_t		 v;

	if (u[0] < 0xc2)
		return -1;		/* a continuation byte, or overlong */
	else if (u[0] < 0xe0) {
		n = 2;
		v = u[0] & 0x1f;
	} else if (u[0] < 0xf0) {
		n = 3;
		v = u[0] & 0x0f;
	} else if (u[0] < 0xf5) {
		n = 4;
		v = u[0] & 0x07;
	} else
		return -1;
	if (p->len - p->pos < n)
		return -1;
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return -1;
		v = (v << 6) | (u[i] & 0x3f);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
	    v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return -1;
	p->pos += n;
	return 0;
}

/* The string at pos (its '"'); *plain: it has no escape. */
static int
jp_string(struct jp *p, bool *plain)
{
	uint32_t	v;
	size_t		i;
	char		c;

	*plain = true;
	p->pos++;
	while (p->pos < p->len) {
		c = p->s[p->pos];
		if (c == '"') {
			p->pos++;
			return 0;
		}
		if ((unsigned char)c < 0x20)
			return -1;
		if ((unsigned char)c >= 0x80) {
			if (jp_utf8(p) == -1)
				return -1;
			continue;
		}
		if (c != '\\') {
			p->pos++;
			continue;
		}
		*plain = false;
		if (p->len - p->pos < 2)
			return -1;
		c = p->s[p->pos + 1];
		if (c != 'u') {
			if (c == '\0' || strchr("\"\\/bfnrt", c) == NULL)
				return -1;
			p->pos += 2;
			continue;
		}
		if (p->len - p->pos < 6)
			return -1;
		for (v = 0, i = 2; i < 6; i++) {
			c = p->s[p->pos + i];
			v <<= 4;
			if (jp_digit(c))
				v |= (uint32_t)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (uint32_t)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				v |= (uint32_t)(c - 'A' + 10);
			else
				return -1;
		}
		/* NUL and surrogate pairs: jansson's own rules decide */
		if (v == 0 || (v >= 0xd800 && v <= 0xdfff))
			return -1;
		p->pos += 6;
	}
	return -1;
}

static int
jp_number(struct jp *p)
{
	size_t start;

	if (p->s[p->pos] == '-')
		p->pos++;
	start = p->pos;
	if (p->pos >= p->len || !jp_digit(p->s[p->pos]))
		return -1;
	if (p->s[p->pos] == '0')
		p->pos++;
	else
		while (p->pos < p->len && jp_digit(p->s[p->pos]))
			p->pos++;
	if (p->pos - start > JP_MAX_DIGITS)
		return -1;
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (p->pos >= p->len || !jp_digit(p->s[p->pos]))
			return -1;
		while (p->pos < p->len && jp_digit(p->s[p->pos]))
			p->pos++;
	}
	/* an exponent may put a real out of range: jansson decides */
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
		return -1;
	return 0;
}

static int
jp_literal(struct jp *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return -1;
	p->pos += n;
	return 0;
}

static bool
jp_kept(const struct jp *p, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < p->nkeep; i++)
		if (p->keeplen[i] == len && memcmp(p->keep[i], name, len) == 0)
			return true;
	return false;
}

/*
 * After '{' or '[' (empty: the closing character may follow at once) or
 * after a member or element: 1 and past close (kept), 0 and past ',' (the
 * caller writes the commas between what it keeps), or -1.
 */
static int
jp_next(struct jp *p, char close, bool empty)
{
	jp_ws(p);
	if (p->pos >= p->len)
		return -1;
	if (p->s[p->pos] == close) {
		p->pos++;
		jp_keep(p, p->pos - 1);
		return 1;
	}
	if (empty)
		return 0;
	return p->s[p->pos++] == ',' ? 0 : -1;
}

static int
jp_object(struct jp *p, int depth)
{
	size_t	name;
	bool	plain, kept, first = true;
	int	rc;

	if (depth > JP_MAX_DEPTH)
		return -1;
	p->pos++;
	jp_keep(p, p->pos - 1);
	for (rc = jp_next(p, '}', true); rc == 0; rc = jp_next(p, '}',
	    false)) {
		jp_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != '"')
			return -1;
		name = p->pos;
		if (jp_string(p, &plain) == -1 || !plain)
			return -1;	/* an escaped name: compared as read */
		kept = jp_kept(p, p->s + name + 1, p->pos - name - 2);
		if (kept && p->pruning == 0) {
			if (!first)
				xbuf_put(&p->out, ",", 1);
			jp_keep(p, name);
			xbuf_put(&p->out, ":", 1);
			first = false;
		}
		jp_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != ':')
			return -1;
		p->pos++;
		p->pruning += !kept;
		rc = jp_value(p, depth);
		p->pruning -= !kept;
		if (rc == -1)
			return -1;
	}
	return rc == 1 ? 0 : -1;
}

static int
jp_array(struct jp *p, int depth)
{
	bool	first = true;
	int	rc;

	if (depth > JP_MAX_DEPTH)
		return -1;
	p->pos++;
	jp_keep(p, p->pos - 1);
	for (rc = jp_next(p, ']', true); rc == 0; rc = jp_next(p, ']',
	    false)) {
		if (!first && p->pruning == 0)
			xbuf_put(&p->out, ",", 1);
		first = false;
		if (jp_value(p, depth) == -1)
			return -1;
	}
	return rc == 1 ? 0 : -1;
}

static int
jp_value(struct jp *p, int depth)
{
	size_t	start;
	bool	plain;
	int	rc;

	jp_ws(p);
	if (p->pos >= p->len)
		return -1;
	start = p->pos;
	switch (p->s[p->pos]) {
	case '{':
		return jp_object(p, depth + 1);
	case '[':
		return jp_array(p, depth + 1);
	case '"':
		rc = jp_string(p, &plain);
		break;
	case 't':
		rc = jp_literal(p, "true");
		break;
	case 'f':
		rc = jp_literal(p, "false");
		break;
	case 'n':
		rc = jp_literal(p, "null");
		break;
	default:
		if (p->s[p->pos] != '-' && !jp_digit(p->s[p->pos]))
			return -1;
		rc = jp_number(p);
		break;
	}
	if (rc == 0)
		jp_keep(p, start);
	return rc;
}

int
json_prune(const char *s, size_t len, const char *const *keep, size_t nkeep,
    char **out, size_t *outlen)
{
	struct jp	p;
	size_t		i;

	*out = NULL;
	*outlen = 0;
	memset(&p, 0, sizeof p);
	p.s = s;
	p.len = len;
	p.keep = keep;
	p.nkeep = nkeep;
	p.keeplen = xreallocarray(NULL, nkeep ? nkeep : 1, sizeof *p.keeplen);
	for (i = 0; i < nkeep; i++)
		p.keeplen[i] = strlen(keep[i]);
	jp_ws(&p);
	/* without JSON_DECODE_ANY jansson wants an array or an object */
	if (p.pos >= p.len || (s[p.pos] != '[' && s[p.pos] != '{') ||
	    jp_value(&p, 0) == -1)
		goto fail;
	jp_ws(&p);
	if (p.pos != p.len)
		goto fail;
	xbuf_put(&p.out, "", 0);	/* a NUL even when nothing was kept */
	free(p.keeplen);
	*out = p.out.s;
	*outlen = p.out.len;
	return 0;
fail:
	free(p.keeplen);
	free(p.out.s);
	return -1;
}
