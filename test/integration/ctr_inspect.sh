# shellcheck shell=bash
# ctr_inspect.sh — what cpod-mini tells about containers, checked against
# the containers themselves: ps (--format json, table, Go templates,
# --filter id/name/status/exited/label/ancestor, -q, --no-trunc), inspect
# -f templates and the State fields through a container's life, top
# (default and chosen descriptors), stats --no-stream (--format json, the
# fields present and sane), diff (A/C/D, json), commit (--change applied,
# the new image runs and shows the change, its layer holds the change).
. "$SRCDIR/test/helpers/ctr/ctr.sh"

# A running container with a label, a stopped one that exited 3, a
# created one, on two images.
inspect_three() {
	img_import other > /dev/null
	cpod run -d --name up busybox sh -c 'exec sleep 100000' > /dev/null
	cpod run --name down other sh -c 'exit 3' > /dev/null || true
	cpod create --name fresh busybox true > /dev/null
}

test_ps_formats() {
	ctr_setup
	inspect_three
	local id json
	id=$(ctr_id up)
	json=$(cpod ps -a --format json)
	expect_eq "$(jq -r 'length' <<< "$json")" 3 "ps -a --format json lists the three"
	expect_eq "$(jq -r '.[] | select(.Names[0] == "up") | [.Id, .State, .Image, (.Pid > 0), .Exited] |
		@tsv' <<< "$json")" "$(printf '%s\trunning\tlocalhost/busybox:latest\ttrue\tfalse' "$id")" \
		"the running one"
	expect_eq "$(jq -r '.[] | select(.Names[0] == "down") | [.State, .ExitCode, .Exited, .Pid] | @tsv' \
		<<< "$json")" "$(printf 'exited\t3\ttrue\t0')" "the exited one"
	expect_match "$(jq -r '.[] | select(.Names[0] == "down") | .Status' <<< "$json")" '^Exited \(3\) ' \
		"podman's Exited (N) ... ago"
	expect_eq "$(jq -r '.[] | select(.Names[0] == "fresh") | .State + " " + .Status' <<< "$json")" \
		"created Created"
	expect_eq "$(jq -r '.[] | select(.Names[0] == "up") | .Command | join(" ")' <<< "$json")" \
		"sh -c exec sleep 100000"
	# running only without -a
	expect_eq "$(cpod ps --format json | jq -r '[.[].Names[0]] | join(" ")')" up
	# Go templates
	expect_eq "$(cpod ps --format '{{.Names}}|{{.State}}|{{.ID}}')" "up|running|${id:0:12}"
	expect_eq "$(cpod ps --no-trunc --format '{{.ID}}')" "$id" "--no-trunc"
	expect_eq "$(cpod ps -a --format '{{.Names}} {{.ExitCode}}' | sort | tr '\n' ',')" "down 3,fresh 0,up 0,"
	expect_match "$(cpod ps --format '{{.Status}}')" '^Up ' "Status of a running container"
	expect_eq "$(cpod ps --format '{{if .Exited}}x{{else}}live{{end}} {{len .State}} {{upper .State}}')" \
		"live 7 RUNNING" "if, len, upper"
	expect_eq "$(cpod ps --format '{{json .State}}')" '"running"' "json"
	# table: a header, then the rows, columns apart
	local table
	table=$(cpod ps -a --format 'table {{.ID}}\t{{.Names}}\t{{.State}}')
	expect_match "$(head -n 1 <<< "$table")" '^CONTAINER ID[[:space:]]+NAMES[[:space:]]+STATE' "table header"
	expect_eq "$(tail -n +2 <<< "$table" | wc -l)" 3 "one row each"
	expect_match "$table" "^${id:0:12}[[:space:]]+up[[:space:]]+running" "a row"
	expect_eq "$(cpod ps -a --noheading --format 'table {{.Names}}' | sort | tr '\n' ' ')" "down fresh up " \
		"--noheading"
	# the default table
	expect_match "$(cpod ps | head -n 1)" '^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +(PORTS +)?NAMES'
	expect_eq "$(cpod ps -q)" "${id:0:12}" "-q"
	expect_eq "$(cpod ps -aq | wc -l)" 3
	ctr_expect 125 cpod ps --format '{{.Names'
	ctr_expect 125 cpod ps --filter bogus=1
}

