# SPDX-License-Identifier: MIT
# A tree of cowlinks backed up and restored without the shim, and orphans
# left by removing names without it (issue 23):
#   tar          tar without --xattrs restores each set as plain read-only
#                hard links: fsck reports them (one line per inode), -n and
#                a plain run change nothing, --adopt makes them sets again,
#                and a write under the shim then leaves the other names be;
#   tar-xattrs   tar --xattrs --xattrs-include='user.*' keeps the sets:
#                fsck reports only the names of the other restore;
#   rsync        the same with rsync -aH (reported) and -aHX (kept);
#   orphans      cowln -r src copy && rm -rf copy: status -r says so and how
#                to repair, fsck --orphans unshares each (and nothing else);
#   adopt-refused  --adopt leaves alone what it must not make a set;
#   cowln-clone  on btrfs cowln -r clones an orphan, which stays one: cowln
#                says so (where it links, the orphan is a set again: orphans).
# cases: tar tar-xattrs rsync orphans adopt-refused cowln-clone
. "$(dirname "$0")/lib.sh"
need setfattr getfattr
need_shim
[ -x "${COWLINK_TOOL:-}" ] || fail "COWLINK_TOOL is not set"
[ -x "${COWLN:-}" ] || fail "COWLN is not set"
C=$COWLINK_TOOL
mark() { getfattr --only-values -n user.cowlink "$1" 2>/dev/null || true; }
# The raw state of a tree: names, inodes, links, modes, marks.
tree_state() { (cd "$1" && find . -printf '%p %i %n %m\n' | sort && getfattr -R -d -m '^user\.' . 2>/dev/null) || true; }
# Without the shim, whatever the caller's environment says.
noshim() { env -u LD_PRELOAD "$@"; }

# src (a, sub/b 0640, c) and copy, its cowlinks: three sets of two names.
make_sets() {
	mkdir -p src/sub
	printf 'one\n' >src/a && chmod 0644 src/a
	printf 'two\n' >src/sub/b && chmod 0640 src/sub/b
	seq 1 2000 >src/c && chmod 0644 src/c
	"$COWLN" -r --reflink=never src copy || fail "setup: cowln -r"
	is_marked src/a && same_inode src/a copy/a || fail "setup: src/a is not a cowlink set"
}

# check_restored DIR: fsck reports DIR's three sets, one line each naming
# both names; -n and a plain run change nothing (exit 4).
check_restored() {
	local d=$1 before out rc n
	before=$(tree_state "$d")
	for n in "-n" ""; do
		rc=0; out=$("$C" fsck $n "$d") || rc=$?
		[ "$rc" = 4 ] || fail "fsck $n of a restored tree: exit $rc, want 4: $out"
		[ "$(tree_state "$d")" = "$before" ] || fail "fsck $n changed the restored tree"
		[ "$(grep -c 'without a mark and without write bits' <<<"$out")" = 3 ] ||
			fail "fsck $n: want one line per restored set, got: $out"
		grep -qF "$d/copy/a: 2 hard links (also $d/src/a) without a mark and without write bits: a cowlink set restored without its xattrs, or a read-only hard-link group (left as it is; 'cowlink fsck --adopt $d/copy/a' makes it a set again)" <<<"$out" ||
			fail "fsck $n: no line for $d/copy/a: $out"
		grep -qF "$d/copy/sub/b: 2 hard links (also $d/src/sub/b)" <<<"$out" || fail "fsck $n: no line for sub/b: $out"
		grep -qF "$d/copy/c: 2 hard links (also $d/src/c)" <<<"$out" || fail "fsck $n: no line for c: $out"
	done
}

