#!/usr/bin/env bash
# Build and run every test: the README's test command, and all CI runs.
#   1. gcc build (-Werror), every test (unit, ABI, integration, and the
#      ThreadSanitizer checks of the fd table and the break lock, which are
#      executables of their own in that build);
#   2. clang build (-Werror), and each libFuzzer target for a fixed time;
#   3. AddressSanitizer + UndefinedBehaviorSanitizer build, every test;
# Installs missing Debian packages first. Build trees go to build/ (kept).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh test

jobs=$(nproc)
status=0
log() { printf '\n== %s ==\n' "$*"; }

log "gcc build and tests"
cmake -S . -B build/gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc -DCOWLINK_WERROR=ON -DCOWLINK_TESTS=ON >/dev/null
cmake --build build/gcc -j"$jobs"
ctest --test-dir build/gcc --no-tests=error --output-on-failure -j"$jobs" || status=1

log "clang build (warnings are errors) and the fuzz targets"
cmake -S . -B build/clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCOWLINK_WERROR=ON -DCOWLINK_TESTS=ON \
	-DCOWLINK_FUZZ=ON >/dev/null
cmake --build build/clang -j"$jobs" || status=1
ctest --test-dir build/clang --no-tests=error --output-on-failure -L fuzz || status=1

log "ASan+UBSan build and tests"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=gcc -DCOWLINK_SANITIZE=ON -DCOWLINK_WERROR=ON -DCOWLINK_TESTS=ON >/dev/null
cmake --build build/asan -j"$jobs"
# The shim is preloaded into programs that are not instrumented: the ASan
# runtime must come first in LD_PRELOAD (tests/integration/lib.sh does it).
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
COWLINK_ASAN_RUNTIME=$(gcc -print-file-name=libasan.so) \
	ctest --test-dir build/asan --no-tests=error --output-on-failure -j"$jobs" || status=1


log "summary"
[ $status = 0 ] && echo "all test runs passed" || echo "some test runs FAILED"
exit $status
