/*
 * cgroup.c — the host's cgroup hierarchies, where a container's cgroup goes
 * in each, and the operations on a container's cgroup as a whole: create and
 * enter, join, freeze, kill, list, destroy, stats and the saved paths.
 *
 * The mapping of linux.resources onto control files lives in cgroup_v1.c and
 * cgroup_v2.c, the v2 device filter in cgroup_devices.c.  They use the file
 * helpers defined here; the amalgamation puts this file before them, and the
 * functions they define are declared below.
 *
 * Safety: the directories come from /proc/self/mountinfo or from a saved
 * state, so every one is opened without following symlinks, checked to be
 * on a cgroup file system before anything is written in it, and every path
 * is lexically clean (no "..") and under its hierarchy's mount point.  Files
 * are read with a size bound.
 */
#include "cgroup.h"
#include "../base/fs.h"
#include "../base/proc.h"
#include <dirent.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CG_READ_MAX (1u << 20)     /* a control file */
#define CG_PROCS_MAX (16u << 20)   /* cgroup.procs of a crowded cgroup */
#define CG_MOUNTINFO_MAX (16u << 20)
#define CG_MAX_DEPTH 64            /* sub-cgroups walked below a container's */
#define CG_DESTROY_MS 2000         /* how long rmdir retries EBUSY */
#define CG_FREEZE_MS 5000

/* cgroup_v1.c */
CPOD_INTERNAL int cg_v1_apply(const cg_paths *p, const oci_resources *r, bool update,
			      bool rootless, cpod_err *err);
CPOD_INTERNAL int cg_v1_stats(const cg_paths *p, json_w *w, cpod_err *err);
/* cgroup_v2.c */
CPOD_INTERNAL int cg_v2_apply(int dfd, const oci_resources *r, bool update, bool rootless,
			      cpod_err *err);
CPOD_INTERNAL int cg_unified_apply(int dfd, const oci_resources *r, cpod_err *err);
CPOD_INTERNAL void cg_v2_enable_controllers(int dfd, const char *where);
CPOD_INTERNAL int cg_v2_stats(int dfd, json_w *w, cpod_err *err);
/* cgroup_devices.c */
CPOD_INTERNAL int cg_dev_v1_apply(int dfd, const oci_resources *r, bool rootless, cpod_err *err);
CPOD_INTERNAL int cg_dev_ebpf_apply(int dfd, const oci_resources *r, bool rootless,
				    cpod_err *err);

/* ---------------------------------------------------------------- small text helpers */

/* Whether the sep-separated list holds name ("cpu,cpuacct" has "cpu"). */
CPOD_INTERNAL bool cg_list_has(const char *list, size_t len, const char *name, char sep)
{
	size_t nl = strlen(name);
	const char *end = list + len;

	for (const char *s = list; s < end;) {
		const char *e = memchr(s, sep, (size_t)(end - s));
		if (!e)
			e = end;
		if ((size_t)(e - s) == nl && memcmp(s, name, nl) == 0)
			return true;
		s = e + 1;
	}
	return false;
}

/* Whether two comma lists hold the same names ("cpu,cpuacct" == "cpuacct,cpu"). */
static bool cg_same_set(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b), na = 0, nb = 0;
	char name[128];

	for (const char *s = a, *end = a + alen; s < end;) {
		const char *e = memchr(s, ',', (size_t)(end - s));
		if (!e)
			e = end;
		if ((size_t)(e - s) >= sizeof(name))
			return false;
		memcpy(name, s, (size_t)(e - s));
		name[e - s] = '\0';
		if (!cg_list_has(b, blen, name, ','))
			return false;
		na++;
		s = e + 1;
	}
	for (const char *s = b; *s; s++)
		nb += *s == ',';
	return blen && na == nb + 1;
}

CPOD_INTERNAL bool cg_parse_u64(const char *s, uint64_t *out)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (strncmp(s, "max", 3) == 0 && (!s[3] || s[3] == '\n' || s[3] == ' ')) {
		*out = UINT64_MAX;
		return true;
	}
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || (*end && *end != '\n' && *end != ' '))
		return false;
	*out = v;
	return true;
}

/* The value of key in a flat-keyed file's text ("oom_kill 3\n"). */
CPOD_INTERNAL bool cg_kv_u64(const char *text, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);

	for (const char *s = text; s && *s;) {
		if (strncmp(s, key, kl) == 0 && s[kl] == ' ')
			return cg_parse_u64(s + kl + 1, out);
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return false;
}

/* Lexically cleans path as if rooted at "/" ("a/../../b/./c" -> "/b/c"), so
 * that ".." can never climb out; the root comes out as "". */
static int cg_clean_path(const char *in, char *out, size_t size, cpod_err *err)
{
	size_t len = 0;
	const char *s = in;

	out[0] = '\0';
	while (*s) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		size_t n = strcspn(s, "/");
		if (n == 1 && s[0] == '.') {
			s += n;
			continue;
		}
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			char *slash = strrchr(out, '/');
			if (slash) {
				*slash = '\0';
				len = (size_t)(slash - out);
			}
			s += n;
			continue;
		}
		if (n > NAME_MAX)
			return err_set(err, CPOD_E_INVALID, "cgroup path component too long in \"%s\"",
				       in);
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				return err_set(err, CPOD_E_INVALID,
					       "cgroup path has a control character: \"%s\"", in);
		if (len + 1 + n + 1 > size)
			return err_set(err, CPOD_E_LIMIT, "cgroup path too long: \"%.200s\"", in);
		out[len++] = '/';
		memcpy(out + len, s, n);
		len += n;
		out[len] = '\0';
		s += n;
	}
	return 0;
}

/* A saved or resolved directory: absolute, clean, below the root. */
static bool cg_dir_valid(const char *dir)
{
	char clean[PATH_MAX];

	if (dir[0] != '/' || strlen(dir) >= PATH_MAX)
		return false;
	if (cg_clean_path(dir, clean, sizeof(clean), NULL) < 0)
		return false;
	return clean[0] && strcmp(clean, dir) == 0;
}

/* path below root ("/a/b" below "/a" is "/b"); root "" or "/" is everything. */
static bool cg_strip_root(const char *path, const char *root, char *out, size_t size)
{
	size_t rl = strlen(root);

	if (rl == 0 || strcmp(root, "/") == 0) {
		snprintf(out, size, "%s", path);
		return true;
	}
	if (strncmp(path, root, rl) != 0 || (path[rl] && path[rl] != '/'))
		return false;
	snprintf(out, size, "%s", path + rl);
	return true;
}

