/*
 * state.c — container state on disk (see state.h).
 */
#include "state.h"
#include "../base/clock.h"
#include "../base/fs.h"
#include "../base/proc.h"
#include <sys/file.h>
#include <time.h>

CPOD_INTERNAL const char *oci_status_name(enum oci_status s)
{
	static const char *const names[] = { "creating", "created", "running", "paused", "stopped" };
	return names[s];
}

CPOD_INTERNAL int state_root_open(const char *root, cpod_err *err)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		return err_sys(err, "open %s", root);
	if (fs_mkdir_p(root, 0700, err) < 0)
		return -1;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", root);
	return fd;
}

CPOD_INTERNAL int state_dir_open(int rootfd, const char *id, cpod_err *err)
{
	if (!oci_valid_id(id))
		return err_set(err, CPOD_E_INVALID, "invalid container id \"%s\"", id);
	int fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return err_set(err, CPOD_E_NOTFOUND, "container \"%s\" does not exist", id);
		return err_sys(err, "open state of %s", id);
	}
	return fd;
}

CPOD_INTERNAL int state_lock(int dirfd, cpod_err *err)
{
	int fd = openat(dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_sys(err, "open lock");
	if (RETRY_EINTR(flock(fd, LOCK_EX)) < 0) {
		close(fd);
		return err_sys(err, "lock");
	}
	return fd;
}


CPOD_INTERNAL int state_save(int dirfd, const oci_state *st, cpod_err *err)
{
	_cleanup_buf_ buf b = BUF_INIT;
	json_w w;

	jw_init(&w, &b, NULL);
	jw_obj_begin(&w);
	jw_kstr(&w, "id", st->id);
	jw_kint(&w, "pid", st->pid);
	jw_key(&w, "startTime");
	jw_uint(&w, st->start_time);
	jw_kstr(&w, "bundle", st->bundle);
	jw_kstr(&w, "rootfs", st->rootfs);
	jw_kstr(&w, "created", st->created);
	jw_kstr(&w, "owner", st->owner);
	jw_kbool(&w, "rootless", st->rootless);
	jw_kbool(&w, "ownPidns", st->own_pidns);
	if (st->has_cgroup) {
		jw_key(&w, "cgroup");
		cg_paths_write(&w, &st->cg);
	}
	if (st->annotations_json) {
		/* already validated JSON text from the config */
		jw_key(&w, "annotations");
		json_doc *d = json_parse(st->annotations_json, strlen(st->annotations_json), NULL, NULL);
		jw_value(&w, json_root(d));
		json_doc_free(d);
	}
	jw_obj_end(&w);
	if (jw_finish(&w, err) < 0)
		return -1;
	return fs_write_atomic(dirfd, "state.json", b.data, b.len, 0600, 0, err);
}

CPOD_INTERNAL void state_clear(oci_state *st)
{
	free(st->annotations_json);
	memset(st, 0, sizeof(*st));
}

static int state_copy_str(char *dst, size_t n, const json_value *obj, const char *key,
			  cpod_err *err)
{
	const char *s = json_string(json_get(obj, key));
	if (!s)
		s = "";
	if (strlen(s) >= n)
		return err_set(err, CPOD_E_INVALID, "state.json: %s too long", key);
	strcpy(dst, s);
	return 0;
}

CPOD_INTERNAL int state_load(int dirfd, oci_state *st, cpod_err *err)
{
	const json_limits lim = { .max_size = 1u << 20, .max_depth = 16 };
	_cleanup_json_ json_doc *doc = NULL;
	const json_value *r;
	int64_t pid = 0;

	memset(st, 0, sizeof(*st));
	doc = json_parse_file(dirfd, "state.json", &lim, err);
	if (!doc) {
		if (err && err->errno_ == ENOENT)
			err_set(err, CPOD_E_STATE, "the container is still being created (or its creation failed)");
		return -1;
	}
	r = json_root(doc);
	if (state_copy_str(st->id, sizeof(st->id), r, "id", err) < 0 ||
	    state_copy_str(st->bundle, sizeof(st->bundle), r, "bundle", err) < 0 ||
	    state_copy_str(st->rootfs, sizeof(st->rootfs), r, "rootfs", err) < 0 ||
	    state_copy_str(st->created, sizeof(st->created), r, "created", err) < 0 ||
	    state_copy_str(st->owner, sizeof(st->owner), r, "owner", err) < 0)
		return -1;
	if (!json_int64(json_get(r, "pid"), &pid) || pid < 0 || pid > INT32_MAX ||
	    !json_uint64(json_get(r, "startTime"), (uint64_t *)&st->start_time))
		return err_set(err, CPOD_E_INVALID, "state.json: bad pid");
	st->pid = (pid_t)pid;
	bool b = false;
	json_opt_bool(r, "rootless", &b, "state", NULL);
	st->rootless = b;
	b = false;
	json_opt_bool(r, "ownPidns", &b, "state", NULL);
	st->own_pidns = b;
	const json_value *cg = json_get(r, "cgroup");
	if (cg) {
		if (cg_paths_read(cg, &st->cg, err) < 0)
			return err_prefix(err, "state.json");
		st->has_cgroup = true;
	}
	const json_value *ann = json_get(r, "annotations");
	if (ann) {
		buf ab = BUF_INIT;
		json_w w;
		jw_init(&w, &ab, NULL);
		jw_value(&w, ann);
		if (jw_finish(&w, err) < 0) {
			buf_free(&ab);
			return -1;
		}
		st->annotations_json = buf_take(&ab, err);
		if (!st->annotations_json)
			return -1;
	}
	return 0;
}

CPOD_INTERNAL enum oci_status state_status(int dirfd, const oci_state *st)
{
	struct stat s;

	if (!proc_is(st->pid, st->start_time))
		return ST_STOPPED;
	if (fstatat(dirfd, "exec.fifo", &s, AT_SYMLINK_NOFOLLOW) == 0)
		return ST_CREATED;
	if (st->has_cgroup && cg_is_frozen(&st->cg) == 1)
		return ST_PAUSED;
	return ST_RUNNING;
}

CPOD_INTERNAL int state_to_json(const oci_state *st, enum oci_status status, buf *out,
				cpod_err *err)
{
	json_w w;
	jw_init(&w, out, "  ");
	jw_obj_begin(&w);
	jw_kstr(&w, "ociVersion", CPOD_OCI_VERSION);
	jw_kstr(&w, "id", st->id);
	jw_kint(&w, "pid", status == ST_STOPPED ? 0 : st->pid);
	jw_kstr(&w, "status", oci_status_name(status));
	jw_kstr(&w, "bundle", st->bundle);
	jw_kstr(&w, "rootfs", st->rootfs);
	jw_kstr(&w, "created", st->created);
	jw_kstr(&w, "owner", st->owner);
	if (st->annotations_json) {
		json_doc *d = json_parse(st->annotations_json, strlen(st->annotations_json), NULL, NULL);
		if (d && json_len(json_root(d))) {
			jw_key(&w, "annotations");
			jw_value(&w, json_root(d));
		}
		json_doc_free(d);
	}
	jw_obj_end(&w);
	return jw_finish(&w, err);
}
