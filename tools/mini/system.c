/*
 * system.c — system check, system df, system prune, info.
 */
#include "cli.h"
#include <stdlib.h>
#include <string.h>

static const char *S(const cpod_json_value *v)
{
	const char *s = cpod_json_str(v);
	return s ? s : "";
}

static int system_check(int argc, char **argv)
{
	bool repair = false, quick = false;
	const cli_opt opts[] = {
		{ "repair", 'r', CLI_BOOL, &repair },
		{ "quick", 'q', CLI_BOOL, &quick },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	int problems = 0;
	if (cli_parse("system check", argc, argv, opts, false, &argc) < 0)
		return 125;
	char *report = cpod_system_check(cli_engine(), repair, &problems, &err);
	if (!report) {
		cli_errorx(&err);
		return 125;
	}
	fputs(report, stdout);
	free(report);
	if (problems) {
		printf("%d inconsistenc%s found%s\n", problems, problems == 1 ? "y" : "ies",
		       repair ? " that could not be repaired" : " (run system check --repair)");
		return 1;
	}
	printf("the store is consistent\n");
	return 0;
}

static int system_df(int argc, char **argv)
{
	const char *format = NULL;
	const cli_opt opts[] = { { "format", 0, CLI_STR, &format }, { NULL, 0, 0, NULL } };
	cpod_err err;
	if (cli_parse("system df", argc, argv, opts, false, &argc) < 0)
		return 125;
	char *s = cpod_system_df(cli_engine(), &err);
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
	printf("%-15s %-8s %-8s %-12s %s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE");
	const cpod_json_value *arr = cpod_json_root(doc);
	for (size_t i = 0; i < cpod_json_len(arr); i++) {
		const cpod_json_value *r = cpod_json_at(arr, i);
		char size[32], rec[32];
		int64_t sz = cpod_json_int(cpod_json_get(r, "RawSize"));
		int64_t rc = cpod_json_int(cpod_json_get(r, "RawReclaimable"));
		cli_human_size(sz, size, sizeof(size));
		cli_human_size(rc, rec, sizeof(rec));
		printf("%-15s %-8lld %-8lld %-12s %s (%lld%%)\n", S(cpod_json_get(r, "Type")),
		       (long long)cpod_json_int(cpod_json_get(r, "Total")),
		       (long long)cpod_json_int(cpod_json_get(r, "Active")), size, rec,
		       sz ? (long long)(rc * 100 / sz) : 0LL);
	}
	cpod_json_free(doc);
	return 0;
}

static int system_prune(int argc, char **argv)
{
	bool all = false, force = false;
	const cli_opt opts[] = {
		{ "all", 'a', CLI_BOOL, &all },
		{ "force", 'f', CLI_BOOL, &force },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse("system prune", argc, argv, opts, false, &argc) < 0)
		return 125;
	char *s = cpod_system_prune(cli_engine(), all, &err);
	if (!s) {
		cli_errorx(&err);
		return 125;
	}
	fputs(s, stdout);
	free(s);
	return 0;
}

int cmd_info(int argc, char **argv)
{
	const char *format = NULL;
	const cli_opt opts[] = { { "format", 'f', CLI_STR, &format }, { NULL, 0, 0, NULL } };
	cpod_err err;
	if (cli_parse("info", argc, argv, opts, false, &argc) < 0)
		return 125;
	char *s = cpod_info(cli_engine(), &err);
	if (!s) {
		cli_errorx(&err);
		return 125;
	}
	printf("%s\n", s);
	free(s);
	return 0;
}

int cmd_system(int argc, char **argv)
{
	if (argc < 2) {
		cli_error("system: a subcommand is required (check, df, prune, info)");
		return 125;
	}
	const char *sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "check") == 0)
		return system_check(argc, argv);
	if (strcmp(sub, "df") == 0)
		return system_df(argc, argv);
	if (strcmp(sub, "prune") == 0)
		return system_prune(argc, argv);
	if (strcmp(sub, "info") == 0)
		return cmd_info(argc, argv);
	cli_error("system: unknown subcommand \"%s\"", sub);
	return 125;
}
