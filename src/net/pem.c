/*
 * pem.c — certificates and keys from files for tls.c: PEM bundles (or a
 * single DER certificate) turned into BearSSL trust anchors, client
 * certificate chains and private keys, and a small DER reader that pulls
 * out of a server certificate what an error message should say (subject,
 * issuer, names, validity) and the IP addresses to match an IP host.
 *
 * Files are bounded (8 MiB, 1 MiB per object); a server certificate is
 * hostile input, so the DER reader checks every length against its
 * enclosing element and only understands the shapes it needs.
 */
#include "tls.h"
#include "../base/buf.h"
#include "../base/fs.h"

#define PEM_MAX_FILE (8 << 20)
#define PEM_MAX_OBJECT (1 << 20)
#define PEM_MAX_CHAIN 10

typedef int (*pem_fn)(void *ctx, const char *name, const unsigned char *der, size_t len,
		      cpod_err *err);

/* base64 text (whitespace ignored, '=' padding) appended to out as bytes. */
static int pem_base64(const char *s, size_t len, buf *out, cpod_err *err)
{
	uint32_t acc = 0;
	int bits = 0;
	bool pad = false;

	if (buf_reserve(out, len / 4 * 3 + 3, err) < 0)
		return -1;
	char *o = out->data + out->len;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int v;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad = true;
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+' || c == '/')
			v = c == '+' ? 62 : 63;
		else
			return err_set(err, CPOD_E_INVALID, "bad PEM data%s",
				       c == ':' ? " (PEM headers: an encrypted key?)" : "");
		if (pad)
			return err_set(err, CPOD_E_INVALID, "bad PEM data (text after '=')");
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (char)(acc >> bits);
		}
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return 0;
}

/* Calls fn for each PEM object of the file ("-----BEGIN name-----" to
 * "-----END name-----", decoded), or once for a DER file.  Our own
 * decoder: BearSSL's is an interpreter that takes ~90 ms over a system
 * bundle, this one well under a millisecond. */
static int pem_each(const char *path, pem_fn fn, void *ctx, cpod_err *err)
{
	_cleanup_buf_ buf file = BUF_INIT;
	_cleanup_buf_ buf der = BUF_INIT;

	if (fs_read_file(AT_FDCWD, path, PEM_MAX_FILE, &file, err) < 0)
		return -1;
	const char *p = file.data, *end = file.data + file.len;
	if (!memmem(p, file.len, "-----BEGIN ", 11)) {
		if (file.len > 0 && (unsigned char)p[0] == 0x30) {
			if (fn(ctx, "CERTIFICATE", (const unsigned char *)p, file.len, err) < 0)
				return err_prefix(err, "%s", path);
			return 0;
		}
		return err_set(err, CPOD_E_INVALID, "%s: neither PEM nor DER", path);
	}
	der.max = PEM_MAX_OBJECT;
	while ((p = memmem(p, (size_t)(end - p), "-----BEGIN ", 11))) {
		char name[128], mark[160];
		const char *n = p + 11;
		const char *ne = memmem(n, (size_t)(end - n), "-----", 5);
		if (!ne || ne - n >= (ptrdiff_t)sizeof(name) || memchr(n, '\n', (size_t)(ne - n)))
			return err_set(err, CPOD_E_INVALID, "%s: bad PEM line", path);
		memcpy(name, n, (size_t)(ne - n));
		name[ne - n] = '\0';
		int ml = snprintf(mark, sizeof(mark), "-----END %s-----", name);
		const char *body = ne + 5;
		const char *be = memmem(body, (size_t)(end - body), mark, (size_t)ml);
		if (!be)
			return err_set(err, CPOD_E_INVALID, "%s: unterminated PEM object %s", path,
				       name);
		buf_reset(&der);
		if (pem_base64(body, (size_t)(be - body), &der, err) < 0 ||
		    fn(ctx, name, (const unsigned char *)der.data, der.len, err) < 0)
			return err_prefix(err, "%s", path);
		p = be + ml;
	}
	return 0;
}

/* ------------------------------------------------------------ anchors */

static void pem_dn_append(void *ctx, const void *data, size_t len)
{
	buf *b = ctx;
	if (b->failed || b->len + len > PEM_MAX_OBJECT || buf_append(b, data, len, NULL) < 0)
		b->failed = true;
}

