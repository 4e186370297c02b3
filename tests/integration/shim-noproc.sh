#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Without /proc (a mount namespace or chroot without it: minimal
# containers): a change of a cowlink's metadata or data by name works as
# root and as a non-root owner -- the shim changes by name what it would
# have reached through /proc/self/fd, and a break links its copy in under a
# hidden name -- and a change through an fd, whose name nothing else can
# tell, fails with ETXTBSY and one debug line saying why, never ENOENT for a
# file that exists. The other name never changes.
. "$(dirname "$0")/lib.sh"
need_shim
need_root
need unshare setpriv setfattr python3
[ -z "${COWLINK_ASAN_RUNTIME:-}" ] || skip "the ASan runtime itself needs /proc (its maps and executable)"
unshare -m true 2>/dev/null || skip "no mount namespace here"

# in_noproc CMD: CMD by bash in a mount namespace whose /proc is unmounted.
in_noproc() {
	unshare -m bash -c 'umount -l /proc && ! [ -e /proc/self ] && eval "$1"' noproc "$1"
}

chmod 755 "$T"
mkdir w && cd w
for n in chmod setfattr touch chown user-chmod user-setfattr user-append fd-chmod; do
	printf 'data of %s\n' "$n" >"a-$n"
	cow_link "a-$n" "b-$n"
done
chown 65534:65534 . a-user-* b-user-*
for n in a-*; do
	eval "snap_${n//-/_}=\$(cow_snapshot \$n)"
done

export PRELOAD
user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
in_noproc '
	set -e
	LD_PRELOAD=$PRELOAD chmod 600 b-chmod
	LD_PRELOAD=$PRELOAD setfattr -n user.more -v 1 b-setfattr
	LD_PRELOAD=$PRELOAD touch -d 2001-02-03 b-touch
	LD_PRELOAD=$PRELOAD chown 65534:0 b-chown
	'"${user[*]}"' env LD_PRELOAD=$PRELOAD chmod 600 b-user-chmod
	'"${user[*]}"' env LD_PRELOAD=$PRELOAD setfattr -n user.more -v 1 b-user-setfattr
	'"${user[*]}"' env LD_PRELOAD=$PRELOAD sh -c "echo more >> b-user-append"
	' 2>err || fail "a change by name without /proc failed: $(cat err)"

[ "$(stat -c %a b-chmod)" = 600 ] || fail "chmod: b is $(stat -c %a b-chmod)"
[ "$(getfattr --only-values -n user.more b-setfattr)" = 1 ] || fail "setfattr: b lacks the attribute"
[ "$(stat -c %Y b-touch)" = "$(date -d 2001-02-03 +%s)" ] || fail "touch: b's mtime is $(stat -c %y b-touch)"
[ "$(stat -c %u:%g b-chown)" = 65534:0 ] || fail "chown: b is $(stat -c %u:%g b-chown)"
[ "$(stat -c %a b-user-chmod)" = 600 ] || fail "the owner's chmod: b is $(stat -c %a b-user-chmod)"
[ "$(getfattr --only-values -n user.more b-user-setfattr)" = 1 ] || fail "the owner's setfattr: b lacks it"
tail -n 1 b-user-append | grep -qx more || fail "the owner's append is missing"

# Through an fd: refused, with the reason, and nothing changed.
in_noproc 'COWLINK_DEBUG=1 LD_PRELOAD=$PRELOAD python3 -c "
import errno, os
fd = os.open(\"b-fd-chmod\", os.O_RDONLY)
try:
    os.fchmod(fd, 0o600)
except OSError as e:
    assert e.errno == errno.ETXTBSY, e
else:
    raise SystemExit(\"fchmod of a cowlink went through\")
"' 2>err || fail "fchmod through an fd without /proc: $(cat err)"
grep -q "no /proc here, its name cannot be found" err || fail "no debug line says why: $(cat err)"
same_inode a-fd-chmod b-fd-chmod || fail "the refused fchmod broke the set"

for n in a-*; do
	eval "expect_cow_unchanged \$n \"\$snap_${n//-/_}\""
done
for n in chmod setfattr touch chown user-chmod user-setfattr user-append; do
	same_inode "a-$n" "b-$n" && fail "$n: b was not broken"
done
no_litter .
exit 0
