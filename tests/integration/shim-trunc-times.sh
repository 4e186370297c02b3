#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A truncation that writes nothing gives a cowlink the times it gives a
# plain file (docs/DESIGN.md §4, §5): the kernel's O_TRUNC of an existing
# file stamps mtime and ctime even when the file was empty, so `: > stamp`
# is how make's stamp files get written, and a private copy that kept the
# copied mtime stayed "out of date". Each form runs under the shim on b,
# one name of a three-name set whose times are 2001, and without it on a
# plain copy: b ends as the copy does -- content, mtime stamped exactly
# when the copy's is, ctime stamped when the copy's is, the same atime --
# and a and c stay one inode with the content, mode, owner, xattrs and
# times they had. (Not their ctime or link count: the rename that puts b's
# copy in place drops a link of the old inode, which the kernel stamps.)
# As root and as the owner, on a cowlink with data and an empty one; on
# tmpfs too (as root), where a truncate(2) to the size a file has leaves
# its times alone and one that changes the size does not. Every set is
# made first and every command run after one wait, so that the test costs
# a few processes a case.
# modes: preload run run-noshim
. "$(dirname "$0")/lib.sh"
need_shim
shim_argv
need setpriv dd cp setfattr getfattr
export N="$COWLINK_PROGS/trunc_nowrite"
[ -x "$N" ] || fail "trunc_nowrite was not built"
chmod 0755 "$T"
root=; [ "$(id -u)" != 0 ] || root=1

# The truncating opens: each must stamp the plain copy (the kernel's rule;
# else this test's idea of it is wrong).
forms=(
	"shell:: > b"
	"cp:cp /dev/null b"
	"python:/usr/bin/python3 -c 'open(\"b\", \"w\").close()'"
	'open:"$N" open b wt'
	'open-creat:"$N" open b wct'
	'open-rdonly:"$N" open b rt'
	'creat:"$N" creat b'
	'fopen:"$N" fopen b w'
	'fopen-ccs:"$N" fopen b w,ccs=UTF-8'
	'freopen:"$N" freopen b w'
	'spawn:"$N" spawn b wt'
)
not_under_asan dd && forms+=("dd:dd of=b count=0 status=none")
# truncate(2) by name: to 0, to the size it has, beyond it. Whether the
# plain copy is stamped is the filesystem's rule.
sizes=('truncate-0:"$P/api_truncate" b 0' 'truncate-same:"$P/api_truncate" b 10'
	'truncate-grow:"$P/api_truncate" b 20')

# The cases: DIR WHO SEED NAME MUST CMD, WHO root or owner (uid 65534, who
# owns the file) -- or self when not root. An empty cowlink through the
# shim's own open (the others truncate in the kernel after a break).
cases=()
add() { # add BASE WHO SEED MUST FORM...
	local base=$1 who=$2 seed=$3 must=$4 f
	shift 4
	for f in "$@"; do cases+=("$base/$who-$seed-${f%%:*}|$who|$seed|${f%%:*}|$must|${f#*:}"); done
}
if [ -n "$root" ]; then
	add "$T" root data stamp "${forms[@]}"; add "$T" root data - "${sizes[@]}"
	add "$T" root empty stamp "${forms[@]:0:8}"; add "$T" root empty - "${sizes[@]}"
	add "$T" owner data stamp "${forms[@]}"; add "$T" owner data - "${sizes[@]}"
	mkdir "$T/tmpfs"
	if mount -t tmpfs -o size=4m,mode=0755 cowlink-test "$T/tmpfs" 2>/dev/null; then
		add "$T/tmpfs" root data - "${sizes[@]}" "${forms[0]}"
		add "$T/tmpfs" root empty - "${sizes[@]}" "${forms[0]}"
	else
		note "no tmpfs here: $(stat -f -c %T "$T") only"
	fi
else
	add "$T" self data stamp "${forms[@]}"; add "$T" self data - "${sizes[@]}"
fi

# Make every set: a, b, c one cowlink set (c joins by a hard link, §1),
# r/b a plain copy made alike; then all of them 2001. Few processes: the
# machine is small and a fork is the cost.
dirs=() all=() kept=() owned=() links=()
for c in "${cases[@]}"; do
	IFS='|' read -r d who seed name must cmd <<<"$c"
	dirs+=("$d/w" "$d/r")
	[ "$who" != owner ] || owned+=("$d" "$d/w" "$d/r")
	all+=("$d/w/a" "$d/r/b")
	kept+=("$d/w/a" "$d/w/c")
	links+=("$d/w/b" "$d/w/c")
