/*
 * test_specgen.c — the config.json and the summary that specgen_build
 * writes for the options of run, the volumes it makes (and does not make
 * when an option is bad), the volume store, copy-up from layers (made here
 * as directories, with overlay whiteouts and opaque directories), the
 * generated /etc files, --init's binary check and --userns auto's ranges.
 *
 * Each test uses an engine rooted in its own directory under /tmp, an
 * image config given as JSON and an image without layers.
 */
#include <sys/sysmacros.h>
#include <sys/xattr.h>

typedef struct tsg {
	char dir[PATH_MAX];
	cpod_engine *e;
	image_config *cfg;
	store_image img;
	userdb_user user;
	buf summary;
	json_doc *cfgdoc, *sumdoc;
	cpod_err err;
} tsg;

static const char *const tsg_default_config =
	"{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\",\"IMG=1\"],"
	"\"Cmd\":[\"sh\"],\"Labels\":{\"from\":\"image\",\"over\":\"image\"},"
	"\"Volumes\":{\"/imgvol\":{}},\"StopSignal\":\"SIGQUIT\","
	"\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"true\"],\"Interval\":2000000000}},"
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";

static int tsg_open(tsg *t, const char *config)
{
	cpod_engine_opts eo;
	char root[PATH_MAX + 8], run[PATH_MAX + 8];
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/cpod-unit-specgen.XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(root, sizeof(root), "%s/root", t->dir);
	snprintf(run, sizeof(run), "%s/run", t->dir);
	eo.root = root;
	eo.runroot = run;
	t->e = cpod_engine_open(&eo, &t->err);
	if (!t->e)
		return -1;
	const char *c = config ? config : tsg_default_config;
	t->cfg = config_parse(c, strlen(c), &t->err);
	if (!t->cfg)
		return -1;
	snprintf(t->img.id, sizeof(t->img.id), "%064d", 0);
	snprintf(t->user.home, sizeof(t->user.home), "/root");
	return 0;
}

static void tsg_close(tsg *t)
{
	if (t->cfgdoc)
		json_doc_free(t->cfgdoc);
	if (t->sumdoc)
		json_doc_free(t->sumdoc);
	buf_free(&t->summary);
	config_free(t->cfg);
	cpod_engine_close(t->e);
	if (t->dir[0])
		fs_rm_tree(AT_FDCWD, t->dir, NULL);
}

#define TSG_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Builds the config (and the summary) for o; 0 or -1 with t->err. */
static int tsg_build(tsg *t, const cpod_run_opts *o, bool with_cgroup)
{
	if (t->cfgdoc)
		json_doc_free(t->cfgdoc);
	if (t->sumdoc)
		json_doc_free(t->sumdoc);
	t->cfgdoc = t->sumdoc = NULL;
	specgen_in in = {
		.e = t->e, .img = &t->img, .ctr_dir = t->dir, .summary = &t->summary, .run = o,
		.cfg = t->cfg, .id = TSG_ID, .name = "tname", .rootfs = "/nonexistent/rootfs",
		.files_dir = "/run/files", .user = &t->user, .with_cgroup = with_cgroup,
	};
	char *s = specgen_build(&in, &t->err);
	if (!s)
		return -1;
	t->cfgdoc = json_parse(s, strlen(s), NULL, &t->err);
	free(s);
	if (!t->cfgdoc)
		return -1;
	t->sumdoc = json_parse(t->summary.data, t->summary.len, NULL, &t->err);
	/* also parsed back by the OCI runtime's own parser */
	oci_spec *spec = NULL;
	char *again = NULL;
	buf b = BUF_INIT;
	json_w w;
	jw_init(&w, &b, NULL);
	jw_value(&w, json_root(t->cfgdoc));
	if (jw_finish(&w, &t->err) == 0)
		again = b.data;
	if (again)
		spec = oci_spec_parse(again, strlen(again), &t->err);
	buf_free(&b);
	if (!spec)
		return -1;
	oci_spec_free(spec);
	return t->sumdoc ? 0 : -1;
}

