/*
 * test_net_url.c — URLs: absolute ones with ports and IPv6 hosts, what is
 * refused, Locations resolved against a base (RFC 3986 section 5.4
 * examples), percent-encoding of what a request line cannot carry.
 */

static const char *turl_resolve(const char *base, const char *ref, char *out, size_t n)
{
	http_url b, u;
	cpod_err err;
	if (http_url_parse(base, NULL, &b, &err) < 0 || http_url_parse(ref, &b, &u, &err) < 0) {
		snprintf(out, n, "error: %.200s", err.msg);
		return out;
	}
	http_url_str(&u, out, n);
	return out;
}

TEST(net_url_absolute)
{
	http_url u;
	cpod_err err;
	char s[600];

	CHECK(http_url_parse("https://Registry.Example.COM/v2/", NULL, &u, &err) == 0);
	CHECK_STR(u.scheme, "https");
	CHECK_STR(u.host, "registry.example.com");
	CHECK(u.port == 443);
	CHECK_STR(u.path, "/v2/");

	CHECK(http_url_parse("HTTP://localhost:5000", NULL, &u, &err) == 0);
	CHECK_STR(u.scheme, "http");
	CHECK(u.port == 5000);
	CHECK_STR(u.path, "/");

	CHECK(http_url_parse("http://[::1]:8080/a?b=c#frag", NULL, &u, &err) == 0);
	CHECK_STR(u.host, "::1");
	CHECK(u.port == 8080);
	CHECK_STR(u.path, "/a?b=c");
	http_url_str(&u, s, sizeof(s));
	CHECK_STR(s, "http://[::1]:8080/a?b=c");

	CHECK(http_url_parse("http://h?q=1", NULL, &u, &err) == 0);
	CHECK_STR(u.path, "/?q=1");
	CHECK(http_url_parse("https://h:/x", NULL, &u, &err) == 0);
	CHECK(u.port == 443);
	http_url_str(&u, s, sizeof(s));
	CHECK_STR(s, "https://h/x");

	/* bytes a request line cannot carry are encoded, escapes kept */
	CHECK(http_url_parse("http://h/a b/\xc3\xa9?x=%41\"", NULL, &u, &err) == 0);
	CHECK_STR(u.path, "/a%20b/%C3%A9?x=%41%22");

	http_url_hostport(&u, true, s, sizeof(s));
	CHECK_STR(s, "h:80");
}

TEST(net_url_refused)
{
	http_url u;
	cpod_err err;
	static const char *const bad[] = {
		"ftp://h/", "registry/v2", "http:/h", "http://", "http://:80/", "http://h:0/",
		"http://h:65536/", "http://h:8x/", "http://user:pw@h/", "http://[::1/",
		"http://[zz]/", "http://[::1]x/", "http://h%41/", "http://a b/",
		"http://h/\r\nX: y",
		"", "//h/",
	};

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		CHECK_MSG(http_url_parse(bad[i], NULL, &u, &err) < 0, "accepted \"%s\"", bad[i]);
	CHECK(http_url_parse("http://user@h/", NULL, &u, &err) < 0);
	CHECK(strstr(err.msg, "credentials") != NULL);

	/* the path bound */
	char *big = malloc(5000);
	CHECK(big);
	strcpy(big, "http://h/");
	memset(big + 9, 'a', 4990);
	big[4999] = '\0';
	CHECK(http_url_parse(big, NULL, &u, &err) < 0);
	CHECK(err.code == CPOD_E_LIMIT);
	free(big);
}

TEST(net_url_relative)
{
	/* RFC 3986 5.4.1 and 5.4.2, with an http base */
	static const char *const cases[][2] = {
		{ "g", "http://a/b/c/g" },          { "./g", "http://a/b/c/g" },
		{ "g/", "http://a/b/c/g/" },        { "/g", "http://a/g" },
		{ "//g", "http://g/" },             { "?y", "http://a/b/c/d;p?y" },
		{ "g?y", "http://a/b/c/g?y" },      { "#s", "http://a/b/c/d;p?q" },
		{ "g#s", "http://a/b/c/g" },        { ";x", "http://a/b/c/;x" },
		{ "", "http://a/b/c/d;p?q" },       { ".", "http://a/b/c/" },
		{ "./", "http://a/b/c/" },          { "..", "http://a/b/" },
		{ "../", "http://a/b/" },           { "../g", "http://a/b/g" },
		{ "../..", "http://a/" },           { "../../", "http://a/" },
		{ "../../g", "http://a/g" },        { "../../../g", "http://a/g" },
		{ "../../../../g", "http://a/g" },  { "/./g", "http://a/g" },
		{ "/../g", "http://a/g" },          { "g.", "http://a/b/c/g." },
		{ ".g", "http://a/b/c/.g" },        { "g..", "http://a/b/c/g.." },
		{ "..g", "http://a/b/c/..g" },      { "./../g", "http://a/b/g" },
		{ "./g/.", "http://a/b/c/g/" },     { "g/./h", "http://a/b/c/g/h" },
		{ "g/../h", "http://a/b/c/h" },     { "g;x=1/./y", "http://a/b/c/g;x=1/y" },
		{ "g;x=1/../y", "http://a/b/c/y" }, { "g?y/./x", "http://a/b/c/g?y/./x" },
		{ "g?y/../x", "http://a/b/c/g?y/../x" },
		{ "https://s3.example:9000/bucket/blob?X-Sig=abc",
		  "https://s3.example:9000/bucket/blob?X-Sig=abc" },
		{ "//other:81/x", "http://other:81/x" },
	};
	char out[600];

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		turl_resolve("http://a/b/c/d;p?q", cases[i][0], out, sizeof(out));
		CHECK_MSG(strcmp(out, cases[i][1]) == 0, "\"%s\" -> \"%s\", expected \"%s\"",
			  cases[i][0], out, cases[i][1]);
	}
	/* a scheme-relative Location keeps https */
	turl_resolve("https://reg/v2/x", "//cdn.example/blob", out, sizeof(out));
	CHECK_STR(out, "https://cdn.example/blob");
	turl_resolve("https://reg:5000/v2/x", "/v2/y", out, sizeof(out));
	CHECK_STR(out, "https://reg:5000/v2/y");
}
