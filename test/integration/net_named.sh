# shellcheck shell=bash
# net_named.sh — named networks: create (subnets given and allocated,
# policies, --internal, labels), ls (table, -q, json, templates), inspect
# (podman's shape: subnets, the attached containers, the stack's counters,
# flows refused by policy among them), two containers reaching each other
# by name and alias and by address, isolation from another network,
# connect/disconnect of a running container, rm (refused while in use, -f
# stopping the containers first), prune, a dead stack process started again
# on next use, connect and create racing rm, connect refused while a
# container restarts, host-gateway, and bad input.
# shellcheck disable=SC2034 # read by test/run
TIMEOUT=300
. "$SRCDIR/test/helpers/net/net.sh"

test_two_containers_talk_by_name() {
	net_setup
	cpod network create front > /dev/null
	cpod network create other > /dev/null
	cpod run -d --name web --network front --network-alias www busybox \
		sh -c 'echo served-by-web > /tmp/index.html; exec httpd -f -p 80 -h /tmp' > /dev/null
	cpod run -d --name client --network front busybox sleep 1000 > /dev/null
	cpod run -d --name stranger --network other busybox sleep 1000 > /dev/null
	local ip
	ip=$(cpod inspect -f '{{.NetworkSettings.Networks.front.IPAddress}}' web)
	expect_match "$ip" '^10\.89\.[0-9]+\.[0-9]+$' "web's address on front"
	expect_match "$(cpod exec client timeout 10 wget -q -O - http://web/)" served-by-web "by name"
	expect_match "$(cpod exec client timeout 10 wget -q -O - http://www/)" served-by-web "by alias"
	expect_match "$(cpod exec client timeout 10 wget -q -O - "http://$ip/")" served-by-web "by address"
	capture cpod exec client nslookup web
	expect_match "$OUT" "$ip" "nslookup answers web's address"
	# another network neither resolves nor reaches it
	capture cpod exec stranger timeout 5 wget -q -O - http://web/
	[ "$STATUS" != 0 ] || fail "a container of another network reached web by name"
	capture cpod exec stranger timeout 5 wget -q -O - "http://$ip/"
	expect_no_match "$OUT" served-by-web "a container of another network did not reach web's address"
	# inspect lists both containers of front
	local j
	j=$(cpod network inspect front)
	expect_eq "$(jq -r '.[0].name' <<< "$j")" front name
	expect_eq "$(jq -r '.[0].containers | length' <<< "$j")" 2 "two containers attached"
	expect_eq "$(jq -r '[.[0].containers[].name] | sort | join(",")' <<< "$j")" client,web
	expect_eq "$(jq -r '.[0].stack.running' <<< "$j")" true "the stack runs"
	expect_match "$(jq -r '.[0].stack.counters.frames_in' <<< "$j")" '^[1-9]' "frames counted"
	expect_eq "$(cpod ps --format '{{.Networks}}' --filter name=web)" front "ps shows the network"
}

