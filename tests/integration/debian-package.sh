# SPDX-License-Identifier: MIT
# The Debian packages (debian/), as a user gets them:
#  1. dpkg-buildpackage -us -uc -b builds libcowlink0, cowlink and
#     libcowlink-dev from a copy of the tree (no build/, no .git), and
#     lintian finds no error and no warning in them, and libcowlink0 has
#     the prerm that takes the machine-wide mode's entry out of
#     /etc/ld.so.preload;
#  2. they install with dpkg -i on this machine, and then, from the
#     installed files alone (a clean environment: no LD_LIBRARY_PATH, the
#     system PATH): LD_PRELOAD=libcowlink.so loads the installed shim, the
#     README's "survive" example (from the installed README) does what it
#     says, cowlink run loads the installed shim and breaks a name, also for
#     a non-root user, pkg-config builds the README's C example, man finds
#     the pages, bash-completion loads the completions, and no installed
#     file names the directory the packages were built in;
#  3. dpkg --purge leaves none of their files, nor the test user's mark
#     cache in /dev/shm, and ld.so.cache forgets the shim.
# Nothing of the packages may be on the machine before (else skip), and a
# trap purges them and removes the test user whatever fails.
# The package build runs make -j2 (parallel=2): it takes two of the test
# command's three slots (PROCESSORS 2: one light test at most beside it)
# and the "heavy" lock, and 600 s (measured: 47 s alone, over 300 s with
# pjdfstest beside it).
# ctest: RESOURCE_LOCK heavy LABELS heavy PROCESSORS 2 TIMEOUT 600
. "$(dirname "$0")/lib.sh"
[ -z "${COWLINK_ASAN_RUNTIME:-}" ] || skip "the package build does not use the sanitizer build; checked in the plain build's run"
need dpkg-buildpackage dh lintian pkg-config cc python3 dpkg-parsechangelog
[ -f "${COWLINK_SRC:-}/debian/control" ] || fail "no debian/control in COWLINK_SRC"
unset LD_PRELOAD LD_LIBRARY_PATH

