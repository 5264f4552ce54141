/*
 * layer.c — unpacking a layer into a directory (see layer.h): every tar
 * entry judged, then written with as few system calls as it needs.
 *
 * Safety.  Names are cleaned first: a leading "/" is dropped, "." and empty
 * components vanish, a ".." component is refused, and depth (256) and
 * length (4096) are bounded.  Parent directories are resolved inside the
 * target with fs_open_in_root (openat2 RESOLVE_IN_ROOT), so a symlink the
 * layer planted ("a -> /etc", "a -> ../../..") is followed as if the target
 * were "/", never out of it; the last component is always created or
 * replaced without following (O_EXCL, O_NOFOLLOW, *at calls on the parent).
 * Hard links must name an existing entry inside the target (linkat on the
 * resolved parent, never following the last component).  Whiteouts of "",
 * "." or ".." are refused.  Device nodes are skipped (with a warning) when
 * rootless.  xattrs named trusted.overlay.* or user.overlay.* are dropped:
 * a layer may not plant overlayfs redirects, metacopy or opaque markers of
 * its own; whiteouts come only from .wh. entries.
 *
 * Speed.  The parent directory's fd is cached from one entry to the next
 * (tar entries come grouped by directory); the cache is dropped whenever
 * anything is removed or replaced, the only way a resolved path can change
 * meaning, so it cannot be fooled by a symlink swapped in.  Files are
 * created with O_CREAT|O_EXCL (the target is normally empty: the
 * replacement path runs only on EEXIST) and their data written straight
 * from the decompression ring.  chown is skipped when the owner is already
 * right, chmod when open's mode (under the umask) already gave the bits.
 * Directories' modes and mtimes are applied at the end, children first
 * (creating entries changes a directory's mtime, and a read-only directory
 * could not be filled); their list is bounded with the path table.
 *
 * The path table remembers directories (for their final metadata, once per
 * path however often they appear) and, in LAYER_WHITEOUT_APPLY mode, every
 * path this layer made: OCI whiteouts hide only lower layers' files, so
 * ".wh.NAME" spares a NAME of the same layer, and an opaque directory keeps
 * exactly this layer's entries.  It holds at most LAYER_MAP_ENTRIES paths
 * of LAYER_MAP_BYTES in all (about 400 MiB of memory at worst).
 */
#include "layer.h"
#include "layer_stream.h"
#include "../base/fs.h"
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <dirent.h>

#define LAYER_MAX_PATH 4096
#define LAYER_MAX_DEPTH 256
#define LAYER_MAP_BYTES ((size_t)256 << 20)
#define LAYER_MAP_ENTRIES ((size_t)4 << 20)
#define LAYER_DEFAULT_MAX ((uint64_t)64 << 30)
#define LAYER_WH ".wh."
#define LAYER_WH_OPQ ".wh..wh..opq"
#define LAYER_WH_META ".wh..wh."

enum { LAYER_MADE = 1, LAYER_OPAQUED = 2 };

typedef struct layer_slot {
	uint32_t off;   /* into the arena; 0: empty */
	uint32_t hash;
	int32_t dir;    /* index in dirs, or -1 */
	uint32_t flags;
} layer_slot;

typedef struct layer_dir {
	uint32_t off;   /* its path in the arena */
	uint32_t mode;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	dev_t dev;
	ino_t ino;
	bool dead;
} layer_dir;

typedef struct layer_ctx {
	int root;
	const layer_opts *o;
	tar_reader *tr;
	uid_t euid;
	gid_t egid;
	mode_t umask;
	bool apply;
	const char *opaque_xattr;

	/* the parent cache */
	char cpath[LAYER_MAX_PATH + 1];
	int cfd;
	bool csgid;     /* new entries there take the directory's group */
	gid_t cgid;

	/* the path table */
	char *arena;
	size_t alen, acap;
	layer_slot *slots;
	size_t nslots, nused;
	layer_dir *dirs;
	size_t ndirs, capdirs;

	bool warned_owner, warned_dev;
	char quoted[200];   /* the current entry's name for messages */
} layer_ctx;

/* ---------------------------------------------------------------- names */

static void layer_quote(char *out, size_t size, const char *name)
{
	size_t o = 0, n = strlen(name);
	for (size_t i = 0; i < n && o + 4 < size; i++) {
		unsigned char ch = (unsigned char)name[i];
		out[o++] = (ch < 0x20 || ch == 0x7f || ch == '"') ? '?' : (char)ch;
	}
	if (o + 4 >= size && n)
		memcpy(out + o, "...", 3), o += 3;
	out[o] = '\0';
}

