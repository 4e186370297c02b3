#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A bad pointer in any argument of any wrapped call gets what libc and the
# kernel give without the shim (EFAULT, nothing changed), never a crash in
# the shim: the shim reads some arguments (an xattr name, the times) before
# the kernel does, and LTP's bad-address cases died of it under the shim.
# progs/badptr.c takes every row of lib/wrap.def, so a new wrapped call is
# covered without a line here: each pointer parameter in turn a PROT_NONE
# page, on one name of a two-name set and on a plain file, one forked child
# per call. Its output without the shim and under it must be the same, and
# under it the set's other name must not change (--check). As root and as a
# non-root owner, under the preload and under cowlink run.
# ctest: LABELS quick
. "$(dirname "$0")/lib.sh"
need_shim
prog="$COWLINK_PROGS/badptr"
[ -x "$prog" ] || fail "badptr was not built"
# A crash is an outcome here: let the sanitizer runtime leave SIGSEGV alone.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0:handle_sigbus=0:handle_abort=0"

# compare WHO [run]: the run without the shim and the run under it (with
# "run": under cowlink run, the shim and the supervisor, which must not
# break a name for a call the kernel then refuses), in directories of their
# own, as WHO (root, or nobody owning them).
compare() {
	local who=$1 d="$T/$1${2:+-$2}" raw got rc=0
	local -a as=() under=(env LD_PRELOAD="$PRELOAD")
	[ "${2:-}" != run ] || under=("$COWLINK_TOOL" run --)
	mkdir -p "$d/raw" "$d/shim"
	if [ "$who" = nobody ]; then
		chmod 755 "$T"
		chown -R 65534:65534 "$d"
		as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	fi
	rc=0; raw=$(cd "$d/raw" && "${as[@]}" "$prog" 2>"$d/raw.err") || rc=$?
	[ "$rc" != 77 ] || skip "$(cat "$d/raw.err")"
	[ "$rc" = 0 ] || fail "$who: badptr failed without the shim: $(cat "$d/raw.err")"
	got=$(cd "$d/shim" && "${as[@]}" "${under[@]}" "$prog" --check 2>"$d/shim.err") || rc=$?
	if [ "$got" != "$raw" ]; then
		diff --old-line-format='without: %L' --new-line-format='  under: %L' \
			--unchanged-line-format='' <(echo "$raw") <(echo "$got") >&2 || true
		fail "$who: calls with a bad pointer answer differently under ${2:-the shim} (above)"
	fi
	[ "$rc" = 0 ] || fail "$who ${2:-}: $(cat "$d/shim.err")"
	note "ok: $who ${2:-}: $(tail -n 1 "$d/shim.err")"
}

compare root
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	compare nobody
fi
if [ -x "${COWLINK_TOOL:-}" ] && "$COWLINK_TOOL" run -- true 2>/dev/null; then
	compare root run
	[ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null || compare nobody run
else
	note "cowlink run cannot run here: its cases are left out"
fi
