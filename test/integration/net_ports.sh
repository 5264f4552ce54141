# shellcheck shell=bash
# net_ports.sh — port publishing and bulk traffic: -p 127.0.0.1:PORT:80
# serving the host from busybox httpd, ranges, -P with the image's EXPOSE
# on free host ports (distinct, at most 64 to pick), `port`, ps's Ports,
# inspect's NetworkSettings.Ports and HostConfig.PortBindings, a port
# already taken failing the start cleanly, large transfers both ways checked by sha256, 200 parallel
# connections each way, and stats counting the tap's bytes.
# shellcheck disable=SC2034 # read by test/run
TIMEOUT=400
. "$SRCDIR/test/helpers/net/net.sh"

# net_get URL: the body, from the host.
net_get() {
	"$PY" -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$1"
}

net_web() { # NAME ARGS...: a busybox httpd container serving "served-by-NAME"
	local name=$1
	shift
	cpod run -d --name "$name" "$@" busybox \
		sh -c "echo served-by-$name > /tmp/index.html; exec httpd -f -p 80 -h /tmp" > /dev/null
}

test_publish_serves_the_host() {
	net_setup
	local port
	port=$(net_free_port)
	net_web w -p "127.0.0.1:$port:80"
	wait_for 10 net_get "http://127.0.0.1:$port/" || fail "nothing answers on 127.0.0.1:$port"
	expect_eq "$(net_get "http://127.0.0.1:$port/")" served-by-w "the published port serves the host"
	expect_eq "$(cpod port w)" "80/tcp -> 127.0.0.1:$port" "port"
	expect_eq "$(cpod port w 80)" "127.0.0.1:$port" "port CTR 80"
	expect_eq "$(cpod port w 80/tcp)" "127.0.0.1:$port" "port CTR 80/tcp"
	capture cpod port w 81
	expect_eq "$STATUS" 125 "port of an unpublished port"
	expect_eq "$(cpod ps --format '{{.Ports}}' --filter name=w)" "127.0.0.1:$port->80/tcp" "ps's Ports"
	expect_eq "$(cpod ps --format json | jq -r '.[0].Ports[0].host_port')" "$port" "ps json Ports"
	expect_eq "$(cpod inspect w | jq -r '.[0].NetworkSettings.Ports["80/tcp"][0].HostPort')" "$port"
	expect_eq "$(cpod inspect w | jq -r '.[0].HostConfig.PortBindings["80/tcp"][0].HostPort')" "$port"
	# the port is taken: a second container fails to start, and says why
	capture cpod run -d --name w2 -p "127.0.0.1:$port:80" busybox sleep 100
	[ "$STATUS" != 0 ] || fail "a second container published the same port"
	expect_match "$ERR" "$port|in use" "the error names the port ($ERR)"
	expect_eq "$(ctr_status w2)" exited "w2 did not run"
	# stopped: the port is closed, started: served again
	cpod stop -t 0 w > /dev/null
	! net_get "http://127.0.0.1:$port/" > /dev/null 2>&1 || fail "still served after stop"
	cpod start w > /dev/null
	wait_for 10 net_get "http://127.0.0.1:$port/" || fail "not served after start"
}

test_publish_range_and_random() {
	net_setup
	local p1 j
	p1=$(net_free_port)
	cpod run -d --name r -p "127.0.0.1::80" -p 90-91 busybox sh -c \
		'echo a > /tmp/index.html; httpd -p 80 -h /tmp; httpd -p 90 -h /tmp; exec httpd -f -p 91 -h /tmp' > /dev/null
	j=$(cpod inspect r | jq -c '.[0].NetworkSettings.Ports')
	for k in 80/tcp 90/tcp 91/tcp; do
		p1=$(jq -r --arg k "$k" '.[$k][0].HostPort' <<< "$j")
		[ -n "$p1" ] && [ "$p1" -gt 0 ] || fail "$k: no host port picked ($j)"
		wait_for 10 net_get "http://127.0.0.1:$p1/" || fail "$k: nothing on host port $p1"
	done
	expect_eq "$(cpod port r | wc -l)" 3 "three ports"
}

test_publish_all_expose() {
	net_setup
	img_import webimg 'EXPOSE 80/tcp' 'EXPOSE 81' > /dev/null
	cpod run -d --name e -P webimg sh -c \
		'echo exposed > /tmp/index.html; httpd -p 81 -h /tmp; exec httpd -f -p 80 -h /tmp' > /dev/null
	local p80 p81
	p80=$(cpod port e 80 | sed 's/.*://')
	p81=$(cpod port e 81 | sed 's/.*://')
	[ -n "$p80" ] && [ -n "$p81" ] && [ "$p80" != "$p81" ] || fail "-P: ports $p80 $p81"
	wait_for 10 net_get "http://127.0.0.1:$p80/" || fail "-P: 80 not served on $p80"
	expect_eq "$(net_get "http://127.0.0.1:$p81/")" exposed "-P: 81 served on $p81"
	expect_eq "$(cpod inspect -f '{{.HostConfig.PublishAllPorts}}' e)" true
}

