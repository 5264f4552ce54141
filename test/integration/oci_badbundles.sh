# shellcheck shell=bash
# oci_badbundles.sh — bundles that must not run: a missing or malformed
# config, wrong types, an unknown namespace, a root that leaves the bundle,
# hostile mount destinations, bad processes, oversized or over-deep JSON.
# Each gets a clear error that names what is wrong (one line, the runtime
# did not crash) and leaves nothing behind: no state, no cgroup, no mount,
# no process.
. "$SRCDIR/test/helpers/oci.sh"

# refused BUNDLE REGEX [ID]: create fails with status 1 and an error on
# stderr matching REGEX, and nothing is left; `run` fails the same way.
refused() {
	local b=$1 re=$2 id=${3:-$(cid bad)} err
	LIB_STATUS=0
	oci create --bundle "$b" "$id" > "$TEST_TMP/out" 2> "$TEST_TMP/err" < /dev/null || LIB_STATUS=$?
	err=$(cat "$TEST_TMP/err")
	[ "$LIB_STATUS" != 0 ] || fail "create succeeded (expected: $re)"
	[ "$LIB_STATUS" -lt 126 ] || fail "create exited with $LIB_STATUS: $err"
	expect_match "$err" "$re" "the error says what is wrong"
	expect_match "$err" "^cpod-mini: " "the error is the runtime's"
	expect_eq "$(grep -c . <<< "$err")" 1 "a one-line error"
	expect_eq "$(cat "$TEST_TMP/out")" "" "nothing on stdout"
	nothing_left "$id"
	expect_fail oci run --bundle "$b" "$id" > /dev/null 2>&1 < /dev/null
	[ ! -e "$TEST_ROOT/$id" ] || fail "run left the state of $id"
}

# bad NAME FILTER REGEX [JQ-ARGS...]: a fresh bundle whose config.json is
# edited by the jq FILTER must be refused with REGEX.
# (One bundle serves them all: its config is reset each time.)
bad() {
	local b=$TEST_TMP/bad
	if [ ! -e "$b/config.json.orig" ]; then
		b=$(bundle bad 'echo should-not-run > /tmp/ran')
		cp "$b/config.json" "$b/config.json.orig"
	fi
	cp "$b/config.json.orig" "$b/config.json"
	jqi "$b/config.json" "$2" "${@:4}"
	refused "$b" "$3"
	test ! -e "$b/rootfs/tmp/ran" || fail "the program ran"
}

test_missing_config() {
	need_root
	local b
	b=$(bundle b)
	rm "$b/config.json"
	refused "$b" 'config.json.*No such file'
}

test_missing_bundle_directory() {
	need_root
	refused "$TEST_TMP/no-such-bundle" 'no-such-bundle'
}

test_malformed_json() {
	need_root
	local b t
	b=$(bundle b)
	for t in '{"ociVersion": "1.0.2", "process": {' '' 'null' '[1, 2]' '{"ociVersion": 1.0}' \
		'{"ociVersion": "1.0.2"} trailing' "$(printf '{"ociVersion": "1.0.2\x01"}')"; do
		printf '%s' "$t" > "$b/config.json"
		refused "$b" 'config.json'
	done
}

test_unsupported_oci_version() {
	need_root
	bad v1 'del(.ociVersion)' 'ociVersion'
	bad v2 '.ociVersion = "2.0.0"' 'ociVersion.*2\.0\.0'
}

test_wrong_types() {
	need_root
	bad t1 '.process = "sh"' 'process'
	bad t2 '.process.args = "sh"' 'args'
	bad t3 '.process.user.uid = -1' 'uid'
	bad t4 '.mounts = {}' 'mounts'
	bad t5 '.linux.namespaces = [{"type": 5}]' 'namespaces\[0\]'
	bad t6 '.annotations = {"a": 1}' 'annotations'
	bad t7 '.root = {"path": 7}' 'root'
}

test_unknown_namespace() {
	need_root
	bad ns '.linux.namespaces += [{"type": "bogus"}]' 'unknown namespace type "bogus"'
	bad ns2 '.linux.namespaces += [{"type": "pid"}]' 'listed twice'
	bad ns3 '.linux.namespaces += [{"type": "time", "path": "relative/ns"}]' 'absolute'
}

test_mount_namespace_is_required() {
	need_root
	bad mnt '.linux.namespaces = [.linux.namespaces[] | select(.type != "mount")]' 'mount namespace'
}

test_root_path_leaving_the_bundle() {
	need_root
	local b
	b=$(bundle b)
	mkdir -p "$TEST_TMP/outside"
	cp -a "$b/rootfs/." "$TEST_TMP/outside/"
	jqi "$b/config.json" '.root.path = "../outside"'
	refused "$b" 'root.path.*leaves the bundle'
	jqi "$b/config.json" '.root.path = "rootfs/../../outside"'
	refused "$b" 'leaves the bundle'
	jqi "$b/config.json" '.root.path = "./rootfs/bin/../../.."'
	refused "$b" 'leaves the bundle'
}

