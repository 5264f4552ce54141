/*
 * specgen.h — the OCI config of a container run from an image: podman's
 * defaults, then the image's config, then the options of `run`.
 */
#ifndef CPOD_ENGINE_SPECGEN_H
#define CPOD_ENGINE_SPECGEN_H
#include "userdb.h"

typedef struct specgen_in {
	cpod_engine *e;
	const store_image *img;
	const char *ctr_dir;      /* ROOT/containers/ID */
	buf *summary;             /* gets {"Mounts":[...],"HostConfig":{...}} for inspect, or NULL */
	const cpod_run_opts *run;
	const image_config *cfg;
	const char *id;
	const char *name;
	const char *rootfs;       /* root.path */
	const char *files_dir;    /* holds hosts, hostname, resolv.conf for the container */
	const userdb_user *user;
	bool rootless;
	bool with_cgroup;         /* put the container in a cgroup of its own */
} specgen_in;

/* The config.json text. */
CPOD_INTERNAL char *specgen_build(const specgen_in *in, cpod_err *err);

/* The command the container runs: entrypoint + cmd as podman combines
 * them (an --entrypoint drops the image's Cmd unless args are given). */
CPOD_INTERNAL int specgen_args(const cpod_run_opts *run, const image_config *cfg, const char ***out,
			       size_t *n, mem_pool *pool, cpod_err *err);

/* podman's default capabilities, as a mask. */
CPOD_INTERNAL uint64_t specgen_default_caps(void);

#endif
