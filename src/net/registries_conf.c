/*
 * registries_conf.c — reading registries.conf and its drop-ins, and what
 * they say about a reference: its registry entry, where to pull it from,
 * the candidates for a short name (see registries_conf.h).
 *
 * The TOML subset is parsed line by line with a cursor; each file goes
 * into a conf of its own, is checked as podman checks it (locations
 * without a scheme, a prefix defined once, wildcards only as *.domain),
 * and is then merged into the result, so a bad drop-in changes nothing.
 */
#include "registries_conf.h"
#include "../base/fs.h"
#include <ctype.h>
#include <dirent.h>

#define RC_MAX_STR 4096
#define RC_MAX_ARRAY 1024
#define RC_MAX_DEPTH_KEYS 4

enum rc_table {
	RC_T_ROOT, RC_T_REGISTRY, RC_T_MIRROR, RC_T_ALIASES,
	RC_T_V1_SEARCH, RC_T_V1_INSECURE, RC_T_V1_BLOCK, RC_T_OTHER,
};

enum rc_type { RC_V_STR, RC_V_BOOL, RC_V_INT, RC_V_ARRAY };

typedef struct rc_value {
	enum rc_type type;
	char *s;                  /* RC_V_STR */
	bool b;
	int64_t i;
	char **arr;               /* RC_V_ARRAY (of strings) */
	size_t n;
} rc_value;

typedef struct rc_parser {
	const char *p, *end;
	int line;
	const char *where;
	cpod_err *err;
	enum rc_table table;
	registries_conf *c;       /* this file's own */
	bool v1, v2;
	char **v1_lists[3];       /* search, insecure, block */
	size_t v1_n[3];
} rc_parser;

/* ---------------------------------------------------------------- memory */

static void rc_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void rc_value_free(rc_value *v)
{
	free(v->s);
	rc_strv_free(v->arr, v->n);
	memset(v, 0, sizeof(*v));
}

static void rc_registry_free(regconf_registry *r)
{
	free(r->prefix);
	free(r->location);
	for (size_t i = 0; i < r->n_mirrors; i++)
		free(r->mirrors[i].location);
	memset(r, 0, sizeof(*r));
}

CPOD_INTERNAL void regconf_init(registries_conf *c)
{
	memset(c, 0, sizeof(*c));
}

CPOD_INTERNAL void regconf_free(registries_conf *c)
{
	rc_strv_free(c->search, c->n_search);
	for (size_t i = 0; i < c->n_regs; i++)
		rc_registry_free(&c->regs[i]);
	free(c->regs);
	for (size_t i = 0; i < c->n_aliases; i++) {
		free(c->aliases[i].name);
		free(c->aliases[i].value);
	}
	free(c->aliases);
	memset(c, 0, sizeof(*c));
}

/* ---------------------------------------------------------------- lexing */

static int rc_fail(rc_parser *ps, const char *what)
{
	return err_set(ps->err, CPOD_E_INVALID, "%s:%d: %s", ps->where, ps->line, what);
}

static void rc_skip_ws(rc_parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
}

/* Past spaces and a comment: at a newline or the end.  Else an error. */
static int rc_end_of_line(rc_parser *ps)
{
	rc_skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '#')
		while (ps->p < ps->end && *ps->p != '\n')
			ps->p++;
	if (ps->p < ps->end && *ps->p == '\r' && ps->p + 1 < ps->end && ps->p[1] == '\n')
		ps->p++;
	if (ps->p < ps->end && *ps->p != '\n')
		return rc_fail(ps, "unexpected text after the value");
	return 0;
}

/* Spaces, comments and newlines (inside an array). */
static void rc_skip_blank(rc_parser *ps)
{
	for (;;) {
		rc_skip_ws(ps);
		if (ps->p >= ps->end)
			return;
		if (*ps->p == '#') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		} else if (*ps->p == '\n') {
			ps->p++;
			ps->line++;
		} else if (*ps->p == '\r' && ps->p + 1 < ps->end && ps->p[1] == '\n') {
			ps->p++;
		} else {
			return;
		}
	}
}

static int rc_utf8(uint32_t cp, char *out, size_t *o, size_t cap)
{
	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || *o + 4 >= cap)
		return -1;
	if (cp < 0x80) {
		out[(*o)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*o)++] = (char)(0xc0 | cp >> 6);
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*o)++] = (char)(0xe0 | cp >> 12);
		out[(*o)++] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*o)++] = (char)(0xf0 | cp >> 18);
		out[(*o)++] = (char)(0x80 | (cp >> 12 & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	}
	return 0;
}

