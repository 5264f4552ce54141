/*
 * test_seccomp.c — compiling linux.seccomp, loading it in a forked child,
 * the errors for bad profiles, the default profile's conversion and
 * `features`.
 *
 * Filters are loaded only in children (a filter cannot be removed), which
 * set no_new_privs first and report through their exit status.
 */
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/mount.h>

static json_doc *seccomp_t_parse(const char *s)
{
	cpod_err err;
	return json_parse(s, strlen(s), NULL, &err);
}

static seccomp_filter *seccomp_t_compile(const char *json, cpod_err *err)
{
	_cleanup_json_ json_doc *d = json_parse(json, strlen(json), NULL, err);
	if (!d)
		return NULL;
	return seccomp_compile(json_root(d), err);
}

/* Forks; the child takes the capabilities caps (NULL: keeps its own), loads
 * f and returns fn()'s value as its exit status (100 + errno when loading
 * fails).  Returns the status, or -1. */
static int seccomp_t_run_caps(seccomp_filter *f, const oci_caps *caps, int (*fn)(void *),
			      void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		cpod_err err;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(99);
		/* a private mount namespace, so that a test of mount() that
		 * went wrong stays in the child */
		if (caps && (unshare(CLONE_NEWNS) < 0 ||
			     mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0))
			_exit(97);
		if (caps && (caps_apply_bounding(caps, &err) < 0 ||
			     caps_apply_sets(caps, &err) < 0))
			_exit(98);
		if (seccomp_load_filter(f, &err) < 0)
			_exit(100 + (err.errno_ & 0x7f));
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 200 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int seccomp_t_run(seccomp_filter *f, int (*fn)(void *), void *arg)
{
	return seccomp_t_run_caps(f, NULL, fn, arg);
}

static int seccomp_t_getcwd(void *arg)
{
	char b[PATH_MAX];
	(void)arg;
	return getcwd(b, sizeof(b)) ? 0 : errno;
}

TEST(seccomp_errno_rule)
{
	cpod_err err;
	seccomp_filter *f = seccomp_t_compile(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		"{\"names\":[\"getcwd\",\"no_such_syscall_at_all\"],\"action\":\"SCMP_ACT_ERRNO\","
		"\"errnoRet\":42}]}", &err);
	CHECK_MSG(f, "%s", err.msg);
	CHECK(!seccomp_filter_is_noop(f));
	CHECK(!seccomp_filter_has_notify(f));
	int st = seccomp_t_run(f, seccomp_t_getcwd, NULL);
	seccomp_filter_free(f);
	CHECK_MSG(st == 42, "child exit %d", st);
	/* without the filter getcwd works */
	char b[PATH_MAX];
	CHECK(getcwd(b, sizeof(b)));
}

static int seccomp_t_personality(void *arg)
{
	(void)arg;
	errno = 0;
	/* 0xffffffff only queries */
	if (personality(0xffffffff) != -1)
		return 1;
	int e1 = errno;
	if (personality(0xffffffff) != -1 || errno != e1)
		return 2;
	if (personality(PER_LINUX) == -1)
		return 3;
	return e1;
}

TEST(seccomp_args)
{
	cpod_err err;
	seccomp_filter *f = seccomp_t_compile(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"personality\"],"
		"\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":4294967295,"
		"\"valueTwo\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}", &err);
	CHECK_MSG(f, "%s", err.msg);
	int st = seccomp_t_run(f, seccomp_t_personality, NULL);
	seccomp_filter_free(f);
	CHECK_MSG(st == EPERM, "child exit %d", st);
}

static int seccomp_t_personality_or(void *arg)
{
	(void)arg;
	if (personality(0xffffffff) != -1 || errno != EACCES)
		return 1;
	if (personality(PER_LINUX32) != -1 || errno != EACCES)
		return 2;
	if (personality(PER_LINUX) == -1)
		return 3;
	return 0;
}

/* Two conditions on one index: runc makes one rule of each (OR). */
TEST(seccomp_args_same_index_split)
{
	cpod_err err;
	seccomp_filter *f = seccomp_t_compile(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"personality\"],"
		"\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13,\"args\":["
		"{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"},"
		"{\"index\":0,\"value\":4294967295,\"op\":\"SCMP_CMP_EQ\"}]}]}", &err);
	CHECK_MSG(f, "%s", err.msg);
	int st = seccomp_t_run(f, seccomp_t_personality_or, NULL);
	seccomp_filter_free(f);
	CHECK_MSG(st == 0, "child exit %d", st);
}

