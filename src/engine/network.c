/*
 * network.c — a container's networks and their stack processes (see
 * network.h): the record's "network" settings, attaching at start and
 * detaching at the end, restarting a stack found dead, and what inspect and
 * ps show of it.  Named networks themselves (create, ls, rm...) are in
 * netstore.c.
 */
#include "network.h"
#include "netstore.h"
#include "../base/fs.h"
#include "../base/proc.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* ---------------------------------------------------------------- the record */

static void netc_copy(char *dst, size_t n, const json_value *o, const char *key)
{
	const char *s = json_string(json_get(o, key));
	snprintf(dst, n, "%s", s ? s : "");
}

static unsigned netc_uint(const json_value *o, const char *key)
{
	int64_t v = 0;
	if (!json_int64(json_get(o, key), &v) || v < 0 || v > 65535 * 2)
		return 0;
	return (unsigned)v;
}

static size_t netc_ports_read(const json_value *a, net_port *out)
{
	size_t n = 0;
	for (size_t i = 0; i < json_len(a) && n < NET_MAX_PORTS; i++) {
		const json_value *p = json_at(a, i);
		net_port *x = &out[n++];
		netc_copy(x->host_ip, sizeof(x->host_ip), p, "host_ip");
		netc_copy(x->proto, sizeof(x->proto), p, "proto");
		if (strcmp(x->proto, "udp") != 0)
			strcpy(x->proto, "tcp");
		x->host_port = netc_uint(p, "host_port");
		x->ctr_port = netc_uint(p, "ctr_port");
		x->range = netc_uint(p, "range");
		if (!x->range)
			x->range = 1;
	}
	return n;
}

static void netc_reply_read(const json_value *o, usernet_attach_reply *r)
{
	memset(r, 0, sizeof(*r));
	netc_copy(r->ip, sizeof(r->ip), o, "ip");
	netc_copy(r->ip6, sizeof(r->ip6), o, "ip6");
	netc_copy(r->mac, sizeof(r->mac), o, "mac");
	netc_copy(r->gateway, sizeof(r->gateway), o, "gateway");
	netc_copy(r->gateway6, sizeof(r->gateway6), o, "gateway6");
	netc_copy(r->dns, sizeof(r->dns), o, "dns");
	netc_copy(r->dns6, sizeof(r->dns6), o, "dns6");
	netc_copy(r->ifname, sizeof(r->ifname), o, "ifname");
	r->prefix = netc_uint(o, "prefix");
	r->prefix6 = netc_uint(o, "prefix6");
	r->mtu = netc_uint(o, "mtu");
}

CPOD_INTERNAL void net_ctr_read(const char *text, ctr_net *n)
{
	memset(n, 0, sizeof(*n));
	n->mode = OPTIONS_NET_NONE;
	json_doc *d = text ? json_parse(text, strlen(text), NULL, NULL) : NULL;
	if (!d)
		return;
	const json_value *o = json_root(d);
	const char *mode = json_string(json_get(o, "mode"));
	if (mode && strcmp(mode, "host") == 0)
		n->mode = OPTIONS_NET_HOST;
	else if (mode && strcmp(mode, "usernet") == 0)
		n->mode = OPTIONS_NET_USERNET;
	else if (mode && strcmp(mode, "named") == 0)
		n->mode = OPTIONS_NET_NAMED;
	const char *pol = json_string(json_get(o, "policy"));
	n->policy = pol ? usernet_policy_parse(pol) : USERNET_POLICY_NONE;
	if (n->policy < 0)
		n->policy = USERNET_POLICY_NONE;
	n->mtu = netc_uint(o, "mtu");
	const json_value *links = json_get(o, "links");
	for (size_t i = 0; i < json_len(links) && n->n_links < NET_MAX_LINKS; i++) {
		const json_value *l = json_at(links, i);
		net_link *k = &n->links[n->n_links++];
		netc_copy(k->name, sizeof(k->name), l, "name");
		netc_copy(k->ip, sizeof(k->ip), l, "ip");
		netc_copy(k->mac, sizeof(k->mac), l, "mac");
		netc_copy(k->ip6, sizeof(k->ip6), l, "ip6");
		const json_value *al = json_get(l, "aliases");
		for (size_t j = 0; j < json_len(al) && k->n_aliases < NET_MAX_ALIASES; j++) {
			const char *s = json_string(json_at(al, j));
			if (s)
				snprintf(k->aliases[k->n_aliases++], 64, "%s", s);
		}
		const json_value *st = json_get(l, "state");
		if (st) {
			k->attached = true;
			netc_reply_read(st, &k->r);
		}
	}
	n->n_ports = netc_ports_read(json_get(o, "ports"), n->ports);
	n->n_bound = netc_ports_read(json_get(o, "bound"), n->bound);
	json_doc_free(d);
}

