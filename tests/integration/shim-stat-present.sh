#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Presentation under the shim (docs/DESIGN.md §4): stat, lstat, fstat, fstatat,
# statx and the old __xstat names show a cowlink with its recorded write
# bits and one link; plain hard links, one-link files and directories show
# what the kernel says; access(W_OK) answers whether a write (a break
# included) would succeed.
. "$(dirname "$0")/lib.sh"
need_shim
need python3 setfattr getfattr setpriv
chmod 0755 "$T"

printf 'data\n' >a
chmod 0640 a
cow_link a b
cow_link a c
ln -s b sym
[ "$(stat -c '%a %h' a)" = "440 3" ] || fail "setup: raw a is $(stat -c '%a %h' a), not protected"
for n in a b c sym; do
	got=$(under_shim stat -L -c '%a %h' "$n")
	[ "$got" = "640 1" ] || fail "stat $n under the shim: [$got], want [640 1]"
done
[ "$(under_shim stat -c '%F' sym)" = "symbolic link" ] || fail "lstat of a symlink changed"

# Each entry point, by name: python's os.stat/lstat/fstat/fstatat, and
# statx and __xstat/__fxstatat through ctypes.
under_shim python3 - "$T" <<'PY' || fail "stat entry points (see above)"
import ctypes, os, platform, struct, sys
t = sys.argv[1]
libc = ctypes.CDLL(None, use_errno=True)
bad = []
def want(what, mode, nlink):
    if (mode & 0o7777, nlink) != (0o640, 1):
        bad.append("%s: mode %o nlink %d" % (what, mode & 0o7777, nlink))
st = os.stat("b"); want("stat", st.st_mode, st.st_nlink)
st = os.lstat("b"); want("lstat", st.st_mode, st.st_nlink)
fd = os.open("b", os.O_RDONLY)
st = os.fstat(fd); want("fstat", st.st_mode, st.st_nlink)
dfd = os.open(t, os.O_RDONLY | os.O_DIRECTORY)
st = os.stat("b", dir_fd=dfd); want("fstatat", st.st_mode, st.st_nlink)
st = os.stat("sym", dir_fd=dfd); want("fstatat via symlink", st.st_mode, st.st_nlink)
# statx: fields at fixed offsets (mask u32 @0, nlink u32 @16, mode u16 @28)
AT_FDCWD, AT_EMPTY_PATH = -100, 0x1000
buf = ctypes.create_string_buffer(256)
for args, what in (((AT_FDCWD, b"b", 0, 0x7ff), "statx"),
                   ((fd, b"", AT_EMPTY_PATH, 0x7ff), "statx AT_EMPTY_PATH"),
                   ((AT_FDCWD, b"b", 0, 0x1 | 0x2 | 0x4), "statx type|mode|nlink")):
    if libc.statx(*args, buf) != 0:
        bad.append("%s failed: %s" % (what, os.strerror(ctypes.get_errno())))
        continue
    mask, = struct.unpack_from("I", buf, 0)
    nlink, = struct.unpack_from("I", buf, 16)
    mode, = struct.unpack_from("H", buf, 28)
    want(what, mode, nlink)
# The pre-2.33 names, x86_64 layout (nlink u64 @16, mode u32 @24).
if platform.machine() == "x86_64":
    sb = ctypes.create_string_buffer(144)
    for r, what in ((libc.__xstat(1, b"b", sb), "__xstat"),
                    (libc.__lxstat(1, b"b", sb), "__lxstat"),
                    (libc.__fxstat(1, fd, sb), "__fxstat"),
                    (libc.__fxstatat(1, AT_FDCWD, b"sym", sb, 0), "__fxstatat"),
                    (libc.__xstat64(1, b"b", sb), "__xstat64")):
        nlink, mode = struct.unpack_from("QI", sb, 16)
        if r != 0:
            bad.append(what + " failed")
        else:
            want(what, mode, nlink)
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
PY

# Not a cowlink: a plain hard link, a one-link file and a directory are
# shown as they are.
printf x >h1; ln h1 h2; chmod 0444 h1
printf y >one; chmod 0400 one
[ "$(under_shim stat -c '%a %h' h2)" = "444 2" ] || fail "a plain hard link was presented as a cowlink"
[ "$(under_shim stat -c '%a %h' one)" = "400 1" ] || fail "a one-link file changed"
[ "$(under_shim stat -c '%h' .)" = "$(stat -c '%h' .)" ] || fail "a directory changed"

