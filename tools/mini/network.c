/*
 * network.c — `network create | ls | inspect | rm | prune | connect |
 * disconnect` and `port`, as podman's.  The library keeps the networks and
 * says what is wrong; this file sorts words and prints.
 */
#include "cli.h"
#include <stdlib.h>
#include <string.h>

static const char *net_S(const cpod_json_value *v)
{
	const char *s = cpod_json_str(v);
	return s ? s : "";
}

static int net_create(int argc, char **argv)
{
	static cli_list labels, opts_l;
	const char *subnet = NULL, *policy = NULL, *driver = NULL, *gateway = NULL;
	bool internal = false, ignore = false, ipv6 = false, disable_dns = false;
	const cli_opt opts[] = {
		{ "subnet", 0, CLI_STR, &subnet },
		{ "policy", 0, CLI_STR, &policy },
		{ "internal", 0, CLI_BOOL, &internal },
		{ "label", 'l', CLI_LIST, &labels },
		{ "opt", 'o', CLI_LIST, &opts_l },
		{ "driver", 'd', CLI_STR, &driver },
		{ "gateway", 0, CLI_STR, &gateway },
		/* accepted, changes nothing: every network has IPv6 already (a
		 * ULA /64 of its own, fd00:89:..., beside its IPv4 subnet) */
		{ "ipv6", 0, CLI_BOOL, &ipv6 },
		{ "disable-dns", 0, CLI_BOOL, &disable_dns },
		{ "ignore", 0, CLI_BOOL, &ignore },
		{ NULL, 0, 0, NULL },
	};
	if (cli_parse("network create", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc != 2) {
		cli_error("network create: one name expected");
		return 125;
	}
	if (driver && strcmp(driver, "usernet") != 0 && strcmp(driver, "bridge") != 0) {
		cli_error("network create: --driver %s: only usernet (bridge is taken as usernet)",
			  driver);
		return 125;
	}
	if (disable_dns) {
		cli_error("network create: --disable-dns: not supported (DNS is always on)");
		return 125;
	}
	const char *mtu = NULL;
	for (size_t i = 0; i < opts_l.n; i++) {
		if (strncmp(opts_l.v[i], "mtu=", 4) == 0) {
			mtu = opts_l.v[i] + 4;
		} else {
			cli_error("network create: --opt %s: unknown option (mtu=N)", opts_l.v[i]);
			return 125;
		}
	}
	cpod_network_opts o = { .subnet = subnet, .policy = policy, .internal = internal,
				.labels = labels.v, .mtu = mtu, .gateway = gateway };
	cpod_err err;
	char *name = cpod_network_create(cli_engine(), argv[1], &o, &err);
	if (!name) {
		if (ignore && err.code == CPOD_E_EXISTS) {
			printf("%s\n", argv[1]);
			return 0;
		}
		cli_errorx(&err);
		return 125;
	}
	printf("%s\n", name);
	free(name);
	return 0;
}

static bool net_match(const cpod_json_value *v, const cli_list *filters)
{
	for (size_t i = 0; i < filters->n; i++) {
		const char *f = filters->v[i], *eq = strchr(f, '=');
		if (!eq)
			return false;
		const char *val = eq + 1;
		if (strncmp(f, "name=", 5) == 0) {
			if (!strstr(net_S(cpod_json_get(v, "name")), val))
				return false;
		} else if (strncmp(f, "label=", 6) == 0) {
			const char *e2 = strchr(val, '=');
			char key[256];
			snprintf(key, sizeof(key), "%.*s", e2 ? (int)(e2 - val) : (int)strlen(val), val);
			const cpod_json_value *l = cpod_json_get(cpod_json_get(v, "labels"), key);
			if (!l || (e2 && strcmp(net_S(l), e2 + 1) != 0))
				return false;
		} else if (strncmp(f, "driver=", 7) == 0) {
			if (strcmp(net_S(cpod_json_get(v, "driver")), val) != 0)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

/* Template fields podman computes: {{.Name}}, {{.ID}} (short), {{.Driver}}... */
static char *net_field(const char *name, const cpod_json_value *v, void *ctx)
{
	(void)ctx;
	char tmp[256];
	if (strcmp(name, "Name") == 0)
		snprintf(tmp, sizeof(tmp), "%s", net_S(cpod_json_get(v, "name")));
	else if (strcmp(name, "ID") == 0 || strcmp(name, "Id") == 0)
		snprintf(tmp, sizeof(tmp), "%.12s", net_S(cpod_json_get(v, "id")));
	else if (strcmp(name, "Driver") == 0)
		snprintf(tmp, sizeof(tmp), "%s", net_S(cpod_json_get(v, "driver")));
	else if (strcmp(name, "Subnets") == 0 || strcmp(name, "Subnet") == 0)
		snprintf(tmp, sizeof(tmp), "%s", net_S(cpod_json_get(cpod_json_at(
			cpod_json_get(v, "subnets"), 0), "subnet")));
	else if (strcmp(name, "Policy") == 0)
		snprintf(tmp, sizeof(tmp), "%s", net_S(cpod_json_get(v, "policy")));
	else if (strcmp(name, "Internal") == 0)
		snprintf(tmp, sizeof(tmp), "%s",
			 cpod_json_bool(cpod_json_get(v, "internal")) ? "true" : "false");
	else
		return NULL;
	return strdup(tmp);
}

static int net_ls(int argc, char **argv)
{
	static cli_list filters;
	const char *format = NULL;
	bool quiet = false, noheading = false;
	const cli_opt opts[] = {
		{ "format", 0, CLI_STR, &format },
		{ "quiet", 'q', CLI_BOOL, &quiet },
		{ "filter", 'f', CLI_LIST, &filters },
		{ "noheading", 'n', CLI_BOOL, &noheading },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse("network ls", argc, argv, opts, false, &argc) < 0)
		return 125;
	for (size_t i = 0; i < filters.n; i++)
		if (strncmp(filters.v[i], "name=", 5) != 0 && strncmp(filters.v[i], "label=", 6) != 0 &&
		    strncmp(filters.v[i], "driver=", 7) != 0) {
			cli_error("network ls: --filter %s: unknown filter (name, label, driver)",
				  filters.v[i]);
			return 125;
		}
	char *s = cpod_network_list(cli_engine(), &err);
	cpod_json *doc = s ? cpod_json_parse(s, &err) : NULL;
	free(s);
	if (!doc) {
		cli_errorx(&err);
		return 125;
	}
	const cpod_json_value *arr = cpod_json_root(doc);
	int rc = 0;
	bool json = format && strcmp(format, "json") == 0;
	char *f = format && !json ? cli_template_unescape(format) : NULL;
	const char *row = f;
	if (f && !noheading) {
		static const char *const headers[] = { "ID", "NETWORK ID", NULL };
		row = cli_template_table(stdout, f, headers);
	} else if (f && strncmp(row, "table", 5) == 0) {
		row += 5 + strspn(row + 5, " ");
	}
	if (json)
		printf("[");
	else if (!quiet && !f && !noheading)
		printf("%-12s  %-24s %-10s %-18s %s\n", "NETWORK ID", "NAME", "DRIVER", "SUBNET",
		       "POLICY");
	size_t shown = 0;
	for (size_t i = 0; i < cpod_json_len(arr) && rc == 0; i++) {
		const cpod_json_value *v = cpod_json_at(arr, i);
		if (!net_match(v, &filters))
			continue;
		if (json) {
			char *t = cpod_json_text(v);
			printf("%s\n %s", shown ? "," : "", t ? t : "null");
			free(t);
		} else if (quiet) {
			printf("%s\n", net_S(cpod_json_get(v, "name")));
		} else if (f) {
			if (cli_template_fields(stdout, row, v, net_field, NULL) < 0)
				rc = 125;
			else
				putchar('\n');
		} else {
			printf("%-12.12s  %-24s %-10s %-18s %s\n", net_S(cpod_json_get(v, "id")),
			       net_S(cpod_json_get(v, "name")), net_S(cpod_json_get(v, "driver")),
			       net_S(cpod_json_get(cpod_json_at(cpod_json_get(v, "subnets"), 0),
						   "subnet")),
			       net_S(cpod_json_get(v, "policy")));
		}
		shown++;
	}
	if (json)
		printf("%s]\n", shown ? "\n" : "");
	free(f);
	cpod_json_free(doc);
	return rc;
}

static int net_inspect(int argc, char **argv)
{
	const char *format = NULL;
	const cli_opt opts[] = {
		{ "format", 'f', CLI_STR, &format },
		{ NULL, 0, 0, NULL },
	};
	if (cli_parse("network inspect", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc < 2) {
		cli_error("network inspect: a network name expected");
		return 125;
	}
	int rc = 0;
	bool json = !format || strcmp(format, "json") == 0;
	char *f = json ? NULL : cli_template_unescape(format);
	if (json)
		printf("[");
	size_t shown = 0;
	for (int i = 1; i < argc; i++) {
		cpod_err err;
		char *s = cpod_network_inspect(cli_engine(), argv[i], &err);
		cpod_json *doc = s ? cpod_json_parse(s, &err) : NULL;
		free(s);
		if (!doc) {
			cli_errorx(&err);
			rc = 125;
			continue;
		}
		if (json) {
			char *t = cpod_json_text(cpod_json_root(doc));
			printf("%s\n %s", shown ? "," : "", t ? t : "null");
			free(t);
		} else if (cli_template_fields(stdout, f, cpod_json_root(doc), net_field, NULL) < 0) {
			rc = 125;
		} else {
			putchar('\n');
		}
		shown++;
		cpod_json_free(doc);
	}
	if (json)
		printf("%s]\n", shown ? "\n" : "");
	free(f);
	return rc;
}

static int net_rm(int argc, char **argv)
{
	bool force = false;
	long t = -1;
	const cli_opt opts[] = {
		{ "force", 'f', CLI_BOOL, &force },
		{ "time", 't', CLI_INT, &t },
		{ NULL, 0, 0, NULL },
	};
	if (cli_parse("network rm", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc < 2) {
		cli_error("network rm: a network name expected");
		return 125;
	}
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		cpod_err err;
		if (cpod_network_remove(cli_engine(), argv[i], force, &err) < 0) {
			cli_errorx(&err);
			rc = err.code == CPOD_E_NOTFOUND && rc == 0 ? 1 : 2;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	/* podman: 1 when a network was not found, 2 when one is in use */
	return rc == 0 ? 0 : rc == 1 ? 1 : 2;
}

static int net_prune(int argc, char **argv)
{
	bool force = false;
	const cli_opt opts[] = {
		{ "force", 'f', CLI_BOOL, &force },
		{ NULL, 0, 0, NULL },
	};
	if (cli_parse("network prune", argc, argv, opts, false, &argc) < 0)
		return 125;
	cpod_err err;
	char *s = cpod_network_prune(cli_engine(), &err);
	if (!s) {
		cli_errorx(&err);
		return 125;
	}
	fputs(s, stdout);
	free(s);
	return 0;
}

static int net_connect(int argc, char **argv, bool connect)
{
	static cli_list aliases;
	bool force = false;
	const char *ip = NULL, *ip6 = NULL, *mac = NULL;
	const cli_opt copts[] = {
		{ "alias", 0, CLI_LIST, &aliases },
		{ "ip", 0, CLI_STR, &ip },
		{ "ip6", 0, CLI_STR, &ip6 },
		{ "mac-address", 0, CLI_STR, &mac },
		{ NULL, 0, 0, NULL },
	};
	const cli_opt dopts[] = {
		{ "force", 'f', CLI_BOOL, &force },
		{ NULL, 0, 0, NULL },
	};
	const char *cmd = connect ? "network connect" : "network disconnect";
	if (cli_parse(cmd, argc, argv, connect ? copts : dopts, false, &argc) < 0)
		return 125;
	if (argc != 3) {
		cli_error("%s: NETWORK CONTAINER expected", cmd);
		return 125;
	}
	cpod_err err;
	cpod_network_connect_opts co = { .aliases = aliases.v, .ip = ip, .ip6 = ip6,
				       .mac_address = mac };
	int r = connect ? cpod_network_connect_with(cli_engine(), argv[1], argv[2], &co, &err)
			: cpod_network_disconnect(cli_engine(), argv[1], argv[2], force, &err);
	if (r < 0) {
		cli_errorx(&err);
		return 125;
	}
	return 0;
}

int cmd_network(int argc, char **argv)
{
	if (argc < 2) {
		cli_error("network: a command expected (create, ls, inspect, rm, prune, connect, "
			  "disconnect)");
		return 125;
	}
	const char *sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "create") == 0)
		return net_create(argc, argv);
	if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
		return net_ls(argc, argv);
	if (strcmp(sub, "inspect") == 0)
		return net_inspect(argc, argv);
	if (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0)
		return net_rm(argc, argv);
	if (strcmp(sub, "prune") == 0)
		return net_prune(argc, argv);
	if (strcmp(sub, "connect") == 0)
		return net_connect(argc, argv, true);
	if (strcmp(sub, "disconnect") == 0)
		return net_connect(argc, argv, false);
	cli_error("network: unknown command %s (create, ls, inspect, rm, prune, connect, "
		  "disconnect)", sub);
	return 125;
}

/* `port CTR [PRIVATE[/PROTO]]`: "80/tcp -> 0.0.0.0:8080" lines, or the
 * host addresses of one port. */
int cmd_port(int argc, char **argv)
{
	bool all = false, latest = false;
	const cli_opt opts[] = {
		{ "all", 'a', CLI_BOOL, &all },
		{ "latest", 'l', CLI_BOOL, &latest },
		{ NULL, 0, 0, NULL },
	};
	if (cli_parse("port", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc < 2 || argc > 3 || all || latest) {
		cli_error("port: CONTAINER [PRIVATE[/PROTO]] expected");
		return 125;
	}
	cpod_err err;
	char *s = cpod_container_inspect(cli_engine(), argv[1], &err);
	cpod_json *doc = s ? cpod_json_parse(s, &err) : NULL;
	free(s);
	if (!doc) {
		cli_errorx(&err);
		return 125;
	}
	const cpod_json_value *root = cpod_json_root(doc);
	const cpod_json_value *ports = cpod_json_get(cpod_json_get(root, "NetworkSettings"), "Ports");
	bool running = strcmp(net_S(cpod_json_get(cpod_json_get(root, "State"), "Status")),
			      "running") == 0;
	char want[32] = "";
	if (argc == 3) {
		char *end;
		unsigned long p = strtoul(argv[2], &end, 10);
		if (p < 1 || p > 65535 || (*end && strcmp(end, "/tcp") && strcmp(end, "/udp"))) {
			cli_error("port: %s: PORT[/tcp|udp] expected", argv[2]);
			cpod_json_free(doc);
			return 125;
		}
		snprintf(want, sizeof(want), "%lu%s", p, *end ? end : "/tcp");
	}
	int rc = 0;
	bool found = false;
	for (size_t i = 0; running && i < cpod_json_len(ports); i++) {
		const char *key = cpod_json_key(ports, i);
		const cpod_json_value *b = cpod_json_at(cpod_json_get(ports, key), 0);
		const char *hp = net_S(cpod_json_get(b, "HostPort"));
		if (!*hp || (want[0] && strcmp(key, want) != 0))
			continue;
		found = true;
		const char *ip = net_S(cpod_json_get(b, "HostIp"));
		bool v6 = strchr(ip, ':') != NULL;
		if (want[0])
			printf("%s%s%s:%s\n", v6 ? "[" : "", *ip ? ip : "0.0.0.0", v6 ? "]" : "", hp);
		else
			printf("%s -> %s%s%s:%s\n", key, v6 ? "[" : "", *ip ? ip : "0.0.0.0",
			       v6 ? "]" : "", hp);
	}
	if (want[0] && !found) {
		cli_error("port: no public port '%s' published for %s", want, argv[1]);
		rc = 125;
	}
	cpod_json_free(doc);
	return rc;
}
