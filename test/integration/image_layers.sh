# shellcheck shell=bash
# image_layers.sh — images of many layers, checked from inside a container:
# whiteouts and opaque directories, under overlayfs and under the copy
# fallback (CPOD_NO_OVERLAY=1); an image of 150 layers (overlay's mount
# options are one page: cpod names layers by short links); the path
# resolution fallback for kernels without openat2 (CPOD_NO_OPENAT2=1).

. "$SRCDIR/test/helpers/image.sh"

# Three layers on busybox: the second adds things, the third deletes and
# replaces them with whiteouts, an opaque directory, and type changes.
layers_image() {
	img_busybox_tar "$TEST_TMP/bb.tar"
	mkimage tars <<EOF
@ $TEST_TMP/l2.tar
dir etc/app
file etc/app/a.conf "A one"
file etc/app/b.conf "B one"
dir opt/keep
file opt/keep/x "x"
file opt/keep/y "y"
dir opt/keep/sub
file opt/keep/sub/z "z"
dir var/gone
file var/gone/z "z"
file etc/remove-me "bye"
file becomes-dir "file"
dir becomes-file
file becomes-file/inner "inner"
symlink link-to-a etc/app/a.conf
@ $TEST_TMP/l3.tar
whiteout etc/remove-me
whiteout var/gone
opaque opt/keep
file opt/keep/new "new"
file etc/app/a.conf "A two"
whiteout etc/app/b.conf
whiteout bin/vi
whiteout becomes-dir
dir becomes-dir
file becomes-dir/f "now a dir"
whiteout becomes-file
file becomes-file "now a file"
whiteout never-existed
@ $TEST_TMP/l4.tar
file var/gone "a file where the directory was"
file etc/app/b.conf "B again"
EOF
	mkimage docker-archive "$TEST_TMP/layers.tar" --layer "$TEST_TMP/bb.tar" --gzip \
		--layer "$TEST_TMP/l2.tar" --layer "$TEST_TMP/l3.tar" --layer "$TEST_TMP/l4.tar" \
		--tag layers:1 --config '{"Cmd": ["sh"]}'
	cpod load -i "$TEST_TMP/layers.tar" > /dev/null
}

# What a container sees of layers_image, one line per check.
LAYERS_SCRIPT='
for p in /etc/remove-me /var/gone/z /opt/keep/x /opt/keep/y /opt/keep/sub /bin/vi /never-existed \
	/becomes-file/inner; do
	[ -e "$p" ] || [ -L "$p" ] && echo "present $p" || echo "absent $p"
done
echo "keep: $(ls -A /opt/keep | tr "\n" " ")"
echo "app: $(ls -A /etc/app | tr "\n" " ")"
echo "a.conf: $(cat /etc/app/a.conf)"
echo "b.conf: $(cat /etc/app/b.conf)"
echo "link: $(cat /link-to-a)"
echo "var/gone: $(cat /var/gone)"
echo "becomes-dir: $(cat /becomes-dir/f)"
echo "becomes-file: $(cat /becomes-file)"
echo "busybox: $(test -x /bin/busybox && test -L /bin/ls && echo ok)"
echo "whiteout files: $(find / -xdev -name ".wh.*" | wc -l)"
'

LAYERS_EXPECTED='absent /etc/remove-me
absent /var/gone/z
absent /opt/keep/x
absent /opt/keep/y
absent /opt/keep/sub
absent /bin/vi
absent /never-existed
absent /becomes-file/inner
keep: new 
app: a.conf b.conf 
a.conf: A two
b.conf: B again
link: A two
var/gone: a file where the directory was
becomes-dir: now a dir
becomes-file: now a file
busybox: ok
whiteout files: 0'

test_whiteouts_and_opaque_directories_overlay() {
	need_root
	layers_image
	expect_eq "$(cpod info | jq -r .store.graphDriverName)" overlay
	capture cpod run --rm layers:1 sh -c "$LAYERS_SCRIPT"
	expect_eq "$STATUS" 0
	expect_eq "$OUT" "$LAYERS_EXPECTED" "the merged tree"
	# the container's own deletions, seen by a second process and by export
	cpod run --name c1 layers:1 sh -c 'rm /etc/app/a.conf; rm -r /opt/keep; echo x > /etc/app/c.conf'
	cpod export -o "$TEST_TMP/c1.tar" c1
	local list
	list=$(tar -tf "$TEST_TMP/c1.tar" | sed 's|^\./||; s|/$||')
	expect_match "$list" '^etc/app/c\.conf$'
	expect_match "$list" '^etc/app/b\.conf$'
	expect_no_match "$list" '^etc/app/a\.conf$' "deleted in the container"
	expect_no_match "$list" '^opt/keep' "deleted in the container"
	expect_no_match "$list" '\.wh\.|^etc/remove-me$|^bin/vi$' "the image's whiteouts"
	img_check_spotless
}

