/*
 * test_cgroup.c — cgroups: parsing the host's mounts and resolving paths
 * (on synthetic input), the saved-paths JSON, the device rule emulation,
 * and, as root on the real host, whole container cgroups: limits written
 * and biting (OOM kill, fork refused), freeze, stats, update, kill, the v2
 * device filter, rootless fallback and destroy.
 *
 * Every test that touches the host works under /cpod-unit-<pid>-<n> in each
 * hierarchy and removes it (and kills its children) whatever happened.
 */
#include <dirent.h>
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

/* ---------------------------------------------------------------- helpers */

typedef struct cgt {
	char parent[64];   /* "/cpod-unit-PID-N" */
	pid_t kids[16];
	int n_kids;
	json_doc *docs[8];
	int n_docs;
	mem_pool pool;
} cgt;

static int cgt_seq;

static void cgt_init(cgt *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->parent, sizeof(t->parent), "/cpod-unit-%d-%d", (int)getpid(), ++cgt_seq);
}

static bool cgt_root(void)
{
	return geteuid() == 0 && cg_detect() != CG_NONE;
}

/* rmdir -r of a cgroup directory (sub-cgroups first; files cannot be
 * removed and need not be). */
static void cgt_rmdir_r(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			char sub[PATH_MAX];
			if (de->d_name[0] == '.' || de->d_type != DT_DIR)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
			cgt_rmdir_r(sub);
		}
		closedir(d);
	}
	for (int i = 0; i < 200 && rmdir(dir) < 0 && errno == EBUSY; i++)
		usleep(10000);
}

static void cgt_cleanup(cgt *t)
{
	const cg_v1_hierarchy *h;
	size_t n;
	char dir[PATH_MAX * 2 + 64];

	for (int i = 0; i < t->n_kids; i++) {
		if (t->kids[i] > 0) {
			kill(t->kids[i], SIGKILL);
			waitpid(t->kids[i], NULL, 0);
		}
	}
	cg_v1_hierarchies(&h, &n);
	for (size_t i = 0; i < n; i++) {
		snprintf(dir, sizeof(dir), "%s%s", h[i].mountpoint, t->parent);
		cgt_rmdir_r(dir);
	}
	if (cg_unified_mountpoint()[0]) {
		snprintf(dir, sizeof(dir), "%s%s", cg_unified_mountpoint(), t->parent);
		cgt_rmdir_r(dir);
	}
	for (int i = 0; i < t->n_docs; i++)
		json_doc_free(t->docs[i]);
	pool_free(&t->pool);
}

/* Whether nothing of the test parent is left in any hierarchy. */
static bool cgt_all_gone(const cgt *t)
{
	const cg_v1_hierarchy *h;
	size_t n;
	char dir[PATH_MAX * 2 + 64];

	cg_v1_hierarchies(&h, &n);
	for (size_t i = 0; i < n; i++) {
		snprintf(dir, sizeof(dir), "%s%s", h[i].mountpoint, t->parent);
		if (access(dir, F_OK) == 0)
			return false;
	}
	snprintf(dir, sizeof(dir), "%s%s", cg_unified_mountpoint(), t->parent);
	return !cg_unified_mountpoint()[0] || access(dir, F_OK) != 0;
}

static oci_resources *cgt_res(cgt *t, const char *json)
{
	cpod_err err;
	oci_resources *r = pool_calloc(&t->pool, 1, sizeof(*r), &err);
	json_doc *d = json_parse(json, strlen(json), NULL, &err);
	if (!r || !d || t->n_docs >= (int)ARRAY_LEN(t->docs)) {
		printf("# bad test resources: %s\n", err.msg);
		if (d)
			json_doc_free(d);
		return NULL;
	}
	t->docs[t->n_docs++] = d;
	if (oci_resources_parse(json_root(d), r, &t->pool, "resources", &err) < 0) {
		printf("# bad test resources: %s\n", err.msg);
		return NULL;
	}
	return r;
}

/* A child that waits for cgt_go and then runs fn; its exit code is fn's. */
static pid_t cgt_spawn(cgt *t, int (*fn)(void), int *go)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(99);
		_exit(fn());
	}
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return -1;
	}
	*go = p[1];
	if (t->n_kids < (int)ARRAY_LEN(t->kids))
		t->kids[t->n_kids++] = pid;
	return pid;
}

static void cgt_go(int *go)
{
	if (*go >= 0) {
		if (write(*go, "x", 1) != 1)
			perror("cgt_go");
		close(*go);
		*go = -1;
	}
}

/* Waits for a kid and forgets it. */
static int cgt_wait(cgt *t, pid_t pid)
{
	int st = -1;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	for (int i = 0; i < t->n_kids; i++)
		if (t->kids[i] == pid)
			t->kids[i] = 0;
	return st;
}

static int cgt_sleeper(void)
{
	for (;;)
		pause();
	return 0;
}

static bool cgt_read(const char *dir, const char *file, char *out, size_t size)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, out, size - 1);
	close(fd);
	if (n < 0)
		return false;
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = '\0';
	return true;
}

static const char *cgt_v1_dir(const cg_paths *p, const char *ctrl)
{
	int i = cg_v1_index(p, ctrl);
	return i < 0 ? NULL : p->v1[i].dir;
}

/* Whether pid is listed in DIR/cgroup.procs. */
static bool cgt_in_procs(const char *dir, pid_t pid)
{
	char data[8192], want[24];
	if (!dir || !cgt_read(dir, "cgroup.procs", data, sizeof(data)))
		return false;
	snprintf(want, sizeof(want), "%d", (int)pid);
	for (char *s = strtok(data, "\n"); s; s = strtok(NULL, "\n"))
		if (strcmp(s, want) == 0)
			return true;
	return false;
}

