/*
 * diff.c — `diff`: what a container changed in its image, read from its
 * overlay upper directory (nothing mounted): a whiteout is a deletion, an
 * entry the image has is a change, anything else an addition.  Under an
 * opaque directory every entry is an addition, as the image's content
 * there is hidden.  A container on a copied rootfs has no record of its
 * changes: diff says so.
 */
#include "container.h"
#include <dirent.h>
#include <sys/xattr.h>

#define DIFF_MAX_DEPTH 512
#define DIFF_MAX_ENTRIES 1000000

typedef struct diff_out {
	cpod_engine *e;
	const store_image *img;
	json_w changed, added, deleted;
	buf cb, ab, db;
	size_t n;
} diff_out;

static bool diff_is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool diff_is_opaque(int fd)
{
	char v[2];
	ssize_t n = fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v));
	return n == 1 && v[0] == 'y';
}

/* An empty file the runtime made to mount the generated /etc files on:
 * not a change of the container's (podman does not list them either). */
static bool diff_mount_point(const char *path, const struct stat *st)
{
	static const char *const files[] = { "/etc/hosts", "/etc/hostname", "/etc/resolv.conf",
					     "/run/.containerenv" };
	if (!S_ISREG(st->st_mode) || st->st_size != 0)
		return false;
	for (size_t i = 0; i < ARRAY_LEN(files); i++)
		if (strcmp(path, files[i]) == 0)
			return true;
	return false;
}

static int diff_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int diff_dir(diff_out *o, int dirfd, const char *prefix, bool all_added, int depth,
		    cpod_err *err)
{
	if (depth > DIFF_MAX_DEPTH)
		return err_set(err, CPOD_E_LIMIT, "directory nesting too deep");
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return err_sys(err, "read %s", *prefix ? prefix : "/");
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (!nn) {
				r = err_nomem(err);
				break;
			}
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name))) {
			r = err_nomem(err);
			break;
		}
		n++;
	}
	closedir(d);
	if (r == 0 && n > 1)
		qsort(names, n, sizeof(*names), diff_name_cmp);
	for (size_t i = 0; r == 0 && i < n; i++) {
		char path[PATH_MAX];
		struct stat st, lower;
		if (++o->n > DIFF_MAX_ENTRIES) {
			r = err_set(err, CPOD_E_LIMIT, "more than %d changes", DIFF_MAX_ENTRIES);
			break;
		}
		if (snprintf(path, sizeof(path), "%s/%s", prefix, names[i]) >= (int)sizeof(path)) {
			r = err_set(err, CPOD_E_LIMIT, "path too long under %s", prefix);
			break;
		}
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (diff_is_whiteout(&st)) {
			jw_str(&o->deleted, path);
			continue;
		}
		int found = all_added ? 0 : rootfs_find(o->e->store, o->img, path, &lower, NULL, err);
		if (found < 0) {
			r = -1;
			break;
		}
		if (!found && diff_mount_point(path, &st))
			continue;
		jw_str(found ? &o->changed : &o->added, path);
		if (!S_ISDIR(st.st_mode))
			continue;
		int sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			r = err_sys(err, "open %s", path);
			break;
		}
		bool below_added = all_added || !found || !S_ISDIR(lower.st_mode) || diff_is_opaque(sub);
		r = diff_dir(o, sub, path, below_added, depth + 1, err);
		close(sub);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

char *cpod_container_diff(cpod_engine *e, const char *ctr, cpod_err *err)
{
	ctr_record r;
	store_image *img = NULL;
	char upper[PATH_MAX];
	char *out = NULL;
	int fd = -1;
	diff_out o = { .e = e, .cb = BUF_INIT, .ab = BUF_INIT, .db = BUF_INIT };

	if (ctr_find(e, ctr, &r, err) < 0)
		return NULL;
	if (r.copy_rootfs) {
		err_set(err, CPOD_E_UNSUPPORTED,
			"diff %s: the container runs on a copied root file system (no overlay), which "
			"keeps no record of its changes", r.name);
		goto out;
	}
	if (engine_ctr_path(e, r.id, false, "upper", upper, sizeof(upper), err) < 0 ||
	    store_image_get(e->store, r.image_id, &img, err) < 0)
		goto out;
	fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err_sys(err, "open %s", upper);
		goto out;
	}
	o.img = img;
	jw_init(&o.changed, &o.cb, NULL);
	jw_init(&o.added, &o.ab, NULL);
	jw_init(&o.deleted, &o.db, NULL);
	jw_arr_begin(&o.changed);
	jw_arr_begin(&o.added);
	jw_arr_begin(&o.deleted);
	if (diff_dir(&o, fd, "", false, 0, err) < 0)
		goto out;
	jw_arr_end(&o.changed);
	jw_arr_end(&o.added);
	jw_arr_end(&o.deleted);
	if (jw_finish(&o.changed, err) < 0 || jw_finish(&o.added, err) < 0 ||
	    jw_finish(&o.deleted, err) < 0)
		goto out;
	buf b = BUF_INIT;
	buf_printf(&b, err, "{\"changed\":%s,\"added\":%s,\"deleted\":%s}", o.cb.data, o.ab.data,
		   o.db.data);
	out = buf_take(&b, err);
out:
	if (fd >= 0)
		close(fd);
	buf_free(&o.cb);
	buf_free(&o.ab);
	buf_free(&o.db);
	if (img) {
		store_image_free(img);
		free(img);
	}
	ctr_record_free(&r);
	return out;
}
