/*
 * caps.c — capability names and applying the five sets (see caps.h).
 *
 * The order matters and follows runc: the bounding set is reduced while the
 * process still has CAP_SETPCAP; the switch of user happens with
 * PR_SET_KEEPCAPS so permitted survives it; then capset() sets effective,
 * permitted and inheritable, and ambient ones are raised last (the kernel
 * requires them to be in permitted and inheritable already).
 */
#include "caps.h"
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID",
	"CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

CPOD_INTERNAL int caps_from_name(const char *name)
{
	/* podman passes names with the prefix; accept them without it too */
	const char *bare = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;
	for (size_t i = 0; i < ARRAY_LEN(cap_names); i++)
		if (strcasecmp(cap_names[i] + 4, bare) == 0)
			return (int)i;
	return -1;
}

CPOD_INTERNAL const char *caps_name(int cap)
{
	if (cap < 0 || (size_t)cap >= ARRAY_LEN(cap_names))
		return NULL;
	return cap_names[cap];
}

CPOD_INTERNAL int caps_last(void)
{
	static int last = -1;
	if (last >= 0)
		return last;
	char data[16] = { 0 };
	int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, data, sizeof(data) - 1);
		close(fd);
		if (n > 0)
			last = atoi(data);
	}
	if (last <= 0) {
		/* no /proc: probe the bounding set */
		last = 0;
		while (last < 63 && prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0)
			last++;
	}
	return last;
}

CPOD_INTERNAL int caps_apply_bounding(const oci_caps *caps, cpod_err *err)
{
	int last = caps_last();
	for (int c = 0; c <= last; c++) {
		if (caps->bounding & (UINT64_C(1) << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return err_sys(err, "drop %s from the bounding set", caps_name(c) ? caps_name(c) : "capability");
	}
	return 0;
}

CPOD_INTERNAL int caps_apply_sets(const oci_caps *caps, cpod_err *err)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(caps->effective >> (32 * i));
		data[i].permitted = (uint32_t)(caps->permitted >> (32 * i));
		data[i].inheritable = (uint32_t)(caps->inheritable >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return err_sys(err, "set capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return err_sys(err, "clear ambient capabilities");
	for (int c = 0; c <= caps_last(); c++) {
		if (!(caps->ambient & (UINT64_C(1) << c)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			log_debug("cannot raise ambient %s: %s (it must be permitted and inheritable)",
				 caps_name(c), strerror(errno));
	}
	return 0;
}

CPOD_INTERNAL uint64_t caps_effective_now(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) < 0)
		return 0;
	return (uint64_t)data[0].effective | ((uint64_t)data[1].effective << 32);
}
