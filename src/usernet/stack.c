/*
 * stack.c — the frame path of the user-mode stack: what a tap wrote
 * (Ethernet, ARP, IPv4, IPv6) is checked and dispatched to ICMP, UDP, TCP
 * or switched to another container's tap; frames to a guest get their
 * Ethernet and IP headers here.  Also the flow table (fixed size, hash
 * index, free list) and the stack's setup.
 */
#include "stack.h"
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <time.h>

CPOD_INTERNAL uint64_t un_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

CPOD_INTERNAL int un_ep_add(un_stack *st, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };
	if (st->epfd < 0)
		return 0;
	return epoll_ctl(st->epfd, EPOLL_CTL_ADD, fd, &ev);
}

CPOD_INTERNAL int un_ep_mod(un_stack *st, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };
	if (st->epfd < 0)
		return 0;
	return epoll_ctl(st->epfd, EPOLL_CTL_MOD, fd, &ev);
}

/* --------------------------------------------------------------- setup */

CPOD_INTERNAL void un_read_resolv(un_stack *st)
{
	const char *path = st->cfg.resolv_conf;
	if (!path)
		path = getenv("CPOD_RESOLV_CONF");
	if (!path)
		path = "/etc/resolv.conf";
	st->has_upstream = false;
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		char ns[128];
		if (sscanf(line, " nameserver %127s", ns) == 1) {
			char *pct = strchr(ns, '%');
			if (pct)
				*pct = 0;
			if (un_addr_parse(ns, &st->upstream)) {
				st->has_upstream = true;
				break;
			}
		}
	}
	fclose(f);
}

CPOD_INTERNAL int un_stack_init(un_stack *st, const usernet_config *cfg, cpod_err *err)
{
	memset(st, 0, sizeof(*st));
	st->cfg = *cfg;
	st->epfd = st->ctl_fd = st->hostns_fd = -1;
	static const uint8_t gw_mac[6] = { 0x02, 0x63, 0x70, 0x6f, 0x64, 0x01 };
	memcpy(st->gw_mac, gw_mac, 6);
	st->mtu = cfg->mtu ? cfg->mtu : 65520;
	const char *loss = getenv("CPOD_USERNET_LOSS");
	if (loss && *loss) {
		st->loss_permille = (unsigned)strtoul(loss, NULL, 10);
		if (st->loss_permille > 500)
			st->loss_permille = 500;
		st->loss_acc = (unsigned)getpid() % 1000;
		log_warn("usernet: CPOD_USERNET_LOSS: %u/1000 of the tap's frames dropped",
			 st->loss_permille);
	}
	if (st->mtu < 1280 && cfg->subnet6 && strcmp(cfg->subnet6, "none") && cfg->subnet6[0])
		return err_set(err, CPOD_E_INVALID, "mtu %u: IPv6 needs at least 1280", st->mtu);
	if (st->mtu < 576 || st->mtu > 65520)
		return err_set(err, CPOD_E_INVALID, "mtu %u: out of range (576..65520)", st->mtu);
	const char *subnet = cfg->subnet ? cfg->subnet : USERNET_DEFAULT_SUBNET;
	if (un_cidr_parse(subnet, &st->net4, &st->prefix4, err) < 0)
		return -1;
	if (!un_is_v4(&st->net4))
		return err_set(err, CPOD_E_INVALID, "subnet %s: not IPv4", cfg->subnet);
	st->gw4 = st->net4;
	st->gw4.b[15] |= 2;
	st->dns4 = st->net4;
	st->dns4.b[15] |= 3;
	const char *s6 = cfg->subnet6 ? cfg->subnet6 : "fd00::/64";
	st->v6 = s6[0] && strcmp(s6, "none") != 0;
	if (st->v6) {
		if (un_cidr_parse(s6, &st->net6, &st->prefix6, err) < 0)
			return -1;
		if (un_is_v4(&st->net6))
			return err_set(err, CPOD_E_INVALID, "subnet6 %s: not IPv6", s6);
		st->gw6 = st->net6;
		st->gw6.b[15] |= 2;
		st->dns6 = st->net6;
		st->dns6.b[15] |= 3;
	}
	st->max_flows = cfg->max_flows ? cfg->max_flows : 4096;
	if (st->max_flows > 65536)
		st->max_flows = 65536;
	st->hash_size = 1;
	while (st->hash_size < st->max_flows * 2)
		st->hash_size <<= 1;
	st->flows = calloc(st->max_flows, sizeof(un_flow));
	st->hash = malloc(st->hash_size * sizeof(int32_t));
	st->rx = malloc(UN_FRAME_MAX + 64);
	st->tx = malloc(UN_FRAME_MAX + 64);
	st->batch = malloc((size_t)UN_BATCH * (UN_HDR_ROOM + 65536));
	st->dnsbuf = malloc(4096);
	st->max_splices = 1024;
	st->splices = calloc(st->max_splices, sizeof(un_splice));
	if (!st->flows || !st->hash || !st->rx || !st->tx || !st->batch || !st->dnsbuf ||
	    !st->splices) {
		un_stack_free(st);
		return err_nomem(err);
	}
	for (unsigned i = 0; i < st->hash_size; i++)
		st->hash[i] = -1;
	for (unsigned i = 0; i < st->max_flows; i++) {
		st->flows[i].hnext = i + 1 < st->max_flows ? (int32_t)(i + 1) : -1;
		st->flows[i].fd = -1;
		st->flows[i].ack_next = -1;
	}
	st->free_head = 0;
	st->ack_head = -1;
	for (unsigned i = 0; i < st->max_splices; i++)
		st->splices[i].next_free = i + 1 < st->max_splices ? (int32_t)(i + 1) : -1;
	st->splice_free = 0;
	for (unsigned i = 0; i < UN_MAX_TAPS; i++)
		st->taps[i].fd = st->taps[i].netns_fd = st->taps[i].pidfd = -1;
	un_read_resolv(st);
	st->start_ms = un_now_ms();
	return 0;
}

