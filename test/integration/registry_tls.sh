# shellcheck shell=bash
# shellcheck disable=SC2016 # $VARS in single quotes are for the container's shell
# registry_tls.sh — a real docker-registry over HTTPS (certificates made by
# test/helpers/registry/certs.sh with openssl): an unknown CA is refused;
# the CA in certs.d (CPOD_CERTS_DIR/HOST:PORT/ca.crt, or --cert-dir) makes
# the registry trusted without --tls-verify=false; a registry that requires
# a client certificate (http.tls.clientcas) gets the one in certs.d;
# --tls-verify=false (and insecure = true in registries.conf) works against
# a self-signed registry, with a warning; push over TLS.

. "$SRCDIR/test/helpers/registry/reg.sh"

# tls_registry NAME [CERT KEY [registry OPTIONS...]]: an HTTPS registry
# (server.crt from the test CA by default) holding busybox:1.0, pushed by
# skopeo; sets R (host:port) and REF.
tls_registry() {
	local name=$1 cert=${2:-} key=${3:-}
	reg_certs
	shift 3 || shift $#
	reg_start "$name" --tls "${cert:-$REG_CERTS/server.crt}" "${key:-$REG_CERTS/server.key}" "$@"
	R=127.0.0.1:$REG_PORT
	REF=$R/library/busybox:1.0
}

# tls_push_busybox: REF pushed by skopeo (its own trust: the CA or none).
tls_push_busybox() {
	reg_push_busybox "$REF" --config '{"Cmd": ["sh"], "Env": ["TLS=yes"]}'
}

test_unknown_ca_is_refused() {
	reg_need
	tls_registry tls
	tls_push_busybox
	capture cpod pull "$REF"
	expect_eq "$STATUS" 125 "a certificate from an unknown CA"
	expect_match "${ERR,,}" 'certificate|x509|tls|trust' "says it is about TLS"
	expect_match "$ERR" "$R" "names the registry"
	expect_eq "$(cpod images -q)" ""
	# another CA in certs.d does not help
	mkdir -p "$CPOD_CERTS_DIR/$R"
	cp "$REG_CERTS/self.crt" "$CPOD_CERTS_DIR/$R/ca.crt"
	capture cpod pull "$REF"
	expect_eq "$STATUS" 125 "the wrong CA in certs.d"
}

test_certs_d_ca_makes_it_trusted() {
	reg_need
	tls_registry tls
	tls_push_busybox
	reg_trust "$R"
	capture cpod pull "$REF"
	expect_eq "$STATUS" 0 "CPOD_CERTS_DIR/$R/ca.crt"
	expect_no_match "${ERR,,}" 'warning' "no warning: it is verified"
	expect_eq "$(cpod run --rm "$REF" sh -c 'echo $TLS')" yes
	# --cert-dir: a directory of its own (files directly in it)
	cpod rmi "$REF" > /dev/null
	mkdir -p "$TEST_TMP/certdir"
	cp "$REG_CERTS/ca.crt" "$TEST_TMP/certdir/"
	rm -rf "${CPOD_CERTS_DIR:?}/$R"
	capture cpod pull "$REF"
	expect_eq "$STATUS" 125 "without the CA again"
	capture cpod pull --cert-dir "$TEST_TMP/certdir" "$REF"
	expect_eq "$STATUS" 0 "--cert-dir"
	# 127.0.0.2 is in the certificate too, but certs.d is per host:port
	reg_check_spotless
}

test_client_certificate_from_certs_d() {
	reg_need
	tls_registry mtls "" "" --client-ca "$TEST_TMP/certs/ca.crt"
	# skopeo pushes with the client certificate (its --dest-cert-dir)
	mkdir -p "$TEST_TMP/skopeo-certs"
	cp "$REG_CERTS/ca.crt" "$REG_CERTS/client.cert" "$REG_CERTS/client.key" "$TEST_TMP/skopeo-certs/"
	reg_busybox_layer "$TEST_TMP/bb.tgz"
	mkoci layout "$TEST_TMP/lay" --ref img --config '{"Cmd": ["sh"], "Env": ["TLS=mutual"]}' \
		--image "amd64=$TEST_TMP/bb.tgz" > /dev/null
	reg_skopeo copy -q --dest-cert-dir "$TEST_TMP/skopeo-certs" "oci:$TEST_TMP/lay:img" \
		"docker://$REF" >&2
	# the CA alone: the registry refuses the handshake
	reg_trust "$R"
	capture cpod pull "$REF"
	expect_eq "$STATUS" 125 "no client certificate"
	expect_match "${ERR,,}" 'certificate|tls|handshake|alert|closed|reset' \
		"a TLS error"
	# the client certificate beside it
	reg_trust "$R" client
	capture cpod pull "$REF"
	expect_eq "$STATUS" 0 "client.cert + client.key in certs.d"
	expect_eq "$(cpod run --rm "$REF" sh -c 'echo $TLS')" mutual
	# push with it too
	reg_busybox_layer "$TEST_TMP/bb.tgz"
	cpod import -c 'CMD ["sh"]' "$TEST_TMP/bb.tgz" localhost/bb:1 > /dev/null
	capture cpod push localhost/bb:1 "$R/pushed/bb:1"
	expect_eq "$STATUS" 0 "push with a client certificate"
	reg_check_spotless
}

