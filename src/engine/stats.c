/*
 * stats.c — `stats`: resource use of running containers, one sample each,
 * in the shape of podman's ContainerStats: CPU (nanoseconds used, and the
 * average percentage of one CPU since the start), memory (usage, limit:
 * the host's memory when the container has none), block I/O (bytes read
 * and written, from the cgroup), network I/O (bytes through the
 * interfaces of the container's network namespace, loopback excluded) and
 * pids.  A caller that samples twice gets rates from the differences of
 * CPUNano over SystemNano (both in the sample).
 */
#include "container.h"
#include "../base/clock.h"
#include "../base/proc.h"
#include <sys/sysinfo.h>
#include <time.h>

static int64_t stats_i64(const json_value *v)
{
	int64_t i = 0;
	if (!json_int64(v, &i) && json_is(v, JSON_NUMBER))
		i = v->u.num.d > (double)INT64_MAX ? INT64_MAX : (int64_t)v->u.num.d;
	return i;
}

/* Bytes received and sent by pid's network namespace, loopback aside. */
static void stats_net(pid_t pid, int64_t *rx, int64_t *tx)
{
	char path[64], line[512];
	*rx = *tx = 0;
	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		const char *name = line + strspn(line, " ");
		if (strcmp(name, "lo") == 0)
			continue;
		unsigned long long v[9];
		if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) == 9) {
			*rx += (int64_t)v[0];
			*tx += (int64_t)v[8];
		}
	}
	fclose(f);
}

static void stats_one(json_w *w, cpod_engine *e, const ctr_record *r)
{
	char *text = cpod_runtime_stats(e->rt, r->id, NULL);
	_cleanup_json_ json_doc *d = text ? json_parse(text, strlen(text), NULL, NULL) : NULL;
	free(text);
	const json_value *data = json_get(json_root(d), "data");
	const json_value *mem = json_get(json_get(data, "memory"), "usage");
	int64_t cpu = stats_i64(json_get(json_get(json_get(data, "cpu"), "usage"), "total"));
	int64_t usage = stats_i64(json_get(mem, "usage"));
	int64_t limit = stats_i64(json_get(mem, "limit"));
	struct sysinfo si;
	if (sysinfo(&si) == 0) {
		int64_t host = (int64_t)si.totalram * (int64_t)si.mem_unit;
		if (limit <= 0 || limit > host)
			limit = host;
	}
	int64_t rd = 0, wr = 0, rx, tx;
	const json_value *io = json_get(json_get(data, "blkio"), "ioServiceBytesRecursive");
	for (size_t i = 0; i < json_len(io); i++) {
		const char *op = json_string(json_get(json_at(io, i), "op"));
		int64_t v = stats_i64(json_get(json_at(io, i), "value"));
		if (op && strcasecmp(op, "read") == 0)
			rd += v;
		else if (op && strcasecmp(op, "write") == 0)
			wr += v;
	}
	stats_net(r->pid, &rx, &tx);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	int64_t started = clock_unix_ms(r->started_at);
	int64_t up = started > 0 ? now_ns - started * 1000000 : 0;

	jw_obj_begin(w);
	jw_kstr(w, "ContainerID", r->id);
	jw_kstr(w, "Name", r->name);
	jw_key(w, "CPU");
	jw_double(w, up > 0 ? 100.0 * (double)cpu / (double)up : 0.0);
	jw_kint(w, "CPUNano", cpu);
	jw_kint(w, "SystemNano", now_ns);
	jw_kint(w, "UpTime", up);
	jw_kint(w, "MemUsage", usage);
	jw_kint(w, "MemLimit", limit);
	jw_key(w, "MemPerc");
	jw_double(w, limit > 0 ? 100.0 * (double)usage / (double)limit : 0.0);
	jw_kint(w, "NetInput", rx);
	jw_kint(w, "NetOutput", tx);
	jw_kint(w, "BlockInput", rd);
	jw_kint(w, "BlockOutput", wr);
	jw_kint(w, "PIDs", stats_i64(json_get(json_get(data, "pids"), "current")));
	jw_obj_end(w);
}

char *cpod_container_stats(cpod_engine *e, const char *const *ctrs, cpod_err *err)
{
	buf b = BUF_INIT;
	json_w w;
	jw_init(&w, &b, NULL);
	jw_arr_begin(&w);
	if (ctrs && ctrs[0]) {
		for (size_t i = 0; ctrs[i]; i++) {
			ctr_record r;
			if (ctr_find(e, ctrs[i], &r, err) < 0)
				goto fail;
			if (!ctr_running(&r)) {
				err_set(err, CPOD_E_STATE, "stats: container %s is not running", r.name);
				ctr_record_free(&r);
				goto fail;
			}
			stats_one(&w, e, &r);
			ctr_record_free(&r);
		}
	} else {
		ctr_record *list;
		size_t n;
		if (ctr_list_all(e, &list, &n, err) < 0)
			goto fail;
		for (size_t i = 0; i < n; i++)
			if (ctr_running(&list[i]))
				stats_one(&w, e, &list[i]);
		ctr_list_free(list, n);
	}
	jw_arr_end(&w);
	if (jw_finish(&w, err) < 0)
		goto fail;
	return buf_take(&b, err);
fail:
	buf_free(&b);
	return NULL;
}
