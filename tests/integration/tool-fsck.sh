# SPDX-License-Identifier: MIT
# cowlink fsck: a tree with a crafted interrupted break (temp names, an
# orphan), corrupt records and a set made writable behind the shim's back;
# -n reports only; the exit codes of fsck(8); a second run finds nothing.
. "$(dirname "$0")/lib.sh"
need setfattr getfattr
[ -x "${COWLINK_TOOL:-}" ] || fail "COWLINK_TOOL is not set"
C=$COWLINK_TOOL
mkset() { ln "$1" "$2"; setfattr -n user.cowlink -v 'cowlink v1 w=0222' "$1"; chmod a-w "$1"; }
mark() { getfattr --only-values -n user.cowlink "$1" 2>/dev/null; }

mkdir -p t/sub
echo shared >t/a && chmod 0644 t/a && mkset t/a t/b
# An interrupted break of t/b: the complete private copy linked in under a
# temp name, not yet renamed over t/b (pid 999999999: no such process).
cp t/a t/sub/.cowlink-tmp.999999999.1 && chmod 0644 t/sub/.cowlink-tmp.999999999.1
# An interrupted cowln -f: an extra name of the shared inode.
ln t/a t/.cowlink-tmp.999999999.2
echo o >t/orph && ln t/orph t/o2 && setfattr -n user.cowlink -v 'cowlink v1 w=0220' t/orph && chmod 0444 t/orph && rm t/o2
echo m >t/mal && ln t/mal t/sub/mal2 && setfattr -n user.cowlink -v 'cowlink v9 w=0222' t/mal
echo u >t/un && chmod 0644 t/un && mkset t/un t/un2 && chmod 0664 t/un
echo c >t/clean && mkset t/clean t/clean2
before=$(cd t && find . -printf '%p %i %n %m\n' | sort)

rc=0; out=$("$C" fsck -n t) || rc=$?
[ "$rc" = 4 ] || fail "fsck -n with findings: exit $rc, want 4"
[ "$before" = "$(cd t && find . -printf '%p %i %n %m\n' | sort)" ] || fail "fsck -n changed the tree"
[ "$(wc -l <<<"$out")" = 7 ] || fail "fsck -n: want 7 findings, got:
$out"
for want in "t/.cowlink-tmp.999999999.2: temp name left by an interrupted break or link (would remove)" \
	"t/sub/.cowlink-tmp.999999999.1: temp name left by an interrupted break or link (would remove)" \
	"t/orph: orphaned mark (one name left) (would unshare in place, mode 0664)" \
	"t/mal: malformed record on a shared inode of 2 names (would rewrite the record as +0200, mode 0444)" \
	"t/sub/mal2: malformed record" \
	"t/un: shared inode made writable (mode 0664, recorded +0222) (would re-protect, recording +0222, mode 0444)" \
	"t/un2: shared inode made writable"; do
	grep -qF -- "$want" <<<"$out" || fail "fsck -n: no line [$want] in:
$out"
done

rc=0; out=$("$C" fsck t) || rc=$?
[ "$rc" = 1 ] || fail "fsck repairing everything: exit $rc, want 1: $out"
[ "$(find t -name '.cowlink-tmp.*' | wc -l)" = 0 ] || fail "temp names left"
same_inode t/a t/b || fail "fsck touched the set a/b"
[ "$(cat t/b)" = shared ] || fail "t/b lost its content"
[ "$(stat -c %a t/orph)" = 664 ] && [ -z "$(mark t/orph)" ] || fail "orphan not unshared: $(stat -c %a t/orph) [$(mark t/orph)]"
[ "$(mark t/sub/mal2)" = "cowlink v1 w=0200" ] && [ "$(stat -c %a t/mal)" = 444 ] || fail "malformed record not rewritten: [$(mark t/mal)] $(stat -c %a t/mal)"
[ "$(mark t/un)" = "cowlink v1 w=0222" ] && [ "$(stat -c %a t/un2)" = 444 ] || fail "not re-protected: [$(mark t/un)] $(stat -c %a t/un)"
[ "$(stat -c %a t/clean)" = 444 ] && [ "$(mark t/clean)" = "cowlink v1 w=0222" ] || fail "fsck touched a clean set"

rc=0; out=$("$C" fsck t) || rc=$?
[ "$rc" = 0 ] && [ -z "$out" ] || fail "second fsck: exit $rc, output: $out"

# A temp name that may belong to a running break is left alone (exit 4).
sleep 30 &
live=$!
echo x >"t/.cowlink-tmp.$live.1"
rc=0; out=$("$C" fsck t) || rc=$?
kill "$live"; wait "$live" 2>/dev/null || true
[ "$rc" = 4 ] && [ -e "t/.cowlink-tmp.$live.1" ] || fail "temp name of a live process: exit $rc, $out"
grep -q "process $live is running: left alone" <<<"$out" || fail "no word about the live process: $out"
rc=0; "$C" fsck t >/dev/null || rc=$?
[ "$rc" = 1 ] && [ ! -e "t/.cowlink-tmp.$live.1" ] || fail "the temp name of a dead process was not removed (exit $rc)"

# Errors: a missing DIR (8), an unreadable directory as a non-root user (8),
# bad usage (16).
rc=0; "$C" fsck missing 2>err || rc=$?
[ "$rc" = 8 ] && grep -q "No such file" err || fail "fsck of a missing DIR: exit $rc"
rc=0; "$C" fsck -x t 2>/dev/null || rc=$?
[ "$rc" = 16 ] || fail "fsck with a bad option: exit $rc, want 16"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	mkdir -p u/closed && chmod 0755 "$T" u && chmod 0700 u/closed
	rc=0; setpriv --reuid=65534 --regid=65534 --clear-groups "$C" fsck u 2>err || rc=$?
	[ "$rc" = 8 ] && grep -q "u/closed: Permission denied" err || fail "unreadable directory: exit $rc, $(cat err)"
fi
exit 0
