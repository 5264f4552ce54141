# shellcheck shell=bash
# image.sh — what the image tests (test/integration/image_*.sh) share:
# busybox layers and archives made by the test itself (tar, sha256sum, jq),
# the Python builder for everything else (test/helpers/mkimage.py), and
# checks of the store and of the host's mounts.  Sourced after lib.sh.

IMG_HELPERS=$SRCDIR/test/helpers

# mkimage ARGS...: test/helpers/mkimage.py (see its top).
mkimage() {
	/usr/bin/python3 "$IMG_HELPERS/mkimage.py" "$@"
}

# img_rootfs [ARCH]: prints the cached busybox rootfs of ARCH (amd64 by
# default); skips the test when there is none for arm64.
img_rootfs() {
	local arch=${1:-amd64} out
	if ! out=$("$FIXTURES/busybox-rootfs-cache" "$arch" 2> "$TEST_TMP/fixture.err"); then
		cat "$TEST_TMP/fixture.err" >&2
		[ "$arch" = amd64 ] && fail "no busybox fixture"
		skip "no $arch busybox-static (make deps adds the arm64 architecture)"
	fi
	printf '%s\n' "$out"
}

# img_tar_dir DIR OUT: DIR as a layer, made by GNU tar reproducibly.
img_tar_dir() {
	tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 --format=pax \
		--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
		-C "$1" -cf "$2" .
}

# img_busybox_tar OUT [ARCH]: the busybox rootfs as one layer tar.
img_busybox_tar() {
	img_tar_dir "$(img_rootfs "${2:-amd64}")" "$1"
}

# img_sha256 FILE: the hex sha256 of FILE.
img_sha256() {
	sha256sum "$1" | cut -d' ' -f1
}

# img_docker_archive OUT ARCH CONFIG_JSON TAGS_JSON LAYER...: a
# docker-archive made as the issue says, with tar and sha256sum only (jq
# for the JSON): manifest.json, HEX.json and HEX/layer.tar per layer.
img_docker_archive() {
	local out=$1 arch=$2 cfg=$3 tags=$4 d l hex diffs="[]" layers="[]" chex
	shift 4
	d=$(mktemp -d "$TEST_TMP/da.XXXXXX")
	for l in "$@"; do
		hex=$(img_sha256 "$l")
		mkdir -p "$d/$hex"
		cp "$l" "$d/$hex/layer.tar"
		diffs=$(jq -c --arg d "sha256:$hex" '. + [$d]' <<< "$diffs")
		layers=$(jq -c --arg p "$hex/layer.tar" '. + [$p]' <<< "$layers")
	done
	jq -cn --arg arch "$arch" --argjson cfg "$cfg" --argjson diffs "$diffs" \
		'{architecture: $arch, os: "linux", created: "2024-01-01T00:00:00Z",
		  config: $cfg, rootfs: {type: "layers", diff_ids: $diffs}}' > "$d/config.json"
	chex=$(img_sha256 "$d/config.json")
	mv "$d/config.json" "$d/$chex.json"
	jq -cn --arg c "$chex.json" --argjson t "$tags" --argjson l "$layers" \
		'[{Config: $c, RepoTags: $t, Layers: $l}]' > "$d/manifest.json"
	local dirs
	mapfile -t dirs < <(cd "$d" && find . -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
	(cd "$d" && tar --numeric-owner --owner=0 --group=0 -cf "$out" manifest.json "$chex.json" "${dirs[@]}")
	rm -rf "$d"
}

# img_import [NAME [CHANGE...]]: imports the busybox rootfs as NAME
# (default busybox) with CMD ["sh"] and the CHANGEs; prints the id.
img_import() {
	local name=${1:-busybox} t=$TEST_TMP/busybox-amd64.tar args=()
	shift || true
	[ -s "$t" ] || img_busybox_tar "$t"
	args=(-c 'CMD ["sh"]')
	local c
	for c in "$@"; do
		args+=(-c "$c")
	done
	cpod import "${args[@]}" "$t" "$name"
}

# img_id REF: the full id of an image.
img_id() {
	cpod image inspect "$1" | jq -r '.[0].Id'
}