/* A "basic" or 'literal' string on one line; *out is malloc'd. */
static int rc_string(rc_parser *ps, char **out)
{
	char q = *ps->p;
	char b[RC_MAX_STR];
	size_t o = 0;

	*out = NULL;
	if (ps->p + 2 < ps->end && ps->p[1] == q && ps->p[2] == q)
		return rc_fail(ps, "multi-line strings are not supported");
	ps->p++;
	for (;;) {
		if (ps->p >= ps->end || *ps->p == '\n')
			return rc_fail(ps, "unterminated string");
		unsigned char ch = (unsigned char)*ps->p++;
		if (ch == (unsigned char)q)
			break;
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return rc_fail(ps, "control character in a string");
		if (ch == '\\' && q == '"') {
			if (ps->p >= ps->end)
				return rc_fail(ps, "unterminated string");
			char e = *ps->p++;
			const char *map = "b\bt\tn\nf\fr\r\"\"\\\\";
			const char *m = strchr(map, e);
			if (e && m && ((m - map) % 2) == 0) {
				ch = (unsigned char)m[1];
			} else if (e == 'u' || e == 'U') {
				int digits = e == 'u' ? 4 : 8;
				uint32_t cp = 0;
				for (int k = 0; k < digits; k++) {
					if (ps->p >= ps->end || !isxdigit((unsigned char)*ps->p))
						return rc_fail(ps, "bad \\u escape");
					char h = *ps->p++;
					cp = cp * 16 + (uint32_t)(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
				}
				if (rc_utf8(cp, b, &o, sizeof(b)) < 0)
					return rc_fail(ps, "bad \\u escape or string too long");
				continue;
			} else {
				return rc_fail(ps, "unknown escape in a string");
			}
		}
		if (o + 1 >= sizeof(b))
			return rc_fail(ps, "string too long");
		b[o++] = (char)ch;
	}
	b[o] = '\0';
	if (!(*out = strdup(b)))
		return err_nomem(ps->err);
	return 0;
}

static bool rc_bare_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* A key: bare or quoted, into out. */
static int rc_key(rc_parser *ps, char *out, size_t n)
{
	rc_skip_ws(ps);
	if (ps->p < ps->end && (*ps->p == '"' || *ps->p == '\'')) {
		char *s;
		if (rc_string(ps, &s) < 0)
			return -1;
		if (strlen(s) >= n) {
			free(s);
			return rc_fail(ps, "key too long");
		}
		strcpy(out, s);
		free(s);
		return 0;
	}
	size_t k = 0;
	while (ps->p < ps->end && rc_bare_char(*ps->p)) {
		if (k + 1 >= n)
			return rc_fail(ps, "key too long");
		out[k++] = *ps->p++;
	}
	if (k == 0)
		return rc_fail(ps, "a key is expected");
	out[k] = '\0';
	return 0;
}

static int rc_value_parse(rc_parser *ps, rc_value *v, bool in_array)
{
	memset(v, 0, sizeof(*v));
	rc_skip_ws(ps);
	if (ps->p >= ps->end || *ps->p == '\n')
		return rc_fail(ps, "a value is expected");
	char c = *ps->p;
	if (c == '"' || c == '\'') {
		v->type = RC_V_STR;
		return rc_string(ps, &v->s);
	}
	if (c == '[') {
		if (in_array)
			return rc_fail(ps, "nested arrays are not supported");
		v->type = RC_V_ARRAY;
		ps->p++;
		for (;;) {
			rc_skip_blank(ps);
			if (ps->p >= ps->end)
				return rc_fail(ps, "unterminated array");
			if (*ps->p == ']') {
				ps->p++;
				return 0;
			}
			rc_value item;
			if (rc_value_parse(ps, &item, true) < 0)
				return -1;
			if (item.type != RC_V_STR) {
				rc_value_free(&item);
				return rc_fail(ps, "only arrays of strings are supported");
			}
			if (v->n >= RC_MAX_ARRAY) {
				rc_value_free(&item);
				return rc_fail(ps, "array too long");
			}
			char **nv = realloc(v->arr, (v->n + 1) * sizeof(*nv));
			if (!nv) {
				rc_value_free(&item);
				return err_nomem(ps->err);
			}
			v->arr = nv;
			v->arr[v->n++] = item.s;
			rc_skip_blank(ps);
			if (ps->p < ps->end && *ps->p == ',') {
				ps->p++;
				continue;
			}
			rc_skip_blank(ps);
			if (ps->p < ps->end && *ps->p == ']')
				continue;
			return rc_fail(ps, "',' or ']' expected in an array");
		}
	}
	if (c == '{')
		return rc_fail(ps, "inline tables are not supported");
	const char *s = ps->p;
	while (ps->p < ps->end && (rc_bare_char(*ps->p) || *ps->p == '+' || *ps->p == '.' ||
				   *ps->p == ':'))
		ps->p++;
	size_t len = (size_t)(ps->p - s);
	if (len == 4 && !memcmp(s, "true", 4)) {
		v->type = RC_V_BOOL;
		v->b = true;
		return 0;
	}
	if (len == 5 && !memcmp(s, "false", 5)) {
		v->type = RC_V_BOOL;
		return 0;
	}
	size_t i = (len && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
	bool digits = i < len;
	int64_t val = 0;
	for (; i < len && digits; i++) {
		if (s[i] == '_' && i > 0 && isdigit((unsigned char)s[i - 1]) && i + 1 < len &&
		    isdigit((unsigned char)s[i + 1]))
			continue;
		if (!isdigit((unsigned char)s[i]) || val > (INT64_MAX - 9) / 10)
			digits = false;
		else
			val = val * 10 + (s[i] - '0');
	}
	if (!digits)
		return rc_fail(ps, "unsupported value (strings, booleans, integers and arrays of "
			       "strings only)");
	v->type = RC_V_INT;
	v->i = s[0] == '-' ? -val : val;
	return 0;
}

/* ---------------------------------------------------------------- tables */

static int rc_want(rc_parser *ps, const rc_value *v, enum rc_type t, const char *key)
{
	static const char *const names[] = { "a string", "a boolean", "an integer", "an array" };
	if (v->type == t)
		return 0;
	return err_set(ps->err, CPOD_E_INVALID, "%s:%d: %s must be %s", ps->where, ps->line, key,
		       names[t]);
}

static regconf_registry *rc_cur_registry(rc_parser *ps)
{
	return ps->c->n_regs ? &ps->c->regs[ps->c->n_regs - 1] : NULL;
}

static int rc_pull_from(rc_parser *ps, const char *s, int *out)
{
	if (!strcmp(s, "all"))
		*out = REGCONF_PULL_ALL;
	else if (!strcmp(s, "digest-only"))
		*out = REGCONF_PULL_DIGEST_ONLY;
	else if (!strcmp(s, "tag-only"))
		*out = REGCONF_PULL_TAG_ONLY;
	else
		return rc_fail(ps, "pull-from-mirror must be all, digest-only or tag-only");
	return 0;
}

static int rc_header(rc_parser *ps)
{
	char keys[RC_MAX_DEPTH_KEYS][128], name[600] = "";
	size_t nk = 0;
	bool array = ps->p + 1 < ps->end && ps->p[1] == '[';

	ps->p += array ? 2 : 1;
	for (;;) {
		if (nk == RC_MAX_DEPTH_KEYS)
			return rc_fail(ps, "table name too deep");
		if (rc_key(ps, keys[nk], sizeof(keys[nk])) < 0)
			return -1;
		size_t l = strlen(name);
		snprintf(name + l, sizeof(name) - l, "%s%s", nk ? "." : "", keys[nk]);
		nk++;
		rc_skip_ws(ps);
		if (ps->p < ps->end && *ps->p == '.') {
			ps->p++;
			continue;
		}
		break;
	}
	if (ps->p >= ps->end || *ps->p != ']' ||
	    (array && (ps->p + 1 >= ps->end || ps->p[1] != ']')))
		return rc_fail(ps, array ? "']]' expected" : "']' expected");
	ps->p += array ? 2 : 1;
	if (rc_end_of_line(ps) < 0)
		return -1;

	if (array && !strcmp(name, "registry")) {
		registries_conf *c = ps->c;
		if (c->n_regs >= REGCONF_MAX_REGISTRIES)
			return rc_fail(ps, "too many [[registry]] tables");
		regconf_registry *nr = realloc(c->regs, (c->n_regs + 1) * sizeof(*nr));
		if (!nr)
			return err_nomem(ps->err);
		c->regs = nr;
		memset(&c->regs[c->n_regs++], 0, sizeof(*nr));
		ps->table = RC_T_REGISTRY;
		ps->v2 = true;
	} else if (array && !strcmp(name, "registry.mirror")) {
		regconf_registry *r = rc_cur_registry(ps);
		if (!r)
			return rc_fail(ps, "[[registry.mirror]] outside a [[registry]]");
		if (r->n_mirrors >= REGCONF_MAX_MIRRORS)
			return rc_fail(ps, "too many mirrors");
		memset(&r->mirrors[r->n_mirrors++], 0, sizeof(r->mirrors[0]));
		ps->table = RC_T_MIRROR;
	} else if (array) {
		if (!strcmp(name, "registries") || !strncmp(name, "registry.", 9) ||
		    !strcmp(name, "aliases"))
			return rc_fail(ps, "unexpected [[array]] table");
		ps->table = RC_T_OTHER;
	} else if (!strcmp(name, "aliases")) {
		ps->table = RC_T_ALIASES;
		ps->v2 = true;
	} else if (!strcmp(name, "registries.search")) {
		ps->table = RC_T_V1_SEARCH;
	} else if (!strcmp(name, "registries.insecure")) {
		ps->table = RC_T_V1_INSECURE;
	} else if (!strcmp(name, "registries.block")) {
		ps->table = RC_T_V1_BLOCK;
	} else if (!strcmp(name, "registry") || !strcmp(name, "registry.mirror")) {
		return rc_fail(ps, "[registry] must be written [[registry]]");
	} else {
		ps->table = RC_T_OTHER;
	}
	return 0;
}

static int rc_set_alias(registries_conf *c, const char *name, const char *value, cpod_err *err)
{
	for (size_t i = 0; i < c->n_aliases; i++)
		if (!strcmp(c->aliases[i].name, name)) {
			char *v = strdup(value);
			if (!v)
				return err_nomem(err);
			free(c->aliases[i].value);
			c->aliases[i].value = v;
			return 0;
		}
	if (c->n_aliases >= REGCONF_MAX_ALIASES)
		return err_set(err, CPOD_E_LIMIT, "too many aliases");
	regconf_alias *na = realloc(c->aliases, (c->n_aliases + 1) * sizeof(*na));
	if (!na)
		return err_nomem(err);
	c->aliases = na;
	na[c->n_aliases].name = strdup(name);
	na[c->n_aliases].value = strdup(value);
	if (!na[c->n_aliases].name || !na[c->n_aliases].value) {
		free(na[c->n_aliases].name);
		free(na[c->n_aliases].value);
		return err_nomem(err);
	}
	c->n_aliases++;
	return 0;
}

/* Hands v's string or array over to *dst (freeing what was there). */
static void rc_take_str(char **dst, rc_value *v)
{
	free(*dst);
	*dst = TAKE_PTR(v->s);
}

static int rc_assign(rc_parser *ps, const char *key, rc_value *v)
{
	registries_conf *c = ps->c;
	regconf_registry *r = rc_cur_registry(ps);

	switch (ps->table) {
	case RC_T_ROOT:
		if (!strcmp(key, "unqualified-search-registries")) {
			if (rc_want(ps, v, RC_V_ARRAY, key) < 0)
				return -1;
			if (v->n > REGCONF_MAX_SEARCH)
				return rc_fail(ps, "too many unqualified-search-registries");
			rc_strv_free(c->search, c->n_search);
			c->search = TAKE_PTR(v->arr);
			c->n_search = v->n;
			v->n = 0;
			c->search_set = true;
			ps->v2 = true;
		} else if (!strcmp(key, "short-name-mode")) {
			if (rc_want(ps, v, RC_V_STR, key) < 0)
				return -1;
			if (strcmp(v->s, "enforcing") && strcmp(v->s, "permissive") &&
			    strcmp(v->s, "disabled"))
				return rc_fail(ps, "short-name-mode must be enforcing, permissive or "
					       "disabled");
		} else {
			log_debug("%s:%d: %s ignored", ps->where, ps->line, key);
		}
		return 0;
	case RC_T_REGISTRY:
		if (!strcmp(key, "prefix") || !strcmp(key, "location")) {
			if (rc_want(ps, v, RC_V_STR, key) < 0)
				return -1;
			rc_take_str(!strcmp(key, "prefix") ? &r->prefix : &r->location, v);
		} else if (!strcmp(key, "insecure") || !strcmp(key, "blocked") ||
			   !strcmp(key, "mirror-by-digest-only")) {
			if (rc_want(ps, v, RC_V_BOOL, key) < 0)
				return -1;
			*(key[0] == 'i' ? &r->insecure : key[0] == 'b' ? &r->blocked
								  : &r->mirror_by_digest_only) = v->b;
		} else {
			log_debug("%s:%d: %s ignored", ps->where, ps->line, key);
		}
		return 0;
	case RC_T_MIRROR: {
		regconf_mirror *m = &r->mirrors[r->n_mirrors - 1];
		if (!strcmp(key, "location")) {
			if (rc_want(ps, v, RC_V_STR, key) < 0)
				return -1;
			rc_take_str(&m->location, v);
		} else if (!strcmp(key, "insecure")) {
			if (rc_want(ps, v, RC_V_BOOL, key) < 0)
				return -1;
			m->insecure = v->b;
		} else if (!strcmp(key, "pull-from-mirror")) {
			if (rc_want(ps, v, RC_V_STR, key) < 0 || rc_pull_from(ps, v->s, &m->pull_from) < 0)
				return -1;
		} else {
			log_debug("%s:%d: %s ignored", ps->where, ps->line, key);
		}
		return 0;
	}
	case RC_T_ALIASES:
		if (rc_want(ps, v, RC_V_STR, key) < 0)
			return -1;
		if (!*key || strchr(key, ':') || strchr(key, '@'))
			return rc_fail(ps, "an alias is a name without tag or digest");
		return rc_set_alias(c, key, v->s, ps->err);
	case RC_T_V1_SEARCH:
	case RC_T_V1_INSECURE:
	case RC_T_V1_BLOCK: {
		if (strcmp(key, "registries") != 0)
			return 0;
		if (rc_want(ps, v, RC_V_ARRAY, key) < 0)
			return -1;
		int k = ps->table - RC_T_V1_SEARCH;
		rc_strv_free(ps->v1_lists[k], ps->v1_n[k]);
		ps->v1_lists[k] = TAKE_PTR(v->arr);
		ps->v1_n[k] = v->n;
		v->n = 0;
		ps->v1 = true;
		return 0;
	}
	case RC_T_OTHER:
		return 0;
	}
	return 0;
}

/* ---------------------------------------------------------------- checks */

/* podman's parseLocation: no scheme, no trailing slash. */
static int rc_location(rc_parser *ps, char *s, const char *what)
{
	if (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8))
		return err_set(ps->err, CPOD_E_INVALID, "%s: invalid %s \"%s\": URI schemes are not "
			       "supported", ps->where, what, s);
	size_t l = strlen(s);
	while (l && s[l - 1] == '/')
		s[--l] = '\0';
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '\\')
			return err_set(ps->err, CPOD_E_INVALID, "%s: invalid %s \"%s\"", ps->where,
				       what, s);
	return 0;
}

