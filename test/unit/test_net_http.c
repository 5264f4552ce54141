/*
 * test_net_http.c — the HTTP client against servers of the test's own, in
 * the test's network namespace (see test_net_0common.c): an origin server
 * on 127.0.0.1 and another on 127.0.0.2 (another host, named other.test in
 * the test's hosts file), and a small proxy (CONNECT tunnels and
 * absolute-form requests).  They count connections and keep what the
 * client sent, so the tests check keep-alive reuse, framing, redirects
 * (Authorization dropped across hosts, methods and bodies), the retry on a
 * connection the server closed, timeouts and HTTP_PROXY/NO_PROXY.
 */

typedef struct thttp_stats {
	int connections;
	int requests;
	char line[512];          /* the last request line */
	char auth[256];          /* its Authorization, "" for none */
	char proxy_auth[256];
	char te[64];             /* its Transfer-Encoding */
	char clen[32];           /* its Content-Length */
	char body[8192];         /* its body, dechunked */
	size_t body_len;
	char connect[256];       /* the last CONNECT target (proxy) */
} thttp_stats;

typedef struct thttp_server {
	int fd;
	bool proxy;
	thttp_stats *st;
} thttp_server;

enum { THTTP_PORT = 8080, THTTP_PROXY_PORT = 3128 };

static thttp_stats *thttp_origin, *thttp_other, *thttp_proxy;