CPOD_INTERNAL void un_stack_free(un_stack *st)
{
	free(st->flows);
	free(st->hash);
	free(st->rx);
	free(st->tx);
	free(st->batch);
	free(st->dnsbuf);
	free(st->splices);
	free(st->fwds);
	st->flows = NULL;
	st->hash = NULL;
	st->rx = st->tx = st->batch = st->dnsbuf = NULL;
	st->splices = NULL;
	st->fwds = NULL;
}

/* --------------------------------------------------------------- flows */

static uint32_t un_flow_hash(uint8_t proto, unsigned ti, const un_addr *g, uint16_t gport,
			     const un_addr *r, uint16_t rport)
{
	uint32_t h = 2166136261u ^ proto ^ (ti << 8);
	for (int i = 0; i < 16; i++)
		h = (h ^ g->b[i]) * 16777619u;
	for (int i = 0; i < 16; i++)
		h = (h ^ r->b[i]) * 16777619u;
	h = (h ^ gport) * 16777619u;
	h = (h ^ rport) * 16777619u;
	return h ^ (h >> 15);
}

CPOD_INTERNAL un_flow *un_flow_find(un_stack *st, uint8_t proto, unsigned ti, const un_addr *g,
				    uint16_t gport, const un_addr *r, uint16_t rport)
{
	uint32_t h = un_flow_hash(proto, ti, g, gport, r, rport) & (st->hash_size - 1);
	for (int32_t i = st->hash[h]; i >= 0; i = st->flows[i].hnext) {
		un_flow *f = &st->flows[i];
		if (f->proto == proto && f->tap == ti && f->gport == gport && f->rport == rport &&
		    un_addr_eq(&f->gaddr, g) && un_addr_eq(&f->raddr, r))
			return f;
	}
	return NULL;
}

