# shellcheck shell=bash
# image_import.sh — images made with `import` from Debian's busybox-static
# (a tar made by the test with GNU tar) and run: exit statuses, names, the
# image config (Entrypoint, Cmd, Env, WorkingDir, User) and its overrides,
# users from the image's /etc/passwd, and what images, inspect and history
# show.

. "$SRCDIR/test/helpers/image.sh"

test_run_exit_statuses() {
	need_root
	img_import > /dev/null
	capture cpod run --rm busybox echo hello
	expect_eq "$STATUS" 0 "echo"
	expect_eq "$OUT" hello
	capture cpod run --rm busybox sh -c 'exit 3'
	expect_eq "$STATUS" 3 "the container's own status"
	capture cpod run --rm busybox no-such-command
	expect_eq "$STATUS" 127 "a missing command"
	expect_match "$ERR" 'no-such-command' "the error names the command"
	capture cpod run --rm busybox /etc/passwd
	expect_eq "$STATUS" 126 "a file that is not executable"
	expect_match "$ERR" '/etc/passwd.*(permission denied|not executable)' "the error says why"
	capture cpod run --rm busybox /etc
	expect_eq "$STATUS" 126 "a directory"
	capture cpod run --rm no-such-image true
	expect_eq "$STATUS" 125 "an unknown image is an engine error"
	expect_match "$ERR" 'no-such-image.*(not known|not found)'
	# --rm: nothing stays, whatever the status
	expect_eq "$(cpod ps -a -q)" "" "no container left by run --rm"
}

test_import_from_stdin_with_message() {
	need_root
	local t=$TEST_TMP/bb.tar id
	img_busybox_tar "$t"
	# no name: a dangling image, known by its id
	id=$(cpod import -m "made by the test" - < "$t")
	expect_match "$id" '^[0-9a-f]{64}$' "import prints the id"
	expect_eq "$(cpod images --format json | jq -c '.[0].RepoTags')" '[]' "no name"
	expect_match "$(cpod images)" '^<none> +<none> +'"${id:0:12}" "listed as <none>"
	expect_eq "$(cpod run --rm "${id:0:12}" echo by-id)" by-id "run by an id prefix"
	expect_eq "$(cpod history --format json "$id" | jq -r '.[0].comment')" "made by the test" \
		"-m is the history comment"
	# the layer is the tar as given: its diff_id is the tar's sha256
	expect_eq "$(cpod image inspect "$id" | jq -r '.[0].RootFS.Layers[0]')" \
		"sha256:$(img_sha256 "$t")" "diff_id"
}

test_short_name_resolution() {
	need_root
	local id ref
	id=$(img_import busybox)
	expect_eq "$(cpod image inspect busybox | jq -c '.[0].RepoTags')" '["localhost/busybox:latest"]' \
		"an unqualified import name goes to localhost/"
	for ref in busybox busybox:latest localhost/busybox localhost/busybox:latest "$id" \
		"${id:0:12}" "sha256:$id"; do
		expect_eq "$(img_id "$ref")" "$id" "resolving $ref"
	done
	capture cpod image inspect docker.io/library/busybox:latest
	expect_eq "$STATUS" 125 "docker.io/library/busybox is another image"
	capture cpod image inspect busybox:other
	expect_eq "$STATUS" 125 "another tag"
	expect_match "$ERR" 'busybox:other'
}

