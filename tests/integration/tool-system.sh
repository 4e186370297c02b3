# SPDX-License-Identifier: MIT
# cowlink enable --system / disable --system (the machine-wide mode: the shim
# in /etc/ld.so.preload) and /etc/cowlink.conf, without touching this
# machine's own /etc: a mount namespace kept alive by a sleeping process
# gets a private copy of /etc bound over /etc, and every command of the mode
# runs in it (nsenter), while the checks run out here, without the shim, and
# so see the raw inodes. Checked: a library that is not root's alone or does
# not load is refused and the file left as it was; enabling keeps the other
# entries and is idempotent; then, with nothing of cowlink in their
# environment, root writers, a detached process and a set-user-ID-root
# program run by a user leave the other name of a set byte for byte and
# stat for stat; the file's trees make an unmarked hard link pair safe (also
# for the set-ID program, which ignores COWLINK_*); a malformed, group-
# writable or foreign file is ignored in silence; status reports the mode;
# disable takes out only our entry.
. "$(dirname "$0")/lib.sh"
need_root
need unshare nsenter setpriv sha256sum
[ -x "${COWLINK_TOOL:-}" ] || fail "COWLINK_TOOL is not set"
[ -f "${LIBCOWLINK:-}" ] || skip "libcowlink.so is not built"
[ -x "${COWLINK_PROGS:-}/append_x" ] || fail "append_x was not built"
[ -z "${COWLINK_ASAN_RUNTIME:-}" ] ||
	skip "an instrumented shim in /etc/ld.so.preload would need the ASan runtime in every program"
C=$COWLINK_TOOL
USR=65528

