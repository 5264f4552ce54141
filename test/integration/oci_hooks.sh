# shellcheck shell=bash
# oci_hooks.sh — hooks: all six kinds run in the runtime-spec's order with
# the state on stdin; prestart, createRuntime, poststart and poststop in the
# runtime's namespaces, createContainer and startContainer in the
# container's; several hooks of a kind run in order; args and env are the
# config's; a failing (or timed out) creation hook makes create fail and
# leaves nothing; failing poststart/poststop hooks only warn.
. "$SRCDIR/test/helpers/oci.sh"

# add_hook BUNDLE KIND SCRIPT [TIMEOUT]: a hook running `sh -c SCRIPT`.
# Hooks of the runtime's namespace run the host's /bin/sh, startContainer
# hooks the container's (their path is resolved in the container).
add_hook() {
	local h
	h=$(jq -nc --arg s "$3" '{path: "/bin/sh", args: ["sh", "-c", $s]}')
	if [ -n "${4:-}" ]; then
		h=$(jq -c --argjson t "$4" '.timeout = $t' <<< "$h")
	fi
	jqi "$1/config.json" '.hooks[$k] += [$h]' --arg k "$2" --argjson h "$h"
}

# Every kind writes its state and appends its name to "order", in DIR
# (seen at /hooks by startContainer hooks, which run in the container).
add_all_hooks() {
	local b=$1 d=$2 k
	for k in prestart createRuntime createContainer poststart poststop; do
		add_hook "$b" "$k" "cat > $d/$k.json; echo $k >> $d/order"
	done
	add_hook "$b" startContainer "cat > /hooks/startContainer.json; echo startContainer >> /hooks/order"
}

# expect_hook_order FILE [MAIN]: the kinds in FILE are in the spec's order,
# and MAIN (the program's own line) is after startContainer.  poststart and
# startContainer may come in either order: `start` runs poststart once the
# init is released, while the init runs startContainer and then the program
# (as runc does; the spec would have poststart after the program started).
expect_hook_order() {
	local got
	got=$(grep -v "^${2:-NONE}\$" "$1" | tr '\n' ' ')
	case "$got" in
	"prestart createRuntime createContainer startContainer poststart poststop ") ;;
	"prestart createRuntime createContainer poststart startContainer poststop ")
		log "poststart ran before startContainer had finished" ;;
	*) fail "hooks out of order: $got" ;;
	esac
	if [ -n "${2:-}" ]; then
		expect_match "$(sed -n "/^startContainer\$/,\$p" "$1")" "^$2\$" "$2 after startContainer"
	fi
}

test_all_hooks_run_in_order_with_the_state() {
	need_root
	local b d id pid k
	b=$(bundle b 'sleep 0.2')
	d=$(outdir "$b" /hooks)
	jqi "$b/config.json" '.annotations = {"hook.test": "yes"}'
	add_all_hooks "$b" "$d"
	id=$(cid order)
	create_bg "$b" "$id"
	pid=$(state_of "$id" pid)
	expect_eq "$(tr '\n' ' ' < "$d/order")" "prestart createRuntime createContainer " "hooks run by create"
	oci start "$id"
	await 5 status_is "$id" stopped
	await 5 grep -q poststart "$d/order"
	oci delete "$id"
	expect_hook_order "$d/order"
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		jq -e . "$d/$k.json" > /dev/null || fail "$k: the state is not JSON: $(cat "$d/$k.json")"
		expect_eq "$(jq -r .id "$d/$k.json")" "$id" "$k: id"
		expect_eq "$(jq -r .bundle "$d/$k.json")" "$b" "$k: bundle"
		expect_match "$(jq -r .ociVersion "$d/$k.json")" '^1\.' "$k: ociVersion"
		expect_eq "$(jq -r '.annotations["hook.test"]' "$d/$k.json")" yes "$k: annotations"
	done
	for k in prestart createRuntime createContainer startContainer poststart; do
		expect_eq "$(jq -r .pid "$d/$k.json")" "$pid" "$k: the init's pid (as the host sees it)"
	done
	for k in prestart createRuntime createContainer; do
		expect_eq "$(jq -r .status "$d/$k.json")" creating "$k: status"
	done
	expect_match "$(jq -r .status "$d/startContainer.json")" '^(created|running)$' "startContainer: status"
	expect_eq "$(jq -r .status "$d/poststart.json")" running "poststart: status"
	expect_eq "$(jq -r .status "$d/poststop.json")" stopped "poststop: status"
}

