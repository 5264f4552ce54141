# shellcheck shell=bash
# image_manage.sh — names and removal: tag, untag, rmi (refused while a
# container uses the image, -f, by one of several names), image prune,
# system df, system prune -a (an empty store that system check calls
# consistent), and info's storage driver.

. "$SRCDIR/test/helpers/image.sh"

test_tag_and_untag() {
	need_root
	local id
	id=$(img_import)
	cpod tag busybox other:1 another/name:2 registry.example:5000/team/app:v3
	expect_eq "$(cpod image inspect "$id" | jq -c '.[0].RepoTags | sort')" \
		'["localhost/another/name:2","localhost/busybox:latest","localhost/other:1","registry.example:5000/team/app:v3"]' \
		"unqualified tags go to localhost/, qualified ones stay"
	expect_eq "$(cpod run --rm other:1 echo by-tag)" by-tag "run by a new tag"
	expect_eq "$(img_id registry.example:5000/team/app:v3)" "$id"
	expect_eq "$(cpod images -q | sort -u)" "${id:0:12}" "one image, several names"
	expect_eq "$(cpod images | grep -c "${id:0:12}")" 4 "one row per name"
	cpod untag busybox localhost/other:1
	expect_eq "$(cpod image inspect "$id" | jq -r '.[0].RepoTags | index("localhost/other:1")')" null \
		"untag one name"
	cpod untag busybox another/name:2
	expect_eq "$(cpod image inspect "$id" | jq '.[0].RepoTags | length')" 2 "untag by a short name"
	cpod untag "$id"
	expect_eq "$(cpod image inspect "$id" | jq -c '.[0].RepoTags')" '[]' "untag without a name: all"
	expect_match "$(cpod images)" "^<none> +<none> +${id:0:12} " "a dangling image"
	expect_eq "$(cpod run --rm "$id" echo still-there)" still-there "runnable by id"
	capture cpod tag no-such-image x:1
	expect_eq "$STATUS" 125
	capture cpod tag "$id" 'Bad Name'
	expect_eq "$STATUS" 125 "an invalid name"
	capture cpod untag "$id" never:1
	expect_eq "$STATUS" 125 "untag of a name it does not have"
	# a tag moves: the image that had it loses it
	cpod tag "$id" moving:1
	img_import second > /dev/null
	cpod tag second moving:1
	expect_eq "$(img_id moving:1)" "$(img_id second)" "the name moved"
	expect_eq "$(cpod image inspect "$id" | jq -c '.[0].RepoTags')" '[]'
}

test_rmi_refused_while_in_use() {
	need_root
	local id
	id=$(img_import)
	cpod run --name user1 busybox true
	capture cpod rmi busybox
	expect_eq "$STATUS" 2 "in use: exit status 2, as podman"
	expect_match "$ERR" "in use by a container"
	expect_match "$ERR" "$(cpod ps -a -q --no-trunc)" "names the container"
	expect_eq "$(img_id busybox)" "$id" "still there"
	expect_eq "$(cpod run --rm busybox echo ok)" ok
	capture cpod rmi -f busybox
	expect_eq "$STATUS" 0 "rmi -f"
	expect_match "$OUT" "^Untagged: localhost/busybox:latest$"
	expect_match "$OUT" "^Deleted: $id$"
	expect_eq "$(cpod ps -a -q)" "" "-f removed the container too"
	expect_eq "$(cpod images -q)" "" "and the image"
	img_check_spotless
	capture cpod rmi busybox
	expect_eq "$STATUS" 1 "an unknown image: exit status 1, as podman"
	capture cpod rmi -i busybox
	expect_eq "$STATUS" 0 "--ignore"
}

test_rmi_by_one_of_several_names_only_untags() {
	need_root
	local id
	id=$(img_import)
	cpod tag busybox other:1
	capture cpod rmi other:1
	expect_eq "$STATUS" 0
	expect_match "$OUT" '^Untagged: ' "only untagged"
	expect_no_match "$OUT" '^Deleted:' "not deleted"
	expect_eq "$(cpod image inspect "$id" | jq -c '.[0].RepoTags')" '["localhost/busybox:latest"]'
	# by id while it has several names: refused without -f
	cpod tag busybox other:2
	capture cpod rmi "${id:0:12}"
	expect_ne "$STATUS" 0 "by id with several names"
	expect_match "$ERR" '(multiple|several) (repositories|names)'
	capture cpod rmi -f "${id:0:12}"
	expect_eq "$STATUS" 0 "by id with -f: every name goes"
	expect_match "$OUT" '^Untagged: localhost/busybox:latest$'
	expect_match "$OUT" '^Untagged: localhost/other:2$'
	expect_match "$OUT" "^Deleted: $id$"
	expect_eq "$(cpod images -q)" ""
	# the last name: the image goes
	img_import > /dev/null
	expect_match "$(cpod rmi busybox)" '^Deleted: '
	img_check_spotless
}

# podman prints the name it removed; cpod prints the reference as if it
# were a docker.io one.
test_rmi_reports_the_name_it_removed() {
	need_root
	img_import > /dev/null
	cpod tag busybox other:1
	capture cpod rmi other:1
	expect_eq "$STATUS" 0
	expect_eq "$OUT" "Untagged: localhost/other:1" "the name actually removed"
}

