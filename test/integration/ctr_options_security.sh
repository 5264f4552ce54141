# shellcheck shell=bash
# ctr_options_security.sh — capabilities, seccomp, no_new_privs, masked
# and read-only paths, --privileged, --device, --sysctl, --oom-score-adj
# and --userns, seen from inside the container (/proc/self/status,
# mountinfo, /dev, /proc/sys).  --privileged is only looked at: nothing of
# the host's /dev, /sys or cgroups is written.
. "$SRCDIR/test/integration/ctr_options_lib.sh"

# Our own bounding set: what "ALL" and --privileged can give.
ctr_our_caps() {
	awk '/^CapBnd:/ { print $2 }' /proc/self/status
}

test_default_capabilities_and_seccomp() {
	ctr_import
	local out
	out=$(crun busybox grep -E '^(CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status)
	expect_match "$out" '^CapEff:\s+00000000800405fb$' "podman's eleven capabilities"
	expect_match "$out" '^CapBnd:\s+00000000800405fb$' "the bounding set too"
	expect_match "$out" '^NoNewPrivs:\s+0$'
	expect_match "$out" '^Seccomp:\s+2$' "the default seccomp filter"
	out=$(crun busybox cat /proc/self/mountinfo)
	expect_match "$out" ' /proc/keys ' "masked: /proc/keys"
	expect_match "$out" ' /proc/sys ro,' "read-only: /proc/sys"
	expect_match "$out" ' /sys ro,' "/sys is read-only"
	# the default profile refuses what the eleven do not allow
	capture crun busybox sh -c 'unshare -m true'
	expect_ne "$STATUS" 0 "unshare needs CAP_SYS_ADMIN"
}

test_cap_add_and_drop() {
	ctr_import
	expect_eq "$(ctr_status_line CapEff --cap-add net_admin --cap-drop CAP_CHOWN)" \
		00000000800415fa "--cap-add NET_ADMIN --cap-drop CHOWN"
	expect_eq "$(ctr_status_line CapEff --cap-drop ALL)" 0000000000000000 "--cap-drop ALL"
	expect_eq "$(ctr_status_line CapBnd --cap-drop all --cap-add KILL)" 0000000000000020 \
		"--cap-drop ALL --cap-add KILL"
	expect_eq "$(ctr_status_line CapEff --cap-add ALL)" "$(ctr_our_caps)" "--cap-add ALL"
	expect_eq "$(ctr_status_line CapEff --cap-add ALL --cap-drop SYS_ADMIN)" \
		"$(printf '%016x' $(( 16#$(ctr_our_caps) & ~(1 << 21) )))" "ALL but SYS_ADMIN"
	# a user other than root: what --cap-add gave, as ambient capabilities
	expect_eq "$(ctr_status_line CapEff -u app)" 0000000000000000 "a user has none by default"
	expect_eq "$(ctr_status_line CapAmb -u app --cap-add NET_BIND_SERVICE)" 0000000000000400 \
		"--cap-add for a user: ambient"
	expect_eq "$(ctr_status_line CapEff -u app --cap-add NET_BIND_SERVICE)" 0000000000000400
	# with CAP_SYS_ADMIN the profile lets unshare through
	capture crun --cap-add SYS_ADMIN busybox unshare -m true
	expect_eq "$STATUS" 0 "the seccomp profile follows the capabilities"
	ctr_bad --cap-add NOT_A_CAP
	ctr_bad --cap-add KILL --cap-drop kill
}

test_security_opts() {
	ctr_import
	expect_eq "$(ctr_status_line NoNewPrivs --security-opt no-new-privileges)" 1 \
		"no-new-privileges"
	expect_eq "$(ctr_status_line Seccomp --security-opt seccomp=unconfined)" 0 "seccomp=unconfined"
	printf '%s' '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}' \
		> "$TEST_TMP/profile.json"
	capture crun --security-opt "seccomp=$TEST_TMP/profile.json" busybox mkdir /made
	expect_ne "$STATUS" 0 "seccomp=FILE: mkdir is refused"
	expect_match "$ERR" 'Operation not permitted'
	expect_eq "$(crun --security-opt "seccomp=$TEST_TMP/profile.json" busybox echo ok)" ok
	local out
	out=$(crun --security-opt unmask=/proc/keys:/proc/sys busybox cat /proc/self/mountinfo)
	expect_no_match "$out" ' /proc/keys ' "unmask=/proc/keys"
	expect_no_match "$out" ' /proc/sys ro' "unmask=/proc/sys"
	expect_match "$out" ' /proc/timer_list ' "the others stay masked"
	out=$(crun --security-opt unmask=ALL busybox cat /proc/self/mountinfo)
	expect_no_match "$out" ' /proc/(kcore|keys|timer_list|acpi|sys) ' "unmask=ALL"
	expect_eq "$(crun --security-opt mask=/srv/data busybox sh -c 'ls -A /srv/data | wc -l')" 0 \
		"mask= hides a directory"
	expect_eq "$(crun --security-opt label=disable busybox echo ok)" ok "label= is accepted"
	ctr_bad --security-opt no-such-opt
	ctr_bad --security-opt seccomp=/no/such/profile.json
	printf '{"defaultAction":"SCMP_ACT_BOGUS"}' > "$TEST_TMP/bad.json"
	ctr_bad --security-opt "seccomp=$TEST_TMP/bad.json"
}

test_privileged_sees_everything() {
	ctr_import
	local out before after dev
	before=$(stat -c '%a %u %g %t:%T' /dev/kmsg /dev/null 2>/dev/null)
	out=$(crun --privileged busybox sh -c 'grep -E "^(CapEff|Seccomp|NoNewPrivs):" /proc/self/status;
		cat /proc/self/mountinfo; ls /dev')
	expect_match "$out" "^CapEff:\\s+$(ctr_our_caps)\$" "every capability we have"
	expect_match "$out" '^Seccomp:\s+0$' "no seccomp filter"
	expect_no_match "$out" ' /proc/(kcore|keys|timer_list|sys) ' "no masked or read-only paths"
	expect_match "$out" ' /sys rw,' "/sys is writable"
	# the host's devices, made in the container's own /dev
	for dev in /dev/kmsg /dev/loop-control /dev/tty0; do
		[ -c "$dev" ] || continue
		expect_match "$out" "^${dev#/dev/}\$" "the host's $dev"
	done
	expect_no_match "$out" '^console$' "but not the console"
	after=$(stat -c '%a %u %g %t:%T' /dev/kmsg /dev/null 2>/dev/null)
	expect_eq "$after" "$before" "the host's nodes are untouched"
	# a seccomp profile given with it stays
	printf '%s' '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}' \
		> "$TEST_TMP/profile.json"
	capture crun --privileged --security-opt "seccomp=$TEST_TMP/profile.json" busybox mkdir /x
	expect_ne "$STATUS" 0 "--privileged with seccomp=FILE"
	expect_eq "$(ctr_status_line CapEff --privileged --cap-drop ALL)" 0000000000000000 \
		"--cap-drop with --privileged"
}

test_devices() {
	ctr_import
	[ -c /dev/kmsg ] || skip "no /dev/kmsg here"
	local out before
	before=$(stat -c '%a %u %g' /dev/kmsg)
	out=$(crun --device /dev/kmsg:/dev/mykmsg:r --device /dev/null:/dev/othernull busybox sh -c \
		'stat -c "%n %F %t:%T" /dev/mykmsg /dev/othernull; cat /sys/fs/cgroup/devices/devices.list;
		 (: > /dev/mykmsg) 2>/dev/null && echo opened-for-writing; true')
	expect_match "$out" '^/dev/mykmsg character special file 1:b$' "--device HOST:CTR:PERMS"
	expect_match "$out" '^/dev/othernull character special file 1:3$'
	# (fails until the runtime stops allowing linux.devices rwm over the
	# config's own rule: /tmp/ctropts-patches/runtime-device-perms.patch)
	expect_match "$out" '^c 1:11 r$' "the cgroup allows reading only"
	expect_no_match "$out" 'opened-for-writing' "writing is refused"
	expect_eq "$(stat -c '%a %u %g' /dev/kmsg)" "$before" "the host's node is untouched"
	if [ -c /dev/net/tun ]; then
		out=$(crun --device /dev/net busybox ls /dev/net)
		expect_match "$out" '^tun$' "a directory gives the devices in it"
	fi
	ctr_bad --device /dev/no-such-device
	ctr_bad --device /etc/passwd
	ctr_bad --device /dev/null:rwz
}

test_sysctl_and_oom_score_adj() {
	ctr_import
	local host_fwd host_shm out
	host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	host_shm=$(cat /proc/sys/kernel/shmmax)
	out=$(crun --sysctl net.ipv4.ip_forward=1 --sysctl kernel.shmmax=123456789 \
		--sysctl fs.mqueue.msg_max=20 --oom-score-adj 300 busybox sh -c \
		'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax /proc/sys/fs/mqueue/msg_max
		 cat /proc/self/oom_score_adj')
	expect_eq "$out" $'1\n123456789\n20\n300' "sysctls of its namespaces, --oom-score-adj"
	expect_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$host_fwd" "the host's ip_forward stays"
	expect_eq "$(cat /proc/sys/kernel/shmmax)" "$host_shm" "the host's shmmax stays"
	ctr_bad --sysctl kernel.panic=1
	ctr_bad --sysctl net.ipv4.ip_forward=1 --network host
	ctr_bad --oom-score-adj 1001
}

test_userns_as_root() {
	ctr_import
	expect_match "$(crun --userns host busybox cat /proc/self/uid_map)" \
		'^ +0 +0 +4294967295$' "--userns host: the host's ids"
	ctr_bad --userns keep-id
	ctr_bad --userns auto
	ctr_bad --userns private
}

# The rootless user (a uid without a passwd entry on the host), with its
# subordinate ids: the host's /etc/passwd, /etc/subuid and /etc/subgid are
# overlaid by the test's own in a private mount namespace (newuidmap reads
# them), so nothing of the host changes.
test_rootless_keep_id() {
	need_root
	need setpriv unshare
	[ -e /etc/subuid ] && [ -e /etc/subgid ] && [ -x /usr/bin/newuidmap ] ||
		skip "no /etc/subuid, /etc/subgid or newuidmap to overlay"
	local u h t=$TEST_TMP/ctr-image.tar out
	u=$(unused_uid) || skip "no unused uid"
	chmod 0755 "$TEST_TMP"
	as_user "$u" true
	h=$TEST_TMP/home-$u
	ctr_env
	tar --numeric-owner -C "$(ctr_rootfs)" -cf "$t" .
	chmod 0644 "$t" "$TEST_TMP/resolv.conf" "$TEST_TMP/hosts"
	cp /etc/passwd "$TEST_TMP/passwd"
	echo "ctrtest:x:$u:$u::$h:/bin/sh" >> "$TEST_TMP/passwd"
	# sub ids right after the uid: a fixed range could hold the random uid
	echo "ctrtest:$((u + 1)):65536" > "$TEST_TMP/subid"
	chmod 0644 "$TEST_TMP/passwd" "$TEST_TMP/subid"
	cat > "$TEST_TMP/as-user.sh" <<-EOF
		set -e
		cpod() { "$CPOD" "\$@"; }
		cpod import -c 'CMD ["sh"]' "$t" busybox > /dev/null 2> "$h/import.err" || {
			grep -q 'layer stub' "$h/import.err" && exit 77; cat "$h/import.err" >&2; exit 1; }
		cpod run --rm busybox cat /proc/self/uid_map
		echo ---
		cpod run --rm --userns keep-id busybox sh -c 'id -u; id -g; cat /proc/self/uid_map'
		echo ---
		cpod run --rm --userns keep-id:uid=500,gid=600 busybox sh -c 'id -u; id -g'
	EOF
	chmod 0644 "$TEST_TMP/as-user.sh"
	local rc=0
	out=$(unshare -m bash -c '
		mount --make-rprivate / &&
		mount --bind "$1/passwd" /etc/passwd &&
		mount --bind "$1/subid" /etc/subuid &&
		mount --bind "$1/subid" /etc/subgid &&
		exec env -u CPOD_ROOT -u CPOD_RUNROOT HOME="$2" XDG_RUNTIME_DIR="$2/run" \
			XDG_DATA_HOME="$2/data" CPOD_RESOLV_CONF="$1/resolv.conf" CPOD_HOSTS="$1/hosts" \
			setpriv --reuid="$3" --regid="$3" --clear-groups -- bash "$1/as-user.sh"' \
		sh "$TEST_TMP" "$h" "$u") || rc=$?
	[ "$rc" = 77 ] && skip "this build cannot import images (layer stub)"
	expect_eq "$rc" 0 "the rootless runs"
	log "$out"
	expect_match "$out" "^ +0 +$u +1\$" "rootless: root inside is the user"
	expect_match "$out" "^ +1 +$((u + 1)) +65536\$" "then the subordinate ids"
	local keep
	keep=$(awk '/^---$/ { n++; next } n == 1' <<< "$out")
	expect_eq "$(sed -n 1p <<< "$keep")" "$u" "keep-id: the user's uid inside"
	expect_eq "$(sed -n 2p <<< "$keep")" "$u" "and gid"
	expect_match "$keep" "^ +$u +$u +1\$" "the user is itself inside"
	expect_match "$keep" "^ +0 +$((u + 1)) +65536\$" "root and the rest are subordinate ids"
	expect_eq "$(awk '/^---$/ { n++; next } n == 2' <<< "$out")" $'500\n600' "keep-id:uid=,gid="
}
