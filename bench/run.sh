#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cowlink side-by-side benchmarks: the one command.
#
#   bash bench/run.sh [--quick] [--only CASES]
#
# Builds cowln and libcowlink.so (Release) into build/bench, runs every case
# against its baseline (ln, cp, cp -al, cp --reflink, no preload, cowdancer, fl-cow),
# alternating the contenders round by round on a warm cache and taking
# medians, and prints a markdown table: case, cowlink figure, baseline
# figure(s), ratio, target, pass/miss. The same report is written to
# build/bench/results.md. --quick shrinks the sizes for a smoke run (64 MiB,
# 5000 files, fewer rounds). --only runs the listed cases alone, comma-separated
# (1 2 2c 3a 3b 3c 4 5 6 7 8; "3" is 3a, 3b and 3c; "2" is 2 and 2c), and makes only their data. Scratch data lives in a mktemp directory under
# $TMPDIR (or /tmp) and is removed, with any loop mount, at exit.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
src=$PWD

quick=0
only=
args="$*"
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--only) [ $# -ge 2 ] || { echo "$0: --only needs a list of cases" >&2; exit 2; }
		only=",$2,"; shift ;;
	*) echo "usage: $0 [--quick] [--only CASE,...]" >&2; exit 2 ;;
	esac
	shift
done
# want CASE: is CASE (1, 2, 3a...) to run? All of them without --only.
want() { [ -z "$only" ] || [[ $only == *",$1,"* ]] || [[ $only == *",${1%[abc]},"* ]]; }

if [ $quick = 1 ]; then
	BIG_MB=64 DD_MB=16 TREE_FILES=3000 ROUNDS=3 TREE_ROUNDS=2 FAST_ROUNDS=5 SPAWNS=100 LOOP_N=20000 CG_N=1000
	SMALL_N=200 LINK_ROUNDS=11
	HL_GROUPS=20 HL_KB=1024 HL_SINGLES=500 HL_STORE=200
else
	BIG_MB=1024 DD_MB=256 TREE_FILES=50000 ROUNDS=5 TREE_ROUNDS=3 FAST_ROUNDS=11 SPAWNS=300 LOOP_N=100000 CG_N=10000
	# LINK_ROUNDS: case 1's commands take 4-5 ms, and half their rounds
	# fall outside a 1 ms band: eleven rounds' medians gave cowln 1.04×
	# ln at aa76bf7 where 151 rounds by hand gave 0.97×. 51 rounds cost
	# a few seconds.
	SMALL_N=1000 LINK_ROUNDS=51
	HL_GROUPS=64 HL_KB=4096 HL_SINGLES=5000 HL_STORE=1800
fi

say() { printf 'bench: [%3ds] %s\n' "$SECONDS" "$*" >&2; }

bash tools/deps.sh bench

# --- build -----------------------------------------------------------------
B=$src/build/bench
say "building (Release) into build/bench"
mkdir -p "$B"
cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release -DCOWLINK_TESTS=OFF >"$B/bench-build.log" 2>&1 ||
	{ cat "$B/bench-build.log" >&2; exit 1; }
for t in cowln cowlink cowlink_tool; do
	cmake --build "$B" -j2 --target "$t" >>"$B/bench-build.log" 2>&1 ||
		say "target $t did not build (see build/bench/bench-build.log); its cases are skipped"
done
COWLN=$B/tools/cowln
SHIM=$B/lib/preload/libcowlink.so
TOOL=$B/tools/cowlink
[ -x "$TOOL" ] || TOOL=
[ -x "$COWLN" ] || COWLN=
[ -f "$SHIM" ] || SHIM=
CD_LIB=$(dpkg -L cowdancer 2>/dev/null | grep '/libcowdancer\.so$' | head -1 || true)
# fl-cow (Debian's FL-COW): a preload that wraps open() inside FLCOW_PATH.
FL_LIB=$(dpkg -L fl-cow 2>/dev/null | grep '/libflcow\.so$' | head -1 || true)

