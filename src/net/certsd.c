/*
 * certsd.c — finding and reading a registry's certificate directory (see
 * certsd.h).
 */
#include "certsd.h"
#include "../base/fs.h"
#include <dirent.h>

#define CERTSD_MAX_ENTRIES 256

static int certsd_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool certsd_suffix(const char *name, const char *suf)
{
	size_t n = strlen(name), s = strlen(suf);
	return n > s && strcmp(name + n - s, suf) == 0;
}

static bool certsd_is_file(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;
	return snprintf(p, sizeof(p), "%s/%s", dir, name) < (int)sizeof(p) && stat(p, &st) == 0 &&
	       S_ISREG(st.st_mode);
}

CPOD_INTERNAL int certsd_read_dir(const char *dir, certsd_tls *out, cpod_err *err)
{
	char *names[CERTSD_MAX_ENTRIES];
	size_t n = 0;
	struct dirent *de;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (strlen(dir) >= sizeof(out->dir) - 64)
		return err_set(err, CPOD_E_LIMIT, "certificate directory path too long");
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : err_sys(err, "open %s", dir);
	snprintf(out->dir, sizeof(out->dir), "%s", dir);
	while ((de = readdir(d))) {
		const char *nm = de->d_name;
		if (nm[0] == '.' || !(certsd_suffix(nm, ".crt") || certsd_suffix(nm, ".cert") ||
				      certsd_suffix(nm, ".key")))
			continue;
		if (strlen(nm) > 200)
			continue;
		if (n == ARRAY_LEN(names)) {
			r = err_set(err, CPOD_E_LIMIT, "%s: too many files", dir);
			break;
		}
		if (!(names[n] = strdup(nm))) {
			r = err_nomem(err);
			break;
		}
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), certsd_cmp);
	for (size_t i = 0; i < n && r == 0; i++) {
		const char *nm = names[i];
		size_t stem = strlen(nm) - (certsd_suffix(nm, ".cert") ? 5 : 4);
		char other[256];
		if (!certsd_is_file(dir, nm))
			continue;
		if (certsd_suffix(nm, ".crt")) {
			if (out->n_ca == CERTSD_MAX_CA) {
				r = err_set(err, CPOD_E_LIMIT, "%s: more than %d CA files", dir,
					    CERTSD_MAX_CA);
				break;
			}
			snprintf(out->ca[out->n_ca++], PATH_MAX, "%s/%s", dir, nm);
		} else if (certsd_suffix(nm, ".cert")) {
			snprintf(other, sizeof(other), "%.*s.key", (int)stem, nm);
			if (!certsd_is_file(dir, other)) {
				r = err_set(err, CPOD_E_INVALID, "%s: missing key %s for client "
					    "certificate %s", dir, other, nm);
				break;
			}
			if (!out->cert[0]) {
				snprintf(out->cert, PATH_MAX, "%s/%s", dir, nm);
				snprintf(out->key, PATH_MAX, "%s/%s", dir, other);
			}
		} else {
			snprintf(other, sizeof(other), "%.*s.cert", (int)stem, nm);
			if (!certsd_is_file(dir, other)) {
				r = err_set(err, CPOD_E_INVALID, "%s: missing client certificate %s "
					    "for key %s", dir, other, nm);
				break;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return r;
}

CPOD_INTERNAL int certsd_lookup(const char *cert_dir, const char *hostport, certsd_tls *out,
				cpod_err *err)
{
	const char *env = getenv("CPOD_CERTS_DIR");
	const char *home = getenv("HOME");
	const char *cfg = getenv("XDG_CONFIG_HOME");
	char roots[3][PATH_MAX];
	size_t nr = 0;

	memset(out, 0, sizeof(*out));
	if (cert_dir && *cert_dir)
		return certsd_read_dir(cert_dir, out, err);
	if (!*hostport || strchr(hostport, '/') || !strcmp(hostport, "..") ||
	    !strcmp(hostport, "."))
		return err_set(err, CPOD_E_INVALID, "bad registry name \"%.200s\"", hostport);
	if (env && *env) {
		snprintf(roots[nr++], PATH_MAX, "%s", env);
	} else {
		if (geteuid() != 0 && cfg && *cfg)
			snprintf(roots[nr++], PATH_MAX, "%s/containers/certs.d", cfg);
		else if (geteuid() != 0 && home && *home)
			snprintf(roots[nr++], PATH_MAX, "%s/.config/containers/certs.d", home);
		snprintf(roots[nr++], PATH_MAX, "/etc/containers/certs.d");
		snprintf(roots[nr++], PATH_MAX, "/etc/docker/certs.d");
	}
	for (size_t i = 0; i < nr; i++) {
		char dir[PATH_MAX];
		struct stat st;
		if (snprintf(dir, sizeof(dir), "%s/%s", roots[i], hostport) >= (int)sizeof(dir))
			return err_set(err, CPOD_E_LIMIT, "certificate directory path too long");
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
			return certsd_read_dir(dir, out, err);
	}
	return 0;
}

CPOD_INTERNAL void certsd_apply(const certsd_tls *t, tls_config *cfg)
{
	for (size_t i = 0; i < t->n_ca && cfg->n_ca_files < ARRAY_LEN(cfg->ca_files); i++)
		cfg->ca_files[cfg->n_ca_files++] = t->ca[i];
	if (t->cert[0]) {
		cfg->client_cert = t->cert;
		cfg->client_key = t->key;
	}
}
