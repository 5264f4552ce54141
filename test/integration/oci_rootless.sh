# shellcheck shell=bash
# oci_rootless.sh — the runtime run by an unprivileged user: a uid with no
# passwd entry (lib.sh's unused_uid/as_user: setpriv, a private HOME and
# XDG_RUNTIME_DIR under $TEST_TMP), a `spec --rootless` config, uid 0 inside
# mapped to that uid, /dev nodes bound from the host (which stays as it
# was), the whole lifecycle, and the clear errors when it cannot be done.
# Nothing of the host is edited: no /etc/passwd, no /etc/subuid.
. "$SRCDIR/test/helpers/oci.sh"

# rootless_setup: sets U (the uid), H (its home), R (its state root) and B
# (a bundle readable by U whose config is `spec --rootless` made as U).
rootless_setup() {
	need_root
	need setpriv
	U=$(unused_uid)
	[ -n "$U" ] || skip "no unused uid"
	chmod 0755 "$TEST_TMP"
	as_user "$U" true
	H=$TEST_TMP/home-$U
	R=$H/run/cpod-runc
	mkdir -p "$H/spec"
	chown "$U:$U" "$H/spec"
	as_user "$U" "$CPOD" oci spec --rootless --bundle "$H/spec"
	B=$TEST_TMP/rb
	make_bundle "$B"
	jq '.process.terminal = false | .process.args = ["sh", "-c", "id"] | .root.readonly = false' "$H/spec/config.json" > "$B/config.json"
	chmod -R a+rX "$B"
	# whatever this test leaves, as the user, in the user's root
	cleanup_add "for c in \$(ls '$R' 2>/dev/null); do HOME='$H' XDG_RUNTIME_DIR='$H/run' setpriv --reuid=$U --regid=$U --clear-groups -- '$CPOD' oci delete --force \"\$c\"; done; true"
}

# uoci ARGS...: the runtime as the user, with its default state root.
uoci() {
	as_user "$U" "$CPOD" oci "$@"
}

# rargs ARGS...: the rootless bundle's process.args.
rargs() {
	set_args "$B" "$@"
}

test_rootless_run_maps_root_to_the_user() {
	rootless_setup
	local id out
	rargs /bin/sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; touch /tmp/made-by-root-inside; hostname'
	id=$(cid run)
	out=$(uoci run --bundle "$B" "$id")
	expect_eq "$(sed -n 1p <<< "$out")" 0 "uid 0 inside"
	expect_eq "$(sed -n 2p <<< "$out")" 0 "gid 0 inside"
	expect_match "$(sed -n 3p <<< "$out")" "^ +0 +$U +1\$" "uid_map: 0 is the user"
	expect_match "$(sed -n 4p <<< "$out")" "^ +0 +$U +1\$" "gid_map"
	expect_eq "$(stat -c %u:%g "$B/rootfs/tmp/made-by-root-inside")" "$U:$U" "files made inside belong to the user"
	expect_eq "$(sed -n 5p <<< "$out")" "$(jq -r .hostname "$B/config.json")" "its own UTS namespace"
	# the default state root, private to the user, and empty again
	test -d "$R" || fail "no state root at $R"
	expect_eq "$(stat -c '%u %a' "$R")" "$U 700"
	expect_eq "$(containers_in "$R")" ""
}

test_rootless_dev_nodes_are_binds_and_the_hosts_stay() {
	rootless_setup
	local id out before
	before=$(stat -c '%n %F %t:%T %a %u:%g' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty)
	rargs /bin/sh -c 'stat -c "%n %F %t:%T %a" /dev/null /dev/zero /dev/urandom /dev/tty
		grep -E " /dev/(null|zero|full|random|urandom|tty) " /proc/self/mountinfo | cut -d" " -f4,5
		echo x > /dev/null && echo null-ok; head -c 2 /dev/zero | od -An -tx1'
	id=$(cid dev)
	out=$(uoci run --bundle "$B" "$id")
	expect_match "$out" '^/dev/null character special file 1:3 666$'
	expect_match "$out" '^/dev/zero character special file 1:5 666$'
	expect_match "$out" '^/dev/urandom character special file 1:9 666$'
	expect_match "$out" '^/dev/tty character special file 5:0 666$'
	expect_eq "$(grep -c '^/null /dev/null$\|^/zero /dev/zero$\|^/full /dev/full$\|^/random /dev/random$\|^/urandom /dev/urandom$\|^/tty /dev/tty$' <<< "$out")" 6 \
		"each node is a bind mount of the host's"
	expect_match "$out" '^null-ok$'
	expect_match "$out" '^ 00 00$'
	expect_eq "$(stat -c '%n %F %t:%T %a %u:%g' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty)" \
		"$before" "the host's /dev nodes are unchanged"
	expect_eq "$(stat -c '%F %a %u:%g' /dev/null)" "character special file 666 0:0"
}

