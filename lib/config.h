/*
 * config.h: netiquetted.conf(5), the daemon's configuration.
 *
 * Every key lives in one declarative table in config.c (section, key,
 * type, default, range, repeatable, help).  The parser, the printer behind
 * `netiquetted -n` and the key reference in the manual page are all driven
 * by that table, so they cannot drift apart; test_config checks that
 * man/netiquetted.conf.5 holds exactly what config_print_reference() emits.
 *
 * The syntax is kvfile.h's.  Sections: the global one (before any header),
 * [account NAME] (repeatable, one per social media account), [policy],
 * [offenders] and [notify].  Every problem is reported as file:line:
 * message, all of them, through struct diags.
 *
 * Ownership: a struct config owns every string and array it points to;
 * config_free() releases them.  Access tokens are not part of it: they are
 * read on demand by config_read_token() and never stored or logged here.
 */
#ifndef NQ_CONFIG_H
#define NQ_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "officehours.h"
#include "policy.h"

#define CONFIG_DEFAULT_PATH	"/etc/netiquetted/netiquetted.conf"

enum config_log_level {
	CONFIG_LOG_ERROR,
	CONFIG_LOG_WARNING,
	CONFIG_LOG_NOTICE,
	CONFIG_LOG_INFO,
	CONFIG_LOG_DEBUG,
};

/* A repeatable string key, in file order. */
struct config_strv {
	char	**v;
	size_t	  n;
};

struct config_account {
	char			*name;		/* [account NAME] */
	int			 line;		/* of the header */
	char			*platform;	/* mastodon youtube facebook
						   instagram x */
	char			*base_url;	/* no trailing slash */
	char			*token_file;	/* as written; see config_read_token */
	char			*admin_token_file; /* NULL when not set */
	char			*confdir;	/* directory of the config file */
	enum policy_mode	 mode;
	long			 poll_interval;	/* seconds; global value if unset */
	bool			 report_forward;
	bool			 backfill;	/* first start: whole history */
	struct policy_overrides	 overrides;	/* policy.<category> lines */
};

struct config_notify {
	char			*webhook_url;	/* NULL when not set */
	char			*smtp_url;	/* smtp:// or smtps://; NULL */
	char			*mail_from;	/* NULL when not set */
	char			*office_to;	/* NULL when not set */
	char			*oncall_to;	/* NULL when not set */
	char			*office_hours;	/* the spec as written */
	struct officehours	 hours;		/* office_hours parsed */
	char			*timezone;	/* always "Europe/Berlin" */
};

struct config {
	char			*path;		/* the file parsed */
	char			*state_dir;
	struct config_strv	 rules_dirs;
	char			*listen;	/* "host:port" */
	char			*proxy_auth_header; /* NULL: no proxy auth */
	struct config_strv	 proxy_auth_from; /* addresses, networks */
	bool			 proxy_auth_password_login;
	long			 poll_interval;	/* seconds */
	enum config_log_level	 log_level;
	int			 max_tries;
	long			 backoff_base;	/* seconds */
	long			 backoff_max;	/* seconds */
	long			 request_timeout; /* seconds */
	struct policy		 policy;	/* [policy] and [offenders] */
	struct config_notify	 notify;
	struct config_account	*accounts;
	size_t			 naccounts;
};

/* Fills c with every documented default (and no accounts). */
void	config_init(struct config *c);
void	config_free(struct config *c);

/*
 * Parses a configuration file into c (which is initialised first).
 * Returns 0 when the file is valid, -1 otherwise with every problem in d;
 * c must be freed in both cases.
 */
int	config_parse_file(const char *path, struct config *c, struct diags *d);
/* The same from len bytes of buf; path names them in diagnostics. */
int	config_parse_buffer(const char *path, const char *buf, size_t len,
	    struct config *c, struct diags *d);

/*
 * Writes the effective configuration (defaults included) in the file's own
 * syntax, keys in table order; parsing the output gives the same config.
 */
void	config_print(FILE *, const struct config *c);
/* The key reference in man(7) format, the body of netiquetted.conf(5). */
void	config_print_reference(FILE *);

/*
 * Key i of the table (NULL past the end) and the kind of its section ("" for
 * global ones); a per-category key is its prefix ("policy." or "").  For
 * tests and tools that must cover every key.
 */
const char	*config_key(size_t i, const char **section);

/*
 * Whether addr (a numeric IPv4 or IPv6 address as a socket reports it,
 * IPv4-mapped ones included) lies in one of nets, the validated values of
 * a CT_NET key such as proxy-auth-from.
 */
bool	config_net_match(const struct config_strv *nets, const char *addr);

const struct config_account *config_account_find(const struct config *,
	    const char *name);

/*
 * Reads the account's access token (admin false) or admin token (admin
 * true): a relative path is taken from $CREDENTIALS_DIRECTORY when that is
 * set (systemd LoadCredential=), else from the configuration file's
 * directory.  Surrounding white space is trimmed; an empty token or one
 * with control characters inside is refused.  Returns 0 with an owned
 * *token (the caller should explicit_bzero() it before free()), or -1 with
 * a diagnostic that names the file but never its content.
 */
int	config_read_token(const struct config_account *, bool admin,
	    char **token, struct diags *d);

/*
 * Durations as the file writes them: "30s", "5m", "1h", "30d", "2w",
 * "1h30m"; a bare number is seconds.  Returns 0, or -1 when malformed or
 * out of range for a long.
 */
int	config_parse_duration(const char *s, long *secs);
/* The shortest exact form, e.g. 1800 -> "30m".  Returns buf. */
char	*config_format_duration(long secs, char *buf, size_t len);

#endif
