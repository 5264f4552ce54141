/*
 * proc.c — helpers for processes (see proc.h).
 */
#include "proc.h"
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

CPOD_INTERNAL unsigned long long proc_start_time(pid_t pid)
{
	char path[64], data[1024];
	unsigned long long start = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, data, sizeof(data) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	data[n] = '\0';
	/* the command name may hold spaces and parens: start after the last ')' */
	char *p = strrchr(data, ')');
	if (!p)
		return 0;
	p++;
	/* fields after comm: 3 state ... 22 starttime (so 20 fields on) */
	char state = 0;
	int field = 2;
	for (char *tok = strtok(p, " "); tok; tok = strtok(NULL, " ")) {
		field++;
		if (field == 3)
			state = tok[0];
		if (field == 22) {
			start = strtoull(tok, NULL, 10);
			break;
		}
	}
	if (state == 'Z' || state == 'X')
		return 0;
	return start;
}

CPOD_INTERNAL bool proc_is(pid_t pid, unsigned long long start_time)
{
	return pid > 0 && start_time && proc_start_time(pid) == start_time;
}

CPOD_INTERNAL pid_t proc_wait(pid_t pid, int *status, int flags)
{
	pid_t r;
	do {
		r = waitpid(pid, status, flags);
	} while (r < 0 && errno == EINTR);
	return r;
}

CPOD_INTERNAL int proc_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

CPOD_INTERNAL int proc_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

CPOD_INTERNAL int proc_poll_in(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t deadline = timeout_ms >= 0 ? proc_now_ms() + timeout_ms : 0;

	for (;;) {
		int left = timeout_ms < 0 ? -1 : (int)(deadline - proc_now_ms());
		if (timeout_ms >= 0 && left < 0)
			left = 0;
		int r = poll(&pfd, 1, left);
		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

CPOD_INTERNAL int64_t proc_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

CPOD_INTERNAL int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

CPOD_INTERNAL int proc_run(const proc_run_opts *o, int *status, cpod_err *err)
{
	static const char *const empty_env[] = { NULL };
	const char *const default_argv[] = { o->path, NULL };
	const char *const *argv = o->argv && o->argv[0] ? o->argv : default_argv;
	const char *const *envp = o->envp ? o->envp : empty_env;
	int in[2] = { -1, -1 };
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		return err_sys(err, "fork");
	}
	if (pid == 0) {
		/* the child: stdin from the pipe, the rest as asked */
		if (dup2(in[0], 0) < 0)
			_exit(127);
		if (o->stdout_fd >= 0 && dup2(o->stdout_fd, 1) < 0)
			_exit(127);
		if (o->stderr_fd >= 0 && dup2(o->stderr_fd, 2) < 0)
			_exit(127);
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		execve(o->path, (char *const *)argv, (char *const *)envp);
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(in[0]);
	/* the input is small (a state document); a child that does not read it
	 * must not block us, so write without blocking and give up on EPIPE */
	if (o->input_len) {
		struct sigaction ign = { .sa_handler = SIG_IGN }, old;
		sigaction(SIGPIPE, &ign, &old);
		fcntl(in[1], F_SETFL, O_NONBLOCK);
		write_all(in[1], o->input, o->input_len);
		sigaction(SIGPIPE, &old, NULL);
	}
	close(in[1]);

	int pidfd = o->timeout_ms > 0 ? proc_pidfd_open(pid) : -1;
	if (o->timeout_ms > 0) {
		int ready;
		if (pidfd >= 0) {
			ready = proc_poll_in(pidfd, o->timeout_ms);
			close(pidfd);
		} else {
			/* no pidfd: poll waitpid */
			int64_t deadline = proc_now_ms() + o->timeout_ms;
			ready = 0;
			while (proc_now_ms() < deadline) {
				if (proc_wait(pid, status, WNOHANG) == pid)
					return 0;
				usleep(5000);
			}
		}
		if (ready <= 0) {
			kill(pid, SIGKILL);
			proc_wait(pid, status, 0);
			return err_set(err, CPOD_E_LIMIT, "%s: timed out after %d ms", o->path,
				       o->timeout_ms);
		}
	}
	if (proc_wait(pid, status, 0) < 0)
		return err_sys(err, "wait %s", o->path);
	return 0;
}
