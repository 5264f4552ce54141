/*
 * namespaces.c — joining and creating namespaces, and user id maps.
 *
 * Joining happens in the intermediate process, before it forks the init:
 * the user namespace first (so the joiner holds capabilities over the
 * namespaces it owns), the mount namespace last (it changes what paths
 * mean).  New namespaces are unshared by the intermediate too, except the
 * cgroup one, which the init creates once the runtime has put it in its
 * cgroup (so the namespace's root is the container's cgroup).
 */
#include "container.h"
#include "../base/proc.h"
#include <sched.h>
#include <sys/wait.h>

CPOD_INTERNAL int ns_validate(const oci_spec *s, bool rootless, cpod_err *err)
{
	const oci_linux *l = &s->linux_;
	if (!l->ns[NS_MOUNT].enabled || l->ns[NS_MOUNT].path)
		return err_set(err, CPOD_E_INVALID,
			       "linux.namespaces: a new mount namespace is required");
	if (l->ns[NS_USER].enabled && !l->ns[NS_USER].path &&
	    (!l->n_uid_mappings || !l->n_gid_mappings))
		return err_set(err, CPOD_E_INVALID,
			       "a new user namespace needs linux.uidMappings and linux.gidMappings");
	if ((l->n_uid_mappings || l->n_gid_mappings) && !l->ns[NS_USER].enabled)
		return err_set(err, CPOD_E_INVALID, "id mappings are given without a user namespace");
	if (rootless && !l->ns[NS_USER].enabled)
		return err_set(err, CPOD_E_PERM,
			       "running as an unprivileged user needs a user namespace (see `spec --rootless`)");
	if (s->hostname && *s->hostname && (!l->ns[NS_UTS].enabled || l->ns[NS_UTS].path))
		return err_set(err, CPOD_E_INVALID, "hostname needs a new UTS namespace");
	for (int i = 0; i < 2; i++)
		if (l->time_offsets[i].set && (!l->ns[NS_TIME].enabled || l->ns[NS_TIME].path))
			return err_set(err, CPOD_E_INVALID, "linux.timeOffsets need a new time namespace");
	for (size_t i = 0; i < l->n_sysctl; i++) {
		const char *k = l->sysctl[i].key;
		bool net = strncmp(k, "net.", 4) == 0 || strncmp(k, "net/", 4) == 0;
		bool ipc = strncmp(k, "kernel.msg", 10) == 0 || strncmp(k, "kernel.sem", 10) == 0 ||
			   strncmp(k, "kernel.shm", 10) == 0 || strncmp(k, "fs.mqueue.", 10) == 0;
		bool uts = strcmp(k, "kernel.hostname") == 0 || strcmp(k, "kernel.domainname") == 0;
		if (net && !l->ns[NS_NET].enabled)
			return err_set(err, CPOD_E_INVALID, "sysctl %s needs a network namespace", k);
		if (ipc && !l->ns[NS_IPC].enabled)
			return err_set(err, CPOD_E_INVALID, "sysctl %s needs an IPC namespace", k);
		if (uts && !l->ns[NS_UTS].enabled)
			return err_set(err, CPOD_E_INVALID, "sysctl %s needs a UTS namespace", k);
		if (!net && !ipc && !uts)
			return err_set(err, CPOD_E_INVALID, "sysctl %s is not namespaced: refused", k);
	}
	return 0;
}

CPOD_INTERNAL int ns_open_joins(oci_container *c, cpod_err *err)
{
	for (int t = 0; t < NS_TYPES; t++) {
		const char *path = c->spec->linux_.ns[t].path;
		c->ns_fds[t] = -1;
		if (!c->spec->linux_.ns[t].enabled || !path)
			continue;
		c->ns_fds[t] = open(path, O_RDONLY | O_CLOEXEC);
		if (c->ns_fds[t] < 0)
			return err_sys(err, "open the %s namespace %s", oci_ns_name(t), path);
	}
	return 0;
}

CPOD_INTERNAL int ns_join_all(oci_container *c, cpod_err *err)
{
	static const int order[] = { NS_USER, NS_IPC, NS_UTS, NS_NET, NS_PID, NS_CGROUP, NS_TIME, NS_MOUNT };
	for (size_t i = 0; i < ARRAY_LEN(order); i++) {
		int t = order[i];
		if (c->ns_fds[t] < 0)
			continue;
		if (setns(c->ns_fds[t], oci_ns_clone_flag(t)) < 0)
			return err_sys(err, "join the %s namespace %s", oci_ns_name(t),
				       c->spec->linux_.ns[t].path);
		close(c->ns_fds[t]);
		c->ns_fds[t] = -1;
	}
	return 0;
}

