/*
 * cpod.h — the public interface of cpod, a small container engine.
 *
 * Vendor cpod by copying cpod.h and cpod.c into your tree and linking BearSSL,
 * libseccomp and zlib.  Every fallible call takes a cpod_err * and returns -1
 * (or NULL) on failure; the error then holds a code, the errno that caused it
 * (0 if none) and a message that reads as a chain of context, outermost first:
 *
 *     create c1: mount /proc: Operation not permitted
 *
 * The library never prints, never exits and never aborts on bad input.
 * Warnings go to the log callback set with cpod_set_log().
 */
#ifndef CPOD_H
#define CPOD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CPOD_VERSION "0.1.0"
#define CPOD_OCI_VERSION "1.2.0"

/* ---------------------------------------------------------------- errors */

enum cpod_errcode {
	CPOD_OK = 0,
	CPOD_E_SYS,        /* a system call failed: see errno_ */
	CPOD_E_INVALID,    /* bad input: arguments, configuration, data */
	CPOD_E_NOTFOUND,   /* the named thing does not exist */
	CPOD_E_EXISTS,     /* the named thing already exists */
	CPOD_E_STATE,      /* the thing is in the wrong state for the request */
	CPOD_E_NOMEM,      /* out of memory */
	CPOD_E_LIMIT,      /* a size, depth or count limit was reached */
	CPOD_E_UNSUPPORTED,/* this host or build cannot do it */
	CPOD_E_PERM,       /* not allowed */
	CPOD_E_EXEC_NOTFOUND, /* the container's program does not exist (127) */
	CPOD_E_EXEC_NOEXEC,   /* the container's program cannot be executed (126) */
};

typedef struct cpod_err {
	int code;      /* enum cpod_errcode */
	int errno_;    /* errno of the failing system call, 0 if none */
	char msg[1024];
} cpod_err;

/* Clears an error before reuse. */
void cpod_err_clear(cpod_err *err);

/* ---------------------------------------------------------------- logging */

enum cpod_log_level { CPOD_LOG_DEBUG, CPOD_LOG_INFO, CPOD_LOG_WARN, CPOD_LOG_ERROR };

typedef void (*cpod_log_fn)(int level, const char *msg, void *userdata);

/* Sets where the library's warnings and debug messages go (process-wide).
 * With no callback they are dropped.  min_level filters what is delivered. */
void cpod_set_log(cpod_log_fn fn, void *userdata, int min_level);

/* Frees memory returned by the library (strings, arrays). */
void cpod_free(void *p);

/* ---------------------------------------------------------------- JSON
 *
 * Much of what the library returns is JSON text (podman's shapes); this
 * read-only accessor lets a program pick values out of it.  A parsed
 * document owns every value in it; values are never NULL-checked by the
 * caller: the accessors accept NULL and return NULL/0/"" for what is absent.
 */
typedef struct cpod_json cpod_json;            /* a document */
typedef struct json_value cpod_json_value;     /* a value in it */

cpod_json *cpod_json_parse(const char *text, cpod_err *err);
void cpod_json_free(cpod_json *doc);
const cpod_json_value *cpod_json_root(const cpod_json *doc);
const cpod_json_value *cpod_json_get(const cpod_json_value *obj, const char *key);
const cpod_json_value *cpod_json_at(const cpod_json_value *arr, size_t i);
size_t cpod_json_len(const cpod_json_value *v);   /* array or object size */
const char *cpod_json_str(const cpod_json_value *v); /* NULL unless a string */
int64_t cpod_json_int(const cpod_json_value *v);     /* 0 unless an integer */
int cpod_json_bool(const cpod_json_value *v);
/* "5 minutes", "About an hour", as podman prints durations. */
void cpod_human_duration(int64_t seconds, char *out, size_t n);
/* Seconds since the epoch of an RFC 3339 time (-1 when it does not parse). */
int64_t cpod_time_unix(const char *rfc3339);

