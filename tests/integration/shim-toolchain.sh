#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The toolchain writing over one name of a cowlink set: ar r / ar d,
# ranlib, strip, objcopy (they rewrite in place when a file has several
# links), gcc -o and gcc -c over an existing output, ld -r.
. "$(dirname "$0")/lib.sh"
need_shim
need gcc ar ranlib strip objcopy ld
export IN="$T/in"
mkdir -p "$IN" && cd "$IN"
printf 'int x(void) { return 1; }\n' >x.c
printf 'int y(void) { return 2; }\n' >y.c
printf 'int z(void) { return 3; }\n' >z.c
printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' >hello.c
for f in x y z; do gcc -c -O1 -o $f.o $f.c; done
gcc -g -O1 -o hello hello.c
ar rcs lib.a x.o y.o
cd "$T"

seed_from() { cp "$1" "$2"; chmod 0750 "$2"; chown 65534:65534 "$2" 2>/dev/null || true; touch -d '2001-02-03' "$2"; }
seed_ar() { seed_from "$IN/lib.a" "$1"; }
seed_exe() { seed_from "$IN/hello" "$1"; }
seed_obj() { seed_from "$IN/x.o" "$1"; }

writer -s seed_ar ar-r 'ar r b "$IN/z.o" 2>&1'
writer -s seed_ar ar-d 'ar d b x.o'
writer -s seed_ar ranlib 'ar qS b "$IN/z.o" && ranlib b'
writer -s seed_ar ar-s 'ar s b'
writer -s seed_exe strip 'strip b'
writer -s seed_exe strip-debug 'strip --strip-debug b'
writer -s seed_exe objcopy 'objcopy --remove-section .comment b'
writer -s seed_exe objcopy-add 'objcopy --add-section .note.cowlink="$IN/x.c" b'
writer -s seed_exe gcc-o 'gcc -O1 -o b "$IN/hello.c" && ./b'
writer -s seed_obj gcc-c 'gcc -c -O1 -o b "$IN/y.c"'
writer -s seed_obj ld-r 'ld -r -o b "$IN/x.o" "$IN/z.o"'
reader -s seed_exe run './b'
reader -s seed_ar ar-t 'ar t b'
reader -s seed_exe objdump 'objdump -h b | tail -n +3 | wc -l'
