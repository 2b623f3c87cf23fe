/*
 * officehours.c: German civil time from the EU summer-time rule, and the
 * office-hours spec.  Calendar arithmetic uses Howard Hinnant's
 * days_from_civil/civil_from_days, which are exact for the proleptic
 * Gregorian calendar and need neither libc time zones nor tzdata.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "evidence.h"
#include "officehours.h"

static const char *oh_days[7] = {
	"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"
};

/* Days since 1970-01-01 of y-m-d (m 1..12). */
static long
oh_days_from_civil(long y, unsigned m, unsigned d)
{
	long		era;
	unsigned	yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

static void
oh_civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
	long		era;
	unsigned	doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long)yoe + era * 400 + (*m <= 2);
}

static long
oh_floordiv(long long a, long b)
{
	long long q = a / b;

	if ((a % b) != 0 && ((a < 0) != (b < 0)))
		q--;
	return (long)q;
}

/* 0 = Sunday, like tm_wday; 1970-01-01 was a Thursday. */
static int
oh_weekday(long days)
{
	long w = (days + 4) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

/*
 * German time has one implementation, evidence.c's (with the rules before
 * 1996 as well): office hours and evidence timestamps must never disagree.
 */
int
officehours_berlin_offset(time_t t)
{
	return evidence_berlin_offset((int64_t)t);
}

void
officehours_berlin_tm(time_t t, struct tm *tm)
{
	long long	local;
	long		days, y, secs;
	unsigned	m, d;
	int		off;

	off = officehours_berlin_offset(t);
	local = (long long)t + off;
	days = oh_floordiv(local, 86400);
	secs = (long)(local - (long long)days * 86400);
	oh_civil_from_days(days, &y, &m, &d);
	memset(tm, 0, sizeof *tm);
	tm->tm_year = (int)(y - 1900);
	tm->tm_mon = (int)m - 1;
	tm->tm_mday = (int)d;
	tm->tm_hour = (int)(secs / 3600);
	tm->tm_min = (int)(secs / 60 % 60);
	tm->tm_sec = (int)(secs % 60);
	tm->tm_wday = oh_weekday(days);
	tm->tm_yday = (int)(days - oh_days_from_civil(y, 1, 1));
	tm->tm_isdst = off == 7200;
	tm->tm_gmtoff = off;
	tm->tm_zone = off == 7200 ? "CEST" : "CET";
}

bool
officehours_contains(const struct officehours *oh, time_t t)
{
	struct tm	tm;
	int		day, min;

	officehours_berlin_tm(t, &tm);
	day = (tm.tm_wday + 6) % 7;		/* Monday = 0 */
	min = tm.tm_hour * 60 + tm.tm_min;
	return (oh->days & (1u << day)) && min >= oh->start && min < oh->end;
}

const char *
officehours_recipient(const struct officehours *oh, time_t t,
    const char *office_to, const char *oncall_to)
{
	const char *pick, *other;

	if (officehours_contains(oh, t)) {
		pick = office_to;
		other = oncall_to;
	} else {
		pick = oncall_to;
		other = office_to;
	}
	if (pick != NULL && *pick != '\0')
		return pick;
	return other;
}

/* --- the spec -------------------------------------------------------------- */

static int
oh_parse_day(const char **sp)
{
	int i;

	for (i = 0; i < 7; i++)
		if (strncasecmp(*sp, oh_days[i], 3) == 0 &&
		    !isalpha((unsigned char)(*sp)[3])) {
			*sp += 3;
			return i;
		}
	return -1;
}

/* "HH:MM"; 24:00 only when allow24.  Minutes after midnight or -1. */
static int
oh_parse_time(const char **sp, int allow24)
{
	const char	*s = *sp;
	int		 h, m;

	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow24)))
		return -1;
	*sp = s + 5;
	return h * 60 + m;
}

int
officehours_parse(const char *spec, struct officehours *oh, char *err,
    size_t errlen)
{
	const char	*s = spec;
	int		 a, b, i;
	unsigned	 days = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	for (;;) {
		if ((a = oh_parse_day(&s)) == -1)
			goto bad_day;
		b = a;
		if (*s == '-') {
			s++;
			if ((b = oh_parse_day(&s)) == -1)
				goto bad_day;
		}
		for (i = a;; i = (i + 1) % 7) {
			days |= 1u << i;
			if (i == b)
				break;
		}
		if (*s != ',')
			break;
		s++;
	}
	if (*s != ' ' && *s != '\t') {
		snprintf(err, errlen, "expected 'DAYS HH:MM-HH:MM' "
		    "(e.g. '%s')", OFFICEHOURS_DEFAULT);
		return -1;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if ((a = oh_parse_time(&s, 0)) == -1 || *s++ != '-' ||
	    (b = oh_parse_time(&s, 1)) == -1) {
		snprintf(err, errlen, "bad time range, expected HH:MM-HH:MM "
		    "(e.g. 09:00-17:00)");
		return -1;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '\0') {
		snprintf(err, errlen, "unexpected text after the time range");
		return -1;
	}
	if (b <= a) {
		snprintf(err, errlen, "office hours end before they start "
		    "(an overnight range is not supported)");
		return -1;
	}
	oh->days = days;
	oh->start = a;
	oh->end = b;
	return 0;

bad_day:
	snprintf(err, errlen, "expected a day (Mon Tue Wed Thu Fri Sat Sun), "
	    "a range like Mon-Fri or a list like Mon,Wed");
	return -1;
}

char *
officehours_format(const struct officehours *oh, char *buf, size_t len)
{
	size_t	off = 0;
	int	i, j, n;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < 7; i++) {
		if (!(oh->days & (1u << i)))
			continue;
		for (j = i; j + 1 < 7 && (oh->days & (1u << (j + 1))); j++)
			;
		if (j >= i + 2)
			n = snprintf(buf + off, len - off, "%s%s-%s",
			    off ? "," : "", oh_days[i], oh_days[j]);
		else if (j == i + 1)
			n = snprintf(buf + off, len - off, "%s%s,%s",
			    off ? "," : "", oh_days[i], oh_days[j]);
		else
			n = snprintf(buf + off, len - off, "%s%s",
			    off ? "," : "", oh_days[i]);
		if (n < 0 || (size_t)n >= len - off)
			return buf;
		off += n;
		i = j;
	}
	snprintf(buf + off, len - off, " %02d:%02d-%02d:%02d",
	    oh->start / 60, oh->start % 60, oh->end / 60, oh->end % 60);
	return buf;
}
