/*
 * instance.c: learns which of the platform's own rules a report should
 * cite.  Mastodon instances publish their rules (GET /api/v1/instance/
 * rules), and a report that names the broken instance rule is handled
 * faster by the instance's moderators than one filed as "other".  Our
 * netiquette categories are mapped to instance rules by what the rule
 * text talks about; a category no rule covers is reported without one.
 * Fetched once per account at start; a failure only costs the mapping.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"
#include "log.h"
#include "netiquetted.h"
#include "xmalloc.h"

#define INSTANCE_TIMEOUT_MS	15000

/* Word stems (lowercase, umlauts as written) that tie a rule to a category. */
static const struct instance_topic {
	enum category	 category;
	const char	*stems[8];
} instance_topics[] = {
	{ CAT_COMMERCIAL, { "spam", "werbung", "advertis", "kommerz",
	    "commercial", NULL } },
	{ CAT_ILLEGAL, { "rechtswidrig", "illegal", "gesetz", "strafbar",
	    "unlawful", " law", NULL } },
	{ CAT_VIOLENCE, { "gewalt", "violen", "drohung", "threat", NULL } },
	{ CAT_RACISM, { "rassis", "racis", "hetze", "hass", "hate",
	    "diskrimin", "discrimin", NULL } },
	{ CAT_HATE, { "hass", "hate", "hetze", "diskrimin", "discrimin", NULL } },
	{ CAT_DISCRIMINATION, { "diskrimin", "discrimin", "hetze", NULL } },
	{ CAT_SEXISM, { "sexis", "diskrimin", "discrimin", NULL } },
	{ CAT_INSULT, { "beleidig", "insult", "harass", "belästig",
	    "respekt", "respect", NULL } },
	{ CAT_DEFAMATION, { "verleumd", "defam", "beleidig", "harass", NULL } },
	{ CAT_PROVOCATION, { "provok", "troll", "harass", "belästig", NULL } },
	{ CAT_VULGAR, { "vulgär", "obszön", "obscen", "beleidig", NULL } },
	{ CAT_PERSONAL_DATA, { "personenbezogen", "privat", "personal",
	    "doxx", NULL } },
};

static void
instance_lower(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x80)
			*s = (char)tolower((unsigned char)*s);
}

/* Builds a->ca.rulemap from the instance's rules (first match wins). */
static void
instance_map(struct account *a, const struct conn_rules *rules)
{
	size_t	i, k, s, n = 0;

	a->rulemap = xcalloc(CAT_COUNT, sizeof *a->rulemap);
	for (i = 0; i < sizeof instance_topics / sizeof instance_topics[0]; i++) {
		const struct instance_topic *t = &instance_topics[i];

		for (k = 0; k < rules->n; k++) {
			char	*text = xstrdup(rules->v[k].text ?
			    rules->v[k].text : "");
			bool	 hit = false;

			instance_lower(text);
			for (s = 0; t->stems[s] != NULL && !hit; s++)
				hit = strstr(text, t->stems[s]) != NULL;
			free(text);
			if (!hit)
				continue;
			a->rulemap[n].category = t->category;
			a->rulemap[n].rule_id = xstrdup(rules->v[k].id);
			n++;
			break;
		}
	}
	a->nrulemap = n;
	a->ca.rulemap = a->rulemap;
	a->ca.nrulemap = n;
	log_info("account %s: %zu instance rule(s), %zu of our categories "
	    "mapped to them for reports", a->conf->name, rules->n, n);
}

static void
instance_done_cb(void *arg, const struct http_response *resp, const char *error)
{
	struct account		*a = arg;
	struct conn_rules	 rules;
	struct conn_error	 ce;

	if (a->d->stopping)
		return;
	if (error != NULL) {
		log_warnx("account %s: instance rules: %s; reports cite none",
		    a->conf->name, error);
		return;
	}
	memset(&rules, 0, sizeof rules);
	conn_error_clear(&ce);
	if (a->conn->parse_rules(resp, &rules, &ce) == -1) {
		log_warnx("account %s: instance rules: %s; reports cite none",
		    a->conf->name, ce.msg);
		conn_rules_free(&rules);
		return;
	}
	instance_map(a, &rules);
	conn_rules_free(&rules);
}

void
instance_fetch_rules(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->naccounts; i++) {
		struct account		*a = &d->accounts[i];
		struct http_request	 req;
		struct conn_error	 ce;

		if (a->conn == NULL || a->conn->rules_request == NULL ||
		    a->conn->parse_rules == NULL)
			continue;
		memset(&req, 0, sizeof req);
		conn_error_clear(&ce);
		if (a->conn->rules_request(&a->ca, &req, &ce) == 0 &&
		    httpc_submit(d->http, &req, INSTANCE_TIMEOUT_MS,
		    instance_done_cb, a) == 0) {
			http_request_free(&req);
			continue;
		}
		log_warnx("account %s: cannot ask for the instance rules: %s",
		    a->conf->name, ce.msg[0] ? ce.msg : "request not started");
		http_request_free(&req);
	}
}

void
instance_free(struct account *a)
{
	size_t i;

	for (i = 0; i < a->nrulemap; i++)
		free(a->rulemap[i].rule_id);
	free(a->rulemap);
	a->rulemap = NULL;
	a->nrulemap = 0;
}
