/*
 * rootfs.c — overlay mounts of image layers, the copy fallback, and reading
 * files through the layer stack (see rootfs.h).
 *
 * In the layer directories a whiteout is a 0:0 character device, and an
 * opaque directory carries trusted.overlay.opaque=y (user.overlay.opaque=y
 * in a rootless store), as overlayfs wants them; the copy fallback and the
 * reader interpret them the same way.
 */
#include "rootfs.h"
#include "../base/fs.h"
#include "../base/proc.h"
#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>

CPOD_INTERNAL void rootfs_overlay_free(rootfs_overlay *ov)
{
	free(ov->options);
	ov->options = NULL;
}

/* Makes path relative to the store root when it is inside it (shorter). */
static const char *rootfs_rel(image_store *s, const char *path)
{
	size_t n = strlen(store_root(s));
	if (strncmp(path, store_root(s), n) == 0 && path[n] == '/')
		return path + n + 1;
	return path;
}

CPOD_INTERNAL int rootfs_overlay_prepare(image_store *s, const store_image *img, const char *upper,
					 const char *work, rootfs_overlay *ov, cpod_err *err)
{
	buf b = BUF_INIT;
	long page = sysconf(_SC_PAGESIZE);

	memset(ov, 0, sizeof(*ov));
	ov->store = s;
	buf_puts(&b, "lowerdir=", NULL);
	if (img->n_layers == 0) {
		/* overlay needs a lower directory: an empty one */
		if (mkdirat(store_root_fd(s), "empty", 0755) < 0 && errno != EEXIST) {
			buf_free(&b);
			return err_sys(err, "create %s/empty", store_root(s));
		}
		buf_puts(&b, "empty", NULL);
	}
	bool first = true;
	for (size_t i = img->n_layers; i-- > 0;) {
		char link[96];
		/* a layer listed twice (docker's empty layers often are) is one
		 * directory here, which overlayfs refuses to stack twice (ELOOP);
		 * its copy higher up gives the same tree, so the lower one goes */
		bool higher = false;
		for (size_t k = i + 1; k < img->n_layers && !higher; k++)
			higher = strcmp(img->layers[k].diff_id, img->layers[i].diff_id) == 0;
		if (higher)
			continue;
		if (store_layer_link(s, img->layers[i].diff_id, link, sizeof(link), err) < 0) {
			buf_free(&b);
			return -1;
		}
		buf_printf(&b, NULL, "%s%s", first ? "" : ":", link);
		first = false;
	}
	buf_printf(&b, NULL, ",upperdir=%s,workdir=%s", rootfs_rel(s, upper), rootfs_rel(s, work));
	if (store_rootless(s))
		buf_puts(&b, ",userxattr", NULL);
	if (b.failed) {
		buf_free(&b);
		return err_nomem(err);
	}
	if ((long)b.len >= page) {
		buf_free(&b);
		return err_set(err, CPOD_E_LIMIT,
			       "the image has too many layers (%zu) for one overlay mount", img->n_layers);
	}
	ov->options = b.data;
	return 0;
}

CPOD_INTERNAL int rootfs_overlay_mount(void *ctx, const char *target, cpod_err *err)
{
	rootfs_overlay *ov = ctx;
	/* the relative lowerdirs are resolved from the working directory;
	 * by path, not fchdir: an fd opened before a new mount namespace
	 * points into the old one, and overlayfs refuses layers from there */
	if (chdir(store_root(ov->store)) < 0)
		return err_sys(err, "chdir to the store %s", store_root(ov->store));
	if (mount("overlay", target, "overlay", 0, ov->options) < 0)
		return err_sys(err, "mount the overlay on %s", target);
	return 0;
}

/* ---------------------------------------------------------------- probing */

