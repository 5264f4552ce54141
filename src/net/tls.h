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

typedef struct tls_config {
	const char *ca_files[8];       /* PEM bundles; none: the system's */
	size_t n_ca_files;
	const char *client_cert;       /* PEM, or NULL */
	const char *client_key;        /* PEM, or NULL */
	bool insecure;                 /* no verification at all (--tls-verify=false) */
} tls_config;

typedef struct tls_conn tls_conn;

/* Handshakes over the connected socket fd (taken over: closed by
 * tls_close).  server_name: for SNI and the certificate check. */
CPOD_INTERNAL tls_conn *tls_connect(int fd, const char *server_name, const tls_config *cfg,
				    int timeout_ms, cpod_err *err);
CPOD_INTERNAL ssize_t tls_read(tls_conn *c, void *data, size_t n, int timeout_ms, cpod_err *err);
CPOD_INTERNAL int tls_write(tls_conn *c, const void *data, size_t n, int timeout_ms, cpod_err *err);
CPOD_INTERNAL void tls_close(tls_conn *c);

/* The system CA bundle in use (for messages and `info`). */
CPOD_INTERNAL const char *tls_system_ca_file(void);

#endif
