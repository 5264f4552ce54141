/*
 * layer_stream.c — reading a layer blob: the digest of the bytes as read,
 * decompression (gzip through zlib, zstd through libzstd in builds made
 * with CPOD_WITH_ZSTD, or none), the diff_id of what comes out, and the
 * bounds on all of it.  See layer_stream.h.
 *
 * The work runs in a producer thread that fills a ring of big buffers,
 * while the unpacker's thread parses tar and writes files straight out of
 * those buffers (tar_chunk_source): on two cores inflating and writing
 * overlap.  Measured on the benchmark layer, inflating is the longer half,
 * so the producer hashes only the blob as read, and the diff_id is
 * computed by the consumer as it takes each buffer.
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
#define LSTREAM_SLOT (1 << 20)
#define LSTREAM_NSLOTS 8
#define LSTREAM_RATIO 1000
#define LSTREAM_RATIO_FREE ((uint64_t)16 << 20)
#define LSTREAM_DEFAULT_MAX ((uint64_t)64 << 30)
#define LSTREAM_STACK (512 << 10)

struct lstream {
	byte_source src;
	lstream_opts o;
	int compression;             /* LAYER_PLAIN, LAYER_GZIP, LAYER_ZSTD */

	/* producer */
	unsigned char *in;
	size_t in_len;               /* bytes read and not yet decompressed, from in[0] */
	bool in_eof;
	uint64_t total_in, total_out;
	digest_ctx dc, du;
	cpod_err perr;
	bool pfailed;

	/* the ring; slots are allocated on first use (small layers need one) */
	unsigned char *mem[LSTREAM_NSLOTS];
	size_t lens[LSTREAM_NSLOTS];
	unsigned nslots, head, tail, count;
	bool held, done, abort;
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	pthread_t thread;
	bool started, joined;
};

/* ---------------------------------------------------------------- producer */

/* Reads up to n bytes of the blob into dst, hashing and counting them. */
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
	digest_update(&s->dc, dst, (size_t)k);
	s->total_in += (uint64_t)k;
	if (declared && s->total_in > declared)
		return err_set(&s->perr, CPOD_E_INVALID,
			       "blob is larger than its declared size (%" PRIu64 " bytes)",
			       declared);
	return k;
}

/* Appends to the input buffer (after its in_len bytes): 0 at the end. */
static ssize_t lstream_fill_in(lstream *s)
{
	if (s->in_eof)
		return 0;
	ssize_t k = lstream_src_read(s, s->in + s->in_len, LSTREAM_IN - s->in_len);
	if (k < 0)
		return -1;
	if (k == 0)
		s->in_eof = true;
	s->in_len += (size_t)k;
	return k;
}

/* A free slot to fill, or NULL when the consumer gave up. */
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
		if (abort_)
			return NULL;
	}
	/* only the producer touches a free slot's pointer */
	if (!s->mem[head] && !(s->mem[head] = malloc(LSTREAM_SLOT))) {
		err_nomem(&s->perr);
		return NULL;
	}
	return s->mem[head];
}

