# The cgroup exists from `create` on and `delete` removes it: after a normal
# stop, and with --force on a running container.
. /tests/lib.sh
need_runtime
mkbundle x1 sleep 600
rt_q create --bundle "$BUNDLES/x1" x1 > "$BUNDLES/x1.out" 2>&1 < /dev/null || fail "create failed"
d=$(cgdir x1)
[ -d "$d" ] || fail "no cgroup $d after create"
[ "$(state_field x1 status)" = created ] || fail "state after create: $(state_field x1 status)"
pid=$(state_field x1 pid)
grep -qx "$pid" "$d/cgroup.procs" || fail "the created init ($pid) is not in $d"
rt start x1 || fail "start failed"
wait_status x1 running 10 || fail "not running after start"
rt delete x1 >/dev/null 2>&1 && fail "delete of a running container succeeded without --force"
# The init is PID 1 of its namespace: SIGTERM without a handler is ignored.
rt kill x1 KILL || fail "kill KILL failed"
wait_status x1 stopped 30 || fail "not stopped after SIGKILL"
rt delete x1 || fail "delete failed"
[ -d "$d" ] && fail "$d left behind by delete"
rt state x1 >/dev/null 2>&1 && fail "state x1 still answers after delete"

mkbundle x2 sleep 600
start_bg x2
d=$(cgdir x2)
[ -d "$d" ] || fail "no cgroup $d"
rt delete --force x2 || fail "delete --force failed"
[ -d "$d" ] && fail "$d left behind by delete --force"
[ -d "$CG/cpod-vm" ] && [ -n "$(ls -d "$CG"/cpod-vm/*/ 2>/dev/null)" ] &&
	fail "child cgroups left in $CG/cpod-vm: $(ls -d "$CG"/cpod-vm/*/)"
exit 0
