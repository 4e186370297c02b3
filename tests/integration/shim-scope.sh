#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Scope mode: with COWLINK_TREES, every multi-link regular file under those
# trees is a cowlink without any mark, so a `cp -al` copy of a tree is safe
# to write through the shim. Outside the scope, plain hard links stay hard
# links: a write through one name shows in the other. "Under" is decided by
# the directories' (dev, ino), so symlinks and .. cannot fool it.
. "$(dirname "$0")/lib.sh"
need_shim

mk_tree() {
	mkdir -p "$1/sub"
	local f
	for f in f1 f2 f3 f4 f5 sub/f6; do
		printf 'content of %s\n' "$f" >"$1/$f"
		chmod 0644 "$1/$f"
		touch -d '2002-03-04' "$1/$f"
	done
}
mk_tree "$T/src"
cp -al "$T/src" "$T/dst"
mkdir -p "$T/outside" "$T/ref"
cp -a "$T/src/." "$T/ref/"
[ "$(stat -c %h "$T/src/f1")" = 2 ] || fail "setup: cp -al did not hard-link"
export COWLINK_TREES="$T/src:$T/dst"

# expect_split NAME WRITTEN OTHER REF_CONTENT: OTHER still holds the
# original bytes (and metadata), WRITTEN got the write, they are separate.
expect_split() {
	local o r
	pick o "$(snap_fields "$3")" logical
	pick r "$(snap_fields "$T/ref/${3#"$T"/src/}")" logical
	[ "$o" = "$r" ] || fail "$1: $3 changed: [$o], was [$r]"
	[ "$(stat -c %i "$2")" != "$(stat -c %i "$3")" ] || fail "$1: $2 still shares $3's inode"
	note "ok: $1"
}
under_shim bash -c "echo appended >> '$T/dst/f1'"
[ "$(tail -n1 "$T/dst/f1")" = appended ] || fail "scope append lost"
expect_split append "$T/dst/f1" "$T/src/f1"
(cd "$T/dst" && under_shim sed -i s/content/CONTENT/ f2)
expect_split sed-i "$T/dst/f2" "$T/src/f2"
under_shim chmod 0600 "$T/dst/f3"
[ "$(stat -c %a "$T/dst/f3")" = 600 ] || fail "scope chmod lost"
expect_split chmod "$T/dst/f3" "$T/src/f3"
# Through .. and through a symlink from outside the trees.
(cd "$T/dst/sub" && under_shim bash -c 'echo dotdot >> ../f4')
expect_split dotdot "$T/dst/f4" "$T/src/f4"
ln -s "$T/dst/f5" "$T/outside/link"
under_shim bash -c "echo via-symlink >> '$T/outside/link'"
expect_split symlink "$T/dst/f5" "$T/src/f5"
# Presentation in scope: one link.
[ "$(under_shim stat -c %h "$T/src/sub/f6")" = 1 ] || fail "a scope file must be presented with one link"
# The source tree is in scope too.
under_shim bash -c "echo to-src >> '$T/src/sub/f6'"
o=$(cat "$T/dst/sub/f6")
[ "$o" = "content of sub/f6" ] || fail "writing src changed dst: [$o]"
note "ok: write to the source tree"

# Outside the scope: hard links are hard links, even under the shim.
mk_tree "$T/p"
cp -al "$T/p" "$T/q"
COWLINK_TREES="$T/outside" under_shim bash -c "echo shared >> '$T/q/f1'"
[ "$(tail -n1 "$T/p/f1")" = shared ] || fail "outside the scope a write through one hard link must show in the other"
[ "$(stat -c %i "$T/p/f1")" = "$(stat -c %i "$T/q/f1")" ] || fail "outside the scope a hard link was split"
env -u COWLINK_TREES LD_PRELOAD="$PRELOAD" bash -c "echo shared2 >> '$T/q/f2'"
[ "$(tail -n1 "$T/p/f2")" = shared2 ] || fail "without COWLINK_TREES a write through one hard link must show in the other"
[ "$(COWLINK_TREES="$T/outside" under_shim stat -c %h "$T/q/f3")" = 2 ] || fail "outside the scope the real link count must show"
note "ok: outside the scope"

# A mistyped or missing entry is dropped, and said once on stderr whether
# debugging or not (a write under it goes into the shared inode); the
# entries that are directories still hold.
mk_tree "$T/r"
cp -al "$T/r" "$T/s"
err=$(COWLINK_TREES="$T/typo:$T/r:$T/s" COWLINK_DEBUG= under_shim bash -c "echo w >> '$T/s/f1'" 2>&1)
[ "$(grep -c "^cowlink: COWLINK_TREES: '$T/typo' dropped (No such file or directory)" <<<"$err")" = 1 ] ||
	fail "a dropped entry must be said once: [$err]"
[ "$(grep -c . <<<"$err")" = 1 ] || fail "more than the one line: [$err]"
[ "$(cat "$T/r/f1")" = "content of f1" ] || fail "the good entries of a list with a bad one must hold"
err=$(COWLINK_TREES="$T/r/f2" under_shim /bin/true 2>&1)
grep -q "COWLINK_TREES: '$T/r/f2' dropped (Not a directory)" <<<"$err" || fail "a file as a tree: [$err]"
err=$(COWLINK_TREES="$T/r:$T/s" under_shim /bin/true 2>&1)
[ -z "$err" ] || fail "good entries made noise: [$err]"
note "ok: a dropped entry is said"
