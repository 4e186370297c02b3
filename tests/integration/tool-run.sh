# SPDX-License-Identifier: MIT
# cowlink run: the shim is preloaded (prepended to LD_PRELOAD), COWLINK_TREES
# (every entry a directory, made absolute, else refused), COWLINK_EXCLUDE and
# COWLINK_DEBUG are set from the options, a program the shim cannot
# cover gets a warning, and the command's exit status comes back. Signals:
# the command gets SIGINT and SIGQUIT as the caller had them (it ignored
# them, so ^C did nothing), and a SIGTERM or SIGHUP sent to cowlink run
# reaches the command.
. "$(dirname "$0")/lib.sh"
need setfattr
[ -x "${COWLINK_TOOL:-}" ] || fail "COWLINK_TOOL is not set"
[ -n "${LIBCOWLINK:-}" ] || skip "the shim (target cowlink) is not built"
C=$COWLINK_TOOL
mkset() { ln "$1" "$2"; setfattr -n user.cowlink -v 'cowlink v1 w=0222' "$1"; chmod a-w "$1"; }

# (captured first: grep -q in a pipe would SIGPIPE cat, and pipefail is on)
maps=$("$C" run -- cat /proc/self/maps)
grep -q libcowlink.so <<<"$maps" || fail "the shim is not loaded"
out=$(LD_PRELOAD=/nonexistent-lib.so "$C" run -- sh -c 'echo "$LD_PRELOAD"' 2>/dev/null)
case "$out" in */libcowlink.so:/nonexistent-lib.so) ;; *) fail "LD_PRELOAD not prepended: $out" ;; esac
mkdir x y
[ "$("$C" run --trees "$T/x:$T/y" -- sh -c 'echo "$COWLINK_TREES"')" = "$T/x:$T/y" ] || fail "--trees"
# relative entries made absolute: the shim would resolve them in each
# program's own current directory
[ "$("$C" run --trees "x::./y/" -- sh -c 'echo "$COWLINK_TREES"')" = "$(realpath x):$(realpath y)" ] ||
	fail "--trees with relative entries"
# a missing or mistyped tree is refused, and nothing is run
for bad in "$T/x:$T/nonexistent" "$T/a-file"; do
	: >"$T/a-file"
	rc=0; "$C" run --trees "$bad" -- sh -c 'echo ran' >out 2>err || rc=$?
	[ "$rc" = 2 ] || fail "--trees $bad: exit $rc, want 2"
	[ ! -s out ] || fail "--trees $bad: the command ran"
	grep -q "^cowlink: run: --trees: '.*' refused: \(No such file or directory\|Not a directory\)" err ||
		fail "--trees $bad said: $(cat err)"
done
# ... and so is an inherited COWLINK_TREES with a bad entry
rc=0; COWLINK_TREES="$T/nope" "$C" run -- true 2>err || rc=$?
[ "$rc" = 2 ] && grep -q "COWLINK_TREES: '$T/nope' refused" err || fail "bad inherited COWLINK_TREES: exit $rc: $(cat err)"
[ "$("$C" run --exclude ccache:make -- sh -c 'echo "$COWLINK_EXCLUDE"')" = ccache:make ] || fail "--exclude"
[ "$("$C" run --debug -- sh -c 'echo "$COWLINK_DEBUG"')" = 1 ] || fail "--debug"

# An exclusion that protects nothing: one warning as the session starts,
# and the command runs. The excluded programs' hard links carry no mark, so
# they are cowlinks only under the trees: without any, or with trees that
# hold neither the current directory nor ccache's cache (hard_link on).
mkdir -p home cc bld/sub
quiet_env=(env -u COWLINK_RUN -u COWLINK_SHELL -u COWLINK_EXCLUDE -u COWLINK_TREES
	-u CCACHE_DIR -u CCACHE_CONFIGPATH -u CCACHE_HARDLINK -u CCACHE_NOHARDLINK
	-u XDG_CONFIG_HOME -u XDG_CACHE_HOME HOME="$T/home")
