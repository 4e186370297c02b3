#!/bin/bash
# SPDX-License-Identifier: MIT
# cowln -r as cp -a would copy a tree: hard-link groups kept as groups (one
# private inode each, never the source's), what had to be copied said on
# stderr with the reason, FIFOs/sockets/devices made anew (said under -v),
# directory xattrs, ACLs and default ACLs; a copy into itself refused; a
# repeated cowln onto an existing cowlink is "File exists" unless -f.
. "$(dirname "$0")/lib.sh"
[ -n "${COWLN:-}" ] || skip "COWLN is not set (cowln not built)"
need setfattr getfattr setfacl getfacl python3

# A group of 3 names inside the tree, one with a name outside it.
mkdir -p s/a s/b
head -c 3145728 /dev/urandom >s/a/big
ln s/a/big s/b/big2
ln s/a/big s/big3
printf 'two\n' >s/h
ln s/h outside
printf 'single\n' >s/single
"$COWLN" -r --reflink=never s c 2>err || fail "cowln -r failed: $(cat err)"
# one inode for the group in the copy, not the source's, not marked
same_inode c/a/big c/b/big2 && same_inode c/a/big c/big3 || fail "the group was not kept"
same_inode s/a/big c/a/big && fail "the group's copy is the source inode"
[ "$(stat -c %h c/a/big)" = 3 ] || fail "the group's copy has $(stat -c %h c/a/big) names"
is_marked s/a/big && fail "the source group was marked"
[ "$(stat -c %h s/a/big)" = 3 ] || fail "the source group lost or gained names"
cmp -s s/a/big c/a/big || fail "the group's copy differs"
[ "$(stat -c %h c/h)" = 1 ] && ! same_inode s/h c/h || fail "s/h (a name outside) was not copied"
same_inode s/single c/single || fail "a single-link file was not linked"
# writes through one name of the copy's group show in its other names (a
# group), never in the source
printf 'x' | dd of=c/b/big2 conv=notrunc status=none 2>/dev/null || true
cmp -s c/a/big c/b/big2 || fail "the copy's group is not one file"
# the space: one copy of the big file, not three
[ "$(( $(du -sk c | cut -f1) ))" -lt 4200 ] || fail "the copy takes $(du -sk c) KiB"
# the report, without -v
grep -qF "cowln: 's' => 'c': 2 files (3.0 MiB) copied in full, not linked: plain hard links" err ||
	fail "no report of what was copied: $(cat err)"
grep -qF "; 2 more names kept as hard links of those copies, as cp -a does; 1 with names outside 's'" err ||
	fail "report: $(cat err)"
# --adopt: no copy, no report
"$COWLN" -r --adopt --reflink=never s c2 2>err || fail "cowln -r --adopt failed"
same_inode s/a/big c2/b/big2 || fail "--adopt did not link"
[ ! -s err ] || fail "--adopt reported: $(cat err)"
note "ok: hard-link groups"

# Special files, as cp -a makes them; under -v it says so.
mkdir sp
mkfifo -m 0640 sp/fifo
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' sp/sock
dev=
if [ "$(id -u)" = 0 ] && mknod sp/null c 1 3 2>/dev/null; then dev=1; fi
touch -h -d '2003-04-05' sp/fifo
"$COWLN" -rv --reflink=never sp sp2 >out 2>err || fail "cowln -r of special files failed: $(cat err)"
[ -p sp2/fifo ] && [ "$(stat -c %a sp2/fifo)" = 640 ] || fail "the FIFO: $(ls -l sp2)"
same_inode sp/fifo sp2/fifo && fail "the FIFO was linked, not made"
[ "$(stat -c %Y sp2/fifo)" = "$(stat -c %Y sp/fifo)" ] || fail "the FIFO's mtime"
[ -S sp2/sock ] || fail "the socket: $(ls -l sp2)"
grep -qF "cowln: 'fifo': FIFO copied" err && grep -qF "cowln: 'sock': socket copied" err ||
	fail "-v said nothing of the special files: $(cat err)"
if [ -n "$dev" ]; then
	[ -c sp2/null ] && [ "$(stat -c %t:%T sp2/null)" = 1:3 ] || fail "the device: $(ls -l sp2)"
fi
"$COWLN" -r --reflink=never sp sp3 2>err || fail "cowln -r sp sp3"
[ ! -s err ] || fail "without -v special files are copied silently: $(cat err)"
# Not root: a device node cannot be made, so one of the user's own is
# hard-linked (as cp -al), another user's is left out with a message and
# exit status 1 (as cp -a); groups are kept as well.
if [ -n "$dev" ] && command -v setpriv >/dev/null; then
	chmod 0755 "$T"
	mkdir -p nr/tree/x
	mknod -m 0666 nr/tree/null c 1 3
	chown 65534:65534 nr/tree/null
	mknod -m 0666 nr/tree/zero c 1 5
	printf 'g\n' >nr/tree/g1 && ln nr/tree/g1 nr/tree/x/g2
	chown -R 65534:65534 nr/tree/x nr/tree/g1 && chown 65534:65534 nr nr/tree
	rc=0; setpriv --reuid=65534 --regid=65534 --clear-groups "$COWLN" -rv --reflink=never nr/tree nr/copy \
		>/dev/null 2>err || rc=$?
	[ "$rc" = 1 ] || fail "not root, another user's device: exit $rc: $(cat err)"
	grep -qF "cowln: cannot copy 'nr/tree/zero': not allowed to make a device node or to link another user's (1 left out)" err ||
		fail "not root: no message for the device left out: $(cat err)"
	[ ! -e nr/copy/zero ] || fail "not root: another user's device is in the copy"
	same_inode nr/tree/null nr/copy/null || fail "not root: the user's device was not hard-linked"
	grep -qF "cowln: 'null': character device hard-linked (not allowed to make one)" err ||
		fail "not root: -v said: $(cat err)"
	same_inode nr/copy/g1 nr/copy/x/g2 && ! same_inode nr/tree/g1 nr/copy/g1 ||
		fail "not root: the group was not kept"
	[ "$(stat -c %U nr/copy/g1)" = "$(id -nu 65534)" ] || fail "not root: the group's copy is not the user's"
