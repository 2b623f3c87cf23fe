/*
 * jsonprune.h: a JSON text checked without building it, and copied
 * without the object members a reader does not want.
 */
#ifndef NQ_JSONPRUNE_H
#define NQ_JSONPRUNE_H

#include <stddef.h>

/*
 * Checks s[0..len) and writes to *out (owned, NUL-terminated, *outlen
 * bytes) the same value without the object members whose names are not
 * in keep[0..nkeep), at any depth.  Returns 0, or -1 when the text is not
 * JSON or when the checker cannot be sure that jansson (json_loadb with
 * no flags) accepts it: then parse the original.  When it returns 0,
 * jansson accepts both texts, and the pruned one parses to the original
 * without those members.
 */
int	json_prune(const char *s, size_t len, const char *const *keep,
	    size_t nkeep, char **out, size_t *outlen);

#endif
