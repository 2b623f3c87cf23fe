/*
 * evidence.c: building, hashing, storing and exporting evidence records
 * (evidence.h), and the calendar arithmetic for UTC and German local time
 * they need.  The rows themselves go through store.c; the audit entries
 * through audit.c.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "evidence.h"
#include "store.h"
#include "xmalloc.h"

/* --- calendar -------------------------------------------------------------------- */

/*
 * Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard
 * Hinnant's algorithms): exact for any year, no tables, no libc time zone.
 */
static int64_t
ev_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		era;
	unsigned	yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
ev_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t		era;
	unsigned	doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t
ev_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* 01:00 UTC on the last Sunday of month m (31 or 30 days) of year y. */
static int64_t
ev_last_sunday_0100(int64_t y, unsigned m, unsigned ndays)
{
	int64_t	days = ev_days_from_civil(y, m, ndays);
	int64_t	wday = ((days + 4) % 7 + 7) % 7;	/* 1970-01-01: Thu */

	return (days - wday) * 86400 + 3600;
}

int
evidence_berlin_offset(int64_t t)
{
	int64_t		y, start, end;
	unsigned	m, d;

	ev_civil_from_days(ev_floor_div(t, 86400), &y, &m, &d);
	if (y < 1980)
		return 3600;
	if (y == 1980) {
		start = ev_days_from_civil(1980, 4, 6) * 86400 + 3600;
		end = ev_days_from_civil(1980, 9, 28) * 86400 + 3600;
	} else if (y <= 1995) {
		start = ev_last_sunday_0100(y, 3, 31);
		end = ev_last_sunday_0100(y, 9, 30);
	} else {
		start = ev_last_sunday_0100(y, 3, 31);
		end = ev_last_sunday_0100(y, 10, 31);
	}
	return t >= start && t < end ? 7200 : 3600;
}

static void
ev_format(int64_t t, int off, char *buf, size_t len)
{
	int64_t		y, days, secs;
	unsigned	m, d;

	t += off;
	days = ev_floor_div(t, 86400);
	secs = t - days * 86400;
	ev_civil_from_days(days, &y, &m, &d);
	if (off == 0)
		snprintf(buf, len, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02dZ",
		    y, m, d, (int)(secs / 3600), (int)(secs / 60 % 60),
		    (int)(secs % 60));
	else
		snprintf(buf, len, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d"
		    "%c%02d:%02d", y, m, d, (int)(secs / 3600),
		    (int)(secs / 60 % 60), (int)(secs % 60),
		    off < 0 ? '-' : '+', abs(off) / 3600, abs(off) / 60 % 60);
}

void
evidence_format_utc(int64_t t, char *buf, size_t len)
{
	ev_format(t, 0, buf, len);
}

void
evidence_format_berlin(int64_t t, char *buf, size_t len)
{
	ev_format(t, evidence_berlin_offset(t), buf, len);
}

/* Reads exactly n digits. */
static int
ev_digits(const char **sp, int n, int *out)
{
	const char	*s = *sp;
	int		 v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*sp = s + n;
	*out = v;
	return 0;
}

