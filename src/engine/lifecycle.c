/*
 * lifecycle.c — start, run, attach, stop, kill, restart, pause, unpause,
 * wait, rename, remove and prune of containers (cpod_container_*).
 *
 * The supervisor (supervisor.c) owns a running container; these verbs
 * either ask it (through the attach socket) or act on the container
 * through the runtime and let the supervisor record the outcome.  A user's
 * stop or kill is written into the record first, so the supervisor knows
 * not to restart what the user stopped.
 */
#include "attach.h"
#include "container.h"
#include "options.h"
#include "../base/proc.h"
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>

CPOD_INTERNAL int sup_spawn(cpod_engine *e, const ctr_record *r, bool wait_attach, cpod_err *err);

int cpod_container_start(cpod_engine *e, const char *ctr, cpod_err *err)
{
	ctr_record r;
	if (ctr_find(e, ctr, &r, err) < 0)
		return -1;
	int rc = 0;
	if (!ctr_running(&r))
		rc = sup_spawn(e, &r, false, err);
	ctr_record_free(&r);
	return rc < 0 ? err_prefix(err, "start %s", ctr) : 0;
}

/* ---------------------------------------------------------------- attach */

/* "ctrl-p,ctrl-q" -> the bytes; false when malformed. */
static bool lc_detach_keys(const char *spec, unsigned char *keys, size_t *n)
{
	char copy[64];
	*n = 0;
	if (!spec || !*spec)
		return true; /* no detaching */
	snprintf(copy, sizeof(copy), "%s", spec);
	for (char *t = strtok(copy, ","); t; t = strtok(NULL, ",")) {
		if (*n >= 8)
			return false;
		if (strncmp(t, "ctrl-", 5) == 0 && strlen(t) == 6) {
			char c = t[5];
			if (c >= 'a' && c <= 'z')
				keys[(*n)++] = (unsigned char)(c - 'a' + 1);
			else if (c == '@')
				keys[(*n)++] = 0;
			else if (c >= '[' && c <= '_')
				keys[(*n)++] = (unsigned char)(c - '[' + 27);
			else
				return false;
		} else if (strlen(t) == 1) {
			keys[(*n)++] = (unsigned char)t[0];
		} else {
			return false;
		}
	}
	return true;
}

static void lc_send_size(int sock, int tty)
{
	struct winsize ws;
	char msg[32];
	if (ioctl(tty, TIOCGWINSZ, &ws) == 0) {
		snprintf(msg, sizeof(msg), "%u %u", ws.ws_row, ws.ws_col);
		attach_send(sock, AF_RESIZE, msg, strlen(msg));
	}
}

/* The client loop over an attach connection.  *status: the exit status, or
 * -1 when detached.  An AF_ERROR from the supervisor becomes err. */
