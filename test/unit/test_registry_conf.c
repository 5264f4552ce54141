/*
 * test_registry_conf.c — registries.conf: the TOML subset, podman's checks
 * (schemes, wildcards, duplicates), version 1 files, drop-ins merged,
 * prefixes matched and rewritten for mirrors, blocked registries, short
 * names as podman resolves them (aliases, search order, docker.io).
 */

static int tconf_parse(registries_conf *c, const char *text, cpod_err *err)
{
	return regconf_parse(c, text, strlen(text), "test.conf", err);
}

TEST(registry_conf_parse)
{
	registries_conf c;
	cpod_err err;
	const char *text =
		"# comment\n"
		"unqualified-search-registries = [\"reg.one:5000\", 'quay.io',\n"
		"   # a comment inside\n"
		"   \"docker.io\",   ]\n"
		"short-name-mode = \"enforcing\"\n"
		"credential-helpers = [ \"containers-auth.json\" ]\n"
		"\n"
		"[[registry]]\n"
		"prefix = \"example.com/foo\"\n"
		"location = \"internal.example.com/bar/\"   # trailing slash dropped\n"
		"insecure = true\n"
		"\n"
		"[[registry.mirror]]\n"
		"location = \"mirror-1.example.com\"\n"
		"[[registry.mirror]]\n"
		"location = \"mirror-2.example.com/x\"\n"
		"insecure = true\n"
		"pull-from-mirror = \"digest-only\"\n"
		"\n"
		"[[registry]]\r\n"
		"location = \"blocked.io\"\r\n"
		"blocked = true\r\n"
		"[[registry]]\n"
		"prefix = \"*.wild.io\"\n"
		"[engine]\n"
		"whatever = 42\n"
		"[aliases]\n"
		"\"fedora\" = \"registry.fedoraproject.org/fedora\"\n"
		"bb = \"reg.one:5000/tools/busybox\"\n";

	regconf_init(&c);
	CHECK_MSG(tconf_parse(&c, text, &err) == 0, "%s", err.msg);
	CHECK(c.n_search == 3);
	CHECK_STR(c.search[0], "reg.one:5000");
	CHECK_STR(c.search[1], "quay.io");
	CHECK(c.n_regs == 3);
	CHECK_STR(c.regs[0].prefix, "example.com/foo");
	CHECK_STR(c.regs[0].location, "internal.example.com/bar");
	CHECK(c.regs[0].insecure && !c.regs[0].blocked);
	CHECK(c.regs[0].n_mirrors == 2);
	CHECK(c.regs[0].mirrors[1].insecure);
	CHECK(c.regs[0].mirrors[1].pull_from == REGCONF_PULL_DIGEST_ONLY);
	CHECK_STR(c.regs[1].prefix, "blocked.io");
	CHECK(c.regs[1].blocked);
	CHECK_STR(c.regs[2].location, "");
	CHECK(c.n_aliases == 2);

	/* matching: the longest prefix, at a boundary */
	CHECK(regconf_find(&c, "example.com/foo/app:1") == &c.regs[0]);
	CHECK(regconf_find(&c, "example.com/foo:1") == &c.regs[0]);
	CHECK(regconf_find(&c, "example.com/foobar:1") == NULL);
	CHECK(regconf_find(&c, "a.wild.io/x:1") == &c.regs[2]);
	CHECK(regconf_find(&c, "a.b.wild.io:5000/x:1") == &c.regs[2]);
	CHECK(regconf_find(&c, "wild.io/x:1") == NULL);
	CHECK(regconf_find(&c, "evil.io/a.wild.io/x:1") == NULL);
	CHECK(regconf_insecure(&c, "example.com/foo/app:1"));
	CHECK(!regconf_insecure(&c, "docker.io/library/x:1"));

	/* pull sources: mirrors by policy, then the rewritten registry */
	regconf_source src[8];
	size_t n;
	CHECK(regconf_pull_sources(&c, "example.com/foo/app:1", src, 8, &n, &err) == 0);
	CHECK(n == 2);
	CHECK_STR(src[0].ref, "mirror-1.example.com/app:1");
	CHECK(src[0].mirror && !src[0].insecure);
	CHECK_STR(src[1].ref, "internal.example.com/bar/app:1");
	CHECK(!src[1].mirror && src[1].insecure);
	const char *dg = "example.com/foo/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef"
			 "0123456789abcdef";
	CHECK(regconf_pull_sources(&c, dg, src, 8, &n, &err) == 0);
	CHECK(n == 3);
	CHECK(strncmp(src[1].ref, "mirror-2.example.com/x/app@sha256:", 34) == 0);
	CHECK(regconf_pull_sources(&c, "blocked.io/x:1", src, 8, &n, &err) < 0);
	CHECK(err.code == CPOD_E_PERM);
	CHECK(strstr(err.msg, "blocked") != NULL);
	CHECK(regconf_pull_sources(&c, "other.io/x:1", src, 8, &n, &err) == 0);
	CHECK(n == 1);
	CHECK_STR(src[0].ref, "other.io/x:1");
	CHECK(regconf_pull_sources(&c, "a.wild.io/x:1", src, 8, &n, &err) == 0);
	CHECK(n == 1);
	CHECK_STR(src[0].ref, "a.wild.io/x:1");
	regconf_free(&c);
}

