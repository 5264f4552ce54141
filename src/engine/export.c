/*
 * export.c — `export`: a container's file system as a tar.
 *
 * The overlay is mounted in a private mount namespace of a child process
 * (nothing appears on the host, and a killed export leaves no mount), and
 * the merged tree written out in name order.
 */
#include "container.h"
#include "../image/tar.h"
#include "../base/proc.h"
#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

static int export_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Writes dirfd's entries (sorted) under prefix, recursively. */
static int export_tree(tar_writer *t, int dirfd, const char *prefix, int depth, cpod_err *err)
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
	if (r == 0)
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
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				r = err_sys(err, "open %s", path);
				break;
			}
			char p2[PATH_MAX];
			snprintf(p2, sizeof(p2), "%s/", path);
			r = export_tree(t, sub, p2, depth + 1, err);
			close(sub);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

static int export_child(cpod_engine *e, const ctr_record *r, int out_fd, int errfd)
{
	cpod_err err;
	char path[PATH_MAX];
	rootfs_overlay ov = { 0 };
	store_image *img = NULL;

	cpod_err_clear(&err);
	if (!r->copy_rootfs) {
		char upper[PATH_MAX], work[PATH_MAX];
		if (engine_ctr_path(e, r->id, false, "upper", upper, sizeof(upper), &err) < 0 ||
		    engine_ctr_path(e, r->id, false, "work", work, sizeof(work), &err) < 0 ||
		    engine_ctr_path(e, r->id, true, "rootfs", path, sizeof(path), &err) < 0)
			goto fail;
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
			err_sys(&err, "private mount namespace");
			goto fail;
		}
		if (store_image_get(e->store, r->image_id, &img, &err) < 0 ||
		    rootfs_overlay_prepare(e->store, img, upper, work, &ov, &err) < 0 ||
		    rootfs_overlay_mount(&ov, path, &err) < 0)
			goto fail;
	} else if (engine_ctr_path(e, r->id, false, "rootfs", path, sizeof(path), &err) < 0) {
		goto fail;
	}
	int root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		err_sys(&err, "open %s", path);
		goto fail;
	}
	tar_writer *t = tar_writer_new(out_fd, &err);
	if (!t || export_tree(t, root, "", 0, &err) < 0 || tar_writer_finish(t, &err) < 0)
		goto fail;
	_exit(0);
fail:
	write_all(errfd, &err, sizeof(err));
	_exit(1);
}

int cpod_container_export(cpod_engine *e, const char *ctr, int fd, cpod_err *err)
{
	ctr_record r;
	int pipefd[2];
	if (ctr_find(e, ctr, &r, err) < 0)
		return -1;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		ctr_record_free(&r);
		return err_sys(err, "pipe");
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		export_child(e, &r, fd, pipefd[1]);
	}
	close(pipefd[1]);
	ctr_record_free(&r);
	if (pid < 0) {
		close(pipefd[0]);
		return err_sys(err, "fork");
	}
	cpod_err child;
	ssize_t n = read(pipefd[0], &child, sizeof(child));
	close(pipefd[0]);
	int status = 0;
	proc_wait(pid, &status, 0);
	if (n == (ssize_t)sizeof(child)) {
		*err = child;
		return err_prefix(err, "export %s", ctr);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set(err, CPOD_E_SYS, "export %s: the exporting process failed", ctr);
	return 0;
}
