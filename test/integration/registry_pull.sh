# shellcheck shell=bash
# shellcheck disable=SC2016 # $VARS in single quotes are for the container's shell
# registry_pull.sh — `cpod-mini pull` from a real docker-registry on
# loopback (plain HTTP here; TLS in registry_tls.sh), of images that skopeo
# pushed (so cpod reads what another tool wrote): by tag and by digest, in
# Docker schema 2 and OCI formats; what the pulled image is in the store;
# errors that say what failed (404 naming the reference, connection refused,
# an unknown host); short names through registries.conf (search
# registries, a blocked registry, a mirror used first); and
# `run --pull=never|missing|always|newer`.

. "$SRCDIR/test/helpers/registry/reg.sh"

BB_CFG='{"Cmd": ["sh"], "Env": ["PATH=/bin", "HELLO=registry"], "Labels": {"pushed.by": "skopeo"}}'

# The config blob's digest in the registry: the id the image must get.
pull_config_digest() {
	reg_skopeo inspect --config --raw --tls-verify=false "docker://$1" |
		sha256sum | cut -d' ' -f1
}

test_pull_by_tag() {
	reg_need
	reg_start plain
	local ref=127.0.0.1:$REG_PORT/library/busybox:1.0 id
	reg_push_busybox "$ref" --config "$BB_CFG"
	capture cpod pull --tls-verify=false "$ref"
	expect_eq "$STATUS" 0 "pull by tag"
	id=$(reg_pulled_id)
	expect_eq "$id" "$(pull_config_digest "$ref")" "the id is the config's digest"
	expect_eq "$(reg_id "$ref")" "$id" "the image is stored under its name"
	local j
	j=$(cpod image inspect "$ref")
	expect_eq "$(jq -c '.[0].RepoTags' <<< "$j")" "[\"$ref\"]" "RepoTags"
	expect_match "$(jq -r '.[0].RepoDigests[]' <<< "$j")" \
		"^127\.0\.0\.1:$REG_PORT/library/busybox@$REG_MANIFEST_DIGEST\$" "RepoDigests name the manifest"
	expect_eq "$(jq -r '.[0].Digest' <<< "$j")" "$REG_MANIFEST_DIGEST" "Digest"
	expect_eq "$(jq -r '.[0].Architecture + "/" + .[0].Os' <<< "$j")" amd64/linux
	expect_eq "$(jq -r '.[0].Config.Labels["pushed.by"]' <<< "$j")" skopeo "labels kept"
	expect_eq "$(cpod run --rm "$ref" sh -c 'echo $HELLO; cat /etc/hostname >/dev/null')" registry \
		"the pulled image runs with its config"
	expect_eq "$(cpod images --format json | jq -r 'length')" 1 "one image"
	expect_eq "$(find "$CPOD_ROOT/layers" -mindepth 1 -maxdepth 1 | wc -l)" 1 "one layer, unpacked"
	reg_check_spotless
	# a second pull: the same id, no blob fetched again
	local blobs
	blobs=$(reg_log_count plain "\"GET /v2/library/busybox/blobs/$REG_LAYER_DIGEST")
	capture cpod pull --tls-verify=false "$ref"
	expect_eq "$STATUS" 0 "pull again"
	expect_eq "$(reg_pulled_id)" "$id" "same id"
	expect_eq "$(reg_log_count plain "\"GET /v2/library/busybox/blobs/$REG_LAYER_DIGEST")" "$blobs" \
		"the layer is not downloaded again"
	expect_eq "$(cpod images -q | wc -l)" 1 "still one image"
}

test_pull_quiet_prints_only_the_id() {
	reg_need
	reg_start plain
	local ref=127.0.0.1:$REG_PORT/quiet/busybox:latest
	reg_push_busybox "$ref"
	capture cpod pull -q --tls-verify=false "$ref"
	expect_eq "$STATUS" 0
	expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 1 "one line"
	expect_eq "$OUT" "$(pull_config_digest "$ref")" "the id"
	expect_no_match "$ERR" '[Cc]opying|[Bb]lob' "no progress with -q"
}

