# shellcheck shell=bash
# oci_mounts.sh — the container's file system as it sees it in
# /proc/self/mountinfo: the default mounts and their flags, a read-only
# root, bind mounts (rw, ro, files, relative sources, recursive and rro),
# tmpfs options, tmpcopyup, masked and read-only paths, mount propagation,
# and destinations that try to leave the rootfs through symlinks.
. "$SRCDIR/test/helpers/oci.sh"

# mnt MOUNTINFO MOUNTPOINT: "OPTIONS FSTYPE SUPEROPTIONS" of the last mount
# at MOUNTPOINT (the one on top).
mnt() {
	awk -v mp="$2" '$5 == mp {
		for (i = 7; i <= NF; i++) if ($i == "-") break
		line = $6 " " $(i + 1) " " $(i + 3)
	} END { print line }' <<< "$1"
}

# has_opt "OPTS ..." OPT: the comma-separated first field holds OPT.
has_opt() {
	[[ ",${1%% *}," == *",$2,"* ]]
}

# expect_opts MOUNTINFO MOUNTPOINT OPT...: each OPT is a per-mount option
# (ro, nosuid...) of the mount, and !OPT is not.
expect_opts() {
	local info=$1 mp=$2 m o
	shift 2
	m=$(mnt "$info" "$mp")
	[ -n "$m" ] || fail "no mount at $mp in:"$'\n'"$info"
	for o in "$@"; do
		if [ "${o#!}" != "$o" ]; then
			has_opt "$m" "${o#!}" && fail "$mp has ${o#!}: $m"
		else
			has_opt "$m" "$o" || fail "$mp lacks $o: $m"
		fi
	done
	return 0
}

test_default_mounts_and_their_flags() {
	need_root
	local b id info
	b=$(bundle b 'cat /proc/self/mountinfo')
	id=$(cid def)
	info=$(oci run --bundle "$b" "$id")
	expect_match "$(mnt "$info" /proc)" ' proc ' "/proc is a proc"
	expect_opts "$info" /dev nosuid '!ro'
	expect_match "$(mnt "$info" /dev)" ' tmpfs .*mode=755' "/dev is a tmpfs 755"
	expect_opts "$info" /dev/pts nosuid noexec
	expect_match "$(mnt "$info" /dev/pts)" ' devpts .*gid=5.*mode=620.*ptmxmode=666'
	expect_opts "$info" /dev/shm nosuid nodev noexec
	expect_match "$(mnt "$info" /dev/shm)" ' tmpfs .*size=65536k'
	expect_opts "$info" /dev/mqueue nosuid nodev noexec
	expect_match "$(mnt "$info" /dev/mqueue)" ' mqueue '
	expect_opts "$info" /sys ro nosuid nodev noexec
	expect_match "$(mnt "$info" /sys)" ' sysfs '
	expect_opts "$info" /sys/fs/cgroup ro nosuid nodev noexec
	expect_opts "$info" / '!ro'
	# the root is the bundle's rootfs
	expect_match "$(awk '$5 == "/" { print $4 }' <<< "$info")" "/rootfs$" "root of the / mount"
}

test_readonly_root() {
	need_root
	local b id out info
	b=$(bundle b 'cat /proc/self/mountinfo; touch /newfile 2>&1; touch /dev/shm/ok && echo shm-writable')
	jqi "$b/config.json" '.root.readonly = true'
	id=$(cid ro)
	out=$(oci run --bundle "$b" "$id")
	expect_opts "$out" / ro
	expect_match "$out" 'newfile.*Read-only file system' "writing / fails"
	expect_match "$out" '^shm-writable$' "mounts on top stay writable"
	test ! -e "$b/rootfs/newfile" || fail "the file was made"
}

