# The modules the runtime and the tests need are loaded, and overlayfs works.
. /tests/lib.sh
for m in overlay tun veth brd loop; do
	[ -d /sys/module/$m ] || fail "module $m not loaded"
done
[ -b /dev/ram0 ] || fail "no /dev/ram0 (brd)"
[ "$(cat /sys/block/ram0/size)" = 131072 ] ||
	fail "/dev/ram0 has $(cat /sys/block/ram0/size) sectors, expected 64 MiB"
[ -c /dev/net/tun ] || fail "no /dev/net/tun"
[ -c /dev/loop-control ] || fail "no /dev/loop-control"
grep -qw overlay /proc/filesystems || fail "overlay not in /proc/filesystems"
mkdir -p /tmp/work/l /tmp/work/u /tmp/work/w /tmp/work/m && echo low > /tmp/work/l/f
mount -t overlay overlay -o lowerdir=/tmp/work/l,upperdir=/tmp/work/u,workdir=/tmp/work/w \
	/tmp/work/m || fail "cannot mount overlay"
echo up > /tmp/work/m/f
got=$(cat /tmp/work/u/f)
umount /tmp/work/m
[ "$got" = up ] || fail "overlay copy-up did not reach the upper dir"
exit 0
