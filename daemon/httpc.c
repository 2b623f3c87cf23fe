/*
 * httpc.c: libcurl multi-socket driven by libevent.
 *
 * curl tells us which sockets to watch (sock_cb) and when to wake it up
 * (timer_cb); libevent tells curl when a socket is ready (event_cb) or the
 * timer fired (timeout_cb).  Finished transfers are collected in
 * httpc_check_done and handed to their callbacks.  Callbacks from curl
 * never call back into curl_multi_* except socket_action, as libcurl
 * requires.
 */
#include <sys/queue.h>

#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "httpc.h"
#include "log.h"
#include "xmalloc.h"

struct httpc_xfer;
TAILQ_HEAD(httpc_xfers, httpc_xfer);
struct httpc_sock;
TAILQ_HEAD(httpc_socks, httpc_sock);

/* the sockets httpc_pump looks at; a client has one per connection */
#define HTTPC_PUMP_MAX	16
/*
 * Finished easy handles kept for the next transfer.  curl_easy_init
 * callocs and clears a handle and its buffers each time (and glibc
 * consolidates its free lists for an allocation that size): per action
 * sent, a few per cent of the loop's CPU.  curl_easy_reset gives a kept
 * handle back every option's default.
 */
#define HTTPC_EASY_KEEP	32

struct httpc {
	struct event_base	*base;
	struct httpc_xfers	 xfers;	/* in flight, so httpc_free can cancel */
	struct httpc_socks	 socks;	/* what curl asked us to watch */
	CURLM			*multi;
	struct event		*timer;
	size_t			 inflight;
	CURL			*kept[HTTPC_EASY_KEEP];
	size_t			 nkept;
};

struct httpc_sock {
	TAILQ_ENTRY(httpc_sock)	 entry;
	struct httpc	*h;
	struct event	*ev;
	curl_socket_t	 fd;
	short		 kind;		/* what ev waits for */
};

struct httpc_xfer {
	TAILQ_ENTRY(httpc_xfer)	 entry;
	struct httpc		*h;
	CURL			*easy;
	struct curl_slist	*headers;
	httpc_done_cb		 cb;
	void			*arg;
	struct http_headers	 resp_headers;
	struct xbuf		 body;
	struct curl_slist	*rcpts;		/* SMTP */
	char			*upload;	/* SMTP message */
	size_t			 uploadlen, uploadoff;
	bool			 too_large;
	char			 errbuf[CURL_ERROR_SIZE];
};

static void	httpc_check_done(struct httpc *);

/* a handle with every option at its default: a kept one, or a new one */
static CURL *
httpc_easy_get(struct httpc *h)
{
	if (h->nkept > 0)
		return h->kept[--h->nkept];
	return curl_easy_init();
}

/* a handle out of the multi handle, kept for the next transfer or freed */
static void
httpc_easy_put(struct httpc *h, CURL *easy)
{
	if (h->nkept == HTTPC_EASY_KEEP) {
		curl_easy_cleanup(easy);
		return;
	}
	curl_easy_reset(easy);
	h->kept[h->nkept++] = easy;
}

static void
httpc_event_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct httpc	*h = arg;
	int		 action = 0, running;

	if (kind & EV_READ)
		action |= CURL_CSELECT_IN;
	if (kind & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(h->multi, fd, action, &running);
	httpc_check_done(h);
	if (running <= 0 && evtimer_pending(h->timer, NULL))
		evtimer_del(h->timer);
}

static void
httpc_timeout_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct httpc	*h = arg;
	int		 running;

	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	httpc_check_done(h);
}

static int
httpc_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	struct httpc	*h = arg;
	struct timeval	 tv;

	if (timeout_ms < 0) {
		evtimer_del(h->timer);
		return 0;
	}
	if (timeout_ms == 0) {
		/* "at once": activate, see executor_kick for why not a timer */
		evtimer_del(h->timer);
		event_active(h->timer, EV_TIMEOUT, 1);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(h->timer, &tv);
	return 0;
}

