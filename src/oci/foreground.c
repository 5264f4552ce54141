/*
 * foreground.c — a container (or exec'd process) run in the foreground: the
 * runtime waits for it, passes on the signals it receives (so Ctrl-C, or a
 * `kill` of the runtime, reaches the container as with runc) and, for a
 * terminal without a console socket, copies between its own stdio and the
 * pty.  One poll loop over a signalfd, the pty and stdin does all of it.
 */
#include "container.h"
#include "../base/proc.h"
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>

static const int fg_forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
				    SIGWINCH, SIGCHLD, SIGCONT };

static void fg_mask(sigset_t *m)
{
	sigemptyset(m);
	for (size_t i = 0; i < ARRAY_LEN(fg_forwarded); i++)
		sigaddset(m, fg_forwarded[i]);
}

CPOD_INTERNAL void foreground_block_signals(sigset_t *old)
{
	sigset_t m;
	fg_mask(&m);
	sigprocmask(SIG_BLOCK, &m, old);
}

CPOD_INTERNAL void foreground_console_size(oci_process *p)
{
	struct winsize ws;
	if (p->console_width && p->console_height)
		return;
	if (ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		p->console_height = ws.ws_row;
		p->console_width = ws.ws_col;
	}
}

static void fg_copy_winsize(int master)
{
	struct winsize ws;
	if (master >= 0 && ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/* Copies what is readable on from to to; false at end of input. */
static bool fg_pump(int from, int to)
{
	char b[16384];
	ssize_t n = read(from, b, sizeof(b));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	return write_all(to, b, (size_t)n) == 0;
}

CPOD_INTERNAL int foreground_wait(pid_t child, int master, bool no_input, int *status,
				 cpod_err *err)
{
	sigset_t mask, old;
	struct termios saved;
	bool raw = false, exited = false, in_open = master >= 0 && !no_input, out_open = master >= 0;

	fg_mask(&mask);
	sigprocmask(SIG_BLOCK, &mask, &old);
	_cleanup_close_ int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return err_sys(err, "signalfd");
	if (master >= 0 && isatty(0) && tcgetattr(0, &saved) == 0) {
		struct termios r = saved;
		cfmakeraw(&r);
		raw = tcsetattr(0, TCSANOW, &r) == 0;
		fg_copy_winsize(master);
	}
	/* the child may be gone already (its SIGCHLD came before the block) */
	if (proc_wait(child, status, WNOHANG) == child)
		exited = true;
	while (!exited || out_open) {
		struct pollfd fds[3] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = out_open ? master : -1, .events = POLLIN },
			{ .fd = in_open ? 0 : -1, .events = POLLIN },
		};
		int r = poll(fds, 3, exited ? 50 : -1);
		if (r < 0 && errno != EINTR)
			break;
		if (exited && r == 0)
			break; /* the pty has nothing more to say */
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGWINCH)
					fg_copy_winsize(master);
				else if (si.ssi_signo != SIGCHLD && !exited)
					kill(child, (int)si.ssi_signo);
			}
			if (!exited && proc_wait(child, status, WNOHANG) == child)
				exited = true;
		}
		if (fds[1].revents & POLLIN)
			out_open = fg_pump(master, 1);
		else if (fds[1].revents & (POLLHUP | POLLERR))
			out_open = false;
		if (fds[2].revents & (POLLIN | POLLHUP))
			in_open = fg_pump(0, master);
	}
	if (raw)
		tcsetattr(0, TCSANOW, &saved);
	if (!exited && proc_wait(child, status, 0) != child) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return err_sys(err, "wait for the container");
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return 0;
}
