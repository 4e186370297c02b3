#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ccache with hard_link = true hands out hard links into its cache. With
# COWLINK_TREES covering the cache and the build directory, strip/objcopy
# and an in-place append on the object under the shim must leave the cache
# entry unchanged: the next hit returns the original object byte for byte.
. "$(dirname "$0")/lib.sh"
need_shim
need ccache gcc strip objcopy
export CCACHE_DIR="$T/cache" CCACHE_HARDLINK=true CCACHE_NOHASHDIR=true \
	CCACHE_NOCOMPRESS=true CCACHE_CONFIGPATH="$T/ccache.conf" CCACHE_TEMPDIR="$T/ccache-tmp"
: >"$CCACHE_CONFIGPATH"
mkdir -p "$T/src" "$T/build" "$CCACHE_DIR"
printf 'int answer(void) { return 42; }\nint main(void) { return answer() - 42; }\n' >"$T/src/m.c"
export COWLINK_TREES="$T/cache:$T/build"
# ccache itself runs without the shim: under it, ccache's own utime of a
# hit (to keep it from LRU cleanup) is a metadata change that breaks the
# fresh hard link at once (checked at the end).
cc() { (cd "$T/build" && ccache gcc -c -O1 -o m.o "$T/src/m.c"); }

cc                                   # miss: compiles, stores
cp "$T/build/m.o" "$T/orig.o"
rm "$T/build/m.o"
cc                                   # hit: a hard link into the cache
[ "$(stat -c %h "$T/build/m.o")" -ge 2 ] || skip "this ccache did not hard-link the object (hard_link mode unavailable)"
cmp -s "$T/build/m.o" "$T/orig.o" || fail "the first hit is not the compiled object"
entry=$(find "$CCACHE_DIR" -samefile "$T/build/m.o" | head -1)
[ -n "$entry" ] || fail "the cache entry behind the hard link was not found"
pick raw "$(snap_fields "$entry")" content

step() {
	# (ccache touches the entry's mtime on a hit: times are not compared.)
	pick raw "$(snap_fields "$entry")" content
	(cd "$T/build" && under_shim bash -c "$1") || fail "'$1' under the shim failed"
	pick now "$(snap_fields "$entry")" content
	[ "$now" = "$raw" ] || fail "'$1' changed the ccache entry"
	[ "$(stat -c %i "$T/build/m.o")" != "$(stat -c %i "$entry")" ] || fail "'$1': m.o still is the cache entry"
	rm "$T/build/m.o"
	cc
	cmp -s "$T/build/m.o" "$T/orig.o" || fail "after '$1' a ccache hit returned a different object"
	note "ok: ccache + $1"
}
step 'strip m.o'
step 'objcopy --remove-section .comment m.o'
step 'strip --strip-debug m.o'
not_under_asan dd && step 'printf garbage | dd of=m.o conv=notrunc status=none'
step 'echo trailing >> m.o'

# ccache under the shim: whatever it does with the hit, the entry holds.
# (Its chmod 0444 of the fresh link changes nothing and breaks nothing; its
# utime of the entry then gives the entry, not m.o, the private inode:
# the inode number is not compared.)
rm "$T/build/m.o"
pick raw "$(snap_fields "$entry")" content
raw=${raw/ $(stat -c %d:%i "$entry") / }
(cd "$T/build" && under_shim ccache gcc -c -O1 -o m.o "$T/src/m.c") || fail "ccache under the shim failed"
cmp -s "$T/build/m.o" "$T/orig.o" || fail "a ccache hit under the shim returned a different object"
(cd "$T/build" && under_shim strip m.o)
pick now "$(snap_fields "$entry")" content
now=${now/ $(stat -c %d:%i "$entry") / }
[ "$now" = "$raw" ] || fail "ccache + strip, both under the shim, changed the cache entry: [$raw] now [$now]"
cmp -s "$entry" "$T/orig.o" || fail "ccache + strip, both under the shim, changed the cache entry's content"
note "ok: ccache under the shim"