# adopt_and_write DIR: --adopt makes DIR's sets cowlink sets again (owner
# write bit recorded); a write under the shim to one name then leaves the
# other byte for byte.
adopt_and_write() {
	local d=$1 out rc
	rc=0; out=$("$C" fsck -n --adopt "$d/src/a") || rc=$?
	[ "$rc" = 4 ] && [ -z "$(mark "$d/src/a")" ] || fail "fsck -n --adopt: exit $rc, mark [$(mark "$d/src/a")]"
	grep -qF "$d/src/a: would make its 2 hard links one cowlink set, recorded +0200" <<<"$out" || fail "fsck -n --adopt said: $out"
	rc=0; out=$("$C" fsck --adopt "$d/src/a" "$d/copy/a" "$d/src/sub/b" "$d/copy/c") || rc=$?
	[ "$rc" = 1 ] || fail "fsck --adopt: exit $rc, want 1: $out"
	grep -qF "$d/src/a: its 2 hard links are one cowlink set now, recorded +0200, mode 0444" <<<"$out" &&
		grep -qF "$d/copy/a: adopted already, with another name of its inode" <<<"$out" &&
		grep -qF "$d/src/sub/b: its 2 hard links are one cowlink set now, recorded +0200, mode 0440" <<<"$out" ||
		fail "fsck --adopt said: $out"
	for f in src/a src/sub/b copy/c; do
		[ "$(mark "$d/$f")" = "cowlink v1 w=0200" ] || fail "$d/$f: mark [$(mark "$d/$f")] after --adopt"
	done
	[ "$(stat -c %a "$d/src/a")" = 444 ] && [ "$(stat -c %a "$d/src/sub/b")" = 440 ] ||
		fail "--adopt changed the modes: $(stat -c %a "$d/src/a" "$d/src/sub/b")"
	rc=0; out=$("$C" fsck "$d") || rc=$?
	[ "$rc" = 0 ] && [ -z "$out" ] || fail "fsck after --adopt: exit $rc: $out"
	[ "$(under_shim stat -c %a "$d/copy/a")" = 644 ] || fail "the adopted set presents $(under_shim stat -c %a "$d/copy/a")"
	under_shim sh -c "echo more >>'$d/copy/a'" || fail "write under the shim refused"
	cmp -s "$d/src/a" src/a || fail "$d/src/a changed with a write to $d/copy/a: $(cat "$d/src/a")"
	[ "$(cat "$d/copy/a")" = "$(printf 'one\nmore')" ] || fail "$d/copy/a: $(cat "$d/copy/a")"
	same_inode "$d/src/a" "$d/copy/a" && fail "the write did not break $d/copy/a"
	[ "$(stat -c %a "$d/copy/a")" = 644 ] || fail "$d/copy/a broke with mode $(stat -c %a "$d/copy/a")"
	under_shim sh -c "echo new >'$d/src/sub/b'" || fail "write under the shim refused (sub/b)"
	cmp -s "$d/copy/sub/b" src/sub/b || fail "$d/copy/sub/b changed with a write to $d/src/sub/b"
	cmp -s "$d/src/c" src/c && cmp -s "$d/copy/c" src/c || fail "c changed"
	return 0
}

case $CASE in
tar)
	make_sets
	noshim tar -cf set.tar src copy
	mkdir r && noshim tar -xf set.tar -C r
	[ -z "$(mark r/src/a)" ] || fail "setup: tar without --xattrs kept the mark"
	check_restored r
	"$C" status r/src/a | grep -qxF "r/src/a: 2 hard links, not marked (cowlinks only under COWLINK_TREES), no write bits: a set restored without its xattrs? 'cowlink fsck --adopt' makes it one" ||
		fail "status of a restored set: $("$C" status r/src/a)"
	adopt_and_write r
	;;
tar-xattrs)
	make_sets
	noshim tar --xattrs --xattrs-include='user.*' -cf keep.tar src copy
	noshim tar -cf lose.tar src copy
	mkdir keep lose
	noshim tar --xattrs --xattrs-include='user.*' -xf keep.tar -C keep
	noshim tar -xf lose.tar -C lose
	[ "$(mark keep/src/a)" = "cowlink v1 w=0200" ] && same_inode keep/src/a keep/copy/a ||
		fail "tar --xattrs did not keep the set: [$(mark keep/src/a)]"
	rc=0; out=$("$C" fsck -n keep lose) || rc=$?
	[ "$rc" = 4 ] || fail "fsck -n keep lose: exit $rc: $out"
	[ "$(grep -c 'without a mark' <<<"$out")" = 3 ] && ! grep -q '^keep/' <<<"$out" ||
		fail "fsck reports the sets tar --xattrs kept, or misses the others: $out"
	under_shim sh -c 'echo more >>keep/copy/a' || fail "write under the shim refused"
	cmp -s keep/src/a src/a && ! same_inode keep/src/a keep/copy/a || fail "keep/src/a changed with keep/copy/a"
	;;
