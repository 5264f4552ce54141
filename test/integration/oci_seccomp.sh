# shellcheck shell=bash
# oci_seccomp.sh — linux.seccomp: a rule denies a syscall with the errno
# asked for (or EPERM), kills with SIGSYS, matches arguments; the filter is
# the container's (Seccomp: 2), also for exec'd processes and for a non-root
# user without no_new_privs; podman's profile runs a shell; a notify rule
# hands the listener its fd; bad profiles fail cleanly.
. "$SRCDIR/test/helpers/oci.sh"

# seccomp BUNDLE JSON: sets linux.seccomp.
seccomp() {
	jqi "$1/config.json" '.linux.seccomp = $s' --argjson s "$2"
}

DENY_MKDIR='{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
	{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 28}]}'

test_rule_denies_with_the_given_errno() {
	need_root
	local b id out
	b=$(bundle b 'exec 2>&1; mkdir /tmp/denied; echo "rc=$?"; touch /tmp/allowed && echo touched; grep ^Seccomp: /proc/self/status')
	seccomp "$b" "$DENY_MKDIR"
	id=$(cid errno)
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" 'No space left on device' "errno 28 (ENOSPC)"
	expect_match "$out" '^rc=1$'
	expect_match "$out" '^touched$' "other syscalls work"
	expect_match "$out" '^Seccomp:\s+2$' "filter mode"
	test ! -e "$b/rootfs/tmp/denied" || fail "the directory was made"
}

test_errno_defaults_to_eperm() {
	need_root
	local b id
	b=$(bundle b 'exec 2>&1; mkdir /tmp/denied')
	seccomp "$b" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
	id=$(cid eperm)
	expect_match "$(oci run --bundle "$b" "$id" || true)" 'Operation not permitted'
}

test_kill_action_is_sigsys() {
	need_root
	local b id
	b=$(bundle b)
	set_args "$b" /bin/mkdir /tmp/killed
	seccomp "$b" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
	id=$(cid kill)
	expect_status 159 oci run --bundle "$b" "$id"
	test ! -e "$b/rootfs/tmp/killed" || fail "the directory was made"
	nothing_left "$id"
}

test_rule_with_argument_conditions() {
	need_root
	local b id out
	# personality(PER_LINUX32 = 8) is denied, personality(PER_LINUX = 0) is not
	b=$(bundle b 'exec 2>&1; linux32 uname -m; echo "linux32=$?"; linux64 uname -m; echo "linux64=$?"')
	seccomp "$b" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
		 "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}'
	id=$(cid args)
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" '^linux32=[1-9]' "personality(8) denied"
	expect_match "$out" '^x86_64$' "personality(0) allowed"
	expect_match "$out" '^linux64=0$'
}

test_default_errno_with_an_allow_list() {
	need_root
	[ -s /usr/share/containers/seccomp.json ] || skip "no /usr/share/containers/seccomp.json"
	local b id out
	# podman's profile (default ENOSYS, an allow list) without mkdir
	b=$(bundle b 'exec 2>&1; mkdir /tmp/x; echo "mkdir=$?"; echo still-here')
	seccomp "$b" "$(jq -c '.syscalls |= map(.names -= ["mkdir", "mkdirat"])' /usr/share/containers/seccomp.json)"
	id=$(cid allow)
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" 'Function not implemented' "mkdir gets ENOSYS"
	expect_match "$out" '^mkdir=1$'
	expect_match "$out" '^still-here$'
}

test_podman_profile_runs_a_shell() {
	need_root
	[ -s /usr/share/containers/seccomp.json ] || skip "no /usr/share/containers/seccomp.json"
	local b id out
	b=$(bundle b 'exec 2>&1; echo ok; ls / > /dev/null && echo ls-ok; grep ^Seccomp: /proc/self/status; swapoff -a; echo "swapoff=$?"')
	seccomp "$b" "$(jq -c . /usr/share/containers/seccomp.json)"
	id=$(cid podman)
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" '^ok$'
	expect_match "$out" '^ls-ok$'
	expect_match "$out" '^Seccomp:\s+2$'
	expect_match "$out" '^swapoff=[1-9]' "swapoff is refused"
}

