/*
 * evidence.h: evidence records for items the authority acts on.  Before a
 * comment is removed or escalated for criminal review, the daemon takes a
 * snapshot of everything a court or the platform may later ask for: the
 * original text, the platform's raw object (its bytes, verbatim, as a
 * JSON string), the author (id, handle,
 * display name), the permalink and the post replied to, absolute times in
 * UTC and in German local time, and the rules that matched under which
 * rule-set version.  The record is canonical JSON (keys sorted, compact)
 * and is stored once, with its SHA-256, in the store's evidence table; the
 * snapshot is recorded in the audit chain.
 *
 * An export is a self-contained JSON package: the record, its hash, every
 * audit entry of the item and the chain head at export time, so that a
 * reviewer can check the package without access to the daemon.
 *
 * Local time is computed here, not with localtime(3): the daemon may run
 * sandboxed without tzdata, and changing TZ in a daemon is not an option.
 * Germany's rule is the EU one (since 1996): summer time from the last
 * Sunday of March to the last Sunday of October, switching at 01:00 UTC.
 */
#ifndef NQ_EVIDENCE_H
#define NQ_EVIDENCE_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

/* 2: "raw" is the platform's JSON verbatim, as a string (1: parsed) */
#define EVIDENCE_FORMAT		"netiquetted-evidence-2"
#define EVIDENCE_EXPORT_FORMAT	"netiquetted-evidence-export-1"

/*
 * Europe/Berlin's offset from UTC at t, in seconds: 3600 (CET) or 7200
 * (CEST).  Exact from 1980 on (1980: 6 April to 28 September; 1981-1995:
 * last Sunday of March to last Sunday of September); CET before.
 */
int	evidence_berlin_offset(int64_t t);
/* "2024-03-31T03:00:00+02:00"; len >= 32. */
void	evidence_format_berlin(int64_t t, char *buf, size_t len);
/* "2024-03-31T01:00:00Z"; len >= 32. */
void	evidence_format_utc(int64_t t, char *buf, size_t len);
/*
 * Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS]" with "Z", "+HH:MM" or no
 * zone (then Europe/Berlin local time, as an editor means it).  0 or -1.
 */
int	evidence_parse_time(const char *s, int64_t *t);

/*
 * Builds item's evidence record as of now (the capture time is part of
 * it).  NULL with e set when the item does not exist or the store fails.
 */
json_t	*evidence_build(struct store *, int64_t item, int64_t now,
	    struct store_err *);
/* Hex SHA-256 of the record's canonical JSON. 0, or -1 if not JSON-able. */
int	evidence_hash(const json_t *record, char sha256[65]);

/*
 * Builds and stores item's record and appends an "evidence.snapshot"
 * audit entry, inside the caller's transaction when one is open.  Evidence
 * is taken once: when the item has a record already, nothing changes and
 * its hash is returned.  Returns 1 new, 0 existing, -1 error.
 */
int	evidence_snapshot(struct store *, int64_t item, const char *actor,
	    char sha256[65], struct store_err *);

/*
 * The export package of item (owned reference):
 *   { "format", "exported_at": {unix, utc, berlin}, "item": id,
 *     "record": {...}, "sha256": "...", "sha256_ok": true,
 *     "audit": [entries of the item], "chain_head": {seq, hash},
 *     "chain_ok": true, "chain_reason": "" }
 * When actor is not NULL an "evidence.export" entry is appended first, so
 * the package contains the record of its own export.  An item without a
 * stored record is snapshotted first.  NULL with e set on error.
 */
json_t	*evidence_export(struct store *, int64_t item, const char *actor,
	    struct store_err *);

#endif
