/*
 * template.c — the part of Go's text/template that scripts pass to
 * podman's --format: {{.Field.Sub}}, {{.}}, {{json .X}}, {{range .X}} and
 * {{if .X}} with {{else}} and {{end}}, pipelines with `|`, the functions
 * json, lower, upper, title, join, len, index, printf, println, truncate,
 * and the {{- -}} trim markers.  Values come from a JSON document (what the
 * library returns), printed as Go prints them: strings bare, arrays as
 * [a b], objects as map[k:v].
 *
 * A template is split into text and actions once; blocks are executed by
 * walking that list, with a skip mode for branches not taken.
 */
#include "cli.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define TPL_MAX_TOKENS 512
#define TPL_MAX_WORDS 16
#define TPL_MAX_DEPTH 32

typedef struct tpl_tok {
	bool action;
	const char *s;
	size_t n;
} tpl_tok;

typedef struct tpl {
	tpl_tok tok[TPL_MAX_TOKENS];
	size_t n;
	const cpod_json_value *root;
	cli_field_fn field;       /* computed fields of the root, or NULL */
	void *field_ctx;
	FILE *out;
	char err[256];
} tpl;

/* A value: a JSON value, or a string/number/bool computed by a function. */
enum tv_kind { TV_NONE, TV_JSON, TV_STR, TV_INT, TV_BOOL };
typedef struct tv {
	enum tv_kind kind;
	const cpod_json_value *j;
	char *s;                 /* owned */
	long long i;
	bool b;
} tv;

static void tv_free(tv *v)
{
	free(v->s);
	v->s = NULL;
}

/* ---------------------------------------------------------------- printing */

static void tpl_print_json(FILE *f, const cpod_json_value *j, bool top)
{
	switch (cpod_json_type(j)) {
	case CPOD_JSON_ABSENT:
		break;
	case CPOD_JSON_NULL:
		fputs(top ? "" : "<nil>", f);
		break;
	case CPOD_JSON_BOOL:
		fputs(cpod_json_bool(j) ? "true" : "false", f);
		break;
	case CPOD_JSON_STRING:
		fputs(cpod_json_str(j), f);
		break;
	case CPOD_JSON_NUMBER: {
		char *t = cpod_json_text(j);
		fputs(t ? t : "", f);
		free(t);
		break;
	}
	case CPOD_JSON_ARRAY:
		fputc('[', f);
		for (size_t i = 0; i < cpod_json_len(j); i++) {
			if (i)
				fputc(' ', f);
			tpl_print_json(f, cpod_json_at(j, i), false);
		}
		fputc(']', f);
		break;
	case CPOD_JSON_OBJECT:
		fputs("map[", f);
		for (size_t i = 0; i < cpod_json_len(j); i++) {
			const char *k = cpod_json_key(j, i);
			fprintf(f, "%s%s:", i ? " " : "", k);
			tpl_print_json(f, cpod_json_get(j, k), false);
		}
		fputc(']', f);
		break;
	}
}

static void tv_print(FILE *f, const tv *v)
{
	switch (v->kind) {
	case TV_NONE:
		break;
	case TV_JSON:
		tpl_print_json(f, v->j, true);
		break;
	case TV_STR:
		fputs(v->s, f);
		break;
	case TV_INT:
		fprintf(f, "%lld", v->i);
		break;
	case TV_BOOL:
		fputs(v->b ? "true" : "false", f);
		break;
	}
}

/* The value as text (malloc'd). */
static char *tv_text(const tv *v)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	if (!f)
		return strdup("");
	tv_print(f, v);
	fclose(f);
	return s;
}

