/*
 * xmalloc.h: allocation wrappers that abort on exhaustion.  A daemon that
 * cannot allocate a few bytes cannot keep its promises either; dying loudly
 * under systemd's restart policy beats limping on with half-built state.
 */
#ifndef NQ_XMALLOC_H
#define NQ_XMALLOC_H
#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...) __attribute__((format(printf, 2, 3)));

/* A growable NUL-terminated string: start it zeroed, free(s) at the end. */
struct xbuf {
	char	*s;
	size_t	 len, cap;
};
void	 xbuf_put(struct xbuf *, const char *, size_t);

#endif
