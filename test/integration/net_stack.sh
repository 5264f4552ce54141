# shellcheck shell=bash
# net_stack.sh — the user-mode network stack (src/usernet) on its own:
# `cpod-mini __usernet` serving network namespaces this test makes with
# `unshare --net` (a sleep holds each; killed by PID at the end).  Traffic
# stays on this machine: servers on the host's loopback (reached through
# the gateway 10.0.2.2) or inside the test's namespaces; DNS goes to a
# resolver the test runs on a loopback address, named by its own
# resolv.conf.  Clients inside are curl and /usr/bin/python3.
PY=/usr/bin/python3

# ns_new VAR: a network namespace held by a sleep; VAR gets the sleep's PID.
ns_new() {
	unshare --net sleep 600 >/dev/null 2>&1 &
	local pid=$!
	cleanup_add "kill $pid 2>/dev/null || true"
	# unshare has exec'd sleep once the namespace differs from ours
	wait_for 5 bash -c "[ \"\$(readlink /proc/$pid/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
	printf -v "$1" '%s' "$pid"
}

# in_ns PID CMD...: runs CMD in the namespace of PID.
in_ns() {
	local pid=$1
	shift
	nsenter --net="/proc/$pid/ns/net" "$@"
}

# in_ns_bg PID CMD...: CMD in the background inside (killed at the end).
in_ns_bg() {
	local pid=$1
	shift
	nsenter --net="/proc/$pid/ns/net" "$@" &
	cleanup_add "kill $! 2>/dev/null || true"
}

# stack_start [OPTIONS...]: the stack on $CTL (grace long enough for tests).
stack_start() {
	CTL=$TEST_TMP/ctl
	"$CPOD" __usernet --ctl "$CTL" --grace-ms 60000 --resolv-conf "$TEST_TMP/resolv.conf" \
		"$@" 2>>"$TEST_TMP/stack.log" &
	STACK_PID=$!
	cleanup_add "kill $STACK_PID 2>/dev/null || true; cat $TEST_TMP/stack.log >&2 || true"
	wait_for 5 test -S "$CTL"
}

# attach PID CONTAINER [OPTIONS...]: prints the reply.
attach() {
	local pid=$1 c=$2
	shift 2
	"$CPOD" __usernet attach --ctl "$CTL" --netns "/proc/$pid/ns/net" --container "$c" \
		--pid "$pid" "$@"
}

counter() {
	"$CPOD" __usernet inspect --ctl "$CTL" | jq -r ".counters.$1"
}

free_port() {
	echo $(( 20000 + RANDOM % 30000 ))
}

# An HTTP server on the host's loopback serving $TEST_TMP/www; sets HTTP_PORT.
http_start() {
	local bind=${1:-127.0.0.1}
	mkdir -p "$TEST_TMP/www"
	echo "hello from the host" > "$TEST_TMP/www/hello.txt"
	HTTP_PORT=$(free_port)
	$PY -m http.server "$HTTP_PORT" --bind "$bind" --directory "$TEST_TMP/www" \
		>/dev/null 2>&1 &
	cleanup_add "kill $! 2>/dev/null || true"
	local host=$bind
	[ "$bind" = ::1 ] && host='[::1]'
	wait_for 5 curl -sf "http://$host:$HTTP_PORT/hello.txt"
}

