/*
 * test_options.c — the parsers of options.c: sizes, durations, signals,
 * ulimits, devices, -v / --mount / --tmpfs, env files, restart policies,
 * health checks, the lifecycle and its JSON, capabilities, and the checks
 * across options (options_parse, options_check).  Every bad value must be
 * refused with a message that names the option.
 */
#include <sys/resource.h>

static char topt_dir[PATH_MAX];

static const char *topt_tmpdir(void)
{
	if (!topt_dir[0]) {
		snprintf(topt_dir, sizeof(topt_dir), "/tmp/cpod-unit-options.XXXXXX");
		if (!mkdtemp(topt_dir))
			topt_dir[0] = '\0';
	}
	return topt_dir;
}

static void topt_cleanup(void)
{
	if (topt_dir[0]) {
		fs_rm_tree(AT_FDCWD, topt_dir, NULL);
		topt_dir[0] = '\0';
	}
}

static int topt_write(const char *name, const char *content, char *path, size_t n)
{
	snprintf(path, n, "%s/%s", topt_tmpdir(), name);
	return fs_write_atomic(AT_FDCWD, path, content, strlen(content), 0644, 0, NULL);
}

TEST(options_sizes)
{
	static const struct {
		const char *in;
		int64_t out;
	} ok[] = {
		{ "0", 0 }, { "1024", 1024 }, { "512m", 512LL << 20 }, { "1g", 1LL << 30 },
		{ "1G", 1LL << 30 }, { "1.5g", 3LL << 29 }, { "64MiB", 64LL << 20 }, { "10mb", 10LL << 20 },
		{ "1 k", 1024 }, { "2kb", 2048 }, { "1t", 1LL << 40 }, { "100b", 100 }, { "7B", 7 },
	};
	static const char *const bad[] = { "", "m", "12x", "1..2", "1.", ".5", "-5", "1e3", "0x10",
					   "5 m b", "1mm", "9999999999p", " 1", "1gib2" };
	cpod_err err;
	int64_t v;
	for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
		CHECK_MSG(options_size("--memory", ok[i].in, false, &v, &err) == 0, "%s: %s", ok[i].in,
			  err.msg);
		CHECK_MSG(v == ok[i].out, "%s: %" PRId64, ok[i].in, v);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		CHECK_MSG(options_size("--memory", bad[i], false, &v, &err) < 0, "%s accepted", bad[i]);
		CHECK(err.code == CPOD_E_INVALID);
		CHECK_MSG(strncmp(err.msg, "--memory ", 9) == 0, "%s", err.msg);
	}
	CHECK(options_size("--memory-swap", "-1", true, &v, &err) == 0 && v == -1);
	CHECK(options_size("--memory", "-1", false, &v, &err) < 0);
}

TEST(options_durations)
{
	static const struct {
		const char *in;
		int64_t ns;
	} ok[] = {
		{ "0", 0 }, { "30s", 30000000000LL }, { "1m30s", 90000000000LL }, { "500ms", 500000000LL },
		{ "1.5h", 5400000000000LL }, { "1h2m3s4ms", 3723004000000LL }, { "10us", 10000 },
		{ "7ns", 7 }, { ".5s", 500000000LL }, { "+2s", 2000000000LL }, { "1\xc2\xb5s", 1000 },
	};
	static const char *const bad[] = { "", "30", "-1s", "1x", "s", "1.2.3s", "ms", "1s2",
					   "1 s", "99999999999h" };
	cpod_err err;
	int64_t v;
	for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
		CHECK_MSG(options_duration("--health-interval", ok[i].in, &v, &err) == 0, "%s: %s",
			  ok[i].in, err.msg);
		CHECK_MSG(v == ok[i].ns, "%s: %" PRId64, ok[i].in, v);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		CHECK_MSG(options_duration("--health-interval", bad[i], &v, &err) < 0, "%s accepted",
			  bad[i]);
		CHECK_MSG(strstr(err.msg, "--health-interval") == err.msg, "%s", err.msg);
	}
	CHECK(options_duration("--x", "30", &v, &err) < 0 && strstr(err.msg, "missing unit"));
}

TEST(options_integers)
{
	cpod_err err;
	int64_t v;
	CHECK(options_uint("--stop-timeout", "10", INT32_MAX, &v, &err) == 0 && v == 10);
	CHECK(options_uint("--stop-timeout", "0", INT32_MAX, &v, &err) == 0 && v == 0);
	CHECK(options_uint("--stop-timeout", "-1", INT32_MAX, &v, &err) < 0);
	CHECK(options_uint("--stop-timeout", "1s", INT32_MAX, &v, &err) < 0);
	CHECK(options_uint("--stop-timeout", "", INT32_MAX, &v, &err) < 0);
	CHECK(options_uint("--stop-timeout", "99999999999", INT32_MAX, &v, &err) < 0);
	CHECK(strstr(err.msg, "--stop-timeout 99999999999"));
}

