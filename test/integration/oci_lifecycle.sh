# shellcheck shell=bash
# oci_lifecycle.sh — the runc verbs on real busybox containers: create,
# start, state, kill, delete, run (foreground, --detach, --keep), their
# statuses and exit codes, pid files, preserved fds, list, spec, features
# and --log.  Semantics are runc's.
. "$SRCDIR/test/helpers/oci.sh"

test_run_prints_output_and_leaves_nothing() {
	need_root
	local b id out
	b=$(bundle b 'echo hello; echo oops >&2')
	id=$(cid run)
	out=$(oci run --bundle "$b" "$id" 2> "$TEST_TMP/err")
	expect_eq "$out" hello "stdout of the container"
	expect_eq "$(cat "$TEST_TMP/err")" oops "stderr of the container"
	nothing_left "$id"
}

test_run_bundle_defaults_to_cwd() {
	need_root
	local b id
	b=$(bundle b 'echo here')
	id=$(cid cwd)
	expect_eq "$(cd "$b" && oci run "$id")" here
	nothing_left "$id"
}

test_run_exit_status_propagates() {
	need_root
	local b id
	b=$(bundle b 'exit 3')
	id=$(cid three)
	expect_status 3 oci run --bundle "$b" "$id"
	nothing_left "$id"
}

test_run_killed_by_signal_is_128_plus_n() {
	need_root
	local b id rpid rc=0
	b=$(bundle b 'sleep 30')
	id=$(cid sig)
	oci run --bundle "$b" "$id" > /dev/null 2>&1 &
	rpid=$!
	cleanup_add "kill $rpid 2>/dev/null; true"
	await 5 status_is "$id" running
	oci kill "$id" KILL
	wait "$rpid" || rc=$?
	expect_eq "$rc" 137 "run's status when the init is killed by SIGKILL"
	nothing_left "$id"
}

test_run_forwards_signals_to_the_container() {
	need_root
	local b id rpid rc=0
	# pid 1 of a pid namespace only gets signals it handles: trap one
	b=$(bundle b 'trap "exit 42" TERM; echo ready > /tmp/ready; while :; do sleep 0.05; done')
	id=$(cid fwd)
	# the runtime itself in the background (not a subshell running it)
	"$CPOD" oci --root "$TEST_ROOT" run --bundle "$b" "$id" > /dev/null 2>&1 &
	rpid=$!
	cleanup_add "kill -KILL $rpid 2>/dev/null; true"
	await 5 test -e "$b/rootfs/tmp/ready"
	kill -TERM "$rpid"
	wait "$rpid" || rc=$?
	expect_eq "$rc" 42 "the container's trap ran on the forwarded SIGTERM"
	nothing_left "$id"
}

test_create_start_state_delete() {
	need_root
	local b id pid st
	b=$(bundle b 'echo started > /tmp/started; sleep 0.3')
	id=$(cid life)
	jqi "$b/config.json" '.annotations = {"org.example.key": "value"}'
	create_bg "$b" "$id"
	# created: the init exists, waits for start, has not run the program
	st=$(state_of "$id")
	expect_eq "$(jq -r .status <<< "$st")" created "status after create"
	expect_eq "$(jq -r .id <<< "$st")" "$id"
	expect_eq "$(jq -r .bundle <<< "$st")" "$b" "bundle is the absolute path"
	expect_match "$(jq -r .ociVersion <<< "$st")" '^1\.'
	expect_eq "$(jq -r '.annotations["org.example.key"]' <<< "$st")" value "annotations"
	date -d "$(jq -r .created <<< "$st")" > /dev/null 2>&1 || fail "created is not a date: $(jq -r .created <<< "$st")"
	pid=$(jq -r .pid <<< "$st")
	[ "$pid" -gt 1 ] || fail "pid $pid"
	pid_alive "$pid" || fail "the init $pid is not alive"
	test ! -e "$b/rootfs/tmp/started" || fail "the program ran before start"
	# running
	oci start "$id"
	expect_eq "$(state_of "$id" status)" running "status after start"
	await 5 test -e "$b/rootfs/tmp/started"
	# stopped: the program exited by itself
	await 5 status_is "$id" stopped
	expect_eq "$(state_of "$id" pid)" 0 "a stopped container has pid 0"
	pid_alive "$pid" && fail "the init $pid is still alive"
	oci delete "$id"
	expect_fail oci state "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "does not exist"
	nothing_left "$id" "$pid"
}

