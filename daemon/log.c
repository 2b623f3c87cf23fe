/*
 * log.c: see log.h.  The only state is the level and whether to prefix
 * syslog priorities; both are set once at startup (and the level again on
 * reload), so they live here rather than in struct daemon.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static enum log_level	log_level = LOG_LVL_INFO;
static int		log_journald;

static const char *log_names[] = { "error", "warning", "info", "debug" };
static const int log_prio[] = { 3, 4, 6, 7 };

void
log_init(enum log_level level, int journald_prefix)
{
	log_level = level;
	log_journald = journald_prefix;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

int
log_level_from_name(const char *name)
{
	int i;

	for (i = 0; i <= LOG_LVL_DEBUG; i++)
		if (strcmp(name, log_names[i]) == 0)
			return i;
	return -1;
}

static void log_vmsg(enum log_level, const char *, int, const char *, va_list)
    __attribute__((format(printf, 4, 0)));

static void
log_vmsg(enum log_level level, const char *func, int with_errno,
    const char *fmt, va_list ap)
{
	char	msg[2048];
	int	saved = errno;

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (log_journald)
		fprintf(stderr, "<%d>%s: %s%s%s\n", log_prio[level], func, msg,
		    with_errno ? ": " : "", with_errno ? strerror(saved) : "");
	else
		fprintf(stderr, "netiquetted: %s: %s: %s%s%s\n", log_names[level],
		    func, msg, with_errno ? ": " : "",
		    with_errno ? strerror(saved) : "");
	errno = saved;
}

void
log_msg(enum log_level level, const char *func, int with_errno,
    const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	log_vmsg(level, func, with_errno, fmt, ap);
	va_end(ap);
}

void
log_fatal(const char *func, int with_errno, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERR, func, with_errno, fmt, ap);
	va_end(ap);
	exit(1);
}
