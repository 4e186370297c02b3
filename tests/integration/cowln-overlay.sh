#!/bin/bash
# SPDX-License-Identifier: MIT
# cowln on overlayfs (lower, upper and work directories on a loop-mounted
# ext4): a file of the lower layer is copied up in full by its mark and its
# link, so that cowlink is not space-free; -v says so, per file or with a
# count for -r. A file already in the upper layer (made in the overlay, or
# copied up before) gets no such word. The names keep their data, the mark
# is a user xattr of the upper file, and the set works under the shim.
. "$(dirname "$0")/lib.sh"
[ -n "${COWLN:-}" ] || skip "COWLN is not set (cowln not built)"
need_shim
need getfattr
fs=$(loopfs ext4 16)
mkdir "$fs/L" "$fs/U" "$fs/W" M
head -c 262144 /dev/urandom >"$fs/L/f"
head -c 4096 /dev/urandom >"$fs/L/f2"
printf 'u\n' >"$fs/L/u"
mkdir "$fs/L/bd"
printf 'w\n' >"$fs/L/bd/w"
mkdir -p "$fs/L/t/sub"
head -c 3072 /dev/urandom >"$fs/L/t/sub/a"
head -c 1024 /dev/urandom >"$fs/L/t/b"
chmod 644 "$fs"/L/f "$fs"/L/f2 "$fs"/L/u "$fs"/L/bd/w "$fs"/L/t/sub/a "$fs"/L/t/b
cp "$fs/L/f" orig
mount -t overlay overlay -o "lowerdir=$fs/L,upperdir=$fs/U,workdir=$fs/W" "$T/M" 2>err ||
	skip "cannot mount overlayfs here: $(cat err)"
MOUNTS=("$T/M" "${MOUNTS[@]}")

# A file of the lower layer: copied up by the link, and -v says so.
"$COWLN" -v M/f M/g >out 2>err || fail "cowln -v M/f M/g: $(cat err)"
[ "$(cat out)" = "'M/f' => 'M/g'" ] || fail "cowln -v said on stdout: $(cat out)"
[ "$(cat err)" = "cowln: 'M/f' => 'M/g': 1 file (256.0 KiB) of a lower overlayfs layer copied up in full by the link, not space-free" ] ||
	fail "cowln -v of a lower file said: $(cat err)"
[ -f "$fs/U/f" ] && [ "$(stat -c %s "$fs/U/f")" = 262144 ] || fail "M/f was not copied up"
same_inode M/f M/g || fail "M/f and M/g are not one inode"
is_marked "$fs/U/f" || fail "the upper file carries no mark (user xattrs on overlayfs)"
cmp -s M/f orig && cmp -s M/g orig && cmp -s "$fs/L/f" orig || fail "the data changed"
# Again, now that it is in the upper layer: nothing more to say.
"$COWLN" -v M/f M/h >/dev/null 2>err || fail "cowln -v M/f M/h: $(cat err)"
[ ! -s err ] || fail "a copied-up file: $(cat err)"
# A file made in the overlay (in the upper layer from the start).
printf 'new\n' >M/n
"$COWLN" -v M/n M/n2 >/dev/null 2>err || fail "cowln -v M/n M/n2: $(cat err)"
[ ! -s err ] || fail "an upper file: $(cat err)"
# Without -v nothing is said, and it is copied up all the same.
"$COWLN" M/f2 M/f3 2>err || fail "cowln M/f2 M/f3: $(cat err)"
[ ! -s err ] && [ -f "$fs/U/f2" ] || fail "cowln without -v: [$(cat err)], upper: $(ls "$fs/U")"
# -r: the files of the lower layer counted, not the one made in the overlay.
printf 'c\n' >M/t/c
"$COWLN" -rv M/t M/t2 >/dev/null 2>err || fail "cowln -rv M/t M/t2: $(cat err)"
[ "$(cat err)" = "cowln: 'M/t' => 'M/t2': 2 files (4.0 KiB) of a lower overlayfs layer copied up in full by the links, not space-free" ] ||
	fail "cowln -rv said: $(cat err)"
cmp -s M/t/sub/a M/t2/sub/a && cmp -s M/t/b "$fs/L/t/b" && same_inode M/t/b M/t2/b ||
	fail "the tree's copy differs"
# A bind mount of a directory of the overlay (mountinfo's root field).
mkdir B
mount --bind M/bd B && MOUNTS=("$T/B" "${MOUNTS[@]}")
if mountpoint -q B; then
	"$COWLN" -v B/w B/w2 >/dev/null 2>err || fail "cowln -v B/w B/w2: $(cat err)"
	[ "$(cat err)" = "cowln: 'B/w' => 'B/w2': 1 file (2 bytes) of a lower overlayfs layer copied up in full by the link, not space-free" ] ||
		fail "cowln -v through a bind mount said: $(cat err)"
	umount B
fi
# Where the upper layer cannot be seen (a container's overlay; here a
# tmpfs over it in a mount namespace of its own), -v says it cannot tell.
if unshare -m true 2>/dev/null; then
	unshare -m sh -c 'mount -t tmpfs none "$1" && exec "$2" -v M/u M/u2' sh "$fs" "$COWLN" \
		>/dev/null 2>err || fail "cowln -v M/u M/u2 without the upper layer: $(cat err)"
	[ "$(cat err)" = "cowln: 'M/u' => 'M/u2': on overlayfs, whose upper layer is not visible here: a file of a lower layer is copied up in full by the link, not space-free" ] ||
		fail "cowln -v without the upper layer said: $(cat err)"
	same_inode M/u M/u2 || fail "M/u and M/u2 are not one inode"
fi

# Under the shim a write to M/g gives it its own copy; M/f and M/h stay.
LD_PRELOAD=$PRELOAD sh -c 'printf more >>M/g' || fail "the write under the shim failed"
cmp -s M/f orig && cmp -s M/h orig || fail "M/f changed through M/g"
[ "$(tail -c 4 M/g)" = more ] && [ "$(stat -c %s M/g)" = 262148 ] || fail "M/g: $(stat -c %s M/g) bytes"
same_inode M/f M/g && fail "M/g still shares M/f's inode"
umount "$T/M"
exit 0
