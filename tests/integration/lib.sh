# SPDX-License-Identifier: MIT
# Helpers for the integration scripts: source it first.
#   . "$(dirname "$0")/lib.sh"
# Every script runs in its own temporary directory ($T), removed at exit.
# Exit 77 (skip) says why on stderr; a failure says what differed.
set -euo pipefail

# The system's programs first: the tests run Debian's bash, python3, cp...
# (what tools/deps.sh installs), not whatever a version manager put ahead
# of them in PATH. pyenv's python3 there is a bash script that starts some
# thirty processes before python: each under the shim (and the sanitizer
# runtime), it made a test that runs python 30 times take 58 s instead of 7.
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

T=$(mktemp -d "${TMPDIR:-/tmp}/cowlink-test.XXXXXX")
MOUNTS=()
# Unmount everything under $T (loopfs may run in a $(...) subshell, so the
# mount table, not a variable, says what to undo), deepest first.
cleanup() {
	local m
	cd /
	for m in "${MOUNTS[@]}"; do umount -l "$m" 2>/dev/null || true; done
	awk -v t="$T" '$2 ~ "^"t {print $2}' /proc/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T"

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
note() { echo "# $*" >&2; }

# need CMD...: skip unless every command exists.
need() { local c; for c in "$@"; do command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"; done; }
need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }

# CASE: the case this run is for, in a script with a "# cases: A B..." line
# (integration.cmake runs it once per case, the case as its argument).
CASE=${1:-}

# PRELOAD: the LD_PRELOAD value that loads the shim. In the sanitizer build
# the ASan runtime must come first, and leak checks are off for the
# uninstrumented programs it is preloaded into (bash's own leaks).
PRELOAD="${COWLINK_ASAN_RUNTIME:+$COWLINK_ASAN_RUNTIME:}${LIBCOWLINK:-}"
if [ -n "${COWLINK_ASAN_RUNTIME:-}" ]; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:verify_asan_link_order=0"
fi

# MODE: how under_shim (and the writer checks: writer, reader, refused) run
# the command under test. A "# modes: A B..." line makes integration.cmake
# run the script once per mode (COWLINK_TEST_MODE; the first mode's test has
# the script's name, the others /MODE after it):
#   preload     LD_PRELOAD=$PRELOAD, the shim alone (the default);
#   run         under `cowlink run --`: the supervisor, and the shim it
#               preloads itself;
#   run-noshim  under `cowlink run -- env -u LD_PRELOAD`: the supervisor
#               alone (cowlink run has no option to leave the shim out, so
#               the first program it starts takes it out of the environment
#               of the command);
#   plain       nothing (what the writer checks use for the plain copy).
# Exported with under_shim, so that a command run by `bash -c` without the
# shim (writer -n, refused -n) can use it for the program under test.
export MODE=${COWLINK_TEST_MODE:-preload}
case $MODE in
preload | plain) ;;
run | run-noshim) [ -x "${COWLINK_TOOL:-}" ] || skip "mode $MODE: the cowlink tool is not built" ;;
*) fail "unknown COWLINK_TEST_MODE '$MODE'" ;;
esac

# shim_argv: SHIM_ARGV, the command prefix of MODE (for a prefix that must
# come after another, as setpriv's).
shim_argv() {
	case $MODE in
	preload) SHIM_ARGV=(env "LD_PRELOAD=$PRELOAD") ;;
	run) SHIM_ARGV=(env LD_PRELOAD= "$COWLINK_TOOL" run --) ;;
	run-noshim) SHIM_ARGV=(env LD_PRELOAD= "$COWLINK_TOOL" run -- env -u LD_PRELOAD) ;;
	plain) SHIM_ARGV=(env LD_PRELOAD=) ;;
	esac
}

# under_shim CMD...: run CMD under the shim, as MODE says.
under_shim() {
	if [ "$MODE" = preload ]; then
		LD_PRELOAD="$PRELOAD" "$@"
	else
		local -a SHIM_ARGV
		shim_argv
		"${SHIM_ARGV[@]}" "$@"
	fi
}
export -f shim_argv under_shim

# shim_only WHAT: false (with a note) in the run-noshim mode, for a check of
# what only the shim does (presentation: the mark hidden, stat; its fd
# table's refusals): the supervisor alone is not meant to do it.
shim_only() {
	[ "$MODE" = run-noshim ] || return 0
	note "not in mode $MODE (the shim's alone): $*"
	return 1
}

