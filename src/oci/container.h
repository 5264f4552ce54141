/*
 * container.h — everything the runtime decided about a container before
 * forking it, shared by the parent side (create.c) and the init (init.c).
 *
 * The parent fills this in, validates what it can (the spec, the rootfs, the
 * seccomp profile, the executable is looked up later inside the rootfs),
 * opens the fds the child needs, and forks; the child only reads it.
 */
#ifndef CPOD_OCI_CONTAINER_H
#define CPOD_OCI_CONTAINER_H
#include "cgroup.h"
#include "seccomp.h"
#include <sched.h>

typedef struct oci_container {
	const char *id;
	char bundle[PATH_MAX];       /* absolute */
	char rootfs[PATH_MAX];       /* absolute */
	oci_spec *spec;
	seccomp_filter *seccomp;     /* NULL: none */
	bool rootless;               /* the runtime is not root in the initial user namespace */
	bool new_userns;             /* a user namespace is created (not joined) */
	bool in_userns;              /* the init runs in a user namespace (new or joined) */
	bool has_cgroup;
	cg_paths cg;
	int preserve_fds;
	bool no_pivot;
	/* fds the children inherit (all O_CLOEXEC; -1 when unused) */
	int sync_fd;                 /* the child's end of the sync socketpair */
	int fifo_fd;                 /* O_PATH on ROOT/ID/exec.fifo */
	int console_fd;              /* connected console socket */
	int host_proc_fd;            /* the host's /proc, to reach the fifo after pivot_root */
	int ns_fds[NS_TYPES];        /* namespaces to join (opened before forking) */
	int listener_fd;             /* connected seccomp listener socket (notify) */
	const char *listener_state;  /* exec: the state JSON for the listener */
	pid_t init_pid;              /* the init's pid as the runtime sees it (set in the init) */
	/* the engine's rootfs (an overlay of image layers): mounted on the
	 * rootfs directory in the container's own mount namespace, instead of
	 * the usual bind, so no host mount outlives the container */
	int (*rootfs_mount)(void *ctx, const char *rootfs, cpod_err *err);
	void *rootfs_ctx;
	bool stdin_null;
} oci_container;

/* The container's init: sets everything up, reports to the parent, waits
 * for start and executes the process.  Never returns. */
CPOD_INTERNAL void init_main(oci_container *c) __attribute__((noreturn));

/* ---- mounts.c: the container's file system, run by the init */
/* Before the mounts: a slave tree (nothing propagates to the host) and a
 * rootfs that is a mount point of its own. */
CPOD_INTERNAL int mounts_rootfs(oci_container *c, cpod_err *err);
/* Propagation, the rootfs bind, every mount of the config, devices. */
CPOD_INTERNAL int mounts_prepare(oci_container *c, int rootfd, cpod_err *err);
/* pivot_root (or MS_MOVE + chroot with --no-pivot) into the rootfs. */
CPOD_INTERNAL int mounts_pivot(oci_container *c, cpod_err *err);
/* After the pivot: masked and read-only paths, read-only root. */
CPOD_INTERNAL int mounts_finish(oci_container *c, cpod_err *err);

/* ---- devices.c */
CPOD_INTERNAL int devices_create(oci_container *c, int rootfd, cpod_err *err);

/* ---- process.c: the last steps before execve, shared with exec */
/* After the filter is loaded: hands its notify fd to the listener over
 * c->listener_fd (with state_json), then closes both.  No-op without one. */
CPOD_INTERNAL int process_seccomp_listener(oci_container *c, pid_t pid, const char *state_json,
					   cpod_err *err);
typedef struct oci_exec_target {
	char path[PATH_MAX];         /* the resolved executable */
	char home[PATH_MAX + 8];     /* "HOME=..." to add to the env, or "" */
} oci_exec_target;
/* Finds args[0] along PATH of the process's env (in the current root). */
CPOD_INTERNAL int process_lookup(const oci_process *p, oci_exec_target *t, cpod_err *err);
/* rlimits, io priority: while still privileged. */
CPOD_INTERNAL int process_limits(const oci_process *p, cpod_err *err);
/* User, groups, capabilities, no_new_privs, seccomp: in runc's order. */
CPOD_INTERNAL int process_drop_privileges(const oci_process *p, bool in_userns,
					  seccomp_filter *seccomp, cpod_err *err);
/* Closes every fd from 3 + preserve_fds up, except keep (-1: none). */
CPOD_INTERNAL void process_close_fds(int preserve_fds, int keep);
CPOD_INTERNAL int process_personality(const oci_linux *l, cpod_err *err);
/* execve with the process env; returns only on failure. */
CPOD_INTERNAL int process_exec(const oci_process *p, const oci_exec_target *t, cpod_err *err);

/* ---- console.c */
/* Opens a pty in the current root's /dev/ptmx, sends the master over
 * sockfd, and makes the slave the controlling terminal and stdio. */
CPOD_INTERNAL int console_setup(int sockfd, const oci_process *p, cpod_err *err);
CPOD_INTERNAL int console_send_fd(int sockfd, int fd, const char *name, cpod_err *err);
CPOD_INTERNAL int console_recv_fd(int sockfd, cpod_err *err);

/* ---- namespaces.c */
/* Opens the namespaces to join (linux.namespaces[].path) into c->ns_fds. */
CPOD_INTERNAL int ns_open_joins(oci_container *c, cpod_err *err);
/* In the intermediate process: joins them, the user namespace first. */
CPOD_INTERNAL int ns_join_all(oci_container *c, cpod_err *err);
/* The CLONE_NEW* flags to unshare for the namespaces to create (user and
 * cgroup excluded: they are made at their own moment). */
CPOD_INTERNAL int ns_unshare_flags(const oci_spec *s);
/* Writes uid_map, gid_map (and setgroups) of pid's user namespace, directly
 * or through newuidmap/newgidmap when an unprivileged caller maps ranges. */
CPOD_INTERNAL int ns_write_id_maps(pid_t pid, const oci_spec *s, bool rootless, cpod_err *err);
/* Writes /proc/self/timens_offsets after the time namespace is unshared. */
CPOD_INTERNAL int ns_write_time_offsets(const oci_spec *s, cpod_err *err);
/* Checks the namespaces are usable together (before anything is created). */
CPOD_INTERNAL int ns_validate(const oci_spec *s, bool rootless, cpod_err *err);

/* ---- foreground.c */
/* Waits for child (our child) while forwarding the usual termination
 * signals to it and, when master >= 0, copying between our stdio and the
 * pty (raw mode and window size included; no_input: our stdin is not
 * read).  *status gets its wait status. */
CPOD_INTERNAL int foreground_wait(pid_t child, int master, bool no_input, int *status,
				  cpod_err *err);
/* A foreground terminal (no console socket): the process's console gets
 * our terminal's size from the start unless the spec gives one (set once
 * it runs, a fast program could see 0x0). */
CPOD_INTERNAL void foreground_console_size(oci_process *p);
/* Blocks the signals foreground_wait forwards; call before forking the
 * child so none is lost in between (the child unblocks them). */
CPOD_INTERNAL void foreground_block_signals(sigset_t *old);

#endif
