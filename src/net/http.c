/*
 * http.c — the HTTP/1.1 client (see http.h): connections (direct, through
 * an HTTP proxy, tunnelled with CONNECT, with or without TLS) kept in a
 * pool per client, requests with streamed bodies, responses whose bodies
 * are read through a byte_source, and redirects.
 *
 * A connection goes back to the pool only when its response was read to
 * the end of a framed body (Content-Length or chunked) and nothing follows
 * it; anything else closes it, so a pooled connection is always at a
 * message boundary.  Every wait on a socket is a poll with a timeout.
 *
 * Redirects follow what browsers do (the Fetch standard): 303 becomes GET
 * (HEAD stays HEAD), 301/302 turn POST into GET, and anything else keeps
 * its method and body, which must then be replayable (body_rewind).  The
 * Authorization header goes only to the origin (scheme, host, port) of
 * the first request: registries redirect blob downloads to object storage
 * elsewhere, which must not see the registry token.
 */
#include "http.h"
#include "resolve.h"
#include "../base/proc.h"
#include <poll.h>
#include <pthread.h>

#define HTTP_POOL_MAX 16
#define HTTP_IDLE_MS 50000          /* servers close idle connections around a minute */
#define HTTP_DRAIN_MAX (64 << 10)   /* body bytes read to keep a redirect's connection */
#define HTTP_SEND_CHUNK (64 << 10)

typedef struct http_conn {
	struct http_conn *next;       /* in the pool */
	int fd;
	tls_conn *tls;                /* NULL for plain TCP; owns fd when set */
	char key[600];                /* what it reaches: "https://host:443 via proxy:3128" */
	int64_t idle_since;
	int io_timeout_ms;
	bool eof;                     /* the peer closed its side */
	size_t rpos, rlen;
	char rbuf[HTTP_MAX_HEAD];     /* a response head must fit */
} http_conn;

struct http_client {
	int connect_timeout_ms, io_timeout_ms;
	char user_agent[128];
	int (*tls_for)(void *ctx, const char *host, uint16_t port, tls_config *out, cpod_err *err);
	void *tls_ctx;
	char *http_proxy, *https_proxy, *no_proxy;
	pthread_mutex_t lock;
	http_conn *idle;
};

enum { HB_NONE, HB_LENGTH, HB_CHUNKED, HB_CLOSE };

typedef struct http_resp_impl {
	http_response pub;            /* first: the caller sees this */
	http_client *client;
	http_conn *conn;
	int mode;
	uint64_t left;
	http_chunked ch;
	bool done;                    /* the body was read to its end */
	bool failed;                  /* reading failed: the connection is unusable */
} http_resp_impl;

/* ------------------------------------------------------------ connections */