# same_file A B: both names still refer to one inode.
same_inode() { [ "$(stat -c %d:%i "$1")" = "$(stat -c %d:%i "$2")" ]; }

# snapshot PATH: content hash, metadata a copy must keep (type and mode,
# owner, size, mtime; raw, without the shim) and user xattrs but the mark,
# to compare later. One process (progs/snap.c), where sha256sum,
# stat, getfattr, grep and sed were five: the cowlink run tests take one
# before and after every call they try (some 350 in run-seccomp-static).
snapshot() { "$COWLINK_PROGS/snap" --plain "$1"; }

# expect_unchanged PATH SNAPSHOT: fail unless PATH still matches SNAPSHOT.
expect_unchanged() {
	local now
	now=$(snapshot "$1")
	[ "$now" = "$2" ] || fail "$1 changed: before [$2] after [$now]"
}

# loopfs TYPE SIZE_MB [MKFS_OPTS...]: make and mount a loop filesystem,
# print its mount point (LOOPIMG names the image in the caller's shell when
# not called in a subshell); skip when it cannot be had here.
loopfs() {
	local type=$1 size=$2; shift 2
	need_root
	command -v "mkfs.$type" >/dev/null 2>&1 || skip "mkfs.$type is not installed"
	local mnt img
	mnt=$(mktemp -d "$T/mnt-$type.XXXXXX")
	img=$mnt.img
	truncate -s "${size}M" "$img"
	"mkfs.$type" -q "$@" "$img" >/dev/null 2>&1 || "mkfs.$type" "$@" "$img" >/dev/null 2>&1 \
		|| skip "mkfs.$type failed"
	local try
	for try in 1 2 3 4 5; do
		mount -o loop "$img" "$mnt" 2>"$mnt.err" && break
		sleep 1
	done
	[ "$try" != 5 ] || mountpoint -q "$mnt" || skip "cannot loop-mount $type here: $(cat "$mnt.err")"
	MOUNTS+=("$mnt")
	LOOPIMG=$img
	echo "$mnt"
}

# readme_examples README: write each "<!-- example: NAME -->" sh block of
# README to example-NAME.sh, and each "<!-- example-c: NAME -->" C block to
# example-NAME.c, in the current directory (a list item's indent removed).
readme_examples() {
	python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for kind, lang, ext in (("example", "sh", "sh"), ("example-c", "c", "c")):
    for name, body in re.findall(r"<!-- %s: (\w+) -->\s*```%s\n(.*?)```" % (kind, lang), text, re.S):
        body = "\n".join(l[2:] if l.startswith("  ") else l for l in body.splitlines())
        open(f"example-{name}.{ext}", "w").write(body + "\n")
PY
}

# ---- shim tests (shim-*.sh) ------------------------------------------------
# A cowlink set is made with cowln when it is built, else by hand the way
# cowln does it. The checks compare what a name stands for (its mode with
# the recorded write bits restored) and the raw inode, and compare the
# written name with what the same command does to a plain copy. $P/snap
# (tests/integration/progs/snap.c) reads content hash, stat and xattrs in
# one process: the machine is small and forks are the cost.

# need_shim: skip unless libcowlink.so is built; export what commands run by
# `bash -c` need ($P: the test programs).
need_shim() {
	[ -n "${LIBCOWLINK:-}" ] && [ -f "$LIBCOWLINK" ] || skip "libcowlink.so is not built"
	[ -x "${COWLINK_PROGS:-}/snap" ] || skip "the test programs are not built"
	export P="$COWLINK_PROGS" PRELOAD
}

# is_marked PATH: the inode carries user.cowlink (read without the shim).
is_marked() { getfattr -n user.cowlink --absolute-names "$1" >/dev/null 2>&1; }

# cow_link_by_hand A B: link B to A, then (once per set) record the write
# bits of A and clear them, as cowln does.
cow_link_by_hand() { "$COWLINK_PROGS/snap" --link "$1" "$2" || fail "setup: link $1 $2"; }

# cow_link A B...: make each B a cowlink of A (with cowln when built; never
# a reflink, which would need no shim).
cow_link() {
	local a=$1 b
	shift
	for b in "$@"; do
		if [ -n "${COWLN:-}" ] && [ -x "$COWLN" ]; then
			"$COWLN" --reflink=never "$a" "$b" || fail "setup: cowln $a $b failed"
		else
			cow_link_by_hand "$a" "$b"
		fi
	done
}

