/*
 * store.h — the image store: content-addressed blobs, unpacked layers and
 * the index of images and their names.
 *
 * Layout under the store's root:
 *
 *     blobs/sha256/HEX     manifests, configs and layer blobs, immutable
 *     layers/HEX/          one unpacked layer per diff_id: diff/ and layer.json
 *     l/SHORT -> ../layers/HEX/diff   short names for overlay's lowerdir
 *     images.json          the images: manifest, config, layers, names
 *     tmp/                 work in progress; names carry the owner's pid and start time
 *     lock, locks/HEX      the store lock; one lock per layer being unpacked
 *
 * Crash safety: everything is written in tmp/ and renamed into place, so a
 * blob or layer directory exists only when complete (a layer is synced with
 * one syncfs before its rename); images.json is replaced atomically under
 * the store lock, and only ever names blobs and layers already in place.
 * A process killed at any point leaves at worst an orphan in tmp/ or an
 * unreferenced blob, which store_check reports and store_gc removes.
 *
 * Concurrency: images.json changes under the exclusive store lock; a layer
 * is unpacked under its own lock (so two pulls of one image unpack it once
 * and do not wait for each other's other layers); garbage collection takes
 * the store lock and then each layer's lock before deleting it.
 */
#ifndef CPOD_IMAGE_STORE_H
#define CPOD_IMAGE_STORE_H
#include "layer.h"
#include "manifest.h"

typedef struct image_store image_store;

typedef struct store_layer {
	char digest[DIGEST_STR_LEN + 1];   /* the blob as distributed */
	char diff_id[DIGEST_STR_LEN + 1];  /* the uncompressed tar */
	char media_type[128];
	int64_t size;                      /* of the blob */
} store_layer;

typedef struct store_image {
	char id[DIGEST_HEX_LEN + 1];       /* hex of the config digest */
	char config_digest[DIGEST_STR_LEN + 1];
	char manifest_digest[DIGEST_STR_LEN + 1];
	char manifest_media_type[128];
	char index_digest[DIGEST_STR_LEN + 1]; /* the index it was chosen from, or "" */
	char **names;                      /* "domain/path:tag" */
	size_t n_names;
	char **digests;                    /* "domain/path@sha256:..." it was pulled as */
	size_t n_digests;
	store_layer *layers;
	size_t n_layers;
	char created[64];                  /* from the config */
	char added[64];                    /* when it entered the store */
	char os[32], architecture[32], variant[32];
	int64_t size;                      /* unpacked bytes of all layers */
} store_image;

typedef struct store_opts {
	const char *root;                  /* NULL: CPOD_ROOT, /var/lib/cpod, or the rootless default */
	bool rootless;
} store_opts;

CPOD_INTERNAL image_store *store_open(const store_opts *o, cpod_err *err);
CPOD_INTERNAL void store_close(image_store *s);
CPOD_INTERNAL const char *store_root(const image_store *s);
CPOD_INTERNAL int store_root_fd(const image_store *s);
CPOD_INTERNAL bool store_rootless(const image_store *s);

/* The store lock (exclusive; nests within one process). */
CPOD_INTERNAL int store_lock(image_store *s, cpod_err *err);
CPOD_INTERNAL void store_unlock(image_store *s);

/* ---- blobs */
CPOD_INTERNAL bool store_has_blob(image_store *s, const char *digest);
CPOD_INTERNAL int store_blob_open(image_store *s, const char *digest, cpod_err *err);
CPOD_INTERNAL int store_blob_read(image_store *s, const char *digest, size_t max, buf *out,
				  cpod_err *err);
/* Stores bytes (verified against expect when given); *digest_out gets the digest. */
CPOD_INTERNAL int store_blob_put(image_store *s, const void *data, size_t len, const char *expect,
				 char digest_out[DIGEST_STR_LEN + 1], cpod_err *err);
/* Moves a finished file (on the store's file system) in as a blob after
 * checking its digest; the file is gone afterwards either way. */
CPOD_INTERNAL int store_blob_adopt(image_store *s, int dirfd, const char *name, const char *expect,
				   cpod_err *err);
