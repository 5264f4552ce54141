/*
 * test_layer.c — layer unpacking and packing, and the SHA-256 hardware path.
 *
 * Layers are built in the test itself (tar_writer into memory, or raw
 * header blocks for what no writer would produce), compressed with zlib
 * when the test wants gzip, and unpacked from memory.  The hostile cases
 * unpack into TMP/target, next to TMP/outside (holding a file "secret"),
 * and check both the error (it must name the entry) and that nothing
 * outside the target changed (a listing of TMP without target/ taken
 * before and after); symlink escapes aim at that sibling directory, by
 * relative and by absolute path, and are run under both resolvers (openat2
 * and the fallback walk).  GNU tar is the reference for what an archive
 * means: archives it made are unpacked by cpod and by it, and the trees
 * compared.  Unit tests run as root; rootless behaviour (devices skipped,
 * user.overlay.opaque) is asked for with opts.rootless.
 *
 * Each test works in its own directory under /tmp and removes it; the work
 * happens in a *_body function so that a failed CHECK still reaches the
 * cleanup.
 */
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <zlib.h>

/* ---------------------------------------------------------------- helpers */

static void tl_fmt(char *out, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void tl_fmt(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, size, fmt, ap);
	va_end(ap);
}

static int tl_sh(const char *fmt, ...) PRINTF_LIKE(1, 2);
static int tl_sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

typedef struct tl_mem {
	const char *p;
	size_t n, off;
} tl_mem;

