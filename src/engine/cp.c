/*
 * cp.c — `cp`: copying between the host and a container, as podman does.
 *
 * One side is "CTR:PATH".  Inside the container every path is resolved in
 * its root (symlinks and ".." cannot leave it) and the copy itself opens
 * each entry relative to its parent with O_NOFOLLOW, so nothing a
 * container holds can redirect a write to the host, nor a read to a host
 * file.  The last component of a source is copied as it is (a symlink as a
 * symlink); a destination that is a directory (symlinks to one followed,
 * in the root) receives the source under its own name; "SRC/." copies a
 * directory's contents.  "-" is a tar: on stdin to unpack into a directory
 * of the container, or on stdout from a container's path.
 *
 * Into a container, files belong to the container's user (podman's
 * --archive, the default); out of one, owners are kept when we are root.
 * The work runs through ctr_with_root, so stopped containers work too.
 */
#include "container.h"
#include "ctr_root.h"
#include "../image/layer.h"
#include "../image/tar.h"
#include "../base/proc.h"
#include "../base/stream.h"
#include <dirent.h>

typedef struct cp_job {
	const char *ctr_path;      /* the path in the container */
	const char *host_path;     /* the host's, or "-" */
	bool into;                 /* host -> container */
} cp_job;

/* "CTR:PATH" -> container name and path; false for a host path. */
static bool cp_split(const char *arg, char *ctr, size_t n, const char **path)
{
	const char *colon = strchr(arg, ':');
	if (!colon || colon == arg || arg[0] == '/' || arg[0] == '.')
		return false;
	const char *slash = strchr(arg, '/');
	if (slash && slash < colon)
		return false;
	if ((size_t)(colon - arg) >= n)
		return false;
	snprintf(ctr, n, "%.*s", (int)(colon - arg), arg);
	*path = colon + 1;
	return true;
}

/* Whether path names a directory's contents ("dir/." or "dir/"). */
static bool cp_contents(const char *path)
{
	size_t n = strlen(path);
	return (n >= 2 && strcmp(path + n - 2, "/.") == 0) || strcmp(path, ".") == 0;
}

/* The parent directory of path and its last component; base "" for the
 * root itself. */
static void cp_parent(const char *path, char *dir, size_t n, char *base, size_t bn)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", *path ? path : "/");
	size_t len = strlen(tmp);
	while (len > 1 && tmp[len - 1] == '/')
		tmp[--len] = '\0';
	if (len >= 2 && strcmp(tmp + len - 2, "/.") == 0)
		tmp[len - 2] = '\0';
	const char *b;
	fs_split(*tmp ? tmp : "/", dir, n, &b);
	snprintf(base, bn, "%s", strcmp(b, ".") == 0 ? "" : b);
}

static int cp_chown_tree(int parent, const char *name, uid_t uid, gid_t gid, int depth,
			 cpod_err *err)
{
	struct stat st;
	if (depth > 512)
		return err_set(err, CPOD_E_LIMIT, "directory nesting too deep");
	if (fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW | (*name ? 0 : AT_EMPTY_PATH)) < 0)
		return err_sys(err, "chown %s", *name ? name : ".");
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW | (*name ? 0 : AT_EMPTY_PATH)) < 0 ||
	    !S_ISDIR(st.st_mode))
		return 0;
	int fd = openat(parent, *name ? name : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return err_sys(err, "open %s", name);
	}
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = cp_chown_tree(dirfd(d), de->d_name, uid, gid, depth + 1, err);
	closedir(d);
	return r;
}

/* Gives uid:gid to what a copy of directory src's contents made in dst. */
static int cp_chown_copied(int src, int dst, uid_t uid, gid_t gid, cpod_err *err)
{
	int fd = dup(src);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return err_sys(err, "read a directory");
	}
	struct dirent *de;
	int r = 0;
	rewinddir(d);
	while (r == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = cp_chown_tree(dst, de->d_name, uid, gid, 0, err);
	closedir(d);
	return r;
}

/* The host ids of the container's user (its config's process.user,
 * through its id mappings). */
static void cp_owner(cpod_engine *e, const ctr_record *r, uid_t *uid, gid_t *gid)
{
	const json_limits lim = { .max_size = 16u << 20, .max_depth = 64 };
	char path[160];
	int64_t u = 0, g = 0;
	snprintf(path, sizeof(path), "containers/%s/config.json", r->id);
	_cleanup_json_ json_doc *d = json_parse_file(e->rootfd, path, &lim, NULL);
	const json_value *spec = json_root(d), *user = json_get(json_get(spec, "process"), "user");
	json_int64(json_get(user, "uid"), &u);
	json_int64(json_get(user, "gid"), &g);
	const json_value *lnx = json_get(spec, "linux");
	const char *maps[2] = { "uidMappings", "gidMappings" };
	int64_t *ids[2] = { &u, &g };
	for (int k = 0; k < 2; k++) {
		const json_value *m = json_get(lnx, maps[k]);
		for (size_t i = 0; i < json_len(m); i++) {
			int64_t cid = 0, hid = 0, size = 0;
			json_int64(json_get(json_at(m, i), "containerID"), &cid);
			json_int64(json_get(json_at(m, i), "hostID"), &hid);
			json_int64(json_get(json_at(m, i), "size"), &size);
			if (*ids[k] >= cid && *ids[k] < cid + size) {
				*ids[k] = hid + (*ids[k] - cid);
				break;
			}
		}
	}
	*uid = (uid_t)u;
	*gid = (gid_t)g;
}