# Fields of a snap line: 0 hash, 1 raw mode, 2 mode with the recorded bits,
# 3 uid, 4 gid, 5 size, 6 mtime, 7 nlink, 8 dev:ino, 9 record, 10 xattrs,
# 11 ctime.
# pick VAR LINE KIND sets VAR (no fork) to: raw (all that must not change on
# a shared inode: not nlink), logical (what the name stands for), copy /
# copy-mtime (what a broken name shares with a plain copy), content (raw
# without times), ino, record, ctime.
snap_fields() { "$COWLINK_PROGS/snap" "$@"; }
pick() {
	local -a f
	read -r -a f <<<"$2"
	case $3 in
	raw) printf -v "$1" '%s ' "${f[0]}" "${f[1]}" "${f[3]}" "${f[4]}" "${f[5]}" "${f[6]}" "${f[8]}" "${f[9]}" "${f[10]}";;
	logical) printf -v "$1" '%s ' "${f[0]}" "${f[2]}" "${f[3]}" "${f[4]}" "${f[5]}" "${f[6]}" "${f[10]}";;
	copy) printf -v "$1" '%s ' "${f[0]}" "${f[1]}" "${f[3]}" "${f[4]}" "${f[5]}" "${f[7]}" "${f[9]}" "${f[10]}";;
	copy-mtime) printf -v "$1" '%s ' "${f[0]}" "${f[1]}" "${f[3]}" "${f[4]}" "${f[5]}" "${f[6]}" "${f[7]}" "${f[9]}" "${f[10]}";;
	content) printf -v "$1" '%s ' "${f[0]}" "${f[1]}" "${f[3]}" "${f[4]}" "${f[5]}" "${f[8]}" "${f[10]}";;
	ino) printf -v "$1" '%s' "${f[8]}";;
	record) printf -v "$1" '%s' "${f[9]}";;
	ctime) printf -v "$1" '%s' "${f[11]}";;
	esac
}

# cow_snapshot PATH: what PATH stands for; expect_cow_unchanged compares.
cow_snapshot() { local l v; l=$(snap_fields "$1"); pick v "$l" logical; echo "$v"; }
expect_cow_unchanged() {
	local now
	now=$(cow_snapshot "$1")
	[ "$now" = "$2" ] || fail "$1 changed: before [$2] after [$now]"
}

# same_as_copy B REF [mtime]: B (a broken name) is a plain file that got
# what REF (a plain copy that saw the same command) got: content, mode,
# owner, size, one link, user xattrs, no mark (and the mtime with "mtime").
same_as_copy() {
	local l b r k=copy
	[ "${3:-}" = mtime ] && k=copy-mtime
	l=$(snap_fields "$1" "$2")
	pick b "${l%%$'\n'*}" $k
	pick r "${l#*$'\n'}" $k
	[ "$b" = "$r" ] || fail "$1: [$b] but the plain copy has [$r]"
	cmp -s "$1" "$2" || fail "$1: content differs from the plain copy's"
}

# no_litter DIR: no temporary names of a break are left in DIR.
no_litter() {
	! compgen -G "$1/.cowlink-tmp.*" >/dev/null || fail "temporary files left in $1: $(ls -a "$1")"
}

# seed_file PATH: a small file with a mode, an owner, an old mtime and a
# user xattr that a copy must keep. Made once, then copied.
seed_file() {
	if [ ! -f "$T/.seed" ]; then
		printf 'line one\nline two\nthird line\n' >"$T/.seed"
		head -c 5000 /dev/zero | tr '\0' 'z' >>"$T/.seed"
		printf '\nlast\n' >>"$T/.seed"
		chmod 0640 "$T/.seed"
		chown 65534:65534 "$T/.seed" 2>/dev/null || true
		setfattr -n user.test -v seeded "$T/.seed"
		touch -m -d '2001-02-03 04:05:06.123456789' "$T/.seed"
	fi
	cp --preserve=all "$T/.seed" "$1"
}

# shim_set DIR SEEDFN: DIR/a, DIR/b, DIR/c one cowlink set seeded by SEEDFN,
# and DIR/../r/b a plain copy of the seed.
shim_set() {
	mkdir -p "$1" "$1/../r"
	"$2" "$1/a"
	cp --preserve=all "$1/a" "$1/../r/b"
	cow_link "$1/a" "$1/b" "$1/c"
}

