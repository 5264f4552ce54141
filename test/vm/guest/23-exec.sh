# `exec` puts the new process in the container's cgroup (and its cgroup
# namespace, when it has one), and under its limits.
. /tests/lib.sh
need_runtime
CGROUPNS=0 RES='"pids":{"limit":10}' mkbundle ex1 sleep 600
start_bg ex1
got=$(rt_q exec ex1 cat /proc/self/cgroup) || fail "exec failed"
[ "$got" = "0::/cpod-vm/ex1" ] || fail "exec'd process in '$got', expected 0::/cpod-vm/ex1"
# The exec'd process counts against pids.max: 10 in all.
got=$(rt_q exec ex1 sh -c \
	'for i in $(seq 20); do sleep 60 >/dev/null 2>&1 & done; echo SPAWNED-ALL' 2>&1)
echo "$got" | sed 's/^/# /' | head -5
echo "$got" | grep -qx SPAWNED-ALL && fail "exec'd shell started 20 processes under pids.max 10"
m=$(kv "$(cgdir ex1)/pids.events" max)
[ -n "$m" ] && [ "$m" -ge 1 ] || fail "pids.events max is '$m' after the exec'd forks"
rt delete --force ex1 || fail "delete --force ex1 failed"

RES='"pids":{"limit":10}' mkbundle ex2 sleep 600
start_bg ex2
got=$(rt_q exec ex2 cat /proc/self/cgroup) || fail "exec failed"
[ "$got" = "0::/" ] || fail "exec'd process sees '$got' in a cgroup namespace, expected 0::/"
rt delete --force ex2 || fail "delete --force ex2 failed"
exit 0
