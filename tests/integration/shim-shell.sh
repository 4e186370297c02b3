#!/usr/bin/env bash
# Shell writers under the shim: redirections by bash and dash, tee, and fds
# 0-2 inherited from a shell without the shim (the constructor re-points a
# writable stdout/stderr on a shared inode at the private copy).
. "$(dirname "$0")/lib.sh"
need_shim
need dash tee

writer bash-trunc 'echo new > b'
writer bash-append 'echo more >> b'
writer bash-rdwr 'printf XY 1<>b'
writer bash-exec-fd 'exec 3>>b; echo three >&3; echo again >&3'
writer bash-noclobber-force 'set -o noclobber; echo forced >| b'
writer dash-append 'dash -c "echo dash >> b"'
writer dash-trunc 'dash -c "echo dash > b"'
writer tee-append 'echo teed | tee -a b'
writer tee-trunc 'echo teed | tee b'

# The shell opens b without the shim; the program it starts has the shim.
writer -n inherited-stdout-append 'exec >>b; LD_PRELOAD="$PRELOAD" /bin/echo hello'
writer -n inherited-stdout-rdwr 'exec 1<>b; LD_PRELOAD="$PRELOAD" /bin/echo hi'
writer -n inherited-stderr-append 'exec 2>>b; LD_PRELOAD="$PRELOAD" ls /nonexistent-cowlink-test; true'
writer -n inherited-stdout-cat 'exec >>b; LD_PRELOAD="$PRELOAD" cat /etc/hostname'

# noclobber without force must refuse an existing b and change nothing.
mkdir -p "$T/noclobber" && cd "$T/noclobber"
seed_file a && cow_link a b
s=$(snapshot a)
if under_shim bash -c 'set -o noclobber; echo x > b' 2>/dev/null; then fail "noclobber let > overwrite b"; fi
expect_unchanged a "$s"; expect_unchanged b "$s"
same_inode a b || fail "a refused redirection broke the link"

# A read-only stdin on a shared inode is left alone.
mkdir -p "$T/stdin" && cd "$T/stdin"
seed_file a && cow_link a b
s=$(snapshot a)
LD_PRELOAD="$PRELOAD" cat <b >/dev/null
same_inode a b || fail "a read-only stdin broke the link"
expect_unchanged a "$s"