TEST(options_signals)
{
	static const struct {
		const char *in;
		int sig;
	} ok[] = {
		{ "SIGTERM", 15 }, { "term", 15 }, { "TERM", 15 }, { "15", 15 }, { "9", 9 },
		{ "SIGKILL", 9 }, { "sigusr1", 10 }, { "HUP", 1 }, { "SIGRTMIN", 34 }, { "RTMIN+3", 37 },
		{ "SIGRTMAX", 64 }, { "SIGRTMAX-2", 62 }, { "64", 64 }, { "SIGWINCH", 28 },
	};
	static const char *const bad[] = { "SIGFOO", "0", "65", "", "RTMIN+31", "RTMIN-1",
					   "RTMAX+1", "15x", "SIG", "-9" };
	cpod_err err;
	int s;
	for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
		CHECK_MSG(options_signal("--stop-signal", ok[i].in, &s, &err) == 0, "%s: %s", ok[i].in,
			  err.msg);
		CHECK_MSG(s == ok[i].sig, "%s: %d", ok[i].in, s);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		CHECK_MSG(options_signal("--stop-signal", bad[i], &s, &err) < 0, "%s accepted", bad[i]);
		CHECK(strstr(err.msg, "--stop-signal") == err.msg);
	}
	CHECK_STR(options_signal_name(15), "SIGTERM");
	CHECK_STR(options_signal_name(9), "SIGKILL");
	CHECK_STR(options_signal_name(34), "SIGRTMIN");
	CHECK_STR(options_signal_name(37), "SIGRTMIN+3");
}

TEST(options_ulimits)
{
	cpod_err err;
	options_ulimit u;
	CHECK(options_ulimit_parse("nofile=1024:2048", &u, &err) == 0);
	CHECK(u.resource == RLIMIT_NOFILE && u.soft == 1024 && u.hard == 2048);
	CHECK_STR(u.name, "RLIMIT_NOFILE");
	CHECK(options_ulimit_parse("nproc=-1", &u, &err) == 0);
	CHECK(u.resource == RLIMIT_NPROC && u.soft == RLIM_INFINITY && u.hard == RLIM_INFINITY);
	CHECK(options_ulimit_parse("core=unlimited", &u, &err) == 0 && u.soft == RLIM_INFINITY);
	CHECK(options_ulimit_parse("RLIMIT_STACK=8192", &u, &err) == 0 && u.resource == RLIMIT_STACK);
	CHECK(options_ulimit_parse("memlock=100:-1", &u, &err) == 0 && u.hard == RLIM_INFINITY);
	static const char *const bad[] = { "nofile", "=1", "bogus=1", "nofile=2048:1024", "nofile=x",
					   "nofile=1:y", "nofile=", "nofile=-2" };
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		CHECK_MSG(options_ulimit_parse(bad[i], &u, &err) < 0, "%s accepted", bad[i]);
		CHECK_MSG(strncmp(err.msg, "--ulimit ", 9) == 0, "%s", err.msg);
	}
}

TEST(options_devices_parse)
{
	mem_pool pool = { 0 };
	options_device *d = NULL;
	size_t n = 0;
	cpod_err err;
	CHECK(options_devices("/dev/null", &d, &n, &pool, &err) == 0 && n == 1);
	CHECK_STR(d[0].host, "/dev/null");
	CHECK_STR(d[0].ctr, "/dev/null");
	CHECK_STR(d[0].perms, "rwm");
	CHECK(d[0].type == 'c' && d[0].major == 1 && d[0].minor == 3);
	CHECK(options_devices("/dev/zero:/dev/myzero", &d, &n, &pool, &err) == 0 && n == 2);
	CHECK_STR(d[1].ctr, "/dev/myzero");
	CHECK(options_devices("/dev/full:r", &d, &n, &pool, &err) == 0 && n == 3);
	CHECK_STR(d[2].perms, "r");
	CHECK(options_devices("/dev/null:/dev/x//y/:rw", &d, &n, &pool, &err) == 0 && n == 4);
	CHECK_STR(d[3].ctr, "/dev/x/y");
	CHECK_STR(d[3].perms, "rw");
	/* earlier entries survive the growth of the list */
	for (int i = 0; i < 40; i++)
		CHECK(options_devices("/dev/null", &d, &n, &pool, &err) == 0);
	CHECK(n == 44);
	CHECK_STR(d[1].ctr, "/dev/myzero");
	static const char *const bad[] = { "", "dev/null", "/dev/null:rwx", "/dev/null:x:r",
					   "/dev/no-such-device", "/etc/passwd", "/dev/null:/a:rr",
					   "/dev/null:/a:r:w" };
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		CHECK_MSG(options_devices(bad[i], &d, &n, &pool, &err) < 0, "%s accepted", bad[i]);
		CHECK_MSG(strncmp(err.msg, "--device", 8) == 0, "%s", err.msg);
	}
	pool_free(&pool);
}

