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
