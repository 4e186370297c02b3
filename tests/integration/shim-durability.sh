#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# COWLINK_FSYNC=auto (docs/DESIGN.md §5, durability): a break on ext4 leaves
# its copy unsynced only where the replacing rename writes the data first,
# which ext4 does with auto_da_alloc in data=ordered mode; mounted with
# noauto_da_alloc or data=writeback it does not, and the copy must be
# synced before the rename, or a power loss may leave the name short or
# empty. Counted with strace on a loop-mounted ext4 in each mode, for a
# break by the shim, by cowlink run (its shim in a dynamic program, its
# supervisor for a static C or Go one) and by a user who is not root.
. "$(dirname "$0")/lib.sh"
need_shim
need_root
need strace
mnt=$(loopfs ext4 32)
img=$mnt.img

# The break is made by whoever the writer runs under: the shim preloaded
# into a dynamic program, the shim that cowlink run preloads, or cowlink
# run's supervisor for a static C or Go program (which no preload
# reaches); and by a user who is not root, in a sticky directory open to
# all (as /tmp).
ways=(preload)
SV=
if [ -x "${COWLINK_TOOL:-}" ]; then
	ways+=(run-dyn)
	if gcc -static -O1 -o "$T/sv" "$COWLINK_SRC/tests/integration/static/sv_calls.c" 2>"$T/gcc.err"; then
		SV=$T/sv
		ways+=(run-static)
	else
		note "gcc -static cannot link here: no static program ($(head -c 200 "$T/gcc.err"))"
	fi
	if ! command -v go >/dev/null; then
		note "no go (Debian golang-go): the Go case is left out"
	elif GOCACHE=$T/gocache GOPATH=$T/gopath GO111MODULE=off CGO_ENABLED=0 \
		go build -o "$T/gowriter" "$COWLINK_SRC/tests/integration/static/gowriter.go" 2>"$T/go.err"; then
		ways+=(run-go)
	else
		fail "go build failed: $(head -c 300 "$T/go.err")"
	fi
else
	note "no cowlink tool: the cowlink run cases are left out"
fi
command -v setpriv >/dev/null && ways+=(nobody) || note "no setpriv: the non-root case is left out"

# syncs WAY [ENV...]: break $mnt/d/b (a cowlink of $mnt/d/a) by appending
# a line, the writer run as WAY says; print how many fdatasync/fsync calls
# the break made (the supervisor's too), and check the names.
syncs() {
	local way=$1 d=$mnt/d before line=more
	shift
	rm -rf "$d" && mkdir "$d"
	head -c 200000 /dev/urandom >"$d/a"
	if [ "$way" = nobody ]; then
		chmod 755 "$T" "$mnt"
		chmod 1777 "$d"
		chown 65534:65534 "$d/a"
	fi
	before=$(snapshot "$d/a")
	cow_link "$d/a" "$d/b"
	local -a cmd=(env LD_PRELOAD="$PRELOAD" sh -c "echo more >>'$d/b'")
	case $way in
	run-dyn) cmd=(env LD_PRELOAD= "$COWLINK_TOOL" run -- sh -c "echo more >>'$d/b'") ;;
	run-static) cmd=(env LD_PRELOAD= "$COWLINK_TOOL" run -- "$SV" open "$d/b") line=appended ;;
	run-go) cmd=(env LD_PRELOAD= "$COWLINK_TOOL" run -- "$T/gowriter" append "$d/b") line=appended ;;
	nobody) cmd=(setpriv --reuid=65534 --regid=65534 --clear-groups "${cmd[@]}") ;;
	esac
	env "$@" strace -f -qq -e trace=fdatasync,fsync -o "$T/trace" "${cmd[@]}" >/dev/null ||
		fail "the append failed ($way $*)"
	expect_unchanged "$d/a" "$before"
	[ "$(stat -c %h "$d/a")" = 1 ] || fail "a still shares its inode ($way $*)"
	[ "$(tail -c $((${#line} + 1)) "$d/b")" = $line ] || fail "b did not get the line ($way $*)"
	grep -cE '^[0-9]+ +f(data)?sync\(' "$T/trace" || true
}

for w in "${ways[@]}"; do
	n=$(syncs "$w")
	[ "$n" = 0 ] || fail "$w, ext4 with auto_da_alloc, data=ordered: $n syncs, want none"
	n=$(syncs "$w" COWLINK_FSYNC=always)
	[ "$n" -ge 1 ] || fail "$w, COWLINK_FSYNC=always: no sync"
done

mount -o remount,noauto_da_alloc "$mnt" || skip "cannot remount with noauto_da_alloc"
grep -q " $mnt .*noauto_da_alloc" /proc/self/mountinfo || skip "noauto_da_alloc not shown"
for w in "${ways[@]}"; do
	n=$(syncs "$w")
	[ "$n" -ge 1 ] || fail "$w, ext4 with noauto_da_alloc: the copy was not synced"
	n=$(syncs "$w" COWLINK_FSYNC=never)
	[ "$n" = 0 ] || fail "$w, COWLINK_FSYNC=never: $n syncs"
done

umount "$mnt" || fail "umount"
mount -o loop,data=writeback "$img" "$mnt" || skip "cannot mount with data=writeback"
for w in "${ways[@]}"; do
	n=$(syncs "$w")
	[ "$n" -ge 1 ] || fail "$w, ext4 with data=writeback: the copy was not synced"
done
note "ok: ${ways[*]}"