/* Hands len bytes of the slot from lstream_slot to the consumer. */
static int lstream_put(lstream *s, const unsigned char *p, size_t len)
{
	if (len == 0)
		return 0;
	s->total_out += len;
	/* without a consumer the diff_id is hashed here (see lstream_next) */
	if (s->compression != LAYER_PLAIN && s->o.inline_discard)
		digest_update(&s->du, p, len);
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
		return 0;
	pthread_mutex_lock(&s->mu);
	s->lens[s->head] = len;
	s->head = (s->head + 1) % s->nslots;
	s->count++;
	pthread_cond_signal(&s->not_empty);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static int lstream_aborted(lstream *s)
{
	if (s->perr.code == CPOD_E_NOMEM)
		return -1;
	return err_set(&s->perr, CPOD_E_STATE, "unpacking stopped");
}

static int lstream_plain(lstream *s)
{
	size_t pending = s->in_len;
	for (;;) {
		unsigned char *slot = lstream_slot(s);
		size_t len = 0;
		if (!slot)
			return lstream_aborted(s);
		if (pending) {
			memcpy(slot, s->in, pending);
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
		if (lstream_put(s, slot, len) < 0)
			return -1;
		if (s->in_eof)
			return 0;
	}
}

static int lstream_gzip(lstream *s)
{
	z_stream z;
	unsigned char *slot = NULL;
	int rc = -1;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return err_set(&s->perr, CPOD_E_NOMEM, "gzip: cannot initialise zlib");
	z.next_in = s->in;
	z.avail_in = (uInt)s->in_len;
	for (;;) {
		if (!slot) {
			slot = lstream_slot(s);
			if (!slot) {
				lstream_aborted(s);
				goto out;
			}
			z.next_out = slot;
			z.avail_out = LSTREAM_SLOT;
		}
		if (z.avail_in == 0 && !s->in_eof) {
			s->in_len = 0;
			if (lstream_fill_in(s) < 0)
				goto out;
			z.next_in = s->in;
			z.avail_in = (uInt)s->in_len;
		}
		int zr = inflate(&z, Z_NO_FLUSH);
		if (z.avail_out == 0) {
			if (lstream_put(s, slot, LSTREAM_SLOT) < 0)
				goto out;
			slot = NULL;
		}
		if (zr == Z_STREAM_END) {
			/* another member? look at two bytes */
			if (z.avail_in < 2 && !s->in_eof) {
				memmove(s->in, z.next_in, z.avail_in);
				s->in_len = z.avail_in;
				while (s->in_len < 2 && !s->in_eof)
					if (lstream_fill_in(s) < 0)
						goto out;
				z.next_in = s->in;
				z.avail_in = (uInt)s->in_len;
			}
			if (z.avail_in == 0)
				break;
			if (z.avail_in < 2 || z.next_in[0] != 0x1f || z.next_in[1] != 0x8b) {
				err_set(&s->perr, CPOD_E_INVALID,
					"gzip: trailing data after the compressed stream (offset %" PRIu64
					")",
					s->total_in - z.avail_in);
				goto out;
			}
			if (inflateReset(&z) != Z_OK) {
				err_set(&s->perr, CPOD_E_INVALID,
					"gzip: cannot reset the inflater");
				goto out;
			}
			continue;
		}
		if (zr == Z_BUF_ERROR && z.avail_in == 0 && s->in_eof) {
			err_set(&s->perr, CPOD_E_INVALID,
				"gzip: truncated stream (%" PRIu64 " bytes)", s->total_in);
			goto out;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			err_set(&s->perr, CPOD_E_INVALID, "gzip: %s at offset %" PRIu64,
				z.msg ? z.msg : "corrupt data", s->total_in - z.avail_in);
			goto out;
		}
	}
	if (slot && lstream_put(s, slot, LSTREAM_SLOT - z.avail_out) < 0)
		goto out;
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
	ZSTD_inBuffer ib = { s->in, s->in_len, 0 };
	ZSTD_outBuffer ob = { NULL, 0, 0 };
	size_t last = 1;
	int rc = -1;

	if (!d)
		return err_set(&s->perr, CPOD_E_NOMEM, "zstd: cannot create a decoder");
	ZSTD_initDStream(d);
	for (;;) {
		if (!slot) {
			slot = lstream_slot(s);
			if (!slot) {
				lstream_aborted(s);
				goto out;
			}
			ob = (ZSTD_outBuffer){ slot, LSTREAM_SLOT, 0 };
		}
		if (ib.pos == ib.size) {
			if (s->in_eof)
				break;
			s->in_len = 0;
			if (lstream_fill_in(s) < 0)
				goto out;
			ib = (ZSTD_inBuffer){ s->in, s->in_len, 0 };
			if (s->in_len == 0)
				continue;
		}
		last = ZSTD_decompressStream(d, &ob, &ib);
		if (ZSTD_isError(last)) {
			err_set(&s->perr, CPOD_E_INVALID, "zstd: %s", ZSTD_getErrorName(last));
			goto out;
		}
		if (ob.pos == ob.size) {
			if (lstream_put(s, slot, ob.pos) < 0)
				goto out;
			slot = NULL;
		}
	}
	/* flush what the decoder still holds for a full output buffer */
	while (last != 0) {
		if (!slot) {
			slot = lstream_slot(s);
			if (!slot) {
				lstream_aborted(s);
				goto out;
			}
			ob = (ZSTD_outBuffer){ slot, LSTREAM_SLOT, 0 };
		}
		size_t before = ob.pos;
		last = ZSTD_decompressStream(d, &ob, &ib);
		if (ZSTD_isError(last)) {
			err_set(&s->perr, CPOD_E_INVALID, "zstd: %s", ZSTD_getErrorName(last));
			goto out;
		}
		if (ob.pos == before && last != 0) {
			err_set(&s->perr, CPOD_E_INVALID,
				"zstd: truncated stream (%" PRIu64 " bytes)", s->total_in);
			goto out;
		}
		if (ob.pos == ob.size) {
			if (lstream_put(s, slot, ob.pos) < 0)
				goto out;
			slot = NULL;
		}
	}
	if (slot && lstream_put(s, slot, ob.pos) < 0)
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
	while (s->in_len < 4 && !s->in_eof)
		if (lstream_fill_in(s) < 0)
			return -1;
	const unsigned char *m = s->in;
	if (s->in_len >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
		s->compression = LAYER_GZIP;
		return lstream_gzip(s);
	}
	if (s->in_len >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) {
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
	s->in = malloc(LSTREAM_IN);
	if (!s->in) {
		free(s);
		err_nomem(err);
		return NULL;
	}
	cpod_err_clear(&s->perr);
	digest_init(&s->dc);
	digest_init(&s->du);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->not_empty, NULL);
	pthread_cond_init(&s->not_full, NULL);
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
	pthread_mutex_lock(&s->mu);
	if (s->held) {
		s->held = false;
		s->tail = (s->tail + 1) % s->nslots;
		s->count--;
		pthread_cond_signal(&s->not_full);
	}
	while (s->count == 0 && !s->done)
		pthread_cond_wait(&s->not_empty, &s->mu);
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
	*p = s->mem[s->tail];
	size_t n = s->lens[s->tail];
	s->held = true;
	bool hash = s->compression != LAYER_PLAIN;
	pthread_mutex_unlock(&s->mu);
	/* the diff_id is computed on this side: inflating keeps the producer
	 * busier than writing files keeps the consumer */
	if (hash)
		digest_update(&s->du, *p, n);
	return (ssize_t)n;
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
		if (lstream_produce(s) < 0) {
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
	}
	if (s->o.compressed_size && s->total_in != s->o.compressed_size)
		return err_set(err, CPOD_E_INVALID,
			       "blob is %" PRIu64 " bytes, its declared size is %" PRIu64,
			       s->total_in, s->o.compressed_size);
	memset(res, 0, sizeof(*res));
	digest_final(&s->dc, res->digest);
	if (s->compression == LAYER_PLAIN)
		memcpy(res->diff_id, res->digest, sizeof(res->diff_id));
	else
		digest_final(&s->du, res->diff_id);
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
	pthread_mutex_unlock(&s->mu);
	lstream_join(s);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->not_empty);
	pthread_cond_destroy(&s->not_full);
	free(s->in);
	for (unsigned i = 0; i < LSTREAM_NSLOTS; i++)
		free(s->mem[i]);
	free(s);
}
