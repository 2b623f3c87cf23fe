/*
 * testutil.h: the few macros the unit tests share.  A test binary counts
 * failed checks and exits non-zero if any failed; ctest reports the result.
 * Each failure prints file:line and the expression, so a red test says where.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

static int tu_failures;
static int tu_checks;

#define CHECK(cond) do {						\
	tu_checks++;							\
	if (!(cond)) {							\
		tu_failures++;						\
		fprintf(stderr, "%s:%d: CHECK failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *tu_a = (a), *tu_b = (b);				\
	tu_checks++;							\
	if (tu_a == NULL || tu_b == NULL || strcmp(tu_a, tu_b) != 0) {	\
		tu_failures++;						\
		fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", \
		    __FILE__, __LINE__, #a, #b,				\
		    tu_a ? tu_a : "(null)", tu_b ? tu_b : "(null)");	\
	}								\
} while (0)

#define CHECK_INT(a, b) do {						\
	long long tu_a = (long long)(a), tu_b = (long long)(b);		\
	tu_checks++;							\
	if (tu_a != tu_b) {						\
		tu_failures++;						\
		fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", \
		    __FILE__, __LINE__, #a, #b, tu_a, tu_b);		\
	}								\
} while (0)

static inline int
tu_finish(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, tu_checks, tu_failures);
	return tu_failures == 0 ? 0 : 1;
}

#endif
