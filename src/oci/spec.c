/*
 * spec.c — parsing and validating config.json (see spec.h).
 *
 * Each parse_* function takes the JSON value, the struct to fill and a
 * "where" string used as the prefix of errors, so a message always names
 * the field: "mounts[2].options[0]: unknown propagation ...".
 */
#include "spec.h"
#include "caps.h"
#include "../base/fs.h"
#include <sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>

/* Formats the "where" of an error into where_buf (a local of the caller). */
#define W(...) spec_where(where_buf, sizeof(where_buf), __VA_ARGS__)
PRINTF_LIKE(3, 4) static const char *spec_where(char *b, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, n, fmt, ap);
	va_end(ap);
	return b;
}

CPOD_INTERNAL bool oci_valid_id(const char *id)
{
	size_t n = 0;
	if (!id || !*id || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return false;
	for (const char *p = id; *p; p++, n++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '+' || c == '-' || c == '.'))
			return false;
	}
	return n <= 1024;
}

/* ---------------------------------------------------------------- tables */

static const struct {
	const char *spec;
	const char *proc;
	int flag;
} ns_table[NS_TYPES] = {
	[NS_USER] = { "user", "user", CLONE_NEWUSER },
	[NS_MOUNT] = { "mount", "mnt", CLONE_NEWNS },
	[NS_PID] = { "pid", "pid", CLONE_NEWPID },
	[NS_NET] = { "network", "net", CLONE_NEWNET },
	[NS_UTS] = { "uts", "uts", CLONE_NEWUTS },
	[NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },
	[NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP },
	[NS_TIME] = { "time", "time", 0x00000080 /* CLONE_NEWTIME */ },
};

CPOD_INTERNAL const char *oci_ns_name(enum oci_ns_type t) { return ns_table[t].spec; }
CPOD_INTERNAL const char *oci_ns_proc_name(enum oci_ns_type t) { return ns_table[t].proc; }
CPOD_INTERNAL int oci_ns_clone_flag(enum oci_ns_type t) { return ns_table[t].flag; }

static const struct {
	const char *name;
	int resource;
} rlimit_table[] = {
	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },
	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_STACK", RLIMIT_STACK },
};

CPOD_INTERNAL int oci_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(rlimit_table); i++)
		if (strcmp(rlimit_table[i].name, name) == 0)
			return rlimit_table[i].resource;
	return -1;
}

/* Mount options: what each sets or clears. */
enum { MO_SET, MO_CLEAR, MO_PROPAGATION, MO_ATTR_SET, MO_ATTR_CLR, MO_SPECIAL };
static const struct {
	const char *name;
	int kind;
	unsigned long value;
} mount_option_table[] = {
	{ "ro", MO_SET, MS_RDONLY },
	{ "rw", MO_CLEAR, MS_RDONLY },
	{ "suid", MO_CLEAR, MS_NOSUID },
	{ "nosuid", MO_SET, MS_NOSUID },
	{ "dev", MO_CLEAR, MS_NODEV },
	{ "nodev", MO_SET, MS_NODEV },
	{ "exec", MO_CLEAR, MS_NOEXEC },
	{ "noexec", MO_SET, MS_NOEXEC },
	{ "sync", MO_SET, MS_SYNCHRONOUS },
	{ "async", MO_CLEAR, MS_SYNCHRONOUS },
	{ "dirsync", MO_SET, MS_DIRSYNC },
	{ "remount", MO_SET, MS_REMOUNT },
	{ "mand", MO_SET, MS_MANDLOCK },
	{ "nomand", MO_CLEAR, MS_MANDLOCK },
	{ "atime", MO_CLEAR, MS_NOATIME },
	{ "noatime", MO_SET, MS_NOATIME },
	{ "diratime", MO_CLEAR, MS_NODIRATIME },
	{ "nodiratime", MO_SET, MS_NODIRATIME },
	{ "relatime", MO_SET, MS_RELATIME },
	{ "norelatime", MO_CLEAR, MS_RELATIME },
	{ "strictatime", MO_SET, MS_STRICTATIME },
	{ "nostrictatime", MO_CLEAR, MS_STRICTATIME },
	{ "nosymfollow", MO_SET, MS_NOSYMFOLLOW },
	{ "symfollow", MO_CLEAR, MS_NOSYMFOLLOW },
	{ "silent", MO_SET, MS_SILENT },
	{ "loud", MO_CLEAR, MS_SILENT },
	{ "bind", MO_SPECIAL, 0 },
	{ "rbind", MO_SPECIAL, 1 },
	{ "tmpcopyup", MO_SPECIAL, 2 },
	{ "idmap", MO_SPECIAL, 3 },
	{ "ridmap", MO_SPECIAL, 4 },
	{ "private", MO_PROPAGATION, MS_PRIVATE },
	{ "rprivate", MO_PROPAGATION, MS_PRIVATE | MS_REC },
	{ "shared", MO_PROPAGATION, MS_SHARED },
	{ "rshared", MO_PROPAGATION, MS_SHARED | MS_REC },
	{ "slave", MO_PROPAGATION, MS_SLAVE },
	{ "rslave", MO_PROPAGATION, MS_SLAVE | MS_REC },
	{ "unbindable", MO_PROPAGATION, MS_UNBINDABLE },
	{ "runbindable", MO_PROPAGATION, MS_UNBINDABLE | MS_REC },
	/* recursive attributes, applied with mount_setattr(AT_RECURSIVE) */
	{ "rro", MO_ATTR_SET, MOUNT_ATTR_RDONLY },
	{ "rrw", MO_ATTR_CLR, MOUNT_ATTR_RDONLY },
	{ "rnosuid", MO_ATTR_SET, MOUNT_ATTR_NOSUID },
	{ "rsuid", MO_ATTR_CLR, MOUNT_ATTR_NOSUID },
	{ "rnodev", MO_ATTR_SET, MOUNT_ATTR_NODEV },
	{ "rdev", MO_ATTR_CLR, MOUNT_ATTR_NODEV },
	{ "rnoexec", MO_ATTR_SET, MOUNT_ATTR_NOEXEC },
	{ "rexec", MO_ATTR_CLR, MOUNT_ATTR_NOEXEC },
	{ "rnodiratime", MO_ATTR_SET, MOUNT_ATTR_NODIRATIME },
	{ "rdiratime", MO_ATTR_CLR, MOUNT_ATTR_NODIRATIME },
	{ "rrelatime", MO_ATTR_SET, MOUNT_ATTR_RELATIME },
	{ "rnorelatime", MO_ATTR_CLR, MOUNT_ATTR_RELATIME },
	{ "rnoatime", MO_ATTR_SET, MOUNT_ATTR_NOATIME },
	{ "ratime", MO_ATTR_CLR, MOUNT_ATTR_NOATIME },
	{ "rstrictatime", MO_ATTR_SET, MOUNT_ATTR_STRICTATIME },
	{ "rnostrictatime", MO_ATTR_CLR, MOUNT_ATTR_STRICTATIME },
	{ "rnosymfollow", MO_ATTR_SET, MOUNT_ATTR_NOSYMFOLLOW },
	{ "rsymfollow", MO_ATTR_CLR, MOUNT_ATTR_NOSYMFOLLOW },
};

