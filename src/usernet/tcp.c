/*
 * tcp.c — the guest's TCP connections, terminated in the stack and spliced
 * onto host TCP sockets (the design of passt's tcp.c, written anew).
 *
 * Guest to host: a segment's payload is written to the host socket and
 * acknowledged only as far as it went in; the window we advertise is the
 * room left in the host socket's send buffer, so a slow host peer slows
 * the guest (backpressure).  A segment that did not fit is dropped and,
 * once the socket drains (EPOLLOUT), three duplicate ACKs make the guest
 * resend it at once.
 *
 * Host to guest: nothing is copied into buffers of our own.  Data stays in
 * the host socket until the guest acknowledges it: we read it with MSG_PEEK
 * at SO_PEEK_OFF (the offset is the data in flight), up to the guest's
 * window, into the frames of st->batch behind prebuilt headers, and drop
 * it from the socket with MSG_TRUNC when the guest ACKs.  Retransmission
 * rewinds the peek offset (go-back-N; on a lossless tap it is rare).  A
 * full guest window leaves the data in the socket, whose receive buffer
 * then fills and throttles the host peer.  Host sockets are edge-
 * triggered: peeked data keeps a socket readable.
 */
#include "stack.h"
#include <netinet/tcp.h>
#include <linux/sock_diag.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/uio.h>

#define UN_TCP_RTO_MS 400
#define UN_TCP_MAX_RETRIES 8
#define UN_TCP_OWS 8

enum { UN_FIN = 1, UN_SYN = 2, UN_RST = 4, UN_PSH = 8, UN_ACK = 16 };

static uint32_t un_tcp_events(void)
{
	return EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
}

/* Room in the host socket's send buffer: the window the guest gets.  The
 * kernel counts the buffer in memory (SO_MEMINFO's queued), not bytes, so
 * the room is measured the same way and a little held back: a window that
 * promises more than the socket takes makes the guest retransmit. */
static uint32_t un_tcp_wnd(un_stack *st, un_flow *f)
{
	if (st->fuzz || f->fd < 0)
		return 65535u << f->ows;
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t sl = sizeof(mi);
	if (getsockopt(f->fd, SOL_SOCKET, SO_MEMINFO, mi, &sl) < 0 ||
	    sl < sizeof(uint32_t) * (SK_MEMINFO_WMEM_QUEUED + 1))
		return 65535;
	long sndbuf = (long)mi[SK_MEMINFO_SNDBUF];
	long space = sndbuf - (long)mi[SK_MEMINFO_WMEM_QUEUED];
	space -= space / 8;
	if (space < 0)
		space = 0;
	if (space < sndbuf / 2) {
		/* A small window: ask for EPOLLOUT when the socket drains, so
		 * the guest hears of the room at once.  poll() on a socket that
		 * is not writable sets SOCK_NOSPACE, which arms that wakeup. */
		struct pollfd pfd = { .fd = f->fd, .events = POLLOUT };
		poll(&pfd, 1, 0);
		f->st |= UN_T_WAITROOM;
	}
	if (space > (1L << 30))
		space = 1L << 30;
	return (uint32_t)space;
}

static uint16_t un_tcp_wnd_field(un_flow *f, uint32_t wnd)
{
	uint32_t w = wnd >> f->ows;
	return (uint16_t)(w > 65535 ? 65535 : w);
}

/* A segment without payload (SYN-ACK with MSS and window scale) that
 * advertises wnd. */
