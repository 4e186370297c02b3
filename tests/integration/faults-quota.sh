# SPDX-License-Identifier: MIT
# Quota (issue 5): a break is charged to the writer's quota; one that does
# not fit fails with EDQUOT and changes nothing.
. "$(dirname "$0")/lib.sh"
need_root
need setpriv setquota quotaon
[ -n "${LIBCOWLINK:-}" ] && [ -x "${COWLN:-}" ] || fail "needs cowln and libcowlink.so"
state() { (cd "$1" && ls -a && find . -maxdepth 1 -type f -exec stat -c '%n %i %h %a %s' {} + -exec sha256sum {} + | sort); }
asuser() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# ---- EDQUOT: the break is charged to the writer's quota.
q=$(loopfs ext4 64 -O quota -E quotatype=usrquota 2>/dev/null) ||
	skip "ext4 with the quota feature cannot be mounted here (a kernel without CONFIG_QUOTA/CONFIG_QFMT_V2 refuses it)"
quotaon "$q" 2>/dev/null || true
mkdir "$q/u" && chown 65534:65534 "$q/u"
head -c 4M /dev/urandom >"$q/u/a" && chown 65534:65534 "$q/u/a"
"$COWLN" "$q/u/a" "$q/u/b"
setquota -u 65534 3000 3000 0 0 "$q"
before=$(state "$q/u")
if asuser env LD_PRELOAD="$PRELOAD" bash -c "echo x >> '$q/u/b'" 2>out; then fail "break over quota succeeded"; fi
grep -q "quota exceeded" out || fail "EDQUOT not reported: $(cat out)"
[ "$before" = "$(state "$q/u")" ] || fail "a failed break (EDQUOT) changed the directory"
exit 0
