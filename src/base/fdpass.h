/*
 * fdpass.h — one message with at most one file descriptor over a unix
 * socket (SCM_RIGHTS): the pty master of a console socket, a namespace fd
 * for the network process, the fds a namespace helper made.
 */
#ifndef CPOD_FDPASS_H
#define CPOD_FDPASS_H
#include "common.h"

/* Sends len bytes of data (len > 0) with fd, when fd >= 0, in one message.
 * Retries on EINTR; -1 with errno on failure, else the bytes sent. */
CPOD_INTERNAL ssize_t fdpass_send(int sock, const void *data, size_t len, int fd);

/* Receives one message of at most cap bytes into data.  *fd gets the fd
 * that came with it (close-on-exec) or -1; any further fds are closed.
 * flags go to recvmsg (MSG_DONTWAIT).  Retries on EINTR; -1 with errno,
 * else the bytes received (0: the peer closed). */
CPOD_INTERNAL ssize_t fdpass_recv(int sock, void *data, size_t cap, int *fd, int flags);
#endif