/* Cleans an archive name into out (see the top): "" is the root. */
static int layer_clean(const char *in, char *out, const char *what, const char *quoted,
		       cpod_err *err)
{
	size_t o = 0, depth = 0;
	const char *p = in;

	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *c = p;
		while (*p && *p != '/')
			p++;
		size_t n = (size_t)(p - c);
		if (n == 1 && c[0] == '.')
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return err_set(err, CPOD_E_INVALID, "entry \"%s\": %s contains \"..\"",
				       quoted, what);
		if (n > NAME_MAX)
			return err_set(err, CPOD_E_LIMIT,
				       "entry \"%s\": %s has a component longer than %d bytes",
				       quoted, what, NAME_MAX);
		if (++depth > LAYER_MAX_DEPTH)
			return err_set(err, CPOD_E_LIMIT, "entry \"%s\": %s nested deeper than %d",
				       quoted, what, LAYER_MAX_DEPTH);
		if (o + (o ? 1 : 0) + n > LAYER_MAX_PATH)
			return err_set(err, CPOD_E_LIMIT, "entry \"%s\": %s longer than %d bytes",
				       quoted, what, LAYER_MAX_PATH);
		if (o)
			out[o++] = '/';
		memcpy(out + o, c, n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}

/* ---------------------------------------------------------------- the path table */

static uint32_t layer_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return (uint32_t)(h ^ (h >> 32));
}

static layer_slot *layer_find(layer_ctx *c, const char *path, size_t n)
{
	if (!c->nslots)
		return NULL;
	uint32_t h = layer_hash(path, n);
	for (size_t i = h & (c->nslots - 1);; i = (i + 1) & (c->nslots - 1)) {
		layer_slot *s = &c->slots[i];
		if (!s->off)
			return NULL;
		if (s->hash == h && strncmp(c->arena + s->off, path, n) == 0 &&
		    c->arena[s->off + n] == '\0')
			return s;
	}
}

static int layer_grow(layer_ctx *c, cpod_err *err)
{
	size_t nn = c->nslots ? c->nslots * 2 : 4096;
	layer_slot *ns = calloc(nn, sizeof(*ns));
	if (!ns)
		return err_nomem(err);
	for (size_t i = 0; i < c->nslots; i++) {
		layer_slot *s = &c->slots[i];
		if (!s->off)
			continue;
		size_t j = s->hash & (nn - 1);
		while (ns[j].off)
			j = (j + 1) & (nn - 1);
		ns[j] = *s;
	}
	free(c->slots);
	c->slots = ns;
	c->nslots = nn;
	return 0;
}

/* The slot of path (first n bytes), added when new. */
static layer_slot *layer_add(layer_ctx *c, const char *path, size_t n, cpod_err *err)
{
	layer_slot *s = layer_find(c, path, n);
	if (s)
		return s;
	if (c->nused >= LAYER_MAP_ENTRIES) {
		err_set(err, CPOD_E_LIMIT, "the layer has too many entries (more than %zu)",
			LAYER_MAP_ENTRIES);
		return NULL;
	}
	if ((c->nused + 1) * 2 > c->nslots && layer_grow(c, err) < 0)
		return NULL;
	if (c->alen + n + 1 > c->acap) {
		if (c->alen + n + 1 > LAYER_MAP_BYTES) {
			err_set(err, CPOD_E_LIMIT,
				"the layer has too many entries (paths above %zu MiB)",
				LAYER_MAP_BYTES >> 20);
			return NULL;
		}
		size_t nc = c->acap ? c->acap * 2 : 1 << 16;
		while (nc < c->alen + n + 1)
			nc *= 2;
		if (nc > LAYER_MAP_BYTES)
			nc = LAYER_MAP_BYTES;
		char *na = realloc(c->arena, nc);
		if (!na) {
			err_nomem(err);
			return NULL;
		}
		c->arena = na;
		c->acap = nc;
	}
	if (c->alen == 0)
		c->arena[c->alen++] = '\0'; /* offset 0 means empty */
	uint32_t off = (uint32_t)c->alen;
	memcpy(c->arena + off, path, n);
	c->arena[off + n] = '\0';
	c->alen += n + 1;
	uint32_t h = layer_hash(path, n);
	size_t i = h & (c->nslots - 1);
	while (c->slots[i].off)
		i = (i + 1) & (c->nslots - 1);
	c->slots[i] = (layer_slot){ off, h, -1, 0 };
	c->nused++;
	return &c->slots[i];
}

