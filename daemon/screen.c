/*
 * screen.c: from a polled page to recorded decisions.
 *
 * One page is one transaction.  For every item that is new to the store:
 * classify it (usually the parser thread has, see screen_prepare), count
 * its author's strikes, let the policy decide, and record the verdict, the
 * decision, the queue entry, the evidence snapshot (before any action
 * exists that could remove the original), the outbox actions and the audit
 * entries; then move the account's cursor.  A crash anywhere before the
 * commit loses nothing (the page is fetched again and the items are new
 * again); after it, everything is there and the items are duplicates.
 * Sending is the executor's job: this file never talks to a platform.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <jansson.h>

#include "audit.h"
#include "evidence.h"
#include "log.h"
#include "netiquetted.h"
#include "officehours.h"
#include "verdict_json.h"
#include "xmalloc.h"

#define SCREEN_MUTE_SECONDS	(7 * 24 * 3600)
/*
 * An author's mute or block is keyed by a period of the item's time, not
 * for ever: a mute runs out, and an editor may lift a block, after which
 * the same key would drop every later mute or block of that author.  Half
 * the mute's length: an offence finds the author muted for at least that
 * long still, or mutes again.  A repeated block costs nothing on the
 * platform, so once a day.
 */
#define SCREEN_MUTE_PERIOD	(SCREEN_MUTE_SECONDS / 2)
#define SCREEN_BLOCK_PERIOD	(24 * 3600)

static double
screen_clock_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec * 1e6 + tv.tv_usec;
}

static void
screen_latency(struct daemon *d, double us)
{
	static const double bounds[] = { 100, 250, 500, 1000, 2500, 5000,
	    10000, 25000, 50000, 100000, 250000 };
	size_t i;

	for (i = 0; i < sizeof bounds / sizeof bounds[0]; i++)
		if (us <= bounds[i])
			break;
	d->m.screen_latency_us[i]++;
	d->m.screen_latency_count++;
	d->m.screen_latency_sum += us / 1e6;
}

/* The category that decides the report's wording: the most severe one. */
static enum category
screen_main_category(const struct verdict *v, const char **rule)
{
	size_t		i;
	int		best = -1;
	enum category	cat = CAT_OFFTOPIC;

	*rule = "";
	for (i = 0; i < v->nmatches; i++)
		if (v->matches[i].severity > best) {
			best = v->matches[i].severity;
			cat = v->matches[i].category;
			*rule = v->matches[i].rule_id;
		}
	return cat;
}

/*
 * Queues one outbox row per action bit.  The idempotency key names the
 * account, the item and the action, so a screening repeated after a crash
 * (or a second decision on the same item) cannot queue the same effect
 * twice, and the platform gets the same key on every retry.
 */
static int
screen_queue_actions(struct daemon *d, struct account *a,
    const struct conn_item *ci, int64_t item, unsigned actions,
    const struct verdict *v, const struct decision *dec, int64_t now,
    struct store_err *e)
{
	unsigned	 bit;
	const char	*rule;
	enum category	 cat = screen_main_category(v, &rule);

	for (bit = 1; bit < (1u << ACT_KNOWN_BITS); bit <<= 1) {
		json_t	*params;
		char	*pj, key[512], comment[512];
		int64_t	 id;
		int	 rc;

		if ((actions & bit) == 0 || bit == ACT_REVIEW ||
		    bit == ACT_ESCALATE)
			continue;
		/*
		 * Blocking or muting an author is one effect however many of
		 * their items asked for it in a period: key it by author and
		 * the period of the item's time (the same key when the item
		 * is screened again), not by item.
		 */
		if ((bit == ACT_BLOCK || bit == ACT_MUTE) && ci->author_id != NULL)
			snprintf(key, sizeof key, "%s/author/%s/%s/%lld",
			    a->conf->name, ci->author_id, action_name(bit),
			    (long long)((ci->created_at > 0 ? ci->created_at :
			    now) / (bit == ACT_MUTE ? SCREEN_MUTE_PERIOD :
			    SCREEN_BLOCK_PERIOD)));
		else
			snprintf(key, sizeof key, "%s/%s/%s", a->conf->name, ci->id,
			    action_name(bit));
		snprintf(comment, sizeof comment, "Verstoß gegen unsere "
		    "Netiquette (%s), Regel %s", category_clause(cat), rule);
		params = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:b}",
		    "item_id", ci->id, "author_id", ci->author_id ? ci->author_id : "",
		    "category", category_name(cat), "rule", rule,
		    "comment", comment, "mute_seconds",
		    (json_int_t)(bit == ACT_MUTE ? SCREEN_MUTE_SECONDS : 0),
		    "forward", a->conf->report_forward);
		json_object_set_new(params, "rule_ids", json_string(dec->rule_ids));
		pj = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(params);
		rc = store_outbox_add(d->store, item, a->conf->name, bit, pj, key,
		    now, &id, e);
		free(pj);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/*
 * Escalation notices go through the outbox too, one row per channel, so a
 * crash neither loses nor repeats them.  The mail recipient is chosen now,
 * by the office hours of when the item was escalated: the editors during
 * office hours, the on-call address otherwise.
 */
