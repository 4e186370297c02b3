#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Programs at the shim's binary edges: variadic argument promotion through
# open/fcntl/ioctl, and a write-open made by another library's constructor
# before libcowlink.so's own constructor ran. Each write-open of a cowlink
# must break exactly its name.
. "$(dirname "$0")/../integration/lib.sh"
need_shim
need setfattr getfattr
[ -x "${ABI_VARIADIC:-}" ] && [ -x "${ABI_CTOR_MAIN:-}" ] || skip "the ABI test programs are not built"

# Variadic promotion.
mkdir v
seed_file v/a
for n in b c d e f g h; do cow_link v/a "v/$n"; done # h stays shared
before=$(cow_snapshot v/a)
raw=$(snapshot v/a)
under_shim "$ABI_VARIADIC" "$T/v" || fail "variadic calls under the shim (see above)"
expect_unchanged v/a "$raw"
expect_cow_unchanged v/a "$before"
for n in b c d e f g; do
	! same_inode v/a "v/$n" || fail "variadic: the write-open of $n did not break it"
	[ "$(tail -c 1 "v/$n")" = x ] || fail "variadic: the write to $n is not in $n"
	[ "$(stat -c %a "v/$n")" = 640 ] || fail "variadic: $n has mode $(stat -c %a "v/$n"), want 640"
done

# A constructor that runs before ours: ld.so initializes the program's own
# dependencies (libabi_ctor.so) before the preloaded library. Check that
# order where LD_DEBUG can show it, so that the test tests what it says.
mkdir c
seed_file c/a
cow_link c/a c/b
cow_link c/a c/c
raw=$(snapshot c/a)
order=$(LD_DEBUG=libs LD_PRELOAD="$PRELOAD" "$ABI_CTOR_MAIN" 2>&1 >/dev/null | grep 'calling init' | grep -o 'lib[a-z_]*\.so' | tr '\n' ' ') || true
case $order in
*libabi_ctor.so*libcowlink.so*) ;;
*) note "constructor order here: [$order] (libabi_ctor.so is not first)";;
esac
ABI_CTOR_PATH="$T/c/b" under_shim "$ABI_CTOR_MAIN" || fail "the constructor's write failed under the shim"
expect_unchanged c/a "$raw"
same_inode c/a c/c || fail "constructor: a and c no longer share"
! same_inode c/a c/b || fail "constructor: the write-open did not break b"
grep -q 'from a constructor' c/b || fail "constructor: the write is not in b"
! grep -q 'from a constructor' c/a || fail "constructor: the write reached the shared inode"
note "ok"
