# SPDX-License-Identifier: MIT
# cowlink run in a chroot, the cowbuilder case (docs/DESIGN.md §4b): a name a
# jailed program gives -- through an absolute symlink of the jail, relative
# to its cwd or to a dirfd, removed or renamed -- is resolved in the jail's
# root, as the kernel resolves it for the program, never in the
# supervisor's. The other name of the set in the jail does not change, and
# the name gets what a plain copy gets. As root and as a non-root owner
# (chroot --userspec), with a static program making raw calls, a Go program
# (golang-go) and static busybox's shell where there are, and dynamically
# linked bash and chmod (with the libraries and the loader they need; the
# shim, whose path the jail lacks, is not loaded in it). As root, the same
# calls without the supervisor change the other name (so the test can fail).
. "$(dirname "$0")/lib.sh"
need gcc setfattr getfattr chroot
need_root
[ -x "${COWLINK_TOOL:-}" ] || fail "COWLINK_TOOL is not set"
C=$COWLINK_TOOL
gcc -static -O1 -o "$T/sv" "$COWLINK_SRC/tests/integration/static/sv_calls.c" 2>gcc.err ||
	skip "gcc -static cannot link here (libc6-dev's libc.a): $(head -c 300 gcc.err)"
out=$("$C" run -- "$T/sv" open /dev/null 2>&1 || true)
case "$out" in
*"no seccomp user notification"*) skip "this kernel has no seccomp user notification" ;;
esac
GO=
if command -v go >/dev/null; then
	GOCACHE=$T/gocache GOPATH=$T/gopath GO111MODULE=off CGO_ENABLED=0 \
		go build -o "$T/gowriter" "$COWLINK_SRC/tests/integration/static/gowriter.go" 2>go.err ||
		fail "go build failed: $(head -c 300 go.err)"
	GO=$T/gowriter
else
	note "no go (Debian golang-go): the Go cases are left out"
fi
BB=
for b in /bin/busybox /usr/bin/busybox; do
	[ -x "$b" ] && ! LC_ALL=C readelf -l "$b" 2>/dev/null | grep -q INTERP && BB=$b && break
done
# Dynamically linked programs: bash and coreutils' chmod, with the
# libraries ldd lists and the dynamic loader at the same paths in
# $T/dyn, copied into each jail. The shim is not there: cowlink run's
# LD_PRELOAD names a path the jail lacks, and ld.so says so on stderr
# and goes on (check leaves that line out); the supervisor covers them.
DYN=
CHMOD=$(command -v chmod || true)
if command -v ldd >/dev/null && [ -n "$CHMOD" ] &&
	[ "$(LC_ALL=C readelf -l /bin/bash "$CHMOD" 2>/dev/null | grep -c INTERP)" = 2 ]; then
	mkdir -p "$T/dyn/bin"
	cp /bin/bash "$T/dyn/bin/bash"
	cp "$CHMOD" "$T/dyn/bin/chmod"
	for lib in $({ ldd /bin/bash; ldd "$CHMOD"; } | awk '{ for (i = 1; i <= NF; i++) if ($i ~ "^/") print $i }' | sort -u); do
		cp -L --parents "$lib" "$T/dyn"
	done
	DYN=1
else
	note "no ldd or no dynamic bash and chmod: the dynamic cases are left out"
fi
chmod 0755 "$T"
J=$T/jail
US=()

# fresh: the jail J, owned by the user acting (US): d/a (0640, an xattr, an
# old mtime), its plain copy d/c, d/b = cowln d/a, and absolute symlinks
# d/L -> /d/b and d/Lc -> /d/c, which only mean that inside the jail.
fresh() {
	! mountpoint -q "$J/proc" 2>/dev/null || umount "$J/proc"
	rm -rf "$J"
	mkdir -p "$J/d" "$J/bin"
	cp "$T/sv" "$J/bin/sv"
	[ -z "$BB" ] || cp "$BB" "$J/bin/busybox"
	[ -z "$GO" ] || cp "$GO" "$J/bin/gowriter"
	[ -z "$DYN" ] || cp -a "$T/dyn/." "$J/"
	printf 'one\ntwo\nthree\n' >"$J/d/a"
	chmod 0640 "$J/d/a"
	setfattr -n user.keep -v k "$J/d/a"
	touch -d @1500000000 "$J/d/a"
	cp -a "$J/d/a" "$J/d/c"
	ln -s /d/b "$J/d/L"
	ln -s /d/c "$J/d/Lc"
	[ -z "$OWNER" ] || chown -R -h "$OWNER" "$J/d"
	SA=$(snapshot "$J/d/a")
	"$COWLN" "$J/d/a" "$J/d/b"
	if [ "${PROC:-0}" = 1 ]; then
		mkdir "$J/proc"
		mount -t proc proc "$J/proc" || fail "cannot mount /proc in the jail"
	fi
}
leave() { ! mountpoint -q "$J/proc" 2>/dev/null || umount "$J/proc"; }
trap 'leave; cleanup' EXIT

# jailed CMD...: CMD in the jail (as the user acting), its output.
jailed() { chroot "${US[@]}" "$J" "$@" 2>&1 || true; }