static int
httpc_sock_cb(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct httpc		*h = arg;
	struct httpc_sock	*s = sockp;
	short			 kind;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			TAILQ_REMOVE(&h->socks, s, entry);
			event_free(s->ev);
			free(s);
			curl_multi_assign(h->multi, fd, NULL);
		}
		return 0;
	}
	kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->h = h;
		s->fd = fd;
		s->kind = kind;
		if ((s->ev = event_new(h->base, fd, kind, httpc_event_cb,
		    h)) == NULL) {
			/*
			 * Not -1: that would abort every transfer of the
			 * multi handle.  Unwatched, this one times out.
			 */
			log_warnx("%s: no event for socket %d", __func__,
			    (int)fd);
			free(s);
			return 0;
		}
		curl_multi_assign(h->multi, fd, s);
		event_add(s->ev, NULL);
		TAILQ_INSERT_TAIL(&h->socks, s, entry);
		return 0;
	}
	/* curl repeats itself; each change costs the kernel two calls */
	if (kind == s->kind)
		return 0;
	event_del(s->ev);
	event_assign(s->ev, h->base, fd, kind, httpc_event_cb, h);
	s->kind = kind;
	event_add(s->ev, NULL);
	return 0;
}

static size_t
httpc_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct httpc_xfer	*x = arg;
	size_t			 n = size * nmemb;

	if (x->body.len + n > HTTPC_MAX_BODY) {
		x->too_large = true;
		return 0;	/* makes curl fail the transfer */
	}
	xbuf_put(&x->body, ptr, n);
	return n;
}

static size_t
httpc_header_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct httpc_xfer	*x = arg;
	size_t			 n = size * nmemb;
	char			*colon, *value, *end;

	/* a new status line starts a new header block (redirects, 100) */
	if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
		http_headers_free(&x->resp_headers);
		return n;
	}
	if ((colon = memchr(ptr, ':', n)) == NULL)
		return n;
	value = colon + 1;
	end = ptr + n;
	while (value < end && (*value == ' ' || *value == '\t'))
		value++;
	while (end > value && (end[-1] == '\r' || end[-1] == '\n' ||
	    end[-1] == ' '))
		end--;
	http_headers_addn(&x->resp_headers, ptr, colon - ptr, value,
	    end - value);
	return n;
}

static void
httpc_xfer_free(struct httpc_xfer *x)
{
	curl_slist_free_all(x->rcpts);
	free(x->upload);
	curl_slist_free_all(x->headers);
	http_headers_free(&x->resp_headers);
	free(x->body.s);
	free(x);
}

/*
 * Whether a failed transfer never began its request.  Not the error code:
 * on a kept connection that died, curl sends the request again on a new
 * one, and a refused connect then follows a request that did arrive.
 */
static bool
httpc_unsent(CURL *easy)
{
	long sent = 0;

	return curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &sent) ==
	    CURLE_OK && sent == 0;
}

static void
httpc_check_done(struct httpc *h)
{
	CURLMsg			*msg;
	int			 left;
	struct httpc_xfer	*x;
	struct http_response	 resp;
	long			 status = 0;
	char			 error[CURL_ERROR_SIZE + 64];

	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		memset(&resp, 0, sizeof resp);
		error[0] = '\0';
		if (msg->data.result == CURLE_OK) {
			curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
			resp.status = (int)status;
		} else if (x->too_large)
			snprintf(error, sizeof error, "response body larger than "
			    "%u bytes", HTTPC_MAX_BODY);
		else {
			snprintf(error, sizeof error, "%s", x->errbuf[0] ?
			    x->errbuf : curl_easy_strerror(msg->data.result));
			resp.unsent = httpc_unsent(x->easy);
		}
		resp.headers = x->resp_headers;
		resp.body = x->body.s ? x->body.s : "";
		resp.bodylen = x->body.len;
		curl_multi_remove_handle(h->multi, x->easy);
		httpc_easy_put(h, x->easy);
		TAILQ_REMOVE(&h->xfers, x, entry);
		h->inflight--;
		x->cb(x->arg, &resp, error[0] ? error : NULL);
		httpc_xfer_free(x);
	}
}

