/*
 * acmatch.h: a multi-literal matcher (Aho-Corasick) used as the rule set's
 * prefilter.  Built once from all literals of all rules, immutable, shared
 * by any number of scans.  A scan reports which literal ids occur in a
 * text, in one pass, independent of the number of literals.
 */
#ifndef NQ_ACMATCH_H
#define NQ_ACMATCH_H
#include <stddef.h>
#include <stdint.h>

struct ac_builder;
struct ac;

struct ac_builder *ac_builder_new(void);
/* Adds a literal (bytes, matched exactly); id need not be unique. */
void	 ac_builder_add(struct ac_builder *, const char *lit, size_t len,
	    uint32_t id);
/* Builds the automaton and frees the builder. */
struct ac *ac_build(struct ac_builder *);
void	 ac_free(struct ac *);
size_t	 ac_memory(const struct ac *);	/* bytes held by the automaton */
size_t	 ac_count(const struct ac *);	/* number of literals added */

/*
 * Scans text and calls hit(id, arg) for every literal occurrence, at most
 * once per id per scan is NOT guaranteed; callers dedupe (e.g. with a
 * bitset).  Returns the number of hits.
 */
size_t	 ac_scan(const struct ac *, const char *text, size_t len,
	    void (*hit)(uint32_t id, void *arg), void *arg);

/*
 * The same scan, reporting where each occurrence ends (the byte offset
 * just past it), for callers that act on positions, not only on ids.
 */
size_t	 ac_scan_at(const struct ac *, const char *text, size_t len,
	    void (*hit)(uint32_t id, size_t end, void *arg), void *arg);

#endif
