/*
 * kvfile.c: parser for the "[section]" / "key = value" syntax described in
 * kvfile.h.  It validates only syntax and encoding (UTF-8, no NUL bytes,
 * bounded line length); meaning belongs to the callers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvfile.h"
#include "xmalloc.h"

size_t
kv_utf8_valid_prefix(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n, k;
		unsigned cp;

		if (c < 0x80) { i++; continue; }
		if (c >= 0xc2 && c <= 0xdf) { n = 1; cp = c & 0x1f; }
		else if (c >= 0xe0 && c <= 0xef) { n = 2; cp = c & 0x0f; }
		else if (c >= 0xf0 && c <= 0xf4) { n = 3; cp = c & 0x07; }
		else return i;
		if (i + n >= len)
			return i;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return i;
}

static struct kv_section *
kv_add_section(struct kv_file *f, const char *kind, size_t kindlen,
    const char *name, size_t namelen, int line)
{
	struct kv_section *s;

	if (f->nsections == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->sections = xreallocarray(f->sections, f->cap, sizeof *f->sections);
	}
	s = &f->sections[f->nsections++];
	memset(s, 0, sizeof *s);
	s->kind = xstrndup(kind, kindlen);
	s->name = xstrndup(name, namelen);
	s->line = line;
	return s;
}

static void
kv_add_pair(struct kv_section *s, const char *key, size_t keylen,
    const char *value, size_t valuelen, int line)
{
	if (s->npairs == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->pairs = xreallocarray(s->pairs, s->cap, sizeof *s->pairs);
	}
	s->pairs[s->npairs].key = xstrndup(key, keylen);
	s->pairs[s->npairs].value = xstrndup(value, valuelen);
	s->pairs[s->npairs].line = line;
	s->npairs++;
}

static bool
kv_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static bool
kv_is_keychar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* Parses one line (without its newline).  Returns 0 or -1 on error. */
static int
kv_parse_line(struct kv_file *f, const char *path, int lineno,
    const char *p, size_t len, struct diags *d)
{
	const char	*end = p + len, *q, *eq;
	size_t		 valid;

	if (memchr(p, '\0', len) != NULL) {
		diags_add(d, path, lineno, "NUL byte in line");
		return -1;
	}
	if (len > KV_MAX_LINE) {
		diags_add(d, path, lineno, "line longer than %d bytes", KV_MAX_LINE);
		return -1;
	}
	valid = kv_utf8_valid_prefix(p, len);
	if (valid != len) {
		diags_add(d, path, lineno, "invalid UTF-8 at byte %zu of the line",
		    valid + 1);
		return -1;
	}
	/*
	 * Control characters but tab: a lone CR (a file saved with old Mac
	 * line ends) made one line of several, whose first key took the rest
	 * as its value while the others kept their defaults.  The CR of a
	 * CRLF line end is trimmed below.
	 */
	for (q = p; q < end; q++)
		if (((unsigned char)*q < 0x20 && *q != '\t' &&
		    !(*q == '\r' && q == end - 1)) || *q == 0x7f) {
			diags_add(d, path, lineno, "control character 0x%02x at "
			    "byte %zu of the line%s", (unsigned char)*q,
			    (size_t)(q - p) + 1, *q == '\r' ? " (a line ending "
			    "in CR alone?)" : "");
			return -1;
		}
	while (p < end && kv_is_blank(*p))
		p++;
	while (end > p && kv_is_blank(end[-1]))
		end--;
	if (p == end || *p == '#')
		return 0;

	if (*p == '[') {
		const char *kind, *name;
		size_t kindlen, namelen;

		if (end[-1] != ']') {
			diags_add(d, path, lineno, "section header lacks closing ']'");
			return -1;
		}
		p++;
		end--;
		while (p < end && kv_is_blank(*p))
			p++;
		while (end > p && kv_is_blank(end[-1]))
			end--;
		kind = p;
		while (p < end && kv_is_keychar(*p))
			p++;
		kindlen = p - kind;
		if (kindlen == 0) {
			diags_add(d, path, lineno, "empty or invalid section kind");
			return -1;
		}
		if (p < end && !kv_is_blank(*p)) {
			diags_add(d, path, lineno,
			    "invalid character '%c' in section kind", *p);
			return -1;
		}
		while (p < end && kv_is_blank(*p))
			p++;
		name = p;
		namelen = end - p;
		for (q = name; q < end; q++) {
			if (kv_is_blank(*q) || *q == '[' || *q == ']') {
				diags_add(d, path, lineno,
				    "section name must be one word without brackets");
				return -1;
			}
		}
		kv_add_section(f, kind, kindlen, name, namelen, lineno);
		return 0;
	}

	eq = memchr(p, '=', end - p);
	if (eq == NULL) {
		diags_add(d, path, lineno, "expected 'key = value' or '[section]'");
		return -1;
	}
	for (q = p; q < eq && kv_is_keychar(*q); q++)
		;
	{
		const char *keyend = q;

		while (q < eq && kv_is_blank(*q))
			q++;
		if (keyend == p || q != eq) {
			diags_add(d, path, lineno,
			    "invalid key: keys are letters, digits, '_', '-', '.'");
			return -1;
		}
		q = eq + 1;
		while (q < end && kv_is_blank(*q))
			q++;
		kv_add_pair(&f->sections[f->nsections - 1], p, keyend - p, q,
		    end - q, lineno);
	}
	return 0;
}

