/*
 * test_network.c — the engine's networking options and records: -p
 * spellings (addresses, ranges, protocols), --network values and their
 * conflicts, and a container's network settings written and read back.
 */
#include "harness.h"

TEST(network_publish_spellings)
{
	static const struct {
		const char *in, *ip, *proto;
		unsigned hp, cp, range;
	} ok[] = {
		{ "80", "", "tcp", 0, 80, 1 },
		{ "8080:80", "", "tcp", 8080, 80, 1 },
		{ "127.0.0.1:8080:80", "127.0.0.1", "tcp", 8080, 80, 1 },
		{ "127.0.0.1::80/udp", "127.0.0.1", "udp", 0, 80, 1 },
		{ "[::1]:8080:80", "::1", "tcp", 8080, 80, 1 },
		{ "8000-8009:9000-9009/tcp", "", "tcp", 8000, 9000, 10 },
		{ "90-91", "", "tcp", 0, 90, 2 },
		{ "53:53/udp", "", "udp", 53, 53, 1 },
	};
	for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
		mem_pool pool = { 0 };
		options_port *l = NULL;
		size_t n = 0;
		cpod_err err;
		CHECK_MSG(options_publish(ok[i].in, &l, &n, &pool, &err) == 0, "%s: %s", ok[i].in,
			  err.msg);
		CHECK_MSG(n == 1 && strcmp(l[0].host_ip, ok[i].ip) == 0 &&
			  strcmp(l[0].proto, ok[i].proto) == 0 && l[0].host_port == ok[i].hp &&
			  l[0].ctr_port == ok[i].cp && l[0].range == ok[i].range, "%s: %s %s %u %u %u",
			  ok[i].in, l[0].host_ip, l[0].proto, l[0].host_port, l[0].ctr_port, l[0].range);
		pool_free(&pool);
	}
	static const char *const bad[] = {
		"", "0", "65536", "x", "8080:", ":80x", "1.2.3:80:80", "8080:80/sctp", "80/icmp",
		"80-79", "8000-8001:80", "8000-8002:80-81", "a:b:c:d", "[::1:8080:80", "-1:80",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		mem_pool pool = { 0 };
		options_port *l = NULL;
		size_t n = 0;
		cpod_err err;
		CHECK_MSG(options_publish(bad[i], &l, &n, &pool, &err) < 0, "%s accepted", bad[i]);
		CHECK_MSG(strstr(err.msg, "--publish") && !strchr(err.msg, '\n'), "%s: %s", bad[i],
			  err.msg);
		pool_free(&pool);
	}
}

TEST(network_modes_and_conflicts)
{
	options_parsed p;
	cpod_err err;
	cpod_run_opts o1 = { .network = "usernet:policy=local,mtu=1500",
			     .publish = (const char *const[]){ "8080:80", "53:53/udp", NULL },
			     .network_aliases = (const char *const[]){ "web", NULL } };
	CHECK(options_parse(&o1, &p, &err) == 0);
	CHECK(p.net_mode == OPTIONS_NET_USERNET && p.net_policy == USERNET_POLICY_LOCAL &&
	      p.net_mtu == 1500 && p.n_ports == 2 && p.n_aliases == 1 && !p.net_default);
	options_parsed_free(&p);
	cpod_run_opts o2 = { .networks = (const char *const[]){ "a", "b", NULL } };
	CHECK(options_parse(&o2, &p, &err) == 0);
	CHECK(p.net_mode == OPTIONS_NET_NAMED && p.n_net_names == 2 &&
	      strcmp(p.net_names[1], "b") == 0);
	options_parsed_free(&p);
	cpod_run_opts o3 = { .network = "host" };
	CHECK(options_parse(&o3, &p, &err) == 0 && p.host_net && p.net_mode == OPTIONS_NET_HOST);
	options_parsed_free(&p);
	cpod_run_opts o4 = { .network = "a", .ip = "10.89.0.7", .ip6 = "FD00:89::7",
			     .mac_address = "02-AB-cd-00-00-01" };
	CHECK(options_parse(&o4, &p, &err) == 0);
	CHECK(strcmp(p.net_ip, "10.89.0.7") == 0 && strcmp(p.net_ip6, "fd00:89::7") == 0 &&
	      strcmp(p.net_mac, "02:ab:cd:00:00:01") == 0);
	options_parsed_free(&p);

	const struct {
		cpod_run_opts o;
		const char *why;
	} bad[] = {
		{ { .network = "host", .publish = (const char *const[]){ "80", NULL } }, "--network host" },
		{ { .network = "none", .publish_all = 1 }, "--network none" },
		{ { .network = "none", .network_aliases = (const char *const[]){ "x", NULL } },
		  "--network-alias" },
		{ { .networks = (const char *const[]){ "a", "host", NULL } }, "cannot be combined" },
		{ { .networks = (const char *const[]){ "a", "a", NULL } }, "twice" },
		{ { .network = "usernet:policy=open" }, "policy" },
		{ { .network = "usernet:mtu=67" }, "mtu" },
		{ { .network = "usernet:x=1" }, "unknown option" },
		{ { .network = "container:abc" }, "not supported" },
		{ { .network = "bad name" }, "not a network name" },
		{ { .network_aliases = (const char *const[]){ "a/b", NULL } }, "--network-alias" },
		{ { .ip = "10.0.2.256" }, "not an IPv4 address" },
		{ { .ip = "10.0.2.05" }, "not an IPv4 address" },
		{ { .ip6 = "10.0.2.5" }, "not an IPv6 address" },
		{ { .network = "host", .ip = "10.0.2.5" }, "conflicts with --network host" },
		{ { .networks = (const char *const[]){ "a", "b", NULL }, .mac_address =
		    "02:00:00:00:00:01" }, "only with a single network" },
		{ { .mac_address = "01:00:5e:00:00:01" }, "multicast" },
		{ { .mac_address = "ff:ff:ff:ff:ff:ff" }, "multicast" },
		{ { .mac_address = "00:00:00:00:00:00" }, "zero" },
		{ { .mac_address = "02:00:00:00:00:0" }, "not a MAC address" },
		{ { .mac_address = "02:00:00:00:00:0g" }, "not a MAC address" },
		{ { .mac_address = "02:00-00:00:00:01" }, "not a MAC address" },
		{ { .mac_address = "02:00:00:00:00:01:" }, "not a MAC address" },
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		CHECK_MSG(options_parse(&bad[i].o, &p, &err) < 0, "case %zu (%s) accepted", i,
			  bad[i].why);
		CHECK_MSG(strstr(err.msg, bad[i].why), "case %zu: %s", i, err.msg);
		CHECK_MSG(!strchr(err.msg, '\n'), "case %zu: not one line", i);
	}
}

