/*
 * etcfiles.c — the /etc/hosts, /etc/hostname and /etc/resolv.conf a
 * container gets, written into its run-time directory and bind-mounted.
 * The host's files are read from CPOD_HOSTS and CPOD_RESOLV_CONF when set,
 * so tests never depend on (or touch) the host's.
 *
 * hosts: the --add-host entries first (as podman), then localhost and the
 * container's own name (and, with the host's network, the host's entries).
 * resolv.conf: the host's file as it is, unless --dns, --dns-search or
 * --dns-option are given: then nameservers, search and options lines are
 * rebuilt from those, the rest taken from the host's ("--dns-search ."
 * drops the search line).  On a user-mode network the nameserver is the
 * stack's DNS forwarder (unless --dns), which forwards to the servers of
 * the host's file and answers the network's container names; the gateway
 * (the host) is host.containers.internal and --add-host's host-gateway.
 * (--network none and host refuse host-gateway: options.c.)  A default
 * network that fell back to none (no /dev/net/tun) has no gateway: as
 * podman omits host.containers.internal then, a host-gateway entry is left
 * out too (with a warning), rather than naming an address that is not the
 * host's.
 */
#include "etcfiles.h"
#include "options.h"
#include "../base/fs.h"

/* A line's first word is key ("nameserver", "search"...). */
static bool etc_line_is(const char *line, const char *key)
{
	size_t n = strlen(key);
	while (*line == ' ' || *line == '\t')
		line++;
	return strncmp(line, key, n) == 0 && (line[n] == ' ' || line[n] == '\t');
}

static int etc_resolv(const cpod_run_opts *o, const char *stack_dns, buf *host, buf *out,
		      cpod_err *err)
{
	bool dns = o->dns && o->dns[0], search = o->dns_search && o->dns_search[0];
	bool opts = o->dns_options && o->dns_options[0];
	bool via_stack = !dns && stack_dns && *stack_dns;
	if (!dns && !search && !opts && !via_stack)
		return buf_append(out, host->data ? host->data : "", host->len, err);

	char *save = NULL;
	_cleanup_buf_ buf ns = BUF_INIT, se = BUF_INIT, op = BUF_INIT, rest = BUF_INIT;
	for (char *l = host->data ? strtok_r(host->data, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save)) {
		buf *to = &rest;
		if (etc_line_is(l, "nameserver"))
			to = &ns;
		else if (etc_line_is(l, "search") || etc_line_is(l, "domain"))
			to = &se;
		else if (etc_line_is(l, "options"))
			to = &op;
		if (buf_printf(to, err, "%s\n", l) < 0)
			return -1;
	}
	if (search) {
		buf_reset(&se);
		bool dot = false;
		for (size_t i = 0; o->dns_search[i]; i++)
			dot |= strcmp(o->dns_search[i], ".") == 0;
		if (!dot) {
			buf_puts(&se, "search", NULL);
			for (size_t i = 0; o->dns_search[i]; i++)
				buf_printf(&se, NULL, " %s", o->dns_search[i]);
			buf_putc(&se, '\n', NULL);
		}
	}
	if (dns) {
		buf_reset(&ns);
		for (size_t i = 0; o->dns[i]; i++)
			buf_printf(&ns, NULL, "nameserver %s\n", o->dns[i]);
	} else if (via_stack) {
		buf_reset(&ns);
		buf_printf(&ns, NULL, "nameserver %s\n", stack_dns);
	}
	if (opts) {
		buf_reset(&op);
		buf_puts(&op, "options", NULL);
		for (size_t i = 0; o->dns_options[i]; i++)
			buf_printf(&op, NULL, " %s", o->dns_options[i]);
		buf_putc(&op, '\n', NULL);
	}
	if (ns.failed || se.failed || op.failed)
		return err_nomem(err);
	if (buf_append(out, rest.data ? rest.data : "", rest.len, err) < 0 ||
	    buf_append(out, se.data ? se.data : "", se.len, err) < 0 ||
	    buf_append(out, ns.data ? ns.data : "", ns.len, err) < 0 ||
	    buf_append(out, op.data ? op.data : "", op.len, err) < 0)
		return -1;
	return 0;
}

/* /etc/hosts, /etc/hostname, /etc/resolv.conf of the container. */
CPOD_INTERNAL int etc_write(int dirfd, const cpod_run_opts *o, const char *hostname, const char *name,
			    const char *dns, const char *gw, cpod_err *err)
{
	bool host_net = o->network && strcmp(o->network, "host") == 0 && !(o->networks && o->networks[0]);
	const char *resolv = getenv("CPOD_RESOLV_CONF");
	const char *hostsfile = getenv("CPOD_HOSTS");
	_cleanup_buf_ buf hosts = BUF_INIT, rb = BUF_INIT, out = BUF_INIT;
	mem_pool pool = { 0 };
	char line[512];

	for (size_t i = 0; o->add_hosts && o->add_hosts[i]; i++) {
		options_kv kv;
		if (options_add_host(o->add_hosts[i], &kv, &pool, err) < 0) {
			pool_free(&pool);
			return -1;
		}
		const char *ip = kv.value;
		if (strcmp(ip, "host-gateway") == 0)
			ip = gw && *gw ? gw : NULL;
		if (!ip) {
			log_warn("--add-host %s: no network, so no gateway: left out of /etc/hosts",
				 o->add_hosts[i]);
			continue;
		}
		buf_printf(&hosts, NULL, "%s\t%s\n", ip, kv.key);
	}
	pool_free(&pool);
	buf_printf(&hosts, NULL,
		   "127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n"
		   "::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n"
		   "127.0.1.1\t%s %s\n", hostname, name);
	if (gw && *gw)
		buf_printf(&hosts, NULL, "%s\thost.containers.internal host.docker.internal\n", gw);
	if (host_net) {
		/* the host's own entries as well */
		_cleanup_buf_ buf hb = BUF_INIT;
		if (fs_read_file(AT_FDCWD, hostsfile ? hostsfile : "/etc/hosts", 1u << 20, &hb, NULL) == 0)
			buf_append(&hosts, hb.data, hb.len, NULL);
	}
	if (hosts.failed)
		return err_nomem(err);
	if (fs_write_atomic(dirfd, "hosts", hosts.data, hosts.len, 0644, 0, err) < 0)
		return -1;
	snprintf(line, sizeof(line), "%s\n", hostname);
	if (fs_write_atomic(dirfd, "hostname", line, strlen(line), 0644, 0, err) < 0)
		return -1;
	if (fs_read_file(AT_FDCWD, resolv ? resolv : "/etc/resolv.conf", 1u << 20, &rb, NULL) < 0)
		buf_reset(&rb);
	if (etc_resolv(o, dns, &rb, &out, err) < 0)
		return -1;
	return fs_write_atomic(dirfd, "resolv.conf", out.data ? out.data : "", out.len, 0644, 0, err);
}
