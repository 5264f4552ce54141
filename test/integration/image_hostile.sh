# shellcheck shell=bash
# image_hostile.sh — hostile archives at the command line (the unpacker's
# own cases are in test/unit/test_layer.c): layers whose entries climb out
# with "..", symlinks that point outside and files written through them,
# hard links to outside, and archives whose own entries or manifest point
# outside.  Each must fail with an error naming the entry (or, for a
# symlink that resolves inside the layer, be kept inside), write nothing
# outside the store, and leave a store that `system check` calls
# consistent.  The escapes aim at a sibling directory of the store holding
# a file "secret", by absolute and by relative path; every case runs with
# openat2 and with the fallback resolver (CPOD_NO_OPENAT2=1).

. "$SRCDIR/test/helpers/image.sh"

# hostile_setup: $OUTSIDE (with a secret) and its listing, the busybox layer.
hostile_setup() {
	OUTSIDE=$(tmpdir outside)
	echo secret > "$OUTSIDE/secret"
	OUTSIDE_BEFORE=$(img_listing "$OUTSIDE")
	# relative from a layer directory (ROOT/layers/HEX/diff or a tmp dir
	# below it) up to /: more ".." than needed is still "/"
	UP=../../../../../../../../../../../..
	img_busybox_tar "$TEST_TMP/bb.tar"
}

# hostile_refused NAME SPEC ENTRY_REGEX: a docker-archive of busybox and a
# layer made from SPEC must fail to load, naming the entry.
hostile_refused() {
	local name=$1 spec=$2 entry=$3 resolver
	mkimage tar "$TEST_TMP/$name.tar" <<< "$spec"
	mkimage docker-archive "$TEST_TMP/$name-img.tar" --layer "$TEST_TMP/bb.tar" \
		--layer "$TEST_TMP/$name.tar" --tag "evil:$name"
	for resolver in openat2 fallback; do
		if [ "$resolver" = fallback ]; then
			capture env CPOD_NO_OPENAT2=1 "$CPOD" load -i "$TEST_TMP/$name-img.tar"
		else
			capture cpod load -i "$TEST_TMP/$name-img.tar"
		fi
		expect_eq "$STATUS" 125 "$name ($resolver): load refused"
		expect_match "$ERR" "entry \"$entry/?\"" "$name ($resolver): the error names the entry"
		hostile_nothing_outside "$name ($resolver)"
		expect_eq "$(cpod images -q)" "" "$name ($resolver): no image"
		img_check_clean
	done
}

hostile_nothing_outside() {
	expect_eq "$(img_listing "$OUTSIDE")" "$OUTSIDE_BEFORE" "$1: nothing written outside"
	expect_eq "$(cat "$OUTSIDE/secret")" secret "$1: the secret is intact"
	local stray
	stray=$(find "$TEST_TMP" -name 'pwned*' -not -path "$CPOD_ROOT/*" 2> /dev/null || true)
	expect_eq "$stray" "" "$1: no file of the layer outside the store"
}

test_layer_dotdot_paths() {
	need_root
	hostile_setup
	hostile_refused dotdot1 "file $UP$OUTSIDE/pwned \"pwned\"" "$UP$OUTSIDE/pwned"
	hostile_refused dotdot2 "dir a
file a/../../pwned \"pwned\"" "a/../../pwned"
	hostile_refused dotdot3 "file ./../pwned \"pwned\"" "./../pwned"
	hostile_refused dotdot-dir "dir $UP$OUTSIDE/newdir" "$UP$OUTSIDE/newdir"
	hostile_refused dotdot-whiteout "whiteout $UP$OUTSIDE/secret" ".*secret"
}

test_layer_symlink_escapes() {
	need_root
	hostile_setup
	# a symlink to outside, a file written through it
	hostile_refused abs-symlink "symlink esc $OUTSIDE
file esc/pwned \"pwned\"" "esc/pwned"
	hostile_refused rel-symlink "symlink esc $UP$OUTSIDE
file esc/pwned \"pwned\"" "esc/pwned"
	# through a directory created through the link
	hostile_refused symlink-dir "symlink esc $OUTSIDE
dir esc/sub
file esc/sub/pwned \"pwned\"" "esc/sub/?"
	# a directory replaced by a symlink after use
	hostile_refused swapped-dir "dir d
file d/one \"one\"
symlink d $OUTSIDE
file d/pwned \"pwned\"" "d/pwned"
}