static bool tv_truth(const tv *v)
{
	switch (v->kind) {
	case TV_NONE:
		return false;
	case TV_STR:
		return v->s[0] != '\0';
	case TV_INT:
		return v->i != 0;
	case TV_BOOL:
		return v->b;
	case TV_JSON:
		switch (cpod_json_type(v->j)) {
		case CPOD_JSON_BOOL:
			return cpod_json_bool(v->j);
		case CPOD_JSON_STRING:
			return cpod_json_str(v->j)[0] != '\0';
		case CPOD_JSON_NUMBER:
			return cpod_json_int(v->j) != 0;
		case CPOD_JSON_ARRAY:
		case CPOD_JSON_OBJECT:
			return cpod_json_len(v->j) > 0;
		default:
			return false;
		}
	}
	return false;
}

/* ---------------------------------------------------------------- parsing */

static int tpl_split(tpl *t, const char *s)
{
	t->n = 0;
	while (*s) {
		if (t->n + 1 >= TPL_MAX_TOKENS) {
			snprintf(t->err, sizeof(t->err), "template too long");
			return -1;
		}
		const char *open = strstr(s, "{{");
		if (open != s) {
			size_t n = open ? (size_t)(open - s) : strlen(s);
			t->tok[t->n++] = (tpl_tok){ false, s, n };
			s += n;
			continue;
		}
		const char *close = strstr(s + 2, "}}");
		if (!close) {
			snprintf(t->err, sizeof(t->err), "unclosed action in template");
			return -1;
		}
		const char *a = s + 2, *b = close;
		if (*a == '-' && (a[1] == ' ' || a[1] == '\t' || a[1] == '\n')) {
			/* trim the text before */
			a++;
			if (t->n && !t->tok[t->n - 1].action)
				while (t->tok[t->n - 1].n && isspace((unsigned char)t->tok[t->n - 1].s[t->tok[t->n - 1].n - 1]))
					t->tok[t->n - 1].n--;
		}
		bool trim_after = b - a >= 2 && b[-1] == '-' && isspace((unsigned char)b[-2]);
		if (trim_after)
			b--;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		t->tok[t->n++] = (tpl_tok){ true, a, (size_t)(b - a) };
		s = close + 2;
		if (trim_after)
			while (isspace((unsigned char)*s))
				s++;
	}
	return 0;
}

typedef struct tpl_words {
	char *w[TPL_MAX_WORDS];
	size_t n;
} tpl_words;

static void tpl_words_free(tpl_words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->w[i]);
	w->n = 0;
}

/* Splits an action into words: "quoted strings" (kept with their quotes),
 * `|`, and runs of anything else. */
static int tpl_words_split(tpl *t, const char *s, size_t n, tpl_words *w)
{
	size_t i = 0;
	w->n = 0;
	while (i < n) {
		if (isspace((unsigned char)s[i])) {
			i++;
			continue;
		}
		size_t start = i;
		if (s[i] == '"' || s[i] == '`') {
			char q = s[i++];
			while (i < n && s[i] != q)
				i += s[i] == '\\' && q == '"' && i + 1 < n ? 2 : 1;
			if (i >= n) {
				snprintf(t->err, sizeof(t->err), "unterminated string in template");
				return -1;
			}
			i++;
		} else if (s[i] == '|') {
			i++;
		} else {
			while (i < n && !isspace((unsigned char)s[i]) && s[i] != '|')
				i++;
		}
		if (w->n >= TPL_MAX_WORDS) {
			snprintf(t->err, sizeof(t->err), "too many words in a template action");
			return -1;
		}
		w->w[w->n++] = strndup(s + start, i - start);
	}
	return 0;
}

/* ---------------------------------------------------------------- evaluation */

