/*
 * test_kvfile.c: the shared "[section]" / "key = value" syntax: values run
 * to the end of the line untouched (regexes need no escaping), keys repeat,
 * and every syntax error is reported with its line, not just the first.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "testutil.h"
#include "kvfile.h"

static void
test_basic(void)
{
	const char *src =
	    "# comment\n"
	    "global = 1\n"
	    "[rule insult.x]\n"
	    "  pattern  = \\bvoll(idiot|depp)\\b  \n"
	    "pattern = a = b # not a comment\n"
	    "\n"
	    "[account]\n"
	    "key=value\n";
	struct kv_file f;
	struct diags d = { 0 };

	CHECK_INT(kv_parse_buffer("t.rules", src, strlen(src), &f, &d), 0);
	CHECK_INT(d.n, 0);
	CHECK_INT(f.nsections, 3);
	CHECK_STR(f.sections[0].kind, "");
	CHECK_STR(f.sections[0].pairs[0].key, "global");
	CHECK_STR(f.sections[1].kind, "rule");
	CHECK_STR(f.sections[1].name, "insult.x");
	CHECK_INT(f.sections[1].line, 3);
	CHECK_INT(f.sections[1].npairs, 2);
	CHECK_STR(f.sections[1].pairs[0].value, "\\bvoll(idiot|depp)\\b");
	CHECK_INT(f.sections[1].pairs[0].line, 4);
	CHECK_STR(f.sections[1].pairs[1].value, "a = b # not a comment");
	CHECK_STR(kv_get(&f.sections[1], "pattern")->value, "a = b # not a comment");
	CHECK_STR(f.sections[2].kind, "account");
	CHECK_STR(f.sections[2].name, "");
	CHECK_STR(f.sections[2].pairs[0].value, "value");
	kv_file_free(&f);
	diags_free(&d);
}

static void
test_errors_all_reported(void)
{
	const char src[] =
	    "[rule ok]\n"
	    "no equals sign here\n"		/* 2 */
	    "[broken\n"				/* 3 */
	    "bad key! = x\n"			/* 4 */
	    "[rule two words]\n"		/* 5 */
	    "x = \xff\xfe\n"			/* 6 invalid UTF-8 */
	    "y = a\0b\n"			/* 7 NUL */
	    "z = fine\n";
	struct kv_file f;
	struct diags d = { 0 };
	char buf[256];

	CHECK_INT(kv_parse_buffer("e.rules", src, sizeof src - 1, &f, &d), -1);
	CHECK_INT(d.n, 6);
	if (d.n == 6) {
		diags_format(&d, 0, buf, sizeof buf);
		CHECK_STR(buf, "e.rules:2: expected 'key = value' or '[section]'");
		CHECK_INT(d.v[1].line, 3);
		CHECK_INT(d.v[2].line, 4);
		CHECK_INT(d.v[3].line, 5);
		CHECK_INT(d.v[4].line, 6);
		CHECK(strstr(d.v[4].msg, "UTF-8") != NULL);
		CHECK_INT(d.v[5].line, 7);
		CHECK(strstr(d.v[5].msg, "NUL") != NULL);
	}
	/* what did parse is still there */
	CHECK_STR(kv_get(&f.sections[1], "z")->value, "fine");
	kv_file_free(&f);
	diags_free(&d);
}

/*
 * Control characters: a lone CR (old Mac line ends) joined lines, and the
 * first key took the others as its value; CRLF and tabs are fine.
 */
static void
test_control_characters(void)
{
	const char crlf[] = "[s]\r\na = 1\r\nb\t=\tx y\r\n";
	const char cr[] = "[s]\nstate-dir = /srv/nq\rlisten = 0.0.0.0:8443\r\n";
	const char esc[] = "[s]\na = x\x1by\nb = \x7f\n";
	struct kv_file	f;
	struct diags	d = { 0 };

	CHECK_INT(kv_parse_buffer("ok", crlf, sizeof crlf - 1, &f, &d), 0);
	CHECK_STR(kv_get(&f.sections[1], "b")->value, "x y");
	kv_file_free(&f);
	CHECK_INT(kv_parse_buffer("cr", cr, sizeof cr - 1, &f, &d), -1);
	CHECK_INT(d.n, 1);
	if (d.n == 1) {
		CHECK_INT(d.v[0].line, 2);
		CHECK(strstr(d.v[0].msg, "control character 0x0d at byte 20") !=
		    NULL);
		CHECK(strstr(d.v[0].msg, "CR alone") != NULL);
	}
	kv_file_free(&f);
	diags_clear(&d);
	CHECK_INT(kv_parse_buffer("esc", esc, sizeof esc - 1, &f, &d), -1);
	CHECK_INT(d.n, 2);
	kv_file_free(&f);
	diags_free(&d);
}

