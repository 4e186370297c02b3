#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Transparency, measured by the POSIX filesystem suite (docs/DESIGN.md §4: on a
# file that is not a cowlink, pjdfstest under the shim = pjdfstest without;
# §4b: and under cowlink run).
# pjdfstest is built from ../shared/third_party/pjdfstest next to the source
# tree (or $PJDFSTEST_DIR) into the scratch directory and the whole suite is
# run on the scratch directory's filesystem without the shim and with it:
# in the plain build with the shim preloaded into every process of the run
# (the shells, dd, openssl... and the pjdfstest binary, through which every
# system call the suite checks goes), in the sanitizer build into the
# pjdfstest binary only (a wrapper script in its place; see below). The
# plain build runs it, in place of the shim's run, under `cowlink run` (the
# seccomp supervisor, and the shim that cowlink run loads into every
# process) for every other commit's choice (below).
# Each test file's TAP results (ok / not ok / TODO per test number, and
# the plan) must be the same in every run as without the shim; every
# difference is printed with both lines (and a file's timeout with it).
#
# The suite forks some 40,000 processes a run: 420 CPU-seconds on a
# 2-core machine where a fork and exec costs 3.7 ms, as much as all the
# other tests of a build together. So the test command runs one part of it
# (PJDFSTEST_PARTS, default 5, of about equal cost) in each build: part K of the
# sorted list, K from the source's commit (PJDFSTEST_PART=K picks one,
# PJDFSTEST_PART=all runs the whole suite), so that a commit always runs
# the same part and successive commits run all of it. Costs, measured:
# rename/09.t 79 s, rename/10.t 72 s, chown/00.t 39 s, each */03.t (names
# near NAME_MAX and PATH_MAX) 8 s, the other 224 files 140 s in all; the
# parts are filled heaviest file first, each into the lightest part.
# The run without the shim depends only on the kernel, the filesystem and
# the suite, not on our build: the test command (tests/run.sh) gives both
# builds one PJDFSTEST_PLAIN_CACHE directory, and a test file whose
# results for that key (suite, kernel release, filesystem type and mount
# options) are there is not run without the shim again. Each run goes
# PJDFSTEST_JOBS (default 4) test files at a time, each file from an empty
# directory of its own, the runs at once (below). It holds the
# "heavy" lock (tests/integration.cmake), so the package build and the
# races do not run beside it either. Users: the suite runs calls as
# uids/gids 65533 and 65534, which other tests use only as owners of files
# in their own directories; its names are random in its own directories.
# The mark cache is one of its own ($T/marks; processes of the other uids
# then run without one), so that no /dev/shm/cowlink-<uid>.marks of
# another test appears. Measured on a quiet 2-core machine, in four parts: one part in
# the plain build, its plain and every runs at once, 131 s (part 0) to 199 s
# (part 2, whose chown/00.t sleeps 147 s), where one after the other they
# took 184 to 326 s in the test command; about 60 s in the sanitizer build;
# the whole suite alone, 199 s a run. The run under cowlink run costs what
# the shim's run costs, 95 to 135 CPU-s a part (the supervisor itself 1
# or 2 of them: the suite's calls are on files that are not cowlinks),
# measured on a machine loaded by others (load 4 to 18), where a part took
# 300 to 610 s; on a quiet one, estimated from that CPU, some 50 to 70 s
# more a part (three runs' CPU on two cores, where two ran in about their
# longest file's time).
# The timeout leaves room for the whole suite, three runs, on a busy
# machine.
# ctest: RESOURCE_LOCK heavy LABELS heavy COST 10000 TIMEOUT 3600
. "$(dirname "$0")/lib.sh"
need_shim
need_root
src=${PJDFSTEST_DIR:-${COWLINK_SRC:-}/../shared/third_party/pjdfstest}
[ -f "$src/pjdfstest.c" ] && [ -d "$src/tests" ] ||
	skip "no pjdfstest source at $src (set PJDFSTEST_DIR)"
# With the source there, a missing tool is a failure, not a skip.
for c in autoreconf make cc openssl dd awk timeout; do
	command -v "$c" >/dev/null || fail "$c is not installed (bash tools/deps.sh test installs it)"
