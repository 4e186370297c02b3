#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Editors and applications writing one name of a cowlink set: sed -i, ed,
# perl -i and perl +<, patch, vim, sqlite3 UPDATE, git checkout -- f; and
# read-only programs, which must leave the names one inode.
. "$(dirname "$0")/lib.sh"
need_shim
need sed ed perl patch sqlite3 git md5sum grep tar
export IN="$T/in"
mkdir -p "$IN"

writer sed-i 'sed -i s/line/LINE/ b'
writer ed 'printf "1d\nw\nq\n" | ed -s b'
writer ed-append 'printf "\$a\nadded by ed\n.\nw\nq\n" | ed -s b'
writer perl-i 'perl -i -pe "s/two/2/" b'
writer perl-rdwr 'perl -e "open F, q(+<), q(b) or die; print F q(PP); close F or die"'
writer perl-append 'perl -e "open F, q(>>), q(b) or die; print F qq(perl\n); close F or die"'

seed_file "$IN/orig"
cp "$IN/orig" "$IN/new"
sed -i 's/two/TWO/' "$IN/new"
(cd "$IN" && diff -u orig new >p.diff) || true
writer patch 'patch -s b <"$IN/p.diff"'
# vim writes this file in place and then compares the inode of the fd with
# its earlier stat (E949): the break changes the real number, vim sees the
# one it saw before (docs/DESIGN.md §4 Identity), saves on the first try,
# and the other names do not change.
if command -v vim >/dev/null; then
	mkdir -p "$T/vim/w" "$T/vim/r" && cd "$T/vim/w"
	seed_file a && cp --preserve=all a ../r/b
	cow_link a b && cow_link a c
	s=$(snapshot a)
	under_shim vim -u NONE -i NONE -N -es -c "%s/one/ONE/" -c wq b </dev/null ||
		fail "vim under the shim exited $?"
	(cd ../r && vim -u NONE -i NONE -N -es -c "%s/one/ONE/" -c wq b </dev/null)
	expect_unchanged a "$s"
	same_inode a c || fail "vim: a and c no longer share"
	same_as_copy b ../r/b
	# The same under cowlink run, where the supervisor breaks the name
	# before the shim's own open reaches it: the shim must take that break
	# as its own (docs/DESIGN.md §4b), or vim says E949 and saves nothing.
	if [ -x "${COWLINK_TOOL:-}" ]; then
		rm -f b && cow_link a b
		"$COWLINK_TOOL" run -- vim -u NONE -i NONE -N -es -c "%s/one/ONE/" -c wq b </dev/null ||
			fail "vim under cowlink run exited $?"
		expect_unchanged a "$s"
		same_inode a c || fail "vim under cowlink run: a and c no longer share"
		same_as_copy b ../r/b
	fi
	cd "$T"
	note "ok: vim"
fi

seed_db() {
	rm -f "$1"
	sqlite3 "$1" 'create table t(k integer primary key, v text); insert into t values (1, "one"), (2, "two");'
	chmod 0640 "$1"
	touch -d '2001-02-03' "$1"
}
writer -s seed_db sqlite-update 'sqlite3 b "update t set v = \"uno\" where k = 1; select * from t;"'
reader -s seed_db sqlite-select-readonly 'sqlite3 -readonly b "select * from t;"'

# git: the work-tree file is a cowlink of a file outside the repository.
mkdir -p "$T/git/w" "$T/git/r"
for d in w r; do
	(cd "$T/git/$d" && git init -q repo && cd repo && printf 'committed\n' >f &&
		git add f && git -c user.name=t -c user.email=t@t commit -qm init)
done
seed_file "$T/git/w/outside"
seed_file "$T/git/r/outside"
rm "$T/git/w/repo/f" "$T/git/r/repo/f"
cow_link "$T/git/w/outside" "$T/git/w/repo/f"
cp --preserve=all "$T/git/r/outside" "$T/git/r/repo/f"
s=$(cow_snapshot "$T/git/w/outside")
(cd "$T/git/w/repo" && under_shim git checkout -q -- f) || fail "git checkout under the shim"
(cd "$T/git/r/repo" && git checkout -q -- f)
expect_cow_unchanged "$T/git/w/outside" "$s"
cmp -s "$T/git/w/repo/f" "$T/git/r/repo/f" || fail "git checkout: f differs from the plain run"
[ "$(cat "$T/git/w/repo/f")" = committed ] || fail "git checkout did not restore f"
(cd "$T/git/w/repo" && under_shim git status --porcelain) | grep -q . && fail "git status not clean after checkout"
note "ok: git-checkout"

reader cat 'cat b | md5sum'
reader md5sum 'md5sum b'
reader grep 'grep -c line b'
reader tar-c 'tar cf - b | tar tvf - | cut -c1-10'
reader cp-from 'cp b copy && cmp b copy && rm copy'
reader head 'head -c 100 b | od -c | head -3'
