# shellcheck shell=bash
# image_arch.sh — images for other architectures, from Debian's arm64
# busybox-static: multi-platform archives (an OCI index with platform
# entries, at the top of index.json or in a nested index blob) load the
# host's platform; an arm64-only archive is stored and listed as arm64,
# and running it fails clearly (running it for real comes with binfmt, a
# later issue).

. "$SRCDIR/test/helpers/image.sh"

arch_layers() {
	img_busybox_tar "$TEST_TMP/amd64.tar" amd64
	img_busybox_tar "$TEST_TMP/arm64.tar" arm64
}

ARCH_CFG='{"Cmd": ["sh", "-c", "echo I am $(uname -m)"]}'

# An index nested in the layout (as skopeo and podman write multi-arch
# images): load picks linux/amd64.
test_multiarch_nested_index_picks_the_host_platform() {
	need_root
	arch_layers
	mkimage oci-archive "$TEST_TMP/multi.tar" --index nested --ref localhost/multi:1 --gzip \
		--image "arm64/v8=$TEST_TMP/arm64.tar" --image "amd64=$TEST_TMP/amd64.tar" --config "$ARCH_CFG"
	capture cpod load -i "$TEST_TMP/multi.tar"
	expect_eq "$STATUS" 0
	expect_eq "$OUT" "Loaded image: localhost/multi:1"
	expect_eq "$(cpod images --format json | jq -c '[.[] | .Arch]')" '["amd64"]' "one image: amd64"
	expect_eq "$(cpod image inspect multi:1 | jq -r '.[0].Architecture')" amd64
	expect_eq "$(cpod run --rm multi:1)" "I am x86_64"
	img_check_spotless
}

# The same index as index.json itself: each entry a platform of one image.
test_multiarch_top_level_index_picks_the_host_platform() {
	need_root
	arch_layers
	mkimage oci-archive "$TEST_TMP/multi.tar" --index platforms --ref localhost/multi:1 --gzip \
		--image "amd64=$TEST_TMP/amd64.tar" --image "arm64/v8=$TEST_TMP/arm64.tar" --config "$ARCH_CFG"
	capture cpod load -i "$TEST_TMP/multi.tar"
	expect_eq "$STATUS" 0
	expect_eq "$(cpod images --format json | jq -c '[.[] | .Arch]')" '["amd64"]' \
		"only the host's platform is loaded"
	expect_eq "$(cpod image inspect multi:1 | jq -r '.[0].Architecture')" amd64 "the name is amd64's"
	expect_eq "$(cpod run --rm multi:1)" "I am x86_64"
}

# Whether this host could run arm64 binaries after all (a binfmt_misc
# handler for aarch64): then running an arm64 image is not an error.
arch_host_runs_arm64() {
	local f
	for f in /proc/sys/fs/binfmt_misc/*; do
		[ -f "$f" ] && grep -q 'aarch64' "$f" 2> /dev/null && return 0
	done
	return 1
}

test_arm64_only_image_is_stored_listed_and_refused_to_run() {
	need_root
	arch_layers
	local fmt
	mkimage oci-archive "$TEST_TMP/arm-oci.tar" --ref localhost/arm-oci:1 \
		--image "arm64/v8=$TEST_TMP/arm64.tar" --config "$ARCH_CFG"
	mkimage docker-archive "$TEST_TMP/arm-docker.tar" --arch arm64 --variant v8 \
		--layer "$TEST_TMP/arm64.tar" --tag localhost/arm-docker:1 --config '{"Cmd": ["true"]}'
	for fmt in oci docker; do
		capture cpod load -i "$TEST_TMP/arm-$fmt.tar"
		expect_eq "$STATUS" 0 "an arm64-only $fmt archive loads"
		expect_eq "$(cpod images --format json | jq -r --arg n "localhost/arm-$fmt:1" \
			'.[] | select(.RepoTags | index($n)) | .Arch')" arm64 "listed as arm64"
		expect_eq "$(cpod image inspect "arm-$fmt:1" | jq -c '.[0] | [.Architecture, .Variant, .Os]')" \
			'["arm64","v8","linux"]' "inspect"
	done
	expect_eq "$(od -An -tx1 -j18 -N2 "$(img_rootfs arm64)/bin/busybox")" " b7 00" "an aarch64 binary"
	if arch_host_runs_arm64; then
		log "this host has a binfmt_misc handler for aarch64: not checking the refusal"
	else
		capture cpod run --rm arm-oci:1
		expect_ne "$STATUS" 0 "an arm64 image does not run on amd64"
		case "$STATUS" in
		125|126) ;;
		*) fail "exit status $STATUS: expected 126 (exec format error) or 125" ;;
		esac
		expect_match "$(printf '%s\n' "$ERR" | tr 'A-Z' 'a-z')" 'exec format error|arm64|aarch64|architecture' \
			"the error says why"
		log "run of an arm64 image: status $STATUS, stderr: $ERR"
		expect_eq "$(cpod ps -a -q)" "" "--rm: nothing left"
	fi
	# save and load again: the platform stays
	cpod save --format oci-archive -o "$TEST_TMP/again.tar" arm-oci:1
	cpod rmi arm-oci:1 > /dev/null
	cpod load -i "$TEST_TMP/again.tar" > /dev/null
	expect_eq "$(cpod image inspect arm-oci:1 | jq -r '.[0].Architecture')" arm64 "after a round trip"
	img_check_spotless
}

test_arm64_only_index_is_refused_clearly() {
	need_root
	arch_layers
	mkimage oci-archive "$TEST_TMP/arm-index.tar" --index nested --ref localhost/armi:1 \
		--image "arm64/v8=$TEST_TMP/arm64.tar" --config "$ARCH_CFG"
	capture cpod load -i "$TEST_TMP/arm-index.tar"
	expect_eq "$STATUS" 125 "an index without the host's platform"
	expect_match "$ERR" 'linux/amd64' "names the platform wanted"
	expect_match "$ERR" 'linux/arm64' "and the ones there are"
	expect_eq "$(cpod images -q)" "" "nothing loaded"
	img_check_clean
}
