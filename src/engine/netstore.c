/*
 * netstore.c — named networks (see netstore.h) and the cpod_network_*
 * functions of cpod.h: their records, podman-shaped JSON (with the
 * attached containers and the stack's counters), removal and prune, and
 * connect/disconnect of containers.
 *
 * Lock order (every path takes them in this order, none in another):
 *   1. ROOT/containers.lock (the container names; held by container create
 *      for its whole length, and by network rm/prune so that no container
 *      joins a network while it is removed),
 *   2. ROOT/networks.lock: shared by the users of a network (container
 *      create, start, network connect/disconnect), exclusive for network
 *      create, rm and prune,
 *   3. a container's lock (ctr_lock),
 *   4. a network's run-time lock (RUNROOT/networks/NAME/lock, netc_ensure).
 * Detaching (a container's end, rm) takes none of them: it is best effort,
 * and a removal holding 2 waits for the supervisors that detach.
 */
#include "netstore.h"
#include "network.h"
#include "../base/fs.h"
#include "../base/proc.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <sys/file.h>

CPOD_INTERNAL int netstore_lock(cpod_engine *e, bool exclusive, cpod_err *err)
{
	int fd = openat(e->rootfd, "networks.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || RETRY_EINTR(flock(fd, exclusive ? LOCK_EX : LOCK_SH)) < 0) {
		err_sys(err, "lock the networks");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* A labels object as it is, or {} (none, or not readable). */
static void netstore_labels_write(json_w *w, const json_value *labels)
{
	if (labels) {
		jw_value(w, labels);
	} else {
		jw_obj_begin(w);
		jw_obj_end(w);
	}
}

/* The labels of a record (JSON text) under the key "labels". */
static void netstore_labels_text(json_w *w, const char *text)
{
	json_doc *ld = json_parse(text, strlen(text), NULL, NULL);
	jw_key(w, "labels");
	netstore_labels_write(w, ld ? json_root(ld) : NULL);
	json_doc_free(ld);
}

CPOD_INTERNAL int netstore_load(cpod_engine *e, const char *name, netstore_rec *r, cpod_err *err)
{
	const json_limits lim = { .max_size = 65536, .max_depth = 8 };
	char rel[128];
	memset(r, 0, sizeof(*r));
	if (!options_net_name_ok(name))
		return err_set(err, CPOD_E_NOTFOUND, "unable to find network with name or ID %s: "
			       "network not found", name);
	snprintf(rel, sizeof(rel), "networks/%s.json", name);
	cpod_err e2;
	json_doc *d = json_parse_file(e->rootfd, rel, &lim, &e2);
	if (!d) {
		if (e2.errno_ == ENOENT)
			return err_set(err, CPOD_E_NOTFOUND, "unable to find network with name or ID "
				       "%s: network not found", name);
		if (err)
			*err = e2;
		return err_prefix(err, "network %s", name);
	}
	const json_value *o = json_root(d);
	const char *s;
	snprintf(r->name, sizeof(r->name), "%s", name);
#define NS_COPY(f, k) do { s = json_string(json_get(o, k)); \
		snprintf(r->f, sizeof(r->f), "%s", s ? s : ""); } while (0)
	NS_COPY(id, "id");
	NS_COPY(created, "created");
	NS_COPY(subnet, "subnet");
	NS_COPY(subnet6, "subnet6");
	NS_COPY(gateway, "gateway");
#undef NS_COPY
	s = json_string(json_get(o, "policy"));
	r->policy = s ? usernet_policy_parse(s) : USERNET_POLICY_NONE;
	if (r->policy < 0)
		r->policy = USERNET_POLICY_NONE;
	bool b = false;
	json_opt_bool(o, "internal", &b, "", NULL);
	r->internal = b;
	int64_t v = 0;
	json_opt_i64(o, "mtu", &v, "", NULL);
	r->mtu = v > 0 && v <= 65520 ? (unsigned)v : 0;
	buf lb = BUF_INIT;
	json_w w;
	jw_init(&w, &lb, NULL);
	netstore_labels_write(&w, json_get(o, "labels"));
	if (jw_finish(&w, NULL) == 0 && lb.len < sizeof(r->labels))
		memcpy(r->labels, lb.data, lb.len + 1);
	else
		strcpy(r->labels, "{}");
	buf_free(&lb);
	json_doc_free(d);
	return 0;
}

static int netstore_save(cpod_engine *e, const netstore_rec *r, cpod_err *err)
{
	_cleanup_buf_ buf b = BUF_INIT;
	json_w w;
	char rel[128];
	jw_init(&w, &b, NULL);
	jw_obj_begin(&w);
	jw_kstr(&w, "name", r->name);
	jw_kstr(&w, "id", r->id);
	jw_kstr(&w, "created", r->created);
	jw_kstr(&w, "subnet", r->subnet);
	jw_kstr(&w, "subnet6", r->subnet6);
	if (r->gateway[0])
		jw_kstr(&w, "gateway", r->gateway);
	jw_kstr(&w, "policy", usernet_policy_name(r->policy));
	jw_kbool(&w, "internal", r->internal);
	jw_kint(&w, "mtu", r->mtu);
	netstore_labels_text(&w, r->labels);
	jw_obj_end(&w);
	if (jw_finish(&w, err) < 0)
		return -1;
	mkdirat(e->rootfd, "networks", 0700);
	snprintf(rel, sizeof(rel), "networks/%s.json", r->name);
	return fs_write_atomic(e->rootfd, rel, b.data, b.len, 0600, 0, err);
}

static void netstore_names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Every network's name (sorted); all of them or an error (a name left
 * out could let create overwrite that network). */
