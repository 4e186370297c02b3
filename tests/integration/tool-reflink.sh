# SPDX-License-Identifier: MIT
# cowlink du and dedupe on a filesystem that shares extents (XFS with
# reflink, btrfs), and on one that cannot (XFS without reflink).
# du: a reflinked copy (cp --reflink=always, or cowln, which reflinks there)
# is an inode of its own whose extents are shared; the bytes of an extent
# met a second time in the walk are saved, not used. An extent shared only
# with a file outside the walk counts as used (the extent map does not say
# who holds it).
# dedupe: copies share the first one's extents (FIDEDUPERANGE, over more
# than the 16 MiB btrfs shares per call) and stay files of their own: other
# inodes, one link each, no mark, write bits kept, mtime and content
# unchanged; a second run finds nothing to do; -v says which way the
# filesystem went; --cowlink-only makes cowlinks. Where the filesystem
# cannot share, the first attempt says so and cowlinks are made, -n too.
# cases: xfs btrfs xfs-noreflink
. "$(dirname "$0")/lib.sh"
[ -x "${COWLINK_TOOL:-}" ] || fail "COWLINK_TOOL is not set"
C=$COWLINK_TOOL
need filefrag getfattr
case $CASE in
xfs) mnt=$(loopfs xfs 320 -m reflink=1) ;;
btrfs) mnt=$(loopfs btrfs 256) ;;
xfs-noreflink) mnt=$(loopfs xfs 320 -m reflink=0) ;;
*) fail "unknown case '$CASE'" ;;
esac
cd "$mnt"
du_() { "$C" du "$@" | tail -n +2; }
# shared NAME: filefrag says every extent of NAME is shared.
shared() { ! filefrag -v "$1" | sed -n '/^ *[0-9]*:/p' | grep -qv shared; }
# copies N NAME...: NAME... full copies (no reflink) of N.
copies() { local s=$1 f; shift; for f in "$@"; do cp -p --reflink=never "$s" "$f"; done; }

if [ "$CASE" = xfs-noreflink ]; then
	mkdir n
	head -c 1048576 /dev/urandom >n/a
	copies n/a n/b n/c
	out=$("$C" dedupe -n -v n 2>err)
	grep -qx "would link 'n/b' => 'n/a'" <<<"$out" || fail "dedupe -n: $out"
	grep -q "the filesystem of 'n/a' cannot share extents" err || fail "dedupe -n -v: $(cat err)"
	out=$("$C" dedupe -v n 2>err)
	for f in n/b n/c; do
		grep -qx "'$f' => 'n/a'" <<<"$out" || fail "dedupe: $out"
		same_inode n/a "$f" || fail "$f is not a cowlink of n/a"
	done
	grep -q "the filesystem of 'n/a' cannot share extents (Operation not supported): copies there become cowlinks" err ||
		fail "dedupe -v did not say why cowlinks: $(cat err)"
	[ "$(grep -c 'cannot share' err)" = 1 ] || fail "the fallback was not decided once: $(cat err)"
	exit 0
fi

# du
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

# dedupe: 17 MiB, more than one FIDEDUPERANGE call on btrfs.
mkdir d
head -c $(( 17 << 20 )) /dev/urandom >d/a
chmod 0640 d/a
touch -m -d '2001-02-03 04:05:06' d/a
copies d/a d/b d/c
sum=$(sha256sum <d/a)
blocks=$(( $(stat -c %b d/a) * 512 ))
out=$("$C" dedupe -n d)
grep -qx "would share 'd/b' => 'd/a'" <<<"$out" || fail "dedupe -n: $out"
shared d/b && fail "dedupe -n shared extents"
out=$("$C" dedupe -v d 2>err)
grep -q "the filesystem of 'd/a' shares extents" err || fail "dedupe -v did not say it shares: $(cat err)"
tail -1 <<<"$out" | grep -qx "2 files in 1 group deduplicated (2 by shared extents), $(( 2 * blocks )) bytes saved" ||
	fail "dedupe summary: $out"
for f in d/b d/c; do
	grep -qx "'$f' => 'd/a' (shared extents)" <<<"$out" || fail "dedupe did not report $f: $out"
	shared "$f" || fail "$f does not share its extents: $(filefrag -v "$f")"
	same_inode d/a "$f" && fail "$f was made a cowlink"
	[ "$(stat -c '%h %a %Y' "$f")" = "1 640 $(stat -c %Y d/a)" ] || fail "$f: links, mode, mtime: $(stat -c '%h %a %Y' "$f")"
	getfattr -n user.cowlink "$f" >/dev/null 2>&1 && fail "$f is marked"
	[ "$(sha256sum <"$f")" = "$sum" ] || fail "$f lost its content"
done
getfattr -n user.cowlink d/a >/dev/null 2>&1 && fail "d/a is marked"
[ "$(stat -c '%h %a' d/a)" = "1 640" ] || fail "d/a: $(stat -c '%h %a' d/a)"
read -r _ _ saved _ < <(du_ -s -b d)
[ "$saved" = $(( 2 * blocks )) ] || fail "du after dedupe: saved $saved, want $(( 2 * blocks ))"
out=$("$C" dedupe d)
[ "$out" = "0 files in 0 groups deduplicated, 0 bytes saved" ] || fail "second dedupe: $out"

# --cowlink-only: the old way.
mkdir o
head -c 65536 /dev/urandom >o/a
copies o/a o/b
out=$("$C" dedupe --cowlink-only o)
grep -qx "'o/b' => 'o/a'" <<<"$out" || fail "dedupe --cowlink-only: $out"
same_inode o/a o/b || fail "--cowlink-only did not make a cowlink"
getfattr -n user.cowlink o/a >/dev/null 2>&1 || fail "--cowlink-only: not marked"
exit 0
