/*
 * bench_acmatch.c: build time, memory and scan throughput of the
 * Aho-Corasick prefilter for 5,000 and 50,000 German-looking literals
 * (syllable soup, 8 bytes on average) over synthetic text made of the same
 * syllables, so that scans walk deep into the trie as real comments do.
 * Usage: bench_acmatch [megabytes of text, default 64]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acmatch.h"

static const char *syl[] = {
	"sch", "ei", "ver", "ge", "en", "er", "ich", "un", "ab", "st", "ra",
	"ku", "lo", "de", "ie", "au", "mi", "tz", "ck", "ng", "be", "zu",
	"wa", "ht", "li", "ke", "or", "an", "ol", "id", "io", "ot", "pf",
	"dr", "ss", "ae", "ue", "oe", "fi", "kt", "ar", "ho", "ns", "te",
};
#define NSYL	(sizeof syl / sizeof syl[0])

/* Roughly the letter frequencies of German text. */
static const char freq[] =
    "eeeeeeeeeeeeeeeeennnnnnnnnniiiiiiiisssssssrrrrrrraaaaaatttttt"
    "ddddduuuuhhhhhlllgggccmmmooobbwwffkkzzppvj";

static uint64_t	 rng = 88172645463325252ull;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A word of about want bytes. */
static size_t
word(char *buf, size_t want)
{
	size_t	 n = 0, l;

	while (n < want) {
		const char	*s = syl[rnd(NSYL)];

		l = strlen(s);
		memcpy(buf + n, s, l);
		n += l;
	}
	return n;
}

static void
on_hit(uint32_t id, void *arg)
{
	(*(size_t *)arg) += id & 1;
}

static void
run(size_t nlit, size_t textmb)
{
	struct ac_builder	*b;
	struct ac		*a;
	char			 buf[64], *text;
	size_t			 i, n, tlen = textmb << 20, bytes = 0, sink = 0;
	size_t			 hits;
	double			 t0, t1, t2;

	b = ac_builder_new();
	t0 = now();
	for (i = 0; i < nlit; i++) {
		n = word(buf, 5 + rnd(6));	/* 5..10 -> ~8 bytes */
		bytes += n;
		ac_builder_add(b, buf, n, (uint32_t)i);
	}
	a = ac_build(b);
	t1 = now();

	printf("%6zu literals (%.1f bytes avg): build %.1f ms, memory %.1f MB\n",
	    nlit, (double)bytes / nlit, (t1 - t0) * 1e3,
	    ac_memory(a) / 1048576.0);

	/* Letters by German frequency: words, few of them literals. */
	text = malloc(tlen + 64);
	for (i = 0; i < tlen; ) {
		n = 2 + rnd(10);
		while (n-- > 0)
			text[i++] = freq[rnd(sizeof freq - 1)];
		text[i++] = rnd(8) == 0 ? '.' : ' ';
	}
	t2 = now();
	hits = ac_scan(a, text, tlen, on_hit, &sink);
	t2 = now() - t2;
	printf("\tletter text:   %5.0f MB/s (%zu hits in %zu MB)\n",
	    textmb / t2, hits, textmb);

	/* The literals' own syllables: deep walks, a hit every few bytes. */
	for (i = 0; i < tlen; ) {
		i += word(text + i, 2 + rnd(9));
		text[i++] = rnd(8) == 0 ? '.' : ' ';
	}
	t2 = now();
	hits = ac_scan(a, text, tlen, on_hit, &sink);
	t2 = now() - t2;
	printf("\tsyllable text: %5.0f MB/s (%zu hits in %zu MB, worst case)\n",
	    textmb / t2, hits, textmb);
	free(text);
	ac_free(a);
}

int
main(int argc, char **argv)
{
	size_t	 mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;

	if (mb == 0)
		mb = 1;
	run(5000, mb);
	run(50000, mb);
	return 0;
}
