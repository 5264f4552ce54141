/*
 * pull.c — cpod_image_pull: a reference (short names resolved from
 * registries.conf as podman does, without its prompt) pulled from its
 * registry's mirrors, then the registry itself, into the store.
 *
 * One pull: the manifest (by tag, or by digest and then verified); an
 * index gives way to the entry for the platform; the config is fetched
 * and checked; the layers not in the store already are fetched three at a
 * time, each streamed from the HTTP body through the store's unpacker
 * (which verifies the blob's digest and the config's diff_id) with no
 * temporary copy of the blob, a dropped connection resumed where it broke;
 * last the manifest (and index) are stored and the image recorded with its
 * name and "repository@digest".  Everything goes through the store's
 * tmp/, so a pull that fails or is killed leaves the store as it was, plus
 * at most garbage that `system prune` removes.
 */
#include "engine.h"
#include "blobloc.h"
#include "../image/commit.h"
#include "../net/registry.h"
#include "../net/registries_conf.h"
#include <pthread.h>

#define PULL_THREADS 3
#define PULL_MAX_CANDIDATES 16
#define PULL_MAX_SOURCES (REGCONF_MAX_MIRRORS + 1)

typedef struct pull_job {
	const image_descriptor *desc;
	const char *diff_id;
	reg_progress_item *item;
} pull_job;

typedef struct pull_ctx {
	cpod_engine *e;
	reg_repo *repo;
	pull_job *jobs;
	size_t n_jobs;
	reg_progress prog;
	pthread_mutex_t draw_lock;
} pull_ctx;

static bool pull_known_type(const char *t)
{
	return !strcmp(t, MT_OCI_MANIFEST) || !strcmp(t, MT_OCI_INDEX) ||
	       !strcmp(t, MT_DOCKER_MANIFEST) || !strcmp(t, MT_DOCKER_LIST);
}

/* The manifest of r at reference, parsed; digest_out gets the digest of
 * its bytes, which must be want_digest when given. */
static image_manifest *pull_manifest(reg_repo *r, const char *reference, const char *want_digest,
				     buf *raw, char digest_out[DIGEST_STR_LEN + 1], cpod_err *err)
{
	char mt[128];

	buf_reset(raw);
	if (reg_manifest_get(r, reference, raw, mt, sizeof(mt), err) < 0)
		return NULL;
	digest_buf(raw->data ? raw->data : "", raw->len, digest_out);
	if (want_digest && strcmp(want_digest, digest_out) != 0) {
		err_set(err, CPOD_E_INVALID, "%s/%s: manifest digest mismatch: asked for %s, the "
			"registry sent %s", r->registry, r->name, want_digest, digest_out);
		return NULL;
	}
	image_manifest *m = manifest_parse(raw->data ? raw->data : "", raw->len,
					   pull_known_type(mt) ? mt : NULL, err);
	if (!m)
		err_prefix(err, "%s/%s@%s", r->registry, r->name, digest_out);
	return m;
}

static void pull_tick(void *ctx)
{
	pull_ctx *p = ctx;
	pthread_mutex_lock(&p->draw_lock);
	reg_progress_draw(&p->prog);
	pthread_mutex_unlock(&p->draw_lock);
}

static int pull_layer(void *ctx, size_t i, cpod_err *err)
{
	pull_ctx *p = ctx;
	pull_job *j = &p->jobs[i];
	image_store *s = p->e->store;
	layer_result res;

	if (store_has_layer(s, j->diff_id) && store_has_blob(s, j->desc->digest)) {
		snprintf(j->item->note, sizeof(j->item->note), "already exists");
		reg_progress_set(j->item, REG_ITEM_SKIPPED);
		return 0;
	}
	reg_progress_set(j->item, REG_ITEM_ACTIVE);
	reg_blob_reader *b = reg_blob_open(p->repo, j->desc->digest, j->desc->size,
					   &j->item->done, err);
	if (!b) {
		reg_progress_set(j->item, REG_ITEM_FAILED);
		return err_prefix(err, "layer %s", j->desc->digest);
	}
	byte_source src = reg_blob_source(b);
	int r = store_layer_add(s, &src, j->desc->digest, j->diff_id, j->desc->size, true, &res,
				err);
	int resumes = reg_blob_resumes(b);
	reg_blob_close(b);
	if (r < 0) {
		reg_progress_set(j->item, REG_ITEM_FAILED);
		/* the store names the layer by its diff_id, which the user
		 * cannot find in the registry: name the blob instead */
		if (err) {
			size_t dl = strlen(j->diff_id);
			char *m = err->msg;
			if (!strncmp(m, "layer ", 6) && !strncmp(m + 6, j->diff_id, dl) &&
			    !strncmp(m + 6 + dl, ": ", 2))
				memmove(m, m + 8 + dl, strlen(m + 8 + dl) + 1);
			if (err->errno_ == ENOSPC)
				err_prefix(err, "the disk is full");
			err_prefix(err, "layer %s", j->desc->digest);
		}
		return -1;
	}
	if (resumes)
		snprintf(j->item->note, sizeof(j->item->note), "done (resumed %d time%s)", resumes,
			 resumes == 1 ? "" : "s");
	reg_progress_set(j->item, REG_ITEM_DONE);
	return 0;
}

