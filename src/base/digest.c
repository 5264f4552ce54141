/*
 * digest.c — SHA-256 (see digest.h).  BearSSL computes it, unless a block
 * function for the CPU's SHA extensions is available (digest_blocks): then
 * the buffering and padding here drive that function instead.
 */
#include "digest.h"

static const uint32_t digest_iv[8] = {
	0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
};

/* Hashes n full 64-byte blocks; NULL when the CPU has no fast path. */
typedef void (*digest_blocks_fn)(uint32_t state[8], const unsigned char *data, size_t n);
static digest_blocks_fn digest_blocks;

CPOD_INTERNAL bool digest_accelerated(void)
{
	return digest_blocks != NULL;
}

CPOD_INTERNAL void digest_init(digest_ctx *c)
{
	c->hw = digest_blocks != NULL;
	if (!c->hw) {
		br_sha256_init(&c->br);
		return;
	}
	memcpy(c->state, digest_iv, sizeof(c->state));
	c->count = 0;
	c->buf_len = 0;
}

CPOD_INTERNAL void digest_update(digest_ctx *c, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (!c->hw) {
		br_sha256_update(&c->br, data, len);
		return;
	}

	c->count += len;
	if (c->buf_len) {
		size_t take = 64 - c->buf_len < len ? 64 - c->buf_len : len;
		memcpy(c->buf + c->buf_len, p, take);
		c->buf_len += take;
		p += take;
		len -= take;
		if (c->buf_len < 64)
			return;
		digest_blocks(c->state, c->buf, 1);
		c->buf_len = 0;
	}
	if (len >= 64) {
		digest_blocks(c->state, p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	if (len) {
		memcpy(c->buf, p, len);
		c->buf_len = len;
	}
}

CPOD_INTERNAL void digest_raw(digest_ctx *c, unsigned char out[32])
{
	if (!c->hw) {
		br_sha256_out(&c->br, out);
		return;
	}
	uint64_t bits = c->count * 8;
	unsigned char pad[72];
	size_t padlen = (c->buf_len < 56 ? 56 : 120) - c->buf_len;

	memset(pad, 0, sizeof(pad));
	pad[0] = 0x80;
	for (int i = 0; i < 8; i++)
		pad[padlen + i] = (unsigned char)(bits >> (56 - 8 * i));
	uint64_t count = c->count;
	digest_update(c, pad, padlen + 8);
	c->count = count;
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(c->state[i] >> 24);
		out[4 * i + 1] = (unsigned char)(c->state[i] >> 16);
		out[4 * i + 2] = (unsigned char)(c->state[i] >> 8);
		out[4 * i + 3] = (unsigned char)c->state[i];
	}
}

CPOD_INTERNAL void digest_final(digest_ctx *c, char out[DIGEST_STR_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[32];
	digest_raw(c, raw);
	memcpy(out, "sha256:", 7);
	for (int i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[raw[i] >> 4];
		out[8 + 2 * i] = hex[raw[i] & 15];
	}
	out[DIGEST_STR_LEN] = '\0';
}

CPOD_INTERNAL void digest_buf(const void *data, size_t len, char out[DIGEST_STR_LEN + 1])
{
	digest_ctx c;
	digest_init(&c);
	digest_update(&c, data, len);
	digest_final(&c, out);
}

CPOD_INTERNAL bool digest_valid(const char *s, const char **hex)
{
	if (!s || strncmp(s, "sha256:", 7) != 0)
		return false;
	for (int i = 0; i < DIGEST_HEX_LEN; i++) {
		char c = s[7 + i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	if (s[DIGEST_STR_LEN] != '\0')
		return false;
	if (hex)
		*hex = s + 7;
	return true;
}

CPOD_INTERNAL int digest_check(const char *s, const char *what, cpod_err *err)
{
	if (digest_valid(s, NULL))
		return 0;
	return err_set(err, CPOD_E_INVALID, "%s: \"%.80s\" is not a sha256 digest", what, s ? s : "");
}
