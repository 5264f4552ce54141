/*
 * test_net_http_parse.c — the response head parser and the chunked
 * decoder on their own: good heads (incremental, LF-only, lists), each kind
 * of malformed head, the size bounds, and chunked bodies fed whole, byte by
 * byte and into tiny output buffers, with their malformed variants.
 */

/* Parses a complete head; the return of http_parse_head. */
static ssize_t thp_parse(const char *text, http_response *r, cpod_err *err)
{
	memset(r, 0, sizeof(*r));
	return http_parse_head(text, strlen(text), r, err);
}

TEST(net_http_head_good)
{
	static const char head[] = "HTTP/1.1 200 OK\r\n"
				   "Content-Type: application/json\r\n"
				   "Content-Length:  42 \r\n"
				   "X-Empty:\r\n"
				   "Docker-Distribution-API-Version: registry/2.0\r\n"
				   "\r\n"
				   "body";
	http_response r;
	cpod_err err;

	CHECK(thp_parse(head, &r, &err) == (ssize_t)strlen(head) - 4);
	CHECK(r.status == 200);
	CHECK_STR(r.reason, "OK");
	CHECK(r.version == 11);
	CHECK(r.n_headers == 4);
	CHECK(r.content_length == 42);
	CHECK(!r.chunked && r.keep_alive);
	CHECK_STR(http_header_get(&r, "content-length"), "42");
	CHECK_STR(http_header_get(&r, "X-EMPTY"), "");
	CHECK_STR(r.headers[3].name, "Docker-Distribution-API-Version");
	CHECK(http_header_get(&r, "Location") == NULL);

	/* every prefix wants more, never fails */
	for (size_t n = 0; n < strlen(head) - 4; n++) {
		http_response p;
		memset(&p, 0, sizeof(p));
		CHECK_MSG(http_parse_head(head, n, &p, &err) == 0, "prefix %zu", n);
	}
	/* parsing again replaces the headers (no leak under ASan) */
	CHECK(http_parse_head("HTTP/1.0 404 \n\n", 15, &r, &err) == 15);
	CHECK(r.status == 404 && r.version == 10 && !r.keep_alive && r.n_headers == 0);
	CHECK_STR(r.reason, "");
	free(r.headers);

	CHECK(thp_parse("HTTP/1.1 204\r\n\r\n", &r, &err) > 0);
	CHECK(r.status == 204 && r.content_length == -1);
	free(r.headers);

	CHECK(thp_parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n"
			"Connection: keep-alive, Close\r\n\r\n", &r, &err) > 0);
	CHECK(r.chunked && !r.keep_alive && r.content_length == -1);
	free(r.headers);

	CHECK(thp_parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
			"Content-Length: 7, 7\r\n\r\n", &r, &err) > 0);
	CHECK(r.keep_alive && r.content_length == 7);
	free(r.headers);

	/* both framings: chunked wins, and the connection is not reused */
	CHECK(thp_parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
			"Transfer-Encoding: chunked\r\n\r\n", &r, &err) > 0);
	CHECK(r.chunked && r.content_length == -1 && !r.keep_alive);
	free(r.headers);

	/* a long reason is cut, obs-text kept */
	char big[400];
	snprintf(big, sizeof(big), "HTTP/1.1 500 %0300d\xe9\r\n\r\n", 0);
	CHECK(thp_parse(big, &r, &err) > 0);
	CHECK(strlen(r.reason) == sizeof(r.reason) - 1);
	free(r.headers);
}

