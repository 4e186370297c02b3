# SPDX-License-Identifier: MIT
# Faults (issue 5): a break that cannot be done fails the writer's call with
# the real errno and changes nothing — full disk (ENOSPC), no write
# permission on the directory (EACCES), read-only mount (EROFS);
# cowln refuses a filesystem without user xattrs and survives EMLINK.
. "$(dirname "$0")/lib.sh"
need_root
need setpriv python3
[ -n "${LIBCOWLINK:-}" ] && [ -x "${COWLN:-}" ] || fail "needs cowln and libcowlink.so"

# state DIR: every name with inode, links, mode and content hash, and the
# hidden entries, to show that nothing changed.
state() { (cd "$1" && ls -a && find . -maxdepth 1 -type f -exec stat -c '%n %i %h %a %s' {} + -exec sha256sum {} + | sort); }

# ---- ENOSPC: a 9 MiB cowlink cannot be copied on a 16 MiB filesystem.
m=$(loopfs ext4 16)
head -c 9M /dev/urandom >"$m/a"
"$COWLN" "$m/a" "$m/b"
before=$(state "$m")
if out=$(under_shim bash -c "echo x >> '$m/b'" 2>&1); then fail "append on a full disk succeeded"; fi
case "$out" in *"No space left"*) ;; *) fail "ENOSPC not reported: $out" ;; esac
[ "$before" = "$(state "$m")" ] || fail "a failed break (ENOSPC) changed the filesystem"
if out=$(under_shim truncate -s 5M "$m/b" 2>&1); then fail "truncate to 5M on a full disk succeeded"; fi
[ "$before" = "$(state "$m")" ] || fail "a failed truncate break changed the filesystem"
# Truncation to zero copies nothing, so it fits: an O_TRUNC open (a shell's
# ">"), and truncate(2) by path. (coreutils' truncate opens without O_TRUNC
# and then calls ftruncate: that open is a whole copy, and fails here.)
"$COWLN" "$m/a" "$m/c"
under_shim bash -c ": > '$m/b'" || fail "an O_TRUNC open needs no space, yet failed"
under_shim python3 -c "import os; os.truncate('$m/c', 0)" || fail "truncate(path, 0) needs no space, yet failed"
for n in b c; do
	[ "$(stat -c %s "$m/$n")" = 0 ] || fail "$n was not truncated"
done
[ "$(stat -c %s "$m/a")" = $((9 * 1048576)) ] || fail "truncating b and c changed a"

# ---- EACCES: a user who may not write the directory cannot get a private copy.
mkdir d && chmod 0755 d && chmod 0755 "$T"
printf 'shared\n' >d/a && chown 65534:65534 d/a
"$COWLN" d/a d/b
before=$(state d)
asuser() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if out=$(asuser env LD_PRELOAD="$PRELOAD" bash -c 'echo x >> d/b' 2>&1); then fail "break without directory write permission succeeded"; fi
case "$out" in *"Permission denied"*) ;; *) fail "EACCES not reported: $out" ;; esac
[ "$before" = "$(state d)" ] || fail "a failed break (EACCES) changed the directory"
# Without the shim, protection turns the bypassing write into EACCES too.
if asuser bash -c 'echo x >> d/b' 2>/dev/null; then fail "a write without the shim reached the protected shared inode"; fi
[ "$before" = "$(state d)" ] || fail "a write without the shim changed the set"

# ---- EROFS: through a read-only bind mount.
mkdir ro
mount --bind d ro && MOUNTS+=("$T/ro") && mount -o remount,bind,ro ro || skip "cannot make a read-only bind mount"
if out=$(under_shim bash -c 'echo x >> ro/b' 2>&1); then fail "break on a read-only mount succeeded"; fi
case "$out" in *"Read-only file system"*) ;; *) fail "EROFS not reported: $out" ;; esac
[ "$before" = "$(state d)" ] || fail "a failed break (EROFS) changed the directory"

# ---- No user xattrs: cowln says so, names the filesystem, leaves nothing.
# ramfs has no xattrs at all (vfat, the usual example, may not be in the
# kernel).
v=$T/ramfs
mkdir "$v"
mount -t ramfs ramfs "$v" 2>/dev/null || skip "cannot mount ramfs here"
MOUNTS+=("$v")
echo data >"$v/a"
if out=$("$COWLN" "$v/a" "$v/b" 2>&1); then fail "cowln on ramfs succeeded"; fi
case "$out" in *ramfs*) ;; *) fail "the message does not name the filesystem: $out" ;; esac
[ ! -e "$v/b" ] || fail "cowln left $v/b behind on failure"
[ "$(cat "$v/a")" = data ] || fail "cowln changed the source on failure"

# ---- EMLINK: at ext4's link limit cowln starts a new inode from a copy.
e=$(loopfs ext4 64 -N 1024)
echo payload >"$e/src"
python3 - "$e" <<'PY'
import os, sys
d = sys.argv[1]
os.mkdir(f"{d}/links")
n = 1
while True:
    try:
        os.link(f"{d}/src", f"{d}/links/{n}")
    except OSError as ex:
        if ex.errno == 31:  # EMLINK
            break
        raise
    n += 1
PY
# src is at the limit; adopt it so cowln may link rather than copy.
if "$COWLN" --adopt "$e/src" "$e/dst" 2>err; then
	[ "$(stat -c %i "$e/src")" != "$(stat -c %i "$e/dst")" ] || fail "EMLINK: dst shares the full inode"
	cmp -s "$e/src" "$e/dst" || fail "EMLINK: the copy differs"
else
	fail "cowln at the link limit failed: $(cat err)"
fi

exit 0