static const json_value *tsg_path(const json_value *v, const char *path)
{
	char copy[256];
	snprintf(copy, sizeof(copy), "%s", path);
	char *save = NULL;
	for (char *k = strtok_r(copy, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
		v = json_get(v, k);
	return v;
}

static bool tsg_has_str(const json_value *arr, const char *s)
{
	for (size_t i = 0; i < json_len(arr); i++)
		if (json_string(json_at(arr, i)) && strcmp(json_string(json_at(arr, i)), s) == 0)
			return true;
	return false;
}

static const json_value *tsg_mount(const tsg *t, const char *dest)
{
	const json_value *m = json_get(json_root(t->cfgdoc), "mounts");
	for (size_t i = 0; i < json_len(m); i++)
		if (strcmp(json_string(json_get(json_at(m, i), "destination")), dest) == 0)
			return json_at(m, i);
	return NULL;
}

static int64_t tsg_int(const json_value *v)
{
	int64_t i = -999;
	json_int64(v, &i);
	return i;
}

static size_t tsg_volume_count(tsg *t)
{
	char **names;
	size_t n;
	if (volume_names(t->e, &names, &n, NULL) < 0)
		return 999;
	volume_names_free(names, n);
	return n;
}

TEST(specgen_defaults)
{
	tsg t;
	CHECK_MSG(tsg_open(&t, NULL) == 0, "%s", t.err.msg);
	cpod_run_opts o = { .env = (const char *const[]){ "IMG=2", "NEW=3", NULL } };
	CHECK_MSG(tsg_build(&t, &o, true) == 0, "%s", t.err.msg);
	const json_value *c = json_root(t.cfgdoc);
	const json_value *caps = tsg_path(c, "process.capabilities");
	CHECK(json_len(json_get(caps, "bounding")) == 11);
	CHECK(tsg_has_str(json_get(caps, "effective"), "CAP_NET_BIND_SERVICE"));
	CHECK(!tsg_has_str(json_get(caps, "bounding"), "CAP_SYS_ADMIN"));
	CHECK(json_get(json_get(c, "linux"), "seccomp"));
	CHECK(tsg_has_str(tsg_path(c, "linux.maskedPaths"), "/proc/kcore"));
	CHECK(tsg_has_str(tsg_path(c, "linux.readonlyPaths"), "/proc/sys"));
	CHECK(tsg_int(tsg_path(c, "linux.resources.pids.limit")) == 2048);
	CHECK(!tsg_path(c, "linux.uidMappings"));
	CHECK_STR(json_string(json_get(c, "hostname")), "0123456789ab");
	const json_value *env = tsg_path(c, "process.env");
	CHECK(tsg_has_str(env, "IMG=2") && tsg_has_str(env, "NEW=3") && tsg_has_str(env, "PATH=/bin"));
	CHECK(!tsg_has_str(env, "IMG=1"));
	CHECK(tsg_has_str(env, "HOSTNAME=0123456789ab"));
	const json_value *rl = tsg_path(c, "process.rlimits");
	CHECK(json_len(rl) == 2);
	CHECK_STR(json_string(json_get(json_at(rl, 0), "type")), "RLIMIT_NOFILE");
	const json_value *shm = tsg_mount(&t, "/dev/shm");
	CHECK(shm && tsg_has_str(json_get(shm, "options"), "size=65536000"));
	CHECK(tsg_mount(&t, "/etc/hosts") && tsg_mount(&t, "/proc") && tsg_mount(&t, "/sys"));
	CHECK(tsg_has_str(json_get(tsg_mount(&t, "/sys"), "options"), "ro"));
	/* parents before children */
	const json_value *ms = json_get(c, "mounts");
	for (size_t i = 1; i < json_len(ms); i++) {
		const char *a = json_string(json_get(json_at(ms, i - 1), "destination"));
		const char *b = json_string(json_get(json_at(ms, i), "destination"));
		CHECK_MSG(specgen_depth(a) <= specgen_depth(b), "%s before %s", a, b);
	}
	/* the image's VOLUME: an anonymous volume */
	const json_value *iv = tsg_mount(&t, "/imgvol");
	CHECK(iv);
	CHECK(strstr(json_string(json_get(iv, "source")), "/volumes/"));
	CHECK(tsg_volume_count(&t) == 1);
	const json_value *s = json_root(t.sumdoc);
	const json_value *m0 = json_at(json_get(s, "Mounts"), 0);
	CHECK_STR(json_string(json_get(m0, "Type")), "volume");
	CHECK(json_is(json_get(m0, "Anonymous"), JSON_BOOL) && json_get(m0, "Anonymous")->u.boolean);
	CHECK(strlen(json_string(json_get(m0, "Name"))) == 64);
	CHECK_STR(json_string(tsg_path(s, "Config.Labels.from")), "image");
	CHECK_STR(json_string(tsg_path(s, "Config.StopSignal")), "SIGQUIT");
	CHECK(tsg_int(tsg_path(s, "Config.StopTimeout")) == 10);
	CHECK(tsg_int(tsg_path(s, "Config.Healthcheck.Interval")) == 2000000000);
	CHECK(tsg_int(tsg_path(s, "HostConfig.PidsLimit")) == 2048);
	CHECK(tsg_int(tsg_path(s, "HostConfig.ShmSize")) == 65536000);
	CHECK_STR(json_string(tsg_path(s, "HostConfig.RestartPolicy.Name")), "");
	tsg_close(&t);
}

TEST(specgen_options)
{
	tsg t;
	CHECK_MSG(tsg_open(&t, NULL) == 0, "%s", t.err.msg);
	cpod_run_opts o = {
		.cap_add = (const char *const[]){ "SYS_PTRACE", NULL },
		.cap_drop = (const char *const[]){ "CAP_KILL", NULL },
		.security_opts = (const char *const[]){ "no-new-privileges", "unmask=/proc/k*",
							 "mask=/proc/secret", NULL },
		.ulimits = (const char *const[]){ "nofile=100:200", "core=-1", NULL },
		.memory = "64m", .cpus = "0.5", .cpu_shares = "100", .pids_limit = "50",
		.shm_size = "1m", .oom_score_adj = "100",
		.sysctls = (const char *const[]){ "net.ipv4.ip_forward=1", NULL },
		.devices = (const char *const[]){ "/dev/null:/dev/n2:rw", NULL },
		.labels = (const char *const[]){ "over=me", NULL },
		.read_only = 1, .read_only_tmpfs = -1,
		.tmpfs = (const char *const[]){ "/scratch:size=1m,exec", NULL },
		.mounts = (const char *const[]){ "type=bind,src=/tmp,dst=/host/tmp,ro", NULL },
		.volumes = (const char *const[]){ "named:/data", "/anon", NULL },
		.restart = "on-failure:2", .stop_signal = "9", .stop_timeout = "3",
		.health_cmd = "CMD ls", .hostname = "h1",
	};
	CHECK_MSG(tsg_build(&t, &o, true) == 0, "%s", t.err.msg);
	const json_value *c = json_root(t.cfgdoc);
	const json_value *b = tsg_path(c, "process.capabilities.bounding");
	CHECK(tsg_has_str(b, "CAP_SYS_PTRACE") && !tsg_has_str(b, "CAP_KILL") && json_len(b) == 11);
	CHECK(json_get(tsg_path(c, "process"), "noNewPrivileges")->u.boolean);
	CHECK(tsg_int(tsg_path(c, "process.oomScoreAdj")) == 100);
	const json_value *masked = tsg_path(c, "linux.maskedPaths");
	CHECK(!tsg_has_str(masked, "/proc/kcore") && !tsg_has_str(masked, "/proc/keys"));
	CHECK(tsg_has_str(masked, "/proc/secret") && tsg_has_str(masked, "/proc/acpi"));
	const json_value *rl = tsg_path(c, "process.rlimits");
	CHECK(json_len(rl) == 3);
	CHECK(tsg_int(json_get(json_at(rl, 0), "soft")) == 100);
	CHECK(tsg_int(json_get(json_at(rl, 0), "hard")) == 200);
	CHECK_STR(json_string(json_get(json_at(rl, 2), "type")), "RLIMIT_CORE");
	CHECK(tsg_int(tsg_path(c, "linux.resources.memory.limit")) == 64 << 20);
	CHECK(tsg_int(tsg_path(c, "linux.resources.memory.swap")) == 128 << 20);
	CHECK(tsg_int(tsg_path(c, "linux.resources.cpu.quota")) == 50000);
	CHECK(tsg_int(tsg_path(c, "linux.resources.cpu.period")) == 100000);
	CHECK(tsg_int(tsg_path(c, "linux.resources.cpu.shares")) == 100);
	CHECK(tsg_int(tsg_path(c, "linux.resources.pids.limit")) == 50);
	CHECK_STR(json_string(json_get(tsg_path(c, "linux.sysctl"), "net.ipv4.ip_forward")), "1");
	const json_value *dev = json_at(tsg_path(c, "linux.devices"), 0);
	CHECK_STR(json_string(json_get(dev, "path")), "/dev/n2");
	CHECK(tsg_int(json_get(dev, "major")) == 1 && tsg_int(json_get(dev, "minor")) == 3);
	const json_value *rules = tsg_path(c, "linux.resources.devices");
	CHECK(json_len(rules) == 2);
	CHECK_STR(json_string(json_get(json_at(rules, 1), "access")), "rw");
	CHECK(json_get(json_get(c, "root"), "readonly")->u.boolean);
	CHECK(tsg_mount(&t, "/tmp") && tsg_mount(&t, "/run") && tsg_mount(&t, "/var/tmp"));
	const json_value *sc = json_get(tsg_mount(&t, "/scratch"), "options");
	CHECK(tsg_has_str(sc, "exec") && !tsg_has_str(sc, "noexec") && tsg_has_str(sc, "size=1m"));
	CHECK(tsg_has_str(sc, "tmpcopyup") && tsg_has_str(sc, "mode=1777"));
	const json_value *bt = tsg_mount(&t, "/host/tmp");
	CHECK_STR(json_string(json_get(bt, "source")), "/tmp");
	CHECK(tsg_has_str(json_get(bt, "options"), "ro") && tsg_has_str(json_get(bt, "options"), "rbind"));
	CHECK(tsg_has_str(json_get(tsg_mount(&t, "/dev/shm"), "options"), "size=1048576"));
	const json_value *nv = tsg_mount(&t, "/data");
	CHECK(nv && strstr(json_string(json_get(nv, "source")), "/volumes/named/_data"));
	CHECK(tsg_has_str(json_get(nv, "options"), "nosuid"));
	CHECK(tsg_mount(&t, "/anon") && tsg_mount(&t, "/imgvol"));
	CHECK(tsg_volume_count(&t) == 3);
	const char *ann = json_string(json_get(json_get(c, "annotations"), "io.cpod.volumes"));
	CHECK(ann && strstr(ann, "named"));

	const json_value *s = json_root(t.sumdoc);
	const json_value *hc = json_get(s, "HostConfig");
	CHECK(tsg_int(json_get(hc, "Memory")) == 64 << 20);
	CHECK(tsg_int(json_get(hc, "NanoCpus")) == 500000000);
	CHECK(tsg_int(json_get(hc, "PidsLimit")) == 50);
	CHECK(json_get(hc, "ReadonlyRootfs")->u.boolean);
	CHECK_STR(json_string(tsg_path(hc, "RestartPolicy.Name")), "on-failure");
	CHECK(tsg_int(tsg_path(hc, "RestartPolicy.MaximumRetryCount")) == 2);
	CHECK_STR(json_string(json_get(json_get(hc, "Tmpfs"), "/scratch")), "size=1m,exec");
	CHECK_STR(json_string(json_get(json_at(json_get(hc, "Devices"), 0), "PathInContainer")),
		  "/dev/n2");
	CHECK(tsg_has_str(json_get(hc, "CapAdd"), "SYS_PTRACE"));
	CHECK_STR(json_string(tsg_path(s, "Config.Labels.over")), "me");
	CHECK_STR(json_string(tsg_path(s, "Config.Labels.from")), "image");
	CHECK_STR(json_string(tsg_path(s, "Config.StopSignal")), "SIGKILL");
	CHECK_STR(json_string(json_at(tsg_path(s, "Config.Healthcheck.Test"), 0)), "CMD");
	const json_value *mounts = json_get(s, "Mounts");
	size_t named = 0, anon = 0, binds = 0;
	for (size_t i = 0; i < json_len(mounts); i++) {
		const json_value *m = json_at(mounts, i);
		const char *type = json_string(json_get(m, "Type"));
		if (strcmp(type, "bind") == 0)
			binds++;
		else if (json_get(m, "Anonymous")->u.boolean)
			anon++;
		else if (strcmp(json_string(json_get(m, "Name")), "named") == 0)
			named++;
	}
	CHECK(named == 1 && anon == 2 && binds == 1);

	/* the volumes are in use by this container once its config is there */
	CHECK(mkdirat(t.e->rootfd, "containers/" TSG_ID, 0700) == 0);
	char *cfgtext = cpod_json_text(json_root(t.cfgdoc));
	CHECK(cfgtext);
	CHECK(fs_write_atomic(t.e->rootfd, "containers/" TSG_ID "/config.json", cfgtext,
			      strlen(cfgtext), 0600, 0, NULL) == 0);
	free(cfgtext);
	char first[65];
	CHECK(volume_users(t.e, "named", NULL, first) == 1);
	CHECK_STR(first, TSG_ID);
	int lock = volume_lock(t.e, NULL);
	CHECK(volume_remove(t.e, "named", false, &t.err) < 0 && t.err.code == CPOD_E_STATE);
	close(lock);
	/* its record, with the summary: that is what counts then */
	buf rec = BUF_INIT;
	buf_printf(&rec, NULL, "{\"id\":\"%s\",\"summary\":%s}", TSG_ID, t.summary.data);
	CHECK(fs_write_atomic(t.e->rootfd, "containers/" TSG_ID "/container.json", rec.data, rec.len,
			      0600, 0, NULL) == 0);
	CHECK(volume_users(t.e, "named", NULL, NULL) == 1);
	CHECK(volume_users(t.e, "named", TSG_ID, NULL) == 0);
	/* rm -v: its anonymous volumes go, the named one stays */
	CHECK_MSG(volume_release(t.e, TSG_ID, rec.data, true, &t.err) == 0, "%s", t.err.msg);
	buf_free(&rec);
	CHECK(tsg_volume_count(&t) == 1);
	volume_rec v;
	CHECK(volume_load(t.e, "named", &v, NULL) == 0);
	volume_rec_free(&v);
	tsg_close(&t);
}

TEST(specgen_privileged)
{
	tsg t;
	CHECK_MSG(tsg_open(&t, NULL) == 0, "%s", t.err.msg);
	cpod_run_opts o = { .privileged = 1 };
	CHECK_MSG(tsg_build(&t, &o, true) == 0, "%s", t.err.msg);
	const json_value *c = json_root(t.cfgdoc);
	CHECK(!json_get(json_get(c, "linux"), "seccomp"));
	CHECK(json_len(tsg_path(c, "linux.maskedPaths")) == 0);
	CHECK(json_len(tsg_path(c, "linux.readonlyPaths")) == 0);
	CHECK(json_len(tsg_path(c, "process.capabilities.bounding")) ==
	      (size_t)__builtin_popcountll(options_all_caps()));
	CHECK(tsg_has_str(json_get(tsg_mount(&t, "/sys"), "options"), "rw"));
	CHECK(!tsg_has_str(json_get(tsg_mount(&t, "/sys"), "options"), "ro"));
	CHECK(tsg_has_str(json_get(tsg_mount(&t, "/sys/fs/cgroup"), "options"), "rw"));
	const json_value *devs = tsg_path(c, "linux.devices");
	bool null_dev = false;
	for (size_t i = 0; i < json_len(devs); i++) {
		const char *p = json_string(json_get(json_at(devs, i), "path"));
		CHECK_MSG(strcmp(p, "/dev/console") != 0 && strncmp(p, "/dev/pts/", 9) != 0, "%s", p);
		null_dev |= strcmp(p, "/dev/null") == 0;
	}
	CHECK(null_dev);
	const json_value *rule = json_at(tsg_path(c, "linux.resources.devices"), 0);
	CHECK(json_get(rule, "allow")->u.boolean);
	/* a seccomp profile given stays */
	char prof[PATH_MAX + 16];
	snprintf(prof, sizeof(prof), "%s/prof.json", t.dir);
	const char *p = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
			"\"action\":\"SCMP_ACT_ERRNO\"}]}";
	CHECK(fs_write_atomic(AT_FDCWD, prof, p, strlen(p), 0644, 0, NULL) == 0);
	char opt[PATH_MAX + 32];
	snprintf(opt, sizeof(opt), "seccomp=%s", prof);
	cpod_run_opts o2 = { .privileged = 1, .security_opts = (const char *const[]){ opt, NULL } };
	CHECK_MSG(tsg_build(&t, &o2, true) == 0, "%s", t.err.msg);
	CHECK_STR(json_string(tsg_path(json_root(t.cfgdoc), "linux.seccomp.defaultAction")),
		  "SCMP_ACT_ALLOW");
	/* a bad one fails */
	CHECK(fs_write_atomic(AT_FDCWD, prof, "{\"defaultAction\":\"SCMP_ACT_NOPE\"}", 33, 0644, 0,
			      NULL) == 0);
	CHECK(tsg_build(&t, &o2, true) < 0 && strstr(t.err.msg, "--security-opt seccomp="));
	tsg_close(&t);
}

TEST(specgen_bad_input_makes_nothing)
{
	tsg t;
	CHECK_MSG(tsg_open(&t, NULL) == 0, "%s", t.err.msg);
	const struct {
		cpod_run_opts o;
		const char *why;
	} bad[] = {
		{ { .volumes = (const char *const[]){ "newvol:/x", NULL }, .cap_add =
			    (const char *const[]){ "NOPE", NULL } }, "--cap-add NOPE" },
		{ { .volumes = (const char *const[]){ "newvol:/x", NULL }, .group_add =
			    (const char *const[]){ "nosuchgroup", NULL } }, "--group-add nosuchgroup" },
		{ { .mounts = (const char *const[]){ "type=volume,src=v2,dst=/y,volume-opt=type=nfs",
						      NULL } }, "type=nfs" },
		{ { .volumes = (const char *const[]){ "newvol:/x", NULL }, .userns = "auto" },
		  "--userns auto" },
		{ { .volumes = (const char *const[]){ "newvol:/x", NULL }, .stop_signal = "NOPE" },
		  "--stop-signal" },
		{ { .args = (const char *const[]){ NULL }, .entrypoint = "" }, "no command" },
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		CHECK_MSG(tsg_build(&t, &bad[i].o, true) < 0, "case %zu accepted", i);
		CHECK_MSG(strstr(t.err.msg, bad[i].why), "case %zu: %s", i, t.err.msg);
		CHECK_MSG(tsg_volume_count(&t) == 0, "case %zu made a volume", i);
	}
	/* --init needs a static binary */
	char exe[PATH_MAX + 16];
	snprintf(exe, sizeof(exe), "%s/fake-exe", t.dir);
	Elf64_Ehdr eh;
	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_phoff = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 1;
	Elf64_Phdr ph;
	memset(&ph, 0, sizeof(ph));
	ph.p_type = PT_INTERP;
	char img[sizeof(eh) + sizeof(ph)];
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), &ph, sizeof(ph));
	CHECK(fs_write_atomic(AT_FDCWD, exe, img, sizeof(img), 0755, 0, NULL) == 0);
	engine_set_self_exe(exe);
	cpod_run_opts in = { .init = 1, .volumes = (const char *const[]){ "newvol:/x", NULL } };
	CHECK(tsg_build(&t, &in, true) < 0 && strstr(t.err.msg, "dynamically linked"));
	CHECK(tsg_volume_count(&t) == 0);
	ph.p_type = PT_LOAD;
	memcpy(img + sizeof(eh), &ph, sizeof(ph));
	CHECK(fs_write_atomic(AT_FDCWD, exe, img, sizeof(img), 0755, 0, NULL) == 0);
	cpod_run_opts in2 = { .init = 1, .args = (const char *const[]){ "echo", "hi", NULL } };
	CHECK_MSG(tsg_build(&t, &in2, true) == 0, "%s", t.err.msg);
	const json_value *args = tsg_path(json_root(t.cfgdoc), "process.args");
	CHECK(json_len(args) == 5);
	CHECK_STR(json_string(json_at(args, 0)), SPECGEN_INIT_PATH);
	CHECK_STR(json_string(json_at(args, 1)), "__init");
	CHECK_STR(json_string(json_at(args, 3)), "echo");
	const json_value *im = tsg_mount(&t, SPECGEN_INIT_PATH);
	CHECK(im && strcmp(json_string(json_get(im, "source")), exe) == 0);
	CHECK(tsg_has_str(json_get(im, "options"), "ro"));
	engine_set_self_exe(NULL);
	tsg_close(&t);
}

