/*
 * test_officehours.c: German time without tzdata, and who is on duty.
 * The DST switches of 2024 and 2025 to the second, office hours across the
 * switches and weekends, the spec parser, and (when the system has tzdata)
 * a comparison with localtime(3) for every hour boundary of 1996..2037,
 * the years the current EU rule covers.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "officehours.h"

#define DST_START_2025	1743296400L	/* 2025-03-30 01:00:00 UTC */
#define DST_END_2025	1761440400L	/* 2025-10-26 01:00:00 UTC */
#define DST_START_2024	1711846800L	/* 2024-03-31 01:00:00 UTC */
#define DST_END_2024	1729990800L	/* 2024-10-27 01:00:00 UTC */

static void
test_offsets(void)
{
	struct tm tm;

	CHECK_INT(officehours_berlin_offset(DST_START_2025 - 1), 3600);
	CHECK_INT(officehours_berlin_offset(DST_START_2025), 7200);
	CHECK_INT(officehours_berlin_offset(DST_END_2025 - 1), 7200);
	CHECK_INT(officehours_berlin_offset(DST_END_2025), 3600);
	CHECK_INT(officehours_berlin_offset(DST_START_2024 - 1), 3600);
	CHECK_INT(officehours_berlin_offset(DST_START_2024), 7200);
	CHECK_INT(officehours_berlin_offset(DST_END_2024 - 1), 7200);
	CHECK_INT(officehours_berlin_offset(DST_END_2024), 3600);
	CHECK_INT(officehours_berlin_offset(0), 3600);

	/* 01:59:59 CET is followed by 03:00:00 CEST */
	officehours_berlin_tm(DST_START_2025 - 1, &tm);
	CHECK_INT(tm.tm_hour, 1);
	CHECK_INT(tm.tm_min, 59);
	CHECK_STR(tm.tm_zone, "CET");
	officehours_berlin_tm(DST_START_2025, &tm);
	CHECK_INT(tm.tm_hour, 3);
	CHECK_INT(tm.tm_min, 0);
	CHECK_INT(tm.tm_isdst, 1);
	CHECK_INT(tm.tm_gmtoff, 7200);
	CHECK_STR(tm.tm_zone, "CEST");
	CHECK_INT(tm.tm_year, 125);
	CHECK_INT(tm.tm_mon, 2);
	CHECK_INT(tm.tm_mday, 30);
	CHECK_INT(tm.tm_wday, 0);
	CHECK_INT(tm.tm_yday, 88);
	/* 02:59:59 CEST is followed by 02:00:00 CET */
	officehours_berlin_tm(DST_END_2025 - 1, &tm);
	CHECK_INT(tm.tm_hour, 2);
	CHECK_INT(tm.tm_min, 59);
	officehours_berlin_tm(DST_END_2025, &tm);
	CHECK_INT(tm.tm_hour, 2);
	CHECK_INT(tm.tm_min, 0);
	CHECK_STR(tm.tm_zone, "CET");
	/* new year's eve in UTC is already new year in Berlin */
	officehours_berlin_tm(1735689600L - 1800, &tm);	/* 2024-12-31 23:30Z */
	CHECK_INT(tm.tm_year, 125);
	CHECK_INT(tm.tm_mon, 0);
	CHECK_INT(tm.tm_mday, 1);
	CHECK_INT(tm.tm_hour, 0);
	CHECK_INT(tm.tm_min, 30);
	/* before the epoch does not crash and is sane */
	officehours_berlin_tm(-86400L * 365, &tm);
	CHECK_INT(tm.tm_year, 69);
	CHECK_INT(tm.tm_hour, 1);
}

/* Against the system's tzdata, when it has any. */
static void
test_against_tzdata(void)
{
	struct tm	mine, sys;
	time_t		t;
	long		bad = 0, n = 0;

	if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) != 0) {
		printf("no tzdata: comparison skipped\n");
		return;
	}
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	/* 1996-01-01 .. 2037-12-31, every 30 minutes near each boundary */
	for (t = 820454400L; t < 2145916800L; t += 1799) {
		officehours_berlin_tm(t, &mine);
		localtime_r(&t, &sys);
		n++;
		if (mine.tm_hour != sys.tm_hour || mine.tm_mday != sys.tm_mday ||
		    mine.tm_gmtoff != sys.tm_gmtoff ||
		    mine.tm_wday != sys.tm_wday || mine.tm_yday != sys.tm_yday) {
			if (bad++ < 5)
				fprintf(stderr, "t=%ld: %02d:%02d %+ld vs "
				    "%02d:%02d %+ld\n", (long)t, mine.tm_hour,
				    mine.tm_min, mine.tm_gmtoff, sys.tm_hour,
				    sys.tm_min, sys.tm_gmtoff);
		}
	}
	CHECK_INT(bad, 0);
	CHECK(n > 700000);
	unsetenv("TZ");
	tzset();
}

