# Security race (issue 5): while a break runs over and over, the name is
# swapped for a symlink to a file outside the directory and the directory
# for a symlink to another directory. The break must never write outside the
# directory it opened, never follow the swapped-in symlink, never change the
# outside file, and never change the other name of the set.
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

out=$("$prog" "$T" "${RACE_SECONDS:-4}")
note "$out"
case "$out" in *" 0 other errors") ;; *) fail "unexpected errors: $out" ;; esac
breaks=${out%% breaks*}
[ "$breaks" -gt 50 ] || fail "only $breaks breaks ran: the race did not run"

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
exit 0