/* APPLY mode: path and its ancestors belong to this layer. */
static int layer_mark_made(layer_ctx *c, const char *path, cpod_err *err)
{
	if (!c->apply || !path[0])
		return 0;
	size_t n = strlen(path);
	for (;;) {
		layer_slot *s = layer_add(c, path, n, err);
		if (!s)
			return -1;
		if (s->flags & LAYER_MADE)
			return 0; /* its ancestors are in already */
		s->flags |= LAYER_MADE;
		while (n && path[n - 1] != '/')
			n--;
		if (n == 0)
			return 0;
		n--;
	}
}

static bool layer_is_made(layer_ctx *c, const char *path)
{
	layer_slot *s = layer_find(c, path, strlen(path));
	return s && (s->flags & LAYER_MADE);
}

/* ---------------------------------------------------------------- parents */

static void layer_cache_drop(layer_ctx *c)
{
	if (c->cfd >= 0)
		close(c->cfd);
	c->cfd = -1;
	c->cpath[0] = '\0';
}

/* Takes fd as the cached directory for path; *stp (if given) gets its stat. */
static int layer_cache_set(layer_ctx *c, const char *path, int fd, struct stat *stp,
			   cpod_err *err)
{
	struct stat sbuf, *stp_ = stp ? stp : &sbuf;
	struct stat st;
	if (fstat(fd, stp_) < 0) {
		int e = errno;
		close(fd);
		return err_sysn(err, e, "stat %s", path);
	}
	st = *stp_;
	layer_cache_drop(c);
	c->cfd = fd;
	snprintf(c->cpath, sizeof(c->cpath), "%s", path);
	c->csgid = (st.st_mode & S_ISGID) != 0;
	c->cgid = st.st_gid;
	return 0;
}

/* The directory dir (a cleaned path, "" the root) as a dirfd owned by the
 * cache; created with its parents when missing and create is set. */
static int layer_parent(layer_ctx *c, const char *dir, bool create, cpod_err *err)
{
	if (c->cfd >= 0 && strcmp(dir, c->cpath) == 0)
		return c->cfd;
	int fd = fs_open_in_root(c->root, dir[0] ? dir : ".", O_PATH | O_DIRECTORY, 0, NULL);
	if (fd < 0) {
		if (errno != ENOENT || !create)
			return err_sys(err, "entry \"%s\": parent directory %s", c->quoted, dir);
		fd = fs_mkdirs_in_root(c->root, dir, 0755, err);
		if (fd < 0)
			return err_prefix(err, "entry \"%s\": parent directory", c->quoted);
		if (layer_mark_made(c, dir, err) < 0)
			return -1;
	}
	if (layer_cache_set(c, dir, fd, NULL, err) < 0)
		return -1;
	return c->cfd;
}

/* Removes what stands at pfd/base (never following it).  Any removal may
 * change what a cached path means, so the cache goes too: pfd is not to be
 * used afterwards. */
static int layer_remove(layer_ctx *c, int pfd, const char *base, cpod_err *err)
{
	struct stat st;
	int r = 0;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			r = err_sys(err, "entry \"%s\": stat", c->quoted);
	} else if (S_ISDIR(st.st_mode)) {
		if (fs_rm_tree(pfd, base, err) < 0)
			r = err_prefix(err, "entry \"%s\": remove a directory", c->quoted);
	} else if (unlinkat(pfd, base, 0) < 0 && errno != ENOENT) {
		r = err_sys(err, "entry \"%s\": remove the existing entry", c->quoted);
	}
	layer_cache_drop(c);
	return r;
}

/* ---------------------------------------------------------------- metadata */

static int layer_check_ids(layer_ctx *c, const tar_entry *e, cpod_err *err)
{
	if (e->uid >= UINT32_MAX || e->gid >= UINT32_MAX)
		return err_set(err, CPOD_E_INVALID, "entry \"%s\": uid/gid out of range",
			       c->quoted);
	return 0;
}

/* Whether a new entry in the cached parent needs a chown to e's owner. */
static bool layer_needs_chown(layer_ctx *c, const tar_entry *e)
{
	gid_t gid = c->csgid ? c->cgid : c->egid;
	return e->uid != c->euid || e->gid != gid;
}

