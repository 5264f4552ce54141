# blockIO.throttleWriteBpsDevice on a brd RAM disk (/dev/ram0, 1:0, 64 MiB):
# io.max holds "1:0 ... wbps=1048576", and 4 MiB of O_DIRECT writes from the
# container take about 4 s where the same writes from the guest take well
# under a second.
# timeout: 180
. /tests/lib.sh
need_runtime
[ -b /dev/ram0 ] || fail "no /dev/ram0 in the guest"
[ "$(cat /sys/block/ram0/dev)" = 1:0 ] ||
	fail "/dev/ram0 is $(cat /sys/block/ram0/dev), expected 1:0"

# Unthrottled baseline, from the guest.
a=$(uptime_s)
dd if=/dev/zero of=/dev/ram0 bs=256k count=16 oflag=direct 2>&1 || fail "dd to /dev/ram0 failed"
b=$(uptime_s)
base=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b - a }')
info "unthrottled: 4 MiB in ${base}s"
awk -v t="$base" 'BEGIN { exit !(t < 1.5) }' ||
	skip "the guest is too slow to tell (${base}s unthrottled)"

DEVICES='{"path":"/dev/ram0","type":"b","major":1,"minor":0,"fileMode":432,"uid":0,"gid":0}' \
DEV_RULES='{"allow":true,"type":"b","major":1,"minor":0,"access":"rwm"}' \
RES='"blockIO":{"throttleWriteBpsDevice":[{"major":1,"minor":0,"rate":1048576}]}' \
mkbundle i1 sh -c 'a=$(cut -d" " -f1 /proc/uptime)
dd if=/dev/zero of=/dev/ram0 bs=256k count=16 oflag=direct; echo "dd-exit=$?"
b=$(cut -d" " -f1 /proc/uptime)
echo "elapsed=$(awk -v a=$a -v b=$b "BEGIN { printf \"%.2f\", b - a }")"
echo WORKLOAD-DONE; exec sleep 600'
start_bg i1
d=$(cgdir i1)
[ -e "$d/io.max" ] || fail "no io.max in $d"
grep -Eq '^1:0 .*wbps=1048576' "$d/io.max" ||
	fail "io.max is '$(cat "$d/io.max")', expected 1:0 wbps=1048576"
info "io.max: $(cat "$d/io.max")"
wait_out i1 WORKLOAD-DONE 120 || { dump_cg "$d"; fail "the writes did not finish"; }
out i1 | sed 's/^/# out: /'
grep -q '^dd-exit=0$' "$BUNDLES/i1.out" || fail "dd in the container failed"
t=$(sed -n 's/^elapsed=//p' "$BUNDLES/i1.out")
info "throttled: 4 MiB in ${t}s; io.stat: $(cat "$d/io.stat")"
awk -v t="$t" 'BEGIN { exit !(t >= 2.5) }' ||
	fail "4 MiB at wbps=1048576 took ${t}s, expected about 4 s (unthrottled ${base}s)"
w=$(awk '$1 == "1:0" { for (i = 2; i <= NF; i++) if ($i ~ /^wbytes=/) print substr($i, 8) }' \
	"$d/io.stat")
[ -n "$w" ] && [ "$w" -ge 4194304 ] || fail "io.stat wbytes for 1:0 is '$w', expected >= 4194304"
rt delete --force i1 || fail "delete --force i1 failed"
exit 0
