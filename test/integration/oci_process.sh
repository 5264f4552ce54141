# shellcheck shell=bash
# oci_process.sh — the container's process as it sees itself: user, group
# and supplementary groups, capabilities (from /proc/self/status, and
# enforced), rlimits, environment, cwd, umask, no_new_privs, oomScoreAdj,
# personality, I/O priority, arguments and stdio.
. "$SRCDIR/test/helpers/oci.sh"

# status_field OUT NAME: the value of NAME: in a /proc/self/status dump.
status_field() {
	sed -n "s/^$2:[[:space:]]*//p" <<< "$1" | head -n 1
}

test_user_group_and_additional_gids() {
	need_root
	local b id out
	b=$(bundle b 'id -u; id -g; cat /proc/self/status')
	jqi "$b/config.json" '.process.user = {uid: 1000, gid: 1001, additionalGids: [10, 20, 4242]}'
	id=$(cid user)
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$(sed -n 1p <<< "$out")" 1000 "uid"
	expect_eq "$(sed -n 2p <<< "$out")" 1001 "gid"
	expect_eq "$(status_field "$out" Uid)" $'1000\t1000\t1000\t1000' "real, effective, saved, fs uid"
	expect_eq "$(status_field "$out" Gid)" $'1001\t1001\t1001\t1001' "gids"
	expect_eq "$(status_field "$out" Groups | xargs)" "10 20 4242" "supplementary groups"
}

test_root_has_no_supplementary_groups() {
	need_root
	local b id out
	b=$(bundle b 'cat /proc/self/status')
	id=$(cid root)
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$(status_field "$out" Uid)" $'0\t0\t0\t0'
	expect_eq "$(status_field "$out" Groups)" "" "no supplementary groups"
}

test_non_root_user_cannot_write_roots_files() {
	need_root
	local b id out
	b=$(bundle b 'touch /etc/x 2>&1; echo rc=$?')
	jqi "$b/config.json" '.process.user = {uid: 1000, gid: 1000}'
	id=$(cid nonroot)
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" 'Permission denied'
	expect_match "$out" 'rc=1'
}

test_capabilities_default_set() {
	need_root
	local b id out
	b=$(bundle b 'cat /proc/self/status')
	id=$(cid caps)
	out=$(oci run --bundle "$b" "$id")
	# CAP_AUDIT_WRITE(29) CAP_KILL(5) CAP_NET_BIND_SERVICE(10)
	expect_eq "$(status_field "$out" CapEff)" 0000000020000420 "CapEff"
	expect_eq "$(status_field "$out" CapPrm)" 0000000020000420 "CapPrm"
	expect_eq "$(status_field "$out" CapBnd)" 0000000020000420 "CapBnd"
	expect_eq "$(status_field "$out" CapInh)" 0000000000000000 "CapInh"
}

test_capabilities_are_enforced() {
	need_root
	local b id out
	b=$(bundle b 'exec 2>&1; touch /tmp/f; chown 1234 /tmp/f || echo chown-denied; hostname other || echo hostname-denied; cat /proc/self/status')
	id=$(cid enf)
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" '^chown-denied$' "no CAP_CHOWN"
	expect_match "$out" '^hostname-denied$' "no CAP_SYS_ADMIN"
	# add them
	jqi "$b/config.json" '.process.capabilities |= with_entries(.value += ["CAP_CHOWN", "CAP_SYS_ADMIN"])'
	out=$(oci run --bundle "$b" "$id")
	expect_no_match "$out" 'denied' "with the capabilities"
	# bits 0 (CHOWN) and 21 (SYS_ADMIN) on top of the defaults
	expect_eq "$(status_field "$out" CapEff)" 0000000020200421 "CapEff"
	expect_eq "$(status_field "$out" CapBnd)" 0000000020200421 "CapBnd"
}

