# linux.resources.memory.limit 32 MiB: memory.max holds it, and a process
# that touches 100 MiB of anonymous memory (busybox dd's 100 MiB buffer,
# filled from /dev/zero) is OOM-killed inside the container, which shows as
# oom_kill in the container cgroup's memory.events.
# timeout: 180
. /tests/lib.sh
need_runtime
RES='"memory":{"limit":33554432}' mkbundle m1 sh -c \
	'dd if=/dev/zero of=/dev/null bs=100M count=1; echo "dd-exit=$?"
	echo WORKLOAD-DONE; exec sleep 600'
start_bg m1
d=$(cgdir m1)
expect_file "$d/memory.max" 33554432
wait_out m1 WORKLOAD-DONE 120 || { dump_cg "$d"; fail "the workload did not finish"; }
dump_cg "$d"
grep -q '^dd-exit=137$' "$BUNDLES/m1.out" ||
	fail "dd was not SIGKILLed: $(grep dd-exit "$BUNDLES/m1.out")"
n=$(kv "$d/memory.events" oom_kill)
[ -n "$n" ] && [ "$n" -ge 1 ] || fail "memory.events oom_kill is '$n', expected >= 1"
cur=$(cat "$d/memory.current")
[ "$cur" -le 33554432 ] || fail "memory.current $cur above memory.max"
rt delete --force m1 || fail "delete --force m1 failed"
[ -d "$d" ] && fail "$d left behind by delete --force"

# The same through `run`: the container's init is the victim, the exit is 137.
RES='"memory":{"limit":33554432}' mkbundle m2 dd if=/dev/zero of=/dev/null bs=100M count=1
run_fg m2
rc=$?
[ $rc = 137 ] || fail "run of an OOM-killed container exited $rc, expected 137"
exit 0
