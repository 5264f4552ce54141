/*
 * stack.h — the state of one network process, shared by the files of the
 * stack: taps (one per attached container), flows (guest TCP/UDP/ICMP
 * traffic mapped onto host sockets, a fixed table with a hash index and a
 * free list: nothing is allocated per packet), published ports and their
 * spliced connections, and the frame buffers.
 *
 * Frames cross the tap with a virtio-net header in front (IFF_VNET_HDR):
 * big TCP segments go to the guest with a partial checksum (only the
 * pseudo-header summed; the kernel and the guest treat it as verified) and
 * GSO when they exceed the guest's MSS, and the guest may send us TSO
 * segments up to 64 KiB.
 */
#ifndef CPOD_USERNET_STACK_H
#define CPOD_USERNET_STACK_H
#include "pkt.h"
#include "usernet.h"
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define UN_VNET 10                 /* sizeof(struct virtio_net_hdr) */
#define UN_ETH 14
#define UN_L3 (UN_VNET + UN_ETH)   /* where the IP header starts in a frame buffer */
#define UN_FRAME_MAX (UN_VNET + UN_ETH + 65536)
#define UN_HDR_ROOM 128            /* headers in front of a payload */
#define UN_MAX_TAPS 64
#define UN_MAX_NAMES 8
#define UN_BATCH 8                 /* host->guest TCP frames per peek */
#define UN_TAP_BURST 64            /* frames read from one tap per wakeup */

enum un_ev {
	UN_EV_CTL_LISTEN = 1, UN_EV_CTL, UN_EV_TAP, UN_EV_PID, UN_EV_FLOW, UN_EV_FWD_LISTEN,
	UN_EV_SPLICE_A, UN_EV_SPLICE_B,
};
#define UN_EVDATA(type, idx) ((uint64_t)(type) << 32 | (uint32_t)(idx))

typedef struct un_tap {
	bool used;
	int fd, netns_fd, pidfd;
	char container[96];
	char names[UN_MAX_NAMES][64];
	unsigned n_names;
	char ifname[16];
	uint8_t mac[6];
	un_addr ip4, ip6;
	bool has_ip6;
	bool dead;                  /* read error/EOF: detached by the loop */
	uint64_t frames_in, frames_out, dropped;
} un_tap;

enum { UN_P_TCP = 6, UN_P_UDP = 17, UN_P_ICMP = 1, UN_P_ICMP6 = 58 };

/* TCP flow states (flags) */
enum {
	UN_T_CONNECTING = 1 << 0,  /* host connect() in progress, guest SYN seen */
	UN_T_SYNACK = 1 << 1,      /* SYN-ACK sent, waiting for the guest's ACK */
	UN_T_ESTAB = 1 << 2,
	UN_T_GUEST_FIN = 1 << 3,   /* guest sent FIN: host socket shut for writing */
	UN_T_HOST_EOF = 1 << 4,    /* host sent FIN */
	UN_T_FIN_SENT = 1 << 5,    /* our FIN is out (snd_nxt counts it) */
	UN_T_FIN_ACKED = 1 << 6,
	UN_T_WBLOCK = 1 << 7,      /* a guest segment did not fit the host socket */
	UN_T_ACK_DUE = 1 << 8,     /* ACK the guest at the end of the burst */
	UN_T_GUEST_WS = 1 << 9,    /* guest offered window scaling */
	UN_T_WAITROOM = 1 << 10,   /* advertised a small window: update it on EPOLLOUT */
};

typedef struct un_flow {
	uint8_t proto;             /* 0: free */
	bool dns;                  /* UDP to the DNS address, forwarded upstream */
	bool inbound;              /* UDP from a published port (fd is the listener's) */
	uint16_t tap;
	int fd;
	int32_t hnext;             /* hash chain, or the free list */
	un_addr gaddr, raddr;      /* the guest's address, the remote as the guest sees it */
	uint16_t gport, rport;     /* ICMP: gport is the guest's echo id */
	uint64_t last_ms;
	struct sockaddr_storage peer;   /* inbound UDP: the host client */
	/* TCP */
	uint32_t st;
	uint32_t snd_una, snd_nxt, rcv_nxt, iss;
	uint32_t gwnd;             /* guest's window, in bytes */
	uint32_t acked_wnd;        /* the window in our last ACK */
	uint16_t mss;
	uint8_t gws, ows;
	uint8_t retries, dupacks;
	uint8_t holes_acked;       /* duplicate ACKs sent for the hole at rcv_nxt */
	uint64_t rto_at;
	int32_t ack_next;          /* list of flows with UN_T_ACK_DUE */
	bool in_acklist;           /* kept across free and reuse, see un_flow_new */
} un_flow;

