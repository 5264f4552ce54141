/*
 * network.h — containers' networks: the user-mode network a container has
 * by default (a stack of its own), named networks (`network create`,
 * shared by the containers that join them), and the link between a
 * container and the stack processes (src/usernet) that serve it.
 *
 * A named network is ROOT/networks/NAME.json (written atomically under
 * ROOT/networks.lock); its run-time files (control socket, lock, log) are
 * under RUNROOT/networks/NAME/.  A container's own network runs under
 * RUNROOT/usernet/ID16/.  The stack process is started on first use
 * (usernet_spawn, through the supervisor's executable) and ends by itself
 * a moment after its last container left; it is started again (and the
 * network's running containers attached again) when it is found dead.
 *
 * A container's network settings live in its record ("network"): the mode,
 * the networks it joins with their aliases, the published ports, and while
 * it runs what each stack answered (address, MAC, gateway) and the host
 * ports bound.  The supervisor attaches between the runtime's create and
 * start and detaches when the container ended; it only talks to the control
 * sockets, it holds none of a stack's state.
 */
#ifndef CPOD_ENGINE_NETWORK_H
#define CPOD_ENGINE_NETWORK_H
#include "container.h"
#include "../usernet/usernet.h"

#define NET_MAX_LINKS 8
#define NET_MAX_ALIASES 8
#define NET_MAX_PORTS 64
#define NET_PRIVATE "usernet"   /* the link name of a container's own network */

typedef struct net_port {
	char host_ip[46];          /* "" every address */
	unsigned host_port;        /* 0: any (a free port picked at each start) */
	unsigned ctr_port, range;
	char proto[4];
} net_port;

typedef struct net_link {
	char name[64];             /* a named network, or NET_PRIVATE */
	char aliases[NET_MAX_ALIASES][64];
	size_t n_aliases;
	char ip[16], mac[18];      /* --ip, --mac-address as asked ("": the stack's choice) */
	char ip6[46];              /* --ip6 as asked */
	bool attached;             /* while the container runs */
	usernet_attach_reply r;
} net_link;

typedef struct ctr_net {
	enum options_netmode mode;
	int policy;                /* the private network's */
	unsigned mtu;
	net_link links[NET_MAX_LINKS];
	size_t n_links;
	net_port ports[NET_MAX_PORTS];  /* as asked */
	size_t n_ports;
	net_port bound[NET_MAX_PORTS];  /* while it runs: the host ports in use */
	size_t n_bound;
} ctr_net;

/* A record's "network" text (NULL: none mode, the records of old) into n. */
CPOD_INTERNAL void net_ctr_read(const char *text, ctr_net *n);
/* n as the record's text (malloc'd), or NULL without memory. */
CPOD_INTERNAL char *net_ctr_text(const ctr_net *n);
/* The network settings of a new container from its options (and for -P
 * the image's EXPOSE); named networks must exist.  The addresses its
 * /etc/resolv.conf and /etc/hosts name ("" in none and host modes). */
CPOD_INTERNAL int net_ctr_new(cpod_engine *e, const options_parsed *p, const cpod_run_opts *o,
			      const image_config *cfg, ctr_net *n, char dns[16], char gw[16],
			      cpod_err *err);

/* The container's init (pid) is made, not started: its networks' stacks
 * run (started when needed) and have it attached; *text gets the record's
 * new "network" text (NULL in none and host modes).  Nothing stays
 * attached on failure. */
CPOD_INTERNAL int net_ctr_attach(cpod_engine *e, const ctr_record *r, pid_t pid, char **text,
				 cpod_err *err);
/* The container ended (or is being removed): detached from every stack
 * (best effort: a stack also notices by itself), its run-time state
 * cleared in r->net. */
CPOD_INTERNAL void net_ctr_detach(cpod_engine *e, ctr_record *r);
/* The run-time state cleared in r->net without telling the stacks (the
 * supervisor detaches before it takes the container's lock, then clears
 * the record's state under it). */
CPOD_INTERNAL void net_ctr_forget(ctr_record *r);
/* Removed: its own network's run-time directory goes too. */
CPOD_INTERNAL void net_ctr_removed(cpod_engine *e, const ctr_record *r);

/* network connect (connect) or disconnect: r's links changed (attached
 * or detached at once when it runs); the caller saves r under its lock.
 * ip, ip6, mac (may be NULL): connect's --ip, --ip6 and --mac-address.
 * A disconnect the stack refuses fails unless force. */
CPOD_INTERNAL int net_ctr_connect(cpod_engine *e, ctr_record *r, const char *net,
				  const char *const *aliases, const char *ip, const char *ip6,
				  const char *mac, bool connect, bool force, cpod_err *err);

/* The subnet's base address plus k, as text ("" when not IPv4). */
CPOD_INTERNAL void net_subnet_addr(const char *subnet, unsigned k, char out[16]);
/* The control socket of a link's stack (ctr_id: for NET_PRIVATE); -1 when
 * too long. */
CPOD_INTERNAL int net_ctl_path(cpod_engine *e, const char *link, const char *ctr_id, char *ctl,
			       size_t n);

/* The executable that supervisors (and so network stacks) run: NULL for
 * /proc/self/exe (supervisor.c). */
CPOD_INTERNAL const char *sup_exe_path(void);

/* inspect's NetworkSettings object, and HostConfig-style Ports map. */
CPOD_INTERNAL void net_write_settings(json_w *w, const ctr_record *r, bool running);
/* ps --format json's "Ports" array and "Networks" array. */
CPOD_INTERNAL void net_write_ps(json_w *w, const ctr_record *r, bool running);
/* "usernet", "none", "host", or the first network's name. */
CPOD_INTERNAL const char *net_mode_name(const ctr_net *n);

#endif