static bool rc_wildcard(const char *prefix)
{
	return !strncmp(prefix, "*.", 2);
}

static int rc_regv1(rc_parser *ps, const char *loc, bool insecure, bool blocked)
{
	registries_conf *c = ps->c;
	for (size_t i = 0; i < c->n_regs; i++)
		if (!strcmp(c->regs[i].location, loc)) {
			c->regs[i].insecure |= insecure;
			c->regs[i].blocked |= blocked;
			return 0;
		}
	if (c->n_regs >= REGCONF_MAX_REGISTRIES)
		return err_set(ps->err, CPOD_E_LIMIT, "%s: too many registries", ps->where);
	regconf_registry *nr = realloc(c->regs, (c->n_regs + 1) * sizeof(*nr));
	if (!nr)
		return err_nomem(ps->err);
	c->regs = nr;
	regconf_registry *r = &c->regs[c->n_regs++];
	memset(r, 0, sizeof(*r));
	r->location = strdup(loc);
	r->insecure = insecure;
	r->blocked = blocked;
	return r->location ? 0 : err_nomem(ps->err);
}

static int rc_finish(rc_parser *ps)
{
	registries_conf *c = ps->c;

	if (ps->v1 && ps->v2)
		return err_set(ps->err, CPOD_E_INVALID, "%s: mixing the version 1 format "
			       "([registries.*]) and version 2 is not supported", ps->where);
	if (ps->v1) {
		if (ps->v1_n[0] > REGCONF_MAX_SEARCH)
			return err_set(ps->err, CPOD_E_LIMIT, "%s: too many search registries",
				       ps->where);
		c->search = TAKE_PTR(ps->v1_lists[0]);
		c->n_search = ps->v1_n[0];
		ps->v1_n[0] = 0;
		c->search_set = true;
		for (size_t k = 1; k < 3; k++)
			for (size_t i = 0; i < ps->v1_n[k]; i++)
				if (rc_regv1(ps, ps->v1_lists[k][i], k == 1, k == 2) < 0)
					return -1;
	}
	for (size_t i = 0; i < c->n_search; i++)
		if (rc_location(ps, c->search[i], "unqualified-search registry") < 0)
			return -1;
	for (size_t i = 0; i < c->n_regs; i++) {
		regconf_registry *r = &c->regs[i];
		if (!r->location && !(r->location = strdup("")))
			return err_nomem(ps->err);
		if (rc_location(ps, r->location, "location") < 0)
			return -1;
		if (!r->prefix || !*r->prefix) {
			if (!*r->location)
				return err_set(ps->err, CPOD_E_INVALID, "%s: a [[registry]] needs a "
					       "location or a prefix", ps->where);
			free(r->prefix);
			if (!(r->prefix = strdup(r->location)))
				return err_nomem(ps->err);
		} else {
			if (rc_location(ps, r->prefix, "prefix") < 0)
				return -1;
			if (rc_wildcard(r->prefix)) {
				const char *d = r->prefix + 2;
				if (!*d || strpbrk(d, "/*:@"))
					return err_set(ps->err, CPOD_E_INVALID, "%s: invalid prefix "
						       "\"%s\": a wildcard is *.domain", ps->where,
						       r->prefix);
			} else if (strchr(r->prefix, '*')) {
				return err_set(ps->err, CPOD_E_INVALID, "%s: invalid prefix \"%s\"",
					       ps->where, r->prefix);
			} else if (!*r->location) {
				return err_set(ps->err, CPOD_E_INVALID, "%s: [[registry]] \"%s\": "
					       "location is unset and the prefix is not *.domain",
					       ps->where, r->prefix);
			}
		}
		for (size_t m = 0; m < r->n_mirrors; m++) {
			if (!r->mirrors[m].location || !*r->mirrors[m].location)
				return err_set(ps->err, CPOD_E_INVALID, "%s: a mirror of \"%s\" has no "
					       "location", ps->where, r->prefix);
			if (rc_location(ps, r->mirrors[m].location, "mirror location") < 0)
				return -1;
		}
		for (size_t k = 0; k < i; k++)
			if (!strcmp(c->regs[k].prefix, r->prefix))
				return err_set(ps->err, CPOD_E_INVALID, "%s: registry \"%s\" is "
					       "defined more than once", ps->where, r->prefix);
	}
	return 0;
}