test_pull_by_digest() {
	reg_need
	reg_start plain
	local repo=127.0.0.1:$REG_PORT/library/busybox id
	reg_push_busybox "$repo:1.0" --config "$BB_CFG"
	local dig=$REG_MANIFEST_DIGEST
	capture cpod pull --tls-verify=false "$repo@$dig"
	expect_eq "$STATUS" 0 "pull by digest"
	id=$(reg_pulled_id)
	expect_eq "$id" "$(pull_config_digest "$repo:1.0")" "the id"
	expect_eq "$(reg_id "$repo@$dig")" "$id" "found by its digest"
	expect_match "$(cpod image inspect "$repo@$dig" | jq -r '.[0].RepoDigests[]')" "^$repo@$dig\$" \
		"RepoDigests"
	expect_no_match "$(cpod image inspect "$id" | jq -r '.[0].RepoTags[]?')" ':1\.0$' \
		"a pull by digest adds no tag"
	expect_eq "$(cpod run --rm "$repo@$dig" sh -c 'echo $HELLO')" registry "runs by digest"
	# tag and digest together: the digest decides
	capture cpod pull --tls-verify=false "$repo:1.0@$dig"
	expect_eq "$STATUS" 0 "pull by tag@digest"
	expect_eq "$(reg_pulled_id)" "$id"
	# a digest the registry does not have
	local bad
	bad=sha256:$(printf 'x' | sha256sum | cut -d' ' -f1)
	capture cpod pull --tls-verify=false "$repo@$bad"
	expect_eq "$STATUS" 125 "an unknown digest"
	expect_match "$ERR" "${bad#sha256:}" "the error names the digest"
	reg_check_spotless
}

test_pull_docker_and_oci_formats() {
	reg_need
	reg_start plain
	local repo=127.0.0.1:$REG_PORT/formats/busybox
	reg_push_busybox "$repo:docker" --config '{"Cmd": ["sh"], "Env": ["FMT=docker"]}' --format v2s2
	reg_push_busybox "$repo:oci" --config '{"Cmd": ["sh"], "Env": ["FMT=oci"]}' --format oci
	local t mt
	for t in docker oci; do
		mt=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
			-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
			"http://127.0.0.1:$REG_PORT/v2/formats/busybox/manifests/$t" | jq -r .mediaType)
		log "$t: $mt"
		capture cpod pull -q --tls-verify=false "$repo:$t"
		expect_eq "$STATUS" 0 "pull of the $t manifest ($mt)"
		expect_eq "$(cpod run --rm "$repo:$t" sh -c 'echo $FMT')" "$t"
	done
	expect_eq "$(find "$CPOD_ROOT/layers" -mindepth 1 -maxdepth 1 | wc -l)" 1 \
		"the shared layer is stored once"
	reg_check_spotless
}

test_not_found_names_the_reference() {
	reg_need
	reg_start plain
	reg_push_busybox "127.0.0.1:$REG_PORT/library/busybox:1.0"
	local ref
	for ref in "127.0.0.1:$REG_PORT/library/busybox:nosuchtag" \
		"127.0.0.1:$REG_PORT/no/such/repo:1"; do
		capture cpod pull --tls-verify=false "$ref"
		expect_eq "$STATUS" 125 "pull of $ref"
		expect_match "$ERR" "$ref" "the error names the reference"
		expect_match "${ERR,,}" 'not found|unknown|404' "and says it is not there"
		expect_no_match "$ERR" 'cpod-mini login' "a 404 is not an authentication problem"
	done
	expect_eq "$(cpod images -q)" "" "nothing stored"
	reg_check_spotless
}