CPOD_INTERNAL int oci_mount_options_parse(oci_mount *m, mem_pool *pool, const char *where,
					  cpod_err *err)
{
	buf data = BUF_INIT;

	for (size_t i = 0; i < m->n_options; i++) {
		const char *o = m->options[i];
		size_t k;
		for (k = 0; k < ARRAY_LEN(mount_option_table); k++)
			if (strcmp(mount_option_table[k].name, o) == 0)
				break;
		if (k == ARRAY_LEN(mount_option_table)) {
			/* anything else is for the file system: "mode=755", "size=64k" */
			if (data.len && buf_putc(&data, ',', err) < 0)
				goto fail;
			if (buf_puts(&data, o, err) < 0)
				goto fail;
			continue;
		}
		unsigned long v = mount_option_table[k].value;
		switch (mount_option_table[k].kind) {
		case MO_SET:
			m->flags |= v;
			m->clear_flags &= ~v;
			break;
		case MO_CLEAR:
			m->flags &= ~v;
			m->clear_flags |= v;
			break;
		case MO_ATTR_SET:
			m->attr_set |= v;
			m->attr_clr &= ~(uint64_t)v;
			break;
		case MO_ATTR_CLR:
			m->attr_clr |= v;
			m->attr_set &= ~(uint64_t)v;
			break;
		case MO_PROPAGATION:
			if (m->n_propagation >= ARRAY_LEN(m->propagation)) {
				err_set(err, CPOD_E_INVALID, "%s.options: too many propagation flags", where);
				goto fail;
			}
			m->propagation[m->n_propagation++] = v;
			break;
		case MO_SPECIAL:
			if (v == 0 || v == 1) {
				m->bind = true;
				m->recursive = m->recursive || v == 1;
			} else if (v == 2) {
				m->tmpcopyup = true;
			} else {
				m->idmap = true;
				m->idmap_recursive = v == 4;
			}
			break;
		}
	}
	if (m->type && strcmp(m->type, "bind") == 0)
		m->bind = true;
	if (data.len) {
		m->data = data.data;
		data.data = NULL;
		if (pool_adopt(pool, m->data, err) < 0)
			return -1;
	}
	buf_free(&data);
	return 0;
fail:
	buf_free(&data);
	return err_prefix(err, "%s", where);
}

/* ---------------------------------------------------------------- helpers */

static int need_abs(const char *path, const char *where, cpod_err *err)
{
	if (!path || path[0] != '/')
		return err_set(err, CPOD_E_INVALID, "%s: must be an absolute path", where);
	return 0;
}

static bool has_dotdot(const char *path)
{
	for (const char *p = path; (p = strstr(p, "..")); p += 2) {
		bool start = p == path || p[-1] == '/';
		bool end = p[2] == '\0' || p[2] == '/';
		if (start && end)
			return true;
	}
	return false;
}

static int parse_u32(const json_value *obj, const char *key, uint32_t *out, bool required,
		     const char *where, cpod_err *err)
{
	uint64_t v;
	const json_value *j = json_get(obj, key);
	if (!j) {
		if (required)
			return err_set(err, CPOD_E_INVALID, "%s.%s: missing", where, key);
		return 0;
	}
	if (!json_uint64(j, &v) || v > UINT32_MAX)
		return err_set(err, CPOD_E_INVALID, "%s.%s: must be an integer from 0 to %u", where,
			       key, UINT32_MAX);
	*out = (uint32_t)v;
	return 0;
}

static int opt_i64_get(const json_value *obj, const char *key, opt_i64 *out, const char *where,
		       cpod_err *err)
{
	const json_value *j = json_get(obj, key);
	if (!j || j->type == JSON_NULL)
		return 0;
	if (json_opt_i64(obj, key, &out->v, where, err) < 0)
		return -1;
	out->set = true;
	return 0;
}

static int opt_u64_get(const json_value *obj, const char *key, opt_u64 *out, const char *where,
		       cpod_err *err)
{
	const json_value *j = json_get(obj, key);
	if (!j || j->type == JSON_NULL)
		return 0;
	if (json_opt_u64(obj, key, &out->v, where, err) < 0)
		return -1;
	out->set = true;
	return 0;
}

/* An array of strings into a pool-owned NULL-terminated vector. */
static int strv_get(const json_value *obj, const char *key, const char ***out, size_t *n,
		    mem_pool *pool, const char *where, cpod_err *err)
{
	if (json_opt_strv(obj, key, out, n, where, err) < 0)
		return -1;
	if (*out && pool_adopt(pool, (void *)*out, err) < 0) {
		*out = NULL;
		return -1;
	}
	return 0;
}

static int idmaps_parse(const json_value *arr, oci_idmap **out, size_t *n, mem_pool *pool,
			const char *where, cpod_err *err)
{
	char where_buf[128];
	*n = json_len(arr);
	if (!*n)
		return 0;
	if (*n > 340)
		return err_set(err, CPOD_E_LIMIT, "%s: too many mappings", where);
	*out = pool_calloc(pool, *n, sizeof(**out), err);
	if (!*out)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		const json_value *m = json_at(arr, i);
		const char *w = W("%s[%zu]", where, i);
		if (!json_is(m, JSON_OBJECT))
			return err_set(err, CPOD_E_INVALID, "%s: must be an object", w);
		if (parse_u32(m, "containerID", &(*out)[i].container_id, true, w, err) < 0 ||
		    parse_u32(m, "hostID", &(*out)[i].host_id, true, w, err) < 0 ||
		    parse_u32(m, "size", &(*out)[i].size, true, w, err) < 0)
			return -1;
		if ((*out)[i].size == 0)
			return err_set(err, CPOD_E_INVALID, "%s.size: must not be 0", w);
	}
	return 0;
}

