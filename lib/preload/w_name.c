/* SPDX-License-Identifier: MIT */
/* Calls that remove a name (docs/DESIGN.md §1, §4 "Names"). A name removed by
 * unlink, unlinkat, remove or a rename over it may leave a marked inode
 * with one name: that survivor is nobody else's data any more and is
 * unshared in place (write bits back, then the mark), so that it is an
 * ordinary file again. Only a regular file with exactly two links can leave
 * one: anything else costs the one lstat that tells.
 *
 * Renames between two names of one cowlink set: POSIX makes a rename
 * between two links of one inode a no-op that returns 0; for two names that
 * stand for separate files the caller means "replace NEW with OLD", which
 * for identical copies leaves NEW as it is and removes OLD. So that is what
 * we do: unlink OLD, return 0. RENAME_EXCHANGE and RENAME_NOREPLACE remove
 * no name and pass straight through. */
#include <limits.h>
#include <string.h>

#include "decide.h"
#include "preload.h"
#include "real.h"

/* Split PATH into its directory part (DIR, PATH_MAX bytes; "." when none)
 * and return its last component. NULL when PATH ends in a slash or is too
 * long: the real call decides those. */
static const char *split(const char *path, char *dir)
{
	const char *base = cl_path_split(path, dir, PATH_MAX);

	return base && *base ? base : NULL;
}

/* The inode behind a name about to be removed, when that can leave its
 * last other name an orphan: DIRFD/PATH (not followed) is a regular file
 * with two links, VST its lstat. A read-only fd on it, or -1. */
static int hold_victim(int dirfd, const char *path, const struct stat *vst)
{
	struct stat st;
	int fd;

	if (!S_ISREG(vst->st_mode) || vst->st_nlink != 2)
		return -1;
	fd = cl_openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		       O_CLOEXEC, 0);
	if (fd < 0)
		return -1; /* unreadable: its mark could not be read either */
	if (cl_fstat(fd, &st) < 0 || st.st_dev != vst->st_dev || st.st_ino != vst->st_ino) {
		(void)cl_close(fd);
		return -1;
	}
	return fd;
}

/* After the name went (R the call's result): unshare the inode behind FD
 * (from hold_victim) if it is now a marked inode with one name. Someone who
 * may not change it (not its owner) leaves it as it is: presentation and
 * cowlink fsck still treat it as the orphan it is. Keeps errno. */
static void release_victim(int fd, int r)
{
	struct cl_record rec;
	struct stat st;
	/* cl_mark_read_fd and cl_unshare_orphan do not promise to keep errno;
	 * the unlink or rename's own result must survive them. */
	int saved = errno;

	if (fd < 0)
		return;
	if (r == 0 && cl_fstat(fd, &st) == 0 && st.st_nlink == 1 &&
	    cl_mark_read_fd(fd, &rec) > 0) {
		int e = cl_unshare_orphan(fd, &st, &rec);

		cl_debug("the last name of a cowlink set is left: unshared in "
			 "place (%d)", -e);
	}
	(void)cl_close(fd);
	errno = saved;
}

/* Are OLDDIR/OLD and NEWDIR/NEW (NST its lstat, a multi-link regular file)
 * two different names of one cowlink set? 1 yes (*nd gets NEW's directory,
 * *st OLD's lstat), 0 no -- or it cannot be told, and the real rename
 * decides. Keeps errno. */
static int one_set(int olddir, const char *old, int newdir, const char *new_,
		   const struct stat *nst, struct stat *st, struct stat *nd)
{
	char odir[PATH_MAX], ndir[PATH_MAX];
	const char *obase, *nbase;
	struct cl_record r;
	struct stat od;
	/* cl_cow_classify does not promise to keep errno; the rename that
	 * follows must see the caller's. */
	int saved = errno, res = 0;

	if (!old || cl_fstatat(olddir, old, st, AT_SYMLINK_NOFOLLOW) < 0)
		goto out;
	if (nst->st_dev != st->st_dev || nst->st_ino != st->st_ino)
		goto out;
	/* One inode: the same directory entry twice ("a" and "./a") is the
	 * POSIX no-op, and stays one. */
	obase = split(old, odir);
	nbase = split(new_, ndir);
	if (!obase || !nbase)
		goto out;
	if (cl_fstatat(olddir, odir, &od, 0) < 0 ||
	    cl_fstatat(newdir, ndir, nd, 0) < 0)
		goto out;
	if (od.st_dev == nd->st_dev && od.st_ino == nd->st_ino &&
	    strcmp(obase, nbase) == 0)
		goto out;
	res = cl_cow_classify(-1, olddir, old, st, &r) > 0;
out:
	errno = saved;
	return res;
}

