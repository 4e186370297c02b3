#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build and run every test: the README's test command, and all CI runs.
#   1. gcc build (-Werror), every test (unit, ABI, integration, and the
#      ThreadSanitizer checks of the fd table and the break lock, which are
#      executables of their own in that build) but one of the writer
#      tests' two cowlink run modes, chosen by the commit;
#   2. clang build (-Werror), and each libFuzzer target for a fixed time;
#   3. AddressSanitizer + UndefinedBehaviorSanitizer build, every test but
#      the writer tests' cowlink run modes (label run);
# Installs missing Debian packages first. Build trees go to build/ (kept).
# At the end: each stage's time and the ten slowest tests.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
stages=()
t0=$SECONDS
# log NAME: a stage begins (and the one before it ends).
log() {
	[ -z "${stage:-}" ] || stages+=("$(printf '%5d s  %s' $((SECONDS - t0)) "$stage")")
	stage=$1 t0=$SECONDS
	printf '\n== %s ==\n' "$*"
}
# tests DIR ARGS...: ctest in DIR, its output kept for the summary.
tests() {
	local dir=$1
	shift
	ctest --test-dir "$dir" --no-tests=error --output-on-failure "$@" 2>&1 | tee "$dir/ctest.log"
}

log "packages"
bash tools/deps.sh test

jobs=$(nproc)
# Tests at once: one more than the cores. Most tests are one shell script
# on one core, and some wait more than they work: pjdfstest's part with
# chown/00.t sleeps 147 s of its 220, and with as many tests as cores a
# sleeping one leaves its core idle (the test command ran 920-930 s in
# that part). Every test's timeout allows for a third sharing the cores.
tjobs=$((jobs + 1))
status=0
# pjdfstest's run without the shim depends on the kernel and the
# filesystem only: made once by the first build that runs it, reused by
# the other (tests/integration/pjdfstest.sh).
export PJDFSTEST_PLAIN_CACHE=$PWD/build/pjdfstest-plain
rm -rf "$PJDFSTEST_PLAIN_CACHE"

log "gcc build and tests"
cmake -S . -B build/gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc -DCOWLINK_WERROR=ON -DCOWLINK_TESTS=ON >/dev/null
cmake --build build/gcc -j"$jobs"
# The writer tests' two cowlink run modes (labels mode-run, mode-run-noshim)
# cost the gcc build's tests a quarter again: it runs one of them, chosen by
# the commit as pjdfstest's part is, so that successive commits run both
# (COWLINK_RUN_MODES=all runs both).
commit=$(git rev-parse --short=7 HEAD 2>/dev/null || echo 0)
one_mode=(-LE '^mode-run-noshim$')
[ $((16#$commit % 2)) = 0 ] || one_mode=(-LE '^mode-run$')
[ "${COWLINK_RUN_MODES:-}" != all ] || one_mode=()
tests build/gcc -j"$tjobs" "${one_mode[@]}" || status=1

log "clang build (warnings are errors) and the fuzz targets"
cmake -S . -B build/clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCOWLINK_WERROR=ON -DCOWLINK_TESTS=ON \
	-DCOWLINK_FUZZ=ON >/dev/null
cmake --build build/clang -j"$jobs" || status=1
tests build/clang -L fuzz -j"$jobs" || status=1

log "ASan+UBSan build and tests"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=gcc -DCOWLINK_SANITIZE=ON -DCOWLINK_WERROR=ON -DCOWLINK_TESTS=ON >/dev/null
cmake --build build/asan -j"$jobs"
# The shim is preloaded into programs that are not instrumented: the ASan
# runtime must come first in LD_PRELOAD (tests/integration/lib.sh does it).
# Not the writer tests' cowlink run modes (label "run"): they double those
# tests' cost, the gcc build runs them, and the sanitizers see the
# supervisor in run-seccomp-*.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
COWLINK_ASAN_RUNTIME=$(gcc -print-file-name=libasan.so) \
	tests build/asan -LE '^run$' -j"$tjobs" || status=1

log "summary"
printf '%s\n' "${stages[@]}"
echo "the ten slowest tests:"
# awk reads to the end: head would close the pipe early, and sort's
# SIGPIPE, with pipefail and set -e, ended the command with status 141.
for b in gcc clang asan; do
	sed -n "s|^ *[0-9]*/[0-9]* Test *#[0-9]*: \([^ ]*\) .* \([0-9.]*\) sec\$|\2 $b \1|p" "build/$b/ctest.log" 2>/dev/null
done | sort -rn | awk 'NR <= 10 { printf "%8.1f s  %s  %s\n", $1, $2, $3 }'
[ $status = 0 ] && echo "all test runs passed" || echo "some test runs FAILED"
exit $status
