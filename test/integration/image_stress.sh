# shellcheck shell=bash
# image_stress.sh — the store under concurrency and crashes: ten loads of
# one image into an empty store at once, then ten runs and ten loads of
# it at once; and `load` killed with SIGKILL at random points, many times,
# after each of which `system check` must find the store consistent (debris
# allowed, nothing broken), and a last load must succeed.
#
# CPOD_CRASH_N sets the number of kills (default 20).
# shellcheck disable=SC2034 # read by test/run
TIMEOUT=180

. "$SRCDIR/test/helpers/image.sh"

# stress_image: busybox, an 8 MB layer of incompressible data (so a load
# takes a while) and a small layer, gzip-compressed; "stress:1".
stress_image() {
	img_busybox_tar "$TEST_TMP/bb.tar"
	mkimage tars --gzip <<EOF
@ $TEST_TMP/big.tar
dir data
big data/blob 8000000
@ $TEST_TMP/small.tar
file data/small "small"
EOF
	mkimage docker-archive "$TEST_TMP/stress.tar" --gzip --layer "$TEST_TMP/bb.tar" \
		--layer "$TEST_TMP/big.tar" --layer "$TEST_TMP/small.tar" --tag stress:1 \
		--config '{"Cmd": ["sh"]}'
	STRESS_BLOB_SUM=$(tar -xOf "$TEST_TMP/big.tar" data/blob | md5sum | cut -d' ' -f1)
}

# stress_wait PIDS...: waits for each (in this shell: they are its
# children); STRESS_BAD gets how many failed.
stress_wait() {
	local p
	STRESS_BAD=0
	for p in "$@"; do
		wait "$p" || STRESS_BAD=$((STRESS_BAD + 1))
	done
}

test_parallel_loads_and_runs() {
	need_root
	stress_image
	local i pids=()
	# ten loads into an empty store: each layer unpacked once, all succeed
	for i in $(seq 1 10); do
		"$CPOD" load -i "$TEST_TMP/stress.tar" > "$TEST_TMP/load0.$i.out" 2>&1 &
		pids+=($!)
	done
	stress_wait "${pids[@]}"
	expect_eq "$STRESS_BAD" 0 "ten parallel loads succeed"
	for i in $(seq 1 10); do
		expect_eq "$(cat "$TEST_TMP/load0.$i.out")" "Loaded image: docker.io/library/stress:1" "load $i"
	done
	expect_eq "$(cpod images -q | wc -l)" 1 "one image"
	expect_eq "$(find "$CPOD_ROOT/layers" -mindepth 1 -maxdepth 1 | wc -l)" 3 "three layers, once each"
	img_check_spotless
	# ten runs and ten loads of it at once
	pids=()
	for i in $(seq 1 10); do
		"$CPOD" run --rm stress:1 sh -c "md5sum /data/blob | cut -d' ' -f1; cat /data/small; echo run $i" \
			> "$TEST_TMP/run.$i.out" 2>&1 &
		pids+=($!)
		"$CPOD" load -i "$TEST_TMP/stress.tar" > "$TEST_TMP/load.$i.out" 2>&1 &
		pids+=($!)
	done
	stress_wait "${pids[@]}"
	expect_eq "$STRESS_BAD" 0 "ten runs and ten loads at once succeed"
	for i in $(seq 1 10); do
		expect_eq "$(cat "$TEST_TMP/run.$i.out")" "$(printf '%s\nsmall\nrun %s' "$STRESS_BLOB_SUM" "$i")" "run $i"
		expect_eq "$(cat "$TEST_TMP/load.$i.out")" "Loaded image: docker.io/library/stress:1" "load $i"
	done
	expect_eq "$(cpod ps -a -q)" "" "no container left"
	expect_eq "$(grep -cF "$TEST_TMP" /proc/self/mountinfo || true)" 0 "no mount left"
	img_check_spotless
	# and ten named containers at once, then removed at once
	pids=()
	for i in $(seq 1 10); do
		"$CPOD" run --name "c$i" stress:1 true > /dev/null 2>&1 &
		pids+=($!)
	done
	stress_wait "${pids[@]}"
	expect_eq "$STRESS_BAD" 0 "ten named runs"
	expect_eq "$(cpod ps -a --format json | jq -r '[.[].Names[0]] | sort | join(" ")')" \
		"c1 c10 c2 c3 c4 c5 c6 c7 c8 c9"
	pids=()
	for i in $(seq 1 10); do
		"$CPOD" rm "c$i" > /dev/null 2>&1 &
		pids+=($!)
	done
	stress_wait "${pids[@]}"
	expect_eq "$STRESS_BAD" 0 "ten rm at once"
	expect_eq "$(cpod ps -a -q)" ""
	img_check_spotless
}

