/*
 * test_net_resolve.c — net_resolve against a DNS server of the test's own,
 * listening on 127.0.0.1:53 (UDP and TCP) inside the test's network
 * namespace (see test_net_0common.c): resolv.conf allows no other port,
 * and the namespace guarantees no query can reach the host's real
 * resolvers.  CPOD_RESOLV_CONF and CPOD_HOSTS always point at the test's
 * files.  Covered: A then AAAA, CNAMEs, /etc/hosts first, localhost never
 * asked, the search list in ndots order, TCP after a truncated reply,
 * forged replies ignored, timeouts, SERVFAIL, a dead first nameserver.
 */

typedef struct tres_log {
	int queries;
	int tcp_queries;
	char names[64][DNS_MAX_NAME + 8];   /* "name/type" in arrival order */
} tres_log;

static tres_log *tres_stats;

/* The question of a query (uncompressed, as ours are); false if odd. */
static bool tres_question(const uint8_t *q, size_t len, char *name, unsigned *type)
{
	size_t off = 12, n = 0;
	if (len < 17)
		return false;
	while (off < len && q[off]) {
		size_t l = q[off++];
		if (l > 63 || off + l > len || n + l + 2 > DNS_MAX_NAME)
			return false;
		if (n)
			name[n++] = '.';
		memcpy(name + n, q + off, l);
		n += l;
		off += l;
	}
	name[n] = '\0';
	if (off + 5 > len)
		return false;
	*type = (unsigned)(q[off + 1] << 8 | q[off + 2]);
	return true;
}

/* The answer to name/type; false: no reply at all. */
static bool tres_answer(const uint8_t *q, size_t qlen, bool tcp, tdns_msg *m)
{
	char name[DNS_MAX_NAME];
	unsigned type, id;
	if (!tres_question(q, qlen, name, &type))
		return false;
	id = (unsigned)(q[0] << 8 | q[1]);
	int i = __atomic_fetch_add(&tres_stats->queries, 1, __ATOMIC_SEQ_CST);
	if (tcp)
		__atomic_fetch_add(&tres_stats->tcp_queries, 1, __ATOMIC_SEQ_CST);
	if (i < 64)
		snprintf(tres_stats->names[i], sizeof(tres_stats->names[i]), "%s/%s", name,
			 type == DNS_TYPE_A ? "A" : type == DNS_TYPE_AAAA ? "AAAA" : "?");
	bool a = type == DNS_TYPE_A, aaaa = type == DNS_TYPE_AAAA;

	if (!strcmp(name, "a.test") || !strcmp(name, "www.test")) {
		bool cname = name[0] == 'w';
		tdns_start(m, id, 0x8180, name, type, (a || aaaa) + cname);
		if (cname)
			tdns_cname(m, NULL, "a.test");
		if (a)
			tdns_a(m, cname ? "a.test" : NULL, "10.1.1.1");
		if (aaaa)
			tdns_a(m, cname ? "a.test" : NULL, "fd00::1");
	} else if (!strcmp(name, "v4only.test")) {
		tdns_start(m, id, 0x8180, name, type, a);
		if (a)
			tdns_a(m, NULL, "10.1.1.2");
	} else if (!strcmp(name, "host.corp.test")) {
		tdns_start(m, id, 0x8180, name, type, a);
		if (a)
			tdns_a(m, NULL, "10.2.2.2");
	} else if (!strcmp(name, "big.test")) {
		if (!tcp) {
			tdns_start(m, id, 0x8380, name, type, 0);
			return true;
		}
		tdns_start(m, id, 0x8180, name, type, a ? 40 : 0);
		for (int k = 0; a && k < 40; k++) {
			char ip[32];
			snprintf(ip, sizeof(ip), "10.3.0.%d", k + 1);
			tdns_a(m, NULL, ip);
		}
	} else if (!strcmp(name, "spoof.test")) {
		tdns_start(m, id, 0x8180, name, type, a);
		if (a)
			tdns_a(m, NULL, "10.4.4.4");
	} else if (!strcmp(name, "slow.test")) {
		return false;
	} else if (!strcmp(name, "servfail.test")) {
		tdns_start(m, id, 0x8182, name, type, 0);
	} else {
		tdns_start(m, id, 0x8183, name, type, 0);
	}
	return true;
}

