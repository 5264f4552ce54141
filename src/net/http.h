/*
 * http.h — an HTTP/1.1 client for registries: keep-alive connections
 * pooled per host, content-length and chunked bodies streamed both ways,
 * redirects (the Authorization header is dropped when a redirect leaves the
 * host: registries send blobs to object storage elsewhere), timeouts,
 * HTTPS_PROXY/HTTP_PROXY/NO_PROXY (CONNECT for https), bounded headers.
 * https is BearSSL (tls.h).  The response parser takes hostile input and
 * has a libFuzzer target.
 */
#ifndef CPOD_NET_HTTP_H
#define CPOD_NET_HTTP_H
#include "../base/stream.h"
#include "../base/buf.h"
#include "tls.h"

typedef struct http_url {
	char scheme[8];      /* "http", "https" */
	char host[256];      /* without brackets */
	uint16_t port;
	char path[4096];     /* path and query, "/" at least */
} http_url;

/* Parses an absolute URL; resolves a relative one (a Location) against base. */
CPOD_INTERNAL int http_url_parse(const char *s, const http_url *base, http_url *out, cpod_err *err);
CPOD_INTERNAL void http_url_str(const http_url *u, char *out, size_t n);
/* "host", "[v6]", with ":port" when it is not the scheme's (or always). */
CPOD_INTERNAL void http_url_hostport(const http_url *u, bool always_port, char *out, size_t n);

typedef struct http_header {
	const char *name;
	const char *value;
} http_header;

typedef struct http_client http_client;

typedef struct http_client_opts {
	int connect_timeout_ms;    /* 0: 30 s */
	int io_timeout_ms;         /* no byte for that long: 0: 60 s */
	const char *user_agent;    /* NULL: "cpod/VERSION" */
	/* TLS settings for host:port (CA files, client cert, verification);
	 * NULL: system CAs, full verification */
	int (*tls_for)(void *ctx, const char *host, uint16_t port, tls_config *out, cpod_err *err);
	void *tls_ctx;
	bool no_proxy;             /* ignore the proxy environment variables */
} http_client_opts;

/* The proxy variables are read here, once.  A client may be shared by
 * threads (its pool is locked); a response belongs to one thread. */
CPOD_INTERNAL http_client *http_client_new(const http_client_opts *o, cpod_err *err);
CPOD_INTERNAL void http_client_free(http_client *c);

typedef struct http_request {
	const char *method;              /* "GET", "HEAD", "PUT", "POST", "PATCH", "DELETE" */
	const char *url;
	const http_header *headers;      /* extra headers */
	size_t n_headers;
	const byte_source *body;         /* NULL: none */
	int64_t body_len;                /* -1: chunked */
	int max_redirects;               /* 0: do not follow; 10 is usual */
	/* Starts the body over from its first byte, for a 307/308 redirect
	 * (which resends it) and for a retry on a pooled connection the server
	 * had closed.  NULL: the body cannot be replayed; such a redirect is
	 * then an error. */
	int (*body_rewind)(void *ctx, cpod_err *err);
	void *body_rewind_ctx;
} http_request;

typedef struct http_response {
	int status;
	char reason[128];
	http_header *headers;            /* names as received */
	size_t n_headers;
	int64_t content_length;          /* -1 unknown (chunked or to close) */
	char url[4400];                  /* the URL that answered, after redirects */
	byte_source body;                /* reads the body (dechunked); 0 at its end */
	int version;                     /* 10 or 11 (HTTP/1.0, HTTP/1.1) */
	bool chunked;                    /* Transfer-Encoding: chunked */
	bool keep_alive;                 /* the connection may serve another request */
} http_response;

/* Sends the request and reads the status and headers; the body is then
 * read through resp->body.  Freeing the response returns its connection
 * to the pool when the body was read to the end, else closes it.
 * Redirects (at most max_redirects) go as browsers do: 303 becomes GET
 * (HEAD stays HEAD), 301/302 turn POST into GET, anything else keeps its
 * method and body (replayed through body_rewind).  Authorization goes only
 * to the origin of the first request.  Errors read "GET URL: ..." with the
 * URL's query cut (it may hold signatures). */
CPOD_INTERNAL int http_do(http_client *c, const http_request *req, http_response **resp,
			  cpod_err *err);
CPOD_INTERNAL void http_response_free(http_response *r);
/* Case-insensitive header lookup; NULL when absent. */
CPOD_INTERNAL const char *http_header_get(const http_response *r, const char *name);
/* Reads the whole body (at most max bytes). */
CPOD_INTERNAL int http_read_body(http_response *r, size_t max, buf *out, cpod_err *err);

/* The response head parser alone (for the fuzzer and the tests): parses
 * "HTTP/1.1 200 OK\r\nName: value\r\n...\r\n\r\n" from data; returns the
 * bytes consumed, 0 when more are needed, -1 on malformed input.
 * r->headers is one allocation (names and values included) that replaces
 * the one r held (r must start zeroed); free(r->headers) releases it.
 * Strict where leniency lets two parsers disagree: obs-fold, a space
 * before the colon, bare CR, Content-Length values that differ,
 * Transfer-Encoding other than "chunked" are errors.  A lone LF ends a
 * line as CRLF does (RFC 9112 2.2). */
CPOD_INTERNAL ssize_t http_parse_head(const char *data, size_t len, http_response *r,
				      cpod_err *err);

#define HTTP_MAX_HEAD (64 << 10)        /* bytes of a response head */
#define HTTP_MAX_HEADERS 100
#define HTTP_MAX_CHUNK_LINE 4096        /* a chunk-size line with its extensions */
#define HTTP_MAX_TRAILER (64 << 10)

/* The chunked transfer coding, decoded from memory: feed it what arrived,
 * it copies the data out and keeps its place in the framing. */
typedef struct http_chunked {
	int state;
	uint64_t left;       /* data bytes left in the current chunk */
	size_t line;         /* bytes of the current size or trailer line */
	size_t trailer;      /* bytes of the trailer section */
} http_chunked;

/* Decodes in[0..inlen): chunk data goes to out (at most outcap > 0 bytes),
 * *used gets the input consumed and *produced the data written.  Returns
 * 1 once the last chunk and the trailer are through (the input after them
 * is not consumed), 0 when it wants more input or room, -1 when malformed. */
CPOD_INTERNAL int http_chunked_feed(http_chunked *d, const char *in, size_t inlen, size_t *used,
				    char *out, size_t outcap, size_t *produced, cpod_err *err);

/* ---- proxies (proxy.c) */

typedef struct http_proxy {
	char host[256];
	uint16_t port;
	char auth[600];       /* the Proxy-Authorization value, "" for none */
} http_proxy;

/* Parses a proxy setting ("http://user:pass@proxy:3128", "proxy:3128"). */
CPOD_INTERNAL int http_proxy_parse(const char *value, http_proxy *out, cpod_err *err);
/* Whether host:port is exempt from the proxy by no_proxy (Go's rules, as
 * podman: "*", names matching themselves and their subdomains, ".name" and
 * "*.name" only subdomains, IP addresses, CIDR blocks, an optional :port)
 * or by being loopback ("localhost", 127.0.0.0/8, ::1), which a proxy
 * cannot reach for us. */
CPOD_INTERNAL bool http_no_proxy(const char *no_proxy, const char *host, uint16_t port);
/* Standard base64 of data into out (NUL-terminated); -1 when it does not fit. */
CPOD_INTERNAL int http_base64(const void *data, size_t len, char *out, size_t cap);

#endif
