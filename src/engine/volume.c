/*
 * volume.c — the volume store and what containers do with volumes: the
 * copy-up of an image's content on first use, finding a volume's users,
 * releasing a container's anonymous volumes (see volume.h).
 *
 * Copy-up reads the image's layers directly (no mount, so it works before
 * the container exists and without privileges): the directory is looked
 * up in the merged view (whiteouts, opaque directories and symlinks inside
 * the image as overlayfs would show them), then the layers that show
 * through are applied bottom up into the volume.
 */
#include "volume.h"
#include "../base/fs.h"
#include "../image/rootfs.h"
#include <dirent.h>
#include <sys/file.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#define VOLUME_JSON_MAX (1u << 20)

CPOD_INTERNAL void volume_rec_free(volume_rec *v)
{
	pool_free(&v->pool);
	memset(v, 0, sizeof(*v));
}

CPOD_INTERNAL bool volume_name_ok(const char *n)
{
	return options_name_ok(n, 255);
}

CPOD_INTERNAL const char *volume_option(const volume_rec *v, const char *key)
{
	for (size_t i = 0; i < v->n_options; i++)
		if (strcmp(v->options[i].key, key) == 0)
			return v->options[i].value;
	return NULL;
}

CPOD_INTERNAL bool volume_is_tmpfs(const volume_rec *v, const char **o)
{
	const char *t = volume_option(v, "type");
	if (!t || strcmp(t, "tmpfs") != 0)
		return false;
	if (o)
		*o = volume_option(v, "o") ? volume_option(v, "o") : "";
	return true;
}

/* Whether the comma list o holds word. */
static bool volume_has_word(const char *o, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = o; p && *p;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p = c ? c + 1 : NULL;
	}
	return false;
}

CPOD_INTERNAL const char *volume_bind_device(const volume_rec *v)
{
	const char *t = volume_option(v, "type"), *o = volume_option(v, "o");
	if (!t || (strcmp(t, "none") != 0 && strcmp(t, "bind") != 0))
		return NULL;
	if (!volume_has_word(o, "bind") && !volume_has_word(o, "rbind"))
		return NULL;
	return volume_option(v, "device");
}

