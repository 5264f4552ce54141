/*
 * devices.c — the container's device nodes and /dev symlinks.
 *
 * With the privilege to do so, nodes are made with mknod in the container's
 * /dev; in a user namespace, where mknod is not allowed, the host's node is
 * bound onto an empty file instead.  A bound node IS the host's node: it is
 * never chmod-ed or chown-ed (that would change the host's /dev/null for
 * everyone), and nothing is ever created or removed in a directory that is
 * on the host's /dev file system.
 */
#include "container.h"
#include "../base/fs.h"
#include <sys/mount.h>
#include <sys/sysmacros.h>

static const struct {
	const char *path;
	unsigned major, minor;
} dev_defaults[] = {
	{ "/dev/null", 1, 3 },    { "/dev/zero", 1, 5 },    { "/dev/full", 1, 7 },
	{ "/dev/random", 1, 8 },  { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static dev_t dev_host_devfs(void)
{
	struct stat st;
	return stat("/dev", &st) == 0 ? st.st_dev : (dev_t)-1;
}

static int dev_create(oci_container *c, int rootfd, const char *path, char type,
		      unsigned major, unsigned minor, mode_t perm, uid_t uid, gid_t gid,
		      dev_t host_devfs, cpod_err *err)
{
	char parent[PATH_MAX], p[64];
	const char *base;
	struct stat st, pst;
	mode_t fmt = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
	dev_t rdev = makedev(major, minor);

	fs_split(path, parent, sizeof(parent), &base);
	_cleanup_close_ int pfd = fs_mkdirs_in_root(rootfd, parent, 0755, err);
	if (pfd < 0)
		return -1;
	if (fstat(pfd, &pst) < 0)
		return err_sys(err, "stat %s", parent);
	if (pst.st_dev == host_devfs)
		return err_set(err, CPOD_E_PERM,
			       "%s is on the host's /dev: refusing to create devices there", parent);
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if ((st.st_mode & S_IFMT) == fmt && (fmt == S_IFIFO || st.st_rdev == rdev))
			return 0; /* already the right node */
		if (S_ISDIR(st.st_mode))
			return err_set(err, CPOD_E_INVALID, "%s is a directory", path);
		if (unlinkat(pfd, base, 0) < 0)
			return err_sys(err, "replace %s", path);
	}
	if (!c->in_userns) {
		mode_t old = umask(0);
		int r = fmt == S_IFIFO ? mkfifoat(pfd, base, perm) : mknodat(pfd, base, fmt | perm, rdev);
		umask(old);
		if (r == 0) {
			if (fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
				return err_sys(err, "chown %s", path);
			return 0;
		}
		if (errno != EPERM)
			return err_sys(err, "mknod %s", path);
	}
	if (fmt == S_IFIFO)
		return err_set(err, CPOD_E_PERM, "cannot create the fifo %s here", path);
	/* bind the host's node onto an empty file */
	_cleanup_close_ int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0000);
	if (fd < 0)
		return err_sys(err, "create %s", path);
	if (stat(path, &st) < 0 || (st.st_mode & S_IFMT) != fmt || st.st_rdev != rdev)
		return err_set(err, CPOD_E_NOTFOUND, "the host has no device %s (%u:%u) to bind", path,
			       major, minor);
	_cleanup_close_ int target = openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0)
		return err_sys(err, "open %s", path);
	snprintf(p, sizeof(p), "/proc/self/fd/%d", target);
	if (mount(path, p, NULL, MS_BIND, NULL) < 0)
		return err_sys(err, "bind %s", path);
	return 0;
}

static int dev_symlink(int rootfd, const char *target, const char *path, cpod_err *err)
{
	char parent[PATH_MAX];
	const char *base;
	fs_split(path, parent, sizeof(parent), &base);
	_cleanup_close_ int pfd = fs_open_in_root(rootfd, parent, O_PATH | O_DIRECTORY, 0, NULL);
	if (pfd < 0)
		return 0; /* no /dev at all: nothing to link */
	if (symlinkat(target, pfd, base) < 0 && errno != EEXIST)
		return err_sys(err, "symlink %s", path);
	return 0;
}

/* /dev/ptmx must be the container's devpts one, not a host node. */
static int dev_ptmx(int rootfd, dev_t host_devfs, cpod_err *err)
{
	struct stat st;
	_cleanup_close_ int pts = fs_open_in_root(rootfd, "/dev/pts/ptmx", O_PATH, 0, NULL);
	if (pts < 0)
		return 0; /* no devpts mounted */
	_cleanup_close_ int dev = fs_open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0, err);
	if (dev < 0)
		return -1;
	if (fstat(dev, &st) < 0 || st.st_dev == host_devfs)
		return 0;
	if (fstatat(dev, "ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode))
			return 0;
		if (unlinkat(dev, "ptmx", 0) < 0)
			return err_sys(err, "remove /dev/ptmx");
	}
	if (symlinkat("pts/ptmx", dev, "ptmx") < 0)
		return err_sys(err, "symlink /dev/ptmx");
	return 0;
}

CPOD_INTERNAL int devices_create(oci_container *c, int rootfd, cpod_err *err)
{
	const oci_linux *l = &c->spec->linux_;
	dev_t host_devfs = dev_host_devfs();

	for (size_t i = 0; i < ARRAY_LEN(dev_defaults); i++) {
		bool overridden = false;
		for (size_t k = 0; k < l->n_devices; k++)
			if (strcmp(l->devices[k].path, dev_defaults[i].path) == 0)
				overridden = true;
		if (overridden)
			continue;
		if (dev_create(c, rootfd, dev_defaults[i].path, 'c', dev_defaults[i].major,
			       dev_defaults[i].minor, 0666, 0, 0, host_devfs, err) < 0)
			return err_prefix(err, "default devices");
	}
	for (size_t k = 0; k < l->n_devices; k++) {
		const oci_device *d = &l->devices[k];
		mode_t perm = d->file_mode.set ? (mode_t)d->file_mode.v : 0666;
		if (dev_create(c, rootfd, d->path, d->type == 'u' ? 'c' : d->type, (unsigned)d->major,
			       (unsigned)d->minor, perm & 07777, d->uid.set ? (uid_t)d->uid.v : 0,
			       d->gid.set ? (gid_t)d->gid.v : 0, host_devfs, err) < 0)
			return err_prefix(err, "linux.devices[%zu]", k);
	}
	if (dev_symlink(rootfd, "/proc/self/fd", "/dev/fd", err) < 0 ||
	    dev_symlink(rootfd, "/proc/self/fd/0", "/dev/stdin", err) < 0 ||
	    dev_symlink(rootfd, "/proc/self/fd/1", "/dev/stdout", err) < 0 ||
	    dev_symlink(rootfd, "/proc/self/fd/2", "/dev/stderr", err) < 0)
		return -1;
	if (access("/proc/kcore", F_OK) == 0 && dev_symlink(rootfd, "/proc/kcore", "/dev/core", err) < 0)
		return -1;
	return dev_ptmx(rootfd, host_devfs, err);
}
