# shellcheck shell=bash
# net_basic.sh — a container's own user-mode network (the default): eth0
# with an address and the gateway, the host's loopback reached through
# the gateway (allowed by default and under policy=local, refused at once
# under public and isolated, the refusals counted), names resolved through
# the stack's DNS forwarder (to a test DNS server on loopback, never the
# host's resolvers), /etc/resolv.conf and /etc/hosts, UDP round trips,
# inspect's NetworkSettings, none and host modes kept, and bad input.
# shellcheck disable=SC2034 # read by test/run
TIMEOUT=300
. "$SRCDIR/test/helpers/net/net.sh"

# a directory with a page to serve, and the server's port
net_basic_http() {
	WWW=$(tmpdir www)
	echo "hello from the host" > "$WWW/index.html"
	HPORT=$(net_free_port)
	net_http_server "$WWW" "$HPORT"
}

test_default_network_reaches_host_loopback() {
	net_setup
	net_basic_http
	capture cpod run --rm busybox sh -c "ip -4 addr show eth0; ip route; timeout 10 wget -q -O - http://10.0.2.2:$HPORT/"
	[ "$STATUS" = 0 ] || fail "run failed ($STATUS): $OUT $ERR"
	expect_match "$OUT" 'inet 10\.0\.2\.[0-9]+/24' "eth0 has an address in 10.0.2.0/24"
	expect_match "$OUT" 'default via 10\.0\.2\.2' "the default route goes through the gateway"
	expect_match "$OUT" 'hello from the host' "the host's loopback server answers through the gateway"
}

test_policy_local_allows_loopback() {
	net_setup
	net_basic_http
	capture cpod run --rm --network usernet:policy=local busybox timeout 10 wget -q -O - "http://10.0.2.2:$HPORT/"
	[ "$STATUS" = 0 ] || fail "policy=local: run failed ($STATUS): $ERR"
	expect_match "$OUT" 'hello from the host'
}

test_policy_public_and_isolated_refuse_loopback() {
	net_setup
	net_basic_http
	local pol t0 t1 out
	for pol in public isolated; do
		cpod run -d --name "p-$pol" --network "usernet:policy=$pol" busybox sleep 1000 > /dev/null
		t0=$(date +%s%N)
		capture cpod exec "p-$pol" timeout 20 wget -q -O - "http://10.0.2.2:$HPORT/"
		t1=$(date +%s%N)
		[ "$STATUS" != 0 ] || fail "policy=$pol: the host's loopback answered: $OUT"
		expect_no_match "$OUT" 'hello from the host' "policy=$pol: nothing served"
		[ $(( (t1 - t0) / 1000000 )) -lt 5000 ] ||
			fail "policy=$pol: the refusal took $(( (t1 - t0) / 1000000 )) ms (not a quick RST)"
		out=$(cpod inspect -f '{{.NetworkSettings.IPAddress}}' "p-$pol")
		expect_match "$out" '^10\.0\.2\.' "policy=$pol: the container has its address"
		cpod rm -f "p-$pol" > /dev/null
	done
}

test_dns_forwarded_to_test_resolver() {
	net_setup
	net_dns_server test-host.example 192.0.2.55
	cpod run -d --name d busybox sleep 1000 > /dev/null
	expect_match "$(ctr_in d /etc/resolv.conf)" '^nameserver 10\.0\.2\.3$' \
		"resolv.conf names the stack's DNS forwarder"
	capture cpod exec d nslookup test-host.example
	expect_match "$OUT" '192\.0\.2\.55' "the name resolves through the forwarder ($ERR)"
	expect_match "$(cat "$TEST_TMP/dns.log")" 'test-host\.example' "the test's resolver was asked"
	# the container's own name is answered by the stack itself
	capture cpod exec d nslookup d
	expect_match "$OUT" '10\.0\.2\.' "its own name resolves ($ERR)"
	# --dns: as given
	cpod run --rm --dns 192.0.2.1 busybox cat /etc/resolv.conf > "$TEST_TMP/r"
	expect_match "$(cat "$TEST_TMP/r")" '^nameserver 192\.0\.2\.1$' "--dns replaces the forwarder"
	expect_no_match "$(cat "$TEST_TMP/r")" '10\.0\.2\.3' "only the --dns server"
	expect_match "$(ctr_in d /etc/hosts)" 'host\.containers\.internal' "/etc/hosts names the host"
}

