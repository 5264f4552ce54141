/*
 * cgroup_v2.c — linux.resources on the unified hierarchy, as runc's
 * libcontainer/cgroups/fs2 and crun map them (Documentation/admin-guide/
 * cgroup-v2.rst for the files), enabling controllers down the path, and
 * runc's stats read from v2 files.
 *
 * The conversions from v1-style values are runc's: shares to cpu.weight,
 * blkio weight to io.weight, memory+swap to memory.swap.max.  Only what
 * the resources set is written, so the same code serves create and update.
 */
#include "cgroup.h"
#include <dirent.h>

/* The controllers a container's cgroup gets when its parent has them. */
static const char *const cg_v2_wanted[] = { "cpuset", "cpu", "io", "memory", "hugetlb", "pids" };

/* Enables the wanted controllers for the children of dfd, one at a time so
 * that one the kernel refuses does not keep the others off.  Failures are
 * not errors here: a limit that needs a missing controller fails later
 * with a clear message naming the file. */
CPOD_INTERNAL void cg_v2_enable_controllers(int dfd, const char *where)
{
	char avail[1024], enabled[1024];

	if (cg_read_str(dfd, "cgroup.controllers", avail, sizeof(avail)) < 0)
		return;
	if (cg_read_str(dfd, "cgroup.subtree_control", enabled, sizeof(enabled)) < 0)
		enabled[0] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(cg_v2_wanted); i++) {
		const char *c = cg_v2_wanted[i];
		char v[32];
		if (!cg_list_has(avail, strlen(avail), c, ' ') ||
		    cg_list_has(enabled, strlen(enabled), c, ' '))
			continue;
		snprintf(v, sizeof(v), "+%s", c);
		if (cg_write(dfd, "cgroup.subtree_control", v, NULL) < 0)
			log_debug("cgroup: cannot enable %s on the way to %s: %s", c, where,
				  strerror(errno));
	}
}

/* ---------------------------------------------------------------- memory */

