# SPDX-License-Identifier: MIT
# A metadata change through an fd opened read-only before its name was
# broken, removed or replaced must not reach the file the other name stands
# for (the fd's inode is that file now): it fails with ETXTBSY, and A stays
# byte-, mode-, owner-, mtime- and xattr-identical. Two-name and three-name
# sets; fchmod, fchown, futimens, fsetxattr, fremovexattr.
. "$(dirname "$0")/lib.sh"
need_shim
need python3 getfattr setfattr

printf 'new\n' >new.txt
cat >stale.py <<'PY'
import errno, os, subprocess, sys
how, op, names = sys.argv[1], sys.argv[2], sys.argv[3:]
fd = os.open("B", os.O_RDONLY)
if how == "break":
    subprocess.run(["sh", "-c", "echo x >> B"], check=True)
elif how == "rm":
    os.unlink("B")
elif how == "replace":
    subprocess.run(["cp", "../new.txt", "N"], check=True)
    os.rename("N", "B")
try:
    if op == "fchmod":
        os.fchmod(fd, 0o600)
    elif op == "fchown":
        os.fchown(fd, -1, 4242)
    elif op == "futimens":
        os.utime(fd, (1, 1))
    elif op == "fsetxattr":
        os.setxattr(fd, "user.tag", b"changed")
    elif op == "fremovexattr":
        os.removexattr(fd, "user.tag")
except OSError as e:
    print(errno.errorcode[e.errno])
    sys.exit(0)
print("done")
PY
n=0
for names in 2 3; do
	for how in break rm replace; do
		for op in fchmod fchown futimens fsetxattr fremovexattr; do
			d=d$((n += 1))
			mkdir "$d"
			printf 'original\n' >"$d/A"
			chmod 640 "$d/A"
			setfattr -n user.tag -v keep "$d/A"
			touch -d '2001-02-03 04:05:06' "$d/A"
			cow_link "$d/A" "$d/B"
			[ "$names" = 3 ] && cow_link "$d/A" "$d/C"
			pick before "$(snap_fields "$d/A")" logical
			got=$(cd "$d" && under_shim python3 ../stale.py "$how" "$op") || fail "$how/$op: python failed"
			pick after "$(snap_fields "$d/A")" logical
			[ "$after" = "$before" ] || fail "$names names, $how then $op through the old fd changed A: [$before] -> [$after]"
			[ "$got" = ETXTBSY ] || fail "$names names, $how then $op: got $got, want ETXTBSY"
		done
	done
done
# The fd of a name that was not replaced still works as before.
mkdir ok && printf 'x\n' >ok/A && cow_link ok/A ok/B
(cd ok && under_shim python3 -c 'import os; fd = os.open("B", os.O_RDONLY); os.fchmod(fd, 0o600)') ||
	fail "fchmod through an fd of an unbroken cowlink failed"
[ "$(stat -c %a ok/B)" = 600 ] && [ "$(stat -c %a ok/A)" != 600 ] || fail "fchmod of B's fd: B $(stat -c %a ok/B), A $(stat -c %a ok/A)"
exit 0
