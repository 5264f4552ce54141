/*
 * hooks.h — running the config's hooks.
 *
 * Each hook gets the container's state on stdin and runs with its own args
 * and env and, when set, a timeout after which it is killed.  A failing
 * prestart, createRuntime, createContainer or startContainer hook fails the
 * operation; a failing poststart or poststop hook is only a warning (the
 * container exists or is gone either way), as in runc.
 */
#ifndef CPOD_OCI_HOOKS_H
#define CPOD_OCI_HOOKS_H
#include "spec.h"

CPOD_INTERNAL const char *hooks_kind_name(enum oci_hook_kind k);
CPOD_INTERNAL int hooks_run(const oci_hooks *hooks, enum oci_hook_kind kind,
			    const char *state_json, cpod_err *err);

#endif
