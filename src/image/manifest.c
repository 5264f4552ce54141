/*
 * manifest.c — parsing manifests, indexes and image configs (see
 * manifest.h), and choosing an index entry by platform.
 */
#include "manifest.h"
#include <sys/utsname.h>

static int mf_descriptor(const json_value *v, image_descriptor *d, const char *where,
			 cpod_err *err)
{
	const char *digest = NULL;
	memset(d, 0, sizeof(*d));
	d->size = -1;
	if (!json_is(v, JSON_OBJECT))
		return err_set(err, CPOD_E_INVALID, "%s: must be an object", where);
	if (json_opt_str(v, "mediaType", &d->media_type, where, err) < 0 ||
	    json_opt_str(v, "digest", &digest, where, err) < 0 ||
	    json_opt_i64(v, "size", &d->size, where, err) < 0)
		return -1;
	if (!digest)
		return err_set(err, CPOD_E_INVALID, "%s.digest: missing", where);
	if (digest_check(digest, where, err) < 0)
		return -1;
	strcpy(d->digest, digest);
	if (d->size < 0)
		return err_set(err, CPOD_E_INVALID, "%s.size: missing or negative", where);
	const json_value *p = json_get(v, "platform");
	if (p) {
		if (json_opt_str(p, "os", &d->platform.os, where, err) < 0 ||
		    json_opt_str(p, "architecture", &d->platform.architecture, where, err) < 0 ||
		    json_opt_str(p, "variant", &d->platform.variant, where, err) < 0)
			return -1;
	}
	json_opt_str(json_get(v, "annotations"), "org.opencontainers.image.ref.name", &d->ref_name,
		     where, NULL);
	return 0;
}

static int mf_descriptors(const json_value *arr, image_descriptor **out, size_t *n,
			  mem_pool *pool, const char *what, cpod_err *err)
{
	*n = json_len(arr);
	if (*n > MANIFEST_MAX_LAYERS)
		return err_set(err, CPOD_E_LIMIT, "%s: more than %d entries", what, MANIFEST_MAX_LAYERS);
	if (!*n)
		return 0;
	*out = pool_calloc(pool, *n, sizeof(**out), err);
	if (!*out)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		char where[64];
		snprintf(where, sizeof(where), "%s[%zu]", what, i);
		if (mf_descriptor(json_at(arr, i), &(*out)[i], where, err) < 0)
			return -1;
	}
	return 0;
}

CPOD_INTERNAL void manifest_free(image_manifest *m)
{
	if (!m)
		return;
	pool_free(&m->pool);
	json_doc_free(m->doc);
	free(m);
}

CPOD_INTERNAL bool manifest_layer_type_ok(const char *t)
{
	static const char *const ok[] = { MT_OCI_LAYER, MT_OCI_LAYER_GZIP, MT_OCI_LAYER_ZSTD,
					   MT_DOCKER_LAYER_GZIP, MT_DOCKER_LAYER, MT_DOCKER_FOREIGN,
					   "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
					   "application/vnd.oci.image.layer.nondistributable.v1.tar" };
	if (!t)
		return true; /* docker-archive layers have none */
	for (size_t i = 0; i < ARRAY_LEN(ok); i++)
		if (strcmp(t, ok[i]) == 0)
			return true;
	return false;
}