unshare -m --propagation private sleep 600 &
NS=$!
trap 'kill "$NS" 2>/dev/null || true; cleanup' EXIT
# inside CMD...: CMD in the namespace, with an environment that has nothing
# of cowlink in it.
inside() { nsenter -t "$NS" -m -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
for _ in $(seq 100); do
	[ "$(readlink /proc/$NS/ns/mnt 2>/dev/null)" != "$(readlink /proc/self/ns/mnt)" ] && break
	sleep 0.05
done
[ "$(readlink /proc/$NS/ns/mnt 2>/dev/null)" != "$(readlink /proc/self/ns/mnt)" ] ||
	skip "no mount namespace (unshare -m failed)"
cp -a /etc "$T/etc" 2>/dev/null || cp -r /etc "$T/etc" 2>/dev/null || true
rm -f "$T/etc/ld.so.preload" "$T/etc/cowlink.conf"
inside mount --bind "$T/etc" /etc 2>/dev/null || skip "cannot bind-mount a private /etc"
[ "$(inside stat -c %i /etc)" = "$(stat -c %i "$T/etc")" ] || fail "the private /etc is not in place"
chmod 0755 "$T"

# A file already there (a comment and another library, a harmless one:
# libc itself) must be kept.
libc=$(ldd /bin/true | awk '/libc\.so/ {print $3}')
[ -f "$libc" ] || skip "libc not found by ldd"
printf '# kept: another preload\n%s\n' "$libc" >"$T/etc/ld.so.preload"
before=$(sha256sum <"$T/etc/ld.so.preload")
unchanged() { [ "$(sha256sum <"$T/etc/ld.so.preload")" = "$before" ] || fail "$1: /etc/ld.so.preload changed"; }

mkdir -m 0755 "$T/lib" "$T/lib/user" "$T/lib/gw" "$T/lib/junk" "$T/lib/open"
install -m 0644 "$LIBCOWLINK" "$T/lib/libcowlink.so"
LIB=$T/lib/libcowlink.so
install -m 0644 -o "$USR" "$LIBCOWLINK" "$T/lib/user/libcowlink.so"
install -m 0664 "$LIBCOWLINK" "$T/lib/gw/libcowlink.so"
echo 'not a library' >"$T/lib/junk/libcowlink.so"
install -m 0644 "$LIBCOWLINK" "$T/lib/open/libcowlink.so" && chmod 0777 "$T/lib/open"

# ---- refusals: nothing changes ---------------------------------------------
refuse() {
	local what=$1 want=$2
	shift 2
	if inside "$C" enable --system "$@" >out 2>err; then fail "$what: enabled"; fi
	grep -q -- "$want" err || fail "$what: no [$want] in: $(cat err)"
	unchanged "$what"
}
refuse "a library another user owns" "must be owned by root" --library "$T/lib/user/libcowlink.so"
refuse "a group-writable library" "must be owned by root" --library "$T/lib/gw/libcowlink.so"
refuse "a file that does not load" "refused" --library "$T/lib/junk/libcowlink.so"
refuse "a relative path" "absolute" --library lib/libcowlink.so
refuse "a missing library" "No such file" --library "$T/lib/none/libcowlink.so"
refuse "a library in a directory anyone may write" "not root's alone" --library "$T/lib/open/libcowlink.so"
# A file the loader already complains of (glibc honours only the first '#'
# comment and reads a later one's words as names): the test load says so.
cp "$T/etc/ld.so.preload" keep
printf '# one\n%s\n# two\n' "$libc" >"$T/etc/ld.so.preload"
before=$(sha256sum <"$T/etc/ld.so.preload")
refuse "a file the loader complains of" "cannot be preloaded" --library "$LIB"
cp keep "$T/etc/ld.so.preload"
before=$(sha256sum <"$T/etc/ld.so.preload")
if inside "$C" enable >out 2>err; then fail "enable without --system succeeded"; fi
grep -q "cowlink shell" err || fail "enable without --system: no pointer to cowlink shell: $(cat err)"
unchanged "enable without --system"

# ---- enable: our entry first (before libc, which would shadow the
# wrappers), the others kept, once ----------------------------------------------
inside "$C" enable --system --library "$LIB" >out 2>err || fail "enable: $(cat err)"
grep -q "machine-wide mode on" out || fail "enable said: $(cat out)"
[ ! -s err ] || fail "enable printed on stderr: $(cat err)"
printf '%s\n# kept: another preload\n%s\n' "$LIB" "$libc" | cmp -s - "$T/etc/ld.so.preload" ||
	fail "/etc/ld.so.preload is not the old file and our entry: $(cat "$T/etc/ld.so.preload")"
[ "$(stat -c '%a %u' "$T/etc/ld.so.preload")" = "644 0" ] || fail "/etc/ld.so.preload is not 0644 root's"
inside "$C" enable --system --library "$LIB" >out || fail "enable again failed"
grep -q "already on" out || fail "enable again said: $(cat out)"
[ "$(grep -c libcowlink "$T/etc/ld.so.preload")" = 1 ] || fail "enable twice: not one entry"
ls "$T"/etc/.ld.so.preload.* >/dev/null 2>&1 && fail "a temporary file was left in /etc"
inside sh -c "'$C' status" >out || fail "status: not covered in machine-wide mode: $(cat out)"
grep -qF "machine-wide mode: on ($LIB in /etc/ld.so.preload)" out || fail "status said: $(cat out)"
grep -q "this process: libcowlink.so loaded" out || fail "status: the shim is not loaded: $(cat out)"
"$C" status >out || true
grep -q "machine-wide mode: off" out || fail "status outside the namespace: $(cat out)"

# ---- writers with no shim in their environment ----------------------------
mkdir -m 0755 w
printf 'original\n' >w/a && chmod 0644 w/a && touch -d @1500000000 w/a
# w/k stays a name of the set, so that w/a is never an orphan (unshared in
# place, §1) and must keep its shared inode's every byte and bit.
for i in k 1 2 3 4; do "$COWLN" w/a w/b$i; done
sa=$(snapshot w/a)
# root's: the shell's own redirection, cp, sed -i, chmod.
inside sh -c "echo x >> '$T/w/b1'" || fail "root's sh: the write failed"
inside cp /etc/hostname "$T/w/b2" || fail "root's cp failed"
inside sed -i 's/^/s/' "$T/w/b3" || fail "root's sed -i failed"
inside chmod 0600 "$T/w/b4" || fail "root's chmod failed"
expect_unchanged w/a "$sa"
for i in 1 2 3 4; do same_inode w/a w/b$i && fail "w/b$i still shares w/a's inode"; done
[ "$(tail -1 w/b1)" = x ] || fail "the shell's write did not reach w/b1"
cmp -s /etc/hostname w/b2 || fail "cp did not reach w/b2"
[ "$(cat w/b3)" = soriginal ] || fail "sed -i did not reach w/b3"
[ "$(stat -c %a w/b4)" = 600 ] || fail "chmod did not reach w/b4"

# A detached process, as cron or a daemon starts one (its own session, no
# terminal, nothing inherited but what init would give it).
"$COWLN" -f w/a w/d
inside setsid nohup sh -c "echo detached >> '$T/w/d'; touch '$T/w/done'" </dev/null >/dev/null 2>&1 &
for _ in $(seq 200); do [ -e w/done ] && break; sleep 0.05; done
[ -e w/done ] || fail "the detached process did not finish"
expect_unchanged w/a "$sa"
[ "$(tail -1 w/d)" = detached ] || fail "the detached write did not reach w/d"

# A set-user-ID-root program run by a user: it ignores COWLINK_* (here one
# that would exclude it) and LD_PRELOAD, yet /etc/ld.so.preload brings the
# shim: it breaks w/s instead of writing into w/a's inode.
cp "$COWLINK_PROGS/append_x" "$T/suid" && chown root:root "$T/suid" && chmod 4755 "$T/suid"
"$COWLN" -f w/a w/s
inside setpriv --reuid=$USR --regid=$USR --clear-groups env COWLINK_EXCLUDE=suid "$T/suid" "$T/w/s" >out 2>err ||
	fail "the set-user-ID program failed: $(cat err)"
grep -q '^shim loaded' out || fail "the shim was not in the set-user-ID program"
[ ! -s err ] || fail "the set-user-ID program printed on stderr: $(cat err)"
expect_unchanged w/a "$sa"
[ "$(tail -1 w/s)" = x ] || fail "the set-user-ID write did not reach w/s"
# audit: covered in this mode, not outside it.
inside "$C" audit "$T/suid" >out || fail "audit in the machine-wide mode: $(cat out)"
grep -q "covered (set-ID.*/etc/ld.so.preload" out || fail "audit in the machine-wide mode said: $(cat out)"
if "$C" audit "$T/suid" >out; then fail "audit outside: the set-ID program covered"; fi

# ---- /etc/cowlink.conf -------------------------------------------------------
mkdir -m 0755 tree
pair() { rm -f "tree/$1" "tree/$2"; printf 'pair\n' >"tree/$1" && ln "tree/$1" "tree/$2"; }
printf '# the build trees\ntrees = %s\n  exclude = nothing-here  \n' "$T/tree" >"$T/etc/cowlink.conf"
chmod 0644 "$T/etc/cowlink.conf"
pair h1 h2
inside sh -c "echo x >> '$T/tree/h2'" 2>err || fail "root writer in the tree failed"
[ ! -s err ] || fail "a program printed on stderr: $(cat err)"
[ "$(cat tree/h1)" = pair ] || fail "trees from /etc/cowlink.conf: h1 changed"
same_inode tree/h1 tree/h2 && fail "trees from /etc/cowlink.conf: h2 not broken"
pair h3 h4
inside setpriv --reuid=$USR --regid=$USR --clear-groups env COWLINK_TREES= "$T/suid" "$T/tree/h4" >out ||
	fail "the set-user-ID program failed in the tree"
[ "$(cat tree/h3)" = pair ] || fail "the set-ID program did not take its trees from /etc/cowlink.conf"
# cowlink run's supervisor takes the file's trees too: what it is for here
# is a static program, which no preload sees.
if gcc -static -O1 -o "$T/sv" "${COWLINK_SRC:-}/tests/integration/static/sv_calls.c" 2>/dev/null; then
	pair h9 h10
	out=$(inside "$C" run -- "$T/sv" open "$T/tree/h10" 2>&1) || true
	case $out in
	*"no seccomp user notification"*) note "no seccomp user notification: cowlink run not checked" ;;
	*)
		[ "$(cat tree/h9)" = pair ] || fail "cowlink run, static writer: h9 changed ($out)"
		same_inode tree/h9 tree/h10 && fail "cowlink run, static writer: h10 not broken ($out)"
		;;
	esac
