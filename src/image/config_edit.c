/*
 * config_edit.c — building image configs from instructions (see
 * config_edit.h).  Shell forms ("CMD echo hi") become ["/bin/sh", "-c",
 * "echo hi"], JSON forms are taken as they are, as a Containerfile would.
 */
#include "config_edit.h"

static int ce_add(config_list *l, const char *s, size_t len, cpod_err *err)
{
	char **nv = realloc(l->v, (l->n + 2) * sizeof(char *));
	if (!nv)
		return err_nomem(err);
	l->v = nv;
	l->v[l->n] = strndup(s, len);
	if (!l->v[l->n])
		return err_nomem(err);
	l->v[++l->n] = NULL;
	l->set = true;
	return 0;
}

static int ce_adds(config_list *l, const char *s, cpod_err *err)
{
	return ce_add(l, s ? s : "", s ? strlen(s) : 0, err);
}

static void ce_clear(config_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
	l->set = false;
}

static int ce_copy(config_list *l, const char *const *v, size_t n, bool set, cpod_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (ce_adds(l, v[i], err) < 0)
			return -1;
	l->set = set;
	return 0;
}

static int ce_str(char **dst, const char *s, cpod_err *err)
{
	free(*dst);
	*dst = NULL;
	if (!s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : err_nomem(err);
}

CPOD_INTERNAL void config_edit_free(config_edit *c)
{
	free(c->user);
	free(c->working_dir);
	free(c->stop_signal);
	free(c->author);
	free(c->architecture);
	free(c->os);
	free(c->variant);
	free(c->healthcheck_json);
	config_list *lists[] = { &c->env, &c->entrypoint, &c->cmd, &c->volumes, &c->exposed_ports,
				 &c->label_keys, &c->label_values, &c->diff_ids, &c->hist_created,
				 &c->hist_by, &c->hist_comment, &c->hist_empty };
	for (size_t i = 0; i < ARRAY_LEN(lists); i++)
		ce_clear(lists[i]);
	memset(c, 0, sizeof(*c));
}

CPOD_INTERNAL int config_edit_init(config_edit *c, const image_config *base, cpod_err *err)
{
	image_platform host = manifest_host_platform();
	memset(c, 0, sizeof(*c));
	if (!base) {
		if (ce_str(&c->architecture, host.architecture, err) < 0 || ce_str(&c->os, "linux", err) < 0 ||
		    ce_str(&c->variant, host.variant, err) < 0)
			goto fail;
		return 0;
	}
	if (ce_str(&c->architecture, base->architecture ? base->architecture : host.architecture, err) < 0 ||
	    ce_str(&c->os, base->os ? base->os : "linux", err) < 0 ||
	    ce_str(&c->variant, base->variant, err) < 0 || ce_str(&c->user, base->user, err) < 0 ||
	    ce_str(&c->working_dir, base->working_dir, err) < 0 ||
	    ce_str(&c->stop_signal, base->stop_signal, err) < 0 ||
	    ce_str(&c->author, base->author, err) < 0 ||
	    ce_copy(&c->env, base->env, base->n_env, base->n_env > 0, err) < 0 ||
	    ce_copy(&c->entrypoint, base->entrypoint, base->n_entrypoint, base->entrypoint_set, err) < 0 ||
	    ce_copy(&c->cmd, base->cmd, base->n_cmd, base->cmd_set, err) < 0 ||
	    ce_copy(&c->volumes, base->volumes, base->n_volumes, base->n_volumes > 0, err) < 0 ||
	    ce_copy(&c->exposed_ports, base->exposed_ports, base->n_exposed_ports,
		    base->n_exposed_ports > 0, err) < 0)
		goto fail;
	for (size_t i = 0; i < json_len(base->labels); i++) {
		const json_member *m = &base->labels->u.obj.members[i];
		if (ce_adds(&c->label_keys, m->key, err) < 0 ||
		    ce_adds(&c->label_values, json_string(m->value), err) < 0)
			goto fail;
	}
	for (size_t i = 0; i < base->n_diff_ids; i++)
		if (ce_adds(&c->diff_ids, base->diff_ids[i], err) < 0)
			goto fail;
	for (size_t i = 0; i < json_len(base->history); i++) {
		const json_value *h = json_at(base->history, i);
		bool empty = false;
		json_opt_bool(h, "empty_layer", &empty, "history", NULL);
		if (config_edit_add_history(c, json_string(json_get(h, "created")),
					    json_string(json_get(h, "created_by")),
					    json_string(json_get(h, "comment")), empty, err) < 0)
			goto fail;
	}
	if (base->healthcheck) {
		buf b = BUF_INIT;
		json_w w;
		jw_init(&w, &b, NULL);
		jw_value(&w, base->healthcheck);
		if (jw_finish(&w, err) < 0) {
			buf_free(&b);
			goto fail;
		}
		c->healthcheck_json = b.data;
	}
	return 0;
fail:
	config_edit_free(c);
	return -1;
}

CPOD_INTERNAL int config_edit_add_layer(config_edit *c, const char *diff_id, cpod_err *err)
{
	return ce_adds(&c->diff_ids, diff_id, err);
}

CPOD_INTERNAL int config_edit_add_history(config_edit *c, const char *created, const char *created_by,
					  const char *comment, bool empty_layer, cpod_err *err)
{
	if (ce_adds(&c->hist_created, created, err) < 0 || ce_adds(&c->hist_by, created_by, err) < 0 ||
	    ce_adds(&c->hist_comment, comment, err) < 0 ||
	    ce_adds(&c->hist_empty, empty_layer ? "1" : "", err) < 0)
		return -1;
	return 0;
}

CPOD_INTERNAL void config_edit_clear_layers(config_edit *c)
{
	config_list *l[] = { &c->diff_ids, &c->hist_created, &c->hist_by, &c->hist_comment,
			     &c->hist_empty };
	for (size_t i = 0; i < ARRAY_LEN(l); i++)
		ce_clear(l[i]);
}

/* A JSON array of strings into l (replacing it); absent: l unchanged. */
static int ce_json_list(config_list *l, const json_value *arr, cpod_err *err)
{
	if (!json_is(arr, JSON_ARRAY))
		return 0;
	ce_clear(l);
	for (size_t i = 0; i < json_len(arr); i++)
		if (json_string(json_at(arr, i)) && ce_adds(l, json_string(json_at(arr, i)), err) < 0)
			return -1;
	l->set = true;
	return 0;
}

CPOD_INTERNAL int config_edit_from_container(config_edit *c, const json_value *cfg, cpod_err *err)
{
	if (ce_json_list(&c->env, json_get(cfg, "Env"), err) < 0 ||
	    ce_json_list(&c->cmd, json_get(cfg, "Cmd"), err) < 0 ||
	    ce_json_list(&c->entrypoint, json_get(cfg, "Entrypoint"), err) < 0)
		return -1;
	const char *wd = json_string(json_get(cfg, "WorkingDir"));
	const char *user = json_string(json_get(cfg, "User"));
	const char *sig = json_string(json_get(cfg, "StopSignal"));
	if ((wd && *wd && ce_str(&c->working_dir, wd, err) < 0) ||
	    (user && *user && ce_str(&c->user, user, err) < 0) ||
	    (sig && *sig && ce_str(&c->stop_signal, sig, err) < 0))
		return -1;
	const json_value *labels = json_get(cfg, "Labels");
	for (size_t i = 0; json_is(labels, JSON_OBJECT) && i < labels->u.obj.n; i++) {
		const char *k = labels->u.obj.members[i].key;
		const char *v = json_string(labels->u.obj.members[i].value);
		bool seen = false;
		for (size_t j = 0; j < c->label_keys.n && !seen; j++)
			if (strcmp(c->label_keys.v[j], k) == 0) {
				seen = true;
				if (ce_str(&c->label_values.v[j], v ? v : "", err) < 0)
					return -1;
			}
		if (!seen && (ce_adds(&c->label_keys, k, err) < 0 ||
			      ce_adds(&c->label_values, v ? v : "", err) < 0))
			return -1;
	}
	return 0;
}

/* ["a", "b"] or shell form; into l (cleared first). */
static int ce_command(config_list *l, const char *arg, bool allow_shell, const char *what,
		      cpod_err *err)
{
	ce_clear(l);
	l->set = true;
	const char *p = arg;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '[') {
		json_doc *d = json_parse(p, strlen(p), NULL, NULL);
		const json_value *a = json_root(d);
		if (d && json_is(a, JSON_ARRAY)) {
			for (size_t i = 0; i < json_len(a); i++) {
				const char *s = json_string(json_at(a, i));
				if (!s) {
					json_doc_free(d);
					return err_set(err, CPOD_E_INVALID, "%s: a JSON array of strings is expected", what);
				}
				if (ce_adds(l, s, err) < 0) {
					json_doc_free(d);
					return -1;
				}
			}
			json_doc_free(d);
			l->set = true;
			return 0;
		}
		json_doc_free(d);
	}
	if (!allow_shell)
		return err_set(err, CPOD_E_INVALID, "%s: a JSON array is expected", what);
	if (!*p)
		return 0;
	if (ce_adds(l, "/bin/sh", err) < 0 || ce_adds(l, "-c", err) < 0 || ce_adds(l, p, err) < 0)
		return -1;
	return 0;
}

