/*
 * resolve.c — name resolution without glibc's NSS and TCP connections
 * (see resolve.h): /etc/hosts, then DNS to the servers of resolv.conf with
 * its search list and options, the way glibc's resolver walks them.  The
 * wire format is dns.c's.
 *
 * Both A and AAAA go out together on one connected UDP socket per server
 * (the kernel then drops datagrams from anyone else); a reply that does not
 * match its query is ignored, not fatal, so a spoofed or stale datagram
 * cannot end the wait.  Truncated replies are asked again over TCP.
 */
#include "resolve.h"
#include "../base/buf.h"
#include "../base/fs.h"
#include "../base/proc.h"
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/random.h>

#define RESOLVE_MAX_FILE (1 << 20)
#define RESOLVE_MAX_ADDRS 32

/* if_nametoindex without what it drags into a static binary (getifaddrs,
 * netlink, ~20 KB). */
static unsigned resolve_if_index(const char *name)
{
	struct ifreq ifr;
	size_t len = strlen(name);
	if (len == 0 || len >= sizeof(ifr.ifr_name))
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, len);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int r = ioctl(fd, SIOCGIFINDEX, &ifr);
	close(fd);
	return r < 0 || ifr.ifr_ifindex <= 0 ? 0 : (unsigned)ifr.ifr_ifindex;
}

CPOD_INTERNAL bool net_parse_ip(const char *s, uint16_t port, net_addr *out)
{
	char tmp[INET6_ADDRSTRLEN + IF_NAMESIZE + 4];
	size_t len = strlen(s);

	memset(out, 0, sizeof(*out));
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(tmp))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';

	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->sa;
	if (!strchr(tmp, ':') && inet_pton(AF_INET, tmp, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		out->len = sizeof(*v4);
		return true;
	}
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->sa;
	char *zone = strchr(tmp, '%');
	if (zone)
		*zone++ = '\0';
	if (inet_pton(AF_INET6, tmp, &v6->sin6_addr) != 1)
		return false;
	if (zone) {
		char *end;
		unsigned long idx = strtoul(zone, &end, 10);
		if (*zone == '\0' || *end != '\0')
			idx = resolve_if_index(zone);
		if (idx == 0 || idx > UINT32_MAX)
			return false;
		v6->sin6_scope_id = (uint32_t)idx;
	}
	v6->sin6_family = AF_INET6;
	v6->sin6_port = htons(port);
	out->len = sizeof(*v6);
	return true;
}

CPOD_INTERNAL void net_addr_str(const net_addr *a, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (a->sa.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&a->sa;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(out, n, "%s:%u", ip, ntohs(s->sin_port));
	} else if (a->sa.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&a->sa;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(out, n, "[%s]:%u", ip, ntohs(s->sin6_port));
	} else {
		snprintf(out, n, "(no address)");
	}
}

static bool resolve_same_addr(const net_addr *a, const net_addr *b)
{
	if (a->sa.ss_family != b->sa.ss_family)
		return false;
	if (a->sa.ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)&a->sa)->sin_addr,
			      &((const struct sockaddr_in *)&b->sa)->sin_addr, 4) == 0;
	return memcmp(&((const struct sockaddr_in6 *)&a->sa)->sin6_addr,
		      &((const struct sockaddr_in6 *)&b->sa)->sin6_addr, 16) == 0;
}

/* ------------------------------------------------------------ the files */

/* The next whitespace-separated word of the line at *p (which stops at the
 * end of the line or a comment); NULL at the end of the line. */
static const char *resolve_word(const char **p, size_t *len)
{
	const char *s = *p;
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	if (*s == '\0' || *s == '\n' || *s == '#' || *s == ';') {
		*p = s;
		return NULL;
	}
	const char *w = s;
	while (*s && !strchr(" \t\r\n#;", *s))
		s++;
	*len = (size_t)(s - w);
	*p = s;
	return w;
}

static const char *resolve_next_line(const char *p)
{
	const char *nl = strchr(p, '\n');
	return nl ? nl + 1 : NULL;
}

static bool resolve_word_is(const char *w, size_t len, const char *s)
{
	return len == strlen(s) && strncmp(w, s, len) == 0;
}

