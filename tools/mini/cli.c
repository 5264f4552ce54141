/*
 * cli.c — option parsing and error printing for cpod-mini (see cli.h).
 */
#include "cli.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>

static const char *progname = "cpod-mini";

const char *cli_progname(void) { return progname; }
void cli_set_progname(const char *name) { progname = name; }

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_errorx(const cpod_err *err)
{
	cli_error("%s", err->msg[0] ? err->msg : "unknown error");
}

int cli_exit_code(const cpod_err *err)
{
	if (err->code == CPOD_E_EXEC_NOTFOUND)
		return 127;
	if (err->code == CPOD_E_EXEC_NOEXEC)
		return 126;
	return 125;
}

static const cli_opt *cli_find(const cli_opt *opts, const char *name, size_t len, char short_name)
{
	for (const cli_opt *o = opts; o && o->name; o++) {
		if (short_name && o->short_name == short_name)
			return o;
		if (!short_name && strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	}
	return NULL;
}

/* The arrays of list flags live as long as the command (a process that
 * ends); they are kept here, reachable, so that leak checkers see them as
 * what they are rather than every command freeing each list it parses. */
static const char **cli_lists[64];

static void cli_keep_list(const char **old, const char **now)
{
	for (size_t i = 0; i < sizeof(cli_lists) / sizeof(cli_lists[0]); i++)
		if (cli_lists[i] == old || !cli_lists[i]) {
			cli_lists[i] = now;
			return;
		}
}

static int cli_set(const char *cmd, const cli_opt *o, const char *value)
{
	char *end;
	switch (o->kind) {
	case CLI_BOOL:
		if (!value || strcmp(value, "true") == 0)
			*(bool *)o->ptr = true;
		else if (strcmp(value, "false") == 0)
			*(bool *)o->ptr = false;
		else {
			cli_error("%s: --%s takes true or false, not \"%s\"", cmd, o->name, value);
			return -1;
		}
		return 0;
	case CLI_STR:
		*(const char **)o->ptr = value;
		return 0;
	case CLI_INT:
		errno = 0;
		long v = strtol(value, &end, 10);
		if (errno || !*value || *end) {
			cli_error("%s: --%s takes a number, not \"%s\"", cmd, o->name, value);
			return -1;
		}
		*(long *)o->ptr = v;
		return 0;
	case CLI_LIST: {
		cli_list *l = o->ptr;
		const char **old = l->v;
		const char **nv = realloc(l->v, (l->n + 2) * sizeof(*nv));
		if (!nv) {
			cli_error("out of memory");
			return -1;
		}
		cli_keep_list(old, nv);
		nv[l->n++] = value;
		nv[l->n] = NULL;
		l->v = nv;
		return 0;
	}
	}
	return -1;
}

/* CMD --help: the flags CMD takes, from its table. */
static void cli_print_flags(const char *cmd, const cli_opt *opts)
{
	static const char *const value[] = { [CLI_BOOL] = "", [CLI_STR] = " VALUE",
					     [CLI_INT] = " N", [CLI_LIST] = " VALUE (repeatable)" };
	printf("usage: cpod-mini %s [FLAGS] [ARGS]\n\nflags:\n", cmd);
	for (const cli_opt *o = opts; o->name || o->short_name; o++) {
		char s[8] = "    ";
		if (o->short_name)
			snprintf(s, sizeof(s), "-%c, ", o->short_name);
		printf("  %s--%s%s\n", s, o->name ? o->name : "", value[o->kind]);
	}
}

int cli_parse(const char *cmd, int argc, char **argv, const cli_opt *opts,
	      bool stop_at_positional, int *argc_out)
{
	int out = 1;
	int i = 1;

	while (i < argc) {
		char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			while (i < argc)
				argv[out++] = argv[i++];
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			if (stop_at_positional) {
				while (i < argc)
					argv[out++] = argv[i++];
				break;
			}
			argv[out++] = argv[i++];
			continue;
		}
		const char *name = a + 1 + (a[1] == '-');
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const cli_opt *o = cli_find(opts, name, len, 0);
		if (!o && strcmp(a, "--help") == 0) {
			cli_print_flags(cmd, opts);
			exit(0);
		}
		if (!o && a[1] != '-') {
			/* a cluster of short flags, e.g. -it, or -d */
			for (const char *c = a + 1; *c; c++) {
				const cli_opt *so = cli_find(opts, NULL, 0, *c);
				if (!so) {
					cli_error("%s: unknown flag: -%c", cmd, *c);
					return -1;
				}
				if (so->kind == CLI_BOOL) {
					cli_set(cmd, so, NULL);
					continue;
				}
				/* value: rest of the cluster, or the next argument */
				const char *v = c[1] ? c + 1 : (i + 1 < argc ? argv[++i] : NULL);
				if (!v) {
					cli_error("%s: flag needs an argument: -%c", cmd, *c);
					return -1;
				}
				if (cli_set(cmd, so, v) < 0)
					return -1;
				break;
			}
			i++;
			continue;
		}
		if (!o) {
			cli_error("%s: unknown flag: --%.*s", cmd, (int)len, name);
			return -1;
		}
		const char *value = eq ? eq + 1 : NULL;
		if (o->kind != CLI_BOOL && !value) {
			if (i + 1 >= argc) {
				cli_error("%s: flag needs an argument: --%s", cmd, o->name);
				return -1;
			}
			value = argv[++i];
		}
		if (cli_set(cmd, o, value) < 0)
			return -1;
		i++;
	}
	argv[out] = NULL;
	*argc_out = out;
	return 1;
}

cli_globals cli_g;
static cpod_engine *cli_eng;

static void cli_log(int level, const char *msg, void *ud)
{
	(void)ud;
	fprintf(stderr, "%s: %s: %s\n", progname, level >= CPOD_LOG_ERROR ? "error" : level == CPOD_LOG_WARN ? "warning" : "debug", msg);
}

cpod_engine *cli_engine(void)
{
	cpod_err err;
	if (cli_eng)
		return cli_eng;
	cpod_set_log(cli_log, NULL, getenv("CPOD_DEBUG") ? CPOD_LOG_DEBUG : CPOD_LOG_WARN);
	cpod_engine_opts o = { .root = cli_g.root, .runroot = cli_g.runroot };
	cli_eng = cpod_engine_open(&o, &err);
	if (!cli_eng) {
		cli_errorx(&err);
		exit(125);
	}
	return cli_eng;
}

void cli_engine_close(void)
{
	cpod_engine_close(cli_eng);
	cli_eng = NULL;
}

void cli_human_size(int64_t bytes, char *out, size_t n)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)bytes;
	int u = 0;
	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(out, n, "%lld B", (long long)bytes);
	else
		snprintf(out, n, "%.3g %s", v, units[u]);
}

void cli_ago(const char *rfc3339, char *out, size_t n)
{
	int64_t t = cpod_time_unix(rfc3339);
	if (t < 0) {
		snprintf(out, n, "unknown");
		return;
	}
	char d[48];
	cpod_human_duration((int64_t)time(NULL) - t, d, sizeof(d));
	snprintf(out, n, "%s ago", d);
}

bool cli_write(int fd, const char *s)
{
	size_t len = strlen(s);
	while (len) {
		ssize_t w = write(fd, s, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		s += w;
		len -= (size_t)w;
	}
	return true;
}
