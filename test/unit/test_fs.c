/*
 * test_fs.c — the file-system helpers: in-root resolution (with openat2 and
 * with the fallback walk, chosen through CPOD_NO_OPENAT2), directory
 * creation through symlinks, atomic writes and tree removal.
 *
 * Every test works in its own directory under /tmp and removes it.  A
 * resolution that escaped the root would reach the host's /etc: the checks
 * compare inodes and contents with the root's own files, and the tests that
 * create files check that nothing appeared on the host (and remove it if it
 * did).  Mount cases run in a forked child inside a private mount namespace.
 */
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

/* snprintf that may cut: paths and messages here are short, and
 * -Wformat-truncation cannot know it. */
static void tfs_fmt(char *out, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void tfs_fmt(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, size, fmt, ap);
	va_end(ap);
}

#define TFS_MODES 2
static const char *const tfs_mode_name[TFS_MODES] = { "openat2", "fallback" };
static char tfs_msg[1024];

/* Selects the resolver: 0 openat2, 1 the fallback walk. */
static void tfs_set_mode(int mode)
{
	if (mode == 0)
		unsetenv("CPOD_NO_OPENAT2");
	else
		setenv("CPOD_NO_OPENAT2", "1", 1);
	openat2_state = 0;
}

static void tfs_reset_mode(void)
{
	unsetenv("CPOD_NO_OPENAT2");
	openat2_state = 0;
}

static int tfs_write(const char *dir, const char *name, const char *content)
{
	char p[PATH_MAX];
	tfs_fmt(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, content, strlen(content));
	close(fd);
	return n == (ssize_t)strlen(content) ? 0 : -1;
}

static int tfs_mkdir(const char *dir, const char *name)
{
	char p[PATH_MAX];
	tfs_fmt(p, sizeof(p), "%s/%s", dir, name);
	return mkdir(p, 0755);
}

static int tfs_symlink(const char *target, const char *dir, const char *name)
{
	char p[PATH_MAX];
	tfs_fmt(p, sizeof(p), "%s/%s", dir, name);
	return symlink(target, p);
}

static bool tfs_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/*
 * A root with its own etc/passwd ("inside") and symlinks that try to get
 * out of it.  Returns an O_PATH fd on the root; *dir receives its path.
 */
