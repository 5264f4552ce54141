/*
 * supervisor.c — one small process per running container, in place of
 * podman's conmon.
 *
 * `start` forks twice (the supervisor is nobody's child but init's, in a
 * session of its own) and, in cpod-mini, re-executes the binary so the
 * supervisor starts with a clean, small address space.  The supervisor:
 * creates and starts the container with the in-process runtime (so the
 * container's init is its child, and it is the subreaper of whatever the
 * container leaves), holds the container's stdio (pipes, or a pty), writes
 * the log, serves attach clients on RUNROOT/containers/ID/attach, enforces
 * --timeout, runs health checks, records the exit status (and OOM kills)
 * atomically, applies the restart policy with a growing delay, and removes
 * an --rm container.  Everything it changes in the record it changes under
 * the container's lock after re-reading it, so a concurrent `stop` is
 * never overwritten.
 */
#include "attach.h"
#include "clog.h"
#include "container.h"
#include "health.h"
#include "network.h"
#include "../base/fs.h"
#include "../base/proc.h"
#include <malloc.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#define SUP_MAX_CLIENTS 16
#define SUP_STACK_KEEP (4 * 1024)
/* Work done now and then (starting, logging, health checks, clients) runs
 * in frames of its own below the loop's, so that the stack an idle
 * supervisor keeps is the loop's alone (see sup_trim_stack). */
#define SUP_COLD __attribute__((noinline))

static char sup_exe[PATH_MAX];

void cpod_set_supervisor_exe(const char *path)
{
	snprintf(sup_exe, sizeof(sup_exe), "%s", path ? path : "");
}

CPOD_INTERNAL const char *sup_exe_path(void)
{
	return sup_exe[0] ? sup_exe : NULL;
}

typedef struct sup {
	cpod_engine *e;
	ctr_record rec;
	int dirfd;                 /* ROOT/containers/ID */
	int listen_fd;
	int clients[SUP_MAX_CLIENTS];
	size_t n_clients;
	clog_writer log;
	int out, errp, in, master; /* the container's side of stdio, ours to read/write */
	pid_t pid;
	int sfd, timeout_fd, health_fd;
	health_run health;
	int report_fd;
	bool wait_attach, started, stdin_closed;
	rootfs_overlay ov;
	char *net;                 /* the record's network state of this start */
} sup;

/* ---------------------------------------------------------------- the record */

/* Re-reads the record, applies fn, writes it back, all under the lock. */
typedef void (*sup_change_fn)(sup *s, void *arg);

static SUP_COLD int sup_update(sup *s, sup_change_fn fn, void *arg, cpod_err *err)
{
	int lock = ctr_lock(s->e, s->rec.id, err);
	if (lock < 0)
		return -1;
	int r = ctr_reload(s->e, &s->rec, err);
	if (r == 0) {
		fn(s, arg);
		r = ctr_save(s->e, &s->rec, err);
	}
	close(lock);
	return r;
}

static void sup_set_running(sup *s, void *arg)
{
	(void)arg;
	s->rec.status = CTR_RUNNING;
	s->rec.pid = s->pid;
	s->rec.start_time = proc_start_time(s->pid);
	s->rec.sup_pid = getpid();
	s->rec.sup_start = proc_start_time(getpid());
	s->rec.timed_out = false;
	s->rec.oom_killed = false;
	s->rec.exit_code = 0;
	s->rec.finished_at[0] = '\0';
	s->rec.health = s->rec.life.health_cmd ? HEALTH_STARTING : HEALTH_NONE;
	s->rec.health_streak = 0;
	engine_now(s->rec.started_at, sizeof(s->rec.started_at));
	if (s->net) {
		free(s->rec.net);
		s->rec.net = s->net;
		s->net = NULL;
	}
}

typedef struct sup_exit {
	int code;
	bool oom, timed_out;
} sup_exit;

static void sup_set_exited(sup *s, void *arg)
{
	sup_exit *x = arg;
	s->rec.status = CTR_EXITED;
	s->rec.exit_code = x->code;
	s->rec.oom_killed = x->oom;
	s->rec.timed_out = s->rec.timed_out || x->timed_out;
	s->rec.pid = 0;
	engine_now(s->rec.finished_at, sizeof(s->rec.finished_at));
	/* detached already (sup_detach_networks): the record forgets */
	net_ctr_forget(&s->rec);
}