test_whiteouts_and_opaque_directories_copy_fallback() {
	need_root
	export CPOD_NO_OVERLAY=1
	layers_image
	expect_eq "$(cpod info | jq -r .store.graphDriverName)" copy
	capture cpod run --rm layers:1 sh -c "$LAYERS_SCRIPT head -n 1 /proc/mounts"
	expect_eq "$STATUS" 0
	expect_eq "$(printf '%s\n' "$OUT" | sed '$d')" "$LAYERS_EXPECTED" "the copied tree"
	expect_no_match "$(printf '%s\n' "$OUT" | tail -n 1)" '^overlay ' "no overlay under CPOD_NO_OVERLAY"
	cpod run --name c1 layers:1 sh -c 'rm /etc/app/a.conf; echo x > /etc/app/c.conf'
	cpod export -o "$TEST_TMP/c1.tar" c1
	local list
	list=$(tar -tf "$TEST_TMP/c1.tar" | sed 's|^\./||; s|/$||')
	expect_match "$list" '^etc/app/c\.conf$'
	expect_no_match "$list" '^etc/app/a\.conf$|^etc/remove-me$|^bin/vi$|\.wh\.'
	# every other command works the same on a copy
	expect_eq "$(cpod run --rm -v "$TEST_TMP:/data:ro" --tmpfs /scratch layers:1 sh -c \
		'test -d /data && echo ok > /scratch/f && cat /scratch/f')" ok
	expect_status 3 cpod run --rm layers:1 sh -c 'exit 3'
	expect_status 127 cpod run --rm layers:1 no-such-command
	cpod rm c1 > /dev/null
	cpod rmi layers:1 > /dev/null
	expect_eq "$(find "$CPOD_ROOT/containers" -mindepth 1 | wc -l)" 0 "the copies are gone"
	img_check_spotless
}

# The overlay's lowerdir names each layer by a short link relative to the
# store (l/XXXXXXXXXX), so 150 layers fit in the one page a mount's options
# get; copy mode stacks them by copying.  Layer N adds /layers/N and
# rewrites /top; layer 100 deletes layer 50's file.
test_150_layers() {
	need_root
	local i args=(--layer "$TEST_TMP/bb.tar")
	img_busybox_tar "$TEST_TMP/bb.tar"
	for i in $(seq 1 149); do
		printf '@ %s\ndir layers\nfile layers/%03d "layer %d"\nfile top "top is %d"\n' \
			"$TEST_TMP/l$i.tar" "$i" "$i" "$i"
		if [ "$i" = 100 ]; then
			printf 'whiteout layers/050\n'
		fi
	done | mkimage tars
	for i in $(seq 1 149); do
		args+=(--layer "$TEST_TMP/l$i.tar")
	done
	mkimage docker-archive "$TEST_TMP/many.tar" "${args[@]}" --tag many:150 --config '{"Cmd": ["sh"]}'
	cpod load -i "$TEST_TMP/many.tar" > /dev/null
	expect_eq "$(cpod image inspect many:150 | jq '.[0].RootFS.Layers | length')" 150 "150 layers"
	local script='ls /layers | wc -l; cat /top /layers/001 /layers/149; test -e /layers/050 || echo 050 gone
		head -n 1 /proc/mounts | cut -d" " -f1-3'
	capture cpod run --rm many:150 sh -c "$script"
	expect_eq "$STATUS" 0 "run with 150 layers (overlay)"
	expect_eq "$OUT" "$(printf '148\ntop is 149\nlayer 1\nlayer 149\n050 gone\noverlay / overlay')"
	capture env CPOD_NO_OVERLAY=1 "$CPOD" run --rm many:150 sh -c "$script"
	expect_eq "$STATUS" 0 "run with 150 layers (copy)"
	expect_eq "$(printf '%s\n' "$OUT" | head -n 5)" "$(printf '148\ntop is 149\nlayer 1\nlayer 149\n050 gone')"
	# export mounts the same overlay
	cpod run --name c1 many:150 true
	cpod export -o "$TEST_TMP/c1.tar" c1
	expect_eq "$(tar -tf "$TEST_TMP/c1.tar" | grep -c '^\(\./\)\?layers/[0-9]')" 148 "export"
	cpod rm c1 > /dev/null
	cpod rmi many:150 > /dev/null
	img_check_spotless
}

