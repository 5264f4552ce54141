/*
 * test_usernet.c — the user-mode stack's pieces without namespaces:
 * checksums against known values, address classes and policies, the DNS
 * question and DHCP parsers, and the frame path of a stack whose one tap
 * is a SOCK_SEQPACKET pair (ARP, ICMP echo to the gateway, DHCP, local
 * DNS answers, refusals as RST / ICMP unreachable, junk dropped).
 */
#include <sys/socket.h>

static un_addr tun_a(const char *s)
{
	un_addr a;
	memset(&a, 0, sizeof(a));
	un_addr_parse(s, &a);
	return a;
}

TEST(usernet_checksum_known_values)
{
	/* the IPv4 header of RFC 1071-style examples: checksum 0xb861 */
	uint8_t ip[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			   0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	CHECK(un_csum_fold(un_csum_add(0, ip, 20)) == 0xb861);
	un_wr16(ip + 10, 0xb861);
	CHECK(un_csum_fold(un_csum_add(0, ip, 20)) == 0);
	/* odd lengths and chaining give the same as one pass */
	uint8_t d[301];
	for (size_t i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 7 + 3);
	uint32_t one = un_csum_add(0, d, sizeof(d));
	uint32_t two = un_csum_add(un_csum_add(0, d, 100), d + 100, 201);
	CHECK(un_csum_fold(one) == un_csum_fold(two));
	/* against a plain 16-bit big-endian loop */
	uint32_t ref = 0;
	for (size_t i = 0; i + 1 < sizeof(d); i += 2)
		ref += (uint32_t)(d[i] << 8 | d[i + 1]);
	ref += (uint32_t)d[300] << 8;
	while (ref >> 16)
		ref = (ref & 0xffff) + (ref >> 16);
	CHECK(un_csum_fold(one) == (uint16_t)~ref);
}

TEST(usernet_addresses_and_cidr)
{
	un_addr a = tun_a("10.0.2.15"), net;
	unsigned p;
	char s[64];
	CHECK(un_is_v4(&a));
	un_addr_str(&a, s, sizeof(s));
	CHECK_STR(s, "10.0.2.15");
	CHECK(un_cidr_parse("10.0.2.77/24", &net, &p, NULL) == 0);
	CHECK(p == 120);
	un_addr_str(&net, s, sizeof(s));
	CHECK_STR(s, "10.0.2.0");
	CHECK(un_in_prefix(&a, &net, p));
	a = tun_a("10.0.3.1");
	CHECK(!un_in_prefix(&a, &net, p));
	CHECK(un_cidr_parse("fd00::/64", &net, &p, NULL) == 0 && p == 64);
	a = tun_a("fd00::100");
	CHECK(!un_is_v4(&a) && un_in_prefix(&a, &net, p));
	CHECK(un_cidr_parse("10.0.2.0", &net, &p, NULL) < 0);
	CHECK(un_cidr_parse("10.0.2.0/33", &net, &p, NULL) < 0);
	CHECK(un_cidr_parse("10.0.2.0/24x", &net, &p, NULL) < 0);
	CHECK(un_cidr_parse("fd00::/32", &net, &p, NULL) < 0);
}

TEST(usernet_policies)
{
	un_addr pub = tun_a("93.184.216.34"), priv = tun_a("192.168.1.1"), lo = tun_a("127.0.0.1"),
		cg = tun_a("100.64.1.1"), ll = tun_a("169.254.0.1"), mc = tun_a("224.0.0.1"),
		ula = tun_a("fd12::1"), pub6 = tun_a("2a00:1450::1"), p172 = tun_a("172.20.0.1"),
		n172 = tun_a("172.32.0.1");
	CHECK(un_addr_class(&pub) == UN_CLASS_PUBLIC);
	CHECK(un_addr_class(&priv) == UN_CLASS_PRIVATE);
	CHECK(un_addr_class(&p172) == UN_CLASS_PRIVATE);
	CHECK(un_addr_class(&n172) == UN_CLASS_PUBLIC);
	CHECK(un_addr_class(&cg) == UN_CLASS_CGNAT);
	CHECK(un_addr_class(&ula) == UN_CLASS_PRIVATE);
	CHECK(un_addr_class(&pub6) == UN_CLASS_PUBLIC);
	CHECK(un_policy_allows(USERNET_POLICY_NONE, &lo, true));
	CHECK(un_policy_allows(USERNET_POLICY_PUBLIC, &pub, false));
	CHECK(un_policy_allows(USERNET_POLICY_PUBLIC, &pub6, false));
	CHECK(!un_policy_allows(USERNET_POLICY_PUBLIC, &priv, false));
	CHECK(!un_policy_allows(USERNET_POLICY_PUBLIC, &cg, false));
	CHECK(!un_policy_allows(USERNET_POLICY_PUBLIC, &ll, false));
	CHECK(!un_policy_allows(USERNET_POLICY_PUBLIC, &mc, false));
	CHECK(!un_policy_allows(USERNET_POLICY_PUBLIC, &ula, false));
	CHECK(!un_policy_allows(USERNET_POLICY_PUBLIC, &lo, true));
	CHECK(un_policy_allows(USERNET_POLICY_PRIVATE, &priv, false));
	CHECK(un_policy_allows(USERNET_POLICY_PRIVATE, &ula, false));
	CHECK(!un_policy_allows(USERNET_POLICY_PRIVATE, &pub, false));
	CHECK(!un_policy_allows(USERNET_POLICY_PRIVATE, &lo, true));
	CHECK(un_policy_allows(USERNET_POLICY_LOCAL, &lo, true));
	CHECK(!un_policy_allows(USERNET_POLICY_LOCAL, &pub, false));
	CHECK(!un_policy_allows(USERNET_POLICY_ISOLATED, &lo, true));
	CHECK(!un_policy_allows(USERNET_POLICY_ISOLATED, &priv, false));
	CHECK(usernet_policy_parse("isolated") == USERNET_POLICY_ISOLATED);
	CHECK(usernet_policy_parse("bogus") == -1);
	CHECK_STR(usernet_policy_name(USERNET_POLICY_LOCAL), "local");
}

TEST(usernet_dns_query_parser)
{
	static const uint8_t q[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
				     3, 'W', 'e', 'b', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1 };
	un_dns_q dq;
	CHECK(un_dns_parse_query(q, sizeof(q), &dq) == 0);
	CHECK_STR(dq.name, "web.test");
	CHECK(dq.id == 0x1234 && dq.qtype == 1 && dq.qclass == 1 && dq.qend == sizeof(q));
	/* every truncation fails cleanly */
	for (size_t n = 0; n < sizeof(q); n++)
		CHECK(un_dns_parse_query(q, n, &dq) < 0);
	uint8_t bad[sizeof(q)];
	memcpy(bad, q, sizeof(q));
	bad[12] = 0xc0;             /* a compression pointer in the question */
	CHECK(un_dns_parse_query(bad, sizeof(bad), &dq) < 0);
	memcpy(bad, q, sizeof(q));
	bad[2] |= 0x80;             /* a response */
	CHECK(un_dns_parse_query(bad, sizeof(bad), &dq) < 0);
	uint8_t out[128];
	const uint8_t addr[4] = { 10, 0, 2, 100 };
	size_t n = un_dns_answer(q, &dq, 0, addr, 4, out, sizeof(out));
	CHECK(n == sizeof(q) + 16);
	CHECK(out[2] & 0x80);
	CHECK(un_rd16(out + 6) == 1);
	CHECK(memcmp(out + n - 4, addr, 4) == 0);
	CHECK(un_dns_answer(q, &dq, 0, addr, 4, out, 20) == 0);
}

TEST(usernet_dhcp_parser)
{
	uint8_t m[300];
	memset(m, 0, sizeof(m));
	m[0] = 1; m[1] = 1; m[2] = 6;
	un_wr32(m + 4, 0xdeadbeef);
	memcpy(m + 28, "\x02\x50\x0a\x00\x02\x64", 6);
	un_wr32(m + 236, 0x63825363);
	m[240] = 53; m[241] = 1; m[242] = 1; m[243] = 255;
	un_dhcp_req r;
	CHECK(un_dhcp_parse(m, sizeof(m), &r) == 0);
	CHECK(r.type == 1 && r.xid == 0xdeadbeef);
	m[241] = 200;               /* an option running past the end */
	CHECK(un_dhcp_parse(m, 244, &r) < 0);
	CHECK(un_dhcp_parse(m, 100, &r) < 0);
}

/* ---------------------------------------------------- a stack in memory */

typedef struct tun_env {
	un_stack st;
	int peer;                   /* reads what the stack sends the guest */
	uint8_t f[70000];
	size_t n;
} tun_env;

static tun_env *tun_env_new(int policy)
{
	tun_env *e = calloc(1, sizeof(*e));
	usernet_config cfg = { .ctl_path = "x", .policy = policy };
	int sp[2];
	if (!e || un_stack_init(&e->st, &cfg, NULL) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp) < 0) {
		free(e);
		return NULL;
	}
	int big = 1 << 20;
	setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	e->st.fuzz = 1;
	e->peer = sp[1];
	un_tap *t = &e->st.taps[0];
	t->used = true;
	t->fd = sp[0];
	t->ip4 = tun_a("10.0.2.100");
	t->ip6 = tun_a("fd00::100");
	t->has_ip6 = true;
	memcpy(t->mac, "\x02\x50\x0a\x00\x02\x64", 6);
	snprintf(t->names[0], 64, "web");
	t->n_names = 1;
	e->st.n_attached = 1;
	return e;
}