test_bad_root_paths() {
	need_root
	local b
	b=$(bundle b)
	jqi "$b/config.json" '.root.path = "no-such-rootfs"'
	refused "$b" 'no-such-rootfs'
	jqi "$b/config.json" '.root.path = "config.json"'
	refused "$b" 'not a directory'
	jqi "$b/config.json" 'del(.root)'
	refused "$b" 'root.path'
	jqi "$b/config.json" '.root.path = "/"'
	refused "$b" "host's /"
	# a rootfs that is a symlink to /
	ln -s / "$b/slash"
	jqi "$b/config.json" '.root.path = "slash"'
	refused "$b" "host's /"
}

test_hostile_mount_destinations() {
	need_root
	local d before
	before=$(stat -c '%i %Y' /etc)
	for d in '../../etc' '/../../etc' '/proc/../../etc' '/a/../../etc' 'relative/path' '' '..'; do
		bad "m$RANDOM" '.mounts += [{"destination": $d, "type": "tmpfs", "source": "tmpfs"}]' \
			'mounts\[[0-9]+\]\.destination' --arg d "$d"
	done
	expect_eq "$(stat -c '%i %Y' /etc)" "$before" "the host's /etc is untouched"
	expect_no_match "$(cut -d' ' -f5 /proc/self/mountinfo)" '^/etc$' "nothing mounted on /etc"
}

test_bad_mounts() {
	need_root
	bad bm1 '.mounts += [{"destination": "/x"}]' 'mounts\[[0-9]+\].*type'
	bad bm2 '.mounts += [{"destination": "/x", "type": "bind", "options": ["rbind"]}]' 'source'
	bad bm3 ".mounts += [{\"destination\": \"/x\", \"type\": \"bind\", \"source\": \"$TEST_TMP/no-such-source\", \"options\": [\"rbind\"]}]" \
		'no-such-source'
	bad bm4 '.mounts += [{"destination": "/x", "type": "no-such-fs", "source": "none"}]' 'no-such-fs'
	bad bm5 '.mounts += [{"destination": "/x", "type": "tmpfs", "source": "tmpfs", "options": ["ro", 5]}]' 'options'
}

test_bad_process() {
	need_root
	bad p1 'del(.process)' 'process'
	bad p2 '.process.args = []' 'process.args'
	bad p3 '.process.cwd = "relative"' 'cwd.*absolute'
	bad p4 '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]' 'RLIMIT_BOGUS'
	bad p5 '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 5}]' 'soft'
	bad p6 '.process.oomScoreAdj = 5000' 'oomScoreAdj'
	bad p7 '.process.user.umask = 4095' 'umask'
	bad p8 '.process.ioPriority = {"class": "IOPRIO_CLASS_BOGUS"}' 'ioPriority'
}

test_bad_linux_fields() {
	need_root
	bad l1 '.linux.cgroupsPath = "/cpod-x/../../escape"' 'cgroupsPath'
	bad l2 '.linux.rootfsPropagation = "sideways"' 'rootfsPropagation'
	bad l3 '.linux.maskedPaths = ["relative"]' 'maskedPaths'
	bad l4 '.linux.readonlyPaths = ["relative"]' 'readonlyPaths'
	bad l5 '.linux.sysctl = {"../../etc/x": "1"}' 'sysctl'
	bad l6 '.linux.personality = {"domain": "BEOS"}' 'personality'
	bad l7 '.linux.timeOffsets = {"boottime": {"secs": 1}}' 'time namespace'
	bad l8 '.linux.uidMappings = [{"containerID": 0, "hostID": 1}]' 'uidMappings'
}

test_unknown_capabilities_only_warn() {
	need_root
	local b id
	# as runc: a capability this runtime does not know is skipped with a warning
	b=$(bundle b 'echo ran')
	jqi "$b/config.json" '.process.capabilities.bounding += ["CAP_FROM_THE_FUTURE"]'
	id=$(cid caps)
	expect_eq "$(oci run --bundle "$b" "$id" 2> "$TEST_TMP/err")" ran
	expect_match "$(cat "$TEST_TMP/err")" 'CAP_FROM_THE_FUTURE'
}

test_oversized_and_overdeep_json() {
	need_root
	local b
	b=$(bundle b)
	{ printf '{"ociVersion": "1.0.2", "annotations": {"big": "'; head -c 17000000 /dev/zero | tr '\0' a; printf '"}}'; } > "$b/config.json"
	refused "$b" 'config.json'
	{ printf '{"ociVersion": "1.0.2", "annotations": {}, "x": '; printf '[%.0s' $(seq 200); printf ']%.0s' $(seq 200); printf '}'; } > "$b/config.json"
	refused "$b" 'config.json.*(deep|depth|nest)'
}

test_bad_container_ids() {
	need_root
	local b long
	b=$(bundle b 'true')
	long=$(head -c 1100 /dev/zero | tr '\0' x)
	for id in "$long" 'semi;colon' 'new
line' 'a/../../b'; do
		expect_fail oci create --bundle "$b" "$id" 2> "$TEST_TMP/err" < /dev/null
		expect_match "$(cat "$TEST_TMP/err")" 'id' "error for a bad id"
	done
	expect_eq "$(containers_in "$TEST_ROOT")" "" "nothing in the state root"
}

test_bundle_is_a_file() {
	need_root
	: > "$TEST_TMP/file"
	refused "$TEST_TMP/file" 'file'
}
