# Helpers for the integration scripts: source it first.
#   . "$(dirname "$0")/lib.sh"
# Every script runs in its own temporary directory ($T), removed at exit.
# Exit 77 (skip) says why on stderr; a failure says what differed.
set -euo pipefail

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

# PRELOAD: the LD_PRELOAD value that loads the shim. In the sanitizer build
# the ASan runtime must come first, and leak checks are off for the
# uninstrumented programs it is preloaded into (bash's own leaks).
PRELOAD="${COWLINK_ASAN_RUNTIME:+$COWLINK_ASAN_RUNTIME:}${LIBCOWLINK:-}"
if [ -n "${COWLINK_ASAN_RUNTIME:-}" ]; then
	export ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
fi

# under_shim CMD...: run CMD with the preload library.
under_shim() { LD_PRELOAD="$PRELOAD" "$@"; }

# same_file A B: both names still refer to one inode.
same_inode() { [ "$(stat -c %d:%i "$1")" = "$(stat -c %d:%i "$2")" ]; }

# meta PATH: the metadata a copy must keep, raw (without the shim).
meta() { stat -c '%f %u %g %s %Y' "$1"; }

# snapshot PATH: content hash, metadata and user xattrs, to compare later.
snapshot() {
	{ sha256sum <"$1"; meta "$1"; getfattr -d -m '^user\.' --absolute-names "$1" 2>/dev/null | grep -v '^user.cowlink=' | sed 1d || true; } 
}

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
	mount -o loop "$img" "$mnt" 2>/dev/null || skip "cannot loop-mount $type here"
	MOUNTS+=("$mnt")
	LOOPIMG=$img
	echo "$mnt"
}

# ---- shim tests (shim-*.sh) ------------------------------------------------
# A cowlink set is made with cowln when it is built, else by hand the way
# cowln does it. Checks compare what a name stands for (cow_snapshot: the
# recorded write bits restored) and the raw inode (snapshot), and compare the
# written name with what the same command does to a plain copy.

# need_shim: skip unless libcowlink.so is built; export what commands run by
# `bash -c` need ($P: the test programs).
need_shim() {
	[ -n "${LIBCOWLINK:-}" ] && [ -f "$LIBCOWLINK" ] || skip "libcowlink.so is not built"
	export P="${COWLINK_PROGS:-}" PRELOAD
}

# is_marked PATH: the inode carries user.cowlink (read without the shim).
is_marked() { getfattr -n user.cowlink --absolute-names "$1" >/dev/null 2>&1; }

# cow_link_by_hand A B: link B to A, then (once per set) record the write
# bits of A and clear them, as cowln does.
cow_link_by_hand() {
	ln "$1" "$2"
	if ! is_marked "$1"; then
		setfattr -n user.cowlink \
			-v "$(printf 'cowlink v1 w=%04o' $(( 0$(stat -c %a "$1") & 0222 )))" "$1"
		chmod a-w "$1"
	fi
}

# cow_link A B: make B a cowlink of A (with cowln when built; never a
# reflink, which would need no shim). Fails unless B is then A's inode.
cow_link() {
	if [ -n "${COWLN:-}" ] && [ -x "$COWLN" ]; then
		"$COWLN" --reflink=never "$1" "$2" || fail "setup: cowln $1 $2 failed"
	else
		cow_link_by_hand "$1" "$2"
	fi
	same_inode "$1" "$2" || fail "setup: $2 is not a cowlink of $1"
	is_marked "$1" || fail "setup: $1 is not marked"
}

