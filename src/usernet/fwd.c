/*
 * fwd.c — published ports.  The stack listens on the host; a TCP
 * connection accepted there is joined, as pasta does, to a socket made
 * inside the container's namespace and connected to the container's
 * address, and the bytes move between the two with splice(2) through a
 * pipe per direction, never through user space.  UDP datagrams go through
 * the tap as an inbound flow (source: the gateway address for the host's
 * loopback clients), replies go back from the listening socket.
 */
#include "stack.h"
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>

#define UN_PIPE_SIZE (1 << 20)

CPOD_INTERNAL int un_fwd_add(un_stack *st, unsigned ti, const char *host_ip, unsigned host_port,
			     unsigned ctr_port, int proto, cpod_err *err)
{
	if (st->n_fwds == st->cap_fwds) {
		unsigned cap = st->cap_fwds ? st->cap_fwds * 2 : 16;
		un_fwd *n = realloc(st->fwds, cap * sizeof(*n));
		if (!n)
			return err_nomem(err);
		st->fwds = n;
		st->cap_fwds = cap;
	}
	un_fwd *w = &st->fwds[st->n_fwds];
	memset(w, 0, sizeof(*w));
	w->proto = proto;
	w->tap = (uint16_t)ti;
	w->host_port = (uint16_t)host_port;
	w->ctr_port = (uint16_t)ctr_port;
	w->any = !host_ip || !host_ip[0];
	struct sockaddr_storage ss;
	socklen_t sl;
	int type = proto == UN_P_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int fd = -1;
	if (w->any) {
		/* [::] dual-stack, or 0.0.0.0 on a host without IPv6 */
		memset(w->host_ip.b, 0, 16);
		un_sockaddr(&w->host_ip, (uint16_t)host_port, &ss, &sl);
		fd = socket(AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int zero = 0;
		if (fd >= 0)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (fd < 0) {
			static const uint8_t any4[4];
			un_addr_v4(&w->host_ip, any4);
			un_sockaddr(&w->host_ip, (uint16_t)host_port, &ss, &sl);
		}
	} else {
		if (!un_addr_parse(host_ip, &w->host_ip))
			return err_set(err, CPOD_E_INVALID, "publish %s:%u: not an IP address", host_ip,
				       host_port);
		un_sockaddr(&w->host_ip, (uint16_t)host_port, &ss, &sl);
	}
	if (fd < 0)
		fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(err, "publish port %u: socket", host_port);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 256) < 0)) {
		err_sys(err, "publish port %s%s%u/%s", w->any ? "" : host_ip, w->any ? "" : ":",
			host_port, proto == UN_P_UDP ? "udp" : "tcp");
		close(fd);
		return -1;
	}
	if (un_ep_add(st, fd, EPOLLIN, UN_EVDATA(UN_EV_FWD_LISTEN, st->n_fwds)) < 0) {
		close(fd);
		return err_sys(err, "epoll");
	}
	w->fd = fd;
	st->n_fwds++;
	return 0;
}

static void un_splice_close(un_stack *st, unsigned idx)
{
	un_splice *c = &st->splices[idx];
	if (!c->used)
		return;
	for (int d = 0; d < 2; d++) {
		if (c->fd[d] >= 0)
			close(c->fd[d]);
		for (int k = 0; k < 2; k++)
			if (c->pipe[d][k] >= 0)
				close(c->pipe[d][k]);
	}
	memset(c, 0, sizeof(*c));
	c->next_free = st->splice_free;
	st->splice_free = (int32_t)idx;
}

CPOD_INTERNAL void un_fwd_remove_tap(un_stack *st, unsigned ti)
{
	unsigned k = 0;
	for (unsigned i = 0; i < st->n_fwds; i++) {
		if (st->fwds[i].tap == ti) {
			close(st->fwds[i].fd);
			continue;
		}
		if (k != i) {
			st->fwds[k] = st->fwds[i];
			un_ep_mod(st, st->fwds[k].fd, EPOLLIN, UN_EVDATA(UN_EV_FWD_LISTEN, k));
		}
		k++;
	}
	st->n_fwds = k;
	for (unsigned i = 0; i < st->max_splices; i++)
		if (st->splices[i].used && st->splices[i].tap == ti)
			un_splice_close(st, i);
}

static int un_fwd_socket_fn(un_stack *st, void *arg, cpod_err *err)
{
	(void)st;
	(void)arg;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		err_sys(err, "socket");
	return fd;
}