enum cpod_json_type {
	CPOD_JSON_ABSENT, CPOD_JSON_NULL, CPOD_JSON_BOOL, CPOD_JSON_NUMBER, CPOD_JSON_STRING,
	CPOD_JSON_ARRAY, CPOD_JSON_OBJECT,
};
int cpod_json_type(const cpod_json_value *v);
/* The key of member i of an object. */
const char *cpod_json_key(const cpod_json_value *obj, size_t i);
/* The value re-written as compact JSON (malloc'd). */
char *cpod_json_text(const cpod_json_value *v);

/* ---------------------------------------------------------------- OCI runtime
 *
 * A runtime-spec 1.x runtime with runc's semantics: containers are created
 * from a bundle (a directory holding config.json and, usually, the rootfs),
 * their state lives under a root directory (default /run/cpod-runc, or
 * $XDG_RUNTIME_DIR/cpod-runc when rootless).
 */

typedef struct cpod_runtime cpod_runtime;

typedef struct cpod_runtime_opts {
	const char *root;          /* state directory; NULL: the default */
	int systemd_cgroup;        /* accepted for compatibility; cgroupfs is used */
} cpod_runtime_opts;

cpod_runtime *cpod_runtime_open(const cpod_runtime_opts *opts, cpod_err *err);
void cpod_runtime_close(cpod_runtime *rt);
/* The root directory in use. */
const char *cpod_runtime_root(const cpod_runtime *rt);

typedef struct cpod_create_opts {
	const char *bundle;        /* NULL: the current directory */
	const char *config_path;   /* NULL: BUNDLE/config.json */
	const char *pid_file;      /* written with the init's pid, or NULL */
	const char *console_socket;/* AF_UNIX socket that receives the pty master */
	int preserve_fds;          /* fds 3..3+N-1 are passed to the container */
	int no_pivot;              /* use MS_MOVE + chroot instead of pivot_root */
	int no_new_keyring;        /* accepted; cpod never creates a session keyring */
	/* for run: stdio for the container, -1 to inherit */
	int detach;                /* run: do not wait for the container */
	int keep;                  /* run: do not delete when it exits */
} cpod_create_opts;

int cpod_runtime_create(cpod_runtime *rt, const char *id, const cpod_create_opts *opts,
			cpod_err *err);
int cpod_runtime_start(cpod_runtime *rt, const char *id, cpod_err *err);
/* create + start; unless opts->detach, waits and stores the container's exit
 * status (as a shell would report it: 128+signal when killed) in *status,
 * forwarding signals to the container, then deletes it unless opts->keep. */
int cpod_runtime_run(cpod_runtime *rt, const char *id, const cpod_create_opts *opts,
		     int *status, cpod_err *err);
/* runc's state JSON; free with cpod_free. */
char *cpod_runtime_state(cpod_runtime *rt, const char *id, cpod_err *err);
int cpod_runtime_kill(cpod_runtime *rt, const char *id, int sig, int all, cpod_err *err);
int cpod_runtime_delete(cpod_runtime *rt, const char *id, int force, cpod_err *err);
int cpod_runtime_pause(cpod_runtime *rt, const char *id, cpod_err *err);
int cpod_runtime_resume(cpod_runtime *rt, const char *id, cpod_err *err);
/* JSON array of the state objects of every container; free with cpod_free. */
char *cpod_runtime_list(cpod_runtime *rt, cpod_err *err);
/* The pids in the container's cgroup (or its init when it has none). */
int cpod_runtime_pids(cpod_runtime *rt, const char *id, pid_t **pids, size_t *n,
		      cpod_err *err);
/* Applies a linux.resources JSON object to a running container. */
int cpod_runtime_update(cpod_runtime *rt, const char *id, const char *resources_json,
			cpod_err *err);
/* runc's `events --stats` JSON object for one container; free with cpod_free. */
char *cpod_runtime_stats(cpod_runtime *rt, const char *id, cpod_err *err);