/* "K=V K2=V2" or "K V" (ENV and LABEL), with "quoted values". */
static int ce_pairs(config_list *keys, config_list *values, const char *arg, const char *what,
		    cpod_err *err)
{
	const char *p = arg;
	while (*p == ' ')
		p++;
	const char *eq = strchr(p, '=');
	const char *sp = strpbrk(p, " \t");
	if (!eq || (sp && sp < eq)) {
		/* legacy "K V" form: one pair, the rest of the line is the value */
		if (!sp)
			return err_set(err, CPOD_E_INVALID, "%s %s: NAME=VALUE expected", what, arg);
		const char *v = sp;
		while (*v == ' ' || *v == '\t')
			v++;
		char key[256];
		snprintf(key, sizeof(key), "%.*s", (int)(sp - p), p);
		if (!keys || !values)
			return 0;
		return ce_adds(keys, key, err) < 0 || ce_adds(values, v, err) < 0 ? -1 : 0;
	}
	while (*p) {
		char key[1024], val[8192];
		size_t kl = 0, vl = 0;
		while (*p && *p != '=' && kl + 1 < sizeof(key))
			key[kl++] = *p++;
		key[kl] = '\0';
		if (*p != '=' || kl == 0)
			return err_set(err, CPOD_E_INVALID, "%s %s: NAME=VALUE expected", what, arg);
		p++;
		char quote = (*p == '"' || *p == '\'') ? *p++ : 0;
		while (*p && vl + 1 < sizeof(val)) {
			if (quote ? *p == quote : (*p == ' ' || *p == '\t'))
				break;
			if (*p == '\\' && p[1] && quote != '\'')
				p++;
			val[vl++] = *p++;
		}
		val[vl] = '\0';
		if (quote) {
			if (*p != quote)
				return err_set(err, CPOD_E_INVALID, "%s %s: unterminated quote", what, arg);
			p++;
		}
		if (ce_adds(keys, key, err) < 0 || ce_adds(values, val, err) < 0)
			return -1;
		while (*p == ' ' || *p == '\t')
			p++;
	}
	return 0;
}