struct httpc *
httpc_new(struct event_base *base, long max_host_connections)
{
	struct httpc *h = xcalloc(1, sizeof *h);

	h->base = base;
	TAILQ_INIT(&h->xfers);
	TAILQ_INIT(&h->socks);
	if ((h->multi = curl_multi_init()) == NULL)
		fatalx("curl_multi_init failed");
	h->timer = evtimer_new(base, httpc_timeout_cb, h);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, httpc_sock_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, httpc_timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    max_host_connections);
	/*
	 * Keep them: curl sizes its connection cache by the transfers it
	 * has at the moment, so after a burst of actions it closed most of
	 * the connections it then had to open again for the next one.
	 */
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, max_host_connections);
	return h;
}

void
httpc_free(struct httpc *h)
{
	struct httpc_xfer	*x;
	struct httpc_sock	*s;

	if (h == NULL)
		return;
	while ((x = TAILQ_FIRST(&h->xfers)) != NULL) {
		struct http_response none;

		TAILQ_REMOVE(&h->xfers, x, entry);
		/* the owner of arg must get it back to free it */
		memset(&none, 0, sizeof none);
		none.body = "";
		/* still waiting for a connection of its own: nothing left */
		none.unsent = httpc_unsent(x->easy);
		curl_multi_remove_handle(h->multi, x->easy);
		curl_easy_cleanup(x->easy);
		h->inflight--;
		x->cb(x->arg, &none, HTTPC_CANCELLED);
		httpc_xfer_free(x);
	}
	while (h->nkept > 0)
		curl_easy_cleanup(h->kept[--h->nkept]);
	curl_multi_cleanup(h->multi);
	/* whatever curl did not take back itself */
	while ((s = TAILQ_FIRST(&h->socks)) != NULL) {
		TAILQ_REMOVE(&h->socks, s, entry);
		event_free(s->ev);
		free(s);
	}
	event_free(h->timer);
	free(h);
}

int
httpc_submit(struct httpc *h, const struct http_request *req, long timeout_ms,
    httpc_done_cb cb, void *arg)
{
	struct httpc_xfer	*x;
	size_t			 i;
	char			*line;

	x = xcalloc(1, sizeof *x);
	x->h = h;
	x->cb = cb;
	x->arg = arg;
	if ((x->easy = httpc_easy_get(h)) == NULL) {
		free(x);
		return -1;
	}
	for (i = 0; i < req->headers.n; i++) {
		xasprintf(&line, "%s: %s", req->headers.v[i].name,
		    req->headers.v[i].value);
		x->headers = curl_slist_append(x->headers, line);
		free(line);
	}
	if (req->content_type != NULL) {
		xasprintf(&line, "Content-Type: %s", req->content_type);
		x->headers = curl_slist_append(x->headers, line);
		free(line);
	}
	/* no "Expect: 100-continue" round trip for small bodies */
	x->headers = curl_slist_append(x->headers, "Expect:");
	curl_easy_setopt(x->easy, CURLOPT_URL, req->url);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, httpc_write_cb);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, httpc_header_cb);
	curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS,
	    timeout_ms < 10000 ? timeout_ms : 10000L);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "netiquetted/" NQ_VERSION);
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->easy, CURLOPT_ACCEPT_ENCODING, "");
	if (strcmp(req->method, "GET") == 0)
		curl_easy_setopt(x->easy, CURLOPT_HTTPGET, 1L);
	else {
		curl_easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST, req->method);
		curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE,
		    (long)req->bodylen);
		curl_easy_setopt(x->easy, CURLOPT_COPYPOSTFIELDS,
		    req->body ? req->body : "");
	}
	if (curl_multi_add_handle(h->multi, x->easy) != CURLM_OK) {
		httpc_easy_put(h, x->easy);
		httpc_xfer_free(x);
		return -1;
	}
	TAILQ_INSERT_TAIL(&h->xfers, x, entry);
	h->inflight++;
	return 0;
}

