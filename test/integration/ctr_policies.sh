# shellcheck shell=bash
# ctr_policies.sh — what the supervisor enforces: health checks
# (--health-cmd turning healthy, then unhealthy after --health-retries
# failures; `healthcheck run` exit codes 0/1/125), restart policies
# (on-failure:N restarting a failing container N times, RestartCount in
# inspect; no restart on success), and --timeout killing the container
# (run's exit status and inspect's ExitCode as podman's: 255 and -1).
# shellcheck disable=SC2034 # read by test/run
TIMEOUT=240
. "$SRCDIR/test/helpers/ctr/ctr.sh"

test_healthcheck_turns_unhealthy() {
	ctr_setup
	ctr_need_flags --health-cmd=true --health-interval=1s --health-retries=2
	cpod run -d --name h --health-cmd 'test -e /tmp/ok' --health-interval 1s --health-retries 2 \
		busybox sh -c 'touch /tmp/ok; exec sleep 100000' > /dev/null
	ctr_await h 30 "turns healthy" '{{.State.Health.Status}}' healthy
	expect_match "$(cpod ps --format '{{.Status}}')" '^Up .* \(healthy\)$' "ps shows the health"
	expect_eq "$(cpod ps --filter health=healthy --format '{{.Names}}')" h "ps --filter health="
	expect_status 0 cpod healthcheck run h
	# the check starts failing: unhealthy after the retries
	cpod exec h rm /tmp/ok
	expect_status 1 cpod healthcheck run h
	ctr_await h 60 "turns unhealthy" '{{.State.Health.Status}}' unhealthy
	local streak log
	streak=$(ctr_get h '{{.State.Health.FailingStreak}}')
	[ "$streak" -ge 2 ] || fail "FailingStreak $streak after --health-retries 2 failures"
	log=$(cpod inspect h | jq -c '.[0].State.Health.Log')
	expect_eq "$(jq -r '.[-1].ExitCode' <<< "$log")" 1 "the last check's exit code in the log"
	expect_match "$(jq -r '.[-1].Start' <<< "$log")" '^[0-9]{4}-' "its start time"
	expect_eq "$(ctr_status h)" running "unhealthy does not stop the container"
	# and healthy again
	cpod exec h touch /tmp/ok
	ctr_await h 60 "healthy again" '{{.State.Health.Status}}' healthy
	expect_eq "$(ctr_get h '{{.State.Health.FailingStreak}}')" 0
}

test_healthcheck_run_exit_codes() {
	ctr_setup
	ctr_need_flags --health-cmd=true
	cpod run -d --name ok --health-cmd 'exit 0' --health-interval 1h busybox sleep 100000 > /dev/null
	cpod run -d --name bad --health-cmd 'echo failing; exit 3' --health-interval 1h busybox sleep 100000 > /dev/null
	cpod run -d --name none busybox sleep 100000 > /dev/null
	expect_status 0 cpod healthcheck run ok
	expect_status 1 cpod healthcheck run bad
	expect_eq "$(cpod inspect bad | jq -r '.[0].State.Health.Log[-1].Output')" failing "the check's output"
	ctr_expect 125 cpod healthcheck run none
	expect_match "$ERR" 'health' "no health check defined"
	ctr_expect 125 cpod healthcheck run nosuchctr
	cpod stop -t 0 ok > /dev/null
	ctr_expect 125 cpod healthcheck run ok
}

test_restart_on_failure_n() {
	ctr_setup
	ctr_need_flags --restart=on-failure:3
	cpod run -d --name r --restart on-failure:3 busybox sh -c 'echo ran >> /count; echo "run $(wc -l < /count)"; exit 3' \
		> /dev/null
	# three restarts (backoff between them), then it stays exited
	ctr_await r 120 "three restarts" '{{.RestartCount}}' 3
	ctr_await_status r exited 60
	expect_eq "$(ctr_get r '{{.State.ExitCode}}')" 3
	expect_eq "$(ctr_get r '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}')" \
		on-failure:3
	expect_eq "$(cpod ps -a --format '{{.Restarts}}')" 3 "ps shows the restarts"
	expect_eq "$(cpod logs r | tr '\n' ' ')" "run 1 run 2 run 3 run 4 " "four runs, same file system"
	# a success is not restarted
	cpod run -d --name s --restart on-failure:3 busybox true > /dev/null
	ctr_await_status s exited 30
	sleep 2
	expect_eq "$(ctr_get s '{{.RestartCount}} {{.State.ExitCode}}')" "0 0" "no restart after exit 0"
	# stop ends the restarting for good
	cpod run -d --name a --restart always busybox sh -c 'sleep 0.5; exit 1' > /dev/null
	ctr_await a 60 "restarted" '{{if .RestartCount}}yes{{end}}' yes
	cpod stop -t 1 a > /dev/null
	local n
	n=$(ctr_get a '{{.RestartCount}}')
	sleep 3
	expect_eq "$(ctr_get a '{{.RestartCount}} {{.State.Status}}')" "$n exited" "no restart after stop"
	ctr_expect 125 cpod run -d --restart bogus busybox true
}

test_timeout_kills() {
	ctr_setup
	ctr_need_flags --timeout=5
	capture timeout 120 "$CPOD" run --name t --timeout 2 busybox sleep 100000
	expect_eq "$(ctr_status t)" exited "killed at its --timeout"
	expect_match "$(ctr_get t '{{.State.Error}}')" 'timeout' "State.Error says why"
	local code
	code=$(ctr_get t '{{.State.ExitCode}}')
	log "run --timeout: run exited $STATUS, inspect ExitCode $code"
	[ "$STATUS" != 124 ] || fail "the container outlived its --timeout"
	# detached, the same; the supervisor goes
	cpod run -d --name td --timeout 2 busybox sleep 100000 > /dev/null
	ctr_await_status td exited 60
	local pid
	for pid in $(ctr_supervisors); do
		wait_for 20 ctr_dead "$pid" || fail "a supervisor survived its timed-out container"
	done
	# a container that ends in time keeps its own status
	expect_status 4 cpod run --name quick --timeout 60 busybox sh -c 'exit 4'
	# podman: `run` exits 255 and inspect's ExitCode is -1 for a timed-out container
	expect_eq "$STATUS" 255 "run's exit status after --timeout (podman's)"
	expect_eq "$code" -1 "inspect's ExitCode after --timeout (podman's)"
}
