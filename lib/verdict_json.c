/*
 * verdict_json.c: builds the JSON form of a verdict described in
 * verdict_json.h.  It only formats; it decides nothing, and it never fails
 * on hostile bytes: everything put into a JSON string is repaired to valid
 * UTF-8 first, because jansson refuses invalid UTF-8.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "category.h"
#include "verdict_json.h"
#include "xmalloc.h"

/*
 * Length of the valid UTF-8 sequence at s[0..len), or 0 when there is
 * none.  Strict like jansson: no overlong forms, no surrogates, nothing
 * above U+10FFFF.
 */
static size_t
vjson_utf8_seq(const unsigned char *s, size_t len)
{
	unsigned	cp;
	size_t		n, k;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) { n = 2; cp = s[0] & 0x1f; }
	else if (s[0] >= 0xe0 && s[0] <= 0xef) { n = 3; cp = s[0] & 0x0f; }
	else if (s[0] >= 0xf0 && s[0] <= 0xf4) { n = 4; cp = s[0] & 0x07; }
	else return 0;
	if (n > len)
		return 0;
	for (k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

json_t *
vjson_string(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	json_t			*j;
	char			*buf;
	size_t			 i, n, o;

	for (i = 0; i < len; i += n)
		if ((n = vjson_utf8_seq(u + i, len - i)) == 0)
			break;
	if (i == len) {
		if ((j = json_stringn(s, len)) == NULL)
			abort();
		return j;
	}
	/* Each bad byte becomes the three bytes of U+FFFD. */
	if (len > (SIZE_MAX - 1) / 3)
		abort();
	buf = xmalloc(len * 3 + 1);
	for (i = 0, o = 0; i < len; i += n) {
		if ((n = vjson_utf8_seq(u + i, len - i)) == 0) {
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			o += 3;
			n = 1;
		} else {
			memcpy(buf + o, s + i, n);
			o += n;
		}
	}
	if ((j = json_stringn(buf, o)) == NULL)
		abort();
	free(buf);
	return j;
}

/* json_object_set_new that cannot fail quietly. */
static void
vjson_set(json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) == -1)
		abort();
}

static json_t *
vjson_id(json_t *id)
{
	return id != NULL ? json_incref(id) : json_null();
}

static json_t *
vjson_match(const struct rs_match *m, const char *text, size_t len)
{
	json_t	*o;
	size_t	 start = m->start, end = m->end;
	const char *cat = category_name(m->category);
	const char *clause = category_clause(m->category);

	/* Spans come from the engine; never trust them with memory. */
	if (end > len)
		end = len;
	if (start > end)
		start = end;
	if ((o = json_object()) == NULL)
		abort();
	vjson_set(o, "rule", vjson_string(m->rule_id ? m->rule_id : "",
	    m->rule_id ? strlen(m->rule_id) : 0));
	vjson_set(o, "category", cat ? json_string(cat) : json_null());
	vjson_set(o, "clause", clause ? json_string(clause) : json_null());
	vjson_set(o, "severity", json_integer(m->severity));
	vjson_set(o, "start", json_integer((json_int_t)start));
	vjson_set(o, "end", json_integer((json_int_t)end));
	vjson_set(o, "text", vjson_string(text + start, end - start));
	return o;
}

json_t *
vjson_verdict(const struct verdict *v, json_t *id, const char *text,
    size_t len)
{
	json_t	*o, *cats, *ms;
	char	 actions[128];
	size_t	 i;
	int	 c;

	if ((o = json_object()) == NULL || (cats = json_array()) == NULL ||
	    (ms = json_array()) == NULL)
		abort();
	vjson_set(o, "id", vjson_id(id));
	vjson_set(o, "flagged", json_boolean(v->flagged));
	for (c = 0; c < CAT_COUNT; c++)
		if (v->cat_severity[c] > 0 &&
		    json_array_append_new(cats,
		    json_string(category_name(c))) == -1)
			abort();
	vjson_set(o, "categories", cats);
	vjson_set(o, "severity", json_integer(v->severity));
	action_format(v->actions, actions, sizeof actions);
	vjson_set(o, "action", json_string(actions));
	vjson_set(o, "review", json_boolean(v->review));
	if (v->review)
		vjson_set(o, "review_reason", vjson_string(v->review_reason,
		    strnlen(v->review_reason, sizeof v->review_reason)));
	for (i = 0; i < v->nmatches; i++)
		if (json_array_append_new(ms,
		    vjson_match(&v->matches[i], text, len)) == -1)
			abort();
	vjson_set(o, "matches", ms);
	vjson_set(o, "ruleset", vjson_string(v->ruleset,
	    strnlen(v->ruleset, sizeof v->ruleset)));
	return o;
}

json_t *
vjson_error(json_t *id, const char *msg)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		abort();
	vjson_set(o, "id", vjson_id(id));
	vjson_set(o, "error", vjson_string(msg, strlen(msg)));
	return o;
}
