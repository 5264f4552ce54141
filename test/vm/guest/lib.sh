# lib.sh — helpers for the in-guest tests (sourced by each /tests/NN-name.sh).
#
# The runtime under test is `cpod-mini oci` with runc's command line and its
# state in $RT_ROOT.  Containers share the busybox rootfs /bundle/rootfs; each
# gets its own bundle directory with a config.json written here from a
# heredoc (there is no jq in the guest), shaped like `runc spec`'s, with
# cgroupsPath "/cpod-vm/ID", so its cgroup is /sys/fs/cgroup/cpod-vm/ID.
#
# A test ends with `exit 0` (pass), `fail REASON` or `skip REASON`.

RT_ROOT=${RT_ROOT:-/run/cpod-runc}
RESULT_FILE=${RESULT_FILE:-/tmp/result}
CG=/sys/fs/cgroup
BUNDLES=/tmp/bundles

fail() { echo "$*" > "$RESULT_FILE"; echo "FAIL: $*"; exit 1; }
skip() { echo "$*" > "$RESULT_FILE"; echo "SKIP: $*"; exit 77; }
info() { echo "# $*"; }

# The runtime: cpod-mini's, or the reference one test/vm/run --runtime put in.
if [ -x /bin/ref-runtime ]; then RT_CMD=/bin/ref-runtime; else RT_CMD="cpod-mini oci"; fi

# rt VERB ARGS...: the runtime, with its command line echoed into the log
# (the test's stdout; not stderr, which callers often capture).
rt() {
	echo "+ $RT_CMD --root $RT_ROOT $*"
	$RT_CMD --root "$RT_ROOT" "$@"
}
# rt_q: the same, echoing nothing (for output that is parsed).
rt_q() { $RT_CMD --root "$RT_ROOT" "$@"; }

# Skips the test while `cpod-mini oci` is a stub (spec must write a config).
need_runtime() {
	local d
	d=$(mktemp -d)
	if ! (cd "$d" && $RT_CMD spec) >/dev/null 2>&1 || ! [ -s "$d/config.json" ]; then
		rm -rf "$d"
		skip "runtime not built"
	fi
	rm -rf "$d"
}

# The container's cgroup directory (runc semantics: an absolute cgroupsPath
# is relative to the cgroup2 mount).
cgdir() { echo "$CG/cpod-vm/$1"; }

# JSON string body of $1: backslash, quote, tab and newline escaped.
json_str() {
	printf '%s' "$1" | awk 'BEGIN { ORS = "" }
		{ gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t")
		  if (NR > 1) print "\\n"; print }'
}

# mkbundle ID ARG...: writes $BUNDLES/ID/config.json running ARG...
# Knobs (environment, unset by default):
#   RES         extra members of linux.resources, e.g. '"pids":{"limit":10}'
#   DEV_RULES   extra linux.resources.devices entries (after the deny-all)
#   DEVICES     linux.devices entries
#   EXTRA_CAPS  extra capabilities, e.g. '"CAP_MKNOD"'
#   CGROUPNS    0 to leave out the cgroup namespace (default 1)
mkbundle() {
	local id=$1 dir args a ns caps res devs
	shift
	dir=$BUNDLES/$id
	mkdir -p "$dir"
	args=
	for a in "$@"; do
		args="$args${args:+,}\"$(json_str "$a")\""
	done
	ns='{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}'
	[ "${CGROUPNS:-1}" = 1 ] && ns="$ns,{\"type\":\"cgroup\"}"
	caps='"CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"'
	[ -n "${EXTRA_CAPS:-}" ] && caps="$caps,$EXTRA_CAPS"
	res="\"devices\":[{\"allow\":false,\"access\":\"rwm\"}${DEV_RULES:+,$DEV_RULES}]"
	[ -n "${RES:-}" ] && res="$res,$RES"
	devs=
	[ -n "${DEVICES:-}" ] && devs="\"devices\":[$DEVICES],"
	cat > "$dir/config.json" <<EOF
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": {"uid": 0, "gid": 0},
		"args": [$args],
		"env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "HOME=/root"],
		"cwd": "/",
		"capabilities": {
			"bounding": [$caps],
			"effective": [$caps],
			"permitted": [$caps]
		},
		"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
		"noNewPrivileges": true
	},
	"root": {"path": "/bundle/rootfs", "readonly": false},
	"hostname": "$id",
	"mounts": [
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		 "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
		{"destination": "/dev/pts", "type": "devpts", "source": "devpts",
		 "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
		{"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
		 "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
		{"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
		 "options": ["nosuid", "noexec", "nodev"]},
		{"destination": "/sys", "type": "sysfs", "source": "sysfs",
		 "options": ["nosuid", "noexec", "nodev", "ro"]},
		{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
		 "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
	],
	"linux": {
		$devs
		"cgroupsPath": "/cpod-vm/$id",
		"resources": {$res},
		"namespaces": [$ns],
		"maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
			"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
			"/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
		"readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
			"/proc/sysrq-trigger"]
	}
}
EOF
}