CPOD_INTERNAL image_manifest *manifest_parse(const char *data, size_t len, const char *media_type,
					     cpod_err *err)
{
	const json_limits lim = { .max_size = MANIFEST_MAX_SIZE, .max_depth = 32 };
	image_manifest *m = calloc(1, sizeof(*m));
	const json_value *root, *arr;
	const char *own = NULL;
	int64_t version = 0;

	if (!m) {
		err_nomem(err);
		return NULL;
	}
	m->doc = json_parse(data, len, &lim, err);
	if (!m->doc)
		goto fail;
	root = json_root(m->doc);
	if (!json_is(root, JSON_OBJECT)) {
		err_set(err, CPOD_E_INVALID, "a manifest must be a JSON object");
		goto fail;
	}
	if (json_opt_str(root, "mediaType", &own, "manifest", err) < 0 ||
	    json_opt_i64(root, "schemaVersion", &version, "manifest", err) < 0)
		goto fail;
	if (version != 2) {
		err_set(err, version == 1 ? CPOD_E_UNSUPPORTED : CPOD_E_INVALID,
			"manifest schemaVersion %" PRId64 " is not supported (2 is)", version);
		goto fail;
	}
	m->media_type = media_type && *media_type && strcmp(media_type, "application/json") != 0
				? media_type : own;
	if (own && m->media_type && strcmp(own, m->media_type) != 0) {
		err_set(err, CPOD_E_INVALID, "manifest says it is %s but was served as %s", own, m->media_type);
		goto fail;
	}
	if (!m->media_type) {
		/* OCI lets mediaType out: tell by the fields */
		m->media_type = json_get(root, "manifests") ? MT_OCI_INDEX : MT_OCI_MANIFEST;
	}
	if (strcmp(m->media_type, MT_OCI_INDEX) == 0 || strcmp(m->media_type, MT_DOCKER_LIST) == 0) {
		m->kind = MANIFEST_INDEX;
		if (json_opt_arr(root, "manifests", &arr, "index", err) < 0 ||
		    mf_descriptors(arr, &m->manifests, &m->n_manifests, &m->pool, "manifests", err) < 0)
			goto fail;
		return m;
	}
	if (strcmp(m->media_type, MT_OCI_MANIFEST) != 0 && strcmp(m->media_type, MT_DOCKER_MANIFEST) != 0) {
		err_set(err, CPOD_E_UNSUPPORTED, "manifest media type \"%s\" is not supported", m->media_type);
		goto fail;
	}
	m->kind = MANIFEST_IMAGE;
	if (mf_descriptor(json_get(root, "config"), &m->config, "config", err) < 0 ||
	    json_opt_arr(root, "layers", &arr, "manifest", err) < 0 ||
	    mf_descriptors(arr, &m->layers, &m->n_layers, &m->pool, "layers", err) < 0)
		goto fail;
	for (size_t i = 0; i < m->n_layers; i++)
		if (!manifest_layer_type_ok(m->layers[i].media_type)) {
			err_set(err, CPOD_E_UNSUPPORTED, "layers[%zu]: media type \"%s\" is not supported", i,
				m->layers[i].media_type);
			goto fail;
		}
	return m;
fail:
	err_prefix(err, "manifest");
	manifest_free(m);
	return NULL;
}

/* ---------------------------------------------------------------- platforms */

CPOD_INTERNAL image_platform manifest_host_platform(void)
{
	image_platform p = { "linux", "amd64", NULL };
#if defined(__x86_64__)
	p.architecture = "amd64";
#elif defined(__aarch64__)
	p.architecture = "arm64";
	p.variant = "v8";
#elif defined(__arm__)
	p.architecture = "arm";
	p.variant = "v7";
#elif defined(__i386__)
	p.architecture = "386";
#elif defined(__riscv)
	p.architecture = "riscv64";
#elif defined(__powerpc64__)
	p.architecture = "ppc64le";
#elif defined(__s390x__)
	p.architecture = "s390x";
#endif
	return p;
}

CPOD_INTERNAL int manifest_parse_platform(const char *s, char *out, size_t n, image_platform *p,
					  cpod_err *err)
{
	if (strlen(s) >= n || !*s)
		return err_set(err, CPOD_E_INVALID, "bad platform \"%s\"", s);
	strcpy(out, s);
	memset(p, 0, sizeof(*p));
	char *a = strchr(out, '/');
	if (!a)
		return err_set(err, CPOD_E_INVALID, "bad platform \"%s\": want os/arch[/variant]", s);
	*a++ = '\0';
	char *v = strchr(a, '/');
	if (v) {
		*v++ = '\0';
		if (!*v || strchr(v, '/'))
			return err_set(err, CPOD_E_INVALID, "bad platform \"%s\"", s);
		p->variant = v;
	}
	if (!*out || !*a)
		return err_set(err, CPOD_E_INVALID, "bad platform \"%s\"", s);
	p->os = out;
	p->architecture = a;
	return 0;
}

