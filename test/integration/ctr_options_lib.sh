# shellcheck shell=bash
# ctr_options_lib.sh — what the container option and volume tests
# (ctr_options_*.sh, ctr_volumes.sh) share; it has no tests of its own.
#
# The image: Debian's busybox-static fixture with a few more things, made
# into one layer with tar and imported (`cpod import`): a user app (1000),
# groups staff (50, app is a member) and audio (29), and /srv/data owned
# by 1000:1000 mode 0750 holding a file, for copy-up.  The host files the
# containers see (resolv.conf, hosts) are the test's own, through
# CPOD_RESOLV_CONF and CPOD_HOSTS.

# ctr_rootfs: prints the directory of the image's root file system.
ctr_rootfs() {
	local fx r=$TEST_TMP/ctr-rootfs
	if [ ! -d "$r" ]; then
		fx=$("$FIXTURES/busybox-rootfs-cache" amd64) || fail "no busybox fixture"
		cp -a "$fx" "$r"
		echo "app:x:1000:1000:app:/home/app:/bin/sh" >> "$r/etc/passwd"
		printf 'staff:x:50:app\naudio:x:29:\napp:x:1000:\n' >> "$r/etc/group"
		mkdir -p "$r/home/app" "$r/srv/data/sub"
		echo "from the image" > "$r/srv/data/file"
		echo "deeper" > "$r/srv/data/sub/inner"
		chown -R 1000:1000 "$r/srv/data" "$r/home/app"
		chmod 0750 "$r/srv/data"
		chmod 0640 "$r/srv/data/file"
	fi
	printf '%s\n' "$r"
}

# ctr_import [NAME [CHANGE...]]: imports the image as NAME (default
# busybox) with CMD ["sh"] and the CHANGEs.  Skips the test when this
# build cannot import (the layer unpacker is a stub before it is merged).
ctr_import() {
	local name=${1:-busybox} t=$TEST_TMP/ctr-image.tar out c
	local -a args=(-c 'CMD ["sh"]')
	shift || true
	need_root
	ctr_env
	if [ ! -s "$t" ]; then
		tar --numeric-owner -C "$(ctr_rootfs)" -cf "$t" .
	fi
	for c in "$@"; do
		args+=(-c "$c")
	done
	if ! out=$(cpod import "${args[@]}" "$t" "$name" 2>&1); then
		case "$out" in
		*"layer stub"*) skip "this build cannot import images (layer stub)" ;;
		esac
		fail "import $name: $out"
	fi
}

# ctr_env: the host files the engine reads, made by the test.
ctr_env() {
	if [ -z "${CPOD_RESOLV_CONF:-}" ]; then
		printf '# test resolv.conf\nsearch test.example\nnameserver 192.0.2.53\noptions edns0\n' \
			> "$TEST_TMP/resolv.conf"
		printf '192.0.2.1\thost-entry\n' > "$TEST_TMP/hosts"
		export CPOD_RESOLV_CONF=$TEST_TMP/resolv.conf CPOD_HOSTS=$TEST_TMP/hosts
	fi
}

# capture CMD...: runs CMD (never failing the test): stdout in $OUT, stderr
# in $ERR, the exit status in $STATUS; the log shows them.
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

# crun ARGS...: `run --rm ARGS` (image and command included), stdout.
crun() {
	cpod run --rm "$@"
}

# ctr_status_line FIELD: FIELD's value from the container's /proc/self/status,
# with the options before it (`ctr_status_line CapEff --cap-add X`).
ctr_status_line() {
	local field=$1
	shift
	crun "$@" busybox sh -c "grep '^$field:' /proc/self/status" | awk '{ print $2 }'
}

# ctr_bad OPTION...: run with the options must fail with status 125 and one
# line naming the first option, and leave no container and no volume.
ctr_bad() {
	local what=$1
	capture cpod run --rm "$@" busybox true
	expect_eq "$STATUS" 125 "exit status for $*"
	expect_eq "$(printf '%s\n' "$ERR" | wc -l)" 1 "one line of error for $*"
	expect_match "$ERR" "^cpod-mini: ${what%%=*}" "the error names $what"
	expect_eq "$(cpod ps -a -q)" "" "no container left by $*"
	expect_eq "$(cpod volume ls -q)" "" "no volume left by $*"
}

# ctr_lifecycle_ready IMAGE: skips unless the container lifecycle (run -d,
# rm -v) is in this build.
ctr_lifecycle_ready() {
	local id
	if ! id=$(cpod run -d "${1:-busybox}" sleep 30 2>/dev/null); then
		skip "needs the container lifecycle (run -d, rm -v): not in this build yet"
	fi
	cpod rm -f -v "$id" > /dev/null
}