/* Merges a checked file's conf into c, emptying it. */
static int rc_merge(registries_conf *c, registries_conf *f, cpod_err *err)
{
	if (f->search_set) {
		rc_strv_free(c->search, c->n_search);
		c->search = TAKE_PTR(f->search);
		c->n_search = f->n_search;
		f->n_search = 0;
		c->search_set = true;
	}
	for (size_t i = 0; i < f->n_regs; i++) {
		size_t k;
		for (k = 0; k < c->n_regs; k++)
			if (!strcmp(c->regs[k].prefix, f->regs[i].prefix))
				break;
		if (k == c->n_regs) {
			if (c->n_regs >= REGCONF_MAX_REGISTRIES)
				return err_set(err, CPOD_E_LIMIT, "too many registries");
			regconf_registry *nr = realloc(c->regs, (c->n_regs + 1) * sizeof(*nr));
			if (!nr)
				return err_nomem(err);
			c->regs = nr;
			c->n_regs++;
		} else {
			rc_registry_free(&c->regs[k]);
		}
		c->regs[k] = f->regs[i];
		memset(&f->regs[i], 0, sizeof(f->regs[i]));
	}
	for (size_t i = 0; i < f->n_aliases; i++)
		if (rc_set_alias(c, f->aliases[i].name, f->aliases[i].value, err) < 0)
			return -1;
	return 0;
}

