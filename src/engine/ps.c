/*
 * ps.c — listing containers (cpod_container_list), in the shape of
 * podman's `ps --format json`: times as seconds since the epoch, the
 * human status ("Up 5 minutes (healthy)", "Exited (0) 2 seconds ago"),
 * labels and mount destinations from the container's summary.
 */
#include "container.h"
#include "network.h"
#include "../base/clock.h"
#include <time.h>

CPOD_INTERNAL void ctr_status_text(const ctr_record *r, char *out, size_t n)
{
	char d[48];
	int64_t now = (int64_t)time(NULL);
	switch (r->status) {
	case CTR_RUNNING: {
		int64_t t = clock_unix(r->started_at);
		cpod_human_duration(t < 0 ? 0 : now - t, d, sizeof(d));
		const char *h = ctr_health_name(r->health);
		snprintf(out, n, "Up %s%s%s%s", d, *h ? " (" : "", h, *h ? ")" : "");
		break;
	}
	case CTR_EXITED: {
		int64_t t = clock_unix(r->finished_at);
		cpod_human_duration(t < 0 ? 0 : now - t, d, sizeof(d));
		snprintf(out, n, "Exited (%d) %s ago", r->exit_code, d);
		break;
	}
	case CTR_CREATED:
		snprintf(out, n, "Created");
		break;
	case CTR_REMOVING:
		snprintf(out, n, "Removing");
		break;
	}
}

/* The summary's Config.Labels and Mounts[].Destination. */
static void ps_from_summary(json_w *w, const ctr_record *r)
{
	_cleanup_json_ json_doc *d = r->summary ? json_parse(r->summary, strlen(r->summary), NULL, NULL) : NULL;
	const json_value *s = json_root(d), *labels = json_get(json_get(s, "Config"), "Labels");
	jw_key(w, "Labels");
	if (json_is(labels, JSON_OBJECT))
		jw_value(w, labels);
	else
		jw_null(w);
	jw_key(w, "Mounts");
	jw_arr_begin(w);
	const json_value *m = json_get(s, "Mounts");
	for (size_t i = 0; i < json_len(m); i++)
		if (json_string(json_get(json_at(m, i), "Destination")))
			jw_str(w, json_string(json_get(json_at(m, i), "Destination")));
	jw_arr_end(w);
}

static int64_t ps_unix(const char *rfc3339)
{
	int64_t t = clock_unix(rfc3339);
	return t < 0 ? 0 : t;
}

char *cpod_container_list(cpod_engine *e, int all, cpod_err *err)
{
	ctr_record *ctrs;
	size_t nc;
	buf b = BUF_INIT;
	json_w w;

	if (ctr_list_all(e, &ctrs, &nc, err) < 0)
		return NULL;
	jw_init(&w, &b, NULL);
	jw_arr_begin(&w);
	for (size_t i = 0; i < nc; i++) {
		const ctr_record *r = &ctrs[i];
		char status[128];
		if (!all && r->status != CTR_RUNNING)
			continue;
		jw_obj_begin(&w);
		jw_kbool(&w, "AutoRemove", r->rm);
		jw_key(&w, "Command");
		_cleanup_json_ json_doc *d = r->command ? json_parse(r->command, strlen(r->command), NULL, NULL) : NULL;
		jw_value(&w, json_root(d));
		jw_kstr(&w, "CreatedAt", r->created);
		jw_kint(&w, "Created", ps_unix(r->created));
		jw_kbool(&w, "Exited", r->status == CTR_EXITED);
		jw_kint(&w, "ExitedAt", ps_unix(r->finished_at));
		jw_kint(&w, "ExitCode", r->exit_code);
		jw_kstr(&w, "Health", ctr_health_name(r->health));
		jw_kstr(&w, "Id", r->id);
		jw_kstr(&w, "Image", r->image_name);
		jw_kstr(&w, "ImageID", r->image_id);
		jw_kbool(&w, "IsInfra", false);
		ps_from_summary(&w, r);
		jw_key(&w, "Names");
		jw_arr_begin(&w);
		jw_str(&w, r->name);
		jw_arr_end(&w);
		jw_kbool(&w, "OOMKilled", r->oom_killed);
		jw_kint(&w, "Pid", r->status == CTR_RUNNING ? r->pid : 0);
		jw_kstr(&w, "Pod", "");
		jw_kstr(&w, "PodName", "");
		net_write_ps(&w, r, r->status == CTR_RUNNING);
		jw_kint(&w, "Restarts", r->restart_count);
		jw_kint(&w, "StartedAt", ps_unix(r->started_at));
		/* paused lives in the runtime's state (the freezer), not the record */
		bool paused = ctr_paused(e, r);
		jw_kstr(&w, "State", paused ? "paused" : ctr_status_name(r->status));
		if (paused)
			snprintf(status, sizeof(status), "Paused");
		else
			ctr_status_text(r, status, sizeof(status));
		jw_kstr(&w, "Status", status);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	ctr_list_free(ctrs, nc);
	if (jw_finish(&w, err) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b, err);
}
