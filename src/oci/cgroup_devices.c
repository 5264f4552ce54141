/*
 * cgroup_devices.c — linux.resources.devices: v1 devices.allow/deny writes,
 * and on cgroup v2 a BPF_PROG_TYPE_CGROUP_DEVICE program built here
 * instruction by instruction and loaded with the raw bpf(2) syscall.
 *
 * Both follow v1 semantics, as runc does: the rules apply in order to a
 * cgroup that starts denying everything.  For v2 the rules are first run
 * through a small emulation of the v1 kernel logic (a default behaviour and
 * a list of exceptions, where a rule of the default's kind removes access
 * from an identical exception), and the program then checks the result: in
 * deny-by-default mode an access is allowed when one exception covers all
 * of it, in allow-by-default mode it is denied when an exception covers any
 * part of it — the same checks as the kernel's devcgroup_legacy_check.
 */
#include "cgroup.h"
#include <linux/bpf.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#define CG_DEV_R 2  /* BPF_DEVCG_ACC_READ */
#define CG_DEV_W 4  /* BPF_DEVCG_ACC_WRITE */
#define CG_DEV_M 1  /* BPF_DEVCG_ACC_MKNOD */
#define CG_DEV_ALL (CG_DEV_R | CG_DEV_W | CG_DEV_M)

typedef struct cg_dev_exc {
	char type;            /* 'c' or 'b' */
	int64_t major, minor; /* -1: any */
	unsigned access;      /* CG_DEV_* bits */
} cg_dev_exc;

typedef struct cg_dev_state {
	bool default_allow;
	cg_dev_exc *ex;
	size_t n;
} cg_dev_state;

static unsigned cg_dev_access(const char *a)
{
	unsigned bits = 0;
	for (; *a; a++)
		bits |= *a == 'r' ? CG_DEV_R : *a == 'w' ? CG_DEV_W : *a == 'm' ? CG_DEV_M : 0;
	return bits;
}

