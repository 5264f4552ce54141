/*
 * buf.h — growable byte buffers.
 *
 * A buf always keeps a NUL after its data, so text can be used as a C string.
 * A non-zero max bounds how large it may grow (input from outside is read
 * into bounded buffers); going past it is a CPOD_E_LIMIT error.
 */
#ifndef CPOD_BUF_H
#define CPOD_BUF_H
#include "err.h"

typedef struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;   /* 0: unbounded */
	bool failed;  /* a printf/append failed: the content is incomplete */
} buf;

#define BUF_INIT { NULL, 0, 0, 0, false }

CPOD_INTERNAL int buf_reserve(buf *b, size_t extra, cpod_err *err);
CPOD_INTERNAL int buf_append(buf *b, const void *data, size_t len, cpod_err *err);
CPOD_INTERNAL int buf_puts(buf *b, const char *s, cpod_err *err);
CPOD_INTERNAL int buf_putc(buf *b, char c, cpod_err *err);
CPOD_INTERNAL int buf_printf(buf *b, cpod_err *err, const char *fmt, ...) PRINTF_LIKE(3, 4);
CPOD_INTERNAL void buf_reset(buf *b);
CPOD_INTERNAL void buf_free(buf *b);
/* Hands the data (NUL-terminated, never NULL on success) to the caller. */
CPOD_INTERNAL char *buf_take(buf *b, cpod_err *err);
/* Reads fd to its end, at most max bytes (0: no limit). */
CPOD_INTERNAL int buf_read_fd(buf *b, int fd, size_t max, cpod_err *err);

static inline void cleanup_buf(buf *b) { buf_free(b); }
#define _cleanup_buf_ __attribute__((cleanup(cleanup_buf)))

#endif
