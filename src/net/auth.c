/*
 * auth.c — auth.json files: finding them, reading credentials out of them,
 * and changing one entry while keeping the rest (see auth.h).
 */
#include "auth.h"
#include "http.h"
#include "../base/fs.h"

static const json_limits auth_limits = { .max_size = AUTH_MAX_FILE, .max_depth = 32,
					  .max_values = 100000 };

/* ---------------------------------------------------------------- base64 */

static int auth_b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

CPOD_INTERNAL ssize_t auth_base64_decode(const char *in, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	if (cap)
		out[0] = '\0';
	if (len % 4 != 0 || cap == 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		size_t pad = 0;
		for (int k = 0; k < 4; k++) {
			char c = in[i + (size_t)k];
			if (c == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad || (v[k] = auth_b64_value(c)) < 0)
				return -1;   /* data after '=', or not base64 */
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			     (uint32_t)v[3];
		unsigned char b[3] = { (unsigned char)(w >> 16), (unsigned char)(w >> 8),
				       (unsigned char)w };
		size_t nb = 3 - pad;
		if (o + nb >= cap)
			return -1;
		memcpy(out + o, b, nb);
		o += nb;
	}
	out[o] = '\0';
	return (ssize_t)o;
}

/* ---------------------------------------------------------------- files */

static int auth_join(char *out, size_t n, const char *a, const char *b, cpod_err *err)
{
	int r = snprintf(out, n, "%s/%s", a, b);
	if (r < 0 || (size_t)r >= n)
		return err_set(err, CPOD_E_LIMIT, "path too long: %s/%s", a, b);
	return 0;
}

CPOD_INTERNAL int auth_paths_get(const char *authfile, auth_paths *p, cpod_err *err)
{
	const char *env = getenv("REGISTRY_AUTH_FILE");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	const char *home = getenv("HOME");
	const char *cfg = getenv("XDG_CONFIG_HOME");
	const char *dcfg = getenv("DOCKER_CONFIG");

	memset(p, 0, sizeof(*p));
	if ((authfile && *authfile) || (env && *env)) {
		const char *f = authfile && *authfile ? authfile : env;
		if (strlen(f) >= sizeof(p->path[0]))
			return err_set(err, CPOD_E_LIMIT, "auth file path too long");
		strcpy(p->path[0], f);
		p->n = 1;
		p->given = true;
		p->flag = authfile && *authfile;
		return 0;
	}
	if (xdg && *xdg) {
		if (auth_join(p->path[p->n], PATH_MAX, xdg, "containers/auth.json", err) < 0)
			return -1;
	} else {
		snprintf(p->path[p->n], PATH_MAX, "/run/containers/%u/auth.json", (unsigned)geteuid());
	}
	p->n++;
	if (cfg && *cfg) {
		if (auth_join(p->path[p->n], PATH_MAX, cfg, "containers/auth.json", err) < 0)
			return -1;
		p->n++;
	} else if (home && *home) {
		if (auth_join(p->path[p->n], PATH_MAX, home, ".config/containers/auth.json", err) < 0)
			return -1;
		p->n++;
	}
	if (dcfg && *dcfg) {
		if (auth_join(p->path[p->n], PATH_MAX, dcfg, "config.json", err) < 0)
			return -1;
		p->docker[p->n++] = true;
	} else if (home && *home) {
		if (auth_join(p->path[p->n], PATH_MAX, home, ".docker/config.json", err) < 0)
			return -1;
		p->docker[p->n++] = true;
	}
	return 0;
}

/* ---------------------------------------------------------------- keys */

static const char *auth_strip_scheme(const char *s)
{
	if (strncasecmp(s, "https://", 8) == 0)
		return s + 8;
	if (strncasecmp(s, "http://", 7) == 0)
		return s + 7;
	return s;
}

static void auth_docker_host(char *host)
{
	if (!strcmp(host, "registry-1.docker.io") || !strcmp(host, "index.docker.io"))
		strcpy(host, "docker.io");
}

CPOD_INTERNAL int auth_normalize_key(const char *in, char *out, size_t n, cpod_err *err)
{
	const char *s = auth_strip_scheme(in);
	bool had_scheme = s != in;
	size_t len = strlen(s);

	if (had_scheme)
		len = strcspn(s, "/");
	while (len && s[len - 1] == '/')
		len--;
	if (len == 0 || len >= n || len >= 512)
		return err_set(err, CPOD_E_INVALID, "\"%.200s\" is not a registry", in);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || strchr("\"\\@?#", c))
			return err_set(err, CPOD_E_INVALID, "\"%.200s\" is not a registry", in);
	}
	memcpy(out, s, len);
	out[len] = '\0';
	size_t hl = strcspn(out, "/");
	if (hl == 0)
		return err_set(err, CPOD_E_INVALID, "\"%.200s\" is not a registry", in);
	for (size_t i = 0; i < hl; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	if (out[hl] == '\0')
		auth_docker_host(out);
	return 0;
}

