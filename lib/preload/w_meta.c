/* SPDX-License-Identifier: MIT */
/* Metadata changes (docs/DESIGN.md §4): chmod, chown and utime families and
 * ioctl. A change through a name breaks the name first and then applies the
 * change with the real call, so that the shared inode -- and so every other
 * name -- keeps its mode, owner and times. A change through an fd that refers
 * to a shared inode (fchmod, futimens... work on read-only fds) breaks the fd's
 * name and applies the change by path to the new private file; the fd keeps
 * reading the old, identical data. Non-regular files and one-link inodes
 * cost one stat at most. The engine that does it is metachange.c. */
#include <limits.h>
#include <linux/fs.h>
#include <linux/fsverity.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>

#include "decide.h"
#include "fdtab.h"
#include "metachange.h"
#include "preload.h"
#include "real.h"

/* ---- chmod -------------------------------------------------------------- */

/* A chmod as the engine applies it: REAL the named call (DIRFD, FLAGS as
 * the caller gave them) or the fd call. */
struct chmod_args {
	mode_t mode;
	int flags;
	int (*at)(int, const char *, mode_t, int);
	int (*fd)(int, mode_t);
};

static int chmod_apply(const struct cl_meta *m, const void *arg)
{
	const struct chmod_args *a = arg;

	return m->pinned ? REAL(chmod)(m->target, a->mode)
			 : a->at(m->dirfd, m->target, a->mode, a->flags);
}

static int chmod_by_fd(const void *arg, int fd)
{
	const struct chmod_args *a = arg;

	return a->fd(fd, a->mode);
}

static int chmod_by_path(const void *arg, const char *path)
{
	const struct chmod_args *a = arg;

	return REAL(chmod)(path, a->mode);
}

/* An orphaned mark is unshared before a chmod: restoring its recorded bits
 * later would undo the mode the user chose. */
static int chmod_path(int dirfd, const char *path, mode_t mode, int flags,
		      int (*real)(int, const char *, mode_t, int))
{
	struct chmod_args a = { mode, flags, real, NULL };
	struct cl_same s = { cl_same_mode, &a.mode, false, 0 };

	return cl_meta_change(dirfd, path, flags & AT_SYMLINK_NOFOLLOW,
			      CL_META_ORPHANS | CL_META_OWNER, &s, chmod_apply, &a);
}

static int chmod_fd(int fd, mode_t mode, int (*real)(int, mode_t))
{
	struct chmod_args a = { mode, 0, NULL, real };
	struct cl_same s = { cl_same_mode, &a.mode, false, 0 };

	return cl_meta_fd_change(fd, CL_META_ORPHANS | CL_META_OWNER, &s,
				 chmod_by_fd, chmod_by_path, &a);
}

CL_VIA(chmod, chmod, (int dirfd, const char *path, mode_t mode, int flags), (path, mode))
CL_VIA(lchmod, lchmod, (int dirfd, const char *path, mode_t mode, int flags), (path, mode))
CL_VIA(fchmodat, fchmodat, (int dirfd, const char *path, mode_t mode, int flags), (dirfd, path, mode, flags))
CL_VIA(fchmod, fchmod, (int fd, mode_t mode), (fd, mode))
CL_VIA(fchmodat_fd, fchmodat, (int fd, mode_t mode), (fd, "", mode, AT_EMPTY_PATH))

CL_EXPORT int chmod(const char *path, mode_t mode)
{
	return chmod_path(AT_FDCWD, path, mode, 0, via_chmod);
}

CL_EXPORT int lchmod(const char *path, mode_t mode)
{
	if (REAL_MISSING(lchmod))
		return cl_enosys();
	return chmod_path(AT_FDCWD, path, mode, AT_SYMLINK_NOFOLLOW, via_lchmod);
}

CL_EXPORT int fchmodat(int dirfd, const char *path_, mode_t mode, int flags)
{
	const char *path = cl_path_arg(path_);

	if (path && cl_names_fd_peek(path, flags))
		return chmod_fd(dirfd, mode, via_fchmodat_fd);
	return chmod_path(dirfd, path, mode, flags, via_fchmodat);
}

CL_EXPORT int fchmod(int fd, mode_t mode)
{
	return chmod_fd(fd, mode, via_fchmod);
}

/* ---- chown -------------------------------------------------------------- */

/* A chown as the engine applies it (see chmod_args). */
struct chown_args {
	struct cl_same_owner o;
	int flags;
	int (*at)(int, const char *, uid_t, gid_t, int);
	int (*fd)(int, uid_t, gid_t);
};

static int chown_apply(const struct cl_meta *m, const void *arg)
{
	const struct chown_args *a = arg;

	return m->pinned ? REAL(chown)(m->target, a->o.uid, a->o.gid)
			 : a->at(m->dirfd, m->target, a->o.uid, a->o.gid, a->flags);
}