static void un_tcp_send_ctl_wnd(un_stack *st, un_flow *f, uint8_t flags, uint32_t wnd)
{
	bool v6 = !un_is_v4(&f->gaddr);
	size_t iphl = v6 ? 40 : 20;
	uint8_t *t = st->tx + UN_L3 + iphl;
	size_t hl = 20;
	uint32_t seq = (flags & UN_SYN) ? f->iss : f->snd_nxt;
	if ((flags & UN_FIN) && (f->st & UN_T_FIN_SENT))
		seq = f->snd_nxt - 1;
	un_wr16(t, f->rport);
	un_wr16(t + 2, f->gport);
	un_wr32(t + 4, seq);
	un_wr32(t + 8, (flags & UN_ACK) ? f->rcv_nxt : 0);
	if (flags & UN_RST)
		wnd = 0;
	if (flags & UN_SYN) {
		uint8_t *o = t + 20;
		uint32_t mss = st->mtu - iphl - 20;
		o[0] = 2; o[1] = 4; un_wr16(o + 2, (uint16_t)(mss > 65535 ? 65535 : mss));
		hl += 4;
		if (f->st & UN_T_GUEST_WS) {
			o[4] = 1; o[5] = 3; o[6] = 3; o[7] = f->ows;
			hl += 4;
		}
		un_wr16(t + 14, (uint16_t)(wnd > 65535 ? 65535 : wnd));
	} else {
		un_wr16(t + 14, un_tcp_wnd_field(f, wnd));
	}
	f->acked_wnd = wnd;
	t[12] = (uint8_t)((hl / 4) << 4);
	t[13] = flags;
	un_wr16(t + 16, 0);
	un_wr16(t + 18, 0);
	uint32_t s = un_csum_pseudo(&f->raddr, &f->gaddr, UN_P_TCP, (uint32_t)hl);
	un_wr16(t + 16, un_csum_fold(un_csum_add(s, t, hl)));
	un_build_ip(st, st->tx, &f->raddr, &f->gaddr, UN_P_TCP, hl);
	un_send_l3(st, f->tap, st->tx, iphl + hl, v6, NULL);
	f->st &= ~(uint32_t)UN_T_ACK_DUE;
}

static void un_tcp_send_ctl(un_stack *st, un_flow *f, uint8_t flags)
{
	un_tcp_send_ctl_wnd(st, f, flags, (flags & UN_RST) ? 0 : un_tcp_wnd(st, f));
}

/* A duplicate ACK: the guest counts an ACK as a duplicate only when the
 * window it advertises is unchanged too (RFC 5681 2), so it repeats the
 * window of our last ACK. */
static void un_tcp_send_dupack(un_stack *st, un_flow *f)
{
	un_tcp_send_ctl_wnd(st, f, UN_ACK, f->acked_wnd);
}

/* RST for a segment that belongs to no flow (or is refused). */
static void un_tcp_rst_reply(un_stack *st, unsigned ti, const un_addr *src, const un_addr *dst,
			     const uint8_t *l4, size_t plen)
{
	uint8_t fl = l4[13];
	if (fl & UN_RST)
		return;
	bool v6 = !un_is_v4(src);
	size_t iphl = v6 ? 40 : 20;
	uint8_t *t = st->tx + UN_L3 + iphl;
	memset(t, 0, 20);
	memcpy(t, l4 + 2, 2);
	memcpy(t + 2, l4, 2);
	if (fl & UN_ACK) {
		memcpy(t + 4, l4 + 8, 4);
		t[13] = UN_RST;
	} else {
		un_wr32(t + 8, un_rd32(l4 + 4) + (uint32_t)plen + ((fl & UN_SYN) ? 1 : 0) +
				       ((fl & UN_FIN) ? 1 : 0));
		t[13] = UN_RST | UN_ACK;
	}
	t[12] = 5 << 4;
	uint32_t s = un_csum_pseudo(dst, src, UN_P_TCP, 20);
	un_wr16(t + 16, un_csum_fold(un_csum_add(s, t, 20)));
	un_build_ip(st, st->tx, dst, src, UN_P_TCP, 20);
	un_send_l3(st, ti, st->tx, iphl + 20, v6, NULL);
}

static void un_tcp_ack_later(un_stack *st, un_flow *f)
{
	f->st |= UN_T_ACK_DUE;
	if (!f->in_acklist) {
		f->in_acklist = true;
		f->ack_next = st->ack_head;
		st->ack_head = un_flow_idx(st, f);
	}
}

CPOD_INTERNAL void un_tcp_flush_acks(un_stack *st)
{
	int32_t i = st->ack_head;
	st->ack_head = -1;
	while (i >= 0) {
		un_flow *f = &st->flows[i];
		i = f->ack_next;
		f->ack_next = -1;
		f->in_acklist = false;
		if (f->proto == UN_P_TCP && (f->st & UN_T_ACK_DUE))
			un_tcp_send_ctl(st, f, UN_ACK);
	}
}