test_exec_gets_the_filter() {
	need_root
	local b id out
	b=$(bundle b 'sleep 30')
	seccomp "$b" "$DENY_MKDIR"
	id=$(cid exec)
	start_bg "$b" "$id"
	out=$(oci exec "$id" sh -c 'mkdir /tmp/x 2>&1; grep ^Seccomp: /proc/self/status')
	expect_match "$out" 'No space left on device' "the exec'd process is filtered"
	expect_match "$out" '^Seccomp:\s+2$'
}

test_non_root_without_no_new_privs() {
	need_root
	local b id out
	# the filter is loaded while CAP_SYS_ADMIN is still there (as runc)
	b=$(bundle b 'exec 2>&1; id -u; mkdir /tmp/x; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status')
	chmod 1777 "$b/rootfs/tmp"
	seccomp "$b" "$DENY_MKDIR"
	jqi "$b/config.json" '.process.noNewPrivileges = false | .process.user = {uid: 1000, gid: 1000}'
	id=$(cid nonnp)
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" '^1000$'
	expect_match "$out" 'No space left on device'
	expect_match "$out" '^Seccomp:\s+2$'
	expect_match "$out" '^NoNewPrivs:\s+0$'
}

test_unknown_syscall_names_are_skipped() {
	need_root
	local b id
	b=$(bundle b 'echo fine')
	seccomp "$b" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["no_such_syscall_at_all", "mkdir"], "action": "SCMP_ACT_ERRNO"}]}'
	id=$(cid unknown)
	expect_eq "$(oci run --bundle "$b" "$id")" fine
}

test_architectures_and_flags() {
	need_root
	local b id
	b=$(bundle b 'mkdir /tmp/x 2>&1 || true')
	seccomp "$b" '{"defaultAction": "SCMP_ACT_ALLOW",
		"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		"flags": ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 28}]}'
	id=$(cid arch)
	expect_match "$(oci run --bundle "$b" "$id")" 'No space left on device'
}

test_bad_profiles_fail_cleanly() {
	need_root
	local b id p
	b=$(bundle b 'true')
	id=$(cid bad)
	for p in '{"defaultAction": "SCMP_ACT_BOGUS"}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOPE"}]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_PDP11"]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_NOTIFY"}]}' \
		'"a string"'; do
		seccomp "$b" "$p"
		expect_fail oci run --bundle "$b" "$id" 2> "$TEST_TMP/err"
		expect_match "$(cat "$TEST_TMP/err")" 'seccomp' "error for $p"
		nothing_left "$id"
	done
}

test_notify_hands_the_fd_to_the_listener() {
	need_root
	local b id sock out msg
	sock=$TEST_TMP/agent.sock
	out=$TEST_TMP/agent.json
	/usr/bin/python3 "$SRCDIR/test/helpers/seccomp_agent.py" "$sock" "$out" 6 &
	cleanup_add "kill $! 2>/dev/null; true"
	await 5 test -e "$out.ready"
	b=$(bundle b 'exec 2>&1; mkdir /tmp/notified; echo "rc=$?"')
	seccomp "$b" "$(jq -nc --arg s "$sock" '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: $s,
		listenerMetadata: "meta-data", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]}')"
	id=$(cid notify)
	msg=$(timeout 20 "$CPOD" oci --root "$TEST_ROOT" run --bundle "$b" "$id") || log "run: $?"
	await 10 test -s "$out" || fail "the agent did not finish"
	jq -e '.timeout | not' "$out" > /dev/null || fail "the listener never got a connection"
	expect_eq "$(jq -r .fds "$out")" 1 "one fd passed"
	expect_eq "$(jq -r .fd_kind "$out")" "anon_inode:seccomp notify" "the fd is a seccomp listener"
	expect_eq "$(jq -c .message.fds "$out")" '["seccompFd"]'
	expect_eq "$(jq -r .message.metadata "$out")" meta-data
	expect_eq "$(jq -r .message.state.id "$out")" "$id"
	expect_eq "$(jq -r .message.state.bundle "$out")" "$b"
	# the agent closed the fd without answering: the syscall failed
	expect_match "$msg" 'Function not implemented' "the notified mkdir failed"
	nothing_left "$id"
}

