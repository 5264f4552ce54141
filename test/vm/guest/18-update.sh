# `update --resources FILE ID` on a running container rewrites its cgroup
# files: pids.max 10 -> 20, memory.max 64 MiB -> 128 MiB, cpu.max.
. /tests/lib.sh
need_runtime
RES='"pids":{"limit":10},"memory":{"limit":67108864}' mkbundle u1 sleep 600
start_bg u1
d=$(cgdir u1)
expect_file "$d/pids.max" 10
expect_file "$d/memory.max" 67108864
cat > "$BUNDLES/u1-res.json" <<EOF
{"pids": {"limit": 20}, "memory": {"limit": 134217728}, "cpu": {"quota": 50000, "period": 100000}}
EOF
rt update --resources "$BUNDLES/u1-res.json" u1 || fail "update failed"
expect_file "$d/pids.max" 20
expect_file "$d/memory.max" 134217728
expect_file "$d/cpu.max" "50000 100000"
# Only pids: the others stay.
echo '{"pids": {"limit": 30}}' > "$BUNDLES/u1-res2.json"
rt update --resources "$BUNDLES/u1-res2.json" u1 || fail "second update failed"
expect_file "$d/pids.max" 30
expect_file "$d/memory.max" 134217728
[ "$(state_field u1 status)" = running ] || fail "container not running after update"
rt delete --force u1 || fail "delete --force u1 failed"
exit 0
