/*
 * images.c — the image commands of the engine: import, images, inspect,
 * history, tag, untag, rmi, prune (cpod_image_* of cpod.h).  Output is
 * shaped as podman's JSON, so scripts written for podman read it.
 */
#include "container.h"
#include "../image/commit.h"
#include "../image/config_edit.h"
#include "../image/archive.h"
#include "../base/stream.h"
#include <time.h>

static char *images_take(buf *b, json_w *w, cpod_err *err)
{
	if (jw_finish(w, err) < 0) {
		buf_free(b);
		return NULL;
	}
	return buf_take(b, err);
}

char *cpod_image_import(cpod_engine *e, int fd, const char *name, const char *const *changes,
			const char *message, cpod_err *err)
{
	layer_result res;
	config_edit ce;
	char now[64], id[DIGEST_HEX_LEN + 1], full[1024], by[160];
	byte_source src = source_fd(&fd);

	if (name) {
		image_ref r;
		if (ref_parse_local(name, &r, err) < 0)
			return NULL;
		ref_name(&r, full, sizeof(full));
	}
	if (config_edit_init(&ce, NULL, err) < 0)
		return NULL;
	for (size_t i = 0; changes && changes[i]; i++)
		if (config_edit_change(&ce, changes[i], err) < 0)
			goto fail;
	if (store_layer_add(e->store, &src, NULL, NULL, 0, true, &res, err) < 0)
		goto fail;
	engine_now(now, sizeof(now));
	snprintf(by, sizeof(by), "/bin/sh -c #(nop) ADD file:%.64s in /", res.diff_id + 7);
	if (config_edit_add_layer(&ce, res.diff_id, err) < 0 ||
	    config_edit_add_history(&ce, now, by, message ? message : "imported from tarball", false, err) < 0)
		goto fail;
	char *config = config_edit_write(&ce, now, err);
	if (!config)
		goto fail;
	commit_layer l;
	strcpy(l.digest, res.digest);
	l.size = (int64_t)res.compressed_size;
	l.compression = res.compression;
	const char *names[1] = { full };
	int rc = image_commit(e->store, config, &l, 1, names, name ? 1 : 0, id, err);
	free(config);
	config_edit_free(&ce);
	if (rc < 0)
		return NULL;
	char *out = strdup(id);
	if (!out)
		err_nomem(err);
	return out;
fail:
	config_edit_free(&ce);
	err_prefix(err, "import");
	return NULL;
}

static int64_t images_unix(const char *rfc3339)
{
	int64_t t = clock_unix(rfc3339);
	return t < 0 ? 0 : t;
}

static void images_strs(json_w *w, const char *key, char **v, size_t n)
{
	jw_key(w, key);
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++)
		jw_str(w, v[i]);
	jw_arr_end(w);
}

static size_t images_containers(ctr_record *all, size_t n, const char *id)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += strcmp(all[i].image_id, id) == 0;
	return c;
}

