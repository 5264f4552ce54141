/*
 * manifest.h — OCI image manifests and indexes, Docker v2 schema 2
 * manifests and manifest lists, and image configs, as C structs.
 *
 * Everything here is parsed from untrusted bytes (a registry, an archive):
 * digests are checked for form, sizes for range, media types for what they
 * say, and documents are bounded (4 MiB, as the distribution spec allows).
 * Docker and OCI documents are read alike; the media type says which.
 */
#ifndef CPOD_IMAGE_MANIFEST_H
#define CPOD_IMAGE_MANIFEST_H
#include "../base/json.h"
#include "../base/pool.h"
#include "../base/digest.h"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar"
#define MT_DOCKER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

#define MANIFEST_MAX_SIZE (4u << 20)
#define CONFIG_MAX_SIZE (8u << 20)
#define MANIFEST_MAX_LAYERS 1024

typedef struct image_platform {
	const char *os, *architecture, *variant;
} image_platform;

typedef struct image_descriptor {
	const char *media_type;
	char digest[DIGEST_STR_LEN + 1];
	int64_t size;
	image_platform platform;     /* in an index */
	const char *ref_name;        /* org.opencontainers.image.ref.name, in an index */
	const char *const *urls;
} image_descriptor;

enum manifest_kind { MANIFEST_IMAGE, MANIFEST_INDEX };

typedef struct image_manifest {
	json_doc *doc;
	mem_pool pool;
	enum manifest_kind kind;
	const char *media_type;      /* from the document, or the hint */
	image_descriptor config;     /* MANIFEST_IMAGE */
	image_descriptor *layers;
	size_t n_layers;
	image_descriptor *manifests; /* MANIFEST_INDEX */
	size_t n_manifests;
} image_manifest;

/* media_type: what the transport said (Content-Type, a descriptor), or NULL
 * to take the document's own mediaType field. */
CPOD_INTERNAL image_manifest *manifest_parse(const char *data, size_t len, const char *media_type,
					     cpod_err *err);
CPOD_INTERNAL void manifest_free(image_manifest *m);
/* Whether a layer media type is one cpod can unpack. */
CPOD_INTERNAL bool manifest_layer_type_ok(const char *media_type);

/* The platform this machine runs ("linux", "amd64", "" or "v8"...). */
CPOD_INTERNAL image_platform manifest_host_platform(void);
/* "os/arch[/variant]" into p (strings point into out). */
CPOD_INTERNAL int manifest_parse_platform(const char *s, char *out, size_t n, image_platform *p,
					  cpod_err *err);
/* Picks the entry of an index for a platform (variant optional: the best
 * match wins); an error lists the platforms the index has. */
CPOD_INTERNAL const image_descriptor *manifest_select(const image_manifest *index,
						      const image_platform *want, cpod_err *err);

/* The runnable part of an image config. */
typedef struct image_config {
	json_doc *doc;
	mem_pool pool;
	const char *architecture, *os, *variant, *created, *author;
	const char *user, *working_dir, *stop_signal;
	const char **env, **entrypoint, **cmd;  /* NULL-terminated, may be NULL */
	size_t n_env, n_entrypoint, n_cmd;
	bool entrypoint_set, cmd_set;           /* present (even empty) */
	const char **volumes, **exposed_ports;
	size_t n_volumes, n_exposed_ports;
	const json_value *labels;               /* object of strings, or NULL */
	const json_value *healthcheck;          /* docker's Healthcheck object, or NULL */
	char (*diff_ids)[DIGEST_STR_LEN + 1];
	size_t n_diff_ids;
	const json_value *history;              /* array, or NULL */
} image_config;

CPOD_INTERNAL image_config *config_parse(const char *data, size_t len, cpod_err *err);
CPOD_INTERNAL void config_free(image_config *c);

#endif
