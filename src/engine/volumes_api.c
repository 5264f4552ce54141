/*
 * volumes_api.c — the cpod_volume_* functions of cpod.h: create, list,
 * inspect, remove and prune volumes (the store is volume.c's).
 */
#include "container.h"
#include "volume.h"

char *cpod_volume_create(cpod_engine *e, const char *name, const cpod_volume_opts *o, cpod_err *err)
{
	volume_rec v;
	static const cpod_volume_opts none = { 0 };
	if (!o)
		o = &none;
	if (name && !*name)
		name = NULL;
	if (name && !volume_name_ok(name)) {
		err_set(err, CPOD_E_INVALID, "volume name \"%s\" must match [a-zA-Z0-9][a-zA-Z0-9_.-]*",
			name);
		return NULL;
	}
	/* checked before the lock: bad options never wait for it */
	if (volume_check_options(o->driver, o->labels, o->options, err) < 0)
		return NULL;
	int lock = volume_lock(e, err);
	if (lock < 0)
		return NULL;
	int r = volume_create(e, name, o->driver, o->labels, o->options, false, &v, err);
	close(lock);
	if (r < 0)
		return NULL;
	char *out = strdup(v.name);
	volume_rec_free(&v);
	if (!out)
		err_nomem(err);
	return out;
}

char *cpod_volume_inspect(cpod_engine *e, const char *name, cpod_err *err)
{
	volume_rec v;
	buf b = BUF_INIT;
	json_w w;
	if (volume_load(e, name, &v, err) < 0)
		return NULL;
	jw_init(&w, &b, "    ");
	volume_write_json(&w, e, &v);
	volume_rec_free(&v);
	if (jw_finish(&w, err) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b, err);
}

char *cpod_volume_list(cpod_engine *e, cpod_err *err)
{
	char **names;
	size_t n;
	buf b = BUF_INIT;
	json_w w;
	if (volume_names(e, &names, &n, err) < 0)
		return NULL;
	jw_init(&w, &b, "    ");
	jw_arr_begin(&w);
	for (size_t i = 0; i < n; i++) {
		volume_rec v;
		if (volume_load(e, names[i], &v, NULL) < 0)
			continue; /* removed meanwhile, or damaged: not listed */
		volume_write_json(&w, e, &v);
		volume_rec_free(&v);
	}
	jw_arr_end(&w);
	volume_names_free(names, n);
	if (jw_finish(&w, err) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b, err);
}

int cpod_volume_remove(cpod_engine *e, const char *name, int force, cpod_err *err)
{
	volume_rec v;
	char first[65];
	if (volume_load(e, name, &v, err) < 0)
		return -1;
	volume_rec_free(&v);
	/* with force, as podman: the containers that use it go first (before
	 * the volume lock is taken: removing them may take it too) */
	for (int tries = 0; force && tries < 64 && volume_users(e, name, NULL, first) > 0; tries++) {
		ctr_record c;
		cpod_err e2;
		memset(&c, 0, sizeof(c));
		if (ctr_find(e, first, &c, &e2) < 0) {
			if (e2.code == CPOD_E_NOTFOUND)
				break; /* a container half made or half removed */
			if (err)
				*err = e2;
			return err_prefix(err, "remove volume %s", name);
		}
		int r = ctr_remove(e, &c, true, err);
		ctr_record_free(&c);
		if (r < 0)
			return err_prefix(err, "remove volume %s", name);
	}
	int lock = volume_lock(e, err);
	if (lock < 0)
		return -1;
	int r = volume_remove(e, name, force, err);
	close(lock);
	return r;
}

char *cpod_volume_prune(cpod_engine *e, cpod_err *err)
{
	char **names;
	size_t n;
	buf b = BUF_INIT;
	int lock = volume_lock(e, err);
	if (lock < 0)
		return NULL;
	if (volume_names(e, &names, &n, err) < 0) {
		close(lock);
		return NULL;
	}
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		cpod_err e2;
		if (volume_users(e, names[i], NULL, NULL) > 0)
			continue;
		if (volume_remove(e, names[i], false, &e2) < 0) {
			if (e2.code == CPOD_E_NOTFOUND || e2.code == CPOD_E_STATE)
				continue;
			if (err)
				*err = e2;
			r = -1;
			break;
		}
		r = buf_printf(&b, err, "%s\n", names[i]);
	}
	close(lock);
	volume_names_free(names, n);
	if (r < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b, err);
}
