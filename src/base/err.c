/*
 * err.c — cpod_err setters, context prefixes and the log callback.
 *
 * Messages are kept in the fixed buffer of cpod_err (no allocation, so an
 * out-of-memory error can still be reported); a message that would overflow
 * it is cut, keeping the outermost context and the start of the cause.
 */
#include "err.h"

void cpod_err_clear(cpod_err *err)
{
	if (!err)
		return;
	err->code = CPOD_OK;
	err->errno_ = 0;
	err->msg[0] = '\0';
}

void cpod_free(void *p) { free(p); }

static void err_vset(cpod_err *err, int code, int errnum, const char *fmt, va_list ap)
{
	if (!err)
		return;
	err->code = code;
	err->errno_ = errnum;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (errnum) {
		size_t n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
	}
}

CPOD_INTERNAL int err_set(cpod_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vset(err, code, 0, fmt, ap);
	va_end(ap);
	return -1;
}

CPOD_INTERNAL int err_sys(cpod_err *err, const char *fmt, ...)
{
	int errnum = errno ? errno : EIO;
	va_list ap;
	va_start(ap, fmt);
	err_vset(err, CPOD_E_SYS, errnum, fmt, ap);
	va_end(ap);
	errno = errnum;
	return -1;
}

CPOD_INTERNAL int err_sysn(cpod_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vset(err, CPOD_E_SYS, errnum, fmt, ap);
	va_end(ap);
	errno = errnum;
	return -1;
}

CPOD_INTERNAL int err_prefix(cpod_err *err, const char *fmt, ...)
{
	char ctx[512], old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* "ctx: old", cut to the buffer (no snprintf: -Wformat-truncation
	 * would flag the cut, which is intended) */
	size_t n = strlen(ctx);
	memcpy(err->msg, ctx, n);
	if (old[0] && n + 3 < sizeof(err->msg)) {
		size_t ol = strlen(old), room = sizeof(err->msg) - n - 3;
		memcpy(err->msg + n, ": ", 2);
		n += 2;
		if (ol > room)
			ol = room;
		memcpy(err->msg + n, old, ol);
		n += ol;
	}
	err->msg[n] = '\0';
	if (err->code == CPOD_OK)
		err->code = CPOD_E_INVALID;
	return -1;
}

CPOD_INTERNAL int err_nomem(cpod_err *err)
{
	return err_set(err, CPOD_E_NOMEM, "out of memory");
}

static cpod_log_fn log_fn;
static void *log_userdata;
static int log_min_level = CPOD_LOG_WARN;

void cpod_set_log(cpod_log_fn fn, void *userdata, int min_level)
{
	log_fn = fn;
	log_userdata = userdata;
	log_min_level = min_level;
}

CPOD_INTERNAL bool log_enabled(int level)
{
	return log_fn && level >= log_min_level;
}

CPOD_INTERNAL void log_msg(int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int saved = errno;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_fn(level, msg, log_userdata);
	errno = saved;
}
