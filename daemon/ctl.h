/*
 * ctl.h: netiquettectl, the administrators' command-line tool.  This header
 * is the map of the tool: ctl.c owns main, the global options and the table
 * of commands; every other ctl-*.c file owns one command group and exports
 * one struct ctl_command per command.  Adding a command is one new entry and
 * one line in ctl.c's table.  Commands return an exit status (CTL_EXIT_*),
 * never call exit themselves, and print their errors to stderr with context.
 */
#ifndef NQ_CTL_H
#define NQ_CTL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ruleset.h"

/*
 * Exit statuses, documented in netiquettectl(1).  The values above 2 are
 * those of sysexits.h so that scripts can tell a typo from a bad rule.
 */
#define CTL_EXIT_OK		0
#define CTL_EXIT_RULES		1	/* rule set invalid, examples failed */
#define CTL_EXIT_BADINPUT	2	/* some input lines or records were bad */
#define CTL_EXIT_USAGE		64	/* EX_USAGE */
#define CTL_EXIT_DATAERR	65	/* EX_DATAERR: input in no known format */
#define CTL_EXIT_NOINPUT	66	/* EX_NOINPUT: cannot open input or DIR */
#define CTL_EXIT_SOFTWARE	70	/* EX_SOFTWARE: internal error */
#define CTL_EXIT_IOERR		74	/* EX_IOERR: cannot write the output */

/* Options given before the command; commands may override them. */
struct ctl_global {
	const char	*rules_dir;	/* --rules, NULL for the default */
	bool		 jit;		/* false with --no-jit */
};

struct ctl_command {
	const char	*name;		/* "rules check": one or two words */
	const char	*usage;		/* arguments after the name */
	const char	*help;		/* one line for "netiquettectl help" */
	/* argv[0] is the last word of the name; getopt may be used. */
	int		(*handler)(struct ctl_global *, int argc, char **argv);
};

/* ctl.c */
extern const char	*ctl_progname;
const char	*ctl_rules_dir(const struct ctl_global *, const char *arg);
struct ruleset	*ctl_load_rules(const struct ctl_global *, const char *dir,
		    bool run_examples, int *status);
int		 ctl_usage_error(const struct ctl_command *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 ctl_warnx(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
void		 ctl_warn(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
int		 ctl_finish_output(void);
void		 ctl_print_text(FILE *, const char *s, size_t len, size_t max);

/* ctl-rules.c */
extern const struct ctl_command ctl_rules_check_entry;
extern const struct ctl_command ctl_rules_dump_entry;

/* ctl-classify.c */
extern const struct ctl_command ctl_classify_entry;

/* ctl-eval.c */
extern const struct ctl_command ctl_eval_entry;

#endif
