#!/bin/bash
# SPDX-License-Identifier: MIT
# cowln refusals: each with its message and exit status 1, the source left
# as it was and no destination made. The cases that need root, setpriv or a
# mount are cases of their own, skipped where they cannot run.
# cases: basic rodir others xdev noxattr
. "$(dirname "$0")/lib.sh"
[ -n "${COWLN:-}" ] || skip "COWLN is not set (cowln not built)"

# expect_error WORDS CMD...: CMD must exit 1 and say WORDS on stderr.
expect_error() {
	local words=$1 rc=0; shift
	"$@" 2>err >/dev/null || rc=$?
	[ "$rc" = 1 ] || fail "$* exited $rc, not 1 ($(cat err))"
	grep -qF -- "$words" err || fail "$* said [$(cat err)], not [$words]"
}

case_basic() {
	printf 'src\n' > a
	chmod 644 a
	before=$(snapshot a)
	expect_error "cowln: cannot link 'none' to 'x': No such file or directory" "$COWLN" none x
	mkdir dir
	expect_error "cowln: cannot link 'dir' to 'x': is a directory (use -r)" "$COWLN" dir x
	mkfifo fifo
	expect_error "cowln: cannot link 'fifo' to 'x': not a regular file" "$COWLN" fifo x
	expect_error "cowln: cannot link '/dev/null' to 'x': not a regular file" "$COWLN" /dev/null x
	printf 'other\n' > b
	expect_error "cowln: cannot link 'a' to 'b': File exists" "$COWLN" a b
	ln a h
	expect_error "cowln: 'a' and 'h' are the same file" "$COWLN" -f a h
	rm h
	expect_error "cowln: missing file operand" "$COWLN"
	expect_error "cowln: missing destination file operand after 'a'" "$COWLN" a
	expect_error "cowln: target 'b' is not a directory" "$COWLN" a a b
	expect_error "invalid argument 'sometimes' for '--reflink'" "$COWLN" --reflink=sometimes a x
	[ ! -e x ] || fail "a destination was made"
	expect_unchanged a "$before"
	[ "$(stat -c %h a)" = 1 ] || fail "a has $(stat -c %h a) links"

	# Open for writing: refused while the writer holds it, fine afterwards.
	exec 3>>a
	expect_error "cowln: cannot link 'a' to 'x': source is open for writing" "$COWLN" a x
	exec 3>&-
	[ ! -e x ] || fail "x made while a was open for writing"
	expect_unchanged a "$before"
	"$COWLN" --reflink=never a x || fail "cowln failed once the writer was gone"
	rm -f x

	# A record that still says " unsharing" (an orphan's unshare cut
	# short): while another process has the file open the unshare may be
	# live, refused with what was found; with nothing holding it, a left
	# -over, taken over: the link is made and the record is whole again.
	printf 'unsharing\n' > u
	setfattr -n user.cowlink -v "cowlink v1 w=0200 unsharing" u
	chmod 444 u
	ubefore=$(snapshot u)
	exec 3<u
	expect_error "cowln: cannot link 'u' to 'x': source is being unshared" "$COWLN" u x
	exec 3<&-
	[ ! -e x ] || fail "x made while u's unshare may be live"
	expect_unchanged u "$ubefore"
	"$COWLN" --reflink=never u x || fail "cowln refused a left-over \" unsharing\" record"
	same_inode u x || fail "u and x are not one inode"
	[ "$(getfattr --only-values -n user.cowlink u)" = "cowlink v1 w=0200" ] ||
		fail "u's record is [$(getfattr --only-values -n user.cowlink u)]"
	rm -f x u

	# A failure among several sources: the others are still linked, exit 1.
	rc=0
	"$COWLN" --reflink=never none a dir2 2>err || rc=$?
	[ "$rc" = 1 ] || fail "target not a directory: exit $rc"
	mkdir d
	rc=0
	"$COWLN" --reflink=never none b d 2>err || rc=$?
	[ "$rc" = 1 ] && [ -e d/b ] || fail "one bad source: exit $rc, d/b missing"
}

case_rodir() {
	need_root
	need setpriv
	# Read-only directory, as a user who cannot write it.
	chmod 755 "$T"
	mkdir ro u
	chmod 555 ro
	printf 'mine\n' > u/f
	chown -R 65534:65534 u
	expect_error "cowln: cannot link 'u/f' to 'ro/f': Permission denied" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$COWLN" u/f ro/f
	[ -z "$(getfattr -d -m user.cowlink u/f 2>/dev/null)" ] || fail "u/f marked after a failure"
	[ "$(stat -c %a u/f)" = 644 ] || fail "u/f mode changed after a failure"
}