/* Whether dir lies strictly below mnt. */
static bool cg_under(const char *dir, const char *mnt)
{
	size_t ml = strlen(mnt);

	if (ml == 1 && mnt[0] == '/')
		return dir[0] == '/' && dir[1];
	return ml && strncmp(dir, mnt, ml) == 0 && dir[ml] == '/' && dir[ml + 1];
}

/* ---------------------------------------------------------------- host hierarchies */

typedef struct cg_host_info {
	enum cg_mode mode;
	size_t n_v1;
	cg_v1_hierarchy v1[CG_MAX_V1];
	char unified[256];           /* cgroup2 mount point, "" when none */
	char unified_root[CG_DIR_MAX];
} cg_host_info;

/* The v1 controllers cpod places a container in (rdma and misc only join). */
static const char *const cg_v1_known[] = {
	"cpuset", "cpu", "cpuacct", "blkio", "memory", "devices", "freezer", "net_cls",
	"perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc",
};

static bool cg_is_known_controller(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(cg_v1_known); i++)
		if (strcmp(name, cg_v1_known[i]) == 0)
			return true;
	return false;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void cg_unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

static bool cg_in_sys_fs_cgroup(const char *mnt)
{
	return strncmp(mnt, "/sys/fs/cgroup", 14) == 0 && (!mnt[14] || mnt[14] == '/');
}

static void cg_host_add_line(cg_host_info *h, char *line)
{
	char *f[64], *save = NULL;
	int n = 0, sep = -1;

	for (char *t = strtok_r(line, " ", &save); t && n < (int)ARRAY_LEN(f);
	     t = strtok_r(NULL, " ", &save)) {
		if (sep < 0 && n >= 6 && strcmp(t, "-") == 0)
			sep = n;
		f[n++] = t;
	}
	if (sep < 0 || n < sep + 4)
		return;
	const char *fstype = f[sep + 1];
	char *root = f[3], *mnt = f[4], *superopts = f[sep + 3];
	cg_unescape(root);
	cg_unescape(mnt);
	if (strlen(root) >= CG_DIR_MAX || strlen(mnt) >= sizeof(h->unified))
		return;  /* not a place cpod can use */

	if (strcmp(fstype, "cgroup2") == 0) {
		/* later mounts on the same point hide earlier ones; the usual
		 * place wins over a stray second mount elsewhere */
		if (!h->unified[0] || strcmp(h->unified, mnt) == 0 ||
		    (cg_in_sys_fs_cgroup(mnt) && !cg_in_sys_fs_cgroup(h->unified))) {
			snprintf(h->unified, sizeof(h->unified), "%s", mnt);
			snprintf(h->unified_root, sizeof(h->unified_root), "%s", root);
		}
		return;
	}
	if (strcmp(fstype, "cgroup") != 0)
		return;

	char opts[128] = "";
	size_t ol = 0;
	bool used = false;
	char *s2 = NULL;
	for (char *o = strtok_r(superopts, ",", &s2); o; o = strtok_r(NULL, ",", &s2)) {
		bool known = cg_is_known_controller(o);
		if (!known && strncmp(o, "name=", 5) != 0)
			continue;
		used |= known || strcmp(o, "name=systemd") == 0;
		int r = snprintf(opts + ol, sizeof(opts) - ol, "%s%s", ol ? "," : "", o);
		if (r < 0 || (size_t)r >= sizeof(opts) - ol)
			return;
		ol += (size_t)r;
	}
	if (!used)
		return;

	cg_v1_hierarchy *slot = NULL;
	for (size_t i = 0; i < h->n_v1 && !slot; i++)
		if (strcmp(h->v1[i].mountpoint, mnt) == 0)
			slot = &h->v1[i];
	for (size_t i = 0; i < h->n_v1 && !slot; i++) {
		if (strcmp(h->v1[i].options, opts) != 0)
			continue;
		if (cg_in_sys_fs_cgroup(mnt) && !cg_in_sys_fs_cgroup(h->v1[i].mountpoint))
			slot = &h->v1[i];
		else
			return; /* the same hierarchy mounted a second time */
	}
	if (!slot) {
		if (h->n_v1 >= CG_MAX_V1)
			return;
		slot = &h->v1[h->n_v1++];
	}
	snprintf(slot->mountpoint, sizeof(slot->mountpoint), "%s", mnt);
	snprintf(slot->options, sizeof(slot->options), "%s", opts);
	snprintf(slot->root, sizeof(slot->root), "%s", root);
}

/* Builds the host's view from mountinfo text (exposed for the tests). */
CPOD_INTERNAL void cg_host_parse(const char *text, cg_host_info *h)
{
	char line[8192];
	bool controllers = false;

	/* only the header: the table's untouched pages stay unallocated in
	 * a supervisor (entries are written whole as they are added) */
	h->mode = CG_NONE;
	h->n_v1 = 0;
	h->unified[0] = h->unified_root[0] = '\0';
	for (const char *s = text; *s;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		if (len < sizeof(line)) {
			memcpy(line, s, len);
			line[len] = '\0';
			cg_host_add_line(h, line);
		}
		s += len;
		if (*s)
			s++;
	}
	for (size_t i = 0; i < h->n_v1; i++)
		if (strncmp(h->v1[i].options, "name=", 5) != 0 ||
		    strchr(h->v1[i].options, ','))
			controllers = true;
	if (controllers)
		h->mode = h->unified[0] ? CG_HYBRID : CG_V1;
	else if (h->unified[0])
		h->mode = CG_V2;
	else
		h->mode = CG_NONE;
	if (h->mode == CG_V2 || h->mode == CG_NONE)
		h->n_v1 = 0; /* a lone name=systemd next to cgroup2 is not ours to use */
}

static cg_host_info cg_host;
static pthread_once_t cg_host_once = PTHREAD_ONCE_INIT;

static void cg_host_scan(void)
{
	buf b = BUF_INIT;

	if (fs_read_file(AT_FDCWD, "/proc/self/mountinfo", CG_MOUNTINFO_MAX, &b, NULL) < 0) {
		memset(&cg_host, 0, sizeof(cg_host));
		log_warn("cgroup: cannot read /proc/self/mountinfo: %s", strerror(errno));
	} else {
		cg_host_parse(b.data, &cg_host);
	}
	buf_free(&b);
}

static const cg_host_info *cg_host_get(void)
{
	pthread_once(&cg_host_once, cg_host_scan);
	return &cg_host;
}

CPOD_INTERNAL enum cg_mode cg_detect(void)
{
	return cg_host_get()->mode;
}

CPOD_INTERNAL int cg_v1_hierarchies(const cg_v1_hierarchy **list, size_t *n)
{
	const cg_host_info *h = cg_host_get();
	*list = h->v1;
	*n = h->n_v1;
	return 0;
}