static int netstore_names(cpod_engine *e, char ***out, size_t *n, cpod_err *err)
{
	*out = NULL;
	*n = 0;
	int fd = openat(e->rootfd, "networks", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : err_sys(err, "list the networks");
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return err_sys(err, "list the networks");
	}
	struct dirent *de;
	size_t cap = 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(l - 5), de->d_name);
		if (!options_net_name_ok(name))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			char **g = realloc(*out, cap * sizeof(char *));
			if (!g)
				goto nomem;
			*out = g;
		}
		(*out)[*n] = strdup(name);
		if (!(*out)[*n])
			goto nomem;
		(*n)++;
	}
	closedir(d);
	for (size_t i = 1; i < *n; i++)
		for (size_t j = i; j > 0 && strcmp((*out)[j - 1], (*out)[j]) > 0; j--) {
			char *t = (*out)[j];
			(*out)[j] = (*out)[j - 1];
			(*out)[j - 1] = t;
		}
	return 0;
nomem:
	closedir(d);
	netstore_names_free(*out, *n);
	*out = NULL;
	*n = 0;
	return err_nomem(err);
}

/* "a.b.c.d/len" checked and with its host bits cleared. */
static int netstore_subnet(const char *s, char *out, size_t n, uint32_t *base, unsigned *plen,
			   cpod_err *err)
{
	char b[64];
	snprintf(b, sizeof(b), "%s", s);
	char *slash = strchr(b, '/'), *end;
	struct in_addr a;
	if (!slash)
		return err_set(err, CPOD_E_INVALID, "--subnet %s: CIDR (a.b.c.d/len) expected", s);
	*slash = '\0';
	unsigned long l = strtoul(slash + 1, &end, 10);
	if (inet_pton(AF_INET, b, &a) != 1 || *end || !slash[1])
		return err_set(err, CPOD_E_INVALID, "--subnet %s: CIDR (a.b.c.d/len) expected"
			       " (IPv4)", s);
	if (l < 8 || l > 25)
		return err_set(err, CPOD_E_INVALID,
			       "--subnet %s: a prefix length of 8 to 25 (the addresses .2, .3 and "
			       "from .100 are used)", s);
	uint32_t mask = l ? 0xffffffffu << (32 - l) : 0;
	*base = ntohl(a.s_addr) & mask;
	*plen = (unsigned)l;
	a.s_addr = htonl(*base);
	inet_ntop(AF_INET, &a, b, sizeof(b));
	if (snprintf(out, n, "%s/%lu", b, l) >= (int)n)
		return err_set(err, CPOD_E_INVALID, "--subnet %s: too long", s);
	return 0;
}

/* --gateway: where the containers route (the host's loopback, as .2 is by
 * default): an address of --subnet other than its network, broadcast and
 * DNS (.3) addresses; the stack never gives it to a container. */
