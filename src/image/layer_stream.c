/*
 * layer_stream.c — reading a layer blob: the digest of the bytes as read,
 * decompression (gzip through zlib, zstd through libzstd in builds made
 * with CPOD_WITH_ZSTD, or none), the diff_id of what comes out, and the
 * bounds on all of it.  See layer_stream.h.
 *
 * The work runs in a producer thread that fills a ring of big output
 * buffers, while the unpacker's thread parses tar and writes files straight
 * out of those buffers (tar_chunk_source): on two cores inflating and
 * writing overlap.  Measured on the benchmark layer, inflating is the
 * longer half by far, so the producer does nothing else it can hand over:
 * the blob is read into a second, small ring of input blocks which the
 * consumer hashes (the digest) once they are inflated, and the consumer
 * also computes the diff_id and gzip's CRC-32 of each output buffer as it
 * takes it.  For that, gzip members are inflated raw and their headers and
 * trailers read here; the buffer that ends a member carries the CRC and
 * size its trailer gave, and the consumer compares.
 *
 * Bounds (a layer is hostile input):
 *   - the blob may not be longer than its declared size (compressed_size):
 *     reading stops one byte past it; shorter is an error at the end;
 *   - the uncompressed stream may not exceed max_size (default 64 GiB);
 *   - past the first LSTREAM_RATIO_FREE bytes of output, the output may not
 *     exceed LSTREAM_RATIO times the input read so far: deflate's own limit
 *     is about 1032:1, so only streams of nearly nothing but repeated
 *     bytes (bombs) reach it; zstd could go far beyond, hence the bound;
 *   - multi-member gzip streams are read to their end; anything else after
 *     the last member is an error (as Go's gzip reader says), so no tool
 *     sees a different blob than this one.
 */
#include "layer_stream.h"
#include <pthread.h>
#include <zlib.h>
#ifdef CPOD_WITH_ZSTD
#include <zstd.h>
#endif

#define LSTREAM_IN (256 << 10)
#define LSTREAM_NIN 8
#define LSTREAM_SLOT (1 << 20)
#define LSTREAM_NSLOTS 8
#define LSTREAM_RATIO 1000
#define LSTREAM_RATIO_FREE ((uint64_t)16 << 20)
#define LSTREAM_DEFAULT_MAX ((uint64_t)64 << 30)
#define LSTREAM_STACK (512 << 10)

typedef struct lstream_slotinfo {
	size_t len;
	bool member_end;        /* a gzip member ends with this buffer's last byte */
	uint32_t crc, isize;    /* what that member's trailer says */
} lstream_slotinfo;

struct lstream {
	byte_source src;
	lstream_opts o;
	int compression;             /* LAYER_PLAIN, LAYER_GZIP, LAYER_ZSTD */

	/* input blocks: read and decompressed by the producer, then published
	 * for hashing; the blocks in use are in_used of them from in_tail on,
	 * the first in_ready of those published */
	unsigned char *in[LSTREAM_NIN];
	size_t in_len[LSTREAM_NIN];
	size_t in_hoff[LSTREAM_NIN];  /* bytes before it were copied, not read */
	unsigned in_tail, in_used, in_ready;
	unsigned in_cur;              /* the producer's block, when in_have */
	bool in_have;
	const unsigned char *ip;      /* its unread bytes */
	size_t iavail;
	bool in_eof;

	uint64_t total_in, total_out;
	cpod_err perr;
	bool pfailed;

	/* the consumer's side of the checks */
	digest_ctx dc, du;
	uint32_t crc;
	uint64_t member_out;
	unsigned long members;

	/* the output ring; buffers are allocated on first use */
	unsigned char *mem[LSTREAM_NSLOTS];
	lstream_slotinfo info[LSTREAM_NSLOTS];
	unsigned nslots, head, tail, count;
	bool held, done, abort;
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full, in_free;
	pthread_t thread;
	bool started, joined;
};

/* ---------------------------------------------------------------- checks */

/* Hashes the published input blocks (the digest of the blob), in order. */
static void lstream_hash_inputs(lstream *s)
{
	unsigned n, idx;
	bool threaded = !s->o.inline_discard;
	if (threaded)
		pthread_mutex_lock(&s->mu);
	n = s->in_ready;
	idx = s->in_tail;
	if (threaded)
		pthread_mutex_unlock(&s->mu);
	if (!n)
		return;
	for (unsigned i = 0; i < n; i++, idx = (idx + 1) % LSTREAM_NIN)
		digest_update(&s->dc, s->in[idx] + s->in_hoff[idx], s->in_len[idx] - s->in_hoff[idx]);
	if (threaded)
		pthread_mutex_lock(&s->mu);
	s->in_tail = idx;
	s->in_ready -= n;
	s->in_used -= n;
	if (threaded) {
		pthread_cond_signal(&s->in_free);
		pthread_mutex_unlock(&s->mu);
	}
}

