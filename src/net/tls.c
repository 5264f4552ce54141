/*
 * tls.c — TLS client connections over BearSSL (see tls.h).
 *
 * The engine is configured by hand rather than with br_ssl_client_init_full,
 * so only what the six suites need is linked: TLS 1.2; ECDHE with ECDSA or
 * RSA signatures; AES-128/256-GCM and ChaCha20-Poly1305; SHA-256/384 (and
 * SHA-512 for certificate signatures).  No RSA key exchange, no CBC, no
 * TLS 1.0/1.1.
 *
 * Certificates go through a small X.509 class of ours wrapped around
 * BearSSL's "minimal" engine: it keeps a copy of the server's certificate
 * so a failure can name what was presented, checks IP-address hosts
 * against the certificate's IP addresses (BearSSL matches DNS names
 * only), and in insecure mode skips validation altogether while still
 * handing the engine the server's public key.
 *
 * I/O is ours too (not br_sslio): every wait on the socket is a poll with
 * the caller's timeout, and the socket error that stopped the engine is
 * kept for the message.
 */
#include "tls.h"
#include "resolve.h"
#include "../base/proc.h"
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <sys/random.h>
#include <time.h>

static const uint16_t tls_suites[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};

static const char *const tls_ca_places[] = {
	"/etc/ssl/certs/ca-certificates.crt",   /* Debian, Ubuntu, Alpine, Arch */
	"/etc/pki/tls/certs/ca-bundle.crt",     /* Fedora, RHEL */
	"/etc/ssl/cert.pem",                    /* Alpine, macOS, OpenBSD */
	"/etc/ssl/certs/ca-bundle.crt",         /* older Red Hat */
	"/etc/ssl/ca-bundle.pem",               /* openSUSE */
};

typedef struct tls_x509 {
	const br_x509_class *vtable;            /* first: BearSSL calls through it */
	br_x509_minimal_context minimal;
	br_x509_decoder_context dec;            /* the server key, in insecure mode */
	bool insecure;
	uint8_t ip[16];                         /* an IP host, matched by us */
	size_t ip_len;
	unsigned depth;
	size_t ee_len;
	bool ee_whole;
	unsigned char ee[16384];                /* the server's own certificate */
} tls_x509;

struct tls_conn {
	br_ssl_client_context sc;
	tls_x509 x509;
	int fd;
	bool eof;
	bool started;                           /* the engine runs (after br_ssl_client_reset) */
	bool broken;                            /* the socket failed: the engine is stuck */
	struct tls_ca_set *sys;                 /* the system's anchors (shared) */
	tls_anchors extra;                      /* those of cfg->ca_files */
	br_x509_trust_anchor *all;              /* both, for the chain check */
	tls_chain chain;
	br_skey_decoder_context key;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

/* ------------------------------------------------------------ system CAs */

/* The system bundle's anchors, decoded once and shared: decoding a bundle
 * of ~150 certificates takes BearSSL's decoder over 10 ms, which every
 * new connection would pay.  A changed file (path, inode, size, mtime) is
 * read again; a set in use stays until its last connection lets go. */
typedef struct tls_ca_set {
	tls_anchors a;
	char path[PATH_MAX];
	struct stat st;
	int refs;
} tls_ca_set;

static pthread_mutex_t tls_ca_lock = PTHREAD_MUTEX_INITIALIZER;
static tls_ca_set *tls_ca_current;

static bool tls_ca_same(const tls_ca_set *s, const char *path, const struct stat *st)
{
	return s && !strcmp(s->path, path) && s->st.st_dev == st->st_dev &&
	       s->st.st_ino == st->st_ino && s->st.st_size == st->st_size &&
	       s->st.st_mtim.tv_sec == st->st_mtim.tv_sec &&
	       s->st.st_mtim.tv_nsec == st->st_mtim.tv_nsec;
}

static void tls_ca_put(tls_ca_set *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&tls_ca_lock);
	bool last = --s->refs == 0;
	pthread_mutex_unlock(&tls_ca_lock);
	if (last) {
		tls_anchors_free(&s->a);
		free(s);
	}
}