static void
test_long_line_and_missing_file(void)
{
	size_t n = KV_MAX_LINE + 10;
	char *big = malloc(n + 1);
	struct kv_file f;
	struct diags d = { 0 };

	memset(big, 'a', n);
	memcpy(big, "k = ", 4);
	big[n] = '\0';
	CHECK_INT(kv_parse_buffer("big", big, n, &f, &d), -1);
	CHECK_INT(d.n, 1);
	CHECK(d.n == 1 && strstr(d.v[0].msg, "longer") != NULL);
	kv_file_free(&f);
	diags_clear(&d);
	free(big);

	CHECK_INT(kv_parse_file("/nonexistent/x.rules", &f, &d), -1);
	CHECK_INT(d.n, 1);
	CHECK(d.n == 1 && strstr(d.v[0].msg, "cannot read") != NULL);
	kv_file_free(&f);
	diags_free(&d);
}

static void
test_utf8_prefix(void)
{
	CHECK_INT(kv_utf8_valid_prefix("abc", 3), 3);
	CHECK_INT(kv_utf8_valid_prefix("\xc3\xa4x", 3), 3);
	CHECK_INT(kv_utf8_valid_prefix("a\xc3", 2), 1);		/* truncated */
	CHECK_INT(kv_utf8_valid_prefix("a\xc0\xaf", 3), 1);	/* overlong */
	CHECK_INT(kv_utf8_valid_prefix("a\xed\xa0\x80", 4), 1);	/* surrogate */
	CHECK_INT(kv_utf8_valid_prefix("\xf0\x9d\x90\x80", 4), 4);
}

/*
 * Only regular files are read, and a FIFO is refused at once: opening one
 * for reading would wait for a writer, and with it a SIGHUP reload of the
 * daemon (this test would hang on the old reader).
 */
static void
test_read_file_kinds(void)
{
	char		 dir[] = "/tmp/nq-kvfile-XXXXXX", path[64], why[64];
	char		*buf = NULL;
	size_t		 len = 0;
	struct kv_file	 f;
	struct diags	 d = { 0 };
	FILE		*fp;

	if (mkdtemp(dir) == NULL) {
		CHECK(!"mkdtemp");
		return;
	}
	snprintf(path, sizeof path, "%s/fifo.rules", dir);
	CHECK_INT(mkfifo(path, 0600), 0);
	errno = 0;
	CHECK_INT(kv_read_file(path, 4096, &buf, &len), -1);
	CHECK_INT(errno, KV_ENOTREG);
	CHECK_STR(kv_read_strerror(errno, 4096, why, sizeof why),
	    "not a regular file");
	CHECK_INT(kv_parse_file(path, &f, &d), -1);
	CHECK(d.n == 1 && strstr(d.v[0].msg, "cannot read: not a regular "
	    "file") != NULL);
	kv_file_free(&f);
	diags_clear(&d);
	unlink(path);

	CHECK_INT(kv_read_file(dir, 4096, &buf, &len), -1);
	CHECK_INT(errno, EISDIR);

	snprintf(path, sizeof path, "%s/big", dir);
	if ((fp = fopen(path, "w")) != NULL) {
		for (int i = 0; i < 2048; i++)
			fputc('x', fp);
		fclose(fp);
	}
	CHECK_INT(kv_read_file(path, 1024, &buf, &len), -1);
	CHECK_INT(errno, EFBIG);
	CHECK_STR(kv_read_strerror(EFBIG, 1024, why, sizeof why),
	    "file larger than 1 KiB");
	CHECK_STR(kv_read_strerror(EFBIG, 16u << 20, why, sizeof why),
	    "file larger than 16 MiB");
	CHECK_INT(kv_read_file(path, 4096, &buf, &len), 0);
	CHECK_INT(len, 2048);
	free(buf);
	unlink(path);
	rmdir(dir);
	diags_free(&d);
}

int
main(void)
{
	test_basic();
	test_read_file_kinds();
	test_errors_all_reported();
	test_control_characters();
	test_long_line_and_missing_file();
	test_utf8_prefix();
	return tu_finish("test_kvfile");
}