# img_check_clean: `system check` says the store is consistent (exit 0, no
# "error:" line).  Garbage (debris of killed work) is allowed, and logged.
img_check_clean() {
	local out rc=0
	out=$(cpod system check 2>&1) || rc=$?
	printf '%s\n' "$out" | sed 's/^/# system check: /' >&2
	expect_eq "$rc" 0 "system check exit status"
	expect_no_match "$out" '^error:' "system check finds no inconsistency"
	expect_match "$out" 'the store is consistent' "system check's verdict"
}

# img_check_spotless: as img_check_clean, and no garbage either.
img_check_spotless() {
	local out
	img_check_clean
	out=$(cpod system check 2>&1)
	expect_no_match "$out" '^garbage:' "system check finds no debris"
}

# img_overlays: the overlay mounts the host sees (mount point and source),
# sorted, to compare before and after.
img_overlays() {
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break;
	       if ($(i + 1) == "overlay") print $5, $(i + 2) }' /proc/self/mountinfo | sort
}

# img_store_mounts: any mount point under this test's directories.
img_test_mounts() {
	awk -v t="$TEST_TMP" '$5 ~ "^" t { print $5 }' /proc/self/mountinfo
}

# img_files_outside DIR...: a listing (path, type, size) of the trees, to
# show that a hostile load wrote nothing there.
img_listing() {
	find "$@" -printf '%p %y %s\n' 2>/dev/null | sort
}

# capture CMD...: runs CMD (never failing the test): its stdout in $OUT,
# stderr in $ERR, exit status in $STATUS; the log shows all three.
# shellcheck disable=SC2034 # OUT, ERR and STATUS are for the tests
capture() {
	STATUS=0
	"$@" > "$TEST_TMP/capture.out" 2> "$TEST_TMP/capture.err" || STATUS=$?
	OUT=$(cat "$TEST_TMP/capture.out")
	ERR=$(cat "$TEST_TMP/capture.err")
	printf '# $ %s  -> status %s\n' "$*" "$STATUS" >&2
	if [ -n "$ERR" ]; then
		printf '%s\n' "$ERR" | head -n 20 | sed 's/^/#   stderr: /' >&2
	fi
}

# skopeo ARGS...: skopeo on local files only, its state kept in $TEST_TMP:
# treated as rootless (_CONTAINERS_ROOTLESS_UID), its blob-info cache goes
# to $XDG_DATA_HOME instead of /var/lib/containers/cache, and a policy
# that accepts anything (nothing is pulled: only file transports).
img_skopeo() {
	local h=$TEST_TMP/skopeo-home
	if [ ! -e "$h/policy.json" ]; then
		mkdir -p "$h/tmp"
		echo '{"default": [{"type": "insecureAcceptAnything"}]}' > "$h/policy.json"
	fi
	_CONTAINERS_ROOTLESS_UID=65534 HOME=$h XDG_DATA_HOME=$h/data XDG_CONFIG_HOME=$h/config \
		TMPDIR=$h/tmp skopeo --policy "$h/policy.json" "$@"
}

# img_podman ARGS...: podman with all its state in $TEST_TMP (vfs storage:
# no mounts), for archives written by a real tool.
img_podman() {
	local h=$TEST_TMP/podman-home
	mkdir -p "$h/tmp"
	_CONTAINERS_ROOTLESS_UID=65534 HOME=$h XDG_DATA_HOME=$h/data XDG_CONFIG_HOME=$h/config \
		TMPDIR=$h/tmp podman --root "$h/root" --runroot "$h/run" --tmpdir "$h/libpod" \
		--storage-driver vfs --events-backend none --cgroup-manager cgroupfs "$@"
}

# img_containers_dirs_untouched: registers a check, at the end of the test,
# that skopeo and podman made none of their host directories
# (/var/lib/containers, /run/containers, /run/libpod) that were not there.
img_containers_dirs_untouched() {
	local d
	for d in /var/lib/containers /run/containers /run/libpod; do
		[ -e "$d" ] && continue
		cleanup_add "if [ -e $d ]; then echo 'FAILED: $d was created' >&2; exit 1; fi"
	done
}
