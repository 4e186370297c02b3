#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Identity after a break (docs/DESIGN.md §4): the process that breaks a name
# sees inode numbers through a permutation, so the broken name keeps the
# number it had and no two files ever show one (dev, ino) in that process.
# An alias (the name's old number on the new file, which the other names
# still had) made GNU tar take a cowlink of its archive for the archive and
# leave it out, SQLite confuse two databases that were cowlinks of one, and
# os.path.samefile call a new file the broken name once the old inode's
# number was reused. Each case as root and as a non-root owner.
. "$(dirname "$0")/lib.sh"
need_shim
need tar
/usr/bin/python3 -c 'import sqlite3' 2>/dev/null || skip "python3's sqlite3 is not installed"

# own_here: the case's files are the user's under test.
own_here() { [ "$RUN_WHO" = root ] || chown -R "${RUN_ID/ /:}" .; }

# tar writing an archive whose cowlink is in the tree it archives: the
# cowlink is a different file from the archive tar is writing (which it
# broke), so it is archived, and it keeps the old archive's bytes.
tar_case() {
	mkdir tar && cd tar
	mkdir d && echo hi >d/f
	tar -cf out.tar d
	cow_link out.tar d/out.tar.bak
	own_here
	local s
	s=$(cow_snapshot d/out.tar.bak)
	run_as env LD_PRELOAD="$PRELOAD" tar -cf out.tar d 2>err ||
		fail "tar under the shim failed ($RUN_WHO): $(cat err)"
	! grep -q "is the archive" err || fail "tar took the cowlink for its archive ($RUN_WHO): $(cat err)"
	tar -tf out.tar | grep -qx d/out.tar.bak ||
		fail "d/out.tar.bak is not in the archive ($RUN_WHO)"
	expect_cow_unchanged d/out.tar.bak "$s"
	cd ..
}

# One process with two cowlinks of one database, written in turn, in WAL
# and in rollback mode; then samefile and the numbers it shows.
sqlite_case() {
	local mode=$1
	mkdir "sq-$mode" && cd "sq-$mode"
	/usr/bin/python3 - "$mode" <<'EOF'
import sqlite3, sys
c = sqlite3.connect('base.db')
c.execute('pragma journal_mode=%s' % ('wal' if sys.argv[1] == 'wal' else 'delete'))
c.execute('create table t(k integer primary key, v text)')
c.execute("insert into t values (1, 'base')")
c.commit()
c.execute('pragma journal_mode=delete')
c.close()
EOF
	cow_link base.db t1.db
	cow_link base.db t2.db
	own_here
	local s
	s=$(cow_snapshot base.db)
	run_as env LD_PRELOAD="$PRELOAD" /usr/bin/python3 - "$mode" <<'EOF' || fail "sqlite $mode ($RUN_WHO)"
import sqlite3, sys
mode = sys.argv[1]
a = sqlite3.connect('t1.db', timeout=0.2, isolation_level=None)
b = sqlite3.connect('t2.db', timeout=0.2, isolation_level=None)
for db in (a, b):
    db.execute('pragma journal_mode=%s' % ('wal' if mode == 'wal' else 'delete'))
a.execute("insert into t values (2, 'one')")
# The second is read in a transaction while the first is written: SQLite
# shares its locks between connections to one (dev, ino).
b.execute('begin')
list(b.execute('select * from t'))
a.execute("insert into t values (3, 'one')")
b.execute('commit')
b.execute("insert into t values (2, 'two')")
assert list(a.execute('select v from t order by k')) == [('base',), ('one',), ('one',)]
assert list(b.execute('select v from t order by k')) == [('base',), ('two',)]
a.close()
b.close()
EOF
	expect_cow_unchanged base.db "$s"
	cd ..
}

# samefile: a broken name is not its former set, and after the old inode
# is gone and its number reused by a new file, not that file either.
samefile_case() {
	mkdir same && cd same
	seed_file base
	cow_link base t1
	cow_link base t2
	own_here
	run_as env LD_PRELOAD="$PRELOAD" /usr/bin/python3 - <<'EOF' || fail "samefile ($RUN_WHO)"
import os, subprocess
before = os.stat('t1').st_ino
assert os.path.samefile('t1', 't2')
with open('t1', 'a') as f:
    f.write('x')
    assert os.fstat(f.fileno()).st_ino == before, 'the fd shows another number'
assert os.stat('t1').st_ino == before, 'the broken name changed its number'
assert not os.path.samefile('t1', 't2'), 't1 and t2 are one file'
assert not os.path.samefile('t1', 'base'), 't1 and base are one file'
assert os.stat('t2').st_ino == os.stat('base').st_ino != before
# The old inode goes; a new file that takes its number (ext4 reuses the
# lowest free one; the real numbers come from a child: exec starts empty)
# must not be t1 either.
os.unlink('base')
os.unlink('t2')
reused = None
for i in range(64):
    n = 'new%d' % i
    open(n, 'w').close()
    real = int(subprocess.run(['stat', '-c', '%i', n], capture_output=True,
                              text=True, check=True).stdout)
    if real == before:
        reused = n
        break
if reused is None:
    print('note: no new file took the old number in 64 tries')
else:
    assert not os.path.samefile('t1', reused), 'a new file is t1'
    numbers = {os.stat(n).st_ino for n in os.listdir('.')}
    assert len(numbers) == len(os.listdir('.')), 'two files show one number'
    print('note: %s took the old number' % reused)
EOF
	cd ..
}

all_cases() {
	tar_case
	sqlite_case wal
	sqlite_case rollback
	samefile_case
}

all_cases
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null && command -v setpriv >/dev/null; then
	run_user
	all_cases
else
	note "not root: the non-root owner's run is left out"
fi
exit 0