test_tls_verify_false_with_a_self_signed_registry() {
	reg_need
	reg_certs
	tls_registry self "$REG_CERTS/self.crt" "$REG_CERTS/self.key"
	tls_push_busybox
	capture cpod pull "$REF"
	expect_eq "$STATUS" 125 "a self-signed certificate is not trusted"
	capture cpod pull --tls-verify=false "$REF"
	expect_eq "$STATUS" 0 "--tls-verify=false"
	expect_match "${ERR,,}" 'warn' "with a warning"
	expect_match "$ERR" "127\.0\.0\.1" "naming the registry"
	expect_eq "$(cpod run --rm "$REF" sh -c 'echo $TLS')" yes
	# it is HTTPS still: the registry logged the pull's requests over TLS
	# (a plain-HTTP request to a TLS port is refused with 400 by Go)
	[ "$(reg_log_count self '"GET /v2/library/busybox/manifests/1\.0')" -ge 1 ] ||
		fail "the registry did not see the manifest request"
	# insecure = true in registries.conf: the same without the flag
	cpod rmi "$REF" > /dev/null
	reg_conf "$(printf '[[registry]]\nlocation = "%s"\ninsecure = true' "$R")"
	capture cpod pull -q "$REF"
	expect_eq "$STATUS" 0 "insecure = true"
	# push with --tls-verify=false
	capture cpod push --tls-verify=false "$REF" "$R/again/bb:1"
	expect_eq "$STATUS" 0 "push --tls-verify=false"
	reg_check_spotless
}

test_push_and_login_over_verified_tls() {
	reg_need
	need htpasswd
	reg_start_basic basic --tls
	R=127.0.0.1:$REG_PORT
	reg_trust "$R"
	reg_busybox_layer "$TEST_TMP/bb.tgz"
	cpod import -c 'CMD ["sh"]' -c 'ENV TLS=pushed' "$TEST_TMP/bb.tgz" localhost/bb:1 > /dev/null
	capture cpod login -u alice -p wonderland "$R"
	expect_eq "$STATUS" 0 "login over verified TLS"
	capture cpod push localhost/bb:1 "$R/team/bb:1"
	expect_eq "$STATUS" 0 "push over verified TLS"
	expect_eq "$(reg_skopeo inspect --tls-verify=false --creds alice:wonderland \
		"docker://$R/team/bb:1" | jq -r '.Env[]' | grep TLS)" TLS=pushed "skopeo reads it"
	# login against an untrusted registry fails on TLS, not on the password
	rm -rf "${CPOD_CERTS_DIR:?}/$R"
	capture cpod login -u alice -p wonderland "$R"
	expect_eq "$STATUS" 125 "login without the CA"
	expect_match "${ERR,,}" 'certificate|x509|tls|trust'
	capture cpod login --tls-verify=false -u alice -p wonderland "$R"
	expect_eq "$STATUS" 0 "login --tls-verify=false"
	# --cert-dir as podman reads it: every *.crt a CA, *.cert/*.key pairs
	mkdir -p "$TEST_TMP/certdir"
	cp "$REG_CERTS/self.crt" "$REG_CERTS/ca.crt" "$REG_CERTS/client.cert" "$REG_CERTS/client.key" \
		"$TEST_TMP/certdir/"
	capture cpod login --cert-dir "$TEST_TMP/certdir" -u alice -p wonderland "$R"
	expect_eq "$STATUS" 0 "login --cert-dir (ca.crt among other files)"
	# a key without its certificate is an error (as podman)
	cp "$REG_CERTS/ca.key" "$TEST_TMP/certdir/"
	capture cpod login --cert-dir "$TEST_TMP/certdir" -u alice -p wonderland "$R"
	expect_eq "$STATUS" 125 "a lone key in --cert-dir"
	expect_match "$ERR" 'ca\.key' "names the key"
}
