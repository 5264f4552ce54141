/*
 * blobloc.h — where blobs were last seen in registries (podman's "blob info
 * cache"): so that a push can mount a blob from another repository of the
 * same registry instead of uploading it again.
 */
#ifndef CPOD_BLOBLOC_H
#define CPOD_BLOBLOC_H
#include "engine.h"

/* Notes that registry/repo has digest.  Best effort: a cache. */
CPOD_INTERNAL void blobloc_add(cpod_engine *e, const char *digest, const char *registry,
			       const char *repo);
/* The most recently noted repository of registry, other than not_repo, that
 * has digest; false when none. */
CPOD_INTERNAL bool blobloc_find(cpod_engine *e, const char *digest, const char *registry,
				const char *not_repo, char *out, size_t n);

#endif
