/*
 * store.c — the image store (see store.h for the layout and the rules).
 *
 * Work in progress lives under tmp/ with names that start with the owner's
 * pid and start time, so garbage collection can tell the debris of a dead
 * process from the work of a live one.  A live process also leaves a lease
 * there (tmp/lease-PID-START) naming the blobs and layers it has added but
 * not yet referenced from an image, so a concurrent rmi's collection does
 * not take them away between a pull's first blob and its image record.
 */
#include "store.h"
#include "reference.h"
#include "../base/fs.h"
#include "../base/proc.h"
#include <dirent.h>
#include <sys/file.h>
#include <time.h>

struct image_store {
	char root[PATH_MAX];
	int rootfd;
	int lockfd;
	int lock_depth;
	bool rootless;
	char owner[48];        /* "PID-STARTTIME": the prefix of our tmp/ names */
	unsigned tmp_seq;
	int lease_fd;          /* tmp/lease-OWNER, opened on first use */
};

#define STORE_IMAGES_MAX_SIZE (64u << 20)

/* ---------------------------------------------------------------- opening */

CPOD_INTERNAL int store_default_root(char *out, size_t n, cpod_err *err)
{
	const char *e = getenv("CPOD_ROOT");
	if (e && *e) {
		if (strlen(e) >= n)
			return err_set(err, CPOD_E_INVALID, "CPOD_ROOT too long");
		strcpy(out, e);
		return 0;
	}
	if (geteuid() == 0) {
		snprintf(out, n, "/var/lib/cpod");
		return 0;
	}
	const char *xdg = getenv("XDG_DATA_HOME");
	if (xdg && *xdg)
		return fs_join(out, n, xdg, "cpod", err);
	const char *home = getenv("HOME");
	if (!home || !*home)
		return err_set(err, CPOD_E_INVALID, "neither XDG_DATA_HOME nor HOME is set");
	return fs_join(out, n, home, ".local/share/cpod", err);
}

CPOD_INTERNAL image_store *store_open(const store_opts *o, cpod_err *err)
{
	static const char *const dirs[] = { "blobs", "blobs/sha256", "layers", "l", "tmp", "locks" };
	image_store *s = calloc(1, sizeof(*s));

	if (!s) {
		err_nomem(err);
		return NULL;
	}
	s->rootfd = s->lockfd = s->lease_fd = -1;
	s->rootless = o && o->rootless;
	if (o && o->root) {
		if (strlen(o->root) >= sizeof(s->root)) {
			err_set(err, CPOD_E_INVALID, "store root too long");
			goto fail;
		}
		strcpy(s->root, o->root);
	} else if (store_default_root(s->root, sizeof(s->root), err) < 0) {
		goto fail;
	}
	if (fs_mkdir_p(s->root, 0700, err) < 0)
		goto fail;
	s->rootfd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd < 0) {
		err_sys(err, "open the store %s", s->root);
		goto fail;
	}
	for (size_t i = 0; i < ARRAY_LEN(dirs); i++)
		if (mkdirat(s->rootfd, dirs[i], 0700) < 0 && errno != EEXIST) {
			err_sys(err, "create %s/%s", s->root, dirs[i]);
			goto fail;
		}
	s->lockfd = openat(s->rootfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lockfd < 0) {
		err_sys(err, "open %s/lock", s->root);
		goto fail;
	}
	snprintf(s->owner, sizeof(s->owner), "%d-%llu", (int)getpid(), proc_start_time(getpid()));
	return s;
fail:
	store_close(s);
	err_prefix(err, "image store");
	return NULL;
}

CPOD_INTERNAL void store_close(image_store *s)
{
	if (!s)
		return;
	if (s->lease_fd >= 0) {
		char name[96];
		close(s->lease_fd);
		snprintf(name, sizeof(name), "tmp/lease-%s", s->owner);
		unlinkat(s->rootfd, name, 0);
	}
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->rootfd >= 0)
		close(s->rootfd);
	free(s);
}

CPOD_INTERNAL const char *store_root(const image_store *s) { return s->root; }
CPOD_INTERNAL int store_root_fd(const image_store *s) { return s->rootfd; }
CPOD_INTERNAL bool store_rootless(const image_store *s) { return s->rootless; }

CPOD_INTERNAL int store_lock(image_store *s, cpod_err *err)
{
	if (s->lock_depth++ > 0)
		return 0;
	if (RETRY_EINTR(flock(s->lockfd, LOCK_EX)) < 0) {
		s->lock_depth = 0;
		return err_sys(err, "lock the image store");
	}
	return 0;
}

CPOD_INTERNAL void store_unlock(image_store *s)
{
	if (s->lock_depth > 0 && --s->lock_depth == 0)
		flock(s->lockfd, LOCK_UN);
}

/* A fresh name under tmp/ owned by this process. */
static void store_tmp_name(image_store *s, const char *kind, char *out, size_t n)
{
	/* atomic: a pull's threads add layers through one store */
	snprintf(out, n, "tmp/%s-%u-%s", s->owner,
		 __atomic_fetch_add(&s->tmp_seq, 1, __ATOMIC_RELAXED), kind);
}

/* Whether tmp/NAME belongs to a live process ("PID-START-..."). */
static bool store_tmp_owner_alive(const char *name)
{
	int pid = 0;
	unsigned long long start = 0;
	if (strncmp(name, "lease-", 6) == 0)
		name += 6;
	if (sscanf(name, "%d-%llu-", &pid, &start) != 2)
		return false;
	return proc_is(pid, start);
}

/* Records in our lease that digest (a blob or diff_id) is in use by us. */
static void store_lease(image_store *s, const char *digest)
{
	int fd = __atomic_load_n(&s->lease_fd, __ATOMIC_ACQUIRE);
	if (fd < 0) {
		char name[96];
		int want = -1;
		snprintf(name, sizeof(name), "tmp/lease-%s", s->owner);
		fd = openat(s->rootfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd < 0)
			return;
		/* threads may race to open it: one fd wins, the others close theirs */
		if (!__atomic_compare_exchange_n(&s->lease_fd, &want, fd, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE)) {
			close(fd);
			fd = want;
		}
	}
	char line[DIGEST_STR_LEN + 2];
	snprintf(line, sizeof(line), "%s\n", digest);
	write_all(fd, line, strlen(line));
}

/* ---------------------------------------------------------------- blobs */

static int store_blob_name(const char *digest, char *out, size_t n, cpod_err *err)
{
	const char *hex;
	if (!digest_valid(digest, &hex))
		return err_set(err, CPOD_E_INVALID, "bad digest \"%.80s\"", digest ? digest : "");
	snprintf(out, n, "blobs/sha256/%s", hex);
	return 0;
}