test_ps_filters() {
	ctr_setup
	inspect_three
	local id
	id=$(ctr_id up)
	names() { cpod ps -a --format '{{.Names}}' "$@" | sort | tr '\n' ' '; }
	expect_eq "$(names --filter status=running)" "up "
	expect_eq "$(names --filter status=exited)" "down "
	expect_eq "$(names --filter status=created)" "fresh "
	expect_eq "$(names --filter status=exited --filter status=created)" "down fresh " "one key twice: or"
	expect_eq "$(names --filter exited=3)" "down "
	expect_eq "$(names --filter exited=0)" "" "exited=0 matches no exited container here"
	expect_eq "$(names --filter name=up)" "up "
	expect_eq "$(names --filter name=^do)" "down " "name is a regex"
	expect_eq "$(names --filter id="${id:0:8}")" "up " "an id prefix"
	expect_eq "$(names --filter ancestor=other)" "down " "ancestor by name"
	expect_eq "$(names --filter ancestor="$(img_id busybox)")" "fresh up " "ancestor by id"
	expect_eq "$(names --filter status=running --filter ancestor=other)" "" "different keys: and"
	expect_eq "$(cpod ps --format '{{.Names}}' --filter status=exited)" down \
		"a status filter looks at every container, as podman's"
	capture cpod ps --filter status=bogus
	[ "$STATUS" = 125 ] || fail "ps --filter status=bogus exits $STATUS, not 125"
}

test_inspect_templates_and_state() {
	ctr_setup
	local id pid j
	id=$(cpod create --name life -e E1=one -w /tmp --stop-signal SIGUSR1 busybox sh -c \
		'while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 5')
	j=$(cpod inspect life)
	expect_eq "$(jq -r 'length' <<< "$j")" 1 "an array of one"
	expect_eq "$(jq -r '.[0] | [.Id, .Name, .State.Status, .State.Running, .State.Pid, .State.ExitCode] | @tsv' \
		<<< "$j")" "$(printf '%s\tlife\tcreated\tfalse\t0\t0' "$id")" "created"
	expect_match "$(ctr_get life '{{range .Config.Env}}{{.}} {{end}}')" '(^| )E1=one ' "range over Env"
	expect_eq "$(ctr_get life '{{.Config.WorkingDir}}')" /tmp
	expect_match "$(ctr_get life '{{.Config.StopSignal}}')" '^(10|SIGUSR1)$' "podman 4 prints a number, 5 a name"
	expect_eq "$(ctr_get life '{{json .Config.Cmd}}')" \
		'["sh","-c","while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 5"]' "json .Config.Cmd"
	expect_eq "$(ctr_get life '{{.ImageName}}')" localhost/busybox:latest
	expect_eq "$(ctr_get life '{{.Image}}')" "$(img_id busybox)"
	cpod start life > /dev/null
	pid=$(ctr_pid life)
	ctr_alive "$pid" || fail "State.Pid is not alive"
	j=$(cpod inspect life)
	expect_eq "$(jq -r '.[0].State | [.Status, .Running, .Paused, .OOMKilled, .Dead, .ExitCode] | @tsv' \
		<<< "$j")" "$(printf 'running\ttrue\tfalse\tfalse\tfalse\t0')" "running"
	expect_eq "$(jq -r '.[0].State.ConmonPid' <<< "$j")" "$(ctr_supervisor life)"
	expect_eq "$(jq -r '.[0].State.FinishedAt' <<< "$j")" "0001-01-01T00:00:00Z" "no FinishedAt while running"
	local started
	started=$(jq -r '.[0].State.StartedAt' <<< "$j")
	expect_match "$started" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' "StartedAt is RFC 3339"
	ctr_touch life /tmp/go
	local w
	w=$(cpod wait life)
	[ "$w" != 137 ] || fail "wait printed 137 for an exit 5"
	expect_eq "$w" 5 "wait"
	j=$(cpod inspect life)
	expect_eq "$(jq -r '.[0].State | [.Status, .Running, .Pid, .ExitCode, .ConmonPid] | @tsv' <<< "$j")" \
		"$(printf 'exited\tfalse\t0\t5\t0')" "exited"
	[[ "$(jq -r '.[0].State.FinishedAt' <<< "$j")" > "$started" ]] || fail "FinishedAt is not after StartedAt"
	ctr_dead "$pid" || fail "the process is still alive"
	# inspect of several, and a missing one
	cpod create --name second busybox true > /dev/null
	expect_eq "$(cpod inspect -f '{{.Name}}' life second | tr '\n' ' ')" "life second "
	ctr_expect 125 cpod inspect -f '{{.Name}}' life nosuchctr
	expect_match "$ERR" nosuchctr
	ctr_expect 125 cpod inspect -f '{{.State.Status' life
	expect_eq "$(cpod inspect --type container -f '{{.Name}}' life)" life "--type container"
}