static int seccomp_t_getpid_then_getcwd(void *arg)
{
	(void)arg;
	if (getpid() <= 0)
		return 1;
	return seccomp_t_getcwd(NULL);
}

/* Default ERRNO, explicit allow list, and the flags and arches.  The memory
 * and signal-stack calls are for the ASan runtime of `make test-asan`. */
TEST(seccomp_default_errno_allow_list)
{
	cpod_err err;
	seccomp_filter *f = seccomp_t_compile(
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":77,"
#if defined(__x86_64__)
		"\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
#endif
		"\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\","
		"\"SECCOMP_FILTER_FLAG_TSYNC\"],"
		"\"syscalls\":[{\"names\":[\"getpid\",\"exit\",\"exit_group\",\"write\",\"mmap\","
		"\"munmap\",\"madvise\",\"mprotect\",\"brk\",\"futex\",\"sched_yield\","
		"\"sigaltstack\"],"
		"\"action\":\"SCMP_ACT_ALLOW\"},"
		"{\"names\":[\"close\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":77}]}", &err);
	CHECK_MSG(f, "%s", err.msg);
	int st = seccomp_t_run(f, seccomp_t_getpid_then_getcwd, NULL);
	seccomp_filter_free(f);
	CHECK_MSG(st == 77, "child exit %d", st);
}

TEST(seccomp_noop)
{
	cpod_err err;
	seccomp_filter *f = seccomp_t_compile(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		"{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ALLOW\"},"
		"{\"names\":[\"not_a_syscall\"],\"action\":\"SCMP_ACT_KILL\"}]}", &err);
	CHECK_MSG(f, "%s", err.msg);
	CHECK(seccomp_filter_is_noop(f));
	seccomp_filter_free(f);
	f = seccomp_t_compile("{\"defaultAction\":\"SCMP_ACT_LOG\"}", &err);
	CHECK_MSG(f, "%s", err.msg);
	CHECK(!seccomp_filter_is_noop(f));
	seccomp_filter_free(f);
}

TEST(seccomp_bad_input)
{
	static const struct {
		const char *json, *want;
	} cases[] = {
		{ "\"x\"", "linux.seccomp: must be an object" },
		{ "{}", "linux.seccomp.defaultAction: missing" },
		{ "{\"defaultAction\":\"SCMP_ACT_FOO\"}",
		  "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":1}",
		  "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO" },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":-1}",
		  "linux.seccomp.defaultErrnoRet: must be" },
		{ "{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}",
		  "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_VAX\"]}",
		  "linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_VAX\"" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":\"SCMP_ARCH_X86\"}",
		  "linux.seccomp.architectures: must be an array" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_X\"]}",
		  "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_X\"" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}",
		  "linux.seccomp.syscalls: must be an array" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[1]}",
		  "linux.seccomp.syscalls[0]: must be an object" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\","
		  "\"syscalls\":[{\"action\":\"SCMP_ACT_KILL\"}]}",
		  "linux.seccomp.syscalls[0].names: missing" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"]}]}",
		  "linux.seccomp.syscalls[0].action: missing" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\",3],"
		  "\"action\":\"SCMP_ACT_KILL\"}]}",
		  "linux.seccomp.syscalls[0].names[1]: must be a syscall name" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{},{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_KIL\"}]}",
		  "linux.seccomp.syscalls[0].names: missing" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_KIL\"}]}",
		  "linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_KIL\"" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_KILL\",\"errnoRet\":1}]}",
		  "linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_KILL\",\"args\":[{\"index\":0,\"value\":1,"
		  "\"op\":\"SCMP_CMP_ABOUT\"}]}]}",
		  "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ABOUT\"" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_KILL\",\"args\":[{\"index\":1,\"value\":1,"
		  "\"op\":\"SCMP_CMP_EQ\"},{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
		  "linux.seccomp.syscalls[0].args[1].index: 6 is out of range" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_KILL\","
		  "\"args\":[{\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
		  "linux.seccomp.syscalls[0].args[0].index: missing" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_KILL\",\"args\":[{\"index\":0,\"value\":-1,"
		  "\"op\":\"SCMP_CMP_EQ\"}]}]}",
		  "linux.seccomp.syscalls[0].args[0].value: must be a non-negative integer" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_KILL\",\"args\":[\"x\"]}]}",
		  "linux.seccomp.syscalls[0].args[0]: must be an object" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		  "linux.seccomp.syscalls[0].action: "
		  "SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/x.sock\","
		  "\"syscalls\":[{\"names\":[\"write\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		  "SCMP_ACT_NOTIFY cannot be used for write" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerMetadata\":\"m\"}",
		  "linux.seccomp.listenerMetadata: set without listenerPath" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		cpod_err err;
		cpod_err_clear(&err);
		seccomp_filter *f = seccomp_t_compile(cases[i].json, &err);
		if (f)
			seccomp_filter_free(f);
		CHECK_MSG(!f, "case %zu accepted: %s", i, cases[i].json);
		CHECK_MSG(err.code == CPOD_E_INVALID, "case %zu: code %d: %s", i, err.code,
			  err.msg);
		CHECK_MSG(strstr(err.msg, cases[i].want), "case %zu: \"%s\", want \"%s\"", i,
			  err.msg, cases[i].want);
	}
}