static int
screen_queue_notify(struct daemon *d, struct account *a,
    const struct conn_item *ci, int64_t item, const struct decision *dec,
    int64_t now, struct store_err *e)
{
	const struct config_notify	*n = &d->conf->notify;
	char				 key[512], cats[256] = "", acts[128];
	size_t				 i;
	int64_t				 id;

	for (i = 0; i < CAT_COUNT; i++)
		if (dec->categories & (1u << i))
			snprintf(cats + strlen(cats), sizeof cats - strlen(cats),
			    "%s%s", cats[0] ? ", " : "", category_name(i));
	action_format(dec->now, acts, sizeof acts);
	for (i = 0; i < 2; i++) {
		const char	*channel = i == 0 ? "webhook" : "mail";
		const char	*to = NULL;
		json_t		*params;
		char		*pj;

		if (i == 0 && n->webhook_url == NULL)
			continue;
		if (i == 1) {
			if (n->smtp_url == NULL)
				continue;
			to = officehours_recipient(&n->hours, now, n->office_to,
			    n->oncall_to);
			if (to == NULL)
				continue;
		}
		params = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
		    "s:s, s:I, s:I}", "channel", channel, "item_id", ci->id,
		    "kind", conn_item_kind_name(ci->kind), "author",
		    ci->author_handle ? ci->author_handle : "", "url",
		    ci->permalink ? ci->permalink : "", "categories", cats,
		    "rules", dec->rule_ids, "clauses", dec->clauses,
		    "actions", acts, "evidence", (json_int_t)item, "when",
		    (json_int_t)now);
		json_object_set_new(params, "reason", json_string(dec->reason_de ?
		    dec->reason_de : dec->reason));
		if (to != NULL)
			json_object_set_new(params, "to", json_string(to));
		pj = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(params);
		snprintf(key, sizeof key, "%s/%s/notify-%s", a->conf->name, ci->id,
		    channel);
		if (store_outbox_add(d->store, item, a->conf->name, ACT_NOTIFY, pj,
		    key, now, &id, e) == -1) {
			free(pj);
			return -1;
		}
		free(pj);
	}
	return 0;
}

void
screen_prepare(const struct ruleset *rs, struct rs_scratch *scratch,
    const struct conn_item *ci, struct screen_prep *p)
{
	json_t	*o, *id;
	size_t	 len = ci->text != NULL ? strlen(ci->text) : 0;

	memset(p, 0, sizeof *p);
	verdict_init(&p->v);
	rs_classify(rs, scratch, ci->text != NULL ? ci->text : "", len,
	    ci->kind == CONN_ITEM_DM ? RS_SCOPE_DM : RS_SCOPE_COMMENT, &p->v);
	o = json_pack("{s:s, s:s, s:s, s:s}", "platform", ci->platform,
	    "id", ci->id, "kind", conn_item_kind_name(ci->kind),
	    "author", ci->author_id ? ci->author_id : "");
	p->item_json = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	id = json_string(ci->id);
	o = vjson_verdict(&p->v, id, ci->text != NULL ? ci->text : "", len);
	json_decref(id);
	p->verdict_json = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	store_verdict_texts(&p->v, &p->cats_json, &p->matches_json);
	/* an id or text that is no UTF-8 cannot be dumped: the loop says so */
	p->rs = p->item_json != NULL && p->verdict_json != NULL ? rs : NULL;
}

void
screen_prep_free(struct screen_prep *p)
{
	verdict_free(&p->v);
	free(p->item_json);
	free(p->verdict_json);
	free(p->cats_json);
	free(p->matches_json);
	memset(p, 0, sizeof *p);
}

