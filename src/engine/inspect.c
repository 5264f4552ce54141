/*
 * inspect.c — `inspect` of a container, shaped as podman's: the record
 * (state, health, restarts), the OCI config the container runs (path,
 * args, environment, capabilities), its files, its layer, and the Config,
 * HostConfig and Mounts that specgen summarised at create time (built from
 * the OCI config when a record has no summary).
 */
#include "container.h"
#include "network.h"
#include "../base/clock.h"

#define INSPECT_ZERO_TIME "0001-01-01T00:00:00Z"

CPOD_INTERNAL bool ctr_paused(cpod_engine *e, const ctr_record *r)
{
	if (!ctr_running(r))
		return false;
	char *st = cpod_runtime_state(e->rt, r->id, NULL);
	_cleanup_json_ json_doc *d = st ? json_parse(st, strlen(st), NULL, NULL) : NULL;
	free(st);
	const char *s = json_string(json_get(json_root(d), "status"));
	return s && strcmp(s, "paused") == 0;
}

static void inspect_time(json_w *w, const char *key, const char *t)
{
	jw_kstr(w, key, t && *t ? t : INSPECT_ZERO_TIME);
}

static void inspect_state(json_w *w, cpod_engine *e, const ctr_record *r)
{
	bool running = r->status == CTR_RUNNING, paused = running && ctr_paused(e, r);
	jw_key(w, "State");
	jw_obj_begin(w);
	jw_kstr(w, "OciVersion", CPOD_OCI_VERSION);
	jw_kstr(w, "Status", paused ? "paused" : ctr_status_name(r->status));
	jw_kbool(w, "Running", running && !paused);
	jw_kbool(w, "Paused", paused);
	jw_kbool(w, "Restarting", false);
	jw_kbool(w, "OOMKilled", r->oom_killed);
	jw_kbool(w, "Dead", false);
	jw_kint(w, "Pid", running ? r->pid : 0);
	jw_kint(w, "ConmonPid", running ? r->sup_pid : 0);
	jw_kint(w, "ExitCode", r->exit_code);
	jw_kstr(w, "Error", r->timed_out ? "the container ran longer than its --timeout" : "");
	inspect_time(w, "StartedAt", r->started_at);
	inspect_time(w, "FinishedAt", r->finished_at);
	if (r->life.health_cmd) {
		jw_key(w, "Health");
		jw_obj_begin(w);
		jw_kstr(w, "Status", ctr_health_name(r->health));
		jw_kint(w, "FailingStreak", r->health_streak);
		jw_key(w, "Log");
		_cleanup_json_ json_doc *d = r->health_log ?
			json_parse(r->health_log, strlen(r->health_log), NULL, NULL) : NULL;
		if (json_root(d))
			jw_value(w, json_root(d));
		else
			jw_null(w);
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

static void inspect_strings(json_w *w, const char *key, const json_value *arr, size_t from)
{
	jw_key(w, key);
	jw_arr_begin(w);
	for (size_t i = from; i < json_len(arr); i++)
		if (json_string(json_at(arr, i)))
			jw_str(w, json_string(json_at(arr, i)));
	jw_arr_end(w);
}

/* Config: what the OCI config says (hostname, user, env, command...),
 * with what the summary of the create options records (labels, stop
 * signal, health check...) on top of it; sum_cfg may be NULL. */
static void inspect_config(json_w *w, const ctr_record *r, const json_value *spec,
			   const json_value *sum_cfg)
{
	const json_value *p = json_get(spec, "process"), *user = json_get(p, "user");
	int64_t u = 0, g = 0;
	char uid[48];
	json_int64(json_get(user, "uid"), &u);
	json_int64(json_get(user, "gid"), &g);
	snprintf(uid, sizeof(uid), "%lld:%lld", (long long)u, (long long)g);
	jw_key(w, "Config");
	jw_obj_begin(w);
	jw_kstr(w, "Hostname", json_string(json_get(spec, "hostname")) ?: "");
	jw_kstr(w, "Domainname", "");
	jw_kstr(w, "User", uid);
	jw_kbool(w, "Tty", r->life.tty);
	jw_kbool(w, "OpenStdin", r->life.interactive);
	inspect_strings(w, "Env", json_get(p, "env"), 0);
	inspect_strings(w, "Cmd", json_get(p, "args"), 0);
	jw_kstr(w, "Image", r->image_name);
	jw_kstr(w, "WorkingDir", json_string(json_get(p, "cwd")) ?: "/");
	if (!json_get(sum_cfg, "Labels")) {
		jw_key(w, "Labels");
		jw_null(w);
	}
	jw_key(w, "Annotations");
	const json_value *ann = json_get(spec, "annotations");
	if (ann)
		jw_value(w, ann);
	else
		jw_null(w);
	/* a number, as podman 4 prints it */
	jw_kint(w, "StopSignal", r->life.stop_signal);
	if (!json_get(sum_cfg, "StopTimeout"))
		jw_kint(w, "StopTimeout", r->life.stop_timeout);
	for (size_t i = 0; i < json_len(sum_cfg) && sum_cfg->type == JSON_OBJECT; i++) {
		const json_member *m = &sum_cfg->u.obj.members[i];
		if (strcmp(m->key, "StopSignal") == 0)
			continue;
		jw_key(w, m->key);
		jw_value(w, m->value);
	}
	jw_obj_end(w);
}

static void inspect_caps(json_w *w, const char *key, const json_value *list)
{
	inspect_strings(w, key, list, 0);
}

static void inspect_paths(json_w *w, cpod_engine *e, const ctr_record *r)
{
	char dir[PATH_MAX], run[PATH_MAX], p[PATH_MAX];
	if (engine_ctr_path(e, r->id, false, "", dir, sizeof(dir), NULL) < 0 ||
	    engine_ctr_path(e, r->id, true, "", run, sizeof(run), NULL) < 0)
		return;
	static const char *const files[][2] = {
		{ "ResolvConfPath", "resolv.conf" }, { "HostnamePath", "hostname" },
		{ "HostsPath", "hosts" }, { "OCIConfigPath", "config.json" },
	};
	for (size_t i = 0; i < ARRAY_LEN(files); i++)
		if (fs_join(p, sizeof(p), dir, files[i][1], NULL) == 0)
			jw_kstr(w, files[i][0], p);
	jw_kstr(w, "StaticDir", dir);
	jw_kstr(w, "OCIRuntime", "cpod");
	if (fs_join(p, sizeof(p), dir, "ctr.log", NULL) == 0)
		jw_kstr(w, "LogPath", r->life.log_none ? "" : p);
	jw_kstr(w, "Driver", r->copy_rootfs ? "vfs" : "overlay");
	jw_key(w, "GraphDriver");
	jw_obj_begin(w);
	jw_kstr(w, "Name", r->copy_rootfs ? "vfs" : "overlay");
	jw_key(w, "Data");
	jw_obj_begin(w);
	if (r->copy_rootfs) {
		if (fs_join(p, sizeof(p), dir, "rootfs", NULL) == 0)
			jw_kstr(w, "MergedDir", p);
	} else {
		if (fs_join(p, sizeof(p), dir, "upper", NULL) == 0)
			jw_kstr(w, "UpperDir", p);
		if (fs_join(p, sizeof(p), dir, "work", NULL) == 0)
			jw_kstr(w, "WorkDir", p);
		if (r->status == CTR_RUNNING && fs_join(p, sizeof(p), run, "rootfs", NULL) == 0)
			jw_kstr(w, "MergedDir", p);
	}
	jw_obj_end(w);
	jw_obj_end(w);
}

char *cpod_container_inspect(cpod_engine *e, const char *ctr, cpod_err *err)
{
	const json_limits lim = { .max_size = 16u << 20, .max_depth = 64 };
	ctr_record r;
	char path[160];
	buf b = BUF_INIT;
	json_w w;

	if (ctr_find(e, ctr, &r, err) < 0)
		return NULL;
	snprintf(path, sizeof(path), "containers/%s/config.json", r.id);
	_cleanup_json_ json_doc *specd = json_parse_file(e->rootfd, path, &lim, err);
	if (!specd) {
		err_prefix(err, "inspect %s", r.name);
		ctr_record_free(&r);
		return NULL;
	}
	_cleanup_json_ json_doc *sumd = r.summary ? json_parse(r.summary, strlen(r.summary), NULL, NULL) : NULL;
	_cleanup_json_ json_doc *cmdd = r.command ? json_parse(r.command, strlen(r.command), NULL, NULL) : NULL;
	const json_value *spec = json_root(specd), *sum = json_root(sumd), *cmd = json_root(cmdd);
	const json_value *caps = json_get(json_get(spec, "process"), "capabilities");

	jw_init(&w, &b, NULL);
	jw_obj_begin(&w);
	jw_kstr(&w, "Id", r.id);
	jw_kstr(&w, "Created", r.created);
	jw_kstr(&w, "Path", json_string(json_at(cmd, 0)) ?: "");
	inspect_strings(&w, "Args", cmd, 1);
	inspect_state(&w, e, &r);
	jw_kstr(&w, "Image", r.image_id);
	jw_kstr(&w, "ImageDigest", "");
	jw_kstr(&w, "ImageName", r.image_name);
	jw_kstr(&w, "Rootfs", "");
	jw_kstr(&w, "Pod", "");
	inspect_paths(&w, e, &r);
	jw_kstr(&w, "Name", r.name);
	jw_kint(&w, "RestartCount", r.restart_count);
	jw_kstr(&w, "MountLabel", "");
	jw_kstr(&w, "ProcessLabel", "");
	jw_kstr(&w, "AppArmorProfile", "");
	inspect_caps(&w, "EffectiveCaps", json_get(caps, "effective"));
	inspect_caps(&w, "BoundingCaps", json_get(caps, "bounding"));
	jw_key(&w, "ExecIDs");
	jw_arr_begin(&w);
	jw_arr_end(&w);
	jw_key(&w, "Mounts");
	if (json_get(sum, "Mounts"))
		jw_value(&w, json_get(sum, "Mounts"));
	else {
		jw_arr_begin(&w);
		jw_arr_end(&w);
	}
	jw_key(&w, "Dependencies");
	jw_arr_begin(&w);
	jw_arr_end(&w);
	jw_kstr(&w, "Namespace", "");
	jw_kbool(&w, "IsInfra", false);
	jw_kbool(&w, "IsService", false);
	inspect_config(&w, &r, spec, json_get(sum, "Config"));
	jw_key(&w, "NetworkSettings");
	net_write_settings(&w, &r, r.status == CTR_RUNNING);
	jw_key(&w, "HostConfig");
	if (json_get(sum, "HostConfig")) {
		jw_value(&w, json_get(sum, "HostConfig"));
	} else {
		jw_obj_begin(&w);
		jw_key(&w, "RestartPolicy");
		jw_obj_begin(&w);
		jw_kstr(&w, "Name", options_restart_name(r.life.restart));
		jw_kint(&w, "MaximumRetryCount", r.life.max_retries);
		jw_obj_end(&w);
		jw_kbool(&w, "AutoRemove", r.rm);
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
	ctr_record_free(&r);
	if (jw_finish(&w, err) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b, err);
}
