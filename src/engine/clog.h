/*
 * clog.h — a container's log, in podman's k8s-file format: one line per
 * line of output, "TIMESTAMP STREAM F|P TEXT", F for a full line and P for
 * the part of a line that was still open when the output paused.  The
 * supervisor writes ROOT/containers/ID/ctr.log; past the size limit the log
 * is rotated to ctr.log.1 (one old file kept).  `logs` reads both.
 */
#ifndef CPOD_ENGINE_CLOG_H
#define CPOD_ENGINE_CLOG_H
#include "engine.h"

typedef struct clog_writer {
	int dirfd;          /* the container's directory */
	int fd;
	uint64_t size, max;
	bool open_line[3];  /* a P line was written last on stream 1 / 2 */
} clog_writer;

CPOD_INTERNAL int clog_open(clog_writer *w, int dirfd, uint64_t max, cpod_err *err);
/* stream: 1 stdout, 2 stderr. */
CPOD_INTERNAL void clog_write(clog_writer *w, int stream, const char *data, size_t n);
CPOD_INTERNAL void clog_close(clog_writer *w);

#endif