typedef struct un_fwd {            /* one published port (a listening socket) */
	int fd;
	int proto;
	uint16_t tap;
	uint16_t host_port, ctr_port;
	un_addr host_ip;
	bool any;
} un_fwd;

typedef struct un_splice {         /* an inbound TCP connection, spliced both ways */
	bool used;
	int fd[2];                 /* 0: host side (accepted), 1: inside the container */
	int pipe[2][2];            /* pipe[d]: data from fd[d] to fd[!d] */
	size_t inpipe[2];
	bool eof[2], shut[2], connected;
	uint16_t tap;
	int32_t next_free;
} un_splice;

typedef struct un_stack {
	usernet_config cfg;
	int epfd, ctl_fd, hostns_fd;
	uint8_t gw_mac[6];
	un_addr net4, gw4, dns4, net6, gw6, dns6;
	unsigned prefix4, prefix6;
	bool v6;
	unsigned mtu;
	un_addr upstream;          /* the first nameserver of resolv.conf */
	bool has_upstream;
	un_tap taps[UN_MAX_TAPS];
	unsigned n_attached;
	bool ever_attached;
	uint64_t empty_since_ms, start_ms;
	/* flows */
	un_flow *flows;
	unsigned max_flows, n_flows, n_tcp, n_udp;
	int32_t *hash;
	unsigned hash_size;
	int32_t free_head;
	int32_t ack_head;
	/* published ports */
	un_fwd *fwds;
	unsigned n_fwds, cap_fwds;
	un_splice *splices;
	unsigned max_splices;
	int32_t splice_free;
	/* counters */
	uint64_t refused, dropped, frames_in, frames_out;
	/* buffers */
	uint8_t *rx;               /* one frame from a tap */
	uint8_t *tx;               /* a small frame being built */
	uint8_t *batch;            /* UN_BATCH frames of host->guest TCP data */
	uint8_t *dnsbuf;
	int fuzz;                  /* fed by the fuzzer: no host sockets */
	unsigned loss_permille;    /* CPOD_USERNET_LOSS: frames dropped (tests) */
	unsigned loss_acc;
	uint64_t lost;             /* frames it dropped */
	bool fatal;                /* stuck in a container's namespace: stop */
	bool ns_forked;            /* rootless: namespace work done by children (nsjoin.c) */
} un_stack;

CPOD_INTERNAL uint64_t un_now_ms(void);

/* stack.c */
CPOD_INTERNAL int un_stack_init(un_stack *st, const usernet_config *cfg, cpod_err *err);
CPOD_INTERNAL void un_stack_free(un_stack *st);
/* The upstream nameserver from resolv.conf (again: at start and on each attach). */
CPOD_INTERNAL void un_read_resolv(un_stack *st);
/* One frame (virtio header first) that tap ti wrote. */
CPOD_INTERNAL void un_tap_input(un_stack *st, unsigned ti, uint8_t *frame, size_t len);
CPOD_INTERNAL void un_tap_readable(un_stack *st, unsigned ti);
/* Writes a frame (buffer starting with room for the virtio header, l3
 * length after the Ethernet header) to the guest; fills Ethernet. */
CPOD_INTERNAL void un_send_l3(un_stack *st, unsigned ti, uint8_t *fb, size_t l3len, bool v6,
			      const struct virtio_net_hdr *vh);
/* Builds the IP header at fb+UN_L3; returns its length. */
CPOD_INTERNAL size_t un_build_ip(un_stack *st, uint8_t *fb, const un_addr *src,
				 const un_addr *dst, uint8_t proto, size_t l4len);
CPOD_INTERNAL void un_icmp_unreach(un_stack *st, unsigned ti, const uint8_t *ip, size_t iplen,
				   bool v6);
