/*
 * health.h — running a container's health check and recording its result,
 * shared by the supervisor (on its interval) and `healthcheck run` (once,
 * on demand).
 *
 * A check is a child process that execs the command in the container; its
 * stdout and stderr come back through a pipe (the first 4 KiB are kept),
 * and the process in the container writes its pid to a file of its own so
 * a check that times out is killed inside the container too.
 */
#ifndef CPOD_ENGINE_HEALTH_H
#define CPOD_ENGINE_HEALTH_H
#include "container.h"

#define HEALTH_OUTPUT_MAX 4096
#define HEALTH_LOG_KEEP 5

typedef struct health_run {
	pid_t pid;                /* our child, which runs the check */
	int out;                  /* the read end of its stdout and stderr */
	int64_t started_ms;
	char started[64];
	char pidfile[PATH_MAX];   /* the checked process's pid, in the container */
	buf output;
} health_run;

/* Starts the container's check; h->pid is reaped by the caller. */
CPOD_INTERNAL int health_start(cpod_engine *e, const ctr_record *r, health_run *h, cpod_err *err);
/* Reads what the check wrote (call when h->out is readable). */
CPOD_INTERNAL void health_read(health_run *h);
/* Kills the check and what it runs in the container, and reaps it. */
CPOD_INTERNAL void health_kill(health_run *h);
/* Frees h without recording anything. */
CPOD_INTERNAL void health_discard(health_run *h);
/* The check ended with wait status wstatus (or was killed on its timeout):
 * records the result in r (status, failing streak, log) and frees h;
 * returns the check's exit code (-1: timed out). */
CPOD_INTERNAL int health_finish(health_run *h, ctr_record *r, int wstatus, bool timed_out);
/* Runs the check once, waits for it (at most its timeout) and records the
 * result; *code: its exit code. */
CPOD_INTERNAL int health_run_once(cpod_engine *e, ctr_record *r, int *code, cpod_err *err);

#endif