# A symlink to an absolute path that also exists inside the layer: the path
# resolves inside (in-root resolution), so the file lands in the layer, not
# on the host.  Refusing it is as good.
test_layer_symlink_resolved_inside() {
	need_root
	hostile_setup
	local spec="" p="" c resolver
	for c in $(tr '/' ' ' <<< "$OUTSIDE"); do
		p=$p/$c
		spec+="dir ${p#/}"$'\n'
	done
	spec+="symlink esc $OUTSIDE"$'\n'"file esc/pwned \"inside\""
	mkimage tar "$TEST_TMP/inside.tar" <<< "$spec"
	mkimage docker-archive "$TEST_TMP/inside-img.tar" --layer "$TEST_TMP/bb.tar" \
		--layer "$TEST_TMP/inside.tar" --tag evil:inside --config '{"Cmd": ["sh"]}'
	for resolver in openat2 fallback; do
		if [ "$resolver" = fallback ]; then
			capture env CPOD_NO_OPENAT2=1 "$CPOD" load -i "$TEST_TMP/inside-img.tar"
		else
			capture cpod load -i "$TEST_TMP/inside-img.tar"
		fi
		hostile_nothing_outside "$resolver"
		if [ "$STATUS" = 0 ]; then
			expect_eq "$(cpod run --rm evil:inside cat "$OUTSIDE/pwned")" inside \
				"$resolver: the file is in the image, at the path the link names"
			expect_eq "$(CPOD_NO_OVERLAY=1 cpod run --rm evil:inside cat /esc/pwned)" inside \
				"$resolver: through the link, in a copied rootfs"
			hostile_nothing_outside "$resolver, after runs"
			cpod rmi evil:inside > /dev/null
		else
			expect_match "$ERR" 'entry "esc/pwned"' "$resolver: refused, naming the entry"
		fi
		img_check_clean
	done
}

test_layer_hard_link_escapes() {
	need_root
	hostile_setup
	hostile_refused abs-hardlink "hardlink stolen $OUTSIDE/secret" "stolen"
	hostile_refused rel-hardlink "hardlink stolen $UP$OUTSIDE/secret" "stolen"
	hostile_refused hardlink-via-symlink "symlink esc $OUTSIDE
hardlink stolen esc/secret" "stolen"
	test "$(stat -c %h "$OUTSIDE/secret")" = 1 || fail "the secret got a second link"
}

# Layer 2 plants symlinks to outside; layer 3 deletes and writes through
# the same paths (whiteouts first, as a tar may list them).  Each layer is
# unpacked alone, so this is only dangerous where layers are stacked into
# one tree: the copy fallback.  Layer 3's directories replace the links.
test_symlink_planted_by_a_lower_layer() {
	need_root
	hostile_setup
	mkimage tars <<EOF
@ $TEST_TMP/plant.tar
dir etc
symlink etc/evil $OUTSIDE
symlink rel-evil $UP$OUTSIDE
@ $TEST_TMP/write.tar
whiteout etc/evil/secret
whiteout rel-evil/secret
dir etc/evil
file etc/evil/pwned "pwned"
dir rel-evil
file rel-evil/pwned "pwned too"
EOF
	mkimage docker-archive "$TEST_TMP/plant-img.tar" --layer "$TEST_TMP/bb.tar" \
		--layer "$TEST_TMP/plant.tar" --layer "$TEST_TMP/write.tar" --tag evil:plant --config '{"Cmd": ["sh"]}'
	capture cpod load -i "$TEST_TMP/plant-img.tar"
	expect_eq "$STATUS" 0 "a legitimate image (whiteouts name lower layers' paths)"
	hostile_nothing_outside load
	local mode
	for mode in overlay copy copy-fallback-resolver; do
		case $mode in
		overlay) capture cpod run --rm evil:plant cat /etc/evil/pwned /rel-evil/pwned ;;
		copy) capture env CPOD_NO_OVERLAY=1 "$CPOD" run --rm evil:plant cat /etc/evil/pwned /rel-evil/pwned ;;
		*) capture env CPOD_NO_OVERLAY=1 CPOD_NO_OPENAT2=1 "$CPOD" run --rm evil:plant \
			cat /etc/evil/pwned /rel-evil/pwned ;;
		esac
		hostile_nothing_outside "$mode"
		expect_eq "$STATUS" 0 "$mode: run"
		expect_eq "$OUT" "$(printf 'pwned\npwned too')" "$mode: layer 3's directories"
	done
	img_check_clean
}

