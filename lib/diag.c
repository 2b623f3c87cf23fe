/*
 * diag.c: the growable list of "file:line: message" diagnostics used by
 * the rule, word-list and configuration parsers.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "xmalloc.h"

void
diags_add(struct diags *d, const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		abort();
	va_end(ap);
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->v = xreallocarray(d->v, d->cap, sizeof *d->v);
	}
	d->v[d->n].file = xstrdup(file ? file : "");
	d->v[d->n].line = line;
	d->v[d->n].msg = msg;
	d->n++;
}

void
diags_format(const struct diags *d, size_t i, char *buf, size_t len)
{
	const struct diag *g = &d->v[i];

	if (g->file[0] != '\0' && g->line > 0)
		snprintf(buf, len, "%s:%d: %s", g->file, g->line, g->msg);
	else if (g->file[0] != '\0')
		snprintf(buf, len, "%s: %s", g->file, g->msg);
	else
		snprintf(buf, len, "%s", g->msg);
}

void
diags_print(const struct diags *d, FILE *fp)
{
	char	buf[2048];
	size_t	i;

	for (i = 0; i < d->n; i++) {
		diags_format(d, i, buf, sizeof buf);
		fprintf(fp, "%s\n", buf);
	}
}

void
diags_clear(struct diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	d->n = 0;
}

void
diags_free(struct diags *d)
{
	diags_clear(d);
	free(d->v);
	d->v = NULL;
	d->cap = 0;
}
