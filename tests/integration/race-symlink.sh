# SPDX-License-Identifier: MIT
# Security race (issue 5): while a break runs over and over, the name is
# swapped for a symlink to a file outside the directory and the directory
# for a symlink to another directory. The break must never write outside the
# directory it opened, never follow the swapped-in symlink, never change the
# outside file, and never change the other name of the set. It runs for
# RACE_SECONDS and until RACE_ROUNDS breaks have been made (progs/race.h);
# a machine too slow to get there within RACE_CAP seconds reports the race
# as not run (skipped), not as a failure.
# ctest: RESOURCE_LOCK heavy LABELS heavy TIMEOUT 300
. "$(dirname "$0")/lib.sh"
prog="$COWLINK_PROGS/race_symlink"
[ -x "$prog" ] || fail "race_symlink was not built"
mkdir real outside
head -c 300000 /dev/urandom >real/y
cp real/y y.orig
echo SECRET >outside/target
echo OUTSIDE-X >outside/x
chmod 0644 outside/target outside/x
ln -s ../outside/target real/x.link
ln -s real d
ln -s outside d.link
before=$(cd outside && stat -c '%n %i %s %a %Y' * && sha256sum *)

rounds=${RACE_ROUNDS:-50} cap=${RACE_CAP:-150}
out=$("$prog" "$T" "${RACE_SECONDS:-4}" "$rounds" "$cap")
note "$out"
case "$out" in *" 0 other errors") ;; *) fail "unexpected errors: $out" ;; esac
breaks=${out%% breaks*}

after=$(cd outside && stat -c '%n %i %s %a %Y' * && sha256sum *)
[ "$before" = "$after" ] || fail "outside/ changed: [$before] -> [$after]"
cmp -s real/y y.orig || fail "real/y (the other name) changed"
for n in real/x real/x.link; do
	if [ -L "$n" ]; then
		[ "$(readlink "$n")" = ../outside/target ] || fail "$n: symlink changed"
	else
		cmp -s "$n" y.orig || fail "$n: neither the symlink nor a whole copy of y"
	fi
done
litter=$(ls -a real outside | grep '^\.cowlink-tmp\.' || true)
[ -z "$litter" ] || fail "temp litter left: $litter $(cd real && stat -c "%n %i %h %s" -- * .cowlink-tmp.* 2>/dev/null)"
[ "$breaks" -ge "$rounds" ] || skip "the race was not run: $breaks breaks in $cap s, $rounds wanted"
exit 0
