/*
 * tar_write.c — the tar writer (see tar.h): POSIX ustar headers, preceded
 * by a PAX 'x' header only for what does not fit them (long names and
 * links, sizes from 8 GiB, ids from 2^21, long user names, mtimes before
 * 1970 or with a fraction, xattrs), so the output reads everywhere and is
 * the same bytes for the same input (layer digests must be reproducible).
 *
 * tar_write_file turns a file on disk into an entry: hard links become
 * links to the first name written for the inode; xattrs are copied except
 * the overlay's own (trusted.overlay.*, user.overlay.*: whiteouts and
 * redirects are the layer packer's business) and security.selinux (a label
 * of this host, not of the image); sockets are skipped, as GNU tar does.
 */
#include "tar.h"
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#define TARW_BLKSZ 512
#define TARW_BUF (256 << 10)
#define TARW_XATTR_LIST_MAX (64 << 10)
#define TARW_XATTR_VALUE_MAX (64 << 10)
#define TARW_MAX_XATTRS 128

typedef struct tarw_link {
	dev_t dev;
	ino_t ino;
	char *name;
} tarw_link;

struct tar_writer {
	tar_sink sink;
	int fd;
	unsigned char *buf;
	size_t len;
	uint64_t offset;          /* bytes handed to the sink or buffered */
	uint64_t left, pad;       /* the current file's data still owed, then its padding */
	bool failed;
	buf pax;
	tarw_link *links;         /* open addressing on (dev, ino) */
	size_t n_links, cap_links;
};

/* ---------------------------------------------------------------- output */

static int tarw_fd_write(void *ctx, const void *data, size_t n, cpod_err *err)
{
	int fd = *(int *)ctx;
	const char *p = data;
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return err_sys(err, "write archive");
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int tarw_flush(tar_writer *w, cpod_err *err)
{
	if (w->len == 0)
		return 0;
	if (w->sink.write(w->sink.ctx, w->buf, w->len, err) < 0) {
		w->failed = true;
		return -1;
	}
	w->len = 0;
	return 0;
}

static int tarw_put(tar_writer *w, const void *data, size_t n, cpod_err *err)
{
	if (w->failed)
		return err_set(err, CPOD_E_STATE, "tar writer: an earlier error stopped it");
	w->offset += n;
	if (w->len + n > TARW_BUF) {
		if (tarw_flush(w, err) < 0)
			return -1;
		if (n >= TARW_BUF) {
			if (w->sink.write(w->sink.ctx, data, n, err) < 0) {
				w->failed = true;
				return -1;
			}
			return 0;
		}
	}
	memcpy(w->buf + w->len, data, n);
	w->len += n;
	return 0;
}

static int tarw_zeros(tar_writer *w, size_t n, cpod_err *err)
{
	static const unsigned char zero[TARW_BLKSZ];
	while (n) {
		size_t k = n < sizeof(zero) ? n : sizeof(zero);
		if (tarw_put(w, zero, k, err) < 0)
			return -1;
		n -= k;
	}
	return 0;
}

/* ---------------------------------------------------------------- headers */

/* An octal field of width n (n-1 digits and a NUL); false when it does not fit. */
static bool tarw_octal(unsigned char *f, size_t n, uint64_t v)
{
	f[n - 1] = 0;
	for (size_t i = n - 1; i-- > 0;) {
		f[i] = (unsigned char)('0' + (v & 7));
		v >>= 3;
	}
	return v == 0;
}

static bool tarw_fits_octal(uint64_t v, size_t n)
{
	return (n - 1) * 3 >= 64 || v < ((uint64_t)1 << ((n - 1) * 3));
}

static int tarw_record(buf *b, const char *key, const void *val, size_t vlen, cpod_err *err)
{
	size_t body = strlen(key) + vlen + 3, digits = 1;
	for (size_t p = 10; body + digits >= p; p *= 10)
		digits++;
	if (buf_printf(b, err, "%zu %s=", body + digits, key) < 0 ||
	    buf_append(b, val, vlen, err) < 0 || buf_putc(b, '\n', err) < 0)
		return -1;
	return 0;
}

/* Splits path into a ustar prefix (<= 155) and name (<= 100) at a '/'. */
static bool tarw_split(const char *path, size_t len, size_t *cut)
{
	if (len <= 100) {
		*cut = 0;
		return true;
	}
	for (size_t i = len - 1; i > 0; i--) {
		if (path[i] != '/')
			continue;
		if (i <= 155 && len - i - 1 <= 100 && len - i - 1 > 0) {
			*cut = i;
			return true;
		}
		if (len - i - 1 > 100)
			break;
	}
	return false;
}

static int tarw_block(tar_writer *w, unsigned char *h, cpod_err *err)
{
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < TARW_BLKSZ; i++)
		sum += h[i];
	tarw_octal(h + 148, 7, sum);
	h[155] = ' ';
	return tarw_put(w, h, TARW_BLKSZ, err);
}