TEST(options_clean_paths)
{
	char out[64];
	static const char *const cases[][2] = {
		{ "/", "/" }, { "/a/b", "/a/b" }, { "/a//b/", "/a/b" }, { "/a/./b/../c", "/a/c" },
		{ "/../a", "/a" }, { "/a/..", "/" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		CHECK(options_clean_path(cases[i][0], out, sizeof(out)) == 0);
		CHECK_STR(out, cases[i][1]);
	}
	CHECK(options_clean_path("relative", out, sizeof(out)) < 0);
}

TEST(options_volume_flag)
{
	mem_pool pool = { 0 };
	options_mount m;
	cpod_err err;
	CHECK(options_volume("/data", &m, &pool, &err) == 0);
	CHECK(m.kind == OPTIONS_VOLUME && !m.source);
	CHECK_STR(m.dest, "/data");
	CHECK(options_volume("myvol:/data/:ro", &m, &pool, &err) == 0);
	CHECK(m.kind == OPTIONS_VOLUME && m.ro);
	CHECK_STR(m.source, "myvol");
	CHECK_STR(m.dest, "/data");
	CHECK(options_volume("/tmp:/h:rw,z,rshared,nocopy,noexec,bind", &m, &pool, &err) == 0);
	CHECK(m.kind == OPTIONS_BIND && !m.ro && m.nocopy && m.nonrecursive);
	CHECK_STR(m.source, "/tmp");
	CHECK_STR(m.propagation, "rshared");
	CHECK(m.n_opts == 1);
	CHECK_STR(m.opts[0], "noexec");
	CHECK(options_volume("/tmp/../tmp/:/h:Z", &m, &pool, &err) == 0);
	CHECK_STR(m.source, "/tmp");
	static const struct {
		const char *spec, *why;
	} bad[] = {
		{ "", "empty" },
		{ "a:b:c:d", "incorrect volume format" },
		{ "/tmp:rel", "must be absolute" },
		{ "/tmp:/", "cannot mount over /" },
		{ "/no/such/dir:/x", "No such file" },
		{ "bad$name:/x", "neither an absolute path nor a volume name" },
		{ "/tmp:/x:O", "overlay" },
		{ "/tmp:/x:U", "chown" },
		{ "/tmp:/x:idmap", "idmap" },
		{ "/tmp:/x:ro,rw", "only one of" },
		{ "/tmp:/x:z,Z", "only one of" },
		{ "/tmp:/x:shared,slave", "only one propagation" },
		{ "/tmp:/x:bogus", "unknown option \"bogus\"" },
		{ ":/x", "empty source" },
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		CHECK_MSG(options_volume(bad[i].spec, &m, &pool, &err) < 0, "%s accepted", bad[i].spec);
		CHECK_MSG(strncmp(err.msg, "-v", 2) == 0 && strstr(err.msg, bad[i].why), "%s: %s",
			  bad[i].spec, err.msg);
	}
	pool_free(&pool);
}

TEST(options_mount_flag)
{
	mem_pool pool = { 0 };
	options_mount m;
	cpod_err err;
	CHECK(options_mount_parse("type=bind,src=/tmp,dst=/x,ro,bind-propagation=rslave", &m, &pool,
				  &err) == 0);
	CHECK(m.kind == OPTIONS_BIND && m.ro);
	CHECK_STR(m.source, "/tmp");
	CHECK_STR(m.dest, "/x");
	CHECK_STR(m.propagation, "rslave");
	CHECK(options_mount_parse("type=bind,source=/tmp,target=/y,readonly=false", &m, &pool,
				  &err) == 0);
	CHECK(!m.ro);
	CHECK_STR(m.dest, "/y");
	CHECK(options_mount_parse("type=volume,src=v1,destination=/v,volume-opt=type=tmpfs,"
				  "volume-nocopy", &m, &pool, &err) == 0);
	CHECK(m.kind == OPTIONS_VOLUME && m.nocopy && m.n_volume_opts == 1);
	CHECK_STR(m.source, "v1");
	CHECK_STR(m.volume_opts[0], "type=tmpfs");
	CHECK(options_mount_parse("type=volume,dst=/anon", &m, &pool, &err) == 0);
	CHECK(m.kind == OPTIONS_VOLUME && !m.source);
	CHECK(options_mount_parse("dst=/novtype", &m, &pool, &err) == 0 && m.kind == OPTIONS_VOLUME);
	CHECK(options_mount_parse("type=tmpfs,dst=/t,tmpfs-size=2m,tmpfs-mode=700,notmpcopyup", &m,
				  &pool, &err) == 0);
	CHECK(m.kind == OPTIONS_TMPFS && m.no_tmpcopyup && m.n_opts == 2);
	CHECK_STR(m.opts[0], "size=2097152");
	CHECK_STR(m.opts[1], "mode=700");
	static const struct {
		const char *spec, *why;
	} bad[] = {
		{ "type=image,src=x,dst=/y", "not supported" },
		{ "type=bind,dst=/y", "needs a source" },
		{ "type=bind,src=/tmp", "destination is required" },
		{ "type=bind,src=/nope,dst=/y", "No such file" },
		{ "type=tmpfs,dst=/x,tmpfs-size=zz", "tmpfs-size zz" },
		{ "type=tmpfs,dst=/x,tmpfs-mode=9", "tmpfs-mode" },
		{ "type=tmpfs,src=x,dst=/x", "no source" },
		{ "type=bind,src=/tmp,dst=/x,tmpfs-size=1m", "tmpfs options" },
		{ "type=volume,dst=/x,bind-propagation=shared", "bind options" },
		{ "type=bind,src=/tmp,dst=/x,volume-nocopy", "volume options" },
		{ "type=volume,src=/tmp,dst=/x", "not a path" },
		{ "type=bind,src=/tmp,dst=/x,bind-propagation=sideways", "bind-propagation" },
		{ "type=bind,src=/tmp,dst=/x,ro=maybe", "true or false" },
		{ "type=bind,src=/tmp,dst=/x,frobnicate", "unknown option" },
		{ "type=bind,src=/tmp,dst=/x,U", "chown" },
		{ "type=volume,src=v,dst=/x,volume-opt=novalue", "KEY=VALUE" },
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		CHECK_MSG(options_mount_parse(bad[i].spec, &m, &pool, &err) < 0, "%s accepted",
			  bad[i].spec);
		CHECK_MSG(strncmp(err.msg, "--mount ", 8) == 0 && strstr(err.msg, bad[i].why), "%s: %s",
			  bad[i].spec, err.msg);
	}
	pool_free(&pool);
}

TEST(options_tmpfs_flag)
{
	mem_pool pool = { 0 };
	options_mount m;
	cpod_err err;
	CHECK(options_tmpfs("/t", &m, &pool, &err) == 0 && m.kind == OPTIONS_TMPFS && m.n_opts == 0);
	CHECK(options_tmpfs("/t:size=64m,mode=1700,exec,uid=5,nr_inodes=1k,notmpcopyup,ro", &m, &pool,
			    &err) == 0);
	CHECK(m.ro && m.no_tmpcopyup && m.n_opts == 5);
	CHECK(options_tmpfs("/t:size=50%", &m, &pool, &err) == 0);
	static const char *const bad[] = { "t", "/t:bogus", "/t:size=", "/t:size=1x", "/t:mode=9",
					   "/t:uid=-1", "/t:color=red", "/t:U" };
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		CHECK_MSG(options_tmpfs(bad[i], &m, &pool, &err) < 0, "%s accepted", bad[i]);
		CHECK_MSG(strncmp(err.msg, "--tmpfs", 7) == 0, "%s", err.msg);
	}
	pool_free(&pool);
}