CPOD_INTERNAL int regconf_parse(registries_conf *c, const char *text, size_t len,
				const char *where, cpod_err *err)
{
	registries_conf f;
	rc_parser ps = { .p = text, .end = text + len, .line = 1, .where = where, .err = err,
			 .table = RC_T_ROOT, .c = &f };
	char key[256];
	int r = -1;

	regconf_init(&f);
	if (len > REGCONF_MAX_FILE) {
		err_set(err, CPOD_E_LIMIT, "%s: larger than %u bytes", where, REGCONF_MAX_FILE);
		goto out;
	}
	if (memchr(text, '\0', len)) {
		err_set(err, CPOD_E_INVALID, "%s: a NUL byte in the file", where);
		goto out;
	}
	while (ps.p < ps.end) {
		rc_skip_blank(&ps);
		if (ps.p >= ps.end)
			break;
		if (*ps.p == '[') {
			if (rc_header(&ps) < 0)
				goto out;
			continue;
		}
		if (rc_key(&ps, key, sizeof(key)) < 0)
			goto out;
		rc_skip_ws(&ps);
		if (ps.p < ps.end && *ps.p == '.') {
			rc_fail(&ps, "dotted keys are not supported");
			goto out;
		}
		if (ps.p >= ps.end || *ps.p != '=') {
			rc_fail(&ps, "'=' expected after a key");
			goto out;
		}
		ps.p++;
		rc_value v;
		int line = ps.line;
		if (rc_value_parse(&ps, &v, false) < 0) {
			rc_value_free(&v);
			goto out;
		}
		int saved = ps.line;
		ps.line = line;
		int a = rc_assign(&ps, key, &v);
		ps.line = saved;
		rc_value_free(&v);
		if (a < 0 || rc_end_of_line(&ps) < 0)
			goto out;
	}
	if (rc_finish(&ps) < 0 || rc_merge(c, &f, err) < 0)
		goto out;
	r = 0;
out:
	for (size_t k = 0; k < 3; k++)
		rc_strv_free(ps.v1_lists[k], ps.v1_n[k]);
	regconf_free(&f);
	return r;
}