typedef struct cpod_exec_opts {
	const char *process_json;  /* a runtime-spec process object, or NULL */
	/* or, when process_json is NULL: */
	const char *const *args;   /* NULL-terminated */
	const char *const *env;    /* NULL-terminated "K=V" added to the init's env */
	const char *cwd;
	const char *user;          /* "UID[:GID]" */
	const char *const *caps;   /* NULL-terminated extra capabilities */
	int tty;
	int no_new_privs;
	/* both ways: */
	const char *console_socket;
	const char *pid_file;
	int detach;
	int preserve_fds;
	int stdin_null;            /* the process reads /dev/null (with tty: our stdin is ignored) */
	/* with args: supplementary groups replacing the container's */
	const uint32_t *additional_gids;
	size_t n_additional_gids;
} cpod_exec_opts;

/* Runs a new process in the container; unless opts->detach, waits for it and
 * stores its status in *status. */
int cpod_runtime_exec(cpod_runtime *rt, const char *id, const cpod_exec_opts *opts,
		      int *status, cpod_err *err);

/* The default config.json of `spec` (rootless: for an unprivileged user). */
char *cpod_runtime_spec_template(int rootless, cpod_err *err);
/* The runtime-spec features document; free with cpod_free. */
char *cpod_runtime_features(cpod_err *err);
/* Podman's default seccomp profile as JSON text (static, do not free). */
const char *cpod_default_seccomp_profile(void);

/* ---------------------------------------------------------------- the engine
 *
 * Images and containers as podman manages them, with no daemon: the image
 * store and containers live under a root (/var/lib/cpod, or CPOD_ROOT;
 * rootless ~/.local/share/cpod), run-time state under a run root (/run/cpod,
 * or CPOD_RUNROOT; rootless $XDG_RUNTIME_DIR/cpod).  Strings returned are
 * malloc'd: free them with cpod_free.
 */

typedef struct cpod_engine cpod_engine;

typedef struct cpod_engine_opts {
	const char *root;        /* NULL: the default */
	const char *runroot;     /* NULL: the default */
} cpod_engine_opts;

cpod_engine *cpod_engine_open(const cpod_engine_opts *opts, cpod_err *err);
void cpod_engine_close(cpod_engine *e);

/* ---- images */
/* Loads a docker-archive or oci-archive read from fd; returns the loaded
 * names (or ids), one per line. */
char *cpod_image_load(cpod_engine *e, int fd, cpod_err *err);
/* Writes refs as one archive to fd: format "docker-archive" (default) or
 * "oci-archive". */
int cpod_image_save(cpod_engine *e, const char *const *refs, const char *format, int fd,
		    cpod_err *err);
/* Makes a one-layer image of a root file system tarball read from fd;
 * changes are Containerfile instructions ("CMD [\"sh\"]", "ENV A=1"...).
 * Returns the image id. */
char *cpod_image_import(cpod_engine *e, int fd, const char *name, const char *const *changes,
			const char *message, cpod_err *err);
/* `images --format json`: a JSON array. */
char *cpod_image_list(cpod_engine *e, int all, cpod_err *err);
/* `image inspect`: a JSON object shaped as podman's. */
char *cpod_image_inspect(cpod_engine *e, const char *ref, cpod_err *err);
/* `history --format json`: a JSON array, newest first. */
char *cpod_image_history(cpod_engine *e, const char *ref, cpod_err *err);
int cpod_image_tag(cpod_engine *e, const char *ref, const char *name, cpod_err *err);
/* name NULL: every name of the image. */
int cpod_image_untag(cpod_engine *e, const char *ref, const char *name, cpod_err *err);
/* Removes an image (refused while a container uses it, unless force, which
 * removes those containers too); returns "Untagged: ...\nDeleted: ...\n". */
char *cpod_image_remove(cpod_engine *e, const char *ref, int force, cpod_err *err);
/* Removes dangling images (all: every image no container uses). */
char *cpod_image_prune(cpod_engine *e, int all, cpod_err *err);

