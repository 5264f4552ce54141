# shellcheck shell=bash
# net_opts.sh — a container's fixed addresses and MAC (run/create --ip,
# --ip6 and --mac-address, network connect's too: seen inside with
# ip, in inspect, kept across a restart; an address or MAC already held by
# a running container refused naming it), a network's gateway given with
# network create --gateway (the containers' default route and the host's
# loopback through it, inspect and /etc/hosts naming it, no container ever
# given it), and hostile values refused before anything is made.
# shellcheck disable=SC2034 # read by test/run
TIMEOUT=300
. "$SRCDIR/test/helpers/net/net.sh"

test_fixed_ip_and_mac() {
	net_setup
	cpod network create --subnet 10.99.7.0/24 fixed > /dev/null
	cpod run -d --name a --network fixed --ip 10.99.7.50 --mac-address 02:11:22:33:44:55 \
		busybox sh -c 'echo served-by-a > /tmp/index.html; exec httpd -f -p 80 -h /tmp' \
		> /dev/null
	capture cpod exec a ip -o -4 addr show eth0
	expect_match "$OUT" 'inet 10\.99\.7\.50/24' "eth0 has the address asked"
	capture cpod exec a ip link show eth0
	expect_match "$OUT" 'link/ether 02:11:22:33:44:55' "eth0 has the MAC asked"
	expect_eq "$(cpod inspect -f '{{.NetworkSettings.MacAddress}}' a)" 02:11:22:33:44:55 \
		"inspect's MacAddress"
	expect_eq "$(cpod inspect -f '{{.NetworkSettings.IPAddress}}' a)" 10.99.7.50 \
		"inspect's IPAddress"
	expect_eq "$(cpod inspect -f '{{.NetworkSettings.Networks.fixed.MacAddress}}' a)" \
		02:11:22:33:44:55 "the network's MacAddress"
	# a second container asking the same address (or MAC) is refused, naming a
	capture cpod run -d --name b --network fixed --ip 10.99.7.50 busybox sleep 1000
	[ "$STATUS" != 0 ] || fail "a second container got 10.99.7.50"
	expect_match "$ERR" 'address 10\.99\.7\.50 is in use by container a' "the holder named"
	capture cpod run -d --name c --network fixed --mac-address 02:11:22:33:44:55 busybox sleep 1000
	[ "$STATUS" != 0 ] || fail "a second container got the MAC"
	expect_match "$ERR" 'mac 02:11:22:33:44:55 is in use by container a' "the MAC's holder named"
	# another container without --ip gets another address; a restarted one keeps both
	cpod run -d --name d --network fixed busybox sleep 1000 > /dev/null
	local ip
	ip=$(cpod inspect -f '{{.NetworkSettings.IPAddress}}' d)
	expect_match "$ip" '^10\.99\.7\.[0-9]+$' "d's address"
	expect_ne "$ip" 10.99.7.50 "d got another address"
	cpod restart -t 1 a > /dev/null
	capture cpod exec a sh -c 'ip -o -4 addr show eth0; ip link show eth0'
	expect_match "$OUT" 'inet 10\.99\.7\.50/24' "the address kept across a restart"
	expect_match "$OUT" 'link/ether 02:11:22:33:44:55' "the MAC kept across a restart"
	expect_match "$(cpod exec d timeout 10 wget -q -O - http://10.99.7.50/)" served-by-a \
		"d reaches a at its fixed address"
	# once a stopped, b (created with the same address) may start
	cpod rm -f b c > /dev/null 2>&1 || true
	cpod stop -t 1 a > /dev/null
	capture cpod run -d --name b --network fixed --ip 10.99.7.50 busybox sleep 1000
	[ "$STATUS" = 0 ] || fail "b did not start once a stopped: $ERR"
	capture cpod start a
	[ "$STATUS" != 0 ] || fail "a started again while b holds its address"
	expect_match "$ERR" 'address 10\.99\.7\.50 is in use by container b'
}

test_ip_on_own_network() {
	net_setup
	capture cpod run --rm --ip 10.0.2.42 --mac-address 02-AB-cd-00-00-01 busybox \
		sh -c 'ip -o -4 addr show eth0; ip link show eth0'
	[ "$STATUS" = 0 ] || fail "run failed ($STATUS): $ERR"
	expect_match "$OUT" 'inet 10\.0\.2\.42/24' "the default network takes --ip"
	expect_match "$OUT" 'link/ether 02:ab:cd:00:00:01' "the MAC, normalised"
}