test_image_config_and_overrides() {
	need_root
	img_import busybox 'ENTRYPOINT ["/bin/sh", "-c"]' \
		'CMD ["echo cmd; id -un; pwd; echo $FOO-$BAR"]' \
		'ENV FOO=image-foo BAR=image-bar' 'WORKDIR /srv/app' 'USER nobody' > /dev/null
	local cfg
	cfg=$(cpod image inspect busybox | jq -c '.[0].Config')
	expect_eq "$(jq -c .Entrypoint <<< "$cfg")" '["/bin/sh","-c"]' "Entrypoint"
	expect_eq "$(jq -c .Cmd <<< "$cfg")" '["echo cmd; id -un; pwd; echo $FOO-$BAR"]' "Cmd (the last CMD wins)"
	expect_eq "$(jq -c .Env <<< "$cfg")" '["FOO=image-foo","BAR=image-bar"]' "Env"
	expect_eq "$(jq -r .WorkingDir <<< "$cfg")" /srv/app "WorkingDir"
	expect_eq "$(jq -r .User <<< "$cfg")" nobody "User"

	# the image's config as is
	expect_eq "$(cpod run --rm busybox | tr '\n' '|')" "cmd|nobody|/srv/app|image-foo-image-bar|"
	# arguments replace Cmd, the Entrypoint stays
	expect_eq "$(cpod run --rm busybox 'echo args')" args "arguments replace Cmd"
	# -e, -w, -u
	expect_eq "$(cpod run --rm -e FOO=cli -e NEW=new -w /tmp -u root busybox \
		'echo $FOO-$BAR-$NEW; pwd; id -un' | tr '\n' '|')" "cli-image-bar-new|/tmp|root|" \
		"-e overrides one variable, -w the directory, -u the user"
	# the environment podman gives: PATH, HOSTNAME, HOME of the user, container=
	local env
	env=$(cpod run --rm -u root busybox env)
	expect_match "$env" '^PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$'
	expect_match "$env" '^HOME=/root$' "HOME from the image's passwd"
	expect_match "$env" '^HOSTNAME=.+'
	expect_match "$env" '^container='
	# --entrypoint: one word, or a JSON array; Cmd goes with it
	expect_eq "$(cpod run --rm --entrypoint /bin/echo busybox hello entry)" "hello entry"
	expect_eq "$(cpod run --rm --entrypoint '["/bin/echo","json"]' busybox)" json \
		"a JSON --entrypoint, the image's Cmd dropped"
	expect_eq "$(cpod run --rm --entrypoint '' busybox echo cleared)" cleared \
		"--entrypoint '' clears it"
	# the working directory is made when missing
	expect_eq "$(cpod run --rm -w /does/not/exist busybox pwd)" /does/not/exist
}

test_no_command_at_all() {
	need_root
	local t=$TEST_TMP/bb.tar
	img_busybox_tar "$t"
	cpod import "$t" nocmd > /dev/null
	capture cpod run --rm nocmd
	expect_eq "$STATUS" 125 "no Cmd, no Entrypoint, no arguments"
	expect_match "$ERR" '(no command|CMD|ENTRYPOINT)'
	expect_eq "$(cpod run --rm nocmd echo given)" given
}

# An image whose second layer brings its own users and groups.
image_users_archive() {
	mkimage tar "$TEST_TMP/users.tar" <<'EOF'
dir etc
file etc/passwd "root:x:0:0:root:/root:/bin/sh\napp:x:1234:2345:App:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false"
file etc/group "root:x:0:\nappgrp:x:2345:\nextra:x:3456:app,other\nthird:x:4567:\nnobody:x:65534:"
dir home
dir home/app mode=0700 uid=1234 gid=2345
EOF
	img_busybox_tar "$TEST_TMP/bb.tar"
	mkimage docker-archive "$TEST_TMP/users-img.tar" --layer "$TEST_TMP/bb.tar" \
		--layer "$TEST_TMP/users.tar" --tag users:1 --config "$1"
	cpod load -i "$TEST_TMP/users-img.tar" > /dev/null
}

# The kernel's supplementary groups of the container's process.
image_groups() {
	cpod run --rm "$@" awk '/^Groups:/ { $1 = ""; sub(/^ /, ""); print }' /proc/self/status
}

test_user_by_name_from_image_passwd() {
	need_root
	image_users_archive '{"Cmd": ["id"]}'
	expect_eq "$(cpod run --rm -u app users:1 sh -c 'id -u; id -un; id -g; id -gn' | tr '\n' ' ')" \
		"1234 app 2345 appgrp " "the user's ids from the image's passwd and group"
	expect_match "$(image_groups -u app users:1)" '(^| )3456( |$)' \
		"a member of extra in the image's group file"
	expect_eq "$(cpod run --rm -u app users:1 sh -c 'echo $HOME; cd && pwd')" \
		"$(printf '/home/app\n/home/app')" "HOME from the image's passwd"
	expect_eq "$(cpod run --rm -u app:third users:1 id -g)" 4567 "user:group by names"
	expect_eq "$(cpod run --rm -u 1234 users:1 id -un)" app "a uid with a passwd entry"
	expect_eq "$(cpod run --rm -u 1234 users:1 id -g)" 2345 "its group from passwd"
	expect_eq "$(cpod run --rm -u 777:888 users:1 sh -c 'id -u; id -g' | tr '\n' ' ')" "777 888 " \
		"numeric ids need no entry"
}

