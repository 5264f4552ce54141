/*
 * specgen.h — the OCI config of a container run from an image: podman's
 * defaults, then the image's config, then the options of `run`.
 *
 * specgen_build checks every option first (options.h) and fails before it
 * changes anything; then it makes the volumes the container needs (named
 * ones that do not exist yet, anonymous ones for -v /path and the image's
 * VOLUMEs) and copies the image's content into new ones; then it writes
 * the config.  If it fails after making volumes, it removes them again.
 * A caller that fails after specgen_build succeeded releases them with
 * volume_release(e, id, summary, true, ...).
 */
#ifndef CPOD_ENGINE_SPECGEN_H
#define CPOD_ENGINE_SPECGEN_H
#include "userdb.h"
#include "options.h"
#include "volume.h"

typedef struct specgen_in {
	cpod_engine *e;
	const store_image *img;
	const char *ctr_dir;      /* ROOT/containers/ID */
	/* gets {"Mounts":[...],"HostConfig":{...},"Config":{...}} (podman's
	 * shapes), or NULL */
	buf *summary;
	const cpod_run_opts *run;
	const image_config *cfg;
	const char *id;
	const char *name;
	const char *rootfs;       /* root.path */
	const char *files_dir;    /* holds hosts, hostname, resolv.conf for the container */
	const userdb_user *user;
	bool rootless;
	bool with_cgroup;         /* put the container in a cgroup of its own */
	const char *net_mode;     /* HostConfig.NetworkMode as the networks were made (the
				   * default may have fallen back to none); NULL: the options' */
} specgen_in;

/* The config.json text. */
CPOD_INTERNAL char *specgen_build(const specgen_in *in, cpod_err *err);

/* The command the container runs: entrypoint + cmd as podman combines
 * them (an --entrypoint drops the image's Cmd unless args are given). */
CPOD_INTERNAL int specgen_args(const cpod_run_opts *run, const image_config *cfg, const char ***out,
			       size_t *n, mem_pool *pool, cpod_err *err);

/* podman's default capabilities, as a mask. */
CPOD_INTERNAL uint64_t specgen_default_caps(void);

/* Where --init's binary is in the container. */
#define SPECGEN_INIT_PATH "/run/cpod-init"

#endif