static int chown_by_fd(const void *arg, int fd)
{
	const struct chown_args *a = arg;

	return a->fd(fd, a->o.uid, a->o.gid);
}

static int chown_by_path(const void *arg, const char *path)
{
	const struct chown_args *a = arg;

	return REAL(lchown)(path, a->o.uid, a->o.gid);
}

static int chown_path(int dirfd, const char *path, uid_t uid, gid_t gid,
		      int flags, int (*real)(int, const char *, uid_t, gid_t, int))
{
	struct chown_args a = { { uid, gid }, flags, real, NULL };
	struct cl_same s = { cl_same_owner, &a.o, false, 0 };

	return cl_meta_change(dirfd, path, flags & AT_SYMLINK_NOFOLLOW,
			      CL_META_OWNER, &s, chown_apply, &a);
}

static int chown_fd(int fd, uid_t uid, gid_t gid, int (*real)(int, uid_t, gid_t),
		    int how)
{
	struct chown_args a = { { uid, gid }, 0, NULL, real };
	struct cl_same s = { cl_same_owner, &a.o, false, 0 };

	return cl_meta_fd_change(fd, CL_META_OWNER | how, &s, chown_by_fd,
				 chown_by_path, &a);
}

CL_VIA(chown, chown, (int dirfd, const char *path, uid_t uid, gid_t gid, int flags), (path, uid, gid))
CL_VIA(lchown, lchown, (int dirfd, const char *path, uid_t uid, gid_t gid, int flags), (path, uid, gid))
CL_VIA(fchownat, fchownat, (int dirfd, const char *path, uid_t uid, gid_t gid, int flags), (dirfd, path, uid, gid, flags))
CL_VIA(fchown, fchown, (int fd, uid_t uid, gid_t gid), (fd, uid, gid))
CL_VIA(fchownat_fd, fchownat, (int fd, uid_t uid, gid_t gid), (fd, "", uid, gid, AT_EMPTY_PATH))

CL_EXPORT int chown(const char *path, uid_t uid, gid_t gid)
{
	return chown_path(AT_FDCWD, path, uid, gid, 0, via_chown);
}

CL_EXPORT int lchown(const char *path, uid_t uid, gid_t gid)
{
	return chown_path(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW, via_lchown);
}

CL_EXPORT int fchownat(int dirfd, const char *path_, uid_t uid, gid_t gid, int flags)
{
	const char *path = cl_path_arg(path_);

	if (path && cl_names_fd_peek(path, flags))
		return chown_fd(dirfd, uid, gid, via_fchownat_fd, CL_META_OPATH);
	return chown_path(dirfd, path, uid, gid, flags, via_fchownat);
}

CL_EXPORT int fchown(int fd, uid_t uid, gid_t gid)
{
	return chown_fd(fd, uid, gid, via_fchown, 0);
}

/* ---- utime -------------------------------------------------------------- */

/* Both times UTIME_OMIT: the call changes nothing, so nothing is broken. */
static bool omits_all(const struct timespec *ts)
{
	return ts && ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT;
}

/* Setting times to now needs ownership or write permission; setting them
 * to anything else, ownership (utimensat(2)). */
static int times_how(const struct timespec *ts)
{
	if (!ts || (ts[0].tv_nsec == UTIME_NOW && ts[1].tv_nsec == UTIME_NOW))
		return CL_META_NOW;
	return CL_META_OWNER;
}

/* A cowlink's atime is shared by all its names, and the shim changes no
 * shared inode: explicit times that leave the mtime as it is -- UTIME_OMIT,
 * or the value it has as far as the call can tell (UNIT: 1e9 ns for utime,
 * 1000 for the timeval forms) -- are a change that is none: an atime-only
 * restore (tar --atime-preserve=replace, file -p) or touch -a succeeds and
 * leaves the name's atime what the other names share (docs/DESIGN.md §4). Times
 * set to now change the mtime: never. S gets the test for TS. */
static struct cl_same *times_same(struct cl_same *s, struct cl_same_times *t,
				  const struct timespec *ts, long unit)
{
	if (times_how(ts) != CL_META_OWNER)
		return NULL;
	t->ts[0] = ts[0];
	t->ts[1] = ts[1];
	t->unit = unit;
	s->test = cl_same_times;
	s->arg = t;
	return s;
}

/* Times as utimensat takes them; the timeval and utimbuf forms are turned
 * into it, so one body serves all (NULL: now). UNIT: the precision of the
 * caller's form, in ns. */
/* A time change as the engine applies it. */
struct times_args {
	const struct timespec *ts;
	int flags;
};