/* An output buffer taken: diff_id, and gzip's CRC and size per member. */
static int lstream_take(lstream *s, const unsigned char *p, const lstream_slotinfo *info,
			cpod_err *err)
{
	digest_update(&s->du, p, info->len);
	if (s->compression != LAYER_GZIP)
		return 0;
	s->crc = (uint32_t)crc32(s->crc, p, (uInt)info->len);
	s->member_out += info->len;
	if (!info->member_end)
		return 0;
	s->members++;
	if (s->crc != info->crc || (uint32_t)s->member_out != info->isize)
		return err_set(err, CPOD_E_INVALID,
			       "gzip: member %lu: %s mismatch (the data is corrupt)", s->members,
			       s->crc != info->crc ? "CRC" : "length");
	s->crc = 0;
	s->member_out = 0;
	return 0;
}

/* ---------------------------------------------------------------- producer: input */

/* Reads up to n bytes of the blob into dst, counting them. */
static ssize_t lstream_src_read(lstream *s, unsigned char *dst, size_t n)
{
	uint64_t declared = s->o.compressed_size;
	if (declared) {
		/* one byte past the declared size is enough to know it lied */
		uint64_t room =
			declared + 1 - (s->total_in > declared ? declared + 1 : s->total_in);
		if (room < n)
			n = (size_t)room;
		if (n == 0)
			return 0;
	}
	ssize_t k;
	do {
		k = source_read(&s->src, dst, n, &s->perr);
	} while (k < 0 && s->perr.code == CPOD_E_SYS && s->perr.errno_ == EINTR);
	if (k < 0)
		return -1;
	if ((size_t)k > n)
		return err_set(&s->perr, CPOD_E_INVALID, "source returned too many bytes");
	s->total_in += (uint64_t)k;
	if (declared && s->total_in > declared)
		return err_set(&s->perr, CPOD_E_INVALID,
			       "blob is larger than its declared size (%" PRIu64 " bytes)", declared);
	return k;
}

/* Hands the producer's current block over for hashing. */
static void lstream_in_publish(lstream *s)
{
	if (!s->in_have)
		return;
	s->in_have = false;
	if (s->o.inline_discard) {
		s->in_ready++;
		lstream_hash_inputs(s);
		return;
	}
	pthread_mutex_lock(&s->mu);
	s->in_ready++;
	pthread_cond_signal(&s->not_empty); /* a waiting consumer hashes it */
	pthread_mutex_unlock(&s->mu);
}

/* Moves to a new input block holding the `keep` unread bytes of the
 * current one and what the source gives next.  At the end of the blob the
 * current block stays (with iavail == keep). */
static int lstream_in_next(lstream *s, size_t keep)
{
	if (s->in_eof)
		return 0;
	/* blocks are used in ring order; only the first has no predecessor */
	const unsigned char *old = s->ip;
	unsigned idx = s->in_have ? (s->in_cur + 1) % LSTREAM_NIN : 0;
	lstream_in_publish(s);
	if (!s->o.inline_discard) {
		pthread_mutex_lock(&s->mu);
		while (s->in_used == LSTREAM_NIN && !s->abort)
			pthread_cond_wait(&s->in_free, &s->mu);
		bool abort_ = s->abort;
		if (!abort_)
			s->in_used++;
		pthread_mutex_unlock(&s->mu);
		if (abort_)
			return err_set(&s->perr, CPOD_E_STATE, "unpacking stopped");
	} else {
		s->in_used++;
	}
	if (!s->in[idx] && !(s->in[idx] = malloc(LSTREAM_IN)))
		return err_nomem(&s->perr);
	/* the old block is only read by the hasher: copying from it is safe */
	if (keep)
		memmove(s->in[idx], old, keep);
	s->in_cur = idx;
	s->in_have = true;
	s->in_len[idx] = keep;
	s->in_hoff[idx] = keep;
	ssize_t k = lstream_src_read(s, s->in[idx] + keep, LSTREAM_IN - keep);
	if (k < 0)
		return -1;
	if (k == 0)
		s->in_eof = true;
	s->in_len[idx] += (size_t)k;
	s->ip = s->in[idx];
	s->iavail = s->in_len[idx];
	return 0;
}

