/*
 * ctl-rules.c: "rules check" and "rules dump", what an administrator runs
 * after editing a rule file.  check builds the rule set exactly as the
 * daemon's reload does and runs every example; dump prints the canonical
 * form.  Neither classifies anything.
 */
#include <getopt.h>
#include <stdio.h>

#include "ctl.h"
#include "ruleset.h"

static int	ctl_rules_check(struct ctl_global *, int, char **);
static int	ctl_rules_dump(struct ctl_global *, int, char **);

const struct ctl_command ctl_rules_check_entry = {
	.name = "rules check",
	.usage = "[--rules DIR] [--no-jit] [DIR]",
	.help = "compile the rules and run every match/nomatch example",
	.handler = ctl_rules_check,
};

const struct ctl_command ctl_rules_dump_entry = {
	.name = "rules dump",
	.usage = "[--rules DIR] [--no-jit] [DIR]",
	.help = "print the rules in canonical form, word lists inlined",
	.handler = ctl_rules_dump,
};

/* Parses the options both commands share; returns the DIR or NULL. */
static int
ctl_rules_args(const struct ctl_command *cmd, struct ctl_global *g, int argc,
    char **argv, const char **dir)
{
	static const struct option longopts[] = {
		{ "rules",	required_argument,	NULL, 'r' },
		{ "no-jit",	no_argument,		NULL, 'J' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			g->rules_dir = optarg;
			break;
		case 'J':
			g->jit = false;
			break;
		default:
			return ctl_usage_error(cmd, NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		return ctl_usage_error(cmd, "too many arguments");
	*dir = ctl_rules_dir(g, argc == 1 ? argv[0] : NULL);
	return CTL_EXIT_OK;
}

static int
ctl_rules_check(struct ctl_global *g, int argc, char **argv)
{
	struct ruleset	*rs;
	struct diags	 d = { 0 };
	const char	*dir = NULL;
	size_t		 failed;
	int		 status;

	if ((status = ctl_rules_args(&ctl_rules_check_entry, g, argc, argv,
	    &dir)) != CTL_EXIT_OK)
		return status;
	/*
	 * Build without the examples, then run them all here, so that every
	 * failing example is listed, not only the build's verdict.
	 */
	if ((rs = ctl_load_rules(g, dir, false, &status)) == NULL)
		return status;
	failed = rs_check_examples(rs, &d);
	if (failed > 0 || d.n > 0) {
		diags_print(&d, stderr);
		if (d.n == 0)
			ctl_warnx("%s: %zu examples failed", dir, failed);
		diags_free(&d);
		rs_free(rs);
		return CTL_EXIT_RULES;
	}
	/*
	 * Not errors, but what an administrator should know: patterns no
	 * example exercises, and patterns that run on every comment.
	 */
	rs_check_coverage(rs, &d);
	rs_unfiltered(rs, &d);
	{
		size_t i;
		char buf[2048];

		for (i = 0; i < d.n; i++) {
			diags_format(&d, i, buf, sizeof buf);
			fprintf(stderr, "note: %s\n", buf);
		}
	}
	printf("rules OK: %zu rules, %zu examples\n", rs_rule_count(rs),
	    rs_example_count(rs));
	diags_free(&d);
	rs_free(rs);
	return ctl_finish_output();
}

static int
ctl_rules_dump(struct ctl_global *g, int argc, char **argv)
{
	struct ruleset	*rs;
	const char	*dir = NULL;
	int		 status;

	if ((status = ctl_rules_args(&ctl_rules_dump_entry, g, argc, argv,
	    &dir)) != CTL_EXIT_OK)
		return status;
	/* A set whose examples fail can still be dumped, to be fixed. */
	if ((rs = ctl_load_rules(g, dir, false, &status)) == NULL)
		return status;
	if (rs_dump(rs, stdout) == -1) {
		ctl_warn("rules dump");
		rs_free(rs);
		return CTL_EXIT_IOERR;
	}
	rs_free(rs);
	return ctl_finish_output();
}