test_hooks_run_by_run() {
	need_root
	local b d id
	b=$(bundle b 'echo main >> /hooks/order')
	d=$(outdir "$b" /hooks)
	add_all_hooks "$b" "$d"
	id=$(cid run)
	oci run --bundle "$b" "$id"
	expect_hook_order "$d/order" main
	nothing_left "$id"
}

test_hook_namespaces() {
	need_root
	local b d id pid k
	b=$(bundle b 'sleep 30')
	d=$(outdir "$b" /hooks)
	jqi "$b/config.json" '.hostname = "hooked"'
	for k in prestart createRuntime createContainer poststart; do
		add_hook "$b" "$k" "for n in mnt net uts pid; do echo \"\$n \$(readlink /proc/self/ns/\$n)\"; done > $d/$k.ns; hostname > $d/$k.host"
	done
	add_hook "$b" startContainer "for n in mnt net uts; do echo \"\$n \$(readlink /proc/self/ns/\$n)\"; done > /hooks/startContainer.ns; hostname > /hooks/startContainer.host"
	id=$(cid ns)
	start_bg "$b" "$id"
	pid=$(state_of "$id" pid)
	await 5 test -s "$d/poststart.host"
	# the runtime's namespaces
	for k in prestart createRuntime poststart; do
		expect_match "$(cat "$d/$k.ns")" "^mnt $(readlink /proc/self/ns/mnt | sed 's/[][]/\\&/g')$" "$k: the host's mount ns"
		expect_match "$(cat "$d/$k.ns")" "^net $(readlink /proc/self/ns/net | sed 's/[][]/\\&/g')$" "$k: the host's net ns"
		expect_eq "$(cat "$d/$k.host")" "$(hostname)" "$k: the host's hostname"
	done
	# the container's
	for k in createContainer startContainer; do
		expect_match "$(cat "$d/$k.ns")" "^mnt $(ns_of "$pid" mnt | sed 's/[][]/\\&/g')$" "$k: the container's mount ns"
		expect_match "$(cat "$d/$k.ns")" "^net $(ns_of "$pid" net | sed 's/[][]/\\&/g')$" "$k: the container's net ns"
		expect_match "$(cat "$d/$k.ns")" "^uts $(ns_of "$pid" uts | sed 's/[][]/\\&/g')$" "$k: the container's uts ns"
	done
	# startContainer runs after the hostname is set, in the container's root
	expect_eq "$(cat "$d/startContainer.host")" hooked "startContainer sees the container's hostname"
}

test_prestart_can_reach_the_container() {
	need_root
	local b d id pid
	# what network hooks do: enter the container's namespaces by its pid
	b=$(bundle b 'sleep 30')
	d=$(outdir "$b" /hooks)
	add_hook "$b" prestart "pid=\$(sed -n 's/.*\"pid\": *\\([0-9]*\\).*/\\1/p'); readlink /proc/\$pid/ns/net > $d/net"
	id=$(cid reach)
	start_bg "$b" "$id"
	pid=$(state_of "$id" pid)
	expect_eq "$(cat "$d/net")" "$(ns_of "$pid" net)" "the prestart hook saw the container's net ns"
}

test_several_hooks_of_a_kind_run_in_order() {
	need_root
	local b d id
	b=$(bundle b 'true')
	d=$(tmpdir out)
	add_hook "$b" prestart "echo one >> $d/order"
	add_hook "$b" prestart "echo two >> $d/order"
	add_hook "$b" prestart "echo three >> $d/order"
	id=$(cid several)
	oci run --bundle "$b" "$id"
	expect_eq "$(tr '\n' ' ' < "$d/order")" "one two three "
}

test_hook_args_and_env() {
	need_root
	local b d id h
	b=$(bundle b 'true')
	d=$(tmpdir out)
	h=$(jq -nc --arg d "$d" '{path: "/bin/sh",
		args: ["argv-zero", "-c", "echo \"$0|$1\" > \($d)/args; tr \"\\\\0\" \"|\" < /proc/$$/cmdline > \($d)/cmdline; env > \($d)/env", "one", "two words"],
		env: ["FOO=bar", "PATH=/usr/bin:/bin"]}')
	jqi "$b/config.json" '.hooks.prestart = [$h]' --argjson h "$h"
	id=$(cid args)
	TEST_LEAK=should-not-leak oci run --bundle "$b" "$id"
	expect_eq "$(cat "$d/args")" "one|two words" "args"
	expect_match "$(cat "$d/cmdline")" "^argv-zero\|-c\|" "args[0] is argv[0]"
	expect_match "$(cat "$d/env")" '^FOO=bar$' "the hook's env"
	expect_no_match "$(cat "$d/env")" 'TEST_LEAK|TEST_TMP' "the runtime's env does not leak"
}