TEST(net_http_head_malformed)
{
	static const char *const bad[] = {
		"HTTP/2 200 OK\r\n\r\n",
		"HTTP/1.1 200OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 600 Nope\r\n\r\n",
		"HTTP/1.1 099 x\r\n\r\n",
		"HTTP/1.2 200 OK\r\n\r\n",
		"http/1.1 200 OK\r\n\r\n",
		"ICY 200 OK\r\n\r\n",
		"\r\nHTTP/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 200 O\x01K\r\n\r\n",
		"HTTP/1.1 200 OK\r\nName : v\r\n\r\n",              /* space before the colon */
		"HTTP/1.1 200 OK\r\nNo colon\r\n\r\n",
		"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
		"HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",       /* obs-fold */
		"HTTP/1.1 200 OK\r\nA: b\r\n\tfolded\r\n\r\n",
		"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n",               /* bare CR */
		"HTTP/1.1 200 OK\r\nA: b\x7f\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5,\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		"Transfer-Encoding: chunked\r\n\r\n",
	};
	http_response r;
	cpod_err err;

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		memset(&r, 0, sizeof(r));
		ssize_t n = http_parse_head(bad[i], strlen(bad[i]), &r, &err);
		CHECK_MSG(n < 0, "accepted #%zu: \"%s\"", i, bad[i]);
		CHECK(r.headers == NULL);
	}
	/* an embedded NUL (strlen would stop at it) */
	static const char nul[] = "HTTP/1.1 200 OK\r\nA: b\0c\r\n\r\n";
	memset(&r, 0, sizeof(r));
	CHECK(http_parse_head(nul, sizeof(nul) - 1, &r, &err) < 0);

	/* equal duplicates are fine */
	CHECK(thp_parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 05\r\n\r\n",
			&r, &err) > 0);
	CHECK(r.content_length == 5);
	free(r.headers);
}

TEST(net_http_head_bounds)
{
	http_response r;
	cpod_err err;
	_cleanup_buf_ buf b = BUF_INIT;

	/* 100 header fields pass, 101 do not */
	CHECK(buf_puts(&b, "HTTP/1.1 200 OK\r\n", &err) == 0);
	for (int i = 0; i < 100; i++)
		CHECK(buf_printf(&b, &err, "X-%d: %d\r\n", i, i) == 0);
	size_t at100 = b.len;
	CHECK(buf_puts(&b, "\r\n", &err) == 0);
	memset(&r, 0, sizeof(r));
	CHECK(http_parse_head(b.data, b.len, &r, &err) == (ssize_t)b.len);
	CHECK(r.n_headers == 100);
	CHECK_STR(http_header_get(&r, "X-99"), "99");
	free(r.headers);
	b.len = at100;
	CHECK(buf_puts(&b, "X-100: 100\r\n\r\n", &err) == 0);
	memset(&r, 0, sizeof(r));
	CHECK(http_parse_head(b.data, b.len, &r, &err) < 0);
	CHECK(err.code == CPOD_E_LIMIT);

	/* a head that does not end within 64 KiB */
	buf_reset(&b);
	CHECK(buf_puts(&b, "HTTP/1.1 200 OK\r\nX-Big: ", &err) == 0);
	while (b.len < HTTP_MAX_HEAD - 1)
		CHECK(buf_putc(&b, 'a', &err) == 0);
	memset(&r, 0, sizeof(r));
	CHECK(http_parse_head(b.data, b.len, &r, &err) == 0);   /* not yet */
	CHECK(buf_putc(&b, 'a', &err) == 0);
	CHECK(http_parse_head(b.data, b.len, &r, &err) < 0);
	CHECK(err.code == CPOD_E_LIMIT);
	CHECK(strstr(err.msg, "64 KiB") != NULL);
}

/* Decodes a whole chunked body from in, feeding at most `step` bytes at a
 * time into an output of `room` bytes; out gets the data.  Returns 1 at the
 * end (and *rest the bytes after it), 0 when incomplete, -1 on error. */
static int thp_chunked(const char *in, size_t len, size_t step, size_t room, buf *out,
		       size_t *rest, cpod_err *err)
{
	http_chunked d;
	char o[64];
	size_t off = 0;

	memset(&d, 0, sizeof(d));
	buf_reset(out);
	buf_append(out, "", 0, err);
	while (off < len) {
		size_t n = len - off < step ? len - off : step, used, produced;
		int r = http_chunked_feed(&d, in + off, n, &used, o, room, &produced, err);
		if (r < 0)
			return -1;
		buf_append(out, o, produced, err);
		off += used;
		if (r == 1) {
			*rest = len - off;
			return 1;
		}
	}
	return 0;
}

