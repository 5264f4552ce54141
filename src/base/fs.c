/*
 * fs.c — bounded reads, atomic writes and in-root path resolution.
 *
 * The fallback resolver for kernels without openat2 walks one component at a
 * time with O_PATH|O_NOFOLLOW, reads symlinks itself and restarts absolute
 * ones at the root; ".." never climbs above the root because the walk keeps
 * its own stack of directory fds instead of asking the kernel for the parent.
 */
#include "fs.h"
#include <dirent.h>
#include <sys/xattr.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/vfs.h>

CPOD_INTERNAL int fs_read_file(int dirfd, const char *path, size_t max, buf *b, cpod_err *err)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_sys(err, "open %s", path);
	if (buf_read_fd(b, fd, max, err) < 0)
		return err_prefix(err, "read %s", path);
	return 0;
}

CPOD_INTERNAL int fs_write_atomic(int dirfd, const char *name, const void *data, size_t len,
				  mode_t mode, int flags, cpod_err *err)
{
	char tmp[PATH_MAX];
	const char *base = strrchr(name, '/');
	size_t dirlen = base ? (size_t)(base - name) + 1 : 0;
	int fd, r;

	base = base ? base + 1 : name;
	r = snprintf(tmp, sizeof(tmp), "%.*s.%s.tmp%d", (int)dirlen, name, base, (int)getpid());
	if (r < 0 || (size_t)r >= sizeof(tmp))
		return err_set(err, CPOD_E_INVALID, "path too long: %s", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return err_sys(err, "create %s", tmp);
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, (const char *)data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_sys(err, "write %s", tmp);
			goto fail;
		}
		off += (size_t)n;
	}
	if (fchmod(fd, mode) < 0) {
		err_sys(err, "chmod %s", tmp);
		goto fail;
	}
	if ((flags & FS_SYNC) && fsync(fd) < 0) {
		err_sys(err, "fsync %s", tmp);
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		err_sys(err, "close %s", tmp);
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		err_sys(err, "rename %s", name);
		goto fail;
	}
	if (flags & FS_SYNC) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%.*s", dirlen ? (int)dirlen : 1, dirlen ? name : ".");
		_cleanup_close_ int dfd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0)
			fsync(dfd);
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return -1;
}

/* ---------------------------------------------------------------- in-root resolution */

static int openat2_state; /* 0 unknown, 1 usable, -1 not */

CPOD_INTERNAL bool fs_have_openat2(void)
{
	if (openat2_state == 0) {
		const char *e = getenv("CPOD_NO_OPENAT2");
		openat2_state = e && *e && strcmp(e, "0") != 0 ? -1 : 1;
	}
	return openat2_state > 0;
}

#define FS_MAX_SYMLINKS 40
#define FS_MAX_DEPTH 256

/* The walk without openat2.  comps holds the components still to resolve,
 * as one buffer of NUL-separated names consumed from the front. */
