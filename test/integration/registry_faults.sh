# shellcheck shell=bash
# shellcheck disable=SC2016 # $VARS in single quotes are for the container's shell
# registry_faults.sh — faults a real registry never makes, made by the
# fault-injecting proxy (test/helpers/registry/fault-proxy.py) between cpod
# and a real docker-registry: a connection dropped in the middle of a layer
# (the pull resumes with a Range request, it does not start over), a
# corrupted blob (refused: digest mismatch, nothing stored, the store
# consistent, a later pull fine), a blob redirected to another host
# (127.0.0.2: followed, without the registry's credentials), a registry
# answering 500.
# shellcheck disable=SC2034 # read by test/run
TIMEOUT=150

. "$SRCDIR/test/helpers/registry/reg.sh"

# faults_setup MB [FAULTS_JSON]: a registry with the big image (busybox, MB
# of random data in /data/blob, a small layer) pushed by skopeo as big/img:1,
# the proxy in front of it (marked insecure in registries.conf); sets REF
# (through the proxy).
faults_setup() {
	reg_start plain
	reg_big_image "$TEST_TMP/lay" "$1"
	reg_push_layout "$TEST_TMP/lay:img" "127.0.0.1:$REG_PORT/big/img:1"
	reg_proxy "$REG_PORT" "${2:-"{}"}"
	REF=127.0.0.1:$PROXY_PORT/big/img:1
	reg_conf "$(printf '[[registry]]\nlocation = "127.0.0.1:%s"\ninsecure = true' "$PROXY_PORT")"
}

# faults_blob_gets DIGEST: the proxy's GETs of that blob, one JSON per line.
faults_blob_gets() {
	proxy_stat ".requests[] | select(.method == \"GET\" and (.path | endswith(\"$1\")))
		| {kind, range, status, dropped_after} | tojson"
}

test_dropped_connection_resumes() {
	reg_need
	faults_setup 6 '{"drop_after": 2000000}'
	capture cpod pull "$REF"
	local gets
	gets=$(faults_blob_gets "$BIG_DIGEST")
	log "GETs of the big layer: $gets"
	expect_eq "$STATUS" 0 "the pull survives a dropped connection"
	expect_eq "$(proxy_stat .dropped)" 1 "the proxy dropped one connection"
	expect_eq "$(printf '%s\n' "$gets" | jq -r 'select(.kind == "blob_get") | .status' | wc -l)" 1 \
		"the big layer is not downloaded from the start again"
	local range
	range=$(printf '%s\n' "$gets" | jq -r 'select(.kind == "blob_range_get") | .range' | head -n 1)
	[[ "$range" =~ ^bytes=([0-9]+)- ]] || fail "no resumed Range request (GETs: $gets)"
	if [ "${BASH_REMATCH[1]}" -le 0 ] || [ "${BASH_REMATCH[1]}" -gt 2000000 ]; then
		fail "resumed at ${BASH_REMATCH[1]}, not after what had arrived"
	fi
	expect_eq "$(cpod run --rm "$REF" sh -c "md5sum /data/blob | cut -d' ' -f1")" "$BIG_SUM" \
		"the layer is whole"
	reg_check_spotless
}

# Two corruptions of the big layer: a byte of the gzip header's MTIME, which
# decompresses fine and only the blob's sha256 reveals (digest mismatch),
# and a byte in the middle of the deflate stream (gzip fails, or the
# digest).  Both refused, naming the blob by its digest in the registry.
test_corrupted_blob_is_refused() {
	reg_need
	faults_setup 2
	local at
	for at in 4 null; do
		proxy_config "{\"corrupt\": \"$BIG_DIGEST\", \"corrupt_at\": $at}"
		capture cpod pull "$REF"
		expect_eq "$STATUS" 125 "a corrupted blob (byte at ${at/null/the middle})"
		[ "$(proxy_stat .corrupted)" -ge 1 ] || fail "the proxy corrupted nothing"
		expect_match "$ERR" "${BIG_DIGEST:7:12}" "the error names the blob by its digest"
		if [ "$at" = 4 ]; then
			expect_match "${ERR,,}" 'digest|mismatch|checksum|verif' "and says why"
		fi
		expect_eq "$(cpod images -q)" "" "no image stored"
		reg_check_clean
	done
	# nothing of the corrupted layer was kept as if it were good
	proxy_config '{}'
	capture cpod pull "$REF"
	expect_eq "$STATUS" 0 "the same pull without the fault"
	expect_eq "$(cpod run --rm "$REF" sh -c "md5sum /data/blob | cut -d' ' -f1")" "$BIG_SUM"
	capture cpod system check --repair
	reg_check_spotless
}