# writer [-t] [-n] [-s SEEDFN] NAME CMD: the writer check. In $T/NAME/w: a, b
# and c are one cowlink set; CMD (a bash command line that writes b) runs
# under the shim. In $T/NAME/r the same CMD runs without the shim on b, a
# plain copy. Then: same exit status and stdout; a and c unchanged and still
# one inode (raw and presented); b has its own inode, is no longer marked
# and equals the plain copy (-t: mtime too); no temporary names left.
# -n: the shell itself runs without the shim (CMD uses under_shim where it
# wants it; that runs the program alone for the plain copy).
# Under the shim is as MODE says (under_shim).
writer() {
	local mtime= seedfn=seed_file pre=$PRELOAD OPTIND=1 o
	while getopts ts:n o; do
		case $o in
		t) mtime=mtime;;
		s) seedfn=$OPTARG;;
		n) pre=;;
		*) fail "writer: bad option";;
		esac
	done
	shift $((OPTIND - 1))
	local name=$1 cmd=$2 w="$T/$1/w" r="$T/$1/r" before after rs rr os or
	shim_set "$w" "$seedfn"
	before=$(snap_fields "$w/a")
	rs=0; os=$(cd "$w" && shell_under "$pre" bash -c "$cmd" 2>"$T/$name/err") || rs=$?
	rr=0; or=$(cd "$r" && MODE=plain PRELOAD= bash -c "$cmd" 2>/dev/null) || rr=$?
	[ "$rs" = "$rr" ] || fail "$name: exit status $rs under $MODE, $rr on a plain copy ($(head -c 300 "$T/$name/err"))"
	[ "$os" = "$or" ] || fail "$name: output under $MODE [$os], on a plain copy [$or]"
	after=$(snap_fields "$w/a" "$w/c" "$w/b")
	local a c b x y ia ic ib rec
	{ read -r a; read -r c; read -r b; } <<<"$after"
	pick x "$before" raw; pick y "$a" raw
	[ "$x" = "$y" ] || fail "$name: the shared inode changed: before [$x] after [$y]"
	pick x "$before" logical; pick y "$a" logical
	[ "$x" = "$y" ] || fail "$name: a changed: before [$x] after [$y]"
	pick ia "$a" ino; pick ic "$c" ino; pick ib "$b" ino; pick rec "$a" record
	[ "$ia" = "$ic" ] || fail "$name: a and c no longer share"
	[ "$rec" != - ] || fail "$name: the shared inode lost its mark"
	[ "$ia" != "$ib" ] || fail "$name: b still shares a's inode after the write"
	same_as_copy "$w/b" "$r/b" $mtime
	no_litter "$w"
	# c replaced by a rename: a, its last name, is an ordinary file again.
	(cd "$w" && under_shim bash -c 'echo new >n && mv -f n c') ||
		fail "$name: replacing c failed"
	survivor "$name (c replaced)" "$w/a" "$before"
	# The same on a set of two names, and as a non-root user (nobody,
	# who owns the seed) on one -- not for -n, where the shell opens b
	# without the shim: protection refuses a non-root writer there.
	writer_two "$name" "$cmd" "$pre" "$seedfn" "$mtime" self
	if [ -n "$pre" ] && [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
		writer_two "$name" "$cmd" "$pre" "$seedfn" "$mtime" nobody
	fi
	note "ok: $name"
}

# survivor WHAT A BEFORE: A is the last name of what was a set: it stands
# for what it stood for (BEFORE, a snap line) and is an ordinary file: one
# link, no mark, its raw mode the one it is presented with.
survivor() {
	local l x y
	l=$(snap_fields "$2")
	pick x "$3" logical; pick y "$l" logical
	[ "$x" = "$y" ] || fail "$1: the survivor changed: before [$x] after [$y]"
	local -a f
	read -r -a f <<<"$l"
	[ "${f[7]}" = 1 ] && [ "${f[9]}" = - ] && [ "${f[1]}" = "${f[2]}" ] ||
		fail "$1: the survivor is not an ordinary file again: [$l]"
}

# shell_under PRE CMD...: CMD under the shim (as MODE says), or without it
# when PRE is empty (writer -n, refused -n).
shell_under() {
	local pre=$1
	shift
	if [ -n "$pre" ]; then under_shim "$@"; else "$@"; fi
}

