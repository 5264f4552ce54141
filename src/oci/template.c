/*
 * template.c — `spec` and `features`: the default config.json a user starts
 * from (runc's, with cpod's hostname), its rootless variant, and the
 * runtime-spec features document describing what this runtime supports.
 */
#include "caps.h"
#include "seccomp.h"
#include "cgroup.h"

static void tpl_strs(json_w *w, const char *key, const char *const *v, size_t n)
{
	jw_key(w, key);
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++)
		jw_str(w, v[i]);
	jw_arr_end(w);
}

static void tpl_mount(json_w *w, const char *dest, const char *type, const char *src,
		      const char *const *opts, size_t n)
{
	jw_obj_begin(w);
	jw_kstr(w, "destination", dest);
	jw_kstr(w, "type", type);
	jw_kstr(w, "source", src);
	if (n)
		tpl_strs(w, "options", opts, n);
	jw_obj_end(w);
}

#define STRS(w, key, ...)                                                      \
	do {                                                                   \
		static const char *const v_[] = { __VA_ARGS__ };               \
		tpl_strs((w), (key), v_, ARRAY_LEN(v_));                       \
	} while (0)
#define MOUNT(w, d, t, s, ...)                                                 \
	do {                                                                   \
		static const char *const o_[] = { __VA_ARGS__ };               \
		tpl_mount((w), (d), (t), (s), o_, ARRAY_LEN(o_));              \
	} while (0)

