/*
 * health.c — health checks (see health.h).
 *
 * The status follows podman: "starting" until the first success, or until
 * a failure after the start period; "healthy" after a success; "unhealthy"
 * after `retries` failures in a row (failures inside the start period do
 * not count while the container is still starting).  A check that outlives
 * its timeout fails with exit code -1.
 */
#include "health.h"
#include "../base/clock.h"
#include "../base/fs.h"
#include "../base/proc.h"
#include <poll.h>
#include <sys/wait.h>
#include <time.h>

CPOD_INTERNAL int health_start(cpod_engine *e, const ctr_record *r, health_run *h, cpod_err *err)
{
	int pipefd[2];

	memset(h, 0, sizeof(*h));
	h->out = -1;
	if (!r->life.health_cmd)
		return err_set(err, CPOD_E_INVALID, "container %s has no defined healthcheck", r->name);
	_cleanup_json_ json_doc *d = json_parse(r->life.health_cmd, strlen(r->life.health_cmd), NULL, err);
	if (!d)
		return err_prefix(err, "the health check of %s", r->name);
	const json_value *arr = json_root(d);
	const char *args[128];
	size_t n = 0;
	for (; n < json_len(arr) && n + 1 < ARRAY_LEN(args); n++)
		args[n] = json_string(json_at(arr, n));
	args[n] = NULL;
	if (!n || !args[0])
		return err_set(err, CPOD_E_INVALID, "the health check of %s is empty", r->name);
	char name[64];
	snprintf(name, sizeof(name), "health.%d.%u.pid", (int)getpid(), (unsigned)proc_now_ms());
	if (engine_ctr_path(e, r->id, true, name, h->pidfile, sizeof(h->pidfile), err) < 0)
		return -1;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	engine_now(h->started, sizeof(h->started));
	h->started_ms = proc_now_ms();
	h->pid = fork();
	if (h->pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return err_sys(err, "fork");
	}
	if (h->pid == 0) {
		cpod_err e2;
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		cpod_exec_opts xo = { .args = args, .pid_file = h->pidfile, .stdin_null = 1 };
		int status = 0;
		if (cpod_runtime_exec(e->rt, r->id, &xo, &status, &e2) < 0) {
			dprintf(2, "%s\n", e2.msg);
			_exit(e2.code == CPOD_E_EXEC_NOTFOUND ? 127 : e2.code == CPOD_E_EXEC_NOEXEC ? 126 : 1);
		}
		_exit(status);
	}
	close(pipefd[1]);
	h->out = pipefd[0];
	fcntl(h->out, F_SETFL, O_NONBLOCK);
	return 0;
}

/* Returns what read returned (the pipe does not block). */
static ssize_t health_read_some(health_run *h)
{
	char tmp[512];
	if (h->out < 0)
		return 0;
	ssize_t k = read(h->out, tmp, sizeof(tmp));
	if (k > 0 && h->output.len < HEALTH_OUTPUT_MAX)
		buf_append(&h->output, tmp, (size_t)k, NULL);
	else if (k == 0) {
		close(h->out);
		h->out = -1;
	}
	return k;
}

CPOD_INTERNAL void health_read(health_run *h)
{
	health_read_some(h);
}

CPOD_INTERNAL void health_kill(health_run *h)
{
	_cleanup_buf_ buf pb = BUF_INIT;
	if (fs_read_file(AT_FDCWD, h->pidfile, 64, &pb, NULL) == 0 && pb.data && atoi(pb.data) > 0)
		kill(atoi(pb.data), SIGKILL);
	if (h->pid > 0) {
		kill(h->pid, SIGKILL);
		proc_wait(h->pid, NULL, 0);
	}
}

CPOD_INTERNAL void health_discard(health_run *h)
{
	if (h->out >= 0)
		close(h->out);
	h->out = -1;
	if (h->pidfile[0])
		unlink(h->pidfile);
	buf_free(&h->output);
	h->pid = 0;
}

