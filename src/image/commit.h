/*
 * commit.h — recording an image whose manifest, config and layers are
 * already in the store, and making the manifest for images cpod builds
 * itself (import, commit, build).
 */
#ifndef CPOD_IMAGE_COMMIT_H
#define CPOD_IMAGE_COMMIT_H
#include "store.h"

/* Reads manifest and config from the store, checks they agree (one diff_id
 * per layer, every layer present), and records the image with its names
 * ("domain/path:tag", normalised already) and digests ("domain/path@sha256:").
 * index_digest: the index it was chosen from, or NULL.  *id_out gets the id. */
CPOD_INTERNAL int image_record(image_store *s, const char *manifest_digest,
			       const char *const *names, size_t n_names,
			       const char *const *digests, size_t n_digests, const char *index_digest,
			       char id_out[DIGEST_HEX_LEN + 1], cpod_err *err);

/* A layer of a manifest cpod writes. */
typedef struct commit_layer {
	char digest[DIGEST_STR_LEN + 1];
	int64_t size;
	int compression;           /* layer_result's */
} commit_layer;

/* Stores config_json, writes an OCI manifest for it and the layers, stores
 * that too, and records the image (see image_record). */
CPOD_INTERNAL int image_commit(image_store *s, const char *config_json, const commit_layer *layers,
			       size_t n_layers, const char *const *names, size_t n_names,
			       char id_out[DIGEST_HEX_LEN + 1], cpod_err *err);

#endif