# A DNS server on a loopback address of its own: example.test A 192.0.2.77,
# NXDOMAIN for the rest; each question is logged in $TEST_TMP/dns.log.
dns_start() {
	DNS_ADDR=127.$(( RANDOM % 200 + 20 )).$(( RANDOM % 250 + 1 )).$(( RANDOM % 250 + 1 ))
	cat > "$TEST_TMP/dns.py" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
while True:
    d, a = s.recvfrom(4096)
    i, labels = 12, []
    while d[i]:
        labels.append(d[i + 1:i + 1 + d[i]].decode())
        i += 1 + d[i]
    name = '.'.join(labels).lower()
    qtype = struct.unpack('>H', d[i + 1:i + 3])[0]
    with open(sys.argv[2], 'a') as f:
        f.write(name + '\n')
    if name == 'example.test' and qtype == 1:
        hdr = d[:2] + b'\x81\x80' + struct.pack('>HHHH', 1, 1, 0, 0)
        ans = b'\xc0\x0c' + struct.pack('>HHIH', 1, 1, 60, 4) + socket.inet_aton('192.0.2.77')
    else:
        hdr = d[:2] + b'\x81\x83' + struct.pack('>HHHH', 1, 0, 0, 0)
        ans = b''
    s.sendto(hdr + d[12:i + 5] + ans, a)
EOF
	: > "$TEST_TMP/dns.log"
	$PY "$TEST_TMP/dns.py" "$DNS_ADDR" "$TEST_TMP/dns.log" &
	cleanup_add "kill $! 2>/dev/null || true"
	printf 'nameserver %s\n' "$DNS_ADDR" > "$TEST_TMP/resolv.conf"
	sleep 0.3
}