static int fs_walk_in_root(int rootfd, const char *path, int flags, mode_t mode, cpod_err *err)
{
	int stack[FS_MAX_DEPTH];
	int sp = 0, links = 0, result = -1;
	size_t plen = strlen(path);
	/* pending path: the unresolved remainder; grows when symlinks expand */
	char *pending = malloc(PATH_MAX * 2), *p;

	if (!pending)
		return err_nomem(err);
	if (plen >= PATH_MAX * 2) {
		free(pending);
		return err_set(err, CPOD_E_LIMIT, "path too long: %s", path);
	}
	memcpy(pending, path, plen + 1);
	p = pending;
	stack[sp] = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	if (stack[sp] < 0) {
		free(pending);
		return err_sys(err, "dup");
	}
	sp++;

	for (;;) {
		char comp[NAME_MAX + 1];
		size_t n;

		while (*p == '/')
			p++;
		if (!*p) {
			/* path ended on a directory (or was empty): open it */
			result = openat(stack[sp - 1], ".", (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC, mode);
			if (result < 0)
				err_sys(err, "open %s", path);
			break;
		}
		n = strcspn(p, "/");
		if (n > NAME_MAX) {
			err_set(err, CPOD_E_LIMIT, "path component too long in %s", path);
			break;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		p += n;
		bool last = strspn(p, "/") == strlen(p);

		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			if (sp > 1)
				close(stack[--sp]);
			continue;
		}
		int fd;
		if (last) {
			fd = openat(stack[sp - 1], comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
			if (fd >= 0) {
				/* O_PATH|O_NOFOLLOW opens a symlink itself: unless the
				 * caller asked for that, follow it below */
				struct stat lst;
				if (!(flags & O_PATH) || (flags & O_NOFOLLOW) ||
				    fstat(fd, &lst) < 0 || !S_ISLNK(lst.st_mode)) {
					result = fd;
					break;
				}
				close(fd);
				errno = ELOOP;
			}
			/* ELOOP: a symlink as last component; EMLINK/ENOTDIR variants */
			if (errno != ELOOP && errno != ENOTDIR && errno != EMLINK) {
				err_sys(err, "open %s", path);
				break;
			}
			if (flags & O_NOFOLLOW) {
				err_sys(err, "open %s", path);
				break;
			}
		}
		fd = openat(stack[sp - 1], comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT && !last && (flags & O_CREAT))
				errno = ENOENT;
			err_sys(err, "open %s", path);
			break;
		}
		struct stat st;
		if (fstat(fd, &st) < 0) {
			close(fd);
			err_sys(err, "stat %s", path);
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t tl = readlinkat(fd, "", target, sizeof(target) - 1);
			close(fd);
			if (tl < 0) {
				err_sys(err, "readlink in %s", path);
				break;
			}
			if (++links > FS_MAX_SYMLINKS) {
				err_sysn(err, ELOOP, "open %s", path);
				break;
			}
			target[tl] = '\0';
			size_t rest = strlen(p);
			if ((size_t)tl + 1 + rest + 1 > PATH_MAX * 2) {
				err_set(err, CPOD_E_LIMIT, "path too long resolving %s", path);
				break;
			}
			/* pending = target + "/" + rest (rest may overlap pending) */
			memmove(pending + tl + 1, p, rest + 1);
			memcpy(pending, target, (size_t)tl);
			pending[tl] = '/';
			p = pending;
			if (target[0] == '/') {
				while (sp > 1)
					close(stack[--sp]);
			}
			continue;
		}
		if (last) {
			/* a non-symlink that openat refused: report that error */
			close(fd);
			fd = openat(stack[sp - 1], comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
			if (fd < 0)
				err_sys(err, "open %s", path);
			result = fd;
			break;
		}
		if (!S_ISDIR(st.st_mode)) {
			close(fd);
			err_sysn(err, ENOTDIR, "open %s", path);
			break;
		}
		if (sp >= FS_MAX_DEPTH) {
			close(fd);
			err_set(err, CPOD_E_LIMIT, "path nested too deep: %s", path);
			break;
		}
		stack[sp++] = fd;
	}
	while (sp > 0)
		close(stack[--sp]);
	free(pending);
	return result;
}

CPOD_INTERNAL int fs_open_in_root(int rootfd, const char *path, int flags, mode_t mode,
				  cpod_err *err)
{
	if (fs_have_openat2()) {
		struct open_how how = {
			.flags = (uint64_t)(flags | O_CLOEXEC),
			/* O_TMPFILE includes O_DIRECTORY: test all its bits */
			.mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		const char *rel = path;
		while (*rel == '/')
			rel++;
		if (!*rel)
			rel = ".";
		for (int tries = 0; tries < 16; tries++) {
			long fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
			if (fd >= 0)
				return (int)fd;
			if (errno == EAGAIN || errno == EINTR)
				continue;
			if (errno == ENOSYS || errno == E2BIG || errno == EPERM) {
				/* no openat2 (or a seccomp filter forbids it) */
				if (errno != EPERM)
					openat2_state = -1;
				break;
			}
			return err_sys(err, "open %s", path);
		}
	}
	return fs_walk_in_root(rootfd, path, flags, mode, err);
}

CPOD_INTERNAL int fs_mkdirs_in_root(int rootfd, const char *path, mode_t mode, cpod_err *err)
{
	char prefix[PATH_MAX];
	size_t len = strlen(path), i = 0;

	if (len >= sizeof(prefix))
		return err_set(err, CPOD_E_LIMIT, "path too long: %s", path);
	/* Try the whole path first: usually it exists. */
	int fd = fs_open_in_root(rootfd, path, O_PATH | O_DIRECTORY, 0, NULL);
	if (fd >= 0)
		return fd;
	while (i < len) {
		while (i < len && path[i] == '/')
			i++;
		size_t start = i;
		while (i < len && path[i] != '/')
			i++;
		if (i == start)
			break;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		char comp[NAME_MAX + 1];
		if (i - start > NAME_MAX)
			return err_set(err, CPOD_E_LIMIT, "path component too long in %s", path);
		memcpy(comp, path + start, i - start);
		comp[i - start] = '\0';
		if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0)
			continue;
		fd = fs_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0, NULL);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (errno != ENOENT)
			return err_sys(err, "open %s", prefix);
		/* create comp inside its (resolved) parent */
		char parent[PATH_MAX];
		memcpy(parent, path, start);
		parent[start] = '\0';
		_cleanup_close_ int pfd = fs_open_in_root(rootfd, parent[0] ? parent : "/",
							  O_PATH | O_DIRECTORY, 0, err);
		if (pfd < 0)
			return -1;
		if (mkdirat(pfd, comp, mode) < 0 && errno != EEXIST)
			return err_sys(err, "mkdir %s", prefix);
		fd = fs_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0, NULL);
		if (fd < 0)
			return err_sys(err, "mkdir %s (a dangling symlink or not a directory?)", prefix);
		close(fd);
	}
	return fs_open_in_root(rootfd, path, O_PATH | O_DIRECTORY, 0, err);
}