/* ---------------------------------------------------------------- out */

/* Writes dirfd/name, and what is below it, as tar entries named prefix+name. */
static int cp_tar_entry(tar_writer *t, int dirfd, const char *name, const char *arcname,
			cpod_err *err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "stat %s", arcname);
	if (tar_write_file(t, dirfd, name, arcname, err) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return 0;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", arcname);
	char prefix[PATH_MAX];
	if (snprintf(prefix, sizeof(prefix), "%s/", arcname) >= (int)sizeof(prefix)) {
		close(fd);
		return err_set(err, CPOD_E_LIMIT, "path too long: %s", arcname);
	}
	int r = export_tar_tree(t, fd, prefix, 0, err);
	close(fd);
	return r;
}

static int cp_out(int rootfd, const ctr_root_info *info, const cp_job *j, cpod_err *err)
{
	char dir[PATH_MAX], base[NAME_MAX + 1];
	bool contents = cp_contents(j->ctr_path);
	cp_parent(j->ctr_path, dir, sizeof(dir), base, sizeof(base));
	if (!*base)
		contents = true;
	_cleanup_close_ int pfd = fs_open_in_root(rootfd, dir, O_RDONLY | O_DIRECTORY, 0, err);
	if (pfd < 0)
		return err_prefix(err, "%s", j->ctr_path);
	struct stat st;
	if (*base && fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_set(err, CPOD_E_NOTFOUND, "%s: no such file or directory in %s",
			       j->ctr_path, info->rec->name);
	unsigned flags = FS_COPY_SPECIAL | FS_COPY_XATTR | (geteuid() == 0 ? FS_COPY_OWNER : 0);

	if (strcmp(j->host_path, "-") == 0) {
		tar_writer *t = tar_writer_new(1, err);
		if (!t)
			return -1;
		if (contents) {
			_cleanup_close_ int sfd = *base ? openat(pfd, base, O_RDONLY | O_DIRECTORY |
								O_NOFOLLOW | O_CLOEXEC)
							 : dup(pfd);
			if (sfd < 0 || export_tar_tree(t, sfd, "", 0, err) < 0)
				return sfd < 0 ? err_sys(err, "open %s", j->ctr_path) : -1;
		} else if (cp_tar_entry(t, pfd, base, base, err) < 0) {
			return -1;
		}
		return tar_writer_finish(t, err);
	}

	struct stat hst;
	bool host_dir = stat(j->host_path, &hst) == 0 && S_ISDIR(hst.st_mode);
	if (contents) {
		if (!host_dir && mkdir(j->host_path, 0755) < 0)
			return err_sys(err, "create %s", j->host_path);
		_cleanup_close_ int sfd = *base ? openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
							O_CLOEXEC) : dup(pfd);
		_cleanup_close_ int dfd = open(j->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sfd < 0 || dfd < 0)
			return err_sys(err, "open %s", sfd < 0 ? j->ctr_path : j->host_path);
		return fs_copy_tree(sfd, dfd, flags, err);
	}
	char hdir[PATH_MAX], hbase[NAME_MAX + 1];
	const char *target = base;
	if (host_dir) {
		snprintf(hdir, sizeof(hdir), "%s", j->host_path);
	} else {
		size_t n = strlen(j->host_path);
		if (n && j->host_path[n - 1] == '/')
			return err_set(err, CPOD_E_NOTFOUND, "%s: no such directory", j->host_path);
		cp_parent(j->host_path, hdir, sizeof(hdir), hbase, sizeof(hbase));
		target = hbase;
	}
	_cleanup_close_ int dfd = open(hdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_sys(err, "open %s", hdir);
	return fs_copy_entry(pfd, base, dfd, target, flags, err);
}

/* ---------------------------------------------------------------- in */

/* Unpacks the tar on stdin into dirfd. */
static int cp_in_tar(int dirfd, cpod_err *err)
{
	int in = 0;
	byte_source src = source_fd(&in);
	layer_opts lo = { .whiteouts = LAYER_WHITEOUT_APPLY, .rootless = geteuid() != 0 };
	layer_result res;
	return layer_unpack(dirfd, &src, &lo, &res, err);
}

static int cp_in(int rootfd, const ctr_root_info *info, const cp_job *j, uid_t uid, gid_t gid,
		 cpod_err *err)
{
	char dir[PATH_MAX], base[NAME_MAX + 1];
	const char *path = *j->ctr_path ? j->ctr_path : "/";
	size_t plen = strlen(path);
	bool from_tar = strcmp(j->host_path, "-") == 0;
	unsigned flags = FS_COPY_SPECIAL | FS_COPY_XATTR;

	/* an existing directory (symlinks followed, in the root) receives the source */
	cpod_err e2;
	int dfd = fs_open_in_root(rootfd, path, O_RDONLY | O_DIRECTORY, 0, &e2);
	if (from_tar) {
		if (dfd < 0)
			return err_set(err, CPOD_E_NOTFOUND, "%s in %s: not a directory to unpack into",
				       path, info->rec->name);
		int r = cp_in_tar(dfd, err);
		close(dfd);
		return r;
	}
	char hdir[PATH_MAX], hbase[NAME_MAX + 1];
	bool contents = cp_contents(j->host_path);
	cp_parent(j->host_path, hdir, sizeof(hdir), hbase, sizeof(hbase));
	if (!*hbase)
		contents = true;
	_cleanup_close_ int hfd = open(hdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (hfd < 0) {
		if (dfd >= 0)
			close(dfd);
		return err_sys(err, "open %s", hdir);
	}
	int r;
	if (dfd >= 0 && contents) {
		_cleanup_close_ int sfd = *hbase ? openat(hfd, hbase, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
						 : dup(hfd);
		r = sfd < 0 ? err_sys(err, "open %s", j->host_path) : fs_copy_tree(sfd, dfd, flags, err);
		if (r == 0)
			r = cp_chown_copied(sfd, dfd, uid, gid, err);
		close(dfd);
		return r;
	}
	if (dfd >= 0) {
		r = fs_copy_entry(hfd, hbase, dfd, hbase, flags, err);
		if (r == 0)
			r = cp_chown_tree(dfd, hbase, uid, gid, 0, err);
		close(dfd);
		return r;
	}
	if (plen && path[plen - 1] == '/')
		return err_set(err, CPOD_E_NOTFOUND, "%s in %s: no such directory", path, info->rec->name);
	cp_parent(path, dir, sizeof(dir), base, sizeof(base));
	_cleanup_close_ int pfd = fs_open_in_root(rootfd, dir, O_RDONLY | O_DIRECTORY, 0, err);
	if (pfd < 0)
		return err_prefix(err, "%s in %s", dir, info->rec->name);
	if (contents) {
		if (mkdirat(pfd, base, 0755) < 0)
			return err_sys(err, "create %s", path);
		_cleanup_close_ int sfd = *hbase ? openat(hfd, hbase, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
						 : dup(hfd);
		_cleanup_close_ int nfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0 || nfd < 0)
			return err_sys(err, "open %s", sfd < 0 ? j->host_path : path);
		if (fs_copy_tree(sfd, nfd, flags, err) < 0 ||
		    fchown(nfd, uid, gid) < 0)
			return err_sys(err, "chown %s", path);
		return cp_chown_copied(sfd, nfd, uid, gid, err);
	}
	if (fs_copy_entry(hfd, hbase, pfd, base, flags, err) < 0)
		return -1;
	return cp_chown_tree(pfd, base, uid, gid, 0, err);
}

typedef struct cp_ctx {
	cpod_engine *e;
	cp_job job;
} cp_ctx;

static int cp_root(int rootfd, const ctr_root_info *info, void *arg, cpod_err *err)
{
	cp_ctx *c = arg;
	if (!c->job.into)
		return cp_out(rootfd, info, &c->job, err);
	uid_t uid;
	gid_t gid;
	cp_owner(c->e, info->rec, &uid, &gid);
	return cp_in(rootfd, info, &c->job, uid, gid, err);
}

int cpod_container_cp(cpod_engine *e, const char *src, const char *dst, cpod_err *err)
{
	char sctr[256], dctr[256];
	const char *spath, *dpath;
	bool s_in = cp_split(src, sctr, sizeof(sctr), &spath);
	bool d_in = cp_split(dst, dctr, sizeof(dctr), &dpath);
	if (s_in == d_in)
		return err_set(err, CPOD_E_INVALID,
			       "cp: one of the paths must be CONTAINER:PATH and the other a host path or -");
	cp_ctx c = { .e = e };
	c.job.into = d_in;
	c.job.ctr_path = d_in ? dpath : spath;
	c.job.host_path = d_in ? src : dst;
	if (!*c.job.host_path)
		return err_set(err, CPOD_E_INVALID, "cp: an empty host path");
	if (ctr_with_root(e, d_in ? dctr : sctr, cp_root, &c, err) < 0)
		return err_prefix(err, "cp %s %s", src, dst);
	return 0;
}
