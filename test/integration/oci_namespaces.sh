# shellcheck shell=bash
# oci_namespaces.sh — linux.namespaces: each requested namespace is new,
# the others are the host's, namespaces given by path are joined, the
# hostname and domain name land in the new UTS namespace, user namespaces
# get their id maps, and time namespaces their offsets.  Every check is
# made from inside the container (/proc/self/ns, /proc/self/uid_map...).
. "$SRCDIR/test/helpers/oci.sh"

NS_PRINT='for n in pid net ipc uts mnt cgroup user time; do echo "$n $(readlink /proc/self/ns/$n)"; done; echo "self $$"'

# host_ns NAME: the inode link of one of this test's namespaces.
host_ns() {
	readlink "/proc/self/ns/$1"
}

test_each_requested_namespace_is_new() {
	need_root
	local b id out n
	b=$(bundle b "$NS_PRINT")
	id=$(cid new)
	# the fixture's config: pid network ipc uts mount cgroup
	out=$(oci run --bundle "$b" "$id")
	for n in pid net ipc uts mnt cgroup; do
		expect_match "$out" "^$n $n:\[[0-9]+\]$" "the $n namespace is listed"
		expect_no_match "$out" "^$n $(host_ns "$n" | sed 's/[][]/\\&/g')$" "the $n namespace is the host's"
	done
	for n in user time; do
		expect_match "$out" "^$n $(host_ns "$n" | sed 's/[][]/\\&/g')$" "no $n namespace asked: the host's"
	done
	expect_match "$out" '^self 1$' "the process is pid 1 of its pid namespace"
}

test_absent_namespaces_are_the_hosts() {
	need_root
	local b id out n
	b=$(bundle b "$NS_PRINT")
	for n in network ipc uts pid cgroup; do
		unset_ns "$b" "$n"
	done
	jqi "$b/config.json" 'del(.hostname)'
	id=$(cid host)
	out=$(oci run --bundle "$b" "$id")
	for n in net ipc uts pid cgroup; do
		expect_match "$out" "^$n $(host_ns "$n" | sed 's/[][]/\\&/g')$" "the $n namespace is the host's"
	done
	expect_no_match "$out" "^mnt $(host_ns mnt | sed 's/[][]/\\&/g')$" "the mount namespace is always new"
	expect_no_match "$out" '^self 1$' "not pid 1 without a pid namespace"
}

