/*
 * top.c — `top`: the processes of a running container, read from /proc
 * (no ps binary needed in the container), with podman's format
 * descriptors: user, group, ruser, rgroup, pid, ppid, pgid, pcpu (%cpu),
 * etime (elapsed), time, tty, nice, vsz, rss, stat (state), comm, args,
 * capeff, seccomp.  Users and groups are named by the container's own
 * /etc/passwd and /etc/group.
 */
#include "container.h"
#include "userdb.h"
#include <time.h>

#define TOP_MAX_FIELDS 32

typedef struct top_proc {
	pid_t pid, ppid, pgid;
	char state;
	char comm[64];
	int nice;
	int tty;                           /* tty_nr */
	unsigned long long utime, stime;   /* clock ticks */
	unsigned long long start;          /* ticks after boot */
	unsigned long long vsize, rss;     /* bytes, pages */
	uint32_t uid, gid, euid, egid;
	char capeff[32], seccomp[16];
} top_proc;

static const struct {
	const char *name, *header;
} top_descs[] = {
	{ "user", "USER" }, { "group", "GROUP" }, { "ruser", "RUSER" }, { "rgroup", "RGROUP" },
	{ "pid", "PID" }, { "ppid", "PPID" }, { "pgid", "PGID" }, { "pcpu", "%CPU" },
	{ "%cpu", "%CPU" }, { "etime", "ELAPSED" }, { "elapsed", "ELAPSED" }, { "time", "TIME" },
	{ "tty", "TTY" }, { "nice", "NI" }, { "vsz", "VSZ" }, { "rss", "RSS" }, { "stat", "STATE" },
	{ "state", "STATE" }, { "comm", "COMMAND" }, { "args", "COMMAND" },
	{ "capeff", "EFFECTIVE CAPS" }, { "seccomp", "SECCOMP" },
};

