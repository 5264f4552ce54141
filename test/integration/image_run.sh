# shellcheck shell=bash
# image_run.sh — `run` of an imported busybox image with the options that
# shape the container's file system and identity: -v (rw and ro), --tmpfs,
# --read-only, --hostname, --network none|host; what ps -a, rm and export
# show afterwards; and that containers leave no mount on the host.

. "$SRCDIR/test/helpers/image.sh"

test_bind_mounts_rw_and_ro() {
	need_root
	local vol
	img_import > /dev/null
	vol=$(tmpdir vol)
	echo host-data > "$vol/in"
	expect_eq "$(cpod run --rm -v "$vol:/data" busybox sh -c 'cat /data/in; echo from-ctr > /data/out')" \
		host-data "the host's file, seen inside"
	expect_eq "$(cat "$vol/out")" from-ctr "written through a rw bind mount"
	capture cpod run --rm -v "$vol:/data:ro" busybox sh -c 'cat /data/in; echo x > /data/out2'
	expect_eq "$OUT" host-data "readable when ro"
	expect_ne "$STATUS" 0 "writing to a ro bind mount fails"
	expect_match "$ERR" 'Read-only file system'
	test ! -e "$vol/out2" || fail "a file was written through :ro"
	expect_match "$(cpod run --rm -v "$vol:/data:ro" busybox grep ' /data ' /proc/mounts)" \
		' /data [^ ]+ ro[, ]' "mounted read-only"
	expect_match "$(cpod run --rm -v "$vol:/data:rw" busybox grep ' /data ' /proc/mounts)" \
		' /data [^ ]+ rw[, ]' ":rw"
	# a single file, onto a path the image does not have
	expect_eq "$(cpod run --rm -v "$vol/in:/new/dir/file:ro" busybox cat /new/dir/file)" host-data \
		"a file bind-mounted where the image has nothing"
	# errors
	capture cpod run --rm -v "$TEST_TMP/no-such-dir:/x" busybox true
	expect_eq "$STATUS" 125 "a missing host path"
	expect_match "$ERR" 'no-such-dir'
	capture cpod run --rm -v "$vol:relative" busybox true
	expect_eq "$STATUS" 125 "a relative container path"
	capture cpod run --rm -v "$vol:/data:bogus" busybox true
	expect_eq "$STATUS" 125 "an unknown option"
	expect_match "$ERR" 'bogus'
	expect_eq "$(ls "$vol" | tr '\n' ' ')" "in out " "nothing else written to the host directory"
}

test_tmpfs() {
	need_root
	img_import > /dev/null
	capture cpod run --rm --tmpfs /scratch busybox sh -c \
		'grep " /scratch " /proc/mounts; echo a > /scratch/a && cat /scratch/a; stat -c %a /scratch'
	expect_eq "$STATUS" 0
	expect_match "$OUT" '^tmpfs /scratch tmpfs rw,' "a tmpfs at /scratch"
	expect_match "$OUT" '^a$' "writable"
	expect_match "$OUT" '^1777$' "mode 1777 by default"
	expect_match "$(cpod run --rm --tmpfs /scratch:size=1m,mode=0700 busybox sh -c \
		'grep " /scratch " /proc/mounts; stat -c %a /scratch')" '^700$' "options given"
	# the tmpfs is the container's: nothing of it in the image or on the host
	cpod run --name t1 --tmpfs /etc/tmpfs-here busybox sh -c 'echo x > /etc/tmpfs-here/f'
	cpod export -o "$TEST_TMP/t1.tar" t1
	expect_no_match "$(tar -tf "$TEST_TMP/t1.tar")" 'tmpfs-here/f' "tmpfs content is not exported"
}

test_read_only_root() {
	need_root
	local vol
	img_import > /dev/null
	vol=$(tmpdir vol)
	capture cpod run --rm --read-only busybox sh -c 'touch /new-file'
	expect_ne "$STATUS" 0 "the root is read-only"
	expect_match "$ERR" 'Read-only file system'
	expect_match "$(cpod run --rm --read-only busybox sh -c 'head -n 1 /proc/mounts')" \
		'^[^ ]+ / [^ ]+ ro[, ]' "mounted ro"
	expect_eq "$(cpod run --rm --read-only -v "$vol:/data" --tmpfs /scratch busybox sh -c \
		'echo v > /data/f && echo t > /scratch/f && cat /data/f /scratch/f' | tr '\n' ' ')" "v t " \
		"volumes and tmpfs stay writable"
	expect_eq "$(cat "$vol/f")" v
	# /dev and /dev/shm stay writable too
	expect_eq "$(cpod run --rm --read-only busybox sh -c 'echo x > /dev/shm/f && cat /dev/shm/f')" x
}