test_pid_file() {
	need_root
	local b id
	b=$(bundle b 'sleep 30')
	id=$(cid pidf)
	cleanup_add oci delete --force "$id"
	oci create --bundle "$b" --pid-file "$TEST_TMP/pidfile" "$id" > /dev/null 2>&1
	expect_eq "$(cat "$TEST_TMP/pidfile")" "$(state_of "$id" pid)" "pid file holds the init's pid"
	# relative pid files are relative to the caller's directory
	oci delete --force "$id"
	(cd "$TEST_TMP" && oci run --detach --bundle "$b" --pid-file rel.pid "$id" > /dev/null 2>&1)
	expect_eq "$(cat "$TEST_TMP/rel.pid")" "$(state_of "$id" pid)"
	expect_match "$(tr '\0' ' ' < "/proc/$(cat "$TEST_TMP/rel.pid")/cmdline")" '^sleep 30'
}

test_start_twice_fails() {
	need_root
	local b id
	b=$(bundle b 'sleep 30')
	id=$(cid twice)
	start_bg "$b" "$id"
	expect_fail oci start "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "running" "says it is running"
	expect_eq "$(state_of "$id" status)" running "still running"
	oci kill "$id" KILL
	await 5 status_is "$id" stopped
	expect_fail oci start "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "stopped" "says it has stopped"
}

test_start_unknown_fails() {
	need_root
	expect_fail oci start cpod-no-such 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'cpod-no-such.*does not exist'
}

test_delete_running_needs_force() {
	need_root
	local b id pid
	b=$(bundle b 'sleep 30')
	id=$(cid del)
	start_bg "$b" "$id"
	pid=$(state_of "$id" pid)
	expect_fail oci delete "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "not stopped|running" "names the reason"
	pid_alive "$pid" || fail "a failed delete killed the container"
	expect_eq "$(state_of "$id" status)" running
	oci delete --force "$id"
	nothing_left "$id" "$pid"
}

test_delete_created_container() {
	need_root
	local b id pid
	b=$(bundle b 'sleep 30')
	id=$(cid delc)
	create_bg "$b" "$id"
	pid=$(state_of "$id" pid)
	# runc: a created container is not running; delete without --force works
	oci delete "$id"
	nothing_left "$id" "$pid"
}

test_delete_force_of_missing_is_ok() {
	need_root
	oci delete --force cpod-never-was
	expect_fail oci delete cpod-never-was 2> /dev/null
}

test_kill_stopped_fails() {
	need_root
	local b id
	b=$(bundle b 'true')
	id=$(cid kst)
	start_bg "$b" "$id"
	await 5 status_is "$id" stopped
	expect_fail oci kill "$id" KILL 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "not running"
	expect_fail oci kill cpod-no-such KILL 2> /dev/null
}

test_kill_a_created_container() {
	need_root
	local b id pid
	b=$(bundle b 'echo ran > /tmp/ran')
	id=$(cid kcreated)
	create_bg "$b" "$id"
	pid=$(state_of "$id" pid)
	# runc: a created container can be killed; it is stopped then
	oci kill "$id" KILL
	await 5 status_is "$id" stopped
	expect_fail oci start "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'stopped'
	test ! -e "$b/rootfs/tmp/ran" || fail "the program ran"
	oci delete "$id"
	nothing_left "$id" "$pid"
}

test_kill_delivers_the_signal() {
	need_root
	local b id out
	b=$(bundle b 'trap "echo got-usr1 > /tmp/sig; exit 0" USR1; while :; do sleep 0.05; done')
	id=$(cid ksig)
	start_bg "$b" "$id"
	oci kill "$id" USR1
	await 5 test -e "$b/rootfs/tmp/sig"
	expect_eq "$(cat "$b/rootfs/tmp/sig")" got-usr1
	await 5 status_is "$id" stopped
	# names and numbers are accepted, with or without SIG; unknown ones are not
	expect_fail oci kill "$id" SIGNOPE 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "signal"
}