/* The short id of a digest, for labels. */
static const char *pull_short(const char *digest)
{
	return strlen(digest) > 19 ? digest + 7 : digest;
}

/* Pulls from one source (a mirror or the registry): src_ref is where,
 * named the image's reference as the user knows it. */
static int pull_from(cpod_engine *e, reg_client *rc, const image_ref *named,
		     const regconf_source *srcdesc, const image_platform *plat, int progress_fd,
		     char id_out[DIGEST_HEX_LEN + 1], cpod_err *err)
{
	image_ref src;
	reg_repo repo;
	_cleanup_buf_ buf raw = BUF_INIT;
	_cleanup_buf_ buf index_raw = BUF_INIT;
	_cleanup_buf_ buf cfg_raw = BUF_INIT;
	char mdigest[DIGEST_STR_LEN + 1], idigest[DIGEST_STR_LEN + 1] = "";
	image_manifest *m = NULL, *index = NULL;
	image_config *cfg = NULL;
	pull_ctx pc;
	int rc_ = -1;

	memset(&pc, 0, sizeof(pc));
	pc.prog.fd = progress_fd;
	if (ref_parse(srcdesc->ref, &src, err) < 0)
		return err_prefix(err, "registries.conf rewrites %s/%s as", named->domain, named->path);
	if (reg_repo_open(rc, src.domain, src.path, srcdesc->insecure, false, &repo, err) < 0)
		return -1;
	reg_progress_say(&pc.prog, "Trying to pull %s...", srcdesc->ref);

	const char *reference = src.digest[0] ? src.digest : src.tag;
	m = pull_manifest(&repo, reference, src.digest[0] ? src.digest : NULL, &raw, mdigest, err);
	if (!m)
		goto out;
	if (m->kind == MANIFEST_INDEX) {
		index = m;
		m = NULL;
		strcpy(idigest, mdigest);
		buf tmp = index_raw;
		index_raw = raw;
		raw = tmp;
		const image_descriptor *d = manifest_select(index, plat, err);
		if (!d) {
			err_prefix(err, "%s", srcdesc->ref);
			goto out;
		}
		m = pull_manifest(&repo, d->digest, d->digest, &raw, mdigest, err);
		if (!m)
			goto out;
		if (m->kind != MANIFEST_IMAGE) {
			err_set(err, CPOD_E_UNSUPPORTED, "%s: an index inside an index", srcdesc->ref);
			goto out;
		}
	}
	/* the config: small, fetched whole and verified (unless stored: a
	 * pull of an image that is up to date downloads no blob) */
	if (store_has_blob(e->store, m->config.digest)) {
		if (store_blob_read(e->store, m->config.digest, CONFIG_MAX_SIZE, &cfg_raw, err) < 0)
			goto out;
	} else if (reg_blob_get(&repo, m->config.digest, CONFIG_MAX_SIZE, &cfg_raw, err) < 0) {
		goto out;
	}
	if (!(cfg = config_parse(cfg_raw.data ? cfg_raw.data : "", cfg_raw.len, err))) {
		err_prefix(err, "%s: config %s", srcdesc->ref, m->config.digest);
		goto out;
	}
	if (cfg->n_diff_ids != m->n_layers) {
		err_set(err, CPOD_E_INVALID, "%s: the manifest has %zu layers but the config %zu "
			"diff_ids", srcdesc->ref, m->n_layers, cfg->n_diff_ids);
		goto out;
	}
	if (!index && cfg->architecture && plat->architecture &&
	    (strcmp(cfg->architecture, plat->architecture) != 0 ||
	     (cfg->os && strcmp(cfg->os, plat->os) != 0)))
		log_warn("%s: the image is for %s/%s, not %s/%s", srcdesc->ref,
			 cfg->os ? cfg->os : "?", cfg->architecture, plat->os, plat->architecture);
	if (store_blob_put(e->store, cfg_raw.data, cfg_raw.len, m->config.digest, NULL, err) < 0)
		goto out;

	/* the layers: each distinct one once, three at a time */
	pc.e = e;
	pc.repo = &repo;
	pc.jobs = calloc(m->n_layers ? m->n_layers : 1, sizeof(*pc.jobs));
	pc.prog.items = calloc(m->n_layers + 1, sizeof(*pc.prog.items));
	if (!pc.jobs || !pc.prog.items) {
		err_nomem(err);
		goto out;
	}
	pthread_mutex_init(&pc.draw_lock, NULL);
	reg_progress_item *ci = &pc.prog.items[pc.prog.n++];
	snprintf(ci->label, sizeof(ci->label), "Copying config %.12s", pull_short(m->config.digest));
	ci->total = ci->done = cfg_raw.len;
	reg_progress_set(ci, REG_ITEM_DONE);
	for (size_t i = 0; i < m->n_layers; i++) {
		bool dup = false;
		for (size_t k = 0; k < i && !dup; k++)
			dup = !strcmp(m->layers[k].digest, m->layers[i].digest) &&
			      !strcmp(cfg->diff_ids[k], cfg->diff_ids[i]);
		if (dup)
			continue;
		pull_job *j = &pc.jobs[pc.n_jobs++];
		j->desc = &m->layers[i];
		j->diff_id = cfg->diff_ids[i];
		j->item = &pc.prog.items[pc.prog.n++];
		snprintf(j->item->label, sizeof(j->item->label), "Copying blob %.12s",
			 pull_short(j->desc->digest));
		j->item->total = j->desc->size;
	}
	int pr = reg_parallel(pc.n_jobs, PULL_THREADS, pull_layer, &pc, pull_tick, 200, err);
	pthread_mutex_destroy(&pc.draw_lock);
	if (pr < 0) {
		err_prefix(err, "%s", srcdesc->ref);
		goto out;
	}

	/* a later push to this registry can mount these blobs from here */
	blobloc_add(e, m->config.digest, src.domain, src.path);
	for (size_t i = 0; i < m->n_layers; i++)
		blobloc_add(e, m->layers[i].digest, src.domain, src.path);

	/* the manifest (and index) last, then the image */
	reg_progress_say(&pc.prog, "Writing manifest to image destination");
	if (store_blob_put(e->store, raw.data, raw.len, mdigest, NULL, err) < 0 ||
	    (index && store_blob_put(e->store, index_raw.data, index_raw.len, idigest, NULL,
				     err) < 0))
		goto out;
	{
		char name[1100], d1[1100], d2[1100], repo_name[800];
		const char *names[1] = { name }, *digests[2] = { d1, d2 };
		image_ref tagged = *named;
		tagged.digest[0] = '\0';
		ref_name(&tagged, name, sizeof(name));
		ref_repository(named, repo_name, sizeof(repo_name));
		snprintf(d1, sizeof(d1), "%s@%s", repo_name, mdigest);
		snprintf(d2, sizeof(d2), "%s@%s", repo_name, idigest);
		if (image_record(e->store, mdigest, names, named->tag[0] ? 1 : 0, digests,
				 index ? 2 : 1, index ? idigest : NULL, id_out, err) < 0)
			goto out;
	}
	rc_ = 0;
out:
	free(pc.jobs);
	free(pc.prog.items);
	config_free(cfg);
	manifest_free(m);
	manifest_free(index);
	reg_repo_close(&repo);
	return rc_;
}

