#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Metadata changes under the shim (docs/DESIGN.md §4), one call at a time:
# chmod, chown and utime families by path (plain, l-, *at) and through fds --
# read-only ones included -- and ioctl(FS_IOC_SETFLAGS). Each breaks the name
# it goes through and applies the change there: the other names, and the
# shared inode, keep mode, owner, times and flags.
# modes: preload run run-noshim
. "$(dirname "$0")/lib.sh"
need_shim
shim_argv
need python3 setfattr getfattr lsattr

PYPRE='
import ctypes, fcntl, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
def ok(r, what):
    if r != 0:
        raise OSError(ctypes.get_errno(), what)
class timeval(ctypes.Structure):
    _fields_ = [("s", ctypes.c_long), ("us", ctypes.c_long)]
TV = (timeval * 2)(timeval(1000000000, 0), timeval(1000000000, 0))
AT_FDCWD, AT_EMPTY_PATH = -100, 0x1000
'
PYFD="$PYPRE"'fd = os.open("b", os.O_RDONLY)
'

# meta_case NAME PYTHON CHECK: in $T/NAME, a b c are one cowlink set;
# PYTHON (with fd a read-only fd on b) will run under the shim; then a and c
# must be unchanged and share, b be a private file, and CHECK (a pattern for
# b's stat -c '%a %u %g %Y' and lsattr flags) hold. run_cases runs every
# case in one python process (a start-up per case is most of the time).
CASES=()
meta_case() {
	local d="$T/$1"
	mkdir "$d"
	seed_file "$d/a"
	cow_link "$d/a" "$d/b"
	cow_link "$d/a" "$d/c"
	snapshot "$d/a" >"$d.snap"
	printf '%s\n' "$3" >"$d.check"
	printf '%s\n' "$2" >"$d.py"
	CASES+=("$1")
}

