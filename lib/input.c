/*
 * input.c: splits a stream into lines and turns each line into a text to
 * classify or a per-line error (input.h).  Lines are read byte by byte
 * through stdio so that a text arriving on a pipe is answered at once, not
 * after a buffer fills; lines may hold any bytes, NUL included.  JSON is
 * parsed with jansson, which also rejects invalid UTF-8 inside JSON.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "xmalloc.h"

struct input_reader {
	FILE			*fp;
	enum input_format	 format;
	char			*line;
	size_t			 len, cap;
	size_t			 lineno;
};

struct input_reader *
input_open(FILE *fp, enum input_format format)
{
	struct input_reader *r;

	r = xcalloc(1, sizeof *r);
	r->fp = fp;
	r->format = format;
	return r;
}

void
input_close(struct input_reader *r)
{
	if (r == NULL)
		return;
	free(r->line);
	free(r);
}

void
input_item_clear(struct input_item *item)
{
	json_decref(item->id);
	json_decref(item->root);
	free(item->error);
	memset(item, 0, sizeof *item);
}

static void __attribute__((format(printf, 2, 3)))
input_error(struct input_item *item, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg, *full;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		abort();
	va_end(ap);
	if (xasprintf(&full, "line %zu: %s", item->lineno, msg) == -1)
		abort();
	free(msg);
	free(item->error);
	item->error = full;
	item->text = NULL;
	item->len = 0;
}

static bool
input_blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* The JSON-lines half of input_parse_line; item->id is the line number. */
static void
input_parse_json(const char *line, size_t len, struct input_item *item)
{
	json_error_t	 err;
	json_t		*root, *id, *text;

	if (input_blank(line, len)) {
		input_error(item, "empty line, expected a JSON object");
		return;
	}
	/*
	 * \u0000 inside a string is allowed (the text is any bytes); a
	 * duplicate key is refused, since which "text" was meant is unclear.
	 */
	root = json_loadb(line, len, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES,
	    &err);
	if (root == NULL) {
		input_error(item, "invalid JSON: %s (column %d)", err.text,
		    err.column);
		return;
	}
	item->root = root;
	if (!json_is_object(root)) {
		input_error(item, "expected a JSON object");
		return;
	}
	id = json_object_get(root, "id");
	if (id != NULL && !json_is_null(id)) {
		if (!json_is_string(id) && !json_is_integer(id)) {
			input_error(item,
			    "\"id\" must be a string or an integer");
			return;
		}
		json_decref(item->id);
		item->id = json_incref(id);
	}
	text = json_object_get(root, "text");
	if (text == NULL) {
		input_error(item, "missing \"text\"");
		return;
	}
	if (!json_is_string(text)) {
		input_error(item, "\"text\" must be a string");
		return;
	}
	item->text = json_string_value(text);
	item->len = json_string_length(text);
}

void
input_parse_line(enum input_format format, const char *line, size_t len,
    size_t lineno, bool too_long, struct input_item *item)
{
	input_item_clear(item);
	item->lineno = lineno;
	item->id = json_integer((json_int_t)lineno);
	if (item->id == NULL)
		abort();
	if (too_long) {
		input_error(item, "line longer than %u bytes", INPUT_MAX_LINE);
		return;
	}
	switch (format) {
	case INPUT_TEXT:
		item->text = line;
		item->len = len;
		break;
	case INPUT_JSONL:
		input_parse_json(line, len, item);
		break;
	}
}

int
input_next(struct input_reader *r, struct input_item *item)
{
	bool	too_long = false, any = false;
	int	c;

	input_item_clear(item);
	r->len = 0;
	while ((c = getc_unlocked(r->fp)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (r->len >= INPUT_MAX_LINE) {
			too_long = true;	/* skip to the newline */
			continue;
		}
		if (r->len + 1 >= r->cap) {
			r->cap = r->cap ? r->cap * 2 : 4096;
			r->line = xreallocarray(r->line, r->cap, 1);
		}
		r->line[r->len++] = (char)c;
	}
	if (c == EOF && ferror(r->fp)) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	if (!any)
		return 0;
	if (r->len > 0 && r->line[r->len - 1] == '\r')
		r->len--;
	if (r->line == NULL) {
		r->cap = 4096;
		r->line = xmalloc(r->cap);
	}
	r->line[r->len] = '\0';
	input_parse_line(r->format, r->line, r->len, ++r->lineno, too_long,
	    item);
	return 1;
}