/* The host address a guest destination maps to (the gateway -> loopback);
 * false when the destination is not reachable at all. */
CPOD_INTERNAL bool un_map_dst(un_stack *st, const un_addr *dst, un_addr *host, bool *via_gw);
CPOD_INTERNAL void un_sockaddr(const un_addr *a, uint16_t port, struct sockaddr_storage *ss,
			       socklen_t *len);
CPOD_INTERNAL void un_from_sockaddr(const struct sockaddr_storage *ss, un_addr *a,
				    uint16_t *port);

/* flows (stack.c) */
CPOD_INTERNAL un_flow *un_flow_find(un_stack *st, uint8_t proto, unsigned ti, const un_addr *g,
				    uint16_t gport, const un_addr *r, uint16_t rport);
CPOD_INTERNAL un_flow *un_flow_new(un_stack *st, uint8_t proto, unsigned ti, const un_addr *g,
				   uint16_t gport, const un_addr *r, uint16_t rport);
CPOD_INTERNAL void un_flow_free(un_stack *st, un_flow *f);
static inline int32_t un_flow_idx(un_stack *st, un_flow *f) { return (int32_t)(f - st->flows); }
CPOD_INTERNAL int un_ep_add(un_stack *st, int fd, uint32_t events, uint64_t data);
CPOD_INTERNAL int un_ep_mod(un_stack *st, int fd, uint32_t events, uint64_t data);

/* UDP and ICMP flows (udp.c) */
CPOD_INTERNAL void un_udp_input(un_stack *st, unsigned ti, uint8_t *ip, size_t iplen,
				const un_addr *src, const un_addr *dst, uint8_t *l4, size_t l4len);
CPOD_INTERNAL void un_icmp_input(un_stack *st, unsigned ti, uint8_t *ip, size_t iplen,
				 const un_addr *src, const un_addr *dst, uint8_t *l4, size_t l4len,
				 bool v6);
CPOD_INTERNAL void un_udp_readable(un_stack *st, un_flow *f);
CPOD_INTERNAL void un_udp_send_guest(un_stack *st, unsigned ti, const un_addr *src,
				     uint16_t sport, const un_addr *dst, uint16_t dport,
				     const uint8_t *data, size_t len);

/* TCP (tcp.c) */
CPOD_INTERNAL void un_tcp_input(un_stack *st, unsigned ti, const un_addr *src,
				const un_addr *dst, uint8_t *l4, size_t l4len);
CPOD_INTERNAL void un_tcp_event(un_stack *st, un_flow *f, uint32_t events);
CPOD_INTERNAL void un_tcp_flush_acks(un_stack *st);
CPOD_INTERNAL void un_tcp_timers(un_stack *st, uint64_t now);
CPOD_INTERNAL void un_tcp_close(un_stack *st, un_flow *f, bool rst);

/* published ports (fwd.c) */
CPOD_INTERNAL int un_fwd_add(un_stack *st, unsigned ti, const char *host_ip, unsigned host_port,
			     unsigned ctr_port, int proto, cpod_err *err);
CPOD_INTERNAL void un_fwd_remove_tap(un_stack *st, unsigned ti);
CPOD_INTERNAL void un_fwd_accept(un_stack *st, unsigned idx);
CPOD_INTERNAL void un_splice_event(un_stack *st, unsigned idx, int side, uint32_t events);

/* the tap and netlink (tap.c) */
CPOD_INTERNAL int un_tap_create(un_stack *st, un_tap *t, int netns_fd, cpod_err *err);

/* nsjoin.c: runs fn inside the network namespace netns_fd; fn returns the
 * fd it made there (or -1 with err) and may write results into arg, which
 * come back even when fn ran in a child (at most 4 KiB).  The return is
 * fn's fd, -1 with err, or -2 (st->fatal) when the stack could not return
 * to its own namespace. */
typedef int (*un_ns_fn)(un_stack *st, void *arg, cpod_err *err);
CPOD_INTERNAL int un_ns_call(un_stack *st, int netns_fd, un_ns_fn fn, void *arg, size_t arg_len,
			     cpod_err *err);

#endif
