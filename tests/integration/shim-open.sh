#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every write-open entry point of the shim, one program each calling that
# symbol: open open64 openat openat64 __open_2 __open64_2 __openat_2
# __openat64_2 creat creat64 fopen fopen64 freopen freopen64, the handle
# open, the fortified builds, O_RDONLY|O_TRUNC, O_CREAT|O_EXCL, symlinks
# and magic links.
# modes: preload run run-noshim
# ctest: LABELS quick
. "$(dirname "$0")/lib.sh"
need_shim

# Every flavour on the base symbols; the 64 and fortified twins share
# their body: fewer flavours each.
writer api-open-append '"$P/api_open" b wa'
writer api-open-trunc '"$P/api_open" b wt'
writer api-open-rdwr '"$P/api_open" b +'
writer api-openat-append '"$P/api_openat" . b wa'
writer api-openat-trunc '"$P/api_openat" . b wt'
for api in open64 open_2 open64_2; do
	writer api-$api-append "\"\$P/api_$api\" b wa"
	writer api-$api-trunc "\"\$P/api_$api\" b wt"
done
for api in openat64 openat_2 openat64_2; do
	writer api-$api-rdwr "\"\$P/api_$api\" . b +"
done
writer api-creat '"$P/api_creat" b'
writer api-creat64 '"$P/api_creat64" b'
writer api-open-rdonly-trunc '"$P/api_open" b rt'
writer api-open-creat '"$P/api_open" b wac'
for api in fopen freopen; do
	writer api-$api-r+ "\"\$P/api_$api\" b r+"
	writer api-$api-a "\"\$P/api_$api\" b a"
	writer api-$api-w "\"\$P/api_$api\" b w"
	writer api-$api-a+ "\"\$P/api_$api\" b a+"
done
writer api-fopen64-r+ '"$P/api_fopen64" b r+'
writer api-freopen64-w '"$P/api_freopen64" b w'

# The fortified builds really call the fortified symbols.
for f in fort_open:__open_2:__openat_2 fort_open64:__open64_2:__openat64_2; do
	IFS=: read -r prog s1 s2 <<<"$f"
	syms=$(nm -D "$COWLINK_PROGS/$prog" 2>/dev/null || true)
	grep -qw "$s1" <<<"$syms" && grep -qw "$s2" <<<"$syms" || fail "$prog does not import $s1 and $s2"
	writer "$prog-append" "\"\$P/$prog\" . b wa"
done

# Read-only opens leave the set alone.
reader api-open-rdonly '"$P/api_open" b r'
reader api-fopen-r '"$P/api_fopen" b r'
reader api-openat-rdonly '"$P/api_openat" . b r'

# O_CREAT|O_EXCL on an existing name: EEXIST, nothing broken.
refused api-open-excl EEXIST '"$P/api_open" b wcx'
refused api-openat-excl EEXIST '"$P/api_openat" . b wcx'
refused api-fopen-wx EEXIST '"$P/api_fopen" b wx'

# A final symlink is followed: its target is what gets broken.
writer symlink-follow 'ln -s b l && "$P/api_open" l wa'
writer symlink-fopen 'ln -s b l && "$P/api_fopen" l a'
refused symlink-nofollow ELOOP 'ln -s b l && "$P/api_open" l wan'
# Magic links: /proc/self/fd/N and /dev/fd/N of a read-only fd on b (the
# supervisor alone breaks the fd's name and opens the copy itself).
writer magic-proc-fd '"$P/api_open" /proc/self/fd/3 wa 3<b'
writer magic-dev-fd '"$P/api_open" /dev/fd/3 wa 3<b'
writer magic-dev-fd-trunc '"$P/api_open" /dev/fd/3 wt 3<b'

# A magic link whose name is gone (the fd's name was removed) cannot be
# trusted: the kernel would open the shared inode itself. It must fail
# with ETXTBSY, from the shim and from the supervisor alone.
mkdir -p "$T/magic-deleted" && cd "$T/magic-deleted"
seed_file a && cow_link a b && cow_link a c
s=$(snapshot a)
out=$(exec 3<b; rm b; under_shim "$COWLINK_PROGS/api_open" /proc/self/fd/3 wa) || true
want=ETXTBSY
[ "$out" = "$want" ] || fail "open of /proc/self/fd/N whose name was removed: [$out], want $want"
expect_unchanged a "$s"
same_inode a c || fail "magic-deleted: a and c split"
note "ok: magic-deleted"

# open_by_handle_at: a handle has no name to break; the shim must either
# give a private file or refuse, never write the shared inode.
mkdir -p "$T/handle" && cd "$T/handle"
seed_file a && cow_link a b && cow_link a c
s=$(snapshot a)
out=$(under_shim "$COWLINK_PROGS/api_open_by_handle_at" b wa) || true
case $out in
ok) same_inode a c || fail "open_by_handle_at: a and c split";;
ETXTBSY) same_inode a b || fail "open_by_handle_at refused but broke b";;
nohandle) note "no file handles here";;
*) fail "open_by_handle_at for writing on a cowlink: $out";;
esac
expect_unchanged a "$s"
note "ok: open_by_handle_at ($out)"