test_network_namespace_has_only_loopback() {
	need_root
	local b id out
	b=$(bundle b 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "')
	id=$(cid net)
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$out" lo "interfaces in a new network namespace"
}

test_hostname_and_domainname() {
	need_root
	local b id out before
	before=$(hostname)
	b=$(bundle b 'hostname; cat /proc/sys/kernel/domainname; cat /etc/hostname')
	jqi "$b/config.json" '.hostname = "box-one" | .domainname = "example.test"'
	id=$(cid host)
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$(sed -n 1p <<< "$out")" box-one "hostname"
	expect_eq "$(sed -n 2p <<< "$out")" example.test "domainname"
	expect_eq "$(hostname)" "$before" "the host's hostname is unchanged"
}

test_hostname_needs_a_new_uts_namespace() {
	need_root
	local b id
	b=$(bundle b 'hostname')
	unset_ns "$b" uts
	jqi "$b/config.json" '.hostname = "nope"'
	id=$(cid nouts)
	expect_fail oci run --bundle "$b" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "UTS"
	nothing_left "$id"
}

test_join_namespaces_by_path() {
	need_root
	local ba bb a c pa out
	ba=$(bundle a 'sleep 30')
	jqi "$ba/config.json" '.hostname = "alpha"'
	a=$(cid a)
	start_bg "$ba" "$a"
	pa=$(state_of "$a" pid)
	bb=$(bundle b "$NS_PRINT; hostname")
	jqi "$bb/config.json" 'del(.hostname)'
	set_ns "$bb" network "/proc/$pa/ns/net"
	set_ns "$bb" uts "/proc/$pa/ns/uts"
	set_ns "$bb" ipc "/proc/$pa/ns/ipc"
	c=$(cid b)
	out=$(oci run --bundle "$bb" "$c")
	expect_match "$out" '^alpha$' "B sees A's hostname"
	expect_match "$out" "^net $(ns_of "$pa" net | sed 's/[][]/\\&/g')$" "B is in A's network namespace"
	expect_match "$out" "^uts $(ns_of "$pa" uts | sed 's/[][]/\\&/g')$" "B is in A's UTS namespace"
	expect_match "$out" "^ipc $(ns_of "$pa" ipc | sed 's/[][]/\\&/g')$" "B is in A's IPC namespace"
	expect_no_match "$out" "^pid $(ns_of "$pa" pid | sed 's/[][]/\\&/g')$" "B has its own pid namespace"
	expect_no_match "$out" "^net $(host_ns net | sed 's/[][]/\\&/g')$" "not the host's network namespace"
	# A is unaffected by B's exit
	expect_eq "$(state_of "$a" status)" running
}

test_join_pid_namespace() {
	need_root
	local ba bb a c pa out
	ba=$(bundle a 'exec sleep 31')
	a=$(cid pa)
	start_bg "$ba" "$a"
	pa=$(state_of "$a" pid)
	bb=$(bundle b 'echo "self $$"; ps -o pid,args')
	set_ns "$bb" pid "/proc/$pa/ns/pid"
	c=$(cid pb)
	out=$(oci run --bundle "$bb" "$c")
	expect_match "$out" '^ *1 +sleep 31$' "B sees A's init as pid 1"
	expect_no_match "$out" '^self 1$' "B is not pid 1"
}

test_join_a_missing_namespace_fails_cleanly() {
	need_root
	local b id
	b=$(bundle b 'true')
	set_ns "$b" network /proc/999999999/ns/net
	id=$(cid miss)
	expect_fail oci run --bundle "$b" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "network namespace.*/proc/999999999/ns/net"
	nothing_left "$id"
}

test_join_a_namespace_of_the_wrong_type_fails() {
	need_root
	local b id
	b=$(bundle b 'true')
	# a UTS namespace given as the network one: setns refuses it
	set_ns "$b" network /proc/self/ns/uts
	id=$(cid wrong)
	expect_fail oci run --bundle "$b" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "network"
	nothing_left "$id"
}

test_user_namespace_with_mappings_as_root() {
	need_root
	local b id out d
	chmod 0755 "$TEST_TMP"
	b=$(bundle b 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; touch /out/made-inside; stat -c "%u:%g" /bin/busybox; readlink /proc/self/ns/user')
	set_ns "$b" user
	jqi "$b/config.json" '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] |
		.linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	d=$(outdir "$b")
	id=$(cid userns)
	out=$(oci run --bundle "$b" "$id")
	expect_match "$(sed -n 1p <<< "$out")" '^ +0 +100000 +65536$' "uid_map"
	expect_match "$(sed -n 2p <<< "$out")" '^ +0 +100000 +65536$' "gid_map"
	expect_eq "$(sed -n 3p <<< "$out")" 0 "root inside"
	expect_eq "$(sed -n 4p <<< "$out")" 0 "gid 0 inside"
	expect_eq "$(stat -c %u:%g "$d/made-inside")" 100000:100000 "a file made inside belongs to host uid 100000"
	expect_eq "$(sed -n 5p <<< "$out")" 65534:65534 "host root's files are unmapped (nobody) inside"
	expect_ne "$(sed -n 6p <<< "$out")" "$(host_ns user)" "a new user namespace"
	nothing_left "$id"
}

test_user_namespace_process_user_is_mapped() {
	need_root
	local b id out d
	chmod 0755 "$TEST_TMP"
	b=$(bundle b 'id -u; id -g; touch /out/by-user; grep CapEff /proc/self/status')
	set_ns "$b" user
	jqi "$b/config.json" '.linux.uidMappings = [{containerID: 0, hostID: 200000, size: 2000}] |
		.linux.gidMappings = [{containerID: 0, hostID: 200000, size: 2000}] |
		.process.user = {uid: 1000, gid: 1000}'
	d=$(outdir "$b")
	id=$(cid usr)
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$(sed -n 1,2p <<< "$out" | tr '\n' ' ')" "1000 1000 "
	expect_eq "$(stat -c %u:%g "$d/by-user")" 201000:201000 "uid 1000 inside is 201000 outside"
	expect_match "$out" 'CapEff:\s+0+$' "a non-root user has no effective capabilities"
}

test_user_namespace_needs_mappings() {
	need_root
	local b id
	b=$(bundle b 'true')
	set_ns "$b" user
	id=$(cid nomap)
	expect_fail oci run --bundle "$b" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "uidMappings"
	nothing_left "$id"
	# and mappings without a user namespace are refused too
	unset_ns "$b" user
	jqi "$b/config.json" '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 1}] |
		.linux.gidMappings = [{containerID: 0, hostID: 100000, size: 1}]'
	expect_fail oci run --bundle "$b" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "mappings"
	nothing_left "$id"
}

test_cgroup_namespace_root_is_the_containers_cgroup() {
	need_root
	local b id out
	b=$(bundle b 'cat /proc/self/cgroup')
	id=$(cid cgns)
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" '^[0-9]+:memory:/$' "memory cgroup is / in the cgroup namespace"
	expect_match "$out" '^0::/$' "cgroup2 is / in the cgroup namespace"
	unset_ns "$b" cgroup
	out=$(oci run --bundle "$b" "$id")
	expect_match "$out" "^[0-9]+:memory:/.*$id\$" "without one the full path shows"
}

test_time_namespace_offsets() {
	need_root
	[ -e /proc/self/ns/time ] || skip "no time namespaces in this kernel"
	local b id up
	b=$(bundle b 'cut -d. -f1 /proc/uptime')
	set_ns "$b" time
	jqi "$b/config.json" '.linux.timeOffsets = {boottime: {secs: 8640000, nanosecs: 0}}'
	id=$(cid time)
	up=$(oci run --bundle "$b" "$id")
	[ "$up" -ge 8640000 ] || fail "uptime inside is $up, not offset by 100 days"
	[ "$(cut -d. -f1 /proc/uptime)" -lt 8640000 ] || skip "the host has been up 100 days"
}

test_net_sysctl_in_the_containers_namespace() {
	need_root
	local b id host out
	host=$(cat /proc/sys/net/ipv4/ip_forward)
	b=$(bundle b 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/ip_default_ttl')
	jqi "$b/config.json" '.linux.sysctl = {"net.ipv4.ip_forward": "1", "net.ipv4.ip_default_ttl": "42"}'
	id=$(cid sysctl)
	out=$(oci run --bundle "$b" "$id")
	expect_eq "$out" "1"$'\n'"42"
	expect_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$host" "the host's value is unchanged"
}

test_sysctl_outside_a_namespace_is_refused() {
	need_root
	local b id
	b=$(bundle b 'true')
	id=$(cid sys2)
	jqi "$b/config.json" '.linux.sysctl = {"vm.swappiness": "10"}'
	expect_fail oci run --bundle "$b" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "vm.swappiness"
	unset_ns "$b" network
	jqi "$b/config.json" '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	expect_fail oci run --bundle "$b" "$id" 2> "$TEST_TMP/err"
	expect_match "$(cat "$TEST_TMP/err")" "network namespace"
	nothing_left "$id"
}
