/*
 * stream.c — byte sources over plain file descriptors (see stream.h).
 */
#include "stream.h"

static ssize_t source_fd_read(void *ctx, void *data, size_t n, cpod_err *err)
{
	int fd = *(int *)ctx;
	for (;;) {
		ssize_t r = read(fd, data, n);
		if (r >= 0)
			return r;
		if (errno != EINTR)
			return err_sys(err, "read");
	}
}

CPOD_INTERNAL byte_source source_fd(int *fd)
{
	byte_source s = { source_fd_read, fd };
	return s;
}