fi
note "ok: special files"

# Directory xattrs, ACL and default ACL.
mkdir -p ac/sub
setfattr -n user.color -v blue ac/sub
setfacl -m u:65534:rx ac/sub
setfacl -d -m u:65534:r ac/sub
"$COWLN" -r --reflink=never ac ac2 || fail "cowln -r ac"
[ "$(getfattr --only-values -n user.color ac2/sub)" = blue ] || fail "directory xattr not copied"
[ "$(getfacl -cp ac/sub)" = "$(getfacl -cp ac2/sub)" ] || fail "directory ACLs differ:
$(getfacl -cp ac/sub)
---
$(getfacl -cp ac2/sub)"
note "ok: directory xattrs and ACLs"

# Into itself: refused, as cp refuses, and nothing made.
for d in s s/a/deeper; do
	rc=0; "$COWLN" -r --reflink=never s "$d" 2>err || rc=$?
	want=$d; [ "$d" = s ] && want=s/s
	[ "$rc" = 1 ] || fail "cowln -r s $d: exit $rc"
	grep -qF "cowln: cannot copy a directory, 's', into itself, '$want'" err || fail "cowln -r s $d said: $(cat err)"
	[ ! -e "$want" ] || fail "cowln -r s $d made $want"
done
note "ok: into itself"

# A second cowln onto the cowlink it made: File exists, as ln; -f: nothing to do.
printf 'a\n' >f
"$COWLN" --reflink=never f g || fail "cowln f g"
rc=0; "$COWLN" --reflink=never f g 2>err || rc=$?
[ "$rc" = 1 ] && grep -qF "cowln: cannot link 'f' to 'g': File exists" err || fail "repeated cowln: exit $rc: $(cat err)"
"$COWLN" -f --reflink=never f g || fail "cowln -f onto its own cowlink"
same_inode f g || fail "f and g"
note "ok: File exists"

# Into an existing directory, as cp -r: the copy is DIR/SRC (which must not
# exist, -f or not); cowln(1) says so.
mkdir -p into/.keep tsrc && printf 'in\n' >tsrc/x
"$COWLN" -r --reflink=never tsrc into || fail "cowln -r tsrc into (an existing directory)"
[ -d into/tsrc ] && same_inode tsrc/x into/tsrc/x || fail "cowln -r into a directory did not make into/tsrc"
rc=0; "$COWLN" -r -f --reflink=never tsrc into 2>err || rc=$?
[ "$rc" = 1 ] && grep -qF "cowln: cannot link 'tsrc' to 'into/tsrc': File exists" err || fail "cowln -r -f onto into/tsrc: exit $rc: $(cat err)"
page=$(sed -n '/^\.BR \\-r ", "/,/^\.TP/p' "$COWLINK_SRC/tools/man/cowln.1" | tr '\n' ' ')
grep -q "is an existing directory" <<<"$page" && ! grep -q "which must not exist" <<<"$page" ||
	fail "cowln(1) does not say where -r copies into an existing directory: $page"
note "ok: into an existing directory"

# One getpid a process, not one a file: cowln never forks, so it asks its
# hidden names' pid once (cl_tmp_pin_pid), and every hidden name still
# carries it (cowlink fsck keeps a name whose process is alive). Counted on
# 12 and 36 files: the same count (the ASan runtime asks for itself too).
if command -v strace >/dev/null; then
	pids() { # pids N: getpids of cowln -r on N files
		rm -rf "pids$1" "pids$1-c" && mkdir "pids$1"
		for ((i = 0; i < $1; i++)); do printf '%s\n' "$i" >"pids$1/f$i"; done
		strace -f -qq -e trace=execve,getpid,linkat -o "$T/pids.trace" \
			"$COWLN" -r --reflink=never "pids$1" "pids$1-c" || fail "cowln -r pids$1 under strace"
		grep -c 'getpid()' "$T/pids.trace" || true
	}
	n12=$(pids 12)
	pid=$(awk 'NR == 1 { print $1 }' "$T/pids.trace")
	tmps=$(grep -o '"\.cowlink-tmp\.[0-9]*\.' "$T/pids.trace" | sort | uniq -c)
	[ "$(wc -l <<<"$tmps")" = 1 ] && grep -q "\"\.cowlink-tmp\.$pid\.\$" <<<"$tmps" &&
		[ "$(awk '{ print $1 }' <<<"$tmps")" -ge 12 ] ||
		fail "hidden names of cowln -r (pid $pid): $tmps"
	n36=$(pids 36)
	[ "$n12" -lt 12 ] && [ "$n36" = "$n12" ] ||
		fail "cowln -r asked for its pid $n12 times for 12 files, $n36 for 36"
	note "ok: $n12 getpid for 12 files and for 36"
else
	note "no strace: the getpid count is not checked"
fi
exit 0