/* Out of its networks (the stacks notice by themselves too), before the
 * record is changed: that talks to the stacks (and waits for a container's
 * own to end), which is not done holding the container's lock.  The
 * record as it is now (a network connected meanwhile is in it), or ours
 * when it is gone. */
static void sup_detach_networks(sup *s)
{
	ctr_reload(s->e, &s->rec, NULL);
	net_ctr_detach(s->e, &s->rec);
}

/* A new supervisor is a start asked for by the user: an earlier stop no
 * longer holds.  (Restarts by the policy keep it: a stop that lands while
 * a restart is under way still ends the restarting.) */
static void sup_clear_stop(sup *s, void *arg)
{
	(void)arg;
	s->rec.stop_requested = false;
}

static void sup_count_restart(sup *s, void *arg)
{
	(void)arg;
	s->rec.restart_count++;
}

static void sup_set_timed_out(sup *s, void *arg)
{
	(void)arg;
	s->rec.timed_out = true;
}

/* ---------------------------------------------------------------- clients */

static void sup_drop_client(sup *s, size_t i)
{
	close(s->clients[i]);
	s->clients[i] = s->clients[--s->n_clients];
}

static void sup_broadcast(sup *s, int type, const void *data, size_t n)
{
	for (size_t i = 0; i < s->n_clients;) {
		if (attach_send(s->clients[i], type, data, n) < 0)
			sup_drop_client(s, i);
		else
			i++;
	}
}

static SUP_COLD void sup_accept(sup *s)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (s->n_clients >= SUP_MAX_CLIENTS) {
		close(fd);
		return;
	}
	/* a client that stops reading is dropped, not waited for */
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	s->clients[s->n_clients++] = fd;
	if (s->started)
		attach_send(fd, AF_STARTED, NULL, 0);
}

static SUP_COLD void sup_client_input(sup *s, size_t i)
{
	buf p = BUF_INIT;
	int type;
	cpod_err err;
	int r = attach_recv(s->clients[i], &type, &p, &err);
	if (r <= 0) {
		buf_free(&p);
		sup_drop_client(s, i);
		return;
	}
	int target = s->master >= 0 ? s->master : s->in;
	if (type == AF_STDIN && target >= 0 && !s->stdin_closed)
		write_all(target, p.data, p.len);
	else if (type == AF_RESIZE && s->master >= 0) {
		unsigned rows = 0, cols = 0;
		if (sscanf(p.data ? p.data : "", "%u %u", &rows, &cols) == 2) {
			struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
			ioctl(s->master, TIOCSWINSZ, &ws);
		}
	} else if (type == AF_STDIN_EOF && s->in >= 0 && s->master < 0) {
		close(s->in);
		s->in = -1;
		s->stdin_closed = true;
	}
	buf_free(&p);
}

/* ---------------------------------------------------------------- starting */

/* The bundle in the run root: remade at each start (the run root may be a
 * tmpfs that a reboot emptied). */
