/*
 * state.h — what the runtime remembers about a container between commands.
 *
 * Each container has a directory ROOT/ID holding state.json (written with
 * write-then-rename), a copy of its config (config.json, used by exec and
 * delete's poststop hooks) and, between create and start, exec.fifo, the
 * FIFO its init blocks on.  The status is never stored: it is derived from
 * the init's pid *and start time* (so a reused pid, or a reboot with a
 * persistent /run, never makes a dead container look alive), the FIFO and
 * the freezer.  A lock file serialises commands on the same container.
 */
#ifndef CPOD_OCI_STATE_H
#define CPOD_OCI_STATE_H
#include "cgroup.h"
#include "../base/clock.h"

typedef struct oci_state {
	char id[1025];
	pid_t pid;
	unsigned long long start_time;
	char bundle[PATH_MAX];
	char rootfs[PATH_MAX];
	char created[64];        /* RFC 3339 with nanoseconds, UTC */
	char owner[64];
	bool has_cgroup;
	cg_paths cg;
	bool rootless;
	bool own_pidns;          /* the init is pid 1 of its own pid namespace */
	char *annotations_json;  /* the config's annotations object, or NULL */
} oci_state;

enum oci_status { ST_CREATING, ST_CREATED, ST_RUNNING, ST_PAUSED, ST_STOPPED };

CPOD_INTERNAL const char *oci_status_name(enum oci_status s);

/* The runtime's root directory: opened (created 0700 if missing). */
CPOD_INTERNAL int state_root_open(const char *root, cpod_err *err);
/* Opens ROOT/ID; CPOD_E_NOTFOUND when there is no such container. */
CPOD_INTERNAL int state_dir_open(int rootfd, const char *id, cpod_err *err);
/* Takes the container's lock (flock on ROOT/ID/lock); returns the lock fd. */
CPOD_INTERNAL int state_lock(int dirfd, cpod_err *err);

CPOD_INTERNAL int state_save(int dirfd, const oci_state *st, cpod_err *err);
CPOD_INTERNAL int state_load(int dirfd, oci_state *st, cpod_err *err);
CPOD_INTERNAL void state_clear(oci_state *st);

CPOD_INTERNAL enum oci_status state_status(int dirfd, const oci_state *st);
/* runc's state document (what `state` prints and hooks read on stdin). */
CPOD_INTERNAL int state_to_json(const oci_state *st, enum oci_status status, buf *out,
				cpod_err *err);

#endif