test_capabilities_of_a_non_root_user_with_ambient() {
	need_root
	local b id out
	b=$(bundle b 'cat /proc/self/status')
	jqi "$b/config.json" '.process.user = {uid: 1000, gid: 1000} |
		.process.capabilities = {bounding: ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
			effective: ["CAP_NET_BIND_SERVICE"], permitted: ["CAP_NET_BIND_SERVICE"],
			inheritable: ["CAP_NET_BIND_SERVICE"], ambient: ["CAP_NET_BIND_SERVICE"]}'
	id=$(cid amb)
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$(status_field "$out" CapAmb)" 0000000000000400 "CapAmb"
	expect_eq "$(status_field "$out" CapEff)" 0000000000000400 "CapEff survives execve as uid 1000"
	expect_eq "$(status_field "$out" CapBnd)" 0000000000000420 "CapBnd"
}

test_no_capabilities_object_keeps_none_for_non_root() {
	need_root
	local b id out
	b=$(bundle b 'cat /proc/self/status')
	jqi "$b/config.json" '.process.user = {uid: 1000, gid: 1000}'
	id=$(cid nocap)
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$(status_field "$out" CapEff)" 0000000000000000 "uid 1000 has no effective caps"
	expect_eq "$(status_field "$out" CapPrm)" 0000000000000000
}

test_rlimits() {
	need_root
	local b id out
	b=$(bundle b 'cat /proc/self/limits')
	jqi "$b/config.json" '.process.rlimits = [
		{type: "RLIMIT_NOFILE", soft: 100, hard: 200},
		{type: "RLIMIT_CORE", soft: 0, hard: 0},
		{type: "RLIMIT_NPROC", soft: 500, hard: 600},
		{type: "RLIMIT_STACK", soft: 4194304, hard: 8388608},
		{type: "RLIMIT_FSIZE", soft: 4096, hard: 4096}]'
	id=$(cid rlim)
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" '^Max open files +100 +200 +files' "NOFILE"
	expect_match "$out" '^Max core file size +0 +0 +bytes' "CORE"
	expect_match "$out" '^Max processes +500 +600 +processes' "NPROC"
	expect_match "$out" '^Max stack size +4194304 +8388608 +bytes' "STACK"
	expect_match "$out" '^Max file size +4096 +4096 +bytes' "FSIZE"
	# and they bite: writing past FSIZE gets SIGXFSZ (25)
	set_args "$b" /bin/sh -c 'dd if=/dev/zero of=/tmp/big bs=8192 count=1 2>/dev/null; echo "dd=$?"'
	expect_match "$(oci run --bundle "$b" "$id" 2>&1)" '^dd=153$' "FSIZE bites"
}

test_env_is_exactly_the_configs() {
	need_root
	local b id out
	b=$(bundle b)
	set_args "$b" /bin/env
	jqi "$b/config.json" '.process.env = ["PATH=/bin:/usr/bin", "FOO=bar baz", "EMPTY=", "HOME=/home/x"]'
	id=$(cid env)
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$(sort <<< "$out")" "$(printf '%s\n' EMPTY= 'FOO=bar baz' HOME=/home/x PATH=/bin:/usr/bin | sort)" \
		"the environment, nothing added or lost"
}

test_home_is_set_from_passwd_when_missing() {
	need_root
	local b id out
	# runc: HOME, when the config does not set it, is the user's home from
	# the container's /etc/passwd (or /)
	b=$(bundle b)
	set_args "$b" /bin/env
	id=$(cid home)
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" '^HOME=/root$' "root's home"
	printf 'app:x:1000:1000::/home/app:/bin/sh\n' >> "$b/rootfs/etc/passwd"
	jqi "$b/config.json" '.process.user = {uid: 1000, gid: 1000}'
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" '^HOME=/home/app$' "the user's home"
	jqi "$b/config.json" '.process.user = {uid: 4242, gid: 4242}'
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" '^HOME=/$' "no passwd entry: /"
}

test_path_lookup_uses_the_containers_path() {
	need_root
	local b id
	b=$(bundle b)
	set_args "$b" echo from-path
	id=$(cid path)
	expect_eq "$(oci run --bundle "$b" "$id")" from-path
	jqi "$b/config.json" '.process.env = ["PATH=/nowhere"]'
	expect_status 127 oci run --bundle "$b" "$id" 2> /dev/null
	nothing_left "$id"
}

