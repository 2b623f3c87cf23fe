/*
 * policy.c: the decision function (policy.h) and its JSON form.  The order
 * of steps in policy_decide() is the order of the principles: what the
 * policy wants, what a direct message allows, what the platform can do
 * (with fallbacks), what the repeat-offender rule adds, and finally what
 * the account's mode lets through now.  Each step that changes the outcome
 * says so in the reason, in English and in German, so that the audit log
 * never holds an action without its justification.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "xmalloc.h"

static const char *policy_mode_names[] = { "auto", "review", "dry-run" };
static const char *policy_offender_names[] = {
	"none", "propose-block", "block"
};

const char *
policy_mode_name(enum policy_mode m)
{
	if ((unsigned)m >= sizeof policy_mode_names / sizeof *policy_mode_names)
		return NULL;
	return policy_mode_names[m];
}

int
policy_mode_from_name(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof policy_mode_names / sizeof *policy_mode_names; i++)
		if (strcmp(s, policy_mode_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
policy_offender_name(enum policy_offender_action a)
{
	if ((unsigned)a >= sizeof policy_offender_names /
	    sizeof *policy_offender_names)
		return NULL;
	return policy_offender_names[a];
}

int
policy_offender_from_name(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof policy_offender_names /
	    sizeof *policy_offender_names; i++)
		if (strcmp(s, policy_offender_names[i]) == 0)
			return (int)i;
	return -1;
}

void
policy_init(struct policy *p)
{
	int c;

	memset(p, 0, sizeof *p);
	for (c = 0; c < CAT_COUNT; c++)
		p->actions[c] = category_default_actions(c);
	p->max_strikes = 3;
	p->window = 30L * 86400;
	p->offender_action = POLICY_OFFENDER_PROPOSE_BLOCK;
}

unsigned
policy_actions(const struct policy *p, const struct policy_overrides *o,
    enum category c)
{
	if ((unsigned)c >= CAT_COUNT)
		return ACT_REVIEW;
	if (o != NULL && (o->set & (1u << c)))
		return o->actions[c];
	return p->actions[c];
}

/* --- the reason, in two languages ------------------------------------------ */

struct reason {
	char	*en, *de;
	size_t	 enlen, delen;
};

static void __attribute__((format(printf, 3, 0)))
reason_append(char **s, size_t *len, const char *fmt, va_list ap)
{
	char	*part;
	int	 n;

	if ((n = vasprintf(&part, fmt, ap)) == -1)
		abort();
	*s = xreallocarray(*s, *len + n + 3, 1);
	if (*len > 0) {
		memcpy(*s + *len, "; ", 2);
		*len += 2;
	}
	memcpy(*s + *len, part, n + 1);
	*len += n;
	free(part);
}

static void __attribute__((format(printf, 2, 3)))
reason_en(struct reason *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reason_append(&r->en, &r->enlen, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 2, 3)))
reason_de(struct reason *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reason_append(&r->de, &r->delen, fmt, ap);
	va_end(ap);
}

/*
 * Adds one clause in both languages.  Both formats take the same arguments,
 * so the two texts never say different things; where a word differs by
 * language, call reason_en() and reason_de() directly.
 */
#define REASON(r, en, de, ...) do {					\
	reason_en((r), en, ##__VA_ARGS__);				\
	reason_de((r), de, ##__VA_ARGS__);				\
} while (0)

/* "report and mute" / "gemeldet und stummgeschaltet" for fallback text. */
static const char *
fallback_en(unsigned acts)
{
	if ((acts & (ACT_REPORT | ACT_MUTE)) == (ACT_REPORT | ACT_MUTE))
		return "reported and muted";
	if (acts & ACT_REPORT)
		return "reported";
	if (acts & ACT_MUTE)
		return "muted";
	if (acts & ACT_HIDE)
		return "hidden";
	return "nothing done";
}

static const char *
fallback_de(unsigned acts)
{
	if ((acts & (ACT_REPORT | ACT_MUTE)) == (ACT_REPORT | ACT_MUTE))
		return "stattdessen gemeldet und stummgeschaltet";
	if (acts & ACT_REPORT)
		return "stattdessen gemeldet";
	if (acts & ACT_MUTE)
		return "stattdessen stummgeschaltet";
	if (acts & ACT_HIDE)
		return "stattdessen ausgeblendet";
	return "nichts unternommen";
}

/* Largest exact unit: "30d", "12h", "90s". */
static void
duration_format(long s, char *buf, size_t len)
{
	if (s > 0 && s % 86400 == 0)
		snprintf(buf, len, "%ldd", s / 86400);
	else if (s > 0 && s % 3600 == 0)
		snprintf(buf, len, "%ldh", s / 3600);
	else if (s > 0 && s % 60 == 0)
		snprintf(buf, len, "%ldm", s / 60);
	else
		snprintf(buf, len, "%lds", s);
}

/* Names of the hit categories whose actions include bit, "insult, hate". */
static void
cats_with(const struct policy *p, const struct policy_overrides *o,
    unsigned cats, unsigned bit, char *buf, size_t len)
{
	size_t	off = 0;
	int	c, n;

	buf[0] = '\0';
	for (c = 0; c < CAT_COUNT; c++) {
		if (!(cats & (1u << c)) || !(policy_actions(p, o, c) & bit))
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
		    category_name(c));
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += n;
	}
}

