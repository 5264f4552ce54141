/*
 * rootfs.h — a container's root file system from an image's layers: an
 * overlayfs of the unpacked layers under a writable upper directory, or,
 * where overlay cannot be used, a copy of the layers applied in order.
 *
 * The overlay is mounted by whoever will use it, in its own mount
 * namespace (the container's init, or a private namespace for export), so
 * no mount is ever left on the host.  Its lowerdir names the layers by
 * their short links relative to the store root (l/SHORT), after a chdir
 * there, so even 150-layer images fit in the one page mount options get.
 */
#ifndef CPOD_IMAGE_ROOTFS_H
#define CPOD_IMAGE_ROOTFS_H
#include "store.h"

typedef struct rootfs_overlay {
	image_store *store;
	char *options;        /* "lowerdir=l/A:l/B,upperdir=...,workdir=..." */
} rootfs_overlay;

/* Whether overlay works for this store (probed once in a private mount
 * namespace; CPOD_NO_OVERLAY=1 says no).  *why gets the reason when not. */
CPOD_INTERNAL bool rootfs_overlay_usable(image_store *s, const char **why);

/* Prepares the mount options for img's layers (top layer first) with upper
 * and work directories (absolute, or relative to the store root). */
CPOD_INTERNAL int rootfs_overlay_prepare(image_store *s, const store_image *img, const char *upper,
					 const char *work, rootfs_overlay *ov, cpod_err *err);
CPOD_INTERNAL void rootfs_overlay_free(rootfs_overlay *ov);
/* Mounts it on target (ctx is the rootfs_overlay); the working directory
 * is changed to the store root. */
CPOD_INTERNAL int rootfs_overlay_mount(void *ctx, const char *target, cpod_err *err);

/* Layer contents as they are stored: a whiteout (a 0:0 character device)
 * and an opaque directory (the overlay xattr, trusted. or user.). */
CPOD_INTERNAL bool rootfs_is_whiteout(const struct stat *st);
CPOD_INTERNAL bool rootfs_is_opaque(int fd);
/* Copies the layer directory src onto dst, applying its whiteouts and
 * opaque directories: what the layer says wins (owners, modes, xattrs and
 * times kept; devices only where we may make them). */
CPOD_INTERNAL int rootfs_apply_layer_dir(int src, int dst, cpod_err *err);
/* The copy fallback: applies the layers of img, bottom up, onto the empty
 * directory dirfd (whiteouts applied, opaque directories emptied). */
CPOD_INTERNAL int rootfs_copy(image_store *s, const store_image *img, int dirfd, cpod_err *err);

/* Reads a file of the image as the merged tree would show it (a regular
 * file, no symlinks followed), without mounting anything.  CPOD_E_NOTFOUND
 * when the image has no such file. */
CPOD_INTERNAL int rootfs_read_file(image_store *s, const store_image *img, const char *path,
				   size_t max, buf *out, cpod_err *err);

/* Looks path up in the image's layers as the merged tree shows it (no
 * symlink followed): 1 found (st; *fd an O_PATH fd on it when fd is not
 * NULL), 0 when the image has no such path. */
CPOD_INTERNAL int rootfs_find(image_store *s, const store_image *img, const char *path,
			      struct stat *st, int *fd, cpod_err *err);

#endif