static int pem_anchor(void *ctx, const char *name, const unsigned char *der, size_t len,
		      cpod_err *err)
{
	tls_anchors *a = ctx;
	_cleanup_buf_ buf dn = BUF_INIT;
	br_x509_decoder_context dc;

	if (strcmp(name, "CERTIFICATE") != 0 && strcmp(name, "X509 CERTIFICATE") != 0)
		return 0;
	br_x509_decoder_init(&dc, pem_dn_append, &dn);
	br_x509_decoder_push(&dc, der, len);
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
	if (!pk || dn.failed) {
		/* an algorithm BearSSL lacks (DSA, Ed25519): not an anchor for us */
		log_debug("skipped a CA certificate BearSSL cannot use (error %d)",
			  br_x509_decoder_last_error(&dc));
		return 0;
	}
	size_t klen = pk->key_type == BR_KEYTYPE_RSA ? pk->key.rsa.nlen + pk->key.rsa.elen
						       : pk->key.ec.qlen;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		br_x509_trust_anchor *ta = realloc(a->ta, cap * sizeof(*ta));
		if (!ta)
			return err_nomem(err);
		a->ta = ta;
		a->cap = cap;
	}
	/* one block: the DN, then the key bytes */
	unsigned char *block = malloc(dn.len + klen + 1);
	if (!block)
		return err_nomem(err);
	br_x509_trust_anchor *t = &a->ta[a->n++];
	memset(t, 0, sizeof(*t));
	memcpy(block, dn.data, dn.len);
	t->dn.data = block;
	t->dn.len = dn.len;
	t->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	t->pkey.key_type = pk->key_type;
	unsigned char *k = block + dn.len;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		memcpy(k, pk->key.rsa.n, pk->key.rsa.nlen);
		memcpy(k + pk->key.rsa.nlen, pk->key.rsa.e, pk->key.rsa.elen);
		t->pkey.key.rsa.n = k;
		t->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		t->pkey.key.rsa.e = k + pk->key.rsa.nlen;
		t->pkey.key.rsa.elen = pk->key.rsa.elen;
	} else {
		memcpy(k, pk->key.ec.q, pk->key.ec.qlen);
		t->pkey.key.ec.curve = pk->key.ec.curve;
		t->pkey.key.ec.q = k;
		t->pkey.key.ec.qlen = pk->key.ec.qlen;
	}
	return 0;
}

CPOD_INTERNAL int tls_anchors_add_file(tls_anchors *a, const char *path, cpod_err *err)
{
	size_t before = a->n;
	if (pem_each(path, pem_anchor, a, err) < 0)
		return -1;
	if (a->n == before)
		return err_set(err, CPOD_E_INVALID, "%s: no usable CA certificate", path);
	return 0;
}

CPOD_INTERNAL void tls_anchors_free(tls_anchors *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->ta[i].dn.data);
	free(a->ta);
	memset(a, 0, sizeof(*a));
}

/* ------------------------------------------------------------ client keys */

static int pem_cert(void *ctx, const char *name, const unsigned char *der, size_t len,
		    cpod_err *err)
{
	tls_chain *c = ctx;
	if (strcmp(name, "CERTIFICATE") != 0 && strcmp(name, "X509 CERTIFICATE") != 0)
		return 0;
	if (c->n >= PEM_MAX_CHAIN)
		return err_set(err, CPOD_E_LIMIT, "more than %d certificates", PEM_MAX_CHAIN);
	br_x509_certificate *certs = realloc(c->certs, (c->n + 1) * sizeof(*certs));
	if (!certs)
		return err_nomem(err);
	c->certs = certs;
	if (!(certs[c->n].data = malloc(len ? len : 1)))
		return err_nomem(err);
	memcpy(certs[c->n].data, der, len);
	certs[c->n++].data_len = len;
	return 0;
}

CPOD_INTERNAL int tls_chain_load(const char *path, tls_chain *out, cpod_err *err)
{
	memset(out, 0, sizeof(*out));
	if (pem_each(path, pem_cert, out, err) < 0) {
		tls_chain_free(out);
		return -1;
	}
	if (out->n == 0)
		return err_set(err, CPOD_E_INVALID, "%s: no certificate", path);
	return 0;
}

CPOD_INTERNAL void tls_chain_free(tls_chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->certs[i].data);
	free(c->certs);
	memset(c, 0, sizeof(*c));
}

typedef struct pem_key_ctx {
	br_skey_decoder_context *key;
	bool found;
} pem_key_ctx;

static int pem_key(void *ctx, const char *name, const unsigned char *der, size_t len,
		   cpod_err *err)
{
	pem_key_ctx *k = ctx;
	if (!strcmp(name, "ENCRYPTED PRIVATE KEY"))
		return err_set(err, CPOD_E_UNSUPPORTED,
			       "encrypted private keys are not supported");
	if (strcmp(name, "RSA PRIVATE KEY") != 0 && strcmp(name, "EC PRIVATE KEY") != 0 &&
	    strcmp(name, "PRIVATE KEY") != 0)
		return 0;
	if (k->found)
		return err_set(err, CPOD_E_INVALID, "more than one private key");
	br_skey_decoder_init(k->key);
	br_skey_decoder_push(k->key, der, len);
	int e = br_skey_decoder_last_error(k->key);
	if (e)
		return err_set(err, CPOD_E_INVALID,
			       "bad or unsupported private key (BearSSL error %d)", e);
	k->found = true;
	return 0;
}

