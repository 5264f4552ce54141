# shellcheck shell=bash
# shellcheck disable=SC2016 # $VARS in single quotes are for the container's shell
# registry_push.sh — `cpod-mini push` to a real docker-registry, read back
# by skopeo and umoci (another tool reads what cpod wrote): images made by
# `import` and by `load` keep their config (so their id) through a push and
# a pull; a second repository gets the layers by cross-repository mount, not
# by a new upload (counted by the proxy, and in the registry's log); and a
# multi-arch index pushed by skopeo (amd64 + arm64 busybox) pulls the
# platform asked for, the host's by default.

. "$SRCDIR/test/helpers/registry/reg.sh"

# push_import NAME [CHANGE...]: imports the busybox rootfs (an uncompressed
# tar) as NAME; prints the id.
push_import() {
	local name=$1 t=$TEST_TMP/busybox.tar args=()
	shift
	[ -s "$t" ] || mkoci layer "$t" --tree "$(reg_rootfs)"
	local c
	for c in 'CMD ["sh"]' "$@"; do
		args+=(-c "$c")
	done
	cpod import "${args[@]}" "$t" "$name"
}

# push_layers REF: the layer digests of REF's manifest in the registry.
push_layers() {
	reg_skopeo inspect --raw --tls-verify=false "docker://$1" | jq -r '.layers[].digest'
}

