/*
 * runtime.c — the public OCI runtime verbs (cpod_runtime_* of cpod.h):
 * start, run, state, kill, delete, pause, resume, list, pids, update, stats.
 *
 * Every verb that changes a container takes its lock first.  A container's
 * process is only ever signalled through a pidfd opened after checking its
 * start time, so a recycled pid is never hit.
 */
#include "runtime.h"
#include "hooks.h"
#include "../base/fs.h"
#include "../base/proc.h"
#include <dirent.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static const char *rt_default_root(char *out, size_t n)
{
	if (geteuid() == 0)
		return "/run/cpod-runc";
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg && *xdg)
		snprintf(out, n, "%s/cpod-runc", xdg);
	else
		snprintf(out, n, "/tmp/cpod-runc-%u", (unsigned)geteuid());
	return out;
}

cpod_runtime *cpod_runtime_open(const cpod_runtime_opts *opts, cpod_err *err)
{
	char def[PATH_MAX];
	const char *root = opts && opts->root ? opts->root : rt_default_root(def, sizeof(def));
	cpod_runtime *rt = calloc(1, sizeof(*rt));

	if (!rt) {
		err_nomem(err);
		return NULL;
	}
	if (strlen(root) >= sizeof(rt->root)) {
		free(rt);
		err_set(err, CPOD_E_INVALID, "root path too long");
		return NULL;
	}
	strcpy(rt->root, root);
	rt->rootless = geteuid() != 0;
	rt->rootfd = state_root_open(root, err);
	if (rt->rootfd < 0) {
		free(rt);
		return NULL;
	}
	if (rt->rootless) {
		/* a shared /tmp fallback must be ours alone */
		struct stat st;
		if (fstat(rt->rootfd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 0077)) {
			close(rt->rootfd);
			free(rt);
			err_set(err, CPOD_E_PERM, "%s is not a private directory of this user", root);
			return NULL;
		}
	}
	/* only once the root is known to be ours: the cache's programs are
	 * loaded as they are found */
	{
		char cache[PATH_MAX];
		if (fs_join(cache, sizeof(cache), rt->root, ".seccomp", NULL) == 0 &&
		    (mkdirat(rt->rootfd, ".seccomp", 0700) == 0 || errno == EEXIST))
			seccomp_set_cache(cache);
	}
	return rt;
}

void cpod_runtime_close(cpod_runtime *rt)
{
	if (!rt)
		return;
	close(rt->rootfd);
	free(rt);
}

const char *cpod_runtime_root(const cpod_runtime *rt) { return rt->root; }

CPOD_INTERNAL int oci_load(cpod_runtime *rt, const char *id, int *dirfd, oci_state *st,
			   cpod_err *err)
{
	*dirfd = state_dir_open(rt->rootfd, id, err);
	if (*dirfd < 0)
		return -1;
	if (state_load(*dirfd, st, err) < 0) {
		close(*dirfd);
		*dirfd = -1;
		return err_prefix(err, "container %s", id);
	}
	return 0;
}

CPOD_INTERNAL oci_spec *oci_saved_config(cpod_runtime *rt, const char *id, cpod_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	if (fs_join(dir, sizeof(dir), rt->root, id, err) < 0 ||
	    fs_join(path, sizeof(path), dir, "config.json", err) < 0)
		return NULL;
	return oci_spec_load(NULL, path, err);
}

/* Opens a pidfd on the init, after checking it is still the same process. */
static int rt_pidfd(const oci_state *st)
{
	int fd = proc_pidfd_open(st->pid);
	if (fd < 0)
		return -1;
	if (!proc_is(st->pid, st->start_time)) {
		close(fd);
		errno = ESRCH;
		return -1;
	}
	return fd;
}

static int rt_signal(const oci_state *st, int sig, cpod_err *err)
{
	int fd = rt_pidfd(st);
	if (fd < 0) {
		if (errno == ESRCH)
			return err_set(err, CPOD_E_STATE, "the container is not running");
		/* no pidfds (old kernel): the start time check must do */
		if (!proc_is(st->pid, st->start_time) || kill(st->pid, sig) < 0)
			return err_sys(err, "signal %d", sig);
		return 0;
	}
	long r = syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
	int e = errno;
	close(fd);
	if (r < 0)
		return err_sysn(err, e, "signal %d", sig);
	return 0;
}

