/*
 * test_net_dns.c — the resolver's pieces without a network: DNS queries as
 * bytes, replies good and bad (truncated at every length, compression
 * loops, wrong id or question, odd record sizes, CNAME chains and decoys),
 * /etc/hosts and resolv.conf parsing.  The reply builder here also serves
 * the test DNS server of test_net_resolve.c.
 */
#include <arpa/inet.h>

typedef struct tdns_msg {
	uint8_t b[4096];
	size_t n;
} tdns_msg;

static __attribute__((unused)) void tdns_u16(tdns_msg *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)(v >> 8);
	m->b[m->n++] = (uint8_t)v;
}

static __attribute__((unused)) void tdns_name(tdns_msg *m, const char *name)
{
	for (const char *p = name; *p;) {
		size_t l = strcspn(p, ".");
		m->b[m->n++] = (uint8_t)l;
		memcpy(m->b + m->n, p, l);
		m->n += l;
		p += l + (p[l] == '.');
	}
	m->b[m->n++] = 0;
}

/* A reply header and the question. */
static __attribute__((unused)) void tdns_start(tdns_msg *m, unsigned id, unsigned flags,
					       const char *qname, unsigned qtype, unsigned ancount)
{
	m->n = 0;
	tdns_u16(m, id);
	tdns_u16(m, flags);
	tdns_u16(m, 1);
	tdns_u16(m, ancount);
	tdns_u16(m, 0);
	tdns_u16(m, 0);
	tdns_name(m, qname);
	tdns_u16(m, qtype);
	tdns_u16(m, 1);
}

/* A record; owner NULL: a pointer to the question's name (offset 12). */
static __attribute__((unused)) void tdns_rr(tdns_msg *m, const char *owner, unsigned type,
					    const void *rdata, size_t rdlen)
{
	if (owner) {
		tdns_name(m, owner);
	} else {
		m->b[m->n++] = 0xc0;
		m->b[m->n++] = 12;
	}
	tdns_u16(m, type);
	tdns_u16(m, 1);
	tdns_u16(m, 0);
	tdns_u16(m, 60);
	tdns_u16(m, (unsigned)rdlen);
	memcpy(m->b + m->n, rdata, rdlen);
	m->n += rdlen;
}

static __attribute__((unused)) void tdns_a(tdns_msg *m, const char *owner, const char *ip)
{
	uint8_t a[16];
	if (strchr(ip, ':')) {
		inet_pton(AF_INET6, ip, a);
		tdns_rr(m, owner, DNS_TYPE_AAAA, a, 16);
	} else {
		inet_pton(AF_INET, ip, a);
		tdns_rr(m, owner, DNS_TYPE_A, a, 4);
	}
}

static __attribute__((unused)) void tdns_cname(tdns_msg *m, const char *owner, const char *target)
{
	tdns_msg t = { .n = 0 };
	tdns_name(&t, target);
	tdns_rr(m, owner, DNS_TYPE_CNAME, t.b, t.n);
}

/* The addresses dns_parse_reply finds, "1.2.3.4:80 [::1]:80", into s. */
static int tdns_parse(const tdns_msg *m, unsigned id, const char *name, unsigned qtype, char *s,
		      size_t cap)
{
	net_addr a[8];
	size_t n = 0;
	cpod_err err;
	int r = dns_parse_reply(m->b, m->n, (uint16_t)id, name, (uint16_t)qtype, 80, a, 8, &n,
				&err);
	s[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char one[64];
		net_addr_str(&a[i], one, sizeof(one));
		size_t l = strlen(s);
		snprintf(s + l, cap - l, "%s%s", l ? " " : "", one);
	}
	return r;
}

TEST(net_dns_query)
{
	uint8_t q[300];
	cpod_err err;
	static const uint8_t want[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
					3, 'w', 'w', 'w', 4, 't', 'e', 's', 't', 0,
					0, 28, 0, 1 };

	CHECK(dns_build_query(q, sizeof(q), 0x1234, "WWW.Test.", DNS_TYPE_AAAA, &err) ==
	      (int)sizeof(want));
	CHECK(memcmp(q, want, sizeof(want)) == 0);

	char label64[80], long_name[300];
	memset(label64, 'a', 64);
	label64[64] = '\0';
	memset(long_name, 0, sizeof(long_name));
	for (int i = 0; i < 64; i++)
		strcat(long_name, "abc.");
	long_name[strlen(long_name) - 1] = '\0';   /* 255 characters */
	const char *bad[] = { "", ".", "a..b", ".a", "bad name", "a/b", label64, long_name };
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		CHECK_MSG(dns_build_query(q, sizeof(q), 1, bad[i], DNS_TYPE_A, &err) < 0,
			  "accepted \"%s\"", bad[i]);
	CHECK(dns_build_query(q, 20, 1, "www.test", DNS_TYPE_A, &err) < 0);
}

