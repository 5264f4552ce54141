# shellcheck shell=bash
# ctr_limits.sh — limits and robustness, through cpod-mini on real
# containers: --memory with a memory hog (an OOM kill recorded as
# OOMKilled in inspect, cgroup v1 here), --pids-limit (forks refused past
# it), --read-only (the root refuses writes, /tmp and /run stay writable),
# kill -9 of a supervisor and of its container then `ps` reconciling the
# container as exited (run in a private mount namespace under cgroups of
# its own, cleaned up by PID), and 20 containers started in parallel, then
# all stopped and removed with nothing left behind.
# shellcheck disable=SC2034 # read by test/run
TIMEOUT=300
. "$SRCDIR/test/helpers/ctr/ctr.sh"

# limits_cgroup CTR CONTROLLER: the container's cgroup v1 directory.
limits_cgroup() {
	printf '/sys/fs/cgroup/%s%s\n' "$2" "$(awk -F: -v c="$2" '$2 == c { print $3 }' "/proc/$(ctr_pid "$1")/cgroup")"
}

test_memory_limit_oom_kill() {
	ctr_setup
	[ -d /sys/fs/cgroup/memory ] || skip "no cgroup v1 memory controller"
	ctr_need_recorded "--memory" '{{.HostConfig.Memory}}' 33554432 --memory 32m
	cpod run -d --name m --memory 32m --memory-swap 32m busybox sleep 100000 > /dev/null
	expect_eq "$(cat "$(limits_cgroup m memory)/memory.limit_in_bytes")" 33554432 "the cgroup's limit"
	cpod rm -f m > /dev/null
	# a hog: a shell variable growing past the limit
	capture timeout 120 "$CPOD" run --name hog --memory 32m --memory-swap 32m busybox sh -c \
		'x=a; while :; do x="$x$x"; done'
	expect_eq "$STATUS" 137 "killed by SIGKILL"
	expect_eq "$(ctr_get hog '{{.State.OOMKilled}} {{.State.ExitCode}} {{.State.Status}}')" "true 137 exited" \
		"the OOM kill recorded"
	expect_eq "$(cpod ps -a --format json | jq -r '.[0].OOMKilled')" true
	# a container that stays under the limit is not marked
	cpod run --name small --memory 32m busybox sh -c 'x=abc; echo ${#x}' > /dev/null
	expect_eq "$(ctr_get small '{{.State.OOMKilled}} {{.State.ExitCode}}')" "false 0"
}

