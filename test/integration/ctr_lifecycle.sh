# shellcheck shell=bash
# ctr_lifecycle.sh — the life of a container through cpod-mini, on real
# busybox containers: run -d, create/start, stop (the stop signal, then
# SIGKILL after -t, --stop-signal, --stop-timeout), kill -s, restart,
# pause/unpause (frozen for real), wait --condition, rename, rm -f of a
# running container, --rm of a detached one, a name already in use, an
# unknown container, and id-prefix lookup.  Effects are checked from the
# host (the container's process, its files through /proc/PID/root) as
# well as through inspect.
. "$SRCDIR/test/helpers/ctr/ctr.sh"

test_detached_service_runs_and_stops() {
	ctr_setup
	local id pid sup
	id=$(cpod run -d --name svc busybox sh -c \
		'i=0; while :; do i=$((i + 1)); echo "tick $i" > /tmp/tick; sleep 0.05; done')
	expect_match "$id" '^[0-9a-f]{64}$' "run -d prints the full id"
	expect_eq "$(ctr_id svc)" "$id" "the name finds the id"
	expect_eq "$(ctr_status svc)" running
	pid=$(ctr_pid svc)
	sup=$(ctr_supervisor svc)
	ctr_alive "$pid" || fail "State.Pid $pid is not a live process"
	ctr_alive "$sup" || fail "State.ConmonPid $sup (the supervisor) is not a live process"
	# the container's init is the supervisor's child; the supervisor is
	# nobody's child but the reaper's, in a session of its own
	expect_eq "$(ps -o ppid= -p "$pid" | tr -d ' ')" "$sup" "the init's parent is the supervisor"
	expect_ne "$(ps -o sid= -p "$sup" | tr -d ' ')" "$(ps -o sid= -p $$ | tr -d ' ')" \
		"the supervisor is in a session of its own"
	expect_no_match "$(ps -o comm= -p "$(ps -o ppid= -p "$sup" | tr -d ' ')")" '^cpod' \
		"the supervisor's parent is not the cpod-mini that started it"
	# it really runs: the counter moves
	wait_for 5 test -s "/proc/$pid/root/tmp/tick" || fail "the service never wrote its file"
	local a b
	a=$(ctr_in svc /tmp/tick)
	wait_for 5 sh -c "[ \"\$(cat /proc/$pid/root/tmp/tick)\" != '$a' ]" ||
		fail "the service's counter does not move"
	b=$(ctr_in svc /tmp/tick)
	log "counter: $a -> $b"
	expect_eq "$(cpod ps -q)" "${id:0:12}" "ps lists it"
	# stop: sh as pid 1 ignores SIGTERM (no handler), so SIGKILL after -t
	expect_eq "$(cpod stop -t 1 svc)" svc "stop prints the name given"
	expect_eq "$(ctr_status svc)" exited
	expect_eq "$(ctr_get svc '{{.State.ExitCode}}')" 137
	ctr_dead "$pid" || fail "the init survived stop"
	wait_for 10 ctr_dead "$sup" || fail "the supervisor survived its container"
	expect_eq "$(cpod ps -q)" "" "ps (running only) is empty"
	expect_eq "$(cpod ps -aq)" "${id:0:12}" "ps -a still lists it"
	# stopping a stopped container is not an error
	expect_eq "$(cpod stop svc)" svc
	expect_eq "$(cpod rm svc)" svc
	expect_eq "$(cpod ps -aq)" ""
	ctr_nothing_left "$id"
}

test_create_start_wait() {
	ctr_setup
	local id
	id=$(cpod create --name job busybox sh -c 'echo "$(date +%s)" > /tmp/started; sleep 0.3; exit 4')
	expect_match "$id" '^[0-9a-f]{64}$'
	expect_eq "$(ctr_status job)" created
	expect_eq "$(ctr_get job '{{.State.Pid}} {{.State.StartedAt}}')" "0 0001-01-01T00:00:00Z" \
		"a created container has no process and no start time"
	expect_eq "$(cpod ps -q)" "" "created is not running"
	expect_eq "$(cpod ps -aq --filter status=created)" "${id:0:12}"
	expect_eq "$(cpod start job)" job
	expect_eq "$(cpod wait job)" 4 "wait prints the exit code"
	expect_eq "$(ctr_status job)" exited
	expect_eq "$(ctr_get job '{{.State.ExitCode}}')" 4
	local started finished
	started=$(ctr_get job '{{.State.StartedAt}}')
	finished=$(ctr_get job '{{.State.FinishedAt}}')
	[[ "$started" < "$finished" ]] || fail "StartedAt $started is not before FinishedAt $finished"
	# start again: it runs again, from the same upper layer
	cpod start job > /dev/null
	expect_eq "$(cpod wait job)" 4
	[[ "$(ctr_get job '{{.State.StartedAt}}')" > "$started" ]] || fail "the second start has a new StartedAt"
	cpod rm job > /dev/null
	ctr_nothing_left "$id"
}