test_image_prune() {
	need_root
	local keep dangling unused
	keep=$(img_import busybox)
	dangling=$(img_import second 'CMD ["echo", "2"]')
	cpod untag "$dangling"
	unused=$(img_import third 'CMD ["echo", "3"]')
	capture cpod image prune
	expect_eq "$STATUS" 0
	expect_eq "$OUT" "$dangling" "prune: the dangling image only"
	expect_eq "$(cpod images -q --no-trunc | sort | tr '\n' ' ')" \
		"$(printf '%s\n' "$keep" "$unused" | sort | tr '\n' ' ')"
	cpod run --name user1 busybox true
	capture cpod image prune -a
	expect_eq "$OUT" "$unused" "prune -a: every image no container uses"
	expect_eq "$(cpod images -q --no-trunc)" "$keep"
	img_check_spotless
}

test_system_df() {
	need_root
	img_import > /dev/null
	local j
	j=$(cpod system df --format json)
	expect_eq "$(jq -c '[.[].Type]' <<< "$j")" '["Images","Containers","Local Volumes"]'
	jq -e '.[0].Total == 1 and .[0].Active == 0 and .[0].RawSize > 1000000 and
		.[0].RawReclaimable == .[0].RawSize and .[1].Total == 0' <<< "$j" > /dev/null ||
		fail "one unused image: $j"
	cpod run --name c1 busybox sh -c 'head -c 300000 /dev/zero > /big'
	j=$(cpod system df --format json)
	jq -e '.[0].Active == 1 and .[0].RawReclaimable == 0 and .[1].Total == 1 and
		.[1].Active == 0 and .[1].RawSize >= 300000' <<< "$j" > /dev/null ||
		fail "a stopped container using it: $j"
	local out
	out=$(cpod system df)
	expect_match "$out" '^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE$'
	expect_match "$out" '^Images +1 +1 +[0-9.]+ [kM]B +0 B \(0%\)$'
	expect_match "$out" '^Containers +1 +0 '
}

test_system_prune_all_leaves_an_empty_store() {
	need_root
	img_import > /dev/null
	img_import second > /dev/null
	printf '@ %s\nfile extra "x"\n' "$TEST_TMP/l2.tar" | mkimage tars
	mkimage docker-archive "$TEST_TMP/two.tar" --layer "$TEST_TMP/busybox-amd64.tar" \
		--layer "$TEST_TMP/l2.tar" --tag two:1 --config '{"Cmd": ["true"]}'
	cpod load -i "$TEST_TMP/two.tar" > /dev/null
	cpod run --name c1 busybox true
	cpod run --name c2 two:1
	capture cpod system prune -a
	expect_eq "$STATUS" 0
	expect_eq "$(grep -c '^Deleted container' <<< "$OUT")" 2
	expect_eq "$(grep -c '^Deleted image' <<< "$OUT")" 3
	expect_eq "$(cpod images --format json | jq -c .)" '[]' "no image"
	expect_eq "$(cpod ps -a -q)" "" "no container"
	img_check_spotless
	local d
	for d in blobs/sha256 layers l containers; do
		expect_eq "$(find "$CPOD_ROOT/$d" -mindepth 1 | head -n 3)" "" "$d is empty"
	done
	expect_eq "$(find "$CPOD_ROOT/tmp" -mindepth 1 | head -n 3)" "" "tmp is empty"
	expect_eq "$(cpod system df --format json | jq -c '[.[].RawSize]')" '[0,0,0]'
	# and the store works again
	img_import > /dev/null
	expect_eq "$(cpod run --rm busybox echo again)" again
}

test_info_storage_driver() {
	need_root
	local j
	j=$(cpod info)
	expect_eq "$(jq -r .store.graphDriverName <<< "$j")" overlay "overlay on this kernel"
	expect_eq "$(jq -r .store.graphRoot <<< "$j")" "$CPOD_ROOT" "CPOD_ROOT"
	expect_eq "$(jq -r .store.runRoot <<< "$j")" "$CPOD_RUNROOT" "CPOD_RUNROOT"
	expect_eq "$(jq -r .host.arch <<< "$j")" amd64
	expect_eq "$(jq -r .host.rootless <<< "$j")" false
	j=$(CPOD_NO_OVERLAY=1 cpod info)
	expect_eq "$(jq -r .store.graphDriverName <<< "$j")" copy "CPOD_NO_OVERLAY=1: the copy fallback"
	expect_match "$(jq -r .store.graphDriverNote <<< "$j")" 'CPOD_NO_OVERLAY' "says why"
	img_import > /dev/null
	expect_eq "$(jq -r '.store.imageStore.number' <<< "$(cpod info)")" 1
	expect_eq "$(cpod image inspect busybox | jq -r '.[0].GraphDriver.Name')" overlay
	expect_eq "$(CPOD_NO_OVERLAY=1 cpod image inspect busybox | jq -r '.[0].GraphDriver.Name')" copy
	expect_eq "$(cpod system info | jq -r .store.graphDriverName)" overlay "system info = info"
	# --root and --runroot instead of the environment
	local r=$TEST_TMP/other-root
	j=$(cpod --root "$r/root" --runroot "$r/run" info)
	expect_eq "$(jq -r .store.graphRoot <<< "$j")" "$r/root" "--root"
	expect_eq "$(jq -r .store.imageStore.number <<< "$j")" 0 "another store"
}