test_connection_refused_is_clear() {
	reg_need
	local port t0 t1
	# a port on which nothing listens (taken, then closed)
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	t0=$(date +%s)
	capture cpod pull --tls-verify=false "127.0.0.1:$port/library/busybox:1"
	t1=$(date +%s)
	expect_eq "$STATUS" 125
	expect_match "$ERR" "127\.0\.0\.1:$port" "names the address"
	expect_match "${ERR,,}" 'connection refused|refused' "says it was refused"
	[ $((t1 - t0)) -le 10 ] || fail "took $((t1 - t0)) s to give up on a refused connection"
	expect_eq "$(cpod images -q)" ""
}

# An unknown host: resolved with the test's own resolv.conf against a DNS
# server that answers NXDOMAIN, in a private network namespace (only its
# loopback: no query can leave the machine).
test_unknown_host_is_clear() {
	reg_need
	need unshare ip
	local d=$TEST_TMP/dns
	mkdir -p "$d"
	printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n' > "$d/resolv.conf"
	# shellcheck disable=SC2016 # expanded by the inner shell
	CPOD_RESOLV_CONF=$d/resolv.conf DNS_DIR=$d NXDNS=$REG_HELPERS/nxdns.py \
		unshare -n bash -c '
		ip link set lo up
		/usr/bin/python3 "$NXDNS" --log "$DNS_DIR/queries" --ready "$DNS_DIR/ready" &
		pid=$!
		for i in $(seq 1 100); do [ -s "$DNS_DIR/ready" ] && break; sleep 0.05; done
		rc=0
		"$CPOD_BIN" pull --tls-verify=false nosuch.test/library/busybox:1 \
			> "$DNS_DIR/out" 2> "$DNS_DIR/err" || rc=$?
		echo "$rc" > "$DNS_DIR/rc"
		kill "$pid"; wait "$pid" 2>/dev/null
		true'
	log "stderr: $(cat "$d/err")"
	expect_eq "$(cat "$d/rc")" 125 "pull from an unknown host"
	expect_match "$(cat "$d/err")" 'nosuch\.test' "the error names the host"
	expect_match "$(tr '[:upper:]' '[:lower:]' < "$d/err")" 'unknown|not found|no such|nxdomain|resolve' \
		"and says it is unknown"
	expect_match "$(cat "$d/queries" 2>/dev/null)" '^nosuch\.test$' \
		"the test's resolver was asked (CPOD_RESOLV_CONF)"
}

# A plain-HTTP registry needs --tls-verify=false or insecure = true in
# registries.conf (as podman): cpod does not fall back to HTTP by itself.
test_plain_http_needs_consent() {
	reg_need
	reg_start plain
	local ref=127.0.0.1:$REG_PORT/library/busybox:1.0
	reg_push_busybox "$ref"
	capture cpod pull "$ref"
	expect_ne "$STATUS" 0 "no silent fallback to HTTP"
	expect_match "${ERR,,}" 'tls|https|handshake|certificate' "says TLS failed"
	expect_eq "$(cpod images -q)" ""
	reg_conf "$(printf 'unqualified-search-registries = []\n[[registry]]\nlocation = "127.0.0.1:%s"\ninsecure = true' "$REG_PORT")"
	capture cpod pull -q "$ref"
	expect_eq "$STATUS" 0 "insecure = true in registries.conf"
	reg_check_spotless
}

