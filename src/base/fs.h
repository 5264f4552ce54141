/*
 * fs.h — file-system helpers: reading bounded files, atomic writes, and
 * resolving paths inside a root directory without ever leaving it.
 *
 * Paths inside a container's rootfs or the store are attacker-controlled: a
 * symlink may point at /etc on the host.  fs_open_in_root resolves them as if
 * the root were "/" (openat2 with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), and
 * walks the path itself on kernels without openat2 (or when the environment
 * variable CPOD_NO_OPENAT2=1 is set, which the tests use).
 */
#ifndef CPOD_FS_H
#define CPOD_FS_H
#include "buf.h"

/* Reads dirfd/path (AT_FDCWD for plain paths) into b, at most max bytes. */
CPOD_INTERNAL int fs_read_file(int dirfd, const char *path, size_t max, buf *b, cpod_err *err);

enum { FS_SYNC = 1 };
/* Writes data to dirfd/name through a temporary file and rename(2), so
 * readers see the old or the new content, never a mix.  FS_SYNC fsyncs the
 * file before the rename and the directory after. */
CPOD_INTERNAL int fs_write_atomic(int dirfd, const char *name, const void *data, size_t len,
				  mode_t mode, int flags, cpod_err *err);

/* Opens path (absolute or relative, symlinks and ".." included) resolved
 * inside rootfd as if it were "/".  flags as openat(2); O_CLOEXEC is added. */
CPOD_INTERNAL int fs_open_in_root(int rootfd, const char *path, int flags, mode_t mode,
				  cpod_err *err);
/* Creates the directory path and its parents inside rootfd; returns an
 * O_PATH fd on it. */
CPOD_INTERNAL int fs_mkdirs_in_root(int rootfd, const char *path, mode_t mode, cpod_err *err);
/* Rewrites path, resolved inside rootfd as if it were "/", into out: a
 * path whose existing part has no symlink left, with symlinks followed
 * even when they dangle, so that what is missing can be created where the
 * link points, inside the root (runc's SecureJoin).  Lexical: callers open
 * the result with fs_open_in_root, which stays inside the root anyway. */
CPOD_INTERNAL int fs_resolve_in_root(int rootfd, const char *path, char *out, size_t size,
				     cpod_err *err);
/* Whether openat2 is used (false on old kernels or with CPOD_NO_OPENAT2=1). */
CPOD_INTERNAL bool fs_have_openat2(void);

/* mkdir -p of a host path. */
CPOD_INTERNAL int fs_mkdir_p(const char *path, mode_t mode, cpod_err *err);
/* rm -rf of dirfd/name; never crosses into another mount. */
CPOD_INTERNAL int fs_rm_tree(int dirfd, const char *name, cpod_err *err);
enum {
	FS_COPY_OWNER = 1,    /* keep owners (needs the privilege to) */
	FS_COPY_SPECIAL = 2,  /* device nodes and fifos too (else skipped) */
	FS_COPY_XATTR = 4,    /* extended attributes too */
};
/* Copies the entry srcdir/name (a file, a symlink as a link, a directory
 * with everything below it) to dstdir/dstname; an existing file there is
 * replaced, an existing directory merged into.  Everything is opened
 * relative to a parent fd with O_NOFOLLOW, so neither tree can redirect
 * the copy with a symlink. */
CPOD_INTERNAL int fs_copy_entry(int srcdir, const char *name, int dstdir, const char *dstname,
				unsigned flags, cpod_err *err);
/* Copies the contents of directory src into directory dst. */
CPOD_INTERNAL int fs_copy_tree(int src, int dst, unsigned flags, cpod_err *err);

/* out = a "/" b; -1 (CPOD_E_LIMIT) when it does not fit. */
CPOD_INTERNAL int fs_join(char *out, size_t n, const char *a, const char *b, cpod_err *err);
/* Splits off the last component: "a/b/c" -> dir "a/b", base "c". */
CPOD_INTERNAL void fs_split(const char *path, char *dir, size_t dsize, const char **base);

#endif
