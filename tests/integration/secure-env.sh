# SPDX-License-Identifier: MIT
# COWLINK_* variables are ignored in a set-user-ID or set-group-ID program
# (secure_getenv), while the shim itself still protects the other names.
# In secure-execution mode glibc preloads only set-user-ID libraries from
# the standard directories, so the test installs a copy there for its run.
. "$(dirname "$0")/lib.sh"
need_root
need setpriv
prog="$COWLINK_PROGS/append_x"
[ -x "$prog" ] || fail "append_x was not built"
[ -z "${COWLINK_ASAN_RUNTIME:-}" ] || skip "secure-execution preloading cannot bring the ASan runtime"
libdir=$(dirname "$(gcc -print-file-name=libc.so.6)")
[ -d "$libdir" ] || libdir=/lib/$(gcc -dumpmachine)
[ -d "$libdir" ] || skip "no standard library directory found"
name=libcowlink-securetest-$$.so
install -m 4755 "$LIBCOWLINK" "$libdir/$name"
trap 'rm -f "$libdir/$name"; cleanup' EXIT

grp=$(getent group adm | cut -d: -f3)
[ -n "$grp" ] || skip "no adm group to make a set-group-ID program with"
chmod 0755 "$T"
mkdir w && chown 65529:"$grp" w && chmod 0775 w
# The plain program runs with fsgid 65529 and the set-group-ID one with fsgid
# adm: each may break only a file whose group it can keep.
printf 'original\n' >w/a
chown 65529:65529 w/a
"$COWLN" w/a w/b
printf 'original\n' >w/s
chown 65529:"$grp" w/s
cp "$prog" w/sgid && chown root:"$grp" w/sgid && chmod 2755 w/sgid
cp "$prog" w/plain && chmod 0755 w/plain

run() { setpriv --reuid=65529 --regid=65529 --clear-groups env LD_PRELOAD="$name" COWLINK_DEBUG=1 "$@"; }

# The user's shared mark cache: an ordinary program makes it; a set-group-ID
# one uses none, whatever its environment says. The uid is one no other test
# uses (65529), so that no test running beside this one makes that cache.
cache=/dev/shm/cowlink-65529.marks
[ -d /dev/shm ] || cache=

# Control: an ordinary program reads COWLINK_DEBUG and says what it does.
cp w/a a.orig
[ -z "$cache" ] || rm -f "$cache"
run w/plain w/b >out 2>err || fail "plain program failed: $(cat err)"
grep -q '^shim loaded' out || fail "the shim was not preloaded into the plain program"
grep -q '^cowlink:' err || fail "COWLINK_DEBUG=1 printed nothing in an ordinary program"
cmp -s w/a a.orig || fail "w/a changed by the plain program"
[ -z "$cache" ] || [ -f "$cache" ] || fail "the ordinary program made no mark cache"
[ -z "$cache" ] || rm -f "$cache"

# The set-group-ID program: the shim is there and breaks, but stays silent.
"$COWLN" w/s w/c
run w/sgid w/c >out 2>err || fail "set-group-ID program failed: $(cat err)"
grep -q '^shim loaded' out || fail "the shim was not preloaded into the set-group-ID program"
grep -q '^cowlink:' err && fail "COWLINK_DEBUG was honoured in a set-group-ID program: $(cat err)"
cmp -s w/s a.orig || fail "w/s changed by the set-group-ID program"
[ "$(tail -1 w/c)" = x ] || fail "the write did not reach w/c"
[ -z "$cache" ] || [ ! -e "$cache" ] || fail "a set-group-ID program used the shared mark cache"

# COWLINK_EXCLUDE naming the set-group-ID program is ignored too: the shim
# still breaks the link (as the plain program named there is left alone).
printf 'original\n' >w/s2
chown 65529:"$grp" w/s2
"$COWLN" w/s2 w/c2
run COWLINK_EXCLUDE=sgid:plain w/sgid w/c2 >out 2>err || fail "set-group-ID program, COWLINK_EXCLUDE: $(cat err)"
cmp -s w/s2 a.orig || fail "COWLINK_EXCLUDE was honoured in a set-group-ID program: w/s2 changed"
[ "$(tail -1 w/c2)" = x ] || fail "the write did not reach w/c2"
run COWLINK_EXCLUDE=sgid:plain w/plain w/b >out 2>err || true
grep -q 'COWLINK_EXCLUDE names this program' err || fail "the plain program was not excluded: $(cat err)"
[ -n "$cache" ] || note "no /dev/shm: the shared mark cache was not checked"
exit 0
