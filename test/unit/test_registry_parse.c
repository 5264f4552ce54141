/*
 * test_registry_parse.c — the registry client's parsers: WWW-Authenticate
 * challenges (docker's, several in one header, quoting, hostile ones),
 * Content-Range of a resumed download, an upload's Range, registry error
 * bodies, query escaping.
 */

TEST(registry_www_authenticate)
{
	reg_challenge ch[4];
	size_t n;
	cpod_err err;

	CHECK(reg_parse_www_authenticate("Bearer realm=\"https://auth.docker.io/token\","
					 "service=\"registry.docker.io\","
					 "scope=\"repository:library/busybox:pull\"",
					 ch, 4, &n, &err) == 0);
	CHECK(n == 1);
	CHECK_STR(ch[0].scheme, "Bearer");
	CHECK_STR(ch[0].realm, "https://auth.docker.io/token");
	CHECK_STR(ch[0].service, "registry.docker.io");
	CHECK_STR(ch[0].scope, "repository:library/busybox:pull");

	/* spaces, case, token values, an error parameter, a quoted escape */
	CHECK(reg_parse_www_authenticate("bearer  Realm = \"http://h:5001/auth?x=1\" , "
					 "service=reg.local, error=\"invalid_token\", "
					 "scope=\"a\\\"b\"", ch, 4, &n, &err) == 0);
	CHECK(n == 1);
	CHECK_STR(ch[0].scheme, "bearer");
	CHECK_STR(ch[0].realm, "http://h:5001/auth?x=1");
	CHECK_STR(ch[0].service, "reg.local");
	CHECK_STR(ch[0].error, "invalid_token");
	CHECK_STR(ch[0].scope, "a\"b");

	/* several challenges; a token68 one skipped; unknown parameters */
	CHECK(reg_parse_www_authenticate("Negotiate abc123==, Basic realm=\"Registry Realm\", "
					 "charset=\"UTF-8\", Bearer realm=\"https://t/\"",
					 ch, 4, &n, &err) == 0);
	CHECK(n == 3);
	CHECK_STR(ch[0].scheme, "Negotiate");
	CHECK_STR(ch[1].scheme, "Basic");
	CHECK_STR(ch[1].realm, "Registry Realm");
	CHECK_STR(ch[2].scheme, "Bearer");
	CHECK_STR(ch[2].realm, "https://t/");

	CHECK(reg_parse_www_authenticate("Basic", ch, 4, &n, &err) == 0 && n == 1);
	CHECK(reg_parse_www_authenticate("", ch, 4, &n, &err) == 0 && n == 0);
	CHECK(reg_parse_www_authenticate(" , ,", ch, 4, &n, &err) == 0 && n == 0);
}

TEST(registry_www_authenticate_hostile)
{
	reg_challenge ch[2];
	size_t n;
	cpod_err err;
	static const char *const bad[] = {
		"Bearer realm=\"unterminated",
		"Bearer realm=\"x\" service=\"y\"",       /* no comma */
		"Bearer realm=\"x\", service=",           /* no value */
		"Bearer realm=\"a\x01\"",                 /* control character */
		"\"quoted\" realm=x",
		"Bearer realm=\"x\\",
		"A, B, C",                                /* more than room */
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		CHECK_MSG(reg_parse_www_authenticate(bad[i], ch, 2, &n, &err) < 0, "accepted %s",
			  bad[i]);
	/* over-long values are refused, not cut */
	char *big = malloc(4000);
	CHECK(big);
	strcpy(big, "Bearer realm=\"");
	memset(big + 14, 'a', 3000);
	strcpy(big + 3014, "\"");
	CHECK(reg_parse_www_authenticate(big, ch, 2, &n, &err) < 0);
	CHECK(err.code == CPOD_E_LIMIT);
	/* a long unknown parameter is skipped only within the bound */
	memcpy(big, "Bearer xxxxx=\"", 14);
	CHECK(reg_parse_www_authenticate(big, ch, 2, &n, &err) < 0);
	free(big);
	/* the parameters go to the last challenge only */
	CHECK(reg_parse_www_authenticate("Basic, Bearer realm=r", ch, 2, &n, &err) == 0);
	CHECK(n == 2 && ch[0].realm[0] == '\0');
	CHECK_STR(ch[1].realm, "r");
}

TEST(registry_content_range)
{
	int64_t s, e, t;
	CHECK(reg_parse_content_range("bytes 100-199/1000", &s, &e, &t) == 0);
	CHECK(s == 100 && e == 199 && t == 1000);
	CHECK(reg_parse_content_range("bytes 0-0/*", &s, &e, &t) == 0);
	CHECK(s == 0 && e == 0 && t == -1);
	CHECK(reg_parse_content_range("Bytes  5-9/10", &s, &e, &t) == 0);
	CHECK(s == 5 && e == 9 && t == 10);
	static const char *const bad[] = {
		"bytes 100-99/1000", "bytes 1-2/2", "bytes -1-2/3", "bytes 1-/3", "bytes 1-2",
		"bytes 1-2/", "bytes=1-2/3", "items 1-2/3", "bytes 1-2/3x", "bytes 99999999999999999999-1/2",
		"bytes */1000", "",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		CHECK_MSG(reg_parse_content_range(bad[i], &s, &e, &t) < 0, "accepted %s", bad[i]);

	CHECK(reg_parse_upload_range("0-1023") == 1023);
	CHECK(reg_parse_upload_range("bytes=0-0") == 0);
	CHECK(reg_parse_upload_range("1-1023") == -1);
	CHECK(reg_parse_upload_range("0-") == -1);
	CHECK(reg_parse_upload_range("0-12x") == -1);
}

TEST(registry_error_text)
{
	char out[200];
	const char *j = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest "
			"unknown\",\"detail\":{}},{\"code\":\"DENIED\"}]}";
	reg_error_text(j, strlen(j), out, sizeof(out));
	CHECK_STR(out, "MANIFEST_UNKNOWN: manifest unknown; DENIED");
	reg_error_text("<html>\x01oops\n<body>", 20, out, sizeof(out));
	CHECK_STR(out, "<html>oops");
	reg_error_text("", 0, out, sizeof(out));
	CHECK_STR(out, "");
	/* small room: cut, NUL-terminated */
	reg_error_text(j, strlen(j), out, 10);
	CHECK(strlen(out) < 10);

	char q[64];
	CHECK(reg_query_escape("repository:a/b:pull,push", q, sizeof(q)) == 0);
	CHECK_STR(q, "repository%3Aa%2Fb%3Apull%2Cpush");
	CHECK(reg_query_escape("x y", q, 4) < 0);
}