/* The next byte of the blob: 0..255, -1 at its end, -2 on error. */
static int lstream_byte(lstream *s)
{
	if (!s->iavail) {
		if (lstream_in_next(s, 0) < 0)
			return -2;
		if (!s->iavail)
			return -1;
	}
	s->iavail--;
	return *s->ip++;
}

/* ---------------------------------------------------------------- producer: output */

/* A free output buffer to fill, or NULL when the consumer gave up. */
static unsigned char *lstream_slot(lstream *s)
{
	unsigned head = 0;
	if (!s->o.inline_discard) {
		pthread_mutex_lock(&s->mu);
		while (s->count == s->nslots && !s->abort)
			pthread_cond_wait(&s->not_full, &s->mu);
		bool abort_ = s->abort;
		head = s->head;
		pthread_mutex_unlock(&s->mu);
		if (abort_) {
			err_set(&s->perr, CPOD_E_STATE, "unpacking stopped");
			return NULL;
		}
	}
	/* only the producer touches a free buffer's pointer */
	if (!s->mem[head] && !(s->mem[head] = malloc(LSTREAM_SLOT))) {
		err_nomem(&s->perr);
		return NULL;
	}
	return s->mem[head];
}

/* Hands the buffer from lstream_slot, len bytes of it, to the consumer. */
static int lstream_put(lstream *s, const unsigned char *p, const lstream_slotinfo *info)
{
	if (info->len == 0 && !info->member_end)
		return 0;
	s->total_out += info->len;
	uint64_t max = s->o.max_size ? s->o.max_size : LSTREAM_DEFAULT_MAX;
	if (s->total_out > max)
		return err_set(&s->perr, CPOD_E_LIMIT,
			       "uncompressed layer exceeds the limit of %" PRIu64 " bytes", max);
	if (s->total_out > LSTREAM_RATIO_FREE && s->total_out / LSTREAM_RATIO > s->total_in)
		return err_set(&s->perr, CPOD_E_LIMIT,
			       "compression ratio above %d:1 (%" PRIu64 " bytes from %" PRIu64
			       "): a decompression bomb?",
			       LSTREAM_RATIO, s->total_out, s->total_in);
	if (s->o.inline_discard)
		return lstream_take(s, p, info, &s->perr);
	pthread_mutex_lock(&s->mu);
	s->info[s->head] = *info;
	s->head = (s->head + 1) % s->nslots;
	s->count++;
	pthread_cond_signal(&s->not_empty);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static int lstream_put_len(lstream *s, const unsigned char *p, size_t len)
{
	lstream_slotinfo info = { len, false, 0, 0 };
	return lstream_put(s, p, &info);
}

/* ---------------------------------------------------------------- formats */

static int lstream_plain(lstream *s)
{
	/* what was read to tell the format goes out first; the diff_id (the
	 * consumer's) is the digest too, so the input blocks hash nothing */
	size_t pending = s->iavail;
	s->in_hoff[s->in_cur] = s->in_len[s->in_cur];
	for (;;) {
		unsigned char *slot = lstream_slot(s);
		size_t len = 0;
		if (!slot)
			return -1;
		if (pending) {
			memcpy(slot, s->ip, pending);
			len = pending;
			pending = 0;
		}
		while (len < LSTREAM_SLOT && !s->in_eof) {
			ssize_t k = lstream_src_read(s, slot + len, LSTREAM_SLOT - len);
			if (k < 0)
				return -1;
			if (k == 0)
				s->in_eof = true;
			len += (size_t)k;
		}
		if (lstream_put_len(s, slot, len) < 0)
			return -1;
		if (s->in_eof)
			return 0;
	}
}

/* Reads n bytes of a gzip header or trailer into b (NULL: skips them),
 * adding them to *hcrc when given. */
static int lstream_gz_bytes(lstream *s, unsigned char *b, size_t n, uLong *hcrc,
			    const char *what)
{
	for (size_t i = 0; i < n; i++) {
		int c = lstream_byte(s);
		if (c == -2)
			return -1;
		if (c == -1)
			return err_set(&s->perr, CPOD_E_INVALID, "gzip: truncated %s", what);
		unsigned char ch = (unsigned char)c;
		if (b)
			b[i] = ch;
		if (hcrc)
			*hcrc = crc32(*hcrc, &ch, 1);
	}
	return 0;
}

/* Skips a NUL-terminated header field. */
static int lstream_gz_string(lstream *s, uLong *hcrc)
{
	for (;;) {
		int c = lstream_byte(s);
		if (c == -2)
			return -1;
		if (c == -1)
			return err_set(&s->perr, CPOD_E_INVALID, "gzip: truncated header");
		unsigned char ch = (unsigned char)c;
		*hcrc = crc32(*hcrc, &ch, 1);
		if (ch == 0)
			return 0;
	}
}

/* A member's header (RFC 1952), checked as zlib checks it. */
static int lstream_gz_header(lstream *s)
{
	unsigned char h[10];
	uLong hcrc = crc32(0, NULL, 0);
	uint64_t at = s->total_in - s->iavail;

	if (lstream_gz_bytes(s, h, 2, &hcrc, "header") < 0)
		return -1;
	if (h[0] != 0x1f || h[1] != 0x8b)
		return err_set(&s->perr, CPOD_E_INVALID,
			       "gzip: trailing data after the compressed stream (offset %" PRIu64 ")",
			       at);
	if (lstream_gz_bytes(s, h + 2, 8, &hcrc, "header") < 0)
		return -1;
	if (h[2] != 8)
		return err_set(&s->perr, CPOD_E_INVALID, "gzip: unknown compression method %u",
			       h[2]);
	unsigned flg = h[3];
	if (flg & 0xe0)
		return err_set(&s->perr, CPOD_E_INVALID, "gzip: unknown header flags set");
	if (flg & 4) { /* FEXTRA */
		unsigned char xl[2];
		if (lstream_gz_bytes(s, xl, 2, &hcrc, "header") < 0 ||
		    lstream_gz_bytes(s, NULL, (size_t)xl[0] | (size_t)xl[1] << 8, &hcrc, "header") < 0)
			return -1;
	}
	if ((flg & 8) && lstream_gz_string(s, &hcrc) < 0) /* FNAME */
		return -1;
	if ((flg & 16) && lstream_gz_string(s, &hcrc) < 0) /* FCOMMENT */
		return -1;
	if (flg & 2) { /* FHCRC */
		unsigned char c[2];
		uLong want = hcrc & 0xffff;
		if (lstream_gz_bytes(s, c, 2, NULL, "header") < 0)
			return -1;
		if (((uLong)c[0] | (uLong)c[1] << 8) != want)
			return err_set(&s->perr, CPOD_E_INVALID, "gzip: header CRC mismatch");
	}
	return 0;
}

static int lstream_gzip(lstream *s)
{
	z_stream z;
	unsigned char *slot = NULL;
	int rc = -1;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
		return err_set(&s->perr, CPOD_E_NOMEM, "gzip: cannot initialise zlib");
	for (;;) {
		if (lstream_gz_header(s) < 0 || inflateReset(&z) != Z_OK)
			goto out;
		/* the member's deflate data */
		int zr = Z_OK;
		z.next_in = (unsigned char *)(uintptr_t)s->ip;
		z.avail_in = (uInt)s->iavail;
		while (zr != Z_STREAM_END) {
			if (!slot) {
				slot = lstream_slot(s);
				if (!slot)
					goto out;
				z.next_out = slot;
				z.avail_out = LSTREAM_SLOT;
			}
			if (z.avail_in == 0 && !s->in_eof) {
				if (lstream_in_next(s, 0) < 0)
					goto out;
				z.next_in = (unsigned char *)(uintptr_t)s->ip;
				z.avail_in = (uInt)s->iavail;
			}
			zr = inflate(&z, Z_NO_FLUSH);
			s->ip = z.next_in;
			s->iavail = z.avail_in;
			if (z.avail_out == 0) {
				if (lstream_put_len(s, slot, LSTREAM_SLOT) < 0)
					goto out;
				slot = NULL;
			}
			if (zr == Z_BUF_ERROR && z.avail_in == 0 && s->in_eof) {
				err_set(&s->perr, CPOD_E_INVALID, "gzip: truncated stream (%" PRIu64 " bytes)",
					s->total_in);
				goto out;
			}
			if (zr != Z_OK && zr != Z_BUF_ERROR && zr != Z_STREAM_END) {
				err_set(&s->perr, CPOD_E_INVALID, "gzip: %s at offset %" PRIu64,
					z.msg ? z.msg : "corrupt data", s->total_in - z.avail_in);
				goto out;
			}
		}
		/* the trailer: CRC-32 and length, checked by the consumer */
		unsigned char t[8];
		if (lstream_gz_bytes(s, t, 8, NULL, "trailer") < 0)
			goto out;
		if (!slot) {
			slot = lstream_slot(s);
			if (!slot)
				goto out;
			z.avail_out = LSTREAM_SLOT;
		}
		lstream_slotinfo info = {
			LSTREAM_SLOT - z.avail_out, true,
			(uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24,
			(uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24,
		};
		if (lstream_put(s, slot, &info) < 0)
			goto out;
		slot = NULL;
		/* another member, or the end */
		if (s->iavail == 0 && lstream_in_next(s, 0) < 0)
			goto out;
		if (s->iavail == 0)
			break;
	}
	rc = 0;
out:
	inflateEnd(&z);
	return rc;
}

#ifdef CPOD_WITH_ZSTD
static int lstream_zstd(lstream *s)
{
	ZSTD_DStream *d = ZSTD_createDStream();
	unsigned char *slot = NULL;
	ZSTD_outBuffer ob = { NULL, 0, 0 };
	size_t last = 1;
	int rc = -1;

	if (!d)
		return err_set(&s->perr, CPOD_E_NOMEM, "zstd: cannot create a decoder");
	ZSTD_initDStream(d);
	for (;;) {
		if (!slot) {
			slot = lstream_slot(s);
			if (!slot)
				goto out;
			ob = (ZSTD_outBuffer){ slot, LSTREAM_SLOT, 0 };
		}
		if (s->iavail == 0) {
			if (s->in_eof)
				break;
			if (lstream_in_next(s, 0) < 0)
				goto out;
			continue;
		}
		ZSTD_inBuffer ib = { s->ip, s->iavail, 0 };
		last = ZSTD_decompressStream(d, &ob, &ib);
		s->ip += ib.pos;
		s->iavail -= ib.pos;
		if (ZSTD_isError(last)) {
			err_set(&s->perr, CPOD_E_INVALID, "zstd: %s", ZSTD_getErrorName(last));
			goto out;
		}
		if (ob.pos == ob.size) {
			if (lstream_put_len(s, slot, ob.pos) < 0)
				goto out;
			slot = NULL;
		}
	}
	/* what the decoder still holds for a full output buffer */
	while (last != 0) {
		if (!slot) {
			slot = lstream_slot(s);
			if (!slot)
				goto out;
			ob = (ZSTD_outBuffer){ slot, LSTREAM_SLOT, 0 };
		}
		ZSTD_inBuffer ib = { NULL, 0, 0 };
		size_t before = ob.pos;
		last = ZSTD_decompressStream(d, &ob, &ib);
		if (ZSTD_isError(last)) {
			err_set(&s->perr, CPOD_E_INVALID, "zstd: %s", ZSTD_getErrorName(last));
			goto out;
		}
		if (ob.pos == before && last != 0) {
			err_set(&s->perr, CPOD_E_INVALID, "zstd: truncated stream (%" PRIu64 " bytes)",
				s->total_in);
			goto out;
		}
		if (ob.pos == ob.size) {
			if (lstream_put_len(s, slot, ob.pos) < 0)
				goto out;
			slot = NULL;
		}
	}
	if (slot && lstream_put_len(s, slot, ob.pos) < 0)
		goto out;
	rc = 0;
out:
	ZSTD_freeDStream(d);
	return rc;
}
#endif

static int lstream_produce(lstream *s)
{
	/* enough bytes to tell the format */
	if (lstream_in_next(s, 0) < 0)
		return -1;
	while (s->iavail < 4 && !s->in_eof)
		if (lstream_in_next(s, s->iavail) < 0)
			return -1;
	const unsigned char *m = s->ip;
	if (s->iavail >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
		s->compression = LAYER_GZIP;
		return lstream_gzip(s);
	}
	if (s->iavail >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) {
		s->compression = LAYER_ZSTD;
#ifdef CPOD_WITH_ZSTD
		return lstream_zstd(s);
#else
		return err_set(&s->perr, CPOD_E_UNSUPPORTED,
			       "zstd-compressed layer: this build has no zstd support "
			       "(rebuild with CPOD_WITH_ZSTD=1)");
#endif
	}
	s->compression = LAYER_PLAIN;
	return lstream_plain(s);
}

static void *lstream_thread(void *arg)
{
	lstream *s = arg;
	int r = lstream_produce(s);
	lstream_in_publish(s);
	pthread_mutex_lock(&s->mu);
	s->pfailed = r < 0;
	s->done = true;
	pthread_cond_broadcast(&s->not_empty);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---------------------------------------------------------------- consumer */

CPOD_INTERNAL lstream *lstream_start(const byte_source *src, const lstream_opts *o,
				     cpod_err *err)
{
	lstream *s = calloc(1, sizeof(*s));
	if (!s) {
		err_nomem(err);
		return NULL;
	}
	s->src = *src;
	s->o = *o;
	s->nslots = o->inline_discard ? 1 : LSTREAM_NSLOTS;
	s->crc = (uint32_t)crc32(0, NULL, 0);
	cpod_err_clear(&s->perr);
	digest_init(&s->dc);
	digest_init(&s->du);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->not_empty, NULL);
	pthread_cond_init(&s->not_full, NULL);
	pthread_cond_init(&s->in_free, NULL);
	if (o->inline_discard)
		return s;
	/* inflate and zstd keep their state on the heap: a small stack will do */
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, LSTREAM_STACK);
	int r = pthread_create(&s->thread, &attr, lstream_thread, s);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		err_sysn(err, r, "start the decompression thread");
		lstream_free(s);
		return NULL;
	}
	s->started = true;
	return s;
}

CPOD_INTERNAL ssize_t lstream_next(void *ctx, const void **p, cpod_err *err)
{
	lstream *s = ctx;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		if (s->held) {
			s->held = false;
			s->tail = (s->tail + 1) % s->nslots;
			s->count--;
			pthread_cond_signal(&s->not_full);
		}
		while (s->count == 0 && !s->done && !s->in_ready)
			pthread_cond_wait(&s->not_empty, &s->mu);
		if (s->in_ready) {
			/* inflated input first: the producer waits for its blocks */
			pthread_mutex_unlock(&s->mu);
			lstream_hash_inputs(s);
			continue;
		}
		if (s->count == 0) {
			bool failed = s->pfailed;
			pthread_mutex_unlock(&s->mu);
			if (failed) {
				if (err)
					*err = s->perr;
				return -1;
			}
			return 0;
		}
		const unsigned char *slot = s->mem[s->tail];
		lstream_slotinfo info = s->info[s->tail];
		s->held = true;
		pthread_mutex_unlock(&s->mu);
		if (lstream_take(s, slot, &info, err) < 0)
			return -1;
		if (info.len == 0)
			continue; /* only a member's end */
		*p = slot;
		return (ssize_t)info.len;
	}
}

