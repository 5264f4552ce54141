/*
 * proxy.c — which requests go through a proxy, and the proxy's address and
 * credentials (see http.h).  The rules are Go's net/http ones, so cpod
 * agrees with podman and the registries' own tooling on the same
 * HTTPS_PROXY/HTTP_PROXY/NO_PROXY: NO_PROXY "example.com" covers the
 * domain and its subdomains, ".example.com" and "*.example.com" only the
 * subdomains, "*" everything; IP addresses and CIDR blocks match literal
 * addresses (names are not resolved for that); ":port" narrows an entry.
 * Loopback never goes through a proxy.
 */
#include "http.h"
#include "resolve.h"
#include <arpa/inet.h>

CPOD_INTERNAL int http_base64(const void *data, size_t len, char *out, size_t cap)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	size_t o = 0;

	if ((len + 2) / 3 * 4 >= cap)
		return -1;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	return 0;
}

static int proxy_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes s[0..len) onto the end of out. */
static int proxy_unescape(const char *s, size_t len, char *out, size_t cap, size_t *n)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '%') {
			int hi = i + 2 < len ? proxy_hex(s[i + 1]) : -1;
			int lo = i + 2 < len ? proxy_hex(s[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (*n + 1 >= cap)
			return -1;
		out[(*n)++] = c;
	}
	out[*n] = '\0';
	return 0;
}

CPOD_INTERNAL int http_proxy_parse(const char *value, http_proxy *out, cpod_err *err)
{
	char tmp[1024], cred[400];
	const char *s = value;
	http_url u;

	memset(out, 0, sizeof(*out));
	if (!strstr(s, "://")) {
		/* a bare "host:port", as many set it */
		if (snprintf(tmp, sizeof(tmp), "http://%s", s) >= (int)sizeof(tmp))
			return err_set(err, CPOD_E_LIMIT, "proxy setting too long");
		s = tmp;
	} else if (strncasecmp(s, "http://", 7) != 0) {
		return err_set(err, CPOD_E_UNSUPPORTED,
			       "proxy %.*s: only http:// proxies are supported",
			       (int)strcspn(s, "@/") + 2, s);
	}
	/* userinfo: everything before the last '@' of the authority */
	const char *auth = s + 7;
	size_t alen = strcspn(auth, "/?#");
	const char *at = NULL;
	for (size_t i = 0; i < alen; i++)
		if (auth[i] == '@')
			at = auth + i;
	char rest[1024];
	if (at) {
		size_t n = 0;
		if (proxy_unescape(auth, (size_t)(at - auth), cred, sizeof(cred), &n) < 0)
			return err_set(err, CPOD_E_INVALID,
				       "bad credentials in the proxy setting");
		if (!strchr(cred, ':') && n + 1 < sizeof(cred)) {
			cred[n++] = ':';
			cred[n] = '\0';
		}
		memcpy(out->auth, "Basic ", 6);
		if (http_base64(cred, strlen(cred), out->auth + 6, sizeof(out->auth) - 6) < 0)
			return err_set(err, CPOD_E_LIMIT, "proxy credentials too long");
		explicit_bzero(cred, sizeof(cred));
		if (snprintf(rest, sizeof(rest), "http://%s", at + 1) >= (int)sizeof(rest))
			return err_set(err, CPOD_E_LIMIT, "proxy setting too long");
		s = rest;
	}
	if (http_url_parse(s, NULL, &u, err) < 0)
		return err_prefix(err, "bad proxy setting");
	/* "proxy:3128" is common; a proxy URL without a port means 80 */
	strcpy(out->host, u.host);
	out->port = u.port;
	return 0;
}

/* ------------------------------------------------------------ NO_PROXY */

/* addr within prefix/bits? */
static bool proxy_in_cidr(const net_addr *addr, const net_addr *prefix, unsigned bits)
{
	const uint8_t *a, *p;
	unsigned max;

	if (addr->sa.ss_family != prefix->sa.ss_family)
		return false;
	if (addr->sa.ss_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)&addr->sa)->sin_addr;
		p = (const uint8_t *)&((const struct sockaddr_in *)&prefix->sa)->sin_addr;
		max = 32;
	} else {
		a = (const uint8_t *)&((const struct sockaddr_in6 *)&addr->sa)->sin6_addr;
		p = (const uint8_t *)&((const struct sockaddr_in6 *)&prefix->sa)->sin6_addr;
		max = 128;
	}
	if (bits > max)
		return false;
	for (unsigned i = 0; i < bits; i++)
		if (((a[i / 8] ^ p[i / 8]) >> (7 - i % 8)) & 1)
			return false;
	return true;
}