test_stop_escalates_to_sigkill() {
	ctr_setup
	local pid
	# a process that ignores SIGTERM (and stays pid 1's only child)
	cpod run -d --name stubborn busybox sh -c 'trap "" TERM; while :; do sleep 0.1; done' > /dev/null
	pid=$(ctr_pid stubborn)
	cpod stop -t 1 stubborn > /dev/null
	expect_eq "$(ctr_get stubborn '{{.State.Status}} {{.State.ExitCode}}')" "exited 137" \
		"killed by SIGKILL after the stop timeout"
	ctr_dead "$pid" || fail "still alive after stop"
	# --stop-timeout is the default for stop
	cpod run -d --name stubborn2 --stop-timeout 1 busybox sh -c 'trap "" TERM; while :; do sleep 0.1; done' > /dev/null
	expect_eq "$(ctr_get stubborn2 '{{.Config.StopTimeout}}')" 1
	cpod stop stubborn2 > /dev/null
	expect_eq "$(ctr_get stubborn2 '{{.State.ExitCode}}')" 137
	# -t 0: SIGKILL at once
	cpod run -d --name now busybox sh -c 'trap "echo term > /tmp/t" TERM; while :; do sleep 0.1; done' > /dev/null
	cpod stop -t 0 now > /dev/null
	expect_eq "$(ctr_get now '{{.State.ExitCode}}')" 137 "stop -t 0 kills"
}

test_stop_sends_sigterm_first() {
	ctr_setup
	# the trap runs: exit status chosen by the container
	cpod run -d --name polite busybox sh -c 'trap "echo bye; exit 42" TERM; echo ready; while :; do sleep 0.1; done' > /dev/null
	wait_for 5 sh -c "$(printf '%q' "$CPOD") logs polite | grep -q ready"
	cpod stop -t 30 polite > /dev/null
	expect_eq "$(ctr_get polite '{{.State.ExitCode}}')" 42 "the TERM trap chose the exit code"
	expect_eq "$(cpod logs polite | tr '\n' ' ')" "ready bye " "the trap's output is in the log"
}

test_stop_signal() {
	ctr_setup
	cpod run -d --name usr1 --stop-signal USR1 busybox sh -c \
		'trap "exit 11" USR1; trap "exit 15" TERM; echo ready; while :; do sleep 0.1; done' > /dev/null
	expect_eq "$(ctr_get usr1 '{{.Config.StopSignal}}')" 10 "Config.StopSignal is SIGUSR1's number"
	wait_for 5 sh -c "$(printf '%q' "$CPOD") logs usr1 | grep -q ready"
	cpod stop -t 30 usr1 > /dev/null
	expect_eq "$(ctr_get usr1 '{{.State.ExitCode}}')" 11 "stop sent SIGUSR1, not SIGTERM"
	# by number and with the SIG prefix
	cpod run -d --name hup --stop-signal SIGHUP busybox sh -c \
		'trap "exit 1" HUP; echo ready; while :; do sleep 0.1; done' > /dev/null
	wait_for 5 sh -c "$(printf '%q' "$CPOD") logs hup | grep -q ready"
	cpod stop -t 30 hup > /dev/null
	expect_eq "$(ctr_get hup '{{.State.ExitCode}}')" 1
	# a bad signal is refused before anything is created
	expect_status 125 cpod run -d --name bad --stop-signal NOSUCHSIG busybox true
	ctr_gone bad || fail "a container was created with a bad --stop-signal"
}

