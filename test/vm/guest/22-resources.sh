# The v1-shaped OCI resources land in the v2 files as runc writes them:
# cpu.shares -> cpu.weight (262144 is 10000 under both runc conversions),
# cpuset, memory.reservation -> memory.low, memory+swap -> memory.swap.max.
. /tests/lib.sh
need_runtime
RES='"cpu":{"shares":262144,"cpus":"1","mems":"0"},
"memory":{"limit":67108864,"reservation":16777216,"swap":67108864},
"pids":{"limit":100}' mkbundle s1 sleep 600
start_bg s1
d=$(cgdir s1)
dump_cg "$d"
expect_file "$d/cpu.weight" 10000
expect_file "$d/cpuset.cpus" 1
expect_file "$d/cpuset.mems" 0
expect_file "$d/memory.max" 67108864
expect_file "$d/memory.low" 16777216
expect_file "$d/pids.max" 100
# OCI's swap is memory+swap; v2's swap.max is swap alone.
[ -e "$d/memory.swap.max" ] && expect_file "$d/memory.swap.max" 0
pid=$(state_field s1 pid)
grep -q '^Cpus_allowed_list:[[:space:]]*1$' /proc/$pid/status ||
	fail "the container runs on $(grep Cpus_allowed_list /proc/$pid/status)"
rt delete --force s1 || fail "delete --force s1 failed"
exit 0
