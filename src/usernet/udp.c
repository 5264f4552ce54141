/*
 * udp.c — the datagram side of the stack: UDP flows on connected host UDP
 * sockets (idle timeout), the DHCP server, the DNS forwarder (local names
 * answered here, the rest relayed to the first nameserver of resolv.conf),
 * ICMP echo (the gateway answers itself, other destinations go through
 * host ICMP datagram sockets) and the bits of NDP a guest needs.
 */
#include "stack.h"
#include <sys/epoll.h>

/* A UDP datagram to the guest.  data may already sit where the payload
 * goes in st->tx (un_udp_readable receives it there). */
CPOD_INTERNAL void un_udp_send_guest(un_stack *st, unsigned ti, const un_addr *src,
				     uint16_t sport, const un_addr *dst, uint16_t dport,
				     const uint8_t *data, size_t len)
{
	bool v6 = !un_is_v4(src);
	size_t iphl = v6 ? 40 : 20;
	uint8_t *fb = st->tx;
	uint8_t *u = fb + UN_L3 + iphl;
	if (len > 65535 - 8 - iphl)
		return;
	if (data != u + 8)
		memmove(u + 8, data, len);
	un_wr16(u, sport);
	un_wr16(u + 2, dport);
	un_wr16(u + 4, (uint16_t)(8 + len));
	un_wr16(u + 6, 0);
	uint32_t s = un_csum_pseudo(src, dst, UN_P_UDP, (uint32_t)(8 + len));
	uint16_t c = un_csum_fold(un_csum_add(s, u, 8 + len));
	un_wr16(u + 6, c ? c : 0xffff);
	un_build_ip(st, fb, src, dst, UN_P_UDP, 8 + len);
	un_send_l3(st, ti, fb, iphl + 8 + len, v6, NULL);
}

/* ------------------------------------------------------------------ DHCP */

static void un_dhcp_input(un_stack *st, unsigned ti, const uint8_t *data, size_t len)
{
	un_dhcp_req r;
	un_tap *t = &st->taps[ti];
	if (un_dhcp_parse(data, len, &r) < 0 || (r.type != 1 && r.type != 3))
		return;
	uint8_t mask[4];
	uint32_t m = st->prefix4 - 96 ? ~0u << (32 - (st->prefix4 - 96)) : 0;
	un_wr32(mask, m);
	uint8_t out[320];
	size_t n = un_dhcp_reply(&r, t->ip4.b + 12, st->gw4.b + 12, mask, st->dns4.b + 12,
				 st->mtu, out, sizeof(out));
	if (!n)
		return;
	un_addr bc;
	static const uint8_t all[4] = { 255, 255, 255, 255 };
	un_addr_v4(&bc, all);
	un_udp_send_guest(st, ti, &st->gw4, 67, &bc, 68, out, n);
}

/* ------------------------------------------------------------------- DNS */

/* A local name: a container of this network, or the host. */
static bool un_dns_local(un_stack *st, const char *name, bool v6, uint8_t *addr, size_t *alen,
			 bool *known)
{
	const un_addr *a = NULL;
	*known = false;
	if (strcmp(name, "host.containers.internal") == 0 || strcmp(name, "host.cpod.internal") == 0) {
		*known = true;
		a = v6 ? (st->v6 ? &st->gw6 : NULL) : &st->gw4;
	} else {
		size_t nl = strlen(name);
		for (unsigned i = 0; i < UN_MAX_TAPS && !*known; i++) {
			un_tap *t = &st->taps[i];
			if (!t->used)
				continue;
			for (unsigned k = 0; k < t->n_names; k++) {
				size_t kl = strlen(t->names[k]);
				/* "name" and "name.dns.cpod" */
				if (strcasecmp(t->names[k], name) == 0 ||
				    (nl == kl + 9 && strncasecmp(name, t->names[k], kl) == 0 &&
				     strcmp(name + kl, ".dns.cpod") == 0)) {
					*known = true;
					a = v6 ? (t->has_ip6 ? &t->ip6 : NULL) : &t->ip4;
					break;
				}
			}
		}
	}
	if (!*known)
		return false;
	*alen = 0;
	if (a) {
		*alen = v6 ? 16 : 4;
		memcpy(addr, v6 ? a->b : a->b + 12, *alen);
	}
	return true;
}

