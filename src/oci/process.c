/*
 * process.c — the last steps before a container process runs its program,
 * shared by the init (create/run) and by exec: finding the executable,
 * limits, and dropping privileges in the order runc uses.
 *
 * Order of privilege dropping: the bounding set is cut while CAP_SETPCAP is
 * still there; without no_new_privs seccomp must be loaded while
 * CAP_SYS_ADMIN is there too, so it goes early; then groups and ids change
 * (with PR_SET_KEEPCAPS so permitted capabilities survive), then the
 * capability sets, then no_new_privs and, with it, seccomp as the very last
 * thing, so the filter does not have to allow the runtime's own syscalls.
 */
#include "container.h"
#include "caps.h"
#include <grp.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#define PROCESS_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *process_env_path(const oci_process *p)
{
	for (size_t i = 0; p->env && p->env[i]; i++)
		if (strncmp(p->env[i], "PATH=", 5) == 0)
			return p->env[i] + 5;
	return PROCESS_DEFAULT_PATH;
}

static int process_check_exec(const char *path, cpod_err *err, const char *name)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 1 : err_sys(err, "stat %s", path);
	if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111)) {
		err_set(err, CPOD_E_EXEC_NOEXEC, "exec: \"%s\": permission denied", name);
		return -1;
	}
	return 0;
}

/* As runc: when the env has no HOME, the user's home from the container's
 * /etc/passwd, or "/".  Read now, while still privileged. */
static void process_find_home(const oci_process *p, oci_exec_target *t)
{
	char line[2048];
	t->home[0] = '\0';
	for (size_t i = 0; p->env && i < p->n_env; i++)
		if (strncmp(p->env[i], "HOME=", 5) == 0)
			return;
	snprintf(t->home, sizeof(t->home), "HOME=/");
	FILE *f = fopen("/etc/passwd", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *field[7] = { NULL };
		int n = 0;
		line[strcspn(line, "\n")] = '\0';
		while (n < 7 && (field[n] = strsep(&s, ":")))
			n++;
		if (n < 6)
			continue;
		char *end;
		unsigned long uid = strtoul(field[2], &end, 10);
		if (*field[2] && !*end && uid == p->uid && *field[5]) {
			snprintf(t->home, sizeof(t->home), "HOME=%s", field[5]);
			break;
		}
	}
	fclose(f);
}

CPOD_INTERNAL int process_lookup(const oci_process *p, oci_exec_target *t, cpod_err *err)
{
	process_find_home(p, t);
	const char *name = p->args && p->args[0] ? p->args[0] : NULL;
	if (!name || !*name)
		return err_set(err, CPOD_E_INVALID, "process.args must not be empty");
	if (strchr(name, '/')) {
		int r = process_check_exec(name, err, name);
		if (r < 0)
			return -1;
		if (r > 0)
			return err_set(err, CPOD_E_EXEC_NOTFOUND, "exec: \"%s\": no such file or directory", name);
		snprintf(t->path, sizeof(t->path), "%s", name);
		return 0;
	}
	const char *path = process_env_path(p);
	bool found_noexec = false;
	while (*path) {
		size_t n = strcspn(path, ":");
		char cand[PATH_MAX];
		if (n == 0)
			snprintf(cand, sizeof(cand), "./%s", name);
		else
			snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, path, name);
		cpod_err e2;
		int r = process_check_exec(cand, &e2, name);
		if (r == 0) {
			snprintf(t->path, sizeof(t->path), "%s", cand);
			return 0;
		}
		if (r < 0 && e2.code == CPOD_E_EXEC_NOEXEC)
			found_noexec = true;
		path += n;
		if (*path == ':')
			path++;
	}
	if (found_noexec)
		return err_set(err, CPOD_E_EXEC_NOEXEC, "exec: \"%s\": permission denied", name);
	return err_set(err, CPOD_E_EXEC_NOTFOUND, "exec: \"%s\": executable file not found in $PATH",
		       name);
}

CPOD_INTERNAL int process_limits(const oci_process *p, cpod_err *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		struct rlimit rl = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
		if (setrlimit(p->rlimits[i].resource, &rl) < 0)
			return err_sys(err, "set %s", p->rlimits[i].name);
	}
	if (p->has_io_priority &&
	    syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0,
		    (p->io_priority_class << 13) | p->io_priority) < 0)
		return err_sys(err, "set the I/O priority");
	return 0;
}

