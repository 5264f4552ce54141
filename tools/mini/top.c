/*
 * top.c — `top` (a container's processes) and `stats` (resource use of
 * running containers: once with --no-stream, else every --interval
 * seconds with rates from the last two samples).  stats --format json
 * prints podman's strings ("0.50%", "1.2MB / 25.2GB").
 */
#include "cli.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *S(const cpod_json_value *v)
{
	const char *s = cpod_json_str(v);
	return s ? s : "";
}

int cmd_top(int argc, char **argv)
{
	const cli_opt none[] = { { NULL, 0, 0, NULL } };
	cpod_err err;
	if (cli_parse("top", argc, argv, none, true, &argc) < 0)
		return 125;
	if (argc < 2) {
		cli_error("top: a container is required");
		return 125;
	}
	char *s = cpod_container_top(cli_engine(), argv[1], (const char *const *)(argv + 2), &err);
	cpod_json *doc = s ? cpod_json_parse(s, &err) : NULL;
	free(s);
	if (!doc) {
		cli_errorx(&err);
		return 125;
	}
	/* columns as wide as their widest cell, the last one free */
	const cpod_json_value *rows = cpod_json_root(doc);
	size_t ncol = cpod_json_len(cpod_json_at(rows, 0));
	size_t width[64] = { 0 };
	for (size_t i = 0; i < cpod_json_len(rows); i++)
		for (size_t c = 0; c < ncol && c < 64; c++) {
			size_t l = strlen(S(cpod_json_at(cpod_json_at(rows, i), c)));
			if (l > width[c])
				width[c] = l;
		}
	for (size_t i = 0; i < cpod_json_len(rows); i++) {
		for (size_t c = 0; c < ncol && c < 64; c++) {
			const char *v = S(cpod_json_at(cpod_json_at(rows, i), c));
			if (c + 1 < ncol)
				printf("%-*s  ", (int)width[c], v);
			else
				printf("%s\n", v);
		}
	}
	cpod_json_free(doc);
	return 0;
}

/* podman's sizes in stats: "303.1kB" */
static void stats_size(double v, char *out, size_t n)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	int u = 0;
	while (v >= 1000 && u < 5) {
		v /= 1000;
		u++;
	}
	snprintf(out, n, "%.4g%s", v, units[u]);
}

typedef struct stats_prev {
	char id[65];
	long long cpu, sys;
} stats_prev;