/* Waits (up to timeout_ms) until the init is gone. */
static bool rt_wait_gone(const oci_state *st, int timeout_ms)
{
	int fd = rt_pidfd(st);
	if (fd >= 0) {
		proc_poll_in(fd, timeout_ms);
		close(fd);
	}
	int64_t deadline = proc_now_ms() + timeout_ms;
	while (proc_is(st->pid, st->start_time)) {
		if (proc_now_ms() > deadline)
			return false;
		usleep(2000);
	}
	return true;
}

int cpod_runtime_start(cpod_runtime *rt, const char *id, cpod_err *err)
{
	oci_state st;
	int dirfd, lockfd, r = -1;
	_cleanup_spec_ oci_spec *spec = NULL;
	_cleanup_close_ int fifo = -1;
	_cleanup_close_ int pidfd = -1;

	if (oci_load(rt, id, &dirfd, &st, err) < 0)
		return err_prefix(err, "start");
	lockfd = state_lock(dirfd, err);
	if (lockfd < 0)
		goto out;
	enum oci_status s = state_status(dirfd, &st);
	if (s != ST_CREATED) {
		err_set(err, CPOD_E_STATE, s == ST_STOPPED ? "cannot start a container that has stopped"
							  : "cannot start an already running container");
		goto out;
	}
	/* Opening the read side lets the init's open for writing complete;
	 * it then writes one byte.  Non-blocking, so a dead init cannot hang
	 * us: poll the FIFO and the init's pidfd together. */
	fifo = openat(dirfd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fifo < 0) {
		err_sys(err, "open the exec fifo");
		goto out;
	}
	pidfd = rt_pidfd(&st);
	for (;;) {
		struct pollfd fds[2] = { { .fd = fifo, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
		char c;
		if (poll(fds, 2, pidfd >= 0 ? -1 : 100) < 0 && errno != EINTR) {
			err_sys(err, "poll");
			goto out;
		}
		ssize_t n = read(fifo, &c, 1);
		if (n == 1)
			break;
		if ((fds[1].revents & POLLIN) || !proc_is(st.pid, st.start_time)) {
			err_set(err, CPOD_E_STATE, "the container's init exited before start");
			goto out;
		}
	}
	unlinkat(dirfd, "exec.fifo", 0);
	{
		/* poststart hooks: from the config saved at create */
		spec = oci_saved_config(rt, id, NULL);
		if (spec && spec->hooks.n[HOOK_POSTSTART]) {
			_cleanup_buf_ buf b = BUF_INIT;
			if (state_to_json(&st, ST_RUNNING, &b, NULL) == 0)
				hooks_run(&spec->hooks, HOOK_POSTSTART, b.data, NULL);
		}
	}
	r = 0;
out:
	if (lockfd >= 0)
		close(lockfd);
	close(dirfd);
	state_clear(&st);
	return r < 0 ? err_prefix(err, "start %s", id) : 0;
}

char *cpod_runtime_state(cpod_runtime *rt, const char *id, cpod_err *err)
{
	oci_state st;
	int dirfd;
	buf b = BUF_INIT;

	if (oci_load(rt, id, &dirfd, &st, err) < 0)
		return NULL;
	int r = state_to_json(&st, state_status(dirfd, &st), &b, err);
	close(dirfd);
	state_clear(&st);
	if (r < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b, err);
}

int cpod_runtime_kill(cpod_runtime *rt, const char *id, int sig, int all, cpod_err *err)
{
	oci_state st;
	int dirfd, r;

	if (sig <= 0 || sig >= NSIG)
		return err_set(err, CPOD_E_INVALID, "kill %s: bad signal %d", id, sig);
	if (oci_load(rt, id, &dirfd, &st, err) < 0)
		return err_prefix(err, "kill");
	if (state_status(dirfd, &st) == ST_STOPPED && !all)
		r = err_set(err, CPOD_E_STATE, "container not running");
	else if (all && st.has_cgroup)
		r = cg_kill_all(&st.cg, sig, err);
	else if (state_status(dirfd, &st) == ST_STOPPED)
		r = 0;
	else
		r = rt_signal(&st, sig, err);
	close(dirfd);
	state_clear(&st);
	return r < 0 ? err_prefix(err, "kill %s", id) : 0;
}

/* Kills whatever is left, runs poststop hooks, removes cgroup and state. */
static int rt_destroy(cpod_runtime *rt, const char *id, int dirfd, oci_state *st, cpod_err *err)
{
	if (st->pid > 0 && proc_is(st->pid, st->start_time)) {
		if (st->has_cgroup)
			cg_kill_all(&st->cg, SIGKILL, NULL);
		rt_signal(st, SIGKILL, NULL);
		if (!rt_wait_gone(st, 10000))
			return err_set(err, CPOD_E_STATE, "the container's init does not die");
	} else if (st->has_cgroup && !st->own_pidns) {
		/* without its own pid namespace, the init's death did not take
		 * the other processes with it */
		cg_kill_all(&st->cg, SIGKILL, NULL);
	}
	oci_spec *spec = oci_saved_config(rt, id, NULL);
	if (spec && spec->hooks.n[HOOK_POSTSTOP]) {
		_cleanup_buf_ buf b = BUF_INIT;
		if (state_to_json(st, ST_STOPPED, &b, NULL) == 0)
			hooks_run(&spec->hooks, HOOK_POSTSTOP, b.data, NULL);
	}
	oci_spec_free(spec);
	if (st->has_cgroup && cg_destroy(&st->cg, err) < 0)
		return err_prefix(err, "remove the cgroup");
	(void)dirfd;
	return fs_rm_tree(rt->rootfd, id, err);
}

int cpod_runtime_delete(cpod_runtime *rt, const char *id, int force, cpod_err *err)
{
	oci_state st;
	int dirfd, lockfd, r;

	dirfd = state_dir_open(rt->rootfd, id, err);
	if (dirfd < 0)
		return err_prefix(err, "delete");
	lockfd = state_lock(dirfd, err);
	if (lockfd < 0) {
		close(dirfd);
		return err_prefix(err, "delete %s", id);
	}
	if (state_load(dirfd, &st, NULL) < 0) {
		/* a create that died before writing any state: nothing runs */
		r = fs_rm_tree(rt->rootfd, id, err);
		goto out_nostate;
	}
	enum oci_status s = state_status(dirfd, &st);
	if ((s == ST_RUNNING || s == ST_PAUSED) && !force) {
		r = err_set(err, CPOD_E_STATE, "cannot delete container %s that is not stopped: %s", id,
			    oci_status_name(s));
	} else {
		if (s == ST_PAUSED)
			cg_freeze(&st.cg, false, NULL);
		r = rt_destroy(rt, id, dirfd, &st, err);
	}
	state_clear(&st);
out_nostate:
	close(lockfd);
	close(dirfd);
	return r < 0 ? err_prefix(err, "delete %s", id) : 0;
}

static int rt_freeze(cpod_runtime *rt, const char *id, bool frozen, cpod_err *err)
{
	oci_state st;
	int dirfd, r;
	if (oci_load(rt, id, &dirfd, &st, err) < 0)
		return -1;
	enum oci_status s = state_status(dirfd, &st);
	if (!st.has_cgroup)
		r = err_set(err, CPOD_E_UNSUPPORTED, "the container has no cgroup to freeze");
	else if (frozen && s != ST_RUNNING)
		r = err_set(err, CPOD_E_STATE, "the container is not running but %s", oci_status_name(s));
	else if (!frozen && s != ST_PAUSED)
		r = err_set(err, CPOD_E_STATE, "the container is not paused but %s", oci_status_name(s));
	else
		r = cg_freeze(&st.cg, frozen, err);
	close(dirfd);
	state_clear(&st);
	return r;
}

int cpod_runtime_pause(cpod_runtime *rt, const char *id, cpod_err *err)
{
	return rt_freeze(rt, id, true, err) < 0 ? err_prefix(err, "pause %s", id) : 0;
}

int cpod_runtime_resume(cpod_runtime *rt, const char *id, cpod_err *err)
{
	return rt_freeze(rt, id, false, err) < 0 ? err_prefix(err, "resume %s", id) : 0;
}

char *cpod_runtime_list(cpod_runtime *rt, cpod_err *err)
{
	buf b = BUF_INIT;
	json_w w;
	int fd = dup(rt->rootfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		err_sys(err, "list %s", rt->root);
		return NULL;
	}
	rewinddir(d);
	jw_init(&w, &b, NULL);
	jw_arr_begin(&w);
	struct dirent *de;
	while ((de = readdir(d))) {
		oci_state st;
		int dirfd;
		cpod_err e;
		if (de->d_name[0] == '.' || !oci_valid_id(de->d_name))
			continue;
		if (oci_load(rt, de->d_name, &dirfd, &st, &e) < 0)
			continue;
		_cleanup_buf_ buf one = BUF_INIT;
		if (state_to_json(&st, state_status(dirfd, &st), &one, NULL) == 0) {
			json_doc *doc = json_parse(one.data, one.len, NULL, NULL);
			jw_value(&w, json_root(doc));
			json_doc_free(doc);
		}
		close(dirfd);
		state_clear(&st);
	}
	closedir(d);
	jw_arr_end(&w);
	if (jw_finish(&w, err) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b, err);
}

int cpod_runtime_pids(cpod_runtime *rt, const char *id, pid_t **pids, size_t *n, cpod_err *err)
{
	oci_state st;
	int dirfd, r = 0;
	*pids = NULL;
	*n = 0;
	if (oci_load(rt, id, &dirfd, &st, err) < 0)
		return -1;
	enum oci_status s = state_status(dirfd, &st);
	if (st.has_cgroup) {
		r = cg_pids(&st.cg, pids, n, err);
	} else if (s != ST_STOPPED) {
		*pids = malloc(sizeof(pid_t));
		if (!*pids)
			r = err_nomem(err);
		else {
			(*pids)[0] = st.pid;
			*n = 1;
		}
	}
	close(dirfd);
	state_clear(&st);
	return r;
}

int cpod_runtime_update(cpod_runtime *rt, const char *id, const char *resources_json,
			cpod_err *err)
{
	oci_state st;
	oci_resources res;
	mem_pool pool = { 0 };
	int dirfd, r = -1;

	json_doc *doc = json_parse(resources_json, strlen(resources_json), NULL, err);
	if (!doc)
		return err_prefix(err, "update %s: resources", id);
	if (oci_load(rt, id, &dirfd, &st, err) < 0) {
		json_doc_free(doc);
		return err_prefix(err, "update");
	}
	int lockfd = state_lock(dirfd, err);
	if (lockfd < 0)
		goto out;
	if (state_status(dirfd, &st) == ST_STOPPED) {
		err_set(err, CPOD_E_STATE, "the container is not running");
	} else if (!st.has_cgroup) {
		err_set(err, CPOD_E_UNSUPPORTED, "the container has no cgroup");
	} else if (oci_resources_parse(json_root(doc), &res, &pool, "resources", err) == 0) {
		r = cg_update(&st.cg, &res, err);
	}
	close(lockfd);
out:
	pool_free(&pool);
	json_doc_free(doc);
	close(dirfd);
	state_clear(&st);
	return r < 0 ? err_prefix(err, "update %s", id) : 0;
}

char *cpod_runtime_stats(cpod_runtime *rt, const char *id, cpod_err *err)
{
	oci_state st;
	int dirfd;
	buf b = BUF_INIT;
	json_w w;

	if (oci_load(rt, id, &dirfd, &st, err) < 0)
		return NULL;
	jw_init(&w, &b, NULL);
	jw_obj_begin(&w);
	jw_kstr(&w, "type", "stats");
	jw_kstr(&w, "id", id);
	jw_key(&w, "data");
	int r = 0;
	if (st.has_cgroup) {
		r = cg_stats(&st.cg, &w, err);
	} else {
		jw_obj_begin(&w);
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
	close(dirfd);
	state_clear(&st);
	if (r < 0 || jw_finish(&w, err) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b, err);
}

CPOD_INTERNAL long oci_oom_kills(cpod_runtime *rt, const char *id)
{
	oci_state st;
	int dirfd;
	long n = -1;
	if (oci_load(rt, id, &dirfd, &st, NULL) < 0)
		return -1;
	if (st.has_cgroup)
		n = cg_oom_kills(&st.cg);
	close(dirfd);
	state_clear(&st);
	return n;
}

int cpod_runtime_create(cpod_runtime *rt, const char *id, const cpod_create_opts *opts,
			cpod_err *err)
{
	oci_created c;
	return oci_create(rt, id, opts, NULL, false, &c, err);
}

int cpod_runtime_run(cpod_runtime *rt, const char *id, const cpod_create_opts *opts,
		     int *status, cpod_err *err)
{
	oci_created c;
	sigset_t old;
	int wstatus = 0, r;

	*status = 0;
	if (opts->detach) {
		if (oci_create(rt, id, opts, NULL, false, &c, err) < 0)
			return -1;
		return cpod_runtime_start(rt, id, err);
	}
	/* signals that arrive from now on are passed to the container */
	foreground_block_signals(&old);
	if (oci_create(rt, id, opts, NULL, true, &c, err) < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	if (cpod_runtime_start(rt, id, err) < 0) {
		if (c.master >= 0)
			close(c.master);
		cpod_runtime_delete(rt, id, 1, NULL);
		proc_wait(c.pid, NULL, 0);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	r = foreground_wait(c.pid, c.master, false, &wstatus, err);
	if (c.master >= 0)
		close(c.master);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		return -1;
	*status = proc_exit_code(wstatus);
	if (!opts->keep && cpod_runtime_delete(rt, id, 1, err) < 0)
		return -1;
	return 0;
}
