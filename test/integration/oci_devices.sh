# shellcheck shell=bash
# oci_devices.sh — /dev in the container: the default nodes and links,
# linux.devices (char, block, fifo; mode, owner, subdirectories,
# overriding a default), the device cgroup refusing what the config does
# not allow, and nodes bound from the host in a user namespace (never
# changing the host's /dev).
. "$SRCDIR/test/helpers/oci.sh"

STAT_DEVS='for f in null zero full random urandom tty; do stat -c "%n %F %t:%T %a %u:%g" /dev/$f; done'

# host_devs: the state of the host's standard nodes.
host_devs() {
	stat -c '%n %F %t:%T %a %u:%g' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty
}

test_default_devices_and_links() {
	need_root
	local b id out
	b=$(bundle b "$STAT_DEVS"'; for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done
		test -c /dev/pts/ptmx && echo pts-ptmx
		head -c 5 /dev/urandom | wc -c; head -c 3 /dev/zero | od -An -tx1
		echo x > /dev/null && echo null-ok; echo x > /dev/full 2>&1 || echo full-refused')
	id=$(cid def)
	out=$(oci run --bundle "$b" "$id" 2>&1)
	expect_match "$out" '^/dev/null character special file 1:3 666 0:0$'
	expect_match "$out" '^/dev/zero character special file 1:5 666 0:0$'
	expect_match "$out" '^/dev/full character special file 1:7 666 0:0$'
	expect_match "$out" '^/dev/random character special file 1:8 666 0:0$'
	expect_match "$out" '^/dev/urandom character special file 1:9 666 0:0$'
	expect_match "$out" '^/dev/tty character special file 5:0 666 0:0$'
	expect_match "$out" '^fd -> /proc/self/fd$'
	expect_match "$out" '^stdin -> /proc/self/fd/0$'
	expect_match "$out" '^stdout -> /proc/self/fd/1$'
	expect_match "$out" '^stderr -> /proc/self/fd/2$'
	expect_match "$out" '^ptmx -> pts/ptmx$'
	expect_match "$out" '^pts-ptmx$'
	expect_match "$out" '^5$' "urandom reads"
	expect_match "$out" '^ 00 00 00$' "zero reads zeros"
	expect_match "$out" '^null-ok$'
	expect_match "$out" '^full-refused$' "full is full"
}

test_config_devices() {
	need_root
	local b id out
	b=$(bundle b 'for f in /dev/mynull /dev/myloop /dev/myfifo /dev/net/tun; do stat -c "%n %F %t:%T %a %u:%g" $f; done
')
	jqi "$b/config.json" '.linux.devices = [
		{path: "/dev/mynull", type: "c", major: 1, minor: 3, fileMode: 384, uid: 1000, gid: 1001},
		{path: "/dev/myloop", type: "b", major: 7, minor: 0, fileMode: 432},
		{path: "/dev/myfifo", type: "p", fileMode: 420},
		{path: "/dev/net/tun", type: "c", major: 10, minor: 200, fileMode: 438}]'
	id=$(cid cfg)
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" '^/dev/mynull character special file 1:3 600 1000:1001$' "mode and owner"
	expect_match "$out" '^/dev/myloop block special file 7:0 660 0:0$' "a block device"
	expect_match "$out" '^/dev/myfifo fifo 0:0 644 0:0$' "a fifo"
	expect_match "$out" '^/dev/net/tun character special file a:c8 666 0:0$' "in a subdirectory"
}

test_config_device_overrides_a_default() {
	need_root
	local b id
	b=$(bundle b 'stat -c "%a %u:%g" /dev/null')
	jqi "$b/config.json" '.linux.devices = [{path: "/dev/null", type: "c", major: 1, minor: 3, fileMode: 416, uid: 0, gid: 5}]'
	id=$(cid over)
	expect_eq "$(oci run --bundle "$b" "$id")" "640 0:5"
}

test_device_cgroup_refuses_what_is_not_allowed() {
	need_root
	local b id out
	# CAP_MKNOD lets the container make a node the cgroup does not allow
	b=$(bundle b 'mknod /tmp/lp b 7 0 && (dd if=/tmp/lp of=/dev/null count=1 2>&1 && echo opened || echo refused)')
	jqi "$b/config.json" '.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])'
	id=$(cid cg)
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" 'Operation not permitted' "the device cgroup refuses b 7:0"
	expect_match "$out" '^refused$'
	# allowed for reading
	jqi "$b/config.json" '.linux.resources.devices += [{allow: true, type: "b", major: 7, minor: 0, access: "r"}]'
	rm -f "$b/rootfs/tmp/lp"
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" '^opened$' "allowed once the config says so"
}

test_devices_in_a_user_namespace_are_host_binds() {
	need_root
	local b id out before
	chmod 0755 "$TEST_TMP"
	before=$(host_devs)
	b=$(bundle b "$STAT_DEVS"'; grep -E " /dev/(null|zero|full|random|urandom|tty) " /proc/self/mountinfo | cut -d" " -f4,5
		echo x > /dev/null && echo null-ok; head -c 2 /dev/zero | od -An -tx1')
	set_ns "$b" user
	jqi "$b/config.json" '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] |
		.linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	id=$(cid userns)
	out=$(oci run --bundle "$b" "$id")
	# the host's nodes (owned by a host root the namespace does not map)
	expect_match "$out" '^/dev/null character special file 1:3 666 65534:65534$'
	expect_match "$out" '^/dev/tty character special file 5:0 666 65534:65534$'
	expect_eq "$(grep -c '^/null /dev/null$\|^/zero /dev/zero$\|^/full /dev/full$\|^/random /dev/random$\|^/urandom /dev/urandom$\|^/tty /dev/tty$' <<< "$out")" 6 \
		"each node is a bind mount of the host's"
	expect_match "$out" '^null-ok$'
	expect_match "$out" '^ 00 00$'
	expect_eq "$(host_devs)" "$before" "the host's /dev nodes are unchanged"
	nothing_left "$id"
}

test_device_path_must_stay_in_dev_tree() {
	need_root
	local b id
	b=$(bundle b 'true')
	jqi "$b/config.json" '.linux.devices = [{path: "/dev/../etc/evil", type: "c", major: 1, minor: 3}]'
	id=$(cid dotdot)
	expect_fail oci run --bundle "$b" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'linux.devices\[0\].path'
	test ! -e "$b/rootfs/etc/evil" || fail "made"
	nothing_left "$id"
}

test_device_through_a_symlink_stays_in_the_rootfs() {
	need_root
	local b id target
	target=$(tmpdir target)
	b=$(bundle b 'true')
	ln -s "$target" "$b/rootfs/devlink"
	jqi "$b/config.json" '.linux.devices = [{path: "/devlink/null2", type: "c", major: 1, minor: 3}]'
	id=$(cid devlink)
	oci run --bundle "$b" "$id" 2> "$TEST_TMP/err" || log "run failed: $(cat "$TEST_TMP/err")"
	expect_eq "$(ls -A "$target")" "" "no node made in the host directory"
	nothing_left "$id"
}

test_bad_device_entries_are_refused() {
	need_root
	local b id d
	b=$(bundle b 'true')
	id=$(cid baddev)
	for d in '{"path": "/dev/x", "type": "q", "major": 1, "minor": 3}' \
		'{"path": "/dev/x", "type": "c"}' \
		'{"path": "dev/x", "type": "c", "major": 1, "minor": 3}' \
		'{"path": "/dev/x", "type": "c", "major": 1, "minor": 3, "fileMode": 65535}'; do
		jqi "$b/config.json" '.linux.devices = [$d]' --argjson d "$d"
		expect_fail oci run --bundle "$b" "$id" 2> "$TEST_TMP/err"
		expect_match "$(cat "$TEST_TMP/err")" 'linux.devices\[0\]' "error for $d"
		nothing_left "$id"
	done
}
