#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The shim's opens, fd table, spawn, truncation and scope mode
# (docs/DESIGN.md §4), the cases the per-API tests do not reach: magic links
# (the broken name is reopened, not the link, which still leads to the old
# inode), O_RDONLY|O_TRUNC, O_CREAT|O_EXCL, O_NOFOLLOW, fds 0-2 re-pointed in the
# constructor while other inherited writable fds are refused, posix_spawn
# with a chdir action, concurrent writers, truncate(n), COWLINK_TREES.
. "$(dirname "$0")/lib.sh"
need_shim
need python3 setfattr getfattr
chmod 0755 "$T"

fresh() { rm -rf a b lnk; printf 'hello\n' >a; cow_link a b; ln -s b lnk; }
content() { tr '\n' '|' <"$1"; }
a_intact() { [ "$(content a)" = "hello|" ] || fail "$1: the other name changed: [$(content a)]"; }

# A magic link: write-open /proc/self/fd/N of a read-only fd on b.
for mode in append trunc; do
	fresh
	under_shim python3 - "$mode" <<'PY' || fail "magic link ($mode) failed"
import os, sys
fd = os.open("b", os.O_RDONLY)
fl = os.O_WRONLY | (os.O_APPEND if sys.argv[1] == "append" else os.O_TRUNC)
w = os.open("/proc/self/fd/%d" % fd, fl)
os.write(w, b"M\n")
PY
	a_intact "magic link $mode"
	want=$([ $mode = append ] && echo "hello|M|" || echo "M|")
	[ "$(content b)" = "$want" ] || fail "magic link $mode: b is [$(content b)], want [$want]"
done

# /dev/stdout as a redirection target inside a shimmed shell.
fresh
under_shim bash -c 'exec 5<b; echo S >/dev/fd/5' || fail "/dev/fd/5 redirection failed"
a_intact "/dev/fd/5"
[ "$(content b)" = "S|" ] || fail "/dev/fd/5: b is [$(content b)]"

# O_RDONLY|O_TRUNC truncates on Linux: it is a write-open.
fresh
under_shim python3 -c 'import os; os.open("b", os.O_RDONLY | os.O_TRUNC)' || fail "O_RDONLY|O_TRUNC failed"
a_intact "O_RDONLY|O_TRUNC"
[ ! -s b ] || fail "O_RDONLY|O_TRUNC: b not truncated"

