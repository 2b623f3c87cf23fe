/*
 * fuzz_config.c: libFuzzer harness for netiquetted.conf(5).  Arbitrary
 * bytes go through config_parse_buffer() (kvfile syntax, the key table,
 * every value parser, the cross-key checks); whatever parsed is printed
 * with config_print() and parsed again, which must then succeed when the
 * first parse did.  An invalid file must never crash, leak or read past
 * the buffer, which the sanitizers check.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	 c, c2;
	struct diags	 d = { 0 };
	char		*out = NULL;
	size_t		 outlen = 0;
	FILE		*fp;
	int		 rv;

	rv = config_parse_buffer("fuzz.conf", (const char *)data, size, &c, &d);
	if ((fp = open_memstream(&out, &outlen)) != NULL) {
		config_print(fp, &c);
		fclose(fp);
		diags_clear(&d);
		/* what was accepted prints as a file that is accepted again */
		if (config_parse_buffer("print.conf", out, outlen, &c2,
		    &d) != 0 && rv == 0) {
			diags_print(&d, stderr);
			fputs(out, stderr);
			abort();
		}
		config_free(&c2);
		free(out);
	}
	config_free(&c);
	diags_free(&d);
	return 0;
}
