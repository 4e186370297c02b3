# SPDX-License-Identifier: MIT
# cowlink dedupe: copies in a tree become cowlinks of the first by path; du
# shows the space saved, contents stay, and under the shim a write to one
# deduplicated name leaves the others alone. -n changes nothing; files that
# are not copies (mtime, xattr, inode flags), plain hard links, immutable
# files and files open for writing are left alone; bad input.
. "$(dirname "$0")/lib.sh"
need setfattr getfattr
[ -x "${COWLINK_TOOL:-}" ] || fail "COWLINK_TOOL is not set"
C=$COWLINK_TOOL

# seed NAME...: the same 64 KiB, mode 0640, an old mtime, a user xattr.
head -c 65536 /dev/urandom >.seed
chmod 0640 .seed
setfattr -n user.tag -v keep .seed
touch -m -d '2001-02-03 04:05:06.5' .seed
seed() { local f; for f in "$@"; do cp --preserve=all .seed "$f"; done; }

mkdir -p t/a t/b/deep t/c
seed t/a/one t/b/two t/b/deep/three t/c/four
seed t/c/newer && touch -m -d '2002-01-01' t/c/newer       # mtime differs
seed t/c/tagged && setfattr -n user.tag -v other t/c/tagged # xattr differs
seed t/c/hard && ln t/c/hard t/c/hard2                      # plain hard links
printf 'small\n' >t/a/s1 && cp -p t/a/s1 t/b/s2            # a second group
: >t/a/e1 && : >t/b/e2                                      # empty: left alone
sum=$(sha256sum <.seed)
blocks=$(( $(stat -c %b t/a/one) * 512 ))
sblocks=$(( $(stat -c %b t/a/s1) * 512 ))
read -r _ _ saved0 _ < <("$C" du -s -b t | tail -n +2)

# -n: says what it would do, changes nothing.
out=$("$C" dedupe -n t)
grep -qx "would link 't/b/two' => 't/a/one'" <<<"$out" || fail "dedupe -n: $out"
grep -qx "4 files in 2 groups would be deduplicated, $(( 3 * blocks + sblocks )) bytes would be saved" <<<"$out" \
	|| fail "dedupe -n summary: $out"
same_inode t/a/one t/b/two && fail "dedupe -n linked"
getfattr -n user.cowlink t/a/one >/dev/null 2>&1 && fail "dedupe -n marked the master"

out=$("$C" dedupe -v t 2>err)
for n in t/b/two t/b/deep/three t/c/four; do
	grep -qx "'$n' => 't/a/one'" <<<"$out" || fail "dedupe did not report $n: $out"
	same_inode t/a/one "$n" || fail "$n does not share t/a/one's inode"
	[ "$(sha256sum <"$n")" = "$sum" ] || fail "$n lost its content"
done
grep -qx "'t/b/s2' => 't/a/s1'" <<<"$out" || fail "second group: $out"
tail -1 <<<"$out" | grep -qx "4 files in 2 groups deduplicated, $(( 3 * blocks + sblocks )) bytes saved" \
	|| fail "dedupe summary: $out"
for n in t/c/newer t/c/tagged t/c/hard t/b/e2; do
	same_inode t/a/one "$n" && fail "$n is not a copy but was linked"
done
same_inode t/c/hard t/c/hard2 || fail "the plain hard links were split"
same_inode t/a/e1 t/b/e2 && fail "empty files were linked"
grep -q "t/c/hard' has plain hard links" err || fail "dedupe -v did not say why hard links stay: $(cat err)"
getfattr -n user.cowlink t/a/one >/dev/null 2>&1 || fail "the master is not marked"
[ "$(stat -c %a t/a/one)" = 440 ] || fail "the master is not protected: $(stat -c %a t/a/one)"
[ "$(stat -c %Y t/a/one)" = "$(stat -c %Y .seed)" ] || fail "the mtime changed"
! compgen -G "t/*/.cowlink-tmp.*" >/dev/null || fail "temporary names left"

# du: the three replaced names are now space saved.
read -r _ _ saved _ < <("$C" du -s -b t | tail -n +2)
[ "$saved" = $(( saved0 + 3 * blocks + sblocks )) ] || fail "du saved $saved, want $(( saved0 + 3 * blocks + sblocks ))"

