# shellcheck shell=bash
# ctr_options_process.sh — the options of run that shape the container's
# process, seen from inside it: -e and --env-file, -u and --group-add, -w,
# --entrypoint, -h, --add-host, --dns*, --ulimit, --init.
. "$SRCDIR/test/integration/ctr_options_lib.sh"

test_env_and_env_file() {
	ctr_import busybox 'ENV IMG=image KEEP=kept'
	printf '# a comment\n\nFILE1=one\n  FILE2=two words\nFROMHOST\nIMG=from-file\nEMPTY=\n' \
		> "$TEST_TMP/env"
	export FROMHOST=host-value CTRGLOB_A=a CTRGLOB_B=b
	local out
	out=$(FROMHOST=host-value crun --env-file "$TEST_TMP/env" -e FILE1=over -e NEW=1 \
		-e 'CTRGLOB_*' -e UNSET_HERE busybox env)
	expect_match "$out" '^FILE1=over$' "-e wins over --env-file"
	expect_match "$out" '^FILE2=two words$' "values keep their spaces"
	expect_match "$out" '^FROMHOST=host-value$' "a name alone takes ours"
	expect_match "$out" '^IMG=from-file$' "the file wins over the image"
	expect_match "$out" '^KEEP=kept$' "the image's environment"
	expect_match "$out" '^EMPTY=$'
	expect_match "$out" '^NEW=1$'
	expect_match "$out" '^CTRGLOB_A=a$' "a glob takes ours"
	expect_match "$out" '^CTRGLOB_B=b$'
	expect_no_match "$out" 'UNSET_HERE' "a name we do not have is left out"
	expect_match "$out" '^HOSTNAME=' "HOSTNAME"
	expect_match "$out" '^container=cpod$'
	printf 'BAD KEY=1\n' > "$TEST_TMP/bad-env"
	ctr_bad --env-file "$TEST_TMP/bad-env"
	ctr_bad --env-file "$TEST_TMP/no-such-file"
	ctr_bad -e =value
}

test_user_groups_workdir_entrypoint() {
	ctr_import
	expect_eq "$(crun -u app busybox id)" "uid=1000(app) gid=1000(app) groups=50(staff),1000(app)" \
		"-u by name: its primary and member groups"
	expect_eq "$(crun -u 1000:29 busybox id)" "uid=1000(app) gid=29(audio) groups=29(audio)" \
		"-u uid:gid"
	expect_eq "$(crun -u app --group-add audio --group-add 4242 busybox id)" \
		"uid=1000(app) gid=1000(app) groups=29(audio),50(staff),1000(app),4242" "--group-add"
	expect_eq "$(crun --group-add staff busybox id -G)" "0 50" "--group-add for root"
	expect_eq "$(crun -w /new/dir busybox pwd)" "/new/dir" "-w makes the directory"
	expect_eq "$(crun --entrypoint echo busybox a b)" "a b" "--entrypoint, args after it"
	expect_eq "$(crun --entrypoint '["/bin/echo","x"]' busybox y)" "x y" "--entrypoint as JSON"
	expect_eq "$(crun -u app busybox sh -c 'echo $HOME')" "/home/app" "HOME from passwd"
	capture cpod run --rm -u nosuchuser busybox true
	expect_eq "$STATUS" 125 "-u of an unknown user"
	expect_match "$ERR" 'nosuchuser' "named"
	ctr_bad --group-add nosuchgroup
	ctr_bad --workdir relative/dir
	ctr_bad --entrypoint '[1, 2]'
}

