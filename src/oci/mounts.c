/*
 * mounts.c — the container's file system: run by its init, in its new mount
 * namespace, before and after pivot_root.
 *
 * Nothing here follows a path given by the config or found in the rootfs
 * with a plain string: a destination is resolved inside the rootfs (so a
 * symlink in an image cannot send a mount onto the host), created there,
 * and mounted on through /proc/self/fd/N of the resolved fd.  The whole tree
 * is made a slave first, so no mount or unmount ever propagates back to the
 * host.  When a mount cannot be made in a user namespace (sysfs without a
 * network namespace of its own, mqueue without an IPC one), the host's is
 * bound read-only instead, as runc does for rootless containers.
 */
#include "container.h"
#include "../base/fs.h"
#include <dirent.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#define MNT_FD_PATH(buf, fd) (snprintf((buf), sizeof(buf), "/proc/self/fd/%d", (fd)), (buf))

/* Flags the kernel locks on a mount made in a user namespace: a bind or
 * remount that would clear them fails, so they are carried over unless the
 * config clears them on purpose. */
static unsigned long mnt_locked_flags(int fd, unsigned long clear)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (fstatvfs(fd, &sv) < 0)
		return 0;
	if ((sv.f_flag & ST_NOSUID) && !(clear & MS_NOSUID))
		f |= MS_NOSUID;
	if ((sv.f_flag & ST_NODEV) && !(clear & MS_NODEV))
		f |= MS_NODEV;
	if ((sv.f_flag & ST_NOEXEC) && !(clear & MS_NOEXEC))
		f |= MS_NOEXEC;
	if ((sv.f_flag & ST_NOATIME) && !(clear & MS_NOATIME))
		f |= MS_NOATIME;
	if ((sv.f_flag & ST_NODIRATIME) && !(clear & MS_NODIRATIME))
		f |= MS_NODIRATIME;
	if ((sv.f_flag & ST_RELATIME) && !(clear & MS_RELATIME))
		f |= MS_RELATIME;
	return f;
}

/* Creates dest inside the rootfs (a directory, or an empty file when
 * want_file) and returns an O_PATH fd on it. */
static int mnt_target(int rootfd, const char *dest, bool want_file, cpod_err *err)
{
	char parent[PATH_MAX], resolved[PATH_MAX];
	const char *base;

	/* what a (dangling) symlink points at is made, inside the rootfs */
	if (fs_resolve_in_root(rootfd, dest, resolved, sizeof(resolved), err) < 0)
		return err_prefix(err, "mount destination");
	dest = resolved;
	if (!want_file)
		return fs_mkdirs_in_root(rootfd, dest, 0755, err);
	int fd = fs_open_in_root(rootfd, dest, O_PATH, 0, NULL);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		return err_sys(err, "open %s", dest);
	fs_split(dest, parent, sizeof(parent), &base);
	_cleanup_close_ int pfd = fs_mkdirs_in_root(rootfd, parent, 0755, err);
	if (pfd < 0)
		return -1;
	int nfd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (nfd < 0)
		return err_sys(err, "create %s (a dangling symlink?)", dest);
	close(nfd);
	return fs_open_in_root(rootfd, dest, O_PATH, 0, err);
}

/* Propagation flags (private, rslave...) of m, applied to the mount at dest. */
static int mnt_propagate(int rootfd, const oci_mount *m, cpod_err *err)
{
	char p[64];
	if (!m->n_propagation)
		return 0;
	_cleanup_close_ int fd = fs_open_in_root(rootfd, m->destination, O_PATH, 0, err);
	if (fd < 0)
		return -1;
	for (size_t i = 0; i < m->n_propagation; i++)
		if (mount(NULL, MNT_FD_PATH(p, fd), NULL, m->propagation[i], NULL) < 0)
			return err_sys(err, "set propagation of %s", m->destination);
	return 0;
}

/* Recursive attributes (rro, rnosuid...) with mount_setattr(2). */
static int mnt_setattr(int rootfd, const oci_mount *m, cpod_err *err)
{
	struct {
		uint64_t attr_set, attr_clr, propagation, userns_fd;
	} attr = { m->attr_set, m->attr_clr, 0, 0 };

	if (!m->attr_set && !m->attr_clr)
		return 0;
	_cleanup_close_ int fd = fs_open_in_root(rootfd, m->destination, O_PATH, 0, err);
	if (fd < 0)
		return -1;
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return err_sys(err, "set recursive attributes of %s", m->destination);
	return 0;
}