run_cases() {
	local name d got
	(cd "$T" && under_shim python3 -c "$PYPRE"'
fails = []
for name in sys.argv[1:]:
    os.chdir(name)
    fd = os.open("b", os.O_RDONLY)
    try:
        exec(open("../" + name + ".py").read())
    except BaseException as e:
        fails.append("%s: %s" % (name, e))
    os.close(fd)
    os.chdir("..")
if fails:
    sys.exit("\n".join(fails))
' "${CASES[@]}") || fail "calls failed under the shim (above)"
	for name in "${CASES[@]}"; do
		d="$T/$name"
		expect_unchanged "$d/a" "$(cat "$d.snap")"
		same_inode "$d/a" "$d/c" || fail "$name: a and c no longer share"
		! same_inode "$d/a" "$d/b" || fail "$name: b was not broken"
		! is_marked "$d/b" || fail "$name: b still carries the mark"
		cmp -s "$d/a" "$d/b" || fail "$name: b's content changed"
		got="$(stat -c '%a %u %g %Y' "$d/b") $(lsattr "$d/b" 2>/dev/null | cut -c1-22)"
		[[ $got == $(cat "$d.check") ]] || fail "$name: b is [$got], want [$(cat "$d.check")]"
	done
	note "ok: ${CASES[*]}"
}

meta_case chmod          'os.chmod("b", 0o600)'                              '600 *'
meta_case chmod-symlink  'os.symlink("b", "l"); os.chmod("l", 0o604)'       '604 *'
meta_case fchmodat       'ok(libc.fchmodat(AT_FDCWD, b"b", 0o606, 0), "fchmodat")' '606 *'
# glibc 2.36 (before fchmodat2) makes this an O_PATH open and a chmod of
# /proc/self/fd/N: the supervisor alone refuses that magic link (below).
[ "$MODE" = run-noshim ] ||
	meta_case fchmodat-nofollow 'os.chmod("b", 0o602, follow_symlinks=False)' '602 *'
meta_case fchmod-rdonly  'os.chmod(fd, 0o660)'                               '660 *'
meta_case chown          'os.chown("b", 1, 2)'                               '640 1 2 *'
meta_case lchown         'os.chown("b", 3, 4, follow_symlinks=False)'        '640 3 4 *'
meta_case fchownat       'ok(libc.fchownat(AT_FDCWD, b"b", 5, 6, 0), "fchownat")' '640 5 6 *'
meta_case fchown-rdonly  'os.chown(fd, 7, 8)'                                '640 7 8 *'
meta_case fchownat-empty 'ok(libc.fchownat(fd, b"", 9, 9, AT_EMPTY_PATH), "fchownat AT_EMPTY_PATH")' '640 9 9 *'
meta_case fchownat-opath 'p = os.open("b", os.O_PATH); ok(libc.fchownat(p, b"", 4, 5, AT_EMPTY_PATH), "fchownat O_PATH")' '640 4 5 *'
meta_case utime          'os.utime("b", (1000000000, 1000000000))'           '* 1000000000 *'
meta_case utime-libc     'ok(libc.utime(b"b", None), "utime")'               '*'
meta_case utimes         'ok(libc.utimes(b"b", TV), "utimes")'              '* 1000000000 *'
meta_case lutimes        'ok(libc.lutimes(b"b", TV), "lutimes")'            '* 1000000000 *'
meta_case futimes-rdonly 'ok(libc.futimes(fd, TV), "futimes")'              '* 1000000000 *'
meta_case futimesat      'ok(libc.futimesat(AT_FDCWD, b"b", TV), "futimesat")' '* 1000000000 *'
meta_case futimesat-null 'ok(libc.futimesat(fd, None, TV), "futimesat(fd, NULL)")' '* 1000000000 *'
meta_case utimensat-nofollow 'os.utime("b", (1000000000, 1000000000), follow_symlinks=False)' '* 1000000000 *'
meta_case futimens-rdonly 'os.utime(fd, (1000000000, 1000000000))'           '* 1000000000 *'
meta_case touch-now       'os.utime(fd)'                                      '*'
if lsattr "$T" >/dev/null 2>&1 && chattr -d "$T" 2>/dev/null; then
	# FS_IOC_SETFLAGS on a read-only fd: FS_NODUMP_FL (d).
	meta_case setflags-rdonly 'fcntl.ioctl(fd, 0x40086602, struct.pack("l", struct.unpack("l", fcntl.ioctl(fd, 0x80086601, b"\0" * 8))[0] | 0x40))' '* ---*d*'
else
	note "no inode flags here: FS_IOC_SETFLAGS not checked"
fi
run_cases
# ERRNO_PY: python printing what CALL gives, ok or the errno's name.
errno_py() { printf 'python3 -c %q' "import errno, os
try:
    $1
    print('ok')
except OSError as e:
    print(errno.errorcode[e.errno])"; }
# glibc's lchmod opens the name O_PATH and changes /proc/self/fd/N: under
# the supervisor alone that magic link is the fd's file, its name broken.
[ "$MODE" != run-noshim ] ||
	writer fchmodat-nofollow "$(errno_py 'os.chmod("b", 0o602, follow_symlinks=False)')"

# Both times UTIME_OMIT change nothing: nothing is broken.
mkdir "$T/omit"; cd "$T/omit"
seed_file a; cow_link a b
under_shim python3 -c "$PYFD"'
class ts(ctypes.Structure):
    _fields_ = [("s", ctypes.c_long), ("ns", ctypes.c_long)]
OMIT = (ts * 2)(ts(0, (1 << 30) - 2), ts(0, (1 << 30) - 2))
ok(libc.utimensat(AT_FDCWD, b"b", OMIT, 0), "utimensat OMIT")
ok(libc.futimens(fd, OMIT), "futimens OMIT")
' || fail "UTIME_OMIT"
same_inode a b || fail "utimensat with both times UTIME_OMIT broke the link"

# An fd whose name is gone has no name to break: ETXTBSY.
mkdir "$T/gone"; cd "$T/gone"
seed_file a; cow_link a b; cow_link a c
under_shim python3 -c "$PYFD"'
os.unlink("b")
try:
    os.chmod(fd, 0o600)
    sys.exit("fchmod on an fd with no name succeeded")
except OSError as e:
    if e.errno != 26: sys.exit("fchmod on an fd with no name: %s" % e)
' || fail "fchmod on an unlinked name's fd"
[ "$(stat -c %a a)" = 440 ] || fail "fchmod reached the shared inode"

# Clone onto a writable fd on a shared inode (opened around the shim, as
# root may): ETXTBSY, whatever the filesystem would have said. Under the
# preload only: under cowlink run the supervisor sees the raw open and
# breaks b there, so no such fd exists: that is checked instead.
cd "$T"; mkdir clone; cd clone
seed_file a; cow_link a b; cow_link a c; printf src >src
if [ "$MODE" != preload ]; then
	s=$(snapshot a)
	under_shim python3 -c "$PYFD"'
libc.syscall.restype = ctypes.c_long
if libc.syscall(257, AT_FDCWD, b"b", os.O_RDWR, 0) < 0: sys.exit("raw open failed")
' || fail "raw open of b for writing failed"
	expect_unchanged a "$s"
	same_inode a c || fail "raw open: a and c split"
	! same_inode a b || fail "raw open for writing under $MODE did not break b"
else
	under_shim python3 -c "$PYFD"'
libc.syscall.restype = ctypes.c_long
w = libc.syscall(257, AT_FDCWD, b"b", os.O_RDWR, 0)
if w < 0: sys.exit("raw open failed")
s = os.open("src", os.O_RDONLY)
try:
    fcntl.ioctl(w, 0x40049409, s)
    sys.exit("FICLONE onto a shared inode succeeded")
except OSError as e:
    if e.errno != 26: sys.exit("FICLONE onto a shared inode: %s" % e)
' || fail "FICLONE onto a shared inode"
fi

# An orphaned mark (one name left) is unshared before a chmod, so that its
# record cannot later undo the mode the user chose.
cd "$T"; mkdir orphan; cd orphan
seed_file a; cow_link a b; rm b
# (A time limit: under cowlink run the supervisor has deadlocked here, on
# the break lock the shim holds while it unshares.)
rc=0; timeout 20 "${SHIM_ARGV[@]}" chmod 0444 a || rc=$?
[ $rc != 124 ] || fail "chmod of an orphan under $MODE: still running after 20 s"
[ $rc = 0 ] || fail "chmod of an orphan failed"
[ "$(stat -c %a a)" = 444 ] || fail "chmod of an orphan: mode $(stat -c %a a)"
! is_marked a || fail "chmod of an orphan left its mark (the record would restore write bits)"

# errno: untouched by a successful change, the real one on failure.
cd "$T"; mkdir errno; cd errno
seed_file a; cow_link a b
under_shim python3 -c "$PYFD"'
ctypes.set_errno(1234)
ok(libc.chmod(b"b", 0o600), "chmod")
if ctypes.get_errno() != 1234: sys.exit("chmod changed errno on success")
if libc.chmod(b"nope", 0o600) != -1 or ctypes.get_errno() != 2: sys.exit("chmod of a missing name")
' || fail "errno"
note "ok"

# A caller who does not own the file gets what the real copy would answer:
# EPERM for changes only the owner may make, not the break's EACCES.
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	cd "$T"; mkdir -p perm; chmod 0755 "$T" perm; cd perm
	printf 'x\n' >a; chmod 0644 a; cow_link a b
	for call in 'os.chmod("b", 0o600)' 'os.chown("b", 65534, 65534)' \
		    'os.utime("b", (1, 1))' 'os.setxattr("b", "system.posix_acl_access", b"\2\0\0\0")'; do
		r=$(setpriv --reuid=65534 --regid=65534 --clear-groups "${SHIM_ARGV[@]}" \
			/usr/bin/python3 -c "import os
try:
    $call
    print('ok')
except OSError as e:
    print(e.errno)" 2>&1) || true
		[ "$r" = 1 ] || fail "non-owner $call: [$r], want EPERM (1)"
	done
	same_inode a b || fail "a refused non-owner change broke the link"
	# The owner may chmod, chown and set the times of a read-only file
	# (a cowlink of a 0444 file presents no write bit at all).
	mkdir own; chown 65534:65534 own
	printf 'r\n' >own/a; chmod 0444 own/a; chown 65534:65534 own/a
	cow_link own/a own/b; cow_link own/a own/c; cow_link own/a own/d
	snap=$(snapshot own/a)
	setpriv --reuid=65534 --regid=65534 --clear-groups "${SHIM_ARGV[@]}" \
		sh -c 'chmod 0644 own/b && touch -d 2001-01-01 own/c && chgrp 65534 own/d' \
		|| fail "the owner could not change a read-only cowlink's metadata"
	[ "$(stat -c %a own/b)" = 644 ] || fail "owner chmod: b is $(stat -c %a own/b)"
	[ "$(stat -c %Y own/c)" = "$(date -d 2001-01-01 +%s)" ] || fail "owner touch -d: c not changed"
	expect_unchanged own/a "$snap"
fi

# Through a magic link: the change goes to the name that was broken, not to
# the old inode the link still leads to.
cd "$T"; mkdir magic; cd magic
seed_file a; cow_link a b; cow_link a c
snap=$(snapshot a)
under_shim sh -c 'chmod 0600 /proc/self/fd/3' 3<b || fail "chmod through /proc/self/fd/N failed"
[ "$(stat -c %a b)" = 600 ] || fail "chmod through /proc/self/fd/N: b is $(stat -c %a b)"
expect_unchanged a "$snap"
note "ok: all"
