/*
 * json.c — strict JSON parsing into an arena-allocated tree, and the writer.
 *
 * The parser is recursive descent with an explicit depth bound.  Items of an
 * array or object being parsed are collected on one shared stack and copied
 * into the arena when the container closes, so nothing is reallocated per
 * value and the tree is compact.  Every failure names the line and column.
 */
#include "json.h"
#include "fs.h"
#include <locale.h>
#include <math.h>

/* ---------------------------------------------------------------- arena */

typedef struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	max_align_t data[];
} arena_chunk;

struct json_doc {
	arena_chunk *chunks;
	json_value *root;
};

static void *arena_alloc(json_doc *doc, size_t size)
{
	arena_chunk *c = doc->chunks;

	size = (size + 15) & ~(size_t)15;
	if (!c || c->size - c->used < size) {
		size_t csize = size > 32768 ? size : 32768;
		c = malloc(sizeof(*c) + csize);
		if (!c)
			return NULL;
		c->size = csize;
		c->used = 0;
		c->next = doc->chunks;
		doc->chunks = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	return p;
}

CPOD_INTERNAL void json_doc_free(json_doc *doc)
{
	if (!doc)
		return;
	for (arena_chunk *c = doc->chunks, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(doc);
}

CPOD_INTERNAL const json_value *json_root(const json_doc *doc)
{
	return doc ? doc->root : NULL;
}

/* ---------------------------------------------------------------- parser */

typedef struct jparser {
	const unsigned char *p, *start, *end;
	json_doc *doc;
	unsigned depth, max_depth;
	size_t values, max_values;
	/* shared stack of pending items (json_value*) and members */
	void **stack;
	size_t sp, scap;
	cpod_err *err;
} jparser;

static int jp_fail(jparser *jp, const char *what)
{
	size_t line = 1, col = 1;
	for (const unsigned char *q = jp->start; q < jp->p && q < jp->end; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	if (jp->p >= jp->end)
		return err_set(jp->err, CPOD_E_INVALID, "JSON: line %zu column %zu: %s (at end of input)",
			       line, col, what);
	return err_set(jp->err, CPOD_E_INVALID, "JSON: line %zu column %zu: %s", line, col, what);
}

static void jp_ws(jparser *jp)
{
	while (jp->p < jp->end &&
	       (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r'))
		jp->p++;
}

static int jp_push(jparser *jp, void *item)
{
	if (jp->sp == jp->scap) {
		size_t ncap = jp->scap ? jp->scap * 2 : 256;
		void **n = realloc(jp->stack, ncap * sizeof(*n));
		if (!n)
			return err_nomem(jp->err);
		jp->stack = n;
		jp->scap = ncap;
	}
	jp->stack[jp->sp++] = item;
	return 0;
}

static json_value *jp_new(jparser *jp, enum json_type t)
{
	json_value *v;

	if (++jp->values > jp->max_values) {
		jp_fail(jp, "too many values");
		jp->err->code = CPOD_E_LIMIT;
		return NULL;
	}
	v = arena_alloc(jp->doc, sizeof(*v));
	if (!v) {
		err_nomem(jp->err);
		return NULL;
	}
	memset(v, 0, sizeof(*v));
	v->type = t;
	return v;
}

/* Length of a valid UTF-8 sequence at p (1..4), or 0 when invalid. */
static size_t utf8_seq_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

static int hex4(const unsigned char *p, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Parses a string at jp->p (the opening quote) into the arena. */
static int jp_string(jparser *jp, const char **out, size_t *out_len, bool *has_nul)
{
	const unsigned char *q = jp->p + 1;
	size_t raw = 0;
	bool escapes = false;

	/* First pass: validate and find the end, so the copy is sized once. */
	while (q < jp->end && *q != '"') {
		if (*q == '\\') {
			escapes = true;
			q += 2;
			raw += 2;
			continue;
		}
		if (*q < 0x20) {
			jp->p = q;
			return jp_fail(jp, "control character in string");
		}
		size_t n = utf8_seq_len(q, jp->end);
		if (!n) {
			jp->p = q;
			return jp_fail(jp, "invalid UTF-8 in string");
		}
		q += n;
		raw += n;
	}
	if (q >= jp->end) {
		jp->p = jp->end;
		return jp_fail(jp, "unterminated string");
	}
	char *o = arena_alloc(jp->doc, raw + 1);
	if (!o)
		return err_nomem(jp->err);
	*out = o;
	*has_nul = false;
	if (!escapes) {
		memcpy(o, jp->p + 1, raw);
		o[raw] = '\0';
		*out_len = raw;
		jp->p = q + 1;
		return 0;
	}
	const unsigned char *s = jp->p + 1;
	char *w = o;
	while (s < q) {
		if (*s != '\\') {
			*w++ = (char)*s++;
			continue;
		}
		jp->p = s;
		s++;
		switch (*s) {
		case '"': *w++ = '"'; s++; break;
		case '\\': *w++ = '\\'; s++; break;
		case '/': *w++ = '/'; s++; break;
		case 'b': *w++ = '\b'; s++; break;
		case 'f': *w++ = '\f'; s++; break;
		case 'n': *w++ = '\n'; s++; break;
		case 'r': *w++ = '\r'; s++; break;
		case 't': *w++ = '\t'; s++; break;
		case 'u': {
			uint32_t cp, lo;
			if (q - s < 5 || hex4(s + 1, &cp) < 0)
				return jp_fail(jp, "bad \\u escape");
			s += 5;
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return jp_fail(jp, "lone low surrogate");
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (q - s < 6 || s[0] != '\\' || s[1] != 'u' || hex4(s + 2, &lo) < 0 ||
				    lo < 0xDC00 || lo > 0xDFFF)
					return jp_fail(jp, "lone high surrogate");
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				s += 6;
			}
			if (cp == 0)
				*has_nul = true;
			/* an escape is at most 12 bytes of input for 4 of output */
			w += utf8_put(w, cp);
			break;
		}
		default:
			return jp_fail(jp, "bad escape in string");
		}
	}
	*w = '\0';
	*out_len = (size_t)(w - o);
	jp->p = q + 1;
	return 0;
}

static locale_t c_locale(void)
{
	static locale_t loc;
	if (!loc)
		loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	return loc;
}

static int jp_number(jparser *jp, json_value *v)
{
	const unsigned char *s = jp->p, *q = s;
	bool is_int = true, neg = false;
	char tmp[400];

	if (q < jp->end && *q == '-') {
		neg = true;
		q++;
	}
	if (q >= jp->end || *q < '0' || *q > '9')
		return jp_fail(jp, "bad number");
	if (*q == '0') {
		q++;
		if (q < jp->end && *q >= '0' && *q <= '9')
			return jp_fail(jp, "leading zero in number");
	} else {
		while (q < jp->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < jp->end && *q == '.') {
		is_int = false;
		q++;
		if (q >= jp->end || *q < '0' || *q > '9') {
			jp->p = q;
			return jp_fail(jp, "digit expected after '.'");
		}
		while (q < jp->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < jp->end && (*q == 'e' || *q == 'E')) {
		is_int = false;
		q++;
		if (q < jp->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= jp->end || *q < '0' || *q > '9') {
			jp->p = q;
			return jp_fail(jp, "digit expected in exponent");
		}
		while (q < jp->end && *q >= '0' && *q <= '9')
			q++;
	}
	if ((size_t)(q - s) >= sizeof(tmp))
		return jp_fail(jp, "number too long");
	memcpy(tmp, s, (size_t)(q - s));
	tmp[q - s] = '\0';
	v->u.num.kind = JSON_NUM_DOUBLE;
	if (is_int) {
		/* accumulate exactly; fall back to double when out of range */
		uint64_t acc = 0;
		bool overflow = false;
		for (const char *d = tmp + neg; *d; d++) {
			unsigned digit = (unsigned)(*d - '0');
			if (acc > (UINT64_MAX - digit) / 10) {
				overflow = true;
				break;
			}
			acc = acc * 10 + digit;
		}
		if (!overflow) {
			if (neg && acc <= (uint64_t)INT64_MAX + 1) {
				v->u.num.kind = JSON_NUM_INT;
				v->u.num.i = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
			} else if (!neg && acc <= (uint64_t)INT64_MAX) {
				v->u.num.kind = JSON_NUM_INT;
				v->u.num.i = (int64_t)acc;
			} else if (!neg) {
				v->u.num.kind = JSON_NUM_UINT;
				v->u.num.u = acc;
			}
		}
	}
	v->u.num.d = strtod_l(tmp, NULL, c_locale());
	if (!isfinite(v->u.num.d))
		return jp_fail(jp, "number out of range");
	jp->p = q;
	return 0;
}

static int jp_value(jparser *jp, json_value **out);

static int jp_literal(jparser *jp, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, lit, n) != 0)
		return jp_fail(jp, "unexpected character");
	jp->p += n;
	return 0;
}

static int jp_array(jparser *jp, json_value *v)
{
	size_t base = jp->sp;

	jp->p++; /* [ */
	jp_ws(jp);
	if (jp->p < jp->end && *jp->p == ']') {
		jp->p++;
		return 0;
	}
	for (;;) {
		json_value *item;
		jp_ws(jp);
		if (jp_value(jp, &item) < 0 || jp_push(jp, item) < 0)
			return -1;
		jp_ws(jp);
		if (jp->p < jp->end && *jp->p == ',') {
			jp->p++;
			continue;
		}
		if (jp->p < jp->end && *jp->p == ']') {
			jp->p++;
			break;
		}
		return jp_fail(jp, "expected ',' or ']'");
	}
	size_t n = jp->sp - base;
	v->u.arr.items = arena_alloc(jp->doc, n * sizeof(json_value *));
	if (!v->u.arr.items)
		return err_nomem(jp->err);
	memcpy(v->u.arr.items, jp->stack + base, n * sizeof(json_value *));
	v->u.arr.n = n;
	jp->sp = base;
	return 0;
}

static int jp_object(jparser *jp, json_value *v)
{
	size_t base = jp->sp;

	jp->p++; /* { */
	jp_ws(jp);
	if (jp->p < jp->end && *jp->p == '}') {
		jp->p++;
		return 0;
	}
	for (;;) {
		json_member *m;
		bool nul;
		jp_ws(jp);
		if (jp->p >= jp->end || *jp->p != '"')
			return jp_fail(jp, "expected a string key");
		m = arena_alloc(jp->doc, sizeof(*m));
		if (!m)
			return err_nomem(jp->err);
		if (jp_string(jp, &m->key, &m->key_len, &nul) < 0)
			return -1;
		jp_ws(jp);
		if (jp->p >= jp->end || *jp->p != ':')
			return jp_fail(jp, "expected ':'");
		jp->p++;
		jp_ws(jp);
		if (jp_value(jp, &m->value) < 0 || jp_push(jp, m) < 0)
			return -1;
		jp_ws(jp);
		if (jp->p < jp->end && *jp->p == ',') {
			jp->p++;
			continue;
		}
		if (jp->p < jp->end && *jp->p == '}') {
			jp->p++;
			break;
		}
		return jp_fail(jp, "expected ',' or '}'");
	}
	size_t n = jp->sp - base;
	v->u.obj.members = arena_alloc(jp->doc, n * sizeof(json_member));
	if (!v->u.obj.members)
		return err_nomem(jp->err);
	for (size_t i = 0; i < n; i++)
		v->u.obj.members[i] = *(json_member *)jp->stack[base + i];
	v->u.obj.n = n;
	jp->sp = base;
	return 0;
}

static int jp_value(jparser *jp, json_value **out)
{
	json_value *v;
	int r;

	if (jp->p >= jp->end)
		return jp_fail(jp, "value expected");
	switch (*jp->p) {
	case '{':
	case '[':
		if (++jp->depth > jp->max_depth) {
			jp_fail(jp, "nesting too deep");
			jp->err->code = CPOD_E_LIMIT;
			return -1;
		}
		v = jp_new(jp, *jp->p == '{' ? JSON_OBJECT : JSON_ARRAY);
		if (!v)
			return -1;
		r = v->type == JSON_OBJECT ? jp_object(jp, v) : jp_array(jp, v);
		jp->depth--;
		break;
	case '"':
		v = jp_new(jp, JSON_STRING);
		if (!v)
			return -1;
		r = jp_string(jp, &v->u.str.s, &v->u.str.len, &v->u.str.has_nul);
		break;
	case 't':
	case 'f':
		v = jp_new(jp, JSON_BOOL);
		if (!v)
			return -1;
		v->u.boolean = *jp->p == 't';
		r = jp_literal(jp, v->u.boolean ? "true" : "false");
		break;
	case 'n':
		v = jp_new(jp, JSON_NULL);
		if (!v)
			return -1;
		r = jp_literal(jp, "null");
		break;
	default:
		if (*jp->p != '-' && (*jp->p < '0' || *jp->p > '9'))
			return jp_fail(jp, "unexpected character");
		v = jp_new(jp, JSON_NUMBER);
		if (!v)
			return -1;
		r = jp_number(jp, v);
		break;
	}
	*out = v;
	return r;
}

CPOD_INTERNAL json_doc *json_parse(const char *text, size_t len, const json_limits *lim,
				   cpod_err *err)
{
	cpod_err dummy;
	jparser jp = { 0 };
	size_t max_size = lim && lim->max_size ? lim->max_size : 64u << 20;

	if (!err)
		err = &dummy;
	if (len > max_size) {
		err_set(err, CPOD_E_LIMIT, "JSON: document larger than %zu bytes", max_size);
		return NULL;
	}
	jp.start = jp.p = (const unsigned char *)text;
	jp.end = jp.p + len;
	jp.max_depth = lim && lim->max_depth ? lim->max_depth : 256;
	jp.max_values = lim && lim->max_values ? lim->max_values : 4u << 20;
	jp.err = err;
	jp.doc = calloc(1, sizeof(*jp.doc));
	if (!jp.doc) {
		err_nomem(err);
		return NULL;
	}
	jp_ws(&jp);
	if (jp_value(&jp, &jp.doc->root) < 0)
		goto fail;
	jp_ws(&jp);
	if (jp.p != jp.end) {
		jp_fail(&jp, "unexpected data after the value");
		goto fail;
	}
	free(jp.stack);
	return jp.doc;
fail:
	free(jp.stack);
	json_doc_free(jp.doc);
	return NULL;
}

CPOD_INTERNAL json_doc *json_parse_file(int dirfd, const char *path, const json_limits *lim,
					cpod_err *err)
{
	_cleanup_buf_ buf b = BUF_INIT;
	size_t max = lim && lim->max_size ? lim->max_size : 64u << 20;
	json_doc *doc;

	if (fs_read_file(dirfd, path, max, &b, err) < 0)
		return NULL;
	doc = json_parse(b.data, b.len, lim, err);
	if (!doc)
		err_prefix(err, "%s", path);
	return doc;
}

/* ---------------------------------------------------------------- accessors */

CPOD_INTERNAL const json_value *json_get(const json_value *obj, const char *key)
{
	size_t klen;

	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	klen = strlen(key);
	/* last one wins, as in most parsers */
	for (size_t i = obj->u.obj.n; i-- > 0;) {
		const json_member *m = &obj->u.obj.members[i];
		if (m->key_len == klen && memcmp(m->key, key, klen) == 0)
			return m->value;
	}
	return NULL;
}

CPOD_INTERNAL const char *json_string(const json_value *v)
{
	if (!v || v->type != JSON_STRING || v->u.str.has_nul)
		return NULL;
	return v->u.str.s;
}

CPOD_INTERNAL size_t json_len(const json_value *v)
{
	if (!v)
		return 0;
	if (v->type == JSON_ARRAY)
		return v->u.arr.n;
	if (v->type == JSON_OBJECT)
		return v->u.obj.n;
	return 0;
}

CPOD_INTERNAL const json_value *json_at(const json_value *arr, size_t i)
{
	if (!arr || arr->type != JSON_ARRAY || i >= arr->u.arr.n)
		return NULL;
	return arr->u.arr.items[i];
}

CPOD_INTERNAL bool json_int64(const json_value *v, int64_t *out)
{
	if (!v || v->type != JSON_NUMBER || v->u.num.kind != JSON_NUM_INT)
		return false;
	*out = v->u.num.i;
	return true;
}

CPOD_INTERNAL bool json_uint64(const json_value *v, uint64_t *out)
{
	if (!v || v->type != JSON_NUMBER)
		return false;
	if (v->u.num.kind == JSON_NUM_UINT) {
		*out = v->u.num.u;
		return true;
	}
	if (v->u.num.kind == JSON_NUM_INT && v->u.num.i >= 0) {
		*out = (uint64_t)v->u.num.i;
		return true;
	}
	return false;
}

static int json_type_err(const char *where, const char *key, const char *what, cpod_err *err)
{
	return err_set(err, CPOD_E_INVALID, "%s%s%s: must be %s", where ? where : "",
		       where && *where ? "." : "", key, what);
}

CPOD_INTERNAL int json_opt_str(const json_value *obj, const char *key, const char **out,
			       const char *where, cpod_err *err)
{
	const json_value *v = json_get(obj, key);
	if (!v || v->type == JSON_NULL)
		return 0;
	if (!json_string(v))
		return json_type_err(where, key, "a string", err);
	*out = v->u.str.s;
	return 0;
}

CPOD_INTERNAL int json_opt_bool(const json_value *obj, const char *key, bool *out,
				const char *where, cpod_err *err)
{
	const json_value *v = json_get(obj, key);
	if (!v || v->type == JSON_NULL)
		return 0;
	if (v->type != JSON_BOOL)
		return json_type_err(where, key, "true or false", err);
	*out = v->u.boolean;
	return 0;
}

CPOD_INTERNAL int json_opt_i64(const json_value *obj, const char *key, int64_t *out,
			       const char *where, cpod_err *err)
{
	const json_value *v = json_get(obj, key);
	if (!v || v->type == JSON_NULL)
		return 0;
	if (!json_int64(v, out))
		return json_type_err(where, key, "an integer", err);
	return 0;
}

CPOD_INTERNAL int json_opt_u64(const json_value *obj, const char *key, uint64_t *out,
			       const char *where, cpod_err *err)
{
	const json_value *v = json_get(obj, key);
	if (!v || v->type == JSON_NULL)
		return 0;
	if (!json_uint64(v, out))
		return json_type_err(where, key, "a non-negative integer", err);
	return 0;
}

CPOD_INTERNAL int json_opt_obj(const json_value *obj, const char *key, const json_value **out,
			       const char *where, cpod_err *err)
{
	const json_value *v = json_get(obj, key);
	*out = NULL;
	if (!v || v->type == JSON_NULL)
		return 0;
	if (v->type != JSON_OBJECT)
		return json_type_err(where, key, "an object", err);
	*out = v;
	return 0;
}

CPOD_INTERNAL int json_opt_arr(const json_value *obj, const char *key, const json_value **out,
			       const char *where, cpod_err *err)
{
	const json_value *v = json_get(obj, key);
	*out = NULL;
	if (!v || v->type == JSON_NULL)
		return 0;
	if (v->type != JSON_ARRAY)
		return json_type_err(where, key, "an array", err);
	*out = v;
	return 0;
}

CPOD_INTERNAL int json_opt_strv(const json_value *obj, const char *key, const char ***out,
				size_t *n, const char *where, cpod_err *err)
{
	const json_value *arr;
	const char **v;

	*out = NULL;
	if (n)
		*n = 0;
	if (json_opt_arr(obj, key, &arr, where, err) < 0)
		return -1;
	if (!arr)
		return 0;
	v = calloc(arr->u.arr.n + 1, sizeof(*v));
	if (!v)
		return err_nomem(err);
	for (size_t i = 0; i < arr->u.arr.n; i++) {
		v[i] = json_string(arr->u.arr.items[i]);
		if (!v[i]) {
			free(v);
			return json_type_err(where, key, "an array of strings", err);
		}
	}
	*out = v;
	if (n)
		*n = arr->u.arr.n;
	return 0;
}

/* ---------------------------------------------------------------- writer */

CPOD_INTERNAL int json_quote(buf *b, const char *s, size_t len, cpod_err *err)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	if (buf_reserve(b, len + 2, err) < 0)
		return -1;
	buf_putc(b, '"', NULL);
	while (p < end) {
		const unsigned char *run = p;
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p > run && buf_append(b, run, (size_t)(p - run), err) < 0)
			return -1;
		if (p >= end)
			break;
		unsigned char c = *p;
		char esc[8];
		const char *e = NULL;
		size_t elen = 2;
		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		default:
			if (c < 0x20) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				e = esc;
				elen = 6;
			}
		}
		if (e) {
			if (buf_append(b, e, elen, err) < 0)
				return -1;
			p++;
			continue;
		}
		size_t n = utf8_seq_len(p, end);
		if (n) {
			if (buf_append(b, p, n, err) < 0)
				return -1;
			p += n;
		} else {
			if (buf_append(b, "\xEF\xBF\xBD", 3, err) < 0)
				return -1;
			p++;
		}
	}
	return buf_putc(b, '"', err);
}

CPOD_INTERNAL void jw_init(json_w *w, buf *b, const char *indent)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->indent = indent;
}