# A blob answered with a redirect to another host (as registries backed by
# object storage do): followed, and the registry's credentials stay with the
# registry (the other host must see no Authorization header).
test_redirect_to_another_host_drops_credentials() {
	reg_need
	need htpasswd
	reg_start_basic basic
	reg_big_image "$TEST_TMP/lay" 1
	reg_push_layout "$TEST_TMP/lay:img" "127.0.0.1:$REG_PORT/private/img:1" \
		--dest-creds alice:wonderland
	reg_proxy "$REG_PORT" '{"redirect": true}'
	REF=127.0.0.1:$PROXY_PORT/private/img:1
	reg_conf "$(printf '[[registry]]\nlocation = "127.0.0.1:%s"\ninsecure = true' "$PROXY_PORT")"
	capture cpod pull --creds alice:wonderland "$REF"
	log "proxy: $(proxy_stat 'del(.requests)' | jq -c .)"
	expect_eq "$STATUS" 0 "pull with redirected blobs"
	[ "$(proxy_stat .redirected)" -ge 4 ] || fail "fewer redirects than blobs (config + 3 layers)"
	expect_eq "$(proxy_stat .redirect_get)" "$(proxy_stat .redirected)" "every redirect followed"
	expect_eq "$(proxy_stat .redirect_auth)" 0 "no credentials sent to the other host"
	expect_eq "$(cpod run --rm "$REF" sh -c "md5sum /data/blob | cut -d' ' -f1")" "$BIG_SUM"
	reg_check_spotless
}

test_server_error_is_reported() {
	reg_need
	faults_setup 1 '{"status": {"blob": 500}}'
	local t0 t1
	t0=$(date +%s)
	capture cpod pull "$REF"
	t1=$(date +%s)
	expect_eq "$STATUS" 125 "blobs answered 500"
	expect_match "$ERR" '500' "the error gives the status"
	expect_match "$ERR" "$REF|127\.0\.0\.1:$PROXY_PORT" "and the registry"
	[ $((t1 - t0)) -le 60 ] || fail "took $((t1 - t0)) s to give up"
	expect_eq "$(cpod images -q)" ""
	reg_check_clean
}

# A store on a file system that fills up in the middle of the big layer (a
# small tmpfs, mounted in a private mount namespace): the pull fails saying
# the disk is full, and the store is as it was: no image, consistent.
test_disk_full_leaves_the_store_as_it_was() {
	reg_need
	need unshare
	faults_setup 12
	local d=$TEST_TMP/small out
	mkdir -p "$d"
	# shellcheck disable=SC2016 # expanded by the inner shell
	out=$(unshare -m --propagation private bash -c '
		mount -t tmpfs -o size=9m tmpfs "$1" || exit 99
		export CPOD_ROOT=$1/root CPOD_RUNROOT=$1/run
		"$2" pull "$3" > "$1/../pull.out" 2> "$1/../pull.err"
		echo "status $?"
		echo "images [$("$2" images -q)]"
		"$2" system check 2>&1 | sed "s/^/check: /"
		echo "check status ${PIPESTATUS[0]}"
	' full "$d" "$CPOD" "$REF" 2>&1)
	log "$out"
	log "pull stderr: $(cat "$TEST_TMP/pull.err")"
	expect_match "$out" '^status 125$' "the pull fails"
	expect_match "$(cat "$TEST_TMP/pull.err")" 'disk is full|No space left' "says the disk is full"
	expect_match "$out" '^images \[\]$' "no image stored"
	expect_match "$out" '^check status 0$' "system check is happy"
	expect_no_match "$out" '^check: error' "no inconsistency"
	expect_eq "$(findmnt -n "$d" || true)" "" "the tmpfs was only in the namespace"
}