test_push_imported_image_is_read_by_skopeo_and_umoci() {
	reg_need
	need umoci
	reg_start plain
	local id dest=127.0.0.1:$REG_PORT/cpod/busybox:imported
	id=$(push_import localhost/bb:1 'ENV GREETING=pushed' 'LABEL pushed.by=cpod')
	capture cpod push --tls-verify=false localhost/bb:1 "$dest"
	expect_eq "$STATUS" 0 "push"
	# skopeo: the image's config as cpod had it
	local j
	j=$(reg_skopeo inspect --tls-verify=false "docker://$dest")
	expect_eq "$(jq -r '.Architecture + "/" + .Os' <<< "$j")" amd64/linux
	expect_match "$(jq -r '.Env[]' <<< "$j")" '^GREETING=pushed$' "Env"
	expect_eq "$(jq -r '.Labels["pushed.by"]' <<< "$j")" cpod "Labels"
	local man
	man=$(reg_skopeo inspect --raw --tls-verify=false "docker://$dest")
	log "manifest: $man"
	expect_eq "$(jq -r .config.digest <<< "$man")" "sha256:$id" "the config is pushed as it is: same id"
	expect_match "$(jq -r .mediaType <<< "$man")" \
		'^application/vnd\.(docker\.distribution\.manifest\.v2|oci\.image\.manifest\.v1)\+json$'
	# skopeo copies it out (checking every digest), umoci unpacks it
	reg_skopeo copy -q --src-tls-verify=false "docker://$dest" "oci:$TEST_TMP/out:x" >&2
	umoci raw unpack --image "$TEST_TMP/out:x" "$TEST_TMP/unpacked" >&2
	cmp "$TEST_TMP/unpacked/bin/busybox" "$(reg_rootfs)/bin/busybox" || fail "busybox differs"
	expect_eq "$(readlink "$TEST_TMP/unpacked/bin/sh")" busybox "the applet links"
	# the diff_id of the config is the uncompressed layer's digest (the
	# layer as skopeo wrote it in the layout: it may have compressed it)
	local lay cfg om
	om=$(jq -r '.manifests[0].digest' "$TEST_TMP/out/index.json")
	lay=$(jq -r '.layers[0].digest' "$TEST_TMP/out/blobs/sha256/${om#sha256:}")
	cfg=$(reg_skopeo inspect --config --raw --tls-verify=false "docker://$dest")
	expect_eq "$(jq -r '.rootfs.diff_ids[0]' <<< "$cfg")" \
		"$(reg_diff_id "$TEST_TMP/out/blobs/sha256/${lay#sha256:}")" "diff_id"
	log "layer media type as pushed: $(jq -r '.layers[0].mediaType' <<< "$man")"
	# DEST omitted: the image's own name
	cpod tag localhost/bb:1 "127.0.0.1:$REG_PORT/cpod/busybox:own-name"
	capture cpod push --tls-verify=false "127.0.0.1:$REG_PORT/cpod/busybox:own-name"
	expect_eq "$STATUS" 0 "push IMAGE"
	expect_eq "$(reg_skopeo inspect --tls-verify=false \
		"docker://127.0.0.1:$REG_PORT/cpod/busybox:own-name" | jq -r '.Labels["pushed.by"]')" cpod
	# and cpod pulls back what it pushed
	cpod rmi -f localhost/bb:1 "127.0.0.1:$REG_PORT/cpod/busybox:own-name" > /dev/null
	capture cpod pull -q --tls-verify=false "$dest"
	expect_eq "$STATUS" 0
	expect_eq "$OUT" "$id" "the same id after push and pull"
	expect_eq "$(cpod run --rm "$dest" sh -c 'echo $GREETING')" pushed
	reg_check_spotless
}

test_push_loaded_image_keeps_its_id() {
	reg_need
	reg_start plain
	mkoci layer "$TEST_TMP/bb.tar" --tree "$(reg_rootfs)"
	mkoci layer "$TEST_TMP/motd.tar" --file "etc/motd=loaded, pushed and pulled"
	mkoci docker-archive "$TEST_TMP/arch.tar" --layer "$TEST_TMP/bb.tar" \
		--layer "$TEST_TMP/motd.tar" --tag localhost/loaded:1 \
		--config '{"Cmd": ["cat", "/etc/motd"], "Env": ["PATH=/bin"], "Labels": {"from": "load"}}'
	capture cpod load -i "$TEST_TMP/arch.tar"
	expect_eq "$STATUS" 0 "load"
	local id dest=127.0.0.1:$REG_PORT/loaded/image:1
	id=$(reg_id localhost/loaded:1)
	capture cpod push --tls-verify=false localhost/loaded:1 "$dest"
	expect_eq "$STATUS" 0 "push of a loaded image"
	local man
	man=$(reg_skopeo inspect --raw --tls-verify=false "docker://$dest")
	expect_eq "$(jq -r '.layers | length' <<< "$man")" 2 "two layers"
	expect_eq "$(jq -r .config.digest <<< "$man")" "sha256:$id" "the config unchanged"
	expect_eq "$(reg_skopeo inspect --config --raw --tls-verify=false "docker://$dest" |
		jq -r .config.Labels.from)" load
	cpod rmi localhost/loaded:1 > /dev/null
	expect_eq "$(cpod images -q)" ""
	capture cpod pull --tls-verify=false "$dest"
	expect_eq "$STATUS" 0 "pull"
	expect_eq "$(reg_pulled_id)" "$id" "the same id"
	expect_eq "$(cpod run --rm "$dest")" "loaded, pushed and pulled"
	expect_match "$(cpod image inspect "$dest" | jq -r '.[0].RepoDigests[]')" \
		"@sha256:$(printf '%s' "$man" | sha256sum | cut -d' ' -f1)\$" "the pushed manifest's digest"
	reg_check_spotless
}