static void jw_newline(json_w *w)
{
	if (!w->indent)
		return;
	buf_putc(w->b, '\n', NULL);
	for (unsigned i = 0; i < w->depth; i++)
		buf_puts(w->b, w->indent, NULL);
}

/* Separator before a value or key at the current level. */
static void jw_sep(json_w *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth > 0) {
		if (w->need_comma[w->depth - 1])
			buf_putc(w->b, ',', NULL);
		w->need_comma[w->depth - 1] = true;
		jw_newline(w);
	}
}

static void jw_open(json_w *w, char c)
{
	jw_sep(w);
	if (w->depth >= ARRAY_LEN(w->need_comma)) {
		if (!w->failed)
			err_set(&w->err, CPOD_E_LIMIT, "JSON output nested too deep");
		w->failed = true;
		return;
	}
	buf_putc(w->b, c, NULL);
	w->need_comma[w->depth++] = false;
}

static void jw_close(json_w *w, char c)
{
	if (w->depth == 0) {
		w->failed = true;
		return;
	}
	bool had = w->need_comma[--w->depth];
	if (had)
		jw_newline(w);
	buf_putc(w->b, c, NULL);
}

CPOD_INTERNAL void jw_obj_begin(json_w *w) { jw_open(w, '{'); }
CPOD_INTERNAL void jw_obj_end(json_w *w) { jw_close(w, '}'); }
CPOD_INTERNAL void jw_arr_begin(json_w *w) { jw_open(w, '['); }
CPOD_INTERNAL void jw_arr_end(json_w *w) { jw_close(w, ']'); }

