/*
 * ctr_create.c — `create`: a container record, its writable layer, its
 * generated /etc files and its OCI config, from an image and the options.
 *
 * Everything is checked before anything is made; what is made lives in
 * ROOT/containers/ID (the record, the upper and work directories of the
 * overlay or the copied rootfs, the /etc files, config.json) so that it
 * survives a reboot.  The run root only gets what a run needs (the bundle:
 * a mount point and a copy of config.json), remade at each start.  A failed
 * create removes what it made: nothing is left.
 */
#include "container.h"
#include "etcfiles.h"
#include "network.h"
#include "options.h"
#include "../base/fs.h"
#include <sys/file.h>

/* The working directory exists in the writable layer. */
static int create_workdir(int rwfd, const char *dir, cpod_err *err)
{
	if (!dir || !*dir || strcmp(dir, "/") == 0)
		return 0;
	int fd = fs_mkdirs_in_root(rwfd, dir, 0755, err);
	if (fd < 0)
		return err_prefix(err, "create the working directory %s", dir);
	close(fd);
	return 0;
}

/* The command as JSON, for ps and inspect. */
static char *create_command(const cpod_run_opts *o, const image_config *cfg)
{
	mem_pool pool = { 0 };
	const char **args;
	size_t n;
	buf b = BUF_INIT;
	json_w w;
	if (specgen_args(o, cfg, &args, &n, &pool, NULL) == 0) {
		jw_init(&w, &b, NULL);
		jw_arr_begin(&w);
		for (size_t i = 0; i < n; i++)
			jw_str(&w, args[i]);
		jw_arr_end(&w);
		if (jw_finish(&w, NULL) < 0)
			buf_free(&b);
	}
	pool_free(&pool);
	return b.data;
}

/* The image, pulled first as --pull says (podman's policies): "missing"
 * only when there is none here, "always" and "newer" ask the registry each
 * time (blobs already stored are not fetched again; "newer" goes on with the
 * local image when the registry cannot be reached), "never" never. */
static int create_image(cpod_engine *e, const cpod_run_opts *o, store_image **img,
			cpod_err *err)
{
	/* the value was checked by options_check */
	const char *policy = o->pull && *o->pull ? o->pull : "missing";
	bool always = !strcmp(policy, "always"), newer = !strcmp(policy, "newer");
	if (!always && !newer) {
		cpod_err e1;
		if (engine_image(e, o->image, img, &e1) == 0)
			return 0;
		if (!strcmp(policy, "never") || e1.code != CPOD_E_NOTFOUND) {
			if (err)
				*err = e1;
			return -1;
		}
		if (!pull_is_resolvable(o->image))
			return err_set(err, e1.code, "%s (and no registry to pull it from: "
				       "unqualified-search-registries in registries.conf, or a "
				       "full name)", e1.msg);
	}
	cpod_registry_opts ro = { .tls_verify = -1, .progress_fd = -1 };
	if (o->registry)
		ro = *o->registry;
	if (o->platform && *o->platform)
		ro.platform = o->platform;
	cpod_err pe;
	char *id = cpod_image_pull(e, o->image, &ro, &pe);
	if (!id) {
		if (newer && engine_image(e, o->image, img, NULL) == 0) {
			log_warn("%s; using the local image", pe.msg);
			return 0;
		}
		if (err)
			*err = pe;
		return -1;
	}
	int r = engine_image(e, id, img, err);
	free(id);
	return r;
}

