/*
 * etcfiles.h — a container's generated /etc/hosts, /etc/hostname and
 * /etc/resolv.conf (see etcfiles.c).
 */
#ifndef CPOD_ENGINE_ETCFILES_H
#define CPOD_ENGINE_ETCFILES_H
#include "engine.h"

/* Writes hosts, hostname and resolv.conf into dirfd. */
CPOD_INTERNAL int etc_write(int dirfd, const cpod_run_opts *o, const char *hostname,
			    const char *name, cpod_err *err);

#endif