static char cgt_proc_state(pid_t pid)
{
	char path[64], data[4096];
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (!cgt_read(path, "status", data, sizeof(data)))
		return '?';
	char *s = strstr(data, "\nState:");
	if (!s)
		return '?';
	s += 7;
	while (*s == ' ' || *s == '\t')
		s++;
	return *s;
}

/* ---------------------------------------------------------------- pure logic */

static const char cgt_mountinfo[] =
	"22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
	"30 22 0:27 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
	"31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
	"34 30 0:31 /box /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
	"35 30 0:32 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n"
	"39 30 0:36 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
	"41 30 0:38 / /sys/fs/cgroup/other rw - cgroup cgroup rw,name=other\n"
	"42 30 0:39 / /sys/fs/cgroup/rd\\040ma rw - cgroup cgroup rw,rdma\n"
	"43 30 0:40 / /mnt/again rw - cgroup cgroup rw,memory\n"
	"40 30 0:37 / /sys/fs/cgroup/unified rw shared:9 - cgroup2 cgroup2 rw,nsdelegate\n";

TEST(cgroup_mountinfo_parse)
{
	cg_host_info h;

	cg_host_parse(cgt_mountinfo, &h);
	CHECK(h.mode == CG_HYBRID);
	CHECK_STR(h.unified, "/sys/fs/cgroup/unified");
	CHECK_MSG(h.n_v1 == 5, "n_v1 %zu", h.n_v1);
	CHECK_STR(h.v1[0].options, "cpu,cpuacct");
	CHECK_STR(h.v1[0].mountpoint, "/sys/fs/cgroup/cpu,cpuacct");
	CHECK_STR(h.v1[1].options, "memory");
	CHECK_STR(h.v1[1].root, "/box");
	CHECK_STR(h.v1[1].mountpoint, "/sys/fs/cgroup/memory");
	CHECK_STR(h.v1[2].options, "net_cls,net_prio");
	CHECK_STR(h.v1[3].options, "name=systemd");
	CHECK_STR(h.v1[4].mountpoint, "/sys/fs/cgroup/rd ma");

	cg_host_parse("40 30 0:37 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
		      "39 30 0:36 / /x rw - cgroup cgroup rw,name=systemd\n", &h);
	CHECK(h.mode == CG_V2 && h.n_v1 == 0);
	CHECK_STR(h.unified, "/sys/fs/cgroup");
	cg_host_parse("31 30 0:28 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n", &h);
	CHECK(h.mode == CG_V1 && h.n_v1 == 1 && !h.unified[0]);
	cg_host_parse("1 0 0:1 / / rw - ext4 /dev/sda rw\nbroken line\n\n", &h);
	CHECK(h.mode == CG_NONE);
}

TEST(cgroup_resolve_paths)
{
	cg_host_info h;
	cg_paths p;
	cpod_err err;
	const char *own = "12:cpuacct,cpu:/user/s1\n"
			  "4:memory:/box/job\n"
			  "3:net_prio,net_cls:/\n"
			  "1:name=systemd:/user/s1\n"
			  "0::/user/s1\n";

	cg_host_parse(cgt_mountinfo, &h);
	/* relative: below the caller's own cgroup, seen through the mount root */
	CHECK_MSG(cg_resolve_in(&h, own, "ctr/a", "id", &p, &err) == 0, "%s", err.msg);
	CHECK(p.mode == CG_HYBRID && p.n_v1 == 5);
	CHECK_STR(p.v1[0].controller, "cpu,cpuacct");
	CHECK_STR(p.v1[0].dir, "/sys/fs/cgroup/cpu,cpuacct/user/s1/ctr/a");
	CHECK_STR(p.v1[1].dir, "/sys/fs/cgroup/memory/job/ctr/a");
	CHECK_STR(p.v1[2].dir, "/sys/fs/cgroup/net_cls,net_prio/ctr/a");
	CHECK_STR(p.v1[3].dir, "/sys/fs/cgroup/systemd/user/s1/ctr/a");
	CHECK_STR(p.v1[4].dir, "/sys/fs/cgroup/rd ma/ctr/a"); /* no entry: "/" */
	CHECK_STR(p.unified, "/sys/fs/cgroup/unified/user/s1/ctr/a");
	/* NULL path: the id */
	CHECK(cg_resolve_in(&h, own, NULL, "c9", &p, &err) == 0);
	CHECK_STR(p.v1[1].dir, "/sys/fs/cgroup/memory/job/c9");
	/* absolute: from the hierarchy's root, through the mount's root */
	CHECK(cg_resolve_in(&h, own, "/box/x/y", "id", &p, &err) == 0);
	CHECK_STR(p.v1[1].dir, "/sys/fs/cgroup/memory/x/y");
	CHECK_STR(p.v1[0].dir, "/sys/fs/cgroup/cpu,cpuacct/box/x/y");
	/* ".." never climbs out */
	CHECK(cg_resolve_in(&h, own, "../../../../etc", "id", &p, &err) == 0);
	CHECK_STR(p.v1[0].dir, "/sys/fs/cgroup/cpu,cpuacct/user/s1/etc");
	CHECK(cg_resolve_in(&h, own, "/../../x", "id", &p, &err) == 0);
	CHECK_STR(p.unified, "/sys/fs/cgroup/unified/x");
	/* the root or the caller's own cgroup are refused */
	CHECK(cg_resolve_in(&h, own, "/", "id", &p, &err) < 0);
	CHECK(cg_resolve_in(&h, own, "a/..", "id", &p, &err) < 0);
	CHECK(cg_resolve_in(&h, own, "/box", "id", &p, &err) < 0);
	CHECK(cg_resolve_in(&h, own, NULL, NULL, &p, &err) < 0);
	CHECK(cg_resolve_in(&h, own, "a\nb", "id", &p, &err) < 0);

	/* pure v2: relative paths go next to the caller's cgroup */
	cg_host_parse("40 30 0:37 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", &h);
	CHECK(cg_resolve_in(&h, own, "ctr", "id", &p, &err) == 0);
	CHECK(p.mode == CG_V2 && p.n_v1 == 0);
	CHECK_STR(p.unified, "/sys/fs/cgroup/user/ctr");
	CHECK(cg_resolve_in(&h, "0::/\n", "ctr", "id", &p, &err) == 0);
	CHECK_STR(p.unified, "/sys/fs/cgroup/ctr");
	CHECK(cg_resolve_in(&h, own, "/machine/ctr", "id", &p, &err) == 0);
	CHECK_STR(p.unified, "/sys/fs/cgroup/machine/ctr");

	cg_host_parse("", &h);
	CHECK(cg_resolve_in(&h, own, "x", "id", &p, &err) == 0 && p.mode == CG_NONE);
}