test_labels() {
	ctr_setup
	ctr_need_recorded "-l/--label" '{{.Config.Labels.probe}}' yes -l probe=yes
	img_import other > /dev/null
	cpod run -d --name up -l tier=web -l team=a busybox sh -c 'exec sleep 100000' > /dev/null
	cpod create --name down -l tier=db -l 'spaced=a b' other true > /dev/null
	cpod create --name plain busybox true > /dev/null
	expect_eq "$(ctr_get up '{{.Config.Labels.tier}} {{index .Config.Labels "team"}}')" "web a" "inspect"
	expect_eq "$(ctr_get down '{{index .Config.Labels "spaced"}}')" "a b"
	expect_eq "$(cpod ps --format '{{.Labels.tier}} {{index .Labels "team"}}')" "web a" "ps templates"
	expect_eq "$(cpod ps -a --format json | jq -r '.[] | select(.Names[0] == "down") | .Labels.tier')" db
	names() { cpod ps -a --format '{{.Names}}' "$@" | sort | tr '\n' ' '; }
	expect_eq "$(names --filter label=tier)" "down up " "label KEY"
	expect_eq "$(names --filter label=tier=db)" "down " "label KEY=VALUE"
	expect_eq "$(names --filter label=tier=web --filter label=team=a)" "up " "two labels: and"
	expect_eq "$(names --filter label=tier=web --filter label=team=b)" "" "two labels, one not matching"
	expect_eq "$(names --filter status=running --filter label=tier=db)" "" "different keys: and"
}

test_top() {
	ctr_setup
	cpod run -d --name t busybox sh -c 'sleep 100000 & exec sleep 200000' > /dev/null
	wait_for 20 sh -c "[ \$($(printf '%q' "$CPOD") top t | wc -l) -ge 3 ]" || fail "top does not show two processes"
	local out
	out=$(cpod top t)
	expect_match "$(head -n 1 <<< "$out")" '^USER +PID +PPID +%CPU +ELAPSED +TTY +TIME +COMMAND$' "the default header"
	expect_match "$out" '^root +[0-9]+ .*sleep 200000$'
	expect_match "$out" '^root +[0-9]+ .*sleep 100000$'
	expect_eq "$(tail -n +2 <<< "$out" | wc -l)" 2 "the container's processes, no others"
	# the PIDs are host PIDs of the container's processes
	local pid
	pid=$(awk '/sleep 200000$/ { print $2 }' <<< "$out")
	expect_eq "$pid" "$(ctr_pid t)" "the init's PID"
	out=$(cpod top t pid comm args)
	expect_match "$(head -n 1 <<< "$out")" '^PID +COMMAND +COMMAND$' "descriptors as podman's headers"
	expect_match "$out" "^$pid +sleep +sleep 200000$"
	# a user from the container's /etc/passwd
	cpod exec -d -u 1234 t sleep 300000
	wait_for 20 sh -c "$(printf '%q' "$CPOD") top t user args | grep -q 'sleep 300000'"
	expect_match "$(cpod top t user args)" '^1234 +sleep 300000$' "a uid without a name"
	ctr_expect 125 cpod top t bogusdescriptor
	cpod stop -t 0 t > /dev/null
	ctr_expect 125 cpod top t
}