/* --- decision ----------------------------------------------------------------- */

static int
rule_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Rule ids (sorted, unique) and categories of the verdict's matches. */
static void
decision_collect(struct decision *d, const struct verdict *v)
{
	size_t	i, j, len;
	char	*s;
	int	c;

	d->rules = xcalloc(v->nmatches ? v->nmatches : 1, sizeof *d->rules);
	for (i = 0; i < v->nmatches; i++) {
		if (v->matches[i].rule_id == NULL)
			continue;
		for (j = 0; j < d->nrules; j++)
			if (strcmp(d->rules[j], v->matches[i].rule_id) == 0)
				break;
		if (j == d->nrules)
			d->rules[d->nrules++] = xstrdup(v->matches[i].rule_id);
		if ((unsigned)v->matches[i].category < CAT_COUNT)
			d->categories |= 1u << v->matches[i].category;
	}
	for (c = 0; c < CAT_COUNT; c++)
		if (v->cat_severity[c] > 0)
			d->categories |= 1u << c;
	qsort(d->rules, d->nrules, sizeof *d->rules, rule_cmp);

	for (len = 1, i = 0; i < d->nrules; i++)
		len += strlen(d->rules[i]) + 1;
	s = d->rule_ids = xcalloc(1, len);
	for (i = 0; i < d->nrules; i++) {
		if (i > 0)
			*s++ = ',';
		len = strlen(d->rules[i]);
		memcpy(s, d->rules[i], len);
		s += len;
	}

	for (len = 1, c = 0; c < CAT_COUNT; c++)
		if (d->categories & (1u << c))
			len += strlen(category_clause(c)) + 2;
	s = d->clauses = xcalloc(1, len);
	for (c = 0; c < CAT_COUNT; c++) {
		if (!(d->categories & (1u << c)))
			continue;
		if (s != d->clauses) {
			memcpy(s, "; ", 2);
			s += 2;
		}
		len = strlen(category_clause(c));
		memcpy(s, category_clause(c), len);
		s += len;
	}
}

/*
 * Maps the wanted platform actions onto what the platform can do.  Sets
 * *imm to what may run without an editor and *prop to what needs one, and
 * explains every substitution.
 */
