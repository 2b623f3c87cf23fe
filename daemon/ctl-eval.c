/*
 * ctl-eval.c: "eval", the rule set measured against labelled data.  Reads
 * one of three formats (plain "label<TAB>text", GermEval 2018 TSV, or a
 * CSV with "text" and "label" columns such as GAHD), classifies every
 * record as a public comment and prints precision, recall, F1, the
 * confusion counts, hits per category and per rule, and samples of the
 * false positives (with the rules that fired) and false negatives.  It
 * judges the rules; it never changes them.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"
#include "kvfile.h"
#include "ruleset.h"
#include "xmalloc.h"

#define CTL_EVAL_MAX_FILE	(1024u << 20)
#define CTL_EVAL_SHOW_DEFAULT	10
#define CTL_EVAL_TEXT_MAX	300	/* bytes of a text in the FP/FN lists */

static int	ctl_eval(struct ctl_global *, int, char **);

const struct ctl_command ctl_eval_entry = {
	.name = "eval",
	.usage = "[--rules DIR] [--no-jit] [--format tsv|germeval|csv] "
	    "[--show-fp N] [--show-fn N] FILE",
	.help = "measure the rules on labelled data (precision, recall, F1)",
	.handler = ctl_eval,
};

enum ctl_eval_format { EVAL_AUTO, EVAL_TSV, EVAL_GERMEVAL, EVAL_CSV };

static const char *ctl_eval_format_names[] = {
	[EVAL_AUTO] = "auto",
	[EVAL_TSV] = "tsv",
	[EVAL_GERMEVAL] = "germeval",
	[EVAL_CSV] = "csv",
};

struct ctl_eval_record {
	int	 line;		/* where the record starts */
	int	 label;		/* 1 offensive, 0 not */
	char	*text;
	size_t	 len;
};

struct ctl_eval_data {
	const char		*path;
	struct ctl_eval_record	*v;
	size_t			 n, cap;
	struct diags		 bad;	/* records that could not be read */
};

struct ctl_eval_count {
	size_t	hits, tp, fp;
};

static void
ctl_eval_add(struct ctl_eval_data *data, int line, int label, char *text,
    size_t len)
{
	if (data->n == data->cap) {
		data->cap = data->cap ? data->cap * 2 : 1024;
		data->v = xreallocarray(data->v, data->cap, sizeof *data->v);
	}
	data->v[data->n].line = line;
	data->v[data->n].label = label;
	data->v[data->n].text = text;
	data->v[data->n].len = len;
	data->n++;
}

/* Next line of buf at *pos, without "\n" or "\r\n"; false at the end. */
static bool
ctl_eval_line(const char *buf, size_t len, size_t *pos, const char **line,
    size_t *linelen)
{
	const char	*nl;
	size_t		 n;

	if (*pos >= len)
		return false;
	*line = buf + *pos;
	nl = memchr(*line, '\n', len - *pos);
	n = nl != NULL ? (size_t)(nl - *line) : len - *pos;
	*pos += n + (nl != NULL);
	if (n > 0 && (*line)[n - 1] == '\r')
		n--;
	*linelen = n;
	return true;
}

/* "label<TAB>text", label 1 or 0. */
static void
ctl_eval_parse_tsv(struct ctl_eval_data *data, const char *buf, size_t len)
{
	const char	*line;
	size_t		 pos = 0, n;
	int		 lineno = 0;

	while (ctl_eval_line(buf, len, &pos, &line, &n)) {
		lineno++;
		if (n == 0)
			continue;
		if (n < 2 || (line[0] != '0' && line[0] != '1') ||
		    line[1] != '\t') {
			diags_add(&data->bad, data->path, lineno,
			    "expected \"1<TAB>text\" or \"0<TAB>text\"");
			continue;
		}
		ctl_eval_add(data, lineno, line[0] == '1',
		    xstrndup(line + 2, n - 2), n - 2);
	}
}