/* ---- registries */
typedef struct cpod_registry_opts {
	const char *authfile;          /* --authfile; NULL: REGISTRY_AUTH_FILE or podman's search */
	const char *creds;             /* --creds "USER[:PASSWORD]", or NULL */
	const char *cert_dir;          /* --cert-dir; NULL: CPOD_CERTS_DIR or /etc/containers/certs.d */
	int tls_verify;                /* -1: as registries.conf says (default on), 0: off, 1: on */
	const char *platform;          /* "os/arch[/variant]"; NULL: this machine's */
	int quiet;                     /* no progress */
	int progress_fd;               /* where progress lines go (a terminal), -1: none */
} cpod_registry_opts;

/* Pulls ref (short names resolved as podman does, from registries.conf's
 * unqualified-search-registries) into the store; returns the image id. */
char *cpod_image_pull(cpod_engine *e, const char *ref, const cpod_registry_opts *o, cpod_err *err);
/* Pushes a local image to dest (NULL: its own name). */
int cpod_image_push(cpod_engine *e, const char *ref, const char *dest, const cpod_registry_opts *o,
		    cpod_err *err);
/* Checks the credentials against the registry, then stores them in the
 * auth file (0600). */
int cpod_login(const char *registry, const char *user, const char *password,
	       const cpod_registry_opts *o, cpod_err *err);
/* Removes stored credentials (registry NULL with all: every one). */
int cpod_logout(const char *registry, int all, const cpod_registry_opts *o, cpod_err *err);
/* The user name stored for registry (malloc'd). */
char *cpod_login_get(const char *registry, const cpod_registry_opts *o, cpod_err *err);

/* ---- system */
/* Verifies the store (and repairs with repair); returns the report and
 * stores the number of inconsistencies left in *problems. */
char *cpod_system_check(cpod_engine *e, int repair, int *problems, cpod_err *err);
/* `system df`: images, containers and their sizes, as JSON. */
char *cpod_system_df(cpod_engine *e, cpod_err *err);
/* Removes stopped containers, dangling (all: unused) images and garbage. */
char *cpod_system_prune(cpod_engine *e, int all, cpod_err *err);
/* `info`: the host and the store (overlay or copy, and why), as JSON. */
char *cpod_info(cpod_engine *e, cpod_err *err);

/* ---- containers */

/* What `create` and `run` take: podman's options, as strings where podman
 * takes strings (sizes "512m", durations "30s"), parsed by the library with
 * errors that name the option.  Lists are NULL-terminated; NULL or 0 means
 * not given. */