/* Runs the rules through the v1 logic.  st->ex has room for n_rules. */
CPOD_INTERNAL int cg_dev_emulate(const oci_device_rule *rules, size_t n_rules, cg_dev_state *st,
				 cpod_err *err)
{
	st->default_allow = false;
	st->n = 0;
	st->ex = n_rules ? calloc(n_rules, sizeof(*st->ex)) : NULL;
	if (n_rules && !st->ex)
		return err_nomem(err);
	for (size_t i = 0; i < n_rules; i++) {
		const oci_device_rule *r = &rules[i];
		unsigned acc = cg_dev_access(r->access);
		if (r->type == 'a') {
			/* "a" resets everything, whatever the numbers and access */
			st->default_allow = r->allow;
			st->n = 0;
			continue;
		}
		if (!acc)
			continue;
		size_t k;
		for (k = 0; k < st->n; k++)
			if (st->ex[k].type == r->type && st->ex[k].major == r->major &&
			    st->ex[k].minor == r->minor)
				break;
		if (r->allow == st->default_allow) {
			/* takes access away from an identical exception */
			if (k < st->n) {
				st->ex[k].access &= ~acc;
				if (!st->ex[k].access) {
					memmove(&st->ex[k], &st->ex[k + 1],
						(st->n - k - 1) * sizeof(*st->ex));
					st->n--;
				}
			}
		} else if (k < st->n) {
			st->ex[k].access |= acc;
		} else {
			st->ex[st->n++] = (cg_dev_exc){ r->type, r->major, r->minor, acc };
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- v1 */

static void cg_dev_rule_text(const oci_device_rule *r, char *out, size_t size)
{
	char maj[24], min[24];

	if (r->type == 'a') {
		snprintf(out, size, "a");
		return;
	}
	if (r->major < 0)
		snprintf(maj, sizeof(maj), "*");
	else
		snprintf(maj, sizeof(maj), "%" PRId64, r->major);
	if (r->minor < 0)
		snprintf(min, sizeof(min), "*");
	else
		snprintf(min, sizeof(min), "%" PRId64, r->minor);
	snprintf(out, size, "%c %s:%s %s", r->type, maj, min, r->access);
}

/* Deny everything, then each rule in order: the kernel does the rest. */
CPOD_INTERNAL int cg_dev_v1_apply(int dfd, const oci_resources *r, bool rootless, cpod_err *err)
{
	if (!r->n_devices)
		return 0;
	if (cg_write(dfd, "devices.deny", "a", err) < 0)
		goto fail;
	for (size_t i = 0; i < r->n_devices; i++) {
		const oci_device_rule *d = &r->devices[i];
		char line[80];
		if (d->type != 'a' && !d->access[0])
			continue;
		cg_dev_rule_text(d, line, sizeof(line));
		if (cg_write(dfd, d->allow ? "devices.allow" : "devices.deny", line, err) < 0)
			goto fail;
	}
	return 0;
fail:
	if (rootless && err && (err->errno_ == EPERM || err->errno_ == EACCES)) {
		log_debug("cgroup devices: rootless, rules not applied: %s", err->msg);
		cpod_err_clear(err);
		return 0;
	}
	return -1;
}

/* ---------------------------------------------------------------- the v2 program */

typedef struct cg_bpf_prog {
	struct bpf_insn *insn;
	size_t n, cap;
	bool failed;
} cg_bpf_prog;

static void cg_bpf_emit(cg_bpf_prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off,
			int32_t imm)
{
	if (p->failed)
		return;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct bpf_insn *v = realloc(p->insn, cap * sizeof(*v));
		if (!v) {
			p->failed = true;
			return;
		}
		p->insn = v;
		p->cap = cap;
	}
	p->insn[p->n++] = (struct bpf_insn){
		.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm,
	};
}

/* The program, in the registers the kernel's bpf_cgroup_dev_ctx gives:
 *   r2 = device type (BPF_DEVCG_DEV_*), r3 = access (BPF_DEVCG_ACC_*),
 *   r4 = major, r5 = minor; each exception is one block that jumps to the
 *   next block when it does not apply, and returns its verdict when it does. */
CPOD_INTERNAL int cg_dev_program(const cg_dev_state *st, cg_bpf_prog *p, cpod_err *err)
{
	memset(p, 0, sizeof(*p));
	cg_bpf_emit(p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0);
	cg_bpf_emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xFFFF);
	cg_bpf_emit(p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_1, 0, 0);
	cg_bpf_emit(p, BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
	cg_bpf_emit(p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0);
	cg_bpf_emit(p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0);

	for (size_t i = 0; i < st->n; i++) {
		const cg_dev_exc *e = &st->ex[i];
		bool has_major = e->major >= 0, has_minor = e->minor >= 0;
		/* no device has numbers this large: the exception can never match */
		if ((has_major && e->major > INT32_MAX) || (has_minor && e->minor > INT32_MAX))
			continue;
		/* allow-exception (default deny): applies when it covers all of the
		 * access, i.e. (access & ~allowed) == 0; deny-exception: applies
		 * when it covers any of it, (access & denied) != 0 */
		bool check_access = st->default_allow || (e->access & CG_DEV_ALL) != CG_DEV_ALL;
		int16_t left = (int16_t)(1 + (has_major ? 1 : 0) + (has_minor ? 1 : 0) +
					 (check_access ? 3 : 0) + 2);
		int32_t type = e->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;

		/* each jump skips the rest of the block: left - 1 after itself */
		cg_bpf_emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, (int16_t)(left - 1), type);
		left--;
		if (has_major) {
			cg_bpf_emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, (int16_t)(left - 1),
				    (int32_t)e->major);
			left--;
		}
		if (has_minor) {
			cg_bpf_emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, (int16_t)(left - 1),
				    (int32_t)e->minor);
			left--;
		}
		if (check_access) {
			cg_bpf_emit(p, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
			if (st->default_allow) {
				cg_bpf_emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0,
					    (int32_t)e->access);
				cg_bpf_emit(p, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_1, 0,
					    (int16_t)(left - 3), 0);
			} else {
				cg_bpf_emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0,
					    (int32_t)(~e->access & CG_DEV_ALL));
				cg_bpf_emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_1, 0,
					    (int16_t)(left - 3), 0);
			}
			left -= 3;
		}
		cg_bpf_emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, st->default_allow ? 0 : 1);
		cg_bpf_emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	cg_bpf_emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, st->default_allow ? 1 : 0);
	cg_bpf_emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	if (p->failed) {
		free(p->insn);
		p->insn = NULL;
		return err_nomem(err);
	}
	return 0;
}

static long cg_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int cg_bpf_load(const cg_bpf_prog *p, cpod_err *err)
{
	union bpf_attr attr;
	static const char license[] = "GPL";

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)p->insn;
	attr.insn_cnt = (uint32_t)p->n;
	attr.license = (uint64_t)(uintptr_t)license;
	int fd = (int)cg_bpf(BPF_PROG_LOAD, &attr);
	if (fd < 0 && errno == EPERM) {
		/* before Linux 5.11 programs count against RLIMIT_MEMLOCK */
		struct rlimit rl;
		if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			if (setrlimit(RLIMIT_MEMLOCK, &rl) == 0)
				fd = (int)cg_bpf(BPF_PROG_LOAD, &attr);
		}
	}
	if (fd >= 0)
		return fd;
	int e = errno;
	if (e == EPERM || e == ENOSYS)
		return err_sysn(err, e, "load the device filter (bpf)");
	/* ask the verifier why */
	char *log = malloc(1 << 16);
	if (log) {
		log[0] = '\0';
		attr.log_level = 1;
		attr.log_buf = (uint64_t)(uintptr_t)log;
		attr.log_size = 1 << 16;
		fd = (int)cg_bpf(BPF_PROG_LOAD, &attr);
		if (fd >= 0) {
			free(log);
			return fd;
		}
		err_sysn(err, e, "load the device filter (bpf): %.300s", log);
		free(log);
		return -1;
	}
	return err_sysn(err, e, "load the device filter (bpf)");
}

