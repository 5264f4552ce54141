/*
 * seccomp.c — compiling the spec's linux.seccomp into a libseccomp filter,
 * loading it, handing a notify listener fd to its agent, and describing what
 * is supported for `features`.
 *
 * The semantics are runc's (libcontainer/seccomp), so a profile behaves the
 * same under either runtime: rules whose action equals the default are
 * dropped, unknown syscall names are skipped, a rule whose args compare one
 * index twice is split into one rule per arg (libseccomp cannot AND two
 * conditions on one argument, and runc's answer is OR), errnoRet defaults to
 * EPERM.  Rules are added with the non-exact libseccomp call so a rule for a
 * syscall that exists on only some of the filter's architectures still
 * applies where it can.  Where runc is lax and the runtime-spec says MUST
 * fail (errnoRet on an action without an errno) we follow the spec, as crun.
 */
#include "seccomp.h"
#include "../base/fs.h"
#include "../base/digest.h"
#include "../base/fdpass.h"
#include <seccomp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/un.h>

struct seccomp_filter {
	scmp_filter_ctx ctx;          /* NULL when loaded from the cache */
	struct sock_filter *bpf;      /* the program itself, once generated */
	uint16_t bpf_len;
	unsigned kflags;              /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
	uint32_t default_action;
	size_t n_rules;
	bool has_notify;
	int notify_fd;
	char *listener_path;
	char *listener_metadata;
};

#define SECCOMP_WHERE "linux.seccomp"

/* ---------------------------------------------------------------- names */

enum seccomp_act_kind { SECCOMP_ACT_PLAIN, SECCOMP_ACT_WITH_ERRNO, SECCOMP_ACT_IS_NOTIFY };