CPOD_INTERNAL int process_drop_privileges(const oci_process *p, bool in_userns,
					  seccomp_filter *seccomp, cpod_err *err)
{
	if (p->has_caps && caps_apply_bounding(&p->caps, err) < 0)
		return -1;
	if (seccomp && !p->no_new_privileges && seccomp_load_filter(seccomp, err) < 0)
		return err_prefix(err, "seccomp");
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return err_sys(err, "keep capabilities");
	if (p->n_additional_gids) {
		gid_t *g = calloc(p->n_additional_gids, sizeof(*g));
		if (!g)
			return err_nomem(err);
		for (size_t i = 0; i < p->n_additional_gids; i++)
			g[i] = p->additional_gids[i];
		int r = setgroups(p->n_additional_gids, g);
		free(g);
		if (r < 0)
			return err_sys(err, "set additional groups%s",
				       in_userns ? " (is setgroups denied in the user namespace?)" : "");
	} else if (setgroups(0, NULL) < 0 && !(in_userns && errno == EPERM)) {
		return err_sys(err, "clear additional groups");
	}
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return err_sys(err, "set gid %u", p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return err_sys(err, "set uid %u", p->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return err_sys(err, "reset keep-capabilities");
	if (p->has_caps && caps_apply_sets(&p->caps, err) < 0)
		return -1;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_sys(err, "set no_new_privs");
	if (seccomp && p->no_new_privileges && seccomp_load_filter(seccomp, err) < 0)
		return err_prefix(err, "seccomp");
	return 0;
}

CPOD_INTERNAL int process_seccomp_listener(oci_container *c, pid_t pid, const char *state_json,
					   cpod_err *err)
{
	if (c->listener_fd < 0 || !c->seccomp)
		return 0;
	int nfd = seccomp_filter_notify_fd(c->seccomp);
	int r = nfd < 0 ? err_set(err, CPOD_E_SYS, "seccomp: no notify fd to hand over")
			: seccomp_listener_send_fd(c->listener_fd, nfd, pid,
						   seccomp_filter_listener_metadata(c->seccomp),
						   state_json, err);
	if (nfd >= 0)
		close(nfd);
	close(c->listener_fd);
	c->listener_fd = -1;
	return r;
}

CPOD_INTERNAL void process_close_fds(int preserve_fds, int keep)
{
	unsigned first = 3 + (unsigned)(preserve_fds > 0 ? preserve_fds : 0);
	/* preserved fds must survive execve */
	for (unsigned fd = 3; fd < first; fd++) {
		int fl = fcntl((int)fd, F_GETFD);
		if (fl >= 0)
			fcntl((int)fd, F_SETFD, fl & ~FD_CLOEXEC);
	}
	/* the rest close at execve (the ones we still use stay open until then) */
	if (keep >= (int)first) {
		if (keep > (int)first)
			syscall(SYS_close_range, first, (unsigned)keep - 1, 4 /* CLOSE_RANGE_CLOEXEC */);
		syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 4);
	} else if (syscall(SYS_close_range, first, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) < 0) {
		/* kernels before 5.11: walk the open fds */
		for (int fd = (int)first; fd < 65536; fd++)
			if (fd != keep)
				fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
}

CPOD_INTERNAL int process_exec(const oci_process *p, const oci_exec_target *t, cpod_err *err)
{
	static const char *const empty[] = { NULL };
	const char *const *env = p->env ? (const char *const *)p->env : empty;
	sigset_t none;

	if (t->home[0]) {
		size_t n = 0;
		while (env[n])
			n++;
		const char **with_home = calloc(n + 2, sizeof(*with_home));
		if (with_home) {
			memcpy(with_home, env, n * sizeof(*with_home));
			with_home[n] = t->home;
			env = with_home;
		}
	}

	/* the program starts with default signal handling and nothing blocked */
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(t->path, (char *const *)p->args, (char *const *)env);
	if (errno == ENOENT)
		return err_set(err, CPOD_E_EXEC_NOTFOUND, "exec: \"%s\": no such file or directory",
			       p->args[0]);
	if (errno == EACCES || errno == ENOEXEC || errno == EISDIR) {
		err_sysn(err, errno, "exec \"%s\"", p->args[0]);
		if (err)
			err->code = CPOD_E_EXEC_NOEXEC;
		return -1;
	}
	return err_sys(err, "exec \"%s\"", p->args[0]);
}

/* Personality and umask: part of the init's setup. */
CPOD_INTERNAL int process_personality(const oci_linux *l, cpod_err *err)
{
	if (l->has_personality && personality(l->personality) < 0)
		return err_sys(err, "set personality");
	return 0;
}
