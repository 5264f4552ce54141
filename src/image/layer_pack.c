/*
 * layer_pack.c — a directory tree written as a layer tar (see layer.h):
 * the inverse of unpacking in LAYER_WHITEOUT_OVERLAY mode, for commit and
 * export.
 *
 * The walk is depth first with each directory's names in byte order, the
 * order of `tar --sort=name`, so the same tree gives the same bytes and
 * digests.  The root itself gets no entry.  An overlay whiteout (a 0:0
 * character device) becomes an empty ".wh.NAME" file; an opaque directory
 * (trusted.overlay.opaque or user.overlay.opaque = "y") is written without
 * that xattr, followed at once by its ".wh..wh..opq" entry.  Compression is
 * zlib's gzip at LAYER_PACK_LEVEL; both digests are computed as the bytes
 * go out.
 */
#include "layer.h"
#include <dirent.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <zlib.h>

#define LAYER_PACK_LEVEL 6
#define LAYER_PACK_OUT (256 << 10)
#define LAYER_PACK_DEPTH 256

typedef struct lpack {
	int out_fd;
	bool compress;
	z_stream z;
	unsigned char *zbuf;
	digest_ctx dc, du;
	uint64_t size, csize;
} lpack;

static int lpack_write_out(lpack *p, const void *data, size_t n, cpod_err *err)
{
	const char *q = data;
	if (p->compress)
		digest_update(&p->dc, data, n);
	p->csize += n;
	while (n) {
		ssize_t k = write(p->out_fd, q, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return err_sys(err, "write layer");
		q += k;
		n -= (size_t)k;
	}
	return 0;
}

static int lpack_deflate(lpack *p, const void *data, size_t n, int flush, cpod_err *err)
{
	p->z.next_in = (unsigned char *)(uintptr_t)data;
	p->z.avail_in = (uInt)n;
	for (;;) {
		p->z.next_out = p->zbuf;
		p->z.avail_out = LAYER_PACK_OUT;
		int zr = deflate(&p->z, flush);
		if (zr == Z_STREAM_ERROR)
			return err_set(err, CPOD_E_STATE, "gzip: deflate failed");
		size_t have = LAYER_PACK_OUT - p->z.avail_out;
		if (have && lpack_write_out(p, p->zbuf, have, err) < 0)
			return -1;
		if (flush == Z_FINISH ? zr == Z_STREAM_END
				      : p->z.avail_in == 0 && p->z.avail_out != 0)
			return 0;
	}
}

static int lpack_sink(void *ctx, const void *data, size_t n, cpod_err *err)
{
	lpack *p = ctx;
	digest_update(&p->du, data, n);
	p->size += n;
	if (!p->compress)
		return lpack_write_out(p, data, n, err);
	/* avail_in is 32 bits */
	const char *q = data;
	while (n) {
		size_t k = n > (1u << 30) ? (1u << 30) : n;
		if (lpack_deflate(p, q, k, Z_NO_FLUSH, err) < 0)
			return -1;
		q += k;
		n -= k;
	}
	return 0;
}

static int lpack_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dfd, sorted; *n set. */
static char **lpack_list(int dfd, size_t *n, cpod_err *err)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err_sys(err, "open directory");
		return NULL;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		err_sys(err, "open directory");
		return NULL;
	}
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	bool failed = false;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char **nv = realloc(v, nc * sizeof(*nv));
			if (!nv) {
				failed = true;
				break;
			}
			v = nv;
			cap = nc;
		}
		if (!(v[cnt] = strdup(de->d_name))) {
			failed = true;
			break;
		}
		cnt++;
	}
	closedir(d);
	if (failed) {
		for (size_t i = 0; i < cnt; i++)
			free(v[i]);
		free(v);
		err_nomem(err);
		return NULL;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), lpack_cmp);
	*n = cnt;
	if (!v)
		v = calloc(1, sizeof(*v));
	if (!v)
		err_nomem(err);
	return v;
}

static bool lpack_opaque(int fd)
{
	char v[2];
	ssize_t n = fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v));
	if (n != 1 || v[0] != 'y')
		n = fgetxattr(fd, "user.overlay.opaque", v, sizeof(v));
	return n == 1 && v[0] == 'y';
}