# A malformed record: a cowlink all the same (one link), no bits to add.
printf z >m1; ln m1 m2; chmod 0444 m1
setfattr -n user.cowlink -v 'garbage' m1
[ "$(under_shim stat -c '%a %h' m2)" = "444 1" ] || fail "malformed record: $(under_shim stat -c '%a %h' m2)"

# Presentation costs one-link inodes no system call -- but for those without
# the owner write bit, which may be orphans left without the shim (one read
# of the mark): count them. Every call is traced: strace may not know
# getxattrat (syscall 0x1d0) and would leave it out of %file.
if command -v strace >/dev/null 2>&1; then
	printf y >rw; chmod 0600 rw
	# (the ASan runtime reads /proc/self/exe: only calls of ours count)
	looks() {
		LD_PRELOAD="$PRELOAD" strace -f -o "$T/trace" stat -c %h "$1" >/dev/null &&
			grep -c -E 'getxattr|syscall_0x1d0\(|readlink.*"/proc/self/fd/' "$T/trace" || true
	}
	n=$(looks rw)
	[ "$n" = 0 ] || fail "stat of a one-link file read xattrs or links ($n calls)"
	n=$(looks one)
	[ "$n" = 1 ] || fail "stat of a one-link 0400 file: $n reads of xattrs or links, want the one look for an orphan's mark"
fi

# access(W_OK), as a non-root owner: the protected cowlink is writable by a
# break; not when the directory is not writable; not for a name whose owner
# the caller could not keep.
mkdir -p u ro
chown 65534:65534 u ro
printf 'q\n' >u/f; chmod 0640 u/f; chown 65534:65534 u/f
cow_link u/f u/g
printf 'q\n' >ro/f; chmod 0640 ro/f; chown 65534:65534 ro/f
cow_link ro/f ro/g
chmod 0555 ro
printf 'q\n' >u/root; chmod 0666 u/root
cow_link u/root u/root2
ln -s g u/lg
# owned by the caller, but of a group the caller is not in: the copy could
# not keep the group
printf 'q\n' >u/grp; chmod 0640 u/grp; chown 65534:0 u/grp
cow_link u/grp u/grp2
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# A python the unprivileged user can run (a per-user install may not be).
NPY=
for p in /usr/bin/python3 "$(command -v python3)"; do
	if as_nobody "$p" -c '' 2>/dev/null; then NPY=$p; break; fi
done
[ -n "$NPY" ] || skip "no python3 that uid 65534 may run"
as_nobody "$NPY" -c 'import os,sys; sys.exit(os.access("u/g", os.W_OK))' \
	|| fail "setup: without the shim a protected cowlink should refuse W_OK"
as_nobody env LD_PRELOAD="$PRELOAD" "$NPY" - <<'PY' || fail "access(W_OK) answers (see above)"
import os, sys
bad = []
def want(what, got, expect):
    if got != expect:
        bad.append("%s: %s, want %s" % (what, got, expect))
want("access(u/g, W_OK)", os.access("u/g", os.W_OK), True)
want("access(u/g, R_OK|W_OK)", os.access("u/g", os.R_OK | os.W_OK), True)
want("access(u/g, W_OK|X_OK)", os.access("u/g", os.W_OK | os.X_OK), False)
want("faccessat AT_EACCESS", os.access("u/g", os.W_OK, effective_ids=True), True)
want("via a symlink", os.access("u/lg", os.W_OK), True)
want("AT_SYMLINK_NOFOLLOW on the cowlink", os.access("u/g", os.W_OK, follow_symlinks=False), True)
want("read-only directory", os.access("ro/g", os.W_OK), False)
want("owner not kept", os.access("u/root2", os.W_OK), False)
want("group not kept", os.access("u/grp2", os.W_OK), False)
want("no such file", os.access("u/nope", os.W_OK), False)
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
PY
# ... and the answer is true: the write succeeds and leaves f alone.
f_before=$(cow_snapshot u/f)
as_nobody env LD_PRELOAD="$PRELOAD" sh -c 'echo more >>u/g' || fail "the write access() promised failed"
expect_cow_unchanged u/f "$f_before"
# errno: unchanged by a successful stat, ENOENT kept for a missing name.
under_shim python3 - <<'PY' || fail "errno"
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
ctypes.set_errno(1234)
buf = ctypes.create_string_buffer(256)
libc.statx(-100, b"b", 0, 0x7ff, buf)
if ctypes.get_errno() != 1234:
    sys.exit("statx changed errno on success: %d" % ctypes.get_errno())
if libc.access(b"nope", 2) != -1 or ctypes.get_errno() != 2:
    sys.exit("access of a missing name: errno %d" % ctypes.get_errno())
PY
note "ok"