static void netc_ports_write(json_w *w, const char *key, const net_port *p, size_t n)
{
	jw_key(w, key);
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		jw_obj_begin(w);
		jw_kstr(w, "host_ip", p[i].host_ip);
		jw_kint(w, "host_port", p[i].host_port);
		jw_kint(w, "ctr_port", p[i].ctr_port);
		jw_kint(w, "range", p[i].range);
		jw_kstr(w, "proto", p[i].proto);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void netc_reply_write(json_w *w, const usernet_attach_reply *r)
{
	jw_obj_begin(w);
	jw_kstr(w, "ip", r->ip);
	jw_kint(w, "prefix", r->prefix);
	jw_kstr(w, "ip6", r->ip6);
	jw_kint(w, "prefix6", r->prefix6);
	jw_kstr(w, "mac", r->mac);
	jw_kstr(w, "gateway", r->gateway);
	jw_kstr(w, "gateway6", r->gateway6);
	jw_kstr(w, "dns", r->dns);
	jw_kstr(w, "dns6", r->dns6);
	jw_kstr(w, "ifname", r->ifname);
	jw_kint(w, "mtu", r->mtu);
	jw_obj_end(w);
}

static const char *netc_mode_word(enum options_netmode m)
{
	switch (m) {
	case OPTIONS_NET_HOST: return "host";
	case OPTIONS_NET_USERNET: return "usernet";
	case OPTIONS_NET_NAMED: return "named";
	default: return "none";
	}
}

CPOD_INTERNAL char *net_ctr_text(const ctr_net *n)
{
	buf b = BUF_INIT;
	json_w w;
	jw_init(&w, &b, NULL);
	jw_obj_begin(&w);
	jw_kstr(&w, "mode", netc_mode_word(n->mode));
	jw_kstr(&w, "policy", usernet_policy_name(n->policy));
	jw_kint(&w, "mtu", n->mtu);
	jw_key(&w, "links");
	jw_arr_begin(&w);
	for (size_t i = 0; i < n->n_links; i++) {
		const net_link *k = &n->links[i];
		jw_obj_begin(&w);
		jw_kstr(&w, "name", k->name);
		if (k->ip[0])
			jw_kstr(&w, "ip", k->ip);
		if (k->mac[0])
			jw_kstr(&w, "mac", k->mac);
		if (k->ip6[0])
			jw_kstr(&w, "ip6", k->ip6);
		jw_key(&w, "aliases");
		jw_arr_begin(&w);
		for (size_t j = 0; j < k->n_aliases; j++)
			jw_str(&w, k->aliases[j]);
		jw_arr_end(&w);
		if (k->attached) {
			jw_key(&w, "state");
			netc_reply_write(&w, &k->r);
		}
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	netc_ports_write(&w, "ports", n->ports, n->n_ports);
	netc_ports_write(&w, "bound", n->bound, n->n_bound);
	jw_obj_end(&w);
	if (jw_finish(&w, NULL) < 0) {
		buf_free(&b);
		return NULL;
	}
	return b.data;
}

CPOD_INTERNAL const char *net_mode_name(const ctr_net *n)
{
	if (n->mode == OPTIONS_NET_NAMED && n->n_links)
		return n->links[0].name;
	return n->mode == OPTIONS_NET_NAMED ? "none" : netc_mode_word(n->mode);
}

/* ---------------------------------------------------------------- addresses */

/* "BASE/PLEN" into base (text) and its prefix length (dflt without one). */
static unsigned netc_cidr_split(const char *cidr, char *base, size_t n, unsigned dflt)
{
	snprintf(base, n, "%s", cidr);
	char *slash = strchr(base, '/');
	if (!slash)
		return dflt;
	*slash = '\0';
	return (unsigned)strtoul(slash + 1, NULL, 10);
}

CPOD_INTERNAL void net_subnet_addr(const char *subnet, unsigned k, char out[16])
{
	char b[64];
	struct in_addr a;
	netc_cidr_split(subnet, b, sizeof(b), 24);
	out[0] = '\0';
	if (inet_pton(AF_INET, b, &a) != 1)
		return;
	a.s_addr = htonl(ntohl(a.s_addr) + k);
	inet_ntop(AF_INET, &a, out, 16);
}

/* A fixed address for a container on a network of subnet (gateway "": .2):
 * in the subnet, and none of the network's own (.0-.3, gateway, broadcast). */
static int netc_check_ip(const char *subnet, const char *gateway, const char *ip,
			 const char *net, const char *opt, cpod_err *err)
{
	char b[64], gw[16];
	struct in_addr a, base;
	unsigned plen = netc_cidr_split(subnet, b, sizeof(b), 24);
	if (inet_pton(AF_INET, ip, &a) != 1)
		return err_set(err, CPOD_E_INVALID, "%s %s: not an IPv4 address", opt, ip);
	if (inet_pton(AF_INET, b, &base) != 1 || plen < 8 || plen > 30)
		return err_set(err, CPOD_E_INVALID, "network %s: bad subnet %s", net, subnet);
	uint32_t mask = 0xffffffffu << (32 - plen), v = ntohl(a.s_addr);
	uint32_t h = v & ~mask;
	if ((v & mask) != (ntohl(base.s_addr) & mask))
		return err_set(err, CPOD_E_INVALID, "%s %s: not in the subnet %s of network %s",
			       opt, ip, subnet, net);
	if (gateway && *gateway)
		snprintf(gw, sizeof(gw), "%s", gateway);
	else
		net_subnet_addr(subnet, 2, gw);
	if (strcmp(gw, ip) == 0)
		return err_set(err, CPOD_E_INVALID, "%s %s: the gateway's address of network %s", opt,
			       ip, net);
	if (h == 3)
		return err_set(err, CPOD_E_INVALID, "%s %s: the DNS server's address of network %s",
			       opt, ip, net);
	if (h == 0 || h == ~mask)
		return err_set(err, CPOD_E_INVALID, "%s %s: the network or broadcast address of %s",
			       opt, ip, subnet);
	if (h < 4)
		return err_set(err, CPOD_E_INVALID, "%s %s: reserved in network %s (.1 to .3 are the "
			       "network's)", opt, ip, net);
	return 0;
}

/* A fixed IPv6 address: in subnet6, none of its ::0 to ::3. */
static int netc_check_ip6(const char *subnet6, const char *ip6, const char *net, cpod_err *err)
{
	char b[64];
	struct in6_addr a, base;
	unsigned plen = netc_cidr_split(subnet6, b, sizeof(b), 64);
	if (inet_pton(AF_INET6, ip6, &a) != 1)
		return err_set(err, CPOD_E_INVALID, "--ip6 %s: not an IPv6 address", ip6);
	if (!subnet6[0] || inet_pton(AF_INET6, b, &base) != 1 || plen < 8 || plen > 120)
		return err_set(err, CPOD_E_INVALID, "--ip6 %s: network %s has no IPv6", ip6, net);
	for (unsigned i = 0; i < plen; i++) {
		unsigned m = 0x80u >> (i % 8);
		if ((a.s6_addr[i / 8] & m) != (base.s6_addr[i / 8] & m))
			return err_set(err, CPOD_E_INVALID, "--ip6 %s: not in the subnet %s of "
				       "network %s", ip6, subnet6, net);
	}
	bool low = (a.s6_addr[15] & 0xfc) == (base.s6_addr[15] & 0xfc);
	for (unsigned i = plen / 8; i < 15 && low; i++)
		low = a.s6_addr[i] == base.s6_addr[i];
	if (low)
		return err_set(err, CPOD_E_INVALID, "--ip6 %s: reserved in network %s (::0 to ::3: "
			       "the gateway's and the DNS server's)", ip6, net);
	return 0;
}

CPOD_INTERNAL int net_ctr_new(cpod_engine *e, const options_parsed *p, const cpod_run_opts *o,
			      const image_config *cfg, ctr_net *n, char dns[16], char gw[16],
			      cpod_err *err)
{
	memset(n, 0, sizeof(*n));
	dns[0] = gw[0] = '\0';
	n->mode = p->net_mode;
	n->policy = p->net_policy;
	n->mtu = p->net_mtu;
	if (n->mode == OPTIONS_NET_USERNET && p->net_default) {
		/* the default network needs a tap: where this user cannot make
		 * one (/dev/net/tun missing, or not theirs: mode 0600 on some
		 * hosts), the container gets none rather than failing */
		int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
		if (fd < 0 && (p->n_ports || p->n_aliases))
			return err_set(err, CPOD_E_UNSUPPORTED, "published ports and aliases need a "
				       "network: /dev/net/tun: %s", strerror(errno));
		if (fd < 0) {
			log_warn("no network for the container: /dev/net/tun: %s (as with --network "
				 "none)", strerror(errno));
			n->mode = OPTIONS_NET_NONE;
			return 0;
		}
		close(fd);
	}
	if (n->mode == OPTIONS_NET_NONE || n->mode == OPTIONS_NET_HOST)
		return 0;
	const char *subnet = USERNET_DEFAULT_SUBNET;
	netstore_rec first;
	bool have_first = false;
	if (n->mode == OPTIONS_NET_USERNET) {
		snprintf(n->links[0].name, 64, "%s", NET_PRIVATE);
		n->n_links = 1;
	} else {
		if (p->n_net_names > NET_MAX_LINKS)
			return err_set(err, CPOD_E_INVALID, "--network: at most %d networks",
				       NET_MAX_LINKS);
		/* shared: no network rm meanwhile (the containers lock, which
		 * our caller holds, keeps it out until the record is saved) */
		_cleanup_close_ int lock = netstore_lock(e, false, err);
		if (lock < 0)
			return -1;
		for (size_t i = 0; i < p->n_net_names; i++) {
			netstore_rec nr;
			if (netstore_load(e, p->net_names[i], &nr, err) < 0)
				return -1;
			if (i == 0) {
				first = nr;
				have_first = true;
			}
			snprintf(n->links[n->n_links++].name, 64, "%s", p->net_names[i]);
		}
		if (have_first)
			subnet = first.subnet;
	}
	if (p->n_aliases > NET_MAX_ALIASES)
		return err_set(err, CPOD_E_INVALID, "--network-alias: at most %d", NET_MAX_ALIASES);
	for (size_t i = 0; i < n->n_links; i++) {
		for (size_t j = 0; j < p->n_aliases; j++)
			snprintf(n->links[i].aliases[j], 64, "%s", p->aliases[j]);
		n->links[i].n_aliases = p->n_aliases;
	}
	for (size_t i = 0; i < p->n_ports; i++) {
		if (n->n_ports >= NET_MAX_PORTS)
			return err_set(err, CPOD_E_INVALID, "--publish: at most %d", NET_MAX_PORTS);
		const options_port *x = &p->ports[i];
		net_port *y = &n->ports[n->n_ports++];
		snprintf(y->host_ip, sizeof(y->host_ip), "%s", x->host_ip ? x->host_ip : "");
		snprintf(y->proto, sizeof(y->proto), "%s", x->proto ? x->proto : "tcp");
		y->host_port = x->host_port;
		y->ctr_port = x->ctr_port;
		y->range = x->range ? x->range : 1;
	}
	/* -P: every EXPOSEd port of the image not published already */
	for (size_t i = 0; o->publish_all && cfg && i < cfg->n_exposed_ports; i++) {
		const char *s = cfg->exposed_ports[i], *slash = strchr(s, '/');
		unsigned long port = strtoul(s, NULL, 10);
		const char *proto = slash && strcmp(slash + 1, "udp") == 0 ? "udp" : "tcp";
		if (port < 1 || port > 65535)
			continue;
		bool have = false;
		for (size_t k = 0; k < n->n_ports && !have; k++)
			have = n->ports[k].ctr_port <= port &&
			       port < n->ports[k].ctr_port + n->ports[k].range &&
			       strcmp(n->ports[k].proto, proto) == 0;
		if (have)
			continue;
		if (n->n_ports >= NET_MAX_PORTS)
			return err_set(err, CPOD_E_INVALID, "--publish-all: at most %d ports",
				       NET_MAX_PORTS);
		net_port *y = &n->ports[n->n_ports++];
		y->ctr_port = (unsigned)port;
		y->range = 1;
		snprintf(y->proto, sizeof(y->proto), "%s", proto);
	}
	/* a range without host ports takes a host port per port at start */
	size_t nb = 0;
	for (size_t i = 0; i < n->n_ports; i++)
		nb += n->ports[i].host_port ? 1 : n->ports[i].range;
	if (nb > NET_MAX_PORTS)
		return err_set(err, CPOD_E_INVALID, "--publish: %zu host ports to pick, at most %d "
			       "(a range without host ports takes one per port)", nb, NET_MAX_PORTS);
	if (p->net_ip[0] && netc_check_ip(subnet, have_first ? first.gateway : "", p->net_ip,
					  n->links[0].name, "--ip", err) < 0)
		return -1;
	if (p->net_ip6[0] && netc_check_ip6(have_first ? first.subnet6 : "fd00::/64", p->net_ip6,
					    n->links[0].name, err) < 0)
		return -1;
	snprintf(n->links[0].ip6, sizeof(n->links[0].ip6), "%s", p->net_ip6);
	snprintf(n->links[0].ip, sizeof(n->links[0].ip), "%s", p->net_ip);
	snprintf(n->links[0].mac, sizeof(n->links[0].mac), "%s", p->net_mac);
	net_subnet_addr(subnet, 3, dns);
	if (have_first && first.gateway[0])
		snprintf(gw, 16, "%s", first.gateway);
	else
		net_subnet_addr(subnet, 2, gw);
	return 0;
}

/* ---------------------------------------------------------------- the stacks */

/* The run-time directory of a link, under RUNROOT: networks/NAME, or
 * usernet/ID16 for a container's own. */
static void netc_rel_dir(const char *link, const char *ctr_id, char rel[128])
{
	bool priv = strcmp(link, NET_PRIVATE) == 0;
	snprintf(rel, 128, "%s/%.*s", priv ? "usernet" : "networks", priv ? 16 : 64,
		 priv ? ctr_id : link);
}

CPOD_INTERNAL int net_ctl_path(cpod_engine *e, const char *link, const char *ctr_id, char *ctl,
			       size_t n)
{
	char rel[128];
	netc_rel_dir(link, ctr_id, rel);
	if ((size_t)snprintf(ctl, n, "%s/%s/ctl", e->runroot, rel) >= n) {
		ctl[0] = '\0';
		return -1;
	}
	return 0;
}

/* The run-time directory of a link (made), and the control socket in it. */
static int netc_dir(cpod_engine *e, const char *link, const char *ctr_id, char *dir, size_t dn,
		    char *ctl, size_t cn, cpod_err *err)
{
	bool priv = strcmp(link, NET_PRIVATE) == 0;
	char rel[128];
	netc_rel_dir(link, ctr_id, rel);
	mkdirat(e->runrootfd, priv ? "usernet" : "networks", 0700);
	if (mkdirat(e->runrootfd, rel, 0700) < 0 && errno != EEXIST)
		return err_sys(err, "create %s/%s", e->runroot, rel);
	if ((size_t)snprintf(dir, dn, "%s/%s", e->runroot, rel) >= dn ||
	    net_ctl_path(e, link, ctr_id, ctl, cn) < 0)
		return err_set(err, CPOD_E_INVALID, "network %s: the run root's path is too long", link);
	if (strlen(ctl) >= 108)
		return err_set(err, CPOD_E_INVALID,
			       "network %s: control socket %s: longer than a unix socket path may be "
			       "(a shorter CPOD_RUNROOT)", link, ctl);
	return 0;
}

/* Starts the stack detached from us: from a child with no signal blocked
 * (the stack inherits the mask; a supervisor blocks several), while we are
 * not a subreaper (a supervisor is: the stack would become its child
 * rather than init's, and must outlive it). */
static int netc_spawn(const usernet_config *cfg, int *pid_out, cpod_err *err)
{
	int was = 0;
	prctl(PR_GET_CHILD_SUBREAPER, &was, 0, 0, 0);
	if (was)
		prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
	int pp[2];
	int r = -1;
	if (pipe2(pp, O_CLOEXEC) < 0) {
		err_sys(err, "start network %s: pipe", cfg->name);
		goto out;
	}
	pid_t child = fork();
	if (child < 0) {
		close(pp[0]);
		close(pp[1]);
		err_sys(err, "start network %s: fork", cfg->name);
		goto out;
	}
	if (child == 0) {
		close(pp[0]);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		struct { int pid; cpod_err err; } rep;
		memset(&rep, 0, sizeof(rep));
		rep.pid = -1;
		if (usernet_spawn(cfg, sup_exe_path(), &rep.pid, &rep.err) < 0)
			rep.pid = -1;
		(void)!write(pp[1], &rep, sizeof(rep));
		_exit(0);
	}
	close(pp[1]);
	struct { int pid; cpod_err err; } rep;
	ssize_t got = RETRY_EINTR(read(pp[0], &rep, sizeof(rep)));
	close(pp[0]);
	proc_wait(child, NULL, 0);
	if (got != (ssize_t)sizeof(rep)) {
		err_set(err, CPOD_E_SYS, "start network %s: the starter died", cfg->name);
		goto out;
	}
	if (rep.pid < 0) {
		if (err)
			*err = rep.err;
		goto out;
	}
	if (pid_out)
		*pid_out = rep.pid;
	r = 0;
out:
	if (was)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	return r;
}

/* The stack's configuration for a link (paths point into the buffers). */
typedef struct netc_stack {
	usernet_config cfg;
	char dir[PATH_MAX], ctl[PATH_MAX], log[PATH_MAX];
	netstore_rec rec;
} netc_stack;

static int netc_stack_cfg(cpod_engine *e, const ctr_net *n, const char *link, const char *ctr_id,
			  netc_stack *s, cpod_err *err)
{
	memset(s, 0, sizeof(*s));
	if (netc_dir(e, link, ctr_id, s->dir, sizeof(s->dir), s->ctl, sizeof(s->ctl), err) < 0)
		return -1;
	if (snprintf(s->log, sizeof(s->log), "%s/log", s->dir) >= (int)sizeof(s->log))
		return err_set(err, CPOD_E_INVALID, "network %s: path too long", link);
	s->cfg.ctl_path = s->ctl;
	s->cfg.log_path = s->log;
	if (strcmp(link, NET_PRIVATE) == 0) {
		s->cfg.name = NET_PRIVATE;
		s->cfg.policy = n->policy;
		s->cfg.mtu = n->mtu;
		/* the container's own: no reason to linger once it stopped */
		s->cfg.grace_ms = 300;
	} else {
		if (netstore_load(e, link, &s->rec, err) < 0)
			return -1;
		s->cfg.name = s->rec.name;
		s->cfg.subnet = s->rec.subnet;
		s->cfg.subnet6 = s->rec.subnet6[0] ? s->rec.subnet6 : NULL;
		s->cfg.gateway = s->rec.gateway[0] ? s->rec.gateway : NULL;
		s->cfg.policy = s->rec.policy;
		s->cfg.mtu = s->rec.mtu;
	}
	s->cfg.idle_ms = 10000;
	return 0;
}

static void netc_reattach_others(cpod_engine *e, const char *link, const char *except);
/* Attaching the others again: a stack that died once more is not started
 * from there (we hold its network's lock). */
static bool netc_reattaching;

/* The stack of a link runs (started, under the network's lock, when it
 * does not answer; then the network's other running containers are
 * attached to the new one). */
static int netc_ensure(cpod_engine *e, netc_stack *s, const char *link, const char *ctr_id,
		       cpod_err *err)
{
	if (usernet_alive(s->ctl))
		return 0;
	if (netc_reattaching)
		return err_set(err, CPOD_E_SYS, "network %s: its process ended again", link);
	char lockp[PATH_MAX + 8];
	snprintf(lockp, sizeof(lockp), "%s/lock", s->dir);
	_cleanup_close_ int lock = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || RETRY_EINTR(flock(lock, LOCK_EX)) < 0)
		return err_sys(err, "network %s: lock", link);
	if (usernet_alive(s->ctl))
		return 0;
	if (netc_spawn(&s->cfg, NULL, err) < 0)
		return err_prefix(err, "network %s", link);
	if (strcmp(link, NET_PRIVATE) != 0) {
		netc_reattaching = true;
		netc_reattach_others(e, link, ctr_id);
		netc_reattaching = false;
	}
	return 0;
}

/* A free port on the host for a published port asked as "any"; *fd gets
 * the socket bound to it, which the caller keeps open until every port of
 * the container is picked (closed at once, the next pick could be the
 * same port). */
static unsigned netc_free_port(const char *ip, const char *proto, int *fd)
{
	struct sockaddr_storage ss;
	socklen_t len;
	*fd = -1;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	if (ip && strchr(ip, ':')) {
		a6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, ip, &a6->sin6_addr) != 1)
			return 0;
		len = sizeof(*a6);
	} else {
		a4->sin_family = AF_INET;
		if (ip && *ip && inet_pton(AF_INET, ip, &a4->sin_addr) != 1)
			return 0;
		len = sizeof(*a4);
	}
	int type = strcmp(proto, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM;
	int s = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (s < 0)
		return 0;
	unsigned port = 0;
	if (bind(s, (struct sockaddr *)&ss, len) == 0 &&
	    getsockname(s, (struct sockaddr *)&ss, &len) == 0)
		port = ntohs(ss.ss_family == AF_INET6 ? a6->sin6_port : a4->sin_port);
	if (port)
		*fd = s;
	else
		close(s);
	return port;
}

