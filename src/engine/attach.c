/*
 * attach.c — frames between supervisors and clients (see attach.h).
 */
#include "attach.h"
#include "../base/proc.h"
#include <sys/socket.h>
#include <sys/un.h>

CPOD_INTERNAL int attach_send(int fd, int type, const void *data, size_t len)
{
	unsigned char head[8] = { (unsigned char)type, 0, 0, 0, (unsigned char)len,
				  (unsigned char)(len >> 8), (unsigned char)(len >> 16),
				  (unsigned char)(len >> 24) };
	if (len > ATTACH_MAX_FRAME)
		return -1;
	struct iovec iov[2] = { { head, sizeof(head) }, { (void *)data, len } };
	size_t total = sizeof(head) + len, done = 0;
	while (done < total) {
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
		ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
		/* advance the iovecs past what went */
		size_t k = (size_t)n;
		for (int i = 0; i < 2 && k; i++) {
			size_t take = k < iov[i].iov_len ? k : iov[i].iov_len;
			iov[i].iov_base = (char *)iov[i].iov_base + take;
			iov[i].iov_len -= take;
			k -= take;
		}
	}
	return 0;
}

static int attach_read_full(int fd, void *p, size_t n, cpod_err *err)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_sys(err, "attach: read");
		if (r == 0)
			return got == 0 ? 0 : err_set(err, CPOD_E_SYS, "attach: truncated frame");
		got += (size_t)r;
	}
	return 1;
}

CPOD_INTERNAL int attach_recv(int fd, int *type, buf *payload, cpod_err *err)
{
	unsigned char head[8];
	int r = attach_read_full(fd, head, sizeof(head), err);
	if (r <= 0)
		return r;
	uint32_t len = head[4] | (uint32_t)head[5] << 8 | (uint32_t)head[6] << 16 | (uint32_t)head[7] << 24;
	if (len > ATTACH_MAX_FRAME || head[1] || head[2] || head[3])
		return err_set(err, CPOD_E_INVALID, "attach: bad frame");
	*type = head[0];
	buf_reset(payload);
	if (buf_reserve(payload, len, err) < 0)
		return -1;
	if (len && attach_read_full(fd, payload->data, len, err) <= 0)
		return err_set(err, CPOD_E_SYS, "attach: truncated frame");
	payload->len = len;
	payload->data[len] = '\0';
	return 1;
}

CPOD_INTERNAL int attach_dir_fd(cpod_engine *e, const char *id, cpod_err *err)
{
	char rel[96];
	snprintf(rel, sizeof(rel), "containers/%.64s", id);
	int fd = openat(e->runrootfd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open the run-time directory of %.12s", id);
	return fd;
}

CPOD_INTERNAL int attach_connect(cpod_engine *e, const char *id, cpod_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int dfd = attach_dir_fd(e, id, err);
	if (dfd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/attach", dfd);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(err, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e2 = errno;
		close(fd);
		if (e2 == ENOENT || e2 == ECONNREFUSED)
			return err_set(err, CPOD_E_STATE, "container %.12s is not running", id);
		return err_sysn(err, e2, "attach to %.12s", id);
	}
	return fd;
}
