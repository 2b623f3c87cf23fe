/*
 * api-audit.c: the audit view for administrators: entries filtered by
 * item, kind, author and time (audit_query), and the chain's state
 * (audit_verify) so the view can say whether the log is intact.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "audit.h"
#include "log.h"

void
api_audit_list(struct api_req *r)
{
	struct store_err	 e = { "" };
	struct audit_filter	 f;
	struct audit_report	 rep;
	struct audit_entry	*ents;
	int64_t			 item, since, until, limit;
	size_t			 n, i;
	json_t			*a;

	memset(&f, 0, sizeof f);
	if (api_query_int(r, "item", 0, 0, INT64_MAX / 2, &item) == -1 ||
	    api_query_int(r, "since", 0, 0, INT64_MAX / 2, &since) == -1 ||
	    api_query_int(r, "until", 0, 0, INT64_MAX / 2, &until) == -1 ||
	    api_query_int(r, "limit", 100, 1, 1000, &limit) == -1)
		return;
	f.item = item;
	f.since = since;
	f.until = until;
	f.limit = (size_t)limit;
	f.kind = api_query(r, "kind");
	f.author = api_query(r, "author");
	if (f.kind != NULL && *f.kind == '\0')
		f.kind = NULL;
	if (f.author != NULL && *f.author == '\0')
		f.author = NULL;
	if (audit_query(r->d->store, &f, &ents, &n, &e) == -1 ||
	    audit_verify(r->d->store, 0, NULL, &rep, &e) == -1) {
		log_warnx("%s: %s", __func__, e.msg);
		api_error(r, 500, "store failure");
		return;
	}
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, audit_entry_json(&ents[i]));
	audit_entries_free(ents, n);
	api_json(r, 200, json_pack("{s:o, s:{s:b, s:I, s:I, s:s, s:s}}",
	    "entries", a, "chain", "ok", rep.ok, "entries", (json_int_t)rep.entries,
	    "head_seq", (json_int_t)rep.head_seq, "head_hash", rep.head_hash,
	    "reason", rep.reason));
}
