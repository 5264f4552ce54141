/*
 * specgen.c — building a container's OCI config (see specgen.h).
 *
 * What podman 4 gives a container by default, and so what cpod gives: its
 * eleven default capabilities, its seccomp profile (evaluated for the
 * final capability set), masked and read-only /proc and /sys paths, a
 * private /dev with /dev/shm of 64 MB, generated /etc/hosts, /etc/hostname
 * and /etc/resolv.conf, pid/ipc/uts/mount namespaces (a user namespace
 * when rootless, mapping the user to root and the subordinate ids after
 * it), nofile and nproc limits of 1048576, a pids limit of 2048 when it
 * has a cgroup, and a hostname that is the start of the container id.
 * Then the options: mounts and volumes, security, resources, --init.
 *
 * Three phases, so that bad input changes nothing: everything is parsed
 * and checked (options.c, users, id maps, seccomp); then the volumes are
 * made and filled; then the config and the summary are written.
 */
#include "specgen.h"
#include "initproc.h"
#include "../oci/caps.h"
#include "../oci/seccomp.h"
#include "../base/fs.h"
#include <sys/ioctl.h>
#include <dirent.h>
#include <fnmatch.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <linux/capability.h>

CPOD_INTERNAL uint64_t specgen_default_caps(void)
{
	return options_default_caps();
}

/* --entrypoint: a JSON array, or one command word. */
static int specgen_entrypoint(const char *ep, const char ***out, size_t *n, mem_pool *pool,
			      cpod_err *err)
{
	*out = NULL;
	*n = 0;
	if (!*ep)
		return 0;
	if (ep[0] == '[') {
		json_doc *d = json_parse(ep, strlen(ep), NULL, err);
		if (!d)
			return err_prefix(err, "--entrypoint");
		const json_value *arr = json_root(d);
		if (!json_is(arr, JSON_ARRAY)) {
			json_doc_free(d);
			return err_set(err, CPOD_E_INVALID, "--entrypoint: a JSON array of strings is expected");
		}
		*n = json_len(arr);
		*out = pool_calloc(pool, *n + 1, sizeof(char *), err);
		for (size_t i = 0; *out && i < *n; i++) {
			const char *s = json_string(json_at(arr, i));
			if (!s) {
				json_doc_free(d);
				return err_set(err, CPOD_E_INVALID, "--entrypoint: a JSON array of strings is expected");
			}
			(*out)[i] = pool_strdup(pool, s, err);
		}
		json_doc_free(d);
		return *out ? 0 : -1;
	}
	*out = pool_calloc(pool, 2, sizeof(char *), err);
	if (!*out)
		return -1;
	(*out)[0] = ep;
	*n = 1;
	return 0;
}

CPOD_INTERNAL int specgen_args(const cpod_run_opts *run, const image_config *cfg, const char ***out,
			       size_t *n, mem_pool *pool, cpod_err *err)
{
	const char **ep = cfg->entrypoint, **cmd = cfg->cmd;
	size_t nep = cfg->n_entrypoint, ncmd = cfg->n_cmd;

	if (run->entrypoint) {
		if (specgen_entrypoint(run->entrypoint, &ep, &nep, pool, err) < 0)
			return -1;
		cmd = NULL;
		ncmd = 0;
	}
	if (run->args && run->args[0]) {
		cmd = (const char **)run->args;
		for (ncmd = 0; cmd[ncmd]; ncmd++)
			;
	}
	*n = nep + ncmd;
	if (*n == 0)
		return err_set(err, CPOD_E_INVALID,
			       "no command or entrypoint provided, and no CMD or ENTRYPOINT from image");
	*out = pool_calloc(pool, *n + 1, sizeof(char *), err);
	if (!*out)
		return -1;
	for (size_t i = 0; i < nep; i++)
		(*out)[i] = ep[i];
	for (size_t i = 0; i < ncmd; i++)
		(*out)[nep + i] = cmd[i];
	return 0;
}

/* ---------------------------------------------------------------- state */

typedef struct specgen_idmap {
	uint32_t ctr, host, size;
} specgen_idmap;

typedef struct specgen_mount {
	const char *dest, *type, *source;
	const char *opts[OPTIONS_MOUNT_MAX_OPTS + 16];
	size_t n;
} specgen_mount;

/* A volume a mount uses: loaded, or made here. */
typedef struct specgen_vol {
	options_mount *m;
	volume_rec v;
	bool have;        /* v is loaded */
	bool created;     /* made by this build: removed again if it fails */
} specgen_vol;

typedef struct specgen_ctx {
	const specgen_in *in;
	const cpod_run_opts *r;
	options_parsed p;
	ctr_life lc;
	mem_pool pool;
	const char **args;
	size_t nargs;
	char hostname[72];
	char init_exe[PATH_MAX];
	uint32_t uid, gid;
	uint32_t *gids;
	size_t n_gids;
	/* user namespace */
	bool userns;
	specgen_idmap umap[8], gmap[8];
	size_t n_umap, n_gmap;
	char auto_uid[48], auto_gid[48];   /* "START:SIZE" of a --userns auto range */
	/* every mount of -v, --mount, --tmpfs and the image's VOLUMEs */
	options_mount *mounts;
	size_t n_mounts;
	specgen_vol *vols;
	size_t n_vols;
	char *seccomp;                     /* linux.seccomp JSON, NULL: none */
	options_device *hostdevs;          /* --privileged: every device of the host */
	size_t n_hostdevs;
	specgen_mount *out;                /* the config's mounts */
	size_t n_out, cap_out;
} specgen_ctx;

/* ---------------------------------------------------------------- environment */

static bool specgen_env_has(const char *const *env, size_t n, const char *kv)
{
	size_t k = strcspn(kv, "=");
	for (size_t i = 0; i < n; i++)
		if (env[i] && strncmp(env[i], kv, k) == 0 && env[i][k] == '=')
			return true;
	return false;
}

/* Environment: defaults, then the image's, then --env-file and -e (later wins). */
static int specgen_env(json_w *w, specgen_ctx *x, cpod_err *err)
{
	const specgen_in *in = x->in;
	size_t cap = x->p.n_env + in->cfg->n_env + 8, n = 0;
	const char **list = pool_calloc(&x->pool, cap, sizeof(char *), err);
	char *host = pool_alloc(&x->pool, 128, err), *home = pool_alloc(&x->pool, PATH_MAX + 8, err);
	if (!list || !host || !home)
		return -1;
	/* newest first, so the first of a name wins when writing */
	for (size_t i = x->p.n_env; i-- > 0;)
		list[n++] = x->p.env[i];
	for (size_t i = in->cfg->n_env; i-- > 0;)
		list[n++] = in->cfg->env[i];
	snprintf(host, 128, "HOSTNAME=%s", x->hostname);
	snprintf(home, PATH_MAX + 8, "HOME=%s", in->user->home);
	list[n++] = host;
	list[n++] = home;
	list[n++] = "container=cpod";
	if (x->r->tty)
		list[n++] = "TERM=xterm";
	list[n++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

	jw_key(w, "env");
	jw_arr_begin(w);
	/* in the image's order where it has them, ours after */
	for (size_t i = n; i-- > 0;) {
		bool later = false;
		for (size_t k = 0; k < i && !later; k++)
			later = specgen_env_has(&list[k], 1, list[i]);
		if (!later)
			jw_str(w, list[i]);
	}
	jw_arr_end(w);
	return 0;
}

static void specgen_strs(json_w *w, const char *key, const char *const *v, size_t n)
{
	jw_key(w, key);
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++)
		jw_str(w, v[i]);
	jw_arr_end(w);
}

/* ---------------------------------------------------------------- users and id maps */

typedef struct specgen_range {
	uint32_t start, count;
} specgen_range;