/* aliases as podman normalises them */
static const char *mf_norm_arch(const char *a)
{
	if (!a)
		return "";
	if (strcmp(a, "x86_64") == 0 || strcmp(a, "x86-64") == 0)
		return "amd64";
	if (strcmp(a, "aarch64") == 0)
		return "arm64";
	if (strcmp(a, "armhf") == 0 || strcmp(a, "armel") == 0)
		return "arm";
	if (strcmp(a, "i386") == 0)
		return "386";
	return a;
}

CPOD_INTERNAL const image_descriptor *manifest_select(const image_manifest *index,
						      const image_platform *want, cpod_err *err)
{
	const image_descriptor *best = NULL;
	int best_score = -1;
	const char *want_arch = mf_norm_arch(want->architecture);

	for (size_t i = 0; i < index->n_manifests; i++) {
		const image_descriptor *d = &index->manifests[i];
		if (!d->platform.os || !d->platform.architecture)
			continue;
		if (strcmp(d->platform.os, want->os) != 0 ||
		    strcmp(mf_norm_arch(d->platform.architecture), want_arch) != 0)
			continue;
		int score = 1;
		if (want->variant && d->platform.variant) {
			if (strcmp(want->variant, d->platform.variant) != 0)
				continue;
			score = 3;
		} else if (!d->platform.variant) {
			score = 2;
		}
		if (score > best_score) {
			best = d;
			best_score = score;
		}
	}
	if (best)
		return best;
	char list[512] = "";
	for (size_t i = 0; i < index->n_manifests; i++) {
		const image_platform *p = &index->manifests[i].platform;
		size_t l = strlen(list);
		snprintf(list + l, sizeof(list) - l, "%s%s/%s%s%s", i ? ", " : "", p->os ? p->os : "?",
			 p->architecture ? p->architecture : "?", p->variant ? "/" : "",
			 p->variant ? p->variant : "");
	}
	err_set(err, CPOD_E_NOTFOUND, "no image for %s/%s%s%s in the index (it has: %s)", want->os,
		want->architecture, want->variant ? "/" : "", want->variant ? want->variant : "",
		list[0] ? list : "nothing");
	return NULL;
}

/* ---------------------------------------------------------------- configs */

CPOD_INTERNAL void config_free(image_config *c)
{
	if (!c)
		return;
	pool_free(&c->pool);
	json_doc_free(c->doc);
	free(c);
}

static int cfg_strv(const json_value *obj, const char *key, const char ***out, size_t *n,
		    bool *present, mem_pool *pool, cpod_err *err)
{
	const json_value *v = json_get(obj, key);
	if (present)
		*present = v && v->type != JSON_NULL;
	if (json_opt_strv(obj, key, out, n, "config", err) < 0)
		return -1;
	return *out ? pool_adopt(pool, (void *)*out, err) : 0;
}

/* Docker writes sets ({"80/tcp":{}}): the keys, as a vector. */
static int cfg_keys(const json_value *obj, const char *key, const char ***out, size_t *n,
		    mem_pool *pool, cpod_err *err)
{
	const json_value *v = json_get(obj, key);
	*out = NULL;
	*n = 0;
	if (!v || v->type == JSON_NULL)
		return 0;
	if (v->type != JSON_OBJECT)
		return err_set(err, CPOD_E_INVALID, "config.%s: must be an object", key);
	*out = pool_calloc(pool, v->u.obj.n + 1, sizeof(char *), err);
	if (!*out)
		return -1;
	for (size_t i = 0; i < v->u.obj.n; i++)
		(*out)[i] = v->u.obj.members[i].key;
	*n = v->u.obj.n;
	return 0;
}

