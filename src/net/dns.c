/*
 * dns.c — the DNS wire format for the resolver: building A/AAAA queries and
 * checking replies (see resolve.h).  The policy (which names, which
 * servers, UDP or TCP) is resolve.c's.
 *
 * A reply is hostile input: every read is bounds-checked, compression
 * pointers may only point backwards (so following them always ends), names
 * are bounded to 253 characters, and a reply counts only when its id, its
 * question and its flags match the query.
 */
#include "resolve.h"
#include <arpa/inet.h>

#define DNS_HEADER 12
#define DNS_MAX_CHAIN 8        /* CNAME hops followed inside one reply */

static uint16_t dns_u16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static char dns_lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }

/* Reads the (possibly compressed) name at *off into out as lowercase dotted
 * text without the final dot ("" for the root); *off moves past the name as
 * it stands in the message.  Labels holding '.' or NUL are refused: they
 * would make two different names compare equal. */
static int dns_read_name(const uint8_t *msg, size_t len, size_t *off, char out[DNS_MAX_NAME])
{
	size_t pos = *off, n = 0;
	bool jumped = false;

	for (;;) {
		if (pos >= len)
			return -1;
		uint8_t l = msg[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return -1;
			size_t ptr = (size_t)(l & 0x3f) << 8 | msg[pos + 1];
			if (!jumped)
				*off = pos + 2;
			jumped = true;
			/* strictly backwards: every jump lowers pos, so no loop */
			if (ptr >= pos)
				return -1;
			pos = ptr;
			continue;
		}
		if (l & 0xc0)
			return -1;  /* the obsolete label types */
		pos++;
		if (l == 0)
			break;
		if (l > len - pos || n + l + 1 > DNS_MAX_NAME - 1)
			return -1;
		if (n)
			out[n++] = '.';
		for (size_t i = 0; i < l; i++) {
			char c = (char)msg[pos + i];
			if (c == '.' || c == '\0')
				return -1;
			out[n++] = dns_lower(c);
		}
		pos += l;
	}
	if (!jumped)
		*off = pos;
	out[n] = '\0';
	return 0;
}

/* A query name: lowercase, without a final dot, LDH labels (underscores
 * too: service names) of 1..63 characters, 253 in all. */
static int dns_norm_name(const char *name, char out[DNS_MAX_NAME])
{
	size_t len = strlen(name), label = 0;

	if (len && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_MAX_NAME - 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = dns_lower(name[i]);
		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			   c == '_') {
			if (++label > 63)
				return -1;
		} else {
			return -1;
		}
		out[i] = c;
	}
	if (label == 0)
		return -1;
	out[len] = '\0';
	return 0;
}