# writer_two NAME CMD PRE SEEDFN MTIME WHO: writer's check on a set of two
# names, a and b, as root (WHO self) or as uid 65534 (WHO nobody): the same
# status and output as on a plain copy; b equals the copy; a is unchanged,
# and an ordinary file again once b has its own inode.
writer_two() {
	local name=$1 cmd=$2 pre=$3 seedfn=$4 mtime=$5 who=$6
	local d="$T/$name/two-$who" before rs rr os or l a b ia ib
	local -a as=()
	mkdir -p "$d/w" "$d/r"
	"$seedfn" "$d/w/a"
	cp --preserve=all "$d/w/a" "$d/r/b"
	cow_link "$d/w/a" "$d/w/b"
	if [ "$who" = nobody ]; then
		chmod 755 "$T" "$T/$name"
		chown 65534:65534 "$d" "$d/w" "$d/r"
		as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	fi
	before=$(snap_fields "$d/w/a")
	local -a SHIM_ARGV=()
	[ -z "$pre" ] || shim_argv
	rs=0; os=$(cd "$d/w" && "${as[@]}" "${SHIM_ARGV[@]}" bash -c "$cmd" 2>"$d/err") || rs=$?
	rr=0; or=$(cd "$d/r" && "${as[@]}" env MODE=plain PRELOAD= bash -c "$cmd" 2>/dev/null) || rr=$?
	[ "$rs" = "$rr" ] || fail "$name ($who, two names): exit status $rs under $MODE, $rr on a plain copy ($(head -c 300 "$d/err"))"
	[ "$os" = "$or" ] || fail "$name ($who, two names): output under $MODE [$os], on a plain copy [$or]"
	l=$(snap_fields "$d/w/a" "$d/w/b")
	{ read -r a; read -r b; } <<<"$l"
	pick ia "$a" ino; pick ib "$b" ino
	if [ "$ia" = "$ib" ]; then
		local x y
		pick x "$before" raw; pick y "$a" raw
		[ "$x" = "$y" ] || fail "$name ($who, two names): the shared inode changed: [$x] -> [$y]"
	else
		survivor "$name ($who, two names)" "$d/w/a" "$before"
		same_as_copy "$d/w/b" "$d/r/b" $mtime
	fi
	no_litter "$d/w"
}

# reader [-s SEEDFN] NAME CMD: a read-only CMD (on b) under the shim leaves
# a, b and c one unchanged inode, and prints what it prints on a plain copy.
reader() {
	local seedfn=seed_file OPTIND=1 o
	while getopts s: o; do
		case $o in s) seedfn=$OPTARG;; *) fail "reader: bad option";; esac
	done
	shift $((OPTIND - 1))
	local name=$1 cmd=$2 w="$T/$1/w" r="$T/$1/r" before os or
	shim_set "$w" "$seedfn"
	pick before "$(snap_fields "$w/a")" raw
	os=$(cd "$w" && under_shim bash -c "$cmd") || fail "$name: failed under $MODE"
	or=$(cd "$r" && MODE=plain PRELOAD= bash -c "$cmd") || fail "$name: failed on a plain copy"
	[ "$os" = "$or" ] || fail "$name: output under $MODE [$os], on a plain copy [$or]"
	expect_one_inode "$name" "$w" "$before"
	note "ok: $name"
}

# expect_one_inode NAME DIR RAW: DIR/a, b and c are still one inode whose
# raw snapshot is RAW.
expect_one_inode() {
	local l x
	while read -r l; do
		pick x "$l" raw
		[ "$x" = "$3" ] || fail "$1: the set changed or split: before [$3] after [$x]"
	done < <(snap_fields "$2/a" "$2/b" "$2/c")
}

# refused [-n] NAME EXPECTED CMD: CMD (on b; a one-call program) under the
# shim must print EXPECTED (an errno name) and change nothing: a, b and c
# stay one unchanged inode. -n: the shell itself runs without the shim.
refused() {
	local pre=$PRELOAD
	if [ "$1" = -n ]; then pre=; shift; fi
	local name=$1 want=$2 cmd=$3 w="$T/$1/w" before out
	shim_set "$w" seed_file
	pick before "$(snap_fields "$w/a")" raw
	out=$(cd "$w" && shell_under "$pre" bash -c "$cmd" 2>"$T/$name/err") || true
	[ "$out" = "$want" ] || fail "$name: printed [$out], want [$want] ($(head -c 300 "$T/$name/err"))"
	expect_one_inode "$name" "$w" "$before"
	no_litter "$w"
	note "ok: $name"
}