/* The registry part of a key as found in a file: docker's URL keys
 * ("https://index.docker.io/v1/") name their host. */
static void auth_key_registry(const char *key, char *out, size_t n)
{
	const char *s = auth_strip_scheme(key);
	size_t len = s != key ? strcspn(s, "/") : strlen(s);
	while (len && s[len - 1] == '/')
		len--;
	snprintf(out, n, "%.*s", (int)len, s);
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	auth_docker_host(out);
}

/* Decodes one entry: 1 with credentials, 0 for an entry without any
 * (docker writes {} for a credential store), -1 when malformed. */
static int auth_decode(const json_value *ent, const char *file, const char *key, auth_creds *out,
		       cpod_err *err)
{
	char plain[sizeof(out->user) + sizeof(out->password) + 2];
	const json_value *a = json_get(ent, "auth");
	const char *s = json_string(a);

	if (!json_is(ent, JSON_OBJECT))
		return err_set(err, CPOD_E_INVALID, "%s: auths[\"%.200s\"] is not an object", file,
			       key);
	if (a && !s)
		return err_set(err, CPOD_E_INVALID, "%s: auths[\"%.200s\"].auth is not a string",
			       file, key);
	if (!s || !*s) {
		if (json_get(ent, "identitytoken"))
			log_debug("%s: %s has an identity token, which cpod does not use", file, key);
		return 0;
	}
	ssize_t n = auth_base64_decode(s, strlen(s), plain, sizeof(plain));
	if (n < 0)
		return err_set(err, CPOD_E_INVALID, "%s: auths[\"%.200s\"].auth is not base64 of "
			       "\"user:password\"", file, key);
	char *colon = memchr(plain, ':', (size_t)n);
	if (!colon || memchr(plain, '\0', (size_t)n) || colon == plain)
		return err_set(err, CPOD_E_INVALID, "%s: auths[\"%.200s\"].auth is not "
			       "\"user:password\"", file, key);
	*colon = '\0';
	if (strlen(plain) >= sizeof(out->user) || strlen(colon + 1) >= sizeof(out->password)) {
		explicit_bzero(plain, sizeof(plain));
		return err_set(err, CPOD_E_LIMIT, "%s: auths[\"%.200s\"]: credentials too long",
			       file, key);
	}
	for (const char *p = plain; *p; p++)
		if ((unsigned char)*p < ' ') {
			explicit_bzero(plain, sizeof(plain));
			return err_set(err, CPOD_E_INVALID, "%s: auths[\"%.200s\"]: control "
				       "characters in the user name", file, key);
		}
	strcpy(out->user, plain);
	strcpy(out->password, colon + 1);
	explicit_bzero(plain, sizeof(plain));
	snprintf(out->key, sizeof(out->key), "%s", key);
	snprintf(out->file, sizeof(out->file), "%s", file);
	return 1;
}

