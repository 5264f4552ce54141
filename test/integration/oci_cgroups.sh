# shellcheck shell=bash
# oci_cgroups.sh — linux.resources through cgroup v1 on this (hybrid) host:
# the container's cgroups are made (named after the id, or cgroupsPath),
# limits are written and bite (memory: the OOM killer; pids: fork fails),
# `update`, `pause`/`resume` (freezer), `events --stats`, `ps`, the cgroup
# file system the container sees, and every cgroup is gone after delete or
# a failed create.
. "$SRCDIR/test/helpers/oci.sh"

need_v1() {
	need_root
	[ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ] || skip "no cgroup v1 memory hierarchy"
	[ -f /sys/fs/cgroup/pids/pids.max ] || [ -d /sys/fs/cgroup/pids ] || skip "no cgroup v1 pids hierarchy"
}

# cg_dir PID CONTROLLER: the host path of a process's v1 cgroup.
cg_dir() {
	local rel
	rel=$(awk -F: -v c="$2" '$2 == c { print $3 }' "/proc/$1/cgroup")
	printf '/sys/fs/cgroup/%s%s\n' "$2" "$rel"
}

test_cgroups_are_named_after_the_id_and_removed() {
	need_v1
	local b id pid c dirs
	b=$(bundle b 'sleep 30')
	id=$(cid name)
	start_bg "$b" "$id"
	pid=$(state_of "$id" pid)
	for c in memory pids cpu freezer devices; do
		expect_match "$(cg_dir "$pid" "$c")" "/$id\$" "the $c cgroup is named after the id"
		test -d "$(cg_dir "$pid" "$c")" || fail "no $c cgroup"
		grep -qx "$pid" "$(cg_dir "$pid" "$c")/cgroup.procs" || fail "the init is not in its $c cgroup"
	done
	dirs=$(host_cgroups "$id")
	[ "$(wc -l <<< "$dirs")" -ge 5 ] || fail "cgroups: $dirs"
	oci delete --force "$id"
	expect_eq "$(host_cgroups "$id")" "" "cgroups removed"
}

test_absolute_cgroups_path() {
	need_v1
	local b id name pid
	name=cpod-test-abs-$$
	b=$(bundle b 'sleep 30')
	jqi "$b/config.json" '.linux.cgroupsPath = $p' --arg p "/$name/inner"
	cleanup_add "find /sys/fs/cgroup -maxdepth 3 -depth -type d -path '*/$name*' -exec rmdir {} + 2>/dev/null; true"
	id=$(cid abs)
	start_bg "$b" "$id"
	pid=$(state_of "$id" pid)
	expect_eq "$(cg_dir "$pid" memory)" "/sys/fs/cgroup/memory/$name/inner" "the memory cgroup"
	expect_eq "$(cg_dir "$pid" pids)" "/sys/fs/cgroup/pids/$name/inner" "the pids cgroup"
	oci delete --force "$id"
	test ! -d "/sys/fs/cgroup/memory/$name/inner" || fail "the cgroup is left"
}

