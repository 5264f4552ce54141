# shellcheck shell=bash
# shellcheck disable=SC2016 # $VARS in single quotes are for the container's shell
# registry_auth.sh — credentials against a real docker-registry: htpasswd
# basic auth over TLS (login, logout, --get-login, the auth file written
# 0600 with the other registries' entries kept, --password-stdin, --creds,
# --authfile, a wrong password refused and never stored, a 401 telling the
# user to run `cpod-mini login`), and bearer tokens from the tests' token
# server (test/helpers/registry/token-server.py: RS256 JWTs the registry
# checks against its rootcertbundle): anonymous refused, a read-only user
# who cannot push, and tokens that expire in the middle of a pull.

. "$SRCDIR/test/helpers/registry/reg.sh"

# auth_basic_registry: an HTTPS registry with htpasswd auth (alice:wonderland,
# bob:builder), trusted through certs.d; sets R (its host:port).
auth_basic_registry() {
	need htpasswd
	reg_start_basic basic --tls
	R=127.0.0.1:$REG_PORT
	reg_trust "$R"
}

# auth_import: busybox imported as localhost/bb:1.
auth_import() {
	reg_busybox_layer "$TEST_TMP/bb.tgz"
	cpod import -c 'CMD ["sh"]' -c 'ENV WHO=auth' "$TEST_TMP/bb.tgz" localhost/bb:1 > /dev/null
}

# auth_entry FILE REGISTRY: the decoded "auth" of REGISTRY in FILE.
auth_entry() {
	jq -r --arg r "$2" '.auths[$r].auth // empty' "$1" | base64 -d
}

test_login_logout_get_login() {
	reg_need
	auth_basic_registry
	local f=$REGISTRY_AUTH_FILE other
	other=$(printf 'carol:secret' | base64)
	printf '{"auths": {"other.test:5000": {"auth": "%s"}}}\n' "$other" > "$f"
	chmod 0644 "$f"
	capture cpod login -u alice -p wonderland "$R"
	expect_eq "$STATUS" 0 "login"
	expect_match "$OUT" 'Login Succeeded' "podman's message"
	expect_eq "$(stat -c %a "$f")" 600 "the auth file is 0600"
	expect_eq "$(auth_entry "$f" "$R")" alice:wonderland "the credentials stored for $R"
	expect_eq "$(jq -r '.auths["other.test:5000"].auth' "$f")" "$other" "the other entry is kept"
	capture cpod login --get-login "$R"
	expect_eq "$STATUS" 0
	expect_eq "$OUT" alice "--get-login"
	# the stored credentials are used
	auth_import
	capture cpod push localhost/bb:1 "$R/private/bb:1"
	expect_eq "$STATUS" 0 "push with the stored credentials"
	capture cpod pull -q "$R/private/bb:1"
	expect_eq "$STATUS" 0 "pull with the stored credentials"
	expect_eq "$(cpod run --rm "$R/private/bb:1" sh -c 'echo $WHO')" auth
	# logout: that entry only
	capture cpod logout "$R"
	expect_eq "$STATUS" 0 "logout"
	expect_match "$OUT" "$R" "says from where"
	expect_eq "$(jq -r --arg r "$R" '.auths | has($r)' "$f")" false "the entry is gone"
	expect_eq "$(jq -r '.auths["other.test:5000"].auth' "$f")" "$other" "the other one is kept"
	expect_eq "$(stat -c %a "$f")" 600
	capture cpod login --get-login "$R"
	expect_eq "$STATUS" 125 "--get-login when logged out"
	expect_match "${ERR,,}" 'not logged in' "says so"
	capture cpod logout "$R"
	expect_eq "$STATUS" 125 "logout when logged out"
	expect_match "${ERR,,}" 'not logged in'
	cpod rmi "$R/private/bb:1" > /dev/null
	capture cpod pull "$R/private/bb:1"
	expect_eq "$STATUS" 125 "pull without credentials"
	expect_match "$ERR" 'cpod-mini login' "tells what to do"
	# --password-stdin
	capture bash -c 'printf "wonderland\n" | "$0" login -u alice --password-stdin "$1"' "$CPOD" "$R"
	expect_eq "$STATUS" 0 "login --password-stdin"
	expect_eq "$(auth_entry "$f" "$R")" alice:wonderland "the newline is not part of the password"
	# logout -a: everything
	capture cpod logout -a
	expect_eq "$STATUS" 0 "logout -a"
	expect_eq "$(jq -r '.auths | length' "$f")" 0 "no entry left"
}

