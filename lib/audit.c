/*
 * audit.c: the hash-chained audit log (audit.h): appending, verifying the
 * chain, and querying it for "netiquettectl audit show" and the API.  The
 * table and its append-only triggers are created by store.c's migrations;
 * this file owns every statement that touches the table.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "audit.h"
#include "store.h"
#include "xmalloc.h"

static const char sql_audit_last[] =
    "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
/*
 * The next seq is past both the last row and the highest seq ever used, so
 * that an entry appended after the tail was cut off leaves a visible gap
 * instead of quietly taking the removed entry's place.
 */
static const char sql_audit_next[] =
    "SELECT max(coalesce((SELECT seq FROM sqlite_sequence"
    " WHERE name = 'audit'), 0), coalesce((SELECT max(seq) FROM audit), 0))"
    " + 1";
static const char sql_audit_insert[] =
    "INSERT INTO audit (seq, ts, actor, kind, item, detail, prev_hash, hash)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
/*
 * With the stored types and byte lengths: the hash covers the values as
 * read (an integer, a C string), so a blob or text in place of an integer,
 * or bytes after a NUL, would hash the same and still hide from filters.
 */
static const char sql_audit_all[] =
    "SELECT seq, ts, actor, kind, item, detail, prev_hash, hash,"
    " typeof(ts) = 'integer' AND typeof(actor) = 'text'"
    " AND typeof(kind) = 'text' AND typeof(detail) = 'text'"
    " AND typeof(prev_hash) = 'text' AND typeof(hash) = 'text'"
    " AND (item IS NULL OR (typeof(item) = 'integer' AND item != 0)),"
    " length(CAST(actor AS BLOB)), length(CAST(kind AS BLOB)),"
    " length(CAST(detail AS BLOB))"
    " FROM audit ORDER BY seq";
static const char sql_audit_maxseq[] =
    "SELECT seq FROM sqlite_sequence WHERE name = 'audit'";
#define AUDIT_QUERY_REST \
    " AND (?2 IS NULL OR kind = ?2)" \
    " AND (?3 IS NULL OR substr(kind, 1, length(?3)) = ?3)" \
    " AND (?4 IS NULL OR ts >= ?4)" \
    " AND (?5 IS NULL OR ts < ?5)" \
    " AND (?6 IS NULL OR item IN (SELECT id FROM items WHERE author_id = ?6)" \
    "   OR (json_valid(detail) AND json_extract(detail, '$.author') = ?6))" \
    " ORDER BY seq DESC LIMIT ?7"
/* an item's entries through audit_item, not by walking the whole log */
static const char sql_audit_query_item[] =
    "SELECT seq, ts, actor, kind, item, detail, prev_hash, hash FROM audit"
    " WHERE item = ?1" AUDIT_QUERY_REST;
static const char sql_audit_query[] =
    "SELECT seq, ts, actor, kind, item, detail, prev_hash, hash FROM audit"
    " WHERE (?1 IS NULL OR item = ?1)"
    AUDIT_QUERY_REST;

/*
 * SHA-256 through OpenSSL: it uses the CPU's SHA instructions where there
 * are any (libsodium's portable code took 3.3 us for an entry of 600
 * bytes, this 0.7-1 us), and an entry is hashed on the event loop for
 * every item and every action.  A digest that cannot be computed leaves
 * nothing safe to do: abort, as for any other broken invariant.
 */
struct audit_sha {
	EVP_MD_CTX	*ctx;
	bool		 own;		/* else the store's (store_sha256) */
};

