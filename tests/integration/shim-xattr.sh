#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Extended attributes: set/remove on one name break it first; the mark
# user.cowlink is hidden (get: ENODATA, list: absent, sizes right) and
# cannot be set or removed through the shim (EPERM), so cp -a and rsync -X
# under the shim never copy it.
# modes: preload run run-noshim
# ctest: LABELS quick
. "$(dirname "$0")/lib.sh"
need_shim
need getfattr setfattr rsync

writer -t setxattr '"$P/api_setxattr" b user.new value'
writer -t lsetxattr '"$P/api_lsetxattr" b user.new value'
writer -t fsetxattr '"$P/api_fsetxattr" b user.new value'
writer -t setxattr-replace '"$P/api_setxattr" b user.test changed'
writer -t removexattr '"$P/api_removexattr" b user.test'
writer -t lremovexattr '"$P/api_lremovexattr" b user.test'
writer -t fremovexattr '"$P/api_fremovexattr" b user.test'
writer -t setfattr 'setfattr -n user.x -v y b'

# The mark: invisible, and refused -- by the shim (presentation, DESIGN §4):
# the supervisor alone shows it, and lets it be set and removed as on any
# file (on b's private copy, after the break).
shim_only "the mark hidden and refused" || exit 0
for api in getxattr lgetxattr fgetxattr; do
	refused mark-$api ENODATA "\"\$P/api_$api\" b user.cowlink"
done
for api in setxattr lsetxattr fsetxattr; do
	refused mark-$api EPERM "\"\$P/api_$api\" b user.cowlink 'cowlink v1 w=0000'"
done
for api in removexattr lremovexattr fremovexattr; do
	refused mark-$api EPERM "\"\$P/api_$api\" b user.cowlink"
done
refused mark-getfattr-d 'user.test="seeded"' 'getfattr -d --absolute-names b | grep "^user\."'
refused mark-setfattr 'EPERM' 'setfattr -n user.cowlink -v x b 2>/dev/null || echo EPERM'
# List calls: exactly the plain copy's list, the size query included.
for api in listxattr llistxattr flistxattr; do
	reader mark-$api "\"\$P/api_$api\" b"
done
# On a plain file, setting the mark through the shim is refused too.
mkdir -p "$T/plain" && cd "$T/plain" && : >p
out=$(under_shim "$COWLINK_PROGS/api_setxattr" p user.cowlink 'cowlink v1 w=0222') || true
[ "$out" = EPERM ] || fail "setting user.cowlink on a plain file through the shim: [$out], want EPERM"
! is_marked p || fail "the shim let a plain file be marked"

# cp -a and rsync -aX under the shim make plain, unmarked copies.
mkdir -p "$T/cpa" && cd "$T/cpa"
seed_file a && cow_link a b c
pick raw "$(snap_fields a)" raw
under_shim cp -a b d
under_shim rsync -aX b e
for f in d e; do
	! is_marked $f || fail "a copy made under the shim ($f) carries the mark"
	[ "$(stat -c '%a %h' $f)" = "640 1" ] || fail "copy $f: $(stat -c '%a %h' $f), want 640 1"
	cmp -s a $f || fail "copy $f differs"
	[ "$(getfattr --only-values -n user.test $f)" = seeded ] || fail "copy $f lost user.test"
done
expect_one_inode cpa "$T/cpa" "$raw"
note "ok: cp-a rsync-aX"