CPOD_INTERNAL int fs_resolve_in_root(int rootfd, const char *path, char *out, size_t size,
				     cpod_err *err)
{
	char rest[PATH_MAX], next[PATH_MAX], link[PATH_MAX];
	size_t olen = 0;
	int links = 0;

	if (size < 2)
		return err_set(err, CPOD_E_LIMIT, "path too long: %s", path);
	if (snprintf(rest, sizeof(rest), "%s", path) >= (int)sizeof(rest))
		return err_set(err, CPOD_E_LIMIT, "path too long: %s", path);
	out[0] = '\0';
	const char *p = rest;
	while (*p) {
		char comp[NAME_MAX + 1];
		struct stat st;
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		if (!n)
			break;
		if (n > NAME_MAX)
			return err_set(err, CPOD_E_LIMIT, "path component too long in %s", path);
		memcpy(comp, p, n);
		comp[n] = '\0';
		p += n;
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			/* out has no symlink: ".." is lexical, and stops at the root */
			char *s = strrchr(out, '/');
			if (s)
				*s = '\0';
			olen = strlen(out);
			continue;
		}
		if (olen + 1 + n >= size)
			return err_set(err, CPOD_E_LIMIT, "path too long: %s", path);
		out[olen] = '/';
		memcpy(out + olen + 1, comp, n + 1);
		if (fstatat(rootfd, out + 1, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode)) {
			olen += 1 + n;
			continue;
		}
		if (++links > 40)
			return err_set(err, CPOD_E_LIMIT, "%s: too many levels of symlinks", path);
		ssize_t len = readlinkat(rootfd, out + 1, link, sizeof(link) - 1);
		if (len < 0)
			return err_sys(err, "readlink %s", out);
		link[len] = '\0';
		if (snprintf(next, sizeof(next), "%s/%s", link, p) >= (int)sizeof(next))
			return err_set(err, CPOD_E_LIMIT, "path too long: %s", path);
		memcpy(rest, next, strlen(next) + 1);
		p = rest;
		/* an absolute target starts again at the root, a relative one
		 * at the link's directory */
		out[link[0] == '/' ? 0 : olen] = '\0';
		olen = strlen(out);
	}
	if (!out[0])
		strcpy(out, "/");
	return 0;
}

CPOD_INTERNAL int fs_mkdir_p(const char *path, mode_t mode, cpod_err *err)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(tmp))
		return err_set(err, CPOD_E_INVALID, "bad path: %s", path);
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return err_sys(err, "mkdir %s", tmp);
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return err_sys(err, "mkdir %s", tmp);
	return 0;
}

