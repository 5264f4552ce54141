/*
 * stream.h — a source of bytes: a file, a decompressor, an HTTP body.
 *
 * Layers flow through chains of these (download -> hash -> inflate -> hash
 * -> tar), so the same unpacker serves a local archive and a registry pull.
 */
#ifndef CPOD_STREAM_H
#define CPOD_STREAM_H
#include "err.h"

typedef struct byte_source {
	/* Reads up to n bytes into data: the count, 0 at the end, -1 on error. */
	ssize_t (*read)(void *ctx, void *data, size_t n, cpod_err *err);
	void *ctx;
} byte_source;

static inline ssize_t source_read(const byte_source *s, void *data, size_t n, cpod_err *err)
{
	return s->read(s->ctx, data, n, err);
}

/* A source over a file descriptor (ctx is the fd, cast). */
CPOD_INTERNAL byte_source source_fd(int *fd);

#endif
