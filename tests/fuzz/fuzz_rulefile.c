/*
 * fuzz_rulefile.c: libFuzzer harness for the rule compiler.  The input is
 * a rule file and a word list, split at the first "\n%%\n"; both are
 * written to a per-process temporary directory as fuzz.rules and
 * fuzz.words (so "words = fuzz.words" finds the list) and compiled with
 * rs_load_files, examples on.  A set that builds classifies a few strings
 * of the input in both scopes, reports its coverage, and is dumped; the
 * dump must compile again to the same dump and hash (rs_dump's promise),
 * and its examples must still pass.  Nothing may crash, leak or read out
 * of bounds, which the sanitizers check.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ruleset.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char	 fz_dir[] = "/tmp/nq-fuzz-rulefile-XXXXXX";
static char	 fz_rules[sizeof fz_dir + 16], fz_words[sizeof fz_dir + 16],
		 fz_dump[sizeof fz_dir + 16];
static int	 fz_ready;

static void
fz_cleanup(void)
{
	unlink(fz_rules);
	unlink(fz_words);
	unlink(fz_dump);
	rmdir(fz_dir);
}

static void
fz_setup(void)
{
	if (mkdtemp(fz_dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(fz_rules, sizeof fz_rules, "%s/fuzz.rules", fz_dir);
	snprintf(fz_words, sizeof fz_words, "%s/fuzz.words", fz_dir);
	snprintf(fz_dump, sizeof fz_dump, "%s/dump.rules", fz_dir);
	atexit(fz_cleanup);
	fz_ready = 1;
}

static void
fz_write(const char *path, const void *buf, size_t len)
{
	int	fd;
	ssize_t	n;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1) {
		perror(path);
		abort();
	}
	while (len > 0) {
		if ((n = write(fd, buf, len)) <= 0) {
			perror(path);
			abort();
		}
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
	close(fd);
}

static char *
fz_dump_string(const struct ruleset *rs, size_t *len)
{
	char	*buf = NULL;
	FILE	*fp;

	*len = 0;
	if ((fp = open_memstream(&buf, len)) == NULL)
		abort();
	if (rs_dump(rs, fp) != 0)
		abort();
	fclose(fp);
	return buf;
}

static void
fz_classify(const struct ruleset *rs, const char *text, size_t len)
{
	struct rs_scratch	*s = rs_scratch_new(rs);
	struct verdict		 v;

	verdict_init(&v);
	rs_classify(rs, s, text, len, RS_SCOPE_COMMENT, &v);
	rs_classify(rs, s, text, len, RS_SCOPE_DM, &v);
	verdict_free(&v);
	rs_scratch_free(s);
}

/* The dump is a rule file: it compiles to the same dump and hash. */
static void
fz_roundtrip(const struct ruleset *rs, const struct rs_options *o)
{
	struct diags	 d = { 0 };
	struct ruleset	*rs2;
	const char	*path = fz_dump;
	char		*dump, *dump2;
	size_t		 len, len2;

	dump = fz_dump_string(rs, &len);
	fz_write(fz_dump, dump, len);
	rs2 = rs_load_files(&path, 1, o, &d);
	if (rs2 == NULL) {
		fputs("the dump does not compile again:\n", stderr);
		diags_print(&d, stderr);
		fputs(dump, stderr);
		abort();
	}
	dump2 = fz_dump_string(rs2, &len2);
	if (len != len2 || memcmp(dump, dump2, len) != 0 ||
	    strcmp(rs_hash(rs), rs_hash(rs2)) != 0) {
		fprintf(stderr, "dump of the dump differs:\n%s\n----\n%s", dump,
		    dump2);
		abort();
	}
	free(dump2);
	free(dump);
	rs_free(rs2);
	diags_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 sep[] = "\n%%\n";
	struct rs_options	 o;
	struct diags		 d = { 0 };
	struct ruleset		*rs;
	const char		*in = (const char *)data, *paths[1], *cut;
	size_t			 rlen = size, wlen = 0;

	/*
	 * "words = /dev/stdin" (or a FIFO under /proc) would block the run;
	 * the word-list reader is exercised with fuzz.words instead.
	 */
	if (memmem(in, size, "/dev", 4) != NULL ||
	    memmem(in, size, "/proc", 5) != NULL ||
	    memmem(in, size, "/sys", 4) != NULL)
		return 0;
	if (!fz_ready)
		fz_setup();
	if ((cut = memmem(in, size, sep, sizeof sep - 1)) != NULL) {
		rlen = (size_t)(cut - in) + 1;
		wlen = size - rlen - (sizeof sep - 2);
	}
	fz_write(fz_rules, in, rlen);
	fz_write(fz_words, cut ? cut + sizeof sep - 1 : "", wlen);

	rs_options_default(&o);
	o.jit = size & 1;		/* both code paths, reproducibly */
	o.max_input = 4096;
	paths[0] = fz_rules;
	rs = rs_load_files(paths, 1, &o, &d);
	if (rs != NULL) {
		fz_classify(rs, in, rlen);
		if (cut != NULL)
			fz_classify(rs, cut + sizeof sep - 1, wlen);
		diags_clear(&d);
		rs_check_coverage(rs, &d);
		fz_roundtrip(rs, &o);
		rs_free(rs);
	}
	diags_free(&d);
	unlink(fz_rules);
	unlink(fz_words);
	unlink(fz_dump);
	return 0;
}
