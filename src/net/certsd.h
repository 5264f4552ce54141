/*
 * certsd.h — per-registry TLS files as podman keeps them: a directory
 * named after the registry ("registry.local:5000") under
 * /etc/containers/certs.d (CPOD_CERTS_DIR instead, for tests and
 * appliances; rootless users' ~/.config/containers/certs.d first, and
 * /etc/docker/certs.d last), or the one directory --cert-dir names.  In
 * it, every *.crt is a CA added to the system's, and NAME.cert with
 * NAME.key is a client certificate (a key without its certificate, or the
 * reverse, is an error, as in podman).
 */
#ifndef CPOD_NET_CERTSD_H
#define CPOD_NET_CERTSD_H
#include "tls.h"

#define CERTSD_MAX_CA 8

typedef struct certsd_tls {
	char dir[PATH_MAX];             /* the directory used, "" when none exists */
	char ca[CERTSD_MAX_CA][PATH_MAX];
	size_t n_ca;
	char cert[PATH_MAX], key[PATH_MAX];   /* "" when none */
} certsd_tls;

/* The files for hostport ("host" or "host:port"); cert_dir: --cert-dir, or
 * NULL.  No directory is no error. */
CPOD_INTERNAL int certsd_lookup(const char *cert_dir, const char *hostport, certsd_tls *out,
				cpod_err *err);
/* What a directory holds (the part of certsd_lookup after finding it). */
CPOD_INTERNAL int certsd_read_dir(const char *dir, certsd_tls *out, cpod_err *err);
/* Points cfg at t's files (t must outlive cfg's use). */
CPOD_INTERNAL void certsd_apply(const certsd_tls *t, tls_config *cfg);

#endif