else
	note "gcc -static cannot link here: cowlink run with the file's trees not checked"
fi
# The environment wins where it counts (not in a set-ID program).
pair h5 h6
inside env COWLINK_TREES= sh -c "echo x >> '$T/tree/h6'"
same_inode tree/h5 tree/h6 || fail "COWLINK_TREES= did not win over the file"

# Ignored, in silence (a line with COWLINK_DEBUG): malformed, group-writable,
# not root's, a symlink.
ignored() {
	local what=$1
	pair h7 h8
	inside sh -c "echo x >> '$T/tree/h8'" 2>err
	[ ! -s err ] || fail "$what: a program printed on stderr: $(cat err)"
	same_inode tree/h7 tree/h8 || fail "$what: the file was not ignored"
	inside env COWLINK_DEBUG=1 true 2>err
	grep -q "cowlink.conf.*ignored" err || fail "$what: no debug line: $(cat err)"
}
good=$(cat "$T/etc/cowlink.conf")
printf 'trees %s\n' "$T/tree" >"$T/etc/cowlink.conf"
ignored "a line without '='"
printf 'trees = tree\n' >"$T/etc/cowlink.conf"
ignored "a relative tree"
printf '%s\ncolour = red\n' "$good" >"$T/etc/cowlink.conf"
ignored "an unknown key"
printf '%s\n' "$good" >"$T/etc/cowlink.conf"
chmod 0664 "$T/etc/cowlink.conf"
ignored "a group-writable file"
chmod 0644 "$T/etc/cowlink.conf" && chown $USR "$T/etc/cowlink.conf"
ignored "a file another user owns"
chown 0 "$T/etc/cowlink.conf" && mv "$T/etc/cowlink.conf" "$T/etc/cowlink.conf.real"
ln -s cowlink.conf.real "$T/etc/cowlink.conf"
ignored "a symlink"
rm "$T/etc/cowlink.conf"
printf 'trees = %s\n' "$T/tree" >"$T/etc/cowlink.conf"
inside "$C" enable --system --library "$LIB" >out 2>err || fail "enable again: $(cat err)"
[ ! -s err ] || fail "enable warned of a good /etc/cowlink.conf: $(cat err)"
printf 'trees: %s\n' "$T/tree" >"$T/etc/cowlink.conf"
inside "$C" enable --system --library "$LIB" >out 2>err || fail "enable again: $(cat err)"
grep -q "ignores the whole file" err || fail "enable did not warn of a malformed /etc/cowlink.conf"
rm "$T/etc/cowlink.conf"