TEST(network_record_round_trip)
{
	ctr_net *n = calloc(1, sizeof(*n)), *m = calloc(1, sizeof(*m));
	CHECK(n && m);
	n->mode = OPTIONS_NET_NAMED;
	n->policy = USERNET_POLICY_PRIVATE;
	n->n_links = 2;
	strcpy(n->links[0].name, "front");
	strcpy(n->links[0].aliases[0], "www");
	n->links[0].n_aliases = 1;
	n->links[0].attached = true;
	strcpy(n->links[0].r.ip, "10.89.0.100");
	n->links[0].r.prefix = 24;
	strcpy(n->links[0].r.mac, "02:50:0a:59:00:64");
	strcpy(n->links[1].name, "back");
	strcpy(n->links[1].ip, "10.89.1.7");
	strcpy(n->links[1].ip6, "fd00:89:1::7");
	strcpy(n->links[1].mac, "02:00:00:00:00:07");
	n->n_ports = 1;
	strcpy(n->ports[0].host_ip, "127.0.0.1");
	strcpy(n->ports[0].proto, "tcp");
	n->ports[0].host_port = 8080;
	n->ports[0].ctr_port = 80;
	n->ports[0].range = 1;
	char *t = net_ctr_text(n);
	CHECK(t);
	net_ctr_read(t, m);
	free(t);
	CHECK(m->mode == OPTIONS_NET_NAMED && m->policy == USERNET_POLICY_PRIVATE);
	CHECK(m->n_links == 2 && strcmp(m->links[0].name, "front") == 0);
	CHECK(m->links[0].attached && strcmp(m->links[0].r.ip, "10.89.0.100") == 0);
	CHECK(m->links[0].n_aliases == 1 && strcmp(m->links[0].aliases[0], "www") == 0);
	CHECK(!m->links[1].attached);
	CHECK(strcmp(m->links[1].ip, "10.89.1.7") == 0 && !m->links[0].ip[0] &&
	      strcmp(m->links[1].ip6, "fd00:89:1::7") == 0 &&
	      strcmp(m->links[1].mac, "02:00:00:00:00:07") == 0);
	CHECK(m->n_ports == 1 && m->ports[0].host_port == 8080 && m->ports[0].ctr_port == 80 &&
	      strcmp(m->ports[0].host_ip, "127.0.0.1") == 0);
	CHECK(strcmp(net_mode_name(m), "front") == 0);
	/* an old record (no "network"): none */
	net_ctr_read(NULL, m);
	CHECK(m->mode == OPTIONS_NET_NONE && m->n_links == 0);
	/* hostile text: bounded, no crash */
	net_ctr_read("{\"links\":[1,2,{\"name\":7}],\"ports\":\"x\"}", m);
	CHECK(m->n_links == 3 && m->n_ports == 0);
	free(n);
	free(m);
}
