/*
 * life.h — what a container's supervisor needs to know about its life:
 * how to stop it, when to kill it, whether to restart it, how to check its
 * health and how much log to keep.  Taken from the options of create (the
 * image's StopSignal and Healthcheck as defaults) and kept in the
 * container's record, so a supervisor started after a reboot has it.
 */
#ifndef CPOD_ENGINE_LIFE_H
#define CPOD_ENGINE_LIFE_H
#include "engine.h"

enum life_restart { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS, RESTART_UNLESS_STOPPED };

typedef struct ctr_life {
	int stop_signal;          /* SIGTERM by default */
	int stop_timeout;         /* seconds before SIGKILL; 10 by default */
	int timeout;              /* seconds it may run; 0: no limit */
	enum life_restart restart;
	int max_retries;          /* on-failure:N; 0: no limit */
	uint64_t log_max_size;    /* bytes; 0: no limit */
	bool log_none;            /* --log-driver none */
	bool interactive, tty;
	char detach_keys[32];
	/* health check: none when health_cmd is "" */
	char *health_cmd;         /* JSON array: the command, or ["/bin/sh","-c",...] */
	int64_t health_interval_ms, health_timeout_ms, health_start_ms;
	int health_retries;
} ctr_life;

/* Parsed from the options by options_lifecycle (options.h); kept in the
 * container's record as JSON: */
CPOD_INTERNAL void life_write(json_w *w, const ctr_life *l);
CPOD_INTERNAL int life_read(const json_value *v, ctr_life *l, cpod_err *err);
CPOD_INTERNAL void life_free(ctr_life *l);

#endif