static tls_ca_set *tls_ca_get(const char *path, cpod_err *err)
{
	struct stat st;
	tls_ca_set *s = NULL;

	if (stat(path, &st) < 0) {
		err_sys(err, "%s", path);
		return NULL;
	}
	pthread_mutex_lock(&tls_ca_lock);
	if (tls_ca_same(tls_ca_current, path, &st)) {
		s = tls_ca_current;
		s->refs++;
	}
	pthread_mutex_unlock(&tls_ca_lock);
	if (s)
		return s;

	if (!(s = calloc(1, sizeof(*s)))) {
		err_nomem(err);
		return NULL;
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->st = st;
	s->refs = 2;  /* the cache's and the caller's */
	if (tls_anchors_add_file(&s->a, path, err) < 0) {
		free(s);
		return NULL;
	}
	pthread_mutex_lock(&tls_ca_lock);
	tls_ca_set *old = tls_ca_current;
	tls_ca_current = s;
	pthread_mutex_unlock(&tls_ca_lock);
	tls_ca_put(old);
	return s;
}

/* ------------------------------------------------------------ X.509 class */

static tls_x509 *tls_x509_of(const br_x509_class *const *ctx)
{
	return (tls_x509 *)(void *)ctx;
}

static void tls_x509_start_chain(const br_x509_class **ctx, const char *server_name)
{
	tls_x509 *x = tls_x509_of(ctx);
	x->depth = 0;
	x->ee_len = 0;
	x->ee_whole = true;
	if (!x->insecure)
		x->minimal.vtable->start_chain(&x->minimal.vtable, server_name);
}

static void tls_x509_start_cert(const br_x509_class **ctx, uint32_t length)
{
	tls_x509 *x = tls_x509_of(ctx);
	if (x->depth == 0) {
		x->ee_whole = length <= sizeof(x->ee);
		if (x->insecure)
			br_x509_decoder_init(&x->dec, NULL, NULL);
	}
	if (!x->insecure)
		x->minimal.vtable->start_cert(&x->minimal.vtable, length);
}

static void tls_x509_append(const br_x509_class **ctx, const unsigned char *data, size_t len)
{
	tls_x509 *x = tls_x509_of(ctx);
	if (x->depth == 0) {
		if (x->ee_whole && len <= sizeof(x->ee) - x->ee_len) {
			memcpy(x->ee + x->ee_len, data, len);
			x->ee_len += len;
		} else {
			x->ee_whole = false;
		}
		if (x->insecure)
			br_x509_decoder_push(&x->dec, data, len);
	}
	if (!x->insecure)
		x->minimal.vtable->append(&x->minimal.vtable, data, len);
}

static void tls_x509_end_cert(const br_x509_class **ctx)
{
	tls_x509 *x = tls_x509_of(ctx);
	x->depth++;
	if (!x->insecure)
		x->minimal.vtable->end_cert(&x->minimal.vtable);
}

/* The certificate of an IP host must list that address. */
static bool tls_x509_ip_ok(const tls_x509 *x)
{
	tls_cert_info info;
	if (!x->ee_whole || tls_cert_parse(x->ee, x->ee_len, &info) < 0)
		return false;
	for (size_t i = 0; i < info.n_ips; i++)
		if (info.ip_len[i] == x->ip_len && !memcmp(info.ips[i], x->ip, x->ip_len))
			return true;
	return false;
}

static unsigned tls_x509_end_chain(const br_x509_class **ctx)
{
	tls_x509 *x = tls_x509_of(ctx);
	if (x->insecure) {
		if (x->depth == 0)
			return BR_ERR_X509_EMPTY_CHAIN;
		if (br_x509_decoder_get_pkey(&x->dec))
			return 0;
		int e = br_x509_decoder_last_error(&x->dec);
		return e ? (unsigned)e : BR_ERR_X509_INVALID_VALUE;
	}
	unsigned r = x->minimal.vtable->end_chain(&x->minimal.vtable);
	if (r == 0 && x->ip_len && !tls_x509_ip_ok(x))
		r = BR_ERR_X509_BAD_SERVER_NAME;
	return r;
}

static const br_x509_pkey *tls_x509_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	tls_x509 *x = tls_x509_of(ctx);
	if (!x->insecure)
		return x->minimal.vtable->get_pkey(&x->minimal.vtable, usages);
	if (usages)
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	return br_x509_decoder_get_pkey(&x->dec);
}