static int lc_attach_fd(int sock, bool tty, int in, int out, int errfd, const char *detach_keys,
			int *status, cpod_err *err)
{
	unsigned char keys[8];
	size_t nkeys = 0, matched = 0;
	struct termios saved;
	bool raw = false;
	buf p = BUF_INIT;
	int r = -1;
	sigset_t mask, old;

	*status = CPOD_STATUS_DETACHED;
	if (!lc_detach_keys(detach_keys, keys, &nkeys)) {
		return err_set(err, CPOD_E_INVALID, "--detach-keys \"%s\": use ctrl-<letter> sequences, like ctrl-p,ctrl-q",
			       detach_keys);
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, &old);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (tty && in >= 0 && isatty(in) && tcgetattr(in, &saved) == 0) {
		struct termios t = saved;
		cfmakeraw(&t);
		raw = tcsetattr(in, TCSANOW, &t) == 0;
		lc_send_size(sock, in);
	}
	for (;;) {
		struct pollfd fds[3] = {
			{ .fd = sock, .events = POLLIN },
			{ .fd = in, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			err_sys(err, "poll");
			break;
		}
		if (fds[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				;
			if (raw)
				lc_send_size(sock, in);
		}
		if (fds[1].revents & (POLLIN | POLLHUP)) {
			unsigned char b[4096];
			ssize_t n = read(in, b, sizeof(b));
			if (n <= 0) {
				attach_send(sock, AF_STDIN_EOF, NULL, 0);
				in = -1;
			} else {
				/* the detach keys, possibly across reads */
				bool detach = false;
				for (ssize_t i = 0; i < n && nkeys; i++) {
					matched = b[i] == keys[matched] ? matched + 1 : (b[i] == keys[0] ? 1 : 0);
					if (matched == nkeys) {
						detach = true;
						break;
					}
				}
				if (detach) {
					r = 0;
					*status = CPOD_STATUS_DETACHED;
					break;
				}
				if (attach_send(sock, AF_STDIN, b, (size_t)n) < 0) {
					in = -1;
				}
			}
		}
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			int type;
			int k = attach_recv(sock, &type, &p, err);
			if (k <= 0) {
				/* the supervisor went away without an exit frame */
				if (k == 0)
					err_set(err, CPOD_E_SYS, "the container's supervisor went away");
				break;
			}
			if (type == AF_STDOUT && out >= 0)
				write_all(out, p.data, p.len);
			else if (type == AF_STDERR)
				write_all(errfd >= 0 ? errfd : out, p.data, p.len);
			else if (type == AF_EXIT) {
				*status = atoi(p.data);
				r = 0;
				break;
			} else if (type == AF_ERROR) {
				int code = CPOD_E_SYS;
				char *msg = p.data;
				if (msg && sscanf(msg, "%d", &code) == 1)
					msg = strchr(msg, ' ') ? strchr(msg, ' ') + 1 : msg;
				err_set(err, code, "%s", msg ? msg : "the container did not start");
				break;
			}
		}
	}
	if (raw)
		tcsetattr(in >= 0 ? in : 0, TCSANOW, &saved);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	buf_free(&p);
	return r;
}

int cpod_container_attach(cpod_engine *e, const char *ctr, int in, int out, int errfd,
			  const char *detach_keys, int *status, cpod_err *err)
{
	ctr_record r;
	if (ctr_find(e, ctr, &r, err) < 0)
		return -1;
	if (!ctr_running(&r)) {
		ctr_record_free(&r);
		return err_set(err, CPOD_E_STATE, "you can only attach to running containers");
	}
	int sock = attach_connect(e, r.id, err);
	int rc = -1;
	if (sock >= 0) {
		rc = lc_attach_fd(sock, r.life.tty, r.life.interactive ? in : -1, out, errfd,
				  detach_keys ? detach_keys : r.life.detach_keys, status, err);
		close(sock);
	}
	ctr_record_free(&r);
	return rc;
}

/* ---------------------------------------------------------------- run */

int cpod_run(cpod_engine *e, const cpod_run_opts *o, int *status, cpod_err *err)
{
	ctr_record r;
	*status = 0;
	if (o->detach)
		return err_set(err, CPOD_E_INVALID, "cpod_run: use cpod_run_detached for --detach");
	if (ctr_create(e, o, &r, err) < 0)
		return -1;
	int rc = sup_spawn(e, &r, true, err);
	if (rc == 0) {
		int sock = attach_connect(e, r.id, err);
		if (sock < 0) {
			rc = -1;
		} else {
			rc = lc_attach_fd(sock, r.life.tty, o->interactive ? 0 : -1, 1, 2, r.life.detach_keys,
					  status, err);
			close(sock);
			if (rc == 0 && *status == CPOD_STATUS_DETACHED)
				*status = 0; /* detached: the container goes on */
		}
	}
	ctr_record_free(&r);
	return rc;
}

char *cpod_run_detached(cpod_engine *e, const cpod_run_opts *o, cpod_err *err)
{
	ctr_record r;
	if (ctr_create(e, o, &r, err) < 0)
		return NULL;
	char *id = NULL;
	if (sup_spawn(e, &r, false, err) == 0 && !(id = strdup(r.id)))
		err_nomem(err);
	ctr_record_free(&r);
	return id;
}

/* ---------------------------------------------------------------- stop, kill */

static int lc_mark_stop(cpod_engine *e, ctr_record *r, cpod_err *err)
{
	int lock = ctr_lock(e, r->id, err);
	if (lock < 0)
		return -1;
	int rc = ctr_reload(e, r, err);
	if (rc == 0) {
		r->stop_requested = true;
		rc = ctr_save(e, r, err);
	}
	close(lock);
	return rc;
}

/* Waits for the supervisor to record the end (bounded). */
static void lc_wait_recorded(cpod_engine *e, ctr_record *r, int timeout_ms)
{
	int64_t deadline = proc_now_ms() + timeout_ms;
	while (proc_now_ms() < deadline) {
		if (ctr_reload(e, r, NULL) < 0)
			return; /* removed (--rm) */
		if (r->status != CTR_RUNNING && !proc_is(r->sup_pid, r->sup_start))
			return;
		if (r->status == CTR_EXITED && r->finished_at[0] && r->restart_count >= 0 &&
		    !proc_is(r->pid, r->start_time))
			return;
		usleep(10000);
	}
}

static bool lc_wait_gone(pid_t pid, unsigned long long start, int timeout_ms)
{
	/* one deadline for the pidfd wait and the poll after it: the pidfd
	 * turns readable at the exit, the /proc entry goes at the reaping */
	int64_t deadline = proc_now_ms() + timeout_ms;
	int fd = proc_pidfd_open(pid);
	if (fd >= 0) {
		if (proc_is(pid, start))
			proc_poll_in(fd, timeout_ms);
		close(fd);
	}
	while (proc_is(pid, start)) {
		if (proc_now_ms() > deadline)
			return false;
		usleep(5000);
	}
	return true;
}

int cpod_container_stop(cpod_engine *e, const char *ctr, int timeout, cpod_err *err)
{
	ctr_record r;
	if (ctr_find(e, ctr, &r, err) < 0)
		return -1;
	int rc = 0;
	if (!ctr_running(&r) && r.sup_pid > 0 && proc_is(r.sup_pid, r.sup_start)) {
		/* between two runs of its restart policy (or starting): no next
		 * run; one that began meanwhile is stopped below */
		if (lc_mark_stop(e, &r, err) < 0) {
			rc = -1;
			goto out;
		}
		int64_t deadline = proc_now_ms() + 2000;
		while (!ctr_running(&r) && proc_is(r.sup_pid, r.sup_start) &&
		       proc_now_ms() < deadline && ctr_reload(e, &r, NULL) == 0)
			usleep(20000);
	}
	if (!ctr_running(&r))
		goto out; /* stopping a stopped container is not an error */
	if (lc_mark_stop(e, &r, err) < 0) {
		rc = -1;
		goto out;
	}
	if (timeout < 0)
		timeout = r.life.stop_timeout;
	cpod_runtime_resume(e->rt, r.id, NULL); /* a paused container gets the signal too */
	if (timeout > 0 && cpod_runtime_kill(e->rt, r.id, r.life.stop_signal, 0, NULL) == 0 &&
	    lc_wait_gone(r.pid, r.start_time, timeout * 1000))
		goto recorded;
	if (cpod_runtime_kill(e->rt, r.id, SIGKILL, 1, err) < 0 && proc_is(r.pid, r.start_time)) {
		rc = -1;
		goto out;
	}
	lc_wait_gone(r.pid, r.start_time, 10000);
recorded:
	lc_wait_recorded(e, &r, 10000);
out:
	ctr_record_free(&r);
	return rc < 0 ? err_prefix(err, "stop %s", ctr) : 0;
}

int cpod_container_kill(cpod_engine *e, const char *ctr, int sig, cpod_err *err)
{
	ctr_record r;
	if (ctr_find(e, ctr, &r, err) < 0)
		return -1;
	int rc = -1;
	if (!ctr_running(&r))
		err_set(err, CPOD_E_STATE, "can only kill running containers. %.12s is in state %s", r.id,
			ctr_status_name(r.status));
	else if (lc_mark_stop(e, &r, err) == 0 && cpod_runtime_kill(e->rt, r.id, sig, 0, err) == 0)
		rc = 0;
	ctr_record_free(&r);
	return rc < 0 ? err_prefix(err, "kill %s", ctr) : 0;
}

int cpod_container_restart(cpod_engine *e, const char *ctr, int timeout, cpod_err *err)
{
	if (cpod_container_stop(e, ctr, timeout, err) < 0)
		return -1;
	return cpod_container_start(e, ctr, err);
}

static int lc_freeze(cpod_engine *e, const char *ctr, bool on, cpod_err *err)
{
	ctr_record r;
	if (ctr_find(e, ctr, &r, err) < 0)
		return -1;
	int rc;
	if (!ctr_running(&r))
		rc = err_set(err, CPOD_E_STATE, "%.12s is not running", r.id);
	else
		rc = on ? cpod_runtime_pause(e->rt, r.id, err) : cpod_runtime_resume(e->rt, r.id, err);
	ctr_record_free(&r);
	return rc;
}

int cpod_container_pause(cpod_engine *e, const char *ctr, cpod_err *err)
{
	return lc_freeze(e, ctr, true, err);
}

int cpod_container_unpause(cpod_engine *e, const char *ctr, cpod_err *err)
{
	return lc_freeze(e, ctr, false, err);
}

/* ---------------------------------------------------------------- wait */

static bool lc_condition(cpod_engine *e, const ctr_record *r, const char *c)
{
	bool running = ctr_running(r);
	/* stopped once the record says so: between the process's end and the
	 * supervisor's record of it, the exit code is not known yet (a record
	 * whose supervisor is gone too was reconciled when it was loaded) */
	if (strcmp(c, "stopped") == 0 || strcmp(c, "exited") == 0)
		return r->status != CTR_RUNNING && r->status != CTR_CREATED;
	if (strcmp(c, "running") == 0)
		return running;
	if (strcmp(c, "created") == 0 || strcmp(c, "configured") == 0)
		return r->status == CTR_CREATED;
	if (strcmp(c, "paused") == 0) {
		char *st = running ? cpod_runtime_state(e->rt, r->id, NULL) : NULL;
		bool paused = st && strstr(st, "\"paused\"");
		free(st);
		return paused;
	}
	if (strcmp(c, "healthy") == 0)
		return r->health == HEALTH_HEALTHY;
	if (strcmp(c, "unhealthy") == 0)
		return r->health == HEALTH_UNHEALTHY;
	return false;
}

int cpod_container_wait(cpod_engine *e, const char *ctr, const char *const *conditions,
			int *exit_code, cpod_err *err)
{
	static const char *const stopped[] = { "stopped", NULL };
	static const char *const known[] = { "stopped", "exited", "running", "created", "configured",
					     "paused", "healthy", "unhealthy" };
	ctr_record r;

	if (!conditions || !conditions[0])
		conditions = stopped;
	for (size_t i = 0; conditions[i]; i++) {
		bool ok = false;
		for (size_t k = 0; k < ARRAY_LEN(known); k++)
			ok = ok || strcmp(conditions[i], known[k]) == 0;
		if (!ok)
			return err_set(err, CPOD_E_INVALID, "wait: unknown condition \"%s\"", conditions[i]);
	}
	if (ctr_find(e, ctr, &r, err) < 0)
		return -1;
	bool only_stop = true;
	for (size_t i = 0; conditions[i]; i++)
		only_stop = only_stop && (strcmp(conditions[i], "stopped") == 0 || strcmp(conditions[i], "exited") == 0);
	/* waiting for the end of a running container: the supervisor tells
	 * (even when --rm removes the record right after) */
	if (only_stop && ctr_running(&r)) {
		int sock = attach_connect(e, r.id, NULL);
		if (sock >= 0) {
			int status;
			cpod_err ignored;
			if (lc_attach_fd(sock, false, -1, -1, -1, "", &status, &ignored) == 0 &&
			    status != CPOD_STATUS_DETACHED) {
				*exit_code = status;
				close(sock);
				ctr_record_free(&r);
				return 0;
			}
			close(sock);
		}
	}
	for (;;) {
		for (size_t i = 0; conditions[i]; i++)
			if (lc_condition(e, &r, conditions[i])) {
				*exit_code = r.exit_code;
				ctr_record_free(&r);
				return 0;
			}
		usleep(50000);
		if (ctr_reload(e, &r, err) < 0) {
			ctr_record_free(&r);
			return err_prefix(err, "wait %s", ctr);
		}
	}
}

/* ---------------------------------------------------------------- rename, rm, prune */

int cpod_container_rename(cpod_engine *e, const char *ctr, const char *name, cpod_err *err)
{
	ctr_record r, other;
	int rc = -1;
	bool ok = options_name_ok(name, 253);
	if (!ok)
		return err_set(err, CPOD_E_INVALID, "container name \"%s\" must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", name);
	_cleanup_close_ int names = openat(e->rootfd, "containers.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (names < 0 || RETRY_EINTR(flock(names, LOCK_EX)) < 0)
		return err_sys(err, "lock the containers");
	if (ctr_find(e, ctr, &r, err) < 0)
		return -1;
	if (ctr_find(e, name, &other, NULL) == 0) {
		bool same = strcmp(other.id, r.id) == 0;
		ctr_record_free(&other);
		if (!same) {
			ctr_record_free(&r);
			return err_set(err, CPOD_E_EXISTS, "the container name \"%s\" is already in use", name);
		}
	}
	int lock = ctr_lock(e, r.id, err);
	if (lock >= 0) {
		if (ctr_reload(e, &r, err) == 0) {
			snprintf(r.name, sizeof(r.name), "%s", name);
			rc = ctr_save(e, &r, err);
		}
		close(lock);
	}
	ctr_record_free(&r);
	return rc;
}

/* A stopped container whose supervisor is still about (recording the
 * end, writing the last log lines and health state, or waiting to run it
 * again): no next run, and the supervisor gone, so that nothing writes
 * into the directory being removed.  SIGKILL after a grace period: the
 * container's files go anyway. */
static void lc_supervisor_gone(cpod_engine *e, ctr_record *r)
{
	if (r->sup_pid <= 0 || !proc_is(r->sup_pid, r->sup_start))
		return;
	lc_mark_stop(e, r, NULL);
	if (!lc_wait_gone(r->sup_pid, r->sup_start, 5000) && proc_is(r->sup_pid, r->sup_start)) {
		kill(r->sup_pid, SIGKILL);
		lc_wait_gone(r->sup_pid, r->sup_start, 2000);
	}
}

int cpod_container_remove_v(cpod_engine *e, const char *ctr, int force, int volumes, cpod_err *err)
{
	ctr_record r;
	if (ctr_find(e, ctr, &r, err) < 0)
		return -1;
	int rc = 0;
	if (ctr_running(&r)) {
		if (!force)
			rc = err_set(err, CPOD_E_STATE,
				     "cannot remove container %.12s as it is running - running or paused containers cannot be removed without force",
				     r.id);
		else
			rc = cpod_container_stop(e, r.id, 0, err);
	}
	if (rc == 0 && ctr_reload(e, &r, NULL) == 0 && !ctr_running(&r))
		lc_supervisor_gone(e, &r);
	if (rc == 0 && ctr_reload(e, &r, NULL) == 0)
		rc = ctr_remove_v(e, &r, true, volumes, err);
	ctr_record_free(&r);
	return rc;
}

int cpod_container_remove(cpod_engine *e, const char *ctr, int force, cpod_err *err)
{
	return cpod_container_remove_v(e, ctr, force, 0, err);
}

char *cpod_container_prune(cpod_engine *e, cpod_err *err)
{
	ctr_record *all;
	size_t n;
	buf out = BUF_INIT;
	if (ctr_list_all(e, &all, &n, err) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (ctr_running(&all[i]))
			continue;
		if (ctr_remove(e, &all[i], false, err) < 0) {
			ctr_list_free(all, n);
			buf_free(&out);
			return NULL;
		}
		buf_printf(&out, NULL, "%s\n", all[i].id);
	}
	ctr_list_free(all, n);
	if (!out.data)
		buf_puts(&out, "", NULL);
	return buf_take(&out, err);
}