static int times_apply(const struct cl_meta *m, const void *arg)
{
	const struct times_args *a = arg;

	return m->pinned ? REAL(utimensat)(AT_FDCWD, m->target, a->ts,
					   a->flags & ~AT_SYMLINK_NOFOLLOW)
			 : REAL(utimensat)(m->dirfd, m->target, a->ts, a->flags);
}

static int times_by_fd(const void *arg, int fd)
{
	const struct times_args *a = arg;

	return REAL(futimens)(fd, a->ts);
}

static int times_by_path(const void *arg, const char *path)
{
	const struct times_args *a = arg;

	return REAL(utimensat)(AT_FDCWD, path, a->ts, AT_SYMLINK_NOFOLLOW);
}

static int times_path(int dirfd, const char *path, const struct timespec *ts,
		      int flags, long unit)
{
	struct times_args a = { ts, flags };
	struct cl_same s = { 0 };
	struct cl_same_times t;

	if (omits_all(ts))
		return REAL(utimensat)(dirfd, path, ts, flags);
	return cl_meta_change(dirfd, path, flags & AT_SYMLINK_NOFOLLOW, times_how(ts),
			      times_same(&s, &t, ts, unit), times_apply, &a);
}

static int times_fd(int fd, const struct timespec *ts, long unit)
{
	struct times_args a = { ts, 0 };
	struct cl_same s = { 0 };
	struct cl_same_times t;

	if (omits_all(ts))
		return REAL(futimens)(fd, ts);
	return cl_meta_fd_change(fd, times_how(ts), times_same(&s, &t, ts, unit),
				 times_by_fd, times_by_path, &a);
}

/* timeval[2] (or NULL) to timespec[2]; false when a microsecond count is
 * out of range (EINVAL, as the kernel says). */
static bool tv_to_ts(const struct timeval *tv, struct timespec *ts)
{
	for (int i = 0; i < 2; i++) {
		if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000) {
			errno = EINVAL;
			return false;
		}
		ts[i].tv_sec = tv[i].tv_sec;
		ts[i].tv_nsec = tv[i].tv_usec * 1000;
	}
	return true;
}

CL_EXPORT int utime(const char *path, const struct utimbuf *t)
{
	struct timespec ts[2];

	if (!cl_path_arg(path))
		return REAL(utime)(path, t); /* EFAULT; utimensat would say EINVAL */
	if (!t)
		return times_path(AT_FDCWD, path, NULL, 0, 1);
	ts[0].tv_sec = t->actime;
	ts[0].tv_nsec = 0;
	ts[1].tv_sec = t->modtime;
	ts[1].tv_nsec = 0;
	return times_path(AT_FDCWD, path, ts, 0, 1000000000L);
}

/* utimes and lutimes (FLAGS AT_SYMLINK_NOFOLLOW); REAL answers a NULL path. */
static int timeval_path(const char *path, const struct timeval t[2], int flags,
			int (*real)(const char *, const struct timeval *))
{
	struct timespec ts[2];

	if (!cl_path_arg(path))
		return real(path, t);
	if (t && !tv_to_ts(t, ts))
		return -1;
	return times_path(AT_FDCWD, path, t ? ts : NULL, flags, 1000);
}

CL_EXPORT int utimes(const char *path, const struct timeval t[2])
{
	return timeval_path(path, t, 0, REAL(utimes));
}

CL_EXPORT int lutimes(const char *path, const struct timeval t[2])
{
	return timeval_path(path, t, AT_SYMLINK_NOFOLLOW, REAL(lutimes));
}

CL_EXPORT int futimes(int fd, const struct timeval t[2])
{
	struct timespec ts[2];

	if (t && !tv_to_ts(t, ts))
		return -1;
	return times_fd(fd, t ? ts : NULL, 1000);
}

/* futimesat(fd, NULL, t) changes FD itself. */
CL_EXPORT int futimesat(int dirfd, const char *path, const struct timeval t[2])
{
	struct timespec ts[2];

	if (REAL_MISSING(futimesat))
		return cl_enosys();
	if (t && !tv_to_ts(t, ts))
		return -1;
	if (!path)
		return times_fd(dirfd, t ? ts : NULL, 1000);
	return times_path(dirfd, path, t ? ts : NULL, 0, 1000);
}

/* The caller's times T into COPY, read without faulting: they decide
 * whether anything is to be broken, before the kernel has read them. False
 * when they cannot be read: the real call then says EFAULT. */
static bool times_copy(const struct timespec *t, struct timespec copy[2])
{
	return !t || cl_peek(copy, t, 2 * sizeof *t) == 0;
}

/* utimensat(fd, "", ..., AT_EMPTY_PATH) is futimens; a NULL path, which
 * the kernel would take as the fd, glibc refuses with EINVAL. */