static int layer_owner_failed(layer_ctx *c, cpod_err *err)
{
	if (c->o->rootless && (errno == EPERM || errno == EINVAL)) {
		if (!c->warned_owner)
			log_debug("layer: ownership not applied (rootless): %s", c->quoted);
		c->warned_owner = true;
		return 0;
	}
	return err_sys(err, "entry \"%s\": chown", c->quoted);
}

static bool layer_xattr_forbidden(const char *name)
{
	return strncmp(name, "trusted.overlay.", 16) == 0 ||
	       strncmp(name, "user.overlay.", 13) == 0;
}

/* fd >= 0: fsetxattr; else lsetxattr on pfd/base (not following it). */
static void layer_xattrs(layer_ctx *c, const tar_entry *e, int fd, int pfd, const char *base)
{
	char path[64 + NAME_MAX];
	if (fd < 0)
		snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", pfd, base);
	for (size_t i = 0; i < e->n_xattrs; i++) {
		const tar_xattr *x = &e->xattrs[i];
		if (layer_xattr_forbidden(x->name)) {
			log_warn("layer: entry \"%s\": xattr %s ignored (overlay internals)",
				 c->quoted, x->name);
			continue;
		}
		int r = fd >= 0 ? fsetxattr(fd, x->name, x->value, x->len, 0)
				: lsetxattr(path, x->name, x->value, x->len, 0);
		if (r < 0)
			log_warn("layer: entry \"%s\": xattr %s not set: %s", c->quoted, x->name,
				 strerror(errno));
	}
}

static void layer_times(const tar_entry *e, struct timespec ts[2])
{
	ts[0].tv_sec = ts[1].tv_sec = (time_t)e->mtime_sec;
	ts[0].tv_nsec = ts[1].tv_nsec = e->mtime_nsec < 1000000000 ? (long)e->mtime_nsec : 0;
}

/* ---------------------------------------------------------------- entries */

static int layer_write_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			return -1;
		}
		p = (const char *)p + k;
		n -= (size_t)k;
	}
	return 0;
}

static int layer_file(layer_ctx *c, const tar_entry *e, int pfd, const char *base, cpod_err *err)
{
	mode_t cmode = e->mode & 0777;
	int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, cmode);
	if (fd < 0 && errno == EEXIST) {
		if (layer_remove(c, pfd, base, err) < 0)
			return -1;
		return -2; /* the caller resolves the parent again and retries */
	}
	if (fd < 0)
		return err_sys(err, "entry \"%s\": create", c->quoted);

	int rc = -1;
	const void *p = NULL;
	ssize_t n;
	while ((n = tar_data_chunk(c->tr, &p, err)) > 0) {
		if (layer_write_all(fd, p, (size_t)n) < 0) {
			err_sys(err, "entry \"%s\": write", c->quoted);
			goto out;
		}
	}
	if (n < 0)
		goto out;
	bool chowned = false;
	if (layer_needs_chown(c, e)) {
		if (fchown(fd, (uid_t)e->uid, (gid_t)e->gid) < 0) {
			if (layer_owner_failed(c, err) < 0)
				goto out;
		} else {
			chowned = true;
		}
	}
	/* chown dropped any setuid bit: the mode goes on after it */
	if ((e->mode & 07777) != (cmode & ~c->umask) || (chowned && (e->mode & 06000))) {
		if (fchmod(fd, e->mode & 07777) < 0) {
			err_sys(err, "entry \"%s\": chmod", c->quoted);
			goto out;
		}
	}
	if (e->n_xattrs)
		layer_xattrs(c, e, fd, -1, NULL);
	struct timespec ts[2];
	layer_times(e, ts);
	if (futimens(fd, ts) < 0) {
		err_sys(err, "entry \"%s\": set times", c->quoted);
		goto out;
	}
	rc = 0;
out:
	if (close(fd) < 0 && rc == 0)
		rc = err_sys(err, "entry \"%s\": close", c->quoted);
	return rc;
}