static void tarw_fill_common(unsigned char *h, uint32_t mode, uint64_t uid, uint64_t gid,
			     uint64_t size, int64_t mtime, char type)
{
	tarw_octal(h + 100, 8, mode & 07777);
	tarw_octal(h + 108, 8, tarw_fits_octal(uid, 8) ? uid : 0);
	tarw_octal(h + 116, 8, tarw_fits_octal(gid, 8) ? gid : 0);
	tarw_octal(h + 124, 12, tarw_fits_octal(size, 12) ? size : 0);
	tarw_octal(h + 136, 12,
		   mtime >= 0 && tarw_fits_octal((uint64_t)mtime, 12) ? (uint64_t)mtime : 0);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar\0" "00", 8);
}

CPOD_INTERNAL int tar_write_header(tar_writer *w, const tar_entry *e, cpod_err *err)
{
	unsigned char h[TARW_BLKSZ];
	size_t plen = strlen(e->path), llen = e->linkname ? strlen(e->linkname) : 0, cut = 0;
	size_t ulen = e->uname ? strlen(e->uname) : 0, glen = e->gname ? strlen(e->gname) : 0;
	bool is_file = e->type == TAR_FILE,
	     is_link = e->type == TAR_SYMLINK || e->type == TAR_HARDLINK;
	uint64_t size = is_file ? e->size : 0;

	if (w->failed)
		return err_set(err, CPOD_E_STATE, "tar writer: an earlier error stopped it");
	if (w->left)
		return err_set(err, CPOD_E_STATE,
			       "tar writer: %" PRIu64 " bytes of the previous entry missing",
			       w->left);
	if (plen == 0)
		return err_set(err, CPOD_E_INVALID, "tar writer: empty name");
	if (is_link && llen == 0)
		return err_set(err, CPOD_E_INVALID, "tar writer: %s: link without a target",
			       e->path);
	if (!strchr("0123456", e->type) || e->type == 0)
		return err_set(err, CPOD_E_INVALID, "tar writer: %s: unknown type '%c'", e->path,
			       e->type);
	if (!tarw_fits_octal(e->devmajor, 8) || !tarw_fits_octal(e->devminor, 8))
		return err_set(err, CPOD_E_INVALID, "tar writer: %s: device number too large",
			       e->path);

	/* the PAX records what the ustar fields cannot hold */
	buf_reset(&w->pax);
	bool name_fits = tarw_split(e->path, plen, &cut);
	if (!name_fits && tarw_record(&w->pax, "path", e->path, plen, err) < 0)
		return -1;
	if (is_link && llen > 100 && tarw_record(&w->pax, "linkpath", e->linkname, llen, err) < 0)
		return -1;
	char num[48];
	if (!tarw_fits_octal(size, 12)) {
		snprintf(num, sizeof(num), "%" PRIu64, size);
		if (tarw_record(&w->pax, "size", num, strlen(num), err) < 0)
			return -1;
	}
	if (!tarw_fits_octal(e->uid, 8)) {
		snprintf(num, sizeof(num), "%" PRIu64, e->uid);
		if (tarw_record(&w->pax, "uid", num, strlen(num), err) < 0)
			return -1;
	}
	if (!tarw_fits_octal(e->gid, 8)) {
		snprintf(num, sizeof(num), "%" PRIu64, e->gid);
		if (tarw_record(&w->pax, "gid", num, strlen(num), err) < 0)
			return -1;
	}
	if (ulen > 31 && tarw_record(&w->pax, "uname", e->uname, ulen, err) < 0)
		return -1;
	if (glen > 31 && tarw_record(&w->pax, "gname", e->gname, glen, err) < 0)
		return -1;
	if (e->mtime_nsec || e->mtime_sec < 0 || !tarw_fits_octal((uint64_t)e->mtime_sec, 12)) {
		int64_t s = e->mtime_sec;
		uint32_t ns = e->mtime_nsec % 1000000000u;
		int n;
		if (s < 0 && ns) /* -1.5 s is stored as sec -2, nsec 500000000 */
			n = snprintf(num, sizeof(num), "-%" PRIu64 ".%09" PRIu32,
				     (uint64_t)(-(s + 1)), 1000000000u - ns);
		else
			n = snprintf(num, sizeof(num), "%" PRId64 ".%09" PRIu32, s, ns);
		while (n > 0 && num[n - 1] == '0')
			num[--n] = '\0';
		if (n > 0 && num[n - 1] == '.')
			num[--n] = '\0';
		if (tarw_record(&w->pax, "mtime", num, (size_t)n, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < e->n_xattrs; i++) {
		char key[13 + 256];
		const tar_xattr *x = &e->xattrs[i];
		if (!x->name[0] || strlen(x->name) > 255)
			return err_set(err, CPOD_E_INVALID, "tar writer: %s: bad xattr name",
				       e->path);
		snprintf(key, sizeof(key), "SCHILY.xattr.%s", x->name);
		if (tarw_record(&w->pax, key, x->value, x->len, err) < 0)
			return -1;
	}

	int64_t mtime_field = e->mtime_sec;
	if (w->pax.len) {
		const char *base = strrchr(e->path, '/');
		base = base && base[1] ? base + 1 : e->path;
		memset(h, 0, sizeof(h));
		snprintf((char *)h, 100, "PaxHeaders/%.88s", base);
		tarw_fill_common(h, 0644, 0, 0, w->pax.len, mtime_field, 'x');
		if (tarw_block(w, h, err) < 0 || tarw_put(w, w->pax.data, w->pax.len, err) < 0 ||
		    tarw_zeros(w, (TARW_BLKSZ - w->pax.len % TARW_BLKSZ) % TARW_BLKSZ, err) < 0)
			return -1;
	}

	memset(h, 0, sizeof(h));
	if (!name_fits) {
		memcpy(h, e->path, 100);
	} else if (cut) {
		memcpy(h + 345, e->path, cut);
		memcpy(h, e->path + cut + 1, plen - cut - 1);
	} else {
		memcpy(h, e->path, plen);
	}
	tarw_fill_common(h, e->mode, e->uid, e->gid, size, mtime_field, e->type);
	if (is_link)
		memcpy(h + 157, e->linkname, llen > 100 ? 100 : llen);
	memcpy(h + 265, e->uname ? e->uname : "", ulen > 31 ? 31 : ulen);
	memcpy(h + 297, e->gname ? e->gname : "", glen > 31 ? 31 : glen);
	if (e->type == TAR_CHAR || e->type == TAR_BLOCK) {
		tarw_octal(h + 329, 8, e->devmajor);
		tarw_octal(h + 337, 8, e->devminor);
	}
	if (tarw_block(w, h, err) < 0)
		return -1;
	w->left = size;
	w->pad = (TARW_BLKSZ - size % TARW_BLKSZ) % TARW_BLKSZ;
	return 0;
}

CPOD_INTERNAL int tar_write_data(tar_writer *w, const void *data, size_t n, cpod_err *err)
{
	if (n > w->left)
		return err_set(err, CPOD_E_INVALID,
			       "tar writer: %zu bytes of data for %" PRIu64 " owed", n, w->left);
	if (tarw_put(w, data, n, err) < 0)
		return -1;
	w->left -= n;
	if (w->left == 0 && w->pad) {
		size_t pad = (size_t)w->pad;
		w->pad = 0;
		return tarw_zeros(w, pad, err);
	}
	return 0;
}

/* ---------------------------------------------------------------- files on disk */

static size_t tarw_link_slot(const tar_writer *w, dev_t dev, ino_t ino)
{
	uint64_t h =
		((uint64_t)ino * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)dev * 0xC2B2AE3D27D4EB4FULL);
	size_t i = (size_t)(h >> 20) & (w->cap_links - 1);
	while (w->links[i].name && !(w->links[i].dev == dev && w->links[i].ino == ino))
		i = (i + 1) & (w->cap_links - 1);
	return i;
}

/* The first name written for (dev, ino), or NULL after recording name. */
static int tarw_link_seen(tar_writer *w, dev_t dev, ino_t ino, const char *name,
			  const char **first, cpod_err *err)
{
	*first = NULL;
	if (w->n_links * 2 >= w->cap_links) {
		size_t nc = w->cap_links ? w->cap_links * 2 : 256;
		tarw_link *old = w->links;
		size_t oc = w->cap_links;
		w->links = calloc(nc, sizeof(*w->links));
		if (!w->links) {
			w->links = old;
			return err_nomem(err);
		}
		w->cap_links = nc;
		for (size_t i = 0; i < oc; i++)
			if (old[i].name)
				w->links[tarw_link_slot(w, old[i].dev, old[i].ino)] = old[i];
		free(old);
	}
	size_t i = tarw_link_slot(w, dev, ino);
	if (w->links[i].name) {
		*first = w->links[i].name;
		return 0;
	}
	char *copy = strdup(name);
	if (!copy)
		return err_nomem(err);
	w->links[i] = (tarw_link){ dev, ino, copy };
	w->n_links++;
	return 0;
}

static bool tarw_skip_xattr(const char *name)
{
	return strncmp(name, "trusted.overlay.", 16) == 0 ||
	       strncmp(name, "user.overlay.", 13) == 0 || strcmp(name, "security.selinux") == 0;
}

typedef struct tarw_xattrs {
	char *names;              /* the list, NUL-separated */
	char *values;             /* concatenated */
	tar_xattr x[TARW_MAX_XATTRS];
	size_t n;
} tarw_xattrs;

/* Reads the xattrs of fd (or of path when fd < 0, not following it). */
static int tarw_read_xattrs(int fd, const char *path, tarw_xattrs *xs, cpod_err *err)
{
	ssize_t ln = fd >= 0 ? flistxattr(fd, NULL, 0) : llistxattr(path, NULL, 0);
	xs->n = 0;
	if (ln < 0) {
		if (errno == ENOTSUP || errno == ENOENT || errno == EPERM || errno == EACCES)
			return 0;
		return err_sys(err, "list xattrs");
	}
	if (ln == 0)
		return 0;
	if (ln > TARW_XATTR_LIST_MAX)
		return err_set(err, CPOD_E_LIMIT, "xattr list of %zd bytes", ln);
	xs->names = malloc((size_t)ln + 1);
	if (!xs->names)
		return err_nomem(err);
	ln = fd >= 0 ? flistxattr(fd, xs->names, (size_t)ln)
		     : llistxattr(path, xs->names, (size_t)ln);
	if (ln < 0)
		return err_sys(err, "list xattrs");
	xs->names[ln] = '\0';

	/* values: sizes first, then one buffer */
	size_t total = 0;
	ssize_t sizes[TARW_MAX_XATTRS];
	for (char *n = xs->names; n < xs->names + ln; n += strlen(n) + 1) {
		if (!*n || tarw_skip_xattr(n))
			continue;
		if (xs->n >= TARW_MAX_XATTRS)
			return err_set(err, CPOD_E_LIMIT, "more than %d xattrs", TARW_MAX_XATTRS);
		ssize_t vl = fd >= 0 ? fgetxattr(fd, n, NULL, 0) : lgetxattr(path, n, NULL, 0);
		if (vl < 0) {
			if (errno == ENODATA)
				continue;
			return err_sys(err, "read xattr %s", n);
		}
		if (vl > TARW_XATTR_VALUE_MAX)
			return err_set(err, CPOD_E_LIMIT, "xattr %s of %zd bytes", n, vl);
		sizes[xs->n] = vl;
		xs->x[xs->n].name = n;
		xs->n++;
		total += (size_t)vl;
	}
	xs->values = malloc(total + 1);
	if (!xs->values)
		return err_nomem(err);
	size_t off = 0, kept = 0;
	for (size_t i = 0; i < xs->n; i++) {
		const char *n = xs->x[i].name;
		ssize_t vl = fd >= 0 ? fgetxattr(fd, n, xs->values + off, (size_t)sizes[i])
				     : lgetxattr(path, n, xs->values + off, (size_t)sizes[i]);
		if (vl < 0) {
			if (errno == ENODATA)
				continue;
			/* ERANGE: it grew in between; a changing file is an error anyway */
			return err_sys(err, "read xattr %s", n);
		}
		xs->x[kept].name = n;
		xs->x[kept].value = xs->values + off;
		xs->x[kept].len = (size_t)vl;
		kept++;
		off += (size_t)vl;
	}
	xs->n = kept;
	return 0;
}

static int tarw_copy_data(tar_writer *w, int fd, uint64_t size, cpod_err *err)
{
	while (w->left) {
		/* read straight into the writer's buffer */
		if (w->len == TARW_BUF && tarw_flush(w, err) < 0)
			return -1;
		size_t room = TARW_BUF - w->len;
		if (room > w->left)
			room = (size_t)w->left;
		ssize_t n = read(fd, w->buf + w->len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(err, "read");
		if (n == 0)
			return err_set(err, CPOD_E_STATE, "file shrank while it was read (%" PRIu64
				       " of %" PRIu64 " bytes)", size - w->left, size);
		w->len += (size_t)n;
		w->offset += (uint64_t)n;
		w->left -= (uint64_t)n;
	}
	size_t pad = (size_t)w->pad;
	w->pad = 0;
	return tarw_zeros(w, pad, err);
}

CPOD_INTERNAL int tar_write_file(tar_writer *w, int dirfd, const char *path, const char *name,
				 cpod_err *err)
{
	struct stat st;
	tar_entry e;
	tarw_xattrs xs = { 0 };
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *target = NULL;
	char procpath[64 + PATH_MAX];
	char dirname_[PATH_MAX];
	int rc = -1;

	if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "stat %s", path);
	memset(&e, 0, sizeof(e));
	e.path = name;
	e.mode = st.st_mode & 07777;
	e.uid = st.st_uid;
	e.gid = st.st_gid;
	e.uname = e.gname = "";
	e.mtime_sec = st.st_mtim.tv_sec;
	e.mtime_nsec = (uint32_t)st.st_mtim.tv_nsec;
	/* xattrs of what cannot be opened (symlinks, devices, fifos) by path:
	 * through the directory's fd, not following the last component */
	if (dirfd == AT_FDCWD || path[0] == '/')
		snprintf(procpath, sizeof(procpath), "%s", path);
	else
		snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d/%s", dirfd, path);

	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		if (st.st_nlink > 1) {
			const char *first;
			if (tarw_link_seen(w, st.st_dev, st.st_ino, name, &first, err) < 0)
				goto out;
			if (first) {
				e.type = TAR_HARDLINK;
				e.linkname = first;
				break;
			}
		}
		fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			err_sys(err, "open %s", path);
			goto out;
		}
		e.type = TAR_FILE;
		e.size = (uint64_t)st.st_size;
		break;
	case S_IFDIR: {
		fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			err_sys(err, "open %s", path);
			goto out;
		}
		e.type = TAR_DIR;
		size_t nl = strlen(name);
		if (nl && name[nl - 1] != '/') {
			if (nl + 2 > sizeof(dirname_)) {
				err_set(err, CPOD_E_LIMIT, "name too long: %s", name);
				goto out;
			}
			memcpy(dirname_, name, nl);
			memcpy(dirname_ + nl, "/", 2);
			e.path = dirname_;
		}
		break;
	}
	case S_IFLNK: {
		target = malloc(PATH_MAX);
		if (!target) {
			err_nomem(err);
			goto out;
		}
		ssize_t n = readlinkat(dirfd, path, target, PATH_MAX - 1);
		if (n < 0) {
			err_sys(err, "readlink %s", path);
			goto out;
		}
		target[n] = '\0';
		e.type = TAR_SYMLINK;
		e.linkname = target;
		break;
	}
	case S_IFCHR:
	case S_IFBLK:
		e.type = S_ISCHR(st.st_mode) ? TAR_CHAR : TAR_BLOCK;
		e.devmajor = major(st.st_rdev);
		e.devminor = minor(st.st_rdev);
		break;
	case S_IFIFO:
		e.type = TAR_FIFO;
		break;
	default:
		log_debug("tar: %s: socket ignored", path);
		return 0;
	}
	if (e.type != TAR_HARDLINK) {
		if (tarw_read_xattrs(fd, fd >= 0 ? NULL : procpath, &xs, err) < 0) {
			err_prefix(err, "%s", path);
			goto out;
		}
		e.xattrs = xs.x;
		e.n_xattrs = xs.n;
	}
	if (tar_write_header(w, &e, err) < 0)
		goto out;
	if (e.type == TAR_FILE && tarw_copy_data(w, fd, e.size, err) < 0) {
		err_prefix(err, "%s", path);
		goto out;
	}
	rc = 0;