TEST(net_dns_reply_good)
{
	tdns_msg m;
	char s[256];

	tdns_start(&m, 7, 0x8180, "www.test", DNS_TYPE_A, 2);
	tdns_a(&m, NULL, "10.0.0.1");
	tdns_a(&m, "WWW.TEST", "10.0.0.2");
	CHECK(tdns_parse(&m, 7, "www.test", DNS_TYPE_A, s, sizeof(s)) == DNS_ANSWER);
	CHECK_STR(s, "10.0.0.1:80 10.0.0.2:80");
	/* the query name in another case, with a final dot */
	CHECK(tdns_parse(&m, 7, "Www.Test.", DNS_TYPE_A, s, sizeof(s)) == DNS_ANSWER);
	CHECK_STR(s, "10.0.0.1:80 10.0.0.2:80");

	/* a CNAME chain (records out of order), a decoy for another name */
	tdns_start(&m, 8, 0x8180, "www.test", DNS_TYPE_AAAA, 5);
	tdns_a(&m, "cdn.test", "fd00::2");
	tdns_a(&m, "evil.test", "fd00::666");
	tdns_cname(&m, "edge.test", "cdn.test");
	tdns_cname(&m, NULL, "edge.test");
	tdns_a(&m, "evil.test", "10.6.6.6");
	CHECK(tdns_parse(&m, 8, "www.test", DNS_TYPE_AAAA, s, sizeof(s)) == DNS_ANSWER);
	CHECK_STR(s, "[fd00::2]:80");

	/* no address: an empty answer */
	tdns_start(&m, 9, 0x8180, "www.test", DNS_TYPE_AAAA, 0);
	CHECK(tdns_parse(&m, 9, "www.test", DNS_TYPE_AAAA, s, sizeof(s)) == DNS_ANSWER);
	CHECK_STR(s, "");

	tdns_start(&m, 9, 0x8183, "nx.test", DNS_TYPE_A, 0);
	CHECK(tdns_parse(&m, 9, "nx.test", DNS_TYPE_A, s, sizeof(s)) == DNS_NXDOMAIN);
	tdns_start(&m, 9, 0x8182, "x.test", DNS_TYPE_A, 0);
	CHECK(tdns_parse(&m, 9, "x.test", DNS_TYPE_A, s, sizeof(s)) == DNS_SERVFAIL);
	tdns_start(&m, 9, 0x8185, "x.test", DNS_TYPE_A, 0);
	CHECK(tdns_parse(&m, 9, "x.test", DNS_TYPE_A, s, sizeof(s)) == DNS_SERVFAIL);
	tdns_start(&m, 9, 0x8380, "x.test", DNS_TYPE_A, 0);   /* TC */
	CHECK(tdns_parse(&m, 9, "x.test", DNS_TYPE_A, s, sizeof(s)) == DNS_TRUNCATED);
}

