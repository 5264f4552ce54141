/*
 * pkt.c — addresses, checksums, address classes and policies, and the small
 * parsers (DNS questions, DHCP requests) of the user-mode stack.  Everything
 * here reads bytes a container wrote: every length is checked before use.
 */
#include "pkt.h"
#include "usernet.h"
#include <arpa/inet.h>
#include <ctype.h>

CPOD_INTERNAL bool un_addr_parse(const char *s, un_addr *a)
{
	uint8_t v4[4];
	if (inet_pton(AF_INET, s, v4) == 1) {
		un_addr_v4(a, v4);
		return true;
	}
	return inet_pton(AF_INET6, s, a->b) == 1;
}

CPOD_INTERNAL void un_addr_str(const un_addr *a, char *out, size_t n)
{
	if (un_is_v4(a))
		inet_ntop(AF_INET, a->b + 12, out, (socklen_t)n);
	else
		inet_ntop(AF_INET6, a->b, out, (socklen_t)n);
}

CPOD_INTERNAL int un_cidr_parse(const char *s, un_addr *net, unsigned *prefix, cpod_err *err)
{
	char tmp[64];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(tmp))
		return err_set(err, CPOD_E_INVALID, "subnet %s: not ADDRESS/PREFIX", s);
	memcpy(tmp, s, (size_t)(slash - s));
	tmp[slash - s] = 0;
	char *end;
	errno = 0;
	unsigned long p = strtoul(slash + 1, &end, 10);
	if (!un_addr_parse(tmp, net) || *end || errno || slash[1] == 0)
		return err_set(err, CPOD_E_INVALID, "subnet %s: not ADDRESS/PREFIX", s);
	bool v4 = un_is_v4(net);
	if ((v4 && (p < 8 || p > 30)) || (!v4 && (p < 64 || p > 120)))
		return err_set(err, CPOD_E_INVALID, "subnet %s: prefix length out of range", s);
	*prefix = (unsigned)p + (v4 ? 96 : 0);
	/* the host part cleared */
	for (unsigned i = *prefix; i < 128; i++)
		net->b[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	return 0;
}

/* prefix counts bits of the 128-bit (mapped) form */
CPOD_INTERNAL bool un_in_prefix(const un_addr *a, const un_addr *net, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;
	if (memcmp(a->b, net->b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a->b[full] & mask) == (net->b[full] & mask);
}

CPOD_INTERNAL unsigned un_addr_class(const un_addr *a)
{
	if (un_is_v4(a)) {
		const uint8_t *v = a->b + 12;
		if (v[0] == 10 || (v[0] == 172 && (v[1] & 0xf0) == 16) || (v[0] == 192 && v[1] == 168))
			return UN_CLASS_PRIVATE;
		if (v[0] == 127)
			return UN_CLASS_LOOPBACK;
		if (v[0] == 169 && v[1] == 254)
			return UN_CLASS_LINKLOCAL;
		if (v[0] == 100 && (v[1] & 0xc0) == 64)
			return UN_CLASS_CGNAT;
		if ((v[0] & 0xf0) == 224)
			return UN_CLASS_MULTICAST;
		if (v[0] == 0 || v[0] >= 240 || (v[0] == 192 && v[1] == 0 && v[2] == 2) ||
		    (v[0] == 198 && v[1] == 51 && v[2] == 100) || (v[0] == 203 && v[1] == 0 && v[2] == 113))
			return UN_CLASS_RESERVED;
		return UN_CLASS_PUBLIC;
	}
	const uint8_t *v = a->b;
	static const uint8_t zero[15];
	if (memcmp(v, zero, 15) == 0)
		return v[15] == 1 ? UN_CLASS_LOOPBACK : UN_CLASS_RESERVED;
	if ((v[0] & 0xfe) == 0xfc)
		return UN_CLASS_PRIVATE;
	if (v[0] == 0xfe && (v[1] & 0xc0) == 0x80)
		return UN_CLASS_LINKLOCAL;
	if (v[0] == 0xff)
		return UN_CLASS_MULTICAST;
	if (v[0] == 0x20 && v[1] == 0x01 && v[2] == 0x0d && v[3] == 0xb8)
		return UN_CLASS_RESERVED;
	return UN_CLASS_PUBLIC;
}

CPOD_INTERNAL bool un_policy_allows(int policy, const un_addr *dst, bool via_gateway)
{
	switch (policy) {
	case USERNET_POLICY_NONE:
		return true;
	case USERNET_POLICY_LOCAL:
		return via_gateway;
	case USERNET_POLICY_ISOLATED:
		return false;
	case USERNET_POLICY_PRIVATE:
		return !via_gateway && un_addr_class(dst) == UN_CLASS_PRIVATE;
	case USERNET_POLICY_PUBLIC:
		return !via_gateway && un_addr_class(dst) == UN_CLASS_PUBLIC;
	}
	return false;
}

/* 64-bit accumulation, folded at the end: a quarter of the additions of
 * the 16-bit loop on the bulk of the data. */
CPOD_INTERNAL uint32_t un_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t s = sum;
	while (len >= 8) {
		uint32_t a, b;
		memcpy(&a, p, 4);
		memcpy(&b, p + 4, 4);
		s += (uint64_t)a + b;
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		uint16_t a;
		memcpy(&a, p, 2);
		s += a;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t a = 0;
		memcpy(&a, p, 1);
		s += a;
	}
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	/* the sum is in host order of 16-bit words; un_csum_fold swaps once */
	return (uint32_t)((s & 0xffff) + (s >> 16));
}