/* A field path (".A.B", "." or "$.A") from dot. */
static int tpl_field(tpl *t, const char *word, const cpod_json_value *dot, tv *out)
{
	const cpod_json_value *v = dot;
	const char *p = word;
	if (*p == '$') {
		v = t->root;
		p++;
	}
	if (strcmp(p, ".") == 0 || !*p) {
		*out = (tv){ .kind = TV_JSON, .j = v };
		return 0;
	}
	bool first = true;
	while (*p == '.') {
		p++;
		size_t n = strcspn(p, ".");
		char key[128];
		if (n >= sizeof(key)) {
			snprintf(t->err, sizeof(t->err), "field name too long in template");
			return -1;
		}
		memcpy(key, p, n);
		key[n] = '\0';
		p += n;
		if (first && v == t->root && t->field && !*p) {
			char *s = t->field(key, v, t->field_ctx);
			if (s) {
				*out = (tv){ .kind = TV_STR, .s = s };
				return 0;
			}
		}
		first = false;
		v = cpod_json_get(v, key);
	}
	if (*p) {
		snprintf(t->err, sizeof(t->err), "bad field \"%s\" in template", word);
		return -1;
	}
	*out = v ? (tv){ .kind = TV_JSON, .j = v } : (tv){ .kind = TV_NONE };
	return 0;
}

static int tpl_operand(tpl *t, const char *word, const cpod_json_value *dot, tv *out)
{
	if (word[0] == '"' || word[0] == '`') {
		size_t n = strlen(word) - 2;
		char *s = malloc(n + 1), *d = s;
		if (!s)
			return -1;
		for (size_t i = 1; i <= n; i++) {
			if (word[0] == '"' && word[i] == '\\' && i < n) {
				char c = word[++i];
				*d++ = c == 'n' ? '\n' : c == 't' ? '\t' : c;
			} else {
				*d++ = word[i];
			}
		}
		*d = '\0';
		*out = (tv){ .kind = TV_STR, .s = s };
		return 0;
	}
	if (word[0] == '.' || word[0] == '$')
		return tpl_field(t, word, dot, out);
	if (isdigit((unsigned char)word[0]) || word[0] == '-') {
		*out = (tv){ .kind = TV_INT, .i = strtoll(word, NULL, 10) };
		return 0;
	}
	if (strcmp(word, "true") == 0 || strcmp(word, "false") == 0) {
		*out = (tv){ .kind = TV_BOOL, .b = word[0] == 't' };
		return 0;
	}
	snprintf(t->err, sizeof(t->err), "function \"%s\" not defined", word);
	return -1;
}