/* Sets keys[i] = values[i], replacing an earlier one of the same key. */
static int ce_merge(config_list *keys, config_list *values, const config_list *nk,
		    const config_list *nv, cpod_err *err)
{
	for (size_t i = 0; i < nk->n; i++) {
		size_t k;
		for (k = 0; k < keys->n; k++)
			if (strcmp(keys->v[k], nk->v[i]) == 0)
				break;
		if (k < keys->n) {
			free(values->v[k]);
			values->v[k] = strdup(nv->v[i]);
			if (!values->v[k])
				return err_nomem(err);
		} else if (ce_adds(keys, nk->v[i], err) < 0 || ce_adds(values, nv->v[i], err) < 0) {
			return -1;
		}
	}
	return 0;
}

CPOD_INTERNAL int config_edit_change(config_edit *c, const char *instruction, cpod_err *err)
{
	char word[32];
	const char *p = instruction;
	size_t n = 0;

	while (*p == ' ')
		p++;
	while (*p && *p != ' ' && *p != '=' && n + 1 < sizeof(word))
		word[n++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p), p++;
	word[n] = '\0';
	while (*p == ' ' || *p == '=')
		p++;
	const char *arg = p;

	if (strcmp(word, "CMD") == 0)
		return ce_command(&c->cmd, arg, true, "CMD", err);
	if (strcmp(word, "ENTRYPOINT") == 0)
		return ce_command(&c->entrypoint, arg, true, "ENTRYPOINT", err);
	if (strcmp(word, "ENV") == 0 || strcmp(word, "LABEL") == 0) {
		config_list k = { 0 }, v = { 0 };
		bool env = word[0] == 'E';
		int r = ce_pairs(&k, &v, arg, word, err);
		if (r == 0 && env) {
			/* env is a list of K=V: merge by name */
			config_list ek = { 0 }, ev = { 0 };
			for (size_t i = 0; r == 0 && i < c->env.n; i++) {
				const char *e = c->env.v[i];
				const char *eq = strchr(e, '=');
				size_t kl = eq ? (size_t)(eq - e) : strlen(e);
				if (ce_add(&ek, e, kl, err) < 0 || ce_adds(&ev, eq ? eq + 1 : "", err) < 0)
					r = -1;
			}
			if (r == 0)
				r = ce_merge(&ek, &ev, &k, &v, err);
			if (r == 0) {
				ce_clear(&c->env);
				for (size_t i = 0; r == 0 && i < ek.n; i++) {
					size_t len = strlen(ek.v[i]) + strlen(ev.v[i]) + 2;
					char *kv = malloc(len);
					if (!kv) {
						r = err_nomem(err);
						break;
					}
					snprintf(kv, len, "%s=%s", ek.v[i], ev.v[i]);
					r = ce_adds(&c->env, kv, err);
					free(kv);
				}
			}
			ce_clear(&ek);
			ce_clear(&ev);
		} else if (r == 0) {
			r = ce_merge(&c->label_keys, &c->label_values, &k, &v, err);
		}
		ce_clear(&k);
		ce_clear(&v);
		return r;
	}
	if (strcmp(word, "EXPOSE") == 0 || strcmp(word, "VOLUME") == 0) {
		config_list *l = word[0] == 'E' ? &c->exposed_ports : &c->volumes;
		config_list tmp = { 0 };
		if (word[0] == 'V' && *arg == '[') {
			if (ce_command(&tmp, arg, false, "VOLUME", err) < 0)
				return -1;
		} else {
			char copy[4096];
			snprintf(copy, sizeof(copy), "%s", arg);
			for (char *t = strtok(copy, " \t"); t; t = strtok(NULL, " \t")) {
				char port[64];
				if (word[0] == 'E' && !strchr(t, '/'))
					snprintf(port, sizeof(port), "%s/tcp", t);
				else
					snprintf(port, sizeof(port), "%s", t);
				if (ce_adds(&tmp, word[0] == 'E' ? port : t, err) < 0) {
					ce_clear(&tmp);
					return -1;
				}
			}
		}
		for (size_t i = 0; i < tmp.n; i++) {
			bool have = false;
			for (size_t k = 0; k < l->n; k++)
				have = have || strcmp(l->v[k], tmp.v[i]) == 0;
			if (!have && ce_adds(l, tmp.v[i], err) < 0) {
				ce_clear(&tmp);
				return -1;
			}
		}
		ce_clear(&tmp);
		return 0;
	}
	if (strcmp(word, "USER") == 0)
		return ce_str(&c->user, arg, err);
	if (strcmp(word, "WORKDIR") == 0) {
		if (arg[0] != '/' && c->working_dir && *c->working_dir) {
			/* relative to the previous one */
			size_t len = strlen(c->working_dir) + strlen(arg) + 2;
			char *w = malloc(len);
			if (!w)
				return err_nomem(err);
			snprintf(w, len, "%s/%s", c->working_dir, arg);
			free(c->working_dir);
			c->working_dir = w;
			return 0;
		}
		return ce_str(&c->working_dir, arg, err);
	}
	if (strcmp(word, "STOPSIGNAL") == 0)
		return ce_str(&c->stop_signal, arg, err);
	if (strcmp(word, "ONBUILD") == 0)
		return 0;
	return err_set(err, CPOD_E_INVALID, "--change \"%s\": unknown instruction %s (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)",
		       instruction, word);
}

