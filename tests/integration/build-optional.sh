# SPDX-License-Identifier: MIT
# A plain build needs neither cmocka nor libelf: a build that cannot find
# them configures, leaves cowlink audit out (which then says so and exits
# 2) and stands one skipped test in for the unit tests.
. "$(dirname "$0")/lib.sh"
# It configures and builds a tree of its own from the source, with the
# default compiler and no sanitizer: in the sanitizer build's run it would
# repeat the plain build's run (16 s) and check nothing of that build.
[ -z "${COWLINK_ASAN_RUNTIME:-}" ] || skip "builds its own plain tree: checked in the plain build's run"
need cmake
[ -n "${COWLINK_SRC:-}" ] || fail "COWLINK_SRC is not set"
hide="/usr/include;/usr/lib/x86_64-linux-gnu;/usr/lib;/lib/x86_64-linux-gnu;/lib;/usr/local/include;/usr/local/lib"
cmake -S "$COWLINK_SRC" -B b -DCMAKE_IGNORE_PATH="$hide" >conf.out 2>&1 ||
	fail "configure without cmocka and libelf failed: $(tail -5 conf.out)"
grep -q 'libelf not found.*cowlink audit is left out' conf.out || fail "configure did not say audit is left out"
grep -q 'cmocka not found.*unit tests are not built' conf.out || fail "configure did not say the unit tests are left out"
cmake --build b -j2 --target cowlink_tool >build.out 2>&1 || fail "cowlink without libelf did not build: $(tail -5 build.out)"
rc=0
b/tools/cowlink audit sh >out 2>err || rc=$?
[ "$rc" = 2 ] || fail "cowlink audit without libelf: exit $rc, want 2"
grep -q 'not in this build: cowlink was built without libelf' err || fail "cowlink audit said [$(cat err)]"
ctest --test-dir b -N >tests.out
grep -q 'unit/cmocka-missing' tests.out || fail "no unit/cmocka-missing test"
! grep -q 'unit/test_' tests.out || fail "unit tests registered without cmocka"
rc=0
ctest --test-dir b -R unit/cmocka-missing >run.out 2>&1 || rc=$?
grep -q 'Skipped' run.out || fail "unit/cmocka-missing did not report skipped: $(tail -3 run.out)"
exit 0
