/*
 * attach.h — the wire protocol between a container's supervisor and the
 * clients attached to it (attach, a foreground run, wait, exec of health
 * checks do not use it).
 *
 * A client connects to the supervisor's socket (RUNROOT/containers/ID/
 * attach) and both sides exchange frames: one byte of type, three zero
 * bytes, a 4-byte little-endian length, then at most 64 KiB of payload.
 * The supervisor sends the container's output and, last, its exit status;
 * a client sends input, terminal sizes and the end of its input.  The
 * supervisor never blocks on a client: one that cannot keep up is dropped
 * (the log file has everything).
 */
#ifndef CPOD_ENGINE_ATTACH_H
#define CPOD_ENGINE_ATTACH_H
#include "engine.h"

enum attach_type {
	AF_STDIN = 0,     /* client -> supervisor */
	AF_STDOUT = 1,    /* supervisor -> client (a tty's output too) */
	AF_STDERR = 2,
	AF_EXIT = 3,      /* supervisor -> client: the exit status, as text */
	AF_RESIZE = 4,    /* client -> supervisor: "ROWS COLS" */
	AF_STDIN_EOF = 5, /* client -> supervisor */
	AF_STARTED = 6,   /* supervisor -> client: the container runs */
	AF_ERROR = 7,     /* supervisor -> client: why it could not start */
};

#define ATTACH_MAX_FRAME 65536

CPOD_INTERNAL int attach_send(int fd, int type, const void *data, size_t len);
/* Reads one frame into payload (reset first); 0 at end of file. */
CPOD_INTERNAL int attach_recv(int fd, int *type, buf *payload, cpod_err *err);
/* The socket's address for a container, short enough for sun_path
 * (through /proc/self/fd of the container's run-time directory). */
CPOD_INTERNAL int attach_dir_fd(cpod_engine *e, const char *id, cpod_err *err);
/* Connects to a running container's supervisor; -1 with CPOD_E_STATE when
 * nothing listens. */
CPOD_INTERNAL int attach_connect(cpod_engine *e, const char *id, cpod_err *err);

#endif
