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
} http_request;

typedef struct http_response {
	int status;
	char reason[128];
	http_header *headers;            /* names as received */
	size_t n_headers;
	int64_t content_length;          /* -1 unknown (chunked or to close) */
	char url[4400];                  /* the URL that answered, after redirects */
	byte_source body;                /* reads the body (dechunked); 0 at its end */
} http_response;

/* Sends the request and reads the status and headers; the body is then
 * read through resp->body.  Freeing the response returns its connection
 * to the pool when the body was read to the end, else closes it. */
CPOD_INTERNAL int http_do(http_client *c, const http_request *req, http_response **resp,
			  cpod_err *err);
CPOD_INTERNAL void http_response_free(http_response *r);
/* Case-insensitive header lookup; NULL when absent. */
CPOD_INTERNAL const char *http_header_get(const http_response *r, const char *name);
/* Reads the whole body (at most max bytes). */
CPOD_INTERNAL int http_read_body(http_response *r, size_t max, buf *out, cpod_err *err);

/* The response head parser alone (for the fuzzer and the tests): parses
 * "HTTP/1.1 200 OK\r\nName: value\r\n...\r\n\r\n" from data; returns the
 * bytes consumed, 0 when more are needed, -1 on malformed input. */
CPOD_INTERNAL ssize_t http_parse_head(const char *data, size_t len, http_response *r,
				      cpod_err *err);

#endif
