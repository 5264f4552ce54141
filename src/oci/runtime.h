/*
 * runtime.h — the runtime object behind cpod_runtime_* and the steps the
 * public verbs share.
 */
#ifndef CPOD_OCI_RUNTIME_H
#define CPOD_OCI_RUNTIME_H
#include "container.h"
#include "state.h"

struct cpod_runtime {
	char root[PATH_MAX];
	int rootfd;
	bool rootless;
};

typedef struct oci_created {
	pid_t pid;       /* the init, our child */
	int master;      /* the pty master when the runtime proxies the terminal, else -1 */
} oci_created;

/* What the engine adds to a create, beyond the public options. */
typedef struct oci_create_ext {
	int (*rootfs_mount)(void *ctx, const char *rootfs, cpod_err *err);
	void *rootfs_ctx;
	bool stdin_null;     /* the process reads /dev/null, not our stdin */
} oci_create_ext;

/* How many times the OOM killer struck in the container's cgroup (before
 * delete); -1 when unknown. */
CPOD_INTERNAL long oci_oom_kills(cpod_runtime *rt, const char *id);

/* create: everything up to the init waiting for start.  foreground: the
 * caller will wait for the container (a terminal without console socket is
 * then proxied by the runtime).  ext may be NULL. */
CPOD_INTERNAL int oci_create(cpod_runtime *rt, const char *id, const cpod_create_opts *o,
			     const oci_create_ext *ext, bool foreground, oci_created *out,
			     cpod_err *err);

/* Opens ROOT/ID and loads its state; *dirfd is the open state directory. */
CPOD_INTERNAL int oci_load(cpod_runtime *rt, const char *id, int *dirfd, oci_state *st,
			   cpod_err *err);
/* The config saved at create (ROOT/ID/config.json). */
CPOD_INTERNAL oci_spec *oci_saved_config(cpod_runtime *rt, const char *id, cpod_err *err);
/* Moves fd to a number >= min (closing the old one); -1 on failure. */
CPOD_INTERNAL int oci_fd_above(int fd, int min, cpod_err *err);

#endif
