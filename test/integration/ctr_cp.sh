# shellcheck shell=bash
# ctr_cp.sh — `cp` between the host and a container, both directions, on a
# running and on a stopped container: files, directories, tars through -,
# and symlinks in the container that point out of it (to /, to ../..,
# to absolute host paths, a tar entry through a symlink, a symlink swapped
# back and forth while copying) never let a copy read or write a host file:
# the host's files are compared before and after.
. "$SRCDIR/test/helpers/ctr/ctr.sh"

# cp_box NAME: a running container with a file, a directory and a set of
# symlinks that would escape if resolved on the host: /esc -> /,
# /tmp/up -> ../../../.., /tmp/abs -> the host's $HOSTSIDE (an absolute
# path that exists on the host only), /tmp/secretlink -> the host's secret.
cp_box() {
	HOSTSIDE=$(tmpdir hostside)
	echo "host secret $RANDOM" > "$HOSTSIDE/secret"
	echo "host file" > "$HOSTSIDE/victim"
	cpod run -d --name "$1" busybox sh -c "
		mkdir -p /data/sub && echo hello > /data/f && echo deep > /data/sub/g
		ln -s / /esc; ln -s ../../../.. /tmp/up; ln -s $HOSTSIDE /tmp/abs
		ln -s $HOSTSIDE/secret /tmp/secretlink; ln -s $HOSTSIDE/victim /tmp/victimlink
		touch /tmp/ready; exec sleep 100000" > /dev/null
	wait_for 20 test -e "/proc/$(ctr_pid "$1")/root/tmp/ready" || fail "the container did not get ready"
	HOSTSIDE_BEFORE=$(cp_host_listing)
}

# The host side's files: names, types, sizes and contents.
cp_host_listing() {
	find "$HOSTSIDE" -printf '%P %y %s\n' | sort
	find "$HOSTSIDE" -type f -exec sha256sum {} + | sort
}

cp_host_untouched() {
	expect_eq "$(cp_host_listing)" "$HOSTSIDE_BEFORE" "the host's files were touched through a symlink: $1"
}

test_cp_from_container() {
	ctr_setup
	cp_box box
	local out
	out=$(tmpdir out)
	cpod cp box:/data/f "$out/f"
	expect_eq "$(cat "$out/f")" hello "a file"
	cpod cp box:/data/f "$out"
	expect_eq "$(cat "$out/f")" hello "a file into a directory keeps its name"
	cpod cp box:/data "$out/d"
	expect_eq "$(cat "$out/d/f")/$(cat "$out/d/sub/g")" hello/deep "a directory, recursively"
	cpod cp box:/data/. "$out/dot"
	expect_eq "$(cat "$out/dot/f")" hello "DIR/. copies the contents"
	# - writes a tar
	expect_eq "$(cpod cp box:/data - | tar -tf - | sort | tr '\n' ' ')" "data/ data/f data/sub/ data/sub/g " \
		"a tar on stdout"
	ctr_expect 125 cpod cp box:/no/such/file "$out/x"
	[ ! -e "$out/x" ] || fail "a failed copy left a file"
	ctr_expect 125 cpod cp nosuchctr:/data/f "$out/x"
}

test_cp_into_container() {
	ctr_setup
	cp_box box
	local src
	src=$(tmpdir src)
	echo one > "$src/one"
	mkdir -p "$src/tree/a"
	echo two > "$src/tree/a/two"
	cpod cp "$src/one" box:/tmp/
	expect_eq "$(cpod exec box cat /tmp/one)" one "a file into a directory"
	cpod cp "$src/one" box:/tmp/renamed
	expect_eq "$(cpod exec box cat /tmp/renamed)" one "a file to a new name"
	cpod cp "$src/tree" box:/srv
	expect_eq "$(cpod exec box cat /srv/a/two)" two "a directory to a new name"
	cpod exec box mkdir /opt
	(cd "$src" && tar -cf - one tree) | cpod cp - box:/opt
	expect_eq "$(cpod exec box sh -c 'cat /opt/one /opt/tree/a/two' | tr '\n' ' ')" "one two " "a tar from stdin"
	ctr_expect 125 cpod cp "$src/no-such" box:/tmp/
	ctr_expect 125 cpod cp "$src/one" box:/no/such/dir/x
	ctr_expect 125 cpod cp - box:/no/such/dir < /dev/null
}

test_cp_stopped_container() {
	ctr_setup
	cp_box box
	local out
	out=$(tmpdir out)
	cpod stop -t 0 box > /dev/null
	cpod cp box:/data/sub/g "$out/g"
	expect_eq "$(cat "$out/g")" deep "from a stopped container"
	echo later > "$TEST_TMP/later"
	cpod cp "$TEST_TMP/later" box:/data/later
	cpod cp box:/data/later "$out/later"
	expect_eq "$(cat "$out/later")" later "into a stopped container, and back"
	expect_eq "$(img_test_mounts)" "" "no mount of the stopped container's layer left"
	cpod start box > /dev/null
	expect_eq "$(cpod exec box cat /data/later)" later "the file is there when it runs again"
}

