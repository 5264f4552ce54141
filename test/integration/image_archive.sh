# shellcheck shell=bash
# image_archive.sh — load and save: docker-archive and oci-archive made by
# the test itself (GNU tar and sha256sum; test/helpers/mkimage.py), round
# trips in both formats (ids and digests stable), stdin and stdout, broken
# archives, and archives read and written by real tools: skopeo (both
# ways) and podman's save.  No registry is ever contacted: skopeo and
# podman see files only, and keep their state in the test's directory.

. "$SRCDIR/test/helpers/image.sh"

test_docker_archive_made_with_tar_and_sha256sum() {
	need_root
	local l=$TEST_TMP/bb.tar a=$TEST_TMP/busybox-docker.tar chex
	img_busybox_tar "$l"
	img_docker_archive "$a" amd64 '{"Cmd": ["sh", "-c", "echo from the archive"], "Env": ["X=1"]}' \
		'["busybox:latest"]' "$l"
	chex=$(tar -xOf "$a" manifest.json | jq -r '.[0].Config' | sed 's/\.json$//')
	capture cpod load -i "$a"
	expect_eq "$STATUS" 0 "load"
	expect_eq "$OUT" "Loaded image: docker.io/library/busybox:latest" \
		"RepoTags busybox:latest is docker.io/library/busybox:latest"
	local j
	j=$(cpod image inspect docker.io/library/busybox:latest)
	expect_eq "$(jq -r '.[0].Id' <<< "$j")" "$chex" "the id is the config's sha256"
	expect_eq "$(jq -c '.[0].RootFS.Layers' <<< "$j")" "[\"sha256:$(img_sha256 "$l")\"]" \
		"the diff_id is the layer's sha256"
	expect_eq "$(jq -c '.[0].Config.Env' <<< "$j")" '["X=1"]'
	expect_eq "$(jq -r '.[0].Architecture' <<< "$j")" amd64
	expect_eq "$(cpod run --rm busybox)" "from the archive" "the short name; Cmd from the config"
	expect_eq "$(cpod run --rm docker.io/library/busybox sh -c 'echo $X')" 1
	# the same archive again: nothing new
	cpod load -i "$a" > /dev/null
	expect_eq "$(cpod images -q | wc -l)" 1 "loading twice adds nothing"
	img_check_spotless
}

# A short name matching both localhost/NAME and docker.io/library/NAME is
# localhost's (podman's shortnames.ResolveLocally order; store.h says so).
test_short_name_prefers_localhost() {
	need_root
	local l=$TEST_TMP/bb.tar docker loc
	img_busybox_tar "$l"
	img_docker_archive "$TEST_TMP/d.tar" amd64 '{"Cmd": ["echo", "docker.io"]}' '["busybox:latest"]' "$l"
	cpod load -i "$TEST_TMP/d.tar" > /dev/null
	docker=$(img_id docker.io/library/busybox:latest)
	expect_eq "$(img_id busybox)" "$docker" "only docker.io's: the short name finds it"
	loc=$(img_import busybox 'CMD ["echo", "localhost"]')
	expect_eq "$(img_id docker.io/library/busybox)" "$docker" "the full name"
	expect_eq "$(img_id localhost/busybox)" "$loc"
	expect_eq "$(img_id busybox)" "$loc" "both: localhost first"
	expect_eq "$(cpod run --rm busybox)" localhost
}

