#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Archivers and copiers writing over one name of a cowlink set: tar x (its
# default unlink-and-create and --overwrite in place), rsync (rename-style
# and --inplace).
. "$(dirname "$0")/lib.sh"
need_shim
need tar rsync
export IN="$T/in"
mkdir -p "$IN/t"
printf 'from the archive\n' >"$IN/t/b"
chmod 0660 "$IN/t/b"
touch -d '2005-05-05 05:05:05' "$IN/t/b"
tar -C "$IN/t" -cf "$IN/b.tar" b
printf 'rsync source, longer than a line or two\n%.0s' 1 2 3 >"$IN/src"
seed_file "$IN/long"
echo 'what --append adds' >>"$IN/long"

writer tar-x 'tar xf "$IN/b.tar"'
writer -t tar-x-overwrite 'tar --overwrite -xf "$IN/b.tar"'
reader tar-x-keep-old 'tar --keep-old-files -xf "$IN/b.tar" 2>/dev/null; echo $?'
writer rsync-rename 'rsync "$IN/src" b'
writer rsync-inplace 'rsync --inplace "$IN/src" b'
writer rsync-inplace-times 'rsync --inplace -t "$IN/src" b'
writer rsync-append 'rsync --inplace --append "$IN/long" b'
