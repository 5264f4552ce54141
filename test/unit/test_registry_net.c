/*
 * test_registry_net.c — the registry client against a small fake registry
 * forked into the test's own network namespace (see test_net_0common.c):
 * the bearer-token flow with basic credentials, one token fetched and
 * reused, a 401 on a cached token refreshed once; a blob whose connection
 * drops mid-body resumed with Range (206 and its Content-Range checked), a
 * server that ignores Range, a lying Content-Range; the http fallback of an
 * insecure registry.  The real registry (docker-registry) is in
 * test/integration/registry_smoke.sh.
 */

enum { TREG_PORT = 5000, TREG_BLOB = 1 << 20 };

typedef struct treg_stats {
	int tokens;              /* token requests served */
	int bad_basic;           /* token requests without the right credentials */
	int blob_full, blob_range;
	long range_start;
	int revoke_after;        /* blob requests with tok-1 before it is refused (0: never) */
	int tok1_uses;
	int mode;                /* 0: 206, 1: ignore Range (200), 2: a wrong Content-Range */
	int drops;               /* connections to cut mid-body */
} treg_stats;

static treg_stats *treg_st;
static unsigned char *treg_blob;
static char treg_digest[DIGEST_STR_LEN + 1];

static const char *treg_hdr(const char *head, const char *name, char *out, size_t cap)
{
	out[0] = '\0';
	for (const char *p = strstr(head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
		size_t nl = strlen(name);
		if (!strncasecmp(p + 2, name, nl) && p[2 + nl] == ':') {
			const char *v = p + 3 + nl;
			while (*v == ' ')
				v++;
			size_t l = strcspn(v, "\r");
			snprintf(out, cap, "%.*s", (int)(l < cap ? l : cap - 1), v);
			break;
		}
	}
	return out;
}

static void treg_send(int fd, const char *status, const char *extra, const char *body)
{
	char h[1024];
	int n = snprintf(h, sizeof(h), "HTTP/1.1 %s\r\nContent-Length: %zu\r\n%sConnection: "
			 "close\r\n\r\n", status, strlen(body), extra);
	tnet_write(fd, h, (size_t)n);
	tnet_write(fd, body, strlen(body));
}

static void treg_conn(int fd)
{
	char b[8192], auth[512], range[128], line[1024];
	size_t have = 0;
	char first[4];
	if (recv(fd, first, 4, MSG_PEEK | MSG_WAITALL) != 4 || memcmp(first, "GET ", 4) != 0)
		return;   /* a TLS hello, or nothing */
	ssize_t head = tnet_read_head(fd, b, sizeof(b), &have);
	if (head <= 0 || strncmp(b, "GET ", 4) != 0)
		return;   /* a TLS hello, or nothing */
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(b, "\r"), b);
	treg_hdr(b, "Authorization", auth, sizeof(auth));
	treg_hdr(b, "Range", range, sizeof(range));
	const char *chal = "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:5000/token\","
			   "service=\"treg\"\r\n";
	if (!strncmp(line, "GET /v2/ ", 9)) {
		treg_send(fd, "401 Unauthorized", chal, "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}");
		return;
	}
	if (!strncmp(line, "GET /token?", 11)) {
		if (strcmp(auth, "Basic dXNlcjpwdw==") != 0 ||
		    !strstr(line, "service=treg&scope=repository%3Aapp%3Apull ")) {
			treg_st->bad_basic++;
			treg_send(fd, "401 Unauthorized", "", "{\"errors\":[{\"code\":\"DENIED\","
				  "\"message\":\"bad credentials\"}]}");
			return;
		}
		char body[100];
		snprintf(body, sizeof(body), "{\"token\":\"tok-%d\",\"expires_in\":300}",
			 ++treg_st->tokens);
		treg_send(fd, "200 OK", "Content-Type: application/json\r\n", body);
		return;
	}
	char want[128];
	snprintf(want, sizeof(want), "GET /v2/app/blobs/%s ", treg_digest);
	if (strncmp(line, want, strlen(want)) != 0) {
		treg_send(fd, "404 Not Found", "", "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\"}]}");
		return;
	}
	if (strncmp(auth, "Bearer tok-", 11) != 0 ||
	    (!strcmp(auth, "Bearer tok-1") && treg_st->revoke_after &&
	     ++treg_st->tok1_uses > treg_st->revoke_after)) {
		treg_send(fd, "401 Unauthorized", chal, "");
		return;
	}
	long start = 0;
	if (range[0] && sscanf(range, "bytes=%ld-", &start) == 1 && treg_st->mode != 1) {
		treg_st->blob_range++;
		treg_st->range_start = start;
		char h[300];
		int n = snprintf(h, sizeof(h), "HTTP/1.1 206 Partial Content\r\nContent-Length: %ld\r\n"
				 "Content-Range: bytes %ld-%d/%d\r\nConnection: close\r\n\r\n",
				 TREG_BLOB - start, treg_st->mode == 2 ? start + 1 : start,
				 TREG_BLOB - 1, TREG_BLOB);
		/* decided before the client sees a byte: the test changes
		 * drops as soon as a fetch has failed on the header */
		bool drop = treg_st->drops > 0;
		if (drop)
			treg_st->drops--;
		tnet_write(fd, h, (size_t)n);
		size_t len = (size_t)(TREG_BLOB - start);
		if (drop)
			len /= 2;
		tnet_write(fd, (const char *)treg_blob + start, len);
		return;
	}
	treg_st->blob_full++;
	char h[200];
	int n = snprintf(h, sizeof(h), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: "
			 "close\r\n\r\n", TREG_BLOB);
	bool drop = treg_st->drops > 0;
	if (drop)
		treg_st->drops--;
	tnet_write(fd, h, (size_t)n);
	if (drop) {
		tnet_write(fd, (const char *)treg_blob, 300000);   /* then the connection drops */
		return;
	}
	tnet_write(fd, (const char *)treg_blob, TREG_BLOB);
}

