/*
 * fuzz_html2text.c: html2text on arbitrary bytes.  The output must be a
 * string of the reported length, never longer than a small multiple of the
 * input, and a cap must bound it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "html2text.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n;
	char *s;

	s = html2text((const char *)data, size, 0, &n);
	if (s == NULL || strlen(s) != n || n > size * 4 + 4)
		abort();
	free(s);
	s = html2text((const char *)data, size, 16, &n);
	if (n > 16 * 4 + 4)
		abort();
	free(s);
	return 0;
}
