/*
 * test_tar.c — the tar reader and writer: writer-to-reader round trips of
 * every field (long names, PAX records, xattrs, ids and times that do not
 * fit ustar), hand-made headers for what only other tools write (GNU long
 * names, base-256 numbers, global PAX records, the ustar prefix) and for
 * what hostile archives do (bad checksums, truncation, sizes and counts
 * past the limits, sparse files, malformed PAX records), chunked input
 * that splits headers, and GNU tar both ways: archives it made are read
 * and compared with the files they came from, and the writer's output is
 * listed and extracted by it.
 *
 * Each test that touches the disk works in its own directory under /tmp
 * and removes it (the work happens in a *_body function, so a failed CHECK
 * still reaches the cleanup).
 */
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <sys/wait.h>

/* ---------------------------------------------------------------- helpers */

static void tt_fmt(char *out, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void tt_fmt(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, size, fmt, ap);
	va_end(ap);
}

/* A byte_source over memory that hands out at most `chunk` bytes a read. */
typedef struct tt_mem {
	const char *p;
	size_t n, off, chunk;
} tt_mem;

static ssize_t tt_mem_read(void *ctx, void *data, size_t n, cpod_err *err)
{
	tt_mem *m = ctx;
	size_t k = m->n - m->off;
	if (k > n)
		k = n;
	if (m->chunk && k > m->chunk)
		k = m->chunk;
	memcpy(data, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

/* The same as a chunk source (zero-copy path), chunk bytes at a time. */
static ssize_t tt_mem_next(void *ctx, const void **p, cpod_err *err)
{
	tt_mem *m = ctx;
	size_t k = m->n - m->off;
	if (m->chunk && k > m->chunk)
		k = m->chunk;
	*p = m->p + m->off;
	m->off += k;
	return (ssize_t)k;
}

static int tt_sink_buf(void *ctx, const void *data, size_t n, cpod_err *err)
{
	return buf_append(ctx, data, n, err);
}

static void tt_checksum(unsigned char *h)
{
	unsigned sum = 0;
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

/* Appends a ustar header block (checksum right) and returns its offset. */
static size_t tt_hdr(buf *b, const char *name, char type, uint64_t size, const char *link)
{
	unsigned char h[512];
	memset(h, 0, sizeof(h));
	memcpy(h, name, strlen(name) > 100 ? 100 : strlen(name));
	snprintf((char *)h + 100, 8, "%07o", 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011" PRIo64, size);
	snprintf((char *)h + 136, 12, "%011o", 1234567890);
	h[156] = (unsigned char)type;
	if (link)
		memcpy(h + 157, link, strlen(link) > 100 ? 100 : strlen(link));
	memcpy(h + 257, "ustar\0" "00", 8);
	tt_checksum(h);
	size_t off = b->len;
	buf_append(b, h, sizeof(h), NULL);
	return off;
}

static void tt_data(buf *b, const void *data, size_t n)
{
	static const char zero[512];
	buf_append(b, data, n, NULL);
	if (n % 512)
		buf_append(b, zero, 512 - n % 512, NULL);
}

static void tt_end(buf *b)
{
	static const char zero[1024];
	buf_append(b, zero, sizeof(zero), NULL);
}

/* A PAX header ('x' or 'g') with the given records ("key=value" strings). */
static void tt_pax(buf *b, char type, const char *const *recs, size_t n)
{
	buf body = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(recs[i], '=');
		char key[256];
		tt_fmt(key, sizeof(key), "%.*s", (int)(eq - recs[i]), recs[i]);
		tarw_record(&body, key, eq + 1, strlen(eq + 1), NULL);
	}
	tt_hdr(b, "PaxHeaders/x", type, body.len, NULL);
	tt_data(b, body.data, body.len);
	buf_free(&body);
}

typedef struct tt_reader {
	tt_mem mem;
	byte_source src;
	tar_reader *r;
} tt_reader;

static tar_reader *tt_open(tt_reader *t, const buf *b, size_t chunk, const tar_limits *lim)
{
	t->mem = (tt_mem){ b->data, b->len, 0, chunk };
	t->src = (byte_source){ tt_mem_read, &t->mem };
	t->r = tar_reader_new(&t->src, lim, NULL);
	return t->r;
}

/* Reads the whole archive; returns the tar_next/data error, 0 when clean. */
static int tt_read_all(const buf *b, const tar_limits *lim, cpod_err *err, int *entries)
{
	tt_reader t;
	const tar_entry *e;
	int k, n = 0;
	char data[1000];
	if (!tt_open(&t, b, 0, lim))
		return -1;
	while ((k = tar_next(t.r, &e, err)) > 0) {
		n++;
		ssize_t d;
		while ((d = tar_read_data(t.r, data, sizeof(data), err)) > 0)
			;
		if (d < 0) {
			k = -1;
			break;
		}
	}
	tar_reader_free(t.r);
	if (entries)
		*entries = n;
	return k < 0 ? -1 : 0;
}

/* ---------------------------------------------------------------- round trips */

static const char tt_long_name[] =
	"a-rather-long-directory-name-that-goes-on/and-another-one-that-is-also-long/"
	"file-with-a-name-past-one-hundred-bytes.txt";

static char tt_very_long[400];

static void tt_fill_very_long(void)
{
	memset(tt_very_long, 'x', sizeof(tt_very_long) - 1);
	for (size_t i = 50; i < sizeof(tt_very_long) - 1; i += 51)
		tt_very_long[i] = '/';
	tt_very_long[sizeof(tt_very_long) - 1] = '\0';
}

TEST(tar_round_trip_fields)
{
	buf out = BUF_INIT;
	tar_sink sink = { tt_sink_buf, &out };
	cpod_err err;
	cpod_err_clear(&err);
	tt_fill_very_long();
	tar_writer *w = tar_writer_new_sink(&sink, &err);
	CHECK(w);

	static const char value[] = { 'v', 0, 1, 2, (char)0xff };
	tar_xattr xs[2] = {{"user.bin", value, sizeof(value)}, {"security.capability", "cap", 3}};
	tar_entry es[] = {
		{.path = "file.txt",
		 .type = TAR_FILE,
		 .size = 11,
		 .mode = 04755,
		 .uid = 1000,
		 .gid = 1001,
		 .uname = "alice",
		 .gname = "staff",
		 .mtime_sec = 1700000000,
		 .mtime_nsec = 123456789,
		 .xattrs = xs,
		 .n_xattrs = 2},
		{.path = "dir/", .type = TAR_DIR, .mode = 01777, .mtime_sec = 5},
		{.path = "link", .linkname = "file.txt", .type = TAR_SYMLINK, .mode = 0777},
		{.path = "hard", .linkname = "file.txt", .type = TAR_HARDLINK, .mode = 0644},
		{.path = "null", .type = TAR_CHAR, .mode = 0666, .devmajor = 1, .devminor = 3},
		{.path = "blk",
		 .type = TAR_BLOCK,
		 .mode = 0660,
		 .devmajor = 259,
		 .devminor = 65536},
		{.path = "fifo", .type = TAR_FIFO, .mode = 0600},
		{.path = tt_long_name, .type = TAR_FILE, .size = 3, .mode = 0600},
		{.path = tt_very_long,
		 .linkname = tt_very_long,
		 .type = TAR_SYMLINK,
		 .mode = 0777},
		{.path = "bigids",
		 .type = TAR_FILE,
		 .uid = 4000000000u,
		 .gid = 3000000,
		 .uname = "a-user-name-that-is-longer-than-32-bytes",
		 .mtime_sec = -3,
		 .mtime_nsec = 250000000},
		{.path = "future", .type = TAR_DIR, .mtime_sec = (int64_t)1 << 40},
	};
	for (size_t i = 0; i < ARRAY_LEN(es); i++) {
		CHECK_MSG(tar_write_header(w, &es[i], &err) == 0, "%s", err.msg);
		if (es[i].type == TAR_FILE && es[i].size) {
			/* in two pieces, to cross the writer's buffering */
			const char *d = es[i].size == 11 ? "hello world" : "abc";
			CHECK(tar_write_data(w, d, 2, &err) == 0);
			CHECK(tar_write_data(w, d + 2, es[i].size - 2, &err) == 0);
		}
	}
	/* too much data is refused */
	tar_entry small = { .path = "small", .type = TAR_FILE, .size = 1 };
	CHECK(tar_write_header(w, &small, &err) == 0);
	CHECK(tar_write_data(w, "ab", 2, &err) < 0);
	CHECK(tar_write_data(w, "a", 1, &err) == 0);
	CHECK(tar_writer_finish(w, &err) == 0);
	CHECK(out.len % 512 == 0);

	/* read back, in chunks of odd sizes to split headers */
	size_t chunks[] = { 0, 1, 7, 511, 513, 4096 };
	for (size_t ci = 0; ci < ARRAY_LEN(chunks); ci++) {
		tt_reader t;
		const tar_entry *e;
		CHECK(tt_open(&t, &out, chunks[ci], NULL));
		for (size_t i = 0; i < ARRAY_LEN(es); i++) {
			const tar_entry *x = &es[i];
			int k = tar_next(t.r, &e, &err);
			CHECK_MSG(k == 1, "entry %zu chunk %zu: %d %s", i, chunks[ci], k, err.msg);
			CHECK_STR(e->path, x->path);
			CHECK(e->type == x->type);
			CHECK(e->mode == x->mode);
			CHECK(e->uid == x->uid && e->gid == x->gid);
			CHECK_STR(e->uname, x->uname ? x->uname : "");
			CHECK_STR(e->gname, x->gname ? x->gname : "");
			CHECK_MSG(e->mtime_sec == x->mtime_sec && e->mtime_nsec == x->mtime_nsec,
				  "%s: mtime %" PRId64 ".%u", x->path, e->mtime_sec,
				  e->mtime_nsec);
			CHECK(e->size == x->size);
			if (x->linkname)
				CHECK_STR(e->linkname, x->linkname);
			else
				CHECK_STR(e->linkname, "");
			if (x->type == TAR_CHAR || x->type == TAR_BLOCK)
				CHECK(e->devmajor == x->devmajor && e->devminor == x->devminor);
			CHECK(e->n_xattrs == x->n_xattrs);
			for (size_t j = 0; j < x->n_xattrs; j++) {
				CHECK_STR(e->xattrs[j].name, x->xattrs[j].name);
				CHECK(e->xattrs[j].len == x->xattrs[j].len);
				CHECK(memcmp(e->xattrs[j].value, x->xattrs[j].value,
					     e->xattrs[j].len) == 0);
			}
			if (x->size) {
				char data[32] = { 0 };
				/* read the first entry only partly: tar_next skips the rest */
				size_t want = i == 0 ? 5 : x->size;
				CHECK(tar_read_data(t.r, data, want, &err) == (ssize_t)want);
				CHECK(memcmp(data, i == 0 ? "hello" : "abc", want) == 0);
			}
		}
		CHECK(tar_next(t.r, &e, &err) == 1);
		CHECK_STR(e->path, "small");
		CHECK(tar_next(t.r, &e, &err) == 0);
		CHECK(tar_next(t.r, &e, &err) == 0);
		CHECK(tar_offset(t.r) == out.len);
		tar_reader_free(t.r);
	}

	/* the zero-copy path over a chunk source */
	tt_mem m = { out.data, out.len, 0, 1000 };
	tar_chunk_source cs = { tt_mem_next, &m };
	tar_reader *r = tar_reader_new_chunks(&cs, NULL, &err);
	CHECK(r);
	const tar_entry *e;
	CHECK(tar_next(r, &e, &err) == 1);
	const void *p;
	size_t got = 0;
	ssize_t n;
	char data[16];
	while ((n = tar_data_chunk(r, &p, &err)) > 0) {
		CHECK(got + (size_t)n <= sizeof(data));
		memcpy(data + got, p, (size_t)n);
		got += (size_t)n;
	}
	CHECK(n == 0 && got == 11 && memcmp(data, "hello world", 11) == 0);
	int count = 1;
	while (tar_next(r, &e, &err) == 1)
		count++;
	CHECK(count == (int)ARRAY_LEN(es) + 1);
	tar_reader_free(r);
	buf_free(&out);
}

TEST(tar_writer_refuses_bad_entries)
{
	buf out = BUF_INIT;
	tar_sink sink = { tt_sink_buf, &out };
	cpod_err err;
	tar_writer *w = tar_writer_new_sink(&sink, NULL);
	CHECK(w);
	tar_entry e = { .path = "", .type = TAR_FILE };
	CHECK(tar_write_header(w, &e, &err) < 0);
	e = (tar_entry){ .path = "l", .type = TAR_SYMLINK };
	CHECK(tar_write_header(w, &e, &err) < 0);
	e = (tar_entry){ .path = "x", .type = 'Z' };
	CHECK(tar_write_header(w, &e, &err) < 0);
	e = (tar_entry){ .path = "d", .type = TAR_CHAR, .devmajor = 1u << 30 };
	CHECK(tar_write_header(w, &e, &err) < 0);
	e = (tar_entry){ .path = "f", .type = TAR_FILE, .size = 10 };
	CHECK(tar_write_header(w, &e, &err) == 0);
	CHECK(tar_write_data(w, "12345", 5, &err) == 0);
	CHECK(tar_writer_finish(w, &err) < 0);
	CHECK(strstr(err.msg, "missing"));
	buf_free(&out);
}

/* ---------------------------------------------------------------- other tools' headers */

TEST(tar_reads_ustar_prefix_and_v7)
{
	buf b = BUF_INIT;
	size_t off = tt_hdr(&b, "name.txt", TAR_FILE, 2, NULL);
	memcpy(b.data + off + 345, "some/prefix", 11);
	tt_checksum((unsigned char *)b.data + off);
	tt_data(&b, "hi", 2);
	/* V7: no magic, type NUL, a trailing slash makes a directory */
	off = tt_hdr(&b, "olddir/", '\0', 0, NULL);
	memset(b.data + off + 257, 0, 8);
	memcpy(b.data + off + 345, "ignored", 7); /* no prefix without the ustar magic */
	tt_checksum((unsigned char *)b.data + off);
	off = tt_hdr(&b, "oldfile", '\0', 1, NULL);
	memset(b.data + off + 257, 0, 8);
	tt_checksum((unsigned char *)b.data + off);
	tt_data(&b, "x", 1);
	tt_hdr(&b, "contig", '7', 1, NULL);
	tt_data(&b, "y", 1);
	tt_hdr(&b, "unknown-type", 'Q', 1, NULL);
	tt_data(&b, "z", 1);
	tt_hdr(&b, "label", 'V', 0, NULL);
	/* a GNU dumpdir: a directory with a listing after it */
	char listing[700] = "Yfile";
	tt_hdr(&b, "dumped/", 'D', sizeof(listing), NULL);
	tt_data(&b, listing, sizeof(listing));
	tt_end(&b);

	tt_reader t;
	const tar_entry *e;
	cpod_err err;
	CHECK(tt_open(&t, &b, 0, NULL));
	CHECK(tar_next(t.r, &e, &err) == 1);
	CHECK_STR(e->path, "some/prefix/name.txt");
	CHECK(tar_next(t.r, &e, &err) == 1);
	CHECK_STR(e->path, "olddir/");
	CHECK(e->type == TAR_DIR);
	CHECK(tar_next(t.r, &e, &err) == 1);
	CHECK(e->type == TAR_FILE && e->size == 1);
	CHECK(tar_next(t.r, &e, &err) == 1);
	CHECK(e->type == TAR_FILE && strcmp(e->path, "contig") == 0);
	CHECK(tar_next(t.r, &e, &err) == 1);
	CHECK(e->type == TAR_FILE && strcmp(e->path, "unknown-type") == 0);
	CHECK(tar_next(t.r, &e, &err) == 1);
	CHECK(e->type == TAR_DIR && strcmp(e->path, "dumped/") == 0 && e->size == 0);
	char d[8];
	CHECK(tar_read_data(t.r, d, sizeof(d), &err) == 0);
	CHECK(tar_next(t.r, &e, &err) == 0);
	tar_reader_free(t.r);
	buf_free(&b);
}

TEST(tar_reads_gnu_long_names_and_base256)
{
	buf b = BUF_INIT;
	char longname[300], longlink[250];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	longname[150] = '/';
	memset(longlink, 'l', sizeof(longlink) - 1);
	longlink[sizeof(longlink) - 1] = '\0';

	size_t off = tt_hdr(&b, "././@LongLink", 'L', strlen(longname) + 1, NULL);
	memcpy(b.data + off + 257, "ustar  \0", 8);
	tt_checksum((unsigned char *)b.data + off);
	tt_data(&b, longname, strlen(longname) + 1);
	tt_hdr(&b, "././@LongLink", 'K', strlen(longlink) + 1, NULL);
	tt_data(&b, longlink, strlen(longlink) + 1);
	off = tt_hdr(&b, "truncated-name", TAR_SYMLINK, 0, "truncated-link");
	memcpy(b.data + off + 257, "ustar  \0", 8);
	tt_checksum((unsigned char *)b.data + off);

	/* base-256: a size of 3, uid 2^40, an mtime of -1000 */
	off = tt_hdr(&b, "b256", TAR_FILE, 0, NULL);
	unsigned char *h = (unsigned char *)b.data + off;
	memset(h + 124, 0, 12);
	h[124] = 0x80;
	h[135] = 3;
	memset(h + 108, 0, 8);
	h[108] = 0x80;
	h[110] = 0x01; /* bytes 109..115 big-endian: 0x00 01 00 00 00 00 00 = 2^40 */
	memset(h + 136, 0xff, 12);
	int64_t m = -1000;
	for (int i = 0; i < 8; i++)
		h[147 - i] = (unsigned char)((uint64_t)m >> (8 * i));
	tt_checksum(h);
	tt_data(&b, "abc", 3);
	tt_end(&b);

	tt_reader t;
	const tar_entry *e;
	cpod_err err;
	cpod_err_clear(&err);
	CHECK(tt_open(&t, &b, 3, NULL));
	CHECK_MSG(tar_next(t.r, &e, &err) == 1, "%s", err.msg);
	CHECK_STR(e->path, longname);
	CHECK_STR(e->linkname, longlink);
	CHECK(e->type == TAR_SYMLINK);
	CHECK_MSG(tar_next(t.r, &e, &err) == 1, "%s", err.msg);
	CHECK_STR(e->path, "b256");
	CHECK(e->size == 3);
	CHECK(e->uid == (uint64_t)1 << 40);
	CHECK(e->mtime_sec == -1000);
	CHECK(tar_next(t.r, &e, &err) == 0);
	tar_reader_free(t.r);
	buf_free(&b);
}

TEST(tar_pax_records_and_globals)
{
	buf b = BUF_INIT;
	static const char *const g[] = { "uid=42", "gname=global-group", "mtime=100.5",
					 "path=ignored-global-path", "SCHILY.xattr.user.g=G" };
	static const char *const x[] = {"path=pax/name/from/record",
					"uid=7",
					"size=4",
					"mtime=-1.25",
					"linkpath=",
					"SCHILY.xattr.user.g=local",
					"SCHILY.xattr.user.empty=",
					"comment=whatever",
					"atime=1.5"};
	tt_pax(&b, 'g', g, ARRAY_LEN(g));
	tt_pax(&b, 'x', x, ARRAY_LEN(x));
	tt_hdr(&b, "header-name", TAR_FILE, 0, NULL);
	tt_data(&b, "data", 4);
	tt_hdr(&b, "second", TAR_FILE, 0, NULL);
	tt_end(&b);

	tt_reader t;
	const tar_entry *e;
	cpod_err err;
	cpod_err_clear(&err);
	CHECK(tt_open(&t, &b, 0, NULL));
	CHECK_MSG(tar_next(t.r, &e, &err) == 1, "%s", err.msg);
	CHECK_STR(e->path, "pax/name/from/record");
	CHECK(e->uid == 7 && e->size == 4);
	CHECK_STR(e->gname, "global-group");
	CHECK(e->mtime_sec == -2 && e->mtime_nsec == 750000000);
	CHECK(e->n_xattrs == 2);
	CHECK_STR(e->xattrs[0].name, "user.g");
	CHECK(e->xattrs[0].len == 5 && memcmp(e->xattrs[0].value, "local", 5) == 0);
	CHECK_STR(e->xattrs[1].name, "user.empty");
	CHECK(e->xattrs[1].len == 0);
	char d[8];
	CHECK(tar_read_data(t.r, d, sizeof(d), &err) == 4 && memcmp(d, "data", 4) == 0);
	/* the next entry: globals only */
	CHECK(tar_next(t.r, &e, &err) == 1);
	CHECK_STR(e->path, "second");
	CHECK(e->uid == 42 && e->mtime_sec == 100 && e->mtime_nsec == 500000000);
	CHECK(e->n_xattrs == 1 && e->xattrs[0].len == 1);
	CHECK(tar_next(t.r, &e, &err) == 0);
	tar_reader_free(t.r);
	buf_free(&b);
}

/* ---------------------------------------------------------------- hostile input */

/* Reading b must fail with a message containing each of the words. */
static bool tt_fails(const buf *b, const tar_limits *lim, const char *w1, const char *w2,
		     char *msg, size_t msize)
{
	cpod_err err;
	cpod_err_clear(&err);
	int r = tt_read_all(b, lim, &err, NULL);
	snprintf(msg, msize, "%s", err.msg);
	return r < 0 && err.code != CPOD_OK && (!w1 || strstr(err.msg, w1)) &&
	       (!w2 || strstr(err.msg, w2));
}

TEST(tar_hostile_headers)
{
	buf b = BUF_INIT;
	char msg[1024];

	/* bad checksum: names the entry */
	size_t off = tt_hdr(&b, "evil-checksum", TAR_FILE, 0, NULL);
	b.data[off + 101] ^= 1;
	tt_end(&b);
	CHECK_MSG(tt_fails(&b, NULL, "evil-checksum", "checksum", msg, sizeof(msg)), "%s", msg);

	/* truncated data */
	buf_reset(&b);
	tt_hdr(&b, "truncated-file", TAR_FILE, 5000, NULL);
	tt_data(&b, "short", 5);
	CHECK_MSG(tt_fails(&b, NULL, "truncated-file", "unexpected end", msg, sizeof(msg)), "%s",
		  msg);

	/* a header cut in the middle */
	buf_reset(&b);
	tt_hdr(&b, "whole", TAR_DIR, 0, NULL);
	tt_hdr(&b, "cut", TAR_DIR, 0, NULL);
	b.len -= 100;
	CHECK_MSG(tt_fails(&b, NULL, "unexpected end", NULL, msg, sizeof(msg)), "%s", msg);

	/* a size past max_entry, in base-256 */
	buf_reset(&b);
	off = tt_hdr(&b, "absurd-size", TAR_FILE, 0, NULL);
	memset(b.data + off + 124, 0, 12);
	b.data[off + 124] = (char)0x80;
	b.data[off + 128] = 0x10; /* 2^60 */
	tt_checksum((unsigned char *)b.data + off);
	tt_end(&b);
	tar_limits lim = { .max_entry = 1 << 20 };
	CHECK_MSG(tt_fails(&b, &lim, "absurd-size", "exceeds", msg, sizeof(msg)), "%s", msg);

	/* base-256 overflow */
	memset(b.data + off + 124, 0xff, 12);
	b.data[off + 124] = (char)0x80;
	tt_checksum((unsigned char *)b.data + off);
	CHECK_MSG(tt_fails(&b, NULL, "absurd-size", "number", msg, sizeof(msg)), "%s", msg);

	/* a malformed octal number */
	buf_reset(&b);
	off = tt_hdr(&b, "bad-octal", TAR_FILE, 0, NULL);
	memcpy(b.data + off + 108, "12x4567", 7);
	tt_checksum((unsigned char *)b.data + off);
	tt_end(&b);
	CHECK_MSG(tt_fails(&b, NULL, "bad-octal", "malformed", msg, sizeof(msg)), "%s", msg);

	/* GNU sparse files, both ways */
	buf_reset(&b);
	tt_hdr(&b, "sparse-file", 'S', 0, NULL);
	tt_end(&b);
	CHECK_MSG(tt_fails(&b, NULL, "sparse-file", "sparse", msg, sizeof(msg)), "%s", msg);
	buf_reset(&b);
	static const char *const sp[] = { "GNU.sparse.major=1", "GNU.sparse.minor=0" };
	tt_pax(&b, 'x', sp, 2);
	tt_hdr(&b, "pax-sparse", TAR_FILE, 0, NULL);
	tt_end(&b);
	CHECK_MSG(tt_fails(&b, NULL, "sparse", NULL, msg, sizeof(msg)), "%s", msg);

	/* names and links past max_path, through GNU and PAX */
	lim = (tar_limits){ .max_path = 200 };
	char longname[400];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	buf_reset(&b);
	tt_hdr(&b, "././@LongLink", 'L', sizeof(longname), NULL);
	tt_data(&b, longname, sizeof(longname));
	tt_hdr(&b, "x", TAR_FILE, 0, NULL);
	tt_end(&b);
	CHECK_MSG(tt_fails(&b, &lim, "GNU long name", "limit", msg, sizeof(msg)), "%s", msg);
	buf_reset(&b);
	char rec[420];
	tt_fmt(rec, sizeof(rec), "path=%s", longname);
	const char *pr[] = { rec };
	tt_pax(&b, 'x', pr, 1);
	tt_hdr(&b, "x", TAR_FILE, 0, NULL);
	tt_end(&b);
	CHECK_MSG(tt_fails(&b, &lim, "path", "limit", msg, sizeof(msg)), "%s", msg);

	/* a PAX header past max_pax */
	lim = (tar_limits){ .max_pax = 100 };
	CHECK_MSG(tt_fails(&b, &lim, "PAX header", "limit", msg, sizeof(msg)), "%s", msg);

	/* more xattrs than max_xattrs */
	lim = (tar_limits){ .max_xattrs = 2 };
	static const char *const xa[] = { "SCHILY.xattr.user.a=1", "SCHILY.xattr.user.b=2",
					  "SCHILY.xattr.user.c=3" };
	buf_reset(&b);
	tt_pax(&b, 'x', xa, 3);
	tt_hdr(&b, "many-xattrs", TAR_FILE, 0, NULL);
	tt_end(&b);
	CHECK_MSG(tt_fails(&b, &lim, "xattrs", NULL, msg, sizeof(msg)), "%s", msg);

	/* malformed PAX: a length that lies, a NUL in a path, a bad number */
	buf_reset(&b);
	tt_hdr(&b, "PaxHeaders/x", 'x', 12, NULL);
	tt_data(&b, "99 path=abc\n", 12);
	tt_hdr(&b, "x", TAR_FILE, 0, NULL);
	tt_end(&b);
	CHECK_MSG(tt_fails(&b, NULL, "malformed PAX", NULL, msg, sizeof(msg)), "%s", msg);
	buf_reset(&b);
	tt_hdr(&b, "PaxHeaders/x", 'x', 12, NULL);
	tt_data(&b, "12 path=a\0c\n", 12);
	tt_hdr(&b, "x", TAR_FILE, 0, NULL);
	tt_end(&b);
	CHECK_MSG(tt_fails(&b, NULL, "NUL", NULL, msg, sizeof(msg)), "%s", msg);
	static const char *const bad_uid[] = { "uid=-5" };
	buf_reset(&b);
	tt_pax(&b, 'x', bad_uid, 1);
	tt_hdr(&b, "x", TAR_FILE, 0, NULL);
	tt_end(&b);
	CHECK_MSG(tt_fails(&b, NULL, "uid", NULL, msg, sizeof(msg)), "%s", msg);

	/* endless extension headers */
	buf_reset(&b);
	for (int i = 0; i < 40; i++)
		tt_pax(&b, 'x', bad_uid + 0, 0);
	tt_hdr(&b, "x", TAR_FILE, 0, NULL);
	tt_end(&b);
	CHECK_MSG(tt_fails(&b, NULL, "extension headers", NULL, msg, sizeof(msg)), "%s", msg);

	/* an extension header and then the end */
	buf_reset(&b);
	tt_pax(&b, 'x', bad_uid, 0);
	CHECK_MSG(tt_fails(&b, NULL, NULL, NULL, msg, sizeof(msg)), "%s", msg);

	/* a lone zero block followed by a header */
	buf_reset(&b);
	tt_hdr(&b, "a", TAR_DIR, 0, NULL);
	static const char zero[512];
	buf_append(&b, zero, 512, NULL);
	tt_hdr(&b, "hidden-after-zero", TAR_FILE, 0, NULL);
	tt_end(&b);
	CHECK_MSG(tt_fails(&b, NULL, "zero block", NULL, msg, sizeof(msg)), "%s", msg);

	/* links without targets, empty names */
	buf_reset(&b);
	tt_hdr(&b, "nolink", TAR_SYMLINK, 0, NULL);
	tt_end(&b);
	CHECK_MSG(tt_fails(&b, NULL, "nolink", "target", msg, sizeof(msg)), "%s", msg);
	buf_reset(&b);
	tt_hdr(&b, "", TAR_FILE, 0, NULL);
	tt_end(&b);
	CHECK_MSG(tt_fails(&b, NULL, "empty name", NULL, msg, sizeof(msg)), "%s", msg);

	/* after an error the reader stays failed */
	buf_reset(&b);
	off = tt_hdr(&b, "evil", TAR_FILE, 0, NULL);
	b.data[off] ^= 1;
	tt_reader t;
	const tar_entry *e;
	cpod_err err;
	CHECK(tt_open(&t, &b, 0, NULL));
	CHECK(tar_next(t.r, &e, &err) < 0);
	CHECK(tar_next(t.r, &e, &err) < 0);
	tar_reader_free(t.r);
	buf_free(&b);
}

TEST(tar_end_without_trailer)
{
	buf b = BUF_INIT;
	int n = -1;
	cpod_err err;
	tt_hdr(&b, "a", TAR_DIR, 0, NULL);
	tt_hdr(&b, "a/f", TAR_FILE, 3, NULL);
	tt_data(&b, "abc", 3);
	CHECK(tt_read_all(&b, NULL, &err, &n) == 0 && n == 2);
	/* one zero block, then nothing */
	static const char zero[512];
	buf_append(&b, zero, 512, NULL);
	CHECK(tt_read_all(&b, NULL, &err, &n) == 0 && n == 2);
	/* an empty stream is an empty archive */
	buf_reset(&b);
	CHECK(tt_read_all(&b, NULL, &err, &n) == 0 && n == 0);
	buf_free(&b);
}

/* ---------------------------------------------------------------- GNU tar */

static int tt_sh(const char *fmt, ...) PRINTF_LIKE(1, 2);
static int tt_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool tt_tmpdir(char *dir, size_t size)
{
	tt_fmt(dir, size, "/tmp/cpod-unit-tar.XXXXXX");
	return mkdtemp(dir) != NULL;
}

/* A tree of every kind of entry under dir/src (GNU tar and cpod read it). */
static int tt_make_tree(const char *dir)
{
	return tt_sh("set -e; cd %s; mkdir -p src/sub/deeper; cd src;"
		     "printf 'hello\\n' > file; chown 1000:1001 file; chmod 4755 file;"
		     "setfattr -n user.note -v 'some value' file;"
		     "head -c 300000 /dev/urandom > big;"
		     "ln file hardlink; ln -s file symlink; ln -s /abs/dangling dangling;"
		     "mkfifo fifo; mknod chardev c 1 3; chmod 2750 sub;"
		     "n=; for i in 1 2 3 4 5 6 7 8 9 10 11 12; do n=${n}segment$i-; done;"
		     "mkdir -p long/$n; echo long > long/$n/$n$n;"
		     "touch -h -d '2001-02-03 04:05:06.123456789' symlink;"
		     "touch -d '2020-01-01 00:00:00.5' file sub/deeper;"
		     "touch -d '1999-12-31 23:59:59.999999999' sub", dir);
}

static int tt_walk_compare(const char *tree, tar_reader *r, bool pax, char *msg, size_t msize)
{
	const tar_entry *e;
	cpod_err err;
	int k, n = 0;
	cpod_err_clear(&err);
	while ((k = tar_next(r, &e, &err)) > 0) {
		char p[PATH_MAX];
		struct stat st;
		n++;
		tt_fmt(p, sizeof(p), "%s/%s", tree, e->path);
		if (lstat(p, &st) < 0) {
			tt_fmt(msg, msize, "%s: not on disk", e->path);
			return -1;
		}
		bool ok = true;
		switch (e->type) {
		case TAR_FILE:
			ok = S_ISREG(st.st_mode) && (uint64_t)st.st_size == e->size;
			break;
		case TAR_HARDLINK:
			ok = S_ISREG(st.st_mode) && strcmp(e->linkname, "./file") == 0;
			break;
		case TAR_DIR:
			ok = S_ISDIR(st.st_mode);
			break;
		case TAR_SYMLINK: {
			char t[PATH_MAX];
			ssize_t tl = readlink(p, t, sizeof(t) - 1);
			ok = S_ISLNK(st.st_mode) && tl > 0 &&
			     (t[tl] = '\0', strcmp(t, e->linkname) == 0);
			break;
		}
		case TAR_CHAR:
			ok = S_ISCHR(st.st_mode) && major(st.st_rdev) == e->devmajor &&
			     minor(st.st_rdev) == e->devminor;
			break;
		case TAR_FIFO:
			ok = S_ISFIFO(st.st_mode);
			break;
		default:
			ok = false;
		}
		if (!ok || (e->type != TAR_SYMLINK && e->mode != (st.st_mode & 07777)) ||
		    e->uid != st.st_uid || e->gid != st.st_gid ||
		    e->mtime_sec != st.st_mtim.tv_sec ||
		    (pax && e->mtime_nsec != (uint32_t)st.st_mtim.tv_nsec)) {
			tt_fmt(msg, msize,
			       "%s: type %c mode %o uid %" PRIu64 " mtime %" PRId64 ".%u differ",
			       e->path, e->type, e->mode, e->uid, e->mtime_sec, e->mtime_nsec);
			return -1;
		}
		if (e->type == TAR_FILE) {
			/* content */
			int fd = open(p, O_RDONLY | O_CLOEXEC);
			char a[4096], bb[4096];
			ssize_t got;
			while ((got = tar_read_data(r, a, sizeof(a), &err)) > 0) {
				if (read(fd, bb, (size_t)got) != got ||
				    memcmp(a, bb, (size_t)got) != 0) {
					close(fd);
					tt_fmt(msg, msize, "%s: content differs", e->path);
					return -1;
				}
			}
			close(fd);
		}
		if (strcmp(e->path, "./file") == 0) {
			if (pax &&
			    (e->n_xattrs != 1 || strcmp(e->xattrs[0].name, "user.note") != 0 ||
			     e->xattrs[0].len != 10)) {
				tt_fmt(msg, msize, "file: xattrs not read (%zu)", e->n_xattrs);
				return -1;
			}
		}
	}
	if (k < 0) {
		tt_fmt(msg, msize, "%s", err.msg);
		return -1;
	}
	return n;
}

static void tt_gnu_read_body(const char *dir)
{
	char msg[1024] = "";
	CHECK_MSG(tt_make_tree(dir) == 0, "cannot build the tree (setfattr installed?)");
	static const char *const formats[] = { "pax", "gnu" };
	for (size_t i = 0; i < ARRAY_LEN(formats); i++) {
		char tarp[PATH_MAX], tree[PATH_MAX];
		tt_fmt(tarp, sizeof(tarp), "%s/%s.tar", dir, formats[i]);
		tt_fmt(tree, sizeof(tree), "%s/src", dir);
		CHECK(tt_sh("cd %s/src && tar %s --sort=name --format=%s -cf %s .", dir,
			    i == 0 ? "--xattrs" : "", formats[i], tarp) == 0);
		int fd = open(tarp, O_RDONLY | O_CLOEXEC);
		CHECK(fd >= 0);
		byte_source s = source_fd(&fd);
		tar_reader *r = tar_reader_new(&s, NULL, NULL);
		int n = tt_walk_compare(tree, r, i == 0, msg, sizeof(msg));
		tar_reader_free(r);
		close(fd);
		CHECK_MSG(n == 13, "%s: %s (%d entries)", formats[i], msg, n);
	}
}

TEST(tar_reads_gnu_tar_archives)
{
	char dir[PATH_MAX];
	CHECK(tt_tmpdir(dir, sizeof(dir)));
	tt_gnu_read_body(dir);
	fs_rm_tree(AT_FDCWD, dir, NULL);
}

/* The writer's output, from tar_write_file over the same tree: GNU tar
 * lists it and extracts the same files. */
static void tt_gnu_write_body(const char *dir)
{
	char tarp[PATH_MAX], msg[1024] = "";
	cpod_err err;
	cpod_err_clear(&err);
	CHECK_MSG(tt_make_tree(dir) == 0, "cannot build the tree");
	tt_fmt(tarp, sizeof(tarp), "%s/cpod.tar", dir);
	int out = open(tarp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(out >= 0);
	tar_writer *w = tar_writer_new(out, &err);
	CHECK(w);
	/* the names GNU tar gives them, in its order */
	char list[PATH_MAX];
	tt_fmt(list, sizeof(list), "%s/names", dir);
	CHECK(tt_sh("cd %s/src && find . -mindepth 1 | LC_ALL=C sort > %s", dir, list) == 0);
	FILE *f = fopen(list, "re");
	CHECK(f);
	char line[PATH_MAX];
	char srcdir[PATH_MAX];
	tt_fmt(srcdir, sizeof(srcdir), "%s/src", dir);
	int sfd = open(srcdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		rc = tar_write_file(w, sfd, line + 2, line + 2, &err);
	}
	fclose(f);
	close(sfd);
	CHECK_MSG(rc == 0, "%s", err.msg);
	CHECK_MSG(tar_writer_finish(w, &err) == 0, "%s", err.msg);
	close(out);

	/* GNU tar lists it: the hard link, the symlink, the device, the setuid bit */
	char listing[PATH_MAX];
	tt_fmt(listing, sizeof(listing), "%s/listing", dir);
	CHECK(tt_sh("tar -tvf %s > %s 2>&1", tarp, listing) == 0);
	buf l = BUF_INIT;
	CHECK(fs_read_file(AT_FDCWD, listing, 1 << 20, &l, NULL) == 0);
	bool ok = strstr(l.data, "hardlink link to file") && strstr(l.data, "symlink -> file") &&
		  strstr(l.data, "crw-r--r--") && strstr(l.data, "1,3 ") &&
		  strstr(l.data, "-rwsr-xr-x") && strstr(l.data, "segment12-/segment1-") &&
		  strstr(l.data, "prw-r--r--");
	tt_fmt(msg, sizeof(msg), "%.900s", l.data);
	buf_free(&l);
	CHECK_MSG(ok, "tar -tvf: %s", msg);

	/* and extracts it as it would its own archive */
	CHECK(tt_sh("mkdir %s/x && tar --xattrs --xattrs-include='*' -xf %s -C %s/x", dir, tarp,
		    dir) == 0);
	CHECK(tt_sh("cd %s && for t in src x; do (cd $t && { find . -mindepth 1 -printf"
		    " '%%y %%m %%U %%G %%T@ %%s %%l %%n %%p\\n'; find . -type f -exec md5sum {} +; } |"
		    " sort > ../$t.list); done; cmp -s src.list x.list",
		    dir) == 0);
	char xv[64];
	char xp[PATH_MAX];
	tt_fmt(xp, sizeof(xp), "%s/x/file", dir);
	ssize_t xl = getxattr(xp, "user.note", xv, sizeof(xv));
	CHECK(xl == 10 && memcmp(xv, "some value", 10) == 0);
}

TEST(tar_writer_output_read_by_gnu_tar)
{
	char dir[PATH_MAX];
	CHECK(tt_tmpdir(dir, sizeof(dir)));
	tt_gnu_write_body(dir);
	fs_rm_tree(AT_FDCWD, dir, NULL);
}
