/*
 * lifecycle.c — create, start, stop, kill, restart, pause, unpause, wait,
 * rename, attach, logs, and the `container` group that spells them as
 * `container VERB` too.  Output as podman's: the name or id given, one per
 * line, for verbs that act on several containers.
 */
#include "cli.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_create(int argc, char **argv)
{
	cpod_run_opts o = { 0 };
	cpod_err err;
	int n;
	if (cli_run_flags("create", argc, argv, &o, &n) < 0)
		return 125;
	if (n < 2) {
		cli_error("create: an image is required");
		return 125;
	}
	o.image = argv[1];
	o.args = n > 2 ? (const char *const *)(argv + 2) : NULL;
	char *id = cpod_container_create(cli_engine(), &o, &err);
	if (!id) {
		cli_errorx(&err);
		return 125;
	}
	printf("%s\n", id);
	free(id);
	return 0;
}

/* A verb taking containers: applies fn to each, prints each name. */
static int lc_each(const char *verb, int argc, char **argv, const cli_opt *opts,
		   int (*fn)(const char *ctr, void *arg, cpod_err *err), void *arg)
{
	cpod_err err;
	int rc = 0;
	if (cli_parse(verb, argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc < 2) {
		cli_error("%s: a container is required", verb);
		return 125;
	}
	for (int i = 1; i < argc; i++) {
		if (fn(argv[i], arg, &err) < 0) {
			cli_errorx(&err);
			rc = err.code == CPOD_E_NOTFOUND ? 125 : 125;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return rc;
}

static int lc_start(const char *c, void *a, cpod_err *e) { (void)a; return cpod_container_start(cli_engine(), c, e); }
static int lc_pause(const char *c, void *a, cpod_err *e) { (void)a; return cpod_container_pause(cli_engine(), c, e); }
static int lc_unpause(const char *c, void *a, cpod_err *e) { (void)a; return cpod_container_unpause(cli_engine(), c, e); }
static int lc_stop(const char *c, void *a, cpod_err *e) { return cpod_container_stop(cli_engine(), c, *(int *)a, e); }
static int lc_restart(const char *c, void *a, cpod_err *e) { return cpod_container_restart(cli_engine(), c, *(int *)a, e); }
static int lc_kill(const char *c, void *a, cpod_err *e) { return cpod_container_kill(cli_engine(), c, *(int *)a, e); }

int cmd_start(int argc, char **argv)
{
	bool attach = false, interactive = false;
	const cli_opt opts[] = {
		{ "attach", 'a', CLI_BOOL, &attach },
		{ "interactive", 'i', CLI_BOOL, &interactive },
		{ NULL, 0, 0, NULL },
	};
	return lc_each("start", argc, argv, opts, lc_start, NULL);
}

int cmd_pause(int argc, char **argv)
{
	const cli_opt none[] = { { NULL, 0, 0, NULL } };
	return lc_each("pause", argc, argv, none, lc_pause, NULL);
}

int cmd_unpause(int argc, char **argv)
{
	const cli_opt none[] = { { NULL, 0, 0, NULL } };
	return lc_each("unpause", argc, argv, none, lc_unpause, NULL);
}

static int lc_timeout_flag(const char *cmd, int argc, char **argv, int (*fn)(const char *, void *, cpod_err *))
{
	long t = -1;
	const cli_opt opts[] = {
		{ "time", 't', CLI_INT, &t },
		{ "timeout", 0, CLI_INT, &t },
		{ NULL, 0, 0, NULL },
	};
	/* parse once for -t, then let lc_each see the rest */
	int timeout;
	char **copy = calloc((size_t)argc + 1, sizeof(char *));
	if (!copy)
		return 125;
	memcpy(copy, argv, (size_t)argc * sizeof(char *));
	int n;
	if (cli_parse(cmd, argc, copy, opts, false, &n) < 0) {
		free(copy);
		return 125;
	}
	if (t < -1 || t > 86400 * 365) {
		cli_error("%s: --time %ld is out of range", cmd, t);
		free(copy);
		return 125;
	}
	timeout = (int)t;
	const cli_opt none[] = { { NULL, 0, 0, NULL } };
	int rc = lc_each(cmd, n, copy, none, fn, &timeout);
	free(copy);
	return rc;
}

int cmd_stop(int argc, char **argv) { return lc_timeout_flag("stop", argc, argv, lc_stop); }
int cmd_restart(int argc, char **argv) { return lc_timeout_flag("restart", argc, argv, lc_restart); }

static int lc_signal_number(const char *s)
{
	static const char *const names[] = { NULL, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS",
					     "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM",
					     "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN",
					     "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH",
					     "IO", "PWR", "SYS" };
	char *end;
	long n = strtol(s, &end, 10);
	if (*s && !*end)
		return n > 0 && n < 65 ? (int)n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (int i = 1; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (strcasecmp(names[i], s) == 0)
			return i;
	return -1;
}

int cmd_kill(int argc, char **argv)
{
	const char *sig = "KILL";
	const cli_opt opts[] = { { "signal", 's', CLI_STR, &sig }, { NULL, 0, 0, NULL } };
	char **copy = calloc((size_t)argc + 1, sizeof(char *));
	int n;
	if (!copy)
		return 125;
	memcpy(copy, argv, (size_t)argc * sizeof(char *));
	if (cli_parse("kill", argc, copy, opts, false, &n) < 0) {
		free(copy);
		return 125;
	}
	int s = lc_signal_number(sig);
	if (s < 0) {
		cli_error("kill: unknown signal \"%s\"", sig);
		free(copy);
		return 125;
	}
	const cli_opt none[] = { { NULL, 0, 0, NULL } };
	int rc = lc_each("kill", n, copy, none, lc_kill, &s);
	free(copy);
	return rc;
}

int cmd_wait(int argc, char **argv)
{
	cli_list conditions = { 0 };
	const char *interval = NULL;
	const cli_opt opts[] = {
		{ "condition", 0, CLI_LIST, &conditions },
		{ "interval", 'i', CLI_STR, &interval },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	int rc = 0;
	if (cli_parse("wait", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc < 2) {
		cli_error("wait: a container is required");
		return 125;
	}
	for (int i = 1; i < argc; i++) {
		int code = 0;
		if (cpod_container_wait(cli_engine(), argv[i], conditions.v, &code, &err) < 0) {
			cli_errorx(&err);
			rc = 125;
			continue;
		}
		printf("%d\n", code);
	}
	free(conditions.v);
	return rc;
}

int cmd_rename(int argc, char **argv)
{
	const cli_opt none[] = { { NULL, 0, 0, NULL } };
	cpod_err err;
	if (cli_parse("rename", argc, argv, none, false, &argc) < 0)
		return 125;
	if (argc != 3) {
		cli_error("rename: CONTAINER and NEW-NAME are required");
		return 125;
	}
	if (cpod_container_rename(cli_engine(), argv[1], argv[2], &err) < 0) {
		cli_errorx(&err);
		return 125;
	}
	return 0;
}

int cmd_attach(int argc, char **argv)
{
	const char *keys = NULL;
	bool no_stdin = false, sig_proxy = true;
	const cli_opt opts[] = {
		{ "detach-keys", 0, CLI_STR, &keys },
		{ "no-stdin", 0, CLI_BOOL, &no_stdin },
		{ "sig-proxy", 0, CLI_BOOL, &sig_proxy },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	int status = 0;
	if (cli_parse("attach", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc != 2) {
		cli_error("attach: a container is required");
		return 125;
	}
	if (cpod_container_attach(cli_engine(), argv[1], no_stdin ? -1 : 0, 1, 2, keys, &status, &err) < 0) {
		cli_errorx(&err);
		return 125;
	}
	return status == CPOD_STATUS_DETACHED ? 0 : status & 0xff;
}

int cmd_logs(int argc, char **argv)
{
	cpod_logs_opts o = { .tail = -1 };
	bool follow = false, timestamps = false;
	const char *tail = NULL;
	const cli_opt opts[] = {
		{ "follow", 'f', CLI_BOOL, &follow },
		{ "tail", 'n', CLI_STR, &tail },
		{ "since", 0, CLI_STR, &o.since },
		{ "until", 0, CLI_STR, &o.until },
		{ "timestamps", 't', CLI_BOOL, &timestamps },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse("logs", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc != 2) {
		cli_error("logs: a container is required");
		return 125;
	}
	if (tail && strcmp(tail, "all") != 0) {
		char *end;
		o.tail = strtol(tail, &end, 10);
		if (*end || end == tail || o.tail < 0) {
			cli_error("logs: --tail \"%s\" is not a number", tail);
			return 125;
		}
	}
	o.follow = follow;
	o.timestamps = timestamps;
	fflush(stdout);
	if (cpod_container_logs(cli_engine(), argv[1], &o, 1, 2, &err) < 0) {
		cli_errorx(&err);
		return 125;
	}
	return 0;
}

static int lc_prune(int argc, char **argv)
{
	bool force = false;
	const cli_opt opts[] = { { "force", 'f', CLI_BOOL, &force }, { NULL, 0, 0, NULL } };
	cpod_err err;
	if (cli_parse("container prune", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (!force && isatty(0)) {
		char answer[16] = "";
		fprintf(stderr, "WARNING! This will remove all non running containers.\n"
				"Are you sure you want to continue? [y/N] ");
		if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
			return 0;
	}
	char *ids = cpod_container_prune(cli_engine(), &err);
	if (!ids) {
		cli_errorx(&err);
		return 125;
	}
	fputs(ids, stdout);
	free(ids);
	return 0;
}

static int lc_inspect(int argc, char **argv)
{
	return cli_inspect("container inspect", "container", argc, argv);
}

int cmd_container(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = {
		{ "create", cmd_create }, { "start", cmd_start }, { "stop", cmd_stop },
		{ "kill", cmd_kill }, { "restart", cmd_restart }, { "pause", cmd_pause },
		{ "unpause", cmd_unpause }, { "wait", cmd_wait }, { "rename", cmd_rename },
		{ "attach", cmd_attach }, { "logs", cmd_logs }, { "run", cmd_run },
		{ "rm", cmd_rm }, { "ps", cmd_ps }, { "ls", cmd_ps }, { "list", cmd_ps },
		{ "export", cmd_export }, { "exec", cmd_exec }, { "inspect", lc_inspect }, { "cp", cmd_cp },
		{ "top", cmd_top }, { "stats", cmd_stats }, { "diff", cmd_diff }, { "commit", cmd_commit },
		{ "prune", lc_prune },
	};
	if (argc < 2) {
		cli_error("container: a subcommand is required");
		return 125;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(argc - 1, argv + 1);
	cli_error("container: unknown subcommand \"%s\"", argv[1]);
	return 125;
}
