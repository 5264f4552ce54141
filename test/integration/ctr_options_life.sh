# shellcheck shell=bash
# ctr_options_life.sh — the options of create/run that the supervisor acts
# on (--stop-signal, --stop-timeout, --timeout, --log-opt max-size,
# --health-*, --restart), seen in inspect and in what happens; and bad
# input on the engine's side: unknown flags, a name in use, a missing
# image, an unknown container, conflicting options (status 125, one line,
# nothing created).
. "$SRCDIR/test/integration/ctr_options_lib.sh"

# ctr_inspect ID JQ: one value of the container's inspect object.
ctr_inspect() {
	cpod inspect "$1" | jq -c ".[0] | $2"
}

test_lifecycle_options_reach_the_supervisor() {
	ctr_import
	ctr_lifecycle_ready
	local id t0 t1 out
	# the stop signal is ignored: stop waits --stop-timeout, then SIGKILL
	id=$(cpod run -d --stop-signal SIGUSR1 --stop-timeout 1 --log-opt max-size=1k \
		--health-cmd 'test -e /tmp/ok' --health-interval 1s --health-retries 2 \
		busybox sh -c 'trap "" USR1; touch /tmp/ok;
			while :; do echo 0123456789abcdef0123456789abcdef; sleep 0.01; done')
	out=$(ctr_inspect "$id" '[.Config.StopSignal, .Config.StopTimeout,
		.Config.Healthcheck.Test, .Config.Healthcheck.Interval, .Config.Healthcheck.Retries,
		.HostConfig.LogConfig.Config["max-size"]]')
	expect_eq "$out" '[10,1,["CMD-SHELL","test -e /tmp/ok"],1000000000,2,"1k"]' \
		"inspect shows the options"
	wait_for 10 sh -c "'$CPOD' inspect $id | jq -e '.[0].State.Health.Status == \"healthy\"'" ||
		fail "the health check never passed"
	cpod exec "$id" rm /tmp/ok
	wait_for 10 sh -c "'$CPOD' inspect $id | jq -e '.[0].State.Health.Status == \"unhealthy\"'" ||
		fail "the health check never failed"
	# the log is rotated at 1k: the current file stays small
	sleep 0.5
	expect_eq "$(find "$CPOD_ROOT/containers/$id" -name 'ctr.log*' -size +4k)" "" \
		"no log file beyond max-size"
	t0=$(date +%s%N)
	cpod stop "$id" > /dev/null
	t1=$(date +%s%N)
	expect_eq "$(ctr_inspect "$id" .State.ExitCode)" 137 "killed after the stop timeout"
	[ $(( (t1 - t0) / 1000000 )) -ge 900 ] || fail "stop did not wait for --stop-timeout"
	[ $(( (t1 - t0) / 1000000 )) -lt 5000 ] || fail "stop waited longer than --stop-timeout"
	cpod rm "$id" > /dev/null
	# --timeout: killed after that many seconds
	id=$(cpod run -d --timeout 1 busybox sleep 30)
	wait_for 10 sh -c "'$CPOD' inspect $id | jq -e '.[0].State.Status == \"exited\"'" ||
		fail "--timeout did not stop the container"
	expect_ne "$(ctr_inspect "$id" .State.ExitCode)" 0 "--timeout: not a success"
	cpod rm "$id" > /dev/null
	# --restart on-failure:2: three runs in all
	id=$(cpod run -d --restart on-failure:2 busybox false)
	expect_eq "$(ctr_inspect "$id" .HostConfig.RestartPolicy)" \
		'{"Name":"on-failure","MaximumRetryCount":2}' "the policy in inspect"
	wait_for 30 sh -c "'$CPOD' inspect $id | jq -e '.[0].State.Status == \"exited\" and
		.[0].RestartCount == 2'" || fail "on-failure:2 did not restart twice"
	cpod rm -v "$id" > /dev/null
	expect_eq "$(cpod ps -a -q)" "" "nothing left"
}

# ctr_bad_cmd WHAT CMD...: CMD fails with 125 and one line naming WHAT;
# no container and no volume is made.
ctr_bad_cmd() {
	local what=$1 before
	shift
	before=$(cpod ps -a -q | sort)
	capture cpod "$@"
	expect_eq "$STATUS" 125 "exit status for $*"
	expect_eq "$(printf '%s\n' "$ERR" | wc -l)" 1 "one line of error for $*"
	expect_match "$ERR" "$what" "the error of $*"
	expect_eq "$(cpod ps -a -q | sort)" "$before" "no container made by $*"
	expect_eq "$(cpod volume ls -q)" "" "no volume made by $*"
}

test_bad_input_engine() {
	ctr_import
	ctr_lifecycle_ready
	local id
	# unknown flags, on create as on run
	ctr_bad_cmd 'unknown flag: --bogus' create --bogus -v v1:/x busybox
	ctr_bad_cmd 'unknown flag: --bogus' run --bogus -v v1:/x busybox true
	# bad sizes and durations through create
	ctr_bad_cmd '^cpod-mini: --memory 12x' create --memory 12x -v v1:/x busybox
	ctr_bad_cmd '^cpod-mini: --health-interval 5' create --health-cmd true \
		--health-interval 5 -v v1:/x busybox
	ctr_bad_cmd '^cpod-mini: --shm-size' create --shm-size=-3 -v v1:/x busybox
	# a missing image
	ctr_bad_cmd 'nosuchimage: image not known' create -v v1:/x nosuchimage
	ctr_bad_cmd 'nosuchimage: image not known' run --rm -v v1:/x nosuchimage true
	# a name in use (by a created container)
	id=$(cpod create --name taken busybox)
	ctr_bad_cmd 'the container name "taken" is already in use' create --name taken \
		-v v1:/x busybox
	ctr_bad_cmd 'the container name "taken" is already in use' run --rm --name taken \
		-v v1:/x busybox true
	ctr_bad_cmd 'container name "a/b" must match' create --name a/b busybox
	cpod rm "$id" > /dev/null
	# conflicting options
	ctr_bad_cmd 'conflicts with --rm' run --rm --restart always -v v1:/x busybox true
	ctr_bad_cmd '--no-healthcheck conflicts' create --no-healthcheck --health-cmd true busybox
	ctr_bad_cmd '^cpod-mini: --memory-swap' create --memory 64m --memory-swap 32m busybox
	ctr_bad_cmd '^cpod-mini: -v' create -v v1:/x -v v2:/x busybox
	# an unknown container
	local c
	for c in start stop kill restart wait logs pause unpause top; do
		ctr_bad_cmd 'no container with name or ID "nosuch" found' "$c" nosuch
	done
	ctr_bad_cmd 'no container with name or ID "nosuch" found' exec nosuch true
	ctr_bad_cmd 'no container with name or ID "nosuch" found' rename nosuch other
	ctr_bad_cmd 'no container with name or ID "nosuch" found' cp nosuch:/etc/hosts "$TEST_TMP/x"
	expect_eq "$(cpod ps -a -q)" "" "nothing left"
}
