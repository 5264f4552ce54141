/*
 * sync.c — messages between the runtime and its children (see sync.h).
 */
#include "sync.h"
#include <sys/socket.h>

CPOD_INTERNAL int sync_send(int fd, int type, int value, cpod_err *err)
{
	sync_msg m;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.value = value;
	if (RETRY_EINTR(send(fd, &m, sizeof(m), MSG_NOSIGNAL)) != (long)sizeof(m))
		return err_sys(err, "sync: send");
	return 0;
}

CPOD_INTERNAL void sync_send_error(int fd, const cpod_err *e)
{
	sync_msg m;
	memset(&m, 0, sizeof(m));
	m.type = SYNC_ERROR;
	m.err = *e;
	if (m.err.code == CPOD_OK)
		m.err.code = CPOD_E_SYS;
	(void)RETRY_EINTR(send(fd, &m, sizeof(m), MSG_NOSIGNAL));
}

CPOD_INTERNAL int sync_expect(int fd, int want, sync_msg *m, cpod_err *err)
{
	sync_msg tmp;
	if (!m)
		m = &tmp;
	long n = RETRY_EINTR(recv(fd, m, sizeof(*m), 0));
	if (n < 0)
		return err_sys(err, "sync: receive");
	if (n == 0)
		return err_set(err, CPOD_E_SYS, "the container process exited during setup");
	if (n != (long)sizeof(*m))
		return err_set(err, CPOD_E_SYS, "sync: short message");
	if (m->type == SYNC_ERROR) {
		if (err) {
			*err = m->err;
			err->msg[sizeof(err->msg) - 1] = '\0';
		}
		return -1;
	}
	if (want && m->type != want)
		return err_set(err, CPOD_E_SYS, "sync: unexpected message %d (wanted %d)", m->type, want);
	return 0;
}