TEST(seccomp_rule_limit)
{
	_cleanup_buf_ buf b = BUF_INIT;
	cpod_err err;

	buf_puts(&b, "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[", NULL);
	for (int i = 0; i <= SECCOMP_MAX_RULES; i++)
		buf_puts(&b, i ? ",\"getcwd\"" : "\"getcwd\"", NULL);
	buf_puts(&b, "],\"action\":\"SCMP_ACT_KILL\"}]}", NULL);
	seccomp_filter *f = seccomp_t_compile(b.data, &err);
	if (f)
		seccomp_filter_free(f);
	CHECK(!f);
	CHECK_MSG(err.code == CPOD_E_LIMIT && strstr(err.msg, "4096"), "%s", err.msg);
}

/* ---------------------------------------------------------------- default profile */

static uint64_t seccomp_t_podman_caps(void)
{
	static const char *const names[] = {
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
		"CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
		"CAP_SETUID", "CAP_SYS_CHROOT",
	};
	uint64_t m = 0;
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		m |= 1ULL << caps_from_name(names[i]);
	return m;
}

/* Whether syscall name appears in an entry of the converted profile with
 * action act. */
static bool seccomp_t_listed(const json_value *sc, const char *name, const char *act)
{
	const json_value *calls = json_get(sc, "syscalls");
	for (size_t i = 0; i < json_len(calls); i++) {
		const json_value *c = json_at(calls, i), *names = json_get(c, "names");
		if (strcmp(json_string(json_get(c, "action")), act) != 0)
			continue;
		for (size_t k = 0; k < json_len(names); k++)
			if (strcmp(json_string(json_at(names, k)), name) == 0)
				return true;
	}
	return false;
}

TEST(seccomp_default_profile_embedded)
{
	const char *p = cpod_default_seccomp_profile();
	CHECK(p == seccomp_default_profile_json());
	CHECK(strlen(p) > 5000);
	json_doc *d = seccomp_t_parse(p);
	CHECK(d);
	CHECK_STR(json_string(json_get(json_root(d), "defaultAction")), "SCMP_ACT_ERRNO");
	CHECK(json_len(json_get(json_root(d), "archMap")) > 0);
	json_doc_free(d);
}

