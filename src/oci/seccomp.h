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
 * architectures and flags are errors. */
CPOD_INTERNAL seccomp_filter *seccomp_compile(const json_value *seccomp, cpod_err *err);
/* Loads it into the calling thread (needs no_new_privs or CAP_SYS_ADMIN). */
CPOD_INTERNAL int seccomp_load_filter(seccomp_filter *f, cpod_err *err);
CPOD_INTERNAL void seccomp_filter_free(seccomp_filter *f);
/* Whether the filter's default action lets every syscall through (so a
 * profile of "allow all" can be skipped). */
CPOD_INTERNAL bool seccomp_filter_is_noop(const seccomp_filter *f);

/* Podman's default profile (containers/common seccomp.json), as JSON text. */
CPOD_INTERNAL const char *seccomp_default_profile_json(void);

/* For `features`: the actions, operators and architectures understood. */
CPOD_INTERNAL void seccomp_features(json_w *w);

#endif