/* A directory on another mount than its parent: another file system (st_dev)
 * or a bind mount of the same one (the mount ID, kernels >= 5.8). */
static bool fs_rm_tree_other_mount(const struct statx *parent, const struct statx *child)
{
	if (parent->stx_dev_major != child->stx_dev_major ||
	    parent->stx_dev_minor != child->stx_dev_minor)
		return true;
	return (parent->stx_mask & child->stx_mask & STATX_MNT_ID) &&
	       parent->stx_mnt_id != child->stx_mnt_id;
}

static int fs_rm_tree_at(int parent, const char *name, const struct statx *pst, int depth,
			 cpod_err *err)
{
	struct statx st;

	if (depth > 4096)
		return err_set(err, CPOD_E_LIMIT, "directory nested too deep");
	if (statx(parent, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_TYPE | STATX_MNT_ID,
		  &st) < 0)
		return errno == ENOENT ? 0 : err_sys(err, "stat %s", name);
	if (!S_ISDIR(st.stx_mode)) {
		if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
			return err_sys(err, "unlink %s", name);
		return 0;
	}
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", name);
	/* what was opened, not what was looked at before (a mount may have appeared) */
	if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_MNT_ID, &st) < 0) {
		close(fd);
		return err_sys(err, "stat %s", name);
	}
	if (pst && fs_rm_tree_other_mount(pst, &st)) {
		close(fd);
		return err_set(err, CPOD_E_STATE, "%s is a mount point", name);
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return err_sys(err, "opendir %s", name);
	}
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fs_rm_tree_at(dirfd(d), de->d_name, &st, depth + 1, err) < 0) {
			r = -1;
			break;
		}
	}
	closedir(d);
	if (r < 0)
		return err_prefix(err, "%s", name);
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return err_sys(err, "rmdir %s", name);
	return 0;
}

CPOD_INTERNAL int fs_rm_tree(int dirfd, const char *name, cpod_err *err)
{
	return fs_rm_tree_at(dirfd, name, NULL, 0, err);
}

/* ---------------------------------------------------------------- copying trees */

static void fs_copy_meta(int fd, const struct stat *st, unsigned flags)
{
	if (flags & FS_COPY_OWNER)
		fchown(fd, st->st_uid, st->st_gid);
	fchmod(fd, st->st_mode & 07777);
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	futimens(fd, ts);
}

static void fs_copy_xattrs(int src, int dst)
{
	char names[4096];
	ssize_t n = flistxattr(src, names, sizeof(names));
	for (ssize_t off = 0; n > 0 && off < n; off += (ssize_t)strlen(names + off) + 1) {
		char val[65536];
		ssize_t vl = fgetxattr(src, names + off, val, sizeof(val));
		if (vl >= 0)
			fsetxattr(dst, names + off, val, (size_t)vl, 0);
	}
}