/* The ranges of name (or of the numeric id, when id >= 0) in a subuid file. */
static size_t specgen_subids(const char *file, const char *name, long long id, specgen_range *out,
			     size_t max)
{
	_cleanup_buf_ buf b = BUF_INIT;
	size_t n = 0;
	if (fs_read_file(AT_FDCWD, file, 1u << 20, &b, NULL) < 0)
		return 0;
	char *save = NULL;
	for (char *l = strtok_r(b.data, "\n", &save); l && n < max; l = strtok_r(NULL, "\n", &save)) {
		char who[256];
		unsigned long long s, c;
		if (sscanf(l, "%255[^:]:%llu:%llu", who, &s, &c) != 3 || c == 0 || s > UINT32_MAX ||
		    c > UINT32_MAX || s + c > (unsigned long long)UINT32_MAX + 1)
			continue;
		char *end;
		unsigned long long wid = strtoull(who, &end, 10);
		if ((name && strcmp(who, name) == 0) || (id >= 0 && !*end && wid == (unsigned long long)id)) {
			out[n].start = (uint32_t)s;
			out[n].count = (uint32_t)c;
			n++;
		}
	}
	return n;
}

/* The host user's name, from the host's passwd. */
static void specgen_host_user(uint32_t uid, char *name, size_t n)
{
	_cleanup_buf_ buf pw = BUF_INIT;
	name[0] = '\0';
	if (fs_read_file(AT_FDCWD, "/etc/passwd", 4u << 20, &pw, NULL) < 0)
		return;
	char *save = NULL;
	for (char *l = strtok_r(pw.data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *f[4] = { 0 };
		size_t k = 0;
		f[k++] = l;
		for (char *p = l; *p && k < 4; p++)
			if (*p == ':') {
				*p = '\0';
				f[k++] = p + 1;
			}
		if (k >= 3 && strtoul(f[2], NULL, 10) == uid) {
			snprintf(name, n, "%s", f[0]);
			return;
		}
	}
}

static const char *specgen_subid_file(bool gid)
{
	const char *f = getenv(gid ? "CPOD_SUBGID" : "CPOD_SUBUID");
	return f && *f ? f : gid ? "/etc/subgid" : "/etc/subuid";
}

/* --userns auto ranges of other containers ("START:SIZE" annotations). */
static size_t specgen_auto_used(specgen_ctx *x, bool gid, specgen_range *out, size_t max)
{
	cpod_engine *e = x->in->e;
	const json_limits lim = { .max_size = 16u << 20 };
	int fd = openat(e->rootfd, "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	size_t n = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	struct dirent *de;
	while (n < max && (de = readdir(d))) {
		char path[160];
		if (strlen(de->d_name) != 64 || (x->in->id && strcmp(de->d_name, x->in->id) == 0))
			continue;
		snprintf(path, sizeof(path), "containers/%.64s/config.json", de->d_name);
		json_doc *doc = json_parse_file(e->rootfd, path, &lim, NULL);
		if (!doc)
			continue;
		const char *a = json_string(json_get(json_get(json_root(doc), "annotations"),
						     gid ? "io.cpod.userns.auto.gid" : "io.cpod.userns.auto.uid"));
		unsigned long long s, c;
		if (a && sscanf(a, "%llu:%llu", &s, &c) == 2 && s <= UINT32_MAX && c <= UINT32_MAX) {
			out[n].start = (uint32_t)s;
			out[n].count = (uint32_t)c;
			n++;
		}
		json_doc_free(doc);
	}
	closedir(d);
	return n;
}

/* A free block of size ids in ranges, away from the used ones. */
static bool specgen_alloc(const specgen_range *ranges, size_t nr, const specgen_range *used,
			  size_t nu, uint32_t size, uint32_t *start)
{
	for (size_t i = 0; i < nr; i++) {
		uint64_t c = ranges[i].start, end = (uint64_t)ranges[i].start + ranges[i].count;
		while (c + size <= end) {
			bool clash = false;
			for (size_t k = 0; k < nu && !clash; k++) {
				uint64_t us = used[k].start, ue = us + used[k].count;
				if (c < ue && us < c + size) {
					clash = true;
					c = ue;
				}
			}
			if (!clash) {
				*start = (uint32_t)c;
				return true;
			}
		}
	}
	return false;
}

static int specgen_userns(specgen_ctx *x, cpod_err *err)
{
	const specgen_in *in = x->in;
	const options_parsed *p = &x->p;
	bool rootless = in->rootless;
	bool helper = access("/usr/bin/newuidmap", X_OK) == 0 && access("/usr/bin/newgidmap", X_OK) == 0;

	if (!rootless && p->userns != OPTIONS_USERNS_AUTO)
		return 0;
	x->userns = true;
	for (int g = 0; g < 2; g++) {
		specgen_idmap *map = g ? x->gmap : x->umap;
		size_t *nm = g ? &x->n_gmap : &x->n_umap;
		uint32_t self = g ? getegid() : geteuid();
		const char *file = specgen_subid_file(g);
		specgen_range r[16];
		size_t nr;
		char name[256];
		if (rootless) {
			specgen_host_user(geteuid(), name, sizeof(name));
			nr = specgen_subids(file, name[0] ? name : NULL, geteuid(), r, ARRAY_LEN(r));
		} else {
			nr = specgen_subids(file, "containers", -1, r, ARRAY_LEN(r));
		}
		switch (p->userns) {
		case OPTIONS_USERNS_AUTO: {
			specgen_range used[256];
			size_t nu = specgen_auto_used(x, g, used, ARRAY_LEN(used));
			uint32_t start;
			if (nr == 0)
				return err_set(err, CPOD_E_INVALID,
					       "--userns auto: no ranges for user \"%s\" in %s",
					       rootless ? (name[0] ? name : "(this user)") : "containers", file);
			if (rootless && !helper)
				return err_set(err, CPOD_E_UNSUPPORTED,
					       "--userns auto: needs newuidmap and newgidmap");
			if (!specgen_alloc(r, nr, used, nu, p->auto_size, &start))
				return err_set(err, CPOD_E_LIMIT,
					       "--userns auto: no free range of %u ids left in %s",
					       p->auto_size, file);
			map[(*nm)++] = (specgen_idmap){ 0, start, p->auto_size };
			snprintf(g ? x->auto_gid : x->auto_uid, sizeof(x->auto_uid), "%u:%u", start,
				 p->auto_size);
			break;
		}
		case OPTIONS_USERNS_KEEP_ID: {
			uint32_t target = g ? (p->keep_id_gid_set ? p->keep_id_gid : self)
					    : (p->keep_id_uid_set ? p->keep_id_uid : self);
			if (nr == 0 || !helper)
				return err_set(err, CPOD_E_INVALID,
					       "--userns keep-id: needs subordinate ids for the user in %s and "
					       "newuidmap/newgidmap", file);
			uint32_t below = target < r[0].count ? target : r[0].count;
			if (below)
				map[(*nm)++] = (specgen_idmap){ 0, r[0].start, below };
			map[(*nm)++] = (specgen_idmap){ target, self, 1 };
			uint32_t rest = r[0].count - below;
			if (rest && target < UINT32_MAX - 1) {
				uint64_t lim = (uint64_t)UINT32_MAX - 1 - target;
				map[(*nm)++] = (specgen_idmap){ target + 1, r[0].start + below,
								rest > lim ? (uint32_t)lim : rest };
			}
			break;
		}
		default:
			/* the user as root, the subordinate ids after it */
			map[(*nm)++] = (specgen_idmap){ 0, self, 1 };
			if (nr && helper)
				map[(*nm)++] = (specgen_idmap){ 1, r[0].start,
								r[0].count > 65536 ? 65536 : r[0].count };
			break;
		}
	}
	return 0;
}

/* The host id a container id maps to ((uint32_t)-1: none). */
static uint32_t specgen_host_id(const specgen_ctx *x, uint32_t id, bool gid)
{
	const specgen_idmap *m = gid ? x->gmap : x->umap;
	size_t n = gid ? x->n_gmap : x->n_umap;
	if (!x->userns)
		return id;
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].ctr && id - m[i].ctr < m[i].size)
			return m[i].host + (id - m[i].ctr);
	return (uint32_t)-1;
}

