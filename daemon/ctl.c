/*
 * ctl.c: main for netiquettectl.  Parses the global options, finds the
 * command in the table below and runs it; also the helpers every command
 * shares: where the rules are, loading them with the user's options, and
 * reporting errors.  The commands themselves live in ctl-*.c, one file per
 * command group; this file knows nothing about what they do.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "ctl-store.h"
#include "ruleset.h"

const char	*ctl_progname = "netiquettectl";

extern const struct ctl_command ctl_user_entry;	/* ctl-user.c */
extern const struct ctl_command ctl_queue_entry;	/* ctl-queue.c */

static int	 ctl_help(struct ctl_global *, int, char **);
static int	 ctl_version(struct ctl_global *, int, char **);

static const struct ctl_command ctl_help_entry = {
	.name = "help",
	.usage = "",
	.help = "list the commands",
	.handler = ctl_help,
};

static const struct ctl_command ctl_version_entry = {
	.name = "version",
	.usage = "",
	.help = "print the version",
	.handler = ctl_version,
};

static const struct ctl_command *ctl_commands[] = {
	&ctl_rules_check_entry,
	&ctl_rules_dump_entry,
	&ctl_classify_entry,
	&ctl_eval_entry,
	&ctl_audit_entry,
	&ctl_evidence_entry,
	&ctl_user_entry,
	&ctl_queue_entry,
	&ctl_help_entry,
	&ctl_version_entry,
	NULL
};

static void __attribute__((format(printf, 1, 0)))
ctl_vwarn(const char *fmt, va_list ap, const char *err)
{
	fprintf(stderr, "%s: ", ctl_progname);
	vfprintf(stderr, fmt, ap);
	if (err != NULL)
		fprintf(stderr, ": %s", err);
	fputc('\n', stderr);
}

/* Prints "netiquettectl: message" to stderr. */
void
ctl_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_vwarn(fmt, ap, NULL);
	va_end(ap);
}

/* Prints "netiquettectl: message: strerror(errno)" to stderr. */
void
ctl_warn(const char *fmt, ...)
{
	va_list	 ap;
	char	 err[128];

	snprintf(err, sizeof err, "%s", strerror(errno));
	va_start(ap, fmt);
	ctl_vwarn(fmt, ap, err);
	va_end(ap);
}

/* Reports a usage error for cmd and returns CTL_EXIT_USAGE. */
int
ctl_usage_error(const struct ctl_command *cmd, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		ctl_vwarn(fmt, ap, NULL);
		va_end(ap);
	}
	fprintf(stderr, "usage: %s %s%s%s\n", ctl_progname, cmd->name,
	    cmd->usage[0] != '\0' ? " " : "", cmd->usage);
	return CTL_EXIT_USAGE;
}

/*
 * Flushes stdout and tells whether everything written reached it; a full
 * disk or a closed pipe must not look like success.
 */
int
ctl_finish_output(void)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		ctl_warn("cannot write output");
		return CTL_EXIT_IOERR;
	}
	return CTL_EXIT_OK;
}

/*
 * Writes s[0..len) for a human reader, in double quotes: printable UTF-8
 * as it is, control characters and invalid bytes escaped (\n, \t, \xNN),
 * at most max bytes of the text followed by how much was left out.
 */
void
ctl_print_text(FILE *fp, const char *s, size_t len, size_t max)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, n, k;

	fputc('"', fp);
	for (i = 0; i < len && i < max; i += n) {
		n = 1;
		if (u[i] == '\n')
			fputs("\\n", fp);
		else if (u[i] == '\t')
			fputs("\\t", fp);
		else if (u[i] == '"' || u[i] == '\\')
			fprintf(fp, "\\%c", u[i]);
		else if (u[i] < 0x20 || u[i] == 0x7f)
			fprintf(fp, "\\x%02x", u[i]);
		else if (u[i] < 0x80)
			fputc(u[i], fp);
		else {
			/* A well-formed sequence is copied, a bad byte escaped. */
			if (u[i] >= 0xc2 && u[i] <= 0xdf)
				n = 2;
			else if (u[i] >= 0xe0 && u[i] <= 0xef)
				n = 3;
			else if (u[i] >= 0xf0 && u[i] <= 0xf4)
				n = 4;
			else
				n = 0;
			for (k = 1; n > 0 && k < n; k++)
				if (i + k >= len || (u[i + k] & 0xc0) != 0x80)
					n = 0;
			if (n == 0) {
				fprintf(fp, "\\x%02x", u[i]);
				n = 1;
			} else
				fwrite(s + i, 1, n, fp);
		}
	}
	fputc('"', fp);
	if (len > max)
		fprintf(fp, " ... (%zu more bytes)", len - max);
}

/*
 * The rule directory to use: an explicit argument, then --rules, then
 * $NETIQUETTE_RULES, then the source tree's rules/ when this binary runs
 * from a build tree that still has it, then the installed rules.
 */
