# shellcheck shell=bash
# ctr_logs.sh — `logs` of real containers: a detached service's stdout and
# stderr kept apart, -f following new lines until the container ends,
# --tail, --since/--until (the log's own timestamps, other time zones,
# Unix times, durations), -t, lines without a newline and very long ones,
# rotation with --log-opt max-size, and the log of a created or restarted
# container.  Containers write on cue (a file the test makes through
# /proc/PID/root), so nothing depends on timing.
. "$SRCDIR/test/helpers/ctr/ctr.sh"

# logs_has CTR REGEX: some line of `logs CTR` matches.
logs_has() {
	cpod logs "$1" 2>&1 | grep -Eq -- "$2"
}

# logs_await CTR REGEX [SECS]
logs_await() {
	wait_for "${3:-10}" logs_has "$1" "$2" ||
		fail "$1: no log line matching $2 after ${3:-10} s; the log: $(cpod logs "$1" 2>&1 | tail -n 5)"
}

# A script that prints its arguments one by one, each after the file
# /tmp/goN appears (N = 1, 2...), then waits for /tmp/end.
CUED='n=0; for w in "$@"; do n=$((n + 1)); while [ ! -e /tmp/go$n ]; do sleep 0.02; done; echo "$w"; done
      while [ ! -e /tmp/end ]; do sleep 0.02; done'

test_service_stdout_and_stderr_apart() {
	ctr_setup
	cpod run -d --name svc busybox sh -c \
		'for i in 1 2 3; do echo "out $i"; echo "err $i" >&2; done; echo done > /tmp/done; sleep 100' > /dev/null
	wait_for 10 test -e "/proc/$(ctr_pid svc)/root/tmp/done"
	logs_await svc '^err 3$'
	cpod logs svc > "$TEST_TMP/out" 2> "$TEST_TMP/err"
	expect_eq "$(tr '\n' ' ' < "$TEST_TMP/out")" "out 1 out 2 out 3 " "stdout, in order, on stdout"
	expect_eq "$(tr '\n' ' ' < "$TEST_TMP/err")" "err 1 err 2 err 3 " "stderr, in order, on stderr"
	# the log is a file of podman's k8s-file format at LogPath
	local lp
	lp=$(ctr_get svc '{{.LogPath}}')
	[ -f "$lp" ] || fail "LogPath $lp is not a file"
	expect_match "$(head -n 1 "$lp")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+) (stdout|stderr) F (out|err) 1$' \
		"k8s-file lines"
	# still there after the container stopped
	cpod stop -t 0 svc > /dev/null
	expect_eq "$(cpod logs svc 2> /dev/null | tr '\n' ' ')" "out 1 out 2 out 3 "
}

test_logs_follow() {
	ctr_setup
	local pid bg
	# shellcheck disable=SC2016
	cpod run -d --name f busybox sh -c "$CUED" sh first second third > /dev/null
	pid=$(ctr_pid f)
	: > "/proc/$pid/root/tmp/go1"
	logs_await f '^first$'
	cpod logs -f f > "$TEST_TMP/follow" 2>&1 &
	bg=$!
	cleanup_add "kill $bg 2>/dev/null; true"
	wait_for 10 grep -qx first "$TEST_TMP/follow" || fail "logs -f did not print what was there"
	: > "/proc/$pid/root/tmp/go2"
	wait_for 10 grep -qx second "$TEST_TMP/follow" || fail "logs -f did not follow a new line"
	: > "/proc/$pid/root/tmp/go3"
	wait_for 10 grep -qx third "$TEST_TMP/follow" || fail "logs -f did not follow the next line"
	ctr_alive "$bg" || fail "logs -f ended while the container runs"
	# the container ends: so does logs -f, by itself
	: > "/proc/$pid/root/tmp/end"
	wait_for 15 ctr_dead "$bg" || fail "logs -f still runs after the container exited"
	wait "$bg" || fail "logs -f exited with status $?"
	expect_eq "$(tr '\n' ' ' < "$TEST_TMP/follow")" "first second third " "each line once, in order"
	# -f of an exited container: prints the log and returns
	expect_eq "$(timeout 10 "$CPOD" logs -f f | tr '\n' ' ')" "first second third "
	# -f with --tail
	expect_eq "$(timeout 10 "$CPOD" logs -f --tail 1 f)" third
}