test_rootless_lifecycle() {
	rootless_setup
	local id pid out
	rargs /bin/sh -c 'echo started > /tmp/started; sleep 30'
	id=$(cid life)
	uoci create --bundle "$B" "$id" > /dev/null 2>&1
	expect_eq "$(uoci state "$id" | jq -r .status)" created
	pid=$(uoci state "$id" | jq -r .pid)
	expect_eq "$(stat -c %u "/proc/$pid")" "$U" "the init runs as the user on the host"
	uoci start "$id"
	expect_eq "$(uoci state "$id" | jq -r .status)" running
	await 5 test -e "$B/rootfs/tmp/started"
	out=$(uoci exec "$id" sh -c 'id -u; cat /proc/self/uid_map')
	expect_eq "$(sed -n 1p <<< "$out")" 0 "exec is root inside too"
	expect_match "$(sed -n 2p <<< "$out")" "^ +0 +$U +1\$"
	expect_match "$(uoci list -q)" "^$id\$" "list"
	uoci ps --format json "$id" | jq -e --argjson p "$pid" 'index($p)' > /dev/null || fail "ps does not show the init"
	expect_fail uoci delete "$id" 2> /dev/null
	uoci kill "$id" KILL
	await 5 sh -c "[ \"\$(HOME=$H XDG_RUNTIME_DIR=$H/run setpriv --reuid=$U --regid=$U --clear-groups -- $CPOD oci state $id | jq -r .status)\" = stopped ]"
	uoci delete "$id"
	expect_eq "$(containers_in "$R")" "" "nothing left in the state root"
	pid_alive "$pid" && fail "the init survived"
	# root cannot see the user's containers in its own root, and vice versa
	expect_eq "$(oci list -q)" ""
}

test_rootless_exit_status() {
	rootless_setup
	local id
	rargs /bin/sh -c 'exit 9'
	id=$(cid exit)
	expect_status 9 uoci run --bundle "$B" "$id"
}

test_rootless_without_a_user_namespace_fails_clearly() {
	rootless_setup
	local id
	jqi "$B/config.json" '.linux.namespaces = [.linux.namespaces[] | select(.type != "user")] |
		del(.linux.uidMappings, .linux.gidMappings)'
	id=$(cid nouserns)
	expect_fail uoci run --bundle "$B" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'user namespace' "says why"
	expect_eq "$(containers_in "$R")" "" "nothing left"
}

test_rootless_cannot_map_ids_it_does_not_own() {
	rootless_setup
	local id t0 t1
	# 0 -> host root: needs newuidmap and an /etc/subuid entry the uid lacks
	jqi "$B/config.json" '.linux.uidMappings = [{containerID: 0, hostID: 0, size: 1}] |
		.linux.gidMappings = [{containerID: 0, hostID: 0, size: 1}]'
	id=$(cid map)
	t0=$(date +%s)
	expect_fail uoci run --bundle "$B" "$id" 2> "$TEST_TMP/err"
	t1=$(date +%s)
	[ $((t1 - t0)) -lt 15 ] || fail "took $((t1 - t0)) s to fail"
	expect_match "$(cat "$TEST_TMP/err")" 'newuidmap|subuid|uid_map|mapping' "says why"
	expect_eq "$(containers_in "$R")" "" "nothing left"
}

test_rootless_refuses_a_shared_state_root() {
	rootless_setup
	local id d
	d=$TEST_TMP/shared-root
	mkdir -p "$d"
	chmod 1777 "$d"
	rargs true
	id=$(cid shared)
	expect_fail uoci --root "$d" run --bundle "$B" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'private'
	expect_eq "$(ls -A "$d")" "" "nothing made there"
}

test_rootless_resource_limits_it_cannot_apply_fail() {
	rootless_setup
	local id
	# no delegated cgroup here: a limit cannot be honoured, which is an error
	jqi "$B/config.json" '.linux.resources = {memory: {limit: 33554432}}'
	rargs true
	id=$(cid limits)
	expect_fail uoci run --bundle "$B" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" 'cgroup' "says why"
	expect_eq "$(containers_in "$R")" "" "nothing left"
	expect_eq "$(host_cgroups "$id")" "" "no cgroup left"
}

test_rootless_cannot_reach_host_root_files() {
	rootless_setup
	local id out secret
	secret=$TEST_TMP/secret
	echo "host secret" > "$secret"
	chmod 0600 "$secret"
	mkdir -p "$B/rootfs/host"
	add_bind "$B" "$TEST_TMP" /host ro
	rargs /bin/sh -c 'cat /host/secret 2>&1; echo "rc=$?"'
	id=$(cid dac)
	out=$(uoci run --bundle "$B" "$id")
	expect_match "$out" 'Permission denied' "root inside is not root outside"
	expect_no_match "$out" 'host secret'
}
