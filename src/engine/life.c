/*
 * life.c — a container's lifecycle settings (see life.h).
 */
#include "life.h"

CPOD_INTERNAL int life_duration_ms(const char *s, const char *what, int64_t *ms, cpod_err *err)
{
	const char *p = s;
	double total = 0;
	bool any = false;

	if (!s || !*s)
		return err_set(err, CPOD_E_INVALID, "%s: empty duration", what);
	while (*p) {
		char *end;
		double v = strtod(p, &end);
		if (end == p || v < 0)
			return err_set(err, CPOD_E_INVALID, "%s: \"%s\" is not a duration (like 30s, 1m30s, 500ms)",
				       what, s);
		p = end;
		double mul = 1000;
		if (strncmp(p, "ms", 2) == 0)
			mul = 1, p += 2;
		else if (strncmp(p, "us", 2) == 0)
			mul = 0.001, p += 2;
		else if (strncmp(p, "ns", 2) == 0)
			mul = 0.000001, p += 2;
		else if (*p == 's')
			p++;
		else if (*p == 'm')
			mul = 60000, p++;
		else if (*p == 'h')
			mul = 3600000, p++;
		else if (*p && any)
			return err_set(err, CPOD_E_INVALID, "%s: \"%s\" is not a duration", what, s);
		else if (*p)
			return err_set(err, CPOD_E_INVALID, "%s: \"%s\" is not a duration", what, s);
		total += v * mul;
		any = true;
		if (total > 1e13)
			return err_set(err, CPOD_E_INVALID, "%s: \"%s\" is too long", what, s);
	}
	*ms = (int64_t)total;
	return 0;
}

