/*
 * instance.c: learns which of the platform's own rules a report should
 * cite.  Mastodon instances publish their rules (GET /api/v1/instance/
 * rules), and a report that names the broken instance rule is handled
 * faster by the instance's moderators than one filed as "other".  Our
 * netiquette categories are mapped to instance rules by what the rule
 * text talks about; a category no rule covers is reported without one.
 * Fetched per account at start and again every INSTANCE_REFRESH: an
 * instance's admins edit their rules, and a report citing a rule id that
 * is gone is refused (422) for good.  A failure only costs the mapping
 * until the next fetch, which comes sooner then (INSTANCE_RETRY).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "httpc.h"
#include "log.h"
#include "netiquetted.h"
#include "xmalloc.h"

#define INSTANCE_TIMEOUT_MS	15000
#define INSTANCE_REFRESH	3600	/* s between fetches */
#define INSTANCE_RETRY		300	/* s after a failed one */

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

static void	instance_fetch(struct daemon *);

/* Fetches again in seconds, unless a fetch is due sooner already. */
static void
instance_schedule(struct daemon *d, long seconds)
{
	struct timeval	tv = { seconds, 0 };
	struct timeval	left;

	if (d->instance_timer == NULL || d->stopping)
		return;
	if (evtimer_pending(d->instance_timer, &left)) {
		struct timeval now;

		evutil_gettimeofday(&now, NULL);
		if (left.tv_sec - now.tv_sec <= seconds)
			return;
	}
	evtimer_add(d->instance_timer, &tv);
}

static void
instance_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	instance_fetch(d);
	instance_schedule(d, INSTANCE_REFRESH);
}

/*
 * Builds a->ca.rulemap from the instance's rules (first match wins),
 * replacing the one before: requests built from here on cite the new ids.
 */
static void
instance_map(struct account *a, const struct conn_rules *rules)
{
	size_t	i, k, s, n = 0;

	instance_free(a);
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
	/* a failed fetch keeps the mapping it has, if any */
	if (error != NULL) {
		log_warnx("account %s: instance rules: %s; %s", a->conf->name,
		    error, a->rulemap != NULL ? "the last ones stay" :
		    "reports cite none");
		instance_schedule(a->d, INSTANCE_RETRY);
		return;
	}
	memset(&rules, 0, sizeof rules);
	conn_error_clear(&ce);
	if (a->conn->parse_rules(resp, &rules, &ce) == -1) {
		log_warnx("account %s: instance rules: %s; %s", a->conf->name,
		    ce.msg, a->rulemap != NULL ? "the last ones stay" :
		    "reports cite none");
		conn_rules_free(&rules);
		instance_schedule(a->d, INSTANCE_RETRY);
		return;
	}
	instance_map(a, &rules);
	conn_rules_free(&rules);
}

static void
instance_fetch(struct daemon *d)
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
		instance_schedule(d, INSTANCE_RETRY);
	}
}

void
instance_start(struct daemon *d)
{
	d->instance_timer = evtimer_new(d->base, instance_timer_cb, d);
	instance_fetch(d);
	instance_schedule(d, INSTANCE_REFRESH);
}

void
instance_stop(struct daemon *d)
{
	if (d->instance_timer != NULL) {
		event_free(d->instance_timer);
		d->instance_timer = NULL;
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