test_hostname_hosts_dns() {
	ctr_import
	local out
	# (--network none: the host's resolv.conf as it is; on the default
	# network the nameserver is the network's DNS forwarder)
	out=$(crun --network none -h myhost --name named-ctr --add-host db:10.1.2.3 \
		--add-host 'v6;alias=fd00::1' \
		busybox sh -c 'hostname; cat /etc/hostname; cat /etc/hosts; cat /etc/resolv.conf')
	expect_eq "$(sed -n 1p <<< "$out")" myhost "-h"
	expect_eq "$(sed -n 2p <<< "$out")" myhost "/etc/hostname"
	expect_eq "$(sed -n 3p <<< "$out")" "$(printf '10.1.2.3\tdb')" "--add-host entries come first"
	expect_eq "$(sed -n 4p <<< "$out")" "$(printf 'fd00::1\tv6 alias')" "several names, IPv6"
	expect_match "$out" $'^127\\.0\\.1\\.1\tmyhost named-ctr$' "the container's own name"
	expect_match "$out" '^nameserver 192\.0\.2\.53$' "the host's resolv.conf (CPOD_RESOLV_CONF)"
	expect_no_match "$out" 'host-entry' "not the host's hosts without --network host"
	expect_match "$(crun busybox cat /etc/resolv.conf)" '^nameserver 10\.0\.2\.3$' \
		"the default network: its DNS forwarder"
	out=$(crun --dns 9.9.9.9 --dns 2001:db8::53 --dns-search a.example --dns-option ndots:3 \
		busybox cat /etc/resolv.conf)
	expect_match "$out" '^nameserver 9\.9\.9\.9$' "--dns"
	expect_match "$out" '^nameserver 2001:db8::53$' "--dns IPv6"
	expect_no_match "$out" '192\.0\.2\.53' "--dns replaces the host's servers"
	expect_match "$out" '^search a\.example$' "--dns-search"
	expect_match "$out" '^options ndots:3$' "--dns-option"
	expect_eq "$(crun --dns-search . busybox grep -c search /etc/resolv.conf || true)" 0 \
		"--dns-search . drops the search line"
	out=$(crun --network host busybox cat /etc/hosts)
	expect_match "$out" 'host-entry' "--network host: the host's entries too"
	expect_eq "$(crun busybox hostname | wc -c)" 13 "the default: 12 characters of the id"
	ctr_bad --add-host nocolon
	ctr_bad --add-host db:999.1.1.1
	ctr_bad --dns not-an-address
	ctr_bad --hostname 'a b'
}

test_ulimits() {
	ctr_import
	local out
	out=$(crun --ulimit nofile=1024:2048 --ulimit core=-1 --ulimit nproc=500 busybox \
		cat /proc/self/limits)
	expect_match "$out" '^Max open files +1024 +2048 ' "--ulimit nofile"
	expect_match "$out" '^Max core file size +unlimited +unlimited ' "--ulimit core=-1"
	expect_match "$out" '^Max processes +500 +500 ' "--ulimit nproc"
	# podman's default: 1048576 open files and processes, or our hard
	# limits when we may not raise them (no CAP_SYS_RESOURCE)
	local capeff want
	capeff=$(awk '/^CapEff/ { print $2 }' /proc/self/status)
	want=1048576
	if (( ((16#$capeff) >> 24 & 1) == 0 )) && [ "$(ulimit -Hn)" -lt "$want" ]; then
		want=$(ulimit -Hn)
	fi
	out=$(crun busybox cat /proc/self/limits)
	expect_match "$out" "^Max open files +$want +$want " "the default open files limit"
	ctr_bad --ulimit nofile=2048:1024
	ctr_bad --ulimit nosuchlimit=1
}

test_init_reaps_and_forwards() {
	ctr_import
	local out
	capture crun --init busybox true
	case "$ERR" in
	*"dynamically linked"*) skip "--init needs a static cpod-mini (this one is dynamic)" ;;
	esac
	out=$(crun --init busybox sh -c 'tr "\0" " " < /proc/1/cmdline | cut -c1-30; echo
		(sleep 0.2 &); sleep 1; echo zombies=$(ps -o stat | grep -c "^Z")')
	expect_match "$out" '^/run/cpod-init __init -- sh -c' "pid 1 is the init"
	expect_match "$out" '^zombies=0$' "the orphan was reaped: no zombie"
	capture crun --init busybox sh -c 'exit 42'
	expect_eq "$STATUS" 42 "the command's status"
	capture crun --init busybox sh -c 'kill -TERM 1; sleep 5'
	expect_eq "$STATUS" 143 "a signal sent to the init reaches the command"
	capture crun --init busybox no-such-command
	expect_eq "$STATUS" 127 "a missing command"
	expect_match "$ERR" 'no-such-command' "named"
	capture crun --init --read-only busybox true
	expect_eq "$STATUS" 0 "--init with a read-only root"
	# the init is the static binary under test, read-only
	out=$(crun --init busybox sh -c 'grep " /run/cpod-init " /proc/self/mountinfo')
	expect_match "$out" ' /run/cpod-init ro,' "bound read-only"
}
