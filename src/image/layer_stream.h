/*
 * layer_stream.h — the producer side of layer unpacking (layer_stream.c):
 * a blob read, hashed, decompressed (gzip, zstd or none, told apart by
 * magic) and hashed again, handed to the tar reader as chunks of a ring.
 */
#ifndef CPOD_IMAGE_LAYER_STREAM_H
#define CPOD_IMAGE_LAYER_STREAM_H
#include "layer.h"

typedef struct lstream lstream;

typedef struct lstream_opts {
	uint64_t max_size;         /* uncompressed bytes; 0: 64 GiB */
	uint64_t compressed_size;  /* declared blob size; 0: unknown */
	bool inline_discard;       /* no thread, no consumer: only the digests (layer_digest) */
} lstream_opts;

/* Starts decompressing src (in a thread of its own unless inline_discard). */
CPOD_INTERNAL lstream *lstream_start(const byte_source *src, const lstream_opts *o,
				     cpod_err *err);
/* The uncompressed stream as a tar_chunk_source (ctx: the lstream). */
CPOD_INTERNAL ssize_t lstream_next(void *ctx, const void **p, cpod_err *err);
/* Reads the rest of the stream, waits for the producer and fills the
 * digests, sizes and compression of res. */
CPOD_INTERNAL int lstream_finish(lstream *s, layer_result *res, cpod_err *err);
/* Stops the producer (when unpacking failed) and frees everything. */
CPOD_INTERNAL void lstream_free(lstream *s);

#endif
