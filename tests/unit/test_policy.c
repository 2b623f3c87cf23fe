/*
 * test_policy.c: the decision function.  Every category under the default
 * policy, every mode, every platform fallback (Mastodon: hide -> report +
 * mute, delete -> report), the repeat-offender threshold, items that could
 * not be screened, verdicts cut short by a PCRE2 limit, direct messages,
 * account overrides, and the JSON the store and audit log keep.
 */
#include <stdlib.h>

#include "testutil.h"
#include "policy.h"
#include "xmalloc.h"

#define CAPS_MASTODON	(ACT_BLOCK | ACT_MUTE | ACT_REPORT)
#define CAPS_YOUTUBE	(ACT_HIDE | ACT_BLOCK)
#define CAPS_FACEBOOK	(ACT_HIDE | ACT_DELETE | ACT_BLOCK)
#define CAPS_INSTAGRAM	(ACT_HIDE | ACT_DELETE)
#define CAPS_X		(ACT_HIDE | ACT_MUTE)

#define HASH "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A verdict with one match per (rule id, category) pair given. */
static void
mkverdict(struct verdict *v, size_t n, const char *const *ids,
    const enum category *cats)
{
	size_t i;

	verdict_init(v);
	v->matches = xcalloc(n ? n : 1, sizeof *v->matches);
	v->cap = n ? n : 1;
	for (i = 0; i < n; i++) {
		v->matches[i].rule_id = ids[i];
		v->matches[i].category = cats[i];
		v->matches[i].severity = 2;
		v->matches[i].start = i * 10;
		v->matches[i].end = i * 10 + 5;
		v->cat_severity[cats[i]] = 2;
		v->actions |= category_default_actions(cats[i]);
	}
	v->nmatches = n;
	v->flagged = n > 0;
	v->severity = n > 0 ? 2 : 0;
	snprintf(v->ruleset, sizeof v->ruleset, "%s", HASH);
}

static void
mkverdict1(struct verdict *v, const char *id, enum category c)
{
	mkverdict(v, 1, &id, &c);
}

static void
ctx_init(struct policy_context *ctx, const char *platform, unsigned caps,
    enum policy_mode mode)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->platform = platform;
	ctx->capabilities = caps;
	ctx->kind = CONN_ITEM_COMMENT;
	ctx->mode = mode;
}

static int
has(const char *haystack, const char *needle)
{
	if (haystack != NULL && strstr(haystack, needle) != NULL)
		return 1;
	fprintf(stderr, "  \"%s\" not in \"%s\"\n", needle,
	    haystack ? haystack : "(null)");
	return 0;
}

