# shellcheck shell=bash
# base_fixture.sh — the test fixtures and test/lib.sh themselves: the
# busybox bundle is complete and runs under a reference runtime (runc), and
# the helpers behave as the other tests expect.

test_bundle_layout() {
	local b
	b=$(tmpdir bundle)
	make_bundle "$b"
	local r=$b/rootfs
	test -x "$r/bin/busybox"
	expect_eq "$(readlink "$r/bin/sh")" busybox "/bin/sh is an applet link"
	test -L "$r/bin/ls"
	for d in proc sys dev tmp etc root; do
		test -d "$r/$d" || fail "no /$d in the rootfs"
	done
	expect_eq "$(stat -c %a "$r/tmp")" 1777 "/tmp mode"
	expect_match "$(cat "$r/etc/passwd")" '^root:x:0:0:'
	expect_match "$(cat "$r/etc/passwd")" '^nobody:x:65534:65534:'
	expect_match "$(cat "$r/etc/group")" '^root:x:0:'
	test -f "$r/etc/hostname"
	# config.json: valid, runs the greeting without a terminal
	jq -e '.ociVersion and .root.path == "rootfs"' "$b/config.json" >/dev/null
	expect_eq "$(jq -c .process.args "$b/config.json")" '["/bin/sh","-c","echo hello from cpod"]'
	expect_eq "$(jq .process.terminal "$b/config.json")" false
	# the busybox works
	expect_eq "$("$r/bin/busybox" echo ok)" ok
	# small: a copy of ~2 MB, not a download
	local kb
	kb=$(du -sk "$r" | cut -f1)
	[ "$kb" -lt 8192 ] || fail "rootfs is $kb KiB"
}

test_bundle_is_remade_in_place() {
	local b
	b=$(tmpdir bundle)
	make_bundle "$b"
	touch "$b/rootfs/stale"
	jqi "$b/config.json" '.hostname = "edited"'
	make_bundle "$b"
	test ! -e "$b/rootfs/stale" || fail "old rootfs kept"
	expect_ne "$(jq -r .hostname "$b/config.json")" edited "config.json rewritten"
}

test_arm64_bundle() {
	local b
	b=$(tmpdir bundle)
	if ! "$FIXTURES/busybox-rootfs-cache" arm64 >/dev/null 2>"$TEST_TMP/err"; then
		cat "$TEST_TMP/err" >&2
		skip "no arm64 busybox-static (make deps adds the arm64 architecture)"
	fi
	make_bundle "$b" arm64
	expect_match "$(od -An -tx1 -j18 -N2 "$b/rootfs/bin/busybox")" '^ b7 00$' "an aarch64 ELF"
	test -L "$b/rootfs/bin/sh"
}

# The fixture against runc, the reference runtime: the bundle is valid.
test_bundle_runs_under_runc() {
	need_root
	need runc
	local b id out
	b=$(tmpdir bundle)
	make_bundle "$b"
	id=cpod-test-fixture-$$
	cleanup_add runc --root "$TEST_TMP/runc" delete --force "$id"
	out=$(runc --root "$TEST_TMP/runc" run --bundle "$b" "$id")
	expect_eq "$out" "hello from cpod"
}

test_lib_helpers() {
	# expect_fail / expect_status keep the status
	expect_fail false
	expect_eq "$LIB_STATUS" 1
	expect_status 3 sh -c 'exit 3'
	# wait_for: succeeds as soon as the condition holds, fails after the timeout
	(sleep 0.3; touch "$TEST_TMP/flag") &
	wait_for 5 test -e "$TEST_TMP/flag"
	wait
	if wait_for 0.2 false 2>/dev/null; then
		fail "wait_for did not time out"
	fi
	# jqi with arguments
	echo '{"a": 1}' > "$TEST_TMP/x.json"
	jqi "$TEST_TMP/x.json" '.b = $v' --argjson v '[1, 2]'
	expect_eq "$(jq -c . "$TEST_TMP/x.json")" '{"a":1,"b":[1,2]}'
	# unused_uid has no passwd entry
	local uid
	uid=$(unused_uid)
	[ "$uid" -ge 100000 ] || fail "uid $uid"
	! getent passwd "$uid" >/dev/null || fail "uid $uid is in use"
	# oci uses this test's own state root
	expect_match "$TEST_ROOT" "^$TEST_TMP/"
	# tmpdir gives distinct directories inside TEST_TMP
	local a b
	a=$(tmpdir)
	b=$(tmpdir)
	expect_ne "$a" "$b"
	expect_match "$a" "^$TEST_TMP/"
}

test_lib_cleanups_run_last_first() {
	# A nested test run by hand: its cleanups run in reverse order even
	# when it fails, and its own temporary directory goes away.
	local out
	out=$(cd "$SRCDIR" && env -u TEST_TMP -u TEST_SKIP_FILE bash -c '
		. test/lib.sh
		t() { cleanup_add "echo first"; cleanup_add echo "second arg"; echo "tmp=$TEST_TMP"; false; }
		lib_main t' 2>/dev/null) && fail "the nested test passed"
	expect_eq "$(printf '%s\n' "$out" | sed -n 2,3p | tr '\n' '|')" "second arg|first|"
	local tmp
	tmp=$(printf '%s\n' "$out" | sed -n 's/^tmp=//p')
	expect_match "$tmp" '^/tmp/cpod-test\.'
	test ! -e "$tmp" || fail "$tmp is left"
}
