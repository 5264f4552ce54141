/*
 * archive.c — docker-archive and oci-archive (see archive.h).
 */
#include "archive.h"
#include "commit.h"
#include "reference.h"
#include "tar.h"
#include "../base/fs.h"
#include "../base/proc.h"

#define ARCHIVE_MAX_ENTRIES 100000
#define ARCHIVE_MAX_META (8u << 20)

/* ---------------------------------------------------------------- extraction */

/* An entry name made relative and checked: no "..", nothing absolute. */
static int archive_clean_name(const char *in, char *out, size_t n, cpod_err *err)
{
	while (in[0] == '.' && in[1] == '/')
		in += 2;
	while (*in == '/')
		in++;
	if (strlen(in) >= n)
		return err_set(err, CPOD_E_LIMIT, "archive entry name too long");
	strcpy(out, in);
	size_t l = strlen(out);
	while (l && out[l - 1] == '/')
		out[--l] = '\0';
	for (char *p = out; p && *p;) {
		char *slash = strchr(p, '/');
		size_t cl = slash ? (size_t)(slash - p) : strlen(p);
		if ((cl == 2 && p[0] == '.' && p[1] == '.'))
			return err_set(err, CPOD_E_INVALID, "archive entry \"%s\" leaves the archive", in);
		p = slash ? slash + 1 : NULL;
	}
	return 0;
}

static int archive_extract(int fd, int dirfd, cpod_err *err)
{
	byte_source src = source_fd(&fd);
	tar_reader *r = tar_reader_new(&src, NULL, err);
	const tar_entry *e;
	size_t count = 0;
	int rc;

	if (!r)
		return -1;
	while ((rc = tar_next(r, &e, err)) == 1) {
		char name[PATH_MAX], parent[PATH_MAX];
		const char *base;
		if (++count > ARCHIVE_MAX_ENTRIES) {
			rc = err_set(err, CPOD_E_LIMIT, "too many entries in the archive");
			break;
		}
		if ((rc = archive_clean_name(e->path, name, sizeof(name), err)) < 0)
			break;
		if (!*name)
			continue;
		fs_split(name, parent, sizeof(parent), &base);
		int pfd = fs_mkdirs_in_root(dirfd, strcmp(parent, ".") ? parent : "/", 0700, err);
		if (pfd < 0) {
			rc = -1;
			break;
		}
		if (e->type == TAR_DIR) {
			if (mkdirat(pfd, base, 0700) < 0 && errno != EEXIST)
				rc = err_sys(err, "archive %s", name);
		} else if (e->type == TAR_SYMLINK) {
			/* docker save links repeated layers; links are only ever
			 * followed inside the directory (archive_open) */
			if (symlinkat(e->linkname, pfd, base) < 0)
				rc = err_sys(err, "archive %s", name);
		} else if (e->type == TAR_FILE) {
			int out = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (out < 0) {
				rc = err_sys(err, "archive %s", name);
			} else {
				const void *p;
				ssize_t n;
				while ((n = tar_data_chunk(r, &p, err)) > 0)
					if (write_all(out, p, (size_t)n) < 0) {
						n = err_sys(err, "write %s", name);
						break;
					}
				if (n < 0)
					rc = -1;
				close(out);
			}
		} else {
			rc = err_set(err, CPOD_E_INVALID, "archive entry \"%s\": only files, directories and symlinks belong in an image archive", name);
		}
		close(pfd);
		if (rc < 0)
			break;
	}
	tar_reader_free(r);
	return rc < 0 ? -1 : 0;
}

/* Opens a file of the extracted archive, symlinks resolved inside it. */
static int archive_open(int dirfd, const char *path, cpod_err *err)
{
	char clean[PATH_MAX];
	if (archive_clean_name(path, clean, sizeof(clean), err) < 0)
		return -1;
	int fd = fs_open_in_root(dirfd, clean, O_RDONLY, 0, err);
	if (fd < 0)
		return err_prefix(err, "archive");
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(err, CPOD_E_INVALID, "archive: %s is not a file", path);
	}
	return fd;
}

