/*
 * ctl.c — the network process: its event loop, its control socket (attach,
 * detach, inspect, ports) and the lifetime rule (it ends a grace period
 * after the last container left).  Also the argument parsing of the hidden
 * `cpod-mini __usernet` command.
 */
#include "stack.h"
#include "../base/fdpass.h"
#include "../base/json.h"
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/un.h>

#define UN_CTL_MAX 65536
#define UN_UDP_IDLE_MS 60000
#define UN_DNS_IDLE_MS 10000

static const char *const un_policy_names[] = { "none", "public", "private", "local", "isolated" };

CPOD_INTERNAL int usernet_policy_parse(const char *s)
{
	if (!s || !*s)
		return USERNET_POLICY_NONE;
	for (unsigned i = 0; i < ARRAY_LEN(un_policy_names); i++)
		if (strcmp(s, un_policy_names[i]) == 0)
			return (int)i;
	return -1;
}

CPOD_INTERNAL const char *usernet_policy_name(int policy)
{
	if (policy < 0 || (unsigned)policy >= ARRAY_LEN(un_policy_names))
		return "?";
	return un_policy_names[policy];
}

/* ---------------------------------------------------------------- attach */

static void un_detach(un_stack *st, unsigned ti)
{
	un_tap *t = &st->taps[ti];
	if (!t->used)
		return;
	un_fwd_remove_tap(st, ti);
	for (unsigned i = 0; i < st->max_flows; i++) {
		un_flow *f = &st->flows[i];
		if (f->proto && f->tap == ti)
			un_flow_free(st, f);
	}
	if (t->fd >= 0)
		close(t->fd);
	if (t->netns_fd >= 0)
		close(t->netns_fd);
	if (t->pidfd >= 0)
		close(t->pidfd);
	memset(t, 0, sizeof(*t));
	t->fd = t->netns_fd = t->pidfd = -1;
	st->n_attached--;
	if (!st->n_attached)
		st->empty_since_ms = un_now_ms();
}

static int un_tap_find(un_stack *st, const char *container)
{
	for (unsigned i = 0; i < UN_MAX_TAPS; i++)
		if (st->taps[i].used && strcmp(st->taps[i].container, container) == 0)
			return (int)i;
	return -1;
}

/* The host part of an IPv4 address in the subnet. */
static uint32_t un_host4(un_stack *st, const un_addr *a)
{
	uint32_t v = un_rd32(a->b + 12), bits = 32 - (st->prefix4 - 96);
	return v & ((1u << bits) - 1);
}

static bool un_ip_taken(un_stack *st, const un_addr *a)
{
	for (unsigned i = 0; i < UN_MAX_TAPS; i++)
		if (st->taps[i].used && un_addr_eq(&st->taps[i].ip4, a))
			return true;
	return un_addr_eq(a, &st->gw4);   /* a gateway given away from .2 */
}

/* The name a tap's container is known by, for errors. */
static const char *un_tap_label(const un_tap *t)
{
	return t->n_names ? t->names[0] : t->container;
}

/* The IPv6 address made from an IPv4 host part (.100 -> ::100, .5 -> ::5). */
static void un_ip6_of(un_stack *st, uint32_t h, un_addr *out)
{
	uint32_t h6 = h >= 100 ? 0x100 + (h - 100) : h;
	*out = st->net6;
	un_wr32(out->b + 12, un_rd32(out->b + 12) | h6);
}

/* Whether another container holds that IPv6 address (one given --ip6). */
static bool un_ip6_taken(un_stack *st, const un_addr *a)
{
	for (unsigned i = 0; st->v6 && i < UN_MAX_TAPS; i++)
		if (st->taps[i].used && st->taps[i].has_ip6 && un_addr_eq(&st->taps[i].ip6, a))
			return true;
	return false;
}

