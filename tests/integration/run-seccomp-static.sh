# SPDX-License-Identifier: MIT
# cowlink run's supervisor (docs/DESIGN.md §4b) covers a static program making
# raw system calls, which no preload sees: each call through name b of a
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
if [ "$("$T/sv" uring x)" = ok ]; then
	[ "$("$C" run --allow-io-uring -- "$T/sv" uring x)" = ok ] || fail "--allow-io-uring did not let io_uring_setup through"
else
	note "io_uring_setup fails here even without the supervisor"
fi

# check_case OP ARGS...: sv OP through b under the supervisor, against c.
check_case() {
	case $1 in open|openat|openat2|creat|trunc|truncate|ftruncate) RUN_NOW=1 ;; *) RUN_NOW=0 ;; esac
	run_check "$T/sv" "$1" @ "${@:2}"
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
	check_case chown $RUN_ID
	check_case fchown $RUN_ID
	check_case utimensat
	check_case futimens
	check_case setxattr
	check_case fsetxattr
	check_case removexattr
	# An empty path with AT_EMPTY_PATH is the fd itself, not "." (issue 20).
	check_case utimensat-empty
	check_case fchmodat2-empty
	check_case setxattrat-empty
	check_case removexattrat-empty
	# File flags through a read-only fd (where the filesystem has them).
	if command -v lsattr >/dev/null && lsattr -d . >/dev/null 2>&1; then
		run_fresh
		[ "$(run_as "$C" run -- "$T/sv" nodump b)" = ok ] || fail "$RUN_WHO nodump"
		expect_unchanged a "$RUN_SA"
		lsattr a | cut -d' ' -f1 | grep -q d && fail "$RUN_WHO nodump reached a"
		lsattr b | cut -d' ' -f1 | grep -q d || fail "$RUN_WHO nodump: b lacks the flag"
	fi
	# The inode's generation (FS_IOC_SETVERSION, ext4) through a read-only
	# fd: a keeps its own.
	if [ "$(lsattr -v -d . 2>/dev/null | cut -d' ' -f1)" != "" ] && "$T/sv" setversion c >/dev/null 2>&1; then
		run_fresh
		local v
		v=$(lsattr -v a | cut -d' ' -f1)
		[ "$(run_as "$C" run -- "$T/sv" setversion b)" = ok ] || fail "$RUN_WHO setversion"
		[ "$(lsattr -v a | cut -d' ' -f1)" = "$v" ] || fail "$RUN_WHO setversion reached a"
		[ "$(lsattr -v b | cut -d' ' -f1)" = 4242 ] || fail "$RUN_WHO setversion: b is $(lsattr -v b)"
	fi
	# --trees: unmarked hard links there count as cowlinks.
	rm -rf tree && run_as mkdir tree && run_as sh -c 'echo x >tree/h1 && ln tree/h1 tree/h2'
	[ "$(run_as "$C" run --trees "$PWD/tree" -- "$T/sv" open tree/h2)" = ok ] || fail "$RUN_WHO --trees"
	[ "$(cat tree/h1)" = x ] || fail "$RUN_WHO --trees: h1 changed through h2"
	# fd 1 opened on b by the shell outside (cmd >> b) is re-pointed at b's
	# private copy before the command starts.
	run_fresh
	run_as "$C" run -- "$T/sv" stdout x >>b
	expect_unchanged a "$RUN_SA"
	[ "$(grep -c appended b)" = 1 ] || fail "$RUN_WHO >> b: b lacks the append"
	# cowlink run inside cowlink run: the outer supervisor covers it.
	run_fresh
	out=$(run_as "$C" run -- "$C" run -- "$T/sv" open b 2>&1)
	[ "$out" = ok ] || fail "$RUN_WHO nested cowlink run: $out"
	expect_unchanged a "$RUN_SA"
	# A program with a seccomp filter of its own stays covered.
	run_fresh
	[ "$(run_as "$C" run -- "$T/sv" ownfilter b)" = ok ] || fail "$RUN_WHO own filter"
	expect_unchanged a "$RUN_SA"
	# A dirfd-relative name, and openat2's RESOLVE_IN_ROOT ("/b" in ".").
	run_fresh
	[ "$(run_as "$C" run -- "$T/sv" openat-dirfd . b)" = ok ] || fail "$RUN_WHO openat(dirfd)"
	expect_unchanged a "$RUN_SA"
	run_fresh
	[ "$(run_as "$C" run -- "$T/sv" openat2-inroot . /b)" = ok ] || fail "$RUN_WHO openat2 RESOLVE_IN_ROOT"
	expect_unchanged a "$RUN_SA"
	# Removing or replacing the other name leaves a an ordinary file again.
	for op in unlink rename; do
		run_fresh
		run_as sh -c 'echo new >n'
		[ "$(run_as "$C" run -- "$T/sv" "$op" b n)" = ok ] || fail "$RUN_WHO $op"
		[ "$(stat -c %a a)" = 640 ] || fail "$RUN_WHO $op: survivor a is $(stat -c %a a), want 640"
		getfattr -n user.cowlink a >/dev/null 2>&1 && fail "$RUN_WHO $op: survivor a keeps the mark"
		true
	done
	# A rename between two names of one set: for two copies the source
	# goes (POSIX's no-op between two links of one inode would keep it),
	# as under the shim; the other name is an ordinary file again.
	run_fresh
	[ "$(run_as "$C" run -- "$T/sv" rename b a)" = ok ] || fail "$RUN_WHO rename within a set"
	[ ! -e a ] || fail "$RUN_WHO rename a over b, names of one set: a is still there"
	[ "$(run_plain_meta b)" = "$(run_plain_meta c)" ] || fail "$RUN_WHO rename within a set: b is not what a copy is"
	[ "$(stat -c '%a %h' b)" = "640 1" ] || fail "$RUN_WHO rename within a set: b is $(stat -c '%a %h' b)"
	# Through the magic link of a read-only or O_PATH fd (/proc/self/fd/N,
	# /dev/fd/N, /dev/stdout, another process's /proc/PID/fd/N): the
	# supervisor breaks the fd's name and opens the copy itself, or
	# re-points the fd at the copy before the kernel follows the link again.
	for op in fdlink devfd stdout-open opath-fdlink otherfd fdlink-truncate; do
		RUN_NOW=1 run_check "$T/sv" "$op" @
	done
	run_check "$T/sv" fdlink-chmod @
	run_check "$T/sv" fdlink-utime @
	# An fd on the name, changed twice (Go's f.Chown then f.Chmod): the
	# second change and fstat reach the name's copy, not a.
	run_check "$T/sv" fchown-fchmod @
	run_fresh
	run_as "$C" run --trees "$PWD" -- "$T/sv" fchown-fchmod b >/dev/null
	expect_unchanged a "$RUN_SA"
	# A relative name the kernel takes (4,094 bytes) but too long with the
	# /proc prefix the supervisor puts in front: looked at all the same.
	local seg long i
	seg=$(printf 'd%.0s' $(seq 99))
	long=.
	for i in $(seq 40); do long=$long/$seg$i; done
	long=$long/eeeeeeeeeeeeeeeeeee
	run_as mkdir -p "$long"
	run_as sh -c 'echo data >"$1/a"' sh "$long"
	run_as "$COWLN" "$long/a" "$long/b"
	[ "$(run_as "$C" run -- "$T/sv" open "$long/b")" = ok ] || fail "$RUN_WHO open of a long name"
	[ "$(cat "$long/a")" = data ] || fail "$RUN_WHO the open of a long name reached the other name"
	grep -q appended "$long/b" || fail "$RUN_WHO the open of a long name did not write it"
	rm -rf "./${seg}1"
	# The same in a set of three: the two names left are still a set.
	run_fresh
	run_as "$COWLN" a d
	[ "$(run_as "$C" run -- "$T/sv" rename b a)" = ok ] || fail "$RUN_WHO rename within a set of three"
	[ ! -e a ] || fail "$RUN_WHO rename a over b, in a set of three: a is still there"
	[ "$(stat -c %h b)" = 2 ] && same_inode b d && getfattr -n user.cowlink b >/dev/null 2>&1 ||
		fail "$RUN_WHO rename within a set of three: b and d are no longer a set"
	rm -f d
	# A fork/exec tree 30 deep stays under the filter.
	run_fresh
	[ "$(run_as "$C" run -- "$T/sv" tree b 30 | tail -n1)" = ok ] || fail "$RUN_WHO deep tree"
	expect_unchanged a "$RUN_SA"
	[ "$(grep -c appended b)" = 1 ] || fail "$RUN_WHO deep tree: b has $(grep -c appended b) appends"
	# Many writers at once, static ones and shell appends through the shim
	# (whose break holds the directory lock while its own calls come up to
	# the supervisor): one private copy, every append in it, no deadlock.
	run_fresh
	run_as timeout 60 "$C" run -- sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		"$0" open b >/dev/null & echo appended >>b & done; wait' "$T/sv"
	expect_unchanged a "$RUN_SA"
	[ "$(grep -c appended b)" = 24 ] || fail "$RUN_WHO concurrent: b has $(grep -c appended b) appends, want 24"
	[ "$(stat -c %h b)" = 1 ] || fail "$RUN_WHO concurrent: b is not private"
}

