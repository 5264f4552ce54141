# shellcheck shell=bash
# ctr_volumes.sh — `volume create | ls | inspect | rm | prune` and volumes
# in containers: named volumes that persist, made on first use, read-only
# ones, the copy-up of an image's content into a new volume (owners and
# modes kept), tmpfs volumes (nothing on the host), bind volumes, the
# anonymous volumes of an image's VOLUME and of -v /path, and a volume in
# use that cannot be removed without -f.
. "$SRCDIR/test/integration/ctr_options_lib.sh"

test_volume_commands() {
	ctr_import
	local out
	expect_eq "$(cpod volume create --label app=web --label tier v1)" v1 "create prints the name"
	out=$(cpod volume create)
	expect_match "$out" '^[0-9a-f]{64}$' "a name is made up when none is given"
	cpod volume rm "$out" > /dev/null
	cpod volume create --opt type=tmpfs --opt device=tmpfs --opt o=size=64m,mode=0700 v2 > /dev/null
	cpod volume create --driver local v3 > /dev/null
	out=$(cpod volume ls)
	expect_match "$(sed -n 1p <<< "$out")" '^DRIVER +VOLUME NAME$' "ls: the header"
	expect_match "$out" '^local +v1$'
	expect_eq "$(cpod volume ls -q)" $'v1\nv2\nv3' "ls -q, sorted"
	expect_eq "$(cpod volume ls --format json | jq -r '.[].Name' | tr '\n' ' ')" "v1 v2 v3 " \
		"ls --format json"
	expect_eq "$(cpod volume ls -q --filter label=app=web)" v1 "--filter label=K=V"
	expect_eq "$(cpod volume ls -q --filter label=tier)" v1 "--filter label=K"
	expect_eq "$(cpod volume ls -q --filter name=2)" v2 "--filter name="
	out=$(cpod volume inspect v1 v2)
	expect_eq "$(jq length <<< "$out")" 2 "inspect: an array"
	expect_eq "$(jq -r '.[0].Name' <<< "$out")" v1
	expect_eq "$(jq -r '.[0].Driver' <<< "$out")" local
	expect_eq "$(jq -r '.[0].Scope' <<< "$out")" local
	expect_eq "$(jq -r '.[0].Labels.app' <<< "$out")" web
	expect_eq "$(jq -r '.[0].Labels.tier' <<< "$out")" ""
	expect_eq "$(jq -r '.[0].Mountpoint' <<< "$out")" "$CPOD_ROOT/volumes/v1/_data"
	expect_match "$(jq -r '.[0].CreatedAt' <<< "$out")" '^20[0-9]{2}-'
	expect_eq "$(jq -c '.[1].Options' <<< "$out")" \
		'{"type":"tmpfs","device":"tmpfs","o":"size=64m,mode=0700"}'
	test -d "$CPOD_ROOT/volumes/v1/_data" || fail "no _data directory"
	# errors
	capture cpod volume create v1
	expect_eq "$STATUS" 125 "create of an existing name"
	expect_match "$ERR" 'volume with name v1 already exists'
	expect_eq "$(cpod volume create --ignore v1)" v1 "--ignore"
	capture cpod volume create 'bad/name'
	expect_eq "$STATUS" 125
	capture cpod volume create --opt type=nfs --opt device=srv:/x nfsv
	expect_eq "$STATUS" 125 "unsupported types are refused"
	expect_match "$ERR" 'type=nfs'
	capture cpod volume create --opt o=size=1m plain
	expect_eq "$STATUS" 125 "o= without a type"
	capture cpod volume create --driver nfs dv
	expect_eq "$STATUS" 125 "--driver nfs"
	capture cpod volume inspect nosuch
	expect_eq "$STATUS" 125
	expect_match "$ERR" 'no volume with name "nosuch" found'
	capture cpod volume rm nosuch
	expect_eq "$STATUS" 1 "rm of a missing volume: 1, as podman"
	expect_eq "$(cpod volume rm v1 v2 v3)" $'v1\nv2\nv3' "rm prints the names"
	expect_eq "$(cpod volume ls -q)" "" "all gone"
	expect_eq "$(ls -A "$CPOD_ROOT/volumes")" "" "nothing left in the store"
}

