/*
 * fuzz_litex.c: libFuzzer harness for litex.  Runs extraction, the risk
 * check and folding on arbitrary patterns (no crash, no leak, no UB), and
 * checks extraction's soundness against PCRE2 itself: when a literal set
 * is claimed and the pattern compiles, no subject may match without
 * containing one of the literals, and the same for each of the sets
 * litex_extract_factors gives.  Subjects are built from the pattern's
 * own bytes (so they often match) and case-folded, because caseless
 * literals are only promised for case-folded text.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "litex.h"
#include "normalize.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_subject(pcre2_code *re, pcre2_match_data *md, pcre2_match_context *mc,
    const struct litset *ls, const char *subj, size_t len, const char *pattern)
{
	utf8proc_uint8_t	*folded = NULL;
	utf8proc_ssize_t	 n;
	size_t			 i;
	int			 rc;

	n = utf8proc_map((const utf8proc_uint8_t *)subj, (utf8proc_ssize_t)len,
	    &folded, UTF8PROC_CASEFOLD);
	if (n < 0)
		return;		/* not UTF-8 */
	/* the match limit: a pattern may backtrack catastrophically */
	rc = pcre2_match(re, folded, (size_t)n, 0, 0, md, mc);
	if (rc >= 0) {
		for (i = 0; i < ls->n; i++)
			if (strstr((char *)folded, ls->lits[i]) != NULL)
				break;
		if (i == ls->n) {
			fprintf(stderr, "UNSOUND: pattern \"%s\" matched "
			    "\"%s\" containing none of %zu literals, first "
			    "\"%s\"\n", pattern, folded, ls->n, ls->lits[0]);
			abort();
		}
	}
	free(folded);
}

static void
oracle(const char *pattern, bool caseless, const struct litset *ls,
    const uint8_t *data, size_t size)
{
	pcre2_code		*re;
	pcre2_match_data	*md;
	pcre2_match_context	*mc;
	int			 ec, k, j;
	PCRE2_SIZE		 eo;
	char			 subj[256];
	size_t			 n, plen = strlen(pattern);
	uint32_t		 seed = 2166136261u;

	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | (caseless ? PCRE2_CASELESS : 0), &ec, &eo, NULL);
	if (re == NULL)
		return;
	md = pcre2_match_data_create_from_pattern(re, NULL);
	mc = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(mc, 10000);
	for (n = 0; n < size; n++)
		seed = (seed ^ data[n]) * 16777619u;
	/* the literals themselves, bare and in context */
	for (n = 0; n < ls->n; n++)
		check_subject(re, md, mc, ls, ls->lits[n], strlen(ls->lits[n]),
		    pattern);
	for (k = 0; k < 8; k++) {
		/* pattern bytes and literal pieces, shuffled */
		n = 0;
		for (j = 0; j < 24 && n < sizeof subj - 8; j++) {
			seed = seed * 1103515245u + 12345u;
			if (plen > 0 && (seed >> 16) % 3 != 0)
				subj[n++] = pattern[(seed >> 8) % plen];
			else
				subj[n++] = "aeioun sAB.-"[(seed >> 8) % 12];
		}
		check_subject(re, md, mc, ls, subj, n, pattern);
	}
	pcre2_match_context_free(mc);
	pcre2_match_data_free(md);
	pcre2_code_free(re);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*pattern, err[256], why[256], *f;
	struct litset	 ls, sets[3];
	size_t		 nsets, k;
	bool		 caseless;
	int		 r;

	if (size < 1 || size > 512)
		return 0;
	caseless = data[0] & 1;
	pattern = malloc(size);
	memcpy(pattern, data + 1, size - 1);
	pattern[size - 1] = '\0';

	r = litex_extract(pattern, caseless, &ls, err, sizeof err);
	if (r == 0) {
		if (ls.n > 0) {
			if (ls.n > LITEX_MAX_LITS)
				abort();
			oracle(pattern, caseless, &ls, data, size);
		}
		litset_free(&ls);
	}
	/* each set the prefilter asks for at once must be sound on its own */
	if (litex_extract_factors(pattern, caseless, sets, 3, &nsets, err,
	    sizeof err) == 0) {
		if (r != 0 || nsets > 3)
			abort();
		for (k = 0; k < nsets; k++) {
			if (sets[k].n == 0 || sets[k].n > LITEX_MAX_LITS)
				abort();
			oracle(pattern, caseless, &sets[k], data, size);
			litset_free(&sets[k]);
		}
	} else if (r == 0)
		abort();	/* both parse the same way */
	(void)litex_risky(pattern, why, sizeof why);
	f = litex_fold_pattern(pattern, data[0] & 2 ? NZ_FOLDS_NORM :
	    NZ_CASEFOLD, err, sizeof err);
	free(f);
	free(pattern);
	return 0;
}
