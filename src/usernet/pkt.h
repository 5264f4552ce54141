/*
 * pkt.h — byte-level packet helpers of the user-mode stack: big-endian
 * loads and stores (no casts of untrusted buffers to structs, so nothing
 * depends on alignment), the Internet checksum, addresses (IPv4 kept as
 * IPv4-mapped IPv6 so flows are family-agnostic), address classes for the
 * policies, and the parsers of DNS questions and DHCP requests (pure
 * functions, unit-tested and fuzzed).
 */
#ifndef CPOD_USERNET_PKT_H
#define CPOD_USERNET_PKT_H
#include "../base/err.h"

static inline uint16_t un_rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t un_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void un_wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void un_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* An address: IPv6, or IPv4 as ::ffff:a.b.c.d. */
typedef struct un_addr {
	uint8_t b[16];
} un_addr;

static inline bool un_is_v4(const un_addr *a)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return memcmp(a->b, pfx, 12) == 0;
}
static inline void un_addr_v4(un_addr *a, const uint8_t *v4)
{
	memset(a->b, 0, 10);
	a->b[10] = a->b[11] = 0xff;
	memcpy(a->b + 12, v4, 4);
}
static inline bool un_addr_eq(const un_addr *a, const un_addr *b)
{
	return memcmp(a->b, b->b, 16) == 0;
}

/* Parses "1.2.3.4" or "fd00::1" (no brackets) into a; false when not one. */
CPOD_INTERNAL bool un_addr_parse(const char *s, un_addr *a);
/* "1.2.3.4" / "fd00::1" */
CPOD_INTERNAL void un_addr_str(const un_addr *a, char *out, size_t n);
/* "10.0.2.0/24" -> network and prefix length (IPv4: 8..30, IPv6: 64..120). */
CPOD_INTERNAL int un_cidr_parse(const char *s, un_addr *net, unsigned *prefix, cpod_err *err);
/* Whether a lies in net/prefix (same family). */
CPOD_INTERNAL bool un_in_prefix(const un_addr *a, const un_addr *net, unsigned prefix);

/* Address classes the policies look at. */
enum {
	UN_CLASS_PUBLIC = 0,
	UN_CLASS_PRIVATE = 1,   /* RFC 1918, ULA fc00::/7 */
	UN_CLASS_LOOPBACK = 2,
	UN_CLASS_LINKLOCAL = 4,
	UN_CLASS_CGNAT = 8,     /* 100.64.0.0/10 */
	UN_CLASS_MULTICAST = 16,
	UN_CLASS_RESERVED = 32, /* 0/8, 240/4, broadcast, ::, documentation ranges */
};
CPOD_INTERNAL unsigned un_addr_class(const un_addr *a);

/* Whether policy lets a container flow reach dst; via_gateway: the
 * destination was the gateway address (the host's loopback). */
CPOD_INTERNAL bool un_policy_allows(int policy, const un_addr *dst, bool via_gateway);

/* The one's-complement sum of data, added to sum (not folded). */
CPOD_INTERNAL uint32_t un_csum_add(uint32_t sum, const void *data, size_t len);
/* Folds and complements a sum into the checksum field's value. */
CPOD_INTERNAL uint16_t un_csum_fold(uint32_t sum);
/* The pseudo-header sum of TCP/UDP/ICMPv6 over IPv4 or IPv6. */
CPOD_INTERNAL uint32_t un_csum_pseudo(const un_addr *src, const un_addr *dst, uint8_t proto,
				      uint32_t len);

/* A DNS query: id, the question (name lower-cased, dots, no final dot),
 * its type and class, and where the question ends. */
typedef struct un_dns_q {
	uint16_t id, qtype, qclass, flags;
	char name[256];
	size_t qend;
} un_dns_q;
/* Parses a query of exactly one question (no compression in it); -1 when
 * the message is not one. */
CPOD_INTERNAL int un_dns_parse_query(const uint8_t *msg, size_t len, un_dns_q *q);
/* Writes into out (room n) the reply to q: rcode, and one answer with
 * addr (4 or 16 bytes, ttl 60) when alen > 0.  The question is copied from
 * msg.  Returns its length, or 0 when it does not fit. */
CPOD_INTERNAL size_t un_dns_answer(const uint8_t *msg, const un_dns_q *q, int rcode,
				   const uint8_t *addr, size_t alen, uint8_t *out, size_t n);

/* A DHCP (BOOTP) request from a client. */
typedef struct un_dhcp_req {
	uint32_t xid;
	uint8_t chaddr[6];
	uint8_t type;        /* option 53: 1 DISCOVER, 3 REQUEST, 7 RELEASE, 8 INFORM */
	uint16_t flags;
} un_dhcp_req;
CPOD_INTERNAL int un_dhcp_parse(const uint8_t *msg, size_t len, un_dhcp_req *r);
/* Builds the OFFER (for DISCOVER) or ACK into out (room >= 300); returns
 * its length.  Addresses are 4 bytes each. */
CPOD_INTERNAL size_t un_dhcp_reply(const un_dhcp_req *r, const uint8_t *yiaddr,
				   const uint8_t *server, const uint8_t *mask, const uint8_t *dns,
				   unsigned mtu, uint8_t *out, size_t n);

#endif