/* The process's user: --user (resolved by the caller), keep-id, --group-add. */
static int specgen_user(specgen_ctx *x, cpod_err *err)
{
	const specgen_in *in = x->in;
	x->uid = in->user->uid;
	x->gid = in->user->gid;
	if (x->p.userns == OPTIONS_USERNS_KEEP_ID && !(x->r->user && *x->r->user)) {
		x->uid = x->p.keep_id_uid_set ? x->p.keep_id_uid : geteuid();
		x->gid = x->p.keep_id_gid_set ? x->p.keep_id_gid : getegid();
	}
	size_t ng = 0;
	while (x->r->group_add && x->r->group_add[ng])
		ng++;
	x->gids = pool_calloc(&x->pool, in->user->n_gids + ng + 1, sizeof(uint32_t), err);
	if (!x->gids)
		return -1;
	for (size_t i = 0; i < in->user->n_gids; i++)
		x->gids[x->n_gids++] = in->user->gids[i];
	for (size_t i = 0; i < ng; i++) {
		const char *g = x->r->group_add[i];
		char spec[300];
		userdb_user u;
		cpod_err e2;
		snprintf(spec, sizeof(spec), "0:%s", g);
		if (userdb_resolve(in->e->store, in->img, spec, &u, &e2) < 0) {
			if (e2.code == CPOD_E_NOTFOUND)
				return err_set(err, CPOD_E_INVALID,
					       "--group-add %s: no such group in the image's /etc/group", g);
			if (err)
				*err = e2;
			return err_prefix(err, "--group-add %s", g);
		}
		bool dup = false;
		for (size_t k = 0; k < x->n_gids && !dup; k++)
			dup = x->gids[k] == u.gid;
		if (!dup)
			x->gids[x->n_gids++] = u.gid;
	}
	return 0;
}

/* ---------------------------------------------------------------- mounts */

static const char specgen_rw_base[] = "rw";

/* The family of a flag option (exec/noexec ...), so a later one replaces it. */
static const char *specgen_flag_base(const char *o)
{
	static const char *const flags[] = { "exec", "suid", "dev", "atime", "diratime",
					     "relatime", "strictatime" };
	if (strcmp(o, "ro") == 0 || strcmp(o, "rw") == 0)
		return specgen_rw_base;
	const char *b = strncmp(o, "no", 2) == 0 ? o + 2 : o;
	for (size_t i = 0; i < ARRAY_LEN(flags); i++)
		if (strcmp(b, flags[i]) == 0)
			return flags[i];
	if (strncmp(o, "mode=", 5) == 0)
		return "mode=";
	if (strncmp(o, "size=", 5) == 0)
		return "size=";
	return NULL;
}

static void specgen_opt(specgen_mount *m, const char *o)
{
	const char *b = specgen_flag_base(o);
	for (size_t i = 0; b && i < m->n; i++)
		if (specgen_flag_base(m->opts[i]) == b) {
			m->opts[i] = o;
			return;
		}
	if (m->n < ARRAY_LEN(m->opts))
		m->opts[m->n++] = o;
}

static specgen_mount *specgen_add(specgen_ctx *x, const char *dest, const char *type,
				  const char *src, cpod_err *err)
{
	if (x->n_out == x->cap_out) {
		size_t nc = x->cap_out ? x->cap_out * 2 : 32;
		specgen_mount *nm = pool_calloc(&x->pool, nc, sizeof(*nm), err);
		if (!nm)
			return NULL;
		if (x->n_out)
			memcpy(nm, x->out, x->n_out * sizeof(*nm));
		x->out = nm;
		x->cap_out = nc;
	}
	specgen_mount *m = &x->out[x->n_out++];
	memset(m, 0, sizeof(*m));
	m->dest = dest;
	m->type = type;
	m->source = src;
	return m;
}

#define SG_OPTS(m, ...)                                                        \
	do {                                                                   \
		static const char *const o_[] = { __VA_ARGS__ };               \
		for (size_t i_ = 0; (m) && i_ < ARRAY_LEN(o_); i_++)           \
			specgen_opt((m), o_[i_]);                              \
	} while (0)

/* Whether -v, --mount, --tmpfs or an image VOLUME mount dest. */
static bool specgen_user_mount(const specgen_ctx *x, const char *dest)
{
	for (size_t i = 0; i < x->n_mounts; i++)
		if (strcmp(x->mounts[i].dest, dest) == 0)
			return true;
	return false;
}

static int specgen_defaults(specgen_ctx *x, cpod_err *err)
{
	const specgen_in *in = x->in;
	bool priv = x->p.privileged;
	specgen_mount *m;
	char *shm = pool_alloc(&x->pool, 48, err);
	if (!shm)
		return -1;
	snprintf(shm, 48, "size=%" PRId64, x->p.shm_size);

	if (!specgen_user_mount(x, "/proc")) {
		m = specgen_add(x, "/proc", "proc", "proc", err);
		SG_OPTS(m, "nosuid", "noexec", "nodev");
	}
	if (!specgen_user_mount(x, "/dev")) {
		m = specgen_add(x, "/dev", "tmpfs", "tmpfs", err);
		SG_OPTS(m, "nosuid", "strictatime", "mode=755", "size=65536k");
	}
	if (!specgen_user_mount(x, "/dev/pts")) {
		m = specgen_add(x, "/dev/pts", "devpts", "devpts", err);
		SG_OPTS(m, "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620");
		if (!in->rootless && !x->userns)
			SG_OPTS(m, "gid=5");
	}
	if (!specgen_user_mount(x, "/dev/mqueue")) {
		m = specgen_add(x, "/dev/mqueue", "mqueue", "mqueue", err);
		SG_OPTS(m, "nosuid", "noexec", "nodev");
	}
	if (!specgen_user_mount(x, "/sys")) {
		if (x->p.host_net && x->userns) {
			/* sysfs of the host's network namespace cannot be mounted
			 * from a user namespace: the host's /sys, bound */
			m = specgen_add(x, "/sys", "bind", "/sys", err);
			SG_OPTS(m, "rbind", "nosuid", "noexec", "nodev", "ro");
		} else {
			m = specgen_add(x, "/sys", "sysfs", "sysfs", err);
			SG_OPTS(m, "nosuid", "noexec", "nodev", "ro");
		}
		if (m && priv)
			specgen_opt(m, "rw");
	}
	if (!specgen_user_mount(x, "/sys/fs/cgroup")) {
		m = specgen_add(x, "/sys/fs/cgroup", "cgroup", "cgroup", err);
		SG_OPTS(m, "nosuid", "noexec", "nodev", "relatime", "ro");
		if (m && priv)
			specgen_opt(m, "rw");
	}
	if (!specgen_user_mount(x, "/dev/shm")) {
		m = specgen_add(x, "/dev/shm", "tmpfs", "shm", err);
		SG_OPTS(m, "nosuid", "noexec", "nodev", "mode=1777");
		if (m)
			specgen_opt(m, shm);
	}
	static const char *const etc[] = { "hosts", "hostname", "resolv.conf" };
	for (size_t i = 0; i < ARRAY_LEN(etc); i++) {
		char *dest = pool_alloc(&x->pool, 32, err), *path = pool_alloc(&x->pool, PATH_MAX, err);
		if (!dest || !path)
			return -1;
		snprintf(dest, 32, "/etc/%s", etc[i]);
		if (specgen_user_mount(x, dest))
			continue;
		if (fs_join(path, PATH_MAX, in->files_dir, etc[i], err) < 0)
			return -1;
		m = specgen_add(x, dest, "bind", path, err);
		SG_OPTS(m, "rbind", "rprivate", "rw");
	}
	/* --read-only-tmpfs, on by default: a read-only root keeps writable
	 * /tmp, /var/tmp and /run */
	if (x->r->read_only && x->r->read_only_tmpfs != 0) {
		static const char *const rw_dirs[] = { "/tmp", "/var/tmp", "/run" };
		for (size_t i = 0; i < ARRAY_LEN(rw_dirs); i++)
			if (!specgen_user_mount(x, rw_dirs[i])) {
				m = specgen_add(x, rw_dirs[i], "tmpfs", "tmpfs", err);
				SG_OPTS(m, "rw", "rprivate", "nosuid", "nodev", "tmpcopyup");
			}
	}
	if (x->r->init) {
		m = specgen_add(x, SPECGEN_INIT_PATH, "bind", x->init_exe, err);
		SG_OPTS(m, "bind", "rprivate", "nosuid", "nodev", "ro");
	}
	return x->n_out ? 0 : -1;
}

