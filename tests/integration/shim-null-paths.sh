# SPDX-License-Identifier: MIT
# Every path-taking wrapper given a NULL path answers as libc does (EFAULT
# and the like), under the shim exactly as without it: no crash.
. "$(dirname "$0")/lib.sh"
need_shim
prog="$COWLINK_PROGS/null_paths"
[ -x "$prog" ] || fail "null_paths was not built"
raw=$("$prog") || fail "null_paths failed without the shim"
got=$(under_shim "$prog") || fail "null_paths failed (crashed?) under the shim: [$got]"
[ "$got" = "$raw" ] || fail "NULL paths: under the shim [$got], without [$raw]"
exit 0