static void lstream_join(lstream *s)
{
	if (s->started && !s->joined) {
		pthread_join(s->thread, NULL);
		s->joined = true;
	}
}

CPOD_INTERNAL int lstream_finish(lstream *s, layer_result *res, cpod_err *err)
{
	if (s->o.inline_discard) {
		int r = lstream_produce(s);
		lstream_in_publish(s);
		if (r < 0) {
			if (err)
				*err = s->perr;
			return -1;
		}
	} else {
		/* what follows the tar's end still counts for the digests */
		const void *p;
		ssize_t n;
		while ((n = lstream_next(s, &p, err)) > 0)
			;
		if (n < 0)
			return -1;
		lstream_join(s);
		lstream_hash_inputs(s);
	}
	if (s->o.compressed_size && s->total_in != s->o.compressed_size)
		return err_set(err, CPOD_E_INVALID,
			       "blob is %" PRIu64 " bytes, its declared size is %" PRIu64,
			       s->total_in, s->o.compressed_size);
	memset(res, 0, sizeof(*res));
	digest_final(&s->du, res->diff_id);
	if (s->compression == LAYER_PLAIN)
		memcpy(res->digest, res->diff_id, sizeof(res->digest));
	else
		digest_final(&s->dc, res->digest);
	res->compressed_size = s->total_in;
	res->size = s->total_out;
	res->compression = s->compression;
	return 0;
}

CPOD_INTERNAL void lstream_free(lstream *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->abort = true;
	pthread_cond_broadcast(&s->not_full);
	pthread_cond_broadcast(&s->in_free);
	pthread_mutex_unlock(&s->mu);
	lstream_join(s);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->not_empty);
	pthread_cond_destroy(&s->not_full);
	pthread_cond_destroy(&s->in_free);
	for (unsigned i = 0; i < LSTREAM_NIN; i++)
		free(s->in[i]);
	for (unsigned i = 0; i < LSTREAM_NSLOTS; i++)
		free(s->mem[i]);
	free(s);
}