static void health_log_append(ctr_record *r, const health_run *h, int code, const char *output)
{
	char ended[64];
	engine_now(ended, sizeof(ended));
	_cleanup_json_ json_doc *d = r->health_log ?
		json_parse(r->health_log, strlen(r->health_log), NULL, NULL) : NULL;
	const json_value *old = json_root(d);
	buf b = BUF_INIT;
	json_w w;
	jw_init(&w, &b, NULL);
	jw_arr_begin(&w);
	size_t n = json_len(old), from = n >= HEALTH_LOG_KEEP ? n - HEALTH_LOG_KEEP + 1 : 0;
	for (size_t i = from; i < n; i++)
		jw_value(&w, json_at(old, i));
	jw_obj_begin(&w);
	jw_kstr(&w, "Start", h->started);
	jw_kstr(&w, "End", ended);
	jw_kint(&w, "ExitCode", code);
	jw_kstr(&w, "Output", output);
	jw_obj_end(&w);
	jw_arr_end(&w);
	if (jw_finish(&w, NULL) == 0) {
		free(r->health_log);
		r->health_log = b.data;
	} else {
		buf_free(&b);
	}
}

/* Milliseconds since the container started (its StartedAt). */
static int64_t health_uptime_ms(const ctr_record *r)
{
	int64_t t = clock_unix_ms(r->started_at);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return t < 0 ? INT64_MAX : (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 - t;
}

CPOD_INTERNAL int health_finish(health_run *h, ctr_record *r, int wstatus, bool timed_out)
{
	/* what is left in the pipe; a process the check left behind may
	 * hold it open, so no waiting for its end */
	while (!timed_out && health_read_some(h) > 0)
		;
	if (h->out >= 0)
		close(h->out);
	h->out = -1;
	int code = timed_out ? -1 : proc_exit_code(wstatus);
	const char *output = timed_out ? "health check timed out" : h->output.data ? h->output.data : "";
	bool starting = health_uptime_ms(r) < r->life.health_start_ms;
	if (code == 0) {
		r->health = HEALTH_HEALTHY;
		r->health_streak = 0;
	} else if (!starting || r->health != HEALTH_STARTING) {
		r->health_streak++;
		if (r->health_streak >= r->life.health_retries)
			r->health = HEALTH_UNHEALTHY;
	}
	health_log_append(r, h, code, output);
	unlink(h->pidfile);
	buf_free(&h->output);
	h->pid = 0;
	return code;
}

CPOD_INTERNAL int health_run_once(cpod_engine *e, ctr_record *r, int *code, cpod_err *err)
{
	health_run h;
	if (!ctr_running(r))
		return err_set(err, CPOD_E_STATE, "container %s is not running", r->name);
	if (health_start(e, r, &h, err) < 0)
		return -1;
	int64_t deadline = h.started_ms + r->life.health_timeout_ms;
	bool timed_out = false, exited = false;
	int wstatus = 0;
	_cleanup_close_ int pidfd = proc_pidfd_open(h.pid);  /* -1: poll in steps */
	while (!exited) {
		int64_t left = deadline - proc_now_ms();
		if (left <= 0) {
			timed_out = true;
			health_kill(&h);
			break;
		}
		struct pollfd p[2] = { { .fd = h.out, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
		if (poll(p, 2, pidfd < 0 && left > 50 ? 50 : (int)(left > 60000 ? 60000 : left)) > 0 && p[0].revents)
			health_read(&h);
		exited = proc_wait(h.pid, &wstatus, WNOHANG) == h.pid;
	}
	/* the record may have changed while the check ran */
	int lock = ctr_lock(e, r->id, err);
	if (lock < 0) {
		buf_free(&h.output);
		return -1;
	}
	int rc = ctr_reload(e, r, err);
	if (rc == 0) {
		*code = health_finish(&h, r, wstatus, timed_out);
		rc = ctr_save(e, r, err);
	}
	buf_free(&h.output);
	if (h.out >= 0)
		close(h.out);
	close(lock);
	return rc;
}

int cpod_healthcheck_run(cpod_engine *e, const char *ctr, cpod_err *err)
{
	ctr_record r;
	if (ctr_find(e, ctr, &r, err) < 0)
		return -1;
	int code = -1, rc = health_run_once(e, &r, &code, err);
	if (rc == 0)
		rc = code == 0 ? 0 : 1;
	ctr_record_free(&r);
	return rc;
}