CPOD_INTERNAL int ns_unshare_flags(const oci_spec *s)
{
	int flags = 0;
	for (int t = 0; t < NS_TYPES; t++)
		if (t != NS_USER && t != NS_CGROUP && s->linux_.ns[t].enabled && !s->linux_.ns[t].path)
			flags |= oci_ns_clone_flag(t);
	return flags;
}

static int ns_write_file(pid_t pid, const char *name, const char *data, cpod_err *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", path);
	if (write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		return err_sys(err, "write %s", path);
	return 0;
}

static int ns_format_map(const oci_idmap *m, size_t n, buf *b, bool args, cpod_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (buf_printf(b, err, args ? " %u %u %u" : "%u %u %u\n", m[i].container_id,
			       m[i].host_id, m[i].size) < 0)
			return -1;
	return 0;
}

/* newuidmap/newgidmap PID ID HOSTID SIZE... */
static int ns_helper_map(const char *tool, pid_t pid, const oci_idmap *m, size_t n, cpod_err *err)
{
	char pidstr[16], path[64];
	const char *argv[3 + 3 * 340 + 1];
	char nums[3 * 340][12];
	size_t a = 0;

	snprintf(path, sizeof(path), "/usr/bin/%s", tool);
	if (access(path, X_OK) < 0)
		return err_set(err, CPOD_E_UNSUPPORTED,
			       "%s is needed to map several ids as an unprivileged user (package uidmap)",
			       tool);
	snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
	argv[a++] = tool;
	argv[a++] = pidstr;
	for (size_t i = 0; i < n && i < 340; i++) {
		snprintf(nums[3 * i], 12, "%u", m[i].container_id);
		snprintf(nums[3 * i + 1], 12, "%u", m[i].host_id);
		snprintf(nums[3 * i + 2], 12, "%u", m[i].size);
		argv[a++] = nums[3 * i];
		argv[a++] = nums[3 * i + 1];
		argv[a++] = nums[3 * i + 2];
	}
	argv[a] = NULL;
	proc_run_opts o = { .path = path, .argv = argv, .stdout_fd = -1, .stderr_fd = -1,
			    .timeout_ms = 10000 };
	int status;
	if (proc_run(&o, &status, err) < 0)
		return -1;
	if (status != 0)
		return err_set(err, CPOD_E_PERM, "%s failed (are the ids in /etc/sub%cid?)", tool,
			       tool[3] == 'u' ? 'u' : 'g');
	return 0;
}

static bool ns_map_is_self(const oci_idmap *m, size_t n, unsigned id)
{
	return n == 1 && m[0].size == 1 && m[0].host_id == id;
}

CPOD_INTERNAL int ns_write_id_maps(pid_t pid, const oci_spec *s, bool rootless, cpod_err *err)
{
	const oci_linux *l = &s->linux_;
	_cleanup_buf_ buf b = BUF_INIT;

	if (rootless && !(ns_map_is_self(l->uid_mappings, l->n_uid_mappings, geteuid()) &&
			  ns_map_is_self(l->gid_mappings, l->n_gid_mappings, getegid()))) {
		if (ns_helper_map("newuidmap", pid, l->uid_mappings, l->n_uid_mappings, err) < 0 ||
		    ns_helper_map("newgidmap", pid, l->gid_mappings, l->n_gid_mappings, err) < 0)
			return -1;
		return 0;
	}
	if (rootless && ns_write_file(pid, "setgroups", "deny", err) < 0)
		return -1;
	if (ns_format_map(l->uid_mappings, l->n_uid_mappings, &b, false, err) < 0 ||
	    ns_write_file(pid, "uid_map", b.data, err) < 0)
		return err_prefix(err, "uid mappings");
	buf_reset(&b);
	if (ns_format_map(l->gid_mappings, l->n_gid_mappings, &b, false, err) < 0 ||
	    ns_write_file(pid, "gid_map", b.data, err) < 0)
		return err_prefix(err, "gid mappings");
	return 0;
}

CPOD_INTERNAL int ns_write_time_offsets(const oci_spec *s, cpod_err *err)
{
	static const char *const clocks[2] = { "monotonic", "boottime" };
	char line[96];
	for (int i = 0; i < 2; i++) {
		if (!s->linux_.time_offsets[i].set)
			continue;
		snprintf(line, sizeof(line), "%s %" PRId64 " %u\n", clocks[i], s->linux_.time_offsets[i].secs,
			 s->linux_.time_offsets[i].nanosecs);
		_cleanup_close_ int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
			return err_sys(err, "set the %s time offset", clocks[i]);
	}
	return 0;
}