# The same image to a second repository of the same registry: the registry
# already has the layers (under the first repository), so cpod mounts them
# (POST .../blobs/uploads/?mount=DIGEST&from=REPO) instead of uploading
# them again.  An image pulled from a repository mounts from there too.
test_second_repository_push_mounts() {
	reg_need
	reg_start plain
	reg_proxy "$REG_PORT"
	local reg=127.0.0.1:$PROXY_PORT
	reg_conf "$(printf '[[registry]]\nlocation = "%s"\ninsecure = true' "$reg")"
	# two layers
	mkoci layer "$TEST_TMP/bb.tar" --tree "$(reg_rootfs)"
	mkoci layer "$TEST_TMP/extra.tar" --random "data/blob=300000@mount"
	mkoci docker-archive "$TEST_TMP/arch.tar" --layer "$TEST_TMP/bb.tar" \
		--layer "$TEST_TMP/extra.tar" --tag localhost/bb:1 --config '{"Cmd": ["sh"]}'
	cpod load -i "$TEST_TMP/arch.tar" > /dev/null
	capture cpod push localhost/bb:1 "$reg/first/img:1"
	expect_eq "$STATUS" 0 "first push"
	[ "$(proxy_stat .upload_put)" -ge 2 ] || fail "the first push uploaded no blob"
	local layers l
	mapfile -t layers < <(push_layers "$reg/first/img:1")
	# again to the same repository: nothing uploaded
	proxy_reset
	capture cpod push localhost/bb:1 "$reg/first/img:1"
	expect_eq "$STATUS" 0 "the same push again"
	expect_eq "$(proxy_stat '.upload_post + .upload_patch + .upload_put')" 0 \
		"nothing uploaded again to the same repository"
	# to a second repository: mounted
	proxy_reset
	capture cpod push localhost/bb:1 "$reg/second/img:1"
	expect_eq "$STATUS" 0 "push to a second repository"
	log "second push: $(proxy_stat 'del(.requests)' | jq -c .)"
	for l in "${layers[@]}"; do
		expect_eq "$(proxy_stat "[.requests[] | select(.kind == \"upload_put\" and
			(.path | contains(\"$l\")))] | length")" 0 "layer $l is not uploaded again"
	done
	[ "$(proxy_stat .mount_created)" -ge "${#layers[@]}" ] ||
		fail "the registry mounted $(proxy_stat .mount_created) blobs, not ${#layers[@]}"
	expect_match "$(grep -E '"POST /v2/second/img/blobs/uploads/\?' "$REG_DIR/log")" \
		'mount=sha256' "the registry's log shows the mount"
	expect_eq "$(reg_skopeo inspect --raw --tls-verify=false "docker://$reg/second/img:1" |
		jq -r '.layers[].digest')" "$(printf '%s\n' "${layers[@]}")" "the same layers"
	# pulled from first/ into another store, pushed to third/: mounted from first/
	local other=(env CPOD_ROOT="$TEST_TMP/root2" CPOD_RUNROOT="$TEST_TMP/run2")
	"${other[@]}" "$CPOD" pull -q "$reg/first/img:1" > /dev/null
	proxy_reset
	capture "${other[@]}" "$CPOD" push "$reg/first/img:1" "$reg/third/img:1"
	expect_eq "$STATUS" 0 "push of a pulled image to another repository"
	for l in "${layers[@]}"; do
		expect_eq "$(proxy_stat "[.requests[] | select(.kind == \"upload_put\" and
			(.path | contains(\"$l\")))] | length")" 0 "layer $l mounted from first/"
	done
}

test_push_of_a_missing_image_names_it() {
	reg_need
	reg_start plain
	capture cpod push --tls-verify=false localhost/nosuch:1 "127.0.0.1:$REG_PORT/x/y:1"
	expect_eq "$STATUS" 125
	expect_match "$ERR" 'nosuch' "names the image"
	expect_eq "$(reg_log_count plain 'blobs/uploads')" 0 "nothing uploaded"
}

# amd64 + arm64 busybox in one index pushed by `skopeo copy --all`:
# --platform and --arch pick the image, the host's platform by default.
test_multiarch_index_platform_selection() {
	reg_need
	reg_start plain
	reg_busybox_layer "$TEST_TMP/amd64.tgz" amd64
	reg_busybox_layer "$TEST_TMP/arm64.tgz" arm64
	mkoci layout "$TEST_TMP/multi" --ref multi \
		--config '{"Cmd": ["sh", "-c", "echo I am $(uname -m)"]}' \
		--image "amd64=$TEST_TMP/amd64.tgz" --image "arm64/v8=$TEST_TMP/arm64.tgz" > /dev/null
	local ref=127.0.0.1:$REG_PORT/multi/busybox:1
	reg_push_layout "$TEST_TMP/multi:multi" "$ref" --all
	local index arm amd
	index=$(curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json' \
		"http://127.0.0.1:$REG_PORT/v2/multi/busybox/manifests/1")
	arm=$(jq -r '.manifests[] | select(.platform.architecture == "arm64") | .digest' <<< "$index")
	amd=$(jq -r '.manifests[] | select(.platform.architecture == "amd64") | .digest' <<< "$index")
	if [ -z "$arm" ] || [ -z "$amd" ]; then
		fail "the registry has no two-platform index: $index"
	fi
	capture cpod pull --tls-verify=false --platform linux/arm64 "$ref"
	expect_eq "$STATUS" 0 "pull --platform linux/arm64"
	local j
	j=$(cpod image inspect "$ref")
	expect_eq "$(jq -r '.[0].Architecture' <<< "$j")" arm64 "the arm64 image"
	expect_eq "$(jq -r '.[0].Variant' <<< "$j")" v8 "its variant"
	expect_match "$(jq -r '.[0].Digest, .[0].RepoDigests[]' <<< "$j")" "$arm" \
		"the arm64 manifest's digest"
	expect_eq "$(cpod images -q | wc -l)" 1 "one image"
	cpod rmi "$ref" > /dev/null
	capture cpod pull --tls-verify=false "$ref"
	expect_eq "$STATUS" 0 "pull with the default platform"
	expect_eq "$(cpod image inspect "$ref" | jq -r '.[0].Architecture')" amd64 "the host's platform"
	expect_match "$(cpod image inspect "$ref" | jq -r '.[0].Digest, .[0].RepoDigests[]')" "$amd"
	expect_eq "$(cpod run --rm "$ref")" "I am x86_64"
	cpod rmi "$ref" > /dev/null
	capture cpod pull --tls-verify=false --arch arm64 "$ref"
	expect_eq "$STATUS" 0 "pull --arch arm64"
	expect_eq "$(cpod image inspect "$ref" | jq -r '.[0].Architecture')" arm64 "--arch"
	# a platform the index does not have: the error says which there are
	capture cpod pull --tls-verify=false --platform linux/s390x "$ref"
	expect_eq "$STATUS" 125 "a platform not in the index"
	expect_match "$ERR" 'linux/s390x' "names the platform asked for"
	expect_match "$ERR" 'linux/amd64' "and those there are"
	expect_match "$ERR" 'linux/arm64'
	reg_check_spotless
}

# An image made by `commit` (a layer of the container's changes on top of
# the imported busybox): pushed, read by skopeo (two layers, the commit's
# config), pulled into another store and run.
test_push_committed_image() {
	reg_need
	reg_start plain
	push_import localhost/bb:1 > /dev/null
	local ctr dest=127.0.0.1:$REG_PORT/committed/img:1
	ctr=committer-$$
	capture cpod run --name "$ctr" localhost/bb:1 sh -c 'echo committed > /etc/motd'
	expect_eq "$STATUS" 0 "the container ran"
	capture cpod commit -c 'CMD ["cat", "/etc/motd"]' "$ctr" localhost/committed:1
	expect_eq "$STATUS" 0 "commit"
	cpod rm "$ctr" > /dev/null
	local id
	id=$(reg_id localhost/committed:1)
	capture cpod push --tls-verify=false localhost/committed:1 "$dest"
	expect_eq "$STATUS" 0 "push of a committed image"
	local man
	man=$(reg_skopeo inspect --raw --tls-verify=false "docker://$dest")
	log "manifest: $man"
	expect_eq "$(jq -r '.layers | length' <<< "$man")" 2 "the image's layer and the commit's"
	expect_eq "$(jq -r .config.digest <<< "$man")" "sha256:$id" "the config unchanged"
	reg_skopeo copy -q --src-tls-verify=false "docker://$dest" "oci:$TEST_TMP/out:x" >&2 ||
		fail "skopeo cannot copy what cpod pushed"
	local other=(env CPOD_ROOT="$TEST_TMP/root2" CPOD_RUNROOT="$TEST_TMP/run2")
	capture "${other[@]}" "$CPOD" pull -q --tls-verify=false "$dest"
	expect_eq "$STATUS" 0 "pull into another store"
	expect_eq "$OUT" "$id" "the same id"
	expect_eq "$("${other[@]}" "$CPOD" run --rm "$dest")" committed
	"${other[@]}" "$CPOD" rmi -a -f > /dev/null 2>&1 || true
	reg_check_spotless
}