/* Every category, default policy, auto mode, a platform that can do all. */
static void
test_categories(void)
{
	static const struct {
		enum category	c;
		unsigned	now, proposed;
		int		review, escalate;
	} want[CAT_COUNT] = {
		{ CAT_INSULT,		ACT_HIDE, 0, 1, 0 },
		{ CAT_DEFAMATION,	0, 0, 1, 0 },
		{ CAT_PROVOCATION,	0, 0, 1, 0 },
		{ CAT_VULGAR,		ACT_HIDE, 0, 1, 0 },
		{ CAT_VIOLENCE,		ACT_HIDE, 0, 0, 1 },
		{ CAT_DISCRIMINATION,	ACT_HIDE, 0, 1, 0 },
		{ CAT_RACISM,		ACT_HIDE, 0, 1, 0 },
		{ CAT_SEXISM,		ACT_HIDE, 0, 1, 0 },
		{ CAT_HATE,		ACT_HIDE, 0, 1, 0 },
		{ CAT_ILLEGAL,		ACT_HIDE, 0, 0, 1 },
		{ CAT_COMMERCIAL,	ACT_HIDE, ACT_DELETE, 1, 0 },
		{ CAT_OFFTOPIC,		0, 0, 1, 0 },
		{ CAT_PERSONAL_DATA,	ACT_HIDE, 0, 1, 0 },
	};
	struct policy		p;
	struct policy_context	ctx;
	struct verdict		v;
	struct decision		d;
	char			id[64];
	int			i;

	policy_init(&p);
	ctx_init(&ctx, "facebook", CAPS_FACEBOOK | ACT_MUTE | ACT_REPORT,
	    POLICY_MODE_AUTO);
	for (i = 0; i < CAT_COUNT; i++) {
		snprintf(id, sizeof id, "%s.x", category_name(want[i].c));
		mkverdict1(&v, id, want[i].c);
		CHECK_INT(policy_decide(&p, &v, &ctx, &d), 0);
		CHECK_INT(d.now, want[i].now);
		CHECK_INT(d.proposed, want[i].proposed);
		CHECK_INT(d.review, want[i].review);
		CHECK_INT(d.escalate, want[i].escalate);
		CHECK_INT(d.notify, want[i].escalate);
		CHECK_INT(d.evidence, want[i].escalate ||
		    (want[i].now & ACT_HIDE));
		CHECK_INT(d.strike, (want[i].now & ACT_HIDE) != 0);
		CHECK(d.send);
		CHECK_INT(d.categories, 1u << want[i].c);
		CHECK_STR(d.rule_ids, id);
		CHECK_STR(d.clauses, category_clause(want[i].c));
		CHECK_STR(d.ruleset, HASH);
		CHECK(has(d.reason, id));
		CHECK(has(d.reason, category_clause(want[i].c)));
		CHECK(has(d.reason_de, category_clause(want[i].c)));
		if (d.now & ACT_HIDE) {
			CHECK(has(d.reason, "hide rather than review alone"));
			CHECK(has(d.reason_de, "Ausblenden statt nur Prüfung"));
		}
		if (want[i].escalate)
			CHECK(has(d.reason, "escalated for criminal review"));
		policy_decision_free(&d);
		verdict_free(&v);
	}
}

static void
test_commercial_delete(void)
{
	struct policy		p;
	struct policy_context	ctx;
	struct verdict		v;
	struct decision		d;

	policy_init(&p);
	mkverdict1(&v, "commercial.spam", CAT_COMMERCIAL);

	/* auto: never delete automatically; hide now, delete proposed */
	ctx_init(&ctx, "facebook", CAPS_FACEBOOK, POLICY_MODE_AUTO);
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.wanted, ACT_DELETE);
	CHECK_INT(d.now, ACT_HIDE);
	CHECK_INT(d.proposed, ACT_DELETE);
	CHECK(d.review);
	CHECK(d.evidence);
	CHECK(has(d.reason, "delete rather than hide"));
	CHECK(has(d.reason, "waits for an editor's confirmation"));
	CHECK(has(d.reason_de, "Löschen statt Ausblenden"));
	policy_decision_free(&d);

	/* Mastodon: no hide, no delete of others' replies -> report */
	ctx_init(&ctx, "mastodon", CAPS_MASTODON, POLICY_MODE_AUTO);
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.now, ACT_REPORT);
	CHECK_INT(d.proposed, 0);
	CHECK(has(d.reason, "delete unavailable on mastodon: reported instead"));
	CHECK(has(d.reason_de, "Löschen auf mastodon nicht möglich: "
	    "stattdessen gemeldet"));
	policy_decision_free(&d);

	/* YouTube: reject (hide) instead of delete */
	ctx_init(&ctx, "youtube", CAPS_YOUTUBE, POLICY_MODE_AUTO);
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.now, ACT_HIDE);
	CHECK_INT(d.proposed, 0);
	CHECK(has(d.reason, "delete unavailable on youtube: hidden instead"));
	policy_decision_free(&d);

	/* nothing at all: the editors must act */
	ctx_init(&ctx, "none", 0, POLICY_MODE_AUTO);
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.now, 0);
	CHECK_INT(d.proposed, 0);
	CHECK(d.review);
	CHECK(has(d.reason, "delete unavailable on none and no fallback"));
	policy_decision_free(&d);
	verdict_free(&v);
}