W=$(mktemp -d "${TMPDIR:-/tmp}/cowlink-bench.XXXXXX")
XFS_MNT=
cleanup() {
	if [ -n "$XFS_MNT" ] && mountpoint -q "$XFS_MNT"; then
		umount "$XFS_MNT" || umount -l "$XFS_MNT" || true
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

P=$W/bin
mkdir -p "$P"
for p in loops spawn statwalk notif; do
	cc -O2 -Wall -Wextra -o "$P/$p" "$src/bench/$p.c"
done
# The floor for start-up: what preloading any library at all costs.
echo 'int cowlink_bench_empty;' | cc -shared -fPIC -x c - -o "$P/empty.so"

# --- measuring -------------------------------------------------------------
ROWS=$W/rows
: >"$ROWS"

# row CASE COWLINK BASELINE RATIO TARGET VERDICT: one line of the table.
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$ROWS"; }
skip_row() { want "${1%%.*}" || return 0; row "$1" "—" "—" "—" "$2" "skipped: $3"; say "skipped $1: $3"; }

# Run "$@" once, silently; print its wall time in microseconds and append
# the CPU time (user + system) of everything it ran to $W/cpu.last. A
# command that fails makes the whole benchmark fail: a figure for a command
# that did not do its job is worse than no figure.
# `times` runs in this shell (never in $(...), where it would see only the
# subshell): its second line is the CPU time of the waited-for children.
cpu_us() { awk 'NR == 2 {s = 0; for (i = 1; i <= NF; i++) {split($i, b, "m"); sub(/s$/, "", b[2]); s += b[1] * 60 + b[2]}; printf "%.0f", s * 1e6}' "$1"; }
timed() {
	local t0 t1
	times >"$W/times0"
	t0=$EPOCHREALTIME
	if ! "$@" >/dev/null 2>"$W/err"; then
		say "command failed: $*"
		cat "$W/err" >&2
		exit 1
	fi
	t1=$EPOCHREALTIME
	times >"$W/times1"
	echo $(($(cpu_us "$W/times1") - $(cpu_us "$W/times0"))) >"$W/cpu.last"
	echo $((${t1/./} - ${t0/./}))
}

# alternate [-n] ROUNDS NAME...: for each round, for each NAME in turn, run
# prep_NAME (untimed) then time run_NAME; times go to $W/t.NAME. One
# untimed warm-up of each first (warm cache, as the cases say) unless -n.
alternate() {
	local warm=1 rounds n r
	[ "$1" = -n ] && { warm=0; shift; }
	rounds=$1
	shift
	for n in "$@"; do
		: >"$W/t.$n"
		: >"$W/c.$n"
		[ $warm = 1 ] || continue
		prep_"$n"
		run_"$n" >/dev/null 2>"$W/err" || { say "warm-up of $n failed:"; cat "$W/err" >&2; exit 1; }
	done
	for ((r = 0; r < rounds; r++)); do
		for n in "$@"; do
			prep_"$n"
			timed run_"$n" >>"$W/t.$n"
			cat "$W/cpu.last" >>"$W/c.$n"
		done
	done
}

# Median of a file of numbers.
median() { sort -n "$1" | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# Human-readable time from microseconds.
fmt_us() { awk -v u="$1" 'BEGIN {if (u >= 1e6) printf "%.2f s", u / 1e6; else if (u >= 1e3) printf "%.1f ms", u / 1e3; else printf "%.0f µs", u}'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f×", a / b}'; }

# verdict VALUE LIMIT: pass when VALUE <= LIMIT; LIMIT "-": no target.
verdict() { [ "$2" = - ] && { echo "—"; return; }; awk -v v="$1" -v l="$2" 'BEGIN {print (v <= l) ? "pass" : "MISS"}'; }

# compare CASE TARGET LIMIT COW BASE [OTHER...]: a row of medians of the
# timed contenders, ratio COW/BASE checked against LIMIT (cpu:N: the ratio
# of their CPU times checked against N); OTHER baselines are shown with
# their own ratio.
compare() {
	local name=$1 target=$2 limit=$3 cow=$4 base=$5 mc mb r basecol o mo cr
	shift 5
	mc=$(median "$W/t.$cow")
	mb=$(median "$W/t.$base")
	r=$(awk -v a="$mc" -v b="$mb" 'BEGIN {printf "%.3f", a / b}')
	basecol="$(label "$base") $(fmt_us "$mb")"
	for o in "$@"; do
		mo=$(median "$W/t.$o")
		basecol="$basecol; $(label "$o") $(fmt_us "$mo") ($(ratio "$mc" "$mo"))"
	done
	# CPU time: steadier than wall time when other work shares the machine.
	cr=$(ratio "$(median "$W/c.$cow")" "$(median "$W/c.$base")")
	if [ "${limit#cpu:}" != "$limit" ]; then
		limit=${limit#cpu:}
		r=$(awk -v a="$(median "$W/c.$cow")" -v b="$(median "$W/c.$base")" \
			'BEGIN {printf "%.3f", (b > 0) ? a / b : 0}')
	fi
	row "$name" "$(fmt_us "$mc")" "$basecol" "$(ratio "$mc" "$mb") (cpu $cr)" "$target" "$(verdict "$r" "$limit")"
}
label() { cat "$W/label.$1" 2>/dev/null || echo "$1"; }
setlabel() { echo "$2" >"$W/label.$1"; }

unmark() { setfattr -x user.cowlink "$1" 2>/dev/null || true; chmod u+w "$1"; }

load() { cut -d' ' -f1-3 /proc/loadavg; }
LOAD_START=$(load)
FS_TYPE=$(findmnt -no FSTYPE -T "$W" 2>/dev/null || stat -f -c %T "$W")
say "scratch $W ($FS_TYPE), load $LOAD_START"

# --- data ------------------------------------------------------------------
if want 1 || want 3a || want 3b || want 4 || want 7; then
	say "making a ${BIG_MB} MiB file"
	head -c "$((BIG_MB * 1048576))" /dev/urandom >"$W/big"
fi

TREE_N=0 TREE_MB=0
if want 2 || want 7; then
	say "copying ${TREE_FILES} files from /usr into a scratch tree"
	find /usr/include /usr/share/doc /usr/lib/python3* /usr/share/perl /usr/share/man \
		/usr/share/locale /usr/share/i18n /usr/share/zoneinfo /usr/share /usr/lib \
		-xdev -type f 2>/dev/null | awk '!seen[$0]++' | head -n "$TREE_FILES" >"$W/list" || true
	mkdir "$W/src"
	tar -cf - --no-recursion -T "$W/list" 2>/dev/null | tar -xf - -C "$W/src"
	TREE_N=$(find "$W/src" -type f | wc -l)
	TREE_MB=$(du -sm "$W/src" | cut -f1)
	say "tree: $TREE_N files, $TREE_MB MiB"
fi
sync

# --- 1. link one big file ----------------------------------------------------
if ! want 1; then
	:
elif [ -n "$COWLN" ]; then
	say "case 1: link one ${BIG_MB} MiB file"
	# sync first: a journal commit that waits for someone's dirty data
	# would be charged to whichever link happened to start next.
	# Each starts from a big file with one name: a source with an unmarked
	# second name is copied by cowln, not linked.
	prep_ln() { rm -f "$W/l1" "$W/c1"; sync; }
	run_ln() { ln "$W/big" "$W/l1"; }
	prep_cowln() { rm -f "$W/l1" "$W/c1"; unmark "$W/big"; sync; }
	run_cowln() { "$COWLN" "$W/big" "$W/c1"; }
	prep_cp() { rm -f "$W/p1"; sync; }
	run_cp() { cp "$W/big" "$W/p1"; }
	setlabel ln ln; setlabel cp cp
	alternate "$LINK_ROUNDS" ln cowln
	alternate -n "$ROUNDS" cp
	[ "$(stat -c %i "$W/c1")" = "$(stat -c %i "$W/big")" ] || { say "cowln copied instead of linking"; exit 1; }
	compare "1. link a ${BIG_MB} MiB file: cowln vs ln (process wall)" "≤ 1.0× ln" 1.0 cowln ln cp
	rm -f "$W/l1" "$W/c1" "$W/p1"
else
	skip_row "1. link a ${BIG_MB} MiB file" "≤ 1.0× ln" "no cowln"
fi

# --- 2. link a tree ----------------------------------------------------------
if ! want 2; then
	:
elif [ -n "$COWLN" ]; then
	say "case 2: link a tree of $TREE_N files"
	unmark_tree() { find "$W/src" -type f -exec setfattr -x user.cowlink {} + 2>/dev/null || true; chmod -R u+w "$W/src"; }
	prep_first() { rm -rf "$W/d"; unmark_tree; }
	run_first() { "$COWLN" -r "$W/src" "$W/d"; }
	prep_again() { rm -rf "$W/d"; }
	run_again() { "$COWLN" -r "$W/src" "$W/d"; }
	prep_cpal() { rm -rf "$W/d"; }
	run_cpal() { cp -al "$W/src" "$W/d"; }
	prep_cpa() { rm -rf "$W/d"; }
	run_cpa() { cp -a "$W/src" "$W/d"; }
	setlabel cpal "cp -al"; setlabel cpa "cp -a"
	alternate "$TREE_ROUNDS" first again cpal
	alternate -n 1 cpa
	compare "2a. cowln -r, $TREE_N files, unmarked source (marks it)" "≤ 1.2× cp -al, CPU" cpu:1.2 first cpal cpa
	compare "2b. cowln -r, $TREE_N files, source already marked" "≤ 1.0× cp -al, CPU" cpu:1.0 again cpal cpa
	rm -rf "$W/d"
else
	skip_row "2. cowln -r a tree" "≤ 1.2× / 1.0× cp -al, CPU" "no cowln"
fi

# --- 2c. a tree with hard-link groups ----------------------------------------
if want 2c; then
if [ -n "$COWLN" ]; then
	# Groups of 5 names inside the tree (as a file with 5 names), files with
	# their other name in a store outside it (as a pnpm project), and
	# single-link files. cowln -r keeps each group as one inode of the copy's
	# own (a copy), copies the store's files (their other name is outside)
	# and links the singles; cp -al links everything, cp -a copies each
	# inode once. Space: what the copy adds (du of source and copy: the
	# copy's line counts only inodes the source does not hold).
	say "case 2c: cowln -r of a tree with $HL_GROUPS groups of 5 names (${HL_KB} KiB), $HL_STORE store files, $HL_SINGLES singles"
	H=$W/hl
	mkdir -p "$H/src/g" "$H/src/s" "$H/src/m" "$H/store"
	for ((i = 0; i < HL_GROUPS; i++)); do
		head -c "$((HL_KB * 1024))" /dev/urandom >"$H/src/g/f$i.0"
		for k in 1 2 3 4; do mkdir -p "$H/src/g/$k"; ln "$H/src/g/f$i.0" "$H/src/g/$k/f$i"; done
	done
	for ((i = 0; i < HL_STORE; i++)); do
		head -c 16384 /dev/urandom >"$H/store/p$i"
		ln "$H/store/p$i" "$H/src/m/p$i"
	done
	for ((i = 0; i < HL_SINGLES; i++)); do head -c 4096 /dev/urandom >"$H/src/s/f$i"; done
	HL_MB=$(du -sm "$H/src" | cut -f1)
	prep_hlcow() { rm -rf "$H/d"; sync; }
	run_hlcow() { "$COWLN" -r "$H/src" "$H/d"; }
	prep_hlcpal() { rm -rf "$H/d"; sync; }
	run_hlcpal() { cp -al "$H/src" "$H/d"; }
	prep_hlcpa() { rm -rf "$H/d"; sync; }
	run_hlcpa() { cp -a "$H/src" "$H/d"; }
	setlabel hlcpal "cp -al"; setlabel hlcpa "cp -a"
	# space_of NAME: KiB the copy made by run_NAME adds
	space_of() { prep_"$1"; run_"$1" 2>/dev/null; sync; du -sk "$H/src" "$H/d" | awk 'NR == 2 {print $1}'; }
	sp_cow=$(space_of hlcow) sp_cpal=$(space_of hlcpal) sp_cpa=$(space_of hlcpa)
	prep_hlcow; run_hlcow 2>"$W/hl.err"
	[ "$(stat -c %i "$H/d/g/f0.0")" = "$(stat -c %i "$H/d/g/1/f0")" ] || { say "cowln -r split a group"; exit 1; }
	alternate "$TREE_ROUNDS" hlcow hlcpal hlcpa
	mc=$(median "$W/t.hlcow")
	row "2c. cowln -r, tree with hard-link groups ($HL_MB MiB), time; space added" \
		"$(fmt_us "$mc"); $((sp_cow / 1024)) MiB" \
		"cp -al $(fmt_us "$(median "$W/t.hlcpal")"), $((sp_cpal / 1024)) MiB; cp -a $(fmt_us "$(median "$W/t.hlcpa")"), $((sp_cpa / 1024)) MiB" \
		"$(ratio "$mc" "$(median "$W/t.hlcpal")") cp -al, $(ratio "$mc" "$(median "$W/t.hlcpa")") cp -a (space $(ratio "$sp_cow" "$sp_cpa") cp -a)" \
		"space ≤ cp -a" "$(verdict "$sp_cow" "$sp_cpa")"
	say "cowln said: $(cat "$W/hl.err")"
	rm -rf "$H"
else
	skip_row "2c. cowln -r, tree with hard-link groups" "space ≤ cp -a" "no cowln"
fi
fi # case 2c

# --- 3. break a big file -------------------------------------------------------
if [ -n "$COWLN" ] && [ -n "$SHIM" ]; then
	# 3a, for each size: the break (first write-open under the shim) of a
	# cowlink b of a, against cp a c, cp a t && mv t b (the replacing
	# rename the break makes: on ext4 it starts writeback of t, auto_da_alloc)
	# and the same with t synced first. b is a second name of a for the mv
	# too, as for the break, so that no rename frees the old data.
	sizes=()
	if want 3a; then
		sizes=("$BIG_MB")
		for mb in 64 16; do [ "$mb" -lt "$BIG_MB" ] && sizes+=("$mb"); done
	fi
	for mb in "${sizes[@]}"; do
		say "case 3a: break a $mb MiB cowlink ($FS_TYPE), COWLINK_FSYNC=${COWLINK_FSYNC:-auto}"
		f=$W/big$mb
		[ "$mb" = "$BIG_MB" ] && f=$W/big
		[ -f "$f" ] || head -c "$((mb * 1048576))" "$W/big" >"$f" 2>/dev/null ||
			head -c "$((mb * 1048576))" /dev/urandom >"$f"
		eval "prep_brk$mb() { rm -f \"\$W/b\"; \"\$COWLN\" \"$f\" \"\$W/b\"; sync; }
			run_brk$mb() { LD_PRELOAD=\$SHIM \"\$P/loops\" wwall 1 \"\$W/b\"; }
			prep_cp$mb() { rm -f \"\$W/c\"; sync; }
			run_cp$mb() { cp \"$f\" \"\$W/c\"; }
			prep_cpmv$mb() { rm -f \"\$W/t\" \"\$W/m\"; ln \"$f\" \"\$W/m\"; sync; }
			run_cpmv$mb() { cp \"$f\" \"\$W/t\" && mv \"\$W/t\" \"\$W/m\"; }
			prep_cpsmv$mb() { rm -f \"\$W/t\" \"\$W/m\"; ln \"$f\" \"\$W/m\"; sync; }
			run_cpsmv$mb() { cp \"$f\" \"\$W/t\" && sync -d \"\$W/t\" && mv \"\$W/t\" \"\$W/m\"; }"
		setlabel "brk$mb" "break"; setlabel "cp$mb" cp
		setlabel "cpmv$mb" "cp a t && mv t b"; setlabel "cpsmv$mb" "cp a t && sync -d t && mv t b"
		alternate "$ROUNDS" "brk$mb" "cp$mb" "cpmv$mb" "cpsmv$mb"
		[ "$(stat -c %i "$W/b")" != "$(stat -c %i "$f")" ] || { say "the write-open did not break b"; exit 1; }
		cmp -s "$f" "$W/b" || { say "the broken b differs from its source"; exit 1; }
		compare "3a. break $mb MiB on $FS_TYPE (write-open under the shim) vs cp+mv" \
			"≤ 1.1× cp a t && mv t b" 1.1 "brk$mb" "cpmv$mb" "cpsmv$mb"
		compare "3a. break $mb MiB on $FS_TYPE, the same rounds vs cp" "≤ 1.15× cp" 1.15 "brk$mb" "cp$mb"
		rm -f "$W/b" "$W/c" "$W/m" "$W/t"
		[ "$f" = "$W/big" ] || rm -f "$f"
	done

	if want 3c; then
		# 3c: the fixed cost of a break. SMALL_N files of 4-64 KiB (a
		# build tree under strip), each broken by one write-open in one
		# process, against cp of the same files into a directory.
		say "case 3c: break $SMALL_N small files"
		mkdir "$W/small"
		for ((i = 0; i < SMALL_N; i++)); do
			head -c "$(((RANDOM % 61 + 4) * 1024))" /dev/urandom >"$W/small/$i"
		done
		prep_sbrk() { rm -rf "$W/sb"; "$COWLN" -r "$W/small" "$W/sb"; sync; }
		run_sbrk() { LD_PRELOAD=$SHIM "$P/loops" wfiles "$SMALL_N" "$W/sb"; }
		prep_scp() { rm -rf "$W/sc"; mkdir "$W/sc"; sync; }
		run_scp() { cp -t "$W/sc" "$W/small"/*; }
		setlabel sbrk break; setlabel scp "cp of the same files"
		alternate "$ROUNDS" sbrk scp
		[ "$(stat -c %h "$W/sb/0")" = 1 ] || { say "the write-opens did not break the small files"; exit 1; }
		compare "3c. break $SMALL_N files of 4-64 KiB on $FS_TYPE, one process" "≤ 1.5× cp" 1.5 sbrk scp
		# System calls per broken file (its open and close included): a
		# run of SMALL_N breaks less a run of none, by strace -c.
		if command -v strace >/dev/null; then
			prep_sbrk
			strace -f -c -o "$W/strace" env LD_PRELOAD="$SHIM" "$P/loops" wfiles "$SMALL_N" "$W/sb" >/dev/null 2>&1
			s1=$(awk '$NF == "total" {print $4}' "$W/strace")
			strace -f -c -o "$W/strace" env LD_PRELOAD="$SHIM" "$P/loops" wfiles 0 "$W/sb" >/dev/null 2>&1
			s0=$(awk '$NF == "total" {print $4}' "$W/strace")
			rm -rf "$W/sc"; mkdir "$W/sc"
			strace -f -c -o "$W/strace" cp -t "$W/sc" "$W/small"/* >/dev/null 2>&1
			c1=$(awk '$NF == "total" {print $4}' "$W/strace")
			row "3c. system calls per broken file (open + break + close; strace -c)" \
				"$(awk -v a="$s1" -v b="$s0" -v n="$SMALL_N" 'BEGIN {printf "%.1f", (a - b) / n}')" \
				"cp: $(awk -v a="$c1" -v n="$SMALL_N" 'BEGIN {printf "%.1f", a / n}') per file (start-up included)" \
				"—" "(informative)" "—"
		fi
		rm -rf "$W/small" "$W/sb" "$W/sc"
	fi

	if want 3b; then
		XFS_IMG=$W/xfs.img
		XFS_MNT=$W/xfs
		mkdir "$XFS_MNT"
		truncate -s "$((BIG_MB * 4 + 600))M" "$XFS_IMG"
		if mkfs.xfs -q -m reflink=1 "$XFS_IMG" >/dev/null 2>&1 &&
			mount -o loop "$XFS_IMG" "$XFS_MNT" 2>/dev/null; then
			say "case 3b: break on XFS (reflink)"
			X=$XFS_MNT
			cp "$W/big" "$X/big"
			sync
			prep_xbrk() { rm -f "$X/b"; "$COWLN" --reflink=never "$X/big" "$X/b"; sync; }
			run_xbrk() { LD_PRELOAD=$SHIM "$P/loops" wwall 1 "$X/b"; }
			prep_xcp() { rm -f "$X/c"; sync; }
			run_xcp() { cp --reflink=always "$X/big" "$X/c"; }
			setlabel xcp "cp --reflink=always"
			alternate "$FAST_ROUNDS" xbrk xcp
			[ "$(stat -c %i "$X/b")" != "$(stat -c %i "$X/big")" ] || { say "the write-open did not break b on XFS"; exit 1; }
			compare "3b. break ${BIG_MB} MiB on XFS reflink=1 (FICLONE)" "≤ 1.2× cp --reflink" 1.2 xbrk xcp
			umount "$XFS_MNT"
		else
			skip_row "3b. break on XFS reflink=1" "≤ 1.2× cp --reflink" "cannot make or loop-mount XFS here"
		fi
		XFS_MNT=
		rm -f "$XFS_IMG"
	fi
elif want 3a || want 3b || want 3c; then
	skip_row "3. break a big file" "≤ 1.15× cp" "no cowln or no libcowlink.so"
fi

# --- 4. O_TRUNC open of a cowlink ---------------------------------------------
if ! want 4; then
	:
elif [ -n "$COWLN" ] && [ -n "$SHIM" ]; then
	say "case 4: O_TRUNC open of a ${BIG_MB} MiB cowlink"
	: >"$W/t.trunc"; : >"$W/t.ptrunc"
	for ((r = 0; r < ROUNDS + 2; r++)); do
		rm -f "$W/b"; "$COWLN" "$W/big" "$W/b"; sync
		LD_PRELOAD=$SHIM "$P/loops" trunc 1 "$W/b" | awk '{print $1 / 1000}' >>"$W/t.trunc"
		[ "$(stat -c %s "$W/big")" = "$((BIG_MB * 1048576))" ] || { say "O_TRUNC through the shim truncated the shared inode"; exit 1; }
		rm -f "$W/p"; cp "$W/big" "$W/p"; sync
		"$P/loops" trunc 1 "$W/p" | awk '{print $1 / 1000}' >>"$W/t.ptrunc"
	done
	mc=$(median "$W/t.trunc"); mb=$(median "$W/t.ptrunc")
	row "4. open(O_WRONLY|O_TRUNC) of a ${BIG_MB} MiB cowlink, the call" "$(fmt_us "$mc")" \
		"O_TRUNC of a plain ${BIG_MB} MiB file, no shim: $(fmt_us "$mb")" "$(ratio "$mc" "$mb")" "< 1 ms" \
		"$(verdict "$mc" 999.999)"
	rm -f "$W/b" "$W/p"
else
	skip_row "4. O_TRUNC open of a cowlink" "< 1 ms" "no cowln or no libcowlink.so"
fi

# --- 5. process start-up ---------------------------------------------------------
# Instructions counted by callgrind for the whole process (the dynamic
# loader included), so the difference is what preloading the library costs.
# cg_true PRELOAD [VAR=VALUE]...: instructions of a whole run of /bin/true.
cg_true() {
	local pre=$1
	shift
	env -u LD_PRELOAD ${pre:+LD_PRELOAD=$pre} "$@" valgrind --tool=callgrind \
		--callgrind-out-file=/dev/null /bin/true 2>&1 >/dev/null | awk '/Collected :/ {print $4}'
}
mkdir -p "$W/cd"
echo x >"$W/cd/f"; ln "$W/cd/f" "$W/cd/g"
CD_ILIST=$W/cd.ilist
if want 5 && [ -n "$CD_LIB" ]; then
	(cd "$W/cd" && cowdancer-ilistcreate "$CD_ILIST" "find . -xdev \\( -type l -o -type f \\) -a -links +1 -print0 | xargs -0 stat --format '%d %i '") >/dev/null 2>&1 || CD_LIB=
fi
if ! want 5; then
	:
elif [ -n "$SHIM" ]; then
	say "case 5: process start-up"
	i0=$(cg_true "")
	i1=$(cg_true "$SHIM")
	ie=$(cg_true "$P/empty.so")
	cdcol="; empty library +$((ie - i0))"
	if [ -n "$CD_LIB" ]; then
		i2=$(cg_true "$CD_LIB" COWDANCER_ILISTFILE="$CD_ILIST")
		cdcol="$cdcol; cowdancer +$((i2 - i0))"
	fi
	if [ -n "$FL_LIB" ]; then
		i3=$(cg_true "$FL_LIB" FLCOW_PATH="$W/cd")
		cdcol="$cdcol; fl-cow +$((i3 - i0))"
	fi
	row "5a. /bin/true start-up, instructions added by the preload" "+$((i1 - i0))" \
		"no preload $i0$cdcol" "$(ratio "$i1" "$i0")" "≤ +15000" "$(verdict "$((i1 - i0))" 15000)"

	prep_none() { :; }
	run_none() { env -u LD_PRELOAD "$P/spawn" "$SPAWNS" /bin/true; }
	prep_shim() { :; }
	run_shim() { LD_PRELOAD=$SHIM "$P/spawn" "$SPAWNS" /bin/true; }
	prep_empty() { :; }
	run_empty() { LD_PRELOAD=$P/empty.so "$P/spawn" "$SPAWNS" /bin/true; }
	setlabel empty "empty library"
	names=(shim none empty)
	if [ -n "$CD_LIB" ]; then
		prep_cdnr() { :; }
		run_cdnr() { LD_PRELOAD=$CD_LIB COWDANCER_ILISTFILE=$CD_ILIST "$P/spawn" "$SPAWNS" /bin/true; }
		setlabel cdnr cowdancer
		names+=(cdnr)
	fi
	if [ -n "$FL_LIB" ]; then
		prep_flnr() { :; }
		run_flnr() { LD_PRELOAD=$FL_LIB FLCOW_PATH=$W/cd "$P/spawn" "$SPAWNS" /bin/true; }
		setlabel flnr fl-cow
		names+=(flnr)
	fi
	setlabel none "no preload"
	alternate -n "$ROUNDS" "${names[@]}"
	compare "5b. $SPAWNS × /bin/true, wall" "(informative)" - "${names[@]}"
else
	skip_row "5. process start-up" "≤ +15000 instructions" "no libcowlink.so"
fi

# --- 6. hot paths ---------------------------------------------------------------
# Per call: callgrind counts only inside loop_MODE (--toggle-collect), divided
# by the iterations; system calls per call from two runs, N and 2N.
# cg_loop PRELOAD MODE PATH and sys_per_call PRELOAD MODE PATH (PRELOAD may
# be empty). callgrind passes its own LD_PRELOAD on to the program it runs.
cg_loop() {
	local pre=$1 mode=$2 path=$3
	env -u LD_PRELOAD ${pre:+LD_PRELOAD=$pre} valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		--toggle-collect="loop_$mode" "$P/loops" "$mode" "$CG_N" "$path" 2>&1 >/dev/null |
		awk -v n="$CG_N" '/Collected :/ {printf "%.1f", $4 / n}'
}
if perf stat -e raw_syscalls:sys_enter -x, true >/dev/null 2>&1; then
	sys_count() { perf stat -e raw_syscalls:sys_enter -x, "$@" 2>&1 >/dev/null | awk -F, '/raw_syscalls/ {print $1}'; }
	SYSCOUNT="perf stat -e raw_syscalls:sys_enter"
else
	sys_count() { strace -f -c -o "$W/strace" "$@" >/dev/null 2>&1; awk '$NF == "total" {print $(NF-1)}' "$W/strace"; }
	SYSCOUNT="strace -c -f"
fi
sys_per_call() {
	local pre=$1 mode=$2 path=$3 a b
	a=$(sys_count env -u LD_PRELOAD ${pre:+LD_PRELOAD=$pre} "$P/loops" "$mode" "$CG_N" "$path")
	b=$(sys_count env -u LD_PRELOAD ${pre:+LD_PRELOAD=$pre} "$P/loops" "$mode" "$((2 * CG_N))" "$path")
	awk -v a="$a" -v b="$b" -v n="$CG_N" 'BEGIN {printf "%.2f", (b - a) / n}'
}
if ! want 6; then
	:
elif [ -n "$SHIM" ]; then
	say "case 6: hot paths (callgrind, $SYSCOUNT, wall)"
	echo data >"$W/plain"
	# MODE:FILE:LIMIT:CALLS: at most LIMIT instructions and CALLS system
	# calls added a call (LIMIT -1: informative).
	for m in ropen:plain:15:0 wopen:plain:120:1 close:plain:-1:0 write:/dev/null:8:0; do
		IFS=: read -r mode f lim calls <<<"$m"
		[ "$f" = plain ] && f=$W/plain
		c0=$(cg_loop "" "$mode" "$f")
		c1=$(cg_loop "$SHIM" "$mode" "$f")
		s0=$(sys_per_call "" "$mode" "$f")
		s1=$(sys_per_call "$SHIM" "$mode" "$f")
		extra=$(awk -v a="$c1" -v b="$c0" 'BEGIN {printf "%.1f", a - b}')
		sextra=$(awk -v a="$s1" -v b="$s0" 'BEGIN {printf "%.2f", a - b}')
		case $mode in
		ropen) what="read-only open()" ;;
		wopen) what="write-open() of a plain file" ;;
		close) what="close()" ;;
		write) what="write() on a known fd" ;;
		esac
		if [ "$lim" = -1 ]; then
			target="(informative)"; v="—"
		else
			target="≤ +$lim instr, +$calls syscalls"
			v=$(awk -v e="$extra" -v s="$sextra" -v l="$lim" -v c="$calls" \
				'BEGIN {print (e <= l && s <= c + 0.005) ? "pass" : "MISS"}')
		fi
		row "6. $what, per call" "+$extra instr, +$sextra syscalls" \
			"$c0 instr, $s0 syscalls (loop included)" "$(ratio "$c1" "$c0")" "$target" "$v"
	done

	for m in rwall wwall write; do
		eval "prep_n$m() { :; }; run_n$m() { env -u LD_PRELOAD \"\$P/loops\" $m $LOOP_N \"\$W/plain\"; }"
		eval "prep_s$m() { :; }; run_s$m() { LD_PRELOAD=\$SHIM \"\$P/loops\" $m $LOOP_N \"\$W/plain\"; }"
		setlabel "n$m" "no preload"
	done
	alternate "$ROUNDS" srwall nrwall swwall nwwall swrite nwrite
	compare "6. read-only open()+close(), $LOOP_N in a loop, wall" "(informative)" - srwall nrwall
	compare "6. write-open()+close() of a plain file, $LOOP_N in a loop, wall" "≤ 1.5×" 1.5 swwall nwwall
	compare "6. write() of 1 byte to a plain file, $LOOP_N in a loop, wall" "(informative)" - swrite nwrite
else
	skip_row "6. hot paths" "see issue" "no libcowlink.so"
fi

# --- 7. reading a cowlinked tree -------------------------------------------------
if ! want 7; then
	:
elif [ -n "$COWLN" ] && [ -n "$SHIM" ]; then
	say "case 7: reading a cowlinked tree"
	"$COWLN" -r "$W/src" "$W/cow"
	"$COWLN" "$W/big" "$W/bigc"
	[ "$(stat -c %h "$(find "$W/cow" -type f | head -1)")" -ge 2 ] || { say "cowln -r did not link"; exit 1; }
	CD7=
	if [ -n "$CD_LIB" ] && (cd "$W" && cowdancer-ilistcreate "$W/cow.ilist" "find cow bigc -xdev \\( -type l -o -type f \\) -a -links +1 -print0 | xargs -0 stat --format '%d %i '") >/dev/null 2>&1; then
		CD7=1
	fi
	# PRE: how to start the program under test (env with or without a preload).
	grep_t() { "${PRE[@]}" grep -r zqxjkvwq "$W/cow" || [ $? = 1 ]; }
	tar_t() { "${PRE[@]}" tar -C "$W" -cf - cow | cat >/dev/null; }
	dd_t() { "${PRE[@]}" dd if="$W/bigc" of=/dev/null bs=512 count=$((DD_MB * 2048)) status=none; }
	statwalk_t() { "${PRE[@]}" "$P/statwalk" "$W/cow"; }
	lslr_t() { "${PRE[@]}" ls -lR "$W/cow"; }
	for t in statwalk lslr grep tar dd; do
		eval "prep_n$t() { :; }; run_n$t() { PRE=(env -u LD_PRELOAD); ${t}_t; }"
		eval "prep_s$t() { :; }; run_s$t() { PRE=(env LD_PRELOAD=\$SHIM); ${t}_t; }"
		eval "prep_c$t() { :; }; run_c$t() { PRE=(env LD_PRELOAD=\$CD_LIB COWDANCER_ILISTFILE=\$W/cow.ilist); ${t}_t; }"
		setlabel "n$t" "no preload"; setlabel "c$t" "cowdancer"
		eval "prep_f$t() { :; }; run_f$t() { PRE=(env LD_PRELOAD=\$FL_LIB FLCOW_PATH=\$W/cow:\$W/bigc); ${t}_t; }"
		setlabel "f$t" "fl-cow"
		# The shim without the shared mark cache: every process reads
		# the mark of each multi-link inode it presents.
		eval "prep_o$t() { :; }; run_o$t() { PRE=(env LD_PRELOAD=\$SHIM COWLINK_CACHE=off); ${t}_t; }"
		setlabel "o$t" "shim, COWLINK_CACHE=off"
	done
	for t in statwalk:1.15:"stat (lstat of every entry, C walker)" lslr:1.15:"ls -lR" \
		grep:1.03:"grep -r" tar:-:"tar c | cat"; do
		IFS=: read -r n lim what <<<"$t"
		names=("s$n" "n$n")
		[ -n "$CD7" ] && [ "$n" != statwalk ] && [ "$n" != lslr ] && names+=("c$n")
		[ -n "$FL_LIB" ] && [ "$n" != statwalk ] && [ "$n" != lslr ] && names+=("f$n")
		[ "$n" != tar ] && names+=("o$n")
		alternate "$TREE_ROUNDS" "${names[@]}"
		case $lim in
		1.15) target="≤ 1.15×" ;;
		1.03) target="≤ 1.03×" ;;
		-) target="(informative)" ;;
		esac
		compare "7. $what, $TREE_N-file cowlinked tree, shim vs none" "$target" "$lim" "${names[@]}"
		[ "$n" = tar ] ||
			compare "7. $what, the same without the shared mark cache (COWLINK_CACHE=off) vs none" \
				"(informative)" - "o$n" "n$n"
	done
	names=(sdd ndd)
	[ -n "$CD7" ] && names+=(cdd)
	[ -n "$FL_LIB" ] && names+=(fdd)
	alternate "$ROUNDS" "${names[@]}"
	compare "7. dd bs=512, first $DD_MB MiB of a cowlink to /dev/null, shim vs none" "≤ 1.03×" 1.03 "${names[@]}"
	rm -rf "$W/cow" "$W/bigc"
else
	skip_row "7. reading a cowlinked tree" "≤ 1.15× / 3%" "no cowln or no libcowlink.so"
fi

# --- 8. cowlink run: the seccomp supervisor -------------------------------------
# The filter sends write-opens, truncation, metadata calls and removals up to
# the supervisor; everything else stays in the kernel. 8a: a make -j2 build
# of BUILD_N tiny C files under cowlink run against the shim alone (cowlink
# run --preload-only) and no preload. 8b: one trapped write-open of a plain
# file (a raw loop without the shim, inside and outside the filter), per
# call. 8c: cowlink run -- /bin/true against --preload-only, per run.
if want 8 && [ -n "$TOOL" ] && [ -n "$SHIM" ] && command -v make >/dev/null; then
	say "case 8: cowlink run (seccomp supervisor)"
	BUILD_N=$([ $quick = 1 ] && echo 60 || echo 200)
	mkdir -p "$W/build8"
	for ((i = 0; i < BUILD_N; i++)); do
		printf '#include <stdio.h>\nint f%d(int x) { return x * %d + printf("%%d", x); }\n' "$i" "$i" >"$W/build8/f$i.c"
	done
	printf 'int main(void) { return 0; }\n' >"$W/build8/main.c"
	{
		printf 'SRCS := $(wildcard *.c)\nOBJS := $(SRCS:.c=.o)\n'
		printf 'prog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n%%.o: %%.c\n\t$(CC) -O1 -c -o $@ $<\n'
		printf 'clean:\n\trm -f $(OBJS) prog\n'
	} >"$W/build8/Makefile"
	mk() { make -s -C "$W/build8" clean >/dev/null; }
	prep_rmake() { mk; }
	run_rmake() { "$TOOL" run -- make -s -j2 -C "$W/build8"; }
	prep_pmake() { mk; }
	run_pmake() { "$TOOL" run --preload-only -- make -s -j2 -C "$W/build8"; }
	prep_nmake() { mk; }
	run_nmake() { env -u LD_PRELOAD make -s -j2 -C "$W/build8"; }
	setlabel rmake "cowlink run"
	setlabel pmake "shim alone (--preload-only)"
	setlabel nmake "no preload"
	alternate "$ROUNDS" rmake pmake nmake
	compare "8a. make -j2 of $BUILD_N C files, cowlink run vs the shim alone" "≤ 1.03×" 1.03 rmake pmake nmake

	# 8b: the loop program prints its loop's wall time in ns. Its floor:
	# the same loop under a filter whose supervisor answers every call at
	# once (bench/notif.c): the kernel's round trip, two task switches.
	echo data >"$W/plain8"
	: >"$W/t8.in"; : >"$W/t8.out"; : >"$W/t8.floor"
	for ((r = 0; r < FAST_ROUNDS; r++)); do
		"$TOOL" run -- env -u LD_PRELOAD "$P/loops" wwall "$LOOP_N" "$W/plain8" >>"$W/t8.in"
		env -u LD_PRELOAD "$P/loops" wwall "$LOOP_N" "$W/plain8" >>"$W/t8.out"
		env -u LD_PRELOAD "$P/notif" "$P/loops" wwall "$LOOP_N" "$W/plain8" >>"$W/t8.floor"
	done
	tin=$(median "$W/t8.in"); tout=$(median "$W/t8.out"); tfloor=$(median "$W/t8.floor")
	per=$(awk -v a="$tin" -v b="$tout" -v n="$LOOP_N" 'BEGIN {printf "%.1f", (a - b) / n / 1000}')
	floor=$(awk -v a="$tfloor" -v b="$tout" -v n="$LOOP_N" 'BEGIN {printf "%.1f", (a - b) / n / 1000}')
	row "8b. write-open()+close() of a plain file, trapped, per call" "+$per µs" \
		"no filter: $(awk -v b="$tout" -v n="$LOOP_N" 'BEGIN {printf "%.2f µs", b / n / 1000}') a call; a supervisor that answers at once (the floor): +$floor µs" \
		"$(ratio "$tin" "$tout")" "≤ +15 µs" "$(awk -v p="$per" 'BEGIN {print (p <= 15) ? "ok" : "MISS"}')"

	prep_rtrue() { :; }
	run_rtrue() { "$TOOL" run -- /bin/true; }
	prep_ptrue() { :; }
	run_ptrue() { "$TOOL" run --preload-only -- /bin/true; }
	setlabel rtrue "cowlink run"
	setlabel ptrue "cowlink run --preload-only"
	alternate "$FAST_ROUNDS" rtrue ptrue
	compare "8c. cowlink run -- /bin/true vs --preload-only, wall" "≤ 1.2×" 1.2 rtrue ptrue
	prep_rspawn() { :; }
	run_rspawn() { "$TOOL" run -- "$P/spawn" "$SPAWNS" /bin/true; }
	prep_pspawn() { :; }
	run_pspawn() { "$TOOL" run --preload-only -- "$P/spawn" "$SPAWNS" /bin/true; }
	setlabel rspawn "cowlink run"
	setlabel pspawn "--preload-only"
	alternate "$ROUNDS" rspawn pspawn
	compare "8d. $SPAWNS × /bin/true inside one cowlink run vs --preload-only, wall" "(informative)" - rspawn pspawn
	rm -rf "$W/build8"
else
	skip_row "8. cowlink run" "≤ 1.03× the shim" "no cowlink tool, no libcowlink.so or no make"
fi

# --- report ----------------------------------------------------------------------
LOAD_END=$(load)
{
	echo "## cowlink benchmarks"
	echo
	echo "- command: \`bash bench/run.sh${args:+ $args}\`"
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "- machine: $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, Linux $(uname -r)"
	echo "- scratch filesystem: $FS_TYPE (\`${TMPDIR:-/tmp}\`); COWLINK_FSYNC=${COWLINK_FSYNC:-auto (default)}"
	echo "- load average at start: $LOAD_START; at end: $LOAD_END"
	echo "- sizes: big file ${BIG_MB} MiB; tree $TREE_N files, $TREE_MB MiB from /usr; hard-link tree $HL_GROUPS groups of 5 names of ${HL_KB} KiB, $HL_STORE store files, $HL_SINGLES singles; rounds $ROUNDS (trees $TREE_ROUNDS, cp -a 1, fast cases $FAST_ROUNDS, case 1 $LINK_ROUNDS), alternating, warm cache, medians"
	echo
	echo "| case | cowlink | baseline(s) | ratio | target | result |"
	echo "|---|---|---|---|---|---|"
	awk -F'\t' '{gsub(/\|/, "\\|"); printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6}' "$ROWS"
	echo
	echo "Every timed run, in run order (wall µs / CPU µs), for checking the medians:"
	echo
	for f in "$W"/t.*; do
		[ -s "$f" ] || continue
		n=${f##*/t.}
		if [ -f "$W/c.$n" ]; then
			printf -- '- %s (%s): %s\n' "$n" "$(label "$n")" "$(paste -d/ "$f" "$W/c.$n" | tr '\n' ' ')"
		else
			printf -- '- %s (the open call alone, µs): %s\n' "$n" "$(tr '\n' ' ' <"$f")"
		fi
	done
} | tee "$B/results.md"