CPOD_INTERNAL void jw_key(json_w *w, const char *key)
{
	jw_sep(w);
	json_quote(w->b, key, strlen(key), NULL);
	buf_puts(w->b, w->indent ? ": " : ":", NULL);
	w->after_key = true;
}

CPOD_INTERNAL void jw_strn(json_w *w, const char *s, size_t len)
{
	jw_sep(w);
	json_quote(w->b, s, len, NULL);
}

CPOD_INTERNAL void jw_str(json_w *w, const char *s)
{
	if (!s)
		jw_null(w);
	else
		jw_strn(w, s, strlen(s));
}

CPOD_INTERNAL void jw_int(json_w *w, int64_t v)
{
	jw_sep(w);
	buf_printf(w->b, NULL, "%" PRId64, v);
}

CPOD_INTERNAL void jw_uint(json_w *w, uint64_t v)
{
	jw_sep(w);
	buf_printf(w->b, NULL, "%" PRIu64, v);
}

CPOD_INTERNAL void jw_double(json_w *w, double v)
{
	char tmp[64];
	jw_sep(w);
	if (!isfinite(v)) {
		buf_puts(w->b, "null", NULL);
		return;
	}
	/* shortest round-tripping form, with '.' whatever the locale */
	for (int prec = 15; prec <= 17; prec++) {
		locale_t old = uselocale(c_locale());
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		uselocale(old);
		if (strtod_l(tmp, NULL, c_locale()) == v)
			break;
	}
	buf_puts(w->b, tmp, NULL);
}

