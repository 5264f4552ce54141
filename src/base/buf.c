/*
 * buf.c — growable byte buffers (see buf.h).
 */
#include "buf.h"

CPOD_INTERNAL int buf_reserve(buf *b, size_t extra, cpod_err *err)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return err_set(err, CPOD_E_LIMIT, "buffer too large");
	need = b->len + extra + 1;
	if (b->max && need > b->max + 1)
		return err_set(err, CPOD_E_LIMIT, "data larger than %zu bytes", b->max);
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		return err_nomem(err);
	b->data = p;
	b->cap = cap;
	b->data[b->len] = '\0';
	return 0;
}

CPOD_INTERNAL int buf_append(buf *b, const void *data, size_t len, cpod_err *err)
{
	if (buf_reserve(b, len, err) < 0) {
		b->failed = true;
		return -1;
	}
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

CPOD_INTERNAL int buf_puts(buf *b, const char *s, cpod_err *err)
{
	return buf_append(b, s, strlen(s), err);
}

CPOD_INTERNAL int buf_putc(buf *b, char c, cpod_err *err)
{
	return buf_append(b, &c, 1, err);
}

CPOD_INTERNAL int buf_printf(buf *b, cpod_err *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return err_set(err, CPOD_E_INVALID, "bad format");
	if (buf_reserve(b, (size_t)n, err) < 0) {
		b->failed = true;
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

CPOD_INTERNAL void buf_reset(buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data)
		b->data[0] = '\0';
}

CPOD_INTERNAL void buf_free(buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = false;
}

CPOD_INTERNAL char *buf_take(buf *b, cpod_err *err)
{
	char *p;

	if (b->failed) {
		buf_free(b);
		err_set(err, CPOD_E_NOMEM, "out of memory");
		return NULL;
	}
	if (!b->data && buf_reserve(b, 0, err) < 0)
		return NULL;
	p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

CPOD_INTERNAL int buf_read_fd(buf *b, int fd, size_t max, cpod_err *err)
{
	size_t start = b->len;

	for (;;) {
		size_t want = 16384, room;
		ssize_t n;

		if (b->max) {
			if (b->len >= b->max) {
				/* full: one more byte means the data does not fit */
				char c;
				n = read(fd, &c, 1);
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0)
					return err_sys(err, "read");
				if (n == 0)
					break;
				return err_set(err, CPOD_E_LIMIT, "data larger than %zu bytes", b->max);
			}
			if (want > b->max - b->len)
				want = b->max - b->len;
		}
		if (buf_reserve(b, want, err) < 0)
			return -1;
		room = b->cap - b->len - 1;
		if (b->max && room > b->max - b->len)
			room = b->max - b->len;
		n = read(fd, b->data + b->len, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_sys(err, "read");
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
		if (max && b->len - start > max)
			return err_set(err, CPOD_E_LIMIT, "data larger than %zu bytes", max);
	}
	return 0;
}