# cp_escapes CTR: every escape attempt, on CTR as it is (running or stopped).
cp_escapes() {
	local c=$1 out
	out=$(mktemp -d "$TEST_TMP/out.XXXXXX")
	echo pwned > "$TEST_TMP/pwned"
	# reading through a symlink resolves it inside the container
	capture cpod cp "$c:/esc$HOSTSIDE/secret" "$out/1"
	[ ! -e "$out/1" ] || expect_ne "$(cat "$out/1")" "$(cat "$HOSTSIDE/secret")" "read through /esc -> /"
	capture cpod cp "$c:/tmp/up$HOSTSIDE/secret" "$out/2"
	[ ! -e "$out/2" ] || expect_ne "$(cat "$out/2")" "$(cat "$HOSTSIDE/secret")" "read through ../../../.."
	capture cpod cp "$c:/tmp/abs/secret" "$out/3"
	[ ! -e "$out/3" ] || expect_ne "$(cat "$out/3")" "$(cat "$HOSTSIDE/secret")" \
		"read through a link to an absolute host path"
	expect_ne "$STATUS" 0 "the host path does not exist in the container"
	capture cpod cp "$c:/tmp/abs" "$out/4"
	if [ -d "$out/4" ] && [ ! -L "$out/4" ]; then
		fail "a link to a host directory was copied as the host's directory: $(ls "$out/4")"
	fi
	# a link itself is copied as a link (never its host target's content)
	capture cpod cp "$c:/tmp/secretlink" "$out/5"
	if [ -e "$out/5" ] || [ -L "$out/5" ]; then
		[ -L "$out/5" ] || expect_ne "$(cat "$out/5")" "$(cat "$HOSTSIDE/secret")" "a link to a host file"
	fi
	capture cpod cp "$c:/tmp" - > /dev/null
	# writing through a symlink stays inside the container
	capture cpod cp "$TEST_TMP/pwned" "$c:/esc$HOSTSIDE/written1"
	capture cpod cp "$TEST_TMP/pwned" "$c:/tmp/up$HOSTSIDE/written2"
	capture cpod cp "$TEST_TMP/pwned" "$c:/tmp/abs/written3"
	capture cpod cp "$TEST_TMP/pwned" "$c:/tmp/abs/"
	capture cpod cp "$TEST_TMP/pwned" "$c:/tmp/victimlink"
	capture cpod cp "$TEST_TMP/pwned" "$c:/esc$HOSTSIDE/victim"
	# a tar whose first entry is a link out and whose second writes through it
	local t
	t=$(mktemp -d "$TEST_TMP/tar.XXXXXX")
	(cd "$t" && ln -s "$HOSTSIDE" evil && tar -cf ../evil1.tar evil && rm evil &&
		mkdir evil && echo pwned > evil/victim && echo pwned > evil/new &&
		tar -cf ../evil2.tar evil/victim evil/new && cd .. && tar -Af evil1.tar evil2.tar)
	capture cpod cp - "$c:/tmp" < "$t/../evil1.tar"
	(cd "$t" && rm -rf evil && ln -s ../../../../../../.. up && tar -cf ../evil3.tar up &&
		rm up && mkdir -p "up$HOSTSIDE" && echo pwned > "up$HOSTSIDE/victim" &&
		tar -cf ../evil4.tar "up$HOSTSIDE/victim" && cd .. && tar -Af evil3.tar evil4.tar)
	capture cpod cp - "$c:/" < "$t/../evil3.tar"
	# a tar with absolute and dot-dot names
	(cd "$t" && rm -rf up && echo pwned > victim &&
		tar -cPf ../evil5.tar --transform "s|^victim|../../../../../..$HOSTSIDE/victim|" victim &&
		tar -cPf ../evil6.tar --transform "s|^victim|$HOSTSIDE/victim|" victim)
	capture cpod cp - "$c:/tmp" < "$t/../evil5.tar"
	capture cpod cp - "$c:/tmp" < "$t/../evil6.tar"
	cp_host_untouched "on a $(ctr_status "$c") container"
}

test_cp_refuses_symlink_escapes_running() {
	ctr_setup
	cp_box box
	cp_escapes box
	# what was written through /esc landed in the container
	if cpod exec box test -e "$HOSTSIDE/written1"; then
		log "written1 is inside the container, under its own $HOSTSIDE"
	fi
}

test_cp_refuses_symlink_escapes_stopped() {
	ctr_setup
	cp_box box
	cpod stop -t 0 box > /dev/null
	cp_escapes box
	expect_eq "$(img_test_mounts)" "" "no mount of the stopped container's layer left"
}

# A directory in the container replaced by a symlink to the host's
# directory and back, as fast as it can, while files are copied into and
# out of it: no copy may land on or read from the host.
test_cp_symlink_swap_race() {
	ctr_setup
	cp_box box
	cpod exec -d box sh -c "mkdir -p /tmp/real; echo inside > /tmp/real/secret; echo inside > /tmp/real/victim
		while :; do ln -sfn /tmp/real /tmp/swap; ln -sfn $HOSTSIDE /tmp/swap; done"
	local i out
	out=$(tmpdir out)
	echo pwned > "$TEST_TMP/pwned"
	for i in $(seq 1 40); do
		capture cpod cp "$TEST_TMP/pwned" box:/tmp/swap/victim
		capture cpod cp box:/tmp/swap/secret "$out/s$i"
		if [ -f "$out/s$i" ] && [ ! -L "$out/s$i" ]; then
			expect_eq "$(cat "$out/s$i")" inside "copy $i read through the swapped link"
		fi
	done
	cp_host_untouched "while a link was swapped"
}