rsync)
	need rsync
	make_sets
	mkdir lose keep
	noshim rsync -aH src copy lose/
	noshim rsync -aHX src copy keep/
	[ "$(mark keep/src/a)" = "cowlink v1 w=0200" ] && same_inode keep/src/a keep/copy/a ||
		fail "rsync -aHX did not keep the set: [$(mark keep/src/a)]"
	same_inode lose/src/a lose/copy/a || fail "setup: rsync -aH did not keep the hard links"
	rc=0; out=$("$C" fsck -n keep) || rc=$?
	[ "$rc" = 0 ] && [ -z "$out" ] || fail "fsck of the rsync -aHX copy: exit $rc: $out"
	check_restored lose
	adopt_and_write lose
	;;
orphans)
	make_sets
	# Not orphans, for fsck --orphans to leave alone: a temp name, a set
	# made writable, a read-only hard-link group.
	echo t >src/.cowlink-tmp.999999999.1
	echo u >src/u && "$COWLN" --reflink=never src/u src/u2 && chmod 0644 src/u
	echo g >src/g && chmod 0444 src/g && ln src/g src/g2
	noshim rm -rf copy
	[ "$(stat -c %h.%a src/a)" = 1.444 ] && is_marked src/a || fail "setup: src/a is not an orphan"
	rc=0; out=$("$C" status -r src) || rc=$?
	[ "$rc" = 0 ] || fail "status -r: exit $rc"
	grep -qxF "src: 3 orphans, read-only until unshared: 'cowlink fsck --orphans src' unshares them" <<<"$out" ||
		fail "status -r does not say how to repair the orphans: $out"
	before=$(tree_state src)
	rc=0; out=$("$C" fsck -n --orphans src) || rc=$?
	[ "$rc" = 4 ] && [ "$(tree_state src)" = "$before" ] || fail "fsck -n --orphans: exit $rc or changed the tree: $out"
	grep -qxF "src/sub/b: orphaned mark (one name left) (would unshare in place, mode 0640)" <<<"$out" &&
		grep -qxF "src: 3 orphans found, 0 unshared in place (-n)" <<<"$out" || fail "fsck -n --orphans said: $out"
	rc=0; out=$("$C" fsck --orphans src) || rc=$?
	[ "$rc" = 1 ] || fail "fsck --orphans: exit $rc, want 1: $out"
	[ "$(wc -l <<<"$out")" = 4 ] &&
		grep -qxF "src/a: orphaned mark (one name left): unshared in place, mode 0644" <<<"$out" &&
		grep -qxF "src/c: orphaned mark (one name left): unshared in place, mode 0644" <<<"$out" &&
		grep -qxF "src/sub/b: orphaned mark (one name left): unshared in place, mode 0640" <<<"$out" &&
		grep -qxF "src: 3 orphans found, 3 unshared in place" <<<"$out" || fail "fsck --orphans said: $out"
	for f in a:644 sub/b:640 c:644; do
		[ "$(stat -c %a "src/${f%:*}")" = "${f#*:}" ] && [ -z "$(mark "src/${f%:*}")" ] ||
			fail "src/${f%:*}: mode $(stat -c %a "src/${f%:*}"), mark [$(mark "src/${f%:*}")] after fsck --orphans"
	done
	[ "$(cat src/a)" = one ] && [ "$(cat src/sub/b)" = two ] && [ "$(seq 1 2000)" = "$(cat src/c)" ] || fail "content lost"
	[ -e src/.cowlink-tmp.999999999.1 ] && [ "$(stat -c %a src/u)" = 644 ] && [ "$(stat -c %a src/g)" = 444 ] ||
		fail "fsck --orphans touched what is not an orphan"
	out=$("$C" status -r src)
	grep -q "orphans, read-only" <<<"$out" && fail "status -r still speaks of orphans: $out"
	rc=0; out=$("$C" fsck --orphans src) || rc=$?
	[ "$rc" = 0 ] && [ "$out" = "src: 0 orphans found, 0 unshared in place" ] || fail "second fsck --orphans: exit $rc: $out"
	# The full fsck finds the rest.
	rc=0; out=$("$C" fsck src) || rc=$?
	[ "$rc" = 5 ] || fail "fsck after --orphans: exit $rc, want 5: $out"
	grep -qF "src/g: 2 hard links (also src/g2) without a mark" <<<"$out" || fail "fsck misses the read-only group: $out"
	# Where cowln links (no clone here), an orphan it meets is one of the
	# new set: nothing to say.
	mkdir o && echo o >o/f && "$COWLN" --reflink=never -r o o2 && noshim rm -rf o2
	"$COWLN" -r --reflink=never o o3 2>err || fail "cowln -r of an orphan: $(cat err)"
	[ ! -s err ] && same_inode o/f o3/f && [ "$(mark o/f)" = "cowlink v1 w=0200" ] ||
		fail "cowln -r of an orphan: [$(cat err)] $(stat -c '%h %a' o/f) [$(mark o/f)]"
	;;
