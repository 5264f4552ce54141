/*
 * json_api.c — the public read-only JSON accessors (cpod_json_* of cpod.h)
 * over json.c's parser.
 */
#include "json.h"

cpod_json *cpod_json_parse(const char *text, cpod_err *err)
{
	return (cpod_json *)json_parse(text, strlen(text), NULL, err);
}

void cpod_json_free(cpod_json *doc) { json_doc_free((json_doc *)doc); }
const cpod_json_value *cpod_json_root(const cpod_json *doc) { return json_root((const json_doc *)doc); }
const cpod_json_value *cpod_json_get(const cpod_json_value *obj, const char *key) { return json_get(obj, key); }
const cpod_json_value *cpod_json_at(const cpod_json_value *arr, size_t i) { return json_at(arr, i); }
size_t cpod_json_len(const cpod_json_value *v) { return json_len(v); }
const char *cpod_json_str(const cpod_json_value *v) { return json_string(v); }

int64_t cpod_json_int(const cpod_json_value *v)
{
	int64_t i = 0;
	if (json_int64(v, &i))
		return i;
	if (json_is(v, JSON_NUMBER))
		return (int64_t)v->u.num.d;
	return 0;
}

int cpod_json_type(const cpod_json_value *v)
{
	static const int types[] = {
		[JSON_NULL] = CPOD_JSON_NULL, [JSON_BOOL] = CPOD_JSON_BOOL,
		[JSON_NUMBER] = CPOD_JSON_NUMBER, [JSON_STRING] = CPOD_JSON_STRING,
		[JSON_ARRAY] = CPOD_JSON_ARRAY, [JSON_OBJECT] = CPOD_JSON_OBJECT,
	};
	return v ? types[v->type] : CPOD_JSON_ABSENT;
}

int cpod_json_bool(const cpod_json_value *v) { return json_is(v, JSON_BOOL) && v->u.boolean; }

const char *cpod_json_key(const cpod_json_value *obj, size_t i)
{
	if (!json_is(obj, JSON_OBJECT) || i >= obj->u.obj.n)
		return NULL;
	return obj->u.obj.members[i].key;
}

char *cpod_json_text(const cpod_json_value *v)
{
	buf b = BUF_INIT;
	json_w w;
	jw_init(&w, &b, NULL);
	jw_value(&w, v);
	if (jw_finish(&w, NULL) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b, NULL);
}