static int kv_object_parse(const json_value *obj, oci_kv **out, size_t *n, mem_pool *pool,
			   const char *where, cpod_err *err)
{
	*n = json_len(obj);
	if (!*n)
		return 0;
	*out = pool_calloc(pool, *n, sizeof(**out), err);
	if (!*out)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		const json_member *m = &obj->u.obj.members[i];
		const char *v = json_string(m->value);
		if (!v || strlen(m->key) != m->key_len)
			return err_set(err, CPOD_E_INVALID, "%s.%s: must be a string", where, m->key);
		(*out)[i].key = m->key;
		(*out)[i].value = v;
	}
	return 0;
}

/* ---------------------------------------------------------------- process */

static int caps_set_parse(const json_value *caps, const char *key, uint64_t *mask,
			  const char *where, cpod_err *err)
{
	const json_value *arr;
	char where_buf[128];

	if (json_opt_arr(caps, key, &arr, where, err) < 0)
		return -1;
	for (size_t i = 0; i < json_len(arr); i++) {
		const char *name = json_string(json_at(arr, i));
		if (!name)
			return err_set(err, CPOD_E_INVALID, "%s: must be a capability name",
				       W("%s.%s[%zu]", where, key, i));
		int cap = caps_from_name(name);
		if (cap < 0) {
			log_warn("%s.%s: unknown capability %s, ignored", where, key, name);
			continue;
		}
		if (cap > caps_last())
			continue; /* known, but not to this kernel */
		*mask |= UINT64_C(1) << cap;
	}
	return 0;
}

CPOD_INTERNAL int oci_process_parse(const json_value *v, oci_process *p, mem_pool *pool,
				    const char *where, cpod_err *err)
{
	char where_buf[160];
	const json_value *user, *caps, *rlimits, *cs, *io;

	memset(p, 0, sizeof(*p));
	if (!json_is(v, JSON_OBJECT))
		return err_set(err, CPOD_E_INVALID, "%s: must be an object", where);
	if (json_opt_bool(v, "terminal", &p->terminal, where, err) < 0)
		return -1;
	if (json_opt_obj(v, "consoleSize", &cs, where, err) < 0)
		return -1;
	if (cs) {
		uint32_t h = 0, w = 0;
		if (parse_u32(cs, "height", &h, false, W("%s.consoleSize", where), err) < 0 ||
		    parse_u32(cs, "width", &w, false, W("%s.consoleSize", where), err) < 0)
			return -1;
		p->console_height = h;
		p->console_width = w;
	}
	if (json_opt_obj(v, "user", &user, where, err) < 0)
		return -1;
	if (user) {
		const char *uw = W("%s.user", where);
		char uwhere[160];
		snprintf(uwhere, sizeof(uwhere), "%s", uw);
		const json_value *gids;
		if (parse_u32(user, "uid", &p->uid, false, uwhere, err) < 0 ||
		    parse_u32(user, "gid", &p->gid, false, uwhere, err) < 0 ||
		    opt_u64_get(user, "umask", &p->umask, uwhere, err) < 0 ||
		    json_opt_arr(user, "additionalGids", &gids, uwhere, err) < 0)
			return -1;
		if (p->umask.set && p->umask.v > 0777)
			return err_set(err, CPOD_E_INVALID, "%s.umask: must be at most 0777", uwhere);
		if (json_len(gids)) {
			size_t n = json_len(gids);
			if (n > 65536)
				return err_set(err, CPOD_E_LIMIT, "%s.additionalGids: too many", uwhere);
			uint32_t *g = pool_calloc(pool, n, sizeof(*g), err);
			if (!g)
				return -1;
			for (size_t i = 0; i < n; i++) {
				uint64_t x;
				if (!json_uint64(json_at(gids, i), &x) || x > UINT32_MAX)
					return err_set(err, CPOD_E_INVALID,
						       "%s.additionalGids[%zu]: must be a gid", uwhere, i);
				g[i] = (uint32_t)x;
			}
			p->additional_gids = g;
			p->n_additional_gids = n;
		}
	}
	if (strv_get(v, "args", &p->args, &p->n_args, pool, where, err) < 0 ||
	    strv_get(v, "env", &p->env, &p->n_env, pool, where, err) < 0 ||
	    json_opt_str(v, "cwd", &p->cwd, where, err) < 0 ||
	    json_opt_bool(v, "noNewPrivileges", &p->no_new_privileges, where, err) < 0 ||
	    json_opt_str(v, "apparmorProfile", &p->apparmor_profile, where, err) < 0 ||
	    json_opt_str(v, "selinuxLabel", &p->selinux_label, where, err) < 0 ||
	    opt_i64_get(v, "oomScoreAdj", &p->oom_score_adj, where, err) < 0)
		return -1;
	if (p->cwd && p->cwd[0] != '/')
		return err_set(err, CPOD_E_INVALID, "%s.cwd: must be an absolute path", where);
	if (p->oom_score_adj.set && (p->oom_score_adj.v < -1000 || p->oom_score_adj.v > 1000))
		return err_set(err, CPOD_E_INVALID, "%s.oomScoreAdj: must be from -1000 to 1000", where);

	if (json_opt_obj(v, "capabilities", &caps, where, err) < 0)
		return -1;
	if (caps) {
		char cw[160];
		snprintf(cw, sizeof(cw), "%s.capabilities", where);
		p->has_caps = true;
		if (caps_set_parse(caps, "bounding", &p->caps.bounding, cw, err) < 0 ||
		    caps_set_parse(caps, "effective", &p->caps.effective, cw, err) < 0 ||
		    caps_set_parse(caps, "inheritable", &p->caps.inheritable, cw, err) < 0 ||
		    caps_set_parse(caps, "permitted", &p->caps.permitted, cw, err) < 0 ||
		    caps_set_parse(caps, "ambient", &p->caps.ambient, cw, err) < 0)
			return -1;
	}

	if (json_opt_arr(v, "rlimits", &rlimits, where, err) < 0)
		return -1;
	if (json_len(rlimits)) {
		p->n_rlimits = json_len(rlimits);
		if (p->n_rlimits > 64)
			return err_set(err, CPOD_E_LIMIT, "%s.rlimits: too many", where);
		p->rlimits = pool_calloc(pool, p->n_rlimits, sizeof(*p->rlimits), err);
		if (!p->rlimits)
			return -1;
		for (size_t i = 0; i < p->n_rlimits; i++) {
			const json_value *r = json_at(rlimits, i);
			char rw[160];
			const char *type = NULL;
			snprintf(rw, sizeof(rw), "%s.rlimits[%zu]", where, i);
			if (!json_is(r, JSON_OBJECT))
				return err_set(err, CPOD_E_INVALID, "%s: must be an object", rw);
			if (json_opt_str(r, "type", &type, rw, err) < 0)
				return -1;
			int res = type ? oci_rlimit_from_name(type) : -1;
			if (res < 0)
				return err_set(err, CPOD_E_INVALID, "%s.type: unknown rlimit \"%s\"", rw,
					       type ? type : "");
			for (size_t j = 0; j < i; j++)
				if (p->rlimits[j].resource == res)
					return err_set(err, CPOD_E_INVALID, "%s: %s given twice", rw, type);
			if (!json_uint64(json_get(r, "soft"), &p->rlimits[i].soft) ||
			    !json_uint64(json_get(r, "hard"), &p->rlimits[i].hard))
				return err_set(err, CPOD_E_INVALID, "%s: soft and hard must be integers", rw);
			if (p->rlimits[i].soft > p->rlimits[i].hard)
				return err_set(err, CPOD_E_INVALID, "%s: soft limit above the hard one", rw);
			p->rlimits[i].resource = res;
			p->rlimits[i].name = type;
		}
	}

	if (json_opt_obj(v, "ioPriority", &io, where, err) < 0)
		return -1;
	if (io) {
		const char *cls = NULL;
		int64_t prio = 0;
		if (json_opt_str(io, "class", &cls, W("%s.ioPriority", where), err) < 0 ||
		    json_opt_i64(io, "priority", &prio, W("%s.ioPriority", where), err) < 0)
			return -1;
		if (!cls)
			return err_set(err, CPOD_E_INVALID, "%s.ioPriority.class: missing", where);
		if (strcmp(cls, "IOPRIO_CLASS_RT") == 0)
			p->io_priority_class = 1;
		else if (strcmp(cls, "IOPRIO_CLASS_BE") == 0)
			p->io_priority_class = 2;
		else if (strcmp(cls, "IOPRIO_CLASS_IDLE") == 0)
			p->io_priority_class = 3;
		else
			return err_set(err, CPOD_E_INVALID, "%s.ioPriority.class: unknown class \"%s\"",
				       where, cls);
		if (prio < 0 || prio > 7)
			return err_set(err, CPOD_E_INVALID, "%s.ioPriority.priority: must be 0 to 7", where);
		p->has_io_priority = true;
		p->io_priority = (int)prio;
	}
	return 0;
}