typedef struct cpod_run_opts {
	/* the image and its command */
	const char *image;
	const char *const *args;       /* NULL: the image's Cmd */
	const char *entrypoint;        /* a command, or a JSON array; "" clears the image's */
	const char *pull;              /* "missing" (default), "always", "never", "newer" */
	const char *platform;          /* "os/arch[/variant]" for pulls */
	const cpod_registry_opts *registry; /* for pulls: auth, TLS, progress; NULL: defaults */
	/* process */
	const char *const *env;        /* "K=V", or "K" to take K from our environment */
	const char *const *env_files;  /* files of K=V lines */
	const char *workdir;
	const char *user;              /* "user[:group]", names or numbers */
	const char *const *group_add;  /* extra groups, names or numbers */
	const char *const *ulimits;    /* "nofile=1024[:2048]", "nproc=-1" ... */
	int tty;
	int interactive;
	int init;                      /* --init: a minimal init as pid 1, reaping zombies */
	/* identity */
	const char *name;
	const char *hostname;
	const char *const *labels;     /* "k=v" */
	/* file system */
	const char *const *volumes;    /* -v "HOST-PATH|VOLUME:CTR[:ro|rw|z|Z|...]", or "CTR" (anonymous) */
	const char *const *mounts;     /* --mount "type=bind|volume|tmpfs,src=..,dst=..,ro,..." */
	const char *const *tmpfs;      /* "/PATH[:OPTIONS]" */
	int read_only;
	int read_only_tmpfs;           /* with read_only: tmpfs on /tmp, /var/tmp, /run (-1: default on) */
	const char *shm_size;          /* "64m" */
	const char *const *devices;    /* "/dev/HOST[:/dev/CTR][:rwm]" */
	/* network */
	const char *network;           /* "none", "host", "usernet[:policy=P,mtu=N]" (the
					  default), or a named network */
	const char *const *networks;   /* --network given more than once: every value (named
					  networks only); network is then ignored */
	const char *const *network_aliases; /* names the network's DNS answers too */
	const char *ip;                /* --ip: a fixed IPv4 address in the (single) network */
	const char *ip6;               /* --ip6: a fixed IPv6 address in it */
	const char *mac_address;       /* --mac-address: "02:..:..:..:..:.." (unicast) */
	const char *const *add_hosts;  /* "name:ip" */
	const char *const *dns;        /* server addresses */
	const char *const *dns_search;
	const char *const *dns_options;
	const char *const *publish;    /* -p "[ip:][hostport:]ctrport[/tcp|udp]", ranges "a-b" */
	int publish_all;               /* -P: the image's EXPOSEd ports on free host ports */
	/* security */
	const char *const *cap_add;    /* "NET_ADMIN", "CAP_SYS_PTRACE", "ALL" */
	const char *const *cap_drop;
	int privileged;
	const char *const *security_opts; /* "no-new-privileges", "seccomp=FILE|unconfined",
					     "mask=/a:/b", "unmask=ALL|/a:/b", "label=disable" */
	const char *userns;            /* "", "host", "keep-id", "auto" */
	const char *const *sysctls;    /* "k=v" */
	const char *oom_score_adj;     /* "-500" */
	/* resources */
	const char *memory;            /* "512m" */
	const char *memory_swap;       /* memory+swap, "-1": unlimited */
	const char *memory_reservation;
	const char *cpus;              /* "1.5" */
	const char *cpu_shares;        /* "512" */
	const char *cpuset_cpus;       /* "0-1" */
	const char *pids_limit;        /* "100", "-1" */
	/* lifecycle */
	int rm;                        /* remove the container when it exits */
	int detach;
	const char *restart;           /* "no", "on-failure[:N]", "always", "unless-stopped" */
	const char *stop_signal;       /* "SIGTERM", "15" */
	const char *stop_timeout;      /* seconds */
	const char *timeout;           /* seconds the container may run before it is killed */
	const char *const *log_opts;   /* "max-size=10m" */
	const char *log_driver;        /* "k8s-file" (default), "none" */
	const char *detach_keys;       /* "ctrl-p,ctrl-q" */
	/* health */
	const char *health_cmd;        /* a command, "CMD" or "CMD-SHELL" JSON, or "none" */
	const char *health_interval;   /* "30s" */
	const char *health_retries;    /* "3" */
	const char *health_timeout;    /* "30s" */
	const char *health_start_period; /* "0s" */
	int no_healthcheck;
	const char *pod;               /* pods, later */
} cpod_run_opts;

/* Creates a container (nothing runs yet); returns its id. */
char *cpod_container_create(cpod_engine *e, const cpod_run_opts *o, cpod_err *err);
/* Starts it under a supervisor of its own (a small cpod process that holds
 * its stdio and logs, and records its exit); returns once it runs. */
int cpod_container_start(cpod_engine *e, const char *ctr, cpod_err *err);
/* *status of a client that detached (the container goes on). */
#define CPOD_STATUS_DETACHED (-2147483647 - 1)
/* Connects in/out/err (fds; -1: not attached) to a running container until
 * it exits (*status: its exit status; -1 when it was killed at its
 * --timeout, as podman) or the detach keys are typed
 * (*status: CPOD_STATUS_DETACHED).  With a tty, in is put in raw mode and
 * resizes follow. */
int cpod_container_attach(cpod_engine *e, const char *ctr, int in, int out, int errfd,
			  const char *detach_keys, int *status, cpod_err *err);
/* create + start (+ attach and wait, unless o->detach).  In the foreground
 * *status is the container's exit status; detached, the id is stored in
 * *id_out when it is not NULL. */
