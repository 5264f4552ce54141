/*
 * err.h — building cpod_err values and logging.
 *
 * Errors are plain structs filled in where a failure happens and prefixed with
 * context on the way up, so the final message reads outermost first.  All the
 * err_* setters return -1, so `return err_sys(err, "open %s", p);` is the
 * usual way to fail.  They accept a NULL err.
 */
#ifndef CPOD_ERR_H
#define CPOD_ERR_H
#include "common.h"

#define PRINTF_LIKE(a, b) __attribute__((format(printf, a, b)))

/* Sets code and message; errno_ becomes 0. */
CPOD_INTERNAL int err_set(cpod_err *err, int code, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* Sets CPOD_E_SYS with the current errno, appending ": strerror(errno)". */
CPOD_INTERNAL int err_sys(cpod_err *err, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* The same with an explicit errno value. */
CPOD_INTERNAL int err_sysn(cpod_err *err, int errnum, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* Prepends "context: " to the message, keeping code and errno. */
CPOD_INTERNAL int err_prefix(cpod_err *err, const char *fmt, ...) PRINTF_LIKE(2, 3);
CPOD_INTERNAL int err_nomem(cpod_err *err);

/* Logging through the callback of cpod_set_log. */
CPOD_INTERNAL void log_msg(int level, const char *fmt, ...) PRINTF_LIKE(2, 3);
#define log_debug(...) log_msg(CPOD_LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(CPOD_LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(CPOD_LOG_WARN, __VA_ARGS__)
CPOD_INTERNAL bool log_enabled(int level);

#endif