CPOD_INTERNAL uint16_t un_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t v = (uint16_t)~sum;
	/* the words were summed in memory order: store as is */
	uint8_t b[2];
	memcpy(b, &v, 2);
	return (uint16_t)(b[0] << 8 | b[1]);
}

CPOD_INTERNAL uint32_t un_csum_pseudo(const un_addr *src, const un_addr *dst, uint8_t proto,
				      uint32_t len)
{
	uint8_t ph[8];
	uint32_t s;
	if (un_is_v4(src)) {
		s = un_csum_add(0, src->b + 12, 4);
		s = un_csum_add(s, dst->b + 12, 4);
		ph[0] = 0;
		ph[1] = proto;
		un_wr16(ph + 2, (uint16_t)len);
		return un_csum_add(s, ph, 4);
	}
	s = un_csum_add(0, src->b, 16);
	s = un_csum_add(s, dst->b, 16);
	un_wr32(ph, len);
	ph[4] = ph[5] = ph[6] = 0;
	ph[7] = proto;
	return un_csum_add(s, ph, 8);
}

/* ------------------------------------------------------------------- DNS */

CPOD_INTERNAL int un_dns_parse_query(const uint8_t *msg, size_t len, un_dns_q *q)
{
	if (len < 12 || len > 4096)
		return -1;
	q->id = un_rd16(msg);
	q->flags = un_rd16(msg + 2);
	if (q->flags & 0x8000)                    /* a response */
		return -1;
	if (un_rd16(msg + 4) != 1)                /* one question */
		return -1;
	size_t off = 12, nlen = 0;
	for (;;) {
		if (off >= len)
			return -1;
		uint8_t l = msg[off++];
		if (l == 0)
			break;
		if (l > 63 || off + l > len || nlen + l + 1 >= sizeof(q->name))
			return -1;
		if (nlen)
			q->name[nlen++] = '.';
		for (unsigned i = 0; i < l; i++) {
			uint8_t c = msg[off + i];
			if (c == 0 || c == '.')
				return -1;
			q->name[nlen++] = (char)tolower(c);
		}
		off += l;
	}
	q->name[nlen] = 0;
	if (off + 4 > len)
		return -1;
	q->qtype = un_rd16(msg + off);
	q->qclass = un_rd16(msg + off + 2);
	q->qend = off + 4;
	return 0;
}