test_wrong_password_is_refused_and_not_stored() {
	reg_need
	auth_basic_registry
	local f=$REGISTRY_AUTH_FILE
	capture cpod login -u alice -p wrong "$R"
	expect_eq "$STATUS" 125 "login with a wrong password"
	expect_match "${ERR,,}" 'unauthorized|401|invalid|incorrect|wrong' "says why"
	[ ! -s "$f" ] || [ "$(jq -r '.auths | length' "$f")" = 0 ] || fail "credentials stored: $(cat "$f")"
	capture cpod login -u mallory -p wonderland "$R"
	expect_eq "$STATUS" 125 "an unknown user"
	# a good login, then a bad one: the good one stays
	cpod login -u alice -p wonderland "$R" > /dev/null
	capture cpod login -u alice -p wrong "$R"
	expect_eq "$STATUS" 125
	expect_eq "$(auth_entry "$f" "$R")" alice:wonderland "a failed login keeps the stored entry"
	cpod logout "$R" > /dev/null
	REG_SKOPEO_CREDS=alice:wonderland reg_push_busybox "$R/private/bb:1"
	capture cpod pull --creds alice:wrong "$R/private/bb:1"
	expect_eq "$STATUS" 125 "pull --creds with a wrong password"
	expect_match "${ERR,,}" 'unauthorized|401|denied|invalid'
	expect_match "$ERR" "$R" "names the registry"
	expect_eq "$(cpod images -q)" ""
}

test_unauthorized_says_cpod_mini_login() {
	reg_need
	auth_basic_registry
	REG_SKOPEO_CREDS=alice:wonderland reg_push_busybox "$R/private/bb:1"
	capture cpod pull "$R/private/bb:1"
	expect_eq "$STATUS" 125 "pull without credentials"
	expect_match "$ERR" 'cpod-mini login' "the 401 says what to run"
	expect_match "$ERR" "$R" "and for which registry"
	auth_import
	capture cpod push localhost/bb:1 "$R/private/other:1"
	expect_eq "$STATUS" 125 "push without credentials"
	expect_match "$ERR" 'cpod-mini login'
	expect_eq "$(reg_log_count basic 'PUT /v2/private/other/manifests')" 0 "nothing pushed"
}

test_creds_and_authfile_flags() {
	reg_need
	auth_basic_registry
	auth_import
	capture cpod push --creds alice:wonderland localhost/bb:1 "$R/team/bb:1"
	expect_eq "$STATUS" 0 "push --creds"
	capture cpod pull -q --creds bob:builder "$R/team/bb:1"
	expect_eq "$STATUS" 0 "pull --creds"
	[ ! -e "$REGISTRY_AUTH_FILE" ] || fail "--creds wrote the auth file"
	local f=$TEST_TMP/my-auth.json
	capture cpod login --authfile "$f" -u bob -p builder "$R"
	expect_eq "$STATUS" 0 "login --authfile"
	expect_eq "$(stat -c %a "$f")" 600 "a new auth file is 0600"
	expect_eq "$(auth_entry "$f" "$R")" bob:builder
	[ ! -e "$REGISTRY_AUTH_FILE" ] || fail "REGISTRY_AUTH_FILE written instead of --authfile"
	cpod rmi "$R/team/bb:1" > /dev/null
	capture cpod pull "$R/team/bb:1"
	expect_eq "$STATUS" 125 "not logged in through REGISTRY_AUTH_FILE"
	capture cpod pull -q --authfile "$f" "$R/team/bb:1"
	expect_eq "$STATUS" 0 "pull --authfile"
	expect_eq "$(cpod login --get-login --authfile "$f" "$R")" bob
	capture cpod logout --authfile "$f" "$R"
	expect_eq "$STATUS" 0 "logout --authfile"
	expect_eq "$(jq -r '.auths | length' "$f")" 0
	# the default auth file through REGISTRY_AUTH_FILE
	cpod login -u alice -p wonderland "$R" > /dev/null
	expect_eq "$(auth_entry "$REGISTRY_AUTH_FILE" "$R")" alice:wonderland "REGISTRY_AUTH_FILE"
}