test_pids_limit() {
	ctr_setup
	ctr_need_recorded "--pids-limit" '{{.HostConfig.PidsLimit}}' 12 --pids-limit 12
	cpod run -d --name p --pids-limit 12 busybox sleep 100000 > /dev/null
	expect_eq "$(cat "$(limits_cgroup p pids)/pids.max")" 12 "the cgroup's limit"
	# 30 background sleeps: some forks fail, the shell says so, and never
	# more than 12 tasks at once
	local out
	out=$(cpod exec p sh -c 'n=0; for i in $(seq 1 30); do sleep 30 & [ $? = 0 ] && n=$((n + 1)); done
		echo "tasks: $(ls /proc | grep -c "^[0-9]*$")"' 2>&1 || true)
	log "$out"
	expect_match "$out" "can't fork|Resource temporarily unavailable|fork" "forks refused past the limit"
	local cur
	cur=$(cat "$(limits_cgroup p pids)/pids.current")
	[ "$cur" -le 12 ] || fail "pids.current $cur above the limit"
	expect_eq "$(cat "$(limits_cgroup p pids)/pids.max")" 12
	expect_eq "$(ctr_status p)" running "the container survives"
}

test_read_only_root() {
	ctr_setup
	ctr_need_flags --read-only
	local out
	out=$(cpod run --rm --read-only busybox sh -c 'touch /x 2>&1; echo "root:$?"
		touch /etc/y 2>&1; echo "etc:$?"
		touch /tmp/ok && echo tmp-ok; touch /run/ok && echo run-ok; touch /var/tmp/ok && echo vartmp-ok
		grep " / " /proc/self/mountinfo | head -n 1')
	log "$out"
	expect_match "$out" 'Read-only file system' "writes to / refused"
	expect_match "$out" '^root:1$'
	expect_match "$out" '^etc:1$'
	expect_match "$out" '^tmp-ok$' "/tmp is writable (tmpfs, as podman's --read-only-tmpfs)"
	expect_match "$out" '^run-ok$'
	expect_match "$out" '^vartmp-ok$'
	expect_match "$out" ' / ro[, ]' "the root mount is ro"
	# nothing was written to the container's layer
	cpod run --name ro --read-only busybox sh -c 'touch /x; echo x > /tmp/x' > /dev/null 2>&1 || true
	expect_no_match "$(cpod diff ro)" '^A /x$' "no file made on the root"
	# exec into a read-only container is read-only too
	cpod run -d --name rod --read-only busybox sleep 100000 > /dev/null
	ctr_expect 1 cpod exec rod touch /x
	expect_match "$ERR" 'Read-only'
}

# kill -9 of the supervisor: the container runs on; kill -9 of the
# container's init too: ps must show it exited (reconciled), never running.
limits_reconcile() {
	ctr_setup
	local sup pid id
	id=$(cpod run -d --name k busybox sleep 100000)
	sup=$(ctr_supervisor k)
	pid=$(ctr_pid k)
	kill -KILL "$sup"
	wait_for 20 ctr_dead "$sup" || fail "the supervisor survived kill -9"
	expect_eq "$(cpod ps --format '{{.Names}} {{.State}}')" "k running" "the container still runs"
	kill -KILL "$pid"
	wait_for 20 ctr_dead "$pid" || fail "the init survived kill -9"
	expect_eq "$(cpod ps -a --format '{{.Names}} {{.State}}')" "k exited" "ps reconciles it as exited"
	expect_eq "$(cpod ps -q)" "" "not among the running"
	expect_eq "$(ctr_get k '{{.State.Status}} {{.State.Running}} {{.State.Pid}}')" "exited false 0"
	# it can start again, and be stopped and removed as usual
	capture cpod start k
	if [ "$STATUS" != 0 ] && printf '%s\n' "$ERR" | grep -q 'already exists'; then
		cpod rm -f k > /dev/null
		fail "start after a killed supervisor: $ERR"
	fi
	expect_eq "$STATUS" 0 "start after the reconcile"
	ctr_await_status k running 30
	cpod stop -t 1 k > /dev/null
	cpod rm k > /dev/null
	ctr_nothing_left "$id"
	# both killed at once, by the same kill
	cpod run -d --name k2 busybox sleep 100000 > /dev/null
	kill -KILL "$(ctr_supervisor k2)" "$(ctr_pid k2)"
	wait_for 30 ctr_status_is k2 exited || fail "k2: $(ctr_status k2) after its supervisor and init were killed"
	cpod rm -f k2 > /dev/null
	# a supervisor killed while the container is stopped by another
	cpod run -d --name k3 busybox sleep 100000 > /dev/null
	kill -KILL "$(ctr_supervisor k3)"
	cpod stop -t 1 k3 > /dev/null
	expect_eq "$(ctr_status k3)" exited "stop without a supervisor"
	cpod rm k3 > /dev/null
}

test_supervisor_kill_reconciled() {
	ctr_setup
	ctr_isolated limits_reconcile
}

limits_par_run() {
	"$CPOD" run -d --name "par$1" busybox sleep 100000 > "$TEST_TMP/par$1.out" 2> "$TEST_TMP/par$1.err"
}

test_twenty_in_parallel() {
	ctr_setup
	local i pids=() rc=0 ids
	for i in $(seq 1 20); do
		limits_par_run "$i" &
		pids+=("$!")
	done
	for i in "${pids[@]}"; do
		wait "$i" || rc=$?
	done
	[ "$rc" = 0 ] || fail "a parallel run failed: $(cat "$TEST_TMP"/par*.err)"
	expect_eq "$(cpod ps -q | wc -l)" 20 "twenty running"
	expect_eq "$(cpod ps --format '{{.Names}}' | sort -u | wc -l)" 20 "twenty names"
	ids=$(cat "$TEST_TMP"/par*.out | sort -u)
	expect_eq "$(wc -l <<< "$ids")" 20 "twenty ids"
	for i in $(seq 1 20); do
		ctr_alive "$(ctr_pid "par$i")" || fail "par$i does not run"
	done
	# all stopped at once, then removed at once
	pids=()
	for i in $(seq 1 20); do
		"$CPOD" stop -t 2 "par$i" > /dev/null &
		pids+=("$!")
	done
	for i in "${pids[@]}"; do
		wait "$i" || rc=$?
	done
	[ "$rc" = 0 ] || fail "a parallel stop failed"
	expect_eq "$(cpod ps -q | wc -l)" 0 "none running"
	expect_eq "$(cpod ps -a --format '{{.State}}' | sort -u)" exited
	pids=()
	for i in $(seq 1 20); do
		"$CPOD" rm "par$i" > /dev/null &
		pids+=("$!")
	done
	for i in "${pids[@]}"; do
		wait "$i" || rc=$?
	done
	[ "$rc" = 0 ] || fail "a parallel rm failed"
	expect_eq "$(cpod ps -aq)" "" "all removed"
	for i in $ids; do
		ctr_nothing_left "$i"
	done
}