static void
audit_sha_init(struct audit_sha *h, struct store *st)
{
	if (st != NULL && (h->ctx = store_sha256(st)) != NULL) {
		h->own = false;
		return;
	}
	h->own = true;
	if ((h->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		abort();
}

static void
audit_sha_update(struct audit_sha *h, const void *data, size_t len)
{
	if (EVP_DigestUpdate(h->ctx, data, len) != 1)
		abort();
}

static void
audit_sha_done(struct audit_sha *h)
{
	if (h->own)
		EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

static void
audit_sha_final_hex(struct audit_sha *h, char out[65])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 n = 0, i;

	if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != 32)
		abort();
	audit_sha_done(h);
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[64] = '\0';
}

void
audit_sha256_hex(const void *data, size_t len, char out[65])
{
	struct audit_sha h;

	audit_sha_init(&h, NULL);
	audit_sha_update(&h, data, len);
	audit_sha_final_hex(&h, out);
}

/*
 * The canonical serialization of audit.h, hashed.  detail is the stored
 * text; it is parsed and dumped again so that the hash covers its content
 * in canonical form.  Returns -1 when detail is not a JSON object.
 */
static int
audit_hash(int64_t seq, int64_t ts, const char *actor, const char *kind,
    int64_t item, const char *detail, const char *prev_hash, char out[65])
{
	json_t		*a, *d;
	json_error_t	 jerr;
	char		*text;

	if ((d = json_loads(detail, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		return -1;
	if (!json_is_object(d)) {
		json_decref(d);
		return -1;
	}
	a = json_array();
	json_array_append_new(a, json_integer(seq));
	json_array_append_new(a, json_integer(ts));
	json_array_append_new(a, json_string(actor));
	json_array_append_new(a, json_string(kind));
	json_array_append_new(a, item != 0 ? json_integer(item) : json_null());
	json_array_append_new(a, d);
	json_array_append_new(a, json_string(prev_hash));
	text = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(a);
	if (text == NULL)
		return -1;	/* actor or kind not UTF-8 */
	audit_sha256_hex(text, strlen(text), out);
	free(text);
	return 0;
}

bool
audit_plain(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			return false;
	return true;
}

/*
 * The same hash for a detail text that is already canonical (dumped with
 * JSON_COMPACT | JSON_SORT_KEYS by audit_append): the array is hashed
 * around it instead of parsing and dumping it again, which is what the
 * append path spent most of its time on.  Actor, kind and previous hash
 * are plain ASCII in every entry the daemon writes, so their JSON is
 * written here as jansson would write it; anything else goes through
 * jansson.  audit_verify still takes the parsing path, so a stored text
 * that is not canonical, or a hash written differently, cannot hide.
 */
static int
audit_hash_canonical(struct store *st, int64_t seq, int64_t ts,
    const char *actor, const char *kind, int64_t item, const char *detail,
    const char *prev_hash, char out[65])
{
	struct audit_sha sh;
	json_t		*a, *p;
	char		*head, *tail, buf[512];
	size_t		 hl;
	int		 n, rc = -1;

	if (audit_plain(actor) && audit_plain(kind) && audit_plain(prev_hash)) {
		if (item != 0)
			n = snprintf(buf, sizeof buf, "[%" PRId64 ",%" PRId64
			    ",\"%s\",\"%s\",%" PRId64 ",", seq, ts, actor, kind,
			    item);
		else
			n = snprintf(buf, sizeof buf, "[%" PRId64 ",%" PRId64
			    ",\"%s\",\"%s\",null,", seq, ts, actor, kind);
		if (n > 0 && (size_t)n < sizeof buf) {
			audit_sha_init(&sh, st);
			audit_sha_update(&sh, buf, n);
			audit_sha_update(&sh, detail, strlen(detail));
			n = snprintf(buf, sizeof buf, ",\"%s\"]", prev_hash);
			if (n > 0 && (size_t)n < sizeof buf) {
				audit_sha_update(&sh, buf, n);
				audit_sha_final_hex(&sh, out);
				return 0;
			}
			/* cannot happen for a 64-byte hash; be exact anyway */
			audit_sha_done(&sh);
		}
	}
	a = json_array();
	json_array_append_new(a, json_integer(seq));
	json_array_append_new(a, json_integer(ts));
	json_array_append_new(a, json_string(actor));
	json_array_append_new(a, json_string(kind));
	json_array_append_new(a, item != 0 ? json_integer(item) : json_null());
	p = json_string(prev_hash);
	head = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	tail = p != NULL ? json_dumps(p, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(a);
	json_decref(p);
	if (head != NULL && tail != NULL && (hl = strlen(head)) >= 2) {
		char *text;

		head[hl - 1] = '\0';	/* drop the closing bracket */
		if (asprintf(&text, "%s,%s,%s]", head, detail, tail) != -1) {
			audit_sha256_hex(text, strlen(text), out);
			free(text);
			rc = 0;
		}
	}
	free(head);
	free(tail);
	return rc;
}

int
audit_head(struct store *st, int64_t *seq, char hash[65], struct store_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	*seq = 0;
	snprintf(hash, 65, "%s", AUDIT_GENESIS);
	if ((s = store_stmt(st, sql_audit_last, e)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(s, 0);
		snprintf(hash, 65, "%s", (const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_err_set(e, "audit head: %s", sqlite3_errmsg(store_db(st)));
		return -1;
	}
	return 0;
}

int
audit_append(struct store *st, const char *actor, const char *kind,
    int64_t item, json_t *detail, int64_t *seqp, struct store_err *e)
{
	char	*text;
	int	 rc;

	if (detail != NULL && !json_is_object(detail)) {
		store_err_set(e, "audit %s: detail is not a JSON object",
		    kind != NULL ? kind : "?");
		return -1;
	}
	if (detail != NULL)
		text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
	else
		text = xstrdup("{}");
	if (text == NULL) {
		store_err_set(e, "audit %s: detail cannot be serialized",
		    kind != NULL ? kind : "?");
		return -1;
	}
	rc = audit_append_text(st, actor, kind, item, text, seqp, e);
	free(text);
	return rc;
}

int
audit_append_text(struct store *st, const char *actor, const char *kind,
    int64_t item, const char *text, int64_t *seqp, struct store_err *e)
{
	sqlite3_stmt	*s;
	char		 prev[65], hash[65];
	int64_t		 last, seq, ts;
	bool		 own;

	if (actor == NULL || kind == NULL || actor[0] == '\0' ||
	    kind[0] == '\0') {
		store_err_set(e, "audit: actor and kind are required");
		return -1;
	}
	if (text == NULL || text[0] != '{') {
		store_err_set(e, "audit %s: detail is not a JSON object", kind);
		return -1;
	}
	if (store_txn_begin(st, &own, e) == -1)
		return -1;
	if (!store_audit_tip(st, &seq, prev)) {
		if (audit_head(st, &last, prev, e) == -1)
			goto fail;
		if ((s = store_stmt(st, sql_audit_next, e)) == NULL)
			goto fail;
		if (sqlite3_step(s) != SQLITE_ROW) {
			store_err_set(e, "audit seq: %s",
			    sqlite3_errmsg(store_db(st)));
			sqlite3_reset(s);
			goto fail;
		}
		seq = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
	}
	ts = store_now(st);
	if (audit_hash_canonical(st, seq, ts, actor, kind, item, text, prev,
	    hash) == -1) {
		store_err_set(e, "audit %s: actor or kind is not UTF-8", kind);
		goto fail;
	}
	if ((s = store_stmt(st, sql_audit_insert, e)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int64(s, 2, ts);
	sqlite3_bind_text(s, 3, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, kind, -1, SQLITE_STATIC);
	if (item != 0)
		sqlite3_bind_int64(s, 5, item);
	sqlite3_bind_text(s, 6, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, hash, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		store_err_set(e, "audit append: %s",
		    sqlite3_errmsg(store_db(st)));
		sqlite3_reset(s);
		goto fail;
	}
	/* unbind now: the bound buffers are on this stack frame */
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	store_audit_tip_set(st, seq + 1, hash);
	if (seqp != NULL)
		*seqp = seq;
	return store_txn_end(st, own, true, e);
fail:
	store_txn_end(st, own, false, e);
	return -1;
}

static void
audit_bad(struct audit_report *r, int64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
audit_bad(struct audit_report *r, int64_t seq, const char *fmt, ...)
{
	va_list ap;

	r->ok = false;
	r->first_bad = seq;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof r->reason, fmt, ap);
	va_end(ap);
}

static const char *
col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? (const char *)t : "";
}

/*
 * Entry seq does not link to entry seq - 1.  If what it recorded is the
 * hash of entry seq - 2, entry seq - 1 was slipped in between; if entry
 * seq is itself intact, it was written after another entry seq - 1,
 * which has been changed and rehashed since.  Either way the entry to
 * name is seq - 1, which the walk had passed as good.
 */
static bool
audit_verify_blame_previous(sqlite3_stmt *s, int64_t seq,
    const char *stored_prev, const char *prev_prev, struct audit_report *r)
{
	char calc[65];

	if (seq >= 2 && strcmp(stored_prev, prev_prev) == 0) {
		audit_bad(r, seq - 1, "entry %" PRId64 " was inserted: entry "
		    "%" PRId64 " follows entry %" PRId64, seq - 1, seq, seq - 2);
		return true;
	}
	if (audit_hash(seq, sqlite3_column_int64(s, 1), col_str(s, 2),
	    col_str(s, 3), sqlite3_column_int64(s, 4), col_str(s, 5),
	    stored_prev, calc) == 0 && strcmp(calc, col_str(s, 7)) == 0) {
		audit_bad(r, seq - 1, "entry %" PRId64 " was changed and "
		    "rehashed: entry %" PRId64 " recorded another hash for it",
		    seq - 1, seq);
		return true;
	}
	return false;
}

static int
audit_verify_snapshot(struct store *st, int64_t anchor_seq,
    const char *anchor_hash, struct audit_report *r, struct store_err *e)
{
	sqlite3_stmt	*s;
	char		 prev[65], prev_prev[65], calc[65];
	const char	*stored_prev, *stored_hash;
	int64_t		 expect = 1, seq, maxseq = 0;
	bool		 anchor_seen = false;
	int		 rc;

	memset(r, 0, sizeof *r);
	r->ok = true;
	snprintf(prev, sizeof prev, "%s", AUDIT_GENESIS);
	prev_prev[0] = '\0';
	snprintf(r->head_hash, sizeof r->head_hash, "%s", AUDIT_GENESIS);
	if ((s = store_stmt(st, sql_audit_all, e)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		seq = sqlite3_column_int64(s, 0);
		if (seq != expect) {
			audit_bad(r, expect, "entry %" PRId64 " is missing "
			    "(the next entry is %" PRId64 ")", expect, seq);
			break;
		}
		stored_prev = col_str(s, 6);
		stored_hash = col_str(s, 7);
		if (sqlite3_column_int(s, 8) == 0 ||
		    (size_t)sqlite3_column_int64(s, 9) != strlen(col_str(s, 2)) ||
		    (size_t)sqlite3_column_int64(s, 10) != strlen(col_str(s, 3)) ||
		    (size_t)sqlite3_column_int64(s, 11) != strlen(col_str(s, 5))) {
			audit_bad(r, seq, "a column has the wrong type or bytes "
			    "after a NUL (entry changed)");
			break;
		}
		if (strcmp(stored_prev, prev) != 0) {
			if (seq == 1)
				audit_bad(r, seq, "prev_hash is not the "
				    "genesis value (entry inserted or "
				    "reordered)");
			else if (audit_verify_blame_previous(s, seq,
			    stored_prev, prev_prev, r)) {
				/* entry seq - 1 was counted good: it is not */
				r->entries--;
				r->head_seq = seq - 2;
				snprintf(r->head_hash, sizeof r->head_hash,
				    "%s", prev_prev);
			} else
				audit_bad(r, seq, "prev_hash does not match "
				    "the hash of entry %" PRId64 " (inserted, "
				    "removed or reordered entry)", seq - 1);
			break;
		}
		if (audit_hash(seq, sqlite3_column_int64(s, 1), col_str(s, 2),
		    col_str(s, 3), sqlite3_column_int64(s, 4), col_str(s, 5),
		    stored_prev, calc) == -1) {
			audit_bad(r, seq, "detail is not a JSON object or a "
			    "field is not UTF-8 (entry changed)");
			break;
		}
		if (strcmp(calc, stored_hash) != 0) {
			audit_bad(r, seq, "hash does not match the entry's "
			    "content (entry changed)");
			break;
		}
		if (anchor_seq == seq) {
			anchor_seen = true;
			if (anchor_hash == NULL ||
			    strcmp(anchor_hash, stored_hash) != 0) {
				audit_bad(r, seq, "hash differs from the "
				    "anchor recorded earlier (chain rewritten)");
				break;
			}
		}
		snprintf(prev_prev, sizeof prev_prev, "%s", prev);
		snprintf(prev, sizeof prev, "%s", stored_hash);
		r->entries++;
		r->head_seq = seq;
		snprintf(r->head_hash, sizeof r->head_hash, "%s", stored_hash);
		expect++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_err_set(e, "audit verify: %s",
		    sqlite3_errmsg(store_db(st)));
		return -1;
	}
	if (!r->ok)
		return 0;

	/* entries cut off the end leave no gap, but sqlite_sequence knows */
	if ((s = store_stmt(st, sql_audit_maxseq, e)) == NULL)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		maxseq = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (maxseq > r->head_seq) {
		audit_bad(r, r->head_seq + 1, "entries %" PRId64 "..%" PRId64
		    " were removed from the end", r->head_seq + 1, maxseq);
		return 0;
	}
	if (anchor_seq > 0 && !anchor_seen)
		audit_bad(r, anchor_seq, "anchored entry %" PRId64
		    " is missing", anchor_seq);
	return 0;
}

/*
 * The walk over the entries and the look at sqlite_sequence must read one
 * snapshot: the daemon appends while an editor verifies, and entries added
 * between two autocommit reads looked like entries cut off the end.
 */
int
audit_verify(struct store *st, int64_t anchor_seq, const char *anchor_hash,
    struct audit_report *r, struct store_err *e)
{
	bool	snapshot = !store_in_transaction(st);
	int	rc;

	if (snapshot && store_exec(st, "BEGIN", e) == -1)
		return -1;
	rc = audit_verify_snapshot(st, anchor_seq, anchor_hash, r, e);
	if (snapshot && store_exec(st, "COMMIT", e) == -1) {
		store_rollback(st);
		return -1;
	}
	return rc;
}

static void
audit_read(sqlite3_stmt *s, struct audit_entry *a)
{
	a->seq = sqlite3_column_int64(s, 0);
	a->ts = sqlite3_column_int64(s, 1);
	a->actor = xstrdup(col_str(s, 2));
	a->kind = xstrdup(col_str(s, 3));
	a->item = sqlite3_column_int64(s, 4);
	a->detail = xstrdup(col_str(s, 5));
	snprintf(a->prev_hash, sizeof a->prev_hash, "%s", col_str(s, 6));
	snprintf(a->hash, sizeof a->hash, "%s", col_str(s, 7));
}

int
audit_query(struct store *st, const struct audit_filter *f,
    struct audit_entry **out, size_t *n, struct store_err *e)
{
	sqlite3_stmt		*s;
	struct audit_entry	*v = NULL, tmp;
	size_t			 cap = 0, i, len;
	int			 rc;

	*out = NULL;
	*n = 0;
	if ((s = store_stmt(st, f->item != 0 ? sql_audit_query_item :
	    sql_audit_query, e)) == NULL)
		return -1;
	if (f->item != 0)
		sqlite3_bind_int64(s, 1, f->item);
	if (f->kind != NULL) {
		len = strlen(f->kind);
		if (len >= 2 && strcmp(f->kind + len - 2, ".*") == 0)
			sqlite3_bind_text(s, 3, f->kind, (int)len - 1,
			    SQLITE_TRANSIENT);
		else
			sqlite3_bind_text(s, 2, f->kind, -1, SQLITE_TRANSIENT);
	}
	if (f->since != 0)
		sqlite3_bind_int64(s, 4, f->since);
	if (f->until != 0)
		sqlite3_bind_int64(s, 5, f->until);
	if (f->author != NULL)
		sqlite3_bind_text(s, 6, f->author, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 7, f->limit == 0 ? -1 : (int64_t)f->limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			v = xreallocarray(v, cap, sizeof *v);
		}
		audit_read(s, &v[(*n)++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_err_set(e, "audit query: %s",
		    sqlite3_errmsg(store_db(st)));
		audit_entries_free(v, *n);
		*n = 0;
		return -1;
	}
	/* newest first made LIMIT keep the newest; show them in seq order */
	for (i = 0; i < *n / 2; i++) {
		tmp = v[i];
		v[i] = v[*n - 1 - i];
		v[*n - 1 - i] = tmp;
	}
	*out = v;
	return 0;
}

void
audit_entries_free(struct audit_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].actor);
		free(v[i].kind);
		free(v[i].detail);
	}
	free(v);
}

json_t *
audit_entry_json(const struct audit_entry *a)
{
	json_t *o, *d;

	o = json_object();
	json_object_set_new(o, "seq", json_integer(a->seq));
	json_object_set_new(o, "ts", json_integer(a->ts));
	json_object_set_new(o, "actor", json_string(a->actor));
	json_object_set_new(o, "kind", json_string(a->kind));
	json_object_set_new(o, "item",
	    a->item != 0 ? json_integer(a->item) : json_null());
	if ((d = json_loads(a->detail, 0, NULL)) == NULL)
		d = json_string(a->detail);	/* keep what is there */
	json_object_set_new(o, "detail", d);
	json_object_set_new(o, "prev_hash", json_string(a->prev_hash));
	json_object_set_new(o, "hash", json_string(a->hash));
	return o;
}