test_kill_signals() {
	ctr_setup
	local pid
	cpod run -d --name k busybox sh -c \
		'n=0; trap "n=\$((n + 1)); echo usr1 \$n" USR1; trap "echo hup; exit 7" HUP
		 echo ready; while :; do sleep 0.1; done' > /dev/null
	wait_for 5 sh -c "$(printf '%q' "$CPOD") logs k | grep -q ready"
	pid=$(ctr_pid k)
	expect_eq "$(cpod kill -s USR1 k)" k "kill prints the name"
	wait_for 5 sh -c "$(printf '%q' "$CPOD") logs k | grep -q 'usr1 1'" || fail "USR1 not delivered"
	cpod kill --signal SIGUSR1 k > /dev/null
	wait_for 5 sh -c "$(printf '%q' "$CPOD") logs k | grep -q 'usr1 2'" || fail "SIGUSR1 not delivered"
	expect_eq "$(ctr_status k)" running "USR1 was handled: still running"
	expect_eq "$(ctr_pid k)" "$pid" "the same process"
	cpod kill -s 1 k > /dev/null
	expect_eq "$(cpod wait k)" 7 "HUP (by number) ran the trap"
	expect_match "$(cpod logs k)" '^hup$'
	# kill of a stopped container, bad signals
	ctr_expect 125 cpod kill k
	expect_match "$ERR" 'running' "says it is not running"
	cpod run -d --name k2 busybox sleep 100 > /dev/null
	expect_status 125 cpod kill -s NOSUCH k2
	expect_eq "$(ctr_status k2)" running "a bad signal changed nothing"
	# the default is SIGKILL
	cpod kill k2 > /dev/null
	expect_eq "$(cpod wait k2)" 137
}

test_restart_command() {
	ctr_setup
	local pid1 pid2 started
	cpod run -d --name r busybox sh -c 'echo "run $(cat /proc/uptime)"; trap "exit 0" TERM; while :; do sleep 0.1; done' > /dev/null
	pid1=$(ctr_pid r)
	started=$(ctr_get r '{{.State.StartedAt}}')
	expect_eq "$(cpod restart -t 5 r)" r
	expect_eq "$(ctr_status r)" running
	pid2=$(ctr_pid r)
	ctr_dead "$pid1" || fail "the first process survived restart"
	ctr_alive "$pid2" || fail "no new process"
	[[ "$(ctr_get r '{{.State.StartedAt}}')" > "$started" ]] || fail "StartedAt did not move"
	wait_for 5 sh -c "[ \$($(printf '%q' "$CPOD") logs r | grep -c '^run ') = 2 ]" ||
		fail "the log does not show two runs: $(cpod logs r)"
	# restart of an exited container starts it
	cpod stop r > /dev/null
	cpod restart r > /dev/null
	expect_eq "$(ctr_status r)" running
}

test_pause_unpause() {
	ctr_setup
	local pid a b
	cpod run -d --name p busybox sh -c \
		'i=0; while :; do i=$((i + 1)); echo $i > /tmp/n; sleep 0.02; done' > /dev/null
	pid=$(ctr_pid p)
	wait_for 5 test -s "/proc/$pid/root/tmp/n"
	expect_eq "$(cpod pause p)" p
	expect_eq "$(ctr_get p '{{.State.Status}} {{.State.Paused}} {{.State.Running}}')" "paused true false"
	if [ "$(cpod ps --format '{{.Names}} {{.State}} {{.Status}}')" != "p paused Paused" ]; then
		log "ps: $(cpod ps --format '{{.Names}} {{.State}} {{.Status}}')"
		cpod unpause p > /dev/null
		fail "ps shows a paused container as running"
	fi
	expect_eq "$(cpod ps --filter status=paused --format '{{.Names}}')" p "ps --filter status=paused"
	# frozen: the freezer holds every task, and the counter stands still
	expect_eq "$(cat "/sys/fs/cgroup/freezer$(awk -F: '$2 == "freezer" { print $3 }' "/proc/$pid/cgroup")/freezer.state")" \
		FROZEN "the freezer cgroup"
	a=$(ctr_in p /tmp/n)
	sleep 0.3
	b=$(ctr_in p /tmp/n)
	expect_eq "$b" "$a" "the counter moved while paused"
	expect_eq "$(cpod wait --condition paused p)" 0 "wait --condition paused returns at once"
	expect_status 125 cpod exec p true
	expect_status 125 cpod pause p
	expect_eq "$(cpod unpause p)" p
	expect_eq "$(ctr_get p '{{.State.Status}} {{.State.Paused}}')" "running false"
	wait_for 5 sh -c "[ \"\$(cat /proc/$pid/root/tmp/n)\" != '$a' ]" || fail "the counter does not move after unpause"
	expect_status 125 cpod unpause p
	# a paused container can be stopped
	cpod pause p > /dev/null
	cpod stop -t 1 p > /dev/null
	expect_eq "$(ctr_status p)" exited
	ctr_dead "$pid" || fail "the paused process survived stop"
	expect_status 125 cpod pause p
}