test_create_ls_inspect_rm_prune() {
	net_setup
	expect_eq "$(cpod network create a1)" a1 "create prints the name"
	cpod network create --subnet 10.123.4.0/24 --policy local --label team=x a2 > /dev/null
	cpod network create --internal a3 > /dev/null
	capture cpod network create a1
	expect_eq "$STATUS" 125 "a second a1"
	expect_match "$ERR" 'already exists'
	expect_eq "$(cpod network create --ignore a1)" a1 "--ignore"
	expect_eq "$(cpod network ls -q | tr '\n' ' ')" "a1 a2 a3 " "ls -q"
	expect_match "$(cpod network ls)" 'NETWORK ID.*NAME' "ls has a header"
	expect_eq "$(cpod network ls --format '{{.Name}} {{.Subnets}}' --filter name=a2)" "a2 10.123.4.0/24"
	expect_eq "$(cpod network ls --format json | jq -r '.[] | select(.name == "a3") | .internal')" true \
		"--internal is isolated"
	expect_eq "$(cpod network ls --format json | jq -r '.[] | select(.name == "a3") | .policy')" isolated
	expect_eq "$(cpod network ls -q --filter label=team=x)" a2 "ls --filter label="
	local j
	j=$(cpod network inspect a2)
	expect_eq "$(jq -r '.[0].subnets[0].subnet' <<< "$j")" 10.123.4.0/24 "the subnet given"
	expect_eq "$(jq -r '.[0].subnets[0].gateway' <<< "$j")" 10.123.4.2 "its gateway"
	expect_eq "$(jq -r '.[0].labels.team' <<< "$j")" x labels
	expect_eq "$(jq -r '.[0].policy' <<< "$j")" local
	# networks given no subnet get distinct ones
	expect_ne "$(cpod network inspect -f '{{.Subnets}}' a1)" "$(cpod network inspect -f '{{.Subnets}}' a3)" \
		"distinct subnets"
	[ -f "$CPOD_ROOT/networks/a1.json" ] || fail "no ROOT/networks/a1.json"
	# a container on a2 uses it: rm refuses, prune keeps it
	cpod create --name user --network a2 busybox true > /dev/null
	capture cpod network rm a2
	[ "$STATUS" != 0 ] || fail "rm of a network in use succeeded"
	expect_match "$ERR" 'user' "the error names the container"
	expect_eq "$(cpod network prune | sort | tr '\n' ' ')" "a1 a3 " "prune removes the unused ones"
	expect_eq "$(cpod network ls -q)" a2
	expect_eq "$(cpod network rm -f a2)" a2 "rm -f"
	ctr_gone user || fail "rm -f kept the container that used the network"
	expect_eq "$(cpod network ls -q)" "" "no network left"
	capture cpod network rm a2
	expect_eq "$STATUS" 1 "rm of a missing network"
	capture cpod network inspect nosuch
	expect_eq "$STATUS" 125 "inspect of a missing network"
	expect_match "$ERR" 'network not found'
}

test_policy_refusals_counted() {
	net_setup
	local www port
	www=$(tmpdir www)
	echo secret > "$www/index.html"
	port=$(net_free_port)
	net_http_server "$www" "$port"
	cpod network create --policy public pub > /dev/null
	cpod run -d --name c --network pub busybox sleep 1000 > /dev/null
	capture cpod exec c timeout 20 wget -q -O - "http://10.89.0.2:$port/"
	local gw
	gw=$(cpod inspect -f '{{.NetworkSettings.Gateway}}' c)
	capture cpod exec c timeout 20 wget -q -O - "http://$gw:$port/"
	[ "$STATUS" != 0 ] || fail "policy public reached the host's loopback"
	expect_no_match "$OUT" secret
	local refused
	refused=$(cpod network inspect pub | jq -r '.[0].stack.counters.refused')
	[ "${refused:-0}" -ge 1 ] || fail "network inspect counts no refused flow ($refused)"
}