TEST(options_env_files)
{
	char f1[PATH_MAX], f2[PATH_MAX];
	mem_pool pool = { 0 };
	const char **env;
	size_t n;
	cpod_err err;
	setenv("CPOD_TOPT_HOST", "from-host", 1);
	setenv("CPOD_TOPT_GLOB1", "g1", 1);
	unsetenv("CPOD_TOPT_UNSET");
	CHECK(topt_write("env1", "# a comment\n\nA=1\n  B=two words  \r\nCPOD_TOPT_HOST\n"
			 "CPOD_TOPT_UNSET\nEMPTY=\nC==x\n", f1, sizeof(f1)) == 0);
	const char *files[] = { f1, NULL };
	const char *e[] = { "B=over", "D", "CPOD_TOPT_GLOB*", "CPOD_TOPT_HOST", NULL };
	cpod_run_opts o = { .env_files = files, .env = e };
	setenv("D", "dee", 1);
	CHECK_MSG(options_env(o.env_files, o.env, &env, &n, &pool, &err) == 0, "%s", err.msg);
	const char *want[] = { "A=1", "B=two words  ", "CPOD_TOPT_HOST=from-host", "EMPTY=", "C==x",
			       "B=over", "D=dee", "CPOD_TOPT_GLOB1=g1", "CPOD_TOPT_HOST=from-host" };
	CHECK_MSG(n == ARRAY_LEN(want), "%zu variables", n);
	for (size_t i = 0; i < n; i++)
		CHECK_STR(env[i], want[i]);
	CHECK(topt_write("env2", "OK=1\n\nBAD KEY=1\n", f2, sizeof(f2)) == 0);
	const char *files2[] = { f2, NULL };
	cpod_run_opts o2 = { .env_files = files2 };
	CHECK(options_env(o2.env_files, o2.env, &env, &n, &pool, &err) < 0);
	CHECK_MSG(strstr(err.msg, "--env-file") && strstr(err.msg, "line 3") &&
		  strstr(err.msg, "white space"), "%s", err.msg);
	const char *files3[] = { "/no/such/env-file", NULL };
	cpod_run_opts o3 = { .env_files = files3 };
	CHECK(options_env(o3.env_files, o3.env, &env, &n, &pool, &err) < 0 && strstr(err.msg, "--env-file"));
	const char *e4[] = { "=x", NULL };
	cpod_run_opts o4 = { .env = e4 };
	CHECK(options_env(o4.env_files, o4.env, &env, &n, &pool, &err) < 0 && strncmp(err.msg, "-e =x", 5) == 0);
	unsetenv("D");
	unsetenv("CPOD_TOPT_HOST");
	unsetenv("CPOD_TOPT_GLOB1");
	pool_free(&pool);
	topt_cleanup();
}

