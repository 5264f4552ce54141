/*
 * cpod-mini — the cpod command line: a podman-style CLI, a runc-compatible
 * OCI runtime CLI (`cpod-mini oci VERB`, or the binary invoked as cpod-runc)
 * and, later, the REST service.  This file only dispatches; each command
 * group lives in tools/mini/ and calls the library through cpod.h.
 */
#include "cli.h"
#include <string.h>

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "run", cmd_run, "run a command in a new container" },
	{ "create", cmd_create, "create a container" },
	{ "start", cmd_start, "start containers" },
	{ "stop", cmd_stop, "stop containers (the stop signal, then SIGKILL)" },
	{ "kill", cmd_kill, "signal containers" },
	{ "restart", cmd_restart, "stop and start containers" },
	{ "pause", cmd_pause, "freeze containers" },
	{ "unpause", cmd_unpause, "thaw containers" },
	{ "wait", cmd_wait, "wait for containers to stop, print their exit codes" },
	{ "rename", cmd_rename, "rename a container" },
	{ "attach", cmd_attach, "attach to a running container" },
	{ "logs", cmd_logs, "a container's output" },
	{ "exec", cmd_exec, "run a process in a running container" },
	{ "healthcheck", cmd_healthcheck, "run a container's health check (healthcheck run CTR)" },
	{ "container", cmd_container, "manage containers (the verbs above, spelled container VERB)" },
	{ "ps", cmd_ps, "list containers" },
	{ "rm", cmd_rm, "remove containers" },
	{ "export", cmd_export, "a container's file system as a tar" },
	{ "cp", cmd_cp, "copy files between a container and the host" },
	{ "top", cmd_top, "the processes of a container" },
	{ "stats", cmd_stats, "resource use of running containers" },
	{ "diff", cmd_diff, "what a container changed in its image" },
	{ "commit", cmd_commit, "make an image of a container" },
	{ "images", cmd_images, "list images" },
	{ "image", cmd_image, "manage images (ls, inspect, rm, prune, tag, untag, history, load, save, import)" },
	{ "inspect", cmd_inspect, "details of images, as JSON" },
	{ "load", cmd_load, "load images from a docker-archive or oci-archive" },
	{ "save", cmd_save, "save images to an archive" },
	{ "import", cmd_import, "make an image of a root file system tarball" },
	{ "rmi", cmd_rmi, "remove images" },
	{ "tag", cmd_tag, "add a name to an image" },
	{ "untag", cmd_untag, "remove names from an image" },
	{ "history", cmd_history, "the layers of an image" },
	{ "pull", cmd_pull, "pull an image from a registry" },
	{ "push", cmd_push, "push an image to a registry" },
	{ "login", cmd_login, "log in to a registry" },
	{ "logout", cmd_logout, "log out of a registry" },
	{ "system", cmd_system, "check, df, prune, info" },
	{ "info", cmd_info, "the host and the store" },
	{ "volume", cmd_volume, "manage volumes (create, ls, inspect, rm, prune)" },
	{ "network", cmd_network, "manage networks (create, ls, inspect, rm, prune, connect, disconnect)" },
	{ "port", cmd_port, "the published ports of a container" },
	{ "__init", cpod_init_main, NULL },
	{ "oci", oci_main, "the OCI runtime (runc's command line; also as cpod-runc)" },
	{ "runtime", oci_main, NULL },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cpod-mini [--root DIR] [--runroot DIR] COMMAND [OPTIONS] [ARGS]\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].help)
			fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f,
		"  version    print the version\n"
		"  help       this text\n");
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];

	/* the supervisor of a container (see src/engine/supervisor.c) */
	if (argc == 5 && strcmp(argv[1], "__supervise") == 0)
		cpod_supervise_main(argv[2], argv[3], argv[4]);
	cpod_set_supervisor_exe("/proc/self/exe");
	if (argc >= 2 && strcmp(argv[1], "__usernet") == 0)
		return cmd_usernet(argc - 1, argv + 1);

	if (strcmp(base, "cpod-runc") == 0 || strcmp(base, "runc") == 0) {
		cli_set_progname("cpod-runc");
		return oci_main(argc, argv);
	}
	/* global options, before the command */
	int i = 1;
	while (i < argc && argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2]) {
		const char *a = argv[i] + 2;
		const char **dst = NULL;
		size_t len = strcspn(a, "=");
		if (len == 4 && strncmp(a, "root", 4) == 0)
			dst = &cli_g.root;
		else if (len == 7 && strncmp(a, "runroot", 7) == 0)
			dst = &cli_g.runroot;
		else
			break;
		if (a[len] == '=') {
			*dst = a + len + 1;
			i++;
		} else if (i + 1 < argc) {
			*dst = argv[i + 1];
			i += 2;
		} else {
			cli_error("--%s needs a value", a);
			return 125;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 125;
	}
	const char *cmd = argv[i];
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("cpod-mini version %s (OCI runtime spec %s)\n", CPOD_VERSION, CPOD_OCI_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(cmd, commands[k].name) == 0) {
			int rc = commands[k].fn(argc - i, argv + i);
			cli_engine_close();
			return rc;
		}
	cli_error("unknown command \"%s\" (see cpod-mini help)", cmd);
	return 125;
}