test_bind_mounts_rw_and_ro() {
	need_root
	local b id out rw ro
	b=$(bundle b 'exec 2>&1; echo inside > /rw/new; cat /ro/old; echo x > /ro/new 2>&1; cat /proc/self/mountinfo')
	rw=$(tmpdir rw)
	ro=$(tmpdir ro)
	echo old > "$ro/old"
	add_bind "$b" "$rw" /rw
	add_bind "$b" "$ro" /ro ro
	id=$(cid bind)
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$(cat "$rw/new")" inside "a rw bind writes through to the host"
	expect_match "$out" '^old$' "a ro bind reads"
	expect_match "$out" 'Read-only file system' "a ro bind refuses writes"
	test ! -e "$ro/new" || fail "written through a ro bind"
	expect_opts "$out" /rw '!ro'
	expect_opts "$out" /ro ro
	nothing_left "$id"
}

test_bind_mount_flags() {
	need_root
	local b id out d
	d=$(tmpdir flags)
	b=$(bundle b '/flags/busybox true 2>&1 || echo exec-refused; cat /proc/self/mountinfo')
	cp "$b/rootfs/bin/busybox" "$d/busybox"
	add_bind "$b" "$d" /flags nosuid nodev noexec
	id=$(cid flags)
	out=$(oci run --bundle "$b" "$id")
	expect_opts "$out" /flags nosuid nodev noexec '!ro'
	expect_match "$out" 'exec-refused' "noexec is enforced"
}

test_bind_a_file_and_a_relative_source() {
	need_root
	local b id out
	b=$(bundle b 'cat /etc/injected; cat /rel/inbundle')
	echo "a host file" > "$TEST_TMP/file"
	mkdir -p "$b/data"
	echo "relative to the bundle" > "$b/data/inbundle"
	add_bind "$b" "$TEST_TMP/file" /etc/injected bind ro
	add_bind "$b" data /rel
	id=$(cid file)
	# run from elsewhere: a relative source is the bundle's, not the cwd's
	out=$(cd / && oci run --bundle "$b" "$id")
	expect_eq "$out" "a host file"$'\n'"relative to the bundle"
	test -f "$b/rootfs/etc/injected" || fail "the bind target is a file"
}

test_tmpfs_options() {
	need_root
	local b id out
	b=$(bundle b 'stat -c %a /scratch; cat /proc/self/mountinfo
		dd if=/dev/zero of=/scratch/big bs=1024 count=2048 2>&1 | grep -o "No space left on device"
		cp /bin/busybox /scratch/bb 2>/dev/null; /scratch/bb true 2>&1 || echo exec-refused')
	add_mount "$b" '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
		"options": ["nosuid", "nodev", "noexec", "size=1m", "mode=700"]}'
	id=$(cid tmpfs)
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$(head -n 1 <<< "$out")" 700 "mode of the tmpfs"
	expect_opts "$out" /scratch nosuid nodev noexec
	expect_match "$(mnt "$out" /scratch)" ' tmpfs .*size=1024k'
	expect_match "$out" 'No space left on device' "size=1m is enforced"
	expect_match "$out" 'exec-refused' "noexec is enforced"
	test ! -e "$b/rootfs/scratch/big" || fail "written into the rootfs"
}

test_tmpcopyup() {
	need_root
	local b id out
	b=$(bundle b 'head -n 1 /etc/passwd; echo changed > /etc/hostname; cat /etc/hostname')
	add_mount "$b" '{"destination": "/etc", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "mode=755"]}'
	id=$(cid copyup)
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" '^root:x:0:0:' "the rootfs's /etc was copied up"
	expect_match "$out" '^changed$'
	expect_ne "$(cat "$b/rootfs/etc/hostname")" changed "the rootfs is untouched"
}

