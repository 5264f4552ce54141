/*
 * container.h — the engine's containers: a record per container under
 * ROOT/containers/ID (container.json, its OCI config, and its writable
 * layer: the overlay's upper and work directories, or a full rootfs copy),
 * and its run-time files under RUNROOT/containers/ID (the bundle the
 * runtime runs, the generated /etc files).
 *
 * container.json is rewritten atomically at every change of state, under
 * the container's lock; names are unique under the containers lock.
 */
#ifndef CPOD_ENGINE_CONTAINER_H
#define CPOD_ENGINE_CONTAINER_H
#include "specgen.h"
#include "life.h"

enum ctr_status { CTR_CREATED, CTR_RUNNING, CTR_EXITED, CTR_REMOVING };

enum ctr_health { HEALTH_NONE, HEALTH_STARTING, HEALTH_HEALTHY, HEALTH_UNHEALTHY };

typedef struct ctr_record {
	char id[65];
	char name[256];
	char image_id[65];
	char image_name[512];
	char created[64];
	bool copy_rootfs;          /* a copied rootfs instead of an overlay */
	bool rm;                   /* remove when it exits */
	char *command;             /* JSON array text */
	enum ctr_status status;
	pid_t pid;
	unsigned long long start_time;
	int exit_code;
	bool oom_killed;
	bool timed_out;            /* killed by --timeout */
	char started_at[64], finished_at[64];
	/* the supervisor, identified like the init: pid and start time */
	pid_t sup_pid;
	unsigned long long sup_start;
	int restart_count;
	bool stop_requested;       /* stop/kill by the user: no restart (unless-stopped, always) */
	ctr_life life;
	enum ctr_health health;
	int health_streak;         /* consecutive failures */
	char *health_log;          /* JSON array of the last results */
	char *summary;             /* specgen's {"Mounts", "HostConfig", "Config"} JSON, or NULL */
	char *net;                 /* its network settings and state (network.h), or NULL */
} ctr_record;

CPOD_INTERNAL const char *ctr_status_name(enum ctr_status s);
CPOD_INTERNAL const char *ctr_health_name(enum ctr_health h);
/* "Up 5 minutes (healthy)", "Exited (0) 3 seconds ago", "Created". */
CPOD_INTERNAL void ctr_status_text(const ctr_record *r, char *out, size_t n);
/* Whether it runs, frozen (the runtime's state says paused). */
CPOD_INTERNAL bool ctr_paused(cpod_engine *e, const ctr_record *r);
/* Whether the container's init runs (pid and start time match). */
CPOD_INTERNAL bool ctr_running(const ctr_record *r);
/* The container's lock (ROOT/containers/ID/lock); returns the fd. */
CPOD_INTERNAL int ctr_lock(cpod_engine *e, const char *id, cpod_err *err);
/* Re-reads a record by id (for code that holds it across waits). */
CPOD_INTERNAL int ctr_reload(cpod_engine *e, ctr_record *r, cpod_err *err);
CPOD_INTERNAL void ctr_record_free(ctr_record *r);
/* By id, unique id prefix, or name. */
CPOD_INTERNAL int ctr_find(cpod_engine *e, const char *ref, ctr_record *out, cpod_err *err);
CPOD_INTERNAL int ctr_save(cpod_engine *e, const ctr_record *r, cpod_err *err);
/* Every container (records malloc'd; free with ctr_list_free). */
CPOD_INTERNAL int ctr_list_all(cpod_engine *e, ctr_record **out, size_t *n, cpod_err *err);
CPOD_INTERNAL void ctr_list_free(ctr_record *list, size_t n);
/* Whether a container uses image id. */
CPOD_INTERNAL bool ctr_uses_image(cpod_engine *e, const char *image_id);
/* Removes a container (stopping it first with force). */
CPOD_INTERNAL int ctr_remove(cpod_engine *e, ctr_record *r, bool force, cpod_err *err);
/* The same, with volumes its anonymous volumes too (rm -v, --rm), unless
 * another container uses them. */
CPOD_INTERNAL int ctr_remove_v(cpod_engine *e, ctr_record *r, bool force, bool volumes,
			       cpod_err *err);
/* create: a new container from o (see ctr_create.c). */
CPOD_INTERNAL int ctr_create(cpod_engine *e, const cpod_run_opts *o, ctr_record *rec, cpod_err *err);
/* "adjective_noun", unused. */
CPOD_INTERNAL int ctr_generate_name(cpod_engine *e, char *out, size_t n, cpod_err *err);

#endif
