# linux.resources.cpu quota 10000 / period 100000: cpu.max holds "10000
# 100000" and a 2 s busy loop is throttled (cpu.stat nr_throttled > 0, and
# well under a full CPU of usage).
. /tests/lib.sh
need_runtime
# The loop starts a second after the container, so the runtime's own start-up
# work in the cgroup is not counted.
RES='"cpu":{"quota":10000,"period":100000}' mkbundle c1 sh -c \
	'sleep 1; echo START; timeout 2 sh -c "while :; do :; done"; echo WORKLOAD-DONE; exec sleep 600'
start_bg c1
d=$(cgdir c1)
expect_file "$d/cpu.max" "10000 100000"
wait_out c1 START 60 || { dump_cg "$d"; fail "the container did not start"; }
use0=$(kv "$d/cpu.stat" usage_usec)
thr0=$(kv "$d/cpu.stat" nr_throttled)
wait_out c1 WORKLOAD-DONE 60 || { dump_cg "$d"; fail "the busy loop did not end"; }
dump_cg "$d"
thr=$(kv "$d/cpu.stat" nr_throttled)
use=$(kv "$d/cpu.stat" usage_usec)
[ -n "$thr" ] && [ "$thr" -gt "$thr0" ] || fail "cpu.stat nr_throttled went from '$thr0' to '$thr'"
# 2 s at 10% is about 200 ms; unthrottled it would be about 2 s.
used=$((use - use0))
info "the loop used ${used} us of CPU in 2 s"
[ "$used" -lt 1000000 ] || fail "the 2 s loop used $used us of CPU under a 10% quota"
rt delete --force c1 || fail "delete --force c1 failed"
exit 0
