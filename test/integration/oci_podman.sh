# shellcheck shell=bash
# oci_podman.sh — podman driving cpod as its OCI runtime (a symlink named
# cpod-runc, so cpod speaks as runc): import an image from the busybox
# rootfs, run --rm, exit codes, a detached container with exec, ps, stop
# and rm.  Everything podman keeps is under $TEST_TMP: storage, runroot,
# tmpdir, and (in a private mount namespace, on tmpfs) its /dev/shm lock
# file, the /var/lib/containers blob cache and the runtime's state root in
# /run; its cgroups are under a parent named after cpod, removed at the end.  The same script runs first with runc: if
# podman cannot run here at all, the test is skipped with runc's reason.
. "$SRCDIR/test/helpers/oci.sh"
# shellcheck disable=SC2034 # read by test/run
TIMEOUT=180

# The script run in the private mount namespace: $1 the runtime, $2 the
# work directory, $3 the cgroup parent, $4 "smoke" (one run) or "full".
PODMAN_SCRIPT='
set -u
rt=$1 t=$2 cgp=$3 mode=$4
mount -t tmpfs -o size=16m,mode=1777 tmpfs /dev/shm
mount -t tmpfs -o size=16m,mode=755 tmpfs /var/lib
# podman gives the runtime --root /run/<runtime name>: keep that here too
mount -t tmpfs -o size=16m,mode=755 tmpfs /run
mkdir -p "$t/tmp"
export TMPDIR=$t/tmp
P() {
	podman --runtime "$rt" --root "$t/storage" --runroot "$t/runroot" --tmpdir "$t/tmpdir" \
		--storage-driver vfs --cgroup-manager cgroupfs --events-backend file "$@"
}
# no CAP_SYS_RESOURCE on this host: podman would raise the hard NOFILE and
# NPROC limits (runc fails the same way), so they are set to what we have
RUN=(--network none --cgroup-parent "$cgp" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
step() { echo "== $*"; }
fail() { echo "FAILED: $*"; P rm -af >/dev/null 2>&1; exit 1; }
step import
tar -C "$t/rootfs" -c . | P import - localhost/busybox:test > /dev/null || fail "import"
step run
out=$(P run --rm "${RUN[@]}" localhost/busybox:test sh -c "echo hello-from-podman; id -u; hostname") ||
	fail "run: $out"
echo "$out"
[ "$mode" = smoke ] && exit 0
step exit-code
P run --rm "${RUN[@]}" localhost/busybox:test sh -c "exit 3"
echo "exit=$?"
step runtime
P info --format "{{.Host.OCIRuntime.Name}}"
step detached
cid=$(P run -d --name cpodtest "${RUN[@]}" localhost/busybox:test sh -c "trap \"exit 0\" TERM; echo up > /tmp/up; while :; do sleep 0.1; done") ||
	fail "run -d: $cid"
for i in $(seq 50); do
	[ "$(P inspect --format "{{.State.Status}}" cpodtest)" = running ] && break
	sleep 0.1
done
P inspect --format "status={{.State.Status}} runtime={{.OCIRuntime}}" cpodtest
step exec
P exec cpodtest sh -c "cat /tmp/up; echo exec-ok"
P exec cpodtest sh -c "exit 5"
echo "exec-exit=$?"
step top
P top cpodtest pid args | tail -n +2 | wc -l
step stop
P stop -t 5 cpodtest > /dev/null || fail "stop"
P inspect --format "status={{.State.Status}} exit={{.State.ExitCode}}" cpodtest
step rm
P rm cpodtest > /dev/null || fail "rm"
P ps -a --format "{{.Names}}" | grep -c cpodtest
step done
'

# podman_run RUNTIME MODE: the script, in a private mount namespace.
podman_run() {
	local t
	t=$TEST_TMP/podman-$(basename "$1")
	mkdir -p "$t"
	[ -d "$t/rootfs" ] || cp -a "$TEST_TMP/pb/rootfs" "$t/rootfs"
	timeout 120 unshare -m --propagation private bash -c "$PODMAN_SCRIPT" podman-test \
		"$1" "$t" "$PODMAN_CG" "$2" 2>&1
}

podman_setup() {
	need_root
	need podman conmon unshare runc
	PODMAN_CG=/cpod-podman-$$
	cleanup_add "find /sys/fs/cgroup -maxdepth 4 -depth -type d -path '*/cpod-podman-$$*' -exec rmdir {} + 2>/dev/null; true"
	make_bundle "$TEST_TMP/pb"
	ln -s "$CPOD" "$TEST_TMP/cpod-runc"
}

test_podman_runs_containers_with_cpod() {
	podman_setup
	local out
	# the reference first: can podman run here at all?
	if ! out=$(podman_run runc smoke); then
		printf '%s\n' "$out" >&2
		skip "podman does not work here even with runc: $(grep -m1 -E 'Error|FAILED' <<< "$out")"
	fi
	expect_match "$out" '^hello-from-podman$' "podman + runc"
	out=$(podman_run "$TEST_TMP/cpod-runc" full) || { printf '%s\n' "$out" >&2; fail "podman with cpod-runc"; }
	log "$out"
	expect_match "$out" '^hello-from-podman$' "run --rm prints"
	expect_match "$out" '^0$' "root inside"
	expect_match "$out" '^exit=3$' "the exit code reaches podman"
	expect_match "$out" '(^|/)cpod-runc$' "podman's runtime is cpod-runc"
	expect_match "$out" '^status=running runtime=.*cpod-runc$' "a detached container runs"
	expect_match "$out" '^up$' "exec sees the container's files"
	expect_match "$out" '^exec-ok$'
	expect_match "$out" '^exec-exit=5$' "exec's exit code"
	expect_match "$out" '^status=exited exit=0$' "stop: the container's TERM trap ran"
	expect_match "$out" '^== done$'
	expect_match "$(sed -n '/^== rm$/,$p' <<< "$out")" '^0$' "rm removed it"
	test ! -e /run/cpod-runc || log "/run/cpod-runc exists on the host (not made by this test)"
}