CPOD_INTERNAL un_flow *un_flow_new(un_stack *st, uint8_t proto, unsigned ti, const un_addr *g,
				   uint16_t gport, const un_addr *r, uint16_t rport)
{
	if (st->free_head < 0)
		return NULL;
	un_flow *f = &st->flows[st->free_head];
	st->free_head = f->hnext;
	/* ack_next/in_acklist survive: the flow may still sit in the ACK list */
	int32_t an = f->ack_next;
	bool inl = f->in_acklist;
	memset(f, 0, sizeof(*f));
	f->ack_next = an;
	f->in_acklist = inl;
	f->proto = proto;
	f->tap = (uint16_t)ti;
	f->gaddr = *g;
	f->raddr = *r;
	f->gport = gport;
	f->rport = rport;
	f->fd = -1;
	f->last_ms = un_now_ms();
	uint32_t h = un_flow_hash(proto, ti, g, gport, r, rport) & (st->hash_size - 1);
	f->hnext = st->hash[h];
	st->hash[h] = un_flow_idx(st, f);
	st->n_flows++;
	if (proto == UN_P_TCP)
		st->n_tcp++;
	else
		st->n_udp++;
	return f;
}

CPOD_INTERNAL void un_flow_free(un_stack *st, un_flow *f)
{
	if (!f->proto)
		return;
	uint32_t h = un_flow_hash(f->proto, f->tap, &f->gaddr, f->gport, &f->raddr, f->rport) &
		     (st->hash_size - 1);
	int32_t idx = un_flow_idx(st, f);
	for (int32_t *p = &st->hash[h]; *p >= 0; p = &st->flows[*p].hnext)
		if (*p == idx) {
			*p = f->hnext;
			break;
		}
	if (f->fd >= 0 && !f->inbound)
		close(f->fd);
	f->fd = -1;
	if (f->proto == UN_P_TCP)
		st->n_tcp--;
	else
		st->n_udp--;
	st->n_flows--;
	f->proto = 0;
	f->st = 0;
	f->hnext = st->free_head;
	st->free_head = idx;
}

/* ------------------------------------------------------------- addresses */

CPOD_INTERNAL void un_sockaddr(const un_addr *a, uint16_t port, struct sockaddr_storage *ss,
			       socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (un_is_v4(a)) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, a->b + 12, 4);
		*len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		memcpy(&s->sin6_addr, a->b, 16);
		*len = sizeof(*s);
	}
}

CPOD_INTERNAL void un_from_sockaddr(const struct sockaddr_storage *ss, un_addr *a,
				    uint16_t *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		un_addr_v4(a, (const uint8_t *)&s->sin_addr);
		*port = ntohs(s->sin_port);
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		memcpy(a->b, &s->sin6_addr, 16);
		*port = ntohs(s->sin6_port);
	}
}

CPOD_INTERNAL bool un_map_dst(un_stack *st, const un_addr *dst, un_addr *host, bool *via_gw)
{
	*via_gw = false;
	if (un_addr_eq(dst, &st->gw4)) {
		static const uint8_t lo[4] = { 127, 0, 0, 1 };
		un_addr_v4(host, lo);
		*via_gw = true;
		return true;
	}
	if (st->v6 && un_addr_eq(dst, &st->gw6)) {
		memset(host->b, 0, 16);
		host->b[15] = 1;
		*via_gw = true;
		return true;
	}
	if (un_in_prefix(dst, &st->net4, st->prefix4) ||
	    (st->v6 && un_in_prefix(dst, &st->net6, st->prefix6)))
		return false;
	unsigned c = un_addr_class(dst);
	if (c & (UN_CLASS_MULTICAST | UN_CLASS_RESERVED))
		return false;
	if (un_is_v4(dst) && dst->b[12] == 255 && dst->b[15] == 255)
		return false;
	*host = *dst;
	return true;
}

/* ---------------------------------------------------------------- output */