TEST(net_dns_reply_bad)
{
	tdns_msg m, good;
	char s[256];

	tdns_start(&good, 7, 0x8180, "www.test", DNS_TYPE_A, 2);
	tdns_a(&good, NULL, "10.0.0.1");
	tdns_cname(&good, NULL, "x.test");

	/* every truncation */
	for (size_t len = 0; len < good.n; len++) {
		m = good;
		m.n = len;
		CHECK_MSG(tdns_parse(&m, 7, "www.test", DNS_TYPE_A, s, sizeof(s)) < 0,
			  "length %zu", len);
		CHECK(s[0] == '\0');
	}
	CHECK(tdns_parse(&good, 8, "www.test", DNS_TYPE_A, s, sizeof(s)) < 0);      /* id */
	CHECK(tdns_parse(&good, 7, "www.test", DNS_TYPE_AAAA, s, sizeof(s)) < 0);   /* type */
	CHECK(tdns_parse(&good, 7, "www.test2", DNS_TYPE_A, s, sizeof(s)) < 0);     /* name */
	CHECK(tdns_parse(&good, 7, "ww.test", DNS_TYPE_A, s, sizeof(s)) < 0);
	m = good;
	m.b[2] &= 0x7f;                                                              /* a query */
	CHECK(tdns_parse(&m, 7, "www.test", DNS_TYPE_A, s, sizeof(s)) < 0);
	m = good;
	m.b[2] |= 0x08;                                                              /* opcode */
	CHECK(tdns_parse(&m, 7, "www.test", DNS_TYPE_A, s, sizeof(s)) < 0);
	m = good;
	m.b[5] = 2;                                                                  /* qdcount */
	CHECK(tdns_parse(&m, 7, "www.test", DNS_TYPE_A, s, sizeof(s)) < 0);
	m = good;
	m.b[7] = 3;                                                                  /* ancount */
	CHECK(tdns_parse(&m, 7, "www.test", DNS_TYPE_A, s, sizeof(s)) < 0);

	/* compression: a pointer to itself, forwards, and a two-pointer loop */
	tdns_start(&m, 7, 0x8180, "www.test", DNS_TYPE_A, 1);
	size_t at = m.n;
	m.b[m.n++] = 0xc0;
	m.b[m.n++] = (uint8_t)at;
	tdns_u16(&m, 1), tdns_u16(&m, 1), tdns_u16(&m, 0), tdns_u16(&m, 60), tdns_u16(&m, 4);
	memcpy(m.b + m.n, "\x0a\0\0\x01", 4);
	m.n += 4;
	CHECK(tdns_parse(&m, 7, "www.test", DNS_TYPE_A, s, sizeof(s)) < 0);
	m.b[at + 1] = (uint8_t)(at + 20);
	CHECK(tdns_parse(&m, 7, "www.test", DNS_TYPE_A, s, sizeof(s)) < 0);
	m.n = 0;
	tdns_u16(&m, 7), tdns_u16(&m, 0x8180), tdns_u16(&m, 1), tdns_u16(&m, 0);
	tdns_u16(&m, 0), tdns_u16(&m, 0);
	m.b[m.n++] = 0xc0;   /* offset 12 -> 14 -> 12 */
	m.b[m.n++] = 14;
	m.b[m.n++] = 0xc0;
	m.b[m.n++] = 12;
	tdns_u16(&m, 1), tdns_u16(&m, 1);
	CHECK(tdns_parse(&m, 7, "www.test", DNS_TYPE_A, s, sizeof(s)) < 0);

	/* a CNAME loop ends (and the decoy stays out) */
	tdns_start(&m, 7, 0x8180, "a.test", DNS_TYPE_A, 3);
	tdns_cname(&m, "a.test", "b.test");
	tdns_cname(&m, "b.test", "a.test");
	tdns_a(&m, "c.test", "10.0.0.3");
	CHECK(tdns_parse(&m, 7, "a.test", DNS_TYPE_A, s, sizeof(s)) == DNS_ANSWER);
	CHECK_STR(s, "");

	/* a label holding a dot must not pass for two labels */
	tdns_start(&m, 7, 0x8180, "www.test", DNS_TYPE_A, 1);
	m.b[m.n++] = 8;
	memcpy(m.b + m.n, "www.test", 8);
	m.n += 8;
	m.b[m.n++] = 0;
	tdns_u16(&m, 1), tdns_u16(&m, 1), tdns_u16(&m, 0), tdns_u16(&m, 60), tdns_u16(&m, 4);
	memcpy(m.b + m.n, "\x0a\0\0\x01", 4);
	m.n += 4;
	CHECK(tdns_parse(&m, 7, "www.test", DNS_TYPE_A, s, sizeof(s)) < 0);

	/* an A record of the wrong size */
	tdns_start(&m, 7, 0x8180, "www.test", DNS_TYPE_A, 1);
	tdns_rr(&m, NULL, DNS_TYPE_A, "\x0a\0\0\x01\x02", 5);
	CHECK(tdns_parse(&m, 7, "www.test", DNS_TYPE_A, s, sizeof(s)) < 0);

	/* an owner name over 253 characters */
	tdns_start(&m, 7, 0x8180, "www.test", DNS_TYPE_A, 1);
	for (int i = 0; i < 5; i++) {
		m.b[m.n++] = 63;
		memset(m.b + m.n, 'a', 63);
		m.n += 63;
	}
	m.b[m.n++] = 0;
	tdns_u16(&m, 1), tdns_u16(&m, 1), tdns_u16(&m, 0), tdns_u16(&m, 60), tdns_u16(&m, 4);
	memcpy(m.b + m.n, "\x0a\0\0\x01", 4);
	m.n += 4;
	CHECK(tdns_parse(&m, 7, "www.test", DNS_TYPE_A, s, sizeof(s)) < 0);
}

