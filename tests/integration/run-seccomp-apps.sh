# SPDX-License-Identifier: MIT
# cowlink run covers real writers the preload cannot see: static busybox,
# a Go program (its raw calls, the *at calls with an empty path and
# AT_EMPTY_PATH among them, another process's fd through /proc/PID/fd),
# an io_uring writer (io_uring_setup is refused, it falls back), node with
# UV_USE_IO_URING=1, and dynamic programs: bash and python changing a file
# through its fds and their magic links, renaming within a set, writing
# a name near PATH_MAX, and
# sv_calls.c (the static test's raw calls) linked dynamically, making the
# *at calls with an empty path through libc's syscall(), which the shim
# does not wrap. Each leaves the other name a unchanged and gives b what a
# plain copy gets, as root and as a non-root user; as root, the same
# without the supervisor (for syscall(): with the shim alone) changes a.
# Each program is a case of its own, skipped (saying why) where it cannot
# be had here.
# cases: busybox go uring node dynamic
. "$(dirname "$0")/lib.sh"
need setfattr getfattr
[ -x "${COWLINK_TOOL:-}" ] || fail "COWLINK_TOOL is not set"
[ -n "${LIBCOWLINK:-}" ] || skip "the shim (target cowlink) is not built"
C=$COWLINK_TOOL
S=$COWLINK_SRC/tests/integration/static
chmod 0755 "$T"
mkdir bin
ran=0
# The *at calls with an empty path and AT_EMPTY_PATH, as the Go program and
# the dynamic raw-call program name them.
EMPTY_OPS="utimensat-empty fchmodat2-empty setxattrat-empty removexattrat-empty"

# The program of this case, or a skip saying why it cannot be had.
BB= GO= UR= NODE= DYN=
case $CASE in
busybox)
	for b in /bin/busybox /usr/bin/busybox; do
		[ -x "$b" ] && ! LC_ALL=C readelf -l "$b" 2>/dev/null | grep -q INTERP && BB=$b && break
	done
	[ -n "$BB" ] || skip "no static busybox (Debian busybox-static)";;
go)
	command -v go >/dev/null || skip "no go (Debian golang-go)"
	GOCACHE=$T/gocache GOPATH=$T/gopath GO111MODULE=off CGO_ENABLED=0 \
		go build -o bin/gowriter "$S/gowriter.go" 2>go.err ||
		skip "go build failed: $(head -c 200 go.err)"
	GO=$T/bin/gowriter;;
uring)
	command -v gcc >/dev/null && gcc -O1 -o bin/uring "$S/uring_append.c" -luring 2>uring.err ||
		skip "no liburing (Debian liburing-dev): $(head -c 200 uring.err 2>/dev/null)"
	UR=$T/bin/uring
	[ "$("$UR" /dev/null 2>/dev/null)" = uring ] || skip "io_uring does not work here";;
node)
	NODE=$(command -v node || command -v nodejs || true)
	[ -n "$NODE" ] || skip "no node (Debian nodejs)";;
dynamic)
	need bash python3 gcc
	# sv_calls.c, the static test's raw-call program, linked dynamically:
	# its calls go through libc's syscall(), which the shim does not wrap.
	gcc -O1 -o bin/sv "$S/sv_calls.c" 2>sv.err || fail "gcc sv_calls.c: $(head -c 300 sv.err)"
	DYN=$T/bin/sv;;
*)
	fail "give a case: busybox, go, uring, node or dynamic";;
esac

# rename_within_set WHO CMD...: CMD, under cowlink run, renames a over b,
# two names of one set: the source goes, as for two copies, and b is a
# file of its own (0640, one link).
rename_within_set() {
	local who=$1
	shift
	run_fresh
	run_as "$C" run -- "$@" >/dev/null || fail "$RUN_WHO $who rename within a set failed"
	[ ! -e a ] && [ "$(stat -c '%a %h' b)" = "640 1" ] ||
		fail "$RUN_WHO $who rename a over b, names of one set: a is still there or b is $(stat -c '%a %h' b)"
}

