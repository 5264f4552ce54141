/*
 * fuzz_json.c — libFuzzer target for the JSON parser and writer.
 *
 * Any input: json_parse (with small limits, so the fuzzer explores the
 * limit paths too) must return a document or an error, never crash.  A
 * document is written back with jw_value, compact and indented; each text
 * must parse again (without limits beyond the defaults) into a tree equal
 * to the first, and writing that tree again must give the same bytes
 * (the writer's output is a fixed point).  Numbers compare by value: the
 * writer prints 1.0 as 1, which reads back as an integer.
 */
#include "cpod-lines.c"

static void fuzz_json_die(const char *what, const uint8_t *data, size_t size, const char *a,
			  const char *b)
{
	fprintf(stderr, "fuzz_json: %s\ninput (%zu bytes): %.*s\n", what, size,
		(int)(size > 2000 ? 2000 : size), (const char *)data);
	if (a)
		fprintf(stderr, "first:  %s\n", a);
	if (b)
		fprintf(stderr, "second: %s\n", b);
	abort();
}

static bool fuzz_json_num_eq(const json_value *a, const json_value *b)
{
	if (a->u.num.kind == b->u.num.kind) {
		switch (a->u.num.kind) {
		case JSON_NUM_INT: return a->u.num.i == b->u.num.i;
		case JSON_NUM_UINT: return a->u.num.u == b->u.num.u;
		case JSON_NUM_DOUBLE: return a->u.num.d == b->u.num.d;
		}
	}
	/* an exact integer and a double that reads back as one */
	return a->u.num.d == b->u.num.d;
}

static bool fuzz_json_eq(const json_value *a, const json_value *b)
{
	if (!a || !b || a->type != b->type)
		return false;
	switch (a->type) {
	case JSON_NULL:
		return true;
	case JSON_BOOL:
		return a->u.boolean == b->u.boolean;
	case JSON_NUMBER:
		return fuzz_json_num_eq(a, b);
	case JSON_STRING:
		return a->u.str.len == b->u.str.len && a->u.str.has_nul == b->u.str.has_nul &&
		       memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
	case JSON_ARRAY:
		if (a->u.arr.n != b->u.arr.n)
			return false;
		for (size_t i = 0; i < a->u.arr.n; i++)
			if (!fuzz_json_eq(a->u.arr.items[i], b->u.arr.items[i]))
				return false;
		return true;
	case JSON_OBJECT:
		if (a->u.obj.n != b->u.obj.n)
			return false;
		for (size_t i = 0; i < a->u.obj.n; i++) {
			const json_member *ma = &a->u.obj.members[i], *mb = &b->u.obj.members[i];
			if (ma->key_len != mb->key_len || memcmp(ma->key, mb->key, ma->key_len) != 0 ||
			    !fuzz_json_eq(ma->value, mb->value))
				return false;
		}
		return true;
	}
	return false;
}

/* Writes v into b (emptied first); returns false on a writer error. */
static bool fuzz_json_write(const json_value *v, const char *indent, buf *b, cpod_err *err)
{
	json_w w;

	buf_reset(b);
	jw_init(&w, b, indent);
	jw_value(&w, v);
	return jw_finish(&w, err) == 0;
}

static void fuzz_json_round_trip(const json_doc *doc, const char *indent, const uint8_t *data,
				 size_t size)
{
	_cleanup_buf_ buf out1 = BUF_INIT;
	_cleanup_buf_ buf out2 = BUF_INIT;
	cpod_err err;

	cpod_err_clear(&err);
	/* the parse depth limit (32) is below the writer's (64): writing must work */
	if (!fuzz_json_write(json_root(doc), indent, &out1, &err))
		fuzz_json_die(err.msg, data, size, NULL, NULL);
	json_doc *again = json_parse(out1.data, out1.len, NULL, &err);
	if (!again)
		fuzz_json_die("the writer's output does not parse", data, size, out1.data, err.msg);
	if (!fuzz_json_eq(json_root(doc), json_root(again)))
		fuzz_json_die("the re-parsed tree differs", data, size, out1.data, NULL);
	if (!fuzz_json_write(json_root(again), indent, &out2, &err))
		fuzz_json_die(err.msg, data, size, NULL, NULL);
	if (out1.len != out2.len || memcmp(out1.data, out2.data, out1.len) != 0) {
		/* the first text may differ only in numbers read back as integers */
		json_doc *third = json_parse(out2.data, out2.len, NULL, &err);
		_cleanup_buf_ buf out3 = BUF_INIT;
		if (!third || !fuzz_json_write(json_root(third), indent, &out3, &err) ||
		    out2.len != out3.len || memcmp(out2.data, out3.data, out2.len) != 0)
			fuzz_json_die("writing is not a fixed point", data, size, out2.data,
				      out3.data);
		json_doc_free(third);
	}
	json_doc_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const json_limits lim = { .max_size = 64 << 10, .max_depth = 32, .max_values = 4096 };
	cpod_err err;

	cpod_err_clear(&err);
	json_doc *doc = json_parse((const char *)data, size, &lim, &err);
	if (!doc) {
		if (err.code == CPOD_OK || !err.msg[0])
			fuzz_json_die("parse failed without an error", data, size, NULL, NULL);
		return 0;
	}
	fuzz_json_round_trip(doc, NULL, data, size);
	fuzz_json_round_trip(doc, "  ", data, size);
	json_doc_free(doc);
	return 0;
}