# O_TRUNC needs no copy, but the emptied name must not be left behind by an
# open that then fails for want of an fd: EMFILE, b untouched.
fresh
out=$(under_shim python3 -c '
import os, resource
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
try:
    while True: os.open("/dev/null", os.O_RDONLY)
except OSError: pass
try: os.open("b", os.O_WRONLY | os.O_TRUNC); print("opened")
except OSError as e: print(e.errno == 24 and "EMFILE" or e)')
[ "$out" = EMFILE ] || fail "O_TRUNC at the fd limit: [$out], want EMFILE"
[ "$(content b)" = "hello|" ] && same_inode a b || fail "O_TRUNC at the fd limit emptied or broke b"

# O_CREAT|O_EXCL on an existing name: EEXIST and nothing broken.
fresh
out=$(under_shim python3 -c '
import os
try: os.open("b", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
except FileExistsError: print("EEXIST")')
[ "$out" = EEXIST ] || fail "O_CREAT|O_EXCL: [$out], want EEXIST"
same_inode a b || fail "O_CREAT|O_EXCL broke the link"

# A final symlink is followed (b is broken, lnk stays a symlink); with
# O_NOFOLLOW: ELOOP, nothing broken.
fresh
out=$(under_shim python3 -c '
import os
try: os.open("lnk", os.O_WRONLY | os.O_NOFOLLOW)
except OSError as e: print(e.errno == 40 and "ELOOP" or e)')
[ "$out" = ELOOP ] || fail "O_NOFOLLOW on a symlink: [$out]"
same_inode a b || fail "O_NOFOLLOW broke the link"
under_shim bash -c 'echo L >>lnk'
a_intact "write through a symlink"
[ -L lnk ] && [ "$(content b)" = "hello|L|" ] || fail "symlink: b is [$(content b)]"

# fds 0-2 inherited writable on a shared inode (a shell without the shim
# redirected them) are re-pointed at b's private copy before main...
fresh
bash -c "exec >>b; LD_PRELOAD='$PRELOAD' /bin/echo std" || fail "echo to an inherited stdout failed"
a_intact "inherited stdout"
[ "$(content b)" = "hello|std|" ] || fail "inherited stdout: b is [$(content b)]"
# ... with the same offset and flags (not O_APPEND here: overwrite at 2).
fresh
bash -c "exec 1<>b; read -r -n 2 x <&1 || true; LD_PRELOAD='$PRELOAD' /usr/bin/printf XY" || fail "printf to an inherited rw stdout failed"
a_intact "inherited rw stdout"
[ "$(content b)" = "heXYo|" ] || fail "inherited stdout offset: b is [$(content b)]"
# ... while any other inherited writable fd on it is refused (ETXTBSY).
fresh
out=$(bash -c "exec 3>>b; LD_PRELOAD='$PRELOAD' python3 -c '
import os
try: os.write(3, b\"x\")
except OSError as e: print(e.errno == 26 and \"ETXTBSY\" or e)'")
[ "$out" = ETXTBSY ] || fail "write to an inherited fd 3: [$out], want ETXTBSY"
same_inode a b || fail "a refused write broke the link"
a_intact "inherited fd 3"
# A read-only inherited fd stays usable (a shared read-only mapping too).
out=$(bash -c "exec 3<b; LD_PRELOAD='$PRELOAD' python3 -c '
import mmap, os
m = mmap.mmap(3, 0, mmap.MAP_SHARED, mmap.PROT_READ); print(m[:5].decode())'")
[ "$out" = hello ] || fail "read-only shared mapping of an inherited fd: [$out]"

# posix_spawn: the open happens in the child, relative to its chdir.
fresh
mkdir -p sub
under_shim python3 - <<'PY' || fail "posix_spawn failed"
import os
fa = [(os.POSIX_SPAWN_OPEN, 1, "../b", os.O_WRONLY | os.O_APPEND, 0)]
if hasattr(os, "POSIX_SPAWN_CHDIR"):
    fa.insert(0, (os.POSIX_SPAWN_CHDIR, "sub"))
else:
    fa[0] = (os.POSIX_SPAWN_OPEN, 1, "b", os.O_WRONLY | os.O_APPEND, 0)
pid = os.posix_spawnp("echo", ["echo", "spawned"], os.environ, file_actions=fa)
os.waitpid(pid, 0)
PY
a_intact "posix_spawn"
[ "$(content b)" = "hello|spawned|" ] || fail "posix_spawn: b is [$(content b)]"

# truncate(path, n): the private copy keeps n bytes.
fresh
under_shim truncate -s 3 b || fail "truncate failed"
a_intact "truncate"
[ "$(cat b)" = hel ] || fail "truncate -s 3: b is [$(cat b)]"

# Concurrent writers: one private copy, made once, every append in it.
fresh
for i in 1 2 3 4 5 6 7 8; do under_shim bash -c "echo w$i >>b" & done
wait
a_intact "concurrent writers"
[ "$(grep -c '^w' b)" = 8 ] || fail "concurrent writers: $(grep -c '^w' b) of 8 appends in b"
[ -z "$(ls -A | grep -F .cowlink-tmp)" ] || fail "concurrent writers left temporary names"

# A plain hard link the caller may write but not read (its mark cannot be
# read either): stays writable, shares the write as hard links do.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	printf 'log\n' >wo && chmod 0622 wo && ln wo wo2 && chown 65534 wo
	setpriv --reuid=65534 --regid=65534 --clear-groups env LD_PRELOAD="$PRELOAD" \
		sh -c 'echo more >>wo2' || fail "write-only hard link: the append failed"
	[ "$(content wo)" = "log|more|" ] || fail "write-only hard link: wo is [$(content wo)]"
fi

# Scope mode: hard links (no mark) under COWLINK_TREES are cowlinks, decided
# by (dev, ino) of the directories; outside it they stay hard links.
mkdir -p src/d && printf 'one\n' >src/d/f && printf 'two\n' >src/g
cp -al src tree && cp -al src plain
ln -s tree/d via
COWLINK_TREES="$T/tree" under_shim bash -c 'echo X >>via/f; echo Y >tree/g; echo Z >>plain/g' || fail "scope writes failed"
[ "$(content src/d/f)" = "one|" ] || fail "scope: src/d/f changed through a symlink into the tree"
[ "$(content tree/d/f)" = "one|X|" ] || fail "scope: tree/d/f is [$(content tree/d/f)]"
[ "$(content tree/g)" = "Y|" ] || fail "scope: tree/g is [$(content tree/g)]"
[ "$(content src/g)" = "two|Z|" ] || fail "scope: a hard link outside the tree did not share the write"
exit 0
