/*
 * options.h — the options of `create` and `run` (cpod_run_opts) parsed and
 * checked, as podman reads them: sizes ("512m", "1g", "-1"), durations
 * ("30s", "1m30s", "500ms"), signals (names or numbers), ulimits, devices,
 * -v / --mount / --tmpfs, env files, restart policies, health checks.
 *
 * Every error is one line that names the option and the value given
 * ("--memory 12x: invalid size ..."), with CPOD_E_INVALID, and comes out
 * before anything is created: options_check() parses everything and has no
 * side effect (it only reads: env files, the host paths of binds and
 * devices), so a caller runs it before making any directory.
 *
 * options_lifecycle fills what the supervisor needs (life.h: stop signal
 * and timeout, the run time limit, the restart policy, log limits, the
 * health check), parsed once at create time and kept in the record.
 */
#ifndef CPOD_ENGINE_OPTIONS_H
#define CPOD_ENGINE_OPTIONS_H
#include "life.h"

/* ---------------------------------------------------------------- values */

/* "512m", "1.5g", "1024", "64MiB" (binary units, as podman): bytes.  "-1"
 * is accepted (as -1) when unlimited_ok. */
CPOD_INTERNAL int options_size(const char *opt, const char *s, bool unlimited_ok, int64_t *out,
			       cpod_err *err);
/* Go durations: "30s", "1m30s", "500ms", "1.5h", "0": nanoseconds (>= 0). */
CPOD_INTERNAL int options_duration(const char *opt, const char *s, int64_t *ns, cpod_err *err);
/* A non-negative decimal integer no larger than max. */
CPOD_INTERNAL int options_uint(const char *opt, const char *s, int64_t max, int64_t *out,
			       cpod_err *err);
/* "SIGTERM", "term", "15", "RTMIN+3": the signal number. */
CPOD_INTERNAL int options_signal(const char *opt, const char *s, int *sig, cpod_err *err);
/* "SIGTERM" for 15 ("SIGRTMIN+3"...); static storage for real-time ones. */
CPOD_INTERNAL const char *options_signal_name(int sig);

typedef struct options_ulimit {
	int resource;             /* RLIMIT_* */
	const char *name;         /* "RLIMIT_NOFILE" */
	uint64_t soft, hard;      /* RLIM_INFINITY for -1 / unlimited */
} options_ulimit;
/* "nofile=1024[:2048]", "nproc=-1", "core=unlimited". */
CPOD_INTERNAL int options_ulimit_parse(const char *s, options_ulimit *out, cpod_err *err);

typedef struct options_device {
	const char *host, *ctr;   /* absolute paths */
	char perms[4];            /* a subset of "rwm" */
	char type;                /* 'c' or 'b' */
	unsigned major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
} options_device;
/* "/dev/x[:/dev/y][:rwm]"; a directory gives every device under it. */
CPOD_INTERNAL int options_devices(const char *s, options_device **list, size_t *n,
				  mem_pool *pool, cpod_err *err);

enum options_mount_kind { OPTIONS_BIND, OPTIONS_VOLUME, OPTIONS_TMPFS };

#define OPTIONS_MOUNT_MAX_OPTS 24
typedef struct options_mount {
	enum options_mount_kind kind;
	const char *flag;         /* "-v", "--mount", "--tmpfs", "VOLUME" (the image's) */
	const char *spec;         /* as given */
	const char *source;       /* bind: the host path; volume: its name, NULL: anonymous */
	const char *dest;         /* absolute, cleaned */
	bool ro;
	const char *propagation;  /* NULL: the default (rprivate) */
	bool nonrecursive;        /* "bind" rather than "rbind" */
	bool nocopy;              /* a volume: no copy-up of the image's content */
	bool no_tmpcopyup;        /* a tmpfs: the image's content is not copied in */
	const char *opts[OPTIONS_MOUNT_MAX_OPTS]; /* more options for the mount (exec, size=...) */
	size_t n_opts;
	const char **volume_opts; /* --mount volume-opt=K=V: for a volume it creates */
	size_t n_volume_opts;
} options_mount;
/* -v "SRC:DST[:OPTS]" or "DST" (an anonymous volume). */
CPOD_INTERNAL int options_volume(const char *s, options_mount *m, mem_pool *pool, cpod_err *err);
/* --mount "type=bind|volume|tmpfs,src=..,dst=..,ro,...". */
CPOD_INTERNAL int options_mount_parse(const char *s, options_mount *m, mem_pool *pool,
				      cpod_err *err);
