/*
 * bench_normalize.c: time nz_normalize on comment-sized text and print
 * nanoseconds per comment for each view.  Not a test; run it by hand when
 * touching normalize.c (the classify path budget is about 1 us per comment
 * for normalization).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "normalize.h"

static const char *const bn_samples[] = {
	/* Plain German, the common case. */
	"Ich finde den Artikel wirklich gut geschrieben, aber bei der Frage "
	"nach der Finanzierung bleibt er vage. Wer soll das am Ende bezahlen?",
	/* Umlauts and an obfuscated insult. */
	"Was f\xc3\xbcr ein V0llidiooooot, der hat doch keine Ahnung von "
	"Stra\xc3\x9f" "enbau. Sch\xc3\xa4m dich, du A-r-s-c-h-l-o-c-h!!",
	/* Hostile: invisibles, fullwidth, Cyrillic, numbers. */
	"Ruf an: Tel. 030 12345678 oder schreib an \xd0\xb0rs\xd1\x81h@"
	"example.org \xe2\x80\x8b\xef\xbc\xa9\xef\xbd\x84\xef\xbd\x89\xef"
	"\xbd\x8f\xef\xbd\x94 kostet 5 Euro, 100% sicher, z. B. heute.",
};

static double
bn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * Runs one view (or, with v == NZ_VIEW_COUNT, all three views, which is
 * what the classifier does) iters times over the samples.
 */
static double
bn_round(struct nz_text *t, int v, size_t iters)
{
	size_t ns = sizeof(bn_samples) / sizeof(bn_samples[0]);
	size_t i, k;
	double t0 = bn_now();
	int w;

	for (i = 0; i < iters; i++) {
		k = i % ns;
		for (w = 0; w < NZ_VIEW_COUNT; w++)
			if (v == NZ_VIEW_COUNT || v == w)
				nz_normalize(bn_samples[k],
				    strlen(bn_samples[k]), nz_view_folds(w),
				    0, t);
	}
	return (bn_now() - t0) / iters;
}

/*
 * Usage: bench_normalize [iterations [view]].  Reports the best of several
 * rounds, which filters out noise from other load on the machine; a view
 * name ("raw", "fold", "norm") limits the run to that view, handy under
 * valgrind --tool=callgrind when the machine is too busy for timings.
 */
int
main(int argc, char **argv)
{
	struct nz_text t = { 0 };
	size_t ns = sizeof(bn_samples) / sizeof(bn_samples[0]);
	size_t k, iters, total = 0;
	double best, dt;
	int v, round, only = -1;

	iters = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
	if (iters == 0)
		iters = 1;
	if (argc > 2)
		only = nz_view_from_name(argv[2]);
	for (k = 0; k < ns; k++)
		total += strlen(bn_samples[k]);
	printf("average comment: %zu bytes\n", total / ns);
	for (v = 0; v <= NZ_VIEW_COUNT; v++) {
		if (only >= 0 && v != only)
			continue;
		best = 1e18;
		for (round = 0; round < 25; round++) {
			dt = bn_round(&t, v, iters);
			if (dt < best)
				best = dt;
		}
		printf("%-10s %7.1f ns/comment (%.2f ns/byte)\n",
		    v < NZ_VIEW_COUNT ? nz_view_name(v) : "all views",
		    best, best / (total / ns));
	}
	for (k = 0; k < ns; k++) {
		nz_normalize(bn_samples[k], strlen(bn_samples[k]),
		    NZ_FOLDS_NORM, 0, &t);
		printf("norm: %s\n", t.s);
	}
	nz_text_free(&t);
	return 0;
}
