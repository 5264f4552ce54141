/*
 * tar.c — the tar reader (see tar.h): ustar, GNU and PAX headers merged
 * into one tar_entry, data read in place from the source's buffers.
 *
 * The reader works on chunks lent by a tar_chunk_source; a byte_source is
 * wrapped into one with a buffer of the reader's own.  Headers are copied
 * (512 bytes, possibly gathered across chunks); file data is handed out
 * where it lies.  Precedence follows Go's archive/tar, which containerd and
 * moby use, so that cpod sees the same tree as they do: the ustar header,
 * then a GNU long name/link ('L', 'K'), then the PAX extended header ('x',
 * the last one before the entry wins), global PAX records ('g') under all
 * of them.  Types that carry no data (links, devices, directories, fifos)
 * have none whatever their size field says.
 *
 * Bounds: every name and link by max_path, an extended header by max_pax,
 * xattrs by max_xattrs (each at most 255 bytes of name, 64 KiB of value),
 * a file by max_entry, and at most TAR_MAX_EXT extension headers before an
 * entry.  An error names the entry (or the header's offset when the header
 * itself is unreadable), with unprintable bytes shown as '?'.
 */
#include "tar.h"

#define TAR_BLKSZ 512
#define TAR_RBUF (128 << 10)
#define TAR_MAX_EXT 16
#define TAR_XATTR_NAME_MAX 255
#define TAR_XATTR_VALUE_MAX (64 << 10)

enum { TAR_ST_HEADER, TAR_ST_DATA, TAR_ST_END, TAR_ST_FAILED };

/* Values of PAX records that override the header. */
enum {
	TAR_PAX_PATH = 1 << 0,
	TAR_PAX_LINK = 1 << 1,
	TAR_PAX_SIZE = 1 << 2,
	TAR_PAX_UID = 1 << 3,
	TAR_PAX_GID = 1 << 4,
	TAR_PAX_UNAME = 1 << 5,
	TAR_PAX_GNAME = 1 << 6,
	TAR_PAX_MTIME = 1 << 7,
};

typedef struct tar_pax {
	unsigned has;
	const char *path, *link, *uname, *gname; /* NUL-terminated, in the owner's buffer */
	uint64_t size, uid, gid;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	tar_xattr *xattrs;
	size_t n_xattrs;
} tar_pax;

struct tar_reader {
	tar_chunk_source cs;
	byte_source src;             /* when over a byte_source: cs reads it into rbuf */
	unsigned char *rbuf;
	const unsigned char *cp;     /* unread part of the current chunk */
	size_t clen;
	bool eof;
	uint64_t offset;
	tar_limits lim;
	int state;
	uint64_t left, pad;          /* the current entry's unread data, then padding */
	tar_entry e;
	buf path, link, uname, gname;
	buf pax;                     /* the pending 'x' header's records */
	tar_pax lpax;
	bool have_lpax;
	buf gnu_path, gnu_link;      /* pending 'L' / 'K' */
	bool have_gnu_path, have_gnu_link;
	buf graw;                    /* the 'g' header being read */
	buf gbuf;                    /* every 'g' record seen, re-serialised */
	tar_pax gpax;                /* parsed from copies in gstore */
	buf gstore;
	tar_xattr *xattrs;           /* the entry's merged xattrs */
	size_t n_xattrs;
	char quoted[160];            /* the entry's name for messages */
};

/* ---------------------------------------------------------------- input */

static ssize_t tar_src_next(void *ctx, const void **p, cpod_err *err)
{
	tar_reader *r = ctx;
	ssize_t n = source_read(&r->src, r->rbuf, TAR_RBUF, err);
	if (n > 0)
		*p = r->rbuf;
	return n;
}

/* Makes the current chunk non-empty; 0 at the end of the stream. */
static int tar_fill(tar_reader *r, cpod_err *err)
{
	while (r->clen == 0) {
		if (r->eof)
			return 0;
		const void *p = NULL;
		ssize_t n = r->cs.next(r->cs.ctx, &p, err);
		if (n < 0)
			return -1;
		if (n == 0) {
			r->eof = true;
			return 0;
		}
		r->cp = p;
		r->clen = (size_t)n;
	}
	return 1;
}

/* Reads exactly n bytes into out, or fewer at the end: the count, -1 on error. */
static ssize_t tar_read_full(tar_reader *r, void *out, size_t n, cpod_err *err)
{
	size_t got = 0;
	while (got < n) {
		int f = tar_fill(r, err);
		if (f < 0)
			return -1;
		if (f == 0)
			break;
		size_t take = r->clen < n - got ? r->clen : n - got;
		memcpy((char *)out + got, r->cp, take);
		r->cp += take;
		r->clen -= take;
		r->offset += take;
		got += take;
	}
	return (ssize_t)got;
}