test_logs_tail() {
	ctr_setup
	cpod run --name t busybox sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do echo "line $i"; done'
	expect_eq "$(cpod logs --tail 3 t | tr '\n' ' ')" "line 8 line 9 line 10 "
	expect_eq "$(cpod logs -n 1 t)" "line 10"
	expect_eq "$(cpod logs --tail 0 t)" ""
	expect_eq "$(cpod logs --tail 100 t | wc -l)" 10 "more than there is"
	expect_eq "$(cpod logs --tail all t | wc -l)" 10
	expect_eq "$(cpod logs --tail=2 t | tr '\n' ' ')" "line 9 line 10 "
	ctr_expect 125 cpod logs --tail x t
	expect_match "$ERR" 'tail'
}

# The timestamp of the log line with text TEXT (from logs -t).
logs_stamp() {
	cpod logs -t "$1" | awk -v t="$2" '{ s = $1; $1 = ""; if (substr($0, 2) == t) print s }'
}

test_logs_since_until() {
	ctr_setup
	local pid sa sb sc b_other b_unix_ns
	cpod run -d --name s busybox sh -c "$CUED" sh alpha beta gamma > /dev/null
	pid=$(ctr_pid s)
	# each line at its own time (the stamps have nanoseconds; 20 ms apart
	# at least, so that a millisecond rounding cannot mix them up)
	: > "/proc/$pid/root/tmp/go1"
	logs_await s '^alpha$'
	sleep 0.05
	: > "/proc/$pid/root/tmp/go2"
	logs_await s '^beta$'
	sleep 0.05
	: > "/proc/$pid/root/tmp/go3"
	logs_await s '^gamma$'
	sa=$(logs_stamp s alpha)
	sb=$(logs_stamp s beta)
	sc=$(logs_stamp s gamma)
	log "stamps: $sa $sb $sc"
	[[ "$sa" < "$sb" && "$sb" < "$sc" ]] || fail "the stamps are not increasing: $sa $sb $sc"
	expect_eq "$(cpod logs --since "$sb" s | tr '\n' ' ')" "beta gamma " "--since the stamp of beta"
	expect_eq "$(cpod logs --until "$sb" s | tr '\n' ' ')" "alpha beta " "--until the stamp of beta"
	expect_eq "$(cpod logs --since "$sb" --until "$sb" s)" beta "both"
	expect_eq "$(cpod logs --since "$sc" -t s | cut -d' ' -f1)" "$sc" "-t prints the same stamp"
	# the same instant written in another zone, and as a Unix time
	b_unix_ns=$(date -d "$sb" +%s.%N)
	b_other=$(TZ=Etc/GMT-2 date -d "@$b_unix_ns" +%Y-%m-%dT%H:%M:%S.%N+02:00)
	log "beta in +02:00: $b_other; as a Unix time: $b_unix_ns"
	if [ "$(cpod logs --since "$b_other" s | tr '\n' ' ')" != "beta gamma " ]; then
		fail "--since/--until compared as strings, not instants"
	fi
	expect_eq "$(cpod logs --since "$b_unix_ns" s | tr '\n' ' ')" "beta gamma " \
		"--since SECONDS.NANOSECONDS is a Unix time (as podman's)"
	expect_eq "$(cpod logs --since "$(( $(date +%s) + 3600 ))" s)" "" "--since an hour from now (a Unix time)"
	# durations are before now: everything is newer than an hour ago
	expect_eq "$(cpod logs --since 1h s | tr '\n' ' ')" "alpha beta gamma " "--since 1h"
	expect_eq "$(cpod logs --until 1h s)" "" "--until 1h"
	expect_eq "$(cpod logs --since 30m --until 0s s | tr '\n' ' ')" "alpha beta gamma "
	ctr_expect 125 cpod logs --since yesterday s
	expect_match "$ERR" 'since'
}