CPOD_INTERNAL size_t un_build_ip(un_stack *st, uint8_t *fb, const un_addr *src,
				 const un_addr *dst, uint8_t proto, size_t l4len)
{
	uint8_t *ip = fb + UN_L3;
	(void)st;
	if (un_is_v4(src)) {
		ip[0] = 0x45;
		ip[1] = 0;
		un_wr16(ip + 2, (uint16_t)(20 + l4len));
		un_wr16(ip + 4, 0);
		un_wr16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = proto;
		un_wr16(ip + 10, 0);
		memcpy(ip + 12, src->b + 12, 4);
		memcpy(ip + 16, dst->b + 12, 4);
		un_wr16(ip + 10, un_csum_fold(un_csum_add(0, ip, 20)));
		return 20;
	}
	un_wr32(ip, 0x60000000);
	un_wr16(ip + 4, (uint16_t)l4len);
	ip[6] = proto;
	ip[7] = 64;
	memcpy(ip + 8, src->b, 16);
	memcpy(ip + 24, dst->b, 16);
	return 40;
}

/* Whether to lose this frame: CPOD_USERNET_LOSS=PERMILLE makes the tap
 * lossy both ways, so that tests can exercise retransmission (no netem
 * on every kernel): evenly, one frame in 1000/PERMILLE, from an offset
 * that differs from run to run, so a transfer of that many frames
 * surely loses some. */
static bool un_tap_lose(un_stack *st)
{
	if (!st->loss_permille)
		return false;
	st->loss_acc += st->loss_permille;
	if (st->loss_acc < 1000)
		return false;
	st->loss_acc -= 1000;
	st->lost++;
	return true;
}

static void un_tap_write(un_stack *st, unsigned ti, const uint8_t *frame, size_t len)
{
	un_tap *t = &st->taps[ti];
	st->frames_out++;
	t->frames_out++;
	if (t->fd < 0 || un_tap_lose(st))
		return;
	if (write(t->fd, frame, len) < 0) {
		t->dropped++;
		st->dropped++;
	}
}

CPOD_INTERNAL void un_send_l3(un_stack *st, unsigned ti, uint8_t *fb, size_t l3len, bool v6,
			      const struct virtio_net_hdr *vh)
{
	un_tap *t = &st->taps[ti];
	if (!t->used)
		return;
	if (vh)
		memcpy(fb, vh, UN_VNET);
	else
		memset(fb, 0, UN_VNET);
	uint8_t *eth = fb + UN_VNET;
	memcpy(eth, t->mac, 6);
	memcpy(eth + 6, st->gw_mac, 6);
	un_wr16(eth + 12, v6 ? 0x86dd : 0x0800);
	un_tap_write(st, ti, fb, UN_L3 + l3len);
}

/* ICMP destination unreachable (administratively prohibited) about the
 * datagram at ip, from the gateway. */
CPOD_INTERNAL void un_icmp_unreach(un_stack *st, unsigned ti, const uint8_t *ip, size_t iplen,
				   bool v6)
{
	un_tap *t = &st->taps[ti];
	uint8_t *fb = st->tx;
	if (!v6) {
		size_t q = iplen < 28 ? iplen : 28;
		if (iplen < 20)
			return;
		uint8_t *icmp = fb + UN_L3 + 20;
		icmp[0] = 3;
		icmp[1] = 13;
		un_wr16(icmp + 2, 0);
		un_wr32(icmp + 4, 0);
		memcpy(icmp + 8, ip, q);
		un_wr16(icmp + 2, un_csum_fold(un_csum_add(0, icmp, 8 + q)));
		un_build_ip(st, fb, &st->gw4, &t->ip4, 1, 8 + q);
		un_send_l3(st, ti, fb, 20 + 8 + q, false, NULL);
		return;
	}
	if (!st->v6 || !t->has_ip6 || iplen < 40)
		return;
	size_t q = iplen < 1200 ? iplen : 1200;
	uint8_t *icmp = fb + UN_L3 + 40;
	icmp[0] = 1;
	icmp[1] = 1;
	un_wr16(icmp + 2, 0);
	un_wr32(icmp + 4, 0);
	memcpy(icmp + 8, ip, q);
	uint32_t s = un_csum_pseudo(&st->gw6, &t->ip6, 58, (uint32_t)(8 + q));
	un_wr16(icmp + 2, un_csum_fold(un_csum_add(s, icmp, 8 + q)));
	un_build_ip(st, fb, &st->gw6, &t->ip6, 58, 8 + q);
	un_send_l3(st, ti, fb, 40 + 8 + q, true, NULL);
}