CPOD_INTERNAL const char *cg_unified_mountpoint(void)
{
	return cg_host_get()->unified;
}

/* ---------------------------------------------------------------- resolving cgroupsPath */

/* The caller's cgroup in /proc/self/cgroup text, for the v1 hierarchy with
 * controllers ctrl, or the v2 one ("0::/path") when ctrl is NULL. */
static bool cg_own_find(const char *text, const char *ctrl, char *out, size_t size)
{
	for (const char *s = text; s && *s;) {
		const char *nl = strchr(s, '\n');
		const char *end = nl ? nl : s + strlen(s);
		const char *c1 = memchr(s, ':', (size_t)(end - s));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
		if (c2) {
			size_t ll = (size_t)(c2 - c1 - 1);
			bool match = ctrl ? ll && cg_same_set(c1 + 1, ll, ctrl)
					  : ll == 0 && c1 - s == 1 && s[0] == '0';
			size_t pl = (size_t)(end - c2 - 1);
			if (match && pl < size) {
				memcpy(out, c2 + 1, pl);
				out[pl] = '\0';
				return true;
			}
		}
		s = nl ? nl + 1 : NULL;
	}
	return false;
}

/* One hierarchy's directory for the cleaned inner path ("/a/b").  Absolute
 * paths start at the hierarchy's root (seen through the mount's root),
 * relative ones at the caller's own cgroup; on pure v2 at its parent, as
 * runc does, because the caller's own cgroup usually has processes and then
 * cannot enable controllers for a child. */
static int cg_place(const char *mnt, const char *root, const char *own_text, const char *ctrl,
		    bool absolute, bool parent_of_own, const char *inner, char *out,
		    cpod_err *err)
{
	char base[PATH_MAX] = "", tmp[PATH_MAX];

	if (absolute) {
		if (cg_strip_root(inner, root, tmp, sizeof(tmp)))
			inner = tmp[0] ? tmp : "";
		else
			log_debug("cgroup: %s is outside the root %s of the mount at %s; "
				  "placing it under the mount", inner, root, mnt);
		if (!inner[0])
			return err_set(err, CPOD_E_INVALID,
				       "cgroupsPath is the root of the hierarchy at %s", mnt);
	} else {
		char own[PATH_MAX] = "/", clean[PATH_MAX];
		if (own_text && !cg_own_find(own_text, ctrl, own, sizeof(own)))
			log_debug("cgroup: no entry for %s in /proc/self/cgroup; using /",
				  ctrl ? ctrl : "cgroup2");
		if (cg_clean_path(own, clean, sizeof(clean), err) < 0)
			return err_prefix(err, "own cgroup");
		if (!cg_strip_root(clean, root, base, sizeof(base))) {
			log_debug("cgroup: own cgroup %s is outside the root %s of the mount at %s",
				  clean, root, mnt);
			base[0] = '\0';
		}
		if (parent_of_own) {
			char *slash = strrchr(base, '/');
			if (slash)
				*slash = '\0';
		}
	}
	int r = snprintf(out, CG_DIR_MAX, "%s%s%s", strcmp(mnt, "/") ? mnt : "", base, inner);
	if (r < 0 || r >= CG_DIR_MAX)
		return err_set(err, CPOD_E_LIMIT, "cgroup path too long under %s", mnt);
	if (!cg_dir_valid(out) || !cg_under(out, mnt))
		return err_set(err, CPOD_E_INVALID, "cgroup path %s is not below %s", out, mnt);
	return 0;
}

/* cg_resolve against a given host view and /proc/self/cgroup text. */
CPOD_INTERNAL int cg_resolve_in(const cg_host_info *h, const char *own_text,
				const char *cgroups_path, const char *id, cg_paths *out,
				cpod_err *err)
{
	const char *path = cgroups_path && *cgroups_path ? cgroups_path : id;
	char inner[PATH_MAX];

	memset(out, 0, sizeof(*out));
	out->mode = h->mode;
	if (h->mode == CG_NONE)
		return 0;
	if (!path || !*path)
		return err_set(err, CPOD_E_INVALID, "cgroup: no cgroupsPath and no container id");
	if (cg_clean_path(path, inner, sizeof(inner), err) < 0)
		return err_prefix(err, "cgroupsPath");
	if (!inner[0])
		return err_set(err, CPOD_E_INVALID, "cgroupsPath \"%s\" names no cgroup of its own",
			       path);
	bool absolute = path[0] == '/';

	for (size_t i = 0; i < h->n_v1; i++) {
		if (strlen(h->v1[i].options) >= sizeof(out->v1[0].controller))
			return err_set(err, CPOD_E_LIMIT, "cgroup: controller list \"%s\" too long",
				       h->v1[i].options);
		if (cg_place(h->v1[i].mountpoint, h->v1[i].root, own_text, h->v1[i].options,
			     absolute, false, inner, out->v1[out->n_v1].dir, err) < 0)
			return err_prefix(err, "cgroup %s", h->v1[i].options);
		snprintf(out->v1[out->n_v1].controller, sizeof(out->v1[0].controller), "%s",
			 h->v1[i].options);
		out->n_v1++;
	}
	if (h->unified[0] &&
	    cg_place(h->unified, h->unified_root, own_text, NULL, absolute, h->mode == CG_V2,
		     inner, out->unified, err) < 0)
		return err_prefix(err, "cgroup2");
	return 0;
}

CPOD_INTERNAL int cg_resolve(const char *cgroups_path, const char *id, cg_paths *out,
			     cpod_err *err)
{
	const cg_host_info *h = cg_host_get();
	buf own = BUF_INIT;
	int r;

	if (h->mode != CG_NONE && !(cgroups_path && cgroups_path[0] == '/') &&
	    fs_read_file(AT_FDCWD, "/proc/self/cgroup", 1 << 16, &own, err) < 0) {
		buf_free(&own);
		return err_prefix(err, "cgroup");
	}
	r = cg_resolve_in(h, own.data, cgroups_path, id, out, err);
	buf_free(&own);
	return r;
}

/* ---------------------------------------------------------------- control files */

/* Opens a cgroup directory: no symlink anywhere on the way, and it must be
 * on a cgroup file system. */