# dns_query PID NAME [QTYPE]: asks 10.0.2.3 from inside; prints the address
# or "rcode N".
dns_query() {
	in_ns "$1" $PY - "$2" "${3:-1}" <<'EOF'
import socket, struct, sys
name, qtype = sys.argv[1], int(sys.argv[2])
q = struct.pack('>HHHHHH', 0x1234, 0x0100, 1, 0, 0, 0)
q += b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\0'
q += struct.pack('>HH', qtype, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(q, ('10.0.2.3', 53))
d = s.recv(4096)
if struct.unpack('>H', d[6:8])[0] == 0:
    print('rcode', d[3] & 15)
else:
    fam, n = (socket.AF_INET, 4) if qtype == 1 else (socket.AF_INET6, 16)
    print(socket.inet_ntop(fam, d[-n:]))
EOF
}

# --------------------------------------------------------------------------

test_attach_configures_the_namespace() {
	need_root
	need unshare nsenter curl jq
	local ns out
	ns_new ns
	stack_start
	out=$(attach "$ns" c1 --name web)
	expect_eq "$(jq -r .ip <<<"$out")" 10.0.2.100 "the first address"
	expect_eq "$(jq -r .gateway <<<"$out")" 10.0.2.2
	expect_eq "$(jq -r .mtu <<<"$out")" 65520
	out=$(in_ns "$ns" ip -o addr show eth0)
	expect_match "$out" 'inet 10\.0\.2\.100/24' "the address is set inside"
	expect_match "$out" 'inet6 fd00::100/64' "the IPv6 address is set inside"
	expect_match "$(in_ns "$ns" ip route)" '^default via 10\.0\.2\.2 dev eth0' "default route"
	expect_match "$(in_ns "$ns" ip link show lo)" 'UP' "lo is up"
	expect_match "$(in_ns "$ns" ip link show eth0)" 'mtu 65520' "the MTU"
	out=$("$CPOD" __usernet inspect --ctl "$CTL")
	expect_eq "$(jq -r '.containers[0].name' <<<"$out")" web
	# a second container gets the next address; the same one twice is refused
	local ns2
	ns_new ns2
	expect_eq "$(attach "$ns2" c2 | jq -r .ip)" 10.0.2.101
	expect_fail attach "$ns2" c2
}

test_http_to_host_loopback_via_gateway() {
	need_root
	need unshare nsenter curl jq
	local ns
	http_start
	ns_new ns
	stack_start
	attach "$ns" c1 >/dev/null
	expect_eq "$(in_ns "$ns" curl -sS --max-time 10 "http://10.0.2.2:$HTTP_PORT/hello.txt")" \
		"hello from the host"
}

# policy_check POLICY EXPECT(ok|refused)
policy_check() {
	local ns out start end
	http_start
	ns_new ns
	stack_start --policy "$1"
	attach "$ns" c1 >/dev/null
	start=$(date +%s%N)
	out=$(in_ns "$ns" curl -sS --max-time 10 "http://10.0.2.2:$HTTP_PORT/hello.txt" 2>&1) || true
	end=$(date +%s%N)
	if [ "$2" = ok ]; then
		expect_eq "$out" "hello from the host" "policy $1 lets the host's loopback through"
	else
		expect_match "$out" "refused|reset|connect to server" "policy $1 refuses the host's loopback"
		local ms=$(( (end - start) / 1000000 ))
		[ "$ms" -lt 2000 ] || fail "refusal took $ms ms"
		[ "$(counter refused)" -ge 1 ] || fail "no refusal counted"
	fi
}

test_policy_local_allows_host_loopback() {
	need_root
	need unshare nsenter curl jq
	policy_check local ok
}

test_policy_public_refuses_host_loopback() {
	need_root
	need unshare nsenter curl jq
	policy_check public refused
}

test_policy_isolated_refuses_host_loopback() {
	need_root
	need unshare nsenter curl jq
	policy_check isolated refused
}

test_policy_private_refuses_host_loopback() {
	need_root
	need unshare nsenter curl jq
	policy_check private refused
}

test_dns_forwarded_and_local_names() {
	need_root
	need unshare nsenter jq
	local ns
	dns_start
	ns_new ns
	stack_start
	attach "$ns" c1 --name web --alias www >/dev/null
	expect_eq "$(dns_query "$ns" example.test)" 192.0.2.77 "forwarded to the upstream"
	expect_eq "$(dns_query "$ns" nothing.test)" "rcode 3" "NXDOMAIN from the upstream"
	expect_eq "$(dns_query "$ns" web)" 10.0.2.100 "the container's name, answered locally"
	expect_eq "$(dns_query "$ns" www)" 10.0.2.100 "an alias"
	expect_eq "$(dns_query "$ns" web 28)" fd00::100 "AAAA of a local name"
	expect_no_match "$(cat "$TEST_TMP/dns.log")" '^(web|www)$' "local names stay local"
	expect_match "$(cat "$TEST_TMP/dns.log")" '^example\.test$' "the upstream was asked"
}

test_dns_isolated_answers_only_local_names() {
	need_root
	need unshare nsenter jq
	local ns
	dns_start
	ns_new ns
	stack_start --policy isolated
	attach "$ns" c1 --name web >/dev/null
	expect_eq "$(dns_query "$ns" web)" 10.0.2.100
	expect_eq "$(dns_query "$ns" example.test)" "rcode 3" "no upstream under isolated"
	expect_eq "$(cat "$TEST_TMP/dns.log")" "" "the upstream was never asked"
}

test_udp_round_trip() {
	need_root
	need unshare nsenter
	local ns port out
	port=$(free_port)
	$PY -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    d, a = s.recvfrom(65535)
    s.sendto(b"echo:" + d, a)
' "$port" &
	cleanup_add "kill $! 2>/dev/null || true"
	ns_new ns
	stack_start
	attach "$ns" c1 >/dev/null
	out=$(in_ns "$ns" $PY -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect(("10.0.2.2", int(sys.argv[1])))
for i in range(3):
    s.send(b"ping%d" % i)
    print(s.recv(65535).decode())
big = b"x" * 30000
s.send(big)
print(len(s.recv(65535)))
' "$port")
	expect_eq "$out" "$(printf 'echo:ping0\necho:ping1\necho:ping2\n30005')"
}

test_tcp_half_close() {
	need_root
	need unshare nsenter
	local ns port out
	port=$(free_port)
	# reads to EOF, then answers with the count: needs the guest's FIN to
	# arrive while its read side stays open
	$PY -c '
import socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1])))
l.listen()
while True:
    c, _ = l.accept()
    n = 0
    while True:
        d = c.recv(65536)
        if not d:
            break
        n += len(d)
    c.sendall(b"got %d bytes" % n)
    c.close()