test_named_volume_persists() {
	ctr_import
	crun -v data:/data busybox sh -c 'echo first > /data/f; mkdir /data/d'
	expect_eq "$(cpod volume ls -q)" data "-v NAME:/path makes the volume"
	expect_eq "$(crun -v data:/mnt busybox cat /mnt/f)" first "the data stays for the next one"
	capture crun -v data:/data:ro busybox sh -c 'echo x > /data/g'
	expect_ne "$STATUS" 0 ":ro"
	expect_match "$ERR" 'Read-only file system'
	expect_eq "$(crun -v data:/data:ro busybox cat /data/f)" first "read-only, readable"
	local line
	line=$(crun -v data:/data busybox cat /proc/self/mountinfo | awk '$5 == "/data"')
	expect_match "$line" ' /data rw,nosuid,nodev' "volumes are nosuid,nodev"
	expect_eq "$(cat "$CPOD_ROOT/volumes/data/_data/f")" first "on the host, in _data"
	# with --mount too, and two at once
	expect_eq "$(crun --mount type=volume,source=data,target=/a -v other:/b busybox cat /a/f)" first
	expect_eq "$(cpod volume ls -q)" $'data\nother'
	expect_eq "$(cpod volume prune -f)" $'data\nother' "prune: unused ones"
}