/* One mount of -v, --mount, --tmpfs or an image VOLUME into the config. */
static int specgen_user_mount_out(specgen_ctx *x, const options_mount *om, specgen_vol *vol,
				  cpod_err *err)
{
	specgen_mount *m;
	const char *tmpfs_o = NULL;
	if (om->kind == OPTIONS_TMPFS || (vol && volume_is_tmpfs(&vol->v, &tmpfs_o))) {
		m = specgen_add(x, om->dest, "tmpfs", "tmpfs", err);
		if (!m)
			return -1;
		SG_OPTS(m, "rw", "noexec", "nosuid", "nodev");
		if (om->kind == OPTIONS_TMPFS) {
			specgen_opt(m, "mode=1777");
			if (!om->no_tmpcopyup)
				specgen_opt(m, "tmpcopyup");
		} else {
			/* a tmpfs volume: what `volume create --opt o=` said */
			SG_OPTS(m, "exec", "nodev");
			char *copy = pool_strdup(&x->pool, tmpfs_o, err);
			if (!copy)
				return -1;
			char *save = NULL;
			for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
				specgen_opt(m, t);
		}
		for (size_t i = 0; i < om->n_opts; i++)
			specgen_opt(m, om->opts[i]);
		if (om->propagation)
			specgen_opt(m, om->propagation);
		specgen_opt(m, om->ro ? "ro" : "rw");
		return 0;
	}
	const char *src = om->source;
	if (vol) {
		const char *dev = volume_bind_device(&vol->v);
		src = dev ? dev : pool_strdup(&x->pool, vol->v.mountpoint, err);
		if (!src)
			return -1;
	}
	m = specgen_add(x, om->dest, "bind", src, err);
	if (!m)
		return -1;
	specgen_opt(m, om->nonrecursive ? "bind" : "rbind");
	specgen_opt(m, om->propagation ? om->propagation : "rprivate");
	if (vol)
		SG_OPTS(m, "nosuid", "nodev");
	for (size_t i = 0; i < om->n_opts; i++)
		specgen_opt(m, om->opts[i]);
	specgen_opt(m, om->ro ? "ro" : "rw");
	return 0;
}

static size_t specgen_depth(const char *p)
{
	size_t n = 0;
	for (; *p; p++)
		n += *p == '/' && p[1];
	return n;
}

/* Parents before children: a stable sort on the number of components. */
static void specgen_sort_mounts(specgen_ctx *x)
{
	for (size_t i = 1; i < x->n_out; i++) {
		specgen_mount t = x->out[i];
		size_t d = specgen_depth(t.dest), k = i;
		while (k > 0 && specgen_depth(x->out[k - 1].dest) > d) {
			x->out[k] = x->out[k - 1];
			k--;
		}
		x->out[k] = t;
	}
}

static void specgen_write_mount(json_w *w, const specgen_mount *m)
{
	jw_obj_begin(w);
	jw_kstr(w, "destination", m->dest);
	jw_kstr(w, "type", m->type);
	jw_kstr(w, "source", m->source);
	specgen_strs(w, "options", m->opts, m->n);
	jw_obj_end(w);
}

/* The image's VOLUMEs that no other mount covers: anonymous volumes. */
static int specgen_image_volumes(specgen_ctx *x, cpod_err *err)
{
	const image_config *cfg = x->in->cfg;
	x->mounts = pool_calloc(&x->pool, x->p.n_mounts + cfg->n_volumes + 1, sizeof(options_mount),
				err);
	if (!x->mounts)
		return -1;
	for (size_t i = 0; i < x->p.n_mounts; i++)
		x->mounts[x->n_mounts++] = x->p.mounts[i];
	for (size_t i = 0; i < cfg->n_volumes; i++) {
		char c[PATH_MAX];
		if (cfg->volumes[i][0] != '/' || options_clean_path(cfg->volumes[i], c, sizeof(c)) < 0 ||
		    strcmp(c, "/") == 0) {
			log_warn("the image's VOLUME %s is not an absolute path: ignored", cfg->volumes[i]);
			continue;
		}
		if (specgen_user_mount(x, c))
			continue;
		options_mount *m = &x->mounts[x->n_mounts++];
		memset(m, 0, sizeof(*m));
		m->kind = OPTIONS_VOLUME;
		m->flag = "VOLUME";
		m->spec = cfg->volumes[i];
		m->dest = pool_strdup(&x->pool, c, err);
		if (!m->dest)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- volumes */

/* Looks up the named volumes (nothing is made yet): a volume that exists
 * is checked now, so a bad one fails before anything changes. */
static int specgen_volumes_check(specgen_ctx *x, cpod_err *err)
{
	size_t nv = 0;
	for (size_t i = 0; i < x->n_mounts; i++)
		nv += x->mounts[i].kind == OPTIONS_VOLUME;
	x->vols = pool_calloc(&x->pool, nv + 1, sizeof(specgen_vol), err);
	if (!x->vols)
		return -1;
	for (size_t i = 0; i < x->n_mounts; i++) {
		options_mount *m = &x->mounts[i];
		if (m->kind != OPTIONS_VOLUME)
			continue;
		specgen_vol *v = &x->vols[x->n_vols++];
		v->m = m;
		if (m->volume_opts && volume_check_options(NULL, NULL, m->volume_opts, err) < 0)
			return err_prefix(err, "--mount %s", m->spec);
		if (!m->source)
			continue;
		cpod_err e2;
		if (volume_load(x->in->e, m->source, &v->v, &e2) == 0) {
			v->have = true;
			const char *dev = volume_bind_device(&v->v);
			struct stat st;
			if (dev && stat(dev, &st) < 0)
				return err_sys(err, "volume %s: its device %s", m->source, dev);
		} else if (e2.code != CPOD_E_NOTFOUND) {
			if (err)
				*err = e2;
			return -1;
		}
	}
	return 0;
}

static void specgen_volumes_rollback(specgen_ctx *x)
{
	int lock = -1;
	for (size_t i = 0; i < x->n_vols; i++) {
		if (!x->vols[i].created)
			continue;
		if (lock < 0 && (lock = volume_lock(x->in->e, NULL)) < 0)
			return;
		volume_remove(x->in->e, x->vols[i].v.name, true, NULL);
		x->vols[i].created = false;
	}
	if (lock >= 0)
		close(lock);
}

/* Makes the volumes that do not exist and fills new ones from the image. */
static int specgen_volumes_make(specgen_ctx *x, cpod_err *err)
{
	cpod_engine *e = x->in->e;
	if (x->n_vols == 0)
		return 0;
	int lock = volume_lock(e, err);
	if (lock < 0)
		return -1;
	int r = -1;
	uint32_t hu = specgen_host_id(x, x->uid, false), hg = specgen_host_id(x, x->gid, true);
	for (size_t i = 0; i < x->n_vols; i++) {
		specgen_vol *v = &x->vols[i];
		if (v->have) {
			/* loaded before the lock: again, it may have changed */
			volume_rec_free(&v->v);
			v->have = false;
		}
		cpod_err e2;
		if (v->m->source && volume_load(e, v->m->source, &v->v, &e2) == 0) {
			v->have = true;
		} else if (v->m->source && e2.code != CPOD_E_NOTFOUND) {
			if (err)
				*err = e2;
			goto out;
		} else {
			if (volume_create(e, v->m->source, NULL, NULL, v->m->volume_opts, !v->m->source,
					  &v->v, err) < 0)
				goto out;
			v->have = v->created = true;
		}
		if (volume_first_use(e, &v->v, x->in->img, v->m->dest, !v->m->nocopy,
				     x->userns && x->in->rootless ? (uid_t)-1 : hu,
				     x->userns && x->in->rootless ? (gid_t)-1 : hg, err) < 0)
			goto out;
	}
	r = 0;
out:
	close(lock);
	return r;
}

/* ---------------------------------------------------------------- security */

static int specgen_seccomp(specgen_ctx *x, cpod_err *err)
{
	const options_parsed *p = &x->p;
	if (p->seccomp_unconfined || (p->privileged && !p->seccomp_file))
		return 0;
	_cleanup_buf_ buf b = BUF_INIT;
	const char *profile = seccomp_default_profile_json();
	if (p->seccomp_file) {
		if (fs_read_file(AT_FDCWD, p->seccomp_file, 8u << 20, &b, err) < 0)
			return err_prefix(err, "--security-opt seccomp=%s", p->seccomp_file);
		profile = b.data;
	}
	x->seccomp = seccomp_profile_to_oci(profile, p->caps, manifest_host_platform().architecture,
					    err);
	if (!x->seccomp) {
		if (p->seccomp_file)
			err_prefix(err, "--security-opt seccomp=%s", p->seccomp_file);
		return -1;
	}
	/* a bad profile fails now, not when the container starts */
	json_doc *d = json_parse(x->seccomp, strlen(x->seccomp), NULL, err);
	if (!d)
		return err_prefix(err, "seccomp profile");
	seccomp_filter *f = seccomp_compile(json_root(d), err);
	json_doc_free(d);
	if (!f)
		return p->seccomp_file ? err_prefix(err, "--security-opt seccomp=%s", p->seccomp_file)
				       : -1;
	seccomp_filter_free(f);
	return 0;
}

static void specgen_caps_json(json_w *w, const char *key, uint64_t mask)
{
	jw_key(w, key);
	jw_arr_begin(w);
	for (int c = 0; c < 64; c++)
		if ((mask >> c) & 1 && caps_name(c))
			jw_str(w, caps_name(c));
	jw_arr_end(w);
}

/* --privileged: every device node of the host's /dev, as runc lists them. */
static int specgen_host_devices(specgen_ctx *x, const char *dir, int depth, cpod_err *err)
{
	static const char *const skip_dirs[] = { "pts", "shm", "fd", "mqueue", ".lxc",
						 ".lxd-mounts", ".udev" };
	if (depth > 6)
		return 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path) ||
		    lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			bool skip = false;
			for (size_t i = 0; i < ARRAY_LEN(skip_dirs) && !skip; i++)
				skip = depth == 0 && strcmp(de->d_name, skip_dirs[i]) == 0;
			if (!skip)
				r = specgen_host_devices(x, path, depth + 1, err);
			continue;
		}
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
			continue;
		if (depth == 0 && (strcmp(de->d_name, "console") == 0 || strcmp(de->d_name, "ptmx") == 0))
			continue;
		bool given = false;
		for (size_t i = 0; i < x->p.n_devices && !given; i++)
			given = strcmp(x->p.devices[i].ctr, path) == 0;
		if (given || x->n_hostdevs >= 4096)
			continue;
		if (x->n_hostdevs % 64 == 0) {
			options_device *nl = pool_calloc(&x->pool, x->n_hostdevs + 64, sizeof(*nl), err);
			if (!nl) {
				r = -1;
				break;
			}
			if (x->n_hostdevs)
				memcpy(nl, x->hostdevs, x->n_hostdevs * sizeof(*nl));
			x->hostdevs = nl;
		}
		options_device *dv = &x->hostdevs[x->n_hostdevs];
		dv->host = dv->ctr = pool_strdup(&x->pool, path, err);
		if (!dv->host) {
			r = -1;
			break;
		}
		snprintf(dv->perms, sizeof(dv->perms), "rwm");
		dv->type = S_ISBLK(st.st_mode) ? 'b' : 'c';
		dv->major = major(st.st_rdev);
		dv->minor = minor(st.st_rdev);
		dv->mode = st.st_mode & 0777;
		dv->uid = st.st_uid;
		dv->gid = st.st_gid;
		x->n_hostdevs++;
	}
	closedir(d);
	return r;
}