' "$port" &
	cleanup_add "kill $! 2>/dev/null || true"
	ns_new ns
	stack_start
	attach "$ns" c1 >/dev/null
	out=$(in_ns "$ns" $PY -c '
import socket, sys
s = socket.create_connection(("10.0.2.2", int(sys.argv[1])), timeout=10)
s.sendall(b"y" * 1000000)
s.shutdown(socket.SHUT_WR)
r = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    r += d
print(r.decode())
' "$port")
	expect_eq "$out" "got 1000000 bytes"
}

# transfer_both_ways NS FILE: FILE (under $TEST_TMP/www, served by
# http_start) fetched by the namespace from the host's loopback, and sent
# back to a host server that hashes what it receives; both hashes checked.
transfer_both_ways() {
	local ns=$1 file=$2 port want got
	want=$(sha256sum < "$file" | cut -d' ' -f1)
	got=$(in_ns "$ns" curl -sS --max-time 120 "http://10.0.2.2:$HTTP_PORT/${file##*/}" |
		sha256sum | cut -d' ' -f1)
	expect_eq "$got" "$want" "host -> container"
	port=$(free_port)
	$PY -c '
import hashlib, socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1])))
l.listen()
c, _ = l.accept()
h = hashlib.sha256()
while True:
    d = c.recv(1 << 20)
    if not d:
        break
    h.update(d)
c.sendall(h.hexdigest().encode())
c.close()
' "$port" &
	cleanup_add "kill $! 2>/dev/null || true"
	sleep 0.3
	got=$(in_ns "$ns" $PY -c '
import socket, sys
s = socket.create_connection(("10.0.2.2", int(sys.argv[1])), timeout=60)
s.settimeout(120)
with open(sys.argv[2], "rb") as f:
    while True:
        d = f.read(1 << 20)
        if not d:
            break
        s.sendall(d)
s.shutdown(socket.SHUT_WR)
print(s.recv(100).decode())
' "$port" "$file")
	expect_eq "$got" "$want" "container -> host"
}

test_large_transfer_both_ways_sha256() {
	need_root
	need unshare nsenter curl sha256sum
	local ns
	http_start
	head -c $((96 << 20)) /dev/urandom > "$TEST_TMP/www/big"
	ns_new ns
	stack_start
	attach "$ns" c1 >/dev/null
	transfer_both_ways "$ns" "$TEST_TMP/www/big"
}

# A lossy tap (CPOD_USERNET_LOSS: 1% of the frames dropped each way, the
# guest's ACKs and our segments alike): both sides retransmit and the
# data still arrives whole.
test_lossy_tap_retransmits() {
	need_root
	need unshare nsenter curl sha256sum
	local ns
	http_start
	head -c $((4 << 20)) /dev/urandom > "$TEST_TMP/www/lossy"
	ns_new ns
	CPOD_USERNET_LOSS=10 stack_start
	attach "$ns" c1 >/dev/null
	transfer_both_ways "$ns" "$TEST_TMP/www/lossy"
	expect_match "$(cat "$TEST_TMP/stack.log")" 'CPOD_USERNET_LOSS: 10/1000' "the loss was on"
	expect_match "$(counter lost)" '^[1-9][0-9]*$' "frames were lost"
}

test_200_parallel_connections() {
	need_root
	need unshare nsenter
	local ns port out
	port=$(free_port)
	$PY -c '
import socket, sys, threading
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1])))
l.listen(512)
def serve(c):
    d = b""
    while not d.endswith(b"\n"):
        x = c.recv(100)
        if not x:
            break
        d += x
    c.sendall(b"re:" + d)
    c.close()
while True:
    c, _ = l.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
' "$port" &
	cleanup_add "kill $! 2>/dev/null || true"
	ns_new ns
	stack_start
	attach "$ns" c1 >/dev/null
	sleep 0.3
	out=$(in_ns "$ns" $PY -c '
import socket, sys
port = int(sys.argv[1])
socks = [socket.create_connection(("10.0.2.2", port), timeout=20) for i in range(200)]
for i, s in enumerate(socks):
    s.sendall(b"%d\n" % i)
ok = 0
for i, s in enumerate(socks):
    d = b""
    while True:
        x = s.recv(100)
        if not x:
            break
        d += x
    ok += d == b"re:%d\n" % i
print(ok)
' "$port")
	expect_eq "$out" 200 "all 200 connections answered"
}

