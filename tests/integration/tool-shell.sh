# SPDX-License-Identifier: MIT
# cowlink shell: the user's shell, itself under the shim (its own
# redirections break links, root's included), with COWLINK_SHELL set to its
# pid; cowlink status with no PATH says whether the session is covered:
# the shell and this process both have the shim, only programs started from
# here have it (an exported LD_PRELOAD), or the loader dropped a bare name.
. "$(dirname "$0")/lib.sh"
need_shim
[ -x "${COWLINK_TOOL:-}" ] || fail "COWLINK_TOOL is not set"
C=$COWLINK_TOOL

# The shell's own >> (a builtin redirection, as root past protection).
echo one >a && chmod 0644 a && cow_link_by_hand a b
SHELL=/bin/bash "$C" shell -- -c 'echo two >> b; true' || fail "cowlink shell -c failed"
[ "$(cat a)" = one ] || fail "the shell's own redirection wrote into the shared inode: a is [$(cat a)]"
[ "$(cat b)" = "one
two" ] || fail "b: $(cat b)"
# The marker: the shell's pid; $SHELL chosen; arguments passed on.
out=$(SHELL=/bin/sh "$C" shell -- -c 'echo "$COWLINK_SHELL $$ $0"')
read -r marker pid name <<<"$out"
[ "$marker" = "$pid" ] && [ "$name" = /bin/sh ] || fail "COWLINK_SHELL/\$\$/\$0: $out"
# A bad tree is refused and nothing runs.
rc=0; SHELL=/bin/sh "$C" shell --trees "$T/nonexistent" -- -c 'echo ran' >out 2>err || rc=$?
[ "$rc" = 2 ] && [ ! -s out ] && grep -q "refused" err || fail "cowlink shell --trees bad: exit $rc: $(cat out err)"
grep -q "^cowlink: shell: --trees: " err || fail "cowlink shell --trees bad: not labelled shell: $(cat err)"
# A $SHELL that cannot be run is named as the cause, under shell:.
rc=0; SHELL=$T/no-such-shell "$C" shell -- -c 'echo ran' >out 2>err || rc=$?
[ "$rc" = 127 ] && [ ! -s out ] || fail "cowlink shell with a bad \$SHELL: exit $rc: $(cat out err)"
grep -qF "cowlink: shell: \$SHELL ($T/no-such-shell): No such file or directory" err ||
	fail "cowlink shell with a bad \$SHELL: $(cat err)"
# The supervisor's options are run's alone: refused, and nothing runs.
for opt in --preload-only --allow-io-uring; do
	rc=0; SHELL=/bin/sh "$C" shell "$opt" -- -c 'echo ran' >out 2>err || rc=$?
	[ "$rc" = 2 ] && [ ! -s out ] && grep -qF "shell: $opt is an option of cowlink run" err ||
		fail "cowlink shell $opt: exit $rc: $(cat out err)"
done

# status inside: covered, the shell named.
rc=0; out=$(SHELL=/bin/bash "$C" shell -- -c "'$C' status; true") || rc=$?
[ "$rc" = 0 ] || fail "status in cowlink shell: exit $rc: $out"
grep -q "^parent [0-9]* (bash): libcowlink.so loaded, started by cowlink shell" <<<"$out" ||
	fail "status did not name the shell: $out"
grep -q "^covered: " <<<"$out" || fail "status in cowlink shell: $out"
# ... and when the shell exec'ed it (bash -c with one command)
rc=0; out=$(SHELL=/bin/bash "$C" shell -- -c "'$C' status") || rc=$?
[ "$rc" = 0 ] && grep -q "^covered: " <<<"$out" || fail "status exec'ed by the shell: exit $rc: $out"

# An exported LD_PRELOAD: this process has the shim, the shell above it not.
rc=0; out=$(LD_PRELOAD="$PRELOAD" "$C" status) || rc=$?
[ "$rc" = 1 ] || fail "status, shim only below the shell: exit $rc"
grep -q "^this process: libcowlink.so loaded" <<<"$out" && grep -q "^parent [0-9]* (.*): not under the shim" <<<"$out" &&
	grep -q "^not covered: programs started from here load the shim, but the shell itself does not" <<<"$out" ||
	fail "status, shim only below the shell: $out"
# A name the loader cannot find: dropped with one line, nothing covered.
rc=0; out=$(LD_PRELOAD=/nonexistent/libcowlink.so "$C" status 2>/dev/null) || rc=$?
[ "$rc" = 1 ] && grep -q "LD_PRELOAD names libcowlink.so, but the loader did not load it" <<<"$out" ||
	fail "status, shim not loaded: exit $rc: $out"
# No shim at all.
rc=0; out=$(env -u LD_PRELOAD "$C" status) || rc=$?
[ "$rc" = 1 ] && grep -q "^not covered: writes from here go straight into shared inodes" <<<"$out" ||
	fail "status without the shim: exit $rc: $out"
exit 0