static int layer_record_dir(layer_ctx *c, const char *path, const tar_entry *e,
			    const struct stat *st, cpod_err *err)
{
	layer_slot *s = layer_add(c, path, strlen(path), err);
	if (!s)
		return -1;
	if (s->dir < 0) {
		if (c->ndirs == c->capdirs) {
			size_t nc = c->capdirs ? c->capdirs * 2 : 1024;
			layer_dir *nd = realloc(c->dirs, nc * sizeof(*nd));
			if (!nd)
				return err_nomem(err);
			c->dirs = nd;
			c->capdirs = nc;
		}
		s->dir = (int32_t)c->ndirs++;
	}
	layer_dir *d = &c->dirs[s->dir];
	*d = (layer_dir){ s->off, e->mode & 07777, e->mtime_sec, e->mtime_nsec, st->st_dev,
			  st->st_ino, false };
	return 0;
}

static int layer_dir_entry(layer_ctx *c, const tar_entry *e, const char *path, int pfd,
			   const char *base, cpod_err *err)
{
	if (mkdirat(pfd, base, (e->mode & 0777) | 0700) < 0) {
		if (errno != EEXIST)
			return err_sys(err, "entry \"%s\": mkdir", c->quoted);
		struct stat st;
		if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return err_sys(err, "entry \"%s\": stat", c->quoted);
		if (!S_ISDIR(st.st_mode)) {
			if (layer_remove(c, pfd, base, err) < 0)
				return -1;
			return -2;
		}
		/* a directory over a directory: its metadata is updated */
	}
	int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "entry \"%s\": open", c->quoted);
	if (layer_needs_chown(c, e) && fchown(fd, (uid_t)e->uid, (gid_t)e->gid) < 0 &&
	    layer_owner_failed(c, err) < 0) {
		close(fd);
		return -1;
	}
	if (e->n_xattrs)
		layer_xattrs(c, e, fd, -1, NULL);
	/* the next entries are most likely inside it */
	struct stat st;
	if (layer_cache_set(c, path, fd, &st, err) < 0)
		return -1;
	return layer_record_dir(c, path, e, &st, err);
}

/* Symlinks, devices, fifos: created, then owner, mode and times by name. */
static int layer_node(layer_ctx *c, const tar_entry *e, int pfd, const char *base, cpod_err *err)
{
	int r;
	switch (e->type) {
	case TAR_SYMLINK:
		r = symlinkat(e->linkname, pfd, base);
		break;
	case TAR_FIFO:
		r = mknodat(pfd, base, S_IFIFO | (e->mode & 0777), 0);
		break;
	default:
		r = mknodat(pfd, base,
			    (e->type == TAR_CHAR ? S_IFCHR : S_IFBLK) | (e->mode & 0777),
			    makedev(e->devmajor, e->devminor));
		break;
	}
	if (r < 0 && errno == EEXIST) {
		if (layer_remove(c, pfd, base, err) < 0)
			return -1;
		return -2;
	}
	if (r < 0)
		return err_sys(err, "entry \"%s\": create", c->quoted);
	bool chowned = false;
	if (layer_needs_chown(c, e)) {
		if (fchownat(pfd, base, (uid_t)e->uid, (gid_t)e->gid, AT_SYMLINK_NOFOLLOW) < 0) {
			if (layer_owner_failed(c, err) < 0)
				return -1;
		} else {
			chowned = true;
		}
	}
	if (e->type != TAR_SYMLINK &&
	    ((e->mode & 07777) != (e->mode & 0777 & ~c->umask) ||
	     (chowned && (e->mode & 06000))) &&
	    fchmodat(pfd, base, e->mode & 07777, 0) < 0)
		return err_sys(err, "entry \"%s\": chmod", c->quoted);
	if (e->n_xattrs)
		layer_xattrs(c, e, -1, pfd, base);
	struct timespec ts[2];
	layer_times(e, ts);
	if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "entry \"%s\": set times", c->quoted);
	return 0;
}

