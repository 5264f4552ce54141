/*
 * specgen.c — building a container's OCI config (see specgen.h).
 *
 * What podman 4 gives a container by default, and so what cpod gives: its
 * eleven default capabilities, its seccomp profile (evaluated for those
 * capabilities), masked and read-only /proc and /sys paths, a private
 * /dev with /dev/shm of 64 MiB, generated /etc/hosts, /etc/hostname and
 * /etc/resolv.conf, pid/ipc/uts/mount namespaces (a user namespace when
 * rootless, mapping the user to root and the subordinate ids after it), and
 * a hostname that is the start of the container id.
 */
#include "specgen.h"
#include "../oci/caps.h"
#include "../oci/seccomp.h"
#include "../base/fs.h"

static const char *const specgen_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
	"CAP_SYS_CHROOT",
};

CPOD_INTERNAL uint64_t specgen_default_caps(void)
{
	uint64_t m = 0;
	for (size_t i = 0; i < ARRAY_LEN(specgen_caps); i++)
		m |= UINT64_C(1) << caps_from_name(specgen_caps[i]);
	return m;
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

static bool specgen_env_has(const char *const *env, size_t n, const char *kv)
{
	size_t k = strcspn(kv, "=");
	for (size_t i = 0; i < n; i++)
		if (env[i] && strncmp(env[i], kv, k) == 0 && env[i][k] == '=')
			return true;
	return false;
}

/* Environment: defaults, then the image's, then -e (later wins). */
static void specgen_env(json_w *w, const specgen_in *in, const char *hostname, mem_pool *pool)
{
	const char *list[512];
	size_t n = 0;
	char host[300], home[PATH_MAX + 8];

	/* newest first, so the first of a name wins when writing */
	for (size_t i = 0; in->run->env && in->run->env[i] && n < 200; i++) {
		const char *e = in->run->env[i];
		if (!strchr(e, '=')) {
			/* "-e NAME": from our environment, when we have it */
			const char *v = getenv(e);
			if (!v)
				continue;
			char *kv = pool_alloc(pool, strlen(e) + strlen(v) + 2, NULL);
			if (!kv)
				continue;
			sprintf(kv, "%s=%s", e, v);
			e = kv;
		}
		list[n++] = e;
	}
	for (size_t i = in->cfg->n_env; i-- > 0 && n < 400;)
		list[n++] = in->cfg->env[i];
	snprintf(host, sizeof(host), "HOSTNAME=%s", hostname);
	snprintf(home, sizeof(home), "HOME=%s", in->user->home);
	list[n++] = host;
	list[n++] = home;
	list[n++] = "container=cpod";
	if (in->run->tty)
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
}

static void specgen_strs(json_w *w, const char *key, const char *const *v, size_t n)
{
	jw_key(w, key);
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++)
		jw_str(w, v[i]);
	jw_arr_end(w);
}

static void specgen_mount(json_w *w, const char *dest, const char *type, const char *src,
			  const char *const *opts, size_t n)
{
	jw_obj_begin(w);
	jw_kstr(w, "destination", dest);
	jw_kstr(w, "type", type);
	jw_kstr(w, "source", src);
	specgen_strs(w, "options", opts, n);
	jw_obj_end(w);
}

#define SG_MOUNT(w, d, t, s, ...)                                              \
	do {                                                                   \
		static const char *const o_[] = { __VA_ARGS__ };               \
		specgen_mount((w), (d), (t), (s), o_, ARRAY_LEN(o_));          \
	} while (0)