TEST(options_restart_policies)
{
	enum life_restart r;
	int n;
	cpod_err err;
	CHECK(options_restart(NULL, &r, &n, &err) == 0 && r == RESTART_NO);
	CHECK(options_restart("", &r, &n, &err) == 0 && r == RESTART_NO);
	CHECK(options_restart("no", &r, &n, &err) == 0 && r == RESTART_NO);
	CHECK(options_restart("always", &r, &n, &err) == 0 && r == RESTART_ALWAYS);
	CHECK(options_restart("unless-stopped", &r, &n, &err) == 0 && r == RESTART_UNLESS_STOPPED);
	CHECK(options_restart("on-failure", &r, &n, &err) == 0 && r == RESTART_ON_FAILURE && n == 0);
	CHECK(options_restart("on-failure:5", &r, &n, &err) == 0 && n == 5);
	static const char *const bad[] = { "sometimes", "always:3", "on-failure:x", "on-failure:-1",
					   "on-failure:", "ALWAYS", "no:1" };
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		CHECK_MSG(options_restart(bad[i], &r, &n, &err) < 0, "%s accepted", bad[i]);
		CHECK(strstr(err.msg, "--restart") == err.msg);
	}
}

/* The health check a set of flags (and an image's) makes. */
static int topt_health(const char *cmd, const char *image_hc, ctr_life *l, cpod_err *err)
{
	image_config *cfg = NULL;
	int r;
	if (image_hc) {
		char js[1024];
		snprintf(js, sizeof(js),
			 "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Healthcheck\":%s},"
			 "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", image_hc);
		cfg = config_parse(js, strlen(js), err);
		if (!cfg)
			return -1;
	}
	cpod_run_opts o = { .health_cmd = cmd };
	r = options_lifecycle(&o, cfg, l, err);
	config_free(cfg);
	return r;
}

TEST(options_health_forms)
{
	ctr_life l;
	cpod_err err;
	CHECK(topt_health(NULL, NULL, &l, &err) == 0 && !l.health_cmd);
	life_free(&l);
	CHECK(topt_health("curl -f http://x/ || exit 1", NULL, &l, &err) == 0);
	CHECK_STR(l.health_cmd, "[\"/bin/sh\",\"-c\",\"curl -f http://x/ || exit 1\"]");
	CHECK(l.health_interval_ms == 30000 && l.health_timeout_ms == 30000 && l.health_retries == 3);
	life_free(&l);
	CHECK(topt_health("CMD ls  -l", NULL, &l, &err) == 0);
	CHECK_STR(l.health_cmd, "[\"ls\",\"-l\"]");
	life_free(&l);
	CHECK(topt_health("[\"CMD\",\"ls\",\"a b\"]", NULL, &l, &err) == 0);
	CHECK_STR(l.health_cmd, "[\"ls\",\"a b\"]");
	life_free(&l);
	CHECK(topt_health("[\"ls\",\"-a\"]", NULL, &l, &err) == 0);
	CHECK_STR(l.health_cmd, "[\"ls\",\"-a\"]");
	life_free(&l);
	CHECK(topt_health("[\"true\"]", NULL, &l, &err) == 0);
	CHECK_STR(l.health_cmd, "[\"/bin/sh\",\"-c\",\"true\"]");
	life_free(&l);
	CHECK(topt_health("[\"CMD-SHELL\",\"x y\"]", NULL, &l, &err) == 0);
	CHECK_STR(l.health_cmd, "[\"/bin/sh\",\"-c\",\"x y\"]");
	life_free(&l);
	CHECK(topt_health("CMD-SHELL echo hi", NULL, &l, &err) == 0);
	CHECK_STR(l.health_cmd, "[\"/bin/sh\",\"-c\",\"echo hi\"]");
	life_free(&l);
	CHECK(topt_health("none", NULL, &l, &err) == 0 && !l.health_cmd);
	life_free(&l);
	CHECK(topt_health("CMD", NULL, &l, &err) < 0 && strstr(err.msg, "--health-cmd"));
	/* the image's as the default, the flags over it */
	const char *img = "{\"Test\":[\"CMD-SHELL\",\"check\"],\"Interval\":5000000000,"
			  "\"Timeout\":2000000000,\"StartPeriod\":1000000000,\"Retries\":7}";
	CHECK_MSG(topt_health(NULL, img, &l, &err) == 0, "%s", err.msg);
	CHECK_STR(l.health_cmd, "[\"/bin/sh\",\"-c\",\"check\"]");
	CHECK(l.health_interval_ms == 5000 && l.health_timeout_ms == 2000);
	CHECK(l.health_start_ms == 1000 && l.health_retries == 7);
	life_free(&l);
	CHECK(topt_health("other", img, &l, &err) == 0);
	CHECK_STR(l.health_cmd, "[\"/bin/sh\",\"-c\",\"other\"]");
	CHECK(l.health_interval_ms == 5000);
	life_free(&l);
	CHECK(topt_health(NULL, "{\"Test\":[\"NONE\"]}", &l, &err) == 0 && !l.health_cmd);
	life_free(&l);
}

