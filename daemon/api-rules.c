/*
 * api-rules.c: rule quality for administrators: per rule, how often it
 * hit and how editors judged those items (approved, dismissed, ...), the
 * editors' precision, and the items behind each number, so that a rule
 * can be fixed and a dismissed text added as a nomatch example.  Counting
 * is lib/queue.c's; this file adds what the loaded rule set knows.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "log.h"
#include "queue.h"

void
api_rules_list(struct api_req *r)
{
	struct store_err	 e = { "" };
	struct ruleset		*rs = r->d->rs;
	json_t			*q, *v, *out;
	size_t			 i, n = rs_rule_count(rs);
	struct rs_rule_info	 ri;

	if ((q = queue_rule_quality(r->d->store, &e)) == NULL) {
		log_warnx("%s: %s", __func__, e.msg);
		api_error(r, 500, "store failure");
		return;
	}
	json_array_foreach(q, i, v) {
		long k = rs_rule_find(rs, json_string_value(json_object_get(v,
		    "id")));

		json_object_set_new(v, "loaded", json_boolean(k >= 0));
		if (k >= 0 && rs_rule_info(rs, (size_t)k, &ri) == 0) {
			json_object_set_new(v, "category",
			    json_string(category_name(ri.category)));
			json_object_set_new(v, "clause",
			    json_string(category_clause(ri.category)));
		}
	}
	/* loaded rules that never hit belong in the list too */
	for (i = 0; i < n; i++) {
		size_t	j;
		bool	seen = false;

		if (rs_rule_info(rs, i, &ri) != 0)
			continue;
		json_array_foreach(q, j, v)
			if (strcmp(json_string_value(json_object_get(v, "id")),
			    ri.id) == 0)
				seen = true;
		if (!seen)
			json_array_append_new(q, json_pack("{s:s, s:s, s:s, s:b,"
			    " s:i, s:i, s:i, s:i, s:i, s:i, s:n}", "id", ri.id,
			    "category", category_name(ri.category), "clause",
			    category_clause(ri.category), "loaded", 1, "hits", 0,
			    "open", 0, "approved", 0, "dismissed", 0, "escalated", 0,
			    "closed", 0, "precision"));
	}
	out = json_pack("{s:s, s:o}", "ruleset", rs_hash(rs), "rules", q);
	api_json(r, 200, out);
}

void
api_rules_items(struct api_req *r)
{
	struct store_err	 e = { "" };
	const char		*outcome = api_query(r, "outcome");
	int64_t			 limit, offset, total, *ids;
	size_t			 n, i;
	json_t			*a, *o;

	if (outcome == NULL || *outcome == '\0')
		outcome = "hits";
	if (strcmp(outcome, "hits") != 0 &&
	    store_queue_state_from_name(outcome) < 0) {
		api_error(r, 400, "outcome must be hits, open, approved, dismissed,"
		    " escalated or closed");
		return;
	}
	if (api_query_int(r, "limit", 50, 1, QUEUE_LIMIT_MAX, &limit) == -1 ||
	    api_query_int(r, "offset", 0, 0, INT32_MAX, &offset) == -1)
		return;
	if (queue_rule_items(r->d->store, r->arg, outcome, (size_t)limit,
	    (size_t)offset, &ids, &n, &total, &e) == -1) {
		log_warnx("%s: %s", __func__, e.msg);
		api_error(r, 500, "store failure");
		return;
	}
	a = json_array();
	for (i = 0; i < n; i++)
		if ((o = api_items_summary(r, ids[i])) != NULL)
			json_array_append_new(a, o);
	free(ids);
	api_json(r, 200, json_pack("{s:s, s:s, s:o, s:I}", "rule", r->arg,
	    "outcome", outcome, "items", a, "total", (json_int_t)total));
}
