/*
 * httpc.h: the daemon's HTTP client: libcurl's multi-socket interface
 * driven by the daemon's libevent base (curl's hiperfifo pattern).  Every
 * request is asynchronous; its completion callback runs from the event loop
 * with the status, headers and body, or with a transport error (status 0).
 * Connectors build the requests and parse the responses; this file only
 * moves bytes.
 */
#ifndef NQ_HTTPC_H
#define NQ_HTTPC_H
#include <stddef.h>

#include "connector.h"

struct event_base;
struct httpc;

#define HTTPC_MAX_BODY	(16u << 20)
/* the error of a transfer httpc_free cancelled (whether it was applied is unknown) */
#define HTTPC_CANCELLED	"cancelled: shutting down"

/*
 * Called once per submitted request.  resp->status is 0 when the transport
 * failed; error then says why ("timeout after 10000 ms", "connection
 * refused"), and resp->unsent whether no byte of the request had left
 * (also for a request httpc_free cancelled).  resp and its buffers are
 * valid only during the call.
 */
typedef void (*httpc_done_cb)(void *arg, const struct http_response *resp,
    const char *error);

struct httpc	*httpc_new(struct event_base *, long max_host_connections);
/*
 * Cancels every request still in flight; each callback is called once
 * with status 0 and an error, so its owner can release what it holds.
 */
void		 httpc_free(struct httpc *);
/* Returns 0, or -1 when the request could not even be started. */
int		 httpc_submit(struct httpc *, const struct http_request *,
		    long timeout_ms, httpc_done_cb, void *arg);
/*
 * Sends one e-mail over SMTP (smtp:// or smtps:// url) on the same loop.
 * The callback's status is the server's last reply code (250 when the
 * message was accepted).  msg is copied.
 */
int		 httpc_submit_mail(struct httpc *, const char *url,
		    const char *from, char *const *rcpts, size_t nrcpts,
		    const char *msg, size_t msglen, long timeout_ms,
		    httpc_done_cb, void *arg);
size_t		 httpc_inflight(const struct httpc *);
void		 httpc_kick(struct httpc *);
void		 httpc_pump(struct httpc *);

#endif