static int fs_copy_at(int srcdir, const char *name, int dstdir, const char *dstname, unsigned flags,
		      int depth, cpod_err *err)
{
	struct stat st, old;
	if (depth > 256)
		return err_set(err, CPOD_E_LIMIT, "copy: directories nested too deep");
	if (fstatat(srcdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "stat %s", name);
	bool exists = fstatat(dstdir, dstname, &old, AT_SYMLINK_NOFOLLOW) == 0;
	if (exists && !(S_ISDIR(st.st_mode) && S_ISDIR(old.st_mode))) {
		if (fs_rm_tree(dstdir, dstname, err) < 0)
			return -1;
		exists = false;
	}
	if (S_ISDIR(st.st_mode)) {
		if (!exists && mkdirat(dstdir, dstname, 0700) < 0)
			return err_sys(err, "mkdir %s", dstname);
		int s = openat(srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int d = openat(dstdir, dstname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int r = (s < 0 || d < 0) ? err_sys(err, "open %s", name) : 0;
		if (r == 0) {
			DIR *dir = fdopendir(dup(s));
			struct dirent *de;
			if (!dir)
				r = err_sys(err, "read %s", name);
			while (r == 0 && dir && (de = readdir(dir)))
				if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
					r = fs_copy_at(s, de->d_name, d, de->d_name, flags, depth + 1, err);
			if (dir)
				closedir(dir);
			if (r == 0) {
				if (flags & FS_COPY_XATTR)
					fs_copy_xattrs(s, d);
				fs_copy_meta(d, &st, flags);
			}
		}
		if (s >= 0)
			close(s);
		if (d >= 0)
			close(d);
		return r;
	}
	if (S_ISREG(st.st_mode)) {
		int in = openat(srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		int out = openat(dstdir, dstname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		int r = 0;
		if (in < 0 || out < 0) {
			r = err_sys(err, "copy %s", name);
		} else {
			off_t left = st.st_size;
			while (left > 0) {
				ssize_t c = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
				if (c > 0) {
					left -= c;
					continue;
				}
				char b[65536];
				ssize_t k = read(in, b, sizeof(b));
				if (k <= 0) {
					if (k < 0)
						r = err_sys(err, "read %s", name);
					break;
				}
				for (ssize_t w = 0; w < k;) {
					ssize_t x = write(out, b + w, (size_t)(k - w));
					if (x <= 0) {
						r = err_sys(err, "write %s", dstname);
						break;
					}
					w += x;
				}
				if (r < 0)
					break;
				left -= k;
			}
			if (r == 0) {
				if (flags & FS_COPY_XATTR)
					fs_copy_xattrs(in, out);
				fs_copy_meta(out, &st, flags);
			}
		}
		if (in >= 0)
			close(in);
		if (out >= 0)
			close(out);
		return r;
	}
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t l = readlinkat(srcdir, name, target, sizeof(target) - 1);
		if (l < 0)
			return err_sys(err, "readlink %s", name);
		target[l] = '\0';
		if (symlinkat(target, dstdir, dstname) < 0)
			return err_sys(err, "symlink %s", dstname);
		if (flags & FS_COPY_OWNER)
			fchownat(dstdir, dstname, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
		struct timespec ts[2] = { st.st_atim, st.st_mtim };
		utimensat(dstdir, dstname, ts, AT_SYMLINK_NOFOLLOW);
		return 0;
	}
	if (!(flags & FS_COPY_SPECIAL) || S_ISSOCK(st.st_mode))
		return 0;
	if (mknodat(dstdir, dstname, st.st_mode, st.st_rdev) < 0)
		return errno == EPERM ? 0 : err_sys(err, "mknod %s", dstname);
	if (flags & FS_COPY_OWNER)
		fchownat(dstdir, dstname, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
	return 0;
}

CPOD_INTERNAL int fs_copy_entry(int srcdir, const char *name, int dstdir, const char *dstname,
				unsigned flags, cpod_err *err)
{
	return fs_copy_at(srcdir, name, dstdir, dstname, flags, 0, err);
}

CPOD_INTERNAL int fs_copy_tree(int src, int dst, unsigned flags, cpod_err *err)
{
	DIR *dir = fdopendir(dup(src));
	struct dirent *de;
	int r = 0;
	if (!dir)
		return err_sys(err, "read a directory");
	while (r == 0 && (de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = fs_copy_at(src, de->d_name, dst, de->d_name, flags, 1, err);
	closedir(dir);
	return r;
}

CPOD_INTERNAL int fs_join(char *out, size_t n, const char *a, const char *b, cpod_err *err)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la + 1 + lb + 1 > n)
		return err_set(err, CPOD_E_LIMIT, "path too long: %s/%s", a, b);
	memcpy(out, a, la);
	out[la] = '/';
	memcpy(out + la + 1, b, lb + 1);
	return 0;
}

CPOD_INTERNAL void fs_split(const char *path, char *dir, size_t dsize, const char **base)
{
	const char *slash = strrchr(path, '/');
	if (!slash) {
		snprintf(dir, dsize, ".");
		*base = path;
		return;
	}
	if (slash == path)
		snprintf(dir, dsize, "/");
	else
		snprintf(dir, dsize, "%.*s", (int)(slash - path), path);
	*base = slash + 1;
}
