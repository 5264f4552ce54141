# shellcheck shell=bash
# oci_exec.sh — `exec`: a new process in every namespace and cgroup of a
# running (or created) container, with the container's process as the
# base and --env/--cwd/--user/--cap/--additional-gids on top, or a whole
# --process FILE; exit statuses, --detach with --pid-file, preserved fds,
# stdin, and the refusals (stopped, missing, not found).
. "$SRCDIR/test/helpers/oci.sh"

status_field() {
	sed -n "s/^$2:[[:space:]]*//p" <<< "$1" | head -n 1
}

# running BUNDLE-NAME ID: a started container that sleeps.
running() {
	local b
	b=$(bundle "$1" 'sleep 30')
	jqi "$b/config.json" '.hostname = "exec-box" | .process.env += ["FROM_CONFIG=yes"] |
		.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 555, hard: 666}]'
	start_bg "$b" "$2"
}

test_exec_runs_in_the_containers_namespaces_and_cgroup() {
	need_root
	local id pid out n
	id=$(cid ns)
	running b "$id"
	pid=$(state_of "$id" pid)
	out=$(oci exec "$id" sh -c 'hostname; for n in mnt net pid uts ipc cgroup; do echo "$n $(readlink /proc/self/ns/$n)"; done; echo "self $$"; cat /proc/1/cmdline | tr "\0" " "; echo')
	expect_match "$out" '^exec-box$' "the container's hostname"
	for n in mnt net pid uts ipc cgroup; do
		expect_match "$out" "^$n $(ns_of "$pid" "$n" | sed 's/[][]/\\&/g')$" "the container's $n namespace"
	done
	expect_no_match "$out" '^self 1$' "not the init"
	expect_match "$out" '^(/bin/sh -c )?sleep 30 $' "pid 1 is the container's init"
	# the same cgroups as the init
	out=$(oci exec "$id" cat /proc/self/cgroup)
	expect_eq "$out" "$(oci exec "$id" cat /proc/1/cgroup)" "the init's cgroups"
}

test_exec_gets_the_containers_process_settings() {
	need_root
	local id out
	id=$(cid base)
	running b "$id"
	out=$(oci exec "$id" sh -c 'env; cat /proc/self/limits; cat /proc/self/status; pwd')
	expect_match "$out" '^FROM_CONFIG=yes$' "the config's env"
	expect_match "$out" '^Max open files +555 +666 ' "the config's rlimits"
	expect_eq "$(status_field "$out" CapEff)" 0000000020000420 "the config's capabilities"
	expect_eq "$(status_field "$out" NoNewPrivs)" 1 "the config's noNewPrivileges"
	expect_match "$out" '^/$' "the config's cwd"
}

test_exec_exit_status() {
	need_root
	local id
	id=$(cid st)
	running b "$id"
	expect_status 0 oci exec "$id" true
	expect_status 7 oci exec "$id" sh -c 'exit 7'
	expect_status 137 oci exec "$id" sh -c 'kill -KILL $$'
	expect_status 143 oci exec "$id" sh -c 'kill -TERM $$'
	expect_eq "$(state_of "$id" status)" running "the container lives on"
}

test_exec_env_cwd_user() {
	need_root
	local id out
	id=$(cid opts)
	running b "$id"
	out=$(oci exec --env FOO=bar --env FROM_CONFIG=overridden --cwd /etc --user 1000:1001 "$id" \
		sh -c 'echo "FOO=$FOO"; echo "FROM_CONFIG=$FROM_CONFIG"; pwd; id -u; id -g; echo "PATH=$PATH"')
	expect_match "$out" '^FOO=bar$' "--env adds"
	expect_match "$out" '^FROM_CONFIG=overridden$' "--env replaces"
	expect_match "$out" '^PATH=/usr/local/sbin:' "the rest of the env is kept"
	expect_match "$out" '^/etc$' "--cwd"
	expect_eq "$(sed -n '4,5p' <<< "$out" | tr '\n' ' ')" "1000 1001 " "--user uid:gid"
	expect_eq "$(oci exec --user 1234 "$id" id -u)" 1234 "--user uid"
	expect_fail oci exec --user nobody-name "$id" true 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'user'
	expect_fail oci exec --env NOEQUALS "$id" true 2> /dev/null
}

