#!/bin/bash
# SPDX-License-Identifier: MIT
# cowln at the link limit (EMLINK, 65000 on ext4): DST becomes a full copy
# and the source set is left as it was. Made on a small loop ext4.
. "$(dirname "$0")/lib.sh"
[ -n "${COWLN:-}" ] || skip "COWLN is not set (cowln not built)"
need python3
mnt=$(loopfs ext4 64 -N 2048)
cd "$mnt"
printf 'full\n' > a
chmod 644 a
"$COWLN" --reflink=never a b || fail "first link failed"
# Fill the set up to the limit by hand (cowlinks all: marked inode).
python3 - <<'PY' || skip "could not make 65000 links here"
import os, errno
os.mkdir("l")
i = 0
while True:
    try:
        os.link("a", "l/%d" % i)
    except OSError as e:
        if e.errno == errno.EMLINK:
            break
        raise
    i += 1
PY
n=$(stat -c %h a)
[ "$n" -ge 65000 ] || skip "link limit here is $n, not ext4's"
mark=$(getfattr --only-values -n user.cowlink a)
out=$("$COWLN" -v --reflink=never a c) || fail "cowln at the link limit failed"
case $out in *"full copy"*) ;; *) fail "-v said [$out]" ;; esac
same_inode a c && fail "c is a link beyond the limit?"
cmp a c || fail "the copy differs"
[ "$(stat -c %h a)" = "$n" ] || fail "link count of a changed"
[ "$(stat -c %a a)" = 444 ] || fail "a mode $(stat -c %a a)"
[ "$(getfattr --only-values -n user.cowlink a)" = "$mark" ] || fail "a's record changed"
[ "$(stat -c %a c)" = 644 ] || fail "the copy presents mode $(stat -c %a c)"
[ -z "$(getfattr -d -m user.cowlink c 2>/dev/null)" ] || fail "the copy carries the mark"
cd /
exit 0