static int un_pick_ip(un_stack *st, const char *want, un_addr *out, cpod_err *err)
{
	uint32_t bits = 32 - (st->prefix4 - 96), last = (1u << bits) - 1;
	if (want && *want) {
		if (!un_addr_parse(want, out) || !un_is_v4(out) ||
		    !un_in_prefix(out, &st->net4, st->prefix4))
			return err_set(err, CPOD_E_INVALID, "ip %s: not in the subnet", want);
		uint32_t h = un_host4(st, out);
		if (un_addr_eq(out, &st->gw4))
			return err_set(err, CPOD_E_INVALID, "ip %s: the gateway's address", want);
		if (h < 4 || h == last)
			return err_set(err, CPOD_E_INVALID, "ip %s: reserved in the subnet", want);
		for (unsigned i = 0; i < UN_MAX_TAPS; i++)
			if (st->taps[i].used && un_addr_eq(&st->taps[i].ip4, out))
				return err_set(err, CPOD_E_EXISTS, "address %s is in use by container %s",
					       want, un_tap_label(&st->taps[i]));
		return 0;
	}
	uint32_t base = un_rd32(st->net4.b + 12);
	uint32_t first = last > 200 ? 100 : 4;
	for (uint32_t h = first; h < last; h++) {
		uint8_t v4[4];
		un_wr32(v4, base | h);
		un_addr_v4(out, v4);
		un_addr a6;
		un_ip6_of(st, h, &a6);
		if (!un_ip_taken(st, out) && !un_ip6_taken(st, &a6))
			return 0;
	}
	return err_set(err, CPOD_E_LIMIT, "no free address in the subnet");
}

static int un_hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* "02:aa:bb:cc:dd:ee" (or with '-'), unicast, not zero. */
static bool un_mac_parse(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17 || (s[2] != ':' && s[2] != '-'))
		return false;
	for (int i = 0; i < 6; i++) {
		int hi = un_hexval(s[i * 3]), lo = un_hexval(s[i * 3 + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != s[2]))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return !(mac[0] & 1) && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

/* The tap's MAC (t->mac, from its address unless asked) is its own. */
static int un_pick_mac(un_stack *st, un_tap *t, const char *want, cpod_err *err)
{
	if (want && *want) {
		if (!un_mac_parse(want, t->mac))
			return err_set(err, CPOD_E_INVALID, "mac %s: not a unicast MAC address "
				       "(xx:xx:xx:xx:xx:xx)", want);
	} else {
		t->mac[0] = 0x02;
		t->mac[1] = 0x50;
		memcpy(t->mac + 2, t->ip4.b + 12, 4);
	}
	char s[18];
	snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", t->mac[0], t->mac[1], t->mac[2],
		 t->mac[3], t->mac[4], t->mac[5]);
	if (memcmp(t->mac, st->gw_mac, 6) == 0)
		return err_set(err, CPOD_E_INVALID, "mac %s: the gateway's", s);
	for (unsigned i = 0; i < UN_MAX_TAPS; i++)
		if (st->taps[i].used && &st->taps[i] != t && memcmp(st->taps[i].mac, t->mac, 6) == 0)
			return err_set(err, CPOD_E_EXISTS, "mac %s is in use by container %s", s,
				       un_tap_label(&st->taps[i]));
	return 0;
}

/* t->ip6: as asked (in subnet6, none of its ::0 to ::3), else the one made
 * from the IPv4 address; either not another container's. */
static int un_pick_ip6(un_stack *st, un_tap *t, const char *want, cpod_err *err)
{
	char s[64];
	if (want && *want) {
		un_addr a = st->net6;
		if (!un_addr_parse(want, &t->ip6) || un_is_v4(&t->ip6) ||
		    !un_in_prefix(&t->ip6, &st->net6, st->prefix6))
			return err_set(err, CPOD_E_INVALID, "ip6 %s: not in the subnet", want);
		for (int k = 0; k < 4; k++) {
			a.b[15] = (uint8_t)((st->net6.b[15] & ~3) | k);
			if (un_addr_eq(&a, &t->ip6))
				return err_set(err, CPOD_E_INVALID, "ip6 %s: reserved in the subnet "
					       "(the gateway's, the DNS server's)", want);
		}
	}
	un_addr_str(&t->ip6, s, sizeof(s));
	for (unsigned i = 0; i < UN_MAX_TAPS; i++)
		if (st->taps[i].used && &st->taps[i] != t && st->taps[i].has_ip6 &&
		    un_addr_eq(&st->taps[i].ip6, &t->ip6))
			return err_set(err, CPOD_E_EXISTS, "address %s is in use by container %s", s,
				       un_tap_label(&st->taps[i]));
	return 0;
}

/* --gateway: another address of the subnet than .2 (not .3, the DNS). */
static int un_set_gateway(un_stack *st, const char *gw, cpod_err *err)
{
	un_addr a;
	uint32_t last = (1u << (32 - (st->prefix4 - 96))) - 1;
	if (!un_addr_parse(gw, &a) || !un_is_v4(&a) || !un_in_prefix(&a, &st->net4, st->prefix4))
		return err_set(err, CPOD_E_INVALID, "gateway %s: not an address of the subnet", gw);
	uint32_t h = un_host4(st, &a);
	if (h == 0 || h == last || un_addr_eq(&a, &st->dns4))
		return err_set(err, CPOD_E_INVALID, "gateway %s: the subnet's network, broadcast "
			       "or DNS address", gw);
	st->gw4 = a;
	return 0;
}