static void tun_env_free(tun_env *e)
{
	close(e->st.taps[0].fd);
	close(e->peer);
	un_stack_free(&e->st);
	free(e);
}

/* The next frame the guest got (virtio header first); false when none. */
static bool tun_recv(tun_env *e)
{
	ssize_t n = recv(e->peer, e->f, sizeof(e->f), MSG_DONTWAIT);
	e->n = n > 0 ? (size_t)n : 0;
	return n > 0;
}

/* A frame from the guest: Ethernet to dst mac, then l3. */
static void tun_send(tun_env *e, const uint8_t *dmac, uint16_t type, const uint8_t *l3, size_t n)
{
	uint8_t fr[2048];
	memset(fr, 0, UN_VNET);
	memcpy(fr + UN_VNET, dmac, 6);
	memcpy(fr + UN_VNET + 6, e->st.taps[0].mac, 6);
	un_wr16(fr + UN_VNET + 12, type);
	memcpy(fr + UN_L3, l3, n);
	un_tap_input(&e->st, 0, fr, UN_L3 + n);
}

static size_t tun_ip4(uint8_t *p, const char *src, const char *dst, uint8_t proto,
		      const uint8_t *l4, size_t n)
{
	un_addr s = tun_a(src), d = tun_a(dst);
	p[0] = 0x45; p[1] = 0;
	un_wr16(p + 2, (uint16_t)(20 + n));
	un_wr32(p + 4, 0);
	p[8] = 64; p[9] = proto;
	un_wr16(p + 10, 0);
	memcpy(p + 12, s.b + 12, 4);
	memcpy(p + 16, d.b + 12, 4);
	un_wr16(p + 10, un_csum_fold(un_csum_add(0, p, 20)));
	memcpy(p + 20, l4, n);
	return 20 + n;
}