# podman (libpod's generateSpec) gives a named user its primary group as
# a supplementary group too, then the groups it is a member of; with an
# explicit group, that group only.
test_user_supplementary_groups_like_podman() {
	need_root
	image_users_archive '{"Cmd": ["id"]}'
	expect_eq "$(image_groups -u app users:1)" "2345 3456" "-u app"
	expect_eq "$(image_groups -u app:third users:1)" "4567" "-u app:third"
	expect_eq "$(image_groups -u 777:888 users:1)" "888" "-u 777:888"
}

test_unknown_user_is_a_clear_error() {
	need_root
	image_users_archive '{"Cmd": ["id"], "User": "ghost"}'
	capture cpod run --rm users:1
	expect_eq "$STATUS" 125 "the image's User is unknown"
	expect_match "$ERR" 'ghost' "the error names the user"
	expect_match "$ERR" 'passwd' "and where it was looked for"
	capture cpod run --rm -u nosuchuser users:1
	expect_eq "$STATUS" 125
	expect_match "$ERR" 'unable to find user nosuchuser'
	capture cpod run --rm -u app:nosuchgroup users:1
	expect_eq "$STATUS" 125
	expect_match "$ERR" 'unable to find group nosuchgroup'
	expect_eq "$(cpod run --rm -u app users:1 id -un)" app "-u overrides the image's User"
	expect_eq "$(cpod ps -a -q)" "" "failed runs leave no container"
}

test_images_listing() {
	need_root
	local id1 id2 out
	id1=$(img_import busybox)
	id2=$(img_import second 'CMD ["echo", "second"]')
	out=$(cpod images)
	expect_match "$out" '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$' "header"
	expect_match "$out" "^localhost/busybox +latest +${id1:0:12} .* [0-9.]+ [kM]B$" "busybox row"
	expect_match "$out" "^localhost/second +latest +${id2:0:12} "
	expect_eq "$(cpod images -q | sort | tr '\n' ' ')" \
		"$(printf '%s\n' "${id1:0:12}" "${id2:0:12}" | sort | tr '\n' ' ')" "-q: short ids"
	expect_eq "$(cpod images -q --no-trunc | sort | tr '\n' ' ')" \
		"$(printf '%s\n' "$id1" "$id2" | sort | tr '\n' ' ')" "-q --no-trunc: full ids"
	out=$(cpod images --digests)
	expect_match "$out" '^REPOSITORY +TAG +DIGEST +IMAGE ID' "--digests header"
	expect_match "$out" "^localhost/busybox +latest +sha256:[0-9a-f]{64} +${id1:0:12} "
	expect_match "$(cpod images --no-trunc)" "^localhost/busybox +latest +$id1 "

	local j
	j=$(cpod images --format json)
	expect_eq "$(jq length <<< "$j")" 2 "two images"
	jq -e --arg id "$id1" '.[] | select(.Id == $id) |
		(.RepoTags == ["localhost/busybox:latest"]) and (.Names == .RepoTags) and
		(.Size > 1000000) and (.Digest | test("^sha256:[0-9a-f]{64}$")) and
		(.Created | type == "number") and (.Arch == "amd64") and (.Os == "linux") and
		(.Containers == 0) and (.Dangling == false)' <<< "$j" > /dev/null ||
		fail "json fields: $(jq -c --arg id "$id1" '.[] | select(.Id == $id)' <<< "$j")"
	# a container counts
	cpod run --name user1 busybox true
	expect_eq "$(cpod images --format json | jq --arg id "$id1" '.[] | select(.Id == $id) | .Containers')" 1 \
		"Containers"
	# filters podman scripts use
	expect_eq "$(cpod images -q --filter reference=second)" "${id2:0:12}" "--filter reference="
	expect_eq "$(cpod images --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort | head -n 1)" \
		"localhost/busybox:latest ${id1:0:12}" "--format template"
}

