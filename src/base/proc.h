/*
 * proc.h — process helpers: running a helper program with a timeout and
 * its input on stdin, identifying a process by pid and start time, and
 * turning wait statuses into shell-style exit codes.
 */
#ifndef CPOD_PROC_H
#define CPOD_PROC_H
#include "buf.h"

/* Field 22 of /proc/PID/stat: with the pid it names one process for good,
 * even across pid reuse.  0 when the process does not exist. */
CPOD_INTERNAL unsigned long long proc_start_time(pid_t pid);
/* Whether pid is alive and started at start_time (a zombie counts as dead). */
CPOD_INTERNAL bool proc_is(pid_t pid, unsigned long long start_time);

/* waitpid retrying on EINTR. */
CPOD_INTERNAL pid_t proc_wait(pid_t pid, int *status, int flags);
/* A shell's view of a wait status: the exit code, or 128 + signal. */
CPOD_INTERNAL int proc_exit_code(int status);

typedef struct proc_run_opts {
	const char *path;            /* program to execute */
	const char *const *argv;     /* NULL: { path, NULL } */
	const char *const *envp;     /* NULL: empty environment */
	const void *input;           /* written to the child's stdin, then closed */
	size_t input_len;
	int timeout_ms;              /* <= 0: none */
	int stdout_fd, stderr_fd;    /* -1: inherit */
} proc_run_opts;

/* Runs a program and waits for it; *status gets the wait status.  On
 * timeout the child is killed with SIGKILL and CPOD_E_LIMIT returned. */
CPOD_INTERNAL int proc_run(const proc_run_opts *o, int *status, cpod_err *err);

/* pidfd_open(2), -1 when unsupported. */
CPOD_INTERNAL int proc_pidfd_open(pid_t pid);
/* Waits until fd is readable or timeout_ms passes (<0: forever). 1 ready, 0 timeout. */
CPOD_INTERNAL int proc_poll_in(int fd, int timeout_ms);
/* Monotonic milliseconds. */
CPOD_INTERNAL int64_t proc_now_ms(void);
/* Writes all of data, retrying on EINTR and short writes. */
CPOD_INTERNAL int write_all(int fd, const void *data, size_t len);

#endif
