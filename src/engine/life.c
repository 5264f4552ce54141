/*
 * life.c — a container's lifecycle settings (see life.h) as JSON in its
 * record; options.c parses them from the options.
 */
#include "options.h"

CPOD_INTERNAL void life_free(ctr_life *l)
{
	free(l->health_cmd);
	l->health_cmd = NULL;
}

CPOD_INTERNAL void life_write(json_w *w, const ctr_life *l)
{
	jw_obj_begin(w);
	jw_kint(w, "stopSignal", l->stop_signal);
	jw_kint(w, "stopTimeout", l->stop_timeout);
	jw_kint(w, "timeout", l->timeout);
	jw_kstr(w, "restart", options_restart_name(l->restart));
	jw_kint(w, "maxRetries", l->max_retries);
	jw_key(w, "logMaxSize");
	jw_uint(w, l->log_max_size);
	jw_kbool(w, "logNone", l->log_none);
	jw_kbool(w, "interactive", l->interactive);
	jw_kbool(w, "tty", l->tty);
	jw_kstr(w, "detachKeys", l->detach_keys);
	if (l->health_cmd) {
		json_doc *d = json_parse(l->health_cmd, strlen(l->health_cmd), NULL, NULL);
		jw_key(w, "healthCmd");
		jw_value(w, json_root(d));
		json_doc_free(d);
		jw_kint(w, "healthIntervalMs", l->health_interval_ms);
		jw_kint(w, "healthTimeoutMs", l->health_timeout_ms);
		jw_kint(w, "healthStartMs", l->health_start_ms);
		jw_kint(w, "healthRetries", l->health_retries);
	}
	jw_obj_end(w);
}

CPOD_INTERNAL int life_read(const json_value *v, ctr_life *l, cpod_err *err)
{
	int64_t n;
	memset(l, 0, sizeof(*l));
	l->stop_signal = SIGTERM;
	l->stop_timeout = 10;
	if (!json_is(v, JSON_OBJECT))
		return 0;
	if (json_int64(json_get(v, "stopSignal"), &n) && n > 0 && n < NSIG)
		l->stop_signal = (int)n;
	if (json_int64(json_get(v, "stopTimeout"), &n) && n >= 0)
		l->stop_timeout = (int)n;
	if (json_int64(json_get(v, "timeout"), &n) && n >= 0)
		l->timeout = (int)n;
	const char *r = json_string(json_get(v, "restart"));
	for (int i = RESTART_NO; r && i <= RESTART_UNLESS_STOPPED; i++)
		if (strcmp(r, options_restart_name(i)) == 0)
			l->restart = i;
	if (json_int64(json_get(v, "maxRetries"), &n) && n >= 0)
		l->max_retries = (int)n;
	uint64_t u;
	if (json_uint64(json_get(v, "logMaxSize"), &u))
		l->log_max_size = u;
	bool b = false;
	json_opt_bool(v, "logNone", &b, "", NULL);
	l->log_none = b;
	b = false;
	json_opt_bool(v, "interactive", &b, "", NULL);
	l->interactive = b;
	b = false;
	json_opt_bool(v, "tty", &b, "", NULL);
	l->tty = b;
	const char *dk = json_string(json_get(v, "detachKeys"));
	snprintf(l->detach_keys, sizeof(l->detach_keys), "%s", dk ? dk : "ctrl-p,ctrl-q");
	const json_value *hc = json_get(v, "healthCmd");
	if (json_is(hc, JSON_ARRAY)) {
		buf b2 = BUF_INIT;
		json_w w;
		jw_init(&w, &b2, NULL);
		jw_value(&w, hc);
		if (jw_finish(&w, err) < 0) {
			buf_free(&b2);
			return -1;
		}
		l->health_cmd = b2.data;
		json_opt_i64(v, "healthIntervalMs", &l->health_interval_ms, "", NULL);
		json_opt_i64(v, "healthTimeoutMs", &l->health_timeout_ms, "", NULL);
		json_opt_i64(v, "healthStartMs", &l->health_start_ms, "", NULL);
		if (json_int64(json_get(v, "healthRetries"), &n))
			l->health_retries = (int)n;
	}
	return 0;
}