static int netstore_gateway(const char *gw, const char *subnet, uint32_t base, unsigned plen,
			    char out[16], cpod_err *err)
{
	struct in_addr a;
	if (!subnet)
		return err_set(err, CPOD_E_INVALID, "--gateway %s: needs --subnet", gw);
	if (inet_pton(AF_INET, gw, &a) != 1)
		return err_set(err, CPOD_E_INVALID, "--gateway %s: not an IPv4 address", gw);
	uint32_t mask = 0xffffffffu << (32 - plen), v = ntohl(a.s_addr), h = v & ~mask;
	if ((v & mask) != base)
		return err_set(err, CPOD_E_INVALID, "--gateway %s: not in the subnet %s", gw, subnet);
	if (h == 0 || h == ~mask)
		return err_set(err, CPOD_E_INVALID, "--gateway %s: the network or broadcast address "
			       "of %s", gw, subnet);
	if (h == 3)
		return err_set(err, CPOD_E_INVALID, "--gateway %s: the subnet's .3 is the network's "
			       "DNS server", gw);
	inet_ntop(AF_INET, &a, out, 16);
	return 0;
}

static bool netstore_overlap(uint32_t a, unsigned al, uint32_t b, unsigned bl)
{
	unsigned l = al < bl ? al : bl;
	uint32_t mask = l ? 0xffffffffu << (32 - l) : 0;
	return (a & mask) == (b & mask);
}

