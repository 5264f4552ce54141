# `run` in the foreground: the container's output and exit status come back,
# and the container's cgroup is gone once it has run.
. /tests/lib.sh
need_runtime
mkbundle r1 sh -c 'echo hello-from-container; cat /proc/self/cgroup; exit 7'
run_fg r1
rc=$?
[ $rc = 7 ] || fail "run exited $rc, expected the container's 7"
grep -q '^hello-from-container$' "$BUNDLES/r1.out" || fail "container output missing"
[ -d "$(cgdir r1)" ] && fail "$(cgdir r1) left behind after run"
rt state r1 >/dev/null 2>&1 && fail "state r1 still answers after run"

# A signal death is reported as 128+N, as runc does.  (The container's init
# is PID 1 of its namespace: only SIGKILL reaches it without a handler.)
mkbundle r2 sleep 600
run_fg r2 &
bg=$!
wait_status r2 running 30 || fail "r2 did not start"
rt kill r2 KILL || fail "kill r2 KILL failed"
wait $bg
rc=$?
[ $rc = 137 ] || fail "container killed by SIGKILL: run exited $rc, expected 137"
[ -d "$(cgdir r2)" ] && fail "$(cgdir r2) left behind after run"
exit 0