test_args_are_passed_verbatim() {
	need_root
	local b id out
	b=$(bundle b)
	set_args "$b" /bin/sh -c 'for a in "$@"; do echo "[$a]"; done' zero 'a b' '' '$HOME' '*'
	id=$(cid args)
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$out" "[a b]"$'\n'"[]"$'\n'"[\$HOME]"$'\n'"[*]"
}

test_cwd() {
	need_root
	local b id out
	b=$(bundle b 'pwd')
	jqi "$b/config.json" '.process.cwd = "/etc"'
	id=$(cid cwd)
	expect_eq "$(oci run --bundle "$b" "$id")" /etc
}

test_missing_cwd_is_created() {
	need_root
	local b id
	# runc makes the cwd when the image lacks it
	b=$(bundle b 'pwd')
	jqi "$b/config.json" '.process.cwd = "/work/dir"'
	id=$(cid mkcwd)
	expect_eq "$(oci run --bundle "$b" "$id" 2>&1)" /work/dir
	test -d "$b/rootfs/work/dir" || fail "the cwd was not made"
}

test_umask() {
	need_root
	local b id
	b=$(bundle b 'umask; rm -f /tmp/f; touch /tmp/f; stat -c %a /tmp/f')
	id=$(cid umask)
	expect_eq "$(oci run --bundle "$b" "$id" | tr '\n' ' ')" "0022 644 " "the default umask"
	jqi "$b/config.json" '.process.user.umask = 63'
	expect_eq "$(oci run --bundle "$b" "$id" | tr '\n' ' ')" "0077 600 " "umask 077"
}

test_no_new_privileges() {
	need_root
	local b id out
	b=$(bundle b 'cat /proc/self/status')
	id=$(cid nnp)
	jqi "$b/config.json" '.process.noNewPrivileges = true'
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$(status_field "$out" NoNewPrivs)" 1
	jqi "$b/config.json" '.process.noNewPrivileges = false'
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$(status_field "$out" NoNewPrivs)" 0
}

test_oom_score_adj() {
	need_root
	local b id
	b=$(bundle b 'cat /proc/self/oom_score_adj')
	jqi "$b/config.json" '.process.oomScoreAdj = 500'
	id=$(cid oom)
	expect_eq "$(oci run --bundle "$b" "$id")" 500
	expect_eq "$(cat /proc/self/oom_score_adj)" 0 "ours is unchanged"
	jqi "$b/config.json" '.process.oomScoreAdj = -300'
	# lowering it takes CAP_SYS_RESOURCE, which this host may not give us
	if (( 0x$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status) >> 24 & 1 )); then
		expect_eq "$(oci run --bundle "$b" "$id")" -300
	else
		expect_fail oci run --bundle "$b" "$id" 2> "$TEST_TMP/err"
		expect_match "$(cat "$TEST_TMP/err")" "oomScoreAdj" "a clear error without CAP_SYS_RESOURCE"
		nothing_left "$id"
	fi
}

test_personality_linux32() {
	need_root
	local b id
	b=$(bundle b 'uname -m')
	jqi "$b/config.json" '.linux.personality = {domain: "LINUX32"}'
	id=$(cid pers)
	expect_match "$(oci run --bundle "$b" "$id")" '^i[3-6]86$' "uname -m under LINUX32"
}

test_io_priority() {
	need_root
	local b id
	b=$(bundle b 'ionice -p $$')
	jqi "$b/config.json" '.process.ioPriority = {class: "IOPRIO_CLASS_IDLE", priority: 0}'
	id=$(cid ioprio)
	expect_match "$(oci run --bundle "$b" "$id")" 'idle' "the I/O class"
}

test_stdin_reaches_the_container() {
	need_root
	local b id out
	b=$(bundle b 'tr a-z A-Z')
	id=$(cid stdin)
	out=$(printf 'shout\nthis\n' | oci run --bundle "$b" "$id")
	expect_eq "$out" "SHOUT"$'\n'"THIS"
}

test_exit_status_of_a_shell_loop_with_children() {
	need_root
	local b id
	# the init reaps its children; its own status is the container's
	b=$(bundle b 'sleep 0.1 & sleep 0.1 & wait; exit 9')
	id=$(cid reap)
	expect_status 9 oci run --bundle "$b" "$id"
}
