# SPDX-License-Identifier: MIT
# Writes by non-root users, as a plain copy would allow them, on two-name
# sets. Where a break can be made (the caller may write the directory and
# can give the copy the owner and group), the write works and the other name
# is unchanged. Where it cannot (docs/DESIGN.md §5; libcowlink(7), LIMITS),
# the call fails with EACCES and neither name changes: a group member or an
# ACL user of another user's file, another user's file in a sticky
# directory, the owner in a directory without write permission, the owner
# of a file whose group is not one of theirs.
. "$(dirname "$0")/lib.sh"
need_shim
need_root
need useradd groupadd setfacl su
SHIM=$PRELOAD  # absolute (the ASan runtime first in that build)
COWLN_ABS=$(cd "$(dirname "$COWLN")" && pwd)/$(basename "$COWLN")
u1=clpa$$ u2=clpb$$ g=clpg$$
groupadd "$g" || skip "groupadd failed"
useradd -M -d / -s /bin/sh -G "$g" "$u1" && useradd -M -d / -s /bin/sh -G "$g" "$u2" || skip "useradd failed"
trap 'userdel "$u1" 2>/dev/null; userdel "$u2" 2>/dev/null; groupdel "$g" 2>/dev/null; cleanup' EXIT
chmod 755 "$T"

# setup DIR OWNER:GROUP MODE: DIR/A and its cowlink DIR/B, as root.
setup() {
	mkdir -p "$1"
	printf 'original\n' >"$1/A"
	chown "$2" "$1/A"
	chmod "$3" "$1/A"
	"$COWLN_ABS" --reflink=never "$1/A" "$1/B" || fail "setup: cowln in $1"
}
# as USER DIR CMD: run CMD in DIR as USER under the shim; its stderr.
as() { su -s /bin/sh "$1" -c "cd $T/$2 && LD_PRELOAD=$SHIM sh -c '$3'" 2>&1; }

# works NAME USER DIR: an append, a chmod and a touch through B all work; A stays.
works() {
	local before after out
	pick before "$(snap_fields "$3/A")" logical
	out=$(as "$2" "$3" 'echo x >> B && chmod 600 B && touch -d "2011-01-01" B') || fail "$1: refused: $out"
	pick after "$(snap_fields "$3/A")" logical
	[ "$after" = "$before" ] || fail "$1: A changed: [$before] -> [$after]"
	[ "$(tail -n 1 "$3/B")" = x ] && [ "$(stat -c %a "$3/B")" = 600 ] || fail "$1: B did not get the changes"
	same_inode "$3/A" "$3/B" && fail "$1: A and B still share an inode"
	return 0
}
# refused NAME USER DIR CMD: CMD through B fails with EACCES; neither name changes.
refused() {
	local before after out
	pick before "$(snap_fields "$3/A")" raw
	out=$(as "$2" "$3" "$4") && fail "$1: [$4] worked, want EACCES"
	case $out in *"Permission denied"*) ;; *) fail "$1: [$4] said [$out], want EACCES" ;; esac
	pick after "$(snap_fields "$3/A")" raw
	[ "$after" = "$before" ] || fail "$1: A changed: [$before] -> [$after]"
	same_inode "$3/A" "$3/B" || fail "$1: B was broken although the call failed"
}

# Works: the owner in a sticky directory, in a directory another user owns
# but the owner's group may write, in one an ACL lets the owner write.
mkdir -m 1777 sticky && setup sticky "$u1:$u1" 644 && works sticky-owner "$u1" sticky
mkdir -m 775 grpdir && chown "$u2:$g" grpdir && setup grpdir "$u1:$g" 640 && works group-dir "$u1" grpdir
mkdir -m 755 acldir && setfacl -m "u:$u1:rwx" acldir && setup acldir "$u1:$u1" 644 && works acl-dir "$u1" acldir

# Refused: the copy could not keep the owner (or group), or the directory
# cannot be written.
mkdir -m 2775 grpw && chown "$u1:$g" grpw && setup grpw "$u1:$g" 660
refused group-member "$u2" grpw 'echo x >> B'
mkdir -m 777 aclw && setup aclw "$u1:$u1" 640 && setfacl -m "u:$u2:rw" aclw/A
refused acl-user "$u2" aclw 'echo x >> B'
mkdir -m 1777 stickyw && setup stickyw "$u1:$u1" 666
refused sticky-other "$u2" stickyw 'echo x >> B'
mkdir -m 755 ro && setup ro "$u1:$u1" 644 && chown "$u1" ro && chmod 555 ro
refused owner-readonly-dir "$u1" ro 'echo x >> B'
mkdir -m 755 fgrp && chown "$u1" fgrp && setup fgrp "$u1:root" 664
refused foreign-group "$u1" fgrp 'echo x >> B'
refused foreign-group-chmod "$u1" fgrp 'chmod 600 B'
refused foreign-group-touch "$u1" fgrp 'touch -d 2011-01-01 B'

# A cowlink that is a mount point cannot be replaced: EBUSY, nothing changes.
mkdir bind && setup bind root:root 644 && "$COWLN_ABS" --reflink=never bind/A bind/C
if mount --bind bind/C bind/B 2>/dev/null; then
	MOUNTS+=("$T/bind/B")
	out=$(under_shim sh -c 'echo x >> bind/B' 2>&1) && fail "a write to a mounted-over cowlink worked"
	case $out in *"busy"*) ;; *) fail "a mounted-over cowlink said [$out], want EBUSY" ;; esac
	umount bind/B
	cmp -s bind/A <(printf 'original\n') && cmp -s bind/C bind/A || fail "the failed write changed a name"
else
	note "no bind mount here: the EBUSY case is not run"
fi
exit 0