/* ---------------------------------------------------------------- files */

static int rc_load_file(registries_conf *c, const char *path, bool *found, cpod_err *err)
{
	_cleanup_buf_ buf b = BUF_INIT;
	cpod_err e;

	*found = false;
	if (fs_read_file(AT_FDCWD, path, REGCONF_MAX_FILE + 1, &b, &e) < 0) {
		if (e.errno_ == ENOENT)
			return 0;
		if (err)
			*err = e;
		return -1;
	}
	*found = true;
	return regconf_parse(c, b.data ? b.data : "", b.len, path, err);
}

static int rc_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.conf files of dir, in name order. */
static int rc_load_dir(registries_conf *c, const char *dir, cpod_err *err)
{
	DIR *d = opendir(dir);
	char *names[REGCONF_MAX_DROPINS];
	size_t n = 0;
	struct dirent *de;
	int r = 0;

	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 : err_sys(err, "open %s", dir);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".conf") != 0)
			continue;
		if (n == ARRAY_LEN(names)) {
			r = err_set(err, CPOD_E_LIMIT, "%s: too many drop-in files", dir);
			break;
		}
		if (!(names[n] = strdup(de->d_name))) {
			r = err_nomem(err);
			break;
		}
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), rc_name_cmp);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];
		bool found;
		if (r == 0 && fs_join(path, sizeof(path), dir, names[i], err) < 0)
			r = -1;
		if (r == 0 && rc_load_file(c, path, &found, err) < 0)
			r = -1;
		free(names[i]);
	}
	return r;
}