static size_t
httpc_read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct httpc_xfer	*x = arg;
	size_t			 n = size * nmemb;

	if (n > x->uploadlen - x->uploadoff)
		n = x->uploadlen - x->uploadoff;
	memcpy(buf, x->upload + x->uploadoff, n);
	x->uploadoff += n;
	return n;
}

int
httpc_submit_mail(struct httpc *h, const char *url, const char *from,
    char *const *rcpts, size_t nrcpts, const char *msg, size_t msglen,
    long timeout_ms, httpc_done_cb cb, void *arg)
{
	struct httpc_xfer	*x;
	size_t			 i;

	x = xcalloc(1, sizeof *x);
	x->h = h;
	x->cb = cb;
	x->arg = arg;
	if ((x->easy = httpc_easy_get(h)) == NULL) {
		free(x);
		return -1;
	}
	for (i = 0; i < nrcpts; i++)
		x->rcpts = curl_slist_append(x->rcpts, rcpts[i]);
	x->upload = xmalloc(msglen ? msglen : 1);
	memcpy(x->upload, msg, msglen);
	x->uploadlen = msglen;
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(x->easy, CURLOPT_MAIL_RCPT, x->rcpts);
	curl_easy_setopt(x->easy, CURLOPT_READFUNCTION, httpc_read_cb);
	curl_easy_setopt(x->easy, CURLOPT_READDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(x->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msglen);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	/* STARTTLS when the server offers it; smtps:// is TLS from the start */
	curl_easy_setopt(x->easy, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	if (curl_multi_add_handle(h->multi, x->easy) != CURLM_OK) {
		httpc_easy_put(h, x->easy);
		httpc_xfer_free(x);
		return -1;
	}
	TAILQ_INSERT_TAIL(&h->xfers, x, entry);
	h->inflight++;
	return 0;
}

size_t
httpc_inflight(const struct httpc *h)
{
	return h->inflight;
}

/*
 * Lets curl start what was just submitted, instead of at the next loop
 * turn.  For a caller that is about to keep the loop busy (screening a
 * page) and wants its request on the wire meanwhile.  Completions are not
 * read here, as this may run inside a completion callback; a transfer that
 * ended at once (a refused connect) is read at the next loop turn, which
 * the timer is activated for whatever curl asked for meanwhile.
 */
void
httpc_kick(struct httpc *h)
{
	int running;

	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	event_active(h->timer, EV_TIMEOUT, 1);
}

/*
 * For a caller that keeps the loop busy for a while (screening a page):
 * reads what arrived on this client's sockets meanwhile and runs the
 * callbacks of the transfers that it finished, without a loop turn.  The
 * sockets stay with libevent, which finds nothing left to read; every
 * other event waits for the loop.  Not from a completion callback.
 */
void
httpc_pump(struct httpc *h)
{
	struct pollfd		 pfd[HTTPC_PUMP_MAX];
	struct httpc_sock	*s;
	nfds_t			 n = 0, i;
	int			 action, running;

	TAILQ_FOREACH(s, &h->socks, entry) {
		if (n == HTTPC_PUMP_MAX)
			break;
		pfd[n].fd = s->fd;
		pfd[n].events = ((s->kind & EV_READ) ? POLLIN : 0) |
		    ((s->kind & EV_WRITE) ? POLLOUT : 0);
		pfd[n].revents = 0;
		n++;
	}
	if (n == 0 || poll(pfd, n, 0) <= 0)
		return;
	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		action = 0;
		if (pfd[i].revents & (POLLIN | POLLHUP))
			action |= CURL_CSELECT_IN;
		if (pfd[i].revents & POLLOUT)
			action |= CURL_CSELECT_OUT;
		if (pfd[i].revents & (POLLERR | POLLNVAL))
			action |= CURL_CSELECT_ERR;
		curl_multi_socket_action(h->multi, pfd[i].fd, action, &running);
	}
	httpc_check_done(h);
}