# long_set: LONG, a relative directory name near PATH_MAX (about 4,000
# bytes, as the kernel takes it), holding a ("one") and b = cowln a;
# LONG_TOP is its first component, to remove.
long_set() {
	local seg i
	seg=$(printf 'd%.0s' $(seq 99))
	LONG=.
	for i in $(seq 40); do LONG=$LONG/$seg$i; done
	LONG_TOP=./${seg}1
	run_as mkdir -p "$LONG"
	run_as sh -c 'printf "one\n" >"$1/a"' sh "$LONG"
	run_as "$COWLN" "$LONG/a" "$LONG/b"
}

cases() {
	if [ -n "$BB" ]; then
		RUN_NOW=1 run_check "$BB" sh -c 'echo x >> "$0"' @
		# sed -i gives its new file the mode it stat()s: raw, 0440 on a
		# protected cowlink (presentation is the shim's; cowlink(1), run).
		run_fresh
		run_as "$C" run -- "$BB" sed -i s/two/TWO/ b
		run_as "$BB" sed -i s/two/TWO/ c
		expect_unchanged a "$RUN_SA"
		cmp -s b c || fail "$RUN_WHO busybox sed -i: b is not what a copy gets"
		RUN_NOW=1 run_check "$BB" truncate -s 3 @
		run_check "$BB" chmod 600 @
		run_check "$BB" touch -d '2001-09-09 01:46:40' @
		ran=1
	fi
	if [ -n "$GO" ]; then
		for op in append writefile truncate; do RUN_NOW=1 run_check "$GO" $op @; done
		run_check "$GO" chmod @
		run_check "$GO" chtimes @
		run_check "$GO" fchown-fchmod @
		RUN_NOW=1 run_check "$GO" fdlink @
		RUN_NOW=1 run_check "$GO" otherfd @
		# An empty path with AT_EMPTY_PATH is the fd itself, not "."
		# (issue 20): raw utimensat, fchmodat2 (O_PATH fd), setxattrat,
		# removexattrat.
		for op in $EMPTY_OPS; do run_check "$GO" $op @; done
		rename_within_set go "$GO" renamefrom b a
		long_set
		[ "$(run_as "$C" run -- "$GO" append "$LONG/b")" = ok ] || fail "$RUN_WHO go append to a long name"
		[ "$(cat "$LONG/a")" = one ] || fail "$RUN_WHO go append to a long name reached the other name"
		rm -rf "$LONG_TOP"
		ran=1
	fi
	if [ -n "$UR" ]; then
		run_fresh
		out=$(run_as "$C" run -- "$UR" b) || fail "$RUN_WHO io_uring writer failed: $out"
		[ "$out" = fallback ] || fail "$RUN_WHO io_uring writer under cowlink run: $out, want fallback"
		expect_unchanged a "$RUN_SA"
		[ "$(tail -n1 b)" = appended ] || fail "$RUN_WHO io_uring writer: b lacks the append"
		ran=1
	fi
	if [ -n "$DYN" ]; then
		# Dynamic programs (the shim loaded too) through magic links of
		# their fds, another process's fd, and fd changes after a break.
		RUN_NOW=1 run_check bash -c 'exec 3<"$0"; echo appended >>/dev/fd/3' @
		run_check bash -c 'exec 3<"$0"; chmod 600 /dev/fd/3' @
		run_check bash -c 'exec 3<"$0"; touch -d @1000000000 /proc/self/fd/3' @
		RUN_NOW=1 run_check bash -c 'coproc { exec 3<"$0"; read -r _; }
			for i in $(seq 200); do [ -e /proc/$COPROC_PID/fd/3 ] && break; sleep .05; done
			echo appended >>/proc/$COPROC_PID/fd/3; echo >&"${COPROC[1]}"; wait' @
		# (The shim breaks first here and leaves the fd on the old, same
		# data: fstat of it is not compared, docs/DESIGN.md §4.)
		run_check /usr/bin/python3 -c 'import os, sys
f = os.open(sys.argv[1], os.O_RDONLY)
os.fchown(f, os.getuid(), os.getgid())
os.fchmod(f, 0o600)
print(oct(os.stat(sys.argv[1]).st_mode & 0o7777))' @
		rename_within_set python /usr/bin/python3 -c 'import os; os.rename("a", "b")'
		long_set
		run_as "$C" run -- bash -c 'echo appended >>"$1/b"' bash "$LONG" ||
			fail "$RUN_WHO bash append to a long name failed"
		[ "$(cat "$LONG/a")" = one ] || fail "$RUN_WHO bash append to a long name reached the other name"
		[ "$(tail -n1 "$LONG/b")" = appended ] || fail "$RUN_WHO bash append to a long name: b lacks it"
		rm -rf "$LONG_TOP"
		# The *at calls with an empty path and AT_EMPTY_PATH, raw through
		# libc's syscall(): the supervisor's alone (issue 20).
		for op in $EMPTY_OPS; do run_check "$DYN" $op @; done
		ran=1
	fi
	if [ -n "$NODE" ]; then
		run_fresh
		run_as env UV_USE_IO_URING=1 "$C" run -- "$NODE" -e \
			'require("fs").appendFile("b", "appended\n", e => { if (e) throw e; })'
		expect_unchanged a "$RUN_SA"
		[ "$(tail -n1 b)" = appended ] || fail "$RUN_WHO node: b lacks the append"
		ran=1
	fi
}