CPOD_INTERNAL int life_signal(const char *s, const char *what, int *sig, cpod_err *err)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
		{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "BUS", SIGBUS }, { "FPE", SIGFPE },
		{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
		{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "STKFLT", SIGSTKFLT },
		{ "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP },
		{ "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG }, { "XCPU", SIGXCPU },
		{ "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
		{ "IO", SIGIO }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
	};
	char *end;
	if (!s || !*s)
		return err_set(err, CPOD_E_INVALID, "%s: empty signal", what);
	long n = strtol(s, &end, 10);
	if (!*end) {
		if (n <= 0 || n >= NSIG)
			return err_set(err, CPOD_E_INVALID, "%s: signal %s out of range", what, s);
		*sig = (int)n;
		return 0;
	}
	const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		if (strcasecmp(names[i].name, name) == 0) {
			*sig = names[i].sig;
			return 0;
		}
	if (strncasecmp(name, "RTMIN+", 6) == 0) {
		n = strtol(name + 6, &end, 10);
		if (!*end && n >= 0 && SIGRTMIN + n <= SIGRTMAX) {
			*sig = SIGRTMIN + (int)n;
			return 0;
		}
	}
	return err_set(err, CPOD_E_INVALID, "%s: unknown signal \"%s\"", what, s);
}

CPOD_INTERNAL int life_size(const char *s, const char *what, uint64_t *bytes, cpod_err *err)
{
	char *end;
	if (!s || !*s)
		return err_set(err, CPOD_E_INVALID, "%s: empty size", what);
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return err_set(err, CPOD_E_INVALID, "%s: \"%s\" is not a size (like 512k, 64m, 1g)", what, s);
	double mul = 1;
	switch (*end) {
	case 'b': case 'B': mul = 1; end++; break;
	case 'k': case 'K': mul = 1024; end++; break;
	case 'm': case 'M': mul = 1024.0 * 1024; end++; break;
	case 'g': case 'G': mul = 1024.0 * 1024 * 1024; end++; break;
	case 't': case 'T': mul = 1024.0 * 1024 * 1024 * 1024; end++; break;
	}
	if ((*end == 'b' || *end == 'B') && mul > 1)
		end++;
	if (*end || v * mul > 9e18)
		return err_set(err, CPOD_E_INVALID, "%s: \"%s\" is not a size (like 512k, 64m, 1g)", what, s);
	*bytes = (uint64_t)(v * mul);
	return 0;
}

/* --health-cmd: a JSON form (["CMD", ...] or ["CMD-SHELL", "..."]) or a
 * shell command; the image's Healthcheck.Test has the JSON form. */
static int life_health_cmd(const char *cmd, const json_value *test, ctr_life *l, cpod_err *err)
{
	buf b = BUF_INIT;
	json_w w;
	json_doc *d = NULL;
	const json_value *arr = test;

	if (!cmd && !test)
		return 0;
	if (cmd) {
		if (strcmp(cmd, "none") == 0)
			return 0;
		if (cmd[0] == '[') {
			d = json_parse(cmd, strlen(cmd), NULL, err);
			if (!d)
				return err_prefix(err, "--health-cmd");
			arr = json_root(d);
		} else {
			arr = NULL;
		}
	}
	jw_init(&w, &b, NULL);
	jw_arr_begin(&w);
	if (cmd && !arr) {
		jw_str(&w, "/bin/sh");
		jw_str(&w, "-c");
		jw_str(&w, cmd);
	} else if (arr) {
		const char *kind = json_string(json_at(arr, 0));
		size_t n = json_len(arr);
		if (!kind || n < 1) {
			json_doc_free(d);
			buf_free(&b);
			return err_set(err, CPOD_E_INVALID, "health check: the command must be a JSON array of strings");
		}
		if (strcmp(kind, "NONE") == 0) {
			json_doc_free(d);
			buf_free(&b);
			return 0;
		}
		if (strcmp(kind, "CMD-SHELL") == 0) {
			jw_str(&w, "/bin/sh");
			jw_str(&w, "-c");
			for (size_t i = 1; i < n; i++)
				jw_str(&w, json_string(json_at(arr, i)) ? json_string(json_at(arr, i)) : "");
		} else {
			for (size_t i = strcmp(kind, "CMD") == 0 ? 1 : 0; i < n; i++) {
				const char *s = json_string(json_at(arr, i));
				if (!s) {
					json_doc_free(d);
					buf_free(&b);
					return err_set(err, CPOD_E_INVALID, "health check: the command must be strings");
				}
				jw_str(&w, s);
			}
		}
	}
	jw_arr_end(&w);
	json_doc_free(d);
	if (jw_finish(&w, err) < 0) {
		buf_free(&b);
		return -1;
	}
	if (strcmp(b.data, "[]") == 0) {
		buf_free(&b);
		return err_set(err, CPOD_E_INVALID, "health check: empty command");
	}
	l->health_cmd = b.data;
	return 0;
}

CPOD_INTERNAL int life_from_opts(const cpod_run_opts *o, const image_config *cfg, ctr_life *l,
				 cpod_err *err)
{
	memset(l, 0, sizeof(*l));
	l->stop_signal = SIGTERM;
	l->stop_timeout = 10;
	l->health_interval_ms = 30000;
	l->health_timeout_ms = 30000;
	l->health_retries = 3;
	l->interactive = o->interactive;
	l->tty = o->tty;
	snprintf(l->detach_keys, sizeof(l->detach_keys), "%s", o->detach_keys ? o->detach_keys : "ctrl-p,ctrl-q");

	const char *stop = o->stop_signal ? o->stop_signal : cfg ? cfg->stop_signal : NULL;
	if (stop && *stop && life_signal(stop, o->stop_signal ? "--stop-signal" : "the image's StopSignal",
				       &l->stop_signal, err) < 0)
		return -1;
	if (o->stop_timeout) {
		char *end;
		long v = strtol(o->stop_timeout, &end, 10);
		if (*end || end == o->stop_timeout || v < 0 || v > 86400 * 365)
			return err_set(err, CPOD_E_INVALID, "--stop-timeout: \"%s\" is not a number of seconds",
				       o->stop_timeout);
		l->stop_timeout = (int)v;
	}
	if (o->timeout) {
		char *end;
		long v = strtol(o->timeout, &end, 10);
		if (*end || end == o->timeout || v < 0 || v > 86400 * 365)
			return err_set(err, CPOD_E_INVALID, "--timeout: \"%s\" is not a number of seconds",
				       o->timeout);
		l->timeout = (int)v;
	}
	if (o->restart && *o->restart) {
		const char *r = o->restart;
		if (strcmp(r, "no") == 0)
			l->restart = RESTART_NO;
		else if (strcmp(r, "always") == 0)
			l->restart = RESTART_ALWAYS;
		else if (strcmp(r, "unless-stopped") == 0)
			l->restart = RESTART_UNLESS_STOPPED;
		else if (strncmp(r, "on-failure", 10) == 0 && (r[10] == '\0' || r[10] == ':')) {
			l->restart = RESTART_ON_FAILURE;
			if (r[10] == ':') {
				char *end;
				long v = strtol(r + 11, &end, 10);
				if (*end || end == r + 11 || v < 0 || v > 1000000)
					return err_set(err, CPOD_E_INVALID, "--restart %s: bad retry count", r);
				l->max_retries = (int)v;
			}
		} else
			return err_set(err, CPOD_E_INVALID,
				       "--restart \"%s\": use no, on-failure[:N], always or unless-stopped", r);
		if (l->restart != RESTART_NO && o->rm)
			return err_set(err, CPOD_E_INVALID, "the --rm option conflicts with --restart");
	}
	for (size_t i = 0; o->log_opts && o->log_opts[i]; i++) {
		const char *opt = o->log_opts[i];
		if (strncmp(opt, "max-size=", 9) == 0) {
			if (life_size(opt + 9, "--log-opt max-size", &l->log_max_size, err) < 0)
				return -1;
		} else if (strncmp(opt, "path=", 5) == 0 || strncmp(opt, "tag=", 4) == 0) {
			continue;
		} else {
			return err_set(err, CPOD_E_INVALID, "--log-opt \"%s\": only max-size= is supported", opt);
		}
	}
	if (o->log_driver && *o->log_driver) {
		if (strcmp(o->log_driver, "none") == 0)
			l->log_none = true;
		else if (strcmp(o->log_driver, "k8s-file") != 0)
			return err_set(err, CPOD_E_INVALID, "--log-driver \"%s\": k8s-file or none", o->log_driver);
	}
	/* health: the options, else the image's */
	const json_value *hc = cfg ? cfg->healthcheck : NULL;
	if (!o->no_healthcheck) {
		if (life_health_cmd(o->health_cmd, o->health_cmd ? NULL : json_get(hc, "Test"), l, err) < 0)
			return -1;
		int64_t ns;
		if (!o->health_interval && json_int64(json_get(hc, "Interval"), &ns) && ns > 0)
			l->health_interval_ms = ns / 1000000;
		if (!o->health_timeout && json_int64(json_get(hc, "Timeout"), &ns) && ns > 0)
			l->health_timeout_ms = ns / 1000000;
		if (!o->health_start_period && json_int64(json_get(hc, "StartPeriod"), &ns) && ns > 0)
			l->health_start_ms = ns / 1000000;
		if (!o->health_retries && json_int64(json_get(hc, "Retries"), &ns) && ns > 0)
			l->health_retries = (int)ns;
	}
	if ((o->health_interval && life_duration_ms(o->health_interval, "--health-interval", &l->health_interval_ms, err) < 0) ||
	    (o->health_timeout && life_duration_ms(o->health_timeout, "--health-timeout", &l->health_timeout_ms, err) < 0) ||
	    (o->health_start_period && life_duration_ms(o->health_start_period, "--health-start-period", &l->health_start_ms, err) < 0))
		return -1;
	if (o->health_retries) {
		char *end;
		long v = strtol(o->health_retries, &end, 10);
		if (*end || end == o->health_retries || v < 1 || v > 1000000)
			return err_set(err, CPOD_E_INVALID, "--health-retries: \"%s\" must be a positive number",
				       o->health_retries);
		l->health_retries = (int)v;
	}
	if (l->health_cmd && l->health_interval_ms < 1) {
		life_free(l);
		return err_set(err, CPOD_E_INVALID, "--health-interval must be positive");
	}
	return 0;
}

CPOD_INTERNAL void life_free(ctr_life *l)
{
	free(l->health_cmd);
	l->health_cmd = NULL;
}

CPOD_INTERNAL void life_write(json_w *w, const ctr_life *l)
{
	static const char *const restarts[] = { "no", "on-failure", "always", "unless-stopped" };
	jw_obj_begin(w);
	jw_kint(w, "stopSignal", l->stop_signal);
	jw_kint(w, "stopTimeout", l->stop_timeout);
	jw_kint(w, "timeout", l->timeout);
	jw_kstr(w, "restart", restarts[l->restart]);
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
	if (r)
		l->restart = strcmp(r, "on-failure") == 0 ? RESTART_ON_FAILURE : strcmp(r, "always") == 0 ? RESTART_ALWAYS
			   : strcmp(r, "unless-stopped") == 0 ? RESTART_UNLESS_STOPPED : RESTART_NO;
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