TEST(options_lifecycle_values)
{
	ctr_life l, back;
	cpod_err err;
	const char *logs[] = { "max-size=10m", "tag=web", NULL };
	cpod_run_opts o = {
		.stop_signal = "SIGINT", .stop_timeout = "30", .timeout = "120",
		.restart = "on-failure:4", .log_opts = logs, .health_cmd = "CMD true",
		.health_interval = "1m", .health_timeout = "5s", .health_start_period = "10s",
		.health_retries = "2",
	};
	CHECK_MSG(options_lifecycle(&o, NULL, &l, &err) == 0, "%s", err.msg);
	CHECK(l.stop_signal == SIGINT && l.stop_timeout == 30 && l.timeout == 120);
	CHECK(l.restart == RESTART_ON_FAILURE && l.max_retries == 4);
	CHECK(l.log_max_size == 10u << 20 && !l.log_none);
	CHECK(l.health_interval_ms == 60000 && l.health_timeout_ms == 5000);
	CHECK(l.health_start_ms == 10000 && l.health_retries == 2);
	CHECK_STR(l.detach_keys, "ctrl-p,ctrl-q");

	/* JSON there and back (the record's form) */
	buf b = BUF_INIT;
	json_w w;
	jw_init(&w, &b, NULL);
	life_write(&w, &l);
	CHECK(jw_finish(&w, &err) == 0);
	json_doc *d = json_parse(b.data, b.len, NULL, &err);
	CHECK(d);
	CHECK_MSG(life_read(json_root(d), &back, &err) == 0, "%s", err.msg);
	CHECK(back.stop_signal == SIGINT && back.stop_timeout == 30 && back.timeout == 120);
	CHECK(back.restart == RESTART_ON_FAILURE && back.max_retries == 4);
	CHECK(back.log_max_size == 10u << 20);
	CHECK_STR(back.health_cmd, "[\"true\"]");
	CHECK(back.health_interval_ms == 60000 && back.health_retries == 2);
	json_doc_free(d);
	buf_free(&b);
	life_free(&back);
	life_free(&l);

	/* inspect's Healthcheck: podman's Test forms back */
	cpod_run_opts hs = { .health_cmd = "echo ok" };
	CHECK(options_lifecycle(&hs, NULL, &l, &err) == 0);
	jw_init(&w, &b, NULL);
	options_health_write(&w, &l);
	CHECK(jw_finish(&w, &err) == 0);
	CHECK_MSG(strstr(b.data, "\"Test\":[\"CMD-SHELL\",\"echo ok\"]"), "%s", b.data);
	buf_free(&b);
	life_free(&l);

	/* defaults, the image's stop signal, --rm */
	const char *cj = "{\"config\":{\"StopSignal\":\"SIGQUIT\"},\"rootfs\":"
			 "{\"type\":\"layers\",\"diff_ids\":[]}}";
	image_config *cfg = config_parse(cj, strlen(cj), &err);
	CHECK_MSG(cfg, "%s", err.msg);
	cpod_run_opts d2 = { .rm = 1, .log_driver = "none" };
	CHECK(options_lifecycle(&d2, cfg, &l, &err) == 0);
	CHECK(l.stop_signal == SIGQUIT && l.stop_timeout == 10 && l.timeout == 0);
	CHECK(l.log_none && l.restart == RESTART_NO && !l.health_cmd);
	life_free(&l);
	config_free(cfg);

}

TEST(options_lifecycle_errors)
{
	const struct {
		cpod_run_opts o;
		const char *why;
	} bad[] = {
		{ { .stop_signal = "SIGFOO" }, "--stop-signal SIGFOO" },
		{ { .stop_timeout = "-1" }, "--stop-timeout -1" },
		{ { .timeout = "1m" }, "--timeout 1m" },
		{ { .restart = "always", .rm = 1 }, "conflicts with --rm" },
		{ { .log_opts = (const char *const[]){ "max-size=x", NULL } }, "--log-opt max-size" },
		{ { .log_opts = (const char *const[]){ "colour=red", NULL } }, "--log-opt colour=red" },
		{ { .log_opts = (const char *const[]){ "path=/x", NULL } }, "not supported" },
		{ { .log_driver = "journald" }, "--log-driver journald" },
		{ { .health_cmd = "true", .health_interval = "30" }, "--health-interval 30" },
		{ { .health_cmd = "true", .health_timeout = "500ms" }, "at least 1 second" },
		{ { .health_cmd = "true", .health_retries = "0" }, "--health-retries 0" },
		{ { .health_cmd = "true", .no_healthcheck = 1 }, "--no-healthcheck" },
		{ { .health_cmd = "true", .health_start_period = "-1s" }, "--health-start-period" },
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		ctr_life l;
		cpod_err err;
		CHECK_MSG(options_lifecycle(&bad[i].o, NULL, &l, &err) < 0, "case %zu accepted", i);
		CHECK_MSG(strstr(err.msg, bad[i].why), "case %zu: %s", i, err.msg);
	}
	cpod_run_opts ok = { .health_cmd = "true", .health_interval = "disable" };
	ctr_life l;
	cpod_err err;
	CHECK(options_lifecycle(&ok, NULL, &l, &err) == 0 && l.health_interval_ms == 0);
	life_free(&l);
}

