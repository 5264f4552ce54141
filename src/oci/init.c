/*
 * init.c — the container's init process, from its fork to the execve of the
 * container's program.
 *
 * It starts in its new namespaces (made by the intermediate process, see
 * create.c), waits until the runtime has put it in its cgroup, builds the
 * file system, lets the runtime run the prestart/createRuntime hooks, runs
 * the createContainer hooks itself, pivots into the rootfs, and tells the
 * runtime it is created.  Then it blocks on the exec FIFO until `start`,
 * runs the startContainer hooks, drops its privileges and executes.
 * Errors before "created" travel back to the runtime over the sync socket;
 * after that there is nobody to tell but stderr.
 */
#include "container.h"
#include "hooks.h"
#include "state.h"
#include "sync.h"
#include "../base/fs.h"
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

static int init_state_json(oci_container *c, pid_t pid, const char *status, buf *out,
			   cpod_err *err)
{
	oci_state st;
	enum oci_status s = strcmp(status, "running") == 0 ? ST_RUNNING : ST_CREATING;

	memset(&st, 0, sizeof(st));
	snprintf(st.id, sizeof(st.id), "%s", c->id);
	st.pid = pid;
	snprintf(st.bundle, sizeof(st.bundle), "%s", c->bundle);
	snprintf(st.rootfs, sizeof(st.rootfs), "%s", c->rootfs);
	if (c->spec->annotations) {
		buf ab = BUF_INIT;
		json_w w;
		jw_init(&w, &ab, NULL);
		jw_value(&w, c->spec->annotations);
		if (jw_finish(&w, err) < 0)
			return -1;
		st.annotations_json = ab.data;
	}
	int r = state_to_json(&st, s, out, err);
	free(st.annotations_json);
	return r;
}

static int init_hooks(oci_container *c, enum oci_hook_kind kind, pid_t pid, const char *status,
		      cpod_err *err)
{
	_cleanup_buf_ buf out = BUF_INIT;

	if (!c->spec->hooks.n[kind])
		return 0;
	if (init_state_json(c, pid, status, &out, err) < 0)
		return -1;
	return hooks_run(&c->spec->hooks, kind, out.data, err);
}

static int init_sysctl(const oci_linux *l, cpod_err *err)
{
	for (size_t i = 0; i < l->n_sysctl; i++) {
		char path[PATH_MAX];
		int n = snprintf(path, sizeof(path), "/proc/sys/%s", l->sysctl[i].key);
		if (n < 0 || (size_t)n >= sizeof(path))
			return err_set(err, CPOD_E_INVALID, "sysctl %s: name too long", l->sysctl[i].key);
		for (char *p = path + 10; *p; p++)
			if (*p == '.')
				*p = '/';
		_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return err_sys(err, "sysctl %s", l->sysctl[i].key);
		const char *v = l->sysctl[i].value;
		if (write(fd, v, strlen(v)) != (ssize_t)strlen(v))
			return err_sys(err, "sysctl %s=%s", l->sysctl[i].key, v);
	}
	return 0;
}

/* A network namespace of the container's own starts with lo down: bring
 * it up, as runc and crun do (127.0.0.1 and ::1 come with it). */
static int init_loopback_up(cpod_err *err)
{
	struct ifreq ifr;
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(err, "loopback: socket");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return err_sys(err, "loopback: get the flags of lo");
	if (ifr.ifr_flags & IFF_UP)
		return 0;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return err_sys(err, "loopback: bring lo up");
	return 0;
}