test_published_tcp_and_udp_ports() {
	need_root
	need unshare nsenter curl jq
	local ns hp up out
	ns_new ns
	mkdir -p "$TEST_TMP/inner"
	echo "served from the container" > "$TEST_TMP/inner/index.txt"
	in_ns_bg "$ns" $PY -m http.server 8080 --bind :: --directory "$TEST_TMP/inner" \
		>/dev/null 2>&1
	in_ns_bg "$ns" $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5353))
while True:
    d, a = s.recvfrom(65535)
    s.sendto(b"ctr:" + d, a)
'
	hp=$(free_port)
	up=$(free_port)
	stack_start
	attach "$ns" c1 --publish "127.0.0.1:$hp:8080" --publish "127.0.0.1:$up:5353/udp" >/dev/null
	wait_for 5 curl -sf "http://127.0.0.1:$hp/index.txt"
	expect_eq "$(curl -sS --max-time 10 "http://127.0.0.1:$hp/index.txt")" "served from the container"
	out=$($PY -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"hi", ("127.0.0.1", int(sys.argv[1])))
print(s.recv(100).decode())
' "$up")
	expect_eq "$out" "ctr:hi" "a published UDP port"
	out=$("$CPOD" __usernet ports --ctl "$CTL")
	expect_eq "$(jq -r '.ports | length' <<<"$out")" 2
	expect_eq "$(jq -r '.ports[0].ctr_port' <<<"$out")" 8080
}

test_two_containers_talk_by_ip_and_name() {
	need_root
	need unshare nsenter curl jq
	local a b
	dns_start
	ns_new a
	ns_new b
	mkdir -p "$TEST_TMP/inner"
	echo "container a" > "$TEST_TMP/inner/who.txt"
	in_ns_bg "$a" $PY -m http.server 8080 --bind :: --directory "$TEST_TMP/inner" \
		>/dev/null 2>&1
	stack_start --policy isolated
	attach "$a" ca --name alpha >/dev/null
	attach "$b" cb --name beta >/dev/null
	expect_eq "$(dns_query "$b" alpha)" 10.0.2.100 "a's name from b"
	wait_for 5 in_ns "$b" curl -sf "http://10.0.2.100:8080/who.txt"
	expect_eq "$(in_ns "$b" curl -sS --max-time 10 "http://10.0.2.100:8080/who.txt")" "container a"
	expect_eq "$(in_ns "$b" curl -sS -g --max-time 10 "http://[fd00::100]:8080/who.txt" 2>&1 ||
		true)" "container a" "over IPv6 too"
}