static void
test_fallbacks(void)
{
	struct policy		p;
	struct policy_context	ctx;
	struct verdict		v;
	struct decision		d;

	policy_init(&p);
	mkverdict1(&v, "insult.vollidiot", CAT_INSULT);

	ctx_init(&ctx, "mastodon", CAPS_MASTODON, POLICY_MODE_AUTO);
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.now, ACT_REPORT | ACT_MUTE);
	CHECK_INT(d.proposed, 0);
	CHECK(d.review);
	CHECK(has(d.reason,
	    "hide unavailable on mastodon: reported and muted instead"));
	CHECK(has(d.reason_de, "Ausblenden auf mastodon nicht möglich: "
	    "stattdessen gemeldet und stummgeschaltet"));
	policy_decision_free(&d);

	/* X: hide replies works */
	ctx_init(&ctx, "x", CAPS_X, POLICY_MODE_AUTO);
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.now, ACT_HIDE);
	policy_decision_free(&d);

	/* only mute available */
	ctx_init(&ctx, "p", ACT_MUTE, POLICY_MODE_AUTO);
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.now, ACT_MUTE);
	CHECK(has(d.reason, "hide unavailable on p: muted instead"));
	policy_decision_free(&d);

	/* no capability: nothing sent, an editor looks */
	ctx_init(&ctx, "p", 0, POLICY_MODE_AUTO);
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.now, 0);
	CHECK(d.review);
	CHECK(has(d.reason, "hide unavailable on p and no fallback"));
	policy_decision_free(&d);

	/* a policy asking for report on a platform without it */
	p.actions[CAT_INSULT] = ACT_HIDE | ACT_REPORT | ACT_REVIEW;
	ctx_init(&ctx, "instagram", CAPS_INSTAGRAM, POLICY_MODE_AUTO);
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.now, ACT_HIDE);
	CHECK(has(d.reason, "report unavailable on instagram: not done"));
	policy_decision_free(&d);

	/* block per category is never sent: proposed at most */
	p.actions[CAT_INSULT] = ACT_HIDE | ACT_BLOCK;
	ctx_init(&ctx, "facebook", CAPS_FACEBOOK, POLICY_MODE_AUTO);
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.now, ACT_HIDE);
	CHECK_INT(d.proposed, ACT_BLOCK);
	CHECK(d.review);
	CHECK(has(d.reason, "block is decided by the repeat-offender rule"));
	policy_decision_free(&d);
	verdict_free(&v);
}

static void
test_modes(void)
{
	struct policy		p;
	struct policy_context	ctx;
	struct verdict		v;
	struct decision		d;
	const char		*ids[] = { "insult.a", "commercial.b" };
	enum category		 cats[] = { CAT_INSULT, CAT_COMMERCIAL };

	policy_init(&p);
	mkverdict(&v, 2, ids, cats);

	ctx_init(&ctx, "facebook", CAPS_FACEBOOK, POLICY_MODE_REVIEW);
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.mode, POLICY_MODE_REVIEW);
	CHECK_INT(d.now, 0);
	CHECK_INT(d.proposed, ACT_HIDE | ACT_DELETE);
	CHECK(d.review);
	CHECK(d.send);
	CHECK(d.evidence);
	CHECK(has(d.reason, "review mode: nothing sent"));
	CHECK_STR(d.rule_ids, "commercial.b,insult.a");
	CHECK_STR(d.clauses, "Beleidigungen; kommerzielle Beiträge");
	CHECK_INT(d.nrules, 2);
	policy_decision_free(&d);

	ctx_init(&ctx, "facebook", CAPS_FACEBOOK, POLICY_MODE_DRYRUN);
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.mode, POLICY_MODE_DRYRUN);
	CHECK_INT(d.now, ACT_HIDE);		/* computed as auto ... */
	CHECK_INT(d.proposed, ACT_DELETE);
	CHECK(!d.send);				/* ... but not sent */
	CHECK(has(d.reason, "dry-run: recorded, nothing sent"));
	policy_decision_free(&d);

	ctx_init(&ctx, "facebook", CAPS_FACEBOOK, POLICY_MODE_AUTO);
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.now, ACT_HIDE);
	CHECK_INT(d.proposed, ACT_DELETE);
	CHECK(d.send);
	policy_decision_free(&d);

	/* escalation survives every mode; dry-run sends no notification */
	verdict_free(&v);
	mkverdict1(&v, "violence.threat", CAT_VIOLENCE);
	ctx_init(&ctx, "facebook", CAPS_FACEBOOK, POLICY_MODE_REVIEW);
	policy_decide(&p, &v, &ctx, &d);
	CHECK(d.escalate);
	CHECK(d.evidence);
	CHECK_INT(d.now, 0);
	CHECK_INT(d.proposed, ACT_HIDE);
	policy_decision_free(&d);
	ctx.mode = POLICY_MODE_DRYRUN;
	policy_decide(&p, &v, &ctx, &d);
	CHECK(d.escalate && d.notify && !d.send);
	policy_decision_free(&d);
	verdict_free(&v);

	CHECK_STR(policy_mode_name(POLICY_MODE_DRYRUN), "dry-run");
	CHECK_INT(policy_mode_from_name("review"), POLICY_MODE_REVIEW);
	CHECK_INT(policy_mode_from_name("yolo"), -1);
	CHECK_STR(policy_offender_name(POLICY_OFFENDER_PROPOSE_BLOCK),
	    "propose-block");
	CHECK_INT(policy_offender_from_name("block"), POLICY_OFFENDER_BLOCK);
}

