/*
 * digest.h — SHA-256 content digests ("sha256:<64 hex>"), the identity of
 * every blob, layer and image in the store.
 *
 * BearSSL's portable SHA-256 is the reference; on x86-64 CPUs with the SHA
 * extensions a hardware path is used instead (several times faster, which
 * matters when every layer is hashed twice while it is unpacked).
 */
#ifndef CPOD_DIGEST_H
#define CPOD_DIGEST_H
#include "err.h"
#include <bearssl.h>

#define DIGEST_HEX_LEN 64
#define DIGEST_STR_LEN (7 + DIGEST_HEX_LEN) /* "sha256:" + hex */

typedef struct digest_ctx {
	bool hw;                 /* the hardware path: the fields below; else br */
	br_sha256_context br;
	uint32_t state[8];
	uint64_t count;          /* bytes hashed */
	unsigned char buf[64];
	size_t buf_len;
} digest_ctx;

CPOD_INTERNAL void digest_init(digest_ctx *c);
CPOD_INTERNAL void digest_update(digest_ctx *c, const void *data, size_t len);
/* Writes "sha256:<hex>" (DIGEST_STR_LEN + 1 bytes) into out. */
CPOD_INTERNAL void digest_final(digest_ctx *c, char out[DIGEST_STR_LEN + 1]);
CPOD_INTERNAL void digest_raw(digest_ctx *c, unsigned char out[32]);
/* One-shot helper. */
CPOD_INTERNAL void digest_buf(const void *data, size_t len, char out[DIGEST_STR_LEN + 1]);

/* Whether s is "sha256:" followed by 64 lowercase hex digits; *hex points at them. */
CPOD_INTERNAL bool digest_valid(const char *s, const char **hex);
/* "sha256:<hex>" as an error-checked value: CPOD_E_INVALID naming what when not. */
CPOD_INTERNAL int digest_check(const char *s, const char *what, cpod_err *err);
/* Whether the hardware path is in use (for `info`). */
CPOD_INTERNAL bool digest_accelerated(void);

#endif