warned() { # warned WORDS: one line of err says them, and only one line is there
	grep -qF -- "$1" err && [ "$(wc -l <err)" = 1 ] || fail "wanted one warning [$1], got: $(cat err)"
}
out=$("${quiet_env[@]}" "$C" run --exclude ccache:make -- echo ran 2>err) || fail "--exclude without trees: exit $?"
[ "$out" = ran ] || fail "--exclude without trees: the command said [$out]"
warned "cowlink: warning: the hard links that excluded programs (ccache:make) make carry no mark: without --trees they are plain hard links"
"${quiet_env[@]}" COWLINK_EXCLUDE=ccache SHELL=/bin/sh "$C" shell -- -c true 2>err || fail "cowlink shell with COWLINK_EXCLUDE"
warned "excluded programs (ccache) make carry no mark"
# ccache's cache, from its configuration file
printf '# a comment\n hard_link = true\ncache_dir=%s\n' "$T/cc" >ccache.conf
"${quiet_env[@]}" CCACHE_CONFIGPATH="$T/ccache.conf" "$C" run --exclude ccache -- true 2>err
warned "(give --trees ccache's cache $T/cc and the build directory)"
(cd bld && "${quiet_env[@]}" CCACHE_CONFIGPATH="$T/ccache.conf" "$C" run --trees "$T/bld" --exclude ccache -- true 2>"$T/err")
warned "cowlink: warning: ccache's cache $T/cc is not under --trees: its hard links there are not cowlinks"
# ... from CCACHE_DIR, with the tree inherited
(cd bld && "${quiet_env[@]}" CCACHE_HARDLINK=1 CCACHE_DIR="$T/cc" COWLINK_TREES="$T/bld" "$C" run --exclude ccache -- true 2>"$T/err")
warned "ccache's cache $T/cc is not under COWLINK_TREES"
# the build tree (the current directory) outside the trees, and holding none
mkdir elsewhere
(cd elsewhere && "${quiet_env[@]}" CCACHE_HARDLINK=1 CCACHE_DIR="$T/cc" "$C" run --trees "$T/cc:$T/bld" --exclude ccache -- true 2>"$T/err")
warned "cowlink: warning: the current directory is not under --trees: the hard links that excluded programs (ccache) make here are not cowlinks"
# both under the trees, or the current directory above them (gcc -o
# bld/f.o from here); hard_link off; no exclusion; a session that started
# with the exclusion: nothing said
"${quiet_env[@]}" CCACHE_HARDLINK=1 CCACHE_DIR="$T/cc" "$C" run --trees "$T/cc:$T/bld" --exclude ccache -- true 2>err
[ ! -s err ] || fail "the current directory above the trees: $(cat err)"
(cd bld/sub && "${quiet_env[@]}" CCACHE_HARDLINK=1 CCACHE_DIR="$T/cc" "$C" run --trees "$T/cc:$T/bld" --exclude ccache -- true 2>"$T/err")
[ ! -s err ] || fail "trees holding the cache and the build tree: $(cat err)"
(cd bld && "${quiet_env[@]}" CCACHE_DIR="$T/cc" "$C" run --trees "$T/bld" --exclude ccache -- true 2>"$T/err")
[ ! -s err ] || fail "ccache without hard_link: $(cat err)"
"${quiet_env[@]}" "$C" run -- true 2>err
[ ! -s err ] || fail "no exclusion: $(cat err)"
"${quiet_env[@]}" COWLINK_RUN=1 COWLINK_EXCLUDE=ccache "$C" run -- true 2>err
[ ! -s err ] || fail "an inherited exclusion inside a session: $(cat err)"