static int auth_find(const json_value *root, const char *file, const char *registry,
		     const char *repo, auth_creds *out, cpod_err *err)
{
	const json_value *auths = json_get(root, "auths");
	char key[1024], reg[512];

	if (!json_is(root, JSON_OBJECT))
		return err_set(err, CPOD_E_INVALID, "%s: not a JSON object", file);
	if (!auths)
		return 0;
	if (!json_is(auths, JSON_OBJECT))
		return err_set(err, CPOD_E_INVALID, "%s: \"auths\" is not an object", file);
	snprintf(reg, sizeof(reg), "%s", registry);
	auth_docker_host(reg);
	/* exact keys, the most specific first: reg/a/b, reg/a, reg */
	int w = snprintf(key, sizeof(key), "%s%s%s", reg, repo && *repo ? "/" : "",
			 repo ? repo : "");
	if (w < 0 || (size_t)w >= sizeof(key))
		return err_set(err, CPOD_E_LIMIT, "repository name too long");
	for (;;) {
		for (size_t i = 0; i < json_len(auths); i++) {
			const json_member *m = &auths->u.obj.members[i];
			if (strcmp(m->key, key) == 0)
				return auth_decode(m->value, file, m->key, out, err);
		}
		char *slash = strrchr(key, '/');
		if (!slash || (size_t)(slash - key) < strlen(reg))
			break;
		*slash = '\0';
	}
	/* registry keys written otherwise (URLs, docker's hosts) */
	for (size_t i = 0; i < json_len(auths); i++) {
		const json_member *m = &auths->u.obj.members[i];
		char kr[512];
		if (strchr(auth_strip_scheme(m->key), '/') && auth_strip_scheme(m->key) == m->key)
			continue;   /* a repository key: exact matches only */
		auth_key_registry(m->key, kr, sizeof(kr));
		if (strcmp(kr, reg) == 0)
			return auth_decode(m->value, file, m->key, out, err);
	}
	if (json_get(json_get(root, "credHelpers"), reg) || json_get(root, "credsStore"))
		log_debug("%s: credentials for %s may be in a credential helper, which cpod does "
			  "not run", file, reg);
	return 0;
}

CPOD_INTERNAL int auth_lookup_text(const char *text, size_t len, const char *file,
				   const char *registry, const char *repo, auth_creds *out,
				   cpod_err *err)
{
	_cleanup_json_ json_doc *d = json_parse(text, len, &auth_limits, err);
	if (!d)
		return err_prefix(err, "%s", file);
	return auth_find(json_root(d), file, registry, repo, out, err);
}