test_kill_default_is_term() {
	need_root
	local b id
	b=$(bundle b 'trap "echo term > /tmp/sig; exit 0" TERM; while :; do sleep 0.05; done')
	id=$(cid kterm)
	start_bg "$b" "$id"
	oci kill "$id"
	await 5 test -e "$b/rootfs/tmp/sig"
	expect_eq "$(cat "$b/rootfs/tmp/sig")" term
}

test_kill_all_without_pid_namespace() {
	need_root
	local b id pids p
	# no pid namespace: the init's death does not take the others along
	b=$(bundle b 'sleep 30 & sleep 30 & echo $! > /tmp/bg; wait')
	unset_ns "$b" pid
	id=$(cid kall)
	start_bg "$b" "$id"
	await 5 test -s "$b/rootfs/tmp/bg"
	pids=$(oci ps --format json "$id" | jq -r '.[]')
	[ "$(wc -w <<< "$pids")" -ge 3 ] || fail "ps shows $pids"
	oci kill --all "$id" KILL
	for p in $pids; do
		await 5 sh -c "! test -d /proc/$p || grep -q '^State:.*Z' /proc/$p/status" ||
			fail "process $p survived kill --all"
	done
}

test_run_detach() {
	need_root
	local b id t0 t1 pid
	b=$(bundle b 'sleep 30')
	id=$(cid det)
	cleanup_add oci delete --force "$id"
	t0=$(date +%s%N)
	oci run --detach --bundle "$b" "$id" > /dev/null 2>&1
	t1=$(date +%s%N)
	[ $(( (t1 - t0) / 1000000 )) -lt 5000 ] || fail "run --detach waited"
	expect_eq "$(state_of "$id" status)" running
	pid=$(state_of "$id" pid)
	pid_alive "$pid" || fail "no process"
	oci kill "$id" KILL
	await 5 status_is "$id" stopped
	oci delete "$id"
	nothing_left "$id" "$pid"
}

test_run_keep_leaves_a_stopped_container() {
	need_root
	local b id
	b=$(bundle b 'exit 5')
	id=$(cid keep)
	cleanup_add oci delete --force "$id"
	expect_status 5 oci run --keep --bundle "$b" "$id"
	expect_eq "$(state_of "$id" status)" stopped
	oci delete "$id"
	nothing_left "$id"
}

test_duplicate_id_fails() {
	need_root
	local b id pid
	b=$(bundle b 'sleep 30')
	id=$(cid dup)
	start_bg "$b" "$id"
	pid=$(state_of "$id" pid)
	expect_fail oci create --bundle "$b" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "already exists"
	expect_eq "$(state_of "$id" status)" running "the first one is untouched"
	expect_eq "$(state_of "$id" pid)" "$pid"
}

test_invalid_ids_are_refused() {
	need_root
	local b i
	b=$(bundle b 'true')
	for i in '../escape' 'a/b' '.' '..' 'with space' ''; do
		expect_fail oci run --bundle "$b" "$i" 2> "$TEST_TMP/err" < /dev/null
		expect_match "$(cat "$TEST_TMP/err")" "id|required" "error for id '$i'"
	done
	expect_eq "$(containers_in "$TEST_ROOT")" "" "nothing created in the state root"
	test ! -e "$TEST_TMP/escape" || fail "an id escaped the state root"
}

test_missing_program_is_127_and_leaves_nothing() {
	need_root
	local b id
	b=$(bundle b /no/such/program)
	set_args "$b" /no/such/program
	id=$(cid nf)
	expect_status 127 oci run --bundle "$b" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "/no/such/program" "names the program"
	nothing_left "$id"
	set_args "$b" no-such-command-in-path
	expect_status 127 oci run --bundle "$b" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "no-such-command-in-path.*PATH"
	nothing_left "$id"
}

