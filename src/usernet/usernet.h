/*
 * usernet.h — the user-mode network stack (like passt/pasta, slirp4netns):
 * the contract between the engine and the network process.
 *
 * One process serves one network.  It runs in the host's network namespace
 * and owns ordinary host sockets.  For each attached container it makes a
 * tap device (eth0) inside the container's network namespace, configures
 * it over rtnetlink (address, routes, MTU; lo up) and terminates the
 * container's Ethernet frames itself: ARP/NDP, ICMP echo, DHCP, DNS, UDP
 * flows on host UDP sockets and TCP connections spliced to host TCP
 * sockets.  Containers of one network reach each other (the stack switches
 * frames between its taps); the gateway address (10.0.2.2 / fd00::2) is
 * the host's loopback unless the policy forbids it.  Published ports
 * listen on the host; TCP ones are forwarded with splice(2) to a socket
 * made inside the container's namespace (as pasta does).
 *
 * The engine talks to the process over a unix SOCK_SEQPACKET control
 * socket, one JSON request per message, the namespace fd by SCM_RIGHTS:
 *
 *   {"op":"attach","container":ID,"name":NAME,"aliases":[..],"ip":"10.0.2.7"?,
 *    "ip6":"fd00::7"?,"mac":"02:..."?,"pid":PID?,"ifname":"eth0"?,
 *    "ports":[{"host_ip":"","host_port":8080,"ctr_port":80,"proto":"tcp",
 *              "range":1}]}                     + netns fd
 *      -> {"ok":true,"ip":..,"prefix":24,"ip6":..,"prefix6":64,"mac":..,
 *          "gateway":..,"gateway6":..,"dns":..,"dns6":..,"mtu":..,"ifname":..}
 *   {"op":"detach","container":ID}              -> {"ok":true}
 *   {"op":"inspect"}  -> {"ok":true,"name":..,"policy":..,"subnet":..,
 *          "containers":[{"container","name","ip","ip6","mac"}],
 *          "counters":{"flows","tcp_flows","udp_flows","refused",
 *                      "dropped","frames_in","frames_out"}}
 *   {"op":"ports"}    -> {"ok":true,"ports":[{"container","host_ip",
 *          "host_port","ctr_port","proto","range"}]}
 *   errors            -> {"ok":false,"error":"message"}
 *
 * When "pid" is given the stack watches that process (pidfd) and detaches
 * the container when it exits; a tap that fails to read detaches too.  The
 * process exits grace_ms after the last container detached (and idle_ms
 * after start when nobody ever attached): it lives as long as a container
 * uses the network.  The engine restarts it if it dies (usernet_spawn
 * again, then attach the containers again).
 */
#ifndef CPOD_USERNET_H
#define CPOD_USERNET_H
#include "../base/err.h"
#define USERNET_DEFAULT_SUBNET "10.0.2.0/24" /* a network's subnet when none is given */

enum usernet_policy {
	USERNET_POLICY_NONE,     /* everything, host loopback via the gateway */
	USERNET_POLICY_PUBLIC,   /* no RFC1918, loopback, link-local, CGNAT, ULA, multicast */
	USERNET_POLICY_PRIVATE,  /* RFC1918 and ULA only */
	USERNET_POLICY_LOCAL,    /* the host's loopback (via the gateway) only */
	USERNET_POLICY_ISOLATED, /* nothing leaves; containers of the network still talk */
};

typedef struct usernet_config {
	const char *name;        /* the network's name (logs, inspect); NULL: "usernet" */
	const char *ctl_path;    /* control socket path (required) */
	const char *subnet;      /* NULL: "10.0.2.0/24": gateway .2, DNS .3, first container .100 */
	const char *subnet6;     /* NULL: "fd00::/64" (::2, ::3, ::100); "" or "none": no IPv6 */
	const char *gateway;     /* IPv4 in the subnet, not .3; NULL: the subnet's .2 */
	unsigned mtu;            /* 0: 65520 (68..65520) */
	int policy;              /* enum usernet_policy */
	const char *resolv_conf; /* upstream DNS; NULL: $CPOD_RESOLV_CONF or /etc/resolv.conf */
	unsigned max_flows;      /* TCP+UDP+ICMP flows; past it: RST/unreachable; 0: 4096 */
	unsigned grace_ms;       /* exit this long after the last detach; 0: 2000 */
	unsigned idle_ms;        /* exit when nobody attached this long after start; 0: 30000 */
	const char *log_path;    /* warnings go there (appended); NULL: stderr */
} usernet_config;