# Short names: unqualified-search-registries are tried in order; the first
# that has the image wins, and the image is named after it.
test_short_name_from_search_registries() {
	reg_need
	reg_start empty
	local empty=$REG_PORT
	reg_start full
	local full=$REG_PORT
	reg_push_busybox "127.0.0.1:$full/busybox:1.0" --config '{"Cmd": ["sh"], "Env": ["WHERE=full"]}'
	reg_conf "$(cat <<EOF
unqualified-search-registries = ["127.0.0.1:$empty", "127.0.0.1:$full"]
short-name-mode = "permissive"
[[registry]]
location = "127.0.0.1:$empty"
insecure = true
[[registry]]
location = "127.0.0.1:$full"
insecure = true
EOF
)"
	capture cpod pull busybox:1.0
	expect_eq "$STATUS" 0 "a short name"
	expect_eq "$(cpod images --format json | jq -r '.[0].RepoTags[0]')" "127.0.0.1:$full/busybox:1.0" \
		"named after the registry that had it"
	[ "$(reg_log_count empty 'GET /v2/busybox/manifests/1\.0')" -ge 1 ] ||
		fail "the first search registry was not asked"
	expect_eq "$(cpod run --rm busybox:1.0 sh -c 'echo $WHERE')" full "the short name resolves locally"
	# a short name no search registry has: the error names what was tried
	capture cpod pull nosuch:1
	expect_eq "$STATUS" 125
	expect_match "$ERR" "127\.0\.0\.1:$empty" "names the first registry tried"
	expect_match "$ERR" "127\.0\.0\.1:$full" "and the second"
	reg_check_spotless
}

test_blocked_registry_is_refused() {
	reg_need
	reg_start plain
	local ref=127.0.0.1:$REG_PORT/library/busybox:1.0 before
	reg_push_busybox "$ref"
	reg_conf "$(printf '[[registry]]\nlocation = "127.0.0.1:%s"\ninsecure = true\nblocked = true' "$REG_PORT")"
	before=$(reg_log_count plain .)
	capture cpod pull "$ref"
	expect_eq "$STATUS" 125 "pull from a blocked registry"
	expect_match "${ERR,,}" 'blocked' "says it is blocked"
	expect_match "$ERR" "127\.0\.0\.1:$REG_PORT" "names the registry"
	expect_eq "$(reg_log_count plain .)" "$before" "the registry never heard from cpod"
	expect_eq "$(cpod images -q)" "" "nothing pulled"
	# (blocked = true is about pulling, as in podman: pushes are not refused)
}

# A mirror of registries.conf is tried first; the primary location only when
# the mirror does not have the image.  The image keeps the primary's name.
test_mirror_is_used_first() {
	reg_need
	reg_start primary
	local primary=$REG_PORT
	reg_start mirror
	local mirror=$REG_PORT
	reg_proxy "$primary"
	local name=127.0.0.1:$PROXY_PORT/library/busybox
	reg_push_busybox "$name:1.0" --config '{"Cmd": ["sh"], "Env": ["WHERE=primary"]}'
	reg_push_busybox "$name:2.0" --config '{"Cmd": ["sh"], "Env": ["WHERE=primary"]}'
	reg_push_busybox "127.0.0.1:$mirror/library/busybox:1.0" \
		--config '{"Cmd": ["sh"], "Env": ["WHERE=mirror"]}'
	reg_conf "$(cat <<EOF
[[registry]]
location = "127.0.0.1:$PROXY_PORT"
insecure = true
[[registry.mirror]]
location = "127.0.0.1:$mirror"
insecure = true
EOF
)"
	proxy_reset
	capture cpod pull "$name:1.0"
	expect_eq "$STATUS" 0 "pull through the mirror"
	expect_eq "$(cpod run --rm "$name:1.0" sh -c 'echo $WHERE')" mirror "the mirror's image"
	expect_eq "$(proxy_stat '.manifest_get + .blob_get')" 0 "the primary was not used"
	expect_eq "$(cpod image inspect "$name:1.0" | jq -r '.[0].RepoTags[0]')" "$name:1.0" \
		"named as asked, not after the mirror"
	# 2.0 is not on the mirror: the primary gives it
	capture cpod pull "$name:2.0"
	expect_eq "$STATUS" 0 "fallback to the primary"
	expect_eq "$(cpod run --rm "$name:2.0" sh -c 'echo $WHERE')" primary
	[ "$(reg_log_count mirror 'GET /v2/library/busybox/manifests/2\.0')" -ge 1 ] ||
		fail "the mirror was not asked for 2.0 first"
	# the mirror down: the primary
	reg_stop mirror
	cpod rmi "$name:1.0" > /dev/null
	capture cpod pull "$name:1.0"
	expect_eq "$STATUS" 0 "the mirror is down"
	expect_eq "$(cpod run --rm "$name:1.0" sh -c 'echo $WHERE')" primary
	reg_check_clean
}