# cow_mode PATH: the mode PATH stands for: raw mode | recorded write bits.
cow_mode() {
	local m rec
	m=$(stat -c %a "$1")
	rec=$(getfattr --only-values -n user.cowlink --absolute-names "$1" 2>/dev/null) || rec=
	case $rec in
	"cowlink v1 w="[0-7]*) m=$(printf '%o' $(( 0$m | 0${rec#cowlink v1 w=} )));;
	esac
	echo "$m"
}

# user_xattrs PATH: user xattrs but the mark, sorted, one per line.
user_xattrs() {
	getfattr -d -m '^user\.' --absolute-names "$1" 2>/dev/null \
		| grep '^user\.' | grep -v '^user\.cowlink=' | sort || true
}

# cow_snapshot PATH: content, the metadata it stands for (mode with the
# recorded bits, owner, size, mtime to the ns) and user xattrs but the mark.
cow_snapshot() {
	sha256sum <"$1"
	echo "$(cow_mode "$1") $(stat -c '%F %u %g %s %.9Y' "$1")"
	user_xattrs "$1"
}
expect_cow_unchanged() {
	local now
	now=$(cow_snapshot "$1")
	[ "$now" = "$2" ] || fail "$1 changed: before [$2] after [$now]"
}

# same_as_copy B REF [mtime]: B (a broken name) is a plain file that got
# what REF (a plain copy that saw the same command) got: content, mode,
# owner, type, user xattrs, and with "mtime" the mtime too.
same_as_copy() {
	local b=$1 r=$2 fmt='%F %a %u %g %s %h'
	[ "${3:-}" = mtime ] && fmt="$fmt %.9Y"
	cmp -s "$b" "$r" || fail "$b: content differs from the plain copy's ($(cmp "$b" "$r" 2>&1 | head -1))"
	[ "$(stat -c "$fmt" "$b")" = "$(stat -c "$fmt" "$r")" ] \
		|| fail "$b: [$(stat -c "$fmt" "$b")] but the plain copy has [$(stat -c "$fmt" "$r")]"
	[ "$(user_xattrs "$b")" = "$(user_xattrs "$r")" ] \
		|| fail "$b: user xattrs [$(user_xattrs "$b")] but the plain copy has [$(user_xattrs "$r")]"
	! is_marked "$b" || fail "$b still carries the mark"
}

# no_litter DIR: no temporary names of a break are left in DIR.
no_litter() {
	local l
	l=$(find "$1" -maxdepth 1 -name '.cowlink-tmp.*' | head -3)
	[ -z "$l" ] || fail "temporary files left behind: $l"
}

# seed_file PATH: a small file with a mode, an owner, an old mtime and a
# user xattr that a copy must keep (override with SEED=function).
seed_file() {
	printf 'line one\nline two\nthird line\n' >"$1"
	head -c 5000 /dev/zero | tr '\0' 'z' >>"$1"
	printf '\nlast\n' >>"$1"
	chmod 0640 "$1"
	chown 65534:65534 "$1" 2>/dev/null || true
	setfattr -n user.test -v seeded "$1"
	touch -m -d '2001-02-03 04:05:06.123456789' "$1"
}

# writer [-t] [-n] [-s SEEDFN] NAME CMD: the writer check. In $T/NAME/w: a, b
# and c are one cowlink set; CMD (a bash command line that writes b) runs
# under the shim. In $T/NAME/r the same CMD runs without the shim on b, a
# plain copy. Then: same exit status and stdout; a and c unchanged and still
# one inode (raw and presented); b has its own inode, is no longer marked
# and equals the plain copy (-t: mtime too); no temporary names left.
# -n: the shell itself runs without the shim (CMD uses LD_PRELOAD="$PRELOAD"
# where it wants it; $PRELOAD is empty for the plain copy).
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
	local name=$1 cmd=$2 w="$T/$1/w" r="$T/$1/r" raw logical rs rr os or
	mkdir -p "$w" "$r"
	"$seedfn" "$w/a"
	cp --preserve=all "$w/a" "$r/b"
	cow_link "$w/a" "$w/b"
	cow_link "$w/a" "$w/c"
	raw=$(snapshot "$w/a")
	logical=$(cow_snapshot "$w/a")
	rs=0; os=$(cd "$w" && LD_PRELOAD="$pre" bash -c "$cmd" 2>"$T/$name/err") || rs=$?
	rr=0; or=$(cd "$r" && PRELOAD= bash -c "$cmd" 2>/dev/null) || rr=$?
	[ "$rs" = "$rr" ] || fail "$name: exit status $rs under the shim, $rr on a plain copy ($(head -c 300 "$T/$name/err"))"
	[ "$os" = "$or" ] || fail "$name: output under the shim [$os], on a plain copy [$or]"
	expect_unchanged "$w/a" "$raw"
	expect_cow_unchanged "$w/a" "$logical"
	same_inode "$w/a" "$w/c" || fail "$name: a and c no longer share"
	is_marked "$w/a" || fail "$name: the shared inode lost its mark"
	! same_inode "$w/a" "$w/b" || fail "$name: b still shares a's inode after the write"
	same_as_copy "$w/b" "$r/b" $mtime
	no_litter "$w"
	note "ok: $name"
}

# reader [-s SEEDFN] NAME CMD: a read-only CMD (on b) under the shim leaves a, b and c
# one inode, unchanged, and prints what it prints on a plain copy.
reader() {
	local seedfn=seed_file OPTIND=1 o
	while getopts s: o; do
		case $o in s) seedfn=$OPTARG;; *) fail "reader: bad option";; esac
	done
	shift $((OPTIND - 1))
	local name=$1 cmd=$2 w="$T/$1/w" r="$T/$1/r" raw os or
	mkdir -p "$w" "$r"
	"$seedfn" "$w/a"
	cp --preserve=all "$w/a" "$r/b"
	cow_link "$w/a" "$w/b"
	cow_link "$w/a" "$w/c"
	raw=$(snapshot "$w/a")
	os=$(cd "$w" && LD_PRELOAD="$PRELOAD" bash -c "$cmd") || fail "$name: failed under the shim"
	or=$(cd "$r" && bash -c "$cmd") || fail "$name: failed on a plain copy"
	[ "$os" = "$or" ] || fail "$name: output under the shim [$os], on a plain copy [$or]"
	same_inode "$w/a" "$w/b" && same_inode "$w/a" "$w/c" || fail "$name: a read-only command broke the link"
	expect_unchanged "$w/b" "$raw"
	note "ok: $name"
}
