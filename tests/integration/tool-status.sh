# SPDX-License-Identifier: MIT
# cowlink status: each kind of file, --json that parses, -r summaries,
# the processes holding a shared inode open, and bad input.
# ctest: LABELS quick
. "$(dirname "$0")/lib.sh"
need setfattr python3
# The system python: a version manager's wrapper costs seconds a call.
PY=$(command -v /usr/bin/python3 || command -v python3)
[ -x "${COWLINK_TOOL:-}" ] || fail "COWLINK_TOOL is not set"
C=$COWLINK_TOOL

# mkset A B: a protected cowlink set made by hand (record format: record.c).
mkset() { ln "$1" "$2"; setfattr -n user.cowlink -v 'cowlink v1 w=0222' "$1"; chmod a-w "$1"; }

echo a >a && chmod 0666 a && mkset a b
echo p >plain
echo h >h1 && ln h1 h2
echo o >orph && ln orph orph2 && setfattr -n user.cowlink -v 'cowlink v1 w=0200' orph && chmod u-w orph && rm orph2
echo m >mal && ln mal mal2 && setfattr -n user.cowlink -v 'nonsense' mal
echo u >un && mkset un un2 && chmod 0644 un
mkdir dir && ln a dir/c && ln -s ../b dir/link

out=$("$C" status a plain h1 orph mal un dir dir/link)
expect() { grep -qF -- "$1" <<<"$out" || fail "status: no line with [$1] in:
$out"; }
expect "a: cowlink (3 names), mode 0444, recorded +0222, protected"
expect "plain: plain file"
expect "h1: 2 hard links, not marked"
expect "orph: orphaned mark (1 name), mode 0444, recorded +0200"
expect "mal: cowlink (2 names), mode 0644, malformed record"
expect "un: cowlink (2 names), mode 0644, recorded +0222, NOT protected"
expect "dir: not a regular file (directory)"
expect "dir/link: cowlink (3 names)"

# --json: one valid object per path, fields as documented.
"$C" status --json a plain orph mal dir >j
[ "$(wc -l <j)" = 5 ] || fail "--json: not one line per path"
"$PY" - j <<'PY' || fail "--json output is wrong"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
a, plain, orph, mal, d = objs
assert a["kind"] == "shared" and a["names"] == 3 and a["protected"] is True, a
assert a["mode"] == "0444" and a["recorded"] == "0222" and a["record_ok"] is True, a
assert plain["kind"] == "plain" and plain["names"] == 1, plain
assert orph["kind"] == "orphan" and orph["recorded"] == "0200", orph
assert mal["kind"] == "shared" and mal["record_ok"] is False, mal
assert d["type"] == "directory", d
assert all(isinstance(o["holders"], list) for o in objs)
PY

# Names are bytes: UTF-8 is kept, other bytes and controls are escaped.
mkdir names && echo n >"names/$(printf 'caf\xc3\xa9')" && echo n >"names/$(printf 'b\xff\x01"q')"
"$C" status --json names/* | "$PY" -c '
import json, sys
paths = sorted(json.loads(l)["path"] for l in sys.stdin)
assert paths == ["names/b\u00ff\u0001\"q", "names/caf\u00e9"], paths
' || fail "--json of odd names"
rm -r names

# A process holding a shared inode open is named: once it has b open and
# is sleep (on a loaded machine the child may not have got that far yet).
sleep 30 <b &
holder=$!
for _ in $(seq 1 300); do
	[ "$(cat "/proc/$holder/comm" 2>/dev/null)" = sleep ] &&
		[ "/proc/$holder/fd/0" -ef b ] && break
	sleep 0.1
done
out=$("$C" status a)
kill "$holder"; wait "$holder" 2>/dev/null || true
grep -q "open by: $holder (sleep)" <<<"$out" || fail "status does not name the holder $holder: $out"

# -r: a summary of the tree, listing what is not plain; JSON as one object.
out=$("$C" status -r .)
grep -q '^\.: 12 files in 2 directories: 7 cowlinks in 3 sets, 1 orphaned mark, 2 unmarked hard links, 0 reflinked, 2 malformed records, 2 unprotected$' <<<"$out" \
	|| fail "status -r summary is wrong: $out"
grep -q '^\./plain:' <<<"$out" && fail "status -r lists a plain file"
grep -q '^\./dir/c: cowlink' <<<"$out" || fail "status -r misses dir/c: $out"
"$C" status -r --json . | "$PY" -c '
import json, sys
lines = sys.stdin.read().splitlines()
assert len(lines) == 1, lines
o = json.loads(lines[0])
s = o["summary"]
assert (s["files"], s["cowlinks"], s["sets"], s["orphans"], s["unmarked"]) == (12, 7, 3, 1, 2), s  # j is the 12th
assert len(o["entries"]) == 10, len(o["entries"])
assert all(e["kind"] != "plain" for e in o["entries"]), o["entries"]
' || fail "status -r --json is wrong"

# Bad input: missing paths fail (exit 1) but the others are still shown.
rc=0; out=$("$C" status missing a 2>err) || rc=$?
[ "$rc" = 1 ] || fail "status of a missing path: exit $rc, want 1"
grep -q "missing: No such file or directory" err || fail "no message for a missing path"
grep -q "^a: cowlink" <<<"$out" || fail "status stopped at the missing path"
out=$("$C" status --json missing 2>/dev/null) && fail "status --json of a missing path succeeded"
"$PY" -c 'import json,sys; assert "error" in json.loads(sys.argv[1])' "$out" \
	|| fail "--json of a missing path is not an error object: $out"
# Without a path: is this session under the shim? (tool-shell.sh: more)
rc=0; env -u LD_PRELOAD "$C" status >out 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "^not covered" out || fail "status without a path, no shim: exit $rc: $(cat out)"
rc=0; "$C" status --bogus a 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "status with a bad option: exit $rc, want 2"
mkfifo fifo
timeout 10 "$C" status fifo | grep -q "not a regular file (fifo)" || fail "status of a FIFO"
exit 0