/* --tmpfs "/PATH[:OPTS]". */
CPOD_INTERNAL int options_tmpfs(const char *s, options_mount *m, mem_pool *pool, cpod_err *err);
/* Lexically cleaned absolute path (no "//", ".", "..", trailing "/"). */
CPOD_INTERNAL int options_clean_path(const char *in, char *out, size_t n);

typedef struct options_kv {
	const char *key, *value;
} options_kv;

/* --add-host "name:ip", "name=ip", "a;b:ip": key the names (space
 * separated), value the address. */
CPOD_INTERNAL int options_add_host(const char *s, options_kv *kv, mem_pool *pool, cpod_err *err);

/* The environment from --env-file files then -e, in order ("K" alone takes
 * our value, "K*" every variable of ours that starts with K), as "K=V"
 * (NULL-terminated; *out is NULL when *n is 0; either list may be NULL). */
CPOD_INTERNAL int options_env(const char *const *files, const char *const *env,
			      const char ***out, size_t *n, mem_pool *pool, cpod_err *err);

/* ---------------------------------------------------------------- network */

/* none: a network namespace with lo only; host: the host's; usernet: a
 * user-mode network of the container's own; named: `network create` ones. */
enum options_netmode { OPTIONS_NET_USERNET, OPTIONS_NET_NONE, OPTIONS_NET_HOST,
		       OPTIONS_NET_NAMED };

typedef struct options_port {
	const char *host_ip;      /* "" for every address */
	unsigned host_port;       /* 0: any free port (one per port of the range) */
	unsigned ctr_port;
	unsigned range;           /* >= 1 */
	const char *proto;        /* "tcp" or "udp" */
} options_port;

/* -p "[hostip:][hostport:]ctrport[/tcp|udp]", ports or ranges "a-b"
 * (both sides the same length); appended to *list (grown in pool). */
CPOD_INTERNAL int options_publish(const char *s, options_port **list, size_t *n, mem_pool *pool,
				  cpod_err *err);
/* Names as podman accepts them (containers, volumes, networks):
 * [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most max characters. */
CPOD_INTERNAL bool options_name_ok(const char *name, size_t max);
/* Names of networks and aliases: at most 48. */
CPOD_INTERNAL bool options_net_name_ok(const char *name);
/* Names `network create` may not take (none, host, usernet...). */
CPOD_INTERNAL bool options_net_name_reserved(const char *name);
/* --mac-address: six bytes with ':' or '-', unicast and not zero; out:
 * lower case with ':'. */
CPOD_INTERNAL int options_mac(const char *opt, const char *s, char out[18], cpod_err *err);

/* ---------------------------------------------------------------- lifecycle */

/* "no", "on-failure[:N]", "always", "unless-stopped" ("" is no). */
CPOD_INTERNAL int options_restart(const char *s, enum life_restart *policy, int *retries,
				  cpod_err *err);
CPOD_INTERNAL const char *options_restart_name(enum life_restart r);

/* The lifecycle of a container (life.h) from its options, with the image's
 * StopSignal and Healthcheck as defaults (cfg may be NULL).  Free with
 * life_free. */
CPOD_INTERNAL int options_lifecycle(const cpod_run_opts *o, const image_config *cfg,
				    ctr_life *out, cpod_err *err);
/* The health check as docker's Healthcheck object {Test, Interval, ...}
 * (durations in nanoseconds), as inspect shows it. */
CPOD_INTERNAL void options_health_write(json_w *w, const ctr_life *l);

/* ---------------------------------------------------------------- everything */

