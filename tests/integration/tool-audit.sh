# SPDX-License-Identifier: MIT
# cowlink audit: dynamic programs are covered, those that also import
# syscall() with a word on their raw calls (importing it is not writing
# through it: gcc and python3 do); static, set-ID, 32-bit, raw-syscall only,
# liburing, non-ELF and truncated files are not, with the reason and whether
# cowlink run covers them; scripts are judged by their interpreter; missing
# and unreadable files are errors.
. "$(dirname "$0")/lib.sh"
need python3
# The system python: a version manager's wrapper costs seconds a call.
PY=$(command -v /usr/bin/python3 || command -v python3)
[ -x "${COWLINK_TOOL:-}" ] || fail "COWLINK_TOOL is not set"
C=$COWLINK_TOOL
if grep -q 'not in this build' < <("$C" audit sh 2>&1 || true); then
	skip "cowlink was built without libelf: no audit to test"
fi

# verdict WANT_RC PATTERN PROG...: exit status and output line.
verdict() {
	local want=$1 pat=$2 rc=0 out; shift 2
	out=$("$C" audit "$@" 2>&1) || rc=$?
	[ "$rc" = "$want" ] || fail "audit $*: exit $rc, want $want: $out"
	grep -Eq -- "$pat" <<<"$out" || fail "audit $*: [$out] does not match [$pat]"
}

verdict 0 '^sh: covered \(dynamic, imports .*\b(open|fopen)\b' sh
verdict 0 "^$(command -v cat): covered" "$(command -v cat)"

# static: Debian's ldconfig is static; else build one.
if [ -e /sbin/ldconfig ] && ! grep -q INTERP < <(LC_ALL=C readelf -l /sbin/ldconfig 2>/dev/null); then
	verdict 1 'NOT covered: static executable' /sbin/ldconfig
fi
if command -v gcc >/dev/null; then
	printf 'int main(void){return 0;}\n' >m.c
	if gcc -static -o static m.c 2>/dev/null; then
		verdict 1 '^\./static: NOT covered: static executable.*cowlink run covers it$' ./static
	fi
	# A program that makes raw system calls only, as Go programs do.
	printf '#include <unistd.h>\n#include <sys/syscall.h>\nint main(void){return syscall(SYS_write,1,"x",1)!=1;}\n' >raw.c
	gcc -o raw raw.c && verdict 1 'NOT covered: dynamic, but imports none of the libc calls.*; cowlink run covers it$' ./raw
	# Wrapped calls and syscall() too: covered, and the raw calls, if it
	# makes any, are not (said, not a NOT covered: gcc and python3 import
	# syscall() too).
	printf '#include <fcntl.h>\n#include <unistd.h>\n#include <sys/syscall.h>\nint main(void){int fd=open("x",O_WRONLY);return syscall(SYS_openat,AT_FDCWD,"y",O_WRONLY)+fd;}\n' >mixed.c
	gcc -o mixed mixed.c && verdict 0 '^\./mixed: covered, but imports syscall\(\): raw system calls it makes, if any, are not; cowlink run covers them \(dynamic, imports open' ./mixed
	verdict 0 '^/usr/bin/gcc: covered, but imports syscall\(\)' /usr/bin/gcc
	# A liburing program: io_uring I/O bypasses the shim.
	if printf '#include <liburing.h>\n#include <fcntl.h>\nint main(void){struct io_uring r;return open("x",O_WRONLY)+io_uring_queue_init(2,&r,0);}\n' >ur.c &&
		gcc -o ur ur.c -luring 2>/dev/null; then
		verdict 1 '^\./ur: NOT covered: dynamic, imports open, but it links liburing' ./ur
	else
		note "no liburing-dev: the liburing case is not checked"
	fi
	# Its file I/O in a library of its own, found through DT_RUNPATH $ORIGIN.
	mkdir lib
	printf '#include <stdio.h>\nint lib_save(const char *p){FILE *f=fopen(p,"w");return f?fclose(f):-1;}\n' >lib.c
	printf 'int lib_save(const char *p);\nint main(int c,char **v){return c>1?lib_save(v[1]):0;}\n' >prog.c
	gcc -shared -fPIC -o lib/libsave.so lib.c && gcc -o prog prog.c -Llib -lsave -Wl,-rpath,'$ORIGIN/lib' \
		&& verdict 0 '^\./prog: covered \(dynamic, its library libsave\.so imports fopen\)' ./prog
	gcc -o dyn m.c && cp dyn suid && chmod 4755 suid && verdict 1 'NOT covered: set-user-ID program' ./suid
	cp dyn sgid && chmod 2755 sgid && verdict 1 'NOT covered: set-group-ID program' ./sgid
fi

# 32-bit: a real one if gcc -m32 works, else a crafted ELF32 header.
if ! { command -v gcc >/dev/null && gcc -m32 -o elf32 m.c 2>/dev/null; }; then
	"$PY" - <<'PY'
import struct
ident = b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8)          # ELFCLASS32, LSB
hdr = ident + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, 0x8048054, 52, 0, 0, 52, 32, 1, 40, 0, 0)
ph = struct.pack("<IIIIIIII", 1, 0, 0x8048000, 0x8048000, 84, 84, 5, 0x1000)
open("elf32", "wb").write(hdr + ph)
PY
fi
verdict 1 'NOT covered: 32-bit ELF program: libcowlink.so is built 64-bit only' ./elf32

# Not ELF, empty, truncated.
echo 'just text' >text && verdict 1 '^\./text: NOT covered: not an ELF program' ./text
: >empty && verdict 1 'NOT covered: not an ELF program' ./empty
for n in 16 100 2000; do
	head -c $n "$(command -v cat)" >trunc$n
	verdict 1 'NOT covered: (corrupt or )?truncated ELF' ./trunc$n
done

# Scripts: the interpreter is judged, directly and through env.
printf '#!/bin/sh\necho hi\n' >s1 && chmod +x s1
verdict 0 '^\./s1: covered \(script for /bin/sh: dynamic' ./s1
printf '#!/usr/bin/env -S sh -e\necho hi\n' >s2 && chmod +x s2
verdict 0 'covered \(script for sh: dynamic' ./s2
if [ -e /sbin/ldconfig ] && grep -q "static executable" < <("$C" audit /sbin/ldconfig); then
	printf '#!/sbin/ldconfig\n' >s3 && verdict 1 'NOT covered: script for /sbin/ldconfig: static executable' ./s3
fi
printf '#!/no/such/interp\n' >s4 && verdict 1 'NOT covered: script for /no/such/interp' ./s4

# Several: the worst status wins; each gets its line.
verdict 1 'text: NOT covered' sh ./text

# Errors: missing, a directory, unreadable (as a non-root user).
verdict 2 'cowlink: \./missing: No such file' ./missing
verdict 2 'not found in PATH' no-such-program-xyz
mkdir d && verdict 2 'Is a directory' ./d
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	cp "$(command -v cat)" secret && chmod 0700 secret && chmod 0755 "$T"
	rc=0; out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$C" audit ./secret 2>&1) || rc=$?
	[ "$rc" = 2 ] && grep -q "Permission denied" <<<"$out" || fail "unreadable program: exit $rc: $out"
fi
rc=0; "$C" audit 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "audit without a program: exit $rc"
exit 0
