/* SPDX-License-Identifier: MIT */
/* The shim's decisions, shared by every wrapper family: is this path or fd a
 * cowlink, break it, and which name does an fd stand for. Implemented in
 * decide.c. All return 0 / 1 or -errno and keep errno (wrappers set it with
 * cl_ret). */
#ifndef CL_DECIDE_H
#define CL_DECIDE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "internal.h"

/* COWLINK_EXCLUDE named this program (init.c): every decision below answers
 * "not a cowlink" (or "nothing to break") before any system call of its
 * own, so that each wrapper passes its call straight through. */
extern bool cl_cow_off;

/* Is the inode that ST describes (from a stat of DIRFD/PATH, or of FD when
 * FD >= 0) a cowlink: a regular file with st_nlink > 1 that carries the mark
 * or lies under COWLINK_TREES? 1 yes (*r filled: recorded bits, version 0
 * for a malformed record or an unmarked scope file), 0 no, -errno. Costs no
 * system call when st_nlink == 1 or the file is not regular. */
int cl_cow_classify(int fd, int dirfd, const char *path, const struct stat *st,
		    struct cl_record *r);

/* The same, for presenting metadata only (stat, access): may answer from
 * the present cache shared by the user's processes (presentcache.c), which no
 * decision to write may trust. */
int cl_cow_classify_shown(int fd, int dirfd, const char *path,
			  const struct stat *st, struct cl_record *r);

/* CL_LOOK_TRIES, the one retry bound: internal.h. */

/* What the inode behind FD is, just opened by DIRFD/PATH (NOFOLLOW:
 * without following a final symlink) after T0, ST its fstat (refreshed
 * here when it is looked at again):
 *   CL_OPENED_SHARED  a cowlink (R its record): break PATH, open again;
 *   CL_OPENED_OURS    PATH's private file, or a plain hard link;
 *   CL_OPENED_AGAIN   PATH no longer leads to it, or it has names again;
 *   CL_OPENED_ORPHAN  one link and still marked: break it as an orphan;
 *   or -errno.
 * A break renames a private copy over PATH and then unshares the old inode,
 * the set's last name now, removing its mark: between our fstat and the
 * read of the mark that inode can turn from "marked, two links" to
 * "unmarked", so an unmarked one with several links is looked at again;
 * and one with one link changed since T0 (the rename changed its ctime;
 * LOOK: whatever its ctime) must still be what PATH leads to. NEW: created
 * by this very call (O_EXCL), nobody else's. Keeps errno. */
enum { CL_OPENED_OURS, CL_OPENED_SHARED, CL_OPENED_AGAIN, CL_OPENED_ORPHAN };
int cl_cow_opened(int fd, int dirfd, const char *path, bool nofollow,
		  struct stat *st, const struct timespec *t0, bool look, bool new,
		  struct cl_record *r);

/* Is the inode ST describes an orphan left without the shim (a cowlink's
 * other names removed by a program that bypassed it): a regular file with
 * one link, no owner write bit -- protection cleared it, and ordinary files
 * rarely lack it, so only those cost a read of the mark -- and the mark? 1
 * (*r filled), else 0. From FD when FD >= 0, else DIRFD/PATH, following a
 * final symlink (ST is what it leads to). Keeps errno. */
int cl_cow_orphan(int fd, int dirfd, const char *path, const struct stat *st,
		  struct cl_record *r);

/* The name an fd was opened by, for the f* forms: readlink of
 * /proc/self/fd/FD, trusted only when a stat of that path shows the fd's
 * (dev, ino). PATH gets PATH_MAX bytes. 0, or -errno (the call then fails):
 * -ETXTBSY when the fd has no trustworthy name (unlinked, renamed since,
 * not a file). */
int cl_cow_fd_path(int fd, const struct stat *fdst, char *path);

/* Was the name FD was opened by removed or replaced, while its inode
 * (FDST, st_nlink >= 1) lives on under other names? 1 yes: a change made
 * through FD would reach another name's file -- a cowlink broken since FD
 * was opened leaves its old inode to the other names -- 0 no. One readlink
 * of /proc/self/fd/FD. Keeps errno. */
int cl_cow_fd_name_gone(int fd, const struct stat *fdst);

/* Was the inode ST describes changed since T0, taken from
 * CLOCK_REALTIME_COARSE (the clock the kernel stamps ctime with)? Whole
 * seconds where the filesystem keeps no more. A break renaming a private
 * copy over a name changes the old inode's ctime: only an inode changed
 * during a call can be one a concurrent break is taking a name from. */