int
evidence_parse_time(const char *s, int64_t *out)
{
	int	y, mo, d, h = 0, mi = 0, sec = 0, zh, zm, off;
	int64_t	local;
	bool	zoned = false;

	if (ev_digits(&s, 4, &y) == -1 || *s++ != '-' ||
	    ev_digits(&s, 2, &mo) == -1 || *s++ != '-' ||
	    ev_digits(&s, 2, &d) == -1)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (*s == 'T' || *s == ' ') {
		s++;
		if (ev_digits(&s, 2, &h) == -1 || *s++ != ':' ||
		    ev_digits(&s, 2, &mi) == -1)
			return -1;
		if (*s == ':') {
			s++;
			if (ev_digits(&s, 2, &sec) == -1)
				return -1;
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
	}
	local = ev_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec;
	off = 0;
	if (*s == 'Z') {
		s++;
		zoned = true;
	} else if (*s == '+' || *s == '-') {
		int sign = *s++ == '-' ? -1 : 1;

		if (ev_digits(&s, 2, &zh) == -1)
			return -1;
		if (*s == ':')
			s++;
		if (ev_digits(&s, 2, &zm) == -1)
			return -1;
		off = sign * (zh * 3600 + zm * 60);
		zoned = true;
	}
	if (*s != '\0')
		return -1;
	if (zoned) {
		*out = local - off;
		return 0;
	}
	/*
	 * German wall-clock time.  In the repeated hour of October the
	 * earlier instant (summer time) wins, so that "--since 02:30" misses
	 * nothing; a time in the hour skipped in March is read as winter
	 * time, i.e. the instant an hour after the switch.
	 */
	if (evidence_berlin_offset(local - 7200) == 7200)
		*out = local - 7200;
	else
		*out = local - 3600;
	return 0;
}

/* --- records ---------------------------------------------------------------------- */

static json_t *
ev_time(int64_t t)
{
	char	utc[40], berlin[40];

	evidence_format_utc(t, utc, sizeof utc);
	evidence_format_berlin(t, berlin, sizeof berlin);
	return json_pack("{s:I, s:s, s:s}", "unix", (json_int_t)t, "utc", utc,
	    "europe_berlin", berlin);
}

/* A string or null; bytes that are not UTF-8 are kept as hex, not lost. */
static json_t *
ev_str(const char *s)
{
	json_t	*j;
	char	*hex;
	size_t	 i, n;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	n = strlen(s);
	hex = xmalloc(n * 2 + 5);
	memcpy(hex, "hex:", 4);
	for (i = 0; i < n; i++)
		snprintf(hex + 4 + i * 2, 3, "%02x", (unsigned char)s[i]);
	j = json_string(hex);
	free(hex);
	return j;
}

/* The verdict with each match's excerpt of the original text. */
static json_t *
ev_verdict(const struct store_verdict_row *v, const char *text)
{
	json_t	*o, *m, *cats, *x;
	size_t	 i, start, end, len = strlen(text);

	if ((m = json_loads(v->matches, 0, NULL)) == NULL || !json_is_array(m)) {
		json_decref(m);
		m = json_array();
	}
	json_array_foreach(m, i, x) {
		start = (size_t)json_integer_value(json_object_get(x, "start"));
		end = (size_t)json_integer_value(json_object_get(x, "end"));
		if (start < end && end <= len)
			json_object_set_new(x, "excerpt",
			    json_stringn(text + start, end - start));
	}
	if ((cats = json_loads(v->categories, 0, NULL)) == NULL)
		cats = json_object();
	o = json_object();
	json_object_set_new(o, "ruleset", json_string(v->ruleset));
	json_object_set_new(o, "flagged", json_boolean(v->flagged));
	json_object_set_new(o, "severity", json_integer(v->severity));
	json_object_set_new(o, "categories", cats);
	json_object_set_new(o, "matches", m);
	json_object_set_new(o, "review", json_boolean(v->review));
	json_object_set_new(o, "review_reason", ev_str(v->review_reason));
	json_object_set_new(o, "decided_at", ev_time(v->created_at));
	return o;
}

json_t *
evidence_build(struct store *st, int64_t id, int64_t now, struct store_err *e)
{
	struct store_item		 it;
	struct store_verdict_row	 v;
	json_t				*rec, *o, *raw;
	int				 rc;

	if ((rc = store_item_get(st, id, &it, e)) != 1) {
		if (rc == 0)
			store_err_set(e, "evidence: no item %" PRId64, id);
		return NULL;
	}
	if ((rc = store_verdict_get(st, id, &v, e)) == -1) {
		store_item_free(&it);
		return NULL;
	}
	rec = json_object();
	json_object_set_new(rec, "format", json_string(EVIDENCE_FORMAT));

	o = json_object();
	json_object_set_new(o, "store_id", json_integer(id));
	json_object_set_new(o, "platform", ev_str(it.platform));
	json_object_set_new(o, "account", ev_str(it.account));
	json_object_set_new(o, "id", ev_str(it.item_id));
	json_object_set_new(o, "kind", json_string(store_kind_name(it.kind)));
	json_object_set_new(o, "text", ev_str(it.text));
	json_object_set_new(o, "permalink", ev_str(it.permalink));
	json_object_set_new(o, "parent_id", ev_str(it.parent_id));
	json_object_set_new(o, "created", ev_time(it.created_at));
	json_object_set_new(o, "fetched", ev_time(it.fetched_at));
	json_object_set_new(rec, "item", o);

	o = json_object();
	json_object_set_new(o, "id", ev_str(it.author_id));
	json_object_set_new(o, "handle", ev_str(it.author_handle));
	json_object_set_new(o, "name", ev_str(it.author_name));
	json_object_set_new(rec, "author", o);

	/*
	 * The platform's bytes as they came, as a string.  Parsed and dumped
	 * again (format 1), a repeated key lost its first value, numbers
	 * changed their spelling (0.1, 1.5e3), and the record's hash could
	 * not be recomputed outside the daemon once the object held a real.
	 */
	raw = it.raw_json != NULL ? ev_str(it.raw_json) : json_null();
	json_object_set_new(rec, "raw", raw);

	if (rc == 1) {
		json_object_set_new(rec, "verdict", ev_verdict(&v, it.text));
		json_object_set_new(rec, "ruleset", json_string(v.ruleset));
		store_verdict_row_free(&v);
	} else {
		json_object_set_new(rec, "verdict", json_null());
		json_object_set_new(rec, "ruleset", json_null());
	}
	json_object_set_new(rec, "captured", ev_time(now));
	store_item_free(&it);
	return rec;
}

static char *
ev_canonical(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

int
evidence_hash(const json_t *record, char sha256[65])
{
	char *text;

	if ((text = ev_canonical(record)) == NULL)
		return -1;
	audit_sha256_hex(text, strlen(text), sha256);
	free(text);
	return 0;
}

int
evidence_snapshot(struct store *st, int64_t id, const char *actor,
    char sha256[65], struct store_err *e)
{
	json_t	*rec = NULL, *detail;
	char	*text = NULL, *old;
	int64_t	 now = store_now(st);
	bool	 own;
	int	 rc;

	if (store_txn_begin(st, &own, e) == -1)
		return -1;
	if ((rc = store_evidence_get(st, id, &old, sha256, NULL, e)) != 0) {
		free(old);
		if (store_txn_end(st, own, rc == 1, e) == -1)
			return -1;
		return 0;
	}
	if ((rec = evidence_build(st, id, now, e)) == NULL)
		goto fail;
	if ((text = ev_canonical(rec)) == NULL) {
		store_err_set(e, "evidence %" PRId64 ": cannot serialize", id);
		goto fail;
	}
	audit_sha256_hex(text, strlen(text), sha256);
	if (store_evidence_put(st, id, text, sha256, now, e) != 1) {
		store_err_set(e, "evidence %" PRId64 ": not stored", id);
		goto fail;
	}
	detail = json_pack("{s:s}", "sha256", sha256);
	rc = audit_append(st, actor != NULL ? actor : "daemon",
	    "evidence.snapshot", id, detail, NULL, e);
	json_decref(detail);
	if (rc == -1)
		goto fail;
	free(text);
	json_decref(rec);
	if (store_txn_end(st, own, true, e) == -1)
		return -1;
	return 1;
fail:
	free(text);
	json_decref(rec);
	store_txn_end(st, own, false, e);
	return -1;
}

/* Snapshot if needed, and record the export itself, in one transaction. */
static int
ev_export_prepare(struct store *st, int64_t id, const char *actor,
    char sha256[65], struct store_err *e)
{
	json_t	*detail;
	bool	 own;
	int	 rc;

	if (store_txn_begin(st, &own, e) == -1)
		return -1;
	if (evidence_snapshot(st, id, actor, sha256, e) == -1)
		goto fail;
	if (actor != NULL) {
		detail = json_pack("{s:s}", "sha256", sha256);
		rc = audit_append(st, actor, "evidence.export", id, detail,
		    NULL, e);
		json_decref(detail);
		if (rc == -1)
			goto fail;
	}
	return store_txn_end(st, own, true, e);
fail:
	store_txn_end(st, own, false, e);
	return -1;
}

json_t *
evidence_export(struct store *st, int64_t id, const char *actor,
    struct store_err *e)
{
	struct audit_filter	 f;
	struct audit_entry	*ents = NULL;
	struct audit_report	 rep;
	json_t			*pkg, *rec, *arr, *snap;
	char			*text = NULL, sha[65], calc[65], head[65];
	const char		*snap_sha;
	int64_t			 head_seq, snap_seq = 0;
	size_t			 n, i;

	if (ev_export_prepare(st, id, actor, sha, e) == -1)
		return NULL;
	if (store_evidence_get(st, id, &text, sha, NULL, e) != 1) {
		store_err_set(e, "evidence %" PRId64 ": no record", id);
		return NULL;
	}
	audit_sha256_hex(text, strlen(text), calc);
	if ((rec = json_loads(text, 0, NULL)) == NULL)
		rec = json_string(text);	/* damaged: show it as is */
	free(text);

	memset(&f, 0, sizeof f);
	f.item = id;
	if (audit_query(st, &f, &ents, &n, e) == -1 ||
	    audit_head(st, &head_seq, head, e) == -1 ||
	    audit_verify(st, 0, NULL, &rep, e) == -1) {
		audit_entries_free(ents, n);
		json_decref(rec);
		return NULL;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, audit_entry_json(&ents[i]));
	/*
	 * The hash the chain recorded when the record was first taken (the
	 * entries come newest first): a record rewritten together with the
	 * hash stored beside it, or deleted and taken again, still hashes
	 * to that column, but not to what the chain holds.  The oldest
	 * snapshot entry counts.
	 */
	snap = NULL;
	for (i = 0; i < n; i++)
		if (strcmp(ents[i].kind, "evidence.snapshot") == 0 &&
		    (snap == NULL || ents[i].seq < snap_seq)) {
			json_decref(snap);
			snap = json_loads(ents[i].detail, 0, NULL);
			snap_seq = ents[i].seq;
		}
	audit_entries_free(ents, n);

	pkg = json_object();
	json_object_set_new(pkg, "format", json_string(EVIDENCE_EXPORT_FORMAT));
	json_object_set_new(pkg, "exported_at", ev_time(store_now(st)));
	json_object_set_new(pkg, "item", json_integer(id));
	json_object_set_new(pkg, "record", rec);
	json_object_set_new(pkg, "sha256", json_string(sha));
	/* the record as stored must still hash to what was stored with it */
	json_object_set_new(pkg, "sha256_ok", json_boolean(strcmp(sha, calc) == 0));
	snap_sha = json_string_value(json_object_get(snap, "sha256"));
	json_object_set_new(pkg, "snapshot_entry", snap_sha != NULL ?
	    json_pack("{s:I, s:s}", "seq", (json_int_t)snap_seq, "sha256",
	    snap_sha) : json_null());
	json_object_set_new(pkg, "sha256_in_chain", json_boolean(
	    snap_sha != NULL && strcmp(snap_sha, calc) == 0));
	json_decref(snap);
	json_object_set_new(pkg, "audit", arr);
	json_object_set_new(pkg, "chain_head", json_pack("{s:I, s:s}",
	    "seq", (json_int_t)head_seq, "hash", head));
	json_object_set_new(pkg, "chain_ok", json_boolean(rep.ok));
	json_object_set_new(pkg, "chain_reason", json_string(rep.reason));
	return pkg;
}
