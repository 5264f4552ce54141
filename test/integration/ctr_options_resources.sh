# shellcheck shell=bash
# ctr_options_resources.sh — --memory, --memory-swap, --memory-reservation,
# --cpus, --cpu-shares, --cpuset-cpus, --pids-limit (podman's default of
# 2048) and --shm-size, read from the container's own cgroup files (this
# host: cgroup v1 controllers) and mounts.  Only read: nothing is written
# to a cgroup from inside.
. "$SRCDIR/test/integration/ctr_options_lib.sh"

ctr_cgroup_v1() {
	[ -e /sys/fs/cgroup/memory/memory.limit_in_bytes ] || skip "needs cgroup v1 controllers"
}

test_memory_limits() {
	ctr_import
	ctr_cgroup_v1
	local out
	out=$(crun --memory 64m --memory-reservation 32m busybox sh -c \
		'cd /sys/fs/cgroup/memory && cat memory.limit_in_bytes memory.soft_limit_in_bytes
		 cat memory.memsw.limit_in_bytes 2>/dev/null || echo no-memsw')
	expect_eq "$(sed -n 1p <<< "$out")" 67108864 "--memory 64m"
	expect_eq "$(sed -n 2p <<< "$out")" 33554432 "--memory-reservation 32m"
	if [ "$(sed -n 3p <<< "$out")" != no-memsw ]; then
		expect_eq "$(sed -n 3p <<< "$out")" 134217728 "swap: as much again by default"
		out=$(crun --memory 64m --memory-swap 100m busybox \
			cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes)
		expect_eq "$out" 104857600 "--memory-swap"
		out=$(crun --memory 64m --memory-swap -1 busybox \
			cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes)
		expect_match "$out" '^9223372036854[0-9]+$' "--memory-swap -1: unlimited"
	fi
	# the limit holds: a process that wants more is killed
	capture crun --memory 16m --memory-swap 16m busybox sh -c \
		'dd if=/dev/zero of=/dev/null bs=67108864 count=1 2>/dev/null && echo survived'
	expect_no_match "$OUT" survived "more than 16 MB is not given"
	ctr_bad --memory 12x
	ctr_bad --memory 1k
	ctr_bad --memory 64m --memory-swap 32m
	ctr_bad --memory-swap 100m
}

test_cpu_limits() {
	ctr_import
	ctr_cgroup_v1
	local out
	out=$(crun --cpus 0.5 --cpu-shares 512 --cpuset-cpus 0 busybox sh -c \
		'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us
		 cat /sys/fs/cgroup/cpu/cpu.shares; cat /proc/self/status | grep Cpus_allowed_list')
	expect_eq "$(sed -n 1p <<< "$out")" 50000 "--cpus 0.5: the quota"
	expect_eq "$(sed -n 2p <<< "$out")" 100000 "the period"
	expect_eq "$(sed -n 3p <<< "$out")" 512 "--cpu-shares"
	expect_match "$(sed -n 4p <<< "$out")" ':\s+0$' "--cpuset-cpus 0"
	out=$(crun --cpus 1.5 busybox cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)
	expect_eq "$out" 150000 "--cpus 1.5"
	ctr_bad --cpus abc
	ctr_bad --cpus 0
	ctr_bad --cpu-shares lots
}

test_pids_limit() {
	ctr_import
	[ -e /sys/fs/cgroup/pids ] || skip "no pids controller"
	expect_eq "$(crun busybox cat /sys/fs/cgroup/pids/pids.max)" 2048 "podman's default"
	expect_eq "$(crun --pids-limit 100 busybox cat /sys/fs/cgroup/pids/pids.max)" 100
	expect_eq "$(crun --pids-limit -1 busybox cat /sys/fs/cgroup/pids/pids.max)" max "-1: none"
	expect_eq "$(crun --pids-limit 0 busybox cat /sys/fs/cgroup/pids/pids.max)" max "0: none"
	# the limit holds
	capture crun --pids-limit 5 busybox sh -c \
		'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait; echo done'
	expect_match "$ERR$OUT" "(fork|Resource temporarily unavailable|can't)" \
		"forks past the limit fail"
	ctr_bad --pids-limit many
	ctr_bad --pids-limit -2
}

test_shm_size() {
	ctr_import
	expect_eq "$(crun busybox df -k /dev/shm | awk 'NR == 2 { print $2 }')" 64000 "64 MB by default"
	expect_eq "$(crun --shm-size 128m busybox df -k /dev/shm | awk 'NR == 2 { print $2 }')" \
		131072 "--shm-size 128m"
	ctr_bad --shm-size 0
	ctr_bad --shm-size big
}
