# shellcheck shell=bash
# oci.sh — helpers shared by the OCI runtime tests (test/integration/oci_*.sh),
# sourced by each of them after test/lib.sh.
#
# Container ids carry "cpod" and the test's pid ($$), so the cgroups they get
# (named after the id when the config has no cgroupsPath) are recognisably
# cpod's and never clash between test files run in parallel.

# await SECONDS CMD...: lib.sh's wait_for, whose deadline is right with
# mawk too (its printf "%d" caps at 2^31 ns, so wait_for gives up after
# 2.1 s whatever it is asked).
await() {
	local secs=$1 deadline
	shift
	deadline=$(( $(date +%s%N) + $(awk -v s="$secs" 'BEGIN { printf "%.0f", s * 1e9 }') ))
	while ! "$@" >/dev/null 2>&1; do
		if [ "$(date +%s%N)" -ge "$deadline" ]; then
			printf 'await: gave up after %s s: %s\n' "$secs" "$*" >&2
			return 1
		fi
		sleep 0.05
	done
}

# cid NAME: a container id for this test.
cid() {
	printf 'cpod-t%s-%s\n' "$$" "$1"
}

# json_strs ARG...: a JSON array of strings.
json_strs() {
	local i=0 x filter='' args=()
	for x in "$@"; do
		args+=(--arg "a$i" "$x")
		filter+="${filter:+, }\$a$i"
		i=$((i + 1))
	done
	jq -nc "${args[@]}" "[$filter]"
}

# set_args BUNDLE ARG...: the container's process.args.
set_args() {
	local b=$1
	shift
	jqi "$b/config.json" '.process.args = $a' --argjson a "$(json_strs "$@")"
}

# bundle NAME [SCRIPT | ARG...]: a busybox bundle at $TEST_TMP/NAME whose
# process runs `sh -c SCRIPT` (one argument) or ARG... (several); prints
# its path.  Its root is writable (most tests write a file or two).
bundle() {
	local b=$TEST_TMP/$1 args
	shift
	make_bundle "$b"
	if [ $# = 1 ]; then
		args=$(json_strs /bin/sh -c "$1")
	elif [ $# -gt 1 ]; then
		args=$(json_strs "$@")
	else
		args=null
	fi
	jqi "$b/config.json" '.root.readonly = false | if $a then .process.args = $a else . end' \
		--argjson a "$args"
	printf '%s\n' "$b"
}

# add_mount BUNDLE JSON: appends a mount object.
add_mount() {
	jqi "$1/config.json" '.mounts += [$m]' --argjson m "$2"
}

# add_bind BUNDLE SOURCE DEST [OPTION...]: appends a bind mount (rbind
# unless an option says bind).
add_bind() {
	local b=$1 src=$2 dest=$3
	shift 3
	local opts
	opts=$(json_strs rbind "$@")
	add_mount "$b" "$(jq -nc --arg s "$src" --arg d "$dest" --argjson o "$opts" \
		'{destination: $d, type: "bind", source: $s, options: $o}')"
}

# outdir BUNDLE [DEST]: a host directory, writable by anyone, bound at DEST
# (default /out) in the container; prints its host path.
outdir() {
	local b=$1 dest=${2:-/out} d
	d=$(tmpdir "out-$(basename "$b")")
	chmod 0777 "$d"
	# made here: in a user namespace, root inside cannot write the rootfs
	mkdir -p "$b/rootfs$dest"
	add_bind "$b" "$d" "$dest"
	printf '%s\n' "$d"
}

# set_ns BUNDLE TYPE [PATH]: adds (or replaces) a namespace; unset_ns
# BUNDLE TYPE removes it.
set_ns() {
	local b=$1 t=$2 p=${3:-}
	if [ -n "$p" ]; then
		jqi "$b/config.json" '.linux.namespaces = ([.linux.namespaces[] | select(.type != $t)] + [{type: $t, path: $p}])' \
			--arg t "$t" --arg p "$p"
	else
		jqi "$b/config.json" '.linux.namespaces = ([.linux.namespaces[] | select(.type != $t)] + [{type: $t}])' \
			--arg t "$t"
	fi
}
unset_ns() {
	jqi "$1/config.json" '.linux.namespaces = [.linux.namespaces[] | select(.type != $t)]' --arg t "$2"
}

# state_of ID [FIELD]: the state JSON, or one field of it.
state_of() {
	if [ $# = 1 ]; then
		oci state "$1"
	else
		oci state "$1" | jq -r ".$2"
	fi
}

# status_is ID STATUS: succeeds when the container is in STATUS (for wait_for).
status_is() {
	[ "$(oci state "$1" 2>/dev/null | jq -r .status)" = "$2" ]
}

# containers_in ROOT: the container directories of a state root (its dot
# entries, such as the runtime's .seccomp cache of compiled filters, are
# the runtime's own).
containers_in() {
	find "$1" -mindepth 1 -maxdepth 1 ! -name '.*' -printf '%f\n' 2>/dev/null | sort
}

# pid_alive PID
pid_alive() {
	[ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# host_cgroups ID: the host's cgroup directories named after ID.
host_cgroups() {
	find /sys/fs/cgroup -maxdepth 6 -type d -name "$1" 2>/dev/null || true
}

# nothing_left ID [PID]: no state, no cgroup, no process, no mount of this
# test is left by a container (after a failed create, a delete...).
nothing_left() {
	local id=$1 pid=${2:-} cg
	[ ! -e "$TEST_ROOT/$id" ] || fail "state of $id left in $TEST_ROOT: $(ls -A "$TEST_ROOT/$id" | tr '\n' ' ')"
	cg=$(host_cgroups "$id")
	[ -z "$cg" ] || fail "cgroups of $id left: $cg"
	if [ -n "$pid" ] && pid_alive "$pid"; then
		fail "process $pid of $id is still alive"
	fi
	if grep -qF " $TEST_TMP/" /proc/self/mountinfo; then
		fail "mounts left under \$TEST_TMP: $(grep -F " $TEST_TMP/" /proc/self/mountinfo)"
	fi
}

# start_bg BUNDLE ID: creates and starts a container (which should keep
# running; its output goes to $TEST_TMP/ID.log), and deletes it when the
# test ends.
start_bg() {
	create_bg "$1" "$2"
	oci start "$2"
}

# create_bg BUNDLE ID: creates a container (output to $TEST_TMP/ID.log),
# deleted when the test ends.
create_bg() {
	cleanup_add oci delete --force "$2"
	if ! oci create --bundle "$1" "$2" > "$TEST_TMP/$2.log" 2>&1; then
		cat "$TEST_TMP/$2.log" >&2
		fail "create $2"
	fi
}

# ns_of PID NSNAME: the inode of a namespace of a process.
ns_of() {
	readlink "/proc/$1/ns/$2"
}

# ocitest_cc NAME C-SOURCE: compiles a helper program into $TEST_TMP.
ocitest_cc() {
	need cc
	printf '%s\n' "$2" > "$TEST_TMP/$1.c"
	cc -O1 -o "$TEST_TMP/$1" "$TEST_TMP/$1.c" || fail "cannot compile $1"
	printf '%s\n' "$TEST_TMP/$1"
}