# podman's --read-only-tmpfs defaults to true: with --read-only, /tmp,
# /var/tmp and /run are writable tmpfs (scripts rely on a writable /tmp).
test_read_only_keeps_tmp_writable_like_podman() {
	need_root
	img_import > /dev/null
	capture cpod run --rm --read-only busybox sh -c \
		'touch /tmp/x && touch /run/x && mkdir -p /var/tmp && touch /var/tmp/x && echo ok'
	expect_eq "$STATUS" 0 "writable /tmp, /run and /var/tmp under --read-only"
	expect_eq "$OUT" ok
}

test_hostname() {
	need_root
	local out id
	img_import > /dev/null
	out=$(cpod run --rm --hostname myhost busybox sh -c 'hostname; cat /etc/hostname; echo $HOSTNAME')
	expect_eq "$out" "$(printf 'myhost\nmyhost\nmyhost')" "--hostname: uts name, /etc/hostname, HOSTNAME"
	expect_match "$(cpod run --rm --hostname myhost busybox cat /etc/hosts)" '[[:space:]]myhost([[:space:]]|$)' \
		"and /etc/hosts"
	# by default: the start of the container's id
	out=$(cpod run --name h1 busybox hostname)
	id=$(cpod ps -a -q --no-trunc)
	expect_eq "$out" "${id:0:12}" "default hostname"
	expect_eq "$(hostname)" "$(uname -n)" "the host's name is untouched"
}

test_network_none_and_host() {
	need_root
	img_import > /dev/null
	expect_eq "$(cpod run --rm --network none busybox ls /sys/class/net)" lo "--network none: only lo"
	expect_eq "$(cpod run --rm --network none busybox sh -c "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")" lo \
		"/proc/net/dev agrees"
	expect_eq "$(cpod run --rm --net=none busybox ls /sys/class/net)" lo "--net is --network"
	expect_eq "$(cpod run --rm --network host busybox ls /sys/class/net | tr '\n' ' ')" \
		"$(ls /sys/class/net | tr '\n' ' ')" "--network host: the host's interfaces"
	expect_eq "$(cpod run --rm --network host busybox readlink /proc/self/ns/net)" \
		"$(readlink /proc/self/ns/net)" "the host's network namespace"
	expect_ne "$(cpod run --rm --network none busybox readlink /proc/self/ns/net)" \
		"$(readlink /proc/self/ns/net)" "none: a namespace of its own"
	capture cpod run --rm --network no-such-mode busybox true
	expect_eq "$STATUS" 125 "an unknown network mode"
	expect_match "$ERR" 'no-such-mode'
}

# runc and crun bring lo up in a network namespace they create (podman's
# --network none has a working 127.0.0.1); so must cpod.
test_network_none_has_loopback_up() {
	need_root
	img_import > /dev/null
	capture cpod run --rm --network none busybox sh -c \
		'cat /sys/class/net/lo/operstate; ip -4 -o addr show lo'
	expect_eq "$STATUS" 0
	expect_match "$OUT" '^unknown$' "lo is up (operstate unknown, as on any host)"
	expect_match "$OUT" 'inet 127\.0\.0\.1/8' "127.0.0.1 on lo"
}