/* Pulls one fully qualified reference from its sources in order. */
static int pull_named(cpod_engine *e, reg_client *rc, const registries_conf *conf,
		      const image_ref *named, const image_platform *plat, int progress_fd,
		      char id_out[DIGEST_HEX_LEN + 1], buf *errs, int *code, cpod_err *err)
{
	regconf_source srcs[PULL_MAX_SOURCES];
	size_t n;
	char full[1100];

	ref_name(named, full, sizeof(full));
	if (named->tag[0] && named->digest[0]) {
		/* name:tag@digest: the digest decides, the tag names it */
		char repo[800];
		ref_repository(named, repo, sizeof(repo));
		snprintf(full, sizeof(full), "%s@%s", repo, named->digest);
	}
	if (regconf_pull_sources(conf, full, srcs, ARRAY_LEN(srcs), &n, err) < 0) {
		buf_printf(errs, NULL, "%s%s", errs->len ? "; " : "", err->msg);
		*code = err->code;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		cpod_err e1;
		if (pull_from(e, rc, named, &srcs[i], plat, progress_fd, id_out, &e1) == 0)
			return 0;
		log_debug("pull %s from %s: %s", full, srcs[i].ref, e1.msg);
		buf_printf(errs, NULL, "%s%s%s", errs->len ? "; " : "",
			   n > 1 && !strstr(e1.msg, srcs[i].ref) ? srcs[i].ref : "",
			   n > 1 && !strstr(e1.msg, srcs[i].ref) ? ": " : "");
		buf_puts(errs, e1.msg, NULL);
		if (*code == CPOD_OK || *code == CPOD_E_NOTFOUND)
			*code = e1.code;
	}
	return -1;
}

