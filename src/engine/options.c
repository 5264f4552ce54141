/*
 * options.c — parsing and checking the options of `create` and `run` (see
 * options.h).  Podman's rules are the reference: go-units sizes (binary
 * multiples), Go durations, docker's signal names, podman's -v and --mount
 * syntax, env files read as podman reads them, its health-check forms.
 * Every error names the option and the value, and nothing here creates
 * anything.
 */
#include "options.h"
#include "volume.h"
#include "../oci/caps.h"
#include "../base/fs.h"
#include "../usernet/usernet.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <dirent.h>

extern char **environ;

/* ---------------------------------------------------------------- sizes */

CPOD_INTERNAL int options_size(const char *opt, const char *s, bool unlimited_ok, int64_t *out,
			       cpod_err *err)
{
	const char *p = s;
	char num[64];
	size_t n = 0;
	int shift = 0;

	if (unlimited_ok && strcmp(s, "-1") == 0) {
		*out = -1;
		return 0;
	}
	while (isdigit((unsigned char)*p) && n < sizeof(num) - 1)
		num[n++] = *p++;
	if (n == 0)
		goto bad;
	if (*p == '.') {
		num[n++] = *p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
		while (isdigit((unsigned char)*p) && n < sizeof(num) - 1)
			num[n++] = *p++;
	}
	num[n] = '\0';
	if (*p == ' ')
		p++;
	if (*p) {
		static const char units[] = "kmgtp";
		const char *u = strchr(units, tolower((unsigned char)*p));
		if (u && *u) {
			shift = 10 * (int)(u - units + 1);
			p++;
		}
		if (shift && (*p == 'i' || *p == 'I'))
			p++;
		if (*p == 'b' || *p == 'B')
			p++;
		if (*p)
			goto bad;
	}
	long double v = strtold(num, NULL) * (long double)(UINT64_C(1) << shift);
	if (v >= 9.2e18L)
		return err_set(err, CPOD_E_INVALID, "%s %s: too large", opt, s);
	*out = (int64_t)v;
	return 0;
bad:
	return err_set(err, CPOD_E_INVALID,
		       "%s %s: invalid size (a number with an optional unit b, k, m, g, t: \"512m\")",
		       opt, s);
}

/* ---------------------------------------------------------------- durations */

CPOD_INTERNAL int options_duration(const char *opt, const char *s, int64_t *ns, cpod_err *err)
{
	static const struct {
		const char *u;
		int64_t ns;
	} units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 },
		{ "ms", 1000000 }, { "s", 1000000000 }, { "m", INT64_C(60000000000) },
		{ "h", INT64_C(3600000000000) },
	};
	const char *p = s;
	long double total = 0;

	if (*p == '+')
		p++;
	if (*p == '-')
		return err_set(err, CPOD_E_INVALID, "%s %s: a duration may not be negative", opt, s);
	if (strcmp(p, "0") == 0) {
		*ns = 0;
		return 0;
	}
	if (!*p)
		goto bad;
	while (*p) {
		char num[40], unit[8];
		size_t n = 0, k = 0;
		bool digits = false;
		while ((isdigit((unsigned char)*p) || *p == '.') && n < sizeof(num) - 1) {
			digits |= *p != '.';
			num[n++] = *p++;
		}
		num[n] = '\0';
		if (!digits || strchr(num, '.') != strrchr(num, '.'))
			goto bad;
		while (*p && !isdigit((unsigned char)*p) && *p != '.' && k < sizeof(unit) - 1)
			unit[k++] = *p++;
		unit[k] = '\0';
		if (k == 0)
			return err_set(err, CPOD_E_INVALID,
				       "%s %s: missing unit in duration (ns, us, ms, s, m, h: \"30s\")",
				       opt, s);
		size_t i;
		for (i = 0; i < ARRAY_LEN(units); i++)
			if (strcmp(unit, units[i].u) == 0)
				break;
		if (i == ARRAY_LEN(units))
			return err_set(err, CPOD_E_INVALID,
				       "%s %s: unknown unit \"%s\" in duration (ns, us, ms, s, m, h)", opt,
				       s, unit);
		total += strtold(num, NULL) * (long double)units[i].ns;
		if (total > 9.2e18L)
			return err_set(err, CPOD_E_INVALID, "%s %s: duration too long", opt, s);
	}
	*ns = (int64_t)total;
	return 0;
bad:
	return err_set(err, CPOD_E_INVALID, "%s %s: invalid duration (\"30s\", \"1m30s\", \"500ms\")",
		       opt, s);
}

CPOD_INTERNAL int options_uint(const char *opt, const char *s, int64_t max, int64_t *out,
			       cpod_err *err)
{
	char *end;
	if (!isdigit((unsigned char)s[0]))
		return err_set(err, CPOD_E_INVALID, "%s %s: a non-negative integer is expected", opt, s);
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end)
		return err_set(err, CPOD_E_INVALID, "%s %s: a non-negative integer is expected", opt, s);
	if (errno || v > (unsigned long long)max)
		return err_set(err, CPOD_E_INVALID, "%s %s: at most %" PRId64, opt, s, max);
	*out = (int64_t)v;
	return 0;
}

/* A signed integer in [min, max]. */
static int options_int(const char *opt, const char *s, long min, long max, long *out, cpod_err *err)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || isspace((unsigned char)*s))
		return err_set(err, CPOD_E_INVALID, "%s %s: an integer is expected", opt, s);
	if (errno || v < min || v > max)
		return err_set(err, CPOD_E_INVALID, "%s %s: must be between %ld and %ld", opt, s, min,
			       max);
	*out = v;
	return 0;
}

/* ---------------------------------------------------------------- signals */

static const struct {
	const char *name;
	int sig;
} options_signals[] = {
	{ "HUP", 1 },     { "INT", 2 },      { "QUIT", 3 },   { "ILL", 4 },    { "TRAP", 5 },
	{ "ABRT", 6 },    { "IOT", 6 },      { "BUS", 7 },    { "FPE", 8 },    { "KILL", 9 },
	{ "USR1", 10 },   { "SEGV", 11 },    { "USR2", 12 },  { "PIPE", 13 },  { "ALRM", 14 },
	{ "TERM", 15 },   { "STKFLT", 16 },  { "CHLD", 17 },  { "CLD", 17 },   { "CONT", 18 },
	{ "STOP", 19 },   { "TSTP", 20 },    { "TTIN", 21 },  { "TTOU", 22 },  { "URG", 23 },
	{ "XCPU", 24 },   { "XFSZ", 25 },    { "VTALRM", 26 }, { "PROF", 27 }, { "WINCH", 28 },
	{ "IO", 29 },     { "POLL", 29 },    { "PWR", 30 },   { "SYS", 31 },
};
#define OPTIONS_SIGRTMIN 34
#define OPTIONS_SIGRTMAX 64

CPOD_INTERNAL int options_signal(const char *opt, const char *s, int *sig, cpod_err *err)
{
	const char *n = s;
	if (isdigit((unsigned char)*s)) {
		char *end;
		long v = strtol(s, &end, 10);
		if (*end || v < 1 || v > OPTIONS_SIGRTMAX)
			return err_set(err, CPOD_E_INVALID, "%s %s: invalid signal number", opt, s);
		*sig = (int)v;
		return 0;
	}
	if (strncasecmp(n, "SIG", 3) == 0)
		n += 3;
	for (size_t i = 0; i < ARRAY_LEN(options_signals); i++)
		if (strcasecmp(n, options_signals[i].name) == 0) {
			*sig = options_signals[i].sig;
			return 0;
		}
	if (strncasecmp(n, "RTMIN", 5) == 0 || strncasecmp(n, "RTMAX", 5) == 0) {
		bool min = toupper((unsigned char)n[3]) == 'I';
		long off = 0;
		if (n[5]) {
			char *end;
			if ((min && n[5] != '+') || (!min && n[5] != '-'))
				goto bad;
			off = strtol(n + 6, &end, 10);
			if (*end || !n[6] || off < 0)
				goto bad;
		}
		long v = min ? OPTIONS_SIGRTMIN + off : OPTIONS_SIGRTMAX - off;
		if (v < OPTIONS_SIGRTMIN || v > OPTIONS_SIGRTMAX)
			goto bad;
		*sig = (int)v;
		return 0;
	}
bad:
	return err_set(err, CPOD_E_INVALID, "%s %s: unknown signal", opt, s);
}

CPOD_INTERNAL const char *options_signal_name(int sig)
{
	static __thread char rt[16];
	for (size_t i = 0; i < ARRAY_LEN(options_signals); i++)
		if (options_signals[i].sig == sig) {
			snprintf(rt, sizeof(rt), "SIG%s", options_signals[i].name);
			return rt;
		}
	if (sig >= OPTIONS_SIGRTMIN && sig <= OPTIONS_SIGRTMAX) {
		if (sig == OPTIONS_SIGRTMIN)
			return "SIGRTMIN";
		if (sig == OPTIONS_SIGRTMAX)
			return "SIGRTMAX";
		snprintf(rt, sizeof(rt), "SIGRTMIN+%d", sig - OPTIONS_SIGRTMIN);
		return rt;
	}
	snprintf(rt, sizeof(rt), "%d", sig);
	return rt;
}

/* ---------------------------------------------------------------- ulimits */

