#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# No wrapped symbol in the core: lib/core is linked into the shim, so a call
# there of a name the shim exports (open, write, recvmsg...) would go through
# the shim's own wrapper -- at best a second check, at worst a recursion.
# banned.h (made from wrap.def) stops such a call by name at compile time;
# this checks the built archive itself, which also catches a call the
# compiler made up (a builtin lowered to a libc call) or one reached through
# a macro the ban does not see. The core's undefined symbols and the shim's
# exports must not meet.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
command -v nm >/dev/null || skip "nm (binutils) is not installed"
[ -f "${COWLINK_CORE:-}" ] || fail "the core archive ($COWLINK_CORE) is missing"
[ -f "${COWLINK_EXPORTS:-}" ] || fail "exports.txt ($COWLINK_EXPORTS) is missing"

T=$(mktemp -d "${TMPDIR:-/tmp}/cowlink-abi.XXXXXX")
trap 'rm -rf "$T"' EXIT

nm -u "$COWLINK_CORE" | awk 'NF >= 2 {print $2}' | sed 's/@.*//' | sort -u >"$T/undef"
sort -u "$COWLINK_EXPORTS" >"$T/exports"
[ -s "$T/undef" ] || fail "nm found no undefined symbol in $COWLINK_CORE"
[ -s "$T/exports" ] || fail "exports.txt is empty"
comm -12 "$T/undef" "$T/exports" >"$T/both"
if [ -s "$T/both" ]; then
	echo "the core calls these wrapped symbols by name (use cl_*, sys.h):" >&2
	sed 's/^/  /' "$T/both" >&2
	fail "lib/core imports $(wc -l <"$T/both") symbol(s) the shim wraps"
fi
echo "ok: the core imports $(wc -l <"$T/undef") symbols, none of the $(wc -l <"$T/exports") the shim wraps"