/* -v HOST:CTR[:OPTS] */
static int specgen_volume(json_w *w, const char *spec, cpod_err *err)
{
	char copy[PATH_MAX * 2 + 64];
	if (strlen(spec) >= sizeof(copy))
		return err_set(err, CPOD_E_INVALID, "-v %s: too long", spec);
	strcpy(copy, spec);
	char *host = copy, *ctr = strchr(copy, ':'), *opts = NULL;
	if (!ctr)
		return err_set(err, CPOD_E_INVALID,
			       "-v %s: HOST:CONTAINER[:OPTIONS] expected (named volumes come later)", spec);
	*ctr++ = '\0';
	opts = strchr(ctr, ':');
	if (opts)
		*opts++ = '\0';
	if (host[0] != '/')
		return err_set(err, CPOD_E_UNSUPPORTED, "-v %s: named volumes are not supported yet", spec);
	if (ctr[0] != '/')
		return err_set(err, CPOD_E_INVALID, "-v %s: the container path must be absolute", spec);
	struct stat st;
	if (stat(host, &st) < 0)
		return err_sys(err, "-v %s: statfs %s", spec, host);
	const char *o[8];
	size_t n = 0;
	o[n++] = "rbind";
	bool ro = false;
	for (char *t = opts ? strtok(opts, ",") : NULL; t; t = strtok(NULL, ",")) {
		if (strcmp(t, "ro") == 0)
			ro = true;
		else if (strcmp(t, "rw") == 0)
			ro = false;
		else if (strcmp(t, "z") == 0 || strcmp(t, "Z") == 0)
			continue; /* SELinux labels: nothing to do without SELinux */
		else if (strcmp(t, "private") == 0 || strcmp(t, "rprivate") == 0 || strcmp(t, "shared") == 0 ||
			 strcmp(t, "rshared") == 0 || strcmp(t, "slave") == 0 || strcmp(t, "rslave") == 0)
			o[n++] = t; /* points into copy: written below, before copy goes */
		else
			return err_set(err, CPOD_E_INVALID, "-v %s: unknown option \"%s\"", spec, t);
		if (n >= 6)
			break;
	}
	if (n == 1)
		o[n++] = "rprivate";
	o[n++] = ro ? "ro" : "rw";
	specgen_mount(w, ctr, "bind", host, o, n);
	return 0;
}

/* --tmpfs /PATH[:OPTS] */
static int specgen_tmpfs(json_w *w, const char *spec, cpod_err *err)
{
	char copy[PATH_MAX];
	if (strlen(spec) >= sizeof(copy))
		return err_set(err, CPOD_E_INVALID, "--tmpfs %s: too long", spec);
	strcpy(copy, spec);
	char *opts = strchr(copy, ':');
	if (opts)
		*opts++ = '\0';
	if (copy[0] != '/')
		return err_set(err, CPOD_E_INVALID, "--tmpfs %s: the path must be absolute", spec);
	const char *o[32];
	size_t n = 0;
	bool has_mode = false;
	o[n++] = "rw";
	o[n++] = "noexec";
	o[n++] = "nosuid";
	o[n++] = "nodev";
	for (char *t = opts ? strtok(opts, ",") : NULL; t && n < ARRAY_LEN(o); t = strtok(NULL, ","))  {
		if (strncmp(t, "mode=", 5) == 0)
			has_mode = true;
		o[n++] = t;
	}
	if (!has_mode && n < ARRAY_LEN(o))
		o[n++] = "mode=1777";
	specgen_mount(w, copy, "tmpfs", "tmpfs", o, n);
	return 0;
}

/* Whether -v or --tmpfs put something at dest already. */
static bool specgen_user_mount(const cpod_run_opts *r, const char *dest)
{
	size_t n = strlen(dest);
	for (size_t i = 0; r->tmpfs && r->tmpfs[i]; i++)
		if (strncmp(r->tmpfs[i], dest, n) == 0 && (!r->tmpfs[i][n] || r->tmpfs[i][n] == ':'))
			return true;
	for (size_t i = 0; r->volumes && r->volumes[i]; i++) {
		const char *c = strchr(r->volumes[i], ':');
		if (c && strncmp(c + 1, dest, n) == 0 && (!c[1 + n] || c[1 + n] == ':'))
			return true;
	}
	return false;
}

/* /etc/subuid (or CPOD_SUBUID) range of the user, for rootless maps. */
static bool specgen_subid(const char *file, uint32_t id, uint32_t *start, uint32_t *count)
{
	_cleanup_buf_ buf b = BUF_INIT;
	char name[256] = "";
	if (fs_read_file(AT_FDCWD, file, 1u << 20, &b, NULL) < 0)
		return false;
	/* the user's name, from the host's passwd, if it has one */
	_cleanup_buf_ buf pw = BUF_INIT;
	if (fs_read_file(AT_FDCWD, "/etc/passwd", 4u << 20, &pw, NULL) == 0) {
		for (char *l = strtok(pw.data, "\n"); l; l = strtok(NULL, "\n")) {
			char *f[7] = { 0 };
			size_t k = 0;
			f[k++] = l;
			for (char *p = l; *p && k < 7; p++)
				if (*p == ':') {
					*p = '\0';
					f[k++] = p + 1;
				}
			if (k >= 3 && strtoul(f[2], NULL, 10) == id) {
				snprintf(name, sizeof(name), "%s", f[0]);
				break;
			}
		}
	}
	for (char *l = strtok(b.data, "\n"); l; l = strtok(NULL, "\n")) {
		char who[256];
		unsigned long s, c;
		if (sscanf(l, "%255[^:]:%lu:%lu", who, &s, &c) != 3 || c == 0 || s > UINT32_MAX ||
		    c > UINT32_MAX)
			continue;
		if (strcmp(who, name) == 0 || strtoul(who, NULL, 10) == id) {
			*start = (uint32_t)s;
			*count = (uint32_t)c;
			return true;
		}
	}
	return false;
}

