#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Presentation: under the shim a cowlink looks like the private file it
# stands for: the recorded mode, one link, writable (test -w, access), no
# mark; so tar, cp -a and rsync -H treat the names as separate files.
# ctest: LABELS quick
. "$(dirname "$0")/lib.sh"
need_shim
need setpriv tar rsync
need_root

mkdir -p "$T/p" && cd "$T/p"
seed_file a && cow_link a b c
[ "$(stat -c '%a %h' b)" = "440 3" ] || fail "setup: raw b is $(stat -c '%a %h' b)"
pick raw "$(snap_fields a)" raw

# stat(1) (statx), and the stat/lstat/fstat families through other programs.
[ "$(under_shim stat -c '%a %h' b)" = "640 1" ] || fail "stat under the shim: $(under_shim stat -c '%a %h' b), want 640 1"
[ "$(under_shim stat -L -c '%a %h' b)" = "640 1" ] || fail "stat -L under the shim"
ln -s b l
[ "$(under_shim stat -L -c '%a %h' l)" = "640 1" ] || fail "stat through a symlink under the shim"
[ "$(under_shim ls -l b | cut -c1-12)" = "-rw-r----- 1" ] || fail "ls -l under the shim: $(under_shim ls -l b)"
[ "$(under_shim python3 -c 'import os; s = os.stat("b"); print(oct(s.st_mode & 0o7777), s.st_nlink)')" = "0o640 1" ] \
	|| fail "os.stat under the shim"
[ "$(under_shim python3 -c 'import os; fd = os.open("b", os.O_RDONLY); s = os.fstat(fd); print(oct(s.st_mode & 0o7777), s.st_nlink)')" = "0o640 1" ] \
	|| fail "os.fstat under the shim"
[ "$(under_shim python3 -c 'import os; s = os.lstat("b"); print(oct(s.st_mode & 0o7777), s.st_nlink)')" = "0o640 1" ] \
	|| fail "os.lstat under the shim"

# access(W_OK) as a user who may write by the recorded mode: true under the
# shim, false without (protection cleared the bit).
chmod o+x "$T" "$T/p"
chown 65534 "$T/p"
mkdir -p "$T/u" && cd "$T/u"
seed_file a && cow_link a b c
chmod o+x "$T/u" && chown 65534 "$T/u"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
nobody test -w b && fail "without the shim a protected cowlink must not look writable"
nobody env LD_PRELOAD="$PRELOAD" bash -c 'test -w b' || fail "test -w under the shim: false for the owner of a 0640 cowlink"
nobody env LD_PRELOAD="$PRELOAD" dash -c 'test -w b' || fail "dash test -w under the shim"
nobody env LD_PRELOAD="$PRELOAD" python3 -c 'import os, sys; sys.exit(0 if os.access("b", os.W_OK) else 1)' \
	|| fail "os.access(W_OK) under the shim"
# ...and a write by that user through the shim works and breaks only b.
pick raw2 "$(snap_fields a)" raw
nobody env LD_PRELOAD="$PRELOAD" bash -c 'echo nobody >> b' || fail "the owner could not append to its cowlink under the shim"
[ "$(tail -n1 b)" = nobody ] || fail "append by the owner lost"
pick now "$(snap_fields a)" raw
[ "$now" = "$raw2" ] || fail "a write by the owner changed the shared inode"
[ "$(stat -c %U b)" = nobody ] || fail "b changed owner: $(stat -c %U b)"
note "ok: access and write as the owner"
cd "$T/p"

# tar of a directory: the names are separate files, not hard links. (Named
# one by one on tar's command line they share st_ino, which tar takes for
# one file named twice: the st_ino limit of docs/DESIGN.md §8.)
under_shim tar cf t.tar --exclude=t.tar --exclude=l .
tar tvf t.tar | grep -q ' link to ' && fail "tar under the shim stored a hard link"
[ "$(tar tvf t.tar ./a ./b ./c | cut -c1-10 | sort -u)" = "-rw-r-----" ] || fail "tar under the shim stored modes $(tar tvf t.tar | cut -c1-10 | sort -u | tr '\n' ' ')"
# rsync -H: three separate files on the other side.
under_shim rsync -aH a b c dst/
[ "$(stat -c %h dst/a dst/b dst/c | sort -u)" = 1 ] || fail "rsync -aH under the shim kept hard links"
[ "$(stat -c %a dst/a)" = 640 ] || fail "rsync -a under the shim copied mode $(stat -c %a dst/a)"
# cp -a b d: a plain file without the mark.
under_shim cp -a b d
! is_marked d || fail "cp -a under the shim copied the mark"
[ "$(stat -c '%a %h' d)" = "640 1" ] || fail "cp -a under the shim: $(stat -c '%a %h' d)"
# getfattr -d shows the user xattrs but not the mark.
out=$(under_shim getfattr -d --absolute-names b | grep '^user\.' || true)
[ "$out" = 'user.test="seeded"' ] || fail "getfattr -d under the shim: [$out]"
expect_one_inode stat "$T/p" "$raw"
note "ok: presentation"

# One-link files and other types are presented as they are.
: >single && chmod 0604 single
[ "$(under_shim stat -c '%a %h' single)" = "604 1" ] || fail "a plain file changed presentation"
ln single hl
[ "$(under_shim stat -c '%a %h' hl)" = "604 2" ] || fail "an unmarked hard link outside any scope must show its real link count"