int cpod_run(cpod_engine *e, const cpod_run_opts *o, int *status, cpod_err *err);
char *cpod_run_detached(cpod_engine *e, const cpod_run_opts *o, cpod_err *err);
/* The stop signal, then SIGKILL after timeout seconds (-1: the container's own). */
int cpod_container_stop(cpod_engine *e, const char *ctr, int timeout, cpod_err *err);
int cpod_container_kill(cpod_engine *e, const char *ctr, int sig, cpod_err *err);
int cpod_container_restart(cpod_engine *e, const char *ctr, int timeout, cpod_err *err);
int cpod_container_pause(cpod_engine *e, const char *ctr, cpod_err *err);
int cpod_container_unpause(cpod_engine *e, const char *ctr, cpod_err *err);
/* Waits until the container reaches one of the states in conditions
 * ("stopped", "exited", "running", "paused", "created", "healthy",
 * "unhealthy"; NULL: "stopped"); *exit_code gets its exit code. */
int cpod_container_wait(cpod_engine *e, const char *ctr, const char *const *conditions,
			int *exit_code, cpod_err *err);
int cpod_container_rename(cpod_engine *e, const char *ctr, const char *name, cpod_err *err);
/* Removes a container (force: stops it first; volumes: its anonymous volumes too). */
int cpod_container_remove(cpod_engine *e, const char *ctr, int force, cpod_err *err);
int cpod_container_remove_v(cpod_engine *e, const char *ctr, int force, int volumes, cpod_err *err);
/* `ps --format json`: a JSON array (all: stopped ones too). */
char *cpod_container_list(cpod_engine *e, int all, cpod_err *err);
/* `inspect`: a JSON object shaped as podman's. */
char *cpod_container_inspect(cpod_engine *e, const char *ctr, cpod_err *err);

typedef struct cpod_logs_opts {
	int follow;
	long tail;                     /* -1: all */
	const char *since, *until;     /* RFC 3339 or durations ("10m") */
	int timestamps;
} cpod_logs_opts;
/* Writes the container's logs (stdout lines to out, stderr lines to errfd). */
int cpod_container_logs(cpod_engine *e, const char *ctr, const cpod_logs_opts *o, int out,
			int errfd, cpod_err *err);

typedef struct cpod_ctr_exec_opts {
	const char *const *args;
	const char *const *env;
	const char *const *env_files;
	const char *user;
	const char *workdir;
	int tty, interactive, detach, privileged;
	const char *detach_keys;
} cpod_ctr_exec_opts;
/* A process in a running container; *status: its exit status. */
int cpod_container_exec(cpod_engine *e, const char *ctr, const cpod_ctr_exec_opts *o, int *status,
			cpod_err *err);
/* Copies between the host and a container: one of src and dst is
 * "CTR:/path", resolved inside its root file system (symlinks cannot leave
 * it); "-" is a tar on stdin or stdout. */
int cpod_container_cp(cpod_engine *e, const char *src, const char *dst, cpod_err *err);
/* `top`: a JSON array of rows (the first is the header). */
char *cpod_container_top(cpod_engine *e, const char *ctr, const char *const *descriptors,
			 cpod_err *err);
/* `stats --no-stream --format json`: every running container when ctrs is NULL. */
char *cpod_container_stats(cpod_engine *e, const char *const *ctrs, cpod_err *err);
/* `diff --format json`: {"changed":[...],"added":[...],"deleted":[...]} */
char *cpod_container_diff(cpod_engine *e, const char *ctr, cpod_err *err);
/* `commit`: a new image of the container's changes; returns its id. */
char *cpod_container_commit(cpod_engine *e, const char *ctr, const char *image,
			    const char *const *changes, const char *message, const char *author,
			    int pause, cpod_err *err);
/* Removes every stopped container; returns the ids, one per line. */
char *cpod_container_prune(cpod_engine *e, cpod_err *err);
/* Runs the container's health check once: 0 healthy, 1 unhealthy, -1 error. */
int cpod_healthcheck_run(cpod_engine *e, const char *ctr, cpod_err *err);
/* Writes the container's file system as a tar to fd. */
int cpod_container_export(cpod_engine *e, const char *ctr, int fd, cpod_err *err);

