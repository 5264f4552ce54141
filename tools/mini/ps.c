/*
 * ps.c — `ps`: containers as a table, ids (-q), JSON, or a Go template,
 * filtered as podman filters them (--filter KEY=VALUE, repeated: the
 * same key matches any of its values, different keys must all match).
 *
 * Filters: id (prefix), name (substring; ^ and $ anchor it), status
 * (created, running, paused, exited), exited (exit code), label (KEY or
 * KEY=VALUE), ancestor (image name or id prefix), health (healthy,
 * unhealthy, starting, none).
 */
#include "cli.h"
#include <stdlib.h>
#include <string.h>

static const char *S(const cpod_json_value *v)
{
	const char *s = cpod_json_str(v);
	return s ? s : "";
}

static bool ps_name_match(const char *name, const char *pat)
{
	size_t pn = strlen(pat), nn = strlen(name);
	bool head = pn && pat[0] == '^', tail = pn > (size_t)head && pat[pn - 1] == '$';
	const char *p = pat + head;
	size_t len = pn - head - tail;
	if (len > nn)
		return false;
	if (head && tail)
		return len == nn && strncmp(name, p, len) == 0;
	if (head)
		return strncmp(name, p, len) == 0;
	if (tail)
		return strncmp(name + nn - len, p, len) == 0;
	for (size_t i = 0; i + len <= nn; i++)
		if (strncmp(name + i, p, len) == 0)
			return true;
	return false;
}

static bool ps_filter_one(const cpod_json_value *c, const char *key, const char *val)
{
	if (strcmp(key, "id") == 0)
		return strncmp(S(cpod_json_get(c, "Id")), val, strlen(val)) == 0;
	if (strcmp(key, "name") == 0)
		return ps_name_match(S(cpod_json_at(cpod_json_get(c, "Names"), 0)), val);
	if (strcmp(key, "status") == 0)
		return strcmp(S(cpod_json_get(c, "State")), val) == 0;
	if (strcmp(key, "exited") == 0)
		return cpod_json_bool(cpod_json_get(c, "Exited")) &&
		       cpod_json_int(cpod_json_get(c, "ExitCode")) == atoll(val);
	if (strcmp(key, "health") == 0) {
		const char *h = S(cpod_json_get(c, "Health"));
		return strcmp(h, strcmp(val, "none") == 0 ? "" : val) == 0;
	}
	if (strcmp(key, "label") == 0) {
		const char *eq = strchr(val, '=');
		char k[256];
		snprintf(k, sizeof(k), "%.*s", eq ? (int)(eq - val) : (int)strlen(val), val);
		const cpod_json_value *l = cpod_json_get(cpod_json_get(c, "Labels"), k);
		return l && (!eq || strcmp(S(l), eq + 1) == 0);
	}
	if (strcmp(key, "ancestor") == 0) {
		const char *img = S(cpod_json_get(c, "Image")), *id = S(cpod_json_get(c, "ImageID"));
		size_t n = strlen(val), in = strlen(img);
		if (n && strncmp(id, val, n) == 0)
			return true;
		if (strcmp(img, val) == 0)
			return true;
		/* "busybox" matches "localhost/busybox:latest" */
		const char *slash = strrchr(img, '/');
		const char *base = slash ? slash + 1 : img;
		size_t bn = strcspn(base, ":@");
		return (strlen(val) == bn && strncmp(base, val, bn) == 0) ||
		       (in > n && img[in - n - 1] == '/' && strcmp(img + in - n, val) == 0);
	}
	return false;
}

static bool ps_filter(const cpod_json_value *c, const cli_list *filters)
{
	/* keys in turn: each must match one of its values, except labels,
	 * which must all match (as podman) */
	for (size_t i = 0; i < filters->n; i++) {
		const char *f = filters->v[i], *eq = strchr(f, '=');
		size_t kn = (size_t)(eq - f);
		if (strncmp(f, "label=", 6) == 0) {
			if (!ps_filter_one(c, "label", f + 6))
				return false;
			continue;
		}
		bool seen_before = false, match = false;
		for (size_t j = 0; j < i; j++)
			if (strncmp(filters->v[j], f, kn + 1) == 0)
				seen_before = true;
		if (seen_before)
			continue;
		char key[32];
		snprintf(key, sizeof(key), "%.*s", (int)kn, f);
		for (size_t j = i; j < filters->n; j++)
			if (strncmp(filters->v[j], f, kn + 1) == 0 &&
			    ps_filter_one(c, key, filters->v[j] + kn + 1))
				match = true;
		if (!match)
			return false;
	}
	return true;
}

