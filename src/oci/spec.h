/*
 * spec.h — the OCI runtime-spec configuration (config.json) as C structs.
 *
 * oci_spec_parse validates everything the runtime will rely on up front, so
 * a bad bundle fails before any process or mount exists, with an error that
 * names the offending field ("linux.namespaces[2].type: unknown namespace
 * type \"foo\"").  Strings point into the parsed JSON document, which the
 * spec owns; arrays are allocated from the spec's pool.  Unknown fields are
 * ignored, as runc does, so newer configs still run.
 */
#ifndef CPOD_OCI_SPEC_H
#define CPOD_OCI_SPEC_H
#include "../base/json.h"
#include "../base/pool.h"

/* An optional integer: set tells whether the config had it. */
typedef struct opt_i64 {
	bool set;
	int64_t v;
} opt_i64;
typedef struct opt_u64 {
	bool set;
	uint64_t v;
} opt_u64;

typedef struct oci_idmap {
	uint32_t container_id, host_id, size;
} oci_idmap;

typedef struct oci_rlimit {
	int resource; /* RLIMIT_* */
	const char *name;
	uint64_t soft, hard;
} oci_rlimit;

/* Capability sets as bit masks (bit N = capability N). */
typedef struct oci_caps {
	uint64_t bounding, effective, inheritable, permitted, ambient;
} oci_caps;

typedef struct oci_process {
	bool terminal;
	unsigned console_height, console_width;
	uint32_t uid, gid;
	const uint32_t *additional_gids;
	size_t n_additional_gids;
	opt_u64 umask;
	const char **args; /* NULL-terminated */
	size_t n_args;
	const char **env;  /* NULL-terminated */
	size_t n_env;
	const char *cwd;
	bool has_caps;     /* false: capabilities are left as they are */
	oci_caps caps;
	oci_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	const char *apparmor_profile;
	const char *selinux_label;
	opt_i64 oom_score_adj;
	bool has_io_priority;
	int io_priority_class; /* IOPRIO_CLASS_* */
	int io_priority;
} oci_process;

/* A mount with its options already sorted into what each syscall needs. */
typedef struct oci_mount {
	const char *destination;
	const char *type;   /* NULL for bind mounts without a type */
	const char *source;
	const char **options;
	size_t n_options;
	/* parsed from options */
	bool bind;          /* bind or rbind */
	bool recursive;     /* rbind */
	unsigned long flags;         /* MS_* to set */
	unsigned long clear_flags;   /* MS_* explicitly cleared (rw, suid, ...) */
	unsigned long propagation[4];/* MS_SHARED etc., with MS_REC, applied in order */
	size_t n_propagation;
	uint64_t attr_set, attr_clr; /* recursive MOUNT_ATTR_* (rro, rnosuid...) */
	bool tmpcopyup;
	bool idmap;                  /* idmap / ridmap: mount with the userns mapping */
	bool idmap_recursive;
	char *data;                  /* options passed to the file system */
} oci_mount;

typedef struct oci_hook {
	const char *path;
	const char **args; /* NULL-terminated, may be NULL */
	const char **env;  /* NULL-terminated, may be NULL */
	int timeout;       /* seconds, 0: none */
} oci_hook;

enum oci_hook_kind {
	HOOK_PRESTART,
	HOOK_CREATE_RUNTIME,
	HOOK_CREATE_CONTAINER,
	HOOK_START_CONTAINER,
	HOOK_POSTSTART,
	HOOK_POSTSTOP,
	HOOK_KINDS
};

typedef struct oci_hooks {
	oci_hook *list[HOOK_KINDS];
	size_t n[HOOK_KINDS];
} oci_hooks;

enum oci_ns_type {
	NS_USER, NS_MOUNT, NS_PID, NS_NET, NS_UTS, NS_IPC, NS_CGROUP, NS_TIME, NS_TYPES
};

typedef struct oci_namespace {
	bool enabled;      /* listed in the config */
	const char *path;  /* join this one instead of creating */
} oci_namespace;

typedef struct oci_device {
	const char *path;
	char type;         /* 'c', 'b', 'u' (unbuffered char) or 'p' */
	int64_t major, minor;
	opt_u64 file_mode;
	opt_u64 uid, gid;
} oci_device;

typedef struct oci_device_rule {
	bool allow;
	char type;         /* 'a', 'c' or 'b' */
	int64_t major, minor; /* -1: any */
	char access[4];    /* subset of "rwm" */
} oci_device_rule;