/* Whether registries.conf says where to look for ref: a name with its
 * registry, or a short name with an alias or search registries.  (pull
 * falls back to docker.io for the rest; run and create do not, as podman
 * does not: a short name that is nowhere here is not looked for there.) */
CPOD_INTERNAL bool pull_is_resolvable(const char *ref)
{
	image_ref r;
	registries_conf conf;

	if (!strncmp(ref, "docker://", 9))
		ref += 9;
	if (ref_parse(ref, &r, NULL) < 0)
		return false;
	if (!r.short_name)
		return true;
	if (regconf_load(&conf, NULL) < 0)
		return false;
	bool ok = conf.n_search > 0;
	for (size_t i = 0; !ok && i < conf.n_aliases; i++) {
		size_t l = strlen(conf.aliases[i].name);
		ok = !strncmp(ref, conf.aliases[i].name, l) &&
		     (ref[l] == '\0' || ref[l] == ':' || ref[l] == '@');
	}
	regconf_free(&conf);
	return ok;
}

char *cpod_image_pull(cpod_engine *e, const char *ref, const cpod_registry_opts *o,
		      cpod_err *err)
{
	cpod_registry_opts none = { .tls_verify = -1, .progress_fd = -1 };
	registries_conf conf;
	reg_client *rc = NULL;
	image_platform plat = manifest_host_platform();
	char platbuf[128], id[DIGEST_HEX_LEN + 1];
	char (*cands)[1024] = NULL;
	size_t nc = 0;
	buf errs = BUF_INIT;
	int code = CPOD_OK;
	char *result = NULL;
	image_ref first;

	if (!o)
		o = &none;
	if (!ref || !*ref) {
		err_set(err, CPOD_E_INVALID, "pull: an image reference is required");
		return NULL;
	}
	if (!strncmp(ref, "docker://", 9))
		ref += 9;
	if (o->platform && *o->platform &&
	    manifest_parse_platform(o->platform, platbuf, sizeof(platbuf), &plat, err) < 0) {
		err_prefix(err, "pull %s", ref);
		return NULL;
	}
	if (ref_parse(ref, &first, err) < 0) {
		err_prefix(err, "pull");
		return NULL;
	}
	if (regconf_load(&conf, err) < 0) {
		err_prefix(err, "pull %s", ref);
		return NULL;
	}
	if (!(cands = calloc(PULL_MAX_CANDIDATES, sizeof(*cands)))) {
		err_nomem(err);
		goto out;
	}
	if (first.short_name) {
		if (regconf_candidates(&conf, ref, cands, PULL_MAX_CANDIDATES, &nc, err) < 0)
			goto fail;
	} else {
		snprintf(cands[0], sizeof(cands[0]), "%s", ref);
		nc = 1;
	}
	reg_client_opts ro = { .authfile = o->authfile, .creds = o->creds,
			       .cert_dir = o->cert_dir, .tls_verify = o->tls_verify };
	if (!(rc = reg_client_new(&ro, err)))
		goto fail;
	int fd = !o->quiet && o->progress_fd >= 0 && isatty(o->progress_fd) ? o->progress_fd : -1;
	for (size_t i = 0; i < nc; i++) {
		image_ref named;
		cpod_err e1;
		if (ref_parse(cands[i], &named, &e1) < 0) {
			buf_printf(&errs, NULL, "%s%s", errs.len ? "; " : "", e1.msg);
			code = code == CPOD_OK ? e1.code : code;
			continue;
		}
		if (pull_named(e, rc, &conf, &named, &plat, fd, id, &errs, &code, &e1) == 0) {
			if (!(result = strdup(id)))
				err_nomem(err);
			goto out;
		}
	}
	err_set(err, code == CPOD_OK ? CPOD_E_INVALID : code, "%s", errs.data ? errs.data : "failed");
	if (err) {
		/* "pull REF: REF: ..." says REF once */
		size_t rl = strlen(ref);
		if (!strncmp(err->msg, ref, rl) && !strncmp(err->msg + rl, ": ", 2))
			memmove(err->msg, err->msg + rl + 2, strlen(err->msg + rl + 2) + 1);
	}
fail:
	err_prefix(err, "pull %s", ref);
out:
	buf_free(&errs);
	free(cands);
	reg_client_free(rc);
	regconf_free(&conf);
	return result;
}
