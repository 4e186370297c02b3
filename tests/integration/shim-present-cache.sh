# SPDX-License-Identifier: MIT
# The present cache (lib/core/presentcache.c, the shared mark cache):
# presenting a set that cowln made, or that another process already looked at,
# reads no mark; a mark removed or a name added behind the shim's back is seen
# at once; a cache that lies changes what stat shows but never what a write
# does; a cache file that is not private to the user is not used, nor changed.
. "$(dirname "$0")/lib.sh"
need strace setfattr
[ -n "${LIBCOWLINK:-}" ] && [ -x "${COWLN:-}" ] || fail "needs cowln and libcowlink.so"
tell="$COWLINK_PROGS/presentcache_tell"
[ -x "$tell" ] || fail "presentcache_tell was not built"
export COWLINK_CACHE=$T/marks

# reads CMD...: run CMD under the shim and strace; print how many times it
# read a mark (lgetxattr & co. name it; getxattrat shows as a number).
reads() {
	strace -f -qq -o "$T/trace" -E LD_PRELOAD="$PRELOAD" "$@" >/dev/null 2>&1 ||
		fail "$* failed under strace"
	grep -cE 'user\.cowlink|getxattrat|syscall_0x1d0' "$T/trace" || true
}
# shown NAME: links and mode as presented; %Z makes stat ask statx for the
# ctime, the cache's key. (Asked for no time, statx leaves ctime out: then
# there is no key and the mark is read.)
shown() { under_shim stat -c '%h %a %Z' "$1" | cut -d' ' -f1,2; }

printf 'hello\n' >a
chmod 0644 a
"$COWLN" a b
[ -f marks ] || fail "cowln did not fill the cache"
[ "$(stat -c %a marks)" = 600 ] || fail "the cache is not private: $(stat -c %a marks)"
[ "$(shown b)" = "1 644" ] || fail "b presented as $(shown b)"
[ "$(reads stat b)" = 0 ] || fail "presenting a set cowln just made read its mark"
# Control: without the cache the same answer costs a read.
[ "$(COWLINK_CACHE=off shown b)" = "1 644" ] || fail "b without the cache: $(COWLINK_CACHE=off shown b)"
[ "$(COWLINK_CACHE=off reads stat b)" -ge 1 ] || fail "no mark read without the cache: the check proves nothing"

# A set made without the cache: the first process reads, the next does not.
printf 'hello\n' >c
chmod 0644 c
COWLINK_CACHE=off "$COWLN" c d
[ "$(reads stat d)" -ge 1 ] || fail "the first look at d read no mark"
[ "$(reads stat d)" = 0 ] || fail "the second process read d's mark again"
[ "$(shown d)" = "1 644" ] || fail "d presented as $(shown d)"

# The mark removed without the shim (nlink stays 2, ctime moves): seen.
setfattr -x user.cowlink a
[ "$(shown b)" = "2 444" ] || fail "b after its mark was removed: $(shown b)"

# Plain hard links: remembered as unmarked, until a name is added by cowln.
printf 'plain\n' >e
ln e f
[ "$(reads stat e)" -ge 1 ] || fail "the first look at e read no mark"
[ "$(reads stat f)" = 0 ] || fail "the unmarked answer was not remembered"
[ "$(shown e)" = "2 644" ] || fail "plain hard link e: $(shown e)"
"$COWLN" --adopt e g
[ "$(shown f)" = "1 644" ] || fail "f after cowln --adopt: $(shown f)"

# A lie told to the cache: stat believes it, writes do not.
printf 'hello\n' >h
"$COWLN" h i
"$COWLN" h i2 # a third name: h stays shared (and protected) after i breaks
"$tell" "$COWLINK_CACHE" i unmarked
[ "$(shown i)" = "3 444" ] || fail "the cache is not what presentation reads: $(shown i)"
[ "$(under_shim stat -c '%h %a' i)" = "1 644" ] || fail "statx without a ctime used the cache"
before=$(snapshot h)
under_shim sh -c 'echo more >>i' || fail "appending to i failed"
expect_unchanged h "$before"
same_inode h i && fail "i was written in place on a lie"
[ "$(cat i)" = "$(printf 'hello\nmore')" ] || fail "i: $(cat i)"
printf 'plain\n' >j
ln j k
"$tell" "$COWLINK_CACHE" j marked 0222
[ "$(shown k)" = "1 666" ] || fail "k: $(shown k)"
under_shim sh -c 'echo y >>j' || fail "appending to j failed"
same_inode j k || fail "plain hard links were separated on a lie"
[ "$(cat k)" = "$(printf 'plain\ny')" ] || fail "k: $(cat k)"

# A cache others may read is neither used nor changed.
chmod 0644 marks
sum=$(cksum <marks)
printf 'hello\n' >m
COWLINK_CACHE=off "$COWLN" m n
[ "$(reads stat n)" -ge 1 ] || fail "a cache others may read was used"
[ "$(reads stat n)" -ge 1 ] || fail "a cache others may read was used"
[ "$(shown n)" = "1 644" ] || fail "n: $(shown n)"
[ "$(cksum <marks)" = "$sum" ] || fail "a cache others may read was written"
exit 0
