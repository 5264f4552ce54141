/*
 * etcfiles.c — the /etc/hosts, /etc/hostname and /etc/resolv.conf a
 * container gets, written into its run-time directory and bind-mounted.
 * The host's files are read from CPOD_HOSTS and CPOD_RESOLV_CONF when set,
 * so tests never depend on (or touch) the host's.
 */
#include "etcfiles.h"
#include "../base/fs.h"

/* /etc/hosts, /etc/hostname, /etc/resolv.conf of the container. */
CPOD_INTERNAL int etc_write(int dirfd, const cpod_run_opts *o, const char *hostname, const char *name,
			    cpod_err *err)
{
	bool host_net = o->network && strcmp(o->network, "host") == 0;
	char hosts[1024], line[512];
	const char *resolv = getenv("CPOD_RESOLV_CONF");
	const char *hostsfile = getenv("CPOD_HOSTS");
	_cleanup_buf_ buf rb = BUF_INIT;

	snprintf(hosts, sizeof(hosts),
		 "127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n"
		 "::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n"
		 "127.0.1.1\t%s %s\n", hostname, name);
	if (host_net) {
		/* the host's own entries as well */
		_cleanup_buf_ buf hb = BUF_INIT;
		if (fs_read_file(AT_FDCWD, hostsfile ? hostsfile : "/etc/hosts", 1u << 20, &hb, NULL) == 0) {
			buf all = BUF_INIT;
			buf_puts(&all, hosts, NULL);
			buf_append(&all, hb.data, hb.len, NULL);
			int r = fs_write_atomic(dirfd, "hosts", all.data, all.len, 0644, 0, err);
			buf_free(&all);
			if (r < 0)
				return -1;
			hosts[0] = '\0';
		}
	}
	if (hosts[0] && fs_write_atomic(dirfd, "hosts", hosts, strlen(hosts), 0644, 0, err) < 0)
		return -1;
	snprintf(line, sizeof(line), "%s\n", hostname);
	if (fs_write_atomic(dirfd, "hostname", line, strlen(line), 0644, 0, err) < 0)
		return -1;
	if (fs_read_file(AT_FDCWD, resolv ? resolv : "/etc/resolv.conf", 1u << 20, &rb, NULL) < 0)
		buf_puts(&rb, "", NULL);
	return fs_write_atomic(dirfd, "resolv.conf", rb.data ? rb.data : "", rb.len, 0644, 0, err);
}

