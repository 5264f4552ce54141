/*
 * exec.c — `exec`: a new process in a running container.
 *
 * The process is described by `--process FILE` or built from the
 * container's own process (saved config) with the command line's
 * overrides, as runc does.  It joins every namespace of the init through
 * /proc/PID/ns/, the container's cgroup, and gets the container's seccomp
 * filter.  As for create, an intermediate process joins the namespaces and
 * forks the new process with CLONE_PARENT; the runtime learns that execve
 * succeeded when the close-on-exec sync socket reaches end of file.
 */
#include "runtime.h"
#include "sync.h"
#include "caps.h"
#include "../base/fs.h"
#include "../base/proc.h"
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

/* "UID[:GID]" */
static int exec_parse_user(const char *s, oci_process *p, cpod_err *err)
{
	char *end;
	errno = 0;
	unsigned long uid = strtoul(s, &end, 10);
	if (errno || end == s || uid > UINT32_MAX || (*end && *end != ':'))
		return err_set(err, CPOD_E_INVALID, "--user \"%s\": must be UID[:GID]", s);
	p->uid = (uint32_t)uid;
	if (*end == ':') {
		const char *g = end + 1;
		unsigned long gid = strtoul(g, &end, 10);
		if (errno || end == g || *end || gid > UINT32_MAX)
			return err_set(err, CPOD_E_INVALID, "--user \"%s\": must be UID[:GID]", s);
		p->gid = (uint32_t)gid;
	}
	p->n_additional_gids = 0;
	p->additional_gids = NULL;
	return 0;
}

/* The container's env with the overrides (same name replaces). */
static int exec_merge_env(const oci_process *base, const char *const *extra, oci_process *p,
			  mem_pool *pool, cpod_err *err)
{
	size_t nb = base->n_env, ne = 0;
	while (extra && extra[ne])
		ne++;
	const char **env = pool_calloc(pool, nb + ne + 1, sizeof(*env), err);
	if (!env)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < nb; i++) {
		size_t klen = strcspn(base->env[i], "=");
		bool replaced = false;
		for (size_t k = 0; k < ne; k++)
			if (strncmp(extra[k], base->env[i], klen) == 0 && extra[k][klen] == '=')
				replaced = true;
		if (!replaced)
			env[n++] = base->env[i];
	}
	for (size_t k = 0; k < ne; k++) {
		if (!strchr(extra[k], '='))
			return err_set(err, CPOD_E_INVALID, "--env \"%s\": must be NAME=VALUE", extra[k]);
		env[n++] = extra[k];
	}
	env[n] = NULL;
	p->env = env;
	p->n_env = n;
	return 0;
}

static int exec_build_process(const oci_spec *spec, const cpod_exec_opts *o, oci_process *p,
			      mem_pool *pool, json_doc **doc, cpod_err *err)
{
	if (o->process_json) {
		*doc = json_parse(o->process_json, strlen(o->process_json), NULL, err);
		if (!*doc)
			return err_prefix(err, "--process");
		return oci_process_parse(json_root(*doc), p, pool, "process", err);
	}
	if (!o->args || !o->args[0])
		return err_set(err, CPOD_E_INVALID, "nothing to execute: give a command or --process");
	*p = spec->process;
	size_t n = 0;
	while (o->args[n])
		n++;
	p->args = (const char **)o->args;
	p->n_args = n;
	p->terminal = o->tty;
	if (o->cwd)
		p->cwd = o->cwd;
	if (o->user && exec_parse_user(o->user, p, err) < 0)
		return -1;
	if (o->n_additional_gids) {
		p->additional_gids = o->additional_gids;
		p->n_additional_gids = o->n_additional_gids;
	}
	if (o->env && exec_merge_env(&spec->process, o->env, p, pool, err) < 0)
		return -1;
	if (o->no_new_privs)
		p->no_new_privileges = true;
	for (size_t i = 0; o->caps && o->caps[i]; i++) {
		int cap = caps_from_name(o->caps[i]);
		if (cap < 0)
			return err_set(err, CPOD_E_INVALID, "--cap %s: unknown capability", o->caps[i]);
		uint64_t bit = UINT64_C(1) << cap;
		p->has_caps = true;
		p->caps.bounding |= bit;
		p->caps.effective |= bit;
		p->caps.permitted |= bit;
		p->caps.inheritable |= bit;
		p->caps.ambient |= bit;
	}
	return 0;
}

