# shellcheck shell=bash
# base_cli.sh — the command line's own behaviour: version, help, and how an
# unknown command fails (podman's exit status 125, one line on stderr).

test_version() {
	local out
	out=$(cpod version)
	expect_match "$out" '^cpod-mini version [0-9]+\.[0-9]+\.[0-9]+' "version line"
	expect_eq "$(printf '%s\n' "$out" | wc -l)" 1 "one line"
	# --version is the same
	expect_eq "$(cpod --version)" "$out"
}

test_help() {
	local out
	out=$(cpod help)
	expect_match "$out" '^usage: cpod-mini ' "usage line"
	expect_match "$out" '^  oci ' "lists the oci command"
	expect_match "$out" '^  version ' "lists the version command"
	expect_eq "$(cpod --help)" "$out" "--help is help"
}

test_no_arguments_prints_usage() {
	local err
	expect_status 125 cpod 2> "$TEST_TMP/err"
	err=$(cat "$TEST_TMP/err")
	expect_match "$err" '^usage: cpod-mini '
}

test_unknown_command_exits_125() {
	local out err
	expect_status 125 cpod no-such-command > "$TEST_TMP/out" 2> "$TEST_TMP/err"
	out=$(cat "$TEST_TMP/out")
	err=$(cat "$TEST_TMP/err")
	expect_eq "$out" "" "nothing on stdout"
	expect_eq "$(printf '%s\n' "$err" | wc -l)" 1 "a one-line error"
	expect_match "$err" '^cpod-mini: .*no-such-command' "names the command"
}

test_invoked_as_cpod_runc() {
	# The runtime personality is chosen by the program name.
	ln -s "$CPOD" "$TEST_TMP/cpod-runc"
	expect_fail "$TEST_TMP/cpod-runc" no-such-verb 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" '^cpod-runc: ' "errors carry the runtime's name"
}