static int layer_hardlink(layer_ctx *c, const tar_entry *e, int pfd, const char *dir,
			  const char *base, cpod_err *err)
{
	char target[LAYER_MAX_PATH + 1], tdir[LAYER_MAX_PATH + 1];
	const char *tbase;

	if (layer_clean(e->linkname, target, "hard link target", c->quoted, err) < 0)
		return -1;
	if (!target[0])
		return err_set(err, CPOD_E_INVALID, "entry \"%s\": hard link to the root",
			       c->quoted);
	char *slash = strrchr(target, '/');
	if (slash) {
		memcpy(tdir, target, (size_t)(slash - target));
		tdir[slash - target] = '\0';
		tbase = slash + 1;
	} else {
		tdir[0] = '\0';
		tbase = target;
	}
	int own = -1, tfd = pfd;
	if (strcmp(tdir, dir) != 0) {
		own = fs_open_in_root(c->root, tdir[0] ? tdir : ".", O_PATH | O_DIRECTORY, 0,
				      NULL);
		if (own < 0 && (errno == ENOENT || errno == ENOTDIR))
			return err_set(err, CPOD_E_INVALID,
				       "entry \"%s\": hard link to \"%s\", which does not exist",
				       c->quoted, target);
		if (own < 0)
			return err_sys(err, "entry \"%s\": hard link target \"%s\"", c->quoted,
				       target);
		tfd = own;
	}
	int rc = 0;
	if (linkat(tfd, tbase, pfd, base, 0) < 0) {
		if (errno == EEXIST) {
			struct stat a, b;
			if (fstatat(tfd, tbase, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
			    fstatat(pfd, base, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
			    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
				goto out; /* already that file */
			rc = layer_remove(c, pfd, base, err) < 0 ? -1 : -2;
		} else if (errno == ENOENT) {
			rc = err_set(err, CPOD_E_INVALID,
				     "entry \"%s\": hard link to \"%s\", which does not exist",
				     c->quoted, target);
		} else {
			rc = err_sys(err, "entry \"%s\": hard link to \"%s\"", c->quoted, target);
		}
	}
out:
	if (own >= 0)
		close(own);
	return rc;
}

/* APPLY mode, opaque directory fd at path: removes what this layer did not make. */
static int layer_opaque_apply(layer_ctx *c, int fd, const char *path, int depth, cpod_err *err)
{
	if (depth > LAYER_MAX_DEPTH)
		return err_set(err, CPOD_E_LIMIT, "entry \"%s\": directories nested too deep",
			       c->quoted);
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dfd < 0)
		return err_sys(err, "dup");
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return err_sys(err, "entry \"%s\": open directory", c->quoted);
	}
	int rc = 0;
	struct dirent *de;
	char child[LAYER_MAX_PATH + NAME_MAX + 2];
	while (rc == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(child, sizeof(child), "%s%s%s", path, path[0] ? "/" : "", de->d_name);
		if (!layer_is_made(c, child)) {
			layer_cache_drop(c);
			if (fs_rm_tree(dirfd(d), de->d_name, err) < 0)
				rc = err_prefix(err, "entry \"%s\": opaque directory", c->quoted);
			continue;
		}
		struct stat st;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			continue;
		int sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			rc = err_sys(err, "entry \"%s\": open %s", c->quoted, child);
			continue;
		}
		rc = layer_opaque_apply(c, sub, child, depth + 1, err);
		close(sub);
	}
	closedir(d);
	return rc;
}

