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

# A signal death is reported as 128+N, as runc does.
mkbundle r2 sh -c 'kill -TERM $$'
run_fg r2
rc=$?
[ $rc = 143 ] || fail "container killed by SIGTERM: run exited $rc, expected 143"
exit 0