char *cpod_runtime_spec_template(int rootless, cpod_err *err)
{
	buf b = BUF_INIT;
	json_w w;
	static const char *const caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" };

	jw_init(&w, &b, "\t");
	jw_obj_begin(&w);
	jw_kstr(&w, "ociVersion", CPOD_OCI_VERSION);
	jw_key(&w, "process");
	jw_obj_begin(&w);
	jw_kbool(&w, "terminal", true);
	jw_key(&w, "user");
	jw_obj_begin(&w);
	jw_kint(&w, "uid", 0);
	jw_kint(&w, "gid", 0);
	jw_obj_end(&w);
	STRS(&w, "args", "sh");
	STRS(&w, "env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	     "TERM=xterm");
	jw_kstr(&w, "cwd", "/");
	jw_key(&w, "capabilities");
	jw_obj_begin(&w);
	tpl_strs(&w, "bounding", caps, ARRAY_LEN(caps));
	tpl_strs(&w, "effective", caps, ARRAY_LEN(caps));
	tpl_strs(&w, "permitted", caps, ARRAY_LEN(caps));
	tpl_strs(&w, "ambient", caps, ARRAY_LEN(caps));
	jw_obj_end(&w);
	jw_key(&w, "rlimits");
	jw_arr_begin(&w);
	jw_obj_begin(&w);
	jw_kstr(&w, "type", "RLIMIT_NOFILE");
	jw_kint(&w, "hard", 1024);
	jw_kint(&w, "soft", 1024);
	jw_obj_end(&w);
	jw_arr_end(&w);
	jw_kbool(&w, "noNewPrivileges", true);
	jw_obj_end(&w);

	jw_key(&w, "root");
	jw_obj_begin(&w);
	jw_kstr(&w, "path", "rootfs");
	jw_kbool(&w, "readonly", true);
	jw_obj_end(&w);
	jw_kstr(&w, "hostname", "cpod");

	jw_key(&w, "mounts");
	jw_arr_begin(&w);
	tpl_mount(&w, "/proc", "proc", "proc", NULL, 0);
	MOUNT(&w, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
	if (rootless)
		MOUNT(&w, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance",
		      "ptmxmode=0666", "mode=0620");
	else
		MOUNT(&w, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance",
		      "ptmxmode=0666", "mode=0620", "gid=5");
	MOUNT(&w, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
	MOUNT(&w, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
	if (rootless) {
		MOUNT(&w, "/sys", "none", "/sys", "rbind", "nosuid", "noexec", "nodev", "ro");
	} else {
		MOUNT(&w, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
		MOUNT(&w, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro");
	}
	jw_arr_end(&w);

	jw_key(&w, "linux");
	jw_obj_begin(&w);
	if (rootless) {
		for (int i = 0; i < 2; i++) {
			jw_key(&w, i == 0 ? "uidMappings" : "gidMappings");
			jw_arr_begin(&w);
			jw_obj_begin(&w);
			jw_kint(&w, "containerID", 0);
			jw_kint(&w, "hostID", i == 0 ? geteuid() : getegid());
			jw_kint(&w, "size", 1);
			jw_obj_end(&w);
			jw_arr_end(&w);
		}
	} else {
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
	jw_key(&w, "namespaces");
	jw_arr_begin(&w);
	static const char *const ns[] = { "pid", "network", "ipc", "uts", "mount", "cgroup" };
	static const char *const ns_rootless[] = { "pid", "ipc", "uts", "mount", "user" };
	const char *const *list = rootless ? ns_rootless : ns;
	size_t n = rootless ? ARRAY_LEN(ns_rootless) : ARRAY_LEN(ns);
	for (size_t i = 0; i < n; i++) {
		jw_obj_begin(&w);
		jw_kstr(&w, "type", list[i]);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	STRS(&w, "maskedPaths", "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
	     "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	     "/sys/firmware", "/proc/scsi");
	STRS(&w, "readonlyPaths", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
	     "/proc/sysrq-trigger");
	jw_obj_end(&w);
	jw_obj_end(&w);
	if (jw_finish(&w, err) < 0) {
		buf_free(&b);
		return NULL;
	}
	buf_putc(&b, '\n', NULL);
	return buf_take(&b, err);
}

char *cpod_runtime_features(cpod_err *err)
{
	buf b = BUF_INIT;
	json_w w;

	jw_init(&w, &b, "    ");
	jw_obj_begin(&w);
	jw_kstr(&w, "ociVersionMin", "1.0.0");
	jw_kstr(&w, "ociVersionMax", CPOD_OCI_VERSION);
	STRS(&w, "hooks", "prestart", "createRuntime", "createContainer", "startContainer",
	     "poststart", "poststop");
	STRS(&w, "mountOptions", "async", "atime", "bind", "dev", "diratime", "dirsync", "exec",
	     "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "nomand", "norelatime",
	     "nostrictatime", "nosuid", "nosymfollow", "private", "ratime", "rbind", "rdev",
	     "rdiratime", "relatime", "remount", "rexec", "rnoatime", "rnodev", "rnodiratime",
	     "rnoexec", "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow", "ro",
	     "rprivate", "rrelatime", "rro", "rrw", "rshared", "rslave", "rstrictatime", "rsuid",
	     "rsymfollow", "runbindable", "rw", "shared", "silent", "slave", "strictatime", "suid",
	     "symfollow", "sync", "tmpcopyup", "unbindable");
	jw_key(&w, "linux");
	jw_obj_begin(&w);
	STRS(&w, "namespaces", "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts");
	jw_key(&w, "capabilities");
	jw_arr_begin(&w);
	for (int c = 0; c <= caps_last() && caps_name(c); c++)
		jw_str(&w, caps_name(c));
	jw_arr_end(&w);
	jw_key(&w, "cgroup");
	jw_obj_begin(&w);
	jw_kbool(&w, "v1", true);
	jw_kbool(&w, "v2", true);
	jw_kbool(&w, "systemd", false);
	jw_kbool(&w, "systemdUser", false);
	jw_kbool(&w, "rdma", false);
	jw_obj_end(&w);
	jw_key(&w, "seccomp");
	seccomp_features(&w);
	jw_key(&w, "apparmor");
	jw_obj_begin(&w);
	jw_kbool(&w, "enabled", false);
	jw_obj_end(&w);
	jw_key(&w, "selinux");
	jw_obj_begin(&w);
	jw_kbool(&w, "enabled", false);
	jw_obj_end(&w);
	jw_key(&w, "intelRdt");
	jw_obj_begin(&w);
	jw_kbool(&w, "enabled", false);
	jw_obj_end(&w);
	jw_obj_end(&w);
	jw_key(&w, "annotations");
	jw_obj_begin(&w);
	jw_kstr(&w, "io.github.cpod.version", CPOD_VERSION);
	jw_obj_end(&w);
	jw_obj_end(&w);
	if (jw_finish(&w, err) < 0) {
		buf_free(&b);
		return NULL;
	}
	buf_putc(&b, '\n', NULL);
	return buf_take(&b, err);
}