/* A read-only (or otherwise flagged) bind needs a second, remounting call. */
static int mnt_remount_bind(int rootfd, const char *dest, unsigned long flags,
			    unsigned long clear, cpod_err *err)
{
	char p[64];
	_cleanup_close_ int fd = fs_open_in_root(rootfd, dest, O_PATH, 0, err);
	if (fd < 0)
		return -1;
	flags |= mnt_locked_flags(fd, clear);
	if (mount(NULL, MNT_FD_PATH(p, fd), NULL, MS_REMOUNT | MS_BIND | flags, NULL) < 0)
		return err_sys(err, "remount %s", dest);
	return 0;
}

static int mnt_bind(int rootfd, const char *source, const char *dest, bool recursive,
		    unsigned long flags, unsigned long clear, cpod_err *err)
{
	struct stat st;
	char p[64];

	if (stat(source, &st) < 0)
		return err_sys(err, "bind source %s", source);
	_cleanup_close_ int fd = mnt_target(rootfd, dest, !S_ISDIR(st.st_mode), err);
	if (fd < 0)
		return -1;
	if (mount(source, MNT_FD_PATH(p, fd), NULL, MS_BIND | (recursive ? MS_REC : 0), NULL) < 0)
		return err_sys(err, "bind %s on %s", source, dest);
	unsigned long extra = flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
	if (extra)
		return mnt_remount_bind(rootfd, dest, extra, clear, err);
	return 0;
}

static bool mnt_ns_is_new(const oci_container *c, enum oci_ns_type t)
{
	return c->spec->linux_.ns[t].enabled && !c->spec->linux_.ns[t].path;
}

/* cgroup mounts: cgroup2 where the host has it; on v1 hosts a tmpfs with
 * one directory per hierarchy, each the container's own cgroup. */
static int mnt_cgroup(oci_container *c, int rootfd, const oci_mount *m, cpod_err *err)
{
	char p[64];
	enum cg_mode mode = cg_detect();
	bool own_ns = mnt_ns_is_new(c, NS_CGROUP);
	unsigned long flags = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);

	if (mode == CG_V2 || mode == CG_NONE) {
		if (own_ns) {
			_cleanup_close_ int fd = mnt_target(rootfd, m->destination, false, err);
			if (fd < 0)
				return -1;
			if (mount("cgroup2", MNT_FD_PATH(p, fd), "cgroup2", flags, NULL) == 0)
				return 0;
			if (!c->in_userns || (errno != EPERM && errno != EBUSY))
				return err_sys(err, "mount cgroup2 on %s", m->destination);
		}
		const char *src = c->has_cgroup && c->cg.unified[0] ? c->cg.unified : cg_unified_mountpoint();
		if (!src || !*src)
			return 0; /* nothing to show */
		return mnt_bind(rootfd, src, m->destination, true, flags | MS_RDONLY, m->clear_flags, err);
	}

	/* v1 or hybrid: a tmpfs holding the hierarchies */
	const cg_v1_hierarchy *hs;
	size_t n;
	if (cg_v1_hierarchies(&hs, &n) < 0)
		n = 0;
	{
		_cleanup_close_ int fd = mnt_target(rootfd, m->destination, false, err);
		if (fd < 0)
			return -1;
		if (mount("tmpfs", MNT_FD_PATH(p, fd), "tmpfs", flags & ~MS_RDONLY, "mode=755") < 0)
			return err_sys(err, "mount tmpfs on %s", m->destination);
	}
	for (size_t i = 0; i < n; i++) {
		char dest[PATH_MAX];
		const char *name = strrchr(hs[i].mountpoint, '/');
		name = name ? name + 1 : hs[i].mountpoint;
		if (snprintf(dest, sizeof(dest), "%s/%s", m->destination, name) >= (int)sizeof(dest))
			continue;
		/* the container's own directory in this hierarchy, when it has one */
		const char *src = hs[i].mountpoint;
		for (size_t k = 0; c->has_cgroup && k < c->cg.n_v1; k++)
			if (strncmp(c->cg.v1[k].dir, hs[i].mountpoint, strlen(hs[i].mountpoint)) == 0 &&
			    c->cg.v1[k].dir[strlen(hs[i].mountpoint)] == '/')
				src = c->cg.v1[k].dir;
		if (own_ns && !c->in_userns) {
			_cleanup_close_ int fd = mnt_target(rootfd, dest, false, err);
			if (fd < 0)
				return -1;
			if (mount("cgroup", MNT_FD_PATH(p, fd), "cgroup", flags, hs[i].options) == 0)
				continue;
		}
		if (mnt_bind(rootfd, src, dest, false, flags | MS_RDONLY, m->clear_flags, err) < 0)
			return -1;
		/* comounted hierarchies: "cpu" -> "cpu,cpuacct" */
		if (strchr(name, ',') && strlen(name) < 128) {
			char list[128];
			memcpy(list, name, strlen(name) + 1);
			for (char *s = strtok(list, ","); s; s = strtok(NULL, ",")) {
				_cleanup_close_ int dfd = fs_open_in_root(rootfd, m->destination, O_PATH | O_DIRECTORY, 0, NULL);
				if (dfd >= 0)
					symlinkat(name, dfd, s);
			}
		}
	}
	const char *unified = cg_unified_mountpoint();
	if (mode == CG_HYBRID && unified && *unified) {
		char dest[PATH_MAX];
		snprintf(dest, sizeof(dest), "%s/unified", m->destination);
		const char *src = c->has_cgroup && c->cg.unified[0] ? c->cg.unified : unified;
		if (mnt_bind(rootfd, src, dest, false, flags | MS_RDONLY, m->clear_flags, err) < 0)
			return -1;
	}
	if (m->flags & MS_RDONLY)
		return mnt_remount_bind(rootfd, m->destination, MS_RDONLY | flags, m->clear_flags, err) < 0
			       ? -1 : 0;
	return 0;
}