TEST(options_capabilities)
{
	uint64_t m;
	bool all;
	cpod_err err;
	const char *names[] = { "net_admin", "CAP_SYS_PTRACE", "Chown", NULL };
	CHECK(options_caps("--cap-add", names, &m, &all, &err) == 0 && !all);
	CHECK(m == ((UINT64_C(1) << 12) | (UINT64_C(1) << 19) | 1));
	const char *a[] = { "all", NULL };
	CHECK(options_caps("--cap-add", a, &m, &all, &err) == 0 && all && m == 0);
	const char *b[] = { "CAP_NOPE", NULL };
	CHECK(options_caps("--cap-drop", b, &m, &all, &err) < 0);
	CHECK_STR(err.msg, "--cap-drop CAP_NOPE: unknown capability");
	CHECK(options_default_caps() == specgen_default_caps());
	CHECK(__builtin_popcountll(options_default_caps()) == 11);
	CHECK((options_all_caps() & options_default_caps()) == options_default_caps());
}

TEST(options_parse_merges)
{
	options_parsed p;
	cpod_err err;
	uint64_t all = options_all_caps();
	cpod_run_opts o = {
		.cap_add = (const char *const[]){ "NET_ADMIN", NULL },
		.cap_drop = (const char *const[]){ "CHOWN", NULL },
		.memory = "64m",
		.labels = (const char *const[]){ "a=1", "b", "a=2", NULL },
		.sysctls = (const char *const[]){ "net.ipv4.ip_forward=1", "kernel.shmmax=1000",
						   "fs.mqueue.msg_max=20", "net/core/somaxconn=5",
						   NULL },
		.security_opts = (const char *const[]){ "no-new-privileges", "mask=/proc/a:/proc/b",
							 "unmask=/proc/kcore", "label=disable",
							 "seccomp=unconfined", NULL },
		.cpus = "1.5", .cpu_shares = "512", .pids_limit = "-1", .shm_size = "1g",
		.oom_score_adj = "-500", .workdir = "/w",
	};
	CHECK_MSG(options_parse(&o, &p, &err) == 0, "%s", err.msg);
	CHECK(p.caps == ((options_default_caps() | UINT64_C(1) << 12) & ~UINT64_C(1)));
	CHECK(p.caps_added == UINT64_C(1) << 12);
	CHECK(p.memory == 64 << 20 && p.memory_swap == 128 << 20);
	CHECK(p.n_labels == 2);
	CHECK_STR(p.labels[0].key, "a");
	CHECK_STR(p.labels[0].value, "2");
	CHECK_STR(p.labels[1].value, "");
	CHECK(p.n_sysctls == 4);
	CHECK_STR(p.sysctls[3].key, "net.core.somaxconn");
	CHECK(p.no_new_privs && p.seccomp_unconfined && p.n_mask == 2 && p.n_unmask == 1);
	CHECK(p.cpu_quota == 150000 && p.cpu_period == 100000 && p.cpu_shares == 512);
	CHECK(p.pids_set && p.pids_limit == -1);
	CHECK(p.shm_size == 1 << 30 && p.has_oom_score_adj && p.oom_score_adj == -500);
	options_parsed_free(&p);

	/* ALL and the drop of ALL */
	cpod_run_opts o2 = { .cap_add = (const char *const[]){ "ALL", NULL },
			     .cap_drop = (const char *const[]){ "SYS_ADMIN", NULL } };
	CHECK(options_parse(&o2, &p, &err) == 0);
	CHECK(p.caps == (all & ~(UINT64_C(1) << 21)));
	options_parsed_free(&p);
	cpod_run_opts o3 = { .cap_add = (const char *const[]){ "KILL", NULL },
			     .cap_drop = (const char *const[]){ "all", NULL } };
	CHECK(options_parse(&o3, &p, &err) == 0 && p.caps == UINT64_C(1) << 5);
	options_parsed_free(&p);
	cpod_run_opts o4 = { .privileged = 1 };
	CHECK(options_parse(&o4, &p, &err) == 0 && p.caps == all && p.privileged);
	options_parsed_free(&p);
	/* the default: podman's eleven, 64 MB of /dev/shm, no limits */
	cpod_run_opts o5 = { 0 };
	CHECK(options_parse(&o5, &p, &err) == 0);
	CHECK(p.caps == options_default_caps() && p.shm_size == 65536000 && !p.memory && !p.pids_set);
	/* networking: a user-mode network of its own */
	CHECK(!p.no_net && !p.host_net && p.net_mode == OPTIONS_NET_USERNET && p.net_default);
	CHECK(p.userns == OPTIONS_USERNS_DEFAULT);
	options_parsed_free(&p);
}