static void ce_write_list(json_w *w, const char *key, const config_list *l)
{
	jw_key(w, key);
	jw_arr_begin(w);
	for (size_t i = 0; i < l->n; i++)
		jw_str(w, l->v[i]);
	jw_arr_end(w);
}

static void ce_write_set(json_w *w, const char *key, const config_list *l)
{
	jw_key(w, key);
	jw_obj_begin(w);
	for (size_t i = 0; i < l->n; i++) {
		jw_key(w, l->v[i]);
		jw_obj_begin(w);
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

CPOD_INTERNAL char *config_edit_write(const config_edit *c, const char *created, cpod_err *err)
{
	buf b = BUF_INIT;
	json_w w;
	jw_init(&w, &b, NULL);
	jw_obj_begin(&w);
	jw_kstr(&w, "created", created);
	if (c->author)
		jw_kstr(&w, "author", c->author);
	jw_kstr(&w, "architecture", c->architecture);
	jw_kstr(&w, "os", c->os);
	if (c->variant && *c->variant)
		jw_kstr(&w, "variant", c->variant);
	jw_key(&w, "config");
	jw_obj_begin(&w);
	if (c->user && *c->user)
		jw_kstr(&w, "User", c->user);
	if (c->exposed_ports.n)
		ce_write_set(&w, "ExposedPorts", &c->exposed_ports);
	if (c->env.n)
		ce_write_list(&w, "Env", &c->env);
	if (c->entrypoint.set)
		ce_write_list(&w, "Entrypoint", &c->entrypoint);
	if (c->cmd.set)
		ce_write_list(&w, "Cmd", &c->cmd);
	if (c->volumes.n)
		ce_write_set(&w, "Volumes", &c->volumes);
	if (c->working_dir && *c->working_dir)
		jw_kstr(&w, "WorkingDir", c->working_dir);
	if (c->label_keys.n) {
		jw_key(&w, "Labels");
		jw_obj_begin(&w);
		for (size_t i = 0; i < c->label_keys.n; i++)
			jw_kstr(&w, c->label_keys.v[i], c->label_values.v[i]);
		jw_obj_end(&w);
	}
	if (c->stop_signal && *c->stop_signal)
		jw_kstr(&w, "StopSignal", c->stop_signal);
	if (c->healthcheck_json) {
		json_doc *d = json_parse(c->healthcheck_json, strlen(c->healthcheck_json), NULL, NULL);
		if (d) {
			jw_key(&w, "Healthcheck");
			jw_value(&w, json_root(d));
			json_doc_free(d);
		}
	}
	jw_obj_end(&w);
	jw_key(&w, "rootfs");
	jw_obj_begin(&w);
	jw_kstr(&w, "type", "layers");
	ce_write_list(&w, "diff_ids", &c->diff_ids);
	jw_obj_end(&w);
	jw_key(&w, "history");
	jw_arr_begin(&w);
	for (size_t i = 0; i < c->hist_by.n; i++) {
		jw_obj_begin(&w);
		if (*c->hist_created.v[i])
			jw_kstr(&w, "created", c->hist_created.v[i]);
		if (*c->hist_by.v[i])
			jw_kstr(&w, "created_by", c->hist_by.v[i]);
		if (*c->hist_comment.v[i])
			jw_kstr(&w, "comment", c->hist_comment.v[i]);
		if (*c->hist_empty.v[i])
			jw_kbool(&w, "empty_layer", true);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	if (jw_finish(&w, err) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b, err);
}
