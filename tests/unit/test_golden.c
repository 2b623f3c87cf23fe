/*
 * test_golden.c: golden tests for the rule compiler, as bgpd does for its
 * configuration: every tests/golden/NAME.rules is compiled on its own and
 * its canonical dump must equal NAME.ok byte for byte; the dump, compiled
 * again, must give the same dump and the same hash (it is a rule file, not
 * just a report).  Every tests/golden/errors/NAME.rules must be refused
 * with exactly the "file:line: message" lines of NAME.err, all of them,
 * file names relative to tests/golden.  A set in errors/ that does build
 * is checked for coverage instead, so untested parts have goldens too.
 *
 * NQ_GOLDEN_UPDATE=1 rewrites the .ok and .err files from what the
 * compiler says now; read the diff before committing it.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "kvfile.h"
#include "ruleset.h"

static char	 golden[4096];		/* .../tests/golden */
static char	 tmpdir[] = "/tmp/nq-golden-XXXXXX";
static int	 update;

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.rules names in dir, sorted; returns how many. */
static size_t
list_rules(const char *dir, char ***out)
{
	DIR		*dp;
	struct dirent	*de;
	char		**v = NULL;
	size_t		 n = 0, len;

	if ((dp = opendir(dir)) == NULL) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		*out = NULL;
		return 0;
	}
	while ((de = readdir(dp)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 7 ||
		    strcmp(de->d_name + len - 6, ".rules") != 0)
			continue;
		v = realloc(v, (n + 1) * sizeof *v);
		v[n++] = strndup(de->d_name, len - 6);
	}
	closedir(dp);
	qsort(v, n, sizeof *v, cmp_str);
	*out = v;
	return n;
}

static void
free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char *
dump_string(const struct ruleset *rs)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp = open_memstream(&buf, &len);

	if (fp == NULL || rs_dump(rs, fp) != 0) {
		fprintf(stderr, "rs_dump failed\n");
		exit(2);
	}
	fclose(fp);
	return buf;
}

/* Contents of path, or NULL when it cannot be read. */
static char *
slurp(const char *path)
{
	char	*buf;
	size_t	 len;

	if (kv_read_file(path, KV_MAX_FILE, &buf, &len) == -1)
		return NULL;
	return buf;
}

static void
spew(const char *path, const char *s)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fputs(s, fp) == EOF || fclose(fp) != 0) {
		perror(path);
		exit(2);
	}
}

/*
 * Compares expected and actual text; on a difference prints the first
 * differing line like a unified diff hunk, with two lines of context.
 * Returns 0 when equal.
 */
static int
text_diff(const char *name_a, const char *a, const char *name_b, const char *b)
{
	const char	*la = a, *lb = b, *ea, *eb, *ctx[2] = { NULL, NULL };
	size_t		 na, nb;
	int		 line = 1, i;

	if (strcmp(a, b) == 0)
		return 0;
	for (;; line++) {
		ea = strchr(la, '\n');
		eb = strchr(lb, '\n');
		na = ea ? (size_t)(ea - la) : strlen(la);
		nb = eb ? (size_t)(eb - lb) : strlen(lb);
		if (na != nb || memcmp(la, lb, na) != 0 || !ea != !eb)
			break;
		ctx[0] = ctx[1];
		ctx[1] = la;
		la = ea + 1;
		lb = eb + 1;
	}
	fprintf(stderr, "--- %s\n+++ %s\n@@ first difference at line %d @@\n",
	    name_a, name_b, line);
	for (i = 0; i < 2; i++)
		if (ctx[i] != NULL)
			fprintf(stderr, " %.*s\n", (int)strcspn(ctx[i], "\n"), ctx[i]);
	if (*la != '\0' || ea != NULL)
		fprintf(stderr, "-%.*s%s\n", (int)na, la, ea ? "" : "\\ (no newline)");
	else
		fprintf(stderr, "-(end of file)\n");
	if (*lb != '\0' || eb != NULL)
		fprintf(stderr, "+%.*s%s\n", (int)nb, lb, eb ? "" : "\\ (no newline)");
	else
		fprintf(stderr, "+(end of file)\n");
	return -1;
}

