/*
 * api-evidence.c: evidence export for legal reviewers and administrators:
 * the self-contained package of evidence.h, recorded in the audit chain
 * with the reviewer as actor, sent as a JSON download.
 */
#include <stdio.h>
#include <stdlib.h>

#include <event2/http.h>
#include <jansson.h>

#include "api.h"
#include "evidence.h"
#include "log.h"

void
api_evidence_export(struct api_req *r)
{
	struct store_err	 e = { "" };
	struct store_item	 it;
	json_t			*pkg;
	char			 cd[96];

	if (r->id <= 0 || store_item_get(r->d->store, r->id, &it, &e) != 1) {
		api_error(r, 404, "no item %s", r->arg ? r->arg : "");
		return;
	}
	store_item_free(&it);
	if ((pkg = evidence_export(r->d->store, r->id, api_actor(r), &e)) == NULL) {
		log_warnx("%s: item %lld: %s", __func__, (long long)r->id, e.msg);
		api_error(r, 500, "evidence export failed");
		return;
	}
	snprintf(cd, sizeof cd, "attachment; filename=\"evidence-%lld.json\"",
	    (long long)r->id);
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Content-Disposition", cd);
	api_json(r, 200, pkg);
}
