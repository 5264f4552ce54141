/*
 * push.c — cpod_image_push: a local image (pulled, loaded or imported)
 * to a registry, as its manifest and blobs are in the store.
 *
 * Blobs go three at a time: a blob the repository has already is skipped
 * (HEAD), one that another repository of the same registry has (a name
 * the image was pulled or tagged as) is mounted from there, the rest are
 * uploaded (one PUT, or PATCH chunks for big ones); then the manifest, with
 * its own media type, under the tag.  Nothing in the store changes.
 */
#include "engine.h"
#include "blobloc.h"
#include "../net/registry.h"
#include "../net/registries_conf.h"
#include <pthread.h>

#define PUSH_THREADS 3

typedef struct push_job {
	char digest[DIGEST_STR_LEN + 1];
	int64_t size;
	reg_progress_item *item;
} push_job;

typedef struct push_ctx {
	cpod_engine *e;
	reg_repo *repo;
	push_job *jobs;
	size_t n_jobs;
	const char *mount_from;     /* another repository of the registry, or NULL */
	const image_ref *dest;
	reg_progress prog;
	pthread_mutex_t draw_lock;
} push_ctx;

static void push_tick(void *ctx)
{
	push_ctx *p = ctx;
	pthread_mutex_lock(&p->draw_lock);
	reg_progress_draw(&p->prog);
	pthread_mutex_unlock(&p->draw_lock);
}

static int push_blob(void *ctx, size_t i, cpod_err *err)
{
	push_ctx *p = ctx;
	push_job *j = &p->jobs[i];
	char session[4500] = "", from[600];
	_cleanup_close_ int fd = -1;
	const char *mount_from = p->mount_from;

	int have = reg_blob_exists(p->repo, j->digest, err);
	if (have < 0)
		goto fail;
	if (have) {
		snprintf(j->item->note, sizeof(j->item->note), "already exists");
		reg_progress_set(j->item, REG_ITEM_SKIPPED);
		goto seen;
	}
	/* where a pull or a push saw this blob last, else a name of the image */
	if (blobloc_find(p->e, j->digest, p->dest->domain, p->dest->path, from, sizeof(from)))
		mount_from = from;
	if (mount_from) {
		int m = reg_blob_mount(p->repo, j->digest, mount_from, session, sizeof(session),
				       err);
		if (m < 0)
			goto fail;
		if (m) {
			snprintf(j->item->note, sizeof(j->item->note), "mounted from %.30s",
				 mount_from);
			reg_progress_set(j->item, REG_ITEM_SKIPPED);
			goto seen;
		}
	}
	fd = store_blob_open(p->e->store, j->digest, err);
	if (fd < 0) {
		if (err && err->code == CPOD_E_NOTFOUND)
			err_set(err, CPOD_E_NOTFOUND, "blob %s is not in the store (its layer was "
				"kept without it), so it cannot be pushed", j->digest);
		goto fail;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		err_sys(err, "stat blob %s", j->digest);
		goto fail;
	}
	if (j->size >= 0 && st.st_size != j->size) {
		err_set(err, CPOD_E_INVALID, "blob %s: the manifest says %" PRId64 " bytes, the store "
			"has %lld", j->digest, j->size, (long long)st.st_size);
		goto fail;
	}
	j->item->total = st.st_size;
	reg_progress_set(j->item, REG_ITEM_ACTIVE);
	if (reg_blob_push(p->repo, fd, st.st_size, j->digest, session, &j->item->done, err) < 0)
		goto fail;
	reg_progress_set(j->item, REG_ITEM_DONE);
seen:
	blobloc_add(p->e, j->digest, p->dest->domain, p->dest->path);
	return 0;
fail:
	reg_progress_set(j->item, REG_ITEM_FAILED);
	return -1;
}

/* The destination: dest, else the name ref stands for. */
static int push_dest(const store_image *img, const char *ref, const char *dest, image_ref *d,
		     cpod_err *err)
{
	static const char *const transports[] = { "oci:", "oci-archive:", "docker-archive:", "dir:",
						   "containers-storage:", "docker-daemon:" };
	if (dest && *dest) {
		if (!strncmp(dest, "docker://", 9))
			dest += 9;
		for (size_t i = 0; i < ARRAY_LEN(transports); i++)
			if (!strncmp(dest, transports[i], strlen(transports[i])) || strstr(dest, "://"))
				return err_set(err, CPOD_E_UNSUPPORTED, "destination %s: only "
					       "registries (docker://) are supported", dest);
		return ref_parse(dest, d, err);
	}
	const char *hex = strncmp(ref, "sha256:", 7) ? ref : ref + 7;
	if (!ref_looks_like_id(ref) || strncmp(img->id, hex, strlen(hex)) != 0) {
		char full[1100];
		if (ref_parse(ref, d, err) < 0)
			return -1;
		ref_name(d, full, sizeof(full));
		for (size_t i = 0; i < img->n_names; i++)
			if (!strcmp(img->names[i], full))
				return 0;
		/* a short name matched another of the image's names */
	}
	if (img->n_names == 0)
		return err_set(err, CPOD_E_INVALID, "image %.12s has no name: give a destination",
			       img->id);
	return ref_parse(img->names[0], d, err);
}

