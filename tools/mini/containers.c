/*
 * containers.c — the container commands: run, rm, export.
 */
#include "cli.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *S(const cpod_json_value *v)
{
	const char *s = cpod_json_str(v);
	return s ? s : "";
}

int cmd_run(int argc, char **argv)
{
	cpod_run_opts o = { 0 };
	cpod_err err;
	int status = 0, n;

	if (cli_run_flags("run", argc, argv, &o, &n) < 0)
		return 125;
	if (n < 2) {
		cli_error("run: an image is required");
		return 125;
	}
	o.image = argv[1];
	o.args = n > 2 ? (const char *const *)(argv + 2) : NULL;
	if (o.tty && !isatty(0))
		fprintf(stderr, "%s: warning: the input device is not a TTY\n", cli_progname());
	if (o.detach) {
		char *id = cpod_run_detached(cli_engine(), &o, &err);
		if (!id) {
			cli_errorx(&err);
			return cli_exit_code(&err);
		}
		printf("%s\n", id);
		free(id);
		return 0;
	}
	if (cpod_run(cli_engine(), &o, &status, &err) < 0) {
		cli_errorx(&err);
		return cli_exit_code(&err);
	}
	return status;
}

/* rm -f -t N: a running container gets N seconds to stop (podman's
 * --time) before it is removed. */
static int rm_one(const char *id, bool force, bool volumes, long time, cpod_err *err)
{
	if (force && time >= 0)
		cpod_container_stop(cli_engine(), id, time > 100000 ? 100000 : (int)time, NULL);
	return cpod_container_remove_v(cli_engine(), id, force, volumes, err);
}

int cmd_rm(int argc, char **argv)
{
	bool force = false, all = false, ignore = false, volumes = false;
	long time = -1;
	const cli_opt opts[] = {
		{ "time", 't', CLI_INT, &time },
		{ "force", 'f', CLI_BOOL, &force },
		{ "all", 'a', CLI_BOOL, &all },
		{ "ignore", 'i', CLI_BOOL, &ignore },
		{ "volumes", 'v', CLI_BOOL, &volumes },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	int rc = 0;
	if (cli_parse("rm", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (all) {
		char *s = cpod_container_list(cli_engine(), 1, &err);
		cpod_json *doc = s ? cpod_json_parse(s, &err) : NULL;
		free(s);
		if (!doc) {
			cli_errorx(&err);
			return 125;
		}
		const cpod_json_value *arr = cpod_json_root(doc);
		for (size_t i = 0; i < cpod_json_len(arr); i++) {
			const char *id = S(cpod_json_get(cpod_json_at(arr, i), "Id"));
			if (rm_one(id, force, volumes, time, &err) < 0) {
				cli_errorx(&err);
				rc = 125;
			} else {
				printf("%s\n", id);
			}
		}
		cpod_json_free(doc);
		return rc;
	}
	if (argc < 2) {
		cli_error("rm: a container is required");
		return 125;
	}
	for (int i = 1; i < argc; i++) {
		if (rm_one(argv[i], force, volumes, time, &err) < 0) {
			if (ignore && err.code == CPOD_E_NOTFOUND)
				continue;
			cli_errorx(&err);
			rc = err.code == CPOD_E_NOTFOUND ? 1 : err.code == CPOD_E_STATE ? 2 : 125;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return rc;
}

int cmd_export(int argc, char **argv)
{
	const char *output = NULL;
	const cli_opt opts[] = { { "output", 'o', CLI_STR, &output }, { NULL, 0, 0, NULL } };
	cpod_err err;
	if (cli_parse("export", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc < 2) {
		cli_error("export: a container is required");
		return 125;
	}
	int fd = 1;
	if (output && strcmp(output, "-") != 0) {
		fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			cli_error("export: create %s: %s", output, strerror(errno));
			return 125;
		}
	} else if (isatty(1)) {
		cli_error("export: refusing to write a tar to a terminal: use -o FILE");
		return 125;
	}
	int r = cpod_container_export(cli_engine(), argv[1], fd, &err);
	if (fd != 1)
		close(fd);
	if (r < 0) {
		if (output)
			unlink(output);
		cli_errorx(&err);
		return 125;
	}
	return 0;
}

int cmd_cp(int argc, char **argv)
{
	bool archive = true, overwrite = false;
	const cli_opt opts[] = {
		{ "archive", 'a', CLI_BOOL, &archive },
		{ "overwrite", 0, CLI_BOOL, &overwrite },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse("cp", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc != 3) {
		cli_error("cp: SRC and DEST are required (one of them CONTAINER:PATH)");
		return 125;
	}
	if (strcmp(argv[2], "-") == 0 && isatty(1)) {
		cli_error("cp: refusing to write a tar to a terminal");
		return 125;
	}
	if (cpod_container_cp(cli_engine(), argv[1], argv[2], &err) < 0) {
		cli_errorx(&err);
		return 125;
	}
	return 0;
}