test_inspect_shape() {
	need_root
	local id t=$TEST_TMP/busybox-amd64.tar j
	id=$(img_import busybox 'ENV A=1')
	j=$(cpod image inspect busybox)
	expect_eq "$(jq length <<< "$j")" 1 "an array of one"
	expect_eq "$(jq -r '.[0].Id' <<< "$j")" "$id" Id
	expect_eq "$(jq -c '.[0].RepoTags' <<< "$j")" '["localhost/busybox:latest"]' RepoTags
	expect_eq "$(jq -c '.[0].Config.Cmd' <<< "$j")" '["sh"]' Config.Cmd
	expect_eq "$(jq -c '.[0].Config.Env' <<< "$j")" '["A=1"]' Config.Env
	expect_eq "$(jq -r '.[0].RootFS.Type' <<< "$j")" layers RootFS.Type
	expect_eq "$(jq -c '.[0].RootFS.Layers' <<< "$j")" "[\"sha256:$(img_sha256 "$t")\"]" RootFS.Layers
	expect_eq "$(jq -r '.[0].Architecture' <<< "$j")" amd64 Architecture
	expect_eq "$(jq -r '.[0].Os' <<< "$j")" linux Os
	expect_match "$(jq -r '.[0].Digest' <<< "$j")" '^sha256:[0-9a-f]{64}$' Digest
	expect_match "$(jq -r '.[0].Created' <<< "$j")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' Created
	jq -e '.[0].Size > 1000000 and (.[0].History | length == 1)' <<< "$j" > /dev/null ||
		fail "Size and History: $(jq -c '.[0] | {Size, History}' <<< "$j")"
	# Digest is the digest of the manifest, as saved
	expect_eq "$(cpod save --format oci-archive busybox | tar -xOf - index.json | jq -r '.manifests[0].digest')" \
		"$(jq -r '.[0].Digest' <<< "$j")" "Digest is the manifest's"
	# inspect is image inspect; several at once
	expect_eq "$(cpod inspect busybox)" "$j" "inspect = image inspect"
	img_import second > /dev/null
	expect_eq "$(cpod image inspect busybox second | jq -r '.[].RepoTags[0]' | tr '\n' ' ')" \
		"localhost/busybox:latest localhost/second:latest " "two at once"
	capture cpod image inspect no-such-image
	expect_eq "$STATUS" 125
	expect_match "$ERR" 'no-such-image'
}

test_history() {
	need_root
	local j id
	printf '@ %s\nfile one "1"\n@ %s\nfile two "2"\n' "$TEST_TMP/l1.tar" "$TEST_TMP/l2.tar" | mkimage tars
	img_busybox_tar "$TEST_TMP/bb.tar"
	mkimage docker-archive "$TEST_TMP/h.tar" --layer "$TEST_TMP/bb.tar" --layer "$TEST_TMP/l1.tar" \
		--layer "$TEST_TMP/l2.tar" --tag hist:1
	cpod load -i "$TEST_TMP/h.tar" > /dev/null
	id=$(img_id hist:1)
	j=$(cpod history --format json hist:1)
	expect_eq "$(jq length <<< "$j")" 3 "one entry per layer"
	expect_eq "$(jq -r '[.[].createdBy] | join(",")' <<< "$j")" \
		"mkimage.py layer 2,mkimage.py layer 1,mkimage.py layer 0" "newest first"
	expect_eq "$(jq -r '[.[].id] | join(",")' <<< "$j")" "$id,<missing>,<missing>" "ids"
	jq -e 'all(.[]; .size > 0) and .[2].size > 1000000 and
		(.[0].tags == ["docker.io/library/hist:1"])' <<< "$j" > /dev/null ||
		fail "sizes and tags: $j"
	local out
	out=$(cpod history hist:1)
	expect_match "$out" '^ID +CREATED +CREATED BY +SIZE +COMMENT$' "table header"
	expect_eq "$(printf '%s\n' "$out" | wc -l)" 4 "three rows"
	expect_match "$out" "^${id:0:12} .*mkimage.py layer 2"
	expect_eq "$(cpod history -q hist:1 | head -n 1)" "${id:0:12}" "-q"
	capture cpod history no-such-image
	expect_eq "$STATUS" 125
}
