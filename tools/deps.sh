#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install the Debian packages cowlink needs, only those that are missing.
#   tools/deps.sh build   compilers, CMake and the libraries (the demo)
#   tools/deps.sh test    build + everything the tests run
#   tools/deps.sh bench   test + what the benchmarks compare against
set -euo pipefail

build=(gcc clang cmake make pkg-config libcmocka-dev libelf-dev libc6-dev)
test=(attr acl e2fsprogs xfsprogs btrfs-progs dosfstools util-linux ccache rsync
      sqlite3 python3 binutils ed git tar coreutils sed findutils file psmisc
      libclang-rt-14-dev groff-base man-db bash-completion quota strace vim patch perl
      nano mg joe emacs-nox tmux
      build-essential dpkg-dev debhelper devscripts lintian fakeroot
      autoconf automake libtool openssl)
bench=(valgrind hyperfine cowdancer fl-cow time strace linux-perf)
# The writers cowlink run's tests run: static busybox, Go, liburing, node.
test+=(busybox-static golang-go liburing-dev nodejs)

want=("${build[@]}")
case "${1:-build}" in
build) ;;
test) want+=("${test[@]}") ;;
bench) want+=("${test[@]}" "${bench[@]}") ;;
*) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "cowlink: installing ${missing[*]}" >&2
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
