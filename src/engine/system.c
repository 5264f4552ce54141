/*
 * system.c — `system check`, `system df`, `system prune` and `info`.
 *
 * check looks at the store and at the containers' records: a container
 * whose image is gone, or a record that cannot be read, is an
 * inconsistency; debris of interrupted work is garbage, which a kill -9 may
 * leave and which does not make the store inconsistent.
 */
#include "container.h"
#include "../base/digest.h"
#include "../base/fs.h"
#include <dirent.h>
#include <sys/utsname.h>

char *cpod_system_check(cpod_engine *e, int repair, int *problems, cpod_err *err)
{
	buf report = BUF_INIT;
	int n = store_check(e->store, repair, &report, err);
	if (n < 0) {
		buf_free(&report);
		return NULL;
	}
	/* containers: their records parse and their images exist */
	int fd = openat(e->rootfd, "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char rel[128], json[160];
		snprintf(rel, sizeof(rel), "containers/%.64s", de->d_name);
		snprintf(json, sizeof(json), "%s/container.json", rel);
		ctr_record r;
		struct stat st;
		if (strlen(de->d_name) != 64 || fstatat(e->rootfd, json, &st, 0) < 0) {
			/* a container removed or created halfway */
			buf_printf(&report, NULL, "%s: leftover container directory %s/%s\n",
				   repair ? "removed" : "garbage", e->root, rel);
			if (repair) {
				fs_rm_tree(e->rootfd, rel, NULL);
				fs_rm_tree(e->runrootfd, rel, NULL);
			}
			continue;
		}
		if (ctr_find(e, de->d_name, &r, NULL) < 0) {
			buf_printf(&report, NULL, "error: container %.12s: its record cannot be read\n", de->d_name);
			n++;
			continue;
		}
		store_image *img;
		if (store_image_get(e->store, r.image_id, &img, NULL) < 0) {
			buf_printf(&report, NULL, "error: container %.12s (%s): its image %.12s is missing\n",
				   r.id, r.name, r.image_id);
			n++;
		} else {
			store_image_free(img);
			free(img);
		}
		ctr_record_free(&r);
	}
	if (d)
		closedir(d);
	else if (fd >= 0)
		close(fd);
	*problems = n;
	if (!report.len)
		buf_puts(&report, "", NULL);
	return buf_take(&report, err);
}

