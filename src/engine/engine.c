/*
 * engine.c — opening the engine: roots, the store, the runtime (see engine.h).
 */
#include "engine.h"
#include "../base/fs.h"
#include <sys/random.h>
#include <time.h>

static int engine_runroot(char *out, size_t n, cpod_err *err)
{
	const char *e = getenv("CPOD_RUNROOT");
	if (e && *e) {
		if (strlen(e) >= n)
			return err_set(err, CPOD_E_INVALID, "CPOD_RUNROOT too long");
		strcpy(out, e);
		return 0;
	}
	if (geteuid() == 0) {
		snprintf(out, n, "/run/cpod");
		return 0;
	}
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg && *xdg)
		return fs_join(out, n, xdg, "cpod", err);
	snprintf(out, n, "/tmp/cpod-%u", (unsigned)geteuid());
	return 0;
}

/* A directory of ours: created 0700 if missing, else it must be ours and
 * private (a shared /tmp fallback could be pre-created by someone else). */
static int engine_private_dir(const char *path, bool check, cpod_err *err)
{
	struct stat st;
	if (fs_mkdir_p(path, 0700, err) < 0)
		return -1;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_sys(err, "open %s", path);
	if (check && (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 0077))) {
		close(fd);
		return err_set(err, CPOD_E_PERM, "%s is not a private directory of this user", path);
	}
	return fd;
}

cpod_engine *cpod_engine_open(const cpod_engine_opts *o, cpod_err *err)
{
	cpod_engine *e = calloc(1, sizeof(*e));
	char rtroot[PATH_MAX];

	if (!e) {
		err_nomem(err);
		return NULL;
	}
	e->rootfd = e->runrootfd = -1;
	e->rootless = geteuid() != 0;
	if (o && o->root) {
		snprintf(e->root, sizeof(e->root), "%s", o->root);
	} else if (store_default_root(e->root, sizeof(e->root), err) < 0) {
		goto fail;
	}
	if (o && o->runroot)
		snprintf(e->runroot, sizeof(e->runroot), "%s", o->runroot);
	else if (engine_runroot(e->runroot, sizeof(e->runroot), err) < 0)
		goto fail;
	if ((e->rootfd = engine_private_dir(e->root, false, err)) < 0 ||
	    (e->runrootfd = engine_private_dir(e->runroot, e->rootless, err)) < 0)
		goto fail;
	store_opts so = { .root = e->root, .rootless = e->rootless };
	e->store = store_open(&so, err);
	if (!e->store)
		goto fail;
	if (fs_join(rtroot, sizeof(rtroot), e->runroot, "runtime", err) < 0)
		goto fail;
	cpod_runtime_opts ro = { .root = rtroot };
	e->rt = cpod_runtime_open(&ro, err);
	if (!e->rt)
		goto fail;
	if (mkdirat(e->rootfd, "containers", 0700) < 0 && errno != EEXIST) {
		err_sys(err, "create %s/containers", e->root);
		goto fail;
	}
	if (mkdirat(e->runrootfd, "containers", 0700) < 0 && errno != EEXIST) {
		err_sys(err, "create %s/containers", e->runroot);
		goto fail;
	}
	return e;
fail:
	cpod_engine_close(e);
	return NULL;
}

void cpod_engine_close(cpod_engine *e)
{
	if (!e)
		return;
	store_close(e->store);
	cpod_runtime_close(e->rt);
	if (e->rootfd >= 0)
		close(e->rootfd);
	if (e->runrootfd >= 0)
		close(e->runrootfd);
	free(e);
}

CPOD_INTERNAL int engine_image(cpod_engine *e, const char *ref, store_image **out, cpod_err *err)
{
	return store_image_get(e->store, ref, out, err);
}

CPOD_INTERNAL image_config *engine_image_config(cpod_engine *e, const store_image *img,
						cpod_err *err)
{
	_cleanup_buf_ buf b = BUF_INIT;
	if (store_blob_read(e->store, img->config_digest, CONFIG_MAX_SIZE, &b, err) < 0)
		return NULL;
	return config_parse(b.data, b.len, err);
}

CPOD_INTERNAL int engine_ctr_path(const cpod_engine *e, const char *id, bool in_run, const char *sub,
				  char *out, size_t n, cpod_err *err)
{
	int r = snprintf(out, n, "%s/containers/%.64s%s%s", in_run ? e->runroot : e->root, id,
			 *sub ? "/" : "", sub);
	if (r < 0 || (size_t)r >= n)
		return err_set(err, CPOD_E_LIMIT, "path too long");
	return 0;
}

CPOD_INTERNAL void engine_random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[32];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)((ts.tv_nsec >> (i % 8)) ^ (getpid() * 31 + (int)i));
	}
	for (size_t i = 0; i < n && i < 64; i++)
		out[i] = hex[(r[i / 2] >> ((i % 2) ? 0 : 4)) & 15];
	out[n < 64 ? n : 64] = '\0';
}

CPOD_INTERNAL void engine_now(char *out, size_t n)
{
	clock_now_rfc3339(out, n);
}
