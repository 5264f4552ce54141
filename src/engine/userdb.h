/*
 * userdb.h — resolving "user[:group]" as the image's /etc/passwd and
 * /etc/group define them (read through the layers, nothing mounted), as
 * podman does for --user and the image's USER; or through a running
 * container's root for exec --user.
 */
#ifndef CPOD_ENGINE_USERDB_H
#define CPOD_ENGINE_USERDB_H
#include "engine.h"

typedef struct userdb_user {
	uint32_t uid, gid;
	uint32_t gids[64];   /* supplementary groups the user is a member of */
	size_t n_gids;
	char home[PATH_MAX];
} userdb_user;

/* spec: "", "name", "uid", "name:group", "uid:gid" ... ("" is root). */
CPOD_INTERNAL int userdb_resolve(image_store *s, const store_image *img, const char *spec,
				 userdb_user *u, cpod_err *err);

/* The same, reading the files under rootfd (symlinks stay inside it). */
CPOD_INTERNAL int userdb_resolve_in(int rootfd, const char *spec, userdb_user *u, cpod_err *err);

/* The name of user (or group) id in the files under rootfd; the number
 * when it has none. */
CPOD_INTERNAL void userdb_name_in(int rootfd, uint32_t id, bool group, char *out, size_t n);

#endif