static int layer_whiteout(layer_ctx *c, const char *dir, const char *base, cpod_err *err)
{
	if (strcmp(base, LAYER_WH_OPQ) == 0) {
		int pfd = layer_parent(c, dir, !c->apply, err);
		if (pfd < 0 && c->apply && errno == ENOENT) {
			cpod_err_clear(err); /* nothing below to hide */
			return 0;
		}
		if (pfd < 0)
			return -1;
		int fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return err_sys(err, "entry \"%s\": open its directory", c->quoted);
		int rc = 0;
		if (c->apply) {
			/* once per directory: after the first marker everything under
			 * it is this layer's, and a walk per marker would be quadratic */
			layer_slot *s = layer_add(c, dir, strlen(dir), err);
			if (!s)
				rc = -1;
			else if (!(s->flags & LAYER_OPAQUED)) {
				s->flags |= LAYER_OPAQUED;
				rc = layer_mark_made(c, dir, err);
				if (rc == 0)
					rc = layer_opaque_apply(c, fd, dir, 0, err);
			}
		} else if (fsetxattr(fd, c->opaque_xattr, "y", 1, 0) < 0) {
			rc = err_sys(err, "entry \"%s\": set %s", c->quoted, c->opaque_xattr);
		}
		close(fd);
		return rc;
	}
	if (strncmp(base, LAYER_WH_META, strlen(LAYER_WH_META)) == 0) {
		log_debug("layer: %s: AUFS metadata skipped", c->quoted);
		return 0;
	}
	const char *name = base + strlen(LAYER_WH);
	if (!name[0] || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return err_set(err, CPOD_E_INVALID, "entry \"%s\": whiteout of \"%s\" refused",
			       c->quoted, name);
	/* dir "/" name: shorter than the entry's own cleaned path */
	char path[LAYER_MAX_PATH + 1];
	size_t dl = strlen(dir), nl = strlen(name);
	if (dl + 1 + nl > LAYER_MAX_PATH)
		return err_set(err, CPOD_E_LIMIT, "entry \"%s\": path too long", c->quoted);
	memcpy(path, dir, dl);
	if (dl)
		path[dl++] = '/';
	memcpy(path + dl, name, nl + 1);
	if (c->apply) {
		if (layer_is_made(c, path))
			return 0; /* whiteouts hide lower layers only */
		int pfd = layer_parent(c, dir, false, err);
		if (pfd < 0 && errno == ENOENT) {
			cpod_err_clear(err);
			return 0;
		}
		if (pfd < 0)
			return -1;
		return layer_remove(c, pfd, name, err);
	}
	int pfd = layer_parent(c, dir, true, err);
	if (pfd < 0)
		return -1;
	if (mknodat(pfd, name, S_IFCHR, makedev(0, 0)) < 0) {
		if (errno == EEXIST) {
			log_warn(
				"layer: entry \"%s\": whiteout of an entry of the same layer ignored",
				c->quoted);
			return 0;
		}
		return err_sys(err, "entry \"%s\": create the whiteout%s", c->quoted,
			       errno == EPERM ? " (user namespaces need Linux 5.8)" : "");
	}
	return 0;
}

static int layer_entry(layer_ctx *c, const tar_entry *e, cpod_err *err)
{
	char path[LAYER_MAX_PATH + 1], dir[LAYER_MAX_PATH + 1];
	const char *base;

	layer_quote(c->quoted, sizeof(c->quoted), e->path);
	if (layer_clean(e->path, path, "path", c->quoted, err) < 0)
		return -1;
	if (!path[0]) {
		if (e->type == TAR_DIR)
			return 0; /* the root itself: the target directory is the caller's */
		return err_set(err, CPOD_E_INVALID, "entry \"%s\": not a directory at the root",
			       c->quoted);
	}
	if (strncmp(path, LAYER_WH_META, strlen(LAYER_WH_META)) == 0 &&
	    strcmp(path, LAYER_WH_OPQ) != 0) {
		/* AUFS's own metadata (.wh..wh.plnk/...), as moby skips it */
		log_debug("layer: %s: AUFS metadata skipped", c->quoted);
		return 0;
	}
	if (layer_check_ids(c, e, err) < 0)
		return -1;
	char *slash = strrchr(path, '/');
	if (slash) {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		base = slash + 1;
	} else {
		dir[0] = '\0';
		base = path;
	}
	if (strncmp(base, LAYER_WH, strlen(LAYER_WH)) == 0)
		return layer_whiteout(c, dir, base, err);
	if ((e->type == TAR_CHAR || e->type == TAR_BLOCK) && c->o->rootless &&
	    !(e->type == TAR_CHAR && e->devmajor == 0 && e->devminor == 0)) {
		log_warn("layer: entry \"%s\": device node skipped (rootless)", c->quoted);
		return 0;
	}
	if (layer_mark_made(c, path, err) < 0)
		return -1;

	for (int attempt = 0;; attempt++) {
		int pfd = layer_parent(c, dir, true, err);
		if (pfd < 0)
			return -1;
		int r;
		switch (e->type) {
		case TAR_FILE:
			r = layer_file(c, e, pfd, base, err);
			break;
		case TAR_DIR:
			r = layer_dir_entry(c, e, path, pfd, base, err);
			break;
		case TAR_HARDLINK:
			r = layer_hardlink(c, e, pfd, dir, base, err);
			break;
		default:
			r = layer_node(c, e, pfd, base, err);
			break;
		}
		if (r != -2)
			return r;
		/* what stood there was removed: once more (a second EEXIST is a race) */
		if (attempt)
			return err_set(err, CPOD_E_STATE, "entry \"%s\": keeps existing",
				       c->quoted);
		/* a removed directory had a record: it is stale now */
		layer_slot *s = layer_find(c, path, strlen(path));
		if (s && s->dir >= 0)
			c->dirs[s->dir].dead = true;
	}
}

/* Directories' final modes and mtimes, children (later entries) first. */
static int layer_finish_dirs(layer_ctx *c, cpod_err *err)
{
	layer_cache_drop(c);
	for (size_t i = c->ndirs; i-- > 0;) {
		layer_dir *d = &c->dirs[i];
		if (d->dead)
			continue;
		const char *path = c->arena + d->off;
		int fd = fs_open_in_root(c->root, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
					 NULL);
		if (fd < 0) {
			log_debug("layer: directory %s went away", path);
			continue;
		}
		struct stat st;
		int rc = 0;
		if (fstat(fd, &st) < 0) {
			rc = err_sys(err, "stat %s", path);
		} else if (st.st_dev == d->dev && st.st_ino == d->ino) {
			struct timespec ts[2] = { { (time_t)d->mtime_sec, d->mtime_nsec },
						  { (time_t)d->mtime_sec, d->mtime_nsec } };
			if (ts[0].tv_nsec >= 1000000000)
				ts[0].tv_nsec = ts[1].tv_nsec = 0;
			if ((st.st_mode & 07777) != d->mode && fchmod(fd, d->mode) < 0)
				rc = err_sys(err, "chmod %s", path);
			else if (futimens(fd, ts) < 0)
				rc = err_sys(err, "set times of %s", path);
		}
		close(fd);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static mode_t layer_get_umask(void)
{
	buf b = BUF_INIT;
	mode_t m = 022;
	if (fs_read_file(AT_FDCWD, "/proc/self/status", 64 << 10, &b, NULL) == 0) {
		const char *u = strstr(b.data, "\nUmask:");
		if (u)
			m = (mode_t)strtoul(u + 7, NULL, 8) & 0777;
	} else {
		/* no /proc: the racy way, once */
		m = umask(022);
		umask(m);
	}
	buf_free(&b);
	return m;
}

static int layer_check_expected(const char *what, const char *want, const char *got,
				cpod_err *err)
{
	if (!want || strcmp(want, got) == 0)
		return 0;
	return err_set(err, CPOD_E_INVALID, "%s mismatch: expected %s, got %s", what, want, got);
}

CPOD_INTERNAL int layer_unpack(int dirfd, const byte_source *src, const layer_opts *o,
			       layer_result *res, cpod_err *err)
{
	layer_ctx c;
	lstream *s = NULL;
	int rc = -1;

	if ((o->digest && digest_check(o->digest, "expected digest", err) < 0) ||
	    (o->diff_id && digest_check(o->diff_id, "expected diff_id", err) < 0))
		return -1;
	memset(&c, 0, sizeof(c));
	c.root = dirfd;
	c.o = o;
	c.cfd = -1;
	c.euid = geteuid();
	c.egid = getegid();
	c.umask = layer_get_umask();
	c.apply = o->whiteouts == LAYER_WHITEOUT_APPLY;
	c.opaque_xattr = o->rootless ? "user.overlay.opaque" : "trusted.overlay.opaque";

	uint64_t max = o->max_size ? o->max_size : LAYER_DEFAULT_MAX;
	lstream_opts so = { max, o->compressed_size, false };
	s = lstream_start(src, &so, err);
	if (!s)
		return -1;
	tar_chunk_source cs = { lstream_next, s };
	tar_limits lim = { .max_path = LAYER_MAX_PATH, .max_entry = max };
	c.tr = tar_reader_new_chunks(&cs, &lim, err);
	if (!c.tr)
		goto out;
	for (;;) {
		const tar_entry *e = NULL;
		int k = tar_next(c.tr, &e, err);
		if (k < 0)
			goto out;
		if (k == 0)
			break;
		if (layer_entry(&c, e, err) < 0)
			goto out;
	}
	if (layer_finish_dirs(&c, err) < 0)
		goto out;
	layer_result r;
	if (lstream_finish(s, &r, err) < 0)
		goto out;
	if (layer_check_expected("layer digest", o->digest, r.digest, err) < 0 ||
	    layer_check_expected("layer diff_id", o->diff_id, r.diff_id, err) < 0)
		goto out;
	if (res)
		*res = r;
	rc = 0;
out:
	layer_cache_drop(&c);
	tar_reader_free(c.tr);
	lstream_free(s);
	free(c.arena);
	free(c.slots);
	free(c.dirs);
	return rc;
}

CPOD_INTERNAL int layer_digest(const byte_source *src, layer_result *res, cpod_err *err)
{
	lstream_opts so = { 0, 0, true };
	lstream *s = lstream_start(src, &so, err);
	if (!s)
		return -1;
	int rc = lstream_finish(s, res, err);
	lstream_free(s);
	return rc;
}