/* The new process: in every namespace of the container, before execve. */
__attribute__((noreturn)) static void exec_child(oci_container *c, const oci_process *p)
{
	cpod_err err;
	oci_exec_target target;

	cpod_err_clear(&err);
	if (p->terminal) {
		if (console_setup(c->console_fd, p, &err) < 0)
			goto fail;
		close(c->console_fd);
	} else if (c->stdin_null) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || dup2(fd, 0) < 0) {
			err_sys(&err, "open /dev/null for stdin");
			goto fail;
		}
		close(fd);
	}
	umask(p->umask.set ? (mode_t)p->umask.v : 022);
	if (chdir(p->cwd ? p->cwd : "/") < 0) {
		err_sys(&err, "chdir to %s", p->cwd ? p->cwd : "/");
		goto fail;
	}
	if (process_limits(p, &err) < 0 || process_lookup(p, &target, &err) < 0 ||
	    process_drop_privileges(p, c->in_userns, c->seccomp, &err) < 0 ||
	    process_seccomp_listener(c, getpid(), c->listener_state, &err) < 0)
		goto fail;
	process_close_fds(c->preserve_fds, c->sync_fd);
	process_exec(p, &target, &err);
fail:
	sync_send_error(c->sync_fd, &err);
	_exit(err.code == CPOD_E_EXEC_NOTFOUND ? 127 : err.code == CPOD_E_EXEC_NOEXEC ? 126 : 1);
}

__attribute__((noreturn)) static void exec_intermediate(oci_container *c, const oci_process *p)
{
	cpod_err err;
	cpod_err_clear(&err);

	/* wait until the runtime has put us in the container's cgroup */
	if (sync_expect(c->sync_fd, SYNC_CGROUP_READY, NULL, &err) < 0)
		_exit(1);
	if (ns_join_all(c, &err) < 0)
		goto fail;
	long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
	if (pid < 0) {
		err_sys(&err, "fork");
		goto fail;
	}
	if (pid == 0)
		exec_child(c, p);
	sync_send(c->sync_fd, SYNC_INIT_PID, (int)pid, &err);
	_exit(0);
fail:
	sync_send_error(c->sync_fd, &err);
	_exit(1);
}

/* Opens /proc/PID/ns/X for each namespace of the container that differs
 * from ours. */
static int exec_open_ns(const oci_state *st, const oci_spec *spec, oci_container *c, cpod_err *err)
{
	for (int t = 0; t < NS_TYPES; t++) {
		char path[64], self[64];
		struct stat a, b;
		c->ns_fds[t] = -1;
		if (!spec->linux_.ns[t].enabled)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)st->pid, oci_ns_proc_name(t));
		snprintf(self, sizeof(self), "/proc/self/ns/%s", oci_ns_proc_name(t));
		if (stat(path, &a) == 0 && stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			continue;
		c->ns_fds[t] = open(path, O_RDONLY | O_CLOEXEC);
		if (c->ns_fds[t] < 0)
			return err_sys(err, "open %s", path);
		/* the path is only used in error messages */
	}
	if (!proc_is(st->pid, st->start_time))
		return err_set(err, CPOD_E_STATE, "the container stopped");
	return 0;
}

static int exec_connect(const char *path, cpod_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set(err, CPOD_E_INVALID, "console socket path too long");
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return err_sysn(err, e, "connect to the console socket %s", path);
	}
	return fd;
}

