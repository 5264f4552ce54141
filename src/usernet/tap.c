/*
 * tap.c — the container's end: the tap device made inside its network
 * namespace and configured over rtnetlink by our own small netlink client
 * (lo up; the tap's MAC, MTU, addresses, default routes), so no `ip`
 * binary is needed.  The few calls that must be made inside the namespace
 * (the tap's open, the netlink socket) run there through nsjoin.c; the
 * tap's fd keeps working from the host's side.
 */
#include "stack.h"
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/ioctl.h>

typedef struct un_nl {
	int fd;
	uint32_t seq;
	uint8_t buf[512];
	size_t len;
} un_nl;

static struct nlmsghdr *un_nl_begin(un_nl *nl, uint16_t type, uint16_t flags, const void *body,
				    size_t blen)
{
	memset(nl->buf, 0, sizeof(nl->buf));
	struct nlmsghdr *h = (struct nlmsghdr *)nl->buf;
	h->nlmsg_type = type;
	h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
	h->nlmsg_seq = ++nl->seq;
	memcpy(nl->buf + NLMSG_HDRLEN, body, blen);
	nl->len = NLMSG_HDRLEN + NLMSG_ALIGN(blen);
	return h;
}

static void un_nl_attr(un_nl *nl, uint16_t type, const void *data, size_t len)
{
	size_t need = RTA_SPACE(len);
	if (nl->len + need > sizeof(nl->buf))
		return;
	struct rtattr *a = (struct rtattr *)(nl->buf + nl->len);
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	nl->len += need;
}

/* Sends the message built and waits for its ACK; -1 with errno. */
static int un_nl_talk(un_nl *nl)
{
	struct nlmsghdr *h = (struct nlmsghdr *)nl->buf;
	h->nlmsg_len = (uint32_t)nl->len;
	if (send(nl->fd, nl->buf, nl->len, 0) < 0)
		return -1;
	uint8_t rb[4096];
	for (;;) {
		ssize_t n = recv(nl->fd, rb, sizeof(rb), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (struct nlmsghdr *r = (struct nlmsghdr *)rb; NLMSG_OK(r, (unsigned)n);
		     r = NLMSG_NEXT(r, n)) {
			if (r->nlmsg_seq != nl->seq || r->nlmsg_type != NLMSG_ERROR)
				continue;
			const struct nlmsgerr *e = NLMSG_DATA(r);
			if (e->error) {
				errno = -e->error;
				return -1;
			}
			return 0;
		}
	}
}

static int un_nl_link(un_nl *nl, int ifindex, const uint8_t *mac, unsigned mtu)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex,
				 .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
	un_nl_begin(nl, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	if (mac)
		un_nl_attr(nl, IFLA_ADDRESS, mac, 6);
	if (mtu) {
		uint32_t m = mtu;
		un_nl_attr(nl, IFLA_MTU, &m, 4);
	}
	return un_nl_talk(nl);
}

static int un_nl_addr(un_nl *nl, int ifindex, const un_addr *a, unsigned prefix)
{
	bool v4 = un_is_v4(a);
	struct ifaddrmsg ifa = { .ifa_family = (uint8_t)(v4 ? AF_INET : AF_INET6),
				 .ifa_prefixlen = (uint8_t)(v4 ? prefix - 96 : prefix),
				 .ifa_index = (uint32_t)ifindex,
				 .ifa_flags = (uint8_t)(v4 ? 0 : IFA_F_NODAD) };
	un_nl_begin(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, &ifa, sizeof(ifa));
	const uint8_t *b = v4 ? a->b + 12 : a->b;
	size_t l = v4 ? 4 : 16;
	un_nl_attr(nl, IFA_LOCAL, b, l);
	un_nl_attr(nl, IFA_ADDRESS, b, l);
	if (!v4) {
		uint32_t flags = IFA_F_NODAD;
		un_nl_attr(nl, IFA_FLAGS, &flags, 4);
	}
	return un_nl_talk(nl);
}

static int un_nl_default_route(un_nl *nl, int ifindex, const un_addr *gw)
{
	bool v4 = un_is_v4(gw);
	struct rtmsg rt = { .rtm_family = (uint8_t)(v4 ? AF_INET : AF_INET6),
			    .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_STATIC,
			    .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST };
	un_nl_begin(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &rt, sizeof(rt));
	un_nl_attr(nl, RTA_GATEWAY, v4 ? gw->b + 12 : gw->b, v4 ? 4 : 16);
	uint32_t oif = (uint32_t)ifindex;
	un_nl_attr(nl, RTA_OIF, &oif, 4);
	return un_nl_talk(nl);
}

/* In the namespace: the tap and its configuration. */
static int un_tap_setup(un_stack *st, un_tap *t, cpod_err *err)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return err_sys(err, "open /dev/net/tun");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	int hsz = UN_VNET;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err_sys(err, "create tap %s", t->ifname);
		close(fd);
		return -1;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hsz) < 0 ||
	    ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) < 0) {
		err_sys(err, "tap %s: offloads", t->ifname);
		close(fd);
		return -1;
	}
	un_nl nl = { .seq = 0 };
	nl.fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl.fd < 0) {
		err_sys(err, "netlink socket");
		close(fd);
		return -1;
	}
	struct timeval tv = { 2, 0 };
	setsockopt(nl.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	int ifindex = 0;
	int sfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sfd >= 0 && ioctl(sfd, SIOCGIFINDEX, &ifr) == 0)
		ifindex = ifr.ifr_ifindex;
	if (sfd >= 0)
		close(sfd);
	const char *what = NULL;
	if (!ifindex)
		what = "interface index";
	else if (un_nl_link(&nl, 1, NULL, 0) < 0)
		what = "lo up";
	else if (un_nl_link(&nl, ifindex, t->mac, st->mtu) < 0)
		what = "link up";
	else if (un_nl_addr(&nl, ifindex, &t->ip4, st->prefix4) < 0)
		what = "IPv4 address";
	else if (un_nl_default_route(&nl, ifindex, &st->gw4) < 0)
		what = "IPv4 default route";
	if (what) {
		err_sys(err, "tap %s: %s", ifr.ifr_name, what);
		close(nl.fd);
		close(fd);
		return -1;
	}
	if (t->has_ip6 && (un_nl_addr(&nl, ifindex, &t->ip6, st->prefix6) < 0 ||
			   un_nl_default_route(&nl, ifindex, &st->gw6) < 0)) {
		/* IPv6 disabled in the namespace: IPv4 only */
		log_warn("usernet: tap %s: no IPv6: %s", ifr.ifr_name, strerror(errno));
		t->has_ip6 = false;
	}
	close(nl.fd);
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifr.ifr_name);
	t->fd = fd;
	return 0;
}

static int un_tap_setup_fn(un_stack *st, void *arg, cpod_err *err)
{
	un_tap *t = arg;
	return un_tap_setup(st, t, err) < 0 ? -1 : t->fd;
}

CPOD_INTERNAL int un_tap_create(un_stack *st, un_tap *t, int netns_fd, cpod_err *err)
{
	int fd = un_ns_call(st, netns_fd, un_tap_setup_fn, t, sizeof(*t), err);
	t->fd = fd < 0 ? -1 : fd;
	return fd < 0 ? fd : 0;
}