static const char *thttp_hdr(const char *head, const char *name, char *out, size_t cap)
{
	out[0] = '\0';
	for (const char *p = strstr(head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
		size_t nl = strlen(name);
		if (!strncasecmp(p + 2, name, nl) && p[2 + nl] == ':') {
			const char *v = p + 3 + nl;
			while (*v == ' ')
				v++;
			size_t l = strcspn(v, "\r");
			snprintf(out, cap, "%.*s", (int)(l < cap ? l : cap - 1), v);
			break;
		}
	}
	return out;
}

/* Reads the request body into st (content-length or chunked); the bytes
 * after the head are in b[head..have). */
static bool thttp_body(int fd, char *b, size_t head, size_t have, thttp_stats *st)
{
	size_t len = have - head;
	char *data = b + head;
	st->body_len = 0;
	if (st->te[0]) {
		http_chunked d;
		cpod_err err;
		memset(&d, 0, sizeof(d));
		for (;;) {
			size_t used = 0, produced = 0;
			int r = http_chunked_feed(&d, data, len, &used, st->body + st->body_len,
						  sizeof(st->body) - st->body_len, &produced,
						  &err);
			if (r < 0)
				return false;
			st->body_len += produced;
			data += used;
			len -= used;
			if (r == 1)
				return true;
			if (len == 0) {
				ssize_t n = read(fd, b, 65536);
				if (n <= 0)
					return false;
				data = b;
				len = (size_t)n;
			}
		}
	}
	size_t want = (size_t)atol(st->clen);
	while (len < want && want <= sizeof(st->body)) {
		ssize_t n = read(fd, data + len, want - len);
		if (n <= 0)
			return false;
		len += (size_t)n;
	}
	if (want > sizeof(st->body))
		return false;
	memcpy(st->body, data, want);
	st->body_len = want;
	return true;
}

/* One write, so a small response arrives whole. */
static void thttp_send(int fd, const char *status, const char *extra, const char *body)
{
	char h[2048];
	int n = snprintf(h, sizeof(h), "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\n\r\n%s", status,
			 extra, strlen(body), body);
	tnet_write(fd, h, n < (int)sizeof(h) ? (size_t)n : sizeof(h) - 1);
}

/* A CONNECT tunnel: bytes both ways until one side closes. */
static void thttp_tunnel(int a, const char *target)
{
	char host[256];
	cpod_err err;
	snprintf(host, sizeof(host), "%.200s", target);
	char *colon = strrchr(host, ':');
	if (!colon)
		return;
	*colon = '\0';
	int b = net_connect(host, (uint16_t)atoi(colon + 1), 2000, &err);
	if (b < 0) {
		thttp_send(a, "502 Bad Gateway", "", err.msg);
		return;
	}
	int flags = fcntl(b, F_GETFL);
	fcntl(b, F_SETFL, flags & ~O_NONBLOCK);
	tnet_write(a, "HTTP/1.1 200 Connection established\r\n\r\n", 39);
	for (;;) {
		struct pollfd p[2] = { { .fd = a, .events = POLLIN },
				       { .fd = b, .events = POLLIN } };
		char data[16384];
		if (poll(p, 2, -1) < 0)
			continue;
		for (int i = 0; i < 2; i++) {
			if (!p[i].revents)
				continue;
			ssize_t n = read(p[i].fd, data, sizeof(data));
			if (n <= 0 || !tnet_write(p[1 - i].fd, data, (size_t)n)) {
				close(b);
				return;
			}
		}
	}
}

/* One connection: requests until it closes. */
static void thttp_conn(int fd, thttp_server *srv)
{
	static char b[70000];
	thttp_stats *st = srv->st;
	bool close_next = false;

	for (;;) {
		size_t have = 0;
		ssize_t head = tnet_read_head(fd, b, sizeof(b), &have);
		if (head <= 0 || close_next)
			return;
		__atomic_fetch_add(&st->requests, 1, __ATOMIC_SEQ_CST);
		char method[16] = "", path[1024] = "";
		sscanf(b, "%15s %1023s", method, path);
		path[strcspn(path, "?")] = '\0';
		snprintf(st->line, sizeof(st->line), "%.*s", (int)strcspn(b, "\r"), b);
		thttp_hdr(b, "Authorization", st->auth, sizeof(st->auth));
		thttp_hdr(b, "Proxy-Authorization", st->proxy_auth, sizeof(st->proxy_auth));
		thttp_hdr(b, "Transfer-Encoding", st->te, sizeof(st->te));
		thttp_hdr(b, "Content-Length", st->clen, sizeof(st->clen));
		if (!thttp_body(fd, b, (size_t)head, have, st))
			return;

		if (srv->proxy) {
			if (!strcmp(method, "CONNECT")) {
				snprintf(st->connect, sizeof(st->connect), "%.200s", path);
				thttp_tunnel(fd, path);
				return;
			}
			thttp_send(fd, "200 OK", "", "via proxy");
			continue;
		}
		char extra[512], body[512];
		if (!strcmp(path, "/hello")) {
			thttp_send(fd, "200 OK", "", "hello world");
		} else if (!strcmp(path, "/once")) {
			thttp_send(fd, "200 OK", "", "once");
			close_next = true;   /* the next request finds it closed */
		} else if (!strcmp(path, "/chunked")) {
			static const char r[] = "HTTP/1.1 200 OK\r\n"
						"Transfer-Encoding: chunked\r\n\r\n"
						"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n"
						"X-Trailer: y\r\n\r\n";
			tnet_write(fd, r, sizeof(r) - 1);
		} else if (!strcmp(path, "/big")) {
			static char big[1 << 20];
			for (size_t i = 0; i < sizeof(big); i++)
				big[i] = (char)('a' + i % 26);
			snprintf(extra, sizeof(extra),
				 "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", sizeof(big));
			tnet_write(fd, extra, strlen(extra));
			tnet_write(fd, big, sizeof(big));
		} else if (!strcmp(path, "/close")) {
			static const char r[] = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
						"to the end";
			tnet_write(fd, r, sizeof(r) - 1);
			return;
		} else if (!strcmp(path, "/http10")) {
			static const char r[] = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
			tnet_write(fd, r, sizeof(r) - 1);
		} else if (!strcmp(path, "/interim")) {
			static const char r[] = "HTTP/1.1 100 Continue\r\n\r\n"
						"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
			tnet_write(fd, r, sizeof(r) - 1);
		} else if (!strcmp(path, "/head")) {
			/* the length a GET would have; HEAD gets no body */
			tnet_write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", 41);
		} else if (!strcmp(path, "/204")) {
			tnet_write(fd, "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", 46);
		} else if (!strcmp(path, "/304")) {
			tnet_write(fd, "HTTP/1.1 304 Not Modified\r\n\r\n", 29);
		} else if (!strcmp(path, "/early-close")) {
			static const char r[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
						"0123456789";
			tnet_write(fd, r, sizeof(r) - 1);
			return;
		} else if (!strcmp(path, "/bad-length")) {
			static const char r[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
						"Content-Length: 6\r\n\r\nhello!";
			tnet_write(fd, r, sizeof(r) - 1);
		} else if (!strcmp(path, "/slow")) {
			pause();
		} else if (!strcmp(path, "/auth")) {
			thttp_send(fd, "200 OK", "", st->auth[0] ? st->auth : "none");
		} else if (!strcmp(path, "/echo")) {
			snprintf(extra, sizeof(extra), "X-Method: %s\r\n", method);
			snprintf(body, sizeof(body), "%.*s", (int)st->body_len, st->body);
			thttp_send(fd, "200 OK", extra, body);
		} else if (!strcmp(path, "/redirect-other")) {
			snprintf(extra, sizeof(extra), "Location: http://other.test:%d/auth\r\n",
				 THTTP_PORT);
			thttp_send(fd, "302 Found", extra, "moved");
		} else if (!strcmp(path, "/redirect-same")) {
			thttp_send(fd, "301 Moved Permanently", "Location: ../auth?x=1\r\n", "");
		} else if (!strcmp(path, "/redirect-back")) {
			/* from other.test back to the first origin */
			snprintf(extra, sizeof(extra), "Location: http://origin.test:%d/auth\r\n",
				 THTTP_PORT);
			thttp_send(fd, "307 Temporary Redirect", extra, "");
		} else if (!strcmp(path, "/307")) {
			thttp_send(fd, "307 Temporary Redirect", "Location: /echo\r\n", "");
		} else if (!strcmp(path, "/303")) {
			thttp_send(fd, "303 See Other", "Location: /echo\r\n", "");
		} else if (!strcmp(path, "/302")) {
			thttp_send(fd, "302 Found", "Location: /echo\r\n", "");
		} else if (!strcmp(path, "/loop")) {
			thttp_send(fd, "302 Found", "Location: /loop\r\n", "");
		} else {
			thttp_send(fd, "404 Not Found", "", "no such thing");
		}
	}
}

static void thttp_serve(void *arg)
{
	thttp_server *srv = arg;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN);   /* handlers are reaped by the kernel */
	for (;;) {
		int c = accept4(srv->fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		__atomic_fetch_add(&srv->st->connections, 1, __ATOMIC_SEQ_CST);
		pid_t pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			thttp_conn(c, srv);
			_exit(0);
		}
		close(c);
	}
}

static thttp_stats *thttp_start(const char *ip, uint16_t port, bool proxy)
{
	static thttp_server srv[4];
	static int n;
	thttp_server *s = &srv[n++ % 4];
	s->fd = tnet_listen(ip, port, 16);
	s->proxy = proxy;
	s->st = tnet_shared(sizeof(thttp_stats));
	if (s->fd < 0 || !s->st || tnet_fork(thttp_serve, s) < 0)
		return NULL;
	close(s->fd);
	return s->st;
}

static void thttp_setup(void)
{
	unsetenv("HTTP_PROXY");
	unsetenv("http_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("https_proxy");
	unsetenv("NO_PROXY");
	unsetenv("no_proxy");
	setenv("CPOD_RESOLV_CONF", tnet_file("resolv.conf", "nameserver 127.0.0.1\n"
					     "options timeout:1 attempts:1\n"), 1);
	setenv("CPOD_HOSTS", tnet_file("hosts", "127.0.0.1 origin.test registry.test\n"
				       "127.0.0.2 other.test\n"), 1);
	thttp_origin = thttp_start("127.0.0.1", THTTP_PORT, false);
	thttp_other = thttp_start("127.0.0.2", THTTP_PORT, false);
	thttp_proxy = thttp_start("127.0.0.1", THTTP_PROXY_PORT, true);
	/* the servers listen before they fork; a first connection each, so
	 * the counts start at 1 */
	thttp_stats *all[] = { thttp_origin, thttp_other, thttp_proxy };
	const char *ips[] = { "127.0.0.1", "127.0.0.2", "127.0.0.1" };
	uint16_t ports[] = { THTTP_PORT, THTTP_PORT, THTTP_PROXY_PORT };
	for (int i = 0; i < 3; i++) {
		if (!all[i] || !tnet_wait_port(ips[i], ports[i], 3000))
			continue;
		for (int k = 0; k < 300; k++) {
			if (__atomic_load_n(&all[i]->connections, __ATOMIC_SEQ_CST) >= 1)
				break;
			usleep(10000);
		}
	}
}

/* A GET (or another bodiless method); returns the response or NULL. */
static http_response *thttp_do(http_client *c, const char *method, const char *url,
			       const http_header *h, size_t nh, int redirects, cpod_err *err)
{
	http_request req = { .method = method, .url = url, .headers = h, .n_headers = nh,
			     .max_redirects = redirects };
	http_response *r = NULL;
	cpod_err_clear(err);
	if (http_do(c, &req, &r, err) < 0)
		return NULL;
	return r;
}

/* The body of a response as text (static buffer), "error: ..." on failure. */
static const char *thttp_text(http_response *r)
{
	static char out[4096];
	_cleanup_buf_ buf b = BUF_INIT;
	cpod_err err;
	if (!r)
		return "no response";
	if (http_read_body(r, sizeof(out) - 1, &b, &err) < 0)
		snprintf(out, sizeof(out), "error: %s", err.msg);
	else
		snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
	return out;
}

/* A byte_source over memory that can start over. */
typedef struct thttp_mem {
	const char *data;
	size_t len, off;
	int rewinds;
} thttp_mem;

static ssize_t thttp_mem_read(void *ctx, void *data, size_t n, cpod_err *err)
{
	thttp_mem *m = ctx;
	size_t k = m->len - m->off < n ? m->len - m->off : n;
	if (k > 3)
		k = 3;  /* small reads: many chunks */
	memcpy(data, m->data + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

static int thttp_mem_rewind(void *ctx, cpod_err *err)
{
	thttp_mem *m = ctx;
	m->off = 0;
	m->rewinds++;
	return 0;
}

static void thttp_keepalive(void)
{
	cpod_err err;
	http_response *r;
	char url[128];

	thttp_setup();
	CHECK(thttp_origin && thttp_other && thttp_proxy);
	http_client *c = http_client_new(NULL, &err);
	CHECK(c);
	int base = thttp_origin->connections;

#define URL(path) (snprintf(url, sizeof(url), "http://origin.test:%d%s", THTTP_PORT, path), url)
	for (int i = 0; i < 3; i++) {
		r = thttp_do(c, "GET", URL("/hello"), NULL, 0, 0, &err);
		CHECK_MSG(r, "%s", err.msg);
		CHECK(r->status == 200 && r->content_length == 11);
		CHECK_STR(thttp_text(r), "hello world");
		CHECK_STR(r->url, url);
		http_response_free(r);
	}
	CHECK_STR(thttp_origin->line, "GET /hello HTTP/1.1");
	CHECK(thttp_origin->connections - base == 1);

	/* chunked, 1xx, HEAD, 204/304 and an unread body keep the connection */
	r = thttp_do(c, "GET", URL("/chunked"), NULL, 0, 0, &err);
	CHECK(r && r->chunked && r->content_length == -1);
	CHECK_STR(thttp_text(r), "hello world");
	http_response_free(r);
	r = thttp_do(c, "GET", URL("/interim"), NULL, 0, 0, &err);
	CHECK(r && r->status == 200);
	CHECK_STR(thttp_text(r), "ok");
	http_response_free(r);
	r = thttp_do(c, "HEAD", URL("/head"), NULL, 0, 0, &err);
	CHECK(r && r->content_length == 1000);
	CHECK_STR(thttp_text(r), "");
	http_response_free(r);
	r = thttp_do(c, "GET", URL("/204"), NULL, 0, 0, &err);
	CHECK(r && r->status == 204);
	CHECK_STR(thttp_text(r), "");
	http_response_free(r);
	r = thttp_do(c, "GET", URL("/304"), NULL, 0, 0, &err);
	CHECK(r && r->status == 304);
	http_response_free(r);
	r = thttp_do(c, "GET", URL("/nothing-here"), NULL, 0, 0, &err);
	CHECK(r && r->status == 404);
	http_response_free(r);   /* unread, but all buffered */
	r = thttp_do(c, "GET", URL("/hello"), NULL, 0, 0, &err);
	CHECK_STR(thttp_text(r), "hello world");
	http_response_free(r);
	CHECK_MSG(thttp_origin->connections - base == 1, "%d connections",
		  thttp_origin->connections - base);

	/* a large body read in pieces */
	r = thttp_do(c, "GET", URL("/big"), NULL, 0, 0, &err);
	CHECK(r && r->content_length == 1 << 20);
	size_t total = 0;
	bool pattern = true;
	for (;;) {
		char chunk[100000];
		ssize_t n = source_read(&r->body, chunk, sizeof(chunk), &err);
		CHECK_MSG(n >= 0, "%s", err.msg);
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			pattern &= chunk[i] == (char)('a' + (total + (size_t)i) % 26);
		total += (size_t)n;
	}
	CHECK(total == 1 << 20 && pattern);
	CHECK(source_read(&r->body, url, 1, &err) == 0);
	http_response_free(r);
	CHECK(thttp_origin->connections - base == 1);

	/* not reusable: Connection: close, HTTP/1.0, a body left unread */
	r = thttp_do(c, "GET", URL("/close"), NULL, 0, 0, &err);
	CHECK(r && !r->keep_alive);
	CHECK_STR(thttp_text(r), "to the end");
	http_response_free(r);
	r = thttp_do(c, "GET", URL("/http10"), NULL, 0, 0, &err);
	CHECK(r && r->version == 10 && !r->keep_alive);
	CHECK_STR(thttp_text(r), "ok");
	http_response_free(r);
	r = thttp_do(c, "GET", URL("/big"), NULL, 0, 0, &err);
	CHECK(r);
	http_response_free(r);
	r = thttp_do(c, "GET", URL("/hello"), NULL, 0, 0, &err);
	CHECK_STR(thttp_text(r), "hello world");
	http_response_free(r);
	CHECK_MSG(thttp_origin->connections - base == 4, "%d connections",
		  thttp_origin->connections - base);

	/* the server closes a pooled connection: the GET goes again on a new one */
	r = thttp_do(c, "GET", URL("/once"), NULL, 0, 0, &err);
	CHECK_STR(thttp_text(r), "once");
	http_response_free(r);
	r = thttp_do(c, "GET", URL("/hello"), NULL, 0, 0, &err);
	CHECK_MSG(r, "%s", err.msg);
	CHECK_STR(thttp_text(r), "hello world");
	http_response_free(r);
	CHECK(thttp_origin->connections - base == 5);

	/* framing errors */
	r = thttp_do(c, "GET", URL("/early-close"), NULL, 0, 0, &err);
	CHECK(r);
	CHECK(strstr(thttp_text(r), "90 bytes before the end of the body") != NULL);
	CHECK(source_read(&r->body, url, 1, &err) < 0);
	http_response_free(r);
	r = thttp_do(c, "GET", URL("/bad-length"), NULL, 0, 0, &err);
	CHECK(!r);
	CHECK_MSG(strstr(err.msg, "bad response: Content-Length values differ"), "%s", err.msg);
	CHECK(strstr(err.msg, "GET http://origin.test:8080/bad-length") == err.msg);
	http_client_free(c);
#undef URL
}

TEST(net_http_keepalive)
{
	tnet_in_netns("net_http_keepalive", thttp_keepalive);
}

static void thttp_redirects(void)
{
	cpod_err err;
	http_response *r;
	char url[128];
	static const http_header auth[] = { { "Authorization", "Bearer secret" },
					    { "X-Other", "kept" } };

	thttp_setup();
	http_client *c = http_client_new(NULL, &err);
	CHECK(c && thttp_origin && thttp_other);
#define URL(path) (snprintf(url, sizeof(url), "http://origin.test:%d%s", THTTP_PORT, path), url)

	/* to another host: no Authorization there */
	r = thttp_do(c, "GET", URL("/redirect-other"), auth, 2, 10, &err);
	CHECK_MSG(r, "%s", err.msg);
	CHECK(r->status == 200);
	CHECK_STR(thttp_text(r), "none");
	CHECK_STR(r->url, "http://other.test:8080/auth");
	CHECK_STR(thttp_other->auth, "");
	CHECK_STR(thttp_origin->auth, "Bearer secret");
	http_response_free(r);
	/* and back to the first origin: it has it again */
	r = thttp_do(c, "GET", "http://other.test:8080/redirect-back", auth, 2, 10, &err);
	CHECK_STR(thttp_text(r), "none");   /* the first origin was other.test */
	http_response_free(r);
	r = thttp_do(c, "GET", URL("/redirect-same"), auth, 2, 10, &err);
	CHECK_MSG(r, "%s", err.msg);
	CHECK_STR(thttp_text(r), "Bearer secret");
	CHECK_STR(r->url, "http://origin.test:8080/auth?x=1");
	http_response_free(r);

	/* not followed: the 3xx itself */
	r = thttp_do(c, "GET", URL("/redirect-other"), auth, 2, 0, &err);
	CHECK(r && r->status == 302);
	CHECK_STR(http_header_get(r, "location"), "http://other.test:8080/auth");
	CHECK_STR(thttp_text(r), "moved");
	http_response_free(r);
	r = thttp_do(c, "GET", URL("/loop"), NULL, 0, 3, &err);
	CHECK(!r);
	CHECK(strstr(err.msg, "more than 3 redirects") != NULL);

	/* 303: GET without the body; 302: POST becomes GET */
	thttp_mem m = { "abcdefghij", 10, 0, 0 };
	byte_source src = { thttp_mem_read, &m };
	http_request req = { .method = "PUT", .url = URL("/303"), .body = &src, .body_len = 10,
			     .max_redirects = 5 };
	CHECK(http_do(c, &req, &r, &err) == 0);
	CHECK_STR(http_header_get(r, "X-Method"), "GET");
	CHECK_STR(thttp_text(r), "");
	http_response_free(r);
	m.off = 0;
	req.method = "POST";
	req.url = URL("/302");
	CHECK(http_do(c, &req, &r, &err) == 0);
	CHECK_STR(http_header_get(r, "X-Method"), "GET");
	http_response_free(r);

	/* 307 keeps method and body: only with a rewind */
	m.off = 0;
	req.url = URL("/307");
	CHECK(http_do(c, &req, &r, &err) < 0);
	CHECK_MSG(strstr(err.msg, "cannot be sent again"), "%s", err.msg);
	m.off = 0;
	req.body_rewind = thttp_mem_rewind;
	req.body_rewind_ctx = &m;
	CHECK(http_do(c, &req, &r, &err) == 0);
	CHECK_STR(http_header_get(r, "X-Method"), "POST");
	CHECK_STR(thttp_text(r), "abcdefghij");
	CHECK(m.rewinds == 1);
	http_response_free(r);

	/* a chunked request body */
	m.off = 0;
	req.method = "PUT";
	req.url = URL("/echo");
	req.body_len = -1;
	CHECK(http_do(c, &req, &r, &err) == 0);
	CHECK_STR(thttp_origin->te, "chunked");
	CHECK_STR(thttp_text(r), "abcdefghij");
	http_response_free(r);
	/* a body shorter than it said */
	m.off = 0;
	req.body_len = 11;
	CHECK(http_do(c, &req, &r, &err) < 0);
	CHECK(strstr(err.msg, "request body ended after 10 of 11 bytes") != NULL);
	/* PUT without a body says so */
	req.body = NULL;
	CHECK(http_do(c, &req, &r, &err) == 0);
	CHECK_STR(thttp_origin->clen, "0");
	http_response_free(r);
	http_client_free(c);
#undef URL
}

TEST(net_http_redirects)
{
	tnet_in_netns("net_http_redirects", thttp_redirects);
}

static void thttp_timeouts(void)
{
	cpod_err err;
	http_response *r;

	thttp_setup();
	http_client_opts o = { .connect_timeout_ms = 300, .io_timeout_ms = 300 };
	http_client *c = http_client_new(&o, &err);
	CHECK(c);

	/* accepts, never answers */
	int64_t t0 = proc_now_ms();
	r = thttp_do(c, "GET", "http://origin.test:8080/slow", NULL, 0, 0, &err);
	int64_t took = proc_now_ms() - t0;
	CHECK(!r);
	CHECK_MSG(took >= 280 && took < 1500, "took %" PRId64 " ms", took);
	CHECK(err.errno_ == ETIMEDOUT);
	CHECK_MSG(strstr(err.msg, "no data for 300 ms"), "%s", err.msg);

	/* never accepts: a listener whose queue is full drops the SYN */
	int l = tnet_listen("127.0.0.3", 8081, 0);
	CHECK(l >= 0);
	int fill[2] = { -1, -1 };
	for (int i = 0; i < 2; i++)
		fill[i] = net_connect("127.0.0.3", 8081, 200, &err);
	t0 = proc_now_ms();
	r = thttp_do(c, "GET", "http://127.0.0.3:8081/", NULL, 0, 0, &err);
	took = proc_now_ms() - t0;
	CHECK(!r);
	CHECK_MSG(err.errno_ == ETIMEDOUT, "%s", err.msg);
	CHECK_MSG(took >= 280 && took < 1500, "took %" PRId64 " ms", took);
	CHECK(strstr(err.msg, "connect to 127.0.0.3:8081") != NULL);
	for (int i = 0; i < 2; i++)
		if (fill[i] >= 0)
			close(fill[i]);
	close(l);

	/* refused */
	r = thttp_do(c, "GET", "http://origin.test:9/", NULL, 0, 0, &err);
	CHECK(!r && err.errno_ == ECONNREFUSED);
	/* unknown host */
	r = thttp_do(c, "GET", "http://nowhere.invalid:9/", NULL, 0, 0, &err);
	CHECK(!r);
	CHECK_MSG(strstr(err.msg, "unknown host nowhere.invalid") ||
		  strstr(err.msg, "nameservers"), "%s", err.msg);
	http_client_free(c);
}

TEST(net_http_timeouts)
{
	tnet_in_netns("net_http_timeouts", thttp_timeouts);
}

static void thttp_proxies(void)
{
	cpod_err err;
	http_response *r;

	thttp_setup();
	setenv("http_proxy", "http://user:pw@127.0.0.1:3128", 1);

	/* plain http: absolute-form to the proxy, with its credentials */
	http_client *c = http_client_new(NULL, &err);
	r = thttp_do(c, "GET", "http://origin.test:8080/hello", NULL, 0, 0, &err);
	CHECK_MSG(r, "%s", err.msg);
	CHECK_STR(thttp_text(r), "via proxy");
	CHECK_STR(thttp_proxy->line, "GET http://origin.test:8080/hello HTTP/1.1");
	CHECK_STR(thttp_proxy->proxy_auth, "Basic dXNlcjpwdw==");
	http_response_free(r);
	/* loopback addresses never go through it */
	r = thttp_do(c, "GET", "http://127.0.0.1:8080/hello", NULL, 0, 0, &err);
	CHECK_STR(thttp_text(r), "hello world");
	http_response_free(r);
	http_client_free(c);

	/* NO_PROXY, read when the client is made */
	setenv("NO_PROXY", "example.com, .test", 1);
	c = http_client_new(NULL, &err);
	int before = thttp_proxy->requests;
	r = thttp_do(c, "GET", "http://origin.test:8080/hello", NULL, 0, 0, &err);
	CHECK_STR(thttp_text(r), "hello world");
	http_response_free(r);
	CHECK(thttp_proxy->requests == before);
	http_client_free(c);
	unsetenv("NO_PROXY");

	http_client_opts o = { .no_proxy = true };
	c = http_client_new(&o, &err);
	r = thttp_do(c, "GET", "http://origin.test:8080/hello", NULL, 0, 0, &err);
	CHECK_STR(thttp_text(r), "hello world");
	http_response_free(r);
	CHECK(thttp_proxy->requests == before);
	http_client_free(c);

	/* a dead proxy says it is the proxy */
	setenv("HTTP_PROXY", "127.0.0.1:9", 1);
	c = http_client_new(NULL, &err);
	r = thttp_do(c, "GET", "http://origin.test:8080/hello", NULL, 0, 0, &err);
	CHECK(!r);
	CHECK_MSG(strstr(err.msg, "proxy: connect to 127.0.0.1:9"), "%s", err.msg);
	http_client_free(c);
	unsetenv("HTTP_PROXY");
	unsetenv("http_proxy");
}

TEST(net_http_proxy)
{
	tnet_in_netns("net_http_proxy", thttp_proxies);
}