# token_setup [token-server OPTIONS...]: the token server and a plain-HTTP
# registry trusting it, marked insecure in registries.conf; sets R.
token_setup() {
	/usr/bin/python3 -c 'import jwt, cryptography' 2>/dev/null ||
		skip "python3-jwt and python3-cryptography are needed for the token server"
	reg_token_server "$@"
	reg_start_token tok
	R=127.0.0.1:$REG_PORT
	reg_conf "$(printf '[[registry]]\nlocation = "%s"\ninsecure = true' "$R")"
}

test_bearer_token_login_push_pull() {
	reg_need
	token_setup
	auth_import
	capture cpod login -u alice -p wonderland "$R"
	expect_eq "$STATUS" 0 "login through the token server"
	[ "$(token_count)" -ge 1 ] || fail "no token was asked for"
	capture cpod push localhost/bb:1 "$R/team/bb:1"
	expect_eq "$STATUS" 0 "push with a token"
	expect_match "$(jq -r 'select(.status == 200 and .user == "alice") | .scopes[]' "$TOKEN_LOG")" \
		'^repository:team/bb:.*push' "a push scope was asked for"
	cpod logout "$R" > /dev/null
	cpod rmi localhost/bb:1 > /dev/null
	# anonymous: the token server grants nothing
	capture cpod pull "$R/team/bb:1"
	expect_eq "$STATUS" 125 "anonymous pull"
	expect_match "$ERR" 'cpod-mini login' "says to log in"
	# a reader: pull yes, push no
	capture cpod pull -q --creds reader:books "$R/team/bb:1"
	expect_eq "$STATUS" 0 "pull as a reader"
	expect_eq "$(cpod run --rm "$R/team/bb:1" sh -c 'echo $WHO')" auth
	capture cpod push --creds reader:books "$R/team/bb:1" "$R/team/other:1"
	expect_eq "$STATUS" 125 "push as a reader"
	expect_match "${ERR,,}" 'denied|unauthorized|401|403|insufficient' "says why"
	expect_eq "$(reg_log_count tok 'PUT /v2/team/other/manifests/.* 201')" 0 "nothing pushed"
	# the token server refuses a wrong password
	capture cpod login -u alice -p wrong "$R"
	expect_eq "$STATUS" 125 "login with a wrong password"
	[ ! -s "$REGISTRY_AUTH_FILE" ] || [ "$(jq -r '.auths | length' "$REGISTRY_AUTH_FILE")" = 0 ] ||
		fail "a refused login was stored"
	capture cpod pull --creds alice:wrong "$R/team/bb:1"
	expect_eq "$STATUS" 125 "pull with a wrong password"
	expect_match "${ERR,,}" 'unauthorized|401|denied|invalid|wrong'
}

# Tokens valid 2 s; the proxy holds the manifest's answer 3 s, so the token
# the manifest was fetched with has expired when the blobs are fetched: the
# pull must get a new one (proactively from expires_in, or after the 401).
test_token_expiry_during_pull() {
	reg_need
	token_setup --expires 2
	REG_SKOPEO_CREDS=alice:wonderland reg_push_busybox "$R/team/bb:1" \
		--config '{"Cmd": ["sh"], "Env": ["WHO=expiry"]}'
	reg_proxy "$REG_PORT" '{"delay_manifest": 3}'
	local p=127.0.0.1:$PROXY_PORT before
	reg_conf "$(printf '[[registry]]\nlocation = "%s"\ninsecure = true' "$p")"
	before=$(token_count)
	capture cpod pull --creds alice:wonderland "$p/team/bb:1"
	expect_eq "$STATUS" 0 "a pull that outlives its token"
	log "tokens issued for the pull: $(( $(token_count) - before ))"
	[ $(( $(token_count) - before )) -ge 2 ] || fail "the token was not renewed"
	expect_eq "$(cpod run --rm "$p/team/bb:1" sh -c 'echo $WHO')" expiry
	reg_check_spotless
}