/* An empty regular file named name, with st's owner and mtime (a marker). */
static int lpack_marker(tar_writer *w, const char *name, const struct stat *st, cpod_err *err)
{
	tar_entry e;
	memset(&e, 0, sizeof(e));
	e.path = name;
	e.type = TAR_FILE;
	e.uid = st->st_uid;
	e.gid = st->st_gid;
	e.uname = e.gname = "";
	e.mtime_sec = st->st_mtim.tv_sec;
	e.mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	return tar_write_header(w, &e, err);
}

static int lpack_walk(tar_writer *w, int dfd, const char *prefix, int depth, cpod_err *err)
{
	size_t n = 0;
	int rc = 0;

	if (depth > LAYER_PACK_DEPTH)
		return err_set(err, CPOD_E_LIMIT, "%s: directories nested too deep", prefix);
	char **names = lpack_list(dfd, &n, err);
	if (!names)
		return err_prefix(err, "%s", prefix[0] ? prefix : ".");
	for (size_t i = 0; i < n && rc == 0; i++) {
		char name[PATH_MAX];
		struct stat st;
		const char *base = names[i];
		if ((size_t)snprintf(name, sizeof(name), "%s%s", prefix, base) >=
		    sizeof(name) - 16) {
			rc = err_set(err, CPOD_E_LIMIT, "path too long: %s%s", prefix, base);
			break;
		}
		if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = err_sys(err, "stat %s", name);
			break;
		}
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
			char wh[PATH_MAX + 8];
			snprintf(wh, sizeof(wh), "%s.wh.%s", prefix, base);
			rc = lpack_marker(w, wh, &st, err);
			continue;
		}
		rc = tar_write_file(w, dfd, base, name, err);
		if (rc < 0 || !S_ISDIR(st.st_mode))
			continue;
		int sub = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			rc = err_sys(err, "open %s", name);
			break;
		}
		size_t nl = strlen(name);
		name[nl] = '/';
		name[nl + 1] = '\0';
		if (lpack_opaque(sub)) {
			char opq[PATH_MAX + 16];
			snprintf(opq, sizeof(opq), "%s.wh..wh..opq", name);
			rc = lpack_marker(w, opq, &st, err);
		}
		if (rc == 0)
			rc = lpack_walk(w, sub, name, depth + 1, err);
		close(sub);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

CPOD_INTERNAL int layer_pack(int dirfd, int out_fd, bool compress, layer_result *res,
			     cpod_err *err)
{
	lpack p;
	int rc = -1;

	memset(&p, 0, sizeof(p));
	p.out_fd = out_fd;
	p.compress = compress;
	digest_init(&p.dc);
	digest_init(&p.du);
	if (compress) {
		p.zbuf = malloc(LAYER_PACK_OUT);
		if (!p.zbuf)
			return err_nomem(err);
		/* gzip wrapper, no name or time in its header: reproducible */
		if (deflateInit2(&p.z, LAYER_PACK_LEVEL, Z_DEFLATED, 16 + MAX_WBITS, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK) {
			free(p.zbuf);
			return err_set(err, CPOD_E_NOMEM, "gzip: cannot initialise zlib");
		}
	}
	tar_sink sink = { lpack_sink, &p };
	tar_writer *w = tar_writer_new_sink(&sink, err);
	if (!w)
		goto out;
	if (lpack_walk(w, dirfd, "", 0, err) < 0) {
		tar_writer_free(w);
		goto out;
	}
	if (tar_writer_finish(w, err) < 0)
		goto out;
	if (compress && lpack_deflate(&p, NULL, 0, Z_FINISH, err) < 0)
		goto out;
	if (res) {
		memset(res, 0, sizeof(*res));
		digest_final(&p.du, res->diff_id);
		if (compress)
			digest_final(&p.dc, res->digest);
		else
			memcpy(res->digest, res->diff_id, sizeof(res->digest));
		res->size = p.size;
		res->compressed_size = p.csize;
		res->compression = compress ? LAYER_GZIP : LAYER_PLAIN;
	}
	rc = 0;
out:
	if (compress)
		deflateEnd(&p.z);
	free(p.zbuf);
	return rc;
}