test_connect_disconnect() {
	net_setup
	cpod network create n1 > /dev/null
	cpod network create n2 > /dev/null
	cpod run -d --name srv --network n2 busybox \
		sh -c 'echo hi-from-n2 > /tmp/index.html; exec httpd -f -p 80 -h /tmp' > /dev/null
	cpod run -d --name c --network n1 busybox sleep 1000 > /dev/null
	capture cpod exec c timeout 5 wget -q -O - http://srv/
	[ "$STATUS" != 0 ] || fail "srv reached before connect"
	cpod network connect --alias cee n2 c
	expect_match "$(cpod exec c ip -o -4 addr)" 'eth1' "a second interface"
	local ip2
	ip2=$(cpod inspect -f '{{.NetworkSettings.Networks.n2.IPAddress}}' c)
	expect_match "$ip2" '^10\.89\.' "an address on n2"
	expect_match "$(cpod exec c timeout 10 wget -q -O - "http://$(cpod inspect -f \
		'{{.NetworkSettings.Networks.n2.IPAddress}}' srv)/")" hi-from-n2 "srv reached on n2"
	expect_match "$(cpod exec srv nslookup cee)" "$ip2" "the alias given to connect resolves on n2"
	capture cpod network connect n2 c
	expect_eq "$STATUS" 125 "connected twice"
	cpod network disconnect n2 c
	expect_no_match "$(cpod exec c ip -o -4 addr)" 'eth1' "eth1 gone"
	expect_eq "$(cpod inspect c | jq -r '.[0].NetworkSettings.Networks | keys | join(",")')" n1
	capture cpod network disconnect n2 c
	expect_eq "$STATUS" 125 "disconnected twice"
	capture cpod network connect nosuch c
	expect_eq "$STATUS" 125 "connect to a missing network"
	cpod run -d --name h --network host busybox sleep 1000 > /dev/null
	capture cpod network connect n1 h
	expect_eq "$STATUS" 125 "--network host cannot join"
	# a stopped container joins on its next start
	cpod create --name later --network n1 busybox sleep 1000 > /dev/null
	cpod network connect n2 later
	cpod start later > /dev/null
	expect_match "$(cpod inspect -f '{{.NetworkSettings.Networks.n2.IPAddress}}' later)" '^10\.89\.'
}

test_dead_stack_restarted() {
	net_setup
	cpod network create n > /dev/null
	cpod run -d --name one --network n busybox \
		sh -c 'echo one > /tmp/index.html; exec httpd -f -p 80 -h /tmp' > /dev/null
	local pid
	pid=$(cpod network inspect n | jq -r '.[0].stack.pid')
	[ "$pid" -gt 0 ] || fail "no stack pid"
	kill -KILL "$pid"
	wait_for 5 ctr_dead "$pid" || fail "the stack did not die"
	expect_eq "$(cpod network inspect n | jq -r '.[0].stack.running')" false "not running"
	# the next container starts it again, and the running one is attached again
	cpod run -d --name two --network n busybox sleep 1000 > /dev/null
	expect_eq "$(cpod network inspect n | jq -r '.[0].stack.running')" true "running again"
	expect_match "$(cpod exec two timeout 10 wget -q -O - http://one/)" one \
		"the first container is reachable by name again"
}

test_stack_ends_with_last_container() {
	net_setup
	cpod network create n > /dev/null
	cpod run -d --name one --network n busybox sleep 1000 > /dev/null
	[ -n "$(net_stacks)" ] || fail "no stack process"
	cpod rm -f one > /dev/null
	wait_for 10 net_no_stacks || fail "the stack outlived its last container: $(net_stacks)"
	expect_eq "$(cpod network inspect n | jq -r '.[0].stack.running')" false
}