CPOD_INTERNAL int regconf_load(registries_conf *c, cpod_err *err)
{
	const char *env = getenv("CONTAINERS_REGISTRIES_CONF");
	const char *home = getenv("HOME");
	const char *cfg = getenv("XDG_CONFIG_HOME");
	char user_file[PATH_MAX] = "", user_dir[PATH_MAX] = "", path[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	bool found;

	regconf_init(c);
	if (cfg && *cfg) {
		snprintf(user_file, sizeof(user_file), "%s/containers/registries.conf", cfg);
		snprintf(user_dir, sizeof(user_dir), "%s/containers/registries.conf.d", cfg);
	} else if (home && *home && geteuid() != 0) {
		snprintf(user_file, sizeof(user_file), "%s/.config/containers/registries.conf", home);
		snprintf(user_dir, sizeof(user_dir), "%s/.config/containers/registries.conf.d", home);
	}
	if (env && *env) {
		/* tests and users pointing elsewhere: nothing of the host's */
		const char *base;
		if (strlen(env) >= sizeof(path))
			return err_set(err, CPOD_E_LIMIT, "CONTAINERS_REGISTRIES_CONF too long");
		strcpy(path, env);
		fs_split(path, dir, sizeof(dir), &base);
		if (fs_join(dir, sizeof(dir), dir, "registries.conf.d", err) < 0)
			goto fail;
		user_dir[0] = '\0';
	} else if (user_file[0] && stat(user_file, &st) == 0) {
		strcpy(path, user_file);
		strcpy(dir, user_dir);
		user_dir[0] = '\0';
	} else {
		strcpy(path, "/etc/containers/registries.conf");
		strcpy(dir, "/etc/containers/registries.conf.d");
	}
	if (rc_load_file(c, path, &found, err) < 0)
		goto fail;
	if (found)
		snprintf(c->files[c->n_files++], PATH_MAX, "%s", path);
	if (rc_load_dir(c, dir, err) < 0)
		goto fail;
	if (user_dir[0] && rc_load_dir(c, user_dir, err) < 0)
		goto fail;
	return 0;
fail:
	regconf_free(c);
	return err_prefix(err, "registries.conf");
}

/* ---------------------------------------------------------------- queries */

/* podman's refMatchingPrefix: how much of ref the prefix matches (at a
 * boundary: the end, '/', ':' or '@'), -1 when it does not. */
static ssize_t rc_match(const char *ref, const char *prefix)
{
	size_t pl = strlen(prefix), rl = strlen(ref);
	if (rc_wildcard(prefix)) {
		/* *.example.com: a host under example.com, before any '/' */
		const char *dom = prefix + 1;
		size_t hl = strcspn(ref, "/");
		const char *hit = NULL;
		for (const char *p = ref; (p = strstr(p, dom)) && (size_t)(p - ref) < hl; p++)
			hit = p;
		if (!hit)
			return -1;
		size_t end = (size_t)(hit - ref) + strlen(dom);
		if (end > hl || (end < rl && !strchr(":/@", ref[end])))
			return -1;
		return (ssize_t)end;
	}
	if (rl < pl || strncmp(ref, prefix, pl) != 0)
		return -1;
	if (rl == pl || strchr(":/@", ref[pl]))
		return (ssize_t)pl;
	return -1;
}

CPOD_INTERNAL const regconf_registry *regconf_find(const registries_conf *c, const char *ref)
{
	const regconf_registry *best = NULL;
	ssize_t best_len = -1;
	for (size_t i = 0; i < c->n_regs; i++) {
		ssize_t m = rc_match(ref, c->regs[i].prefix);
		if (m > best_len) {
			best = &c->regs[i];
			best_len = m;
		}
	}
	return best;
}

static int rc_rewrite(const char *ref, const char *prefix, const char *location, char *out,
		      size_t n, cpod_err *err)
{
	ssize_t m = rc_match(ref, prefix);
	if (m < 0 || !*location)
		m = 0, location = "";
	int w = snprintf(out, n, "%s%s", location, ref + m);
	if (w < 0 || (size_t)w >= n)
		return err_set(err, CPOD_E_LIMIT, "rewritten reference too long");
	return 0;
}

CPOD_INTERNAL int regconf_pull_sources(const registries_conf *c, const char *ref,
				       regconf_source *out, size_t max, size_t *n, cpod_err *err)
{
	const regconf_registry *r = regconf_find(c, ref);
	bool by_digest = strchr(ref, '@') != NULL;

	*n = 0;
	if (max == 0)
		return err_set(err, CPOD_E_LIMIT, "no room for pull sources");
	if (strlen(ref) >= sizeof(out[0].ref))
		return err_set(err, CPOD_E_LIMIT, "reference too long");
	if (!r) {
		strcpy(out[0].ref, ref);
		out[0].insecure = false;
		out[0].mirror = false;
		*n = 1;
		return 0;
	}
	if (r->blocked)
		return err_set(err, CPOD_E_PERM, "registry %s is blocked in registries.conf",
			       r->prefix);
	for (size_t i = 0; i < r->n_mirrors && *n + 1 < max; i++) {
		const regconf_mirror *m = &r->mirrors[i];
		if (r->mirror_by_digest_only && !by_digest)
			continue;
		if ((m->pull_from == REGCONF_PULL_DIGEST_ONLY && !by_digest) ||
		    (m->pull_from == REGCONF_PULL_TAG_ONLY && by_digest))
			continue;
		if (rc_rewrite(ref, r->prefix, m->location, out[*n].ref, sizeof(out[*n].ref), err) < 0)
			return -1;
		out[*n].insecure = m->insecure;
		out[*n].mirror = true;
		(*n)++;
	}
	if (rc_rewrite(ref, r->prefix, r->location, out[*n].ref, sizeof(out[*n].ref), err) < 0)
		return -1;
	out[*n].insecure = r->insecure;
	out[*n].mirror = false;
	(*n)++;
	return 0;
}

CPOD_INTERNAL bool regconf_insecure(const registries_conf *c, const char *ref)
{
	const regconf_registry *r = regconf_find(c, ref);
	return r && r->insecure;
}

CPOD_INTERNAL int regconf_candidates(const registries_conf *c, const char *name, char (*out)[1024],
				     size_t max, size_t *n, cpod_err *err)
{
	size_t base = strcspn(name, "@"), nl = base;

	/* the name without its tag: up to the last ':' after the last '/' */
	for (size_t i = base; i-- > 0;) {
		if (name[i] == '/')
			break;
		if (name[i] == ':') {
			nl = i;
			break;
		}
	}

	*n = 0;
	if (!*name || nl == 0)
		return err_set(err, CPOD_E_INVALID, "empty image name");
	for (size_t i = 0; i < c->n_aliases; i++) {
		const regconf_alias *a = &c->aliases[i];
		if (strlen(a->name) != nl || strncmp(a->name, name, nl) != 0)
			continue;
		if (max == 0)
			return err_set(err, CPOD_E_LIMIT, "no room for candidates");
		int w = snprintf(out[0], sizeof(out[0]), "%s%s", a->value, name + nl);
		if (w < 0 || (size_t)w >= sizeof(out[0]))
			return err_set(err, CPOD_E_LIMIT, "reference too long");
		*n = 1;
		return 0;
	}
	if (c->n_search == 0) {
		int w = snprintf(out[0], sizeof(out[0]), "docker.io/%s", name);
		if (max == 0 || w < 0 || (size_t)w >= sizeof(out[0]))
			return err_set(err, CPOD_E_LIMIT, "reference too long");
		*n = 1;
		return 0;
	}
	for (size_t i = 0; i < c->n_search; i++) {
		if (*n == max)
			return err_set(err, CPOD_E_LIMIT, "too many search registries");
		int w = snprintf(out[*n], sizeof(out[0]), "%s/%s", c->search[i], name);
		if (w < 0 || (size_t)w >= sizeof(out[0]))
			return err_set(err, CPOD_E_LIMIT, "reference too long");
		(*n)++;
	}
	return 0;
}
