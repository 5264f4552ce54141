/*
 * console.c — terminals: a pty for the container, passed as runc does.
 *
 * The container's init opens the pty in its own devpts (so the slave belongs
 * to the container), keeps the slave as its controlling terminal and stdio,
 * and sends the master over the --console-socket with SCM_RIGHTS.  When the
 * caller gave no socket (a foreground `run -t` or `exec -t`), the runtime
 * makes a socketpair and receives the master itself (see foreground.c).
 */
#include "container.h"
#include "../base/fdpass.h"
#include <sys/ioctl.h>
#include <sys/socket.h>

CPOD_INTERNAL int console_send_fd(int sockfd, int fd, const char *name, cpod_err *err)
{
	if (fdpass_send(sockfd, name, strlen(name) + 1, fd) < 0)
		return err_sys(err, "send the console over the console socket");
	return 0;
}

CPOD_INTERNAL int console_recv_fd(int sockfd, cpod_err *err)
{
	char name[PATH_MAX];
	int fd;
	ssize_t n = fdpass_recv(sockfd, name, sizeof(name), &fd, 0);
	if (n < 0)
		return err_sys(err, "receive the console");
	if (fd < 0)
		return err_set(err, CPOD_E_SYS, "no console received");
	return fd;
}

CPOD_INTERNAL int console_setup(int sockfd, const oci_process *p, cpod_err *err)
{
	char name[64];
	int unlock = 0;

	_cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return err_sys(err, "open /dev/ptmx (a terminal needs a devpts mount at /dev/pts)");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return err_sys(err, "unlock the pty");
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return err_sys(err, "open the pty slave");
	unsigned ptn = 0;
	ioctl(master, TIOCGPTN, &ptn);
	snprintf(name, sizeof(name), "/dev/pts/%u", ptn);
	if (p->console_width && p->console_height) {
		struct winsize ws = { .ws_row = (unsigned short)p->console_height,
				      .ws_col = (unsigned short)p->console_width };
		ioctl(slave, TIOCSWINSZ, &ws);
	}
	if (fchown(slave, p->uid, p->gid) < 0 && errno != EINVAL && errno != EPERM) {
		close(slave);
		return err_sys(err, "chown the pty");
	}
	if (console_send_fd(sockfd, master, name, err) < 0) {
		close(slave);
		return -1;
	}
	if (setsid() < 0 && errno != EPERM) {
		close(slave);
		return err_sys(err, "setsid");
	}
	if (ioctl(slave, TIOCSCTTY, 0) < 0) {
		close(slave);
		return err_sys(err, "make the pty the controlling terminal");
	}
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0) {
			close(slave);
			return err_sys(err, "dup the pty");
		}
	if (slave > 2)
		close(slave);
	return 0;
}
