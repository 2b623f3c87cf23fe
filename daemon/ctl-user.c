/*
 * ctl-user.c: "user add NAME --role R" and "user token NAME": local users
 * of the web UI and API tokens for "netiquettectl queue", written directly
 * into the state store (users.h).  The password is read from the terminal
 * without echo, twice, or with --password-stdin as the first line of
 * standard input.  A token is printed once; only its hash is kept.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "ctl-store.h"
#include "ctl.h"
#include "users.h"

static int	ctl_user_handler(struct ctl_global *, int, char **);

const struct ctl_command ctl_user_entry = {
	.name = "user",
	.usage = "add NAME --role editor|legal|admin [--state DIR] "
	    "[--password-stdin] | token NAME [--state DIR]",
	.help = "add a web UI user, or create an API token for one",
	.handler = ctl_user_handler,
};

/* Reads one line without echo when fd 0 is a terminal.  0 or -1. */
static int
ctl_user_read_password(const char *prompt, bool tty, char *buf, size_t len)
{
	struct termios	old, quiet;
	bool		restore = false;
	char		*nl;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
		}
	}
	if (fgets(buf, (int)len, stdin) == NULL)
		buf[0] = '\0';
	if (restore) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	else if (!feof(stdin) && strlen(buf) == len - 1) {
		ctl_warnx("password too long");
		return -1;
	}
	if ((nl = strchr(buf, '\r')) != NULL)
		*nl = '\0';
	return 0;
}

/* Opens the store, creating the database when dir exists. */
static struct store *
ctl_user_store(const char *dir)
{
	struct store_err	 e = { "" };
	struct store		*st;

	if (dir == NULL)
		dir = getenv("STATE_DIRECTORY");
	if (dir == NULL || dir[0] == '\0')
		dir = CTL_STATE_DEFAULT;
	if (access(dir, W_OK) == -1) {
		ctl_warn("state directory %s", dir);
		return NULL;
	}
	if ((st = store_open(dir, &e)) == NULL)
		ctl_warnx("%s", e.msg);
	return st;
}

static int
ctl_user_add(const struct ctl_command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state",		required_argument,	NULL, 's' },
		{ "role",		required_argument,	NULL, 'r' },
		{ "password-stdin",	no_argument,		NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct store_err	 e = { "" };
	struct store		*st;
	const char		*dir = NULL, *name;
	char			 pw[USERS_PASSWORD_MAX + 2];
	char			 pw2[USERS_PASSWORD_MAX + 2];
	int			 ch, role = -1, rc;
	bool			 from_stdin = false, tty;
	json_t			*detail;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			dir = optarg;
			break;
		case 'r':
			if ((role = users_role_from_name(optarg)) < 0)
				return ctl_usage_error(cmd, "unknown role %s "
				    "(editor, legal, admin)", optarg);
			break;
		case 'p':
			from_stdin = true;
			break;
		default:
			return ctl_usage_error(cmd, NULL);
		}
	}
	if (optind + 1 != argc)
		return ctl_usage_error(cmd, "user add: one NAME expected");
	if (role < 0)
		return ctl_usage_error(cmd, "user add: --role is required");
	name = argv[optind];
	if (!users_name_valid(name)) {
		ctl_warnx("invalid user name %s (1-%d of A-Z a-z 0-9 . _ -)",
		    name, USERS_NAME_MAX);
		return CTL_EXIT_DATAERR;
	}
	tty = !from_stdin && isatty(STDIN_FILENO);
	if (ctl_user_read_password("Password: ", tty, pw, sizeof pw) == -1)
		return CTL_EXIT_DATAERR;
	if (tty) {
		if (ctl_user_read_password("Again: ", tty, pw2, sizeof pw2) == -1)
			return CTL_EXIT_DATAERR;
		if (strcmp(pw, pw2) != 0) {
			sodium_memzero(pw, sizeof pw);
			sodium_memzero(pw2, sizeof pw2);
			ctl_warnx("the passwords differ");
			return CTL_EXIT_DATAERR;
		}
		sodium_memzero(pw2, sizeof pw2);
	}
	if ((st = ctl_user_store(dir)) == NULL) {
		sodium_memzero(pw, sizeof pw);
		return CTL_EXIT_NOINPUT;
	}
	rc = users_add(st, name, (enum users_role)role, pw, time(NULL), &e);
	sodium_memzero(pw, sizeof pw);
	if (rc == 1) {
		detail = json_pack("{s:s, s:s}", "user", name, "role",
		    users_role_name((enum users_role)role));
		rc = audit_append(st, ctl_store_actor(), "user.add", 0, detail,
		    NULL, &e) == 0 ? 1 : -1;
		json_decref(detail);
	}
	store_close(st);
	if (rc != 1) {
		ctl_warnx("user add %s: %s", name, e.msg);
		return CTL_EXIT_DATAERR;
	}
	printf("user %s added with role %s\n", name,
	    users_role_name((enum users_role)role));
	return ctl_finish_output();
}

static int
ctl_user_token(const struct ctl_command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state",	required_argument,	NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct store_err	 e = { "" };
	struct store		*st;
	const char		*dir = NULL;
	char			 tok[USERS_SECRET_LEN];
	int			 ch, rc;
	json_t			*detail;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 's')
			return ctl_usage_error(cmd, NULL);
		dir = optarg;
	}
	if (optind + 1 != argc)
		return ctl_usage_error(cmd, "user token: one NAME expected");
	if ((st = ctl_user_store(dir)) == NULL)
		return CTL_EXIT_NOINPUT;
	rc = users_token_new(st, argv[optind], time(NULL), tok, &e);
	if (rc == 0) {
		detail = json_pack("{s:s}", "user", argv[optind]);
		rc = audit_append(st, ctl_store_actor(), "user.token", 0, detail,
		    NULL, &e);
		json_decref(detail);
	}
	store_close(st);
	if (rc == -1) {
		ctl_warnx("user token %s: %s", argv[optind], e.msg);
		return CTL_EXIT_DATAERR;
	}
	printf("%s\n", tok);
	sodium_memzero(tok, sizeof tok);
	return ctl_finish_output();
}

static int
ctl_user_handler(struct ctl_global *g, int argc, char **argv)
{
	const struct ctl_command *cmd = &ctl_user_entry;

	if (argc < 2)
		return ctl_usage_error(cmd, "user: add or token expected");
	if (strcmp(argv[1], "add") == 0)
		return ctl_user_add(cmd, argc - 1, argv + 1);
	if (strcmp(argv[1], "token") == 0)
		return ctl_user_token(cmd, argc - 1, argv + 1);
	return ctl_usage_error(cmd, "user: unknown subcommand %s", argv[1]);
}
