/*
 * create.c — `create`: from a bundle to an init process waiting for start.
 *
 * The runtime (P) validates the bundle, prepares what the children need
 * (state directory and exec FIFO, seccomp filter, cgroup paths, console,
 * namespace fds) and forks an intermediate process (I).  I joins the
 * namespaces given by path, creates a user namespace (P writes its id maps),
 * unshares the other new namespaces and forks the init (C) with CLONE_PARENT
 * so that C is P's child, then exits.  P puts C in its cgroup, runs the
 * prestart and createRuntime hooks when C asks, and records the state once
 * C reports that it is created.  Any failure, on either side, kills what
 * was started and removes the cgroup and state directory: a failed create
 * leaves nothing behind.
 */
#include "runtime.h"
#include "hooks.h"
#include "sync.h"
#include "../base/fs.h"
#include "../base/proc.h"
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

CPOD_INTERNAL int oci_fd_above(int fd, int min, cpod_err *err)
{
	if (fd < 0 || fd >= min)
		return fd;
	int n = fcntl(fd, F_DUPFD_CLOEXEC, min);
	if (n < 0)
		return err_sys(err, "dup");
	close(fd);
	return n;
}

static int create_connect_console(const char *path, cpod_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set(err, CPOD_E_INVALID, "console socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(err, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return err_sys(err, "connect to the console socket %s", path);
	}
	return fd;
}

/* Whether the init can be cloned by the runtime itself: no namespace to
 * join, no user namespace (its maps are written between its creation and
 * the others'), no time namespace (clone(2) cannot make one). */
static bool create_direct(const oci_spec *s)
{
	const oci_linux *l = &s->linux_;
	for (int t = 0; t < NS_TYPES; t++)
		if (l->ns[t].enabled && l->ns[t].path)
			return false;
	return !l->ns[NS_USER].enabled && !(l->ns[NS_TIME].enabled);
}

/* I: joins and creates namespaces, forks the init. */
__attribute__((noreturn)) static void create_intermediate(oci_container *c)
{
	cpod_err err;
	cpod_err_clear(&err);

	if (ns_join_all(c, &err) < 0)
		goto fail;
	if (c->new_userns) {
		if (unshare(CLONE_NEWUSER) < 0) {
			err_sys(&err, "create the user namespace");
			goto fail;
		}
		if (sync_send(c->sync_fd, SYNC_USERNS_READY, 0, &err) < 0 ||
		    sync_expect(c->sync_fd, SYNC_USERNS_MAPPED, NULL, &err) < 0)
			goto fail;
	}
	if (c->in_userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
		err_sys(&err, "become root in the user namespace (is 0 mapped?)");
		goto fail;
	}
	int flags = ns_unshare_flags(c->spec);
	if (flags && unshare(flags) < 0) {
		err_sys(&err, "create namespaces");
		goto fail;
	}
	if ((flags & 0x80 /* CLONE_NEWTIME */) && ns_write_time_offsets(c->spec, &err) < 0)
		goto fail;
	/* CLONE_PARENT: the init becomes the runtime's child, not ours */
	long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
	if (pid < 0) {
		err_sys(&err, "fork the container's init");
		goto fail;
	}
	if (pid == 0)
		init_main(c);
	if (sync_send(c->sync_fd, SYNC_INIT_PID, (int)pid, &err) < 0)
		_exit(1);
	_exit(0);
fail:
	sync_send_error(c->sync_fd, &err);
	_exit(1);
}

/* The host id that id 0 of the container maps to (itself without a map). */
static uint32_t create_host_root(const oci_idmap *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].container_id == 0 && m[i].size > 0)
			return m[i].host_id;
	return 0;
}

static int create_write_oom_score(pid_t pid, int64_t v, cpod_err *err)
{
	char path[64], val[24];
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
	snprintf(val, sizeof(val), "%" PRId64, v);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		return err_sys(err, "set oomScoreAdj");
	return 0;
}

/* The device rules the cgroup gets: the config's, then what every
 * container needs (as runc's AllowedDevices), then its own linux.devices
 * that the config's rules do not mention. */