test_masked_paths() {
	need_root
	local b id out
	b=$(bundle b 'wc -c < /proc/kallsyms; stat -c "%F %t:%T" /proc/kallsyms; ls -A /proc/acpi | wc -l
		touch /proc/acpi/x 2>&1; ls /proc/keys >/dev/null && wc -c < /proc/keys; cat /proc/self/mountinfo')
	jqi "$b/config.json" '.linux.maskedPaths = ["/proc/kallsyms", "/proc/acpi", "/proc/keys", "/proc/no-such-thing"]'
	id=$(cid mask)
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$(sed -n 1p <<< "$out")" 0 "a masked file reads empty"
	expect_eq "$(sed -n 2p <<< "$out")" "character special file 1:3" "a masked file is /dev/null"
	if [ -e /proc/acpi ]; then
		expect_eq "$(sed -n 3p <<< "$out")" 0 "a masked directory is empty"
		expect_match "$out" 'acpi/x.*Read-only file system' "a masked directory is read-only"
		expect_opts "$out" /proc/acpi ro
	fi
	expect_match "$out" '^0$' "/proc/keys reads empty"
}

test_readonly_paths() {
	need_root
	local b id out d
	d=$(tmpdir data)
	b=$(bundle b 'exec 2>&1; echo x > /proc/sys/kernel/hostname; echo y > /data/f 2>&1; touch /tmp/ok && echo tmp-ok; cat /proc/self/mountinfo')
	add_bind "$b" "$d" /data
	jqi "$b/config.json" '.linux.readonlyPaths = ["/proc/sys", "/data", "/no/such/path"]'
	id=$(cid ropath)
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" 'hostname.*Read-only file system' "/proc/sys is read-only"
	expect_match "$out" '/data/f.*Read-only file system' "a read-only path on a rw bind"
	expect_match "$out" '^tmp-ok$' "the rest stays writable"
	expect_opts "$out" /proc/sys ro
	expect_opts "$out" /data ro
	test ! -e "$d/f" || fail "written through a read-only path"
}

test_sysfs_and_proc_are_the_containers() {
	need_root
	local b id out
	b=$(bundle b 'touch /sys/x 2>&1; ls /proc | grep -E "^[0-9]+$" | wc -l; ls /dev/pts')
	id=$(cid proc)
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" '/sys/x.*Read-only file system'
	[ "$(sed -n 2p <<< "$out")" -le 4 ] || fail "/proc shows the host's processes: $out"
	expect_eq "$(sed -n 3p <<< "$out")" ptmx "a new devpts instance has no host ptys"
}

test_container_mounts_are_invisible_on_the_host() {
	need_root
	local b id
	b=$(bundle b 'sleep 30')
	add_mount "$b" '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs"}'
	add_bind "$b" "$(tmpdir src)" /bound
	id=$(cid inv)
	start_bg "$b" "$id"
	expect_no_match "$(cut -d' ' -f5 /proc/self/mountinfo)" "^$TEST_TMP/" "the container's mounts show on the host"
	expect_no_match "$(cut -d' ' -f5 /proc/self/mountinfo)" "^/scratch|^/bound" "mounted on the host's /"
}

test_symlinked_destinations_stay_in_the_rootfs() {
	need_root
	local b id out target
	target=$(tmpdir target)
	b=$(bundle b 'cat /proc/self/mountinfo')
	# an absolute symlink to a host directory, and a relative one that climbs
	ln -s "$target" "$b/rootfs/abs"
	ln -s ../../../../../../../../.. "$b/rootfs/rel"
	add_mount "$b" '{"destination": "/abs", "type": "tmpfs", "source": "tmpfs"}'
	add_mount "$b" '{"destination": "/rel/tmp/escaped", "type": "tmpfs", "source": "tmpfs"}'
	add_bind "$b" "$(tmpdir src)" /abs/sub
	id=$(cid symlink)
	# (whether it runs is test_mount_onto_dangling_symlinks' business)
	out=$(oci run --bundle "$b" "$id" 2>&1) || log "run failed: $out"
	expect_eq "$(ls -A "$target")" "" "nothing was made in the host directory"
	test ! -e /tmp/escaped || fail "a directory was made in the host's /tmp"
	nothing_left "$id"
	if test -d "$b/rootfs/tmp/escaped"; then
		# it ran: the mounts were at the symlinks' targets in the rootfs
		expect_match "$out" "^[0-9]+ [0-9]+ [0-9:]+ / $target rw" \
			"the tmpfs at the absolute symlink's target, inside"
		expect_match "$out" '^[0-9]+ [0-9]+ [0-9:]+ / /tmp/escaped rw' \
			"the climbing symlink stopped at the rootfs"
	fi
}

test_recursive_bind_and_rro() {
	need_root
	need unshare
	local d id b out
	d=$(tmpdir tree)
	mkdir -p "$d/sub"
	b=$(bundle b 'ls /r/sub; touch /r/sub/x 2>&1; touch /rro/sub/x 2>&1; touch /nonrec/x 2>&1; ls -A /nonrec/sub | wc -l; cat /proc/self/mountinfo')
	add_bind "$b" "$d" /r
	add_bind "$b" "$d" /rro rro
	add_mount "$b" "$(jq -nc --arg s "$d" '{destination: "/nonrec", type: "bind", source: $s, options: ["bind"]}')"
	id=$(cid rro)
	# the submount exists only in a private mount namespace of this test
	out=$(unshare -m --propagation private bash -c '
		mount -t tmpfs -o size=1m sub "$1/sub" && echo in-sub > "$1/sub/marker" &&
		"$CPOD_BIN" oci --root "$TEST_ROOT" run --bundle "$2" "$3"' _ "$d" "$b" "$id")
	expect_match "$out" '^marker$' "rbind carries the submount"
	expect_no_match "$out" '/r/sub/x.*Read-only' "a plain rbind submount is writable"
	expect_match "$out" '/rro/sub/x.*Read-only file system' "rro reaches the submount"
	expect_eq "$(awk '/^[0-9]+$/' <<< "$out")" 0 "bind (not rbind) leaves the submount out"
	expect_opts "$out" /rro/sub ro
	expect_opts "$out" /rro ro
	nothing_left "$id"
}

test_bind_propagation_rslave() {
	need_root
	need unshare
	local d b id out
	d=$(tmpdir shared)
	b=$(bundle b 'sleep 30')
	add_bind "$b" "$d" /shared rslave
	id=$(cid prop)
	# a shared mount in a private mount namespace: a mount made there after
	# the start reaches the container through rslave
	out=$(unshare -m --propagation private bash -c '
		set -e
		mount --bind "$1" "$1"; mount --make-shared "$1"
		"$CPOD_BIN" oci --root "$TEST_ROOT" run --detach --bundle "$2" "$3" > /dev/null 2>&1
		mkdir -p "$1/late"
		mount -t tmpfs -o size=1m late "$1/late"
		echo propagated > "$1/late/f"
		"$CPOD_BIN" oci --root "$TEST_ROOT" exec "$3" cat /shared/late/f
		"$CPOD_BIN" oci --root "$TEST_ROOT" exec "$3" sh -c "grep \" /shared \" /proc/self/mountinfo"
		"$CPOD_BIN" oci --root "$TEST_ROOT" delete --force "$3"' _ "$d" "$b" "$id")
	expect_match "$out" '^propagated$' "a later host mount propagates into an rslave bind"
	expect_match "$out" 'master:' "the bind is a slave"
	nothing_left "$id"
}

# As runc (SecureJoin): a destination through a dangling symlink is made
# where the symlink points, inside the rootfs.  Images have such links, e.g.
# /etc/resolv.conf -> /run/systemd/resolve/stub-resolv.conf, and engines
# bind a file onto them.
test_mount_onto_dangling_symlinks() {
	need_root
	local b id out
	b=$(bundle b 'cat /etc/resolv.conf; ls -A /data; grep -c " /var/lib/data " /proc/self/mountinfo')
	ln -sf /run/systemd/resolve/stub-resolv.conf "$b/rootfs/etc/resolv.conf"
	ln -s /var/lib/data "$b/rootfs/data"
	echo "nameserver 192.0.2.1" > "$TEST_TMP/resolv"
	add_bind "$b" "$TEST_TMP/resolv" /etc/resolv.conf bind ro
	add_mount "$b" '{"destination": "/data", "type": "tmpfs", "source": "tmpfs"}'
	id=$(cid dangling)
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$(sed -n 1p <<< "$out")" "nameserver 192.0.2.1" "the file bound through the symlink"
	expect_eq "$(sed -n 2p <<< "$out")" 1 "the tmpfs is at the symlink's target"
	test -f "$b/rootfs/run/systemd/resolve/stub-resolv.conf" || fail "the target file is not in the rootfs"
	test -d "$b/rootfs/var/lib/data" || fail "the target directory is not in the rootfs"
	test -L "$b/rootfs/etc/resolv.conf" || fail "the symlink was replaced"
}