static json_doc *archive_json(int dirfd, const char *path, cpod_err *err)
{
	const json_limits lim = { .max_size = ARCHIVE_MAX_META, .max_depth = 32 };
	_cleanup_buf_ buf b = BUF_INIT;
	_cleanup_close_ int fd = archive_open(dirfd, path, err);
	if (fd < 0)
		return NULL;
	if (buf_read_fd(&b, fd, ARCHIVE_MAX_META, err) < 0)
		return NULL;
	json_doc *d = json_parse(b.data, b.len, &lim, err);
	if (!d)
		err_prefix(err, "archive %s", path);
	return d;
}

/* Reads a whole (small) file of the archive into b, and its digest. */
static int archive_read(int dirfd, const char *path, size_t max, buf *b, char *digest, cpod_err *err)
{
	_cleanup_close_ int fd = archive_open(dirfd, path, err);
	if (fd < 0)
		return -1;
	if (buf_read_fd(b, fd, max, err) < 0)
		return err_prefix(err, "archive %s", path);
	if (digest)
		digest_buf(b->data, b->len, digest);
	return 0;
}

/* ---------------------------------------------------------------- docker-archive */

static int archive_load_docker(image_store *s, int dirfd, buf *names, cpod_err *err)
{
	_cleanup_json_ json_doc *m = archive_json(dirfd, "manifest.json", err);
	const json_value *arr = json_root(m);
	if (!m)
		return -1;
	if (!json_is(arr, JSON_ARRAY))
		return err_set(err, CPOD_E_INVALID, "archive manifest.json: an array is expected");
	for (size_t i = 0; i < json_len(arr); i++) {
		const json_value *ent = json_at(arr, i);
		const char *cfg_path = json_string(json_get(ent, "Config"));
		const json_value *layers = json_get(ent, "Layers"), *tags = json_get(ent, "RepoTags");
		_cleanup_buf_ buf cb = BUF_INIT;
		char cfg_digest[DIGEST_STR_LEN + 1], mdigest[DIGEST_STR_LEN + 1], id[DIGEST_HEX_LEN + 1];
		if (!cfg_path || !json_is(layers, JSON_ARRAY))
			return err_set(err, CPOD_E_INVALID, "archive manifest.json[%zu]: Config and Layers are required", i);
		if (archive_read(dirfd, cfg_path, CONFIG_MAX_SIZE, &cb, cfg_digest, err) < 0)
			return -1;
		image_config *cfg = config_parse(cb.data, cb.len, err);
		if (!cfg)
			return err_prefix(err, "archive %s", cfg_path);
		if (cfg->n_diff_ids != json_len(layers)) {
			size_t have = cfg->n_diff_ids;
			config_free(cfg);
			return err_set(err, CPOD_E_INVALID, "archive: %s has %zu diff_ids for %zu layers", cfg_path,
				       have, json_len(layers));
		}
		if (store_blob_put(s, cb.data, cb.len, NULL, NULL, err) < 0) {
			config_free(cfg);
			return -1;
		}
		/* a Docker v2 manifest for what the archive holds */
		buf mb = BUF_INIT;
		json_w w;
		jw_init(&w, &mb, NULL);
		jw_obj_begin(&w);
		jw_kint(&w, "schemaVersion", 2);
		jw_kstr(&w, "mediaType", MT_DOCKER_MANIFEST);
		jw_key(&w, "config");
		jw_obj_begin(&w);
		jw_kstr(&w, "mediaType", MT_DOCKER_CONFIG);
		jw_kstr(&w, "digest", cfg_digest);
		jw_kint(&w, "size", (int64_t)cb.len);
		jw_obj_end(&w);
		jw_key(&w, "layers");
		jw_arr_begin(&w);
		int rc = 0;
		for (size_t k = 0; k < json_len(layers) && rc == 0; k++) {
			const char *lp = json_string(json_at(layers, k));
			layer_result res;
			int lfd = lp ? archive_open(dirfd, lp, err) : -1;
			if (!lp)
				rc = err_set(err, CPOD_E_INVALID, "archive manifest.json: Layers[%zu] must be a path", k);
			if (lfd < 0) {
				rc = -1;
				break;
			}
			byte_source src = source_fd(&lfd);
			struct stat st;
			fstat(lfd, &st);
			rc = store_layer_add(s, &src, NULL, cfg->diff_ids[k], st.st_size, true, &res, err);
			close(lfd);
			if (rc < 0)
				break;
			jw_obj_begin(&w);
			jw_kstr(&w, "mediaType", res.compression == LAYER_GZIP ? MT_DOCKER_LAYER_GZIP : MT_DOCKER_LAYER);
			jw_kstr(&w, "digest", res.digest);
			jw_kint(&w, "size", (int64_t)(res.compressed_size ? res.compressed_size : (uint64_t)st.st_size));
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_obj_end(&w);
		config_free(cfg);
		/* an image the store has already keeps its manifest (see
		 * store_image_put): storing this one would only leave an
		 * orphan blob behind */
		store_image *have = NULL;
		bool known = store_image_get(s, cfg_digest + 7, &have, NULL) == 0 &&
			     strcmp(have->id, cfg_digest + 7) == 0 && store_has_blob(s, have->manifest_digest);
		if (known)
			snprintf(mdigest, sizeof(mdigest), "%s", have->manifest_digest);
		if (have) {
			store_image_free(have);
			free(have);
		}
		if (rc < 0 || jw_finish(&w, err) < 0 ||
		    (!known && store_blob_put(s, mb.data, mb.len, NULL, mdigest, err) < 0)) {
			buf_free(&mb);
			return err_prefix(err, "archive image %zu", i);
		}
		buf_free(&mb);
		/* RepoTags are docker names: normalise them */
		char *nv[64];
		size_t nn = 0;
		for (size_t k = 0; k < json_len(tags) && nn < ARRAY_LEN(nv); k++) {
			image_ref ref;
			const char *t = json_string(json_at(tags, k));
			char full[1024];
			if (!t || ref_parse(t, &ref, NULL) < 0)
				continue;
			ref_name(&ref, full, sizeof(full));
			nv[nn++] = strdup(full);
		}
		rc = image_record(s, mdigest, (const char *const *)nv, nn, NULL, 0, NULL, id, err);
		for (size_t k = 0; k < nn; k++) {
			if (rc == 0)
				buf_printf(names, NULL, "%s\n", nv[k]);
			free(nv[k]);
		}
		if (rc < 0)
			return -1;
		if (!nn)
			buf_printf(names, NULL, "sha256:%s\n", id);
	}
	return 0;
}

/* ---------------------------------------------------------------- oci-archive */

static int archive_blob_path(const char *digest, char *out, size_t n, cpod_err *err)
{
	const char *hex;
	if (!digest_valid(digest, &hex))
		return err_set(err, CPOD_E_INVALID, "archive: bad digest %.80s", digest ? digest : "");
	snprintf(out, n, "blobs/sha256/%s", hex);
	return 0;
}

/* Stores a small blob of the layout (manifest, config, index), verified. */
static int archive_small_blob(image_store *s, int dirfd, const char *digest, size_t max, buf *b,
			      cpod_err *err)
{
	char path[128], got[DIGEST_STR_LEN + 1];
	if (archive_blob_path(digest, path, sizeof(path), err) < 0 ||
	    archive_read(dirfd, path, max, b, got, err) < 0)
		return -1;
	if (strcmp(got, digest) != 0)
		return err_set(err, CPOD_E_INVALID, "archive: blob %s has digest %s", digest, got);
	return store_blob_put(s, b->data, b->len, digest, NULL, err);
}

static int archive_load_oci_manifest(image_store *s, int dirfd, const char *mdigest, const char *name,
				     const char *index_digest, buf *names, cpod_err *err)
{
	_cleanup_buf_ buf mb = BUF_INIT;
	_cleanup_buf_ buf cb = BUF_INIT;
	char id[DIGEST_HEX_LEN + 1];
	if (archive_small_blob(s, dirfd, mdigest, MANIFEST_MAX_SIZE, &mb, err) < 0)
		return -1;
	image_manifest *m = manifest_parse(mb.data, mb.len, NULL, err);
	if (!m)
		return -1;
	int rc = -1;
	if (m->kind != MANIFEST_IMAGE) {
		err_set(err, CPOD_E_INVALID, "archive: %s is not an image manifest", mdigest);
		goto out;
	}
	if (archive_small_blob(s, dirfd, m->config.digest, CONFIG_MAX_SIZE, &cb, err) < 0)
		goto out;
	image_config *cfg = config_parse(cb.data, cb.len, err);
	if (!cfg)
		goto out;
	if (cfg->n_diff_ids != m->n_layers) {
		err_set(err, CPOD_E_INVALID, "archive: %zu layers but %zu diff_ids", m->n_layers, cfg->n_diff_ids);
		config_free(cfg);
		goto out;
	}
	for (size_t i = 0; i < m->n_layers; i++) {
		char path[128];
		layer_result res;
		if (archive_blob_path(m->layers[i].digest, path, sizeof(path), err) < 0) {
			config_free(cfg);
			goto out;
		}
		int lfd = archive_open(dirfd, path, err);
		if (lfd < 0) {
			config_free(cfg);
			goto out;
		}
		byte_source src = source_fd(&lfd);
		int r = store_layer_add(s, &src, m->layers[i].digest, cfg->diff_ids[i], m->layers[i].size,
					true, &res, err);
		close(lfd);
		if (r < 0) {
			config_free(cfg);
			goto out;
		}
	}
	config_free(cfg);
	char full[1024];
	const char *nv[1] = { full };
	size_t nn = 0;
	image_ref ref;
	if (name && (strchr(name, '/') || strchr(name, ':')) && ref_parse(name, &ref, NULL) == 0) {
		ref_name(&ref, full, sizeof(full));
		nn = 1;
	}
	if (image_record(s, mdigest, nv, nn, NULL, 0, index_digest, id, err) < 0)
		goto out;
	if (nn)
		buf_printf(names, NULL, "%s\n", full);
	else
		buf_printf(names, NULL, "sha256:%s\n", id);
	rc = 0;
out:
	manifest_free(m);
	return rc;
}

static bool archive_is_index(const char *media_type)
{
	return media_type && (strcmp(media_type, MT_OCI_INDEX) == 0 || strcmp(media_type, MT_DOCKER_LIST) == 0);
}

static int archive_load_oci(image_store *s, int dirfd, const image_platform *platform, buf *names,
			    cpod_err *err)
{
	_cleanup_json_ json_doc *idx = archive_json(dirfd, "index.json", err);
	if (!idx)
		return -1;
	_cleanup_buf_ buf ib = BUF_INIT;
	if (archive_read(dirfd, "index.json", MANIFEST_MAX_SIZE, &ib, NULL, err) < 0)
		return -1;
	image_manifest *index = manifest_parse(ib.data, ib.len, MT_OCI_INDEX, err);
	if (!index)
		return err_prefix(err, "archive index.json");
	int rc = 0;
	/* index.json may itself be the multi-platform index: image entries
	 * that carry a platform are the platforms of one image, of which the
	 * host's is loaded (as from a nested index); the others are skipped */
	const image_descriptor *chosen = NULL;
	size_t n_platforms = 0;
	for (size_t i = 0; i < index->n_manifests; i++) {
		const image_descriptor *d = &index->manifests[i];
		n_platforms += d->platform.architecture && !archive_is_index(d->media_type);
	}
	if (n_platforms > 1 && !(chosen = manifest_select(index, platform, err))) {
		manifest_free(index);
		return err_prefix(err, "archive index.json");
	}
	for (size_t i = 0; i < index->n_manifests && rc == 0; i++) {
		const image_descriptor *d = &index->manifests[i];
		if (chosen && d != chosen && d->platform.architecture && !archive_is_index(d->media_type))
			continue;
		if (archive_is_index(d->media_type)) {
			/* a multi-platform image: the platform asked for */
			_cleanup_buf_ buf nb = BUF_INIT;
			if (archive_small_blob(s, dirfd, d->digest, MANIFEST_MAX_SIZE, &nb, err) < 0) {
				rc = -1;
				break;
			}
			image_manifest *inner = manifest_parse(nb.data, nb.len, d->media_type, err);
			const image_descriptor *pick = inner ? manifest_select(inner, platform, err) : NULL;
			rc = pick ? archive_load_oci_manifest(s, dirfd, pick->digest, d->ref_name, d->digest, names, err) : -1;
			manifest_free(inner);
		} else {
			rc = archive_load_oci_manifest(s, dirfd, d->digest, d->ref_name, NULL, names, err);
		}
	}
	manifest_free(index);
	return rc;
}

CPOD_INTERNAL int archive_load(image_store *s, int fd, const image_platform *platform, buf *names,
			       cpod_err *err)
{
	char tmp[96];
	image_platform host = manifest_host_platform();
	int rc = -1;

	snprintf(tmp, sizeof(tmp), "tmp/%d-%llu-load", (int)getpid(), proc_start_time(getpid()));
	if (mkdirat(store_root_fd(s), tmp, 0700) < 0)
		return err_sys(err, "create %s/%s", store_root(s), tmp);
	int dirfd = openat(store_root_fd(s), tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		err_sys(err, "open %s", tmp);
		goto out;
	}
	if (archive_extract(fd, dirfd, err) < 0)
		goto out;
	struct stat st;
	if (fstatat(dirfd, "manifest.json", &st, 0) == 0)
		rc = archive_load_docker(s, dirfd, names, err);
	else if (fstatat(dirfd, "index.json", &st, 0) == 0)
		rc = archive_load_oci(s, dirfd, platform ? platform : &host, names, err);
	else
		rc = err_set(err, CPOD_E_INVALID,
			     "not an image archive: neither manifest.json (docker-archive) nor index.json (oci-archive)");
out:
	if (dirfd >= 0)
		close(dirfd);
	fs_rm_tree(store_root_fd(s), tmp, NULL);
	return rc < 0 ? err_prefix(err, "load") : 0;
}

/* ---------------------------------------------------------------- save */

/* Writes a file entry whose content is a store blob. */
static int archive_put_blob(tar_writer *t, image_store *s, const char *digest, const char *name,
			    cpod_err *err)
{
	_cleanup_close_ int fd = store_blob_open(s, digest, err);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return fd < 0 ? -1 : err_sys(err, "stat blob %s", digest);
	tar_entry e = { .path = name, .type = TAR_FILE, .size = (uint64_t)st.st_size, .mode = 0644,
			.mtime_sec = 0 };
	if (tar_write_header(t, &e, err) < 0)
		return -1;
	char b[1 << 16];
	ssize_t n;
	while ((n = read(fd, b, sizeof(b))) > 0)
		if (tar_write_data(t, b, (size_t)n, err) < 0)
			return -1;
	return n < 0 ? err_sys(err, "read blob %s", digest) : 0;
}

static int archive_put_bytes(tar_writer *t, const char *name, const void *data, size_t len,
			     cpod_err *err)
{
	tar_entry e = { .path = name, .type = TAR_FILE, .size = len, .mode = 0644 };
	if (tar_write_header(t, &e, err) < 0)
		return -1;
	return tar_write_data(t, data, len, err);
}

static int archive_put_dir(tar_writer *t, const char *name, cpod_err *err)
{
	tar_entry e = { .path = name, .type = TAR_DIR, .mode = 0755 };
	return tar_write_header(t, &e, err);
}

/* docker.io/library/busybox:latest -> busybox:latest, as docker writes it */
static void archive_docker_name(const char *full, char *out, size_t n)
{
	if (strncmp(full, "docker.io/library/", 18) == 0)
		snprintf(out, n, "%s", full + 18);
	else if (strncmp(full, "docker.io/", 10) == 0)
		snprintf(out, n, "%s", full + 10);
	else
		snprintf(out, n, "%s", full);
}

CPOD_INTERNAL int archive_save(image_store *s, const store_image *const *imgs, const char *const *names,
			       size_t n, enum archive_format fmt, int fd, cpod_err *err)
{
	tar_writer *t = tar_writer_new(fd, err);
	_cleanup_buf_ buf meta = BUF_INIT;
	json_w w;
	int rc = -1;
	/* blobs already written, so an image sharing layers writes them once */
	char (*done)[DIGEST_STR_LEN + 1] = NULL;
	size_t ndone = 0, cap = 0;

	if (!t)
		return -1;
	if (fmt == ARCHIVE_OCI) {
		static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
		if (archive_put_bytes(t, "oci-layout", layout, strlen(layout), err) < 0 ||
		    archive_put_dir(t, "blobs/", err) < 0 || archive_put_dir(t, "blobs/sha256/", err) < 0)
			goto out;
	}
	jw_init(&w, &meta, NULL);
	if (fmt == ARCHIVE_OCI) {
		jw_obj_begin(&w);
		jw_kint(&w, "schemaVersion", 2);
		jw_key(&w, "manifests");
	}
	jw_arr_begin(&w);
	for (size_t i = 0; i < n; i++) {
		const store_image *img = imgs[i];
		const char *blobs[2 + MANIFEST_MAX_LAYERS];
		size_t nb = 0;
		blobs[nb++] = img->config_digest;
		if (fmt == ARCHIVE_OCI)
			blobs[nb++] = img->manifest_digest;
		for (size_t k = 0; k < img->n_layers && nb < ARRAY_LEN(blobs); k++)
			blobs[nb++] = img->layers[k].digest;
		for (size_t k = 0; k < nb; k++) {
			bool seen = false;
			for (size_t j = 0; j < ndone && !seen; j++)
				seen = strcmp(done[j], blobs[k]) == 0;
			if (seen)
				continue;
			char name[160];
			const char *hex = blobs[k] + 7;
			if (fmt == ARCHIVE_OCI)
				snprintf(name, sizeof(name), "blobs/sha256/%s", hex);
			else if (k == 0)
				snprintf(name, sizeof(name), "%s.json", hex);
			else {
				snprintf(name, sizeof(name), "%s/", hex);
				if (archive_put_dir(t, name, err) < 0)
					goto out;
				snprintf(name, sizeof(name), "%s/layer.tar", hex);
			}
			if (archive_put_blob(t, s, blobs[k], name, err) < 0)
				goto out;
			if (ndone == cap) {
				cap = cap ? cap * 2 : 16;
				void *nd = realloc(done, cap * sizeof(*done));
				if (!nd) {
					err_nomem(err);
					goto out;
				}
				done = nd;
			}
			strcpy(done[ndone++], blobs[k]);
		}
		const char *name = names && names[i] ? names[i] : img->n_names ? img->names[0] : NULL;
		if (fmt == ARCHIVE_OCI) {
			_cleanup_close_ int mfd = store_blob_open(s, img->manifest_digest, err);
			struct stat st;
			if (mfd < 0 || fstat(mfd, &st) < 0)
				goto out;
			jw_obj_begin(&w);
			jw_kstr(&w, "mediaType", img->manifest_media_type[0] ? img->manifest_media_type : MT_OCI_MANIFEST);
			jw_kstr(&w, "digest", img->manifest_digest);
			jw_kint(&w, "size", st.st_size);
			if (name) {
				jw_key(&w, "annotations");
				jw_obj_begin(&w);
				jw_kstr(&w, "org.opencontainers.image.ref.name", name);
				jw_obj_end(&w);
			}
			jw_obj_end(&w);
		} else {
			char cfg[96];
			snprintf(cfg, sizeof(cfg), "%s.json", img->config_digest + 7);
			jw_obj_begin(&w);
			jw_kstr(&w, "Config", cfg);
			jw_key(&w, "RepoTags");
			jw_arr_begin(&w);
			if (name) {
				char dn[1024];
				archive_docker_name(name, dn, sizeof(dn));
				jw_str(&w, dn);
			}
			jw_arr_end(&w);
			jw_key(&w, "Layers");
			jw_arr_begin(&w);
			for (size_t k = 0; k < img->n_layers; k++) {
				char lp[96];
				snprintf(lp, sizeof(lp), "%s/layer.tar", img->layers[k].digest + 7);
				jw_str(&w, lp);
			}
			jw_arr_end(&w);
			jw_obj_end(&w);
		}
	}
	jw_arr_end(&w);
	if (fmt == ARCHIVE_OCI)
		jw_obj_end(&w);
	if (jw_finish(&w, err) < 0 ||
	    archive_put_bytes(t, fmt == ARCHIVE_OCI ? "index.json" : "manifest.json", meta.data, meta.len, err) < 0)
		goto out;
	rc = tar_writer_finish(t, err);
	t = NULL;
out:
	free(done);
	if (t)
		tar_writer_free(t);
	return rc < 0 ? err_prefix(err, "save") : 0;
}
