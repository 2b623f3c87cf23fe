/*
 * ctl-classify.c: "classify", the rule engine on the command line.  Texts
 * come from the arguments or from stdin (plain lines or JSON lines, read by
 * lib/input.c); each yields one JSON object on stdout in input order, the
 * contract of lib/verdict_json.h, or an error object for a line that could
 * not be read.  --explain writes a human account of each verdict to stderr
 * so that stdout stays exactly one JSON object per line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "input.h"
#include "ruleset.h"
#include "verdict_json.h"

#define CTL_EXPLAIN_MAX	2000	/* bytes of a text shown by --explain */

static int	ctl_classify(struct ctl_global *, int, char **);

const struct ctl_command ctl_classify_entry = {
	.name = "classify",
	.usage = "[--rules DIR] [--no-jit] [--explain] [--jsonl] [--dm] "
	    "[TEXT ...]",
	.help = "classify TEXT arguments or stdin lines, one JSON verdict each",
	.handler = ctl_classify,
};

struct ctl_classify_state {
	const struct ruleset	*rs;
	struct rs_scratch	*scratch;
	struct verdict		 v;
	unsigned		 scope;
	bool			 explain;
	bool			 flush;		/* answer each line at once */
	size_t			 bad;		/* lines answered with an error */
	int			 status;
};

/* Writes one object as one line; false when stdout failed. */
static bool
ctl_classify_emit(struct ctl_classify_state *st, json_t *o)
{
	int rc;

	rc = json_dumpf(o, stdout, JSON_COMPACT);
	json_decref(o);
	if (rc == -1 || fputc('\n', stdout) == EOF)
		return false;
	if (st->flush && fflush(stdout) == EOF)
		return false;
	return true;
}

static void
ctl_classify_explain_id(json_t *id)
{
	char *s;

	if ((s = json_dumps(id, JSON_ENCODE_ANY)) == NULL)
		abort();
	fprintf(stderr, "explain %s:", s);
	free(s);
}

/*
 * The human account behind one verdict: the text in every view the rules
 * see, then for each match the rule, its description and what fired where.
 */
static void
ctl_classify_explain(struct ctl_classify_state *st, json_t *id,
    const char *text, size_t len)
{
	const struct verdict	*v = &st->v;
	const struct rs_match	*m;
	const struct nz_text	*t;
	struct rs_rule_info	 ri;
	char			 actions[128];
	size_t			 i;
	int			 view;

	ctl_classify_explain_id(id);
	action_format(v->actions, actions, sizeof actions);
	fprintf(stderr, " %zu match%s, severity %d, action %s\n",
	    v->nmatches, v->nmatches == 1 ? "" : "es", v->severity, actions);
	if (v->review)
		fprintf(stderr, "  review: %s\n", v->review_reason);
	if (v->input_notes != 0)
		fprintf(stderr, "  input:%s%s%s\n",
		    v->input_notes & NZ_NOTE_INVALID_UTF8 ?
		    " invalid UTF-8 replaced" : "",
		    v->input_notes & NZ_NOTE_NUL ? " NUL bytes dropped" : "",
		    v->input_notes & NZ_NOTE_TRUNCATED ? " truncated" : "");
	fprintf(stderr, "  text: ");
	ctl_print_text(stderr, text, len, CTL_EXPLAIN_MAX);
	fputc('\n', stderr);
	for (view = 0; view < NZ_VIEW_COUNT; view++) {
		fprintf(stderr, "  view %s: ", nz_view_name(view));
		t = rs_scratch_view(st->scratch, view);
		if (t == NULL || t->s == NULL)
			fprintf(stderr, "(not computed: no rule needed it)");
		else
			ctl_print_text(stderr, t->s, t->len, CTL_EXPLAIN_MAX);
		fputc('\n', stderr);
	}
	for (i = 0; i < v->nmatches; i++) {
		m = &v->matches[i];
		if (rs_rule_info(st->rs, m->rule, &ri) == -1) {
			memset(&ri, 0, sizeof ri);
			ri.description = "";
		}
		fprintf(stderr, "  rule %s (%s, severity %d", m->rule_id,
		    category_name(m->category), m->severity);
		if (ri.file != NULL)
			fprintf(stderr, ", %s:%d", ri.file, ri.line);
		fprintf(stderr, ")%s%s\n", ri.description != NULL &&
		    ri.description[0] != '\0' ? ": " : "",
		    ri.description != NULL ? ri.description : "");
		fprintf(stderr, "    %s matched ", m->what ? m->what : "?");
		t = rs_scratch_view(st->scratch, m->view);
		if (t != NULL && t->s != NULL && m->vend <= t->len &&
		    m->vstart <= m->vend)
			ctl_print_text(stderr, t->s + m->vstart,
			    m->vend - m->vstart, CTL_EXPLAIN_MAX);
		else
			fprintf(stderr, "?");
		fprintf(stderr, " in view %s [%zu,%zu), original [%zu,%zu) ",
		    nz_view_name(m->view), m->vstart, m->vend, m->start,
		    m->end);
		if (m->start <= m->end && m->end <= len)
			ctl_print_text(stderr, text + m->start,
			    m->end - m->start, CTL_EXPLAIN_MAX);
		fputc('\n', stderr);
	}
}