CPOD_INTERNAL int ctr_create(cpod_engine *e, const cpod_run_opts *o, ctr_record *rec, cpod_err *err)
{
	store_image *img = NULL;
	image_config *cfg = NULL;
	userdb_user user;
	char rel[96], ctr_dir[PATH_MAX], run_dir[PATH_MAX], rootfs[PATH_MAX];
	bool made = false;
	buf summary = BUF_INIT;
	char *spec = NULL;
	int r = -1, lock = -1;
	_cleanup_close_ int cfd = -1;
	_cleanup_close_ int rwfd = -1;

	memset(rec, 0, sizeof(*rec));
	if (!o->image || !*o->image)
		return err_set(err, CPOD_E_INVALID, "an image is required");
	if (o->name && !options_name_ok(o->name, 253))
		return err_set(err, CPOD_E_INVALID,
			       "container name \"%s\" must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", o->name);
	/* every option checked before the image is looked at (or pulled) or
	 * anything made */
	if (options_check(o, err) < 0 || create_image(e, o, &img, err) < 0)
		return -1;
	cfg = engine_image_config(e, img, err);
	if (!cfg || userdb_resolve(e->store, img, o->user ? o->user : cfg->user, &user, err) < 0 ||
	    options_lifecycle(o, cfg, &rec->life, err) < 0)
		goto out;

	/* a unique name, taken under the containers lock */
	lock = openat(e->rootfd, "containers.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || RETRY_EINTR(flock(lock, LOCK_EX)) < 0) {
		err_sys(err, "lock the containers");
		goto out;
	}
	engine_random_hex(rec->id, 64);
	if (o->name) {
		ctr_record other;
		if (ctr_find(e, o->name, &other, NULL) == 0 && strcmp(other.name, o->name) == 0) {
			err_set(err, CPOD_E_EXISTS,
				"the container name \"%s\" is already in use by %.12s. You have to remove that container to be able to reuse that name",
				o->name, other.id);
			ctr_record_free(&other);
			goto out;
		}
		snprintf(rec->name, sizeof(rec->name), "%s", o->name);
	} else if (ctr_generate_name(e, rec->name, sizeof(rec->name), err) < 0) {
		goto out;
	}
	snprintf(rec->image_id, sizeof(rec->image_id), "%s", img->id);
	snprintf(rec->image_name, sizeof(rec->image_name), "%s", img->n_names ? img->names[0] : img->id);
	engine_now(rec->created, sizeof(rec->created));
	rec->rm = o->rm;
	rec->copy_rootfs = !rootfs_overlay_usable(e->store, NULL);
	rec->command = create_command(o, cfg);

	snprintf(rel, sizeof(rel), "containers/%s", rec->id);
	if (engine_ctr_path(e, rec->id, false, "", ctr_dir, sizeof(ctr_dir), err) < 0 ||
	    engine_ctr_path(e, rec->id, true, "", run_dir, sizeof(run_dir), err) < 0)
		goto out;
	if (mkdirat(e->rootfd, rel, 0700) < 0) {
		err_sys(err, "create %s", ctr_dir);
		goto out;
	}
	made = true;
	cfd = openat(e->rootfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfd < 0) {
		err_sys(err, "open %s", ctr_dir);
		goto out;
	}
	const char *rw = rec->copy_rootfs ? "rootfs" : "upper";
	if (mkdirat(cfd, rw, 0755) < 0 || (!rec->copy_rootfs && mkdirat(cfd, "work", 0700) < 0)) {
		err_sys(err, "create the container's layer");
		goto out;
	}
	rwfd = openat(cfd, rw, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rwfd < 0) {
		err_sys(err, "open the container's layer");
		goto out;
	}
	if (rec->copy_rootfs && rootfs_copy(e->store, img, rwfd, err) < 0)
		goto out;
	if (create_workdir(rwfd, o->workdir ? o->workdir : cfg->working_dir, err) < 0)
		goto out;
	/* its networks (named ones must exist), and the addresses its /etc
	 * files name: the stack's DNS server and gateway */
	char dns[16], gw[16], net_mode[64];
	{
		options_parsed p;
		ctr_net *n = calloc(1, sizeof(*n));
		if (!n) {
			err_nomem(err);
			goto out;
		}
		if (options_parse(o, &p, err) < 0) {
			free(n);
			goto out;
		}
		int nr = net_ctr_new(e, &p, o, cfg, n, dns, gw, err);
		options_parsed_free(&p);
		if (nr == 0 && !(rec->net = net_ctr_text(n)))
			nr = err_nomem(err);
		snprintf(net_mode, sizeof(net_mode), "%s", nr == 0 ? net_mode_name(n) : "");
		free(n);
		if (nr < 0)
			goto out;
	}
	char hostname[72];
	snprintf(hostname, sizeof(hostname), "%.12s", rec->id);
	if (etc_write(cfd, o, o->hostname && *o->hostname ? o->hostname : hostname, rec->name,
		      dns, gw, err) < 0)
		goto out;

	if (fs_join(rootfs, sizeof(rootfs), rec->copy_rootfs ? ctr_dir : run_dir, "rootfs", err) < 0)
		goto out;
	specgen_in si = {
		.e = e, .img = img, .ctr_dir = ctr_dir, .summary = &summary, .run = o, .cfg = cfg,
		.id = rec->id, .name = rec->name, .rootfs = rootfs, .files_dir = ctr_dir,
		.user = &user, .rootless = e->rootless, .with_cgroup = !e->rootless,
		.net_mode = net_mode,
	};
	spec = specgen_build(&si, err);
	if (!spec || fs_write_atomic(cfd, "config.json", spec, strlen(spec), 0600, 0, err) < 0)
		goto out;
	if (summary.len) {
		rec->summary = summary.data;
		summary.data = NULL;
	}
	rec->status = CTR_CREATED;
	if (ctr_save(e, rec, err) < 0)
		goto out;
	r = 0;
out:
	if (r < 0 && made) {
		fs_rm_tree(e->rootfd, rel, NULL);
		if (spec) /* the anonymous volumes specgen made */
			volume_release(e, rec->id, rec->summary ? rec->summary : summary.data, true,
				       NULL);
		ctr_record_free(rec);
	}
	if (lock >= 0)
		close(lock);
	buf_free(&summary);
	free(spec);
	config_free(cfg);
	if (img) {
		store_image_free(img);
		free(img);
	}
	return r;
}

char *cpod_container_create(cpod_engine *e, const cpod_run_opts *o, cpod_err *err)
{
	ctr_record rec;
	if (ctr_create(e, o, &rec, err) < 0)
		return NULL;
	char *id = strdup(rec.id);
	ctr_record_free(&rec);
	if (!id)
		err_nomem(err);
	return id;
}