/* "name:N" options, clamped like glibc does. */
static void resolve_option(const char *w, size_t len, const char *name, int max, int *out)
{
	size_t nl = strlen(name);
	if (len <= nl + 1 || strncmp(w, name, nl) != 0 || w[nl] != ':')
		return;
	int v = 0;
	for (size_t i = nl + 1; i < len; i++) {
		if (w[i] < '0' || w[i] > '9')
			return;
		if (v < 1000)
			v = v * 10 + (w[i] - '0');
	}
	*out = v > max ? max : v;
}

CPOD_INTERNAL void resolv_conf_parse(const char *text, resolv_conf *rc)
{
	memset(rc, 0, sizeof(*rc));
	rc->ndots = 1;
	rc->timeout_s = 5;
	rc->attempts = 2;
	bool have_search = false;

	for (const char *line = text; line; line = resolve_next_line(line)) {
		const char *p = line, *w;
		size_t len;
		if (!(w = resolve_word(&p, &len)))
			continue;
		if (resolve_word_is(w, len, "nameserver")) {
			char ip[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
			if (!(w = resolve_word(&p, &len)) || len >= sizeof(ip) ||
			    rc->n_ns >= RESOLV_MAX_NS)
				continue;
			memcpy(ip, w, len);
			ip[len] = '\0';
			if (net_parse_ip(ip, 53, &rc->ns[rc->n_ns]))
				rc->n_ns++;
		} else if (resolve_word_is(w, len, "search") ||
			   resolve_word_is(w, len, "domain")) {
			/* the last search or domain line wins */
			bool one = w[0] == 'd';
			rc->n_search = 0;
			have_search = true;
			while ((w = resolve_word(&p, &len)) && rc->n_search < RESOLV_MAX_SEARCH) {
				while (len && w[len - 1] == '.')
					len--;
				if (len == 0 || len >= sizeof(rc->search[0]))
					continue;
				memcpy(rc->search[rc->n_search], w, len);
				rc->search[rc->n_search++][len] = '\0';
				if (one)
					break;
			}
		} else if (resolve_word_is(w, len, "options")) {
			while ((w = resolve_word(&p, &len))) {
				resolve_option(w, len, "ndots", 15, &rc->ndots);
				resolve_option(w, len, "timeout", 30, &rc->timeout_s);
				resolve_option(w, len, "attempts", 5, &rc->attempts);
			}
		}
	}
	if (rc->timeout_s < 1)
		rc->timeout_s = 1;
	if (rc->attempts < 1)
		rc->attempts = 1;
	if (rc->n_ns == 0) {
		net_parse_ip("127.0.0.1", 53, &rc->ns[0]);
		rc->n_ns = 1;
	}
	/* no search line: the domain of the host name, as glibc */
	char host[256];
	if (!have_search && gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		char *dot = strchr(host, '.');
		if (dot && dot[1] && strlen(dot + 1) < sizeof(rc->search[0])) {
			strcpy(rc->search[0], dot + 1);
			rc->n_search = 1;
		}
	}
}

/* name equals w[0..len) ignoring case and a final dot on either */
static bool resolve_name_eq(const char *name, const char *w, size_t len)
{
	size_t nl = strlen(name);
	if (nl && name[nl - 1] == '.')
		nl--;
	if (len && w[len - 1] == '.')
		len--;
	return nl == len && nl && strncasecmp(name, w, len) == 0;
}

static void resolve_add(net_addr *out, size_t max, size_t *n, const net_addr *a)
{
	for (size_t i = 0; i < *n; i++)
		if (resolve_same_addr(&out[i], a))
			return;
	if (*n < max)
		out[(*n)++] = *a;
}

CPOD_INTERNAL void resolv_hosts_lookup(const char *text, const char *name, uint16_t port,
				       net_addr *out, size_t max, size_t *n)
{
	*n = 0;
	for (const char *line = text; line; line = resolve_next_line(line)) {
		const char *p = line, *w;
		size_t len;
		char ip[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
		net_addr a;

		if (!(w = resolve_word(&p, &len)) || len >= sizeof(ip))
			continue;
		memcpy(ip, w, len);
		ip[len] = '\0';
		if (strchr(ip, '[') || !net_parse_ip(ip, port, &a))
			continue;
		while ((w = resolve_word(&p, &len))) {
			if (resolve_name_eq(name, w, len)) {
				resolve_add(out, max, n, &a);
				break;
			}
		}
	}
}

/* Reads the file named by env (or path) into b; a missing file is empty. */
static int resolve_read(const char *env, const char *path, buf *b, cpod_err *err)
{
	const char *p = getenv(env);
	if (p && *p)
		path = p;
	if (fs_read_file(AT_FDCWD, path, RESOLVE_MAX_FILE, b, err) == 0)
		return 0;
	if (errno == ENOENT) {
		buf_reset(b);
		return buf_append(b, "", 0, err);
	}
	return -1;
}

/* ------------------------------------------------------------ DNS */

enum { RESOLVE_PENDING = -2 };

typedef struct resolve_query {
	uint16_t qtype, id;
	int state;                       /* RESOLVE_PENDING or an enum dns_result */
	uint8_t msg[DNS_MAX_NAME + 32];
	int len;
	net_addr addrs[RESOLVE_MAX_ADDRS / 2];
	size_t n;
} resolve_query;

static uint16_t resolve_random_id(void)
{
	uint16_t id;
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != (ssize_t)sizeof(id))
		id = (uint16_t)(proc_now_ms() * 2654435761u ^ (uint64_t)getpid());
	return id;
}

/* The reply in msg for one of the queries still pending. */
static void resolve_take(const uint8_t *msg, size_t len, const char *name, uint16_t port,
			 resolve_query *q, size_t nq)
{
	cpod_err err;
	for (size_t i = 0; i < nq; i++) {
		if (q[i].state != RESOLVE_PENDING || len < 2 || (msg[0] << 8 | msg[1]) != q[i].id)
			continue;
		size_t n = 0;
		int r = dns_parse_reply(msg, len, q[i].id, name, q[i].qtype, port, q[i].addrs,
					ARRAY_LEN(q[i].addrs), &n, &err);
		if (r < 0) {
			log_debug("resolve %s: ignored: %s", name, err.msg);
			return;
		}
		q[i].n = n;
		q[i].state = r;
		return;
	}
}

static int resolve_poll(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - proc_now_ms();
		if (left <= 0)
			return 0;
		if (left > INT_MAX)
			left = INT_MAX;
		struct pollfd p = { .fd = fd, .events = events };
		int r = poll(&p, 1, (int)left);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

static int resolve_io(int fd, void *data, size_t len, bool out, int64_t deadline)
{
	for (size_t off = 0; off < len;) {
		if (resolve_poll(fd, out ? POLLOUT : POLLIN, deadline) <= 0)
			return -1;
		ssize_t r = out ? send(fd, (char *)data + off, len - off, MSG_NOSIGNAL)
				: recv(fd, (char *)data + off, len - off, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

/* One query over TCP (after a truncated UDP reply). */
static void resolve_tcp(const net_addr *ns, const char *name, uint16_t port, resolve_query *q,
			int64_t deadline)
{
	_cleanup_close_ int fd = socket(ns->sa.ss_family,
					SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	_cleanup_free_ uint8_t *reply = NULL;
	uint8_t lenbuf[2] = { (uint8_t)(q->len >> 8), (uint8_t)q->len };

	q->state = DNS_SERVFAIL;
	if (fd < 0)
		return;
	if (connect(fd, (const struct sockaddr *)&ns->sa, ns->len) < 0 && errno != EINPROGRESS)
		return;
	if (resolve_io(fd, lenbuf, 2, true, deadline) < 0 ||
	    resolve_io(fd, q->msg, (size_t)q->len, true, deadline) < 0 ||
	    resolve_io(fd, lenbuf, 2, false, deadline) < 0)
		return;
	size_t len = (size_t)lenbuf[0] << 8 | lenbuf[1];
	if (!(reply = malloc(len ? len : 1)) || resolve_io(fd, reply, len, false, deadline) < 0)
		return;
	q->state = RESOLVE_PENDING;
	resolve_take(reply, len, name, port, q, 1);
	/* truncated over TCP too, or not an answer to this query */
	if (q->state == RESOLVE_PENDING || q->state == DNS_TRUNCATED)
		q->state = DNS_SERVFAIL;
}

/* Asks one server every query still pending; those without an answer by
 * the timeout stay pending.  Returns why some did not get one (an errno),
 * or 0. */
static int resolve_ask(const net_addr *ns, const char *name, uint16_t port, resolve_query *q,
			size_t nq, int timeout_ms)
{
	int64_t deadline = proc_now_ms() + timeout_ms;
	_cleanup_close_ int fd = socket(ns->sa.ss_family,
					SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	uint8_t reply[DNS_MAX_UDP];

	if (fd < 0 || connect(fd, (const struct sockaddr *)&ns->sa, ns->len) < 0)
		return errno;
	for (size_t i = 0; i < nq; i++) {
		if (q[i].state != RESOLVE_PENDING)
			continue;
		q[i].id = resolve_random_id();
		q[i].msg[0] = (uint8_t)(q[i].id >> 8);
		q[i].msg[1] = (uint8_t)q[i].id;
		if (send(fd, q[i].msg, (size_t)q[i].len, MSG_NOSIGNAL) < 0)
			return errno;
	}
	int why = 0;
	for (;;) {
		size_t pending = 0;
		for (size_t i = 0; i < nq; i++)
			pending += q[i].state == RESOLVE_PENDING;
		if (pending == 0)
			break;
		if (resolve_poll(fd, POLLIN, deadline) <= 0) {
			why = ETIMEDOUT;
			break;
		}
		ssize_t r = recv(fd, reply, sizeof(reply), 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0) {
			why = errno;  /* ECONNREFUSED: nobody listens there */
			break;
		}
		resolve_take(reply, (size_t)r, name, port, q, nq);
	}
	for (size_t i = 0; i < nq; i++)
		if (q[i].state == DNS_TRUNCATED)
			resolve_tcp(ns, name, port, &q[i], deadline + timeout_ms);
	return why;
}

/* DNS for one fully qualified name: 1 found (addresses in out), 0 the name
 * has no address, -1 no server answered. */
static int resolve_dns(const resolv_conf *rc, const char *name, uint16_t port, net_addr *out,
		       size_t max, size_t *n, cpod_err *err)
{
	resolve_query q[2] = { { .qtype = DNS_TYPE_A }, { .qtype = DNS_TYPE_AAAA } };
	char where[64] = "";
	bool failed = false;
	int why = ETIMEDOUT;

	for (size_t i = 0; i < 2; i++) {
		q[i].len = dns_build_query(q[i].msg, sizeof(q[i].msg), 0, name, q[i].qtype, err);
		if (q[i].len < 0)
			return -1;
		q[i].state = RESOLVE_PENDING;
	}
	for (int attempt = 0; attempt < rc->attempts; attempt++) {
		for (size_t s = 0; s < rc->n_ns; s++) {
			for (size_t i = 0; i < 2; i++)
				if (q[i].state != DNS_ANSWER && q[i].state != DNS_NXDOMAIN)
					q[i].state = RESOLVE_PENDING;
			int w = resolve_ask(&rc->ns[s], name, port, q, 2, rc->timeout_s * 1000);
			bool nx = q[0].state == DNS_NXDOMAIN || q[1].state == DNS_NXDOMAIN;
			bool done = q[0].state == DNS_ANSWER && q[1].state == DNS_ANSWER;
			if (q[0].n + q[1].n > 0) {
				*n = 0;
				for (size_t i = 0; i < 2; i++)
					for (size_t k = 0; k < q[i].n; k++)
						resolve_add(out, max, n, &q[i].addrs[k]);
				return 1;
			}
			if (nx || done)
				return 0;
			net_addr_str(&rc->ns[s], where, sizeof(where));
			failed |= q[0].state == DNS_SERVFAIL || q[1].state == DNS_SERVFAIL;
			if (w)
				why = w;
		}
	}
	if (failed)
		return err_set(err, CPOD_E_SYS, "the nameservers could not answer (last %s: "
			       "SERVFAIL, REFUSED or a bad reply)", where);
	return err_sysn(err, why, "no answer from the nameservers (last %s)", where);
}

CPOD_INTERNAL int net_resolve(const char *host, uint16_t port, net_addr *out, size_t max,
			      size_t *n, cpod_err *err)
{
	_cleanup_buf_ buf text = BUF_INIT;
	size_t len = strlen(host);
	resolv_conf rc;

	*n = 0;
	if (max == 0)
		return err_set(err, CPOD_E_INVALID, "resolve %s: no room for addresses", host);
	if (net_parse_ip(host, port, &out[0])) {
		*n = 1;
		return 0;
	}
	if (len == 0 || len > DNS_MAX_NAME - 1 || strspn(host, ".") == len)
		return err_set(err, CPOD_E_INVALID, "invalid host name \"%s\"", host);

	if (resolve_read("CPOD_HOSTS", "/etc/hosts", &text, err) < 0)
		return err_prefix(err, "resolve %s", host);
	resolv_hosts_lookup(text.data, host, port, out, max, n);
	if (*n)
		return 0;

	bool absolute = host[len - 1] == '.';
	char name[DNS_MAX_NAME];
	memcpy(name, host, len + 1);
	if (absolute)
		name[--len] = '\0';
	if (strcasecmp(name, "localhost") == 0 ||
	    (len > 10 && strcasecmp(name + len - 10, ".localhost") == 0)) {
		net_parse_ip("127.0.0.1", port, &out[(*n)++]);
		if (max > 1)
			net_parse_ip("::1", port, &out[(*n)++]);
		return 0;
	}

	buf_reset(&text);
	if (resolve_read("CPOD_RESOLV_CONF", "/etc/resolv.conf", &text, err) < 0)
		return err_prefix(err, "resolve %s", host);
	resolv_conf_parse(text.data, &rc);

	/* the candidates in glibc's order: as is first when it has ndots dots */
	const char *cand[RESOLV_MAX_SEARCH + 1];
	char full[RESOLV_MAX_SEARCH][DNS_MAX_NAME];
	size_t ncand = 0, dots = 0;
	for (const char *p = name; *p; p++)
		dots += *p == '.';
	bool first = absolute || (int)dots >= rc.ndots;
	if (first)
		cand[ncand++] = name;
	for (size_t i = 0; i < rc.n_search && !absolute; i++) {
		int r = snprintf(full[i], sizeof(full[i]), "%s.%s", name, rc.search[i]);
		if (r > 0 && (size_t)r < sizeof(full[i]))
			cand[ncand++] = full[i];
	}
	if (!first)
		cand[ncand++] = name;

	for (size_t i = 0; i < ncand; i++) {
		int r = resolve_dns(&rc, cand[i], port, out, max, n, err);
		if (r < 0)
			return err_prefix(err, "resolve %s", cand[i]);
		if (r > 0)
			return 0;
	}
	return err_set(err, CPOD_E_NOTFOUND, "unknown host %s", host);
}

/* ------------------------------------------------------------ connecting */

static int resolve_connect_one(const net_addr *a, int timeout_ms, cpod_err *err)
{
	char where[64];
	_cleanup_close_ int fd = socket(a->sa.ss_family,
					SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	net_addr_str(a, where, sizeof(where));
	if (fd < 0)
		return err_sys(err, "socket");
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&a->sa, a->len) < 0) {
		if (errno != EINPROGRESS)
			return err_sys(err, "%s", where);
		int64_t deadline = timeout_ms > 0 ? proc_now_ms() + timeout_ms : INT64_MAX;
		int r = resolve_poll(fd, POLLOUT, deadline);
		if (r < 0)
			return err_sys(err, "%s: poll", where);
		if (r == 0)
			return err_sysn(err, ETIMEDOUT, "%s: no connection after %d ms", where,
					timeout_ms);
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			return err_sys(err, "%s", where);
		if (soerr)
			return err_sysn(err, soerr, "%s", where);
	}
	return TAKE_FD(fd);
}

CPOD_INTERNAL int net_connect(const char *host, uint16_t port, int timeout_ms, cpod_err *err)
{
	net_addr addrs[RESOLVE_MAX_ADDRS];
	size_t n = 0;

	if (net_resolve(host, port, addrs, ARRAY_LEN(addrs), &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int fd = resolve_connect_one(&addrs[i], timeout_ms, err);
		if (fd >= 0)
			return fd;
		log_debug("connect %s:%u: %s", host, port, err ? err->msg : "");
	}
	return err_prefix(err, "connect to %s:%u", host, port);
}
