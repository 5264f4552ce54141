# shellcheck shell=bash
# shellcheck disable=SC2034 # REG_*, BIG_*, TOKEN_* are for the tests
# reg.sh — what the registry tests (test/integration/registry_*.sh) share:
# a real docker-registry started per test (test/helpers/registry/registry),
# certificates (certs.sh), the bearer-token server (token-server.py), the
# fault-injecting proxy (fault-proxy.py), images made by hand (mkoci.py)
# and pushed by skopeo or by cpod itself, and the environment that keeps
# cpod, skopeo and podman off the host's files and off the network.
# Sourced after lib.sh.
#
# Every server is started by the test's own shell, on 127.0.0.1 (and
# 127.0.0.2 for the proxy's "other host") on a free port, and stopped by a
# cleanup the start registers, by its pid.  Nothing leaves this machine:
# cpod resolves with the test's own resolv.conf and hosts (CPOD_RESOLV_CONF,
# CPOD_HOSTS) and only loopback addresses are ever used.

REG_HELPERS=$SRCDIR/test/helpers/registry

# ------------------------------------------------------------------ set-up

# reg_env: the test's own configuration files, run at source time.
# registries.conf with no search registry, an empty certs.d, an auth file
# in $TEST_TMP, a resolver pointing at loopback (no DNS query leaves the
# machine), hosts naming only loopback, no proxy variables, and HOME and
# XDG_RUNTIME_DIR in $TEST_TMP (auth.json and docker's config.json are
# looked for there too).
reg_env() {
	local d=$TEST_TMP/reg-env
	mkdir -p "$d/certs.d" "$d/home" "$d/xdg"
	chmod 0700 "$d/xdg"
	printf 'unqualified-search-registries = []\n' > "$d/registries.conf"
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > "$d/resolv.conf"
	printf '127.0.0.1 localhost registry.test\n::1 localhost\n' > "$d/hosts"
	export CONTAINERS_REGISTRIES_CONF=$d/registries.conf
	export REGISTRY_AUTH_FILE=$d/auth.json
	export CPOD_CERTS_DIR=$d/certs.d
	export CPOD_RESOLV_CONF=$d/resolv.conf CPOD_HOSTS=$d/hosts
	export HOME=$d/home XDG_RUNTIME_DIR=$d/xdg XDG_CONFIG_HOME=$d/home/.config
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
	unset DOCKER_CONFIG REGISTRY_CONFIG
	REG_CONF=$d/registries.conf
}

# reg_need: skips the test unless the registry tools are installed (and it
# runs as root: pulled images are run).
reg_need() {
	need_root
	need docker-registry skopeo curl jq openssl
}

# reg_conf TEXT: replaces the test's registries.conf.
reg_conf() {
	printf '%s\n' "$1" > "$REG_CONF"
}

# reg_certs: makes the certificates once per test (certs.sh) in
# $REG_CERTS.
reg_certs() {
	REG_CERTS=$TEST_TMP/certs
	[ -e "$REG_CERTS/token.crt" ] && return 0
	"$REG_HELPERS/certs.sh" "$REG_CERTS"
}

# reg_trust HOSTPORT [CLIENT]: puts the test CA in certs.d for HOSTPORT
# (CPOD_CERTS_DIR/HOSTPORT/ca.crt), and with CLIENT the client certificate
# and key (client.cert, client.key) too.
reg_trust() {
	local d=$CPOD_CERTS_DIR/$1
	reg_certs
	mkdir -p "$d"
	cp "$REG_CERTS/ca.crt" "$d/ca.crt"
	if [ -n "${2:-}" ]; then
		cp "$REG_CERTS/client.cert" "$REG_CERTS/client.key" "$d/"
	fi
}

# reg_start NAME [registry start OPTIONS...]: starts a registry whose
# directory is $TEST_TMP/reg-NAME (reused: the same content when started
# again) and sets REG_PORT and REG_DIR; stopped when the test ends.
reg_start() {
	local name=$1
	shift
	REG_DIR=$TEST_TMP/reg-$name
	REG_PORT=$("$REG_HELPERS/registry" start "$REG_DIR" "$@")
	echo "$REG_PORT" > "$REG_DIR/port"
	cleanup_add "$REG_HELPERS/registry" stop "$REG_DIR"
	log "registry $name on 127.0.0.1:$REG_PORT ($*)"
}