adopt-refused)
	mkdir d
	echo one >one && chmod 0444 one
	echo w >w1 && ln w1 w2
	echo m >m1 && "$COWLN" --reflink=never m1 m2
	echo r >r1 && chmod 0444 r1 && ln r1 r2 && ln -s r1 sl
	mkfifo fifo
	before=$(tree_state .)
	for c in "one:one name only, nothing to share" \
		"w1:has write bits: an ordinary hard-link group, which shares writes on purpose ('cowln --adopt' makes one into cowlinks)" \
		"m2:has a mark already" "d:not a regular file" "sl:not a regular file" "fifo:not a regular file"; do
		rc=0; out=$("$C" fsck --adopt "${c%%:*}" 2>&1) || rc=$?
		[ "$rc" = 4 ] || fail "--adopt ${c%%:*}: exit $rc, want 4: $out"
		grep -qF "cowlink: ${c%%:*}: not adopted, left as it is: ${c#*:}" <<<"$out" || fail "--adopt ${c%%:*} said: $out"
		[ "$(tree_state .)" = "$before" ] || fail "--adopt ${c%%:*} changed something"
	done
	rc=0; "$C" fsck --adopt missing 2>err || rc=$?
	[ "$rc" = 8 ] && grep -q "missing: cannot adopt: No such file" err || fail "--adopt of a missing path: exit $rc: $(cat err)"
	rc=0; "$C" fsck --adopt --orphans r1 2>/dev/null || rc=$?
	[ "$rc" = 16 ] || fail "--adopt with --orphans: exit $rc, want 16"
	# The symlink's target is a restored group: adopted by its own name.
	rc=0; "$C" fsck --adopt r2 >/dev/null || rc=$?
	[ "$rc" = 1 ] && [ "$(mark r1)" = "cowlink v1 w=0200" ] || fail "--adopt r2: exit $rc, mark [$(mark r1)]"
	;;
cowln-clone)
	mnt=$(loopfs btrfs 256)
	cd "$mnt"
	mkdir src && echo a >src/a && echo b >src/b && chmod 0640 src/b && echo p >src/plain
	"$COWLN" -r --reflink=never src copy && noshim rm -rf copy && noshim rm -f src/plain
	echo p >src/plain
	rc=0; "$COWLN" -r src clone 2>err || rc=$?
	[ "$rc" = 0 ] || fail "cowln -r of a tree with orphans: exit $rc: $(cat err)"
	grep -qxF "cowln: 'src' has 2 orphans (one name left, read-only, left so): 'cowlink fsck --orphans src' unshares them" err ||
		fail "cowln -r does not tell of the orphans it leaves: $(cat err)"
	[ "$(stat -c '%h %a' src/a)" = "1 444" ] && [ "$(stat -c '%h %a' clone/b)" = "1 640" ] && [ -z "$(mark clone/b)" ] ||
		fail "cowln -r on btrfs: src/a $(stat -c '%h %a' src/a), clone/b $(stat -c '%h %a' clone/b) [$(mark clone/b)]"
	"$C" fsck --orphans src >/dev/null || true
	rc=0; "$COWLN" -r src clone2 2>err || rc=$?
	[ "$rc" = 0 ] && [ ! -s err ] || fail "cowln -r of a tree without orphans: exit $rc: $(cat err)"
	;;
*) fail "unknown case '$CASE'" ;;
esac
exit 0
