# shellcheck shell=bash
# ctr_exec.sh — `exec` into a running container: the environment (-e,
# --env-file, the container's own), the user by name from the container's
# /etc/passwd and /etc/group (not the host's), -w and the container's
# working directory, exit statuses as podman's (the process's, 126 not
# executable, 127 not found, 125 cpod's own errors), -i with stdin, -d,
# -t on a terminal (and run -t/-it), --privileged, and that the process joins the
# container's namespaces and cgroup.
. "$SRCDIR/test/helpers/ctr/ctr.sh"

# A long-running container "box" whose /etc has a user and a group the
# host does not have.
exec_box() {
	getent passwd ctrexecuser > /dev/null && skip "the host has a user ctrexecuser"
	cpod run -d --name box -e FROM_RUN=run-value -e SHARED=from-run -w /srv busybox sh -c \
		'echo "ctrexecuser:x:4242:4343:Exec User:/home/ctrexecuser:/bin/sh" >> /etc/passwd
		 echo "ctrexecgroup:x:4343:" >> /etc/group
		 echo "ctrextra:x:4444:ctrexecuser" >> /etc/group
		 mkdir -p /home/ctrexecuser /work && chown 4242:4343 /home/ctrexecuser
		 touch /tmp/ready; exec sleep 1000' > /dev/null
	wait_for 10 test -e "/proc/$(ctr_pid box)/root/tmp/ready" || fail "the box did not get ready"
}

test_exec_environment() {
	ctr_setup
	exec_box
	local env
	env=$(cpod exec box env)
	expect_match "$env" '^FROM_RUN=run-value$' "the container's environment"
	expect_match "$env" '^PATH=' "PATH"
	expect_eq "$(cpod exec -e A=1 -e B='two words' box sh -c 'echo "$A|$B"')" "1|two words" "-e"
	expect_eq "$(cpod exec -e SHARED=from-exec box sh -c 'echo $SHARED')" from-exec "-e overrides run's -e"
	expect_eq "$(cpod exec box sh -c 'echo $SHARED')" from-run "and only for that exec"
	# -e NAME takes the value from cpod's own environment
	expect_eq "$(HOST_ONLY=from-host "$CPOD" exec -e HOST_ONLY box sh -c 'echo $HOST_ONLY')" from-host
	expect_eq "$(HOST_ONLY=x "$CPOD" exec box sh -c 'echo "[$HOST_ONLY]"')" "[]" \
		"nothing of cpod's environment without -e"
	printf '# a comment\nF1=file-one\n\nF2=with spaces\n' > "$TEST_TMP/env"
	expect_eq "$(cpod exec --env-file "$TEST_TMP/env" box sh -c 'echo "$F1|$F2"')" "file-one|with spaces" \
		"--env-file"
	expect_eq "$(cpod exec --env-file "$TEST_TMP/env" -e F1=flag box sh -c 'echo $F1')" flag \
		"-e after --env-file wins"
	ctr_expect 125 cpod exec --env-file "$TEST_TMP/no-such-file" box true
}

test_exec_user_from_container_passwd() {
	ctr_setup
	exec_box
	expect_eq "$(cpod exec box id -u):$(cpod exec box id -un)" 0:root "root by default"
	expect_eq "$(cpod exec -u ctrexecuser box id -u)" 4242 "the name from the container's /etc/passwd"
	expect_eq "$(cpod exec -u ctrexecuser box id -g)" 4343 "its primary group"
	expect_match " $(cpod exec -u ctrexecuser box id -G) " ' 4444 ' "its supplementary group from /etc/group"
	expect_eq "$(cpod exec -u ctrexecuser box sh -c 'echo $HOME')" /home/ctrexecuser "HOME from /etc/passwd"
	expect_eq "$(cpod exec -u ctrexecuser box sh -c 'touch ~/f && stat -c %u:%g ~/f')" 4242:4343 \
		"files made as the user"
	expect_eq "$(cpod exec -u ctrexecuser:ctrexecgroup box id -gn)" ctrexecgroup "user:group by names"
	expect_eq "$(cpod exec -u 4242:0 box id -g)" 0 "user:gid"
	expect_eq "$(cpod exec -u 1234 box id -u)" 1234 "a uid without an entry"
	expect_eq "$(cpod exec -u 1234:5678 box sh -c 'echo $(id -u):$(id -g)')" 1234:5678
	ctr_expect 125 cpod exec -u no-such-user box true
	expect_match "$ERR" 'no-such-user'
	ctr_expect 125 cpod exec -u ctrexecuser:no-such-group box true
	# the host's users mean nothing inside
	if getent passwd daemon > /dev/null && ! cpod exec box grep -q '^daemon:' /etc/passwd; then
		ctr_expect 125 cpod exec -u daemon box true
	fi
}

