/*
 * exec.c — `exec` (a process in a running container) and `healthcheck run`.
 *
 * exec's exit code is the process's, or as podman's: 125 when cpod fails,
 * 126 when the command cannot be executed, 127 when it is not found.
 * healthcheck run prints "unhealthy" and exits 1 when the check fails.
 */
#include "cli.h"
#include <string.h>

int cmd_exec(int argc, char **argv)
{
	cpod_ctr_exec_opts o = { 0 };
	cli_list env = { 0 }, env_files = { 0 };
	bool tty = false, interactive = false, detach = false, privileged = false;
	const cli_opt opts[] = {
		{ "env", 'e', CLI_LIST, &env },
		{ "env-file", 0, CLI_LIST, &env_files },
		{ "user", 'u', CLI_STR, &o.user },
		{ "workdir", 'w', CLI_STR, &o.workdir },
		{ "tty", 't', CLI_BOOL, &tty },
		{ "interactive", 'i', CLI_BOOL, &interactive },
		{ "detach", 'd', CLI_BOOL, &detach },
		{ "privileged", 0, CLI_BOOL, &privileged },
		{ "detach-keys", 0, CLI_STR, &o.detach_keys },
		{ NULL, 0, 0, NULL },
	};
	int idx;
	if ((idx = cli_parse("exec", argc, argv, opts, true, &argc)) < 0)
		return 125;
	if (argc - idx < 2) {
		cli_error("exec: a container and a command are required");
		return 125;
	}
	o.env = env.v;
	o.env_files = env_files.v;
	o.tty = tty;
	o.interactive = interactive;
	o.detach = detach;
	o.privileged = privileged;
	o.args = (const char *const *)(argv + idx + 1);
	cpod_err err;
	int status = 0;
	if (cpod_container_exec(cli_engine(), argv[idx], &o, &status, &err) < 0) {
		cli_errorx(&err);
		return cli_exit_code(&err);
	}
	return status;
}

int cmd_healthcheck(int argc, char **argv)
{
	const cli_opt none[] = { { NULL, 0, 0, NULL } };
	if (argc < 2 || strcmp(argv[1], "run") != 0) {
		cli_error("healthcheck: the subcommand is run");
		return 125;
	}
	argc--;
	argv++;
	if (cli_parse("healthcheck run", argc, argv, none, false, &argc) < 0)
		return 125;
	if (argc != 2) {
		cli_error("healthcheck run: one container is required");
		return 125;
	}
	cpod_err err;
	int rc = cpod_healthcheck_run(cli_engine(), argv[1], &err);
	if (rc < 0) {
		cli_errorx(&err);
		return 125;
	}
	if (rc > 0)
		printf("unhealthy\n");
	return rc;
}
