# cowlink run's supervisor (DESIGN §4b) covers a static program making raw
# system calls, which no preload sees: each call through name b of a
# two-name set leaves a byte-, mode-, owner-, mtime- and xattr-identical,
# and gives b what the same call gives a plain copy c. As root and as a
# throwaway non-root user. As root, the same call without the supervisor
# changes a (so the test can fail). Also: removals unshare the survivor,
# io_uring_setup is refused, a deep fork/exec tree stays covered, and many
# writers at once end on one private copy.
. "$(dirname "$0")/lib.sh"
need gcc setfattr getfattr
[ -x "${COWLINK_TOOL:-}" ] || fail "COWLINK_TOOL is not set"
[ -n "${LIBCOWLINK:-}" ] || skip "the shim (target cowlink) is not built"
C=$COWLINK_TOOL
chmod 0755 "$T"
gcc -static -O1 -o "$T/sv" "$COWLINK_SRC/tests/integration/static/sv_calls.c" 2>gcc.err ||
	skip "gcc -static cannot link here (libc6-dev's libc.a): $(head -c 300 gcc.err)"
out=$("$C" run -- "$T/sv" uring x 2>&1 || true)
case "$out" in
ENOSYS) ;;
*"no seccomp user notification"*) skip "this kernel has no seccomp user notification" ;;
*) fail "io_uring_setup under cowlink run: $out, want ENOSYS" ;;
esac
[ "$("$T/sv" uring x)" = ok ] || note "io_uring_setup fails here even without the supervisor"

AS=()          # the command prefix that runs as the user under test
ID="0 0"       # uid gid of that user
asu() { "${AS[@]}" "$@"; }

# plain_meta PATH: what must match between b and a plain copy: content,
# mode, owner, size and user xattrs (mtime separately).
plain_meta() {
	{ sha256sum <"$1"; stat -c '%f %u %g %s' "$1"; getfattr -d -m '^user\.' --absolute-names "$1" 2>/dev/null |
		grep -v '^user.cowlink=' | sed 1d || true; }
}

# fresh: a (0640, an xattr, an old mtime), its plain copy c, then b = cowln a.
fresh() {
	rm -f a b c n
	asu sh -c 'printf "one\ntwo\nthree\n" >a && chmod 0640 a && setfattr -n user.keep -v k a &&
		touch -d @1500000000 a && cp -a a c'
	SA=$(snapshot a)
	asu "$COWLN" a b
}

# check_case OP ARGS...: under the supervisor, through b.
check_case() {
	local op=$1 out outc; shift
	fresh
	out=$(asu "$C" run -- "$T/sv" "$op" b "$@" 2>&1) || true
	outc=$(asu "$T/sv" "$op" c "$@" 2>&1) || true
	[ "$out" = "$outc" ] || fail "$WHO $op: b says [$out], a plain copy [$outc]"
	expect_unchanged a "$SA"
	[ "$(stat -c %h a)" = 1 ] || fail "$WHO $op: a still shares its inode"
	[ "$(plain_meta b)" = "$(plain_meta c)" ] || fail "$WHO $op: b [$(plain_meta b)] is not what a copy gets [$(plain_meta c)]"
	case $op in
	open|openat|openat2|creat|trunc|truncate|ftruncate) ;;
	*) [ "$(stat -c %Y b)" = "$(stat -c %Y c)" ] || fail "$WHO $op: mtime of b differs from a copy's" ;;
	esac
}

# bypass_case OP ARGS...: without the supervisor the call reaches a.
bypass_case() {
	local op=$1; shift
	fresh
	"$T/sv" "$op" b "$@" >/dev/null 2>&1 || true
	[ "$(snapshot a)" != "$SA" ] || fail "$op without the supervisor left a alone: the check proves nothing"
}

cases() {
	check_case open
	check_case openat
	check_case creat
	check_case trunc
	check_case truncate
	check_case ftruncate
	check_case openat2
	check_case chmod
	check_case fchmod
	check_case chown $ID
	check_case fchown $ID
	check_case utimensat
	check_case futimens
	check_case setxattr
	check_case fsetxattr
	check_case removexattr
	# A dirfd-relative name.
	fresh
	[ "$(asu "$C" run -- "$T/sv" openat-dirfd . b)" = ok ] || fail "$WHO openat(dirfd)"
	expect_unchanged a "$SA"
	# Removing or replacing the other name leaves a an ordinary file again.
	for op in unlink rename; do
		fresh
		asu sh -c 'echo new >n'
		[ "$(asu "$C" run -- "$T/sv" "$op" b n)" = ok ] || fail "$WHO $op"
		[ "$(stat -c %a a)" = 640 ] || fail "$WHO $op: survivor a is $(stat -c %a a), want 640"
		getfattr -n user.cowlink a >/dev/null 2>&1 && fail "$WHO $op: survivor a keeps the mark"
		true
	done
	# A fork/exec tree 30 deep stays under the filter.
	fresh
	[ "$(asu "$C" run -- "$T/sv" tree b 30 | tail -n1)" = ok ] || fail "$WHO deep tree"
	expect_unchanged a "$SA"
	[ "$(grep -c appended b)" = 1 ] || fail "$WHO deep tree: b has $(grep -c appended b) appends"
	# Many writers at once: one private copy, every append in it.
	fresh
	asu "$C" run -- sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do "$0" open b >/dev/null & done; wait' "$T/sv"
	expect_unchanged a "$SA"
	[ "$(grep -c appended b)" = 12 ] || fail "$WHO concurrent: b has $(grep -c appended b) appends, want 12"
	[ "$(stat -c %h b)" = 1 ] || fail "$WHO concurrent: b is not private"
}

WHO=root
if [ "$(id -u)" = 0 ]; then
	ID="1 1"
	for op in open openat creat trunc truncate ftruncate openat2 chmod fchmod utimensat futimens setxattr fsetxattr removexattr; do
		bypass_case "$op"
	done
	bypass_case chown 1 1
fi
mkdir work && cd work
cases

# The same as a non-root user, in a directory of their own.
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null && command -v setpriv >/dev/null; then
	U=cltest$$
	useradd -M -N -s /bin/sh "$U" 2>/dev/null || skip "useradd failed"
	trap 'userdel "$U" 2>/dev/null || true; cleanup' EXIT
	mkdir "$T/user" && chown "$U" "$T/user" && cd "$T/user"
	AS=(setpriv --reuid="$U" --regid="$(id -g "$U")" --clear-groups)
	ID="$(id -u "$U") $(id -g "$U")"
	WHO=$U
	cases
fi
exit 0