test_fixed_ip6() {
	net_setup
	cpod network create --subnet 10.99.12.0/24 six > /dev/null
	local sub6 pfx
	sub6=$(cpod network inspect six | jq -r '.[0].subnets[1].subnet')
	expect_match "$sub6" '^fd00:89:.*::/64$' "the network's IPv6 subnet"
	pfx=${sub6%::/64}
	cpod run -d --name s1 --network six --ip6 "$pfx::beef" busybox sleep 1000 > /dev/null
	capture cpod exec s1 ip -o -6 addr show eth0
	expect_match "$OUT" "inet6 $pfx::beef/64" "eth0 has the IPv6 address asked"
	expect_eq "$(cpod inspect -f '{{.NetworkSettings.GlobalIPv6Address}}' s1)" "$pfx::beef"
	capture cpod run -d --name s2 --network six --ip6 "$pfx::beef" busybox sleep 1000
	[ "$STATUS" != 0 ] || fail "a second container got $pfx::beef"
	expect_match "$ERR" "address $pfx::beef is in use by container s1"
	# the address another container would have had from its IPv4 one is skipped
	cpod run -d --name s3 --network six --ip6 "$pfx::100" busybox sleep 1000 > /dev/null
	cpod run -d --name s4 --network six busybox sleep 1000 > /dev/null
	expect_ne "$(cpod inspect -f '{{.NetworkSettings.GlobalIPv6Address}}' s4)" "$pfx::100" \
		"s4 did not get s3's IPv6 address"
	net_opts_bad "--ip6 reserved" 'reserved' --network six --ip6 "$pfx::3"
	net_opts_bad "--ip6 outside" 'not in the subnet' --network six --ip6 fd00:1::5
	net_opts_bad "--ip6 IPv4" 'not an IPv6 address' --network six --ip6 10.99.12.5
	capture cpod run --rm --ip6 fd00::42 busybox ip -o -6 addr show eth0
	expect_match "$OUT" 'inet6 fd00::42/64' "the default network takes --ip6"
}

test_network_create_gateway() {
	net_setup
	WWW=$(tmpdir www)
	echo "hello through the gateway" > "$WWW/index.html"
	local port
	port=$(net_free_port)
	net_http_server "$WWW" "$port"
	cpod network create --subnet 10.99.5.0/24 --gateway 10.99.5.1 gw > /dev/null
	expect_eq "$(cpod network inspect gw | jq -r '.[0].subnets[0].gateway')" 10.99.5.1 \
		"inspect names the gateway"
	capture cpod run --rm --network gw busybox sh -c \
		"ip route; grep host.containers.internal /etc/hosts; timeout 10 wget -q -O - http://10.99.5.1:$port/"
	[ "$STATUS" = 0 ] || fail "run failed ($STATUS): $OUT $ERR"
	expect_match "$OUT" 'default via 10\.99\.5\.1' "the default route goes through the gateway"
	expect_match "$OUT" '^10\.99\.5\.1[[:space:]].*host\.containers\.internal' \
		"/etc/hosts names the gateway"
	expect_match "$OUT" 'hello through the gateway' "the host's loopback through the gateway"
	cpod run -d --name g1 --network gw busybox sleep 1000 > /dev/null
	expect_eq "$(cpod inspect -f '{{.NetworkSettings.Gateway}}' g1)" 10.99.5.1 "inspect's Gateway"
	# .2 is no longer the gateway: nothing answers there
	capture cpod exec g1 timeout 5 wget -q -O - "http://10.99.5.2:$port/"
	expect_no_match "$OUT" 'hello through the gateway' ".2 is not the gateway any more"
	# a gateway among the containers' addresses is never given to one
	cpod network create --subnet 10.99.6.0/24 --gateway 10.99.6.100 gw2 > /dev/null
	cpod run -d --name g2 --network gw2 busybox sleep 1000 > /dev/null
	local ip
	ip=$(cpod inspect -f '{{.NetworkSettings.IPAddress}}' g2)
	expect_match "$ip" '^10\.99\.6\.[0-9]+$' "g2's address"
	expect_ne "$ip" 10.99.6.100 "the gateway's address is not given to a container"
	capture cpod exec g2 ip route
	expect_match "$OUT" 'default via 10\.99\.6\.100' "g2 routes through .100"
	capture cpod create --network gw2 --ip 10.99.6.100 busybox true
	[ "$STATUS" != 0 ] || fail "--ip of the gateway accepted"
	expect_match "$ERR" "gateway's address"
}