CPOD_INTERNAL void un_tcp_close(un_stack *st, un_flow *f, bool rst)
{
	if (rst) {
		if (!(f->st & UN_T_CONNECTING))
			un_tcp_send_ctl(st, f, UN_RST | UN_ACK);
		if (f->fd >= 0) {
			struct linger l = { 1, 0 };
			setsockopt(f->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		}
	}
	un_flow_free(st, f);
}

static void un_tcp_done_check(un_stack *st, un_flow *f)
{
	if ((f->st & UN_T_GUEST_FIN) && (f->st & UN_T_FIN_ACKED))
		un_tcp_close(st, f, false);
}

/* Host data to the guest, as far as its window goes. */
static void un_tcp_to_guest(un_stack *st, un_flow *f)
{
	if (!(f->st & UN_T_ESTAB) || (f->st & UN_T_FIN_SENT) || f->fd < 0)
		return;
	bool v6 = !un_is_v4(&f->gaddr);
	size_t iphl = v6 ? 40 : 20, hdr = UN_L3 + iphl + 20;
	size_t slot = UN_HDR_ROOM + 65536;
	uint32_t seg = f->mss;
	if (seg > st->mtu - iphl - 20)
		seg = st->mtu - iphl - 20;
	uint32_t maxpl = seg;
	bool gso = false;
	if (seg < 16384) {
		maxpl = (uint32_t)((65535 - iphl - 20) / seg) * seg;
		gso = true;
	}
	uint32_t wnd = un_tcp_wnd(st, f);
	for (int round = 0; round < 16; round++) {
		uint32_t inflight = f->snd_nxt - f->snd_una;
		if (inflight >= f->gwnd)
			return;
		uint32_t avail = f->gwnd - inflight;
		struct iovec iov[UN_BATCH];
		int n_iov = 0;
		size_t want = 0;
		while (n_iov < UN_BATCH && avail > 0) {
			uint32_t l = avail < maxpl ? avail : maxpl;
			iov[n_iov].iov_base = st->batch + (size_t)n_iov * slot + hdr;
			iov[n_iov].iov_len = l;
			want += l;
			avail -= l;
			n_iov++;
		}
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n_iov };
		ssize_t n = recvmsg(f->fd, &mh, MSG_PEEK | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			un_tcp_close(st, f, true);
			return;
		}
		if (n == 0) {
			f->st |= UN_T_HOST_EOF | UN_T_FIN_SENT;
			f->snd_nxt++;
			un_tcp_send_ctl(st, f, UN_FIN | UN_ACK);
			if (!f->rto_at)
				f->rto_at = un_now_ms() + UN_TCP_RTO_MS;
			return;
		}
		size_t left = (size_t)n;
		for (int k = 0; k < n_iov && left > 0; k++) {
			size_t l = left < iov[k].iov_len ? left : iov[k].iov_len;
			left -= l;
			uint8_t *fr = st->batch + (size_t)k * slot;
			uint8_t *t = fr + UN_L3 + iphl;
			un_wr16(t, f->rport);
			un_wr16(t + 2, f->gport);
			un_wr32(t + 4, f->snd_nxt);
			un_wr32(t + 8, f->rcv_nxt);
			t[12] = 5 << 4;
			t[13] = UN_ACK | (left == 0 ? UN_PSH : 0);
			un_wr16(t + 14, un_tcp_wnd_field(f, wnd));
			un_wr16(t + 18, 0);
			uint32_t s = un_csum_pseudo(&f->raddr, &f->gaddr, UN_P_TCP,
						    (uint32_t)(20 + l));
			un_wr16(t + 16, (uint16_t)~un_csum_fold(s));
			struct virtio_net_hdr vh = { 0 };
			vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
			vh.csum_start = (uint16_t)(UN_ETH + iphl);
			vh.csum_offset = 16;
			if (gso && l > seg) {
				vh.gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
				vh.gso_size = (uint16_t)seg;
				vh.hdr_len = (uint16_t)(UN_ETH + iphl + 20);
			}
			un_build_ip(st, fr, &f->raddr, &f->gaddr, UN_P_TCP, 20 + l);
			un_send_l3(st, f->tap, fr, iphl + 20 + l, v6, &vh);
			f->snd_nxt += (uint32_t)l;
		}
		f->acked_wnd = wnd;
		f->st &= ~(uint32_t)UN_T_ACK_DUE;
		if (!f->rto_at)
			f->rto_at = un_now_ms() + UN_TCP_RTO_MS;
		if ((size_t)n < want)
			return;
	}
}