static void tres_server(void *arg)
{
	(void)arg;
	int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int tcp = tnet_listen("127.0.0.1", 53, 16);
	net_addr a;
	net_parse_ip("127.0.0.1", 53, &a);
	if (udp < 0 || tcp < 0 || bind(udp, (struct sockaddr *)&a.sa, a.len) < 0)
		_exit(1);
	for (;;) {
		struct pollfd p[2] = { { .fd = udp, .events = POLLIN },
				       { .fd = tcp, .events = POLLIN } };
		if (poll(p, 2, -1) < 0)
			continue;
		if (p[0].revents) {
			uint8_t q[512];
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(udp, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
			tdns_msg m;
			if (n <= 0 || !tres_answer(q, (size_t)n, false, &m))
				continue;
			char name[DNS_MAX_NAME];
			unsigned type;
			if (tres_question(q, (size_t)n, name, &type) &&
			    !strcmp(name, "spoof.test")) {
				/* first forgeries: a wrong id, then the right id for
				 * another question */
				tdns_msg f;
				tdns_start(&f, (unsigned)(q[0] << 8 | q[1]) ^ 0x5555, 0x8180, name,
					   type, 1);
				tdns_a(&f, NULL, type == DNS_TYPE_A ? "6.6.6.6" : "fd66::6");
				sendto(udp, f.b, f.n, 0, (struct sockaddr *)&from, fl);
				tdns_start(&f, (unsigned)(q[0] << 8 | q[1]), 0x8180, "evil.test",
					   type, 1);
				tdns_a(&f, NULL, type == DNS_TYPE_A ? "6.6.6.7" : "fd66::7");
				sendto(udp, f.b, f.n, 0, (struct sockaddr *)&from, fl);
			}
			sendto(udp, m.b, m.n, 0, (struct sockaddr *)&from, fl);
		}
		if (p[1].revents) {
			int c = accept4(tcp, NULL, NULL, SOCK_CLOEXEC);
			uint8_t q[514];
			size_t have = 0;
			while (c >= 0 && have < 2 + (have >= 2 ? (size_t)(q[0] << 8 | q[1]) : 1)) {
				ssize_t n = read(c, q + have, sizeof(q) - have);
				if (n <= 0)
					break;
				have += (size_t)n;
			}
			tdns_msg m;
			if (have > 2 && tres_answer(q + 2, have - 2, true, &m)) {
				uint8_t l[2] = { (uint8_t)(m.n >> 8), (uint8_t)m.n };
				tnet_write(c, (char *)l, 2);
				tnet_write(c, (char *)m.b, m.n);
			}
			if (c >= 0)
				close(c);
		}
	}
}

/* "a b c" of the resolved addresses */
static const char *tres_lookup(const char *host, char *s, size_t cap, cpod_err *err)
{
	net_addr a[64];
	size_t n = 0;
	if (net_resolve(host, 80, a, 64, &n, err) < 0) {
		snprintf(s, cap, "error");
		return s;
	}
	s[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char one[64];
		net_addr_str(&a[i], one, sizeof(one));
		size_t l = strlen(s);
		snprintf(s + l, cap - l, "%s%s", l ? " " : "", one);
	}
	return s;
}

static bool tres_asked(const char *name_type)
{
	for (int i = 0; i < tres_stats->queries && i < 64; i++)
		if (!strcmp(tres_stats->names[i], name_type))
			return true;
	return false;
}

static void tres_run(void)
{
	char s[2048];
	cpod_err err;

	tres_stats = tnet_shared(sizeof(*tres_stats));
	CHECK(tres_stats);
	CHECK(tnet_fork(tres_server, NULL) > 0);
	setenv("CPOD_RESOLV_CONF", tnet_file("resolv.conf", "nameserver 127.0.0.1\n"
					     "search corp.test\n"
					     "options timeout:1 attempts:1\n"), 1);
	setenv("CPOD_HOSTS", tnet_file("hosts", "10.9.9.9 fromhosts.test\n"
				       "127.0.0.1 loop.test\n"
				       "127.0.0.9 multi.test\n"
				       "127.0.0.1 multi.test\n"), 1);
	/* the server is up once it answers */
	for (int i = 0; i < 100 && strcmp(tres_lookup("a.test", s, sizeof(s), &err), "error") == 0;
	     i++)
		usleep(20000);

	CHECK_STR(tres_lookup("a.test", s, sizeof(s), &err), "10.1.1.1:80 [fd00::1]:80");
	CHECK_STR(tres_lookup("A.Test.", s, sizeof(s), &err), "10.1.1.1:80 [fd00::1]:80");
	CHECK_STR(tres_lookup("www.test", s, sizeof(s), &err), "10.1.1.1:80 [fd00::1]:80");
	CHECK_STR(tres_lookup("v4only.test", s, sizeof(s), &err), "10.1.1.2:80");

	/* the files first; localhost is never asked */
	int before = tres_stats->queries;
	CHECK_STR(tres_lookup("fromhosts.test", s, sizeof(s), &err), "10.9.9.9:80");
	CHECK_STR(tres_lookup("localhost", s, sizeof(s), &err), "127.0.0.1:80 [::1]:80");
	CHECK_STR(tres_lookup("x.localhost", s, sizeof(s), &err), "127.0.0.1:80 [::1]:80");
	CHECK(tres_stats->queries == before);

	/* fewer dots than ndots: the search list first */
	before = tres_stats->queries;
	CHECK_STR(tres_lookup("host", s, sizeof(s), &err), "10.2.2.2:80");
	CHECK_STR(tres_stats->names[before], "host.corp.test/A");
	CHECK(!tres_asked("host/A"));
	/* enough dots: as is first, then the search list; then not found */
	before = tres_stats->queries;
	CHECK_STR(tres_lookup("nx.test", s, sizeof(s), &err), "error");
	CHECK(err.code == CPOD_E_NOTFOUND);
	CHECK_STR(err.msg, "unknown host nx.test");
	CHECK(strncmp(tres_stats->names[before], "nx.test/", 8) == 0);
	CHECK(tres_asked("nx.test.corp.test/A"));
	/* a final dot: only the name itself */
	before = tres_stats->queries;
	CHECK_STR(tres_lookup("nx2.test.", s, sizeof(s), &err), "error");
	CHECK(tres_stats->queries == before + 2);

	/* truncated over UDP: again over TCP (40 answers, 32 kept) */
	before = tres_stats->tcp_queries;
	tres_lookup("big.test", s, sizeof(s), &err);
	CHECK_MSG(strncmp(s, "10.3.0.1:80 10.3.0.2:80", 23) == 0, "%s (%s)", s, err.msg);
	CHECK(tres_stats->tcp_queries > before);

	/* forged replies (wrong id, wrong question) are ignored */
	CHECK_STR(tres_lookup("spoof.test", s, sizeof(s), &err), "10.4.4.4:80");

	/* no answer: the timeout of resolv.conf (1 s, 1 attempt) */
	int64_t t0 = proc_now_ms();
	CHECK_STR(tres_lookup("slow.test", s, sizeof(s), &err), "error");
	int64_t took = proc_now_ms() - t0;
	CHECK_MSG(took >= 900 && took < 2500, "took %" PRId64 " ms", took);
	CHECK(err.errno_ == ETIMEDOUT);
	CHECK(strstr(err.msg, "no answer from the nameservers") != NULL);
	CHECK_STR(tres_lookup("servfail.test", s, sizeof(s), &err), "error");
	CHECK(err.code != CPOD_E_NOTFOUND);

	/* a dead first server (nothing on 127.0.0.2:53): the next at once */
	setenv("CPOD_RESOLV_CONF", tnet_file("resolv2.conf", "nameserver 127.0.0.2\n"
					     "nameserver 127.0.0.1\n"
					     "options timeout:3 attempts:1\n"), 1);
	t0 = proc_now_ms();
	CHECK_STR(tres_lookup("a.test", s, sizeof(s), &err), "10.1.1.1:80 [fd00::1]:80");
	CHECK(proc_now_ms() - t0 < 1000);

	/* nobody at all: said at once */
	setenv("CPOD_RESOLV_CONF", tnet_file("resolv3.conf", "nameserver 127.0.0.2\n"
					     "options timeout:3 attempts:1\n"), 1);
	t0 = proc_now_ms();
	CHECK_STR(tres_lookup("a.test", s, sizeof(s), &err), "error");
	CHECK(proc_now_ms() - t0 < 1000);
	CHECK_MSG(err.errno_ == ECONNREFUSED, "%s", err.msg);
	CHECK_STR(err.msg, "resolve a.test: no answer from the nameservers (last 127.0.0.2:53): "
		  "Connection refused");

	/* connecting by name: each address in turn */
	int l = tnet_listen("127.0.0.1", 8053, 4);
	CHECK(l >= 0);
	int fd = net_connect("loop.test", 8053, 1000, &err);
	CHECK_MSG(fd >= 0, "%s", err.msg);
	close(fd);
	fd = net_connect("multi.test", 8053, 1000, &err);   /* 127.0.0.9 refuses */
	CHECK_MSG(fd >= 0, "%s", err.msg);
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	CHECK(getpeername(fd, (struct sockaddr *)&peer, &pl) == 0);
	CHECK(peer.sin_addr.s_addr == htonl(0x7f000001));
	close(fd);
	close(l);
	CHECK(net_connect("loop.test", 8054, 1000, &err) < 0);
	CHECK(err.errno_ == ECONNREFUSED);
	CHECK(strstr(err.msg, "connect to loop.test:8054") != NULL);
	CHECK(strstr(err.msg, "127.0.0.1:8054") != NULL);
}

TEST(net_resolve_dns)
{
	tnet_in_netns("net_resolve_dns", tres_run);
}
