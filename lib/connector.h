/*
 * connector.h: the interface between the daemon and one social media
 * platform.  A connector is a table of pure functions: it builds HTTP
 * requests and parses HTTP responses into items, pages, action results and
 * rate-limit state.  It never opens a socket, reads a clock, logs or sleeps;
 * the daemon owns all I/O and hands the connector what it received.  That
 * makes every backend testable with recorded bodies and fuzzable.
 *
 * One file per backend (conn-<platform>.c), each exporting one
 * `const struct connector`; connector.c lists them in conn_backends[], so a
 * new platform is one new file and one line.
 *
 * Conventions:
 *   - functions that build or parse return 0 on success and -1 on error,
 *     with a caller-owned struct conn_error filled in (the first error wins);
 *   - everything a connector allocates is freed with the matching *_free()
 *     function here; strings are NUL-terminated UTF-8 as received;
 *   - platform ids are strings and stay strings;
 *   - the access token appears only in the Authorization header of a built
 *     request and never in an error message.
 */
#ifndef NQ_CONNECTOR_H
#define NQ_CONNECTOR_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "category.h"

/* ---- HTTP values exchanged with the daemon ---- */

struct http_header {
	char	*name;
	char	*value;
};

struct http_headers {
	struct http_header	*v;
	size_t			 n, cap;
};

/* What the daemon should send.  Owned by the caller; http_request_free(). */
struct http_request {
	char			*method;	/* "GET", "POST", ... */
	char			*url;		/* absolute, already encoded */
	struct http_headers	 headers;	/* includes Authorization */
	char			*body;		/* NULL for no body */
	size_t			 bodylen;
	char			*content_type;	/* NULL for no body */
};

/*
 * What the daemon received.  The daemon owns it; connectors only read it.
 * status 0 means the transport failed (timeout, reset, DNS); body need not
 * be NUL-terminated, bodylen is authoritative.  unsent: the transport
 * failed before the request could leave (no address, no connection), so
 * the platform cannot have acted on it; a timeout or a reset may come
 * after the platform did.
 */
struct http_response {
	int			 status;
	struct http_headers	 headers;
	const char		*body;
	size_t			 bodylen;
	bool			 unsent;
};

void		 http_headers_add(struct http_headers *, const char *name,
		    const char *value);
/* The same from counted bytes, as a response's header lines come. */
void		 http_headers_addn(struct http_headers *, const char *name,
		    size_t namelen, const char *value, size_t valuelen);
/* Case-insensitive; the first header of that name, NULL when absent. */
const char	*http_headers_get(const struct http_headers *, const char *name);
void		 http_headers_free(struct http_headers *);
const char	*http_response_header(const struct http_response *,
		    const char *name);
void		 http_request_free(struct http_request *);

/* ---- results and errors ---- */

/*
 * What a response means for the caller.  CONN_OK is 0 so that a result
 * can be checked as `if (st) ...`.
 */
enum conn_status {
	CONN_OK = 0,
	CONN_RETRY,		/* transient: 5xx, timeout, truncated body */
	CONN_RATELIMITED,	/* 429 or equivalent: wait for the reset */
	CONN_AUTH,		/* 401/403: token invalid or lacks a scope */
	CONN_PERMANENT,		/* 4xx: retrying the same request is futile */
};
const char	*conn_status_name(enum conn_status);

struct conn_error {
	enum conn_status	 status;	/* what the caller should do */
	int			 http_status;	/* 0 when not from a response */
	char			 msg[512];
};