TEST(registry_conf_short_names)
{
	registries_conf c;
	cpod_err err;
	char cand[8][1024];
	size_t n;

	regconf_init(&c);
	/* none configured: docker.io, as podman without the prompt */
	CHECK(regconf_candidates(&c, "busybox", cand, 8, &n, &err) == 0);
	CHECK(n == 1);
	CHECK_STR(cand[0], "docker.io/busybox");
	CHECK(tconf_parse(&c, "unqualified-search-registries=['localhost:5000','quay.io']\n"
			  "[aliases]\n'bb' = 'reg.x/tools/busybox'\n", &err) == 0);
	CHECK(regconf_candidates(&c, "ns/app:2", cand, 8, &n, &err) == 0);
	CHECK(n == 2);
	CHECK_STR(cand[0], "localhost:5000/ns/app:2");
	CHECK_STR(cand[1], "quay.io/ns/app:2");
	/* an alias wins, and keeps the tag or digest */
	CHECK(regconf_candidates(&c, "bb:1.36", cand, 8, &n, &err) == 0);
	CHECK(n == 1);
	CHECK_STR(cand[0], "reg.x/tools/busybox:1.36");
	CHECK(regconf_candidates(&c, "bb", cand, 8, &n, &err) == 0);
	CHECK_STR(cand[0], "reg.x/tools/busybox");
	CHECK(regconf_candidates(&c, "bbx", cand, 8, &n, &err) == 0 && n == 2);
	CHECK(regconf_candidates(&c, "x", cand, 1, &n, &err) < 0);
	/* an empty list means none */
	CHECK(tconf_parse(&c, "unqualified-search-registries = []\n", &err) == 0);
	CHECK(regconf_candidates(&c, "busybox", cand, 8, &n, &err) == 0);
	CHECK(n == 1);
	CHECK_STR(cand[0], "docker.io/busybox");
	regconf_free(&c);
}

TEST(registry_conf_dropins_merge)
{
	registries_conf c;
	cpod_err err;

	regconf_init(&c);
	CHECK(tconf_parse(&c, "unqualified-search-registries=['a.io']\n"
			  "[[registry]]\nlocation='a.io'\n[[registry]]\nlocation='b.io'\n"
			  "insecure=true\n[aliases]\nx='a.io/x'\n", &err) == 0);
	/* a drop-in: b.io replaced, c.io added, the search list kept */
	CHECK(tconf_parse(&c, "[[registry]]\nlocation='b.io'\nblocked=true\n"
			  "[[registry]]\nlocation='c.io'\n[aliases]\nx='c.io/x'\n", &err) == 0);
	CHECK(c.n_search == 1);
	CHECK(c.n_regs == 3);
	CHECK(c.regs[1].blocked && !c.regs[1].insecure);
	CHECK_STR(c.regs[2].prefix, "c.io");
	CHECK(c.n_aliases == 1);
	CHECK_STR(c.aliases[0].value, "c.io/x");
	/* a broken drop-in changes nothing */
	CHECK(tconf_parse(&c, "unqualified-search-registries=['z.io']\n[[registry]]\n", &err) < 0);
	CHECK(c.n_search == 1 && c.n_regs == 3);
	regconf_free(&c);

	/* version 1 */
	regconf_init(&c);
	CHECK_MSG(tconf_parse(&c, "[registries.search]\nregistries = ['r1.io', 'r2.io']\n"
			      "[registries.insecure]\nregistries = ['r2.io']\n"
			      "[registries.block]\nregistries = ['bad.io']\n", &err) == 0, "%s",
		  err.msg);
	CHECK(c.n_search == 2);
	CHECK(regconf_insecure(&c, "r2.io/x:1"));
	regconf_source src[2];
	size_t n;
	CHECK(regconf_pull_sources(&c, "bad.io/x:1", src, 2, &n, &err) < 0);
	regconf_free(&c);
}

