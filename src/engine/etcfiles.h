/*
 * etcfiles.h — a container's generated /etc/hosts, /etc/hostname and
 * /etc/resolv.conf (see etcfiles.c).
 */
#ifndef CPOD_ENGINE_ETCFILES_H
#define CPOD_ENGINE_ETCFILES_H
#include "engine.h"

/* Writes hosts, hostname and resolv.conf into dirfd.  dns and gw: the
 * container network's DNS server and gateway (the host), "" or NULL when
 * it has none (none and host modes). */
CPOD_INTERNAL int etc_write(int dirfd, const cpod_run_opts *o, const char *hostname,
			    const char *name, const char *dns, const char *gw, cpod_err *err);

#endif