static void
test_contains(void)
{
	struct officehours	oh;
	char			err[128];

	CHECK_INT(officehours_parse(OFFICEHOURS_DEFAULT, &oh, err, sizeof err),
	    0);
	/* Monday 2025-06-02, CEST: 07:00Z is 09:00 */
	CHECK(!officehours_contains(&oh, 1748847600L - 60));	/* 08:59 */
	CHECK(officehours_contains(&oh, 1748847600L));		/* 09:00 */
	CHECK(officehours_contains(&oh, 1748847600L + 8 * 3600 - 1));
	CHECK(!officehours_contains(&oh, 1748847600L + 8 * 3600)); /* 17:00 */
	/* Monday 2025-01-06, CET: 08:00Z is 09:00 */
	CHECK(!officehours_contains(&oh, 1736150400L - 1));
	CHECK(officehours_contains(&oh, 1736150400L));
	/* Saturday 2025-06-07 12:00 CEST and Sunday: weekend */
	CHECK(!officehours_contains(&oh, 1749290400L));
	CHECK(!officehours_contains(&oh, 1749290400L + 86400));
	/* Monday after the spring switch: 07:00Z is 09:00 CEST */
	CHECK(!officehours_contains(&oh, 1743404400L - 1));
	CHECK(officehours_contains(&oh, 1743404400L));
	/* Friday before the autumn switch: 15:00Z is 17:00 CEST */
	CHECK(officehours_contains(&oh, 1761318000L - 1));
	CHECK(!officehours_contains(&oh, 1761318000L));
	/* Monday after it: 08:00Z is 09:00 CET, 07:30Z is 08:30 */
	CHECK(officehours_contains(&oh, 1761552000L));
	CHECK(!officehours_contains(&oh, 1761552000L - 1800));
	/* the switch nights themselves are Sundays */
	CHECK(!officehours_contains(&oh, DST_START_2025));
	CHECK(!officehours_contains(&oh, DST_END_2025));

	CHECK_STR(officehours_recipient(&oh, 1748847600L, "office@x", "oncall@x"),
	    "office@x");
	CHECK_STR(officehours_recipient(&oh, 1749290400L, "office@x", "oncall@x"),
	    "oncall@x");
	CHECK_STR(officehours_recipient(&oh, 1749290400L, "office@x", NULL),
	    "office@x");
	CHECK_STR(officehours_recipient(&oh, 1748847600L, "", "oncall@x"),
	    "oncall@x");
	CHECK(officehours_recipient(&oh, 1748847600L, NULL, NULL) == NULL);

	/* a Saturday shift 10:00-24:00 */
	CHECK_INT(officehours_parse("sat 10:00-24:00", &oh, err, sizeof err), 0);
	CHECK(officehours_contains(&oh, 1749290400L));		/* 12:00 */
	CHECK(officehours_contains(&oh, 1749290400L + 12 * 3600 - 1));
	CHECK(!officehours_contains(&oh, 1749290400L + 12 * 3600));
}

static void
test_parse(void)
{
	struct officehours	oh;
	char			err[128], buf[64];

	CHECK_INT(officehours_parse("Mon-Fri 09:00-17:00", &oh, err,
	    sizeof err), 0);
	CHECK_INT(oh.days, 0x1f);
	CHECK_INT(oh.start, 540);
	CHECK_INT(oh.end, 1020);
	CHECK_STR(officehours_format(&oh, buf, sizeof buf),
	    "Mon-Fri 09:00-17:00");
	CHECK_INT(officehours_parse("  MON,wed,Fri   07:30-16:15 ", &oh, err,
	    sizeof err), 0);
	CHECK_INT(oh.days, 0x15);
	CHECK_STR(officehours_format(&oh, buf, sizeof buf),
	    "Mon,Wed,Fri 07:30-16:15");
	CHECK_INT(officehours_parse("Fri-Mon 00:00-24:00", &oh, err,
	    sizeof err), 0);
	CHECK_INT(oh.days, 0x71);
	CHECK_STR(officehours_format(&oh, buf, sizeof buf),
	    "Mon,Fri-Sun 00:00-24:00");
	CHECK_INT(officehours_parse("Mon-Tue,Thu 08:00-12:00", &oh, err,
	    sizeof err), 0);
	CHECK_STR(officehours_format(&oh, buf, sizeof buf),
	    "Mon,Tue,Thu 08:00-12:00");

	CHECK_INT(officehours_parse("", &oh, err, sizeof err), -1);
	CHECK_INT(officehours_parse("Mo-Fr 09:00-17:00", &oh, err, sizeof err),
	    -1);
	CHECK(strstr(err, "expected a day") != NULL);
	CHECK_INT(officehours_parse("Mon-Fri", &oh, err, sizeof err), -1);
	CHECK_INT(officehours_parse("Mon-Fri 9:00-17:00", &oh, err, sizeof err),
	    -1);
	CHECK_INT(officehours_parse("Mon-Fri 09:00-17:60", &oh, err, sizeof err),
	    -1);
	CHECK_INT(officehours_parse("Mon-Fri 24:00-24:00", &oh, err, sizeof err),
	    -1);
	CHECK_INT(officehours_parse("Mon-Fri 09:00-24:01", &oh, err, sizeof err),
	    -1);
	CHECK_INT(officehours_parse("Mon-Fri 17:00-09:00", &oh, err, sizeof err),
	    -1);
	CHECK(strstr(err, "end before") != NULL);
	CHECK_INT(officehours_parse("Mon-Fri 09:00-17:00 CET", &oh, err,
	    sizeof err), -1);
	CHECK_INT(officehours_parse("Monday 09:00-17:00", &oh, err, sizeof err),
	    -1);
	CHECK_INT(officehours_parse("Mon, 09:00-17:00", &oh, err, sizeof err),
	    -1);
}

int
main(void)
{
	test_offsets();
	test_against_tzdata();
	test_contains();
	test_parse();
	return tu_finish("test_officehours");
}