static void
decide_capabilities(struct decision *d, struct reason *r,
    const struct policy_context *ctx, unsigned plat, unsigned *imm,
    unsigned *prop)
{
	const char	*pf = ctx->platform ? ctx->platform : "this platform";
	unsigned	 caps = ctx->capabilities, fb;
	unsigned	 other[] = { ACT_MUTE, ACT_REPORT };
	size_t		 i;

	if (plat & ACT_DELETE) {
		if (caps & ACT_DELETE) {
			*prop |= ACT_DELETE;
			plat |= ACT_HIDE;
		} else if (caps & ACT_HIDE) {
			plat |= ACT_HIDE;
			REASON(r, "delete unavailable on %s: hidden instead",
			    "Löschen auf %s nicht möglich: stattdessen "
			    "ausgeblendet", pf);
		} else if (caps & ACT_REPORT) {
			*imm |= ACT_REPORT;
			REASON(r, "delete unavailable on %s: reported instead",
			    "Löschen auf %s nicht möglich: stattdessen gemeldet",
			    pf);
		} else {
			d->review = true;
			REASON(r, "delete unavailable on %s and no fallback: "
			    "left to the editors", "Löschen auf %s nicht möglich "
			    "und kein Ersatz: der Redaktion vorgelegt", pf);
		}
	}
	if (plat & ACT_HIDE) {
		if (caps & ACT_HIDE)
			*imm |= ACT_HIDE;
		else if ((fb = caps & (ACT_REPORT | ACT_MUTE)) != 0) {
			*imm |= fb;
			reason_en(r, "hide unavailable on %s: %s instead", pf,
			    fallback_en(fb));
			reason_de(r, "Ausblenden auf %s nicht möglich: %s", pf,
			    fallback_de(fb));
		} else {
			d->review = true;
			REASON(r, "hide unavailable on %s and no fallback: "
			    "left to the editors", "Ausblenden auf %s nicht "
			    "möglich und kein Ersatz: der Redaktion vorgelegt",
			    pf);
		}
	}
	for (i = 0; i < sizeof other / sizeof *other; i++) {
		if (!(plat & other[i]))
			continue;
		if (caps & other[i])
			*imm |= other[i];
		else
			REASON(r, "%s unavailable on %s: not done",
			    "%s auf %s nicht möglich: unterlassen",
			    action_name(other[i]), pf);
	}
	if (plat & ACT_BLOCK) {
		/* a per-category block would punish one comment with a ban */
		if (caps & ACT_BLOCK)
			*prop |= ACT_BLOCK;
		reason_en(r, "block is decided by the repeat-offender rule, "
		    "not per comment: %s", (caps & ACT_BLOCK) ? "proposed" :
		    "not done");
		reason_de(r, "Sperren entscheidet nur die Wiederholungsregel, "
		    "nicht ein einzelner Kommentar: %s", (caps & ACT_BLOCK) ?
		    "vorgeschlagen" : "unterlassen");
	}
}

/* The repeat-offender rule: fail2ban's maxretry within findtime. */
static void
decide_offender(struct decision *d, struct reason *r, const struct policy *p,
    const struct policy_context *ctx, unsigned *imm, unsigned *prop)
{
	const char	*pf = ctx->platform ? ctx->platform : "this platform";
	unsigned	 want = ACT_BLOCK;
	char		 win[32];

	if (!d->strike || p->offender_action == POLICY_OFFENDER_NONE ||
	    p->max_strikes < 1 || ctx->strikes + 1 < p->max_strikes)
		return;
	d->offender = true;
	duration_format(p->window, win, sizeof win);
	if (!(ctx->capabilities & ACT_BLOCK)) {
		want = ctx->capabilities & ACT_MUTE;
		reason_en(r, "block unavailable on %s: %s", pf,
		    want ? "mute instead" : "left to the editors");
		reason_de(r, "Sperren auf %s nicht möglich: %s", pf,
		    want ? "stattdessen Stummschalten" :
		    "der Redaktion vorgelegt");
		if (want == 0)
			d->review = true;
	}
	if (p->offender_action == POLICY_OFFENDER_BLOCK)
		*imm |= want;
	else
		*prop |= want;
	reason_en(r, "author has %d strikes within %s (max-strikes %d): "
	    "%s%s rather than hide alone, because the milder measures did not "
	    "stop the repetition", ctx->strikes + 1, win, p->max_strikes,
	    want == ACT_BLOCK ? "block" : want ? "mute" : "no measure",
	    p->offender_action == POLICY_OFFENDER_BLOCK ? "" : " proposed");
	reason_de(r, "Verfasser hat %d Verstöße in %s (Höchstzahl %d): "
	    "%s%s statt nur Ausblenden, weil die milderen Maßnahmen die "
	    "Wiederholung nicht verhindert haben", ctx->strikes + 1, win,
	    p->max_strikes, want == ACT_BLOCK ? "Sperren" : want ?
	    "Stummschalten" : "keine Maßnahme",
	    p->offender_action == POLICY_OFFENDER_BLOCK ? "" : " vorgeschlagen");
}