done
jobs=${PJDFSTEST_JOBS:-4}
# The scope compared with the run without the shim. In the sanitizer build
# the ASan runtime would start with every shell, dd and awk of the suite
# (some 40,000 processes: a quarter of an hour here) to run the shim code
# the binary scope already runs under it: that build checks the binary
# scope. The plain build checks every process, which includes the binary.
# There the binary scope costs half as much again, and the shim code under
# ASan is the point, not the equality the plain build checks: it runs one
# file in PJDFSTEST_SAMPLE (default 2) of the part, leaving out its
# permutation tables (rename/09.t, rename/10.t, chown/00.t: thousands of
# the same calls with other owners and modes).
# The plain build also runs the part under `cowlink run` (the seccomp
# supervisor, the shim in every process as cowlink run loads it, one
# supervisor for the whole run as a user's `cowlink run -- make -j` has).
# The sanitizer build does not: its cowlink loads the ASan runtime into
# every process it starts, the quarter of an hour above, and the
# supervisor's memory is checked under ASan by the run-seccomp-* tests.
# Three runs of a part at once on two cores took a part to 330 s in the
# test command, so the plain build compares one of the two with the plain
# run, chosen by the commit as the part is: successive commits run every
# part in both scopes. PJDFSTEST_SCOPES ("every", "run" or "every run")
# picks.
# Five, not four: with four, a commit whose part held chown/00.t or a
# rename/*.t took the whole test command past its 15 minutes (922-929 s).
parts=${PJDFSTEST_PARTS:-5}
part=${PJDFSTEST_PART:-}
commit=$(git -C "${COWLINK_SRC:-.}" rev-parse --short=7 HEAD 2>/dev/null || true)
if [ -z "$part" ]; then
	part=0
	[ -z "$commit" ] || part=$((16#$commit % parts))
fi
scopes=(every)
[ -z "$commit" ] || [ $((16#$commit / parts % 2)) = 0 ] || scopes=(run)
[ -z "${PJDFSTEST_SCOPES:-}" ] || read -ra scopes <<<"$PJDFSTEST_SCOPES"
sample=1
if [ -n "${COWLINK_ASAN_RUNTIME:-}" ]; then
	scopes=(binary)
	sample=${PJDFSTEST_SAMPLE:-2}
fi
for run in "${scopes[@]}"; do
	case $run in every|run|binary) ;; *) fail "PJDFSTEST_SCOPES: '$run' is not every or run" ;; esac
done
[[ " ${scopes[*]} " != *" run "* ]] || [ -x "${COWLINK_TOOL:-}" ] ||
	fail "COWLINK_TOOL is not set (the cowlink tool, for the run under cowlink run)"
[ "$part" = all ] || [[ "$part" =~ ^[0-9]+$ && "$part" -lt "$parts" ]] ||
	fail "PJDFSTEST_PART=$part: a number below PJDFSTEST_PARTS ($parts), or all"

# Build it once, quietly (the log on failure).
cp -r "$src" "$T/pjdfstest"
chmod -R u+w "$T/pjdfstest" # from a read-only copy
(cd "$T/pjdfstest" && autoreconf -ifs && ./configure && make pjdfstest) \
	>"$T/build.log" 2>&1 || fail "pjdfstest did not build: $(tail -20 "$T/build.log")"

# One tree per run: the suite finds its binary as ../pjdfstest from tests/.
export COWLINK_CACHE=$T/marks
for run in plain "${scopes[@]}"; do
	mkdir -p "$T/$run/tap" "$T/$run/err" "$T/$run/work"
	cp -r "$T/pjdfstest/tests" "$T/$run/tests"
	cp "$T/pjdfstest/pjdfstest" "$T/$run/pjdfstest"
done
if [ -d "$T/binary" ]; then
	mv "$T/binary/pjdfstest" "$T/binary/pjdfstest.real"
	printf '#!/bin/sh\nLD_PRELOAD="%s" exec "%s" "$@"\n' "$PRELOAD" \
		"$T/binary/pjdfstest.real" >"$T/binary/pjdfstest"
	chmod 0755 "$T/binary/pjdfstest"
fi
# The part: files by cost, heaviest first, each into the lightest part
# (costs above: 79, 72, 39 and 8 s; 0.6 s for any other file). A part runs
# heaviest first too: the runs start files PJDFSTEST_JOBS at a time, and
# chown/00.t (its 147 s of sleeps) started after a third of the part, in
# alphabetical order, made part 2 the slowest by a minute.
(cd "$T/plain/tests" && find . -name '*.t' | sed 's|^\./||' | sort) >"$T/all"
[ -s "$T/all" ] || fail "no test files in $src/tests"
awk '{ w = 0.6 } /^rename\/09\.t$/ { w = 79 } /^rename\/10\.t$/ { w = 72 }
     /^chown\/00\.t$/ { w = 39 } /\/03\.t$/ { w = 8 } { print w, NR, $0 }' "$T/all" |
	sort -k1,1gr -k2,2n | awk -v n="$parts" -v want="$part" '{
		p = 0
		for (i = 1; i < n; i++) if (load[i] < load[p]) p = i
		load[p] += $1
		if (want == "all" || p == want) print $1, $3
	}' | sort -k1,1gr -k2,2 >"$T/part"
# The sample of it (every file of the part in the plain build).
awk -v n="$sample" '(n == 1 || $1 < 30) && (n == 1 || k++ % n == 0) { print $2 }' \
	"$T/part" >"$T/files"
[ -s "$T/files" ] || fail "no test files in part $part of $parts"
what="part $part of $parts ($(wc -l <"$T/files") of $(wc -l <"$T/all") test files)"
[ "$part" != all ] || what="all $(wc -l <"$T/files") test files"
[ "$sample" = 1 ] || what="$what, one in $sample of the part but its permutation tables"
note "$what, compared with the run: ${scopes[*]}; PJDFSTEST_PART=all runs the whole suite, PJDFSTEST_SCOPES=\"every run\" both runs"
[ "$sample" = 1 ] || note "sanitizer build: the shim in the pjdfstest binary only (the plain build: in every process)"

# The plain run's results, kept per test file for the other build of this
# test command: valid for the same suite, kernel and filesystem (type and
# options).
key=$({
	uname -r
	findmnt -no FSTYPE,OPTIONS -T "$T"
	cd "$src" && find . -type f -print0 | sort -z | xargs -0 sha256sum
} | sha256sum | cut -c1-16)
cache=${PJDFSTEST_PLAIN_CACHE:+$PJDFSTEST_PLAIN_CACHE/$key}

# run_suite RUN LIST: the test files in LIST from $T/RUN, each in an empty
# directory of its own, its TAP output in RUN/tap/<dir>_<file>.
cat >"$T/one.sh" <<'EOF'
r=$1 t=$2 f=${2//\//_}
mkdir "$r/work/$f" && cd "$r/work/$f" || exit 0
timeout 600 /bin/sh "$r/tests/$t" >"$r/tap/$f" 2>"$r/err/$f"
[ $? != 124 ] || echo "$t" >>"$r/timedout"
exit 0
EOF
run_suite() {
	[ ! -s "$2" ] || xargs -P "$jobs" -n 1 bash "$T/one.sh" "$T/$1" <"$2"
}
# timed RUN CMD...: CMD, its wall and CPU seconds (its own and its
# children's) in $T/RUN/time.
timed() {
	local TIMEFORMAT="%R s (%U + %S CPU-s)" r=$1
	shift
	{ time "$@" 2>&3; } 3>&2 2>"$T/$r/time"
}

# Without the shim: the files the cache does not have.
: >"$T/plain-run"
while read -r t; do
	f=${t//\//_}
	if [ -n "$cache" ] && [ -f "$cache/$f" ]; then
		cp "$cache/$f" "$T/plain/tap/$f"
	else
		echo "$t" >>"$T/plain-run"
	fi
done <"$T/files"
# The runs at once, not one after another: a file's wall time is mostly
# its sleeps (chown/00.t: some 147 s of them, a whole part's worth) or one
# process's CPU (rename/09.t), and two such runs side by side take it once.
start=$SECONDS
timed plain run_suite plain "$T/plain-run" &
pids=($!)
for run in "${scopes[@]}"; do
	if [ "$run" = every ]; then
		LD_PRELOAD="$PRELOAD" timed every run_suite every "$T/files" &
	elif [ "$run" = run ]; then
		# cowlink run's own stderr (its warnings) apart: a run that
		# fell back to the shim alone is a failure, not a pass. And
		# proof that the filter is there: one more than outside.
		timed run "$COWLINK_TOOL" run -- bash -c '
			grep "^Seccomp_filters:" /proc/self/status >"$1/filters"
			xargs -P "$2" -n 1 bash "$3" "$1" <"$4"' \
			- "$T/run" "$jobs" "$T/one.sh" "$T/files" 2>"$T/run/cowlink.err" &
	else
		timed "$run" run_suite "$run" "$T/files" &
	fi
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || fail "a run of the suite failed"
done
if [ -d "$T/run" ]; then
	[ ! -s "$T/run/cowlink.err" ] || fail "cowlink run said: $(head -c 600 "$T/run/cowlink.err")"
	outside=$(awk '/^Seccomp_filters:/ { print $2 }' /proc/self/status)
	inside=$(awk '/^Seccomp_filters:/ { print $2 }' "$T/run/filters")
	[ -n "$inside" ] && [ "$inside" -gt "${outside:-0}" ] ||
		fail "the run under cowlink run had no filter of its own (${inside:-no} seccomp filters inside, ${outside:-none} outside)"
fi
note "$(wc -l <"$T/files") test files on $(df -PT "$T" | awk 'NR == 2 { print $2 }'): the plain run" \
	"($(wc -l <"$T/plain-run") files, the others from the cache) and the ${scopes[*]} at once, $((SECONDS - start)) s"
for run in plain "${scopes[@]}"; do
	note "  $run: $(cat "$T/$run/time")"
done

# The results of a TAP file, one line per test: "<n> ok|not ok[ # TODO]",
# and the plan as "plan 1..N".
results() {
	awk '/^1\.\.[0-9]+/ { print "plan " $1; next }
	     /^(not )?ok [0-9]+/ {
		n = ($1 == "not") ? $3 : $2
		print n, (($1 == "not") ? "not ok" : "ok") ((/# TODO/) ? " # TODO" : "")
	     }' "$1"
}
# line FILE N: the full TAP line of test N in FILE (the plan for "plan").
line() {
	awk -v n="$2" '(n == "plan" && /^1\.\./) ||
		(/^(not )?ok [0-9]+/ && ($1 == "not" ? $3 : $2) == n) { print; exit }' "$1"
}
# tally RUN: "N tests: P pass, F fail, D todo" over every file of RUN.
tally() {
	cat "$T/$1"/tap/* | awk '/^ok [0-9]+/ && !/# TODO/ { p++ }
		/^not ok [0-9]+/ && !/# TODO/ { f++ } /^(not )?ok [0-9]+.*# TODO/ { d++ }
		END { printf "%d tests: %d pass, %d fail, %d todo", p + f + d, p, f, d }'
}

# Without the shim every file must have run: a plan, and that many results.
while read -r t; do
	f=${t//\//_}
	plan=$(awk '/^1\.\.[0-9]+/ { sub(/^1\.\./, ""); print $1; exit }' "$T/plain/tap/$f")
	n=$(results "$T/plain/tap/$f" | grep -vc '^plan' || true)
	[ -n "$plan" ] && [ "$plan" = "$n" ] ||
		fail "$t did not run through without the shim (plan ${plan:-none}, $n results): $(head -c 300 "$T/plain/err/$f")"
done <"$T/files"
# Whole and checked: keep each for the other build (made aside, renamed).
if [ -n "$cache" ] && [ -s "$T/plain-run" ]; then
	mkdir -p "$cache" || fail "cannot make the cache $cache"
	while read -r t; do
		f=${t//\//_}
		cp "$T/plain/tap/$f" "$cache/$f.new.$$" && mv "$cache/$f.new.$$" "$cache/$f" ||
			fail "could not keep the plain results of $t in $cache"
	done <"$T/plain-run"
fi

diffs=0
for run in "${scopes[@]}"; do
	while read -r t; do
		f=${t//\//_}
		while read -r n; do
			diffs=$((diffs + 1))
			echo "DIFF ($run) $t $n:$(grep -qxF "$t" "$T/$run/timedout" 2>/dev/null &&
				echo " (the file timed out after 600 s)")" >&2
			echo "   plain:    $(line "$T/plain/tap/$f" "$n")" >&2
			printf '   %-9s %s\n' "$run:" "$(line "$T/$run/tap/$f" "$n")" >&2
		done < <(diff <(results "$T/plain/tap/$f") <(results "$T/$run/tap/$f") |
			 awk '/^[<>] / { print $2 }' | sort -u)
	done <"$T/files"
done
note "without the shim:               $(tally plain)"
[ ! -d "$T/binary" ] || note "shim in the pjdfstest binary:   $(tally binary)"
[ ! -d "$T/every" ] || note "shim in every process:          $(tally every)"
[ ! -d "$T/run" ] || note "under cowlink run:              $(tally run)"
[ "$diffs" = 0 ] || fail "$diffs test results differ from the plain run (listed above)"
note "ok: pjdfstest gives the same results as the plain run (${scopes[*]})"