/* A host port the container asks for by number (any address). */
static bool netc_port_asked(const ctr_net *n, unsigned port, const char *proto)
{
	for (size_t i = 0; i < n->n_ports; i++) {
		const net_port *p = &n->ports[i];
		if (p->host_port && p->host_port <= port && port < p->host_port + p->range &&
		    strcmp(p->proto, proto) == 0)
			return true;
	}
	return false;
}

/* The host ports of this start: "any" ones picked now, distinct from each
 * other and from those asked by number. */
static int netc_bind_ports(ctr_net *n, cpod_err *err)
{
	int held[NET_MAX_PORTS * 2];
	size_t nh = 0;
	int ret = -1;
	n->n_bound = 0;
	for (size_t i = 0; i < n->n_ports; i++) {
		const net_port *p = &n->ports[i];
		for (unsigned k = 0; k < (p->host_port ? 1 : p->range); k++) {
			if (n->n_bound >= NET_MAX_PORTS) {
				err_set(err, CPOD_E_INVALID, "too many published ports");
				goto out;
			}
			net_port *b = &n->bound[n->n_bound++];
			*b = *p;
			if (p->host_port)
				continue;
			b->range = 1;
			b->ctr_port = p->ctr_port + k;
			b->host_port = 0;
			while (nh < ARRAY_LEN(held)) {
				unsigned port = netc_free_port(p->host_ip, p->proto, &held[nh]);
				if (!port)
					break;
				nh++;
				if (!netc_port_asked(n, port, p->proto)) {
					b->host_port = port;
					break;
				}
			}
			if (!b->host_port) {
				err_set(err, CPOD_E_SYS, "publish %u/%s: no free port on the host",
					b->ctr_port, p->proto);
				goto out;
			}
		}
	}
	ret = 0;
out:
	for (size_t i = 0; i < nh; i++)
		close(held[i]);
	return ret;
}