CPOD_INTERNAL image_config *config_parse(const char *data, size_t len, cpod_err *err)
{
	const json_limits lim = { .max_size = CONFIG_MAX_SIZE, .max_depth = 64 };
	image_config *c = calloc(1, sizeof(*c));
	const json_value *root, *cfg, *rootfs, *ids;

	if (!c) {
		err_nomem(err);
		return NULL;
	}
	c->doc = json_parse(data, len, &lim, err);
	if (!c->doc)
		goto fail;
	root = json_root(c->doc);
	if (!json_is(root, JSON_OBJECT)) {
		err_set(err, CPOD_E_INVALID, "must be a JSON object");
		goto fail;
	}
	if (json_opt_str(root, "architecture", &c->architecture, "config", err) < 0 ||
	    json_opt_str(root, "os", &c->os, "config", err) < 0 ||
	    json_opt_str(root, "variant", &c->variant, "config", err) < 0 ||
	    json_opt_str(root, "created", &c->created, "config", err) < 0 ||
	    json_opt_str(root, "author", &c->author, "config", err) < 0 ||
	    json_opt_arr(root, "history", &c->history, "config", err) < 0 ||
	    json_opt_obj(root, "config", &cfg, "config", err) < 0)
		goto fail;
	if (cfg) {
		if (json_opt_str(cfg, "User", &c->user, "config", err) < 0 ||
		    json_opt_str(cfg, "WorkingDir", &c->working_dir, "config", err) < 0 ||
		    json_opt_str(cfg, "StopSignal", &c->stop_signal, "config", err) < 0 ||
		    cfg_strv(cfg, "Env", &c->env, &c->n_env, NULL, &c->pool, err) < 0 ||
		    cfg_strv(cfg, "Entrypoint", &c->entrypoint, &c->n_entrypoint, &c->entrypoint_set,
			     &c->pool, err) < 0 ||
		    cfg_strv(cfg, "Cmd", &c->cmd, &c->n_cmd, &c->cmd_set, &c->pool, err) < 0 ||
		    cfg_keys(cfg, "Volumes", &c->volumes, &c->n_volumes, &c->pool, err) < 0 ||
		    cfg_keys(cfg, "ExposedPorts", &c->exposed_ports, &c->n_exposed_ports, &c->pool, err) < 0 ||
		    json_opt_obj(cfg, "Labels", &c->labels, "config", err) < 0 ||
		    json_opt_obj(cfg, "Healthcheck", &c->healthcheck, "config", err) < 0)
			goto fail;
		for (size_t i = 0; i < json_len(c->labels); i++)
			if (!json_string(c->labels->u.obj.members[i].value)) {
				err_set(err, CPOD_E_INVALID, "config.Labels.%s: must be a string",
					c->labels->u.obj.members[i].key);
				goto fail;
			}
	}
	if (json_opt_obj(root, "rootfs", &rootfs, "config", err) < 0 ||
	    json_opt_arr(rootfs, "diff_ids", &ids, "config.rootfs", err) < 0)
		goto fail;
	c->n_diff_ids = json_len(ids);
	if (c->n_diff_ids > MANIFEST_MAX_LAYERS) {
		err_set(err, CPOD_E_LIMIT, "config.rootfs.diff_ids: too many layers");
		goto fail;
	}
	if (c->n_diff_ids) {
		c->diff_ids = pool_calloc(&c->pool, c->n_diff_ids, sizeof(*c->diff_ids), err);
		if (!c->diff_ids)
			goto fail;
	}
	for (size_t i = 0; i < c->n_diff_ids; i++) {
		const char *d = json_string(json_at(ids, i));
		if (digest_check(d, "config.rootfs.diff_ids", err) < 0)
			goto fail;
		strcpy(c->diff_ids[i], d);
	}
	return c;
fail:
	err_prefix(err, "image config");
	config_free(c);
	return NULL;
}