TEST(specgen_volume_kinds)
{
	tsg t;
	CHECK_MSG(tsg_open(&t, "{\"config\":{\"Cmd\":[\"sh\"]},\"rootfs\":{\"type\":\"layers\","
			       "\"diff_ids\":[]}}") == 0, "%s", t.err.msg);
	const char *const tmpfs_opts[] = { "type=tmpfs", "device=tmpfs", "o=size=64m,mode=700", NULL };
	const char *const labels[] = { "a=b", NULL };
	cpod_volume_opts vo = { .labels = labels, .options = tmpfs_opts };
	char *name = cpod_volume_create(t.e, "tv", &vo, &t.err);
	CHECK_MSG(name, "%s", t.err.msg);
	free(name);
	char bindopt[PATH_MAX + 16];
	snprintf(bindopt, sizeof(bindopt), "device=%s", t.dir);
	const char *const bind_opts[] = { "type=none", "o=bind", bindopt, NULL };
	cpod_volume_opts bo = { .options = bind_opts };
	name = cpod_volume_create(t.e, "bv", &bo, &t.err);
	CHECK_MSG(name, "%s", t.err.msg);
	free(name);
	CHECK(!cpod_volume_create(t.e, "tv", NULL, &t.err) && t.err.code == CPOD_E_EXISTS);
	CHECK(!cpod_volume_create(t.e, "bad/name", NULL, &t.err) && t.err.code == CPOD_E_INVALID);
	const char *const nfs[] = { "type=nfs", "device=x", NULL };
	cpod_volume_opts no = { .options = nfs };
	CHECK(!cpod_volume_create(t.e, "nv", &no, &t.err) && strstr(t.err.msg, "type=nfs"));
	const char *const badtmp[] = { "type=tmpfs", "o=size=lots", NULL };
	no.options = badtmp;
	CHECK(!cpod_volume_create(t.e, "nv", &no, &t.err) && strstr(t.err.msg, "--opt o=size=lots"));
	cpod_volume_opts dr = { .driver = "nfs" };
	CHECK(!cpod_volume_create(t.e, "nv", &dr, &t.err) && strstr(t.err.msg, "--driver"));
	char *anon = cpod_volume_create(t.e, NULL, NULL, &t.err);
	CHECK(anon && strlen(anon) == 64);

	cpod_run_opts o = { .volumes = (const char *const[]){ "tv:/t:ro", "bv:/b", NULL } };
	CHECK_MSG(tsg_build(&t, &o, false) == 0, "%s", t.err.msg);
	const json_value *tm = tsg_mount(&t, "/t");
	CHECK_STR(json_string(json_get(tm, "type")), "tmpfs");
	CHECK(tsg_has_str(json_get(tm, "options"), "size=64m") &&
	      tsg_has_str(json_get(tm, "options"), "mode=700") &&
	      tsg_has_str(json_get(tm, "options"), "ro"));
	CHECK_STR(json_string(json_get(tsg_mount(&t, "/b"), "source")), t.dir);
	/* no cgroup: no resources */
	CHECK(!tsg_path(json_root(t.cfgdoc), "linux.resources"));

	char *js = cpod_volume_inspect(t.e, "tv", &t.err);
	CHECK_MSG(js, "%s", t.err.msg);
	json_doc *d = json_parse(js, strlen(js), NULL, &t.err);
	free(js);
	CHECK(d);
	CHECK_STR(json_string(json_get(json_root(d), "Name")), "tv");
	CHECK_STR(json_string(tsg_path(json_root(d), "Labels.a")), "b");
	CHECK_STR(json_string(tsg_path(json_root(d), "Options.type")), "tmpfs");
	CHECK(strstr(json_string(json_get(json_root(d), "Mountpoint")), "/volumes/tv/_data"));
	json_doc_free(d);
	js = cpod_volume_list(t.e, &t.err);
	d = js ? json_parse(js, strlen(js), NULL, &t.err) : NULL;
	free(js);
	CHECK(d && json_len(json_root(d)) == 3);
	json_doc_free(d);
	/* prune: nothing uses them (no container record here) */
	js = cpod_volume_prune(t.e, &t.err);
	CHECK_MSG(js, "%s", t.err.msg);
	CHECK(strstr(js, "tv\n") && strstr(js, "bv\n") && strstr(js, anon));
	free(js);
	free(anon);
	CHECK(tsg_volume_count(&t) == 0);
	CHECK(cpod_volume_remove(t.e, "tv", 0, &t.err) < 0 && t.err.code == CPOD_E_NOTFOUND);
	/* the bind volume's directory is the user's: never removed */
	struct stat st;
	CHECK(stat(t.dir, &st) == 0);
	tsg_close(&t);
}

