/*
 * sync.h — the messages between the runtime and the processes it forks.
 *
 * A container is born in three processes: the runtime (P), an intermediate
 * (I) that joins or creates namespaces, and the container's init (C), which
 * I forks with CLONE_PARENT so that it is P's child.  They talk over one
 * SOCK_SEQPACKET socketpair, one message per step, so P can run the host-side
 * steps (id maps, cgroups, hooks, state) at the right moment and every
 * failure in a child comes back to P as a cpod_err with its full message.
 */
#ifndef CPOD_OCI_SYNC_H
#define CPOD_OCI_SYNC_H
#include "../base/err.h"

enum sync_type {
	SYNC_USERNS_READY = 1, /* I -> P: my new user namespace exists: write its id maps */
	SYNC_USERNS_MAPPED,    /* P -> I */
	SYNC_INIT_PID,         /* I -> P: value is the init's pid (in P's pid namespace) */
	SYNC_CGROUP_READY,     /* P -> C: you are in your cgroup and set up; go on */
	SYNC_RUN_HOOKS,        /* C -> P: mounts are done: run prestart and createRuntime */
	SYNC_HOOKS_DONE,       /* P -> C */
	SYNC_CREATED,          /* C -> P: everything is ready; init waits for start */
	SYNC_ERROR,            /* either way: err says what failed */
};

typedef struct sync_msg {
	int type;
	int value;
	cpod_err err;
} sync_msg;

CPOD_INTERNAL int sync_send(int fd, int type, int value, cpod_err *err);
/* Sends err as a SYNC_ERROR message (best effort). */
CPOD_INTERNAL void sync_send_error(int fd, const cpod_err *e);
/* Receives one message; a SYNC_ERROR is turned into a failure with its
 * error copied into err, and so is a message of another type than want
 * (want 0 accepts any). */
CPOD_INTERNAL int sync_expect(int fd, int want, sync_msg *m, cpod_err *err);

#endif