static int tpl_call(tpl *t, const char *fn, tv *args, size_t n, tv *out)
{
	char *s;
	if (strcmp(fn, "json") == 0 && n == 1) {
		if (args[0].kind == TV_JSON) {
			s = cpod_json_text(args[0].j);
			*out = (tv){ .kind = TV_STR, .s = s ? s : strdup("null") };
		} else if (args[0].kind == TV_STR) {
			/* a string as a JSON string */
			char *q = NULL;
			size_t qn = 0;
			FILE *f = open_memstream(&q, &qn);
			fputc('"', f);
			for (const char *c = args[0].s; *c; c++) {
				if (*c == '"' || *c == '\\')
					fprintf(f, "\\%c", *c);
				else if ((unsigned char)*c < 0x20)
					fprintf(f, "\\u%04x", *c);
				else
					fputc(*c, f);
			}
			fputc('"', f);
			fclose(f);
			*out = (tv){ .kind = TV_STR, .s = q };
		} else {
			*out = (tv){ .kind = TV_STR, .s = tv_text(&args[0]) };
		}
		return 0;
	}
	if ((strcmp(fn, "lower") == 0 || strcmp(fn, "upper") == 0 || strcmp(fn, "title") == 0) && n == 1) {
		s = tv_text(&args[0]);
		bool word_start = true;
		for (char *c = s; *c; c++) {
			if (fn[0] == 'l')
				*c = (char)tolower((unsigned char)*c);
			else if (fn[0] == 'u' || word_start)
				*c = (char)toupper((unsigned char)*c);
			word_start = isspace((unsigned char)*c);
		}
		*out = (tv){ .kind = TV_STR, .s = s };
		return 0;
	}
	if (strcmp(fn, "len") == 0 && n == 1) {
		long long len = args[0].kind == TV_JSON ? (long long)(cpod_json_type(args[0].j) == CPOD_JSON_STRING ?
			strlen(cpod_json_str(args[0].j)) : cpod_json_len(args[0].j)) :
			args[0].kind == TV_STR ? (long long)strlen(args[0].s) : 0;
		*out = (tv){ .kind = TV_INT, .i = len };
		return 0;
	}
	if (strcmp(fn, "join") == 0 && n == 2) {
		char *sep = tv_text(&args[1]), *r = NULL;
		size_t rn = 0;
		FILE *f = open_memstream(&r, &rn);
		if (args[0].kind == TV_JSON && cpod_json_type(args[0].j) == CPOD_JSON_ARRAY) {
			for (size_t i = 0; i < cpod_json_len(args[0].j); i++) {
				if (i)
					fputs(sep, f);
				tpl_print_json(f, cpod_json_at(args[0].j, i), false);
			}
		} else {
			tv_print(f, &args[0]);
		}
		fclose(f);
		free(sep);
		*out = (tv){ .kind = TV_STR, .s = r };
		return 0;
	}
	if (strcmp(fn, "index") == 0 && n == 2 && args[0].kind == TV_JSON) {
		const cpod_json_value *v;
		if (args[1].kind == TV_INT)
			v = cpod_json_at(args[0].j, (size_t)args[1].i);
		else {
			char *k = tv_text(&args[1]);
			v = cpod_json_get(args[0].j, k);
			free(k);
		}
		*out = v ? (tv){ .kind = TV_JSON, .j = v } : (tv){ .kind = TV_NONE };
		return 0;
	}
	if (strcmp(fn, "truncate") == 0 && n == 2) {
		s = tv_text(&args[0]);
		long long max = args[1].kind == TV_INT ? args[1].i : 0;
		if (max >= 0 && (long long)strlen(s) > max)
			s[max] = '\0';
		*out = (tv){ .kind = TV_STR, .s = s };
		return 0;
	}
	if (strcmp(fn, "println") == 0 || strcmp(fn, "print") == 0 || strcmp(fn, "printf") == 0) {
		char *r = NULL;
		size_t rn = 0;
		FILE *f = open_memstream(&r, &rn);
		size_t from = 0;
		if (fn[5] == 'f' && n) {
			/* %s %v %d %q take the arguments in turn; %% is a % */
			char *fmt = tv_text(&args[0]);
			size_t k = 1;
			for (const char *c = fmt; *c; c++) {
				if (*c != '%' || !c[1]) {
					fputc(*c, f);
					continue;
				}
				c++;
				if (*c == '%') {
					fputc('%', f);
				} else if (k < n) {
					if (*c == 'q')
						fputc('"', f);
					tv_print(f, &args[k++]);
					if (*c == 'q')
						fputc('"', f);
				}
			}
			free(fmt);
			from = n;
		}
		for (size_t i = from; i < n; i++) {
			if (i > from && fn[5] == 'l')
				fputc(' ', f);
			tv_print(f, &args[i]);
		}
		if (fn[5] == 'l')
			fputc('\n', f);
		fclose(f);
		*out = (tv){ .kind = TV_STR, .s = r };
		return 0;
	}
	snprintf(t->err, sizeof(t->err), "function \"%s\" not defined (or wrong arguments)", fn);
	return -1;
}

/* words[from..to): a command, with piped (the previous command's value,
 * when there is one) as its last argument. */
static int tpl_command(tpl *t, char **words, size_t n, const cpod_json_value *dot, tv *piped,
		       tv *out)
{
	tv args[TPL_MAX_WORDS + 1];
	size_t na = 0;
	int r = -1;
	if (n == 0) {
		snprintf(t->err, sizeof(t->err), "empty command in template");
		return -1;
	}
	bool is_fn = words[0][0] != '.' && words[0][0] != '"' && words[0][0] != '`' &&
		     words[0][0] != '$' && !isdigit((unsigned char)words[0][0]) &&
		     strcmp(words[0], "true") != 0 && strcmp(words[0], "false") != 0;
	if (!is_fn) {
		if (n > 1 || piped) {
			snprintf(t->err, sizeof(t->err), "can't give argument to non-function %s", words[0]);
			return -1;
		}
		return tpl_operand(t, words[0], dot, out);
	}
	for (size_t i = 1; i < n; i++) {
		if (tpl_operand(t, words[i], dot, &args[na]) < 0)
			goto out;
		na++;
	}
	if (piped) {
		args[na++] = *piped;
		*piped = (tv){ .kind = TV_NONE };
	}
	r = tpl_call(t, words[0], args, na, out);
out:
	for (size_t i = 0; i < na; i++)
		tv_free(&args[i]);
	return r;
}

