/*
 * input.h: the reader for texts to classify, as netiquettectl classify
 * takes them on stdin: one text per line, or JSON lines
 * {"id": ..., "text": ...}.  Every input line yields exactly one item, in
 * order: either a text to classify or an error saying what was wrong with
 * that line ("line 7: invalid JSON: ...").  No line is ever dropped and no
 * input, however broken (invalid UTF-8, NUL bytes, huge lines, garbage),
 * makes the reader fail; only a read error of the stream itself does.
 * The reader knows nothing about rules or verdicts.
 */
#ifndef NQ_INPUT_H
#define NQ_INPUT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Longer lines are reported as an error; the rest of the line is skipped. */
#define INPUT_MAX_LINE	(8u << 20)

enum input_format {
	INPUT_TEXT,	/* each line is the text, bytes as they are */
	INPUT_JSONL,	/* each line is a JSON object with a string "text" */
};

struct input_item {
	size_t		 lineno;	/* 1-based */
	/*
	 * What the output echoes as "id": the line's "id" (a string or an
	 * integer) or else the line number as an integer.  Never NULL after
	 * input_next/input_parse_line; owned by the item.
	 */
	json_t		*id;
	const char	*text;		/* NULL when error is set */
	size_t		 len;		/* may contain NUL bytes, any bytes */
	char		*error;		/* "line N: ..." or NULL; owned */
	json_t		*root;		/* private: the parsed line */
};

struct input_reader;

struct input_reader	*input_open(FILE *, enum input_format);
/*
 * Reads the next line into item (cleared first; the text stays valid until
 * the next call or input_item_clear).  Returns 1 for an item, 0 at end of
 * input, -1 on a read error (errno set).  A final line without newline is
 * an item; a trailing "\r" is removed.
 */
int			 input_next(struct input_reader *, struct input_item *);
void			 input_close(struct input_reader *);

/*
 * Turns one line (without its terminator) into an item: the work of
 * input_next after splitting, exposed for the fuzzer and the tests.
 * too_long says the line was cut at INPUT_MAX_LINE.  The item's text may
 * point into line, which must outlive it.
 */
void	 input_parse_line(enum input_format, const char *line, size_t len,
	    size_t lineno, bool too_long, struct input_item *);
void	 input_item_clear(struct input_item *);

#endif
