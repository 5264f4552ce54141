# shellcheck shell=bash
# oci_console.sh — process.terminal: the pty master reaches the
# --console-socket (test/helpers/console_recv.py receives it, types into it
# and records what the container prints), the pty is the container's
# controlling terminal with the configured size, a foreground `run` proxies
# the pty itself, exec -t works the same way, and a terminal without a
# socket (or with a bad one) fails cleanly.
. "$SRCDIR/test/helpers/oci.sh"

# console_helper SOCKET OUT ARGS...: starts the receiver in the background
# (killed at the end) and waits until it listens.
console_helper() {
	local sock=$1 out=$2
	shift 2
	/usr/bin/python3 "$SRCDIR/test/helpers/console_recv.py" "$sock" "$out" "$@" &
	cleanup_add "kill $! 2>/dev/null; true"
	await 5 test -e "$sock.ready"
}

# terminal BUNDLE: process.terminal on.
terminal() {
	jqi "$1/config.json" '.process.terminal = true'
}

test_console_socket_receives_the_pty() {
	need_root
	local b id sock out
	sock=$TEST_TMP/console.sock
	out=$TEST_TMP/console.out
	b=$(bundle b 'tty; stty size; [ -t 0 ] && echo stdin-is-tty; echo ready; read line; echo "got: $line"')
	terminal "$b"
	jqi "$b/config.json" '.process.consoleSize = {height: 30, width: 100}'
	console_helper "$sock" "$out" --after ready --send 'hello\n'
	id=$(cid cons)
	cleanup_add oci delete --force "$id"
	oci create --console-socket "$sock" --bundle "$b" "$id"
	oci start "$id"
	await 10 test -e "$out.done" || fail "the receiver did not finish"
	expect_eq "$(cat "$out.status")" eof "the pty closed when the container exited"
	expect_match "$(cat "$out.name")" '^/dev/pts/[0-9]+$' "the pty's name is sent along"
	expect_match "$(tr -d '\r' < "$out")" '^/dev/pts/0$' "the container's tty is its own pts/0"
	expect_match "$(tr -d '\r' < "$out")" '^30 100$' "consoleSize"
	expect_match "$(tr -d '\r' < "$out")" '^stdin-is-tty$'
	expect_match "$(tr -d '\r' < "$out")" '^got: hello$' "input typed on the master reaches the container"
	await 5 status_is "$id" stopped
}

test_terminal_is_the_controlling_terminal() {
	need_root
	local b id sock out
	sock=$TEST_TMP/console.sock
	out=$TEST_TMP/console.out
	# ^C on the terminal is SIGINT for the foreground process group
	b=$(bundle b 'trap "echo got-sigint; exit 0" INT; echo ready; while :; do sleep 0.05; done')
	terminal "$b"
	console_helper "$sock" "$out" --after ready --send '\x03'
	id=$(cid ctty)
	cleanup_add oci delete --force "$id"
	oci create --console-socket "$sock" --bundle "$b" "$id"
	oci start "$id"
	await 10 test -e "$out.done" || fail "the receiver did not finish"
	expect_match "$(tr -d '\r' < "$out")" 'got-sigint$' "^C reached the container as SIGINT"
}

test_run_with_a_terminal_proxies_the_pty() {
	need_root
	local b id out
	b=$(bundle b 'tty; read line; echo "got: $line"; exit 4')
	terminal "$b"
	id=$(cid runt)
	out=$(echo typed | oci run --bundle "$b" "$id") || LIB_STATUS=$?
	expect_eq "${LIB_STATUS:-0}" 4 "the exit status through the pty"
	expect_match "$(tr -d '\r' <<< "$out")" '^/dev/pts/0$'
	expect_match "$(tr -d '\r' <<< "$out")" '^got: typed$' "stdin reached the pty"
	nothing_left "$id"
}

test_terminal_without_console_socket_fails() {
	need_root
	local b id
	b=$(bundle b 'true')
	terminal "$b"
	id=$(cid nosock)
	expect_fail oci create --bundle "$b" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'console-socket'
	nothing_left "$id"
}

test_bad_console_socket_fails_cleanly() {
	need_root
	local b id
	b=$(bundle b 'true')
	terminal "$b"
	id=$(cid badsock)
	expect_fail oci create --console-socket "$TEST_TMP/no-such.sock" --bundle "$b" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'console socket.*no-such.sock'
	nothing_left "$id"
	# a socket nobody reads from: the create must not hang
	: > "$TEST_TMP/plain-file"
	expect_fail timeout 20 "$CPOD" oci --root "$TEST_ROOT" create --console-socket "$TEST_TMP/plain-file" \
		--bundle "$b" "$id" 2> /dev/null
	nothing_left "$id"
}

test_exec_with_a_tty_and_console_socket() {
	need_root
	local b id sock out
	b=$(bundle b 'sleep 30')
	id=$(cid exect)
	start_bg "$b" "$id"
	sock=$TEST_TMP/exec.sock
	out=$TEST_TMP/exec.out
	console_helper "$sock" "$out" --after ready --send 'line\n'
	oci exec --tty --console-socket "$sock" --detach "$id" sh -c 'tty; echo ready; read l; echo "exec got: $l"'
	await 10 test -e "$out.done" || fail "the receiver did not finish"
	expect_match "$(tr -d '\r' < "$out")" '^/dev/pts/[0-9]+$'
	expect_match "$(tr -d '\r' < "$out")" '^exec got: line$'
}

test_exec_tty_in_the_foreground() {
	need_root
	local b id out rc=0
	b=$(bundle b 'sleep 30')
	id=$(cid execfg)
	start_bg "$b" "$id"
	out=$(echo abc | oci exec -t "$id" sh -c 'tty; read l; echo "fg got: $l"; exit 6') || rc=$?
	expect_eq "$rc" 6
	expect_match "$(tr -d '\r' <<< "$out")" '^/dev/pts/[0-9]+$'
	expect_match "$(tr -d '\r' <<< "$out")" '^fg got: abc$'
}
