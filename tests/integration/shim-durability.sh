#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# COWLINK_FSYNC=auto (docs/DESIGN.md §5, durability): a break on ext4 leaves
# its copy unsynced only where the replacing rename writes the data first,
# which ext4 does with auto_da_alloc in data=ordered mode; mounted with
# noauto_da_alloc or data=writeback it does not, and the copy must be
# synced before the rename, or a power loss may leave the name short or
# empty. Counted with strace on a loop-mounted ext4 in each mode.
. "$(dirname "$0")/lib.sh"
need_shim
need_root
need strace
mnt=$(loopfs ext4 32)
img=$mnt.img

# syncs [ENV...]: break $mnt/b (a cowlink of $mnt/a) by appending a line
# under the shim; print how many fdatasync/fsync calls it made, and check
# the names.
syncs() {
	rm -f "$mnt/a" "$mnt/b"
	head -c 200000 /dev/urandom >"$mnt/a"
	local before
	before=$(snapshot "$mnt/a")
	cow_link "$mnt/a" "$mnt/b"
	env "$@" strace -f -qq -e trace=fdatasync,fsync -o "$T/trace" \
		env LD_PRELOAD="$PRELOAD" sh -c "echo more >>'$mnt/b'" || fail "the append failed ($*)"
	expect_unchanged "$mnt/a" "$before"
	[ "$(tail -c 5 "$mnt/b")" = more ] || fail "b did not get the line ($*)"
	grep -cE '^[0-9]+ +f(data)?sync\(' "$T/trace" || true
}

n=$(syncs)
[ "$n" = 0 ] || fail "ext4 with auto_da_alloc, data=ordered: $n syncs, want none"
n=$(syncs COWLINK_FSYNC=always)
[ "$n" -ge 1 ] || fail "COWLINK_FSYNC=always: no sync"

mount -o remount,noauto_da_alloc "$mnt" || skip "cannot remount with noauto_da_alloc"
grep -q " $mnt .*noauto_da_alloc" /proc/self/mountinfo || skip "noauto_da_alloc not shown"
n=$(syncs)
[ "$n" -ge 1 ] || fail "ext4 with noauto_da_alloc: the copy was not synced"
n=$(syncs COWLINK_FSYNC=never)
[ "$n" = 0 ] || fail "COWLINK_FSYNC=never: $n syncs"

umount "$mnt" || fail "umount"
mount -o loop,data=writeback "$img" "$mnt" || skip "cannot mount with data=writeback"
n=$(syncs)
[ "$n" -ge 1 ] || fail "ext4 with data=writeback: the copy was not synced"
echo "ok"