# Without openat2 (old kernels), paths in layers and rootfs are resolved
# by cpod's own component walk: same results, same refusals, and strace
# shows no openat2 call at all.
test_no_openat2_fallback() {
	need_root
	export CPOD_NO_OPENAT2=1
	layers_image
	capture cpod run --rm layers:1 sh -c "$LAYERS_SCRIPT"
	expect_eq "$OUT" "$LAYERS_EXPECTED" "the merged tree (overlay)"
	capture env CPOD_NO_OVERLAY=1 "$CPOD" run --rm layers:1 sh -c "$LAYERS_SCRIPT"
	expect_eq "$OUT" "$LAYERS_EXPECTED" "the copied tree"
	# hostile layers are refused the same way
	local outside
	outside=$(tmpdir outside)
	echo secret > "$outside/secret"
	mkimage tars <<EOF
@ $TEST_TMP/dotdot.tar
file ../../../../../../..$outside/pwned "pwned"
@ $TEST_TMP/escape.tar
symlink esc $outside
file esc/pwned "pwned"
EOF
	local evil
	for evil in dotdot escape; do
		mkimage docker-archive "$TEST_TMP/$evil-img.tar" --layer "$TEST_TMP/bb.tar" \
			--layer "$TEST_TMP/$evil.tar" --tag "evil:$evil"
		capture cpod load -i "$TEST_TMP/$evil-img.tar"
		expect_eq "$STATUS" 125 "$evil refused"
		expect_match "$ERR" 'entry "' "names the entry"
	done
	expect_eq "$(ls -A "$outside")" secret "nothing written outside"
	img_check_clean
	if command -v strace > /dev/null; then
		# LeakSanitizer cannot run under ptrace: it aborts
		export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
		cpod rmi layers:1 > /dev/null
		strace -f -qq -e trace=openat2 -o "$TEST_TMP/strace.log" "$CPOD" load -i "$TEST_TMP/layers.tar" > /dev/null
		strace -f -qq -e trace=openat2 -o "$TEST_TMP/strace-run.log" "$CPOD" run --rm layers:1 true
		expect_eq "$(cat "$TEST_TMP/strace.log" "$TEST_TMP/strace-run.log" | grep -c 'openat2(' || true)" 0 \
			"no openat2 call under CPOD_NO_OPENAT2=1"
		env -u CPOD_NO_OPENAT2 strace -f -qq -e trace=openat2 -o "$TEST_TMP/strace2.log" \
			"$CPOD" run --rm layers:1 true
		local n
		n=$(grep -c 'openat2(' "$TEST_TMP/strace2.log" || true)
		[ "$n" -gt 0 ] || log "no openat2 call without the variable either: this kernel lacks it?"
	else
		log "strace is not installed: the absence of openat2 calls is not checked"
	fi
}

# The OCI layer spec: a whiteout hides what lower layers have, never what
# its own layer has, in whichever order the tar lists them; an opaque
# marker may come before its directory.
test_whiteouts_apply_to_lower_layers_only() {
	need_root
	img_busybox_tar "$TEST_TMP/bb.tar"
	mkimage tars <<EOF2
@ $TEST_TMP/l2.tar
dir d
file d/x "lower x"
file d/y "lower y"
file d/z "lower z"
dir e
file e/old "old"
@ $TEST_TMP/l3.tar
file d/x "same layer, before its whiteout"
whiteout d/x
whiteout d/y
file d/y "same layer, after its whiteout"
whiteout d/z
opaque e
dir e
file e/kept "kept"
EOF2
	mkimage docker-archive "$TEST_TMP/same.tar" --layer "$TEST_TMP/bb.tar" --layer "$TEST_TMP/l2.tar" \
		--layer "$TEST_TMP/l3.tar" --tag same:1
	cpod load -i "$TEST_TMP/same.tar" > /dev/null 2> "$TEST_TMP/load.err"
	local script='cat /d/x /d/y; test -e /d/z || echo z gone; ls /e'
	local want
	want=$(printf 'same layer, before its whiteout\nsame layer, after its whiteout\nz gone\nkept')
	expect_eq "$(cpod run --rm same:1 sh -c "$script")" "$want" "overlay"
	expect_eq "$(CPOD_NO_OVERLAY=1 cpod run --rm same:1 sh -c "$script")" "$want" "copy"
}