static int un_ctl_attach(un_stack *st, const json_value *req, int nsfd, json_w *w, cpod_err *err)
{
	const char *container = NULL, *name = NULL, *ip = NULL, *ifname = NULL, *mac = NULL;
	const char *ip6 = NULL;
	const json_value *aliases = NULL, *ports = NULL;
	int64_t pid = 0;
	if (json_opt_str(req, "container", &container, "attach", err) < 0 ||
	    json_opt_str(req, "name", &name, "attach", err) < 0 ||
	    json_opt_str(req, "ip", &ip, "attach", err) < 0 ||
	    json_opt_str(req, "mac", &mac, "attach", err) < 0 ||
	    json_opt_str(req, "ip6", &ip6, "attach", err) < 0 ||
	    json_opt_str(req, "ifname", &ifname, "attach", err) < 0 ||
	    json_opt_i64(req, "pid", &pid, "attach", err) < 0 ||
	    json_opt_arr(req, "aliases", &aliases, "attach", err) < 0 ||
	    json_opt_arr(req, "ports", &ports, "attach", err) < 0)
		return -1;
	if (!container || !*container || strlen(container) >= sizeof(st->taps[0].container))
		return err_set(err, CPOD_E_INVALID, "attach: no container");
	if (nsfd < 0)
		return err_set(err, CPOD_E_INVALID, "attach %s: no network namespace fd", container);
	if (un_tap_find(st, container) >= 0)
		return err_set(err, CPOD_E_EXISTS, "attach %s: already attached", container);
	int ti = -1;
	for (unsigned i = 0; i < UN_MAX_TAPS; i++)
		if (!st->taps[i].used) {
			ti = (int)i;
			break;
		}
	if (ti < 0)
		return err_set(err, CPOD_E_LIMIT, "attach %s: too many containers", container);
	un_tap *t = &st->taps[ti];
	memset(t, 0, sizeof(*t));
	t->fd = t->netns_fd = t->pidfd = -1;
	snprintf(t->container, sizeof(t->container), "%s", container);
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifname && *ifname ? ifname : "eth0");
	if (name && *name && strlen(name) < 64)
		snprintf(t->names[t->n_names++], 64, "%s", name);
	for (size_t i = 0; i < json_len(aliases) && t->n_names < UN_MAX_NAMES; i++) {
		const char *a = json_string(json_at(aliases, i));
		if (a && *a && strlen(a) < 64)
			snprintf(t->names[t->n_names++], 64, "%s", a);
	}
	if (un_pick_ip(st, ip, &t->ip4, err) < 0 || un_pick_mac(st, t, mac, err) < 0)
		return err_prefix(err, "attach %s", container);
	if (st->v6) {
		t->has_ip6 = true;
		un_ip6_of(st, un_host4(st, &t->ip4), &t->ip6);
		if (un_pick_ip6(st, t, ip6, err) < 0)
			return err_prefix(err, "attach %s", container);
	} else if (ip6 && *ip6) {
		return err_set(err, CPOD_E_INVALID, "attach %s: ip6 %s: the network has no IPv6",
			       container, ip6);
	}
	int r = un_tap_create(st, t, nsfd, err);
	if (r == -2)
		return -2;
	if (r < 0)
		return err_prefix(err, "attach %s", container);
	t->netns_fd = fcntl(nsfd, F_DUPFD_CLOEXEC, 3);
	un_read_resolv(st);     /* the host's resolv.conf may have changed */
	t->used = true;
	st->n_attached++;
	st->ever_attached = true;
	if (pid > 0) {
		t->pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
		if (t->pidfd < 0 || un_ep_add(st, t->pidfd, EPOLLIN, UN_EVDATA(UN_EV_PID, ti)) < 0) {
			err_sys(err, "attach %s: watch pid %" PRId64, container, pid);
			un_detach(st, (unsigned)ti);
			return -1;
		}
	}
	for (size_t i = 0; i < json_len(ports); i++) {
		const json_value *p = json_at(ports, i);
		const char *hip = NULL, *proto = NULL;
		int64_t hp = 0, cp = 0, range = 1;
		if (json_opt_str(p, "host_ip", &hip, "port", err) < 0 ||
		    json_opt_str(p, "proto", &proto, "port", err) < 0 ||
		    json_opt_i64(p, "host_port", &hp, "port", err) < 0 ||
		    json_opt_i64(p, "ctr_port", &cp, "port", err) < 0 ||
		    json_opt_i64(p, "range", &range, "port", err) < 0) {
			un_detach(st, (unsigned)ti);
			return err_prefix(err, "attach %s", container);
		}
		if (range < 1)
			range = 1;
		if (hp < 1 || cp < 1 || hp + range - 1 > 65535 || cp + range - 1 > 65535 ||
		    (proto && strcmp(proto, "tcp") && strcmp(proto, "udp"))) {
			un_detach(st, (unsigned)ti);
			return err_set(err, CPOD_E_INVALID, "attach %s: bad port mapping", container);
		}
		for (int64_t k = 0; k < range; k++)
			if (un_fwd_add(st, (unsigned)ti, hip, (unsigned)(hp + k), (unsigned)(cp + k),
				       proto && !strcmp(proto, "udp") ? UN_P_UDP : UN_P_TCP, err) < 0) {
				un_detach(st, (unsigned)ti);
				return err_prefix(err, "attach %s", container);
			}
	}
	if (un_ep_add(st, t->fd, EPOLLIN, UN_EVDATA(UN_EV_TAP, ti)) < 0) {
		err_sys(err, "attach %s: epoll", container);
		un_detach(st, (unsigned)ti);
		return -1;
	}
	char s[64];
	jw_kbool(w, "ok", true);
	un_addr_str(&t->ip4, s, sizeof(s));
	jw_kstr(w, "ip", s);
	jw_kint(w, "prefix", st->prefix4 - 96);
	if (t->has_ip6) {
		un_addr_str(&t->ip6, s, sizeof(s));
		jw_kstr(w, "ip6", s);
		jw_kint(w, "prefix6", st->prefix6);
		un_addr_str(&st->gw6, s, sizeof(s));
		jw_kstr(w, "gateway6", s);
		un_addr_str(&st->dns6, s, sizeof(s));
		jw_kstr(w, "dns6", s);
	}
	snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", t->mac[0], t->mac[1], t->mac[2],
		 t->mac[3], t->mac[4], t->mac[5]);
	jw_kstr(w, "mac", s);
	un_addr_str(&st->gw4, s, sizeof(s));
	jw_kstr(w, "gateway", s);
	un_addr_str(&st->dns4, s, sizeof(s));
	jw_kstr(w, "dns", s);
	jw_kint(w, "mtu", st->mtu);
	jw_kstr(w, "ifname", t->ifname);
	return 0;
}