static void un_dns_input(un_stack *st, unsigned ti, const un_addr *src, uint16_t sport,
			 const un_addr *dst, const uint8_t *data, size_t len)
{
	un_dns_q q;
	if (un_dns_parse_query(data, len, &q) < 0)
		return;
	uint8_t addr[16];
	size_t alen = 0;
	bool known;
	int rcode = -1;
	if (q.qclass == 1 && un_dns_local(st, q.name, q.qtype == 28, addr, &alen, &known)) {
		if (q.qtype != 1 && q.qtype != 28)
			alen = 0;
		rcode = 0;
	} else if (st->cfg.policy == USERNET_POLICY_ISOLATED) {
		rcode = 3;
	} else if (!st->has_upstream || st->fuzz) {
		rcode = 2;
	}
	if (rcode >= 0) {
		size_t n = un_dns_answer(data, &q, rcode, addr, alen, st->dnsbuf, 4096);
		if (n)
			un_udp_send_guest(st, ti, dst, 53, src, sport, st->dnsbuf, n);
		return;
	}
	un_flow *f = un_flow_find(st, UN_P_UDP, ti, src, sport, dst, 53);
	if (!f) {
		f = un_flow_new(st, UN_P_UDP, ti, src, sport, dst, 53);
		if (!f) {
			st->dropped++;
			return;
		}
		f->dns = true;
		struct sockaddr_storage ss;
		socklen_t sl;
		un_sockaddr(&st->upstream, 53, &ss, &sl);
		f->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (f->fd < 0 || connect(f->fd, (struct sockaddr *)&ss, sl) < 0 ||
		    un_ep_add(st, f->fd, EPOLLIN, UN_EVDATA(UN_EV_FLOW, un_flow_idx(st, f))) < 0) {
			un_flow_free(st, f);
			return;
		}
	}
	f->last_ms = un_now_ms();
	if (send(f->fd, data, len, MSG_DONTWAIT) < 0)
		st->dropped++;
}

/* ------------------------------------------------------------------- UDP */

CPOD_INTERNAL void un_udp_input(un_stack *st, unsigned ti, uint8_t *ip, size_t iplen,
				const un_addr *src, const un_addr *dst, uint8_t *l4, size_t l4len)
{
	if (l4len < 8)
		return;
	size_t ulen = un_rd16(l4 + 4);
	if (ulen < 8 || ulen > l4len)
		return;
	uint16_t sport = un_rd16(l4), dport = un_rd16(l4 + 2);
	const uint8_t *data = l4 + 8;
	size_t dlen = ulen - 8;
	bool v6 = !un_is_v4(src);
	if (!v6 && dport == 67) {
		un_dhcp_input(st, ti, data, dlen);
		return;
	}
	if (un_addr_eq(dst, &st->dns4) || (st->v6 && un_addr_eq(dst, &st->dns6))) {
		if (dport == 53)
			un_dns_input(st, ti, src, sport, dst, data, dlen);
		else
			un_icmp_unreach(st, ti, ip, iplen, v6);
		return;
	}
	un_flow *f = un_flow_find(st, UN_P_UDP, ti, src, sport, dst, dport);
	if (f) {
		f->last_ms = un_now_ms();
		ssize_t r;
		if (f->inbound)
			r = sendto(f->fd, data, dlen, MSG_DONTWAIT, (struct sockaddr *)&f->peer,
				   f->peer.ss_family == AF_INET ? sizeof(struct sockaddr_in)
								: sizeof(struct sockaddr_in6));
		else
			r = send(f->fd, data, dlen, MSG_DONTWAIT);
		if (r < 0)
			st->dropped++;
		return;
	}
	un_addr host;
	bool via_gw;
	if (!un_map_dst(st, dst, &host, &via_gw))
		return;
	if (!un_policy_allows(st->cfg.policy, &host, via_gw)) {
		st->refused++;
		un_icmp_unreach(st, ti, ip, iplen, v6);
		return;
	}
	if (st->fuzz)
		return;
	f = un_flow_new(st, UN_P_UDP, ti, src, sport, dst, dport);
	if (!f) {
		st->dropped++;
		un_icmp_unreach(st, ti, ip, iplen, v6);
		return;
	}
	struct sockaddr_storage ss;
	socklen_t sl;
	un_sockaddr(&host, dport, &ss, &sl);
	f->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->fd < 0 || connect(f->fd, (struct sockaddr *)&ss, sl) < 0 ||
	    un_ep_add(st, f->fd, EPOLLIN, UN_EVDATA(UN_EV_FLOW, un_flow_idx(st, f))) < 0) {
		un_flow_free(st, f);
		un_icmp_unreach(st, ti, ip, iplen, v6);
		return;
	}
	if (send(f->fd, data, dlen, MSG_DONTWAIT) < 0)
		st->dropped++;
}