TEST(options_parse_refuses)
{
	const struct {
		cpod_run_opts o;
		const char *why;
	} bad[] = {
		{ { .memory = "1k" }, "--memory 1k: the minimum" },
		{ { .memory_swap = "10m" }, "--memory-swap 10m" },
		{ { .memory = "64m", .memory_swap = "32m" }, "must be at least" },
		{ { .memory = "64m", .memory_reservation = "128m" }, "--memory-reservation" },
		{ { .cpus = "abc" }, "--cpus abc" },
		{ { .cpus = "0" }, "--cpus 0" },
		{ { .cpus = "0.001" }, "at least 0.01" },
		{ { .cpu_shares = "1" }, "--cpu-shares 1" },
		{ { .cpuset_cpus = "a" }, "--cpuset-cpus" },
		{ { .pids_limit = "-2" }, "--pids-limit -2" },
		{ { .shm_size = "0" }, "--shm-size 0" },
		{ { .oom_score_adj = "1001" }, "--oom-score-adj 1001" },
		{ { .cap_add = (const char *const[]){ "NOPE", NULL } }, "--cap-add NOPE" },
		{ { .cap_add = (const char *const[]){ "KILL", NULL },
		    .cap_drop = (const char *const[]){ "CAP_KILL", NULL } }, "both added and dropped" },
		{ { .security_opts = (const char *const[]){ "frob", NULL } }, "--security-opt frob" },
		{ { .security_opts = (const char *const[]){ "seccomp=/no/file", NULL } },
		  "--security-opt seccomp=/no/file" },
		{ { .security_opts = (const char *const[]){ "mask=relative", NULL } }, "absolute" },
		{ { .security_opts = (const char *const[]){ "no-new-privileges=maybe", NULL } },
		  "true or false" },
		{ { .userns = "private" }, "--userns private" },
		{ { .userns = "auto:size=x" }, "--userns auto" },
		{ { .sysctls = (const char *const[]){ "kernel.panic=1", NULL } }, "not allowed" },
		{ { .sysctls = (const char *const[]){ "novalue", NULL } }, "KEY=VALUE" },
		{ { .network = "host", .sysctls = (const char *const[]){ "net.x=1", NULL } },
		  "--network host" },
		{ { .network = "bridge" }, "--network bridge" },
		{ { .add_hosts = (const char *const[]){ "foo", NULL } }, "--add-host foo" },
		{ { .add_hosts = (const char *const[]){ "foo:1.2.3", NULL } }, "not an IP" },
		{ { .network = "none", .add_hosts = (const char *const[]){ "foo:host-gateway", NULL } },
		  "host-gateway" },
		{ { .dns = (const char *const[]){ "x", NULL } }, "--dns x" },
		{ { .dns_search = (const char *const[]){ "a b", NULL } }, "--dns-search" },
		{ { .dns_options = (const char *const[]){ "", NULL } }, "--dns-option" },
		{ { .ulimits = (const char *const[]){ "x=1", NULL } }, "--ulimit x=1" },
		{ { .devices = (const char *const[]){ "/etc/passwd", NULL } }, "--device" },
		{ { .volumes = (const char *const[]){ "/tmp:/a", NULL },
		    .tmpfs = (const char *const[]){ "/a", NULL } }, "duplicate mount destination" },
		{ { .mounts = (const char *const[]){ "type=tmpfs,dst=/b", NULL },
		    .volumes = (const char *const[]){ "v:/b/", NULL } }, "duplicate mount destination" },
		{ { .workdir = "rel" }, "--workdir rel" },
		{ { .entrypoint = "[1]" }, "--entrypoint" },
		{ { .hostname = "a b" }, "--hostname" },
		{ { .labels = (const char *const[]){ "=v", NULL } }, "--label =v" },
		{ { .group_add = (const char *const[]){ "a:b", NULL } }, "--group-add" },
		{ { .user = "" }, "--user" },
		{ { .pull = "sometimes" }, "--pull sometimes" },
		{ { .restart = "always", .rm = 1 }, "conflicts with --rm" },
		{ { .env = (const char *const[]){ "=1", NULL } }, "-e =1" },
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		options_parsed p;
		cpod_err err;
		CHECK_MSG(options_parse(&bad[i].o, &p, &err) < 0, "case %zu (%s) accepted", i, bad[i].why);
		CHECK_MSG(strstr(err.msg, bad[i].why), "case %zu: %s", i, err.msg);
		CHECK_MSG(!strchr(err.msg, '\n'), "case %zu: not one line", i);
		CHECK(options_check(&bad[i].o, &err) < 0);
	}
	cpod_run_opts ok = { .memory = "64m", .memory_swap = "-1", .restart = "always" };
	cpod_err err;
	CHECK_MSG(options_check(&ok, &err) == 0, "%s", err.msg);
	cpod_run_opts bad_health = { .health_cmd = "x", .health_timeout = "1" };
	CHECK(options_check(&bad_health, &err) < 0 && strstr(err.msg, "--health-timeout"));
}

TEST(options_add_hosts)
{
	mem_pool pool = { 0 };
	options_kv kv;
	cpod_err err;
	CHECK(options_add_host("db:10.0.0.2", &kv, &pool, &err) == 0);
	CHECK_STR(kv.key, "db");
	CHECK_STR(kv.value, "10.0.0.2");
	CHECK(options_add_host("v6:::1", &kv, &pool, &err) == 0);
	CHECK_STR(kv.value, "::1");
	CHECK(options_add_host("a;b=[fe80::1]", &kv, &pool, &err) == 0);
	CHECK_STR(kv.key, "a b");
	CHECK_STR(kv.value, "fe80::1");
	CHECK(options_add_host(":1.2.3.4", &kv, &pool, &err) < 0);
	CHECK(options_add_host("a b:1.2.3.4", &kv, &pool, &err) < 0);
	pool_free(&pool);
}