# run_fg ID: `run` in the foreground, output in $BUNDLES/ID.out; returns the
# runtime's exit status (the container's).
run_fg() {
	local id=$1 rc
	echo "+ run --bundle $BUNDLES/$id $id"
	rt_q run --bundle "$BUNDLES/$id" "$id" > "$BUNDLES/$id.out" 2>&1 < /dev/null
	rc=$?
	sed "s/^/[$id] /" "$BUNDLES/$id.out"
	return $rc
}

# start_bg ID: create + start; the container's stdout and stderr go to
# $BUNDLES/ID.out (create's own stdio is passed through, as runc does).
start_bg() {
	local id=$1
	echo "+ create --bundle $BUNDLES/$id $id"
	rt_q create --bundle "$BUNDLES/$id" "$id" > "$BUNDLES/$id.out" 2>&1 < /dev/null ||
		{ cat "$BUNDLES/$id.out"; fail "create $id failed"; }
	rt start "$id" || { cat "$BUNDLES/$id.out"; fail "start $id failed"; }
}

# out ID: what the container printed so far.
out() { cat "$BUNDLES/$1.out" 2>/dev/null; }

# wait_out ID REGEX SECS: waits for the container to print a matching line.
wait_out() {
	local n=0 max=$(($3 * 10))
	while [ $n -lt $max ]; do
		grep -Eq -- "$2" "$BUNDLES/$1.out" 2>/dev/null && return 0
		usleep 100000
		n=$((n + 1))
	done
	echo "# no output matching '$2' from $1 in $3s; it printed:"
	out "$1" | sed 's/^/#   /'
	return 1
}

# wait_file_re FILE REGEX SECS: waits for FILE to hold a line matching REGEX.
wait_file_re() {
	local n=0 max=$(($3 * 10))
	while [ $n -lt $max ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		usleep 100000
		n=$((n + 1))
	done
	return 1
}

# state_field ID FIELD: a top-level string or number from `state ID`.
state_field() {
	rt_q state "$1" 2>/dev/null | tr -d ' \n\t' |
		sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p"
}

# wait_status ID STATUS SECS
wait_status() {
	local n=0 max=$(($3 * 10)) s
	while [ $n -lt $max ]; do
		s=$(state_field "$1" status)
		[ "$s" = "$2" ] && return 0
		usleep 100000
		n=$((n + 1))
	done
	echo "# $1 is '$s', not '$2', after $3s"
	return 1
}

# kv FILE KEY: the value of "KEY value" lines (memory.events, cpu.stat ...).
kv() { awk -v k="$2" '$1 == k { print $2; exit }' "$1" 2>/dev/null; }

# expect_file FILE VALUE: the cgroup file holds exactly VALUE.
expect_file() {
	local got
	[ -e "$1" ] || fail "$1 does not exist"
	got=$(cat "$1")
	[ "$got" = "$2" ] || fail "$1 is '$got', expected '$2'"
	info "$1 = $got"
}

# dump_cg DIR: the interesting files of a cgroup, into the log.
dump_cg() {
	local f
	for f in cgroup.procs cgroup.controllers cgroup.subtree_control memory.max memory.events \
		pids.max pids.current pids.events cpu.max cpu.stat io.max cgroup.freeze cgroup.events; do
		[ -e "$1/$f" ] && echo "# $1/$f: $(tr '\n' ' ' < "$1/$f")"
	done
}

# uptime_s: seconds since boot, two decimals.
uptime_s() { cut -d' ' -f1 /proc/uptime; }
