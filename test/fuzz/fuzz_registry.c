/*
 * fuzz_registry.c — libFuzzer target for what a registry client reads from
 * outside: registries.conf (and what it says about a few references),
 * auth.json, WWW-Authenticate values, Content-Range and upload Range
 * headers, and registry error bodies.
 *
 * The first byte picks the parser, the rest is its input.  Beyond "no
 * crash": outputs stay NUL-terminated within their buffers, counts within
 * their bounds, ranges ordered.
 */
#include "cpod-lines.c"

static void fuzz_reg_die(const char *what, size_t size)
{
	fprintf(stderr, "fuzz_registry: %s (input %zu bytes)\n", what, size);
	abort();
}

static void fuzz_reg_conf(const char *text, size_t len)
{
	static const char *const refs[] = {
		"docker.io/library/busybox:latest", "example.com/ns/app@sha256:"
		"0123456789012345678901234567890123456789012345678901234567890123",
		"localhost:5000/a:1", "quay.io/x/y:z",
	};
	registries_conf c;
	cpod_err err;
	regconf_init(&c);
	if (regconf_parse(&c, text, len, "fuzz.conf", &err) == 0) {
		for (size_t i = 0; i < ARRAY_LEN(refs); i++) {
			regconf_source src[8];
			size_t n = 0;
			regconf_find(&c, refs[i]);
			regconf_insecure(&c, refs[i]);
			if (regconf_pull_sources(&c, refs[i], src, ARRAY_LEN(src), &n, &err) == 0 &&
			    n > ARRAY_LEN(src))
				fuzz_reg_die("more sources than room", len);
		}
		char (*cands)[1024] = calloc(8, sizeof(*cands));
		size_t nc = 0;
		if (cands && regconf_candidates(&c, "busybox:1", cands, 8, &nc, &err) == 0 && nc > 8)
			fuzz_reg_die("more candidates than room", len);
		free(cands);
	}
	regconf_free(&c);
}

static void fuzz_reg_auth(const char *text, size_t len)
{
	auth_creds c;
	cpod_err err;
	static const char *const regs[] = { "docker.io", "quay.io", "localhost:5000" };
	for (size_t i = 0; i < ARRAY_LEN(regs); i++) {
		int r = auth_lookup_text(text, len, "fuzz.json", regs[i], "ns/repo", &c, &err);
		if (r == 1 && (strnlen(c.user, sizeof(c.user)) == sizeof(c.user) ||
			       strnlen(c.password, sizeof(c.password)) == sizeof(c.password)))
			fuzz_reg_die("credentials not terminated", len);
	}
}

static void fuzz_reg_headers(const char *text, size_t len)
{
	reg_challenge ch[4];
	size_t n = 0;
	cpod_err err;
	if (reg_parse_www_authenticate(text, ch, ARRAY_LEN(ch), &n, &err) == 0) {
		if (n > ARRAY_LEN(ch))
			fuzz_reg_die("more challenges than room", len);
		for (size_t i = 0; i < n; i++)
			if (strnlen(ch[i].realm, sizeof(ch[i].realm)) == sizeof(ch[i].realm) ||
			    strnlen(ch[i].scope, sizeof(ch[i].scope)) == sizeof(ch[i].scope))
				fuzz_reg_die("challenge not terminated", len);
	}
	int64_t s, e, t;
	if (reg_parse_content_range(text, &s, &e, &t) == 0 &&
	    (s < 0 || e < s || (t >= 0 && e >= t)))
		fuzz_reg_die("a Content-Range out of order", len);
	(void)reg_parse_upload_range(text);
}

static void fuzz_reg_error(const char *text, size_t len)
{
	char out[256];
	memset(out, 'x', sizeof(out));
	reg_error_text(text, len, out, sizeof(out));
	if (!memchr(out, '\0', sizeof(out)))
		fuzz_reg_die("error text not terminated", len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1 << 16))
		return 0;
	/* the parsers take C strings: a copy with a NUL after it */
	char *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		fuzz_reg_conf(text, size - 1);
		break;
	case 1:
		fuzz_reg_auth(text, size - 1);
		break;
	case 2:
		fuzz_reg_headers(text, size - 1);
		break;
	default:
		fuzz_reg_error(text, size - 1);
		break;
	}
	free(text);
	return 0;
}
