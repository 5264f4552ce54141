/*
 * common.h — what every file of cpod starts from: the system headers used
 * throughout, the CPOD_INTERNAL marker and the cleanup helpers.
 *
 * Internal functions are declared CPOD_INTERNAL.  In the amalgamation (cpod.c)
 * that is `static`, so a program that vendors cpod sees only the cpod_*
 * symbols of cpod.h.  A function that is not used yet is not an error there.
 */
#ifndef CPOD_COMMON_H
#define CPOD_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "../../cpod.h"

#define CPOD_INTERNAL static __attribute__((unused))

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Cleanup helpers: a variable declared with one of these is released when it
 * goes out of scope, so a function can return from anywhere without leaking. */
static inline void cleanup_freep(void *p) { free(*(void **)p); }
static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void cleanup_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_free_ __attribute__((cleanup(cleanup_freep)))
#define _cleanup_close_ __attribute__((cleanup(cleanup_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(cleanup_fclosep)))

/* Hands ownership out of a cleanup variable. */
#define TAKE_FD(fd) ({ int _t = (fd); (fd) = -1; _t; })
#define TAKE_PTR(p) ({ __typeof__(p) _t = (p); (p) = NULL; _t; })

/* Retries a system call interrupted by a signal. */
#define RETRY_EINTR(expr) ({ long _r; do { _r = (long)(expr); } while (_r == -1 && errno == EINTR); _r; })

#endif