test_named_bad_input() {
	net_setup
	local bad
	for bad in "create" "create bad/name" "create host" "create none" "create usernet" \
		"create --subnet 10.0.0.0 x" "create --subnet 300.1.1.0/24 x" \
		"create --subnet 10.1.0.0/30 x" "create --subnet 10.0.2.0/24 x" \
		"create --policy bogus x" "create --internal --policy public x" \
		"create --opt color=red x" "create --driver macvlan x" "frobnicate" \
		"connect" "disconnect x"; do
		# shellcheck disable=SC2086 # word splitting wanted
		capture cpod network $bad
		[ "$STATUS" = 125 ] || fail "network $bad: exit status $STATUS, expected 125"
		[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || fail "network $bad: not a one-line error: $ERR"
	done
	cpod network create --subnet 10.44.0.0/16 big > /dev/null
	capture cpod network create --subnet 10.44.3.0/24 small
	expect_eq "$STATUS" 125 "overlapping subnets"
	expect_eq "$(cpod network ls -q)" big "nothing else created"
}

test_rm_force_stops_its_containers() {
	net_setup
	cpod network create rmf > /dev/null
	cpod run -d --name keep --restart always --network rmf busybox sleep 1000 > /dev/null
	cpod create --name idle --network rmf busybox true > /dev/null
	local pid
	pid=$(cpod inspect -f '{{.State.Pid}}' keep)
	[ "$pid" -gt 0 ] || fail "no pid"
	expect_eq "$(cpod network rm -f rmf)" rmf "rm -f"
	ctr_gone keep || fail "rm -f kept the running container"
	ctr_gone idle || fail "rm -f kept the created container"
	# stopped before removed (as rm -f): no restart of --restart always
	! kill -0 "$pid" 2> /dev/null || fail "its process outlived rm -f"
	expect_eq "$(cpod ps -aq)" "" "no container left"
	wait_for 10 net_no_stacks || fail "a stack outlived its network: $(net_stacks)"
}

# A connect (or a container created on the network) racing network rm:
# never a container naming a network that is gone.
test_connect_create_race_rm() {
	net_setup
	cpod create --name other busybox true > /dev/null
	local i
	for i in 1 2 3 4 5 6; do
		cpod network create "race$i" > /dev/null
		cpod network connect "race$i" other > /dev/null 2>&1 &
		cpod create --name "c$i" --network "race$i" busybox true > /dev/null 2>&1 &
		cpod network rm "race$i" > /dev/null 2>&1 &
		wait
		if ! cpod network inspect "race$i" > /dev/null 2>&1; then
			if cpod inspect "c$i" > /dev/null 2>&1; then
				fail "c$i was created on race$i, which rm removed"
			fi
			local keys
			keys=$(cpod inspect other | jq -r '.[0].NetworkSettings.Networks | keys[]')
			expect_no_match "$keys" "race$i" "other connected to the removed race$i"
		fi
		cpod rm -f "c$i" > /dev/null 2>&1 || true
		cpod network disconnect "race$i" other > /dev/null 2>&1 || true
	done
}

# Between two runs of its restart policy a container is not running and its
# supervisor will write the networks of the next start: a connect then is
# refused rather than lost.
test_connect_while_restarting_refused() {
	net_setup
	cpod network create n1 > /dev/null
	cpod network create n2 > /dev/null
	cpod run -d --name flap --restart always --network n1 busybox false > /dev/null
	wait_for 20 eval '[ "$(cpod inspect -f "{{.RestartCount}}" flap)" -ge 5 ]' ||
		fail "no restarts ($(cpod inspect -f '{{.RestartCount}}' flap))"
	local i refused=0
	# (in the moment it runs, connect may work, or find it ending)
	for i in 1 2 3 4 5 6 7 8 9 10; do
		capture cpod network connect n2 flap
		if [ "$STATUS" != 0 ]; then
			expect_match "$ERR" 'flap is (starting|stopping), try again' "the refusal says why"
			if [[ "$ERR" == *"is starting"* ]]; then
				refused=1
				break
			fi
		fi
		cpod network disconnect n2 flap > /dev/null 2>&1 || true
	done
	[ "$refused" = 1 ] || fail "connect during restarts was not refused"
	cpod rm -f flap > /dev/null
}

# host-gateway is the network's gateway; without a network there is none
# (--network none and host refuse it; a default network that fell back to
# none leaves the entry out, as podman leaves out host.containers.internal).
test_host_gateway() {
	net_setup
	local h
	capture cpod run --rm --network none --add-host hg:host-gateway busybox true
	expect_eq "$STATUS" 125 "host-gateway with --network none"
	expect_match "$ERR" 'needs a container network'
	cpod network create gwn --subnet 10.77.1.0/24 > /dev/null
	h=$(cpod run --rm --network gwn --add-host hg:host-gateway busybox cat /etc/hosts)
	expect_match "$h" '10\.77\.1\.2.hg' "a network: its gateway"
	expect_match "$h" '10\.77\.1\.2.host\.containers\.internal' "host.containers.internal"
	h=$(cpod run --rm --network none busybox cat /etc/hosts)
	expect_no_match "$h" 'host\.containers\.internal' "none: no host.containers.internal"
}