test_memory_limit_bites() {
	need_v1
	local b id out
	# a 64 MiB buffer under a 32 MiB limit: the OOM killer takes dd
	b=$(bundle b 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes
		dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo "dd=$?"
		cat /sys/fs/cgroup/memory/memory.failcnt; grep oom_kill /sys/fs/cgroup/memory/memory.oom_control')
	jqi "$b/config.json" '.linux.resources.memory = {limit: 33554432}'
	id=$(cid mem)
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$(sed -n 1p <<< "$out")" 33554432 "memory.limit_in_bytes inside"
	expect_match "$out" '^dd=137$' "dd was killed by the OOM killer"
	expect_match "$out" '^oom_kill [1-9]' "the cgroup counted an OOM kill"
	nothing_left "$id"
}

test_memory_within_the_limit_is_fine() {
	need_v1
	local b id
	b=$(bundle b 'dd if=/dev/zero of=/dev/null bs=8M count=4 2>/dev/null; echo "dd=$?"')
	jqi "$b/config.json" '.linux.resources.memory = {limit: 67108864, reservation: 33554432}'
	id=$(cid memok)
	expect_eq "$(oci run --bundle "$b" "$id")" dd=0
}

test_pids_limit_bites() {
	need_v1
	local b id out
	# (a shell that cannot fork gives up: the forks are in an inner one)
	b=$(bundle b 'exec 2>&1; cat /sys/fs/cgroup/pids/pids.max
		sh -c "for i in \$(seq 20); do sleep 2 & done"; echo "inner=$?"
		cat /sys/fs/cgroup/pids/pids.current; echo done')
	jqi "$b/config.json" '.linux.resources.pids = {limit: 8}'
	id=$(cid pids)
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$(sed -n 1p <<< "$out")" 8 "pids.max inside"
	expect_match "$out" "can't fork|Resource temporarily unavailable" "fork fails at the limit"
	expect_match "$out" '^[1-8]$' "pids.current stays within the limit"
	expect_match "$out" '^inner=[1-9]' "the forking shell failed"
	expect_match "$out" '^done$'
}

test_cpu_limits_are_written() {
	need_v1
	local b id out
	b=$(bundle b 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpuset/cpuset.cpus')
	jqi "$b/config.json" '.linux.resources.cpu = {quota: 50000, period: 100000, shares: 512, cpus: "0"}'
	id=$(cid cpu)
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$(tr '\n' ' ' <<< "$out")" "50000 100000 512 0 "
}

# The container's view of /sys/fs/cgroup on a v1 host: its own cgroups, with
# or without a cgroup namespace (runc binds the container's directories).
test_cgroup_mount_shows_the_containers_own_cgroup() {
	need_v1
	local b id out
	b=$(bundle b 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max
		[ $(wc -l < /sys/fs/cgroup/memory/cgroup.procs) -le 4 ] && echo own-procs')
	jqi "$b/config.json" '.linux.resources.memory = {limit: 41943040} | .linux.resources.pids = {limit: 77}'
	id=$(cid view)
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$(tr '\n' ' ' <<< "$out")" "41943040 77 own-procs " "with a cgroup namespace"
	unset_ns "$b" cgroup
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$(tr '\n' ' ' <<< "$out")" "41943040 77 own-procs " "without a cgroup namespace"
}

test_update_resources_of_a_running_container() {
	need_v1
	local b id pid mem pids
	b=$(bundle b 'sleep 30')
	jqi "$b/config.json" '.linux.resources.memory = {limit: 67108864} | .linux.resources.pids = {limit: 100}'
	id=$(cid upd)
	start_bg "$b" "$id"
	pid=$(state_of "$id" pid)
	mem=$(cg_dir "$pid" memory)
	pids=$(cg_dir "$pid" pids)
	expect_eq "$(cat "$mem/memory.limit_in_bytes")" 67108864
	oci update --memory 48m --pids-limit 20 "$id"
	expect_eq "$(cat "$mem/memory.limit_in_bytes")" 50331648 "--memory"
	expect_eq "$(cat "$pids/pids.max")" 20 "--pids-limit"
	echo '{"pids": {"limit": 30}, "cpu": {"shares": 256}}' > "$TEST_TMP/res.json"
	oci update --resources "$TEST_TMP/res.json" "$id"
	expect_eq "$(cat "$pids/pids.max")" 30 "--resources FILE"
	expect_eq "$(cat "$(cg_dir "$pid" cpu)/cpu.shares")" 256
	echo '{"pids": {"limit": 40}}' | oci update -r - "$id"
	expect_eq "$(cat "$pids/pids.max")" 40 "--resources -"
	expect_fail oci update --memory lots "$id" 2> /dev/null
	# a stopped container cannot be updated
	oci kill "$id" KILL
	await 5 status_is "$id" stopped
	expect_fail oci update --pids-limit 10 "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "not running"
}

test_pause_and_resume() {
	need_v1
	local b d id pid n1 n2
	b=$(bundle b 'while :; do echo t >> /out/ticks; sleep 0.05; done')
	d=$(outdir "$b")
	id=$(cid pause)
	start_bg "$b" "$id"
	pid=$(state_of "$id" pid)
	await 5 test -s "$d/ticks"
	expect_fail oci resume "$id" 2> /dev/null
	oci pause "$id"
	expect_eq "$(state_of "$id" status)" paused
	expect_eq "$(cat "$(cg_dir "$pid" freezer)/freezer.state")" FROZEN
	n1=$(wc -l < "$d/ticks")
	sleep 0.4
	n2=$(wc -l < "$d/ticks")
	expect_eq "$n2" "$n1" "no tick while paused"
	expect_fail oci exec "$id" true 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "paused"
	expect_fail oci pause "$id" 2> /dev/null
	expect_fail oci delete "$id" 2> /dev/null
	oci resume "$id"
	expect_eq "$(state_of "$id" status)" running
	await 5 sh -c "[ \$(wc -l < '$d/ticks') -gt $n2 ]" || fail "no tick after resume"
	# a paused container can be deleted with --force
	oci pause "$id"
	oci delete --force "$id"
	nothing_left "$id" "$pid"
}

test_pause_of_a_created_container_fails() {
	need_v1
	local b id
	b=$(bundle b 'sleep 30')
	id=$(cid pausec)
	create_bg "$b" "$id"
	expect_fail oci pause "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "created"
}

test_events_stats() {
	need_v1
	local b id out
	b=$(bundle b 'sleep 30')
	jqi "$b/config.json" '.linux.resources.pids = {limit: 50} | .linux.resources.memory = {limit: 67108864}'
	id=$(cid stats)
	start_bg "$b" "$id"
	out=$(timeout 10 "$CPOD" oci --root "$TEST_ROOT" events --stats "$id")
	jq -e . <<< "$out" > /dev/null || fail "not JSON: $out"
	expect_eq "$(jq -r .type <<< "$out")" stats
	expect_eq "$(jq -r .id <<< "$out")" "$id"
	expect_eq "$(jq -r .data.pids.limit <<< "$out")" 50
	[ "$(jq -r .data.pids.current <<< "$out")" -ge 1 ] || fail "pids.current"
	expect_eq "$(jq -r .data.memory.usage.limit <<< "$out")" 67108864
	[ "$(jq -r .data.memory.usage.usage <<< "$out")" -gt 0 ] || fail "memory usage"
	[ "$(jq -r .data.cpu.usage.total <<< "$out")" -gt 0 ] || fail "cpu usage"
	expect_fail oci events --stats cpod-no-such 2> /dev/null
}

test_events_stream_ends_when_the_container_stops() {
	need_v1
	local b id n
	b=$(bundle b 'sleep 0.5')
	id=$(cid evs)
	start_bg "$b" "$id"
	n=$(timeout 10 "$CPOD" oci --root "$TEST_ROOT" events --interval 100ms "$id" | wc -l)
	[ "$n" -ge 1 ] || fail "no event line"
}

test_ps() {
	need_v1
	local b id pid out epid
	b=$(bundle b 'exec sleep 31')
	id=$(cid ps)
	start_bg "$b" "$id"
	pid=$(state_of "$id" pid)
	oci exec --detach --pid-file "$TEST_TMP/exec.pid" "$id" sleep 32 > /dev/null 2>&1
	epid=$(cat "$TEST_TMP/exec.pid")
	out=$(oci ps --format json "$id")
	expect_eq "$(jq -c 'sort' <<< "$out")" "$(printf '%s\n' "$pid" "$epid" | sort -n | jq -sc .)" "ps --format json"
	out=$(oci ps "$id")
	expect_match "$out" '^UID +PID +PPID' "a ps -ef header"
	expect_match "$out" " $pid .*sleep 31" "the init"
	expect_match "$out" " $epid .*sleep 32" "the exec'd process"
	expect_eq "$(grep -c sleep <<< "$out")" 2 "only the container's processes"
	out=$(oci ps "$id" -o pid,comm)
	expect_match "$out" '^ *PID +COMMAND' "ps arguments are passed on"
	expect_match "$out" "^ *$pid +sleep"
}

test_delete_kills_what_is_left_in_the_cgroup() {
	need_v1
	local b id bg
	# no pid namespace: the init exits, a background child lives on
	b=$(bundle b 'sleep 30 & echo $! > /tmp/bg')
	unset_ns "$b" pid
	id=$(cid left)
	start_bg "$b" "$id"
	await 5 status_is "$id" stopped
	await 5 test -s "$b/rootfs/tmp/bg"
	bg=$(oci ps --format json "$id" | jq -r '.[0]')
	if [ -z "$bg" ] || [ "$bg" = null ] || ! pid_alive "$bg"; then
		fail "no process left in the cgroup"
	fi
	oci delete "$id"
	await 5 sh -c "! test -d /proc/$bg || grep -q '^State:.*Z' /proc/$bg/status" || fail "process $bg survived delete"
	nothing_left "$id"
}

test_failed_create_removes_its_cgroups() {
	need_v1
	local b id
	b=$(bundle b 'true')
	# no such cpu: writing cpuset.cpus fails once the cgroups exist
	jqi "$b/config.json" '.linux.resources.cpu = {cpus: "999"}'
	id=$(cid cgfail)
	expect_fail oci run --bundle "$b" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "cpuset"
	nothing_left "$id"
	# a failing program after the cgroup join
	jqi "$b/config.json" 'del(.linux.resources.cpu) | .process.args = ["/no/such"]'
	expect_fail oci run --bundle "$b" "$id" 2> /dev/null
	nothing_left "$id"
}

test_swap_limit_needs_swap_accounting() {
	need_v1
	local b id
	b=$(bundle b 'cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes')
	jqi "$b/config.json" '.linux.resources.memory = {limit: 33554432, swap: 67108864}'
	id=$(cid swap)
	if [ -f /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ]; then
		expect_eq "$(oci run --bundle "$b" "$id")" 67108864
	else
		expect_fail oci run --bundle "$b" "$id" 2> "$TEST_TMP/err"
		expect_match "$(cat "$TEST_TMP/err")" "swap"
		nothing_left "$id"
	fi
}
