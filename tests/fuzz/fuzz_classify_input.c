/*
 * fuzz_classify_input.c: libFuzzer harness for the path a line of
 * "netiquettectl classify" takes: lib/input.c splits and parses it (plain
 * or JSON lines), the text is classified against a small rule set, and
 * lib/verdict_json.c turns the verdict or the error into JSON, which is
 * serialized.  The first input byte picks the format.  Any crash, leak or
 * sanitizer report is a bug; so is a line that yields no item, or JSON
 * that jansson refuses to serialize.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "input.h"
#include "ruleset.h"
#include "verdict_json.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct ruleset		*fz_rs;
static struct rs_scratch	*fz_scratch;

static const char fz_rules[] =
    "[rule insult.fuzz]\n"
    "category = insult\n"
    "pattern = \\bvoll(idiot|depp)\\b\n"
    "unless = \\bvollidiotensicher\\b\n"
    "match = Du Vollidiot\n"
    "[rule vulgar.fuzz]\n"
    "category = vulgar\n"
    "view = fold\n"
    "pattern = schei(ss|ß)e\n"
    "scope = dm\n"
    "[rule personal-data.fuzz]\n"
    "category = personal-data\n"
    "view = raw\n"
    "scanner = iban\n";

/* Writes the rule set into a private directory and builds it once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct rs_options	 opts;
	struct diags		 d = { 0 };
	char			 dir[] = "/tmp/fuzz_classify_input.XXXXXX";
	char			 path[sizeof dir + 16];
	FILE			*fp;

	if (mkdtemp(dir) == NULL)
		return 0;
	snprintf(path, sizeof path, "%s/f.rules", dir);
	if ((fp = fopen(path, "w")) != NULL) {
		fputs(fz_rules, fp);
		fclose(fp);
		rs_options_default(&opts);
		opts.run_examples = false;
		fz_rs = rs_load_dir(dir, &opts, &d);
		if (fz_rs == NULL)
			diags_print(&d, stderr);
		else
			fz_scratch = rs_scratch_new(fz_rs);
		diags_free(&d);
		unlink(path);
	}
	rmdir(dir);
	return 0;
}

static void
fz_emit(json_t *o)
{
	char *s;

	if ((s = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		abort();	/* the contract promises serializable JSON */
	free(s);
	json_decref(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input_reader	*r;
	struct input_item	 item = { 0 };
	struct verdict		 v;
	enum input_format	 format;
	FILE			*fp;
	size_t			 lines = 0, newlines = 0, i;
	int			 rc;

	if (size < 1)
		return 0;
	format = (data[0] & 1) ? INPUT_JSONL : INPUT_TEXT;
	data++;
	size--;

	/* Any bytes make a valid JSON string. */
	fz_emit(vjson_string((const char *)data, size));

	if (size == 0)
		return 0;
	if ((fp = fmemopen((void *)data, size, "r")) == NULL)
		return 0;
	for (i = 0; i < size; i++)
		newlines += data[i] == '\n';
	verdict_init(&v);
	r = input_open(fp, format);
	while ((rc = input_next(r, &item)) == 1) {
		lines++;
		if (item.id == NULL || item.lineno != lines)
			abort();
		if (item.error != NULL) {
			if (item.text != NULL)
				abort();
			fz_emit(vjson_error(item.id, item.error));
			continue;
		}
		if (fz_rs == NULL)
			continue;
		rs_classify(fz_rs, fz_scratch, item.text, item.len,
		    (lines & 1) ? RS_SCOPE_COMMENT : RS_SCOPE_DM, &v);
		fz_emit(vjson_verdict(&v, item.id, item.text, item.len));
	}
	if (rc == -1)
		abort();
	/* Every line is answered: one item per newline, plus a last line. */
	if (lines != newlines + (data[size - 1] != '\n'))
		abort();
	input_item_clear(&item);
	input_close(r);
	verdict_free(&v);
	fclose(fp);
	return 0;
}