static void un_ctl_inspect(un_stack *st, json_w *w)
{
	char s[64];
	jw_kbool(w, "ok", true);
	jw_kstr(w, "name", st->cfg.name ? st->cfg.name : "usernet");
	jw_kstr(w, "policy", usernet_policy_name(st->cfg.policy));
	un_addr_str(&st->net4, s, sizeof(s));
	char sub[80];
	snprintf(sub, sizeof(sub), "%s/%u", s, st->prefix4 - 96);
	jw_kstr(w, "subnet", sub);
	if (st->v6) {
		un_addr_str(&st->net6, s, sizeof(s));
		snprintf(sub, sizeof(sub), "%s/%u", s, st->prefix6);
		jw_kstr(w, "subnet6", sub);
	}
	jw_kint(w, "mtu", st->mtu);
	jw_kint(w, "pid", getpid());
	jw_key(w, "containers");
	jw_arr_begin(w);
	for (unsigned i = 0; i < UN_MAX_TAPS; i++) {
		un_tap *t = &st->taps[i];
		if (!t->used)
			continue;
		jw_obj_begin(w);
		jw_kstr(w, "container", t->container);
		jw_kstr(w, "name", t->n_names ? t->names[0] : "");
		un_addr_str(&t->ip4, s, sizeof(s));
		jw_kstr(w, "ip", s);
		if (t->has_ip6) {
			un_addr_str(&t->ip6, s, sizeof(s));
			jw_kstr(w, "ip6", s);
		}
		snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", t->mac[0], t->mac[1],
			 t->mac[2], t->mac[3], t->mac[4], t->mac[5]);
		jw_kstr(w, "mac", s);
		jw_kint(w, "frames_in", (int64_t)t->frames_in);
		jw_kint(w, "frames_out", (int64_t)t->frames_out);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_key(w, "counters");
	jw_obj_begin(w);
	jw_kint(w, "flows", st->n_flows);
	jw_kint(w, "tcp_flows", st->n_tcp);
	jw_kint(w, "udp_flows", st->n_udp);
	unsigned sp = 0;
	for (unsigned i = 0; i < st->max_splices; i++)
		sp += st->splices[i].used;
	jw_kint(w, "spliced", sp);
	jw_kint(w, "refused", (int64_t)st->refused);
	jw_kint(w, "dropped", (int64_t)st->dropped);
	if (st->loss_permille)
		jw_kint(w, "lost", (int64_t)st->lost);   /* CPOD_USERNET_LOSS */
	jw_kint(w, "frames_in", (int64_t)st->frames_in);
	jw_kint(w, "frames_out", (int64_t)st->frames_out);
	jw_obj_end(w);
}

