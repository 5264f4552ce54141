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
 * "unknown host NAME". */
CPOD_INTERNAL int net_resolve(const char *host, uint16_t port, net_addr *out, size_t max,
			      size_t *n, cpod_err *err);
/* "1.2.3.4:80" / "[::1]:443" */
CPOD_INTERNAL void net_addr_str(const net_addr *a, char *out, size_t n);

#endif