/* Sets the error unless one is already set (the first error wins). */
void		 conn_error_set(struct conn_error *, enum conn_status, int http,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void		 conn_error_clear(struct conn_error *);

/* ---- accounts ---- */

/* One platform rule (Mastodon instance rule) a report may cite. */
struct conn_rule {
	char		*id;
	char		*text;
};

struct conn_rules {
	struct conn_rule	*v;
	size_t			 n;
};
void		 conn_rules_free(struct conn_rules *);

/* Our category -> the platform rule ids a report for it cites. */
struct conn_rulemap {
	enum category	 category;
	char		*rule_id;
};

struct conn_account {
	const char		*name;		/* config name, e.g. "bmi-mastodon" */
	const char		*platform;	/* "mastodon" */
	const char		*base_url;	/* "https://social.bund.de", no slash */
	const char		*token;		/* bearer token; never logged */
	const char		*account_id;	/* our own account id */
	const char		*handle;	/* our own handle, e.g. "bmi" */
	bool			 admin;		/* token has admin scopes + role */
	bool			 report_forward; /* copy reports to remote instances */
	const char		*admin_action;	/* block via admin API: "silence",
						   "suspend"; NULL = never */
	const struct conn_rulemap *rulemap;
	size_t			 nrulemap;
	int			 page_limit;	/* 0 = backend default */
};

/* ---- items and pages ---- */

enum conn_item_kind {
	CONN_ITEM_COMMENT,
	CONN_ITEM_DM,
};
const char	*conn_item_kind_name(enum conn_item_kind);

struct conn_item {
	const char		*platform;	/* static string */
	char			*account;	/* conn_account.name */
	char			*id;		/* platform id of the comment/DM */
	enum conn_item_kind	 kind;
	char			*author_id;
	char			*author_handle;	/* "user" or "user@domain" */
	char			*author_name;	/* display name; may be "" */
	char			*text;		/* plain text the rules see */
	char			*html;		/* original markup; may be NULL */
	char			*raw_json;	/* the item's JSON, for evidence */
	char			*permalink;	/* may be NULL */
	char			*parent_id;	/* replied-to item; may be NULL */
	char			*thread_id;	/* thread/context; may be NULL */
	time_t			 created_at;	/* unix time, 0 when unparsable */
	char			*created_at_iso; /* as the platform sent it */
};
void		 conn_item_free(struct conn_item *);

/* An entry the parser could not turn into an item (see conn_page). */
struct conn_skip {
	char		*id;		/* platform id if known, else NULL */
	char		*why;		/* "notifications[3].status.content: ..." */
};

/*
 * One polled page.  next_cursor is what to pass to the next poll_request
 * (NULL: keep the old cursor).  done is true when the caller has caught up
 * and should wait for the next poll interval; false means "request the next
 * page now".
 *
 * An entry that is malformed (wrong type, missing field) is not allowed to
 * stall the account forever: it is listed in skipped with the reason, the
 * cursor still moves past it, and the daemon logs and counts it.  Only an
 * envelope that cannot be trusted at all (not JSON, truncated, not an array,
 * no usable id to move the cursor) fails the whole page.
 */
struct conn_page {
	struct conn_item	*items;
	size_t			 nitems;
	struct conn_skip	*skipped;
	size_t			 nskipped;
	char			*next_cursor;
	bool			 done;
};
void		 conn_page_free(struct conn_page *);

/* Streams a backend can poll.  A platform may deliver DMs in the inbox. */
enum conn_stream {
	CONN_STREAM_INBOX	= 1 << 0,	/* comments and DMs together */
	CONN_STREAM_COMMENTS	= 1 << 1,
	CONN_STREAM_DMS		= 1 << 2,
};

/* ---- actions ---- */

struct conn_action {
	unsigned		 kind;		/* one ACT_* bit */
	const char		*item_id;	/* comment/DM concerned; may be NULL */
	const char		*author_id;	/* account acted upon */
	long			 mute_seconds;	/* ACT_MUTE: 0 = indefinite */
	/* ACT_REPORT */
	enum category		 category;	/* the netiquette category */
	const char		*rule;		/* our rule id, "insult.vollidiot" */
	const char		*comment;	/* extra text; may be NULL */
	bool			 forward;	/* forward to the remote instance */
	bool			 use_admin;	/* ACT_BLOCK through the admin API */
	const char		*idempotency_key; /* stable across retries */
};

struct conn_action_result {
	char		*remote_id;	/* e.g. the report id; may be NULL */
};
void		 conn_action_result_free(struct conn_action_result *);

/* ---- rate limits ---- */

#define CONN_RL_LIMIT		0x01
#define CONN_RL_REMAINING	0x02
#define CONN_RL_RESET		0x04
#define CONN_RL_RETRY_AFTER	0x08

struct conn_ratelimit {
	unsigned	 known;		/* CONN_RL_* for the fields below */
	long		 limit;
	long		 remaining;
	time_t		 reset;		/* unix time the window resets */
	time_t		 retry_at;	/* do not send before; 0 = no wait */
};

/* Capability bit beyond the ACT_* bits: actions through an admin API. */
#define CONN_CAP_ADMIN		(1u << 16)

/* ---- the backend table ---- */

struct connector {
	const char	*name;		/* platform name used in config */
	unsigned	 streams;	/* CONN_STREAM_* this backend polls */

	/* ACT_* bits (and CONN_CAP_ADMIN) possible for this account. */
	unsigned	 (*capabilities)(const struct conn_account *);

	/*
	 * The request that polls stream from cursor (NULL on first start;
	 * each backend documents what it does then).
	 */
	int		 (*poll_request)(const struct conn_account *,
			    enum conn_stream, const char *cursor,
			    struct http_request *, struct conn_error *);
	/* cursor is the one the request was built with. */
	int		 (*parse_page)(const struct conn_account *,
			    enum conn_stream, const char *cursor,
			    const struct http_response *, struct conn_page *,
			    struct conn_error *);

	int		 (*action_request)(const struct conn_account *,
			    const struct conn_action *, struct http_request *,
			    struct conn_error *);
	/* CONN_OK with res filled, or the status with err filled. */
	enum conn_status (*parse_action_result)(const struct conn_account *,
			    const struct conn_action *,
			    const struct http_response *,
			    struct conn_action_result *, struct conn_error *);
	/*
	 * Whether the platform may get this action a second time without a
	 * second effect: setting a block is, filing a report is not (a second
	 * report reaches the moderators).  An action that is not may be sent
	 * again only when its first request cannot have been applied.
	 */
	bool		 (*repeat_harmless)(const struct conn_account *,
			    const struct conn_action *);

	/*
	 * Optional (NULL): the cursor of the page after this answer, read
	 * from its headers alone, so that the next request can leave before
	 * the body is parsed.  A guess, not a promise: the poller uses the
	 * page it brings only if the parsed page ends where it begins.
	 * Returns NULL when the headers do not say, or when cursor (the one
	 * the request was built with) asks for no further page.
	 */
	char		*(*next_cursor_hint)(const char *cursor,
			    const struct http_response *);

	/* Never fails; unknown fields stay out of rl->known. */
	void		 (*parse_ratelimit)(const struct http_response *,
			    time_t now, struct conn_ratelimit *);
	enum conn_status (*classify_status)(int http_status);

	/* Optional (NULL): the platform's own rules that reports can cite. */
	int		 (*rules_request)(const struct conn_account *,
			    struct http_request *, struct conn_error *);
	int		 (*parse_rules)(const struct http_response *,
			    struct conn_rules *, struct conn_error *);
};

/* NULL-terminated. */
extern const struct connector *const conn_backends[];
extern const struct connector conn_mastodon;
/* The members of a notification page the Mastodon parser reads (bench_parse). */
extern const char *const conn_mastodon_page_keys[];
extern const size_t conn_mastodon_npage_keys;

/* The backend for a platform name, NULL when unknown. */
const struct connector *conn_find(const char *platform);

/* ---- helpers shared by backends (pure) ---- */

/* The common mapping: 2xx ok, 401/403 auth, 408/425/5xx/0 retry, ... */
enum conn_status conn_classify_status(int http_status);
/*
 * Whether a failed answer says the platform did not act on the request:
 * 503 (unavailable), 408 (it did not read it), 425 (it would not yet).
 * Any other 5xx may come after it acted: an application's 500 after it
 * stored what was sent, a gateway's 502 or 504 over what the platform
 * behind it did.
 */
bool		 conn_status_unapplied(int http_status);
/*
 * X-RateLimit-Limit/-Remaining/-Reset (Reset as ISO 8601 or unix seconds)
 * and Retry-After (seconds or HTTP-date).  A 429 without Retry-After waits
 * until the reset, or 60 s when no reset is known either.
 */
void		 conn_ratelimit_parse(const struct http_response *, time_t now,
		    struct conn_ratelimit *);
/*
 * "2019-12-08T03:48:33.901Z", "...T03:48:33Z", "...+01:00", "...+0000";
 * fractional seconds of any length are accepted and dropped.
 * Returns 0 and sets *t, or -1.
 */
int		 conn_parse_iso8601(const char *, time_t *t);
/* "Sun, 06 Nov 1994 08:49:37 GMT"; returns 0 and sets *t, or -1. */
int		 conn_parse_http_date(const char *, time_t *t);
/* Percent-encodes s (RFC 3986 unreserved kept) onto a growing string. */
void		 conn_urlencode_append(char **buf, size_t *len, const char *s);
/* Appends "&name=value" (or "name=value" when *buf is empty), encoded. */
void		 conn_form_add(char **buf, size_t *len, const char *name,
		    const char *value);
/* Compares two decimal id strings numerically; non-digits compare as 0. */
int		 conn_id_cmp(const char *, const char *);
/* True when s is 1..32 ASCII digits. */
bool		 conn_id_is_numeric(const char *s);

/* Where one element of a JSON array lies in the text it was parsed from. */
struct conn_span {
	size_t	off;
	size_t	len;
};
/*
 * Splits the top-level JSON array in s into its elements' byte spans, so
 * that a connector can keep each item's JSON exactly as the platform sent
 * it instead of serializing the parsed value again.  For text a JSON
 * parser has already accepted; returns the number of elements (at most
 * max spans are filled), or -1 when s is not an array.
 */
long		 conn_json_array_spans(const char *s, size_t len,
		    struct conn_span *spans, size_t max);

#endif