/* The network namespace of a container's init, opened. */
static int netc_open_netns(pid_t pid, const char *who, cpod_err *err)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/ns/net", (int)pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "the network namespace of %s", who);
	return fd;
}

/* The fixed address or MAC of a link held by another running container of
 * the network: refused naming it (the stack refuses too, by id). */
static int netc_fixed_free(cpod_engine *e, const ctr_record *r, const net_link *k,
			   cpod_err *err)
{
	ctr_record *all;
	size_t nc;
	if ((!k->ip[0] && !k->mac[0] && !k->ip6[0]) || ctr_list_all(e, &all, &nc, NULL) < 0)
		return 0;
	ctr_net *n = calloc(1, sizeof(*n));
	int ret = 0;
	for (size_t i = 0; n && i < nc && !ret; i++) {
		const ctr_record *o = &all[i];
		if (strcmp(o->id, r->id) == 0 || !o->net || !ctr_running(o))
			continue;
		net_ctr_read(o->net, n);
		for (size_t j = 0; j < n->n_links && !ret; j++) {
			const net_link *l = &n->links[j];
			if (strcmp(l->name, k->name) != 0 || !l->attached)
				continue;
			if (k->ip[0] && strcmp(l->r.ip, k->ip) == 0)
				ret = err_set(err, CPOD_E_EXISTS, "address %s is in use by container %s",
					      k->ip, o->name);
			else if (k->ip6[0] && strcmp(l->r.ip6, k->ip6) == 0)
				ret = err_set(err, CPOD_E_EXISTS, "address %s is in use by container %s",
					      k->ip6, o->name);
			else if (k->mac[0] && strcasecmp(l->r.mac, k->mac) == 0)
				ret = err_set(err, CPOD_E_EXISTS, "mac %s is in use by container %s",
					      k->mac, o->name);
		}
	}
	free(n);
	ctr_list_free(all, nc);
	return ret;
}