static int create_device_rules(const oci_spec *spec, oci_resources *res, mem_pool *pool,
			       cpod_err *err)
{
	static const oci_device_rule defaults[] = {
		{ true, 'c', -1, -1, "m" },  { true, 'b', -1, -1, "m" },
		{ true, 'c', 1, 3, "rwm" },  { true, 'c', 1, 8, "rwm" },  { true, 'c', 1, 7, "rwm" },
		{ true, 'c', 5, 0, "rwm" },  { true, 'c', 1, 5, "rwm" },  { true, 'c', 1, 9, "rwm" },
		{ true, 'c', 136, -1, "rwm" }, { true, 'c', 5, 2, "rwm" }, { true, 'c', 10, 200, "rwm" },
	};
	const oci_linux *l = &spec->linux_;
	size_t n = res->n_devices + ARRAY_LEN(defaults) + l->n_devices;
	oci_device_rule *rules = pool_calloc(pool, n, sizeof(*rules), err);

	if (!rules)
		return -1;
	memcpy(rules, res->devices, res->n_devices * sizeof(*rules));
	memcpy(rules + res->n_devices, defaults, sizeof(defaults));
	n = res->n_devices + ARRAY_LEN(defaults);
	for (size_t i = 0; i < l->n_devices; i++) {
		char type = l->devices[i].type == 'b' ? 'b' : 'c';
		bool given = false;
		if (l->devices[i].type == 'p')
			continue;
		/* a rule of the config for this very device decides (as runc) */
		for (size_t k = 0; k < res->n_devices && !given; k++)
			given = res->devices[k].type == type &&
				res->devices[k].major == l->devices[i].major &&
				res->devices[k].minor == l->devices[i].minor;
		if (given)
			continue;
		rules[n] = (oci_device_rule){ true, type, l->devices[i].major, l->devices[i].minor,
					      "rwm" };
		n++;
	}
	res->devices = rules;
	res->n_devices = n;
	return 0;
}

static int create_hooks(const oci_container *c, const oci_state *st, enum oci_hook_kind kind,
			cpod_err *err)
{
	_cleanup_buf_ buf b = BUF_INIT;
	if (!c->spec->hooks.n[kind])
		return 0;
	if (state_to_json(st, ST_CREATING, &b, err) < 0)
		return -1;
	return hooks_run(&c->spec->hooks, kind, b.data, err);
}

/* Resolves the rootfs (relative to the bundle) and checks it is a directory
 * that does not escape the bundle by "..". */