/* Layers made by hand: files, a whiteout, an opaque directory, symlinks. */
static int tsg_layer(const char *dir, const char *path, const char *what, mode_t mode, uid_t uid)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/%s", dir, path);
	char parent[PATH_MAX * 2];
	snprintf(parent, sizeof(parent), "%s", p);
	*strrchr(parent, '/') = '\0';
	if (fs_mkdir_p(parent, 0755, NULL) < 0)
		return -1;
	if (strcmp(what, "dir") == 0) {
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -1;
	} else if (strcmp(what, "whiteout") == 0) {
		if (mknod(p, S_IFCHR | 0, makedev(0, 0)) < 0)
			return -1;
	} else if (strcmp(what, "opaque") == 0) {
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -1;
		if (setxattr(p, "trusted.overlay.opaque", "y", 1, 0) < 0)
			return -1;
	} else if (strncmp(what, "->", 2) == 0) {
		return symlink(what + 2, p);
	} else {
		if (fs_write_atomic(AT_FDCWD, p, what, strlen(what), mode, 0, NULL) < 0)
			return -1;
	}
	return lchown(p, uid, uid);
}

TEST(specgen_volume_copy_up)
{
	char base[] = "/tmp/cpod-unit-copyup.XXXXXX";
	CHECK(mkdtemp(base));
	char l[3][PATH_MAX], dst[PATH_MAX];
	for (int i = 0; i < 3; i++) {
		snprintf(l[i], sizeof(l[i]), "%s/l%d", base, i);
		CHECK(mkdir(l[i], 0755) == 0);
	}
	snprintf(dst, sizeof(dst), "%s/dst", base);
	CHECK(mkdir(dst, 0755) == 0);
	/* bottom */
	CHECK(tsg_layer(l[0], "srv/data/a", "A", 0640, 1000) == 0);
	CHECK(tsg_layer(l[0], "srv/data/sub/b", "B", 0644, 0) == 0);
	CHECK(tsg_layer(l[0], "srv/data/gone", "G", 0644, 0) == 0);
	CHECK(tsg_layer(l[0], "link", "->srv/data", 0, 0) == 0);
	CHECK(chmod(l[0], 0755) == 0);
	/* middle: a whiteout, an opaque directory */
	CHECK(tsg_layer(l[1], "srv/data/gone", "whiteout", 0, 0) == 0);
	CHECK(tsg_layer(l[1], "srv/data/sub", "opaque", 0750, 7) == 0);
	CHECK(tsg_layer(l[1], "srv/data/sub/c", "C", 0600, 7) == 0);
	/* top: more, and the directory's own mode */
	CHECK(tsg_layer(l[2], "srv/data", "dir", 0711, 33) == 0);
	CHECK(tsg_layer(l[2], "srv/data/top", "T", 0644, 0) == 0);
	CHECK(chmod(l[2], 0755) == 0);
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/srv/data", l[2]);
	CHECK(chmod(p, 0711) == 0 && chown(p, 33, 33) == 0);
	int fds[3];
	for (int i = 0; i < 3; i++)
		CHECK((fds[i] = open(l[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0);
	char rel[PATH_MAX];
	struct stat st;
	cpod_err err;
	/* through the symlink */
	CHECK_MSG(volume_resolve(fds, 3, "/link/", rel, sizeof(rel), &st, &err) == 0, "%s", err.msg);
	CHECK_STR(rel, "srv/data");
	CHECK(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0711 && st.st_uid == 33);
	CHECK(volume_resolve(fds, 3, "/srv/data/gone", rel, sizeof(rel), &st, &err) == 1);
	CHECK(volume_resolve(fds, 3, "/srv/data/a", rel, sizeof(rel), &st, &err) == 1);
	CHECK(volume_resolve(fds, 3, "/nope", rel, sizeof(rel), &st, &err) == 1);
	CHECK(volume_resolve(fds, 3, "/srv/data/sub", rel, sizeof(rel), &st, &err) == 0);
	int dfd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dfd >= 0);
	CHECK_MSG(volume_copy_layers(fds, 3, "srv/data", dfd, &err) == 0, "%s", err.msg);
	close(dfd);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	snprintf(p, sizeof(p), "%s/a", dst);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0640 && st.st_uid == 1000);
	snprintf(p, sizeof(p), "%s/top", dst);
	CHECK(stat(p, &st) == 0);
	snprintf(p, sizeof(p), "%s/gone", dst);
	CHECK(lstat(p, &st) < 0 && errno == ENOENT);
	snprintf(p, sizeof(p), "%s/sub/b", dst);
	CHECK(lstat(p, &st) < 0 && errno == ENOENT);
	snprintf(p, sizeof(p), "%s/sub/c", dst);
	CHECK(stat(p, &st) == 0 && st.st_uid == 7 && (st.st_mode & 07777) == 0600);
	snprintf(p, sizeof(p), "%s/sub", dst);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0750);
	char x[8];
	CHECK(getxattr(p, "trusted.overlay.opaque", x, sizeof(x)) < 0);
	fs_rm_tree(AT_FDCWD, base, NULL);
}

