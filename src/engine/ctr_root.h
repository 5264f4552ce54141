/*
 * ctr_root.h — running work against a container's root file system, the
 * container running or not (see ctr_root.c).
 */
#ifndef CPOD_ENGINE_CTR_ROOT_H
#define CPOD_ENGINE_CTR_ROOT_H
#include "container.h"
#include "../image/tar.h"

typedef struct ctr_root_info {
	const ctr_record *rec;
	bool running;     /* rootfd is the running container's /proc/PID/root */
} ctr_root_info;

/* fn runs in a child process: what it produces must leave through fds. */
typedef int (*ctr_root_fn)(int rootfd, const ctr_root_info *info, void *ctx, cpod_err *err);
/* Runs fn with a directory fd on the root of container ref. */
CPOD_INTERNAL int ctr_with_root(cpod_engine *e, const char *ref, ctr_root_fn fn, void *ctx,
				cpod_err *err);

/* Writes the entries below dirfd (sorted, recursively) as tar entries named
 * prefix + path, not descending into other mounts than mnt (0: any). */
CPOD_INTERNAL int export_tar_tree(tar_writer *t, int dirfd, const char *prefix, uint64_t mnt,
				  cpod_err *err);

#endif