/* Replies from the host: UDP datagrams or ICMP echo replies. */
CPOD_INTERNAL void un_udp_readable(un_stack *st, un_flow *f)
{
	bool v6 = !un_is_v4(&f->gaddr);
	size_t iphl = v6 ? 40 : 20;
	uint8_t *p = st->tx + UN_L3 + iphl + 8;
	for (int i = 0; i < 64 && f->proto; i++) {
		ssize_t n = recv(f->fd, p, 65535 - 8 - iphl, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR && f->proto != UN_P_UDP)
				un_flow_free(st, f);
			return;
		}
		f->last_ms = un_now_ms();
		if (f->proto == UN_P_UDP) {
			un_udp_send_guest(st, f->tap, &f->raddr, f->rport, &f->gaddr, f->gport, p,
					  (size_t)n);
			continue;
		}
		/* an echo reply: back to the guest's id, from the address it pinged */
		if (n < 8)
			continue;
		uint8_t *icmp = st->tx + UN_L3 + iphl;
		memmove(icmp, p, (size_t)n);
		if (icmp[0] != (v6 ? 129 : 0))
			continue;
		un_wr16(icmp + 4, f->gport);
		un_wr16(icmp + 2, 0);
		uint32_t s = v6 ? un_csum_pseudo(&f->raddr, &f->gaddr, 58, (uint32_t)n) : 0;
		un_wr16(icmp + 2, un_csum_fold(un_csum_add(s, icmp, (size_t)n)));
		un_build_ip(st, st->tx, &f->raddr, &f->gaddr, v6 ? 58 : 1, (size_t)n);
		un_send_l3(st, f->tap, st->tx, iphl + (size_t)n, v6, NULL);
	}
}

/* ------------------------------------------------------------------ ICMP */

static void un_icmp_echo_local(un_stack *st, unsigned ti, const un_addr *src,
			       const un_addr *dst, const uint8_t *l4, size_t l4len, bool v6)
{
	size_t iphl = v6 ? 40 : 20;
	if (l4len > 65535 - iphl)
		return;
	uint8_t *icmp = st->tx + UN_L3 + iphl;
	memcpy(icmp, l4, l4len);
	icmp[0] = v6 ? 129 : 0;
	un_wr16(icmp + 2, 0);
	uint32_t s = v6 ? un_csum_pseudo(dst, src, 58, (uint32_t)l4len) : 0;
	un_wr16(icmp + 2, un_csum_fold(un_csum_add(s, icmp, l4len)));
	un_build_ip(st, st->tx, dst, src, v6 ? 58 : 1, l4len);
	un_send_l3(st, ti, st->tx, iphl + l4len, v6, NULL);
}

