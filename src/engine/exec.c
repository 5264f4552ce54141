/*
 * exec.c — `exec`: a new process in a running container, as podman runs
 * one: the container's environment with the given variables on top, its
 * working directory and user unless others are asked for (a user is
 * resolved in the container's own /etc/passwd and /etc/group, as the
 * running container has them), with privileged every capability of our own
 * bounding set.
 *
 * In the foreground the process is our stdio's (a pty proxied from them
 * with tty; without interactive it reads nothing).  Detached, it gets
 * /dev/null and runs on its own; a detached process gets no terminal.
 */
#include "container.h"
#include "userdb.h"
#include "../oci/caps.h"
#include "../base/proc.h"
#include <sys/prctl.h>
#include <sys/wait.h>

/* The -e / --env-file variables (options_env, as create reads them) and
 * room for TERM and HOME. */
typedef struct exec_env {
	const char **v;
	size_t n;
} exec_env;

static bool exec_env_has(const exec_env *l, const char *key, size_t klen)
{
	for (size_t i = 0; i < l->n; i++)
		if (strncmp(l->v[i], key, klen) == 0 && l->v[i][klen] == '=')
			return true;
	return false;
}

static int exec_env_make(const cpod_ctr_exec_opts *o, exec_env *env, mem_pool *pool,
			 cpod_err *err)
{
	const char **given;
	size_t n;
	if (options_env(o->env_files, o->env, &given, &n, pool, err) < 0)
		return -1;
	env->v = pool_calloc(pool, n + 3, sizeof(char *), err);
	if (!env->v)
		return -1;
	if (n)
		memcpy(env->v, given, n * sizeof(char *));
	env->n = n;
	return 0;
}

/* "uid:gid" and the groups of o->user, read in the container's root. */
static int exec_user(const ctr_record *r, const char *spec, userdb_user *u, cpod_err *err)
{
	char root[64];
	snprintf(root, sizeof(root), "/proc/%d/root", (int)r->pid);
	_cleanup_close_ int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open the root of %s", r->name);
	/* the pid must still be the container's init */
	if (!ctr_running(r))
		return err_set(err, CPOD_E_STATE, "container %s is not running", r->name);
	return userdb_resolve_in(fd, spec, u, err);
}

static int exec_run(cpod_engine *e, const ctr_record *r, const cpod_ctr_exec_opts *o,
		    int *status, cpod_err *err)
{
	mem_pool pool = { 0 };
	exec_env env = { 0 };
	const char *caps[64];
	char user[32];
	userdb_user u;
	int rc = -1;

	if (exec_env_make(o, &env, &pool, err) < 0)
		goto out;
	if (o->tty && !o->detach && !exec_env_has(&env, "TERM", 4))
		env.v[env.n++] = "TERM=xterm";
	cpod_exec_opts xo = {
		.cwd = o->workdir && *o->workdir ? o->workdir : NULL,
		.tty = o->tty && !o->detach,
		.stdin_null = !o->interactive || o->detach,
		.detach = o->detach,
	};
	if (o->user && *o->user) {
		if (exec_user(r, o->user, &u, err) < 0)
			goto out;
		snprintf(user, sizeof(user), "%u:%u", u.uid, u.gid);
		xo.user = user;
		xo.additional_gids = u.gids;
		xo.n_additional_gids = u.n_gids;
		if (!exec_env_has(&env, "HOME", 4)) {
			size_t len = strlen(u.home) + 6;
			char *home = pool_alloc(&pool, len, err);
			if (!home)
				goto out;
			snprintf(home, len, "HOME=%s", u.home);
			env.v[env.n++] = home;
		}
	}
	env.v[env.n] = NULL;
	xo.env = env.n ? env.v : NULL;
	if (o->privileged) {
		size_t n = 0;
		/* all we have ourselves */
		for (int c = 0; c <= caps_last() && n + 1 < ARRAY_LEN(caps); c++)
			if (caps_name(c) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
				caps[n++] = caps_name(c);
		caps[n] = NULL;
		xo.caps = caps;
	}
	xo.args = o->args;
	rc = cpod_runtime_exec(e->rt, r->id, &xo, status, err);
out:
	pool_free(&pool);
	return rc;
}

/* Detached: a child with /dev/null for stdio starts it (so our own stdio
 * stays ours) and reports how that went. */
static int exec_detached(cpod_engine *e, const ctr_record *r, const cpod_ctr_exec_opts *o,
			 cpod_err *err)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return err_sys(err, "fork");
	}
	if (pid == 0) {
		cpod_err e2;
		int status = 0;
		cpod_err_clear(&e2);
		close(pipefd[0]);
		setsid();
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		int rc = exec_run(e, r, o, &status, &e2);
		if (rc < 0)
			write_all(pipefd[1], &e2, sizeof(e2));
		_exit(rc < 0 ? 1 : 0);
	}
	close(pipefd[1]);
	cpod_err got;
	ssize_t n = RETRY_EINTR(read(pipefd[0], &got, sizeof(got)));
	close(pipefd[0]);
	proc_wait(pid, NULL, 0);
	if (n == (ssize_t)sizeof(got)) {
		got.msg[sizeof(got.msg) - 1] = '\0';
		if (err)
			*err = got;
		return -1;
	}
	return 0;
}

int cpod_container_exec(cpod_engine *e, const char *ctr, const cpod_ctr_exec_opts *o, int *status,
			cpod_err *err)
{
	ctr_record r;
	int rc;

	*status = 0;
	if (!o->args || !o->args[0])
		return err_set(err, CPOD_E_INVALID, "exec: a command is required");
	if (ctr_find(e, ctr, &r, err) < 0)
		return -1;
	if (!ctr_running(&r))
		rc = err_set(err, CPOD_E_STATE,
			     "can only create exec sessions on running containers: container %s is %s",
			     r.name, ctr_status_name(r.status));
	else if (o->detach)
		rc = exec_detached(e, &r, o, err);
	else
		rc = exec_run(e, &r, o, status, err);
	ctr_record_free(&r);
	return rc;
}
