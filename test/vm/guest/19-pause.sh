# pause / resume use the v2 freezer (cgroup.freeze, cgroup.events frozen):
# a paused container's counter stops, state says "paused", resume restarts it.
. /tests/lib.sh
need_runtime
mkbundle f1 sh -c 'i=0; while :; do i=$((i + 1)); echo "tick $i"; usleep 100000; done'
start_bg f1
d=$(cgdir f1)
wait_out f1 'tick 3' 30 || fail "container did not start ticking"
rt pause f1 || fail "pause failed"
expect_file "$d/cgroup.freeze" 1
wait_file_re "$d/cgroup.events" '^frozen 1' 10 ||
	fail "cgroup.events: $(tr '\n' ' ' < "$d/cgroup.events")"
[ "$(state_field f1 status)" = paused ] || fail "state is '$(state_field f1 status)' while paused"
n1=$(grep -c tick "$BUNDLES/f1.out")
sleep 1
n2=$(grep -c tick "$BUNDLES/f1.out")
[ "$n1" = "$n2" ] || fail "the container ran while paused ($n1 -> $n2 ticks)"
rt resume f1 || fail "resume failed"
expect_file "$d/cgroup.freeze" 0
wait_file_re "$d/cgroup.events" '^frozen 0' 10 || fail "still frozen after resume"
[ "$(state_field f1 status)" = running ] || fail "state is '$(state_field f1 status)' after resume"
wait_out f1 "tick $((n2 + 3))" 30 || fail "the container did not run again after resume"
rt delete --force f1 || fail "delete --force f1 failed"
exit 0