static void specgen_device_json(json_w *w, const specgen_ctx *x, const options_device *d)
{
	jw_obj_begin(w);
	jw_kstr(w, "path", d->ctr);
	jw_kstr(w, "type", d->type == 'b' ? "b" : "c");
	jw_kint(w, "major", d->major);
	jw_kint(w, "minor", d->minor);
	if (!x->userns) {
		/* made with mknod: as the host's; bound in a user namespace:
		 * the host's node itself, never chmod-ed */
		jw_kint(w, "fileMode", d->mode);
		jw_kint(w, "uid", d->uid);
		jw_kint(w, "gid", d->gid);
	}
	jw_obj_end(w);
}

static void specgen_device_rule(json_w *w, const options_device *d)
{
	jw_obj_begin(w);
	jw_kbool(w, "allow", true);
	jw_kstr(w, "type", d->type == 'b' ? "b" : "c");
	jw_kint(w, "major", d->major);
	jw_kint(w, "minor", d->minor);
	jw_kstr(w, "access", d->perms);
	jw_obj_end(w);
}

static bool specgen_unmasked(const options_parsed *p, const char *path)
{
	if (p->unmask_all)
		return true;
	for (size_t i = 0; i < p->n_unmask; i++)
		if (strcmp(p->unmask[i], path) == 0 || fnmatch(p->unmask[i], path, FNM_PATHNAME) == 0)
			return true;
	return false;
}

