/* SPDX-License-Identifier: MIT */
/* A job of the supervisor (docs/DESIGN.md §4b): what the loop (supervise.c)
 * decided on one notification, handed to a worker thread (act.c) that acts
 * with the target's credentials and answers. */
#ifndef CL_JOB_H
#define CL_JOB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "supervise.h"
#include "tname.h"

/* What a worker does. */
enum job_kind {
	JOB_NAME,       /* break the name decided on; an open is then made here */
	JOB_FD,         /* break the name of the target's fd, re-point it, go on */
	JOB_REMOVE,     /* do the removal for the target, then unshare the survivor */
};

struct job {
	int nfd;
	enum job_kind kind;
	struct seccomp_notif req;
	struct cl_break_opts o;
	int fd;                         /* JOB_FD: the target's fd */
	int obj;                        /* JOB_NAME: O_PATH fd on the object decided on */
	bool magic;                     /* JOB_NAME: the name is a magic link to OBJ */
	bool nofollow;                  /* JOB_NAME: the call does not follow a final symlink */
	bool has_from;                  /* JOB_REMOVE: a rename, from FROM */
	struct tname name;              /* the name to break; JOB_REMOVE: the victim */
	struct tname from;
};

/* act.c: hand J to a worker thread, which frees it; answered at once when
 * none can be had: the call fails, it never goes on unbroken. */
void cl_job_dispatch(struct job *j);
/* act.c: free J and what it holds. */
void cl_job_free(struct job *j);
/* act.c: answer the notification ID of listener NFD: let the call go on
 * (GO_ON), or return R (-errno or a value) in its place. */
void cl_answer(int nfd, uint64_t id, long r, bool go_on);
/* act.c: the position and status flags of the target's fd FD, from its
 * fdinfo. 0 or -errno. */
int cl_fd_info(pid_t pid, int fd, long long *pos, unsigned long *flags);

/* supervise.c: is the inode FD is open on (ST its fstat; OPATH: FD is
 * O_PATH) something to act on: a marked (or, with COWLINK_TREES set, any)
 * regular file with several names, or an orphaned mark? cl_verdict with
 * CL_VERDICT_ORPHANS | CL_VERDICT_WIDE (docs/DESIGN.md §4, "One decision"). */
bool cl_reaches_cowlink(int fd, bool opath, const struct stat *st);

#endif