test_non_executable_program_is_126() {
	need_root
	local b id
	b=$(bundle b x)
	printf 'data\n' > "$b/rootfs/notexec"
	chmod 0644 "$b/rootfs/notexec"
	set_args "$b" /notexec
	id=$(cid ne)
	expect_status 126 oci run --bundle "$b" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "notexec"
	nothing_left "$id"
}

test_preserve_fds() {
	need_root
	local b id out
	b=$(bundle b 'cat <&3; cat <&4; cd /proc/self/fd && echo *')
	id=$(cid pfd)
	echo "from fd three" > "$TEST_TMP/three"
	echo "from fd four" > "$TEST_TMP/four"
	out=$(oci run --preserve-fds 2 --bundle "$b" "$id" 3< "$TEST_TMP/three" 4< "$TEST_TMP/four" 5< /dev/null)
	expect_match "$out" '^from fd three$'
	expect_match "$out" '^from fd four$'
	# fd 5 was not preserved, and no fd of the runtime leaked (the glob
	# lists the directory fd it reads with: the one after the last)
	expect_match "$out" '^0 1 2 3 4 5$' "only 0-4 are open"
	# without --preserve-fds fd 3 is closed
	set_args "$b" /bin/sh -c 'cat <&3 && echo leaked'
	expect_fail oci run --bundle "$b" "$id" 3< "$TEST_TMP/three" > "$TEST_TMP/out" 2>&1
	expect_no_match "$(cat "$TEST_TMP/out")" leaked
}

test_no_leaked_fds_into_the_container() {
	need_root
	local b id out
	b=$(bundle b 'cd /proc/self/fd && echo *')
	id=$(cid fds)
	# no runtime socket, fifo, /proc fd..., even with fds open in the caller
	out=$(oci run --bundle "$b" "$id" 7< /dev/null 2>&1)
	# (the last one is the directory the glob reads)
	expect_eq "$out" "0 1 2 3" "the open fds of the container's process"
}

test_no_pivot() {
	need_root
	local b id out
	b=$(bundle b 'cat /etc/hostname >/dev/null && ls / | tr "\n" " "')
	id=$(cid nop)
	out=$(oci run --no-pivot --bundle "$b" "$id")
	expect_match "$out" 'bin .*etc .*proc'
	nothing_left "$id"
}

test_list() {
	need_root
	local b1 b2 a c out
	b1=$(bundle b1 'sleep 30')
	b2=$(bundle b2 'sleep 30')
	a=$(cid la)
	c=$(cid lc)
	start_bg "$b1" "$a"
	create_bg "$b2" "$c"
	out=$(oci list --format json)
	expect_eq "$(jq -r --arg i "$a" '.[] | select(.id == $i) | .status' <<< "$out")" running
	expect_eq "$(jq -r --arg i "$c" '.[] | select(.id == $i) | .status' <<< "$out")" created
	expect_eq "$(jq -r --arg i "$c" '.[] | select(.id == $i) | .bundle' <<< "$out")" "$b2"
	expect_eq "$(oci list -q | sort | tr '\n' ' ')" "$(printf '%s\n' "$a" "$c" | sort | tr '\n' ' ')" "list -q"
	out=$(oci list)
	expect_match "$out" '^ID +PID +STATUS +BUNDLE' "table header"
	expect_match "$out" "^$a +[0-9]+ +running +$b1 "
	expect_match "$out" "^$c +[0-9]+ +created +$b2 "
}

test_list_empty_root() {
	need_root
	expect_eq "$(oci list --format json | jq -c .)" "[]"
	expect_eq "$(oci list -q)" ""
}

test_state_of_missing_container_fails() {
	need_root
	expect_fail oci state cpod-no-such 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "does not exist"
}

test_spec_config_runs() {
	need_root
	local b id out
	b=$(tmpdir spec)
	make_bundle "$b"
	rm -f "$b/config.json"
	(cd "$b" && oci spec)
	jq -e '.ociVersion and .process and .root.path == "rootfs" and .linux.namespaces' "$b/config.json" > /dev/null
	# a second spec refuses to overwrite
	expect_fail oci spec --bundle "$b" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "exists"
	jqi "$b/config.json" '.process.terminal = false | .process.args = ["sh", "-c", "echo spec-ok; hostname"]'
	id=$(cid spec)
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$out" "spec-ok"$'\n'"$(jq -r .hostname "$b/config.json")"
	nothing_left "$id"
}