static void
test_offenders(void)
{
	struct policy		p;
	struct policy_context	ctx;
	struct verdict		v;
	struct decision		d;

	policy_init(&p);		/* 3 strikes in 30d: propose block */
	mkverdict1(&v, "insult.a", CAT_INSULT);
	ctx_init(&ctx, "facebook", CAPS_FACEBOOK, POLICY_MODE_AUTO);

	ctx.strikes = 1;		/* this is the second */
	policy_decide(&p, &v, &ctx, &d);
	CHECK(d.strike);
	CHECK(!d.offender);
	CHECK_INT(d.proposed & ACT_BLOCK, 0);
	policy_decision_free(&d);

	ctx.strikes = 2;		/* this is the third */
	policy_decide(&p, &v, &ctx, &d);
	CHECK(d.offender);
	CHECK_INT(d.now, ACT_HIDE);
	CHECK_INT(d.proposed, ACT_BLOCK);
	CHECK(d.review);
	CHECK(has(d.reason, "author has 3 strikes within 30d (max-strikes 3)"));
	CHECK(has(d.reason, "block proposed rather than hide alone"));
	CHECK(has(d.reason_de, "Verfasser hat 3 Verstöße in 30d"));
	policy_decision_free(&d);

	p.offender_action = POLICY_OFFENDER_BLOCK;
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.now, ACT_HIDE | ACT_BLOCK);
	CHECK_INT(d.proposed, 0);
	policy_decision_free(&d);

	/* review mode: even a configured block is only proposed */
	ctx.mode = POLICY_MODE_REVIEW;
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.now, 0);
	CHECK_INT(d.proposed, ACT_HIDE | ACT_BLOCK);
	policy_decision_free(&d);
	ctx.mode = POLICY_MODE_AUTO;

	/* X cannot block (Enterprise only): mute instead */
	ctx_init(&ctx, "x", CAPS_X, POLICY_MODE_AUTO);
	ctx.strikes = 5;
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.now, ACT_HIDE | ACT_MUTE);
	CHECK(has(d.reason, "block unavailable on x: mute instead"));
	policy_decision_free(&d);

	/* Instagram can neither block nor mute: editors */
	ctx_init(&ctx, "instagram", CAPS_INSTAGRAM, POLICY_MODE_AUTO);
	ctx.strikes = 5;
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.now, ACT_HIDE);
	CHECK(d.offender && d.review);
	CHECK(has(d.reason, "block unavailable on instagram: left to the "
	    "editors"));
	policy_decision_free(&d);

	/* action none counts but does nothing */
	p.offender_action = POLICY_OFFENDER_NONE;
	ctx_init(&ctx, "facebook", CAPS_FACEBOOK, POLICY_MODE_AUTO);
	ctx.strikes = 50;
	policy_decide(&p, &v, &ctx, &d);
	CHECK(d.strike && !d.offender);
	CHECK_INT(d.now, ACT_HIDE);
	CHECK_INT(d.proposed, 0);
	policy_decision_free(&d);
	verdict_free(&v);

	/* review-only categories are not strikes */
	p.offender_action = POLICY_OFFENDER_BLOCK;
	mkverdict1(&v, "provocation.a", CAT_PROVOCATION);
	policy_decide(&p, &v, &ctx, &d);
	CHECK(!d.strike && !d.offender);
	CHECK_INT(d.now, 0);
	policy_decision_free(&d);
	verdict_free(&v);

	/* max-strikes 1: the first strike is enough */
	p.max_strikes = 1;
	p.window = 86400 + 3600;
	mkverdict1(&v, "hate.a", CAT_HATE);
	ctx.strikes = 0;
	policy_decide(&p, &v, &ctx, &d);
	CHECK(d.offender);
	CHECK_INT(d.now, ACT_HIDE | ACT_BLOCK);
	CHECK(has(d.reason, "1 strikes within 25h"));
	policy_decision_free(&d);
	verdict_free(&v);
}

