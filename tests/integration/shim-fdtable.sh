#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Descriptors the shim did not open: the write family, ftruncate,
# fallocate, posix_fallocate, copy_file_range/sendfile/splice targets,
# fdopen, dprintf, POSIX AIO writes and shared mmap on a writable fd that refers to a shared inode
# (inherited from a shell without the shim, or opened before the link was
# made) fail with ETXTBSY and change nothing; on a private file they work
# as on a plain copy; the fd table forgets an fd whose number changed
# meaning (dup2, dup3, dup, fcntl F_DUPFD, fclose + recvmsg).
# modes: preload run
# ctest: LABELS quick
. "$(dirname "$0")/lib.sh"
need_shim
export IN="$T/in"
mkdir -p "$IN"
printf 'copied in by the kernel\n' >"$IN/src"

# name:program:args (FD is 3)
calls=(
	write:api_write:3
	pwrite:api_pwrite:3 pwrite64:api_pwrite64:3
	writev:api_writev:3 pwritev:api_pwritev:3 pwritev64:api_pwritev64:3
	pwritev2:api_pwritev2:3 pwritev64v2:api_pwritev64v2:3
	ftruncate:api_ftruncate:"3 7" ftruncate64:api_ftruncate64:"3 7"
	ftruncate0:api_ftruncate:"3 0"
	fallocate:api_fallocate:"3 65536" fallocate64:api_fallocate64:"3 65536"
	posix_fallocate:api_posix_fallocate:"3 65536" posix_fallocate64:api_posix_fallocate64:"3 65536"
	copy_file_range:api_copy_file_range:"\$IN/src 3"
	sendfile:api_sendfile:"\$IN/src 3" sendfile64:api_sendfile64:"\$IN/src 3"
	splice:api_splice:3
	mmap-shared:api_mmap:3 mmap64-shared:api_mmap64:3 mmap-validate:api_mmap:"3 validate"
	fdopen:api_fdopen:"3 r+"
	dprintf:api_dprintf:3 dprintf-chk:api_dprintf_chk:3
	aio_write:api_aio_write:3 aio_write64:api_aio_write64:3 lio_listio:api_lio_listio:3
)
for c in "${calls[@]}"; do
	IFS=: read -r name prog args <<<"$c"
	# Inherited from a shell without the shim: refused, nothing changes.
	refused -n "$name-inherited" ETXTBSY "exec 3<>b; under_shim \"\$P/$prog\" $args"
	# Opened through the shim: a private file, the call works as on a copy.
	writer "$name-private" "exec 3<>b; \"\$P/$prog\" $args"
done

# O_APPEND inherited fds too, and an fd opened before the name was linked
# (by hand: cowln would refuse a source open for writing).
refused -n write-inherited-append ETXTBSY 'exec 3>>b; under_shim "$P/api_write" 3'
mkdir -p "$T/before-link" && cd "$T/before-link"
seed_file a
exec 3<>a
cow_link_by_hand a b
cow_link_by_hand a c
pick raw "$(snap_fields a)" raw
for prog in "api_write 3" "api_ftruncate 3 0" "api_pwrite 3" "api_mmap 3" "api_fallocate 3 65536"; do
	out=$(under_shim "$COWLINK_PROGS"/$prog) || true
	[ "$out" = ETXTBSY ] || fail "fd opened before the link: $prog printed [$out], want ETXTBSY"
done
exec 3<&-
expect_one_inode before-link "$T/before-link" "$raw"
note "ok: before-link"

# A private mapping and a read-only shared mapping of the shared inode are
# not writes: allowed, nothing changes.
refused -n mmap-private ok 'exec 3<>b; under_shim "$P/api_mmap" 3 private'

# The fd table keeps no stale "safe" when a number changes meaning.
mkdir -p "$T/reuse" && cd "$T/reuse"
seed_file a && cow_link a b c
: >plain
pick raw "$(snap_fields a)" raw
out=$(exec 3<>b; under_shim "$COWLINK_PROGS/fdreuse" 3 plain) || true
want='inherited ETXTBSY
dup2 ETXTBSY
dup3 ETXTBSY
close+dup ETXTBSY
fcntl-dupfd ETXTBSY
fcntl-dupfd-cloexec ETXTBSY
fclose+recvmsg ETXTBSY
fclose+recvmmsg ETXTBSY
plain ok'
[ "$out" = "$want" ] || fail "fd reuse: got [$out] want [$want]"
expect_one_inode reuse "$T/reuse" "$raw"
note "ok: fd-reuse"