static void specgen_idmap(json_w *w, const char *key, uint32_t self, const char *file)
{
	uint32_t start, count;
	jw_key(w, key);
	jw_arr_begin(w);
	jw_obj_begin(w);
	jw_kint(w, "containerID", 0);
	jw_kint(w, "hostID", self);
	jw_kint(w, "size", 1);
	jw_obj_end(w);
	if (specgen_subid(file, self, &start, &count) && access("/usr/bin/newuidmap", X_OK) == 0) {
		jw_obj_begin(w);
		jw_kint(w, "containerID", 1);
		jw_kint(w, "hostID", start);
		jw_kint(w, "size", count > 65536 ? 65536 : count);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

CPOD_INTERNAL char *specgen_build(const specgen_in *in, cpod_err *err)
{
	const cpod_run_opts *r = in->run;
	mem_pool pool = { 0 };
	buf b = BUF_INIT;
	json_w w;
	const char **args;
	size_t nargs;
	char hostname[72];
	bool host_net = r->network && strcmp(r->network, "host") == 0;
	char path[PATH_MAX];
	char *seccomp = NULL;

	if (r->network && !host_net && strcmp(r->network, "none") != 0) {
		err_set(err, CPOD_E_UNSUPPORTED, "--network %s: only none and host for now", r->network);
		return NULL;
	}
	if (specgen_args(r, in->cfg, &args, &nargs, &pool, err) < 0)
		goto fail;
	if (r->hostname && *r->hostname)
		snprintf(hostname, sizeof(hostname), "%s", r->hostname);
	else
		snprintf(hostname, sizeof(hostname), "%.12s", in->id);

	/* capabilities: podman's set; a non-root user keeps only the bounding set */
	uint64_t caps = specgen_default_caps();
	seccomp = seccomp_profile_to_oci(seccomp_default_profile_json(), caps, manifest_host_platform().architecture, err);
	if (!seccomp)
		goto fail;

	jw_init(&w, &b, "\t");
	jw_obj_begin(&w);
	jw_kstr(&w, "ociVersion", CPOD_OCI_VERSION);

	jw_key(&w, "process");
	jw_obj_begin(&w);
	jw_kbool(&w, "terminal", r->tty);
	jw_key(&w, "user");
	jw_obj_begin(&w);
	jw_kint(&w, "uid", in->user->uid);
	jw_kint(&w, "gid", in->user->gid);
	if (in->user->n_gids) {
		jw_key(&w, "additionalGids");
		jw_arr_begin(&w);
		for (size_t i = 0; i < in->user->n_gids; i++)
			jw_int(&w, in->user->gids[i]);
		jw_arr_end(&w);
	}
	jw_obj_end(&w);
	specgen_strs(&w, "args", args, nargs);
	specgen_env(&w, in, hostname, &pool);
	jw_kstr(&w, "cwd", r->workdir && *r->workdir ? r->workdir
			   : in->cfg->working_dir && *in->cfg->working_dir ? in->cfg->working_dir : "/");
	jw_key(&w, "capabilities");
	jw_obj_begin(&w);
	specgen_strs(&w, "bounding", specgen_caps, ARRAY_LEN(specgen_caps));
	if (in->user->uid == 0) {
		specgen_strs(&w, "effective", specgen_caps, ARRAY_LEN(specgen_caps));
		specgen_strs(&w, "permitted", specgen_caps, ARRAY_LEN(specgen_caps));
	} else {
		specgen_strs(&w, "effective", NULL, 0);
		specgen_strs(&w, "permitted", NULL, 0);
	}
	jw_obj_end(&w);
	jw_kbool(&w, "noNewPrivileges", false);
	jw_obj_end(&w);

	jw_key(&w, "root");
	jw_obj_begin(&w);
	jw_kstr(&w, "path", in->rootfs);
	jw_kbool(&w, "readonly", r->read_only);
	jw_obj_end(&w);
	jw_kstr(&w, "hostname", hostname);

	jw_key(&w, "mounts");
	jw_arr_begin(&w);
	SG_MOUNT(&w, "/proc", "proc", "proc", "nosuid", "noexec", "nodev");
	SG_MOUNT(&w, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
	if (in->rootless)
		SG_MOUNT(&w, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance",
			 "ptmxmode=0666", "mode=0620");
	else
		SG_MOUNT(&w, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance",
			 "ptmxmode=0666", "mode=0620", "gid=5");
	SG_MOUNT(&w, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
	if (host_net && in->rootless)
		SG_MOUNT(&w, "/sys", "bind", "/sys", "rbind", "nosuid", "noexec", "nodev", "ro");
	else
		SG_MOUNT(&w, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
	SG_MOUNT(&w, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro");
	SG_MOUNT(&w, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536000");
	static const char *const etc[] = { "hosts", "hostname", "resolv.conf" };
	for (size_t i = 0; i < ARRAY_LEN(etc); i++) {
		char dest[32];
		snprintf(dest, sizeof(dest), "/etc/%s", etc[i]);
		if (fs_join(path, sizeof(path), in->files_dir, etc[i], err) < 0)
			goto fail;
		SG_MOUNT(&w, dest, "bind", path, "rbind", "rprivate", "rw");
	}
	for (size_t i = 0; r->tmpfs && r->tmpfs[i]; i++)
		if (specgen_tmpfs(&w, r->tmpfs[i], err) < 0)
			goto fail;
	for (size_t i = 0; r->volumes && r->volumes[i]; i++)
		if (specgen_volume(&w, r->volumes[i], err) < 0)
			goto fail;
	/* podman's --read-only-tmpfs, on by default: a read-only root keeps
	 * writable /tmp, /var/tmp and /run */
	if (r->read_only) {
		static const char *const rw_dirs[] = { "/tmp", "/var/tmp", "/run" };
		for (size_t i = 0; i < ARRAY_LEN(rw_dirs); i++)
			if (!specgen_user_mount(r, rw_dirs[i]))
				SG_MOUNT(&w, rw_dirs[i], "tmpfs", "tmpfs", "rw", "rprivate", "nosuid", "nodev",
					 "tmpcopyup");
	}
	jw_arr_end(&w);

	jw_key(&w, "annotations");
	jw_obj_begin(&w);
	jw_kstr(&w, "io.container.manager", "cpod");
	jw_kstr(&w, "io.cpod.container.name", in->name);
	jw_obj_end(&w);

	jw_key(&w, "linux");
	jw_obj_begin(&w);
	if (in->rootless) {
		specgen_idmap(&w, "uidMappings", geteuid(), getenv("CPOD_SUBUID") ? getenv("CPOD_SUBUID") : "/etc/subuid");
		specgen_idmap(&w, "gidMappings", getegid(), getenv("CPOD_SUBGID") ? getenv("CPOD_SUBGID") : "/etc/subgid");
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
		if (!host_net)
			ns[n++] = "network";
		if (cg_detect() == CG_V2)
			ns[n++] = "cgroup";
		if (in->rootless)
			ns[n++] = "user";
		for (size_t i = 0; i < n; i++) {
			jw_obj_begin(&w);
			jw_kstr(&w, "type", ns[i]);
			jw_obj_end(&w);
		}
	}
	jw_arr_end(&w);
	if (in->with_cgroup) {
		char cg[96];
		snprintf(cg, sizeof(cg), "cpod-%.64s", in->id);
		jw_kstr(&w, "cgroupsPath", cg);
		jw_key(&w, "resources");
		jw_obj_begin(&w);
		jw_key(&w, "devices");
		jw_arr_begin(&w);
		jw_obj_begin(&w);
		jw_kbool(&w, "allow", false);
		jw_kstr(&w, "access", "rwm");
		jw_obj_end(&w);
		jw_arr_end(&w);
		jw_obj_end(&w);
	}
	{
		json_doc *sd = json_parse(seccomp, strlen(seccomp), NULL, err);
		if (!sd)
			goto fail;
		jw_key(&w, "seccomp");
		jw_value(&w, json_root(sd));
		json_doc_free(sd);
	}
	static const char *const masked[] = {
		"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
		"/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
		"/sys/fs/selinux", "/sys/dev/block",
	};
	static const char *const readonly[] = {
		"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	};
	specgen_strs(&w, "maskedPaths", masked, ARRAY_LEN(masked));
	specgen_strs(&w, "readonlyPaths", readonly, ARRAY_LEN(readonly));
	jw_obj_end(&w);
	jw_obj_end(&w);
	if (jw_finish(&w, err) < 0)
		goto fail;
	free(seccomp);
	pool_free(&pool);
	buf_putc(&b, '\n', NULL);
	return buf_take(&b, err);
fail:
	free(seccomp);
	pool_free(&pool);
	buf_free(&b);
	return NULL;
}
