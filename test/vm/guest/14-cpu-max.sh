# linux.resources.cpu quota 10000 / period 100000: cpu.max holds "10000
# 100000" and a 2 s busy loop is throttled (cpu.stat nr_throttled > 0, and
# well under a full CPU of usage).
. /tests/lib.sh
need_runtime
RES='"cpu":{"quota":10000,"period":100000}' mkbundle c1 sh -c \
	'timeout 2 sh -c "while :; do :; done"; echo WORKLOAD-DONE; exec sleep 600'
start_bg c1
d=$(cgdir c1)
expect_file "$d/cpu.max" "10000 100000"
wait_out c1 WORKLOAD-DONE 60 || { dump_cg "$d"; fail "the busy loop did not end"; }
dump_cg "$d"
thr=$(kv "$d/cpu.stat" nr_throttled)
use=$(kv "$d/cpu.stat" usage_usec)
[ -n "$thr" ] && [ "$thr" -gt 0 ] || fail "cpu.stat nr_throttled is '$thr', expected > 0"
# 2 s at 10% is about 200 ms; unthrottled it would be about 2 s.
[ -n "$use" ] && [ "$use" -lt 1000000 ] || fail "cpu.stat usage_usec is '$use', expected < 1 s"
rt delete --force c1 || fail "delete --force c1 failed"
exit 0