done
mkdir -p "${dirs[@]}"
for f in "${all[@]}"; do
	case $f in */*-data-*) printf 'some data\n' >"$f";; *) : >"$f";; esac
done
chmod 0640 "${all[@]}"
setfattr -n user.test -v seeded "${all[@]}"
[ -z "$root" ] || chown 65534:65534 "${all[@]}"
[ ${#owned[@]} = 0 ] || chown 65534:65534 "${owned[@]}"
for c in "${cases[@]}"; do cow_link "${c%%|*}/w/a" "${c%%|*}/w/b"; done
/usr/bin/python3 -c 'import os, sys; a = sys.argv[1:]; [os.link(a[i], a[i + 1]) for i in range(0, len(a), 2)]' "${links[@]}"
touch -d 2001-01-01 "${all[@]}"
# What must not change about a and c but their content, read only at the
# end: a read now would stamp the atime the names share (relatime).
keep() { stat -c '%n %d:%i %f %u %g %s %.9X %.9Y' "$@"; getfattr -d -m '^user\.' "$@" 2>/dev/null | grep -v '^user.cowlink='; }
before=$(keep "${kept[@]}")

# ns PATH FMT: a time of PATH (%X %Y %Z) in nanoseconds, without the shim.
ns() { local t; t=$(stat -c "%.9$2" "$1"); echo "${t/./}"; }

# Every time set so far is older than T0, every stamp of a command newer:
# wait 20 ms, and take T0 a coarse tick (the clock file times come from)
# before the commands start.
us() { echo "${EPOCHREALTIME/./}"; }
end=$(($(us) + 20000))
while (($(us) < end)); do :; done
t0=$(((end - 10000) * 1000))

# Run every command, under the shim on DIR/w/b and on the plain copy
# DIR/r/b, one shell per user and side.
script() { # script SIDE WHO: the commands of WHO's cases for SIDE (w, r)
	local c d who seed name must cmd
	for c in "${cases[@]}"; do
		IFS='|' read -r d who seed name must cmd <<<"$c"
		[ "$who" = "$2" ] || continue
		printf '(cd %q && %s) >%q 2>&1\n' "$d/$1" "$cmd" "$d/$1.out"
	done
}
for who in root owner self; do
	as=()
	[ "$who" != owner ] || as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	s=$(script w $who)
	[ -n "$s" ] || continue
	"${as[@]}" "${SHIM_ARGV[@]}" bash -c "$s"
	"${as[@]}" bash -c "$(script r $who)"
done

after=$(keep "${kept[@]}")
[ "$after" = "$before" ] || fail "a or c changed: $(diff <(echo "$before") <(echo "$after") | head -5)"
declare -A st sum
files=()
for c in "${cases[@]}"; do d=${c%%|*}; files+=("$d/w/a" "$d/w/b" "$d/w/c" "$d/r/b"); done
while read -r n i x y z; do st[$n]="$i ${x/./} ${y/./} ${z/./}"; done < <(stat -c '%n %d:%i %.9X %.9Y %.9Z' "${files[@]}")
while read -r h n; do sum[$n]=$h; done < <(sha256sum "${files[@]}")
seedsum=$(printf 'some data\n' | sha256sum) seedsum=${seedsum%% *}
emptysum=$(sha256sum </dev/null) emptysum=${emptysum%% *}
for c in "${cases[@]}"; do
	IFS='|' read -r d who seed name must cmd <<<"$c"
	what="$who $seed $name in ${d%/*}"
	ow= or=
	read -r -d '' ow <"$d/w.out" || true
	read -r -d '' or <"$d/r.out" || true
	[ "$ow" = "$or" ] || fail "$what: [$cmd] under the shim [$ow], on a plain copy [$or]"
	read -r ia _ <<<"${st[$d/w/a]}"
	read -r ic _ <<<"${st[$d/w/c]}"
	read -r ib ba bm bc <<<"${st[$d/w/b]}"
	read -r _ pa pm pc <<<"${st[$d/r/b]}"
	[ "$ia" = "$ic" ] || fail "$what: a and c split"
	[ "$ia" != "$ib" ] || fail "$what: b still shares a's inode"
	[ "$must" != stamp ] || ((pm >= t0)) || fail "$what: the plain copy's mtime was not stamped: the kernel's rule differs here"
	(((bm >= t0) == (pm >= t0))) ||
		fail "$what: b's mtime $(stat -c %y "$d/w/b"), the plain copy's $(stat -c %y "$d/r/b") (the command ran from $t0)"
	((pc < t0 || bc >= t0)) ||
		fail "$what: b's ctime $(stat -c %z "$d/w/b") is older than the command; the plain copy's $(stat -c %z "$d/r/b")"
	[ "$ba" = "$pa" ] || fail "$what: b's atime $(stat -c %x "$d/w/b"), the plain copy's $(stat -c %x "$d/r/b")"
	[ "${sum[$d/w/b]}" = "${sum[$d/r/b]}" ] || fail "$what: b's content differs from the plain copy's"
	want=$emptysum; [ "$seed" = empty ] || want=$seedsum
	[ "${sum[$d/w/a]}" = "$want" ] || fail "$what: a's content changed"
	no_litter "$d/w"
done
note "ok: ${#cases[@]} cases"

# Not a cowlink: an empty plain file whose mtime was set back just before
# (touch -d, then : >) is no file the open created, though it changed
# during the call: the kernel stamps it, and so must the shim's open.
mkdir "$T/plain" && cd "$T/plain"
: >p
t0=$((($(us) - 10000) * 1000))
under_shim /usr/bin/python3 -c 'import os; os.utime("p", (978307200, 978307200)); open("p", "w").close()'
(($(ns p Y) >= t0)) || fail "plain p: an O_TRUNC open just after its mtime was set back kept it: $(stat -c %y p)"
note "ok: plain file set back, then truncated"