test_logs_timestamps() {
	ctr_setup
	local line prev=""
	cpod run --name ts busybox sh -c 'echo one; echo two >&2; echo three'
	expect_eq "$(cpod logs -t ts 2>&1 | wc -l)" 3
	while IFS= read -r line; do
		expect_match "$line" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}) (one|two|three)$' \
			"an RFC 3339 time, a space, the line"
		[[ -z "$prev" || ! "${line%% *}" < "$prev" ]] || fail "time goes back: $prev then ${line%% *}"
		prev=${line%% *}
	done < <(cpod logs -t ts 2>&1)
	# without -t: the bare lines (the order between stdout and stderr is
	# the order the supervisor read its two pipes: not the container's)
	expect_eq "$(cpod logs ts 2>&1 | sort | tr '\n' ' ')" "one three two "
	expect_eq "$(cpod logs ts 2> /dev/null | tr '\n' ' ')" "one three "
}

test_logs_partial_and_long_lines() {
	ctr_setup
	# no newline at the end: none added
	cpod run --name p busybox printf 'abc'
	cpod logs p > "$TEST_TMP/p"
	expect_eq "$(od -An -c "$TEST_TMP/p" | tr -s ' ')" " a b c" "the bytes as written"
	# a line longer than a pipe's buffer comes back whole, once
	cpod run --name long busybox sh -c 'head -c 300000 /dev/zero | tr "\0" x; echo; echo after'
	cpod logs long > "$TEST_TMP/long"
	expect_eq "$(wc -l < "$TEST_TMP/long")" 2 "two lines"
	expect_eq "$(head -n 1 "$TEST_TMP/long" | tr -d x | wc -c)" 1 "only x then a newline"
	expect_eq "$(head -n 1 "$TEST_TMP/long" | wc -c)" 300001 "the long line whole"
	expect_eq "$(tail -n 1 "$TEST_TMP/long")" after
	# a line written in pieces is one line
	cpod run --name pieces busybox sh -c 'printf "a"; sleep 0.1; printf "b"; sleep 0.1; echo c; echo d'
	expect_eq "$(cpod logs pieces | tr '\n' ' ')" "abc d "
	expect_eq "$(cpod logs --tail 1 pieces)" d "--tail counts lines, not pieces"
}

test_logs_rotation() {
	ctr_setup
	local lp size first
	cpod run --name rot --log-opt max-size=8k busybox sh -c \
		'i=0; while [ $i -lt 3000 ]; do i=$((i + 1)); echo "line $i"; done'
	lp=$(ctr_get rot '{{.LogPath}}')
	size=$(stat -c %s "$lp")
	log "log file: $size bytes; $(find "$(dirname "$lp")" -maxdepth 1 -name "*log*" | wc -l) log files"
	[ "$size" -le $((8192 + 200)) ] || fail "the log file is $size bytes with max-size=8k"
	cpod logs rot > "$TEST_TMP/all"
	expect_eq "$(tail -n 1 "$TEST_TMP/all")" "line 3000" "the last line is kept"
	first=$(head -n 1 "$TEST_TMP/all" | cut -d' ' -f2)
	[ "$first" -gt 1 ] || fail "nothing was rotated away (the first line is line $first)"
	# what is kept is contiguous: no line lost or repeated at the seam
	expect_eq "$(awk -v f="$first" '$2 != f + NR - 1 { print "gap at " NR ": " $0; exit }' "$TEST_TMP/all")" "" \
		"the kept lines follow each other"
	expect_eq "$(wc -l < "$TEST_TMP/all")" $((3000 - first + 1))
	ctr_expect 125 cpod run --rm --log-opt max-size=lots busybox true
	ctr_expect 125 cpod run --rm --log-opt nosuch=1 busybox true
}

test_logs_of_created_and_restarted() {
	ctr_setup
	cpod create --name c busybox sh -c 'echo "run"' > /dev/null
	expect_eq "$(cpod logs c)" "" "a created container has an empty log"
	local w
	cpod start c > /dev/null
	w=$(cpod wait c)
	[ "$w" = 0 ] || [ "$w" != 137 ] || fail "wait printed 137 for an exit 0"
	expect_eq "$w" 0 "wait"
	cpod start c > /dev/null
	w=$(cpod wait c)
	[ "$w" = 0 ] || [ "$w" != 137 ] || fail "wait printed 137 for an exit 0"
	expect_eq "$w" 0 "wait after a second start"
	expect_eq "$(cpod logs c | tr '\n' ' ')" "run run " "a second start appends to the log"
	cpod rm c > /dev/null
	ctr_expect 125 cpod logs c
}
