/*
 * layer.h — unpacking an image layer (a tar, gzip-compressed or plain)
 * into a directory, safely and fast.
 *
 * One pass over the blob computes its digest, inflates it, computes the
 * diff_id of the uncompressed tar, and writes the files; both digests are
 * checked at the end against what the manifest and config promised.  A
 * layer is hostile input: nothing it says may reach outside the target
 * directory (".." and absolute names, symlinks written through, hard links
 * to outside or to nothing, whiteouts of ".." or "/"), and sizes, nesting
 * and decompression ratios are bounded.  Whiteouts (.wh.NAME, .wh..wh..opq)
 * become overlayfs whiteouts (a 0:0 character device, the opaque xattr), or
 * are applied to the tree directly when layers are stacked by copying.
 *
 * layer_unpack does not make the result durable nor move it anywhere: the
 * store unpacks into a temporary directory, syncs, and renames it into
 * place (see store.c), so a half-unpacked layer is never used.
 */
#ifndef CPOD_IMAGE_LAYER_H
#define CPOD_IMAGE_LAYER_H
#include "tar.h"
#include "../base/digest.h"

enum layer_whiteouts {
	LAYER_WHITEOUT_OVERLAY,  /* keep them as overlayfs whiteouts */
	LAYER_WHITEOUT_APPLY,    /* delete what they name (copy mode: target holds the lower layers) */
};

typedef struct layer_opts {
	enum layer_whiteouts whiteouts;
	bool rootless;             /* device nodes skipped (with a warning), ownership best effort */
	uint64_t max_size;         /* uncompressed bytes allowed; 0: 64 GiB */
	uint64_t compressed_size;  /* the size the manifest declares; 0: unknown */
	const char *digest;        /* expected digest of the blob as read, or NULL */
	const char *diff_id;       /* expected digest of the uncompressed tar, or NULL */
} layer_opts;

typedef struct layer_result {
	char digest[DIGEST_STR_LEN + 1];   /* of the bytes read */
	char diff_id[DIGEST_STR_LEN + 1];  /* of the uncompressed tar */
	uint64_t compressed_size, size;
	enum { LAYER_PLAIN, LAYER_GZIP, LAYER_ZSTD } compression;
} layer_result;

/* Unpacks the blob read from src into dirfd (an empty directory).  On
 * failure the directory holds partial content: the caller removes it.
 * src is read (and decompressed) by a thread of the unpacker's own, joined
 * before this returns; src must not rely on being read by the caller's. */
CPOD_INTERNAL int layer_unpack(int dirfd, const byte_source *src, const layer_opts *o,
			       layer_result *res, cpod_err *err);

/* Hashes a blob without unpacking it (digest and, when compressed, diff_id). */
CPOD_INTERNAL int layer_digest(const byte_source *src, layer_result *res, cpod_err *err);

/* Writes the directory tree at dirfd as a layer tar (for commit/export):
 * overlay whiteouts become .wh. entries; gzip when compress. */
CPOD_INTERNAL int layer_pack(int dirfd, int out_fd, bool compress, layer_result *res,
			     cpod_err *err);

#endif
