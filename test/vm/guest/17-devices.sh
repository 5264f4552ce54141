# The cgroup v2 device filter (an eBPF program): with the default rules a
# container (given CAP_MKNOD) can use /dev/null, but not a device node it
# makes for something outside the allow list (/dev/kmsg's 1:11): either
# mknod or the open for writing fails with EPERM.
. /tests/lib.sh
need_runtime
[ -c /dev/kmsg ] && echo "vm devices test" > /dev/kmsg ||
	fail "the guest itself cannot write /dev/kmsg"
EXTRA_CAPS='"CAP_MKNOD"' mkbundle d1 sh -c '
echo x > /dev/null && echo null-ok
if mknod /dev/kmsg2 c 1 11; then
	echo mknod-ok
	if echo x > /dev/kmsg2; then echo write-ok; else echo write-denied; fi
else
	echo mknod-denied
fi
echo WORKLOAD-DONE'
run_fg d1 || fail "container exited $?"
grep -q '^null-ok$' "$BUNDLES/d1.out" || fail "/dev/null is not writable in the container"
grep -q '^write-ok$' "$BUNDLES/d1.out" &&
	fail "wrote to a 1:11 node: the device filter let it through"
grep -Eq '^(write|mknod)-denied$' "$BUNDLES/d1.out" || fail "unexpected output"
grep -q 'Operation not permitted' "$BUNDLES/d1.out" || fail "the denial was not EPERM"

# An explicit allow rule for 1:11 lets the same write through.
EXTRA_CAPS='"CAP_MKNOD"' \
DEV_RULES='{"allow":true,"type":"c","major":1,"minor":11,"access":"rwm"}' \
mkbundle d2 sh -c 'mknod /dev/kmsg2 c 1 11 && echo x > /dev/kmsg2 && echo write-ok'
run_fg d2 || fail "with 1:11 allowed: container exited $?"
grep -q '^write-ok$' "$BUNDLES/d2.out" || fail "with 1:11 allowed, the write still failed"
exit 0