static const br_x509_class tls_x509_vtable = {
	sizeof(tls_x509),
	tls_x509_start_chain,
	tls_x509_start_cert,
	tls_x509_append,
	tls_x509_end_cert,
	tls_x509_end_chain,
	tls_x509_get_pkey,
};

static void tls_x509_init(tls_x509 *x, const br_x509_trust_anchor *ta, size_t n, bool insecure)
{
	static const struct {
		int id;
		const br_hash_class *impl;
	} hashes[] = {
		{ br_sha256_ID, &br_sha256_vtable },
		{ br_sha384_ID, &br_sha384_vtable },
		{ br_sha512_ID, &br_sha512_vtable },
	};
	time_t now = time(NULL);

	x->vtable = &tls_x509_vtable;
	x->insecure = insecure;
	br_x509_minimal_init(&x->minimal, &br_sha256_vtable, ta, n);
	for (size_t i = 0; i < ARRAY_LEN(hashes); i++)
		br_x509_minimal_set_hash(&x->minimal, hashes[i].id, hashes[i].impl);
	br_x509_minimal_set_rsa(&x->minimal, br_rsa_pkcs1_vrfy_get_default());
	br_x509_minimal_set_ecdsa(&x->minimal, br_ec_get_default(),
				  br_ecdsa_vrfy_asn1_get_default());
	/* days since 0000-01-01 (proleptic Gregorian), as BearSSL counts */
	br_x509_minimal_set_time(&x->minimal, (uint32_t)(now / 86400 + 719528),
				 (uint32_t)(now % 86400));
}

/* ------------------------------------------------------------ messages */

#define TLS_E(x) { BR_ERR_##x, #x }
static const struct {
	int code;
	const char *name;
} tls_errors[] = {
	TLS_E(BAD_PARAM), TLS_E(BAD_STATE), TLS_E(UNSUPPORTED_VERSION), TLS_E(BAD_VERSION),
	TLS_E(BAD_LENGTH), TLS_E(TOO_LARGE), TLS_E(BAD_MAC), TLS_E(NO_RANDOM),
	TLS_E(UNKNOWN_TYPE), TLS_E(UNEXPECTED), TLS_E(BAD_CCS), TLS_E(BAD_ALERT),
	TLS_E(BAD_HANDSHAKE), TLS_E(OVERSIZED_ID), TLS_E(BAD_CIPHER_SUITE),
	TLS_E(BAD_COMPRESSION), TLS_E(BAD_FRAGLEN), TLS_E(BAD_SECRENEG), TLS_E(EXTRA_EXTENSION),
	TLS_E(BAD_SNI), TLS_E(BAD_HELLO_DONE), TLS_E(LIMIT_EXCEEDED), TLS_E(BAD_FINISHED),
	TLS_E(RESUME_MISMATCH), TLS_E(INVALID_ALGORITHM), TLS_E(BAD_SIGNATURE),
	TLS_E(WRONG_KEY_USAGE), TLS_E(NO_CLIENT_AUTH), TLS_E(IO),
	TLS_E(X509_INVALID_VALUE), TLS_E(X509_TRUNCATED), TLS_E(X509_EMPTY_CHAIN),
	TLS_E(X509_INNER_TRUNC), TLS_E(X509_BAD_TAG_CLASS), TLS_E(X509_BAD_TAG_VALUE),
	TLS_E(X509_INDEFINITE_LENGTH), TLS_E(X509_EXTRA_ELEMENT), TLS_E(X509_UNEXPECTED),
	TLS_E(X509_NOT_CONSTRUCTED), TLS_E(X509_NOT_PRIMITIVE), TLS_E(X509_PARTIAL_BYTE),
	TLS_E(X509_BAD_BOOLEAN), TLS_E(X509_OVERFLOW), TLS_E(X509_BAD_DN), TLS_E(X509_BAD_TIME),
	TLS_E(X509_UNSUPPORTED), TLS_E(X509_LIMIT_EXCEEDED), TLS_E(X509_WRONG_KEY_TYPE),
	TLS_E(X509_BAD_SIGNATURE), TLS_E(X509_TIME_UNKNOWN), TLS_E(X509_EXPIRED),
	TLS_E(X509_DN_MISMATCH), TLS_E(X509_BAD_SERVER_NAME), TLS_E(X509_CRITICAL_EXTENSION),
	TLS_E(X509_NOT_CA), TLS_E(X509_FORBIDDEN_KEY_USAGE), TLS_E(X509_WEAK_PUBLIC_KEY),
	TLS_E(X509_NOT_TRUSTED),
};