TEST(net_http_chunked_good)
{
	static const char body[] = "5\r\nhello\r\n"
				   "6;name=value;x=\"q\"\r\n world\r\n"
				   "A  \r\n0123456789\r\n"
				   "0\r\n"
				   "Trailer-One: 1\r\n"
				   "\r\n"
				   "HTTP/1.1 next";
	_cleanup_buf_ buf out = BUF_INIT;
	cpod_err err;
	size_t rest = 0;
	size_t steps[] = { 1, 2, 3, 7, sizeof(body) };
	size_t rooms[] = { 1, 3, 64 };

	for (size_t s = 0; s < ARRAY_LEN(steps); s++) {
		for (size_t k = 0; k < ARRAY_LEN(rooms); k++) {
			int r = thp_chunked(body, sizeof(body) - 1, steps[s], rooms[k], &out,
					    &rest, &err);
			CHECK_MSG(r == 1, "step %zu room %zu: %d %s", steps[s], rooms[k], r,
				  r < 0 ? err.msg : "");
			CHECK_STR(out.data, "hello world0123456789");
			CHECK(rest == strlen("HTTP/1.1 next"));
		}
	}
	/* LF-only lines, an empty trailer, upper-case hex */
	CHECK(thp_chunked("B\nhello world\n0\n\n", 17, 100, 64, &out, &rest, &err) == 1);
	CHECK_STR(out.data, "hello world");
	CHECK(rest == 0);
	/* incomplete: wants more */
	CHECK(thp_chunked("5\r\nhel", 6, 100, 64, &out, &rest, &err) == 0);
	CHECK(thp_chunked("0\r\nX: y\r\n", 10, 100, 64, &out, &rest, &err) == 0);
	/* leading zeros are fine up to the line bound */
	CHECK(thp_chunked("0000000001\r\nx\r\n0\r\n\r\n", 20, 100, 64, &out, &rest, &err) == 1);
	CHECK_STR(out.data, "x");
}

TEST(net_http_chunked_malformed)
{
	static const char *const bad[] = {
		"\r\nhello\r\n0\r\n\r\n",            /* no size */
		"g\r\n",                             /* not hex */
		"-5\r\nhello\r\n",
		"+5\r\nhello\r\n",
		"0x5\r\nhello\r\n",
		"5 5\r\nhello\r\n",                  /* digits after whitespace */
		"5\rhello\r\n",                      /* bare CR */
		"5\r\nhelloX\r\n0\r\n\r\n",          /* data longer than the size */
		"5\r\nhello\r\r\n",
		"10000000000000000\r\n",             /* 2^64: overflow */
		"fffffffffffffffff\r\n",
		"5;a\x01\r\nhello\r\n",              /* control character in an extension */
		"0\r\n folded: trailer\r\n\r\n",
		"0\r\nA: b\rc\r\n\r\n",
		"0\r\n\rX",
	};
	_cleanup_buf_ buf out = BUF_INIT;
	cpod_err err;
	size_t rest;

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		CHECK_MSG(thp_chunked(bad[i], strlen(bad[i]), 100, 64, &out, &rest, &err) < 0,
			  "accepted #%zu \"%s\"", i, bad[i]);

	/* the chunk-size line bound (extensions included) */
	_cleanup_buf_ buf line = BUF_INIT;
	CHECK(buf_puts(&line, "1;", &err) == 0);
	while (line.len < HTTP_MAX_CHUNK_LINE + 10)
		CHECK(buf_putc(&line, 'e', &err) == 0);
	CHECK(buf_puts(&line, "\r\nx\r\n0\r\n\r\n", &err) == 0);
	CHECK(thp_chunked(line.data, line.len, 100, 64, &out, &rest, &err) < 0);
	CHECK(strstr(err.msg, "too long") != NULL);

	/* the trailer bound */
	buf_reset(&line);
	CHECK(buf_puts(&line, "0\r\n", &err) == 0);
	while (line.len < HTTP_MAX_TRAILER + 100)
		CHECK(buf_puts(&line, "X-T: aaaaaaaaaaaaaaaaaaaaaaaa\r\n", &err) == 0);
	CHECK(buf_puts(&line, "\r\n", &err) == 0);
	CHECK(thp_chunked(line.data, line.len, 4096, 64, &out, &rest, &err) < 0);
	CHECK(strstr(err.msg, "trailer") != NULL);
}
