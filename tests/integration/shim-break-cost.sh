#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The fixed cost of a break, in system calls: what a write-open of a small
# cowlink costs beyond the same write-open of a plain file, for root and for
# a plain user. Counted with strace as a difference (20 files less 10), so
# start-up and bash's own calls cancel out. The limits are today's figures
# plus one (the open's check for a concurrent break costs two calls or none,
# by the clock): a new call per break has to be worth it (bench/RESULTS.md 3c).
# The unshare of the orphan a two-name set leaves costs four of them (the
# " unsharing" record and the second look at the link count, which a racing
# cowln -f needs, and the inode lock taken and let go, which a second
# unshare of the same inode needs: docs/DESIGN.md §4, Names); a non-root
# owner's break a few more (its first open is refused with EACCES, the
# break comes after).
. "$(dirname "$0")/lib.sh"
need_shim
need_root
need strace useradd userdel setpriv
[ -z "${COWLINK_ASAN_RUNTIME:-}" ] || skip "counts system calls of the plain build"
[ "$(stat -f -c %T "$T")" = ext2/ext3 ] || skip "the figures are for ext4 (no FICLONE to try)"

user=cowlink-cost$$
useradd -M -N -s /usr/sbin/nologin "$user" || skip "cannot add a user"
trap 'userdel "$user" 2>/dev/null || true; cleanup' EXIT
uid=$(id -u "$user")
chmod 755 "$T"

# calls WHO DIR N: system calls (in $got) of one bash opening DIR/1..N for
# appending.
calls() {
	local who=()
	[ "$1" = root ] || who=(setpriv --reuid="$uid" --regid="$uid" --clear-groups)
	strace -f -qq -o "$T/trace" "${who[@]}" env LD_PRELOAD="$PRELOAD" \
		bash -c "for i in \$(seq 1 $3); do : >>'$2'/\$i; done" >/dev/null 2>&1 ||
		fail "the write-opens in $2 failed ($1)"
	got=$(grep -cE '^[0-9]+ +[a-z_0-9]+\(' "$T/trace")
}

# fresh_set WHO: b/1..20 cowlinks of a/1..20 (3-60 KB), plain/1..20 copies.
fresh_set() {
	local n
	rm -rf "$T/plain" "$T/a" "$T/b"
	mkdir "$T/plain" "$T/a" "$T/b"
	for n in $(seq 1 20); do
		head -c $((n * 3000)) /dev/urandom >"$T/a/$n"
		cp "$T/a/$n" "$T/plain/$n"
		cow_link "$T/a/$n" "$T/b/$n"
	done
	[ "$1" = root ] || chown -R "$uid:$uid" "$T/plain" "$T/a" "$T/b"
	# A write-open looks twice at a file changed since it began (by the
	# coarse clock): let the clock pass the files just made, so that the
	# counts do not depend on how fast this machine made them.
	sleep 0.1
}

# per_break WHO LIMIT: the extra calls per broken name, at most LIMIT.
per_break() {
	local who=$1 limit=$2 n plain cow20 cow10 extra
	fresh_set "$who"
	calls "$who" "$T/plain" 20; plain=$got
	calls "$who" "$T/plain" 10; plain=$((plain - got))
	calls "$who" "$T/b" 10; cow10=$got
	fresh_set "$who"
	calls "$who" "$T/b" 20; cow20=$got
	for n in $(seq 1 20); do
		same_inode "$T/a/$n" "$T/b/$n" && fail "b/$n was not broken ($who)"
		cmp -s "$T/a/$n" "$T/b/$n" || fail "b/$n differs from a/$n ($who)"
	done
	extra=$(( (cow20 - cow10 - plain) / 10 ))
	note "$who: a break costs $extra system calls beyond a plain write-open"
	[ "$extra" -le "$limit" ] ||
		fail "$who: a break costs $extra system calls, more than $limit (plain 10: $plain, cowlinks 10: $cow10, 20: $cow20)"
}

per_break root 36
per_break user 39
exit 0