static int sup_bundle(sup *s, char *bundle, size_t n, cpod_err *err)
{
	char rel[96];
	snprintf(rel, sizeof(rel), "containers/%s", s->rec.id);
	if (mkdirat(s->e->runrootfd, rel, 0700) < 0 && errno != EEXIST)
		return err_sys(err, "create the run-time directory");
	_cleanup_close_ int rfd = openat(s->e->runrootfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return err_sys(err, "open the run-time directory");
	if (mkdirat(rfd, "rootfs", 0755) < 0 && errno != EEXIST)
		return err_sys(err, "create the rootfs mount point");
	_cleanup_buf_ buf cfg = BUF_INIT;
	if (fs_read_file(s->dirfd, "config.json", 16u << 20, &cfg, err) < 0 ||
	    fs_write_atomic(rfd, "config.json", cfg.data, cfg.len, 0600, 0, err) < 0)
		return -1;
	return engine_ctr_path(s->e, s->rec.id, true, "", bundle, n, err);
}

static SUP_COLD int sup_start(sup *s, cpod_err *err)
{
	char bundle[PATH_MAX];
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	oci_created c = { .pid = -1, .master = -1 };
	store_image *img = NULL;
	int r = -1;

	if (sup_bundle(s, bundle, sizeof(bundle), err) < 0)
		return -1;
	if (!s->rec.copy_rootfs) {
		char upper[PATH_MAX], work[PATH_MAX];
		rootfs_overlay_free(&s->ov);
		if (store_image_get(s->e->store, s->rec.image_id, &img, err) < 0 ||
		    engine_ctr_path(s->e, s->rec.id, false, "upper", upper, sizeof(upper), err) < 0 ||
		    engine_ctr_path(s->e, s->rec.id, false, "work", work, sizeof(work), err) < 0 ||
		    rootfs_overlay_prepare(s->e->store, img, upper, work, &s->ov, err) < 0)
			goto out;
	}
	/* stdio: pipes, or a pty the runtime hands over */
	if (!s->rec.life.tty) {
		if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
		    (s->rec.life.interactive && pipe2(in, O_CLOEXEC) < 0)) {
			err_sys(err, "pipe");
			goto out;
		}
		/* the init inherits our 0, 1 and 2 */
		if ((in[0] >= 0 && dup2(in[0], 0) < 0) || dup2(out[1], 1) < 0 || dup2(errp[1], 2) < 0) {
			err_sys(err, "dup2");
			goto out;
		}
	}
	cpod_create_opts co = { .bundle = bundle };
	oci_create_ext ext = {
		.rootfs_mount = s->rec.copy_rootfs ? NULL : rootfs_overlay_mount,
		.rootfs_ctx = &s->ov,
		.stdin_null = !s->rec.life.interactive,
	};
	/* a run whose supervisor was killed (its record reconciled as exited)
	 * left the runtime's state behind: nobody else deletes it */
	cpod_runtime_delete(s->e->rt, s->rec.id, 1, NULL);
	if (oci_create(s->e->rt, s->rec.id, &co, &ext, true, &c, err) < 0)
		goto out;
	/* its network namespace exists: the networks attach it before it runs */
	free(s->net);
	s->net = NULL;
	if (net_ctr_attach(s->e, &s->rec, c.pid, &s->net, err) < 0) {
		kill(c.pid, SIGKILL);
		proc_wait(c.pid, NULL, 0);
		cpod_runtime_delete(s->e->rt, s->rec.id, 1, NULL);
		goto out;
	}
	if (cpod_runtime_start(s->e->rt, s->rec.id, err) < 0) {
		if (s->net) {
			ctr_record tmp = s->rec;
			tmp.net = s->net;
			net_ctr_detach(s->e, &tmp);
			s->net = tmp.net;
		}
		kill(c.pid, SIGKILL);
		proc_wait(c.pid, NULL, 0);
		cpod_runtime_delete(s->e->rt, s->rec.id, 1, NULL);
		goto out;
	}
	s->pid = c.pid;
	s->master = c.master;
	c.master = -1;
	if (!s->rec.life.tty) {
		s->out = out[0];
		s->errp = errp[0];
		out[0] = errp[0] = -1;
		if (in[1] >= 0) {
			s->in = in[1];
			in[1] = -1;
		}
	}
	s->stdin_closed = false;
	if (sup_update(s, sup_set_running, NULL, err) < 0)
		goto out;
	s->started = true;
	r = 0;
out:;
	/* our own stdio back to nothing */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
	int fds[] = { in[0], in[1], out[0], out[1], errp[0], errp[1], c.master };
	for (size_t i = 0; i < ARRAY_LEN(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (img) {
		store_image_free(img);
		free(img);
	}
	return r;
}

/* ---------------------------------------------------------------- health */

static SUP_COLD void sup_health_start(sup *s)
{
	if (s->health.pid > 0 || !s->rec.life.health_cmd)
		return;
	if (health_start(s->e, &s->rec, &s->health, NULL) < 0)
		s->health.pid = 0;
}

typedef struct sup_health_end {
	int wstatus;
	bool timed_out;
} sup_health_end;

static void sup_set_health(sup *s, void *arg)
{
	sup_health_end *x = arg;
	health_finish(&s->health, &s->rec, x->wstatus, x->timed_out);
}

/* The check ended (or timed out: killed). */
static SUP_COLD void sup_health_done(sup *s, int wstatus, bool timed_out)
{
	sup_health_end x = { wstatus, timed_out };
	if (sup_update(s, sup_set_health, &x, NULL) < 0)
		health_discard(&s->health);  /* no record to write to */
}

/* ---------------------------------------------------------------- the loop */

static SUP_COLD void sup_output(sup *s, int *fd, int stream)
{
	char b[65536];
	ssize_t n = read(*fd, b, sizeof(b));
	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		close(*fd);
		*fd = -1;
		return;
	}
	if (!s->rec.life.log_none)
		clog_write(&s->log, stream, b, (size_t)n);
	sup_broadcast(s, stream == 2 ? AF_STDERR : AF_STDOUT, b, (size_t)n);
}

static void sup_timer(int fd, int64_t first_ms, int64_t interval_ms)
{
	struct itimerspec it = {
		.it_value = { (time_t)(first_ms / 1000), (long)(first_ms % 1000) * 1000000 },
		.it_interval = { (time_t)(interval_ms / 1000), (long)(interval_ms % 1000) * 1000000 },
	};
	if (!it.it_value.tv_sec && !it.it_value.tv_nsec)
		it.it_value.tv_nsec = 1;
	timerfd_settime(fd, 0, &it, NULL);
}

/* Gives back the memory the start used and the idle loop does not: the
 * heap's free pages, and the stack below ours (a supervisor waits for
 * days; what it touches again comes back on demand). */
static uintptr_t sup_stack_lo;

/* Gives back the stack below the current frame (keeping a margin for the
 * calls the loop makes): starting the container went deep (the runtime,
 * mountinfo parsing) and an idle supervisor needs little of it. */
static __attribute__((noinline)) void sup_trim_stack(void)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	uintptr_t top = (sp - SUP_STACK_KEEP) & ~(page - 1);
	if (sup_stack_lo && top > sup_stack_lo)
		madvise((void *)sup_stack_lo, top - sup_stack_lo, MADV_DONTNEED);
}

