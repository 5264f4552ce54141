/*
 * volumes.c — `volume create | ls | inspect | rm | prune`, as podman's.
 */
#include "cli.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *volumes_S(const cpod_json_value *v)
{
	const char *s = cpod_json_str(v);
	return s ? s : "";
}

static int volumes_create(int argc, char **argv)
{
	static cli_list labels, options;
	const char *driver = NULL;
	bool ignore = false;
	const cli_opt opts[] = {
		{ "label", 'l', CLI_LIST, &labels },
		{ "opt", 'o', CLI_LIST, &options },
		{ "driver", 'd', CLI_STR, &driver },
		{ "ignore", 0, CLI_BOOL, &ignore },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse("volume create", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc > 2) {
		cli_error("volume create: at most one name");
		return 125;
	}
	cpod_volume_opts o = { .labels = labels.v, .options = options.v, .driver = driver };
	char *name = cpod_volume_create(cli_engine(), argc > 1 ? argv[1] : NULL, &o, &err);
	if (!name) {
		if (ignore && err.code == CPOD_E_EXISTS) {
			printf("%s\n", argv[1]);
			return 0;
		}
		cli_errorx(&err);
		return 125;
	}
	printf("%s\n", name);
	free(name);
	return 0;
}

/* --filter label=K[=V], name=N, dangling=true|false. */
static bool volumes_match(const cpod_json_value *v, const cli_list *filters)
{
	for (size_t i = 0; i < filters->n; i++) {
		const char *f = filters->v[i], *eq = strchr(f, '=');
		if (!eq)
			return false;
		size_t k = (size_t)(eq - f);
		const char *val = eq + 1;
		if (k == 5 && strncmp(f, "label", 5) == 0) {
			const char *e2 = strchr(val, '=');
			char key[256];
			snprintf(key, sizeof(key), "%.*s", e2 ? (int)(e2 - val) : (int)strlen(val), val);
			const cpod_json_value *l = cpod_json_get(cpod_json_get(v, "Labels"), key);
			if (!l || (e2 && strcmp(volumes_S(l), e2 + 1) != 0))
				return false;
		} else if (k == 4 && strncmp(f, "name", 4) == 0) {
			if (!strstr(volumes_S(cpod_json_get(v, "Name")), val))
				return false;
		} else if (k == 8 && strncmp(f, "dangling", 8) == 0) {
			bool dangling = cpod_json_int(cpod_json_get(v, "Containers")) == 0;
			if (dangling != (strcmp(val, "true") == 0 || strcmp(val, "1") == 0))
				return false;
		} else if (k == 6 && strncmp(f, "driver", 6) == 0) {
			if (strcmp(volumes_S(cpod_json_get(v, "Driver")), val) != 0)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

static int volumes_ls(int argc, char **argv)
{
	static cli_list filters;
	const char *format = NULL;
	bool quiet = false;
	const cli_opt opts[] = {
		{ "format", 0, CLI_STR, &format },
		{ "quiet", 'q', CLI_BOOL, &quiet },
		{ "filter", 'f', CLI_LIST, &filters },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse("volume ls", argc, argv, opts, false, &argc) < 0)
		return 125;
	for (size_t i = 0; i < filters.n; i++) {
		const char *f = filters.v[i];
		if (strncmp(f, "label=", 6) != 0 && strncmp(f, "name=", 5) != 0 &&
		    strncmp(f, "dangling=", 9) != 0 && strncmp(f, "driver=", 7) != 0) {
			cli_error("volume ls: --filter %s: unknown filter (label, name, dangling, driver)", f);
			return 125;
		}
	}
	char *s = cpod_volume_list(cli_engine(), &err);
	if (!s) {
		cli_errorx(&err);
		return 125;
	}
	cpod_json *doc = cpod_json_parse(s, &err);
	free(s);
	if (!doc) {
		cli_errorx(&err);
		return 125;
	}
	const cpod_json_value *arr = cpod_json_root(doc);
	bool json = format && strcmp(format, "json") == 0;
	if (json)
		printf("[");
	else if (!quiet)
		printf("%-10s  %s\n", "DRIVER", "VOLUME NAME");
	size_t shown = 0;
	for (size_t i = 0; i < cpod_json_len(arr); i++) {
		const cpod_json_value *v = cpod_json_at(arr, i);
		if (!volumes_match(v, &filters))
			continue;
		if (json) {
			char *t = cpod_json_text(v);
			printf("%s\n    %s", shown ? "," : "", t ? t : "null");
			free(t);
		} else if (quiet) {
			printf("%s\n", volumes_S(cpod_json_get(v, "Name")));
		} else {
			printf("%-10s  %s\n", volumes_S(cpod_json_get(v, "Driver")),
			       volumes_S(cpod_json_get(v, "Name")));
		}
		shown++;
	}
	if (json)
		printf("%s]\n", shown ? "\n" : "");
	cpod_json_free(doc);
	return 0;
}

static int volumes_inspect(int argc, char **argv)
{
	const char *format = NULL;
	bool all = false;
	const cli_opt opts[] = {
		{ "format", 'f', CLI_STR, &format },
		{ "all", 'a', CLI_BOOL, &all },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	int rc = 0;
	if (cli_parse("volume inspect", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc < 2 && !all) {
		cli_error("volume inspect: a volume name is required");
		return 125;
	}
	if (all) {
		char *s = cpod_volume_list(cli_engine(), &err);
		if (!s) {
			cli_errorx(&err);
			return 125;
		}
		printf("%s\n", s);
		free(s);
		return 0;
	}
	printf("[\n");
	bool first = true;
	for (int i = 1; i < argc; i++) {
		char *s = cpod_volume_inspect(cli_engine(), argv[i], &err);
		if (!s) {
			cli_errorx(&err);
			rc = 125;
			continue;
		}
		printf("%s%s", first ? "" : ",\n", s);
		first = false;
		free(s);
	}
	printf("%s]\n", first ? "" : "\n");
	return rc;
}

static int volumes_rm(int argc, char **argv)
{
	bool force = false, all = false;
	const cli_opt opts[] = {
		{ "force", 'f', CLI_BOOL, &force },
		{ "all", 'a', CLI_BOOL, &all },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	int rc = 0;
	if (cli_parse("volume rm", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc < 2 && !all) {
		cli_error("volume rm: a volume name is required (or --all)");
		return 125;
	}
	if (all) {
		char *s = cpod_volume_list(cli_engine(), &err);
		cpod_json *doc = s ? cpod_json_parse(s, &err) : NULL;
		free(s);
		if (!doc) {
			cli_errorx(&err);
			return 125;
		}
		const cpod_json_value *arr = cpod_json_root(doc);
		for (size_t i = 0; i < cpod_json_len(arr); i++) {
			const char *n = volumes_S(cpod_json_get(cpod_json_at(arr, i), "Name"));
			if (cpod_volume_remove(cli_engine(), n, force, &err) < 0) {
				cli_errorx(&err);
				rc = err.code == CPOD_E_STATE ? 2 : 125;
			} else {
				printf("%s\n", n);
			}
		}
		cpod_json_free(doc);
		return rc;
	}
	for (int i = 1; i < argc; i++) {
		if (cpod_volume_remove(cli_engine(), argv[i], force, &err) < 0) {
			cli_errorx(&err);
			/* podman: 1 for a missing volume, 2 for one in use */
			if (rc == 0)
				rc = err.code == CPOD_E_NOTFOUND ? 1 : err.code == CPOD_E_STATE ? 2 : 125;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return rc;
}

static int volumes_prune(int argc, char **argv)
{
	bool force = false;
	static cli_list filters;
	const cli_opt opts[] = {
		{ "force", 'f', CLI_BOOL, &force },
		{ "filter", 0, CLI_LIST, &filters },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse("volume prune", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (filters.n) {
		cli_error("volume prune: --filter is not supported");
		return 125;
	}
	if (!force) {
		char answer[16] = "";
		fprintf(stderr, "WARNING! This will remove all volumes not used by at least one "
				"container. The following volumes will be removed:\n");
		char *s = cpod_volume_list(cli_engine(), &err);
		cpod_json *doc = s ? cpod_json_parse(s, &err) : NULL;
		free(s);
		if (!doc) {
			cli_errorx(&err);
			return 125;
		}
		const cpod_json_value *arr = cpod_json_root(doc);
		for (size_t i = 0; i < cpod_json_len(arr); i++) {
			const cpod_json_value *v = cpod_json_at(arr, i);
			if (cpod_json_int(cpod_json_get(v, "Containers")) == 0)
				fprintf(stderr, "%s\n", volumes_S(cpod_json_get(v, "Name")));
		}
		cpod_json_free(doc);
		fprintf(stderr, "Are you sure you want to continue? [y/N] ");
		if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
			return 0;
	}
	char *s = cpod_volume_prune(cli_engine(), &err);
	if (!s) {
		cli_errorx(&err);
		return 125;
	}
	fputs(s, stdout);
	free(s);
	return 0;
}

int cmd_volume(int argc, char **argv)
{
	if (argc < 2) {
		cli_error("volume: a subcommand is required (create, ls, inspect, rm, prune)");
		return 125;
	}
	const char *sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "create") == 0)
		return volumes_create(argc, argv);
	if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
		return volumes_ls(argc, argv);
	if (strcmp(sub, "inspect") == 0)
		return volumes_inspect(argc, argv);
	if (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0)
		return volumes_rm(argc, argv);
	if (strcmp(sub, "prune") == 0)
		return volumes_prune(argc, argv);
	cli_error("volume: unknown subcommand \"%s\"", sub);
	return 125;
}