/* Attaches one link of a container to its (running) stack. */
static int netc_attach_link(cpod_engine *e, const ctr_record *r, ctr_net *n, size_t i, pid_t pid,
			    int nsfd, const char *fixed_ip, cpod_err *err)
{
	net_link *k = &n->links[i];
	netc_stack s;
	if (netc_stack_cfg(e, n, k->name, r->id, &s, err) < 0)
		return -1;
	if (!fixed_ip && netc_fixed_free(e, r, k, err) < 0)
		return err_prefix(err, "network %s", k->name);
	const char *aliases[NET_MAX_ALIASES];
	for (size_t j = 0; j < k->n_aliases; j++)
		aliases[j] = k->aliases[j];
	usernet_port ports[NET_MAX_PORTS];
	size_t np = 0;
	if (i == 0)
		for (size_t j = 0; j < n->n_bound; j++)
			ports[np++] = (usernet_port){ .host_ip = n->bound[j].host_ip,
						      .host_port = n->bound[j].host_port,
						      .ctr_port = n->bound[j].ctr_port,
						      .range = n->bound[j].range,
						      .proto = n->bound[j].proto };
	/* a link keeps its interface's name; a new one takes the lowest free
	 * ethN (positions shift when a link is disconnected) */
	char ifname[16];
	if (k->r.ifname[0]) {
		snprintf(ifname, sizeof(ifname), "%s", k->r.ifname);
	} else {
		for (unsigned x = 0;; x++) {
			bool used = false;
			snprintf(ifname, sizeof(ifname), "eth%u", x);
			for (size_t j = 0; j < n->n_links && !used; j++)
				used = j != i && strcmp(n->links[j].r.ifname, ifname) == 0;
			if (!used)
				break;
		}
	}
	usernet_attach_req req = {
		.container = r->id, .name = r->name, .aliases = aliases, .n_aliases = k->n_aliases,
		.ip = fixed_ip && *fixed_ip ? fixed_ip : k->ip[0] ? k->ip : NULL,
		.mac = k->mac[0] ? k->mac : NULL, .ip6 = k->ip6[0] ? k->ip6 : NULL,
		.ifname = ifname, .pid = pid,
		.ports = ports, .n_ports = np,
	};
	for (int attempt = 0;; attempt++) {
		if (netc_ensure(e, &s, k->name, r->id, err) < 0)
			return -1;
		cpod_err e2;
		if (usernet_attach(s.ctl, nsfd, &req, &k->r, &e2) == 0)
			break;
		/* it ended between our look and the attach (its grace time) */
		if (attempt == 0 && !usernet_alive(s.ctl))
			continue;
		if (err)
			*err = e2;
		return err_prefix(err, "network %s", k->name);
	}
	k->attached = true;
	return 0;
}

