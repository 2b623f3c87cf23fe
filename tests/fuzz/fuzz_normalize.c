/*
 * fuzz_normalize.c: libFuzzer harness for normalize.c.  Runs every view and
 * a fold set taken from the input's first bytes, and checks what callers
 * rely on: the output is NUL-terminated valid UTF-8 without NUL bytes,
 * every map entry lies inside the bytes that were read, spans never run
 * backwards, the bytes of one character share a span, and RAW gives back
 * valid input unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "normalize.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Length of the UTF-8 sequence at p, 0 if it is not valid. */
static size_t
fz_utf8_seq(const unsigned char *p, size_t len)
{
	unsigned char c = p[0];
	size_t n, k;
	uint32_t v;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
	} else
		return 0;
	if (n > len)
		return 0;
	for (k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[k] & 0x3f);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 ||
	    v > 0x10ffff)) || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	return n;
}

static void
fz_check(const struct nz_text *t, size_t inlen, size_t cap)
{
	const unsigned char *s = (const unsigned char *)t->s;
	size_t i, k, n, limit = inlen < cap ? inlen : cap;
	size_t os, oe;

	if (t->s == NULL || t->s[t->len] != '\0' || strlen(t->s) != t->len)
		abort();
	for (i = 0; i < t->len; i += n) {
		n = fz_utf8_seq(s + i, t->len - i);
		if (n == 0)
			abort();
		for (k = 0; k < n; k++) {
			if (t->start[i + k] != t->start[i] ||
			    t->end[i + k] != t->end[i])
				abort();
		}
		if (t->start[i] >= t->end[i] || t->end[i] > limit)
			abort();
		/*
		 * Characters from one source character share its span, and
		 * a collapsed run stretches its span, so spans may overlap;
		 * but both ends only move forward.
		 */
		if (i > 0 && (t->start[i] < t->start[i - 1] ||
		    t->end[i] < t->end[i - 1]))
			abort();
	}
	if (t->len > 0) {
		nz_span_to_orig(t, t->len / 3, t->len - t->len / 3, &os, &oe);
		if (os > oe || oe > limit)
			abort();
	}
	nz_span_to_orig(t, t->len, t->len + 7, &os, &oe);
	if (os > oe || oe > limit)
		abort();
}

/* Valid UTF-8 without NUL bytes? */
static int
fz_clean(const uint8_t *p, size_t len)
{
	size_t i, n;

	for (i = 0; i < len; i += n)
		if (p[i] == 0 || (n = fz_utf8_seq(p + i, len - i)) == 0)
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nz_text t;
	const char *in = (const char *)data;
	unsigned folds = 0;
	size_t cap = 0;
	int v;
	char *lit;

	for (v = 0; v < NZ_VIEW_COUNT; v++) {
		nz_normalize(in, size, nz_view_folds(v), 0, &t);
		fz_check(&t, size, NZ_DEFAULT_CAP);
		if (v == NZ_VIEW_RAW && size <= NZ_DEFAULT_CAP &&
		    fz_clean(data, size) &&
		    (t.len != size || memcmp(t.s, data, size) != 0))
			abort();
	}

	/* Any fold combination, and a small cap to exercise truncation. */
	if (size >= 2) {
		folds = (data[0] | (unsigned)data[1] << 8) & 0x1ff;
		cap = data[1] >> 1;
	}
	nz_normalize(in, size, folds, cap, &t);
	fz_check(&t, size, cap ? cap : NZ_DEFAULT_CAP);
	if (size > (cap ? cap : NZ_DEFAULT_CAP) &&
	    !(t.notes & NZ_NOTE_TRUNCATED))
		abort();

	lit = nz_fold_literal(in, size, folds);
	if (lit == NULL)
		abort();
	free(lit);
	return 0;
}