int cpod_runtime_exec(cpod_runtime *rt, const char *id, const cpod_exec_opts *o, int *status,
		      cpod_err *err)
{
	oci_state st;
	oci_container c;
	oci_process p;
	mem_pool pool = { 0 };
	json_doc *pdoc = NULL;
	_cleanup_buf_ buf listener_state = BUF_INIT;
	_cleanup_spec_ oci_spec *spec = NULL;
	int dirfd = -1, sv[2] = { -1, -1 }, proxy = -1, master = -1, r = -1;
	pid_t ipid = -1, pid = -1;
	sigset_t old;
	bool blocked = false;

	*status = 0;
	memset(&c, 0, sizeof(c));
	c.sync_fd = c.console_fd = c.fifo_fd = c.host_proc_fd = c.listener_fd = -1;
	for (int t = 0; t < NS_TYPES; t++)
		c.ns_fds[t] = -1;
	if (oci_load(rt, id, &dirfd, &st, err) < 0)
		return err_prefix(err, "exec");
	enum oci_status s = state_status(dirfd, &st);
	if (s == ST_STOPPED || s == ST_PAUSED) {
		err_set(err, CPOD_E_STATE, "cannot exec in a %s container", oci_status_name(s));
		goto out;
	}
	{
		spec = oci_saved_config(rt, id, err);
		if (!spec)
			goto out;
	}
	if (exec_build_process(spec, o, &p, &pool, &pdoc, err) < 0)
		goto out;
	c.id = id;
	c.spec = spec;
	c.in_userns = spec->linux_.ns[NS_USER].enabled;
	c.preserve_fds = o->preserve_fds;
	c.stdin_null = o->stdin_null;
	if (spec->linux_.seccomp) {
		c.seccomp = seccomp_compile(spec->linux_.seccomp, err);
		if (!c.seccomp)
			goto out;
	}
	if (p.terminal) {
		if (o->console_socket) {
			c.console_fd = exec_connect(o->console_socket, err);
			if (c.console_fd < 0)
				goto out;
		} else if (o->detach) {
			err_set(err, CPOD_E_INVALID, "a terminal with --detach needs --console-socket");
			goto out;
		} else {
			int pair[2];
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
				err_sys(err, "socketpair");
				goto out;
			}
			proxy = pair[0];
			c.console_fd = pair[1];
			foreground_console_size(&p);
		}
	}
	if (exec_open_ns(&st, spec, &c, err) < 0)
		goto out;
	if (c.seccomp && seccomp_filter_has_notify(c.seccomp)) {
		if (state_to_json(&st, s, &listener_state, err) < 0)
			goto out;
		c.listener_state = listener_state.data;
		c.listener_fd = seccomp_listener_connect(seccomp_filter_listener_path(c.seccomp), err);
		if (c.listener_fd < 0)
			goto out;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		err_sys(err, "socketpair");
		goto out;
	}
	{
		int min = 3 + (o->preserve_fds > 0 ? o->preserve_fds : 0);
		if ((sv[1] = oci_fd_above(sv[1], min, err)) < 0 ||
		    (c.console_fd >= 0 && (c.console_fd = oci_fd_above(c.console_fd, min, err)) < 0) ||
		    (c.listener_fd >= 0 && (c.listener_fd = oci_fd_above(c.listener_fd, min, err)) < 0))
			goto out;
		for (int t = 0; t < NS_TYPES; t++)
			if (c.ns_fds[t] >= 0 && (c.ns_fds[t] = oci_fd_above(c.ns_fds[t], min, err)) < 0)
				goto out;
	}
	if (!o->detach) {
		foreground_block_signals(&old);
		blocked = true;
	}
	ipid = fork();
	if (ipid < 0) {
		err_sys(err, "fork");
		goto out;
	}
	if (ipid == 0) {
		close(sv[0]);
		if (proxy >= 0)
			close(proxy);
		c.sync_fd = sv[1];
		exec_intermediate(&c, &p);
	}
	close(sv[1]);
	sv[1] = -1;
	if (st.has_cgroup && cg_join(&st.cg, ipid, err) < 0)
		goto out;
	sync_msg m;
	if (sync_send(sv[0], SYNC_CGROUP_READY, 0, err) < 0 ||
	    sync_expect(sv[0], SYNC_INIT_PID, &m, err) < 0)
		goto out;
	pid = m.value;
	proc_wait(ipid, NULL, 0);
	ipid = -1;
	if (proxy >= 0) {
		master = console_recv_fd(proxy, err);
		if (master < 0) {
			sync_expect(sv[0], 0, NULL, err); /* the child's own error, if any */
			goto out;
		}
	}
	/* end of file: execve succeeded and closed the child's end */
	{
		sync_msg res;
		long n = RETRY_EINTR(recv(sv[0], &res, sizeof(res), 0));
		if (n == (long)sizeof(res) && res.type == SYNC_ERROR) {
			*err = res.err;
			goto out;
		}
	}
	if (o->pid_file) {
		char buf_pid[24];
		snprintf(buf_pid, sizeof(buf_pid), "%d", (int)pid);
		if (fs_write_atomic(AT_FDCWD, o->pid_file, buf_pid, strlen(buf_pid), 0644, 0, err) < 0)
			goto out;
	}
	if (o->detach) {
		r = 0;
		goto out;
	}
	int wstatus = 0;
	if (foreground_wait(pid, master, o->stdin_null, &wstatus, err) < 0)
		goto out;
	pid = -1;
	*status = proc_exit_code(wstatus);
	r = 0;
out:
	if (r < 0) {
		if (ipid > 0) {
			kill(ipid, SIGKILL);
			proc_wait(ipid, NULL, 0);
		}
		if (pid > 0) {
			kill(pid, SIGKILL);
			proc_wait(pid, NULL, 0);
		}
		err_prefix(err, "exec in %s", id);
	}
	if (blocked)
		sigprocmask(SIG_SETMASK, &old, NULL);
	for (int t = 0; t < NS_TYPES; t++)
		if (c.ns_fds[t] >= 0)
			close(c.ns_fds[t]);
	int fds[] = { dirfd, sv[0], sv[1], proxy, master, c.console_fd, c.listener_fd };
	for (size_t i = 0; i < ARRAY_LEN(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (c.seccomp)
		seccomp_filter_free(c.seccomp);
	json_doc_free(pdoc);
	pool_free(&pool);
	state_clear(&st);
	return r;
}