static int mnt_one(oci_container *c, int rootfd, const oci_mount *m, cpod_err *err)
{
	char p[64], src[PATH_MAX];
	const char *type = m->type;

	if (m->bind) {
		const char *s = m->source;
		if (s[0] != '/') {
			if (fs_join(src, sizeof(src), c->bundle, s, err) < 0)
				return -1;
			s = src;
		}
		if (mnt_bind(rootfd, s, m->destination, m->recursive, m->flags, m->clear_flags, err) < 0)
			return -1;
	} else if (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0) {
		if (mnt_cgroup(c, rootfd, m, err) < 0)
			return -1;
	} else {
		_cleanup_close_ int fd = mnt_target(rootfd, m->destination, false, err);
		int copy_from = -1;
		if (fd < 0)
			return -1;
		if (m->tmpcopyup) {
			copy_from = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (copy_from < 0)
				return err_sys(err, "open %s", m->destination);
		}
		int r = mount(m->source ? m->source : type, MNT_FD_PATH(p, fd), type,
			      m->flags & ~MS_REMOUNT, m->data);
		if (r < 0 && c->in_userns && (errno == EPERM || errno == EBUSY) &&
		    (strcmp(type, "sysfs") == 0 || strcmp(type, "mqueue") == 0)) {
			/* rootless: the host's, read-only */
			const char *host = strcmp(type, "sysfs") == 0 ? "/sys" : "/dev/mqueue";
			if (copy_from >= 0)
				close(copy_from);
			return mnt_bind(rootfd, host, m->destination, true,
					(m->flags | MS_RDONLY) & ~MS_REMOUNT, m->clear_flags, err);
		}
		if (r < 0) {
			int e = errno;
			if (copy_from >= 0)
				close(copy_from);
			return err_sysn(err, e, "mount %s on %s", type, m->destination);
		}
		if (copy_from >= 0) {
			_cleanup_close_ int newfd = fs_open_in_root(rootfd, m->destination,
								    O_RDONLY | O_DIRECTORY, 0, err);
			r = newfd < 0 ? -1 : fs_copy_tree(copy_from, newfd, FS_COPY_OWNER | FS_COPY_SPECIAL, err);
			close(copy_from);
			if (r < 0)
				return err_prefix(err, "tmpcopyup %s", m->destination);
		}
	}
	if (mnt_propagate(rootfd, m, err) < 0 || mnt_setattr(rootfd, m, err) < 0)
		return -1;
	return 0;
}

CPOD_INTERNAL int mounts_prepare(oci_container *c, int rootfd, cpod_err *err)
{
	(void)rootfd;
	for (size_t i = 0; i < c->spec->n_mounts; i++) {
		if (mnt_one(c, rootfd, &c->spec->mounts[i], err) < 0)
			return err_prefix(err, "mounts[%zu]", i);
	}
	return devices_create(c, rootfd, err);
}

/* Makes the mount holding path private when it is shared: pivot_root
 * refuses a new root whose parent mount is shared. */
static int mnt_parent_private(const char *path, cpod_err *err)
{
	char best[PATH_MAX] = "/", line[4096];
	bool shared = false;
	size_t best_len = 1;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return err_sys(err, "open /proc/self/mountinfo");
	while (fgets(line, sizeof(line), f)) {
		char mp[PATH_MAX];
		/* id parent maj:min root mountpoint options optional... */
		if (sscanf(line, "%*d %*d %*s %*s %4095s", mp) != 1)
			continue;
		size_t l = strlen(mp);
		bool prefix = strncmp(path, mp, l) == 0 && (path[l] == '/' || path[l] == '\0' || l == 1);
		if (prefix && l >= best_len && l < sizeof(best)) {
			memcpy(best, mp, l + 1);
			best_len = l;
			shared = strstr(line, " shared:") != NULL;
		}
	}
	fclose(f);
	if (shared && mount(NULL, best, NULL, MS_PRIVATE, NULL) < 0)
		return err_sys(err, "make %s private", best);
	return 0;
}

