/*
 * url.c — http and https URLs: parsing absolute ones, resolving a
 * Location against the URL that sent it (RFC 3986 section 5), and writing
 * them back (see http.h).
 *
 * Hosts are lowercased and must be DNS names or bracketed IPv6 addresses;
 * userinfo is refused (credentials belong in headers, not in URLs that end
 * up in logs).  Bytes a request line cannot carry (spaces, controls,
 * non-ASCII) are percent-encoded, as browsers do with sloppy Locations.
 */
#include "http.h"
#include <arpa/inet.h>

static bool url_is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool url_is_digit(char c) { return c >= '0' && c <= '9'; }

/* The length of a scheme followed by ':' at the start of s, or 0. */
static size_t url_scheme_len(const char *s)
{
	if (!url_is_alpha(s[0]))
		return 0;
	size_t i = 1;
	while (url_is_alpha(s[i]) || url_is_digit(s[i]) || (s[i] && strchr("+-.", s[i])))
		i++;
	return s[i] == ':' ? i : 0;
}

static int url_authority(const char *s, size_t len, http_url *u, cpod_err *err)
{
	const char *end = s + len, *hend, *p;

	if (memchr(s, '@', len))
		return err_set(err, CPOD_E_INVALID, "credentials in URLs are not supported");
	if (len && s[0] == '[') {
		hend = memchr(s, ']', len);
		if (!hend)
			return err_set(err, CPOD_E_INVALID, "unterminated IPv6 address");
		size_t hl = (size_t)(hend - s - 1);
		struct in6_addr a;
		if (hl == 0 || hl >= sizeof(u->host))
			return err_set(err, CPOD_E_INVALID, "bad IPv6 address");
		memcpy(u->host, s + 1, hl);
		u->host[hl] = '\0';
		if (inet_pton(AF_INET6, u->host, &a) != 1)
			return err_set(err, CPOD_E_INVALID, "bad IPv6 address %s", u->host);
		p = hend + 1;
		if (p < end && *p != ':')
			return err_set(err, CPOD_E_INVALID, "junk after the IPv6 address");
	} else {
		hend = memchr(s, ':', len);
		if (!hend)
			hend = end;
		size_t hl = (size_t)(hend - s);
		if (hl == 0)
			return err_set(err, CPOD_E_INVALID, "no host");
		if (hl >= sizeof(u->host))
			return err_set(err, CPOD_E_LIMIT, "host name too long");
		for (size_t i = 0; i < hl; i++) {
			char c = s[i];
			if (c >= 'A' && c <= 'Z')
				c = (char)(c + 32);
			if (!url_is_alpha(c) && !url_is_digit(c) && (!c || !strchr("-._", c)))
				return err_set(err, CPOD_E_INVALID, "bad character in host name");
			u->host[i] = c;
		}
		u->host[hl] = '\0';
		p = hend;
	}
	if (p < end) {  /* ':' port, empty meaning the default */
		unsigned long port = 0;
		for (p++; p < end; p++) {
			if (!url_is_digit(*p))
				return err_set(err, CPOD_E_INVALID, "bad port");
			if ((port = port * 10 + (unsigned long)(*p - '0')) > 65535)
				return err_set(err, CPOD_E_INVALID, "bad port");
		}
		if (p[-1] != ':') {
			if (port == 0)
				return err_set(err, CPOD_E_INVALID, "bad port");
			u->port = (uint16_t)port;
		}
	}
	return 0;
}

/* Appends path text, percent-encoding what a request line cannot carry. */
static int url_put(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool plain = c > 0x20 && c < 0x7f && !strchr("\"<>\\^`{|}", c);
		if (*n + (plain ? 1 : 3) >= cap)
			return -1;
		if (plain) {
			out[(*n)++] = (char)c;
		} else {
			out[(*n)++] = '%';
			out[(*n)++] = hex[c >> 4];
			out[(*n)++] = hex[c & 15];
		}
	}
	out[*n] = '\0';
	return 0;
}

/* RFC 3986 5.2.4 on the path in place (the query is not touched). */
static void url_remove_dots(char *path)
{
	char *q = strchr(path, '?');
	size_t len = q ? (size_t)(q - path) : strlen(path);
	char *in = path, *end = path + len, *out = path;

	while (in < end) {
		size_t left = (size_t)(end - in);
		if (left >= 3 && !strncmp(in, "../", 3)) {
			in += 3;
		} else if (left >= 2 && !strncmp(in, "./", 2)) {
			in += 2;
		} else if (left >= 3 && !strncmp(in, "/./", 3)) {
			in += 2;
		} else if (left == 2 && !strncmp(in, "/.", 2)) {
			in[1] = '/';
			in += 1;
		} else if ((left >= 4 && !strncmp(in, "/../", 4)) ||
			   (left == 3 && !strncmp(in, "/..", 3))) {
			in += 3;
			if (left == 3)
				*--in = '/';
			while (out > path && *--out != '/')
				;
		} else if ((left == 1 && in[0] == '.') || (left == 2 && !strncmp(in, "..", 2))) {
			in = end;
		} else {
			/* the first segment, with its leading '/' */
			do
				*out++ = *in++;
			while (in < end && *in != '/');
		}
	}
	memmove(out, end, strlen(end) + 1);
}

