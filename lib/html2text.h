/*
 * html2text.h: turns the sanitized HTML that platforms send as comment
 * content (Mastodon's `content`: <p>, <br>, <span>, <a>) into the plain text
 * the rules see.
 *
 *   - the visible text of every element is kept, so a mention stays
 *     "@user" and a link keeps its full URL text (Mastodon's "invisible"
 *     and "ellipsis" spans are concatenated back into the whole URL:
 *     hiding part of a URL must not hide it from the URL scanner);
 *   - <br> becomes a newline; paragraphs and other blocks are separated
 *     by a blank line; runs of other whitespace become one space;
 *   - character references are decoded: the common named ones and every
 *     numeric one (&#228; &#xE4;); NUL, surrogates and out-of-range code
 *     points become U+FFFD; unknown names are kept literally;
 *   - <script>, <style> and comments are dropped with their content, every
 *     other tag is stripped; a "<" that does not start a tag is text.
 *
 * Works on any byte string, never reads past len, and stops after cap input
 * bytes, so hostile or truncated markup costs at most O(cap).
 */
#ifndef NQ_HTML2TEXT_H
#define NQ_HTML2TEXT_H
#include <stddef.h>

#define HTML2TEXT_DEFAULT_CAP	(1024 * 1024)

/*
 * Returns a NUL-terminated, newly allocated string (never NULL) and sets
 * *outlen when outlen is not NULL.  cap 0 means HTML2TEXT_DEFAULT_CAP.
 * NUL bytes in the input are dropped.
 */
char	*html2text(const char *html, size_t len, size_t cap, size_t *outlen);

#endif
