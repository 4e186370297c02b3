# chmod through the shim while B keeps changing inode under it: cowln -f
# relinking B into the set and another process breaking it again. A chmod
# of a name always has an answer -- break, then change the private copy --
# so none may fail, and none may reach A. Both happened: ETXTBSY when the
# name was replaced between the shim pinning it and reading its mark (by
# name: seen first in stress-concurrency under load), and A's mode changed
# when the pinned inode lost B and its mark to another process's break
# between the shim's fstat and its read of the mark. A two-name set.
. "$(dirname "$0")/lib.sh"
need_shim
[ -x "${COWLN:-}" ] || skip "cowln is not built"
need python3
secs=${RACE_SECONDS:-3}

printf 'master\n' >A
chmod 644 A
"$COWLN" --reflink=never A B || fail "setup: cowln A B"
pick before "$(snap_fields A)" logical

cat >chmods.py <<'PY'
import os, sys, time
end, n, bad = time.monotonic() + float(sys.argv[1]), 0, 0
while time.monotonic() < end:
    for _ in range(500):
        try:
            os.chmod("B", 0o600 if n % 2 else 0o640)
        except OSError as e:
            bad += 1
            print(f"chmod B: {e}", file=sys.stderr)
        n += 1
print(n, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
(
	n=0
	while [ ! -e stop ]; do
		"$COWLN" -f --reflink=never A B 2>>cowln.err || echo "cowln -f failed" >>cowln.err
		n=$((n + 1))
	done
	echo "$n" >relinks
) &
relinker=$!
under_shim python3 chmods.py "$secs" 2>c1.err & p1=$!
under_shim python3 chmods.py "$secs" 2>c2.err & p2=$!
rc=0
wait "$p1" || rc=1
wait "$p2" || rc=1
touch stop
wait "$relinker"
[ $rc = 0 ] || fail "a chmod failed: $(grep -h chmod c1.err c2.err | sort | uniq -c | head -3)"
[ ! -s cowln.err ] || fail "cowln -f failed: $(head -3 cowln.err)"
[ "$(cat relinks)" -gt 20 ] || fail "only $(cat relinks) relinks: the race was not run"
pick after "$(snap_fields A)" logical
[ "$after" = "$before" ] || fail "A changed: before [$before] after [$after]"
cmp -s A <(printf 'master\n') || fail "A's content changed"
note "$(tail -n 1 c1.err) + $(tail -n 1 c2.err) chmods raced $(cat relinks) relinks: none failed, A unchanged"
exit 0
