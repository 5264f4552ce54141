/*
 * cgroup_v1.c — linux.resources on cgroup v1 hierarchies, as runc's
 * libcontainer/cgroups/fs writes them, and runc's stats read from v1 files.
 *
 * On a hybrid host the `unified` key/values go to the v2 directory, and
 * device rules fall back to the v2 device filter when there is no v1
 * devices hierarchy.  Only what the resources set is written, so the same
 * code serves create and update.  The helpers (cg_write, cg_v1_need, ...)
 * are in cgroup.c.
 */
#include "cgroup.h"
#include <dirent.h>

/* ---------------------------------------------------------------- memory */

static int cg_v1_memory(const cg_paths *p, const oci_resources *r, bool update, cpod_err *err)
{
	int64_t limit = r->memory.limit.set ? r->memory.limit.v : 0;
	int64_t swap = r->memory.swap.set ? r->memory.swap.v : 0;
	int64_t resv = r->memory.reservation.set ? r->memory.reservation.v : 0;

	if (r->memory.kernel.set || r->memory.kernel_tcp.set)
		log_debug("cgroup memory: kernel and kernelTCP limits are ignored "
			  "(the kernel dropped them)");
	if (!limit && !swap && !resv && !r->memory.swappiness.set && !r->memory.disable_oom_killer)
		return 0;
	_cleanup_close_ int fd = cg_v1_need(p, "memory", err);
	if (fd < 0)
		return -1;

	if (update && r->memory.check_before_update && limit > 0) {
		uint64_t usage;
		if (cg_read_u64(fd, "memory.usage_in_bytes", &usage) == 0 && (uint64_t)limit < usage)
			return err_set(err, CPOD_E_INVALID,
				       "the limit %" PRId64 " is below the current usage %" PRIu64,
				       limit, usage);
	}

	bool memsw = cg_has(fd, "memory.memsw.limit_in_bytes");
	/* unlimited memory without a word on swap means unlimited swap too */
	if (limit == -1 && swap == 0 && memsw)
		swap = -1;
	if (swap && !memsw) {
		if (swap != -1)
			return err_set(err, CPOD_E_UNSUPPORTED,
				       "a swap limit was asked for, but memory.memsw.limit_in_bytes "
				       "does not exist (swap accounting is off: boot with swapaccount=1)");
		swap = 0;
	}
	/* memory+swap may never be below memory: order the two writes so
	 * that every intermediate state is valid */
	bool swap_first = false;
	if (limit && swap) {
		uint64_t cur;
		if (cg_read_u64(fd, "memory.limit_in_bytes", &cur) < 0)
			return err_sys(err, "read memory.limit_in_bytes");
		swap_first = swap == -1 || cur < (uint64_t)swap;
	}
	if (swap_first &&
	    cg_writef(fd, "memory.memsw.limit_in_bytes", err, "%" PRId64, swap) < 0)
		return -1;
	if (limit && cg_writef(fd, "memory.limit_in_bytes", err, "%" PRId64, limit) < 0)
		return -1;
	if (!swap_first && swap &&
	    cg_writef(fd, "memory.memsw.limit_in_bytes", err, "%" PRId64, swap) < 0)
		return -1;
	if (resv && cg_writef(fd, "memory.soft_limit_in_bytes", err, "%" PRId64, resv) < 0)
		return -1;
	if (r->memory.swappiness.set &&
	    cg_writef(fd, "memory.swappiness", err, "%" PRIu64, r->memory.swappiness.v) < 0)
		return -1;
	if (r->memory.disable_oom_killer && cg_write(fd, "memory.oom_control", "1", err) < 0)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- cpu, cpuset, pids */

static int cg_v1_cpu(const cg_paths *p, const oci_resources *r, cpod_err *err)
{
	uint64_t shares = r->cpu.shares.set ? r->cpu.shares.v : 0;
	uint64_t period = r->cpu.period.set ? r->cpu.period.v : 0;
	int64_t quota = r->cpu.quota.set ? r->cpu.quota.v : 0;
	uint64_t rt_period = r->cpu.realtime_period.set ? r->cpu.realtime_period.v : 0;
	int64_t rt_runtime = r->cpu.realtime_runtime.set ? r->cpu.realtime_runtime.v : 0;

	if (!shares && !period && !quota && !rt_period && !rt_runtime && !r->cpu.burst.set &&
	    !r->cpu.idle.set)
		return 0;
	_cleanup_close_ int fd = cg_v1_need(p, "cpu", err);
	if (fd < 0)
		return -1;

	/* realtime first: a SCHED_RR task cannot join a group without RT time */
	if (rt_period && cg_writef(fd, "cpu.rt_period_us", err, "%" PRIu64, rt_period) < 0)
		return -1;
	if (rt_runtime && cg_writef(fd, "cpu.rt_runtime_us", err, "%" PRId64, rt_runtime) < 0)
		return -1;
	if (shares) {
		uint64_t got;
		if (cg_writef(fd, "cpu.shares", err, "%" PRIu64, shares) < 0)
			return -1;
		/* the kernel clamps silently; say so instead */
		if (cg_read_u64(fd, "cpu.shares", &got) == 0 && got != shares)
			return err_set(err, CPOD_E_INVALID,
				       "cpu.shares %" PRIu64 " is out of range: the %s allowed is %"
				       PRIu64, shares, shares > got ? "maximum" : "minimum", got);
	}
	/* a shorter period can be refused while the old quota is in place;
	 * then set the quota first and the period after */
	bool period_later = false;
	if (period && cg_writef(fd, "cpu.cfs_period_us", err, "%" PRIu64, period) < 0) {
		if (errno != EINVAL || !quota)
			return -1;
		period_later = true;
	}
	if (quota && cg_writef(fd, "cpu.cfs_quota_us", err, "%" PRId64, quota) < 0)
		return -1;
	if (period_later && cg_writef(fd, "cpu.cfs_period_us", err, "%" PRIu64, period) < 0)
		return -1;
	if (r->cpu.burst.set && cg_writef(fd, "cpu.cfs_burst_us", err, "%" PRId64, r->cpu.burst.v) < 0)
		return -1;
	if (r->cpu.idle.set && cg_writef(fd, "cpu.idle", err, "%" PRId64, r->cpu.idle.v) < 0)
		return -1;
	return 0;
}

static int cg_v1_cpuset(const cg_paths *p, const oci_resources *r, cpod_err *err)
{
	bool cpus = r->cpu.cpus && *r->cpu.cpus, mems = r->cpu.mems && *r->cpu.mems;

	if (!cpus && !mems)
		return 0;
	_cleanup_close_ int fd = cg_v1_need(p, "cpuset", err);
	if (fd < 0)
		return -1;
	if (mems && cg_write(fd, "cpuset.mems", r->cpu.mems, err) < 0)
		return -1;
	if (cpus && cg_write(fd, "cpuset.cpus", r->cpu.cpus, err) < 0)
		return -1;
	return 0;
}

static int cg_v1_pids(const cg_paths *p, const oci_resources *r, cpod_err *err)
{
	if (!r->pids.limit.set || !r->pids.limit.v)
		return 0;
	_cleanup_close_ int fd = cg_v1_need(p, "pids", err);
	if (fd < 0)
		return -1;
	if (r->pids.limit.v < 0)
		return cg_write(fd, "pids.max", "max", err);
	return cg_writef(fd, "pids.max", err, "%" PRId64, r->pids.limit.v);
}

/* ---------------------------------------------------------------- blkio, hugetlb, net */

static int cg_v1_blkio(const cg_paths *p, const oci_resources *r, cpod_err *err)
{
	static const char *const throttle[4] = {
		"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
		"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device",
	};
	const __typeof__(r->blkio) *b = &r->blkio;
	bool any = (b->weight.set && b->weight.v) || (b->leaf_weight.set && b->leaf_weight.v) ||
		   b->n_weight_device;

	for (int i = 0; i < 4; i++)
		any |= b->n_throttle[i] > 0;
	if (!any)
		return 0;
	_cleanup_close_ int fd = cg_v1_need(p, "blkio", err);
	if (fd < 0)
		return -1;
	/* without CFQ (gone since 5.0) the weights are BFQ's */
	bool bfq = cg_has(fd, "blkio.bfq.weight");
	const char *wfile = bfq ? "blkio.bfq.weight" : "blkio.weight";
	const char *wdfile = bfq ? "blkio.bfq.weight_device" : "blkio.weight_device";
	bool leaf = cg_has(fd, "blkio.leaf_weight");

	if (b->weight.set && b->weight.v &&
	    cg_writef(fd, wfile, err, "%" PRIu64, b->weight.v) < 0)
		return -1;
	if (b->leaf_weight.set && b->leaf_weight.v) {
		if (!leaf)
			log_debug("cgroup blkio: leafWeight ignored (no blkio.leaf_weight)");
		else if (cg_writef(fd, "blkio.leaf_weight", err, "%" PRIu64, b->leaf_weight.v) < 0)
			return -1;
	}
	for (size_t i = 0; i < b->n_weight_device; i++) {
		const oci_blkio_device *d = &b->weight_device[i];
		if (d->weight.set && cg_writef(fd, wdfile, err, "%" PRId64 ":%" PRId64 " %" PRIu64,
					       d->major, d->minor, d->weight.v) < 0)
			return -1;
		if (d->leaf_weight.set && leaf &&
		    cg_writef(fd, "blkio.leaf_weight_device", err, "%" PRId64 ":%" PRId64 " %" PRIu64,
			      d->major, d->minor, d->leaf_weight.v) < 0)
			return -1;
	}
	for (int t = 0; t < 4; t++)
		for (size_t i = 0; i < b->n_throttle[t]; i++) {
			const oci_blkio_device *d = &b->throttle[t][i];
			if (cg_writef(fd, throttle[t], err, "%" PRId64 ":%" PRId64 " %" PRIu64,
				      d->major, d->minor, d->rate) < 0)
				return -1;
		}
	return 0;
}

static int cg_v1_hugetlb(const cg_paths *p, const oci_resources *r, cpod_err *err)
{
	if (!r->n_hugepages)
		return 0;
	_cleanup_close_ int fd = cg_v1_need(p, "hugetlb", err);
	if (fd < 0)
		return -1;
	for (size_t i = 0; i < r->n_hugepages; i++) {
		char file[128];
		const char *sz = r->hugepages[i].page_size;
		snprintf(file, sizeof(file), "hugetlb.%.64s.limit_in_bytes", sz);
		if (cg_writef(fd, file, err, "%" PRIu64, r->hugepages[i].limit) < 0)
			return -1;
		/* the reservation limit too, where the kernel has one */
		snprintf(file, sizeof(file), "hugetlb.%.64s.rsvd.limit_in_bytes", sz);
		if (cg_has(fd, file) && cg_writef(fd, file, err, "%" PRIu64, r->hugepages[i].limit) < 0)
			return -1;
	}
	return 0;
}

static int cg_v1_net(const cg_paths *p, const oci_resources *r, cpod_err *err)
{
	if (r->net_class_id.set) {
		_cleanup_close_ int fd = cg_v1_need(p, "net_cls", err);
		if (fd < 0 || cg_writef(fd, "net_cls.classid", err, "%" PRIu64, r->net_class_id.v) < 0)
			return err_prefix(err, "cgroup net_cls");
	}
	if (r->n_net_priorities) {
		_cleanup_close_ int fd = cg_v1_need(p, "net_prio", err);
		if (fd < 0)
			return err_prefix(err, "cgroup net_prio");
		for (size_t i = 0; i < r->n_net_priorities; i++)
			if (cg_writef(fd, "net_prio.ifpriomap", err, "%s %s", r->net_priorities[i].key,
				      r->net_priorities[i].value) < 0)
				return err_prefix(err, "cgroup net_prio");
	}
	return 0;
}

static int cg_v1_devices(const cg_paths *p, const oci_resources *r, bool rootless, cpod_err *err)
{
	if (!r->n_devices)
		return 0;
	int i = cg_v1_index(p, "devices");
	if (i >= 0) {
		_cleanup_close_ int fd = cg_dir_open(p->v1[i].dir, err);
		if (fd < 0)
			return -1;
		return cg_dev_v1_apply(fd, r, rootless, err);
	}
	if (p->unified[0]) {
		/* no v1 devices hierarchy: cgroup2's device filter works on
		 * any cgroup2 directory, controllers or not */
		_cleanup_close_ int fd = cg_dir_open(p->unified, err);
		if (fd < 0)
			return -1;
		return cg_dev_ebpf_apply(fd, r, rootless, err);
	}
	log_warn("cgroup devices: no devices cgroup on this host; device rules are not enforced");
	return 0;
}

CPOD_INTERNAL int cg_v1_apply(const cg_paths *p, const oci_resources *r, bool update,
			      bool rootless, cpod_err *err)
{
	if (cg_v1_memory(p, r, update, err) < 0)
		return err_prefix(err, "cgroup memory");
	if (cg_v1_pids(p, r, err) < 0)
		return err_prefix(err, "cgroup pids");
	if (cg_v1_cpu(p, r, err) < 0)
		return err_prefix(err, "cgroup cpu");
	if (cg_v1_cpuset(p, r, err) < 0)
		return err_prefix(err, "cgroup cpuset");
	if (cg_v1_blkio(p, r, err) < 0)
		return err_prefix(err, "cgroup blkio");
	if (cg_v1_hugetlb(p, r, err) < 0)
		return err_prefix(err, "cgroup hugetlb");
	if (cg_v1_net(p, r, err) < 0)
		return -1;
	if (cg_v1_devices(p, r, rootless, err) < 0)
		return err_prefix(err, "cgroup devices");
	if (r->n_unified) {
		if (!p->unified[0])
			return err_set(err, CPOD_E_UNSUPPORTED,
				       "cgroup: linux.resources.unified needs cgroup v2, and this "
				       "host has only v1");
		_cleanup_close_ int fd = cg_dir_open(p->unified, err);
		if (fd < 0 || cg_unified_apply(fd, r, err) < 0)
			return err_prefix(err, "cgroup unified");
	}
	return 0;
}

/* ---------------------------------------------------------------- stats */

static int cg_v1_open_opt(const cg_paths *p, const char *ctrl)
{
	int i = cg_v1_index(p, ctrl);
	return i < 0 ? -1 : cg_dir_open(p->v1[i].dir, NULL);
}

static uint64_t cg_u64_or0(int fd, const char *file)
{
	uint64_t v = 0;
	if (fd < 0 || cg_read_u64(fd, file, &v) < 0)
		return 0;
	return v;
}

/* runc's MemoryEntry from PREFIX.limit_in_bytes, usage_in_bytes, ... */
static void cg_v1_mem_entry(json_w *w, const char *key, int fd, const char *prefix)
{
	char f[96];

	jw_key(w, key);
	jw_obj_begin(w);
	snprintf(f, sizeof(f), "%s.limit_in_bytes", prefix);
	cg_jw_u64(w, "limit", cg_u64_or0(fd, f));
	snprintf(f, sizeof(f), "%s.usage_in_bytes", prefix);
	cg_jw_u64(w, "usage", cg_u64_or0(fd, f));
	snprintf(f, sizeof(f), "%s.max_usage_in_bytes", prefix);
	cg_jw_u64(w, "max", cg_u64_or0(fd, f));
	snprintf(f, sizeof(f), "%s.failcnt", prefix);
	cg_jw_u64(w, "failcnt", cg_u64_or0(fd, f));
	jw_obj_end(w);
}

/* memory.stat ("key value" lines) as an object; *cache gets "cache" (v1)
 * or "file" (v2). */
CPOD_INTERNAL void cg_stat_raw(json_w *w, int fd, const char *file, const char *cache_key,
			       uint64_t *cache)
{
	buf b = BUF_INIT;

	*cache = 0;
	jw_key(w, "raw");
	jw_obj_begin(w);
	if (fd >= 0 && cg_read(fd, file, &b, 1u << 20, NULL) == 0) {
		for (char *s = b.data; s && *s;) {
			char *nl = strchr(s, '\n');
			if (nl)
				*nl = '\0';
			char *sp = strchr(s, ' ');
			uint64_t v;
			if (sp && sp > s && sp - s < 128 && cg_parse_u64(sp + 1, &v)) {
				*sp = '\0';
				jw_key(w, s);
				jw_uint(w, v);
				if (strcmp(s, cache_key) == 0)
					*cache = v;
			}
			s = nl ? nl + 1 : NULL;
		}
	}
	buf_free(&b);
	jw_obj_end(w);
}

/* blkio / io entries: {"major":8,"minor":0,"op":"Read","value":N} */
CPOD_INTERNAL void cg_jw_blkio_entry(json_w *w, uint64_t major, uint64_t minor, const char *op,
				     uint64_t value)
{
	jw_obj_begin(w);
	cg_jw_u64(w, "major", major);
	cg_jw_u64(w, "minor", minor);
	jw_kstr(w, "op", op);
	cg_jw_u64(w, "value", value);
	jw_obj_end(w);
}

static void cg_v1_blkio_list(json_w *w, const char *key, int fd, const char *file)
{
	buf b = BUF_INIT;

	jw_key(w, key);
	jw_arr_begin(w);
	if (fd >= 0 && cg_read(fd, file, &b, 1u << 20, NULL) == 0) {
		for (char *s = b.data; s && *s;) {
			unsigned long long maj, min, val;
			char op[16];
			if (sscanf(s, "%llu:%llu %15s %llu", &maj, &min, op, &val) == 4)
				cg_jw_blkio_entry(w, maj, min, op, val);
			s = strchr(s, '\n');
			if (s)
				s++;
		}
	}
	buf_free(&b);
	jw_arr_end(w);
}

/* The huge page sizes of the host in hugetlb's naming ("2MB", "1GB"). */
CPOD_INTERNAL size_t cg_hugepage_sizes(char names[][32], size_t max)
{
	size_t n = 0;
	DIR *d = opendir("/sys/kernel/mm/hugepages");
	struct dirent *de;

	if (!d)
		return 0;
	while (n < max && (de = readdir(d))) {
		unsigned long long kb;
		if (sscanf(de->d_name, "hugepages-%llukB", &kb) != 1 || !kb)
			continue;
		if (kb % (1024 * 1024) == 0)
			snprintf(names[n], 32, "%lluGB", kb / (1024 * 1024));
		else if (kb % 1024 == 0)
			snprintf(names[n], 32, "%lluMB", kb / 1024);
		else
			snprintf(names[n], 32, "%lluKB", kb);
		n++;
	}
	closedir(d);
	return n;
}

CPOD_INTERNAL int cg_v1_stats(const cg_paths *p, json_w *w, cpod_err *err)
{
	int cpu = cg_v1_open_opt(p, "cpu"), acct = cg_v1_open_opt(p, "cpuacct");
	int mem = cg_v1_open_opt(p, "memory"), pids = cg_v1_open_opt(p, "pids");
	int blk = cg_v1_open_opt(p, "blkio"), huge = cg_v1_open_opt(p, "hugetlb");
	buf b = BUF_INIT;
	uint64_t v;

	jw_obj_begin(w);

	/* cpu: cpuacct.stat counts USER_HZ ticks */
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t user = 0, sys = 0;
	if (acct >= 0 && cg_read(acct, "cpuacct.stat", &b, 4096, NULL) == 0) {
		if (cg_kv_u64(b.data, "user", &v))
			user = v * (1000000000ULL / (uint64_t)(hz > 0 ? hz : 100));
		if (cg_kv_u64(b.data, "system", &v))
			sys = v * (1000000000ULL / (uint64_t)(hz > 0 ? hz : 100));
	}
	buf_reset(&b);
	jw_key(w, "cpu");
	jw_obj_begin(w);
	jw_key(w, "usage");
	jw_obj_begin(w);
	cg_jw_u64(w, "total", cg_u64_or0(acct, "cpuacct.usage"));
	jw_key(w, "percpu");
	jw_arr_begin(w);
	if (acct >= 0 && cg_read(acct, "cpuacct.usage_percpu", &b, 1u << 16, NULL) == 0) {
		char *s = b.data, *end;
		for (;;) {
			unsigned long long x = strtoull(s, &end, 10);
			if (end == s)
				break;
			jw_uint(w, x);
			s = end;
		}
	}
	buf_reset(&b);
	jw_arr_end(w);
	cg_jw_u64(w, "kernel", sys);
	cg_jw_u64(w, "user", user);
	jw_obj_end(w);
	jw_key(w, "throttling");
	jw_obj_begin(w);
	if (cpu >= 0)
		cg_read(cpu, "cpu.stat", &b, 4096, NULL);
	cg_jw_u64(w, "periods", b.data && cg_kv_u64(b.data, "nr_periods", &v) ? v : 0);
	cg_jw_u64(w, "throttledPeriods", b.data && cg_kv_u64(b.data, "nr_throttled", &v) ? v : 0);
	cg_jw_u64(w, "throttledTime", b.data && cg_kv_u64(b.data, "throttled_time", &v) ? v : 0);
	buf_reset(&b);
	jw_obj_end(w);
	jw_obj_end(w);

	/* memory */
	uint64_t cache;
	jw_key(w, "memory");
	jw_obj_begin(w);
	cg_v1_mem_entry(w, "usage", mem, "memory");
	cg_v1_mem_entry(w, "swap", mem, "memory.memsw");
	cg_v1_mem_entry(w, "kernel", mem, "memory.kmem");
	cg_v1_mem_entry(w, "kernelTCP", mem, "memory.kmem.tcp");
	cg_stat_raw(w, mem, "memory.stat", "cache", &cache);
	cg_jw_u64(w, "cache", cache);
	jw_obj_end(w);

	/* pids: "max" is reported as 0, as runc does */
	jw_key(w, "pids");
	jw_obj_begin(w);
	cg_jw_u64(w, "current", cg_u64_or0(pids, "pids.current"));
	v = cg_u64_or0(pids, "pids.max");
	cg_jw_u64(w, "limit", v == UINT64_MAX ? 0 : v);
	jw_obj_end(w);

	jw_key(w, "blkio");
	jw_obj_begin(w);
	if (blk >= 0) {
		cg_v1_blkio_list(w, "ioServiceBytesRecursive", blk,
				 "blkio.throttle.io_service_bytes_recursive");
		cg_v1_blkio_list(w, "ioServicedRecursive", blk,
				 "blkio.throttle.io_serviced_recursive");
	}
	jw_obj_end(w);

	jw_key(w, "hugetlb");
	jw_obj_begin(w);
	if (huge >= 0) {
		char sizes[8][32];
		size_t n = cg_hugepage_sizes(sizes, 8);
		for (size_t i = 0; i < n; i++) {
			char f[96];
			jw_key(w, sizes[i]);
			jw_obj_begin(w);
			snprintf(f, sizeof(f), "hugetlb.%s.usage_in_bytes", sizes[i]);
			cg_jw_u64(w, "usage", cg_u64_or0(huge, f));
			snprintf(f, sizeof(f), "hugetlb.%s.max_usage_in_bytes", sizes[i]);
			cg_jw_u64(w, "max", cg_u64_or0(huge, f));
			snprintf(f, sizeof(f), "hugetlb.%s.failcnt", sizes[i]);
			cg_jw_u64(w, "failcnt", cg_u64_or0(huge, f));
			jw_obj_end(w);
		}
	}
	jw_obj_end(w);
	jw_obj_end(w);

	buf_free(&b);
	int fds[] = { cpu, acct, mem, pids, blk, huge };
	for (size_t i = 0; i < ARRAY_LEN(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return w->failed ? jw_finish(w, err) : 0;
}
