/*
 * auth.h — registry credentials in auth.json files, where podman and docker
 * keep them: `{"auths": {"KEY": {"auth": base64("user:password")}}}`.
 *
 * Files read, in order (the first with an entry for the registry wins):
 * --authfile or REGISTRY_AUTH_FILE alone when given; otherwise
 * $XDG_RUNTIME_DIR/containers/auth.json (/run/containers/UID/auth.json
 * without XDG_RUNTIME_DIR), $XDG_CONFIG_HOME/containers/auth.json
 * (~/.config/...), $DOCKER_CONFIG/config.json (~/.docker/config.json).
 * A key is a registry ("quay.io", "localhost:5000") or a repository or
 * namespace in one ("quay.io/ns/repo"); within a file the most specific
 * key wins, and docker's URL keys ("https://index.docker.io/v1/") match
 * their registry.  login writes only the first file (0600, through a
 * rename), keeping every other entry and member of it.
 *
 * The files are input from wherever: bounded (1 MiB), entries for other
 * registries never looked at, a malformed entry for the one asked for is
 * an error naming the file and the key.
 */
#ifndef CPOD_NET_AUTH_H
#define CPOD_NET_AUTH_H
#include "../base/json.h"

#define AUTH_MAX_FILE (1u << 20)
#define AUTH_MAX_PATHS 4

typedef struct auth_creds {
	char user[256];
	char password[4096];
	char key[512];              /* the key that matched */
	char file[PATH_MAX];        /* the file it came from */
	bool docker;                /* docker's config.json */
} auth_creds;

typedef struct auth_paths {
	char path[AUTH_MAX_PATHS][PATH_MAX];
	bool docker[AUTH_MAX_PATHS];
	size_t n;
	bool given;                 /* --authfile or REGISTRY_AUTH_FILE */
	bool flag;                  /* --authfile: must exist for reading */
} auth_paths;

/* The files to read (authfile: --authfile, or NULL); path[0] is also the
 * one login and logout write. */
CPOD_INTERNAL int auth_paths_get(const char *authfile, auth_paths *p, cpod_err *err);

/* Credentials for registry (a host[:port]) and repository path (may be
 * NULL or "") from the files: 1 found, 0 none, -1 error. */
CPOD_INTERNAL int auth_lookup(const char *authfile, const char *registry, const char *repo,
			      auth_creds *out, cpod_err *err);
/* The same over one document's text (file names the source in errors). */
CPOD_INTERNAL int auth_lookup_text(const char *text, size_t len, const char *file,
				   const char *registry, const char *repo, auth_creds *out,
				   cpod_err *err);

/* Adds or replaces auths[key] in path (created 0600, parents 0700). */
CPOD_INTERNAL int auth_store(const char *path, const char *key, const char *user,
			     const char *password, cpod_err *err);
/* Removes auths[key] (key NULL: every entry) from path; *found says
 * whether there was one.  A missing file has nothing. */
CPOD_INTERNAL int auth_remove(const char *path, const char *key, bool *found, cpod_err *err);

/* A key as login writes it: scheme, "/v1/"-style suffixes and a trailing
 * slash dropped, docker's hosts named docker.io.  -1 when it is not a
 * registry[/path] at all. */
CPOD_INTERNAL int auth_normalize_key(const char *in, char *out, size_t n, cpod_err *err);

/* Standard base64 (padding required, no whitespace) into out; returns the
 * length, -1 when malformed or when it does not fit (out gets a NUL). */
CPOD_INTERNAL ssize_t auth_base64_decode(const char *in, size_t len, char *out, size_t cap);

#endif
