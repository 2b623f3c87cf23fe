/*
 * category.h: the netiquette as categories (DESIGN.md), the actions the
 * daemon knows, and the default policy table that maps one to the other.
 * Every rule belongs to exactly one category; the category names the
 * netiquette clause the rule enforces.  This table is the single source of
 * those names and clauses for the CLI, the daemon, the audit log and the UI.
 */
#ifndef NQ_CATEGORY_H
#define NQ_CATEGORY_H
#include <stddef.h>

enum category {
	CAT_INSULT,
	CAT_DEFAMATION,
	CAT_PROVOCATION,
	CAT_VULGAR,
	CAT_VIOLENCE,
	CAT_DISCRIMINATION,
	CAT_RACISM,
	CAT_SEXISM,
	CAT_HATE,
	CAT_ILLEGAL,
	CAT_COMMERCIAL,
	CAT_OFFTOPIC,
	CAT_PERSONAL_DATA,
	CAT_COUNT
};

/* Actions are bits so that a decision can carry several ("hide+review"). */
enum action {
	ACT_NONE	= 0,
	ACT_HIDE	= 1 << 0,	/* reversible */
	ACT_DELETE	= 1 << 1,	/* irreversible */
	ACT_BLOCK	= 1 << 2,
	ACT_MUTE	= 1 << 3,
	ACT_REPORT	= 1 << 4,
	ACT_ESCALATE	= 1 << 5,	/* evidence, legal queue, notification */
	ACT_REVIEW	= 1 << 6,	/* into the editors' queue */
	ACT_NOTIFY	= 1 << 7,
	/* the inverse actions an editor's undo sends */
	ACT_UNHIDE	= 1 << 8,
	ACT_UNBLOCK	= 1 << 9,
	ACT_UNMUTE	= 1 << 10,
};
#define ACT_KNOWN_BITS 11

/* "insult" ... "personal-data"; NULL for out-of-range values. */
const char	*category_name(enum category);
/* -1 when name is not a category. */
int		 category_from_name(const char *name);
/* The German netiquette clause, e.g. "Beleidigungen". */
const char	*category_clause(enum category);
/* The default actions of DESIGN.md's table, e.g. ACT_HIDE|ACT_REVIEW. */
unsigned	 category_default_actions(enum category);

/* "hide", "delete", ...; NULL for anything but a single known bit. */
const char	*action_name(unsigned one_bit);
/* Bit for a single action name, 0 when unknown. */
unsigned	 action_from_name(const char *name);
/*
 * Formats a set as "hide+review" (bit order) into buf; "none" when empty.
 * Returns buf.
 */
char		*action_format(unsigned actions, char *buf, size_t len);
/*
 * Parses "hide+review" (or "hide, review"), or "none" alone.  Returns 0,
 * or ACTION_PARSE_UNKNOWN for a word that is no action, ACTION_PARSE_EMPTY
 * for an empty value or a missing word ("hide++review", "+"),
 * ACTION_PARSE_NONE for "none" beside an action.
 */
#define ACTION_PARSE_UNKNOWN	(-1)
#define ACTION_PARSE_EMPTY	(-2)
#define ACTION_PARSE_NONE	(-3)
int		 action_parse(const char *s, unsigned *out);

#endif