RUN_WHO=root
if [ "$(id -u)" = 0 ]; then
	RUN_ID="1 1"
	for op in open openat creat trunc truncate ftruncate openat2 chmod fchmod utimensat futimens \
		setxattr fsetxattr removexattr utimensat-empty fchmodat2-empty setxattrat-empty \
		removexattrat-empty fdlink devfd fdlink-chmod fdlink-truncate fdlink-utime stdout-open \
		opath-fdlink otherfd fchown-fchmod; do
		run_bypass "$T/sv" "$op" @
	done
	run_bypass "$T/sv" chown @ 1 1
	run_bypass "$T/sv" handle @
	run_fresh
	"$T/sv" setversion b >/dev/null
	[ "$(lsattr -v a 2>/dev/null | cut -d' ' -f1)" = 4242 ] || [ -z "$(lsattr -v a 2>/dev/null)" ] ||
		fail "setversion without the supervisor left a's generation: the check proves nothing"
	run_fresh
	"$T/sv" rename b a >/dev/null
	[ -e a ] || fail "a rename within a set without the supervisor removed the source: the check proves nothing"
	# A file handle has no name to break: ETXTBSY, as under the shim.
	run_fresh
	out=$("$C" run -- "$T/sv" handle b) || true
	[ "$out" = ETXTBSY ] || fail "open_by_handle_at for writing of a cowlink: $out, want ETXTBSY"
	cmp -s a c || fail "open_by_handle_at reached a"
	[ "$(run_as "$C" run -- "$T/sv" handle c)" = ok ] || fail "open_by_handle_at of a plain file refused"
	run_fresh
	"$T/sv" unlink b >/dev/null
	[ "$(stat -c %a a)" = 440 ] || fail "unlink without the supervisor unshared a: the check proves nothing"
