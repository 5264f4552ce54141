# The guest itself: Debian's kernel, with cgroup2 alone at /sys/fs/cgroup.
. /tests/lib.sh
info "kernel $(uname -r) ($(uname -v)), $(nproc) cpus," \
	"$(awk '/MemTotal/ { print $2 }' /proc/meminfo) kB"
[ "$(uname -r)" = "$(cat /etc/vm-kernel)" ] ||
	fail "booted $(uname -r), but the modules are from $(cat /etc/vm-kernel)"
grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts || fail "no cgroup2 at /sys/fs/cgroup"
! grep -q ' cgroup ' /proc/mounts || fail "a cgroup v1 hierarchy is mounted"
# Pure v2: one line, "0::/path", in /proc/self/cgroup.
[ "$(wc -l < /proc/self/cgroup)" = 1 ] && grep -q '^0::/' /proc/self/cgroup ||
	fail "/proc/self/cgroup is not v2 only: $(cat /proc/self/cgroup)"
info "$(cat /proc/self/cgroup)"
exit 0
