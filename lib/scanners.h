/*
 * scanners.h: small dedicated finders for things that regexes find badly:
 * IBANs (ISO 13616 mod-97 checksum, country lengths), German phone numbers
 * (+49 / 0049 / 0 prefixes, mobile and landline, with the usual separators),
 * the German tax id (Steuer-ID, 11 digits with ISO 7064 check digit),
 * e-mail addresses, URLs and link shorteners.  They run on the raw view so
 * that digits and punctuation are as the author wrote them.  Pure functions.
 */
#ifndef NQ_SCANNERS_H
#define NQ_SCANNERS_H
#include <stddef.h>

enum scanner_kind {
	SCAN_IBAN,
	SCAN_PHONE,
	SCAN_TAXID,
	SCAN_EMAIL,
	SCAN_URL,
	SCAN_SHORTENER,	/* URLs on known link shorteners (bit.ly, t.me ...) */
	SCAN_COUNT
};

struct scan_hit {
	size_t	start, end;	/* byte span in the scanned text */
};

const char *scanner_name(enum scanner_kind);
int	 scanner_from_name(const char *);	/* -1 when unknown */

/*
 * Finds up to max hits of one kind in text[0..len); returns how many were
 * found (never more than max).  Validates checksums where the kind has one,
 * so "DE89 3704 0044 0532 0130 00" is an IBAN and the same digits with a
 * wrong check digit are not.
 */
size_t	 scanner_run(enum scanner_kind, const char *text, size_t len,
	    struct scan_hit *hits, size_t max);

/* Exposed for tests and for "explain": the checksum validators. */
int	 scanner_iban_valid(const char *compact, size_t len);
int	 scanner_taxid_valid(const char *digits11);

#endif
