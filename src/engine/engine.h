/*
 * engine.h — the engine: what joins the image store and the OCI runtime
 * into containers run from images (the cpod_engine_* and cpod_image_*
 * functions of cpod.h).
 *
 * State: the image store and containers/ under the root (/var/lib/cpod,
 * CPOD_ROOT; rootless $XDG_DATA_HOME/cpod), the runtime's state, bundles and
 * generated files under the run root (/run/cpod, CPOD_RUNROOT; rootless
 * $XDG_RUNTIME_DIR/cpod or /tmp/cpod-UID, 0700, owner checked).
 */
#ifndef CPOD_ENGINE_H
#define CPOD_ENGINE_H
#include "../image/rootfs.h"
#include "../image/reference.h"
#include "../oci/runtime.h"

struct cpod_engine {
	image_store *store;
	cpod_runtime *rt;
	char root[PATH_MAX];
	char runroot[PATH_MAX];
	int rootfd, runrootfd;
	bool rootless;
};

/* Resolves an image reference (or id) in the store. */
CPOD_INTERNAL int engine_image(cpod_engine *e, const char *ref, store_image **out, cpod_err *err);
/* Whether a pull would know where to look for ref (pull.c). */
CPOD_INTERNAL bool pull_is_resolvable(const char *ref);
/* The image's config, parsed. */
CPOD_INTERNAL image_config *engine_image_config(cpod_engine *e, const store_image *img,
						cpod_err *err);
/* ROOT/containers/ID/SUB, or under the run root with in_run ("" SUB: the
 * directory itself). */
CPOD_INTERNAL int engine_ctr_path(const cpod_engine *e, const char *id, bool in_run, const char *sub,
				  char *out, size_t n, cpod_err *err);
/* Random hex id of n characters (n <= 64). */
CPOD_INTERNAL void engine_random_hex(char *out, size_t n);
/* Now, as RFC 3339 with nanoseconds. */
CPOD_INTERNAL void engine_now(char *out, size_t n);

#endif
