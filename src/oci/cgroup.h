/*
 * cgroup.h — control groups for containers.
 *
 * cpod uses cgroup v2 where the controllers are there (current systems, the
 * helper VM) and falls back to v1 where they are not (hybrid hosts such as
 * this project's test machine, older embedded boards): memory, pids, cpu,
 * cpuset, blkio, hugetlb, devices, freezer, net_cls/net_prio on v1.  On a
 * hybrid host the container is put in the unified hierarchy as well, so
 * cgroup.procs there lists it.
 *
 * cgroupsPath is resolved once, at create time, into one absolute directory
 * per hierarchy (a relative or absent path is relative to the creating
 * process's own cgroup in each, as runc does; absent means the container id).
 * The result, cg_paths, is saved in the container's state so that later
 * commands, run from other cgroups, find the same directories.
 *
 * A host with no usable hierarchy (or a rootless caller without a delegated
 * subtree) gets no cgroup, and an error only when limits were requested.
 */
#ifndef CPOD_OCI_CGROUP_H
#define CPOD_OCI_CGROUP_H
#include "spec.h"

enum cg_mode { CG_NONE, CG_V1, CG_HYBRID, CG_V2 };

#define CG_MAX_V1 16
/* cgroup directories are short; this keeps cg_paths (which is copied into
 * the container's state and across forks) small */
#define CG_DIR_MAX 1024

typedef struct cg_paths {
	enum cg_mode mode;
	char unified[CG_DIR_MAX];    /* v2 directory ("" when none) */
	size_t n_v1;
	struct {
		char controller[32];     /* "memory", "cpu", "name=systemd" ... */
		char dir[CG_DIR_MAX];    /* e.g. /sys/fs/cgroup/memory/a/b */
	} v1[CG_MAX_V1];
} cg_paths;

/* What this host has (read from /proc/self/mountinfo once). */
CPOD_INTERNAL enum cg_mode cg_detect(void);

/* A v1 hierarchy as mounted on the host, for the container's cgroup mount. */
/* (bounded well below PATH_MAX: the table lives in every process that
 * runs a container, the supervisors included, and stays small there) */
typedef struct cg_v1_hierarchy {
	char mountpoint[256];        /* /sys/fs/cgroup/cpu,cpuacct */
	char options[128];           /* "cpu,cpuacct" or "name=systemd" */
	char root[CG_DIR_MAX];       /* the mount's root within the hierarchy */
} cg_v1_hierarchy;
CPOD_INTERNAL int cg_v1_hierarchies(const cg_v1_hierarchy **list, size_t *n);
/* The v2 mount point ("" when none). */
CPOD_INTERNAL const char *cg_unified_mountpoint(void);

/* Resolves cgroupsPath (NULL: the id) for the calling process into paths. */
CPOD_INTERNAL int cg_resolve(const char *cgroups_path, const char *id, cg_paths *out,
			     cpod_err *err);

/* Leaves out the v1 hierarchies a container with res does not need: a
 * cpuset, hugetlb, net_cls/net_prio, perf_event, rdma or misc cgroup only
 * when it sets limits there (a first cpuset child costs the kernel
 * milliseconds).  Memory, pids, cpu, cpuacct, blkio, devices, freezer and
 * named hierarchies are always kept: stats, freezing and kill need them. */
CPOD_INTERNAL void cg_trim(cg_paths *p, const oci_resources *res);
/* Creates the directories, applies res (may be NULL) and moves pid in.
 * Returns 1 when the container has a cgroup, 0 when there is none to use
 * (no hierarchy, or rootless without permission and no limits asked for). */
CPOD_INTERNAL int cg_enter(const cg_paths *p, pid_t pid, const oci_resources *res,
			   bool rootless, cpod_err *err);
/* Moves pid into an existing container cgroup (exec). */
CPOD_INTERNAL int cg_join(const cg_paths *p, pid_t pid, cpod_err *err);
/* Applies new limits to a live container (update). */
CPOD_INTERNAL int cg_update(const cg_paths *p, const oci_resources *res, cpod_err *err);
/* The pids in the cgroup (malloc'd array). */
CPOD_INTERNAL int cg_pids(const cg_paths *p, pid_t **pids, size_t *n, cpod_err *err);
CPOD_INTERNAL int cg_freeze(const cg_paths *p, bool frozen, cpod_err *err);
/* 1 frozen, 0 not, -1 unknown (no freezer). */
CPOD_INTERNAL int cg_is_frozen(const cg_paths *p);
/* Signals every process in the cgroup (frozen meanwhile, so none escapes
 * by forking; SIGKILL through cgroup.kill where the kernel has it). */
CPOD_INTERNAL int cg_kill_all(const cg_paths *p, int sig, cpod_err *err);
/* Removes the directories (and sub-cgroups the container made), retrying
 * while the last processes are still exiting. */
CPOD_INTERNAL int cg_destroy(const cg_paths *p, cpod_err *err);
/* Writes runc's stats object ("cpu", "memory", "pids", "blkio", "hugetlb")
 * as the value of the current key of w. */
CPOD_INTERNAL int cg_stats(const cg_paths *p, json_w *w, cpod_err *err);
/* How many times the OOM killer killed in this cgroup (memory.events
 * oom_kill or v1 memory.oom_control); -1 when unknown. */
CPOD_INTERNAL long cg_oom_kills(const cg_paths *p);

/* Saved in the container's state: {"mode":"v2","unified":"...","v1":{"memory":"..."}} */
CPOD_INTERNAL void cg_paths_write(json_w *w, const cg_paths *p);
CPOD_INTERNAL int cg_paths_read(const json_value *v, cg_paths *p, cpod_err *err);

#endif
