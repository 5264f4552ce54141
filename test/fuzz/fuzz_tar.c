/*
 * fuzz_tar.c — libFuzzer target for the tar reader and the layer unpacker.
 *
 * Any input is read as a tar with small limits (so the limit paths are
 * explored too), through the byte_source path in pieces whose size depends
 * on the input, data read alternately with tar_read_data and
 * tar_data_chunk: every call must return an entry, the end or an error with
 * a message, never crash.  The same input is then unpacked as a layer
 * (gzip when it starts with gzip's magic) into DIR/t, with a 4 MiB bound,
 * rootless (no device nodes) and, by the input's length, in either whiteout
 * mode; next to it DIR/outside must stay empty and DIR must hold nothing
 * else: an input that writes outside the target aborts.  DIR is made once
 * under /dev/shm (or /tmp) and removed at exit.
 *
 * The seed corpus (test/fuzz/corpus/tar/) holds small archives written by
 * GNU tar (ustar, gnu, pax, v7; long names, links, a fifo, a device, xattrs,
 * sub-second times; blocking factor 1), some gzip'd, layers with whiteouts,
 * and broken ones (bad checksum, truncated, symlink escapes).
 */
#include "cpod-lines.c"
#include <dirent.h>

static char fuzz_tar_dir[64];

static void fuzz_tar_cleanup(void)
{
	if (fuzz_tar_dir[0])
		fs_rm_tree(AT_FDCWD, fuzz_tar_dir, NULL);
}

static void fuzz_tar_die(const char *what, const char *msg)
{
	fprintf(stderr, "fuzz_tar: %s%s%s\n", what, msg ? ": " : "", msg ? msg : "");
	abort();
}

typedef struct fuzz_tar_mem {
	const uint8_t *p;
	size_t n, off, piece;
} fuzz_tar_mem;

static ssize_t fuzz_tar_read(void *ctx, void *data, size_t n, cpod_err *err)
{
	fuzz_tar_mem *m = ctx;
	size_t k = m->n - m->off;
	if (k > n)
		k = n;
	if (k > m->piece)
		k = m->piece;
	memcpy(data, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

static void fuzz_tar_read_all(const uint8_t *data, size_t size)
{
	static const tar_limits lim = { .max_path = 300, .max_pax = 4096, .max_xattrs = 8,
					.max_entry = 1 << 20 };
	fuzz_tar_mem m = { data, size, 0, 1 + size % 1031 };
	byte_source src = { fuzz_tar_read, &m };
	cpod_err err;
	cpod_err_clear(&err);
	tar_reader *r = tar_reader_new(&src, &lim, &err);
	if (!r)
		fuzz_tar_die("tar_reader_new failed", err.msg);
	const tar_entry *e;
	int k, n = 0;
	while ((k = tar_next(r, &e, &err)) > 0) {
		if (!e->path || !e->linkname || !e->uname || !e->gname || !e->path[0])
			fuzz_tar_die("entry without strings", NULL);
		if (strlen(e->path) > lim.max_path || strlen(e->linkname) > lim.max_path)
			fuzz_tar_die("name past the limit", e->path);
		if (e->size > lim.max_entry || e->n_xattrs > lim.max_xattrs)
			fuzz_tar_die("size or xattrs past the limit", e->path);
		for (size_t i = 0; i < e->n_xattrs; i++)
			if (!e->xattrs[i].name[0] || (e->xattrs[i].len && !e->xattrs[i].value))
				fuzz_tar_die("bad xattr", e->path);
		uint64_t got = 0;
		ssize_t d;
		if (n++ % 2) {
			char b[777];
			while ((d = tar_read_data(r, b, sizeof(b), &err)) > 0)
				got += (uint64_t)d;
		} else {
			const void *p;
			while ((d = tar_data_chunk(r, &p, &err)) > 0) {
				volatile uint8_t sink = ((const uint8_t *)p)[d - 1];
				(void)sink;
				got += (uint64_t)d;
			}
		}
		if (d < 0) {
			k = -1;
			break;
		}
		if (got != e->size)
			fuzz_tar_die("data length differs from the size", e->path);
	}
	if (k < 0 && (err.code == CPOD_OK || !err.msg[0]))
		fuzz_tar_die("error without a message", NULL);
	if (k < 0 && tar_next(r, &e, &err) >= 0)
		fuzz_tar_die("the reader went on after an error", NULL);
	tar_reader_free(r);
}

/* DIR holds only t and outside, and outside is empty. */
static void fuzz_tar_check_contained(void)
{
	DIR *d = opendir(fuzz_tar_dir);
	struct dirent *de;
	if (!d)
		fuzz_tar_die("cannot list the work directory", NULL);
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		if (strcmp(n, ".") && strcmp(n, "..") && strcmp(n, "t") && strcmp(n, "outside"))
			fuzz_tar_die("written outside the target", n);
	}
	closedir(d);
	char p[128];
	snprintf(p, sizeof(p), "%s/outside", fuzz_tar_dir);
	d = opendir(p);
	if (!d)
		fuzz_tar_die("outside/ went away", NULL);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			fuzz_tar_die("written into outside/", de->d_name);
	closedir(d);
}

static void fuzz_tar_unpack(const uint8_t *data, size_t size)
{
	char t[128];
	snprintf(t, sizeof(t), "%s/t", fuzz_tar_dir);
	if (mkdir(t, 0755) < 0)
		fuzz_tar_die("mkdir", strerror(errno));
	int dfd = open(t, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		fuzz_tar_die("open", strerror(errno));
	fuzz_tar_mem m = { data, size, 0, 1 << 20 };
	byte_source src = { fuzz_tar_read, &m };
	layer_opts o = {
		.whiteouts = size % 2 ? LAYER_WHITEOUT_APPLY : LAYER_WHITEOUT_OVERLAY,
		.rootless = true,
		.max_size = 4 << 20,
	};
	layer_result res;
	cpod_err err;
	cpod_err_clear(&err);
	int rc = layer_unpack(dfd, &src, &o, &res, &err);
	close(dfd);
	if (rc < 0 && (err.code == CPOD_OK || !err.msg[0]))
		fuzz_tar_die("layer_unpack failed without a message", NULL);
	if (rc == 0 && (res.size > o.max_size || res.compressed_size != size))
		fuzz_tar_die("sizes past the bounds", NULL);
	fuzz_tar_check_contained();
	if (fs_rm_tree(AT_FDCWD, t, &err) < 0)
		fuzz_tar_die("cannot remove the target", err.msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fuzz_tar_dir[0]) {
		/* tmpfs when there is one: the target is made and removed per input */
		snprintf(fuzz_tar_dir, sizeof(fuzz_tar_dir), "%s/cpod-fuzz-tar.XXXXXX",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (!mkdtemp(fuzz_tar_dir))
			fuzz_tar_die("mkdtemp", strerror(errno));
		char p[128];
		snprintf(p, sizeof(p), "%s/outside", fuzz_tar_dir);
		if (mkdir(p, 0755) < 0)
			fuzz_tar_die("mkdir outside", strerror(errno));
		atexit(fuzz_tar_cleanup);
	}
	fuzz_tar_read_all(data, size);
	fuzz_tar_unpack(data, size);
	return 0;
}