test_copy_up_from_the_image() {
	ctr_import
	local out mp
	# a new named volume where the image has content gets it, as podman
	out=$(crun -v cu:/srv/data busybox sh -c 'cat /srv/data/file /srv/data/sub/inner;
		stat -c "%u:%g %a" /srv/data /srv/data/file')
	expect_eq "$out" $'from the image\ndeeper\n1000:1000 750\n1000:1000 640' \
		"content, owners and modes copied"
	mp=$(cpod volume inspect cu | jq -r '.[0].Mountpoint')
	expect_eq "$(stat -c '%u:%g %a' "$mp" "$mp/file")" $'1000:1000 750\n1000:1000 640' "on the host"
	expect_eq "$(cpod volume inspect cu | jq -r '.[0].NeedsCopyUp')" false "once"
	# once only: what the container changed stays
	crun -v cu:/srv/data busybox sh -c 'rm /srv/data/file; echo mine > /srv/data/own'
	expect_eq "$(crun -v cu:/srv/data busybox ls /srv/data | tr '\n' ' ')" "own sub " \
		"no second copy-up"
	# nocopy; a volume first used elsewhere
	expect_eq "$(crun -v nc:/srv/data:nocopy busybox ls -A /srv/data)" "" "nocopy"
	crun -v elsewhere:/other busybox true
	expect_eq "$(crun -v elsewhere:/srv/data busybox ls -A /srv/data)" "" \
		"copy-up happens on first use only"
	# an empty directory of the image: the volume takes its owner and mode
	expect_eq "$(crun -v home:/home/app busybox stat -c '%u %a' /home/app)" "1000 755"
	cpod volume prune -f > /dev/null
}

test_image_volumes_are_anonymous() {
	ctr_import vimg 'VOLUME ["/srv/data", "/cache"]'
	local out names
	out=$(cpod run --name c1 vimg sh -c 'cat /srv/data/file; grep -E " /(srv/data|cache) " /proc/self/mountinfo | wc -l')
	expect_eq "$out" $'from the image\n2' "the image's VOLUMEs, filled from the image"
	names=$(cpod volume ls -q)
	expect_eq "$(wc -l <<< "$names")" 2 "two anonymous volumes"
	expect_match "$names" '^[0-9a-f]{64}$' "named by 64 hex characters"
	expect_eq "$(cpod volume inspect $names | jq -r '.[].Anonymous' | sort -u)" true
	# -v /path alone is one too; a named volume over an image VOLUME replaces it
	cpod run --name c2 -v /anon -v named:/cache vimg true > /dev/null
	expect_eq "$(cpod volume ls -q | grep -c '^[0-9a-f]\{64\}$')" 4 "-v /path: anonymous"
	expect_match "$(cpod volume ls -q)" '^named$'
	cpod rm c2 > /dev/null
	expect_eq "$(cpod volume ls -q | grep -c '^[0-9a-f]\{64\}$')" 4 "rm without -v keeps them"
	# in use by c1: kept by prune, refused by rm
	local first
	first=$(head -n 1 <<< "$names")
	capture cpod volume rm "$first"
	expect_eq "$STATUS" 2 "a volume in use: 2, as podman"
	expect_match "$ERR" "volume $first is being used by the following container\\(s\\): [0-9a-f]{12}"
	out=$(cpod volume prune -f)
	expect_no_match "$out" "$first" "prune keeps what a container uses"
	expect_eq "$(cpod volume ls -q | grep -c '^[0-9a-f]\{64\}$')" 2 "the others went"
	# -f: as podman, the container goes first
	expect_eq "$(cpod volume rm -f "$first")" "$first"
	expect_eq "$(cpod ps -a -q)" "" "rm -f removed the container using it"
	cpod volume prune -f > /dev/null
	expect_eq "$(cpod volume ls -q)" ""
}

test_tmpfs_and_bind_volumes() {
	ctr_import
	local out h=$TEST_TMP/bound
	cpod volume create --opt type=tmpfs --opt device=tmpfs --opt o=size=2m,mode=0700 tv > /dev/null
	out=$(crun -v tv:/t busybox sh -c 'echo x > /t/f; stat -c %a /t; df -k /t | awk "NR == 2 { print \$2 }";
		grep " /t " /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1')
	expect_eq "$out" $'700\n2048\ntmpfs' "a tmpfs with the volume's options"
	expect_eq "$(crun -v tv:/t busybox ls -A /t)" "" "a fresh tmpfs each time"
	expect_eq "$(ls -A "$CPOD_ROOT/volumes/tv/_data")" "" "nothing on the host"
	mkdir -p "$h"
	echo bound > "$h/f"
	cpod volume create --opt type=none --opt o=bind --opt "device=$h" bv > /dev/null
	expect_eq "$(crun -v bv:/b busybox cat /b/f)" bound "a bind volume"
	cpod volume rm tv bv > /dev/null
	expect_eq "$(cat "$h/f")" bound "removing a bind volume leaves its directory"
}

test_volume_in_use_while_running() {
	ctr_import
	local pid out
	# a container that runs while the volume is removed (run in the background)
	cpod run --rm -v busy:/data busybox sh -c \
		'touch /data/started; while [ ! -e /data/stop ]; do sleep 0.1; done' &
	pid=$!
	cleanup_add "touch '$CPOD_ROOT/volumes/busy/_data/stop'; wait $pid; true"
	wait_for 10 test -e "$CPOD_ROOT/volumes/busy/_data/started"
	capture cpod volume rm busy
	expect_eq "$STATUS" 2 "in use by a running container"
	out=$(cpod volume prune -f)
	expect_eq "$out" "" "prune leaves it"
	test -d "$CPOD_ROOT/volumes/busy/_data" || fail "the volume went"
	touch "$CPOD_ROOT/volumes/busy/_data/stop"
	wait "$pid"
	expect_eq "$(cpod volume rm busy)" busy "free again once the container is gone"
}

test_rm_v_removes_anonymous_volumes() {
	ctr_import vimg 'VOLUME ["/cache"]'
	ctr_lifecycle_ready vimg
	local id
	id=$(cpod create -v keep:/keep -v /anon vimg true)
	expect_eq "$(cpod volume ls -q | grep -c '^[0-9a-f]\{64\}$')" 2 "two anonymous volumes"
	cpod rm -v "$id" > /dev/null
	expect_eq "$(cpod volume ls -q)" keep "rm -v: the anonymous ones go, named ones stay"
	crun -v /anon2 vimg true
	expect_eq "$(cpod volume ls -q)" keep "run --rm removes its anonymous volumes"
	cpod volume rm keep > /dev/null
}