int cpod_image_push(cpod_engine *e, const char *ref, const char *dest,
		    const cpod_registry_opts *o, cpod_err *err)
{
	cpod_registry_opts none = { .tls_verify = -1, .progress_fd = -1 };
	store_image *img = NULL;
	image_ref d;
	registries_conf conf;
	bool conf_loaded = false;
	reg_client *rc = NULL;
	reg_repo repo;
	image_manifest *m = NULL;
	_cleanup_buf_ buf raw = BUF_INIT;
	push_ctx pc;
	char full[1100] = "", from[600] = "";
	int r = -1;

	memset(&repo, 0, sizeof(repo));
	memset(&pc, 0, sizeof(pc));
	if (!o)
		o = &none;
	if (!ref || !*ref)
		return err_set(err, CPOD_E_INVALID, "push: an image is required");
	if (engine_image(e, ref, &img, err) < 0)
		return err_prefix(err, "push");
	if (push_dest(img, ref, dest, &d, err) < 0)
		goto out;
	ref_name(&d, full, sizeof(full));
	if (regconf_load(&conf, err) < 0)
		goto out;
	conf_loaded = true;
	if (store_blob_read(e->store, img->manifest_digest, MANIFEST_MAX_SIZE, &raw, err) < 0)
		goto out;
	if (!(m = manifest_parse(raw.data, raw.len, img->manifest_media_type[0]
						     ? img->manifest_media_type : NULL, err)))
		goto out;
	if (m->kind != MANIFEST_IMAGE) {
		err_set(err, CPOD_E_UNSUPPORTED, "the stored manifest is an index");
		goto out;
	}
	if (d.digest[0] && !d.tag[0] && strcmp(d.digest, img->manifest_digest) != 0) {
		err_set(err, CPOD_E_INVALID, "the image's manifest is %s, not %s", img->manifest_digest,
			d.digest);
		goto out;
	}
	/* a repository of the same registry that has the blobs, to mount from */
	for (size_t i = 0; i < img->n_names + img->n_digests && !from[0]; i++) {
		const char *nm = i < img->n_names ? img->names[i] : img->digests[i - img->n_names];
		image_ref o2;
		if (ref_parse(nm, &o2, NULL) == 0 && !strcmp(o2.domain, d.domain) &&
		    strcmp(o2.path, d.path) != 0)
			snprintf(from, sizeof(from), "%s", o2.path);
	}
	reg_client_opts ro = { .authfile = o->authfile, .creds = o->creds,
			       .cert_dir = o->cert_dir, .tls_verify = o->tls_verify };
	if (!(rc = reg_client_new(&ro, err)))
		goto out;
	if (reg_repo_open(rc, d.domain, d.path, regconf_insecure(&conf, full), true, &repo, err) < 0)
		goto out;

	pc.e = e;
	pc.repo = &repo;
	pc.mount_from = from[0] ? from : NULL;
	pc.dest = &d;
	pc.prog.fd = !o->quiet && o->progress_fd >= 0 && isatty(o->progress_fd) ? o->progress_fd
										  : -1;
	pc.jobs = calloc(m->n_layers + 1, sizeof(*pc.jobs));
	pc.prog.items = calloc(m->n_layers + 1, sizeof(*pc.prog.items));
	if (!pc.jobs || !pc.prog.items) {
		err_nomem(err);
		goto out;
	}
	for (size_t i = 0; i <= m->n_layers; i++) {
		const image_descriptor *desc = i < m->n_layers ? &m->layers[i] : &m->config;
		bool dup = false;
		for (size_t k = 0; k < pc.n_jobs && !dup; k++)
			dup = !strcmp(pc.jobs[k].digest, desc->digest);
		if (dup)
			continue;
		push_job *j = &pc.jobs[pc.n_jobs++];
		strcpy(j->digest, desc->digest);
		j->size = desc->size;
		j->item = &pc.prog.items[pc.prog.n++];
		j->item->total = desc->size;
		snprintf(j->item->label, sizeof(j->item->label), "Copying %s %.12s",
			 i < m->n_layers ? "blob" : "config", desc->digest + 7);
	}
	reg_progress_say(&pc.prog, "Pushing %s to %s...", ref, full);
	pthread_mutex_init(&pc.draw_lock, NULL);
	int pr = reg_parallel(pc.n_jobs, PUSH_THREADS, push_blob, &pc, push_tick, 200, err);
	pthread_mutex_destroy(&pc.draw_lock);
	if (pr < 0)
		goto out;
	reg_progress_say(&pc.prog, "Writing manifest to image destination");
	const char *mt = img->manifest_media_type[0] ? img->manifest_media_type : m->media_type;
	if (reg_manifest_put(&repo, d.tag[0] ? d.tag : d.digest, raw.data, raw.len, mt, err) < 0)
		goto out;
	r = 0;
out:
	if (r < 0)
		err_prefix(err, "push %s", full[0] ? full : ref);
	free(pc.jobs);
	free(pc.prog.items);
	manifest_free(m);
	reg_repo_close(&repo);
	reg_client_free(rc);
	if (conf_loaded)
		regconf_free(&conf);
	if (img) {
		store_image_free(img);
		free(img);
	}
	return r;
}
