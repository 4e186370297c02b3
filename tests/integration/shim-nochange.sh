#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A change that changes nothing breaks nothing (docs/DESIGN.md §4): chmod to the
# mode a cowlink presents, chown to its owner and group (or -1), setxattr to
# the value it has, install -C of identical content, atime-only restores
# (file -p, tar --atime-preserve=replace, touch -a -c) leave the two names
# one inode, change nothing on it -- not even the ctime, which the kernel
# stamps on a plain file but which is every name's -- and answer what the
# same command answers on a plain copy -- errors included (XATTR_CREATE of
# an attribute there: EEXIST; a non-owner's chmod: EPERM). Real changes
# still break.
. "$(dirname "$0")/lib.sh"
need_shim
need setfattr install file tar setpriv
export N="$COWLINK_PROGS/nochange"
[ -x "$N" ] || fail "nochange was not built"
chmod 0755 "$T"

# pair NAME: $T/NAME/w/a and b one cowlink set of two names, $T/NAME/r/b a
# plain copy of the seed and $T/NAME/src another, all owned by 65534.
pair() {
	mkdir -p "$T/$1/w" "$T/$1/r"
	seed_file "$T/$1/w/a"
	cp --preserve=all "$T/$1/w/a" "$T/$1/r/b"
	cp --preserve=all "$T/$1/w/a" "$T/$1/src"
	cow_link "$T/$1/w/a" "$T/$1/w/b"
	chmod 0755 "$T/$1" "$T/$1/w" "$T/$1/r"
}

# nochange [-c] [-s] [-t] [-u UID] NAME CMD: CMD (a bash command line on b) runs
# under the shim in the set's directory, and without it on the plain copy:
# the same exit status and output; b then presents what the plain copy is
# (content, mode, owner, size, mtime -- -s: to the second, -t: not at all
# -- and user xattrs). Without -c, a and b are still one inode, unchanged; with -c (a
# real change) b has an inode of its own and a presents what it did. -u: CMD runs
# as that uid (and gid). -x: the caller cannot read the file, nor so its
# mark: the shim takes it for a plain file with two names, and a call the
# kernel allows (chown -1 -1) stamps the ctime of both.
nochange() {
	local broke= sec= notime= blind= as=() OPTIND=1 o
	while getopts cstu:x o; do
		case $o in
		c) broke=1;;
		x) blind=1;;
		s) sec=1;;
		t) notime=1;;
		u) as=(setpriv --reuid="$OPTARG" --regid="$OPTARG" --clear-groups);;
		*) fail "nochange: bad option";;
		esac
	done
	shift $((OPTIND - 1))
	local name=$1 cmd=$2 w="$T/$1/w" r="$T/$1/r" before after rs rr os or ctime
	local kind=raw
	# After a real change a is the last name: unshared in place, it is
	# what it presented before.
	[ -z "$broke" ] || kind=logical
	pair "$name"
	before=$(snap_fields "$w/a")
	pick ctime "$before" ctime
	pick before "$before" $kind
	rs=0; os=$(cd "$w" && "${as[@]}" env LD_PRELOAD="$PRELOAD" COWLINK_DEBUG=${NOCHANGE_DEBUG:-} bash -c "$cmd" 2>"$T/$name/err") || rs=$?
	rr=0; or=$(cd "$r" && "${as[@]}" bash -c "$cmd" 2>/dev/null) || rr=$?
	[ "$rr" != 127 ] || fail "$name: [$cmd] not found"
	[ "$rs" = "$rr" ] || fail "$name: exit status $rs under the shim, $rr on a plain copy ($(head -c 300 "$T/$name/err"))"
	[ "$os" = "$or" ] || fail "$name: output under the shim [$os], on a plain copy [$or]"
	local a b x y ia ib
	{ read -r a; read -r b; } < <(snap_fields "$w/a" "$w/b")
	pick after "$a" $kind
	[ "$before" = "$after" ] || fail "$name: a changed: before [$before] after [$after]"
	pick ia "$a" ino; pick ib "$b" ino
	if [ -n "$broke" ]; then
		[ "$ia" != "$ib" ] || fail "$name: a real change left b sharing a's inode"
	else
		[ "$ia" = "$ib" ] || fail "$name: a change that changes nothing broke the link"
		# Not even the ctime, which the kernel stamps on a plain
		# file: it is every name's (docs/DESIGN.md §4).
		pick x "$a" ctime
		[ -n "$blind" ] || [ "$x" = "$ctime" ] ||
			fail "$name: a change that changes nothing stamped the ctime of every name: $ctime -> $x"
		[ "$(stat -c %h "$w/a")" = 2 ] || fail "$name: the set lost a name"
		is_marked "$w/a" || fail "$name: the set lost its mark"
	fi
	pick x "$b" logical
	pick y "$(snap_fields "$r/b")" logical
	if [ -n "$sec" ]; then
		x=$(sed -E 's/ ([0-9]+)\.[0-9]+ / \1 /' <<<"$x")
		y=$(sed -E 's/ ([0-9]+)\.[0-9]+ / \1 /' <<<"$y")
	fi
	if [ -n "$notime" ]; then
		x=$(awk '{ $6 = ""; print }' <<<"$x")
		y=$(awk '{ $6 = ""; print }' <<<"$y")
	fi
	[ "$x" = "$y" ] || fail "$name: b presents [$x], the plain copy is [$y]"
	no_litter "$w"
	note "ok: $name [$os]${broke:+ (broken, as it must be)}"
}

