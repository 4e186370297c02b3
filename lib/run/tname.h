/* SPDX-License-Identifier: MIT */
/* A name a target gave, as the supervisor looks at it (docs/DESIGN.md §4b,
 * "Decide on the object the kernel will use"): the target's text, relative
 * to an fd of ours on the target's cwd, dirfd, root or /proc/PID, never
 * behind a textual prefix that would change what it means or how long it
 * may be. cl_* names, hidden. */
#ifndef CL_TNAME_H
#define CL_TNAME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "supervise.h"

struct tname {
	int dirfd;          /* ours (cl_tname_free closes it), or AT_FDCWD */
	uint64_t resolve;   /* openat2 RESOLVE_* for every look at it: a chroot's
			       RESOLVE_IN_ROOT, or what the target's openat2 asked */
	char path[CL_TPATH_MAX];
};

/* The target PID's name at ADDR, relative to its DIRFD (AT_FDCWD: its
 * cwd), as its call would resolve it with the openat2 RESOLVE flags given
 * (0 for the other calls), into T. 0; 1 when there is nothing to look at
 * (the target is gone); else the -errno the kernel gives the call (EFAULT,
 * ENAMETOOLONG, ENOENT for an empty name, EBADF for a dirfd it lacks). An
 * empty name with AT_EMPTY_PATH is the caller's business, not this. */
int cl_tname_get(pid_t pid, int dirfd, uint64_t addr, uint64_t resolve, struct tname *t);

/* Close what T holds; T is empty (dirfd AT_FDCWD) afterwards. */
void cl_tname_free(struct tname *t);

/* openat (openat2 with T's RESOLVE flags) of T with FLAGS and MODE: an fd
 * or -errno. */
int cl_tname_open(const struct tname *t, int flags, mode_t mode);

/* The directory T's last name is in, as an fd (O_PATH) into *DIR, and
 * that last name into BASE (NAME_MAX + 1): how a call that acts on the
 * entry itself (unlink, rename) is made on the object decided on. 0 or
 * -errno. */
int cl_tname_parent(const struct tname *t, int *dir, char *base);

/* Is the O_PATH fd FD, opened without following, a magic link of /proc
 * (fd/N, cwd, exe...), which the kernel follows to an open file, not by
 * its text? */
bool cl_is_magic_link(int fd, const struct stat *st);

/* The absolute name, in the supervisor's root, of what the O_PATH fd FD
 * is open on, into OUT (PATH_MAX), trusted only when that name still is
 * FD's inode (*ST) and not a symlink. 0 or -ETXTBSY. */
int cl_fd_name_of(int fd, const struct stat *st, char *out);

#endif
