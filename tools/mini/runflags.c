/*
 * runflags.c — the options of `create` and `run`, spelled as podman spells
 * them, into a cpod_run_opts.  The library parses the values (sizes,
 * durations, signals...) and says what is wrong with them; this file only
 * sorts words into fields.
 */
#include "cli.h"
#include <stdlib.h>
#include <string.h>

/* Lists live as long as the process: the command runs once. */
static cli_list l_env, l_env_files, l_group_add, l_ulimits, l_labels, l_volumes, l_mounts, l_tmpfs,
	l_devices, l_add_hosts, l_dns, l_dns_search, l_dns_options, l_publish, l_cap_add, l_cap_drop,
	l_security_opts, l_sysctls, l_log_opts, l_networks, l_net_aliases;

int cli_run_flags(const char *cmd, int argc, char **argv, cpod_run_opts *o, int *argc_out)
{
	bool tty = false, interactive = false, init = false, read_only = false, publish_all = false;
	bool privileged = false, rm = false, detach = false, no_healthcheck = false, quiet = false;
	const char *read_only_tmpfs = NULL, *cgroupns = NULL, *arch = NULL, *os = NULL;
	static char platform[128];
	static cpod_registry_opts reg;
	bool tls_verify = true;

	const cli_opt opts[] = {
		{ "entrypoint", 0, CLI_STR, &o->entrypoint },
		{ "pull", 0, CLI_STR, &o->pull },
		{ "platform", 0, CLI_STR, &o->platform },
		{ "arch", 0, CLI_STR, &arch },
		{ "os", 0, CLI_STR, &os },
		{ "authfile", 0, CLI_STR, &reg.authfile },
		{ "creds", 0, CLI_STR, &reg.creds },
		{ "cert-dir", 0, CLI_STR, &reg.cert_dir },
		{ "tls-verify", 0, CLI_BOOL, &tls_verify },
		{ "env", 'e', CLI_LIST, &l_env },
		{ "env-file", 0, CLI_LIST, &l_env_files },
		{ "workdir", 'w', CLI_STR, &o->workdir },
		{ "user", 'u', CLI_STR, &o->user },
		{ "group-add", 0, CLI_LIST, &l_group_add },
		{ "ulimit", 0, CLI_LIST, &l_ulimits },
		{ "tty", 't', CLI_BOOL, &tty },
		{ "interactive", 'i', CLI_BOOL, &interactive },
		{ "init", 0, CLI_BOOL, &init },
		{ "name", 0, CLI_STR, &o->name },
		{ "hostname", 'h', CLI_STR, &o->hostname },
		{ "label", 'l', CLI_LIST, &l_labels },
		{ "volume", 'v', CLI_LIST, &l_volumes },
		{ "mount", 0, CLI_LIST, &l_mounts },
		{ "tmpfs", 0, CLI_LIST, &l_tmpfs },
		{ "read-only", 0, CLI_BOOL, &read_only },
		{ "read-only-tmpfs", 0, CLI_STR, &read_only_tmpfs },
		{ "shm-size", 0, CLI_STR, &o->shm_size },
		{ "device", 0, CLI_LIST, &l_devices },
		{ "network", 0, CLI_LIST, &l_networks },
		{ "net", 0, CLI_LIST, &l_networks },
		{ "network-alias", 0, CLI_LIST, &l_net_aliases },
		{ "ip", 0, CLI_STR, &o->ip },
		{ "ip6", 0, CLI_STR, &o->ip6 },
		{ "mac-address", 0, CLI_STR, &o->mac_address },
		{ "add-host", 0, CLI_LIST, &l_add_hosts },
		{ "dns", 0, CLI_LIST, &l_dns },
		{ "dns-search", 0, CLI_LIST, &l_dns_search },
		{ "dns-option", 0, CLI_LIST, &l_dns_options },
		{ "publish", 'p', CLI_LIST, &l_publish },
		{ "publish-all", 'P', CLI_BOOL, &publish_all },
		{ "cap-add", 0, CLI_LIST, &l_cap_add },
		{ "cap-drop", 0, CLI_LIST, &l_cap_drop },
		{ "privileged", 0, CLI_BOOL, &privileged },
		{ "security-opt", 0, CLI_LIST, &l_security_opts },
		{ "userns", 0, CLI_STR, &o->userns },
		{ "sysctl", 0, CLI_LIST, &l_sysctls },
		{ "oom-score-adj", 0, CLI_STR, &o->oom_score_adj },
		{ "memory", 'm', CLI_STR, &o->memory },
		{ "memory-swap", 0, CLI_STR, &o->memory_swap },
		{ "memory-reservation", 0, CLI_STR, &o->memory_reservation },
		{ "cpus", 0, CLI_STR, &o->cpus },
		{ "cpu-shares", 'c', CLI_STR, &o->cpu_shares },
		{ "cpuset-cpus", 0, CLI_STR, &o->cpuset_cpus },
		{ "pids-limit", 0, CLI_STR, &o->pids_limit },
		{ "rm", 0, CLI_BOOL, &rm },
		{ "detach", 'd', CLI_BOOL, &detach },
		{ "restart", 0, CLI_STR, &o->restart },
		{ "stop-signal", 0, CLI_STR, &o->stop_signal },
		{ "stop-timeout", 0, CLI_STR, &o->stop_timeout },
		{ "timeout", 0, CLI_STR, &o->timeout },
		{ "log-opt", 0, CLI_LIST, &l_log_opts },
		{ "log-driver", 0, CLI_STR, &o->log_driver },
		{ "detach-keys", 0, CLI_STR, &o->detach_keys },
		{ "health-cmd", 0, CLI_STR, &o->health_cmd },
		{ "health-interval", 0, CLI_STR, &o->health_interval },
		{ "health-retries", 0, CLI_STR, &o->health_retries },
		{ "health-timeout", 0, CLI_STR, &o->health_timeout },
		{ "health-start-period", 0, CLI_STR, &o->health_start_period },
		{ "no-healthcheck", 0, CLI_BOOL, &no_healthcheck },
		{ "pod", 0, CLI_STR, &o->pod },
		{ "quiet", 'q', CLI_BOOL, &quiet },
		/* accepted as podman does, with nothing to do here */
		{ "cgroupns", 0, CLI_STR, &cgroupns },
		{ NULL, 0, 0, NULL },
	};
	int idx = cli_parse(cmd, argc, argv, opts, true, argc_out);
	if (idx < 0)
		return -1;
	if (arch || os) {
		snprintf(platform, sizeof(platform), "%s/%s", os ? os : "linux", arch ? arch : "amd64");
		o->platform = platform;
	}
	if (l_networks.n == 1)
		o->network = l_networks.v[0];
	else if (l_networks.n > 1)
		o->networks = l_networks.v;
	o->network_aliases = l_net_aliases.v;
	/* the pull of a missing image; --tls-verify=true is the default:
	 * registries.conf may still mark a registry insecure */
	reg.tls_verify = tls_verify ? -1 : 0;
	reg.quiet = quiet;
	reg.progress_fd = quiet ? -1 : 2;
	o->registry = &reg;
	o->env = l_env.v;
	o->env_files = l_env_files.v;
	o->group_add = l_group_add.v;
	o->ulimits = l_ulimits.v;
	o->labels = l_labels.v;
	o->volumes = l_volumes.v;
	o->mounts = l_mounts.v;
	o->tmpfs = l_tmpfs.v;
	o->devices = l_devices.v;
	o->add_hosts = l_add_hosts.v;
	o->dns = l_dns.v;
	o->dns_search = l_dns_search.v;
	o->dns_options = l_dns_options.v;
	o->publish = l_publish.v;
	o->cap_add = l_cap_add.v;
	o->cap_drop = l_cap_drop.v;
	o->security_opts = l_security_opts.v;
	o->sysctls = l_sysctls.v;
	o->log_opts = l_log_opts.v;
	o->tty = tty;
	o->interactive = interactive;
	o->init = init;
	o->read_only = read_only;
	o->read_only_tmpfs = !read_only_tmpfs ? -1 : strcmp(read_only_tmpfs, "false") != 0;
	o->publish_all = publish_all;
	o->privileged = privileged;
	o->rm = rm;
	o->detach = detach;
	o->no_healthcheck = no_healthcheck;
	return idx;
}