/* Why no milder measure: one clause per destructive action chosen. */
static void
decide_justify(struct decision *d, struct reason *r, const struct policy *p,
    const struct policy_context *ctx)
{
	const struct policy_overrides	*o = ctx->overrides;
	unsigned			 all = d->now | d->proposed;
	char				 cats[256];

	if (all & ACT_HIDE) {
		cats_with(p, o, d->categories, ACT_HIDE | ACT_DELETE, cats,
		    sizeof cats);
		REASON(r, "hide rather than review alone: the policy for "
		    "%s removes such content from view; hiding is reversible "
		    "and an editor can restore it", "Ausblenden statt nur "
		    "Prüfung: die Regelung für %s nimmt solche Inhalte aus der "
		    "Ansicht; Ausblenden ist umkehrbar und die Redaktion kann "
		    "es rückgängig machen", cats);
	}
	if (all & ACT_DELETE) {
		cats_with(p, o, d->categories, ACT_DELETE, cats, sizeof cats);
		REASON(r, "delete rather than hide: the policy for %s asks "
		    "for removal; deleting is irreversible, so it waits for an "
		    "editor's confirmation", "Löschen statt Ausblenden: die "
		    "Regelung für %s verlangt Entfernung; Löschen ist "
		    "unumkehrbar und wartet daher auf die Bestätigung der "
		    "Redaktion", cats);
	}
}

int
policy_decide(const struct policy *p, const struct verdict *v,
    const struct policy_context *ctx, struct decision *d)
{
	const struct policy_overrides	*o = ctx->overrides;
	struct reason			 r = { 0 };
	unsigned			 plat, imm = 0, prop = 0;
	char				 buf[128], cats[1024];
	size_t				 off;
	int				 c, n;

	memset(d, 0, sizeof *d);
	d->mode = ctx->mode;
	d->send = ctx->mode != POLICY_MODE_DRYRUN;

	if (ctx->unscreened || v == NULL) {
		d->rules = xcalloc(1, sizeof *d->rules);
		d->rule_ids = xstrdup("");
		d->clauses = xstrdup("");
		d->review = true;
		REASON(&r, "could not be screened (%s): queued for review, "
		    "not treated as acceptable", "konnte nicht geprüft werden "
		    "(%s): der Redaktion vorgelegt, nicht als unbedenklich "
		    "gewertet", ctx->unscreened_reason ? ctx->unscreened_reason :
		    "unknown reason");
		goto done;
	}
	decision_collect(d, v);
	snprintf(d->ruleset, sizeof d->ruleset, "%s", v->ruleset);

	if (!v->flagged && d->categories == 0) {
		if (v->review) {
			d->review = true;
			REASON(&r, "screening incomplete (%s): queued for "
			    "review, not treated as acceptable", "Prüfung "
			    "unvollständig (%s): der Redaktion vorgelegt, nicht "
			    "als unbedenklich gewertet", v->review_reason);
		} else
			REASON(&r, "no rule matched", "keine Regel hat "
			    "angeschlagen");
		goto done;
	}

	/* 1. what the policy wants for every category hit */
	for (c = 0; c < CAT_COUNT; c++)
		if (d->categories & (1u << c))
			d->wanted |= policy_actions(p, o, c);
	cats[0] = '\0';
	for (off = 0, c = 0; c < CAT_COUNT; c++) {
		if (!(d->categories & (1u << c)))
			continue;
		action_format(policy_actions(p, o, c), buf, sizeof buf);
		n = snprintf(cats + off, sizeof cats - off, "%s%s=%s",
		    off ? ", " : "", category_name(c), buf);
		if (n < 0 || (size_t)n >= sizeof cats - off)
			break;
		off += n;
	}
	REASON(&r, "rule %s (clause: %s); policy %s",
	    "Regel %s (Netiquette: %s); Regelung %s", d->rule_ids, d->clauses,
	    cats);
	if (v->review)
		REASON(&r, "screening incomplete (%s): an editor must check "
		    "the rest", "Prüfung unvollständig (%s): die Redaktion muss "
		    "den Rest prüfen", v->review_reason);

	d->review = (d->wanted & ACT_REVIEW) || v->review;
	d->escalate = (d->wanted & ACT_ESCALATE) ||
	    (d->categories & (1u << CAT_ILLEGAL | 1u << CAT_VIOLENCE));
	d->notify = d->escalate || (d->wanted & ACT_NOTIFY);
	d->strike = (d->wanted & (ACT_HIDE | ACT_DELETE | ACT_ESCALATE)) != 0;
	if (d->escalate)
		REASON(&r, "escalated for criminal review: evidence is "
		    "preserved before anything is removed", "zur "
		    "strafrechtlichen Prüfung weitergeleitet: Beweise werden "
		    "vor jeder Entfernung gesichert");

	/* 2. a direct message is not public: there is nothing to hide */
	plat = d->wanted & POLICY_PLATFORM_ACTS;
	if (ctx->kind == CONN_ITEM_DM && (plat & (ACT_HIDE | ACT_DELETE))) {
		plat &= ~(ACT_HIDE | ACT_DELETE);
		d->review = true;
		REASON(&r, "direct message: not public, nothing to hide or "
		    "delete; left to the editors", "Direktnachricht: nicht "
		    "öffentlich, nichts auszublenden oder zu löschen; der "
		    "Redaktion vorgelegt");
	}

	/* 3. what the platform can do, 4. repeat offenders */
	decide_capabilities(d, &r, ctx, plat, &imm, &prop);
	decide_offender(d, &r, p, ctx, &imm, &prop);

	/* 5. what the mode lets through now */
	switch (ctx->mode) {
	case POLICY_MODE_REVIEW:
		d->proposed = imm | prop;
		d->review = true;
		REASON(&r, "review mode: nothing sent, everything proposed "
		    "to the editors", "Prüfmodus: nichts gesendet, alles der "
		    "Redaktion vorgeschlagen");
		break;
	case POLICY_MODE_DRYRUN:
	case POLICY_MODE_AUTO:
	default:
		d->now = imm;
		d->proposed = prop & ~imm;
		if (ctx->mode == POLICY_MODE_DRYRUN)
			REASON(&r, "dry-run: recorded, nothing sent",
			    "Probebetrieb: aufgezeichnet, nichts gesendet");
		break;
	}
	if (d->proposed)
		d->review = true;
	d->evidence = d->escalate ||
	    ((d->now | d->proposed) & (ACT_HIDE | ACT_DELETE));
	decide_justify(d, &r, p, ctx);

done:
	d->reason = r.en ? r.en : xstrdup("");
	d->reason_de = r.de ? r.de : xstrdup("");
	return 0;
}