/* --- NAME.rules -> NAME.ok, and the dump compiles to itself ------------ */

static struct ruleset *
load_one(const char *path, bool jit, struct diags *d)
{
	struct rs_options o;

	rs_options_default(&o);
	o.jit = jit;
	return rs_load_files(&path, 1, &o, d);
}

static void
test_golden_file(const char *name)
{
	char		 path[4600], okpath[4600], dpath[4600], label[4700];
	struct diags	 d = { 0 };
	struct ruleset	*rs, *rs2, *nojit;
	char		*dump, *dump2, *ok;

	snprintf(path, sizeof path, "%s/%s.rules", golden, name);
	snprintf(okpath, sizeof okpath, "%s/%s.ok", golden, name);
	rs = load_one(path, true, &d);
	CHECK(rs != NULL);
	if (rs == NULL) {
		fprintf(stderr, "%s.rules does not compile:\n", name);
		diags_print(&d, stderr);
		diags_free(&d);
		return;
	}
	dump = dump_string(rs);
	if (update) {
		spew(okpath, dump);
		fprintf(stderr, "wrote %s\n", okpath);
	}
	ok = slurp(okpath);
	CHECK(ok != NULL);
	if (ok == NULL)
		fprintf(stderr, "%s: cannot read (NQ_GOLDEN_UPDATE=1 writes it)\n",
		    okpath);
	else {
		snprintf(label, sizeof label, "golden/%s.ok", name);
		CHECK(text_diff(label, ok, "rs_dump", dump) == 0);
	}

	/* a golden that leaves a part untested proves nothing about it */
	CHECK_INT(rs_check_coverage(rs, &d), 0);
	CHECK_INT(rs_check_examples(rs, &d), 0);

	/* the dump is a rule file that compiles to the same dump and hash */
	snprintf(dpath, sizeof dpath, "%s/%s.dump.rules", tmpdir, name);
	spew(dpath, dump);
	rs2 = load_one(dpath, true, &d);
	CHECK(rs2 != NULL);
	if (rs2 != NULL) {
		dump2 = dump_string(rs2);
		snprintf(label, sizeof label, "rs_dump of the dump of %s", name);
		CHECK(text_diff("rs_dump", dump, label, dump2) == 0);
		CHECK_STR(rs_hash(rs2), rs_hash(rs));
		CHECK_INT(rs_rule_count(rs2), rs_rule_count(rs));
		CHECK_INT(rs_example_count(rs2), rs_example_count(rs));
		CHECK_INT(rs_check_coverage(rs2, &d), 0);
		free(dump2);
		rs_free(rs2);
	}
	unlink(dpath);

	/* the interpreter compiles the same set */
	nojit = load_one(path, false, &d);
	CHECK(nojit != NULL);
	if (nojit != NULL) {
		CHECK_STR(rs_hash(nojit), rs_hash(rs));
		rs_free(nojit);
	}
	if (d.n > 0)
		diags_print(&d, stderr);
	free(ok);
	free(dump);
	rs_free(rs);
	diags_free(&d);
}

/* --- errors/NAME.rules -> NAME.err -------------------------------------- */

static int
cmp_diag(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;
	int c;

	if ((c = strcmp(x->file, y->file)) != 0)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return strcmp(x->msg, y->msg);
}

/* Replaces every "golden/" prefix (absolute) in s by nothing. */
static char *
relativize(const char *s)
{
	char		 prefix[4200];
	size_t		 plen, cap = strlen(s) + 1, n = 0;
	char		*out = malloc(cap);
	const char	*p = s, *q;

	snprintf(prefix, sizeof prefix, "%s/", golden);
	plen = strlen(prefix);
	while ((q = strstr(p, prefix)) != NULL) {
		memcpy(out + n, p, q - p);
		n += q - p;
		p = q + plen;
	}
	memcpy(out + n, p, strlen(p) + 1);
	return out;
}

