/*
 * test_json.c — the JSON parser and writer.
 */

static json_doc *parse(const char *s, cpod_err *err)
{
	return json_parse(s, strlen(s), NULL, err);
}

TEST(json_parses_nested_values)
{
	cpod_err err;
	json_doc *d = parse(" {\"a\": [1, -2, 3.5, true, null, \"x\\u00e9\\ud83d\\ude00\"], \"b\": {}} ", &err);
	CHECK_MSG(d, "%s", err.msg);
	const json_value *a = json_get(json_root(d), "a");
	int64_t i;
	CHECK(json_len(a) == 6);
	CHECK(json_int64(json_at(a, 0), &i) && i == 1);
	CHECK(json_int64(json_at(a, 1), &i) && i == -2);
	CHECK(json_at(a, 2)->u.num.kind == JSON_NUM_DOUBLE && json_at(a, 2)->u.num.d == 3.5);
	CHECK(json_at(a, 3)->u.boolean);
	CHECK(json_is(json_at(a, 4), JSON_NULL));
	CHECK_STR(json_string(json_at(a, 5)), "x\xc3\xa9\xf0\x9f\x98\x80");
	CHECK(json_len(json_get(json_root(d), "b")) == 0);
	json_doc_free(d);
}

TEST(json_exact_integers)
{
	cpod_err err;
	json_doc *d = parse("[9223372036854775807, -9223372036854775808, 18446744073709551615, 18446744073709551616]", &err);
	const json_value *r = json_root(d);
	int64_t i;
	uint64_t u;
	CHECK(d);
	CHECK(json_int64(json_at(r, 0), &i) && i == INT64_MAX);
	CHECK(json_int64(json_at(r, 1), &i) && i == INT64_MIN);
	CHECK(json_uint64(json_at(r, 2), &u) && u == UINT64_MAX);
	CHECK(!json_uint64(json_at(r, 3), &u));
	CHECK(json_at(r, 3)->u.num.kind == JSON_NUM_DOUBLE);
	json_doc_free(d);
}

TEST(json_rejects_malformed)
{
	static const char *const bad[] = {
		"", " ", "{", "[1,]", "{\"a\":1,}", "01", "-", "1.", ".5", "1e", "+1", "[1 2]",
		"{\"a\" 1}", "{a:1}", "'x'", "\"abc", "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"",
		"\"a\tb\"", "\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
		"tru", "nul", "true false", "[1]x", "NaN", "Infinity", "1e999", "\xef\xbb\xbf{}",
		"{\"a\":1}}", "[\"\\u12\"]",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		cpod_err err;
		cpod_err_clear(&err);
		json_doc *d = parse(bad[i], &err);
		CHECK_MSG(!d, "accepted bad JSON #%zu: %s", i, bad[i]);
		CHECK_MSG(err.code != CPOD_OK && strstr(err.msg, "JSON"), "no error for #%zu", i);
	}
}

TEST(json_error_names_line_and_column)
{
	cpod_err err;
	CHECK(!parse("{\n  \"a\": [1,\n  ]\n}", &err));
	CHECK_MSG(strstr(err.msg, "line 3 column 3"), "%s", err.msg);
}

TEST(json_depth_and_size_limits)
{
	char deep[2000];
	cpod_err err;
	memset(deep, '[', 1000);
	memset(deep + 1000, ']', 1000);
	CHECK(!json_parse(deep, sizeof(deep), NULL, &err));
	CHECK(err.code == CPOD_E_LIMIT);
	json_limits lim = { .max_depth = 1000 };
	json_doc *d = json_parse(deep, sizeof(deep), &lim, &err);
	CHECK(d);
	json_doc_free(d);
	json_limits small = { .max_size = 4 };
	CHECK(!json_parse("[1,2]", 5, &small, &err) && err.code == CPOD_E_LIMIT);
	json_limits few = { .max_values = 3 };
	CHECK(!json_parse("[1,2,3]", 7, &few, &err) && err.code == CPOD_E_LIMIT);
}

TEST(json_nul_in_string_is_flagged)
{
	cpod_err err;
	json_doc *d = parse("{\"p\":\"a\\u0000b\"}", &err);
	CHECK(d);
	const json_value *p = json_get(json_root(d), "p");
	CHECK(p->u.str.has_nul && p->u.str.len == 3);
	CHECK(json_string(p) == NULL);
	const char *s = NULL;
	CHECK(json_opt_str(json_root(d), "p", &s, "x", &err) < 0);
	json_doc_free(d);
}

TEST(json_writer_round_trip)
{
	buf b = BUF_INIT;
	json_w w;
	cpod_err err;
	jw_init(&w, &b, NULL);
	jw_obj_begin(&w);
	jw_kstr(&w, "s", "q\"\\\n\x01\xff");
	jw_kint(&w, "i", -42);
	jw_key(&w, "u");
	jw_uint(&w, UINT64_MAX);
	jw_key(&w, "d");
	jw_double(&w, 0.1);
	jw_key(&w, "a");
	jw_arr_begin(&w);
	jw_bool(&w, true);
	jw_null(&w);
	jw_arr_end(&w);
	jw_obj_end(&w);
	CHECK(jw_finish(&w, &err) == 0);
	CHECK_STR(b.data, "{\"s\":\"q\\\"\\\\\\n\\u0001\xef\xbf\xbd\",\"i\":-42,\"u\":18446744073709551615,\"d\":0.1,\"a\":[true,null]}");
	json_doc *d = json_parse(b.data, b.len, NULL, &err);
	CHECK(d);
	buf b2 = BUF_INIT;
	jw_init(&w, &b2, NULL);
	jw_value(&w, json_root(d));
	CHECK(jw_finish(&w, &err) == 0);
	CHECK_STR(b2.data, b.data);
	json_doc_free(d);
	buf_free(&b);
	buf_free(&b2);
}

TEST(json_writer_pretty)
{
	buf b = BUF_INIT;
	json_w w;
	cpod_err err;
	jw_init(&w, &b, "\t");
	jw_obj_begin(&w);
	jw_kint(&w, "a", 1);
	jw_key(&w, "b");
	jw_arr_begin(&w);
	jw_arr_end(&w);
	jw_obj_end(&w);
	CHECK(jw_finish(&w, &err) == 0);
	CHECK_STR(b.data, "{\n\t\"a\": 1,\n\t\"b\": []\n}");
	buf_free(&b);
}