static int ps_check_filters(const cli_list *filters)
{
	static const char *const keys[] = { "id", "name", "status", "exited", "label", "ancestor",
					    "health", NULL };
	for (size_t i = 0; i < filters->n; i++) {
		const char *eq = strchr(filters->v[i], '=');
		bool known = false;
		for (size_t k = 0; eq && keys[k]; k++)
			if (strlen(keys[k]) == (size_t)(eq - filters->v[i]) &&
			    strncmp(keys[k], filters->v[i], strlen(keys[k])) == 0)
				known = true;
		if (!known) {
			cli_error("ps: invalid filter \"%s\" (id, name, status, exited, label, ancestor, "
				  "health =VALUE)", filters->v[i]);
			return -1;
		}
		/* a misspelt status would silently match nothing: refuse it, as podman does */
		static const char *const states[] = { "created", "running", "paused", "exited",
						      "stopped", "removing", "unknown", NULL };
		bool valid = strncmp(filters->v[i], "status=", 7) != 0;
		for (size_t k = 0; !valid && states[k]; k++)
			valid = strcmp(eq + 1, states[k]) == 0;
		if (!valid) {
			cli_error("ps: invalid status \"%s\" (created, running, paused, exited, stopped, "
				  "removing, unknown)", eq + 1);
			return -1;
		}
	}
	return 0;
}

typedef struct ps_ctx {
	bool no_trunc;
} ps_ctx;

static void ps_command(const cpod_json_value *c, char *out, size_t n)
{
	const cpod_json_value *args = cpod_json_get(c, "Command");
	out[0] = '\0';
	for (size_t k = 0; k < cpod_json_len(args); k++) {
		size_t l = strlen(out);
		snprintf(out + l, n - l, "%s%s", k ? " " : "", S(cpod_json_at(args, k)));
	}
}

/* The template fields that podman computes. */
static char *ps_field(const char *name, const cpod_json_value *c, void *ctx)
{
	const ps_ctx *p = ctx;
	char tmp[512];
	if (strcmp(name, "ID") == 0) {
		snprintf(tmp, sizeof(tmp), "%.*s", p->no_trunc ? 64 : 12, S(cpod_json_get(c, "Id")));
	} else if (strcmp(name, "Names") == 0) {
		snprintf(tmp, sizeof(tmp), "%s", S(cpod_json_at(cpod_json_get(c, "Names"), 0)));
	} else if (strcmp(name, "Command") == 0) {
		ps_command(c, tmp, sizeof(tmp));
	} else if (strcmp(name, "RunningFor") == 0 || strcmp(name, "CreatedHuman") == 0) {
		cli_ago(S(cpod_json_get(c, "CreatedAt")), tmp, sizeof(tmp));
	} else if (strcmp(name, "Mounts") == 0) {
		const cpod_json_value *m = cpod_json_get(c, "Mounts");
		tmp[0] = '\0';
		for (size_t i = 0; i < cpod_json_len(m); i++) {
			size_t n = strlen(tmp);
			snprintf(tmp + n, sizeof(tmp) - n, "%s%s", i ? "," : "", S(cpod_json_at(m, i)));
		}
	} else if (strcmp(name, "Ports") == 0) {
		/* podman's "0.0.0.0:8080->80/tcp, 127.0.0.1:9000-9001->9000-9001/udp" */
		const cpod_json_value *ps = cpod_json_get(c, "Ports");
		tmp[0] = '\0';
		for (size_t i = 0; i < cpod_json_len(ps); i++) {
			const cpod_json_value *pt = cpod_json_at(ps, i);
			const char *ip = S(cpod_json_get(pt, "host_ip"));
			long long hp = cpod_json_int(cpod_json_get(pt, "host_port"));
			long long cp = cpod_json_int(cpod_json_get(pt, "container_port"));
			long long r = cpod_json_int(cpod_json_get(pt, "range"));
			char hs[32], cs[32];
			if (r > 1) {
				snprintf(hs, sizeof(hs), "%lld-%lld", hp, hp + r - 1);
				snprintf(cs, sizeof(cs), "%lld-%lld", cp, cp + r - 1);
			} else {
				snprintf(hs, sizeof(hs), "%lld", hp);
				snprintf(cs, sizeof(cs), "%lld", cp);
			}
			size_t n = strlen(tmp);
			snprintf(tmp + n, sizeof(tmp) - n, "%s%s:%s->%s/%s", i ? ", " : "",
				 *ip ? ip : "0.0.0.0", hs, cs, S(cpod_json_get(pt, "protocol")));
		}
	} else if (strcmp(name, "Networks") == 0) {
		const cpod_json_value *m = cpod_json_get(c, "Networks");
		tmp[0] = '\0';
		for (size_t i = 0; i < cpod_json_len(m); i++) {
			size_t n = strlen(tmp);
			snprintf(tmp + n, sizeof(tmp) - n, "%s%s", i ? "," : "", S(cpod_json_at(m, i)));
		}
	} else if (strcmp(name, "Pod") == 0 || strcmp(name, "PodName") == 0 ||
		   strcmp(name, "Size") == 0) {
		tmp[0] = '\0';
	} else {
		return NULL;
	}
	return strdup(tmp);
}

