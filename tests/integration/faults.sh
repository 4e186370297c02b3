# Faults (issue 5): a break that cannot be done fails the writer's call with
# the real errno and changes nothing — full disk (ENOSPC), quota (EDQUOT),
# no write permission on the directory (EACCES), read-only mount (EROFS);
# cowln refuses a filesystem without user xattrs and survives EMLINK.
. "$(dirname "$0")/lib.sh"
need_root
need setpriv python3
[ -n "${LIBCOWLINK:-}" ] && [ -x "${COWLN:-}" ] || fail "needs cowln and libcowlink.so"

# state DIR: every name with inode, links, mode and content hash, and the
# hidden entries, to show that nothing changed.
state() { (cd "$1" && ls -a && stat -c '%n %i %h %a %s' -- * && sha256sum -- *); }

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
# Truncation to zero copies nothing, so it fits.
under_shim truncate -s 0 "$m/b" || fail "truncate to 0 needs no space, yet failed"
[ "$(stat -c %s "$m/b")" = 0 ] && [ "$(stat -c %s "$m/a")" = $((9 * 1048576)) ] || fail "truncate to 0 went wrong"

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
need mkfs.vfat
v=$(loopfs vfat 16)
echo data >"$v/a"
if out=$("$COWLN" "$v/a" "$v/b" 2>&1); then fail "cowln on vfat succeeded"; fi
case "$out" in *vfat*|*msdos*|*fat*) ;; *) fail "the message does not name the filesystem: $out" ;; esac
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

# ---- EDQUOT: the break is charged to the writer's quota.
if command -v setquota >/dev/null && command -v quotaon >/dev/null; then
	q=$(loopfs ext4 64 -O quota -E quotatype=usrquota)
	umount "$q" && mount -o loop,usrquota "$q.img" "$q" 2>/dev/null || skip "cannot mount with usrquota"
	quotaon "$q" 2>/dev/null || true
	mkdir "$q/u" && chown 65534:65534 "$q/u"
	head -c 4M /dev/urandom >"$q/u/a" && chown 65534:65534 "$q/u/a"
	"$COWLN" "$q/u/a" "$q/u/b"
	setquota -u 65534 3000 3000 0 0 "$q"
	before=$(state "$q/u")
	if asuser env LD_PRELOAD="$PRELOAD" bash -c "echo x >> '$q/u/b'" 2>out; then fail "break over quota succeeded"; fi
	grep -q "quota exceeded" out || fail "EDQUOT not reported: $(cat out)"
	[ "$before" = "$(state "$q/u")" ] || fail "a failed break (EDQUOT) changed the directory"
else
	note "quota tools not installed: EDQUOT not checked"
fi
exit 0