TEST(seccomp_profile_amd64)
{
	cpod_err err;
	char *oci = seccomp_profile_to_oci(cpod_default_seccomp_profile(),
					   seccomp_t_podman_caps(), "amd64", &err);
	CHECK_MSG(oci, "%s", err.msg);
	json_doc *d = seccomp_t_parse(oci);
	free(oci);
	CHECK(d);
	const json_value *r = json_root(d);
	int64_t v;
	CHECK_STR(json_string(json_get(r, "defaultAction")), "SCMP_ACT_ERRNO");
	CHECK(json_int64(json_get(r, "defaultErrnoRet"), &v) && v == 38);
	CHECK(json_len(json_get(r, "architectures")) == 3);
	CHECK_STR(json_string(json_at(json_get(r, "architectures"), 0)), "SCMP_ARCH_X86_64");
	CHECK_STR(json_string(json_at(json_get(r, "architectures"), 2)), "SCMP_ARCH_X32");
	CHECK(!json_get(r, "archMap"));
	CHECK(seccomp_t_listed(r, "getpid", "SCMP_ACT_ALLOW"));
	CHECK(seccomp_t_listed(r, "arch_prctl", "SCMP_ACT_ALLOW"));      /* amd64 only */
	CHECK(!seccomp_t_listed(r, "sync_file_range2", "SCMP_ACT_ALLOW")); /* arm only */
	CHECK(seccomp_t_listed(r, "chroot", "SCMP_ACT_ALLOW"));          /* CAP_SYS_CHROOT */
	CHECK(!seccomp_t_listed(r, "chroot", "SCMP_ACT_ERRNO"));
	CHECK(seccomp_t_listed(r, "bpf", "SCMP_ACT_ERRNO"));             /* no CAP_SYS_ADMIN */
	CHECK(!seccomp_t_listed(r, "bpf", "SCMP_ACT_ALLOW"));
	CHECK(seccomp_t_listed(r, "kcmp", "SCMP_ACT_ERRNO"));            /* no CAP_SYS_PTRACE */
	CHECK(seccomp_t_listed(r, "acct", "SCMP_ACT_ERRNO"));            /* no CAP_SYS_PACCT */
	/* this profile leaves mount to the kernel's capability check */
	CHECK(seccomp_t_listed(r, "mount", "SCMP_ACT_ALLOW"));
	json_doc_free(d);

	/* with CAP_SYS_ADMIN, bpf is allowed */
	oci = seccomp_profile_to_oci(cpod_default_seccomp_profile(),
				     seccomp_t_podman_caps() | 1ULL << CAP_SYS_ADMIN, "x86_64",
				     &err);
	CHECK_MSG(oci, "%s", err.msg);
	d = seccomp_t_parse(oci);
	free(oci);
	CHECK(d);
	CHECK(seccomp_t_listed(json_root(d), "bpf", "SCMP_ACT_ALLOW"));
	CHECK(!seccomp_t_listed(json_root(d), "bpf", "SCMP_ACT_ERRNO"));
	json_doc_free(d);
}

TEST(seccomp_profile_arm64)
{
	cpod_err err;
	char *oci = seccomp_profile_to_oci(cpod_default_seccomp_profile(),
					   seccomp_t_podman_caps(), "arm64", &err);
	CHECK_MSG(oci, "%s", err.msg);
	json_doc *d = seccomp_t_parse(oci);
	free(oci);
	CHECK(d);
	const json_value *r = json_root(d);
	CHECK(json_len(json_get(r, "architectures")) == 2);
	CHECK_STR(json_string(json_at(json_get(r, "architectures"), 0)), "SCMP_ARCH_AARCH64");
	CHECK_STR(json_string(json_at(json_get(r, "architectures"), 1)), "SCMP_ARCH_ARM");
	CHECK(!seccomp_t_listed(r, "arch_prctl", "SCMP_ACT_ALLOW"));
	CHECK(seccomp_t_listed(r, "sync_file_range2", "SCMP_ACT_ALLOW"));
	json_doc_free(d);

	/* riscv64 has no archMap entry: only the native arch */
	oci = seccomp_profile_to_oci(cpod_default_seccomp_profile(), 0, "riscv64", &err);
	CHECK_MSG(oci, "%s", err.msg);
	d = seccomp_t_parse(oci);
	free(oci);
	CHECK(d && !json_get(json_root(d), "architectures"));
	json_doc_free(d);

	CHECK(!seccomp_profile_to_oci(cpod_default_seccomp_profile(), 0, "vax", &err));
	CHECK_MSG(strstr(err.msg, "unknown architecture \"vax\""), "%s", err.msg);
}