/* ---------------------------------------------------------------- resources */

static int dev_number(const json_value *obj, const char *key, int64_t *out, const char *where,
		      cpod_err *err)
{
	*out = -1;
	const json_value *v = json_get(obj, key);
	if (!v || v->type == JSON_NULL)
		return 0;
	if (!json_int64(v, out) || *out < -1 || *out > 0xFFFFFFFF)
		return err_set(err, CPOD_E_INVALID, "%s.%s: must be a device number", where, key);
	return 0;
}

static int blkio_devices_parse(const json_value *blk, const char *key, bool weights,
			       oci_blkio_device **out, size_t *n, mem_pool *pool, const char *where,
			       cpod_err *err)
{
	const json_value *arr;
	char where_buf[160];

	if (json_opt_arr(blk, key, &arr, where, err) < 0)
		return -1;
	*n = json_len(arr);
	if (!*n)
		return 0;
	if (*n > 4096)
		return err_set(err, CPOD_E_LIMIT, "%s.%s: too many devices", where, key);
	*out = pool_calloc(pool, *n, sizeof(**out), err);
	if (!*out)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		const json_value *d = json_at(arr, i);
		const char *w = W("%s.%s[%zu]", where, key, i);
		oci_blkio_device *o = &(*out)[i];
		if (!json_is(d, JSON_OBJECT))
			return err_set(err, CPOD_E_INVALID, "%s: must be an object", w);
		if (dev_number(d, "major", &o->major, w, err) < 0 ||
		    dev_number(d, "minor", &o->minor, w, err) < 0)
			return -1;
		if (o->major < 0 || o->minor < 0)
			return err_set(err, CPOD_E_INVALID, "%s: major and minor are required", w);
		if (weights) {
			if (opt_u64_get(d, "weight", &o->weight, w, err) < 0 ||
			    opt_u64_get(d, "leafWeight", &o->leaf_weight, w, err) < 0)
				return -1;
		} else if (json_opt_u64(d, "rate", &o->rate, w, err) < 0) {
			return -1;
		}
	}
	return 0;
}