static const struct {
	const char *name;
	int resource;
	const char *full;
} options_rlimits[] = {
	{ "core", RLIMIT_CORE, "RLIMIT_CORE" },
	{ "cpu", RLIMIT_CPU, "RLIMIT_CPU" },
	{ "data", RLIMIT_DATA, "RLIMIT_DATA" },
	{ "fsize", RLIMIT_FSIZE, "RLIMIT_FSIZE" },
	{ "locks", RLIMIT_LOCKS, "RLIMIT_LOCKS" },
	{ "memlock", RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK" },
	{ "msgqueue", RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE" },
	{ "nice", RLIMIT_NICE, "RLIMIT_NICE" },
	{ "nofile", RLIMIT_NOFILE, "RLIMIT_NOFILE" },
	{ "nproc", RLIMIT_NPROC, "RLIMIT_NPROC" },
	{ "rss", RLIMIT_RSS, "RLIMIT_RSS" },
	{ "rtprio", RLIMIT_RTPRIO, "RLIMIT_RTPRIO" },
	{ "rttime", RLIMIT_RTTIME, "RLIMIT_RTTIME" },
	{ "sigpending", RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING" },
	{ "stack", RLIMIT_STACK, "RLIMIT_STACK" },
	{ "as", RLIMIT_AS, "RLIMIT_AS" },
};

static int options_rlim_value(const char *s, const char *str, uint64_t *out, cpod_err *err)
{
	char *end;
	if (strcmp(s, "-1") == 0 || strcmp(s, "unlimited") == 0) {
		*out = RLIM_INFINITY;
		return 0;
	}
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end || errno)
		return err_set(err, CPOD_E_INVALID,
			       "--ulimit %s: \"%s\" is not a limit (a number, or -1 for unlimited)", str,
			       s);
	*out = v;
	return 0;
}

CPOD_INTERNAL int options_ulimit_parse(const char *s, options_ulimit *out, cpod_err *err)
{
	char name[32], soft[32], hard[32] = "";
	const char *eq = strchr(s, '=');
	if (!eq || eq == s || (size_t)(eq - s) >= sizeof(name) || strlen(eq + 1) >= sizeof(soft) * 2)
		return err_set(err, CPOD_E_INVALID, "--ulimit %s: NAME=SOFT[:HARD] expected", s);
	snprintf(name, sizeof(name), "%.*s", (int)(eq - s), s);
	const char *colon = strchr(eq + 1, ':');
	if (colon) {
		snprintf(soft, sizeof(soft), "%.*s", (int)(colon - eq - 1), eq + 1);
		snprintf(hard, sizeof(hard), "%s", colon + 1);
	} else {
		snprintf(soft, sizeof(soft), "%s", eq + 1);
	}
	const char *bare = strncasecmp(name, "RLIMIT_", 7) == 0 ? name + 7 : name;
	size_t i;
	for (i = 0; i < ARRAY_LEN(options_rlimits); i++)
		if (strcasecmp(bare, options_rlimits[i].name) == 0)
			break;
	if (i == ARRAY_LEN(options_rlimits))
		return err_set(err, CPOD_E_INVALID, "--ulimit %s: unknown limit \"%s\"", s, name);
	out->resource = options_rlimits[i].resource;
	out->name = options_rlimits[i].full;
	if (options_rlim_value(soft, s, &out->soft, err) < 0)
		return -1;
	out->hard = out->soft;
	if (colon && options_rlim_value(hard, s, &out->hard, err) < 0)
		return -1;
	if (out->soft > out->hard)
		return err_set(err, CPOD_E_INVALID,
			       "--ulimit %s: the soft limit must not be above the hard limit", s);
	return 0;
}

/* ---------------------------------------------------------------- paths */

CPOD_INTERNAL int options_clean_path(const char *in, char *out, size_t n)
{
	char tmp[PATH_MAX];
	size_t len = 0;
	if (in[0] != '/' || strlen(in) >= sizeof(tmp) || n < 2)
		return -1;
	out[0] = '\0';
	snprintf(tmp, sizeof(tmp), "%s", in);
	char *save = NULL;
	for (char *c = strtok_r(tmp, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			out[len] = '\0';
			continue;
		}
		size_t cl = strlen(c);
		if (len + 1 + cl + 1 > n)
			return -1;
		out[len++] = '/';
		memcpy(out + len, c, cl);
		len += cl;
		out[len] = '\0';
	}
	if (len == 0)
		snprintf(out, n, "/");
	return 0;
}

/* A pool copy of the cleaned absolute path. */
static const char *options_path(const char *p, mem_pool *pool)
{
	char c[PATH_MAX], abs[PATH_MAX];
	if (p[0] != '/') {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)) ||
		    snprintf(abs, sizeof(abs), "%s/%s", cwd, p) >= (int)sizeof(abs))
			return NULL;
		p = abs;
	}
	if (options_clean_path(p, c, sizeof(c)) < 0)
		return NULL;
	return pool_strdup(pool, c, NULL);
}

static bool options_is_path(const char *s)
{
	return s[0] == '/' || s[0] == '.';
}

static int options_bind_source(options_mount *m, const char *src, mem_pool *pool, cpod_err *err)
{
	struct stat st;
	m->source = options_path(src, pool);
	if (!m->source)
		return err_set(err, CPOD_E_INVALID, "%s %s: bad source path", m->flag, m->spec);
	if (stat(m->source, &st) < 0)
		return err_sys(err, "%s %s: %s", m->flag, m->spec, m->source);
	return 0;
}

static const char *const options_propagations[] = {
	"private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable",
};

static bool options_is_propagation(const char *t)
{
	for (size_t i = 0; i < ARRAY_LEN(options_propagations); i++)
		if (strcmp(t, options_propagations[i]) == 0)
			return true;
	return false;
}

/* exec/noexec, suid/nosuid, dev/nodev: passed on as mount options. */
static bool options_is_flag(const char *t)
{
	static const char *const flags[] = { "exec", "noexec", "suid", "nosuid", "dev", "nodev" };
	for (size_t i = 0; i < ARRAY_LEN(flags); i++)
		if (strcmp(t, flags[i]) == 0)
			return true;
	return false;
}

static int options_add_opt(options_mount *m, const char *o, mem_pool *pool, cpod_err *err)
{
	if (m->n_opts >= OPTIONS_MOUNT_MAX_OPTS)
		return err_set(err, CPOD_E_LIMIT, "%s %s: too many options", m->flag, m->spec);
	m->opts[m->n_opts] = pool_strdup(pool, o, err);
	if (!m->opts[m->n_opts])
		return -1;
	m->n_opts++;
	return 0;
}

static int options_dest(options_mount *m, const char *dst, mem_pool *pool, cpod_err *err)
{
	if (!dst || !*dst)
		return err_set(err, CPOD_E_INVALID, "%s %s: no container path", m->flag, m->spec);
	if (dst[0] != '/')
		return err_set(err, CPOD_E_INVALID, "%s %s: the container path \"%s\" must be absolute",
			       m->flag, m->spec, dst);
	m->dest = options_path(dst, pool);
	if (!m->dest)
		return err_set(err, CPOD_E_INVALID, "%s %s: bad container path", m->flag, m->spec);
	if (strcmp(m->dest, "/") == 0)
		return err_set(err, CPOD_E_INVALID, "%s %s: cannot mount over /", m->flag, m->spec);
	return 0;
}

CPOD_INTERNAL int options_volume(const char *s, options_mount *m, mem_pool *pool, cpod_err *err)
{
	memset(m, 0, sizeof(*m));
	m->flag = "-v";
	m->spec = s;
	char *copy = pool_strdup(pool, s, err);
	if (!copy)
		return -1;
	char *parts[4];
	size_t n = 0;
	for (char *p = copy; n < 4;) {
		parts[n++] = p;
		char *c = strchr(p, ':');
		if (!c)
			break;
		*c = '\0';
		p = c + 1;
	}
	if (!*s)
		return err_set(err, CPOD_E_INVALID, "-v: an empty volume");
	if (n > 3)
		return err_set(err, CPOD_E_INVALID,
			       "-v %s: incorrect volume format, should be [SOURCE:]CONTAINER-PATH[:OPTIONS]",
			       s);
	const char *src = n > 1 ? parts[0] : NULL, *dst = n > 1 ? parts[1] : parts[0];
	char *opts = n > 2 ? parts[2] : NULL;
	if (src && !*src)
		return err_set(err, CPOD_E_INVALID, "-v %s: an empty source", s);
	if (options_dest(m, dst, pool, err) < 0)
		return -1;
	if (!src) {
		m->kind = OPTIONS_VOLUME;
	} else if (options_is_path(src)) {
		m->kind = OPTIONS_BIND;
	} else if (volume_name_ok(src)) {
		m->kind = OPTIONS_VOLUME;
		m->source = pool_strdup(pool, src, err);
		if (!m->source)
			return -1;
	} else {
		return err_set(err, CPOD_E_INVALID,
			       "-v %s: \"%s\" is neither an absolute path nor a volume name "
			       "([a-zA-Z0-9][a-zA-Z0-9_.-]*)", s, src);
	}
	bool rwro = false, label = false;
	char *save = NULL;
	for (char *t = opts ? strtok_r(opts, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "ro") == 0 || strcmp(t, "rw") == 0) {
			if (rwro)
				return err_set(err, CPOD_E_INVALID,
					       "-v %s: only one of \"rw\" and \"ro\" may be given", s);
			rwro = true;
			m->ro = t[1] == 'o';
		} else if (strcmp(t, "z") == 0 || strcmp(t, "Z") == 0) {
			/* SELinux relabeling: nothing to do without SELinux */
			if (label)
				return err_set(err, CPOD_E_INVALID,
					       "-v %s: only one of \"z\" and \"Z\" may be given", s);
			label = true;
		} else if (options_is_propagation(t)) {
			if (m->propagation)
				return err_set(err, CPOD_E_INVALID,
					       "-v %s: only one propagation option may be given", s);
			m->propagation = t;
		} else if (strcmp(t, "bind") == 0 || strcmp(t, "rbind") == 0) {
			m->nonrecursive = t[0] == 'b';
		} else if (strcmp(t, "copy") == 0 || strcmp(t, "nocopy") == 0) {
			m->nocopy = t[0] == 'n';
		} else if (options_is_flag(t)) {
			if (options_add_opt(m, t, pool, err) < 0)
				return -1;
		} else if (strcmp(t, "O") == 0) {
			return err_set(err, CPOD_E_UNSUPPORTED,
				       "-v %s: overlay volumes (the O option) are not supported", s);
		} else if (strcmp(t, "U") == 0) {
			return err_set(err, CPOD_E_UNSUPPORTED,
				       "-v %s: chowning the source (the U option) is not supported", s);
		} else if (strcmp(t, "idmap") == 0 || strncmp(t, "idmap=", 6) == 0) {
			return err_set(err, CPOD_E_UNSUPPORTED,
				       "-v %s: idmapped volumes are not supported", s);
		} else {
			return err_set(err, CPOD_E_INVALID, "-v %s: unknown option \"%s\"", s, t);
		}
	}
	if (m->kind == OPTIONS_BIND)
		return options_bind_source(m, src, pool, err);
	return 0;
}

/* "true", "false", or nothing (true). */
static int options_bool_value(const options_mount *m, const char *key, const char *v, bool *out,
			      cpod_err *err)
{
	if (!v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
		*out = false;
		return 0;
	}
	return err_set(err, CPOD_E_INVALID, "--mount %s: %s=%s: true or false expected", m->spec, key,
		       v);
}