static int cg_v2_memory(int fd, const oci_resources *r, bool update, cpod_err *err)
{
	int64_t limit = r->memory.limit.set ? r->memory.limit.v : 0;
	int64_t swap = r->memory.swap.set ? r->memory.swap.v : 0;
	int64_t resv = r->memory.reservation.set ? r->memory.reservation.v : 0;

	if (r->memory.kernel.set || r->memory.kernel_tcp.set)
		log_debug("cgroup memory: kernel and kernelTCP limits are ignored on cgroup v2");
	if (r->memory.swappiness.set)
		log_debug("cgroup memory: swappiness is ignored on cgroup v2");
	if (r->memory.disable_oom_killer)
		log_debug("cgroup memory: disableOOMKiller is ignored on cgroup v2");
	if (!limit && !swap && !resv)
		return 0;

	if (update && r->memory.check_before_update && limit > 0) {
		uint64_t usage;
		if (cg_read_u64(fd, "memory.current", &usage) == 0 && (uint64_t)limit < usage)
			return err_set(err, CPOD_E_INVALID,
				       "the limit %" PRId64 " is below the current usage %" PRIu64,
				       limit, usage);
	}

	/* the spec's swap is memory+swap (v1's memsw); v2 limits swap alone */
	int64_t swap_max = 0;
	if (limit == -1 && swap == 0) {
		swap_max = -1;
	} else if (swap == -1) {
		swap_max = -1;
	} else if (swap) {
		int64_t mem = limit;
		if (!mem && update) {
			uint64_t cur;
			if (cg_read_u64(fd, "memory.max", &cur) == 0)
				mem = cur == UINT64_MAX || cur > INT64_MAX ? -1 : (int64_t)cur;
		}
		if (mem <= 0)
			return err_set(err, CPOD_E_INVALID,
				       "a swap limit needs a memory limit on cgroup v2");
		if (swap < mem)
			return err_set(err, CPOD_E_INVALID,
				       "memory+swap (%" PRId64 ") must not be below the memory limit (%"
				       PRId64 ")", swap, mem);
		swap_max = swap - mem;
	}

	if (limit < 0 && cg_write(fd, "memory.max", "max", err) < 0)
		return -1;
	if (limit > 0 && cg_writef(fd, "memory.max", err, "%" PRId64, limit) < 0)
		return -1;
	if (resv < 0 && cg_write(fd, "memory.low", "max", err) < 0)
		return -1;
	if (resv > 0 && cg_writef(fd, "memory.low", err, "%" PRId64, resv) < 0)
		return -1;
	if (swap || swap_max) {
		/* without swap accounting "no swap" and "any swap" are moot
		 * (runc ignores them too); a real swap limit is not */
		if (!cg_has(fd, "memory.swap.max")) {
			if (swap_max > 0)
				return err_set(err, CPOD_E_UNSUPPORTED,
					       "a swap limit was asked for, but memory.swap.max does not "
					       "exist (swap accounting is off)");
		} else if (swap_max < 0) {
			if (cg_write(fd, "memory.swap.max", "max", err) < 0)
				return -1;
		} else if (cg_writef(fd, "memory.swap.max", err, "%" PRId64, swap_max) < 0) {
			return -1;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- cpu, cpuset, pids */

/* runc's and crun's conversion of shares [2, 262144] to weight [1, 10000] */
CPOD_INTERNAL uint64_t cg_shares_to_weight(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

static int cg_v2_cpu(int fd, const oci_resources *r, bool update, cpod_err *err)
{
	uint64_t shares = r->cpu.shares.set ? r->cpu.shares.v : 0;
	uint64_t period = r->cpu.period.set ? r->cpu.period.v : 0;
	int64_t quota = r->cpu.quota.set ? r->cpu.quota.v : 0;

	if ((r->cpu.realtime_period.set && r->cpu.realtime_period.v) ||
	    (r->cpu.realtime_runtime.set && r->cpu.realtime_runtime.v))
		return err_set(err, CPOD_E_UNSUPPORTED,
			       "realtimePeriod and realtimeRuntime need cgroup v1 (cgroup v2 has "
			       "no realtime group scheduling)");
	if (shares && cg_writef(fd, "cpu.weight", err, "%" PRIu64, cg_shares_to_weight(shares)) < 0)
		return -1;
	if (quota || period) {
		char q[32] = "max";
		if (quota > 0) {
			snprintf(q, sizeof(q), "%" PRId64, quota);
		} else if (!quota && update) {
			/* only the period changes: keep the quota there */
			char cur[64];
			if (cg_read_str(fd, "cpu.max", cur, sizeof(cur)) == 0 && cur[0])
				snprintf(q, sizeof(q), "%.*s", (int)strcspn(cur, " "), cur);
		}
		if (period ? cg_writef(fd, "cpu.max", err, "%s %" PRIu64, q, period) < 0
			   : cg_write(fd, "cpu.max", q, err) < 0)
			return -1;
	}
	if (r->cpu.burst.set &&
	    cg_writef(fd, "cpu.max.burst", err, "%" PRId64, r->cpu.burst.v) < 0)
		return -1;
	if (r->cpu.idle.set && cg_writef(fd, "cpu.idle", err, "%" PRId64, r->cpu.idle.v) < 0)
		return -1;
	return 0;
}

static int cg_v2_cpuset(int fd, const oci_resources *r, cpod_err *err)
{
	if (r->cpu.mems && *r->cpu.mems && cg_write(fd, "cpuset.mems", r->cpu.mems, err) < 0)
		return -1;
	if (r->cpu.cpus && *r->cpu.cpus && cg_write(fd, "cpuset.cpus", r->cpu.cpus, err) < 0)
		return -1;
	return 0;
}

static int cg_v2_pids(int fd, const oci_resources *r, cpod_err *err)
{
	if (!r->pids.limit.set || !r->pids.limit.v)
		return 0;
	if (r->pids.limit.v < 0)
		return cg_write(fd, "pids.max", "max", err);
	return cg_writef(fd, "pids.max", err, "%" PRId64, r->pids.limit.v);
}

/* ---------------------------------------------------------------- io, hugetlb */

/* runc's conversion of blkio weight [10, 1000] to io.weight [1, 10000] */
CPOD_INTERNAL uint64_t cg_blkio_to_io_weight(uint64_t w)
{
	if (w < 10)
		w = 10;
	if (w > 1000)
		w = 1000;
	return 1 + (w - 10) * 9999 / 990;
}

static bool cg_same_dev(const oci_blkio_device *a, const oci_blkio_device *b)
{
	return a->major == b->major && a->minor == b->minor;
}

static int cg_v2_io(int fd, const oci_resources *r, cpod_err *err)
{
	static const char *const keys[4] = { "rbps", "wbps", "riops", "wiops" };
	const __typeof__(r->blkio) *b = &r->blkio;
	/* BFQ keeps the v1 range and takes the weight as is */
	bool bfq = cg_has(fd, "io.bfq.weight");

	if (b->weight.set && b->weight.v) {
		if (bfq ? cg_writef(fd, "io.bfq.weight", err, "%" PRIu64, b->weight.v) < 0
			: cg_writef(fd, "io.weight", err, "%" PRIu64,
				    cg_blkio_to_io_weight(b->weight.v)) < 0)
			return -1;
	}
	if (b->leaf_weight.set && b->leaf_weight.v)
		log_debug("cgroup io: leafWeight is ignored on cgroup v2");
	for (size_t i = 0; i < b->n_weight_device; i++) {
		const oci_blkio_device *d = &b->weight_device[i];
		if (!d->weight.set)
			continue;
		if (bfq ? cg_writef(fd, "io.bfq.weight", err, "%" PRId64 ":%" PRId64 " %" PRIu64,
				    d->major, d->minor, d->weight.v) < 0
			: cg_writef(fd, "io.weight", err, "%" PRId64 ":%" PRId64 " %" PRIu64,
				    d->major, d->minor, cg_blkio_to_io_weight(d->weight.v)) < 0)
			return -1;
	}
	/* io.max: one line per device with every limit set for it */
	for (int t = 0; t < 4; t++) {
		for (size_t i = 0; i < b->n_throttle[t]; i++) {
			const oci_blkio_device *d = &b->throttle[t][i];
			bool seen = false;
			for (int t2 = 0; t2 <= t && !seen; t2++)
				for (size_t k = 0; k < (t2 == t ? i : b->n_throttle[t2]) && !seen; k++)
					seen = cg_same_dev(&b->throttle[t2][k], d);
			if (seen)
				continue;
			char line[256];
			int len = snprintf(line, sizeof(line), "%" PRId64 ":%" PRId64, d->major, d->minor);
			for (int t2 = 0; t2 < 4; t2++) {
				/* the last entry for a device wins, as with separate writes */
				const oci_blkio_device *hit = NULL;
				for (size_t k = 0; k < b->n_throttle[t2]; k++)
					if (cg_same_dev(&b->throttle[t2][k], d))
						hit = &b->throttle[t2][k];
				if (hit && len > 0 && (size_t)len < sizeof(line))
					len += snprintf(line + len, sizeof(line) - (size_t)len,
							" %s=%" PRIu64, keys[t2], hit->rate);
			}
			if (cg_write(fd, "io.max", line, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int cg_v2_hugetlb(int fd, const oci_resources *r, cpod_err *err)
{
	for (size_t i = 0; i < r->n_hugepages; i++) {
		char file[128];
		const char *sz = r->hugepages[i].page_size;
		snprintf(file, sizeof(file), "hugetlb.%.64s.max", sz);
		if (cg_writef(fd, file, err, "%" PRIu64, r->hugepages[i].limit) < 0)
			return -1;
		snprintf(file, sizeof(file), "hugetlb.%.64s.rsvd.max", sz);
		if (cg_has(fd, file) && cg_writef(fd, file, err, "%" PRIu64, r->hugepages[i].limit) < 0)
			return -1;
	}
	return 0;
}

/* linux.resources.unified: cgroup v2 files written as they are, last so
 * that they override what the mapped settings wrote. */
CPOD_INTERNAL int cg_unified_apply(int dfd, const oci_resources *r, cpod_err *err)
{
	for (size_t i = 0; i < r->n_unified; i++) {
		const char *k = r->unified[i].key;
		if (!*k || strchr(k, '/') || k[0] == '.')
			return err_set(err, CPOD_E_INVALID, "bad cgroup file name \"%.64s\"", k);
		if (cg_write(dfd, k, r->unified[i].value, err) < 0)
			return -1;
	}
	return 0;
}

CPOD_INTERNAL int cg_v2_apply(int dfd, const oci_resources *r, bool update, bool rootless,
			      cpod_err *err)
{
	if (cg_v2_memory(dfd, r, update, err) < 0)
		return err_prefix(err, "cgroup memory");
	if (cg_v2_pids(dfd, r, err) < 0)
		return err_prefix(err, "cgroup pids");
	if (cg_v2_cpu(dfd, r, update, err) < 0)
		return err_prefix(err, "cgroup cpu");
	if (cg_v2_cpuset(dfd, r, err) < 0)
		return err_prefix(err, "cgroup cpuset");
	if (cg_v2_io(dfd, r, err) < 0)
		return err_prefix(err, "cgroup io");
	if (cg_v2_hugetlb(dfd, r, err) < 0)
		return err_prefix(err, "cgroup hugetlb");
	if (r->net_class_id.set || r->n_net_priorities)
		log_warn("cgroup: network classID and priorities need cgroup v1; ignored");
	if (cg_dev_ebpf_apply(dfd, r, rootless, err) < 0)
		return err_prefix(err, "cgroup devices");
	if (cg_unified_apply(dfd, r, err) < 0)
		return err_prefix(err, "cgroup unified");
	return 0;
}

/* ---------------------------------------------------------------- stats */

static uint64_t cg_v2_u64(int fd, const char *file)
{
	uint64_t v = 0;
	return cg_read_u64(fd, file, &v) == 0 ? v : 0;
}

static uint64_t cg_v2_key(int fd, const char *file, const char *key)
{
	buf b = BUF_INIT;
	uint64_t v = 0;

	if (cg_read(fd, file, &b, 1u << 16, NULL) < 0 || !cg_kv_u64(b.data, key, &v))
		v = 0;
	buf_free(&b);
	return v;
}

static void cg_v2_mem_entry(json_w *w, const char *key, uint64_t limit, uint64_t usage,
			    uint64_t max, uint64_t failcnt)
{
	jw_key(w, key);
	jw_obj_begin(w);
	cg_jw_u64(w, "limit", limit);
	cg_jw_u64(w, "usage", usage);
	cg_jw_u64(w, "max", max);
	cg_jw_u64(w, "failcnt", failcnt);
	jw_obj_end(w);
}

static void cg_v2_io_stats(json_w *w, int fd)
{
	buf b = BUF_INIT;
	bool ok = cg_read(fd, "io.stat", &b, 1u << 20, NULL) == 0;

	/* io.stat: "8:0 rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" */
	for (int pass = 0; pass < 2; pass++) {
		jw_key(w, pass ? "ioServicedRecursive" : "ioServiceBytesRecursive");
		jw_arr_begin(w);
		for (char *s = ok ? b.data : NULL; s && *s;) {
			unsigned long long maj, min;
			char *nl = strchr(s, '\n');
			size_t len = nl ? (size_t)(nl - s) : strlen(s);
			char line[512];
			if (len < sizeof(line)) {
				memcpy(line, s, len);
				line[len] = '\0';
			} else {
				line[0] = '\0';
			}
			if (sscanf(line, "%llu:%llu", &maj, &min) == 2) {
				uint64_t rv = 0, wv = 0;
				for (char *t = strchr(line, ' '); t; t = strchr(t + 1, ' ')) {
					const char *rk = pass ? "rios=" : "rbytes=";
					const char *wk = pass ? "wios=" : "wbytes=";
					if (strncmp(t + 1, rk, strlen(rk)) == 0)
						cg_parse_u64(t + 1 + strlen(rk), &rv);
					if (strncmp(t + 1, wk, strlen(wk)) == 0)
						cg_parse_u64(t + 1 + strlen(wk), &wv);
				}
				cg_jw_blkio_entry(w, maj, min, "Read", rv);
				cg_jw_blkio_entry(w, maj, min, "Write", wv);
			}
			s = nl ? nl + 1 : NULL;
		}
		jw_arr_end(w);
	}
	buf_free(&b);
}

CPOD_INTERNAL int cg_v2_stats(int fd, json_w *w, cpod_err *err)
{
	buf b = BUF_INIT;
	uint64_t v;

	jw_obj_begin(w);

	cg_read(fd, "cpu.stat", &b, 1u << 16, NULL);
	const char *cs = b.data ? b.data : "";
	jw_key(w, "cpu");
	jw_obj_begin(w);
	jw_key(w, "usage");
	jw_obj_begin(w);
	cg_jw_u64(w, "total", cg_kv_u64(cs, "usage_usec", &v) ? v * 1000 : 0);
	jw_key(w, "percpu");
	jw_arr_begin(w);
	jw_arr_end(w);
	cg_jw_u64(w, "kernel", cg_kv_u64(cs, "system_usec", &v) ? v * 1000 : 0);
	cg_jw_u64(w, "user", cg_kv_u64(cs, "user_usec", &v) ? v * 1000 : 0);
	jw_obj_end(w);
	jw_key(w, "throttling");
	jw_obj_begin(w);
	cg_jw_u64(w, "periods", cg_kv_u64(cs, "nr_periods", &v) ? v : 0);
	cg_jw_u64(w, "throttledPeriods", cg_kv_u64(cs, "nr_throttled", &v) ? v : 0);
	cg_jw_u64(w, "throttledTime", cg_kv_u64(cs, "throttled_usec", &v) ? v * 1000 : 0);
	jw_obj_end(w);
	jw_obj_end(w);
	buf_free(&b);

	/* memory; swap is reported as memory+swap, as v1 does (runc) */
	uint64_t limit = cg_v2_u64(fd, "memory.max"), usage = cg_v2_u64(fd, "memory.current");
	uint64_t swap_limit = cg_v2_u64(fd, "memory.swap.max");
	uint64_t swap_usage = cg_v2_u64(fd, "memory.swap.current");
	if (swap_limit != UINT64_MAX && limit != UINT64_MAX)
		swap_limit += limit;
	else
		swap_limit = UINT64_MAX;
	uint64_t cache;
	jw_key(w, "memory");
	jw_obj_begin(w);
	cg_v2_mem_entry(w, "usage", limit, usage, cg_v2_u64(fd, "memory.peak"),
			cg_v2_key(fd, "memory.events", "max"));
	cg_v2_mem_entry(w, "swap", swap_limit, swap_usage + usage,
			cg_v2_u64(fd, "memory.swap.peak"), cg_v2_key(fd, "memory.swap.events", "max"));
	cg_v2_mem_entry(w, "kernel", 0, 0, 0, 0);
	cg_v2_mem_entry(w, "kernelTCP", 0, 0, 0, 0);
	cg_stat_raw(w, fd, "memory.stat", "file", &cache);
	cg_jw_u64(w, "cache", cache);
	jw_obj_end(w);

	jw_key(w, "pids");
	jw_obj_begin(w);
	cg_jw_u64(w, "current", cg_v2_u64(fd, "pids.current"));
	v = cg_v2_u64(fd, "pids.max");
	cg_jw_u64(w, "limit", v == UINT64_MAX ? 0 : v);
	jw_obj_end(w);

	jw_key(w, "blkio");
	jw_obj_begin(w);
	if (cg_has(fd, "io.stat"))
		cg_v2_io_stats(w, fd);
	jw_obj_end(w);

	jw_key(w, "hugetlb");
	jw_obj_begin(w);
	char sizes[8][32];
	size_t n = cg_hugepage_sizes(sizes, 8);
	for (size_t i = 0; i < n; i++) {
		char f[96];
		snprintf(f, sizeof(f), "hugetlb.%s.current", sizes[i]);
		if (!cg_has(fd, f))
			continue;
		jw_key(w, sizes[i]);
		jw_obj_begin(w);
		cg_jw_u64(w, "usage", cg_v2_u64(fd, f));
		cg_jw_u64(w, "max", 0);
		snprintf(f, sizeof(f), "hugetlb.%s.events", sizes[i]);
		cg_jw_u64(w, "failcnt", cg_v2_key(fd, f, "max"));
		jw_obj_end(w);
	}
	jw_obj_end(w);

	jw_obj_end(w);
	return w->failed ? jw_finish(w, err) : 0;
}