/* The pid of the stack answering on ctl, as a pidfd (-1 when unknown). */
static int netc_stack_pidfd(const char *ctl)
{
	char *s = usernet_inspect(ctl, NULL);
	json_doc *d = s ? json_parse(s, strlen(s), NULL, NULL) : NULL;
	int64_t pid = 0;
	int fd = -1;
	if (d && json_int64(json_get(json_root(d), "pid"), &pid) && pid > 1)
		fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	json_doc_free(d);
	free(s);
	return fd;
}

/* Out of a link's stack; -1 (err) when the stack runs and refused, or
 * could not be told: the link is forgotten all the same. */
static int netc_detach_link(cpod_engine *e, const ctr_record *r, net_link *k, cpod_err *err)
{
	char ctl[PATH_MAX];
	int ret = 0;
	if (!k->attached)
		return 0;
	net_ctl_path(e, k->name, r->id, ctl, sizeof(ctl));
	if (usernet_alive(ctl)) {
		/* a container's own network has nobody else: it ends now, not
		 * after its grace time (nothing of the container outlives it) */
		bool priv = strcmp(k->name, NET_PRIVATE) == 0;
		int pfd = priv ? netc_stack_pidfd(ctl) : -1;
		/* "not attached": the stack let it go already (what is asked) */
		cpod_err e2;
		if (usernet_detach(ctl, r->id, &e2) < 0 && !strstr(e2.msg, "not attached")) {
			if (err)
				*err = e2;
			ret = err_prefix(err, "network %s (%s)", k->name, r->name);
		}
		if (pfd >= 0) {
			if (syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0) == 0)
				proc_poll_in(pfd, 2000);
			close(pfd);
		}
	}
	k->attached = false;
	memset(&k->r, 0, sizeof(k->r));
	return ret;
}

CPOD_INTERNAL int net_ctr_attach(cpod_engine *e, const ctr_record *r, pid_t pid, char **text,
				 cpod_err *err)
{
	*text = NULL;
	ctr_net *n = calloc(1, sizeof(*n));
	if (!n)
		return err_nomem(err);
	net_ctr_read(r->net, n);
	int ret = -1;
	_cleanup_close_ int nsfd = -1;
	_cleanup_close_ int nlock = -1;
	if (n->mode == OPTIONS_NET_NONE || n->mode == OPTIONS_NET_HOST || !n->n_links) {
		ret = 0;
		goto out;
	}
	/* shared: the named networks are not removed meanwhile */
	bool named = false;
	for (size_t i = 0; i < n->n_links; i++)
		named |= strcmp(n->links[i].name, NET_PRIVATE) != 0;
	if (named && (nlock = netstore_lock(e, false, err)) < 0)
		goto out;
	nsfd = netc_open_netns(pid, r->name, err);
	if (nsfd < 0)
		goto out;
	for (size_t i = 0; i < n->n_links; i++)
		n->links[i].attached = false;
	if (netc_bind_ports(n, err) < 0)
		goto out;
	size_t done = 0;
	for (; done < n->n_links; done++)
		if (netc_attach_link(e, r, n, done, pid, nsfd, NULL, err) < 0)
			break;
	if (done == n->n_links && !(*text = net_ctr_text(n)))
		err_nomem(err);
	if (!*text) {
		for (size_t k = 0; k < done; k++)
			netc_detach_link(e, r, &n->links[k], NULL);
		goto out;
	}
	ret = 0;
out:
	free(n);
	return ret;
}