test_failing_prestart_fails_create_and_leaves_nothing() {
	need_root
	local b d id
	b=$(bundle b 'echo should-not-run > /hooks/ran')
	d=$(outdir "$b" /hooks)
	add_hook "$b" prestart "echo ran >> $d/prestart; exit 7"
	add_hook "$b" createRuntime "echo ran >> $d/createRuntime"
	id=$(cid fail)
	expect_fail oci create --bundle "$b" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'prestart.*/bin/sh.*(status 7|exit)' "names the hook and its status"
	test -e "$d/prestart" || fail "the hook did not run"
	test ! -e "$d/createRuntime" || fail "a later hook ran after the failure"
	nothing_left "$id"
	# and with run
	expect_fail oci run --bundle "$b" "$id" 2> /dev/null
	test ! -e "$d/ran" || fail "the program ran"
	nothing_left "$id"
}

test_failing_create_container_hook_leaves_nothing() {
	need_root
	local b id
	b=$(bundle b 'true')
	add_hook "$b" createContainer "exit 3"
	id=$(cid failcc)
	expect_fail oci create --bundle "$b" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'createContainer'
	nothing_left "$id"
}

test_failing_start_container_hook_fails_start() {
	need_root
	local b d id pid
	b=$(bundle b 'echo ran > /hooks/ran')
	d=$(outdir "$b" /hooks)
	add_hook "$b" startContainer "exit 4"
	id=$(cid failsc)
	create_bg "$b" "$id"
	pid=$(state_of "$id" pid)
	oci start "$id" 2> "$TEST_TMP/err" || true
	await 5 status_is "$id" stopped
	test ! -e "$d/ran" || fail "the program ran after a failed startContainer hook"
	oci delete "$id"
	nothing_left "$id" "$pid"
}

test_hook_timeout_kills_the_hook() {
	need_root
	local b d id t0 t1 hpid
	b=$(bundle b 'true')
	d=$(tmpdir out)
	add_hook "$b" prestart "echo \$\$ > $d/pid; exec sleep 30" 1
	id=$(cid timeout)
	t0=$(date +%s%N)
	expect_fail oci create --bundle "$b" "$id" 2> "$TEST_TMP/err"
	t1=$(date +%s%N)
	[ $(( (t1 - t0) / 1000000 )) -lt 10000 ] || fail "create waited $(( (t1 - t0) / 1000000 )) ms for a 1 s hook"
	[ $(( (t1 - t0) / 1000000 )) -ge 900 ] || fail "create gave up before the timeout"
	expect_match "$(cat "$TEST_TMP/err")" 'prestart' "names the hook"
	expect_match "$(cat "$TEST_TMP/err")" 'time|signal 9|killed' "says it timed out"
	hpid=$(cat "$d/pid")
	await 2 sh -c "! kill -0 $hpid 2>/dev/null" || fail "the hook $hpid is still running"
	nothing_left "$id"
}

test_failing_poststart_and_poststop_only_warn() {
	need_root
	local b id
	b=$(bundle b 'sleep 30')
	add_hook "$b" poststart "exit 1"
	add_hook "$b" poststop "exit 1"
	id=$(cid warn)
	create_bg "$b" "$id"
	oci start "$id" 2> "$TEST_TMP/err"
	expect_eq "$(state_of "$id" status)" running "running despite the poststart hook"
	expect_match "$(cat "$TEST_TMP/err")" 'poststart' "a warning names the hook"
	oci delete --force "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'poststop' "a warning names the hook"
	nothing_left "$id"
}

test_relative_hook_path_is_refused() {
	need_root
	local b id
	b=$(bundle b 'true')
	jqi "$b/config.json" '.hooks.prestart = [{path: "bin/sh"}]'
	id=$(cid rel)
	expect_fail oci run --bundle "$b" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'hooks.prestart\[0\].path'
	nothing_left "$id"
}
