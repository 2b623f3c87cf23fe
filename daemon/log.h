/*
 * log.h: the daemon's logging, OpenBSD style.  Foreground, stderr, one line
 * per message with a level prefix journald understands ("<3>" ... "<7>")
 * when running under systemd, and the calling function's name as context.
 * log_warn appends strerror(errno); log_warnx does not.  log_debug is
 * silent unless the level is debug.  fatal/fatalx are for broken
 * invariants only: they log and exit.
 */
#ifndef NQ_LOG_H
#define NQ_LOG_H
#include <stdarg.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void	log_init(enum log_level, int journald_prefix);
void	log_set_level(enum log_level);
int	log_level_from_name(const char *);	/* -1 when unknown */

void	log_msg(enum log_level, const char *func, int with_errno,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	log_fatal(const char *func, int with_errno, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4), noreturn));

#define log_warn(...)	log_msg(LOG_LVL_WARN, __func__, 1, __VA_ARGS__)
#define log_warnx(...)	log_msg(LOG_LVL_WARN, __func__, 0, __VA_ARGS__)
#define log_err(...)	log_msg(LOG_LVL_ERR, __func__, 0, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __func__, 0, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __func__, 0, __VA_ARGS__)
#define fatal(...)	log_fatal(__func__, 1, __VA_ARGS__)
#define fatalx(...)	log_fatal(__func__, 0, __VA_ARGS__)

#endif