typedef struct oci_blkio_device {
	int64_t major, minor;
	opt_u64 weight, leaf_weight;  /* weightDevice */
	uint64_t rate;                /* throttle* */
} oci_blkio_device;

typedef struct oci_kv {
	const char *key, *value;
} oci_kv;

typedef struct oci_resources {
	oci_device_rule *devices;
	size_t n_devices;
	struct {
		opt_i64 limit, reservation, swap, kernel, kernel_tcp;
		opt_u64 swappiness;
		bool disable_oom_killer;
		bool use_hierarchy;
		bool check_before_update;
	} memory;
	struct {
		opt_u64 shares, period, realtime_period;
		opt_i64 quota, realtime_runtime, idle, burst;
		const char *cpus, *mems;
	} cpu;
	struct {
		opt_i64 limit;
	} pids;
	struct {
		opt_u64 weight, leaf_weight;
		oci_blkio_device *weight_device;
		size_t n_weight_device;
		oci_blkio_device *throttle[4]; /* read bps, write bps, read iops, write iops */
		size_t n_throttle[4];
	} blkio;
	struct {
		const char *page_size;
		uint64_t limit;
	} *hugepages;
	size_t n_hugepages;
	opt_u64 net_class_id;
	oci_kv *net_priorities; /* key: interface name, value: priority as text */
	size_t n_net_priorities;
	oci_kv *unified;        /* cgroup v2 files written as is */
	size_t n_unified;
} oci_resources;

typedef struct oci_linux {
	oci_namespace ns[NS_TYPES];
	oci_idmap *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	oci_device *devices;
	size_t n_devices;
	const char *cgroups_path;
	bool has_resources;
	oci_resources resources;
	unsigned long rootfs_propagation; /* MS_* | MS_REC, 0: default (rslave) */
	const json_value *seccomp;        /* compiled by seccomp.c */
	oci_kv *sysctl;
	size_t n_sysctl;
	const char **masked_paths, **readonly_paths;
	size_t n_masked_paths, n_readonly_paths;
	const char *mount_label;
	bool has_personality;
	unsigned long personality;        /* PER_LINUX or PER_LINUX32 */
	struct {
		bool set;
		int64_t secs;
		uint32_t nanosecs;
	} time_offsets[2];                /* monotonic, boottime */
} oci_linux;

typedef struct oci_spec {
	json_doc *doc;
	mem_pool pool;
	char *raw;          /* the config text, as read */
	size_t raw_len;
	const char *oci_version;
	bool has_process;
	oci_process process;
	const char *root_path;
	bool root_readonly;
	const char *hostname, *domainname;
	oci_mount *mounts;
	size_t n_mounts;
	oci_hooks hooks;
	const json_value *annotations; /* object of strings, or NULL */
	oci_linux linux_;
} oci_spec;

/* Parses and validates config.json text. */
CPOD_INTERNAL oci_spec *oci_spec_parse(const char *json, size_t len, cpod_err *err);
/* Reads path (or BUNDLE/config.json) and parses it. */
CPOD_INTERNAL oci_spec *oci_spec_load(const char *bundle, const char *path, cpod_err *err);
CPOD_INTERNAL void oci_spec_free(oci_spec *spec);
static inline void cleanup_spec(oci_spec **s) { if (*s) oci_spec_free(*s); }
#define _cleanup_spec_ __attribute__((cleanup(cleanup_spec)))

/* Parses a process object (config.json's or `exec --process`'s). */
CPOD_INTERNAL int oci_process_parse(const json_value *v, oci_process *p, mem_pool *pool,
				    const char *where, cpod_err *err);
/* Parses a linux.resources object (config.json's or `update`'s). */
CPOD_INTERNAL int oci_resources_parse(const json_value *v, oci_resources *r, mem_pool *pool,
				      const char *where, cpod_err *err);
/* Parses one mount's options into the flag fields of m. */
CPOD_INTERNAL int oci_mount_options_parse(oci_mount *m, mem_pool *pool, const char *where,
					  cpod_err *err);

/* Names of namespaces as in the spec ("pid", "network"...), and /proc/PID/ns names. */
CPOD_INTERNAL const char *oci_ns_name(enum oci_ns_type t);
CPOD_INTERNAL const char *oci_ns_proc_name(enum oci_ns_type t);
CPOD_INTERNAL int oci_ns_clone_flag(enum oci_ns_type t);

/* rlimit names ("RLIMIT_NOFILE"). */
CPOD_INTERNAL int oci_rlimit_from_name(const char *name);

/* Whether s is a valid container id (runc: letters, digits, _+-.). */
CPOD_INTERNAL bool oci_valid_id(const char *id);

#endif
