#!/usr/bin/env bash
# Transparency: for files that are not cowlinks the shim behaves exactly as
# libc: errno values, O_APPEND, O_EXCL, O_TMPFILE, O_PATH, directories,
# FIFOs, /proc, sockets, every write family, stdio, metadata, xattrs,
# unmarked hard links (shared writes), errno left alone on success, the fd
# numbers handed out. One program (progs/transp.c) runs a fixed list of
# calls with and without the shim in two empty directories; the outputs
# must be identical.
. "$(dirname "$0")/lib.sh"
need_shim
mkdir -p "$T/plain" "$T/shim" "$T/debug"
(cd "$T/plain" && "$COWLINK_PROGS/transp" >"$T/plain.out") || fail "transp failed without the shim"
(cd "$T/shim" && under_shim "$COWLINK_PROGS/transp" >"$T/shim.out") || fail "transp failed under the shim"
[ "$(wc -l <"$T/plain.out")" -gt 80 ] || fail "transp printed too little"
diff -u "$T/plain.out" "$T/shim.out" >&2 || fail "the shim changed the behaviour of plain files (diff above)"
# With diagnostics on, the results are the same (they go to stderr only).
(cd "$T/debug" && COWLINK_DEBUG=1 under_shim "$COWLINK_PROGS/transp" >"$T/debug.out" 2>/dev/null) || fail "transp failed with COWLINK_DEBUG"
diff -u "$T/plain.out" "$T/debug.out" >&2 || fail "COWLINK_DEBUG changed behaviour (diff above)"
# Shell-level: the same for a script of ordinary file operations.
script='set -e; echo a > f; echo b >> f; ln f g; echo c >> g; cat f; mkfifo p; (echo piped > p &) ; cat p;
	exec 3<>f; echo d >&3; exec 3<&-; cat f; chmod 600 f; stat -c "%a %h %s" f g; rm g; truncate -s 2 f; cat f; echo'
a=$(cd "$T/plain" && mkdir shell && cd shell && bash -c "$script" 2>&1)
b=$(cd "$T/shim" && mkdir shell && cd shell && under_shim bash -c "$script" 2>&1)
[ "$a" = "$b" ] || fail "shell script differs under the shim: [$a] vs [$b]"
note "ok: transparency ($(wc -l <"$T/plain.out") checks)"