test_ping_gateway() {
	need_root
	need unshare nsenter
	local ns out
	ns_new ns
	stack_start
	attach "$ns" c1 >/dev/null
	out=$(in_ns "$ns" $PY -c '
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(3)
pkt = struct.pack(">BBHHH", 8, 0, 0, 0x4242, 1) + b"payload"
b = pkt + b"\0" * (len(pkt) % 2)
c = sum(struct.unpack(">%dH" % (len(b) // 2), b))
while c >> 16:
    c = (c & 0xffff) + (c >> 16)
pkt = pkt[:2] + struct.pack(">H", ~c & 0xffff) + pkt[4:]
s.sendto(pkt, ("10.0.2.2", 0))
d = s.recv(200)
ihl = (d[0] & 15) * 4
t, code, _, ident, seq = struct.unpack(">BBHHH", d[ihl:ihl + 8])
print(t, hex(ident), seq, d[ihl + 8:].decode())
')
	expect_eq "$out" "0 0x4242 1 payload" "the gateway answers echo"
}

test_ipv6_to_host_loopback() {
	need_root
	need unshare nsenter curl
	local ns
	[ -e /proc/sys/net/ipv6 ] || skip "no IPv6 on this kernel"
	http_start ::1
	ns_new ns
	stack_start
	attach "$ns" c1 >/dev/null
	expect_eq "$(in_ns "$ns" curl -sS -g --max-time 10 "http://[fd00::2]:$HTTP_PORT/hello.txt")" \
		"hello from the host"
}

test_junk_flood_neither_crashes_nor_starves() {
	need_root
	need unshare nsenter curl
	local bad good i
	http_start
	ns_new bad
	ns_new good
	stack_start
	attach "$bad" bad >/dev/null
	attach "$good" good >/dev/null
	# random frames, and random frames with plausible Ethernet/IP/TCP/UDP
	# headers, as fast as a raw socket sends them
	nsenter --net="/proc/$bad/ns/net" timeout 8 $PY -c '
import os, random, socket, struct
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
gw = bytes.fromhex("0263706f6401")
me = bytes.fromhex("02500a000264")
while True:
    k = random.randrange(6)
    n = random.randrange(14, 1500)
    if k == 0:
        f = os.urandom(n)
    else:
        proto = random.choice([1, 6, 17, 58, 0, 255])
        ip = struct.pack(">BBHHHBBH4s4s", random.choice([0x45, 0x46, 0x4f, 0x60, 0x44]),
                         0, random.randrange(65536), 0, random.choice([0, 0x4000, 0x2000]),
                         64, proto, 0, bytes([10, 0, 2, 100]),
                         bytes(random.choice([[10, 0, 2, 2], [10, 0, 2, 3], [10, 0, 2, 101],
                                              [255, 255, 255, 255], [8, 8, 8, 8]])))
        f = gw + me + random.choice([b"\x08\x00", b"\x08\x06", b"\x86\xdd"]) + ip + os.urandom(n)
        if k == 1:
            f = gw + me + b"\x08\x06" + os.urandom(n)
    try:
        s.send(f[:1514])
    except OSError:
        pass
' 2>/dev/null &
	local flood=$!
	cleanup_add "kill $flood 2>/dev/null || true"
	sleep 1
	for i in $(seq 1 20); do
		expect_eq "$(in_ns "$good" curl -sS --max-time 5 "http://10.0.2.2:$HTTP_PORT/hello.txt")" \
			"hello from the host" "fetch $i during the flood"
	done
	wait "$flood" || true
	kill -0 "$STACK_PID" || fail "the stack died"
	[ "$(counter frames_in)" -gt 1000 ] || fail "the flood did not reach the stack"
	expect_eq "$(in_ns "$bad" curl -sS --max-time 5 "http://10.0.2.2:$HTTP_PORT/hello.txt")" \
		"hello from the host" "the flooding container still works"
}

test_exits_after_the_last_container_left() {
	need_root
	need unshare nsenter
	local ns ns2
	ns_new ns
	ns_new ns2
	CTL=$TEST_TMP/ctl
	"$CPOD" __usernet --ctl "$CTL" --grace-ms 300 2>>"$TEST_TMP/stack.log" &
	STACK_PID=$!
	cleanup_add "kill $STACK_PID 2>/dev/null || true"
	wait_for 5 test -S "$CTL"
	attach "$ns" c1 >/dev/null
	attach "$ns2" c2 >/dev/null
	"$CPOD" __usernet detach --ctl "$CTL" --container c1
	sleep 0.6
	kill -0 "$STACK_PID" || fail "exited while c2 was attached"
	# c2's namespace holder dies: detached by its pid watch, then the exit
	kill "$ns2"
	wait_for 5 bash -c "! kill -0 $STACK_PID 2>/dev/null"
	[ ! -e "$CTL" ] || fail "the control socket was left behind"
}

test_spawn_detached() {
	need_root
	need unshare nsenter
	local pid ns
	CTL=$TEST_TMP/ctl
	pid=$("$CPOD" __usernet spawn --ctl "$CTL" --grace-ms 200 --idle-ms 3000)
	cleanup_add "kill $pid 2>/dev/null || true"
	test -S "$CTL" || fail "spawn returned before the socket was up"
	expect_ne "$(ps -o sid= -p "$pid" | tr -d ' ')" "$(ps -o sid= -p $$ | tr -d ' ')" "own session"
	ns_new ns
	attach "$ns" c1 >/dev/null
	kill "$ns"
	wait_for 5 bash -c "! kill -0 $pid 2>/dev/null"
}

test_closed_host_port_is_refused_at_once() {
	need_root
	need unshare nsenter curl
	local ns out port
	port=$(free_port)
	ns_new ns
	stack_start
	attach "$ns" c1 >/dev/null
	out=$(in_ns "$ns" curl -sS --max-time 5 "http://10.0.2.2:$port/" 2>&1) || true
	expect_match "$out" "Couldn't connect|refused" "a closed port answers with RST"
}

test_flow_cap_refuses_past_it() {
	need_root
	need unshare nsenter
	local ns port out
	port=$(free_port)
	$PY -c '
import socket, sys, time
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1])))
l.listen(512)
held = []
while True:
    held.append(l.accept()[0])
' "$port" &
	cleanup_add "kill $! 2>/dev/null || true"
	ns_new ns
	stack_start --max-flows 20
	attach "$ns" c1 >/dev/null
	sleep 0.3
	out=$(in_ns "$ns" $PY -c '
import socket, sys, time
ok = refused = 0
socks = []
t = time.time()
for i in range(30):
    try:
        socks.append(socket.create_connection(("10.0.2.2", int(sys.argv[1])), timeout=5))
        ok += 1
    except ConnectionRefusedError:
        refused += 1
print(ok, refused, "fast" if time.time() - t < 3 else "slow")
' "$port")
	expect_eq "$out" "20 10 fast" "20 flows, the rest refused at once"
	[ "$(counter tcp_flows)" = 20 ] || fail "tcp_flows is $(counter tcp_flows)"
}

# rss_kb PID
rss_kb() {
	awk '/^VmRSS/ { print $2 }' "/proc/$1/status"
}

test_backpressure_both_ways() {
	need_root
	need unshare nsenter
	local ns port out
	port=$(free_port)
	# accepts, then neither reads nor closes; a second connection gets a
	# flood of data it never reads on the other side
	$PY -c '
import socket, sys, time
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1])))
l.listen()
a = l.accept()[0]
b = l.accept()[0]
b.setblocking(False)
sent = 0
end = time.time() + 4
while time.time() < end:
    try:
        sent += b.send(b"z" * 65536)
    except BlockingIOError:
        time.sleep(0.01)
