/*
 * netstore.h — named networks (`network create | ls | inspect | rm | prune
 * | connect | disconnect`): ROOT/networks/NAME.json, written atomically
 * under ROOT/networks.lock.  Each has an IPv4 subnet (the next free
 * 10.89.N.0/24 unless given; the gateway, which is the host, is .2 unless
 * --gateway, the
 * DNS server .3, containers from .100), an IPv6 ULA /64 and a policy.
 */
#ifndef CPOD_ENGINE_NETSTORE_H
#define CPOD_ENGINE_NETSTORE_H
#include "engine.h"

typedef struct netstore_rec {
	char name[64];
	char id[65];
	char created[64];
	char subnet[64];
	char subnet6[64];
	char gateway[16];         /* --gateway; "": the subnet's .2 */
	int policy;               /* enum usernet_policy */
	bool internal;
	unsigned mtu;
	char labels[4096];        /* JSON object text */
} netstore_rec;

/* ROOT/networks.lock, shared (a network's users) or exclusive (create,
 * rm, prune): the fd to close.  Lock order: netstore.c. */
CPOD_INTERNAL int netstore_lock(cpod_engine *e, bool exclusive, cpod_err *err);
/* CPOD_E_NOTFOUND when there is none. */
CPOD_INTERNAL int netstore_load(cpod_engine *e, const char *name, netstore_rec *r, cpod_err *err);

#endif
