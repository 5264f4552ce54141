/*
 * test_net_tls.c — TLS against real servers in the test's network
 * namespace: `openssl s_server -www` (RSA and EC certificates, an expired
 * one, one that requires a client certificate) and test/helpers/
 * https-server.py (HTTP/1.1 keep-alive over TLS), with a CA and
 * certificates made by test/helpers/net-certs.sh.  The "system" bundle is
 * SSL_CERT_FILE pointing at an unrelated CA, so the test CA is trusted
 * only when a test says so.  Checked: trust through ca_files and through
 * the system bundle, the messages for an untrusted, misnamed or expired
 * certificate, IP-address hosts, insecure mode, client certificates (RSA
 * PKCS#8 and EC SEC1 keys), the suites negotiated, keep-alive over TLS, and
 * HTTPS through a CONNECT proxy with NO_PROXY.
 */

static char ttls_certs[300];   /* made once, removed at exit */
static char ttls_helpers[300];
static tls_config ttls_cfg;
static char ttls_log[2048];    /* warnings the library logged */

static void ttls_cleanup(void)
{
	char cmd[400];
	if (ttls_certs[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ttls_certs);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", ttls_certs);
	}
}

/* test/helpers of the tree this binary was built in (build/ or build/asan/). */
static bool ttls_find_helpers(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	for (int up = 0; up < 4; up++) {
		char *slash = strrchr(exe, '/');
		if (!slash)
			return false;
		*slash = '\0';
		snprintf(ttls_helpers, sizeof(ttls_helpers), "%.250s/test/helpers", exe);
		char probe[400];
		snprintf(probe, sizeof(probe), "%s/net-certs.sh", ttls_helpers);
		if (access(probe, X_OK) == 0)
			return true;
	}
	return false;
}

/* The certificates, made once per run (in the parent, before the fork). */
static bool ttls_make_certs(void)
{
	if (ttls_certs[0])
		return true;
	if (!ttls_find_helpers())
		return false;
	snprintf(ttls_certs, sizeof(ttls_certs), "/tmp/cpod-unit-tls.XXXXXX");
	if (!mkdtemp(ttls_certs)) {
		ttls_certs[0] = '\0';
		return false;
	}
	atexit(ttls_cleanup);
	char cmd[800];
	snprintf(cmd, sizeof(cmd), "'%s/net-certs.sh' '%s'", ttls_helpers, ttls_certs);
	return system(cmd) == 0;
}

static const char *ttls_path(const char *name)
{
	static char paths[8][400];
	static int next;
	char *p = paths[next++ % 8];
	snprintf(p, sizeof(paths[0]), "%s/%s", ttls_certs, name);
	return p;
}

/* Starts a program (stdout/stderr to a log in tnet_dir) and waits for port. */
static bool ttls_spawn(const char *const argv[], uint16_t port)
{
	char log[400];
	snprintf(log, sizeof(log), "%s/server-%u.log", tnet_dir, port);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || in < 0)
			_exit(127);
		dup2(in, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	tnet_track(pid);
	return pid > 0 && tnet_wait_port("127.0.0.1", port, 10000);
}