static void
test_unscreened_and_limits(void)
{
	struct policy		p;
	struct policy_context	ctx;
	struct verdict		v;
	struct decision		d;

	policy_init(&p);
	ctx_init(&ctx, "mastodon", CAPS_MASTODON, POLICY_MODE_AUTO);
	ctx.unscreened = true;
	ctx.unscreened_reason = "notifications[3].status.content: not a string";
	CHECK_INT(policy_decide(&p, NULL, &ctx, &d), 0);
	CHECK(d.review);
	CHECK_INT(d.now, 0);
	CHECK_INT(d.proposed, 0);
	CHECK_STR(d.rule_ids, "");
	CHECK_STR(d.ruleset, "");
	CHECK(has(d.reason, "could not be screened (notifications[3]"));
	CHECK(has(d.reason, "not treated as acceptable"));
	CHECK(has(d.reason_de, "nicht als unbedenklich gewertet"));
	policy_decision_free(&d);

	/* a PCRE2 limit with nothing matched is never "ok" */
	ctx.unscreened = false;
	mkverdict(&v, 0, NULL, NULL);
	v.review = true;
	snprintf(v.review_reason, sizeof v.review_reason,
	    "match limit hit in rule insult.x");
	policy_decide(&p, &v, &ctx, &d);
	CHECK(d.review);
	CHECK_INT(d.now, 0);
	CHECK(has(d.reason, "screening incomplete (match limit hit"));
	policy_decision_free(&d);
	verdict_free(&v);

	/* with something matched: act on it, and still review */
	mkverdict1(&v, "vulgar.a", CAT_VULGAR);
	v.review = true;
	snprintf(v.review_reason, sizeof v.review_reason, "depth limit");
	ctx_init(&ctx, "facebook", CAPS_FACEBOOK, POLICY_MODE_AUTO);
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.now, ACT_HIDE);
	CHECK(d.review);
	CHECK(has(d.reason, "an editor must check the rest"));
	policy_decision_free(&d);
	verdict_free(&v);

	/* clean */
	mkverdict(&v, 0, NULL, NULL);
	policy_decide(&p, &v, &ctx, &d);
	CHECK(!d.review && !d.escalate && !d.strike && !d.evidence);
	CHECK_INT(d.now | d.proposed, 0);
	CHECK_STR(d.reason, "no rule matched");
	CHECK_STR(d.reason_de, "keine Regel hat angeschlagen");
	policy_decision_free(&d);
	verdict_free(&v);
}