static void stats_print(const cpod_json_value *arr, const char *format, bool no_trunc,
			stats_prev *prev, size_t *nprev, bool header)
{
	bool json = format && strcmp(format, "json") == 0;
	if (json)
		printf("[");
	else if (header)
		printf("%-12s  %-20s  %-8s  %-22s  %-8s  %-16s  %-16s  %-5s  %-10s  %s\n", "ID", "NAME",
		       "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET IO", "BLOCK IO", "PIDS", "CPU TIME",
		       "AVG CPU %");
	for (size_t i = 0; i < cpod_json_len(arr); i++) {
		const cpod_json_value *c = cpod_json_at(arr, i);
		const char *id = S(cpod_json_get(c, "ContainerID"));
		long long cpu = cpod_json_int(cpod_json_get(c, "CPUNano"));
		long long sys = cpod_json_int(cpod_json_get(c, "SystemNano"));
		char *avg_t = cpod_json_text(cpod_json_get(c, "CPU"));
		double avg = avg_t ? atof(avg_t) : 0, now = avg;
		free(avg_t);
		/* a rate from the previous sample of this container */
		size_t k = 0;
		while (k < *nprev && strcmp(prev[k].id, id) != 0)
			k++;
		if (k < *nprev && sys > prev[k].sys)
			now = 100.0 * (double)(cpu - prev[k].cpu) / (double)(sys - prev[k].sys);
		if (k == *nprev && k < 256) {
			snprintf(prev[k].id, sizeof(prev[k].id), "%s", id);
			(*nprev)++;
		}
		if (k < 256) {
			prev[k].cpu = cpu;
			prev[k].sys = sys;
		}
		char mu[32], ml[32], ni[32], no[32], bi[32], bo[32], cpu_s[32], avg_s[32], mem_s[96],
			memp[32], net[80], blk[80], ct[32];
		stats_size((double)cpod_json_int(cpod_json_get(c, "MemUsage")), mu, sizeof(mu));
		stats_size((double)cpod_json_int(cpod_json_get(c, "MemLimit")), ml, sizeof(ml));
		stats_size((double)cpod_json_int(cpod_json_get(c, "NetInput")), ni, sizeof(ni));
		stats_size((double)cpod_json_int(cpod_json_get(c, "NetOutput")), no, sizeof(no));
		stats_size((double)cpod_json_int(cpod_json_get(c, "BlockInput")), bi, sizeof(bi));
		stats_size((double)cpod_json_int(cpod_json_get(c, "BlockOutput")), bo, sizeof(bo));
		char *mp = cpod_json_text(cpod_json_get(c, "MemPerc"));
		snprintf(memp, sizeof(memp), "%.2f%%", mp ? atof(mp) : 0.0);
		free(mp);
		snprintf(cpu_s, sizeof(cpu_s), "%.2f%%", now);
		snprintf(avg_s, sizeof(avg_s), "%.2f%%", avg);
		snprintf(mem_s, sizeof(mem_s), "%s / %s", mu, ml);
		snprintf(net, sizeof(net), "%s / %s", ni, no);
		snprintf(blk, sizeof(blk), "%s / %s", bi, bo);
		snprintf(ct, sizeof(ct), "%.6gs", (double)cpu / 1e9);
		long long pids = cpod_json_int(cpod_json_get(c, "PIDs"));
		if (json) {
			printf("%s\n {\"id\":\"%.12s\",\"name\":\"%s\",\"cpu_percent\":\"%s\",\"mem_usage\":\"%s\","
			       "\"mem_percent\":\"%s\",\"net_io\":\"%s\",\"block_io\":\"%s\",\"pids\":\"%lld\","
			       "\"cpu_time\":\"%s\",\"avg_cpu\":\"%s\"}", i ? "," : "", id,
			       S(cpod_json_get(c, "Name")), cpu_s, mem_s, memp, net, blk, pids, ct, avg_s);
		} else if (format) {
			if (cli_template(stdout, format, c) == 0)
				putchar('\n');
		} else {
			printf("%-12.*s  %-20s  %-8s  %-22s  %-8s  %-16s  %-16s  %-5lld  %-10s  %s\n",
			       no_trunc ? 64 : 12, id, S(cpod_json_get(c, "Name")), cpu_s, mem_s, memp, net,
			       blk, pids, ct, avg_s);
		}
	}
	if (json)
		printf("%s]\n", cpod_json_len(arr) ? "\n" : "");
	fflush(stdout);
}

int cmd_stats(int argc, char **argv)
{
	bool no_stream = false, all = false, no_trunc = false, no_reset = false;
	const char *format = NULL;
	long interval = 5;
	const cli_opt opts[] = {
		{ "no-stream", 0, CLI_BOOL, &no_stream },
		{ "all", 'a', CLI_BOOL, &all },
		{ "no-trunc", 0, CLI_BOOL, &no_trunc },
		{ "no-reset", 0, CLI_BOOL, &no_reset },
		{ "format", 0, CLI_STR, &format },
		{ "interval", 'i', CLI_INT, &interval },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse("stats", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (interval < 1) {
		cli_error("stats: --interval must be at least 1 second");
		return 125;
	}
	char *tmpl = format && strcmp(format, "json") != 0 ? cli_template_unescape(format) : NULL;
	stats_prev *prev = calloc(256, sizeof(*prev));
	size_t nprev = 0;
	int rc = 0;
	for (bool first = true;; first = false) {
		char *s = cpod_container_stats(cli_engine(), argc > 1 ? (const char *const *)(argv + 1) : NULL,
					       &err);
		cpod_json *doc = s ? cpod_json_parse(s, &err) : NULL;
		free(s);
		if (!doc) {
			cli_errorx(&err);
			rc = 125;
			break;
		}
		if (!first && !no_reset && !format && isatty(1))
			printf("\033[2J\033[H");
		stats_print(cpod_json_root(doc), tmpl ? tmpl : format, no_trunc, prev ? prev : &(stats_prev){ 0 },
			    &nprev, !format);
		cpod_json_free(doc);
		if (no_stream)
			break;
		sleep((unsigned)interval);
	}
	free(prev);
	free(tmpl);
	return rc;
}
