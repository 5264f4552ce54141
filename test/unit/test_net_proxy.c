/*
 * test_net_proxy.c — NO_PROXY matching (Go's rules: domains, leading-dot
 * and "*." suffixes, "*", IP addresses, CIDR blocks, ports, loopback
 * always direct), proxy settings with credentials, base64.
 */

TEST(net_proxy_no_proxy)
{
	static const struct {
		const char *no_proxy, *host;
		uint16_t port;
		bool direct;
	} cases[] = {
		{ "", "registry.example", 443, false },
		{ NULL, "registry.example", 443, false },
		{ "*", "anything.example", 443, true },
		{ "example.com", "example.com", 443, true },
		{ "example.com", "a.b.example.com", 443, true },
		{ "example.com", "badexample.com", 443, false },
		{ "example.com", "example.com.evil", 443, false },
		{ ".example.com", "example.com", 443, false },
		{ ".example.com", "a.example.com", 443, true },
		{ "*.example.com", "example.com", 443, false },
		{ "*.example.com", "a.example.com", 443, true },
		{ "EXAMPLE.com.", "Example.COM", 443, true },
		{ "example.com", "example.com.", 443, true },
		{ " other.org , example.com ", "example.com", 443, true },
		{ "other.org,,example.net", "example.com", 443, false },
		{ "example.com:5000", "example.com", 5000, true },
		{ "example.com:5000", "example.com", 443, false },
		{ "10.1.2.3", "10.1.2.3", 443, true },
		{ "10.1.2.3", "10.1.2.4", 443, false },
		{ "10.1.2.3:443", "10.1.2.3", 443, true },
		{ "10.1.2.3:443", "10.1.2.3", 80, false },
		{ "10.0.0.0/8", "10.200.3.4", 443, true },
		{ "10.0.0.0/8", "11.0.0.1", 443, false },
		{ "10.0.0.0/8", "ten.example", 443, false },
		{ "192.168.1.0/24", "192.168.1.77", 443, true },
		{ "192.168.1.0/33", "192.168.1.77", 443, false },
		{ "fd00::/8", "fd12::1", 443, true },
		{ "fd00::/8", "fe80::1", 443, false },
		{ "::2", "[::2]", 443, true },
		{ "0:0::2", "::2", 443, true },
		{ "[::2]:443", "::2", 443, true },
		{ "[::2]:443", "::2", 80, false },
		{ "10.1.2.3", "10.1.2.3.example", 443, false },
		/* loopback never goes through a proxy */
		{ "", "localhost", 80, true },
		{ "", "registry.localhost", 80, true },
		{ "", "127.0.0.1", 80, true },
		{ "", "127.3.2.1", 80, true },
		{ "", "::1", 80, true },
		{ "", "[::1]", 80, true },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		CHECK_MSG(http_no_proxy(cases[i].no_proxy, cases[i].host, cases[i].port) ==
				  cases[i].direct,
			  "NO_PROXY=\"%s\" host %s:%u: expected %s", cases[i].no_proxy,
			  cases[i].host, cases[i].port, cases[i].direct ? "direct" : "proxy");
}

TEST(net_proxy_setting)
{
	http_proxy p;
	cpod_err err;
	char b64[64];

	CHECK(http_proxy_parse("http://proxy.corp:3128", &p, &err) == 0);
	CHECK_STR(p.host, "proxy.corp");
	CHECK(p.port == 3128);
	CHECK_STR(p.auth, "");
	CHECK(http_proxy_parse("proxy.corp:8080", &p, &err) == 0);
	CHECK(p.port == 8080);
	CHECK(http_proxy_parse("http://proxy.corp/", &p, &err) == 0);
	CHECK(p.port == 80);
	CHECK(http_proxy_parse("http://[fd00::1]:3128", &p, &err) == 0);
	CHECK_STR(p.host, "fd00::1");

	/* credentials, percent-decoded, as Basic */
	CHECK(http_proxy_parse("http://user:p%40ss@proxy:3128", &p, &err) == 0);
	CHECK(http_base64("user:p@ss", 9, b64, sizeof(b64)) == 0);
	CHECK(strncmp(p.auth, "Basic ", 6) == 0);
	CHECK_STR(p.auth + 6, b64);
	CHECK_STR(p.host, "proxy");
	CHECK(http_proxy_parse("http://user@proxy:3128", &p, &err) == 0);
	CHECK(http_base64("user:", 5, b64, sizeof(b64)) == 0);
	CHECK_STR(p.auth + 6, b64);

	CHECK(http_proxy_parse("socks5://user:secret@proxy:1080", &p, &err) < 0);
	CHECK(err.code == CPOD_E_UNSUPPORTED);
	CHECK(strstr(err.msg, "secret") == NULL);
	CHECK(http_proxy_parse("https://proxy:443", &p, &err) < 0);
	CHECK(http_proxy_parse("http://us%zzer:x@proxy:3128", &p, &err) < 0);
	CHECK(http_proxy_parse("http://proxy:99999", &p, &err) < 0);
}

TEST(net_proxy_base64)
{
	static const char *const cases[][2] = {
		{ "", "" },         { "f", "Zg==" },         { "fo", "Zm8=" },
		{ "foo", "Zm9v" },  { "foob", "Zm9vYg==" },  { "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	char out[16];

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		CHECK(http_base64(cases[i][0], strlen(cases[i][0]), out, sizeof(out)) == 0);
		CHECK_STR(out, cases[i][1]);
	}
	CHECK(http_base64("foobar", 6, out, 8) < 0);   /* 8 characters and the NUL */
	CHECK(http_base64("\xff\xfe", 2, out, sizeof(out)) == 0);
	CHECK_STR(out, "//4=");
}
