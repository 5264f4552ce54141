/*
 * seccomp.h — turning the spec's linux.seccomp into a filter (libseccomp).
 *
 * The filter is compiled in the runtime before the container process exists
 * (so a bad profile fails create cleanly) and loaded by the container's init
 * as the last step before execve.
 */
#ifndef CPOD_OCI_SECCOMP_H
#define CPOD_OCI_SECCOMP_H
#include "spec.h"

typedef struct seccomp_filter seccomp_filter;

/* Compiles a runtime-spec seccomp object.  Unknown syscall names are skipped
 * (a profile lists syscalls of newer kernels); unknown actions, operators,
 * architectures and flags are errors, which name the field
 * ("linux.seccomp.syscalls[3].args[0].op: unknown operator ...").  As runc:
 * rules with the default action are dropped, a rule whose args compare one
 * index twice becomes one rule per arg (OR), and no_new_privs is left to the
 * runtime.  At most SECCOMP_MAX_RULES rules. */
#define SECCOMP_MAX_RULES 4096
CPOD_INTERNAL seccomp_filter *seccomp_compile(const json_value *seccomp, cpod_err *err);
/* Where compiled filters are cached (a private directory of the runtime);
 * NULL or "": no cache. */
CPOD_INTERNAL void seccomp_set_cache(const char *dir);
/* Loads it into the calling thread (needs no_new_privs or CAP_SYS_ADMIN). */
CPOD_INTERNAL int seccomp_load_filter(seccomp_filter *f, cpod_err *err);
CPOD_INTERNAL void seccomp_filter_free(seccomp_filter *f);
/* Whether the filter's default action lets every syscall through (so a
 * profile of "allow all" can be skipped). */
CPOD_INTERNAL bool seccomp_filter_is_noop(const seccomp_filter *f);

/* SCMP_ACT_NOTIFY.  A filter with notify rules gets a listener fd when it is
 * loaded; the runtime hands it to the agent at listenerPath.  The fd belongs
 * to the caller after seccomp_load_filter (it is O_CLOEXEC). */
CPOD_INTERNAL bool seccomp_filter_has_notify(const seccomp_filter *f);
CPOD_INTERNAL const char *seccomp_filter_listener_path(const seccomp_filter *f);
CPOD_INTERNAL const char *seccomp_filter_listener_metadata(const seccomp_filter *f);
/* The listener fd after a successful load, -1 when there is none. */
CPOD_INTERNAL int seccomp_filter_notify_fd(const seccomp_filter *f);
/* Sends the runtime-spec "container process state" ({"ociVersion", "fds":
 * ["seccompFd"], "pid", "metadata", "state"}) with notify_fd as SCM_RIGHTS
 * over one new connection to the AF_UNIX stream socket at path.  state_json
 * is the container's state object as JSON text; metadata may be NULL. */
CPOD_INTERNAL int seccomp_listener_send(const char *path, int notify_fd, pid_t pid,
					const char *metadata, const char *state_json,
					cpod_err *err);

/* Architectures by their Go/libseccomp names ("amd64", "arm64", "x86",
 * "386"...): the SCMP_ARCH_* name ("SCMP_ARCH_X86_64"), or NULL when
 * unknown; the canonical short name ("386" -> "x86"); the native one. */
CPOD_INTERNAL const char *seccomp_arch_scmp_name(const char *arch);
CPOD_INTERNAL const char *seccomp_arch_canonical(const char *arch);
CPOD_INTERNAL const char *seccomp_arch_native_name(void);

/* Podman's default profile (containers/common seccomp.json), as JSON text. */
CPOD_INTERNAL const char *seccomp_default_profile_json(void);

/* Turns a profile in the containers/common format (archMap, per-rule
 * includes/excludes of caps, arches and minKernel, errno names) into the
 * runtime-spec linux.seccomp object, as podman does when it writes
 * config.json: rules are kept for the capabilities in caps_mask (the
 * bounding set, bit N = capability N), the architecture arch ("amd64",
 * "arm64"...; NULL: the native one) and the running kernel.  Returns JSON
 * text to free. */
CPOD_INTERNAL char *seccomp_profile_to_oci(const char *profile_json, uint64_t caps_mask,
					   const char *arch, cpod_err *err);
/* Whether the kernel release ("6.1.0-18-amd64") is at least min ("5.10",
 * "4.14.3"), for minKernel. */
CPOD_INTERNAL int seccomp_kernel_at_least(const char *release, const char *min, bool *out,
					  cpod_err *err);

/* For `features`: the runtime-spec features.md "seccomp" object (the value;
 * the caller writes the key): enabled, actions, operators, archs,
 * knownFlags, supportedFlags. */
CPOD_INTERNAL void seccomp_features(json_w *w);

#endif