int
kv_parse_buffer(const char *path, const char *buf, size_t len,
    struct kv_file *out, struct diags *d)
{
	const char	*p = buf, *end = buf + len, *nl;
	int		 lineno = 0, rc = 0;

	memset(out, 0, sizeof *out);
	out->path = xstrdup(path);
	kv_add_section(out, "", 0, "", 0, 0);
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;		/* editors on other systems write a BOM */
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', end - p);
		if (nl == NULL)
			nl = end;
		if (kv_parse_line(out, path, lineno, p, nl - p, d) == -1)
			rc = -1;
		p = nl + 1;
	}
	return rc;
}

int
kv_read_file(const char *path, size_t max, char **bufp, size_t *lenp)
{
	struct stat	 st;
	char		*buf;
	size_t		 len = 0, cap;
	ssize_t		 n;
	int		 fd, saved;

	/*
	 * O_NONBLOCK: opening a FIFO for reading would wait for a writer,
	 * and a reload on the event loop with it; only regular files are
	 * read (regular files ignore the flag).
	 */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = KV_ENOTREG;
		goto fail;
	}
	cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	if (cap > max + 1)
		cap = max + 1;
	buf = xmalloc(cap + 1);
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				free(buf);
				errno = EFBIG;
				goto fail;
			}
			cap *= 2;
			buf = xreallocarray(buf, cap + 1, 1);
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			free(buf);
			errno = saved;
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
	}
	if (len > max) {
		free(buf);
		errno = EFBIG;
		goto fail;
	}
	buf[len] = '\0';
	close(fd);
	*bufp = buf;
	*lenp = len;
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

const char *
kv_read_strerror(int err, size_t max, char *buf, size_t len)
{
	if (err == EFBIG) {
		if (max % (1u << 20) == 0)
			snprintf(buf, len, "file larger than %zu MiB", max >> 20);
		else if (max % 1024 == 0)
			snprintf(buf, len, "file larger than %zu KiB", max >> 10);
		else
			snprintf(buf, len, "file larger than %zu bytes", max);
		return buf;
	}
	if (err == KV_ENOTREG)
		return "not a regular file";
	return strerror(err);
}

int
kv_parse_file(const char *path, struct kv_file *out, struct diags *d)
{
	char	*buf, why[64];
	size_t	 len;
	int	 rc;

	if (kv_read_file(path, KV_MAX_FILE, &buf, &len) == -1) {
		const char *err = kv_read_strerror(errno, KV_MAX_FILE, why,
		    sizeof why);

		memset(out, 0, sizeof *out);
		out->path = xstrdup(path);
		kv_add_section(out, "", 0, "", 0, 0);
		diags_add(d, path, 0, "cannot read: %s", err);
		return -1;
	}
	rc = kv_parse_buffer(path, buf, len, out, d);
	free(buf);
	return rc;
}

void
kv_file_free(struct kv_file *f)
{
	size_t i, j;

	for (i = 0; i < f->nsections; i++) {
		struct kv_section *s = &f->sections[i];

		for (j = 0; j < s->npairs; j++) {
			free(s->pairs[j].key);
			free(s->pairs[j].value);
		}
		free(s->pairs);
		free(s->kind);
		free(s->name);
	}
	free(f->sections);
	free(f->path);
	memset(f, 0, sizeof *f);
}

const struct kv_pair *
kv_get(const struct kv_section *s, const char *key)
{
	size_t i;

	for (i = s->npairs; i > 0; i--)
		if (strcmp(s->pairs[i - 1].key, key) == 0)
			return &s->pairs[i - 1];
	return NULL;
}