/* ----------------------------------------------------------------- input */

static int un_tap_by_ip(un_stack *st, const un_addr *a)
{
	for (unsigned i = 0; i < UN_MAX_TAPS; i++) {
		un_tap *t = &st->taps[i];
		if (t->used && (un_addr_eq(&t->ip4, a) || (t->has_ip6 && un_addr_eq(&t->ip6, a))))
			return (int)i;
	}
	return -1;
}

static int un_tap_by_mac(un_stack *st, const uint8_t *mac)
{
	for (unsigned i = 0; i < UN_MAX_TAPS; i++)
		if (st->taps[i].used && memcmp(st->taps[i].mac, mac, 6) == 0)
			return (int)i;
	return -1;
}

/* Another container's frame goes to its tap as it is (virtio header too). */
static void un_switch(un_stack *st, unsigned to, uint8_t *frame, size_t len, bool rewrite)
{
	if (rewrite) {
		memcpy(frame + UN_VNET, st->taps[to].mac, 6);
		memcpy(frame + UN_VNET + 6, st->gw_mac, 6);
	}
	un_tap_write(st, to, frame, len);
}

static void un_arp_input(un_stack *st, unsigned ti, const uint8_t *a, size_t len)
{
	if (len < 28 || un_rd16(a) != 1 || un_rd16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4 ||
	    un_rd16(a + 6) != 1)
		return;
	un_addr target;
	un_addr_v4(&target, a + 24);
	const uint8_t *mac;
	int other;
	if (un_addr_eq(&target, &st->gw4) || un_addr_eq(&target, &st->dns4))
		mac = st->gw_mac;
	else if ((other = un_tap_by_ip(st, &target)) >= 0 && (unsigned)other != ti)
		mac = st->taps[other].mac;
	else
		return;
	uint8_t *fb = st->tx;
	memset(fb, 0, UN_VNET);
	uint8_t *eth = fb + UN_VNET;
	memcpy(eth, a + 8, 6);
	memcpy(eth + 6, st->gw_mac, 6);
	un_wr16(eth + 12, 0x0806);
	uint8_t *r = eth + 14;
	un_wr16(r, 1);
	un_wr16(r + 2, 0x0800);
	r[4] = 6;
	r[5] = 4;
	un_wr16(r + 6, 2);
	memcpy(r + 8, mac, 6);
	memcpy(r + 14, a + 24, 4);
	memcpy(r + 18, a + 8, 6);
	memcpy(r + 24, a + 14, 4);
	un_tap_write(st, ti, fb, UN_VNET + 14 + 28);
}

static void un_ip4_input(un_stack *st, unsigned ti, uint8_t *frame, size_t flen, uint8_t *ip,
			 size_t len)
{
	if (len < 20 || (ip[0] >> 4) != 4)
		return;
	size_t ihl = (size_t)(ip[0] & 15) * 4, tot = un_rd16(ip + 2);
	if (ihl < 20 || tot < ihl || tot > len)
		return;
	if (un_rd16(ip + 6) & 0x3fff)       /* fragments: not on a 64 KiB MTU link */
		return;
	un_addr src, dst;
	un_addr_v4(&src, ip + 12);
	un_addr_v4(&dst, ip + 16);
	un_tap *t = &st->taps[ti];
	static const uint8_t zero[4];
	if (!un_addr_eq(&src, &t->ip4) && memcmp(ip + 12, zero, 4) != 0)
		return;                     /* spoofed source */
	int other = un_tap_by_ip(st, &dst);
	if (other >= 0 && (unsigned)other != ti) {
		un_switch(st, (unsigned)other, frame, flen, true);
		return;
	}
	uint8_t *l4 = ip + ihl;
	size_t l4len = tot - ihl;
	switch (ip[9]) {
	case UN_P_TCP:
		un_tcp_input(st, ti, &src, &dst, l4, l4len);
		break;
	case UN_P_UDP:
		un_udp_input(st, ti, ip, tot, &src, &dst, l4, l4len);
		break;
	case UN_P_ICMP:
		un_icmp_input(st, ti, ip, tot, &src, &dst, l4, l4len, false);
		break;
	}
}

