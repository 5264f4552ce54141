/*
 * initproc.c — --init: a minimal init as the container's pid 1, built in.
 *
 * The executable of the program that uses the library (cpod-mini) is
 * bound read-only at /run/cpod-init in the container and started as
 * `/run/cpod-init __init -- COMMAND ARGS...`; the program hands those
 * arguments to cpod_init_main.  That init forks the command in a process
 * group of its own (given the terminal, when there is one), forwards every
 * signal it gets to it, reaps every process that is re-parented to it,
 * and exits with the command's status (128+N when a signal N killed it),
 * which takes the rest of the container's processes down with it.
 *
 * The executable must be static: nothing of the host's libraries is in
 * the container.  Its path is what the program registered with
 * cpod_set_supervisor_exe (engine_set_self_exe), else /proc/self/exe.
 */
#include "initproc.h"
#include "../base/proc.h"
#include <elf.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>

static char initproc_exe[PATH_MAX];

CPOD_INTERNAL void engine_set_self_exe(const char *path)
{
	size_t n = path ? strlen(path) : 0;
	if (n >= sizeof(initproc_exe))
		n = 0; /* no such path: /proc/self/exe then */
	if (n)
		memcpy(initproc_exe, path, n);
	initproc_exe[n] = '\0';
}

CPOD_INTERNAL const char *engine_self_exe(void)
{
	static char self[PATH_MAX];
	if (initproc_exe[0])
		return initproc_exe;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	return self;
}

/* The init binary for a container: an absolute path to a static ELF. */
CPOD_INTERNAL int initproc_exe_path(char *out, size_t n, cpod_err *err)
{
	const char *exe = engine_self_exe();
	if (!exe || exe[0] != '/')
		return err_set(err, CPOD_E_UNSUPPORTED, "--init: the path of this program is unknown");
	if (strstr(exe, " (deleted)"))
		return err_set(err, CPOD_E_UNSUPPORTED, "--init: %s was deleted", exe);
	_cleanup_close_ int fd = open(exe, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "--init: open %s", exe);
	unsigned char h[sizeof(Elf64_Ehdr)];
	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h, ELFMAG, SELFMAG) != 0)
		return err_set(err, CPOD_E_UNSUPPORTED, "--init: %s is not an ELF executable", exe);
	uint64_t phoff;
	unsigned phnum, phentsize;
	if (h[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr e;
		memcpy(&e, h, sizeof(e));
		phoff = e.e_phoff;
		phnum = e.e_phnum;
		phentsize = e.e_phentsize;
	} else {
		Elf32_Ehdr e;
		memcpy(&e, h, sizeof(e));
		phoff = e.e_phoff;
		phnum = e.e_phnum;
		phentsize = e.e_phentsize;
	}
	if (phnum > 256 || phentsize < 8 || phentsize > 128)
		return err_set(err, CPOD_E_UNSUPPORTED, "--init: %s: bad ELF header", exe);
	for (unsigned i = 0; i < phnum; i++) {
		uint32_t type;
		if (pread(fd, &type, sizeof(type), (off_t)(phoff + (uint64_t)i * phentsize)) !=
		    (ssize_t)sizeof(type))
			return err_set(err, CPOD_E_UNSUPPORTED, "--init: %s: bad ELF header", exe);
		if (type == PT_INTERP)
			return err_set(err, CPOD_E_UNSUPPORTED,
				       "--init: %s is dynamically linked (a static build runs in the "
				       "container)", exe);
	}
	if (strlen(exe) >= n)
		return err_set(err, CPOD_E_LIMIT, "--init: path too long");
	snprintf(out, n, "%s", exe);
	return 0;
}

static void initproc_say(const char *what, const char *arg, int e)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "cpod-init: %s%s%s%s%s\n", what, arg ? " " : "",
			 arg ? arg : "", e ? ": " : "", e ? strerror(e) : "");
	if (n > 0)
		write_all(2, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
}

int cpod_init_main(int argc, char **argv)
{
	int i = 1;
	sigset_t all, old;

	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc) {
		initproc_say("usage: __init [--] COMMAND [ARG...]", NULL, 0);
		return 125;
	}
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (getpid() != 1)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

	pid_t child = fork();
	if (child < 0) {
		initproc_say("fork", NULL, errno);
		return 125;
	}
	if (child == 0) {
		/* a process group of its own, in the foreground of the terminal:
		 * ^C reaches the command, not the init */
		setpgid(0, 0);
		if (isatty(0)) {
			signal(SIGTTOU, SIG_IGN);
			tcsetpgrp(0, getpid());
			signal(SIGTTOU, SIG_DFL);
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
		execvp(argv[i], argv + i);
		int e = errno;
		initproc_say("exec", argv[i], e);
		_exit(e == ENOENT ? 127 : 126);
	}

	int code = 0;
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		bool done = false;
		for (;;) {
			int status;
			pid_t p = waitpid(-1, &status, WNOHANG);
			if (p <= 0)
				break;
			if (p == child) {
				code = proc_exit_code(status);
				done = true;
			}
		}
		if (done)
			break;
	}
	return code;
}