if [ "$(id -u)" = 0 ]; then
	[ -z "$BB" ] || run_bypass "$BB" sh -c 'echo x >> "$0"' @
	[ -z "$GO" ] || run_bypass "$GO" append @
	[ -z "$GO" ] || run_bypass "$GO" chmod @
	[ -z "$GO" ] || run_bypass "$GO" fchown-fchmod @
	[ -z "$GO" ] || run_bypass "$GO" fdlink @
	[ -z "$GO" ] || run_bypass "$GO" otherfd @
	if [ -n "$GO" ]; then for op in $EMPTY_OPS; do run_bypass "$GO" $op @; done; fi
	if [ -n "$UR" ]; then
		run_fresh
		[ "$(LD_PRELOAD="$PRELOAD" "$UR" b)" = uring ] || fail "io_uring writer did not use the ring"
		[ "$(snapshot a)" != "$RUN_SA" ] || fail "io_uring under the shim alone left a alone: the check proves nothing"
	fi
	if [ -n "$NODE" ]; then
		run_fresh
		UV_USE_IO_URING=1 LD_PRELOAD="$PRELOAD" "$NODE" -e \
			'require("fs").appendFile("b", "appended\n", e => { if (e) throw e; })'
		[ "$(snapshot a)" != "$RUN_SA" ] || note "node's io_uring did not reach a under the shim alone (libuv without io_uring here?)"
	fi
fi
if [ "$(id -u)" = 0 ] && [ -n "$DYN" ]; then
	RUN_NOW=1 run_bypass bash -c 'exec 3<"$0"; echo appended >>/dev/fd/3' @
	run_bypass bash -c 'exec 3<"$0"; chmod 600 /dev/fd/3' @
	# With the shim preloaded, but not the supervisor, too: syscall() is
	# not the shim's, and each call reaches a.
	for op in $EMPTY_OPS; do run_bypass env LD_PRELOAD="$PRELOAD" "$DYN" $op @; done
fi
mkdir work && cd work
cases
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null && command -v setpriv >/dev/null; then
	run_user
	cases
fi
[ "$ran" = 1 ] || fail "the $CASE case ran nothing"
exit 0