static const struct {
	int code;
	const char *name;
} tls_alerts[] = {
	{ 10, "unexpected_message" }, { 20, "bad_record_mac" }, { 40, "handshake_failure" },
	{ 42, "bad_certificate" }, { 43, "unsupported_certificate" },
	{ 44, "certificate_revoked" }, { 45, "certificate_expired" },
	{ 46, "certificate_unknown" }, { 47, "illegal_parameter" }, { 48, "unknown_ca" },
	{ 49, "access_denied" }, { 50, "decode_error" }, { 51, "decrypt_error" },
	{ 70, "protocol_version" }, { 71, "insufficient_security" }, { 80, "internal_error" },
	{ 90, "user_canceled" }, { 109, "missing_extension" }, { 112, "unrecognized_name" },
	{ 116, "certificate_required" }, { 120, "no_application_protocol" },
};

static const char *tls_alert_name(int a)
{
	for (size_t i = 0; i < ARRAY_LEN(tls_alerts); i++)
		if (tls_alerts[i].code == a)
			return tls_alerts[i].name;
	return "unknown alert";
}

static void tls_time_str(int64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(out, n, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, n, "?");
}

/* A message for a certificate the chain check refused. */
static int tls_cert_error(tls_conn *c, int code, const char *server_name, cpod_err *err)
{
	const tls_x509 *x = &c->x509;
	tls_cert_info info;
	char t1[40], t2[40];
	bool known = x->ee_whole && tls_cert_parse(x->ee, x->ee_len, &info) == 0;

	if (!known) {
		memset(&info, 0, sizeof(info));
		strcpy(info.subject, "?");
		strcpy(info.issuer, "?");
	}
	switch (code) {
	case BR_ERR_X509_NOT_TRUSTED:
		return err_set(err, CPOD_E_PERM,
			       "TLS: certificate is not trusted (subject %s, issuer %s)",
			       info.subject, info.issuer);
	case BR_ERR_X509_BAD_SERVER_NAME:
		if (info.names[0])
			return err_set(err, CPOD_E_PERM, "TLS: certificate is for %s, not %s",
				       info.names, server_name);
		return err_set(err, CPOD_E_PERM, "TLS: certificate (subject %s) is not for %s",
			       info.subject, server_name);
	case BR_ERR_X509_EXPIRED:
		tls_time_str(info.not_before, t1, sizeof(t1));
		tls_time_str(info.not_after, t2, sizeof(t2));
		if (known && info.not_before > (int64_t)time(NULL))
			return err_set(err, CPOD_E_PERM, "TLS: certificate is not valid before %s "
				       "(subject %s)", t1, info.subject);
		return err_set(err, CPOD_E_PERM, "TLS: certificate %s%s (subject %s)",
			       known ? "expired on " : "has expired or is not yet valid",
			       known ? t2 : "", info.subject);
	}
	for (size_t i = 0; i < ARRAY_LEN(tls_errors); i++)
		if (tls_errors[i].code == code)
			return err_set(err, CPOD_E_PERM, "TLS: bad certificate: BR_ERR_%s "
				       "(subject %s)", tls_errors[i].name, info.subject);
	return err_set(err, CPOD_E_PERM, "TLS: bad certificate: error %d (subject %s)", code,
		       info.subject);
}