/* Sorted by name: `features` lists them in this order. */
static const struct {
	const char *name;
	uint32_t action; /* for ERRNO and TRACE: without the data bits */
	enum seccomp_act_kind kind;
} seccomp_action_names[] = {
	{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, SECCOMP_ACT_PLAIN },
	{ "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), SECCOMP_ACT_WITH_ERRNO },
	{ "SCMP_ACT_KILL", SCMP_ACT_KILL, SECCOMP_ACT_PLAIN },
	{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, SECCOMP_ACT_PLAIN },
	{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, SECCOMP_ACT_PLAIN },
	{ "SCMP_ACT_LOG", SCMP_ACT_LOG, SECCOMP_ACT_PLAIN },
	{ "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, SECCOMP_ACT_IS_NOTIFY },
	{ "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), SECCOMP_ACT_WITH_ERRNO },
	{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP, SECCOMP_ACT_PLAIN },
};

static const struct {
	const char *name;
	enum scmp_compare op;
} seccomp_operator_names[] = {
	{ "SCMP_CMP_EQ", SCMP_CMP_EQ },
	{ "SCMP_CMP_GE", SCMP_CMP_GE },
	{ "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_LE", SCMP_CMP_LE },
	{ "SCMP_CMP_LT", SCMP_CMP_LT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	{ "SCMP_CMP_NE", SCMP_CMP_NE },
};

/* The spec's names, libseccomp's short names (which the Go tools print and
 * containers/common profiles use in includes.arches), and the tokens.  Sorted
 * by spec name.  Tokens newer than the libseccomp headers are left out. */
static const struct {
	const char *scmp;
	const char *name;
	uint32_t token;
} seccomp_arch_names[] = {
	{ "SCMP_ARCH_AARCH64", "arm64", SCMP_ARCH_AARCH64 },
	{ "SCMP_ARCH_ARM", "arm", SCMP_ARCH_ARM },
#ifdef SCMP_ARCH_LOONGARCH64
	{ "SCMP_ARCH_LOONGARCH64", "loong64", SCMP_ARCH_LOONGARCH64 },
#endif
#ifdef SCMP_ARCH_M68K
	{ "SCMP_ARCH_M68K", "m68k", SCMP_ARCH_M68K },
#endif
	{ "SCMP_ARCH_MIPS", "mips", SCMP_ARCH_MIPS },
	{ "SCMP_ARCH_MIPS64", "mips64", SCMP_ARCH_MIPS64 },
	{ "SCMP_ARCH_MIPS64N32", "mips64n32", SCMP_ARCH_MIPS64N32 },
	{ "SCMP_ARCH_MIPSEL", "mipsel", SCMP_ARCH_MIPSEL },
	{ "SCMP_ARCH_MIPSEL64", "mipsel64", SCMP_ARCH_MIPSEL64 },
	{ "SCMP_ARCH_MIPSEL64N32", "mipsel64n32", SCMP_ARCH_MIPSEL64N32 },
	{ "SCMP_ARCH_PARISC", "parisc", SCMP_ARCH_PARISC },
	{ "SCMP_ARCH_PARISC64", "parisc64", SCMP_ARCH_PARISC64 },
	{ "SCMP_ARCH_PPC", "ppc", SCMP_ARCH_PPC },
	{ "SCMP_ARCH_PPC64", "ppc64", SCMP_ARCH_PPC64 },
	{ "SCMP_ARCH_PPC64LE", "ppc64le", SCMP_ARCH_PPC64LE },
	{ "SCMP_ARCH_RISCV64", "riscv64", SCMP_ARCH_RISCV64 },
	{ "SCMP_ARCH_S390", "s390", SCMP_ARCH_S390 },
	{ "SCMP_ARCH_S390X", "s390x", SCMP_ARCH_S390X },
#ifdef SCMP_ARCH_SH
	{ "SCMP_ARCH_SH", "sh", SCMP_ARCH_SH },
	{ "SCMP_ARCH_SHEB", "sheb", SCMP_ARCH_SHEB },
#endif
	{ "SCMP_ARCH_X32", "x32", SCMP_ARCH_X32 },
	{ "SCMP_ARCH_X86", "x86", SCMP_ARCH_X86 },
	{ "SCMP_ARCH_X86_64", "amd64", SCMP_ARCH_X86_64 },
};

/* GOARCH spellings that differ from libseccomp's. */
static const struct {
	const char *alias, *name;
} seccomp_arch_aliases[] = {
	{ "386", "x86" },	  { "i386", "x86" },	   { "i686", "x86" },
	{ "x86_64", "amd64" },	  { "aarch64", "arm64" },  { "mipsle", "mipsel" },
	{ "mips64le", "mipsel64" }, { "loongarch64", "loong64" },
};

static const struct {
	const char *name;
	enum scmp_filter_attr attr; /* 0: recognised, nothing to set */
	unsigned api;               /* seccomp_api_get() level it needs */
} seccomp_flag_names[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC, 2 },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB, 4 },
	{ "SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG, 3 },
	/* libseccomp 2.6 has it as SCMP_FLTATR_CTL_WAITKILL; older ones cannot */
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SCMP_FLTATR_CTL_WAITKILL, 7 },
#else
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", _SCMP_FLTATR_MIN, 0 },
#endif
};

CPOD_INTERNAL const char *seccomp_arch_canonical(const char *arch)
{
	if (!arch)
		return NULL;
	for (size_t i = 0; i < ARRAY_LEN(seccomp_arch_aliases); i++)
		if (strcmp(arch, seccomp_arch_aliases[i].alias) == 0)
			return seccomp_arch_aliases[i].name;
	for (size_t i = 0; i < ARRAY_LEN(seccomp_arch_names); i++)
		if (strcmp(arch, seccomp_arch_names[i].name) == 0)
			return seccomp_arch_names[i].name;
	return NULL;
}

CPOD_INTERNAL const char *seccomp_arch_scmp_name(const char *arch)
{
	const char *name = seccomp_arch_canonical(arch);
	for (size_t i = 0; name && i < ARRAY_LEN(seccomp_arch_names); i++)
		if (strcmp(name, seccomp_arch_names[i].name) == 0)
			return seccomp_arch_names[i].scmp;
	return NULL;
}

CPOD_INTERNAL const char *seccomp_arch_native_name(void)
{
	uint32_t token = seccomp_arch_native();
	for (size_t i = 0; i < ARRAY_LEN(seccomp_arch_names); i++)
		if (seccomp_arch_names[i].token == token)
			return seccomp_arch_names[i].name;
	return NULL;
}

/* ---------------------------------------------------------------- compile */

/* Reads an action and its errno field (errnoRet / defaultErrnoRet). */
static int seccomp_parse_action(const json_value *obj, const char *akey, const char *ekey,
				const char *where, uint32_t *action, bool *notify,
				cpod_err *err)
{
	const char *name = NULL;
	uint64_t ret = EPERM;
	bool has_ret = json_get(obj, ekey) && !json_is(json_get(obj, ekey), JSON_NULL);
	size_t i;

	if (json_opt_str(obj, akey, &name, where, err) < 0)
		return -1;
	if (!name)
		return err_set(err, CPOD_E_INVALID, "%s.%s: missing", where, akey);
	for (i = 0; i < ARRAY_LEN(seccomp_action_names); i++)
		if (strcmp(name, seccomp_action_names[i].name) == 0)
			break;
	if (i == ARRAY_LEN(seccomp_action_names))
		return err_set(err, CPOD_E_INVALID, "%s.%s: unknown action \"%s\"", where, akey,
			       name);
	if (json_opt_u64(obj, ekey, &ret, where, err) < 0)
		return -1;
	if (has_ret && seccomp_action_names[i].kind != SECCOMP_ACT_WITH_ERRNO)
		return err_set(err, CPOD_E_INVALID,
			       "%s.%s: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, "
			       "not %s", where, ekey, name);
	/* the kernel keeps 16 bits of data with the action */
	if (ret > 0xffff)
		return err_set(err, CPOD_E_INVALID, "%s.%s: %" PRIu64 " is too large", where,
			       ekey, ret);
	*action = seccomp_action_names[i].action;
	if (seccomp_action_names[i].kind == SECCOMP_ACT_WITH_ERRNO)
		*action |= (uint32_t)ret;
	*notify = seccomp_action_names[i].kind == SECCOMP_ACT_IS_NOTIFY;
	return 0;
}

static int seccomp_add_arches(seccomp_filter *f, const json_value *sc, cpod_err *err)
{
	const json_value *arr;

	if (json_opt_arr(sc, "architectures", &arr, SECCOMP_WHERE, err) < 0)
		return -1;
	for (size_t i = 0; i < json_len(arr); i++) {
		const char *name = json_string(json_at(arr, i));
		size_t k;
		int rc;

		if (!name)
			return err_set(err, CPOD_E_INVALID,
				       SECCOMP_WHERE ".architectures[%zu]: must be a string", i);
		for (k = 0; k < ARRAY_LEN(seccomp_arch_names); k++)
			if (strcmp(name, seccomp_arch_names[k].scmp) == 0)
				break;
		if (k == ARRAY_LEN(seccomp_arch_names))
			return err_set(err, CPOD_E_INVALID, SECCOMP_WHERE
				       ".architectures[%zu]: unknown architecture \"%s\"", i,
				       name);
		rc = seccomp_arch_add(f->ctx, seccomp_arch_names[k].token);
		/* the native one is always there */
		if (rc < 0 && rc != -EEXIST)
			return err_sysn(err, -rc, SECCOMP_WHERE ".architectures[%zu]: add %s", i,
					name);
	}
	return 0;
}

static int seccomp_set_flags(seccomp_filter *f, const json_value *sc, cpod_err *err)
{
	const json_value *arr;

	if (json_opt_arr(sc, "flags", &arr, SECCOMP_WHERE, err) < 0)
		return -1;
	for (size_t i = 0; i < json_len(arr); i++) {
		const char *name = json_string(json_at(arr, i));
		size_t k;
		int rc;

		if (!name)
			return err_set(err, CPOD_E_INVALID,
				       SECCOMP_WHERE ".flags[%zu]: must be a string", i);
		for (k = 0; k < ARRAY_LEN(seccomp_flag_names); k++)
			if (strcmp(name, seccomp_flag_names[k].name) == 0)
				break;
		if (k == ARRAY_LEN(seccomp_flag_names))
			return err_set(err, CPOD_E_INVALID,
				       SECCOMP_WHERE ".flags[%zu]: unknown flag \"%s\"", i, name);
		if (seccomp_flag_names[k].attr == _SCMP_FLTATR_MIN)
			return err_set(err, CPOD_E_UNSUPPORTED, SECCOMP_WHERE
				       ".flags[%zu]: %s needs libseccomp 2.6", i, name);
		rc = seccomp_attr_set(f->ctx, seccomp_flag_names[k].attr, 1);
		if (rc < 0)
			return err_sysn(err, -rc, SECCOMP_WHERE ".flags[%zu]: %s", i, name);
		if (seccomp_flag_names[k].attr == SCMP_FLTATR_CTL_TSYNC)
			f->kflags |= SECCOMP_FILTER_FLAG_TSYNC;
		else if (seccomp_flag_names[k].attr == SCMP_FLTATR_CTL_LOG)
			f->kflags |= SECCOMP_FILTER_FLAG_LOG;
		else if (seccomp_flag_names[k].attr == SCMP_FLTATR_CTL_SSB)
			f->kflags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
	}
	return 0;
}

/* Up to this many args per rule: more than 6 only make sense when indexes
 * repeat, and then each is a rule of its own. */
#define SECCOMP_MAX_ARGS 64

static int seccomp_parse_args(const json_value *call, const char *where,
			      struct scmp_arg_cmp *conds, size_t *n, bool *split, cpod_err *err)
{
	const json_value *args;
	unsigned count[6] = { 0 };

	*n = 0;
	*split = false;
	if (json_opt_arr(call, "args", &args, where, err) < 0)
		return -1;
	if (json_len(args) > SECCOMP_MAX_ARGS)
		return err_set(err, CPOD_E_LIMIT, "%s.args: more than %d", where,
			       SECCOMP_MAX_ARGS);
	for (size_t i = 0; i < json_len(args); i++) {
		const json_value *a = json_at(args, i);
		const char *op = NULL;
		uint64_t index = UINT64_MAX, value = UINT64_MAX, value2 = 0;
		char w[96];
		size_t k;

		snprintf(w, sizeof(w), "%s.args[%zu]", where, i);
		if (!json_is(a, JSON_OBJECT))
			return err_set(err, CPOD_E_INVALID, "%s: must be an object", w);
		if (json_opt_u64(a, "index", &index, w, err) < 0 ||
		    json_opt_u64(a, "value", &value, w, err) < 0 ||
		    json_opt_u64(a, "valueTwo", &value2, w, err) < 0 ||
		    json_opt_str(a, "op", &op, w, err) < 0)
			return -1;
		if (!json_get(a, "index"))
			return err_set(err, CPOD_E_INVALID, "%s.index: missing", w);
		if (index > 5)
			return err_set(err, CPOD_E_INVALID,
				       "%s.index: %" PRIu64 " is out of range (a syscall has 6 "
				       "arguments, 0 to 5)", w, index);
		if (!json_get(a, "value"))
			return err_set(err, CPOD_E_INVALID, "%s.value: missing", w);
		if (!op)
			return err_set(err, CPOD_E_INVALID, "%s.op: missing", w);
		for (k = 0; k < ARRAY_LEN(seccomp_operator_names); k++)
			if (strcmp(op, seccomp_operator_names[k].name) == 0)
				break;
		if (k == ARRAY_LEN(seccomp_operator_names))
			return err_set(err, CPOD_E_INVALID, "%s.op: unknown operator \"%s\"", w,
				       op);
		conds[i] = (struct scmp_arg_cmp){ (unsigned)index, seccomp_operator_names[k].op,
						  value, value2 };
		if (++count[index] > 1)
			*split = true;
	}
	*n = json_len(args);
	return 0;
}

static int seccomp_add_rule(seccomp_filter *f, uint32_t action, int nr, const char *name,
			    const struct scmp_arg_cmp *conds, unsigned n, const char *where,
			    cpod_err *err)
{
	int rc;

	if (f->n_rules >= SECCOMP_MAX_RULES)
		return err_set(err, CPOD_E_LIMIT, "%s: more than %d seccomp rules", where,
			       SECCOMP_MAX_RULES);
	rc = seccomp_rule_add_array(f->ctx, action, nr, n, conds);
	if (rc < 0)
		return err_sysn(err, -rc, "%s: add the rule for %s", where, name);
	f->n_rules++;
	return 0;
}

static int seccomp_add_syscalls(seccomp_filter *f, const json_value *sc, bool listener,
				cpod_err *err)
{
	const json_value *calls;

	if (json_opt_arr(sc, "syscalls", &calls, SECCOMP_WHERE, err) < 0)
		return -1;
	for (size_t i = 0; i < json_len(calls); i++) {
		const json_value *call = json_at(calls, i), *names;
		struct scmp_arg_cmp conds[SECCOMP_MAX_ARGS];
		uint32_t action;
		bool notify, split;
		size_t n_conds;
		char where[64];

		snprintf(where, sizeof(where), SECCOMP_WHERE ".syscalls[%zu]", i);
		if (!json_is(call, JSON_OBJECT))
			return err_set(err, CPOD_E_INVALID, "%s: must be an object", where);
		if (json_opt_arr(call, "names", &names, where, err) < 0)
			return -1;
		if (!names)
			return err_set(err, CPOD_E_INVALID, "%s.names: missing", where);
		if (seccomp_parse_action(call, "action", "errnoRet", where, &action, &notify,
					 err) < 0 ||
		    seccomp_parse_args(call, where, conds, &n_conds, &split, err) < 0)
			return -1;
		if (notify && !listener)
			return err_set(err, CPOD_E_INVALID,
				       "%s.action: SCMP_ACT_NOTIFY needs " SECCOMP_WHERE
				       ".listenerPath", where);
		for (size_t k = 0; k < json_len(names); k++) {
			const char *name = json_string(json_at(names, k));
			int nr;

			if (!name || !*name)
				return err_set(err, CPOD_E_INVALID,
					       "%s.names[%zu]: must be a syscall name", where, k);
			/* the notify fd goes to the parent with write(): it must
			 * not wait for the agent that has not got it yet */
			if (notify && strcmp(name, "write") == 0)
				return err_set(err, CPOD_E_INVALID,
					       "%s: SCMP_ACT_NOTIFY cannot be used for write",
					       where);
			if (action == f->default_action)
				continue;
			nr = seccomp_syscall_resolve_name(name);
			if (nr == __NR_SCMP_ERROR) {
				log_debug("seccomp: unknown syscall \"%s\" ignored", name);
				continue;
			}
			if (!split) {
				if (seccomp_add_rule(f, action, nr, name, conds, (unsigned)n_conds,
						     where, err) < 0)
					return -1;
			} else {
				for (size_t c = 0; c < n_conds; c++)
					if (seccomp_add_rule(f, action, nr, name, &conds[c], 1,
							     where, err) < 0)
						return -1;
			}
			if (notify)
				f->has_notify = true;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- the cache
 *
 * Compiling a profile like podman's costs libseccomp milliseconds of CPU
 * for every container, and gives the same program every time.  Programs
 * are kept in a cache directory of the runtime (root-owned, 0700), named
 * by the digest of the profile's JSON, libseccomp's version and the native
 * architecture; a hit loads the program with seccomp(2) directly.  Filters
 * with a listener are not cached (they need libseccomp's notify fd). */

static char seccomp_cache[PATH_MAX];

CPOD_INTERNAL void seccomp_set_cache(const char *dir)
{
	snprintf(seccomp_cache, sizeof(seccomp_cache), "%s", dir ? dir : "");
}

#define SECCOMP_CACHE_MAGIC 0x42535043u /* "CPSB" */

typedef struct seccomp_cache_head {
	uint32_t magic;
	uint32_t kflags;
	uint32_t default_action;
	uint32_t n_rules;
	uint32_t bpf_len;
} seccomp_cache_head;

static void seccomp_cache_key(const json_value *sc, char *out, size_t n)
{
	buf b = BUF_INIT;
	json_w w;
	char d[DIGEST_STR_LEN + 1];
	const struct scmp_version *v = seccomp_version();
	jw_init(&w, &b, NULL);
	jw_value(&w, sc);
	buf_printf(&b, NULL, "|libseccomp %u.%u.%u|%s", v ? v->major : 0, v ? v->minor : 0,
		   v ? v->micro : 0, seccomp_arch_native_name());
	digest_buf(b.data ? b.data : "", b.len, d);
	buf_free(&b);
	if (fs_join(out, n, seccomp_cache, d + 7, NULL) < 0)
		out[0] = '\0';
}

static bool seccomp_cache_get(const char *path, seccomp_filter *f)
{
	_cleanup_buf_ buf b = BUF_INIT;
	seccomp_cache_head h;
	if (fs_read_file(AT_FDCWD, path, 1u << 20, &b, NULL) < 0 || b.len < sizeof(h))
		return false;
	memcpy(&h, b.data, sizeof(h));
	if (h.magic != SECCOMP_CACHE_MAGIC || h.bpf_len == 0 || h.bpf_len > BPF_MAXINSNS ||
	    b.len != sizeof(h) + h.bpf_len * sizeof(struct sock_filter))
		return false;
	f->bpf = malloc(h.bpf_len * sizeof(struct sock_filter));
	if (!f->bpf)
		return false;
	memcpy(f->bpf, b.data + sizeof(h), h.bpf_len * sizeof(struct sock_filter));
	f->bpf_len = (uint16_t)h.bpf_len;
	f->kflags = h.kflags;
	f->default_action = h.default_action;
	f->n_rules = h.n_rules;
	return true;
}

/* Generates the program from the libseccomp context (and caches it). */
static int seccomp_generate(seccomp_filter *f, const char *cache_path, cpod_err *err)
{
	int fd = memfd_create("cpod-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "seccomp: memfd");
	int rc = seccomp_export_bpf(f->ctx, fd);
	if (rc < 0) {
		close(fd);
		return err_sysn(err, -rc, "seccomp: generate the filter");
	}
	off_t len = lseek(fd, 0, SEEK_END);
	if (len <= 0 || len % (off_t)sizeof(struct sock_filter) ||
	    len / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
		close(fd);
		return err_set(err, CPOD_E_LIMIT, "seccomp: the filter is too large for the kernel");
	}
	buf b = BUF_INIT;
	seccomp_cache_head h = { SECCOMP_CACHE_MAGIC, f->kflags, f->default_action, (uint32_t)f->n_rules,
				 (uint32_t)(len / (off_t)sizeof(struct sock_filter)) };
	buf_append(&b, &h, sizeof(h), NULL);
	lseek(fd, 0, SEEK_SET);
	if (buf_read_fd(&b, fd, (size_t)len + sizeof(h) + 1, err) < 0 || b.failed) {
		close(fd);
		buf_free(&b);
		return err_prefix(err, "seccomp");
	}
	close(fd);
	f->bpf = malloc((size_t)len);
	if (!f->bpf) {
		buf_free(&b);
		return err_nomem(err);
	}
	memcpy(f->bpf, b.data + sizeof(h), (size_t)len);
	f->bpf_len = (uint16_t)h.bpf_len;
	if (cache_path)
		fs_write_atomic(AT_FDCWD, cache_path, b.data, b.len, 0600, 0, NULL);
	buf_free(&b);
	return 0;
}

CPOD_INTERNAL seccomp_filter *seccomp_compile(const json_value *sc, cpod_err *err)
{
	const char *lpath = NULL, *lmeta = NULL;
	seccomp_filter *f;
	bool notify;
	uint32_t def;
	int rc;

	if (!json_is(sc, JSON_OBJECT)) {
		err_set(err, CPOD_E_INVALID, SECCOMP_WHERE ": must be an object");
		return NULL;
	}
	if (seccomp_parse_action(sc, "defaultAction", "defaultErrnoRet", SECCOMP_WHERE, &def,
				 &notify, err) < 0)
		return NULL;
	if (notify) {
		err_set(err, CPOD_E_INVALID,
			SECCOMP_WHERE ".defaultAction: SCMP_ACT_NOTIFY cannot be the default");
		return NULL;
	}
	if (json_opt_str(sc, "listenerPath", &lpath, SECCOMP_WHERE, err) < 0 ||
	    json_opt_str(sc, "listenerMetadata", &lmeta, SECCOMP_WHERE, err) < 0)
		return NULL;
	if (lpath && *lpath != '/') {
		err_set(err, CPOD_E_INVALID, SECCOMP_WHERE ".listenerPath: must be absolute");
		return NULL;
	}
	if (lmeta && !lpath) {
		err_set(err, CPOD_E_INVALID,
			SECCOMP_WHERE ".listenerMetadata: set without listenerPath");
		return NULL;
	}

	f = calloc(1, sizeof(*f));
	if (!f) {
		err_nomem(err);
		return NULL;
	}
	f->notify_fd = -1;
	f->default_action = def;
	char cache_path[PATH_MAX] = "";
	if (seccomp_cache[0] && !lpath) {
		seccomp_cache_key(sc, cache_path, sizeof(cache_path));
		if (cache_path[0] && seccomp_cache_get(cache_path, f))
			return f;
	}
	if ((lpath && !(f->listener_path = strdup(lpath))) ||
	    (lmeta && !(f->listener_metadata = strdup(lmeta)))) {
		err_nomem(err);
		goto fail;
	}
	f->ctx = seccomp_init(def);
	if (!f->ctx) {
		/* libseccomp refuses actions the kernel lacks (KILL_PROCESS, LOG) */
		err_set(err, CPOD_E_UNSUPPORTED,
			SECCOMP_WHERE ".defaultAction: libseccomp cannot create a filter with it");
		goto fail;
	}
	/* the runtime sets no_new_privs itself when the spec asks for it */
	rc = seccomp_attr_set(f->ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (rc < 0) {
		err_sysn(err, -rc, "seccomp: clear the no_new_privs attribute");
		goto fail;
	}
	/* the kernel's errno from seccomp_load rather than ECANCELED */
	(void)seccomp_attr_set(f->ctx, SCMP_FLTATR_API_SYSRAWRC, 1);

	if (seccomp_add_arches(f, sc, err) < 0 || seccomp_set_flags(f, sc, err) < 0 ||
	    seccomp_add_syscalls(f, sc, lpath != NULL, err) < 0)
		goto fail;
	if (f->has_notify && seccomp_api_get() < 5) {
		err_set(err, CPOD_E_UNSUPPORTED,
			SECCOMP_WHERE ": SCMP_ACT_NOTIFY needs Linux 5.0 and libseccomp 2.5 "
			"(API level %u)", seccomp_api_get());
		goto fail;
	}
	/* A binary tree of syscalls instead of a linear list (runc does the
	 * same); libseccomp <= 2.5.4 mishandles it with very few rules. */
	if (f->n_rules > 32 && (rc = seccomp_attr_set(f->ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
		log_debug("seccomp: binary tree optimisation unavailable: %s", strerror(-rc));
	if (!f->has_notify && seccomp_generate(f, cache_path[0] ? cache_path : NULL, err) < 0)
		goto fail;
	return f;
fail:
	seccomp_filter_free(f);
	return NULL;
}

CPOD_INTERNAL int seccomp_load_filter(seccomp_filter *f, cpod_err *err)
{
	if (f->bpf) {
		struct sock_fprog prog = { .len = f->bpf_len, .filter = f->bpf };
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->kflags, &prog) < 0)
			return err_sys(err, "load the seccomp filter");
		return 0;
	}
	int rc = seccomp_load(f->ctx);

	if (rc < 0)
		return err_sysn(err, -rc, "load the seccomp filter");
	if (f->has_notify) {
		f->notify_fd = seccomp_notify_fd(f->ctx);
		if (f->notify_fd < 0) {
			int e = -f->notify_fd;
			f->notify_fd = -1;
			return err_sysn(err, e, "seccomp: get the notify fd");
		}
	}
	return 0;
}

CPOD_INTERNAL void seccomp_filter_free(seccomp_filter *f)
{
	if (!f)
		return;
	if (f->ctx)
		seccomp_release(f->ctx);
	free(f->bpf);
	free(f->listener_path);
	free(f->listener_metadata);
	free(f);
}

CPOD_INTERNAL bool seccomp_filter_is_noop(const seccomp_filter *f)
{
	return f->default_action == SCMP_ACT_ALLOW && f->n_rules == 0;
}

CPOD_INTERNAL bool seccomp_filter_has_notify(const seccomp_filter *f) { return f->has_notify; }
CPOD_INTERNAL int seccomp_filter_notify_fd(const seccomp_filter *f) { return f->notify_fd; }

CPOD_INTERNAL const char *seccomp_filter_listener_path(const seccomp_filter *f)
{
	return f->listener_path;
}

CPOD_INTERNAL const char *seccomp_filter_listener_metadata(const seccomp_filter *f)
{
	return f->listener_metadata;
}

/* ---------------------------------------------------------------- notify */

CPOD_INTERNAL int seccomp_listener_connect(const char *path, cpod_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set(err, CPOD_E_INVALID, "seccomp listener %s: path too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(err, "seccomp listener %s: socket", path);
	if (RETRY_EINTR(connect(fd, (struct sockaddr *)&sa, sizeof(sa))) < 0) {
		int e = errno;
		close(fd);
		return err_sysn(err, e, "seccomp listener %s: connect", path);
	}
	return fd;
}

CPOD_INTERNAL int seccomp_listener_send_fd(int sock, int notify_fd, pid_t pid,
					   const char *metadata, const char *state_json,
					   cpod_err *err)
{
	static const json_limits lim = { 1 << 20, 64, 1 << 16 };
	_cleanup_buf_ buf msg = BUF_INIT;
	_cleanup_json_ json_doc *state = NULL;
	json_w w;
	size_t off = 0;

	state = json_parse(state_json, strlen(state_json), &lim, err);
	if (!state)
		return err_prefix(err, "seccomp listener: container state");

	jw_init(&w, &msg, NULL);
	jw_obj_begin(&w);
	jw_kstr(&w, "ociVersion", CPOD_OCI_VERSION);
	jw_key(&w, "fds");
	jw_arr_begin(&w);
	jw_str(&w, "seccompFd");
	jw_arr_end(&w);
	jw_kint(&w, "pid", pid);
	if (metadata)
		jw_kstr(&w, "metadata", metadata);
	jw_key(&w, "state");
	jw_value(&w, json_root(state));
	jw_obj_end(&w);
	if (jw_finish(&w, err) < 0)
		return err_prefix(err, "seccomp listener");

	while (off < msg.len) {
		/* the fd rides on the first message; the rest is plain stream */
		ssize_t n = fdpass_send(sock, msg.data + off, msg.len - off, off == 0 ? notify_fd : -1);
		if (n < 0)
			return err_sys(err, "seccomp listener: send");
		off += (size_t)n;
	}
	return 0;
}

CPOD_INTERNAL int seccomp_listener_send(const char *path, int notify_fd, pid_t pid,
					const char *metadata, const char *state_json,
					cpod_err *err)
{
	_cleanup_close_ int fd = seccomp_listener_connect(path, err);
	if (fd < 0)
		return -1;
	if (seccomp_listener_send_fd(fd, notify_fd, pid, metadata, state_json, err) < 0)
		return err_prefix(err, "seccomp listener %s", path);
	return 0;
}

/* ---------------------------------------------------------------- features */

CPOD_INTERNAL void seccomp_features(json_w *w)
{
	unsigned api = seccomp_api_get();

	jw_obj_begin(w);
	jw_kbool(w, "enabled", true);
	jw_key(w, "actions");
	jw_arr_begin(w);
	for (size_t i = 0; i < ARRAY_LEN(seccomp_action_names); i++)
		jw_str(w, seccomp_action_names[i].name);
	jw_arr_end(w);
	jw_key(w, "operators");
	jw_arr_begin(w);
	for (size_t i = 0; i < ARRAY_LEN(seccomp_operator_names); i++)
		jw_str(w, seccomp_operator_names[i].name);
	jw_arr_end(w);
	jw_key(w, "archs");
	jw_arr_begin(w);
	for (size_t i = 0; i < ARRAY_LEN(seccomp_arch_names); i++)
		jw_str(w, seccomp_arch_names[i].scmp);
	jw_arr_end(w);
	jw_key(w, "knownFlags");
	jw_arr_begin(w);
	for (size_t i = 0; i < ARRAY_LEN(seccomp_flag_names); i++)
		jw_str(w, seccomp_flag_names[i].name);
	jw_arr_end(w);
	/* what this libseccomp and this kernel can set */
	jw_key(w, "supportedFlags");
	jw_arr_begin(w);
	for (size_t i = 0; i < ARRAY_LEN(seccomp_flag_names); i++)
		if (seccomp_flag_names[i].attr != _SCMP_FLTATR_MIN &&
		    api >= seccomp_flag_names[i].api)
			jw_str(w, seccomp_flag_names[i].name);
	jw_arr_end(w);
	jw_obj_end(w);
}