/* Classifies one text and writes its verdict; false when stdout failed. */
static bool
ctl_classify_one(struct ctl_classify_state *st, json_t *id, const char *text,
    size_t len)
{
	if (rs_classify(st->rs, st->scratch, text, len, st->scope,
	    &st->v) != 0) {
		st->status = CTL_EXIT_SOFTWARE;
		return ctl_classify_emit(st,
		    vjson_error(id, "classification failed"));
	}
	if (st->explain) {
		fflush(stdout);	/* keep a terminal's two streams in order */
		ctl_classify_explain(st, id, text, len);
	}
	return ctl_classify_emit(st, vjson_verdict(&st->v, id, text, len));
}

static bool
ctl_classify_bad(struct ctl_classify_state *st, json_t *id, const char *msg)
{
	st->bad++;
	if (st->explain) {
		fflush(stdout);
		ctl_classify_explain_id(id);
		fprintf(stderr, " %s\n", msg);
	}
	return ctl_classify_emit(st, vjson_error(id, msg));
}

/*
 * Reads stdin to the end; returns false when stdout failed (a read error
 * is reported and sets the status, the answers so far stand).
 */
static bool
ctl_classify_stdin(struct ctl_classify_state *st, enum input_format format)
{
	struct input_reader	*r;
	struct input_item	 item = { 0 };
	bool			 ok = true;
	int			 rc;

	r = input_open(stdin, format);
	while (ok && (rc = input_next(r, &item)) == 1) {
		if (item.error != NULL)
			ok = ctl_classify_bad(st, item.id, item.error);
		else
			ok = ctl_classify_one(st, item.id, item.text,
			    item.len);
	}
	if (ok && rc == -1) {
		ctl_warn("reading stdin");
		st->status = CTL_EXIT_IOERR;
	}
	input_item_clear(&item);
	input_close(r);
	return ok;
}

static int
ctl_classify(struct ctl_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rules",	required_argument,	NULL, 'r' },
		{ "no-jit",	no_argument,		NULL, 'J' },
		{ "explain",	no_argument,		NULL, 'e' },
		{ "jsonl",	no_argument,		NULL, 'j' },
		{ "dm",		no_argument,		NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_classify_state	 st;
	struct ruleset			*rs;
	struct stat			 sb;
	json_t				*id;
	bool				 jsonl = false, ok = true;
	int				 ch, i, status;

	memset(&st, 0, sizeof st);
	st.scope = RS_SCOPE_COMMENT;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			g->rules_dir = optarg;
			break;
		case 'J':
			g->jit = false;
			break;
		case 'e':
			st.explain = true;
			break;
		case 'j':
			jsonl = true;
			break;
		case 'd':
			st.scope = RS_SCOPE_DM;
			break;
		default:
			return ctl_usage_error(&ctl_classify_entry, NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (jsonl && argc > 0)
		return ctl_usage_error(&ctl_classify_entry,
		    "--jsonl reads stdin; give no TEXT arguments");

	if ((rs = ctl_load_rules(g, ctl_rules_dir(g, NULL), true,
	    &status)) == NULL)
		return status;
	st.rs = rs;
	st.scratch = rs_scratch_new(rs);
	verdict_init(&st.v);
	/* A pipe or terminal may wait for each answer; a file need not. */
	st.flush = argc == 0 && (fstat(STDIN_FILENO, &sb) == -1 ||
	    !S_ISREG(sb.st_mode));

	if (argc > 0) {
		for (i = 0; ok && i < argc; i++) {
			if ((id = json_integer(i + 1)) == NULL)
				abort();
			ok = ctl_classify_one(&st, id, argv[i],
			    strlen(argv[i]));
			json_decref(id);
		}
	} else
		ok = ctl_classify_stdin(&st, jsonl ? INPUT_JSONL : INPUT_TEXT);

	verdict_free(&st.v);
	rs_scratch_free(st.scratch);
	rs_free(rs);
	if (!ok) {
		ctl_warn("cannot write output");
		return CTL_EXIT_IOERR;
	}
	if ((status = ctl_finish_output()) != CTL_EXIT_OK)
		return status;
	if (st.status != CTL_EXIT_OK)
		return st.status;
	if (st.bad > 0) {
		ctl_warnx("%zu input line%s could not be read", st.bad,
		    st.bad == 1 ? "" : "s");
		return CTL_EXIT_BADINPUT;
	}
	return CTL_EXIT_OK;
}
