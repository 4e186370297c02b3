#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# rename between two names of one cowlink set (docs/DESIGN.md §1): POSIX makes
# it a no-op that returns 0; under the shim the names stand for separate files,
# so the source goes away as it would for two copies. The same directory
# entry given twice stays a no-op; plain hard links keep POSIX's no-op;
# RENAME_NOREPLACE and RENAME_EXCHANGE keep their meaning; everything else
# is a plain rename.
. "$(dirname "$0")/lib.sh"
need_shim
need python3

setup() { # DIR: a b c one cowlink set in DIR
	mkdir -p "$1"
	seed_file "$1/a"
	cow_link "$1/a" "$1/b"
	cow_link "$1/a" "$1/c"
}

setup s1
under_shim mv -f s1/b s1/c 2>/dev/null || under_shim python3 -c 'import os; os.rename("s1/b", "s1/c")' \
	|| fail "rename b c failed"
[ ! -e s1/b ] || fail "rename between two names of one set left the source"
same_inode s1/a s1/c || fail "rename b c changed c"

setup s2
under_shim python3 - <<'PY' || fail "rename forms (see above)"
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100
bad = []
def gone(p, what):
    if os.path.lexists(p): bad.append(what + ": the source is still there")
# renameat with dirfds, into another directory of the same set
os.mkdir("s2/sub")
os.link("s2/a", "s2/sub/d")
d = os.open("s2", os.O_RDONLY | os.O_DIRECTORY)
sub = os.open("s2/sub", os.O_RDONLY | os.O_DIRECTORY)
if libc.renameat(d, b"b", sub, b"d") != 0: bad.append("renameat: %s" % os.strerror(ctypes.get_errno()))
gone("s2/b", "renameat")
# the same entry twice, spelt differently: a no-op, nothing removed
if libc.rename(b"s2/c", b"s2/./c") != 0: bad.append("rename c ./c failed")
if not os.path.exists("s2/c"): bad.append("rename c ./c removed c")
if libc.renameat(d, b"c", AT_FDCWD, b"s2/sub/../c") != 0: bad.append("renameat c sub/../c failed")
if not os.path.exists("s2/c"): bad.append("renameat c sub/../c removed c")
# RENAME_NOREPLACE: the target exists, EEXIST, nothing removed
if libc.renameat2(AT_FDCWD, b"s2/c", AT_FDCWD, b"s2/a", 1) != -1 or ctypes.get_errno() != errno.EEXIST:
    bad.append("RENAME_NOREPLACE: errno %d" % ctypes.get_errno())
if not os.path.exists("s2/c"): bad.append("RENAME_NOREPLACE removed c")
# RENAME_EXCHANGE: both stay
if libc.renameat2(AT_FDCWD, b"s2/c", AT_FDCWD, b"s2/a", 2) != 0:
    bad.append("RENAME_EXCHANGE: %s" % os.strerror(ctypes.get_errno()))
if not (os.path.exists("s2/c") and os.path.exists("s2/a")): bad.append("RENAME_EXCHANGE removed a name")
# renameat2 with no flags: the rule again
if libc.renameat2(AT_FDCWD, b"s2/c", AT_FDCWD, b"s2/a", 0) != 0: bad.append("renameat2 0 failed")
gone("s2/c", "renameat2")
# plain hard links (no mark, no scope): POSIX's no-op
open("s2/h1", "w").write("x"); os.link("s2/h1", "s2/h2")
os.rename("s2/h1", "s2/h2")
if not os.path.exists("s2/h1"): bad.append("a plain hard link was removed by rename")
# an ordinary rename still renames
open("s2/p", "w").write("y"); os.rename("s2/p", "s2/q")
if os.path.exists("s2/p") or not os.path.exists("s2/q"): bad.append("ordinary rename")
if bad:
    print("\n".join(bad), file=sys.stderr); sys.exit(1)
PY
[ "$(cat s2/a)" = "$(cat s2/sub/d)" ] || fail "contents changed"

# Permission: the source's directory must be writable, as for a real rename
# (run unprivileged: root may remove anything).
need setpriv
setup s3
chmod 0755 "$T"
chmod 0555 s3
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups env LD_PRELOAD="$PRELOAD" mv -f s3/b s3/c 2>/dev/null \
		&& fail "rename from a directory the caller may not write succeeded"
	[ -e s3/b ] || fail "a refused rename removed the source"
fi
note "ok"
