/*
 * test_acmatch.c: the Aho-Corasick prefilter against a naive search.
 * Every (id, end offset) occurrence must be reported exactly once: small
 * hand-made cases for suffix outputs, duplicates and empty literals, then
 * random literal sets big enough to exercise the sparse (deep) states.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acmatch.h"
#include "testutil.h"

struct hits {
	uint32_t	*id;
	size_t		 n, cap;
};

static void
on_hit(uint32_t id, void *arg)
{
	struct hits	*h = arg;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		h->id = realloc(h->id, h->cap * sizeof *h->id);
		if (h->id == NULL)
			abort();
	}
	h->id[h->n++] = id;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Hit counts per id from ac_scan and from brute force must agree. */
static void
check_against_naive(char **lit, size_t *len, size_t nlit, const char *text,
    size_t tlen)
{
	struct ac_builder	*b = ac_builder_new();
	struct ac		*a;
	struct hits		 h = { NULL, 0, 0 };
	struct hits		 w = { NULL, 0, 0 };
	size_t			 i, p, r;

	for (i = 0; i < nlit; i++)
		ac_builder_add(b, lit[i], len[i], (uint32_t)i);
	a = ac_build(b);
	CHECK_INT(ac_count(a), nlit);
	r = ac_scan(a, text, tlen, on_hit, &h);
	CHECK_INT(r, h.n);
	for (i = 0; i < nlit; i++) {
		if (len[i] == 0) {
			on_hit((uint32_t)i, &w);
			continue;
		}
		for (p = 0; p + len[i] <= tlen; p++)
			if (memcmp(text + p, lit[i], len[i]) == 0)
				on_hit((uint32_t)i, &w);
	}
	if (h.n > 0)
		qsort(h.id, h.n, sizeof *h.id, cmp_u32);
	if (w.n > 0)
		qsort(w.id, w.n, sizeof *w.id, cmp_u32);
	CHECK_INT(h.n, w.n);
	CHECK(h.n == w.n && (w.n == 0 ||
	    memcmp(h.id, w.id, w.n * sizeof *w.id) == 0));
	free(h.id);
	free(w.id);
	ac_free(a);
}

static void
test_small(void)
{
	char	*lit[] = { "he", "she", "his", "hers", "e", "she", "" };
	size_t	 len[] = { 2, 3, 3, 4, 1, 3, 0 };
	char	*lit2[] = { "a", "aa", "aaa" };
	size_t	 len2[] = { 1, 2, 3 };
	char	 bin[] = { 0, 1, (char)0xff, 0 };
	char	*lit3[] = { bin, bin + 1 };
	size_t	 len3[] = { 3, 2 };

	check_against_naive(lit, len, 7, "ushers and his sheep", 20);
	check_against_naive(lit, len, 6, "", 0);
	check_against_naive(lit2, len2, 3, "aaaaa", 5);
	check_against_naive(lit3, len3, 2, "x\0\1\377\0\1\377", 7);
}

static void
test_empty_automaton(void)
{
	struct ac	*a = ac_build(ac_builder_new());
	struct hits	 h = { NULL, 0, 0 };

	CHECK_INT(ac_scan(a, "anything", 8, on_hit, &h), 0);
	CHECK_INT(ac_count(a), 0);
	CHECK(ac_memory(a) > 0);
	ac_free(a);
}

/* Random literals over a small alphabet: many overlaps and suffixes. */
static void
test_random(unsigned seed, size_t nlit, const char *alpha, size_t maxlen,
    size_t tlen)
{
	char	**lit, *text;
	size_t	 *len, i, j, na = strlen(alpha);

	srand(seed);
	lit = calloc(nlit, sizeof *lit);
	len = calloc(nlit, sizeof *len);
	for (i = 0; i < nlit; i++) {
		len[i] = 1 + (size_t)rand() % maxlen;
		lit[i] = malloc(len[i]);
		for (j = 0; j < len[i]; j++)
			lit[i][j] = na ? alpha[rand() % (int)na] :
			    (char)(rand() & 0xff);
	}
	text = malloc(tlen);
	for (i = 0; i < tlen; i++)
		text[i] = na ? alpha[rand() % (int)na] : (char)(rand() & 0xff);
	/* plant some literals */
	for (i = 0; i < nlit && i < 50; i++) {
		j = (size_t)rand() % tlen;
		if (j + len[i] <= tlen)
			memcpy(text + j, lit[i], len[i]);
	}
	check_against_naive(lit, len, nlit, text, tlen);
	for (i = 0; i < nlit; i++)
		free(lit[i]);
	free(lit);
	free(len);
	free(text);
}

int
main(void)
{
	test_small();
	test_empty_automaton();
	test_random(1, 50, "ab", 6, 2000);
	test_random(2, 300, "abcde", 8, 5000);
	test_random(3, 2000, "abcdefghijklmnopqrstuvwxyz ", 12, 20000);
	/* every byte used: 256 classes, most states sparse */
	test_random(4, 5000, "", 10, 20000);
	test_random(5, 20000, "abcdefghijklmnop", 14, 4000);
	return tu_finish("test_acmatch");
}
