/*
 * caps.h — Linux capabilities: names, and applying the five sets of a
 * process (bounding, effective, permitted, inheritable, ambient).
 */
#ifndef CPOD_OCI_CAPS_H
#define CPOD_OCI_CAPS_H
#include "spec.h"

/* "CAP_SYS_ADMIN" -> 21; -1 when unknown. */
CPOD_INTERNAL int caps_from_name(const char *name);
CPOD_INTERNAL const char *caps_name(int cap);
/* The highest capability the running kernel knows. */
CPOD_INTERNAL int caps_last(void);

/* Drops from the bounding set what caps->bounding does not hold.  Needs
 * CAP_SETPCAP, so it runs before the switch of user. */
CPOD_INTERNAL int caps_apply_bounding(const oci_caps *caps, cpod_err *err);
/* Sets effective, permitted and inheritable, then raises the ambient ones.
 * Runs after the switch of user (with PR_SET_KEEPCAPS set before it). */
CPOD_INTERNAL int caps_apply_sets(const oci_caps *caps, cpod_err *err);
/* The CapEff of the calling thread. */
CPOD_INTERNAL uint64_t caps_effective_now(void);

#endif
