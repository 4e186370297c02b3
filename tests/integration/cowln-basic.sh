#!/bin/bash
# SPDX-License-Identifier: MIT
# cowln: a link, -v, into a directory, several sources, -f, -r with a tree
# that diff -r and stat agree on, and protection against a writer without
# the shim.
# ctest: LABELS quick
. "$(dirname "$0")/lib.sh"
[ -n "${COWLN:-}" ] || skip "COWLN is not set (cowln not built)"

# One link: same inode, marked, write bits recorded and cleared.
printf 'hello\n' > a
chmod 664 a
out=$("$COWLN" -v --reflink=never a b) || fail "cowln a b failed"
[ "$out" = "'a' => 'b'" ] || fail "-v printed [$out]"
same_inode a b || fail "a and b are not one inode"
[ "$(stat -c %a a)" = 444 ] || fail "write bits not cleared: $(stat -c %a a)"
[ "$(getfattr --only-values -n user.cowlink a)" = "cowlink v1 w=0220" ] ||
	fail "record: $(getfattr -d -m user.cowlink a)"

# Into a directory, several sources at once, under their base names.
mkdir d
printf 'two\n' > c
"$COWLN" --reflink=never a c d/ || fail "cowln a c d/ failed"
same_inode a d/a && same_inode c d/c || fail "not linked into d"

# -f replaces an existing destination in one step, no temporary names left.
printf 'old\n' > e
"$COWLN" -f --reflink=never c e || fail "cowln -f failed"
same_inode c e || fail "-f did not replace e"
[ -z "$(find . -name '.cowlink-tmp.*')" ] || fail "temporary names left"

# --no-protect keeps the mode; the record says nothing was cleared.
printf 'np\n' > np
chmod 644 np
"$COWLN" --no-protect --reflink=never np np2 || fail "--no-protect failed"
[ "$(stat -c %a np)" = 644 ] || fail "--no-protect changed the mode"

# A source with plain hard links is copied, unless --adopt.
printf 'hl\n' > h1
ln h1 h2
out=$("$COWLN" -v --reflink=never h1 h3)
case $out in *"full copy"*) ;; *) fail "hard-linked source: [$out]" ;; esac
same_inode h1 h3 && fail "hard-linked source was linked without --adopt"
"$COWLN" --adopt --reflink=never h1 h4 || fail "--adopt failed"
same_inode h1 h4 || fail "--adopt did not link"

# -r: a tree with files, symlinks, modes and times, equal by diff -r.
mkdir -p t/sub/deep
printf 'f1\n' > t/f1
printf 'f2\n' > t/sub/f2
chmod 600 t/sub/f2
printf '#!/bin/sh\n' > t/sub/deep/x
chmod 755 t/sub/deep/x
ln -s sub/f2 t/link
ln -s /nonexistent t/dangling
chmod 750 t/sub
touch -h -d '2001-02-03 04:05:06' t/link
touch -d '2002-03-04 05:06:07' t/sub/deep t/sub t
"$COWLN" -r --reflink=never t t2 || fail "cowln -r failed"
diff -r --no-dereference t t2 || fail "diff -r: trees differ"
# modes, owners, times of everything but the files' own (shared) inodes
( cd t && find . -printf '%y %m %U %G %T@ %l %p\n' | sort ) > t.list
( cd t2 && find . -printf '%y %m %U %G %T@ %l %p\n' | sort ) > t2.list
diff t.list t2.list || fail "metadata of the copied tree differs"
same_inode t/sub/deep/x t2/sub/deep/x || fail "tree files are not cowlinks"
[ "$(readlink t2/link)" = sub/f2 ] || fail "symlink target"
# -r into an existing directory: under the source's name
mkdir into
"$COWLN" -r --reflink=never t into || fail "cowln -r t into/ failed"
diff -r --no-dereference t into/t || fail "tree copied into a directory differs"

# -r refuses a destination inside the source, as cp does, and makes
# nothing (tests/integration/cowln-tree.sh: the rest of -r).
rc=0; "$COWLN" -r --reflink=never t t/copy 2>err || rc=$?
[ "$rc" = 1 ] || fail "cowln -r t t/copy: exit $rc"
grep -qF "cannot copy a directory, 't', into itself, 't/copy'" err || fail "-r t t/copy said: $(cat err)"
[ ! -e t/copy ] || fail "cowln -r t t/copy made t/copy"

# Protection: a writer without the shim (not root) gets EACCES.
need setpriv
chmod 755 "$T"
mkdir w
chown 65534:65534 w
printf 'data\n' > w/p
chown 65534:65534 w/p
chmod 644 w/p
"$COWLN" --reflink=never w/p w/q || fail "cowln w/p w/q failed"
if setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'echo x >> w/q' 2>err; then
	fail "a write into the shared inode succeeded"
fi
grep -q 'Permission denied' err || fail "the refused write said: $(cat err)"
[ "$(cat w/p)" = data ] || fail "w/p changed"

# Not the owner: no lease to be had, said under -v, linked anyway.
printf 'theirs\n' > w/r
chmod 666 w/r
setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$COWLN" -v --no-protect --reflink=never w/r w/r2 2>err >/dev/null ||
	fail "linking another user's file failed: $(cat err)"
grep -qF "no lease on 'w/r'" err || fail "no note about the lease: [$(cat err)]"
same_inode w/r w/r2 || fail "w/r2 is not a cowlink"

# --version, --help
"$COWLN" --version | grep -q '^cowln (cowlink) ' || fail "--version"
"$COWLN" --help | grep -q -- '--reflink' || fail "--help"

# Bash completion offers --reflink's values after '=' only: a bare --reflink
# means always and the next word is a file, so "--reflink auto" would copy
# a file named auto.
if [ -r /usr/share/bash-completion/bash_completion ]; then
	mkdir comp && : >comp/afile
	complete_cowln() { # LINE: what completing its last word offers
		(cd comp && bash -c '. /usr/share/bash-completion/bash_completion && . "$1"
			COMP_LINE=$2 COMP_POINT=${#2}
			read -ra COMP_WORDS <<<"${COMP_LINE//=/ = }"
			[[ $COMP_LINE == *[\ =] ]] && COMP_WORDS+=("")
			COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMPREPLY=()
			_cowln cowln "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
			echo "${COMPREPLY[*]}"' _ "$COWLINK_SRC/tools/completion/cowln" "$1")
	}
	[ "$(complete_cowln "cowln --refl")" = "--reflink=" ] || fail "completion of --refl: $(complete_cowln "cowln --refl")"
	[ "$(complete_cowln "cowln --reflink=")" = "auto always never" ] || fail "completion of --reflink=: $(complete_cowln "cowln --reflink=")"
	[ "$(complete_cowln "cowln --reflink=ne")" = never ] || fail "completion of --reflink=ne: $(complete_cowln "cowln --reflink=ne")"
	[ "$(complete_cowln "cowln --reflink ")" = afile ] || fail "completion after a bare --reflink: $(complete_cowln "cowln --reflink ")"
fi
exit 0
