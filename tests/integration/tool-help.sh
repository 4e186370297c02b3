#!/bin/bash
# SPDX-License-Identifier: MIT
# cowlink --help lists every option the code accepts: each option in a
# subcommand's getopt table is in that command's line of 'cowlink --help'
# (its short form where it has one) and in 'cowlink COMMAND --help'; the
# top-level --version is listed too. cmd_enable.c is enable's and disable's. cowlink shell refuses the options of
# run that mean nothing to it, so they are not its to list.
. "$(dirname "$0")/lib.sh"
[ -x "${COWLINK_TOOL:-}" ] || fail "COWLINK_TOOL is not set"
C=$COWLINK_TOOL
top=$("$C" --help) || fail "cowlink --help failed"
grep -q -- "--version" <<<"$top" || fail "cowlink --help lacks --version: $top"
"$C" --version | grep -q '^cowlink [0-9]' || fail "cowlink --version"

# Print "LONG SHORT" (SHORT "-" when none) for each option of FILE but
# --help: the rows of its flag table (tools/cowlink/util.h, struct flag:
# { "name", 'x' or 0, ... }), or of its getopt_long table, whose short
# form counts only when the getopt_long letters have it.
options() {
	local file=$1 shorts
	if grep -q 'parse_flags(' "$file"; then
		grep -o '{ "[a-z-]*", \('"'"'[A-Za-z]'"'"'\|0\), ' "$file" |
			sed "s/{ \"\([a-z-]*\)\", '\(.\)', /\1 \2/; s/{ \"\([a-z-]*\)\", 0, /\1 -/" |
			grep -v '^help ' || true
		return 0
	fi
	shorts=$(grep -o 'getopt_long(argc, argv, "[^"]*"' "$file" | head -1 | sed 's/.*"\(.*\)"/\1/; s/[+:]//g')
	[ -n "$shorts" ] || fail "no getopt_long nor parse_flags in $file"
	grep -o '{ "[a-z-]*", [a-z_]*, NULL, '"'"'[A-Za-z]'"'"' }' "$file" |
		sed "s/{ \"\([a-z-]*\)\", [a-z_]*, NULL, '\(.\)' }/\1 \2/" |
		while read -r long short; do
			[ "$long" = help ] && continue
			case $shorts in *"$short"*) echo "$long $short" ;; *) echo "$long -" ;; esac
		done
}

n=0
for src in "$COWLINK_SRC"/tools/cowlink/cmd_*.c; do
	sub=${src##*/cmd_}; sub=${sub%.c}
	subs=$sub
	[ "$sub" = run ] && subs="run shell"
	[ "$sub" = enable ] && subs="enable disable"
	for s in $subs; do
		line=$(grep -- "^  cowlink $s " <<<"$top") || fail "cowlink --help has no line for $s"
		own=$("$C" "$s" --help) || fail "cowlink $s --help failed"
		while read -r long short; do
			[ -n "$long" ] || continue
			if [ "$s" = shell ] && { [ "$long" = preload-only ] || [ "$long" = allow-io-uring ]; }; then
				rc=0; "$C" shell "--$long" -- -c true 2>err || rc=$?
				[ "$rc" = 2 ] && grep -q "an option of cowlink run" err ||
					fail "cowlink shell --$long: exit $rc, $(cat err)"
				continue
			fi
			n=$((n + 1))
			if [ "$short" != - ]; then
				grep -q -- "\[-$short\]" <<<"$line" || fail "cowlink --help: $s lacks -$short: $line"
			else
				# [--long], or --long bare where it is required
				# (enable --system).
				grep -q -- "\(\[\| \)--${long}\($\|[] =]\)" <<<"$line" ||
					fail "cowlink --help: $s lacks --$long: $line"
			fi
			grep -q -- "--$long\b" <<<"$own" || fail "cowlink $s --help lacks --$long"
		done < <(options "$src")
	done
done
[ "$n" -ge 15 ] || fail "only $n options found in the sources: the parse above is broken"
exit 0