test_exec_additional_gids() {
	need_root
	local id out
	id=$(cid gids)
	running b "$id"
	out=$(oci exec --user 1000:1000 --additional-gids 10 --additional-gids 20 "$id" cat /proc/self/status)
	expect_eq "$(status_field "$out" Groups | xargs)" "10 20" "--additional-gids"
}

test_exec_cap_and_no_new_privs() {
	need_root
	local b id out
	b=$(bundle b 'sleep 30')
	jqi "$b/config.json" '.process.noNewPrivileges = false'
	id=$(cid cap)
	start_bg "$b" "$id"
	out=$(oci exec "$id" cat /proc/self/status)
	expect_eq "$(status_field "$out" NoNewPrivs)" 0
	out=$(oci exec --cap CAP_SYS_ADMIN --no-new-privs "$id" cat /proc/self/status)
	expect_eq "$(status_field "$out" CapEff)" 0000000020200420 "--cap adds CAP_SYS_ADMIN"
	expect_eq "$(status_field "$out" NoNewPrivs)" 1 "--no-new-privs"
	expect_fail oci exec --cap CAP_NOT_A_THING "$id" true 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'CAP_NOT_A_THING'
}

test_exec_process_file() {
	need_root
	local id out
	id=$(cid proc)
	running b "$id"
	cat > "$TEST_TMP/process.json" <<'EOF'
{
	"terminal": false,
	"user": {"uid": 1000, "gid": 1000, "additionalGids": [30]},
	"args": ["/bin/sh", "-c", "echo \"ONLY=$ONLY FROM_CONFIG=$FROM_CONFIG\"; pwd; id -u; umask; grep -E '^(Groups|CapEff|NoNewPrivs):' /proc/self/status"],
	"env": ["ONLY=this", "PATH=/bin"],
	"cwd": "/tmp",
	"noNewPrivileges": true,
	"user_umask_is_in_user": true
}
EOF
	jqi "$TEST_TMP/process.json" '.user.umask = 23 | del(.user_umask_is_in_user)'
	out=$(oci exec --process "$TEST_TMP/process.json" "$id")
	expect_match "$out" '^ONLY=this FROM_CONFIG=$' "the file's env only"
	expect_match "$out" '^/tmp$'
	expect_match "$out" '^1000$'
	expect_match "$out" '^0027$' "the file's umask"
	expect_match "$out" '^Groups:\s+30\s*$'
	expect_match "$out" '^CapEff:\s+0+$' "no capabilities object: none"
	expect_match "$out" '^NoNewPrivs:\s+1$'
	# from stdin, and a bad one
	expect_eq "$(jq -c '.args = ["echo", "from stdin"]' "$TEST_TMP/process.json" | oci exec -p - "$id")" "from stdin"
	echo '{"args": ' > "$TEST_TMP/bad.json"
	expect_fail oci exec --process "$TEST_TMP/bad.json" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'process'
	expect_fail oci exec --process "$TEST_TMP/none.json" "$id" 2> /dev/null
}

test_exec_into_a_created_container() {
	need_root
	local b id
	b=$(bundle b 'sleep 30')
	id=$(cid created)
	create_bg "$b" "$id"
	expect_eq "$(oci exec "$id" echo hi-from-exec)" hi-from-exec "runc allows exec before start"
	expect_eq "$(state_of "$id" status)" created "still created"
	oci start "$id"
	expect_eq "$(state_of "$id" status)" running
}

test_exec_into_stopped_or_missing_fails() {
	need_root
	local b id
	b=$(bundle b 'true')
	id=$(cid stopped)
	start_bg "$b" "$id"
	await 5 status_is "$id" stopped
	expect_fail oci exec "$id" true 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'stopped'
	expect_fail oci exec cpod-no-such true 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'does not exist'
	expect_fail oci exec "$id" 2> /dev/null
}

test_exec_program_not_found_or_not_executable() {
	need_root
	local id
	id=$(cid nf)
	running b "$id"
	expect_status 127 oci exec "$id" /no/such/program 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" '/no/such/program'
	expect_status 127 oci exec "$id" no-such-cmd 2> /dev/null
	expect_status 126 oci exec "$id" /etc/passwd 2> /dev/null
	expect_status 126 oci exec "$id" /etc 2> /dev/null
	expect_eq "$(oci ps --format json "$id" | jq length)" 1 "no process left behind"
}