TEST(cgroup_paths_json)
{
	cg_paths p, q;
	cpod_err err;
	buf b = BUF_INIT;
	json_w w;

	memset(&p, 0, sizeof(p));
	p.mode = CG_HYBRID;
	snprintf(p.unified, sizeof(p.unified), "/sys/fs/cgroup/unified/a b");
	p.n_v1 = 2;
	snprintf(p.v1[0].controller, sizeof(p.v1[0].controller), "cpu,cpuacct");
	snprintf(p.v1[0].dir, sizeof(p.v1[0].dir), "/sys/fs/cgroup/cpu,cpuacct/x");
	snprintf(p.v1[1].controller, sizeof(p.v1[1].controller), "name=systemd");
	snprintf(p.v1[1].dir, sizeof(p.v1[1].dir), "/sys/fs/cgroup/systemd/x");
	jw_init(&w, &b, NULL);
	cg_paths_write(&w, &p);
	CHECK(jw_finish(&w, &err) == 0);
	json_doc *d = json_parse(b.data, b.len, NULL, &err);
	CHECK_MSG(d, "%s", err.msg);
	int r = cg_paths_read(json_root(d), &q, &err);
	json_doc_free(d);
	buf_free(&b);
	CHECK_MSG(r == 0, "%s", err.msg);
	CHECK(q.mode == CG_HYBRID && q.n_v1 == 2);
	CHECK_STR(q.unified, p.unified);
	CHECK_STR(q.v1[0].controller, "cpu,cpuacct");
	CHECK_STR(q.v1[1].dir, "/sys/fs/cgroup/systemd/x");

	static const char *const bad[] = {
		"[]", "{}", "{\"mode\":\"v3\"}", "{\"mode\":1}",
		"{\"mode\":\"v2\",\"unified\":\"relative/x\"}",
		"{\"mode\":\"v2\",\"unified\":\"/sys/fs/cgroup/../../etc\"}",
		"{\"mode\":\"v2\",\"unified\":\"/sys/fs/cgroup//x\"}",
		"{\"mode\":\"v2\",\"unified\":\"/\"}",
		"{\"mode\":\"v2\"}",
		"{\"mode\":\"v2\",\"unified\":\"/a\",\"v1\":{\"memory\":\"/b\"}}",
		"{\"mode\":\"v1\",\"v1\":{\"memory\":\"/b/../c\"}}",
		"{\"mode\":\"v1\",\"v1\":{\"mem/ory\":\"/b\"}}",
		"{\"mode\":\"v1\",\"v1\":{\"memory\":5}}",
		"{\"mode\":\"v1\",\"v1\":[\"/b\"]}",
		"{\"mode\":\"v1\",\"v1\":{\"memory\":\"/b\",\"memory\":\"/c\"}}",
		"{\"mode\":\"v1\",\"v1\":{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":\"/b\"}}",
		"{\"mode\":\"none\",\"unified\":\"/a\"}",
		"{\"mode\":\"hybrid\",\"v1\":{\"memory\":\"/b\"}}",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		d = json_parse(bad[i], strlen(bad[i]), NULL, &err);
		CHECK_MSG(d, "test JSON #%zu: %s", i, err.msg);
		r = cg_paths_read(json_root(d), &q, &err);
		json_doc_free(d);
		CHECK_MSG(r < 0, "accepted bad paths #%zu: %s", i, bad[i]);
	}
}

TEST(cgroup_device_emulation)
{
	cgt t;
	cg_dev_state st;
	cpod_err err;

	cgt_init(&t);
	oci_resources *r = cgt_res(&t, "{\"devices\":["
		"{\"allow\":false,\"access\":\"rwm\"},"
		"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"},"
		"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"r\"},"
		"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"w\"},"
		"{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"w\"},"
		"{\"allow\":true,\"type\":\"b\",\"access\":\"m\"},"
		"{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":9,\"access\":\"rwm\"}]}");
	if (!r) {
		cgt_cleanup(&t);
		CHECK(r);
	}
	int rc = cg_dev_emulate(r->devices, r->n_devices, &st, &err);
	cgt_cleanup(&t);
	CHECK(rc == 0);
	CHECK(!st.default_allow);
	CHECK_MSG(st.n == 3, "%zu exceptions", st.n);
	CHECK(st.ex[0].type == 'c' && st.ex[0].major == 1 && st.ex[0].minor == 3 &&
	      st.ex[0].access == (CG_DEV_R | CG_DEV_M));
	CHECK(st.ex[1].minor == 5 && st.ex[1].access == (CG_DEV_R | CG_DEV_W));
	CHECK(st.ex[2].type == 'b' && st.ex[2].major == -1 && st.ex[2].access == CG_DEV_M);
	cg_bpf_prog prog;
	CHECK(cg_dev_program(&st, &prog, &err) == 0);
	/* 6 loads, blocks of 1 + 2 + 3 (access) + 2, one without numbers, the default */
	CHECK_MSG(prog.n == 6 + 8 + 8 + 6 + 2, "%zu instructions", prog.n);
	free(prog.insn);
	free(st.ex);
}

