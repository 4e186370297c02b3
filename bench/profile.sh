#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Where the time of a bench case goes, next to its floor: perf profiles of
# the cases whose figure RESULTS.md compares with a floor it does not reach.
#
#   bash bench/profile.sh 1|2|3a
#
#   1   cowln big c against ln big c (a 64 MiB file, unmarked each time):
#       the CPU and wall time of N rounds (default 200) of each, and each
#       system call's share of cowln's CPU.
#   2   cowln -r of a 50,000-file tree (unmarked, then marked) against
#       cp -al: the CPU time of each, and each system call's share of it
#       (its kernel work, children included).
#   3a  the break of a 1 GiB cowlink (a write-open under the shim) against
#       cp of the file, and the time the break spends starting writeback
#       of its copy (sync_file_range) and in its rename (strace -T).
#
# Uses the Release build of bench/run.sh (build/bench: run that first) and
# linux-perf and strace (tools/deps.sh bench). Scratch data under $TMPDIR (or /tmp),
# removed at exit. Not timed runs: perf's own cost is in every figure, so
# compare the two sides of one profile, not a profile with run.sh's table.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
B=$PWD/build/bench
COWLN=$B/tools/cowln
SHIM=$B/lib/preload/libcowlink.so
[ -x "$COWLN" ] && [ -f "$SHIM" ] || { echo "$0: no build/bench: run bash bench/run.sh --quick first" >&2; exit 1; }
command -v perf >/dev/null || { echo "$0: no perf (bash tools/deps.sh bench)" >&2; exit 1; }
case ${1:-} in 1 | 2 | 3a) ;; *) echo "usage: $0 1|2|3a" >&2; exit 2 ;; esac
W=$(mktemp -d "${TMPDIR:-/tmp}/cowlink-profile.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
cd "$W"
echo "profile $1, load $(cut -d' ' -f1-3 /proc/loadavg)"

# cpu DATA [REGEX]: the CPU milliseconds perf sampled (of the commands
# whose name matches REGEX, whole).
cpu() {
	perf report -i "$1" --stdio --sort comm -g none 2>/dev/null |
		awk -v re="^(${2:-.*})\$" '/^# Event count/ { n = $NF }
			/^ +[0-9.]+%/ && $NF ~ re { s += $1 } END { printf "%.0f", n * s / 100 / 1e6 }'
}
# calls DATA [COMM]: each system call's share of the samples (of COMM's),
# kernel work and children included, largest first.
calls() {
	perf report -i "$1" ${2:+--comm "$2" --percentage relative} --children --sort sym --stdio -g none 2>/dev/null |
		awk '$NF ~ /^__(x64|do)_sys_/ && $1 + 0 >= 0.5 { sub(/^__(x64|do)_sys_/, "", $NF); printf "  %-16s %s\n", $NF, $1 }'
}
# ms T0 T1: milliseconds between two $EPOCHREALTIME readings.
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }
# shares DATA SYMBOL...: the share of the samples under each kernel SYMBOL.
shares() {
	local d=$1 s
	shift
	for s in "$@"; do
		perf report -i "$d" --children --sort sym --stdio -g none 2>/dev/null |
			awk -v s="$s" '$NF == s && !f { printf "  %-28s %s\n", s, $1; f = 1 }
				END { if (!f) printf "  %-28s 0%%\n", s }' # reads to the end: no SIGPIPE
	done
}

case $1 in
1)
	n=${N:-200}
	head -c 64M /dev/urandom >big
	sync
	# The CPU: loops of n rounds that differ only in the command (the
	# unmarking and rm around it are the same), each loop's user and
	# system time from bash's time, three of each alternately.
	TIMEFORMAT='%R %U %S'
	for k in 1 2 3; do
		for t in cowln ln; do
			c=("$COWLN" big c)
			[ $t = cowln ] || c=(ln big c)
			r=$({ time (for ((i = 0; i < n; i++)); do
				setfattr -x user.cowlink big 2>/dev/null || true
				chmod u+w big && "${c[@]}" && rm c
			done); } 2>&1)
			awk -v t=$t -v n="$n" '{ printf "%-5s %d rounds: wall %.2f s, CPU %.2f s\n", t, n, $1, $2 + $3 }' <<<"$r"
		done
	done
	# Where cowln's time goes.
	perf record -q -F 20000 -g -o p.data -- bash -c "for ((i = 0; i < $n; i++)); do
		setfattr -x user.cowlink big 2>/dev/null; chmod u+w big
		'$COWLN' big c; rm c; done" 2>/dev/null
	echo "cowln: $(cpu p.data cowln) ms of CPU sampled over $n runs; system calls:"
	calls p.data cowln
	;;
2)
	find /usr/include /usr/share/doc /usr/lib/python3* /usr/share/perl /usr/share/man \
		/usr/share/locale /usr/share/i18n /usr/share/zoneinfo /usr/share /usr/lib \
		-xdev -type f 2>/dev/null | awk '!seen[$0]++' | head -n "${TREE_FILES:-50000}" >list || true
	mkdir src
	tar -cf - --no-recursion -T list 2>/dev/null | tar -xf - -C src
	echo "tree: $(find src -type f | wc -l) files"
	sync
	perf record -q -F 4000 -g -o 2a.data -- "$COWLN" -r src d 2>/dev/null
	rm -rf d && sync
	perf record -q -F 4000 -g -o 2b.data -- "$COWLN" -r src d 2>/dev/null
	rm -rf d && sync
	perf record -q -F 4000 -g -o cpal.data -- cp -al src d 2>/dev/null
	for p in 2a 2b cpal; do
		echo "$p: $(cpu $p.data) ms of CPU; system calls:"
		calls $p.data
		echo "  kernel entry and exit (pvm_irq_enable: a PVM guest's; entry_SYSCALL_64):"
		shares $p.data pvm_irq_enable entry_SYSCALL_64
	done
	;;
3a)
	# perf -a with call graphs stretched cp itself to a second on a PVM
	# guest, so this case times the calls instead: the writeback the
	# break starts is the time spent in sync_file_range (strace -T, only
	# the calls named stopping), the rest of the break is its copy.
	command -v strace >/dev/null || { echo "$0: no strace" >&2; exit 1; }
	head -c 1G /dev/urandom >big
	sync
	# Round 0 also pays for the gigabyte just written: read 1 to 3.
	for r in 0 1 2 3; do
		rm -f b c && "$COWLN" big b && sync && cat big >/dev/null
		t0=$EPOCHREALTIME
		env LD_PRELOAD="$SHIM" sh -c ': >>b'
		t1=$EPOCHREALTIME
		sync && cat big >/dev/null
		t2=$EPOCHREALTIME
		cp big c
		t3=$EPOCHREALTIME
		rm -f b && "$COWLN" big b && sync && cat big >/dev/null
		strace -f --seccomp-bpf -T -e trace=sync_file_range,renameat2,fdatasync -o calls.txt \
			env LD_PRELOAD="$SHIM" sh -c ': >>b'
		sync
		echo "round $r: break $(ms "$t0" "$t1") ms, cp $(ms "$t2" "$t3") ms; in the break, traced apart:"
		awk -F'<' '/= / { t = $NF; sub(/>.*/, "", t); n = $1; sub(/^[0-9]+ +/, "", n); sub(/\(.*/, "", n)
			s[n] += t; c[n]++ } END { for (n in s) printf "  %-16s %3d calls %6.1f ms\n", n, c[n], s[n] * 1000 }' calls.txt
	done
	;;
esac