open(sys.argv[2], "w").write(str(sent))
time.sleep(60)
' "$port" "$TEST_TMP/host-sent" &
	cleanup_add "kill $! 2>/dev/null || true"
	ns_new ns
	stack_start
	attach "$ns" c1 >/dev/null
	sleep 0.3
	out=$(in_ns "$ns" $PY -c '
import socket, sys, time
a = socket.create_connection(("10.0.2.2", int(sys.argv[1])), timeout=5)
b = socket.create_connection(("10.0.2.2", int(sys.argv[1])), timeout=5)
a.setblocking(False)
sent = 0
end = time.time() + 4
while time.time() < end:
    try:
        sent += a.send(b"y" * 65536)
    except BlockingIOError:
        time.sleep(0.01)
print(sent)
time.sleep(1)
' "$port")
	wait_for 5 test -s "$TEST_TMP/host-sent"
	log "the container sent $out bytes to a host peer that never reads;" \
		"the host sent $(cat "$TEST_TMP/host-sent") to a container that never reads"
	[ "$out" -lt $((64 << 20)) ] || fail "the container could send $out bytes: no backpressure"
	[ "$(cat "$TEST_TMP/host-sent")" -lt $((64 << 20)) ] || fail "no backpressure to the host"
	[ "$(rss_kb "$STACK_PID")" -lt 65536 ] || fail "the stack holds $(rss_kb "$STACK_PID") kB"
}