char *cpod_network_create(cpod_engine *e, const char *name, const cpod_network_opts *o,
			  cpod_err *err)
{
	static const cpod_network_opts none;
	netstore_rec r;
	if (!o)
		o = &none;
	memset(&r, 0, sizeof(r));
	if (!name || !options_net_name_ok(name))
		return err_set(err, CPOD_E_INVALID, "network name %s: must match "
			       "[a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 48 characters)",
			       name ? name : "(none)"), NULL;
	if (options_net_name_reserved(name))
		return err_set(err, CPOD_E_INVALID, "network name %s is reserved", name), NULL;
	r.policy = USERNET_POLICY_NONE;
	if (o->policy && *o->policy) {
		r.policy = usernet_policy_parse(o->policy);
		if (r.policy < 0)
			return err_set(err, CPOD_E_INVALID, "--policy %s: public, private, local or "
				       "isolated", o->policy), NULL;
	}
	if (o->internal) {
		if (r.policy != USERNET_POLICY_NONE && r.policy != USERNET_POLICY_ISOLATED)
			return err_set(err, CPOD_E_INVALID, "--internal conflicts with --policy %s",
				       o->policy), NULL;
		r.policy = USERNET_POLICY_ISOLATED;
	}
	r.internal = r.policy == USERNET_POLICY_ISOLATED;
	if (o->mtu && *o->mtu) {
		char *end;
		unsigned long m = strtoul(o->mtu, &end, 10);
		if (*end || m < 68 || m > 65520)
			return err_set(err, CPOD_E_INVALID, "--opt mtu=%s: 68 to 65520", o->mtu), NULL;
		r.mtu = (unsigned)m;
	}
	/* labels */
	{
		buf lb = BUF_INIT;
		json_w w;
		jw_init(&w, &lb, NULL);
		jw_obj_begin(&w);
		for (size_t i = 0; o->labels && o->labels[i]; i++) {
			const char *l = o->labels[i], *eq = strchr(l, '=');
			char k[256];
			if (eq == l || !*l) {
				buf_free(&lb);
				return err_set(err, CPOD_E_INVALID, "--label %s: KEY=VALUE", l), NULL;
			}
			snprintf(k, sizeof(k), "%.*s", eq ? (int)(eq - l) : (int)strlen(l), l);
			jw_kstr(&w, k, eq ? eq + 1 : "");
		}
		jw_obj_end(&w);
		if (jw_finish(&w, err) < 0) {
			buf_free(&lb);
			return NULL;
		}
		if (lb.len >= sizeof(r.labels)) {
			buf_free(&lb);
			return err_set(err, CPOD_E_INVALID, "--label: too many labels"), NULL;
		}
		memcpy(r.labels, lb.data, lb.len + 1);
		buf_free(&lb);
	}
	uint32_t base = 0;
	unsigned plen = 0;
	if (o->subnet && netstore_subnet(o->subnet, r.subnet, sizeof(r.subnet), &base, &plen,
					 err) < 0)
		return NULL;
	if (o->gateway && *o->gateway &&
	    netstore_gateway(o->gateway, o->subnet, base, plen, r.gateway, err) < 0)
		return NULL;

	int lock = netstore_lock(e, true, err);
	if (lock < 0)
		return NULL;
	char **names = NULL;
	size_t nn = 0;
	char *ret = NULL;
	uint32_t *used = NULL;
	unsigned *usedl = NULL;
	size_t nu = 0;
	if (netstore_names(e, &names, &nn, err) < 0)
		goto out;
	/* subnets in use (and the containers' own networks' first) */
	used = calloc(nn + 1, sizeof(*used));
	usedl = calloc(nn + 1, sizeof(*usedl));
	if (!used || !usedl) {
		err_nomem(err);
		goto out;
	}
	{
		char tmp[64];
		netstore_subnet(USERNET_DEFAULT_SUBNET, tmp, sizeof(tmp), &used[0], &usedl[0], NULL);
		nu = 1;
	}
	for (size_t i = 0; i < nn; i++) {
		netstore_rec x;
		if (strcmp(names[i], name) == 0) {
			err_set(err, CPOD_E_EXISTS, "network name %s already used: network already "
				"exists", name);
			goto out;
		}
		uint32_t xb;
		unsigned xl;
		char tmp[64];
		if (netstore_load(e, names[i], &x, NULL) == 0 &&
		    netstore_subnet(x.subnet, tmp, sizeof(tmp), &xb, &xl, NULL) == 0) {
			used[nu] = xb;
			usedl[nu++] = xl;
		}
	}
	if (r.subnet[0]) {
		for (size_t i = 0; i < nu; i++)
			if (netstore_overlap(base, plen, used[i], usedl[i])) {
				err_set(err, CPOD_E_INVALID, "--subnet %s: overlaps the subnet of "
					"another network%s", r.subnet,
					i == 0 ? " (" USERNET_DEFAULT_SUBNET ", the containers' own)"
					       : "");
				goto out;
			}
	} else {
		unsigned k;
		for (k = 0; k < 256; k++) {
			uint32_t cand = 0x0a590000u | (k << 8); /* 10.89.k.0/24 */
			bool taken = false;
			for (size_t i = 0; i < nu && !taken; i++)
				taken = netstore_overlap(cand, 24, used[i], usedl[i]);
			if (!taken)
				break;
		}
		if (k == 256) {
			err_set(err, CPOD_E_STATE, "no free subnet in 10.89.0.0/16: give --subnet");
			goto out;
		}
		snprintf(r.subnet, sizeof(r.subnet), "10.89.%u.0/24", k);
		base = 0x0a590000u | (k << 8);
	}
	/* an IPv6 /64 of its own, so that a container on two networks has
	 * distinct routes */
	snprintf(r.subnet6, sizeof(r.subnet6), "fd00:89:%x:%x::/64", base >> 16, base & 0xffff);
	snprintf(r.name, sizeof(r.name), "%s", name);
	engine_random_hex(r.id, 64);
	engine_now(r.created, sizeof(r.created));
	if (netstore_save(e, &r, err) < 0)
		goto out;
	ret = strdup(name);
	if (!ret)
		err_nomem(err);
out:
	free(used);
	free(usedl);
	netstore_names_free(names, nn);
	close(lock);
	return ret;
}

/* The containers that name the network in their record. */
typedef struct netstore_users {
	ctr_record *all;
	size_t n;
	bool *uses;
	size_t count;
} netstore_users;

static void netstore_users_free(netstore_users *u);

static int netstore_users_get(cpod_engine *e, const char *name, netstore_users *u, cpod_err *err)
{
	memset(u, 0, sizeof(*u));
	if (ctr_list_all(e, &u->all, &u->n, err) < 0)
		return -1;
	u->uses = calloc(u->n + 1, sizeof(bool));
	ctr_net *cn = calloc(1, sizeof(*cn));
	if (!u->uses || !cn) {
		free(cn);
		netstore_users_free(u);
		return err_nomem(err);
	}
	for (size_t i = 0; i < u->n; i++) {
		net_ctr_read(u->all[i].net, cn);
		for (size_t k = 0; k < cn->n_links; k++)
			if (strcmp(cn->links[k].name, name) == 0) {
				u->uses[i] = true;
				u->count++;
			}
	}
	free(cn);
	return 0;
}

