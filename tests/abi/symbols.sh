#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The shim's exports (STYLE.md "Tests", firebuild's test_symbols):
#  1. libcowlink.so exports exactly the rows of wrap.def (exports.txt is
#     made from it), nothing more -- no helper leaks out of the version
#     script -- and nothing less;
#  2. every export exists in the libc.so.6 the library loads: a wrapper of a
#     name libc lacks would be a typo, or shadow another library's symbol;
#  3. every twin through which a program compiled against this libc reaches
#     a wrapped function is wrapped too: the fortify twins __X_2 and __X_chk
#     of a wrapped X (today __open_2, __open64_2, __openat_2, __openat64_2;
#     libc has no __X_chk of a wrapped X -- its _chk functions of file calls,
#     __read_chk, __pread_chk, __readlink_chk..., read into the caller's
#     buffer and change no file, so they are not wrapped and need not be),
#     and the large-file twin X64 of a wrapped X (_FILE_OFFSET_BITS=64
#     programs call it instead).
#  4. on x86-64 the shim needs no libc symbol version but GLIBC_2.2.5 and
#     getauxval's GLIBC_2.16: the dynamic loader checks each version a
#     library needs in every process it starts (lib/preload/versions.c).
# Printed as notes, not failures: libc's __X aliases of wrapped X (__open,
# __write, __close...: no header declares them, compilers never emit calls
# to them).
# Failures too: fd writers that reach write(2) through glibc-internal calls
# (dprintf, vdprintf and their _chk twins) must have wrappers of their own.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
note() { echo "# $*" >&2; }
command -v nm >/dev/null || skip "nm (binutils) is not installed"
[ -f "${LIBCOWLINK:-}" ] || skip "libcowlink.so is not built"
[ -f "${COWLINK_EXPORTS:-}" ] || fail "exports.txt ($COWLINK_EXPORTS) is missing"

T=$(mktemp -d "${TMPDIR:-/tmp}/cowlink-abi.XXXXXX")
trap 'rm -rf "$T"' EXIT

# Defined dynamic symbols of a library, without versions, one per line.
dynsyms() { nm -D --defined-only "$1" | awk 'NF >= 3 {print $3}' | sed 's/@.*//' | sort -u; }

libc=$(ldd "$LIBCOWLINK" | awk '$1 == "libc.so.6" {print $3}')
[ -f "$libc" ] || fail "cannot find the libc.so.6 that $LIBCOWLINK loads"
dynsyms "$LIBCOWLINK" >"$T/ours"
sort -u "$COWLINK_EXPORTS" >"$T/table"
dynsyms "$libc" >"$T/libc"
[ -s "$T/table" ] || fail "exports.txt is empty"

# 1. exports == table
if ! diff -u "$T/table" "$T/ours" >"$T/diff"; then
	cat "$T/diff" >&2
	fail "libcowlink.so's exports differ from wrap.def (- table only, + exported only)"
fi

# 2. exports are libc's
missing=$(comm -23 "$T/ours" "$T/libc" | tr '\n' ' ')
[ -z "$missing" ] || fail "exported but not in $libc: $missing"

# 3. twins of wrapped symbols are wrapped
sed 's/.*/__&_2\n__&_chk\n&64/' "$T/ours" | sort -u >"$T/twins"
unwrapped=$(comm -12 "$T/twins" "$T/libc" | comm -23 - "$T/ours" | tr '\n' ' ')
[ -z "$unwrapped" ] || fail "libc has twins of wrapped symbols that are not wrapped: $unwrapped"
for s in __open_2 __open64_2 __openat_2 __openat64_2; do
	grep -qx -- "$s" "$T/ours" || fail "fortify twin $s is not wrapped"
done

# 4. version needs
if [ "$(uname -m)" = x86_64 ] && command -v readelf >/dev/null; then
	needs=$(readelf -V "$LIBCOWLINK" | sed -n 's/.*Name: \(GLIBC_[^ ]*\) .*/\1/p' | sort -u |
		grep -vx -e GLIBC_2.2.5 -e GLIBC_2.16 | tr '\n' ' ' || true)
	[ -z "$needs" ] || fail "libcowlink.so needs libc symbol versions past GLIBC_2.2.5 and GLIBC_2.16 (each costs every process a check; see lib/preload/versions.c): $needs"
fi

# Notes.
aliases=$(sed 's/^/__/' "$T/ours" | sort | comm -12 - "$T/libc" | comm -23 - "$T/ours" | tr '\n' ' ')
[ -z "$aliases" ] || note "libc's internal aliases, not wrapped (no header declares them): $aliases"
gaps=
for s in dprintf vdprintf __dprintf_chk __vdprintf_chk; do
	if grep -qx -- "$s" "$T/libc" && ! grep -qx -- "$s" "$T/ours"; then
		gaps="$gaps $s"
	fi
done
[ -z "$gaps" ] || fail "fd writers that bypass the write wrappers (glibc-internal write):$gaps"
note "ok: $(wc -l <"$T/ours") exports, all in wrap.def and in $libc"
