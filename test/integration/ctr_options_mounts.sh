# shellcheck shell=bash
# ctr_options_mounts.sh — -v with host paths, --mount type=bind|tmpfs,
# --tmpfs, --read-only (and --read-only-tmpfs), seen in the container's
# mountinfo and by writing where it may; and bad options of all kinds:
# status 125, one line that names the option, nothing left behind.
. "$SRCDIR/test/integration/ctr_options_lib.sh"

# The mountinfo line of a mount point in the container.
ctr_mountinfo() {
	local dest=$1
	shift
	crun "$@" busybox cat /proc/self/mountinfo | awk -v d="$dest" '$5 == d'
}

test_bind_mounts() {
	ctr_import
	local h=$TEST_TMP/host-dir line
	mkdir -p "$h"
	echo host-data > "$h/file"
	expect_eq "$(crun -v "$h:/h" busybox cat /h/file)" host-data "-v HOST:CTR"
	crun -v "$h:/h:rw,z" busybox sh -c 'echo from-ctr > /h/new'
	expect_eq "$(cat "$h/new")" from-ctr "written through, z accepted"
	capture crun -v "$h:/h:ro,Z" busybox sh -c 'echo x > /h/other'
	expect_ne "$STATUS" 0 "ro"
	expect_match "$ERR" 'Read-only file system'
	[ ! -e "$h/other" ] || fail "written through a read-only bind"
	line=$(ctr_mountinfo /h -v "$h:/h")
	expect_no_match "$line" 'shared:' "rprivate by default"
	line=$(ctr_mountinfo /h -v "$h:/h:rshared")
	expect_match "$line" 'shared:' "rshared"
	line=$(ctr_mountinfo /h -v "$h:/h:noexec,nosuid")
	expect_match "$line" ' /h rw,nosuid,[^ ]*noexec' "noexec, nosuid"
	expect_eq "$(cd "$TEST_TMP" && crun -v ./host-dir:/rel busybox cat /rel/file)" host-data \
		"a relative host path"
	# a file, and a bind under a tmpfs
	expect_eq "$(crun -v "$h/file:/etc/motd:ro" busybox cat /etc/motd)" host-data "a file"
	expect_eq "$(crun --tmpfs /mnt -v "$h:/mnt/deep/h" busybox cat /mnt/deep/h/file)" host-data \
		"parents are mounted first"
	ctr_bad -v "$TEST_TMP/no-such-dir:/x"
	ctr_bad -v "$h:/x:O"
	ctr_bad -v "$h:/x:U"
	ctr_bad -v "$h:relative"
	ctr_bad -v "$h:/x:ro,rw"
	ctr_bad -v "$h:/x:frob"
	ctr_bad -v 'bad$name:/x'
	ctr_bad -v "$h:/a" --tmpfs /a
}

test_mount_flag() {
	ctr_import
	local h=$TEST_TMP/host-dir line
	mkdir -p "$h"
	echo data > "$h/f"
	expect_eq "$(crun --mount "type=bind,src=$h,dst=/b" busybox cat /b/f)" data "type=bind"
	capture crun --mount "type=bind,source=$h,target=/b,readonly" busybox touch /b/x
	expect_ne "$STATUS" 0 "readonly"
	line=$(ctr_mountinfo /b --mount "type=bind,src=$h,destination=/b,bind-propagation=rshared")
	expect_match "$line" 'shared:' "bind-propagation"
	line=$(ctr_mountinfo /t --mount type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=0700)
	expect_match "$line" ' - tmpfs tmpfs rw,[^ ]*size=1024k' "tmpfs-size"
	expect_match "$line" 'mode=700' "tmpfs-mode"
	expect_eq "$(crun --mount type=volume,src=mvol,dst=/v busybox sh -c 'echo in > /v/f; cat /v/f')" \
		in "type=volume makes the volume"
	expect_eq "$(cpod volume ls -q)" mvol
	expect_eq "$(crun --mount type=volume,src=mvol,dst=/v2 busybox cat /v2/f)" in "and keeps it"
	cpod volume rm mvol > /dev/null
	ctr_bad --mount type=image,src=x,dst=/y
	ctr_bad --mount "type=bind,dst=/y"
	ctr_bad --mount "type=bind,src=$h"
	ctr_bad --mount type=tmpfs,dst=/x,tmpfs-size=zz
	ctr_bad --mount "type=bind,src=$h,dst=/x,bogus"
}

