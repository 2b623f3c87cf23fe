/*
 * diag.h: diagnostics collected while parsing or compiling administrator
 * files.  Every parser reports all problems it finds, each as
 * "file:line: message", instead of stopping at the first; the caller decides
 * whether any of them is fatal.  The list owns its strings.
 */
#ifndef NQ_DIAG_H
#define NQ_DIAG_H
#include <stddef.h>
#include <stdio.h>

struct diag {
	char	*file;		/* may be "" when not tied to a file */
	int	 line;		/* 0 when not tied to a line */
	char	*msg;
};

struct diags {
	struct diag	*v;
	size_t		 n, cap;
};

/* Appends one diagnostic.  Allocation failure is fatal (abort). */
void	diags_add(struct diags *, const char *file, int line, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* Writes each as "file:line: msg\n" (or "file: msg", or "msg"). */
void	diags_print(const struct diags *, FILE *);
/* Formats diagnostic i into buf like diags_print does, without newline. */
void	diags_format(const struct diags *, size_t i, char *buf, size_t len);
void	diags_clear(struct diags *);
void	diags_free(struct diags *);

#endif
