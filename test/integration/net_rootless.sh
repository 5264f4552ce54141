# shellcheck shell=bash
# net_rootless.sh — an unprivileged user's containers and the network.
# The user is a uid without a passwd entry, with subordinate ids: the
# host's /etc/passwd, /etc/subuid and /etc/subgid are overlaid by the
# test's own in a private mount namespace (nothing of the host changes).
# Where /dev/net/tun is mode 0600 (as here) the user cannot make a tap:
# the default network then falls back to none with a warning and an
# explicit usernet fails with a clear error; the test of working rootless
# networking then binds a tun node of its own (mode 0666, made in its
# temporary directory) over /dev/net/tun in its private mount namespace.
# The host's /dev/net/tun is never changed.
# shellcheck disable=SC2034 # read by test/run
TIMEOUT=300
. "$SRCDIR/test/helpers/net/net.sh"

# net_rootless_run SCRIPT: runs the shell script SCRIPT as the rootless
# user (set up on first use: NET_U, NET_H); prints its output, returns its
# status.
net_rootless_prepare() {
	need setpriv unshare
	[ -e /etc/subuid ] && [ -e /etc/subgid ] && [ -x /usr/bin/newuidmap ] ||
		skip "no /etc/subuid, /etc/subgid or newuidmap to overlay"
	NET_U=$(unused_uid) || skip "no unused uid"
	chmod 0755 "$TEST_TMP"
	as_user "$NET_U" true
	NET_H=$TEST_TMP/home-$NET_U
	local t=$TEST_TMP/busybox-amd64.tar   # made by ctr_setup's import
	printf '127.0.0.1 localhost\n' > "$TEST_TMP/hosts"
	chmod 0644 "$t" "$NET_RESOLV" "$TEST_TMP/hosts"
	cp /etc/passwd "$TEST_TMP/passwd"
	echo "nettest:x:$NET_U:$NET_U::$NET_H:/bin/sh" >> "$TEST_TMP/passwd"
	# sub ids right after the uid: a fixed range could hold the random uid
	echo "nettest:$((NET_U + 1)):65536" > "$TEST_TMP/subid"
	chmod 0644 "$TEST_TMP/passwd" "$TEST_TMP/subid"
}

net_rootless_run() {
	printf 'set -e\ncpod() { "%s" "$@"; }\n' "$CPOD" > "$TEST_TMP/as-user.sh"
	printf 'cpod import -c %q %q busybox > /dev/null\n' 'CMD ["sh"]' "$TEST_TMP/busybox-amd64.tar" \
		>> "$TEST_TMP/as-user.sh"
	printf '%s\n' "$1" >> "$TEST_TMP/as-user.sh"
	chmod 0644 "$TEST_TMP/as-user.sh"
	unshare -m bash -c '
		mount --make-rprivate / &&
		{ [ -z "$4" ] || mount --bind "$4" /dev/net/tun; } &&
		mount --bind "$1/passwd" /etc/passwd &&
		mount --bind "$1/subid" /etc/subuid &&
		mount --bind "$1/subid" /etc/subgid &&
		exec env -u CPOD_ROOT -u CPOD_RUNROOT HOME="$2" XDG_RUNTIME_DIR="$2/run" \
			XDG_DATA_HOME="$2/data" CPOD_RESOLV_CONF="$1/resolv.conf" CPOD_HOSTS="$1/hosts" \
			setpriv --reuid="$3" --regid="$3" --clear-groups -- bash "$1/as-user.sh"' \
		sh "$TEST_TMP" "$NET_H" "$NET_U" "${NET_TUN:-}"
}

# net_rootless_own_tun: later runs get a tun node of the test's own, mode
# 0666, bound over /dev/net/tun in their private mount namespace only (the
# host's node is never changed; the bind goes with the namespace).
net_rootless_own_tun() {
	NET_TUN=$TEST_TMP/tun
	mknod "$NET_TUN" c 10 200 && chmod 0666 "$NET_TUN" ||
		skip "cannot make a tun node of our own in $TEST_TMP"
}

# whether the user can open the tun device
net_rootless_tun_ok() {
	setpriv --reuid="$NET_U" --regid="$NET_U" --clear-groups -- \
		"$PY" -c 'import os; os.close(os.open("/dev/net/tun", os.O_RDWR))' 2> /dev/null
}

# a rootless run leaves its supervisors and stacks under the user's run root
net_rootless_cleanup() {
	local f pid
	local -a a
	for f in /proc/[0-9]*/cmdline; do
		{ mapfile -d '' -t a < "$f"; } 2> /dev/null || continue
		case "${a[*]}" in *"$NET_H"*) ;; *) continue ;; esac
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		kill -KILL "$pid" 2> /dev/null || true
	done
}

test_rootless_without_tun() {
	net_setup
	net_rootless_prepare
	net_rootless_tun_ok && skip "uid $NET_U can open /dev/net/tun here: nothing to fall back from"
	cleanup_add net_rootless_cleanup
	local out rc=0
	out=$(net_rootless_run 2>&1 '
		cpod run --rm busybox sh -c "ip -o link | grep -c eth0 || true" 2> "$HOME/default.err" ||
			{ rc=$?; cat "$HOME/default.err"; exit "$rc"; }
		cat "$HOME/default.err"
		cpod create --name fellback busybox true > /dev/null 2>&1
		echo "mode=$(cpod inspect --format "{{.HostConfig.NetworkMode}}" fellback)"
		cpod rm fellback > /dev/null
		echo ---
		cpod run --rm --network usernet busybox true 2>&1 && echo started || echo "status $?"') || rc=$?
	log "$out"
	expect_eq "$rc" 0 "the rootless runs"
	expect_match "$out" '^0$' "the default network fell back to none: no eth0"
	expect_match "$out" '/dev/net/tun' "with a warning that names /dev/net/tun"
	expect_match "$out" '^mode=none$' "inspect's NetworkMode says none"
	expect_match "$(awk '/^---$/ { n++; next } n == 1' <<< "$out")" 'status 12[5-7]' \
		"an explicit usernet fails"
}

test_rootless_networking() {
	net_setup
	net_rootless_prepare
	# where the user may not open the host's node (mode 0600 here), the
	# test brings its own, in its mount namespace
	net_rootless_tun_ok || net_rootless_own_tun
	cleanup_add net_rootless_cleanup
	local www port pub out rc=0
	need curl
	www=$(tmpdir www)
	echo rootless-ok > "$www/index.html"
	chmod -R a+rX "$www"
	port=$(net_free_port)
	net_http_server "$www" "$port"
	pub=$(net_free_port)
	out=$(net_rootless_run "
		cpod run --rm busybox timeout 10 wget -q -O - http://10.0.2.2:$port/
		cpod run -d --name web -p 127.0.0.1:$pub:80 busybox \
			sh -c 'mkdir /www && echo published-ok > /www/index.html && exec httpd -f -p 80 -h /www' > /dev/null
		for i in \$(seq 50); do
			curl -fsS --max-time 5 http://127.0.0.1:$pub/ && break
			sleep 0.2
		done
		cpod rm -f web > /dev/null") || rc=$?
	expect_eq "$rc" 0 "the rootless run ($out)"
	expect_match "$out" rootless-ok "an unprivileged user's container reaches the host's loopback"
	expect_match "$out" published-ok "a rootless container's published port serves the host"
}