/* Everything up to "created". */
static int init_setup(oci_container *c, oci_exec_target *target, cpod_err *err)
{
	const oci_spec *s = c->spec;
	const oci_process *p = &s->process;
	sync_msg m;

	if (sync_expect(c->sync_fd, SYNC_CGROUP_READY, &m, err) < 0)
		return -1;
	c->has_cgroup = m.value != 0;
	if (s->linux_.ns[NS_CGROUP].enabled && !s->linux_.ns[NS_CGROUP].path &&
	    unshare(CLONE_NEWCGROUP) < 0)
		return err_sys(err, "create the cgroup namespace");
	if (mounts_rootfs(c, err) < 0)
		return -1;
	_cleanup_close_ int rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return err_sys(err, "open the rootfs %s", c->rootfs);
	if (mounts_prepare(c, rootfd, err) < 0)
		return -1;
	/* as runc: a cwd the image lacks is made, inside the rootfs and
	 * before the root may turn read-only */
	if (p->cwd) {
		int cfd = fs_mkdirs_in_root(rootfd, p->cwd, 0755, err);
		if (cfd < 0)
			return err_prefix(err, "process.cwd %s", p->cwd);
		close(cfd);
	}

	if (sync_send(c->sync_fd, SYNC_RUN_HOOKS, 0, err) < 0 ||
	    sync_expect(c->sync_fd, SYNC_HOOKS_DONE, &m, err) < 0)
		return -1;
	c->init_pid = m.value;
	if (init_hooks(c, HOOK_CREATE_CONTAINER, c->init_pid, "creating", err) < 0)
		return -1;

	/* sysctls before the read-only and masked paths (as runc): the
	 * default configs make /proc/sys read-only */
	if (mounts_pivot(c, err) < 0 || init_sysctl(&s->linux_, err) < 0 ||
	    mounts_finish(c, err) < 0)
		return -1;
	if (s->linux_.ns[NS_NET].enabled && !s->linux_.ns[NS_NET].path && init_loopback_up(err) < 0)
		return -1;
	if (s->hostname && *s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		return err_sys(err, "set the hostname");
	if (s->domainname && *s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
		return err_sys(err, "set the domain name");
	if (p->terminal) {
		if (console_setup(c->console_fd, p, err) < 0)
			return -1;
		close(c->console_fd);
		c->console_fd = -1;
	} else if (c->stdin_null) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || dup2(fd, 0) < 0)
			return err_sys(err, "open /dev/null for stdin");
		close(fd);
	}
	if (process_personality(&s->linux_, err) < 0)
		return -1;
	umask(p->umask.set ? (mode_t)p->umask.v : 022);
	if (chdir(p->cwd ? p->cwd : "/") < 0)
		return err_sys(err, "chdir to %s", p->cwd ? p->cwd : "/");
	if (process_limits(p, err) < 0)
		return -1;
	if (process_lookup(p, target, err) < 0)
		return -1;
	return 0;
}

CPOD_INTERNAL void init_main(oci_container *c)
{
	cpod_err err;
	oci_exec_target target;
	char fifo[64];

	cpod_err_clear(&err);
	if (init_setup(c, &target, &err) < 0) {
		sync_send_error(c->sync_fd, &err);
		_exit(1);
	}
	if (sync_send(c->sync_fd, SYNC_CREATED, 0, &err) < 0)
		_exit(1);
	close(c->sync_fd);

	/* Wait for start: opening the FIFO for writing blocks until `start`
	 * opens it for reading.  The FIFO is reached through the host's /proc,
	 * since the state directory is not visible from the rootfs. */
	snprintf(fifo, sizeof(fifo), "self/fd/%d", c->fifo_fd);
	int wfd = RETRY_EINTR(openat(c->host_proc_fd, fifo, O_WRONLY | O_CLOEXEC));
	if (wfd < 0) {
		err_sys(&err, "open the exec fifo");
		goto fail;
	}
	if (write(wfd, "0", 1) != 1) {
		err_sys(&err, "write the exec fifo");
		goto fail;
	}
	close(wfd);
	close(c->fifo_fd);
	close(c->host_proc_fd);

	if (init_hooks(c, HOOK_START_CONTAINER, c->init_pid, "running", &err) < 0)
		goto fail;
	if (process_drop_privileges(&c->spec->process, c->in_userns, c->seccomp, &err) < 0)
		goto fail;
	if (c->listener_fd >= 0) {
		_cleanup_buf_ buf sj = BUF_INIT;
		if (init_state_json(c, c->init_pid, "running", &sj, &err) < 0 ||
		    process_seccomp_listener(c, c->init_pid, sj.data, &err) < 0)
			goto fail;
	}
	process_close_fds(c->preserve_fds, -1);
	process_exec(&c->spec->process, &target, &err);
fail:
	dprintf(2, "cpod: %s\n", err.msg);
	_exit(err.code == CPOD_E_EXEC_NOTFOUND ? 127 : err.code == CPOD_E_EXEC_NOEXEC ? 126 : 1);
}