CPOD_INTERNAL int options_mount_parse(const char *s, options_mount *m, mem_pool *pool,
				      cpod_err *err)
{
	const char *type = NULL, *src = NULL, *dst = NULL;
	int64_t tsize = -1;
	long tmode = -1;
	bool has_bind_opts = false, has_tmpfs_opts = false, has_volume_opts = false, b;
	const char *vopts[32];
	size_t nv = 0;

	memset(m, 0, sizeof(*m));
	m->flag = "--mount";
	m->spec = s;
	char *copy = pool_strdup(pool, s, err);
	if (!copy)
		return -1;
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *v = strchr(t, '=');
		if (v)
			*v++ = '\0';
		if (strcmp(t, "type") == 0) {
			type = v;
		} else if (strcmp(t, "src") == 0 || strcmp(t, "source") == 0) {
			src = v;
		} else if (strcmp(t, "dst") == 0 || strcmp(t, "destination") == 0 ||
			   strcmp(t, "target") == 0) {
			dst = v;
		} else if (strcmp(t, "ro") == 0 || strcmp(t, "readonly") == 0) {
			if (options_bool_value(m, t, v, &m->ro, err) < 0)
				return -1;
		} else if (strcmp(t, "rw") == 0) {
			if (options_bool_value(m, t, v, &b, err) < 0)
				return -1;
			m->ro = !b;
		} else if (strcmp(t, "bind-propagation") == 0) {
			if (!v || !options_is_propagation(v))
				return err_set(err, CPOD_E_INVALID,
					       "--mount %s: bind-propagation: one of [r]private, [r]shared, "
					       "[r]slave, [r]unbindable", s);
			m->propagation = v;
			has_bind_opts = true;
		} else if (strcmp(t, "bind-nonrecursive") == 0) {
			if (options_bool_value(m, t, v, &m->nonrecursive, err) < 0)
				return -1;
			has_bind_opts = true;
		} else if (strcmp(t, "relabel") == 0 || strcmp(t, "consistency") == 0 ||
			   strcmp(t, "z") == 0 || strcmp(t, "Z") == 0) {
			/* SELinux and macOS hints: nothing to do here */
		} else if (strcmp(t, "tmpfs-size") == 0) {
			if (!v)
				return err_set(err, CPOD_E_INVALID, "--mount %s: tmpfs-size needs a value", s);
			if (options_size("tmpfs-size", v, false, &tsize, err) < 0)
				return err_prefix(err, "--mount %s", s);
			has_tmpfs_opts = true;
		} else if (strcmp(t, "tmpfs-mode") == 0) {
			char *end;
			tmode = v ? strtol(v, &end, 8) : -1;
			if (!v || !*v || *end || tmode < 0 || tmode > 07777)
				return err_set(err, CPOD_E_INVALID,
					       "--mount %s: tmpfs-mode: an octal mode expected", s);
			has_tmpfs_opts = true;
		} else if (strcmp(t, "tmpcopyup") == 0 || strcmp(t, "notmpcopyup") == 0) {
			m->no_tmpcopyup = t[0] == 'n';
			has_tmpfs_opts = true;
		} else if (strcmp(t, "volume-opt") == 0) {
			if (!v || !strchr(v, '=') || nv >= ARRAY_LEN(vopts))
				return err_set(err, CPOD_E_INVALID,
					       "--mount %s: volume-opt: KEY=VALUE expected", s);
			vopts[nv++] = v;
			has_volume_opts = true;
		} else if (strcmp(t, "volume-nocopy") == 0 || strcmp(t, "nocopy") == 0) {
			if (options_bool_value(m, t, v, &m->nocopy, err) < 0)
				return -1;
			has_volume_opts = true;
		} else if (options_is_flag(t) && !v) {
			if (options_add_opt(m, t, pool, err) < 0)
				return -1;
		} else if (strcmp(t, "U") == 0 || strcmp(t, "chown") == 0) {
			return err_set(err, CPOD_E_UNSUPPORTED,
				       "--mount %s: chowning the source is not supported", s);
		} else if (strcmp(t, "idmap") == 0) {
			return err_set(err, CPOD_E_UNSUPPORTED,
				       "--mount %s: idmapped mounts are not supported", s);
		} else {
			return err_set(err, CPOD_E_INVALID, "--mount %s: unknown option \"%s\"", s, t);
		}
	}
	if (!type || strcmp(type, "volume") == 0)
		m->kind = OPTIONS_VOLUME;
	else if (strcmp(type, "bind") == 0)
		m->kind = OPTIONS_BIND;
	else if (strcmp(type, "tmpfs") == 0)
		m->kind = OPTIONS_TMPFS;
	else
		return err_set(err, CPOD_E_UNSUPPORTED,
			       "--mount %s: type \"%s\" is not supported (bind, volume, tmpfs)", s, type);
	if (!dst)
		return err_set(err, CPOD_E_INVALID,
			       "--mount %s: a destination is required (dst=, target=)", s);
	if (options_dest(m, dst, pool, err) < 0)
		return -1;
	if (has_tmpfs_opts && m->kind != OPTIONS_TMPFS)
		return err_set(err, CPOD_E_INVALID, "--mount %s: tmpfs options on a %s mount", s, type);
	if (has_bind_opts && m->kind != OPTIONS_BIND)
		return err_set(err, CPOD_E_INVALID, "--mount %s: bind options on a %s mount", s,
			       type ? type : "volume");
	if (has_volume_opts && m->kind != OPTIONS_VOLUME)
		return err_set(err, CPOD_E_INVALID, "--mount %s: volume options on a %s mount", s, type);
	switch (m->kind) {
	case OPTIONS_BIND:
		if (!src || !*src)
			return err_set(err, CPOD_E_INVALID,
				       "--mount %s: a bind mount needs a source (src=)", s);
		return options_bind_source(m, src, pool, err);
	case OPTIONS_TMPFS: {
		char o[48];
		if (src)
			return err_set(err, CPOD_E_INVALID, "--mount %s: a tmpfs has no source", s);
		if (tsize >= 0) {
			snprintf(o, sizeof(o), "size=%" PRId64, tsize);
			if (options_add_opt(m, o, pool, err) < 0)
				return -1;
		}
		if (tmode >= 0) {
			snprintf(o, sizeof(o), "mode=%lo", tmode);
			if (options_add_opt(m, o, pool, err) < 0)
				return -1;
		}
		return 0;
	}
	case OPTIONS_VOLUME:
		if (src && *src) {
			if (options_is_path(src))
				return err_set(err, CPOD_E_INVALID,
					       "--mount %s: a volume's source is a volume name, not a path "
					       "(type=bind for a host directory)", s);
			if (!volume_name_ok(src))
				return err_set(err, CPOD_E_INVALID,
					       "--mount %s: \"%s\" is not a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)",
					       s, src);
			m->source = src;
		}
		if (nv) {
			m->volume_opts = pool_calloc(pool, nv + 1, sizeof(char *), err);
			if (!m->volume_opts)
				return -1;
			memcpy(m->volume_opts, vopts, nv * sizeof(char *));
			m->n_volume_opts = nv;
		}
		return 0;
	}
	return 0;
}

/* A tmpfs option value as the kernel takes it: a number with k, m, g or %. */
static bool options_tmpfs_number(const char *v, bool percent_ok)
{
	if (!isdigit((unsigned char)*v))
		return false;
	while (isdigit((unsigned char)*v))
		v++;
	if (*v && strchr("kKmMgG", *v))
		v++;
	else if (percent_ok && *v == '%')
		v++;
	return *v == '\0';
}

CPOD_INTERNAL int options_tmpfs(const char *s, options_mount *m, mem_pool *pool, cpod_err *err)
{
	static const char *const flags[] = {
		"ro", "rw", "exec", "noexec", "suid", "nosuid", "dev", "nodev", "atime", "noatime",
		"diratime", "nodiratime", "relatime", "norelatime", "strictatime", "nostrictatime",
		"sync", "async", "dirsync", "mand", "nomand", "lazytime", "nolazytime", "private",
		"rprivate", "shared", "rshared", "slave", "rslave",
	};
	memset(m, 0, sizeof(*m));
	m->flag = "--tmpfs";
	m->spec = s;
	m->kind = OPTIONS_TMPFS;
	char *copy = pool_strdup(pool, s, err);
	if (!copy)
		return -1;
	char *opts = strchr(copy, ':');
	if (opts)
		*opts++ = '\0';
	if (options_dest(m, copy, pool, err) < 0)
		return -1;
	char *save = NULL;
	for (char *t = opts ? strtok_r(opts, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		char *v = strchr(t, '=');
		bool ok = false;
		if (v) {
			size_t k = (size_t)(v - t);
			v++;
			if (k == 4 && strncmp(t, "size", 4) == 0) {
				ok = options_tmpfs_number(v, true);
			} else if ((k == 9 && strncmp(t, "nr_inodes", 9) == 0) ||
				   (k == 9 && strncmp(t, "nr_blocks", 9) == 0)) {
				ok = options_tmpfs_number(v, k == 9 && t[3] == 'b');
			} else if (k == 4 && strncmp(t, "mode", 4) == 0) {
				char *end;
				long md = strtol(v, &end, 8);
				ok = *v && !*end && md >= 0 && md <= 07777;
			} else if ((k == 3 && strncmp(t, "uid", 3) == 0) ||
				   (k == 3 && strncmp(t, "gid", 3) == 0)) {
				char *end;
				strtoul(v, &end, 10);
				ok = isdigit((unsigned char)*v) && !*end;
			} else {
				return err_set(err, CPOD_E_INVALID, "--tmpfs %s: unknown option \"%s\"", s,
					       t);
			}
			if (!ok)
				return err_set(err, CPOD_E_INVALID, "--tmpfs %s: bad value in \"%s\"", s,
					       t);
		} else if (strcmp(t, "tmpcopyup") == 0 || strcmp(t, "notmpcopyup") == 0) {
			m->no_tmpcopyup = t[0] == 'n';
			continue;
		} else if (strcmp(t, "U") == 0 || strcmp(t, "chown") == 0) {
			return err_set(err, CPOD_E_UNSUPPORTED, "--tmpfs %s: chown (U) is not supported",
				       s);
		} else {
			for (size_t i = 0; i < ARRAY_LEN(flags) && !ok; i++)
				ok = strcmp(t, flags[i]) == 0;
			if (!ok)
				return err_set(err, CPOD_E_INVALID, "--tmpfs %s: unknown option \"%s\"", s,
					       t);
			if (options_is_propagation(t)) {
				m->propagation = t;
				continue;
			}
			if (strcmp(t, "ro") == 0 || strcmp(t, "rw") == 0) {
				m->ro = t[1] == 'o';
				continue;
			}
		}
		if (options_add_opt(m, t, pool, err) < 0)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- devices */

static int options_device_add(options_device **list, size_t *n, size_t *cap, const char *host,
			      const char *ctr, const char *perms, const struct stat *st,
			      mem_pool *pool, cpod_err *err)
{
	if (*n >= 4096)
		return err_set(err, CPOD_E_LIMIT, "--device: too many devices");
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		options_device *nl = pool_calloc(pool, nc, sizeof(*nl), err);
		if (!nl)
			return -1;
		if (*n)
			memcpy(nl, *list, *n * sizeof(*nl));
		*list = nl;
		*cap = nc;
	}
	options_device *d = &(*list)[(*n)++];
	d->host = pool_strdup(pool, host, err);
	d->ctr = pool_strdup(pool, ctr, err);
	if (!d->host || !d->ctr)
		return -1;
	snprintf(d->perms, sizeof(d->perms), "%s", perms);
	d->type = S_ISBLK(st->st_mode) ? 'b' : 'c';
	d->major = major(st->st_rdev);
	d->minor = minor(st->st_rdev);
	d->mode = st->st_mode & 0777;
	d->uid = st->st_uid;
	d->gid = st->st_gid;
	return 0;
}

/* Every device under dir (as podman for a directory given to --device). */
static int options_device_dir(const char *host, const char *ctr, const char *perms,
			      options_device **list, size_t *n, size_t *cap, int depth,
			      mem_pool *pool, cpod_err *err)
{
	if (depth > 8)
		return 0;
	DIR *d = opendir(host);
	if (!d)
		return err_sys(err, "--device: read %s", host);
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d))) {
		char hp[PATH_MAX], cp[PATH_MAX];
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(hp, sizeof(hp), "%s/%s", host, de->d_name) >= (int)sizeof(hp) ||
		    snprintf(cp, sizeof(cp), "%s/%s", ctr, de->d_name) >= (int)sizeof(cp))
			continue;
		if (lstat(hp, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			r = options_device_dir(hp, cp, perms, list, n, cap, depth + 1, pool, err);
		else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
			r = options_device_add(list, n, cap, hp, cp, perms, &st, pool, err);
	}
	closedir(d);
	return r;
}

static bool options_perms_ok(const char *p)
{
	if (!*p || strlen(p) > 3)
		return false;
	for (; *p; p++)
		if (!strchr("rwm", *p) || strchr(p + 1, *p))
			return false;
	return true;
}

