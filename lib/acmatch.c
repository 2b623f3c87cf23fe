/*
 * acmatch.c: the Aho-Corasick automaton behind the rule set's prefilter.
 * It owns the trie, its failure links and the scan loop; it knows nothing
 * about rules (literal ids are opaque) or about text normalization.
 *
 * Layout.  Bytes are first mapped to classes: every byte that occurs in
 * some literal gets a class of its own, all other bytes share class 0 (for
 * German word lists that is ~30-40 classes instead of 256).  States are
 * numbered breadth-first, so shallow states, which a scan visits on almost
 * every byte, come first.  The first `ndense` states (root included,
 * bounded by AC_DENSE_BUDGET bytes) get a full row of nclass uint32_t
 * transitions: one load per byte.  Deeper states, which text reaches
 * rarely and leaves quickly, keep only their trie edges (sorted class
 * bytes + targets) and a failure link; a miss follows failure links until
 * it reaches an edge or a dense state.  Failure links always lead to a
 * strictly shallower state, hence eventually to a dense one.
 *
 * Every stored transition target carries AC_OUT in its top bit when the
 * target state reports something (its own literals or, via its dictionary
 * link, a literal that is a suffix of it), so the scan loop tests one bit
 * and touches the output tables only on a hit.
 *
 * Complexity: build O(total literal bytes * nclass) time, scan O(len +
 * hits) (amortized over failure-link steps, as in classic Aho-Corasick).
 * Memory: ndense * nclass * 4 bytes (at most AC_DENSE_BUDGET) + about 25
 * bytes per sparse state + 4 bytes per literal.  50,000 literals of 8
 * bytes give ~300k states: ~8 MB dense + ~6 MB sparse.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acmatch.h"
#include "xmalloc.h"

#define AC_OUT		0x80000000u
#define AC_STATE	0x7fffffffu
#define AC_NONE		0xffffffffu
/* Bytes spent at most on dense rows; shallow states get them first. */
#define AC_DENSE_BUDGET	(8u * 1024 * 1024)
#define AC_DENSE_MIN	256u	/* states always dense, budget or not */

/* Builder trie node: children as a sorted singly linked list. */
struct ac_bnode {
	uint32_t	 child;		/* first child, AC_NONE if leaf */
	uint32_t	 sibling;
	uint32_t	 out;		/* first entry in builder outs, or AC_NONE */
	uint8_t		 byte;
};

struct ac_bout {
	uint32_t	 id;
	uint32_t	 next;
};

struct ac_builder {
	struct ac_bnode	*nodes;
	size_t		 nnodes, capnodes;
	struct ac_bout	*outs;
	size_t		 nouts, capouts;
	uint32_t	*empty;		/* ids of empty literals */
	size_t		 nempty, capempty;
	size_t		 count;
	bool		 used[256];
};

/* A sparse state: its trie edges and its failure link. */
struct ac_sparse {
	uint32_t	 edge;		/* first edge in ecls/eto */
	uint32_t	 fail;
	uint16_t	 nedge;
};

struct ac {
	uint8_t		 cls[256];
	uint32_t	 nclass;
	uint32_t	 nstates;
	uint32_t	 ndense;
	uint32_t	*dense;		/* ndense * nclass */
	struct ac_sparse *sparse;	/* nstates - ndense */
	uint8_t		*ecls;		/* sparse edges: class */
	uint32_t	*eto;		/* sparse edges: target | AC_OUT */
	uint32_t	*outoff;	/* nstates + 1: own literal ids */
	uint32_t	*outid;
	uint32_t	*dict;		/* next state on the fail chain with output */
	uint32_t	*empty;
	size_t		 nempty;
	size_t		 count;
	size_t		 memory;
};

struct ac_builder *
ac_builder_new(void)
{
	struct ac_builder	*b;

	b = xcalloc(1, sizeof *b);
	b->capnodes = 64;
	b->nodes = xreallocarray(NULL, b->capnodes, sizeof *b->nodes);
	b->nodes[0].child = b->nodes[0].sibling = b->nodes[0].out = AC_NONE;
	b->nnodes = 1;
	return b;
}