/* e NULL: the state is only forgotten (net_ctr_forget). */
static void netc_detach_all(cpod_engine *e, ctr_record *r)
{
	if (!r->net)
		return;
	ctr_net *n = calloc(1, sizeof(*n));
	if (!n)
		return;
	net_ctr_read(r->net, n);
	bool any = n->n_bound > 0;
	for (size_t i = 0; i < n->n_links; i++) {
		any |= n->links[i].attached;
		if (e) {
			netc_detach_link(e, r, &n->links[i], NULL);
		} else {
			n->links[i].attached = false;
			memset(&n->links[i].r, 0, sizeof(n->links[i].r));
		}
	}
	n->n_bound = 0;
	if (any) {
		char *t = net_ctr_text(n);
		if (t) {
			free(r->net);
			r->net = t;
		}
	}
	free(n);
}

CPOD_INTERNAL void net_ctr_detach(cpod_engine *e, ctr_record *r)
{
	netc_detach_all(e, r);
}

CPOD_INTERNAL void net_ctr_forget(ctr_record *r)
{
	netc_detach_all(NULL, r);
}

CPOD_INTERNAL void net_ctr_removed(cpod_engine *e, const ctr_record *r)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "usernet/%.16s", r->id);
	fs_rm_tree(e->runrootfd, rel, NULL);
}

/* A network's stack was started again: its running containers are
 * attached again (same address, same published ports). */
static void netc_reattach_others(cpod_engine *e, const char *link, const char *except)
{
	ctr_record *all;
	size_t nc;
	if (ctr_list_all(e, &all, &nc, NULL) < 0)
		return;
	ctr_net *n = calloc(1, sizeof(*n));
	for (size_t i = 0; n && i < nc; i++) {
		const ctr_record *r = &all[i];
		if (strcmp(r->id, except) == 0 || !r->net || !ctr_running(r))
			continue;
		net_ctr_read(r->net, n);
		for (size_t k = 0; k < n->n_links; k++) {
			if (strcmp(n->links[k].name, link) != 0 || !n->links[k].attached)
				continue;
			char ip[16];
			snprintf(ip, sizeof(ip), "%s", n->links[k].r.ip);
			cpod_err err;
			int nsfd = netc_open_netns(r->pid, r->name, &err);
			if (nsfd < 0 ||
			    netc_attach_link(e, r, n, k, r->pid, nsfd, ip, &err) < 0)
				log_warn("network %s: container %.12s not attached again", link, r->id);
			if (nsfd >= 0)
				close(nsfd);
		}
	}
	free(n);
	ctr_list_free(all, nc);
}

/* ---------------------------------------------------------------- connect */

CPOD_INTERNAL int net_ctr_connect(cpod_engine *e, ctr_record *r, const char *net,
				  const char *const *aliases, const char *ip, const char *ip6,
				  const char *mac, bool connect, bool force, cpod_err *err)
{
	ctr_net *n = calloc(1, sizeof(*n));
	if (!n)
		return err_nomem(err);
	int ret = -1;
	net_ctr_read(r->net, n);
	size_t at = n->n_links;
	for (size_t i = 0; i < n->n_links; i++)
		if (strcmp(n->links[i].name, net) == 0)
			at = i;
	if (n->mode == OPTIONS_NET_NONE || n->mode == OPTIONS_NET_HOST) {
		err_set(err, CPOD_E_INVALID, "container %s uses --network %s: it cannot %s networks",
			r->name, netc_mode_word(n->mode), connect ? "join" : "leave");
		goto out;
	}
	if (connect) {
		netstore_rec nr;
		if (netstore_load(e, net, &nr, err) < 0)
			goto out;
		if (at < n->n_links) {
			err_set(err, CPOD_E_EXISTS, "container %s is already connected to network %s",
				r->name, net);
			goto out;
		}
		if (n->n_links >= NET_MAX_LINKS) {
			err_set(err, CPOD_E_INVALID, "container %s: at most %d networks", r->name,
				NET_MAX_LINKS);
			goto out;
		}
		net_link *k = &n->links[n->n_links++];
		memset(k, 0, sizeof(*k));
		snprintf(k->name, sizeof(k->name), "%s", net);
		for (size_t i = 0; aliases && aliases[i]; i++) {
			if (k->n_aliases >= NET_MAX_ALIASES || !options_net_name_ok(aliases[i])) {
				err_set(err, CPOD_E_INVALID, "--alias %s: bad alias (or too many)",
					aliases[i]);
				goto out;
			}
			snprintf(k->aliases[k->n_aliases++], 64, "%s", aliases[i]);
		}
		if (ip && *ip && netc_check_ip(nr.subnet, nr.gateway, ip, net, "--ip", err) < 0)
			goto out;
		snprintf(k->ip, sizeof(k->ip), "%s", ip ? ip : "");
		if (ip6 && *ip6) {
			struct in6_addr a6;
			if (netc_check_ip6(nr.subnet6, ip6, net, err) < 0)
				goto out;
			inet_pton(AF_INET6, ip6, &a6);
			inet_ntop(AF_INET6, &a6, k->ip6, sizeof(k->ip6));
		}
		if (mac && *mac && options_mac("--mac-address", mac, k->mac, err) < 0)
			goto out;
		if (ctr_running(r)) {
			_cleanup_close_ int nsfd = netc_open_netns(r->pid, r->name, err);
			if (nsfd < 0) {
				/* it ended, its supervisor has not recorded it yet */
				if (err && err->errno_ == ENOENT)
					err_set(err, CPOD_E_STATE, "container %s is stopping, try again",
						r->name);
				goto out;
			}
			if (netc_attach_link(e, r, n, n->n_links - 1, r->pid, nsfd, NULL, err) < 0)
				goto out;
		}
		n->mode = n->mode == OPTIONS_NET_USERNET && n->n_links == 1 ? OPTIONS_NET_NAMED
									      : n->mode;
	} else {
		if (at == n->n_links) {
			err_set(err, CPOD_E_NOTFOUND, "container %s is not connected to network %s",
				r->name, net);
			goto out;
		}
		/* without force the stack must have let it go (else it would
		 * keep answering for it until the container ends) */
		if (netc_detach_link(e, r, &n->links[at], force ? NULL : err) < 0 && !force) {
			goto out;
		}
		memmove(&n->links[at], &n->links[at + 1],
			(n->n_links - at - 1) * sizeof(n->links[0]));
		n->n_links--;
	}
	char *t = net_ctr_text(n);
	if (!t) {
		err_nomem(err);
		goto out;
	}
	free(r->net);
	r->net = t;
	ret = 0;
out:
	free(n);
	return ret;
}

