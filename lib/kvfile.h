/*
 * kvfile.h: the one file syntax shared by rule files and the daemon
 * configuration (DESIGN.md, "Files an administrator edits").
 *
 *   # comment            a line whose first non-blank character is '#'
 *   [kind name]          starts a section; name is optional ("[rule x.y]")
 *   key = value          value runs to the end of the line, trimmed; no
 *                        quoting, so a regular expression needs no escaping
 *
 * A key may repeat.  Pairs before the first header belong to section 0,
 * whose kind is "".  This module knows nothing about what keys mean; the
 * rule compiler and the configuration table give them meaning.  All syntax
 * errors are reported (file:line), and parsing goes on after each.
 */
#ifndef NQ_KVFILE_H
#define NQ_KVFILE_H
#include <errno.h>
#include <stddef.h>

#include "diag.h"

#define KV_MAX_LINE	65536	/* longer lines are an error, not truncated */
#define KV_MAX_FILE	(16u << 20)

struct kv_pair {
	char	*key;
	char	*value;
	int	 line;
};

struct kv_section {
	char		*kind;	/* "rule", "account", ... or "" for section 0 */
	char		*name;	/* "" when the header had no name */
	int		 line;	/* line of the header, 0 for section 0 */
	struct kv_pair	*pairs;
	size_t		 npairs, cap;
};

struct kv_file {
	char			*path;
	struct kv_section	*sections;	/* sections[0] is the implicit one */
	size_t			 nsections, cap;
};

/*
 * Parses len bytes of buf (need not be NUL-terminated) named path in
 * diagnostics.  Returns 0 when no syntax error was found, -1 otherwise;
 * in both cases out holds everything that did parse and must be freed.
 */
int	 kv_parse_buffer(const char *path, const char *buf, size_t len,
	    struct kv_file *out, struct diags *);
/* Reads and parses a file; unreadable files are reported as diagnostics. */
int	 kv_parse_file(const char *path, struct kv_file *out, struct diags *);
void	 kv_file_free(struct kv_file *);

/* Last value of key in a section, or NULL. */
const struct kv_pair *kv_get(const struct kv_section *, const char *key);

/* kv_read_file's errno for a path that is no regular file (a FIFO, a device) */
#define KV_ENOTREG	ENODEV

/*
 * Reads a whole regular file into a NUL-terminated buffer (at most max
 * bytes).  Returns 0, or -1 with errno set: EFBIG when over max,
 * KV_ENOTREG for a FIFO, socket or device, which is never waited on.
 */
int	 kv_read_file(const char *path, size_t max, char **buf, size_t *len);

/* kv_read_file's errno as a message; buf holds one naming the limit max */
const char *kv_read_strerror(int err, size_t max, char *buf, size_t len);

/* Length of the longest valid UTF-8 prefix of s[0..len). */
size_t	 kv_utf8_valid_prefix(const char *s, size_t len);

#endif