/* Why the engine stopped: *clean for a close_notify (no error set). */
static int tls_engine_error(tls_conn *c, const char *server_name, bool handshake,
			    bool *clean, cpod_err *err)
{
	int e = br_ssl_engine_last_error(&c->sc.eng);
	const char *when = handshake ? "handshake with" : "connection to";

	*clean = false;
	if (e == BR_ERR_OK) {
		if (!handshake) {
			*clean = true;
			return -1;
		}
		return err_set(err, CPOD_E_SYS, "TLS: %s closed the connection in the handshake",
			       server_name);
	}
	if (e >= BR_ERR_X509_OK && e < BR_ERR_RECV_FATAL_ALERT)
		return tls_cert_error(c, e, server_name, err);
	if (e >= BR_ERR_RECV_FATAL_ALERT) {
		int a = e & 0xff;
		bool recv = e < BR_ERR_SEND_FATAL_ALERT;
		const char *hint = "";
		if (recv && handshake && !c->chain.n && (a == 42 || a == 116))
			hint = " (the server wants a client certificate)";
		else if (recv && handshake && !c->chain.n && a == 40)
			hint = " (no cipher suite in common, or the server wants a client "
			       "certificate)";
		else if (recv && handshake && a == 40)
			hint = " (no cipher suite in common?)";
		return err_set(err, CPOD_E_PERM, "TLS: %s %s failed: %s alert %s (%d)%s", when,
			       server_name, recv ? "the server sent" : "we sent",
			       tls_alert_name(a), a, hint);
	}
	const char *hint = "";
	if (handshake && (e == BR_ERR_UNSUPPORTED_VERSION || e == BR_ERR_UNKNOWN_TYPE))
		hint = " (is it a TLS server?)";
	else if (handshake && e == BR_ERR_BAD_VERSION)
		hint = " (the server does not offer TLS 1.2)";
	else if (handshake && e == BR_ERR_BAD_CIPHER_SUITE)
		hint = " (the server offers none of the ECDHE with AES-GCM or ChaCha20 suites)";
	for (size_t i = 0; i < ARRAY_LEN(tls_errors); i++)
		if (tls_errors[i].code == e)
			return err_set(err, CPOD_E_PERM, "TLS: %s %s failed: BR_ERR_%s%s", when,
				       server_name, tls_errors[i].name, hint);
	return err_set(err, CPOD_E_PERM, "TLS: %s %s failed: error %d", when, server_name, e);
}

/* ------------------------------------------------------------ I/O */

