/*
 * tls.h — TLS client connections with BearSSL: certificate chain checked
 * against the system CA bundle (Debian's /etc/ssl/certs/ca-certificates.crt
 * and the usual other places) or given CA files, the host name checked,
 * SNI sent, TLS 1.2 with ECDHE and AES-GCM or ChaCha20-Poly1305 (BearSSL
 * 0.6 has no TLS 1.3), optional client certificate (RSA or EC).
 * Verification can be turned off per registry, and then a warning says so.
 */
#ifndef CPOD_NET_TLS_H
#define CPOD_NET_TLS_H
#include "../base/err.h"
#include <bearssl.h>

typedef struct tls_config {
	/* PEM (or DER) files of more trusted CAs, added to the system's (as
	 * podman adds certs.d's ca.crt to the system pool) */
	const char *ca_files[8];
	size_t n_ca_files;
	const char *client_cert;       /* PEM, or NULL */
	const char *client_key;        /* PEM (RSA, EC or PKCS#8, unencrypted), or NULL */
	bool insecure;                 /* no verification at all (--tls-verify=false) */
	bool insecure_quiet;           /* without the warning: the caller gives its own */
} tls_config;

typedef struct tls_conn tls_conn;

/* Handshakes over the connected socket fd (taken over: closed by
 * tls_close, or here on failure).  server_name: for SNI and the
 * certificate check (an IP address is checked against the certificate's
 * IP addresses and sends no SNI).  Failures read like
 * "TLS: certificate is not trusted (subject CN=x, issuer CN=y)". */
CPOD_INTERNAL tls_conn *tls_connect(int fd, const char *server_name, const tls_config *cfg,
				    int timeout_ms, cpod_err *err);
/* The count, 0 at the end of the stream (close_notify or the TCP end).
 * timeout_ms bounds each wait on the socket (0: no waiting). */
CPOD_INTERNAL ssize_t tls_read(tls_conn *c, void *data, size_t n, int timeout_ms, cpod_err *err);
/* All of data, flushed to the socket. */
CPOD_INTERNAL int tls_write(tls_conn *c, const void *data, size_t n, int timeout_ms, cpod_err *err);
CPOD_INTERNAL void tls_close(tls_conn *c);

/* The system CA bundle in use (for messages and `info`): SSL_CERT_FILE,
 * else the first of the usual places that exists; NULL when none does. */
CPOD_INTERNAL const char *tls_system_ca_file(void);
/* "TLS 1.2, ECDHE_RSA_WITH_AES_128_GCM_SHA256" for the handshake done. */
CPOD_INTERNAL void tls_describe(const tls_conn *c, char *out, size_t n);

/* ---- certificates and keys (pem.c) */

typedef struct tls_anchors {
	br_x509_trust_anchor *ta;      /* each ta's dn.data is its one allocation */
	size_t n, cap;
} tls_anchors;

/* Adds the certificates of a PEM bundle (or one DER certificate) as trust
 * anchors; certificates BearSSL cannot use are skipped, a file without
 * any usable one is an error. */
CPOD_INTERNAL int tls_anchors_add_file(tls_anchors *a, const char *path, cpod_err *err);
CPOD_INTERNAL void tls_anchors_free(tls_anchors *a);

typedef struct tls_chain {
	br_x509_certificate *certs;    /* the end-entity first, as in the file */
	size_t n;
} tls_chain;

CPOD_INTERNAL int tls_chain_load(const char *path, tls_chain *out, cpod_err *err);
CPOD_INTERNAL void tls_chain_free(tls_chain *c);
/* A private key (RSA, EC, PKCS#8) decoded into key, which then holds it. */
CPOD_INTERNAL int tls_key_load(const char *path, br_skey_decoder_context *key, cpod_err *err);

/* What a message about a certificate needs, read from its DER. */
typedef struct tls_cert_info {
	char subject[200];             /* "CN=registry.local, O=Example" (CN and O only) */
	char issuer[200];
	char names[400];               /* subjectAltName DNS names and IPs, ", " between */
	int64_t not_before, not_after; /* Unix time */
	uint8_t ips[8][16];            /* subjectAltName IP addresses */
	uint8_t ip_len[8];             /* 4 or 16 */
	size_t n_ips;
} tls_cert_info;

/* -1 when der is not a certificate this reader understands. */
CPOD_INTERNAL int tls_cert_parse(const uint8_t *der, size_t len, tls_cert_info *out);

#endif