CPOD_INTERNAL int volume_lock(cpod_engine *e, cpod_err *err)
{
	int fd = openat(e->rootfd, "volumes.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || RETRY_EINTR(flock(fd, LOCK_EX)) < 0) {
		err_sys(err, "lock the volumes");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* ---------------------------------------------------------------- options */

static int volume_check_id(const char *what, const char *v, cpod_err *err)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (!*v || *end || errno || n > UINT32_MAX - 1 || *v == '-')
		return err_set(err, CPOD_E_INVALID, "--opt %s=%s: a number is expected", what, v);
	return 0;
}

CPOD_INTERNAL int volume_check_options(const char *driver, const char *const *labels,
				       const char *const *options, cpod_err *err)
{
	const char *type = NULL, *device = NULL, *o = NULL;
	if (driver && *driver && strcmp(driver, "local") != 0)
		return err_set(err, CPOD_E_UNSUPPORTED, "--driver %s: not supported (local)", driver);
	for (size_t i = 0; labels && labels[i]; i++)
		if (!labels[i][0] || labels[i][0] == '=')
			return err_set(err, CPOD_E_INVALID, "--label %s: KEY=VALUE expected", labels[i]);
	for (size_t i = 0; options && options[i]; i++) {
		const char *s = options[i], *eq = strchr(s, '=');
		if (!eq || eq == s)
			return err_set(err, CPOD_E_INVALID, "--opt %s: KEY=VALUE expected", s);
		size_t k = (size_t)(eq - s);
		if (k == 4 && strncmp(s, "type", 4) == 0)
			type = eq + 1;
		else if (k == 6 && strncmp(s, "device", 6) == 0)
			device = eq + 1;
		else if (k == 1 && s[0] == 'o')
			o = eq + 1;
		else if ((k == 3 && strncmp(s, "uid", 3) == 0) || (k == 3 && strncmp(s, "gid", 3) == 0)) {
			char what[4];
			snprintf(what, sizeof(what), "%.3s", s);
			if (volume_check_id(what, eq + 1, err) < 0)
				return -1;
		} else
			return err_set(err, CPOD_E_INVALID,
				       "--opt %s: unknown option (type, device, o, uid, gid)", s);
	}
	if (!type) {
		if (device)
			return err_set(err, CPOD_E_INVALID, "--opt device=%s: needs a type= too", device);
		/* plain volumes: o= may only give the owner */
		char copy[1024];
		snprintf(copy, sizeof(copy), "%s", o ? o : "");
		char *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if ((strncmp(t, "uid=", 4) != 0 && strncmp(t, "gid=", 4) != 0))
				return err_set(err, CPOD_E_INVALID,
					       "--opt o=%s: without a type, only uid= and gid= are allowed", o);
			if (volume_check_id(t[0] == 'u' ? "o=uid" : "o=gid", t + 4, err) < 0)
				return -1;
		}
		return 0;
	}
	if (strcmp(type, "tmpfs") == 0) {
		if (device && strcmp(device, "tmpfs") != 0)
			return err_set(err, CPOD_E_INVALID, "--opt device=%s: a tmpfs volume's device is tmpfs",
				       device);
		if (o && *o) {
			mem_pool pool = { 0 };
			options_mount m;
			cpod_err e2;
			char spec[1100];
			snprintf(spec, sizeof(spec), "/v:%s", o);
			int r = options_tmpfs(spec, &m, &pool, &e2);
			pool_free(&pool);
			if (r < 0) {
				const char *why = strstr(e2.msg, ": ");
				return err_set(err, CPOD_E_INVALID, "--opt o=%s%s", o, why ? why : ": bad options");
			}
		}
		return 0;
	}
	if (strcmp(type, "none") == 0 || strcmp(type, "bind") == 0) {
		struct stat st;
		if (!volume_has_word(o, "bind") && !volume_has_word(o, "rbind"))
			return err_set(err, CPOD_E_UNSUPPORTED,
				       "--opt type=%s: only bind volumes (o=bind,device=PATH) are supported",
				       type);
		if (!device || device[0] != '/')
			return err_set(err, CPOD_E_INVALID,
				       "--opt type=%s: a bind volume needs device=ABSOLUTE-PATH", type);
		if (stat(device, &st) < 0)
			return err_sys(err, "--opt device=%s", device);
		return 0;
	}
	return err_set(err, CPOD_E_UNSUPPORTED,
		       "--opt type=%s: not supported (tmpfs, or none with o=bind,device=PATH)", type);
}

/* ---------------------------------------------------------------- records */

static int volume_kv_parse(const json_value *obj, options_kv **out, size_t *n, mem_pool *pool,
			   const char *where, cpod_err *err)
{
	*out = NULL;
	*n = 0;
	if (!obj)
		return 0;
	if (!json_is(obj, JSON_OBJECT))
		return err_set(err, CPOD_E_INVALID, "%s: an object is expected", where);
	*out = pool_calloc(pool, json_len(obj) + 1, sizeof(options_kv), err);
	if (!*out)
		return -1;
	for (size_t i = 0; i < json_len(obj); i++) {
		const json_member *m = &obj->u.obj.members[i];
		const char *v = json_string(m->value);
		if (!v)
			return err_set(err, CPOD_E_INVALID, "%s.%s: a string is expected", where, m->key);
		(*out)[i].key = pool_strdup(pool, m->key, err);
		(*out)[i].value = pool_strdup(pool, v, err);
		if (!(*out)[i].key || !(*out)[i].value)
			return -1;
	}
	*n = json_len(obj);
	return 0;
}

static int volume_path(const cpod_engine *e, const char *name, const char *sub, char *out,
		       size_t n, cpod_err *err)
{
	int r = snprintf(out, n, "%s/volumes/%s%s%s", e->root, name, *sub ? "/" : "", sub);
	if (r < 0 || (size_t)r >= n)
		return err_set(err, CPOD_E_LIMIT, "volume path too long");
	return 0;
}

