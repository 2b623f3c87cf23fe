/*
 * fuzz_jsonprune.c: json_prune against jansson on arbitrary text.  When
 * the pruner accepts a text, jansson must accept it too, and the pruned
 * text must parse to what jansson makes of the original without the
 * members not on the list.  The first input byte picks the list.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonprune.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const keep[] = { "id", "a", "status", "content", "" };

static bool
kept(const char *name, size_t nkeep)
{
	size_t i;

	for (i = 0; i < nkeep; i++)
		if (strcmp(keep[i], name) == 0)
			return true;
	return false;
}

/* What json_prune promises, built from jansson's value: in place. */
static void
reference(json_t *v, size_t nkeep)
{
	const char	*name;
	json_t		*m;
	size_t		 i;
	void		*tmp;

	if (json_is_array(v))
		json_array_foreach(v, i, m)
			reference(m, nkeep);
	else if (json_is_object(v))
		json_object_foreach_safe(v, tmp, name, m) {
			if (kept(name, nkeep))
				reference(m, nkeep);
			else
				json_object_del(v, name);
		}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t	*orig, *pruned;
	char	*out;
	size_t	 outlen, nkeep;

	if (size < 1)
		return 0;
	nkeep = data[0] % (sizeof keep / sizeof keep[0] + 1);
	if (json_prune((const char *)data + 1, size - 1, keep, nkeep, &out,
	    &outlen) == -1)
		return 0;
	if (strlen(out) != outlen)
		abort();
	orig = json_loadb((const char *)data + 1, size - 1, 0, NULL);
	pruned = json_loadb(out, outlen, 0, NULL);
	if (orig == NULL || pruned == NULL)
		abort();	/* accepted what jansson refuses */
	reference(orig, nkeep);
	if (!json_equal(orig, pruned))
		abort();
	json_decref(orig);
	json_decref(pruned);
	free(out);
	return 0;
}