out:
	free(xs.names);
	free(xs.values);
	return rc;
}

/* ---------------------------------------------------------------- life cycle */

CPOD_INTERNAL uint64_t tar_writer_offset(const tar_writer *w)
{
	return w->offset;
}

CPOD_INTERNAL tar_writer *tar_writer_new_sink(const tar_sink *sink, cpod_err *err)
{
	tar_writer *w = calloc(1, sizeof(*w));
	if (w)
		w->buf = malloc(TARW_BUF);
	if (!w || !w->buf) {
		free(w);
		err_nomem(err);
		return NULL;
	}
	w->sink = *sink;
	w->fd = -1;
	return w;
}

CPOD_INTERNAL tar_writer *tar_writer_new(int out_fd, cpod_err *err)
{
	tar_sink s = { tarw_fd_write, NULL };
	tar_writer *w = tar_writer_new_sink(&s, err);
	if (w) {
		w->fd = out_fd;
		w->sink.ctx = &w->fd;
	}
	return w;
}

CPOD_INTERNAL void tar_writer_free(tar_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->cap_links; i++)
		free(w->links[i].name);
	free(w->links);
	buf_free(&w->pax);
	free(w->buf);
	free(w);
}

CPOD_INTERNAL int tar_writer_finish(tar_writer *w, cpod_err *err)
{
	int rc = 0;
	if (w->left) {
		rc = err_set(err, CPOD_E_STATE,
			     "tar writer: %" PRIu64 " bytes of the last entry missing", w->left);
	} else if (tarw_zeros(w, 2 * TARW_BLKSZ, err) < 0 || tarw_flush(w, err) < 0) {
		rc = -1;
	}
	tar_writer_free(w);
	return rc;
}