TEST(cgroup_weight_conversions)
{
	CHECK(cg_shares_to_weight(2) == 1);
	CHECK(cg_shares_to_weight(1024) == 39);
	CHECK(cg_shares_to_weight(262144) == 10000);
	CHECK(cg_shares_to_weight(1) == 1);
	CHECK(cg_blkio_to_io_weight(10) == 1);
	CHECK(cg_blkio_to_io_weight(1000) == 10000);
	CHECK(cg_blkio_to_io_weight(500) == 4950);
}

/* ---------------------------------------------------------------- on the host */

TEST(cgroup_host_detect)
{
	const cg_v1_hierarchy *h;
	size_t n;

	if (!cgt_root()) {
		printf("# skipped: not root or no cgroups\n");
		return;
	}
	cg_v1_hierarchies(&h, &n);
	if (cg_detect() == CG_V2) {
		CHECK(n == 0 && cg_unified_mountpoint()[0]);
		return;
	}
	bool mem = false;
	for (size_t i = 0; i < n; i++)
		mem |= cg_list_has(h[i].options, strlen(h[i].options), "memory", ',');
	CHECK(mem);
	CHECK(cg_detect() == (cg_unified_mountpoint()[0] ? CG_HYBRID : CG_V1));
}

static void cgt_lifecycle_body(cgt *t)
{
	cpod_err err;
	cg_paths p;
	char v[4096], path[PATH_MAX + 32];
	int go = -1;
	bool v2 = cg_detect() == CG_V2;

	snprintf(path, sizeof(path), "%s/c1", t->parent);
	CHECK_MSG(cg_resolve(path, "c1", &p, &err) == 0, "%s", err.msg);
	CHECK(p.mode == cg_detect());
	oci_resources *r = cgt_res(t, "{\"memory\":{\"limit\":67108864},\"pids\":{\"limit\":20},"
		"\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000},\"devices\":["
		"{\"allow\":false,\"access\":\"rwm\"},"
		"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"},"
		"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"r\"}]}");
	CHECK(r);
	pid_t s = cgt_spawn(t, cgt_sleeper, &go);
	CHECK(s > 0);
	cgt_go(&go);
	int rc = cg_enter(&p, s, r, false, &err);
	CHECK_MSG(rc == 1, "cg_enter: %d %s", rc, err.msg);

	if (v2) {
		CHECK(cgt_read(p.unified, "memory.max", v, sizeof(v)) && strcmp(v, "67108864") == 0);
		CHECK(cgt_read(p.unified, "pids.max", v, sizeof(v)) && strcmp(v, "20") == 0);
		CHECK(cgt_read(p.unified, "cpu.max", v, sizeof(v)) && strcmp(v, "50000 100000") == 0);
		CHECK(cgt_read(p.unified, "cpu.weight", v, sizeof(v)) && strcmp(v, "20") == 0);
	} else {
		const char *mem = cgt_v1_dir(&p, "memory"), *cpu = cgt_v1_dir(&p, "cpu");
		const char *pids = cgt_v1_dir(&p, "pids"), *dev = cgt_v1_dir(&p, "devices");
		CHECK(mem && cpu && pids && dev);
		CHECK(cgt_read(mem, "memory.limit_in_bytes", v, sizeof(v)));
		CHECK_STR(v, "67108864");
		CHECK(cgt_read(pids, "pids.max", v, sizeof(v)));
		CHECK_STR(v, "20");
		CHECK(cgt_read(cpu, "cpu.shares", v, sizeof(v)));
		CHECK_STR(v, "512");
		CHECK(cgt_read(cpu, "cpu.cfs_quota_us", v, sizeof(v)));
		CHECK_STR(v, "50000");
		CHECK(cgt_read(cpu, "cpu.cfs_period_us", v, sizeof(v)));
		CHECK_STR(v, "100000");
		CHECK(cgt_read(dev, "devices.list", v, sizeof(v)));
		CHECK_MSG(strstr(v, "c 1:3 rwm") && strstr(v, "c 1:5 r") && !strstr(v, "a *:*"),
			  "devices.list: %s", v);
		CHECK(cgt_in_procs(mem, s));
		CHECK(cgt_in_procs(pids, s));
		CHECK(cgt_in_procs(cgt_v1_dir(&p, "cpuset"), s));
		CHECK(cgt_in_procs(cgt_v1_dir(&p, "name=systemd"), s));
	}
	if (p.unified[0])
		CHECK(cgt_in_procs(p.unified, s));

	/* a sub-cgroup the container made, with a process in it */
	char sub[PATH_MAX + 8];
	const char *listdir = v2 ? p.unified : cgt_v1_dir(&p, "memory");
	snprintf(sub, sizeof(sub), "%s/sub", listdir);
	CHECK(mkdir(sub, 0755) == 0);
	pid_t s2 = cgt_spawn(t, cgt_sleeper, &go);
	CHECK(s2 > 0);
	cgt_go(&go);
	CHECK_MSG(cg_join(&p, s2, &err) == 0, "%s", err.msg);
	CHECK(cgt_in_procs(listdir, s2));
	snprintf(v, sizeof(v), "%d", (int)s2);
	int fd = open(strcat(sub, "/cgroup.procs"), O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(write(fd, v, strlen(v)) > 0);
	close(fd);

	pid_t *pids;
	size_t n;
	CHECK_MSG(cg_pids(&p, &pids, &n, &err) == 0, "%s", err.msg);
	bool has_s = false, has_s2 = false;
	for (size_t i = 0; i < n; i++) {
		has_s |= pids[i] == s;
		has_s2 |= pids[i] == s2;
	}
	free(pids);
	CHECK_MSG(n == 2 && has_s && has_s2, "cg_pids: %zu pids", n);

	/* freeze and thaw */
	CHECK(cg_is_frozen(&p) == 0);
	CHECK_MSG(cg_freeze(&p, true, &err) == 0, "%s", err.msg);
	CHECK(cg_is_frozen(&p) == 1);
	if (!v2)
		CHECK_MSG(cgt_proc_state(s) == 'D' && cgt_proc_state(s2) == 'D', "state %c",
			  cgt_proc_state(s));
	CHECK_MSG(cg_freeze(&p, false, &err) == 0, "%s", err.msg);
	CHECK(cg_is_frozen(&p) == 0);
	/* a thawed task runs for a moment before it sleeps again */
	for (int i = 0; i < 100 && cgt_proc_state(s) != 'S'; i++)
		usleep(10000);
	CHECK_MSG(cgt_proc_state(s) == 'S', "state %c", cgt_proc_state(s));

	/* stats */
	buf b = BUF_INIT;
	json_w w;
	jw_init(&w, &b, NULL);
	jw_obj_begin(&w);
	jw_key(&w, "data");
	rc = cg_stats(&p, &w, &err);
	jw_obj_end(&w);
	CHECK_MSG(rc == 0 && jw_finish(&w, &err) == 0, "%s", err.msg);
	json_doc *d = json_parse(b.data, b.len, NULL, &err);
	CHECK_MSG(d, "stats do not parse: %s: %.300s", err.msg, b.data);
	t->docs[t->n_docs++] = d;
	const json_value *data = json_get(json_root(d), "data");
	uint64_t u = 0;
	CHECK(json_is(json_get(json_get(json_get(data, "cpu"), "usage"), "percpu"), JSON_ARRAY));
	CHECK(json_is(json_get(json_get(data, "cpu"), "throttling"), JSON_OBJECT));
	CHECK(json_uint64(json_get(json_get(json_get(data, "memory"), "usage"), "limit"), &u) &&
	      u == 67108864);
	/* no "> 0": charges made before the move stay where they were */
	CHECK(json_uint64(json_get(json_get(json_get(data, "memory"), "usage"), "usage"), &u));
	CHECK(json_is(json_get(json_get(data, "memory"), "raw"), JSON_OBJECT));
	CHECK(json_uint64(json_get(json_get(data, "pids"), "limit"), &u) && u == 20);
	CHECK(json_uint64(json_get(json_get(data, "pids"), "current"), &u) && u == 2);
	CHECK(json_is(json_get(data, "blkio"), JSON_OBJECT));
	CHECK(json_is(json_get(data, "hugetlb"), JSON_OBJECT));
	buf_free(&b);

	/* update writes what it is given, and only that */
	oci_resources *up = cgt_res(t, "{\"pids\":{\"limit\":30},\"cpu\":{\"period\":200000}}");
	CHECK(up);
	CHECK_MSG(cg_update(&p, up, &err) == 0, "%s", err.msg);
	if (v2) {
		CHECK(cgt_read(p.unified, "pids.max", v, sizeof(v)) && strcmp(v, "30") == 0);
		CHECK(cgt_read(p.unified, "cpu.max", v, sizeof(v)) && strcmp(v, "50000 200000") == 0);
	} else {
		CHECK(cgt_read(cgt_v1_dir(&p, "pids"), "pids.max", v, sizeof(v)));
		CHECK_STR(v, "30");
		CHECK(cgt_read(cgt_v1_dir(&p, "cpu"), "cpu.cfs_period_us", v, sizeof(v)));
		CHECK_STR(v, "200000");
		CHECK(cgt_read(cgt_v1_dir(&p, "cpu"), "cpu.cfs_quota_us", v, sizeof(v)));
		CHECK_STR(v, "50000");
		CHECK(cgt_read(cgt_v1_dir(&p, "memory"), "memory.limit_in_bytes", v, sizeof(v)));
		CHECK_STR(v, "67108864");
	}

	/* the saved paths find the same directories */
	cg_paths q;
	b = (buf)BUF_INIT;
	jw_init(&w, &b, NULL);
	cg_paths_write(&w, &p);
	CHECK(jw_finish(&w, &err) == 0);
	d = json_parse(b.data, b.len, NULL, &err);
	buf_free(&b);
	CHECK(d);
	t->docs[t->n_docs++] = d;
	CHECK_MSG(cg_paths_read(json_root(d), &q, &err) == 0, "%s", err.msg);
	CHECK(q.mode == p.mode && q.n_v1 == p.n_v1 && strcmp(q.unified, p.unified) == 0);
	for (size_t i = 0; i < p.n_v1; i++)
		CHECK(strcmp(q.v1[i].dir, p.v1[i].dir) == 0);

	/* a signal other than SIGKILL: freeze, signal each, thaw */
	CHECK_MSG(cg_kill_all(&q, SIGTERM, &err) == 0, "%s", err.msg);
	int st = cgt_wait(t, s);
	CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "status %#x", st);
	st = cgt_wait(t, s2);
	CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "status %#x", st);
	CHECK(cg_is_frozen(&q) == 0);

	/* SIGKILL (cgroup.kill where there is one) */
	pid_t s3 = cgt_spawn(t, cgt_sleeper, &go);
	CHECK(s3 > 0);
	cgt_go(&go);
	CHECK_MSG(cg_join(&q, s3, &err) == 0, "%s", err.msg);
	CHECK_MSG(cg_kill_all(&q, SIGKILL, &err) == 0, "%s", err.msg);
	st = cgt_wait(t, s3);
	CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status %#x", st);

	CHECK_MSG(cg_destroy(&q, &err) == 0, "%s", err.msg);
	for (size_t i = 0; i < p.n_v1; i++)
		CHECK_MSG(access(p.v1[i].dir, F_OK) < 0 && errno == ENOENT, "%s left", p.v1[i].dir);
	CHECK(!p.unified[0] || access(p.unified, F_OK) < 0);
	/* destroying again is fine */
	CHECK_MSG(cg_destroy(&q, &err) == 0, "%s", err.msg);
	CHECK(cg_pids(&q, &pids, &n, &err) == 0 && n == 0);
	free(pids);
}