/* Copies s[0..len) with every "|LBR|" turned into a newline. */
static char *
ctl_eval_unlbr(const char *s, size_t len, size_t *outlen)
{
	char	*out = xmalloc(len + 1);
	size_t	 i, o = 0;

	for (i = 0; i < len; i++) {
		if (len - i >= 5 && memcmp(s + i, "|LBR|", 5) == 0) {
			out[o++] = '\n';
			i += 4;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/*
 * Splits "text<TAB>coarse<TAB>fine" at its last two tabs, so a tab inside
 * the text does no harm.  Returns the coarse label (1, 0) or -1.
 */
static int
ctl_eval_germeval_fields(const char *line, size_t n, size_t *textlen)
{
	const char	*t2, *t1, *coarse;
	size_t		 clen;

	if ((t2 = memrchr(line, '\t', n)) == NULL ||
	    (t1 = memrchr(line, '\t', (size_t)(t2 - line))) == NULL)
		return -1;
	coarse = t1 + 1;
	clen = (size_t)(t2 - coarse);
	*textlen = (size_t)(t1 - line);
	if (clen == 7 && memcmp(coarse, "OFFENSE", 7) == 0)
		return 1;
	if (clen == 5 && memcmp(coarse, "OTHER", 5) == 0)
		return 0;
	return -1;
}

static void
ctl_eval_parse_germeval(struct ctl_eval_data *data, const char *buf,
    size_t len)
{
	const char	*line;
	size_t		 pos = 0, n, textlen, outlen;
	char		*text;
	int		 lineno = 0, label;

	while (ctl_eval_line(buf, len, &pos, &line, &n)) {
		lineno++;
		if (n == 0)
			continue;
		if ((label = ctl_eval_germeval_fields(line, n,
		    &textlen)) == -1) {
			diags_add(&data->bad, data->path, lineno,
			    "expected \"text<TAB>OFFENSE|OTHER<TAB>fine\"");
			continue;
		}
		text = ctl_eval_unlbr(line, textlen, &outlen);
		ctl_eval_add(data, lineno, label, text, outlen);
	}
}

/*
 * One CSV record (RFC 4180): fields separated by commas, a field in double
 * quotes may hold commas, newlines and "" for a quote.  Reads from *pos,
 * advancing it and *lineno past the record; fields are malloc'd copies.
 * Returns the number of fields, 0 at the end of input, -1 on a syntax
 * error (err says what; *pos is then past the bad line).
 */
static int
ctl_eval_csv_record(const char *buf, size_t len, size_t *pos, int *lineno,
    char ***fields, size_t **lens, const char **err)
{
	char	*f;
	size_t	 i = *pos, flen, fcap, nf = 0, cap = 0;
	bool	 quoted, more = true;

	*fields = NULL;
	*lens = NULL;
	if (i >= len)
		return 0;
	while (more) {
		fcap = 64;
		f = xmalloc(fcap);
		flen = 0;
		quoted = i < len && buf[i] == '"';
		if (quoted)
			i++;
		for (;;) {
			char c;

			if (i >= len) {
				if (quoted) {
					free(f);
					*err = "unterminated quoted field";
					goto fail;
				}
				more = false;
				break;
			}
			c = buf[i];
			if (quoted && c == '"') {
				if (i + 1 < len && buf[i + 1] == '"') {
					i += 2;
					goto append_quote;
				}
				quoted = false;
				i++;
				if (i < len && buf[i] != ',' &&
				    buf[i] != '\n' && buf[i] != '\r') {
					free(f);
					*err = "text after a closing quote";
					goto fail;
				}
				continue;
			}
			if (!quoted && c == ',') {
				i++;
				break;
			}
			if (!quoted && (c == '\n' || c == '\r')) {
				if (c == '\r' && i + 1 < len &&
				    buf[i + 1] == '\n')
					i++;
				i++;
				more = false;
				break;
			}
			if (c == '\n')
				(*lineno)++;
			i++;
			if (flen + 2 > fcap) {
				fcap *= 2;
				f = xreallocarray(f, fcap, 1);
			}
			f[flen++] = c;
			continue;
append_quote:
			if (flen + 2 > fcap) {
				fcap *= 2;
				f = xreallocarray(f, fcap, 1);
			}
			f[flen++] = '"';
		}
		f[flen] = '\0';
		if (nf == cap) {
			cap = cap ? cap * 2 : 8;
			*fields = xreallocarray(*fields, cap, sizeof **fields);
			*lens = xreallocarray(*lens, cap, sizeof **lens);
		}
		(*fields)[nf] = f;
		(*lens)[nf] = flen;
		nf++;
	}
	*pos = i;
	(*lineno)++;
	return (int)nf;

fail:
	/* Resynchronize at the next line. */
	while (i < len && buf[i] != '\n')
		i++;
	*pos = i < len ? i + 1 : len;
	while (nf > 0)
		free((*fields)[--nf]);
	free(*fields);
	free(*lens);
	*fields = NULL;
	*lens = NULL;
	(*lineno)++;
	return -1;
}

static void
ctl_eval_csv_free(char **fields, size_t *lens, int n)
{
	while (n > 0)
		free(fields[--n]);
	free(fields);
	free(lens);
}

/* Column of name (case-insensitive) in a header record, or -1. */
static int
ctl_eval_csv_column(char **fields, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcasecmp(fields[i], name) == 0)
			return i;
	return -1;
}

/*
 * A CSV whose header names a "text" and a "label" column (GAHD:
 * gahd_id,text,label,split); label 1 or 0.  Returns -1 when the header
 * lacks them.
 */
static int
ctl_eval_parse_csv(struct ctl_eval_data *data, const char *buf, size_t len)
{
	const char	*err;
	char		**fields;
	size_t		 pos = 0, *lens;
	int		 n, lineno = 1, start, textcol, labelcol;

	n = ctl_eval_csv_record(buf, len, &pos, &lineno, &fields, &lens, &err);
	if (n <= 0 ||
	    (textcol = ctl_eval_csv_column(fields, n, "text")) == -1 ||
	    (labelcol = ctl_eval_csv_column(fields, n, "label")) == -1) {
		diags_add(&data->bad, data->path, 1,
		    "CSV header has no \"text\" and \"label\" columns");
		if (n > 0)
			ctl_eval_csv_free(fields, lens, n);
		return -1;
	}
	ctl_eval_csv_free(fields, lens, n);
	for (;;) {
		start = lineno;
		n = ctl_eval_csv_record(buf, len, &pos, &lineno, &fields,
		    &lens, &err);
		if (n == 0)
			break;
		if (n == -1) {
			diags_add(&data->bad, data->path, start, "%s", err);
			continue;
		}
		if (n == 1 && lens[0] == 0) {
			ctl_eval_csv_free(fields, lens, n);	/* blank line */
			continue;
		}
		if (n <= textcol || n <= labelcol) {
			diags_add(&data->bad, data->path, start,
			    "%d fields, expected at least %d", n,
			    (textcol > labelcol ? textcol : labelcol) + 1);
		} else if (strcmp(fields[labelcol], "0") != 0 &&
		    strcmp(fields[labelcol], "1") != 0) {
			diags_add(&data->bad, data->path, start,
			    "label must be 0 or 1");
		} else {
			ctl_eval_add(data, start, fields[labelcol][0] == '1',
			    fields[textcol], lens[textcol]);
			fields[textcol] = NULL;
		}
		ctl_eval_csv_free(fields, lens, n);
	}
	return 0;
}

/* Guesses the format from the first line; EVAL_AUTO when unknown. */
static enum ctl_eval_format
ctl_eval_detect(const char *buf, size_t len)
{
	const char	*line;
	size_t		 pos = 0, n, textlen;

	if (!ctl_eval_line(buf, len, &pos, &line, &n))
		return EVAL_AUTO;
	if (n >= 2 && (line[0] == '0' || line[0] == '1') && line[1] == '\t')
		return EVAL_TSV;
	if (ctl_eval_germeval_fields(line, n, &textlen) != -1)
		return EVAL_GERMEVAL;
	if (memchr(line, ',', n) != NULL && memmem(line, n, "text", 4) &&
	    memmem(line, n, "label", 5))
		return EVAL_CSV;
	return EVAL_AUTO;
}

static void
ctl_eval_data_free(struct ctl_eval_data *data)
{
	size_t i;

	for (i = 0; i < data->n; i++)
		free(data->v[i].text);
	free(data->v);
	diags_free(&data->bad);
}

static double
ctl_eval_ratio(size_t a, size_t b)
{
	return b == 0 ? 0.0 : (double)a / (double)b;
}

/* The distinct rule ids of a verdict, ", "-separated, into buf. */
static void
ctl_eval_rules_fired(const struct verdict *v, char *buf, size_t len)
{
	size_t	i, j, o = 0;
	int	w;

	buf[0] = '\0';
	for (i = 0; i < v->nmatches; i++) {
		for (j = 0; j < i; j++)
			if (v->matches[j].rule == v->matches[i].rule)
				break;
		if (j < i)
			continue;
		w = snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
		    v->matches[i].rule_id);
		if (w < 0 || (size_t)w >= len - o)
			break;
		o += (size_t)w;
	}
}

static int
ctl_eval_run(struct ctl_global *g, const struct ruleset *rs,
    struct ctl_eval_data *data, enum ctl_eval_format format, long show_fp,
    long show_fn)
{
	struct rs_scratch	*scratch;
	struct verdict		 v;
	struct ctl_eval_count	 cat[CAT_COUNT], *rule;
	struct rs_rule_info	 ri;
	struct ctl_eval_record	*r;
	char			 fired[512];
	size_t			 tp = 0, fp = 0, fn = 0, tn = 0, review = 0;
	size_t			 i, j, nrules = rs_rule_count(rs), shown;
	double			 p, rc, f1;
	bool			 seen;
	/* what each record got: 0 none, 1 flagged */
	unsigned char		*flagged;
	char			**fp_rules;

	memset(cat, 0, sizeof cat);
	rule = xcalloc(nrules ? nrules : 1, sizeof *rule);
	flagged = xcalloc(data->n ? data->n : 1, 1);
	fp_rules = xcalloc(data->n ? data->n : 1, sizeof *fp_rules);
	scratch = rs_scratch_new(rs);
	verdict_init(&v);
	for (i = 0; i < data->n; i++) {
		r = &data->v[i];
		rs_classify(rs, scratch, r->text, r->len, RS_SCOPE_COMMENT, &v);
		if (v.review)
			review++;
		flagged[i] = v.flagged;
		if (v.flagged && r->label)
			tp++;
		else if (v.flagged) {
			fp++;
			if ((long)fp <= show_fp) {
				ctl_eval_rules_fired(&v, fired, sizeof fired);
				fp_rules[i] = xstrdup(fired);
			}
		} else if (r->label)
			fn++;
		else
			tn++;
		for (j = 0; j < CAT_COUNT; j++) {
			if (v.cat_severity[j] == 0)
				continue;
			cat[j].hits++;
			*(r->label ? &cat[j].tp : &cat[j].fp) += 1;
		}
		for (j = 0; j < v.nmatches; j++) {
			size_t k;

			/* Count each rule once per record. */
			for (seen = false, k = 0; k < j; k++)
				if (v.matches[k].rule == v.matches[j].rule)
					seen = true;
			if (seen || v.matches[j].rule >= nrules)
				continue;
			rule[v.matches[j].rule].hits++;
			*(r->label ? &rule[v.matches[j].rule].tp :
			    &rule[v.matches[j].rule].fp) += 1;
		}
	}
	verdict_free(&v);
	rs_scratch_free(scratch);

	p = ctl_eval_ratio(tp, tp + fp);
	rc = ctl_eval_ratio(tp, tp + fn);
	f1 = p + rc > 0 ? 2 * p * rc / (p + rc) : 0.0;
	printf("file:       %s\n", data->path);
	printf("format:     %s\n", ctl_eval_format_names[format]);
	printf("ruleset:    %s (%zu rules)\n", rs_hash(rs), nrules);
	printf("records:    %zu (%zu positive, %zu negative), %zu unreadable\n",
	    data->n, tp + fn, fp + tn, data->bad.n);
	printf("TP %zu  FP %zu  FN %zu  TN %zu\n", tp, fp, fn, tn);
	printf("precision:  %.4f\n", p);
	printf("recall:     %.4f\n", rc);
	printf("F1:         %.4f\n", f1);
	if (review > 0)
		printf("review:     %zu verdicts asked for human review\n",
		    review);

	printf("\ncategories (texts hit, of them positive, negative):\n");
	for (j = 0; j < CAT_COUNT; j++)
		if (cat[j].hits > 0)
			printf("  %-16s %6zu %6zu %6zu\n", category_name(j),
			    cat[j].hits, cat[j].tp, cat[j].fp);
	printf("\nrules (texts hit, of them positive, negative, precision):\n");
	for (i = 0; i < nrules; i++) {
		if (rule[i].hits == 0 || rs_rule_info(rs, i, &ri) == -1)
			continue;
		printf("  %-32s %6zu %6zu %6zu  %.3f\n", ri.id, rule[i].hits,
		    rule[i].tp, rule[i].fp,
		    ctl_eval_ratio(rule[i].tp, rule[i].hits));
	}

	printf("\nfalse positives: %zu", fp);
	if (show_fp > 0 && fp > 0)
		printf(" (first %zu)", fp < (size_t)show_fp ? fp : (size_t)show_fp);
	printf("\n");
	for (i = 0; i < data->n; i++) {
		if (fp_rules[i] == NULL)
			continue;
		printf("  %s:%d [%s] ", data->path, data->v[i].line,
		    fp_rules[i]);
		ctl_print_text(stdout, data->v[i].text, data->v[i].len,
		    CTL_EVAL_TEXT_MAX);
		printf("\n");
	}
	printf("false negatives: %zu", fn);
	if (show_fn > 0 && fn > 0)
		printf(" (first %zu)", fn < (size_t)show_fn ? fn : (size_t)show_fn);
	printf("\n");
	for (i = 0, shown = 0; i < data->n && (long)shown < show_fn; i++) {
		if (flagged[i] || !data->v[i].label)
			continue;
		printf("  %s:%d ", data->path, data->v[i].line);
		ctl_print_text(stdout, data->v[i].text, data->v[i].len,
		    CTL_EVAL_TEXT_MAX);
		printf("\n");
		shown++;
	}

	for (i = 0; i < data->n; i++)
		free(fp_rules[i]);
	free(fp_rules);
	free(flagged);
	free(rule);
	return ctl_finish_output();
}

static bool
ctl_eval_count_arg(const char *s, long *out)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < 0)
		return false;
	*out = n;
	return true;
}

