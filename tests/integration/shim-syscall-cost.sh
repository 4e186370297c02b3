#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What the shim costs in system calls (docs/DESIGN.md §4): a read-only open and
# a write on a known fd add none; a write-open adds at most one; start-up adds
# a fixed few (the fds 0-2 check). Counted with strace: the same command
# with twice the work under the shim must add exactly the calls it adds
# without it.
. "$(dirname "$0")/lib.sh"
need_shim
need strace
[ -z "${COWLINK_ASAN_RUNTIME:-}" ] || skip "counts system calls of the plain build"

# count SYSCALL-REGEX CMD...: how many matching calls CMD makes.
count() {
	local re=$1; shift
	strace -f -qq -o "$T/trace" "$@" >/dev/null 2>&1 || true
	grep -cE "^[0-9]+ +($re)\(" "$T/trace" || true
}
S="env LD_PRELOAD=$PRELOAD"

for i in $(seq 1 40); do printf 'f%s\n' "$i" >"f$i"; done
files20=$(printf 'f%s ' $(seq 1 20))
files40=$(printf 'f%s ' $(seq 1 40))
STATS='fstat|newfstatat|statx|lstat|stat|fgetxattr|lgetxattr|getxattr'

# Read-only opens: as many opens, and no stat or xattr call per file.
for re in openat "$STATS" ; do
	raw=$(( $(count "$re" cat $files40) - $(count "$re" cat $files20) ))
	got=$(( $(count "$re" $S cat $files40) - $(count "$re" $S cat $files20) ))
	[ "$got" = "$raw" ] || fail "20 more read-only opens: $got more [$re] calls under the shim, $raw without"
done

# Writes through a known fd: none per write.
for re in write "$STATS" fcntl; do
	raw=$(( $(count "$re" dd if=/dev/zero of=o bs=64 count=100) - $(count "$re" dd if=/dev/zero of=o bs=64 count=50) ))
	got=$(( $(count "$re" $S dd if=/dev/zero of=o bs=64 count=100) - $(count "$re" $S dd if=/dev/zero of=o bs=64 count=50) ))
	[ "$got" = "$raw" ] || fail "50 more writes: $got more [$re] calls under the shim, $raw without"
done

# A write-open of a one-link file: at most one extra call each.
wloop() { echo "import os
for i in range(1, $1 + 1): os.close(os.open('f%d' % i, os.O_WRONLY | os.O_APPEND))"; }
all="open|openat|write|close|dup2|fcntl|$STATS"
raw=$(( $(count "$all" python3 -c "$(wloop 20)") - $(count "$all" python3 -c "$(wloop 10)") ))
got=$(( $(count "$all" $S python3 -c "$(wloop 20)") - $(count "$all" $S python3 -c "$(wloop 10)") ))
[ "$got" -le $(( raw + 10 )) ] || fail "10 more write-opens: $got more calls under the shim, $raw without (at most one extra each)"
[ "$got" -gt "$raw" ] || note "write-opens cost no extra call here ($got vs $raw)"

# A shell's redirection of stdout (bash opens the file through the shim and
# moves it onto fd 1, then its saved stdout back): the open's one call, and
# one for each fd copied onto stdout (w_fd.c: stdio writes there past every
# wrapper), so at most three.
loop() { echo "for i in \$(seq 1 $1); do echo x >>f\$i; done"; }
raw=$(( $(count "$all" bash -c "$(loop 20)") - $(count "$all" bash -c "$(loop 10)") ))
got=$(( $(count "$all" $S bash -c "$(loop 20)") - $(count "$all" $S bash -c "$(loop 10)") ))
[ "$got" -le $(( raw + 30 )) ] || fail "10 more redirections: $got more calls under the shim, $raw without (at most three extra each)"
exit 0
