/* Renames between two names of one cowlink set (DESIGN §1). POSIX makes a
 * rename between two links of one inode a no-op that returns 0; for two
 * names that stand for separate files the caller means "replace NEW with
 * OLD", which for identical copies leaves NEW as it is and removes OLD. So
 * that is what we do: unlink OLD, return 0. Everything else -- other inodes,
 * plain hard links, RENAME_EXCHANGE / RENAME_NOREPLACE / RENAME_WHITEOUT --
 * passes straight through. A rename of anything but a multi-link regular
 * file costs one lstat. */
#include <limits.h>
#include <string.h>

#include "cow.h"
#include "preload.h"
#include "real.h"

/* Split PATH into its directory part (DIR, PATH_MAX bytes; "." when none)
 * and return its last component. NULL when PATH ends in a slash or is too
 * long: the real call decides those. */
static const char *split(const char *path, char *dir)
{
	const char *base = strrchr(path, '/');
	size_t n;

	if (!base) {
		strcpy(dir, ".");
		return path;
	}
	if (base[1] == '\0')
		return NULL;
	n = (size_t)(base - path);
	if (n >= PATH_MAX)
		return NULL;
	if (n == 0)
		n = 1; /* "/name": the root */
	memcpy(dir, path, n);
	dir[n] = '\0';
	return base + 1;
}

/* Are OLDDIR/OLD and NEWDIR/NEW two different names of one cowlink set?
 * 1 yes (*nd gets NEW's directory, *st OLD's lstat), 0 no -- or it cannot be
 * told, and the real rename decides. Keeps errno. */
static int one_set(int olddir, const char *old, int newdir, const char *new_,
		   struct stat *st, struct stat *nd)
{
	char odir[PATH_MAX], ndir[PATH_MAX];
	const char *obase, *nbase;
	struct cl_record r;
	struct stat nst, od;
	int saved = errno, res = 0;

	if (!old || !new_ || cl_cow_off ||
	    cl_fstatat(olddir, old, st, AT_SYMLINK_NOFOLLOW) < 0)
		goto out;
	if (!S_ISREG(st->st_mode) || __builtin_expect(st->st_nlink <= 1, 1))
		goto out;
	if (cl_fstatat(newdir, new_, &nst, AT_SYMLINK_NOFOLLOW) < 0 ||
	    nst.st_dev != st->st_dev || nst.st_ino != st->st_ino)
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
	int saved = errno, e = 0;

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

/* The shared body: FLAGS is renameat2's (0 for rename and renameat). */
static int rename_body(int olddir, const char *old, int newdir,
		       const char *new_, unsigned flags, int *handled)
{
	struct stat st, nd;
	int saved = errno, e;

	*handled = 0;
	if (flags || !one_set(olddir, old, newdir, new_, &st, &nd))
		return 0;
	*handled = 1;
	e = may_replace(newdir, new_, &st, &nd);
	if (e == 0)
		e = cl_unlinkat(olddir, old, 0);
	cl_debug("rename %s -> %s: two names of one cowlink set, source "
		 "removed (%d)", old, new_, e);
	errno = saved;
	return (int)cl_ret(e);
}

CL_EXPORT int rename(const char *old, const char *new_)
{
	int handled, r;

	r = rename_body(AT_FDCWD, old, AT_FDCWD, new_, 0, &handled);
	return handled ? r : REAL(rename)(old, new_);
}

CL_EXPORT int renameat(int olddir, const char *old, int newdir, const char *new_)
{
	int handled, r;

	r = rename_body(olddir, old, newdir, new_, 0, &handled);
	return handled ? r : REAL(renameat)(olddir, old, newdir, new_);
}

CL_EXPORT int renameat2(int olddir, const char *old, int newdir,
			const char *new_, unsigned flags)
{
	int handled, r;

	if (REAL_MISSING(renameat2)) {
		errno = ENOSYS;
		return -1;
	}
	r = rename_body(olddir, old, newdir, new_, flags, &handled);
	return handled ? r : REAL(renameat2)(olddir, old, newdir, new_, flags);
}
