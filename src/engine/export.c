/*
 * export.c — `export`: a container's file system as a tar, in name order.
 *
 * The root comes from ctr_with_root (the running container's, or its layer
 * mounted privately); only the root file system is written, not what is
 * mounted on it (/proc, /sys, /dev, volumes): their mount points appear as
 * empty directories, as in the image.
 */
#include "container.h"
#include "ctr_root.h"
#include "../image/tar.h"
#include "../base/proc.h"
#include <dirent.h>
#include <sys/stat.h>

/* The mount id of dirfd/name (0 when unknown). */
static uint64_t export_mnt_id(int dirfd, const char *name)
{
	struct statx sx;
	if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, STATX_MNT_ID, &sx) < 0 ||
	    !(sx.stx_mask & STATX_MNT_ID))
		return 0;
	return sx.stx_mnt_id;
}

static int export_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Writes dirfd's entries (sorted) under prefix, recursively, without
 * descending into other mounts than mnt (0: no check). */
static int export_tree(tar_writer *t, int dirfd, const char *prefix, uint64_t mnt, int depth,
		       cpod_err *err)
{
	if (depth > 512)
		return err_set(err, CPOD_E_LIMIT, "directory nesting too deep");
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return err_sys(err, "read %s", prefix);
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof(char *));
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
		qsort(names, n, sizeof(char *), export_name_cmp);
	for (size_t i = 0; r == 0 && i < n; i++) {
		char path[PATH_MAX];
		struct stat st;
		snprintf(path, sizeof(path), "%s%s", prefix, names[i]);
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISSOCK(st.st_mode))
			continue;
		if ((r = tar_write_file(t, dirfd, names[i], path, err)) < 0)
			break;
		if (S_ISDIR(st.st_mode) && (!mnt || export_mnt_id(dirfd, names[i]) == mnt)) {
			int sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				r = err_sys(err, "open %s", path);
				break;
			}
			char p2[PATH_MAX + 1];
			snprintf(p2, sizeof(p2), "%s/", path);
			r = export_tree(t, sub, p2, mnt, depth + 1, err);
			close(sub);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

CPOD_INTERNAL int export_tar_tree(tar_writer *t, int dirfd, const char *prefix, uint64_t mnt,
				  cpod_err *err)
{
	return export_tree(t, dirfd, prefix, mnt, 0, err);
}

static int export_root(int rootfd, const ctr_root_info *info, void *ctx, cpod_err *err)
{
	int out_fd = *(int *)ctx;
	(void)info;
	tar_writer *t = tar_writer_new(out_fd, err);
	if (!t)
		return -1;
	if (export_tar_tree(t, rootfd, "", export_mnt_id(rootfd, ""), err) < 0)
		return -1;  /* the process ends: the writer goes with it */
	return tar_writer_finish(t, err);
}

int cpod_container_export(cpod_engine *e, const char *ctr, int fd, cpod_err *err)
{
	if (ctr_with_root(e, ctr, export_root, &fd, err) < 0)
		return err_prefix(err, "export %s", ctr);
	return 0;
}
