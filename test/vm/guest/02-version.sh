# The binary under test runs in the guest (it is static: there is no libc).
. /tests/lib.sh
v=$(cpod-mini version 2>&1) || fail "cpod-mini version: exit $?: $v"
info "$v"
case $v in
"cpod-mini version "*) ;;
*) fail "unexpected version output: $v" ;;
esac
[ "$(readlink /bin/cpod-runc)" = cpod-mini ] || fail "/bin/cpod-runc is not a link to cpod-mini"
exit 0