# no_preload_warning: stdin without ld.so's lines about an LD_PRELOAD
# object it cannot open (cowlink run's shim and, in the sanitizer build,
# the ASan runtime: paths outside the jail).
no_preload_warning() { grep -v "^ERROR: ld.so: object '.*' from LD_PRELOAD cannot be preloaded" || true; }

# check CMD... (an argument "@" is the name: L for b, Lc for c, with the
# prefix of the argument before it): CMD on b under cowlink run, on c
# without it; the same output; a unchanged; b what c got.
check() {
	local args=() argc=() x out outc
	for x in "$@"; do
		case $x in
		*@) args+=("${x%@}L"); argc+=("${x%@}Lc") ;;
		*) args+=("$x"); argc+=("$x") ;;
		esac
	done
	fresh
	out=$("$C" run -- chroot "${US[@]}" "$J" "${args[@]}" 2>&1 | no_preload_warning) || true
	outc=$(jailed "${argc[@]}")
	[ "$out" = "$outc" ] || fail "$WHO ${args[*]}: through b [$out], on a plain copy [$outc]"
	expect_unchanged "$J/d/a" "$SA"
	[ "$(run_plain_meta "$J/d/b")" = "$(run_plain_meta "$J/d/c")" ] ||
		fail "$WHO ${args[*]}: b [$(run_plain_meta "$J/d/b")] is not what a copy gets [$(run_plain_meta "$J/d/c")]"
	leave
}

cases() {
	check /bin/sv open /d/@
	check /bin/sv open d/@            # relative to the jail's cwd, "/"
	check /bin/sv openat-dirfd /d @   # relative to a dirfd in the jail
	check /bin/sv trunc /d/@
	check /bin/sv truncate /d/@
	check /bin/sv chmod /d/@
	check /bin/sv utimensat /d/@
	check /bin/sv setxattr /d/@
	# The jail's /proc/self is the jailed program's; without a /proc the
	# name is an ordinary one that does not exist.
	PROC=1 check /bin/sv fdlink /d/@
	fresh
	[ "$("$C" run -- chroot "${US[@]}" "$J" /bin/sv fdlink /d/L)" = ENOENT ] ||
		fail "$WHO /proc/self/fd/N in a jail without /proc"
	cmp -s "$J/d/a" "$J/d/c" && same_inode "$J/d/a" "$J/d/b" ||
		fail "$WHO /proc/self/fd/N in a jail without /proc changed the set"
	check /bin/sv fchown-fchmod /d/@
	if [ -n "$GO" ]; then
		check /bin/gowriter append /d/@
		check /bin/gowriter chmod /d/@
		check /bin/gowriter fchown-fchmod /d/@
	fi
	if [ -n "$BB" ]; then
		check /bin/busybox sh -c 'echo x >> "$0"' /d/@
		check /bin/busybox chmod 600 /d/@
	fi
	if [ -n "$DYN" ]; then
		check /bin/bash -c 'echo x >> "$0"' /d/@
		check /bin/chmod 600 /d/@
	fi
	# Removing the other name in the jail leaves a an ordinary file.
	fresh
	[ "$("$C" run -- chroot "${US[@]}" "$J" /bin/sv unlink /d/b)" = ok ] || fail "$WHO unlink in the jail"
	[ "$(stat -c '%a %h' "$J/d/a")" = "640 1" ] || fail "$WHO unlink in the jail: a is $(stat -c '%a %h' "$J/d/a")"
	getfattr -n user.cowlink "$J/d/a" >/dev/null 2>&1 && fail "$WHO unlink in the jail: a keeps the mark"
	# A rename between the two names removes the source, as for copies.
	fresh
	[ "$("$C" run -- chroot "${US[@]}" "$J" /bin/sv rename /d/a /d/b)" = ok ] || fail "$WHO rename in the jail"
	[ ! -e "$J/d/b" ] && [ "$(stat -c %h "$J/d/a")" = 1 ] || fail "$WHO rename b over a in the jail: b is still there"
}

# As root, without the supervisor, the same calls reach a.
OWNER= WHO=root
for op in open chmod fdlink; do
	fresh
	chroot "$J" /bin/sv "$op" /d/L >/dev/null 2>&1 || true
	[ "$(snapshot "$J/d/a")" != "$SA" ] || fail "$op in the jail without the supervisor left a alone: the check proves nothing"
done
if [ -n "$DYN" ]; then
	fresh
	chroot "$J" /bin/bash -c 'echo x >> "$0"' /d/L >/dev/null 2>&1 || true
	[ "$(snapshot "$J/d/a")" != "$SA" ] || fail "bash's append in the jail without the supervisor left a alone: the check proves nothing"
	fresh
	chroot "$J" /bin/chmod 600 /d/L >/dev/null 2>&1 || true
	[ "$(snapshot "$J/d/a")" != "$SA" ] || fail "chmod in the jail without the supervisor left a alone: the check proves nothing"
fi
cases

if command -v useradd >/dev/null; then
	run_user
	trap 'leave; userdel "$RUN_USER" 2>/dev/null || true; cleanup' EXIT
	OWNER=$RUN_USER:$(id -g "$RUN_USER") WHO=$RUN_USER
	US=(--userspec="$(id -u "$RUN_USER"):$(id -g "$RUN_USER")")
	cd "$T"
	cases
fi
exit 0
