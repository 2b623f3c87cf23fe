/*
 * verdict_json.h: a verdict as JSON, the one stable contract shared by
 * netiquettectl classify, the daemon's API and the audit log.  Changing a
 * field name or type here is an incompatible change for every consumer.
 *
 *   {"id": <as given>, "flagged": bool, "categories": ["insult", ...],
 *    "severity": 0..3, "action": "hide+review" | "none", "review": bool,
 *    ["review_reason": "...",]       (only when review is true)
 *    "matches": [{"rule": "insult.x", "category": "insult",
 *                 "clause": "Beleidigungen", "severity": 2,
 *                 "start": 12, "end": 21, "text": "Vollidiot"}, ...],
 *    "ruleset": "<hex sha-256>"}
 *
 * categories are in category.h order; matches in the verdict's order (by
 * start, then rule id).  start/end are byte offsets into the original text,
 * end exclusive; "text" is those original bytes, with invalid UTF-8 shown
 * as U+FFFD (so "text" may differ from a byte slice only when the input
 * was not valid UTF-8).  An input that could not be read becomes
 * {"id": ..., "error": "line 7: ..."} instead.
 */
#ifndef NQ_VERDICT_JSON_H
#define NQ_VERDICT_JSON_H
#include <stddef.h>

#include <jansson.h>

#include "ruleset.h"

/*
 * The verdict for text[0..len) as a new object; id is borrowed (a
 * reference is taken), NULL gives "id": null.  Never returns NULL.
 */
json_t	*vjson_verdict(const struct verdict *, json_t *id, const char *text,
	    size_t len);
/* {"id": id, "error": msg}; never NULL. */
json_t	*vjson_error(json_t *id, const char *msg);
/*
 * A JSON string from any bytes: invalid UTF-8 sequences become U+FFFD,
 * NUL bytes are kept (serialized as \u0000).  Never NULL.
 */
json_t	*vjson_string(const char *s, size_t len);

#endif
