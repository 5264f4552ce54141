/*
 * digest.c — SHA-256 (see digest.h).  BearSSL computes it, unless a block
 * function for the CPU's SHA extensions is available (digest_blocks): then
 * the buffering and padding here drive that function instead.
 *
 * The hardware block function uses the x86-64 SHA extensions through
 * compiler intrinsics, enabled for that one function only
 * (__attribute__((target))), so the rest of the build needs no -m flags and
 * the binary still runs on CPUs without them: CPUID decides at first use.
 * CPOD_NO_SHANI=1 in the environment keeps the portable path (tests, and a
 * way out should a CPU misreport).
 */
#include "digest.h"
#include <pthread.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define DIGEST_HAVE_SHANI 1
#endif

static const uint32_t digest_iv[8] = {
	0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
	0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
};

/* Hashes n full 64-byte blocks; NULL when the CPU has no fast path. */
typedef void (*digest_blocks_fn)(uint32_t state[8], const unsigned char *data, size_t n);
static digest_blocks_fn digest_blocks;

#ifdef DIGEST_HAVE_SHANI
static const uint32_t digest_k[64] __attribute__((aligned(16))) = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
	0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* The SHA-NI compression loop (Intel's published scheme): the state lives
 * in two registers as ABEF/CDGH, each sha256rnds2 does two rounds, and
 * sha256msg1/msg2 extend the message schedule four words at a time. */
__attribute__((target("sha,sse4.1")))
static void digest_blocks_shani(uint32_t state[8], const unsigned char *data, size_t n)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i tmp = _mm_loadu_si128((const __m128i *)(const void *)&state[0]);
	__m128i s1 = _mm_loadu_si128((const __m128i *)(const void *)&state[4]);

	tmp = _mm_shuffle_epi32(tmp, 0xB1);          /* CDAB */
	s1 = _mm_shuffle_epi32(s1, 0x1B);            /* EFGH */
	__m128i s0 = _mm_alignr_epi8(tmp, s1, 8);    /* ABEF */
	s1 = _mm_blend_epi16(s1, tmp, 0xF0);         /* CDGH */

	while (n--) {
		__m128i abef = s0, cdgh = s1, msg;
		__m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)data),
					      bswap);
		__m128i m1 = _mm_shuffle_epi8(
			_mm_loadu_si128((const __m128i *)(const void *)(data + 16)), bswap);
		__m128i m2 = _mm_shuffle_epi8(
			_mm_loadu_si128((const __m128i *)(const void *)(data + 32)), bswap);
		__m128i m3 = _mm_shuffle_epi8(
			_mm_loadu_si128((const __m128i *)(const void *)(data + 48)), bswap);

/* four rounds on the schedule words in m */
#define DIGEST_QR(m, r)                                                                           \
	do {                                                                                      \
		msg = _mm_add_epi32(                                                              \
			m, _mm_load_si128((const __m128i *)(const void *)&digest_k[4 * (r)]));    \
		s1 = _mm_sha256rnds2_epu32(s1, s0, msg);                                          \
		msg = _mm_shuffle_epi32(msg, 0x0E);                                               \
		s0 = _mm_sha256rnds2_epu32(s0, s1, msg);                                          \
	} while (0)
/* the next four schedule words into a, from a..d = W[t-16..t-1] in fours */
#define DIGEST_SCHED(a, b, c, d)                                                         \
	a = _mm_sha256msg2_epu32(                                                        \
		_mm_add_epi32(_mm_sha256msg1_epu32(a, b), _mm_alignr_epi8(d, c, 4)), d)
#define DIGEST_G4(r)                                                                     \
	do {                                                                             \
		DIGEST_SCHED(m0, m1, m2, m3);                                            \
		DIGEST_QR(m0, r);                                                        \
		DIGEST_SCHED(m1, m2, m3, m0);                                            \
		DIGEST_QR(m1, (r) + 1);                                                  \
		DIGEST_SCHED(m2, m3, m0, m1);                                            \
		DIGEST_QR(m2, (r) + 2);                                                  \
		DIGEST_SCHED(m3, m0, m1, m2);                                            \
		DIGEST_QR(m3, (r) + 3);                                                  \
	} while (0)
		DIGEST_QR(m0, 0);
		DIGEST_QR(m1, 1);
		DIGEST_QR(m2, 2);
		DIGEST_QR(m3, 3);
		DIGEST_G4(4);
		DIGEST_G4(8);
		DIGEST_G4(12);
#undef DIGEST_G4
#undef DIGEST_SCHED
#undef DIGEST_QR
		s0 = _mm_add_epi32(s0, abef);
		s1 = _mm_add_epi32(s1, cdgh);
		data += 64;
	}

	tmp = _mm_shuffle_epi32(s0, 0x1B);           /* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xB1);            /* DCHG */
	s0 = _mm_blend_epi16(tmp, s1, 0xF0);         /* DCBA */
	s1 = _mm_alignr_epi8(s1, tmp, 8);            /* ABEF -> HGFE */
	_mm_storeu_si128((__m128i *)(void *)&state[0], s0);
	_mm_storeu_si128((__m128i *)(void *)&state[4], s1);
}

static bool digest_cpu_has_shani(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return false;
	bool sse41 = c & (1u << 19), ssse3 = c & (1u << 9);
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return false;
	return sse41 && ssse3 && (b & (1u << 29));
}
#endif

static pthread_once_t digest_once = PTHREAD_ONCE_INIT;

static void digest_detect(void)
{
#ifdef DIGEST_HAVE_SHANI
	const char *e = getenv("CPOD_NO_SHANI");
	if ((!e || !*e || strcmp(e, "0") == 0) && digest_cpu_has_shani())
		digest_blocks = digest_blocks_shani;
#endif
}

CPOD_INTERNAL bool digest_accelerated(void)
{
	pthread_once(&digest_once, digest_detect);
	return digest_blocks != NULL;
}

CPOD_INTERNAL void digest_init(digest_ctx *c)
{
	pthread_once(&digest_once, digest_detect);
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
	return err_set(err, CPOD_E_INVALID, "%s: \"%.80s\" is not a sha256 digest", what,
		       s ? s : "");
}