enum options_userns { OPTIONS_USERNS_DEFAULT, OPTIONS_USERNS_HOST, OPTIONS_USERNS_KEEP_ID,
		      OPTIONS_USERNS_AUTO };

/* The options parsed and checked against each other; strings live in the
 * pool (or in the cpod_run_opts). */
typedef struct options_parsed {
	mem_pool pool;
	/* process */
	const char **env;         /* "K=V": env files, then -e */
	size_t n_env;
	options_ulimit *ulimits;
	size_t n_ulimits;
	bool has_workdir;
	/* identity */
	options_kv *labels;
	size_t n_labels;
	/* file system */
	options_mount *mounts;    /* --tmpfs, --mount, -v: destinations unique */
	size_t n_mounts;
	int64_t shm_size;         /* bytes */
	options_device *devices;
	size_t n_devices;
	/* network */
	bool host_net, no_net;
	enum options_netmode net_mode;
	bool net_default;         /* no --network given */
	int net_policy;           /* usernet:policy= (enum usernet_policy) */
	unsigned net_mtu;         /* usernet:mtu=, 0: the stack's default */
	const char **net_names;   /* named networks, in order (net_mode OPTIONS_NET_NAMED) */
	size_t n_net_names;
	const char **aliases;     /* --network-alias */
	size_t n_aliases;
	char net_ip[16];          /* --ip ("": the stack picks) */
	char net_ip6[46];         /* --ip6 ("": made from the IPv4 address) */
	char net_mac[18];         /* --mac-address, normalised ("": from the address) */
	options_port *ports;      /* -p (host_port 0: a free one at start) */
	size_t n_ports;
	options_kv *hosts;        /* --add-host: name, address */
	size_t n_hosts;
	/* security */
	bool privileged;
	uint64_t caps;            /* the bounding set */
	uint64_t caps_added;      /* what --cap-add gave beyond the defaults (for a non-root user) */
	bool no_new_privs;
	bool seccomp_unconfined;
	const char *seccomp_file;
	const char **mask, **unmask;
	size_t n_mask, n_unmask;
	bool unmask_all;
	enum options_userns userns;
	uint32_t keep_id_uid, keep_id_gid;   /* keep-id:uid=,gid= (or ours) */
	bool keep_id_uid_set, keep_id_gid_set;
	uint32_t auto_size;       /* auto:size=N (65536) */
	options_kv *sysctls;
	size_t n_sysctls;
	bool has_oom_score_adj;
	int oom_score_adj;
	/* resources: -1 or 0 where not given */
	int64_t memory, memory_swap, memory_reservation;  /* 0: not given; swap -1: unlimited */
	bool memory_swap_default;  /* swap is podman's default (twice the memory), not given */
	int64_t cpu_quota;        /* microseconds per cpu_period, 0: not given */
	uint64_t cpu_period;
	uint64_t cpu_shares;      /* 0: not given */
	const char *cpuset_cpus;
	bool pids_set;
	int64_t pids_limit;       /* -1: unlimited */
	/* lifecycle (image-independent part) */
	enum life_restart restart;
	int max_retries;
	const char *log_driver;   /* "k8s-file" or "none" */
	options_kv *log_opts;
	size_t n_log_opts;
} options_parsed;

/* Parses and checks o (nothing is created; see the top of this file). */
CPOD_INTERNAL int options_parse(const cpod_run_opts *o, options_parsed *p, cpod_err *err);
CPOD_INTERNAL void options_parsed_free(options_parsed *p);

/* Everything options_parse checks plus the lifecycle, for a caller that
 * wants to fail before it creates anything. */
CPOD_INTERNAL int options_check(const cpod_run_opts *o, cpod_err *err);

/* Capability name lists: bit mask of "NET_ADMIN", "CAP_SYS_PTRACE", "ALL"
 * (*all set). */
CPOD_INTERNAL int options_caps(const char *opt, const char *const *names, uint64_t *mask,
			       bool *all, cpod_err *err);
/* Every capability the kernel knows that our bounding set holds ("ALL"). */
CPOD_INTERNAL uint64_t options_all_caps(void);

#endif
