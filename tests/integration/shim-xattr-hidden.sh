#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The mark is hidden under the shim (docs/DESIGN.md §4): getxattr of it is
# ENODATA, the list family omits it -- the size query returns the filtered size
# and a buffer of exactly that size works -- and setting or removing it fails
# with EPERM. Setting another xattr through one name (path, l- and f- forms,
# the f- form on a read-only fd) breaks that name and leaves the others.
. "$(dirname "$0")/lib.sh"
need_shim
need python3 setfattr getfattr

seed_file a
cow_link a b
cow_link a c
before=$(snapshot a)

out=$(under_shim getfattr -d -m - --absolute-names b 2>&1)
case $out in *cowlink*) fail "getfattr -d shows the mark: $out";; esac
case $out in *user.test*) ;; *) fail "getfattr -d lost user.test: $out";; esac
under_shim setfattr -n user.cowlink -v 'cowlink v1 w=0000' b 2>"$T/err" && fail "setting the mark succeeded"
grep -q 'not permitted' "$T/err" || fail "setting the mark: $(cat "$T/err"), want EPERM"
under_shim setfattr -x user.cowlink b 2>"$T/err" && fail "removing the mark succeeded"
grep -q 'not permitted' "$T/err" || fail "removing the mark: $(cat "$T/err"), want EPERM"
expect_unchanged a "$before"
same_inode a b || fail "a refused mark change broke b"

under_shim python3 - <<'PY' || fail "xattr calls (see above)"
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.listxattr.restype = libc.llistxattr.restype = libc.flistxattr.restype = ctypes.c_ssize_t
libc.getxattr.restype = libc.fgetxattr.restype = ctypes.c_ssize_t
bad = []
full = b"user.test\0"            # what the list must be without the mark
fd = os.open("b", os.O_RDONLY)
lists = (("listxattr", lambda buf, n: libc.listxattr(b"b", buf, ctypes.c_size_t(n))),
         ("llistxattr", lambda buf, n: libc.llistxattr(b"b", buf, ctypes.c_size_t(n))),
         ("flistxattr", lambda buf, n: libc.flistxattr(fd, buf, ctypes.c_size_t(n))))
for name, call in lists:
    n = call(None, 0)
    if n != len(full):
        bad.append("%s size query: %d, want %d" % (name, n, len(full)))
    buf = ctypes.create_string_buffer(len(full))     # exactly the size
    n = call(buf, len(full))
    if n != len(full) or buf.raw[:n] != full:
        bad.append("%s into an exact buffer: %d %r (errno %d)" % (name, n, buf.raw, ctypes.get_errno()))
    buf = ctypes.create_string_buffer(len(full) - 1)  # one short: ERANGE
    ctypes.set_errno(0)
    n = call(buf, len(full) - 1)
    if n != -1 or ctypes.get_errno() != errno.ERANGE:
        bad.append("%s one byte short: %d errno %d, want ERANGE" % (name, n, ctypes.get_errno()))
    buf = ctypes.create_string_buffer(4096)
    ctypes.set_errno(77)
    n = call(buf, 4096)
    if buf.raw[:n] != full or ctypes.get_errno() != 77:
        bad.append("%s big buffer: %r errno %d" % (name, buf.raw[:n], ctypes.get_errno()))
for name, call in (("getxattr", lambda: libc.getxattr(b"b", b"user.cowlink", None, ctypes.c_size_t(0))),
                   ("fgetxattr", lambda: libc.fgetxattr(fd, b"user.cowlink", None, ctypes.c_size_t(0)))):
    if call() != -1 or ctypes.get_errno() != errno.ENODATA:
        bad.append("%s of the mark: errno %d, want ENODATA" % (name, ctypes.get_errno()))
if libc.getxattr(b"nope", b"user.cowlink", None, ctypes.c_size_t(0)) != -1 or ctypes.get_errno() != errno.ENOENT:
    bad.append("getxattr of the mark on a missing file: errno %d, want ENOENT" % ctypes.get_errno())
if os.getxattr("b", "user.test") != b"seeded":
    bad.append("getxattr user.test")
# A file with only the mark lists nothing.
if os.listxattr("c") != ["user.test"]:
    bad.append("os.listxattr(c) = %r" % os.listxattr("c"))
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
PY
expect_unchanged a "$before"
same_inode a b && same_inode a c || fail "reading xattrs broke a name"

# An access ACL is presented with the recorded write bits, as the mode is.
if command -v setfacl >/dev/null && command -v getfacl >/dev/null; then
	mkdir acl
	printf 'x\n' >acl/a; chmod 0664 acl/a
	if setfacl -m u:65534:rw acl/a 2>/dev/null; then
		cow_link acl/a acl/b
		raw=$(getfacl -cp acl/b | grep -E '^(user|mask)::' | tr '\n' ' ')
		got=$(under_shim getfacl -cp acl/b | grep -E '^(user|mask)::' | tr '\n' ' ')
		[ "$raw" = "user::r-- mask::r-- " ] || fail "setup: protection left the ACL as [$raw]"
		[ "$got" = "user::rw- mask::rw- " ] || fail "ACL under the shim: [$got], want [user::rw- mask::rw- ]"
	else
		note "no ACLs here: ACL presentation not checked"
	fi
fi

# Changes: each form breaks the name it goes through and nothing else.
xattr_writer() { # NAME PYTHON-STATEMENT (on name "b", fd "fd" read-only)
	local d="$T/$1"
	mkdir "$d"
	seed_file "$d/a"
	cow_link "$d/a" "$d/b"
	cow_link "$d/a" "$d/c"
	local snap
	snap=$(snapshot "$d/a")
	(cd "$d" && under_shim python3 -c "import os; fd = os.open('b', os.O_RDONLY); $2") \
		|| fail "$1: failed under the shim"
	expect_unchanged "$d/a" "$snap"
	same_inode "$d/a" "$d/c" || fail "$1: a and c no longer share"
	! same_inode "$d/a" "$d/b" || fail "$1: b was not broken"
	! is_marked "$d/b" || fail "$1: b still carries the mark"
	echo "$d/b"
}
b=$(xattr_writer set "os.setxattr('b', 'user.new', b'v')")
[ "$(getfattr --absolute-names --only-values -n user.new "$b")" = v ] || fail "setxattr: user.new not on b"
b=$(xattr_writer lset "os.setxattr('b', 'user.new', b'v', follow_symlinks=False)")
[ "$(getfattr --absolute-names --only-values -n user.new "$b")" = v ] || fail "lsetxattr: user.new not on b"
b=$(xattr_writer fset-rdonly "os.setxattr(fd, 'user.new', b'v')")
[ "$(getfattr --absolute-names --only-values -n user.new "$b")" = v ] || fail "fsetxattr: user.new not on b"
b=$(xattr_writer remove "os.removexattr('b', 'user.test')")
getfattr --absolute-names -n user.test "$b" >/dev/null 2>&1 && fail "removexattr: user.test still on b"
b=$(xattr_writer fremove-rdonly "os.removexattr(fd, 'user.test')")
getfattr --absolute-names -n user.test "$b" >/dev/null 2>&1 && fail "fremovexattr: user.test still on b"
note "ok"