TEST(cgroup_lifecycle)
{
	cgt t;

	if (!cgt_root()) {
		printf("# skipped: not root or no cgroups\n");
		return;
	}
	cgt_init(&t);
	cgt_lifecycle_body(&t);
	cgt_cleanup(&t);
	CHECK(cgt_all_gone(&t));
}

static int cgt_hog(void)
{
	size_t n = (size_t)200 << 20;
	/* volatile: the compiler would drop a malloc that is only written */
	volatile char *p = malloc(n);
	if (!p)
		return 3;
	for (size_t i = 0; i < n; i += 4096)
		p[i] = 1;
	free((void *)p);
	return 0;
}

static void cgt_oom_body(cgt *t)
{
	cpod_err err;
	cg_paths p;
	char path[PATH_MAX];
	int go = -1;

	snprintf(path, sizeof(path), "%s/oom", t->parent);
	CHECK_MSG(cg_resolve(path, NULL, &p, &err) == 0, "%s", err.msg);
	/* swap == limit: no swap at all, whether the host has some or not */
	oci_resources *r = cgt_res(t, "{\"memory\":{\"limit\":33554432,\"swap\":33554432}}");
	CHECK(r);
	pid_t c = cgt_spawn(t, cgt_hog, &go);
	CHECK(c > 0);
	CHECK_MSG(cg_enter(&p, c, r, false, &err) == 1, "%s", err.msg);
	CHECK(cg_oom_kills(&p) == 0);
	cgt_go(&go);
	int st = cgt_wait(t, c);
	CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "hog status %#x", st);
	long kills = cg_oom_kills(&p);
	CHECK_MSG(kills >= 1, "oom kills %ld", kills);
	CHECK_MSG(cg_destroy(&p, &err) == 0, "%s", err.msg);
}