static int create_rootfs_path(oci_container *c, cpod_err *err)
{
	const char *root = c->spec->root_path;
	char tmp[PATH_MAX];
	struct stat st;

	if (!root || !*root)
		return err_set(err, CPOD_E_INVALID, "root.path: missing");
	if (root[0] == '/') {
		snprintf(tmp, sizeof(tmp), "%s", root);
	} else {
		/* a relative root must stay inside the bundle */
		int depth = 0;
		char copy[PATH_MAX];
		snprintf(copy, sizeof(copy), "%s", root);
		for (char *s = strtok(copy, "/"); s; s = strtok(NULL, "/")) {
			if (strcmp(s, "..") == 0)
				depth--;
			else if (strcmp(s, ".") != 0)
				depth++;
			if (depth < 0)
				return err_set(err, CPOD_E_INVALID,
					       "root.path \"%s\" leaves the bundle", root);
		}
		if (fs_join(tmp, sizeof(tmp), c->bundle, root, err) < 0)
			return -1;
	}
	if (!realpath(tmp, c->rootfs))
		return err_sys(err, "root.path %s", tmp);
	if (stat(c->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(err, CPOD_E_INVALID, "root.path %s is not a directory", c->rootfs);
	if (strcmp(c->rootfs, "/") == 0)
		return err_set(err, CPOD_E_INVALID, "root.path must not be the host's /");
	return 0;
}

CPOD_INTERNAL int oci_create(cpod_runtime *rt, const char *id, const cpod_create_opts *o,
			     const oci_create_ext *ext, bool foreground, oci_created *out,
			     cpod_err *err)
{
	oci_container c;
	oci_state st;
	_cleanup_spec_ oci_spec *spec = NULL;
	int dirfd = -1, proxy_fd = -1, sv[2] = { -1, -1 };
	pid_t ipid = -1, init_pid = -1;
	bool dir_made = false;
	int r = -1;

	memset(&c, 0, sizeof(c));
	memset(&st, 0, sizeof(st));
	c.sync_fd = c.fifo_fd = c.console_fd = c.host_proc_fd = c.listener_fd = -1;
	for (int t = 0; t < NS_TYPES; t++)
		c.ns_fds[t] = -1;
	out->pid = -1;
	out->master = -1;
	c.id = id;
	c.rootless = rt->rootless;
	c.preserve_fds = o->preserve_fds;
	c.no_pivot = o->no_pivot;
	if (ext) {
		c.rootfs_mount = ext->rootfs_mount;
		c.rootfs_ctx = ext->rootfs_ctx;
		c.stdin_null = ext->stdin_null;
	}

	if (!oci_valid_id(id))
		return err_set(err, CPOD_E_INVALID, "invalid container id \"%s\" (letters, digits and _+-. only)", id);
	if (!realpath(o->bundle ? o->bundle : ".", c.bundle))
		return err_sys(err, "bundle %s", o->bundle ? o->bundle : ".");
	spec = oci_spec_load(c.bundle, o->config_path, err);
	if (!spec)
		return -1;
	c.spec = spec;
	if (!spec->has_process || !spec->process.n_args)
		return err_set(err, CPOD_E_INVALID, "process.args: missing (the config has nothing to run)");
	if (spec->process.apparmor_profile && *spec->process.apparmor_profile)
		log_warn("process.apparmorProfile is ignored: AppArmor is not supported");
	if (spec->process.selinux_label && *spec->process.selinux_label)
		log_warn("process.selinuxLabel is ignored: SELinux is not supported");
	if (create_rootfs_path(&c, err) < 0 || ns_validate(spec, rt->rootless, err) < 0)
		return -1;
	c.new_userns = spec->linux_.ns[NS_USER].enabled && !spec->linux_.ns[NS_USER].path;
	c.in_userns = spec->linux_.ns[NS_USER].enabled;
	if (spec->process.terminal && !o->console_socket && !foreground)
		return err_set(err, CPOD_E_INVALID, "process.terminal needs --console-socket");
	if (spec->linux_.seccomp) {
		c.seccomp = seccomp_compile(spec->linux_.seccomp, err);
		if (!c.seccomp)
			return err_prefix(err, "linux.seccomp");
	}
	if (cg_resolve(spec->linux_.cgroups_path, id, &c.cg, err) < 0)
		goto out;
	cg_trim(&c.cg, spec->linux_.has_resources ? &spec->linux_.resources : NULL);

	/* the state directory: from here on, failure cleans up */
	if (mkdirat(rt->rootfd, id, 0711) < 0) {
		if (errno == EEXIST)
			err_set(err, CPOD_E_EXISTS, "container \"%s\" already exists", id);
		else
			err_sys(err, "create the state of %s", id);
		goto out;
	}
	dir_made = true;
	dirfd = openat(rt->rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dirfd < 0) {
		err_sys(err, "open the state of %s", id);
		goto out;
	}
	if (fs_write_atomic(dirfd, "config.json", spec->raw, spec->raw_len, 0600, 0, err) < 0)
		goto out;
	if (mkfifoat(dirfd, "exec.fifo", 0600) < 0) {
		err_sys(err, "create the exec fifo");
		goto out;
	}
	/* the init opens it as root of its user namespace: as runc, the FIFO
	 * belongs to the host ids that root maps to, or it gets EACCES */
	if (c.new_userns && !rt->rootless &&
	    fchownat(dirfd, "exec.fifo",
		     create_host_root(spec->linux_.uid_mappings, spec->linux_.n_uid_mappings),
		     create_host_root(spec->linux_.gid_mappings, spec->linux_.n_gid_mappings),
		     AT_SYMLINK_NOFOLLOW) < 0) {
		err_sys(err, "chown the exec fifo");
		goto out;
	}
	c.fifo_fd = openat(dirfd, "exec.fifo", O_PATH | O_CLOEXEC);
	c.host_proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c.fifo_fd < 0 || c.host_proc_fd < 0) {
		err_sys(err, "open the exec fifo and /proc");
		goto out;
	}
	if (spec->process.terminal) {
		if (o->console_socket) {
			c.console_fd = create_connect_console(o->console_socket, err);
			if (c.console_fd < 0)
				goto out;
		} else {
			int pair[2];
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
				err_sys(err, "socketpair");
				goto out;
			}
			proxy_fd = pair[0];
			c.console_fd = pair[1];
			foreground_console_size(&spec->process);
		}
	}
	if (ns_open_joins(&c, err) < 0)
		goto out;
	/* the runtime reaches the listener (a host path); the init hands it
	 * the notify fd once it has loaded the filter */
	if (c.seccomp && seccomp_filter_has_notify(c.seccomp)) {
		c.listener_fd = seccomp_listener_connect(seccomp_filter_listener_path(c.seccomp), err);
		if (c.listener_fd < 0)
			goto out;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		err_sys(err, "socketpair");
		goto out;
	}
	/* the fds the children keep must not sit where preserved fds go */
	{
		int min = 3 + (o->preserve_fds > 0 ? o->preserve_fds : 0);
		if ((sv[1] = oci_fd_above(sv[1], min, err)) < 0 ||
		    (c.fifo_fd = oci_fd_above(c.fifo_fd, min, err)) < 0 ||
		    (c.host_proc_fd = oci_fd_above(c.host_proc_fd, min, err)) < 0 ||
		    (c.listener_fd >= 0 && (c.listener_fd = oci_fd_above(c.listener_fd, min, err)) < 0) ||
		    (c.console_fd >= 0 && (c.console_fd = oci_fd_above(c.console_fd, min, err)) < 0))
			goto out;
		for (int t = 0; t < NS_TYPES; t++)
			if (c.ns_fds[t] >= 0 && (c.ns_fds[t] = oci_fd_above(c.ns_fds[t], min, err)) < 0)
				goto out;
	}

	if (create_direct(spec)) {
		/* nothing to join, no user namespace to map first: the init is
		 * cloned straight into its new namespaces */
		long pid = syscall(SYS_clone, ns_unshare_flags(spec) | SIGCHLD, 0, NULL, NULL, 0);
		if (pid < 0) {
			err_sys(err, "create the container's namespaces");
			goto out;
		}
		if (pid == 0) {
			close(sv[0]);
			if (proxy_fd >= 0)
				close(proxy_fd);
			c.sync_fd = sv[1];
			init_main(&c);
		}
		init_pid = (pid_t)pid;
		close(sv[1]);
		sv[1] = -1;
		goto created;
	}
	ipid = fork();
	if (ipid < 0) {
		err_sys(err, "fork");
		goto out;
	}
	if (ipid == 0) {
		close(sv[0]);
		if (proxy_fd >= 0)
			close(proxy_fd);
		c.sync_fd = sv[1];
		create_intermediate(&c);
	}
	close(sv[1]);
	sv[1] = -1;
	for (int t = 0; t < NS_TYPES; t++)
		if (c.ns_fds[t] >= 0) {
			close(c.ns_fds[t]);
			c.ns_fds[t] = -1;
		}

	for (;;) {
		sync_msg m;
		if (sync_expect(sv[0], 0, &m, err) < 0)
			goto out;
		if (m.type == SYNC_USERNS_READY) {
			if (ns_write_id_maps(ipid, spec, rt->rootless, err) < 0 ||
			    sync_send(sv[0], SYNC_USERNS_MAPPED, 0, err) < 0)
				goto out;
		} else if (m.type == SYNC_INIT_PID) {
			init_pid = m.value;
			break;
		} else {
			err_set(err, CPOD_E_SYS, "sync: unexpected message %d", m.type);
			goto out;
		}
	}
	proc_wait(ipid, NULL, 0);
	ipid = -1;
created:
	/* The state is written now, so a runtime killed from here on leaves a
	 * container that `delete` can clean up. */
	snprintf(st.id, sizeof(st.id), "%s", id);
	st.pid = init_pid;
	st.start_time = proc_start_time(init_pid);
	snprintf(st.bundle, sizeof(st.bundle), "%s", c.bundle);
	snprintf(st.rootfs, sizeof(st.rootfs), "%s", c.rootfs);
	clock_now_rfc3339(st.created, sizeof(st.created));
	st.rootless = rt->rootless;
	st.own_pidns = spec->linux_.ns[NS_PID].enabled && !spec->linux_.ns[NS_PID].path;
	st.cg = c.cg;
	st.has_cgroup = true; /* until cg_enter says otherwise: delete will try */
	if (spec->annotations) {
		buf ab = BUF_INIT;
		json_w w;
		jw_init(&w, &ab, NULL);
		jw_value(&w, spec->annotations);
		if (jw_finish(&w, err) < 0)
			goto out;
		st.annotations_json = ab.data;
	}
	if (state_save(dirfd, &st, err) < 0)
		goto out;

	int has;
	{
		oci_resources res = spec->linux_.resources;
		bool limits = spec->linux_.has_resources;
		/* device rules only when the config restricts devices at all */
		if (res.n_devices && create_device_rules(spec, &res, &spec->pool, err) < 0)
			goto out;
		has = cg_enter(&c.cg, init_pid, limits ? &res : NULL, rt->rootless, err);
	}
	if (has < 0) {
		err_prefix(err, "cgroup");
		goto out;
	}
	c.has_cgroup = st.has_cgroup = has > 0;
	if (spec->process.oom_score_adj.set &&
	    create_write_oom_score(init_pid, spec->process.oom_score_adj.v, err) < 0)
		goto out;
	/* the init's copy of c was made before cg_enter: tell it, so its
	 * /sys/fs/cgroup shows the container's own cgroups */
	if (sync_send(sv[0], SYNC_CGROUP_READY, c.has_cgroup, err) < 0 ||
	    sync_expect(sv[0], SYNC_RUN_HOOKS, NULL, err) < 0)
		goto out;
	if (create_hooks(&c, &st, HOOK_PRESTART, err) < 0 ||
	    create_hooks(&c, &st, HOOK_CREATE_RUNTIME, err) < 0)
		goto out;
	if (sync_send(sv[0], SYNC_HOOKS_DONE, init_pid, err) < 0 ||
	    sync_expect(sv[0], SYNC_CREATED, NULL, err) < 0)
		goto out;
	if (proxy_fd >= 0) {
		out->master = console_recv_fd(proxy_fd, err);
		if (out->master < 0)
			goto out;
	}
	if (!st.has_cgroup && state_save(dirfd, &st, err) < 0)
		goto out;
	if (o->pid_file) {
		char pid[24];
		snprintf(pid, sizeof(pid), "%d", (int)init_pid);
		if (fs_write_atomic(AT_FDCWD, o->pid_file, pid, strlen(pid), 0644, 0, err) < 0)
			goto out;
	}
	out->pid = init_pid;
	r = 0;
out:
	if (r < 0) {
		if (init_pid > 0) {
			kill(init_pid, SIGKILL);
			proc_wait(init_pid, NULL, 0);
		}
		if (ipid > 0) {
			kill(ipid, SIGKILL);
			proc_wait(ipid, NULL, 0);
		}
		if (c.has_cgroup || init_pid > 0)
			cg_destroy(&c.cg, NULL);
		if (dir_made)
			fs_rm_tree(rt->rootfd, id, NULL);
		if (out->master >= 0) {
			close(out->master);
			out->master = -1;
		}
		err_prefix(err, "create %s", id);
	}
	for (int t = 0; t < NS_TYPES; t++)
		if (c.ns_fds[t] >= 0)
			close(c.ns_fds[t]);
	int fds[] = { dirfd, proxy_fd, sv[0], sv[1], c.fifo_fd, c.host_proc_fd, c.console_fd,
		      c.listener_fd };
	for (size_t i = 0; i < ARRAY_LEN(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (c.seccomp)
		seccomp_filter_free(c.seccomp);
	free(st.annotations_json);
	return r;
}
