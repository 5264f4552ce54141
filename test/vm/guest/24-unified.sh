# linux.resources.unified: v2 files written as given.
. /tests/lib.sh
need_runtime
RES='"unified":{"memory.high":"52428800","pids.max":"42"}' mkbundle un1 sleep 600
start_bg un1
d=$(cgdir un1)
expect_file "$d/memory.high" 52428800
expect_file "$d/pids.max" 42
rt delete --force un1 || fail "delete --force un1 failed"
# A key naming a file that does not exist is an error, as in runc.
RES='"unified":{"nosuch.file":"1"}' mkbundle un2 true
run_fg un2 && fail "a container with unified {\"nosuch.file\"} ran"
exit 0