void
policy_decision_free(struct decision *d)
{
	size_t i;

	for (i = 0; i < d->nrules; i++)
		free(d->rules[i]);
	free(d->rules);
	free(d->rule_ids);
	free(d->clauses);
	free(d->reason);
	free(d->reason_de);
	memset(d, 0, sizeof *d);
}

json_t *
policy_decision_json(const struct decision *d)
{
	json_t	*o, *cats, *clauses, *rules;
	char	 buf[128];
	size_t	 i;
	int	 c;

	o = json_object();
	cats = json_array();
	clauses = json_array();
	rules = json_array();
	for (c = 0; c < CAT_COUNT; c++) {
		if (!(d->categories & (1u << c)))
			continue;
		json_array_append_new(cats, json_string(category_name(c)));
		json_array_append_new(clauses, json_string(category_clause(c)));
	}
	for (i = 0; i < d->nrules; i++)
		json_array_append_new(rules, json_string(d->rules[i]));
	json_object_set_new(o, "mode", json_string(policy_mode_name(d->mode)));
	json_object_set_new(o, "send", json_boolean(d->send));
	json_object_set_new(o, "wanted",
	    json_string(action_format(d->wanted, buf, sizeof buf)));
	json_object_set_new(o, "now",
	    json_string(action_format(d->now, buf, sizeof buf)));
	json_object_set_new(o, "proposed",
	    json_string(action_format(d->proposed, buf, sizeof buf)));
	json_object_set_new(o, "review", json_boolean(d->review));
	json_object_set_new(o, "escalate", json_boolean(d->escalate));
	json_object_set_new(o, "evidence", json_boolean(d->evidence));
	json_object_set_new(o, "notify", json_boolean(d->notify));
	json_object_set_new(o, "strike", json_boolean(d->strike));
	json_object_set_new(o, "offender", json_boolean(d->offender));
	json_object_set_new(o, "categories", cats);
	json_object_set_new(o, "clauses", clauses);
	json_object_set_new(o, "rules", rules);
	json_object_set_new(o, "ruleset", json_string(d->ruleset));
	json_object_set_new(o, "reason", json_string(d->reason ? d->reason : ""));
	json_object_set_new(o, "reason_de",
	    json_string(d->reason_de ? d->reason_de : ""));
	return o;
}