static void un_ndp_ns(un_stack *st, unsigned ti, const un_addr *src, const uint8_t *l4,
		      size_t l4len)
{
	if (l4len < 24)
		return;
	un_addr target;
	memcpy(target.b, l4 + 8, 16);
	const uint8_t *mac = st->gw_mac;
	bool router = false;
	for (unsigned i = 0; i < UN_MAX_TAPS; i++) {
		un_tap *t = &st->taps[i];
		if (i != ti && t->used && t->has_ip6 && un_addr_eq(&t->ip6, &target))
			goto other;
	}
	if (!un_addr_eq(&target, &st->gw6) && !un_addr_eq(&target, &st->dns6))
		return;
	mac = st->gw_mac;
	router = true;
	goto reply;
other:
	for (unsigned i = 0; i < UN_MAX_TAPS; i++)
		if (st->taps[i].used && st->taps[i].has_ip6 && un_addr_eq(&st->taps[i].ip6, &target))
			mac = st->taps[i].mac;
reply:;
	static const uint8_t zero[16];
	un_addr dst = *src;
	bool solicited = memcmp(src->b, zero, 16) != 0;
	if (!solicited) {
		memset(dst.b, 0, 16);
		dst.b[0] = 0xff;
		dst.b[1] = 0x02;
		dst.b[15] = 1;
	}
	uint8_t *na = st->tx + UN_L3 + 40;
	na[0] = 136;
	na[1] = 0;
	un_wr16(na + 2, 0);
	un_wr32(na + 4, (router ? 0x80000000u : 0) | (solicited ? 0x40000000u : 0) | 0x20000000u);
	memcpy(na + 8, target.b, 16);
	na[24] = 2;
	na[25] = 1;
	memcpy(na + 26, mac, 6);
	uint32_t s = un_csum_pseudo(&target, &dst, 58, 32);
	un_wr16(na + 2, un_csum_fold(un_csum_add(s, na, 32)));
	un_build_ip(st, st->tx, &target, &dst, 58, 32);
	st->tx[UN_L3 + 7] = 255;    /* NDP wants hop limit 255 */
	un_send_l3(st, ti, st->tx, 40 + 32, true, NULL);
}

CPOD_INTERNAL void un_icmp_input(un_stack *st, unsigned ti, uint8_t *ip, size_t iplen,
				 const un_addr *src, const un_addr *dst, uint8_t *l4, size_t l4len,
				 bool v6)
{
	un_tap *t = &st->taps[ti];
	if (l4len < 8)
		return;
	if (v6) {
		if (l4[0] == 135) {
			un_ndp_ns(st, ti, src, l4, l4len);
			return;
		}
		if (l4[0] != 128 || !t->has_ip6 || !un_addr_eq(src, &t->ip6))
			return;
	} else if (l4[0] != 8) {
		return;
	}
	if (un_addr_eq(dst, &st->gw4) || un_addr_eq(dst, &st->dns4) ||
	    (st->v6 && (un_addr_eq(dst, &st->gw6) || un_addr_eq(dst, &st->dns6)))) {
		un_icmp_echo_local(st, ti, src, dst, l4, l4len, v6);
		return;
	}
	un_addr host;
	bool via_gw;
	if (!un_map_dst(st, dst, &host, &via_gw))
		return;
	if (!un_policy_allows(st->cfg.policy, &host, via_gw)) {
		st->refused++;
		un_icmp_unreach(st, ti, ip, iplen, v6);
		return;
	}
	if (st->fuzz)
		return;
	uint16_t id = un_rd16(l4 + 4);
	uint8_t proto = v6 ? UN_P_ICMP6 : UN_P_ICMP;
	un_flow *f = un_flow_find(st, proto, ti, src, id, dst, 0);
	if (!f) {
		f = un_flow_new(st, proto, ti, src, id, dst, 0);
		if (!f) {
			un_icmp_unreach(st, ti, ip, iplen, v6);
			return;
		}
		struct sockaddr_storage ss;
		socklen_t sl;
		un_sockaddr(&host, 0, &ss, &sl);
		f->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			       v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
		if (f->fd < 0 || connect(f->fd, (struct sockaddr *)&ss, sl) < 0 ||
		    un_ep_add(st, f->fd, EPOLLIN, UN_EVDATA(UN_EV_FLOW, un_flow_idx(st, f))) < 0) {
			un_flow_free(st, f);
			/* no ICMP sockets (ping_group_range): unreachable, not silence */
			un_icmp_unreach(st, ti, ip, iplen, v6);
			return;
		}
	}
	f->last_ms = un_now_ms();
	if (send(f->fd, l4, l4len, MSG_DONTWAIT) < 0)
		st->dropped++;
}