test_connect_ip_and_mac() {
	net_setup
	cpod network create --subnet 10.99.8.0/24 n1 > /dev/null
	cpod network create --subnet 10.99.9.0/24 n2 > /dev/null
	cpod run -d --name x --network n1 busybox sleep 1000 > /dev/null
	cpod network connect --ip 10.99.9.77 --mac-address 02:aa:bb:cc:dd:ee n2 x
	capture cpod exec x sh -c 'ip -o -4 addr show eth1; ip link show eth1'
	expect_match "$OUT" 'inet 10\.99\.9\.77/24' "eth1 has the address asked"
	expect_match "$OUT" 'link/ether 02:aa:bb:cc:dd:ee' "eth1 has the MAC asked"
	expect_eq "$(cpod inspect -f '{{.NetworkSettings.Networks.n2.IPAddress}}' x)" 10.99.9.77
	cpod run -d --name y --network n1 busybox sleep 1000 > /dev/null
	capture cpod network connect --ip 10.99.9.77 n2 y
	[ "$STATUS" != 0 ] || fail "connect with an address in use succeeded"
	expect_match "$ERR" 'address 10\.99\.9\.77 is in use by container x'
	capture cpod network connect --ip 10.99.8.5 n2 y
	[ "$STATUS" != 0 ] || fail "connect with an address outside the subnet succeeded"
	expect_match "$ERR" 'not in the subnet 10\.99\.9\.0/24'
	capture cpod network connect --mac-address ff:ff:ff:ff:ff:ff n2 y
	[ "$STATUS" != 0 ] || fail "connect with the broadcast MAC succeeded"
	expect_match "$ERR" 'multicast'
	expect_eq "$(cpod inspect -f '{{len .NetworkSettings.Networks}}' y)" 1 "y joined nothing"
}

# net_opts_bad WHAT REGEX ARGS...: create refused, with REGEX in its error.
net_opts_bad() {
	local what=$1 re=$2
	shift 2
	capture cpod create "$@" busybox true
	[ "$STATUS" != 0 ] || fail "$what: accepted"
	expect_match "$ERR" "$re" "$what"
}

test_bad_values_refused() {
	net_setup
	cpod network create --subnet 10.99.10.0/24 bad > /dev/null
	cpod network create bad2 > /dev/null
	net_opts_bad "not an address" 'not an IPv4 address' --network bad --ip 10.99.10.300
	net_opts_bad "IPv6 as --ip" 'not an IPv4 address' --network bad --ip fd00::5
	net_opts_bad "outside" 'not in the subnet 10\.99\.10\.0/24' --network bad --ip 10.99.11.5
	net_opts_bad "the gateway" "gateway's address" --network bad --ip 10.99.10.2
	net_opts_bad "the DNS" "DNS server's address" --network bad --ip 10.99.10.3
	net_opts_bad "broadcast" 'broadcast' --network bad --ip 10.99.10.255
	net_opts_bad "network address" 'network or broadcast' --network bad --ip 10.99.10.0
	net_opts_bad "reserved .1" 'reserved' --network bad --ip 10.99.10.1
	net_opts_bad "default network" 'not in the subnet 10\.0\.2\.0/24' --ip 10.99.10.5
	net_opts_bad "host network" 'conflicts with --network host' --network host --ip 10.0.2.5
	net_opts_bad "none" 'conflicts with --network none' --network none --mac-address 02:00:00:00:00:01
	net_opts_bad "two networks" 'only with a single network' --network bad --network bad2 \
		--ip 10.99.10.5
	net_opts_bad "multicast MAC" 'multicast' --network bad --mac-address 01:00:5e:00:00:01
	net_opts_bad "broadcast MAC" 'multicast' --network bad --mac-address ff:ff:ff:ff:ff:ff
	net_opts_bad "zero MAC" 'zero' --network bad --mac-address 00:00:00:00:00:00
	net_opts_bad "short MAC" 'not a MAC address' --network bad --mac-address 02:00:00:00:00
	net_opts_bad "mixed separators" 'not a MAC address' --network bad --mac-address 02:00-00:00:00:01
	net_opts_bad "not hex" 'not a MAC address' --network bad --mac-address 02:00:00:00:00:zz
	expect_eq "$(cpod ps -aq | wc -l)" 0 "nothing created"
	# network create --gateway
	local args
	for args in "10.99.20.1|needs --subnet" \
		"10.99.21.1 --subnet 10.99.20.0/24|not in the subnet" \
		"10.99.20.3 --subnet 10.99.20.0/24|DNS" \
		"10.99.20.0 --subnet 10.99.20.0/24|network or broadcast" \
		"10.99.20.255 --subnet 10.99.20.0/24|network or broadcast" \
		"gateway --subnet 10.99.20.0/24|not an IPv4 address" \
		"fd00::1 --subnet 10.99.20.0/24|not an IPv4 address"; do
		# shellcheck disable=SC2086 # the words are the arguments
		capture cpod network create --gateway ${args%%|*} gwbad
		[ "$STATUS" != 0 ] || fail "--gateway ${args%%|*}: accepted"
		expect_match "$ERR" "${args#*|}" "--gateway ${args%%|*}"
	done
	capture cpod network ls -q
	expect_no_match "$OUT" gwbad "no network made"
}