CL_EXPORT int utimensat(int dirfd, const char *path, const struct timespec t[2],
			int flags)
{
	struct timespec ts[2];

	if (!cl_path_arg(path) || !times_copy(t, ts))
		return REAL(utimensat)(dirfd, path, t, flags); /* glibc: EINVAL; EFAULT */
	if (cl_names_fd_peek(path, flags))
		return times_fd(dirfd, t ? ts : NULL, 1);
	return times_path(dirfd, path, t ? ts : NULL, flags, 1);
}

CL_EXPORT int futimens(int fd, const struct timespec t[2])
{
	struct timespec ts[2];

	if (!times_copy(t, ts))
		return REAL(futimens)(fd, t); /* EFAULT */
	return times_fd(fd, t ? ts : NULL, 1);
}

/* ---- ioctl -------------------------------------------------------------- */

/* Inode flags, fsxattr, fs-verity: changes of the inode behind FD (a
 * read-only fd will do). A shared inode's name is broken and the request
 * made on a read-only fd of the private file. */
static int ioctl_inode(int fd, unsigned long req, void *arg)
{
	char path[PATH_MAX];
	struct cl_meta m;
	int c, nfd, r, e;

	c = cl_meta_fd_begin(&m, fd, CL_META_OWNER, path);
	if (c < 0)
		return -1;
	if (c == 0)
		return REAL(ioctl)(fd, req, arg);
	nfd = cl_openat(AT_FDCWD, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
			O_NONBLOCK | O_NOCTTY, 0);
	if (nfd < 0) {
		errno = -nfd;
		return -1;
	}
	r = REAL(ioctl)(nfd, req, arg);
	e = errno;
	(void)cl_close(nfd);
	errno = r < 0 ? e : m.saved;
	return r;
}

/* FD is the destination of a clone or dedupe: a writable fd on a shared
 * inode exists only because something bypassed the shim (the write
 * family's rule: ETXTBSY, never re-pointed). */
static int check_dest(int fd)
{
	int e;

	if (cl_fd_is_safe(fd))
		return 0;
	e = cl_cow_check_fd(fd);
	if (e < 0) {
		cl_debug("ioctl: clone/dedupe onto fd %d, a shared inode: refused", fd);
		errno = -e;
		return -1;
	}
	return 0;
}

/* FIDEDUPERANGE: each destination is checked. A read-only destination on a
 * shared inode is let through: dedupe remaps only ranges whose bytes are
 * equal and changes no timestamps, so no name sees a change. The request is
 * read with cl_peek: what cannot be read is the kernel's EFAULT to give. */
static int check_dedupe(const struct file_dedupe_range *d)
{
	struct file_dedupe_range h;
	struct file_dedupe_range_info info;

	if (cl_peek(&h, d, sizeof h) < 0)
		return 0; /* EFAULT from the kernel */
	for (unsigned i = 0; i < h.dest_count; i++) {
		if (cl_peek(&info, &d->info[i], sizeof info) < 0)
			return 0;
		if (check_dest((int)info.dest_fd) < 0)
			return -1;
	}
	return 0;
}

/* The size of what an inode request reads at its argument. */
static size_t inode_arg_size(unsigned long req)
{
	switch (req) {
	case FS_IOC_FSSETXATTR:
		return sizeof(struct fsxattr);
	case FS_IOC_ENABLE_VERITY:
		return sizeof(struct fsverity_enable_arg);
	default:
		return sizeof(int); /* the flags, the version: an int, whatever the name says */
	}
}

/* ioctl is variadic: the third argument is read as a pointer, as glibc's
 * own ioctl does. Requests other than the ones below pass straight through
 * with no system call of ours. */
CL_EXPORT int ioctl(int fd, unsigned long req, ...)
{
	union {
		int flags;
		struct fsxattr fsx;
		struct fsverity_enable_arg verity;
	} copy;
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	switch (req) {
	case FS_IOC_SETFLAGS:
	case FS_IOC32_SETFLAGS:
	case FS_IOC_FSSETXATTR:
	case FS_IOC_SETVERSION:
	case FS_IOC_ENABLE_VERITY:
		/* An argument the kernel cannot read changes nothing: no
		 * break for it (a peek, on these rare requests). */
		if (cl_peek(&copy, arg, inode_arg_size(req)) < 0)
			break;
		return ioctl_inode(fd, req, arg);
	case FICLONE:
	case FICLONERANGE:
		if (check_dest(fd) < 0)
			return -1;
		break;
	case FIDEDUPERANGE:
		if (check_dedupe(arg) < 0)
			return -1;
		break;
	default:
		break;
	}
	return REAL(ioctl)(fd, req, arg);
}