TEST(specgen_etc_files)
{
	char dir[] = "/tmp/cpod-unit-etc.XXXXXX", res[PATH_MAX];
	CHECK(mkdtemp(dir));
	snprintf(res, sizeof(res), "%s/host-resolv", dir);
	const char *host = "# host\nsearch corp.example\nnameserver 10.0.0.1\noptions edns0\n";
	CHECK(fs_write_atomic(AT_FDCWD, res, host, strlen(host), 0644, 0, NULL) == 0);
	setenv("CPOD_RESOLV_CONF", res, 1);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0);
	cpod_err err;
	buf b = BUF_INIT;
	cpod_run_opts o = { .add_hosts = (const char *const[]){ "db:10.1.1.1", "a;b=::2", NULL } };
	CHECK(etc_write(fd, &o, "h", "n", NULL, NULL, &err) == 0);
	CHECK(fs_read_file(fd, "hosts", 4096, &b, &err) == 0);
	CHECK(strncmp(b.data, "10.1.1.1\tdb\n::2\ta b\n127.0.0.1\tlocalhost", 38) == 0);
	CHECK(strstr(b.data, "127.0.1.1\th n\n"));
	buf_reset(&b);
	CHECK(fs_read_file(fd, "resolv.conf", 4096, &b, &err) == 0);
	CHECK_STR(b.data, host);
	cpod_run_opts o2 = { .dns = (const char *const[]){ "9.9.9.9", "1.1.1.1", NULL } };
	CHECK(etc_write(fd, &o2, "h", "n", NULL, NULL, &err) == 0);
	buf_reset(&b);
	CHECK(fs_read_file(fd, "resolv.conf", 4096, &b, &err) == 0);
	CHECK_STR(b.data, "# host\nsearch corp.example\nnameserver 9.9.9.9\nnameserver 1.1.1.1\n"
			  "options edns0\n");
	cpod_run_opts o3 = { .dns_search = (const char *const[]){ "a.example", "b.example", NULL },
			     .dns_options = (const char *const[]){ "ndots:2", NULL } };
	CHECK(etc_write(fd, &o3, "h", "n", NULL, NULL, &err) == 0);
	buf_reset(&b);
	CHECK(fs_read_file(fd, "resolv.conf", 4096, &b, &err) == 0);
	CHECK_STR(b.data, "# host\nsearch a.example b.example\nnameserver 10.0.0.1\noptions ndots:2\n");
	cpod_run_opts o4 = { .dns_search = (const char *const[]){ ".", NULL } };
	CHECK(etc_write(fd, &o4, "h", "n", NULL, NULL, &err) == 0);
	buf_reset(&b);
	CHECK(fs_read_file(fd, "resolv.conf", 4096, &b, &err) == 0);
	CHECK(!strstr(b.data, "search"));
	/* a user-mode network: its DNS forwarder, the host as its gateway */
	cpod_run_opts o5 = { .add_hosts = (const char *const[]){ "gw:host-gateway", NULL } };
	CHECK(etc_write(fd, &o5, "h", "n", "10.0.2.3", "10.0.2.2", &err) == 0);
	buf_reset(&b);
	CHECK(fs_read_file(fd, "resolv.conf", 4096, &b, &err) == 0);
	CHECK_STR(b.data, "# host\nsearch corp.example\nnameserver 10.0.2.3\noptions edns0\n");
	buf_reset(&b);
	CHECK(fs_read_file(fd, "hosts", 4096, &b, &err) == 0);
	CHECK(strncmp(b.data, "10.0.2.2\tgw\n", 12) == 0);
	CHECK(strstr(b.data, "10.0.2.2\thost.containers.internal"));
	buf_free(&b);
	close(fd);
	unsetenv("CPOD_RESOLV_CONF");
	fs_rm_tree(AT_FDCWD, dir, NULL);
}