/* Skips n bytes; 1 done, 0 the stream ended first, -1 on error. */
static int tar_skip(tar_reader *r, uint64_t n, cpod_err *err)
{
	while (n) {
		int f = tar_fill(r, err);
		if (f <= 0)
			return f;
		size_t take = r->clen < n ? r->clen : (size_t)n;
		r->cp += take;
		r->clen -= take;
		r->offset += take;
		n -= take;
	}
	return 1;
}

/* ---------------------------------------------------------------- helpers */

/* name (n bytes) for an error message: quoted-safe, cut, '?' for unprintables. */
static void tar_quote(char *out, size_t size, const char *name, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 4 < size; i++) {
		unsigned char c = (unsigned char)name[i];
		out[o++] = (c < 0x20 || c == 0x7f || c == '"') ? '?' : (char)c;
	}
	if (o + 4 >= size && n > 0) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static size_t tar_fieldlen(const unsigned char *f, size_t n)
{
	const void *z = memchr(f, 0, n);
	return z ? (size_t)((const unsigned char *)z - f) : n;
}

/* A numeric field: octal (spaces or NULs around) or base-256 (first byte
 * 0x80 positive, 0xff negative).  -1 when malformed. */
static int tar_number(const unsigned char *f, size_t n, int64_t *out)
{
	if (n && (f[0] & 0x80)) {
		unsigned char inv = (f[0] & 0x40) ? 0xff : 0;
		uint64_t x = 0;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = f[i] ^ inv;
			if (i == 0)
				c &= 0x7f;
			if (x >> 56)
				return -1;
			x = x << 8 | c;
		}
		if (x >> 63)
			return -1;
		*out = inv ? ~(int64_t)x : (int64_t)x;
		return 0;
	}
	size_t i = 0;
	uint64_t x = 0;
	while (i < n && (f[i] == ' ' || f[i] == 0))
		i++;
	if (i == n) {
		*out = 0;
		return 0;
	}
	size_t start = i;
	while (i < n && f[i] >= '0' && f[i] <= '7') {
		if (x >> 60)
			return -1;
		x = x << 3 | (uint64_t)(f[i] - '0');
		i++;
	}
	if (i == start)
		return -1;
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != 0)
			return -1;
	*out = (int64_t)x;
	return 0;
}

static bool tar_zero_block(const unsigned char *b)
{
	static const unsigned char zero[TAR_BLKSZ];
	return memcmp(b, zero, TAR_BLKSZ) == 0;
}

static bool tar_checksum_ok(const unsigned char *b)
{
	int64_t stored;
	if (tar_number(b + 148, 8, &stored) < 0 || stored < 0)
		return false;
	/* the field counts as spaces; old tars summed signed chars */
	uint64_t us = 8 * ' ';
	int64_t ss = 8 * ' ';
	for (int i = 0; i < TAR_BLKSZ; i++) {
		if (i >= 148 && i < 156)
			continue;
		us += b[i];
		ss += (signed char)b[i];
	}
	return (uint64_t)stored == us || stored == ss;
}

static int tar_fail(tar_reader *r)
{
	r->state = TAR_ST_FAILED;
	return -1;
}