static inline bool cl_changed_since(const struct stat *st,
				    const struct timespec *t0)
{
	if (st->st_ctim.tv_sec != t0->tv_sec)
		return st->st_ctim.tv_sec > t0->tv_sec;
	return st->st_ctim.tv_nsec >= t0->tv_nsec || st->st_ctim.tv_nsec == 0;
}

/* CL_ESHARED (ETXTBSY): internal.h. */

/* The body of every write-open wrapper (w_open.c), for the other families
 * that open for writing (fopen): open DIRFD/PATH with FLAGS (one that
 * writes or truncates) so that the fd is never on a shared inode. The fd,
 * or -1 with errno. */
int cl_open_write(int dirfd, const char *path, int flags, mode_t mode);

/* A break (the fields not set are zero):
 *   by name, DIRFD/PATH, following a final symlink unless NOFOLLOW, keeping
 *   the first KEEP bytes (-1: all; every caller says which); IF_COW: only if
 *   it names a cowlink -- or, with ORPHANS, an orphaned marked inode, which
 *   is how a protected file answers EACCES -- and then 1 broken, 0 nothing
 *   to do; else 0 when the name now has a private inode or needed none. One
 *   fstatat when the name is not a multi-link regular file. A break that
 *   empties the name (KEEP 0) holds a spare fd across it, so that the
 *   caller's open cannot then fail for want of one (EMFILE) after the name
 *   lost its content;
 *   by fd, FDST set (FD's fstat; a cowlink: checked by the caller): the
 *   name behind FD, whose path NAME gets, so that the change is applied to
 *   the new private file by path; the fd keeps reading the old, identical
 *   data. 0 or -errno.
 * NEED: what the change asks of the caller (enum cl_need: CL_NEED_OWNER for
 * chmod, chown, utimes with times, file flags -- the owner may change a
 * read-only file -- or CL_NEED_WRITE_OR_OWNER; 0 is CL_NEED_WRITE, by the
 * presented mode), and the engine answers EPERM or EACCES accordingly.
 * SAME (internal.h): a change that may turn out to change nothing: the
 * engine asks SAME->test under its lock instead of copying; SAME->hit then
 * says nothing was broken and SAME->result is what the call returns (the
 * return value is as if the name had been broken).
 * NAME (PATH_MAX bytes, relative to DIRFD): the name that was broken, the
 * final symlinks of PATH resolved. Go on by NAME, not PATH: a magic link
 * (/proc/self/fd/N, /dev/stdout) still leads to the fd's old inode after
 * the break. Without NAME, PATH must still lead to the broken name, else
 * -CL_ESHARED. Keeps errno. */
struct cl_made {
	dev_t dev;
	ino_t ino;
};
struct cl_break_req {
	int dirfd;
	const char *path;
	bool nofollow;
	off_t keep;
	bool if_cow, orphans;
	int fd;
	const struct stat *fdst;
	enum cl_need need;
	struct cl_same *same;
	char *name;
	struct cl_made *made; /* NULL, or the copy's (dev, ino) when one was put
			       * in place (else left as it was) */
};
int cl_cow_break(const struct cl_break_req *q);

/* The request most callers make: break DIRFD/PATH if it is a cowlink (or,
 * with ORPHANS, an orphaned mark), keeping KEEP bytes; NAME as above. */
static inline int cl_cow_break_if_cow(int dirfd, const char *path, bool nofollow,
				      off_t keep, bool orphans, char *name)
{
	return cl_cow_break(&(struct cl_break_req){
		.dirfd = dirfd, .path = path, .nofollow = nofollow, .keep = keep,
		.if_cow = true, .orphans = orphans, .name = name });
}

/* The write family's slow path: FD is not known safe. One fstat; for
 * nlink > 1 the mark and the access mode. 0: go on (FD now cached safe where
 * it may be), -CL_ESHARED: a writable fd on a shared inode (one
 * COWLINK_DEBUG line), or -errno from reading the mark. Keeps errno. */
int cl_cow_check_fd(int fd);

/* Mark FD safe after a check that read SEEN from the fd table first. Also
 * makes sure the write family's real functions are resolved, so that the
 * fast paths may call real_write & co. without a NULL test. */
void cl_cow_mark_safe(int fd, uint8_t seen);

#endif
