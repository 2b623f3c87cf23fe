/*
 * ctl-evidence.c: "evidence export ID", the legal reviewers' package of
 * one item (evidence.h): the stored record, its hash, the item's audit
 * entries and the chain head, as one JSON document.  Exporting is itself
 * recorded in the audit chain (actor "ctl:<user>"), and an item without a
 * snapshot gets one first.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl-store.h"
#include "ctl.h"
#include "evidence.h"
#include "store.h"

static int	ctl_evidence_handler(struct ctl_global *, int, char **);

const struct ctl_command ctl_evidence_entry = {
	.name = "evidence",
	.usage = "export ID [--state DIR] [-o FILE]",
	.help = "export an item's evidence record, hash and audit trail",
	.handler = ctl_evidence_handler,
};

static int
ctl_evidence_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state",	required_argument,	NULL, 's' },
		{ "output",	required_argument,	NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct store_err	 e = { "" };
	struct store		*st;
	const char		*state = NULL, *out = NULL, *arg;
	json_t			*pkg;
	FILE			*fp;
	int64_t			 id;
	int			 ch, rc, status;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			state = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			return ctl_usage_error(&ctl_evidence_entry, NULL);
		}
	}
	if (optind != argc - 1)
		return ctl_usage_error(&ctl_evidence_entry,
		    "evidence export wants one item ID");
	arg = argv[optind];
	if ((st = ctl_store_open(state)) == NULL)
		return CTL_EXIT_NOINPUT;

	if (ctl_store_item(st, arg, &id) == -1) {
		store_close(st);
		return CTL_EXIT_NOINPUT;
	}
	if ((pkg = evidence_export(st, id, ctl_store_actor(), &e)) == NULL) {
		ctl_warnx("%s", e.msg);
		store_close(st);
		return strstr(e.msg, "no item") != NULL ? CTL_EXIT_NOINPUT :
		    CTL_EXIT_SOFTWARE;
	}
	store_close(st);

	status = CTL_EXIT_OK;
	if (!json_is_true(json_object_get(pkg, "sha256_ok"))) {
		ctl_warnx("item %" PRId64 ": stored record does not match its "
		    "hash", id);
		status = CTL_EXIT_TAMPERED;
	}
	if (!json_is_true(json_object_get(pkg, "sha256_in_chain"))) {
		ctl_warnx("item %" PRId64 ": the record's hash is not the one "
		    "the audit chain recorded when it was taken", id);
		status = CTL_EXIT_TAMPERED;
	}
	if (!json_is_true(json_object_get(pkg, "chain_ok"))) {
		ctl_warnx("audit chain broken: %s", json_string_value(
		    json_object_get(pkg, "chain_reason")));
		status = CTL_EXIT_TAMPERED;
	}
	if (out != NULL && strcmp(out, "-") != 0) {
		if ((fp = fopen(out, "w")) == NULL) {
			ctl_warn("%s", out);
			json_decref(pkg);
			return CTL_EXIT_IOERR;
		}
		rc = json_dumpf(pkg, fp, JSON_INDENT(2) | JSON_SORT_KEYS);
		if (rc == 0 && fputc('\n', fp) == EOF)
			rc = -1;
		if (fclose(fp) == EOF || rc == -1) {
			ctl_warn("%s", out);
			json_decref(pkg);
			return CTL_EXIT_IOERR;
		}
		json_decref(pkg);
		return status;
	}
	json_dumpf(pkg, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	putchar('\n');
	json_decref(pkg);
	rc = ctl_finish_output();
	return rc != CTL_EXIT_OK ? rc : status;
}

int
ctl_evidence(int argc, char **argv)
{
	if (argc < 2)
		return ctl_usage_error(&ctl_evidence_entry, "evidence what?");
	if (strcmp(argv[1], "export") == 0)
		return ctl_evidence_export(argc - 1, argv + 1);
	return ctl_usage_error(&ctl_evidence_entry,
	    "unknown evidence command: %s", argv[1]);
}

static int
ctl_evidence_handler(struct ctl_global *g, int argc, char **argv)
{
	return ctl_evidence(argc, argv);
}