test_exec_workdir() {
	ctr_setup
	exec_box
	expect_eq "$(cpod exec box pwd)" /srv "the container's working directory (run -w)"
	expect_eq "$(cpod exec -w /work box pwd)" /work "-w"
	expect_eq "$(cpod exec -w /tmp box sh -c 'touch rel && ls /tmp/rel')" /tmp/rel
	capture cpod exec -w /no/such/dir box pwd
	expect_ne "$STATUS" 0 "a missing working directory fails"
}

test_exec_exit_codes() {
	ctr_setup
	exec_box
	expect_status 0 cpod exec box true
	expect_status 1 cpod exec box false
	expect_status 7 cpod exec box sh -c 'exit 7'
	expect_status 137 cpod exec box sh -c 'kill -9 $$'
	# not executable
	ctr_expect 126 cpod exec box /etc/passwd
	expect_match "$ERR" 'permission denied|not executable' "says why"
	ctr_expect 126 cpod exec box /tmp
	# not found, by name in PATH and by path
	ctr_expect 127 cpod exec box no-such-command
	expect_match "$ERR" 'no-such-command'
	ctr_expect 127 cpod exec box /no/such/path
	# cpod's own errors
	ctr_expect 125 cpod exec box
	ctr_expect 125 cpod exec --no-such-flag box true
	cpod stop -t 0 box > /dev/null
	ctr_expect 125 cpod exec box true
	expect_match "$ERR" 'running|state' "says the container is not running"
	cpod create --name fresh busybox true > /dev/null
	ctr_expect 125 cpod exec fresh true
}

test_exec_stdin() {
	ctr_setup
	exec_box
	expect_eq "$(echo hello | cpod exec -i box cat)" hello "-i passes stdin"
	expect_eq "$(printf 'a\nb\nc\n' | cpod exec -i box wc -l | tr -d ' ')" 3
	# a megabyte, byte for byte, both ways
	head -c 1048576 /dev/urandom > "$TEST_TMP/blob"
	expect_eq "$(cpod exec -i box sha256sum < "$TEST_TMP/blob" | cut -d' ' -f1)" \
		"$(sha256sum < "$TEST_TMP/blob" | cut -d' ' -f1)" "1 MiB through stdin"
	cpod exec -i box cat < "$TEST_TMP/blob" > "$TEST_TMP/back"
	cmp -s "$TEST_TMP/blob" "$TEST_TMP/back" || fail "1 MiB through stdin and back differs"
	# without -i the process's stdin is empty, even when ours is not
	expect_eq "$(echo should-not-pass | timeout 10 "$CPOD" exec box cat)" "" "stdin only with -i"
	# the exit status comes back after stdin's end
	expect_status 3 sh -c "echo x | $(printf '%q' "$CPOD") exec -i box sh -c 'read l; exit 3'"
	# stdout and stderr stay apart
	cpod exec box sh -c 'echo out; echo err >&2' > "$TEST_TMP/o" 2> "$TEST_TMP/e"
	expect_eq "$(cat "$TEST_TMP/o")/$(cat "$TEST_TMP/e")" "out/err"
}

test_exec_detached() {
	ctr_setup
	exec_box
	local n=$((900000 + RANDOM))
	# exec -d returns while its process runs on (status 124 if it waited)
	expect_status 0 timeout 60 "$CPOD" exec -d box sh -c "sleep 1; echo late > /tmp/late; sleep $n"
	wait_for 10 test -e "/proc/$(ctr_pid box)/root/tmp/late" || fail "the detached process did not run on"
	expect_match "$(cpod exec box ps -o args)" "sleep $n" "it is a process of the container"
	# gone with the container
	cpod stop -t 0 box > /dev/null
	expect_no_match "$(ps -eo args)" "^sleep $n\$" "the detached process outlived its container"
	ctr_expect 125 cpod exec -d box true
}

