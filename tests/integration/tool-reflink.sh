# SPDX-License-Identifier: MIT
# cowlink du on a filesystem that shares extents (XFS with reflink, btrfs):
# a reflinked copy (cp --reflink=always, or cowln, which reflinks there) is
# an inode of its own whose extents are shared; the bytes of an extent met
# a second time in the walk are saved, not used. An extent shared only with
# a file outside the walk counts as used (the extent map does not say who
# holds it).
# cases: xfs btrfs
. "$(dirname "$0")/lib.sh"
[ -x "${COWLINK_TOOL:-}" ] || fail "COWLINK_TOOL is not set"
C=$COWLINK_TOOL
need filefrag
case $CASE in
xfs) mnt=$(loopfs xfs 320 -m reflink=1) ;;
btrfs) mnt=$(loopfs btrfs 128) ;;
*) fail "unknown case '$CASE'" ;;
esac
cd "$mnt"
du_() { "$C" du "$@" | tail -n +2; }
# shared NAME: filefrag says every extent of NAME is shared.
shared() { ! filefrag -v "$1" | sed -n '/^ *[0-9]*:/p' | grep -qv shared; }

mkdir r
head -c 1048576 /dev/urandom >r/a
cp --reflink=always r/a r/b || skip "cp --reflink=always fails on this $CASE"
shared r/b || fail "r/b does not share its extents: $(filefrag -v r/b)"
blocks=$(( $(stat -c %b r/a) * 512 ))
dblocks=$(( $(stat -c %b r) * 512 ))
read -r app used saved _ < <(du_ -s -b r)
[ "$app" = $(( 2 * 1048576 + $(stat -c %s r) )) ] || fail "du: apparent $app"
[ "$saved" = "$blocks" ] || fail "du: a reflink copy saved $saved, want $blocks"
[ "$used" = $(( blocks + dblocks )) ] || fail "du: used $used, want $(( blocks + dblocks ))"
# Alone, the copy shares with a file outside the walk: used, not saved.
read -r _ used _ _ < <(du_ -s -b r/b)
[ "$used" = "$blocks" ] || fail "du r/b alone: used $used, want $blocks"
# cowln reflinks here by default: the same.
"$COWLN" r/a r/c
[ "$(stat -c %i r/a)" != "$(stat -c %i r/c)" ] || fail "cowln made a cowlink, not a reflink, on $CASE"
read -r _ _ saved _ < <(du_ -s -b r)
[ "$saved" = $(( 2 * blocks )) ] || fail "du after cowln: saved $saved, want $(( 2 * blocks ))"
exit 0