CPOD_INTERNAL int dns_build_query(uint8_t *out, size_t cap, uint16_t id, const char *name,
				  uint16_t qtype, cpod_err *err)
{
	char norm[DNS_MAX_NAME];
	size_t n = DNS_HEADER;

	if (dns_norm_name(name, norm) < 0)
		return err_set(err, CPOD_E_INVALID, "invalid host name %s", name);
	/* header, the labels (one length byte per label, the root byte), type, class */
	if (cap < DNS_HEADER + strlen(norm) + 2 + 4)
		return err_set(err, CPOD_E_LIMIT, "DNS query buffer too small");
	memset(out, 0, DNS_HEADER);
	out[0] = (uint8_t)(id >> 8);
	out[1] = (uint8_t)id;
	out[2] = 0x01;   /* RD */
	out[5] = 1;      /* QDCOUNT */
	for (const char *p = norm; *p;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		out[n++] = (uint8_t)l;
		memcpy(out + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	out[n++] = 0;
	out[n++] = (uint8_t)(qtype >> 8);
	out[n++] = (uint8_t)qtype;
	out[n++] = 0;
	out[n++] = 1;    /* IN */
	return (int)n;
}

typedef struct dns_rr {
	char owner[DNS_MAX_NAME];
	uint16_t type, class_;
	size_t rdoff, rdlen;
} dns_rr;

/* The resource record at *off; *off moves past it. */
static int dns_next_rr(const uint8_t *msg, size_t len, size_t *off, dns_rr *rr)
{
	if (dns_read_name(msg, len, off, rr->owner) < 0 || len - *off < 10)
		return -1;
	const uint8_t *p = msg + *off;
	rr->type = dns_u16(p);
	rr->class_ = dns_u16(p + 2);
	rr->rdlen = dns_u16(p + 8);
	rr->rdoff = *off + 10;
	if (rr->rdlen > len - rr->rdoff)
		return -1;
	*off = rr->rdoff + rr->rdlen;
	return 0;
}

static int dns_bad(cpod_err *err, const char *what)
{
	return err_set(err, CPOD_E_INVALID, "DNS reply: %s", what);
}

CPOD_INTERNAL int dns_parse_reply(const uint8_t *msg, size_t len, uint16_t id, const char *name,
				  uint16_t qtype, uint16_t port, net_addr *out, size_t max,
				  size_t *n, cpod_err *err)
{
	char qname[DNS_MAX_NAME], got[DNS_MAX_NAME];
	char chain[DNS_MAX_CHAIN][DNS_MAX_NAME];
	size_t nchain = 1, off = DNS_HEADER;

	if (dns_norm_name(name, qname) < 0)
		return dns_bad(err, "invalid query name");
	if (len < DNS_HEADER)
		return dns_bad(err, "truncated header");
	uint16_t flags = dns_u16(msg + 2);
	if (dns_u16(msg) != id)
		return dns_bad(err, "wrong id");
	if (!(flags & 0x8000) || (flags & 0x7800))
		return dns_bad(err, "not a reply to a standard query");
	if (dns_u16(msg + 4) != 1)
		return dns_bad(err, "not one question");
	if (dns_read_name(msg, len, &off, got) < 0 || len - off < 4)
		return dns_bad(err, "malformed question");
	if (strcmp(got, qname) != 0 || dns_u16(msg + off) != qtype || dns_u16(msg + off + 2) != 1)
		return dns_bad(err, "the question differs from the query");
	off += 4;
	if (flags & 0x0200)
		return DNS_TRUNCATED;
	switch (flags & 0xf) {
	case 0: break;
	case 3: return DNS_NXDOMAIN;
	default: return DNS_SERVFAIL;
	}

	/* the CNAME chain from qname, whatever order the records come in */
	unsigned ancount = dns_u16(msg + 6);
	size_t answers = off;
	strcpy(chain[0], qname);
	for (bool grew = true; grew && nchain < DNS_MAX_CHAIN;) {
		dns_rr rr;
		grew = false;
		off = answers;
		for (unsigned i = 0; i < ancount; i++) {
			if (dns_next_rr(msg, len, &off, &rr) < 0)
				return dns_bad(err, "malformed answer");
			if (rr.type != DNS_TYPE_CNAME || rr.class_ != 1 ||
			    strcmp(rr.owner, chain[nchain - 1]) != 0)
				continue;
			size_t t = rr.rdoff;
			if (dns_read_name(msg, len, &t, chain[nchain]) < 0 ||
			    t != rr.rdoff + rr.rdlen)
				return dns_bad(err, "malformed CNAME");
			nchain++;
			grew = true;
			break;
		}
	}

	/* counted apart: a malformed reply appends nothing */
	size_t count = *n;
	off = answers;
	for (unsigned i = 0; i < ancount; i++) {
		dns_rr rr;
		if (dns_next_rr(msg, len, &off, &rr) < 0)
			return dns_bad(err, "malformed answer");
		if (rr.type != qtype || rr.class_ != 1)
			continue;
		bool ours = false;
		for (size_t k = 0; k < nchain && !ours; k++)
			ours = strcmp(rr.owner, chain[k]) == 0;
		if (!ours || count >= max)
			continue;
		net_addr *a = &out[count];
		memset(a, 0, sizeof(*a));
		if (qtype == DNS_TYPE_A && rr.rdlen == 4) {
			struct sockaddr_in *s = (struct sockaddr_in *)&a->sa;
			s->sin_family = AF_INET;
			s->sin_port = htons(port);
			memcpy(&s->sin_addr, msg + rr.rdoff, 4);
			a->len = sizeof(*s);
		} else if (qtype == DNS_TYPE_AAAA && rr.rdlen == 16) {
			struct sockaddr_in6 *s = (struct sockaddr_in6 *)&a->sa;
			s->sin6_family = AF_INET6;
			s->sin6_port = htons(port);
			memcpy(&s->sin6_addr, msg + rr.rdoff, 16);
			a->len = sizeof(*s);
		} else {
			return dns_bad(err, "address of the wrong size");
		}
		count++;
	}
	*n = count;
	return DNS_ANSWER;
}