/* Waits for fd; 1 ready, 0 on timeout, -1 on error. */
static int tls_wait(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	for (;;) {
		int64_t left = deadline - proc_now_ms();
		if (left <= 0)
			return 0;
		int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

/* One read or write on the socket: the count, 0 at EOF, -1 on error. */
static ssize_t tls_sock(tls_conn *c, unsigned char *data, size_t len, bool out, int timeout_ms,
			cpod_err *err)
{
	int64_t deadline = proc_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		ssize_t r = out ? send(c->fd, data, len, MSG_NOSIGNAL) : recv(c->fd, data, len, 0);
		if (r >= 0)
			return r;
		if (errno != EAGAIN && errno != EINTR)
			return err_sys(err, out ? "send" : "receive");
		int w = tls_wait(c->fd, out ? POLLOUT : POLLIN, deadline);
		if (w < 0)
			return err_sys(err, "poll");
		if (w == 0)
			return err_sysn(err, ETIMEDOUT, "%s for %d ms",
					out ? "could not send" : "no data", timeout_ms);
	}
}

/* The socket failed under the engine, which cannot be told: the
 * connection is unusable from now on. */
static int tls_broken(tls_conn *c, const char *name, bool handshake, cpod_err *err)
{
	c->broken = true;
	return err_prefix(err, "TLS: %s %s", handshake ? "handshake with" : "connection to", name);
}

/* Runs the engine until it reaches one of the states in want: 0, 1 when
 * the connection ended (close_notify or the TCP end), -1 on error. */
static int tls_run(tls_conn *c, unsigned want, int timeout_ms, cpod_err *err, const char *name,
		   bool handshake)
{
	br_ssl_engine_context *eng = &c->sc.eng;

	if (c->broken)
		return err_set(err, CPOD_E_STATE, "TLS: the connection failed earlier");
	for (;;) {
		unsigned st = br_ssl_engine_current_state(eng);
		if (st & BR_SSL_CLOSED) {
			bool clean;
			if (tls_engine_error(c, name, handshake, &clean, err) < 0 && !clean)
				return -1;
			return 1;
		}
		if (st & BR_SSL_SENDREC) {
			size_t len;
			unsigned char *b = br_ssl_engine_sendrec_buf(eng, &len);
			ssize_t w = tls_sock(c, b, len, true, timeout_ms, err);
			if (w <= 0)
				return tls_broken(c, name, handshake, err);
			br_ssl_engine_sendrec_ack(eng, (size_t)w);
			continue;
		}
		if (st & want)
			return 0;
		if (st & BR_SSL_RECVAPP)
			return err_set(err, CPOD_E_INVALID,
				       "TLS: %s sent data while we were sending", name);
		if (st & BR_SSL_RECVREC) {
			size_t len;
			unsigned char *b = br_ssl_engine_recvrec_buf(eng, &len);
			ssize_t r = tls_sock(c, b, len, false, timeout_ms, err);
			if (r == 0 && !handshake) {
				/* the TCP end without close_notify: the HTTP framing
				 * tells whether anything is missing */
				c->eof = true;
				return 1;
			}
			if (r == 0)
				err_set(err, CPOD_E_SYS, "the server closed the connection");
			if (r <= 0)
				return tls_broken(c, name, handshake, err);
			br_ssl_engine_recvrec_ack(eng, (size_t)r);
			continue;
		}
		/* records wait in the output buffer: push them out */
		br_ssl_engine_flush(eng, 0);
	}
}

/* ------------------------------------------------------------ connections */

CPOD_INTERNAL const char *tls_system_ca_file(void)
{
	const char *env = getenv("SSL_CERT_FILE");
	if (env && *env)
		return env;
	for (size_t i = 0; i < ARRAY_LEN(tls_ca_places); i++)
		if (access(tls_ca_places[i], R_OK) == 0)
			return tls_ca_places[i];
	return NULL;
}

static int tls_client_key(tls_conn *c, const tls_config *cfg, cpod_err *err)
{
	if (!cfg->client_cert && !cfg->client_key)
		return 0;
	if (!cfg->client_cert || !cfg->client_key)
		return err_set(err, CPOD_E_INVALID, "TLS: a client certificate needs its key too");
	if (tls_chain_load(cfg->client_cert, &c->chain, err) < 0 ||
	    tls_key_load(cfg->client_key, &c->key, err) < 0)
		return err_prefix(err, "TLS: client certificate");
	br_ssl_client_context *sc = &c->sc;
	switch (br_skey_decoder_key_type(&c->key)) {
	case BR_KEYTYPE_RSA:
		br_ssl_client_set_single_rsa(sc, c->chain.certs, c->chain.n,
					     br_skey_decoder_get_rsa(&c->key),
					     br_rsa_pkcs1_sign_get_default());
		return 0;
	case BR_KEYTYPE_EC:
		br_ssl_client_set_single_ec(sc, c->chain.certs, c->chain.n,
					    br_skey_decoder_get_ec(&c->key), BR_KEYTYPE_SIGN, 0,
					    br_ec_get_default(), br_ecdsa_sign_asn1_get_default());
		return 0;
	}
	return err_set(err, CPOD_E_UNSUPPORTED, "TLS: %s: unsupported key type", cfg->client_key);
}

static void tls_ca_release(tls_conn *c)
{
	free(c->all);
	c->all = NULL;
	tls_anchors_free(&c->extra);
	tls_ca_put(c->sys);
	c->sys = NULL;
}

/* The engine: exactly the suites above and what they need. */
static void tls_engine_init(tls_conn *c)
{
	br_ssl_client_context *sc = &c->sc;
	br_ssl_engine_context *eng = &sc->eng;

	br_ssl_client_zero(sc);
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(eng, tls_suites, ARRAY_LEN(tls_suites));
	br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable);
	br_ssl_engine_set_hash(eng, br_sha512_ID, &br_sha512_vtable);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_gcm(eng);
	br_ssl_engine_set_default_chapol(eng);
	br_ssl_engine_set_default_ec(eng);
	br_ssl_engine_set_default_rsavrfy(eng);
	br_ssl_engine_set_default_ecdsa(eng);
	br_ssl_engine_set_x509(eng, &c->x509.vtable);
	br_ssl_engine_set_buffer(eng, c->iobuf, sizeof(c->iobuf), 1);
}