test_exec_detach_with_pid_file() {
	need_root
	local id epid
	id=$(cid det)
	running b "$id"
	oci exec --detach --pid-file "$TEST_TMP/exec.pid" "$id" sleep 33 > /dev/null 2>&1
	epid=$(cat "$TEST_TMP/exec.pid")
	pid_alive "$epid" || fail "the detached process is not running"
	expect_match "$(tr '\0' ' ' < "/proc/$epid/cmdline")" '^sleep 33 '
	oci ps --format json "$id" | jq -e --argjson p "$epid" 'index($p)' > /dev/null ||
		fail "the exec'd process is not in the container's cgroup"
	# the pid file of a foreground exec too
	oci exec --pid-file "$TEST_TMP/fg.pid" "$id" true
	[ -s "$TEST_TMP/fg.pid" ] || fail "no pid file for a foreground exec"
	oci delete --force "$id"
	await 5 sh -c "! kill -0 $epid 2>/dev/null" || fail "the exec'd process survived delete"
}

test_exec_stdin_and_stdout() {
	need_root
	local id out
	id=$(cid io)
	running b "$id"
	out=$(printf 'one\ntwo\n' | oci exec "$id" sh -c 'while read l; do echo "<$l>"; done; echo err >&2' 2> "$TEST_TMP/err")
	expect_eq "$out" "<one>"$'\n'"<two>"
	expect_eq "$(cat "$TEST_TMP/err")" err
}

test_exec_preserve_fds() {
	need_root
	local id out
	id=$(cid pfd)
	running b "$id"
	echo "passed in" > "$TEST_TMP/fd3"
	out=$(oci exec --preserve-fds 1 "$id" sh -c 'cat <&3; cd /proc/self/fd && echo *' 3< "$TEST_TMP/fd3" 4< /dev/null)
	expect_match "$out" '^passed in$'
	# 0 1 2 3 and the glob's own directory fd: no 4, no runtime fd
	expect_match "$out" '^0 1 2 3 4$'
	out=$(oci exec "$id" sh -c 'cd /proc/self/fd && echo *' 3< "$TEST_TMP/fd3")
	expect_eq "$out" "0 1 2 3" "without --preserve-fds"
}

test_many_execs_in_parallel() {
	need_root
	local id i
	id=$(cid par)
	running b "$id"
	for i in 1 2 3 4 5 6; do
		oci exec "$id" sh -c "echo $i > /tmp/par.$i" &
	done
	wait
	for i in 1 2 3 4 5 6; do
		expect_eq "$(oci exec "$id" cat "/tmp/par.$i")" "$i"
	done
	expect_eq "$(oci ps --format json "$id" | jq length)" 1 "all exec'd processes are gone"
}

test_exec_into_a_user_namespace_container() {
	need_root
	local b id out
	chmod 0755 "$TEST_TMP"
	b=$(bundle b 'sleep 30')
	set_ns "$b" user
	jqi "$b/config.json" '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] |
		.linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	id=$(cid userns)
	start_bg "$b" "$id"
	out=$(oci exec "$id" sh -c 'id -u; cat /proc/self/uid_map; readlink /proc/self/ns/user')
	expect_eq "$(sed -n 1p <<< "$out")" 0 "root inside"
	expect_match "$(sed -n 2p <<< "$out")" '^ +0 +100000 +65536$' "the container's maps"
	expect_eq "$(sed -n 3p <<< "$out")" "$(ns_of "$(state_of "$id" pid)" user)" "the container's user namespace"
	expect_eq "$(oci exec --user 1000:1000 "$id" id -u)" 1000 "a mapped user"
	oci exec --user 1000:1000 --detach --pid-file "$TEST_TMP/p" "$id" sleep 5 > /dev/null 2>&1
	expect_eq "$(awk '/^Uid:/ { print $2 }' "/proc/$(cat "$TEST_TMP/p")/status")" 101000 \
		"uid 1000 inside is 101000 on the host"
}
