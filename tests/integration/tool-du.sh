# SPDX-License-Identifier: MIT
# cowlink du: apparent size, space used (each inode once), space saved.
. "$(dirname "$0")/lib.sh"
need setfattr
[ -x "${COWLINK_TOOL:-}" ] || fail "COWLINK_TOOL is not set"
C=$COWLINK_TOOL
mkset() { ln "$1" "$2"; setfattr -n user.cowlink -v 'cowlink v1 w=0222' "$1"; chmod a-w "$1"; }

mkdir -p t/sub
head -c 1048576 /dev/urandom >t/big
mkset t/big t/sub/big2
ln t/big t/sub/big3
head -c 4096 /dev/urandom >t/small
blocks=$(( $(stat -c %b t/big) * 512 ))
sblocks=$(( $(stat -c %b t/small) * 512 ))
dirs=$(( $(stat -c %s t) + $(stat -c %s t/sub) ))
dblocks=$(( ($(stat -c %b t) + $(stat -c %b t/sub)) * 512 ))

# A header line, then the numbers.
[ "$("$C" du -s -b t | head -1)" = "APPARENT	USED	SAVED	PATH" ] || fail "no header line: $("$C" du -s -b t)"
du_() { "$C" du "$@" | tail -n +2; }
read -r app used saved path < <(du_ -s -b t)
[ "$path" = t ] || fail "du -s path: $path"
[ "$app" = $(( 3 * 1048576 + 4096 + dirs )) ] || fail "apparent $app"
[ "$used" = $(( blocks + sblocks + dblocks )) ] || fail "used $used, want $(( blocks + sblocks + dblocks ))"
[ "$saved" = $(( 2 * blocks )) ] || fail "saved $saved, want $(( 2 * blocks ))"

# Without -s: a line per directory, the root last; each inode counted once
# across the arguments too.
out=$(du_ -b t)
[ "$(wc -l <<<"$out")" = 2 ] || fail "du: want 2 lines: $out"
tail -1 <<<"$out" | grep -q "	t$" || fail "du: the root is not last: $out"
# t/sub alone: both its names share the inode with t/big, outside it:
# saved, not used (removing t/sub would free nothing of it).
read -r _ used2 saved2 _ < <(du_ -s -b t/sub)
[ "$saved2" = $(( 2 * blocks )) ] || fail "t/sub alone: saved $saved2, want $(( 2 * blocks ))"
[ "$used2" = $(( $(stat -c %b t/sub) * 512 )) ] || fail "t/sub alone: used $used2"
# A copy made by cowln -r, alone: what it saves against its source.
"$COWLN" -r --reflink=never t tcopy
read -r _ used3 saved3 _ < <(du_ -s -b tcopy)
[ "$saved3" -ge $(( 3 * blocks + sblocks )) ] || fail "du -s copy: saved $saved3, want >= $(( 3 * blocks + sblocks ))"
[ "$used3" -lt "$blocks" ] || fail "du -s copy: used $used3 (the copy's data is the source's)"
rm -rf tcopy
out=$(du_ -s -b -c t t/sub)
read -r _ u _ _ < <(tail -1 <<<"$out")
[ "$u" = "$used" ] || fail "an inode counted twice across arguments: total used $u"

# Human-readable by default.
du_ -s t | grep -Eq '^3\.1M	[0-9.]+[KM]	2\.0M	t$' || fail "du -h output: $(du_ -s t)"
du_ -s -h t | grep -Eq '^3\.1M	' || fail "du -h: $(du_ -s -h t)"

# --help and the man page list the same options.
man=$(grep '^\.SS du ' "$COWLINK_SRC/tools/man/cowlink.1")
for o in s b h c; do
	"$C" du --help | grep -q -- "^ *-$o," || fail "du --help lacks -$o"
	"$C" du --help | grep -q -- "^Usage:.*\[-$o\]" || fail "du --help usage lacks -$o"
	grep -qF -- "[\\-$o]" <<<"$man" || fail "cowlink.1 lacks du -$o: $man"
done

# Bad input
rc=0; "$C" du -s missing >out 2>err || rc=$?
[ "$rc" = 1 ] && grep -q "missing: No such file" err || fail "du of a missing path: exit $rc"
[ ! -s out ] || fail "du of a missing path printed a header: $(cat out)"
# With a path that is there too: the error, then the header and its numbers.
rc=0; "$C" du -s -b missing t >out 2>err || rc=$?
[ "$rc" = 1 ] && grep -q "missing: No such file" err || fail "du missing t: exit $rc: $(cat err)"
[ "$(head -1 out)" = "APPARENT	USED	SAVED	PATH" ] && [ "$(wc -l <out)" = 2 ] && tail -1 out | grep -q "	t$" ||
	fail "du missing t: $(cat out)"
rc=0; "$C" du 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "du without a path: exit $rc"
exit 0
