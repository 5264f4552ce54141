/*
 * commit.c — recording images (see commit.h).
 */
#include "commit.h"

CPOD_INTERNAL int image_record(image_store *s, const char *manifest_digest,
			       const char *const *names, size_t n_names,
			       const char *const *digests, size_t n_digests, const char *index_digest,
			       char id_out[DIGEST_HEX_LEN + 1], cpod_err *err)
{
	_cleanup_buf_ buf mb = BUF_INIT;
	_cleanup_buf_ buf cb = BUF_INIT;
	image_manifest *m = NULL;
	image_config *c = NULL;
	store_image img;
	int r = -1;

	memset(&img, 0, sizeof(img));
	if (store_blob_read(s, manifest_digest, MANIFEST_MAX_SIZE, &mb, err) < 0)
		return -1;
	m = manifest_parse(mb.data, mb.len, NULL, err);
	if (!m)
		return -1;
	if (m->kind != MANIFEST_IMAGE) {
		err_set(err, CPOD_E_INVALID, "%s is an index, not an image manifest", manifest_digest);
		goto out;
	}
	if (store_blob_read(s, m->config.digest, CONFIG_MAX_SIZE, &cb, err) < 0)
		goto out;
	c = config_parse(cb.data, cb.len, err);
	if (!c)
		goto out;
	if (c->n_diff_ids != m->n_layers) {
		err_set(err, CPOD_E_INVALID, "the manifest has %zu layers but the config %zu diff_ids",
			m->n_layers, c->n_diff_ids);
		goto out;
	}
	snprintf(img.id, sizeof(img.id), "%s", m->config.digest + 7);
	strcpy(img.config_digest, m->config.digest);
	snprintf(img.manifest_digest, sizeof(img.manifest_digest), "%s", manifest_digest);
	snprintf(img.manifest_media_type, sizeof(img.manifest_media_type), "%s", m->media_type);
	if (index_digest)
		snprintf(img.index_digest, sizeof(img.index_digest), "%s", index_digest);
	snprintf(img.created, sizeof(img.created), "%s", c->created ? c->created : "");
	snprintf(img.os, sizeof(img.os), "%s", c->os ? c->os : "linux");
	snprintf(img.architecture, sizeof(img.architecture), "%s", c->architecture ? c->architecture : "");
	snprintf(img.variant, sizeof(img.variant), "%s", c->variant ? c->variant : "");
	img.names = (char **)names;
	img.n_names = n_names;
	img.digests = (char **)digests;
	img.n_digests = n_digests;
	img.n_layers = m->n_layers;
	img.layers = calloc(m->n_layers ? m->n_layers : 1, sizeof(*img.layers));
	if (!img.layers) {
		err_nomem(err);
		goto out;
	}
	for (size_t i = 0; i < m->n_layers; i++) {
		store_layer *l = &img.layers[i];
		strcpy(l->digest, m->layers[i].digest);
		strcpy(l->diff_id, c->diff_ids[i]);
		snprintf(l->media_type, sizeof(l->media_type), "%s",
			 m->layers[i].media_type ? m->layers[i].media_type : MT_DOCKER_LAYER);
		l->size = m->layers[i].size;
		int64_t us = store_layer_size(s, l->diff_id);
		if (us > 0)
			img.size += us;
	}
	if (store_image_put(s, &img, err) < 0)
		goto out;
	if (id_out)
		strcpy(id_out, img.id);
	r = 0;
out:
	free(img.layers);
	manifest_free(m);
	config_free(c);
	return r;
}

static const char *commit_layer_type(int compression)
{
	switch (compression) {
	case LAYER_GZIP: return MT_OCI_LAYER_GZIP;
	case LAYER_ZSTD: return MT_OCI_LAYER_ZSTD;
	default: return MT_OCI_LAYER;
	}
}

CPOD_INTERNAL int image_commit(image_store *s, const char *config_json, const commit_layer *layers,
			       size_t n_layers, const char *const *names, size_t n_names,
			       char id_out[DIGEST_HEX_LEN + 1], cpod_err *err)
{
	char config_digest[DIGEST_STR_LEN + 1], manifest_digest[DIGEST_STR_LEN + 1];
	_cleanup_buf_ buf b = BUF_INIT;
	json_w w;

	if (store_blob_put(s, config_json, strlen(config_json), NULL, config_digest, err) < 0)
		return -1;
	jw_init(&w, &b, NULL);
	jw_obj_begin(&w);
	jw_kint(&w, "schemaVersion", 2);
	jw_kstr(&w, "mediaType", MT_OCI_MANIFEST);
	jw_key(&w, "config");
	jw_obj_begin(&w);
	jw_kstr(&w, "mediaType", MT_OCI_CONFIG);
	jw_kstr(&w, "digest", config_digest);
	jw_kint(&w, "size", (int64_t)strlen(config_json));
	jw_obj_end(&w);
	jw_key(&w, "layers");
	jw_arr_begin(&w);
	for (size_t i = 0; i < n_layers; i++) {
		jw_obj_begin(&w);
		jw_kstr(&w, "mediaType", commit_layer_type(layers[i].compression));
		jw_kstr(&w, "digest", layers[i].digest);
		jw_kint(&w, "size", layers[i].size);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	if (jw_finish(&w, err) < 0 ||
	    store_blob_put(s, b.data, b.len, NULL, manifest_digest, err) < 0)
		return -1;
	return image_record(s, manifest_digest, names, n_names, NULL, 0, NULL, id_out, err);
}