CPOD_INTERNAL int tls_key_load(const char *path, br_skey_decoder_context *key, cpod_err *err)
{
	pem_key_ctx k = { key, false };
	int r = pem_each(path, pem_key, &k, err);
	if (r == 0 && !k.found)
		r = err_set(err, CPOD_E_INVALID, "%s: no private key", path);
	if (r < 0)
		explicit_bzero(key, sizeof(*key));
	return r;
}

/* ------------------------------------------------------------ DER */

/* The element at *p (before end): tag, contents; *p moves past it.  Only
 * low tag numbers and definite lengths up to 16 MiB: all a certificate
 * needs. */
static int der_next(const uint8_t **p, const uint8_t *end, unsigned *tag, const uint8_t **val,
		    size_t *len)
{
	const uint8_t *q = *p;
	if (end - q < 2 || (q[0] & 0x1f) == 0x1f)
		return -1;
	*tag = q[0];
	size_t l = q[1];
	q += 2;
	if (l & 0x80) {
		size_t k = l & 0x7f;
		if (k == 0 || k > 3 || (size_t)(end - q) < k)
			return -1;
		for (l = 0; k; k--)
			l = l << 8 | *q++;
	}
	if (l > (size_t)(end - q))
		return -1;
	*val = q;
	*len = l;
	*p = q + l;
	return 0;
}

/* Enters the element at *p if it has tag; false (and *p unchanged) if not. */
static bool der_enter(const uint8_t **p, const uint8_t *end, unsigned want, const uint8_t **val,
		      const uint8_t **vend)
{
	const uint8_t *q = *p, *v;
	unsigned tag;
	size_t len;
	if (der_next(&q, end, &tag, &v, &len) < 0 || tag != want)
		return false;
	*p = q;
	*val = v;
	*vend = v + len;
	return true;
}

/* Appends text to out ("; " style separator sep when not first),
 * replacing what is not printable. */
static void der_append(char *out, size_t cap, const char *sep, const char *prefix,
		       const uint8_t *s, size_t len)
{
	size_t n = strlen(out);
	if (n && n + strlen(sep) < cap) {
		strcpy(out + n, sep);
		n += strlen(sep);
	}
	for (const char *p = prefix; *p && n + 1 < cap; p++)
		out[n++] = *p;
	for (size_t i = 0; i < len && n + 1 < cap; i++)
		out[n++] = s[i] >= 0x20 && s[i] != 0x7f ? (char)s[i] : '?';
	out[n] = '\0';
}

/* CN and O of a Name, "CN=x, O=y" */
static void der_name(const uint8_t *p, const uint8_t *end, char *out, size_t cap)
{
	static const uint8_t cn[] = { 0x55, 0x04, 0x03 }, o[] = { 0x55, 0x04, 0x0a };
	const uint8_t *set, *set_end, *atv, *atv_end, *v;
	unsigned tag;
	size_t len;

	out[0] = '\0';
	for (int pass = 0; pass < 2; pass++) {
		const uint8_t *q = p;
		while (der_enter(&q, end, 0x31, &set, &set_end)) {
			while (der_enter(&set, set_end, 0x30, &atv, &atv_end)) {
				if (der_next(&atv, atv_end, &tag, &v, &len) < 0 || tag != 0x06)
					break;
				const uint8_t *want = pass == 0 ? cn : o;
				if (len != 3 || memcmp(v, want, 3) != 0)
					continue;
				if (der_next(&atv, atv_end, &tag, &v, &len) < 0)
					break;
				der_append(out, cap, ", ", pass == 0 ? "CN=" : "O=", v, len);
			}
		}
	}
	if (!out[0])
		snprintf(out, cap, "(no CN or O)");
}

/* UTCTime or GeneralizedTime to Unix time; -1 when malformed. */
static int64_t der_time(unsigned tag, const uint8_t *v, size_t len)
{
	int f[6], year;
	size_t ydigits = tag == 0x17 ? 2 : 4;

	if ((tag != 0x17 && tag != 0x18) || len != ydigits + 11 || v[len - 1] != 'Z')
		return -1;
	for (size_t i = 0; i < len - 1; i++)
		if (v[i] < '0' || v[i] > '9')
			return -1;
	year = 0;
	for (size_t i = 0; i < ydigits; i++)
		year = year * 10 + (v[i] - '0');
	if (ydigits == 2)
		year += year < 50 ? 2000 : 1900;
	for (int i = 0; i < 5; i++)
		f[i] = (v[ydigits + 2 * i] - '0') * 10 + (v[ydigits + 2 * i + 1] - '0');
	int m = f[0], d = f[1];
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	/* days from civil (Howard Hinnant's algorithm) */
	int y = year - (m <= 2);
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = (int64_t)era * 146097 + doe - 719468;
	return days * 86400 + f[2] * 3600 + f[3] * 60 + f[4];
}