CPOD_INTERNAL int mounts_rootfs(oci_container *c, cpod_err *err)
{
	unsigned long prop = c->spec->linux_.rootfs_propagation;
	if (!prop)
		prop = MS_SLAVE | MS_REC;
	if (mount(NULL, "/", NULL, prop | MS_REC, NULL) < 0)
		return err_sys(err, "set propagation of /");
	if (mnt_parent_private(c->rootfs, err) < 0)
		return -1;
	if (c->rootfs_mount)
		return c->rootfs_mount(c->rootfs_ctx, c->rootfs, err);
	if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_sys(err, "bind the rootfs %s", c->rootfs);
	return 0;
}

static bool mnt_on_initramfs(void)
{
	struct statfs sf;
	/* the initial rootfs cannot be pivoted away from */
	return statfs("/", &sf) == 0 && (sf.f_type == RAMFS_MAGIC || sf.f_type == TMPFS_MAGIC) &&
	       access("/init", F_OK) == 0;
}

static int mnt_move_root(oci_container *c, cpod_err *err)
{
	if (chdir(c->rootfs) < 0)
		return err_sys(err, "chdir %s", c->rootfs);
	if (mount(c->rootfs, "/", NULL, MS_MOVE, NULL) < 0)
		return err_sys(err, "move the rootfs to /");
	if (chroot(".") < 0)
		return err_sys(err, "chroot");
	if (chdir("/") < 0)
		return err_sys(err, "chdir /");
	return 0;
}

CPOD_INTERNAL int mounts_pivot(oci_container *c, cpod_err *err)
{
	if (c->no_pivot)
		return mnt_move_root(c, err);

	_cleanup_close_ int oldroot = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int newroot = open(c->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (oldroot < 0 || newroot < 0)
		return err_sys(err, "open the roots");
	if (fchdir(newroot) < 0)
		return err_sys(err, "chdir %s", c->rootfs);
	/* pivot_root(".", ".") stacks the old root on top of the new one;
	 * unmounting it then leaves the new root alone, with no directory for
	 * the old root needed inside the container. */
	if (syscall(SYS_pivot_root, ".", ".") < 0) {
		if (errno == EINVAL && mnt_on_initramfs()) {
			log_debug("pivot_root refused on the initramfs: moving the root instead");
			return mnt_move_root(c, err);
		}
		return err_sys(err, "pivot_root");
	}
	if (fchdir(oldroot) < 0)
		return err_sys(err, "chdir to the old root");
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return err_sys(err, "make the old root a slave");
	if (umount2(".", MNT_DETACH) < 0)
		return err_sys(err, "unmount the old root");
	if (chdir("/") < 0)
		return err_sys(err, "chdir /");
	return 0;
}

CPOD_INTERNAL int mounts_finish(oci_container *c, cpod_err *err)
{
	const oci_linux *l = &c->spec->linux_;
	char p[64];
	_cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (rootfd < 0)
		return err_sys(err, "open /");
	for (size_t i = 0; i < l->n_masked_paths; i++) {
		const char *path = l->masked_paths[i];
		_cleanup_close_ int fd = fs_open_in_root(rootfd, path, O_PATH | O_NOFOLLOW, 0, NULL);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0)
			continue; /* nothing to mask */
		int r = S_ISDIR(st.st_mode)
				? mount("tmpfs", MNT_FD_PATH(p, fd), "tmpfs", MS_RDONLY, "size=0k,mode=755")
				: mount("/dev/null", MNT_FD_PATH(p, fd), NULL, MS_BIND, NULL);
		if (r < 0 && errno != ENOENT)
			return err_sys(err, "mask %s", path);
	}
	for (size_t i = 0; i < l->n_readonly_paths; i++) {
		const char *path = l->readonly_paths[i];
		_cleanup_close_ int fd = fs_open_in_root(rootfd, path, O_PATH | O_NOFOLLOW, 0, NULL);
		if (fd < 0)
			continue;
		if (mount(MNT_FD_PATH(p, fd), MNT_FD_PATH(p, fd), NULL, MS_BIND | MS_REC, NULL) < 0)
			return err_sys(err, "bind %s read-only", path);
		if (mnt_remount_bind(rootfd, path, MS_RDONLY, 0, err) < 0)
			return -1;
	}
	if (c->spec->root_readonly) {
		unsigned long locked = mnt_locked_flags(rootfd, 0);
		if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | locked, NULL) < 0)
			return err_sys(err, "remount / read-only");
	}
	return 0;
}
