#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# On a filesystem that clones (xfs with reflink=1): FICLONE onto a cowlink
# (through an fd inherited from a shell without the shim, or one the shim
# opened) never changes the shared inode; cp --reflink=always over one name
# gives that name the clone and leaves the others.
. "$(dirname "$0")/lib.sh"
need_shim
need mkfs.xfs cp
mnt=$(loopfs xfs 320 -m reflink=1)
cd "$mnt"
head -c 8192 /dev/urandom >src   # block-aligned: FICLONE of an unaligned tail is EINVAL
seed_file a
cow_link a b c
[ "$(stat -c %i a)" = "$(stat -c %i b)" ] || skip "cowln made a reflink here, not a cowlink"
pick raw "$(snap_fields a)" raw
out=$(exec 3<>b; under_shim "$COWLINK_PROGS/api_ioctl_ficlone" src 3) || true
pick now "$(snap_fields a)" raw
[ "$now" = "$raw" ] || fail "FICLONE onto an inherited fd of a cowlink changed the shared inode ($out)"
[ "$(stat -c %i a)" = "$(stat -c %i c)" ] || fail "FICLONE split a and c"
case $out in
ok) cmp -s b src || fail "FICLONE said ok but b is not the clone";;
ETXTBSY) [ "$(stat -c %i a)" = "$(stat -c %i b)" ] || fail "FICLONE refused but broke b";;
*) fail "FICLONE onto an inherited fd of a cowlink: [$out]";;
esac
note "ok: FICLONE on an inherited fd ($out)"
# Through an fd the shim opened: a private file, the clone lands there.
pick now "$(snap_fields a)" logical
out=$(LD_PRELOAD="$PRELOAD" bash -c 'exec 3<>c; "$P/api_ioctl_ficlone" src 3') || true
[ "$out" = ok ] || fail "FICLONE onto a broken name: [$out]"
cmp -s c src || fail "FICLONE onto c did not clone"
pick now2 "$(snap_fields a)" logical
[ "$now2" = "$now" ] || fail "FICLONE through c changed a"
note "ok: FICLONE on a private file"

# cp --reflink=always over a cowlink: the name gets the clone, a keeps its
# bytes.
seed_file x
cow_link x y z
pick before "$(snap_fields x)" raw
under_shim cp --reflink=always src y || fail "cp --reflink=always over a cowlink failed"
cmp -s y src || fail "cp --reflink=always: y is not src"
pick after "$(snap_fields x)" raw
[ "$after" = "$before" ] || fail "cp --reflink=always over y changed x"
note "ok: cp --reflink=always"