pkgs=(libcowlink0 cowlink libcowlink-dev)
ver=$(dpkg-parsechangelog -l "$COWLINK_SRC/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
src=$T/pkg/cowlink-$ver

# ---- 1. build and lint -------------------------------------------------------
mkdir -p "$src"
(cd "$COWLINK_SRC" && tar --exclude='./build*' --exclude=./.git --exclude='./obj-*' -cf - .) | tar -C "$src" -xf -
(cd "$src" && DEB_BUILD_OPTIONS="parallel=2 nocheck" dpkg-buildpackage -us -uc -b </dev/null >"$T/build.log" 2>&1) ||
	fail "dpkg-buildpackage failed: $(tail -30 "$T/build.log")"
debs=()
for p in "${pkgs[@]}"; do
	f=$T/pkg/${p}_${ver}_$arch.deb
	[ -f "$f" ] || fail "dpkg-buildpackage made no $p package: $(ls "$T/pkg")"
	debs+=("$f")
done
lint=$(lintian --fail-on error,warning "$T/pkg/cowlink_${ver}_$arch.changes" 2>lintian.err) ||
	fail "lintian: $lint $(grep -v 'running with root' lintian.err)"
! grep -q '^[EW]: ' <<<"$lint" || fail "lintian: $lint"
note "built in $SECONDS s; lintian: ${lint:-clean}"
# The machine-wide mode's entry leaves /etc/ld.so.preload before the library
# file goes (the script itself is run by tool-system.sh, on a private /etc).
dpkg-deb -I "$T/pkg/libcowlink0_${ver}_$arch.deb" prerm 2>/dev/null | grep -q 'ld\.so\.preload' ||
	fail "libcowlink0 has no prerm that takes its entry out of /etc/ld.so.preload"

# ---- 2. install on this machine, use the installed files -----------------------
need_root
need flock useradd userdel runuser ldconfig
# The package files, from the debs (not directories): none may exist yet.
for f in "${debs[@]}"; do dpkg-deb -c "$f"; done | awk '$1 !~ /^d/ {sub(/^\./, "", $6); print $6}' >files
[ -s files ] || fail "the packages hold no files"
# dpkg waits for no lock: retry while apt or dpkg elsewhere holds it.
dpkg_wait() {
	for _ in $(seq 120); do
		dpkg "$@" >"$T/dpkg.log" 2>&1 && return 0
		grep -qi 'lock' "$T/dpkg.log" || return 1
		sleep 1
	done
	return 1
}
# One run of this test at a time on the machine: they install the same
# packages. (The wait is bounded well inside ctest's timeout, which kills
# without a trap.)
lockdir=/run/lock
[ -d "$lockdir" ] || lockdir=/tmp
exec 9>"$lockdir/cowlink-debian-package-test.lock"
flock -w 120 9 || skip "another run of this test held the lock for 2 minutes"
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^[a-z][^n]' &&
		skip "package $p is installed on this machine; not replacing it"
done
while read -r f; do
	[ ! -e "$f" ] && [ ! -L "$f" ] || skip "$f exists on this machine; installing the packages would replace it"
done <files
other=$(ldconfig -p | awk '$1 == "libcowlink.so" {print $NF}')
[ -z "$other" ] || skip "ld.so.cache already has $other; it could be loaded instead of the package's"

user=cowlinkpkg$$
restore() {
	dpkg_wait --purge "${pkgs[@]}" || echo "debian-package: could not purge ${pkgs[*]}: $(cat "$T/dpkg.log")" >&2
	if id -u "$user" >/dev/null 2>&1; then
		rm -f "/dev/shm/cowlink-$(id -u "$user").marks"
		userdel "$user" 2>/dev/null || true
	fi
	cleanup
}
trap restore EXIT
trap 'exit 1' INT TERM HUP
dpkg_wait -i "${debs[@]}" || fail "dpkg -i failed: $(cat "$T/dpkg.log")"
lib=/usr/lib/$ma/libcowlink.so

# Everything from here runs as a user's shell would: no build tree in sight.
mkdir home && chmod 0755 "$T" home
sys() { env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin HOME="$T/home" LANG=C.UTF-8 "$@"; }
maps=$(sys env LD_PRELOAD=libcowlink.so cat /proc/self/maps 2>ld.err)
grep -q " $lib$" <<<"$maps" || fail "LD_PRELOAD=libcowlink.so did not load $lib: $(cat ld.err)"
[ "$(sys sh -c 'command -v cowln; command -v cowlink')" = "/usr/bin/cowln
/usr/bin/cowlink" ] || fail "cowln and cowlink are not the installed ones"
# (ld.so.cache may name it through /lib, a link to usr/lib on a merged /usr)
cached=$(ldconfig -p | awk '$1 == "libcowlink.so" {print $NF}')
[ -n "$cached" ] && [ "$(readlink -f "$cached")" = "$lib" ] || fail "ld.so.cache does not list $lib: [$cached]"
maps=$(sys cowlink run -- cat /proc/self/maps)
grep -q " $lib$" <<<"$maps" || fail "cowlink run did not load $lib"

# The README's example, from the README the package installed.
zcat /usr/share/doc/cowlink/README.md.gz >README.md || fail "no /usr/share/doc/cowlink/README.md.gz"
readme_examples README.md
[ -f example-survive.sh ] && [ -f example-restore.c ] || fail "the installed README lacks the survive or restore example"
mkdir survive
(cd survive && sys bash -e ../example-survive.sh >../survive.out 2>&1) || fail "README example failed: $(cat survive.out)"
[ "$(stat -c %s survive/big.bin)" = 10485760 ] || fail "survive: big.bin changed size"
[ "$(stat -c %s survive/copy.bin)" = 10485762 ] || fail "survive: copy.bin did not get the write"
! same_inode survive/big.bin survive/copy.bin || fail "survive: still one inode"

# cowlink run breaks the written name, as root and as a user (for whom the
# cleared write bits would refuse the write if the shim were not loaded).
run_check() { # DIR [runuser -u USER --]
	local d=$1
	shift
	"$@" env -i PATH=/usr/bin:/bin HOME=/ sh -c "cd '$d' && echo one >a && cowln a b && cowlink run -- sh -c 'echo x >> b'" ||
		fail "cowlink run in $d failed"
	[ "$(cat "$d/a")" = one ] || fail "$d/a changed through b: $(cat "$d/a")"
	[ "$(cat "$d/b")" = "one
x" ] || fail "$d/b: $(cat "$d/b")"
	! same_inode "$d/a" "$d/b" || fail "$d/b still shares a's inode"
}
mkdir run-root && run_check "$T/run-root"
useradd -M -N -d / -s /bin/sh "$user" || fail "useradd $user"
mkdir run-user && chown "$user" run-user
run_check "$T/run-user" runuser -u "$user" --

# The C API through pkg-config, built as the README's comment says.
mkdir restore && cp example-restore.c restore/restore.c
(cd restore && sys sh -c 'cc restore.c $(pkg-config --cflags --libs cowlink) -o restore' 2>cc.log) ||
	fail "restore.c does not build with pkg-config: $(cat restore/cc.log)"
mkdir -p restore/store restore/out && echo object >restore/store/o
(cd restore && sys ./restore store/o out/o) || fail "the README's C example failed"
same_inode restore/store/o restore/out/o || fail "restore: out/o is not a cowlink of store/o"

for m in cowln cowlink libcowlink "3 cowlink"; do
	# shellcheck disable=SC2086 # "3 cowlink": a section and a name
	sys man -w $m | grep -q "^/usr/share/man/" || fail "man does not find $m"
done
w=$(sys man -w 3 cowlink | xargs zcat -f | groff -man -ww -z 2>&1) && [ -z "$w" ] || fail "cowlink(3) warns: $w"
sys bash -c '. /usr/share/bash-completion/bash_completion
	_completion_loader cowln; _completion_loader cowlink
	complete -p cowln && complete -p cowlink' >/dev/null 2>&1 || fail "bash-completion does not load the completions"
while read -r f; do
	! grep -qF "$src" "$f" || fail "$f names the build directory $src"
done <files

# ---- 3. purge: nothing of the packages is left ---------------------------------
# The test user's mark cache (made by its runs above; made here if they did
# not need one) goes with the packages.
marks=/dev/shm/cowlink-$(id -u "$user").marks
[ -e "$marks" ] || runuser -u "$user" -- sh -c "umask 077 && : >>'$marks'" || fail "cannot make $marks"
dpkg_wait --purge "${pkgs[@]}" || fail "dpkg --purge failed: $(cat "$T/dpkg.log")"
[ ! -e "$marks" ] || fail "$marks is left after the purge"
for p in "${pkgs[@]}"; do
	! dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^[a-z][^n]' || fail "$p is still known to dpkg"
	[ ! -e "/usr/share/doc/$p" ] || fail "/usr/share/doc/$p is left"
done
while read -r f; do
	[ ! -e "$f" ] && [ ! -L "$f" ] || fail "$f is left after the purge"
done <files
! ldconfig -p | grep -q 'libcowlink\.so' || fail "ld.so.cache still lists libcowlink.so"
note "ok: built, linted, installed, used and purged in $SECONDS s"