/* The ids of the device programs attached to the cgroup (malloc'd). */
static int cg_bpf_query(int cgfd, uint32_t **ids, uint32_t *n, cpod_err *err)
{
	*ids = NULL;
	*n = 0;
	for (uint32_t cap = 64; cap <= 4096; cap *= 2) {
		union bpf_attr attr;
		uint32_t *v = realloc(*ids, cap * sizeof(*v));
		if (!v) {
			free(*ids);
			*ids = NULL;
			return err_nomem(err);
		}
		*ids = v;
		memset(&attr, 0, sizeof(attr));
		attr.query.target_fd = (uint32_t)cgfd;
		attr.query.attach_type = BPF_CGROUP_DEVICE;
		attr.query.prog_cnt = cap;
		attr.query.prog_ids = (uint64_t)(uintptr_t)v;
		if (cg_bpf(BPF_PROG_QUERY, &attr) == 0) {
			*n = attr.query.prog_cnt;
			return 0;
		}
		if (errno != ENOSPC)
			break;
	}
	free(*ids);
	*ids = NULL;
	return err_sys(err, "query the attached device filters (bpf)");
}

/* Attaches prog to the cgroup in place of the programs there: atomically
 * with BPF_F_REPLACE when there is one, else attach then detach the old. */
static int cg_bpf_attach(int cgfd, int progfd, cpod_err *err)
{
	uint32_t *ids, n;

	if (cg_bpf_query(cgfd, &ids, &n, err) < 0)
		return -1;
	int replacefd = -1;
#ifdef BPF_F_REPLACE
	if (n == 1) {
		union bpf_attr a;
		memset(&a, 0, sizeof(a));
		a.prog_id = ids[0];
		replacefd = (int)cg_bpf(BPF_PROG_GET_FD_BY_ID, &a);
	}
#endif
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgfd;
	attr.attach_bpf_fd = (uint32_t)progfd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	long r = -1;
#ifdef BPF_F_REPLACE
	if (replacefd >= 0) {
		attr.attach_flags |= BPF_F_REPLACE;
		attr.replace_bpf_fd = (uint32_t)replacefd;
		r = cg_bpf(BPF_PROG_ATTACH, &attr);
		close(replacefd);
		if (r == 0) {
			free(ids);
			return 0;
		}
		/* older kernel or a race: fall back to attach + detach */
		attr.attach_flags = BPF_F_ALLOW_MULTI;
		attr.replace_bpf_fd = 0;
	}
#endif
	r = cg_bpf(BPF_PROG_ATTACH, &attr);
	if (r < 0) {
		free(ids);
		return err_sys(err, "attach the device filter (bpf)");
	}
	for (uint32_t i = 0; i < n; i++) {
		union bpf_attr a;
		memset(&a, 0, sizeof(a));
		a.prog_id = ids[i];
		int old = (int)cg_bpf(BPF_PROG_GET_FD_BY_ID, &a);
		if (old < 0)
			continue; /* already gone */
		memset(&a, 0, sizeof(a));
		a.target_fd = (uint32_t)cgfd;
		a.attach_bpf_fd = (uint32_t)old;
		a.attach_type = BPF_CGROUP_DEVICE;
		if (cg_bpf(BPF_PROG_DETACH, &a) < 0 && errno != ENOENT)
			log_warn("cgroup devices: cannot detach the previous filter %u: %s", ids[i],
				 strerror(errno));
		close(old);
	}
	free(ids);
	return 0;
}

CPOD_INTERNAL int cg_dev_ebpf_apply(int dfd, const oci_resources *r, bool rootless, cpod_err *err)
{
	cg_dev_state st;
	cg_bpf_prog prog;
	int r_ = -1;

	if (!r->n_devices)
		return 0;
	if (cg_dev_emulate(r->devices, r->n_devices, &st, err) < 0)
		return -1;
	bool allows_all = st.default_allow && st.n == 0;
	if (cg_dev_program(&st, &prog, err) < 0) {
		free(st.ex);
		return -1;
	}
	int progfd = cg_bpf_load(&prog, err);
	if (progfd >= 0) {
		r_ = cg_bpf_attach(dfd, progfd, err);
		close(progfd);
	}
	free(prog.insn);
	free(st.ex);
	if (r_ < 0 && (allows_all || rootless)) {
		/* nothing to enforce, or a rootless container that cannot reach
		 * host devices beyond its user's anyway (as runc and crun) */
		log_warn("cgroup devices: %s; continuing without a device filter",
			 err ? err->msg : "cannot install the device filter");
		if (err)
			cpod_err_clear(err);
		return 0;
	}
	return r_;
}
