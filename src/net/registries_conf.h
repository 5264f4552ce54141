/*
 * registries_conf.h — containers-registries.conf(5), as podman reads it:
 * where short names are searched, which registries are insecure (plain
 * http or unverified TLS allowed) or blocked, their mirrors and location
 * rewrites, and short-name aliases.
 *
 * Files: CONTAINERS_REGISTRIES_CONF when set (with the drop-ins of the
 * registries.conf.d directory beside it), else ~/.config/containers/
 * registries.conf for a user who has one (with ~/.config/containers/
 * registries.conf.d), else /etc/containers/registries.conf with
 * /etc/containers/registries.conf.d and the user's drop-ins.  Drop-ins
 * (*.conf, in name order) are merged as podman merges them: a [[registry]]
 * with a prefix seen before replaces that one, unqualified-search-registries
 * replaces the list when set, aliases are added or replaced.
 *
 * The parser takes a bounded subset of TOML (comments, bare and quoted
 * keys, basic and literal strings, booleans, integers, arrays of strings
 * over several lines, [table] and [[array-of-tables]] headers); anything
 * else is an error naming the file and line.  The version 1 format
 * ([registries.search] / .insecure / .block) is read too.
 */
#ifndef CPOD_NET_REGISTRIES_CONF_H
#define CPOD_NET_REGISTRIES_CONF_H
#include "../base/buf.h"

#define REGCONF_MAX_FILE (1u << 20)
#define REGCONF_MAX_REGISTRIES 512
#define REGCONF_MAX_MIRRORS 16
#define REGCONF_MAX_SEARCH 64
#define REGCONF_MAX_ALIASES 16384
#define REGCONF_MAX_DROPINS 256

enum regconf_pull_from { REGCONF_PULL_ALL, REGCONF_PULL_DIGEST_ONLY, REGCONF_PULL_TAG_ONLY };

typedef struct regconf_mirror {
	char *location;
	bool insecure;
	int pull_from;                  /* enum regconf_pull_from */
} regconf_mirror;

typedef struct regconf_registry {
	char *prefix;                   /* "example.com/ns", "*.example.com" */
	char *location;                 /* "" for a wildcard prefix */
	bool insecure, blocked, mirror_by_digest_only;
	regconf_mirror mirrors[REGCONF_MAX_MIRRORS];
	size_t n_mirrors;
} regconf_registry;

typedef struct regconf_alias {
	char *name, *value;
} regconf_alias;

typedef struct registries_conf {
	char **search;                  /* unqualified-search-registries */
	size_t n_search;
	bool search_set;
	regconf_registry *regs;
	size_t n_regs;
	regconf_alias *aliases;
	size_t n_aliases;
	char files[4][PATH_MAX];        /* the main file(s) read, for messages */
	size_t n_files;
} registries_conf;

CPOD_INTERNAL void regconf_init(registries_conf *c);
CPOD_INTERNAL void regconf_free(registries_conf *c);
/* Parses one file's text and merges it into c (as a drop-in over what c
 * holds).  where names it in errors. */
CPOD_INTERNAL int regconf_parse(registries_conf *c, const char *text, size_t len,
				const char *where, cpod_err *err);
/* Reads the files podman reads (see above); none existing is no error. */
CPOD_INTERNAL int regconf_load(registries_conf *c, cpod_err *err);

/* The [[registry]] whose prefix matches "domain/path[:tag|@digest]" best
 * (the longest match), or NULL. */
CPOD_INTERNAL const regconf_registry *regconf_find(const registries_conf *c, const char *ref);

/* Where to pull ref ("domain/path:tag" or "domain/path@digest") from:
 * mirrors first (as their policy allows), then the registry itself. */
typedef struct regconf_source {
	char ref[1024];                 /* the rewritten reference */
	bool insecure;
	bool mirror;
} regconf_source;
/* CPOD_E_PERM when the registry is blocked. */
CPOD_INTERNAL int regconf_pull_sources(const registries_conf *c, const char *ref,
				       regconf_source *out, size_t max, size_t *n, cpod_err *err);
/* Whether the registry (host[:port]) of ref is insecure. */
CPOD_INTERNAL bool regconf_insecure(const registries_conf *c, const char *ref);

/* The fully qualified references to try for a short name (name[:tag|@digest],
 * no domain): its alias when there is one, else each unqualified-search
 * registry in order, else docker.io (podman's default when none are set,
 * without the prompt).  Each is "domain/path:tag" as ref_parse normalises. */
CPOD_INTERNAL int regconf_candidates(const registries_conf *c, const char *name, char (*out)[1024],
				     size_t max, size_t *n, cpod_err *err);

#endif