static int rootfs_probe_child(image_store *s)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return 1;
	if (chdir(store_root(s)) < 0)
		return 1;
	char opts[512];
	snprintf(opts, sizeof(opts), "lowerdir=tmp/probe-%d/l,upperdir=tmp/probe-%d/u,workdir=tmp/probe-%d/w%s",
		 (int)getppid(), (int)getppid(), (int)getppid(), store_rootless(s) ? ",userxattr" : "");
	char target[64];
	snprintf(target, sizeof(target), "tmp/probe-%d/m", (int)getppid());
	return mount("overlay", target, "overlay", 0, opts) == 0 ? 0 : 2;
}

CPOD_INTERNAL bool rootfs_overlay_usable(image_store *s, const char **why)
{
	static int state; /* 0 unknown, 1 yes, -1 no */
	static const char *reason;
	const char *e = getenv("CPOD_NO_OVERLAY");

	if (e && *e && strcmp(e, "0") != 0) {
		if (why)
			*why = "disabled by CPOD_NO_OVERLAY";
		return false;
	}
	if (state) {
		if (why)
			*why = reason;
		return state > 0;
	}
	/* the verdict is kept in the store, for this kernel: probing costs a
	 * fork, a mount namespace and a mount */
	struct utsname u;
	char cache[512];
	uname(&u);
	int rootfd = store_root_fd(s);
	_cleanup_buf_ buf cb = BUF_INIT;
	if (fs_read_file(rootfd, "overlay-probe", 4096, &cb, NULL) == 0 && cb.len) {
		char *nl = strchr(cb.data, '\n');
		if (nl && (size_t)(nl - cb.data) == strlen(u.release) &&
		    strncmp(cb.data, u.release, strlen(u.release)) == 0) {
			static char cached_reason[256];
			snprintf(cached_reason, sizeof(cached_reason), "%s", nl + 1);
			cached_reason[strcspn(cached_reason, "\n")] = '\0';
			state = strcmp(cached_reason, "ok") == 0 ? 1 : -1;
			reason = state > 0 ? NULL : cached_reason;
			if (why)
				*why = reason;
			return state > 0;
		}
	}
	char dir[64];
	snprintf(dir, sizeof(dir), "tmp/probe-%d", (int)getpid());
	mkdirat(rootfd, dir, 0700);
	static const char *const subs[] = { "l", "u", "w", "m" };
	for (size_t i = 0; i < ARRAY_LEN(subs); i++) {
		char p[96];
		snprintf(p, sizeof(p), "%s/%s", dir, subs[i]);
		mkdirat(rootfd, p, 0700);
	}
	pid_t pid = fork();
	int status = -1;
	if (pid == 0)
		_exit(rootfs_probe_child(s));
	if (pid > 0)
		proc_wait(pid, &status, 0);
	fs_rm_tree(rootfd, dir, NULL);
	if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		state = 1;
		reason = NULL;
	} else {
		state = -1;
		reason = pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 1
				 ? "no mount namespace for the probe"
				 : "the kernel refused an overlay mount on the store's file system";
	}
	if (pid > 0) {
		snprintf(cache, sizeof(cache), "%s\n%s\n", u.release, state > 0 ? "ok" : reason);
		fs_write_atomic(rootfd, "overlay-probe", cache, strlen(cache), 0600, 0, NULL);
	}
	if (why)
		*why = reason;
	return state > 0;
}

/* ---------------------------------------------------------------- the copy fallback */

CPOD_INTERNAL bool rootfs_is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

CPOD_INTERNAL bool rootfs_is_opaque(int fd)
{
	char v[4];
	ssize_t n = fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v));
	if (n < 0)
		n = fgetxattr(fd, "user.overlay.opaque", v, sizeof(v));
	return n == 1 && v[0] == 'y';
}

static int rootfs_copy_xattrs(int src, int dst)
{
	char names[4096];
	ssize_t n = flistxattr(src, names, sizeof(names));
	for (ssize_t off = 0; n > 0 && off < n; off += (ssize_t)strlen(names + off) + 1) {
		const char *name = names + off;
		if (strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0)
			continue;
		char val[65536];
		ssize_t vl = fgetxattr(src, name, val, sizeof(val));
		if (vl >= 0)
			fsetxattr(dst, name, val, (size_t)vl, 0);
	}
	return 0;
}