static void netstore_users_free(netstore_users *u)
{
	ctr_list_free(u->all, u->n);
	free(u->uses);
	memset(u, 0, sizeof(*u));
}

/* podman's object for a network; full: its containers and the stack's state. */
static void netstore_write(json_w *w, cpod_engine *e, const netstore_rec *r, bool full)
{
	char gw[16];
	if (r->gateway[0])
		snprintf(gw, sizeof(gw), "%s", r->gateway);
	else
		net_subnet_addr(r->subnet, 2, gw);
	jw_obj_begin(w);
	jw_kstr(w, "name", r->name);
	jw_kstr(w, "id", r->id);
	jw_kstr(w, "driver", "usernet");
	jw_kstr(w, "network_interface", "");
	jw_kstr(w, "created", r->created);
	jw_key(w, "subnets");
	jw_arr_begin(w);
	jw_obj_begin(w);
	jw_kstr(w, "subnet", r->subnet);
	jw_kstr(w, "gateway", gw);
	jw_obj_end(w);
	if (r->subnet6[0]) {
		char gw6[64];
		snprintf(gw6, sizeof(gw6), "%.*s2", (int)(strlen(r->subnet6) - 3), r->subnet6);
		jw_obj_begin(w);
		jw_kstr(w, "subnet", r->subnet6);
		jw_kstr(w, "gateway", gw6);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_kbool(w, "ipv6_enabled", r->subnet6[0] != '\0');
	jw_kbool(w, "internal", r->internal);
	jw_kbool(w, "dns_enabled", true);
	jw_kstr(w, "policy", usernet_policy_name(r->policy));
	if (r->mtu) {
		jw_key(w, "options");
		jw_obj_begin(w);
		char m[16];
		snprintf(m, sizeof(m), "%u", r->mtu);
		jw_kstr(w, "mtu", m);
		jw_obj_end(w);
	} else {
		jw_key(w, "options");
		jw_obj_begin(w);
		jw_obj_end(w);
	}
	netstore_labels_text(w, r->labels);
	jw_key(w, "ipam_options");
	jw_obj_begin(w);
	jw_kstr(w, "driver", "host-local");
	jw_obj_end(w);
	if (!full) {
		jw_obj_end(w);
		return;
	}
	netstore_users u;
	ctr_net *cn = calloc(1, sizeof(*cn));
	jw_key(w, "containers");
	jw_obj_begin(w);
	if (cn && netstore_users_get(e, r->name, &u, NULL) == 0) {
		for (size_t i = 0; i < u.n; i++) {
			if (!u.uses[i] || !ctr_running(&u.all[i]))
				continue;
			net_ctr_read(u.all[i].net, cn);
			for (size_t k = 0; k < cn->n_links; k++) {
				const net_link *l = &cn->links[k];
				if (strcmp(l->name, r->name) != 0 || !l->attached)
					continue;
				char ipnet[64];
				jw_key(w, u.all[i].id);
				jw_obj_begin(w);
				jw_kstr(w, "name", u.all[i].name);
				jw_key(w, "interfaces");
				jw_obj_begin(w);
				jw_key(w, l->r.ifname[0] ? l->r.ifname : "eth0");
				jw_obj_begin(w);
				jw_key(w, "subnets");
				jw_arr_begin(w);
				jw_obj_begin(w);
				snprintf(ipnet, sizeof(ipnet), "%s/%u", l->r.ip, l->r.prefix);
				jw_kstr(w, "ipnet", ipnet);
				jw_kstr(w, "gateway", l->r.gateway);
				jw_obj_end(w);
				jw_arr_end(w);
				jw_kstr(w, "mac_address", l->r.mac);
				jw_obj_end(w);
				jw_obj_end(w);
				jw_key(w, "aliases");
				jw_arr_begin(w);
				for (size_t j = 0; j < l->n_aliases; j++)
					jw_str(w, l->aliases[j]);
				jw_arr_end(w);
				jw_obj_end(w);
			}
		}
		netstore_users_free(&u);
	}
	jw_obj_end(w);
	free(cn);
	/* the stack process, when it runs: its counters */
	char ctl[PATH_MAX];
	bool ok = net_ctl_path(e, r->name, NULL, ctl, sizeof(ctl)) == 0;
	char *st = ok && usernet_alive(ctl) ? usernet_inspect(ctl, NULL) : NULL;
	json_doc *sd = st ? json_parse(st, strlen(st), NULL, NULL) : NULL;
	jw_key(w, "stack");
	jw_obj_begin(w);
	jw_kbool(w, "running", sd != NULL);
	if (sd) {
		int64_t pid = 0;
		if (json_int64(json_get(json_root(sd), "pid"), &pid))
			jw_kint(w, "pid", pid);
		if (json_get(json_root(sd), "counters")) {
			jw_key(w, "counters");
			jw_value(w, json_get(json_root(sd), "counters"));
		}
	}
	jw_obj_end(w);
	json_doc_free(sd);
	free(st);
	jw_obj_end(w);
}

static char *netstore_json(cpod_engine *e, const char *only, bool full, cpod_err *err)
{
	char **names;
	size_t nn;
	buf b = BUF_INIT;
	json_w w;
	if (netstore_names(e, &names, &nn, err) < 0)
		return NULL;
	jw_init(&w, &b, NULL);
	if (!only)
		jw_arr_begin(&w);
	bool found = false;
	for (size_t i = 0; i < nn; i++) {
		netstore_rec r;
		if (only && strcmp(only, names[i]) != 0)
			continue;
		if (netstore_load(e, names[i], &r, NULL) < 0)
			continue;
		found = true;
		netstore_write(&w, e, &r, full);
	}
	if (!only)
		jw_arr_end(&w);
	netstore_names_free(names, nn);
	if (only && !found) {
		buf_free(&b);
		netstore_rec r;
		netstore_load(e, only, &r, err);  /* its error: not found (or why) */
		return NULL;
	}
	if (jw_finish(&w, err) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b, err);
}

char *cpod_network_list(cpod_engine *e, cpod_err *err)
{
	return netstore_json(e, NULL, true, err);
}

char *cpod_network_inspect(cpod_engine *e, const char *name, cpod_err *err)
{
	return netstore_json(e, name, true, err);
}

/* rm and prune: the containers lock (no container is being created
 * meanwhile, that might name the network after its users were counted),
 * then the networks lock, exclusive.  *names gets the first. */
static int netstore_lock_rm(cpod_engine *e, int *names, cpod_err *err)
{
	*names = openat(e->rootfd, "containers.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*names < 0 || RETRY_EINTR(flock(*names, LOCK_EX)) < 0) {
		err_sys(err, "lock the containers");
		if (*names >= 0)
			close(*names);
		*names = -1;
		return -1;
	}
	int lock = netstore_lock(e, true, err);
	if (lock < 0) {
		close(*names);
		*names = -1;
	}
	return lock;
}

/* Removes a network; the caller holds the locks (netstore_lock_rm).  With
 * force its containers go as with rm -f: stopped first, then removed. */
static int netstore_remove(cpod_engine *e, const char *name, bool force, cpod_err *err)
{
	netstore_rec r;
	netstore_users u;
	char rel[128];
	if (netstore_load(e, name, &r, err) < 0)
		return -1;
	if (netstore_users_get(e, name, &u, err) < 0)
		return -1;
	int ret = -1;
	if (u.count && !force) {
		for (size_t i = 0; i < u.n; i++)
			if (u.uses[i]) {
				err_set(err, CPOD_E_STATE, "network %s is being used by container %s "
					"(and %zu more): remove them first, or rm -f", name,
					u.all[i].name, u.count - 1);
				break;
			}
		goto out;
	}
	for (size_t i = 0; i < u.n; i++) {
		cpod_err e2;
		if (!u.uses[i] || cpod_container_remove_v(e, u.all[i].id, 1, 1, &e2) == 0 ||
		    e2.code == CPOD_E_NOTFOUND)
			continue;
		if (err)
			*err = e2;
		err_prefix(err, "network %s", name);
		goto out;
	}
	snprintf(rel, sizeof(rel), "networks/%s.json", name);
	if (unlinkat(e->rootfd, rel, 0) < 0 && errno != ENOENT) {
		err_sys(err, "remove network %s", name);
		goto out;
	}
	/* the run-time directory (a stack still in its grace time goes by itself) */
	snprintf(rel, sizeof(rel), "networks/%s", name);
	fs_rm_tree(e->runrootfd, rel, NULL);
	ret = 0;
out:
	netstore_users_free(&u);
	return ret;
}

int cpod_network_remove(cpod_engine *e, const char *name, int force, cpod_err *err)
{
	int names;
	int lock = netstore_lock_rm(e, &names, err);
	if (lock < 0)
		return -1;
	int r = netstore_remove(e, name, force, err);
	close(lock);
	close(names);
	return r;
}

char *cpod_network_prune(cpod_engine *e, cpod_err *err)
{
	char **names;
	size_t nn;
	buf out = BUF_INIT;
	int ctrs;
	int lock = netstore_lock_rm(e, &ctrs, err);
	if (lock < 0)
		return NULL;
	if (netstore_names(e, &names, &nn, err) < 0) {
		close(lock);
		close(ctrs);
		return NULL;
	}
	for (size_t i = 0; i < nn; i++) {
		netstore_users u;
		if (netstore_users_get(e, names[i], &u, NULL) < 0)
			continue;
		bool unused = u.count == 0;
		netstore_users_free(&u);
		if (unused && netstore_remove(e, names[i], false, NULL) == 0)
			buf_printf(&out, NULL, "%s\n", names[i]);
	}
	netstore_names_free(names, nn);
	close(lock);
	close(ctrs);
	if (out.failed) {
		buf_free(&out);
		return err_nomem(err), NULL;
	}
	if (!out.data) {
		char *empty = strdup("");
		if (!empty)
			err_nomem(err);
		return empty;
	}
	return out.data;
}

/* connect and disconnect: under the networks lock (shared: a network is
 * not removed meanwhile), then the container's. */
static int netstore_connect(cpod_engine *e, const char *net, const char *ctr,
			    const cpod_network_connect_opts *o, bool connect, bool force,
			    cpod_err *err)
{
	ctr_record r;
	int nlock = netstore_lock(e, false, err);
	if (nlock < 0)
		return -1;
	if (ctr_find(e, ctr, &r, err) < 0) {
		close(nlock);
		return -1;
	}
	int lock = ctr_lock(e, r.id, err);
	int ret = -1;
	if (lock < 0 || ctr_reload(e, &r, err) < 0)
		goto out;
	/* its supervisor writes the networks of this start into the record
	 * when the container runs: a change made before that would be lost */
	if (!ctr_running(&r) && r.sup_pid > 0 && proc_is(r.sup_pid, r.sup_start)) {
		err_set(err, CPOD_E_STATE, "container %s is starting, try again", r.name);
		goto out;
	}
	if (net_ctr_connect(e, &r, net, o ? o->aliases : NULL, o ? o->ip : NULL, o ? o->ip6 : NULL,
			    o ? o->mac_address : NULL, connect, force, err) < 0)
		goto out;
	if (ctr_save(e, &r, err) < 0) {
		/* not recorded: not attached either */
		if (connect && ctr_running(&r))
			net_ctr_connect(e, &r, net, NULL, NULL, NULL, NULL, false, true, NULL);
		goto out;
	}
	ret = 0;
out:
	if (lock >= 0)
		close(lock);
	close(nlock);
	ctr_record_free(&r);
	return ret;
}

int cpod_network_connect(cpod_engine *e, const char *net, const char *ctr,
			 const char *const *aliases, cpod_err *err)
{
	cpod_network_connect_opts o = { .aliases = aliases };
	return netstore_connect(e, net, ctr, &o, true, false, err);
}

int cpod_network_connect_with(cpod_engine *e, const char *net, const char *ctr,
			      const cpod_network_connect_opts *o, cpod_err *err)
{
	return netstore_connect(e, net, ctr, o, true, false, err);
}

/* force: out of the record even when the network's stack cannot be told
 * (it notices the container's end by itself). */
int cpod_network_disconnect(cpod_engine *e, const char *net, const char *ctr, int force,
			    cpod_err *err)
{
	return netstore_connect(e, net, ctr, NULL, false, force, err);
}