TEST(cgroup_memory_limit_bites)
{
	cgt t;

	if (!cgt_root()) {
		printf("# skipped: not root or no cgroups\n");
		return;
	}
	cgt_init(&t);
	cgt_oom_body(&t);
	cgt_cleanup(&t);
	CHECK(cgt_all_gone(&t));
}

static int cgt_forker(void)
{
	pid_t kids[64];
	int n = 0, result = 1;

	for (int i = 0; i < 50; i++) {
		pid_t k = fork();
		if (k == 0)
			for (;;)
				pause();
		if (k < 0) {
			if (errno == EAGAIN)
				result = 0;
			break;
		}
		kids[n++] = k;
	}
	for (int i = 0; i < n; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	/* pids.max 5: this process and four children */
	return result == 0 && n != 4 ? 10 + n : result;
}

static void cgt_pids_body(cgt *t)
{
	cpod_err err;
	cg_paths p;
	char path[PATH_MAX];
	int go = -1;

	snprintf(path, sizeof(path), "%s/pids", t->parent);
	CHECK_MSG(cg_resolve(path, NULL, &p, &err) == 0, "%s", err.msg);
	oci_resources *r = cgt_res(t, "{\"pids\":{\"limit\":5}}");
	CHECK(r);
	pid_t c = cgt_spawn(t, cgt_forker, &go);
	CHECK(c > 0);
	CHECK_MSG(cg_enter(&p, c, r, false, &err) == 1, "%s", err.msg);
	cgt_go(&go);
	int st = cgt_wait(t, c);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "forker status %#x", st);
	CHECK_MSG(cg_destroy(&p, &err) == 0, "%s", err.msg);
}

TEST(cgroup_pids_limit_bites)
{
	cgt t;

	if (!cgt_root()) {
		printf("# skipped: not root or no cgroups\n");
		return;
	}
	cgt_init(&t);
	cgt_pids_body(&t);
	cgt_cleanup(&t);
	CHECK(cgt_all_gone(&t));
}

static void cgt_errors_body(cgt *t)
{
	cpod_err err;
	cg_paths p;
	char path[PATH_MAX];
	int go = -1;
	bool v2 = cg_detect() == CG_V2;

	snprintf(path, sizeof(path), "%s/err", t->parent);
	CHECK_MSG(cg_resolve(path, NULL, &p, &err) == 0, "%s", err.msg);
	pid_t c = cgt_spawn(t, cgt_sleeper, &go);
	CHECK(c > 0);
	cgt_go(&go);
	CHECK_MSG(cg_enter(&p, c, NULL, false, &err) == 1, "%s", err.msg);

	/* the kernel refuses a value: the file and the value are named */
	oci_resources *r = cgt_res(t, "{\"cpu\":{\"quota\":1}}");
	CHECK(r && cg_update(&p, r, &err) < 0);
	CHECK_MSG(strstr(err.msg, v2 ? "cgroup cpu: write cpu.max=1" :
				  "cgroup cpu: write cpu.cfs_quota_us=1: Invalid argument"),
		  "%s", err.msg);
	r = cgt_res(t, "{\"cpu\":{\"cpus\":\"4000\"}}");
	CHECK(r && cg_update(&p, r, &err) < 0);
	CHECK_MSG(strstr(err.msg, "cgroup cpuset: write cpuset.cpus=4000: "), "%s", err.msg);

	/* a controller the host does not have */
	if (!v2 && cg_v1_index(&p, "hugetlb") < 0) {
		r = cgt_res(t, "{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":2097152}]}");
		CHECK(r && cg_update(&p, r, &err) < 0);
		CHECK_MSG(strstr(err.msg, "cgroup hugetlb: the hugetlb controller is not available"),
			  "%s", err.msg);
		CHECK(err.code == CPOD_E_UNSUPPORTED);
	}
	if (!v2 && cg_v1_index(&p, "net_cls") < 0) {
		r = cgt_res(t, "{\"network\":{\"classID\":1048577}}");
		CHECK(r && cg_update(&p, r, &err) < 0);
		CHECK_MSG(strstr(err.msg, "net_cls"), "%s", err.msg);
	}
	/* unified on a hybrid host: written in the (controller-less) v2 dir */
	if (p.mode == CG_HYBRID) {
		r = cgt_res(t, "{\"unified\":{\"memory.max\":\"1\"}}");
		CHECK(r && cg_update(&p, r, &err) < 0);
		CHECK_MSG(strstr(err.msg, "cgroup unified: write memory.max=1: memory.max does not "
				  "exist"), "%s", err.msg);
	}
	/* the path must be below a mounted hierarchy */
	cg_paths bad = p;
	snprintf(bad.v1[0].dir, sizeof(bad.v1[0].dir), "/tmp/cpod-not-a-cgroup");
	if (bad.n_v1) {
		CHECK(cg_enter(&bad, c, NULL, false, &err) < 0);
		CHECK_MSG(strstr(err.msg, "not below a mounted"), "%s", err.msg);
	}
	CHECK(cg_kill_all(&p, SIGKILL, &err) == 0);
	cgt_wait(t, c);
	CHECK_MSG(cg_destroy(&p, &err) == 0, "%s", err.msg);
}

