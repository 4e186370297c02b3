#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# posix_spawn and posix_spawnp: an addopen file action onto a cowlink is
# broken by the parent's wrapper (glibc opens it in the child with an
# internal call). The child runs WITHOUT the shim, so a missed break would
# write straight into the shared inode. addchdir_np changes how a relative
# addopen path resolves.
# modes: preload run run-noshim
# ctest: LABELS quick
. "$(dirname "$0")/lib.sh"
need_shim

writer spawn-append '"$P/api_posix_spawn" b'
writer spawnp-append '"$P/api_posix_spawnp" b'
writer spawn-trunc '"$P/api_posix_spawn" b wt'
writer spawnp-rdwr '"$P/api_posix_spawnp" b +'
writer spawn-chdir 'd=$PWD; cd / && "$P/api_posix_spawn" b wa "$d"'
writer spawnp-chdir 'd=$PWD; cd / && "$P/api_posix_spawnp" b wt "$d"'
writer spawn-symlink 'ln -s b l && "$P/api_posix_spawn" l'
# Python's subprocess uses posix_spawn or fork+exec; either way the child
# (with the shim) must not write into the shared inode.
PY=$(python3 -c 'import sys; print(sys.executable)')
writer py-subprocess "$(printf '%q -c %q' "$PY" 'import subprocess; subprocess.run(["echo", "hi"], stdout=open("b", "a"), check=True)')"

# fork while another thread is inside the file-actions table: the child's
# own file actions must not hang on a lock the fork copied held.
# Not under ASan: its allocator in gcc 12 is not known to be fork-safe while
# another thread mallocs, which would hang the child for ASan's own reason.
if not_under_asan "spawn_fork: fork while another thread mallocs"; then
	under_shim "$P/spawn_fork" || fail "spawn-fork: a child forked mid-table hung or failed"
	echo "ok spawn-fork"
fi
