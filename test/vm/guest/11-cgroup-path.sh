# An absolute cgroupsPath "/cpod-vm/ID" puts the container in
# /sys/fs/cgroup/cpod-vm/ID (runc semantics), with the controllers enabled
# on the way down; without a cgroup namespace it sees that path.
. /tests/lib.sh
need_runtime
CGROUPNS=0 mkbundle p1 sh -c 'cat /proc/self/cgroup; echo READY; exec sleep 600'
start_bg p1
wait_out p1 READY 30 || fail "container did not start"
pid=$(state_field p1 pid)
[ -n "$pid" ] && [ "$pid" -gt 0 ] || fail "state p1 has no pid"
d=$(cgdir p1)
[ -d "$d" ] || fail "no cgroup directory $d"
dump_cg "$d"
grep -qx "$pid" "$d/cgroup.procs" || fail "pid $pid not in $d/cgroup.procs"
[ "$(cat /proc/$pid/cgroup)" = "0::/cpod-vm/p1" ] ||
	fail "/proc/$pid/cgroup is '$(cat /proc/$pid/cgroup)', expected 0::/cpod-vm/p1"
grep -qx '0::/cpod-vm/p1' "$BUNDLES/p1.out" || fail "container sees '$(head -1 "$BUNDLES/p1.out")'"
# Its parent delegates the controllers (no processes live in the parent).
for c in memory pids cpu io; do
	grep -qw $c "$CG/cpod-vm/cgroup.subtree_control" ||
		fail "controller $c not enabled in $CG/cpod-vm/cgroup.subtree_control"
done
[ -z "$(cat $CG/cpod-vm/cgroup.procs)" ] || fail "processes in $CG/cpod-vm itself"
rt kill p1 KILL || fail "kill p1 failed"
wait_status p1 stopped 30 || fail "p1 did not stop after SIGKILL"
rt delete p1 || fail "delete p1 failed"
exit 0
