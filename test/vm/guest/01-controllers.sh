# The v2 controllers cpod needs are there and enabled below the root.
. /tests/lib.sh
info "cgroup.controllers: $(cat $CG/cgroup.controllers)"
info "cgroup.subtree_control: $(cat $CG/cgroup.subtree_control)"
for c in memory pids cpu io cpuset; do
	grep -qw $c $CG/cgroup.controllers || fail "controller $c missing from cgroup.controllers"
	grep -qw $c $CG/cgroup.subtree_control || fail "controller $c not enabled in the root"
done
# A child gets their files, and a limit can be set from the shell.
d=$CG/vmtest/probe-$$
mkdir $d || fail "mkdir $d"
for f in memory.max memory.events pids.max cpu.max cpu.stat io.max cpuset.cpus \
	cgroup.freeze cgroup.kill; do
	[ -e $d/$f ] || { rmdir $d; fail "$f missing in a child cgroup"; }
done
echo 5 > $d/pids.max && [ "$(cat $d/pids.max)" = 5 ] || { rmdir $d; fail "cannot set pids.max"; }
rmdir $d
exit 0
