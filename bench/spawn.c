/*
 * spawn.c — the benchmarks' stopwatch: runs one command and prints, on one
 * line, what it cost:
 *
 *	status=N wall_ns=N cpu_us=N user_us=N minflt=N maxrss_kb=N [hwm_kb=N rss_kb=N]
 *
 * wall_ns is CLOCK_MONOTONIC from just before fork() to just after wait4()
 * returns, so it covers the exec of the command, everything it does, its
 * exit and its reaping (the helper's own fork is tens of microseconds and the
 * same for every command compared).  cpu_us is user + system CPU time of the
 * child and of every descendant it reaped (wait4's rusage); wall minus CPU
 * is time spent waiting (sleeping in the kernel, or for a CPU on a busy
 * host); user_us is the user part.  minflt counts minor page faults, same
 * processes (each costs a trap, dear in a VM with shadow page tables).
 * maxrss_kb is wait4()'s ru_maxrss: the
 * largest resident set of the child OR of any descendant it reaped (the
 * kernel folds reaped children's peaks into their parent's), so for a
 * container runtime it is max(runtime, its helper processes, the container).
 *
 * With --hwm the child is also traced (PTRACE_SEIZE, PTRACE_O_TRACEEXIT
 * only: no syscall stops) so that at its exit stop, while its memory still
 * exists, VmHWM and VmRSS of /proc/PID/status give the peak and final
 * resident set of the runtime's own process alone.  Tracing delays signal
 * delivery, so runs with --hwm are for memory, not for time.
 *
 * The command's stdin is /dev/null; its stdout and stderr go to --log FILE
 * (appended) or /dev/null.  Both are opened before the clock starts.
 *
 * usage: spawn [--hwm] [--log FILE] -- COMMAND [ARG...]
 * exit status: 0 when the measurement worked (whatever the command's status),
 * 2 on usage errors, 1 when the command could not be run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long spawn_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* VmHWM and VmRSS (kB) of a live process, -1 when not found. */
static void spawn_read_status(pid_t pid, long *hwm, long *rss)
{
	char path[64], line[256];
	FILE *f;

	*hwm = *rss = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "VmHWM:", 6) == 0)
			*hwm = strtol(line + 6, NULL, 10);
		else if (strncmp(line, "VmRSS:", 6) == 0)
			*rss = strtol(line + 6, NULL, 10);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	const char *log = "/dev/null";
	int hwm_mode = 0, i, nullfd, logfd, go[2] = { -1, -1 }, status = 0;
	long hwm = -1, rss = -1;
	struct rusage ru;
	long long t0, t1;
	pid_t pid;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--hwm") == 0)
			hwm_mode = 1;
		else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc)
			log = argv[++i];
		else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else
			break;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: spawn [--hwm] [--log FILE] -- COMMAND [ARG...]\n");
		return 2;
	}
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (nullfd < 0 || logfd < 0) {
		perror("spawn: open");
		return 1;
	}
	/* In --hwm mode the child waits on this pipe until it is traced. */
	if (hwm_mode && pipe2(go, O_CLOEXEC) < 0) {
		perror("spawn: pipe2");
		return 1;
	}

	t0 = spawn_now_ns();
	pid = fork();
	if (pid < 0) {
		perror("spawn: fork");
		return 1;
	}
	if (pid == 0) {
		char c;

		if (hwm_mode) {
			close(go[1]);
			if (read(go[0], &c, 1) != 0)
				_exit(127);
		}
		if (dup2(nullfd, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
			_exit(127);
		execvp(argv[i], argv + i);
		dprintf(2, "spawn: exec %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}
	if (hwm_mode) {
		close(go[0]);
		if (ptrace(PTRACE_SEIZE, pid, NULL, (void *)(long)PTRACE_O_TRACEEXIT) < 0) {
			perror("spawn: PTRACE_SEIZE");
			kill(pid, SIGKILL);
		}
		close(go[1]);	/* EOF: the child may exec */
	}
	for (;;) {
		pid_t r = wait4(pid, &status, __WALL, &ru);
		int sig;

		if (r < 0) {
			if (errno == EINTR)
				continue;
			perror("spawn: wait4");
			return 1;
		}
		if (!WIFSTOPPED(status))
			break;
		/* only in --hwm mode: the exit stop, or a signal to pass on */
		sig = WSTOPSIG(status);
		if (sig == SIGTRAP && (status >> 16) == PTRACE_EVENT_EXIT) {
			spawn_read_status(pid, &hwm, &rss);
			sig = 0;
		} else if (status >> 16) {
			sig = 0;	/* a group-stop or other event: just go on */
		}
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	}
	t1 = spawn_now_ns();

	printf("status=%d wall_ns=%lld cpu_us=%lld user_us=%lld minflt=%ld maxrss_kb=%ld",
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
	       t1 - t0,
	       (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec,
	       (long long)ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec,
	       ru.ru_minflt, ru.ru_maxrss);
	if (hwm_mode)
		printf(" hwm_kb=%ld rss_kb=%ld", hwm, rss);
	printf("\n");
	return 0;
}