static int tpl_pipeline(tpl *t, char **words, size_t n, const cpod_json_value *dot, tv *out)
{
	tv cur = { .kind = TV_NONE };
	bool have = false;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && strcmp(words[i], "|") != 0)
			continue;
		tv next;
		if (tpl_command(t, words + start, i - start, dot, have ? &cur : NULL, &next) < 0) {
			tv_free(&cur);
			return -1;
		}
		tv_free(&cur);
		cur = next;
		have = true;
		start = i + 1;
	}
	*out = cur;
	return 0;
}

/* ---------------------------------------------------------------- blocks */

enum tpl_stop { TPL_STOP_EOF, TPL_STOP_ELSE, TPL_STOP_END };

static bool tpl_is(const tpl_tok *k, const char *word)
{
	size_t n = strlen(word);
	return k->action && k->n >= n && strncmp(k->s, word, n) == 0 &&
	       (k->n == n || isspace((unsigned char)k->s[n]));
}

/* Runs tokens from *i (emit: printing, else only walking) until the else
 * or end that closes this block, left in *i. */
static int tpl_block(tpl *t, size_t *i, const cpod_json_value *dot, bool emit, int depth,
		     enum tpl_stop *stop)
{
	if (depth > TPL_MAX_DEPTH) {
		snprintf(t->err, sizeof(t->err), "template nested too deep");
		return -1;
	}
	while (*i < t->n) {
		const tpl_tok *k = &t->tok[*i];
		if (!k->action) {
			if (emit)
				fwrite(k->s, 1, k->n, t->out);
			(*i)++;
			continue;
		}
		if (tpl_is(k, "end") || tpl_is(k, "else")) {
			*stop = tpl_is(k, "end") ? TPL_STOP_END : TPL_STOP_ELSE;
			return 0;
		}
		if (k->n >= 2 && k->s[0] == '/' && k->s[1] == '*') {
			(*i)++;
			continue;
		}
		bool is_range = tpl_is(k, "range"), is_if = tpl_is(k, "if"), is_with = tpl_is(k, "with");
		tpl_words w;
		size_t skip = is_range ? 5 : is_if ? 2 : is_with ? 4 : 0;
		if (tpl_words_split(t, k->s + skip, k->n - skip, &w) < 0)
			return -1;
		tv v = { .kind = TV_NONE };
		if (emit && tpl_pipeline(t, w.w, w.n, dot, &v) < 0) {
			tpl_words_free(&w);
			return -1;
		}
		tpl_words_free(&w);
		(*i)++;
		if (!is_range && !is_if && !is_with) {
			if (emit)
				tv_print(t->out, &v);
			tv_free(&v);
			continue;
		}
		/* a block: its body, then maybe an else part, then end */
		enum tpl_stop st;
		size_t body = *i;
		bool ran = false;
		if (is_range) {
			const cpod_json_value *c = v.kind == TV_JSON ? v.j : NULL;
			size_t n = emit && (cpod_json_type(c) == CPOD_JSON_ARRAY ||
					    cpod_json_type(c) == CPOD_JSON_OBJECT) ? cpod_json_len(c) : 0;
			for (size_t e = 0; e < n; e++) {
				const cpod_json_value *el = cpod_json_type(c) == CPOD_JSON_ARRAY ? cpod_json_at(c, e) :
					cpod_json_get(c, cpod_json_key(c, e));
				*i = body;
				if (tpl_block(t, i, el, true, depth + 1, &st) < 0)
					goto fail;
				ran = true;
			}
			if (!ran) {
				*i = body;
				if (tpl_block(t, i, dot, false, depth + 1, &st) < 0)
					goto fail;
			}
		} else {
			ran = emit && tv_truth(&v);
			const cpod_json_value *inner = is_with && v.kind == TV_JSON ? v.j : dot;
			if (tpl_block(t, i, inner, ran, depth + 1, &st) < 0)
				goto fail;
		}
		if (st == TPL_STOP_ELSE) {
			(*i)++;
			if (tpl_block(t, i, dot, emit && !ran, depth + 1, &st) < 0)
				goto fail;
		}
		if (st != TPL_STOP_END) {
			snprintf(t->err, sizeof(t->err), "unexpected EOF: a block has no {{end}}");
			goto fail;
		}
		(*i)++;
		tv_free(&v);
		continue;
fail:
		tv_free(&v);
		return -1;
	}
	*stop = TPL_STOP_EOF;
	return 0;
}

