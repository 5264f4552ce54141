# shellcheck shell=bash
# lib.sh — what every integration test sources (test/integration/*.sh).
#
# test/run runs each function test_* of a file in its own bash process:
# it sources this file, then the test file, then calls lib_main FUNCTION,
# which gives the test a private directory ($TEST_TMP, under
# /tmp/cpod-test.XXXX, removed afterwards), its own OCI state root
# ($TEST_ROOT) and engine roots (CPOD_ROOT, CPOD_RUNROOT), turns on
# `set -eE -o pipefail` (any failing command fails the test and is named),
# and at the end runs the commands registered with cleanup_add (last first)
# and deletes the containers left in $TEST_ROOT.  Exit status 0 is PASS, 77
# SKIP, anything else FAIL.
#
# A test file may also be run by hand:
#     CPOD_BIN=build/cpod-mini-static bash -c \
#         '. test/lib.sh; . test/integration/base_cli.sh; lib_main test_version'
#
# Everything here is bash; names start with lib_ when they are internal.

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(cd "$LIB_DIR/.." && pwd)
FIXTURES=$LIB_DIR/fixtures

if [ -z "${CPOD_BIN:-}" ]; then
	echo "lib.sh: CPOD_BIN is not set (the binary under test)" >&2
	exit 2
fi
case "$CPOD_BIN" in
/*) ;;
*) CPOD_BIN=$(cd "$(dirname "$CPOD_BIN")" && pwd)/$(basename "$CPOD_BIN") ;;
esac
export CPOD_BIN
# The binary under test.
CPOD=$CPOD_BIN

LIB_CLEANUPS=()
LIB_OWN_TMP=0

# ------------------------------------------------------------------ running

# Runs the binary under test.
cpod() {
	"$CPOD" "$@"
}

# The OCI runtime command line with this test's state root.
oci() {
	"$CPOD" oci --root "$TEST_ROOT" "$@"
}

# Prints a message into the test's output (shown when it fails).
log() {
	printf '# %s\n' "$*" >&2
}

# Fails the test now with a message.
fail() {
	printf 'FAILED: %s\n' "$*" >&2
	exit 1
}

# Skips the test (exit status 77) with a reason that test/run prints.
skip() {
	printf 'SKIP: %s\n' "$*" >&2
	if [ -n "${TEST_SKIP_FILE:-}" ]; then
		printf '%s\n' "$*" > "$TEST_SKIP_FILE"
	fi
	exit 77
}

# need CMD...: skips the test unless every command is installed.
need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
	done
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

# ------------------------------------------------------------------ checks

# expect_eq ACTUAL EXPECTED [WHAT]
expect_eq() {
	if [ "$1" != "$2" ]; then
		printf 'FAILED: %s\n  expected: %q\n  actual:   %q\n' "${3:-values differ}" "$2" "$1" >&2
		exit 1
	fi
}

# expect_ne ACTUAL UNEXPECTED [WHAT]
expect_ne() {
	if [ "$1" = "$2" ]; then
		printf 'FAILED: %s\n  unexpected: %q\n' "${3:-values are equal}" "$1" >&2
		exit 1
	fi
}

# expect_match TEXT REGEX [WHAT]: some line of TEXT matches the extended regex.
# (grep reads a here-string: with a pipe, grep -q may leave before printf
# has written everything, and pipefail turns the match into a failure)
expect_match() {
	if ! grep -Eq -- "$2" <<< "$1"; then
		printf 'FAILED: %s\n  regex: %s\n  text:\n%s\n' "${3:-no match}" "$2" \
			"$(printf '%s\n' "$1" | head -n 40 | sed 's/^/    /')" >&2
		exit 1
	fi
}

# expect_no_match TEXT REGEX [WHAT]
expect_no_match() {
	if grep -Eq -- "$2" <<< "$1"; then
		printf 'FAILED: %s\n  regex: %s\n  matched:\n%s\n' "${3:-unexpected match}" "$2" \
			"$(printf '%s\n' "$1" | grep -E -- "$2" | head -n 20 | sed 's/^/    /')" >&2
		exit 1
	fi
}

# expect_fail CMD...: CMD must exit non-zero.  Its output goes to the log;
# $LIB_STATUS holds its status afterwards.
expect_fail() {
	LIB_STATUS=0
	"$@" || LIB_STATUS=$?
	if [ "$LIB_STATUS" = 0 ]; then
		printf 'FAILED: expected failure, but it succeeded: %s\n' "$*" >&2
		exit 1
	fi
}

# expect_status N CMD...: CMD must exit with status N.
expect_status() {
	local want=$1
	shift
	LIB_STATUS=0
	"$@" || LIB_STATUS=$?
	if [ "$LIB_STATUS" != "$want" ]; then
		printf 'FAILED: expected exit status %s, got %s: %s\n' "$want" "$LIB_STATUS" "$*" >&2
		exit 1
	fi
}

# wait_for SECONDS CMD...: polls CMD (every 0.1 s) until it succeeds;
# returns 1 after SECONDS, which may have a fraction (so `set -e` fails the
# test, or use it in an if).
wait_for() {
	local secs=$1 deadline
	shift
	deadline=$(( $(date +%s%N) + $(awk -v s="$secs" 'BEGIN { printf "%.0f", s * 1e9 }') ))
	while ! "$@" >/dev/null 2>&1; do
		if [ "$(date +%s%N)" -ge "$deadline" ]; then
			printf 'wait_for: gave up after %s s: %s\n' "$secs" "$*" >&2
			return 1
		fi
		sleep 0.1
	done
}

# ------------------------------------------------------------------ resources

# tmpdir [NAME]: makes and prints a new directory inside $TEST_TMP.
tmpdir() {
	local d
	if [ -n "${1:-}" ]; then
		d=$TEST_TMP/$1
		mkdir -p "$d"
	else
		d=$(mktemp -d "$TEST_TMP/d.XXXXXX")
	fi
	printf '%s\n' "$d"
}

# make_bundle DIR [ARCH]: an OCI bundle on the busybox fixture (rootfs +
# config.json whose process prints "hello from cpod").
make_bundle() {
	CPOD_BIN=$CPOD "$FIXTURES/busybox-bundle" "$@" >&2
}

# jqi FILE FILTER [JQ ARGS...]: edits a JSON file in place, e.g.
#     jqi "$b/config.json" '.process.args = $a' --argjson a '["true"]'
jqi() {
	local f=$1 filter=$2
	shift 2
	jq "$@" "$filter" "$f" > "$f.jqi.tmp" || { rm -f "$f.jqi.tmp"; return 1; }
	mv "$f.jqi.tmp" "$f"
}

# cleanup_add CMD...: runs CMD when the test ends, pass or fail, last added
# first.  With one argument it is shell code; with several, a command and
# its arguments (quoted as given).
cleanup_add() {
	if [ $# = 1 ]; then
		LIB_CLEANUPS+=("$1")
	else
		LIB_CLEANUPS+=("$(printf '%q ' "$@")")
	fi
}

# unused_uid: a uid (100000 or above) with no passwd entry, for rootless
# tests run through as_user.
unused_uid() {
	local uid i
	for i in $(seq 1 100); do
		uid=$(( 100000 + (RANDOM << 8 | RANDOM & 255) % 800000 ))
		if ! getent passwd "$uid" >/dev/null 2>&1; then
			printf '%s\n' "$uid"
			return 0
		fi
	done
	return 1
}

# as_user UID CMD...: runs CMD as UID:UID with no supplementary groups
# (setpriv), with HOME and XDG_RUNTIME_DIR in $TEST_TMP.
as_user() {
	local uid=$1 home
	shift
	home=$TEST_TMP/home-$uid
	if [ ! -d "$home" ]; then
		mkdir -p "$home/run"
		chown -R "$uid:$uid" "$home"
		chmod 0700 "$home/run"
	fi
	HOME=$home XDG_RUNTIME_DIR=$home/run XDG_DATA_HOME=$home/data \
		setpriv --reuid="$uid" --regid="$uid" --clear-groups -- "$@"
}

# ------------------------------------------------------------------ driver

lib_on_err() {
	local rc=$1 cmd=$2 src=$3 line=$4
	printf 'error: `%s` exited with %s (%s:%s)\n' "$cmd" "$rc" "${src#"$SRCDIR"/}" "$line" >&2
}

lib_on_exit() {
	local rc=$? i id
	set +eE
	trap - ERR
	for (( i = ${#LIB_CLEANUPS[@]} - 1; i >= 0; i-- )); do
		( eval "${LIB_CLEANUPS[i]}" ) || log "cleanup failed: ${LIB_CLEANUPS[i]}"
	done
	# Containers the test left behind: delete them so no process survives.
	if [ -d "${TEST_ROOT:-}" ]; then
		for id in "$TEST_ROOT"/*/; do
			[ -d "$id" ] || continue
			id=$(basename "$id")
			"$CPOD" oci --root "$TEST_ROOT" delete --force "$id" >/dev/null 2>&1 ||
				log "could not delete leftover container $id"
		done
	fi
	cd /
	if [ "$LIB_OWN_TMP" = 1 ] && [ -d "${TEST_TMP:-}" ]; then
		rm -rf --one-file-system "$TEST_TMP" 2>/dev/null ||
			log "could not remove $TEST_TMP (a leftover mount?)"
	fi
	exit "$rc"
}

# lib_main FUNCTION: runs one test (see the top of this file).  TEST_TMP
# may be given by test/run, which then removes it; else it is made here.
lib_main() {
	local fn=$1
	TEST_NAME=${TEST_NAME:-$fn}
	if [ -z "${TEST_TMP:-}" ]; then
		TEST_TMP=$(mktemp -d /tmp/cpod-test.XXXX)
		LIB_OWN_TMP=1
	fi
	TEST_ROOT=$TEST_TMP/oci-state
	mkdir -p "$TEST_ROOT" "$TEST_TMP/root" "$TEST_TMP/run"
	export TEST_NAME TEST_TMP TEST_ROOT
	export CPOD_ROOT=$TEST_TMP/root CPOD_RUNROOT=$TEST_TMP/run
	trap lib_on_exit EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	cd "$TEST_TMP"
	if ! declare -F "$fn" >/dev/null; then
		echo "lib_main: no function $fn" >&2
		exit 2
	fi
	shopt -s inherit_errexit
	set -eE -o pipefail
	trap 'lib_on_err $? "$BASH_COMMAND" "${BASH_SOURCE[0]}" "$LINENO"' ERR
	"$fn"
}
