/*
 * login.c — cpod_login, cpod_logout and cpod_login_get: credentials
 * checked against the registry, then kept in the auth file podman writes
 * (see net/auth.h for which file, and the keys).
 */
#include "engine.h"
#include "../net/registry.h"
#include "../net/registries_conf.h"

/* The auth.json key for what the user typed, and its registry part. */
static int login_key(const char *registry, char *key, size_t n, char *host, size_t hn,
		     cpod_err *err)
{
	if (!registry || !*registry)
		return err_set(err, CPOD_E_INVALID, "a registry is required");
	if (auth_normalize_key(registry, key, n, err) < 0)
		return -1;
	snprintf(host, hn, "%.*s", (int)strcspn(key, "/"), key);
	return 0;
}

int cpod_login(const char *registry, const char *user, const char *password,
	       const cpod_registry_opts *o, cpod_err *err)
{
	cpod_registry_opts none = { .tls_verify = -1, .progress_fd = -1 };
	char key[512], host[300];
	registries_conf conf;
	auth_paths paths;

	if (!o)
		o = &none;
	if (login_key(registry, key, sizeof(key), host, sizeof(host), err) < 0)
		return err_prefix(err, "login");
	if (!user || !*user || strchr(user, ':'))
		return err_set(err, CPOD_E_INVALID, "login %s: a user name (without ':') is required",
			       key);
	if (!password || !*password)
		return err_set(err, CPOD_E_INVALID, "login %s: a password is required", key);
	if (auth_paths_get(o->authfile, &paths, err) < 0)
		return err_prefix(err, "login %s", key);
	if (regconf_load(&conf, err) < 0)
		return err_prefix(err, "login %s", key);
	bool insecure = regconf_insecure(&conf, key);
	regconf_free(&conf);
	reg_client_opts ro = { .authfile = o->authfile, .cert_dir = o->cert_dir,
			       .tls_verify = o->tls_verify };
	reg_client *rc = reg_client_new(&ro, err);
	if (!rc)
		return err_prefix(err, "login %s", key);
	int r = reg_login_check(rc, host, insecure, user, password, err);
	reg_client_free(rc);
	if (r < 0)
		return err_prefix(err, "login %s", key);
	if (auth_store(paths.path[0], key, user, password, err) < 0)
		return err_prefix(err, "login %s: storing the credentials", key);
	return 0;
}

int cpod_logout(const char *registry, int all, const cpod_registry_opts *o, cpod_err *err)
{
	char key[512], host[300];
	auth_paths paths;
	bool found;

	if (auth_paths_get(o ? o->authfile : NULL, &paths, err) < 0)
		return err_prefix(err, "logout");
	if (all) {
		if (auth_remove(paths.path[0], NULL, &found, err) < 0)
			return err_prefix(err, "logout");
		return 0;
	}
	if (login_key(registry, key, sizeof(key), host, sizeof(host), err) < 0)
		return err_prefix(err, "logout");
	if (auth_remove(paths.path[0], key, &found, err) < 0)
		return err_prefix(err, "logout %s", key);
	if (found)
		return 0;
	/* podman's message when only docker knows the credentials */
	auth_creds c;
	const char *slash = strchr(key, '/');
	int r = auth_lookup(o ? o->authfile : NULL, host, slash ? slash + 1 : NULL, &c, NULL);
	explicit_bzero(c.password, sizeof(c.password));
	if (r == 1 && strcmp(c.file, paths.path[0]) != 0)
		return err_set(err, CPOD_E_NOTFOUND, "not logged into %s with cpod: the credentials "
			       "in %s%s are not removed (%s)", key, c.file,
			       c.docker ? " were made by docker login and" : "",
			       c.docker ? "use docker logout" : "edit that file");
	return err_set(err, CPOD_E_NOTFOUND, "not logged into %s", key);
}

char *cpod_login_get(const char *registry, const cpod_registry_opts *o, cpod_err *err)
{
	char key[512], host[300];
	auth_creds c;

	if (login_key(registry, key, sizeof(key), host, sizeof(host), err) < 0) {
		err_prefix(err, "login");
		return NULL;
	}
	const char *slash = strchr(key, '/');
	int r = auth_lookup(o ? o->authfile : NULL, host, slash ? slash + 1 : NULL, &c, err);
	explicit_bzero(c.password, sizeof(c.password));
	if (r < 0) {
		err_prefix(err, "login %s", key);
		return NULL;
	}
	if (r == 0) {
		err_set(err, CPOD_E_NOTFOUND, "not logged into %s", key);
		return NULL;
	}
	char *u = strdup(c.user);
	if (!u)
		err_nomem(err);
	return u;
}
