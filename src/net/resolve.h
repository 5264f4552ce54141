/*
 * resolve.h — host names to addresses without glibc's NSS, so the static
 * binary resolves like the rest of the system: /etc/hosts first, then DNS
 * (UDP, falling back to TCP when truncated) to the nameservers of
 * /etc/resolv.conf, A and AAAA, with its search domains, ndots, timeout and
 * attempts options.  Tests point both files elsewhere with CPOD_HOSTS and
 * CPOD_RESOLV_CONF (and run their own DNS server on loopback).  Replies are
 * untrusted input: bounded, id- and question-checked, compression loops cut.
 */
#ifndef CPOD_NET_RESOLVE_H
#define CPOD_NET_RESOLVE_H
#include "../base/err.h"
#include <netinet/in.h>
#include <sys/socket.h>

typedef struct net_addr {
	struct sockaddr_storage sa;
	socklen_t len;
} net_addr;

/* Up to max addresses of host (a name, or a literal IPv4/IPv6 address,
 * "[::1]" accepted) with port set; *n gets how many.  CPOD_E_NOTFOUND:
 * "unknown host NAME".  IPv4 addresses come before IPv6 ones from DNS (no
 * happy eyeballs: a host without IPv6 routes fails those fast anyway);
 * /etc/hosts keeps its own order.  "localhost" and names under
 * ".localhost" never reach DNS (RFC 6761). */
CPOD_INTERNAL int net_resolve(const char *host, uint16_t port, net_addr *out, size_t max,
			      size_t *n, cpod_err *err);
/* "1.2.3.4:80" / "[::1]:443" */
CPOD_INTERNAL void net_addr_str(const net_addr *a, char *out, size_t n);

/* A TCP connection to host:port: each resolved address is tried in order,
 * each with timeout_ms (<= 0: none).  The socket is non-blocking, CLOEXEC,
 * with TCP_NODELAY. */
CPOD_INTERNAL int net_connect(const char *host, uint16_t port, int timeout_ms, cpod_err *err);

/* A literal address ("1.2.3.4", "::1", "[::1]", "fe80::1%eth0"); false
 * when s is not one. */
CPOD_INTERNAL bool net_parse_ip(const char *s, uint16_t port, net_addr *out);

/* ---- the pieces, for the tests */

#define RESOLV_MAX_NS 3
#define RESOLV_MAX_SEARCH 6

typedef struct resolv_conf {
	net_addr ns[RESOLV_MAX_NS];      /* port 53 */
	size_t n_ns;                     /* 0 in the file: 127.0.0.1 (as glibc) */
	char search[RESOLV_MAX_SEARCH][254];
	size_t n_search;
	int ndots;                       /* 1 */
	int timeout_s;                   /* per query and server: 5 */
	int attempts;                    /* rounds over the servers: 2 */
} resolv_conf;

/* resolv.conf text; unknown or malformed lines are skipped, like glibc. */
CPOD_INTERNAL void resolv_conf_parse(const char *text, resolv_conf *rc);
/* The addresses of name in hosts-file text (every matching line, file
 * order, duplicates dropped). */
CPOD_INTERNAL void resolv_hosts_lookup(const char *text, const char *name, uint16_t port,
				       net_addr *out, size_t max, size_t *n);

/* ---- DNS wire format (dns.c) */

enum { DNS_TYPE_A = 1, DNS_TYPE_CNAME = 5, DNS_TYPE_AAAA = 28 };
#define DNS_MAX_UDP 4096        /* what we read of a UDP reply */
#define DNS_MAX_NAME 254        /* presentation form with its NUL */

/* The query for name/qtype (recursion desired) into out; returns its
 * length, -1 when the name is not a valid host name. */
CPOD_INTERNAL int dns_build_query(uint8_t *out, size_t cap, uint16_t id, const char *name,
				  uint16_t qtype, cpod_err *err);

enum dns_result {
	DNS_ANSWER,      /* addresses appended (maybe none: the name has no such record) */
	DNS_NXDOMAIN,    /* the name does not exist */
	DNS_SERVFAIL,    /* this server cannot answer (SERVFAIL, REFUSED, ...): try another */
	DNS_TRUNCATED,   /* ask again over TCP */
};
/* Checks a reply against the query (id, the question, qtype) and appends
 * the A/AAAA records of name or of its CNAME chain to out (port set).
 * Returns an enum dns_result, or -1 for a malformed reply or one that is
 * not for this query (over UDP: ignore it and keep waiting). */
CPOD_INTERNAL int dns_parse_reply(const uint8_t *msg, size_t len, uint16_t id, const char *name,
				  uint16_t qtype, uint16_t port, net_addr *out, size_t max,
				  size_t *n, cpod_err *err);

#endif