test_ps_rm_and_names() {
	need_root
	img_import > /dev/null
	expect_status 3 cpod run --name c3 busybox sh -c 'exit 3'
	local j
	j=$(cpod ps -a --format json)
	expect_eq "$(jq length <<< "$j")" 1
	expect_eq "$(jq -c '.[0] | [.Names, .State, .ExitCode, .Image, .Command]' <<< "$j")" \
		'[["c3"],"exited",3,"localhost/busybox:latest",["sh","-c","exit 3"]]' "ps -a json"
	expect_match "$(cpod ps -a)" '^[0-9a-f]{12} +localhost/busybox:latest +sh -c exit 3 .*Exited \(3\).* c3$' \
		"ps -a table"
	expect_eq "$(cpod ps -q)" "" "ps without -a: no running container"
	capture cpod run --name c3 busybox true
	expect_eq "$STATUS" 125 "a name in use"
	expect_match "$ERR" '"c3" is already in use'
	expect_eq "$(cpod rm c3)" c3
	expect_eq "$(cpod ps -a -q)" "" "rm removes it"
	capture cpod rm c3
	expect_eq "$STATUS" 1 "rm of an unknown container: 1, as podman"
	capture cpod run --name 'bad name!' busybox true
	expect_eq "$STATUS" 125 "an invalid name"
	# the writable layer is gone with the container
	expect_eq "$(find "$CPOD_ROOT/containers" "$CPOD_RUNROOT/containers" -mindepth 1 | wc -l)" 0 \
		"no container directory left"
}

test_export_has_the_containers_changes() {
	need_root
	img_import > /dev/null
	cpod run --name ex busybox sh -c \
		'echo changed > /newfile; rm /bin/vi; mkdir -p /etc/x; echo y > /etc/x/y; echo appended >> /etc/passwd'
	cpod export -o "$TEST_TMP/ex.tar" ex
	local list
	list=$(tar -tf "$TEST_TMP/ex.tar" | sed 's|^\./||')
	expect_match "$list" '^newfile$' "a new file"
	expect_match "$list" '^etc/x/y$' "a new directory"
	expect_match "$list" '^bin/busybox$' "the image's files"
	expect_no_match "$list" '^bin/vi$' "a deleted file is absent"
	expect_no_match "$list" '\.wh\.' "no whiteout entries in an export"
	expect_eq "$(tar -xOf "$TEST_TMP/ex.tar" --wildcards '*newfile')" changed
	expect_eq "$(tar -xOf "$TEST_TMP/ex.tar" --wildcards '*etc/passwd' | tail -n 1)" appended
	# to stdout: the same tar
	cpod export ex > "$TEST_TMP/ex2.tar"
	expect_eq "$(tar -tvf "$TEST_TMP/ex2.tar" | md5sum)" "$(tar -tvf "$TEST_TMP/ex.tar" | md5sum)" \
		"export to stdout"
	# what export gives, import takes back
	cpod import -c 'CMD ["cat", "/newfile"]' "$TEST_TMP/ex.tar" exported > /dev/null
	expect_eq "$(cpod run --rm exported)" changed "the export imported and run"
	expect_eq "$(cpod run --rm exported sh -c 'ls /bin/vi 2>&1; cat /etc/x/y')" \
		"$(printf 'ls: /bin/vi: No such file or directory\ny')"
	capture cpod export -o "$TEST_TMP/none.tar" no-such-container
	expect_eq "$STATUS" 125
	test ! -e "$TEST_TMP/none.tar" || fail "a failed export left its file"
}

# Overlay mounts are made in the container's own mount namespace: the host
# never sees them, before, during or after.
test_no_mounts_left_on_the_host() {
	need_root
	local before during after
	img_import > /dev/null
	before=$(img_overlays)
	cpod run --rm busybox true
	cpod run --name kept busybox sh -c 'echo x > /f'
	expect_status 127 cpod run --rm busybox no-such-command
	cpod run --rm -v "$TEST_TMP:/data:ro" --tmpfs /scratch busybox true
	cpod export -o "$TEST_TMP/kept.tar" kept
	cpod run --rm busybox sh -c 'sleep 2' &
	local pid=$!
	sleep 1
	during=$(grep -F "$TEST_TMP" /proc/self/mountinfo || true)
	wait "$pid"
	after=$(img_overlays)
	expect_eq "$during" "" "no mount under the test's directories while a container runs"
	expect_eq "$after" "$before" "the host's overlay mounts"
	expect_eq "$(grep -cF "$TEST_TMP" /proc/self/mountinfo || true)" 0 "nothing mounted under $TEST_TMP"
	cpod rm kept > /dev/null
	cpod rmi busybox > /dev/null
	expect_eq "$(grep -cF "$TEST_TMP" /proc/self/mountinfo || true)" 0
}