static void http_conn_close(http_conn *c)
{
	if (!c)
		return;
	if (c->tls)
		tls_close(c->tls);
	else if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static int http_wait(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t deadline = proc_now_ms() + timeout_ms;
	for (;;) {
		int64_t left = deadline - proc_now_ms();
		int r = poll(&p, 1, left > 0 ? (int)left : 0);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

static int http_conn_send(http_conn *c, const void *data, size_t n, cpod_err *err)
{
	if (c->tls)
		return tls_write(c->tls, data, n, c->io_timeout_ms, err);
	for (size_t off = 0; off < n;) {
		ssize_t r = send(c->fd, (const char *)data + off, n - off, MSG_NOSIGNAL);
		if (r > 0) {
			off += (size_t)r;
			continue;
		}
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			return err_sys(err, "send");
		int w = http_wait(c->fd, POLLOUT, c->io_timeout_ms);
		if (w < 0)
			return err_sys(err, "poll");
		if (w == 0)
			return err_sysn(err, ETIMEDOUT, "send: stalled for %d ms",
					c->io_timeout_ms);
	}
	return 0;
}

/* Reads from the socket or TLS: the count, 0 at the end, -1 on error. */
static ssize_t http_conn_recv(http_conn *c, void *data, size_t n, cpod_err *err)
{
	if (c->eof)
		return 0;
	if (c->tls) {
		ssize_t r = tls_read(c->tls, data, n, c->io_timeout_ms, err);
		c->eof = r == 0;
		return r;
	}
	for (;;) {
		ssize_t r = recv(c->fd, data, n, 0);
		if (r >= 0) {
			c->eof = r == 0;
			return r;
		}
		if (errno != EAGAIN && errno != EINTR)
			return err_sys(err, "receive");
		int w = http_wait(c->fd, POLLIN, c->io_timeout_ms);
		if (w < 0)
			return err_sys(err, "poll");
		if (w == 0)
			return err_sysn(err, ETIMEDOUT, "no data for %d ms", c->io_timeout_ms);
	}
}

/* More bytes into rbuf (moving what is unread to its start): the count
 * added, 0 at the end of the stream, -1 on error or when it is full. */
static ssize_t http_conn_fill(http_conn *c, cpod_err *err)
{
	if (c->rpos > 0) {
		memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
		c->rlen -= c->rpos;
		c->rpos = 0;
	}
	if (c->rlen == sizeof(c->rbuf))
		return err_set(err, CPOD_E_LIMIT, "read buffer full");
	ssize_t r = http_conn_recv(c, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen, err);
	if (r > 0)
		c->rlen += (size_t)r;
	return r;
}

/* Buffered bytes first; large reads of an empty buffer go straight in. */
static ssize_t http_conn_read(http_conn *c, void *data, size_t n, cpod_err *err)
{
	if (c->rpos == c->rlen) {
		c->rpos = c->rlen = 0;
		if (n >= sizeof(c->rbuf) / 2)
			return http_conn_recv(c, data, n, err);
		ssize_t r = http_conn_fill(c, err);
		if (r <= 0)
			return r;
	}
	size_t k = c->rlen - c->rpos < n ? c->rlen - c->rpos : n;
	memcpy(data, c->rbuf + c->rpos, k);
	c->rpos += k;
	return (ssize_t)k;
}

/* A pooled connection is usable when it has nothing to say: a readable
 * one was closed by the server (or sends junk). */
static bool http_conn_alive(const http_conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	return !c->eof && c->rpos == c->rlen && poll(&p, 1, 0) == 0 &&
	       proc_now_ms() - c->idle_since < HTTP_IDLE_MS;
}

static http_conn *http_pool_get(http_client *cl, const char *key)
{
	http_conn *found = NULL, *dead = NULL;

	pthread_mutex_lock(&cl->lock);
	for (http_conn **pp = &cl->idle; *pp;) {
		http_conn *c = *pp;
		if (strcmp(c->key, key) != 0) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		if (http_conn_alive(c)) {
			found = c;
			break;
		}
		c->next = dead;
		dead = c;
	}
	pthread_mutex_unlock(&cl->lock);
	while (dead) {
		http_conn *next = dead->next;
		http_conn_close(dead);
		dead = next;
	}
	if (found)
		found->next = NULL;
	return found;
}

static void http_pool_put(http_client *cl, http_conn *c)
{
	http_conn *drop = NULL;
	size_t n = 1;

	c->idle_since = proc_now_ms();
	c->rpos = c->rlen = 0;
	pthread_mutex_lock(&cl->lock);
	c->next = cl->idle;
	cl->idle = c;
	/* newest first: past the limit, the oldest go */
	for (http_conn *p = c; p->next; p = p->next) {
		if (++n > HTTP_POOL_MAX) {
			drop = p->next;
			p->next = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&cl->lock);
	while (drop) {
		http_conn *next = drop->next;
		http_conn_close(drop);
		drop = next;
	}
}

/* The proxy for u, if any: *use is false when none applies. */
static int http_proxy_for(http_client *cl, const http_url *u, http_proxy *px, bool *use,
			  cpod_err *err)
{
	const char *v = strcmp(u->scheme, "https") == 0 ? cl->https_proxy : cl->http_proxy;
	*use = false;
	if (!v || http_no_proxy(cl->no_proxy, u->host, u->port))
		return 0;
	if (http_proxy_parse(v, px, err) < 0)
		return -1;
	*use = true;
	return 0;
}

/* Reads a response head into r (skipping 1xx interim responses).
 * *nothing: the connection ended before a single byte came. */
static int http_read_head(http_conn *c, http_response *r, bool *nothing, cpod_err *err)
{
	bool any = false;

	*nothing = false;
	for (;;) {
		ssize_t used = http_parse_head(c->rbuf + c->rpos, c->rlen - c->rpos, r, err);
		if (used < 0)
			return err_prefix(err, "bad response");
		if (used > 0) {
			any = true;
			c->rpos += (size_t)used;
			if (r->status >= 100 && r->status < 200 && r->status != 101)
				continue;
			if (r->status == 101)
				return err_set(err, CPOD_E_INVALID,
					       "unexpected 101 Switching Protocols");
			return 0;
		}
		bool empty = !any && c->rpos == c->rlen;
		ssize_t got = http_conn_fill(c, err);
		if (got < 0) {
			*nothing = empty;
			return err_prefix(err, "read the response");
		}
		if (got == 0) {
			*nothing = empty;
			return err_set(err, CPOD_E_SYS, "the connection closed before %s response",
				       empty ? "a" : "the end of the");
		}
	}
}

/* A tunnel through the proxy to u's host (the socket is c's). */
static int http_connect_tunnel(http_client *cl, http_conn *c, const http_url *u,
			       const http_proxy *px, cpod_err *err)
{
	_cleanup_buf_ buf req = BUF_INIT;
	http_response r;
	char hp[300];
	bool nothing;

	memset(&r, 0, sizeof(r));
	http_url_hostport(u, true, hp, sizeof(hp));
	buf_printf(&req, err, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n", hp, hp,
		   cl->user_agent);
	if (px->auth[0])
		buf_printf(&req, err, "Proxy-Authorization: %s\r\n", px->auth);
	buf_puts(&req, "\r\n", err);
	if (req.failed || http_conn_send(c, req.data, req.len, err) < 0 ||
	    http_read_head(c, &r, &nothing, err) < 0) {
		free(r.headers);
		return err_prefix(err, "proxy %s:%u", px->host, px->port);
	}
	free(r.headers);
	if (r.status < 200 || r.status > 299)
		return err_set(err, CPOD_E_PERM, "proxy %s:%u refused CONNECT %s: %d %s", px->host,
			       px->port, hp, r.status, r.reason);
	/* a TLS server speaks second: anything here came from the proxy */
	if (c->rpos != c->rlen)
		return err_set(err, CPOD_E_INVALID, "proxy %s:%u sent data after its CONNECT "
			       "answer", px->host, px->port);
	c->rpos = c->rlen = 0;
	return 0;
}

/* A connection for u: a pooled one (*reused) or a new one. */
static http_conn *http_conn_get(http_client *cl, const http_url *u, bool *reused,
				bool *via_http_proxy, cpod_err *err)
{
	http_proxy px;
	bool use_proxy, https = strcmp(u->scheme, "https") == 0;
	char hp[300], key[sizeof(((http_conn *)0)->key)];

	*reused = *via_http_proxy = false;
	if (http_proxy_for(cl, u, &px, &use_proxy, err) < 0)
		return NULL;
	http_url_hostport(u, true, hp, sizeof(hp));
	if (use_proxy)
		snprintf(key, sizeof(key), "%s://%s via %s:%u", u->scheme, hp, px.host, px.port);
	else
		snprintf(key, sizeof(key), "%s://%s", u->scheme, hp);
	*via_http_proxy = use_proxy && !https;

	http_conn *c = http_pool_get(cl, key);
	if (c) {
		*reused = true;
		return c;
	}
	if (!(c = calloc(1, sizeof(*c)))) {
		err_nomem(err);
		return NULL;
	}
	strcpy(c->key, key);
	c->io_timeout_ms = cl->io_timeout_ms;
	c->fd = use_proxy ? net_connect(px.host, px.port, cl->connect_timeout_ms, err)
			  : net_connect(u->host, u->port, cl->connect_timeout_ms, err);
	if (c->fd < 0) {
		if (use_proxy)
			err_prefix(err, "proxy");
		goto fail;
	}
	if (use_proxy && https && http_connect_tunnel(cl, c, u, &px, err) < 0)
		goto fail;
	if (https) {
		tls_config cfg;
		memset(&cfg, 0, sizeof(cfg));
		if (cl->tls_for && cl->tls_for(cl->tls_ctx, u->host, u->port, &cfg, err) < 0)
			goto fail;
		int fd = TAKE_FD(c->fd);
		c->tls = tls_connect(fd, u->host, &cfg, cl->connect_timeout_ms, err);
		if (!c->tls)
			goto fail;
		c->fd = fd;
	}
	return c;
fail:
	http_conn_close(c);
	return NULL;
}

/* ------------------------------------------------------------ requests */

static bool http_is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", c)))
			return false;
	}
	return true;
}

static bool http_header_skipped(const char *name, bool drop_auth)
{
	/* the client owns the framing and the target */
	static const char *const own[] = { "Host", "Content-Length", "Transfer-Encoding",
					   "Connection", "Proxy-Authorization" };
	for (size_t i = 0; i < ARRAY_LEN(own); i++)
		if (!strcasecmp(name, own[i]))
			return true;
	return drop_auth && !strcasecmp(name, "Authorization");
}

static int http_send_body(http_conn *c, const byte_source *body, int64_t len, cpod_err *err)
{
	_cleanup_free_ char *b = malloc(HTTP_SEND_CHUNK + 32);
	uint64_t sent = 0;

	if (!b)
		return err_nomem(err);
	for (;;) {
		size_t want = HTTP_SEND_CHUNK;
		if (len >= 0 && (uint64_t)len - sent < want)
			want = (size_t)((uint64_t)len - sent);
		if (len >= 0 && want == 0)
			return 0;
		/* room before the data for a chunk-size line */
		ssize_t n = source_read(body, b + 16, want, err);
		if (n < 0) {
			err_prefix(err, "request body");
			return -2;
		}
		if (n == 0) {
			if (len >= 0) {
				err_set(err, CPOD_E_INVALID, "request body ended after %" PRIu64
					" of %" PRId64 " bytes", sent, len);
				return -2;
			}
			return http_conn_send(c, "0\r\n\r\n", 5, err);
		}
		sent += (uint64_t)n;
		if (len >= 0) {
			if (http_conn_send(c, b + 16, (size_t)n, err) < 0)
				return -1;
			continue;
		}
		char head[16];
		int hl = snprintf(head, sizeof(head), "%zx\r\n", (size_t)n);
		memcpy(b + 16 - hl, head, (size_t)hl);
		memcpy(b + 16 + n, "\r\n", 2);
		if (http_conn_send(c, b + 16 - hl, (size_t)hl + (size_t)n + 2, err) < 0)
			return -1;
	}
}

/* The request head and body onto c: -1 when the connection failed, -2
 * for anything else (the body's source, the proxy setting). */
static int http_send(http_client *cl, http_conn *c, const http_url *u, const char *method,
		     const http_request *req, const byte_source *body, int64_t body_len,
		     bool drop_auth, bool via_http_proxy, cpod_err *err)
{
	_cleanup_buf_ buf h = BUF_INIT;
	char hp[300], target[sizeof(u->path) + 320];
	bool have_ua = false;

	http_url_hostport(u, false, hp, sizeof(hp));
	if (via_http_proxy)
		http_url_str(u, target, sizeof(target));
	else
		snprintf(target, sizeof(target), "%s", u->path);
	buf_printf(&h, err, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, target, hp);
	for (size_t i = 0; i < req->n_headers; i++) {
		const http_header *x = &req->headers[i];
		if (http_header_skipped(x->name, drop_auth))
			continue;
		have_ua |= !strcasecmp(x->name, "User-Agent");
		buf_printf(&h, err, "%s: %s\r\n", x->name, x->value);
	}
	if (!have_ua)
		buf_printf(&h, err, "User-Agent: %s\r\n", cl->user_agent);
	if (via_http_proxy) {
		http_proxy px;
		bool use;
		if (http_proxy_for(cl, u, &px, &use, err) < 0)
			return -2;
		if (use && px.auth[0])
			buf_printf(&h, err, "Proxy-Authorization: %s\r\n", px.auth);
	}
	if (body && body_len < 0)
		buf_puts(&h, "Transfer-Encoding: chunked\r\n", err);
	else if (body || !strcmp(method, "POST") || !strcmp(method, "PUT") ||
		 !strcmp(method, "PATCH"))
		buf_printf(&h, err, "Content-Length: %" PRId64 "\r\n", body ? body_len : 0);
	buf_puts(&h, "\r\n", err);
	if (h.failed)
		return -2;
	if (http_conn_send(c, h.data, h.len, err) < 0)
		return -1;
	return body ? http_send_body(c, body, body_len, err) : 0;
}

static ssize_t http_body_read(void *ctx, void *data, size_t n, cpod_err *err)
{
	http_resp_impl *ri = ctx;
	http_conn *c = ri->conn;
	ssize_t r;

	if (ri->failed)
		return err_set(err, CPOD_E_STATE, "response body: an earlier read failed");
	if (ri->done || n == 0)
		return 0;
	switch (ri->mode) {
	case HB_LENGTH:
		if (n > ri->left)
			n = (size_t)ri->left;
		r = http_conn_read(c, data, n, err);
		if (r == 0)
			err_set(err, CPOD_E_SYS, "the connection closed %" PRIu64 " bytes before "
				"the end of the body", ri->left);
		if (r <= 0)
			break;
		ri->left -= (uint64_t)r;
		ri->done = ri->left == 0;
		return r;
	case HB_CLOSE:
		r = http_conn_read(c, data, n, err);
		if (r < 0)
			break;
		ri->done = r == 0;
		return r;
	case HB_CHUNKED:
		for (;;) {
			if (c->rpos == c->rlen) {
				r = http_conn_fill(c, err);
				if (r == 0)
					err_set(err, CPOD_E_SYS,
						"the connection closed inside a chunked body");
				if (r <= 0)
					goto fail;
			}
			size_t used, produced;
			int st = http_chunked_feed(&ri->ch, c->rbuf + c->rpos, c->rlen - c->rpos,
						   &used, data, n, &produced, err);
			if (st < 0)
				goto fail;
			c->rpos += used;
			ri->done = st == 1;
			if (produced || ri->done)
				return (ssize_t)produced;
		}
	default:
		ri->done = true;
		return 0;
	}
fail:
	ri->failed = true;
	return err_prefix(err, "response body");
}

/* Sets up reading the body of the response to method. */
static void http_body_start(http_resp_impl *ri, const char *method)
{
	http_response *r = &ri->pub;
	int s = r->status;

	r->body.read = http_body_read;
	r->body.ctx = ri;
	memset(&ri->ch, 0, sizeof(ri->ch));
	ri->done = false;
	if (!strcmp(method, "HEAD") || s == 204 || s == 304 || (s >= 100 && s < 200)) {
		ri->mode = HB_NONE;
		ri->done = true;
	} else if (r->chunked) {
		ri->mode = HB_CHUNKED;
	} else if (r->content_length >= 0) {
		ri->mode = HB_LENGTH;
		ri->left = (uint64_t)r->content_length;
		ri->done = ri->left == 0;
	} else {
		ri->mode = HB_CLOSE;
		r->keep_alive = false;
	}
}

static bool http_method_idempotent(const char *m)
{
	return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "PUT") ||
	       !strcmp(m, "DELETE") || !strcmp(m, "OPTIONS");
}

/* One request and its response head, on a pooled connection when there
 * is one (tried again on a new connection when the server had closed it). */
static int http_once(http_client *cl, const http_url *u, const char *method,
		     const http_request *req, const byte_source *body, int64_t body_len,
		     bool drop_auth, http_resp_impl *ri, cpod_err *err)
{
	for (int attempt = 0;; attempt++) {
		bool reused, via_proxy, nothing = false;
		http_conn *c = http_conn_get(cl, u, &reused, &via_proxy, err);
		if (!c)
			return -1;
		int r = http_send(cl, c, u, method, req, body, body_len, drop_auth, via_proxy,
				  err);
		if (r == -1)
			nothing = c->rpos == c->rlen;
		else if (r == 0)
			r = http_read_head(c, &ri->pub, &nothing, err);
		if (r == 0) {
			ri->conn = c;
			http_body_start(ri, method);
			return 0;
		}
		http_conn_close(c);
		if (!reused || !nothing || attempt > 0 || !http_method_idempotent(method))
			return -1;
		if (body && body_len != 0 &&
		    (!req->body_rewind || req->body_rewind(req->body_rewind_ctx, err) < 0))
			return -1;
		log_debug("http: pooled connection closed by the server; retrying on a new one");
	}
}

/* Reads and drops the rest of a body: true when it ended (so the
 * connection can be reused), false when it is too long or failed. */
static bool http_drain(http_resp_impl *ri, size_t max)
{
	char scratch[4096];
	size_t total = 0;
	cpod_err e;

	while (!ri->done && !ri->failed && total <= max) {
		ssize_t r = http_body_read(ri, scratch, sizeof(scratch), &e);
		if (r < 0)
			return false;
		total += (size_t)r;
	}
	return ri->done && !ri->failed;
}

CPOD_INTERNAL void http_response_free(http_response *r)
{
	if (!r)
		return;
	http_resp_impl *ri = (http_resp_impl *)r;
	http_conn *c = ri->conn;
	if (c) {
		/* what has already arrived may finish the body: read it
		 * without waiting for more */
		if (!ri->done && !ri->failed && ri->mode != HB_CLOSE) {
			int t = c->io_timeout_ms;
			c->io_timeout_ms = 0;
			http_drain(ri, HTTP_DRAIN_MAX);
			c->io_timeout_ms = t;
		}
		if (ri->done && !ri->failed && r->keep_alive && c->rpos == c->rlen && !c->eof)
			http_pool_put(ri->client, c);
		else
			http_conn_close(c);
	}
	free(r->headers);
	free(ri);
}

/* The URL for messages: without the query, which may hold signatures. */
static void http_url_for_msg(const http_url *u, char *out, size_t n)
{
	http_url_str(u, out, n);
	char *q = strchr(out, '?');
	if (q)
		snprintf(q, n - (size_t)(q - out), "?...");
}

static bool http_same_origin(const http_url *a, const http_url *b)
{
	return !strcmp(a->scheme, b->scheme) && !strcmp(a->host, b->host) && a->port == b->port;
}

CPOD_INTERNAL int http_do(http_client *c, const http_request *req, http_response **resp,
			  cpod_err *err)
{
	http_url first, u;
	const char *method = req->method;
	const byte_source *body = req->body;
	int64_t body_len = body ? req->body_len : 0;
	char where[sizeof(u.path) + 320];

	*resp = NULL;
	if (!method || !http_is_token(method))
		return err_set(err, CPOD_E_INVALID, "bad HTTP method");
	for (size_t i = 0; i < req->n_headers; i++) {
		const http_header *h = &req->headers[i];
		if (!http_is_token(h->name) || strpbrk(h->value, "\r\n"))
			return err_set(err, CPOD_E_INVALID, "bad request header %.60s", h->name);
	}
	if (http_url_parse(req->url, NULL, &first, err) < 0)
		return err_prefix(err, "%.300s", req->url);
	u = first;
	for (int hops = 0;; hops++) {
		http_resp_impl *ri = calloc(1, sizeof(*ri));
		if (!ri)
			return err_nomem(err);
		ri->client = c;
		ri->pub.content_length = -1;
		bool drop_auth = !http_same_origin(&u, &first);
		if (http_once(c, &u, method, req, body, body_len, drop_auth, ri, err) < 0) {
			http_response_free(&ri->pub);
			http_url_for_msg(&u, where, sizeof(where));
			return err_prefix(err, "%s %s", method, where);
		}
		http_url_str(&u, ri->pub.url, sizeof(ri->pub.url));

		int s = ri->pub.status;
		const char *loc = http_header_get(&ri->pub, "Location");
		bool redirect = (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) && loc;
		if (!redirect || req->max_redirects <= 0) {
			*resp = &ri->pub;
			return 0;
		}
		http_url next;
		http_url_for_msg(&u, where, sizeof(where));
		if (hops >= req->max_redirects) {
			http_response_free(&ri->pub);
			return err_set(err, CPOD_E_LIMIT, "%s %s: more than %d redirects", method,
				       where, req->max_redirects);
		}
		if (http_url_parse(loc, &u, &next, err) < 0) {
			http_response_free(&ri->pub);
			return err_prefix(err, "%s %s: redirect to %.200s", method, where, loc);
		}
		if ((s == 303 && strcmp(method, "HEAD") != 0) ||
		    ((s == 301 || s == 302) && !strcmp(method, "POST"))) {
			method = "GET";
			body = NULL;
			body_len = 0;
		} else if (body && body_len != 0) {
			if (!req->body_rewind || req->body_rewind(req->body_rewind_ctx, err) < 0) {
				http_response_free(&ri->pub);
				if (!req->body_rewind)
					err_set(err, CPOD_E_UNSUPPORTED,
						"the request body cannot be sent again");
				return err_prefix(err, "%s %s: redirect %d", method, where, s);
			}
		}
		http_drain(ri, HTTP_DRAIN_MAX);
		http_response_free(&ri->pub);
		u = next;
	}
}

CPOD_INTERNAL const char *http_header_get(const http_response *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

CPOD_INTERNAL int http_read_body(http_response *r, size_t max, buf *out, cpod_err *err)
{
	char chunk[16384];
	for (;;) {
		ssize_t n = source_read(&r->body, chunk, sizeof(chunk), err);
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (out->len + (size_t)n > max)
			return err_set(err, CPOD_E_LIMIT, "response body larger than %zu bytes",
				       max);
		if (buf_append(out, chunk, (size_t)n, err) < 0)
			return -1;
	}
}

static char *http_env(const char *upper, const char *lower)
{
	const char *v = getenv(upper);
	if (!v || !*v)
		v = getenv(lower);
	return v && *v ? strdup(v) : NULL;
}

CPOD_INTERNAL http_client *http_client_new(const http_client_opts *o, cpod_err *err)
{
	http_client *c = calloc(1, sizeof(*c));
	if (!c) {
		err_nomem(err);
		return NULL;
	}
	http_client_opts none = { 0 };
	if (!o)
		o = &none;
	c->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 30000;
	c->io_timeout_ms = o->io_timeout_ms > 0 ? o->io_timeout_ms : 60000;
	snprintf(c->user_agent, sizeof(c->user_agent), "%s",
		 o->user_agent ? o->user_agent : "cpod/" CPOD_VERSION);
	c->tls_for = o->tls_for;
	c->tls_ctx = o->tls_ctx;
	pthread_mutex_init(&c->lock, NULL);
	if (!o->no_proxy) {
		c->https_proxy = http_env("HTTPS_PROXY", "https_proxy");
		c->http_proxy = http_env("HTTP_PROXY", "http_proxy");
		c->no_proxy = http_env("NO_PROXY", "no_proxy");
	}
	return c;
}

CPOD_INTERNAL void http_client_free(http_client *c)
{
	if (!c)
		return;
	while (c->idle) {
		http_conn *next = c->idle->next;
		http_conn_close(c->idle);
		c->idle = next;
	}
	pthread_mutex_destroy(&c->lock);
	free(c->http_proxy);
	free(c->https_proxy);
	free(c->no_proxy);
	free(c);
}
