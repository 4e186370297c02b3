# SPDX-License-Identifier: MIT
# A writable fd on a shared inode inherited from a shell without the shim
# (exec 3>>B) and copied onto 1 after start-up: bash's echo and printf, and
# python's print, write through stdio past every wrapper. The copy itself is
# refused (ETXTBSY), so nothing reaches A (or B's shared inode).
. "$(dirname "$0")/lib.sh"
need_shim
need python3
cases=(
	'exec 1>&3; echo hi'
	'exec 1>&3; printf hi'
	'echo hi >&3'
	'printf "%s\n" hi >&3'
	'cat /etc/hostname >&3'
	'python3 -c "import os; os.dup2(3, 1); print(\"hi\", flush=True)"'
	'python3 -c "import os; fd = os.dup(3); os.write(fd, b\"hi\")"'
	'python3 -c "import os; os.close(1); os.dup(3); print(\"hi\", flush=True)"'
)
n=0
for c in "${cases[@]}"; do
	d=d$((n += 1))
	mkdir "$d" && cd "$d"
	printf 'original\n' >A
	chmod 640 A
	cow_link A B
	pick before "$(snap_fields A)" raw
	out=$(env -u LD_PRELOAD bash -c 'exec 3>>B; LD_PRELOAD="$PRELOAD" bash -c "$1"' _ "$c" 2>&1) || true
	pick after "$(snap_fields A)" raw
	[ "$after" = "$before" ] || fail "[$c] wrote into the shared inode: [$before] -> [$after]"
	case $out in
	*"Text file busy"*) ;;
	*) fail "[$c] did not say ETXTBSY: $out" ;;
	esac
	cd ..
done
# A read-only inherited fd may still be copied; a private one too.
mkdir ro && cd ro && printf 'x\n' >A && cow_link A B
env -u LD_PRELOAD bash -c 'exec 3<B; LD_PRELOAD="$PRELOAD" bash -c "exec 4<&3; cat <&4"' >out ||
	fail "copying a read-only fd of a cowlink failed"
grep -qx x out || fail "reading through the copied read-only fd"
under_shim bash -c 'exec 3>>B; exec 1>&3; echo private' || fail "a private fd could not be copied"
grep -qx private B && ! grep -q private A || fail "the private append went wrong"
exit 0