int cmd_ps(int argc, char **argv)
{
	bool all = false, quiet = false, no_trunc = false, noheading = false, latest = false;
	const char *format = NULL;
	long last = -1;
	cli_list filters = { 0 };
	const cli_opt opts[] = {
		{ "all", 'a', CLI_BOOL, &all },
		{ "quiet", 'q', CLI_BOOL, &quiet },
		{ "no-trunc", 0, CLI_BOOL, &no_trunc },
		{ "noheading", 0, CLI_BOOL, &noheading },
		{ "format", 0, CLI_STR, &format },
		{ "filter", 'f', CLI_LIST, &filters },
		{ "last", 'n', CLI_INT, &last },
		{ "latest", 'l', CLI_BOOL, &latest },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse("ps", argc, argv, opts, false, &argc) < 0 || ps_check_filters(&filters) < 0)
		return 125;
	if (latest)
		last = 1;
	/* a filter on status or exit code, or --last, looks at every container */
	bool every = all || last >= 0;
	for (size_t i = 0; i < filters.n; i++)
		if (strncmp(filters.v[i], "status=", 7) == 0 || strncmp(filters.v[i], "exited=", 7) == 0)
			every = true;
	char *s = cpod_container_list(cli_engine(), every, &err);
	cpod_json *doc = s ? cpod_json_parse(s, &err) : NULL;
	free(s);
	if (!doc) {
		cli_errorx(&err);
		return 125;
	}
	const cpod_json_value *arr = cpod_json_root(doc);
	/* newest first, as podman lists them */
	size_t n = cpod_json_len(arr), shown = 0;
	const cpod_json_value **rows = calloc(n ? n : 1, sizeof(*rows));
	for (size_t i = 0; rows && i < n; i++) {
		const cpod_json_value *c = cpod_json_at(arr, i);
		if (!ps_filter(c, &filters))
			continue;
		size_t k = shown++;
		while (k > 0 && strcmp(S(cpod_json_get(rows[k - 1], "CreatedAt")), S(cpod_json_get(c, "CreatedAt"))) < 0) {
			rows[k] = rows[k - 1];
			k--;
		}
		rows[k] = c;
	}
	if (last >= 0 && (size_t)last < shown)
		shown = (size_t)last;
	ps_ctx ctx = { no_trunc };
	int rc = 0;
	if (format && strcmp(format, "json") == 0) {
		printf("[");
		for (size_t i = 0; i < shown; i++) {
			char *t = cpod_json_text(rows[i]);
			printf("%s\n %s", i ? "," : "", t ? t : "null");
			free(t);
		}
		printf("%s]\n", shown ? "\n" : "");
	} else if (format) {
		static const char *const headers[] = { "ID", "CONTAINER ID", "RunningFor", "CREATED",
						       "CreatedHuman", "CREATED", NULL };
		char *f = cli_template_unescape(format);
		const char *row = noheading ? f : cli_template_table(stdout, f, headers);
		if (noheading && strncmp(row, "table", 5) == 0)
			row += 5 + strspn(row + 5, " ");
		for (size_t i = 0; i < shown && rc == 0; i++) {
			if (cli_template_fields(stdout, row, rows[i], ps_field, &ctx) < 0)
				rc = 125;
			else
				putchar('\n');
		}
		free(f);
	} else {
		if (!quiet && !noheading)
			printf("%-12s  %-30s %-25s %-16s %-28s %-20s %s\n", "CONTAINER ID", "IMAGE",
			       "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES");
		for (size_t i = 0; i < shown; i++) {
			const cpod_json_value *c = rows[i];
			const char *id = S(cpod_json_get(c, "Id"));
			if (quiet) {
				printf("%.*s\n", no_trunc ? 64 : 12, id);
				continue;
			}
			char cmd[256], created[64];
			ps_command(c, cmd, sizeof(cmd));
			cli_ago(S(cpod_json_get(c, "CreatedAt")), created, sizeof(created));
			char *ports = ps_field("Ports", c, &ctx);
			printf("%-12.*s  %-30s %-25.25s %-16s %-28s %-20s %s\n", no_trunc ? 64 : 12, id,
			       S(cpod_json_get(c, "Image")), cmd, created, S(cpod_json_get(c, "Status")),
			       ports ? ports : "", S(cpod_json_at(cpod_json_get(c, "Names"), 0)));
			free(ports);
		}
	}
	free(rows);
	cpod_json_free(doc);
	return rc;
}