# reg_stop NAME
reg_stop() {
	"$REG_HELPERS/registry" stop "$TEST_TMP/reg-$1"
}

# reg_htpasswd FILE USER PASSWORD...: a bcrypt htpasswd file (htpasswd -B).
reg_htpasswd() {
	local f=$1
	shift
	: > "$f"
	while [ $# -ge 2 ]; do
		htpasswd -Bbn "$1" "$2" | sed '/^$/d' >> "$f"
		shift 2
	done
}

# reg_start_basic NAME [--tls]: a registry with htpasswd basic auth, users
# alice:wonderland and bob:builder; with --tls over HTTPS (server.crt).
reg_start_basic() {
	local name=$1 tls=()
	reg_certs
	[ "${2:-}" = --tls ] && tls=(--tls "$REG_CERTS/server.crt" "$REG_CERTS/server.key")
	reg_htpasswd "$TEST_TMP/htpasswd" alice wonderland bob builder
	reg_start "$name" "${tls[@]}" --htpasswd "$TEST_TMP/htpasswd"
}

# reg_wait_file FILE PID: waits for the port file of server PID.
reg_wait_file() {
	local f=$1 pid=$2 i
	for i in $(seq 1 100); do
		[ -s "$f" ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# reg_kill PID: stops a helper server this test started.
reg_kill() {
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq 1 40); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$1" 2>/dev/null || true
}

# reg_token_server [token-server.py OPTIONS...]: starts the token server
# (users alice:wonderland may pull and push, reader:books may pull) and
# sets TOKEN_PORT, TOKEN_LOG and TOKEN_REALM.  Then reg_start_token NAME
# starts a registry that trusts it.
reg_token_server() {
	reg_certs
	local d=$TEST_TMP/token
	mkdir -p "$d"
	printf 'alice:wonderland:pull,push\nreader:books:pull\n' > "$d/users"
	TOKEN_LOG=$d/log
	: > "$TOKEN_LOG"
	rm -f "$d/port"
	/usr/bin/python3 "$REG_HELPERS/token-server.py" --port-file "$d/port" \
		--key "$REG_CERTS/token.key" --cert "$REG_CERTS/token.crt" --users "$d/users" \
		--log "$TOKEN_LOG" "$@" > "$d/out" 2>&1 &
	local pid=$!
	cleanup_add "reg_kill $pid"
	reg_wait_file "$d/port" "$pid" || { cat "$d/out" >&2; fail "the token server did not start"; }
	TOKEN_PORT=$(cat "$d/port")
	TOKEN_REALM=http://127.0.0.1:$TOKEN_PORT/token
	log "token server on 127.0.0.1:$TOKEN_PORT ($*)"
}

# reg_start_token NAME [registry OPTIONS...]
reg_start_token() {
	local name=$1
	shift
	reg_start "$name" "$@" --token "$TOKEN_REALM" cpod-test-registry cpod-test-issuer \
		"$REG_CERTS/token.crt"
}

# token_count: how many tokens the token server issued.
token_count() {
	curl -sf "http://127.0.0.1:$TOKEN_PORT/stats" | jq -r .tokens
}

# reg_proxy UPSTREAM_PORT [FAULTS_JSON]: starts the fault-injecting proxy in
# front of 127.0.0.1:UPSTREAM_PORT and sets PROXY_PORT (its main listener
# on 127.0.0.1) and PROXY_RPORT (the "other host", 127.0.0.2); each request
# is also logged, one JSON line, in the proxy's directory.
reg_proxy() {
	local up=$1 cfg=${2:-"{}"} d
	d=$(mktemp -d "$TEST_TMP/proxy.XXXX")
	/usr/bin/python3 "$REG_HELPERS/fault-proxy.py" --upstream "127.0.0.1:$up" \
		--port-file "$d/port" --config "$cfg" --log "$d/log" > "$d/out" 2>&1 &
	local pid=$!
	cleanup_add "reg_kill $pid"
	reg_wait_file "$d/port" "$pid" || { cat "$d/out" >&2; fail "the proxy did not start"; }
	read -r PROXY_PORT PROXY_RPORT < "$d/port"
	log "proxy on 127.0.0.1:$PROXY_PORT (other host 127.0.0.2:$PROXY_RPORT) -> $up: $cfg"
}

# proxy_config JSON: replaces the proxy's faults.
proxy_config() {
	curl -sf -X POST --data-binary "$1" "http://127.0.0.1:$PROXY_PORT/__proxy/config" >/dev/null
}

# proxy_reset: zeroes the proxy's counters.
proxy_reset() {
	curl -sf -X POST --data-binary '{}' "http://127.0.0.1:$PROXY_PORT/__proxy/reset" >/dev/null
}

# proxy_stat FILTER: a jq filter over the proxy's counters (proxy_stat
# .blob_get).
proxy_stat() {
	curl -sf "http://127.0.0.1:$PROXY_PORT/__proxy/stats" | jq -r "$1"
}

# ------------------------------------------------------------------ images

# reg_rootfs [ARCH]: the cached busybox rootfs of ARCH (amd64 default);
# skips the test when there is none for arm64.
reg_rootfs() {
	local arch=${1:-amd64} out
	if ! out=$("$FIXTURES/busybox-rootfs-cache" "$arch" 2> "$TEST_TMP/fixture.err"); then
		cat "$TEST_TMP/fixture.err" >&2
		[ "$arch" = amd64 ] && fail "no busybox fixture"
		skip "no $arch busybox-static (make deps adds the arm64 architecture)"
	fi
	printf '%s\n' "$out"
}

# mkoci ARGS...: test/helpers/registry/mkoci.py (see its top).
mkoci() {
	/usr/bin/python3 "$REG_HELPERS/mkoci.py" "$@"
}

# reg_busybox_layer OUT [ARCH]: the busybox rootfs as one gzip layer (kept
# for the test: made once).
reg_busybox_layer() {
	[ -s "$1" ] && return 0
	mkoci layer "$1" --gzip --tree "$(reg_rootfs "${2:-amd64}")"
}

# reg_digest FILE: sha256:HEX of FILE.
reg_digest() {
	echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"
}

# reg_diff_id FILE: sha256 of FILE's uncompressed content.
reg_diff_id() {
	mkoci digest "$1" | cut -d' ' -f2
}

# reg_skopeo ARGS...: skopeo with its state in $TEST_TMP (treated as
# rootless so that its caches stay there), a policy that accepts anything,
# the test's registries.conf and auth file.
reg_skopeo() {
	local h=$TEST_TMP/skopeo-home
	if [ ! -e "$h/policy.json" ]; then
		mkdir -p "$h/tmp"
		echo '{"default": [{"type": "insecureAcceptAnything"}]}' > "$h/policy.json"
	fi
	_CONTAINERS_ROOTLESS_UID=65534 HOME=$h XDG_DATA_HOME=$h/data XDG_CONFIG_HOME=$h/config \
		TMPDIR=$h/tmp skopeo --policy "$h/policy.json" "$@"
}

# reg_push_layout LAYOUT:REF DEST [skopeo copy OPTIONS...]: skopeo pushes an
# OCI layout (mkoci layout) to docker://DEST, over plain HTTP unless the
# options say otherwise.
reg_push_layout() {
	local src=$1 dest=$2
	shift 2
	reg_skopeo copy -q --dest-tls-verify=false "$@" "oci:$src" "docker://$dest" >&2
}

# reg_manifest_digest REF: the digest of REF's manifest as the registry
# holds it (skopeo inspect --raw; REG_SKOPEO_CREDS as credentials).
reg_manifest_digest() {
	reg_skopeo inspect --raw --tls-verify=false \
		${REG_SKOPEO_CREDS:+--creds "$REG_SKOPEO_CREDS"} "docker://$1" |
		sha256sum | sed 's/^/sha256:/; s/ .*//'
}

# reg_push_busybox DEST [--config JSON] [--format v2s2|oci] [--created T]:
# busybox (one gzip layer, CMD ["sh"] unless --config) pushed by skopeo to
# DEST as a Docker schema 2 image (the default) or an OCI one, with
# REG_SKOPEO_CREDS as credentials when set; sets REG_LAYER_DIGEST (its
# layer's digest) and REG_MANIFEST_DIGEST (the manifest's, in the registry).
reg_push_busybox() {
	local dest=$1 cfg='{"Cmd": ["sh"]}' fmt=v2s2 created=2024-01-01T00:00:00Z lay
	shift
	while [ $# -gt 0 ]; do
		case "$1" in
		--config) cfg=$2 ;;
		--format) fmt=$2 ;;
		--created) created=$2 ;;
		*) fail "reg_push_busybox: unknown option $1" ;;
		esac
		shift 2
	done
	reg_busybox_layer "$TEST_TMP/busybox-amd64.tgz"
	REG_LAYER_DIGEST=$(reg_digest "$TEST_TMP/busybox-amd64.tgz")
	lay=$(mktemp -d "$TEST_TMP/layout.XXXX")
	mkoci layout "$lay" --ref img --config "$cfg" --created "$created" \
		--image "amd64=$TEST_TMP/busybox-amd64.tgz" > /dev/null
	reg_push_layout "$lay:img" "$dest" --format "$fmt" \
		${REG_SKOPEO_CREDS:+--dest-creds "$REG_SKOPEO_CREDS"}
	REG_MANIFEST_DIGEST=$(reg_manifest_digest "$dest")
}