test_dns_under_isolated() {
	net_setup
	net_dns_server test-host.example 192.0.2.55
	cpod run -d --name iso --network usernet:policy=isolated busybox sleep 1000 > /dev/null
	# the forwarder answers the network's own names only
	capture cpod exec iso nslookup iso
	expect_match "$OUT" '10\.0\.2\.' "its own name resolves under isolated ($ERR)"
	capture cpod exec iso nslookup test-host.example
	expect_no_match "$OUT" '192\.0\.2\.55' "no forwarding under isolated"
	expect_no_match "$(cat "$TEST_TMP/dns.log")" 'test-host' "the resolver was never asked"
}

test_udp_round_trip() {
	net_setup
	local port d
	port=$(net_free_udp_port)
	d=$(tmpdir tftp)
	echo "a datagram from the host" > "$d/small"
	head -c 300000 /dev/urandom > "$d/big"
	net_tftp_server "$d" "$port"
	capture cpod run --rm busybox sh -c \
		"cd /tmp && tftp -g -r small 10.0.2.2 $port && cat small && tftp -g -r big 10.0.2.2 $port && sha256sum big"
	[ "$STATUS" = 0 ] || fail "tftp over UDP failed ($STATUS): $ERR"
	expect_match "$OUT" 'a datagram from the host' "a UDP request and its answer"
	expect_match "$OUT" "^$(sha256sum < "$d/big" | cut -d' ' -f1) " \
		"600 datagrams each way, the file intact"
}

test_inspect_network_settings() {
	net_setup
	cpod run -d --name i busybox sleep 1000 > /dev/null
	local j
	j=$(cpod inspect i | jq -c '.[0].NetworkSettings')
	expect_match "$(jq -r .IPAddress <<< "$j")" '^10\.0\.2\.[0-9]+$' IPAddress
	expect_eq "$(jq -r .Gateway <<< "$j")" 10.0.2.2 Gateway
	expect_match "$(jq -r .MacAddress <<< "$j")" '^([0-9a-f]{2}:){5}[0-9a-f]{2}$' MacAddress
	expect_eq "$(jq -r '.Networks | keys[0]' <<< "$j")" usernet "Networks"
	expect_eq "$(cpod inspect -f '{{.HostConfig.NetworkMode}}' i)" usernet NetworkMode
	# the address inside is the one inspect shows
	expect_match "$(cpod exec i ip -4 addr show eth0)" "inet $(jq -r .IPAddress <<< "$j")/24"
	cpod stop -t 0 i > /dev/null
	expect_eq "$(cpod inspect -f '{{.NetworkSettings.IPAddress}}' i)" "" "no address once stopped"
	# started again: attached again
	cpod start i > /dev/null
	expect_match "$(cpod inspect -f '{{.NetworkSettings.IPAddress}}' i)" '^10\.0\.2\.' \
		"an address again after start"
	cpod rm -f i > /dev/null
	wait_for 10 net_no_stacks || fail "the container's network process outlived it"
}

test_none_and_host_modes() {
	net_setup
	capture cpod run --rm --network none busybox ip -o link
	expect_no_match "$OUT" 'eth0' "--network none: no eth0"
	expect_match "$OUT" 'lo' "--network none: lo"
	capture cpod run --rm --network host busybox cat /proc/net/dev
	expect_match "$OUT" 'lo:' "--network host: the host's interfaces"
	expect_eq "$(net_stacks)" "" "no network process for none or host"
}

test_bad_input() {
	net_setup
	local bad
	for bad in "--network usernet:policy=bogus" "--network usernet:mtu=10" \
		"--network usernet:color=red" "--network nosuchnet" "--network bad/name" \
		"--network container:x" "-p 80 --network host" "-p 8080:80 --network none" \
		"-p 99999:80" "-p 80-82:80-81" "-p 1.2.3:80:80" "-p 8080:80/sctp" "-p 8080:80/icmp" \
		"--network none --network host" "--network-alias x --network host" \
		"--network-alias bad/alias" "-P --network none"; do
		# shellcheck disable=SC2086 # word splitting wanted
		capture cpod create $bad busybox true
		[ "$STATUS" = 125 ] || fail "$bad: exit status $STATUS, expected 125"
		[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || fail "$bad: not a one-line error: $ERR"
		expect_match "$ERR" '(network|publish|alias)' "$bad: the error names the option ($ERR)"
	done
	expect_eq "$(ctr_count)" 0 "nothing created"
}