static void treg_serve(void *arg)
{
	int lfd = (int)(intptr_t)arg;
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		treg_conn(fd);
		shutdown(fd, SHUT_WR);
		close(fd);
	}
}

static bool treg_setup(void)
{
	treg_st = tnet_shared(sizeof(*treg_st));
	treg_blob = tnet_shared(TREG_BLOB);
	if (!treg_st || !treg_blob)
		return false;
	uint32_t x = 12345;
	for (size_t i = 0; i < TREG_BLOB; i++) {
		x = x * 1103515245u + 12345u;
		treg_blob[i] = (unsigned char)(x >> 16);
	}
	digest_buf(treg_blob, TREG_BLOB, treg_digest);
	int lfd = tnet_listen("127.0.0.1", TREG_PORT, 16);
	if (lfd < 0)
		return false;
	tnet_fork(treg_serve, (void *)(intptr_t)lfd);
	close(lfd);
	return true;
}

/* Reads the blob through the client: its digest, and the resumes. */
static int treg_fetch(reg_client *rc, char *digest, int *resumes, cpod_err *err)
{
	reg_repo r;
	if (reg_repo_open(rc, "127.0.0.1:5000", "app", true, false, &r, err) < 0)
		return -1;
	uint64_t progress = 0;
	reg_blob_reader *b = reg_blob_open(&r, treg_digest, TREG_BLOB, &progress, err);
	if (!b) {
		reg_repo_close(&r);
		return -1;
	}
	byte_source s = reg_blob_source(b);
	digest_ctx dc;
	char chunk[65536];
	ssize_t k;
	digest_init(&dc);
	while ((k = source_read(&s, chunk, sizeof(chunk), err)) > 0)
		digest_update(&dc, chunk, (size_t)k);
	*resumes = reg_blob_resumes(b);
	reg_blob_close(b);
	reg_repo_close(&r);
	if (k < 0)
		return -1;
	if (progress != TREG_BLOB)
		return err_set(err, CPOD_E_INVALID, "progress %" PRIu64, progress);
	digest_final(&dc, digest);
	return 0;
}

static void treg_log(int level, const char *msg, void *ud)
{
	fprintf(stderr, "log %d: %s\n", level, msg);
}