test_docker_archive_variants() {
	need_root
	local l=$TEST_TMP/bb.tar
	img_busybox_tar "$l"
	printf '@ %s\nfile second "second layer"\n' "$TEST_TMP/l2.tar" | mkimage tars
	# gzip layers, no RepoTags, from stdin
	mkimage docker-archive "$TEST_TMP/gz.tar" --gzip --layer "$l" --layer "$TEST_TMP/l2.tar" \
		--config '{"Cmd": ["cat", "/second"]}'
	capture cpod load < "$TEST_TMP/gz.tar"
	expect_eq "$STATUS" 0 "load from stdin"
	expect_match "$OUT" '^Loaded image: sha256:[0-9a-f]{64}$' "no name: the id"
	local id=${OUT##*sha256:}
	expect_eq "$(cpod run --rm "$id")" "second layer"
	expect_eq "$(cpod image inspect "$id" | jq '.[0].RootFS.Layers | length')" 2 "two layers"
	expect_eq "$(cpod image inspect "$id" | jq -r '.[0].RootFS.Layers[0]')" "sha256:$(img_sha256 "$l")" \
		"diff_ids are of the uncompressed tars"
	# several names
	mkimage docker-archive "$TEST_TMP/names.tar" --layer "$l" --tag a/b:1 --tag quay.io/c/d:2 \
		--config '{"Cmd": ["true"]}'
	capture cpod load -i "$TEST_TMP/names.tar"
	expect_eq "$OUT" "$(printf 'Loaded image: docker.io/a/b:1\nLoaded image: quay.io/c/d:2')"
	expect_eq "$(img_id a/b:1)" "$(img_id quay.io/c/d:2)"
	img_check_spotless
}

# The same layer twice in one image (docker images often repeat the empty
# layer): stored once, and the container still gets its root file system.
test_layer_listed_twice() {
	need_root
	local l=$TEST_TMP/bb.tar
	img_busybox_tar "$l"
	printf '@ %s\nfile twice "same layer"\n@ %s\nfile middle "middle"\n' \
		"$TEST_TMP/dup.tar" "$TEST_TMP/mid.tar" | mkimage tars
	# docker's way: the second copy a symlink to the first
	mkimage docker-archive "$TEST_TMP/links.tar" --dup-symlinks --layer "$l" --layer "$TEST_TMP/dup.tar" \
		--layer "$TEST_TMP/mid.tar" --layer "$TEST_TMP/dup.tar" --tag links:1 \
		--config '{"Cmd": ["cat", "/twice", "/middle"]}'
	expect_match "$(tar -tvf "$TEST_TMP/links.tar")" '^l.* -> \.\./' "the archive has a symlinked layer"
	cpod load -i "$TEST_TMP/links.tar" > /dev/null
	expect_eq "$(cpod image inspect links:1 | jq '.[0].RootFS.Layers | length')" 4 "four layers"
	expect_eq "$(find "$CPOD_ROOT/layers" -mindepth 1 -maxdepth 1 | wc -l)" 3 "three stored"
	capture cpod run --rm links:1
	expect_eq "$STATUS" 0 "run (overlay)"
	expect_eq "$OUT" "$(printf 'same layer\nmiddle')"
	capture env CPOD_NO_OVERLAY=1 "$CPOD" run --rm links:1
	expect_eq "$STATUS" 0 "run (copy)"
	expect_eq "$OUT" "$(printf 'same layer\nmiddle')"
	img_check_spotless
}

test_oci_archive_made_by_hand() {
	need_root
	local l=$TEST_TMP/bb.tar
	img_busybox_tar "$l"
	mkimage oci-archive "$TEST_TMP/oci.tar" --gzip --ref localhost/handmade:1 --image "amd64=$l" \
		--config '{"Cmd": ["echo", "oci by hand"]}'
	capture cpod load -i "$TEST_TMP/oci.tar"
	expect_eq "$OUT" "Loaded image: localhost/handmade:1" "the ref.name annotation is the name"
	expect_eq "$(cpod run --rm handmade:1)" "oci by hand"
	local j mdigest
	j=$(cpod image inspect handmade:1)
	mdigest=$(tar -xOf "$TEST_TMP/oci.tar" index.json | jq -r '.manifests[0].digest')
	expect_eq "$(jq -r '.[0].Digest' <<< "$j")" "$mdigest" "Digest: the archive's manifest"
	expect_eq "$(jq -r '.[0].ManifestType' <<< "$j")" application/vnd.oci.image.manifest.v1+json
	expect_eq "$(jq -r '.[0].RootFS.Layers[0]' <<< "$j")" "sha256:$(img_sha256 "$l")"
	# plain layers, no name
	mkimage oci-archive "$TEST_TMP/plain.tar" --image "amd64=$l" --config '{"Cmd": ["true"]}'
	capture cpod load -i "$TEST_TMP/plain.tar"
	expect_match "$OUT" '^Loaded image: sha256:[0-9a-f]{64}$'
	img_check_spotless
}

# save, rmi, load, run: in both formats; ids stable, and the manifest digest
# too where the format keeps the manifest (oci-archive; a docker-archive has
# none, and a loaded one gets a Docker v2 manifest, stable from then on).
test_save_load_round_trip_docker_archive() {
	need_root
	local id digest
	id=$(img_import busybox 'CMD ["echo", "round trip"]' 'ENV R=1')
	cpod save -o "$TEST_TMP/1.tar" busybox
	expect_eq "$(tar -xOf "$TEST_TMP/1.tar" manifest.json | jq -c '.[0].RepoTags')" \
		'["localhost/busybox:latest"]' "RepoTags"
	expect_eq "$(tar -xOf "$TEST_TMP/1.tar" manifest.json | jq -r '.[0].Config')" "$id.json" "Config"
	cpod rmi busybox > /dev/null
	img_check_spotless
	expect_eq "$(cpod load -i "$TEST_TMP/1.tar")" "Loaded image: localhost/busybox:latest"
	expect_eq "$(img_id busybox)" "$id" "the same id after a docker-archive round trip"
	expect_eq "$(cpod run --rm busybox)" "round trip"
	expect_eq "$(cpod run --rm busybox sh -c 'echo $R')" 1
	digest=$(cpod image inspect busybox | jq -r '.[0].Digest')
	cpod save -o "$TEST_TMP/2.tar" busybox
	cmp "$TEST_TMP/1.tar" "$TEST_TMP/2.tar" || fail "the second save differs from the first"
	cpod rmi busybox > /dev/null
	cpod load -i "$TEST_TMP/2.tar" > /dev/null
	expect_eq "$(img_id busybox)" "$id" "id, second round"
	expect_eq "$(cpod image inspect busybox | jq -r '.[0].Digest')" "$digest" "digest, second round"
	img_check_spotless
}

test_save_load_round_trip_oci_archive() {
	need_root
	local id digest
	id=$(img_import busybox 'CMD ["echo", "round trip"]')
	digest=$(cpod image inspect busybox | jq -r '.[0].Digest')
	cpod save --format oci-archive -o "$TEST_TMP/1.tar" busybox
	local index
	index=$(tar -xOf "$TEST_TMP/1.tar" index.json)
	expect_eq "$(jq -r '.manifests[0].digest' <<< "$index")" "$digest" "the manifest as stored"
	expect_eq "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' <<< "$index")" \
		localhost/busybox:latest "the name"
	expect_eq "$(tar -xOf "$TEST_TMP/1.tar" oci-layout | jq -r .imageLayoutVersion)" 1.0.0
	# every blob is what its name says
	local d=$TEST_TMP/x f
	mkdir "$d"
	tar -C "$d" -xf "$TEST_TMP/1.tar"
	for f in "$d"/blobs/sha256/*; do
		expect_eq "$(img_sha256 "$f")" "$(basename "$f")" "blob $(basename "$f")"
	done
	cpod rmi busybox > /dev/null
	expect_eq "$(cpod load -i "$TEST_TMP/1.tar")" "Loaded image: localhost/busybox:latest"
	expect_eq "$(img_id busybox)" "$id" "id"
	expect_eq "$(cpod image inspect busybox | jq -r '.[0].Digest')" "$digest" "manifest digest"
	expect_eq "$(cpod run --rm busybox)" "round trip"
	cpod save --format oci-archive -o "$TEST_TMP/2.tar" busybox
	cmp "$TEST_TMP/1.tar" "$TEST_TMP/2.tar" || fail "the second save differs from the first"
	img_check_spotless
}

# Loading a docker-archive of an image the store has (under another
# manifest) adds its names; the Docker v2 manifest made for the archive is
# not kept, and must not stay behind as an orphan blob.
test_reload_of_a_known_image_leaves_no_garbage() {
	need_root
	img_import busybox > /dev/null
	cpod save -o "$TEST_TMP/d.tar" busybox
	cpod tag busybox extra:1
	cpod load -i "$TEST_TMP/d.tar" > /dev/null
	expect_eq "$(cpod images -q | wc -l)" 1 "the same image"
	img_check_spotless
}

test_save_to_stdout_several_images_and_errors() {
	need_root
	img_import busybox > /dev/null
	img_import second 'CMD ["echo", "second"]' > /dev/null
	cpod save -o "$TEST_TMP/file.tar" busybox
	cpod save busybox > "$TEST_TMP/stdout.tar"
	cmp "$TEST_TMP/file.tar" "$TEST_TMP/stdout.tar" || fail "save to stdout differs from -o"
	# two images in one archive, both formats; shared layers written once
	local fmt
	for fmt in docker-archive oci-archive; do
		cpod save --format "$fmt" -o "$TEST_TMP/both-$fmt.tar" busybox second
		expect_eq "$(tar -tf "$TEST_TMP/both-$fmt.tar" | sort | uniq -d)" "" "$fmt: no entry twice"
		cpod rmi busybox second > /dev/null
		expect_eq "$(cpod load -i "$TEST_TMP/both-$fmt.tar" | sort | tr '\n' '|')" \
			"Loaded image: localhost/busybox:latest|Loaded image: localhost/second:latest|" "$fmt"
		expect_eq "$(cpod run --rm second)" second
	done
	capture cpod save --format bogus -o "$TEST_TMP/bad.tar" busybox
	expect_eq "$STATUS" 125 "an unknown format"
	expect_match "$ERR" 'bogus'
	capture cpod save -o "$TEST_TMP/bad.tar" no-such-image
	expect_eq "$STATUS" 125 "an unknown image"
	expect_eq "$(compgen -G "$TEST_TMP/bad.tar*" || true)" "" "no file (or temporary) left by a failed save"
}

test_load_errors() {
	need_root
	local l=$TEST_TMP/bb.tar hx
	img_busybox_tar "$l"
	echo 'not a tar' > "$TEST_TMP/junk"
	capture cpod load -i "$TEST_TMP/junk"
	expect_eq "$STATUS" 125 "not a tar"
	capture cpod load < /dev/null
	expect_eq "$STATUS" 125 "empty input"
	mkimage tar "$TEST_TMP/none.tar" <<< 'file hello "x"'
	capture cpod load -i "$TEST_TMP/none.tar"
	expect_eq "$STATUS" 125 "a tar that is no archive"
	expect_match "$ERR" 'manifest.json.*index.json|not an image archive'
	capture cpod load -i "$TEST_TMP/no-such-file"
	expect_eq "$STATUS" 125 "a missing file"
	expect_match "$ERR" 'no-such-file'
	# a layer that is not the one the config promises
	mkimage tar "$TEST_TMP/other.tar" <<< 'file other "other layer"'
	mkimage docker-archive "$TEST_TMP/good.tar" --layer "$l" --tag good:1
	hx=$(tar -xOf "$TEST_TMP/good.tar" manifest.json | jq -r '.[0].Layers[0]')
	mkdir -p "$TEST_TMP/swap"
	tar -C "$TEST_TMP/swap" -xf "$TEST_TMP/good.tar"
	cp "$TEST_TMP/other.tar" "$TEST_TMP/swap/$hx"
	tar -C "$TEST_TMP/swap" -cf "$TEST_TMP/swapped.tar" .
	capture cpod load -i "$TEST_TMP/swapped.tar"
	expect_eq "$STATUS" 125 "a layer whose diff_id does not match"
	expect_match "$ERR" 'diff_id|digest' "says so"
	expect_match "$ERR" "$(img_sha256 "$l")" "names the expected digest"
	# the manifest names a layer the archive lacks
	rm "$TEST_TMP/swap/$hx"
	tar -C "$TEST_TMP/swap" -cf "$TEST_TMP/missing.tar" .
	capture cpod load -i "$TEST_TMP/missing.tar"
	expect_eq "$STATUS" 125 "a missing layer"
	expect_match "$ERR" "${hx%%/*}"
	# an oci-archive with a corrupted blob
	mkimage oci-archive "$TEST_TMP/o.tar" --ref localhost/o:1 --image "amd64=$TEST_TMP/other.tar"
	rm -rf "$TEST_TMP/o" && mkdir "$TEST_TMP/o" && tar -C "$TEST_TMP/o" -xf "$TEST_TMP/o.tar"
	local blob
	blob=$(find "$TEST_TMP/o/blobs/sha256" -type f -size +5k | head -n 1)
	printf 'X' | dd of="$blob" bs=1 seek=600 conv=notrunc status=none
	tar -C "$TEST_TMP/o" -cf "$TEST_TMP/o-bad.tar" .
	capture cpod load -i "$TEST_TMP/o-bad.tar"
	expect_eq "$STATUS" 125 "a blob that is not what its digest says"
	expect_match "$ERR" "$(basename "$blob")"
	expect_eq "$(cpod images -q)" "" "nothing loaded"
	img_check_clean
}

test_skopeo_archives_load_in_cpod() {
	need_root
	need skopeo
	img_containers_dirs_untouched
	local l=$TEST_TMP/bb.tar
	img_busybox_tar "$l"
	img_docker_archive "$TEST_TMP/d.tar" amd64 '{"Cmd": ["echo", "via skopeo"]}' '["busybox:latest"]' "$l"
	img_skopeo copy -q "docker-archive:$TEST_TMP/d.tar" "oci-archive:$TEST_TMP/sk-oci.tar:localhost/sk:1"
	expect_eq "$(cpod load -i "$TEST_TMP/sk-oci.tar")" "Loaded image: localhost/sk:1"
	expect_eq "$(cpod run --rm sk:1)" "via skopeo"
	# skopeo's manifest and config are what cpod keeps
	local d=$TEST_TMP/sk-dir
	img_skopeo copy -q "oci-archive:$TEST_TMP/sk-oci.tar" "dir:$d"
	expect_eq "$(cpod image inspect sk:1 | jq -r '.[0].Digest')" "$(img_skopeo inspect "oci-archive:$TEST_TMP/sk-oci.tar" | jq -r .Digest)" \
		"Digest: skopeo's manifest"
	expect_eq "$(cpod image inspect sk:1 | jq -r '.[0].Id')" "$(jq -r .config.digest "$d/manifest.json" | cut -d: -f2)" \
		"id: skopeo's config digest"
	# gzip layers, as skopeo compresses them for oci-archive
	img_skopeo copy -q --dest-compress "docker-archive:$TEST_TMP/d.tar" "oci-archive:$TEST_TMP/sk-gz.tar:localhost/skgz:1"
	cpod load -i "$TEST_TMP/sk-gz.tar" > /dev/null
	expect_eq "$(cpod run --rm skgz:1)" "via skopeo"
	# skopeo's docker-archive
	img_skopeo copy -q "oci-archive:$TEST_TMP/sk-oci.tar" "docker-archive:$TEST_TMP/sk-docker.tar:localhost/skd:1"
	expect_eq "$(cpod load -i "$TEST_TMP/sk-docker.tar")" "Loaded image: localhost/skd:1"
	expect_eq "$(cpod run --rm skd:1)" "via skopeo"
	img_check_clean
}

test_cpod_archives_read_by_skopeo() {
	need_root
	need skopeo
	img_containers_dirs_untouched
	local id digest j
	id=$(img_import busybox 'CMD ["echo", "to skopeo"]')
	digest=$(cpod image inspect busybox | jq -r '.[0].Digest')
	cpod save --format oci-archive -o "$TEST_TMP/o.tar" busybox
	j=$(img_skopeo inspect "oci-archive:$TEST_TMP/o.tar")
	expect_eq "$(jq -r .Digest <<< "$j")" "$digest" "skopeo sees cpod's manifest"
	expect_eq "$(jq -r .Architecture <<< "$j")" amd64
	expect_eq "$(jq -r '.Layers | length' <<< "$j")" 1
	img_skopeo inspect --config "oci-archive:$TEST_TMP/o.tar" | jq -e '.config.Cmd == ["echo", "to skopeo"]' > /dev/null ||
		fail "skopeo reads the config"
	img_skopeo copy -q "oci-archive:$TEST_TMP/o.tar" "dir:$TEST_TMP/odir"
	expect_eq "$(jq -r .config.digest "$TEST_TMP/odir/manifest.json")" "sha256:$id" "the config blob is the id"
	test -s "$TEST_TMP/odir/$id" || fail "skopeo copied the config"
	# and a docker-archive
	cpod save -o "$TEST_TMP/d.tar" busybox
	j=$(img_skopeo inspect "docker-archive:$TEST_TMP/d.tar")
	expect_eq "$(jq -r '.Layers | length' <<< "$j")" 1
	img_skopeo copy -q "docker-archive:$TEST_TMP/d.tar" "dir:$TEST_TMP/ddir"
	expect_eq "$(jq -r .config.digest "$TEST_TMP/ddir/manifest.json")" "sha256:$id" "docker-archive: the same config"
	# skopeo turns cpod's archive into another oci-archive that cpod loads back
	img_skopeo copy -q "docker-archive:$TEST_TMP/d.tar" "oci-archive:$TEST_TMP/back.tar:localhost/back:1"
	cpod load -i "$TEST_TMP/back.tar" > /dev/null
	expect_eq "$(cpod run --rm back:1)" "to skopeo"
}

# Archives written by podman (its docker-archive links layers by symlink,
# adds VERSION and json files and a "repositories" file).
test_podman_saved_archives_load_in_cpod() {
	need_root
	need podman
	img_containers_dirs_untouched
	img_import busybox 'CMD ["echo", "via podman"]' > /dev/null
	cpod save -o "$TEST_TMP/c.tar" busybox
	img_podman load -q -i "$TEST_TMP/c.tar" > "$TEST_TMP/podman.log" 2>&1 ||
		skip "podman cannot load here: $(tail -n 1 "$TEST_TMP/podman.log")"
	img_podman save -q -o "$TEST_TMP/p-docker.tar" localhost/busybox:latest
	img_podman save -q --format oci-archive -o "$TEST_TMP/p-oci.tar" localhost/busybox:latest
	img_podman rmi -a -f > /dev/null 2>&1 || true
	expect_match "$(tar -tvf "$TEST_TMP/p-docker.tar")" '^l.*layer\.tar -> ' "podman links its layers"
	cpod rmi busybox > /dev/null
	expect_eq "$(cpod load -i "$TEST_TMP/p-docker.tar")" "Loaded image: localhost/busybox:latest"
	expect_eq "$(cpod run --rm busybox)" "via podman"
	cpod rmi busybox > /dev/null
	expect_eq "$(cpod load -i "$TEST_TMP/p-oci.tar")" "Loaded image: localhost/busybox:latest"
	expect_eq "$(cpod run --rm busybox)" "via podman"
	img_check_spotless
}
