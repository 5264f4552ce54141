/*
 * ps.c — listing containers (cpod_container_list).
 */
#include "container.h"

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
		if (!all && r->status != CTR_RUNNING)
			continue;
		jw_obj_begin(&w);
		jw_kstr(&w, "Id", r->id);
		jw_key(&w, "Names");
		jw_arr_begin(&w);
		jw_str(&w, r->name);
		jw_arr_end(&w);
		jw_kstr(&w, "Image", r->image_name);
		jw_kstr(&w, "ImageID", r->image_id);
		jw_key(&w, "Command");
		json_doc *d = r->command ? json_parse(r->command, strlen(r->command), NULL, NULL) : NULL;
		jw_value(&w, json_root(d));
		json_doc_free(d);
		jw_kstr(&w, "CreatedAt", r->created);
		jw_kstr(&w, "State", ctr_status_name(r->status));
		jw_kint(&w, "Pid", r->status == CTR_RUNNING ? r->pid : 0);
		jw_kint(&w, "ExitCode", r->exit_code);
		jw_kbool(&w, "Exited", r->status == CTR_EXITED);
		jw_kstr(&w, "StartedAt", r->started_at);
		jw_kstr(&w, "ExitedAt", r->finished_at);
		jw_kbool(&w, "OOMKilled", r->oom_killed);
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
