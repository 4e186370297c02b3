#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build cowlink and show its main job: an instant, space-free copy that
# survives a write. The README's first command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh build
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOWLINK_TESTS=OFF >/dev/null
cmake --build build/demo -j"$(nproc)" >/dev/null
cowln=$PWD/build/demo/tools/cowln
lib=$PWD/build/demo/lib/preload/libcowlink.so

d=$(mktemp -d "${TMPDIR:-/tmp}/cowlink-demo.XXXXXX")
trap 'rm -rf "$d"' EXIT
cd "$d"
show() { printf '\n$ %s\n' "$*"; eval "$@"; }

head -c 256M /dev/urandom >a 2>/dev/null
echo "hello" >>a
show 'ls -l a; df --output=used -B1M . | tail -1'
show 'time "$cowln" a b'
show 'df --output=used -B1M . | tail -1   # no new space used'
show 'stat -c "%n inode %i links %h mode %A" a b   # one inode, write bits cleared'
show 'LD_PRELOAD=$lib bash -c "echo x >> b"   # a write through the shim breaks the link'
show 'tail -c 6 a; tail -c 8 b'
show 'stat -c "%n inode %i links %h mode %A" a b   # b has its own copy now'
cmp -s <(head -c 268435456 a) <(head -c 268435456 b) && echo "the shared 256 MiB are identical"
[ "$(tail -c 6 a)" = "hello" ] && [ "$(tail -c 2 b)" = "x" ] && echo "demo: a unchanged, b got its write — OK"