/* Back to the oldest unacknowledged byte. */
static void un_tcp_rewind(un_stack *st, un_flow *f)
{
	int zero = 0;
	if (f->fd >= 0)
		setsockopt(f->fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero));
	f->snd_nxt = f->snd_una;
	f->st &= ~(uint32_t)UN_T_FIN_SENT;
	f->dupacks = 0;
	un_tcp_to_guest(st, f);
}

static void un_tcp_syn(un_stack *st, unsigned ti, const un_addr *src, const un_addr *dst,
		       const uint8_t *l4, size_t doff)
{
	un_addr host;
	bool via_gw;
	uint16_t dport = un_rd16(l4 + 2);
	if (!un_map_dst(st, dst, &host, &via_gw)) {
		un_tcp_rst_reply(st, ti, src, dst, l4, 0);
		return;
	}
	if (!un_policy_allows(st->cfg.policy, &host, via_gw)) {
		st->refused++;
		un_tcp_rst_reply(st, ti, src, dst, l4, 0);
		return;
	}
	un_flow *f = un_flow_new(st, UN_P_TCP, ti, src, un_rd16(l4), dst, dport);
	if (!f) {
		st->dropped++;
		un_tcp_rst_reply(st, ti, src, dst, l4, 0);
		return;
	}
	f->mss = 536;
	for (size_t o = 20; o < doff;) {
		uint8_t kind = l4[o];
		if (kind == 0)
			break;
		if (kind == 1) {
			o++;
			continue;
		}
		if (o + 1 >= doff || l4[o + 1] < 2 || o + l4[o + 1] > doff)
			break;
		if (kind == 2 && l4[o + 1] == 4)
			f->mss = un_rd16(l4 + o + 2);
		if (kind == 3 && l4[o + 1] == 3) {
			f->gws = l4[o + 2] > 14 ? 14 : l4[o + 2];
			f->st |= UN_T_GUEST_WS;
		}
		o += l4[o + 1];
	}
	if (f->mss < 64)
		f->mss = 64;
	f->ows = (f->st & UN_T_GUEST_WS) ? UN_TCP_OWS : 0;
	if (!(f->st & UN_T_GUEST_WS))
		f->gws = 0;
	f->rcv_nxt = un_rd32(l4 + 4) + 1;
	static uint32_t salt = 0x9e3779b9;
	salt = salt * 1664525u + 1013904223u + (uint32_t)un_now_ms();
	f->iss = salt;
	f->snd_una = f->iss;
	f->snd_nxt = f->iss + 1;
	f->gwnd = un_rd16(l4 + 14);
	f->st |= UN_T_CONNECTING;
	if (st->fuzz) {
		un_tcp_event(st, f, EPOLLOUT);
		return;
	}
	struct sockaddr_storage ss;
	socklen_t sl;
	un_sockaddr(&host, dport, &ss, &sl);
	f->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->fd < 0) {
		un_flow_free(st, f);
		un_tcp_rst_reply(st, ti, src, dst, l4, 0);
		return;
	}
	int one = 1;
	setsockopt(f->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((connect(f->fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) ||
	    un_ep_add(st, f->fd, un_tcp_events(), UN_EVDATA(UN_EV_FLOW, un_flow_idx(st, f))) < 0) {
		un_flow_free(st, f);
		un_tcp_rst_reply(st, ti, src, dst, l4, 0);
		return;
	}
	f->rto_at = un_now_ms() + 30000;    /* connect timeout */
}

static size_t un_tcp_host_send(un_stack *st, un_flow *f, const uint8_t *p, size_t len, int *e)
{
	*e = 0;
	if (st->fuzz)
		return len;
	ssize_t n = send(f->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			*e = errno;
		return 0;
	}
	return (size_t)n;
}

CPOD_INTERNAL void un_tcp_input(un_stack *st, unsigned ti, const un_addr *src,
				const un_addr *dst, uint8_t *l4, size_t l4len)
{
	if (l4len < 20)
		return;
	size_t doff = (size_t)(l4[12] >> 4) * 4;
	if (doff < 20 || doff > l4len)
		return;
	uint8_t fl = l4[13];
	uint32_t seq = un_rd32(l4 + 4), ackn = un_rd32(l4 + 8);
	const uint8_t *pl = l4 + doff;
	size_t plen = l4len - doff;
	un_flow *f = un_flow_find(st, UN_P_TCP, ti, src, un_rd16(l4), dst, un_rd16(l4 + 2));
	if (!f) {
		if (fl & UN_RST)
			return;
		if ((fl & (UN_SYN | UN_ACK | UN_FIN)) != UN_SYN) {
			un_tcp_rst_reply(st, ti, src, dst, l4, plen);
			return;
		}
		if (un_addr_eq(dst, &st->dns4) || (st->v6 && un_addr_eq(dst, &st->dns6))) {
			un_tcp_rst_reply(st, ti, src, dst, l4, plen);
			return;
		}
		un_tcp_syn(st, ti, src, dst, l4, doff);
		return;
	}
	if (fl & UN_RST) {
		/* the host peer gets a RST too (an abortive close) */
		if (f->fd >= 0) {
			struct linger l = { 1, 0 };
			setsockopt(f->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		}
		un_tcp_close(st, f, false);
		return;
	}
	if (f->st & UN_T_CONNECTING)
		return;
	if (fl & UN_SYN) {
		if (f->st & UN_T_SYNACK)
			un_tcp_send_ctl(st, f, UN_SYN | UN_ACK);
		return;
	}
	if (!(fl & UN_ACK))
		return;
	if (f->st & UN_T_SYNACK) {
		if (ackn != f->iss + 1) {
			un_tcp_rst_reply(st, ti, src, dst, l4, plen);
			return;
		}
		f->st = (f->st & ~(uint32_t)UN_T_SYNACK) | UN_T_ESTAB;
		f->snd_una = ackn;
		f->rto_at = 0;
		f->retries = 0;
	}
	uint32_t old_wnd = f->gwnd;
	uint32_t acked = ackn - f->snd_una;
	bool progress = false;
	if (acked > 0 && acked <= f->snd_nxt - f->snd_una) {
		uint32_t data = acked;
		if ((f->st & UN_T_FIN_SENT) && ackn == f->snd_nxt) {
			data--;
			f->st |= UN_T_FIN_ACKED;
		}
		if (data && f->fd >= 0 && !st->fuzz)
			recv(f->fd, NULL, data, MSG_TRUNC | MSG_DONTWAIT);
		f->snd_una = ackn;
		f->retries = 0;
		f->dupacks = 0;
		f->rto_at = f->snd_una != f->snd_nxt ? un_now_ms() + UN_TCP_RTO_MS : 0;
		progress = true;
	}
	f->gwnd = (uint32_t)un_rd16(l4 + 14) << f->gws;
	if (!progress && !plen && !(fl & UN_FIN) && f->snd_nxt != f->snd_una &&
	    f->gwnd == old_wnd && ++f->dupacks == 3) {
		un_tcp_rewind(st, f);
		if (!f->proto)
			return;
	}
	if (plen && !(f->st & UN_T_GUEST_FIN)) {
		int32_t off = (int32_t)(f->rcv_nxt - seq);
		if (off >= 0 && (size_t)off < plen) {
			int e;
			size_t want = plen - (size_t)off;
			size_t n = un_tcp_host_send(st, f, pl + off, want, &e);
			if (e) {
				un_tcp_close(st, f, true);
				return;
			}
			f->rcv_nxt += (uint32_t)n;
			if (n)
				f->holes_acked = 0;
			if (n < want)
				f->st |= UN_T_WBLOCK;
			un_tcp_ack_later(st, f);
		} else if (off < 0) {
			/* Out of order: a tap does not reorder, so a segment
			 * before it was lost, and we keep no out-of-order data:
			 * the guest must resend from the hole on.  Three
			 * duplicate ACKs at once start its fast retransmit
			 * right away, even with one segment in flight (ACKs
			 * gathered per burst would leave it to its timeout,
			 * which backs off).  More would tell it, as SACK-less
			 * duplicates do, that later segments arrived: it would
			 * take the surplus for reordering and raise its
			 * threshold.  A repeat of what we have gets the
			 * gathered ACK. */
			for (; f->holes_acked < 3 && f->proto; f->holes_acked++)
				un_tcp_send_dupack(st, f);
			if (!f->proto)
				return;
		} else {
			un_tcp_ack_later(st, f);
		}
	}
	if ((fl & UN_FIN) && !(f->st & UN_T_GUEST_FIN) && seq + plen == f->rcv_nxt) {
		f->rcv_nxt++;
		f->st |= UN_T_GUEST_FIN;
		if (f->fd >= 0)
			shutdown(f->fd, SHUT_WR);
		un_tcp_ack_later(st, f);
	}
	if (f->st & UN_T_FIN_ACKED) {
		un_tcp_done_check(st, f);
		return;
	}
	if (progress || f->gwnd > old_wnd)
		un_tcp_to_guest(st, f);
}

CPOD_INTERNAL void un_tcp_event(un_stack *st, un_flow *f, uint32_t events)
{
	if (f->st & UN_T_CONNECTING) {
		int e = 0;
		socklen_t sl = sizeof(e);
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (!st->fuzz && getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &e, &sl) < 0)
			e = errno;
		if (e) {
			f->st &= ~(uint32_t)UN_T_CONNECTING;
			un_tcp_send_ctl(st, f, UN_RST | UN_ACK);
			un_flow_free(st, f);
			return;
		}
		int zero = 0;
		if (f->fd >= 0 && setsockopt(f->fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero)) < 0)
			log_warn("usernet: SO_PEEK_OFF: %s", strerror(errno));
		f->st = (f->st & ~(uint32_t)UN_T_CONNECTING) | UN_T_SYNACK;
		un_tcp_send_ctl(st, f, UN_SYN | UN_ACK);
		f->rto_at = un_now_ms() + UN_TCP_RTO_MS;
		return;
	}
	if (events & EPOLLERR) {
		un_tcp_close(st, f, true);
		return;
	}
	if ((events & EPOLLOUT) && (f->st & UN_T_ESTAB)) {
		if (f->st & UN_T_WBLOCK) {
			/* what we dropped: three duplicate ACKs, resent at once */
			f->st &= ~(uint32_t)UN_T_WBLOCK;
			un_tcp_send_ctl(st, f, UN_ACK);
			for (int i = 0; i < 2 && f->proto; i++)
				un_tcp_send_dupack(st, f);
		} else if (f->st & UN_T_WAITROOM) {
			f->st &= ~(uint32_t)UN_T_WAITROOM;
			un_tcp_send_ctl(st, f, UN_ACK);    /* a window update */
		}
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
		un_tcp_to_guest(st, f);
}

CPOD_INTERNAL void un_tcp_timers(un_stack *st, uint64_t now)
{
	for (unsigned i = 0; i < st->max_flows; i++) {
		un_flow *f = &st->flows[i];
		if (f->proto != UN_P_TCP || !f->rto_at || now < f->rto_at)
			continue;
		if ((f->st & UN_T_CONNECTING) || ++f->retries > UN_TCP_MAX_RETRIES) {
			un_tcp_close(st, f, true);
			continue;
		}
		unsigned shift = f->retries < 5 ? f->retries : 5;
		f->rto_at = now + ((uint64_t)UN_TCP_RTO_MS << shift);
		if (f->st & UN_T_SYNACK)
			un_tcp_send_ctl(st, f, UN_SYN | UN_ACK);
		else if (f->snd_nxt != f->snd_una)
			un_tcp_rewind(st, f);
		else
			f->rto_at = 0;
	}
}
