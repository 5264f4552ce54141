# shellcheck shell=bash
# shellcheck disable=SC2016 # $VARS in single quotes are for the container's shell
# registry_stress.sh — pulls under concurrency and crashes, from a real
# docker-registry: five pulls of one image at once into an empty store (all
# succeed, each layer stored once); `pull` killed with SIGKILL at random
# points (the blobs slowed down by the proxy so that the kills land in the
# middle of downloads and unpacking), after each of which `system check`
# finds the store consistent, and a last pull succeeds.
#
# CPOD_CRASH_N sets the number of kills (default 8).
# shellcheck disable=SC2034 # read by test/run
TIMEOUT=150

. "$SRCDIR/test/helpers/registry/reg.sh"

stress_setup() {
	reg_start plain
	reg_big_image "$TEST_TMP/lay" "$1"
	reg_push_layout "$TEST_TMP/lay:img" "127.0.0.1:$REG_PORT/big/img:1"
	reg_proxy "$REG_PORT" "${2:-"{}"}"
	REF=127.0.0.1:$PROXY_PORT/big/img:1
	reg_conf "$(printf '[[registry]]\nlocation = "127.0.0.1:%s"\ninsecure = true' "$PROXY_PORT")"
}

test_parallel_pulls_of_one_image() {
	reg_need
	stress_setup 8
	local i pids=() bad=0
	for i in 1 2 3 4 5; do
		"$CPOD" pull -q "$REF" > "$TEST_TMP/pull.$i.out" 2> "$TEST_TMP/pull.$i.err" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}" || { bad=$((bad + 1)); cat "$TEST_TMP/pull.$((i + 1)).err" >&2; }
	done
	expect_eq "$bad" 0 "five pulls at once succeed"
	local id
	id=$(reg_id "$REF")
	for i in 1 2 3 4 5; do
		expect_eq "$(cat "$TEST_TMP/pull.$i.out")" "$id" "pull $i printed the id"
	done
	log "blob GETs of the big layer: $(proxy_stat "[.requests[] | select(.kind == \"blob_get\" and
		(.path | endswith(\"$BIG_DIGEST\")))] | length")"
	expect_eq "$(cpod images -q | wc -l)" 1 "one image"
	expect_eq "$(find "$CPOD_ROOT/layers" -mindepth 1 -maxdepth 1 | wc -l)" 3 "three layers, once each"
	expect_eq "$(cpod run --rm "$REF" sh -c "md5sum /data/blob | cut -d' ' -f1")" "$BIG_SUM"
	reg_check_spotless
}

test_kill_pull_at_random_points() {
	reg_need
	# 8 MB at 6 MB/s: a pull lasts over a second, mostly downloading
	stress_setup 8 '{"throttle": 6000000}'
	local n=${CPOD_CRASH_N:-8} t0 t1 dur i delay pid st rc out
	t0=$(date +%s%N)
	cpod pull -q "$REF" > /dev/null
	t1=$(date +%s%N)
	dur=$(( (t1 - t0) / 1000000 ))
	log "one pull: $dur ms; $n kills spread over 0..$((dur * 11 / 10)) ms"
	cpod rmi "$REF" > /dev/null
	cpod system prune -a > /dev/null 2>&1 || true
	local killed=0 finished=0
	for i in $(seq 1 "$n"); do
		delay=$(( (RANDOM * 32768 + RANDOM) % (dur * 11 / 10 + 1) ))
		"$CPOD" pull -q "$REF" > /dev/null 2>&1 &
		pid=$!
		sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
		kill -KILL "$pid" 2> /dev/null || true
		st=0
		wait "$pid" 2> /dev/null || st=$?
		if [ "$st" = 137 ]; then killed=$((killed + 1)); else finished=$((finished + 1)); fi
		rc=0
		out=$("$CPOD" system check 2>&1) || rc=$?
		if [ "$rc" != 0 ] || printf '%s\n' "$out" | grep -q '^error:'; then
			printf '%s\n' "$out" >&2
			fail "kill $i after $delay ms (pull status $st): system check status $rc"
		fi
		if "$CPOD" image inspect "$REF" > /dev/null 2>&1; then
			expect_eq "$("$CPOD" run --rm "$REF" sh -c "md5sum /data/blob | cut -d' ' -f1")" \
				"$BIG_SUM" "kill $i: the image, if listed, is whole"
			"$CPOD" rmi "$REF" > /dev/null
		fi
		expect_eq "$(grep -cF "$TEST_TMP" /proc/self/mountinfo || true)" 0 "kill $i: no mount left"
	done
	log "$killed pulls killed, $finished finished first"
	[ "$killed" -ge $((n / 2)) ] || fail "only $killed of $n pulls were killed before they ended"
	# no process of a killed pull is left behind
	expect_eq "$(pgrep -f -- "pull -q $REF" || true)" "" "no process of a pull left"
	capture cpod pull -q "$REF"
	expect_eq "$STATUS" 0 "a pull after the kills"
	expect_eq "$(cpod run --rm "$REF" sh -c "md5sum /data/blob | cut -d' ' -f1")" "$BIG_SUM"
	reg_check_clean
	capture cpod system check --repair
	expect_eq "$STATUS" 0 "repair"
	reg_check_spotless
	expect_eq "$(find "$CPOD_ROOT/tmp" -mindepth 1 | wc -l)" 0 "tmp/ is empty after repair"
}