# run --pull: never (no request), missing (pull once), always (ask the
# registry every time), newer (pull when the registry's differs).
test_run_pull_policies() {
	reg_need
	reg_start plain
	reg_proxy "$REG_PORT"
	local ref=127.0.0.1:$PROXY_PORT/library/busybox:v
	reg_conf "$(printf '[[registry]]\nlocation = "127.0.0.1:%s"\ninsecure = true' "$PROXY_PORT")"
	reg_push_busybox "$ref" --config '{"Cmd": ["sh"], "Env": ["VERSION=1"]}'
	local v='echo $VERSION'
	proxy_reset
	capture cpod run --rm --pull=never "$ref" sh -c "$v"
	expect_eq "$STATUS" 125 "--pull=never without the image"
	expect_match "${ERR,,}" 'not found|no such|not known|unknown' "says why"
	expect_eq "$(proxy_stat '.requests | length')" 0 "--pull=never asks nothing"
	capture cpod run --rm --pull=missing "$ref" sh -c "$v"
	expect_eq "$STATUS" 0 "--pull=missing pulls"
	expect_eq "$(tail -n 1 <<< "$OUT")" 1
	[ "$(proxy_stat .blob_get)" -ge 1 ] || fail "--pull=missing downloaded nothing"
	proxy_reset
	expect_eq "$(cpod run --rm --pull=missing "$ref" sh -c "$v")" 1
	expect_eq "$(proxy_stat '.requests | length')" 0 "--pull=missing with the image asks nothing"
	# the tag moves on the registry
	reg_push_busybox "$ref" --config '{"Cmd": ["sh"], "Env": ["VERSION=2"]}' \
		--created 2025-01-01T00:00:00Z
	proxy_reset
	expect_eq "$(cpod run --rm --pull=missing "$ref" sh -c "$v")" 1 "--pull=missing keeps the old"
	expect_eq "$(cpod run --rm --pull=never "$ref" sh -c "$v")" 1 "--pull=never too"
	expect_eq "$(proxy_stat '.requests | length')" 0
	capture cpod run --rm --pull=newer "$ref" sh -c "$v"
	expect_eq "$STATUS" 0 "--pull=newer"
	expect_eq "$(tail -n 1 <<< "$OUT")" 2 "--pull=newer takes the moved tag"
	proxy_reset
	capture cpod run --rm --pull=newer "$ref" sh -c "$v"
	expect_eq "$(tail -n 1 <<< "$OUT")" 2
	[ "$(proxy_stat '.manifest_get + .manifest_head')" -ge 1 ] || fail "--pull=newer did not ask"
	expect_eq "$(proxy_stat .blob_get)" 0 "--pull=newer, up to date: nothing downloaded"
	proxy_reset
	capture cpod run --rm --pull=always "$ref" sh -c "$v"
	expect_eq "$STATUS" 0 "--pull=always"
	expect_eq "$(tail -n 1 <<< "$OUT")" 2
	[ "$(proxy_stat '.manifest_get + .manifest_head')" -ge 1 ] || fail "--pull=always did not ask"
	expect_eq "$(proxy_stat .blob_get)" 0 "--pull=always, up to date: no blob again"
	# always, with the registry gone: an error, not the stale image
	capture cpod run --rm --pull=bogus "$ref" true
	expect_eq "$STATUS" 125 "an unknown policy"
	reg_stop plain
	capture cpod run --rm --pull=always "$ref" sh -c "$v"
	expect_eq "$STATUS" 125 "--pull=always fails when the registry is gone"
	reg_check_clean
}