# not_under_asan WHY: false (with a note) when the ASan runtime is preloaded
# into uninstrumented programs and WHY names a program that trips over
# ASan's own checks there (dd, shred: aligned_alloc(4096, n) with n not a multiple
# of 4096 is fine for glibc, an error for ASan).
not_under_asan() {
	[ -n "${COWLINK_ASAN_RUNTIME:-}" ] || return 0
	note "not run under the ASan runtime: $*"
	return 1
}

# ---- cowlink run (the seccomp supervisor): run-seccomp-*.sh -------------

RUN_AS=()      # the command prefix that runs as the user under test
RUN_ID="0 0"   # that user's uid and gid
RUN_WHO=root
run_as() { "${RUN_AS[@]}" "$@"; }

# run_user: from now on act as a throwaway non-root user (removed at exit),
# in a directory of their own. Only as root, with useradd and setpriv.
run_user() {
	RUN_USER=cltest$$
	useradd -M -N -s /bin/sh "$RUN_USER" 2>/dev/null || skip "useradd failed"
	trap 'userdel "$RUN_USER" 2>/dev/null || true; cleanup' EXIT
	chmod 0755 "$T"
	mkdir "$T/user" && chown "$RUN_USER" "$T/user" && cd "$T/user"
	RUN_AS=(setpriv --reuid="$RUN_USER" --regid="$(id -g "$RUN_USER")" --clear-groups)
	RUN_ID="$(id -u "$RUN_USER") $(id -g "$RUN_USER")"
	RUN_WHO=$RUN_USER
}

# run_plain_meta PATH: what b must share with a plain copy: content, mode,
# owner, size, user xattrs but the mark.
run_plain_meta() { "$COWLINK_PROGS/snap" --copy "$1"; }

# run_fresh: a (0640, an xattr, an old mtime), its plain copy c, then
# b = cowln a; RUN_SA is a's snapshot from before the link.
run_fresh() {
	rm -f a b c n
	run_as sh -c 'printf "one\ntwo\nthree\n" >a && chmod 0640 a && setfattr -n user.keep -v k a &&
		touch -d @1500000000 a && cp -a a c'
	RUN_SA=$(snapshot a)
	run_as "$COWLN" a b
}

# run_argv NAME CMD...: CMD into RUN_ARGV with each argument "@" made NAME.
run_argv() {
	local name=$1 a; shift
	RUN_ARGV=()
	for a in "$@"; do [ "$a" = @ ] && RUN_ARGV+=("$name") || RUN_ARGV+=("$a"); done
}

# run_check CMD... (one argument is "@", the name): CMD on b under cowlink
# run, on the plain copy c without it. Same output; a unchanged and no
# longer sharing; b what c got (mtime too unless RUN_NOW=1: the call sets it
# to now).
run_check() {
	local out outc
	run_fresh
	run_argv b "$@"
	out=$(run_as "$COWLINK_TOOL" run -- "${RUN_ARGV[@]}" 2>&1) || true
	run_argv c "$@"
	outc=$(run_as "${RUN_ARGV[@]}" 2>&1) || true
	[ "$out" = "$outc" ] || fail "$RUN_WHO $*: through b [$out], on a plain copy [$outc]"
	expect_unchanged a "$RUN_SA"
	[ "$(stat -c %h a)" = 1 ] || fail "$RUN_WHO $*: a still shares its inode"
	[ "$(run_plain_meta b)" = "$(run_plain_meta c)" ] ||
		fail "$RUN_WHO $*: b [$(run_plain_meta b)] is not what a copy gets [$(run_plain_meta c)]"
	[ "${RUN_NOW:-0}" = 1 ] || [ "$(stat -c %Y b)" = "$(stat -c %Y c)" ] ||
		fail "$RUN_WHO $*: mtime of b differs from a copy's"
}

# run_bypass CMD...: as root, CMD on b without the supervisor reaches a --
# proof that run_check can fail.
run_bypass() {
	run_fresh
	run_argv b "$@"
	"${RUN_ARGV[@]}" >/dev/null 2>&1 || true
	[ "$(snapshot a)" != "$RUN_SA" ] || fail "$* without the supervisor left a alone: the check proves nothing"
}
