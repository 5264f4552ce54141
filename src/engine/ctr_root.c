/*
 * ctr_root.c — reaching a container's root file system from the host, for
 * export, cp and commit.
 *
 * A running container's root is reached through /proc/PID/root: the
 * container's own view, volumes and all (its pid checked against the start
 * time after the open, so a recycled pid cannot hand us another root).  A
 * stopped container's layer is mounted in a private mount namespace of a
 * child process: nothing appears on the host, a killed child leaves no
 * mount, and the container's lock is held meanwhile so it cannot start on
 * the same upper directory.  The work runs in that child; its error comes
 * back through a pipe.
 */
#include "container.h"
#include "ctr_root.h"
#include "../base/proc.h"
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

/* In the child: a directory fd on the root of a stopped container. */
static int ctr_root_mount(cpod_engine *e, const ctr_record *r, cpod_err *err)
{
	char path[PATH_MAX];
	if (r->copy_rootfs) {
		if (engine_ctr_path(e, r->id, false, "rootfs", path, sizeof(path), err) < 0)
			return -1;
	} else {
		char upper[PATH_MAX], work[PATH_MAX];
		rootfs_overlay ov = { 0 };
		store_image *img = NULL;
		if (engine_ctr_path(e, r->id, false, "upper", upper, sizeof(upper), err) < 0 ||
		    engine_ctr_path(e, r->id, false, "work", work, sizeof(work), err) < 0 ||
		    engine_ctr_path(e, r->id, true, "rootfs", path, sizeof(path), err) < 0)
			return -1;
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			return err_sys(err, "private mount namespace");
		/* the overlay is mounted from the store's directory (short
		 * lowerdir paths): the caller's relative paths need our own */
		_cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fs_mkdir_p(path, 0700, err) < 0 ||
		    store_image_get(e->store, r->image_id, &img, err) < 0 ||
		    rootfs_overlay_prepare(e->store, img, upper, work, &ov, err) < 0 ||
		    rootfs_overlay_mount(&ov, path, err) < 0)
			return -1;
		if (cwd >= 0 && fchdir(cwd) < 0)
			return err_sys(err, "return to the working directory");
		/* the mount lives as long as this process: nothing to free */
	}
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", path);
	return fd;
}

__attribute__((noreturn)) static void ctr_root_child(cpod_engine *e, const char *ref,
						    ctr_root_fn fn, void *ctx, int errfd)
{
	cpod_err err;
	ctr_record r;
	int rootfd = -1, rc = -1;

	cpod_err_clear(&err);
	if (ctr_find(e, ref, &r, &err) < 0)
		goto out;
	/* the lock first: the container cannot start or stop under us */
	int lock = ctr_lock(e, r.id, &err);
	if (lock < 0 || ctr_reload(e, &r, &err) < 0)
		goto out;
	bool running = ctr_running(&r);
	if (running) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/root", (int)r.pid);
		rootfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0 || !ctr_running(&r)) {
			err_set(&err, CPOD_E_STATE, "container %s stopped", r.name);
			goto out;
		}
		/* a running container is not held: its own processes change it anyway */
		close(lock);
	} else {
		rootfd = ctr_root_mount(e, &r, &err);
		if (rootfd < 0)
			goto out;
	}
	ctr_root_info info = { .rec = &r, .running = running };
	rc = fn(rootfd, &info, ctx, &err);
out:
	if (rc < 0)
		write_all(errfd, &err, sizeof(err));
	_exit(rc < 0 ? 1 : 0);
}

CPOD_INTERNAL int ctr_with_root(cpod_engine *e, const char *ref, ctr_root_fn fn, void *ctx,
				cpod_err *err)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return err_sys(err, "fork");
	}
	if (pid == 0) {
		close(pipefd[0]);
		ctr_root_child(e, ref, fn, ctx, pipefd[1]);
	}
	close(pipefd[1]);
	cpod_err child;
	ssize_t n = RETRY_EINTR(read(pipefd[0], &child, sizeof(child)));
	close(pipefd[0]);
	int status = 0;
	proc_wait(pid, &status, 0);
	if (n == (ssize_t)sizeof(child)) {
		child.msg[sizeof(child.msg) - 1] = '\0';
		if (err)
			*err = child;
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set(err, CPOD_E_SYS, "the process working in %s died", ref);
	return 0;
}