static void der_san(const uint8_t *p, const uint8_t *end, tls_cert_info *out)
{
	const uint8_t *seq, *seq_end, *v;
	unsigned tag;
	size_t len;

	if (!der_enter(&p, end, 0x30, &seq, &seq_end))
		return;
	while (der_next(&seq, seq_end, &tag, &v, &len) == 0) {
		if (tag == 0x82) {
			der_append(out->names, sizeof(out->names), ", ", "", v, len);
		} else if (tag == 0x87 && (len == 4 || len == 16)) {
			char ip[64];
			if (out->n_ips < ARRAY_LEN(out->ips)) {
				memcpy(out->ips[out->n_ips], v, len);
				out->ip_len[out->n_ips++] = (uint8_t)len;
			}
			if (len == 4)
				snprintf(ip, sizeof(ip), "%u.%u.%u.%u", v[0], v[1], v[2], v[3]);
			else
				snprintf(ip, sizeof(ip), "%x:%x:%x:%x:%x:%x:%x:%x",
					 v[0] << 8 | v[1], v[2] << 8 | v[3], v[4] << 8 | v[5],
					 v[6] << 8 | v[7], v[8] << 8 | v[9], v[10] << 8 | v[11],
					 v[12] << 8 | v[13], v[14] << 8 | v[15]);
			der_append(out->names, sizeof(out->names), ", ", "", (const uint8_t *)ip,
				   strlen(ip));
		}
	}
}

CPOD_INTERNAL int tls_cert_parse(const uint8_t *der, size_t len, tls_cert_info *out)
{
	static const uint8_t san_oid[] = { 0x55, 0x1d, 0x11 };
	const uint8_t *p = der, *end = der + len, *cert, *cert_end, *tbs, *tbs_end, *v, *v_end;
	unsigned tag;
	size_t l;

	memset(out, 0, sizeof(*out));
	if (!der_enter(&p, end, 0x30, &cert, &cert_end) ||
	    !der_enter(&cert, cert_end, 0x30, &tbs, &tbs_end))
		return -1;
	der_enter(&tbs, tbs_end, 0xa0, &v, &v_end);                  /* version */
	if (der_next(&tbs, tbs_end, &tag, &v, &l) < 0 || tag != 0x02 ||  /* serial */
	    der_next(&tbs, tbs_end, &tag, &v, &l) < 0 || tag != 0x30 ||  /* signature */
	    !der_enter(&tbs, tbs_end, 0x30, &v, &v_end))
		return -1;
	der_name(v, v_end, out->issuer, sizeof(out->issuer));
	if (!der_enter(&tbs, tbs_end, 0x30, &v, &v_end))
		return -1;
	if (der_next(&v, v_end, &tag, &cert, &l) < 0 ||
	    (out->not_before = der_time(tag, cert, l)) < 0 ||
	    der_next(&v, v_end, &tag, &cert, &l) < 0 ||
	    (out->not_after = der_time(tag, cert, l)) < 0)
		return -1;
	if (!der_enter(&tbs, tbs_end, 0x30, &v, &v_end))
		return -1;
	der_name(v, v_end, out->subject, sizeof(out->subject));
	if (der_next(&tbs, tbs_end, &tag, &v, &l) < 0 || tag != 0x30)  /* public key */
		return -1;
	while (der_next(&tbs, tbs_end, &tag, &v, &l) == 0) {
		const uint8_t *exts, *exts_end, *ext, *ext_end, *oid;
		if (tag != 0xa3)
			continue;  /* the unique identifiers */
		const uint8_t *q = v;
		if (!der_enter(&q, v + l, 0x30, &exts, &exts_end))
			return -1;
		while (der_enter(&exts, exts_end, 0x30, &ext, &ext_end)) {
			size_t ol;
			if (der_next(&ext, ext_end, &tag, &oid, &ol) < 0 || tag != 0x06)
				return -1;
			if (ol != 3 || memcmp(oid, san_oid, 3) != 0)
				continue;
			/* the critical flag, then the value */
			if (der_next(&ext, ext_end, &tag, &v, &l) == 0 && tag == 0x01)
				der_next(&ext, ext_end, &tag, &v, &l);
			if (tag == 0x04)
				der_san(v, v + l, out);
		}
	}
	return 0;
}