test_mtu_1500_large_transfer() {
	need_root
	need unshare nsenter curl sha256sum
	local ns want got
	http_start
	head -c $((32 << 20)) /dev/urandom > "$TEST_TMP/www/big"
	want=$(sha256sum < "$TEST_TMP/www/big" | cut -d' ' -f1)
	ns_new ns
	stack_start --mtu 1500
	attach "$ns" c1 >/dev/null
	expect_match "$(in_ns "$ns" ip link show eth0)" 'mtu 1500'
	got=$(in_ns "$ns" curl -sS --max-time 60 "http://10.0.2.2:$HTTP_PORT/big" |
		sha256sum | cut -d' ' -f1)
	expect_eq "$got" "$want" "host -> container at MTU 1500 (segmentation offload)"
}

test_ping6_gateway() {
	need_root
	need unshare nsenter
	local ns out
	[ -e /proc/sys/net/ipv6 ] || skip "no IPv6 on this kernel"
	ns_new ns
	stack_start
	attach "$ns" c1 >/dev/null
	# the kernel fills in the ICMPv6 checksum of raw ICMPv6 sockets
	out=$(in_ns "$ns" $PY -c '
import socket, struct
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.settimeout(3)
s.sendto(struct.pack(">BBHHH", 128, 0, 0, 0x4243, 7) + b"six", ("fd00::2", 0))
while True:
    d = s.recv(200)
    if d[0] == 129:
        break
t, code, _, ident, seq = struct.unpack(">BBHHH", d[:8])
print(t, hex(ident), seq, d[8:].decode())
')
	expect_eq "$out" "129 0x4243 7 six" "the gateway answers ICMPv6 echo"
}

test_dhcp_client_gets_its_lease() {
	need_root
	need unshare nsenter
	local ns fx out
	fx=$("$SRCDIR/test/fixtures/busybox-rootfs-cache" amd64) || skip "no busybox fixture"
	ns_new ns
	stack_start --mtu 9000
	attach "$ns" c1 >/dev/null
	in_ns "$ns" ip addr flush dev eth0
	# shellcheck disable=SC2016 # expanded by udhcpc's script, not here
	printf '#!/bin/sh\necho "$1 ip=$ip router=$router dns=$dns mask=$subnet mtu=$mtu" >> %s\n' \
		"$TEST_TMP/dhcp.out" > "$TEST_TMP/dhcp.sh"
	chmod +x "$TEST_TMP/dhcp.sh"
	in_ns "$ns" timeout 20 "$fx/bin/busybox" udhcpc -i eth0 -n -q -t 3 -T 1 \
		-s "$TEST_TMP/dhcp.sh" >&2
	out=$(cat "$TEST_TMP/dhcp.out")
	expect_match "$out" \
		'^bound ip=10\.0\.2\.100 router=10\.0\.2\.2 dns=10\.0\.2\.3 mask=255\.255\.255\.0 mtu=9000$' \
		"busybox udhcpc's lease"
}

test_custom_subnet_fixed_ip_no_ipv6() {
	need_root
	need unshare nsenter curl jq
	local ns out
	http_start
	ns_new ns
	stack_start --subnet 10.89.3.0/24 --subnet6 none
	out=$(attach "$ns" c1 --ip 10.89.3.7)
	expect_eq "$(jq -r .ip <<<"$out")" 10.89.3.7
	expect_eq "$(jq -r .gateway <<<"$out")" 10.89.3.2
	expect_eq "$(jq -r .ip6 <<<"$out")" ""
	expect_no_match "$(in_ns "$ns" ip -o addr show eth0)" 'inet6 fd00' "no IPv6 address"
	expect_eq "$(in_ns "$ns" curl -sS --max-time 10 "http://10.89.3.2:$HTTP_PORT/hello.txt")" \
		"hello from the host"
	local ns2
	ns_new ns2
	expect_fail attach "$ns2" c2 --ip 10.89.3.7
	expect_fail attach "$ns2" c3 --ip 10.0.2.50
	expect_fail attach "$ns2" c4 --ip 10.89.3.2
}
