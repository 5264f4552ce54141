/*
 * fuzz_http.c — libFuzzer target for what the HTTP client reads from a
 * server: the response head parser, the chunked decoder, Location URLs and
 * the DER reader that describes a server's certificate.
 *
 * The first byte picks the mode and the feeding pattern:
 *   mode 0: a response (head, then its body through the chunked decoder
 *           when it says chunked);
 *   mode 1: the rest is a chunked body;
 *   mode 2: the rest is a Location, resolved against a registry URL;
 *   mode 3: the rest is a certificate (DER) for tls_cert_parse.
 * Checks beyond "no crash": the head parser never claims more than it got,
 * and gives sane fields; the chunked decoder gives the same data and the
 * same verdict whether fed whole into a large buffer or in small pieces
 * into a small one (the input pattern comes from the first byte); a
 * resolved URL written out and parsed again is the same URL; certificate
 * fields are NUL-terminated and the IP count within bounds.
 */
#include "cpod-lines.c"

static void fuzz_http_die(const char *what, const uint8_t *data, size_t size)
{
	fprintf(stderr, "fuzz_http: %s (input %zu bytes)\n", what, size);
	abort();
}

/* Decodes in[0..len) in steps of `step` into an output of `room`; out gets
 * the data.  1 complete (*rest: bytes after the body), 0 incomplete, -1 bad. */
static int fuzz_http_dechunk(const char *in, size_t len, size_t step, size_t room, buf *out,
			     size_t *rest)
{
	http_chunked d;
	char o[256];
	size_t off = 0;
	cpod_err err;

	memset(&d, 0, sizeof(d));
	buf_reset(out);
	while (off < len) {
		size_t n = len - off < step ? len - off : step, used, produced;
		int r = http_chunked_feed(&d, in + off, n, &used, o, room, &produced, &err);
		if (r < 0)
			return -1;
		if (used > n || produced > room)
			fuzz_http_die("chunked decoder overran", (const uint8_t *)in, len);
		if (used == 0 && produced == 0 && r == 0)
			fuzz_http_die("chunked decoder made no progress", (const uint8_t *)in,
				      len);
		buf_append(out, o, produced, &err);
		off += used;
		if (r == 1) {
			*rest = len - off;
			return 1;
		}
	}
	*rest = 0;
	return 0;
}

static void fuzz_http_chunked(const char *in, size_t len, unsigned pattern)
{
	_cleanup_buf_ buf a = BUF_INIT;
	_cleanup_buf_ buf b = BUF_INIT;
	size_t rest_a = 0, rest_b = 0;

	int ra = fuzz_http_dechunk(in, len, len ? len : 1, 256, &a, &rest_a);
	int rb = fuzz_http_dechunk(in, len, 1 + pattern % 7, 1 + (pattern >> 3) % 5, &b, &rest_b);
	if (ra != rb)
		fuzz_http_die("chunked verdict depends on the feeding", (const uint8_t *)in, len);
	if (ra >= 0 && (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0)))
		fuzz_http_die("chunked data depends on the feeding", (const uint8_t *)in, len);
	if (ra == 1 && rest_a != rest_b)
		fuzz_http_die("chunked end depends on the feeding", (const uint8_t *)in, len);
}

static void fuzz_http_response(const char *in, size_t len, unsigned pattern)
{
	http_response r;
	cpod_err err;

	memset(&r, 0, sizeof(r));
	ssize_t used = http_parse_head(in, len, &r, &err);
	if (used > (ssize_t)len)
		fuzz_http_die("head parser used more than it got", (const uint8_t *)in, len);
	if (used <= 0)
		return;
	if (r.status < 100 || r.status > 599 || (r.version != 10 && r.version != 11) ||
	    r.content_length < -1 || r.n_headers > HTTP_MAX_HEADERS ||
	    strlen(r.reason) >= sizeof(r.reason) || (r.chunked && r.content_length != -1))
		fuzz_http_die("odd parsed head", (const uint8_t *)in, len);
	for (size_t i = 0; i < r.n_headers; i++) {
		if (!r.headers[i].name[0] || strchr(r.headers[i].name, ':') ||
		    strpbrk(r.headers[i].value, "\r\n"))
			fuzz_http_die("odd header", (const uint8_t *)in, len);
		if (http_header_get(&r, r.headers[i].name) == NULL)
			fuzz_http_die("header lookup failed", (const uint8_t *)in, len);
	}
	if (r.chunked)
		fuzz_http_chunked(in + used, len - (size_t)used, pattern);
	free(r.headers);
}

static void fuzz_http_location(const char *in, size_t len)
{
	char loc[8192], s1[5000], s2[5000];
	http_url base, u, again;
	cpod_err err;

	if (len >= sizeof(loc))
		return;
	memcpy(loc, in, len);
	loc[len] = '\0';
	if (http_url_parse("https://registry.example:5000/v2/lib/app/blobs/sha256:ab?x=1", NULL,
			   &base, &err) < 0)
		fuzz_http_die("base URL", NULL, 0);
	if (http_url_parse(loc, &base, &u, &err) < 0)
		return;
	if (u.path[0] != '/' || !u.host[0] || u.port == 0 || strpbrk(u.path, " \r\n\t"))
		fuzz_http_die("odd URL", (const uint8_t *)in, len);
	http_url_str(&u, s1, sizeof(s1));
	if (http_url_parse(s1, NULL, &again, &err) < 0)
		fuzz_http_die("a written URL does not parse", (const uint8_t *)in, len);
	http_url_str(&again, s2, sizeof(s2));
	if (strcmp(s1, s2) != 0)
		fuzz_http_die("URL round trip differs", (const uint8_t *)in, len);
}

static void fuzz_http_cert(const uint8_t *in, size_t len)
{
	tls_cert_info info;
	if (tls_cert_parse(in, len, &info) < 0)
		return;
	if (strlen(info.subject) >= sizeof(info.subject) ||
	    strlen(info.issuer) >= sizeof(info.issuer) ||
	    strlen(info.names) >= sizeof(info.names) || info.n_ips > ARRAY_LEN(info.ips))
		fuzz_http_die("odd certificate info", in, len);
	for (size_t i = 0; i < info.n_ips; i++)
		if (info.ip_len[i] != 4 && info.ip_len[i] != 16)
			fuzz_http_die("odd certificate IP", in, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned mode = data[0] % 4, pattern = data[0] / 4;
	const char *in = (const char *)data + 1;
	size_t len = size - 1;

	switch (mode) {
	case 0: fuzz_http_response(in, len, pattern); break;
	case 1: fuzz_http_chunked(in, len, pattern); break;
	case 2: fuzz_http_location(in, len); break;
	case 3: fuzz_http_cert(data + 1, len); break;
	}
	return 0;
}