static int top_desc(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(top_descs); i++)
		if (strcmp(top_descs[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int top_read(int procfd, pid_t pid, top_proc *p)
{
	char path[64], b[1024];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	snprintf(path, sizeof(path), "%d/stat", (int)pid);
	int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	b[n] = '\0';
	/* comm is in parentheses and may hold anything: the last ')' ends it */
	char *open = strchr(b, '('), *close_ = strrchr(b, ')');
	if (!open || !close_ || close_ < open)
		return -1;
	snprintf(p->comm, sizeof(p->comm), "%.*s", (int)(close_ - open - 1), open + 1);
	long long f[52];
	int k = 0;
	for (char *s = close_ + 2, *save = NULL, *t = strtok_r(s, " ", &save); t && k < 52;
	     t = strtok_r(NULL, " ", &save), k++) {
		if (k == 0) {
			p->state = *t;
			f[k] = 0;
		} else {
			f[k] = strtoll(t, NULL, 10);
		}
	}
	if (k < 22)
		return -1;
	/* fields from 3 (state) on: ppid 4, pgrp 5, tty 7, utime 14, stime 15,
	 * nice 19, starttime 22, vsize 23, rss 24 */
	p->ppid = (pid_t)f[1];
	p->pgid = (pid_t)f[2];
	p->tty = (int)f[4];
	p->utime = (unsigned long long)f[11];
	p->stime = (unsigned long long)f[12];
	p->nice = (int)f[16];
	p->start = (unsigned long long)f[19];
	p->vsize = (unsigned long long)f[20];
	p->rss = (unsigned long long)f[21];

	snprintf(path, sizeof(path), "%d/status", (int)pid);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char st[4096];
		n = read(fd, st, sizeof(st) - 1);
		close(fd);
		st[n > 0 ? n : 0] = '\0';
		char *l;
		unsigned u[4];
		if ((l = strstr(st, "\nUid:")) && sscanf(l + 5, "%u %u", &u[0], &u[1]) == 2) {
			p->uid = u[0];
			p->euid = u[1];
		}
		if ((l = strstr(st, "\nGid:")) && sscanf(l + 5, "%u %u", &u[2], &u[3]) == 2) {
			p->gid = u[2];
			p->egid = u[3];
		}
		if ((l = strstr(st, "\nCapEff:")))
			sscanf(l + 8, "%31s", p->capeff);
		if ((l = strstr(st, "\nSeccomp:"))) {
			int mode = atoi(l + 9);
			snprintf(p->seccomp, sizeof(p->seccomp), "%s",
				 mode == 2 ? "filter" : mode == 1 ? "strict" : "disabled");
		}
	}
	return 0;
}

/* [[hh:]mm:]ss as ps prints elapsed times, or hh:mm:ss for cpu time. */
static void top_duration(unsigned long long secs, bool cpu, char *out, size_t n)
{
	unsigned long long d = secs / 86400, h = secs / 3600 % 24, m = secs / 60 % 60, s = secs % 60;
	if (cpu)
		snprintf(out, n, "%02llu:%02llu:%02llu", secs / 3600, m, s);
	else if (d)
		snprintf(out, n, "%llu-%02llu:%02llu:%02llu", d, h, m, s);
	else if (h)
		snprintf(out, n, "%02llu:%02llu:%02llu", h, m, s);
	else
		snprintf(out, n, "%02llu:%02llu", m, s);
}

static void top_field(json_w *w, int procfd, int rootfd, const top_proc *p, int desc,
		      double uptime, long hz)
{
	const char *name = top_descs[desc].name;
	char v[4096];
	double elapsed = uptime - (double)p->start / (double)hz;
	if (elapsed < 0)
		elapsed = 0;
	if (strcmp(name, "user") == 0 || strcmp(name, "ruser") == 0)
		userdb_name_in(rootfd, name[0] == 'u' ? p->euid : p->uid, false, v, sizeof(v));
	else if (strcmp(name, "group") == 0 || strcmp(name, "rgroup") == 0)
		userdb_name_in(rootfd, name[0] == 'g' ? p->egid : p->gid, true, v, sizeof(v));
	else if (strcmp(name, "pid") == 0)
		snprintf(v, sizeof(v), "%d", (int)p->pid);
	else if (strcmp(name, "ppid") == 0)
		snprintf(v, sizeof(v), "%d", (int)p->ppid);
	else if (strcmp(name, "pgid") == 0)
		snprintf(v, sizeof(v), "%d", (int)p->pgid);
	else if (strcmp(name, "pcpu") == 0 || strcmp(name, "%cpu") == 0)
		snprintf(v, sizeof(v), "%.3f", elapsed > 0 ?
			 100.0 * (double)(p->utime + p->stime) / (double)hz / elapsed : 0.0);
	else if (strcmp(name, "etime") == 0 || strcmp(name, "elapsed") == 0)
		top_duration((unsigned long long)elapsed, false, v, sizeof(v));
	else if (strcmp(name, "time") == 0)
		top_duration((p->utime + p->stime) / (unsigned long long)hz, true, v, sizeof(v));
	else if (strcmp(name, "tty") == 0) {
		unsigned major = ((unsigned)p->tty >> 8) & 0xfff, minor = ((unsigned)p->tty & 0xff) |
			(((unsigned)p->tty >> 12) & 0xfff00);
		if (!p->tty)
			snprintf(v, sizeof(v), "?");
		else if (major == 136)
			snprintf(v, sizeof(v), "pts/%u", minor);
		else
			snprintf(v, sizeof(v), "%u:%u", major, minor);
	} else if (strcmp(name, "nice") == 0)
		snprintf(v, sizeof(v), "%d", p->nice);
	else if (strcmp(name, "vsz") == 0)
		snprintf(v, sizeof(v), "%llu", p->vsize / 1024);
	else if (strcmp(name, "rss") == 0)
		snprintf(v, sizeof(v), "%llu", p->rss * (unsigned long long)sysconf(_SC_PAGESIZE) / 1024);
	else if (strcmp(name, "stat") == 0 || strcmp(name, "state") == 0)
		snprintf(v, sizeof(v), "%c", p->state);
	else if (strcmp(name, "comm") == 0)
		snprintf(v, sizeof(v), "%s", p->comm);
	else if (strcmp(name, "capeff") == 0)
		snprintf(v, sizeof(v), "%s", p->capeff);
	else if (strcmp(name, "seccomp") == 0)
		snprintf(v, sizeof(v), "%s", p->seccomp);
	else {
		/* args: the command line, NULs as spaces; the comm in brackets without one */
		char path[64];
		snprintf(path, sizeof(path), "%d/cmdline", (int)p->pid);
		int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, v, sizeof(v) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n <= 0) {
			snprintf(v, sizeof(v), "[%s]", p->comm);
		} else {
			while (n > 0 && v[n - 1] == '\0')
				n--;
			for (ssize_t i = 0; i < n; i++)
				if (v[i] == '\0')
					v[i] = ' ';
			v[n] = '\0';
		}
	}
	jw_str(w, v);
}

char *cpod_container_top(cpod_engine *e, const char *ctr, const char *const *descriptors,
			 cpod_err *err)
{
	static const char *const defaults[] = { "user", "pid", "ppid", "pcpu", "etime", "tty", "time",
						"args", NULL };
	int descs[TOP_MAX_FIELDS];
	size_t nd = 0;
	ctr_record r;
	pid_t *pids = NULL;
	size_t np = 0;
	char *out = NULL;
	int rootfd = -1, procfd = -1;

	if (!descriptors || !descriptors[0])
		descriptors = defaults;
	for (size_t i = 0; descriptors[i]; i++) {
		/* "pid,comm" and "pid comm" alike */
		char tmp[256];
		snprintf(tmp, sizeof(tmp), "%s", descriptors[i]);
		char *save = NULL;
		for (char *t = strtok_r(tmp, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
			int d = top_desc(t);
			if (d < 0)
				return err_set(err, CPOD_E_INVALID,
					       "top: unknown descriptor \"%s\" (user, group, pid, ppid, pgid, "
					       "pcpu, etime, time, tty, nice, vsz, rss, stat, comm, args, "
					       "capeff, seccomp...)", t), NULL;
			if (nd == TOP_MAX_FIELDS)
				return err_set(err, CPOD_E_LIMIT, "top: too many descriptors"), NULL;
			descs[nd++] = d;
		}
	}
	if (ctr_find(e, ctr, &r, err) < 0)
		return NULL;
	if (!ctr_running(&r)) {
		err_set(err, CPOD_E_STATE, "top: container %s is not running", r.name);
		goto out;
	}
	char root[64];
	snprintf(root, sizeof(root), "/proc/%d/root", (int)r.pid);
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0 || procfd < 0 || !ctr_running(&r)) {
		err_sys(err, "top: open the container's root");
		goto out;
	}
	if (cpod_runtime_pids(e->rt, r.id, &pids, &np, err) < 0)
		goto out;
	double uptime = 0;
	FILE *f = fopen("/proc/uptime", "re");
	if (f) {
		if (fscanf(f, "%lf", &uptime) != 1)
			uptime = 0;
		fclose(f);
	}
	long hz = sysconf(_SC_CLK_TCK);
	buf b = BUF_INIT;
	json_w w;
	jw_init(&w, &b, NULL);
	jw_arr_begin(&w);
	jw_arr_begin(&w);
	for (size_t i = 0; i < nd; i++)
		jw_str(&w, top_descs[descs[i]].header);
	jw_arr_end(&w);
	for (size_t i = 0; i < np; i++) {
		top_proc p;
		if (top_read(procfd, pids[i], &p) < 0)
			continue;  /* gone meanwhile */
		jw_arr_begin(&w);
		for (size_t k = 0; k < nd; k++)
			top_field(&w, procfd, rootfd, &p, descs[k], uptime, hz > 0 ? hz : 100);
		jw_arr_end(&w);
	}
	jw_arr_end(&w);
	if (jw_finish(&w, err) < 0)
		buf_free(&b);
	else
		out = buf_take(&b, err);
out:
	if (rootfd >= 0)
		close(rootfd);
	if (procfd >= 0)
		close(procfd);
	free(pids);
	ctr_record_free(&r);
	return out;
}