test_exec_joins_the_container() {
	ctr_setup
	exec_box
	local pid ns cg
	pid=$(ctr_pid box)
	for ns in pid mnt uts ipc net cgroup; do
		[ -e "/proc/$pid/ns/$ns" ] || continue
		expect_eq "$(cpod exec box readlink /proc/self/ns/$ns)" "$(readlink "/proc/$pid/ns/$ns")" \
			"the $ns namespace"
	done
	expect_eq "$(cpod exec box hostname)" "$(ctr_get box '{{.Config.Hostname}}')" "the hostname"
	expect_ne "$(cpod exec box sh -c 'echo $$')" 1 "not the container's pid 1"
	expect_eq "$(cpod exec box cat /proc/1/cmdline | tr '\0' ' ')" "sleep 1000 " "pid 1 is the container's"
	# the same cgroup (pids, here) as the container's init
	cg=$(awk -F: '$2 == "pids" { print $3 }' "/proc/$pid/cgroup")
	cpod exec -d box sh -c 'echo $$ > /tmp/execpid; exec sleep 1000'
	wait_for 10 test -s "/proc/$pid/root/tmp/execpid"
	local inner host_pid
	inner=$(ctr_in box /tmp/execpid)
	# the exec'd process on the host: in the container's pid namespace, with
	# $inner as its pid there
	local d ns
	ns=$(readlink "/proc/$pid/ns/pid")
	host_pid=""
	for d in /proc/[0-9]*; do
		[ "$(readlink "$d/ns/pid" 2> /dev/null)" = "$ns" ] || continue
		[ "$(awk '/^NSpid:/ { print $NF }' "$d/status" 2> /dev/null)" = "$inner" ] || continue
		host_pid=${d#/proc/}
		break
	done
	[ -n "$host_pid" ] || fail "the exec'd process (pid $inner inside) is not in the container's pid namespace"
	expect_eq "$(awk -F: '$2 == "pids" { print $3 }' "/proc/$host_pid/cgroup")" "$cg" \
		"the exec'd process is in the container's pids cgroup"
	# the container's view of the file system
	expect_eq "$(cpod exec box cat /etc/hostname)" "$(ctr_get box '{{.Config.Hostname}}')"
	expect_match "$(cpod exec box grep ctrexecuser /etc/passwd)" '^ctrexecuser:'
}

test_exec_privileged() {
	ctr_setup
	exec_box
	local def priv
	def=$(cpod exec box awk '/^CapEff/ { print $2 }' /proc/self/status)
	priv=$(cpod exec --privileged box awk '/^CapEff/ { print $2 }' /proc/self/status)
	log "CapEff: default $def, privileged $priv"
	expect_ne "$def" "$priv" "--privileged changes the capabilities"
	expect_eq "$(( 0x$def & ~0x$priv ))" 0 "the default set is within the privileged one"
	# CAP_SYS_ADMIN (21) only with --privileged
	expect_eq "$(( (0x$def >> 21) & 1 ))" 0 "no CAP_SYS_ADMIN by default"
	expect_eq "$(( (0x$priv >> 21) & 1 ))" 1 "CAP_SYS_ADMIN with --privileged"
	# the container's own processes keep the default set
	expect_eq "$(awk '/^CapEff/ { print $2 }' "/proc/$(ctr_pid box)/status")" "$def"
}

test_exec_tty() {
	ctr_setup
	exec_box
	local pty=$CTR_HELPERS/pty.py out
	out=$("$pty" -- "$CPOD" exec -t box tty)
	expect_match "$out" '^/dev/pts/[0-9]+' "-t gives the process a terminal"
	out=$("$pty" --cols 77 --rows 22 -- "$CPOD" exec -t box stty size)
	expect_match "$out" '^22 77' "the terminal has our size"
	expect_eq "$(cpod exec box sh -c 'tty || true')" "not a tty" "no terminal without -t"
	# -it: an interactive shell, its exit status back
	capture "$pty" --expect '/srv # ' --send 'echo "sum-$((6 * 7))"\r' --expect 'sum-42' --send 'exit 3\r' \
		-- "$CPOD" exec -it box sh
	expect_eq "$STATUS" 3 "the shell's exit status"
	expect_match "$OUT" 'sum-42'
}

# run -t / -it on a terminal (the same pty helper): the terminal's size
# from the start, an interactive shell and its exit status, and the detach
# keys (ctrl-p ctrl-q) leaving the container running.
test_run_tty() {
	ctr_setup
	local pty=$CTR_HELPERS/pty.py out
	out=$("$pty" --cols 77 --rows 22 -- "$CPOD" run --rm -t --network none busybox stty size)
	expect_match "$out" '^22 77' "run -t: the terminal has our size"
	capture "$pty" --expect '/ # ' --send 'echo "sum-$((6 * 7))"\r' --expect 'sum-42' --send 'exit 3\r' \
		-- "$CPOD" run --rm -it --network none busybox sh
	expect_eq "$STATUS" 3 "run -it: the shell's exit status"
	expect_match "$OUT" 'sum-42'
	capture "$pty" --expect '/ # ' --send '\x10\x11' -- "$CPOD" run -it --name ttyd --network none busybox sh
	expect_eq "$STATUS" 0 "ctrl-p ctrl-q detaches"
	expect_eq "$(cpod inspect --format '{{.State.Status}}' ttyd)" running "the container runs on"
	cpod rm -f ttyd > /dev/null
}