/* The non-empty, non-comment lines of text. */
static size_t
split_lines(char *text, char ***out)
{
	char	**v = NULL, *line, *save = NULL;
	size_t	  n = 0;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '\0' || line[0] == '#')
			continue;
		v = realloc(v, (n + 1) * sizeof *v);
		v[n++] = line;
	}
	*out = v;
	return n;
}

static bool
in_list(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static void
test_error_file(const char *name)
{
	char		 path[4600], errpath[4600], buf[8192];
	struct diags	 d = { 0 };
	struct ruleset	*rs;
	char		*expected, **exp = NULL, **got = NULL, *out = NULL;
	size_t		 nexp, ngot, i, outlen = 0;
	FILE		*fp;

	snprintf(path, sizeof path, "%s/errors/%s.rules", golden, name);
	snprintf(errpath, sizeof errpath, "%s/errors/%s.err", golden, name);
	rs = load_one(path, true, &d);
	if (rs != NULL) {
		/* it builds: then what it must report is untested parts */
		CHECK(rs_check_coverage(rs, &d) > 0);
		rs_free(rs);
	}
	qsort(d.v, d.n, sizeof *d.v, cmp_diag);
	fp = open_memstream(&out, &outlen);
	for (i = 0; i < d.n; i++) {
		char *rel;

		diags_format(&d, i, buf, sizeof buf);
		rel = relativize(buf);
		fprintf(fp, "%s\n", rel);
		free(rel);
	}
	fclose(fp);
	if (update) {
		spew(errpath, out);
		fprintf(stderr, "wrote %s\n", errpath);
	}
	if ((expected = slurp(errpath)) == NULL) {
		CHECK(expected != NULL);
		fprintf(stderr, "%s: cannot read (NQ_GOLDEN_UPDATE=1 writes it)\n",
		    errpath);
		free(out);
		diags_free(&d);
		return;
	}
	nexp = split_lines(expected, &exp);
	ngot = split_lines(out, &got);
	CHECK(nexp > 0);
	CHECK_INT(ngot, nexp);
	/* every expected diagnostic is there, and nothing else */
	for (i = 0; i < nexp; i++)
		if (!in_list(got, ngot, exp[i])) {
			CHECK(!"expected diagnostic reported");
			fprintf(stderr, "  errors/%s.err: missing: %s\n", name,
			    exp[i]);
		}
	for (i = 0; i < ngot; i++)
		if (!in_list(exp, nexp, got[i])) {
			CHECK(!"reported diagnostic expected");
			fprintf(stderr, "  errors/%s.err: unexpected: %s\n", name,
			    got[i]);
		}
	/* and in file:line order, so the .err reads like the file */
	for (i = 0; i < nexp && i < ngot; i++)
		if (strcmp(exp[i], got[i]) != 0) {
			CHECK(!"diagnostics in file:line order");
			fprintf(stderr, "  errors/%s.err: line %zu: expected "
			    "\"%s\", got \"%s\"\n", name, i + 1, exp[i], got[i]);
			break;
		}
	free(exp);
	free(got);
	free(expected);
	free(out);
	diags_free(&d);
}

int
main(void)
{
	const char	*src = getenv("NQ_SOURCE_DIR"), *u;
	char		 dir[4200], **names;
	size_t		 n, i;

	if (src != NULL && *src != '\0')
		snprintf(golden, sizeof golden, "%s/tests/golden", src);
	else
		snprintf(golden, sizeof golden, "../golden");	/* cwd tests/unit */
	u = getenv("NQ_GOLDEN_UPDATE");
	update = u != NULL && strcmp(u, "1") == 0;
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}

	n = list_rules(golden, &names);
	CHECK(n >= 4);
	for (i = 0; i < n; i++)
		test_golden_file(names[i]);
	free_list(names, n);

	snprintf(dir, sizeof dir, "%s/errors", golden);
	n = list_rules(dir, &names);
	CHECK(n >= 4);
	for (i = 0; i < n; i++)
		test_error_file(names[i]);
	free_list(names, n);

	rmdir(tmpdir);
	return tu_finish("test_golden");
}