static uint32_t
ac_builder_child(struct ac_builder *b, uint32_t n, uint8_t byte)
{
	uint32_t	*link, c;

	link = &b->nodes[n].child;
	while (*link != AC_NONE && b->nodes[*link].byte < byte)
		link = &b->nodes[*link].sibling;
	if (*link != AC_NONE && b->nodes[*link].byte == byte)
		return *link;
	if (b->nnodes == b->capnodes) {
		b->capnodes *= 2;
		b->nodes = xreallocarray(b->nodes, b->capnodes,
		    sizeof *b->nodes);
		/* link may point into the moved array */
		link = &b->nodes[n].child;
		while (*link != AC_NONE && b->nodes[*link].byte < byte)
			link = &b->nodes[*link].sibling;
	}
	if (b->nnodes >= AC_STATE)
		abort();	/* 2^31 states: far beyond any rule set */
	c = (uint32_t)b->nnodes++;
	b->nodes[c].byte = byte;
	b->nodes[c].child = AC_NONE;
	b->nodes[c].out = AC_NONE;
	b->nodes[c].sibling = *link;
	*link = c;
	return c;
}

void
ac_builder_add(struct ac_builder *b, const char *lit, size_t len, uint32_t id)
{
	uint32_t	 n = 0;
	size_t		 i;

	b->count++;
	if (len == 0) {
		/* Occurs everywhere; ac_scan reports it once per scan. */
		if (b->nempty == b->capempty) {
			b->capempty = b->capempty ? b->capempty * 2 : 4;
			b->empty = xreallocarray(b->empty, b->capempty,
			    sizeof *b->empty);
		}
		b->empty[b->nempty++] = id;
		return;
	}
	for (i = 0; i < len; i++) {
		b->used[(uint8_t)lit[i]] = true;
		n = ac_builder_child(b, n, (uint8_t)lit[i]);
	}
	if (b->nouts == b->capouts) {
		b->capouts = b->capouts ? b->capouts * 2 : 64;
		b->outs = xreallocarray(b->outs, b->capouts, sizeof *b->outs);
	}
	b->outs[b->nouts].id = id;
	b->outs[b->nouts].next = b->nodes[n].out;
	b->nodes[n].out = (uint32_t)b->nouts++;
}

static void
ac_builder_free(struct ac_builder *b)
{
	free(b->nodes);
	free(b->outs);
	free(b->empty);
	free(b);
}

/* The transition of final state s on class c, resolving failure links. */
static uint32_t
ac_delta(const struct ac *a, uint32_t s, uint8_t c)
{
	const struct ac_sparse	*sp;
	uint32_t		 i;

	while (s >= a->ndense) {
		sp = &a->sparse[s - a->ndense];
		for (i = 0; i < sp->nedge; i++) {
			if (a->ecls[sp->edge + i] == c)
				return a->eto[sp->edge + i];
		}
		s = sp->fail;
	}
	return a->dense[(size_t)s * a->nclass + c];
}

