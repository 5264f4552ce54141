/*
 * run.c — `run`: a container from an image, in the foreground.
 *
 * The container gets a record and a writable layer under the root, a
 * bundle under the run root, and is run by the in-process runtime with its
 * overlay mounted inside its own mount namespace.  Its exit status is
 * recorded (with whether the OOM killer struck) before the runtime's state
 * is deleted; with --rm the container is then removed.
 */
#include "container.h"
#include "etcfiles.h"
#include "../base/fs.h"
#include "../base/proc.h"
#include <sys/file.h>

/* Names as podman accepts them. */
static bool run_name_ok(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

/* The container's working directory exists in its writable layer. */
static int run_make_workdir(int rwfd, const char *dir, cpod_err *err)
{
	if (!dir || !*dir || strcmp(dir, "/") == 0)
		return 0;
	int fd = fs_mkdirs_in_root(rwfd, dir, 0755, err);
	if (fd < 0)
		return err_prefix(err, "create the working directory %s", dir);
	close(fd);
	return 0;
}

typedef struct run_ctx {
	cpod_engine *e;
	ctr_record rec;
	store_image *img;
	image_config *cfg;
	rootfs_overlay ov;
	char ctr_dir[PATH_MAX], run_dir[PATH_MAX];
	bool record_made;  /* its directories exist */
	bool saved;        /* its record was written: it is a container */
} run_ctx;

static int run_prepare(run_ctx *x, const cpod_run_opts *o, cpod_err *err)
{
	cpod_engine *e = x->e;
	userdb_user user;
	char rel[160];
	int r = -1;

	if (!o->image || !*o->image)
		return err_set(err, CPOD_E_INVALID, "an image is required");
	if (engine_image(e, o->image, &x->img, err) < 0)
		return -1;
	x->cfg = engine_image_config(e, x->img, err);
	if (!x->cfg)
		return -1;
	if (userdb_resolve(e->store, x->img, o->user ? o->user : x->cfg->user, &user, err) < 0)
		return -1;

	/* the record: a unique name, taken under the containers lock */
	_cleanup_close_ int lock = openat(e->rootfd, "containers.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || RETRY_EINTR(flock(lock, LOCK_EX)) < 0)
		return err_sys(err, "lock the containers");
	engine_random_hex(x->rec.id, 64);
	if (o->name) {
		ctr_record other;
		if (!run_name_ok(o->name))
			return err_set(err, CPOD_E_INVALID,
				       "container name \"%s\" must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", o->name);
		if (ctr_find(e, o->name, &other, NULL) == 0 && strcmp(other.name, o->name) == 0) {
			ctr_record_free(&other);
			return err_set(err, CPOD_E_EXISTS,
				       "the container name \"%s\" is already in use by %.12s. You have to remove that container to be able to reuse that name",
				       o->name, other.id);
		}
		snprintf(x->rec.name, sizeof(x->rec.name), "%s", o->name);
	} else if (ctr_generate_name(e, x->rec.name, sizeof(x->rec.name), err) < 0) {
		return -1;
	}
	snprintf(x->rec.image_id, sizeof(x->rec.image_id), "%s", x->img->id);
	snprintf(x->rec.image_name, sizeof(x->rec.image_name), "%s",
		 x->img->n_names ? x->img->names[0] : x->img->id);
	engine_now(x->rec.created, sizeof(x->rec.created));
	x->rec.rm = o->rm;
	x->rec.copy_rootfs = !rootfs_overlay_usable(e->store, NULL);

	snprintf(rel, sizeof(rel), "containers/%s", x->rec.id);
	if (fs_join(x->ctr_dir, sizeof(x->ctr_dir), e->root, rel, err) < 0 ||
	    fs_join(x->run_dir, sizeof(x->run_dir), e->runroot, rel, err) < 0)
		return -1;
	if (mkdirat(e->rootfd, rel, 0700) < 0 || mkdirat(e->runrootfd, rel, 0700) < 0)
		return err_sys(err, "create the container's directories");
	x->record_made = true;
	_cleanup_close_ int cfd = openat(e->rootfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int rfd = openat(e->runrootfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfd < 0 || rfd < 0)
		return err_sys(err, "open the container's directories");

	/* the writable layer */
	const char *rw = x->rec.copy_rootfs ? "rootfs" : "upper";
	if (mkdirat(cfd, rw, 0755) < 0 || (!x->rec.copy_rootfs && mkdirat(cfd, "work", 0700) < 0) ||
	    mkdirat(rfd, "rootfs", 0755) < 0)
		return err_sys(err, "create the container's layer");
	_cleanup_close_ int rwfd = openat(cfd, rw, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rwfd < 0)
		return err_sys(err, "open the container's layer");
	if (x->rec.copy_rootfs) {
		if (rootfs_copy(e->store, x->img, rwfd, err) < 0)
			return -1;
	} else {
		char upper[PATH_MAX], work[PATH_MAX];
		if (fs_join(upper, sizeof(upper), x->ctr_dir, "upper", err) < 0 ||
		    fs_join(work, sizeof(work), x->ctr_dir, "work", err) < 0 ||
		    rootfs_overlay_prepare(e->store, x->img, upper, work, &x->ov, err) < 0)
			return -1;
	}
	if (run_make_workdir(rwfd, o->workdir ? o->workdir : x->cfg->working_dir, err) < 0)
		return -1;

	char hostname[72];
	snprintf(hostname, sizeof(hostname), "%.12s", x->rec.id);
	if (etc_write(rfd, o, o->hostname && *o->hostname ? o->hostname : hostname, x->rec.name,
		      err) < 0)
		return -1;

	char rootfs[PATH_MAX];
	if (fs_join(rootfs, sizeof(rootfs), x->rec.copy_rootfs ? x->ctr_dir : x->run_dir, "rootfs", err) < 0)
		return -1;
	specgen_in si = {
		.e = e, .img = x->img, .ctr_dir = x->ctr_dir, .run = o, .cfg = x->cfg, .id = x->rec.id, .name = x->rec.name, .rootfs = rootfs,
		.files_dir = x->run_dir, .user = &user, .rootless = e->rootless,
		.with_cgroup = !e->rootless,
	};
	char *spec = specgen_build(&si, err);
	if (!spec)
		return -1;
	r = fs_write_atomic(rfd, "config.json", spec, strlen(spec), 0600, 0, err);
	if (r == 0)
		r = fs_write_atomic(cfd, "config.json", spec, strlen(spec), 0600, 0, err);
	free(spec);
	if (r < 0)
		return -1;
	/* the command, for ps and inspect */
	{
		mem_pool pool = { 0 };
		const char **args;
		size_t n;
		buf cb = BUF_INIT;
		json_w w;
		if (specgen_args(o, x->cfg, &args, &n, &pool, err) == 0) {
			jw_init(&w, &cb, NULL);
			jw_arr_begin(&w);
			for (size_t i = 0; i < n; i++)
				jw_str(&w, args[i]);
			jw_arr_end(&w);
			if (jw_finish(&w, NULL) == 0)
				x->rec.command = cb.data;
			else
				buf_free(&cb);
		}
		pool_free(&pool);
	}
	x->rec.status = CTR_CREATED;
	if (ctr_save(e, &x->rec, err) < 0)
		return -1;
	x->saved = true;
	return 0;
}

int cpod_run(cpod_engine *e, const cpod_run_opts *o, int *status, cpod_err *err)
{
	run_ctx x;
	oci_created c = { .pid = -1, .master = -1 };
	sigset_t old;
	int wstatus = 0, r = -1;
	bool blocked = false, runtime_made = false;

	memset(&x, 0, sizeof(x));
	x.e = e;
	*status = 0;
	if (run_prepare(&x, o, err) < 0)
		goto out;

	cpod_create_opts co = { .bundle = x.run_dir };
	oci_create_ext ext = {
		.rootfs_mount = x.rec.copy_rootfs ? NULL : rootfs_overlay_mount,
		.rootfs_ctx = &x.ov,
		.stdin_null = !o->interactive,
	};
	foreground_block_signals(&old);
	blocked = true;
	if (oci_create(e->rt, x.rec.id, &co, &ext, true, &c, err) < 0)
		goto out;
	runtime_made = true;
	if (cpod_runtime_start(e->rt, x.rec.id, err) < 0)
		goto out;
	x.rec.status = CTR_RUNNING;
	x.rec.pid = c.pid;
	x.rec.start_time = proc_start_time(c.pid);
	engine_now(x.rec.started_at, sizeof(x.rec.started_at));
	if (ctr_save(e, &x.rec, err) < 0)
		goto out;
	if (foreground_wait(c.pid, c.master, &wstatus, err) < 0)
		goto out;
	c.pid = -1;
	*status = proc_exit_code(wstatus);
	x.rec.exit_code = *status;
	x.rec.oom_killed = oci_oom_kills(e->rt, x.rec.id) > 0;
	r = 0;
out:
	if (c.pid > 0) {
		kill(c.pid, SIGKILL);
		proc_wait(c.pid, NULL, 0);
	}
	if (c.master >= 0)
		close(c.master);
	if (runtime_made)
		cpod_runtime_delete(e->rt, x.rec.id, 1, NULL);
	if (blocked)
		sigprocmask(SIG_SETMASK, &old, NULL);
	if (x.record_made) {
		if (!x.saved || o->rm) {
			/* a container that never came to be, or --rm: nothing stays */
			ctr_remove(e, &x.rec, true, NULL);
		} else {
			if (r < 0)
				x.rec.exit_code = err->code == CPOD_E_EXEC_NOTFOUND ? 127
						  : err->code == CPOD_E_EXEC_NOEXEC ? 126 : 125;
			x.rec.status = CTR_EXITED;
			x.rec.pid = 0;
			engine_now(x.rec.finished_at, sizeof(x.rec.finished_at));
			ctr_save(e, &x.rec, NULL);
		}
	}
	rootfs_overlay_free(&x.ov);
	ctr_record_free(&x.rec);
	config_free(x.cfg);
	if (x.img) {
		store_image_free(x.img);
		free(x.img);
	}
	return r;
}