static void specgen_paths(json_w *w, const specgen_ctx *x)
{
	static const char *const masked[] = {
		"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
		"/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
		"/sys/fs/selinux", "/sys/dev/block",
	};
	static const char *const readonly[] = {
		"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	};
	const options_parsed *p = &x->p;
	jw_key(w, "maskedPaths");
	jw_arr_begin(w);
	for (size_t i = 0; !p->privileged && i < ARRAY_LEN(masked); i++)
		if (!specgen_unmasked(p, masked[i]))
			jw_str(w, masked[i]);
	for (size_t i = 0; i < p->n_mask; i++)
		jw_str(w, p->mask[i]);
	jw_arr_end(w);
	jw_key(w, "readonlyPaths");
	jw_arr_begin(w);
	for (size_t i = 0; !p->privileged && i < ARRAY_LEN(readonly); i++)
		if (!specgen_unmasked(p, readonly[i]))
			jw_str(w, readonly[i]);
	jw_arr_end(w);
}

/* ---------------------------------------------------------------- resources */

static bool specgen_has_limits(const options_parsed *p)
{
	return p->memory || p->memory_swap || p->memory_reservation || p->cpu_quota ||
	       p->cpu_shares || p->cpuset_cpus || p->pids_set;
}

/* Whether the host accounts swap (podman's default swap limit needs it). */
static bool specgen_swap_accounted(void)
{
	enum cg_mode m = cg_detect();
	if (m == CG_V2)
		return true;
	return access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0;
}

static void specgen_resources(json_w *w, const specgen_ctx *x)
{
	const options_parsed *p = &x->p;
	int64_t swap = p->memory_swap;
	if (p->memory_swap_default && !specgen_swap_accounted())
		swap = 0; /* as podman: no swap limit where there is no swap accounting */
	jw_key(w, "resources");
	jw_obj_begin(w);
	jw_key(w, "devices");
	jw_arr_begin(w);
	jw_obj_begin(w);
	jw_kbool(w, "allow", p->privileged);
	jw_kstr(w, "access", "rwm");
	jw_obj_end(w);
	for (size_t i = 0; !p->privileged && i < p->n_devices; i++)
		specgen_device_rule(w, &p->devices[i]);
	jw_arr_end(w);
	if (p->memory || swap || p->memory_reservation) {
		jw_key(w, "memory");
		jw_obj_begin(w);
		if (p->memory)
			jw_kint(w, "limit", p->memory);
		if (swap)
			jw_kint(w, "swap", swap);
		if (p->memory_reservation)
			jw_kint(w, "reservation", p->memory_reservation);
		jw_obj_end(w);
	}
	if (p->cpu_quota || p->cpu_shares || p->cpuset_cpus) {
		jw_key(w, "cpu");
		jw_obj_begin(w);
		if (p->cpu_shares) {
			jw_key(w, "shares");
			jw_uint(w, p->cpu_shares);
		}
		if (p->cpu_quota) {
			jw_kint(w, "quota", p->cpu_quota);
			jw_key(w, "period");
			jw_uint(w, p->cpu_period);
		}
		if (p->cpuset_cpus)
			jw_kstr(w, "cpus", p->cpuset_cpus);
		jw_obj_end(w);
	}
	/* podman's default pids limit */
	int64_t pids = p->pids_set ? p->pids_limit : 2048;
	if (pids > 0) {
		jw_key(w, "pids");
		jw_obj_begin(w);
		jw_kint(w, "limit", pids);
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

static void specgen_rlimits(json_w *w, const specgen_ctx *x)
{
	options_ulimit list[32];
	size_t n = 0;
	/* raising a hard limit takes CAP_SYS_RESOURCE in the host's user namespace */
	bool can_raise = !x->in->rootless && !x->userns &&
			 (caps_effective_now() >> CAP_SYS_RESOURCE & 1);
	for (int k = 0; k < 2; k++) {
		/* podman's defaults: 1048576, or what we have when we cannot
		 * raise ours (rootless: our soft limit too) */
		int res = k ? RLIMIT_NPROC : RLIMIT_NOFILE;
		uint64_t soft = 1048576, hard = 1048576;
		struct rlimit rl;
		if (!can_raise && getrlimit(res, &rl) == 0) {
			if (rl.rlim_max < hard)
				hard = rl.rlim_max;
			if (x->in->rootless && rl.rlim_cur < soft)
				soft = rl.rlim_cur;
			if (soft > hard)
				soft = hard;
		}
		list[n++] = (options_ulimit){ res, k ? "RLIMIT_NPROC" : "RLIMIT_NOFILE", soft, hard };
	}
	for (size_t i = 0; i < x->p.n_ulimits; i++) {
		size_t k;
		for (k = 0; k < n && list[k].resource != x->p.ulimits[i].resource; k++)
			;
		if (k < ARRAY_LEN(list)) {
			list[k] = x->p.ulimits[i];
			if (k == n)
				n++;
		}
	}
	jw_key(w, "rlimits");
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		jw_obj_begin(w);
		jw_kstr(w, "type", list[i].name);
		jw_key(w, "hard");
		jw_uint(w, list[i].hard);
		jw_key(w, "soft");
		jw_uint(w, list[i].soft);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void specgen_idmap_json(json_w *w, const char *key, const specgen_idmap *m, size_t n)
{
	jw_key(w, key);
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		jw_obj_begin(w);
		jw_kint(w, "containerID", m[i].ctr);
		jw_kint(w, "hostID", m[i].host);
		jw_kint(w, "size", m[i].size);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* ---------------------------------------------------------------- the config */

static int specgen_config(specgen_ctx *x, buf *b, cpod_err *err)
{
	const specgen_in *in = x->in;
	const cpod_run_opts *r = x->r;
	const options_parsed *p = &x->p;
	json_w w;

	jw_init(&w, b, "\t");
	jw_obj_begin(&w);
	jw_kstr(&w, "ociVersion", CPOD_OCI_VERSION);

	jw_key(&w, "process");
	jw_obj_begin(&w);
	jw_kbool(&w, "terminal", r->tty);
	struct winsize ws;
	if (r->tty && ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		/* our terminal's size from the start (a resize from the
		 * attached client could come after a fast program read it) */
		jw_key(&w, "consoleSize");
		jw_obj_begin(&w);
		jw_kint(&w, "height", ws.ws_row);
		jw_kint(&w, "width", ws.ws_col);
		jw_obj_end(&w);
	}
	jw_key(&w, "user");
	jw_obj_begin(&w);
	jw_kint(&w, "uid", x->uid);
	jw_kint(&w, "gid", x->gid);
	if (x->n_gids) {
		jw_key(&w, "additionalGids");
		jw_arr_begin(&w);
		for (size_t i = 0; i < x->n_gids; i++)
			jw_int(&w, x->gids[i]);
		jw_arr_end(&w);
	}
	jw_obj_end(&w);
	if (r->init) {
		const char **a = pool_calloc(&x->pool, x->nargs + 4, sizeof(char *), err);
		if (!a)
			return -1;
		a[0] = SPECGEN_INIT_PATH;
		a[1] = "__init";
		a[2] = "--";
		memcpy(a + 3, x->args, x->nargs * sizeof(char *));
		specgen_strs(&w, "args", a, x->nargs + 3);
	} else {
		specgen_strs(&w, "args", x->args, x->nargs);
	}
	if (specgen_env(&w, x, err) < 0)
		return -1;
	jw_kstr(&w, "cwd", r->workdir && *r->workdir ? r->workdir
			   : in->cfg->working_dir && *in->cfg->working_dir ? in->cfg->working_dir : "/");
	jw_key(&w, "capabilities");
	jw_obj_begin(&w);
	specgen_caps_json(&w, "bounding", p->caps);
	if (x->uid == 0) {
		specgen_caps_json(&w, "effective", p->caps);
		specgen_caps_json(&w, "permitted", p->caps);
	} else {
		/* a user other than root gets what --cap-add asked for, as podman */
		uint64_t c = p->caps_added & p->caps;
		specgen_caps_json(&w, "effective", c);
		specgen_caps_json(&w, "permitted", c);
		specgen_caps_json(&w, "inheritable", c);
		specgen_caps_json(&w, "ambient", c);
	}
	jw_obj_end(&w);
	specgen_rlimits(&w, x);
	jw_kbool(&w, "noNewPrivileges", p->no_new_privs);
	if (p->has_oom_score_adj)
		jw_kint(&w, "oomScoreAdj", p->oom_score_adj);
	jw_obj_end(&w);

	jw_key(&w, "root");
	jw_obj_begin(&w);
	jw_kstr(&w, "path", in->rootfs);
	jw_kbool(&w, "readonly", r->read_only);
	jw_obj_end(&w);
	jw_kstr(&w, "hostname", x->hostname);

	jw_key(&w, "mounts");
	jw_arr_begin(&w);
	for (size_t i = 0; i < x->n_out; i++)
		specgen_write_mount(&w, &x->out[i]);
	jw_arr_end(&w);

	jw_key(&w, "annotations");
	jw_obj_begin(&w);
	jw_kstr(&w, "io.container.manager", "cpod");
	jw_kstr(&w, "io.cpod.container.name", in->name);
	if (x->n_vols) {
		_cleanup_buf_ buf names = BUF_INIT;
		for (size_t i = 0; i < x->n_vols; i++)
			buf_printf(&names, NULL, "%s%s", i ? "," : "", x->vols[i].v.name);
		if (names.failed)
			return err_nomem(err);
		jw_kstr(&w, "io.cpod.volumes", names.data);
	}
	if (x->auto_uid[0]) {
		jw_kstr(&w, "io.cpod.userns.auto.uid", x->auto_uid);
		jw_kstr(&w, "io.cpod.userns.auto.gid", x->auto_gid);
	}
	jw_obj_end(&w);

	jw_key(&w, "linux");
	jw_obj_begin(&w);
	if (x->userns) {
		specgen_idmap_json(&w, "uidMappings", x->umap, x->n_umap);
		specgen_idmap_json(&w, "gidMappings", x->gmap, x->n_gmap);
	}
	jw_key(&w, "namespaces");
	jw_arr_begin(&w);
	{
		const char *ns[8];
		size_t n = 0;
		ns[n++] = "pid";
		ns[n++] = "mount";
		ns[n++] = "ipc";
		ns[n++] = "uts";
		if (!p->host_net)
			ns[n++] = "network";
		if (cg_detect() == CG_V2)
			ns[n++] = "cgroup";
		if (x->userns)
			ns[n++] = "user";
		for (size_t i = 0; i < n; i++) {
			jw_obj_begin(&w);
			jw_kstr(&w, "type", ns[i]);
			jw_obj_end(&w);
		}
	}
	jw_arr_end(&w);
	if (p->n_devices || x->n_hostdevs) {
		jw_key(&w, "devices");
		jw_arr_begin(&w);
		for (size_t i = 0; i < p->n_devices; i++)
			specgen_device_json(&w, x, &p->devices[i]);
		for (size_t i = 0; i < x->n_hostdevs; i++)
			specgen_device_json(&w, x, &x->hostdevs[i]);
		jw_arr_end(&w);
	}
	if (in->with_cgroup) {
		char cg[96];
		snprintf(cg, sizeof(cg), "cpod-%.64s", in->id);
		jw_kstr(&w, "cgroupsPath", cg);
		specgen_resources(&w, x);
	}
	if (p->n_sysctls) {
		jw_key(&w, "sysctl");
		jw_obj_begin(&w);
		for (size_t i = 0; i < p->n_sysctls; i++)
			jw_kstr(&w, p->sysctls[i].key, p->sysctls[i].value);
		jw_obj_end(&w);
	}
	if (x->seccomp) {
		json_doc *sd = json_parse(x->seccomp, strlen(x->seccomp), NULL, err);
		if (!sd)
			return -1;
		jw_key(&w, "seccomp");
		jw_value(&w, json_root(sd));
		json_doc_free(sd);
	}
	specgen_paths(&w, x);
	jw_obj_end(&w);
	jw_obj_end(&w);
	if (jw_finish(&w, err) < 0)
		return -1;
	return buf_putc(b, '\n', err);
}

/* ---------------------------------------------------------------- the summary */

static const char *specgen_propagation(const options_mount *m)
{
	return m->propagation ? m->propagation : "rprivate";
}

static void specgen_summary_mounts(json_w *w, specgen_ctx *x)
{
	jw_key(w, "Mounts");
	jw_arr_begin(w);
	for (size_t i = 0; i < x->n_mounts; i++) {
		const options_mount *m = &x->mounts[i];
		specgen_vol *v = NULL;
		for (size_t k = 0; k < x->n_vols && !v; k++)
			if (x->vols[k].m == m)
				v = &x->vols[k];
		if (m->kind == OPTIONS_TMPFS && strcmp(m->flag, "--tmpfs") == 0)
			continue; /* podman shows those in HostConfig.Tmpfs only */
		jw_obj_begin(w);
		if (m->kind == OPTIONS_VOLUME && v) {
			jw_kstr(w, "Type", "volume");
			jw_kstr(w, "Name", v->v.name);
			const char *dev = volume_bind_device(&v->v);
			jw_kstr(w, "Source", dev ? dev : v->v.mountpoint);
			jw_kstr(w, "Driver", "local");
		} else {
			jw_kstr(w, "Type", m->kind == OPTIONS_BIND ? "bind" : "tmpfs");
			jw_kstr(w, "Source", m->kind == OPTIONS_BIND ? m->source : "tmpfs");
		}
		jw_kstr(w, "Destination", m->dest);
		jw_kstr(w, "Mode", "");
		jw_key(w, "Options");
		jw_arr_begin(w);
		if (m->kind != OPTIONS_TMPFS)
			jw_str(w, m->nonrecursive ? "bind" : "rbind");
		for (size_t k = 0; k < m->n_opts; k++)
			jw_str(w, m->opts[k]);
		jw_arr_end(w);
		jw_kbool(w, "RW", !m->ro);
		jw_kstr(w, "Propagation", m->kind == OPTIONS_TMPFS ? "" : specgen_propagation(m));
		if (m->kind == OPTIONS_VOLUME && v)
			jw_kbool(w, "Anonymous", v->v.anonymous);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void specgen_kv_strs(json_w *w, const char *key, const char *const *v)
{
	jw_key(w, key);
	jw_arr_begin(w);
	for (size_t i = 0; v && v[i]; i++)
		jw_str(w, v[i]);
	jw_arr_end(w);
}

static void specgen_summary_host(json_w *w, specgen_ctx *x)
{
	const cpod_run_opts *r = x->r;
	const options_parsed *p = &x->p;
	jw_key(w, "HostConfig");
	jw_obj_begin(w);
	jw_key(w, "Binds");
	jw_arr_begin(w);
	for (size_t i = 0; i < x->n_mounts; i++) {
		const options_mount *m = &x->mounts[i];
		char line[PATH_MAX * 2 + 300];
		const char *src = m->source;
		if (m->kind == OPTIONS_TMPFS)
			continue;
		for (size_t k = 0; k < x->n_vols; k++)
			if (x->vols[k].m == m)
				src = x->vols[k].v.name;
		snprintf(line, sizeof(line), "%s:%s:%s,%s,%s", src ? src : "", m->dest,
			 m->ro ? "ro" : "rw", specgen_propagation(m), m->nonrecursive ? "bind" : "rbind");
		jw_str(w, line);
	}
	jw_arr_end(w);
	jw_kstr(w, "NetworkMode", x->in->net_mode ? x->in->net_mode
				  : p->net_mode == OPTIONS_NET_HOST ? "host"
				  : p->net_mode == OPTIONS_NET_NONE ? "none"
				  : p->net_mode == OPTIONS_NET_NAMED && p->n_net_names ? p->net_names[0]
				  : "usernet");
	jw_key(w, "PortBindings");
	jw_obj_begin(w);
	for (size_t i = 0; i < p->n_ports; i++)
		for (unsigned k = 0; k < p->ports[i].range; k++) {
			char key[32], hp[16] = "";
			snprintf(key, sizeof(key), "%u/%s", p->ports[i].ctr_port + k, p->ports[i].proto);
			if (p->ports[i].host_port)
				snprintf(hp, sizeof(hp), "%u", p->ports[i].host_port + k);
			jw_key(w, key);
			jw_arr_begin(w);
			jw_obj_begin(w);
			jw_kstr(w, "HostIp", p->ports[i].host_ip);
			jw_kstr(w, "HostPort", hp);
			jw_obj_end(w);
			jw_arr_end(w);
		}
	jw_obj_end(w);
	jw_kbool(w, "PublishAllPorts", r->publish_all);
	jw_kint(w, "Memory", p->memory);
	jw_kint(w, "MemorySwap", p->memory_swap);
	jw_kint(w, "MemoryReservation", p->memory_reservation);
	jw_kint(w, "NanoCpus", p->cpu_quota * 10000);
	jw_kint(w, "CpuPeriod", (int64_t)p->cpu_period);
	jw_kint(w, "CpuQuota", p->cpu_quota);
	jw_key(w, "CpuShares");
	jw_uint(w, p->cpu_shares);
	jw_kstr(w, "CpusetCpus", p->cpuset_cpus ? p->cpuset_cpus : "");
	jw_kint(w, "PidsLimit", p->pids_set ? (p->pids_limit < 0 ? 0 : p->pids_limit)
				: x->in->with_cgroup ? 2048 : 0);
	specgen_kv_strs(w, "CapAdd", r->cap_add);
	specgen_kv_strs(w, "CapDrop", r->cap_drop);
	jw_kbool(w, "Privileged", p->privileged);
	jw_kbool(w, "ReadonlyRootfs", r->read_only);
	jw_kbool(w, "ReadonlyTmpfs", r->read_only && r->read_only_tmpfs != 0);
	specgen_kv_strs(w, "SecurityOpt", r->security_opts);
	jw_key(w, "Ulimits");
	jw_arr_begin(w);
	for (size_t i = 0; i < p->n_ulimits; i++) {
		jw_obj_begin(w);
		jw_kstr(w, "Name", p->ulimits[i].name);
		jw_key(w, "Soft");
		jw_uint(w, p->ulimits[i].soft);
		jw_key(w, "Hard");
		jw_uint(w, p->ulimits[i].hard);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_key(w, "Devices");
	jw_arr_begin(w);
	for (size_t i = 0; i < p->n_devices; i++) {
		jw_obj_begin(w);
		jw_kstr(w, "PathOnHost", p->devices[i].host);
		jw_kstr(w, "PathInContainer", p->devices[i].ctr);
		jw_kstr(w, "CgroupPermissions", p->devices[i].perms);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_key(w, "Tmpfs");
	jw_obj_begin(w);
	for (size_t i = 0; r->tmpfs && r->tmpfs[i]; i++) {
		const char *c = strchr(r->tmpfs[i], ':');
		char dest[PATH_MAX];
		snprintf(dest, sizeof(dest), "%.*s", c ? (int)(c - r->tmpfs[i]) : (int)strlen(r->tmpfs[i]),
			 r->tmpfs[i]);
		jw_kstr(w, dest, c ? c + 1 : "");
	}
	jw_obj_end(w);
	jw_kint(w, "ShmSize", p->shm_size);
	jw_key(w, "RestartPolicy");
	jw_obj_begin(w);
	jw_kstr(w, "Name", r->restart && *r->restart ? options_restart_name(x->lc.restart) : "");
	jw_kint(w, "MaximumRetryCount", x->lc.max_retries);
	jw_obj_end(w);
	jw_kbool(w, "AutoRemove", r->rm);
	jw_key(w, "LogConfig");
	jw_obj_begin(w);
	jw_kstr(w, "Type", x->lc.log_none ? "none" : "k8s-file");
	jw_key(w, "Config");
	jw_obj_begin(w);
	for (size_t i = 0; i < p->n_log_opts; i++)
		jw_kstr(w, p->log_opts[i].key, p->log_opts[i].value);
	jw_obj_end(w);
	jw_obj_end(w);
	jw_kint(w, "OomScoreAdj", p->has_oom_score_adj ? p->oom_score_adj : 0);
	jw_key(w, "Sysctls");
	jw_obj_begin(w);
	for (size_t i = 0; i < p->n_sysctls; i++)
		jw_kstr(w, p->sysctls[i].key, p->sysctls[i].value);
	jw_obj_end(w);
	specgen_kv_strs(w, "ExtraHosts", r->add_hosts);
	specgen_kv_strs(w, "Dns", r->dns);
	specgen_kv_strs(w, "DnsSearch", r->dns_search);
	specgen_kv_strs(w, "DnsOptions", r->dns_options);
	specgen_kv_strs(w, "GroupAdd", r->group_add);
	jw_kbool(w, "Init", r->init);
	jw_kstr(w, "UsernsMode", p->userns == OPTIONS_USERNS_HOST ? "host"
				 : p->userns == OPTIONS_USERNS_KEEP_ID ? "keep-id"
				 : p->userns == OPTIONS_USERNS_AUTO ? "auto" : "");
	jw_obj_end(w);
}

static void specgen_summary_config(json_w *w, specgen_ctx *x)
{
	const image_config *cfg = x->in->cfg;
	jw_key(w, "Config");
	jw_obj_begin(w);
	jw_key(w, "Labels");
	jw_obj_begin(w);
	for (size_t i = 0; i < json_len(cfg->labels); i++) {
		const json_member *m = &cfg->labels->u.obj.members[i];
		bool over = false;
		for (size_t k = 0; k < x->p.n_labels && !over; k++)
			over = strcmp(x->p.labels[k].key, m->key) == 0;
		if (!over && json_string(m->value))
			jw_kstr(w, m->key, json_string(m->value));
	}
	for (size_t i = 0; i < x->p.n_labels; i++)
		jw_kstr(w, x->p.labels[i].key, x->p.labels[i].value);
	jw_obj_end(w);
	jw_kstr(w, "StopSignal", options_signal_name(x->lc.stop_signal));
	jw_kint(w, "StopTimeout", x->lc.stop_timeout);
	jw_kint(w, "Timeout", x->lc.timeout);
	if (x->lc.health_cmd) {
		jw_key(w, "Healthcheck");
		options_health_write(w, &x->lc);
	}
	jw_obj_end(w);
}

static int specgen_summary(specgen_ctx *x, buf *b, cpod_err *err)
{
	json_w w;
	jw_init(&w, b, NULL);
	jw_obj_begin(&w);
	specgen_summary_mounts(&w, x);
	specgen_summary_host(&w, x);
	specgen_summary_config(&w, x);
	jw_obj_end(&w);
	return jw_finish(&w, err);
}

/* ---------------------------------------------------------------- building */

static void specgen_ctx_free(specgen_ctx *x)
{
	for (size_t i = 0; i < x->n_vols; i++)
		volume_rec_free(&x->vols[i].v);
	free(x->seccomp);
	life_free(&x->lc);
	options_parsed_free(&x->p);
	pool_free(&x->pool);
}

/* Everything that can be wrong with the options, found before anything
 * is made. */
static int specgen_check(specgen_ctx *x, cpod_err *err)
{
	const specgen_in *in = x->in;
	const cpod_run_opts *r = x->r;
	if (options_parse(r, &x->p, err) < 0 || options_lifecycle(r, in->cfg, &x->lc, err) < 0)
		return -1;
	if (specgen_args(r, in->cfg, &x->args, &x->nargs, &x->pool, err) < 0)
		return -1;
	if (r->hostname && *r->hostname)
		snprintf(x->hostname, sizeof(x->hostname), "%s", r->hostname);
	else
		snprintf(x->hostname, sizeof(x->hostname), "%.12s", in->id);
	if (r->init && initproc_exe_path(x->init_exe, sizeof(x->init_exe), err) < 0)
		return -1;
	if (x->p.userns == OPTIONS_USERNS_AUTO)
		/* the maps are made (specgen_userns), but the runtime reaches the
		 * root file system as the container's root: an id range that owns
		 * nothing of the store.  It needs idmapped mounts, or the rootfs
		 * mounted before the user namespace is entered. */
		return err_set(err, CPOD_E_UNSUPPORTED,
			       "--userns %s: not supported yet (the container's root would not own "
			       "its root file system: idmapped mounts are needed)", r->userns);
	if (specgen_userns(x, err) < 0 || specgen_user(x, err) < 0)
		return -1;
	if (specgen_image_volumes(x, err) < 0 || specgen_volumes_check(x, err) < 0)
		return -1;
	if (specgen_seccomp(x, err) < 0)
		return -1;
	if (x->p.privileged && specgen_host_devices(x, "/dev", 0, err) < 0)
		return -1;
	if (!in->with_cgroup && specgen_has_limits(&x->p))
		log_warn("resource limits are ignored: the container has no cgroup of its own "
			 "(rootless on a host without cgroup v2 delegation)");
	return 0;
}

CPOD_INTERNAL char *specgen_build(const specgen_in *in, cpod_err *err)
{
	specgen_ctx x;
	buf b = BUF_INIT;
	char *out = NULL;

	memset(&x, 0, sizeof(x));
	x.in = in;
	x.r = in->run;
	if (specgen_check(&x, err) < 0)
		goto done;
	/* from here on, things are made: volumes */
	if (specgen_volumes_make(&x, err) < 0)
		goto fail;
	if (specgen_defaults(&x, err) < 0)
		goto fail;
	for (size_t i = 0; i < x.n_mounts; i++) {
		specgen_vol *v = NULL;
		for (size_t k = 0; k < x.n_vols && !v; k++)
			if (x.vols[k].m == &x.mounts[i])
				v = &x.vols[k];
		if (specgen_user_mount_out(&x, &x.mounts[i], v, err) < 0)
			goto fail;
	}
	specgen_sort_mounts(&x);
	if (specgen_config(&x, &b, err) < 0)
		goto fail;
	if (in->summary) {
		buf_reset(in->summary);
		if (specgen_summary(&x, in->summary, err) < 0)
			goto fail;
	}
	out = buf_take(&b, err);
	if (!out)
		goto fail;
	goto done;
fail:
	specgen_volumes_rollback(&x);
done:
	buf_free(&b);
	specgen_ctx_free(&x);
	return out;
}
