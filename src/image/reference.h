/*
 * reference.h — image references as users write them, normalised as
 * docker and podman do: "busybox" is docker.io/library/busybox:latest,
 * "localhost/x" stays local, "reg:5000/a/b@sha256:..." names a digest.
 *
 * The grammar is the distribution spec's: a domain (a host with a dot or a
 * port, or "localhost"), lowercase path components, a tag of at most 128
 * word characters, dots and dashes, and/or a sha256 digest.  Anything else
 * is refused with an error that says which part is wrong.
 */
#ifndef CPOD_IMAGE_REFERENCE_H
#define CPOD_IMAGE_REFERENCE_H
#include "../base/digest.h"

#define REF_DOCKER_DOMAIN "docker.io"

typedef struct image_ref {
	char domain[256];           /* "docker.io", "localhost", "reg.local:5000" */
	char path[512];             /* "library/busybox" */
	char tag[129];              /* "" when only a digest was given */
	char digest[DIGEST_STR_LEN + 1]; /* "" when none */
	bool short_name;            /* the user gave no domain */
} image_ref;

/* Parses and normalises s.  A reference without tag or digest gets the tag
 * "latest". */
CPOD_INTERNAL int ref_parse(const char *s, image_ref *r, cpod_err *err);
/* "domain/path:tag" (or "domain/path@digest" when there is no tag). */
CPOD_INTERNAL void ref_name(const image_ref *r, char *out, size_t n);
/* "domain/path" */
CPOD_INTERNAL void ref_repository(const image_ref *r, char *out, size_t n);
/* Whether s could be an image id or a unique prefix of one (hex, 3..64). */
CPOD_INTERNAL bool ref_looks_like_id(const char *s);
/* For names given to import, commit and tag: an unqualified name goes to
 * localhost/ (podman's rule) instead of docker.io. */
CPOD_INTERNAL int ref_parse_local(const char *s, image_ref *r, cpod_err *err);

#endif
