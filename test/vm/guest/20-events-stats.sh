# `events --stats ID` prints one JSON object (runc's shape) whose memory
# usage and pids current come from the container's v2 cgroup.
. /tests/lib.sh
need_runtime
RES='"memory":{"limit":67108864},"pids":{"limit":50}' mkbundle e1 sh -c \
	'dd if=/dev/zero of=/dev/shm/fill bs=1M count=8 2>/dev/null; echo READY; exec sleep 600'
start_bg e1
wait_out e1 READY 30 || fail "container did not start"
timeout 30 $RT_CMD --root "$RT_ROOT" events --stats e1 > "$BUNDLES/e1.stats" 2>&1 ||
	{ cat "$BUNDLES/e1.stats"; fail "events --stats failed"; }
j=$(tr -d ' \n\t' < "$BUNDLES/e1.stats")
echo "# $j" | cut -c1-600
case $j in *'"type":"stats"'*) ;; *) fail "no \"type\":\"stats\" in the output" ;; esac
case $j in *'"id":"e1"'*) ;; *) fail "no \"id\":\"e1\" in the output" ;; esac
mem=${j#*\"memory\":}
[ "$mem" != "$j" ] || fail "no memory stats"
# data.memory.usage.usage: the 8 MiB file in /dev/shm is charged to it.
use=$(echo "$mem" | sed -n 's/^{"usage":{[^}]*"usage":\([0-9]*\).*/\1/p')
[ -z "$use" ] && use=$(echo "$mem" | sed -n 's/^{[^}]*"usage":{[^}]*"usage":\([0-9]*\).*/\1/p')
[ -n "$use" ] && [ "$use" -ge 8388608 ] || fail "memory usage '$use', expected >= 8 MiB"
lim=$(echo "$mem" | sed -n 's/^[^}]*"limit":\([0-9]*\).*/\1/p')
[ "$lim" = 67108864 ] || info "memory limit reported as '$lim'"
cur=$(echo "$j" | sed -n 's/.*"pids":{"current":\([0-9]*\).*/\1/p')
[ -n "$cur" ] && [ "$cur" -ge 1 ] || fail "pids.current '$cur', expected >= 1"
rt delete --force e1 || fail "delete --force e1 failed"
exit 0