TEST(usernet_stack_arp_and_ping_gateway)
{
	tun_env *e = tun_env_new(USERNET_POLICY_NONE);
	CHECK(e);
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	memcpy(arp + 8, e->st.taps[0].mac, 6);
	memcpy(arp + 14, "\x0a\x00\x02\x64", 4);
	memcpy(arp + 24, "\x0a\x00\x02\x02", 4);
	tun_send(e, bc, 0x0806, arp, sizeof(arp));
	CHECK(tun_recv(e));
	CHECK(e->n == UN_VNET + 14 + 28);
	const uint8_t *r = e->f + UN_L3;
	CHECK(un_rd16(r + 6) == 2);
	CHECK(memcmp(r + 8, e->st.gw_mac, 6) == 0);
	CHECK(memcmp(r + 14, "\x0a\x00\x02\x02", 4) == 0);
	/* nobody answers for an unknown address */
	memcpy(arp + 24, "\x0a\x00\x02\x09", 4);
	tun_send(e, bc, 0x0806, arp, sizeof(arp));
	CHECK(!tun_recv(e));

	uint8_t icmp[16] = { 8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g', 'p', 'i', 'n', 'g' };
	un_wr16(icmp + 2, un_csum_fold(un_csum_add(0, icmp, sizeof(icmp))));
	uint8_t ip[64];
	size_t n = tun_ip4(ip, "10.0.2.100", "10.0.2.2", 1, icmp, sizeof(icmp));
	tun_send(e, e->st.gw_mac, 0x0800, ip, n);
	CHECK(tun_recv(e));
	r = e->f + UN_L3;
	CHECK(e->n == UN_L3 + 20 + 16);
	CHECK(un_csum_fold(un_csum_add(0, r, 20)) == 0);        /* IP checksum */
	CHECK(r[20] == 0 && un_rd16(r + 24) == 0x1234);
	CHECK(un_csum_fold(un_csum_add(0, r + 20, 16)) == 0);   /* ICMP checksum */
	CHECK(memcmp(r + 12, "\x0a\x00\x02\x02", 4) == 0);
	tun_env_free(e);
}

TEST(usernet_stack_dhcp_and_local_dns)
{
	tun_env *e = tun_env_new(USERNET_POLICY_ISOLATED);
	CHECK(e);
	uint8_t udp[8 + 300];
	uint8_t *m = udp + 8;
	memset(udp, 0, sizeof(udp));
	un_wr16(udp, 68);
	un_wr16(udp + 2, 67);
	un_wr16(udp + 4, sizeof(udp));
	m[0] = 1; m[1] = 1; m[2] = 6;
	un_wr32(m + 4, 42);
	memcpy(m + 28, e->st.taps[0].mac, 6);
	un_wr32(m + 236, 0x63825363);
	m[240] = 53; m[241] = 1; m[242] = 1; m[243] = 255;
	uint8_t ip[400];
	size_t n = tun_ip4(ip, "0.0.0.0", "255.255.255.255", 17, udp, sizeof(udp));
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	tun_send(e, bc, 0x0800, ip, n);
	CHECK(tun_recv(e));
	const uint8_t *r = e->f + UN_L3 + 20 + 8;
	CHECK(r[0] == 2 && un_rd32(r + 4) == 42);
	CHECK(memcmp(r + 16, "\x0a\x00\x02\x64", 4) == 0);      /* yiaddr */
	CHECK(r[240] == 53 && r[242] == 2);                      /* OFFER */

	static const uint8_t q[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
				     3, 'w', 'e', 'b', 0, 0, 1, 0, 1 };
	uint8_t dq[8 + sizeof(q)];
	un_wr16(dq, 5555);
	un_wr16(dq + 2, 53);
	un_wr16(dq + 4, sizeof(dq));
	un_wr16(dq + 6, 0);
	memcpy(dq + 8, q, sizeof(q));
	n = tun_ip4(ip, "10.0.2.100", "10.0.2.3", 17, dq, sizeof(dq));
	tun_send(e, e->st.gw_mac, 0x0800, ip, n);
	CHECK(tun_recv(e));
	r = e->f + UN_L3 + 20;
	CHECK(un_rd16(r) == 53 && un_rd16(r + 2) == 5555);
	CHECK(un_rd16(r + 8 + 6) == 1);                          /* one answer */
	CHECK(memcmp(e->f + e->n - 4, "\x0a\x00\x02\x64", 4) == 0);
	tun_env_free(e);
}

TEST(usernet_stack_refusals)
{
	tun_env *e = tun_env_new(USERNET_POLICY_ISOLATED);
	CHECK(e);
	uint8_t syn[20] = { 0x9c, 0x40, 0, 80, 0, 0, 0, 100, 0, 0, 0, 0, 5 << 4, 2, 0xff, 0xff };
	uint8_t ip[64];
	size_t n = tun_ip4(ip, "10.0.2.100", "10.0.2.2", 6, syn, sizeof(syn));
	tun_send(e, e->st.gw_mac, 0x0800, ip, n);
	CHECK(tun_recv(e));
	const uint8_t *t = e->f + UN_L3 + 20;
	CHECK(t[13] == (4 | 16));                                /* RST|ACK */
	CHECK(un_rd32(t + 8) == 101);
	CHECK(e->st.refused == 1);
	CHECK(e->st.n_flows == 0);
	uint8_t udp[12] = { 0x9c, 0x40, 0, 99, 0, 12, 0, 0, 'j', 'u', 'n', 'k' };
	n = tun_ip4(ip, "10.0.2.100", "93.184.216.34", 17, udp, sizeof(udp));
	tun_send(e, e->st.gw_mac, 0x0800, ip, n);
	CHECK(tun_recv(e));
	CHECK(e->f[UN_L3 + 20] == 3 && e->f[UN_L3 + 21] == 13);  /* unreachable, prohibited */
	CHECK(e->st.refused == 2);
	/* a spoofed source is dropped silently */
	n = tun_ip4(ip, "10.0.2.99", "10.0.2.2", 6, syn, sizeof(syn));
	tun_send(e, e->st.gw_mac, 0x0800, ip, n);
	CHECK(!tun_recv(e));
	/* truncated and lying headers: nothing sent, nothing counted as a flow */
	for (size_t k = 0; k < n; k++) {
		tun_send(e, e->st.gw_mac, 0x0800, ip, k);
		while (tun_recv(e))
			;
	}
	CHECK(e->st.n_flows == 0);
	tun_env_free(e);
}