test_spec_rootless_config_shape() {
	need_root
	local d
	d=$(tmpdir specr)
	oci spec --rootless --bundle "$d"
	jq -e '.linux.uidMappings[0] == {containerID: 0, hostID: 0, size: 1}' "$d/config.json" > /dev/null ||
		fail "uidMappings: $(jq -c .linux.uidMappings "$d/config.json")"
	jq -e '[.linux.namespaces[].type] | index("user") and (index("network") | not)' "$d/config.json" > /dev/null ||
		fail "namespaces: $(jq -c .linux.namespaces "$d/config.json")"
	jq -e '.linux.resources == null' "$d/config.json" > /dev/null || fail "rootless config has resources"
}

test_features_is_runtime_spec_json() {
	local out
	out=$(cpod oci features)
	jq -e . <<< "$out" > /dev/null || fail "not JSON"
	expect_match "$(jq -r .ociVersionMin <<< "$out")" '^1\.0\.'
	expect_match "$(jq -r .ociVersionMax <<< "$out")" '^1\.'
	expect_eq "$(jq -c '.hooks | sort' <<< "$out")" \
		'["createContainer","createRuntime","poststart","poststop","prestart","startContainer"]'
	jq -e '.mountOptions | index("rbind") and index("ro") and index("nosuid")' <<< "$out" > /dev/null
	jq -e '.linux.namespaces | index("user") and index("network") and index("cgroup") and index("mount")' \
		<<< "$out" > /dev/null
	jq -e '.linux.capabilities | index("CAP_SYS_ADMIN") and index("CAP_CHOWN")' <<< "$out" > /dev/null
	jq -e '.linux.cgroup.v1 == true and .linux.cgroup.v2 == true' <<< "$out" > /dev/null
	jq -e '.linux.seccomp.enabled == true and (.linux.seccomp.actions | index("SCMP_ACT_ERRNO"))' \
		<<< "$out" > /dev/null || fail "seccomp: $(jq -c .linux.seccomp <<< "$out")"
	jq -e '.linux.seccomp.operators | index("SCMP_CMP_EQ")' <<< "$out" > /dev/null
}

test_log_json_on_failure() {
	need_root
	local log
	log=$TEST_TMP/runtime.log
	expect_fail oci --log "$log" --log-format json start cpod-no-such 2> /dev/null
	test -s "$log" || fail "nothing logged"
	jq -e 'select(.level == "error") | .msg | test("cpod-no-such")' "$log" > /dev/null ||
		fail "no JSON error line: $(cat "$log")"
	jq -e '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")' "$log" > /dev/null
	# text format
	rm -f "$log"
	expect_fail oci --log "$log" start cpod-no-such 2> /dev/null
	expect_match "$(cat "$log")" 'level=error msg=".*cpod-no-such'
	# create failures (a child's error) reach the log too
	local b
	b=$(bundle b /no/such/program)
	set_args "$b" /no/such/program
	rm -f "$log"
	expect_fail oci --log "$log" --log-format json run --bundle "$b" "$(cid log)" 2> /dev/null
	jq -e 'select(.level == "error") | .msg | test("/no/such/program")' "$log" > /dev/null ||
		fail "no JSON error line: $(cat "$log")"
}

test_unknown_verb_fails() {
	expect_fail oci frobnicate 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'frobnicate'
	expect_fail oci checkpoint x 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'not supported'
}

test_runtime_root_is_created_private() {
	need_root
	local b id root
	root=$TEST_TMP/new/state/root
	b=$(bundle b 'true')
	id=$(cid root)
	"$CPOD" oci --root "$root" run --bundle "$b" "$id"
	test -d "$root" || fail "root not made"
	expect_eq "$(stat -c %a "$root")" 700 "mode of a new state root"
	expect_eq "$(containers_in "$root")" "" "the container is gone"
}