# A write through the shim breaks the link.
echo one >a && chmod 0644 a && mkset a b
"$C" run -- sh -c 'echo two >> b'
[ "$(cat a)" = one ] || fail "a changed through b"
[ "$(cat b)" = "one
two" ] || fail "b: $(cat b)"

# --trees: unmarked hard links count as cowlinks there.
mkdir tree && echo x >tree/h1 && ln tree/h1 tree/h2
"$C" run --trees "$T/tree" -- sh -c 'echo y >> tree/h2'
[ "$(cat tree/h1)" = x ] || fail "--trees: h1 changed through h2"

# Under the supervisor by default (a seccomp filter in the command); not
# with --preload-only.
st=$("$C" run -- cat /proc/self/status)
grep -q '^Seccomp:[[:space:]]*2' <<<"$st" || fail "no seccomp filter under cowlink run"
st=$("$C" run --preload-only -- cat /proc/self/status)
grep -q '^Seccomp:[[:space:]]*0' <<<"$st" || fail "a seccomp filter under --preload-only"

# Not covered: a warning on stderr, and it still runs. A static program is
# covered by the supervisor, not by the shim alone.
if [ -e /sbin/ldconfig ] && grep -q "static executable" < <("$C" audit /sbin/ldconfig); then
	"$C" run --preload-only -- /sbin/ldconfig -p >/dev/null 2>err || true
	grep -q "^cowlink: warning: /sbin/ldconfig will not be covered: static executable" err \
		|| fail "no warning for a static program: $(cat err)"
	"$C" run -- /sbin/ldconfig -p >/dev/null 2>err || true
	[ -s err ] && fail "a warning for a static program under the supervisor: $(cat err)"
fi
"$C" run -- sh -c true 2>err
[ -s err ] && fail "a warning for a covered program: $(cat err)"

# Exit status: the command's; 127 when it cannot be found.
rc=0; "$C" run -- sh -c 'exit 7' || rc=$?
[ "$rc" = 7 ] || fail "exit status $rc, want 7"
rc=0; "$C" run -- sh -c 'kill -TERM $$' || rc=$?
[ "$rc" = 143 ] || fail "killed by SIGTERM: exit status $rc, want 143"

# Signals: the dispositions a command starts with (SigIgn bit 1: SIGINT,
# bit 2: SIGQUIT) are the caller's, under the supervisor as without.
ign() { "$@" sh -c 'sed -n "s/^SigIgn:[[:space:]]*//p" /proc/self/status'; }
[ "$(ign "$C" run --)" = "$(ign env)" ] ||
	fail "the command's ignored signals under cowlink run: $(ign "$C" run --), without: $(ign env)"
[ "$(ign "$C" run --preload-only --)" = "$(ign env)" ] || fail "ignored signals under --preload-only"
inh=$( (trap '' INT; ign "$C" run --) )
[ $((0x$inh & 2)) = 2 ] || fail "an ignored SIGINT (a background job's) is not kept: $inh"
# A SIGTERM or SIGHUP sent to cowlink run is passed on to the command,
# whose status comes back.
for sig in TERM HUP; do
	rm -f cmd.pid
	"$C" run -- sh -c 'echo $$ >cmd.pid; exec sleep 60' &
	p=$!
	for i in $(seq 200); do [ -s cmd.pid ] && break; sleep .05; done
	kill -"$sig" "$p"
	rc=0; wait "$p" || rc=$?
	want=$((128 + $(kill -l "$sig")))
	[ "$rc" = "$want" ] || fail "SIG$sig to cowlink run: exit status $rc, want $want"
	! kill -0 "$(cat cmd.pid)" 2>/dev/null || { kill "$(cat cmd.pid)"; fail "SIG$sig to cowlink run: the command is still running"; }
done
rc=0; "$C" run -- no-such-command-xyz 2>err || rc=$?
[ "$rc" = 127 ] && grep -q "No such file" err || fail "missing command: exit $rc"
rc=0; "$C" run 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "run without a command: exit $rc"
exit 0
