/*
 * nsjoin.c — work done inside a container's network namespace: the tap's
 * open and configuration, the sockets that reach a published port on the
 * container's loopback.
 *
 * As root the stack steps in with setns(2) and straight back out.  A
 * rootless stack cannot: joining a network namespace takes CAP_SYS_ADMIN
 * both in the user namespace that owns it and in the caller's own, and an
 * unprivileged process has the first only once it has joined the
 * container's user namespace — which it could never leave again, while
 * its host sockets must keep being made as the user it is.  So, as pasta
 * does, a forked child does the work: it joins the user namespace that
 * owns the network namespace (NS_GET_USERNS), then the network namespace,
 * runs the function and passes the fd it made back over SCM_RIGHTS with
 * the function's argument (its results) and error.  The first EPERM from
 * setns switches the stack to children for good.
 */
#include "stack.h"
#include "../base/fdpass.h"
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define UN_NS_ARG_MAX 4096

/* What the child sends back: the error, then the argument's bytes. */
typedef struct un_ns_reply {
	int fd_made;                /* fn returned an fd (it comes as SCM_RIGHTS) */
	cpod_err err;
	uint8_t arg[UN_NS_ARG_MAX];
} un_ns_reply;

/* Joins the user namespace owning netns_fd (unless it is ours already),
 * then netns_fd's namespace. */
static int un_ns_join(int netns_fd, cpod_err *err)
{
	int userns = ioctl(netns_fd, NS_GET_USERNS);
	if (userns < 0)
		return err_sys(err, "the user namespace of the container's network namespace");
	struct stat a, b;
	bool ours = fstat(userns, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	int r = ours ? 0 : setns(userns, CLONE_NEWUSER);
	close(userns);
	if (r < 0)
		return err_sys(err, "enter the container's user namespace");
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return err_sys(err, "enter the container's network namespace");
	return 0;
}

static int un_ns_call_forked(un_stack *st, int netns_fd, un_ns_fn fn, void *arg, size_t arg_len,
			     cpod_err *err)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return err_sys(err, "socketpair");
	pid_t pid = fork();
	if (pid < 0) {
		close(sp[0]);
		close(sp[1]);
		return err_sys(err, "fork a namespace helper");
	}
	if (pid == 0) {
		static un_ns_reply rep;   /* static: the child's stack stays small */
		close(sp[0]);
		cpod_err_clear(&rep.err);
		int fd = -1;
		if (un_ns_join(netns_fd, &rep.err) == 0)
			fd = fn(st, arg, &rep.err);
		rep.fd_made = fd >= 0;
		if (arg_len)
			memcpy(rep.arg, arg, arg_len);
		_exit(fdpass_send(sp[1], &rep, offsetof(un_ns_reply, arg) + arg_len, fd) < 0);
	}
	close(sp[1]);
	un_ns_reply *rep = malloc(sizeof(*rep));
	int fd = -1;
	ssize_t n = -1;
	if (rep)
		n = fdpass_recv(sp[0], rep, sizeof(*rep), &fd, 0);
	int saved = errno;
	close(sp[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	int r;
	if (!rep) {
		r = err_nomem(err);
	} else if (n != (ssize_t)(offsetof(un_ns_reply, arg) + arg_len)) {
		errno = n < 0 ? saved : EPROTO;
		r = err_sys(err, "the namespace helper's reply");
	} else if (!rep->fd_made || fd < 0) {
		*err = rep->err;
		if (!err->msg[0])
			err_set(err, CPOD_E_SYS, "the namespace helper made nothing");
		r = -1;
	} else {
		if (arg_len)
			memcpy(arg, rep->arg, arg_len);
		r = fd;
		fd = -1;
	}
	if (fd >= 0)
		close(fd);
	free(rep);
	return r;
}

CPOD_INTERNAL int un_ns_call(un_stack *st, int netns_fd, un_ns_fn fn, void *arg, size_t arg_len,
			     cpod_err *err)
{
	if (arg_len > UN_NS_ARG_MAX)
		return err_set(err, CPOD_E_INVALID, "namespace call: argument too large");
	if (!st->ns_forked) {
		if (setns(netns_fd, CLONE_NEWNET) == 0) {
			int fd = fn(st, arg, err);
			int saved = errno;
			if (setns(st->hostns_fd, CLONE_NEWNET) < 0) {
				/* stuck inside: host sockets made from now on would land there */
				err_sys(err, "back to the host's network namespace");
				st->fatal = true;
				if (fd >= 0)
					close(fd);
				return -2;
			}
			errno = saved;
			return fd;
		}
		if (errno != EPERM)
			return err_sys(err, "enter the container's network namespace");
		st->ns_forked = true;   /* rootless: no CAP_SYS_ADMIN of our own */
	}
	return un_ns_call_forked(st, netns_fd, fn, arg, arg_len, err);
}
