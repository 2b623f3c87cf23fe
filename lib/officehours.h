/*
 * officehours.h: who is on duty when an escalation arrives.  The editors
 * work office hours (by default Mon-Fri 09:00-17:00 German time); outside
 * them the on-call address gets the notification.
 *
 * German time is computed here, not with localtime(3): the daemon may run
 * in a sandbox without tzdata, and a notification sent to an empty office
 * because the container thought it was UTC is exactly the failure this
 * module exists to prevent.  The rule is the EU one (Directive 2000/84/EC):
 * CEST (UTC+2) from the last Sunday of March 01:00 UTC to the last Sunday
 * of October 01:00 UTC, CET (UTC+1) otherwise.  Public holidays are not
 * known; list them as on-call days by other means if needed.
 */
#ifndef NQ_OFFICEHOURS_H
#define NQ_OFFICEHOURS_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define OFFICEHOURS_DEFAULT	"Mon-Fri 09:00-17:00"

struct officehours {
	unsigned	 days;		/* bit 0 = Monday ... bit 6 = Sunday */
	int		 start;		/* minutes after local midnight */
	int		 end;		/* exclusive, start < end <= 1440 */
};

/*
 * Parses "DAYS HH:MM-HH:MM", DAYS a comma-separated list of English day
 * abbreviations or ranges ("Mon-Fri", "Mon,Wed,Fri", "Sat-Sun", "Fri-Mon"
 * wraps), case-insensitive; the end may be 24:00.  Returns 0, or -1 with
 * a message in err.
 */
int		 officehours_parse(const char *spec, struct officehours *,
		    char *err, size_t errlen);
/* The canonical spec, e.g. "Mon-Fri 09:00-17:00".  Returns buf. */
char		*officehours_format(const struct officehours *, char *buf,
		    size_t len);

/* UTC offset of German time at t: 3600 (CET) or 7200 (CEST). */
int		 officehours_berlin_offset(time_t t);
/*
 * German local time of t, with tm_wday, tm_yday, tm_isdst, tm_gmtoff and
 * tm_zone ("CET"/"CEST") set.
 */
void		 officehours_berlin_tm(time_t t, struct tm *out);

/* True when t falls inside the office hours (German time). */
bool		 officehours_contains(const struct officehours *, time_t t);
/*
 * office_to when t is inside the office hours, oncall_to otherwise; when
 * the chosen one is NULL or empty, the other one (which may be NULL too).
 */
const char	*officehours_recipient(const struct officehours *, time_t t,
		    const char *office_to, const char *oncall_to);

#endif