test_wait_conditions() {
	ctr_setup
	local out
	cpod create --name w busybox sh -c 'while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 3' > /dev/null
	expect_eq "$(cpod wait --condition created w)" 0
	expect_eq "$(cpod wait --condition configured w)" 0
	# wait for running in the background, then start
	cpod wait --condition running w > "$TEST_TMP/running" &
	local bg=$!
	cleanup_add "kill $bg 2>/dev/null; true"
	cpod start w > /dev/null
	wait_for 10 test -s "$TEST_TMP/running" || fail "wait --condition running did not return"
	wait "$bg"
	# wait (stopped) blocks until the container ends
	cpod wait w > "$TEST_TMP/stopped" &
	bg=$!
	cleanup_add "kill $bg 2>/dev/null; true"
	sleep 0.3
	[ ! -s "$TEST_TMP/stopped" ] || fail "wait returned while the container runs: $(cat "$TEST_TMP/stopped")"
	ctr_touch w /tmp/go
	wait_for 10 test -s "$TEST_TMP/stopped" || fail "wait did not return when the container exited"
	wait "$bg"
	expect_eq "$(cat "$TEST_TMP/stopped")" 3
	# several conditions: any of them; several containers: one line each
	expect_eq "$(cpod wait --condition running --condition exited w)" 3
	expect_status 9 cpod run --name w2 busybox sh -c 'exit 9'
	out=$(cpod wait w w2 | tr '\n' ' ')
	expect_eq "$out" "3 9 "
	expect_status 125 cpod wait --condition bogus w
	expect_status 125 cpod wait nosuch
}

test_rename() {
	ctr_setup
	local id
	id=$(cpod run -d --name old busybox sleep 100)
	cpod rename old new
	expect_eq "$(ctr_get new '{{.Name}}')" new
	expect_eq "$(ctr_id new)" "$id"
	ctr_gone old || fail "the old name still finds the container"
	expect_eq "$(cpod ps --format '{{.Names}}')" new
	expect_eq "$(ctr_status new)" running "renaming a running container keeps it running"
	cpod run -d --name other busybox sleep 100 > /dev/null
	ctr_expect 125 cpod rename new other
	expect_match "$ERR" 'already in use'
	expect_eq "$(ctr_get new '{{.Name}}') $(ctr_get other '{{.Name}}')" "new other" "nothing renamed"
	expect_status 125 cpod rename new 'bad name'
	expect_status 125 cpod rename new ''
	expect_status 125 cpod rename nosuch x
	# the old name is free again
	cpod run -d --name old busybox sleep 100 > /dev/null
	expect_eq "$(cpod ps -a --format '{{.Names}}' | sort | tr '\n' ' ')" "new old other "
	# the new name survives a restart of the container
	cpod restart -t 0 new > /dev/null
	expect_eq "$(ctr_get "$id" '{{.Name}}')" new
}

test_rm_force_running() {
	ctr_setup
	local id pid sup
	id=$(cpod run -d --name busy busybox sh -c 'trap "" TERM; while :; do sleep 0.1; done')
	pid=$(ctr_pid busy)
	sup=$(ctr_supervisor busy)
	# podman's statuses for rm: 2 for a running container, 1 for a missing one
	ctr_expect 2 cpod rm busy
	expect_match "$ERR" 'running' "rm without -f refuses a running container"
	expect_eq "$(ctr_status busy)" running "still running after the refused rm"
	expect_eq "$(cpod rm -f busy)" busy
	ctr_gone busy || fail "rm -f left the container"
	ctr_dead "$pid" || fail "rm -f left the process"
	wait_for 10 ctr_dead "$sup" || fail "rm -f left the supervisor"
	ctr_nothing_left "$id"
	expect_status 1 cpod rm busy
	# rm -f of a container that does not exist: an error too, unless -i
	expect_status 1 cpod rm -f nosuch
	expect_status 0 cpod rm -i nosuch
}