CPOD_INTERNAL tls_conn *tls_connect(int fd, const char *server_name, const tls_config *cfg,
				    int timeout_ms, cpod_err *err)
{
	static const tls_config none;
	unsigned char seed[32];
	char name[256];
	net_addr ip;

	tls_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		err_nomem(err);
		return NULL;
	}
	c->fd = fd;
	if (!cfg)
		cfg = &none;
	snprintf(name, sizeof(name), "%s", server_name);
	size_t nl = strlen(name);
	while (nl && name[nl - 1] == '.')
		name[--nl] = '\0';

	size_t n_all = 0;
	if (cfg->insecure) {
		if (!cfg->insecure_quiet)
			log_warn("TLS: not verifying the certificate of %s", name);
	} else {
		const char *sys = tls_system_ca_file();
		if (sys && !(c->sys = tls_ca_get(sys, err))) {
			err_prefix(err, "TLS: system CA certificates");
			goto fail;
		}
		for (size_t i = 0; i < cfg->n_ca_files && i < ARRAY_LEN(cfg->ca_files); i++) {
			if (tls_anchors_add_file(&c->extra, cfg->ca_files[i], err) < 0) {
				err_prefix(err, "TLS: CA certificates");
				goto fail;
			}
		}
		size_t n_sys = c->sys ? c->sys->a.n : 0;
		n_all = n_sys + c->extra.n;
		if (n_all == 0) {
			err_set(err, CPOD_E_NOTFOUND, "TLS: no CA certificates (no system bundle: "
				"set SSL_CERT_FILE)");
			goto fail;
		}
		if (!(c->all = malloc(n_all * sizeof(*c->all)))) {
			err_nomem(err);
			goto fail;
		}
		if (n_sys)
			memcpy(c->all, c->sys->a.ta, n_sys * sizeof(*c->all));
		if (c->extra.n)
			memcpy(c->all + n_sys, c->extra.ta, c->extra.n * sizeof(*c->all));
	}
	tls_x509_init(&c->x509, c->all, n_all, cfg->insecure);
	if (net_parse_ip(name, 0, &ip)) {
		/* no SNI with an address (RFC 6066); the x509 class matches it */
		if (ip.sa.ss_family == AF_INET) {
			memcpy(c->x509.ip, &((struct sockaddr_in *)&ip.sa)->sin_addr, 4);
			c->x509.ip_len = 4;
		} else {
			memcpy(c->x509.ip, &((struct sockaddr_in6 *)&ip.sa)->sin6_addr, 16);
			c->x509.ip_len = 16;
		}
	}
	tls_engine_init(c);
	if (tls_client_key(c, cfg, err) < 0)
		goto fail;
	if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
		err_sys(err, "TLS: getrandom");
		goto fail;
	}
	br_ssl_engine_inject_entropy(&c->sc.eng, seed, sizeof(seed));
	explicit_bzero(seed, sizeof(seed));
	if (!br_ssl_client_reset(&c->sc, c->x509.ip_len ? NULL : name, 0)) {
		bool clean;
		tls_engine_error(c, name, true, &clean, err);
		goto fail;
	}
	c->started = true;
	int r = tls_run(c, BR_SSL_SENDAPP | BR_SSL_RECVAPP, timeout_ms, err, name, true);
	if (r != 0) {
		if (r > 0)
			err_set(err, CPOD_E_SYS, "TLS: %s closed the connection in the handshake",
				name);
		goto fail;
	}
	/* the anchors were needed for the chain check only */
	tls_ca_release(c);
	return c;
