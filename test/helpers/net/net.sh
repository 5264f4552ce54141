# shellcheck shell=bash
# net.sh — what the networking tests (test/integration/net_*.sh) share:
# servers on host loopback started and ended by PID (an HTTP server, a DNS
# server answering one name, a UDP echo server, all /usr/bin/python3), a
# test resolv.conf pointing at that DNS server (CPOD_RESOLV_CONF, which
# the stacks forward to: no query ever reaches the host's resolvers), and
# a cleanup that waits for the test's network stack processes to end by
# themselves (they do, a moment after their last container left) and else
# kills them by PID.  Sourced after lib.sh.

. "$SRCDIR/test/helpers/ctr/ctr.sh"

NET_HELPERS=$SRCDIR/test/helpers/net
PY=/usr/bin/python3

# net_setup: ctr_setup, python3, the stacks' cleanup, and a resolv.conf
# with no server at all until net_dns_server gives one.
net_setup() {
	ctr_setup
	[ -x "$PY" ] || skip "no $PY"
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	cleanup_add net_cleanup
	NET_RESOLV=$TEST_TMP/resolv.conf
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > "$NET_RESOLV"
	export CPOD_RESOLV_CONF=$NET_RESOLV
	NET_PIDS=()
}

# net_stacks: the PIDs of the live network stacks of this test's run root.
net_stacks() {
	local f pid
	local -a a
	for f in /proc/[0-9]*/cmdline; do
		{ mapfile -d '' -t a < "$f"; } 2> /dev/null || continue
		[ "${a[1]:-}" = __usernet ] || continue
		case "${a[3]:-}" in "$CPOD_RUNROOT"/*) ;; *) continue ;; esac
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		ctr_alive "$pid" && printf '%s\n' "$pid"
	done
	return 0
}

net_no_stacks() {
	[ -z "$(net_stacks)" ]
}

# net_cleanup: after ctr_cleanup (registered before, so it runs after
# this? no: cleanups run in reverse order, so the containers go first).
net_cleanup() {
	local pid
	for pid in "${NET_PIDS[@]}"; do
		kill "$pid" 2> /dev/null || true
	done
	for id in $("$CPOD" ps -aq --no-trunc 2> /dev/null); do
		"$CPOD" rm -f "$id" > /dev/null 2>&1 || true
	done
	wait_for 15 net_no_stacks 2> /dev/null && return 0
	for pid in $(net_stacks); do
		log "cleanup: network stack $pid still alive: killed"
		kill -KILL "$pid" 2> /dev/null || true
	done
}

# net_free_port: a free TCP port on 127.0.0.1.
net_free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# net_bg CMD...: starts a server in the background, remembered for the cleanup.
net_bg() {
	"$@" &
	NET_PIDS+=("$!")
}

# net_http_server DIR PORT: python's HTTP server on 127.0.0.1:PORT serving
# DIR; waits until it accepts.
net_http_server() {
	local dir=$1 port=$2
	net_bg "$PY" -m http.server "$port" --bind 127.0.0.1 --directory "$dir" > /dev/null 2>&1
	wait_for 10 "$PY" -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" ||
		fail "the HTTP server on port $port did not come up"
}

# net_dns_server NAME ADDR: a DNS server on port 53 of a loopback address
# of its own (127.X.Y.Z, random: tests run in parallel) answering NAME
# with ADDR (A), NXDOMAIN otherwise; logs the names asked in
# $TEST_TMP/dns.log.  The test resolv.conf (CPOD_RESOLV_CONF, which the
# stacks forward to) points at it; NET_DNS_IP is its address.
net_dns_server() {
	NET_DNS_IP=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
	net_bg "$PY" "$NET_HELPERS/dns.py" "$NET_DNS_IP" "$1" "$2" "$TEST_TMP/dns.log"
	wait_for 10 test -e "$TEST_TMP/dns.log" || fail "the DNS server did not come up"
	printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$NET_DNS_IP" > "$NET_RESOLV"
}

# net_tftp_server DIR PORT: a TFTP server (UDP) on 127.0.0.1:PORT serving
# the files of DIR (busybox's tftp is the container's UDP client).
net_tftp_server() {
	net_bg "$PY" "$NET_HELPERS/tftpd.py" 127.0.0.1 "$2" "$1" "$TEST_TMP/tftp.ready"
	wait_for 10 test -e "$TEST_TMP/tftp.ready" || fail "the TFTP server did not come up"
}

# net_free_udp_port: a free UDP port on 127.0.0.1.
net_free_udp_port() {
	"$PY" -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