static int
ctl_eval(struct ctl_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rules",	required_argument,	NULL, 'r' },
		{ "no-jit",	no_argument,		NULL, 'J' },
		{ "format",	required_argument,	NULL, 'f' },
		{ "show-fp",	required_argument,	NULL, 'p' },
		{ "show-fn",	required_argument,	NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	const struct ctl_command	*cmd = &ctl_eval_entry;
	struct ctl_eval_data		 data;
	enum ctl_eval_format		 format = EVAL_AUTO;
	struct ruleset			*rs;
	struct diags			 examples = { 0 };
	size_t				 failed;
	char				*buf;
	size_t				 len, i;
	long				 show_fp = CTL_EVAL_SHOW_DEFAULT;
	long				 show_fn = CTL_EVAL_SHOW_DEFAULT;
	int				 ch, status;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			g->rules_dir = optarg;
			break;
		case 'J':
			g->jit = false;
			break;
		case 'f':
			for (i = EVAL_TSV; i <= EVAL_CSV; i++)
				if (strcmp(optarg,
				    ctl_eval_format_names[i]) == 0 ||
				    (i == EVAL_CSV &&
				    strcmp(optarg, "gahd") == 0))
					break;
			if (i > EVAL_CSV)
				return ctl_usage_error(cmd,
				    "unknown format: %s", optarg);
			format = (enum ctl_eval_format)i;
			break;
		case 'p':
			if (!ctl_eval_count_arg(optarg, &show_fp))
				return ctl_usage_error(cmd,
				    "--show-fp: not a count: %s", optarg);
			break;
		case 'n':
			if (!ctl_eval_count_arg(optarg, &show_fn))
				return ctl_usage_error(cmd,
				    "--show-fn: not a count: %s", optarg);
			break;
		default:
			return ctl_usage_error(cmd, NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		return ctl_usage_error(cmd, "expected one FILE");

	if (kv_read_file(argv[0], CTL_EVAL_MAX_FILE, &buf, &len) == -1) {
		char why[64];

		ctl_warnx("%s: %s", argv[0], kv_read_strerror(errno,
		    CTL_EVAL_MAX_FILE, why, sizeof why));
		return CTL_EXIT_NOINPUT;
	}
	/* A UTF-8 byte order mark is not part of the first record. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		memmove(buf, buf + 3, len - 3);
		len -= 3;
	}
	if (format == EVAL_AUTO &&
	    (format = ctl_eval_detect(buf, len)) == EVAL_AUTO) {
		ctl_warnx("%s: unknown format; use --format", argv[0]);
		free(buf);
		return CTL_EXIT_DATAERR;
	}
	memset(&data, 0, sizeof data);
	data.path = argv[0];
	switch (format) {
	case EVAL_TSV:
		ctl_eval_parse_tsv(&data, buf, len);
		break;
	case EVAL_GERMEVAL:
		ctl_eval_parse_germeval(&data, buf, len);
		break;
	case EVAL_CSV:
	case EVAL_AUTO:
		if (ctl_eval_parse_csv(&data, buf, len) == -1) {
			diags_print(&data.bad, stderr);
			ctl_eval_data_free(&data);
			free(buf);
			return CTL_EXIT_DATAERR;
		}
		break;
	}
	free(buf);

	/*
	 * A rule set whose examples fail is still measured (that is how an
	 * administrator tunes it), but not without saying so.
	 */
	if ((rs = ctl_load_rules(g, ctl_rules_dir(g, NULL), false,
	    &status)) == NULL) {
		ctl_eval_data_free(&data);
		return status;
	}
	if ((failed = rs_check_examples(rs, &examples)) > 0) {
		diags_print(&examples, stderr);
		ctl_warnx("warning: %zu examples fail; the daemon would refuse "
		    "this rule set", failed);
	}
	diags_free(&examples);
	status = ctl_eval_run(g, rs, &data, format, show_fp, show_fn);
	rs_free(rs);
	if (data.bad.n > 0) {
		diags_print(&data.bad, stderr);
		ctl_warnx("%zu record%s could not be read", data.bad.n,
		    data.bad.n == 1 ? "" : "s");
		if (status == CTL_EXIT_OK)
			status = CTL_EXIT_BADINPUT;
	}
	ctl_eval_data_free(&data);
	return status;
}