/* A container's view: podman's capabilities, then the filter. */
static int seccomp_t_default_profile_child(void *arg)
{
	int fd;
	(void)arg;
	if (getpid() <= 0)
		return 1;
	/* the kernel refuses it for want of CAP_SYS_ADMIN (in the child's
	 * own mount namespace, should it not) */
	if (mount("none", "/tmp", "tmpfs", 0, NULL) != -1 || errno != EPERM)
		return 2;
	if (syscall(SYS_kexec_load, 0, 0, NULL, 0) != -1 || errno != EPERM)
		return 3;
	/* not in the profile at all: the default, ENOSYS */
	if (syscall(SYS_add_key, "user", "x", "y", 1, 0) != -1 || errno != ENOSYS)
		return 4;
	if (seccomp_t_getcwd(NULL) != 0)
		return 5;
	/* the filter, not the kernel (which lets a process compare its own fds) */
	if (syscall(SYS_kcmp, getpid(), getpid(), 0 /* KCMP_FILE */, 0, 0) != -1 ||
	    errno != EPERM)
		return 6;
	/* NETLINK_AUDIT needs CAP_AUDIT_WRITE: args on two indexes (AND) */
	if (socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 9) != -1 || errno != EINVAL)
		return 7;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 8;
	close(fd);
	return 0;
}

TEST(seccomp_default_profile_loaded)
{
	cpod_err err;
	char *oci = seccomp_profile_to_oci(cpod_default_seccomp_profile(),
					   seccomp_t_podman_caps(), NULL, &err);
	CHECK_MSG(oci, "%s", err.msg);
	seccomp_filter *f = seccomp_t_compile(oci, &err);
	free(oci);
	CHECK_MSG(f, "%s", err.msg);
	uint64_t m = seccomp_t_podman_caps();
	oci_caps caps = { m, m, 0, m, 0 };
	int st = seccomp_t_run_caps(f, &caps, seccomp_t_default_profile_child, NULL);
	seccomp_filter_free(f);
	CHECK_MSG(st == 0, "child exit %d", st);
}

TEST(seccomp_profile_filters)
{
	cpod_err err;
	char *oci = seccomp_profile_to_oci(
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrno\":\"EACCES\","
		"\"architectures\":[\"SCMP_ARCH_X86_64\"],\"syscalls\":["
		"{\"names\":[\"a\"],\"action\":\"SCMP_ACT_ALLOW\","
		" \"includes\":{\"minKernel\":\"1.0\"}},"
		"{\"names\":[\"b\"],\"action\":\"SCMP_ACT_ALLOW\","
		" \"includes\":{\"minKernel\":\"999.1\"}},"
		"{\"names\":[\"c\"],\"action\":\"SCMP_ACT_ALLOW\","
		" \"excludes\":{\"minKernel\":\"1.0\"}},"
		"{\"names\":[\"d\"],\"action\":\"SCMP_ACT_ALLOW\","
		" \"includes\":{\"caps\":[\"CAP_KILL\",\"CAP_CHOWN\"]}},"
		"{\"names\":[\"e\"],\"action\":\"SCMP_ACT_ALLOW\","
		" \"includes\":{\"caps\":[\"CAP_KILL\",\"CAP_SYS_ADMIN\"]}},"
		"{\"names\":[\"f\"],\"action\":\"SCMP_ACT_ALLOW\","
		" \"excludes\":{\"caps\":[\"CAP_SYS_ADMIN\",\"CAP_KILL\"]}},"
		"{\"name\":\"g\",\"action\":\"SCMP_ACT_ERRNO\",\"errno\":\"EBUSY\","
		" \"excludes\":{\"arches\":[\"arm64\"]}},"
		"{\"names\":[\"h\"],\"action\":\"SCMP_ACT_ALLOW\","
		" \"includes\":{\"arches\":[\"386\"]}}"
		"]}",
		1ULL << CAP_KILL | 1ULL << CAP_CHOWN, "x86", &err);
	CHECK_MSG(oci, "%s", err.msg);
	CHECK_STR(oci, "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":13,"
		  "\"architectures\":[\"SCMP_ARCH_X86_64\"],\"syscalls\":["
		  "{\"names\":[\"a\"],\"action\":\"SCMP_ACT_ALLOW\"},"
		  "{\"names\":[\"d\"],\"action\":\"SCMP_ACT_ALLOW\"},"
		  "{\"names\":[\"g\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":16},"
		  "{\"names\":[\"h\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
	free(oci);

	static const struct {
		const char *json, *want;
	} bad[] = {
		{ "[]", "seccomp profile: must be an object" },
		{ "{\"syscalls\":[]}", "profile.defaultAction: missing" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86\"],"
		  "\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\"}]}", "both set" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrno\":\"EWHAT\"}",
		  "profile.defaultErrno: unknown errno \"EWHAT\"" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],"
		  "\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"minKernel\":\"new\"}}]}",
		  "profile.syscalls[0].includes.minKernel: invalid kernel version \"new\"" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],"
		  "\"action\":\"SCMP_ACT_ALLOW\",\"excludes\":{\"caps\":[1]}}]}",
		  "profile.syscalls[0].excludes.caps[0]: must be a string" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"name\":\"a\","
		  "\"names\":[\"b\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
		  "profile.syscalls[0]: both name and names" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",", "JSON" },
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		cpod_err_clear(&err);
		oci = seccomp_profile_to_oci(bad[i].json, 0, "amd64", &err);
		free(oci);
		CHECK_MSG(!oci, "bad %zu accepted", i);
		CHECK_MSG(strstr(err.msg, bad[i].want), "bad %zu: \"%s\", want \"%s\"", i,
			  err.msg, bad[i].want);
	}
}