# reg_big_image LAYOUT_DIR MB: busybox plus a layer of MB megabytes of
# incompressible data (/data/blob) and a small one (/data/small), as an OCI
# layout "img"; BIG_SUM gets the md5 of /data/blob, BIG_LAYER the big
# layer's file and BIG_DIGEST its digest.
reg_big_image() {
	local lay=$1 mb=$2
	reg_busybox_layer "$TEST_TMP/busybox-amd64.tgz"
	BIG_LAYER=$TEST_TMP/big-$mb.tgz
	mkoci layer "$BIG_LAYER" --gzip --random "data/blob=$((mb * 1000000))@cpod"
	mkoci layer "$TEST_TMP/small.tgz" --gzip --file "data/small=small"
	mkoci layout "$lay" --ref img --config '{"Cmd": ["sh"]}' \
		--image "amd64=$TEST_TMP/busybox-amd64.tgz,$BIG_LAYER,$TEST_TMP/small.tgz" > /dev/null
	BIG_DIGEST=$(reg_digest "$BIG_LAYER")
	BIG_SUM=$(tar -xzOf "$BIG_LAYER" data/blob | md5sum | cut -d' ' -f1)
}

# ------------------------------------------------------------------ checks

# capture CMD...: runs CMD (never failing the test): stdout in $OUT, stderr
# in $ERR, exit status in $STATUS; the log shows all three.
# shellcheck disable=SC2034 # OUT, ERR and STATUS are for the tests
capture() {
	STATUS=0
	"$@" > "$TEST_TMP/capture.out" 2> "$TEST_TMP/capture.err" || STATUS=$?
	OUT=$(cat "$TEST_TMP/capture.out")
	ERR=$(cat "$TEST_TMP/capture.err")
	printf '# $ %s  -> status %s\n' "$*" "$STATUS" >&2
	if [ -n "$OUT" ]; then
		printf '%s\n' "$OUT" | tail -n 10 | sed 's/^/#   stdout: /' >&2
	fi
	if [ -n "$ERR" ]; then
		printf '%s\n' "$ERR" | tail -n 20 | sed 's/^/#   stderr: /' >&2
	fi
}

