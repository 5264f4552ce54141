/*
 * clock.h — times as the state files write them (RFC 3339, UTC, with
 * nanoseconds) and as people read them ("5 minutes", as podman prints).
 */
#ifndef CPOD_BASE_CLOCK_H
#define CPOD_BASE_CLOCK_H
#include "common.h"

/* Now as "2006-01-02T15:04:05.999999999Z". */
CPOD_INTERNAL void clock_now_rfc3339(char *out, size_t n);
/* Seconds since the epoch of an RFC 3339 time ("Z" or "+hh:mm"); -1 when
 * it does not parse. */
CPOD_INTERNAL int64_t clock_unix(const char *rfc3339);
/* Milliseconds since the epoch of the same (-1 when it does not parse). */
CPOD_INTERNAL int64_t clock_unix_ms(const char *rfc3339);

#endif