/* May the caller replace an entry of directory ND (its stat) holding an
 * inode of ST? What the kernel would have checked for NEW's side of the
 * rename (write and search permission, the sticky bit); OLD's side is
 * checked by the unlink itself. 0 or -errno. */
static int may_replace(int newdir, const char *new_, const struct stat *st,
		       const struct stat *nd)
{
	char ndir[PATH_MAX];
	uid_t uid = geteuid();
	int saved = errno, e = 0; /* the real faccessat's errno is the answer, not errno */

	if (!split(new_, ndir))
		return 0;
	if (REAL(faccessat)(newdir, ndir, W_OK | X_OK, AT_EACCESS) < 0)
		e = -errno;
	else if ((nd->st_mode & S_ISVTX) && uid != 0 && uid != st->st_uid &&
		 uid != nd->st_uid)
		e = -EPERM;
	errno = saved;
	return e;
}

/* Is DIRFD/PATH a regular file with more than one link? *ST its lstat. */
static bool multi_link(int dirfd, const char *path, struct stat *st)
{
	return path && !cl_cow_off && cl_fstatat(dirfd, path, st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(st->st_mode) && st->st_nlink > 1;
}

/* The shared body: FLAGS is renameat2's (0 for rename and renameat);
 * REAL makes the rename. */
static int rename_body(int olddir, const char *old, int newdir, const char *new_,
		       unsigned flags,
		       int (*real)(int, const char *, int, const char *, unsigned))
{
	struct stat vst, st, nd;
	int e, fd;

	if ((flags & (RENAME_EXCHANGE | RENAME_NOREPLACE)) ||
	    __builtin_expect(!multi_link(newdir, new_, &vst), 1))
		return real(olddir, old, newdir, new_, flags);
	fd = hold_victim(newdir, new_, &vst);
	if (!flags && one_set(olddir, old, newdir, new_, &vst, &st, &nd)) {
		e = may_replace(newdir, new_, &st, &nd);
		if (e == 0)
			e = cl_unlinkat(olddir, old, 0);
		cl_debug("rename %s -> %s: two names of one cowlink set, source "
			 "removed (%d)", old, new_, e);
		e = (int)cl_ret(e);
	} else {
		e = real(olddir, old, newdir, new_, flags);
	}
	release_victim(fd, e);
	return e;
}

CL_VIA(rename, rename, (int olddir, const char *old, int newdir, const char *new_, unsigned flags), (old, new_))
CL_VIA(renameat, renameat, (int olddir, const char *old, int newdir, const char *new_, unsigned flags), (olddir, old, newdir, new_))
CL_VIA(renameat2, renameat2, (int olddir, const char *old, int newdir, const char *new_, unsigned flags), (olddir, old, newdir, new_, flags))

CL_EXPORT int rename(const char *old, const char *new_)
{
	return rename_body(AT_FDCWD, old, AT_FDCWD, new_, 0, via_rename);
}

CL_EXPORT int renameat(int olddir, const char *old, int newdir, const char *new_)
{
	return rename_body(olddir, old, newdir, new_, 0, via_renameat);
}

CL_EXPORT int renameat2(int olddir, const char *old, int newdir,
			const char *new_, unsigned flags)
{
	if (REAL_MISSING(renameat2))
		return cl_enosys();
	return rename_body(olddir, old, newdir, new_, flags, via_renameat2);
}

/* unlink, unlinkat and remove: one lstat, and for a name of a two-link
 * regular file the survivor's unshare. remove is wrapped itself: glibc's
 * calls its unlink internally, past any wrapper. */
static int unlink_body(int dirfd, const char *path, int flags,
		       int (*real)(int, const char *, int))
{
	struct stat vst;
	int fd, r;

	if ((flags & AT_REMOVEDIR) || __builtin_expect(!multi_link(dirfd, path, &vst), 1))
		return real(dirfd, path, flags);
	fd = hold_victim(dirfd, path, &vst);
	r = real(dirfd, path, flags);
	release_victim(fd, r);
	return r;
}

CL_VIA(unlink, unlink, (int dirfd, const char *path, int flags), (path))
CL_VIA(unlinkat, unlinkat, (int dirfd, const char *path, int flags), (dirfd, path, flags))
CL_VIA(remove, remove, (int dirfd, const char *path, int flags), (path))

CL_EXPORT int unlink(const char *path)
{
	return unlink_body(AT_FDCWD, path, 0, via_unlink);
}

CL_EXPORT int unlinkat(int dirfd, const char *path, int flags)
{
	return unlink_body(dirfd, path, flags, via_unlinkat);
}

CL_EXPORT int remove(const char *path)
{
	return unlink_body(AT_FDCWD, path, 0, via_remove);
}