TEST(registry_conf_malformed)
{
	static const char *const bad[] = {
		"unqualified-search-registries = \"not an array\"\n",
		"unqualified-search-registries = [1, 2]\n",
		"unqualified-search-registries = [\"a\"\n",
		"unqualified-search-registries = [[\"a\"]]\n",
		"x = \"unterminated\n",
		"x = 'unterminated\n",
		"x = \"bad \\q escape\"\n",
		"x = \"\"\"multi\nline\"\"\"\n",
		"x = {a = 1}\n",
		"x = 1.5\n",
		"x = 1979-05-27\n",
		"a.b = 1\n",
		"= 1\n",
		"x 1\n",
		"x = \"a\" junk\n",
		"[[registry]\nlocation='a'\n",
		"[registry]\nlocation='a'\n",
		"[[registry]]\ninsecure = \"yes\"\nlocation='a'\n",
		"[[registry]]\nlocation = 'https://a.io'\n",
		"[[registry]]\nprefix = 'a.io/x'\n",
		"[[registry]]\n",
		"[[registry]]\nprefix = '*.a.io/x'\nlocation='b'\n",
		"[[registry]]\nprefix = 'a*.io'\nlocation='b'\n",
		"[[registry]]\nlocation='a.io'\n[[registry]]\nlocation='a.io'\n",
		"[[registry.mirror]]\nlocation='m'\n",
		"[[registry]]\nlocation='a.io'\n[[registry.mirror]]\ninsecure=true\n",
		"[[registry]]\nlocation='a.io'\n[[registry.mirror]]\nlocation='m'\n"
		"pull-from-mirror='sometimes'\n",
		"[aliases]\n'x:1' = 'a.io/x'\n",
		"[aliases]\nx = true\n",
		"short-name-mode = 'loose'\n",
		"[registries.search]\nregistries=['a']\n[[registry]]\nlocation='b'\n",
		"x = \"\\ud800\"\n",
		"x = \"a\x01b\"\n",
		"x = 99999999999999999999999\n",
		"[a.b.c.d.e]\n",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		registries_conf c;
		cpod_err err;
		regconf_init(&c);
		int r = tconf_parse(&c, bad[i], &err);
		regconf_free(&c);
		CHECK_MSG(r < 0, "accepted: %s", bad[i]);
		CHECK_MSG(strncmp(err.msg, "test.conf", 9) == 0, "%s", err.msg);
	}
	/* a NUL, and the size bound */
	registries_conf c;
	cpod_err err;
	regconf_init(&c);
	CHECK(regconf_parse(&c, "x = 1\0y = 2\n", 12, "t", &err) < 0);
	size_t big = REGCONF_MAX_FILE + 1;
	char *b = malloc(big);
	CHECK(b);
	memset(b, '#', big);
	CHECK(regconf_parse(&c, b, big, "t", &err) < 0);
	CHECK(err.code == CPOD_E_LIMIT);
	/* many [[registry]] tables are bounded */
	buf t = BUF_INIT;
	for (int i = 0; i < REGCONF_MAX_REGISTRIES + 1; i++)
		buf_printf(&t, NULL, "[[registry]]\nlocation='r%d.io'\n", i);
	CHECK(regconf_parse(&c, t.data, t.len, "t", &err) < 0);
	buf_free(&t);
	free(b);
	regconf_free(&c);
}

TEST(registry_conf_files)
{
	char dir[] = "/tmp/cpod-unit-regconf.XXXXXX", path[256], dpath[256];
	registries_conf c;
	cpod_err err;

	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/registries.conf", dir);
	snprintf(dpath, sizeof(dpath), "%s/registries.conf.d", dir);
	FILE *f = fopen(path, "w");
	CHECK(f);
	fputs("unqualified-search-registries = ['main.io']\n", f);
	fclose(f);
	mkdir(dpath, 0700);
	char p2[300];
	snprintf(p2, sizeof(p2), "%s/20-b.conf", dpath);
	f = fopen(p2, "w");
	fputs("unqualified-search-registries = ['second.io']\n", f);
	fclose(f);
	snprintf(p2, sizeof(p2), "%s/10-a.conf", dpath);
	f = fopen(p2, "w");
	fputs("unqualified-search-registries = ['first.io']\n[[registry]]\nlocation='x.io'\n", f);
	fclose(f);
	snprintf(p2, sizeof(p2), "%s/ignored.txt", dpath);
	f = fopen(p2, "w");
	fputs("garbage [[[\n", f);
	fclose(f);

	char *old = getenv("CONTAINERS_REGISTRIES_CONF") ? strdup(getenv("CONTAINERS_REGISTRIES_CONF"))
							 : NULL;
	setenv("CONTAINERS_REGISTRIES_CONF", path, 1);
	int r = regconf_load(&c, &err);
	if (r == 0) {
		CHECK(c.n_search == 1);
		CHECK_STR(c.search[0], "second.io");
		CHECK(c.n_regs == 1);
		regconf_free(&c);
	}
	/* a missing file is no error */
	snprintf(p2, sizeof(p2), "%s/none.conf", dir);
	setenv("CONTAINERS_REGISTRIES_CONF", p2, 1);
	int r2 = regconf_load(&c, &err);
	if (r2 == 0) {
		CHECK(c.n_search == 1);   /* the drop-ins beside it still count */
		regconf_free(&c);
	}
	if (old) {
		setenv("CONTAINERS_REGISTRIES_CONF", old, 1);
		free(old);
	} else {
		unsetenv("CONTAINERS_REGISTRIES_CONF");
	}
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
	CHECK_MSG(r == 0, "%s", err.msg);
	CHECK(r2 == 0);
}