static bool proxy_is_loopback(const char *host, const net_addr *ip, bool is_ip)
{
	size_t l = strlen(host);
	if (!strcasecmp(host, "localhost") || (l > 10 && !strcasecmp(host + l - 10, ".localhost")))
		return true;
	if (!is_ip)
		return false;
	if (ip->sa.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&ip->sa;
		return ((const uint8_t *)&s->sin_addr)[0] == 127;
	}
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)&ip->sa)->sin6_addr);
}

/* One NO_PROXY entry e[0..len) against host:port. */
static bool proxy_entry_matches(const char *e, size_t len, const char *host, uint16_t port,
				const net_addr *ip, bool is_ip)
{
	char ent[300], *slash, *colon;
	long eport = -1;

	if (len == 0 || len >= sizeof(ent))
		return false;
	if (len == 1 && e[0] == '*')
		return true;
	memcpy(ent, e, len);
	ent[len] = '\0';

	if ((slash = strchr(ent, '/'))) {
		net_addr net;
		char *end;
		*slash = '\0';
		unsigned long bits = strtoul(slash + 1, &end, 10);
		return is_ip && *end == '\0' && slash[1] && net_parse_ip(ent, 0, &net) &&
		       proxy_in_cidr(ip, &net, (unsigned)bits);
	}
	/* a port: "[v6]:p" or "name:p"; more than one colon is a bare IPv6 */
	colon = strrchr(ent, ':');
	if (colon && (ent[0] == '[' ? colon > strchr(ent, ']') : strchr(ent, ':') == colon)) {
		char *end;
		eport = strtol(colon + 1, &end, 10);
		if (*end || colon[1] == '\0')
			return false;
		*colon = '\0';
	}
	if (eport >= 0 && eport != port)
		return false;
	net_addr eip;
	if (net_parse_ip(ent, 0, &eip)) {
		if (!is_ip || eip.sa.ss_family != ip->sa.ss_family)
			return false;
		return proxy_in_cidr(ip, &eip, eip.sa.ss_family == AF_INET ? 32 : 128);
	}
	char *name = ent;
	size_t nl = strlen(name);
	while (nl && name[nl - 1] == '.')
		name[--nl] = '\0';
	if (!strncmp(name, "*.", 2)) {
		name++;
		nl--;
	}
	if (nl == 0 || (nl == 1 && name[0] == '.'))
		return false;
	size_t hl = strlen(host);
	/* ".name": strict subdomains; "name": itself too */
	if (name[0] == '.')
		return hl > nl && !strcasecmp(host + hl - nl, name);
	if (hl == nl)
		return !strcasecmp(host, name);
	return hl > nl && host[hl - nl - 1] == '.' && !strcasecmp(host + hl - nl, name);
}

CPOD_INTERNAL bool http_no_proxy(const char *no_proxy, const char *host, uint16_t port)
{
	char h[256];
	net_addr ip;
	size_t hl = strlen(host);

	if (hl == 0 || hl >= sizeof(h))
		return false;
	memcpy(h, host, hl + 1);
	while (hl && h[hl - 1] == '.')
		h[--hl] = '\0';
	bool is_ip = net_parse_ip(h, 0, &ip);
	if (proxy_is_loopback(h, &ip, is_ip))
		return true;
	for (const char *p = no_proxy ? no_proxy : ""; *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		size_t l = strcspn(p, ", \t");
		if (l && proxy_entry_matches(p, l, h, port, &ip, is_ip))
			return true;
		p += l;
	}
	return false;
}