test_stats() {
	ctr_setup
	cpod run -d --name s busybox sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i + 1)); done; touch /tmp/busy
		dd if=/dev/zero of=/tmp/blob bs=1M count=8 2> /dev/null; sleep 1 & exec sleep 100000' > /dev/null
	wait_for 60 test -e "/proc/$(ctr_pid s)/root/tmp/blob" || fail "the workload did not run"
	local j
	j=$(cpod stats --no-stream --format json s)
	log "stats: $j"
	expect_eq "$(jq -r 'length' <<< "$j")" 1
	expect_eq "$(jq -r '.[0] | keys | join(" ")' <<< "$j")" \
		"avg_cpu block_io cpu_percent cpu_time id mem_percent mem_usage name net_io pids" "the fields"
	expect_eq "$(jq -r '.[0].id' <<< "$j")" "$(ctr_id s | cut -c1-12)"
	expect_eq "$(jq -r '.[0].name' <<< "$j")" s
	expect_match "$(jq -r '.[0].cpu_percent' <<< "$j")" '^[0-9]+\.[0-9]{2}%$'
	expect_match "$(jq -r '.[0].mem_percent' <<< "$j")" '^[0-9]+\.[0-9]{2}%$'
	expect_match "$(jq -r '.[0].mem_usage' <<< "$j")" '^[0-9.]+[kMG]?B / [0-9.]+[kMGT]?B$'
	expect_match "$(jq -r '.[0].net_io' <<< "$j")" '^[0-9.]+[kMG]?B / [0-9.]+[kMG]?B$'
	expect_match "$(jq -r '.[0].block_io' <<< "$j")" '^[0-9.]+[kMG]?B / [0-9.]+[kMG]?B$'
	local pids cpu mem
	pids=$(jq -r '.[0].pids' <<< "$j")
	[ "$pids" -ge 1 ] && [ "$pids" -le 3 ] || fail "pids $pids: the container runs one or two processes"
	cpu=$(jq -r '.[0].cpu_time' <<< "$j")
	cpu=${cpu%s}
	awk -v c="$cpu" 'BEGIN { exit !(c > 0 && c < 3600) }' || fail "cpu_time $cpu s is not sane"
	# memory: the page cache of an 8 MiB file counts; well under the host's RAM
	mem=$(jq -r '.[0].mem_usage' <<< "$j")
	expect_no_match "${mem%% /*}" '^0B$' "some memory is in use"
	# the default table, and templates from the library's fields
	expect_match "$(cpod stats --no-stream s | head -n 1)" '^ID +NAME +CPU % +MEM USAGE / LIMIT +MEM %'
	expect_match "$(cpod stats --no-stream s | tail -n 1)" '^[0-9a-f]{12} +s '
	expect_match "$(cpod stats --no-stream --format '{{.Name}} {{.PIDs}}' s)" '^s [0-9]+$'
	# all running containers when none is named; a stopped one is an error
	cpod run -d --name s2 busybox sleep 100000 > /dev/null
	expect_eq "$(cpod stats --no-stream --format json | jq -r '[.[].name] | sort | join(" ")')" "s s2"
	cpod stop -t 0 s2 > /dev/null
	ctr_expect 125 cpod stats --no-stream s2
}