static void un_ip6_input(un_stack *st, unsigned ti, uint8_t *frame, size_t flen, uint8_t *ip,
			 size_t len)
{
	if (!st->v6 || len < 40 || (ip[0] >> 4) != 6)
		return;
	size_t plen = un_rd16(ip + 4);
	if (40 + plen > len)
		return;
	un_addr src, dst;
	memcpy(src.b, ip + 8, 16);
	memcpy(dst.b, ip + 24, 16);
	un_tap *t = &st->taps[ti];
	int other = un_tap_by_ip(st, &dst);
	if (other >= 0 && (unsigned)other != ti) {
		if (!t->has_ip6 || !un_addr_eq(&src, &t->ip6))
			return;
		un_switch(st, (unsigned)other, frame, flen, true);
		return;
	}
	uint8_t *l4 = ip + 40;
	bool own = t->has_ip6 && un_addr_eq(&src, &t->ip6);
	switch (ip[6]) {
	case UN_P_ICMP6:
		/* NDP comes from link-local and unspecified addresses too */
		un_icmp_input(st, ti, ip, 40 + plen, &src, &dst, l4, plen, true);
		break;
	case UN_P_TCP:
		if (own)
			un_tcp_input(st, ti, &src, &dst, l4, plen);
		break;
	case UN_P_UDP:
		if (own)
			un_udp_input(st, ti, ip, 40 + plen, &src, &dst, l4, plen);
		break;
	}
}

CPOD_INTERNAL void un_tap_input(un_stack *st, unsigned ti, uint8_t *frame, size_t len)
{
	if (ti >= UN_MAX_TAPS || !st->taps[ti].used)
		return;
	st->frames_in++;
	st->taps[ti].frames_in++;
	if (len < UN_VNET + UN_ETH)
		return;
	uint8_t *eth = frame + UN_VNET;
	uint16_t type = un_rd16(eth + 12);
	bool bcast = eth[0] & 1;
	if (!bcast && memcmp(eth, st->gw_mac, 6) != 0) {
		int other = un_tap_by_mac(st, eth);
		if (other >= 0 && (unsigned)other != ti &&
		    memcmp(eth + 6, st->taps[ti].mac, 6) == 0)
			un_switch(st, (unsigned)other, frame, len, false);
		return;
	}
	uint8_t *l3 = eth + UN_ETH;
	size_t l3len = len - UN_VNET - UN_ETH;
	switch (type) {
	case 0x0806:
		un_arp_input(st, ti, l3, l3len);
		break;
	case 0x0800:
		un_ip4_input(st, ti, frame, len, l3, l3len);
		break;
	case 0x86dd:
		un_ip6_input(st, ti, frame, len, l3, l3len);
		break;
	}
}

CPOD_INTERNAL void un_tap_readable(un_stack *st, unsigned ti)
{
	un_tap *t = &st->taps[ti];
	for (int i = 0; i < UN_TAP_BURST && t->used && !t->dead; i++) {
		ssize_t n = read(t->fd, st->rx, UN_FRAME_MAX);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			t->dead = true;     /* the loop detaches it */
			break;
		}
		if (n == 0) {
			t->dead = true;
			break;
		}
		if (un_tap_lose(st))
			continue;
		un_tap_input(st, ti, st->rx, (size_t)n);
	}
	un_tcp_flush_acks(st);
}