const char *
ctl_rules_dir(const struct ctl_global *g, const char *arg)
{
	const char	*env;
	struct stat	 st;

	if (arg != NULL)
		return arg;
	if (g->rules_dir != NULL)
		return g->rules_dir;
	if ((env = getenv("NETIQUETTE_RULES")) != NULL && *env != '\0')
		return env;
	if (stat(NQ_SOURCE_RULES_DIR, &st) == 0 && S_ISDIR(st.st_mode))
		return NQ_SOURCE_RULES_DIR;
	return NQ_INSTALLED_RULES_DIR;
}

static void
ctl_jit_log(void *arg, const char *msg)
{
	static int logged;

	if (logged++ == 0)
		ctl_warnx("%s", msg);
}

/*
 * Builds the rule set from dir (see ctl_rules_dir).  On failure prints
 * every problem as "file:line: message" to stderr, sets *status
 * (CTL_EXIT_NOINPUT when dir is not a readable directory, CTL_EXIT_RULES
 * otherwise) and returns NULL.
 */
struct ruleset *
ctl_load_rules(const struct ctl_global *g, const char *dir, bool run_examples,
    int *status)
{
	struct rs_options	 opts;
	struct diags		 d = { 0 };
	struct ruleset		*rs;
	struct stat		 st;

	if (stat(dir, &st) == -1) {
		ctl_warn("rules directory %s", dir);
		*status = CTL_EXIT_NOINPUT;
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		ctl_warnx("rules directory %s: not a directory", dir);
		*status = CTL_EXIT_NOINPUT;
		return NULL;
	}
	rs_options_default(&opts);
	opts.jit = opts.jit && g->jit;
	opts.run_examples = run_examples;
	opts.log = ctl_jit_log;
	opts.log_arg = NULL;
	rs = rs_load_dir(dir, &opts, &d);
	if (rs == NULL) {
		diags_print(&d, stderr);
		if (d.n == 0)
			ctl_warnx("%s: rule set failed to build", dir);
		*status = CTL_EXIT_RULES;
	} else
		*status = CTL_EXIT_OK;
	diags_free(&d);
	return rs;
}

static void
ctl_print_usage(FILE *fp)
{
	const struct ctl_command **c;

	fprintf(fp, "usage: %s [--rules DIR] [--no-jit] command [args]\n",
	    ctl_progname);
	fprintf(fp, "commands:\n");
	for (c = ctl_commands; *c != NULL; c++)
		fprintf(fp, "  %s%s%s\n      %s\n", (*c)->name,
		    (*c)->usage[0] != '\0' ? " " : "", (*c)->usage, (*c)->help);
}

static int
ctl_help(struct ctl_global *g, int argc, char **argv)
{
	ctl_print_usage(stdout);
	return ctl_finish_output();
}

static int
ctl_version(struct ctl_global *g, int argc, char **argv)
{
	printf("netiquettectl %s\n", NQ_VERSION);
	return ctl_finish_output();
}

/*
 * Finds the command named by argv[0] (and argv[1] for two-word names);
 * *used says how many words the name took.  A one-word prefix of a group
 * ("rules") alone is an error listing the group's commands.
 */
static const struct ctl_command *
ctl_find(int argc, char **argv, int *used)
{
	const struct ctl_command	**c;
	size_t				  n0 = strlen(argv[0]);
	const char			 *name;

	for (c = ctl_commands; *c != NULL; c++) {
		name = (*c)->name;
		if (strncmp(name, argv[0], n0) != 0)
			continue;
		if (name[n0] == '\0') {
			*used = 1;
			return *c;
		}
		if (name[n0] == ' ' && argc > 1 &&
		    strcmp(name + n0 + 1, argv[1]) == 0) {
			*used = 2;
			return *c;
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rules",	required_argument,	NULL, 'r' },
		{ "no-jit",	no_argument,		NULL, 'J' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_global		 g = { .rules_dir = NULL, .jit = true };
	const struct ctl_command	*cmd;
	int				 ch, used;

	/* "+": stop at the command, its options are its own. */
	while ((ch = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			g.rules_dir = optarg;
			break;
		case 'J':
			g.jit = false;
			break;
		case 'h':
			ctl_print_usage(stdout);
			return ctl_finish_output();
		case 'V':
			return ctl_version(&g, 0, NULL);
		default:
			ctl_print_usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		ctl_print_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if ((cmd = ctl_find(argc, argv, &used)) == NULL) {
		if (argc > 1)
			ctl_warnx("unknown command: %s %s", argv[0], argv[1]);
		else
			ctl_warnx("unknown command: %s", argv[0]);
		ctl_print_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	argc -= used - 1;
	argv += used - 1;
	optind = 0;	/* glibc: reinitialize for the command's getopt */
	return cmd->handler(&g, argc, argv);
}