/* Copies the layer directory src onto dst: what the layer says wins. */
static int rootfs_apply_dir(int src, int dst, int depth, cpod_err *err);

CPOD_INTERNAL int rootfs_apply_layer_dir(int src, int dst, cpod_err *err)
{
	return rootfs_apply_dir(src, dst, 0, err);
}

static int rootfs_apply_dir(int src, int dst, int depth, cpod_err *err)
{
	if (depth > 512)
		return err_set(err, CPOD_E_LIMIT, "layer nested too deep");
	int dfd = dup(src);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return err_sys(err, "read a layer directory");
	}
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d))) {
		const char *n = de->d_name;
		struct stat st, old;
		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
			continue;
		if (fstatat(src, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = err_sys(err, "stat %s", n);
			break;
		}
		bool exists = fstatat(dst, n, &old, AT_SYMLINK_NOFOLLOW) == 0;
		if (rootfs_is_whiteout(&st)) {
			if (exists)
				r = fs_rm_tree(dst, n, err);
			continue;
		}
		if (exists && !(S_ISDIR(st.st_mode) && S_ISDIR(old.st_mode))) {
			if ((r = fs_rm_tree(dst, n, err)) < 0)
				break;
			exists = false;
		}
		if (S_ISDIR(st.st_mode)) {
			int s2 = openat(src, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (s2 < 0) {
				r = err_sys(err, "open %s", n);
				break;
			}
			if (exists && rootfs_is_opaque(s2))
				r = fs_rm_tree(dst, n, err), exists = false;
			if (r == 0 && !exists && mkdirat(dst, n, 0700) < 0)
				r = err_sys(err, "mkdir %s", n);
			int d2 = r == 0 ? openat(dst, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
			if (r == 0 && d2 < 0)
				r = err_sys(err, "open %s", n);
			if (r == 0)
				r = rootfs_apply_dir(s2, d2, depth + 1, err);
			if (r == 0) {
				fchown(d2, st.st_uid, st.st_gid);
				fchmod(d2, st.st_mode & 07777);
				rootfs_copy_xattrs(s2, d2);
				struct timespec ts[2] = { st.st_atim, st.st_mtim };
				futimens(d2, ts);
			}
			close(s2);
			if (d2 >= 0)
				close(d2);
		} else if (S_ISREG(st.st_mode)) {
			int in = openat(src, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			int out = openat(dst, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (in < 0 || out < 0) {
				r = err_sys(err, "copy %s", n);
			} else {
				off_t left = st.st_size;
				while (left > 0) {
					ssize_t c = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
					if (c <= 0) {
						/* no copy_file_range here: plain copy */
						char b[65536];
						ssize_t k;
						while ((k = read(in, b, sizeof(b))) > 0)
							if (write_all(out, b, (size_t)k) < 0)
								break;
						break;
					}
					left -= c;
				}
				fchown(out, st.st_uid, st.st_gid);
				fchmod(out, st.st_mode & 07777);
				rootfs_copy_xattrs(in, out);
				struct timespec ts[2] = { st.st_atim, st.st_mtim };
				futimens(out, ts);
			}
			if (in >= 0)
				close(in);
			if (out >= 0)
				close(out);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t l = readlinkat(src, n, target, sizeof(target) - 1);
			if (l < 0 || (target[l] = '\0', symlinkat(target, dst, n) < 0))
				r = err_sys(err, "copy symlink %s", n);
			else
				fchownat(dst, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
		} else {
			/* devices, fifos: as they are (needs the privilege to) */
			if (mknodat(dst, n, st.st_mode, st.st_rdev) < 0 && errno != EPERM)
				r = err_sys(err, "mknod %s", n);
			else
				fchownat(dst, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
		}
	}
	closedir(d);
	return r;
}

CPOD_INTERNAL int rootfs_copy(image_store *s, const store_image *img, int dirfd, cpod_err *err)
{
	for (size_t i = 0; i < img->n_layers; i++) {
		char path[PATH_MAX];
		if (store_layer_path(s, img->layers[i].diff_id, path, sizeof(path), err) < 0)
			return -1;
		_cleanup_close_ int lfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lfd < 0)
			return err_sys(err, "open layer %s", img->layers[i].diff_id);
		if (rootfs_apply_dir(lfd, dirfd, 0, err) < 0)
			return err_prefix(err, "copy layer %s", img->layers[i].diff_id);
	}
	return 0;
}

/* ---------------------------------------------------------------- reading */

/* Looks path up in one layer: 1 found (st, and *fd an O_PATH fd of it
 * when fd != NULL), 0 absent, -1 hidden from the layers below (a whiteout,
 * a file in place of a directory, an opaque directory on the way). */
static int rootfs_find_in(int layerfd, const char *path, struct stat *st, int *fd)
{
	char rel[PATH_MAX];
	snprintf(rel, sizeof(rel), "%s", path);
	int cur = dup(layerfd), r = 0;
	bool hide_below = false;
	char *save = NULL;
	for (char *c = strtok_r(rel, "/", &save); c && cur >= 0; c = strtok_r(NULL, "/", &save)) {
		bool last = save == NULL || *save == '\0';
		if (fstatat(cur, c, st, AT_SYMLINK_NOFOLLOW) < 0)
			break;
		if (rootfs_is_whiteout(st)) {
			r = -1;
			break;
		}
		if (last) {
			if (fd)
				*fd = openat(cur, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
			r = 1;
			break;
		}
		if (!S_ISDIR(st->st_mode)) {
			r = -1;  /* a file or symlink hides the directories below */
			break;
		}
		int next = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(cur);
		cur = next;
		if (cur >= 0 && rootfs_is_opaque(cur))
			hide_below = true;
	}
	if (cur >= 0)
		close(cur);
	return r == 0 && hide_below ? -1 : r;
}

CPOD_INTERNAL int rootfs_find(image_store *s, const store_image *img, const char *path,
			      struct stat *st, int *fd, cpod_err *err)
{
	while (*path == '/')
		path++;
	if (fd)
		*fd = -1;
	if (!*path || strlen(path) >= PATH_MAX)
		return err_set(err, CPOD_E_INVALID, "bad path");
	for (size_t i = img->n_layers; i-- > 0;) {
		char lpath[PATH_MAX];
		if (store_layer_path(s, img->layers[i].diff_id, lpath, sizeof(lpath), err) < 0)
			return -1;
		_cleanup_close_ int lfd = open(lpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lfd < 0)
			return err_sys(err, "open layer %s", img->layers[i].diff_id);
		int r = rootfs_find_in(lfd, path, st, fd);
		if (r != 0)
			return r > 0 ? 1 : 0;
	}
	return 0;
}

CPOD_INTERNAL int rootfs_read_file(image_store *s, const store_image *img, const char *path,
				   size_t max, buf *out, cpod_err *err)
{
	struct stat st;
	int pfd;
	int r = rootfs_find(s, img, path, &st, &pfd, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return err_set(err, CPOD_E_NOTFOUND, "the image has no %s", path);
	if (!S_ISREG(st.st_mode)) {
		if (pfd >= 0)
			close(pfd);
		return err_set(err, CPOD_E_NOTFOUND, "%s is not a regular file in the image", path);
	}
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	int fd = pfd >= 0 ? open(proc, O_RDONLY | O_CLOEXEC) : -1;
	if (pfd >= 0)
		close(pfd);
	if (fd < 0)
		return err_sys(err, "open %s", path);
	r = buf_read_fd(out, fd, max, err);
	close(fd);
	return r;
}