CPOD_INTERNAL int volume_load(cpod_engine *e, const char *name, volume_rec *v, cpod_err *err)
{
	const json_limits lim = { .max_size = VOLUME_JSON_MAX, .max_depth = 8 };
	char rel[320];
	memset(v, 0, sizeof(*v));
	if (!volume_name_ok(name))
		return err_set(err, CPOD_E_NOTFOUND, "no volume with name \"%s\" found: no such volume",
			       name);
	snprintf(rel, sizeof(rel), "volumes/%s/volume.json", name);
	cpod_err e2;
	json_doc *d = json_parse_file(e->rootfd, rel, &lim, &e2);
	if (!d) {
		if (e2.code == CPOD_E_SYS && e2.errno_ == ENOENT)
			return err_set(err, CPOD_E_NOTFOUND,
				       "no volume with name \"%s\" found: no such volume", name);
		if (err)
			*err = e2;
		return err_prefix(err, "volume %s", name);
	}
	const json_value *o = json_root(d);
	const char *n = NULL, *driver = "local", *created = "";
	bool anon = false, copy = false, chown_ = false;
	int r = -1;
	if (json_opt_str(o, "Name", &n, "volume.json", err) < 0 ||
	    json_opt_str(o, "Driver", &driver, "volume.json", err) < 0 ||
	    json_opt_str(o, "CreatedAt", &created, "volume.json", err) < 0 ||
	    json_opt_bool(o, "Anonymous", &anon, "volume.json", err) < 0 ||
	    json_opt_bool(o, "NeedsCopyUp", &copy, "volume.json", err) < 0 ||
	    json_opt_bool(o, "NeedsChown", &chown_, "volume.json", err) < 0 ||
	    volume_kv_parse(json_get(o, "Labels"), &v->labels, &v->n_labels, &v->pool,
			    "volume.json Labels", err) < 0 ||
	    volume_kv_parse(json_get(o, "Options"), &v->options, &v->n_options, &v->pool,
			    "volume.json Options", err) < 0)
		goto out;
	if (!n || strcmp(n, name) != 0) {
		err_set(err, CPOD_E_INVALID, "volume %s: volume.json names another volume", name);
		goto out;
	}
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(v->driver, sizeof(v->driver), "%s", driver);
	snprintf(v->created, sizeof(v->created), "%s", created);
	v->anonymous = anon;
	v->needs_copy_up = copy;
	v->needs_chown = chown_;
	if (volume_path(e, name, "_data", v->mountpoint, sizeof(v->mountpoint), err) < 0)
		goto out;
	r = 0;
out:
	json_doc_free(d);
	if (r < 0) {
		volume_rec_free(v);
		err_prefix(err, "volume %s", name);
	}
	return r;
}

static int volume_record_json(const volume_rec *v, buf *b, cpod_err *err)
{
	json_w w;
	jw_init(&w, b, NULL);
	jw_obj_begin(&w);
	jw_kstr(&w, "Name", v->name);
	jw_kstr(&w, "Driver", v->driver);
	jw_kstr(&w, "CreatedAt", v->created);
	jw_kbool(&w, "Anonymous", v->anonymous);
	jw_kbool(&w, "NeedsCopyUp", v->needs_copy_up);
	jw_kbool(&w, "NeedsChown", v->needs_chown);
	jw_key(&w, "Labels");
	jw_obj_begin(&w);
	for (size_t i = 0; i < v->n_labels; i++)
		jw_kstr(&w, v->labels[i].key, v->labels[i].value);
	jw_obj_end(&w);
	jw_key(&w, "Options");
	jw_obj_begin(&w);
	for (size_t i = 0; i < v->n_options; i++)
		jw_kstr(&w, v->options[i].key, v->options[i].value);
	jw_obj_end(&w);
	jw_obj_end(&w);
	return jw_finish(&w, err);
}

CPOD_INTERNAL int volume_save(cpod_engine *e, const volume_rec *v, cpod_err *err)
{
	_cleanup_buf_ buf b = BUF_INIT;
	char rel[320];
	if (volume_record_json(v, &b, err) < 0)
		return -1;
	snprintf(rel, sizeof(rel), "volumes/%s/volume.json", v->name);
	return fs_write_atomic(e->rootfd, rel, b.data, b.len, 0600, 0, err);
}

/* "k=v" (or "k") into kv. */
static int volume_kv_from(const char *const *list, options_kv **out, size_t *n, mem_pool *pool,
			  cpod_err *err)
{
	size_t count = 0;
	while (list && list[count])
		count++;
	*out = pool_calloc(pool, count + 1, sizeof(options_kv), err);
	*n = 0;
	if (!*out)
		return -1;
	for (size_t i = 0; i < count; i++) {
		char *k = pool_strdup(pool, list[i], err);
		if (!k)
			return -1;
		char *eq = strchr(k, '=');
		const char *val = "";
		if (eq) {
			*eq = '\0';
			val = eq + 1;
		}
		size_t j;
		for (j = 0; j < *n && strcmp((*out)[j].key, k) != 0; j++)
			;
		(*out)[j].key = k;
		(*out)[j].value = val;
		if (j == *n)
			(*n)++;
	}
	return 0;
}