TEST(seccomp_kernel_version)
{
	cpod_err err;
	bool ok;
	CHECK(seccomp_kernel_at_least("6.1.0-18-amd64", "5.10", &ok, &err) == 0 && ok);
	CHECK(seccomp_kernel_at_least("5.10.0", "5.10", &ok, &err) == 0 && ok);
	CHECK(seccomp_kernel_at_least("5.9.16", "5.10", &ok, &err) == 0 && !ok);
	CHECK(seccomp_kernel_at_least("4.19.0-cloud", "5.4", &ok, &err) == 0 && !ok);
	CHECK(seccomp_kernel_at_least("5.4", "5.4.1", &ok, &err) == 0 && !ok);
	CHECK(seccomp_kernel_at_least("5.4.2-x", "5.4.1", &ok, &err) == 0 && ok);
	CHECK(seccomp_kernel_at_least("10.0", "9.99", &ok, &err) == 0 && ok);
	CHECK(seccomp_kernel_at_least("6.1", "6", &ok, &err) < 0);
	CHECK(seccomp_kernel_at_least("6.1", "x.1", &ok, &err) < 0);
	CHECK(seccomp_kernel_at_least("weird", "5.4", &ok, &err) < 0);
}

TEST(seccomp_arch_names)
{
	CHECK_STR(seccomp_arch_scmp_name("amd64"), "SCMP_ARCH_X86_64");
	CHECK_STR(seccomp_arch_scmp_name("386"), "SCMP_ARCH_X86");
	CHECK_STR(seccomp_arch_scmp_name("arm64"), "SCMP_ARCH_AARCH64");
	CHECK_STR(seccomp_arch_scmp_name("ppc64le"), "SCMP_ARCH_PPC64LE");
	CHECK_STR(seccomp_arch_scmp_name("s390x"), "SCMP_ARCH_S390X");
	CHECK_STR(seccomp_arch_scmp_name("riscv64"), "SCMP_ARCH_RISCV64");
	CHECK_STR(seccomp_arch_canonical("mipsle"), "mipsel");
	CHECK(!seccomp_arch_scmp_name("vax"));
	CHECK(seccomp_arch_native_name());
#if defined(__x86_64__)
	CHECK_STR(seccomp_arch_native_name(), "amd64");
#endif
}