TEST(net_dns_hosts)
{
	static const char hosts[] =
		"# comment\n"
		"127.0.0.1\tlocalhost\n"
		"::1 localhost ip6-localhost ip6-loopback\n"
		"10.0.0.5  registry.test  registry # trailing comment\n"
		"  10.0.0.6 REGISTRY.test.\n"
		"10.0.0.5 registry.test\n"
		"fe80::1%1 linklocal.test\n"
		"not-an-ip registry.test\n"
		"10.0.0.7\n"
		"#10.0.0.8 registry.test\n"
		"10.0.0.9 other.test";
	net_addr a[8];
	size_t n;
	char s[64];

	resolv_hosts_lookup(hosts, "registry.test", 443, a, 8, &n);
	CHECK(n == 2);
	net_addr_str(&a[0], s, sizeof(s));
	CHECK_STR(s, "10.0.0.5:443");
	net_addr_str(&a[1], s, sizeof(s));
	CHECK_STR(s, "10.0.0.6:443");
	resolv_hosts_lookup(hosts, "Registry.Test.", 443, a, 1, &n);
	CHECK(n == 1);
	resolv_hosts_lookup(hosts, "registry", 80, a, 8, &n);
	CHECK(n == 1);
	resolv_hosts_lookup(hosts, "localhost", 80, a, 8, &n);
	CHECK(n == 2);
	net_addr_str(&a[1], s, sizeof(s));
	CHECK_STR(s, "[::1]:80");
	resolv_hosts_lookup(hosts, "other.test", 80, a, 8, &n);
	CHECK(n == 1);   /* the last line has no newline */
	resolv_hosts_lookup(hosts, "linklocal.test", 80, a, 8, &n);
	CHECK(n == 1 && ((struct sockaddr_in6 *)&a[0].sa)->sin6_scope_id == 1);
	resolv_hosts_lookup(hosts, "comment", 80, a, 8, &n);
	CHECK(n == 0);
	resolv_hosts_lookup(hosts, "registry.tes", 80, a, 8, &n);
	CHECK(n == 0);
	resolv_hosts_lookup("", "x", 80, a, 8, &n);
	CHECK(n == 0);
}

TEST(net_dns_resolv_conf)
{
	resolv_conf rc;
	char s[64];

	resolv_conf_parse("# generated\n"
			  "nameserver 10.0.0.53\n"
			  "nameserver  fd00::53 \n"
			  "nameserver bogus\n"
			  "nameserver fe80::1%1\n"
			  "nameserver 10.0.0.54\n"           /* a fourth: ignored */
			  "domain first.example\n"
			  "search corp.example. lab.example ; comment\n"
			  "options ndots:3 timeout:1 attempts:9 rotate edns0\n"
			  "options ndots:99\n", &rc);
	CHECK(rc.n_ns == 3);
	net_addr_str(&rc.ns[0], s, sizeof(s));
	CHECK_STR(s, "10.0.0.53:53");
	net_addr_str(&rc.ns[1], s, sizeof(s));
	CHECK_STR(s, "[fd00::53]:53");
	CHECK(((struct sockaddr_in6 *)&rc.ns[2].sa)->sin6_scope_id == 1);
	CHECK(rc.n_search == 2);
	CHECK_STR(rc.search[0], "corp.example");
	CHECK_STR(rc.search[1], "lab.example");
	CHECK(rc.ndots == 15);
	CHECK(rc.timeout_s == 1);
	CHECK(rc.attempts == 5);

	/* the last of domain/search wins; defaults; no server means 127.0.0.1 */
	resolv_conf_parse("search a.example b.example\ndomain only.example\n", &rc);
	CHECK(rc.n_search == 1);
	CHECK_STR(rc.search[0], "only.example");
	CHECK(rc.ndots == 1 && rc.timeout_s == 5 && rc.attempts == 2);
	CHECK(rc.n_ns == 1);
	net_addr_str(&rc.ns[0], s, sizeof(s));
	CHECK_STR(s, "127.0.0.1:53");
	resolv_conf_parse("options timeout:0 attempts:0 ndots:x\nsearch", &rc);
	CHECK(rc.timeout_s == 1 && rc.attempts == 1 && rc.ndots == 1 && rc.n_search == 0);
}

TEST(net_dns_literals)
{
	net_addr a[4];
	size_t n;
	cpod_err err;
	char s[64];

	CHECK(net_resolve("192.0.2.1", 80, a, 4, &n, &err) == 0 && n == 1);
	net_addr_str(&a[0], s, sizeof(s));
	CHECK_STR(s, "192.0.2.1:80");
	CHECK(net_resolve("[2001:db8::1]", 443, a, 4, &n, &err) == 0 && n == 1);
	net_addr_str(&a[0], s, sizeof(s));
	CHECK_STR(s, "[2001:db8::1]:443");
	CHECK(!net_parse_ip("1.2.3", 0, a));
	CHECK(!net_parse_ip("::1]", 0, a));
	CHECK(!net_parse_ip("fe80::1%nosuchif0", 0, a));
	CHECK(net_resolve("", 80, a, 4, &n, &err) < 0);
	CHECK(net_resolve("...", 80, a, 4, &n, &err) < 0);
}
