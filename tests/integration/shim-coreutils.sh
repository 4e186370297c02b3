#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# coreutils and util-linux writers under the shim, one name of a cowlink set
# each: the other names must not change, the written one must get what the
# same command does to a plain copy.
. "$(dirname "$0")/lib.sh"
need_shim
need dd truncate install fallocate shred sort chattr lsattr setfattr
export IN="$T/in"
mkdir -p "$IN"
printf 'replacement content\n' >"$IN/src"
chmod 0604 "$IN/src"

not_under_asan dd && writer dd-notrunc 'printf NEW | dd of=b conv=notrunc bs=1 seek=3 status=none'
not_under_asan dd && writer dd-trunc 'printf NEW | dd of=b status=none'
writer truncate-shrink 'truncate -s 10 b'
writer truncate-grow 'truncate -s +3000 b'
writer truncate-zero 'truncate -s 0 b'
writer cp-over 'cp "$IN/src" b'
writer cp-preserve 'cp -p "$IN/src" b'
writer install-over 'install -m 0600 "$IN/src" b'
writer -t touch-date 'touch -d "2010-05-06 07:08:09" b'
writer -t touch-ref 'touch -r "$IN/src" b'
writer -t touch-atime 'touch -a -d "2011-01-01" b; stat -c %X b'
writer -t chmod 'chmod 0600 b'
writer -t chmod-plus-x 'chmod u+x b'
writer -t chown 'chown 1:2 b'
writer -t chgrp 'chgrp 3 b'
writer -t setfattr-new 'setfattr -n user.new -v value b'
writer -t setfattr-remove 'setfattr -x user.test b'
writer fallocate-grow 'fallocate -l 1M b'
writer fallocate-punch 'fallocate -p -o 0 -l 4096 b'
not_under_asan shred && writer shred-zero 'shred -n 0 -z b'
writer sort-o 'sort -o b b'
not_under_asan dd && writer dd-append 'echo tail | dd of=b oflag=append conv=notrunc status=none'
writer chattr-nodump 'chattr +d b; lsattr b | cut -c1-22'
# ioctl(FS_IOC_SETFLAGS) went to the private file, not the shared inode.
! lsattr "$T/chattr-nodump/w/a" | cut -c1-22 | grep -q d || fail "chattr +d reached the shared inode"