int cli_template(FILE *out, const char *tmpl, const cpod_json_value *v)
{
	return cli_template_fields(out, tmpl, v, NULL, NULL);
}

int cli_template_fields(FILE *out, const char *tmpl, const cpod_json_value *v, cli_field_fn field,
			void *ctx)
{
	tpl *t = calloc(1, sizeof(*t));
	enum tpl_stop stop;
	size_t i = 0;
	int r = -1;
	if (!t)
		return -1;
	t->root = v;
	t->out = out;
	t->field = field;
	t->field_ctx = ctx;
	if (tpl_split(t, tmpl) == 0 && tpl_block(t, &i, v, true, 0, &stop) == 0) {
		if (stop == TPL_STOP_EOF)
			r = 0;
		else
			snprintf(t->err, sizeof(t->err), "unexpected {{%s}}", stop == TPL_STOP_END ? "end" : "else");
	}
	if (r < 0)
		cli_error("template: %s", t->err[0] ? t->err : "out of memory");
	free(t);
	return r;
}

char *cli_template_unescape(const char *format)
{
	char *s = strdup(format), *d = s;
	if (!s)
		return NULL;
	for (const char *p = format; *p; p++) {
		if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
			*d++ = p[1] == 't' ? '\t' : '\n';
			p++;
		} else {
			*d++ = *p;
		}
	}
	*d = '\0';
	return s;
}

const char *cli_template_table(FILE *out, const char *format, const char *const *names)
{
	if (strncmp(format, "table", 5) != 0 || (format[5] && !isspace((unsigned char)format[5])))
		return format;
	const char *body = format + 5;
	while (*body == ' ')
		body++;
	/* the header: each action replaced by the name of its field */
	for (const char *p = body; *p;) {
		const char *open = strstr(p, "{{"), *close = open ? strstr(open, "}}") : NULL;
		if (!open || !close) {
			fputs(p, out);
			break;
		}
		fwrite(p, 1, (size_t)(open - p), out);
		const char *f = open + 2;
		while (f < close && (*f == ' ' || *f == '-'))
			f++;
		/* the last word of the action: the field a function is applied to */
		const char *last = f;
		for (const char *c = f; c < close; c++)
			if (c[0] == ' ' && c[1] != ' ' && c[1] != '-' && c + 1 < close)
				last = c + 1;
		if (*last == '.')
			last++;
		size_t n = strcspn(last, " }");
		const char *name = NULL;
		for (size_t i = 0; names && names[i]; i += 2)
			if (strlen(names[i]) == n && strncmp(names[i], last, n) == 0)
				name = names[i + 1];
		if (name)
			fputs(name, out);
		else
			for (size_t i = 0; i < n; i++)
				fputc(toupper((unsigned char)last[i]), out);
		p = close + 2;
	}
	fputc('\n', out);
	return body;
}