static int tfs_make_root(char *dir, size_t size)
{
	tfs_fmt(dir, size, "/tmp/cpod-unit-fs.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	if (tfs_mkdir(dir, "etc") < 0 || tfs_write(dir, "etc/passwd", "inside\n") < 0 ||
	    tfs_mkdir(dir, "dir") < 0 || tfs_mkdir(dir, "dir/sub") < 0 || tfs_mkdir(dir, "var") < 0 ||
	    tfs_symlink("/etc/passwd", dir, "link_abs") < 0 ||
	    tfs_symlink("../../../etc", dir, "link_up") < 0 ||
	    tfs_symlink("../../../../../../../etc/passwd", dir, "dir/sub/link_rel_up") < 0 ||
	    tfs_symlink("/dir", dir, "link_dir_abs") < 0 ||
	    tfs_symlink("/var", dir, "escape") < 0 ||
	    tfs_symlink("loop2", dir, "loop1") < 0 || tfs_symlink("loop1", dir, "loop2") < 0 ||
	    tfs_symlink("self", dir, "self") < 0 ||
	    tfs_symlink("/nonexistent-cpod-unit/deeper", dir, "dangling") < 0)
		return -1;
	return open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void tfs_remove(const char *dir)
{
	fs_rm_tree(AT_FDCWD, dir, NULL);
}

/* Reads a small file from fd into a static buffer. */
static const char *tfs_read_fd(int fd)
{
	static char b[256];
	ssize_t n = pread(fd, b, sizeof(b) - 1, 0);
	b[n < 0 ? 0 : n] = '\0';
	return b;
}

static bool tfs_same_file(int fd, const char *dir, const char *rel)
{
	struct stat a, b;
	char p[PATH_MAX];
	tfs_fmt(p, sizeof(p), "%s/%s", dir, rel);
	return fstat(fd, &a) == 0 && stat(p, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* The paths that must all land on the root's etc/passwd. */
static const char *const tfs_passwd_paths[] = {
	"/etc/passwd",
	"etc/passwd",
	"link_abs",
	"/link_abs",
	"../../../etc/passwd",
	"/../../etc/passwd",
	"dir/sub/link_rel_up",
	"link_up/passwd",
	"dir/../../etc/passwd",
	"./dir/./../etc//passwd",
	"link_dir_abs/../../etc/passwd",
	"dir/sub/../../../../../etc/./passwd",
};

static const char *tfs_check_stays_inside(int mode)
{
	char dir[PATH_MAX];
	cpod_err err;
	int root = tfs_make_root(dir, sizeof(dir));
	const char *msg = NULL;

	if (root < 0) {
		tfs_fmt(tfs_msg, sizeof(tfs_msg), "cannot make the root: %s", strerror(errno));
		return tfs_msg;
	}
	tfs_set_mode(mode);
	for (size_t i = 0; i < ARRAY_LEN(tfs_passwd_paths) && !msg; i++) {
		cpod_err_clear(&err);
		int fd = fs_open_in_root(root, tfs_passwd_paths[i], O_RDONLY, 0, &err);
		if (fd < 0) {
			tfs_fmt(tfs_msg, sizeof(tfs_msg), "%s: %s: %s", tfs_mode_name[mode],
				 tfs_passwd_paths[i], err.msg);
			msg = tfs_msg;
		} else if (strcmp(tfs_read_fd(fd), "inside\n") != 0 ||
			   !tfs_same_file(fd, dir, "etc/passwd")) {
			tfs_fmt(tfs_msg, sizeof(tfs_msg), "%s: %s resolved outside the root",
				 tfs_mode_name[mode], tfs_passwd_paths[i]);
			msg = tfs_msg;
		}
		if (fd >= 0)
			close(fd);
	}
	tfs_reset_mode();
	close(root);
	tfs_remove(dir);
	return msg;
}

TEST(fs_open_in_root_stays_inside_openat2)
{
	const char *msg = tfs_check_stays_inside(0);
	CHECK_MSG(!msg, "%s", msg);
}

TEST(fs_open_in_root_stays_inside_fallback)
{
	const char *msg = tfs_check_stays_inside(1);
	CHECK_MSG(!msg, "%s", msg);
}

/* Opens path in mode and describes how the outcome differs from the
 * expectation: want_errno 0 means success. */
static const char *tfs_expect_open(int root, int mode, const char *path, int flags,
				   mode_t fmode, int want_errno)
{
	cpod_err err;

	cpod_err_clear(&err);
	tfs_set_mode(mode);
	errno = 0;
	int fd = fs_open_in_root(root, path, flags, fmode, &err);
	int e = errno;
	tfs_reset_mode();
	if (fd >= 0)
		close(fd);
	if (want_errno == 0 && fd < 0) {
		tfs_fmt(tfs_msg, sizeof(tfs_msg), "%s: open %s failed: %s", tfs_mode_name[mode],
			 path, err.msg);
		return tfs_msg;
	}
	if (want_errno != 0 && fd >= 0) {
		tfs_fmt(tfs_msg, sizeof(tfs_msg), "%s: open %s succeeded, expected %s",
			 tfs_mode_name[mode], path, strerror(want_errno));
		return tfs_msg;
	}
	if (want_errno != 0 && (e != want_errno || err.errno_ != want_errno ||
				err.code != CPOD_E_SYS)) {
		tfs_fmt(tfs_msg, sizeof(tfs_msg),
			 "%s: open %s: errno %s, err.errno_ %s (%s), expected %s",
			 tfs_mode_name[mode], path, strerror(e), strerror(err.errno_), err.msg,
			 strerror(want_errno));
		return tfs_msg;
	}
	return NULL;
}

TEST(fs_open_in_root_errors)
{
	char dir[PATH_MAX];
	int root = tfs_make_root(dir, sizeof(dir));
	const char *msg = NULL;

	CHECK(root >= 0);
	for (int m = 0; m < TFS_MODES && !msg; m++) {
		if (!msg)
			msg = tfs_expect_open(root, m, "loop1", O_RDONLY, 0, ELOOP);
		if (!msg)
			msg = tfs_expect_open(root, m, "self", O_RDONLY, 0, ELOOP);
		if (!msg)
			msg = tfs_expect_open(root, m, "loop1/x", O_RDONLY, 0, ELOOP);
		if (!msg)
			msg = tfs_expect_open(root, m, "link_abs", O_RDONLY | O_NOFOLLOW, 0, ELOOP);
		if (!msg)
			msg = tfs_expect_open(root, m, "missing", O_RDONLY, 0, ENOENT);
		if (!msg)
			msg = tfs_expect_open(root, m, "dir/missing/x", O_RDONLY, 0, ENOENT);
		if (!msg)
			msg = tfs_expect_open(root, m, "etc/passwd/x", O_RDONLY, 0, ENOTDIR);
		if (!msg)
			msg = tfs_expect_open(root, m, "dangling", O_RDONLY, 0, ENOENT);
		if (!msg)
			msg = tfs_expect_open(root, m, "etc/passwd", O_RDONLY | O_DIRECTORY, 0, ENOTDIR);
	}
	close(root);
	tfs_remove(dir);
	CHECK_MSG(!msg, "%s", msg);
}

TEST(fs_open_in_root_dotdot_is_clamped)
{
	char dir[PATH_MAX];
	int root = tfs_make_root(dir, sizeof(dir));
	const char *msg = NULL;

	CHECK(root >= 0);
	static const char *const paths[] = { "..", "../../..", "/..", "dir/../..", "link_up/..",
					     "", "/", "." };
	for (int m = 0; m < TFS_MODES && !msg; m++) {
		for (size_t i = 0; i < ARRAY_LEN(paths) && !msg; i++) {
			cpod_err err;
			tfs_set_mode(m);
			int fd = fs_open_in_root(root, paths[i], O_RDONLY | O_DIRECTORY, 0, &err);
			tfs_reset_mode();
			if (fd < 0 || !tfs_same_file(fd, dir, ".")) {
				tfs_fmt(tfs_msg, sizeof(tfs_msg), "%s: \"%s\" is not the root%s%s",
					 tfs_mode_name[m], paths[i], fd < 0 ? ": " : "",
					 fd < 0 ? err.msg : "");
				msg = tfs_msg;
			}
			if (fd >= 0)
				close(fd);
		}
	}
	close(root);
	tfs_remove(dir);
	CHECK_MSG(!msg, "%s", msg);
}

TEST(fs_open_in_root_symlinked_directories)
{
	char dir[PATH_MAX];
	int root = tfs_make_root(dir, sizeof(dir));
	const char *msg = NULL;

	CHECK(root >= 0);
	for (int m = 0; m < TFS_MODES && !msg; m++) {
		cpod_err err;
		tfs_set_mode(m);
		int fd = fs_open_in_root(root, "link_dir_abs/sub", O_RDONLY | O_DIRECTORY, 0, &err);
		tfs_reset_mode();
		if (fd < 0 || !tfs_same_file(fd, dir, "dir/sub")) {
			tfs_fmt(tfs_msg, sizeof(tfs_msg), "%s: link_dir_abs/sub: %s",
				 tfs_mode_name[m], fd < 0 ? err.msg : "wrong directory");
			msg = tfs_msg;
		}
		if (fd >= 0)
			close(fd);
	}
	close(root);
	tfs_remove(dir);
	CHECK_MSG(!msg, "%s", msg);
}

/* O_PATH without O_NOFOLLOW follows a final symlink, as openat(2) does. */
TEST(fs_open_in_root_opath_follows_final_symlink)
{
	char dir[PATH_MAX];
	int root = tfs_make_root(dir, sizeof(dir));
	const char *msg = NULL;

	CHECK(root >= 0);
	for (int m = 0; m < TFS_MODES && !msg; m++) {
		cpod_err err;
		tfs_set_mode(m);
		int fd = fs_open_in_root(root, "link_abs", O_PATH, 0, &err);
		tfs_reset_mode();
		if (fd < 0 || !tfs_same_file(fd, dir, "etc/passwd")) {
			tfs_fmt(tfs_msg, sizeof(tfs_msg), "%s: O_PATH link_abs: %s", tfs_mode_name[m],
				 fd < 0 ? err.msg : "got the symlink itself, not etc/passwd");
			msg = tfs_msg;
		}
		if (fd >= 0)
			close(fd);
	}
	close(root);
	tfs_remove(dir);
	CHECK_MSG(!msg, "%s", msg);
}

/* A mode given without O_CREAT is ignored, as openat(2) ignores it. */
TEST(fs_open_in_root_mode_without_creat)
{
	char dir[PATH_MAX];
	int root = tfs_make_root(dir, sizeof(dir));
	const char *msg = NULL;

	CHECK(root >= 0);
	for (int m = 0; m < TFS_MODES && !msg; m++)
		msg = tfs_expect_open(root, m, "dir", O_RDONLY | O_DIRECTORY, 0755, 0);
	close(root);
	tfs_remove(dir);
	CHECK_MSG(!msg, "%s", msg);
}

TEST(fs_open_in_root_creates_inside)
{
	char dir[PATH_MAX], name[64], host[PATH_MAX], inside[PATH_MAX];
	int root = tfs_make_root(dir, sizeof(dir));
	const char *msg = NULL;

	CHECK(root >= 0);
	for (int m = 0; m < TFS_MODES && !msg; m++) {
		cpod_err err;
		tfs_fmt(name, sizeof(name), "cpod-unit-%d-%d", (int)getpid(), m);
		tfs_fmt(host, sizeof(host), "/etc/%s", name);
		tfs_fmt(inside, sizeof(inside), "%s/etc/%s", dir, name);
		char path[128];
		tfs_fmt(path, sizeof(path), "link_up/%s", name);
		tfs_set_mode(m);
		int fd = fs_open_in_root(root, path, O_WRONLY | O_CREAT | O_EXCL, 0600, &err);
		tfs_reset_mode();
		if (tfs_exists(host)) {
			unlink(host);
			tfs_fmt(tfs_msg, sizeof(tfs_msg), "%s: created %s on the host",
				 tfs_mode_name[m], host);
			msg = tfs_msg;
		} else if (fd < 0) {
			tfs_fmt(tfs_msg, sizeof(tfs_msg), "%s: create %s: %s", tfs_mode_name[m],
				 path, err.msg);
			msg = tfs_msg;
		} else if (!tfs_exists(inside)) {
			tfs_fmt(tfs_msg, sizeof(tfs_msg), "%s: %s not created", tfs_mode_name[m],
				 inside);
			msg = tfs_msg;
		}
		if (fd >= 0)
			close(fd);
	}
	close(root);
	tfs_remove(dir);
	CHECK_MSG(!msg, "%s", msg);
}

TEST(fs_mkdirs_in_root_stays_inside)
{
	char dir[PATH_MAX];
	int root = tfs_make_root(dir, sizeof(dir));
	const char *msg = NULL;

	CHECK(root >= 0);
	for (int m = 0; m < TFS_MODES && !msg; m++) {
		char path[256], host[PATH_MAX], inside[PATH_MAX];
		struct {
			const char *fmt;    /* the path to create, %s: a unique name */
			const char *host;   /* where an escape would land */
			const char *inside; /* where it must land, under the root */
		} cases[] = {
			{ "link_up/%s/b", "/etc/%s", "etc/%s/b" },
			{ "escape/%s/c", "/var/%s", "var/%s/c" },
			{ "../../%s/d", "/tmp/%s", "%s/d" },
			{ "dir/sub/../../../../%s", "/%s", "%s" },
			{ "link_dir_abs/%s/e", "/dir/%s", "dir/%s/e" },
		};
		for (size_t i = 0; i < ARRAY_LEN(cases) && !msg; i++) {
			char name[64], rel[PATH_MAX];
			cpod_err err;
			tfs_fmt(name, sizeof(name), "cpod-unit-%d-%d-%zu", (int)getpid(), m, i);
			tfs_fmt(path, sizeof(path), cases[i].fmt, name);
			tfs_fmt(host, sizeof(host), cases[i].host, name);
			tfs_fmt(rel, sizeof(rel), cases[i].inside, name);
			tfs_fmt(inside, sizeof(inside), "%s/%s", dir, rel);
			tfs_set_mode(m);
			int fd = fs_mkdirs_in_root(root, path, 0755, &err);
			tfs_reset_mode();
			if (tfs_exists(host)) {
				tfs_remove(host);
				tfs_fmt(tfs_msg, sizeof(tfs_msg), "%s: %s created %s on the host",
					 tfs_mode_name[m], path, host);
				msg = tfs_msg;
			} else if (fd < 0) {
				tfs_fmt(tfs_msg, sizeof(tfs_msg), "%s: mkdirs %s: %s",
					 tfs_mode_name[m], path, err.msg);
				msg = tfs_msg;
			} else if (!tfs_same_file(fd, dir, rel)) {
				tfs_fmt(tfs_msg, sizeof(tfs_msg), "%s: mkdirs %s: not %s",
					 tfs_mode_name[m], path, inside);
				msg = tfs_msg;
			}
			if (fd >= 0)
				close(fd);
		}
		/* A dangling symlink to an absolute path: nothing on the host. */
		if (!msg) {
			cpod_err err;
			tfs_set_mode(m);
			int fd = fs_mkdirs_in_root(root, "dangling/x", 0755, &err);
			tfs_reset_mode();
			if (fd >= 0)
				close(fd);
			if (tfs_exists("/nonexistent-cpod-unit")) {
				tfs_remove("/nonexistent-cpod-unit");
				tfs_fmt(tfs_msg, sizeof(tfs_msg), "%s: dangling/x created on the host",
					 tfs_mode_name[m]);
				msg = tfs_msg;
			}
		}
	}
	close(root);
	tfs_remove(dir);
	CHECK_MSG(!msg, "%s", msg);
}

/* ---------------------------------------------------------------- atomic writes */

static int tfs_tmpdir(char *dir, size_t size)
{
	tfs_fmt(dir, size, "/tmp/cpod-unit-fs.XXXXXX");
	return mkdtemp(dir) ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
}

static size_t tfs_count_entries(const char *dir)
{
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

TEST(fs_write_atomic_replaces)
{
	char dir[PATH_MAX], p[PATH_MAX];
	cpod_err err;
	struct stat st1, st2;
	_cleanup_buf_ buf b = BUF_INIT;
	int dfd = tfs_tmpdir(dir, sizeof(dir));

	CHECK(dfd >= 0);
	tfs_fmt(p, sizeof(p), "%s/state.json", dir);
	mode_t old = umask(077);
	int r = fs_write_atomic(dfd, "state.json", "first", 5, 0644, 0, &err);
	umask(old);
	CHECK_MSG(r == 0, "%s", err.msg);
	CHECK(stat(p, &st1) == 0);
	CHECK_MSG((st1.st_mode & 07777) == 0644, "mode %o despite the umask", st1.st_mode & 07777);
	CHECK(fs_write_atomic(dfd, "state.json", "second!", 7, 0600, FS_SYNC, &err) == 0);
	CHECK(stat(p, &st2) == 0);
	CHECK((st2.st_mode & 07777) == 0600);
	CHECK_MSG(st1.st_ino != st2.st_ino, "rewritten in place, not renamed");
	CHECK(fs_read_file(dfd, "state.json", 100, &b, &err) == 0);
	CHECK_STR(b.data, "second!");
	CHECK_MSG(tfs_count_entries(dir) == 1, "a temporary file is left");

	/* into a subdirectory, and an empty file */
	CHECK(tfs_mkdir(dir, "sub") == 0);
	CHECK(fs_write_atomic(dfd, "sub/empty", "", 0, 0644, FS_SYNC, &err) == 0);
	tfs_fmt(p, sizeof(p), "%s/sub/empty", dir);
	CHECK(stat(p, &st1) == 0 && st1.st_size == 0);

	/* a failure (no such directory) leaves nothing behind */
	CHECK(fs_write_atomic(dfd, "missing/file", "x", 1, 0644, 0, &err) < 0);
	CHECK(err.code == CPOD_E_SYS && err.errno_ == ENOENT);
	CHECK(tfs_count_entries(dir) == 2);
	close(dfd);
	tfs_remove(dir);
}

/* Writing a name that is a symlink replaces the link; the target is untouched. */
TEST(fs_write_atomic_does_not_write_through_symlinks)
{
	char dir[PATH_MAX], p[PATH_MAX];
	cpod_err err;
	struct stat st;
	_cleanup_buf_ buf b = BUF_INIT;
	int dfd = tfs_tmpdir(dir, sizeof(dir));

	CHECK(dfd >= 0);
	CHECK(tfs_write(dir, "target", "precious") == 0);
	CHECK(tfs_symlink("target", dir, "link") == 0);
	CHECK(fs_write_atomic(dfd, "link", "new", 3, 0644, 0, &err) == 0);
	tfs_fmt(p, sizeof(p), "%s/link", dir);
	CHECK(lstat(p, &st) == 0 && S_ISREG(st.st_mode));
	CHECK(fs_read_file(dfd, "target", 100, &b, &err) == 0);
	CHECK_STR(b.data, "precious");
	close(dfd);
	tfs_remove(dir);
}

/* A reader racing with writers sees one whole version or the other. */
TEST(fs_write_atomic_readers_never_see_a_mix)
{
	char dir[PATH_MAX];
	cpod_err err;
	static char va[4096], vb[8192 + 17];
	int dfd = tfs_tmpdir(dir, sizeof(dir));

	CHECK(dfd >= 0);
	memset(va, 'A', sizeof(va));
	memset(vb, 'B', sizeof(vb));
	CHECK(fs_write_atomic(dfd, "f", va, sizeof(va), 0644, 0, &err) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* reader: exit 1 on a torn or missing read */
		static char rb[16384];
		for (int i = 0; i < 3000; i++) {
			int fd = openat(dfd, "f", O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				_exit(1);
			size_t len = 0;
			ssize_t n;
			while ((n = read(fd, rb + len, sizeof(rb) - len)) > 0)
				len += (size_t)n;
			close(fd);
			if (len == sizeof(va) ? memcmp(rb, va, len) != 0 :
			    len == sizeof(vb) ? memcmp(rb, vb, len) != 0 : true)
				_exit(2);
		}
		_exit(0);
	}
	bool ok = true;
	for (int i = 0; i < 400 && ok; i++) {
		if (i % 2)
			ok = fs_write_atomic(dfd, "f", va, sizeof(va), 0644, 0, &err) == 0;
		else
			ok = fs_write_atomic(dfd, "f", vb, sizeof(vb), 0644, 0, &err) == 0;
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid);
	close(dfd);
	tfs_remove(dir);
	CHECK_MSG(ok, "%s", err.msg);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the reader saw a partial file (status %d)", status);
}

/* ---------------------------------------------------------------- removal, reading */

TEST(fs_rm_tree_removes_without_following_symlinks)
{
	char dir[PATH_MAX], outside[PATH_MAX], p[PATH_MAX];
	cpod_err err;
	int dfd = tfs_tmpdir(dir, sizeof(dir));
	int ofd = tfs_tmpdir(outside, sizeof(outside));

	CHECK(dfd >= 0 && ofd >= 0);
	CHECK(tfs_write(outside, "keep", "keep") == 0);
	CHECK(tfs_mkdir(dir, "t") == 0 && tfs_mkdir(dir, "t/a") == 0 &&
	      tfs_mkdir(dir, "t/a/b") == 0);
	CHECK(tfs_write(dir, "t/a/b/f", "x") == 0 && tfs_write(dir, "t/g", "y") == 0);
	CHECK(tfs_symlink(outside, dir, "t/a/to_outside") == 0);
	CHECK(tfs_symlink("/", dir, "t/to_root") == 0);
	if (geteuid() == 0) {
		/* root can remove an unreadable directory: so must fs_rm_tree */
		tfs_fmt(p, sizeof(p), "%s/t/a/b", dir);
		CHECK(chmod(p, 0) == 0);
	}
	CHECK_MSG(fs_rm_tree(dfd, "t", &err) == 0, "%s", err.msg);
	tfs_fmt(p, sizeof(p), "%s/t", dir);
	CHECK(!tfs_exists(p));
	tfs_fmt(p, sizeof(p), "%s/keep", outside);
	CHECK_MSG(tfs_exists(p), "followed a symlink out of the tree");
	/* a missing tree is not an error */
	CHECK(fs_rm_tree(dfd, "t", &err) == 0);
	close(dfd);
	close(ofd);
	tfs_remove(dir);
	tfs_remove(outside);
}

/*
 * In a child with a private mount namespace: a tmpfs and a bind mount (of
 * a directory on the same file system) inside the tree.  fs_rm_tree must not
 * delete what is inside either.  Exit status: 0 ok, 77 no mount namespace,
 * else the number of the failed check.
 */
static int tfs_rm_tree_mounts_child(const char *dir)
{
	char t[PATH_MAX], p[PATH_MAX];
	int dfd;

	if (unshare(CLONE_NEWNS) < 0)
		return 77;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return 77;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 2;

	/* a tmpfs */
	tfs_fmt(t, sizeof(t), "%s/t1", dir);
	if (tfs_mkdir(dir, "t1") < 0 || tfs_mkdir(dir, "t1/m") < 0)
		return 3;
	tfs_fmt(p, sizeof(p), "%s/t1/m", dir);
	if (mount("cpod-unit", p, "tmpfs", 0, "size=64k") < 0)
		return 77;
	if (tfs_write(p, "keep", "keep") < 0)
		return 4;
	if (fs_rm_tree(dfd, "t1", NULL) == 0)
		return 5; /* it cannot succeed: the mount point stays */
	tfs_fmt(p, sizeof(p), "%s/t1/m/keep", dir);
	if (!tfs_exists(p))
		return 6;

	/* a bind mount from the same file system */
	if (tfs_mkdir(dir, "outside") < 0 || tfs_write(dir, "outside/precious", "p") < 0)
		return 7;
	if (tfs_mkdir(dir, "t2") < 0 || tfs_mkdir(dir, "t2/b") < 0)
		return 8;
	tfs_fmt(t, sizeof(t), "%s/outside", dir);
	tfs_fmt(p, sizeof(p), "%s/t2/b", dir);
	if (mount(t, p, NULL, MS_BIND, NULL) < 0)
		return 77;
	fs_rm_tree(dfd, "t2", NULL);
	tfs_fmt(p, sizeof(p), "%s/outside/precious", dir);
	if (!tfs_exists(p))
		return 9;
	return 0;
}

TEST(fs_rm_tree_does_not_cross_mounts)
{
	char dir[PATH_MAX];
	int dfd = tfs_tmpdir(dir, sizeof(dir));

	CHECK(dfd >= 0);
	close(dfd);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(tfs_rm_tree_mounts_child(dir));
	int status;
	CHECK(waitpid(pid, &status, 0) == pid);
	tfs_remove(dir);
	CHECK_MSG(WIFEXITED(status), "the child died (status %d)", status);
	int code = WEXITSTATUS(status);
	if (code == 77) {
		printf("# fs_rm_tree_does_not_cross_mounts: no private mount namespace, skipped\n");
		return;
	}
	CHECK_MSG(code != 5 && code != 6, "fs_rm_tree went into a tmpfs mounted in the tree (%d)",
		  code);
	CHECK_MSG(code != 9, "fs_rm_tree deleted files through a bind mount of the same file system");
	CHECK_MSG(code == 0, "setup step %d failed", code);
}

TEST(fs_read_file_is_bounded)
{
	char dir[PATH_MAX];
	cpod_err err;
	_cleanup_buf_ buf b = BUF_INIT;
	int dfd = tfs_tmpdir(dir, sizeof(dir));

	CHECK(dfd >= 0);
	CHECK(tfs_write(dir, "ten", "0123456789") == 0);
	CHECK(fs_read_file(dfd, "ten", 10, &b, &err) == 0);
	CHECK(b.len == 10);
	buf_reset(&b);
	CHECK(fs_read_file(dfd, "ten", 9, &b, &err) < 0);
	CHECK(err.code == CPOD_E_LIMIT);
	CHECK(strstr(err.msg, "ten"));
	CHECK(fs_read_file(dfd, "nope", 9, &b, &err) < 0);
	CHECK(err.code == CPOD_E_SYS && err.errno_ == ENOENT);
	close(dfd);
	tfs_remove(dir);
}

TEST(fs_mkdir_p_and_split)
{
	char dir[PATH_MAX], p[PATH_MAX], d[PATH_MAX];
	const char *base;
	cpod_err err;
	int dfd = tfs_tmpdir(dir, sizeof(dir));

	CHECK(dfd >= 0);
	close(dfd);
	tfs_fmt(p, sizeof(p), "%s/a/b//c/", dir);
	CHECK_MSG(fs_mkdir_p(p, 0755, &err) == 0, "%s", err.msg);
	CHECK(fs_mkdir_p(p, 0755, &err) == 0);
	tfs_fmt(p, sizeof(p), "%s/a/b/c", dir);
	struct stat st;
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(fs_mkdir_p("", 0755, &err) < 0);
	tfs_remove(dir);

	fs_split("a/b/c", d, sizeof(d), &base);
	CHECK_STR(d, "a/b");
	CHECK_STR(base, "c");
	fs_split("/c", d, sizeof(d), &base);
	CHECK_STR(d, "/");
	CHECK_STR(base, "c");
	fs_split("c", d, sizeof(d), &base);
	CHECK_STR(d, ".");
	CHECK_STR(base, "c");
}
