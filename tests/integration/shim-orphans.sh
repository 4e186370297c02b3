# SPDX-License-Identifier: MIT
# The survivor of a two-name set whose other name is removed or replaced is
# an ordinary file again: under the shim it is unshared at once (mode back,
# mark gone); an orphan made without the shim is presented as the plain file
# it stands for, and its owner may write it.
# ctest: LABELS quick
. "$(dirname "$0")/lib.sh"
need_shim
need getfattr rsync tar sed install patch
SHIM=$PRELOAD  # absolute (the ASan runtime first in that build)

# fresh DIR: DIR/A (0640, content, an xattr, an old mtime) and its cowlink DIR/B.
fresh() {
	rm -rf "$1" && mkdir -p "$1"
	printf 'original\n' >"$1/A"
	chmod 640 "$1/A"
	touch -d '2001-02-03 04:05:06' "$1/A"
	cow_link "$1/A" "$1/B"
	is_marked "$1/A" || fail "setup: $1/A is not marked"
}

# plain A: A is an ordinary file again, raw (without the shim): its own
# mode back, no mark, one name, content and mtime as they were.
plain() {
	local got
	got=$(stat -c '%a %h %Y' "$1")
	[ "$got" = "640 1 981173106" ] || fail "$2: A is [$got], want [640 1 981173106]"
	is_marked "$1" && fail "$2: A still carries the mark"
	cmp -s "$1" <(printf 'original\n') || fail "$2: A's content changed"
	return 0
}

# Each command removes or replaces B, under the shim.
printf 'new\n' >new.txt
printf 'original\n' >orig.txt
printf 'changed\n' >changed.txt
diff -u orig.txt changed.txt >fix.patch || true
mkdir -p tarsrc && printf 'from tar\n' >tarsrc/B && tar cf b.tar -C tarsrc B
declare -A how=(
	[rm]='rm -f B'
	[unlink]='unlink B'
	[python-remove]='python3 -c "import os; os.remove(\"B\")"'
	[mv-over]='cp ../new.txt N && mv N B'
	[sed-i]='sed -i s/original/edited/ B'
	[install]='install -m 644 ../new.txt B'
	[ln-f]='ln -f ../new.txt B'
	[cp-remove-destination]='cp --remove-destination ../new.txt B'
	[tar-x]='tar xf ../b.tar'
	[rsync]='rsync ../new.txt B'
	[patch]='patch -s B ../fix.patch'
	[python-replace]='python3 -c "import os; open(\"N\",\"w\").write(\"n\"); os.replace(\"N\", \"B\")"'
)
for k in "${!how[@]}"; do
	fresh "d-$k"
	(cd "d-$k" && LD_PRELOAD="$PRELOAD" bash -c "${how[$k]}") >/dev/null 2>&1 || fail "$k failed"
	plain "d-$k/A" "$k"
done

# Three names: removing one leaves a set of two, still marked and protected.
fresh three
cow_link three/A three/C
under_shim rm three/B
[ "$(stat -c %h three/A)" = 2 ] && is_marked three/A || fail "removing one of three names unmarked the set"
[ "$(stat -c %a three/A)" = 440 ] || fail "the set of two left is no longer protected"

# An orphan made without the shim: presented as the plain file it is.
fresh outside
rm -f outside/B
[ "$(stat -c %a outside/A)" = 440 ] || fail "setup: rm without the shim should leave 0440"
[ "$(under_shim stat -c '%a %h' outside/A)" = "640 1" ] || fail "an orphan is presented as $(under_shim stat -c '%a %h' outside/A)"
[ "$(under_shim python3 -c 'import os,sys; print(oct(os.stat(sys.argv[1]).st_mode & 0o777))' outside/A)" = 0o640 ] ||
	fail "python sees the orphan's raw mode"
under_shim cp -a outside/A outside/copy
[ "$(stat -c %a outside/copy)" = 640 ] || fail "cp -a under the shim copied the orphan as $(stat -c %a outside/copy)"
under_shim test -w outside/A || fail "test -w says the orphan is not writable"

# As a non-root owner: rm of B unshares A; an outside orphan is writable.
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null; then
	user=cowlorph$$
	useradd -M -d / -s /bin/sh "$user" 2>/dev/null || skip "useradd failed"
	trap 'userdel "$user" 2>/dev/null; cleanup' EXIT
	chmod 755 "$T"
	fresh u1 && chown -R "$user" u1
	su -s /bin/sh "$user" -c "cd u1 && LD_PRELOAD=$SHIM rm B" || fail "non-root rm B failed"
	[ "$(stat -c '%a %h' u1/A)" = "640 1" ] && ! is_marked u1/A || fail "non-root rm B left A an orphan"
	fresh u2 && chown -R "$user" u2
	rm u2/B
	su -s /bin/sh "$user" -c "cd u2 && LD_PRELOAD=$SHIM sh -c 'echo more >> A'" || fail "the owner cannot append to an orphan"
	[ "$(stat -c %a u2/A)" = 640 ] && ! is_marked u2/A || fail "appending to an orphan left it marked"
	tail -n 1 u2/A | grep -qx more || fail "the append to the orphan is missing"
else
	note "not root: the non-root cases are not run"
fi

# An orphan an unshare had to leave marked: another user removed the other
# name in a sticky directory they own and could not change the survivor,
# which is root's. Root's write, truncation or metadata change under the
# shim unshares it (root opens a protected file all the same: the open
# must still look).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	declare -A root_how=(
		[append]='echo more >> A'
		[truncate-open]=': > A'
		[truncate]='truncate -s 3 A'
		[chown]='chown 0:0 A'
		[setfattr]='setfattr -n user.more -v 1 A'
	)
	for k in "${!root_how[@]}"; do
		d="left-$k"
		fresh "$d"
		mkdir -m 1777 "$d/s" && chown 65534:65534 "$d/s"
		mv "$d/B" "$d/s/B"
		setpriv --reuid=65534 --regid=65534 --clear-groups env LD_PRELOAD="$PRELOAD" rm -f "$d/s/B"
		[ "$(stat -c '%a %h' "$d/A")" = "440 1" ] && is_marked "$d/A" ||
			fail "setup $k: the survivor is [$(stat -c '%a %h' "$d/A")], not a marked orphan"
		(cd "$d" && LD_PRELOAD="$PRELOAD" sh -c "${root_how[$k]}") || fail "root's $k of the orphan failed"
		[ "$(stat -c '%a %h' "$d/A")" = "640 1" ] && ! is_marked "$d/A" ||
			fail "root's $k left the orphan [$(stat -c '%a %h' "$d/A")]$(is_marked "$d/A" && echo ', marked')"
	done
else
	note "not root: the orphan left marked by another user is not tried"
fi
exit 0