CPOD_INTERNAL int oci_resources_parse(const json_value *v, oci_resources *r, mem_pool *pool,
				      const char *where, cpod_err *err)
{
	char where_buf[160];
	const json_value *o, *arr;

	memset(r, 0, sizeof(*r));
	if (!json_is(v, JSON_OBJECT))
		return err_set(err, CPOD_E_INVALID, "%s: must be an object", where);

	if (json_opt_arr(v, "devices", &arr, where, err) < 0)
		return -1;
	r->n_devices = json_len(arr);
	if (r->n_devices > 4096)
		return err_set(err, CPOD_E_LIMIT, "%s.devices: too many rules", where);
	if (r->n_devices) {
		r->devices = pool_calloc(pool, r->n_devices, sizeof(*r->devices), err);
		if (!r->devices)
			return -1;
	}
	for (size_t i = 0; i < r->n_devices; i++) {
		const json_value *d = json_at(arr, i);
		oci_device_rule *rule = &r->devices[i];
		const char *w = W("%s.devices[%zu]", where, i);
		const char *type = "a", *access = "rwm";
		char wcopy[160];
		snprintf(wcopy, sizeof(wcopy), "%s", w);
		if (!json_is(d, JSON_OBJECT))
			return err_set(err, CPOD_E_INVALID, "%s: must be an object", wcopy);
		if (!json_is(json_get(d, "allow"), JSON_BOOL))
			return err_set(err, CPOD_E_INVALID, "%s.allow: must be true or false", wcopy);
		rule->allow = json_get(d, "allow")->u.boolean;
		if (json_opt_str(d, "type", &type, wcopy, err) < 0 ||
		    json_opt_str(d, "access", &access, wcopy, err) < 0 ||
		    dev_number(d, "major", &rule->major, wcopy, err) < 0 ||
		    dev_number(d, "minor", &rule->minor, wcopy, err) < 0)
			return -1;
		if (strlen(type) != 1 || !strchr("acb", type[0]))
			return err_set(err, CPOD_E_INVALID, "%s.type: must be a, c or b", wcopy);
		rule->type = type[0];
		if (strlen(access) > 3 || strspn(access, "rwm") != strlen(access))
			return err_set(err, CPOD_E_INVALID, "%s.access: must be made of r, w and m", wcopy);
		snprintf(rule->access, sizeof(rule->access), "%s", access);
	}

	if (json_opt_obj(v, "memory", &o, where, err) < 0)
		return -1;
	if (o) {
		const char *w = W("%s.memory", where);
		char wc[160];
		snprintf(wc, sizeof(wc), "%s", w);
		if (opt_i64_get(o, "limit", &r->memory.limit, wc, err) < 0 ||
		    opt_i64_get(o, "reservation", &r->memory.reservation, wc, err) < 0 ||
		    opt_i64_get(o, "swap", &r->memory.swap, wc, err) < 0 ||
		    opt_i64_get(o, "kernel", &r->memory.kernel, wc, err) < 0 ||
		    opt_i64_get(o, "kernelTCP", &r->memory.kernel_tcp, wc, err) < 0 ||
		    opt_u64_get(o, "swappiness", &r->memory.swappiness, wc, err) < 0 ||
		    json_opt_bool(o, "disableOOMKiller", &r->memory.disable_oom_killer, wc, err) < 0 ||
		    json_opt_bool(o, "useHierarchy", &r->memory.use_hierarchy, wc, err) < 0 ||
		    json_opt_bool(o, "checkBeforeUpdate", &r->memory.check_before_update, wc, err) < 0)
			return -1;
		if (r->memory.swappiness.set && r->memory.swappiness.v > 100)
			return err_set(err, CPOD_E_INVALID, "%s.swappiness: must be 0 to 100", wc);
		if (r->memory.limit.set && r->memory.swap.set && r->memory.swap.v > 0 &&
		    r->memory.limit.v > 0 && r->memory.swap.v < r->memory.limit.v)
			return err_set(err, CPOD_E_INVALID,
				       "%s: swap (memory+swap) must not be below the limit", wc);
	}

	if (json_opt_obj(v, "cpu", &o, where, err) < 0)
		return -1;
	if (o) {
		char wc[160];
		snprintf(wc, sizeof(wc), "%s.cpu", where);
		if (opt_u64_get(o, "shares", &r->cpu.shares, wc, err) < 0 ||
		    opt_i64_get(o, "quota", &r->cpu.quota, wc, err) < 0 ||
		    opt_i64_get(o, "burst", &r->cpu.burst, wc, err) < 0 ||
		    opt_u64_get(o, "period", &r->cpu.period, wc, err) < 0 ||
		    opt_i64_get(o, "realtimeRuntime", &r->cpu.realtime_runtime, wc, err) < 0 ||
		    opt_u64_get(o, "realtimePeriod", &r->cpu.realtime_period, wc, err) < 0 ||
		    opt_i64_get(o, "idle", &r->cpu.idle, wc, err) < 0 ||
		    json_opt_str(o, "cpus", &r->cpu.cpus, wc, err) < 0 ||
		    json_opt_str(o, "mems", &r->cpu.mems, wc, err) < 0)
			return -1;
	}

	if (json_opt_obj(v, "pids", &o, where, err) < 0)
		return -1;
	if (o && opt_i64_get(o, "limit", &r->pids.limit, W("%s.pids", where), err) < 0)
		return -1;

	if (json_opt_obj(v, "blockIO", &o, where, err) < 0)
		return -1;
	if (o) {
		static const char *const keys[4] = { "throttleReadBpsDevice", "throttleWriteBpsDevice",
						     "throttleReadIOPSDevice", "throttleWriteIOPSDevice" };
		char wc[160];
		snprintf(wc, sizeof(wc), "%s.blockIO", where);
		if (opt_u64_get(o, "weight", &r->blkio.weight, wc, err) < 0 ||
		    opt_u64_get(o, "leafWeight", &r->blkio.leaf_weight, wc, err) < 0 ||
		    blkio_devices_parse(o, "weightDevice", true, &r->blkio.weight_device,
					&r->blkio.n_weight_device, pool, wc, err) < 0)
			return -1;
		for (int i = 0; i < 4; i++)
			if (blkio_devices_parse(o, keys[i], false, &r->blkio.throttle[i],
						&r->blkio.n_throttle[i], pool, wc, err) < 0)
				return -1;
	}

	if (json_opt_arr(v, "hugepageLimits", &arr, where, err) < 0)
		return -1;
	r->n_hugepages = json_len(arr);
	if (r->n_hugepages > 64)
		return err_set(err, CPOD_E_LIMIT, "%s.hugepageLimits: too many", where);
	if (r->n_hugepages) {
		r->hugepages = pool_calloc(pool, r->n_hugepages, sizeof(*r->hugepages), err);
		if (!r->hugepages)
			return -1;
	}
	for (size_t i = 0; i < r->n_hugepages; i++) {
		const json_value *h = json_at(arr, i);
		const char *w = W("%s.hugepageLimits[%zu]", where, i);
		char wc[160];
		snprintf(wc, sizeof(wc), "%s", w);
		if (!json_is(h, JSON_OBJECT))
			return err_set(err, CPOD_E_INVALID, "%s: must be an object", wc);
		if (json_opt_str(h, "pageSize", &r->hugepages[i].page_size, wc, err) < 0 ||
		    json_opt_u64(h, "limit", &r->hugepages[i].limit, wc, err) < 0)
			return -1;
		if (!r->hugepages[i].page_size || strchr(r->hugepages[i].page_size, '/') ||
		    strchr(r->hugepages[i].page_size, '.'))
			return err_set(err, CPOD_E_INVALID, "%s.pageSize: must be a size like 2MB", wc);
	}

	if (json_opt_obj(v, "network", &o, where, err) < 0)
		return -1;
	if (o) {
		char wc[160];
		snprintf(wc, sizeof(wc), "%s.network", where);
		if (opt_u64_get(o, "classID", &r->net_class_id, wc, err) < 0 ||
		    json_opt_arr(o, "priorities", &arr, wc, err) < 0)
			return -1;
		r->n_net_priorities = json_len(arr);
		if (r->n_net_priorities) {
			r->net_priorities = pool_calloc(pool, r->n_net_priorities, sizeof(oci_kv), err);
			if (!r->net_priorities)
				return -1;
		}
		for (size_t i = 0; i < r->n_net_priorities; i++) {
			const json_value *pr = json_at(arr, i);
			uint64_t prio = 0;
			const char *name = json_string(json_get(pr, "name"));
			if (!name || !json_uint64(json_get(pr, "priority"), &prio) ||
			    strchr(name, '/') || strchr(name, ' '))
				return err_set(err, CPOD_E_INVALID,
					       "%s.priorities[%zu]: needs a name and a priority", wc, i);
			char *val = pool_alloc(pool, 24, err);
			if (!val)
				return -1;
			snprintf(val, 24, "%" PRIu64, prio);
			r->net_priorities[i].key = name;
			r->net_priorities[i].value = val;
		}
	}

	if (json_opt_obj(v, "unified", &o, where, err) < 0)
		return -1;
	if (o) {
		if (kv_object_parse(o, &r->unified, &r->n_unified, pool, W("%s.unified", where), err) < 0)
			return -1;
		for (size_t i = 0; i < r->n_unified; i++) {
			const char *k = r->unified[i].key;
			if (!*k || strchr(k, '/') || k[0] == '.' || !strchr(k, '.'))
				return err_set(err, CPOD_E_INVALID, "%s.unified: bad cgroup file name \"%s\"",
					       where, k);
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- mounts, hooks, linux */

static int mounts_parse(const json_value *arr, oci_spec *s, cpod_err *err)
{
	char where_buf[64];

	s->n_mounts = json_len(arr);
	if (!s->n_mounts)
		return 0;
	if (s->n_mounts > 4096)
		return err_set(err, CPOD_E_LIMIT, "mounts: too many");
	s->mounts = pool_calloc(&s->pool, s->n_mounts, sizeof(*s->mounts), err);
	if (!s->mounts)
		return -1;
	for (size_t i = 0; i < s->n_mounts; i++) {
		const json_value *j = json_at(arr, i);
		oci_mount *m = &s->mounts[i];
		char w[64];
		snprintf(w, sizeof(w), "%s", W("mounts[%zu]", i));
		if (!json_is(j, JSON_OBJECT))
			return err_set(err, CPOD_E_INVALID, "%s: must be an object", w);
		if (json_opt_str(j, "destination", &m->destination, w, err) < 0 ||
		    json_opt_str(j, "type", &m->type, w, err) < 0 ||
		    json_opt_str(j, "source", &m->source, w, err) < 0 ||
		    strv_get(j, "options", &m->options, &m->n_options, &s->pool, w, err) < 0)
			return -1;
		if (!m->destination)
			return err_set(err, CPOD_E_INVALID, "%s.destination: missing", w);
		if (m->destination[0] != '/')
			return err_set(err, CPOD_E_INVALID,
				       "%s.destination: \"%s\" must be an absolute path", w,
				       m->destination);
		if (has_dotdot(m->destination))
			return err_set(err, CPOD_E_INVALID,
				       "%s.destination: \"%s\" must not contain \"..\"", w,
				       m->destination);
		if (m->type && !*m->type)
			m->type = NULL;
		if (oci_mount_options_parse(m, &s->pool, w, err) < 0)
			return -1;
		if (!m->bind && !m->type)
			return err_set(err, CPOD_E_INVALID, "%s: a mount needs a type or the bind option", w);
		if (m->bind && !m->source)
			return err_set(err, CPOD_E_INVALID, "%s.source: a bind mount needs a source", w);
	}
	return 0;
}

static int hooks_parse(const json_value *hooks, oci_spec *s, cpod_err *err)
{
	static const char *const names[HOOK_KINDS] = {
		"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"
	};
	char where_buf[96];

	for (int k = 0; k < HOOK_KINDS; k++) {
		const json_value *arr;
		if (json_opt_arr(hooks, names[k], &arr, "hooks", err) < 0)
			return -1;
		size_t n = json_len(arr);
		if (!n)
			continue;
		if (n > 256)
			return err_set(err, CPOD_E_LIMIT, "hooks.%s: too many", names[k]);
		oci_hook *list = pool_calloc(&s->pool, n, sizeof(*list), err);
		if (!list)
			return -1;
		for (size_t i = 0; i < n; i++) {
			const json_value *h = json_at(arr, i);
			char w[96];
			int64_t timeout = 0;
			snprintf(w, sizeof(w), "%s", W("hooks.%s[%zu]", names[k], i));
			if (!json_is(h, JSON_OBJECT))
				return err_set(err, CPOD_E_INVALID, "%s: must be an object", w);
			if (json_opt_str(h, "path", &list[i].path, w, err) < 0 ||
			    strv_get(h, "args", &list[i].args, NULL, &s->pool, w, err) < 0 ||
			    strv_get(h, "env", &list[i].env, NULL, &s->pool, w, err) < 0 ||
			    json_opt_i64(h, "timeout", &timeout, w, err) < 0)
				return -1;
			if (need_abs(list[i].path, W("%s.path", w), err) < 0)
				return -1;
			if (timeout < 0 || timeout > 86400 * 365)
				return err_set(err, CPOD_E_INVALID, "%s.timeout: must be positive", w);
			if (json_get(h, "timeout") && timeout == 0)
				return err_set(err, CPOD_E_INVALID, "%s.timeout: must be positive", w);
			list[i].timeout = (int)timeout;
		}
		s->hooks.list[k] = list;
		s->hooks.n[k] = n;
	}
	return 0;
}

static int namespaces_parse(const json_value *arr, oci_linux *l, cpod_err *err)
{
	for (size_t i = 0; i < json_len(arr); i++) {
		const json_value *n = json_at(arr, i);
		const char *type = NULL, *path = NULL;
		char w[64];
		snprintf(w, sizeof(w), "linux.namespaces[%zu]", i);
		if (!json_is(n, JSON_OBJECT))
			return err_set(err, CPOD_E_INVALID, "%s: must be an object", w);
		if (json_opt_str(n, "type", &type, w, err) < 0 ||
		    json_opt_str(n, "path", &path, w, err) < 0)
			return -1;
		if (!type)
			return err_set(err, CPOD_E_INVALID, "%s.type: missing", w);
		int t;
		for (t = 0; t < NS_TYPES; t++)
			if (strcmp(oci_ns_name(t), type) == 0)
				break;
		if (t == NS_TYPES)
			return err_set(err, CPOD_E_INVALID, "%s.type: unknown namespace type \"%s\"", w,
				       type);
		if (l->ns[t].enabled)
			return err_set(err, CPOD_E_INVALID, "%s: namespace \"%s\" listed twice", w, type);
		if (path && !*path)
			path = NULL;
		if (path && need_abs(path, "linux.namespaces[].path", err) < 0)
			return err_prefix(err, "%s", w);
		l->ns[t].enabled = true;
		l->ns[t].path = path;
	}
	return 0;
}

static int devices_parse(const json_value *arr, oci_spec *s, cpod_err *err)
{
	oci_linux *l = &s->linux_;
	char where_buf[64];

	l->n_devices = json_len(arr);
	if (!l->n_devices)
		return 0;
	if (l->n_devices > 4096)
		return err_set(err, CPOD_E_LIMIT, "linux.devices: too many");
	l->devices = pool_calloc(&s->pool, l->n_devices, sizeof(*l->devices), err);
	if (!l->devices)
		return -1;
	for (size_t i = 0; i < l->n_devices; i++) {
		const json_value *d = json_at(arr, i);
		oci_device *dev = &l->devices[i];
		const char *type = NULL;
		char w[64];
		snprintf(w, sizeof(w), "%s", W("linux.devices[%zu]", i));
		if (!json_is(d, JSON_OBJECT))
			return err_set(err, CPOD_E_INVALID, "%s: must be an object", w);
		if (json_opt_str(d, "path", &dev->path, w, err) < 0 ||
		    json_opt_str(d, "type", &type, w, err) < 0 ||
		    dev_number(d, "major", &dev->major, w, err) < 0 ||
		    dev_number(d, "minor", &dev->minor, w, err) < 0 ||
		    opt_u64_get(d, "fileMode", &dev->file_mode, w, err) < 0 ||
		    opt_u64_get(d, "uid", &dev->uid, w, err) < 0 ||
		    opt_u64_get(d, "gid", &dev->gid, w, err) < 0)
			return -1;
		if (need_abs(dev->path, W("%s.path", w), err) < 0)
			return -1;
		if (has_dotdot(dev->path))
			return err_set(err, CPOD_E_INVALID, "%s.path: must not contain \"..\"", w);
		if (!type || strlen(type) != 1 || !strchr("cbup", type[0]))
			return err_set(err, CPOD_E_INVALID, "%s.type: must be c, b, u or p", w);
		dev->type = type[0];
		if (dev->type != 'p' && (dev->major < 0 || dev->minor < 0))
			return err_set(err, CPOD_E_INVALID, "%s: major and minor are required", w);
		if (dev->file_mode.set && dev->file_mode.v > 07777)
			return err_set(err, CPOD_E_INVALID, "%s.fileMode: must be a permission mode", w);
	}
	return 0;
}

static int paths_parse(const json_value *linux_, const char *key, const char ***out, size_t *n,
		       mem_pool *pool, cpod_err *err)
{
	char w[64];
	snprintf(w, sizeof(w), "linux.%s", key);
	if (strv_get(linux_, key, out, n, pool, "linux", err) < 0)
		return -1;
	for (size_t i = 0; i < *n; i++)
		if ((*out)[i][0] != '/')
			return err_set(err, CPOD_E_INVALID, "%s[%zu]: \"%s\" must be an absolute path", w,
				       i, (*out)[i]);
	return 0;
}

static int propagation_parse(const char *p, unsigned long *out, cpod_err *err)
{
	static const struct {
		const char *name;
		unsigned long flags;
	} t[] = {
		{ "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC },
		{ "shared", MS_SHARED }, { "rshared", MS_SHARED | MS_REC },
		{ "slave", MS_SLAVE }, { "rslave", MS_SLAVE | MS_REC },
		{ "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++)
		if (strcmp(t[i].name, p) == 0) {
			*out = t[i].flags;
			return 0;
		}
	return err_set(err, CPOD_E_INVALID, "linux.rootfsPropagation: unknown value \"%s\"", p);
}

static int linux_parse(const json_value *lj, oci_spec *s, cpod_err *err)
{
	oci_linux *l = &s->linux_;
	const json_value *v;
	const char *prop = NULL;

	if (json_opt_arr(lj, "namespaces", &v, "linux", err) < 0 || namespaces_parse(v, l, err) < 0)
		return -1;
	if (json_opt_arr(lj, "uidMappings", &v, "linux", err) < 0 ||
	    idmaps_parse(v, &l->uid_mappings, &l->n_uid_mappings, &s->pool, "linux.uidMappings", err) < 0)
		return -1;
	if (json_opt_arr(lj, "gidMappings", &v, "linux", err) < 0 ||
	    idmaps_parse(v, &l->gid_mappings, &l->n_gid_mappings, &s->pool, "linux.gidMappings", err) < 0)
		return -1;
	if (json_opt_arr(lj, "devices", &v, "linux", err) < 0 || devices_parse(v, s, err) < 0)
		return -1;
	if (json_opt_str(lj, "cgroupsPath", &l->cgroups_path, "linux", err) < 0)
		return -1;
	if (l->cgroups_path && has_dotdot(l->cgroups_path))
		return err_set(err, CPOD_E_INVALID, "linux.cgroupsPath: must not contain \"..\"");
	if (json_opt_obj(lj, "resources", &v, "linux", err) < 0)
		return -1;
	if (v) {
		if (oci_resources_parse(v, &l->resources, &s->pool, "linux.resources", err) < 0)
			return -1;
		l->has_resources = true;
	}
	if (json_opt_str(lj, "rootfsPropagation", &prop, "linux", err) < 0)
		return -1;
	if (prop && *prop && propagation_parse(prop, &l->rootfs_propagation, err) < 0)
		return -1;
	if (json_opt_obj(lj, "seccomp", &l->seccomp, "linux", err) < 0)
		return -1;
	if (json_opt_obj(lj, "sysctl", &v, "linux", err) < 0 ||
	    kv_object_parse(v, &l->sysctl, &l->n_sysctl, &s->pool, "linux.sysctl", err) < 0)
		return -1;
	for (size_t i = 0; i < l->n_sysctl; i++)
		if (!*l->sysctl[i].key || strstr(l->sysctl[i].key, "..") || l->sysctl[i].key[0] == '/' ||
		    l->sysctl[i].key[0] == '.')
			return err_set(err, CPOD_E_INVALID, "linux.sysctl: bad name \"%s\"", l->sysctl[i].key);
	if (paths_parse(lj, "maskedPaths", &l->masked_paths, &l->n_masked_paths, &s->pool, err) < 0 ||
	    paths_parse(lj, "readonlyPaths", &l->readonly_paths, &l->n_readonly_paths, &s->pool, err) < 0)
		return -1;
	if (json_opt_str(lj, "mountLabel", &l->mount_label, "linux", err) < 0)
		return -1;
	if (json_opt_obj(lj, "personality", &v, "linux", err) < 0)
		return -1;
	if (v) {
		const char *domain = NULL;
		if (json_opt_str(v, "domain", &domain, "linux.personality", err) < 0)
			return -1;
		if (domain && strcmp(domain, "LINUX") == 0)
			l->personality = PER_LINUX;
		else if (domain && strcmp(domain, "LINUX32") == 0)
			l->personality = PER_LINUX32;
		else
			return err_set(err, CPOD_E_INVALID,
				       "linux.personality.domain: must be LINUX or LINUX32");
		if (json_len(json_get(v, "flags")))
			log_warn("linux.personality.flags are not supported and ignored");
		l->has_personality = true;
	}
	if (json_opt_obj(lj, "timeOffsets", &v, "linux", err) < 0)
		return -1;
	if (v) {
		static const char *const clocks[2] = { "monotonic", "boottime" };
		for (int i = 0; i < 2; i++) {
			const json_value *o = json_get(v, clocks[i]);
			uint64_t ns = 0;
			char w[64];
			if (!o)
				continue;
			snprintf(w, sizeof(w), "linux.timeOffsets.%s", clocks[i]);
			if (!json_is(o, JSON_OBJECT) ||
			    json_opt_i64(o, "secs", &l->time_offsets[i].secs, w, err) < 0 ||
			    json_opt_u64(o, "nanosecs", &ns, w, err) < 0)
				return err->msg[0] ? -1 : err_set(err, CPOD_E_INVALID, "%s: bad offset", w);
			if (ns >= 1000000000)
				return err_set(err, CPOD_E_INVALID, "%s.nanosecs: below one second", w);
			l->time_offsets[i].nanosecs = (uint32_t)ns;
			l->time_offsets[i].set = true;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- the spec */

CPOD_INTERNAL void oci_spec_free(oci_spec *spec)
{
	if (!spec)
		return;
	pool_free(&spec->pool);
	json_doc_free(spec->doc);
	free(spec);
}

CPOD_INTERNAL oci_spec *oci_spec_parse(const char *text, size_t len, cpod_err *err)
{
	const json_limits lim = { .max_size = 16u << 20, .max_depth = 64 };
	oci_spec *s = calloc(1, sizeof(*s));
	const json_value *root, *v;

	if (!s) {
		err_nomem(err);
		return NULL;
	}
	s->doc = json_parse(text, len, &lim, err);
	if (!s->doc)
		goto fail;
	s->raw = pool_alloc(&s->pool, len + 1, err);
	if (!s->raw)
		goto fail;
	memcpy(s->raw, text, len);
	s->raw_len = len;
	root = json_root(s->doc);
	if (!json_is(root, JSON_OBJECT)) {
		err_set(err, CPOD_E_INVALID, "the configuration must be a JSON object");
		goto fail;
	}
	if (json_opt_str(root, "ociVersion", &s->oci_version, "", err) < 0)
		goto fail;
	if (!s->oci_version) {
		err_set(err, CPOD_E_INVALID, "ociVersion: missing");
		goto fail;
	}
	if (strncmp(s->oci_version, "1.", 2) != 0) {
		err_set(err, CPOD_E_INVALID, "ociVersion: %s is not supported (1.x is)", s->oci_version);
		goto fail;
	}
	if (json_opt_obj(root, "process", &v, "", err) < 0)
		goto fail;
	if (v) {
		if (oci_process_parse(v, &s->process, &s->pool, "process", err) < 0)
			goto fail;
		s->has_process = true;
	}
	if (json_opt_obj(root, "root", &v, "", err) < 0)
		goto fail;
	if (v && (json_opt_str(v, "path", &s->root_path, "root", err) < 0 ||
		  json_opt_bool(v, "readonly", &s->root_readonly, "root", err) < 0))
		goto fail;
	if (json_opt_str(root, "hostname", &s->hostname, "", err) < 0 ||
	    json_opt_str(root, "domainname", &s->domainname, "", err) < 0)
		goto fail;
	if (json_opt_arr(root, "mounts", &v, "", err) < 0 || mounts_parse(v, s, err) < 0)
		goto fail;
	if (json_opt_obj(root, "hooks", &v, "", err) < 0 || (v && hooks_parse(v, s, err) < 0))
		goto fail;
	if (json_opt_obj(root, "annotations", &s->annotations, "", err) < 0)
		goto fail;
	for (size_t i = 0; i < json_len(s->annotations); i++)
		if (!json_string(s->annotations->u.obj.members[i].value)) {
			err_set(err, CPOD_E_INVALID, "annotations.%s: must be a string",
				s->annotations->u.obj.members[i].key);
			goto fail;
		}
	if (json_opt_obj(root, "linux", &v, "", err) < 0 || (v && linux_parse(v, s, err) < 0))
		goto fail;
	return s;
fail:
	oci_spec_free(s);
	return NULL;
}

CPOD_INTERNAL oci_spec *oci_spec_load(const char *bundle, const char *path, cpod_err *err)
{
	char p[PATH_MAX];
	_cleanup_buf_ buf b = BUF_INIT;
	oci_spec *s;

	if (!path) {
		snprintf(p, sizeof(p), "%s/config.json", bundle ? bundle : ".");
		path = p;
	}
	if (fs_read_file(AT_FDCWD, path, 16u << 20, &b, err) < 0)
		return NULL;
	s = oci_spec_parse(b.data, b.len, err);
	if (!s)
		err_prefix(err, "%s", path);
	return s;
}