static ssize_t tl_mem_read(void *ctx, void *data, size_t n, cpod_err *err)
{
	tl_mem *m = ctx;
	size_t k = m->n - m->off < n ? m->n - m->off : n;
	memcpy(data, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

static int tl_sink(void *ctx, const void *data, size_t n, cpod_err *err)
{
	return buf_append(ctx, data, n, err);
}

/* A layer being written into memory. */
typedef struct tl_tar {
	buf b;
	tar_writer *w;
} tl_tar;

static void tl_begin(tl_tar *t)
{
	tar_sink s = { tl_sink, &t->b };
	memset(&t->b, 0, sizeof(t->b));
	t->w = tar_writer_new_sink(&s, NULL);
}

static void tl_add(tl_tar *t, const tar_entry *e, const char *data)
{
	tar_entry x = *e;
	if (data && !x.size)
		x.size = strlen(data);
	if (!x.type)
		x.type = TAR_FILE;
	if (!x.mode)
		x.mode = x.type == TAR_DIR ? 0755 : 0644;
	if (!x.mtime_sec)
		x.mtime_sec = 1600000000;
	if (tar_write_header(t->w, &x, NULL) < 0) {
		fprintf(stderr, "tl_add %s: header refused\n", x.path);
		return;
	}
	if (x.type == TAR_FILE && x.size)
		tar_write_data(t->w, data, x.size, NULL);
}

static void tl_file(tl_tar *t, const char *path, const char *data)
{
	tl_add(t, &(tar_entry){ .path = path }, data ? data : "");
}

static void tl_dir(tl_tar *t, const char *path)
{
	tl_add(t, &(tar_entry){ .path = path, .type = TAR_DIR }, NULL);
}

static void tl_link(tl_tar *t, const char *path, char type, const char *target)
{
	tl_add(t, &(tar_entry){ .path = path, .type = type, .linkname = target, .mode = 0777 },
	       NULL);
}

/* Ends the archive; the caller frees t->b. */
static void tl_end(tl_tar *t)
{
	tar_writer_finish(t->w, NULL);
	t->w = NULL;
}

/* A raw ustar header block, for what the writer would not produce. */
static void tl_raw(buf *b, const char *name, char type, uint64_t size)
{
	unsigned char h[512];
	unsigned sum = 0;
	memset(h, 0, sizeof(h));
	memcpy(h, name, strlen(name) > 100 ? 100 : strlen(name));
	snprintf((char *)h + 100, 8, "%07o", 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011" PRIo64, size);
	snprintf((char *)h + 136, 12, "%011o", 1600000000);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar\0" "00", 8);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	buf_append(b, h, sizeof(h), NULL);
}

static void tl_raw_fix(unsigned char *h)
{
	unsigned sum = 0;
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

/* gzip of in (one member) appended to out. */
static void tl_gzip(const void *in, size_t n, buf *out, int level)
{
	z_stream z;
	unsigned char tmp[1 << 16];
	memset(&z, 0, sizeof(z));
	deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	int r;
	do {
		z.next_out = tmp;
		z.avail_out = sizeof(tmp);
		r = deflate(&z, Z_FINISH);
		buf_append(out, tmp, sizeof(tmp) - z.avail_out, NULL);
	} while (r != Z_STREAM_END);
	deflateEnd(&z);
}

static int tl_unpack_blob(const char *dir, const void *blob, size_t n, const layer_opts *o,
			  layer_result *res, cpod_err *err)
{
	tl_mem m = { blob, n, 0 };
	byte_source s = { tl_mem_read, &m };
	layer_opts def;
	layer_result r;
	memset(&def, 0, sizeof(def));
	cpod_err_clear(err);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", dir);
	int rc = layer_unpack(fd, &s, o ? o : &def, res ? res : &r, err);
	close(fd);
	return rc;
}

static int tl_unpack(const char *dir, const buf *b, const layer_opts *o, cpod_err *err)
{
	return tl_unpack_blob(dir, b->data, b->len, o, NULL, err);
}

static bool tl_exists(const char *dir, const char *rel)
{
	char p[PATH_MAX];
	struct stat st;
	tl_fmt(p, sizeof(p), "%s/%s", dir, rel);
	return lstat(p, &st) == 0;
}

static bool tl_lstat(const char *dir, const char *rel, struct stat *st)
{
	char p[PATH_MAX];
	tl_fmt(p, sizeof(p), "%s/%s", dir, rel);
	return lstat(p, st) == 0;
}

static const char *tl_read(const char *dir, const char *rel)
{
	static char b[256];
	char p[PATH_MAX];
	tl_fmt(p, sizeof(p), "%s/%s", dir, rel);
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	b[0] = '\0';
	if (fd < 0)
		return "(missing)";
	ssize_t n = read(fd, b, sizeof(b) - 1);
	close(fd);
	b[n < 0 ? 0 : n] = '\0';
	return b;
}

/* The temporary layout: TMP/target (where layers go) next to TMP/outside. */
typedef struct tl_env {
	char tmp[PATH_MAX];
	char target[PATH_MAX];
	char outside[PATH_MAX];
	buf snapshot;
} tl_env;

static int tl_snapshot(const tl_env *v, buf *out)
{
	char cmd[PATH_MAX + 256];
	tl_fmt(cmd, sizeof(cmd),
	       "cd %s && find . -mindepth 1 -path ./target -prune -o -printf '%%p %%y %%s %%T@ %%i %%n %%m\\n' |"
	       " LC_ALL=C sort",
	       v->tmp);
	FILE *f = popen(cmd, "r");
	if (!f)
		return -1;
	buf_reset(out);
	char line[PATH_MAX];
	while (fgets(line, sizeof(line), f))
		buf_puts(out, line, NULL);
	return pclose(f) == 0 ? 0 : -1;
}

static bool tl_env_init(tl_env *v)
{
	memset(v, 0, sizeof(*v));
	tl_fmt(v->tmp, sizeof(v->tmp), "/tmp/cpod-unit-layer.XXXXXX");
	if (!mkdtemp(v->tmp))
		return false;
	tl_fmt(v->target, sizeof(v->target), "%s/target", v->tmp);
	tl_fmt(v->outside, sizeof(v->outside), "%s/outside", v->tmp);
	return mkdir(v->target, 0755) == 0 && mkdir(v->outside, 0755) == 0 &&
	       tl_sh("echo secret > %s/secret && touch -d 2000-01-01 %s/secret %s", v->outside,
		     v->outside, v->outside) == 0 &&
	       tl_snapshot(v, &v->snapshot) == 0;
}

/* Nothing outside TMP/target changed. */
static bool tl_outside_intact(const tl_env *v)
{
	buf now = BUF_INIT;
	bool same = tl_snapshot(v, &now) == 0 && now.len == v->snapshot.len &&
		    memcmp(now.data, v->snapshot.data, now.len) == 0;
	if (!same)
		fprintf(stderr, "outside changed:\n%s\n---- now:\n%s\n", v->snapshot.data,
			now.data);
	buf_free(&now);
	return same;
}

static void tl_env_free(tl_env *v)
{
	fs_rm_tree(AT_FDCWD, v->tmp, NULL);
	buf_free(&v->snapshot);
}

/* Empties the target for the next case. */
static void tl_reset_target(tl_env *v)
{
	fs_rm_tree(AT_FDCWD, v->target, NULL);
	mkdir(v->target, 0755);
}

#define TL_WITH_ENV(body)                                                                  \
	do {                                                                               \
		tl_env env_;                                                               \
		CHECK(tl_env_init(&env_));                                                 \
		body(&env_);                                                               \
		tl_env_free(&env_);                                                        \
	} while (0)

/* Captured log messages. */
static char tl_log_text[8192];

static void tl_log(int level, const char *msg, void *ud)
{
	size_t n = strlen(tl_log_text);
	snprintf(tl_log_text + n, sizeof(tl_log_text) - n, "%s\n", msg);
}

static void tl_log_start(void)
{
	tl_log_text[0] = '\0';
	cpod_set_log(tl_log, NULL, CPOD_LOG_WARN);
}

static void tl_log_stop(void)
{
	cpod_set_log(NULL, NULL, CPOD_LOG_WARN);
}

/* Selects the resolver: 0 openat2, 1 the fallback walk. */
static void tl_resolver(int mode)
{
	if (mode)
		setenv("CPOD_NO_OPENAT2", "1", 1);
	else
		unsetenv("CPOD_NO_OPENAT2");
	openat2_state = 0;
}

/* ---------------------------------------------------------------- SHA-NI */

static uint64_t tl_rng = 0x9e3779b97f4a7c15ULL;
static uint64_t tl_rand(void)
{
	tl_rng ^= tl_rng << 13;
	tl_rng ^= tl_rng >> 7;
	tl_rng ^= tl_rng << 17;
	return tl_rng;
}

TEST(digest_hardware_matches_bearssl)
{
	if (!digest_accelerated()) {
		printf("note: no SHA extensions on this CPU: hardware path not tested\n");
		return;
	}
	size_t cap = 300000;
	unsigned char *data = malloc(cap);
	CHECK(data);
	for (size_t i = 0; i < cap; i++)
		data[i] = (unsigned char)tl_rand();
	digest_blocks_fn hw = digest_blocks;
	bool ok = true;
	size_t bad_len = 0;
	for (int round = 0; round < 400 && ok; round++) {
		size_t len = round < 200 ? (size_t)round : (size_t)(tl_rand() % cap);
		const unsigned char *p = data + tl_rand() % 64; /* unaligned too */
		if (p + len > data + cap)
			len = (size_t)(data + cap - p);
		char a[DIGEST_STR_LEN + 1], b[DIGEST_STR_LEN + 1];
		digest_ctx c;
		/* the hardware path, fed in random pieces */
		digest_blocks = hw;
		digest_init(&c);
		ok = c.hw;
		for (size_t off = 0; off < len;) {
			size_t k = 1 + tl_rand() % 200;
			if (tl_rand() % 4 == 0)
				k = 1 + tl_rand() % 20000;
			if (k > len - off)
				k = len - off;
			digest_update(&c, p + off, k);
			off += k;
		}
		digest_final(&c, a);
		/* BearSSL in one go */
		digest_blocks = NULL;
		digest_init(&c);
		digest_update(&c, p, len);
		digest_final(&c, b);
		if (strcmp(a, b) != 0) {
			ok = false;
			bad_len = len;
		}
	}
	digest_blocks = hw;
	free(data);
	CHECK_MSG(ok, "hardware and BearSSL digests differ for %zu bytes", bad_len);
	char out[DIGEST_STR_LEN + 1];
	digest_buf("abc", 3, out);
	CHECK_STR(out, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* ---------------------------------------------------------------- unpacking */

static void tl_unpack_tree_body(tl_env *v)
{
	tl_tar t;
	cpod_err err;
	static const char cap[] = {1, 0, 0, 2, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	tar_xattr xs[] = {
		{ "user.note", "hello", 5 },
		{ "security.capability", cap, sizeof(cap) },
		{ "trusted.overlay.redirect", "/etc", 4 },
		{ "user.overlay.opaque", "y", 1 },
	};
	tl_begin(&t);
	tl_add(&t, &(tar_entry){ .path = "etc/", .type = TAR_DIR, .mode = 0751,
				 .mtime_sec = 1000000000, .mtime_nsec = 5 }, NULL);
	tl_add(&t, &(tar_entry){ .path = "etc/passwd", .mode = 0644, .mtime_sec = 1500000000,
				 .mtime_nsec = 123456789 }, "root:x:0:0::/root:/bin/sh\n");
	tl_add(&t, &(tar_entry){ .path = "bin/su", .mode = 04755, .uid = 1000, .gid = 1001 },
	       "#!/bin/sh\n");
	tl_add(&t, &(tar_entry){ .path = "bin/ping", .mode = 0755, .xattrs = xs, .n_xattrs = 4 },
	       "ping");
	tl_link(&t, "bin/sh", TAR_SYMLINK, "busybox");
	tl_add(&t, &(tar_entry){ .path = "bin/busybox", .mode = 0755 }, "bb");
	tl_link(&t, "bin/ash", TAR_HARDLINK, "bin/busybox");
	tl_link(&t, "/bin/abs-hard", TAR_HARDLINK, "/bin/busybox");
	tl_add(&t, &(tar_entry){ .path = "dev/null", .type = TAR_CHAR, .mode = 0666, .devmajor = 1,
				 .devminor = 3 }, NULL);
	tl_add(&t, &(tar_entry){ .path = "run/fifo", .type = TAR_FIFO, .mode = 0620 }, NULL);
	tl_add(&t, &(tar_entry){ .path = "ro/", .type = TAR_DIR, .mode = 0555, .uid = 7, .gid = 8,
				 .mtime_sec = 7 }, NULL);
	tl_add(&t, &(tar_entry){ .path = "ro/inside", .mode = 0400 }, "x");
	tl_add(&t, &(tar_entry){ .path = "./", .type = TAR_DIR }, NULL);
	tl_add(&t, &(tar_entry){ .path = "tmp/", .type = TAR_DIR, .mode = 01777 }, NULL);
	tl_add(&t, &(tar_entry){ .path = "srv//a/./b", .mode = 0600 }, "normalised");
	tl_end(&t);
	buf gz = BUF_INIT;
	tl_gzip(t.b.data, t.b.len, &gz, 6);

	char digest[DIGEST_STR_LEN + 1], diff_id[DIGEST_STR_LEN + 1];
	digest_buf(gz.data, gz.len, digest);
	digest_buf(t.b.data, t.b.len, diff_id);
	layer_opts o = { .digest = digest, .diff_id = diff_id, .compressed_size = gz.len };
	layer_result res;
	tl_log_start();
	int rc = tl_unpack_blob(v->target, gz.data, gz.len, &o, &res, &err);
	tl_log_stop();
	size_t tar_len = t.b.len;
	buf_free(&t.b);
	buf_free(&gz);
	CHECK_MSG(rc == 0, "%s", err.msg);
	CHECK_STR(res.digest, digest);
	CHECK_STR(res.diff_id, diff_id);
	CHECK(res.compression == LAYER_GZIP && res.size == tar_len);

	struct stat st;
	CHECK(tl_lstat(v->target, "etc", &st) && S_ISDIR(st.st_mode) &&
	      (st.st_mode & 07777) == 0751);
	CHECK(st.st_mtim.tv_sec == 1000000000 && st.st_mtim.tv_nsec == 5);
	CHECK(tl_lstat(v->target, "etc/passwd", &st) && st.st_mtim.tv_nsec == 123456789);
	CHECK_STR(tl_read(v->target, "etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
	CHECK(tl_lstat(v->target, "bin/su", &st));
	CHECK_MSG((st.st_mode & 07777) == 04755 && st.st_uid == 1000 && st.st_gid == 1001,
		  "su: mode %o uid %u", st.st_mode & 07777, st.st_uid);
	char p[PATH_MAX], val[64];
	tl_fmt(p, sizeof(p), "%s/bin/ping", v->target);
	CHECK(getxattr(p, "user.note", val, sizeof(val)) == 5 && memcmp(val, "hello", 5) == 0);
	CHECK(getxattr(p, "security.capability", val, sizeof(val)) > 0);
	CHECK(getxattr(p, "trusted.overlay.redirect", val, sizeof(val)) < 0);
	CHECK(getxattr(p, "user.overlay.opaque", val, sizeof(val)) < 0);
	CHECK(strstr(tl_log_text, "trusted.overlay.redirect ignored"));
	char lt[64];
	tl_fmt(p, sizeof(p), "%s/bin/sh", v->target);
	ssize_t ll = readlink(p, lt, sizeof(lt));
	CHECK(ll == 7 && memcmp(lt, "busybox", 7) == 0);
	struct stat a, b;
	CHECK(tl_lstat(v->target, "bin/ash", &a) && tl_lstat(v->target, "bin/busybox", &b));
	CHECK(a.st_ino == b.st_ino && b.st_nlink == 3);
	CHECK(tl_lstat(v->target, "dev/null", &st) && S_ISCHR(st.st_mode) &&
	      st.st_rdev == makedev(1, 3) && (st.st_mode & 0777) == 0666);
	CHECK(tl_lstat(v->target, "run/fifo", &st) && S_ISFIFO(st.st_mode) &&
	      (st.st_mode & 0777) == 0620);
	CHECK(tl_lstat(v->target, "ro", &st) && (st.st_mode & 07777) == 0555 && st.st_uid == 7 &&
	      st.st_gid == 8 && st.st_mtim.tv_sec == 7);
	CHECK(tl_lstat(v->target, "ro/inside", &st) && (st.st_mode & 07777) == 0400);
	CHECK(tl_lstat(v->target, "tmp", &st) && (st.st_mode & 07777) == 01777);
	CHECK_STR(tl_read(v->target, "srv/a/b"), "normalised");
	CHECK(tl_outside_intact(v));
}

TEST(layer_unpack_tree)
{
	TL_WITH_ENV(tl_unpack_tree_body);
}

static void tl_compressions_body(tl_env *v)
{
	tl_tar t;
	cpod_err err;
	layer_result res;
	tl_begin(&t);
	tl_file(&t, "first", "one");
	tl_end(&t);
	buf first = t.b;
	tl_begin(&t);
	tl_file(&t, "second", "two");
	tl_end(&t);
	buf second = t.b;
	/* a multi-member gzip stream: the first tar without its end blocks */
	buf gz = BUF_INIT, all = BUF_INIT;
	buf_append(&all, first.data, first.len - 1024, NULL);
	buf_append(&all, second.data, second.len, NULL);
	tl_gzip(first.data, first.len - 1024, &gz, 1);
	tl_gzip(second.data, second.len, &gz, 9);
	char diff_id[DIGEST_STR_LEN + 1];
	digest_buf(all.data, all.len, diff_id);
	layer_opts o = { .diff_id = diff_id };
	CHECK_MSG(tl_unpack_blob(v->target, gz.data, gz.len, &o, &res, &err) == 0, "%s", err.msg);
	CHECK_STR(tl_read(v->target, "first"), "one");
	CHECK_STR(tl_read(v->target, "second"), "two");
	CHECK(res.compression == LAYER_GZIP && res.size == all.len &&
	      res.compressed_size == gz.len);

	/* layer_digest agrees */
	tl_mem m = { gz.data, gz.len, 0 };
	byte_source s = { tl_mem_read, &m };
	layer_result d;
	CHECK(layer_digest(&s, &d, &err) == 0);
	CHECK_STR(d.diff_id, diff_id);
	CHECK_STR(d.digest, res.digest);

	/* plain: digest == diff_id */
	tl_reset_target(v);
	CHECK(tl_unpack_blob(v->target, second.data, second.len, NULL, &res, &err) == 0);
	CHECK(res.compression == LAYER_PLAIN);
	CHECK_STR(res.digest, res.diff_id);

	/* trailing garbage after the last member, a corrupt and a truncated stream */
	size_t gl = gz.len;
	buf_append(&gz, "garbage", 7, NULL);
	tl_reset_target(v);
	CHECK(tl_unpack_blob(v->target, gz.data, gz.len, NULL, NULL, &err) < 0);
	CHECK_MSG(strstr(err.msg, "trailing data"), "%s", err.msg);
	gz.len = gl;
	gz.data[gl / 2] ^= 0x55;
	tl_reset_target(v);
	CHECK(tl_unpack_blob(v->target, gz.data, gz.len, NULL, NULL, &err) < 0);
	CHECK_MSG(strstr(err.msg, "gzip"), "%s", err.msg);
	gz.data[gl / 2] ^= 0x55;
	tl_reset_target(v);
	CHECK(tl_unpack_blob(v->target, gz.data, gl - 10, NULL, NULL, &err) < 0);
	CHECK_MSG(strstr(err.msg, "truncated") || strstr(err.msg, "unexpected end"), "%s",
		  err.msg);

	/* zstd */
	static const unsigned char zstd_magic[] = { 0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0 };
	tl_reset_target(v);
	int zr = tl_unpack_blob(v->target, zstd_magic, sizeof(zstd_magic), NULL, NULL, &err);
	CHECK(zr < 0);
#ifdef CPOD_WITH_ZSTD
	CHECK_MSG(strstr(err.msg, "zstd"), "%s", err.msg);
#else
	CHECK_STR(err.msg, "zstd-compressed layer: this build has no zstd support "
			   "(rebuild with CPOD_WITH_ZSTD=1)");
	CHECK(err.code == CPOD_E_UNSUPPORTED);
#endif
	buf_free(&first);
	buf_free(&second);
	buf_free(&gz);
	buf_free(&all);
}

TEST(layer_compressions)
{
	TL_WITH_ENV(tl_compressions_body);
}

#ifdef CPOD_WITH_ZSTD
#include <zstd.h>
static void tl_zstd_body(tl_env *v)
{
	tl_tar t;
	cpod_err err;
	layer_result res;
	tl_begin(&t);
	tl_file(&t, "z", "zstd content");
	tl_end(&t);
	/* two frames */
	size_t half = t.b.len / 2, cap = ZSTD_compressBound(t.b.len) * 2;
	char *z = malloc(cap);
	size_t n1 = ZSTD_compress(z, cap, t.b.data, half, 3);
	size_t n2 = ZSTD_compress(z + n1, cap - n1, t.b.data + half, t.b.len - half, 19);
	CHECK(!ZSTD_isError(n1) && !ZSTD_isError(n2));
	int rc = tl_unpack_blob(v->target, z, n1 + n2, NULL, &res, &err);
	char diff_id[DIGEST_STR_LEN + 1];
	digest_buf(t.b.data, t.b.len, diff_id);
	free(z);
	buf_free(&t.b);
	CHECK_MSG(rc == 0, "%s", err.msg);
	CHECK(res.compression == LAYER_ZSTD);
	CHECK_STR(res.diff_id, diff_id);
	CHECK_STR(tl_read(v->target, "z"), "zstd content");
}

TEST(layer_zstd)
{
	TL_WITH_ENV(tl_zstd_body);
}
#endif

static void tl_digests_body(tl_env *v)
{
	tl_tar t;
	cpod_err err;
	tl_begin(&t);
	tl_file(&t, "f", "data");
	tl_end(&t);
	buf gz = BUF_INIT;
	tl_gzip(t.b.data, t.b.len, &gz, 6);
	char good[DIGEST_STR_LEN + 1], diff_id[DIGEST_STR_LEN + 1];
	digest_buf(gz.data, gz.len, good);
	digest_buf(t.b.data, t.b.len, diff_id);
	const char *wrong =
		"sha256:0000000000000000000000000000000000000000000000000000000000000000";

	layer_opts o = { .digest = wrong };
	CHECK(tl_unpack_blob(v->target, gz.data, gz.len, &o, NULL, &err) < 0);
	CHECK_MSG(strstr(err.msg, "layer digest mismatch") && strstr(err.msg, good), "%s",
		  err.msg);
	tl_reset_target(v);
	o = (layer_opts){ .digest = good, .diff_id = wrong };
	CHECK(tl_unpack_blob(v->target, gz.data, gz.len, &o, NULL, &err) < 0);
	CHECK_MSG(strstr(err.msg, "diff_id mismatch") && strstr(err.msg, diff_id), "%s", err.msg);
	tl_reset_target(v);
	o = (layer_opts){ .digest = "sha256:abc" };
	CHECK(tl_unpack_blob(v->target, gz.data, gz.len, &o, NULL, &err) < 0);
	CHECK_MSG(strstr(err.msg, "not a sha256 digest"), "%s", err.msg);
	/* declared sizes: too small, too large */
	tl_reset_target(v);
	o = (layer_opts){ .compressed_size = gz.len - 1 };
	CHECK(tl_unpack_blob(v->target, gz.data, gz.len, &o, NULL, &err) < 0);
	CHECK_MSG(strstr(err.msg, "larger than its declared size"), "%s", err.msg);
	tl_reset_target(v);
	o = (layer_opts){ .compressed_size = gz.len + 1 };
	CHECK(tl_unpack_blob(v->target, gz.data, gz.len, &o, NULL, &err) < 0);
	CHECK_MSG(strstr(err.msg, "declared size"), "%s", err.msg);
	tl_reset_target(v);
	o = (layer_opts){ .compressed_size = gz.len, .digest = good, .diff_id = diff_id };
	CHECK_MSG(tl_unpack_blob(v->target, gz.data, gz.len, &o, NULL, &err) == 0, "%s", err.msg);
	buf_free(&t.b);
	buf_free(&gz);
}

TEST(layer_digests_checked)
{
	TL_WITH_ENV(tl_digests_body);
}

/* ---------------------------------------------------------------- hostile layers */

/* Unpacks b into a fresh target; must fail with the entry's name (and
 * `word` when given) in the message, and leave the outside alone. */
static bool tl_refused(tl_env *v, const buf *b, const layer_opts *o, const char *entry,
		       const char *word, char *msg, size_t msize)
{
	cpod_err err;
	tl_reset_target(v);
	int rc = tl_unpack(v->target, b, o, &err);
	tl_fmt(msg, msize, "rc %d: %s", rc, err.msg);
	return rc < 0 && strstr(err.msg, entry) && (!word || strstr(err.msg, word)) &&
	       tl_outside_intact(v);
}

static void tl_dotdot_body(tl_env *v)
{
	static const char *const names[] = { "../evil", "a/../../evil", "./../evil", "a/b/../c",
					     "..", "/../evil" };
	char msg[1200];
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		tl_tar t;
		tl_begin(&t);
		tl_file(&t, "ok", "fine");
		tl_file(&t, names[i], "pwned");
		tl_end(&t);
		bool ok = tl_refused(v, &t.b, NULL, names[i], "\"..\"", msg, sizeof(msg));
		buf_free(&t.b);
		CHECK_MSG(ok, "%s: %s", names[i], msg);
		CHECK(!tl_exists(v->tmp, "evil"));
	}
	/* a hard link's target and a symlink entry named with ".." too */
	tl_tar t;
	tl_begin(&t);
	tl_link(&t, "h", TAR_HARDLINK, "../outside/secret");
	tl_end(&t);
	bool ok = tl_refused(v, &t.b, NULL, "\"h\"", "\"..\"", msg, sizeof(msg));
	buf_free(&t.b);
	CHECK_MSG(ok, "%s", msg);
}

TEST(layer_hostile_dotdot)
{
	TL_WITH_ENV(tl_dotdot_body);
}

static void tl_absolute_body(tl_env *v)
{
	char name[64], host[80];
	cpod_err err;
	tl_fmt(name, sizeof(name), "/cpod-unit-abs-%d/file", (int)getpid());
	tl_fmt(host, sizeof(host), "/cpod-unit-abs-%d", (int)getpid());
	tl_tar t;
	tl_begin(&t);
	tl_file(&t, name, "inside");
	tl_file(&t, "//double//slash", "ds");
	tl_end(&t);
	int rc = tl_unpack(v->target, &t.b, NULL, &err);
	buf_free(&t.b);
	bool on_host = access(host, F_OK) == 0;
	if (on_host)
		fs_rm_tree(AT_FDCWD, host, NULL);
	CHECK_MSG(rc == 0, "%s", err.msg);
	CHECK(!on_host);
	CHECK_STR(tl_read(v->target, name + 1), "inside");
	CHECK_STR(tl_read(v->target, "double/slash"), "ds");
	CHECK(tl_outside_intact(v));
}

TEST(layer_hostile_absolute_paths)
{
	TL_WITH_ENV(tl_absolute_body);
}

/* A symlink to outside, then a file written through it: refused or kept
 * inside, under both resolvers. */
static void tl_symlink_escape_body(tl_env *v)
{
	char abs_outside[PATH_MAX + 8];
	tl_fmt(abs_outside, sizeof(abs_outside), "%s", v->outside);
	const char *targets[] = { "../outside", abs_outside, "../../../../..", "/", "..", "." };
	for (int mode = 0; mode < 2; mode++) {
		tl_resolver(mode);
		for (size_t i = 0; i < ARRAY_LEN(targets); i++) {
			for (int variant = 0; variant < 3; variant++) {
				tl_tar t;
				cpod_err err;
				tl_begin(&t);
				tl_link(&t, "a", TAR_SYMLINK, targets[i]);
				if (variant == 0) {
					tl_file(&t, "a/secret", "pwned");
				} else if (variant == 1) {
					tl_dir(&t, "a/sub/");
					tl_file(&t, "a/sub/x", "pwned");
				} else {
					/* deeper: through the symlink to another symlink */
					tl_link(&t, "b", TAR_SYMLINK, "a/outside");
					tl_file(&t, "b/secret", "pwned");
				}
				tl_end(&t);
				tl_reset_target(v);
				int rc = tl_unpack(v->target, &t.b, NULL, &err);
				buf_free(&t.b);
				bool intact = tl_outside_intact(v);
				CHECK_MSG(intact,
					  "%s: target %s variant %d: outside changed (rc %d)",
					  mode ? "fallback" : "openat2", targets[i], variant, rc);
				CHECK_STR(tl_read(v->outside, "secret"), "secret\n");
				/* refused, or written inside the target */
				if (rc < 0)
					CHECK_MSG(strstr(err.msg, "entry \""), "%s", err.msg);
			}
		}
	}
	tl_resolver(0);
	/* "a" pointing at the host's /etc, a file through it: lands in target/etc */
	tl_tar t;
	cpod_err err;
	char name[64], host[80];
	tl_fmt(name, sizeof(name), "a/cpod-unit-escape-%d", (int)getpid());
	tl_fmt(host, sizeof(host), "/etc/cpod-unit-escape-%d", (int)getpid());
	tl_begin(&t);
	tl_dir(&t, "etc/");
	tl_link(&t, "a", TAR_SYMLINK, "/etc");
	tl_file(&t, name, "inside");
	tl_end(&t);
	tl_reset_target(v);
	int rc = tl_unpack(v->target, &t.b, NULL, &err);
	buf_free(&t.b);
	bool escaped = access(host, F_OK) == 0;
	if (escaped)
		unlink(host);
	CHECK(!escaped);
	CHECK_MSG(rc == 0, "%s", err.msg);
	char inside[80];
	tl_fmt(inside, sizeof(inside), "etc/cpod-unit-escape-%d", (int)getpid());
	CHECK_STR(tl_read(v->target, inside), "inside");
	CHECK(tl_outside_intact(v));
}

TEST(layer_hostile_symlink_escapes)
{
	TL_WITH_ENV(tl_symlink_escape_body);
	tl_resolver(0);
}

/* A directory the unpacker has cached, replaced by a symlink to outside,
 * then written into: the cache must not be used. */
static void tl_swapped_dir_body(tl_env *v)
{
	char abs_outside[PATH_MAX];
	tl_fmt(abs_outside, sizeof(abs_outside), "%s", v->outside);
	const char *targets[] = { "../outside", abs_outside };
	for (size_t i = 0; i < ARRAY_LEN(targets); i++) {
		tl_tar t;
		cpod_err err;
		tl_begin(&t);
		tl_dir(&t, "d/");
		tl_file(&t, "d/f1", "one");
		tl_link(&t, "d", TAR_SYMLINK, targets[i]);
		tl_file(&t, "d/secret", "pwned");
		tl_file(&t, "d/f2", "two");
		tl_end(&t);
		tl_reset_target(v);
		int rc = tl_unpack(v->target, &t.b, NULL, &err);
		buf_free(&t.b);
		CHECK_MSG(tl_outside_intact(v), "target %s (rc %d: %s)", targets[i], rc, err.msg);
		CHECK(!tl_exists(v->outside, "f2"));
		if (rc < 0)
			CHECK_MSG(strstr(err.msg, "d/secret"), "%s", err.msg);
	}
	/* the same through a hard link swapped for the cached directory */
	tl_tar t;
	cpod_err err;
	tl_begin(&t);
	tl_dir(&t, "x/");
	tl_dir(&t, "x/y/");
	tl_file(&t, "x/y/f", "f");
	tl_link(&t, "x/y", TAR_SYMLINK, "../../outside");
	tl_file(&t, "x/y/secret", "pwned");
	tl_end(&t);
	tl_reset_target(v);
	int rc = tl_unpack(v->target, &t.b, NULL, &err);
	buf_free(&t.b);
	CHECK_MSG(tl_outside_intact(v), "rc %d: %s", rc, err.msg);
}

TEST(layer_hostile_swapped_directory)
{
	TL_WITH_ENV(tl_swapped_dir_body);
}

static void tl_hardlink_body(tl_env *v)
{
	char msg[1200], abs_secret[PATH_MAX + 16], abs_outside[PATH_MAX];
	tl_fmt(abs_secret, sizeof(abs_secret), "%s/secret", v->outside);
	tl_fmt(abs_outside, sizeof(abs_outside), "%s", v->outside);
	struct {
		const char *symlink_target; /* a symlink "l" first, when set */
		const char *link_target;
		const char *word;
	} cases[] = {
		{ NULL, "../outside/secret", "\"..\"" },
		{ NULL, abs_secret, "does not exist" },
		{ NULL, "/etc/passwd", "does not exist" },
		{ NULL, "nothing-here", "does not exist" },
		{ abs_outside, "l/secret", "l/secret" },
		{ "../outside", "l/secret", "l/secret" },
		{ NULL, "/", "root" },
	};
	for (int mode = 0; mode < 2; mode++) {
		tl_resolver(mode);
		for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
			tl_tar t;
			tl_begin(&t);
			if (cases[i].symlink_target)
				tl_link(&t, "l", TAR_SYMLINK, cases[i].symlink_target);
			tl_link(&t, "hard", TAR_HARDLINK, cases[i].link_target);
			tl_end(&t);
			bool ok = tl_refused(v, &t.b, NULL, "\"hard\"", cases[i].word, msg,
					     sizeof(msg));
			buf_free(&t.b);
			CHECK_MSG(ok, "%s: %s: %s", mode ? "fallback" : "openat2",
				  cases[i].link_target, msg);
			struct stat st;
			CHECK(tl_lstat(v->outside, "secret", &st) && st.st_nlink == 1);
		}
	}
	tl_resolver(0);
	/* a hard link to a symlink pointing outside links the symlink itself */
	tl_tar t;
	cpod_err err;
	tl_begin(&t);
	tl_link(&t, "s", TAR_SYMLINK, "../outside/secret");
	tl_link(&t, "h", TAR_HARDLINK, "s");
	tl_end(&t);
	tl_reset_target(v);
	int rc = tl_unpack(v->target, &t.b, NULL, &err);
	buf_free(&t.b);
	CHECK_MSG(rc == 0, "%s", err.msg);
	struct stat st;
	CHECK(tl_lstat(v->target, "h", &st) && S_ISLNK(st.st_mode) && st.st_nlink == 2);
	CHECK(tl_lstat(v->outside, "secret", &st) && st.st_nlink == 1);
	CHECK(tl_outside_intact(v));
}

TEST(layer_hostile_hard_links)
{
	TL_WITH_ENV(tl_hardlink_body);
	tl_resolver(0);
}

static void tl_hostile_whiteouts_body(tl_env *v)
{
	char msg[1200];
	static const char *const names[] = { ".wh..", "a/.wh..", ".wh.", "a/.wh.", "/.wh..",
					     ".wh..." };
	for (int apply = 0; apply < 2; apply++) {
		layer_opts o = {.whiteouts =
					apply ? LAYER_WHITEOUT_APPLY : LAYER_WHITEOUT_OVERLAY};
		for (size_t i = 0; i < ARRAY_LEN(names); i++) {
			tl_tar t;
			tl_begin(&t);
			tl_dir(&t, "a/");
			tl_file(&t, names[i], "");
			tl_end(&t);
			bool ok = tl_refused(v, &t.b, &o, names[i], "whiteout", msg, sizeof(msg));
			buf_free(&t.b);
			CHECK_MSG(ok, "%s (apply %d): %s", names[i], apply, msg);
		}
		/* through a symlink to outside: never deletes or creates there */
		char abs_outside[PATH_MAX];
		tl_fmt(abs_outside, sizeof(abs_outside), "%s", v->outside);
		const char *targets[] = { "../outside", abs_outside };
		for (size_t i = 0; i < ARRAY_LEN(targets); i++) {
			tl_tar t;
			cpod_err err;
			tl_begin(&t);
			tl_link(&t, "l", TAR_SYMLINK, targets[i]);
			tl_file(&t, "l/.wh.secret", "");
			tl_file(&t, "l/.wh..wh..opq", "");
			tl_end(&t);
			tl_reset_target(v);
			tl_unpack(v->target, &t.b, &o, &err);
			buf_free(&t.b);
			CHECK_MSG(tl_outside_intact(v), "apply %d via %s: %s", apply, targets[i],
				  err.msg);
		}
	}
}

TEST(layer_hostile_whiteouts)
{
	TL_WITH_ENV(tl_hostile_whiteouts_body);
}

static void tl_sizes_body(tl_env *v)
{
	char msg[1200];
	buf b = BUF_INIT;
	/* a size of 2^60 in base-256 */
	tl_raw(&b, "absurd", TAR_FILE, 0);
	unsigned char *h = (unsigned char *)b.data;
	memset(h + 124, 0, 12);
	h[124] = 0x80;
	h[128] = 0x10;
	tl_raw_fix(h);
	bool ok = tl_refused(v, &b, NULL, "absurd", "exceeds", msg, sizeof(msg));
	CHECK_MSG(ok, "%s", msg);

	/* max_size: a 2 MiB file in a layer allowed 1 MiB */
	tl_tar t;
	tl_begin(&t);
	char *big = malloc(2 << 20);
	memset(big, 'b', 2 << 20);
	tl_add(&t, &(tar_entry){ .path = "big", .size = 2 << 20 }, big);
	free(big);
	tl_end(&t);
	layer_opts o = { .max_size = 1 << 20 };
	ok = tl_refused(v, &t.b, &o, "big", "exceeds", msg, sizeof(msg));
	CHECK_MSG(ok, "%s", msg);

	/* truncated data */
	t.b.len = 512 + 1000;
	ok = tl_refused(v, &t.b, NULL, "\"big\"", "truncated", msg, sizeof(msg));
	buf_free(&t.b);
	CHECK_MSG(ok, "%s", msg);

	/* a bad checksum */
	buf_reset(&b);
	tl_raw(&b, "bad-sum", TAR_FILE, 0);
	b.data[100] ^= 1;
	ok = tl_refused(v, &b, NULL, "bad-sum", "checksum", msg, sizeof(msg));
	CHECK_MSG(ok, "%s", msg);

	/* a uid past 32 bits */
	tl_begin(&t);
	tl_add(&t, &(tar_entry){ .path = "bigid", .uid = (uint64_t)1 << 33 }, "x");
	tl_end(&t);
	ok = tl_refused(v, &t.b, NULL, "bigid", "uid", msg, sizeof(msg));
	buf_free(&t.b);
	CHECK_MSG(ok, "%s", msg);
	buf_free(&b);
}

TEST(layer_hostile_sizes_and_headers)
{
	TL_WITH_ENV(tl_sizes_body);
}

static void tl_depth_body(tl_env *v)
{
	char msg[1200];
	/* 300 components */
	char deep[300 * 2 + 8];
	size_t o = 0;
	for (int i = 0; i < 300; i++) {
		deep[o++] = 'd';
		deep[o++] = '/';
	}
	memcpy(deep + o, "f", 2);
	tl_tar t;
	tl_begin(&t);
	tl_file(&t, deep, "deep");
	tl_end(&t);
	bool ok = tl_refused(v, &t.b, NULL, "d/d/d", "deeper", msg, sizeof(msg));
	buf_free(&t.b);
	CHECK_MSG(ok, "%s", msg);

	/* a 5000-byte name */
	char *longp = malloc(5001);
	for (int i = 0; i < 5000; i++)
		longp[i] = i % 100 == 99 ? '/' : 'n';
	longp[5000] = '\0';
	tl_begin(&t);
	tl_file(&t, longp, "long");
	tl_end(&t);
	free(longp);
	ok = tl_refused(v, &t.b, NULL, "nnnn", "limit", msg, sizeof(msg));
	buf_free(&t.b);
	CHECK_MSG(ok, "%s", msg);

	/* a component past NAME_MAX */
	char comp[300];
	memset(comp, 'c', sizeof(comp) - 1);
	comp[sizeof(comp) - 1] = '\0';
	tl_begin(&t);
	tl_file(&t, comp, "x");
	tl_end(&t);
	ok = tl_refused(v, &t.b, NULL, "cccc", "component", msg, sizeof(msg));
	buf_free(&t.b);
	CHECK_MSG(ok, "%s", msg);
}

TEST(layer_hostile_depth_and_length)
{
	TL_WITH_ENV(tl_depth_body);
}

static void tl_deflate_feed(z_stream *z, const void *data, size_t n, int flush, buf *out)
{
	unsigned char tmp[1 << 16];
	z->next_in = (unsigned char *)(uintptr_t)data;
	z->avail_in = (uInt)n;
	int r;
	do {
		z->next_out = tmp;
		z->avail_out = sizeof(tmp);
		r = deflate(z, flush);
		buf_append(out, tmp, sizeof(tmp) - z->avail_out, NULL);
	} while (z->avail_out == 0 || (flush == Z_FINISH && r != Z_STREAM_END));
}

static void tl_bomb_body(tl_env *v)
{
	/* 200 MB of zeros in one file, gzip'd to ~200 KB */
	const size_t total = (size_t)200 << 20, chunk = 1 << 20;
	char *zero = calloc(1, chunk);
	buf gz = BUF_INIT, hdr = BUF_INIT;
	z_stream z;
	tl_raw(&hdr, "zeros", TAR_FILE, total);
	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	tl_deflate_feed(&z, hdr.data, hdr.len, Z_NO_FLUSH, &gz);
	for (size_t off = 0; off < total; off += chunk)
		tl_deflate_feed(&z, zero, chunk, Z_NO_FLUSH, &gz);
	tl_deflate_feed(&z, zero, 1024, Z_FINISH, &gz);
	deflateEnd(&z);
	free(zero);
	buf_free(&hdr);
	char msg[1200];
	bool ok = tl_refused(v, &gz, NULL, "", "ratio", msg, sizeof(msg));
	CHECK_MSG(ok, "%zu bytes of gzip: %s", gz.len, msg);
	/* the same stream under a small max_size stops at the size */
	layer_opts o = { .max_size = 10 << 20 };
	ok = tl_refused(v, &gz, &o, "", "exceeds the limit", msg, sizeof(msg));
	buf_free(&gz);
	CHECK_MSG(ok, "%s", msg);
}

TEST(layer_hostile_gzip_bomb)
{
	TL_WITH_ENV(tl_bomb_body);
}

/* ---------------------------------------------------------------- whiteouts and rootless */

static bool tl_xattr_is(const char *dir, const char *rel, const char *name, const char *val)
{
	char p[PATH_MAX], v[64];
	tl_fmt(p, sizeof(p), "%s/%s", dir, rel);
	ssize_t n = lgetxattr(p, name, v, sizeof(v));
	return n == (ssize_t)strlen(val) && memcmp(v, val, (size_t)n) == 0;
}

static bool tl_is_whiteout(const char *dir, const char *rel)
{
	struct stat st;
	return tl_lstat(dir, rel, &st) && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

static void tl_overlay_whiteouts_body(tl_env *v)
{
	for (int rootless = 0; rootless < 2; rootless++) {
		tl_tar t;
		cpod_err err;
		tl_begin(&t);
		tl_file(&t, ".wh.gone", "");
		tl_dir(&t, "d/");
		tl_file(&t, "d/.wh..wh..opq", "");
		tl_file(&t, "d/kept", "k");
		tl_file(&t, "e/.wh.sub", ""); /* e is made for it */
		tl_file(&t, "same", "s");
		tl_file(&t, ".wh.same", "");
		tl_file(&t, ".wh..wh.plnk", "");
		tl_add(&t, &(tar_entry){ .path = "dev/null", .type = TAR_CHAR, .mode = 0666,
					 .devmajor = 1, .devminor = 3 }, NULL);
		tl_add(&t, &(tar_entry){ .path = "dev/sda", .type = TAR_BLOCK, .mode = 0660,
					 .devmajor = 8 }, NULL);
		tl_add(&t, &(tar_entry){ .path = "wh", .type = TAR_CHAR }, NULL);
		tl_add(&t, &(tar_entry){ .path = "fifo", .type = TAR_FIFO }, NULL);
		tl_add(&t, &(tar_entry){ .path = "owned", .uid = 12345, .gid = 54321 }, "o");
		tl_end(&t);
		layer_opts o = { .rootless = rootless };
		tl_reset_target(v);
		tl_log_start();
		int rc = tl_unpack(v->target, &t.b, &o, &err);
		tl_log_stop();
		buf_free(&t.b);
		CHECK_MSG(rc == 0, "%s", err.msg);
		CHECK(tl_is_whiteout(v->target, "gone"));
		CHECK(tl_is_whiteout(v->target, "e/sub"));
		CHECK(tl_is_whiteout(v->target, "wh"));
		const char *opq = rootless ? "user.overlay.opaque" : "trusted.overlay.opaque";
		CHECK_MSG(tl_xattr_is(v->target, "d", opq, "y"), "%s not set", opq);
		CHECK_STR(tl_read(v->target, "d/kept"), "k");
		CHECK_STR(tl_read(v->target, "same"), "s");
		CHECK(strstr(tl_log_text, "same layer"));
		CHECK(!tl_exists(v->target, ".wh..wh.plnk") && !tl_exists(v->target, "plnk"));
		struct stat st;
		CHECK(tl_lstat(v->target, "fifo", &st) && S_ISFIFO(st.st_mode));
		CHECK(tl_lstat(v->target, "owned", &st));
		if (rootless) {
			CHECK(!tl_exists(v->target, "dev/null") &&
			      !tl_exists(v->target, "dev/sda"));
			CHECK_MSG(strstr(tl_log_text,
					 "\"dev/null\": device node skipped (rootless)"),
				  "%s", tl_log_text);
			CHECK(strstr(tl_log_text, "\"dev/sda\": device node skipped"));
		} else {
			CHECK(tl_lstat(v->target, "dev/null", &st) && S_ISCHR(st.st_mode));
			CHECK(tl_lstat(v->target, "dev/sda", &st) && S_ISBLK(st.st_mode) &&
			      st.st_rdev == makedev(8, 0));
			CHECK(tl_lstat(v->target, "owned", &st) && st.st_uid == 12345 &&
			      st.st_gid == 54321);
		}
	}
	CHECK(tl_outside_intact(v));
}

TEST(layer_overlay_whiteouts_and_rootless)
{
	TL_WITH_ENV(tl_overlay_whiteouts_body);
}

/* Copy mode: a lower layer, then a layer whose whiteouts delete from it. */
static void tl_apply_whiteouts_body(tl_env *v)
{
	tl_tar t;
	cpod_err err;
	layer_opts o = { .whiteouts = LAYER_WHITEOUT_APPLY };
	tl_begin(&t);
	tl_file(&t, "x", "lower");
	tl_file(&t, "d/old", "lower");
	tl_file(&t, "d/sub/old", "lower");
	tl_file(&t, "d/sub/also", "lower");
	tl_file(&t, "keep/k", "lower");
	tl_file(&t, "dir/inner/f", "lower");
	tl_link(&t, "l", TAR_SYMLINK, "../outside");
	tl_end(&t);
	CHECK_MSG(tl_unpack(v->target, &t.b, &o, &err) == 0, "%s", err.msg);
	buf_free(&t.b);

	tl_begin(&t);
	tl_file(&t, ".wh.x", "");
	tl_file(&t, "d/sub/new", "upper");  /* before the opaque marker */
	tl_file(&t, "d/.wh..wh..opq", "");
	tl_file(&t, "d/later", "upper");    /* after it */
	tl_file(&t, "d/.wh..wh..opq", "");  /* again: a no-op */
	tl_file(&t, "y", "same layer");
	tl_file(&t, ".wh.y", "");           /* spares this layer's y */
	tl_file(&t, "keep/.wh.nothing", "");
	tl_file(&t, "missing/.wh.z", "");   /* no directory made for it */
	tl_file(&t, ".wh.dir", "");         /* a whole lower tree */
	tl_file(&t, "l/.wh.secret", "");    /* through a symlink to outside: inside only */
	tl_end(&t);
	int rc = tl_unpack(v->target, &t.b, &o, &err);
	buf_free(&t.b);
	CHECK_MSG(rc == 0, "%s", err.msg);
	CHECK(!tl_exists(v->target, "x") && !tl_exists(v->target, ".wh.x"));
	CHECK(!tl_exists(v->target, "d/old") && !tl_exists(v->target, "d/sub/old") &&
	      !tl_exists(v->target, "d/sub/also"));
	CHECK_STR(tl_read(v->target, "d/sub/new"), "upper");
	CHECK_STR(tl_read(v->target, "d/later"), "upper");
	CHECK_STR(tl_read(v->target, "y"), "same layer");
	CHECK_STR(tl_read(v->target, "keep/k"), "lower");
	CHECK(!tl_exists(v->target, "missing"));
	CHECK(!tl_exists(v->target, "dir"));
	CHECK(tl_outside_intact(v));
	char p[PATH_MAX];
	tl_fmt(p, sizeof(p), "%s/d", v->target);
	char val[8];
	CHECK(getxattr(p, "trusted.overlay.opaque", val, sizeof(val)) < 0);
}

TEST(layer_apply_whiteouts)
{
	TL_WITH_ENV(tl_apply_whiteouts_body);
}

static void tl_replace_body(tl_env *v)
{
	tl_tar t;
	cpod_err err;
	struct stat st;
	tl_begin(&t);
	tl_file(&t, "a", "file a");
	tl_link(&t, "b", TAR_SYMLINK, "a");
	tl_file(&t, "c/x", "in c");
	tl_file(&t, "c/y/z", "deeper");
	tl_add(&t, &(tar_entry){ .path = "d/", .type = TAR_DIR, .mode = 0700, .mtime_sec = 1 },
	       NULL);
	tl_file(&t, "d/keep", "kept");
	tl_file(&t, "e", "file e");
	tl_link(&t, "f", TAR_SYMLINK, "nowhere");
	/* the replacements */
	tl_file(&t, "b", "file b");                       /* file over symlink */
	tl_file(&t, "c", "file c");                       /* file over a tree */
	tl_add(&t, &(tar_entry){ .path = "d/", .type = TAR_DIR, .mode = 0751, .mtime_sec = 2,
				 .uid = 3 }, NULL);       /* dir over dir */
	tl_link(&t, "a", TAR_SYMLINK, "b");               /* symlink over file */
	tl_dir(&t, "e/");                                 /* dir over file */
	tl_file(&t, "e/new", "in e");
	tl_dir(&t, "f/");                                 /* dir over symlink */
	tl_file(&t, "f/new", "in f");
	tl_file(&t, "a2", "x");
	tl_link(&t, "a2", TAR_HARDLINK, "e/new");         /* hard link over file */
	tl_end(&t);
	int rc = tl_unpack(v->target, &t.b, NULL, &err);
	buf_free(&t.b);
	CHECK_MSG(rc == 0, "%s", err.msg);
	CHECK(tl_lstat(v->target, "a", &st) && S_ISLNK(st.st_mode));
	CHECK(tl_lstat(v->target, "b", &st) && S_ISREG(st.st_mode));
	CHECK_STR(tl_read(v->target, "b"), "file b");
	CHECK_STR(tl_read(v->target, "c"), "file c");
	CHECK(tl_lstat(v->target, "d", &st) && (st.st_mode & 07777) == 0751 && st.st_uid == 3 &&
	      st.st_mtim.tv_sec == 2);
	CHECK_STR(tl_read(v->target, "d/keep"), "kept");
	CHECK_STR(tl_read(v->target, "e/new"), "in e");
	CHECK(tl_lstat(v->target, "f", &st) && S_ISDIR(st.st_mode));
	CHECK_STR(tl_read(v->target, "f/new"), "in f");
	struct stat a, b;
	CHECK(tl_lstat(v->target, "a2", &a) && tl_lstat(v->target, "e/new", &b) &&
	      a.st_ino == b.st_ino);
	CHECK(tl_outside_intact(v));
}

TEST(layer_replaces_existing_entries)
{
	TL_WITH_ENV(tl_replace_body);
}

static void tl_owners_body(tl_env *v)
{
	tl_tar t;
	cpod_err err;
	struct stat st;
	tl_begin(&t);
	tl_add(&t, &(tar_entry){ .path = "sgid/", .type = TAR_DIR, .mode = 02775, .gid = 1234 },
	       NULL);
	tl_add(&t, &(tar_entry){ .path = "sgid/setuid", .mode = 04755, .uid = 1000, .gid = 1000 },
	       "x");
	tl_add(&t, &(tar_entry){ .path = "sgid/setgid", .mode = 02711, .uid = 0, .gid = 1234 },
	       "x");
	tl_add(&t, &(tar_entry){ .path = "sgid/rootfile", .mode = 06755 }, "x");
	tl_add(&t, &(tar_entry){ .path = "sgid/link", .type = TAR_SYMLINK, .linkname = "setuid",
				 .uid = 1000, .gid = 1000, .mtime_sec = 12345 }, NULL);
	tl_add(&t, &(tar_entry){ .path = "sticky/", .type = TAR_DIR, .mode = 01777 }, NULL);
	tl_add(&t, &(tar_entry){ .path = "odd-mode", .mode = 0421 }, "x");
	tl_end(&t);
	int rc = tl_unpack(v->target, &t.b, NULL, &err);
	buf_free(&t.b);
	CHECK_MSG(rc == 0, "%s", err.msg);
	CHECK(tl_lstat(v->target, "sgid", &st) && (st.st_mode & 07777) == 02775 &&
	      st.st_gid == 1234);
	CHECK(tl_lstat(v->target, "sgid/setuid", &st));
	CHECK_MSG((st.st_mode & 07777) == 04755 && st.st_uid == 1000 && st.st_gid == 1000,
		  "mode %o %u:%u", st.st_mode & 07777, st.st_uid, st.st_gid);
	CHECK(tl_lstat(v->target, "sgid/setgid", &st) && (st.st_mode & 07777) == 02711 &&
	      st.st_gid == 1234);
	CHECK(tl_lstat(v->target, "sgid/rootfile", &st) && (st.st_mode & 07777) == 06755 &&
	      st.st_uid == 0 && st.st_gid == 0);
	CHECK(tl_lstat(v->target, "sgid/link", &st) && st.st_uid == 1000 &&
	      st.st_mtim.tv_sec == 12345);
	CHECK(tl_lstat(v->target, "sticky", &st) && (st.st_mode & 07777) == 01777);
	CHECK(tl_lstat(v->target, "odd-mode", &st) && (st.st_mode & 07777) == 0421);
}

TEST(layer_owners_and_special_modes)
{
	TL_WITH_ENV(tl_owners_body);
}

/* An error on the first entry of a big layer: the producer, blocked on a
 * full ring, is stopped; and a producer error reaches the caller. */
static void tl_stop_body(tl_env *v)
{
	tl_tar t;
	cpod_err err;
	size_t big = 40 << 20;
	char *data = malloc(big);
	CHECK(data);
	for (size_t i = 0; i < big; i++)
		data[i] = (char)(i * 2654435761u >> 13);
	tl_begin(&t);
	tl_file(&t, "../first-is-evil", "x");
	tl_add(&t, &(tar_entry){ .path = "big", .size = big }, data);
	tl_end(&t);
	free(data);
	int rc = tl_unpack(v->target, &t.b, NULL, &err);
	CHECK(rc < 0 && strstr(err.msg, "first-is-evil"));
	/* gzip'd, cut in the middle of the big file */
	buf gz = BUF_INIT;
	tl_gzip(t.b.data + 1024, t.b.len - 1024, &gz, 1);
	buf_free(&t.b);
	tl_reset_target(v);
	rc = tl_unpack_blob(v->target, gz.data, gz.len / 2, NULL, NULL, &err);
	buf_free(&gz);
	CHECK(rc < 0);
	CHECK_MSG(strstr(err.msg, "gzip: truncated"), "%s", err.msg);
}

TEST(layer_errors_stop_both_threads)
{
	TL_WITH_ENV(tl_stop_body);
}

/* ---------------------------------------------------------------- GNU tar interop */

static int tl_make_tree(const char *dir)
{
	return tl_sh("set -e; cd %s; mkdir -p src/sub/deeper; cd src;"
		     "printf 'hello\\n' > file; chown 1000:1001 file; chmod 4755 file;"
		     "setfattr -n user.note -v 'some value' file;"
		     "setfattr -n user.dir -v d sub;"
		     "head -c 300000 /dev/urandom > big; head -c 5000000 /dev/zero > zeros;"
		     "ln file hardlink; ln big sub/hard2; ln -s file symlink;"
		     "ln -s /abs/dangling dangling; ln -s ../file sub/up;"
		     "mkfifo fifo; mknod chardev c 1 3; mknod blockdev b 7 0; chmod 2750 sub;"
		     "chown 33:44 sub/deeper; chmod 1777 sub/deeper;"
		     "n=; for i in 1 2 3 4 5 6 7 8 9 10 11 12; do n=${n}segment$i-; done;"
		     "mkdir -p long/$n; echo long > long/$n/$n$n; ln -s $n/$n$n long/link-$n$n;"
		     "touch -h -d '2001-02-03 04:05:06.123456789' symlink;"
		     "touch -d '2020-01-01 00:00:00.5' file sub/deeper;"
		     "touch -d '1999-12-31 23:59:59.999999999' sub long/$n long", dir);
}

/* A listing of everything under dir/name (types, modes, owners, sizes,
 * mtimes, targets, link counts, contents, user xattrs) into dir/name.list. */
static int tl_list_tree(const char *dir, const char *name)
{
	return tl_sh(
		"cd %s/%s && { find . -mindepth 1 -printf '%%y %%m %%U %%G %%T@ %%s [%%l] %%n %%p\\n';"
		" find . -type f -links +1 -printf '%%i %%p\\n' | LC_ALL=C sort -k2 |"
		" awk '{ if (!($1 in f)) f[$1] = $2; print \"hardlink\", $2, f[$1] }';"
		" find . -type f -exec md5sum {} +;"
		" find . -mindepth 1 -type b -printf '%%p ' -exec stat -c '%%t,%%T' {} \\;;"
		" find . -mindepth 1 -type c -printf '%%p ' -exec stat -c '%%t,%%T' {} \\;;"
		" getfattr -h -R -d -m '^user\\.' . 2>/dev/null; } | LC_ALL=C sort > ../%s.list",
		dir, name, name);
}

/* The pax listing is not trivially equal: xattrs, fifos, devices, setuid... */
static bool tl_interop_rich(tl_env *v)
{
	buf l = BUF_INIT;
	char lp[PATH_MAX];
	tl_fmt(lp, sizeof(lp), "%s/cpod-x.list", v->tmp);
	if (fs_read_file(AT_FDCWD, lp, 1 << 20, &l, NULL) < 0)
		return false;
	bool rich = strstr(l.data, "user.note=\"some value\"") && strstr(l.data, "p 644") &&
		    strstr(l.data, "c 644") && strstr(l.data, "l 777") &&
		    strstr(l.data, "4755 1000 1001 1577836800.5000") &&
		    strstr(l.data, "hardlink ./sub/hard2 ./big") && strstr(l.data, ".123456789");
	if (!rich)
		fprintf(stderr, "%s\n", l.data);
	buf_free(&l);
	return rich;
}

static void tl_interop_body(tl_env *v)
{
	CHECK_MSG(tl_make_tree(v->tmp) == 0, "cannot build the tree (setfattr installed?)");
	static const char *const formats[] = { "pax", "gnu", "pax-gz", "gnu-gz" };
	for (size_t i = 0; i < ARRAY_LEN(formats); i++) {
		bool pax = strncmp(formats[i], "pax", 3) == 0,
		     gz = strstr(formats[i], "gz") != NULL;
		char tarp[PATH_MAX], ours[PATH_MAX], msg[1100];
		cpod_err err;
		tl_fmt(tarp, sizeof(tarp), "%s/%s.tar", v->tmp, formats[i]);
		CHECK(tl_sh("cd %s/src && tar %s --sort=name --format=%s -c%sf %s .", v->tmp,
			    pax ? "--xattrs" : "", pax ? "pax" : "gnu", gz ? "z" : "", tarp) == 0);
		/* GNU tar's own extraction (as root: owners, modes, xattrs) */
		CHECK(tl_sh("cd %s && rm -rf gnu-x && mkdir gnu-x && "
			    "tar --xattrs --xattrs-include='*' -xpf %s -C gnu-x",
			    v->tmp, tarp) == 0);
		tl_fmt(ours, sizeof(ours), "%s/cpod-x", v->tmp);
		fs_rm_tree(AT_FDCWD, ours, NULL);
		CHECK(mkdir(ours, 0755) == 0);
		int fd = open(tarp, O_RDONLY | O_CLOEXEC);
		CHECK(fd >= 0);
		byte_source s = source_fd(&fd);
		layer_opts o = { 0 };
		layer_result res;
		int dfd = open(ours, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		cpod_err_clear(&err);
		int rc = layer_unpack(dfd, &s, &o, &res, &err);
		close(dfd);
		close(fd);
		CHECK_MSG(rc == 0, "%s: %s", formats[i], err.msg);
		CHECK(res.compression == (gz ? LAYER_GZIP : LAYER_PLAIN));
		CHECK(tl_list_tree(v->tmp, "gnu-x") == 0 && tl_list_tree(v->tmp, "cpod-x") == 0);
		int same = tl_sh("cd %s && cmp -s gnu-x.list cpod-x.list", v->tmp);
		if (same != 0) {
			tl_sh("cd %s && diff gnu-x.list cpod-x.list | head -20 > diff.txt",
			      v->tmp);
			tl_fmt(msg, sizeof(msg), "%s/diff.txt", v->tmp);
			buf d = BUF_INIT;
			fs_read_file(AT_FDCWD, msg, 4096, &d, NULL);
			tl_fmt(msg, sizeof(msg), "%s", d.data ? d.data : "");
			buf_free(&d);
		}
		CHECK_MSG(same == 0, "%s: cpod and GNU tar extract differently:\n%s", formats[i],
			  msg);
		if (i == 0)
			CHECK(tl_interop_rich(v));
	}
}

TEST(layer_interop_gnu_tar)
{
	TL_WITH_ENV(tl_interop_body);
}

/* ---------------------------------------------------------------- packing */

static void tl_pack_body(tl_env *v)
{
	cpod_err err;
	CHECK_MSG(tl_make_tree(v->tmp) == 0, "cannot build the tree");
	/* overlay whiteouts and an opaque directory in the tree */
	CHECK(tl_sh("cd %s/src && mknod gone c 0 0 && mknod sub/gone2 c 0 0 && mkdir opq &&"
		    " setfattr -n trusted.overlay.opaque -v y opq && echo o > opq/inside &&"
		    " setfattr -n trusted.overlay.redirect -v /x opq/inside", v->tmp) == 0);
	char src[PATH_MAX], out[PATH_MAX], plain[PATH_MAX];
	tl_fmt(src, sizeof(src), "%s/src", v->tmp);
	tl_fmt(out, sizeof(out), "%s/layer.tar.gz", v->tmp);
	tl_fmt(plain, sizeof(plain), "%s/layer.tar", v->tmp);
	int sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(sfd >= 0);
	layer_result r1, r2, r3;
	int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int pfd = open(plain, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc1 = layer_pack(sfd, ofd, true, &r1, &err);
	int rc2 = rc1 == 0 ? layer_pack(sfd, pfd, false, &r2, &err) : -1;
	close(ofd);
	close(pfd);
	/* packing again gives the same bytes */
	int nfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int rc3 = rc2 == 0 ? layer_pack(sfd, nfd, true, &r3, &err) : -1;
	close(nfd);
	close(sfd);
	CHECK_MSG(rc1 == 0 && rc2 == 0 && rc3 == 0, "%s", err.msg);
	CHECK_STR(r1.digest, r3.digest);
	CHECK_STR(r1.diff_id, r2.diff_id);
	CHECK_STR(r2.digest, r2.diff_id);
	CHECK(r1.compression == LAYER_GZIP && r2.compression == LAYER_PLAIN);
	/* the digests are those of the files */
	buf b = BUF_INIT;
	char d[DIGEST_STR_LEN + 1];
	CHECK(fs_read_file(AT_FDCWD, out, 64 << 20, &b, NULL) == 0);
	digest_buf(b.data, b.len, d);
	CHECK_STR(d, r1.digest);
	CHECK(b.len == r1.compressed_size);
	buf_reset(&b);
	CHECK(fs_read_file(AT_FDCWD, plain, 64 << 20, &b, NULL) == 0);
	digest_buf(b.data, b.len, d);
	CHECK_STR(d, r1.diff_id);
	CHECK(b.len == r1.size);
	buf_free(&b);

	/* GNU tar reads it: whiteouts as .wh. files, the opaque marker */
	char listing[PATH_MAX];
	tl_fmt(listing, sizeof(listing), "%s/listing", v->tmp);
	CHECK(tl_sh("tar -tvf %s > %s", plain, listing) == 0);
	buf l = BUF_INIT;
	CHECK(fs_read_file(AT_FDCWD, listing, 1 << 20, &l, NULL) == 0);
	bool ok = strstr(l.data, " .wh.gone\n") && strstr(l.data, " sub/.wh.gone2\n") &&
		  strstr(l.data, " opq/\n") && strstr(l.data, " opq/.wh..wh..opq\n") &&
		  strstr(l.data, "hardlink link to file") && !strstr(l.data, " gone\n");
	char msg[1000];
	tl_fmt(msg, sizeof(msg), "%.990s", l.data);
	buf_free(&l);
	CHECK_MSG(ok, "%s", msg);

	/* and unpacking it gives the tree back, whiteouts and all */
	char back[PATH_MAX];
	tl_fmt(back, sizeof(back), "%s/back", v->tmp);
	CHECK(mkdir(back, 0755) == 0);
	int fd = open(out, O_RDONLY | O_CLOEXEC);
	byte_source s = source_fd(&fd);
	layer_opts o = { .digest = r1.digest, .diff_id = r1.diff_id };
	int dfd = open(back, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = layer_unpack(dfd, &s, &o, NULL, &err);
	close(dfd);
	close(fd);
	CHECK_MSG(rc == 0, "%s", err.msg);
	CHECK(tl_is_whiteout(back, "gone") && tl_is_whiteout(back, "sub/gone2"));
	CHECK(tl_xattr_is(back, "opq", "trusted.overlay.opaque", "y"));
	char p[PATH_MAX], val[8];
	tl_fmt(p, sizeof(p), "%s/opq/inside", back);
	CHECK(getxattr(p, "trusted.overlay.redirect", val, sizeof(val)) < 0);
	/* the rest equal (whiteouts get no metadata of their own: not compared) */
	CHECK(tl_list_tree(v->tmp, "src") == 0 && tl_list_tree(v->tmp, "back") == 0);
	int same =
		tl_sh("cd %s && grep -v gone src.list > a.list && grep -v gone back.list > b.list"
		      " && cmp -s a.list b.list",
		      v->tmp);
	if (same != 0)
		tl_sh("cd %s && diff a.list b.list | head -20 >&2", v->tmp);
	CHECK(same == 0);
}

TEST(layer_pack_round_trip)
{
	TL_WITH_ENV(tl_pack_body);
}