/* The list and its count accumulate over calls (capacity: see below). */
CPOD_INTERNAL int options_devices(const char *s, options_device **list, size_t *n,
				  mem_pool *pool, cpod_err *err)
{
	char copy[PATH_MAX * 2 + 8];
	char *parts[4];
	size_t k = 0;
	size_t cap = *n;
	if (cap) {
		/* the list was allocated with a power-of-two capacity of at least *n */
		size_t c = 16;
		while (c < cap)
			c *= 2;
		cap = c;
	}
	if (strlen(s) >= sizeof(copy) || !*s)
		return err_set(err, CPOD_E_INVALID, "--device %s: bad device", s);
	strcpy(copy, s);
	for (char *p = copy; k < 4;) {
		parts[k++] = p;
		char *c = strchr(p, ':');
		if (!c)
			break;
		*c = '\0';
		p = c + 1;
	}
	const char *host = parts[0], *ctr = parts[0], *perms = "rwm";
	if (k > 3)
		return err_set(err, CPOD_E_INVALID,
			       "--device %s: HOST-DEVICE[:CONTAINER-DEVICE][:PERMISSIONS] expected", s);
	if (k == 2) {
		if (parts[1][0] != '/')
			perms = parts[1];
		else
			ctr = parts[1];
	} else if (k == 3) {
		ctr = parts[1];
		perms = parts[2];
	}
	if (!options_perms_ok(perms))
		return err_set(err, CPOD_E_INVALID,
			       "--device %s: permissions \"%s\" must be a combination of r, w and m", s,
			       perms);
	char hc[PATH_MAX], cc[PATH_MAX];
	if (host[0] != '/' || options_clean_path(host, hc, sizeof(hc)) < 0)
		return err_set(err, CPOD_E_INVALID, "--device %s: \"%s\" is not an absolute path", s,
			       host);
	if (ctr[0] != '/' || options_clean_path(ctr, cc, sizeof(cc)) < 0)
		return err_set(err, CPOD_E_INVALID, "--device %s: \"%s\" is not an absolute path", s,
			       ctr);
	struct stat st;
	if (stat(hc, &st) < 0)
		return err_sys(err, "--device %s: %s", s, hc);
	if (S_ISDIR(st.st_mode))
		return options_device_dir(hc, cc, perms, list, n, &cap, 0, pool, err);
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		return err_set(err, CPOD_E_INVALID, "--device %s: %s is not a device", s, hc);
	return options_device_add(list, n, &cap, hc, cc, perms, &st, pool, err);
}

/* ---------------------------------------------------------------- env */

typedef struct options_envlist {
	const char **v;
	size_t n, cap;
	mem_pool *pool;
} options_envlist;

static int options_env_push(options_envlist *l, const char *kv, size_t klen, const char *val,
			    cpod_err *err)
{
	if (l->n >= 65536)
		return err_set(err, CPOD_E_LIMIT, "too many environment variables");
	if (l->n + 1 >= l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		const char **nv = pool_calloc(l->pool, nc, sizeof(char *), err);
		if (!nv)
			return -1;
		if (l->n)
			memcpy(nv, l->v, l->n * sizeof(char *));
		l->v = nv;
		l->cap = nc;
	}
	char *s;
	if (val) {
		s = pool_alloc(l->pool, klen + strlen(val) + 2, err);
		if (!s)
			return -1;
		memcpy(s, kv, klen);
		s[klen] = '=';
		strcpy(s + klen + 1, val);
	} else {
		s = pool_strdup(l->pool, kv, err);
		if (!s)
			return -1;
	}
	l->v[l->n++] = s;
	return 0;
}

/* One entry: "K=V", "K" (ours, if we have it), "K*" (all of ours named K...). */
static int options_env_entry(options_envlist *l, const char *e, const char *opt, cpod_err *err)
{
	const char *eq = strchr(e, '=');
	if (eq == e || !*e)
		return err_set(err, CPOD_E_INVALID, "%s %s: no variable name", opt, e);
	if (eq)
		return options_env_push(l, e, 0, NULL, err);
	size_t len = strlen(e);
	if (e[len - 1] == '*') {
		for (char **p = environ; p && *p; p++)
			if (strncmp(*p, e, len - 1) == 0 && strchr(*p, '='))
				if (options_env_push(l, *p, 0, NULL, err) < 0)
					return -1;
		return 0;
	}
	const char *v = getenv(e);
	return v ? options_env_push(l, e, len, v, err) : 0;
}

static int options_env_file(options_envlist *l, const char *path, cpod_err *err)
{
	_cleanup_buf_ buf b = BUF_INIT;
	if (fs_read_file(AT_FDCWD, path, 4u << 20, &b, err) < 0)
		return err_prefix(err, "--env-file %s", path);
	if (memchr(b.data, '\0', b.len))
		return err_set(err, CPOD_E_INVALID, "--env-file %s: not a text file", path);
	char opt[PATH_MAX + 16];
	snprintf(opt, sizeof(opt), "--env-file %s:", path);
	int lineno = 0;
	for (char *line = b.data, *next; line && *line; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		size_t len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		char *eq = strchr(line, '=');
		size_t klen = eq ? (size_t)(eq - line) : strlen(line);
		if (!eq)
			while (klen && isspace((unsigned char)line[klen - 1]))
				line[--klen] = '\0';
		for (size_t i = 0; i < klen; i++)
			if (isspace((unsigned char)line[i]))
				return err_set(err, CPOD_E_INVALID,
					       "--env-file %s: line %d: variable \"%.*s\" has white space",
					       path, lineno, (int)klen, line);
		if (options_env_entry(l, line, opt, err) < 0)
			return -1;
	}
	return 0;
}

CPOD_INTERNAL int options_env(const char *const *files, const char *const *env,
			      const char ***out, size_t *n, mem_pool *pool, cpod_err *err)
{
	options_envlist l = { .pool = pool };
	for (size_t i = 0; files && files[i]; i++)
		if (options_env_file(&l, files[i], err) < 0)
			return -1;
	for (size_t i = 0; env && env[i]; i++)
		if (options_env_entry(&l, env[i], "-e", err) < 0)
			return -1;
	/* the lists are calloc'd with room for one more: NULL-terminated */
	*out = l.v;
	*n = l.n;
	return 0;
}

/* ---------------------------------------------------------------- restart */

CPOD_INTERNAL const char *options_restart_name(enum life_restart r)
{
	static const char *const names[] = { "no", "on-failure", "always", "unless-stopped" };
	return names[r];
}

CPOD_INTERNAL int options_restart(const char *s, enum life_restart *policy, int *retries,
				  cpod_err *err)
{
	*policy = RESTART_NO;
	*retries = 0;
	if (!s || !*s)
		return 0;
	const char *colon = strchr(s, ':');
	size_t len = colon ? (size_t)(colon - s) : strlen(s);
	int found = -1;
	for (int i = 0; i <= RESTART_UNLESS_STOPPED; i++)
		if (strlen(options_restart_name(i)) == len && strncmp(s, options_restart_name(i), len) == 0)
			found = i;
	if (found < 0)
		return err_set(err, CPOD_E_INVALID,
			       "--restart %s: unknown policy (no, on-failure[:MAX-RETRIES], always, "
			       "unless-stopped)", s);
	*policy = found;
	if (colon) {
		int64_t v;
		if (found != RESTART_ON_FAILURE)
			return err_set(err, CPOD_E_INVALID,
				       "--restart %s: a retry count is only for on-failure", s);
		if (options_uint("--restart", colon + 1, INT32_MAX, &v, err) < 0)
			return -1;
		*retries = (int)v;
	}
	return 0;
}

/* ---------------------------------------------------------------- health */

typedef struct options_strv {
	char **v;
	size_t n;
} options_strv;