struct ac *
ac_build(struct ac_builder *b)
{
	struct ac	*a;
	uint32_t	*order, *newid, *fail, *parent, head, tail, s, t, c;
	uint32_t	 nedges, e, ns;
	uint8_t		*pcls;
	size_t		 i, k;
	bool		*hasout;

	a = xcalloc(1, sizeof *a);
	a->count = b->count;
	ns = (uint32_t)b->nnodes;
	a->nstates = ns;

	/* Byte classes. */
	for (i = 0, k = 0; i < 256; i++)
		k += b->used[i];
	if (k == 256) {
		for (i = 0; i < 256; i++)
			a->cls[i] = (uint8_t)i;
		a->nclass = 256;
	} else {
		a->nclass = 1;
		for (i = 0; i < 256; i++)
			a->cls[i] = b->used[i] ? (uint8_t)a->nclass++ : 0;
	}

	/* Breadth-first order; newid maps builder node -> state. */
	order = xreallocarray(NULL, ns, sizeof *order);
	newid = xreallocarray(NULL, ns, sizeof *newid);
	parent = xreallocarray(NULL, ns, sizeof *parent);
	pcls = xmalloc(ns);
	head = 0;
	tail = 0;
	order[tail++] = 0;
	newid[0] = 0;
	parent[0] = 0;
	pcls[0] = 0;
	nedges = 0;
	while (head < tail) {
		s = order[head++];
		for (t = b->nodes[s].child; t != AC_NONE;
		    t = b->nodes[t].sibling) {
			newid[t] = tail;
			parent[tail] = newid[s];
			pcls[tail] = a->cls[b->nodes[t].byte];
			order[tail++] = t;
			nedges++;
		}
	}

	k = AC_DENSE_BUDGET / ((size_t)a->nclass * sizeof(uint32_t));
	if (k < AC_DENSE_MIN)
		k = AC_DENSE_MIN;
	a->ndense = ns < k ? ns : (uint32_t)k;

	/* Outputs, in state order. */
	a->outoff = xcalloc((size_t)ns + 1, sizeof *a->outoff);
	a->outid = xreallocarray(NULL, b->nouts ? b->nouts : 1,
	    sizeof *a->outid);
	for (s = 0, k = 0; s < ns; s++) {
		a->outoff[s] = (uint32_t)k;
		for (e = b->nodes[order[s]].out; e != AC_NONE;
		    e = b->outs[e].next)
			a->outid[k++] = b->outs[e].id;
	}
	a->outoff[ns] = (uint32_t)k;

	/*
	 * Sparse edges, laid out per state in class order.  The builder
	 * keeps children sorted by byte and classes preserve byte order.
	 */
	a->sparse = xcalloc(ns - a->ndense + 1, sizeof *a->sparse);
	a->ecls = xmalloc(nedges ? nedges : 1);
	a->eto = xreallocarray(NULL, nedges ? nedges : 1, sizeof *a->eto);
	fail = xcalloc(ns, sizeof *fail);
	hasout = xcalloc(ns, sizeof *hasout);
	a->dict = xreallocarray(NULL, ns, sizeof *a->dict);
	a->dense = xcalloc((size_t)a->ndense * a->nclass, sizeof *a->dense);

	/*
	 * One breadth-first pass computes failure links, dictionary links
	 * and rows: a state's failure target is shallower, so its row (or
	 * edges and failure link) is already final when needed.
	 */
	e = 0;
	for (s = 0; s < ns; s++) {
		uint32_t	 f, d, first = e;

		if (s == 0)
			fail[s] = 0;
		else if (parent[s] == 0)
			fail[s] = 0;
		else
			fail[s] = ac_delta(a, fail[parent[s]], pcls[s]) &
			    AC_STATE;
		f = fail[s];
		d = AC_NONE;
		if (s != 0) {
			if (a->outoff[f] != a->outoff[f + 1])
				d = f;
			else
				d = a->dict[f];
		}
		a->dict[s] = d;
		hasout[s] = a->outoff[s] != a->outoff[s + 1] || d != AC_NONE;

		for (t = b->nodes[order[s]].child; t != AC_NONE;
		    t = b->nodes[t].sibling) {
			a->ecls[e] = a->cls[b->nodes[t].byte];
			a->eto[e] = newid[t];
			e++;
		}
		if (s >= a->ndense) {
			a->sparse[s - a->ndense].edge = first;
			a->sparse[s - a->ndense].nedge = (uint16_t)(e - first);
			a->sparse[s - a->ndense].fail = f;
		} else {
			uint32_t	*row = a->dense + (size_t)s * a->nclass;

			if (s == 0)
				memset(row, 0, a->nclass * sizeof *row);
			else
				memcpy(row, a->dense + (size_t)f * a->nclass,
				    a->nclass * sizeof *row);
			for (c = first; c < e; c++)
				row[a->ecls[c]] = a->eto[c];
		}
	}
	/*
	 * hasout is final for every state only now (a child is visited after
	 * its parent stored the edge), so tag all targets in one last pass.
	 */
	for (c = 0; c < nedges; c++)
		a->eto[c] = (a->eto[c] & AC_STATE) |
		    (hasout[a->eto[c] & AC_STATE] ? AC_OUT : 0);
	for (k = 0; k < (size_t)a->ndense * a->nclass; k++)
		a->dense[k] = (a->dense[k] & AC_STATE) |
		    (hasout[a->dense[k] & AC_STATE] ? AC_OUT : 0);

	a->empty = b->empty;
	a->nempty = b->nempty;
	b->empty = NULL;

	a->memory = sizeof *a +
	    (size_t)a->ndense * a->nclass * sizeof *a->dense +
	    (size_t)(ns - a->ndense + 1) * sizeof *a->sparse +
	    (size_t)nedges * (sizeof *a->ecls + sizeof *a->eto) +
	    ((size_t)ns + 1) * sizeof *a->outoff +
	    b->nouts * sizeof *a->outid + (size_t)ns * sizeof *a->dict +
	    a->nempty * sizeof *a->empty;

	free(order);
	free(newid);
	free(parent);
	free(pcls);
	free(fail);
	free(hasout);
	ac_builder_free(b);
	return a;
}