fi
mkdir work && cd work
cases

# The same as a non-root user, in a directory of their own.
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null && command -v setpriv >/dev/null; then
	run_user
	# The supervisor is root, the command drops to the user: the user's
	# credentials decide. A chmod through an fd of a file the user does not
	# own, and an unlink in a directory the user may not write, fail as they
	# would without the supervisor, and break nothing.
	mkdir rootdir && echo one >rootdir/a && chmod 0644 rootdir/a && "$COWLN" rootdir/a rootdir/b
	out=$("$C" run -- "${RUN_AS[@]}" "$T/sv" fchmod rootdir/b) || true
	[ "$out" = EPERM ] || fail "fchmod by a non-owner under a root supervisor: $out, want EPERM"
	out=$("$C" run -- "${RUN_AS[@]}" "$T/sv" unlink rootdir/b) || true
	[ "$out" = EACCES ] || fail "unlink in a root directory by a user under a root supervisor: $out, want EACCES"
	[ "$(stat -c %h rootdir/b)" = 2 ] || fail "the refused calls broke or removed rootdir/b"
	[ "$(stat -c %a rootdir/b)" = 444 ] || fail "fchmod by a non-owner changed the shared inode"
	cases
	# Transparency: a file the user may write but not read (so not read its
	# mark either) opens as without the supervisor.
	echo x >w && chmod 0402 w
	[ "$(run_as "$C" run -- "$T/sv" open w)" = ok ] || fail "$RUN_USER: write-only file refused under cowlink run"
fi
exit 0
