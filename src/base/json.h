/*
 * json.h — a strict RFC 8259 JSON parser (to a read-only tree) and a writer.
 *
 * The parser takes hostile input: it validates UTF-8, rejects lone surrogates,
 * leading zeros, trailing commas and garbage after the value, and bounds the
 * input size, the nesting depth and the number of values.  Integers without a
 * fraction or exponent are kept exactly when they fit in int64 (or uint64).
 * A parsed document lives in one arena freed by json_doc_free; its strings
 * are NUL-terminated and carry their length (a \u0000 inside is flagged).
 *
 * The writer appends to a buf and tracks commas itself; errors (out of memory,
 * nesting too deep) stick until jw_finish reports them.
 */
#ifndef CPOD_JSON_H
#define CPOD_JSON_H
#include "buf.h"

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };
enum json_num_kind { JSON_NUM_INT, JSON_NUM_UINT, JSON_NUM_DOUBLE };

typedef struct json_value json_value;
typedef struct json_member {
	const char *key;
	size_t key_len;
	json_value *value;
} json_member;

struct json_value {
	enum json_type type;
	union {
		bool boolean;
		struct {
			enum json_num_kind kind;
			int64_t i;   /* JSON_NUM_INT */
			uint64_t u;  /* JSON_NUM_UINT (> INT64_MAX) */
			double d;    /* always set */
		} num;
		struct {
			const char *s;
			size_t len;
			bool has_nul;
		} str;
		struct {
			json_value **items;
			size_t n;
		} arr;
		struct {
			json_member *members;
			size_t n;
		} obj;
	} u;
};

typedef struct json_limits {
	size_t max_size;    /* bytes of input; 0: 64 MiB */
	unsigned max_depth; /* 0: 256 */
	size_t max_values;  /* 0: 4 Mi */
} json_limits;

typedef struct json_doc json_doc;

CPOD_INTERNAL json_doc *json_parse(const char *text, size_t len, const json_limits *lim,
				   cpod_err *err);
CPOD_INTERNAL const json_value *json_root(const json_doc *doc);
CPOD_INTERNAL void json_doc_free(json_doc *doc);
static inline void cleanup_json_doc(json_doc **d) { if (*d) json_doc_free(*d); }
#define _cleanup_json_ __attribute__((cleanup(cleanup_json_doc)))

/* Reads and parses a file (bounded by lim). */
CPOD_INTERNAL json_doc *json_parse_file(int dirfd, const char *path, const json_limits *lim,
					cpod_err *err);

/* ---- accessors: all tolerate NULL and wrong types (returning NULL/false) */
CPOD_INTERNAL const json_value *json_get(const json_value *obj, const char *key);
CPOD_INTERNAL const char *json_string(const json_value *v); /* NULL unless a string without NUL */
CPOD_INTERNAL size_t json_len(const json_value *v);          /* array items or object members */
CPOD_INTERNAL const json_value *json_at(const json_value *arr, size_t i);
CPOD_INTERNAL bool json_int64(const json_value *v, int64_t *out);  /* exact integers only */
CPOD_INTERNAL bool json_uint64(const json_value *v, uint64_t *out);
static inline bool json_is(const json_value *v, enum json_type t) { return v && v->type == t; }

/* ---- typed getters that explain what is wrong.  `where` names the object
 * (e.g. "process.user") in the error.  A missing key leaves *out untouched
 * and returns 0; a present key of the wrong type is an error. */
CPOD_INTERNAL int json_opt_str(const json_value *obj, const char *key, const char **out,
			       const char *where, cpod_err *err);
CPOD_INTERNAL int json_opt_bool(const json_value *obj, const char *key, bool *out,
				const char *where, cpod_err *err);
CPOD_INTERNAL int json_opt_i64(const json_value *obj, const char *key, int64_t *out,
			       const char *where, cpod_err *err);
CPOD_INTERNAL int json_opt_u64(const json_value *obj, const char *key, uint64_t *out,
			       const char *where, cpod_err *err);
/* Object/array: *out is set to the value (NULL when missing). */
CPOD_INTERNAL int json_opt_obj(const json_value *obj, const char *key, const json_value **out,
			       const char *where, cpod_err *err);
CPOD_INTERNAL int json_opt_arr(const json_value *obj, const char *key, const json_value **out,
			       const char *where, cpod_err *err);
/* An array of strings into a NULL-terminated vector allocated with malloc
 * (pointing into the document); missing: *out = NULL. */
CPOD_INTERNAL int json_opt_strv(const json_value *obj, const char *key, const char ***out,
				size_t *n, const char *where, cpod_err *err);

/* ---- writer */
typedef struct json_w {
	buf *b;
	unsigned depth;
	bool need_comma[64];
	bool after_key;
	const char *indent; /* NULL: compact */
	bool failed;
	cpod_err err;
} json_w;

CPOD_INTERNAL void jw_init(json_w *w, buf *b, const char *indent);
CPOD_INTERNAL void jw_obj_begin(json_w *w);
CPOD_INTERNAL void jw_obj_end(json_w *w);
CPOD_INTERNAL void jw_arr_begin(json_w *w);
CPOD_INTERNAL void jw_arr_end(json_w *w);
CPOD_INTERNAL void jw_key(json_w *w, const char *key);
CPOD_INTERNAL void jw_str(json_w *w, const char *s);       /* NULL writes null */
CPOD_INTERNAL void jw_strn(json_w *w, const char *s, size_t len);
CPOD_INTERNAL void jw_int(json_w *w, int64_t v);
CPOD_INTERNAL void jw_uint(json_w *w, uint64_t v);
CPOD_INTERNAL void jw_double(json_w *w, double v);
CPOD_INTERNAL void jw_bool(json_w *w, bool v);
CPOD_INTERNAL void jw_null(json_w *w);
CPOD_INTERNAL void jw_value(json_w *w, const json_value *v); /* a parsed value, re-emitted */
/* key + value shorthands */
CPOD_INTERNAL void jw_kstr(json_w *w, const char *key, const char *s);
CPOD_INTERNAL void jw_kint(json_w *w, const char *key, int64_t v);
CPOD_INTERNAL void jw_kbool(json_w *w, const char *key, bool v);
/* 0, or -1 with the first error of the writer in err. */
CPOD_INTERNAL int jw_finish(json_w *w, cpod_err *err);

/* A JSON string literal of s into b (quotes included), replacing invalid
 * UTF-8 with U+FFFD. */
CPOD_INTERNAL int json_quote(buf *b, const char *s, size_t len, cpod_err *err);

#endif