TEST(cgroup_errors_are_clear)
{
	cgt t;

	if (!cgt_root()) {
		printf("# skipped: not root or no cgroups\n");
		return;
	}
	cgt_init(&t);
	cgt_errors_body(&t);
	cgt_cleanup(&t);
	CHECK(cgt_all_gone(&t));
}

/* As nobody: no permission to make cgroups.  Exit 0 when cg_enter gave
 * "no cgroup" without limits and an error with them. */
static int cgt_rootless_child(const char *parent)
{
	cpod_err err;
	cg_paths p;
	char path[PATH_MAX];
	cgt t;

	if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
		return 2;
	snprintf(path, sizeof(path), "%s/rl", parent);
	if (cg_resolve(path, NULL, &p, &err) < 0)
		return 3;
	cgt_init(&t);
	oci_resources *devs = cgt_res(&t, "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}");
	oci_resources *lim = cgt_res(&t, "{\"pids\":{\"limit\":10}}");
	if (!devs || !lim)
		return 4;
	if (cg_enter(&p, getpid(), NULL, true, &err) != 0)
		return 5;
	if (cg_enter(&p, getpid(), devs, true, &err) != 0)
		return 6;
	if (cg_enter(&p, getpid(), lim, true, &err) != -1 || !strstr(err.msg, "Permission denied"))
		return 7;
	if (cg_enter(&p, getpid(), NULL, false, &err) != -1)
		return 8;
	return 0;
}

TEST(cgroup_rootless_without_permission)
{
	cgt t;

	if (!cgt_root()) {
		printf("# skipped: not root or no cgroups\n");
		return;
	}
	cgt_init(&t);
	pid_t c = fork();
	if (c == 0)
		_exit(cgt_rootless_child(t.parent));
	int st = -1;
	if (c > 0)
		waitpid(c, &st, 0);
	cgt_cleanup(&t);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "rootless child status %#x", st);
	CHECK(cgt_all_gone(&t));
}

/* Exit code bits: what the device filter let through, as expected. */
static int cgt_dev_probe(int want_zero_w, int want_full_r, int want_full_w)
{
	int bits = 0, fd;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	bits |= fd >= 0 ? 1 : 0;
	if (fd >= 0)
		close(fd);
	fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	bits |= fd >= 0 ? 2 : 0;
	if (fd >= 0)
		close(fd);
	fd = open("/dev/zero", O_WRONLY | O_CLOEXEC);
	bits |= (fd >= 0) == want_zero_w && (fd >= 0 || errno == EPERM) ? 4 : 0;
	if (fd >= 0)
		close(fd);
	fd = open("/dev/full", O_RDONLY | O_CLOEXEC);
	bits |= (fd >= 0) == want_full_r && (fd >= 0 || errno == EPERM) ? 8 : 0;
	if (fd >= 0)
		close(fd);
	fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	bits |= (fd >= 0) == want_full_w && (fd >= 0 || errno == EPERM) ? 16 : 0;
	if (fd >= 0)
		close(fd);
	return bits;
}

static int cgt_dev_probe_allowlist(void)
{
	return cgt_dev_probe(0, 0, 0);
}

static int cgt_dev_probe_denylist(void)
{
	return cgt_dev_probe(1, 0, 1);
}

static void cgt_ebpf_body(cgt *t)
{
	cpod_err err;
	cg_paths p;
	char path[PATH_MAX];
	int go = -1;

	snprintf(path, sizeof(path), "%s/bpf", t->parent);
	CHECK_MSG(cg_resolve(path, NULL, &p, &err) == 0, "%s", err.msg);
	CHECK(p.unified[0]);
	pid_t a = cgt_spawn(t, cgt_dev_probe_allowlist, &go);
	CHECK(a > 0);
	CHECK_MSG(cg_enter(&p, a, NULL, false, &err) == 1, "%s", err.msg);

	/* deny all, /dev/null fully, /dev/zero read-only; /dev/full nothing */
	oci_resources *allow = cgt_res(t, "{\"devices\":["
		"{\"allow\":false,\"access\":\"rwm\"},"
		"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"},"
		"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"rw\"},"
		"{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"w\"}]}");
	CHECK(allow);
	int fd = cg_dir_open(p.unified, &err);
	CHECK_MSG(fd >= 0, "%s", err.msg);
	int rc = cg_dev_ebpf_apply(fd, allow, false, &err);
	uint32_t *ids = NULL, n = 0;
	if (rc == 0)
		rc = cg_bpf_query(fd, &ids, &n, &err);
	free(ids);
	ids = NULL;
	if (rc < 0)
		close(fd);
	CHECK_MSG(rc == 0, "%s", err.msg);
	CHECK_MSG(n == 1, "%u programs", n);
	cgt_go(&go);
	int st = cgt_wait(t, a);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 31, "allow-list probe status %#x", st);

	/* replaced by a deny-list: everything but reading /dev/full */
	oci_resources *deny = cgt_res(t, "{\"devices\":["
		"{\"allow\":true,\"access\":\"rwm\"},"
		"{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":7,\"access\":\"r\"}]}");
	pid_t b = cgt_spawn(t, cgt_dev_probe_denylist, &go);
	rc = deny && b > 0 ? cg_join(&p, b, &err) : -1;
	if (rc == 0)
		rc = cg_dev_ebpf_apply(fd, deny, false, &err);
	if (rc == 0)
		rc = cg_bpf_query(fd, &ids, &n, &err);
	free(ids);
	close(fd);
	CHECK_MSG(rc == 0, "%s", err.msg);
	CHECK_MSG(n == 1, "%u programs after the update", n);
	cgt_go(&go);
	st = cgt_wait(t, b);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 31, "deny-list probe status %#x", st);
	CHECK_MSG(cg_destroy(&p, &err) == 0, "%s", err.msg);
}