/* Decimal value of a PAX record; -1 when not a plain non-negative number. */
static int tar_pax_uint(const char *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;
	if (n == 0 || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (x > INT64_MAX)
		return -1;
	*out = x;
	return 0;
}

/* "[-]S[.F]" into seconds and nanoseconds (floor, so -1.5 is -2 s + 0.5 s). */
static int tar_pax_time(const char *v, size_t n, int64_t *sec, uint32_t *nsec)
{
	bool neg = n && v[0] == '-';
	size_t i = neg, start = i;
	uint64_t s = 0, ns = 0;
	while (i < n && v[i] >= '0' && v[i] <= '9') {
		if (i - start >= 18)
			return -1;
		s = s * 10 + (uint64_t)(v[i] - '0');
		i++;
	}
	if (i == start)
		return -1;
	if (i < n && v[i] == '.') {
		i++;
		int digits = 0;
		for (; i < n && v[i] >= '0' && v[i] <= '9'; i++) {
			if (digits < 9) {
				ns = ns * 10 + (uint64_t)(v[i] - '0');
				digits++;
			}
		}
		for (; digits < 9; digits++)
			ns *= 10;
	}
	if (i != n)
		return -1;
	if (neg) {
		*sec = -(int64_t)s - (ns ? 1 : 0);
		*nsec = ns ? (uint32_t)(1000000000 - ns) : 0;
	} else {
		*sec = (int64_t)s;
		*nsec = (uint32_t)ns;
	}
	return 0;
}

/* ---------------------------------------------------------------- PAX */

/* One record's key and value, checked and NUL-terminated in place. */
typedef struct tar_rec {
	const char *key;
	char *val;
	size_t vlen;
} tar_rec;

/* Splits the next record off data[*pos..len). 1 a record, 0 the end, -1 malformed. */
static int tar_pax_next(char *data, size_t len, size_t *pos, tar_rec *rec)
{
	size_t p = *pos, n = 0, i = p;
	if (p >= len)
		return 0;
	while (i < len && data[i] >= '0' && data[i] <= '9') {
		if (i - p >= 9)
			return -1;
		n = n * 10 + (size_t)(data[i] - '0');
		i++;
	}
	if (i == p || i >= len || data[i] != ' ' || n < i - p + 4 || n > len - p)
		return -1;
	char *rec_start = data + i + 1, *rec_end = data + p + n - 1;
	if (*rec_end != '\n')
		return -1;
	char *eq = memchr(rec_start, '=', (size_t)(rec_end - rec_start));
	if (!eq || eq == rec_start || memchr(rec_start, 0, (size_t)(eq - rec_start)))
		return -1;
	*eq = '\0';
	*rec_end = '\0';
	rec->key = rec_start;
	rec->val = eq + 1;
	rec->vlen = (size_t)(rec_end - (eq + 1));
	*pos = p + n;
	return 1;
}

static bool tar_text_ok(const char *v, size_t n)
{
	return memchr(v, 0, n) == NULL;
}

/* Applies one record to px.  xattr names and values point into the record
 * (the caller keeps it alive).  1 applied or ignored, -1 bad (message set). */
static int tar_pax_apply(tar_reader *r, tar_pax *px, size_t *xcap, const tar_rec *rec,
			 bool global, cpod_err *err)
{
	const char *k = rec->key;
	const char *v = rec->val;
	size_t n = rec->vlen;

	if (strncmp(k, "GNU.sparse.", 11) == 0)
		return err_set(err, CPOD_E_UNSUPPORTED, "GNU sparse files are not supported");
	if (strncmp(k, "SCHILY.xattr.", 13) == 0) {
		const char *name = k + 13;
		size_t nl = strlen(name);
		if (nl == 0 || nl > TAR_XATTR_NAME_MAX)
			return err_set(err, CPOD_E_INVALID, "bad xattr name in PAX record %.40s",
				       k);
		if (n > TAR_XATTR_VALUE_MAX)
			return err_set(err, CPOD_E_LIMIT,
				       "xattr %.80s: value of %zu bytes is too large", name, n);
		for (size_t i = 0; i < px->n_xattrs; i++) {
			if (strcmp(px->xattrs[i].name, name) == 0) {
				px->xattrs[i].value = v;
				px->xattrs[i].len = n;
				return 1;
			}
		}
		if (px->n_xattrs >= r->lim.max_xattrs)
			return err_set(err, CPOD_E_LIMIT, "more than %zu xattrs",
				       r->lim.max_xattrs);
		if (px->n_xattrs == *xcap) {
			size_t nc = *xcap ? *xcap * 2 : 8;
			tar_xattr *nx = realloc(px->xattrs, nc * sizeof(*nx));
			if (!nx)
				return err_nomem(err);
			px->xattrs = nx;
			*xcap = nc;
		}
		px->xattrs[px->n_xattrs++] = (tar_xattr){ name, v, n };
		return 1;
	}
	/* an empty value in an 'x' header means "as in the ustar header" */
	bool empty = n == 0;
	if (strcmp(k, "path") == 0 || strcmp(k, "linkpath") == 0) {
		if (global)
			return 1; /* every entry at one name makes no sense: ignored, as Go does */
		if (!tar_text_ok(v, n))
			return err_set(err, CPOD_E_INVALID, "PAX %s holds a NUL byte", k);
		if (n > r->lim.max_path) {
			char q[80];
			tar_quote(q, sizeof(q), v, n);
			return err_set(err, CPOD_E_LIMIT,
				       "entry \"%s\": PAX %s of %zu bytes exceeds the limit (%zu)",
				       q, k, n, r->lim.max_path);
		}
		unsigned bit = k[0] == 'p' ? TAR_PAX_PATH : TAR_PAX_LINK;
		if (empty) {
			px->has &= ~bit;
		} else if (bit == TAR_PAX_PATH) {
			px->path = v;
			px->has |= bit;
		} else {
			px->link = v;
			px->has |= bit;
		}
		return 1;
	}
	if (strcmp(k, "uname") == 0 || strcmp(k, "gname") == 0) {
		if (!tar_text_ok(v, n) || n > 255)
			return err_set(err, CPOD_E_INVALID, "bad PAX %s", k);
		unsigned bit = k[0] == 'u' ? TAR_PAX_UNAME : TAR_PAX_GNAME;
		if (empty)
			px->has &= ~bit;
		else
			px->has |= bit;
		if (bit == TAR_PAX_UNAME)
			px->uname = v;
		else
			px->gname = v;
		return 1;
	}
	if (strcmp(k, "size") == 0 || strcmp(k, "uid") == 0 || strcmp(k, "gid") == 0) {
		unsigned bit = k[0] == 's'   ? TAR_PAX_SIZE
			       : k[0] == 'u' ? TAR_PAX_UID
					     : TAR_PAX_GID;
		if (global && bit == TAR_PAX_SIZE)
			return 1;
		if (empty) {
			px->has &= ~bit;
			return 1;
		}
		uint64_t x;
		if (tar_pax_uint(v, n, &x) < 0)
			return err_set(err, CPOD_E_INVALID, "bad PAX %s \"%.30s\"", k, v);
		if (bit == TAR_PAX_SIZE)
			px->size = x;
		else if (bit == TAR_PAX_UID)
			px->uid = x;
		else
			px->gid = x;
		px->has |= bit;
		return 1;
	}
	if (strcmp(k, "mtime") == 0) {
		if (empty) {
			px->has &= ~TAR_PAX_MTIME;
			return 1;
		}
		if (tar_pax_time(v, n, &px->mtime_sec, &px->mtime_nsec) < 0)
			return err_set(err, CPOD_E_INVALID, "bad PAX mtime \"%.30s\"", v);
		px->has |= TAR_PAX_MTIME;
		return 1;
	}
	/* atime, ctime, comment, charset, hdrcharset, LIBARCHIVE.*, ...: not used */
	return 1;
}

/* Parses the 'x' header in r->pax into r->lpax. */
static int tar_parse_local_pax(tar_reader *r, cpod_err *err)
{
	size_t pos = 0, xcap = 0;
	tar_rec rec;
	int k;

	free(r->lpax.xattrs);
	memset(&r->lpax, 0, sizeof(r->lpax));
	while ((k = tar_pax_next(r->pax.data, r->pax.len, &pos, &rec)) > 0)
		if (tar_pax_apply(r, &r->lpax, &xcap, &rec, false, err) < 0)
			return err_prefix(err, "PAX header");
	if (k < 0)
		return err_set(err, CPOD_E_INVALID, "malformed PAX record at byte %zu", pos);
	r->have_lpax = true;
	return 0;
}

/* The length field of a PAX record whose other bytes number body. */
static size_t tar_pax_reclen(size_t body)
{
	size_t digits = 1;
	for (size_t p = 10; body + digits >= p; p *= 10)
		digits++;
	return body + digits;
}

/* A 'g' header (in r->graw): its records join those of earlier ones (later
 * ones win).  The union is kept re-serialised in gbuf and parsed from a
 * copy (gstore) so that the parsed values stay put. */
static int tar_parse_global_pax(tar_reader *r, cpod_err *err)
{
	size_t pos = 0, xcap = 0;
	tar_rec rec;
	int k;

	while ((k = tar_pax_next(r->graw.data, r->graw.len, &pos, &rec)) > 0) {
		tar_pax probe;
		size_t pcap = 0;
		memset(&probe, 0, sizeof(probe));
		int a = tar_pax_apply(r, &probe, &pcap, &rec, true, err);
		free(probe.xattrs);
		if (a < 0)
			return err_prefix(err, "PAX global header");
		size_t total = tar_pax_reclen(strlen(rec.key) + rec.vlen + 3);
		if (r->gbuf.len + total > r->lim.max_pax)
			return err_set(err, CPOD_E_LIMIT, "PAX global headers exceed %zu bytes",
				       r->lim.max_pax);
		if (buf_printf(&r->gbuf, err, "%zu %s=", total, rec.key) < 0 ||
		    buf_append(&r->gbuf, rec.val, rec.vlen, err) < 0 ||
		    buf_putc(&r->gbuf, '\n', err) < 0)
			return -1;
	}
	if (k < 0)
		return err_set(err, CPOD_E_INVALID, "malformed PAX global record at byte %zu",
			       pos);
	buf_reset(&r->gstore);
	if (buf_append(&r->gstore, r->gbuf.data, r->gbuf.len, err) < 0)
		return -1;
	free(r->gpax.xattrs);
	memset(&r->gpax, 0, sizeof(r->gpax));
	pos = 0;
	while ((k = tar_pax_next(r->gstore.data, r->gstore.len, &pos, &rec)) > 0)
		if (tar_pax_apply(r, &r->gpax, &xcap, &rec, true, err) < 0)
			return err_prefix(err, "PAX global header");
	return k < 0 ? err_set(err, CPOD_E_INVALID, "malformed PAX global record") : 0;
}

/* ---------------------------------------------------------------- entries */

/* Reads an extension header's data (size bytes and padding) into b. */
static int tar_read_ext(tar_reader *r, int64_t size, size_t max, buf *b, const char *what,
			cpod_err *err)
{
	if (size < 0 || (uint64_t)size > max)
		return err_set(err, CPOD_E_LIMIT,
			       "%s of %" PRId64 " bytes exceeds the limit (%zu)", what, size, max);
	buf_reset(b);
	if (buf_reserve(b, (size_t)size + 1, err) < 0)
		return -1;
	ssize_t got = tar_read_full(r, b->data, (size_t)size, err);
	if (got < 0)
		return -1;
	if (got < size)
		return err_set(err, CPOD_E_INVALID, "%s: unexpected end of archive", what);
	b->len = (size_t)size;
	b->data[b->len] = '\0';
	uint64_t pad = (TAR_BLKSZ - ((uint64_t)size % TAR_BLKSZ)) % TAR_BLKSZ;
	int s = tar_skip(r, pad, err);
	if (s < 0)
		return -1;
	if (s == 0)
		return err_set(err, CPOD_E_INVALID, "%s: unexpected end of archive", what);
	return 0;
}

static int tar_set_str(buf *b, const char *s, size_t n, cpod_err *err)
{
	buf_reset(b);
	return buf_append(b, s, n, err);
}

static void tar_clear_pending(tar_reader *r)
{
	r->have_gnu_path = r->have_gnu_link = false;
	r->have_lpax = false;
	free(r->lpax.xattrs);
	memset(&r->lpax, 0, sizeof(r->lpax));
}

/* Merges the global and the entry's own xattrs into r->xattrs. */
static int tar_merge_xattrs(tar_reader *r, cpod_err *err)
{
	size_t n = 0, total = r->gpax.n_xattrs + (r->have_lpax ? r->lpax.n_xattrs : 0);

	free(r->xattrs);
	r->xattrs = NULL;
	r->n_xattrs = 0;
	if (total == 0)
		return 0;
	r->xattrs = malloc(total * sizeof(*r->xattrs));
	if (!r->xattrs)
		return err_nomem(err);
	if (r->have_lpax)
		for (size_t i = 0; i < r->lpax.n_xattrs; i++)
			r->xattrs[n++] = r->lpax.xattrs[i];
	size_t own = n;
	for (size_t i = 0; i < r->gpax.n_xattrs; i++) {
		bool shadowed = false;
		for (size_t j = 0; j < own && !shadowed; j++)
			shadowed = strcmp(r->xattrs[j].name, r->gpax.xattrs[i].name) == 0;
		if (!shadowed)
			r->xattrs[n++] = r->gpax.xattrs[i];
	}
	if (n > r->lim.max_xattrs)
		return err_set(err, CPOD_E_LIMIT, "more than %zu xattrs", r->lim.max_xattrs);
	r->n_xattrs = n;
	return 0;
}

/* Builds r->e from the header block h and what extension headers said. */
static int tar_build_entry(tar_reader *r, const unsigned char *h, cpod_err *err)
{
	tar_entry *e = &r->e;
	bool ustar = memcmp(h + 257, "ustar\0", 6) == 0;
	bool gnu = memcmp(h + 257, "ustar  \0", 8) == 0;
	char type = (char)h[156];
	int64_t size, mode, uid, gid, mtime, dmaj = 0, dmin = 0;

	memset(e, 0, sizeof(*e));
	/* name: prefix "/" name (POSIX ustar only: GNU keeps times there) */
	buf_reset(&r->path);
	if (ustar && h[345]) {
		if (buf_append(&r->path, h + 345, tar_fieldlen(h + 345, 155), err) < 0 ||
		    buf_putc(&r->path, '/', err) < 0)
			return -1;
	}
	if (buf_append(&r->path, h, tar_fieldlen(h, 100), err) < 0)
		return -1;
	if (r->have_gnu_path && tar_set_str(&r->path, r->gnu_path.data,
					    strlen(r->gnu_path.data), err) < 0)
		return -1;
	if (r->have_lpax && (r->lpax.has & TAR_PAX_PATH) &&
	    tar_set_str(&r->path, r->lpax.path, strlen(r->lpax.path), err) < 0)
		return -1;
	tar_quote(r->quoted, sizeof(r->quoted), r->path.data, r->path.len);
	if (r->path.len == 0)
		return err_set(err, CPOD_E_INVALID, "entry at offset %" PRIu64 ": empty name",
			       r->offset - TAR_BLKSZ);
	if (r->path.len > r->lim.max_path)
		return err_set(err, CPOD_E_LIMIT,
			       "entry \"%s\": name of %zu bytes exceeds the limit (%zu)",
			       r->quoted, r->path.len, r->lim.max_path);

	buf_reset(&r->link);
	if (buf_append(&r->link, h + 157, tar_fieldlen(h + 157, 100), err) < 0)
		return -1;
	if (r->have_gnu_link && tar_set_str(&r->link, r->gnu_link.data,
					    strlen(r->gnu_link.data), err) < 0)
		return -1;
	if (r->have_lpax && (r->lpax.has & TAR_PAX_LINK) &&
	    tar_set_str(&r->link, r->lpax.link, strlen(r->lpax.link), err) < 0)
		return -1;
	if (r->link.len > r->lim.max_path)
		return err_set(err, CPOD_E_LIMIT,
			       "entry \"%s\": link of %zu bytes exceeds the limit", r->quoted,
			       r->link.len);

	if (tar_number(h + 124, 12, &size) < 0 || tar_number(h + 100, 8, &mode) < 0 ||
	    tar_number(h + 108, 8, &uid) < 0 || tar_number(h + 116, 8, &gid) < 0 ||
	    tar_number(h + 136, 12, &mtime) < 0)
		return err_set(err, CPOD_E_INVALID, "entry \"%s\": malformed number in header",
			       r->quoted);
	if ((ustar || gnu) && (type == TAR_CHAR || type == TAR_BLOCK) &&
	    (tar_number(h + 329, 8, &dmaj) < 0 || tar_number(h + 337, 8, &dmin) < 0 ||
	     dmaj < 0 || dmin < 0 || dmaj > UINT32_MAX || dmin > UINT32_MAX))
		return err_set(err, CPOD_E_INVALID, "entry \"%s\": malformed device number",
			       r->quoted);
	if (size < 0 || uid < 0 || gid < 0 || mode < 0)
		return err_set(err, CPOD_E_INVALID, "entry \"%s\": negative number in header",
			       r->quoted);

	/* uname/gname: ustar fields, then the global, then the entry's records */
	buf_reset(&r->uname);
	buf_reset(&r->gname);
	if ((ustar || gnu) &&
	    (buf_append(&r->uname, h + 265, tar_fieldlen(h + 265, 32), err) < 0 ||
	     buf_append(&r->gname, h + 297, tar_fieldlen(h + 297, 32), err) < 0))
		return -1;
	e->uid = (uint64_t)uid;
	e->gid = (uint64_t)gid;
	e->mtime_sec = mtime;
	uint64_t usize = (uint64_t)size;
	const tar_pax *layers[2] = { &r->gpax, r->have_lpax ? &r->lpax : NULL };
	for (int i = 0; i < 2; i++) {
		const tar_pax *px = layers[i];
		if (!px)
			continue;
		if (px->has & TAR_PAX_SIZE)
			usize = px->size;
		if (px->has & TAR_PAX_UID)
			e->uid = px->uid;
		if (px->has & TAR_PAX_GID)
			e->gid = px->gid;
		if (px->has & TAR_PAX_MTIME) {
			e->mtime_sec = px->mtime_sec;
			e->mtime_nsec = px->mtime_nsec;
		}
		if ((px->has & TAR_PAX_UNAME) && tar_set_str(&r->uname, px->uname,
							     strlen(px->uname), err) < 0)
			return -1;
		if ((px->has & TAR_PAX_GNAME) && tar_set_str(&r->gname, px->gname,
							     strlen(px->gname), err) < 0)
			return -1;
	}
	if (tar_merge_xattrs(r, err) < 0)
		return err_prefix(err, "entry \"%s\"", r->quoted);

	/* the type, and how much data follows the header */
	uint64_t data = usize;
	switch (type) {
	case '\0':
		type = r->path.data[r->path.len - 1] == '/' ? TAR_DIR : TAR_FILE;
		break;
	case '7':
		type = TAR_FILE;
		break;
	case 'D':
		/* a GNU dumpdir: a directory followed by a listing we skip */
		type = TAR_DIR;
		break;
	case TAR_FILE:
	case TAR_HARDLINK:
	case TAR_SYMLINK:
	case TAR_CHAR:
	case TAR_BLOCK:
	case TAR_DIR:
	case TAR_FIFO:
		break;
	case 'S':
		return err_set(err, CPOD_E_UNSUPPORTED,
			       "entry \"%s\": GNU sparse files are not supported", r->quoted);
	case 'M':
	case 'N':
		return err_set(err, CPOD_E_UNSUPPORTED,
			       "entry \"%s\": GNU %s headers are not supported", r->quoted,
			       type == 'M' ? "multi-volume" : "old long-name");
	default:
		/* POSIX: an unknown type is read as a regular file */
		type = TAR_FILE;
		break;
	}
	if (type == TAR_FILE) {
		if (usize > r->lim.max_entry)
			return err_set(err, CPOD_E_LIMIT,
				       "entry \"%s\": size %" PRIu64 " exceeds the limit (%" PRIu64
				       ")",
				       r->quoted, usize, r->lim.max_entry);
		r->left = usize;
	} else {
		/* header-only types; a dumpdir's listing is skipped as padding */
		r->left = 0;
		if (h[156] != 'D')
			data = 0;
		usize = 0;
	}
	if (data > INT64_MAX - TAR_BLKSZ)
		return err_set(err, CPOD_E_LIMIT, "entry \"%s\": absurd size", r->quoted);
	uint64_t rounded = (data + TAR_BLKSZ - 1) / TAR_BLKSZ * TAR_BLKSZ;
	r->pad = rounded - r->left;

	if ((type == TAR_SYMLINK || type == TAR_HARDLINK) && r->link.len == 0)
		return err_set(err, CPOD_E_INVALID, "entry \"%s\": link without a target",
			       r->quoted);
	if (type != TAR_SYMLINK && type != TAR_HARDLINK)
		buf_reset(&r->link);

	/* a buf never written to has no data: strings are never NULL */
	e->path = r->path.data;
	e->linkname = r->link.data ? r->link.data : "";
	e->type = type;
	e->size = usize;
	e->mode = (uint32_t)(mode & 07777);
	e->uname = r->uname.data ? r->uname.data : "";
	e->gname = r->gname.data ? r->gname.data : "";
	e->devmajor = (uint32_t)dmaj;
	e->devminor = (uint32_t)dmin;
	e->xattrs = r->xattrs;
	e->n_xattrs = r->n_xattrs;
	return 0;
}

CPOD_INTERNAL int tar_next(tar_reader *r, const tar_entry **out, cpod_err *err)
{
	unsigned char h[TAR_BLKSZ];
	int ext = 0;

	if (r->state == TAR_ST_END)
		return 0;
	if (r->state == TAR_ST_FAILED)
		return err_set(err, CPOD_E_STATE, "tar reader: an earlier error stopped it");
	if (r->state == TAR_ST_DATA) {
		int s = tar_skip(r, r->left + r->pad, err);
		if (s <= 0) {
			if (s == 0)
				err_set(err, CPOD_E_INVALID,
					"entry \"%s\": unexpected end of archive (truncated data)",
					r->quoted);
			return tar_fail(r);
		}
		r->left = r->pad = 0;
	}
	r->state = TAR_ST_HEADER;
	tar_clear_pending(r);

	for (;;) {
		uint64_t at = r->offset;
		ssize_t got = tar_read_full(r, h, TAR_BLKSZ, err);
		if (got < 0)
			return tar_fail(r);
		if (got == 0 && !ext) {
			/* the stream ends between entries: taken as the end (as Go does) */
			r->state = TAR_ST_END;
			return 0;
		}
		if (got < TAR_BLKSZ) {
			err_set(err, CPOD_E_INVALID,
				"header at offset %" PRIu64 ": unexpected end of archive", at);
			return tar_fail(r);
		}
		if (tar_zero_block(h)) {
			if (ext) {
				err_set(err, CPOD_E_INVALID,
					"header at offset %" PRIu64
					": end of archive after an extension header",
					at);
				return tar_fail(r);
			}
			got = tar_read_full(r, h, TAR_BLKSZ, err);
			if (got < 0)
				return tar_fail(r);
			if (got == 0 || (got == TAR_BLKSZ && tar_zero_block(h))) {
				r->state = TAR_ST_END;
				return 0;
			}
			err_set(err, CPOD_E_INVALID,
				"offset %" PRIu64
				": a zero block followed by data (corrupt archive)",
				at);
			return tar_fail(r);
		}
		if (!tar_checksum_ok(h)) {
			tar_quote(r->quoted, sizeof(r->quoted), (const char *)h,
				  tar_fieldlen(h, 100));
			err_set(err, CPOD_E_INVALID,
				"entry \"%s\" (header at offset %" PRIu64
				"): header checksum mismatch",
				r->quoted, at);
			return tar_fail(r);
		}
		char type = (char)h[156];
		if (type == 'x' || type == 'g' || type == 'L' || type == 'K' || type == 'V') {
			int64_t size;
			if (++ext > TAR_MAX_EXT) {
				err_set(err, CPOD_E_LIMIT,
					"offset %" PRIu64
					": more than %d extension headers in a row",
					at, TAR_MAX_EXT);
				return tar_fail(r);
			}
			if (tar_number(h + 124, 12, &size) < 0 || size < 0) {
				err_set(err, CPOD_E_INVALID,
					"header at offset %" PRIu64 ": malformed size", at);
				return tar_fail(r);
			}
			int rc = 0;
			if (type == 'x') {
				rc = tar_read_ext(r, size, r->lim.max_pax, &r->pax, "PAX header",
						  err);
				if (rc == 0)
					rc = tar_parse_local_pax(r, err);
			} else if (type == 'g') {
				rc = tar_read_ext(r, size, r->lim.max_pax, &r->graw,
						  "PAX global header", err);
				if (rc == 0)
					rc = tar_parse_global_pax(r, err);
			} else if (type == 'L' || type == 'K') {
				buf *b = type == 'L' ? &r->gnu_path : &r->gnu_link;
				rc = tar_read_ext(r, size, r->lim.max_path + 1, b,
						  type == 'L' ? "GNU long name" : "GNU long link",
						  err);
				if (rc == 0 && type == 'L')
					r->have_gnu_path = true;
				else if (rc == 0)
					r->have_gnu_link = true;
			} else {
				/* a volume label: nothing to extract */
				int s = tar_skip(r,
						 ((uint64_t)size + TAR_BLKSZ - 1) / TAR_BLKSZ *
							 TAR_BLKSZ,
						 err);
				if (s == 0)
					err_set(err, CPOD_E_INVALID,
						"volume header: unexpected end of archive");
				rc = s <= 0 ? -1 : 0;
			}
			if (rc < 0) {
				err_prefix(err, "offset %" PRIu64, at);
				return tar_fail(r);
			}
			continue;
		}
		if (tar_build_entry(r, h, err) < 0)
			return tar_fail(r);
		r->state = TAR_ST_DATA;
		*out = &r->e;
		return 1;
	}
}

static ssize_t tar_data_chunk_max(tar_reader *r, const void **p, size_t max, cpod_err *err)
{
	if (r->state != TAR_ST_DATA) {
		if (r->state == TAR_ST_FAILED)
			return err_set(err, CPOD_E_STATE,
				       "tar reader: an earlier error stopped it");
		return 0;
	}
	if (r->left == 0)
		return 0;
	int f = tar_fill(r, err);
	if (f <= 0) {
		if (f == 0)
			err_set(err, CPOD_E_INVALID,
				"entry \"%s\": unexpected end of archive (truncated data)",
				r->quoted);
		return tar_fail(r);
	}
	size_t n = r->clen < r->left ? r->clen : (size_t)r->left;
	if (n > max)
		n = max;
	*p = r->cp;
	r->cp += n;
	r->clen -= n;
	r->offset += n;
	r->left -= n;
	return (ssize_t)n;
}

CPOD_INTERNAL ssize_t tar_data_chunk(tar_reader *r, const void **p, cpod_err *err)
{
	return tar_data_chunk_max(r, p, SSIZE_MAX, err);
}

CPOD_INTERNAL ssize_t tar_read_data(tar_reader *r, void *data, size_t n, cpod_err *err)
{
	size_t got = 0;
	while (got < n) {
		const void *p;
		size_t want = n - got > SSIZE_MAX ? SSIZE_MAX : n - got;
		ssize_t k = tar_data_chunk_max(r, &p, want, err);
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		memcpy((char *)data + got, p, (size_t)k);
		got += (size_t)k;
	}
	return (ssize_t)got;
}

CPOD_INTERNAL uint64_t tar_offset(const tar_reader *r)
{
	return r->offset;
}

static tar_reader *tar_reader_alloc(const tar_limits *lim, cpod_err *err)
{
	tar_reader *r = calloc(1, sizeof(*r));
	if (!r) {
		err_nomem(err);
		return NULL;
	}
	r->lim.max_path = lim && lim->max_path ? lim->max_path : 4096;
	r->lim.max_pax = lim && lim->max_pax ? lim->max_pax : 1 << 20;
	r->lim.max_xattrs = lim && lim->max_xattrs ? lim->max_xattrs : 128;
	r->lim.max_entry = lim && lim->max_entry ? lim->max_entry : (uint64_t)64 << 30;
	r->path.max = r->link.max = r->lim.max_path + 1;
	r->state = TAR_ST_HEADER;
	return r;
}

CPOD_INTERNAL tar_reader *tar_reader_new_chunks(const tar_chunk_source *src,
						const tar_limits *lim, cpod_err *err)
{
	tar_reader *r = tar_reader_alloc(lim, err);
	if (r)
		r->cs = *src;
	return r;
}

CPOD_INTERNAL tar_reader *tar_reader_new(const byte_source *src, const tar_limits *lim,
					 cpod_err *err)
{
	tar_reader *r = tar_reader_alloc(lim, err);
	if (!r)
		return NULL;
	r->rbuf = malloc(TAR_RBUF);
	if (!r->rbuf) {
		free(r);
		err_nomem(err);
		return NULL;
	}
	r->src = *src;
	r->cs.next = tar_src_next;
	r->cs.ctx = r;
	return r;
}

CPOD_INTERNAL void tar_reader_free(tar_reader *r)
{
	if (!r)
		return;
	buf_free(&r->path);
	buf_free(&r->link);
	buf_free(&r->uname);
	buf_free(&r->gname);
	buf_free(&r->pax);
	buf_free(&r->gnu_path);
	buf_free(&r->gnu_link);
	buf_free(&r->graw);
	buf_free(&r->gbuf);
	buf_free(&r->gstore);
	free(r->lpax.xattrs);
	free(r->gpax.xattrs);
	free(r->xattrs);
	free(r->rbuf);
	free(r);
}