/* A blob being written: bytes go to tmp/ and are hashed on the way. */
typedef struct store_blob_writer {
	int fd;
	char name[96];     /* under tmp/ */
	digest_ctx dc;
	uint64_t size;
} store_blob_writer;
CPOD_INTERNAL int store_blob_begin(image_store *s, store_blob_writer *w, cpod_err *err);
CPOD_INTERNAL int store_blob_write(store_blob_writer *w, const void *data, size_t n, cpod_err *err);
/* Renames it into place if its digest is expect (or any, when NULL). */
CPOD_INTERNAL int store_blob_commit(image_store *s, store_blob_writer *w, const char *expect,
				    char digest_out[DIGEST_STR_LEN + 1], cpod_err *err);
CPOD_INTERNAL void store_blob_abort(image_store *s, store_blob_writer *w);

/* ---- layers */
CPOD_INTERNAL bool store_has_layer(image_store *s, const char *diff_id);
/* Unpacks a layer blob read from src, unless the layer is there already.
 * digest and diff_id (either may be NULL) are verified; with keep_blob the
 * blob is stored too, from the same single read.  res gets both digests. */
CPOD_INTERNAL int store_layer_add(image_store *s, const byte_source *src, const char *digest,
				  const char *diff_id, int64_t size, bool keep_blob,
				  layer_result *res, cpod_err *err);
/* ROOT/layers/HEX/diff */
CPOD_INTERNAL int store_layer_path(image_store *s, const char *diff_id, char *out, size_t n,
				   cpod_err *err);
/* "l/SHORT", relative to the root: what overlay mounts use. */
CPOD_INTERNAL int store_layer_link(image_store *s, const char *diff_id, char *out, size_t n,
				   cpod_err *err);
/* The uncompressed size recorded when the layer was unpacked. */
CPOD_INTERNAL int64_t store_layer_size(image_store *s, const char *diff_id);

/* ---- images */
CPOD_INTERNAL void store_image_free(store_image *img);
/* Adds (or updates) an image; its names are taken away from other images. */
CPOD_INTERNAL int store_image_put(image_store *s, const store_image *img, cpod_err *err);
/* By id (or a unique prefix), full name, or short name as podman resolves
 * it locally; CPOD_E_NOTFOUND when none matches. */
CPOD_INTERNAL int store_image_get(image_store *s, const char *ref, store_image **out, cpod_err *err);
CPOD_INTERNAL int store_image_list(image_store *s, store_image **out, size_t *n, cpod_err *err);
CPOD_INTERNAL void store_image_list_free(store_image *list, size_t n);
CPOD_INTERNAL int store_image_tag(image_store *s, const char *id, const char *name, cpod_err *err);
/* name NULL: every name. */
CPOD_INTERNAL int store_image_untag(image_store *s, const char *id, const char *name, cpod_err *err);
/* Removes the image record and then the layers and blobs nothing uses. */
CPOD_INTERNAL int store_image_remove(image_store *s, const char *id, cpod_err *err);

/* Removes unreferenced layers, blobs and stale work in tmp/; *freed gets bytes. */
CPOD_INTERNAL int store_gc(image_store *s, uint64_t *freed, cpod_err *err);
/* Verifies the store: blob digests, images' references, layer completeness.
 * One line per finding into report: "error: ..." for an inconsistency (an
 * image that cannot be used, corrupted data), "garbage: ..." for harmless
 * debris (orphans, leftovers of interrupted work, which a crash may leave).
 * With repair, fixes what it can (drops unusable images, removes garbage
 * and corrupted blobs).  Returns the number of inconsistencies left. */
CPOD_INTERNAL int store_check(image_store *s, bool repair, buf *report, cpod_err *err);

/* The default root: $CPOD_ROOT, else /var/lib/cpod (root) or
 * $XDG_DATA_HOME/cpod (rootless: ~/.local/share/cpod). */
CPOD_INTERNAL int store_default_root(char *out, size_t n, cpod_err *err);

#endif