void
ac_free(struct ac *a)
{
	if (a == NULL)
		return;
	free(a->dense);
	free(a->sparse);
	free(a->ecls);
	free(a->eto);
	free(a->outoff);
	free(a->outid);
	free(a->dict);
	free(a->empty);
	free(a);
}

size_t
ac_memory(const struct ac *a)
{
	return a->memory;
}

size_t
ac_count(const struct ac *a)
{
	return a->count;
}

/* Reports state s's literals and those of its dictionary chain. */
static size_t
ac_report(const struct ac *a, uint32_t s,
    void (*hit)(uint32_t, void *), void *arg)
{
	size_t		 n = 0;
	uint32_t	 i;

	for (; s != AC_NONE; s = a->dict[s]) {
		for (i = a->outoff[s]; i < a->outoff[s + 1]; i++) {
			hit(a->outid[i], arg);
			n++;
		}
	}
	return n;
}

size_t
ac_scan(const struct ac *a, const char *text, size_t len,
    void (*hit)(uint32_t id, void *arg), void *arg)
{
	const uint8_t	*p = (const uint8_t *)text, *end = p + len;
	const uint32_t	*dense = a->dense;
	uint32_t	 s = 0, v, nclass = a->nclass, ndense = a->ndense;
	size_t		 n = 0, i;

	for (i = 0; i < a->nempty; i++) {
		hit(a->empty[i], arg);
		n++;
	}
	if (a->nstates <= 1)
		return n;
	while (p < end) {
		uint8_t	 c = a->cls[*p++];

		if (s < ndense)
			v = dense[(size_t)s * nclass + c];
		else if (c == 0 && nclass != 256)
			v = 0;	/* a byte in no literal: back to the root */
		else
			v = ac_delta(a, s, c);
		s = v & AC_STATE;
		if (v & AC_OUT)
			n += ac_report(a, s, hit, arg);
	}
	return n;
}

size_t
ac_scan_at(const struct ac *a, const char *text, size_t len,
    void (*hit)(uint32_t id, size_t end, void *arg), void *arg)
{
	const uint8_t	*base = (const uint8_t *)text, *p = base, *end = p + len;
	const uint32_t	*dense = a->dense;
	uint32_t	 s = 0, v, nclass = a->nclass, ndense = a->ndense, t, i;
	size_t		 n = 0;

	for (i = 0; i < a->nempty; i++) {
		hit(a->empty[i], 0, arg);
		n++;
	}
	if (a->nstates <= 1)
		return n;
	while (p < end) {
		uint8_t	 c = a->cls[*p++];

		if (s < ndense)
			v = dense[(size_t)s * nclass + c];
		else if (c == 0 && nclass != 256)
			v = 0;
		else
			v = ac_delta(a, s, c);
		s = v & AC_STATE;
		if ((v & AC_OUT) == 0)
			continue;
		for (t = s; t != AC_NONE; t = a->dict[t]) {
			for (i = a->outoff[t]; i < a->outoff[t + 1]; i++) {
				hit(a->outid[i], (size_t)(p - base), arg);
				n++;
			}
		}
	}
	return n;
}