test_diff() {
	ctr_setup
	cpod run -d --name d busybox sh -c 'mkdir -p /newdir && echo x > /newdir/a; rm /bin/vi
		echo extra >> /etc/passwd; touch /tmp/ready; exec sleep 100000' > /dev/null
	wait_for 20 test -e "/proc/$(ctr_pid d)/root/tmp/ready" || fail "not ready"
	local out
	out=$(cpod diff d)
	expect_match "$out" '^A /newdir$'
	expect_match "$out" '^A /newdir/a$'
	expect_match "$out" '^D /bin/vi$'
	expect_match "$out" '^C /etc/passwd$'
	expect_match "$out" '^C /etc$'
	expect_match "$out" '^A /tmp/ready$'
	expect_no_match "$out" '^[ACD] /etc/(hostname|hosts|resolv.conf)$' "the generated /etc files are not changes"
	expect_no_match "$out" '^[ACD] /(proc|sys|dev)(/|$)' "nothing of the mounted file systems"
	expect_no_match "$out" '^. /bin/sh$' "unchanged files are not listed"
	expect_eq "$(grep -vcE '^[ACD] /' <<< "$out")" 0 "every line is KIND PATH"
	local j
	j=$(cpod diff --format json d)
	expect_eq "$(jq -r '.added | index("/newdir/a") != null' <<< "$j")" true
	expect_eq "$(jq -r '.deleted | join(" ")' <<< "$j")" /bin/vi
	expect_eq "$(jq -r '.changed | index("/etc/passwd") != null' <<< "$j")" true
	# also of a stopped container, and the same
	cpod stop -t 0 d > /dev/null
	expect_eq "$(cpod diff d)" "$out" "diff of the stopped container"
	cpod create --name clean busybox true > /dev/null
	expect_eq "$(cpod diff clean)" "" "a new container changed nothing"
}

test_commit() {
	ctr_setup
	cpod run -d --name c -l old=1 busybox sh -c 'mkdir -p /app && echo payload > /app/data; rm /bin/vi
		touch /tmp/ready; exec sleep 100000' > /dev/null
	wait_for 20 test -e "/proc/$(ctr_pid c)/root/tmp/ready" || fail "not ready"
	local id
	id=$(cpod commit --change 'ENV GREETING=hello' --change 'WORKDIR /app' --change 'LABEL made=by-commit' \
		--change 'CMD ["cat", "data"]' --change 'EXPOSE 8080' c committed:1 | tail -n 1)
	expect_match "$id" '^[0-9a-f]{64}$' "commit prints the new image's id"
	expect_eq "$(img_id committed:1 | sed 's/^sha256://')" "$id" "the image is there"
	expect_eq "$(ctr_status c)" running "the container runs on"
	# the new image runs, with the changes
	expect_eq "$(cpod run --rm committed:1)" payload "CMD and WORKDIR from --change, the file from the layer"
	expect_eq "$(cpod run --rm committed:1 sh -c 'echo $GREETING; pwd; test -e /bin/vi || echo no-vi')" \
		"$(printf 'hello\n/app\nno-vi')" "ENV, WORKDIR, the deletion"
	local cfg
	cfg=$(cpod image inspect committed:1)
	expect_eq "$(jq -r '.[0].Config.Labels.made' <<< "$cfg")" by-commit "LABEL"
	expect_match "$(jq -r '.[0].Config.ExposedPorts | keys[]' <<< "$cfg")" '^8080/tcp$' "EXPOSE"
	expect_eq "$(jq -r '.[0].RootFS.Layers | length' <<< "$cfg")" 2 "one layer more than busybox"
	# everything of the upper directory is committed, /tmp too (as podman)
	expect_eq "$(cpod run --rm committed:1 ls /tmp/ready)" /tmp/ready
	# the generated /etc files are not committed
	expect_ne "$(cpod run --rm committed:1 cat /etc/hostname)" "$(ctr_get c '{{.Config.Hostname}}')" \
		"the container's generated hostname is not in the image"
	# a stopped container commits too; a bad change is refused
	cpod stop -t 0 c > /dev/null
	cpod commit -q c committed:2 > /dev/null
	expect_eq "$(cpod run --rm committed:2 cat /app/data)" payload
	ctr_expect 125 cpod commit --change 'BOGUS x' c committed:3
	ctr_expect 125 cpod commit nosuchctr committed:4
	expect_eq "$(cpod images --format '{{.Repository}}:{{.Tag}}' | grep -c committed)" 2 "nothing made by the refusals"
}