test_kill_load_at_random_points() {
	need_root
	stress_image
	local n=${CPOD_CRASH_N:-20} t0 t1 dur i delay pid st rc out
	# how long one load takes here, to spread the kills over it
	t0=$(date +%s%N)
	cpod load -i "$TEST_TMP/stress.tar" > /dev/null
	t1=$(date +%s%N)
	dur=$(( (t1 - t0) / 1000000 ))
	[ "$dur" -ge 20 ] || dur=20
	log "one load: $dur ms; $n kills spread over 0..$((dur * 11 / 10)) ms"
	cpod rmi stress:1 > /dev/null
	local killed=0 finished=0 garbage=0
	for i in $(seq 1 "$n"); do
		delay=$(( (RANDOM * 32768 + RANDOM) % (dur * 11 / 10 + 1) ))
		"$CPOD" load -i "$TEST_TMP/stress.tar" > /dev/null 2>&1 &
		pid=$!
		sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
		kill -KILL "$pid" 2> /dev/null || true
		st=0
		wait "$pid" 2> /dev/null || st=$?
		if [ "$st" = 137 ]; then killed=$((killed + 1)); else finished=$((finished + 1)); fi
		rc=0
		out=$("$CPOD" system check 2>&1) || rc=$?
		if [ "$rc" != 0 ] || grep -q '^error:' <<< "$out"; then
			printf '%s\n' "$out" >&2
			fail "kill $i after $delay ms (load status $st): system check status $rc"
		fi
		garbage=$((garbage + $(printf '%s\n' "$out" | grep -c '^garbage:' || true)))
		# the image is there complete, or not at all
		if "$CPOD" image inspect stress:1 > /dev/null 2>&1; then
			expect_eq "$("$CPOD" run --rm stress:1 sh -c "md5sum /data/blob | cut -d' ' -f1; cat /data/small")" \
				"$(printf '%s\nsmall' "$STRESS_BLOB_SUM")" "kill $i: the image, if listed, is whole"
			"$CPOD" rmi stress:1 > /dev/null
		fi
		expect_eq "$(grep -cF "$TEST_TMP" /proc/self/mountinfo || true)" 0 "kill $i: no mount left"
	done
	log "$killed loads killed, $finished finished first; $garbage garbage lines seen in all"
	[ "$killed" -ge $((n / 4)) ] || fail "only $killed of $n loads were killed before they ended"
	# a retry succeeds, the image works, and repair leaves nothing behind
	expect_eq "$(cpod load -i "$TEST_TMP/stress.tar")" "Loaded image: docker.io/library/stress:1" "retry"
	expect_eq "$(cpod run --rm stress:1 sh -c "md5sum /data/blob | cut -d' ' -f1")" "$STRESS_BLOB_SUM"
	img_check_clean
	capture cpod system check --repair
	expect_eq "$STATUS" 0 "repair"
	img_check_spotless
	expect_eq "$(find "$CPOD_ROOT/tmp" -mindepth 1 | wc -l)" 0 "tmp/ is empty after repair"
	expect_eq "$(cpod run --rm stress:1 cat /data/small)" small "still whole after repair"
}