TEST(cgroup_v2_device_filter)
{
	cgt t;

	if (!cgt_root() || !cg_unified_mountpoint()[0]) {
		printf("# skipped: not root or no cgroup2\n");
		return;
	}
	cgt_init(&t);
	cgt_ebpf_body(&t);
	cgt_cleanup(&t);
	CHECK(cgt_all_gone(&t));
}

/* In a private mount namespace without the v1 mounts the host looks like
 * pure cgroup v2 (without controllers, which v1 holds): the v2 code paths
 * for everything but the limits.  Exit 0 on success; messages on stdout. */
static int cgt_v2_child(const char *parent)
{
	const cg_v1_hierarchy *h;
	size_t n;
	static char mps[CG_MAX_V1][PATH_MAX];
	cpod_err err;
	cg_paths p;
	char path[PATH_MAX], v[256];
	cgt t;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return 2;
	cg_v1_hierarchies(&h, &n);
	for (size_t i = 0; i < n; i++)
		snprintf(mps[i], sizeof(mps[i]), "%s", h[i].mountpoint);
	for (size_t i = 0; i < n; i++)
		if (umount2(mps[i], MNT_DETACH) < 0)
			return 3;
	cg_host_scan();
	if (cg_detect() != CG_V2)
		return 4;
	snprintf(path, sizeof(path), "%s/v2", parent);
	if (cg_resolve(path, NULL, &p, &err) < 0 || p.n_v1 != 0 || !p.unified[0]) {
		printf("# resolve: %s\n", err.msg);
		return 5;
	}
	cgt_init(&t);
	oci_resources *devs = cgt_res(&t, "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
		"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"}]}");
	oci_resources *lim = cgt_res(&t, "{\"pids\":{\"limit\":5}}");
	if (!devs || !lim)
		return 6;
	pid_t kid = fork();
	if (kid == 0)
		for (;;)
			pause();
	int rc = 0;
	pid_t *pids = NULL;
	size_t np = 0;
#define V2_FAIL(code)                                                      \
	do {                                                               \
		printf("# v2 step %d: %s\n", code, err.msg);               \
		rc = code;                                                 \
		goto out;                                                  \
	} while (0)
	if (cg_enter(&p, kid, devs, false, &err) != 1)
		V2_FAIL(10);
	if (!cgt_in_procs(p.unified, kid))
		V2_FAIL(11);
	if (cg_pids(&p, &pids, &np, &err) < 0 || np != 1 || pids[0] != kid)
		V2_FAIL(12);
	if (cg_freeze(&p, true, &err) < 0 || cg_is_frozen(&p) != 1)
		V2_FAIL(13);
	if (!cgt_read(p.unified, "cgroup.events", v, sizeof(v)) || !strstr(v, "frozen 1"))
		V2_FAIL(14);
	if (cg_freeze(&p, false, &err) < 0 || cg_is_frozen(&p) != 0)
		V2_FAIL(15);
	buf b = BUF_INIT;
	json_w w;
	jw_init(&w, &b, NULL);
	rc = cg_stats(&p, &w, &err);
	json_doc *d = rc == 0 && jw_finish(&w, &err) == 0 ? json_parse(b.data, b.len, NULL, &err)
							    : NULL;
	bool shape = d && json_is(json_get(json_get(json_root(d), "cpu"), "usage"), JSON_OBJECT) &&
		     json_is(json_get(json_get(json_root(d), "memory"), "swap"), JSON_OBJECT);
	if (d)
		json_doc_free(d);
	buf_free(&b);
	rc = 0;
	if (!shape)
		V2_FAIL(16);
	if (cg_update(&p, lim, &err) == 0 || !strstr(err.msg, "cgroup pids: write pids.max=5"))
		V2_FAIL(17);
	if (cg_oom_kills(&p) != -1)
		V2_FAIL(18);
	if (cg_kill_all(&p, SIGKILL, &err) < 0)
		V2_FAIL(19);
	int st;
	if (waitpid(kid, &st, 0) != kid || !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		V2_FAIL(20);
	kid = 0;
	if (cg_destroy(&p, &err) < 0 || access(p.unified, F_OK) == 0)
		V2_FAIL(21);
out:
#undef V2_FAIL
	free(pids);
	if (kid > 0) {
		kill(kid, SIGKILL);
		waitpid(kid, NULL, 0);
	}
	return rc;
}

TEST(cgroup_v2_mode_paths)
{
	cgt t;

	if (!cgt_root() || cg_detect() != CG_HYBRID) {
		printf("# skipped: needs root on a hybrid host\n");
		return;
	}
	cgt_init(&t);
	pid_t c = fork();
	if (c == 0)
		_exit(cgt_v2_child(t.parent));
	int st = -1;
	if (c > 0)
		waitpid(c, &st, 0);
	cgt_cleanup(&t);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "v2 child status %#x", st);
	CHECK(cgt_all_gone(&t));
}
