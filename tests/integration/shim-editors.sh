# SPDX-License-Identifier: MIT
# Editors save a cowlink on the first try and leave the other name as it
# was: vim (its default :wq, backupcopy=yes/no/auto; it compares the inode
# of a stat taken before it opens the file with an fstat of the fd, and the
# shim shows that fd the inode the name had), interactive vim, nano, mg and
# joe in a terminal, emacs in batch mode; vim -R only reads. Two-name sets;
# as root and as the owner. Each editor is a case of its own, skipped where
# it is not installed.
# cases: vim nano mg joe emacs
. "$(dirname "$0")/lib.sh"
need_shim
[ -n "$CASE" ] || fail "give a case: vim, nano, mg, joe or emacs"
need "$CASE"
[ "$CASE" = emacs ] || need tmux
SHIM=$PRELOAD  # absolute (the ASan runtime first in that build)

fresh() {
	rm -rf "$1" && mkdir -p "$1"
	printf 'hello\n' >"$1/A"
	chmod 644 "$1/A"
	touch -d '2001-02-03 04:05:06' "$1/A"
	cow_link "$1/A" "$1/B"
	pick before "$(snap_fields "$1/A")" logical
}
# saved DIR WHAT: B holds the edit, A is as it was, two inodes now.
saved() {
	pick after "$(snap_fields "$1/A")" logical
	[ "$after" = "$before" ] || fail "$2: A changed: [$before] -> [$after]"
	grep -q world "$1/B" || fail "$2: the edit is not in B: $(cat "$1/B")"
	same_inode "$1/A" "$1/B" && fail "$2: A and B still one inode"
	return 0
}
# in_tmux DIR CMD KEYS...: run CMD in a terminal in DIR, wait until it shows
# the file (its first line, "hello"), type KEYS, wait for it to end. The
# waits are bounded polls (30 s to show, 60 s to end), not fixed sleeps, so
# an editor slow to start on a loaded machine gets its keys all the same.
in_tmux() {
	local d=$1 cmd=$2 s=cl$$ i
	shift 2
	tmux -L "$s" new-session -d -s "$s" -x 80 -y 24 "cd $T/$d && env LD_PRELOAD=$SHIM ASAN_OPTIONS=${ASAN_OPTIONS:-} $cmd"
	for i in $(seq 1 300); do
		tmux -L "$s" capture-pane -p -t "$s" 2>/dev/null | grep -q hello && break
		sleep 0.1
	done
	for k in "$@"; do tmux -L "$s" send-keys -t "$s" "$k"; sleep 0.2; done
	for i in $(seq 1 600); do tmux -L "$s" has-session -t "$s" 2>/dev/null || return 0; sleep 0.1; done
	tmux -L "$s" kill-session -t "$s" 2>/dev/null
	fail "[$cmd] did not finish"
}

case $CASE in
nano)
	fresh nano
	in_tmux nano "nano --ignorercfiles B" world C-o Enter C-x
	saved nano nano
	exit 0;;
mg)
	fresh mg
	in_tmux mg "mg -n B" M-\> world Enter C-x C-s C-x C-c
	saved mg mg
	exit 0;;
joe)
	fresh joe
	in_tmux joe "joe -nobackups B" world Enter C-k x
	saved joe joe
	exit 0;;
emacs)
	fresh emacs
	(cd emacs && under_shim emacs --batch -Q B \
		--eval '(progn (goto-char (point-max)) (insert "world\n") (save-buffer))') >/dev/null 2>&1 ||
		fail "emacs failed to save"
	saved emacs emacs
	exit 0;;
vim) ;;
*) fail "unknown case '$CASE'";;
esac

for bc in default yes no auto; do
	fresh "vim-$bc"
	set_bc=()
	[ "$bc" = default ] || set_bc=(-c "set backupcopy=$bc")
	(cd "vim-$bc" && under_shim vim --clean -es "${set_bc[@]}" -c 'normal! Aworld' -c wq B) ||
		fail "vim (backupcopy=$bc) failed to save"
	saved "vim-$bc" "vim backupcopy=$bc"
done

# vim -R reads and leaves the set alone.
fresh vim-R
(cd vim-R && under_shim vim -R --clean -es -c q B) || fail "vim -R failed"
same_inode vim-R/A vim-R/B || fail "vim -R broke the link"

# Interactive vim with the system's vimrc, in a terminal.
fresh vim-tty
in_tmux vim-tty "vim B" A world Escape ":wq" Enter
saved vim-tty "interactive vim"

# As the owner, not root (the break comes from the EACCES of protection).
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null; then
	user=clvim$$
	useradd -M -d / -s /bin/sh "$user" 2>/dev/null || skip "useradd failed"
	trap 'userdel "$user" 2>/dev/null; cleanup' EXIT
	chmod 755 "$T"
	fresh user && chown -R "$user:$user" user
	pick before "$(snap_fields user/A)" logical
	su -s /bin/sh "$user" -c "cd $T/user && LD_PRELOAD=$SHIM vim --clean -es -c 'normal! Aworld' -c wq B" ||
		fail "vim as the owner failed to save"
	saved user "vim as the owner"
fi
exit 0