/* A socket inside the container's namespace, connecting to its address. */
static int un_fwd_inner(un_stack *st, un_tap *t, uint16_t port)
{
	cpod_err err;
	cpod_err_clear(&err);
	int fd = un_ns_call(st, t->netns_fd, un_fwd_socket_fn, NULL, 0, &err);
	if (fd < 0) {
		if (fd == -2)
			log_warn("usernet: %s: stopping", err.msg);
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct sockaddr_storage ss;
	socklen_t sl;
	un_sockaddr(&t->ip4, port, &ss, &sl);
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static void un_fwd_udp(un_stack *st, un_fwd *w)
{
	un_tap *t = &st->taps[w->tap];
	size_t iphl = 20;
	uint8_t *p = st->tx + UN_L3 + iphl + 8;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage peer;
		socklen_t pl = sizeof(peer);
		ssize_t n = recvfrom(w->fd, p, 65535 - 28, MSG_DONTWAIT, (struct sockaddr *)&peer, &pl);
		if (n < 0)
			return;
		un_addr src;
		uint16_t sport;
		un_from_sockaddr(&peer, &src, &sport);
		unsigned c = un_addr_class(&src);
		if (c == UN_CLASS_LOOPBACK)
			src = st->gw4;
		else if (!un_is_v4(&src))
			continue;   /* an IPv6 client cannot be mapped into the IPv4 guest */
		un_flow *f = un_flow_find(st, UN_P_UDP, w->tap, &t->ip4, w->ctr_port, &src, sport);
		if (!f) {
			f = un_flow_new(st, UN_P_UDP, w->tap, &t->ip4, w->ctr_port, &src, sport);
			if (!f) {
				st->dropped++;
				continue;
			}
			f->inbound = true;
			f->fd = w->fd;
		}
		f->peer = peer;
		f->last_ms = un_now_ms();
		un_udp_send_guest(st, w->tap, &src, sport, &t->ip4, w->ctr_port, p, (size_t)n);
	}
}

CPOD_INTERNAL void un_fwd_accept(un_stack *st, unsigned idx)
{
	if (idx >= st->n_fwds)
		return;
	un_fwd *w = &st->fwds[idx];
	if (w->proto == UN_P_UDP) {
		un_fwd_udp(st, w);
		return;
	}
	for (int i = 0; i < 32; i++) {
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (st->splice_free < 0) {
			close(fd);
			st->dropped++;
			continue;
		}
		int32_t ci = st->splice_free;
		un_splice *c = &st->splices[ci];
		int next = c->next_free;
		memset(c, 0, sizeof(*c));
		c->fd[0] = fd;
		c->fd[1] = -1;
		c->pipe[0][0] = c->pipe[0][1] = c->pipe[1][0] = c->pipe[1][1] = -1;
		c->used = true;
		c->tap = w->tap;
		st->splice_free = next;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->fd[1] = un_fwd_inner(st, &st->taps[w->tap], w->ctr_port);
		if (c->fd[1] < 0 || pipe2(c->pipe[0], O_NONBLOCK | O_CLOEXEC) < 0 ||
		    pipe2(c->pipe[1], O_NONBLOCK | O_CLOEXEC) < 0) {
			un_splice_close(st, (unsigned)ci);
			continue;
		}
		fcntl(c->pipe[0][0], F_SETPIPE_SZ, UN_PIPE_SIZE);
		fcntl(c->pipe[1][0], F_SETPIPE_SZ, UN_PIPE_SIZE);
		uint32_t ev = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
		if (un_ep_add(st, c->fd[0], ev, UN_EVDATA(UN_EV_SPLICE_A, ci)) < 0 ||
		    un_ep_add(st, c->fd[1], ev, UN_EVDATA(UN_EV_SPLICE_B, ci)) < 0)
			un_splice_close(st, (unsigned)ci);
	}
}

/* Moves what it can from fd[d] to fd[!d]; -1 on a broken connection. */
static int un_splice_pump(un_splice *c, int d)
{
	int src = c->fd[d], dst = c->fd[!d];
	for (;;) {
		bool moved = false;
		if (!c->eof[d] && c->inpipe[d] < UN_PIPE_SIZE) {
			ssize_t n = splice(src, NULL, c->pipe[d][1], NULL, UN_PIPE_SIZE,
					   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
			if (n > 0) {
				c->inpipe[d] += (size_t)n;
				moved = true;
			} else if (n == 0) {
				c->eof[d] = true;
			} else if (errno != EAGAIN && errno != EINTR) {
				return -1;
			}
		}
		if (c->inpipe[d] && c->connected) {
			ssize_t n = splice(c->pipe[d][0], NULL, dst, NULL, c->inpipe[d],
					   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
			if (n > 0) {
				c->inpipe[d] -= (size_t)n;
				moved = true;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				return -1;
			}
		}
		if (!moved)
			break;
	}
	if (c->eof[d] && !c->inpipe[d] && !c->shut[d] && c->connected) {
		shutdown(dst, SHUT_WR);
		c->shut[d] = true;
	}
	return 0;
}

CPOD_INTERNAL void un_splice_event(un_stack *st, unsigned idx, int side, uint32_t events)
{
	if (idx >= st->max_splices || !st->splices[idx].used)
		return;
	un_splice *c = &st->splices[idx];
	if (!c->connected && side == 1) {
		int e = 0;
		socklen_t sl = sizeof(e);
		struct sockaddr_storage ss;
		socklen_t al = sizeof(ss);
		if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &e, &sl) < 0 || e) {
			un_splice_close(st, idx);
			return;
		}
		if (getpeername(c->fd[1], (struct sockaddr *)&ss, &al) == 0)
			c->connected = true;
	}
	if ((events & EPOLLERR) && c->connected) {
		un_splice_close(st, idx);
		return;
	}
	if (un_splice_pump(c, 0) < 0 || un_splice_pump(c, 1) < 0) {
		un_splice_close(st, idx);
		return;
	}
	if (c->shut[0] && c->shut[1])
		un_splice_close(st, idx);
}