test_large_transfers_sha256() {
	net_setup
	local www port cport sum
	www=$(tmpdir www)
	head -c 50000000 /dev/urandom > "$www/big"
	sum=$(sha256sum < "$www/big" | cut -d' ' -f1)
	port=$(net_free_port)
	net_http_server "$www" "$port"
	# host -> container, through the tap
	capture cpod run --rm -v "$www:/h:ro" busybox sh -c \
		"wget -q -O /tmp/big http://10.0.2.2:$port/big && sha256sum /tmp/big"
	expect_match "$OUT" "^$sum " "50 MB from the host's loopback, intact ($ERR)"
	# container -> host, through a published port (spliced)
	cport=$(net_free_port)
	cpod run -d --name big -p "127.0.0.1:$cport:80" -v "$www:/h:ro" busybox httpd -f -p 80 -h /h > /dev/null
	wait_for 10 "$PY" -c "import socket; socket.create_connection(('127.0.0.1',$cport),1)" ||
		fail "nothing on $cport"
	"$PY" -c 'import sys, urllib.request, hashlib
print(hashlib.sha256(urllib.request.urlopen(sys.argv[1], timeout=60).read()).hexdigest())' \
		"http://127.0.0.1:$cport/big" > "$TEST_TMP/sum"
	expect_eq "$(cat "$TEST_TMP/sum")" "$sum" "50 MB from the container through the published port"
	# stats counts the container's bytes (its tap, loopback aside)
	cpod exec big wget -q -O /dev/null "http://10.0.2.2:$port/big"
	local io
	io=$(cpod stats --no-stream --format json big | jq -r '.[0].net_io')
	# (what a published port serves is not counted: the stack splices it
	# to the container's loopback, as pasta does, and loopback is left out)
	expect_match "$io" '^([5-9][0-9]|[1-9][0-9]{2})(\.[0-9]+)?MB / ' \
		"stats' net_io counts the 50 MB that came through the tap"
}

test_200_parallel_connections() {
	net_setup
	local www port cport
	www=$(tmpdir www)
	echo ok > "$www/index.html"
	port=$(net_free_port)
	net_http_server "$www" "$port"
	# the container to the host: 200 at once
	capture cpod run --rm busybox sh -c "
		i=0; while [ \$i -lt 200 ]; do
			wget -q -O /tmp/r.\$i http://10.0.2.2:$port/ &
			i=\$((i + 1))
		done; wait; cat /tmp/r.* | grep -c ok"
	expect_eq "$OUT" 200 "200 parallel connections from the container ($ERR)"
	# the host to the container: 200 at once through a published port
	cport=$(net_free_port)
	net_web par -p "127.0.0.1:$cport:80"
	wait_for 10 net_get "http://127.0.0.1:$cport/" || fail "nothing on $cport"
	"$PY" - "$cport" > "$TEST_TMP/par" <<'PYEOF'
import socket, sys, threading
port = int(sys.argv[1])
ok = []
def one():
    s = socket.create_connection(("127.0.0.1", port), 20)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    if b"served-by-par" in data:
        ok.append(1)
ts = [threading.Thread(target=one) for _ in range(200)]
for t in ts: t.start()
for t in ts: t.join()
print(len(ok))
PYEOF
	expect_eq "$(cat "$TEST_TMP/par")" 200 "200 parallel connections into the container"
}

# Host ports picked at start are distinct (each socket stays bound until
# all are picked); a range without host ports counts a port each.
test_picked_host_ports_distinct() {
	net_setup
	local j ports
	cpod run -d --name pk -p 80 -p 81 -p 82 -p 83 -p 90-97 busybox sleep 1000 > /dev/null
	j=$(cpod inspect pk | jq -c '.[0].NetworkSettings.Ports')
	ports=$(jq -r '.[][0].HostPort' <<< "$j" | sort -u | grep -c .)
	expect_eq "$ports" 12 "12 distinct host ports ($j)"
	capture cpod create --name big -p 1000-1100 busybox true
	expect_eq "$STATUS" 125 "101 host ports to pick"
	expect_match "$ERR" 'at most 64' "the error says the limit"
	ctr_gone big || fail "big was created"
}