# ---- disable: only ours -----------------------------------------------------
inside "$C" disable --system >out || fail "disable failed"
grep -q "machine-wide mode off" out || fail "disable said: $(cat out)"
unchanged "disable"
inside "$C" disable --system >out || fail "disable twice failed"
grep -q "not on" out || fail "disable twice said: $(cat out)"
inside "$C" status >out || true
grep -q "machine-wide mode: off" out || fail "status after disable: $(cat out)"
# With nothing else in it, the file goes; an entry of ours on a line with
# another keeps the other.
rm "$T/etc/ld.so.preload"
inside "$C" enable --system --library "$LIB" >/dev/null || fail "enable into no file failed"
[ "$(cat "$T/etc/ld.so.preload")" = "$LIB" ] || fail "enable into no file: $(cat "$T/etc/ld.so.preload")"
inside "$C" disable --system >/dev/null || fail "disable of the only entry failed"
[ ! -e "$T/etc/ld.so.preload" ] || fail "disable left a file with nothing in it"
printf '%s:%s # two\n' "$libc" "$LIB" >"$T/etc/ld.so.preload"
inside "$C" disable --system >/dev/null 2>err || fail "disable on a shared line failed"
[ ! -s err ] || fail "disable on a shared line: $(cat err)"
[ "$(cat "$T/etc/ld.so.preload")" = "$libc # two" ] ||
	fail "disable on a shared line left: $(cat "$T/etc/ld.so.preload")"

# ---- the package's prerm: the same, in sh and awk -----------------------------
prerm=${COWLINK_SRC:-}/debian/libcowlink0.prerm
if [ -f "$prerm" ]; then
	printf '%s\n%s:%s # two\n' "$LIB" "$libc" "$T/lib/gw/libcowlink.so" >"$T/etc/ld.so.preload"
	cp "$T/etc/ld.so.preload" want.upgrade
	inside sh "$prerm" upgrade || fail "prerm upgrade failed"
	cmp -s want.upgrade "$T/etc/ld.so.preload" || fail "prerm upgrade changed /etc/ld.so.preload"
	inside sh "$prerm" remove 2>err || fail "prerm remove failed"
	[ ! -s err ] || fail "prerm remove: $(cat err)"
	[ "$(cat "$T/etc/ld.so.preload")" = "$libc # two" ] || fail "prerm remove left: $(cat "$T/etc/ld.so.preload")"
	[ "$(stat -c '%a %u' "$T/etc/ld.so.preload")" = "644 0" ] || fail "prerm: /etc/ld.so.preload is not 0644 root's"
	printf '\n%s\n' "$LIB" >"$T/etc/ld.so.preload"
	inside sh "$prerm" remove || fail "prerm remove of the only entry failed"
	[ ! -e "$T/etc/ld.so.preload" ] || fail "prerm left a file with nothing in it"
	ls "$T"/etc/.ld.so.preload.* >/dev/null 2>&1 && fail "prerm left a temporary file in /etc"
else
	note "no debian/libcowlink0.prerm in COWLINK_SRC: the package's prerm not checked"
fi
exit 0
