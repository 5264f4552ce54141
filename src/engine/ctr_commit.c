/*
 * ctr_commit.c — `commit`: a new image from a container, as podman makes
 * one: the image's layers plus one layer of the container's changes (its
 * overlay upper directory, whiteouts as .wh. entries), the image's config
 * with the container's Env, Cmd, Entrypoint, WorkingDir, User and Labels,
 * then the --change instructions.  A container on a copied root file
 * system has no record of its changes: its whole tree becomes the one
 * layer of the new image.
 *
 * The layer is packed by a child process into a pipe and stored from the
 * other end in one pass (digests, the gzip blob kept for push).  A running
 * container is paused meanwhile unless asked not to be.
 */
#include "container.h"
#include "../image/commit.h"
#include "../image/config_edit.h"
#include "../base/proc.h"
#include "../base/stream.h"
#include <sys/wait.h>

/* Packs the tree at dirfd into a layer of the store. */
static int commit_layer_add(cpod_engine *e, int dirfd, layer_result *res, cpod_err *err)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	int errp[2];
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return err_sys(err, "pipe");
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		close(errp[0]);
		close(errp[1]);
		return err_sys(err, "fork");
	}
	if (pid == 0) {
		cpod_err e2;
		layer_result r2;
		close(pipefd[0]);
		close(errp[0]);
		if (layer_pack(dirfd, pipefd[1], true, &r2, &e2) < 0) {
			write_all(errp[1], &e2, sizeof(e2));
			_exit(1);
		}
		_exit(0);
	}
	close(pipefd[1]);
	close(errp[1]);
	int in = pipefd[0];
	byte_source src = source_fd(&in);
	int r = store_layer_add(e->store, &src, NULL, NULL, 0, true, res, err);
	close(pipefd[0]);
	cpod_err child;
	ssize_t n = RETRY_EINTR(read(errp[0], &child, sizeof(child)));
	close(errp[0]);
	int status = 0;
	if (r < 0)
		kill(pid, SIGKILL);
	proc_wait(pid, &status, 0);
	if (n == (ssize_t)sizeof(child)) {
		child.msg[sizeof(child.msg) - 1] = '\0';
		if (err)
			*err = child;
		return err_prefix(err, "pack the container's changes");
	}
	if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		return err_set(err, CPOD_E_SYS, "the process packing the layer died");
	return r;
}

static int commit_compression(const char *media_type)
{
	size_t n = strlen(media_type);
	if (n >= 4 && strcmp(media_type + n - 4, "gzip") == 0)
		return LAYER_GZIP;
	if (n >= 4 && strcmp(media_type + n - 4, "zstd") == 0)
		return LAYER_ZSTD;
	return LAYER_PLAIN;
}

typedef struct commit_in {
	const char *image, *message, *author;
	const char *const *changes;
} commit_in;

static int commit_image(cpod_engine *e, const ctr_record *r, const store_image *img,
			const commit_in *in, const layer_result *res, char id[DIGEST_HEX_LEN + 1],
			cpod_err *err)
{
	char now[64], full[1024], by[256];
	config_edit ce;
	commit_layer *layers = NULL;
	char *config = NULL;
	int rc = -1;

	if (in->image) {
		image_ref ref;
		if (ref_parse_local(in->image, &ref, err) < 0)
			return -1;
		ref_name(&ref, full, sizeof(full));
	}
	image_config *cfg = engine_image_config(e, img, err);
	if (!cfg)
		return -1;
	int ir = config_edit_init(&ce, cfg, err);
	config_free(cfg);
	if (ir < 0)
		return -1;
	_cleanup_json_ json_doc *sum = r->summary ? json_parse(r->summary, strlen(r->summary), NULL, NULL) : NULL;
	if (config_edit_from_container(&ce, json_get(json_root(sum), "Config"), err) < 0)
		goto out;
	for (size_t i = 0; in->changes && in->changes[i]; i++)
		if (config_edit_change(&ce, in->changes[i], err) < 0)
			goto out;
	if (in->author) {
		free(ce.author);
		if (!(ce.author = strdup(in->author))) {
			err_nomem(err);
			goto out;
		}
	}
	if (r->copy_rootfs)
		config_edit_clear_layers(&ce);
	engine_now(now, sizeof(now));
	snprintf(by, sizeof(by), "cpod commit %.12s", r->id);
	if (config_edit_add_layer(&ce, res->diff_id, err) < 0 ||
	    config_edit_add_history(&ce, now, by, in->message ? in->message : "", false, err) < 0)
		goto out;
	config = config_edit_write(&ce, now, err);
	if (!config)
		goto out;
	size_t base = r->copy_rootfs ? 0 : img->n_layers, n = 0;
	layers = calloc(base + 1, sizeof(*layers));
	if (!layers) {
		err_nomem(err);
		goto out;
	}
	for (; n < base; n++) {
		snprintf(layers[n].digest, sizeof(layers[n].digest), "%s", img->layers[n].digest);
		layers[n].size = img->layers[n].size;
		layers[n].compression = commit_compression(img->layers[n].media_type);
	}
	snprintf(layers[n].digest, sizeof(layers[n].digest), "%s", res->digest);
	layers[n].size = (int64_t)res->compressed_size;
	layers[n].compression = res->compression;
	n++;
	const char *names[1] = { full };
	rc = image_commit(e->store, config, layers, n, names, in->image ? 1 : 0, id, err);
out:
	free(layers);
	free(config);
	config_edit_free(&ce);
	return rc;
}

char *cpod_container_commit(cpod_engine *e, const char *ctr, const char *image,
			    const char *const *changes, const char *message, const char *author,
			    int pause, cpod_err *err)
{
	ctr_record r;
	store_image *img = NULL;
	char dir[PATH_MAX], id[DIGEST_HEX_LEN + 1];
	layer_result res;
	bool paused = false;
	int fd = -1;
	char *out = NULL;
	commit_in in = { image, message, author, changes };

	if (ctr_find(e, ctr, &r, err) < 0)
		return NULL;
	if (store_image_get(e->store, r.image_id, &img, err) < 0 ||
	    engine_ctr_path(e, r.id, false, r.copy_rootfs ? "rootfs" : "upper", dir, sizeof(dir), err) < 0)
		goto out;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err_sys(err, "open %s", dir);
		goto out;
	}
	if (pause && ctr_running(&r) && !ctr_paused(e, &r)) {
		if (cpod_runtime_pause(e->rt, r.id, err) < 0)
			goto out;
		paused = true;
	}
	int lr = commit_layer_add(e, fd, &res, err);
	if (paused)
		cpod_runtime_resume(e->rt, r.id, NULL);
	if (lr < 0 || commit_image(e, &r, img, &in, &res, id, err) < 0)
		goto out;
	out = strdup(id);
	if (!out)
		err_nomem(err);
out:
	if (!out)
		err_prefix(err, "commit %s", ctr);
	if (fd >= 0)
		close(fd);
	if (img) {
		store_image_free(img);
		free(img);
	}
	ctr_record_free(&r);
	return out;
}