/* The heap's free pages and the deep stack go back once the container runs. */
static void sup_trim(void)
{
	malloc_trim(0);
	if (!sup_stack_lo) {
		char line[256];
		FILE *f = fopen("/proc/self/maps", "re");
		if (!f)
			return;
		while (fgets(line, sizeof(line), f))
			if (strstr(line, "[stack]")) {
				sup_stack_lo = (uintptr_t)strtoull(line, NULL, 16);
				break;
			}
		fclose(f);
	}
	sup_trim_stack();
}

/* --timeout: the container ran for as long as it may. */
static SUP_COLD void sup_time_out(sup *s)
{
	sup_update(s, sup_set_timed_out, NULL, NULL);
	cpod_runtime_kill(s->e->rt, s->rec.id, SIGKILL, 1, NULL);
}

/* Serves the container until its init exits; returns the wait status. */
static int sup_loop(sup *s)
{
	int status = 0;
	bool exited = false, dirty = false;

	if (s->rec.life.timeout > 0)
		sup_timer(s->timeout_fd, (int64_t)s->rec.life.timeout * 1000, 0);
	if (s->rec.life.health_cmd)
		sup_timer(s->health_fd, s->rec.life.health_interval_ms, s->rec.life.health_interval_ms);
	while (!exited || s->out >= 0 || s->errp >= 0 || s->master >= 0) {
		struct pollfd fds[8 + SUP_MAX_CLIENTS];
		size_t n = 0;
		fds[n++] = (struct pollfd){ .fd = s->sfd, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = s->out, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = s->errp, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = s->master, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = s->timeout_fd, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = s->health_fd, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = s->health.pid > 0 ? s->health.out : -1, .events = POLLIN };
		size_t first_client = n;
		for (size_t i = 0; i < s->n_clients; i++)
			fds[n++] = (struct pollfd){ .fd = s->clients[i], .events = POLLIN };
		/* once the init is gone, the pipes only need draining; after
		 * some work, a second of quiet gives back what it used */
		int wait_ms = exited ? 200 : dirty ? 1000 : -1;
		if (s->health.pid > 0) {
			int64_t left = s->health.started_ms + s->rec.life.health_timeout_ms - proc_now_ms();
			wait_ms = left < 0 ? 0 : left > 60000 ? 60000 : (int)left + 1;
		}
		int ready = poll(fds, n, wait_ms);
		if (ready == 0 && exited)
			break;
		if (ready == 0 && dirty) {
			malloc_trim(0);
			sup_trim_stack();
			dirty = false;
			continue;
		}
		dirty = true;
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(s->sfd, &si, sizeof(si)) == sizeof(si))
				;
			pid_t p;
			int st;
			while ((p = proc_wait(-1, &st, WNOHANG)) > 0) {
				if (p == s->pid) {
					status = st;
					exited = true;
				} else if (s->health.pid > 0 && p == s->health.pid) {
					sup_health_done(s, st, false);
				}
				/* anything else: an orphan of the container, reaped */
			}
		}
		if (fds[1].revents & POLLIN)
			sup_accept(s);
		if (fds[2].revents & (POLLIN | POLLHUP))
			sup_output(s, &s->out, 1);
		if (fds[3].revents & (POLLIN | POLLHUP))
			sup_output(s, &s->errp, 2);
		if (fds[4].revents & (POLLIN | POLLHUP | POLLERR)) {
			sup_output(s, &s->master, 1);
			if (exited && s->master >= 0 && (fds[4].revents & (POLLHUP | POLLERR))) {
				close(s->master);
				s->master = -1;
			}
		}
		if (fds[5].revents & POLLIN) {
			uint64_t ticks;
			read(s->timeout_fd, &ticks, sizeof(ticks));
			if (!exited)
				sup_time_out(s);
		}
		if (fds[6].revents & POLLIN) {
			uint64_t ticks;
			read(s->health_fd, &ticks, sizeof(ticks));
			if (!exited)
				sup_health_start(s);
		}
		if (fds[7].revents & (POLLIN | POLLHUP))
			health_read(&s->health);
		if (s->health.pid > 0 &&
		    proc_now_ms() - s->health.started_ms > s->rec.life.health_timeout_ms) {
			health_kill(&s->health);
			sup_health_done(s, 0, true);
		}
		for (size_t i = n; i-- > first_client;)
			if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
				sup_client_input(s, i - first_client);
	}
	if (s->in >= 0) {
		close(s->in);
		s->in = -1;
	}
	if (s->health.pid > 0) {
		health_kill(&s->health);
		health_discard(&s->health);
	}
	return status;
}