# Another user's file: not a bare "Permission denied", but why (only its
# owner or root may make a cowlink of it) and what to do; nothing changes,
# whether the user may write the file (0666: the chmod that clears its write
# bits is refused) or not (0644: the mark).
case_others() {
	need_root
	need setpriv
	chmod 755 "$T"
	mkdir shared
	chmod 1777 shared
	printf 'roots\n' > shared/f
	for mode in 644 666; do
		chmod "$mode" shared/f
		before=$(snapshot shared/f)
		expect_error "the source belongs to uid 0, and only its owner (or root) can make a cowlink of it" \
			setpriv --reuid=65534 --regid=65534 --clear-groups "$COWLN" shared/f shared/g
		grep -qF "copy it with cp instead" err || fail "no advice for another user's file: $(cat err)"
		[ ! -e shared/g ] || fail "shared/g made for another user's $mode file"
		[ "$(snapshot shared/f)" = "$before" ] || fail "another user's $mode file changed"
		[ -z "$(getfattr -d -m user.cowlink shared/f 2>/dev/null)" ] || fail "shared/f marked"
	done
}

case_xdev() {
	need_root
	# Across filesystems: said, or copied with --copy-across.
	printf 'src\n' > a
	chmod 644 a
	mkdir other
	mount -t tmpfs -o size=4m cowln-test "$T/other" || skip "cannot mount tmpfs"
	expect_error "cowln: cannot link 'a' to 'other/a': different filesystems (use --copy-across)" \
		"$COWLN" a other/a
	[ ! -e other/a ] || fail "other/a made across filesystems"
	"$COWLN" --copy-across a other/a || fail "--copy-across failed"
	cmp a other/a || fail "--copy-across copy differs"
	[ "$(stat -c %a other/a)" = 644 ] || fail "copy mode $(stat -c %a other/a)"
	umount "$T/other"
}

case_noxattr() {
	need_root
	# A filesystem without user extended attributes: ramfs has none (and needs
	# no loop device; this kernel has no vfat). Named, nothing done.
	mkdir ramfs
	mount -t ramfs cowln-test "$T/ramfs" 2>/dev/null || skip "cannot mount ramfs"
	printf 'ram\n' > ramfs/f
	chmod 644 ramfs/f
	expect_error "cowln: cannot link 'ramfs/f' to 'ramfs/g': ramfs does not support user extended attributes" \
		"$COWLN" ramfs/f ramfs/g
	[ ! -e ramfs/g ] || fail "ramfs/g made without xattrs"
	[ "$(stat -c '%a %h' ramfs/f)" = "644 1" ] || fail "ramfs/f changed: $(stat -c '%a %h' ramfs/f)"
	# -r: the first file fails the same way, after the walk made the
	# directories; it takes them away again, and never a directory that
	# was there before (-r into an existing one makes DIR/NAME in it).
	mkdir -p ramfs/s/sub/deeper ramfs/s/sib ramfs/into
	printf 'tree\n' > ramfs/s/sub/deeper/x
	printf 'kept\n' > ramfs/into/old
	expect_error "cowln: cannot link 'ramfs/s/sub/deeper/x' to 'ramfs/d/sub/deeper/x': ramfs does not support user extended attributes" \
		"$COWLN" -r ramfs/s ramfs/d
	[ ! -e ramfs/d ] || fail "cowln -r left $(find ramfs/d | tr '\n' ' ')"
	expect_error "cowln: cannot link 'ramfs/s/sub/deeper/x' to 'ramfs/into/s/sub/deeper/x': ramfs does not support user extended attributes" \
		"$COWLN" -r ramfs/s ramfs/into
	[ "$(find ramfs/into | sort | tr '\n' ' ')" = "ramfs/into ramfs/into/old " ] ||
		fail "cowln -r into a directory left $(find ramfs/into | tr '\n' ' ')"
	[ "$(cat ramfs/into/old)" = kept ] || fail "ramfs/into/old changed"
	[ "$(find ramfs/s | sort | tr '\n' ' ')" = "ramfs/s ramfs/s/sib ramfs/s/sub ramfs/s/sub/deeper ramfs/s/sub/deeper/x " ] ||
		fail "the source tree changed: $(find ramfs/s | tr '\n' ' ')"
	[ "$(stat -c '%h' ramfs/s/sub/deeper/x)" = 1 ] || fail "ramfs/s/sub/deeper/x was linked"
	umount "$T/ramfs"
}

case $CASE in
basic | rodir | others | xdev | noxattr) "case_$CASE" ;;
*) fail "give a case: basic, rodir, others, xdev or noxattr" ;;
esac
exit 0
