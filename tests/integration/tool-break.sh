# SPDX-License-Identifier: MIT
# cowlink break: one name, -r for a tree (symlinks below it not followed),
# -v, and bad input.
. "$(dirname "$0")/lib.sh"
need setfattr
[ -x "${COWLINK_TOOL:-}" ] || fail "COWLINK_TOOL is not set"
C=$COWLINK_TOOL
mkset() { ln "$1" "$2"; setfattr -n user.cowlink -v 'cowlink v1 w=0222' "$1"; chmod a-w "$1"; }

echo one >a && chmod 0644 a && mkset a b && ln a c
"$C" break b
same_inode a b && fail "b still shares a's inode after break"
same_inode a c || fail "break b changed c"
[ "$(cat b)" = one ] || fail "b lost its content"
[ "$(stat -c %a b)" = 666 ] || fail "b has mode $(stat -c %a b), want the recorded 0666"
getfattr -n user.cowlink b >/dev/null 2>&1 && fail "b kept the mark"
"$C" break a
# c is the last name: an orphan, unshared in place
[ "$(stat -c %a c)" = 666 ] || fail "the last name was not unshared (mode $(stat -c %a c))"
"$C" break plainless 2>/dev/null && fail "break of a missing path succeeded"

# -r: every regular file of a tree; not through a symlink to a directory.
mkdir -p t/sub outside
echo x >t/f && mkset t/f t/sub/g
echo y >outside/o && mkset outside/o outside/p
ln -s ../outside t/sub/link
out=$("$C" break -r -v t)
same_inode t/f t/sub/g && fail "break -r left t/f shared"
same_inode outside/o outside/p || fail "break -r followed a symlink out of the tree"
grep -q "^broke t/f$" <<<"$out" || fail "break -v did not name t/f: $out"

# Bad input
rc=0; "$C" break t 2>err || rc=$?
[ "$rc" = 1 ] && grep -q "is a directory (use -r)" err || fail "break of a directory without -r: exit $rc, $(cat err)"
rc=0; "$C" break missing 2>err || rc=$?
[ "$rc" = 1 ] && grep -q "No such file" err || fail "break of a missing path: exit $rc"
rc=0; "$C" break 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "break without a path: exit $rc, want 2"
mkfifo fifo
rc=0; "$C" break fifo 2>err || rc=$?
[ "$rc" = 1 ] && grep -q "not a regular file" err || fail "break of a FIFO: exit $rc"
exit 0
