/*
 * test_registry_auth.c — auth.json: base64, which key wins (repository,
 * namespace, registry; docker's URL keys), hostile files (not JSON, wrong
 * types, bad base64, no colon, NULs, huge), the search path and the
 * environment, login's write (0600, through a rename, other entries and
 * members kept) and logout's removal; and certs.d lookups.
 */

static char tauth_dir[64];

/* Sets an environment variable for the test, remembering the old value. */
typedef struct tauth_env {
	const char *name;
	char *old;
} tauth_env;

static void tauth_setenv(tauth_env *e, const char *name, const char *value)
{
	const char *o = getenv(name);
	e->name = name;
	e->old = o ? strdup(o) : NULL;
	if (value)
		setenv(name, value, 1);
	else
		unsetenv(name);
}

static void tauth_restore(tauth_env *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (e[i].old)
			setenv(e[i].name, e[i].old, 1);
		else
			unsetenv(e[i].name);
		free(e[i].old);
	}
}

static const char *tauth_write(const char *name, const char *text)
{
	static char p[8][300];
	static int k;
	char *path = p[k++ % 8];
	snprintf(path, 300, "%s/%s", tauth_dir, name);
	char dir[300];
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	fs_mkdir_p(dir, 0700, NULL);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

static void tauth_cleanup(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tauth_dir);
	if (system(cmd) != 0)
		printf("note: could not remove %s\n", tauth_dir);
}

TEST(registry_auth_base64)
{
	char out[32];
	CHECK(auth_base64_decode("dXNlcjpwYXNz", 12, out, sizeof(out)) == 9);
	CHECK_STR(out, "user:pass");
	CHECK(auth_base64_decode("YQ==", 4, out, sizeof(out)) == 1);
	CHECK_STR(out, "a");
	CHECK(auth_base64_decode("YWI=", 4, out, sizeof(out)) == 2);
	CHECK(auth_base64_decode("", 0, out, sizeof(out)) == 0);
	CHECK(auth_base64_decode("YQ=", 3, out, sizeof(out)) < 0);
	CHECK(auth_base64_decode("Y===", 4, out, sizeof(out)) < 0);
	CHECK(auth_base64_decode("YQ==YQ==", 8, out, sizeof(out)) < 0);
	CHECK(auth_base64_decode("YQ=a", 4, out, sizeof(out)) < 0);
	CHECK(auth_base64_decode("Y Q=", 4, out, sizeof(out)) < 0);
	CHECK(auth_base64_decode("dXNlcjpwYXNz", 12, out, 9) < 0);   /* no room for the NUL */
	/* round trip with http_base64 */
	char enc[64];
	CHECK(http_base64("\xff\x00\x10zz", 5, enc, sizeof(enc)) == 0);
	CHECK(auth_base64_decode(enc, strlen(enc), out, sizeof(out)) == 5);
	CHECK(memcmp(out, "\xff\x00\x10zz", 5) == 0);
}

TEST(registry_auth_lookup)
{
	auth_creds c;
	cpod_err err;
	/* user:pw0 user1:pw1 user2:pw2 user3:pw3 */
	const char *doc = "{\"auths\": {"
			  "\"reg.io\": {\"auth\": \"dXNlcjpwdzA=\"},"
			  "\"reg.io/ns\": {\"auth\": \"dXNlcjE6cHcx\"},"
			  "\"reg.io/ns/app\": {\"auth\": \"dXNlcjI6cHcy\"},"
			  "\"https://index.docker.io/v1/\": {\"auth\": \"dXNlcjM6cHcz\"},"
			  "\"other.io\": {\"auth\": 42}"
			  "}, \"credHelpers\": {}}";
	size_t len = strlen(doc);

	CHECK(auth_lookup_text(doc, len, "f", "reg.io", "ns/app", &c, &err) == 1);
	CHECK_STR(c.user, "user2");
	CHECK_STR(c.password, "pw2");
	CHECK_STR(c.key, "reg.io/ns/app");
	CHECK(auth_lookup_text(doc, len, "f", "reg.io", "ns/other", &c, &err) == 1);
	CHECK_STR(c.user, "user1");
	CHECK(auth_lookup_text(doc, len, "f", "reg.io", "nsx/app", &c, &err) == 1);
	CHECK_STR(c.user, "user");
	CHECK(auth_lookup_text(doc, len, "f", "reg.io", NULL, &c, &err) == 1);
	CHECK_STR(c.password, "pw0");
	CHECK(auth_lookup_text(doc, len, "f", "docker.io", "library/busybox", &c, &err) == 1);
	CHECK_STR(c.user, "user3");
	CHECK(auth_lookup_text(doc, len, "f", "reg.io:5000", "x", &c, &err) == 0);
	CHECK(auth_lookup_text(doc, len, "f", "nothing.io", "x", &c, &err) == 0);
	/* a bad entry is an error only for the registry asked for */
	CHECK(auth_lookup_text(doc, len, "f", "other.io", "x", &c, &err) < 0);
	CHECK(strstr(err.msg, "other.io") != NULL);
	/* passwords may hold ':' */
	const char *d2 = "{\"auths\":{\"h\":{\"auth\":\"dTpwOnc6eA==\"}}}";   /* u:p:w:x */
	CHECK(auth_lookup_text(d2, strlen(d2), "f", "h", "", &c, &err) == 1);
	CHECK_STR(c.password, "p:w:x");
	/* an entry without auth (docker's credential store) is no credential */
	const char *d3 = "{\"auths\":{\"h\":{}},\"credsStore\":\"desktop\"}";
	CHECK(auth_lookup_text(d3, strlen(d3), "f", "h", "", &c, &err) == 0);
	const char *d4 = "{}";
	CHECK(auth_lookup_text(d4, 2, "f", "h", "", &c, &err) == 0);
}