test_tmpfs() {
	ctr_import
	local line
	line=$(ctr_mountinfo /scratch --tmpfs /scratch)
	expect_match "$line" ' /scratch rw,nosuid,nodev,noexec' "podman's defaults: noexec, nosuid, nodev"
	expect_eq "$(crun --tmpfs /scratch busybox stat -c %a /scratch)" 1777 "mode 1777"
	line=$(ctr_mountinfo /scratch --tmpfs /scratch:size=1m,mode=0700,exec)
	expect_match "$line" 'size=1024k' "size="
	expect_match "$line" 'mode=700'
	expect_no_match "$line" 'noexec' "exec"
	# the image's content is copied in (tmpcopyup), unless notmpcopyup
	expect_eq "$(crun --tmpfs /srv/data busybox cat /srv/data/file)" "from the image" "tmpcopyup"
	expect_eq "$(crun --tmpfs /srv/data:notmpcopyup busybox ls -A /srv/data)" "" "notmpcopyup"
	ctr_bad --tmpfs relative
	ctr_bad --tmpfs /x:bogus
	ctr_bad --tmpfs /x:size=lots
}

test_read_only() {
	ctr_import
	capture crun --read-only busybox touch /file
	expect_ne "$STATUS" 0 "--read-only"
	expect_match "$ERR" 'Read-only file system'
	expect_eq "$(crun --read-only busybox sh -c 'touch /tmp/a /var/tmp/b /run/c /dev/shm/d && echo ok')" \
		ok "/tmp, /var/tmp, /run stay writable (--read-only-tmpfs)"
	capture crun --read-only --read-only-tmpfs=false busybox touch /tmp/a
	expect_ne "$STATUS" 0 "--read-only-tmpfs=false"
	expect_eq "$(crun --read-only --tmpfs /tmp:size=1m busybox sh -c 'df -k /tmp | awk "NR == 2 { print \$2 }"')" \
		1024 "a --tmpfs of its own wins"
	expect_eq "$(crun --read-only-tmpfs=false busybox sh -c 'touch /x && echo ok')" ok \
		"without --read-only, nothing changes"
}

test_bad_options_leave_nothing() {
	ctr_import
	local h=$TEST_TMP/hd
	mkdir -p "$h"
	# each with a volume to make, so that a volume made too early shows
	ctr_bad --memory 12x -v newvol:/data
	ctr_bad --cpus -1 -v newvol:/data
	ctr_bad --cap-add NOPE -v newvol:/data
	ctr_bad --stop-signal SIGNOPE -v newvol:/data
	ctr_bad --stop-timeout soon -v newvol:/data
	ctr_bad --timeout 1m -v newvol:/data
	ctr_bad --restart sometimes -v newvol:/data
	ctr_bad --restart always --rm
	ctr_bad --restart always:3
	ctr_bad --log-opt max-size=huge
	ctr_bad --log-opt colour=red
	ctr_bad --log-driver journald
	ctr_bad --health-interval 30 --health-cmd true
	ctr_bad --health-timeout 0.5s --health-cmd true
	ctr_bad --health-retries 0 --health-cmd true
	ctr_bad --health-start-period=-1s --health-cmd true
	ctr_bad --no-healthcheck --health-cmd true
	ctr_bad --network bridge
	ctr_bad --label =v
	ctr_bad --group-add nosuchgroup -v newvol:/data
	ctr_bad --mount type=volume,src=v2,dst=/y,volume-opt=type=nfs
	ctr_bad --pull sometimes
	# the volume options of a volume made on first use are checked too
	expect_eq "$(cpod volume ls -q)" "" "no volume"
	expect_eq "$(ls "$CPOD_ROOT/containers" | wc -l)" 0 "no container directory"
}
