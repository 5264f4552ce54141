/*
 * volume.h — volumes: named ones (`volume create`, or made on first use by
 * -v NAME:/path), anonymous ones (an image's VOLUME, -v /path alone; 64
 * hex characters), as podman keeps them.
 *
 * Layout: ROOT/volumes/NAME/_data (what containers mount) and
 * ROOT/volumes/NAME/volume.json, written atomically; a volume directory is
 * renamed into place complete and renamed away before it is deleted, so a
 * half-made or half-removed one is never listed.  Every change takes
 * ROOT/volumes.lock.  A tmpfs volume (--opt type=tmpfs) is a fresh tmpfs
 * in each container that mounts it, with its options: nothing on the host.
 * A bind volume (--opt type=none,o=bind,device=PATH) mounts PATH.
 *
 * Which containers use a volume is read from the containers' records:
 * the "Mounts" of the summary that specgen writes (found at the top of
 * container.json or one object down), or, for a container whose record is
 * not written yet, the io.cpod.volumes annotation of its config.json.
 */
#ifndef CPOD_ENGINE_VOLUME_H
#define CPOD_ENGINE_VOLUME_H
#include "options.h"

typedef struct volume_rec {
	mem_pool pool;
	char name[256];
	char driver[32];
	char created[64];
	bool anonymous;
	bool needs_copy_up;       /* the image's content is copied in on first use */
	bool needs_chown;         /* owned by the first user's uid/gid on first use */
	options_kv *labels;
	size_t n_labels;
	options_kv *options;      /* --opt: type, device, o, ... */
	size_t n_options;
	char mountpoint[PATH_MAX]; /* ROOT/volumes/NAME/_data */
} volume_rec;

CPOD_INTERNAL void volume_rec_free(volume_rec *v);
CPOD_INTERNAL bool volume_name_ok(const char *name);
/* The value of --opt KEY, or NULL. */
CPOD_INTERNAL const char *volume_option(const volume_rec *v, const char *key);
/* A tmpfs volume: the options to mount it with ("size=64m,..." or ""). */
CPOD_INTERNAL bool volume_is_tmpfs(const volume_rec *v, const char **o);
/* A bind volume: the host path it binds. */
CPOD_INTERNAL const char *volume_bind_device(const volume_rec *v);

/* ROOT/volumes.lock (an fd to close, -1 on error). */
CPOD_INTERNAL int volume_lock(cpod_engine *e, cpod_err *err);

/* Checks --opt and --label values of a volume to create. */
CPOD_INTERNAL int volume_check_options(const char *driver, const char *const *labels,
				       const char *const *options, cpod_err *err);
/* Creates a volume (name NULL: an anonymous one, named randomly); the
 * caller holds the lock.  out may be NULL. */
CPOD_INTERNAL int volume_create(cpod_engine *e, const char *name, const char *driver,
				const char *const *labels, const char *const *options,
				bool anonymous, volume_rec *out, cpod_err *err);
/* CPOD_E_NOTFOUND when there is none. */
CPOD_INTERNAL int volume_load(cpod_engine *e, const char *name, volume_rec *v, cpod_err *err);
CPOD_INTERNAL int volume_save(cpod_engine *e, const volume_rec *v, cpod_err *err);
/* Every volume's name (malloc'd, sorted). */
CPOD_INTERNAL int volume_names(cpod_engine *e, char ***names, size_t *n, cpod_err *err);
CPOD_INTERNAL void volume_names_free(char **names, size_t n);
/* The containers using name, other than except (may be NULL): how many,
 * and the id of the first in first (65 bytes, may be NULL). */
CPOD_INTERNAL int volume_users(cpod_engine *e, const char *name, const char *except,
			       char *first);
/* Removes it; the caller holds the lock.  A volume in use is refused
 * (CPOD_E_STATE) unless force. */
CPOD_INTERNAL int volume_remove(cpod_engine *e, const char *name, bool force, cpod_err *err);
/* podman's inspect object. */
CPOD_INTERNAL void volume_write_json(json_w *w, cpod_engine *e, const volume_rec *v);

/* First use by a container of img, mounted at path: the image's content
 * there is copied into an empty volume (owners, modes, times, xattrs
 * kept), and the volume takes the directory's owner and mode, or, with no
 * such directory, uid:gid (host ids).  Clears the first-use flags. */
CPOD_INTERNAL int volume_first_use(cpod_engine *e, volume_rec *v, const store_image *img,
				   const char *path, bool copy, uid_t uid, gid_t gid, cpod_err *err);

/* A container is being removed: with remove_anonymous, its anonymous
 * volumes (the Mounts of its summary JSON, or of a container.json that
 * holds it; with summary_json NULL, the volumes its config.json names)
 * go too, unless another container uses them.  Call it before or after
 * the container's directory is removed (before, without a summary):
 * ctr_id's own use is not counted. */
CPOD_INTERNAL int volume_release(cpod_engine *e, const char *ctr_id, const char *summary_json,
				 bool remove_anonymous, cpod_err *err);

#endif
