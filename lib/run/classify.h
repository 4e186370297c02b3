/* SPDX-License-Identifier: MIT */
/* What one notification of the supervisor is (classify.c, from the rows of
 * syscalls.def): which name or fd the trapped call reaches, and what it
 * needs of the caller. cl_* names, hidden. */
#ifndef CL_CLASSIFY_H
#define CL_CLASSIFY_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "internal.h"

/* What one system call is to us. */
struct call {
	enum { C_NONE, C_NAME, C_FD_DATA, C_FD_META, C_REMOVE, C_HANDLE } what;
	int dirfd;          /* C_NAME, C_REMOVE: the dirfd argument (or AT_FDCWD) */
	uint64_t path;      /* address of the path argument */
	int fromdir;        /* rename: the source */
	uint64_t from;
	int fd;             /* C_FD_*: the target's fd */
	bool nofollow;
	uint64_t resolve;   /* openat2's RESOLVE_* flags, kept for every look */
	off_t keep;
	enum cl_need need;
	int flags;          /* open flags; C_NONE when they ask for no break */
};


/* Classify REQ; *C says what to look at (C_NONE: nothing, let it go on). */
void cl_classify(const struct seccomp_notif *req, struct call *c);

#endif