char *cpod_image_list(cpod_engine *e, int all, cpod_err *err)
{
	store_image *imgs;
	size_t n, nc = 0;
	ctr_record *ctrs = NULL;
	buf b = BUF_INIT;
	json_w w;

	if (store_image_list(e->store, &imgs, &n, err) < 0)
		return NULL;
	ctr_list_all(e, &ctrs, &nc, NULL);
	jw_init(&w, &b, NULL);
	jw_arr_begin(&w);
	for (size_t i = 0; i < n; i++) {
		const store_image *img = &imgs[i];
		(void)all; /* no intermediate images: every image is listed */
		jw_obj_begin(&w);
		jw_kstr(&w, "Id", img->id);
		jw_kstr(&w, "ParentId", "");
		images_strs(&w, "RepoTags", img->names, img->n_names);
		images_strs(&w, "RepoDigests", img->digests, img->n_digests);
		jw_kint(&w, "Created", images_unix(img->created));
		jw_kstr(&w, "CreatedAt", img->created);
		jw_kint(&w, "Size", img->size);
		jw_kint(&w, "SharedSize", 0);
		jw_kint(&w, "VirtualSize", img->size);
		jw_kint(&w, "Containers", (int64_t)images_containers(ctrs, nc, img->id));
		jw_kstr(&w, "Digest", img->manifest_digest);
		images_strs(&w, "Names", img->names, img->n_names);
		jw_kbool(&w, "Dangling", img->n_names == 0);
		jw_kstr(&w, "Arch", img->architecture);
		jw_kstr(&w, "Os", img->os);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	store_image_list_free(imgs, n);
	ctr_list_free(ctrs, nc);
	return images_take(&b, &w, err);
}

static void images_config_json(json_w *w, const image_config *c)
{
	const json_value *cfg = json_get(json_root(c->doc), "config");
	jw_key(w, "Config");
	if (cfg)
		jw_value(w, cfg);
	else {
		jw_obj_begin(w);
		jw_obj_end(w);
	}
}

char *cpod_image_inspect(cpod_engine *e, const char *ref, cpod_err *err)
{
	store_image *img;
	buf b = BUF_INIT;
	json_w w;

	if (engine_image(e, ref, &img, err) < 0)
		return NULL;
	image_config *c = engine_image_config(e, img, err);
	if (!c) {
		store_image_free(img);
		free(img);
		return NULL;
	}
	jw_init(&w, &b, "    ");
	jw_obj_begin(&w);
	jw_kstr(&w, "Id", img->id);
	jw_kstr(&w, "Digest", img->manifest_digest);
	images_strs(&w, "RepoTags", img->names, img->n_names);
	images_strs(&w, "RepoDigests", img->digests, img->n_digests);
	jw_kstr(&w, "Parent", "");
	jw_kstr(&w, "Comment", "");
	jw_kstr(&w, "Created", img->created);
	images_config_json(&w, c);
	jw_kstr(&w, "Version", "");
	jw_kstr(&w, "Author", c->author ? c->author : "");
	jw_kstr(&w, "Architecture", img->architecture);
	jw_kstr(&w, "Os", img->os);
	if (img->variant[0])
		jw_kstr(&w, "Variant", img->variant);
	jw_kint(&w, "Size", img->size);
	jw_kint(&w, "VirtualSize", img->size);
	jw_key(&w, "GraphDriver");
	jw_obj_begin(&w);
	jw_kstr(&w, "Name", rootfs_overlay_usable(e->store, NULL) ? "overlay" : "copy");
	jw_key(&w, "Data");
	jw_obj_begin(&w);
	if (img->n_layers) {
		buf lower = BUF_INIT;
		for (size_t i = img->n_layers; i-- > 0;) {
			char p[PATH_MAX];
			if (store_layer_path(e->store, img->layers[i].diff_id, p, sizeof(p), NULL) == 0)
				buf_printf(&lower, NULL, "%s%s", lower.len ? ":" : "", p);
		}
		jw_kstr(&w, "LowerDir", lower.data ? lower.data : "");
		buf_free(&lower);
	}
	jw_obj_end(&w);
	jw_obj_end(&w);
	jw_key(&w, "RootFS");
	jw_obj_begin(&w);
	jw_kstr(&w, "Type", "layers");
	jw_key(&w, "Layers");
	jw_arr_begin(&w);
	for (size_t i = 0; i < img->n_layers; i++)
		jw_str(&w, img->layers[i].diff_id);
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_key(&w, "Labels");
	if (c->labels)
		jw_value(&w, c->labels);
	else
		jw_null(&w);
	jw_key(&w, "Annotations");
	jw_obj_begin(&w);
	jw_obj_end(&w);
	jw_kstr(&w, "ManifestType", img->manifest_media_type);
	jw_kstr(&w, "User", c->user ? c->user : "");
	jw_key(&w, "History");
	if (c->history)
		jw_value(&w, c->history);
	else {
		jw_arr_begin(&w);
		jw_arr_end(&w);
	}
	images_strs(&w, "NamesHistory", img->names, img->n_names);
	jw_obj_end(&w);
	config_free(c);
	store_image_free(img);
	free(img);
	return images_take(&b, &w, err);
}

char *cpod_image_history(cpod_engine *e, const char *ref, cpod_err *err)
{
	store_image *img;
	buf b = BUF_INIT;
	json_w w;

	if (engine_image(e, ref, &img, err) < 0)
		return NULL;
	image_config *c = engine_image_config(e, img, err);
	if (!c) {
		store_image_free(img);
		free(img);
		return NULL;
	}
	/* newest first; a history entry with a layer takes the next layer */
	size_t n = json_len(c->history), layer = img->n_layers;
	jw_init(&w, &b, NULL);
	jw_arr_begin(&w);
	for (size_t i = n; i-- > 0;) {
		const json_value *h = json_at(c->history, i);
		bool empty = false;
		json_opt_bool(h, "empty_layer", &empty, "history", NULL);
		int64_t size = 0;
		if (!empty && layer > 0) {
			layer--;
			size = store_layer_size(e->store, img->layers[layer].diff_id);
			if (size < 0)
				size = 0;
		}
		const char *created = json_string(json_get(h, "created"));
		jw_obj_begin(&w);
		jw_kstr(&w, "id", i + 1 == n ? img->id : "<missing>");
		jw_kint(&w, "created", images_unix(created));
		jw_kstr(&w, "CreatedAt", created ? created : "");
		jw_kstr(&w, "createdBy", json_string(json_get(h, "created_by")) ? json_string(json_get(h, "created_by")) : "");
		jw_kint(&w, "size", size);
		jw_kstr(&w, "comment", json_string(json_get(h, "comment")) ? json_string(json_get(h, "comment")) : "");
		if (i + 1 == n)
			images_strs(&w, "tags", img->names, img->n_names);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	config_free(c);
	store_image_free(img);
	free(img);
	return images_take(&b, &w, err);
}

int cpod_image_tag(cpod_engine *e, const char *ref, const char *name, cpod_err *err)
{
	store_image *img;
	if (engine_image(e, ref, &img, err) < 0)
		return -1;
	int r = store_image_tag(e->store, img->id, name, err);
	store_image_free(img);
	free(img);
	return r;
}

int cpod_image_untag(cpod_engine *e, const char *ref, const char *name, cpod_err *err)
{
	store_image *img;
	if (engine_image(e, ref, &img, err) < 0)
		return -1;
	int r = store_image_untag(e->store, img->id, name, err);
	store_image_free(img);
	free(img);
	return r;
}

/* Removes img (already resolved): containers using it block it unless
 * force, which removes them first. */
static int images_remove_one(cpod_engine *e, const store_image *img, bool force, buf *out,
			     cpod_err *err)
{
	ctr_record *ctrs;
	size_t nc;
	if (ctr_list_all(e, &ctrs, &nc, err) < 0)
		return -1;
	for (size_t i = 0; i < nc; i++) {
		if (strcmp(ctrs[i].image_id, img->id) != 0)
			continue;
		if (!force) {
			err_set(err, CPOD_E_STATE,
				"image used by %.64s: image is in use by a container: consider listing external containers and force-removing image",
				ctrs[i].id);
			ctr_list_free(ctrs, nc);
			return -1;
		}
		if (ctr_remove(e, &ctrs[i], true, err) < 0) {
			ctr_list_free(ctrs, nc);
			return -1;
		}
	}
	ctr_list_free(ctrs, nc);
	for (size_t i = 0; i < img->n_names; i++)
		buf_printf(out, NULL, "Untagged: %s\n", img->names[i]);
	if (store_image_remove(e->store, img->id, err) < 0)
		return -1;
	buf_printf(out, NULL, "Deleted: %s\n", img->id);
	return 0;
}

char *cpod_image_remove(cpod_engine *e, const char *ref, int force, cpod_err *err)
{
	store_image *img;
	buf out = BUF_INIT;
	int r;

	if (engine_image(e, ref, &img, err) < 0)
		return NULL;
	/* by one of several names: only that name goes */
	image_ref pr;
	bool by_name = !ref_looks_like_id(ref) || strchr(ref, ':') || strchr(ref, '/');
	if (by_name && img->n_names > 1 && ref_parse(ref, &pr, NULL) == 0) {
		/* the name removed: as given if the image has it, else the
		 * localhost/ one a short name stands for (store_image_untag's
		 * order) */
		char full[1024];
		ref_name(&pr, full, sizeof(full));
		bool has = false;
		for (size_t i = 0; i < img->n_names && !has; i++)
			has = strcmp(img->names[i], full) == 0;
		image_ref lr;
		if (!has && ref_parse_local(ref, &lr, NULL) == 0)
			ref_name(&lr, full, sizeof(full));
		r = store_image_untag(e->store, img->id, ref, err);
		if (r == 0)
			buf_printf(&out, NULL, "Untagged: %s\n", full);
	} else if (!by_name && img->n_names > 1 && !force) {
		r = err_set(err, CPOD_E_STATE,
			    "unable to delete image %.12s (must force) - image is referenced in multiple repositories",
			    img->id);
	} else {
		r = images_remove_one(e, img, force, &out, err);
	}
	store_image_free(img);
	free(img);
	if (r < 0) {
		buf_free(&out);
		return NULL;
	}
	return buf_take(&out, err);
}

char *cpod_image_prune(cpod_engine *e, int all, cpod_err *err)
{
	store_image *imgs;
	size_t n;
	buf out = BUF_INIT;

	if (store_image_list(e->store, &imgs, &n, err) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if ((!all && imgs[i].n_names > 0) || ctr_uses_image(e, imgs[i].id))
			continue;
		if (store_image_remove(e->store, imgs[i].id, err) < 0) {
			store_image_list_free(imgs, n);
			buf_free(&out);
			return NULL;
		}
		buf_printf(&out, NULL, "%s\n", imgs[i].id);
	}
	store_image_list_free(imgs, n);
	uint64_t freed = 0;
	if (store_gc(e->store, &freed, err) < 0) {
		buf_free(&out);
		return NULL;
	}
	return buf_take(&out, err);
}

char *cpod_image_load(cpod_engine *e, int fd, cpod_err *err)
{
	buf names = BUF_INIT;
	if (archive_load(e->store, fd, NULL, &names, err) < 0) {
		buf_free(&names);
		return NULL;
	}
	return buf_take(&names, err);
}

int cpod_image_save(cpod_engine *e, const char *const *refs, const char *format, int fd,
		    cpod_err *err)
{
	enum archive_format fmt;
	size_t n = 0;
	int rc = -1;

	if (!format || strcmp(format, "docker-archive") == 0)
		fmt = ARCHIVE_DOCKER;
	else if (strcmp(format, "oci-archive") == 0)
		fmt = ARCHIVE_OCI;
	else
		return err_set(err, CPOD_E_INVALID, "save: format \"%s\" is not supported (docker-archive, oci-archive)",
			       format);
	while (refs && refs[n])
		n++;
	if (!n)
		return err_set(err, CPOD_E_INVALID, "save: no image given");
	store_image **imgs = calloc(n, sizeof(*imgs));
	const char **names = calloc(n, sizeof(*names));
	char (*full)[1024] = calloc(n, sizeof(*full));
	if (!imgs || !names || !full) {
		err_nomem(err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		image_ref r;
		if (engine_image(e, refs[i], &imgs[i], err) < 0)
			goto out;
		/* saved under the name it was asked by, when that was a name */
		if (!ref_looks_like_id(refs[i]) && ref_parse(refs[i], &r, NULL) == 0 && r.tag[0]) {
			ref_name(&r, full[i], sizeof(full[i]));
			for (size_t k = 0; k < imgs[i]->n_names; k++)
				if (strcmp(imgs[i]->names[k], full[i]) == 0)
					names[i] = full[i];
			if (!names[i] && imgs[i]->n_names)
				names[i] = imgs[i]->names[0];
		}
	}
	rc = archive_save(e->store, (const store_image *const *)imgs, names, n, fmt, fd, err);
out:
	for (size_t i = 0; imgs && i < n; i++)
		if (imgs[i]) {
			store_image_free(imgs[i]);
			free(imgs[i]);
		}
	free(imgs);
	free(names);
	free(full);
	return rc;
}
