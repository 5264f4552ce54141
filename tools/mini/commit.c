/*
 * commit.c — `diff` (what a container changed: "C /etc", "A /new",
 * "D /gone", by path) and `commit` (an image of the container).
 */
#include "cli.h"
#include <stdlib.h>
#include <string.h>

static const char *S(const cpod_json_value *v)
{
	const char *s = cpod_json_str(v);
	return s ? s : "";
}

typedef struct diff_row {
	char kind;
	const char *path;
} diff_row;

static int diff_cmp(const void *a, const void *b)
{
	return strcmp(((const diff_row *)a)->path, ((const diff_row *)b)->path);
}

int cmd_diff(int argc, char **argv)
{
	const char *format = NULL;
	const cli_opt opts[] = { { "format", 0, CLI_STR, &format }, { NULL, 0, 0, NULL } };
	cpod_err err;
	if (cli_parse("diff", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc != 2) {
		cli_error("diff: one container is required");
		return 125;
	}
	char *s = cpod_container_diff(cli_engine(), argv[1], &err);
	if (!s) {
		cli_errorx(&err);
		return 125;
	}
	if (format && strcmp(format, "json") == 0) {
		printf("%s\n", s);
		free(s);
		return 0;
	}
	cpod_json *doc = cpod_json_parse(s, &err);
	free(s);
	if (!doc) {
		cli_errorx(&err);
		return 125;
	}
	const cpod_json_value *root = cpod_json_root(doc);
	static const struct {
		const char *key;
		char kind;
	} kinds[] = { { "changed", 'C' }, { "added", 'A' }, { "deleted", 'D' } };
	size_t n = 0, total = 0;
	for (size_t k = 0; k < 3; k++)
		total += cpod_json_len(cpod_json_get(root, kinds[k].key));
	diff_row *rows = calloc(total ? total : 1, sizeof(*rows));
	for (size_t k = 0; rows && k < 3; k++) {
		const cpod_json_value *l = cpod_json_get(root, kinds[k].key);
		for (size_t i = 0; i < cpod_json_len(l); i++)
			rows[n++] = (diff_row){ kinds[k].kind, S(cpod_json_at(l, i)) };
	}
	if (rows)
		qsort(rows, n, sizeof(*rows), diff_cmp);
	for (size_t i = 0; i < n; i++)
		printf("%c %s\n", rows[i].kind, rows[i].path);
	free(rows);
	cpod_json_free(doc);
	return 0;
}

int cmd_commit(int argc, char **argv)
{
	cli_list changes = { 0 };
	const char *message = NULL, *author = NULL, *format = NULL;
	bool pause = true, quiet = false;
	const cli_opt opts[] = {
		{ "change", 'c', CLI_LIST, &changes },
		{ "message", 'm', CLI_STR, &message },
		{ "author", 'a', CLI_STR, &author },
		{ "pause", 'p', CLI_BOOL, &pause },
		{ "quiet", 'q', CLI_BOOL, &quiet },
		{ "format", 'f', CLI_STR, &format },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse("commit", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc < 2 || argc > 3) {
		cli_error("commit: CONTAINER [IMAGE] is required");
		return 125;
	}
	if (format && strcmp(format, "oci") != 0 && strcmp(format, "docker") != 0) {
		cli_error("commit: --format %s: must be oci or docker", format);
		return 125;
	}
	char *id = cpod_container_commit(cli_engine(), argv[1], argc > 2 ? argv[2] : NULL, changes.v,
					 message, author, pause, &err);
	if (!id) {
		cli_errorx(&err);
		return 125;
	}
	printf("%s\n", id);
	free(id);
	return 0;
}