CPOD_INTERNAL size_t un_dns_answer(const uint8_t *msg, const un_dns_q *q, int rcode,
				   const uint8_t *addr, size_t alen, uint8_t *out, size_t n)
{
	size_t need = q->qend + (alen ? 12 + alen : 0);
	if (need > n || q->qend < 12)
		return 0;
	memcpy(out, msg, q->qend);
	/* QR, opcode and RD kept, AA, RA, rcode */
	uint16_t flags = (uint16_t)(0x8000 | (q->flags & 0x7900) | 0x0400 | 0x0080 | (rcode & 15));
	un_wr16(out + 2, flags);
	un_wr16(out + 4, 1);
	un_wr16(out + 6, alen ? 1 : 0);
	un_wr16(out + 8, 0);
	un_wr16(out + 10, 0);
	if (alen) {
		uint8_t *a = out + q->qend;
		un_wr16(a, 0xc00c);                /* the question's name */
		un_wr16(a + 2, alen == 4 ? 1 : 28);
		un_wr16(a + 4, 1);
		un_wr32(a + 6, 60);
		un_wr16(a + 10, (uint16_t)alen);
		memcpy(a + 12, addr, alen);
	}
	return need;
}

/* ------------------------------------------------------------------ DHCP */

CPOD_INTERNAL int un_dhcp_parse(const uint8_t *msg, size_t len, un_dhcp_req *r)
{
	if (len < 240 || len > 1500)
		return -1;
	if (msg[0] != 1 || msg[1] != 1 || msg[2] != 6)
		return -1;
	if (un_rd32(msg + 236) != 0x63825363)
		return -1;
	r->xid = un_rd32(msg + 4);
	r->flags = un_rd16(msg + 10);
	memcpy(r->chaddr, msg + 28, 6);
	r->type = 0;
	size_t off = 240;
	while (off < len) {
		uint8_t opt = msg[off++];
		if (opt == 255)
			break;
		if (opt == 0)
			continue;
		if (off >= len)
			return -1;
		uint8_t l = msg[off++];
		if (off + l > len)
			return -1;
		if (opt == 53 && l == 1)
			r->type = msg[off];
		off += l;
	}
	return r->type ? 0 : -1;
}

CPOD_INTERNAL size_t un_dhcp_reply(const un_dhcp_req *r, const uint8_t *yiaddr,
				   const uint8_t *server, const uint8_t *mask, const uint8_t *dns,
				   unsigned mtu, uint8_t *out, size_t n)
{
	if (n < 300)
		return 0;
	memset(out, 0, 300);
	out[0] = 2;
	out[1] = 1;
	out[2] = 6;
	un_wr32(out + 4, r->xid);
	un_wr16(out + 10, r->flags);
	memcpy(out + 16, yiaddr, 4);
	memcpy(out + 20, server, 4);
	memcpy(out + 28, r->chaddr, 6);
	un_wr32(out + 236, 0x63825363);
	uint8_t *o = out + 240;
	*o++ = 53; *o++ = 1; *o++ = r->type == 1 ? 2 : 5;     /* OFFER / ACK */
	*o++ = 54; *o++ = 4; memcpy(o, server, 4); o += 4;
	*o++ = 51; *o++ = 4; un_wr32(o, 86400); o += 4;
	*o++ = 1; *o++ = 4; memcpy(o, mask, 4); o += 4;
	*o++ = 3; *o++ = 4; memcpy(o, server, 4); o += 4;
	*o++ = 6; *o++ = 4; memcpy(o, dns, 4); o += 4;
	if (mtu >= 68 && mtu <= 65535) {
		*o++ = 26; *o++ = 2; un_wr16(o, (uint16_t)mtu); o += 2;
	}
	*o++ = 255;
	return 300;
}
