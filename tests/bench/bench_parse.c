/*
 * bench_parse.c: time the Mastodon connector's page parser (the parser
 * thread's first step for every polled page) and its two parts, the
 * pruner and jansson building what the pruner kept.  Not a test; run it
 * by hand when touching conn-mastodon.c, jsonprune.c or the page keys.
 *
 * A page is built here the way the fake platform (and a real instance,
 * PLATFORMS.md) sends one: limit notifications of type mention, each with
 * the author's whole account twice (the notification's and the status's),
 * HTML content with a mention and a hashtag, about 2.6 KB per entry.
 *
 * Usage: bench_parse [-n pages] [-l limit]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "connector.h"
#include "jsonprune.h"
#include "xmalloc.h"

static const char bp_account[] =
    "{\"id\":\"%lld\",\"username\":\"user%d\",\"acct\":\"user%d@mastodon."
    "social\",\"display_name\":\"user%d\",\"locked\":false,\"bot\":false,"
    "\"discoverable\":true,\"group\":false,\"created_at\":\"2023-01-15T00:"
    "00:00.000Z\",\"note\":\"\",\"url\":\"https://mastodon.social/@user%d\","
    "\"uri\":\"https://mastodon.social/users/user%d\",\"avatar\":\"https://"
    "social.bund.de/avatars/original/missing.png\",\"avatar_static\":\""
    "https://social.bund.de/avatars/original/missing.png\",\"header\":\""
    "https://social.bund.de/headers/original/missing.png\",\"header_static\""
    ":\"https://social.bund.de/headers/original/missing.png\","
    "\"followers_count\":0,\"following_count\":0,\"statuses_count\":1,"
    "\"last_status_at\":\"2026-11-23\",\"emojis\":[],\"fields\":[]}";

static const char *const bp_texts[] = {
	"Halt die Fresse, du Pfosten.",
	"Danke f\\u00fcr die Information, das hilft mir weiter.",
	"Wann kommt endlich die Reform? Das dauert alles viel zu lange!",
	"Billige Krypto-Gewinne, jetzt klicken und reich werden.",
};

static double
bp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One page of limit mentions, newest first, as the platform sends it. */
static char *
bp_page(int limit, size_t *len)
{
	struct xbuf	 b;
	char		 acc[2048], one[8192];
	int		 i, user;
	long long	 aid;

	memset(&b, 0, sizeof b);
	xbuf_put(&b, "[", 1);
	for (i = limit - 1; i >= 0; i--) {
		user = 400 + i * 7;
		aid = 110000000000000000LL + user;
		snprintf(acc, sizeof acc, bp_account, aid, user, user, user,
		    user, user);
		snprintf(one, sizeof one, "%s{\"id\":\"%d\",\"type\":\"mention\","
		    "\"created_at\":\"2026-11-23T15:57:09.162Z\",\"group_key\":"
		    "\"ungrouped-%d\",\"account\":%s,\"status\":{\"id\":\"%lld\","
		    "\"created_at\":\"2026-11-23T15:57:09.162Z\",\"in_reply_to_id\""
		    ":\"117666569713680387\",\"in_reply_to_account_id\":\"1090000"
		    "00000000001\",\"sensitive\":false,\"spoiler_text\":\"\","
		    "\"visibility\":\"%s\",\"language\":\"de\",\"uri\":\"https://"
		    "mastodon.social/users/user%d/statuses/%lld\",\"url\":\"https:"
		    "//mastodon.social/@user%d/%lld\",\"replies_count\":0,"
		    "\"reblogs_count\":0,\"favourites_count\":0,\"edited_at\":null,"
		    "\"content\":\"<p><span class=\\\"h-card\\\" translate=\\\"no\\\">"
		    "<a href=\\\"https://social.bund.de/@bmi\\\" class=\\\"u-url "
		    "mention\\\">@<span>bmi</span></a></span> %s (<a href=\\\"https:"
		    "//social.bund.de/tags/%d\\\" class=\\\"mention hashtag\\\" rel="
		    "\\\"tag\\\">#<span>%d</span></a>)</p>\",\"reblog\":null,"
		    "\"application\":null,\"account\":%s,\"media_attachments\":[],"
		    "\"mentions\":[{\"id\":\"109000000000000001\",\"username\":"
		    "\"bmi\",\"url\":\"https://social.bund.de/@bmi\",\"acct\":"
		    "\"bmi\"}],\"tags\":[{\"name\":\"%d\",\"url\":\"https://social."
		    "bund.de/tags/%d\"}],\"emojis\":[],\"card\":null,\"poll\":null,"
		    "\"filtered\":[]}}", i < limit - 1 ? ", " : "", 34975000 + i,
		    34975000 + i, acc, 117666573789560000LL + i,
		    i % 10 == 0 ? "direct" : "public", user,
		    117666573789560000LL + i, user, 117666573789560000LL + i,
		    bp_texts[i % 4], i, i, acc, i, i);
		xbuf_put(&b, one, strlen(one));
	}
	xbuf_put(&b, "]", 1);
	*len = b.len;
	return b.s;
}