test_rm_on_detached() {
	ctr_setup
	local id
	id=$(cpod run -d --rm --name auto busybox sh -c 'while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 5')
	expect_eq "$(ctr_get auto '{{.HostConfig.AutoRemove}}')" true
	cpod wait auto > "$TEST_TMP/code" &
	local bg=$!
	cleanup_add "kill $bg 2>/dev/null; true"
	ctr_touch auto /tmp/go
	wait_for 10 test -s "$TEST_TMP/code" || fail "wait did not return"
	wait "$bg"
	expect_eq "$(cat "$TEST_TMP/code")" 5 "wait still gets the exit code of an --rm container"
	wait_for 10 ctr_gone auto || fail "the --rm container is still there after it exited"
	expect_eq "$(cpod ps -aq)" ""
	ctr_nothing_left "$id"
	# stopped by the user: removed too
	id=$(cpod run -d --rm --name auto2 busybox sleep 100)
	cpod stop -t 0 auto2 > /dev/null
	wait_for 10 ctr_gone auto2 || fail "the stopped --rm container is still there"
	ctr_nothing_left "$id"
	# foreground --rm: gone when run returns
	expect_status 6 cpod run --rm --name auto3 busybox sh -c 'exit 6'
	ctr_gone auto3 || fail "run --rm left the container"
}

test_name_in_use() {
	ctr_setup
	local before
	cpod run -d --name taken busybox sleep 100 > /dev/null
	before=$(cpod ps -a --no-trunc --format '{{.ID}} {{.Names}} {{.Status}}' | cut -d' ' -f1,2)
	ctr_expect 125 cpod run -d --name taken busybox true
	expect_eq "$OUT" "" "nothing on stdout"
	expect_eq "$(printf "%s\n" "$ERR" | wc -l)" 1 "a one-line error"
	expect_match "$ERR" 'taken.*already in use' "names the name"
	ctr_expect 125 cpod create --name taken busybox true
	ctr_expect 125 cpod run --rm --name taken busybox true
	expect_eq "$(cpod ps -a --no-trunc --format '{{.ID}} {{.Names}} {{.Status}}' | cut -d' ' -f1,2)" \
		"$before" "nothing was created"
	expect_eq "$(ls "$CPOD_ROOT/containers" | wc -l)" 1 "no container directory left behind"
	# an exited container keeps its name too
	cpod stop -t 0 taken > /dev/null
	ctr_expect 125 cpod run --name taken busybox true
	cpod rm taken > /dev/null
	cpod run --rm --name taken busybox true
}

test_unknown_container() {
	ctr_setup
	local v
	for v in start stop kill restart pause unpause wait logs inspect rm attach export; do
		if [ "$v" = rm ]; then
			ctr_expect 1 cpod rm nosuch
		else
			ctr_expect 125 cpod "$v" nosuch
		fi
		expect_eq "$(printf "%s\n" "$ERR" | wc -l)" 1 "$v: a one-line error"
		expect_match "$ERR" '"?nosuch"?' "$v: names the container"
		expect_match "$ERR" 'no container|no such' "$v: says it does not exist"
	done
	ctr_expect 125 cpod exec nosuch true
	expect_match "$ERR" 'nosuch'
	ctr_expect 125 cpod healthcheck run nosuch
	expect_match "$ERR" 'nosuch'
	ctr_expect 125 cpod rename nosuch other
	ctr_expect 125 cpod container inspect nosuch
	# a missing image: a clear error, nothing created
	ctr_expect 125 cpod run -d --name x no-such-image:1 true
	expect_match "$ERR" 'no-such-image'
	expect_eq "$(ctr_count)" 0 "nothing created"
}

test_id_prefix_lookup() {
	ctr_setup
	local id
	id=$(cpod run -d busybox sleep 100)
	expect_eq "$(ctr_get "${id:0:12}" '{{.Id}}')" "$id" "12 characters"
	expect_eq "$(ctr_get "${id:0:3}" '{{.Id}}')" "$id" "a short unique prefix"
	expect_eq "$(ctr_get "$id" '{{.Id}}')" "$id" "the full id"
	# a generated name: adjective_noun, as podman's
	expect_match "$(ctr_get "$id" '{{.Name}}')" '^[a-z]+_[a-z]+$' "a generated name"
	cpod stop -t 0 "${id:0:5}" > /dev/null
	expect_eq "$(ctr_status "$id")" exited
	cpod rm "${id:0:8}" > /dev/null
	ctr_nothing_left "$id"
}