# The archive itself (not a layer) is hostile.
test_archive_entries_and_manifest_escapes() {
	need_root
	hostile_setup
	local l=$TEST_TMP/bb.tar hx chx cfg=$TEST_TMP/cfg.json
	hx=$(img_sha256 "$l")
	printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
		"$hx" > "$cfg"
	chx=$(img_sha256 "$cfg")
	mkimage tars <<EOF
@ $TEST_TMP/a-dotdot.tar
file $UP$OUTSIDE/pwned "pwned"
add $chx.json $cfg
add $hx/layer.tar $l
file manifest.json '[{"Config":"$chx.json","RepoTags":["a:1"],"Layers":["$hx/layer.tar"]}]'
@ $TEST_TMP/a-manifest-path.tar
add $chx.json $cfg
file manifest.json '[{"Config":"$chx.json","RepoTags":["a:2"],"Layers":["$UP$OUTSIDE/secret"]}]'
@ $TEST_TMP/a-config-path.tar
add $hx/layer.tar $l
file manifest.json '[{"Config":"$UP$OUTSIDE/secret","RepoTags":["a:3"],"Layers":["$hx/layer.tar"]}]'
@ $TEST_TMP/a-symlink-layer.tar
add $chx.json $cfg
symlink l.tar $OUTSIDE/secret
file manifest.json '[{"Config":"$chx.json","RepoTags":["a:4"],"Layers":["l.tar"]}]'
@ $TEST_TMP/a-symlink-dir.tar
symlink d $OUTSIDE
file d/pwned "pwned"
@ $TEST_TMP/a-hardlink.tar
hardlink h $OUTSIDE/secret
@ $TEST_TMP/a-oci-blob-path.tar
file oci-layout '{"imageLayoutVersion":"1.0.0"}'
file index.json '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:../../../../etc/passwd","size":10}]}'
EOF
	local a resolver
	for a in a-dotdot a-manifest-path a-config-path a-symlink-layer a-symlink-dir a-hardlink a-oci-blob-path; do
		for resolver in openat2 fallback; do
			if [ "$resolver" = fallback ]; then
				capture env CPOD_NO_OPENAT2=1 "$CPOD" load -i "$TEST_TMP/$a.tar"
			else
				capture cpod load -i "$TEST_TMP/$a.tar"
			fi
			expect_eq "$STATUS" 125 "$a ($resolver): refused"
			expect_ne "$ERR" "" "$a: an error message"
			hostile_nothing_outside "$a ($resolver)"
		done
	done
	expect_eq "$(cpod images -q)" "" "no image"
	img_check_clean
}

# A gzip bomb (gzip's best ratio, ~1000:1, of zeros) is refused with a
# clear error and leaves nothing; ordinary compressible layers load.
test_decompression_bomb_refused() {
	need_root
	hostile_setup
	head -c 40000000 /dev/zero > "$TEST_TMP/zeros"
	mkimage tar "$TEST_TMP/zeros.tar" --gzip <<< "add zeros $TEST_TMP/zeros"
	mkimage docker-archive "$TEST_TMP/bomb.tar" --gzip --layer "$TEST_TMP/bb.tar" \
		--layer "$TEST_TMP/zeros.tar" --tag bomb:1 --config '{"Cmd": ["sh"]}'
	capture cpod load -i "$TEST_TMP/bomb.tar"
	expect_eq "$STATUS" 125 "refused"
	expect_match "$ERR" 'ratio|bomb' "says why"
	expect_eq "$(cpod images -q)" "" "no image"
	img_check_clean
	# text compresses well, far below the bound
	local i
	for i in $(seq 1 2000); do
		echo "line $i of a log file that compresses nicely, as text does"
	done > "$TEST_TMP/text"
	for i in 1 2 3 4 5 6 7 8; do cat "$TEST_TMP/text"; done > "$TEST_TMP/text8"
	mkimage tar "$TEST_TMP/text.tar" --gzip <<< "add log.txt $TEST_TMP/text8"
	mkimage docker-archive "$TEST_TMP/text-img.tar" --gzip --layer "$TEST_TMP/bb.tar" \
		--layer "$TEST_TMP/text.tar" --tag text:1 --config '{"Cmd": ["sh"]}'
	capture cpod load -i "$TEST_TMP/text-img.tar"
	expect_eq "$STATUS" 0 "a compressible layer loads"
	expect_eq "$(cpod run --rm text:1 md5sum /log.txt | cut -d' ' -f1)" "$(md5sum < "$TEST_TMP/text8" | cut -d' ' -f1)"
	hostile_nothing_outside "bomb"
}