fail:
	tls_close(c);
	return NULL;
}

CPOD_INTERNAL ssize_t tls_read(tls_conn *c, void *data, size_t n, int timeout_ms, cpod_err *err)
{
	if (c->eof || n == 0)
		return 0;
	int r = tls_run(c, BR_SSL_RECVAPP, timeout_ms, err, "the server", false);
	if (r < 0)
		return -1;
	if (r > 0) {
		c->eof = true;
		return 0;
	}
	size_t len;
	unsigned char *b = br_ssl_engine_recvapp_buf(&c->sc.eng, &len);
	if (len > n)
		len = n;
	memcpy(data, b, len);
	br_ssl_engine_recvapp_ack(&c->sc.eng, len);
	return (ssize_t)len;
}

CPOD_INTERNAL int tls_write(tls_conn *c, const void *data, size_t n, int timeout_ms, cpod_err *err)
{
	br_ssl_engine_context *eng = &c->sc.eng;
	const unsigned char *p = data;

	while (n > 0) {
		int r = tls_run(c, BR_SSL_SENDAPP, timeout_ms, err, "the server", false);
		if (r > 0)
			return err_set(err, CPOD_E_SYS, "TLS: the connection was closed");
		if (r < 0)
			return -1;
		size_t len;
		unsigned char *b = br_ssl_engine_sendapp_buf(eng, &len);
		if (len > n)
			len = n;
		memcpy(b, p, len);
		br_ssl_engine_sendapp_ack(eng, len);
		p += len;
		n -= len;
	}
	br_ssl_engine_flush(eng, 0);
	int r = tls_run(c, BR_SSL_SENDAPP, timeout_ms, err, "the server", false);
	if (r > 0)
		return err_set(err, CPOD_E_SYS, "TLS: the connection was closed");
	return r;
}

CPOD_INTERNAL void tls_close(tls_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0) {
		/* a close_notify if it goes out at once; no waiting for the peer's */
		br_ssl_engine_context *eng = &c->sc.eng;
		if (c->started && !c->broken &&
		    !(br_ssl_engine_current_state(eng) & BR_SSL_CLOSED)) {
			br_ssl_engine_close(eng);
			if (br_ssl_engine_current_state(eng) & BR_SSL_SENDREC) {
				size_t len;
				unsigned char *b = br_ssl_engine_sendrec_buf(eng, &len);
				ssize_t r = send(c->fd, b, len, MSG_NOSIGNAL | MSG_DONTWAIT);
				(void)r;
			}
		}
		close(c->fd);
	}
	tls_ca_release(c);
	tls_chain_free(&c->chain);
	explicit_bzero(&c->key, sizeof(c->key));
	explicit_bzero(c, sizeof(*c));
	free(c);
}

CPOD_INTERNAL void tls_describe(const tls_conn *c, char *out, size_t n)
{
	static const char *const names[] = {
		"ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE_RSA_WITH_AES_128_GCM_SHA256",
		"ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE_RSA_WITH_AES_256_GCM_SHA384",
		"ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
		"ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	};
	const char *name = "?";
	for (size_t i = 0; i < ARRAY_LEN(tls_suites); i++)
		if (tls_suites[i] == c->sc.eng.session.cipher_suite)
			name = names[i];
	snprintf(out, n, "TLS 1.2, %s", name);
}