static void options_strv_free(options_strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int options_strv_push(options_strv *s, const char *p, size_t len, cpod_err *err)
{
	char **nv = realloc(s->v, (s->n + 1) * sizeof(char *));
	if (!nv)
		return err_nomem(err);
	s->v = nv;
	if (!(s->v[s->n] = strndup(p, len)))
		return err_nomem(err);
	s->n++;
	return 0;
}

/* --health-cmd into docker's Test array, as podman builds it. */
static int options_health_test(const char *cmd, options_strv *t, cpod_err *err)
{
	bool is_arr = false;
	if (cmd[0] == '[') {
		json_doc *d = json_parse(cmd, strlen(cmd), NULL, NULL);
		const json_value *a = d ? json_root(d) : NULL;
		if (json_is(a, JSON_ARRAY)) {
			is_arr = true;
			for (size_t i = 0; i < json_len(a) && is_arr; i++) {
				const char *s = json_string(json_at(a, i));
				if (!s)
					is_arr = false;
				else if (options_strv_push(t, s, strlen(s), err) < 0) {
					json_doc_free(d);
					return -1;
				}
			}
			if (!is_arr)
				options_strv_free(t);
		}
		if (d)
			json_doc_free(d);
	}
	if (!is_arr) {
		const char *sp = strchr(cmd, ' ');
		if (options_strv_push(t, cmd, sp ? (size_t)(sp - cmd) : strlen(cmd), err) < 0 ||
		    (sp && options_strv_push(t, sp + 1, strlen(sp + 1), err) < 0))
			return -1;
	}
	if (t->n == 0 || !*t->v[0])
		return err_set(err, CPOD_E_INVALID, "--health-cmd %s: no command", cmd);
	if (strcasecmp(t->v[0], "CMD") == 0 || strcasecmp(t->v[0], "NONE") == 0) {
		if (!is_arr) {
			/* "CMD a b": split on white space */
			options_strv_free(t);
			for (const char *p = cmd; *p;) {
				while (isspace((unsigned char)*p))
					p++;
				const char *q = p;
				while (*q && !isspace((unsigned char)*q))
					q++;
				if (q > p && options_strv_push(t, p, (size_t)(q - p), err) < 0)
					return -1;
				p = q;
			}
		}
	} else if (strcasecmp(t->v[0], "CMD-SHELL") != 0) {
		options_strv w = { 0 };
		if (is_arr && t->n > 1) {
			if (options_strv_push(&w, "CMD", 3, err) < 0)
				goto fail;
			for (size_t i = 0; i < t->n; i++)
				if (options_strv_push(&w, t->v[i], strlen(t->v[i]), err) < 0)
					goto fail;
		} else {
			_cleanup_buf_ buf j = BUF_INIT;
			for (size_t i = 0; i < t->n; i++)
				if (buf_printf(&j, err, "%s%s", i ? " " : "", t->v[i]) < 0)
					goto fail;
			if (options_strv_push(&w, "CMD-SHELL", 9, err) < 0 ||
			    options_strv_push(&w, j.data, j.len, err) < 0)
				goto fail;
		}
		options_strv_free(t);
		*t = w;
		return 0;
fail:
		options_strv_free(&w);
		return -1;
	}
	for (char *p = t->v[0]; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return 0;
}

/* The Test array into the command the supervisor runs (health_cmd: an
 * argv as JSON, CMD-SHELL as /bin/sh -c); NONE or nothing: no check. */
static int options_health_from_test(ctr_life *l, char **v, size_t n, const char *what,
				    cpod_err *err)
{
	free(l->health_cmd);
	l->health_cmd = NULL;
	if (n == 0 || strcmp(v[0], "NONE") == 0)
		return 0;
	bool shell = strcmp(v[0], "CMD-SHELL") == 0;
	if (!shell && strcmp(v[0], "CMD") != 0)
		return err_set(err, CPOD_E_INVALID, "%s: unknown health check form \"%s\"", what,
			       v[0]);
	if (n < 2 || (shell && !*v[1]))
		return err_set(err, CPOD_E_INVALID, "%s: %s without a command", what, v[0]);
	buf j = BUF_INIT;
	json_w w;
	jw_init(&w, &j, NULL);
	jw_arr_begin(&w);
	if (shell) {
		_cleanup_buf_ buf cmd = BUF_INIT;
		for (size_t i = 1; i < n; i++)
			if (buf_printf(&cmd, err, "%s%s", i > 1 ? " " : "", v[i]) < 0)
				return -1;
		jw_str(&w, "/bin/sh");
		jw_str(&w, "-c");
		jw_str(&w, cmd.data);
	} else {
		for (size_t i = 1; i < n; i++)
			jw_str(&w, v[i]);
	}
	jw_arr_end(&w);
	if (jw_finish(&w, err) < 0) {
		buf_free(&j);
		return -1;
	}
	l->health_cmd = j.data;
	return 0;
}

static int options_health_duration(const char *opt, const char *s, bool disable_ok, int64_t *ms,
				   cpod_err *err)
{
	int64_t ns = 0;
	if (disable_ok && strcmp(s, "disable") == 0) {
		*ms = 0;
		return 0;
	}
	if (options_duration(opt, s, &ns, err) < 0)
		return -1;
	*ms = ns / 1000000;
	return 0;
}

static int options_health(const cpod_run_opts *o, const image_config *cfg, ctr_life *h,
			  cpod_err *err)
{
	h->health_interval_ms = 30000;
	h->health_timeout_ms = 30000;
	h->health_start_ms = 0;
	h->health_retries = 3;
	if (o->no_healthcheck && o->health_cmd && strcasecmp(o->health_cmd, "none") != 0)
		return err_set(err, CPOD_E_INVALID,
			       "--no-healthcheck conflicts with --health-cmd %s", o->health_cmd);
	/* the image's, as the default */
	const json_value *hc = cfg ? cfg->healthcheck : NULL;
	if (hc && !o->no_healthcheck) {
		const json_value *test = json_get(hc, "Test");
		options_strv t = { 0 };
		int64_t v;
		for (size_t i = 0; i < json_len(test); i++) {
			const char *s = json_string(json_at(test, i));
			if (s && options_strv_push(&t, s, strlen(s), err) < 0) {
				options_strv_free(&t);
				return -1;
			}
		}
		if (t.n && options_health_from_test(h, t.v, t.n, "the image's Healthcheck", err) < 0) {
			options_strv_free(&t);
			return -1;
		}
		options_strv_free(&t);
		if (json_int64(json_get(hc, "Interval"), &v) && v > 0)
			h->health_interval_ms = v / 1000000;
		if (json_int64(json_get(hc, "Timeout"), &v) && v > 0)
			h->health_timeout_ms = v / 1000000;
		if (json_int64(json_get(hc, "StartPeriod"), &v) && v > 0)
			h->health_start_ms = v / 1000000;
		if (json_int64(json_get(hc, "Retries"), &v) && v > 0 && v < INT32_MAX)
			h->health_retries = (int)v;
	}
	if (o->no_healthcheck) {
		free(h->health_cmd);
		h->health_cmd = NULL;
		return 0;
	}
	if (o->health_cmd) {
		options_strv t = { 0 };
		int r = options_health_test(o->health_cmd, &t, err);
		if (r == 0)
			r = options_health_from_test(h, t.v, t.n, "--health-cmd", err);
		options_strv_free(&t);
		if (r < 0)
			return -1;
	}
	if (o->health_interval &&
	    options_health_duration("--health-interval", o->health_interval, true, &h->health_interval_ms,
				    err) < 0)
		return -1;
	if (o->health_timeout) {
		if (options_health_duration("--health-timeout", o->health_timeout, false,
					    &h->health_timeout_ms, err) < 0)
			return -1;
		if (h->health_timeout_ms < 1000)
			return err_set(err, CPOD_E_INVALID,
				       "--health-timeout %s: must be at least 1 second", o->health_timeout);
	}
	if (o->health_start_period &&
	    options_health_duration("--health-start-period", o->health_start_period, false,
				    &h->health_start_ms, err) < 0)
		return -1;
	if (o->health_retries) {
		int64_t v;
		if (options_uint("--health-retries", o->health_retries, INT32_MAX, &v, err) < 0)
			return -1;
		if (v < 1)
			return err_set(err, CPOD_E_INVALID, "--health-retries %s: must be at least 1",
				       o->health_retries);
		h->health_retries = (int)v;
	}
	return 0;
}

/* ---------------------------------------------------------------- lifecycle */

static int options_log(const cpod_run_opts *o, ctr_life *l, cpod_err *err)
{
	const char *d = o->log_driver;
	if (d && *d && strcmp(d, "k8s-file") != 0 && strcmp(d, "json-file") != 0 &&
	    strcmp(d, "none") != 0)
		return err_set(err, CPOD_E_UNSUPPORTED,
			       "--log-driver %s: not supported (k8s-file, none)", d);
	l->log_none = d && strcmp(d, "none") == 0;
	for (size_t i = 0; o->log_opts && o->log_opts[i]; i++) {
		const char *s = o->log_opts[i], *eq = strchr(s, '=');
		if (!eq)
			return err_set(err, CPOD_E_INVALID, "--log-opt %s: KEY=VALUE expected", s);
		size_t k = (size_t)(eq - s);
		if (k == 8 && strncmp(s, "max-size", 8) == 0) {
			int64_t v;
			if (options_size("--log-opt max-size", eq + 1, true, &v, err) < 0)
				return -1;
			l->log_max_size = v < 0 ? 0 : (uint64_t)v;
		} else if (k == 4 && strncmp(s, "path", 4) == 0) {
			return err_set(err, CPOD_E_UNSUPPORTED,
				       "--log-opt %s: not supported (the log is kept with the "
				       "container)", s);
		} else if (k == 3 && strncmp(s, "tag", 3) == 0) {
			continue; /* accepted as podman does; the k8s-file format has no tag */
		} else {
			return err_set(err, CPOD_E_INVALID,
				       "--log-opt %s: unknown option (max-size, tag)", s);
		}
	}
	return 0;
}

CPOD_INTERNAL int options_lifecycle(const cpod_run_opts *o, const image_config *cfg,
				    ctr_life *out, cpod_err *err)
{
	int64_t v;
	memset(out, 0, sizeof(*out));
	out->stop_signal = SIGTERM;
	out->stop_timeout = 10;
	out->interactive = o->interactive;
	out->tty = o->tty;
	if (o->detach_keys && strlen(o->detach_keys) >= sizeof(out->detach_keys))
		return err_set(err, CPOD_E_INVALID, "--detach-keys %s: too long", o->detach_keys);
	snprintf(out->detach_keys, sizeof(out->detach_keys), "%s",
		 o->detach_keys ? o->detach_keys : "ctrl-p,ctrl-q");
	if (cfg && cfg->stop_signal && *cfg->stop_signal &&
	    options_signal("the image's StopSignal", cfg->stop_signal, &out->stop_signal, err) < 0)
		goto fail;
	if (o->stop_signal && options_signal("--stop-signal", o->stop_signal, &out->stop_signal,
					     err) < 0)
		goto fail;
	if (o->stop_timeout) {
		if (options_uint("--stop-timeout", o->stop_timeout, INT32_MAX, &v, err) < 0)
			goto fail;
		out->stop_timeout = (int)v;
	}
	if (o->timeout) {
		if (options_uint("--timeout", o->timeout, INT32_MAX, &v, err) < 0)
			goto fail;
		out->timeout = (int)v;
	}
	if (options_restart(o->restart, &out->restart, &out->max_retries, err) < 0)
		goto fail;
	if (o->rm && out->restart != RESTART_NO) {
		err_set(err, CPOD_E_INVALID, "--restart %s: conflicts with --rm", o->restart);
		goto fail;
	}
	if (options_log(o, out, err) < 0 || options_health(o, cfg, out, err) < 0)
		goto fail;
	return 0;
fail:
	life_free(out);
	return -1;
}

CPOD_INTERNAL void options_health_write(json_w *w, const ctr_life *l)
{
	json_doc *d = l->health_cmd ? json_parse(l->health_cmd, strlen(l->health_cmd), NULL, NULL)
				    : NULL;
	const json_value *a = d ? json_root(d) : NULL;
	size_t n = json_len(a);
	jw_obj_begin(w);
	jw_key(w, "Test");
	jw_arr_begin(w);
	if (!a || !n) {
		jw_str(w, "NONE");
	} else if (n == 3 && strcmp(json_string(json_at(a, 0)) ? json_string(json_at(a, 0)) : "",
				    "/bin/sh") == 0 &&
		   strcmp(json_string(json_at(a, 1)) ? json_string(json_at(a, 1)) : "", "-c") == 0) {
		jw_str(w, "CMD-SHELL");
		jw_str(w, json_string(json_at(a, 2)) ? json_string(json_at(a, 2)) : "");
	} else {
		jw_str(w, "CMD");
		for (size_t i = 0; i < n; i++)
			jw_str(w, json_string(json_at(a, i)) ? json_string(json_at(a, i)) : "");
	}
	jw_arr_end(w);
	jw_kint(w, "Interval", l->health_interval_ms * 1000000);
	jw_kint(w, "Timeout", l->health_timeout_ms * 1000000);
	jw_kint(w, "StartPeriod", l->health_start_ms * 1000000);
	jw_kint(w, "Retries", l->health_retries);
	jw_obj_end(w);
	if (d)
		json_doc_free(d);
}

/* ---------------------------------------------------------------- capabilities */

CPOD_INTERNAL uint64_t options_all_caps(void)
{
	/* as podman: what our own bounding set holds (nothing more can be given) */
	int last = caps_last();
	uint64_t m = 0;
	if (last > 63)
		last = 63;
	for (int c = 0; c <= last; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			m |= UINT64_C(1) << c;
	return m;
}

CPOD_INTERNAL int options_caps(const char *opt, const char *const *names, uint64_t *mask,
			       bool *all, cpod_err *err)
{
	*mask = 0;
	*all = false;
	for (size_t i = 0; names && names[i]; i++) {
		if (strcasecmp(names[i], "ALL") == 0 || strcasecmp(names[i], "CAP_ALL") == 0) {
			*all = true;
			continue;
		}
		int c = caps_from_name(names[i]);
		if (c < 0)
			return err_set(err, CPOD_E_INVALID, "%s %s: unknown capability", opt, names[i]);
		if (c > caps_last())
			return err_set(err, CPOD_E_UNSUPPORTED, "%s %s: this kernel does not know it",
				       opt, names[i]);
		*mask |= UINT64_C(1) << c;
	}
	return 0;
}

/* ---------------------------------------------------------------- everything */

/* podman's default capabilities */
static const char *const options_default_cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
	"CAP_SYS_CHROOT",
};

CPOD_INTERNAL uint64_t options_default_caps(void)
{
	uint64_t m = 0;
	for (size_t i = 0; i < ARRAY_LEN(options_default_cap_names); i++)
		m |= UINT64_C(1) << caps_from_name(options_default_cap_names[i]);
	return m;
}

static int options_security(const cpod_run_opts *o, options_parsed *p, cpod_err *err)
{
	for (size_t i = 0; o->security_opts && o->security_opts[i]; i++) {
		const char *s = o->security_opts[i];
		char key[64];
		const char *sep = strchr(s, '=');
		if (!sep)
			sep = strchr(s, ':');
		snprintf(key, sizeof(key), "%.*s", sep ? (int)(sep - s) : (int)strlen(s), s);
		const char *v = sep ? sep + 1 : NULL;
		if (strcmp(key, "no-new-privileges") == 0) {
			if (v && strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
				return err_set(err, CPOD_E_INVALID,
					       "--security-opt %s: true or false expected", s);
			p->no_new_privs = !v || strcmp(v, "true") == 0;
		} else if (strcmp(key, "seccomp") == 0) {
			if (!v || !*v)
				return err_set(err, CPOD_E_INVALID,
					       "--security-opt %s: seccomp=FILE or seccomp=unconfined", s);
			if (strcmp(v, "unconfined") == 0) {
				p->seccomp_unconfined = true;
				p->seccomp_file = NULL;
			} else {
				if (access(v, R_OK) < 0)
					return err_sys(err, "--security-opt %s", s);
				p->seccomp_file = v;
				p->seccomp_unconfined = false;
			}
		} else if (strcmp(key, "mask") == 0 || strcmp(key, "unmask") == 0) {
			bool mask = key[0] == 'm';
			if (!v || !*v)
				return err_set(err, CPOD_E_INVALID, "--security-opt %s: paths expected", s);
			char *copy = pool_strdup(&p->pool, v, err);
			if (!copy)
				return -1;
			char *save = NULL;
			for (char *t = strtok_r(copy, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
				if (!mask && strcmp(t, "ALL") == 0) {
					p->unmask_all = true;
					continue;
				}
				if (t[0] != '/')
					return err_set(err, CPOD_E_INVALID,
						       "--security-opt %s: \"%s\" is not an absolute path",
						       s, t);
				const char ***list = mask ? &p->mask : &p->unmask;
				size_t *n = mask ? &p->n_mask : &p->n_unmask;
				const char **nl = pool_calloc(&p->pool, *n + 2, sizeof(char *), err);
				if (!nl)
					return -1;
				if (*n)
					memcpy(nl, *list, *n * sizeof(char *));
				nl[(*n)++] = t;
				*list = nl;
			}
		} else if (strcmp(key, "systempaths") == 0) {
			if (!v || strcmp(v, "unconfined") != 0)
				return err_set(err, CPOD_E_INVALID,
					       "--security-opt %s: systempaths=unconfined expected", s);
			p->unmask_all = true;
		} else if (strcmp(key, "label") == 0 || strcmp(key, "apparmor") == 0) {
			/* no SELinux or AppArmor here: accepted as podman does without them */
		} else {
			return err_set(err, CPOD_E_INVALID,
				       "--security-opt %s: unknown option (no-new-privileges, "
				       "seccomp=, mask=, unmask=, label=, apparmor=)", s);
		}
	}
	return 0;
}

static int options_userns(const cpod_run_opts *o, options_parsed *p, cpod_err *err)
{
	const char *u = o->userns;
	p->auto_size = 65536;
	if (!u || !*u) {
		p->userns = OPTIONS_USERNS_DEFAULT;
		return 0;
	}
	if (strcmp(u, "host") == 0) {
		p->userns = OPTIONS_USERNS_HOST;
		return 0;
	}
	const char *colon = strchr(u, ':');
	size_t len = colon ? (size_t)(colon - u) : strlen(u);
	bool keep = len == 7 && strncmp(u, "keep-id", 7) == 0;
	bool aut = len == 4 && strncmp(u, "auto", 4) == 0;
	if (!keep && !aut)
		return err_set(err, CPOD_E_UNSUPPORTED,
			       "--userns %s: not supported (host, keep-id, auto)", u);
	if (keep && geteuid() == 0)
		return err_set(err, CPOD_E_INVALID,
			       "--userns %s: keep-id is only for rootless containers", u);
	p->userns = keep ? OPTIONS_USERNS_KEEP_ID : OPTIONS_USERNS_AUTO;
	if (!colon)
		return 0;
	char copy[256];
	snprintf(copy, sizeof(copy), "%s", colon + 1);
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		int64_t v;
		if (!eq)
			goto bad;
		*eq++ = '\0';
		if (keep && (strcmp(t, "uid") == 0 || strcmp(t, "gid") == 0)) {
			if (options_uint("--userns keep-id", eq, UINT32_MAX - 1, &v, err) < 0)
				return -1;
			if (t[0] == 'u') {
				p->keep_id_uid = (uint32_t)v;
				p->keep_id_uid_set = true;
			} else {
				p->keep_id_gid = (uint32_t)v;
				p->keep_id_gid_set = true;
			}
		} else if (aut && strcmp(t, "size") == 0) {
			if (options_uint("--userns auto:size", eq, UINT32_MAX - 1, &v, err) < 0)
				return -1;
			if (v < 1)
				goto bad;
			p->auto_size = (uint32_t)v;
		} else {
			goto bad;
		}
	}
	return 0;
bad:
	return err_set(err, CPOD_E_INVALID, "--userns %s: bad option (keep-id:uid=N,gid=N, "
		       "auto:size=N)", u);
}

/* Sysctls a container may set: those of its own namespaces (podman's list). */
static int options_sysctl(const char *s, bool host_net, options_kv *kv, mem_pool *pool,
			  cpod_err *err)
{
	static const char *const ipc[] = {
		"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
		"kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
	};
	const char *eq = strchr(s, '=');
	if (!eq || eq == s)
		return err_set(err, CPOD_E_INVALID, "--sysctl %s: KEY=VALUE expected", s);
	char *key = pool_alloc(pool, (size_t)(eq - s) + 1, err);
	if (!key)
		return -1;
	memcpy(key, s, (size_t)(eq - s));
	for (char *c = key; *c; c++)
		if (*c == '/')
			*c = '.';
	bool ok = strncmp(key, "fs.mqueue.", 10) == 0;
	for (size_t i = 0; i < ARRAY_LEN(ipc) && !ok; i++)
		ok = strcmp(key, ipc[i]) == 0;
	if (strncmp(key, "net.", 4) == 0) {
		if (host_net)
			return err_set(err, CPOD_E_INVALID,
				       "--sysctl %s: cannot be set with --network host (the host's network namespace)",
				       s);
		ok = true;
	}
	if (!ok)
		return err_set(err, CPOD_E_INVALID,
			       "--sysctl %s: not allowed (only the container's own namespaces: "
			       "net.*, fs.mqueue.*, kernel.msg*, kernel.sem, kernel.shm*)", s);
	kv->key = key;
	kv->value = eq + 1;
	return 0;
}

/* "name:ip", "name=ip", "a;b:ip". */
CPOD_INTERNAL int options_add_host(const char *s, options_kv *kv, mem_pool *pool, cpod_err *err)
{
	const char *sep = strchr(s, '=');
	if (!sep)
		sep = strchr(s, ':');
	if (!sep || sep == s || !sep[1])
		return err_set(err, CPOD_E_INVALID, "--add-host %s: HOST:IP expected", s);
	char *name = pool_alloc(pool, (size_t)(sep - s) + 1, err);
	if (!name)
		return -1;
	memcpy(name, s, (size_t)(sep - s));
	for (char *c = name; *c; c++) {
		if (*c == ';')
			*c = ' ';
		else if (isspace((unsigned char)*c) || *c == '#')
			return err_set(err, CPOD_E_INVALID, "--add-host %s: bad host name", s);
	}
	const char *ip = sep + 1;
	unsigned char a[16];
	char ipb[64];
	/* "[::1]" is accepted for an IPv6 address */
	if (ip[0] == '[' && strlen(ip) < sizeof(ipb) && ip[strlen(ip) - 1] == ']') {
		snprintf(ipb, sizeof(ipb), "%.*s", (int)strlen(ip) - 2, ip + 1);
		ip = pool_strdup(pool, ipb, err);
		if (!ip)
			return -1;
	}
	if (strcmp(ip, "host-gateway") == 0) {
		/* the gateway of the container's network: etc_write fills it in */
		kv->key = name;
		kv->value = "host-gateway";
		return 0;
	}
	if (inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1)
		return err_set(err, CPOD_E_INVALID, "--add-host %s: \"%s\" is not an IP address", s, ip);
	kv->key = name;
	kv->value = ip;
	return 0;
}

static size_t options_count(const char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

static int options_resources(const cpod_run_opts *o, options_parsed *p, cpod_err *err)
{
	int64_t v;
	if (o->memory) {
		if (options_size("--memory", o->memory, false, &p->memory, err) < 0)
			return -1;
		if (p->memory < 6 * 1024 * 1024)
			return err_set(err, CPOD_E_INVALID,
				       "--memory %s: the minimum memory limit is 6MB", o->memory);
	}
	if (o->memory_swap) {
		if (options_size("--memory-swap", o->memory_swap, true, &p->memory_swap, err) < 0)
			return -1;
		if (p->memory_swap != -1 && !o->memory)
			return err_set(err, CPOD_E_INVALID,
				       "--memory-swap %s: a memory limit (--memory) is needed too",
				       o->memory_swap);
		if (p->memory_swap != -1 && p->memory_swap < p->memory)
			return err_set(err, CPOD_E_INVALID,
				       "--memory-swap %s: must be at least the memory limit (--memory %s)",
				       o->memory_swap, o->memory);
	} else if (o->memory) {
		/* podman: as much swap as memory */
		p->memory_swap = p->memory * 2;
		p->memory_swap_default = true;
	}
	if (o->memory_reservation) {
		if (options_size("--memory-reservation", o->memory_reservation, false,
				 &p->memory_reservation, err) < 0)
			return -1;
		if (o->memory && p->memory_reservation > p->memory)
			return err_set(err, CPOD_E_INVALID,
				       "--memory-reservation %s: must be below the memory limit",
				       o->memory_reservation);
	}
	if (o->cpus) {
		char *end;
		errno = 0;
		double c = strtod(o->cpus, &end);
		if (!*o->cpus || *end || errno || !(c > 0) || c > 100000 || isspace((unsigned char)*o->cpus))
			return err_set(err, CPOD_E_INVALID, "--cpus %s: a positive number is expected",
				       o->cpus);
		p->cpu_period = 100000;
		p->cpu_quota = (int64_t)(c * 100000 + 0.5);
		if (p->cpu_quota < 1000)
			return err_set(err, CPOD_E_INVALID, "--cpus %s: at least 0.01", o->cpus);
	}
	if (o->cpu_shares) {
		if (options_uint("--cpu-shares", o->cpu_shares, 262144, &v, err) < 0)
			return -1;
		if (v > 0 && v < 2)
			return err_set(err, CPOD_E_INVALID, "--cpu-shares %s: at least 2", o->cpu_shares);
		p->cpu_shares = (uint64_t)v;
	}
	if (o->cpuset_cpus) {
		const char *c = o->cpuset_cpus;
		if (!*c || strspn(c, "0123456789,-") != strlen(c))
			return err_set(err, CPOD_E_INVALID, "--cpuset-cpus %s: a list like \"0-1,3\"", c);
		p->cpuset_cpus = c;
	}
	if (o->pids_limit) {
		long l;
		if (options_int("--pids-limit", o->pids_limit, -1, INT32_MAX, &l, err) < 0)
			return -1;
		p->pids_set = true;
		p->pids_limit = l <= 0 ? -1 : l;
	}
	if (o->shm_size) {
		if (options_size("--shm-size", o->shm_size, false, &p->shm_size, err) < 0)
			return -1;
		if (p->shm_size <= 0)
			return err_set(err, CPOD_E_INVALID, "--shm-size %s: must be above 0", o->shm_size);
	}
	if (o->oom_score_adj) {
		long l;
		if (options_int("--oom-score-adj", o->oom_score_adj, -1000, 1000, &l, err) < 0)
			return -1;
		p->has_oom_score_adj = true;
		p->oom_score_adj = (int)l;
	}
	return 0;
}

static int options_mounts(const cpod_run_opts *o, options_parsed *p, cpod_err *err)
{
	size_t n = options_count(o->tmpfs) + options_count(o->mounts) + options_count(o->volumes);
	p->mounts = pool_calloc(&p->pool, n + 1, sizeof(options_mount), err);
	if (!p->mounts)
		return -1;
	for (size_t i = 0; o->tmpfs && o->tmpfs[i]; i++)
		if (options_tmpfs(o->tmpfs[i], &p->mounts[p->n_mounts++], &p->pool, err) < 0)
			return -1;
	for (size_t i = 0; o->mounts && o->mounts[i]; i++)
		if (options_mount_parse(o->mounts[i], &p->mounts[p->n_mounts++], &p->pool, err) < 0)
			return -1;
	for (size_t i = 0; o->volumes && o->volumes[i]; i++)
		if (options_volume(o->volumes[i], &p->mounts[p->n_mounts++], &p->pool, err) < 0)
			return -1;
	for (size_t i = 0; i < p->n_mounts; i++)
		for (size_t k = 0; k < i; k++)
			if (strcmp(p->mounts[i].dest, p->mounts[k].dest) == 0)
				return err_set(err, CPOD_E_INVALID,
					       "%s %s: duplicate mount destination %s (also %s %s)",
					       p->mounts[i].flag, p->mounts[i].spec, p->mounts[i].dest,
					       p->mounts[k].flag, p->mounts[k].spec);
	return 0;
}

CPOD_INTERNAL bool options_net_name_ok(const char *n)
{
	return options_name_ok(n, 48);
}

CPOD_INTERNAL bool options_name_ok(const char *n, size_t max)
{
	size_t len = strlen(n);
	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

CPOD_INTERNAL bool options_net_name_reserved(const char *n)
{
	static const char *const r[] = { "none", "host", "usernet", "bridge", "private",
					  "container", "ns", "slirp4netns", "pasta", "default" };
	for (size_t i = 0; i < ARRAY_LEN(r); i++)
		if (strcmp(n, r[i]) == 0)
			return true;
	return false;
}

CPOD_INTERNAL int options_mac(const char *opt, const char *s, char out[18], cpod_err *err)
{
	unsigned char m[6];
	size_t l = strlen(s);
	bool ok = l == 17 && (s[2] == ':' || s[2] == '-');
	for (int i = 0; ok && i < 6; i++) {
		const char *x = s + i * 3;
		ok = isxdigit((unsigned char)x[0]) && isxdigit((unsigned char)x[1]) &&
		     (i == 5 || x[2] == s[2]);
		if (ok)
			m[i] = (unsigned char)strtoul((char[3]){ x[0], x[1], 0 }, NULL, 16);
	}
	if (!ok)
		return err_set(err, CPOD_E_INVALID, "%s %s: not a MAC address (xx:xx:xx:xx:xx:xx)",
			       opt, s);
	if (m[0] & 1)
		return err_set(err, CPOD_E_INVALID, "%s %s: a multicast (or broadcast) address: a "
			       "container needs a unicast one (its first byte even)", opt, s);
	if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
		return err_set(err, CPOD_E_INVALID, "%s %s: the zero address", opt, s);
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return 0;
}

/* "80" or "80-90": first port and count. */
static int options_port_range(const char *s, size_t len, unsigned *port, unsigned *count)
{
	char b[16];
	if (len == 0 || len >= sizeof(b))
		return -1;
	memcpy(b, s, len);
	b[len] = '\0';
	char *dash = strchr(b, '-'), *end;
	if (dash)
		*dash = '\0';
	if (!isdigit((unsigned char)b[0]))
		return -1;
	unsigned long a = strtoul(b, &end, 10), z = a;
	if (*end || a < 1 || a > 65535)
		return -1;
	if (dash) {
		if (!isdigit((unsigned char)dash[1]))
			return -1;
		z = strtoul(dash + 1, &end, 10);
		if (*end || z < a || z > 65535)
			return -1;
	}
	*port = (unsigned)a;
	*count = (unsigned)(z - a + 1);
	return 0;
}

CPOD_INTERNAL int options_publish(const char *s, options_port **list, size_t *n, mem_pool *pool,
				  cpod_err *err)
{
	char ip[64] = "";
	const char *rest = s, *proto = "tcp";
	if (!*s)
		return err_set(err, CPOD_E_INVALID, "--publish: empty");
	/* the host address: "[v6]:" or "a.b.c.d:" before two more fields */
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':' || (size_t)(close - s) >= sizeof(ip))
			return err_set(err, CPOD_E_INVALID, "--publish %s: bad [IPv6] address", s);
		snprintf(ip, sizeof(ip), "%.*s", (int)(close - s - 1), s + 1);
		rest = close + 2;
	} else {
		const char *c1 = strchr(s, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2) {
			if (strchr(c2 + 1, ':') || (size_t)(c1 - s) >= sizeof(ip))
				return err_set(err, CPOD_E_INVALID,
					       "--publish %s: [hostip:][hostport:]ctrport[/proto] expected "
					       "(an IPv6 host address goes in brackets)", s);
			snprintf(ip, sizeof(ip), "%.*s", (int)(c1 - s), s);
			rest = c1 + 1;
		}
	}
	if (ip[0]) {
		unsigned char a[16];
		if (inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1)
			return err_set(err, CPOD_E_INVALID, "--publish %s: \"%s\" is not an IP address",
				       s, ip);
	}
	const char *slash = strchr(rest, '/');
	size_t plen = slash ? (size_t)(slash - rest) : strlen(rest);
	if (slash) {
		proto = slash + 1;
		if (strcmp(proto, "sctp") == 0)
			return err_set(err, CPOD_E_UNSUPPORTED, "--publish %s: sctp is not supported", s);
		if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
			return err_set(err, CPOD_E_INVALID, "--publish %s: protocol tcp or udp expected",
				       s);
	}
	const char *colon = memchr(rest, ':', plen);
	unsigned hp = 0, hn = 0, cp, cn;
	if (colon && options_port_range(rest, (size_t)(colon - rest), &hp, &hn) < 0 &&
	    colon != rest)
		return err_set(err, CPOD_E_INVALID, "--publish %s: bad host port", s);
	const char *cs = colon ? colon + 1 : rest;
	if (options_port_range(cs, plen - (size_t)(cs - rest), &cp, &cn) < 0)
		return err_set(err, CPOD_E_INVALID, "--publish %s: bad container port (1-65535)", s);
	if (hn && hn != cn)
		return err_set(err, CPOD_E_INVALID,
			       "--publish %s: the host and container ranges differ in length", s);
	options_port *l = pool_alloc(pool, (*n + 1) * sizeof(*l), err);
	if (!l)
		return -1;
	if (*n)
		memcpy(l, *list, *n * sizeof(*l));
	l[*n] = (options_port){ .host_ip = pool_strdup(pool, ip, err), .host_port = hp,
				.ctr_port = cp, .range = cn, .proto = proto };
	if (!l[*n].host_ip)
		return -1;
	*list = l;
	(*n)++;
	return 0;
}

/* "usernet[:policy=P,mtu=N]" */
static int options_usernet(const char *v, options_parsed *p, cpod_err *err)
{
	p->net_mode = OPTIONS_NET_USERNET;
	if (v[7] != ':')
		return 0;
	char b[256];
	snprintf(b, sizeof(b), "%s", v + 8);
	char *save = NULL;
	for (char *t = strtok_r(b, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strncmp(t, "policy=", 7) == 0) {
			int pol = usernet_policy_parse(t + 7);
			if (pol < 0)
				return err_set(err, CPOD_E_INVALID,
					       "--network %s: policy public, private, local or isolated", v);
			p->net_policy = pol;
		} else if (strncmp(t, "mtu=", 4) == 0) {
			int64_t m;
			if (options_uint("--network mtu", t + 4, 65520, &m, err) < 0)
				return -1;
			if (m < 68)
				return err_set(err, CPOD_E_INVALID, "--network %s: mtu 68 to 65520", v);
			p->net_mtu = (unsigned)m;
		} else {
			return err_set(err, CPOD_E_INVALID,
				       "--network %s: unknown option \"%s\" (policy=, mtu=)", v, t);
		}
	}
	return 0;
}

static int options_network(const cpod_run_opts *o, options_parsed *p, cpod_err *err)
{
	const char *one[2] = { o->network, NULL };
	const char *const *nets = o->networks && o->networks[0] ? o->networks : one;
	size_t nn = options_count(nets);
	p->net_names = pool_calloc(&p->pool, nn + 1, sizeof(char *), err);
	if (!p->net_names)
		return -1;
	p->net_mode = OPTIONS_NET_USERNET;
	p->net_default = nn == 0 || (nn == 1 && !*nets[0]);
	for (size_t i = 0; i < nn; i++) {
		const char *n = nets[i];
		bool special = !*n || strcmp(n, "none") == 0 || strcmp(n, "host") == 0 ||
			       strncmp(n, "usernet", 7) == 0 || strcmp(n, "private") == 0;
		if (nn > 1 && special)
			return err_set(err, CPOD_E_INVALID,
				       "--network %s: cannot be combined with other networks", n);
		if (strcmp(n, "none") == 0) {
			p->net_mode = OPTIONS_NET_NONE;
		} else if (strcmp(n, "host") == 0) {
			p->net_mode = OPTIONS_NET_HOST;
		} else if (!*n || strcmp(n, "private") == 0 || strcmp(n, "usernet") == 0) {
			p->net_mode = OPTIONS_NET_USERNET;
		} else if (strncmp(n, "usernet:", 8) == 0) {
			if (options_usernet(n, p, err) < 0)
				return -1;
		} else if (strncmp(n, "container:", 10) == 0 || strncmp(n, "ns:", 3) == 0 ||
			   strcmp(n, "bridge") == 0 || strcmp(n, "pasta") == 0 ||
			   strcmp(n, "slirp4netns") == 0) {
			return err_set(err, CPOD_E_UNSUPPORTED,
				       "--network %s: not supported (none, host, usernet[:policy=P,mtu=N] "
				       "or a network's name)", n);
		} else if (!options_net_name_ok(n)) {
			return err_set(err, CPOD_E_INVALID, "--network %s: not a network name", n);
		} else {
			for (size_t k = 0; k < p->n_net_names; k++)
				if (strcmp(p->net_names[k], n) == 0)
					return err_set(err, CPOD_E_INVALID, "--network %s: given twice", n);
			p->net_mode = OPTIONS_NET_NAMED;
			p->net_names[p->n_net_names++] = n;
		}
	}
	p->host_net = p->net_mode == OPTIONS_NET_HOST;
	p->no_net = p->net_mode == OPTIONS_NET_NONE;
	const char *mode = p->host_net ? "host" : "none";
	for (size_t i = 0; o->publish && o->publish[i]; i++) {
		if (p->host_net || p->no_net)
			return err_set(err, CPOD_E_INVALID,
				       "--publish %s: conflicts with --network %s (no network of its own to "
				       "publish from)", o->publish[i], mode);
		if (options_publish(o->publish[i], &p->ports, &p->n_ports, &p->pool, err) < 0)
			return -1;
	}
	if (o->publish_all && (p->host_net || p->no_net))
		return err_set(err, CPOD_E_INVALID, "--publish-all: conflicts with --network %s", mode);
	size_t na = options_count(o->network_aliases);
	p->aliases = pool_calloc(&p->pool, na + 1, sizeof(char *), err);
	if (!p->aliases)
		return -1;
	for (size_t i = 0; i < na; i++) {
		const char *a = o->network_aliases[i];
		if (p->host_net || p->no_net)
			return err_set(err, CPOD_E_INVALID, "--network-alias %s: conflicts with --network %s",
				       a, mode);
		if (!options_net_name_ok(a))
			return err_set(err, CPOD_E_INVALID,
				       "--network-alias %s: must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", a);
		p->aliases[p->n_aliases++] = a;
	}
	/* podman: only with one network (network connect --ip for the others) */
	const char *fixed[3][2] = { { "--ip", o->ip }, { "--mac-address", o->mac_address },
				    { "--ip6", o->ip6 } };
	for (size_t i = 0; i < 3; i++) {
		if (!fixed[i][1] || !*fixed[i][1])
			continue;
		if (p->host_net || p->no_net)
			return err_set(err, CPOD_E_INVALID, "%s %s: conflicts with --network %s",
				       fixed[i][0], fixed[i][1], mode);
		if (p->n_net_names > 1)
			return err_set(err, CPOD_E_INVALID, "%s %s: only with a single network (network "
				       "connect %s for the others)", fixed[i][0], fixed[i][1],
				       fixed[i][0]);
	}
	if (o->ip && *o->ip) {
		struct in_addr a;
		if (inet_pton(AF_INET, o->ip, &a) != 1)
			return err_set(err, CPOD_E_INVALID, "--ip %s: not an IPv4 address", o->ip);
		inet_ntop(AF_INET, &a, p->net_ip, sizeof(p->net_ip));
	}
	if (o->ip6 && *o->ip6) {
		struct in6_addr a;
		if (inet_pton(AF_INET6, o->ip6, &a) != 1)
			return err_set(err, CPOD_E_INVALID, "--ip6 %s: not an IPv6 address", o->ip6);
		inet_ntop(AF_INET6, &a, p->net_ip6, sizeof(p->net_ip6));
	}
	if (o->mac_address && *o->mac_address &&
	    options_mac("--mac-address", o->mac_address, p->net_mac, err) < 0)
		return -1;
	size_t nh = options_count(o->add_hosts);
	p->hosts = pool_calloc(&p->pool, nh + 1, sizeof(options_kv), err);
	if (!p->hosts)
		return -1;
	for (size_t i = 0; i < nh; i++) {
		if (options_add_host(o->add_hosts[i], &p->hosts[p->n_hosts], &p->pool, err) < 0)
			return -1;
		if (strcmp(p->hosts[p->n_hosts++].value, "host-gateway") == 0 &&
		    (p->host_net || p->no_net))
			return err_set(err, CPOD_E_INVALID,
				       "--add-host %s: host-gateway needs a container network (not %s)",
				       o->add_hosts[i], mode);
	}
	for (size_t i = 0; o->dns && o->dns[i]; i++) {
		unsigned char a[16];
		if (inet_pton(AF_INET, o->dns[i], a) != 1 && inet_pton(AF_INET6, o->dns[i], a) != 1)
			return err_set(err, CPOD_E_INVALID, "--dns %s: not an IP address", o->dns[i]);
	}
	for (size_t i = 0; o->dns_search && o->dns_search[i]; i++) {
		const char *d = o->dns_search[i];
		if (!*d || strpbrk(d, " \t\n#;"))
			return err_set(err, CPOD_E_INVALID, "--dns-search %s: not a domain", d);
	}
	for (size_t i = 0; o->dns_options && o->dns_options[i]; i++) {
		const char *d = o->dns_options[i];
		if (!*d || strpbrk(d, " \t\n#"))
			return err_set(err, CPOD_E_INVALID, "--dns-option %s: not an option", d);
	}
	return 0;
}

static int options_process(const cpod_run_opts *o, options_parsed *p, cpod_err *err)
{
	if (options_env(o->env_files, o->env, &p->env, &p->n_env, &p->pool, err) < 0)
		return -1;
	size_t nu = options_count(o->ulimits);
	p->ulimits = pool_calloc(&p->pool, nu + 1, sizeof(options_ulimit), err);
	if (!p->ulimits)
		return -1;
	for (size_t i = 0; i < nu; i++) {
		options_ulimit u;
		if (options_ulimit_parse(o->ulimits[i], &u, err) < 0)
			return -1;
		size_t k;
		for (k = 0; k < p->n_ulimits && p->ulimits[k].resource != u.resource; k++)
			;
		p->ulimits[k] = u; /* a later one of a name wins */
		if (k == p->n_ulimits)
			p->n_ulimits++;
	}
	if (o->workdir) {
		if (o->workdir[0] != '/')
			return err_set(err, CPOD_E_INVALID, "--workdir %s: must be an absolute path",
				       o->workdir);
		p->has_workdir = true;
	}
	if (o->entrypoint && o->entrypoint[0] == '[') {
		json_doc *d = json_parse(o->entrypoint, strlen(o->entrypoint), NULL, NULL);
		bool ok = d && json_is(json_root(d), JSON_ARRAY);
		for (size_t i = 0; ok && i < json_len(json_root(d)); i++)
			ok = json_string(json_at(json_root(d), i)) != NULL;
		if (d)
			json_doc_free(d);
		if (!ok)
			return err_set(err, CPOD_E_INVALID,
				       "--entrypoint %s: a JSON array of strings is expected", o->entrypoint);
	}
	if (o->hostname) {
		if (strlen(o->hostname) > 64)
			return err_set(err, CPOD_E_INVALID, "--hostname %s: longer than 64 characters",
				       o->hostname);
		for (const char *c = o->hostname; *c; c++)
			if (isspace((unsigned char)*c) || *c == '/')
				return err_set(err, CPOD_E_INVALID, "--hostname %s: not a host name",
					       o->hostname);
	}
	for (size_t i = 0; o->group_add && o->group_add[i]; i++) {
		const char *g = o->group_add[i];
		if (!*g || strchr(g, ':'))
			return err_set(err, CPOD_E_INVALID, "--group-add %s: a group name or number", g);
		if (strcmp(g, "keep-groups") == 0)
			return err_set(err, CPOD_E_UNSUPPORTED,
				       "--group-add keep-groups: not supported");
	}
	if (o->user && (!*o->user || o->user[0] == ':'))
		return err_set(err, CPOD_E_INVALID, "--user %s: a user name or number", o->user);
	size_t nl = options_count(o->labels);
	p->labels = pool_calloc(&p->pool, nl + 1, sizeof(options_kv), err);
	if (!p->labels)
		return -1;
	for (size_t i = 0; i < nl; i++) {
		const char *l = o->labels[i], *eq = strchr(l, '=');
		if (!*l || eq == l)
			return err_set(err, CPOD_E_INVALID, "--label %s: KEY=VALUE expected", l);
		char *k = pool_strdup(&p->pool, l, err);
		if (!k)
			return -1;
		const char *val = "";
		if (eq) {
			k[eq - l] = '\0';
			val = eq + 1;
		}
		size_t j;
		for (j = 0; j < p->n_labels && strcmp(p->labels[j].key, k) != 0; j++)
			;
		p->labels[j].key = k;
		p->labels[j].value = val;
		if (j == p->n_labels)
			p->n_labels++;
	}
	if (o->pull && strcmp(o->pull, "missing") != 0 && strcmp(o->pull, "always") != 0 &&
	    strcmp(o->pull, "never") != 0 && strcmp(o->pull, "newer") != 0)
		return err_set(err, CPOD_E_INVALID,
			       "--pull %s: one of missing, always, never, newer", o->pull);
	return 0;
}

CPOD_INTERNAL void options_parsed_free(options_parsed *p)
{
	pool_free(&p->pool);
	memset(p, 0, sizeof(*p));
}

CPOD_INTERNAL int options_parse(const cpod_run_opts *o, options_parsed *p, cpod_err *err)
{
	memset(p, 0, sizeof(*p));
	p->shm_size = 65536000;
	p->privileged = o->privileged;
	if (options_process(o, p, err) < 0 || options_network(o, p, err) < 0 ||
	    options_mounts(o, p, err) < 0 || options_resources(o, p, err) < 0 ||
	    options_security(o, p, err) < 0 || options_userns(o, p, err) < 0)
		goto fail;

	for (size_t i = 0; o->devices && o->devices[i]; i++)
		if (options_devices(o->devices[i], &p->devices, &p->n_devices, &p->pool, err) < 0)
			goto fail;

	/* capabilities, as podman merges them */
	uint64_t add, drop;
	bool add_all, drop_all;
	if (options_caps("--cap-add", o->cap_add, &add, &add_all, err) < 0 ||
	    options_caps("--cap-drop", o->cap_drop, &drop, &drop_all, err) < 0)
		goto fail;
	if (add & drop) {
		int c = __builtin_ctzll(add & drop);
		err_set(err, CPOD_E_INVALID, "--cap-add/--cap-drop: %s cannot be both added and dropped",
			caps_name(c));
		goto fail;
	}
	uint64_t all = options_all_caps();
	uint64_t base = o->privileged ? all : options_default_caps();
	if (drop_all)
		p->caps = add_all ? all : add;
	else if (add_all)
		p->caps = all & ~drop;
	else
		p->caps = (base | add) & ~drop;
	p->caps_added = (add_all ? all : add) & ~drop;

	size_t ns = options_count(o->sysctls);
	p->sysctls = pool_calloc(&p->pool, ns + 1, sizeof(options_kv), err);
	if (!p->sysctls)
		goto fail;
	for (size_t i = 0; i < ns; i++)
		if (options_sysctl(o->sysctls[i], p->host_net, &p->sysctls[p->n_sysctls++], &p->pool,
				   err) < 0)
			goto fail;

	if (options_restart(o->restart, &p->restart, &p->max_retries, err) < 0)
		goto fail;
	if (o->rm && p->restart != RESTART_NO) {
		err_set(err, CPOD_E_INVALID, "--restart %s: conflicts with --rm", o->restart);
		goto fail;
	}
	p->log_driver = o->log_driver && strcmp(o->log_driver, "none") == 0 ? "none" : "k8s-file";
	size_t nlo = options_count(o->log_opts);
	p->log_opts = pool_calloc(&p->pool, nlo + 1, sizeof(options_kv), err);
	if (!p->log_opts)
		goto fail;
	for (size_t i = 0; i < nlo; i++) {
		const char *s = o->log_opts[i], *eq = strchr(s, '=');
		char *k = pool_strdup(&p->pool, s, err);
		if (!k)
			goto fail;
		if (eq)
			k[eq - s] = '\0';
		p->log_opts[p->n_log_opts].key = k;
		p->log_opts[p->n_log_opts++].value = eq ? eq + 1 : "";
	}
	return 0;
fail:
	options_parsed_free(p);
	return -1;
}

CPOD_INTERNAL int options_check(const cpod_run_opts *o, cpod_err *err)
{
	options_parsed p;
	ctr_life l;
	if (options_parse(o, &p, err) < 0)
		return -1;
	options_parsed_free(&p);
	if (options_lifecycle(o, NULL, &l, err) < 0)
		return -1;
	life_free(&l);
	return 0;
}
