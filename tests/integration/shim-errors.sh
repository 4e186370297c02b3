#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A break that cannot be made fails the caller's call with the real errno
# and changes nothing: ENOSPC on a full filesystem, EACCES for a user who
# may not write the name (by its recorded mode), may not keep its owner, or
# may not write the directory; EROFS on a read-only mount; EPERM on an
# immutable or append-only shared inode. Truncation to n copies only n
# bytes, so it fits where a full copy does not.
. "$(dirname "$0")/lib.sh"
need_shim
need_root
need setpriv chattr

# refused_in DIR NAME WANT CMD...: CMD (run in DIR) prints WANT; a, b, c in
# DIR stay one unchanged inode.
refused_in() {
	local d=$1 name=$2 want=$3 raw out
	shift 3
	pick raw "$(snap_fields "$d/a")" raw
	out=$(cd "$d" && "$@" 2>/dev/null) || true
	[ "$out" = "$want" ] || fail "$name: printed [$out], want [$want]"
	expect_one_inode "$name" "$d" "$raw"
	no_litter "$d"
	note "ok: $name"
}
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups env LD_PRELOAD="$PRELOAD" "$@"; }
chmod 0755 "$T"

# EACCES: the recorded mode does not let the user write.
mkdir -m 0777 "$T/acc1" && cd "$T/acc1"
printf 'root file\n' >a && chmod 0644 a && cow_link a b c
refused_in "$T/acc1" eacces-mode EACCES nobody "$COWLINK_PROGS/api_open" b wa
refused_in "$T/acc1" eacces-mode-trunc EACCES nobody "$COWLINK_PROGS/api_truncate" b 0
# EACCES: writable by mode, but a copy could not keep root as its owner.
mkdir -m 0777 "$T/acc2" && cd "$T/acc2"
printf 'root file, world-writable\n' >a && chmod 0666 a && cow_link a b c
refused_in "$T/acc2" eacces-owner EACCES nobody "$COWLINK_PROGS/api_open" b wa
# EACCES: the user owns the file but may not write the directory.
mkdir -m 0755 "$T/acc3" && cd "$T/acc3"
printf 'nobody file\n' >a && chown 65534:65534 a && chmod 0644 a && cow_link a b c
refused_in "$T/acc3" eacces-dir EACCES nobody "$COWLINK_PROGS/api_open" b wa
# The same user in a directory it may write: the break works.
mkdir -m 0755 "$T/acc4" && chown 65534 "$T/acc4" && cd "$T/acc4"
printf 'nobody file\n' >a && chown 65534:65534 a && chmod 0644 a && cow_link a b c
pick raw "$(snap_fields a)" raw
[ "$(nobody "$COWLINK_PROGS/api_open" b wa)" = ok ] || fail "the owner could not write its cowlink in its directory"
pick now "$(snap_fields a)" raw
[ "$now" = "$raw" ] || fail "the owner's write changed the shared inode"
[ "$(stat -c %U:%a b)" = nobody:644 ] || fail "the owner's break made $(stat -c %U:%a b)"
note "ok: owner in own directory"

# EPERM: an immutable or append-only shared inode cannot be renamed over.
for attr in i a; do
	mkdir -p "$T/attr-$attr" && cd "$T/attr-$attr"
	seed_file a && cow_link a b c
	chattr +$attr a 2>/dev/null || { note "chattr +$attr not supported here"; continue; }
	out=$(under_shim "$COWLINK_PROGS/api_open" b wa) || true
	chattr -$attr a
	[ "$out" = EPERM ] || fail "a write through a cowlink of a chattr +$attr inode: [$out], want EPERM"
	[ "$(stat -c %i a)" = "$(stat -c %i b)" ] || fail "chattr +$attr: b was broken anyway"
	no_litter .
	note "ok: chattr +$attr"
done

# EROFS: a read-only bind mount of a directory holding a set.
mkdir -p "$T/rw" "$T/ro" && cd "$T/rw"
seed_file a && cow_link a b c
if mount --bind "$T/rw" "$T/ro" 2>/dev/null && mount -o remount,bind,ro "$T/ro" 2>/dev/null; then
	refused_in "$T/ro" erofs EROFS env LD_PRELOAD="$PRELOAD" "$COWLINK_PROGS/api_open" b wa
	refused_in "$T/ro" erofs-chmod EROFS env LD_PRELOAD="$PRELOAD" "$COWLINK_PROGS/api_chmod" b 600
	umount "$T/ro"
else
	umount "$T/ro" 2>/dev/null || true
	note "no read-only bind mount here: EROFS not checked"
fi

# ENOSPC: a file bigger than the free space of a small ext4.
mnt=$(loopfs ext4 16)
cd "$mnt"
head -c $((9 * 1024 * 1024)) /dev/urandom >a
chmod 0644 a
cow_link a b c
free=$(( $(stat -f -c '%a * %S' . ) ))
[ "$free" -lt $((9 * 1024 * 1024)) ] || skip "the loop filesystem has more room than expected ($free bytes)"
refused_in "$mnt" enospc-open ENOSPC env LD_PRELOAD="$PRELOAD" "$COWLINK_PROGS/api_open" b wa
refused_in "$mnt" enospc-fopen ENOSPC env LD_PRELOAD="$PRELOAD" "$COWLINK_PROGS/api_fopen" b r+
refused_in "$mnt" enospc-chmod ENOSPC env LD_PRELOAD="$PRELOAD" "$COWLINK_PROGS/api_chmod" b 600
[ -z "$(ls -A "$mnt" | grep -v -e '^a$' -e '^b$' -e '^c$' -e '^lost+found$')" ] || fail "ENOSPC left files: $(ls -A "$mnt")"
# Truncation needs no (or a small) copy: it fits. (Then a is left alone
# and unshared in place: compare what it stands for.)
pick raw "$(snap_fields a)" logical
[ "$(under_shim "$COWLINK_PROGS/api_truncate" b 4096)" = ok ] || fail "truncate(b, 4096) on a full filesystem"
[ "$(stat -c %s b)" = 4096 ] && cmp -s b <(head -c 4096 a) || fail "truncate(b, 4096) kept the wrong bytes"
[ "$(under_shim "$COWLINK_PROGS/api_open" c wt)" = ok ] || fail "open(c, O_TRUNC) on a full filesystem"
[ "$(cat c)" = payload ] || fail "open(c, O_TRUNC) content: $(head -c 20 c)"
pick now "$(snap_fields a)" logical
[ "$now" = "$raw" ] || fail "truncation changed a: [$now], was [$raw]"
[ "$(stat -c %h a)" = 1 ] && ! is_marked a || fail "a, the last name, was not unshared in place"
note "ok: truncation fits where a copy does not"
cd "$T"

# chmod of another user's cowlink: EPERM, as chmod of the real copy it
# stands for would give (only the owner may chmod), not EACCES.
cd "$T/acc1"
refused_in "$T/acc1" eperm-chmod EPERM nobody "$COWLINK_PROGS/api_chmod" b 600
refused_in "$T/acc1" eperm-utimes EPERM nobody "$COWLINK_PROGS/api_utimes" b 1000