CPOD_INTERNAL int http_url_parse(const char *s, const http_url *base, http_url *out,
				 cpod_err *err)
{
	http_url u;
	char path[sizeof(u.path)];
	size_t n = 0;

	memset(&u, 0, sizeof(u));
	while (*s == ' ' || *s == '\t')
		s++;
	size_t len = strcspn(s, "#");
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
		       s[len - 1] == '\n'))
		len--;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0' || s[i] == '\r' || s[i] == '\n')
			return err_set(err, CPOD_E_INVALID, "bad URL");

	size_t sl = url_scheme_len(s);
	const char *rest = s;
	if (sl) {
		if (sl >= sizeof(u.scheme))
			return err_set(err, CPOD_E_INVALID, "unsupported URL scheme");
		for (size_t i = 0; i < sl; i++)
			u.scheme[i] = (char)(s[i] | 0x20);
		if (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0)
			return err_set(err, CPOD_E_INVALID, "unsupported URL scheme %s", u.scheme);
		rest = s + sl + 1;
		if (strncmp(rest, "//", 2) != 0)
			return err_set(err, CPOD_E_INVALID, "bad URL: no host");
	} else if (!base) {
		return err_set(err, CPOD_E_INVALID, "not an absolute URL");
	} else {
		strcpy(u.scheme, base->scheme);
	}
	len -= (size_t)(rest - s);

	if (len >= 2 && !strncmp(rest, "//", 2)) {
		size_t al = strcspn(rest + 2, "/?#");
		if (al > len - 2)
			al = len - 2;
		u.port = strcmp(u.scheme, "https") == 0 ? 443 : 80;
		if (url_authority(rest + 2, al, &u, err) < 0)
			return -1;
		rest += 2 + al;
		len -= 2 + al;
		if (len == 0 || rest[0] == '?')
			path[n++] = '/';
		path[n] = '\0';
		if (url_put(path, sizeof(path), &n, rest, len) < 0)
			goto too_long;
	} else {
		/* relative to base: RFC 3986 5.2.2 without an authority */
		strcpy(u.host, base->host);
		u.port = base->port;
		const char *bq = strchr(base->path, '?');
		size_t bpath = bq ? (size_t)(bq - base->path) : strlen(base->path);
		if (len == 0) {
			n = strlen(base->path);
			memcpy(path, base->path, n + 1);
		} else if (rest[0] == '?') {
			memcpy(path, base->path, bpath);
			n = bpath;
		} else if (rest[0] != '/') {
			n = bpath;
			while (n > 0 && base->path[n - 1] != '/')
				n--;
			memcpy(path, base->path, n);
			if (n == 0)
				path[n++] = '/';
		}
		path[n] = '\0';
		if (url_put(path, sizeof(path), &n, rest, len) < 0)
			goto too_long;
	}
	url_remove_dots(path);
	if (path[0] != '/') {
		/* "?q" alone kept the base path; anything else is rooted */
		if (strlen(path) + 1 >= sizeof(u.path))
			goto too_long;
		u.path[0] = '/';
		strcpy(u.path + 1, path);
	} else {
		strcpy(u.path, path);
	}
	*out = u;
	return 0;
too_long:
	return err_set(err, CPOD_E_LIMIT, "URL too long");
}

CPOD_INTERNAL void http_url_hostport(const http_url *u, bool always_port, char *out, size_t n)
{
	bool v6 = strchr(u->host, ':') != NULL;
	bool dflt = u->port == (strcmp(u->scheme, "https") == 0 ? 443 : 80);

	if (dflt && !always_port)
		snprintf(out, n, v6 ? "[%s]" : "%s", u->host);
	else
		snprintf(out, n, v6 ? "[%s]:%u" : "%s:%u", u->host, u->port);
}

CPOD_INTERNAL void http_url_str(const http_url *u, char *out, size_t n)
{
	char hp[300];
	http_url_hostport(u, false, hp, sizeof(hp));
	if (snprintf(out, n, "%s://%s%s", u->scheme, hp, u->path) >= (int)n)
		log_debug("URL cut to %zu bytes", n);
}