CPOD_INTERNAL int cg_dir_open(const char *dir, cpod_err *err)
{
	int fd = -1;

	if (fs_have_openat2()) {
		struct open_how how = {
			.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
			.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
		};
		fd = (int)syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof(how));
		if (fd < 0 && errno != ENOSYS && errno != E2BIG && errno != EPERM)
			return err_sys(err, "open %s", dir);
	}
	if (fd < 0)
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", dir);
	struct statfs sfs;
	if (fstatfs(fd, &sfs) < 0 || (sfs.f_type != (typeof(sfs.f_type))CGROUP_SUPER_MAGIC &&
				      sfs.f_type != (typeof(sfs.f_type))CGROUP2_SUPER_MAGIC)) {
		close(fd);
		err_set(err, CPOD_E_INVALID, "%s is not on a cgroup file system", dir);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

CPOD_INTERNAL bool cg_has(int dfd, const char *file)
{
	return faccessat(dfd, file, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

CPOD_INTERNAL int cg_read(int dfd, const char *file, buf *b, size_t max, cpod_err *err)
{
	_cleanup_close_ int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_sys(err, "open %s", file);
	if (buf_read_fd(b, fd, max, err) < 0)
		return err_prefix(err, "read %s", file);
	return 0;
}

/* A short file into out, trailing white space removed; -1 with errno. */
CPOD_INTERNAL int cg_read_str(int dfd, const char *file, char *out, size_t size)
{
	_cleanup_close_ int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t len = 0;

	out[0] = '\0';
	if (fd < 0)
		return -1;
	while (len + 1 < size) {
		ssize_t n = read(fd, out + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	while (len && (out[len - 1] == '\n' || out[len - 1] == ' ' || out[len - 1] == '\t'))
		len--;
	out[len] = '\0';
	return 0;
}

CPOD_INTERNAL int cg_read_u64(int dfd, const char *file, uint64_t *out)
{
	char v[64];

	if (cg_read_str(dfd, file, v, sizeof(v)) < 0)
		return -1;
	if (!cg_parse_u64(v, out)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Writes value in one write(2), as the kernel wants; the error names the
 * file and the value. */
CPOD_INTERNAL int cg_write(int dfd, const char *file, const char *value, cpod_err *err)
{
	_cleanup_close_ int fd = openat(dfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t len = strlen(value);

	if (fd < 0) {
		if (errno == ENOENT) {
			err_set(err, CPOD_E_UNSUPPORTED,
				"write %s=%.128s: %s does not exist (controller not available here)",
				file, value, file);
			if (err)
				err->errno_ = ENOENT;
			errno = ENOENT;
			return -1;
		}
		return err_sys(err, "write %s=%.128s", file, value);
	}
	ssize_t n = RETRY_EINTR(write(fd, value, len));
	if (n < 0)
		return err_sys(err, "write %s=%.128s", file, value);
	if ((size_t)n != len)
		return err_sysn(err, EIO, "write %s=%.128s: short write", file, value);
	return 0;
}

CPOD_INTERNAL int cg_writef(int dfd, const char *file, cpod_err *err, const char *fmt, ...)
	PRINTF_LIKE(4, 5);
CPOD_INTERNAL int cg_writef(int dfd, const char *file, cpod_err *err, const char *fmt, ...)
{
	char v[512];
	va_list ap;

	va_start(ap, fmt);
	int r = vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(v))
		return err_set(err, CPOD_E_LIMIT, "write %s: value too long", file);
	return cg_write(dfd, file, v, err);
}

/* The v1 entry whose hierarchy carries controller ctrl, or -1. */
CPOD_INTERNAL int cg_v1_index(const cg_paths *p, const char *ctrl)
{
	for (size_t i = 0; i < p->n_v1 && i < CG_MAX_V1; i++)
		if (cg_list_has(p->v1[i].controller, strlen(p->v1[i].controller), ctrl, ','))
			return (int)i;
	return -1;
}

/* Opens the directory of a controller that a requested setting needs. */
CPOD_INTERNAL int cg_v1_need(const cg_paths *p, const char *ctrl, cpod_err *err)
{
	int i = cg_v1_index(p, ctrl);
	if (i < 0) {
		err_set(err, CPOD_E_UNSUPPORTED,
			"the %s controller is not available on this host", ctrl);
		return -1;
	}
	return cg_dir_open(p->v1[i].dir, err);
}

/* Writes u64 values as JSON members. */
CPOD_INTERNAL void cg_jw_u64(json_w *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	jw_uint(w, v);
}

/* ---------------------------------------------------------------- entering */

/* Whether res asks for any limit (device rules aside: a rootless container
 * without a cgroup cannot reach host devices beyond its user's anyway). */
CPOD_INTERNAL bool cg_res_wants(const oci_resources *r)
{
	if (!r)
		return false;
	if ((r->memory.limit.set && r->memory.limit.v > 0) ||
	    (r->memory.reservation.set && r->memory.reservation.v > 0) ||
	    (r->memory.swap.set && r->memory.swap.v > 0) || r->memory.swappiness.set ||
	    r->memory.disable_oom_killer)
		return true;
	if ((r->cpu.shares.set && r->cpu.shares.v) || (r->cpu.quota.set && r->cpu.quota.v > 0) ||
	    (r->cpu.period.set && r->cpu.period.v) ||
	    (r->cpu.realtime_period.set && r->cpu.realtime_period.v) ||
	    (r->cpu.realtime_runtime.set && r->cpu.realtime_runtime.v) || r->cpu.idle.set ||
	    (r->cpu.burst.set && r->cpu.burst.v) || (r->cpu.cpus && *r->cpu.cpus) ||
	    (r->cpu.mems && *r->cpu.mems))
		return true;
	if (r->pids.limit.set && r->pids.limit.v > 0)
		return true;
	if ((r->blkio.weight.set && r->blkio.weight.v) ||
	    (r->blkio.leaf_weight.set && r->blkio.leaf_weight.v) || r->blkio.n_weight_device)
		return true;
	for (int i = 0; i < 4; i++)
		if (r->blkio.n_throttle[i])
			return true;
	return r->n_hugepages || r->net_class_id.set || r->n_net_priorities || r->n_unified;
}

/* The mount point of the hierarchy holding dir. */
static const char *cg_mount_of(const cg_host_info *h, const char *dir, bool v2)
{
	if (v2)
		return h->unified[0] && cg_under(dir, h->unified) ? h->unified : NULL;
	for (size_t i = 0; i < h->n_v1; i++)
		if (cg_under(dir, h->v1[i].mountpoint))
			return h->v1[i].mountpoint;
	return NULL;
}

/* v1 cpuset: a new cgroup starts with empty cpus and mems, and no process
 * can join it until they are set; copy the parent's (as runc does). */
static int cg_cpuset_fill(int parent, int child, cpod_err *err)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		buf mine = BUF_INIT, theirs = BUF_INIT;
		int r = cg_read(child, files[i], &mine, 1u << 16, err);
		bool empty = r == 0 && strspn(mine.data, " \n") == mine.len;
		if (r == 0 && empty)
			r = cg_read(parent, files[i], &theirs, 1u << 16, err);
		if (r == 0 && empty) {
			while (theirs.len && theirs.data[theirs.len - 1] == '\n')
				theirs.data[--theirs.len] = '\0';
			if (theirs.len)
				r = cg_write(child, files[i], theirs.data, err);
		}
		buf_free(&mine);
		buf_free(&theirs);
		if (r < 0)
			return -1;
	}
	return 0;
}

enum { CG_MK_CPUSET = 1, CG_MK_V2 = 2 };

/* mkdir -p of dir below the mount point mnt, one component at a time and
 * never through a symlink.  *created tells whether the last one is new. */
static int cg_mkdirs(const char *mnt, const char *dir, int flags, bool *created, cpod_err *err)
{
	int fd = cg_dir_open(mnt, err);
	const char *rest = dir + (strcmp(mnt, "/") ? strlen(mnt) : 0);

	*created = false;
	if (fd < 0)
		return -1;
	while (*rest) {
		char comp[NAME_MAX + 1];
		while (*rest == '/')
			rest++;
		size_t n = strcspn(rest, "/");
		if (!n)
			break;
		if (n > NAME_MAX) {
			close(fd);
			return err_set(err, CPOD_E_INVALID, "cgroup path component too long: %s", dir);
		}
		memcpy(comp, rest, n);
		comp[n] = '\0';
		rest += n;
		if (flags & CG_MK_V2)
			cg_v2_enable_controllers(fd, dir);
		bool made = mkdirat(fd, comp, 0755) == 0;
		if (!made && errno != EEXIST) {
			int e = errno;
			close(fd);
			return err_sysn(err, e, "mkdir %.*s", (int)(rest - dir), dir);
		}
		int child = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (child < 0) {
			int e = errno;
			close(fd);
			return err_sysn(err, e, "open %.*s", (int)(rest - dir), dir);
		}
		if ((flags & CG_MK_CPUSET) && cg_cpuset_fill(fd, child, err) < 0) {
			close(child);
			close(fd);
			return err_prefix(err, "cgroup cpuset %.*s", (int)(rest - dir), dir);
		}
		close(fd);
		fd = child;
		*created = made;
	}
	return fd;
}

static int cg_add_pid(const char *dir, pid_t pid, cpod_err *err)
{
	_cleanup_close_ int fd = cg_dir_open(dir, err);
	char v[24];

	if (fd < 0)
		return -1;
	snprintf(v, sizeof(v), "%d", (int)pid);
	if (cg_write(fd, "cgroup.procs", v, err) < 0)
		return err_prefix(err, "%s", dir);
	return 0;
}

static bool cg_perm_errno(int e)
{
	return e == EACCES || e == EPERM || e == EROFS;
}

/* Removes the leaf directories cg_enter made, when it fails half-way. */
static void cg_undo(const cg_paths *p, const bool *created)
{
	for (size_t i = 0; i < p->n_v1; i++)
		if (created[i] && rmdir(p->v1[i].dir) < 0)
			log_debug("cgroup: rmdir %s: %s", p->v1[i].dir, strerror(errno));
	if (created[CG_MAX_V1] && rmdir(p->unified) < 0)
		log_debug("cgroup: rmdir %s: %s", p->unified, strerror(errno));
}

CPOD_INTERNAL void cg_trim(cg_paths *p, const oci_resources *res)
{
	size_t k = 0;
	for (size_t i = 0; i < p->n_v1 && i < CG_MAX_V1; i++) {
		const char *c = p->v1[i].controller;
		size_t n = strlen(c);
		bool need = true;
		if (cg_list_has(c, n, "cpuset", ','))
			need = res && (res->cpu.cpus || res->cpu.mems);
		else if (cg_list_has(c, n, "hugetlb", ','))
			need = res && res->n_hugepages;
		else if (cg_list_has(c, n, "net_cls", ',') || cg_list_has(c, n, "net_prio", ','))
			need = res && (res->net_class_id.set || res->n_net_priorities);
		else if (cg_list_has(c, n, "perf_event", ',') || cg_list_has(c, n, "rdma", ',') ||
			 cg_list_has(c, n, "misc", ','))
			need = false;
		if (need) {
			if (k != i)
				p->v1[k] = p->v1[i];
			k++;
		}
	}
	p->n_v1 = k;
}

CPOD_INTERNAL int cg_enter(const cg_paths *p, pid_t pid, const oci_resources *res,
			   bool rootless, cpod_err *err)
{
	const cg_host_info *h = cg_host_get();
	bool wants = cg_res_wants(res);
	bool created[CG_MAX_V1 + 1] = { false };
	int e;

	if (p->mode == CG_NONE || (!p->unified[0] && !p->n_v1)) {
		if (wants)
			return err_set(err, CPOD_E_UNSUPPORTED,
				       "cgroup: this host has no cgroup hierarchy for resource limits");
		log_debug("cgroup: no cgroup hierarchy; the container gets none");
		return 0;
	}
	if (p->n_v1 > CG_MAX_V1)
		return err_set(err, CPOD_E_INVALID, "cgroup: bad paths");
	if (res && res->n_unified && !p->unified[0])
		return err_set(err, CPOD_E_UNSUPPORTED,
			       "cgroup: linux.resources.unified needs cgroup v2, and this host "
			       "has only v1");

	for (size_t i = 0; i <= p->n_v1; i++) {
		bool v2 = i == p->n_v1;
		const char *dir = v2 ? p->unified : p->v1[i].dir;
		int flags = 0;
		if (!dir[0])
			continue;
		const char *mnt = cg_mount_of(h, dir, v2);
		if (!mnt || !cg_dir_valid(dir)) {
			err_set(err, CPOD_E_INVALID, "cgroup: %s is not below a mounted %s hierarchy",
				dir, v2 ? "cgroup2" : p->v1[i].controller);
			goto fail;
		}
		if (!v2 && cg_list_has(p->v1[i].controller, strlen(p->v1[i].controller),
				       "cpuset", ','))
			flags |= CG_MK_CPUSET;
		if (v2 && p->mode == CG_V2)
			flags |= CG_MK_V2;
		int fd = cg_mkdirs(mnt, dir, flags, &created[v2 ? CG_MAX_V1 : i], err);
		if (fd < 0) {
			err_prefix(err, "cgroup");
			goto fail;
		}
		close(fd);
	}

	if (res) {
		int r;
		if (p->mode == CG_V2) {
			int fd = cg_dir_open(p->unified, err);
			r = fd < 0 ? -1 : cg_v2_apply(fd, res, false, rootless, err);
			if (fd >= 0)
				close(fd);
		} else {
			r = cg_v1_apply(p, res, false, rootless, err);
		}
		if (r < 0)
			goto fail;
	}

	for (size_t i = 0; i < p->n_v1; i++)
		if (cg_add_pid(p->v1[i].dir, pid, err) < 0)
			goto fail_join;
	if (p->unified[0] && cg_add_pid(p->unified, pid, err) < 0)
		goto fail_join;
	return 1;

fail_join:
	err_prefix(err, "cgroup: add pid %d", (int)pid);
fail:
	e = err ? err->errno_ : errno;
	if (rootless && !wants && cg_perm_errno(e)) {
		log_debug("cgroup: rootless and no permission (%s); the container gets no cgroup",
			  err ? err->msg : strerror(e));
		cg_undo(p, created);
		if (err)
			cpod_err_clear(err);
		return 0;
	}
	/* after a partial join the rmdirs fail (busy), which is harmless */
	cg_undo(p, created);
	return -1;
}

CPOD_INTERNAL int cg_join(const cg_paths *p, pid_t pid, cpod_err *err)
{
	for (size_t i = 0; i < p->n_v1 && i < CG_MAX_V1; i++)
		if (cg_add_pid(p->v1[i].dir, pid, err) < 0)
			return err_prefix(err, "cgroup: add pid %d", (int)pid);
	if (p->unified[0] && cg_add_pid(p->unified, pid, err) < 0)
		return err_prefix(err, "cgroup: add pid %d", (int)pid);
	return 0;
}

CPOD_INTERNAL int cg_update(const cg_paths *p, const oci_resources *res, cpod_err *err)
{
	if (!res)
		return 0;
	if (p->mode == CG_NONE || (!p->unified[0] && !p->n_v1)) {
		if (cg_res_wants(res))
			return err_set(err, CPOD_E_UNSUPPORTED,
				       "cgroup: the container has no cgroup to apply limits to");
		return 0;
	}
	if (res->n_unified && !p->unified[0])
		return err_set(err, CPOD_E_UNSUPPORTED,
			       "cgroup: linux.resources.unified needs cgroup v2, and this host "
			       "has only v1");
	if (p->mode == CG_V2) {
		_cleanup_close_ int fd = cg_dir_open(p->unified, err);
		if (fd < 0)
			return err_prefix(err, "cgroup");
		return cg_v2_apply(fd, res, true, false, err);
	}
	return cg_v1_apply(p, res, true, false, err);
}

/* ---------------------------------------------------------------- listing */

typedef struct cg_pidv {
	pid_t *v;
	size_t n, cap;
} cg_pidv;

static int cg_pidv_add(cg_pidv *pv, pid_t pid, cpod_err *err)
{
	if (pv->n == pv->cap) {
		size_t cap = pv->cap ? pv->cap * 2 : 64;
		pid_t *v = realloc(pv->v, cap * sizeof(*v));
		if (!v)
			return err_nomem(err);
		pv->v = v;
		pv->cap = cap;
	}
	pv->v[pv->n++] = pid;
	return 0;
}

/* Adds the pids of dfd/cgroup.procs and of every sub-cgroup below it. */
static int cg_collect(int dfd, int depth, cg_pidv *pv, cpod_err *err)
{
	buf b = BUF_INIT;

	if (cg_read(dfd, "cgroup.procs", &b, CG_PROCS_MAX, err) < 0) {
		buf_free(&b);
		/* a threaded sub-cgroup refuses; a vanished one is empty */
		if (depth > 0 && (errno == EOPNOTSUPP || errno == ENOENT || errno == ENODEV))
			return 0;
		return -1;
	}
	for (char *s = b.data; s && *s;) {
		char *end;
		long v = strtol(s, &end, 10);
		if (end != s && v > 0 && v <= INT_MAX && cg_pidv_add(pv, (pid_t)v, err) < 0) {
			buf_free(&b);
			return -1;
		}
		s = strchr(end, '\n');
		if (s)
			s++;
	}
	buf_free(&b);
	if (depth >= CG_MAX_DEPTH)
		return 0;

	int dup_fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return err_sys(err, "list sub-cgroups");
	}
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		r = cg_collect(sub, depth + 1, pv, err);
		close(sub);
	}
	closedir(d);
	return r;
}

static int cg_pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

CPOD_INTERNAL int cg_pids(const cg_paths *p, pid_t **pids, size_t *n, cpod_err *err)
{
	const char *dirs[4];
	size_t nd = 0;
	cg_pidv pv = { NULL, 0, 0 };
	static const char *const v1_order[] = { "memory", "pids", "freezer" };

	*pids = NULL;
	*n = 0;
	if (p->unified[0])
		dirs[nd++] = p->unified;
	for (size_t i = 0; i < ARRAY_LEN(v1_order); i++) {
		int k = cg_v1_index(p, v1_order[i]);
		if (k >= 0)
			dirs[nd++] = p->v1[k].dir;
	}
	for (size_t i = 0; i < nd; i++) {
		cpod_err local;
		int fd = cg_dir_open(dirs[i], &local);
		if (fd < 0) {
			if (errno == ENOENT)
				continue; /* gone with the container */
			if (err)
				*err = local;
			free(pv.v);
			return err_prefix(err, "cgroup");
		}
		int r = cg_collect(fd, 0, &pv, err);
		close(fd);
		if (r < 0) {
			free(pv.v);
			return err_prefix(err, "cgroup %s", dirs[i]);
		}
	}
	if (pv.n) {
		size_t k = 0;
		qsort(pv.v, pv.n, sizeof(pid_t), cg_pid_cmp);
		for (size_t i = 0; i < pv.n; i++)
			if (k == 0 || pv.v[k - 1] != pv.v[i])
				pv.v[k++] = pv.v[i];
		pv.n = k;
	}
	*pids = pv.v;
	*n = pv.n;
	return 0;
}

/* ---------------------------------------------------------------- freezer */

/* The freezer to use: v1's freezer.state, else cgroup.freeze of cgroup2
 * (also present on a hybrid host's unified hierarchy). */
static int cg_freezer_open(const cg_paths *p, bool *v1, cpod_err *err)
{
	int i = cg_v1_index(p, "freezer");

	*v1 = i >= 0;
	if (i >= 0)
		return cg_dir_open(p->v1[i].dir, err);
	if (p->unified[0]) {
		int fd = cg_dir_open(p->unified, err);
		if (fd >= 0 && !cg_has(fd, "cgroup.freeze")) {
			close(fd);
			return err_set(err, CPOD_E_UNSUPPORTED,
				       "the kernel has no cgroup2 freezer (cgroup.freeze)");
		}
		return fd;
	}
	return err_set(err, CPOD_E_UNSUPPORTED, "no freezer cgroup on this host");
}

static void cg_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int cg_freeze_v1(int fd, bool frozen, cpod_err *err)
{
	const char *want = frozen ? "FROZEN" : "THAWED";
	int64_t deadline = proc_now_ms() + CG_FREEZE_MS;
	char st[32] = "";

	if (cg_write(fd, "freezer.state", want, err) < 0)
		return -1;
	for (unsigned i = 0;; i++) {
		if (cg_read_str(fd, "freezer.state", st, sizeof(st)) < 0)
			return err_sys(err, "read freezer.state");
		if (strcmp(st, want) == 0)
			return 0;
		if (proc_now_ms() > deadline)
			break;
		/* a task in the middle of fork or vfork can make a freeze stall
		 * in FREEZING; asking again retries the stragglers */
		if (i % 50 == 49 && cg_write(fd, "freezer.state", want, err) < 0)
			return -1;
		cg_sleep_ms(i < 10 ? 1 : 10);
	}
	if (frozen)
		cg_write(fd, "freezer.state", "THAWED", NULL);
	return err_set(err, CPOD_E_STATE, "freezer.state is still %s after %d ms (wanted %s)",
		       st, CG_FREEZE_MS, want);
}

static int cg_freeze_v2(int fd, bool frozen, cpod_err *err)
{
	int64_t deadline = proc_now_ms() + CG_FREEZE_MS;
	uint64_t state = 2;

	if (cg_write(fd, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
		return -1;
	for (unsigned i = 0;; i++) {
		buf b = BUF_INIT;
		int r = cg_read(fd, "cgroup.events", &b, CG_READ_MAX, err);
		bool ok = r == 0 && cg_kv_u64(b.data, "frozen", &state);
		buf_free(&b);
		if (r < 0)
			return -1;
		if (!ok)
			return 0; /* a kernel without the key: trust the write */
		if (state == (frozen ? 1u : 0u))
			return 0;
		if (proc_now_ms() > deadline)
			break;
		cg_sleep_ms(i < 10 ? 1 : 10);
	}
	if (frozen)
		cg_write(fd, "cgroup.freeze", "0", NULL);
	return err_set(err, CPOD_E_STATE, "cgroup.events says frozen %" PRIu64 " after %d ms",
		       state, CG_FREEZE_MS);
}

CPOD_INTERNAL int cg_freeze(const cg_paths *p, bool frozen, cpod_err *err)
{
	bool v1;
	_cleanup_close_ int fd = cg_freezer_open(p, &v1, err);
	int r;

	if (fd < 0)
		return err_prefix(err, "cgroup %s", frozen ? "freeze" : "thaw");
	r = v1 ? cg_freeze_v1(fd, frozen, err) : cg_freeze_v2(fd, frozen, err);
	return r < 0 ? err_prefix(err, "cgroup %s", frozen ? "freeze" : "thaw") : 0;
}

CPOD_INTERNAL int cg_is_frozen(const cg_paths *p)
{
	bool v1;
	_cleanup_close_ int fd = cg_freezer_open(p, &v1, NULL);
	char st[32];

	if (fd < 0)
		return -1;
	if (cg_read_str(fd, v1 ? "freezer.state" : "cgroup.freeze", st, sizeof(st)) < 0)
		return -1;
	return v1 ? strcmp(st, "FROZEN") == 0 : strcmp(st, "1") == 0;
}

/* ---------------------------------------------------------------- killing */

static int cg_signal_listed(const cg_paths *p, int sig, cpod_err *err)
{
	pid_t *pids;
	size_t n;

	if (cg_pids(p, &pids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			log_debug("cgroup: kill %d: %s", (int)pids[i], strerror(errno));
	free(pids);
	return 0;
}

CPOD_INTERNAL int cg_kill_all(const cg_paths *p, int sig, cpod_err *err)
{
	if (sig == SIGKILL && p->unified[0]) {
		int fd = cg_dir_open(p->unified, NULL);
		if (fd >= 0 && cg_has(fd, "cgroup.kill")) {
			int r = cg_write(fd, "cgroup.kill", "1", err);
			close(fd);
			if (r < 0)
				return err_prefix(err, "cgroup kill");
			/* on a hybrid host a process might sit in the v1
			 * directories only: sweep them too */
			return cg_signal_listed(p, sig, err) < 0 ? err_prefix(err, "cgroup kill") : 0;
		}
		if (fd >= 0)
			close(fd);
	}

	int was = cg_is_frozen(p);
	bool frozen = false;
	if (was >= 0) {
		cpod_err ferr;
		if (cg_freeze(p, true, &ferr) == 0)
			frozen = true;
		else
			log_debug("cgroup kill: cannot freeze first: %s", ferr.msg);
	}
	int r = cg_signal_listed(p, sig, err);
	/* frozen v1 tasks die only once thawed; otherwise leave it as it was */
	if (frozen && (was != 1 || sig == SIGKILL)) {
		cpod_err terr;
		if (cg_freeze(p, false, &terr) < 0)
			log_warn("cgroup kill: %s", terr.msg);
	}
	return r < 0 ? err_prefix(err, "cgroup kill") : 0;
}

/* ---------------------------------------------------------------- destroying */

/* rmdir of parent/name after its sub-cgroups, depth first, retrying EBUSY
 * until deadline: exiting processes linger in a cgroup for a moment. */
static int cg_rmdir_tree(int parent, const char *name, int depth, int64_t deadline,
			 cpod_err *err)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : err_sys(err, "open %s", name);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return err_sys(err, "open %s", name);
	}
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		if (depth >= CG_MAX_DEPTH) {
			r = err_set(err, CPOD_E_LIMIT, "sub-cgroups nested too deep");
			break;
		}
		struct stat st;
		if (de->d_type == DT_UNKNOWN &&
		    (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)))
			continue;
		r = cg_rmdir_tree(dirfd(d), de->d_name, depth + 1, deadline, err);
		if (r < 0)
			err_prefix(err, "%s", name);
	}
	closedir(d);
	if (r < 0)
		return -1;
	for (;;) {
		if (unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || proc_now_ms() >= deadline)
			return err_sys(err, "rmdir %s", name);
		cg_sleep_ms(10);
	}
}

static int cg_destroy_dir(const char *dir, int64_t deadline, cpod_err *err)
{
	char parent[PATH_MAX];
	const char *base;

	if (!dir[0])
		return 0;
	if (!cg_dir_valid(dir))
		return err_set(err, CPOD_E_INVALID, "cgroup: bad directory %s", dir);
	fs_split(dir, parent, sizeof(parent), &base);
	cpod_err local;
	int pfd = cg_dir_open(parent, &local);
	if (pfd < 0) {
		if (errno == ENOENT)
			return 0;
		if (err)
			*err = local;
		return err_prefix(err, "cgroup");
	}
	int r = cg_rmdir_tree(pfd, base, 0, deadline, err);
	close(pfd);
	return r < 0 ? err_prefix(err, "cgroup %s", parent) : 0;
}

CPOD_INTERNAL int cg_destroy(const cg_paths *p, cpod_err *err)
{
	int64_t deadline = proc_now_ms() + CG_DESTROY_MS;
	int r = 0;
	cpod_err first;

	cpod_err_clear(&first);
	/* try every directory even when one fails, report the first failure */
	for (size_t i = 0; i <= p->n_v1 && i <= CG_MAX_V1; i++) {
		const char *dir = i < p->n_v1 && i < CG_MAX_V1 ? p->v1[i].dir : p->unified;
		cpod_err e;
		if (cg_destroy_dir(dir, deadline, &e) < 0 && r == 0) {
			first = e;
			r = -1;
		}
		if (dir == p->unified)
			break;
	}
	if (r < 0 && err)
		*err = first;
	return r;
}

/* ---------------------------------------------------------------- stats, oom */

CPOD_INTERNAL int cg_stats(const cg_paths *p, json_w *w, cpod_err *err)
{
	if (p->mode == CG_V2 && p->unified[0]) {
		_cleanup_close_ int fd = cg_dir_open(p->unified, err);
		if (fd < 0)
			return err_prefix(err, "cgroup stats");
		return cg_v2_stats(fd, w, err) < 0 ? err_prefix(err, "cgroup stats") : 0;
	}
	return cg_v1_stats(p, w, err) < 0 ? err_prefix(err, "cgroup stats") : 0;
}

CPOD_INTERNAL long cg_oom_kills(const cg_paths *p)
{
	buf b = BUF_INIT;
	uint64_t v;
	long r = -1;
	int fd = -1;
	const char *file;
	int i = cg_v1_index(p, "memory");

	if (i >= 0) {
		fd = cg_dir_open(p->v1[i].dir, NULL);
		file = "memory.oom_control";
	} else if (p->unified[0]) {
		fd = cg_dir_open(p->unified, NULL);
		file = "memory.events";
	} else {
		return -1;
	}
	if (fd >= 0 && cg_read(fd, file, &b, CG_READ_MAX, NULL) == 0 &&
	    cg_kv_u64(b.data, "oom_kill", &v))
		r = v > LONG_MAX ? LONG_MAX : (long)v;
	if (fd >= 0)
		close(fd);
	buf_free(&b);
	return r;
}

/* ---------------------------------------------------------------- saved paths */

static const char *const cg_mode_names[] = { "none", "v1", "hybrid", "v2" };

CPOD_INTERNAL void cg_paths_write(json_w *w, const cg_paths *p)
{
	unsigned m = (unsigned)p->mode < ARRAY_LEN(cg_mode_names) ? (unsigned)p->mode : 0;

	jw_obj_begin(w);
	jw_kstr(w, "mode", cg_mode_names[m]);
	if (p->unified[0])
		jw_kstr(w, "unified", p->unified);
	jw_key(w, "v1");
	jw_obj_begin(w);
	for (size_t i = 0; i < p->n_v1 && i < CG_MAX_V1; i++)
		jw_kstr(w, p->v1[i].controller, p->v1[i].dir);
	jw_obj_end(w);
	jw_obj_end(w);
}

static bool cg_controller_name_ok(const char *s, size_t len)
{
	if (!len || len >= sizeof(((cg_paths *)0)->v1[0].controller))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == ',' || s[i] == '=' || s[i] == '-' || s[i] == '.'))
			return false;
	return true;
}

CPOD_INTERNAL int cg_paths_read(const json_value *v, cg_paths *p, cpod_err *err)
{
	const char *mode = NULL, *unified = NULL;
	const json_value *v1 = NULL;

	memset(p, 0, sizeof(*p));
	if (!json_is(v, JSON_OBJECT))
		return err_set(err, CPOD_E_INVALID, "cgroup paths: must be an object");
	if (json_opt_str(v, "mode", &mode, "cgroup paths", err) < 0 ||
	    json_opt_str(v, "unified", &unified, "cgroup paths", err) < 0 ||
	    json_opt_obj(v, "v1", &v1, "cgroup paths", err) < 0)
		return -1;
	if (!mode)
		return err_set(err, CPOD_E_INVALID, "cgroup paths: no mode");
	size_t m;
	for (m = 0; m < ARRAY_LEN(cg_mode_names); m++)
		if (strcmp(mode, cg_mode_names[m]) == 0)
			break;
	if (m == ARRAY_LEN(cg_mode_names))
		return err_set(err, CPOD_E_INVALID, "cgroup paths: unknown mode \"%.32s\"", mode);
	p->mode = (enum cg_mode)m;
	if (unified && unified[0]) {
		if (!cg_dir_valid(unified))
			return err_set(err, CPOD_E_INVALID, "cgroup paths: bad directory \"%.200s\"",
				       unified);
		snprintf(p->unified, sizeof(p->unified), "%s", unified);
	}
	size_t n = json_len(v1);
	if (n > CG_MAX_V1)
		return err_set(err, CPOD_E_LIMIT, "cgroup paths: too many v1 hierarchies");
	for (size_t i = 0; i < n; i++) {
		const json_member *mb = &v1->u.obj.members[i];
		const char *dir = json_string(mb->value);
		if (!cg_controller_name_ok(mb->key, mb->key_len) || strlen(mb->key) != mb->key_len)
			return err_set(err, CPOD_E_INVALID, "cgroup paths: bad controller \"%.40s\"",
				       mb->key);
		if (!dir || !cg_dir_valid(dir))
			return err_set(err, CPOD_E_INVALID, "cgroup paths: v1.%s: bad directory",
				       mb->key);
		for (size_t k = 0; k < p->n_v1; k++)
			if (strcmp(p->v1[k].controller, mb->key) == 0)
				return err_set(err, CPOD_E_INVALID,
					       "cgroup paths: v1.%s given twice", mb->key);
		snprintf(p->v1[p->n_v1].controller, sizeof(p->v1[0].controller), "%s", mb->key);
		snprintf(p->v1[p->n_v1].dir, sizeof(p->v1[0].dir), "%s", dir);
		p->n_v1++;
	}
	if ((p->mode == CG_NONE && (p->n_v1 || p->unified[0])) ||
	    (p->mode == CG_V1 && p->unified[0]) || (p->mode == CG_V2 && p->n_v1) ||
	    (p->mode == CG_V2 && !p->unified[0]) || (p->mode == CG_HYBRID && !p->unified[0]))
		return err_set(err, CPOD_E_INVALID, "cgroup paths: directories do not fit mode %s",
			       mode);
	return 0;
}
