#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Transparency: for files that are not cowlinks the shim behaves exactly as
# libc: errno values, O_APPEND, O_EXCL, O_TMPFILE, O_PATH, directories,
# FIFOs, /proc, sockets, every write family, stdio, metadata, xattrs,
# unmarked hard links (shared writes), errno left alone on success, the fd
# numbers handed out. One program (progs/transp.c) runs a fixed list of
# calls with and without the shim in two empty directories; the outputs
# must be identical.
# ctest: LABELS quick
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

# errno as main finds it: the constructor saves it only where it calls what
# may change it. Each of its paths: nothing set, debugging, a tree dropped
# (its warning), an exclusion (by argv[0] and by the executable), and an
# inherited stdout on a cowlink (re-pointed).
want=$("$P/errno_main") || fail "errno_main failed"
mkdir -p "$T/errno" && printf 'x\n' >"$T/errno/a" && cow_link "$T/errno/a" "$T/errno/b"
for env in "X=1" "COWLINK_DEBUG=1" "COWLINK_TREES=$T/none" "COWLINK_TREES=$T/errno" \
	"COWLINK_EXCLUDE=errno_main" "COWLINK_EXCLUDE=nothing:$P/errno_main"; do
	got=$(env "$env" LD_PRELOAD="$PRELOAD" "$P/errno_main" 2>/dev/null) || fail "errno_main failed with $env"
	[ "$got" = "$want" ] || fail "with $env the shim left errno changed: '$got', not '$want'"
done
env LD_PRELOAD="$PRELOAD" "$P/errno_main" >>"$T/errno/b" 2>/dev/null || fail "errno_main > cowlink failed"
[ "$(cat "$T/errno/a")" = x ] || fail "the re-pointed stdout wrote into the other name"
[ "$(tail -1 "$T/errno/b")" = "$want" ] || fail "stdout re-pointed: errno at main '$(tail -1 "$T/errno/b")', not '$want'"
note "ok: errno at main kept on each of the constructor's paths ($want)"

# One-link files their caller may not read (mode 0077, 0006...): the mark
# cannot be read there (user xattrs need read permission), which is no
# reason to fail a call -- pjdfstest's chmod/07.t, open/06.t, open/07.t.
# The same sequence as the file's owner and as someone else, with and
# without the shim, must print the same.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 0755 "$T"
	unreadable='for m in 0077 0006 0177 0200 0600; do
		"$P/nochange" chmod f $m; "$P/api_open" f rt; "$P/api_open" f w; "$P/api_truncate" f 0
		"$P/nochange" utimensat f 1.0 2.0; "$P/nochange" setxattr f user.x v 0
	done'
	for who in 65534 65533; do
		for run in plain shim; do
			d="$T/unreadable-$run-$who" pre=
			[ $run = plain ] || pre=$PRELOAD
			mkdir "$d" && chown 65534:65534 "$d"
			printf 'x\n' >"$d/f" && chown 65534:65534 "$d/f" && chmod 0644 "$d/f"
			(cd "$d" && setpriv --reuid=$who --regid=$who --clear-groups \
				env P="$COWLINK_PROGS" LD_PRELOAD="$pre" bash -c "$unreadable" \
				>"$d.out" 2>&1) || true
		done
		diff -u "$T/unreadable-plain-$who.out" "$T/unreadable-shim-$who.out" >&2 ||
			fail "uid $who on files it may not read: the shim answers otherwise (diff above)"
	done
	note "ok: unreadable one-link files ($(wc -l <"$T/unreadable-plain-65534.out") calls per user)"
fi