CPOD_INTERNAL void jw_bool(json_w *w, bool v)
{
	jw_sep(w);
	buf_puts(w->b, v ? "true" : "false", NULL);
}

CPOD_INTERNAL void jw_null(json_w *w)
{
	jw_sep(w);
	buf_puts(w->b, "null", NULL);
}

CPOD_INTERNAL void jw_value(json_w *w, const json_value *v)
{
	if (!v) {
		jw_null(w);
		return;
	}
	switch (v->type) {
	case JSON_NULL: jw_null(w); break;
	case JSON_BOOL: jw_bool(w, v->u.boolean); break;
	case JSON_NUMBER:
		if (v->u.num.kind == JSON_NUM_INT)
			jw_int(w, v->u.num.i);
		else if (v->u.num.kind == JSON_NUM_UINT)
			jw_uint(w, v->u.num.u);
		else
			jw_double(w, v->u.num.d);
		break;
	case JSON_STRING: jw_strn(w, v->u.str.s, v->u.str.len); break;
	case JSON_ARRAY:
		jw_arr_begin(w);
		for (size_t i = 0; i < v->u.arr.n; i++)
			jw_value(w, v->u.arr.items[i]);
		jw_arr_end(w);
		break;
	case JSON_OBJECT:
		jw_obj_begin(w);
		for (size_t i = 0; i < v->u.obj.n; i++) {
			const json_member *m = &v->u.obj.members[i];
			jw_sep(w);
			json_quote(w->b, m->key, m->key_len, NULL);
			buf_puts(w->b, w->indent ? ": " : ":", NULL);
			w->after_key = true;
			jw_value(w, m->value);
		}
		jw_obj_end(w);
		break;
	}
}

CPOD_INTERNAL void jw_kstr(json_w *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_str(w, s);
}

CPOD_INTERNAL void jw_kint(json_w *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_int(w, v);
}

CPOD_INTERNAL void jw_kbool(json_w *w, const char *key, bool v)
{
	jw_key(w, key);
	jw_bool(w, v);
}

CPOD_INTERNAL int jw_finish(json_w *w, cpod_err *err)
{
	if (w->failed) {
		if (!w->err.msg[0])
			err_set(&w->err, CPOD_E_INVALID, "JSON writer misuse");
		if (err)
			*err = w->err;
		return -1;
	}
	if (w->b->failed)
		return err_nomem(err);
	if (w->depth != 0)
		return err_set(err, CPOD_E_INVALID, "JSON writer: unclosed container");
	return 0;
}