/* openssl s_server -www on port; extra: more options (NULL-terminated). */
static bool ttls_s_server_opts(uint16_t port, const char *cert, const char *key,
			       const char *const *extra)
{
	char accept[32];
	const char *argv[32] = { "openssl", "s_server", "-accept", accept,
				 "-cert", ttls_path(cert), "-key", ttls_path(key), "-www", "-quiet" };
	size_t n = 10;
	snprintf(accept, sizeof(accept), "%u", port);
	for (size_t i = 0; extra && extra[i] && n < ARRAY_LEN(argv) - 1; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	return ttls_spawn(argv, port);
}

static bool ttls_s_server(uint16_t port, const char *cert, const char *key, bool verify)
{
	const char *const v[] = { "-Verify", "1", "-CAfile", ttls_path("ca.pem"), NULL };
	return ttls_s_server_opts(port, cert, key, verify ? v : NULL);
}

/* A path that stays valid (ttls_path's are reused): for ttls_cfg. */
static const char *ttls_keep(const char *name)
{
	static char paths[16][400];
	static int next;
	char *p = paths[next++ % 16];
	snprintf(p, sizeof(paths[0]), "%s", ttls_path(name));
	return p;
}

static int ttls_tls_for(void *ctx, const char *host, uint16_t port, tls_config *out,
			cpod_err *err)
{
	*out = ttls_cfg;
	return 0;
}

static void ttls_log_fn(int level, const char *msg, void *ud)
{
	size_t n = strlen(ttls_log);
	snprintf(ttls_log + n, sizeof(ttls_log) - n, "%s\n", msg);
}

/* GET url; the status, or -1 with err. */
static int ttls_get(const char *url, char *body, size_t cap, cpod_err *err)
{
	http_client_opts o = { .tls_for = ttls_tls_for, .connect_timeout_ms = 5000,
			       .io_timeout_ms = 5000 };
	http_client *c = http_client_new(&o, err);
	http_request req = { .method = "GET", .url = url };
	http_response *r;
	_cleanup_buf_ buf b = BUF_INIT;
	int status = -1;

	cpod_err_clear(err);
	if (c && http_do(c, &req, &r, err) == 0) {
		if (http_read_body(r, 1 << 20, &b, err) == 0) {
			status = r->status;
			snprintf(body, cap, "%s", b.data ? b.data : "");
		}
		http_response_free(r);
	}
	http_client_free(c);
	return status;
}

/* A TLS connection straight to 127.0.0.1:port; the suite in desc. */
static bool ttls_direct(uint16_t port, const char *name, char *desc, size_t cap, cpod_err *err)
{
	int fd = net_connect("127.0.0.1", port, 2000, err);
	if (fd < 0)
		return false;
	tls_conn *t = tls_connect(fd, name, &ttls_cfg, 5000, err);
	if (!t)
		return false;
	tls_describe(t, desc, cap);
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	char got[64] = "";
	bool ok = tls_write(t, req, sizeof(req) - 1, 5000, err) == 0 &&
		  tls_read(t, got, sizeof(got) - 1, 5000, err) > 0 &&
		  !strncmp(got, "HTTP/1.0 200", 12);
	tls_close(t);
	return ok;
}

static void ttls_env(void)
{
	unsetenv("HTTPS_PROXY");
	unsetenv("https_proxy");
	unsetenv("NO_PROXY");
	unsetenv("no_proxy");
	setenv("SSL_CERT_FILE", ttls_path("other-ca.pem"), 1);
	setenv("CPOD_RESOLV_CONF", tnet_file("resolv.conf", "nameserver 127.0.0.1\n"
					     "options timeout:1 attempts:1\n"), 1);
	setenv("CPOD_HOSTS", tnet_file("hosts", "127.0.0.1 registry.test origin.test\n"), 1);
	memset(&ttls_cfg, 0, sizeof(ttls_cfg));
	ttls_log[0] = '\0';
	cpod_set_log(ttls_log_fn, NULL, CPOD_LOG_WARN);
}

static void ttls_verify(void)
{
	char body[4096], desc[128];
	cpod_err err;

	ttls_env();
	CHECK(ttls_s_server(8443, "rsa.pem", "rsa.key", false));
	CHECK(ttls_s_server(8444, "ec.pem", "ec.key", false));
	CHECK(ttls_s_server(8445, "expired.pem", "expired.key", false));

	/* trusted through ca_files */
	ttls_cfg.ca_files[0] = ttls_keep("ca.pem");
	ttls_cfg.n_ca_files = 1;
	CHECK_MSG(ttls_get("https://registry.test:8443/", body, sizeof(body), &err) == 200, "%s",
		  err.msg);
	CHECK(strstr(body, "<HTML>") || strstr(body, "<html>") || strstr(body, "s_server"));
	CHECK_MSG(ttls_direct(8443, "registry.test", desc, sizeof(desc), &err), "%s", err.msg);
	CHECK_STR(desc, "TLS 1.2, ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	CHECK_MSG(ttls_direct(8444, "registry.test", desc, sizeof(desc), &err), "%s", err.msg);
	CHECK_STR(desc, "TLS 1.2, ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
	CHECK(ttls_get("https://registry.test:8444/", body, sizeof(body), &err) == 200);
	/* the other suites, one server each */
	static const struct {
		uint16_t port;
		const char *cert, *key, *cipher, *want;
	} suites[] = {
		{ 8450, "rsa.pem", "rsa.key", "ECDHE-RSA-AES256-GCM-SHA384",
		  "TLS 1.2, ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
		{ 8451, "rsa.pem", "rsa.key", "ECDHE-RSA-CHACHA20-POLY1305",
		  "TLS 1.2, ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
		{ 8452, "ec.pem", "ec.key", "ECDHE-ECDSA-AES256-GCM-SHA384",
		  "TLS 1.2, ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
		{ 8453, "ec.pem", "ec.key", "ECDHE-ECDSA-CHACHA20-POLY1305",
		  "TLS 1.2, ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
	};
	for (size_t i = 0; i < ARRAY_LEN(suites); i++) {
		const char *const opt[] = { "-cipher", suites[i].cipher, NULL };
		CHECK(ttls_s_server_opts(suites[i].port, suites[i].cert, suites[i].key, opt));
		CHECK_MSG(ttls_direct(suites[i].port, "registry.test", desc, sizeof(desc), &err),
			  "%s: %s", suites[i].cipher, err.msg);
		CHECK_STR(desc, suites[i].want);
	}
	/* a server with only old suites (RSA key exchange, CBC) */
	const char *const old[] = { "-cipher", "AES128-SHA256", "-no_tls1_3", NULL };
	CHECK(ttls_s_server_opts(8454, "rsa.pem", "rsa.key", old));
	CHECK(!ttls_direct(8454, "registry.test", desc, sizeof(desc), &err));
	CHECK_MSG(strstr(err.msg, "TLS: handshake with registry.test failed: the server sent "
			 "alert handshake_failure (40) (no cipher suite in common"),
		  "%s", err.msg);
	/* SNI: the server picks its certificate by the name we send */
	const char *const sni[] = { "-servername", "registry.test", "-cert2", ttls_path("rsa.pem"),
				    "-key2", ttls_path("rsa.key"), NULL };
	CHECK(ttls_s_server_opts(8455, "default.pem", "default.key", sni));
	CHECK_MSG(ttls_get("https://registry.test:8455/", body, sizeof(body), &err) == 200, "%s",
		  err.msg);
	/* no SNI with an IP address: the default certificate, not for this address */
	CHECK(ttls_get("https://127.0.0.1:8455/", body, sizeof(body), &err) < 0);
	CHECK_MSG(strstr(err.msg, "TLS: certificate is for default.test, not 127.0.0.1"), "%s",
		  err.msg);

	/* an IP host matches the certificate's IP address, without SNI */
	CHECK_MSG(ttls_get("https://127.0.0.1:8443/", body, sizeof(body), &err) == 200, "%s",
		  err.msg);
	CHECK(ttls_get("https://127.0.0.2:8443/", body, sizeof(body), &err) < 0);
	CHECK_MSG(strstr(err.msg, "TLS: certificate is for registry.test, 127.0.0.1, not "
			 "127.0.0.2"), "%s", err.msg);

	/* the wrong name */
	CHECK(ttls_get("https://origin.test:8443/", body, sizeof(body), &err) < 0);
	CHECK_MSG(strstr(err.msg, "TLS: certificate is for registry.test, 127.0.0.1, not "
			 "origin.test"), "%s", err.msg);
	CHECK(err.code == CPOD_E_PERM);
	CHECK(strstr(err.msg, "GET https://origin.test:8443/: ") == err.msg);

	/* expired */
	CHECK(ttls_get("https://registry.test:8445/", body, sizeof(body), &err) < 0);
	CHECK_MSG(strstr(err.msg, "TLS: certificate expired on 2020-01-02 00:00:00 UTC (subject "
			 "CN=registry.test, O=cpod tests)"), "%s", err.msg);

	/* not trusted: only the unrelated "system" CA */
	ttls_cfg.n_ca_files = 0;
	CHECK(ttls_get("https://registry.test:8443/", body, sizeof(body), &err) < 0);
	CHECK_MSG(strstr(err.msg, "TLS: certificate is not trusted (subject CN=registry.test, "
			 "O=cpod tests, issuer CN=cpod test CA, O=cpod tests)"), "%s", err.msg);
	/* trusted through the system bundle */
	setenv("SSL_CERT_FILE", ttls_path("ca.pem"), 1);
	CHECK_STR(tls_system_ca_file(), ttls_path("ca.pem"));
	CHECK(ttls_get("https://registry.test:8444/", body, sizeof(body), &err) == 200);
	setenv("SSL_CERT_FILE", ttls_path("no-such-bundle.pem"), 1);
	CHECK(ttls_get("https://registry.test:8444/", body, sizeof(body), &err) < 0);
	CHECK_MSG(strstr(err.msg, "no-such-bundle.pem"), "%s", err.msg);
	setenv("SSL_CERT_FILE", ttls_path("other-ca.pem"), 1);
	ttls_cfg.ca_files[0] = ttls_keep("rsa.key");
	ttls_cfg.n_ca_files = 1;
	CHECK(ttls_get("https://registry.test:8444/", body, sizeof(body), &err) < 0);
	CHECK_MSG(strstr(err.msg, "no usable CA certificate"), "%s", err.msg);
	ttls_cfg.n_ca_files = 0;

	/* insecure: anything goes, with a warning */
	ttls_cfg.insecure = true;
	CHECK(ttls_get("https://origin.test:8443/", body, sizeof(body), &err) == 200);
	CHECK(ttls_get("https://registry.test:8445/", body, sizeof(body), &err) == 200);
	CHECK(ttls_get("https://127.0.0.2:8444/", body, sizeof(body), &err) == 200);
	CHECK_MSG(strstr(ttls_log, "TLS: not verifying the certificate of origin.test"), "%s",
		  ttls_log);

	/* not TLS at all */
	int l = tnet_listen("127.0.0.1", 8449, 4);
	CHECK(l >= 0);
	ttls_cfg.insecure = false;
	pid_t junk = fork();
	if (junk == 0) {
		int c = accept(l, NULL, NULL);
		if (c >= 0 && write(c, "HTTP/1.1 400 Bad\r\n\r\n", 20) > 0)
			usleep(200000);
		_exit(0);
	}
	tnet_track(junk);
	close(l);
	CHECK(ttls_get("https://registry.test:8449/", body, sizeof(body), &err) < 0);
	CHECK_MSG(strstr(err.msg, "TLS: handshake with registry.test failed: BR_ERR_"), "%s",
		  err.msg);
	cpod_set_log(NULL, NULL, CPOD_LOG_WARN);
}

TEST(net_tls_verify)
{
	CHECK_MSG(ttls_make_certs(), "net-certs.sh failed or test/helpers not found");
	tnet_in_netns("net_tls_verify", ttls_verify);
}

static void ttls_clients_and_proxy(void)
{
	char body[4096];
	cpod_err err;

	ttls_env();
	ttls_cfg.ca_files[0] = ttls_keep("ca.pem");
	ttls_cfg.n_ca_files = 1;
	CHECK(ttls_s_server(8446, "ec.pem", "ec.key", true));

	/* the server wants a client certificate */
	CHECK(ttls_get("https://registry.test:8446/", body, sizeof(body), &err) < 0);
	CHECK_MSG(strstr(err.msg, "TLS: handshake with registry.test failed: the server sent "
			 "alert"), "%s", err.msg);
	CHECK_MSG(strstr(err.msg, "client certificate"), "%s", err.msg);
	ttls_cfg.client_cert = ttls_keep("client-rsa.pem");
	ttls_cfg.client_key = ttls_keep("client-rsa.key");
	CHECK_MSG(ttls_get("https://registry.test:8446/", body, sizeof(body), &err) == 200, "%s",
		  err.msg);
	ttls_cfg.client_cert = ttls_keep("client-ec.pem");
	ttls_cfg.client_key = ttls_keep("client-ec.key");
	CHECK_MSG(ttls_get("https://registry.test:8446/", body, sizeof(body), &err) == 200, "%s",
		  err.msg);
	ttls_cfg.client_key = NULL;
	CHECK(ttls_get("https://registry.test:8446/", body, sizeof(body), &err) < 0);
	CHECK_MSG(strstr(err.msg, "needs its key"), "%s", err.msg);
	ttls_cfg.client_key = ttls_keep("ca.pem");
	CHECK(ttls_get("https://registry.test:8446/", body, sizeof(body), &err) < 0);
	CHECK_MSG(strstr(err.msg, "no private key"), "%s", err.msg);
	ttls_cfg.client_cert = ttls_cfg.client_key = NULL;

	/* keep-alive over TLS, a large body, a request body */
	char log[400], port[16] = "8447";
	snprintf(log, sizeof(log), "%s/connections.log", tnet_dir);
	char script[400];
	snprintf(script, sizeof(script), "%s/https-server.py", ttls_helpers);
	const char *argv[] = { "/usr/bin/python3", script, port, ttls_path("rsa.pem"),
			       ttls_path("rsa.key"), log, NULL };
	CHECK(ttls_spawn(argv, 8447));
	http_client_opts o = { .tls_for = ttls_tls_for };
	http_client *c = http_client_new(&o, &err);
	for (int i = 0; i < 3; i++) {
		http_request req = { .method = "GET", .url = "https://registry.test:8447/hello" };
		http_response *r;
		CHECK_MSG(http_do(c, &req, &r, &err) == 0, "%s", err.msg);
		_cleanup_buf_ buf b = BUF_INIT;
		CHECK(http_read_body(r, 100, &b, &err) == 0);
		CHECK_STR(b.data, "hello");
		http_response_free(r);
	}
	http_request big = { .method = "GET", .url = "https://registry.test:8447/big" };
	http_response *r;
	CHECK(http_do(c, &big, &r, &err) == 0);
	_cleanup_buf_ buf b = BUF_INIT;
	CHECK_MSG(http_read_body(r, 2 << 20, &b, &err) == 0, "%s", err.msg);
	CHECK(b.len == 1 << 20);
	for (size_t i = 0; i < b.len; i += 4093)
		CHECK(b.data[i] == (char)('a' + i % 26));
	http_response_free(r);
	thttp_mem m = { "0123456789abcdef", 16, 0, 0 };
	byte_source src = { thttp_mem_read, &m };
	http_request put = { .method = "PUT", .url = "https://registry.test:8447/echo",
			     .body = &src, .body_len = 16 };
	CHECK(http_do(c, &put, &r, &err) == 0);
	buf_reset(&b);
	CHECK(http_read_body(r, 100, &b, &err) == 0);
	CHECK_STR(b.data, "0123456789abcdef");
	http_response_free(r);
	http_client_free(c);
	_cleanup_buf_ buf conns = BUF_INIT;
	CHECK(fs_read_file(AT_FDCWD, log, 4096, &conns, &err) == 0);
	/* one connection for all five requests (the readiness probe never got
	 * through the handshake, so it is not counted) */
	CHECK_MSG(!strcmp(conns.data, "connection\n"), "%s", conns.data);

	/* through a CONNECT proxy, then around it */
	thttp_proxy = thttp_start("127.0.0.1", THTTP_PROXY_PORT, true);
	CHECK(thttp_proxy);
	setenv("HTTPS_PROXY", "http://127.0.0.1:3128", 1);
	CHECK_MSG(ttls_get("https://registry.test:8447/hello", body, sizeof(body), &err) == 200,
		  "%s", err.msg);
	CHECK_STR(body, "hello");
	CHECK_STR(thttp_proxy->connect, "registry.test:8447");
	int before = thttp_proxy->requests;
	setenv("NO_PROXY", "registry.test", 1);
	CHECK(ttls_get("https://registry.test:8447/hello", body, sizeof(body), &err) == 200);
	CHECK(thttp_proxy->requests == before);
	/* a proxy that refuses */
	unsetenv("NO_PROXY");
	CHECK(ttls_get("https://registry.test:9999/hello", body, sizeof(body), &err) < 0);
	CHECK_MSG(strstr(err.msg, "proxy 127.0.0.1:3128 refused CONNECT registry.test:9999: 502"),
		  "%s", err.msg);
	unsetenv("HTTPS_PROXY");
}

TEST(net_tls_client_cert_proxy)
{
	CHECK_MSG(ttls_make_certs(), "net-certs.sh failed or test/helpers not found");
	tnet_in_netns("net_tls_client_cert_proxy", ttls_clients_and_proxy);
}