test_notify_for_an_exec_process() {
	need_root
	local b id sock out msg
	b=$(bundle b 'sleep 30')
	seccomp "$b" "$(jq -nc --arg s "$TEST_TMP/agent.sock" '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: $s,
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]}')"
	id=$(cid nexec)
	# the init's own hand-over goes to a first agent
	/usr/bin/python3 "$SRCDIR/test/helpers/seccomp_agent.py" "$TEST_TMP/agent.sock" "$TEST_TMP/init.json" 6 &
	cleanup_add "kill $! 2>/dev/null; true"
	await 5 test -e "$TEST_TMP/init.json.ready"
	start_bg "$b" "$id"
	await 5 test -s "$TEST_TMP/init.json" || fail "the init's agent did not finish"
	jq -e '.timeout | not' "$TEST_TMP/init.json" > /dev/null || fail "the listener never got the init's fd"
	rm -f "$TEST_TMP/agent.sock"
	# then an exec'd process's to a second one
	/usr/bin/python3 "$SRCDIR/test/helpers/seccomp_agent.py" "$TEST_TMP/agent.sock" "$TEST_TMP/exec.json" 6 &
	cleanup_add "kill $! 2>/dev/null; true"
	await 5 test -e "$TEST_TMP/exec.json.ready"
	msg=$(timeout 20 "$CPOD" oci --root "$TEST_ROOT" exec "$id" sh -c 'mkdir /tmp/x 2>&1; echo "rc=$?"') || true
	await 5 test -s "$TEST_TMP/exec.json" || fail "the exec's agent did not finish"
	jq -e '.timeout | not' "$TEST_TMP/exec.json" > /dev/null || fail "the listener never got the exec's fd"
	expect_eq "$(jq -r .fd_kind "$TEST_TMP/exec.json")" "anon_inode:seccomp notify"
	expect_eq "$(jq -r .message.state.id "$TEST_TMP/exec.json")" "$id"
	expect_ne "$(jq -r .message.pid "$TEST_TMP/exec.json")" "$(state_of "$id" pid)" "the exec'd process's pid"
	expect_match "$msg" 'Function not implemented'
}

test_notify_without_a_listener_fails_cleanly() {
	need_root
	local b id
	b=$(bundle b 'true')
	seccomp "$b" "$(jq -nc --arg s "$TEST_TMP/nobody.sock" '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: $s,
		syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}')"
	id=$(cid nolistener)
	expect_fail timeout 20 "$CPOD" oci --root "$TEST_ROOT" run --bundle "$b" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'nobody.sock'
	nothing_left "$id"
}

# The runtime keeps compiled programs in ROOT/.seccomp: a filter loaded
# from there must be the same filter, a different profile must not hit
# another's program, and a damaged entry must not weaken anything.
test_cached_filters_still_apply() {
	need_root
	local b id out f
	b=$(bundle b 'exec 2>&1; mkdir /tmp/d1; echo "rc=$?"; rmdir /tmp/d1 2>/dev/null; grep ^Seccomp: /proc/self/status')
	seccomp "$b" "$DENY_MKDIR"
	id=$(cid cache)
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" 'No space left on device' "first run (compiled)"
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" 'No space left on device' "second run (from the cache, if any)"
	expect_match "$out" '^Seccomp:\s+2$'
	# another errno: another program
	seccomp "$b" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30}]}'
	expect_match "$(oci run --bundle "$b" "$id")" 'Read-only file system' "errno 30, not a cached 28"
	# damaged entries: truncated, or garbage
	if [ -d "$TEST_ROOT/.seccomp" ]; then
		for f in "$TEST_ROOT"/.seccomp/*; do
			[ -f "$f" ] || continue
			head -c 7 "$f" > "$f.tmp" && mv "$f.tmp" "$f"
		done
		expect_match "$(oci run --bundle "$b" "$id")" 'Read-only file system' "a truncated entry"
		for f in "$TEST_ROOT"/.seccomp/*; do
			[ -f "$f" ] || continue
			head -c 4096 /dev/urandom > "$f"
		done
		expect_match "$(oci run --bundle "$b" "$id")" 'Read-only file system' "a garbage entry"
		expect_eq "$(stat -c %a "$TEST_ROOT/.seccomp")" 700 "the cache is private"
	fi
	nothing_left "$id"
}
