/*
 * oci.c — `cpod-mini oci VERB` (or the binary run as cpod-runc): runc's
 * command line, spelled as podman, containerd and CRI-O call it.
 *
 * Global flags come before the verb (--root, --log, --log-format,
 * --debug, --systemd-cgroup); errors go to stderr and, with --log, to the
 * log file too, as JSON lines when --log-format json (what podman and
 * containerd read back when a runtime fails).
 */
#include "cli.h"
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *log_path;
static bool log_json;
static bool debug;

static void oci_log_line(const char *level, const char *msg)
{
	if (!log_path)
		return;
	FILE *f = fopen(log_path, "ae");
	if (!f)
		return;
	struct timespec ts;
	struct tm tm;
	char when[64];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	if (log_json) {
		fprintf(f, "{\"level\":\"%s\",\"msg\":\"", level);
		for (const char *p = msg; *p; p++) {
			if (*p == '"' || *p == '\\')
				fputc('\\', f);
			if ((unsigned char)*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
		fprintf(f, "\",\"time\":\"%s.%09ldZ\"}\n", when, ts.tv_nsec);
	} else {
		fprintf(f, "time=\"%s.%09ldZ\" level=%s msg=\"%s\"\n", when, ts.tv_nsec, level, msg);
	}
	fclose(f);
}

static void oci_log_cb(int level, const char *msg, void *ud)
{
	(void)ud;
	const char *name = level >= CPOD_LOG_ERROR ? "error" : level == CPOD_LOG_WARN ? "warning"
			 : level == CPOD_LOG_INFO ? "info" : "debug";
	if (level >= CPOD_LOG_WARN || debug)
		fprintf(stderr, "%s: %s: %s\n", cli_progname(), name, msg);
	oci_log_line(name, msg);
}

static int oci_fail(const cpod_err *err)
{
	cli_errorx(err);
	oci_log_line("error", err->msg);
	return err->code == CPOD_E_EXEC_NOTFOUND ? 127 : err->code == CPOD_E_EXEC_NOEXEC ? 126 : 1;
}

__attribute__((format(printf, 1, 2))) static int oci_usage_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_error("%s", msg);
	oci_log_line("error", msg);
	return 1;
}

static const struct {
	const char *name;
	int sig;
} oci_signals[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
	{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "BUS", SIGBUS }, { "FPE", SIGFPE },
	{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "STKFLT", SIGSTKFLT },
	{ "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP },
	{ "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG }, { "XCPU", SIGXCPU },
	{ "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
	{ "IO", SIGIO }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
};

static int oci_parse_signal(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (*s && !*end)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(oci_signals) / sizeof(oci_signals[0]); i++)
		if (strcasecmp(oci_signals[i].name, s) == 0)
			return oci_signals[i].sig;
	if (strncasecmp(s, "RTMIN+", 6) == 0) {
		n = strtol(s + 6, &end, 10);
		if (!*end && n >= 0 && SIGRTMIN + n <= SIGRTMAX)
			return SIGRTMIN + (int)n;
	}
	return -1;
}

/* "512m", "1g", "1024" -> bytes; -1 means unlimited ("-1"). */
static int oci_parse_bytes(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s)
		return -1;
	long long mul = 1;
	switch (*end) {
	case 'k': case 'K': mul = 1LL << 10; end++; break;
	case 'm': case 'M': mul = 1LL << 20; end++; break;
	case 'g': case 'G': mul = 1LL << 30; end++; break;
	case 't': case 'T': mul = 1LL << 40; end++; break;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || (v > 0 && v > __LONG_LONG_MAX__ / mul))
		return -1;
	*out = v < 0 ? -1 : v * mul;
	return 0;
}

static char *oci_read_file(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	char *b = malloc(cap);
	while (b) {
		size_t n = fread(b + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
		if (len + 1 >= cap) {
			if (cap > (16u << 20)) {
				free(b);
				b = NULL;
				break;
			}
			char *nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
	}
	if (b)
		b[len] = '\0';
	if (f != stdin)
		fclose(f);
	return b;
}

/* ------------------------------------------------------------ verbs */

typedef struct oci_ctx {
	cpod_runtime *rt;
	const char *root;
	bool systemd_cgroup;
} oci_ctx;

static bool oci_open(oci_ctx *ctx, cpod_err *err)
{
	if (ctx->rt)
		return true;
	cpod_runtime_opts o = { .root = ctx->root, .systemd_cgroup = ctx->systemd_cgroup };
	ctx->rt = cpod_runtime_open(&o, err);
	return ctx->rt != NULL;
}

static int oci_need_id(const char *verb, int argc, int min)
{
	if (argc < min + 1) {
		oci_usage_error("%s: a container id is required", verb);
		return -1;
	}
	return 0;
}

static int verb_create_run(oci_ctx *ctx, int argc, char **argv, bool run)
{
	const char *bundle = NULL, *pid_file = NULL, *console = NULL;
	long preserve = 0;
	bool no_pivot = false, no_keyring = false, detach = false, keep = false, no_subreaper = false;
	const cli_opt opts[] = {
		{ "bundle", 'b', CLI_STR, &bundle },
		{ "pid-file", 0, CLI_STR, &pid_file },
		{ "console-socket", 0, CLI_STR, &console },
		{ "preserve-fds", 0, CLI_INT, &preserve },
		{ "no-pivot", 0, CLI_BOOL, &no_pivot },
		{ "no-new-keyring", 0, CLI_BOOL, &no_keyring },
		{ "detach", 'd', CLI_BOOL, &detach },
		{ "keep", 0, CLI_BOOL, &keep },
		{ "no-subreaper", 0, CLI_BOOL, &no_subreaper },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse(argv[0], argc, argv, opts, false, &argc) < 0)
		return 1;
	if (oci_need_id(argv[0], argc, 1) < 0)
		return 1;
	if (preserve < 0 || preserve > 65536)
		return oci_usage_error("--preserve-fds: bad value");
	/* systemd's socket activation passes LISTEN_FDS on top of --preserve-fds */
	const char *lf = getenv("LISTEN_FDS");
	if (lf && atoi(lf) > 0 && atoi(lf) < 65536)
		preserve += atoi(lf);
	if (!oci_open(ctx, &err))
		return oci_fail(&err);
	cpod_create_opts o = {
		.bundle = bundle, .pid_file = pid_file, .console_socket = console,
		.preserve_fds = (int)preserve, .no_pivot = no_pivot, .no_new_keyring = no_keyring,
		.detach = detach, .keep = keep,
	};
	if (!run) {
		if (cpod_runtime_create(ctx->rt, argv[1], &o, &err) < 0)
			return oci_fail(&err);
		return 0;
	}
	int status = 0;
	if (cpod_runtime_run(ctx->rt, argv[1], &o, &status, &err) < 0)
		return oci_fail(&err);
	return status;
}

static int verb_simple(oci_ctx *ctx, int argc, char **argv)
{
	cpod_err err;
	const cli_opt none[] = { { NULL, 0, 0, NULL } };
	const char *verb = argv[0];
	if (cli_parse(verb, argc, argv, none, false, &argc) < 0 || oci_need_id(verb, argc, 1) < 0)
		return 1;
	if (!oci_open(ctx, &err))
		return oci_fail(&err);
	int r;
	if (strcmp(verb, "start") == 0)
		r = cpod_runtime_start(ctx->rt, argv[1], &err);
	else if (strcmp(verb, "pause") == 0)
		r = cpod_runtime_pause(ctx->rt, argv[1], &err);
	else if (strcmp(verb, "resume") == 0)
		r = cpod_runtime_resume(ctx->rt, argv[1], &err);
	else {
		char *s = cpod_runtime_state(ctx->rt, argv[1], &err);
		if (!s)
			return oci_fail(&err);
		printf("%s\n", s);
		cpod_free(s);
		return 0;
	}
	return r < 0 ? oci_fail(&err) : 0;
}

static int verb_kill(oci_ctx *ctx, int argc, char **argv)
{
	bool all = false;
	const cli_opt opts[] = { { "all", 'a', CLI_BOOL, &all }, { NULL, 0, 0, NULL } };
	cpod_err err;
	if (cli_parse("kill", argc, argv, opts, false, &argc) < 0 || oci_need_id("kill", argc, 1) < 0)
		return 1;
	int sig = argc > 2 ? oci_parse_signal(argv[2]) : SIGTERM;
	if (sig < 0)
		return oci_usage_error("kill: unknown signal \"%s\"", argv[2]);
	if (!oci_open(ctx, &err))
		return oci_fail(&err);
	if (cpod_runtime_kill(ctx->rt, argv[1], sig, all, &err) < 0)
		return oci_fail(&err);
	return 0;
}

static int verb_delete(oci_ctx *ctx, int argc, char **argv)
{
	bool force = false;
	const cli_opt opts[] = { { "force", 'f', CLI_BOOL, &force }, { NULL, 0, 0, NULL } };
	cpod_err err;
	int rc = 0;
	if (cli_parse("delete", argc, argv, opts, false, &argc) < 0 || oci_need_id("delete", argc, 1) < 0)
		return 1;
	if (!oci_open(ctx, &err))
		return oci_fail(&err);
	for (int i = 1; i < argc; i++)
		if (cpod_runtime_delete(ctx->rt, argv[i], force, &err) < 0) {
			/* runc: deleting what is already gone with --force is fine */
			if (force && err.code == CPOD_E_NOTFOUND)
				continue;
			rc = oci_fail(&err);
		}
	return rc;
}

static int verb_exec(oci_ctx *ctx, int argc, char **argv)
{
	const char *process = NULL, *cwd = NULL, *user = NULL, *console = NULL, *pid_file = NULL;
	const char *ignored = NULL;
	bool tty = false, detach = false, nnp = false;
	long preserve = 0;
	cli_list env = { 0 }, caps = { 0 }, gids = { 0 };
	const cli_opt opts[] = {
		{ "process", 'p', CLI_STR, &process },
		{ "tty", 't', CLI_BOOL, &tty },
		{ "env", 'e', CLI_LIST, &env },
		{ "cwd", 0, CLI_STR, &cwd },
		{ "user", 'u', CLI_STR, &user },
		{ "additional-gids", 'g', CLI_LIST, &gids },
		{ "cap", 'c', CLI_LIST, &caps },
		{ "detach", 'd', CLI_BOOL, &detach },
		{ "pid-file", 0, CLI_STR, &pid_file },
		{ "console-socket", 0, CLI_STR, &console },
		{ "no-new-privs", 0, CLI_BOOL, &nnp },
		{ "preserve-fds", 0, CLI_INT, &preserve },
		{ "process-label", 0, CLI_STR, &ignored },
		{ "apparmor", 0, CLI_STR, &ignored },
		{ "cgroup", 0, CLI_STR, &ignored },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse("exec", argc, argv, opts, true, &argc) < 0 || oci_need_id("exec", argc, 1) < 0)
		return 1;
	char *pjson = NULL;
	if (process) {
		pjson = oci_read_file(process);
		if (!pjson)
			return oci_usage_error("exec: cannot read --process %s", process);
	} else if (argc < 3) {
		return oci_usage_error("exec: a command (or --process) is required");
	}
	if (!oci_open(ctx, &err))
		return oci_fail(&err);
	cpod_exec_opts o = {
		.process_json = pjson,
		.args = (const char *const *)(argc > 2 ? argv + 2 : NULL),
		.env = env.v, .cwd = cwd, .user = user, .caps = caps.v, .tty = tty,
		.no_new_privs = nnp, .console_socket = console, .pid_file = pid_file,
		.detach = detach, .preserve_fds = (int)preserve,
	};
	int status = 0;
	int r = cpod_runtime_exec(ctx->rt, argv[1], &o, &status, &err);
	free(pjson);
	free(env.v);
	free(caps.v);
	free(gids.v);
	if (r < 0)
		return oci_fail(&err);
	return status;
}

static int verb_spec(int argc, char **argv)
{
	const char *bundle = NULL;
	bool rootless = false;
	const cli_opt opts[] = {
		{ "bundle", 'b', CLI_STR, &bundle },
		{ "rootless", 0, CLI_BOOL, &rootless },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	char path[4096];
	if (cli_parse("spec", argc, argv, opts, false, &argc) < 0)
		return 1;
	snprintf(path, sizeof(path), "%s/config.json", bundle ? bundle : ".");
	if (access(path, F_OK) == 0)
		return oci_usage_error("spec: %s exists: remove it first", path);
	char *s = cpod_runtime_spec_template(rootless, &err);
	if (!s)
		return oci_fail(&err);
	FILE *f = fopen(path, "wxe");
	if (!f) {
		free(s);
		return oci_usage_error("spec: cannot write %s", path);
	}
	fputs(s, f);
	cpod_free(s);
	if (fclose(f) != 0)
		return oci_usage_error("spec: cannot write %s", path);
	return 0;
}

static int verb_features(void)
{
	cpod_err err;
	char *s = cpod_runtime_features(&err);
	if (!s)
		return oci_fail(&err);
	fputs(s, stdout);
	cpod_free(s);
	return 0;
}

static int verb_list(oci_ctx *ctx, int argc, char **argv)
{
	const char *format = "table";
	bool quiet = false;
	const cli_opt opts[] = {
		{ "format", 'f', CLI_STR, &format },
		{ "quiet", 'q', CLI_BOOL, &quiet },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse("list", argc, argv, opts, false, &argc) < 0)
		return 1;
	if (!oci_open(ctx, &err))
		return oci_fail(&err);
	char *s = cpod_runtime_list(ctx->rt, &err);
	if (!s)
		return oci_fail(&err);
	if (strcmp(format, "json") == 0) {
		printf("%s\n", s);
		cpod_free(s);
		return 0;
	}
	cpod_json *doc = cpod_json_parse(s, &err);
	if (!doc) {
		cpod_free(s);
		return oci_fail(&err);
	}
	const cpod_json_value *arr = cpod_json_root(doc);
	if (!quiet)
		printf("%-20s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
	for (size_t i = 0; i < cpod_json_len(arr); i++) {
		const cpod_json_value *c = cpod_json_at(arr, i);
		const char *id = cpod_json_str(cpod_json_get(c, "id"));
		if (quiet) {
			printf("%s\n", id ? id : "");
			continue;
		}
		printf("%-20s %-8lld %-10s %-40s %-32s %s\n", id ? id : "",
		       (long long)cpod_json_int(cpod_json_get(c, "pid")),
		       cpod_json_str(cpod_json_get(c, "status")) ? cpod_json_str(cpod_json_get(c, "status")) : "",
		       cpod_json_str(cpod_json_get(c, "bundle")) ? cpod_json_str(cpod_json_get(c, "bundle")) : "",
		       cpod_json_str(cpod_json_get(c, "created")) ? cpod_json_str(cpod_json_get(c, "created")) : "",
		       cpod_json_str(cpod_json_get(c, "owner")) ? cpod_json_str(cpod_json_get(c, "owner")) : "");
	}
	cpod_json_free(doc);
	cpod_free(s);
	return 0;
}

static int verb_ps(oci_ctx *ctx, int argc, char **argv)
{
	const char *format = "table";
	const cli_opt opts[] = { { "format", 'f', CLI_STR, &format }, { NULL, 0, 0, NULL } };
	cpod_err err;
	pid_t *pids;
	size_t n;
	if (cli_parse("ps", argc, argv, opts, true, &argc) < 0 || oci_need_id("ps", argc, 1) < 0)
		return 1;
	if (!oci_open(ctx, &err))
		return oci_fail(&err);
	if (cpod_runtime_pids(ctx->rt, argv[1], &pids, &n, &err) < 0)
		return oci_fail(&err);
	if (strcmp(format, "json") == 0) {
		printf("[");
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
		cpod_free(pids);
		return 0;
	}
	/* as runc: run ps(1) and keep its header and the container's lines */
	char cmd[1024] = "ps";
	if (argc > 2) {
		for (int i = 2; i < argc; i++) {
			strncat(cmd, " '", sizeof(cmd) - strlen(cmd) - 1);
			strncat(cmd, argv[i], sizeof(cmd) - strlen(cmd) - 1);
			strncat(cmd, "'", sizeof(cmd) - strlen(cmd) - 1);
		}
	} else {
		strncat(cmd, " -ef", sizeof(cmd) - strlen(cmd) - 1);
	}
	FILE *f = popen(cmd, "re");
	if (!f) {
		cpod_free(pids);
		return oci_usage_error("ps: cannot run %s", cmd);
	}
	char line[4096];
	int pid_col = -1, lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		if (lineno++ == 0) {
			fputs(line, stdout);
			char hdr[4096], *save = NULL;
			int col = 0;
			snprintf(hdr, sizeof(hdr), "%s", line);
			for (char *tok = strtok_r(hdr, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save), col++)
				if (strcmp(tok, "PID") == 0)
					pid_col = col;
			continue;
		}
		char copy[4096];
		snprintf(copy, sizeof(copy), "%s", line);
		int col = 0;
		char *save = NULL;
		for (char *tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save), col++) {
			if (col != pid_col)
				continue;
			int p = atoi(tok);
			for (size_t i = 0; i < n; i++)
				if (pids[i] == p)
					fputs(line, stdout);
			break;
		}
	}
	pclose(f);
	cpod_free(pids);
	return 0;
}

static int verb_update(oci_ctx *ctx, int argc, char **argv)
{
	const char *resources = NULL, *memory = NULL, *swap = NULL, *reservation = NULL;
	const char *cpus = NULL, *mems = NULL;
	long pids = 0, quota = 0, period = 0, shares = 0, blkio = 0;
	bool has_pids, has_quota, has_period, has_shares, has_blkio;
	const cli_opt opts[] = {
		{ "resources", 'r', CLI_STR, &resources },
		{ "memory", 0, CLI_STR, &memory },
		{ "memory-swap", 0, CLI_STR, &swap },
		{ "memory-reservation", 0, CLI_STR, &reservation },
		{ "pids-limit", 0, CLI_INT, &pids },
		{ "cpu-quota", 0, CLI_INT, &quota },
		{ "cpu-period", 0, CLI_INT, &period },
		{ "cpu-share", 0, CLI_INT, &shares },
		{ "cpuset-cpus", 0, CLI_STR, &cpus },
		{ "cpuset-mems", 0, CLI_STR, &mems },
		{ "blkio-weight", 0, CLI_INT, &blkio },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	pids = quota = period = shares = blkio = LONG_MIN;
	if (cli_parse("update", argc, argv, opts, false, &argc) < 0 || oci_need_id("update", argc, 1) < 0)
		return 1;
	has_pids = pids != LONG_MIN;
	has_quota = quota != LONG_MIN;
	has_period = period != LONG_MIN;
	has_shares = shares != LONG_MIN;
	has_blkio = blkio != LONG_MIN;
	char *json = NULL;
	if (resources) {
		json = oci_read_file(resources);
		if (!json)
			return oci_usage_error("update: cannot read %s", resources);
	} else {
		char b[2048];
		size_t off = 0;
		long long v;
#define ADD(...) (off += (size_t)snprintf(b + off, sizeof(b) - off, __VA_ARGS__))
		ADD("{\"memory\":{");
		const char *sep = "";
		const struct { const char *flag, *key; } mem[] = {
			{ memory, "limit" }, { swap, "swap" }, { reservation, "reservation" } };
		for (int i = 0; i < 3; i++) {
			if (!mem[i].flag)
				continue;
			if (oci_parse_bytes(mem[i].flag, &v) < 0)
				return oci_usage_error("update: bad size \"%s\"", mem[i].flag);
			ADD("%s\"%s\":%lld", sep, mem[i].key, v);
			sep = ",";
		}
		ADD("},\"cpu\":{");
		sep = "";
		if (has_quota) { ADD("%s\"quota\":%ld", sep, quota); sep = ","; }
		if (has_period) { ADD("%s\"period\":%ld", sep, period); sep = ","; }
		if (has_shares) { ADD("%s\"shares\":%ld", sep, shares); sep = ","; }
		if (cpus) { ADD("%s\"cpus\":\"%s\"", sep, cpus); sep = ","; }
		if (mems) { ADD("%s\"mems\":\"%s\"", sep, mems); sep = ","; }
		ADD("}");
		if (has_pids)
			ADD(",\"pids\":{\"limit\":%ld}", pids);
		if (has_blkio)
			ADD(",\"blockIO\":{\"weight\":%ld}", blkio);
		ADD("}");
#undef ADD
		if (off >= sizeof(b) || (cpus && strpbrk(cpus, "\"\\")) || (mems && strpbrk(mems, "\"\\")))
			return oci_usage_error("update: bad arguments");
		json = strdup(b);
	}
	if (!oci_open(ctx, &err)) {
		free(json);
		return oci_fail(&err);
	}
	int r = cpod_runtime_update(ctx->rt, argv[1], json, &err);
	free(json);
	return r < 0 ? oci_fail(&err) : 0;
}

static int verb_events(oci_ctx *ctx, int argc, char **argv)
{
	bool stats = false;
	const char *interval = "5s";
	const cli_opt opts[] = {
		{ "stats", 0, CLI_BOOL, &stats },
		{ "interval", 0, CLI_STR, &interval },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse("events", argc, argv, opts, false, &argc) < 0 || oci_need_id("events", argc, 1) < 0)
		return 1;
	char *end;
	double secs = strtod(interval, &end);
	if (end == interval || secs <= 0 || (*end && strcmp(end, "s") != 0 && strcmp(end, "ms") != 0))
		return oci_usage_error("events: bad --interval \"%s\"", interval);
	if (strcmp(end, "ms") == 0)
		secs /= 1000;
	if (!oci_open(ctx, &err))
		return oci_fail(&err);
	for (;;) {
		char *s = cpod_runtime_stats(ctx->rt, argv[1], &err);
		if (!s)
			return stats ? oci_fail(&err) : 0;
		printf("%s\n", s);
		fflush(stdout);
		cpod_free(s);
		if (stats)
			return 0;
		struct timespec ts = { (time_t)secs, (long)((secs - (time_t)secs) * 1e9) };
		nanosleep(&ts, NULL);
		char *st = cpod_runtime_state(ctx->rt, argv[1], &err);
		bool stopped = !st || strstr(st, "\"stopped\"");
		cpod_free(st);
		if (stopped)
			return 0;
	}
}

static void oci_usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--root DIR] [--log FILE] [--log-format text|json] [--debug] VERB ...\n"
		"\n"
		"verbs (as runc):\n"
		"  create [--bundle DIR] [--pid-file F] [--console-socket S] [--preserve-fds N] [--no-pivot] ID\n"
		"  start ID            run the process of a created container\n"
		"  run [--bundle DIR] [--detach] [--keep] ... ID   create + start (+ wait, delete)\n"
		"  state ID            the state as JSON\n"
		"  kill [--all] ID [SIGNAL]\n"
		"  delete [--force] ID...\n"
		"  exec [--process F | --tty --env K=V --cwd D --user U[:G] --cap C ...] [--detach] ID [CMD...]\n"
		"  ps [--format table|json] ID [PS-ARGS]\n"
		"  list [--format table|json] [--quiet]\n"
		"  pause ID / resume ID\n"
		"  update [--resources FILE|-] [--memory N] [--pids-limit N] [--cpu-quota N] ... ID\n"
		"  events [--stats] [--interval 5s] ID\n"
		"  spec [--bundle DIR] [--rootless]   write a default config.json\n"
		"  features            what this runtime supports, as JSON\n",
		cli_progname());
}

int oci_main(int argc, char **argv)
{
	oci_ctx ctx = { 0 };
	const char *log_format = "text", *criu = NULL, *rootless = NULL;
	bool help = false, version = false;
	const cli_opt global[] = {
		{ "root", 0, CLI_STR, &ctx.root },
		{ "log", 0, CLI_STR, &log_path },
		{ "log-format", 0, CLI_STR, &log_format },
		{ "debug", 0, CLI_BOOL, &debug },
		{ "systemd-cgroup", 0, CLI_BOOL, &ctx.systemd_cgroup },
		{ "criu", 0, CLI_STR, &criu },
		{ "rootless", 0, CLI_STR, &rootless },
		{ "help", 'h', CLI_BOOL, &help },
		{ "version", 'v', CLI_BOOL, &version },
		{ NULL, 0, 0, NULL },
	};
	int n;
	if (cli_parse(cli_progname(), argc, argv, global, true, &n) < 0)
		return 1;
	log_json = strcmp(log_format, "json") == 0;
	cpod_set_log(oci_log_cb, NULL, debug ? CPOD_LOG_DEBUG : CPOD_LOG_WARN);
	if (version) {
		printf("cpod-runc version %s\nspec: %s\n", CPOD_VERSION, CPOD_OCI_VERSION);
		return 0;
	}
	if (help || n < 2) {
		oci_usage(help ? stdout : stderr);
		return help ? 0 : 1;
	}
	argc = n - 1;
	argv = argv + 1;
	const char *verb = argv[0];
	int rc;
	if (strcmp(verb, "create") == 0)
		rc = verb_create_run(&ctx, argc, argv, false);
	else if (strcmp(verb, "run") == 0)
		rc = verb_create_run(&ctx, argc, argv, true);
	else if (strcmp(verb, "start") == 0 || strcmp(verb, "state") == 0 ||
		 strcmp(verb, "pause") == 0 || strcmp(verb, "resume") == 0)
		rc = verb_simple(&ctx, argc, argv);
	else if (strcmp(verb, "kill") == 0)
		rc = verb_kill(&ctx, argc, argv);
	else if (strcmp(verb, "delete") == 0)
		rc = verb_delete(&ctx, argc, argv);
	else if (strcmp(verb, "exec") == 0)
		rc = verb_exec(&ctx, argc, argv);
	else if (strcmp(verb, "spec") == 0)
		rc = verb_spec(argc, argv);
	else if (strcmp(verb, "features") == 0)
		rc = verb_features();
	else if (strcmp(verb, "list") == 0)
		rc = verb_list(&ctx, argc, argv);
	else if (strcmp(verb, "ps") == 0)
		rc = verb_ps(&ctx, argc, argv);
	else if (strcmp(verb, "update") == 0)
		rc = verb_update(&ctx, argc, argv);
	else if (strcmp(verb, "events") == 0)
		rc = verb_events(&ctx, argc, argv);
	else if (strcmp(verb, "checkpoint") == 0 || strcmp(verb, "restore") == 0)
		rc = oci_usage_error("%s: not supported by cpod (no CRIU)", verb);
	else
		rc = oci_usage_error("unknown verb \"%s\" (see --help)", verb);
	cpod_runtime_close(ctx.rt);
	return rc;
}