TEST(seccomp_features_object)
{
	_cleanup_buf_ buf b = BUF_INIT;
	cpod_err err;
	json_w w;

	jw_init(&w, &b, NULL);
	seccomp_features(&w);
	CHECK_MSG(jw_finish(&w, &err) == 0, "%s", err.msg);
	json_doc *d = seccomp_t_parse(b.data);
	CHECK(d);
	const json_value *r = json_root(d);
	CHECK(json_get(r, "enabled") && json_get(r, "enabled")->u.boolean);
	CHECK(json_len(json_get(r, "actions")) == 9);
	CHECK(json_len(json_get(r, "operators")) == 7);
	CHECK(json_len(json_get(r, "knownFlags")) == 4);
	CHECK(json_len(json_get(r, "supportedFlags")) >= 3);
	CHECK(strstr(b.data, "\"SCMP_ARCH_X86_64\""));
	CHECK(strstr(b.data, "\"SCMP_ACT_KILL_PROCESS\""));
	CHECK(strstr(b.data, "\"SCMP_CMP_MASKED_EQ\""));
	json_doc_free(d);
}

/* ---------------------------------------------------------------- notify */

struct seccomp_t_notify {
	seccomp_filter *f;
	const char *path;
};

static int seccomp_t_notify_child(void *arg)
{
	struct seccomp_t_notify *n = arg;
	cpod_err err;
	int fd = seccomp_filter_notify_fd(n->f);
	if (fd < 0)
		return 1;
	if (seccomp_listener_send(n->path, fd, getpid(), "meta",
				  "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\","
				  "\"status\":\"creating\"}",
				  &err) < 0)
		return 2;
	return seccomp_t_getcwd(NULL);
}

TEST(seccomp_notify_listener)
{
	char dir[] = "/tmp/cpod-seccomp-XXXXXX", path[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	cpod_err err;
	int lfd, conn = -1, nfd = -1, st = -1;
	pid_t pid;

	if (seccomp_api_get() < 5) {
		printf("SKIP unit/seccomp_notify_listener: no seccomp notify here\n");
		return;
	}
	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/agent.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(lfd >= 0);
	CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(listen(lfd, 1) == 0);

	char json[256];
	snprintf(json, sizeof(json),
		 "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"%s\","
		 "\"listenerMetadata\":\"meta\",\"syscalls\":[{\"names\":[\"getcwd\"],"
		 "\"action\":\"SCMP_ACT_NOTIFY\"}]}", path);
	struct seccomp_t_notify n = { seccomp_t_compile(json, &err), path };
	CHECK_MSG(n.f, "%s", err.msg);
	CHECK(seccomp_filter_has_notify(n.f));
	CHECK_STR(seccomp_filter_listener_path(n.f), path);
	CHECK_STR(seccomp_filter_listener_metadata(n.f), "meta");

	pid = fork();
	if (pid == 0)
		_exit(seccomp_t_run(n.f, seccomp_t_notify_child, &n));
	seccomp_filter_free(n.f);
	CHECK(pid > 0);

	/* the agent: take the fd and the state, answer getcwd with ENOLINK */
	char data[4096] = { 0 };
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cb;
	struct iovec iov = { data, sizeof(data) - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.b,
			     .msg_controllen = sizeof(cb.b) };
	conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ssize_t got = conn >= 0 ? recvmsg(conn, &mh, MSG_CMSG_CLOEXEC) : -1;
	struct cmsghdr *c = got > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&nfd, CMSG_DATA(c), sizeof(int));
	if (nfd >= 0) {
		struct seccomp_notif *req;
		struct seccomp_notif_resp *resp;
		if (seccomp_notify_alloc(&req, &resp) == 0) {
			if (seccomp_notify_receive(nfd, req) == 0) {
				resp->id = req->id;
				resp->error = -ENOLINK;
				resp->val = 0;
				resp->flags = 0;
				seccomp_notify_respond(nfd, resp);
			}
			seccomp_notify_free(req, resp);
		}
		close(nfd);
	}
	if (conn >= 0)
		close(conn);
	close(lfd);
	if (waitpid(pid, &st, 0) == pid)
		st = WIFEXITED(st) ? WEXITSTATUS(st) : 200;
	unlink(path);
	rmdir(dir);
	CHECK_MSG(got > 0 && nfd >= 0, "no fd received (%zd)", got);
	CHECK_MSG(strstr(data, "\"fds\":[\"seccompFd\"]") &&
		  strstr(data, "\"metadata\":\"meta\"") && strstr(data, "\"id\":\"c1\""),
		  "state: %s", data);
	CHECK_MSG(st == ENOLINK, "child exit %d", st);
}