# Nothing left to do the second time.
out=$("$C" dedupe t)
[ "$out" = "0 files in 0 groups deduplicated, 0 bytes saved" ] || fail "second dedupe: $out"

# One file in one group: said in the singular.
mkdir one && printf 'single\n' >one/x && cp -p one/x one/y
out=$("$C" dedupe one)
[ "$(tail -1 <<<"$out")" = "1 file in 1 group deduplicated, $(( $(stat -c %b one/x) * 512 )) bytes saved" ] ||
	fail "dedupe of one pair: $out"
rm -rf one

# Under the shim, writing one name breaks it alone.
if [ -n "${LIBCOWLINK:-}" ] && [ -f "$LIBCOWLINK" ]; then
	under_shim bash -c 'echo more >>t/b/two'
	same_inode t/a/one t/b/two && fail "the write did not break t/b/two"
	[ "$(tail -c 5 t/b/two)" = more ] || fail "t/b/two lost the write"
	for n in t/a/one t/b/deep/three t/c/four; do
		[ "$(sha256sum <"$n")" = "$sum" ] || fail "the write to t/b/two changed $n"
	done
	[ "$(getfattr --only-values -n user.tag t/a/one)" = keep ] || fail "t/a/one lost its xattr"
else
	note "libcowlink.so is not built: the write under the shim is not checked"
fi

# A file open for writing is left alone (the read lease cannot be had).
mkdir w && seed w/a w/b
exec 9>>w/b
out=$("$C" dedupe -v w 2>err)
exec 9>&-
same_inode w/a w/b && fail "a file open for writing was linked"
grep -q "w/b' open for writing" err || fail "dedupe -v did not say w/b is open for writing: $(cat err)"
grep -qx "0 files in 0 groups deduplicated, 0 bytes saved" <<<"$out" || fail "open for writing: $out"

# --no-protect keeps the write bits.
mkdir np && seed np/a np/b
"$C" dedupe --no-protect np >/dev/null
same_inode np/a np/b || fail "--no-protect did not link"
[ "$(stat -c %a np/a)" = 640 ] || fail "--no-protect cleared the write bits: $(stat -c %a np/a)"

# Inode flags are metadata: a copy with chattr +d keeps its inode and its
# flag (merged, one of the names would lose it), and -v says why. An
# immutable copy is left alone, said as a skip, not an error.
if mkdir fl && seed fl/a fl/b fl/c fl/i && chattr +d fl/b 2>/dev/null; then
	chattr +i fl/i || fail "chattr +i"
	rc=0; out=$("$C" dedupe -v fl 2>err) || rc=$?
	chattr -i fl/i
	[ "$rc" = 0 ] || fail "dedupe with flags: exit $rc: $(cat err)"
	same_inode fl/a fl/c || fail "the copies without flags were not linked: $out"
	same_inode fl/a fl/b && fail "a copy with chattr +d was linked"
	same_inode fl/a fl/i && fail "an immutable copy was linked"
	lsattr fl/b | cut -d' ' -f1 | grep -q d || fail "fl/b lost its flag: $(lsattr fl/b)"
	lsattr fl/a | cut -d' ' -f1 | grep -q d && fail "fl/a got a flag: $(lsattr fl/a)"
	grep -q "'fl/b' has the content of 'fl/a' but other inode flags" err ||
		fail "dedupe -v did not say why fl/b stays: $(cat err)"
	grep -q "'fl/i' is immutable or append-only" err || fail "dedupe -v on fl/i: $(cat err)"
else
	note "chattr +d does not work here: inode flags are not checked"
fi

# Bad input
rc=0; "$C" dedupe missing 2>err >/dev/null || rc=$?
[ "$rc" = 1 ] && grep -q "No such file" err || fail "dedupe of a missing path: exit $rc, $(cat err)"
rc=0; "$C" dedupe 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "dedupe without a path: exit $rc, want 2"
rc=0; "$C" dedupe --bogus t 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "dedupe with a bad option: exit $rc, want 2"
"$C" dedupe --help | grep -q "Usage: cowlink dedupe" || fail "dedupe --help"
exit 0
