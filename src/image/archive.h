/*
 * archive.h — image archives: docker-archive (docker save's manifest.json,
 * configs and layer tars) and oci-archive (a tar of an OCI image layout:
 * oci-layout, index.json, blobs/sha256/...), read by load and written by
 * save.
 *
 * Loading extracts the archive into the store's tmp/ first (an archive's
 * parts may come in any order, and docker's refer to each other by path),
 * rejecting anything that is not a plain file, directory or relative
 * symlink inside it, then stores layers and images from there.  A load
 * killed at any point leaves only debris in tmp/.
 */
#ifndef CPOD_IMAGE_ARCHIVE_H
#define CPOD_IMAGE_ARCHIVE_H
#include "store.h"

/* Loads every image of the archive read from fd; names gets one line per
 * image loaded (its names, or its id when it has none). */
CPOD_INTERNAL int archive_load(image_store *s, int fd, const image_platform *platform, buf *names,
			       cpod_err *err);

enum archive_format { ARCHIVE_DOCKER, ARCHIVE_OCI };
/* Writes the images (ids, with the name each was asked by, or NULL) as one
 * archive to fd. */
CPOD_INTERNAL int archive_save(image_store *s, const store_image *const *imgs, const char *const *names,
			       size_t n, enum archive_format fmt, int fd, cpod_err *err);

#endif
