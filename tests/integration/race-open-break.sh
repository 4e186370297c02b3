# SPDX-License-Identifier: MIT
# A write-open through the shim racing with a break of the same name: when
# the break leaves the old inode with one name (another file now), an open
# that looked the name up just before the rename must not write into it.
# The master of a two-name set is appended to through the other name while
# another process breaks and relinks that name over and over; the master
# never changes. It runs for RACE_SECONDS and until each side has made
# RACE_ROUNDS rounds (progs/race.h); a machine too slow to get there within
# RACE_CAP seconds reports the race as not run (skipped), not as a failure.
# ctest: RESOURCE_LOCK heavy LABELS heavy TIMEOUT 300
. "$(dirname "$0")/lib.sh"
[ -n "${LIBCOWLINK:-}" ] || fail "needs libcowlink.so"
prog="$COWLINK_PROGS/race_open_break"
[ -x "$prog" ] || fail "race_open_break was not built"
printf 'master\n' >master
cp master master.orig
rounds=${RACE_ROUNDS:-100} cap=${RACE_CAP:-150}
out=$(under_shim "$prog" master name "${RACE_SECONDS:-4}" "$rounds" "$cap") || fail "race_open_break failed"
note "$out"
cmp -s master master.orig || fail "the master changed: $(head -c 80 master | od -c | head -3)"
appends=${out%% appends*}
breaks=${out##*, }
breaks=${breaks%% breaks*}
[ "$appends" -ge "$rounds" ] && [ "$breaks" -ge "$rounds" ] ||
	skip "the race was not run: $out in $cap s, $rounds of each wanted"
exit 0
