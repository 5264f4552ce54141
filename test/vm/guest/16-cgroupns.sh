# A container with a cgroup namespace sees itself at "0::/", and the cgroup2
# mounted at its /sys/fs/cgroup is its own cgroup (its pids.max is there).
. /tests/lib.sh
need_runtime
RES='"pids":{"limit":10}' mkbundle ns1 sh -c \
	'cat /proc/self/cgroup; echo "pids.max=$(cat /sys/fs/cgroup/pids.max)"
	echo READY; exec sleep 600'
start_bg ns1
wait_out ns1 READY 30 || fail "container did not start"
out ns1 | sed 's/^/# out: /'
grep -qx '0::/' "$BUNDLES/ns1.out" ||
	fail "/proc/self/cgroup in the container is '$(head -1 "$BUNDLES/ns1.out")', expected 0::/"
grep -qx 'pids.max=10' "$BUNDLES/ns1.out" ||
	fail "the container's /sys/fs/cgroup is not its own cgroup ($(grep pids.max= "$BUNDLES/ns1.out"))"
pid=$(state_field ns1 pid)
[ -n "$pid" ] || fail "state ns1 has no pid"
[ "$(readlink /proc/$pid/ns/cgroup)" != "$(readlink /proc/self/ns/cgroup)" ] ||
	fail "the container shares the guest's cgroup namespace"
[ "$(cat /proc/$pid/cgroup)" = "0::/cpod-vm/ns1" ] ||
	fail "seen from outside, the container is in '$(cat /proc/$pid/cgroup)'"
rt delete --force ns1 || fail "delete --force ns1 failed"
exit 0