/* uid= / gid= from --opt or --opt o=. */
static bool volume_owner(const volume_rec *v, const char *key, unsigned long *out)
{
	const char *s = volume_option(v, key), *o = volume_option(v, "o");
	char word[8];
	snprintf(word, sizeof(word), "%s=", key);
	if (!s && o && !volume_option(v, "type")) {
		for (const char *p = o; p && *p;) {
			if (strncmp(p, word, 4) == 0)
				s = p + 4;
			p = strchr(p, ',');
			p = p ? p + 1 : NULL;
		}
	}
	if (!s)
		return false;
	*out = strtoul(s, NULL, 10);
	return true;
}

CPOD_INTERNAL int volume_create(cpod_engine *e, const char *name, const char *driver,
				const char *const *labels, const char *const *options,
				bool anonymous, volume_rec *out, cpod_err *err)
{
	char gen[65], tmp[64], rel[320];
	volume_rec v;
	_cleanup_buf_ buf b = BUF_INIT;
	int r = -1;
	bool made = false;

	memset(&v, 0, sizeof(v));
	if (!name) {
		engine_random_hex(gen, 64);
		name = gen;
	}
	if (!volume_name_ok(name))
		return err_set(err, CPOD_E_INVALID,
			       "volume name \"%s\" must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", name);
	if (volume_check_options(driver, labels, options, err) < 0)
		return -1;
	if (mkdirat(e->rootfd, "volumes", 0700) < 0 && errno != EEXIST)
		return err_sys(err, "create %s/volumes", e->root);
	snprintf(rel, sizeof(rel), "volumes/%s", name);
	if (faccessat(e->rootfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return err_set(err, CPOD_E_EXISTS, "volume with name %s already exists", name);

	snprintf(v.name, sizeof(v.name), "%s", name);
	snprintf(v.driver, sizeof(v.driver), "local");
	engine_now(v.created, sizeof(v.created));
	v.anonymous = anonymous;
	v.needs_copy_up = true;
	if (volume_kv_from(labels, &v.labels, &v.n_labels, &v.pool, err) < 0 ||
	    volume_kv_from(options, &v.options, &v.n_options, &v.pool, err) < 0)
		goto out;
	unsigned long uid = 0, gid = 0;
	bool has_uid = volume_owner(&v, "uid", &uid), has_gid = volume_owner(&v, "gid", &gid);
	v.needs_chown = !has_uid && !has_gid;

	/* made aside, then renamed into place whole */
	char hex[17];
	engine_random_hex(hex, 16);
	snprintf(tmp, sizeof(tmp), "volumes/.tmp-%s", hex);
	if (mkdirat(e->rootfd, tmp, 0700) < 0) {
		err_sys(err, "create volume %s", name);
		goto out;
	}
	made = true;
	char data[96];
	snprintf(data, sizeof(data), "%s/_data", tmp);
	if (mkdirat(e->rootfd, data, 0755) < 0 || fchmodat(e->rootfd, data, 0755, 0) < 0) {
		err_sys(err, "create volume %s", name);
		goto out;
	}
	if ((has_uid || has_gid) &&
	    fchownat(e->rootfd, data, has_uid ? (uid_t)uid : (uid_t)-1,
		     has_gid ? (gid_t)gid : (gid_t)-1, AT_SYMLINK_NOFOLLOW) < 0) {
		err_sys(err, "volume %s: chown to %lu:%lu", name, uid, gid);
		goto out;
	}
	char js[96];
	snprintf(js, sizeof(js), "%s/volume.json", tmp);
	if (volume_record_json(&v, &b, err) < 0 ||
	    fs_write_atomic(e->rootfd, js, b.data, b.len, 0600, 0, err) < 0)
		goto out;
	if (renameat(e->rootfd, tmp, e->rootfd, rel) < 0) {
		if (errno == ENOTEMPTY || errno == EEXIST)
			err_set(err, CPOD_E_EXISTS, "volume with name %s already exists", name);
		else
			err_sys(err, "create volume %s", name);
		goto out;
	}
	made = false;
	if (volume_path(e, name, "_data", v.mountpoint, sizeof(v.mountpoint), err) < 0)
		goto out;
	r = 0;
out:
	if (made)
		fs_rm_tree(e->rootfd, tmp, NULL);
	if (r == 0 && out)
		*out = v;
	else
		volume_rec_free(&v);
	return r;
}

static int volume_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

CPOD_INTERNAL void volume_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

CPOD_INTERNAL int volume_names(cpod_engine *e, char ***names, size_t *n, cpod_err *err)
{
	*names = NULL;
	*n = 0;
	int fd = openat(e->rootfd, "volumes", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : err_sys(err, "open %s/volumes", e->root);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return err_sys(err, "read %s/volumes", e->root);
	}
	struct dirent *de;
	size_t cap = 0;
	int r = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !volume_name_ok(de->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nn = realloc(*names, cap * sizeof(char *));
			if (!nn) {
				r = err_nomem(err);
				break;
			}
			*names = nn;
		}
		if (!((*names)[*n] = strdup(de->d_name))) {
			r = err_nomem(err);
			break;
		}
		(*n)++;
	}
	closedir(d);
	if (r < 0) {
		volume_names_free(*names, *n);
		*names = NULL;
		*n = 0;
		return -1;
	}
	if (*n)
		qsort(*names, *n, sizeof(char *), volume_name_cmp);
	return 0;
}

/* ---------------------------------------------------------------- users */

static bool volume_in_mounts(const json_value *mounts, const char *name)
{
	for (size_t i = 0; i < json_len(mounts); i++) {
		const json_value *m = json_at(mounts, i);
		const char *t = json_string(json_get(m, "Type")), *n = json_string(json_get(m, "Name"));
		if (t && n && strcmp(t, "volume") == 0 && strcmp(n, name) == 0)
			return true;
	}
	return false;
}

/* The summary's Mounts: at the top, or in an object one level down. */
static const json_value *volume_find_mounts(const json_value *root)
{
	const json_value *m = json_get(root, "Mounts");
	if (json_is(m, JSON_ARRAY))
		return m;
	for (size_t i = 0; json_is(root, JSON_OBJECT) && i < json_len(root); i++) {
		m = json_get(root->u.obj.members[i].value, "Mounts");
		if (json_is(m, JSON_ARRAY))
			return m;
	}
	return NULL;
}

static bool volume_ctr_uses(cpod_engine *e, const char *id, const char *name)
{
	const json_limits lim = { .max_size = 16u << 20 };
	char path[160];
	snprintf(path, sizeof(path), "containers/%.64s/container.json", id);
	json_doc *d = json_parse_file(e->rootfd, path, &lim, NULL);
	if (d) {
		const json_value *m = volume_find_mounts(json_root(d));
		bool uses = m && volume_in_mounts(m, name);
		json_doc_free(d);
		if (m)
			return uses;
	}
	snprintf(path, sizeof(path), "containers/%.64s/config.json", id);
	d = json_parse_file(e->rootfd, path, &lim, NULL);
	if (!d)
		return false;
	const char *list = json_string(json_get(json_get(json_root(d), "annotations"),
						"io.cpod.volumes"));
	bool uses = list && volume_has_word(list, name);
	json_doc_free(d);
	return uses;
}

CPOD_INTERNAL int volume_users(cpod_engine *e, const char *name, const char *except,
			       char *first)
{
	int fd = openat(e->rootfd, "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	int n = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strlen(de->d_name) != 64 || strspn(de->d_name, "0123456789abcdef") != 64)
			continue;
		if (except && strcmp(except, de->d_name) == 0)
			continue;
		if (volume_ctr_uses(e, de->d_name, name)) {
			if (n == 0 && first)
				snprintf(first, 65, "%.64s", de->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

CPOD_INTERNAL int volume_remove(cpod_engine *e, const char *name, bool force, cpod_err *err)
{
	volume_rec v;
	char first[65], rel[320], tmp[64], hex[17];
	if (volume_load(e, name, &v, err) < 0)
		return -1;
	volume_rec_free(&v);
	int users = volume_users(e, name, NULL, first);
	if (users && !force)
		return err_set(err, CPOD_E_STATE,
			       "volume %s is being used by the following container(s): %.12s%s: volume is "
			       "being used", name, first, users > 1 ? " and others" : "");
	snprintf(rel, sizeof(rel), "volumes/%s", name);
	engine_random_hex(hex, 16);
	snprintf(tmp, sizeof(tmp), "volumes/.rm-%s", hex);
	if (renameat(e->rootfd, rel, e->rootfd, tmp) < 0)
		return err_sys(err, "remove volume %s", name);
	if (fs_rm_tree(e->rootfd, tmp, err) < 0)
		return err_prefix(err, "remove volume %s", name);
	return 0;
}

CPOD_INTERNAL void volume_write_json(json_w *w, cpod_engine *e, const volume_rec *v)
{
	unsigned long id;
	jw_obj_begin(w);
	jw_kstr(w, "Name", v->name);
	jw_kstr(w, "Driver", v->driver);
	jw_kstr(w, "Mountpoint", v->mountpoint);
	jw_kstr(w, "CreatedAt", v->created);
	jw_key(w, "Labels");
	jw_obj_begin(w);
	for (size_t i = 0; i < v->n_labels; i++)
		jw_kstr(w, v->labels[i].key, v->labels[i].value);
	jw_obj_end(w);
	jw_kstr(w, "Scope", "local");
	jw_key(w, "Options");
	jw_obj_begin(w);
	for (size_t i = 0; i < v->n_options; i++)
		jw_kstr(w, v->options[i].key, v->options[i].value);
	jw_obj_end(w);
	if (volume_owner(v, "uid", &id))
		jw_kint(w, "UID", (int64_t)id);
	if (volume_owner(v, "gid", &id))
		jw_kint(w, "GID", (int64_t)id);
	jw_kint(w, "MountCount", 0);
	jw_kbool(w, "NeedsCopyUp", v->needs_copy_up);
	jw_kbool(w, "NeedsChown", v->needs_chown);
	jw_kbool(w, "Anonymous", v->anonymous);
	jw_kint(w, "Containers", volume_users(e, v->name, NULL, NULL));
	jw_obj_end(w);
}

/* ---------------------------------------------------------------- copy-up */

enum { VOLUME_MISSING, VOLUME_HIDDEN, VOLUME_FOUND };

/* Walks rel (components without symlinks) in one layer.  *opaque: an
 * opaque directory was passed (or found), so the lower layers do not show
 * there.  With dirfd, a found directory is opened. */
static int volume_layer_walk(int lfd, const char *rel, struct stat *st, bool *opaque, int *dirfd)
{
	char copy[PATH_MAX];
	int cur = dup(lfd), r = VOLUME_MISSING;
	*opaque = false;
	if (dirfd)
		*dirfd = -1;
	if (cur < 0)
		return VOLUME_MISSING;
	snprintf(copy, sizeof(copy), "%s", rel);
	char *save = NULL, *c = strtok_r(copy, "/", &save);
	if (!c) {
		fstat(cur, st);
		if (dirfd)
			*dirfd = TAKE_FD(cur);
		if (cur >= 0)
			close(cur);
		return VOLUME_FOUND;
	}
	while (c) {
		char *next = strtok_r(NULL, "/", &save);
		if (fstatat(cur, c, st, AT_SYMLINK_NOFOLLOW) < 0)
			break;
		if (rootfs_is_whiteout(st)) {
			r = VOLUME_HIDDEN;
			break;
		}
		if (!S_ISDIR(st->st_mode)) {
			r = next ? VOLUME_HIDDEN : VOLUME_FOUND;
			break;
		}
		int sub = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			break;
		if (rootfs_is_opaque(sub))
			*opaque = true;
		close(cur);
		cur = sub;
		if (!next) {
			r = VOLUME_FOUND;
			if (dirfd)
				*dirfd = TAKE_FD(cur);
			break;
		}
		c = next;
	}
	if (cur >= 0)
		close(cur);
	return r;
}

/* The top-most layer that has rel in the merged view, -1 when none does. */
static ssize_t volume_lookup(const int *fds, size_t n, const char *rel, struct stat *st)
{
	for (size_t i = n; i-- > 0;) {
		bool opq;
		int r = volume_layer_walk(fds[i], rel, st, &opq, NULL);
		if (r == VOLUME_FOUND)
			return (ssize_t)i;
		if (r == VOLUME_HIDDEN || opq)
			return -1;
	}
	return -1;
}

/* Resolves path in the image's merged tree, symlinks followed inside the
 * image, into out (relative, no symlinks).  0: a directory is there. */
static int volume_resolve(const int *fds, size_t n, const char *path, char *out, size_t outn,
			  struct stat *st, cpod_err *err)
{
	char todo[PATH_MAX * 2], done[PATH_MAX] = "";
	int links = 0;
	snprintf(todo, sizeof(todo), "%s", path);
	const char *p = todo;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char comp[NAME_MAX + 1];
		if (len > NAME_MAX)
			return 1;
		memcpy(comp, p, len);
		comp[len] = '\0';
		p += len;
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			char *slash = strrchr(done, '/');
			if (slash)
				*slash = '\0';
			else
				done[0] = '\0';
			continue;
		}
		char cand[PATH_MAX];
		if (snprintf(cand, sizeof(cand), "%s%s%s", done, *done ? "/" : "", comp) >=
		    (int)sizeof(cand))
			return 1;
		ssize_t layer = volume_lookup(fds, n, cand, st);
		if (layer < 0)
			return 1;
		if (S_ISLNK(st->st_mode)) {
			char target[PATH_MAX], rest[PATH_MAX * 2];
			if (++links > 40)
				return err_set(err, CPOD_E_INVALID, "%s: too many levels of symbolic links",
					       path);
			ssize_t l = readlinkat(fds[layer], cand, target, sizeof(target) - 1);
			if (l <= 0)
				return 1;
			target[l] = '\0';
			snprintf(rest, sizeof(rest), "%s/%s", target, p);
			snprintf(todo, sizeof(todo), "%s", rest);
			p = todo;
			if (target[0] == '/')
				done[0] = '\0';
			continue;
		}
		snprintf(done, sizeof(done), "%s", cand);
		if (!S_ISDIR(st->st_mode)) {
			while (*p == '/')
				p++;
			if (*p)
				return 1;
		}
	}
	if (!*done && fstat(fds[n - 1], st) < 0)
		return 1;
	snprintf(out, outn, "%s", done);
	return S_ISDIR(st->st_mode) ? 0 : 1;
}

/* The image's directory rel (resolved) onto dst, from the layers that
 * show through, bottom up. */
static int volume_copy_layers(const int *fds, size_t n, const char *rel, int dst, cpod_err *err)
{
	size_t lowest = 0;
	for (size_t i = n; i-- > 0;) {
		struct stat st;
		bool opq;
		int r = volume_layer_walk(fds[i], rel, &st, &opq, NULL);
		if (r == VOLUME_HIDDEN || (r == VOLUME_FOUND && !S_ISDIR(st.st_mode))) {
			lowest = i + 1;
			break;
		}
		if (opq) {
			lowest = r == VOLUME_FOUND ? i : i + 1;
			break;
		}
	}
	for (size_t i = lowest; i < n; i++) {
		struct stat st;
		bool opq;
		int dfd;
		if (volume_layer_walk(fds[i], rel, &st, &opq, &dfd) != VOLUME_FOUND || dfd < 0)
			continue;
		int r = rootfs_apply_layer_dir(dfd, dst, err);
		close(dfd);
		if (r < 0)
			return -1;
	}
	return 0;
}

static bool volume_dir_empty(int fd)
{
	int d2 = dup(fd);
	DIR *d = d2 >= 0 ? fdopendir(d2) : NULL;
	bool empty = true;
	if (!d) {
		if (d2 >= 0)
			close(d2);
		return false;
	}
	struct dirent *de;
	while (empty && (de = readdir(d)))
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	return empty;
}

CPOD_INTERNAL int volume_first_use(cpod_engine *e, volume_rec *v, const store_image *img,
				   const char *path, bool copy, uid_t uid, gid_t gid, cpod_err *err)
{
	int *fds = NULL;
	size_t nfds = 0;
	int r = -1;
	char rel[PATH_MAX];
	struct stat st;
	bool have_dir = false;

	if (!v->needs_copy_up && !v->needs_chown)
		return 0;
	if (volume_is_tmpfs(v, NULL) || volume_bind_device(v)) {
		v->needs_copy_up = v->needs_chown = false;
		return volume_save(e, v, err);
	}
	char data[PATH_MAX];
	snprintf(data, sizeof(data), "volumes/%s/_data", v->name);
	_cleanup_close_ int dfd = openat(e->rootfd, data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					 O_CLOEXEC);
	if (dfd < 0)
		return err_sys(err, "volume %s: open %s", v->name, v->mountpoint);
	bool empty = volume_dir_empty(dfd);
	if (img && img->n_layers && empty) {
		fds = calloc(img->n_layers, sizeof(int));
		if (!fds)
			return err_nomem(err);
		for (; nfds < img->n_layers; nfds++) {
			char lp[PATH_MAX];
			if (store_layer_path(e->store, img->layers[nfds].diff_id, lp, sizeof(lp), err) < 0)
				goto out;
			fds[nfds] = open(lp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fds[nfds] < 0) {
				err_sys(err, "open layer %s", img->layers[nfds].diff_id);
				goto out;
			}
		}
		int q = volume_resolve(fds, nfds, path, rel, sizeof(rel), &st, err);
		if (q < 0)
			goto out;
		have_dir = q == 0;
	}
	if (empty && v->needs_copy_up && copy && have_dir &&
	    volume_copy_layers(fds, nfds, rel, dfd, err) < 0) {
		err_prefix(err, "volume %s: copy %s from the image", v->name, path);
		goto out;
	}
	if (empty && (v->needs_chown || (v->needs_copy_up && copy && have_dir))) {
		uid_t u = have_dir ? st.st_uid : uid;
		gid_t g = have_dir ? st.st_gid : gid;
		if ((u != (uid_t)-1 || g != (gid_t)-1) && fchown(dfd, u, g) < 0 && errno != EPERM) {
			err_sys(err, "volume %s: chown", v->name);
			goto out;
		}
		if (have_dir)
			fchmod(dfd, st.st_mode & 07777);
	}
	v->needs_copy_up = v->needs_chown = false;
	r = volume_save(e, v, err);
out:
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	free(fds);
	return r;
}

/* ---------------------------------------------------------------- release */

/* Removes the anonymous volume name unless another container uses it. */
static int volume_release_one(cpod_engine *e, const char *ctr_id, const char *name, int *lock,
			      cpod_err *err)
{
	volume_rec v;
	cpod_err e2;
	if (*lock < 0 && (*lock = volume_lock(e, err)) < 0)
		return -1;
	if (volume_load(e, name, &v, &e2) < 0)
		return 0; /* gone already */
	bool anon = v.anonymous;
	volume_rec_free(&v);
	if (!anon || volume_users(e, name, ctr_id, NULL) > 0)
		return 0;
	if (volume_remove(e, name, true, &e2) < 0 && e2.code != CPOD_E_NOTFOUND) {
		if (err)
			*err = e2;
		return -1;
	}
	return 0;
}

CPOD_INTERNAL int volume_release(cpod_engine *e, const char *ctr_id, const char *summary_json,
				 bool remove_anonymous, cpod_err *err)
{
	const json_limits lim = { .max_size = 16u << 20 };
	json_doc *d = NULL;
	int r = 0, lock = -1;
	if (!remove_anonymous)
		return 0;
	if (summary_json && *summary_json) {
		d = json_parse(summary_json, strlen(summary_json), NULL, err);
		if (!d)
			return err_prefix(err, "the container's mounts");
		const json_value *mounts = volume_find_mounts(json_root(d));
		for (size_t i = 0; i < json_len(mounts) && r == 0; i++) {
			const json_value *m = json_at(mounts, i);
			const char *t = json_string(json_get(m, "Type"));
			const char *n = json_string(json_get(m, "Name"));
			bool anon = false;
			json_opt_bool(m, "Anonymous", &anon, "", NULL);
			if (t && n && strcmp(t, "volume") == 0 && anon)
				r = volume_release_one(e, ctr_id, n, &lock, err);
		}
	} else if (ctr_id && strlen(ctr_id) == 64) {
		/* no summary: the names of the container's config.json */
		char path[160];
		snprintf(path, sizeof(path), "containers/%.64s/config.json", ctr_id);
		d = json_parse_file(e->rootfd, path, &lim, NULL);
		const char *list = json_string(json_get(json_get(json_root(d), "annotations"),
							"io.cpod.volumes"));
		char *copy = list ? strdup(list) : NULL, *save = NULL;
		for (char *n = copy ? strtok_r(copy, ",", &save) : NULL; n && r == 0;
		     n = strtok_r(NULL, ",", &save))
			r = volume_release_one(e, ctr_id, n, &lock, err);
		free(copy);
	}
	if (lock >= 0)
		close(lock);
	if (d)
		json_doc_free(d);
	return r;
}
