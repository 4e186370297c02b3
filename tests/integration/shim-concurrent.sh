#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Concurrent writers: N processes (and N threads of one process) open the
# same cowlinked path for append at once. All appends must be present
# exactly once (one private copy, made once), the other names unchanged,
# no temporary names left.
. "$(dirname "$0")/lib.sh"
need_shim

# check DIR WANT_LINES: b is the seed plus exactly the lines in WANT_LINES.
check() {
	local d=$1 name=$2
	cmp -s <(head -c "$(stat -c %s "$T/.seed")" "$d/b") "$T/.seed" || fail "$name: the start of b is not the seed"
	diff <(tail -c +"$(( $(stat -c %s "$T/.seed") + 1 ))" "$d/b" | sort) <(sort "$d/want") >/dev/null \
		|| fail "$name: appended lines differ: $(diff <(tail -c +"$(( $(stat -c %s "$T/.seed") + 1 ))" "$d/b" | sort) <(sort "$d/want") | head -5 | tr '\n' ' ')"
	[ "$(stat -c %h "$d/b")" = 1 ] || fail "$name: b has $(stat -c %h "$d/b") links"
	no_litter "$d"
}

for round in 1 2 3; do
	d="$T/procs$round"
	mkdir -p "$d" && cd "$d"
	seed_file a && cow_link a b c
	pick raw "$(snap_fields a)" raw
	: >want
	pids=()
	for i in $(seq 1 8); do
		echo "process $i" >>want
		LD_PRELOAD="$PRELOAD" bash -c "echo 'process $i' >> b" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || fail "procs$round: a writer failed"; done
	check "$d" "procs$round"
	pick now "$(snap_fields a)" raw
	[ "$now" = "$raw" ] || fail "procs$round: the shared inode changed"
	[ "$(stat -c %i a)" = "$(stat -c %i c)" ] || fail "procs$round: a and c split"
done
note "ok: 8 processes x 3"

for round in 1 2 3; do
	d="$T/threads$round"
	mkdir -p "$d" && cd "$d"
	seed_file a && cow_link a b c
	pick raw "$(snap_fields a)" raw
	for i in $(seq 0 15); do echo "thread $i"; done >want
	[ "$(under_shim "$COWLINK_PROGS/threads" b 16)" = ok ] || fail "threads$round: the program failed"
	check "$d" "threads$round"
	pick now "$(snap_fields a)" raw
	[ "$now" = "$raw" ] || fail "threads$round: the shared inode changed"
done
note "ok: 16 threads x 3"

# Writers on two different names of one set at once: each gets its own copy.
d="$T/two-names" && mkdir -p "$d" && cd "$d"
seed_file a && cow_link a b c x
pick raw "$(snap_fields a)" raw
for i in $(seq 1 4); do
	LD_PRELOAD="$PRELOAD" bash -c "echo 'b $i' >> b" &
	LD_PRELOAD="$PRELOAD" bash -c "echo 'x $i' >> x" &
done
wait
[ "$(grep -c '^b ' b)" = 4 ] && [ "$(grep -c '^x ' x)" = 4 ] || fail "two-names: lost appends"
grep -q '^x ' b && fail "two-names: x's appends reached b"
grep -q '^b ' x && fail "two-names: b's appends reached x"
pick now "$(snap_fields a)" raw
[ "$now" = "$raw" ] || fail "two-names: the shared inode changed"
no_litter "$d"
note "ok: two names at once"
