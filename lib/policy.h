/*
 * policy.h: from a verdict to a decision.  policy_decide() is a pure
 * function: given what the rules found, what the platform can do, the
 * account's mode and policy, and the author's recent strikes, it says which
 * actions to send now, which to propose to the editors, whether the item
 * must be escalated, and why, in words an editor, a legal reviewer or a
 * court can read.  It performs no I/O, reads no clock and logs nothing; the
 * daemon records the decision, fills the outbox and the queue.
 *
 * The principles it enforces (DESIGN.md):
 *   - reversible before irreversible: in auto mode a delete is never sent;
 *     the item is hidden (or the platform's fallback applied) and the
 *     delete is proposed until an editor confirms it;
 *   - the author is blocked only through the repeat-offender threshold
 *     ([offenders] max-strikes within window), never for one comment;
 *   - what cannot be screened or parsed goes to review, never "ok";
 *   - a missing platform capability is replaced by the next measure the
 *     platform has (Mastodon cannot hide or delete replies of others:
 *     hide -> report + mute, delete -> report), and the reason says so;
 *   - every action names the rule, the rule set and the netiquette clause,
 *     and a destructive one says why a milder measure was not chosen.
 */
#ifndef NQ_POLICY_H
#define NQ_POLICY_H
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "category.h"
#include "connector.h"
#include "ruleset.h"

enum policy_mode {
	POLICY_MODE_AUTO,	/* send reversible actions now */
	POLICY_MODE_REVIEW,	/* send nothing; propose everything */
	POLICY_MODE_DRYRUN,	/* decide as auto, record, send nothing */
};
const char	*policy_mode_name(enum policy_mode);	/* "auto" "review" "dry-run" */
int		 policy_mode_from_name(const char *);	/* -1 when unknown */

enum policy_offender_action {
	POLICY_OFFENDER_NONE,		/* strikes are counted, nothing else */
	POLICY_OFFENDER_PROPOSE_BLOCK,	/* block goes to the editors' queue */
	POLICY_OFFENDER_BLOCK,		/* block is sent (auto mode only) */
};
/* "none" "propose-block" "block"; from_name returns -1 when unknown. */
const char	*policy_offender_name(enum policy_offender_action);
int		 policy_offender_from_name(const char *);

/* The platform actions: everything else (review, escalate, notify) is ours. */
#define POLICY_PLATFORM_ACTS \
	(ACT_HIDE | ACT_DELETE | ACT_BLOCK | ACT_MUTE | ACT_REPORT)

/*
 * The global policy: the [policy] and [offenders] sections.  actions[c]
 * starts as category_default_actions(c).
 */
struct policy {
	unsigned			 actions[CAT_COUNT];
	int				 max_strikes;	/* >= 1 */
	long				 window;	/* seconds */
	enum policy_offender_action	 offender_action;
};
void	policy_init(struct policy *);	/* the documented defaults */

/* An account's "policy.<category> = ..." lines. */
struct policy_overrides {
	unsigned	 set;			/* 1u << category when overridden */
	unsigned	 actions[CAT_COUNT];
};

struct policy_context {
	const char		*platform;	/* "mastodon"; for the reason text */
	unsigned		 capabilities;	/* connector capabilities(): ACT_* */
	enum conn_item_kind	 kind;		/* comment or direct message */
	enum policy_mode	 mode;
	const struct policy_overrides *overrides;	/* NULL: none */
	/*
	 * The author's strikes within the window before this item (the daemon
	 * counts them in the store; this item is not included).
	 */
	int			 strikes;
	/*
	 * True when the item could not be parsed or screened at all (reason
	 * says why); the verdict is then ignored and may be NULL.
	 */
	bool			 unscreened;
	const char		*unscreened_reason;
};

/*
 * What to do about one item.  Owned by the caller; policy_decision_free().
 *
 * now and proposed hold only platform actions (POLICY_PLATFORM_ACTS bits);
 * the daemon's own steps are the flags.  When evidence is set the daemon
 * snapshots the item before sending any of now; when escalate is set it
 * also puts the item into the legal queue and notifies (notify.h).  With
 * send false (dry-run) nothing leaves the daemon: no platform action, no
 * notification; the decision is recorded as if it had been carried out.
 */
struct decision {
	enum policy_mode mode;
	unsigned	 wanted;	/* the policy's actions, before the mode
					   and the platform's capabilities */
	unsigned	 now;		/* send now (auto and dry-run) */
	unsigned	 proposed;	/* for an editor to confirm */
	bool		 send;		/* false in dry-run */
	bool		 review;	/* into the editors' queue */
	bool		 escalate;	/* legal queue + notification */
	bool		 evidence;	/* snapshot before anything is sent */
	bool		 notify;	/* send a notification (ACT_NOTIFY or escalate) */
	bool		 strike;	/* this item counts against its author */
	bool		 offender;	/* the author reached max-strikes */
	unsigned	 categories;	/* 1u << category of every category hit */
	char		**rules;	/* rule ids, sorted, unique */
	size_t		 nrules;
	char		*rule_ids;	/* the same, comma-separated ("" if none) */
	char		*clauses;	/* netiquette clauses, "; "-separated */
	char		 ruleset[65];	/* "" when unscreened */
	char		*reason;	/* English */
	char		*reason_de;	/* German */
};

/*
 * Decides about one item.  v may be NULL only when ctx->unscreened is set.
 * Fills out (which need not be initialised) and returns 0; it cannot fail
 * short of allocation failure, which aborts.
 */
int	policy_decide(const struct policy *p, const struct verdict *v,
	    const struct policy_context *ctx, struct decision *out);
void	policy_decision_free(struct decision *);

/*
 * The actions policy p (with overrides o, may be NULL) assigns to category c.
 */
unsigned policy_actions(const struct policy *p,
	    const struct policy_overrides *o, enum category c);

/*
 * The decision as JSON for the store and the audit log:
 *   {"mode": "auto", "send": true, "wanted": "hide+review",
 *    "now": "hide", "proposed": "delete", "review": bool,
 *    "escalate": bool, "evidence": bool, "notify": bool, "strike": bool,
 *    "offender": bool, "categories": ["commercial"],
 *    "clauses": ["kommerzielle Beiträge"], "rules": ["commercial.x"],
 *    "ruleset": "<hex>", "reason": "...", "reason_de": "..."}
 * Never NULL.
 */
json_t	*policy_decision_json(const struct decision *);

#endif