/* ---------------------------------------------------------------- the process */

static bool sup_restart_wanted(sup *s, int code)
{
	const ctr_life *l = &s->rec.life;
	if (s->rec.stop_requested || s->rec.rm)
		return false;
	switch (l->restart) {
	case RESTART_ALWAYS:
	case RESTART_UNLESS_STOPPED:
		return true;
	case RESTART_ON_FAILURE:
		return code != 0 && (l->max_retries == 0 || s->rec.restart_count < l->max_retries);
	default:
		return false;
	}
}

static SUP_COLD void sup_report(sup *s, const cpod_err *err)
{
	if (s->report_fd < 0)
		return;
	cpod_err ok;
	cpod_err_clear(&ok);
	write_all(s->report_fd, err ? err : &ok, sizeof(ok));
	close(s->report_fd);
	s->report_fd = -1;
}

static int sup_listen(sup *s, cpod_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int dfd = attach_dir_fd(s->e, s->rec.id, err);
	if (dfd < 0)
		return -1;
	unlinkat(dfd, "attach", 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/attach", dfd);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s->listen_fd, 16) < 0)
		return err_sys(err, "attach socket");
	return 0;
}

/* Waits (bounded) for the first client of a foreground run. */
static void sup_wait_first_client(sup *s)
{
	if (proc_poll_in(s->listen_fd, 30000) > 0)
		sup_accept(s);
}

/* Before the first start: the log, the attach socket, a foreground
 * client.  False when the supervisor has nothing to do. */
static SUP_COLD bool sup_begin(sup *s)
{
	cpod_err err;
	char bundle[PATH_MAX];

	cpod_err_clear(&err);
	if (sup_update(s, sup_clear_stop, NULL, &err) < 0 ||
	    sup_bundle(s, bundle, sizeof(bundle), &err) < 0 || sup_listen(s, &err) < 0) {
		sup_report(s, &err);
		return false;
	}
	if (!s->rec.life.log_none && clog_open(&s->log, s->dirfd, s->rec.life.log_max_size, &err) < 0) {
		sup_report(s, &err);
		return false;
	}
	if (s->wait_attach) {
		/* a foreground run attaches before anything runs: no output lost */
		sup_report(s, NULL);
		sup_wait_first_client(s);
	}
	return true;
}

/* Starts the container and says so; on failure records the exit code
 * podman gives (125, 126, 127) and returns false. */
static SUP_COLD bool sup_start_reported(sup *s)
{
	cpod_err err;

	cpod_err_clear(&err);
	if (sup_start(s, &err) < 0) {
		sup_report(s, &err);
		char msg[sizeof(err.msg) + 32];
		snprintf(msg, sizeof(msg), "%d %s", err.code, err.msg);
		sup_broadcast(s, AF_ERROR, msg, strlen(msg));
		sup_exit x = { .code = err.code == CPOD_E_EXEC_NOTFOUND ? 127
				     : err.code == CPOD_E_EXEC_NOEXEC ? 126 : 125 };
		sup_detach_networks(s);
		sup_update(s, sup_set_exited, &x, NULL);
		if (s->rec.rm && ctr_reload(s->e, &s->rec, NULL) == 0)
			ctr_remove_v(s->e, &s->rec, true, true, NULL);
		return false;
	}
	sup_report(s, NULL);
	sup_broadcast(s, AF_STARTED, NULL, 0);
	return true;
}

/* Records the exit and decides on a restart (after a growing pause). */
static SUP_COLD bool sup_exited(sup *s, int status, int *backoff_ms)
{
	/* killed at its --timeout: -1, as podman records it (run exits 255) */
	sup_exit x = { .code = s->rec.timed_out ? -1 : proc_exit_code(status) };
	x.oom = oci_oom_kills(s->e->rt, s->rec.id) > 0;
	cpod_runtime_delete(s->e->rt, s->rec.id, 1, NULL);
	sup_detach_networks(s);
	sup_update(s, sup_set_exited, &x, NULL);
	bool again = sup_restart_wanted(s, x.code);
	/* --rm: gone before anyone hears of the exit, as with podman */
	if (!again && s->rec.rm && ctr_reload(s->e, &s->rec, NULL) == 0) {
		close(s->listen_fd);
		s->listen_fd = -1;
		clog_close(&s->log);
		ctr_remove_v(s->e, &s->rec, true, true, NULL);
		s->rec.rm = false;
	}
	char code[16];
	snprintf(code, sizeof(code), "%d", x.code);
	sup_broadcast(s, AF_EXIT, code, strlen(code));
	while (s->n_clients)
		sup_drop_client(s, 0);
	s->started = false;
	if (!again)
		return false;
	/* restart, a little later each time */
	struct timespec ts = { *backoff_ms / 1000, (*backoff_ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	if (*backoff_ms < 30000)
		*backoff_ms *= 2;
	if (ctr_reload(s->e, &s->rec, NULL) < 0 || s->rec.stop_requested)
		return false;
	sup_update(s, sup_count_restart, NULL, NULL);
	return true;
}

static SUP_COLD void sup_end(sup *s)
{
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		s->listen_fd = -1;
		_cleanup_close_ int dfd = attach_dir_fd(s->e, s->rec.id, NULL);
		if (dfd >= 0)
			unlinkat(dfd, "attach", 0);
	}
	clog_close(&s->log);
}

/* Small on purpose: its frame and the loop's are what an idle supervisor
 * keeps of its stack. */
static void sup_run(sup *s)
{
	int backoff_ms = 100;

	if (!sup_begin(s))
		return;
	while (sup_start_reported(s)) {
		sup_trim();
		if (!sup_exited(s, sup_loop(s), &backoff_ms))
			break;
	}
	sup_end(s);
}

/* Everything before the container runs: signals, the engine, the record,
 * the lock that makes us its only supervisor (held for our life: lock_fd). */
static SUP_COLD int sup_setup(sup *s, const char *root, const char *runroot, const char *ctr,
			      int *lock_fd, cpod_err *err)
{
	sigset_t mask;

	memset(s, 0, sizeof(*s));
	s->out = s->errp = s->in = s->master = s->listen_fd = s->health.out = -1;
	s->dirfd = s->sfd = s->timeout_fd = s->health_fd = -1;
	const char *rep = getenv("CPOD_SUPERVISE_REPORT");
	s->report_fd = rep ? atoi(rep) : -1;
	s->wait_attach = getenv("CPOD_SUPERVISE_ATTACH") != NULL;
	unsetenv("CPOD_SUPERVISE_REPORT");
	unsetenv("CPOD_SUPERVISE_ATTACH");
	if (s->report_fd >= 0)
		fcntl(s->report_fd, F_SETFD, FD_CLOEXEC);
	prctl(PR_SET_NAME, "cpod-supervise", 0, 0, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGPIPE);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigdelset(&mask, SIGPIPE);
	s->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	s->timeout_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	s->health_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	cpod_engine_opts eo = { .root = root, .runroot = runroot };
	s->e = cpod_engine_open(&eo, err);
	if (!s->e)
		return -1;
	if (s->sfd < 0)
		return err_sys(err, "signalfd");
	if (ctr_find(s->e, ctr, &s->rec, err) < 0)
		return -1;
	char rel[96];
	snprintf(rel, sizeof(rel), "containers/%s", s->rec.id);
	s->dirfd = openat(s->e->rootfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* one supervisor per container */
	*lock_fd = s->dirfd >= 0 ? openat(s->dirfd, "supervisor.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600)
				 : -1;
	if (*lock_fd < 0 || flock(*lock_fd, LOCK_EX | LOCK_NB) < 0)
		return err_set(err, CPOD_E_STATE, "container %.12s already has a supervisor", s->rec.id);
	return 0;
}

void cpod_supervise_main(const char *root, const char *runroot, const char *ctr)
{
	static sup s;
	cpod_err err;
	int lock = -1;

	if (sup_setup(&s, root, runroot, ctr, &lock, &err) < 0) {
		sup_report(&s, &err);
		_exit(1);
	}
	sup_run(&s);
	_exit(0);
}

/* ---------------------------------------------------------------- starting one */

/* Starts a supervisor for the container (not a child of ours) and waits
 * for its report: the container runs, or why not.  wait_attach: the
 * supervisor reports as soon as it listens, and starts the container when
 * the first client attaches. */
CPOD_INTERNAL int sup_spawn(cpod_engine *e, const ctr_record *r, bool wait_attach, cpod_err *err)
{
	int rep[2];
	if (pipe2(rep, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(rep[0]);
		close(rep[1]);
		return err_sys(err, "fork");
	}
	if (pid == 0) {
		/* the middle process: a new session, then the supervisor, then go */
		close(rep[0]);
		setsid();
		pid_t sp = fork();
		if (sp != 0)
			_exit(sp < 0 ? 1 : 0);
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			if (null > 2)
				close(null);
		}
		char repfd[16];
		snprintf(repfd, sizeof(repfd), "%d", rep[1]);
		setenv("CPOD_SUPERVISE_REPORT", repfd, 1);
		if (wait_attach)
			setenv("CPOD_SUPERVISE_ATTACH", "1", 1);
		if (sup_exe[0]) {
			fcntl(rep[1], F_SETFD, 0);
			const char *argv[] = { "cpod-supervise", "__supervise", e->root, e->runroot, r->id, NULL };
			execv(sup_exe, (char *const *)argv);
		}
		cpod_supervise_main(e->root, e->runroot, r->id);
	}
	close(rep[1]);
	proc_wait(pid, NULL, 0);
	cpod_err got;
	ssize_t n = RETRY_EINTR(read(rep[0], &got, sizeof(got)));
	close(rep[0]);
	if (n != (ssize_t)sizeof(got))
		return err_set(err, CPOD_E_SYS, "the supervisor of %.12s died while starting", r->id);
	if (got.code != CPOD_OK) {
		*err = got;
		return -1;
	}
	return 0;
}