/* ---- volumes */
typedef struct cpod_volume_opts {
	const char *const *labels;     /* "k=v" */
	const char *const *options;    /* --opt "type=tmpfs", "device=tmpfs", "o=size=64m" */
	const char *driver;            /* "local" */
} cpod_volume_opts;
char *cpod_volume_create(cpod_engine *e, const char *name, const cpod_volume_opts *o, cpod_err *err);
char *cpod_volume_list(cpod_engine *e, cpod_err *err);               /* JSON array */
char *cpod_volume_inspect(cpod_engine *e, const char *name, cpod_err *err); /* JSON object */
int cpod_volume_remove(cpod_engine *e, const char *name, int force, cpod_err *err);
char *cpod_volume_prune(cpod_engine *e, cpod_err *err);              /* names, one per line */

/* ---- networks (named ones; a container has a network of its own unless
 * --network names one, see README's Networking) */
typedef struct cpod_network_opts {
	const char *subnet;            /* "10.90.0.0/24"; NULL: the next free 10.89.N.0/24 */
	const char *policy;            /* "public", "private", "local", "isolated"; NULL: none */
	int internal;                  /* policy isolated */
	const char *const *labels;     /* "k=v" */
	const char *mtu;               /* "1500"; NULL: 65520 */
	const char *gateway;           /* with subnet: an address of it (not .3); NULL: .2 */
} cpod_network_opts;
/* Returns the name. */
char *cpod_network_create(cpod_engine *e, const char *name, const cpod_network_opts *o,
			  cpod_err *err);
/* JSON array / object shaped as podman's, with the attached containers and
 * the stack's state ("stack": {"running", "pid", "counters"}). */
char *cpod_network_list(cpod_engine *e, cpod_err *err);
char *cpod_network_inspect(cpod_engine *e, const char *name, cpod_err *err);
/* force: the containers that use it are removed first. */
int cpod_network_remove(cpod_engine *e, const char *name, int force, cpod_err *err);
/* Removes the networks no container uses; returns their names, one a line. */
char *cpod_network_prune(cpod_engine *e, cpod_err *err);
/* Joins or leaves a network (at once when the container runs). */
int cpod_network_connect(cpod_engine *e, const char *net, const char *ctr,
			 const char *const *aliases, cpod_err *err);
int cpod_network_disconnect(cpod_engine *e, const char *net, const char *ctr, int force,
			    cpod_err *err);
/* connect with network connect's --ip, --ip6 and --mac-address (NULL: none). */
typedef struct cpod_network_connect_opts {
	const char *const *aliases;
	const char *ip;
	const char *ip6;
	const char *mac_address;
} cpod_network_connect_opts;
int cpod_network_connect_with(cpod_engine *e, const char *net, const char *ctr,
			      const cpod_network_connect_opts *o, cpod_err *err);

/* cpod-mini re-executes itself as the supervisor of a container: the
 * command line calls this for its hidden `__supervise` command.  A program
 * that vendors cpod may leave it unset: supervisors are then forked
 * without an exec (they take more memory). */
void cpod_set_supervisor_exe(const char *path);
/* The body of a supervisor process (never returns). */
void cpod_supervise_main(const char *root, const char *runroot, const char *ctr)
	__attribute__((noreturn));
/* The body of a network's user-mode stack process (the hidden
 * `__usernet` command; see src/usernet/usernet.h for its arguments): 0 when
 * the network ended, -1 with err; *out: a client verb's JSON reply. */
int cpod_usernet_main(int argc, char **argv, char **out, cpod_err *err);
/* --init: the minimal init that a container runs as its pid 1 (it reaps
 * zombies and forwards signals).  The executable registered with
 * cpod_set_supervisor_exe (else /proc/self/exe, which must be a static
 * binary) is bound at /run/cpod-init in the container and started as
 * `/run/cpod-init __init -- COMMAND ARGS...`: the program hands argv from
 * its "__init" on (argv[0] == "__init") to this function and exits with
 * what it returns, the command's status (128+N when killed by signal N). */
int cpod_init_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* CPOD_H */