static void un_ctl_ports(un_stack *st, json_w *w)
{
	char s[64];
	jw_kbool(w, "ok", true);
	jw_key(w, "ports");
	jw_arr_begin(w);
	for (unsigned i = 0; i < st->n_fwds; i++) {
		un_fwd *f = &st->fwds[i];
		jw_obj_begin(w);
		jw_kstr(w, "container", st->taps[f->tap].container);
		if (f->any)
			s[0] = 0;
		else
			un_addr_str(&f->host_ip, s, sizeof(s));
		jw_kstr(w, "host_ip", s);
		jw_kint(w, "host_port", f->host_port);
		jw_kint(w, "ctr_port", f->ctr_port);
		jw_kstr(w, "proto", f->proto == UN_P_UDP ? "udp" : "tcp");
		jw_kint(w, "range", 1);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* One request on a control connection; -2: the process must stop. */
static int un_ctl_request(un_stack *st, int cfd)
{
	char *msg = (char *)st->tx;   /* no frame is being built between events */
	int nsfd;
	ssize_t n = fdpass_recv(cfd, msg, UN_CTL_MAX - 1, &nsfd, MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n <= 0) {
		if (nsfd >= 0)
			close(nsfd);
		return -1;
	}
	msg[n] = 0;
	cpod_err err;
	memset(&err, 0, sizeof(err));
	_cleanup_buf_ buf out = BUF_INIT;
	json_w w;
	jw_init(&w, &out, NULL);
	jw_obj_begin(&w);
	json_limits lim = { .max_size = UN_CTL_MAX, .max_depth = 16, .max_values = 10000 };
	json_doc *doc = json_parse(msg, (size_t)n, &lim, &err);
	int r = -1;
	if (doc) {
		const json_value *root = json_root(doc);
		const char *op = json_string(json_get(root, "op"));
		if (!op)
			err_set(&err, CPOD_E_INVALID, "request: no op");
		else if (strcmp(op, "attach") == 0)
			r = un_ctl_attach(st, root, nsfd, &w, &err);
		else if (strcmp(op, "detach") == 0) {
			const char *c = json_string(json_get(root, "container"));
			int ti = c ? un_tap_find(st, c) : -1;
			if (ti < 0)
				err_set(&err, CPOD_E_NOTFOUND, "detach %s: not attached", c ? c : "?");
			else {
				un_detach(st, (unsigned)ti);
				jw_kbool(&w, "ok", true);
				r = 0;
			}
		} else if (strcmp(op, "inspect") == 0) {
			un_ctl_inspect(st, &w);
			r = 0;
		} else if (strcmp(op, "ports") == 0) {
			un_ctl_ports(st, &w);
			r = 0;
		} else {
			err_set(&err, CPOD_E_INVALID, "request: unknown op %s", op);
		}
		json_doc_free(doc);
	}
	if (nsfd >= 0)
		close(nsfd);
	if (r < 0) {
		buf_reset(&out);
		jw_init(&w, &out, NULL);
		jw_obj_begin(&w);
		jw_kbool(&w, "ok", false);
		jw_kstr(&w, "error", err.msg);
	}
	jw_obj_end(&w);
	if (jw_finish(&w, NULL) == 0)
		send(cfd, out.data, out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	return r == -2 ? -2 : 0;
}

/* ----------------------------------------------------------------- loop */

static void un_expire(un_stack *st, uint64_t now)
{
	for (unsigned i = 0; i < st->max_flows; i++) {
		un_flow *f = &st->flows[i];
		if (!f->proto || f->proto == UN_P_TCP)
			continue;
		uint64_t idle = f->dns || f->proto != UN_P_UDP ? UN_DNS_IDLE_MS : UN_UDP_IDLE_MS;
		if (now - f->last_ms > idle)
			un_flow_free(st, f);
	}
}

static int un_ctl_listen(const char *path, cpod_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set(err, CPOD_E_INVALID, "control socket %s: path too long", path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_sys(err, "control socket");
	struct stat sb;
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(path);
	mode_t old = umask(077);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 16) < 0) {
		err_sys(err, "control socket %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

CPOD_INTERNAL int usernet_main(const usernet_config *cfg, cpod_err *err)
{
	if (!cfg->ctl_path || !*cfg->ctl_path)
		return err_set(err, CPOD_E_INVALID, "usernet: no control socket path");
	if (cfg->policy < 0 || cfg->policy > USERNET_POLICY_ISOLATED)
		return err_set(err, CPOD_E_INVALID, "usernet: unknown policy");
	/* a spawner's blocked signals (a supervisor blocks SIGTERM, SIGINT,
	 * SIGHUP, SIGCHLD) survive exec: unblock them, or SIGTERM cannot end us */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	un_stack *st = calloc(1, sizeof(*st));
	if (!st)
		return err_nomem(err);
	int ret = -1;
	if (un_stack_init(st, cfg, err) < 0) {
		free(st);
		return err_prefix(err, "usernet");
	}
	if (cfg->gateway && *cfg->gateway && un_set_gateway(st, cfg->gateway, err) < 0) {
		un_stack_free(st);
		free(st);
		return err_prefix(err, "usernet");
	}
	st->hostns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	st->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (st->hostns_fd < 0 || st->epfd < 0) {
		err_sys(err, "usernet: setup");
		goto out;
	}
	st->ctl_fd = un_ctl_listen(cfg->ctl_path, err);
	if (st->ctl_fd < 0 || un_ep_add(st, st->ctl_fd, EPOLLIN, UN_EVDATA(UN_EV_CTL_LISTEN, 0)) < 0)
		goto out;
	uint64_t grace = cfg->grace_ms ? cfg->grace_ms : 2000;
	uint64_t idle = cfg->idle_ms ? cfg->idle_ms : 30000;
	uint64_t last_tick = 0;
	struct epoll_event evs[256];
	for (;;) {
		int n = epoll_wait(st->epfd, evs, ARRAY_LEN(evs), 100);
		if (n < 0 && errno != EINTR) {
			err_sys(err, "usernet: epoll_wait");
			goto out;
		}
		for (int i = 0; i < n; i++) {
			uint32_t type = (uint32_t)(evs[i].data.u64 >> 32);
			uint32_t idx = (uint32_t)evs[i].data.u64;
			uint32_t e = evs[i].events;
			switch (type) {
			case UN_EV_CTL_LISTEN: {
				int c = accept4(st->ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
				if (c >= 0 && un_ep_add(st, c, EPOLLIN, UN_EVDATA(UN_EV_CTL, c)) < 0)
					close(c);
				break;
			}
			case UN_EV_CTL: {
				int r = un_ctl_request(st, (int)idx);
				if (r == -2) {
					err_set(err, CPOD_E_SYS, "usernet: lost the host namespace");
					goto out;
				}
				if (r < 0 || (e & (EPOLLHUP | EPOLLERR)))
					close((int)idx);
				break;
			}
			case UN_EV_TAP:
				if (idx < UN_MAX_TAPS && st->taps[idx].used)
					un_tap_readable(st, idx);
				break;
			case UN_EV_PID:
				if (idx < UN_MAX_TAPS && st->taps[idx].used)
					un_detach(st, idx);
				break;
			case UN_EV_FLOW:
				if (idx < st->max_flows && st->flows[idx].proto) {
					un_flow *f = &st->flows[idx];
					if (f->proto == UN_P_TCP)
						un_tcp_event(st, f, e);
					else
						un_udp_readable(st, f);
				}
				break;
			case UN_EV_FWD_LISTEN:
				un_fwd_accept(st, idx);
				break;
			case UN_EV_SPLICE_A:
			case UN_EV_SPLICE_B:
				un_splice_event(st, idx, type == UN_EV_SPLICE_B, e);
				break;
			}
		}
		un_tcp_flush_acks(st);
		if (st->fatal) {
			err_set(err, CPOD_E_SYS, "usernet: lost the host's network namespace");
			goto out;
		}
		for (unsigned i = 0; i < UN_MAX_TAPS; i++)
			if (st->taps[i].used && st->taps[i].dead)
				un_detach(st, i);
		uint64_t now = un_now_ms();
		if (now - last_tick >= 100) {
			last_tick = now;
			un_tcp_timers(st, now);
			un_tcp_flush_acks(st);
			un_expire(st, now);
			if (!st->n_attached && st->ever_attached && now - st->empty_since_ms >= grace)
				break;
			if (!st->ever_attached && now - st->start_ms >= idle)
				break;
		}
	}
	ret = 0;
out:
	for (unsigned i = 0; i < UN_MAX_TAPS; i++)
		un_detach(st, i);
	if (st->ctl_fd >= 0) {
		close(st->ctl_fd);
		unlink(cfg->ctl_path);
	}
	if (st->epfd >= 0)
		close(st->epfd);
	if (st->hostns_fd >= 0)
		close(st->hostns_fd);
	un_stack_free(st);
	free(st);
	return ret;
}

/* -------------------------------------------------------- the command */

static int un_arg_uint(const char *opt, const char *v, unsigned *out, cpod_err *err)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(v, &end, 10);
	if (!*v || *end || errno || x > 0xffffffffUL)
		return err_set(err, CPOD_E_INVALID, "__usernet: %s %s: not a number", opt, v);
	*out = (unsigned)x;
	return 0;
}

/* "[host_ip:]host_port:ctr_port[/proto]" (a host IPv6 address in brackets) */
static int un_arg_publish(const char *v, usernet_port *p, char *ipbuf, size_t n, cpod_err *err)
{
	char tmp[128];
	snprintf(tmp, sizeof(tmp), "%s", v);
	char *proto = strchr(tmp, '/');
	if (proto)
		*proto++ = 0;
	p->proto = proto && !strcmp(proto, "udp") ? "udp" : "tcp";
	char *last = strrchr(tmp, ':');
	if (!last)
		return err_set(err, CPOD_E_INVALID, "--publish %s: not [IP:]HOSTPORT:CTRPORT", v);
	*last = 0;
	char *hp = strrchr(tmp, ':');
	ipbuf[0] = 0;
	if (hp) {
		*hp++ = 0;
		char *ip = tmp;
		size_t l = strlen(ip);
		if (l >= 2 && ip[0] == '[' && ip[l - 1] == ']') {
			ip[l - 1] = 0;
			ip++;
		}
		if (strlen(ip) >= n)
			return err_set(err, CPOD_E_INVALID, "--publish %s: address too long", v);
		memcpy(ipbuf, ip, strlen(ip) + 1);
	} else {
		hp = tmp;
	}
	p->host_ip = ipbuf;
	if (un_arg_uint("--publish", hp, &p->host_port, err) < 0 ||
	    un_arg_uint("--publish", last + 1, &p->ctr_port, err) < 0)
		return -1;
	p->range = 1;
	return 0;
}

/* The client verbs, for tests and debugging: the same calls the engine makes. */
static int un_client_cmd(int argc, char **argv, char **out, cpod_err *err)
{
	const char *verb = argv[1], *ctl = NULL, *netns = NULL;
	usernet_attach_req req = { 0 };
	const char *aliases[UN_MAX_NAMES];
	usernet_port ports[32];
	char ips[32][64];
	unsigned pid = 0;
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i];
		if (i + 1 >= argc)
			return err_set(err, CPOD_E_INVALID, "__usernet %s: %s needs a value", verb, o);
		const char *v = argv[++i];
		if (strcmp(o, "--ctl") == 0)
			ctl = v;
		else if (strcmp(o, "--netns") == 0)
			netns = v;
		else if (strcmp(o, "--container") == 0)
			req.container = v;
		else if (strcmp(o, "--name") == 0)
			req.name = v;
		else if (strcmp(o, "--ip") == 0)
			req.ip = v;
		else if (strcmp(o, "--mac") == 0)
			req.mac = v;
		else if (strcmp(o, "--ip6") == 0)
			req.ip6 = v;
		else if (strcmp(o, "--alias") == 0 && req.n_aliases < UN_MAX_NAMES)
			aliases[req.n_aliases++] = v;
		else if (strcmp(o, "--pid") == 0) {
			if (un_arg_uint(o, v, &pid, err) < 0)
				return -1;
		} else if (strcmp(o, "--publish") == 0 && req.n_ports < ARRAY_LEN(ports)) {
			if (un_arg_publish(v, &ports[req.n_ports], ips[req.n_ports], 64, err) < 0)
				return -1;
			req.n_ports++;
		} else
			return err_set(err, CPOD_E_INVALID, "__usernet %s: unknown option %s", verb, o);
	}
	req.aliases = aliases;
	req.ports = ports;
	req.pid = (int)pid;
	if (!ctl)
		return err_set(err, CPOD_E_INVALID, "__usernet %s: --ctl is required", verb);
	if (strcmp(verb, "inspect") == 0)
		return (*out = usernet_inspect(ctl, err)) ? 0 : -1;
	if (strcmp(verb, "ports") == 0)
		return (*out = usernet_ports(ctl, err)) ? 0 : -1;
	if (!req.container)
		return err_set(err, CPOD_E_INVALID, "__usernet %s: --container is required", verb);
	if (strcmp(verb, "detach") == 0)
		return usernet_detach(ctl, req.container, err);
	if (!netns)
		return err_set(err, CPOD_E_INVALID, "__usernet attach: --netns is required");
	_cleanup_close_ int fd = open(netns, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "__usernet attach: %s", netns);
	usernet_attach_reply r;
	if (usernet_attach(ctl, fd, &req, &r, err) < 0)
		return -1;
	_cleanup_buf_ buf b = BUF_INIT;
	json_w w;
	jw_init(&w, &b, NULL);
	jw_obj_begin(&w);
	jw_kstr(&w, "ip", r.ip);
	jw_kint(&w, "prefix", r.prefix);
	jw_kstr(&w, "ip6", r.ip6);
	jw_kstr(&w, "mac", r.mac);
	jw_kstr(&w, "gateway", r.gateway);
	jw_kstr(&w, "dns", r.dns);
	jw_kint(&w, "mtu", r.mtu);
	jw_kstr(&w, "ifname", r.ifname);
	jw_obj_end(&w);
	if (jw_finish(&w, err) < 0)
		return -1;
	*out = buf_take(&b, err);
	return *out ? 0 : -1;
}

int cpod_usernet_main(int argc, char **argv, char **out, cpod_err *err)
{
	usernet_config cfg = { 0 };
	bool spawn = false;
	*out = NULL;
	if (argc >= 2 && (strcmp(argv[1], "attach") == 0 || strcmp(argv[1], "detach") == 0 ||
			  strcmp(argv[1], "inspect") == 0 || strcmp(argv[1], "ports") == 0))
		return un_client_cmd(argc, argv, out, err);
	int i = 1;
	if (argc >= 2 && strcmp(argv[1], "spawn") == 0) {
		spawn = true;
		i = 2;
	}
	for (; i < argc; i++) {
		const char *o = argv[i];
		if (i + 1 >= argc)
			return err_set(err, CPOD_E_INVALID, "__usernet: %s needs a value", o);
		const char *v = argv[++i];
		if (strcmp(o, "--ctl") == 0)
			cfg.ctl_path = v;
		else if (strcmp(o, "--name") == 0)
			cfg.name = v;
		else if (strcmp(o, "--subnet") == 0)
			cfg.subnet = v;
		else if (strcmp(o, "--subnet6") == 0)
			cfg.subnet6 = v;
		else if (strcmp(o, "--gateway") == 0)
			cfg.gateway = v;
		else if (strcmp(o, "--resolv-conf") == 0)
			cfg.resolv_conf = v;
		else if (strcmp(o, "--policy") == 0) {
			cfg.policy = usernet_policy_parse(v);
			if (cfg.policy < 0)
				return err_set(err, CPOD_E_INVALID, "__usernet: unknown policy %s", v);
		} else if (strcmp(o, "--mtu") == 0) {
			if (un_arg_uint(o, v, &cfg.mtu, err) < 0)
				return -1;
		} else if (strcmp(o, "--max-flows") == 0) {
			if (un_arg_uint(o, v, &cfg.max_flows, err) < 0)
				return -1;
		} else if (strcmp(o, "--grace-ms") == 0) {
			if (un_arg_uint(o, v, &cfg.grace_ms, err) < 0)
				return -1;
		} else if (strcmp(o, "--idle-ms") == 0) {
			if (un_arg_uint(o, v, &cfg.idle_ms, err) < 0)
				return -1;
		} else if (strcmp(o, "--log") == 0) {
			cfg.log_path = v;
		} else {
			return err_set(err, CPOD_E_INVALID, "__usernet: unknown option %s", o);
		}
	}
	if (spawn) {
		int pid = 0;
		if (usernet_spawn(&cfg, NULL, &pid, err) < 0)
			return -1;
		char s[32];
		snprintf(s, sizeof(s), "%d", pid);
		*out = strdup(s);
		return 0;
	}
	return usernet_main(&cfg, err);
}
