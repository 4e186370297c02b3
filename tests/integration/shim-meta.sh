#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Metadata calls on one name of a cowlink set, one program per symbol: the
# name is broken first and the change lands on its private file only; the
# f* forms work on READ-ONLY fds (the kernel allows fchmod, fchown,
# futimens, ioctl(FS_IOC_SETFLAGS) there), and must not touch the shared
# inode through them.
# modes: preload run run-noshim
# ctest: LABELS quick
. "$(dirname "$0")/lib.sh"
need_shim
need lsattr

writer -t chmod '"$P/api_chmod" b 600'
writer -t chmod-setuid '"$P/api_chmod" b 4750'
writer -t fchmod '"$P/api_fchmod" b 600'
writer -t fchmodat '"$P/api_fchmodat" . b 600'
# glibc's lchmod (before fchmodat2) opens the name O_PATH and changes
# /proc/self/fd/N: under the supervisor alone, that magic link is the fd's
# file, whose name is broken.
writer -t lchmod '"$P/api_lchmod" b 600'
writer -t chown '"$P/api_chown" b 1 2'
writer -t fchown '"$P/api_fchown" b 1 2'
writer -t fchownat '"$P/api_fchownat" . b 1 2'
writer -t lchown '"$P/api_lchown" b 1 2'
writer -t utime '"$P/api_utime" b 1000000000'
writer -t utimes '"$P/api_utimes" b 1000000000'
writer -t futimes '"$P/api_futimes" b 1000000000'
writer -t futimesat '"$P/api_futimesat" . b 1000000000'
writer -t lutimes '"$P/api_lutimes" b 1000000000'
writer -t utimensat '"$P/api_utimensat" . b 1000000000'
writer -t futimens '"$P/api_futimens" b 1000000000'
writer truncate '"$P/api_truncate" b 7'
writer truncate64 '"$P/api_truncate64" b 7'
writer truncate-zero '"$P/api_truncate" b 0'
writer truncate-grow '"$P/api_truncate" b 100000'
writer -t ioctl-setflags '"$P/api_ioctl_setflags" b && lsattr b | cut -c1-22'
# The flag went to the private file only.
if lsattr "$T/ioctl-setflags/w/a" | cut -c1-22 | grep -q d; then fail "FS_IOC_SETFLAGS reached the shared inode"; fi

# Through a symlink: the target is broken and changed, the link is not.
writer -t chmod-via-symlink 'ln -s b l && "$P/api_chmod" l 600'
writer -t utimes-via-symlink 'ln -s b l && "$P/api_utimes" l 1000000000'