/*
 * The item's audit detail, {"decision":..,"item":..,"verdict":..}, put
 * together as json_dumps(JSON_COMPACT | JSON_SORT_KEYS) would write it:
 * the keys in that order, each part dumped the same way.
 */
static char *
screen_detail(const struct screen_prep *p, const struct decision *dec)
{
	json_t	*dj;
	char	*djs = NULL, *text;

	if (dec != NULL) {
		dj = policy_decision_json(dec);
		djs = json_dumps(dj, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(dj);
		if (djs == NULL)
			return NULL;
	}
	xasprintf(&text, "{%s%s%s\"item\":%s,\"verdict\":%s}",
	    djs != NULL ? "\"decision\":" : "", djs != NULL ? djs : "",
	    djs != NULL ? "," : "", p->item_json, p->verdict_json);
	free(djs);
	return text;
}

static int
screen_item(struct daemon *d, struct account *a, const struct conn_item *ci,
    struct screen_prep *prep, int64_t now, struct store_err *e)
{
	struct store_item	 it;
	struct policy_context	 ctx;
	struct decision		 dec;
	struct store_decision	 sd;
	struct screen_prep	 local;
	struct verdict		*vp;
	json_t			*detail;
	char			*text;
	int64_t			 strikes = 0;
	double			 t0 = screen_clock_us();
	int			 rc;

	memset(&it, 0, sizeof it);
	it.platform = ci->platform;
	it.account = a->conf->name;
	it.item_id = ci->id;
	it.kind = ci->kind == CONN_ITEM_DM ? STORE_KIND_DM : STORE_KIND_COMMENT;
	it.author_id = ci->author_id;
	it.author_handle = ci->author_handle;
	it.author_name = ci->author_name;
	it.text = ci->text;
	it.raw_json = ci->raw_json;
	it.permalink = ci->permalink;
	it.parent_id = ci->parent_id;
	it.created_at = ci->created_at;
	it.fetched_at = now;
	d->m.items_seen++;
	if ((rc = store_item_put(d->store, &it, e)) == -1)
		return -1;
	if (rc == 0) {
		d->m.items_duplicate++;
		return 0;
	}
	d->m.items_new++;

	/* classified with a rule set a reload has since replaced: again */
	if (prep == NULL || prep->rs != d->rs) {
		screen_prepare(d->rs, d->scratch, ci, &local);
		prep = &local;
	} else
		memset(&local, 0, sizeof local);
	if (prep->rs == NULL) {
		store_err_set(e, "item %s: id or author is not UTF-8", ci->id);
		screen_prep_free(&local);
		return -1;
	}
	vp = &prep->v;
	if (vp->flagged && ci->author_id != NULL &&
	    store_author_strike_count_since(d->store, ci->platform, a->conf->name,
	    ci->author_id, now - d->policy.window, &strikes, e) == -1) {
		screen_prep_free(&local);
		return -1;
	}

	memset(&ctx, 0, sizeof ctx);
	ctx.platform = ci->platform;
	ctx.capabilities = a->caps;
	ctx.kind = ci->kind;
	ctx.mode = a->conf->mode;
	ctx.overrides = &a->conf->overrides;
	ctx.strikes = (int)strikes;
	memset(&dec, 0, sizeof dec);
	if (policy_decide(&d->policy, vp, &ctx, &dec) == -1) {
		store_err_set(e, "policy failed for item %s", ci->id);
		screen_prep_free(&local);
		return -1;
	}

	rc = store_verdict_put_texts(d->store, it.id, vp, prep->cats_json,
	    prep->matches_json, e) < 0 ? -1 : 0;
	if (rc == 0 && vp->flagged) {
		size_t i;

		for (i = 0; i < CAT_COUNT; i++)
			if (vp->cat_severity[i] > 0)
				d->m.flagged[i]++;
	}
	if (rc == 0 && (vp->flagged || vp->review)) {
		memset(&sd, 0, sizeof sd);
		sd.item = it.id;
		sd.actions = dec.now | dec.proposed;
		sd.mode = (enum store_mode)dec.mode;
		sd.rule_ids = dec.rule_ids;
		sd.ruleset = dec.ruleset;
		sd.clause = dec.clauses;
		sd.reason = dec.reason;
		sd.created_at = now;
		rc = store_decision_put(d->store, &sd, NULL, e) < 0 ? -1 : 0;
		/* evidence first: nothing queued below may remove the original */
		if (rc == 0 && dec.evidence) {
			char sha[65];

			rc = evidence_snapshot(d->store, it.id, "daemon", sha,
			    e) < 0 ? -1 : 0;
		}
		if (rc == 0 && (dec.review || dec.proposed || dec.escalate))
			rc = store_queue_put(d->store, it.id, dec.proposed |
			    (dec.escalate ? ACT_ESCALATE : 0), now, e) < 0 ? -1 : 0;
		if (rc == 0 && dec.escalate)
			rc = store_queue_set_state(d->store, it.id,
			    STORE_Q_ESCALATED, NULL, now, e);
		if (rc == 0 && dec.strike && ci->author_id != NULL)
			rc = store_author_strike_add(d->store, ci->platform,
			    a->conf->name, ci->author_id, now,
			    dec.nrules ? dec.rules[0] : "", it.id, e);
		if (rc == 0 && dec.send)
			rc = screen_queue_actions(d, a, ci, it.id, dec.now, vp,
			    &dec, now, e);
		if (rc == 0 && dec.send && dec.notify)
			rc = screen_queue_notify(d, a, ci, it.id, &dec, now, e);
	}
	if (rc == 0) {
		text = screen_detail(prep, vp->flagged || vp->review ? &dec :
		    NULL);
		if (text == NULL) {
			store_err_set(e, "item %s: audit detail cannot be "
			    "serialized", ci->id);
			rc = -1;
		} else
			rc = audit_append_text(d->store, "daemon",
			    vp->flagged || vp->review ? "item.flagged" :
			    "item.screened", it.id, text, NULL, e);
		free(text);
	}
	if (rc == 0 && dec.escalate) {
		detail = json_pack("{s:s, s:s}", "rules", dec.rule_ids,
		    "clause", dec.clauses);
		rc = audit_append(d->store, "daemon", "item.escalated", it.id,
		    detail, NULL, e);
		json_decref(detail);
	}
	policy_decision_free(&dec);
	screen_prep_free(&local);
	screen_latency(d, screen_clock_us() - t0);
	return rc;
}

/*
 * Fills the author index (store_author_items_index) once a batch of items
 * came in, in a transaction of its own, after the page's actions left:
 * they do not wait for it.  A batch that fails is tried after the next
 * page; until then the author query reads the items past the mark.
 */
static void
screen_index_authors(struct daemon *d)
{
	struct store_err	e = { { 0 } };
	int64_t			n = 0;
	double			t0;

	if (!store_author_items_due(d->store))
		return;
	t0 = screen_clock_us();
	if (store_author_items_index(d->store, &n, &e) == -1) {
		log_warnx("author index: %s", e.msg);
		return;
	}
	log_debug("author index: %lld items in %.1f ms", (long long)n,
	    (screen_clock_us() - t0) / 1000.0);
}

int
screen_page(struct daemon *d, struct account *a, const struct conn_page *page,
    struct screen_prep *prep, struct store_err *e)
{
	size_t	i;
	int64_t	now = daemon_now(d);

	if (store_begin(d->store, e) == -1)
		return -1;
	for (i = 0; i < page->nitems; i++) {
		if (screen_item(d, a, &page->items[i], prep != NULL ?
		    &prep[i] : NULL, now, e) == -1)
			goto fail;
		poller_pump(d);
	}
	for (i = 0; i < page->nskipped; i++) {
		json_t *detail = json_pack("{s:s, s:s}", "id",
		    page->skipped[i].id ? page->skipped[i].id : "",
		    "why", page->skipped[i].why);

		log_warnx("account %s: entry %s skipped: %s", a->conf->name,
		    page->skipped[i].id ? page->skipped[i].id : "?",
		    page->skipped[i].why);
		d->m.items_skipped++;
		if (audit_append(d->store, "daemon", "item.unparseable", 0, detail,
		    NULL, e) == -1) {
			json_decref(detail);
			goto fail;
		}
		json_decref(detail);
	}
	if (page->next_cursor != NULL &&
	    store_cursor_set(d->store, a->conf->name, "inbox", page->next_cursor,
	    e) == -1)
		goto fail;
	if (executor_stage(d) == -1) {
		store_err_set(e, "the transaction ended while actions were "
		    "staged");
		goto fail;
	}
	if (store_commit(d->store, e) == -1)
		goto fail;
	executor_staged(d, true);
	screen_index_authors(d);
	return 0;
fail:
	store_rollback(d->store);
	executor_staged(d, false);
	return -1;
}