CPOD_INTERNAL bool store_has_blob(image_store *s, const char *digest)
{
	char name[128];
	struct stat st;
	return store_blob_name(digest, name, sizeof(name), NULL) == 0 &&
	       fstatat(s->rootfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

CPOD_INTERNAL int store_blob_open(image_store *s, const char *digest, cpod_err *err)
{
	char name[128];
	if (store_blob_name(digest, name, sizeof(name), err) < 0)
		return -1;
	int fd = openat(s->rootfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return err_set(err, CPOD_E_NOTFOUND, "blob %s is not in the store", digest);
		return err_sys(err, "open blob %s", digest);
	}
	return fd;
}

CPOD_INTERNAL int store_blob_read(image_store *s, const char *digest, size_t max, buf *out,
				  cpod_err *err)
{
	_cleanup_close_ int fd = store_blob_open(s, digest, err);
	char got[DIGEST_STR_LEN + 1];
	if (fd < 0)
		return -1;
	if (buf_read_fd(out, fd, max, err) < 0)
		return err_prefix(err, "blob %s", digest);
	digest_buf(out->data, out->len, got);
	if (strcmp(got, digest) != 0)
		return err_set(err, CPOD_E_INVALID, "blob %s is corrupted in the store (its content is %s)",
			       digest, got);
	return 0;
}

CPOD_INTERNAL int store_blob_begin(image_store *s, store_blob_writer *w, cpod_err *err)
{
	memset(w, 0, sizeof(*w));
	store_tmp_name(s, "blob", w->name, sizeof(w->name));
	w->fd = openat(s->rootfd, w->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (w->fd < 0)
		return err_sys(err, "create %s/%s", s->root, w->name);
	digest_init(&w->dc);
	return 0;
}

CPOD_INTERNAL int store_blob_write(store_blob_writer *w, const void *data, size_t n, cpod_err *err)
{
	if (write_all(w->fd, data, n) < 0)
		return err_sys(err, "write a blob");
	digest_update(&w->dc, data, n);
	w->size += n;
	return 0;
}

CPOD_INTERNAL void store_blob_abort(image_store *s, store_blob_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->name[0])
		unlinkat(s->rootfd, w->name, 0);
	w->name[0] = '\0';
}

CPOD_INTERNAL int store_blob_commit(image_store *s, store_blob_writer *w, const char *expect,
				    char digest_out[DIGEST_STR_LEN + 1], cpod_err *err)
{
	char got[DIGEST_STR_LEN + 1], name[128];

	digest_final(&w->dc, got);
	if (digest_out)
		strcpy(digest_out, got);
	if (expect && strcmp(expect, got) != 0) {
		store_blob_abort(s, w);
		return err_set(err, CPOD_E_INVALID, "digest mismatch: expected %s, got %s", expect, got);
	}
	if (fsync(w->fd) < 0) {
		store_blob_abort(s, w);
		return err_sys(err, "fsync blob");
	}
	close(w->fd);
	w->fd = -1;
	store_blob_name(got, name, sizeof(name), NULL);
	store_lease(s, got);
	if (renameat(s->rootfd, w->name, s->rootfd, name) < 0) {
		int e = errno;
		store_blob_abort(s, w);
		return err_sysn(err, e, "store blob %s", got);
	}
	w->name[0] = '\0';
	return 0;
}

CPOD_INTERNAL int store_blob_put(image_store *s, const void *data, size_t len, const char *expect,
				 char digest_out[DIGEST_STR_LEN + 1], cpod_err *err)
{
	store_blob_writer w;
	char got[DIGEST_STR_LEN + 1];

	digest_buf(data, len, got);
	if (digest_out)
		strcpy(digest_out, got);
	if (expect && strcmp(expect, got) != 0)
		return err_set(err, CPOD_E_INVALID, "digest mismatch: expected %s, got %s", expect, got);
	if (store_has_blob(s, got)) {
		store_lease(s, got);
		return 0;
	}
	if (store_blob_begin(s, &w, err) < 0)
		return -1;
	if (store_blob_write(&w, data, len, err) < 0) {
		store_blob_abort(s, &w);
		return -1;
	}
	return store_blob_commit(s, &w, got, NULL, err);
}

CPOD_INTERNAL int store_blob_adopt(image_store *s, int dirfd, const char *name, const char *expect,
				   cpod_err *err)
{
	char got[DIGEST_STR_LEN + 1], dst[128];
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_sys(err, "open %s", name);
	digest_ctx dc;
	char b[1 << 16];
	ssize_t n;
	digest_init(&dc);
	while ((n = read(fd, b, sizeof(b))) > 0)
		digest_update(&dc, b, (size_t)n);
	if (n < 0)
		return err_sys(err, "read %s", name);
	digest_final(&dc, got);
	if (expect && strcmp(expect, got) != 0) {
		unlinkat(dirfd, name, 0);
		return err_set(err, CPOD_E_INVALID, "digest mismatch: expected %s, got %s", expect, got);
	}
	store_blob_name(got, dst, sizeof(dst), NULL);
	store_lease(s, got);
	if (fsync(fd) < 0)
		return err_sys(err, "fsync %s", name);
	if (renameat(dirfd, name, s->rootfd, dst) < 0)
		return err_sys(err, "store blob %s", got);
	return 0;
}

/* ---------------------------------------------------------------- layers */

static int store_layer_dirname(const char *diff_id, char *out, size_t n, cpod_err *err)
{
	const char *hex;
	if (!digest_valid(diff_id, &hex))
		return err_set(err, CPOD_E_INVALID, "bad diff_id \"%.80s\"", diff_id ? diff_id : "");
	snprintf(out, n, "layers/%s", hex);
	return 0;
}

CPOD_INTERNAL bool store_has_layer(image_store *s, const char *diff_id)
{
	char name[128], meta[160];
	struct stat st;
	if (store_layer_dirname(diff_id, name, sizeof(name), NULL) < 0)
		return false;
	snprintf(meta, sizeof(meta), "%s/layer.json", name);
	return fstatat(s->rootfd, meta, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

CPOD_INTERNAL int store_layer_path(image_store *s, const char *diff_id, char *out, size_t n,
				   cpod_err *err)
{
	char name[128];
	if (store_layer_dirname(diff_id, name, sizeof(name), err) < 0)
		return -1;
	if ((size_t)snprintf(out, n, "%s/%s/diff", s->root, name) >= n)
		return err_set(err, CPOD_E_LIMIT, "path too long");
	return 0;
}

/* Reads layers/HEX/layer.json. */
static json_doc *store_layer_meta(image_store *s, const char *diff_id, cpod_err *err)
{
	char name[128], meta[160];
	const json_limits lim = { .max_size = 64 << 10, .max_depth = 8 };
	if (store_layer_dirname(diff_id, name, sizeof(name), err) < 0)
		return NULL;
	snprintf(meta, sizeof(meta), "%s/layer.json", name);
	return json_parse_file(s->rootfd, meta, &lim, err);
}

CPOD_INTERNAL int store_layer_link(image_store *s, const char *diff_id, char *out, size_t n,
				   cpod_err *err)
{
	_cleanup_json_ json_doc *d = store_layer_meta(s, diff_id, err);
	const char *link = d ? json_string(json_get(json_root(d), "link")) : NULL;
	if (!link || strchr(link, '/') || strlen(link) + 3 > n)
		return err_set(err, CPOD_E_INVALID, "layer %s has no short link", diff_id);
	snprintf(out, n, "l/%s", link);
	return 0;
}

CPOD_INTERNAL int64_t store_layer_size(image_store *s, const char *diff_id)
{
	_cleanup_json_ json_doc *d = store_layer_meta(s, diff_id, NULL);
	int64_t size = -1;
	if (d)
		json_opt_i64(json_root(d), "size", &size, "layer", NULL);
	return size;
}

/* Creates l/SHORT -> ../layers/HEX/diff with the shortest free prefix of
 * the hex (a crafted diff_id sharing a prefix gets a longer one). */
static int store_make_link(image_store *s, const char *hex, char *short_out, cpod_err *err)
{
	char target[128], name[128], have[128];
	snprintf(target, sizeof(target), "../layers/%s/diff", hex);
	for (int len = 10; len <= DIGEST_HEX_LEN; len += 2) {
		snprintf(name, sizeof(name), "l/%.*s", len, hex);
		if (symlinkat(target, s->rootfd, name) == 0) {
			snprintf(short_out, 72, "%.*s", len, hex);
			return 0;
		}
		if (errno != EEXIST)
			return err_sys(err, "create %s/%s", s->root, name);
		ssize_t l = readlinkat(s->rootfd, name, have, sizeof(have) - 1);
		if (l >= 0) {
			have[l] = '\0';
			if (strcmp(have, target) == 0) {
				snprintf(short_out, 72, "%.*s", len, hex);
				return 0;
			}
		}
	}
	return err_set(err, CPOD_E_EXISTS, "no free short name for layer %s", hex);
}

/* Reads from an inner source and copies what it reads into a blob writer. */
typedef struct store_tee {
	const byte_source *inner;
	store_blob_writer *w;
} store_tee;

static ssize_t store_tee_read(void *ctx, void *data, size_t n, cpod_err *err)
{
	store_tee *t = ctx;
	ssize_t r = source_read(t->inner, data, n, err);
	if (r > 0 && store_blob_write(t->w, data, (size_t)r, err) < 0)
		return -1;
	return r;
}

/* Stores a layer blob read from src, hashing it (and its uncompressed
 * stream) on the way, without unpacking. */
static int store_blob_only(image_store *s, const byte_source *src, const char *digest,
			   layer_result *res, cpod_err *err)
{
	store_blob_writer w;
	if (store_blob_begin(s, &w, err) < 0)
		return -1;
	store_tee tee = { src, &w };
	byte_source in = { store_tee_read, &tee };
	if (layer_digest(&in, res, err) < 0 || store_blob_commit(s, &w, digest, NULL, err) < 0) {
		store_blob_abort(s, &w);
		return -1;
	}
	return 0;
}

static int store_lock_layer(image_store *s, const char *hex, cpod_err *err)
{
	char name[96];
	snprintf(name, sizeof(name), "locks/%s", hex);
	int fd = openat(s->rootfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_sys(err, "open layer lock");
	if (RETRY_EINTR(flock(fd, LOCK_EX)) < 0) {
		close(fd);
		return err_sys(err, "lock layer");
	}
	return fd;
}

CPOD_INTERNAL int store_layer_add(image_store *s, const byte_source *src, const char *digest,
				  const char *diff_id, int64_t size, bool keep_blob,
				  layer_result *res, cpod_err *err)
{
	char tmp[96], final[128], short_name[72];
	const char *hex;
	int lockfd = -1, tmpfd = -1, difffd = -1, r = -1;
	store_blob_writer w = { .fd = -1 };
	bool have_blob = !keep_blob || (digest && store_has_blob(s, digest));

	memset(res, 0, sizeof(*res));
	if (diff_id) {
		if (!digest_valid(diff_id, &hex))
			return err_set(err, CPOD_E_INVALID, "bad diff_id \"%.80s\"", diff_id);
		lockfd = store_lock_layer(s, hex, err);
		if (lockfd < 0)
			return -1;
		if (store_has_layer(s, diff_id) && have_blob) {
			/* already here: the caller need not have read anything */
			snprintf(res->diff_id, sizeof(res->diff_id), "%s", diff_id);
			if (digest)
				snprintf(res->digest, sizeof(res->digest), "%s", digest);
			res->size = (uint64_t)(store_layer_size(s, diff_id) > 0 ? store_layer_size(s, diff_id) : 0);
			store_lease(s, diff_id);
			if (digest)
				store_lease(s, digest);
			close(lockfd);
			return 0;
		}
	}
	if (diff_id && store_has_layer(s, diff_id)) {
		/* the layer is here, its blob is not: store the blob, no unpacking */
		r = store_blob_only(s, src, digest, res, err);
		if (r == 0)
			snprintf(res->diff_id, sizeof(res->diff_id), "%s", diff_id);
		tmp[0] = '\0';
		goto out;
	}
	store_tmp_name(s, "layer", tmp, sizeof(tmp));
	if (mkdirat(s->rootfd, tmp, 0700) < 0) {
		err_sys(err, "create %s/%s", s->root, tmp);
		goto out;
	}
	tmpfd = openat(s->rootfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tmpfd < 0 || mkdirat(tmpfd, "diff", 0755) < 0 ||
	    (difffd = openat(tmpfd, "diff", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		err_sys(err, "create %s/%s/diff", s->root, tmp);
		goto out;
	}
	byte_source in = *src;
	store_tee tee;
	if (!have_blob) {
		if (store_blob_begin(s, &w, err) < 0)
			goto out;
		tee.inner = src;
		tee.w = &w;
		in.read = store_tee_read;
		in.ctx = &tee;
	}
	layer_opts lo = {
		.whiteouts = LAYER_WHITEOUT_OVERLAY,
		.rootless = s->rootless,
		.compressed_size = size > 0 ? (uint64_t)size : 0,
		.digest = digest,
		.diff_id = diff_id,
	};
	if (layer_unpack(difffd, &in, &lo, res, err) < 0)
		goto out;
	if (!diff_id) {
		/* known only now: take the lock and look again */
		if (!digest_valid(res->diff_id, &hex)) {
			err_set(err, CPOD_E_INVALID, "layer without a diff_id");
			goto out;
		}
		lockfd = store_lock_layer(s, hex, err);
		if (lockfd < 0)
			goto out;
	}
	/* durable before it becomes visible: one syncfs, not an fsync per file */
	if (syncfs(difffd) < 0) {
		err_sys(err, "sync the layer");
		goto out;
	}
	if (!have_blob && store_blob_commit(s, &w, digest, NULL, err) < 0)
		goto out;
	store_lease(s, res->diff_id);
	store_lease(s, res->digest);
	snprintf(final, sizeof(final), "layers/%s", hex);
	if (store_has_layer(s, res->diff_id)) {
		r = 0; /* unpacked meanwhile by someone without our diff_id's lock */
		goto out;
	}
	if (store_make_link(s, hex, short_name, err) < 0)
		goto out;
	{
		_cleanup_buf_ buf b = BUF_INIT;
		json_w jw;
		jw_init(&jw, &b, NULL);
		jw_obj_begin(&jw);
		jw_kstr(&jw, "diffId", res->diff_id);
		jw_kstr(&jw, "digest", res->digest);
		jw_kint(&jw, "size", (int64_t)res->size);
		jw_kint(&jw, "compressedSize", (int64_t)res->compressed_size);
		jw_kstr(&jw, "link", short_name);
		jw_obj_end(&jw);
		if (jw_finish(&jw, err) < 0 ||
		    fs_write_atomic(tmpfd, "layer.json", b.data, b.len, 0600, FS_SYNC, err) < 0)
			goto out;
	}
	fs_rm_tree(s->rootfd, final, NULL); /* a leftover without layer.json */
	if (renameat(s->rootfd, tmp, s->rootfd, final) < 0) {
		err_sys(err, "install layer %s", res->diff_id);
		goto out;
	}
	{
		_cleanup_close_ int lfd = openat(s->rootfd, "layers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lfd >= 0)
			fsync(lfd);
	}
	tmp[0] = '\0';
	r = 0;
out:
	if (w.fd >= 0 || w.name[0])
		store_blob_abort(s, &w);
	if (difffd >= 0)
		close(difffd);
	if (tmpfd >= 0)
		close(tmpfd);
	if (tmp[0])
		fs_rm_tree(s->rootfd, tmp, NULL);
	if (lockfd >= 0)
		close(lockfd);
	if (r < 0)
		err_prefix(err, "layer %s", diff_id ? diff_id : digest ? digest : "");
	return r;
}

/* ---------------------------------------------------------------- images.json */

typedef struct store_index {
	store_image *images;
	size_t n;
} store_index;

static void store_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

CPOD_INTERNAL void store_image_free(store_image *img)
{
	if (!img)
		return;
	store_strv_free(img->names, img->n_names);
	store_strv_free(img->digests, img->n_digests);
	free(img->layers);
	memset(img, 0, sizeof(*img));
}

CPOD_INTERNAL void store_image_list_free(store_image *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_image_free(&list[i]);
	free(list);
}

static int store_copy_field(char *dst, size_t n, const json_value *obj, const char *key,
			    bool required, cpod_err *err)
{
	const char *v = json_string(json_get(obj, key));
	if (!v) {
		if (required)
			return err_set(err, CPOD_E_INVALID, "images.json: %s missing", key);
		dst[0] = '\0';
		return 0;
	}
	if (strlen(v) >= n)
		return err_set(err, CPOD_E_INVALID, "images.json: %s too long", key);
	strcpy(dst, v);
	return 0;
}

static int store_strv_dup(const json_value *arr, char ***out, size_t *n, cpod_err *err)
{
	*n = json_len(arr);
	*out = NULL;
	if (!*n)
		return 0;
	*out = calloc(*n, sizeof(char *));
	if (!*out)
		return err_nomem(err);
	for (size_t i = 0; i < *n; i++) {
		const char *v = json_string(json_at(arr, i));
		(*out)[i] = strdup(v ? v : "");
		if (!(*out)[i])
			return err_nomem(err);
	}
	return 0;
}

static int store_image_from_json(const json_value *v, store_image *img, cpod_err *err)
{
	const json_value *layers;
	memset(img, 0, sizeof(*img));
	if (store_copy_field(img->id, sizeof(img->id), v, "id", true, err) < 0 ||
	    store_copy_field(img->config_digest, sizeof(img->config_digest), v, "config", true, err) < 0 ||
	    store_copy_field(img->manifest_digest, sizeof(img->manifest_digest), v, "manifest", true, err) < 0 ||
	    store_copy_field(img->manifest_media_type, sizeof(img->manifest_media_type), v, "manifestMediaType", false, err) < 0 ||
	    store_copy_field(img->index_digest, sizeof(img->index_digest), v, "index", false, err) < 0 ||
	    store_copy_field(img->created, sizeof(img->created), v, "created", false, err) < 0 ||
	    store_copy_field(img->added, sizeof(img->added), v, "added", false, err) < 0 ||
	    store_copy_field(img->os, sizeof(img->os), v, "os", false, err) < 0 ||
	    store_copy_field(img->architecture, sizeof(img->architecture), v, "architecture", false, err) < 0 ||
	    store_copy_field(img->variant, sizeof(img->variant), v, "variant", false, err) < 0)
		return -1;
	json_opt_i64(v, "size", &img->size, "image", NULL);
	if (store_strv_dup(json_get(v, "names"), &img->names, &img->n_names, err) < 0 ||
	    store_strv_dup(json_get(v, "digests"), &img->digests, &img->n_digests, err) < 0)
		return -1;
	layers = json_get(v, "layers");
	img->n_layers = json_len(layers);
	if (img->n_layers) {
		img->layers = calloc(img->n_layers, sizeof(*img->layers));
		if (!img->layers)
			return err_nomem(err);
	}
	for (size_t i = 0; i < img->n_layers; i++) {
		const json_value *l = json_at(layers, i);
		store_layer *sl = &img->layers[i];
		if (store_copy_field(sl->digest, sizeof(sl->digest), l, "digest", true, err) < 0 ||
		    store_copy_field(sl->diff_id, sizeof(sl->diff_id), l, "diffId", true, err) < 0 ||
		    store_copy_field(sl->media_type, sizeof(sl->media_type), l, "mediaType", false, err) < 0)
			return -1;
		json_opt_i64(l, "size", &sl->size, "layer", NULL);
	}
	return 0;
}

static void store_index_free(store_index *x)
{
	store_image_list_free(x->images, x->n);
	x->images = NULL;
	x->n = 0;
}

static int store_index_load(image_store *s, store_index *x, cpod_err *err)
{
	const json_limits lim = { .max_size = STORE_IMAGES_MAX_SIZE, .max_depth = 16 };
	memset(x, 0, sizeof(*x));
	json_doc *d = json_parse_file(s->rootfd, "images.json", &lim, err);
	if (!d) {
		if (err && err->errno_ == ENOENT) {
			cpod_err_clear(err);
			return 0;
		}
		return err_prefix(err, "image store");
	}
	const json_value *arr = json_get(json_root(d), "images");
	x->n = json_len(arr);
	if (x->n) {
		x->images = calloc(x->n, sizeof(*x->images));
		if (!x->images) {
			json_doc_free(d);
			x->n = 0;
			return err_nomem(err);
		}
	}
	for (size_t i = 0; i < x->n; i++)
		if (store_image_from_json(json_at(arr, i), &x->images[i], err) < 0) {
			json_doc_free(d);
			store_index_free(x);
			return err_prefix(err, "image store");
		}
	json_doc_free(d);
	return 0;
}

static void store_strv_write(json_w *w, const char *key, char **v, size_t n)
{
	jw_key(w, key);
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++)
		jw_str(w, v[i]);
	jw_arr_end(w);
}

static int store_index_save(image_store *s, const store_index *x, cpod_err *err)
{
	_cleanup_buf_ buf b = BUF_INIT;
	json_w w;
	jw_init(&w, &b, NULL);
	jw_obj_begin(&w);
	jw_kint(&w, "version", 1);
	jw_key(&w, "images");
	jw_arr_begin(&w);
	for (size_t i = 0; i < x->n; i++) {
		const store_image *img = &x->images[i];
		jw_obj_begin(&w);
		jw_kstr(&w, "id", img->id);
		jw_kstr(&w, "config", img->config_digest);
		jw_kstr(&w, "manifest", img->manifest_digest);
		jw_kstr(&w, "manifestMediaType", img->manifest_media_type);
		if (img->index_digest[0])
			jw_kstr(&w, "index", img->index_digest);
		store_strv_write(&w, "names", img->names, img->n_names);
		store_strv_write(&w, "digests", img->digests, img->n_digests);
		jw_key(&w, "layers");
		jw_arr_begin(&w);
		for (size_t k = 0; k < img->n_layers; k++) {
			jw_obj_begin(&w);
			jw_kstr(&w, "digest", img->layers[k].digest);
			jw_kstr(&w, "diffId", img->layers[k].diff_id);
			jw_kstr(&w, "mediaType", img->layers[k].media_type);
			jw_kint(&w, "size", img->layers[k].size);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_kstr(&w, "created", img->created);
		jw_kstr(&w, "added", img->added);
		jw_kstr(&w, "os", img->os);
		jw_kstr(&w, "architecture", img->architecture);
		if (img->variant[0])
			jw_kstr(&w, "variant", img->variant);
		jw_kint(&w, "size", img->size);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	if (jw_finish(&w, err) < 0)
		return -1;
	return fs_write_atomic(s->rootfd, "images.json", b.data, b.len, 0600, FS_SYNC, err);
}

static int store_image_copy(store_image *dst, const store_image *src, cpod_err *err)
{
	*dst = *src;
	dst->names = NULL;
	dst->digests = NULL;
	dst->layers = NULL;
	dst->n_names = dst->n_digests = 0;
	dst->n_layers = 0;
	if (src->n_layers) {
		dst->layers = malloc(src->n_layers * sizeof(*src->layers));
		if (!dst->layers)
			return err_nomem(err);
		memcpy(dst->layers, src->layers, src->n_layers * sizeof(*src->layers));
		dst->n_layers = src->n_layers;
	}
	if (src->n_names) {
		dst->names = calloc(src->n_names, sizeof(char *));
		if (!dst->names)
			return err_nomem(err);
		for (size_t i = 0; i < src->n_names; i++, dst->n_names++)
			if (!(dst->names[i] = strdup(src->names[i])))
				return err_nomem(err);
	}
	if (src->n_digests) {
		dst->digests = calloc(src->n_digests, sizeof(char *));
		if (!dst->digests)
			return err_nomem(err);
		for (size_t i = 0; i < src->n_digests; i++, dst->n_digests++)
			if (!(dst->digests[i] = strdup(src->digests[i])))
				return err_nomem(err);
	}
	return 0;
}

static bool store_strv_has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static int store_strv_add(char ***v, size_t *n, const char *s, cpod_err *err)
{
	if (store_strv_has(*v, *n, s))
		return 0;
	char **nv = realloc(*v, (*n + 1) * sizeof(char *));
	if (!nv)
		return err_nomem(err);
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return err_nomem(err);
	(*n)++;
	return 0;
}

static void store_strv_del(char **v, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(v[i], s) == 0) {
			free(v[i]);
			memmove(v + i, v + i + 1, (*n - i - 1) * sizeof(char *));
			(*n)--;
			return;
		}
}

/* Everything an image refers to must be in place before it is recorded. */
static int store_image_complete(image_store *s, const store_image *img, cpod_err *err)
{
	if (!store_has_blob(s, img->config_digest))
		return err_set(err, CPOD_E_STATE, "config %s is missing", img->config_digest);
	if (!store_has_blob(s, img->manifest_digest))
		return err_set(err, CPOD_E_STATE, "manifest %s is missing", img->manifest_digest);
	for (size_t i = 0; i < img->n_layers; i++) {
		if (!store_has_layer(s, img->layers[i].diff_id))
			return err_set(err, CPOD_E_STATE, "layer %s is missing", img->layers[i].diff_id);
		if (!store_has_blob(s, img->layers[i].digest))
			return err_set(err, CPOD_E_STATE, "layer blob %s is missing", img->layers[i].digest);
	}
	return 0;
}

CPOD_INTERNAL int store_image_put(image_store *s, const store_image *img, cpod_err *err)
{
	store_index x;
	int r = -1;

	if (store_lock(s, err) < 0)
		return -1;
	if (store_image_complete(s, img, err) < 0 || store_index_load(s, &x, err) < 0)
		goto out_unlock;
	store_image *target = NULL;
	for (size_t i = 0; i < x.n; i++) {
		if (strcmp(x.images[i].id, img->id) == 0)
			target = &x.images[i];
		/* a name belongs to one image: it moves */
		else
			for (size_t k = 0; k < img->n_names; k++)
				store_strv_del(x.images[i].names, &x.images[i].n_names, img->names[k]);
	}
	if (!target) {
		store_image *n = realloc(x.images, (x.n + 1) * sizeof(*n));
		if (!n) {
			err_nomem(err);
			goto out;
		}
		x.images = n;
		target = &x.images[x.n++];
		if (store_image_copy(target, img, err) < 0)
			goto out;
		if (!target->added[0]) {
			char now[64];
			time_t t = time(NULL);
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
			snprintf(target->added, sizeof(target->added), "%s", now);
		}
	} else {
		for (size_t k = 0; k < img->n_names; k++)
			if (store_strv_add(&target->names, &target->n_names, img->names[k], err) < 0)
				goto out;
		for (size_t k = 0; k < img->n_digests; k++)
			if (store_strv_add(&target->digests, &target->n_digests, img->digests[k], err) < 0)
				goto out;
		if (img->index_digest[0])
			strcpy(target->index_digest, img->index_digest);
	}
	r = store_index_save(s, &x, err);
out:
	store_index_free(&x);
out_unlock:
	store_unlock(s);
	return r < 0 ? err_prefix(err, "store image %.12s", img->id) : 0;
}

CPOD_INTERNAL int store_image_list(image_store *s, store_image **out, size_t *n, cpod_err *err)
{
	store_index x;
	if (store_index_load(s, &x, err) < 0)
		return -1;
	*out = x.images;
	*n = x.n;
	return 0;
}

/* The repository part of a stored name, without its tag. */
static bool store_name_split(const char *name, char *domain, size_t dn, char *path, size_t pn,
			     char *tag, size_t tn)
{
	image_ref r;
	if (ref_parse(name, &r, NULL) < 0)
		return false;
	snprintf(domain, dn, "%s", r.domain);
	snprintf(path, pn, "%s", r.path);
	snprintf(tag, tn, "%s", r.tag);
	return true;
}

CPOD_INTERNAL int store_image_get(image_store *s, const char *ref, store_image **out, cpod_err *err)
{
	store_index x;
	store_image *found = NULL;
	size_t matches = 0;

	*out = NULL;
	if (store_index_load(s, &x, err) < 0)
		return -1;
	/* an id or a unique prefix of one */
	if (ref_looks_like_id(ref)) {
		const char *hex = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
		for (size_t i = 0; i < x.n; i++)
			if (strncmp(x.images[i].id, hex, strlen(hex)) == 0) {
				found = &x.images[i];
				matches++;
			}
		if (matches > 1) {
			store_index_free(&x);
			return err_set(err, CPOD_E_INVALID, "image id prefix %s is ambiguous", ref);
		}
	}
	image_ref r;
	if (!found && ref_parse(ref, &r, NULL) == 0) {
		char full[1024];
		ref_name(&r, full, sizeof(full));
		for (size_t i = 0; i < x.n && !found; i++) {
			store_image *img = &x.images[i];
			if (r.digest[0]) {
				char repo[800], want[900];
				ref_repository(&r, repo, sizeof(repo));
				snprintf(want, sizeof(want), "%s@%s", repo, r.digest);
				if (store_strv_has(img->digests, img->n_digests, want) ||
				    (strcmp(img->manifest_digest, r.digest) == 0 && !r.short_name))
					found = img;
				if (strcmp(img->manifest_digest, r.digest) == 0 && r.short_name)
					found = img;
			} else if (!(r.short_name && r.tag[0]) &&
				   store_strv_has(img->names, img->n_names, full)) {
				/* a short name is not docker.io's first: the
				 * ranked search below puts localhost first */
				found = img;
			}
		}
		/* a short name: the same repository path under any registry,
		 * localhost first, then docker.io, else it must be unambiguous */
		if (!found && r.short_name && r.tag[0]) {
			const char *user_path = strncmp(r.path, "library/", 8) == 0 && !strchr(ref, '/')
							? r.path + 8 : r.path;
			store_image *best = NULL;
			int best_rank = 0, n_best = 0;
			for (size_t i = 0; i < x.n; i++)
				for (size_t k = 0; k < x.images[i].n_names; k++) {
					char d[256], p[512], t[129];
					if (!store_name_split(x.images[i].names[k], d, sizeof(d), p, sizeof(p), t,
							      sizeof(t)) || strcmp(t, r.tag) != 0)
						continue;
					bool same = strcmp(p, user_path) == 0 ||
						    (strncmp(p, "library/", 8) == 0 && strcmp(p + 8, user_path) == 0);
					if (!same)
						continue;
					int rank = strcmp(d, "localhost") == 0 ? 3 : strcmp(d, REF_DOCKER_DOMAIN) == 0 ? 2 : 1;
					if (rank > best_rank) {
						best = &x.images[i];
						best_rank = rank;
						n_best = 1;
					} else if (rank == best_rank && best != &x.images[i]) {
						n_best++;
					}
				}
			if (n_best > 1) {
				store_index_free(&x);
				return err_set(err, CPOD_E_INVALID,
					       "short name \"%s\" matches images in several registries: use the full name",
					       ref);
			}
			found = best;
		}
	}
	if (!found) {
		store_index_free(&x);
		return err_set(err, CPOD_E_NOTFOUND, "%s: image not known", ref);
	}
	store_image *copy = calloc(1, sizeof(*copy));
	int rc = copy ? store_image_copy(copy, found, err) : err_nomem(err);
	store_index_free(&x);
	if (rc < 0) {
		store_image_free(copy);
		free(copy);
		return -1;
	}
	*out = copy;
	return 0;
}

CPOD_INTERNAL int store_image_tag(image_store *s, const char *id, const char *name, cpod_err *err)
{
	store_image *img;
	image_ref r;
	char full[1024];

	if (ref_parse_local(name, &r, err) < 0)
		return -1;
	if (r.digest[0] && !r.tag[0])
		return err_set(err, CPOD_E_INVALID, "tag %s: a tag cannot be a digest", name);
	ref_name(&r, full, sizeof(full));
	if (store_image_get(s, id, &img, err) < 0)
		return -1;
	store_strv_free(img->names, img->n_names);
	img->names = NULL;
	img->n_names = 0;
	store_strv_free(img->digests, img->n_digests);
	img->digests = NULL;
	img->n_digests = 0;
	int rc = store_strv_add(&img->names, &img->n_names, full, err);
	if (rc == 0)
		rc = store_image_put(s, img, err);
	store_image_free(img);
	free(img);
	return rc;
}

CPOD_INTERNAL int store_image_untag(image_store *s, const char *id, const char *name, cpod_err *err)
{
	store_index x;
	int r = -1;
	char full[1024] = "";

	if (name) {
		image_ref ref;
		if (ref_parse(name, &ref, err) < 0)
			return -1;
		ref_name(&ref, full, sizeof(full));
	}
	if (store_lock(s, err) < 0)
		return -1;
	if (store_index_load(s, &x, err) < 0)
		goto out_unlock;
	bool hit = false;
	for (size_t i = 0; i < x.n; i++) {
		store_image *img = &x.images[i];
		if (strcmp(img->id, id) != 0)
			continue;
		if (!name) {
			hit = img->n_names > 0;
			store_strv_free(img->names, img->n_names);
			img->names = NULL;
			img->n_names = 0;
		} else {
			/* a short name as the user typed it may be stored under localhost */
			image_ref lr;
			char local[1024];
			ref_parse_local(name, &lr, NULL);
			ref_name(&lr, local, sizeof(local));
			size_t before = img->n_names;
			store_strv_del(img->names, &img->n_names, full);
			if (img->n_names == before)
				store_strv_del(img->names, &img->n_names, local);
			hit = img->n_names != before;
		}
	}
	if (!hit) {
		err_set(err, CPOD_E_NOTFOUND, "image %.12s has no name %s", id, name ? name : "");
		goto out;
	}
	r = store_index_save(s, &x, err);
out:
	store_index_free(&x);
out_unlock:
	store_unlock(s);
	return r;
}

/* ---------------------------------------------------------------- removal and gc */

CPOD_INTERNAL int store_image_remove(image_store *s, const char *id, cpod_err *err)
{
	store_index x;
	int r = -1;

	if (store_lock(s, err) < 0)
		return -1;
	if (store_index_load(s, &x, err) < 0)
		goto out_unlock;
	size_t i;
	for (i = 0; i < x.n; i++)
		if (strcmp(x.images[i].id, id) == 0)
			break;
	if (i == x.n) {
		err_set(err, CPOD_E_NOTFOUND, "image %.12s not known", id);
		goto out;
	}
	store_image_free(&x.images[i]);
	memmove(x.images + i, x.images + i + 1, (x.n - i - 1) * sizeof(*x.images));
	x.n--;
	if (store_index_save(s, &x, err) < 0)
		goto out;
	r = store_gc(s, NULL, err);
out:
	store_index_free(&x);
out_unlock:
	store_unlock(s);
	return r;
}

/* A set of digests (referenced, leased) as a sorted array for bsearch. */
typedef struct store_set {
	char (*v)[DIGEST_STR_LEN + 1];
	size_t n, cap;
} store_set;

static int store_set_add(store_set *set, const char *d, cpod_err *err)
{
	if (!digest_valid(d, NULL))
		return 0;
	if (set->n == set->cap) {
		size_t nc = set->cap ? set->cap * 2 : 64;
		void *nv = realloc(set->v, nc * sizeof(*set->v));
		if (!nv)
			return err_nomem(err);
		set->v = nv;
		set->cap = nc;
	}
	strcpy(set->v[set->n++], d);
	return 0;
}

static int store_set_cmp(const void *a, const void *b) { return strcmp(a, b); }

static void store_set_sort(store_set *set)
{
	if (set->n)
		qsort(set->v, set->n, sizeof(*set->v), store_set_cmp);
}

static bool store_set_has(const store_set *set, const char *d)
{
	return set->n && bsearch(d, set->v, set->n, sizeof(*set->v), store_set_cmp) != NULL;
}

/* What images reference, and what live processes lease. */
static int store_live_set(image_store *s, const store_index *x, store_set *set, cpod_err *err)
{
	for (size_t i = 0; i < x->n; i++) {
		const store_image *img = &x->images[i];
		if (store_set_add(set, img->config_digest, err) < 0 ||
		    store_set_add(set, img->manifest_digest, err) < 0 ||
		    store_set_add(set, img->index_digest, err) < 0)
			return -1;
		for (size_t k = 0; k < img->n_layers; k++)
			if (store_set_add(set, img->layers[k].digest, err) < 0 ||
			    store_set_add(set, img->layers[k].diff_id, err) < 0)
				return -1;
	}
	int fd = openat(s->rootfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "lease-", 6) != 0 || !store_tmp_owner_alive(de->d_name))
			continue;
		_cleanup_buf_ buf b = BUF_INIT;
		if (fs_read_file(dirfd(d), de->d_name, 16u << 20, &b, NULL) < 0)
			continue;
		for (char *line = strtok(b.data, "\n"); line; line = strtok(NULL, "\n"))
			if (store_set_add(set, line, err) < 0) {
				closedir(d);
				return -1;
			}
	}
	closedir(d);
	store_set_sort(set);
	return 0;
}

static uint64_t store_tree_size(int parent, const char *name)
{
	struct stat st;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return (uint64_t)st.st_blocks * 512;
	uint64_t total = 0;
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			total += store_tree_size(dirfd(d), de->d_name);
	closedir(d);
	return total;
}

typedef int (*store_walk_fn)(image_store *s, const char *dir, const char *name, void *ctx,
			     cpod_err *err);

static int store_walk(image_store *s, const char *dir, store_walk_fn fn, void *ctx, cpod_err *err)
{
	int fd = openat(s->rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	int r = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return errno == ENOENT ? 0 : err_sys(err, "open %s/%s", s->root, dir);
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && (r = fn(s, dir, de->d_name, ctx, err)) < 0)
			break;
	closedir(d);
	return r;
}

typedef struct store_gc_ctx {
	store_set live;
	uint64_t freed;
	buf *report;       /* check: say instead of (or as well as) doing */
	bool act;
	int problems;      /* inconsistencies: an image that cannot be used, corrupted data */
	int garbage;       /* harmless debris: orphans, leftovers of interrupted work */
} store_gc_ctx;

static void store_report(store_gc_ctx *g, int *count, const char *kind, const char *fmt,
			 va_list ap)
{
	char line[512];
	(*count)++;
	if (!g->report)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	buf_printf(g->report, NULL, "%s: %s\n", kind, line);
}

/* An inconsistency. */
static void store_say(store_gc_ctx *g, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void store_say(store_gc_ctx *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	store_report(g, &g->problems, "error", fmt, ap);
	va_end(ap);
}

/* Garbage: unused, and safe to remove. */
static void store_note(store_gc_ctx *g, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void store_note(store_gc_ctx *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	store_report(g, &g->garbage, g->act ? "removed" : "garbage", fmt, ap);
	va_end(ap);
}

static int store_gc_blob(image_store *s, const char *dir, const char *name, void *ctx,
			 cpod_err *err)
{
	store_gc_ctx *g = ctx;
	char d[DIGEST_STR_LEN + 1], path[128];
	snprintf(d, sizeof(d), "sha256:%s", name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (digest_valid(d, NULL) && store_set_has(&g->live, d))
		return 0;
	store_note(g, "orphan blob %s", d);
	if (g->act) {
		g->freed += store_tree_size(s->rootfd, path);
		if (unlinkat(s->rootfd, path, 0) < 0 && errno != ENOENT)
			return err_sys(err, "remove %s", path);
	}
	return 0;
}

static int store_gc_layer(image_store *s, const char *dir, const char *name, void *ctx,
			  cpod_err *err)
{
	store_gc_ctx *g = ctx;
	char d[DIGEST_STR_LEN + 1], path[128];
	snprintf(d, sizeof(d), "sha256:%s", name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (digest_valid(d, NULL) && store_set_has(&g->live, d))
		return 0;
	store_note(g, "orphan layer %s", d);
	if (!g->act)
		return 0;
	/* not while someone unpacks it */
	int lfd = -1;
	if (digest_valid(d, NULL)) {
		char lname[96];
		snprintf(lname, sizeof(lname), "locks/%s", name);
		lfd = openat(s->rootfd, lname, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (lfd >= 0 && flock(lfd, LOCK_EX | LOCK_NB) < 0) {
			close(lfd);
			return 0;
		}
	}
	_cleanup_json_ json_doc *meta = digest_valid(d, NULL) ? store_layer_meta(s, d, NULL) : NULL;
	const char *link = meta ? json_string(json_get(json_root(meta), "link")) : NULL;
	g->freed += store_tree_size(s->rootfd, path);
	/* layer.json first: the layer stops existing before its files go */
	char metapath[160];
	snprintf(metapath, sizeof(metapath), "%s/layer.json", path);
	unlinkat(s->rootfd, metapath, 0);
	int r = fs_rm_tree(s->rootfd, path, err);
	if (r == 0 && link && !strchr(link, '/')) {
		char lpath[96];
		snprintf(lpath, sizeof(lpath), "l/%s", link);
		unlinkat(s->rootfd, lpath, 0);
	}
	if (lfd >= 0) {
		char lname[96];
		snprintf(lname, sizeof(lname), "locks/%s", name);
		unlinkat(s->rootfd, lname, 0);
		close(lfd);
	}
	return r;
}

static int store_gc_tmp(image_store *s, const char *dir, const char *name, void *ctx,
			cpod_err *err)
{
	store_gc_ctx *g = ctx;
	char path[PATH_MAX];
	if (store_tmp_owner_alive(name))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	store_note(g, "leftover of an interrupted operation: %s", path);
	if (g->act) {
		g->freed += store_tree_size(s->rootfd, path);
		return fs_rm_tree(s->rootfd, path, err);
	}
	return 0;
}

static int store_gc_link(image_store *s, const char *dir, const char *name, void *ctx,
			 cpod_err *err)
{
	store_gc_ctx *g = ctx;
	char path[128];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (fstatat(s->rootfd, path, &st, 0) == 0)
		return 0; /* the link leads somewhere */
	store_note(g, "dangling short link %s", path);
	if (g->act && unlinkat(s->rootfd, path, 0) < 0 && errno != ENOENT)
		return err_sys(err, "remove %s", path);
	return 0;
}

static int store_sweep(image_store *s, store_gc_ctx *g, const store_index *x, cpod_err *err)
{
	if (store_live_set(s, x, &g->live, err) < 0)
		return -1;
	if (store_walk(s, "tmp", store_gc_tmp, g, err) < 0 ||
	    store_walk(s, "blobs/sha256", store_gc_blob, g, err) < 0 ||
	    store_walk(s, "layers", store_gc_layer, g, err) < 0 ||
	    store_walk(s, "l", store_gc_link, g, err) < 0)
		return -1;
	return 0;
}

CPOD_INTERNAL int store_gc(image_store *s, uint64_t *freed, cpod_err *err)
{
	store_index x;
	store_gc_ctx g = { .act = true };
	int r = -1;

	if (store_lock(s, err) < 0)
		return -1;
	if (store_index_load(s, &x, err) == 0) {
		r = store_sweep(s, &g, &x, err);
		store_index_free(&x);
	}
	store_unlock(s);
	free(g.live.v);
	if (freed)
		*freed = g.freed;
	return r;
}

/* check: an image's parts exist and hold what their names say. */
static void store_check_image(image_store *s, const store_image *img, store_gc_ctx *g,
			      bool *broken)
{
	const char *blobs[2] = { img->manifest_digest, img->config_digest };
	for (int i = 0; i < 2; i++) {
		_cleanup_buf_ buf b = BUF_INIT;
		cpod_err e;
		if (store_blob_read(s, blobs[i], CONFIG_MAX_SIZE, &b, &e) < 0) {
			store_say(g, "image %.12s: %s", img->id, e.msg);
			*broken = true;
		}
	}
	for (size_t k = 0; k < img->n_layers; k++) {
		const store_layer *l = &img->layers[k];
		if (!store_has_layer(s, l->diff_id)) {
			store_say(g, "image %.12s: layer %s is missing or incomplete", img->id, l->diff_id);
			*broken = true;
		}
		if (!store_has_blob(s, l->digest)) {
			store_say(g, "image %.12s: layer blob %s is missing", img->id, l->digest);
			*broken = true;
		}
	}
}

/* check: every blob's content matches its name. */
static int store_check_blob(image_store *s, const char *dir, const char *name, void *ctx,
			    cpod_err *err)
{
	store_gc_ctx *g = ctx;
	char d[DIGEST_STR_LEN + 1], got[DIGEST_STR_LEN + 1], path[128];
	snprintf(d, sizeof(d), "sha256:%s", name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	_cleanup_close_ int fd = openat(s->rootfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		store_say(g, "blob %s cannot be read", path);
		return 0;
	}
	digest_ctx dc;
	char b[1 << 16];
	ssize_t n;
	digest_init(&dc);
	while ((n = read(fd, b, sizeof(b))) > 0)
		digest_update(&dc, b, (size_t)n);
	digest_final(&dc, got);
	if (n < 0 || strcmp(got, d) != 0) {
		store_say(g, "blob %s is corrupted (its content is %s)", d, got);
		if (g->act && unlinkat(s->rootfd, path, 0) < 0)
			return err_sys(err, "remove %s", path);
	}
	return 0;
}

/* check: layers/X holds layer.json that agrees with its name. */
static int store_check_layer(image_store *s, const char *dir, const char *name, void *ctx,
			     cpod_err *err)
{
	store_gc_ctx *g = ctx;
	char d[DIGEST_STR_LEN + 1], path[128];
	snprintf(d, sizeof(d), "sha256:%s", name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cpod_err e;
	_cleanup_json_ json_doc *meta = digest_valid(d, NULL) ? store_layer_meta(s, d, &e) : NULL;
	const char *id = meta ? json_string(json_get(json_root(meta), "diffId")) : NULL;
	if (!meta || !id || strcmp(id, d) != 0) {
		/* what an interrupted removal leaves; an image that needs it is
		 * reported by the image check */
		store_note(g, "incomplete layer directory %s", path);
		if (g->act)
			return fs_rm_tree(s->rootfd, path, err);
		return 0;
	}
	char link[96];
	if (store_layer_link(s, d, link, sizeof(link), NULL) == 0) {
		struct stat st;
		if (fstatat(s->rootfd, link, &st, 0) < 0) {
			store_say(g, "layer %s: its short link %s is missing", d, link);
			if (g->act) {
				char target[128];
				snprintf(target, sizeof(target), "../layers/%s/diff", name);
				symlinkat(target, s->rootfd, link);
			}
		}
	}
	return 0;
}

CPOD_INTERNAL int store_check(image_store *s, bool repair, buf *report, cpod_err *err)
{
	store_index x;
	store_gc_ctx g = { .act = repair, .report = report };
	int r = -1;

	if (store_lock(s, err) < 0)
		return -1;
	if (store_index_load(s, &x, err) < 0) {
		/* an unreadable index is the worst case: say so, keep the file */
		g.problems++;
		if (report)
			buf_printf(report, NULL, "%s\n", err->msg);
		store_unlock(s);
		return g.problems;
	}
	if (store_walk(s, "blobs/sha256", store_check_blob, &g, err) < 0 ||
	    store_walk(s, "layers", store_check_layer, &g, err) < 0)
		goto out;
	/* images whose parts are missing or corrupted */
	bool dropped = false;
	for (size_t i = 0; i < x.n;) {
		bool broken = false;
		store_check_image(s, &x.images[i], &g, &broken);
		if (broken && repair) {
			store_say(&g, "image %.12s removed: it cannot be used", x.images[i].id);
			store_image_free(&x.images[i]);
			memmove(x.images + i, x.images + i + 1, (x.n - i - 1) * sizeof(*x.images));
			x.n--;
			dropped = true;
			continue;
		}
		i++;
	}
	if (dropped && store_index_save(s, &x, err) < 0)
		goto out;
	if (store_sweep(s, &g, &x, err) < 0)
		goto out;
	r = 0;
out:
	store_index_free(&x);
	free(g.live.v);
	store_unlock(s);
	if (r < 0)
		return -1;
	if (repair) {
		/* what is left after repairing */
		buf again = BUF_INIT;
		int left = store_check(s, false, &again, err);
		buf_free(&again);
		return left;
	}
	return g.problems;
}
