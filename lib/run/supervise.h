/* SPDX-License-Identifier: MIT */
/* The seccomp supervisor of cowlink_spawn() (docs/DESIGN.md §4b): the filter,
 * the view of a target process (its memory, its names, its credentials) and
 * the handling of one notification. cl_* names, hidden. */
#ifndef CL_SUPERVISE_H
#define CL_SUPERVISE_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/types.h>

#include "internal.h"

/* System call numbers the C library's headers may not know yet (the same
 * on every architecture: the common table of Linux 6.6 and 6.13). */
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif
#ifndef __NR_setxattrat
#define __NR_setxattrat 463
#endif
#ifndef __NR_removexattrat
#define __NR_removexattrat 466
#endif

/* filter.c: lay the filter out in OUT (MAX instructions); returns the
 * number of instructions or -E2BIG. FLAGS: COWLINK_SPAWN_*. */
int cl_filter_build(struct sock_filter *out, size_t max, unsigned flags);

/* target.c: a target process as the supervisor sees it. */

/* Read N bytes at ADDR of PID (process_vm_readv, else /proc/PID/mem).
 * 0 or -errno (a short read is -EFAULT). */
int cl_target_read(pid_t pid, uint64_t addr, void *buf, size_t n);
/* Read the NUL-terminated string at ADDR (at most N bytes with the NUL):
 * its length, -ENAMETOOLONG, or -errno. */
ssize_t cl_target_read_str(pid_t pid, uint64_t addr, char *buf, size_t n);

/* The supervisor's name for PATH as PID would resolve it relative to
 * DIRFD (its AT_FDCWD or an fd of its own), into OUT (CL_TPATH_MAX):
 * "/proc/PID/root/..." for an absolute path, "/proc/PID/cwd/..." or
 * "/proc/PID/fd/DIRFD/..." for a relative one. -ENAMETOOLONG. */
#define CL_TPATH_MAX (PATH_MAX + 48)
int cl_target_path(pid_t pid, int dirfd, const char *path, char *out);
/* "/proc/PID/fd/FD" into OUT (CL_TPATH_MAX). */
void cl_target_fd_path(pid_t pid, int fd, char *out);

/* Take on, in the calling thread only, the file-system credentials of PID
 * (fsuid, fsgid, supplementary groups, effective capabilities), so that
 * what the thread does next is checked by the kernel -- and by
 * cl_may_break -- as PID's own call would be. A supervisor that is not
 * root keeps its own (they are the target's: no set-ID under no_new_privs).
 * 0 or -errno. The thread must end afterwards, or never act for another. */
int cl_target_become(pid_t pid);

/* act.c: is the directory that holds the name PATH under
 * COWLINK_TREES (cl_scope_init)? */
bool cl_scope_of_name(const char *path);

/* supervise.c: wait for and handle the notifications of listener NFD
 * until no target is left; reaps children (the supervisor is their
 * subreaper) and returns the wait status of CHILD. With FORWARD, SIGTERM
 * and SIGHUP (blocked by the caller) sent to the supervisor are passed on
 * to CHILD. */
int cl_supervise(int nfd, pid_t child, bool forward);

#endif
