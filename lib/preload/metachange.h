/* SPDX-License-Identifier: MIT */
/* The rule every metadata change follows (docs/DESIGN.md §4), shared by
 * w_meta.c and w_xattr.c: break the name first, then apply the change with
 * the real call; for the f* forms on an fd that refers to a shared inode,
 * break the fd's name and apply the change by path to the new private file.
 * Implemented in metachange.c. */
#ifndef CL_METACHANGE_H
#define CL_METACHANGE_H

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

#include "internal.h"
#include "peek.h"

/* PATH as the caller passed it, NULL included: glibc declares most paths
 * nonnull, and the compiler drops a NULL test of such a parameter (even
 * with -fno-delete-null-pointer-checks) -- but a NULL must get libc's
 * answer (EFAULT), not a crash. Every NULL test of a wrapper's path goes
 * through this. */
static inline const char *cl_path_arg(const char *path)
{
	__asm__("" : "+r"(path));
	return path;
}

/* *at-style arguments that name the fd itself: AT_EMPTY_PATH with "", or
 * (utimensat, futimesat, statx) a NULL path. PATH is read only with
 * AT_EMPTY_PATH, and must have been accepted by the kernel then (w_stat.c
 * asks after the real call); before that, cl_names_fd_peek. */
static inline bool cl_names_fd(const char *path, int flags)
{
	path = cl_path_arg(path);
	return !path || ((flags & AT_EMPTY_PATH) && path[0] == '\0');
}

/* The same before the kernel has seen PATH: an unreadable one names no fd,
 * and the real call by name says EFAULT. A system call only with
 * AT_EMPTY_PATH. */
static inline bool cl_names_fd_peek(const char *path, int flags)
{
	path = cl_path_arg(path);
	return !path || ((flags & AT_EMPTY_PATH) && cl_peek_empty(path));
}

/* What a metadata change is, for the rules around its break. */
enum {
	/* An orphaned mark is unshared in place first (chmod: the record must
	 * not outlive a mode the user chose; costs one getxattr on one-link
	 * regular files). */
	CL_META_ORPHANS = 1,
	/* Only the owner (or CAP_FOWNER) may make it -- chmod, chown, explicit
	 * times, inode flags, ACLs: the break asks ownership, not write
	 * permission (the owner may chmod a read-only file), and others get
	 * EPERM as from the real copy. */
	CL_META_OWNER = 2,
	/* Times set to now: write permission or ownership. Without OWNER or
	 * NOW the break asks write permission (user xattrs). */
	CL_META_NOW = 8,
	/* The call works on an O_PATH fd too (fchownat with AT_EMPTY_PATH):
	 * such an fd on a shared inode is broken like any other. */
	CL_META_OPATH = 4,
};

/* One metadata call in progress: what to break again if the real call meets
 * a protected orphan, and the caller's errno to restore on success. */
struct cl_meta {
	int saved;
	int dirfd;
	const char *path;
	const char *target;     /* where to apply the change: PATH, or after a
				 * break the name that was broken (a magic link
				 * still leads to the old inode) */
	char name[PATH_MAX];
	int fd;
	int how;
	bool nofollow;
	bool retried;
	/* When set, TARGET is "/proc/self/fd/<pin>", an O_PATH fd on exactly
	 * the inode that was looked at: apply the change to it with the call
	 * that follows symlinks (chmod, chown, setxattr, removexattr;
	 * utimensat from AT_FDCWD without AT_SYMLINK_NOFOLLOW). */
	bool pinned;
	int pin;
	const char *byname;     /* TARGET before it was pinned */
	char proc[CL_PROC_FD_MAX];
	struct cl_same *same;   /* NULL, or how to tell a change that is none */
};

/* Before a change of DIRFD/PATH: break it when it names a cowlink, by the
 * CL_META_* rules in HOW. 0 -- apply the change to DIRFD/m->target -- or
 * -1 with errno set. SAME (internal.h), when not NULL, tells a change that
 * may change nothing: 1 when it is none on a cowlink -- nothing broken,
 * nothing to apply: the call returns 0 (errno restored) -- and -1 with
 * errno also when the unchanged call fails (EPERM, EEXIST...). */
int cl_meta_begin_same(struct cl_meta *m, int dirfd, const char *path,
		       bool nofollow, int how, struct cl_same *same);
/* After the real call returned R: true when it failed with EACCES on a
 * protected orphan (a user xattr needs write permission) that is now
 * unshared: call it once more (errno is restored). False: done (the pin,
 * if any, is let go; errno as the call left it). */
bool cl_meta_again(struct cl_meta *m, int r);

/* Before a change through FD: 1 when FD's inode was shared and its name is
 * now broken -- PATH (PATH_MAX bytes) names the private file, apply the
 * change to it by path, not following a symlink; 0: apply it to FD; -1 with
 * errno: fail (ETXTBSY when FD has no trustworthy name). HOW as above. */
int cl_meta_fd_begin(struct cl_meta *m, int fd, int how, char *path);
/* The same with SAME: 2 when the change is none on a cowlink (the call
 * returns 0), else as cl_meta_fd_begin. */
int cl_meta_fd_begin_same(struct cl_meta *m, int fd, int how, char *path,
			  struct cl_same *same);
/* cl_meta_again for the fd forms. */
bool cl_meta_fd_again(struct cl_meta *m, int r);

/* A whole change, begin to end, for the wrappers' shared bodies. By name:
 * cl_meta_begin_same (NOFOLLOW, HOW, SAME), then APPLY(M, ARG) -- which
 * goes by M->target, pinned or not -- until cl_meta_again is done. By fd:
 * cl_meta_fd_begin_same, then BY_FD(ARG, FD), or BY_PATH(ARG, path) on the
 * new private file when the fd's name was broken. The call's result. */
typedef int cl_meta_apply_fn(const struct cl_meta *m, const void *arg);
typedef int cl_meta_by_fd_fn(const void *arg, int fd);
typedef int cl_meta_by_path_fn(const void *arg, const char *path);
int cl_meta_change(int dirfd, const char *path, bool nofollow, int how,
		   struct cl_same *same, cl_meta_apply_fn *apply, const void *arg);
int cl_meta_fd_change(int fd, int how, struct cl_same *same,
		      cl_meta_by_fd_fn *by_fd, cl_meta_by_path_fn *by_path,
		      const void *arg);

/* ---- nochange.c: the changes that may be none (docs/DESIGN.md §4) ---- */

/* Each is a cl_same test (internal.h): 1 the change leaves the cowlink as
 * it is, -errno the call fails without a change, 0 a real change. */
struct cl_same_owner {
	uid_t uid; /* -1: unchanged */
	gid_t gid;
};
struct cl_same_times {
	struct timespec ts[2];
	long unit; /* the call's precision in ns: 1 utimensat, 1000 utimes, 1e9 utime */
};
struct cl_same_xattr {
	const char *name;
	const void *val; /* NULL for removexattr */
	size_t n;
	int flags;
	bool remove;
};
int cl_same_mode(int fd, const struct stat *st, mode_t shown, const void *arg);
int cl_same_owner(int fd, const struct stat *st, mode_t shown, const void *arg);
int cl_same_times(int fd, const struct stat *st, mode_t shown, const void *arg);
int cl_same_xattr(int fd, const struct stat *st, mode_t shown, const void *arg);

#endif