TEST(specgen_userns_ranges)
{
	char dir[] = "/tmp/cpod-unit-subid.XXXXXX", f[PATH_MAX];
	CHECK(mkdtemp(dir));
	snprintf(f, sizeof(f), "%s/subuid", dir);
	const char *text = "alice:100000:65536\ncontainers:200000:100000\n# junk\nbad\n"
			   "containers:500000:65536\n1234:600000:10\n";
	CHECK(fs_write_atomic(AT_FDCWD, f, text, strlen(text), 0644, 0, NULL) == 0);
	specgen_range r[8];
	CHECK(specgen_subids(f, "containers", -1, r, 8) == 2);
	CHECK(r[0].start == 200000 && r[0].count == 100000 && r[1].start == 500000);
	CHECK(specgen_subids(f, "nobody", 1234, r, 8) == 1 && r[0].start == 600000);
	CHECK(specgen_subids(f, "nobody", -1, r, 8) == 0);
	specgen_range avail[] = { { 200000, 100000 }, { 500000, 65536 } };
	specgen_range used[] = { { 200000, 65536 } };
	uint32_t start;
	CHECK(specgen_alloc(avail, 2, NULL, 0, 65536, &start) && start == 200000);
	CHECK(specgen_alloc(avail, 2, used, 1, 65536, &start) && start == 500000);
	CHECK(specgen_alloc(avail, 2, used, 1, 1000, &start) && start == 265536);
	specgen_range used2[] = { { 200000, 65536 }, { 500000, 1 } };
	CHECK(!specgen_alloc(avail, 2, used2, 2, 65536, &start));
	fs_rm_tree(AT_FDCWD, dir, NULL);
}