int
main(int argc, char **argv)
{
	struct conn_account	 a;
	struct http_response	 r;
	char			*page, *pruned;
	size_t			 len, plen;
	double			 t0, t_parse, t_prune, t_load, t_full;
	int			 c, pages = 2000, limit = 40, i;

	while ((c = getopt(argc, argv, "n:l:")) != -1) {
		switch (c) {
		case 'n':
			pages = atoi(optarg);
			break;
		case 'l':
			limit = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: bench_parse [-n pages] "
			    "[-l limit]\n");
			return 2;
		}
	}
	if (pages < 1 || limit < 1 || limit > 80) {
		fprintf(stderr, "bench_parse: -n at least 1, -l 1 to 80\n");
		return 2;
	}
	page = bp_page(limit, &len);
	memset(&a, 0, sizeof a);
	a.name = "bmi";
	a.platform = "mastodon";
	a.base_url = "https://social.bund.de";
	a.handle = "bmi";
	a.account_id = "109000000000000001";
	memset(&r, 0, sizeof r);
	r.status = 200;
	r.body = page;
	r.bodylen = len;

	t0 = bp_now();
	for (i = 0; i < pages; i++) {
		struct conn_page	p;
		struct conn_error	e;

		memset(&p, 0, sizeof p);
		memset(&e, 0, sizeof e);
		if (conn_mastodon.parse_page(&a, CONN_STREAM_INBOX, "0", &r, &p,
		    &e) == -1 || p.nitems != (size_t)limit) {
			fprintf(stderr, "bench_parse: the page does not parse "
			    "(%zu items): %s\n", p.nitems, e.msg);
			return 1;
		}
		conn_page_free(&p);
		conn_error_clear(&e);
	}
	t_parse = bp_now() - t0;

	t0 = bp_now();
	for (i = 0; i < pages; i++) {
		if (json_prune(page, len, conn_mastodon_page_keys,
		    conn_mastodon_npage_keys, &pruned, &plen) == -1) {
			fprintf(stderr, "bench_parse: the pruner gave up\n");
			return 1;
		}
		free(pruned);
	}
	t_prune = bp_now() - t0;

	(void)json_prune(page, len, conn_mastodon_page_keys,
	    conn_mastodon_npage_keys, &pruned, &plen);
	t0 = bp_now();
	for (i = 0; i < pages; i++)
		json_decref(json_loadb(pruned, plen, 0, NULL));
	t_load = bp_now() - t0;
	t0 = bp_now();
	for (i = 0; i < pages; i++)
		json_decref(json_loadb(page, len, 0, NULL));
	t_full = bp_now() - t0;

	printf("page: %d mentions, %zu bytes (%.0f per entry); pruned to "
	    "%zu bytes\n", limit, len, (double)len / limit, plen);
	printf("parse_page            %8.1f us/page  %6.1f us/item\n",
	    t_parse / pages * 1e6, t_parse / pages / limit * 1e6);
	printf("  of which prune      %8.1f us/page  %6.1f us/item\n",
	    t_prune / pages * 1e6, t_prune / pages / limit * 1e6);
	printf("  jansson, pruned     %8.1f us/page  %6.1f us/item\n",
	    t_load / pages * 1e6, t_load / pages / limit * 1e6);
	printf("jansson, whole page   %8.1f us/page  %6.1f us/item\n",
	    t_full / pages * 1e6, t_full / pages / limit * 1e6);
	free(pruned);
	free(page);
	return 0;
}