static void
test_dm_and_overrides(void)
{
	struct policy		p;
	struct policy_overrides	o = { 0 };
	struct policy_context	ctx;
	struct verdict		v;
	struct decision		d;

	policy_init(&p);
	mkverdict1(&v, "insult.a", CAT_INSULT);
	ctx_init(&ctx, "mastodon", CAPS_MASTODON, POLICY_MODE_AUTO);
	ctx.kind = CONN_ITEM_DM;
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.now, 0);
	CHECK(d.review);
	CHECK(d.strike);
	CHECK(has(d.reason, "direct message: not public"));
	policy_decision_free(&d);
	verdict_free(&v);

	mkverdict1(&v, "violence.threat", CAT_VIOLENCE);
	policy_decide(&p, &v, &ctx, &d);
	CHECK(d.escalate && d.evidence && d.notify);
	CHECK_INT(d.now, 0);
	policy_decision_free(&d);
	verdict_free(&v);

	/* account override: insult only reviewed on this account */
	o.set = 1u << CAT_INSULT;
	o.actions[CAT_INSULT] = ACT_REVIEW;
	mkverdict1(&v, "insult.a", CAT_INSULT);
	ctx_init(&ctx, "facebook", CAPS_FACEBOOK, POLICY_MODE_AUTO);
	ctx.overrides = &o;
	policy_decide(&p, &v, &ctx, &d);
	CHECK_INT(d.now, 0);
	CHECK(d.review);
	CHECK(!d.strike);
	CHECK(has(d.reason, "policy insult=review"));
	policy_decision_free(&d);
	CHECK_INT(policy_actions(&p, &o, CAT_INSULT), ACT_REVIEW);
	CHECK_INT(policy_actions(&p, &o, CAT_HATE), ACT_HIDE | ACT_REVIEW);
	CHECK_INT(policy_actions(&p, NULL, CAT_INSULT), ACT_HIDE | ACT_REVIEW);

	/* an override with escalate escalates any category */
	o.actions[CAT_INSULT] = ACT_HIDE | ACT_ESCALATE;
	policy_decide(&p, &v, &ctx, &d);
	CHECK(d.escalate && d.notify);
	policy_decision_free(&d);
	verdict_free(&v);
}

static void
test_json(void)
{
	struct policy		p;
	struct policy_context	ctx;
	struct verdict		v;
	struct decision		d;
	json_t			*j, *a;

	policy_init(&p);
	mkverdict1(&v, "commercial.spam", CAT_COMMERCIAL);
	ctx_init(&ctx, "mastodon", CAPS_MASTODON, POLICY_MODE_DRYRUN);
	policy_decide(&p, &v, &ctx, &d);
	j = policy_decision_json(&d);
	CHECK_STR(json_string_value(json_object_get(j, "mode")), "dry-run");
	CHECK(json_is_false(json_object_get(j, "send")));
	CHECK_STR(json_string_value(json_object_get(j, "wanted")), "delete");
	CHECK_STR(json_string_value(json_object_get(j, "now")), "report");
	CHECK_STR(json_string_value(json_object_get(j, "proposed")), "none");
	CHECK(json_is_false(json_object_get(j, "escalate")));
	CHECK(json_is_true(json_object_get(j, "strike")));
	a = json_object_get(j, "categories");
	CHECK(json_array_size(a) == 1 &&
	    strcmp(json_string_value(json_array_get(a, 0)), "commercial") == 0);
	a = json_object_get(j, "clauses");
	CHECK(json_array_size(a) == 1 && strcmp(json_string_value(
	    json_array_get(a, 0)), "kommerzielle Beiträge") == 0);
	a = json_object_get(j, "rules");
	CHECK(json_array_size(a) == 1 && strcmp(json_string_value(
	    json_array_get(a, 0)), "commercial.spam") == 0);
	CHECK_STR(json_string_value(json_object_get(j, "ruleset")), HASH);
	CHECK(has(json_string_value(json_object_get(j, "reason")),
	    "delete unavailable on mastodon: reported instead"));
	CHECK(json_is_string(json_object_get(j, "reason_de")));
	json_decref(j);
	policy_decision_free(&d);
	verdict_free(&v);
}

int
main(void)
{
	test_categories();
	test_commercial_delete();
	test_fallbacks();
	test_modes();
	test_offenders();
	test_unscreened_and_limits();
	test_dm_and_overrides();
	test_json();
	return tu_finish("test_policy");
}