TEST(registry_auth_hostile)
{
	auth_creds c;
	cpod_err err;
	static const char *const bad[] = {
		"not json",
		"[]",
		"{\"auths\": []}",
		"{\"auths\": {\"h\": \"str\"}}",
		"{\"auths\": {\"h\": {\"auth\": \"%%%%\"}}}",
		"{\"auths\": {\"h\": {\"auth\": \"dXNlcg==\"}}}",            /* "user": no colon */
		"{\"auths\": {\"h\": {\"auth\": \"OnB3\"}}}",                /* ":pw": no user */
		"{\"auths\": {\"h\": {\"auth\": \"dQB4OnA=\"}}}",            /* NUL in it */
		"{\"auths\": {\"h\": {\"auth\": \"dQp4OnA=\"}}}",            /* "u\nx:p" */
		"{\"auths\": {\"h\": {\"auth\": []}}}",
		"{\"auths\": {\"h\": {\"auth\": \"dXNlcjpwYXNz\"}}",         /* truncated */
		"{\"auths\": {\"h\": {\"auth\": \"dXNlcjpwYXNz\"}}} x",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		CHECK_MSG(auth_lookup_text(bad[i], strlen(bad[i]), "f", "h", "", &c, &err) < 0,
			  "accepted %s", bad[i]);
	/* deep nesting and a huge user name */
	buf b = BUF_INIT;
	buf_puts(&b, "{\"auths\":{\"x\":", NULL);
	for (int i = 0; i < 100; i++)
		buf_putc(&b, '[', NULL);
	CHECK(auth_lookup_text(b.data, b.len, "f", "h", "", &c, &err) < 0);
	buf_reset(&b);
	char *user = malloc(3000), *enc = malloc(5000);
	CHECK(user && enc);
	memset(user, 'u', 2998);
	user[2998] = ':';
	user[2999] = 'p';
	http_base64(user, 3000, enc, 5000);
	buf_printf(&b, NULL, "{\"auths\":{\"h\":{\"auth\":\"%s\"}}}", enc);
	CHECK(auth_lookup_text(b.data, b.len, "f", "h", "", &c, &err) < 0);
	CHECK(err.code == CPOD_E_LIMIT);
	buf_free(&b);
	free(user);
	free(enc);
}

TEST(registry_auth_keys)
{
	char k[512];
	cpod_err err;
	CHECK(auth_normalize_key("https://Quay.IO/", k, sizeof(k), &err) == 0);
	CHECK_STR(k, "quay.io");
	CHECK(auth_normalize_key("https://index.docker.io/v1/", k, sizeof(k), &err) == 0);
	CHECK_STR(k, "docker.io");
	CHECK(auth_normalize_key("registry-1.docker.io", k, sizeof(k), &err) == 0);
	CHECK_STR(k, "docker.io");
	CHECK(auth_normalize_key("localhost:5000/ns/app/", k, sizeof(k), &err) == 0);
	CHECK_STR(k, "localhost:5000/ns/app");
	CHECK(auth_normalize_key("", k, sizeof(k), &err) < 0);
	CHECK(auth_normalize_key("/x", k, sizeof(k), &err) < 0);
	CHECK(auth_normalize_key("a b", k, sizeof(k), &err) < 0);
	CHECK(auth_normalize_key("user@host", k, sizeof(k), &err) < 0);
}

TEST(registry_auth_files)
{
	tauth_env env[6];
	auth_paths p;
	auth_creds c;
	cpod_err err;
	struct stat st;

	snprintf(tauth_dir, sizeof(tauth_dir), "/tmp/cpod-unit-auth.XXXXXX");
	CHECK(mkdtemp(tauth_dir));
	char home[128], run[128];
	snprintf(home, sizeof(home), "%s/home", tauth_dir);
	snprintf(run, sizeof(run), "%s/run", tauth_dir);
	tauth_setenv(&env[0], "REGISTRY_AUTH_FILE", NULL);
	tauth_setenv(&env[1], "XDG_RUNTIME_DIR", run);
	tauth_setenv(&env[2], "HOME", home);
	tauth_setenv(&env[3], "XDG_CONFIG_HOME", NULL);
	tauth_setenv(&env[4], "DOCKER_CONFIG", NULL);

	bool ok = auth_paths_get(NULL, &p, &err) == 0;
	if (ok) {
		ok = p.n == 3 && !p.given && strstr(p.path[0], "/run/containers/auth.json") &&
		     strstr(p.path[1], "/home/.config/containers/auth.json") &&
		     strstr(p.path[2], "/home/.docker/config.json") && p.docker[2];
	}
	/* docker's file, then podman's own wins */
	tauth_write("home/.docker/config.json",
		    "{\"auths\":{\"https://reg.io\":{\"auth\":\"ZDpwZA==\"}}}");   /* d:pd */
	int r1 = auth_lookup(NULL, "reg.io", "x", &c, &err);
	bool docker1 = c.docker;
	char u1[256];
	snprintf(u1, sizeof(u1), "%s", c.user);
	tauth_write("home/.config/containers/auth.json",
		    "{\"auths\":{\"reg.io\":{\"auth\":\"cDpwcA==\"}}}");          /* p:pp */
	int r2 = auth_lookup(NULL, "reg.io", "x", &c, &err);
	char u2[256];
	snprintf(u2, sizeof(u2), "%s", c.user);

	/* login writes the first file, 0600, keeping the rest */
	const char *primary = tauth_write("run/containers/auth.json",
					  "{\"auths\":{\"keep.io\":{\"auth\":\"azpr\"}},"
					  "\"credHelpers\":{\"x.io\":\"helper\"}}");
	int s1 = auth_store(p.path[0], "reg.io", "new", "pw:x", &err);
	int r3 = auth_lookup(NULL, "reg.io", "x", &c, &err);
	bool mode_ok = stat(primary, &st) == 0 && (st.st_mode & 0777) == 0600;
	_cleanup_buf_ buf text = BUF_INIT;
	fs_read_file(AT_FDCWD, primary, 1 << 20, &text, NULL);
	bool kept = text.data && strstr(text.data, "keep.io") && strstr(text.data, "credHelpers");
	int s2 = auth_store(p.path[0], "reg.io", "newer", "pw", &err);  /* replaced in place */
	_cleanup_buf_ buf text2 = BUF_INIT;
	fs_read_file(AT_FDCWD, primary, 1 << 20, &text2, NULL);
	size_t count = 0;
	for (const char *q = text2.data; q && (q = strstr(q, "\"reg.io\"")); q++)
		count++;

	/* logout */
	bool found = false, found2 = true;
	int l1 = auth_remove(p.path[0], "reg.io", &found, &err);
	int l2 = auth_remove(p.path[0], "reg.io", &found2, &err);
	int r4 = auth_lookup(NULL, "reg.io", "x", &c, &err);   /* podman's other file again */
	char u4[256];
	snprintf(u4, sizeof(u4), "%s", c.user);
	int l3 = auth_remove(p.path[0], NULL, &found, &err);
	_cleanup_buf_ buf text3 = BUF_INIT;
	fs_read_file(AT_FDCWD, primary, 1 << 20, &text3, NULL);

	/* a malformed file is never overwritten */
	tauth_write("run/containers/auth.json", "{ not json");
	int s3 = auth_store(p.path[0], "reg.io", "u", "p", &err);
	_cleanup_buf_ buf text4 = BUF_INIT;
	fs_read_file(AT_FDCWD, primary, 1 << 20, &text4, NULL);

	/* --authfile and REGISTRY_AUTH_FILE: only that file */
	char af[200];
	snprintf(af, sizeof(af), "%s/given.json", tauth_dir);
	setenv("REGISTRY_AUTH_FILE", af, 1);
	int g1 = auth_lookup(NULL, "reg.io", "x", &c, &err);       /* missing: nothing */
	int g2 = auth_lookup(af, "reg.io", "x", &c, &err);         /* --authfile missing: error */
	unsetenv("REGISTRY_AUTH_FILE");

	tauth_restore(env, 5);
	tauth_cleanup();
	CHECK(ok);
	CHECK(r1 == 1 && docker1);
	CHECK_STR(u1, "d");
	CHECK(r2 == 1);
	CHECK_STR(u2, "p");
	CHECK(s1 == 0 && r3 == 1 && mode_ok && kept);
	CHECK(s2 == 0 && count == 1);
	CHECK(l1 == 0 && found && l2 == 0 && !found2);
	CHECK(r4 == 1);
	CHECK_STR(u4, "p");
	CHECK(l3 == 0 && text3.data && !strstr(text3.data, "keep.io") &&
	      strstr(text3.data, "credHelpers"));
	CHECK(s3 < 0 && text4.data && !strcmp(text4.data, "{ not json"));
	CHECK(g1 == 0);
	CHECK(g2 < 0);
}

TEST(registry_certsd)
{
	char dir[] = "/tmp/cpod-unit-certsd.XXXXXX", p[400];
	certsd_tls t;
	cpod_err err;
	tauth_env env[1];

	CHECK(mkdtemp(dir));
	snprintf(tauth_dir, sizeof(tauth_dir), "%s", dir);
	tauth_write("reg.local:5000/ca.crt", "x");
	tauth_write("reg.local:5000/extra.crt", "x");
	tauth_write("reg.local:5000/client.cert", "x");
	tauth_write("reg.local:5000/client.key", "x");
	tauth_write("reg.local:5000/notes.txt", "x");
	tauth_write("plain.io/ca.crt", "x");
	tauth_write("badkey.io/lonely.key", "x");
	tauth_write("badcert.io/lonely.cert", "x");
	tauth_write("given/my.crt", "x");
	tauth_setenv(&env[0], "CPOD_CERTS_DIR", dir);

	int r1 = certsd_lookup(NULL, "reg.local:5000", &t, &err);
	bool ok1 = r1 == 0 && t.n_ca == 2 && strstr(t.ca[0], "/reg.local:5000/ca.crt") &&
		   strstr(t.ca[1], "extra.crt") && strstr(t.cert, "client.cert") &&
		   strstr(t.key, "client.key");
	tls_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	if (ok1)
		certsd_apply(&t, &cfg);
	bool ok2 = cfg.n_ca_files == 2 && cfg.client_cert && cfg.client_key;
	int r3 = certsd_lookup(NULL, "plain.io", &t, &err);
	bool ok3 = r3 == 0 && t.n_ca == 1 && !t.cert[0];
	int r4 = certsd_lookup(NULL, "none.io", &t, &err);
	bool ok4 = r4 == 0 && !t.dir[0] && t.n_ca == 0;
	int r5 = certsd_lookup(NULL, "badkey.io", &t, &err);
	int r6 = certsd_lookup(NULL, "badcert.io", &t, &err);
	int r7 = certsd_lookup(NULL, "../etc", &t, &err);
	int r8 = certsd_lookup(NULL, "a/b", &t, &err);
	/* --cert-dir is the directory itself */
	snprintf(p, sizeof(p), "%s/given", dir);
	int r9 = certsd_lookup(p, "reg.local:5000", &t, &err);
	bool ok9 = r9 == 0 && t.n_ca == 1 && strstr(t.ca[0], "my.crt");

	tauth_restore(env, 1);
	tauth_cleanup();
	CHECK(ok1 && ok2 && ok3 && ok4);
	CHECK(r5 < 0 && r6 < 0);
	CHECK(r7 == 0 || r7 < 0);   /* ".." is a name, never a path: nothing found */
	CHECK(r8 < 0);
	CHECK(ok9);
}