# reg_id REF: the full id of a stored image.
reg_id() {
	cpod image inspect "$1" | jq -r '.[0].Id'
}

# reg_pulled_id: the id `pull` printed: the last line of $OUT, a 64-hex id.
reg_pulled_id() {
	local id
	id=$(printf '%s\n' "$OUT" | tail -n 1)
	[[ "$id" =~ ^[0-9a-f]{64}$ ]] || fail "pull's last line of output is not an image id: $id"
	printf '%s\n' "$id"
}

# reg_check_clean: `system check` finds the store consistent (debris of
# killed work allowed, and logged).
reg_check_clean() {
	local out rc=0
	out=$(cpod system check 2>&1) || rc=$?
	printf '%s\n' "$out" | sed 's/^/# system check: /' >&2
	expect_eq "$rc" 0 "system check exit status"
	expect_no_match "$out" '^error:' "system check finds no inconsistency"
	expect_match "$out" 'the store is consistent' "system check's verdict"
}

# reg_check_spotless: as reg_check_clean, and no debris either.
reg_check_spotless() {
	local out
	reg_check_clean
	out=$(cpod system check 2>&1)
	expect_no_match "$out" '^garbage:' "system check finds no debris"
}

# reg_log_count NAME REGEX: how many lines of registry NAME's access log
# ('127.0.0.1 - - [date] "GET /v2/... HTTP/1.1" 200 ...') match REGEX.
reg_log_count() {
	grep -E '^127\.0\.0\.1 - ' "$TEST_TMP/reg-$1/log" | grep -cE -- "$2" || true
}

reg_env