static uint64_t system_dir_size(int parent, const char *name, int depth)
{
	struct stat st;
	if (depth > 256 || fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return (uint64_t)st.st_blocks * 512;
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	uint64_t total = (uint64_t)st.st_blocks * 512;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return total;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			total += system_dir_size(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	return total;
}

static void system_df_row(json_w *w, const char *type, int64_t total, int64_t active, int64_t size,
			  int64_t reclaimable)
{
	jw_obj_begin(w);
	jw_kstr(w, "Type", type);
	jw_kint(w, "Total", total);
	jw_kint(w, "Active", active);
	jw_kint(w, "RawSize", size);
	jw_kint(w, "RawReclaimable", reclaimable);
	jw_obj_end(w);
}

char *cpod_system_df(cpod_engine *e, cpod_err *err)
{
	store_image *imgs;
	size_t n, nc;
	ctr_record *ctrs;
	buf b = BUF_INIT;
	json_w w;

	if (store_image_list(e->store, &imgs, &n, err) < 0)
		return NULL;
	if (ctr_list_all(e, &ctrs, &nc, err) < 0) {
		store_image_list_free(imgs, n);
		return NULL;
	}
	int64_t isize = 0, ireclaim = 0, iactive = 0, csize = 0, creclaim = 0, cactive = 0;
	for (size_t i = 0; i < n; i++) {
		bool used = false;
		for (size_t k = 0; k < nc && !used; k++)
			used = strcmp(ctrs[k].image_id, imgs[i].id) == 0;
		isize += imgs[i].size;
		if (used)
			iactive++;
		else
			ireclaim += imgs[i].size;
	}
	for (size_t k = 0; k < nc; k++) {
		char rel[128];
		snprintf(rel, sizeof(rel), "containers/%s", ctrs[k].id);
		int64_t s = (int64_t)system_dir_size(e->rootfd, rel, 0);
		csize += s;
		if (ctrs[k].status == CTR_RUNNING)
			cactive++;
		else
			creclaim += s;
	}
	jw_init(&w, &b, NULL);
	jw_arr_begin(&w);
	system_df_row(&w, "Images", (int64_t)n, iactive, isize, ireclaim);
	system_df_row(&w, "Containers", (int64_t)nc, cactive, csize, creclaim);
	system_df_row(&w, "Local Volumes", 0, 0, 0, 0);
	jw_arr_end(&w);
	store_image_list_free(imgs, n);
	ctr_list_free(ctrs, nc);
	if (jw_finish(&w, err) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b, err);
}

char *cpod_system_prune(cpod_engine *e, int all, cpod_err *err)
{
	ctr_record *ctrs;
	size_t nc;
	buf out = BUF_INIT;

	if (ctr_list_all(e, &ctrs, &nc, err) < 0)
		return NULL;
	for (size_t k = 0; k < nc; k++) {
		if (ctrs[k].status == CTR_RUNNING)
			continue;
		if (ctr_remove(e, &ctrs[k], false, err) < 0) {
			ctr_list_free(ctrs, nc);
			buf_free(&out);
			return NULL;
		}
		buf_printf(&out, NULL, "Deleted container %s\n", ctrs[k].id);
	}
	ctr_list_free(ctrs, nc);
	char *images = cpod_image_prune(e, all, err);
	if (!images) {
		buf_free(&out);
		return NULL;
	}
	for (char *l = strtok(images, "\n"); l; l = strtok(NULL, "\n"))
		buf_printf(&out, NULL, "Deleted image %s\n", l);
	free(images);
	return buf_take(&out, err);
}

char *cpod_info(cpod_engine *e, cpod_err *err)
{
	struct utsname u;
	buf b = BUF_INIT;
	json_w w;
	const char *why = NULL;
	bool overlay = rootfs_overlay_usable(e->store, &why);
	store_image *imgs;
	size_t n = 0, nc = 0;
	ctr_record *ctrs = NULL;
	image_platform p = manifest_host_platform();

	uname(&u);
	if (store_image_list(e->store, &imgs, &n, NULL) == 0)
		store_image_list_free(imgs, n);
	ctr_list_all(e, &ctrs, &nc, NULL);
	jw_init(&w, &b, "  ");
	jw_obj_begin(&w);
	jw_key(&w, "host");
	jw_obj_begin(&w);
	jw_kstr(&w, "arch", p.architecture);
	jw_kstr(&w, "os", "linux");
	jw_kstr(&w, "kernel", u.release);
	jw_kstr(&w, "hostname", u.nodename);
	enum cg_mode cm = cg_detect();
	jw_kstr(&w, "cgroupVersion", cm == CG_V2 ? "v2" : cm == CG_HYBRID ? "v1 (hybrid: v2 mounted without controllers)"
				 : cm == CG_V1 ? "v1" : "none");
	jw_kbool(&w, "rootless", e->rootless);
	jw_kstr(&w, "ociRuntime", "cpod (built in)");
	jw_kbool(&w, "sha256Accelerated", digest_accelerated());
	jw_obj_end(&w);
	jw_key(&w, "store");
	jw_obj_begin(&w);
	jw_kstr(&w, "graphRoot", e->root);
	jw_kstr(&w, "runRoot", e->runroot);
	jw_kstr(&w, "graphDriverName", overlay ? "overlay" : "copy");
	if (!overlay)
		jw_kstr(&w, "graphDriverNote", why ? why : "overlay is not usable");
	jw_key(&w, "imageStore");
	jw_obj_begin(&w);
	jw_kint(&w, "number", (int64_t)n);
	jw_obj_end(&w);
	jw_key(&w, "containerStore");
	jw_obj_begin(&w);
	jw_kint(&w, "number", (int64_t)nc);
	jw_obj_end(&w);
	jw_obj_end(&w);
	jw_key(&w, "version");
	jw_obj_begin(&w);
	jw_kstr(&w, "Version", CPOD_VERSION);
	jw_kstr(&w, "OciVersion", CPOD_OCI_VERSION);
	jw_obj_end(&w);
	jw_obj_end(&w);
	ctr_list_free(ctrs, nc);
	if (jw_finish(&w, err) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b, err);
}