/* "none" "public" "private" "local" "isolated" <-> enum; -1 when unknown. */
CPOD_INTERNAL int usernet_policy_parse(const char *s);
CPOD_INTERNAL const char *usernet_policy_name(int policy);

/* Serves the network until the last container detached.  Returns 0 then,
 * or -1 with err when it cannot start (bad config, control socket).  Call it
 * in a process of its own: it changes signal dispositions and rlimits and
 * moves between network namespaces. */
CPOD_INTERNAL int usernet_main(const usernet_config *cfg, cpod_err *err);

/* The entry of `cpod-mini __usernet --ctl PATH [--name N] [--subnet CIDR]
 * [--gateway IP] [--subnet6 CIDR|none] [--mtu N] [--policy P] [--resolv-conf PATH]
 * [--max-flows N] [--grace-ms N] [--idle-ms N]` (argv[0] is "__usernet");
 * 0 when the network ended, -1 with err.  `__usernet spawn OPTIONS` starts
 * it detached (usernet_spawn; *out: its pid); the client verbs, for tests:
 *   __usernet attach --ctl P --netns PATH --container ID [--name N]
 *       [--alias A].. [--ip IP] [--ip6 IP6] [--mac MAC] [--pid PID] [--publish [IP:]HPORT:CPORT[/udp]]..
 *   __usernet detach --ctl P --container ID
 *   __usernet inspect|ports --ctl P
 * put the reply (JSON) in *out (malloc'd; NULL when there is none).
 * Declared in cpod.h, for tools/mini/usernet.c. */

/* ------------------------------------------------------------ client side */

typedef struct usernet_port {
	const char *host_ip;     /* NULL or "": all addresses (0.0.0.0 and ::) */
	unsigned host_port;      /* 1..65535 */
	unsigned ctr_port;       /* 1..65535 */
	unsigned range;          /* ports host_port..+range-1 -> ctr_port..; 0 = 1 */
	const char *proto;       /* "tcp" (NULL) or "udp" */
} usernet_port;

typedef struct usernet_attach_req {
	const char *container;   /* the container's id (the key of detach) */
	const char *name;        /* answered by the DNS forwarder (may be NULL) */
	const char *const *aliases;
	size_t n_aliases;
	const char *ip;          /* a fixed IPv4 address in the subnet; NULL: the next free */
	const char *ip6;         /* a fixed IPv6 address in subnet6; NULL: from the IPv4 one */
	const char *mac;         /* "02:00:..:..", unicast; NULL: 02:50 and the IPv4 address */
	const char *ifname;      /* NULL: "eth0" */
	int pid;                 /* a process of the container, watched; 0: none */
	const usernet_port *ports;
	size_t n_ports;
} usernet_attach_req;

typedef struct usernet_attach_reply {
	char ip[16], ip6[46];    /* "" when there is no IPv6 */
	unsigned prefix, prefix6;
	char mac[18];
	char gateway[16], gateway6[46];
	char dns[16], dns6[46];
	unsigned mtu;
	char ifname[16];
} usernet_attach_reply;

/* Starts the network process for cfg, detached from the caller (double
 * fork, setsid, stdin/stdout on /dev/null, stderr on cfg->log_path or
 * /dev/null), running `exe __usernet ...` (exe NULL: /proc/self/exe), and
 * returns once its control socket accepts connections (or -1 after 10 s,
 * or when it exited).  *pid_out (may be NULL) gets its pid. */
CPOD_INTERNAL int usernet_spawn(const usernet_config *cfg, const char *exe, int *pid_out,
				cpod_err *err);

/* Whether a network process answers on ctl_path. */
CPOD_INTERNAL bool usernet_alive(const char *ctl_path);

/* Attaches the container whose network namespace is netns_fd (the caller
 * keeps its fd): the tap is made and configured before this returns. */
CPOD_INTERNAL int usernet_attach(const char *ctl_path, int netns_fd,
				 const usernet_attach_req *req, usernet_attach_reply *reply,
				 cpod_err *err);
CPOD_INTERNAL int usernet_detach(const char *ctl_path, const char *container, cpod_err *err);
/* The JSON replies of inspect and ports (malloc'd, NUL-terminated). */
CPOD_INTERNAL char *usernet_inspect(const char *ctl_path, cpod_err *err);
CPOD_INTERNAL char *usernet_ports(const char *ctl_path, cpod_err *err);
/* One raw request (a JSON object) and its reply; fd >= 0 rides along. */
CPOD_INTERNAL char *usernet_request(const char *ctl_path, const char *json, int fd,
				    cpod_err *err);

#endif
