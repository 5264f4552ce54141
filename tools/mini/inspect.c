/*
 * inspect.c — `inspect`, `container inspect`, `image inspect`: a JSON array
 * of the objects named, or a Go template (--format) rendered per object.
 * A plain `inspect` looks for a container first, then an image, as podman
 * does; --type container|image narrows it.
 */
#include "cli.h"
#include <stdlib.h>
#include <string.h>

static char *inspect_one(const char *type, const char *name, cpod_err *err)
{
	char *s = NULL;
	bool any = strcmp(type, "all") == 0;
	if (any || strcmp(type, "container") == 0) {
		s = cpod_container_inspect(cli_engine(), name, err);
		if (s || !any || err->code != CPOD_E_NOTFOUND)
			return s;
	}
	s = cpod_image_inspect(cli_engine(), name, err);
	if (!s && any && err->code == CPOD_E_NOTFOUND)
		snprintf(err->msg, sizeof(err->msg), "no such object: \"%s\"", name);
	return s;
}

int cli_inspect(const char *cmd, const char *type, int argc, char **argv)
{
	const char *format = NULL, *type_opt = NULL;
	bool size = false, latest = false;
	const cli_opt opts[] = {
		{ "format", 'f', CLI_STR, &format },
		{ "type", 't', CLI_STR, &type_opt },
		{ "size", 's', CLI_BOOL, &size },
		{ "latest", 'l', CLI_BOOL, &latest },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	int rc = 0;
	if (cli_parse(cmd, argc, argv, opts, false, &argc) < 0)
		return 125;
	if (type_opt) {
		if (strcmp(type_opt, "container") != 0 && strcmp(type_opt, "image") != 0 &&
		    strcmp(type_opt, "all") != 0) {
			cli_error("%s: --type %s: must be container, image or all", cmd, type_opt);
			return 125;
		}
		type = type_opt;
	}
	if (argc < 2) {
		cli_error("%s: a name is required", cmd);
		return 125;
	}
	char *tmpl = format && strcmp(format, "json") != 0 ? cli_template_unescape(format) : NULL;
	if (!tmpl)
		printf("[");
	size_t shown = 0;
	for (int i = 1; i < argc; i++) {
		char *s = inspect_one(type, argv[i], &err);
		if (!s) {
			cli_errorx(&err);
			rc = 125;
			continue;
		}
		if (tmpl) {
			cpod_json *doc = cpod_json_parse(s, &err);
			if (!doc || cli_template(stdout, tmpl, cpod_json_root(doc)) < 0)
				rc = 125;
			else
				putchar('\n');
			cpod_json_free(doc);
		} else {
			printf("%s\n    %s", shown ? "," : "", s);
		}
		shown++;
		free(s);
	}
	if (!tmpl)
		printf("%s]\n", shown ? "\n" : "");
	free(tmpl);
	return rc;
}

int cmd_inspect(int argc, char **argv)
{
	return cli_inspect("inspect", "all", argc, argv);
}
