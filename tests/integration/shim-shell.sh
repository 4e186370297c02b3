#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Shell writers under the shim: redirections by bash and dash, tee, and fds
# 0-2 inherited from a shell without the shim (the constructor re-points a
# writable stdout/stderr on a shared inode at the private copy).
. "$(dirname "$0")/lib.sh"
need_shim
need dash tee

writer bash-trunc 'echo new > b'
writer bash-append 'echo more >> b'
writer bash-rdwr 'printf XY 1<>b'
writer bash-exec-fd 'exec 3>>b; echo three >&3; echo again >&3'
writer bash-noclobber-force 'set -o noclobber; echo forced >| b'
writer dash-append 'dash -c "echo dash >> b"'
writer dash-trunc 'dash -c "echo dash > b"'
writer tee-append 'echo teed | tee -a b'
writer tee-trunc 'echo teed | tee b'

# The shell opens b without the shim; the program it starts has the shim.
writer -n inherited-stdout-append 'exec >>b; LD_PRELOAD="$PRELOAD" /bin/echo hello'
writer -n inherited-stdout-rdwr 'exec 1<>b; LD_PRELOAD="$PRELOAD" /bin/echo hi'
writer -n inherited-stderr-append 'exec 2>>b; LD_PRELOAD="$PRELOAD" ls /nonexistent-cowlink-test; true'
writer -n inherited-stdout-cat 'exec >>b; LD_PRELOAD="$PRELOAD" cat /etc/hostname'

# noclobber without force must refuse an existing b and change nothing.
mkdir -p "$T/noclobber" && cd "$T/noclobber"
seed_file a && cow_link a b
s=$(snapshot a)
if under_shim bash -c 'set -o noclobber; echo x > b' 2>/dev/null; then fail "noclobber let > overwrite b"; fi
expect_unchanged a "$s"; expect_unchanged b "$s"
same_inode a b || fail "a refused redirection broke the link"

# A read-only stdin on a shared inode is left alone.
mkdir -p "$T/stdin" && cd "$T/stdin"
seed_file a && cow_link a b
s=$(snapshot a)
LD_PRELOAD="$PRELOAD" cat <b >/dev/null
same_inode a b || fail "a read-only stdin broke the link"
expect_unchanged a "$s"

# Two names: after the write through b, a is the last name of its inode
# and is unshared in place: recorded write bits back, mark gone, bytes and
# times untouched (docs/DESIGN.md §5 step 7).
mkdir -p "$T/orphan" && cd "$T/orphan"
seed_file a && cow_link a b
pick before "$(snap_fields a)" logical
under_shim bash -c 'echo more >> b'
pick after "$(snap_fields a)" logical
[ "$after" = "$before" ] || fail "orphan: a changed: [$after], was [$before]"
[ "$(stat -c '%a %h' a)" = "640 1" ] || fail "orphan: a is $(stat -c '%a %h' a), want 640 1"
! is_marked a || fail "orphan: a kept the mark"
[ "$(tail -n1 b)" = more ] || fail "orphan: the append to b was lost"
note "ok: orphan unshared in place"

# A malformed or unknown-version record still means "cowlink": break first.
for rec in 'garbage' 'cowlink v9 w=0222' 'cowlink v1 w=9'; do
	d="$T/rec-${rec//[^a-z0-9]/_}"
	mkdir -p "$d" && cd "$d"
	seed_file a && cow_link_by_hand a b && cow_link_by_hand a c
	setfattr -n user.cowlink -v "$rec" a
	pick raw "$(snap_fields a)" raw
	under_shim bash -c 'echo more >> b'
	pick now "$(snap_fields a)" raw
	[ "$now" = "$raw" ] || fail "record [$rec]: a write through b changed the shared inode"
	[ "$(stat -c %i a)" != "$(stat -c %i b)" ] || fail "record [$rec]: b was not broken"
	note "ok: record [$rec] treated as a cowlink"
done