CPOD_INTERNAL int auth_lookup(const char *authfile, const char *registry, const char *repo,
			      auth_creds *out, cpod_err *err)
{
	auth_paths p;

	memset(out, 0, sizeof(*out));
	if (auth_paths_get(authfile, &p, err) < 0)
		return -1;
	for (size_t i = 0; i < p.n; i++) {
		_cleanup_buf_ buf b = BUF_INIT;
		cpod_err e;
		if (fs_read_file(AT_FDCWD, p.path[i], AUTH_MAX_FILE, &b, &e) < 0) {
			if (e.errno_ == ENOENT && !p.flag)
				continue;
			if (e.errno_ == ENOENT)
				return err_set(err, CPOD_E_NOTFOUND, "--authfile %s does not exist",
					       p.path[i]);
			if (err)
				*err = e;
			return -1;
		}
		int r = auth_lookup_text(b.data ? b.data : "", b.len, p.path[i], registry, repo,
					 out, err);
		explicit_bzero(b.data, b.len);
		if (r != 0) {
			out->docker = p.docker[i];
			return r;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- writing */

/* The document at path (an empty object when the file is missing). */
static json_doc *auth_load(const char *path, cpod_err *err)
{
	_cleanup_buf_ buf b = BUF_INIT;
	json_doc *d;

	cpod_err e;
	if (fs_read_file(AT_FDCWD, path, AUTH_MAX_FILE, &b, &e) < 0) {
		if (e.errno_ != ENOENT) {
			if (err)
				*err = e;
			return NULL;
		}
		d = json_parse("{}", 2, &auth_limits, err);
	} else {
		d = json_parse(b.data ? b.data : "", b.len, &auth_limits, err);
		explicit_bzero(b.data, b.len);
	}
	if (!d) {
		err_prefix(err, "%s", path);
		return NULL;
	}
	const json_value *root = json_root(d);
	if (!json_is(root, JSON_OBJECT) ||
	    (json_get(root, "auths") && !json_is(json_get(root, "auths"), JSON_OBJECT))) {
		json_doc_free(d);
		err_set(err, CPOD_E_INVALID, "%s: not an auth file (an object with an \"auths\" "
			"object); not changed", path);
		return NULL;
	}
	return d;
}

static int auth_save(const char *path, const buf *b, cpod_err *err)
{
	char dir[PATH_MAX];
	const char *base;

	fs_split(path, dir, sizeof(dir), &base);
	if (fs_mkdir_p(dir, 0700, err) < 0)
		return -1;
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_sys(err, "open %s", dir);
	return fs_write_atomic(dfd, base, b->data, b->len, 0600, FS_SYNC, err);
}

/* Writes root with auths changed: key set to the entry (user, password),
 * or removed when user is NULL (every entry when key is NULL too). */
static int auth_rewrite(const char *path, const json_value *root, const char *key,
			const char *user, const char *password, bool *found, cpod_err *err)
{
	_cleanup_buf_ buf out = BUF_INIT;
	const json_value *auths = json_get(root, "auths");
	bool done = false;
	json_w w;
	char enc[8192], *plain = NULL;

	*found = false;
	if (user) {
		size_t pl = strlen(user) + strlen(password) + 2;
		if (!(plain = malloc(pl)))
			return err_nomem(err);
		snprintf(plain, pl, "%s:%s", user, password);
		int r = http_base64(plain, pl - 1, enc, sizeof(enc));
		explicit_bzero(plain, pl);
		free(plain);
		if (r < 0)
			return err_set(err, CPOD_E_LIMIT, "credentials too long");
	}
	jw_init(&w, &out, "\t");
	jw_obj_begin(&w);
	jw_key(&w, "auths");
	jw_obj_begin(&w);
	for (size_t i = 0; i < json_len(auths); i++) {
		const json_member *m = &auths->u.obj.members[i];
		bool match = !key || strcmp(m->key, key) == 0;
		if (match)
			*found = true;
		if (match && user && !done) {
			jw_key(&w, m->key);
			jw_obj_begin(&w);
			jw_kstr(&w, "auth", enc);
			jw_obj_end(&w);
			done = true;
			continue;
		}
		if (match)
			continue;
		jw_key(&w, m->key);
		jw_value(&w, m->value);
	}
	if (user && !done) {
		jw_key(&w, key);
		jw_obj_begin(&w);
		jw_kstr(&w, "auth", enc);
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
	for (size_t i = 0; i < json_len(root); i++) {
		const json_member *m = &root->u.obj.members[i];
		if (strcmp(m->key, "auths") == 0)
			continue;
		jw_key(&w, m->key);
		jw_value(&w, m->value);
	}
	jw_obj_end(&w);
	explicit_bzero(enc, sizeof(enc));
	if (jw_finish(&w, err) < 0 || buf_putc(&out, '\n', err) < 0)
		return -1;
	int r = auth_save(path, &out, err);
	explicit_bzero(out.data, out.len);
	return r;
}

CPOD_INTERNAL int auth_store(const char *path, const char *key, const char *user,
			     const char *password, cpod_err *err)
{
	bool found;
	if (!user || !*user || strchr(user, ':'))
		return err_set(err, CPOD_E_INVALID, "a user name without ':' is required");
	_cleanup_json_ json_doc *d = auth_load(path, err);
	if (!d)
		return -1;
	return auth_rewrite(path, json_root(d), key, user, password ? password : "", &found, err);
}

CPOD_INTERNAL int auth_remove(const char *path, const char *key, bool *found, cpod_err *err)
{
	struct stat st;
	*found = false;
	if (stat(path, &st) < 0 && errno == ENOENT)
		return 0;
	_cleanup_json_ json_doc *d = auth_load(path, err);
	if (!d)
		return -1;
	const json_value *auths = json_get(json_root(d), "auths");
	bool any = false;
	for (size_t i = 0; i < json_len(auths); i++)
		any |= !key || strcmp(auths->u.obj.members[i].key, key) == 0;
	if (!any)
		return 0;
	return auth_rewrite(path, json_root(d), key, NULL, NULL, found, err);
}