/* ---------------------------------------------------------------- showing */

/* The ports to show: those bound while it runs, else those asked. */
static void netc_show_ports(const ctr_net *n, bool running, const net_port **p, size_t *np)
{
	if (running && n->n_bound) {
		*p = n->bound;
		*np = n->n_bound;
	} else {
		*p = n->ports;
		*np = n->n_ports;
	}
}

static void netc_write_portmap(json_w *w, const ctr_net *n, bool running)
{
	const net_port *p;
	size_t np;
	netc_show_ports(n, running, &p, &np);
	jw_obj_begin(w);
	for (size_t i = 0; i < np; i++) {
		for (unsigned k = 0; k < p[i].range; k++) {
			char key[32], hp[16];
			snprintf(key, sizeof(key), "%u/%s", p[i].ctr_port + k, p[i].proto);
			jw_key(w, key);
			jw_arr_begin(w);
			jw_obj_begin(w);
			jw_kstr(w, "HostIp", p[i].host_ip[0] ? p[i].host_ip : "0.0.0.0");
			if (p[i].host_port)
				snprintf(hp, sizeof(hp), "%u", p[i].host_port + k);
			else
				hp[0] = '\0';
			jw_kstr(w, "HostPort", hp);
			jw_obj_end(w);
			jw_arr_end(w);
		}
	}
	jw_obj_end(w);
}

static void netc_write_endpoint(json_w *w, const net_link *k, bool running, bool top)
{
	const usernet_attach_reply *r = &k->r;
	bool on = running && k->attached;
	jw_kstr(w, "EndpointID", "");
	jw_kstr(w, "Gateway", on ? r->gateway : "");
	jw_kstr(w, "IPAddress", on ? r->ip : "");
	jw_kint(w, "IPPrefixLen", on ? r->prefix : 0);
	jw_kstr(w, "IPv6Gateway", on ? r->gateway6 : "");
	jw_kstr(w, "GlobalIPv6Address", on ? r->ip6 : "");
	jw_kint(w, "GlobalIPv6PrefixLen", on ? r->prefix6 : 0);
	jw_kstr(w, "MacAddress", on ? r->mac : "");
	if (top)
		return;
	jw_kstr(w, "NetworkID", k->name);
	jw_kstr(w, "InterfaceName", on ? r->ifname : "");
	jw_key(w, "DriverOpts");
	jw_null(w);
	jw_key(w, "IPAMConfig");
	jw_null(w);
	jw_key(w, "Links");
	jw_null(w);
	jw_key(w, "Aliases");
	jw_arr_begin(w);
	for (size_t j = 0; j < k->n_aliases; j++)
		jw_str(w, k->aliases[j]);
	jw_arr_end(w);
}

CPOD_INTERNAL void net_write_settings(json_w *w, const ctr_record *r, bool running)
{
	ctr_net *n = calloc(1, sizeof(*n));
	if (!n) {
		jw_null(w);
		return;
	}
	net_ctr_read(r->net, n);
	jw_obj_begin(w);
	static const net_link none;
	netc_write_endpoint(w, n->n_links ? &n->links[0] : &none, running, true);
	jw_kstr(w, "Bridge", "");
	jw_kstr(w, "SandboxID", "");
	jw_kbool(w, "HairpinMode", false);
	jw_kstr(w, "LinkLocalIPv6Address", "");
	jw_kint(w, "LinkLocalIPv6PrefixLen", 0);
	jw_key(w, "Ports");
	netc_write_portmap(w, n, running);
	char sk[64] = "";
	if (running && r->pid > 0 && n->mode != OPTIONS_NET_HOST)
		snprintf(sk, sizeof(sk), "/proc/%d/ns/net", (int)r->pid);
	jw_kstr(w, "SandboxKey", sk);
	jw_key(w, "Networks");
	jw_obj_begin(w);
	for (size_t i = 0; i < n->n_links; i++) {
		jw_key(w, n->links[i].name);
		jw_obj_begin(w);
		netc_write_endpoint(w, &n->links[i], running, false);
		jw_obj_end(w);
	}
	jw_obj_end(w);
	jw_obj_end(w);
	free(n);
}

CPOD_INTERNAL void net_write_ps(json_w *w, const ctr_record *r, bool running)
{
	ctr_net *n = calloc(1, sizeof(*n));
	if (n)
		net_ctr_read(r->net, n);
	jw_key(w, "Ports");
	const net_port *p = NULL;
	size_t np = 0;
	if (n)
		netc_show_ports(n, running, &p, &np);
	if (!np) {
		jw_null(w);
	} else {
		jw_arr_begin(w);
		for (size_t i = 0; i < np; i++) {
			jw_obj_begin(w);
			jw_kstr(w, "host_ip", p[i].host_ip);
			jw_kint(w, "container_port", p[i].ctr_port);
			jw_kint(w, "host_port", p[i].host_port);
			jw_kint(w, "range", p[i].range);
			jw_kstr(w, "protocol", p[i].proto);
			jw_obj_end(w);
		}
		jw_arr_end(w);
	}
	jw_key(w, "Networks");
	jw_arr_begin(w);
	for (size_t i = 0; n && i < n->n_links; i++)
		jw_str(w, n->links[i].name);
	jw_arr_end(w);
	free(n);
}
