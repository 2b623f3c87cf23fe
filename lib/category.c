/*
 * category.c: the table of netiquette categories (name, clause, default
 * actions) and the action names.  Keep it in the order of enum category.
 */
#include <string.h>
#include <stdbool.h>
#include <stdio.h>
#include <ctype.h>

#include "category.h"

static const struct category_entry {
	const char	*name;
	const char	*clause;
	unsigned	 defaults;
} category_table[CAT_COUNT] = {
	[CAT_INSULT] = { "insult", "Beleidigungen", ACT_HIDE | ACT_REVIEW },
	[CAT_DEFAMATION] = { "defamation", "Verleumdungen, üble Nachrede",
	    ACT_REVIEW },
	[CAT_PROVOCATION] = { "provocation", "Provokation", ACT_REVIEW },
	[CAT_VULGAR] = { "vulgar", "vulgäre Äußerungen", ACT_HIDE | ACT_REVIEW },
	[CAT_VIOLENCE] = { "violence", "gewaltverherrlichende Äußerungen",
	    ACT_HIDE | ACT_ESCALATE },
	[CAT_DISCRIMINATION] = { "discrimination", "diskriminierende Äußerungen",
	    ACT_HIDE | ACT_REVIEW },
	[CAT_RACISM] = { "racism", "rassistische Äußerungen",
	    ACT_HIDE | ACT_REVIEW },
	[CAT_SEXISM] = { "sexism", "sexistische Äußerungen",
	    ACT_HIDE | ACT_REVIEW },
	[CAT_HATE] = { "hate", "hasserfüllte Äußerungen", ACT_HIDE | ACT_REVIEW },
	[CAT_ILLEGAL] = { "illegal",
	    "gesetzeswidrige Äußerungen oder Inhalte", ACT_HIDE | ACT_ESCALATE },
	[CAT_COMMERCIAL] = { "commercial", "kommerzielle Beiträge", ACT_DELETE },
	[CAT_OFFTOPIC] = { "offtopic",
	    "Erwähnungen und Kommentare ohne sachlichen Bezug", ACT_REVIEW },
	[CAT_PERSONAL_DATA] = { "personal-data",
	    "Geben Sie möglichst keine sensiblen Daten an", ACT_HIDE | ACT_REVIEW },
};

static const char *action_names[ACT_KNOWN_BITS] = {
	"hide", "delete", "block", "mute", "report", "escalate", "review",
	"notify", "unhide", "unblock", "unmute",
};

const char *
category_name(enum category c)
{
	if ((unsigned)c >= CAT_COUNT)
		return NULL;
	return category_table[c].name;
}

int
category_from_name(const char *name)
{
	int i;

	for (i = 0; i < CAT_COUNT; i++)
		if (strcmp(category_table[i].name, name) == 0)
			return i;
	return -1;
}

const char *
category_clause(enum category c)
{
	if ((unsigned)c >= CAT_COUNT)
		return NULL;
	return category_table[c].clause;
}

unsigned
category_default_actions(enum category c)
{
	if ((unsigned)c >= CAT_COUNT)
		return ACT_REVIEW;
	return category_table[c].defaults;
}

const char *
action_name(unsigned bit)
{
	int i;

	for (i = 0; i < ACT_KNOWN_BITS; i++)
		if (bit == (1u << i))
			return action_names[i];
	return NULL;
}

unsigned
action_from_name(const char *name)
{
	int i;

	for (i = 0; i < ACT_KNOWN_BITS; i++)
		if (strcmp(action_names[i], name) == 0)
			return 1u << i;
	return 0;
}

char *
action_format(unsigned actions, char *buf, size_t len)
{
	size_t	off = 0;
	int	i, n;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (actions == 0) {
		snprintf(buf, len, "none");
		return buf;
	}
	for (i = 0; i < ACT_KNOWN_BITS; i++) {
		if ((actions & (1u << i)) == 0)
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? "+" : "",
		    action_names[i]);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += n;
	}
	return buf;
}

int
action_parse(const char *s, unsigned *out)
{
	char		 word[32];
	size_t		 n;
	unsigned	 bit, acc = 0;
	bool		 none = false, words = false;

	/* word (sep word)*, blanks around each: no empty word anywhere */
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		for (n = 0; s[n] != '\0' && s[n] != '+' && s[n] != ',' &&
		    s[n] != ' ' && s[n] != '\t'; n++)
			;
		if (n == 0)
			return ACTION_PARSE_EMPTY;
		if (n >= sizeof word)
			return ACTION_PARSE_UNKNOWN;
		memcpy(word, s, n);
		word[n] = '\0';
		if (strcmp(word, "none") == 0)
			none = true;
		else if ((bit = action_from_name(word)) != 0)
			acc |= bit;
		else
			return ACTION_PARSE_UNKNOWN;
		if (none && words)
			return ACTION_PARSE_NONE;
		words = true;
		s += n;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		if (*s != '+' && *s != ',')
			return ACTION_PARSE_EMPTY;	/* "hide review" */
		s++;
	}
	if (none && acc != 0)
		return ACTION_PARSE_NONE;
	*out = acc;
	return 0;
}
