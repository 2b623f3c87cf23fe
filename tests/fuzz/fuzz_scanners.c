/*
 * fuzz_scanners.c: every scanner kind on arbitrary bytes.  Beyond "does
 * not crash" (ASan/UBSan do that part) it checks the contract callers rely
 * on: hits lie within the text, are ordered and do not overlap, never
 * start or end inside a UTF-8 sequence (they are ASCII at both ends), and
 * a smaller max yields a prefix of the same hits.  libFuzzer's -timeout
 * catches a scan that is not linear.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanners.h"

#define FUZZ_MAXHITS 256

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_check(enum scanner_kind kind, const char *s, size_t len)
{
	struct scan_hit	 h[FUZZ_MAXHITS], few[3];
	size_t		 n, m, k, prev = 0;

	n = scanner_run(kind, s, len, h, FUZZ_MAXHITS);
	if (n > FUZZ_MAXHITS)
		abort();
	for (k = 0; k < n; k++) {
		if (h[k].start < prev || h[k].start >= h[k].end ||
		    h[k].end > len)
			abort();
		if ((unsigned char)s[h[k].start] >= 0x80 ||
		    (unsigned char)s[h[k].end - 1] >= 0x80)
			abort();
		prev = h[k].end;
	}
	m = scanner_run(kind, s, len, few, 3);
	if (m != (n < 3 ? n : 3))
		abort();
	for (k = 0; k < m; k++)
		if (few[k].start != h[k].start || few[k].end != h[k].end)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data;
	char		 d11[12];
	int		 k;

	for (k = 0; k < SCAN_COUNT; k++)
		fuzz_check(k, s, size);
	(void)scanner_iban_valid(s, size);
	if (size >= 11) {
		memcpy(d11, s, 11);
		d11[11] = '\0';
		(void)scanner_taxid_valid(d11);
	}
	return 0;
}