static void treg_flow(void)
{
	cpod_err err;
	char got[DIGEST_STR_LEN + 1];
	int resumes = -1;

	CHECK(treg_setup());
	CHECK(tnet_wait_port("127.0.0.1", TREG_PORT, 5000));
	setenv("CPOD_HOSTS", tnet_file("hosts", "127.0.0.1 localhost\n"), 1);
	setenv("CPOD_RESOLV_CONF", tnet_file("resolv.conf", "nameserver 127.0.0.1\n"), 1);
	setenv("REGISTRY_AUTH_FILE", tnet_file("auth.json", "{}"), 1);
	setenv("CPOD_CERTS_DIR", tnet_dir, 1);

	/* no credentials: the token server says no, and the message says login */
	reg_client_opts o0 = { .tls_verify = -1 };
	reg_client *rc = reg_client_new(&o0, &err);
	CHECK(rc);
	CHECK(treg_fetch(rc, got, &resumes, &err) < 0);
	reg_client_free(rc);
	CHECK_MSG(err.code == CPOD_E_PERM && strstr(err.msg, "cpod-mini login 127.0.0.1:5000"),
		  "%s", err.msg);

	/* credentials: one token, the dropped body resumed at 300000 */
	reg_client_opts o = { .creds = "user:pw", .tls_verify = -1 };
	treg_st->drops = 1;
	treg_st->bad_basic = 0;
	rc = reg_client_new(&o, &err);
	CHECK(rc);
	CHECK_MSG(treg_fetch(rc, got, &resumes, &err) == 0, "%s", err.msg);
	CHECK_STR(got, treg_digest);
	CHECK(resumes == 1);
	CHECK(treg_st->tokens == 1 && treg_st->bad_basic == 0);
	CHECK(treg_st->blob_range == 1 && treg_st->range_start == 300000);

	/* the token is cached; once revoked, the client gets a new one once */
	treg_st->revoke_after = 1;
	CHECK_MSG(treg_fetch(rc, got, &resumes, &err) == 0, "%s", err.msg);
	CHECK(treg_st->tokens == 1);
	CHECK_MSG(treg_fetch(rc, got, &resumes, &err) == 0, "%s", err.msg);
	CHECK(treg_st->tokens == 2);
	CHECK_STR(got, treg_digest);

	/* a server that ignores Range: what was had already is skipped */
	treg_st->mode = 1;
	treg_st->drops = 1;
	int full = treg_st->blob_full;
	CHECK_MSG(treg_fetch(rc, got, &resumes, &err) == 0, "%s", err.msg);
	CHECK_STR(got, treg_digest);
	CHECK(resumes == 1 && treg_st->blob_full == full + 2);

	/* a Content-Range that does not start where asked is an error */
	treg_st->mode = 2;
	treg_st->drops = 1;
	CHECK_MSG(treg_fetch(rc, got, &resumes, &err) < 0, "resumes %d range %d start %ld",
		  resumes, treg_st->blob_range, treg_st->range_start);
	CHECK_MSG(strstr(err.msg, "Content-Range") != NULL, "%s", err.msg);

	/* drops beyond the bound give up */
	treg_st->mode = 0;
	treg_st->drops = REG_MAX_RESUMES + 1;
	if (getenv("TREG_DEBUG"))
		cpod_set_log(treg_log, NULL, CPOD_LOG_DEBUG);
	CHECK_MSG(treg_fetch(rc, got, &resumes, &err) < 0, "resumes %d drops %d", resumes,
		  treg_st->drops);
	treg_st->drops = 0;
	reg_client_free(rc);

	/* a secure registry is not tried over http */
	rc = reg_client_new(&o, &err);
	CHECK(rc);
	reg_repo r;
	CHECK(reg_repo_open(rc, "127.0.0.1:5000", "app", false, false, &r, &err) < 0);
	CHECK_MSG(strstr(err.msg, "--tls-verify=false") != NULL, "%s", err.msg);
	reg_client_free(rc);
	/* nor one that is refused */
	rc = reg_client_new(&o, &err);
	CHECK(rc);
	CHECK(reg_repo_open(rc, "127.0.0.1:5999", "app", true, false, &r, &err) < 0);
	CHECK_MSG(strstr(err.msg, "refused") != NULL, "%s", err.msg);
	CHECK(reg_repo_open(rc, "nohost.invalid:5000", "app", true, false, &r, &err) < 0);
	CHECK_MSG(strstr(err.msg, "nohost.invalid") != NULL, "%s", err.msg);
	reg_client_free(rc);
}

TEST(registry_net_token_resume)
{
	tnet_in_netns("registry_net_token_resume", treg_flow);
}
