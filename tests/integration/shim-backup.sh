#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Backups taken under the shim, restored without it: which tools store the
# two names of a cowlink set as two independent files, and the cases the
# LIMITS of libcowlink(7) state where they cannot. Under the shim a cowlink shows
# one link, so tools that look for hard links by st_nlink > 1 (tar of one
# tree, cp -a, rsync -H) store every name in full. Tools that identify
# files by (st_dev, st_ino) whatever the link count -- GNU tar given more
# than one name or -h, cp -L or -H on names given as operands while
# preserving links -- store the second name as a hard link to the first:
# the names share st_ino (docs/DESIGN.md §8). --hard-dereference (tar) and
# --no-preserve=links (cp) store them in full again.
. "$(dirname "$0")/lib.sh"
need_shim
need tar cp
mkdir -p "$T/d"
seed_file "$T/d/A"
cow_link "$T/d/A" "$T/d/B"
cd "$T"

# apart DIR: DIR/A and DIR/B, restored without the shim, are two files of
# their own with the set's content, no mark; together: the same inode.
apart() {
	[ "$(stat -c %d:%i "$1/A")" != "$(stat -c %d:%i "$1/B")" ] ||
		fail "$2: the two names came back as one inode (a hard link)"
	[ "$(stat -c %h "$1/A")" = 1 ] && [ "$(stat -c %h "$1/B")" = 1 ] ||
		fail "$2: a restored name has other links"
	cmp -s "$1/A" d/A && cmp -s "$1/B" d/A || fail "$2: content differs"
	! is_marked "$1/A" && ! is_marked "$1/B" || fail "$2: the mark was copied"
	note "ok: $2 stores both names in full"
}
together() {
	[ "$(stat -c %d:%i "$1/A")" = "$(stat -c %d:%i "$1/B")" ] ||
		fail "$2: expected (libcowlink(7), LIMITS) one hard link, got two files: update libcowlink(7)"
	note "ok: $2 stores a hard link, as libcowlink(7) says"
}
# untar NAME TARBALL: extract without the shim into NAME; the names at its top.
untar() {
	mkdir "$1"
	tar -xf "$2" -C "$1"
	[ ! -d "$1/d" ] || mv "$1"/d/* "$1"/
}

under_shim tar -cf one.tar d
untar one one.tar
apart one "tar -c d (one tree)"

(cd d && under_shim tar -cf ../two.tar A B)
untar two two.tar
together two "tar -c A B (two operands)"

(cd d && under_shim tar --hard-dereference -cf ../hd.tar A B)
untar hd hd.tar
apart hd "tar --hard-dereference -c A B"

under_shim tar -chf deref.tar d
untar deref deref.tar
together deref "tar -ch d (dereferencing)"

under_shim cp -a d cp-a
apart cp-a "cp -a d"
mkdir cp-aL cp-aH cp-nolinks cp-a-ops
(cd d && under_shim cp -a A B ../cp-a-ops/)
apart cp-a-ops "cp -a A B dir/"
under_shim cp -a -H d cp-a-H
apart cp-a-H "cp -a -H d"
(cd d && under_shim cp -aL A B ../cp-aL/)
together cp-aL "cp -aL A B dir/"
(cd d && under_shim cp -a -H A B ../cp-aH/)
together cp-aH "cp -a -H A B dir/"
(cd d && under_shim cp -aL --no-preserve=links A B ../cp-nolinks/)
apart cp-nolinks "cp -aL --no-preserve=links A B dir/"

if command -v rsync >/dev/null; then
	under_shim rsync -aH d/ rsync/
	apart rsync "rsync -aH d/"
fi

# Without the shim a backup sees the hard link, as libcowlink(7) says.
tar -cf raw.tar d
untar raw raw.tar
together raw "tar -c d without the shim"
note "ok: all"
