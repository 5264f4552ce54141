# linux.resources.pids.limit 10: pids.max holds 10 and a shell that tries
# to start 30 sleeps in the background meets fork failures (pids.events max).
. /tests/lib.sh
need_runtime
RES='"pids":{"limit":10}' mkbundle n1 sh -c \
	'for i in $(seq 30); do sleep 600 & done; echo SPAWNED-ALL; exec sleep 600'
start_bg n1
d=$(cgdir n1)
expect_file "$d/pids.max" 10
# ash gives up at the first failed fork ("can't fork"); either way the
# kernel counts the refusal in pids.events.
n=0
while [ $n -lt 300 ]; do
	m=$(kv "$d/pids.events" max)
	[ -n "$m" ] && [ "$m" -ge 1 ] && break
	grep -q SPAWNED-ALL "$BUNDLES/n1.out" && break
	usleep 100000
	n=$((n + 1))
done
dump_cg "$d"
out n1 | sed 's/^/# out: /' | head -5
grep -q SPAWNED-ALL "$BUNDLES/n1.out" && fail "30 sleeps started under pids.max 10"
m=$(kv "$d/pids.events" max)
[ -n "$m" ] && [ "$m" -ge 1 ] || fail "pids.events max is '$m', expected >= 1"
grep -Eqi "fork|resource temporarily unavailable" "$BUNDLES/n1.out" ||
	fail "no fork failure reported by the container"
cur=$(cat "$d/pids.current")
[ "$cur" -le 10 ] || fail "pids.current $cur above 10"
rt delete --force n1 || fail "delete --force n1 failed"
exit 0