# chmod, chown: through the name and through a read-only fd.
nochange chmod-same         'chmod 640 b'
nochange chmod-same-octal   '"$N" chmod b 0640'
nochange fchmod-same        '"$N" fchmod b 0640'
nochange -c chmod-other     'chmod 600 b'
nochange chown-same         'chown 65534:65534 b'
nochange chown-keep         '"$N" chown b -1 -1'
nochange fchown-keep        '"$N" fchown b -1 65534'
nochange -c chown-other     'chown 0:0 b'
nochange fchmodat-same      '"$P/api_fchmodat" . b 0640'
nochange lchown-same        '"$P/api_lchown" b 65534 65534'
nochange fchownat-keep      '"$P/api_fchownat" . b -1 -1'
# As the owner, and as someone else: chmod EPERM either way, chown -1 -1
# asks nothing of the caller.
nochange -u 65534 owner-chmod-same   'chmod 640 b'
nochange -u 65534 owner-chown-same   '"$N" chown b 65534 65534'
nochange -u 65534 owner-fchown-keep  '"$N" fchown b -1 -1'
nochange -u 65533 other-chmod-same   '"$N" chmod b 0640'
nochange -u 65533 -x other-chown-keep '"$N" chown b -1 -1'
nochange -u 65533 other-chown-same   '"$N" chown b 65534 -1'

# Extended attributes: the value it has, and answers given with no change.
nochange setfattr-same      'setfattr -n user.test -v seeded b'
nochange setxattr-create    '"$N" setxattr b user.test seeded create'
nochange setxattr-replace-missing '"$N" setxattr b user.nope x replace'
nochange fsetxattr-same     '"$N" fsetxattr b user.test seeded 0'
nochange removexattr-missing '"$N" removexattr b user.nope'
nochange fremovexattr-missing '"$N" fremovexattr b user.nope'
nochange -u 65533 other-setxattr-same '"$N" setxattr b user.test seeded 0'
nochange -c setfattr-other  'setfattr -n user.test -v other b'
nochange -c setxattr-create-new '"$N" setxattr b user.new x create'

# install -C of identical content and owner (it chmods, and with -o/-g
# chowns, the destination every time).
nochange -u 65534 install-C 'install -C -m 640 ../src b'
nochange install-C-owner    'install -C -m 640 -o 65534 -g 65534 ../src b'
nochange -c -t install-C-mode 'install -C -m 600 ../src b'

# Times that leave the mtime as it is: the atime is every name's, so an
# atime-only change is none (the name keeps the shared atime). -s: file -p
# restores whole seconds, utimes microseconds, which on a plain copy drops
# the rest of the mtime's fraction; the cowlink keeps it (documented).
nochange -s file-p          'file -p b'
nochange tar-atime-replace  'tar --atime-preserve=replace -cf ../x.tar b'
nochange touch-a            'touch -a -c b'
nochange touch-a-date       'touch -a -c -d 2001-01-01 b'
nochange utimensat-keep     '"$N" utimensat b 1000000000.5 keep'
nochange futimens-atime     '"$N" futimens b now omit'
nochange -s utimes-keep     '"$N" utimes b 1000000000.0 keep'
nochange -u 65533 other-atime '"$N" utimensat b now omit'
nochange -c touch-m         'touch -m -c -d 2001-01-01 b'
nochange -c utimensat-mtime '"$N" utimensat b omit 1000000000.0'
nochange -c -t futimens-now '"$N" futimens b now now'

note "ok: all"
