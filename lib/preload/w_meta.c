/* Metadata changes (DESIGN §4): chmod, chown and utime families and ioctl.
 * A change through a name breaks the name first and then applies the change
 * with the real call, so that the shared inode -- and so every other name --
 * keeps its mode, owner and times. A change through an fd that refers to a
 * shared inode (fchmod, futimens... work on read-only fds) breaks the fd's
 * name and applies the change by path to the new private file; the fd keeps
 * reading the old, identical data. Non-regular files and one-link inodes
 * cost one stat at most. */
#include <limits.h>
#include <linux/fs.h>
#include <linux/fsverity.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>

#include "cow.h"
#include "fdtab.h"
#include "meta.h"
#include "preload.h"
#include "real.h"

/* What the break must ask of the caller for a change of kind HOW. */
static enum cl_need need_of(int how)
{
	if (how & CL_META_OWNER)
		return CL_NEED_OWNER;
	if (how & CL_META_NOW)
		return CL_NEED_WRITE_OR_OWNER;
	return CL_NEED_WRITE;
}

/* Break M's name if it is a cowlink (ORPHANS: or an orphaned mark); on a
 * break, the change goes to the name that was broken. 0 or -errno. */
static int meta_break(struct cl_meta *m, bool orphans)
{
	int e;

	e = cl_cow_break_if_cow_same(m->dirfd, m->path, m->nofollow, -1, orphans,
				     m->name, need_of(m->how),
				     m->retried ? NULL : m->same);
	if (e > 0 && m->same && m->same->hit)
		return 0; /* a change that is none: nothing broken */
	if (e > 0) {
		m->target = m->name;
		cl_debug("metadata change of %s: %s broken first", m->path, m->name);
	}
	return e < 0 ? e : 0;
}

static void unpin(struct cl_meta *m)
{
	if (m->pinned) {
		(void)cl_close(m->pin);
		m->pinned = false;
	}
}

/* Pin M's target (see meta.h), unless it is a symlink that is not to be
 * followed (changed by name, as before). A shared inode behind it -- the
 * name became a cowlink after the look that decided there was nothing to
 * break (cowln -f relinking it) -- an orphan, or an inode the name no
 * longer leads to -- a break renamed a private copy over it since the
 * open, and the old inode, the set's last name now, may already be
 * unmarked (cl_cow_opened) -- gives 1: break it first and pin again.
 * 0: pinned or by name; -errno. */
static int pin(struct cl_meta *m, const struct timespec *t0)
{
	struct cl_record r;
	struct stat st;
	int fd, c = 0;

	if (cl_cow_off)
		return 0;
	fd = cl_openat(m->dirfd, m->target, O_PATH | O_CLOEXEC |
		       (m->nofollow ? O_NOFOLLOW : 0), 0);
	if (fd < 0)
		return 0; /* the real call by name says why */
	if (cl_fstat(fd, &st) < 0 || S_ISLNK(st.st_mode)) {
		(void)cl_close(fd);
		return 0;
	}
	cl_proc_fd_path(fd, m->proc);
	/* A mark that cannot be read (EACCES) is no mark to act on. */
	if (S_ISREG(st.st_mode)) {
		c = cl_cow_opened(fd, m->dirfd, m->target, m->nofollow, &st, t0,
				  (m->how & CL_META_ORPHANS) && !(st.st_mode & S_IWUSR),
				  false, &r);
		if (c > 0)
			c = 1;
	}
	if (c != 0) {
		(void)cl_close(fd);
		return c < 0 ? c : 1;
	}
	m->pin = fd;
	m->pinned = true;
	m->target = m->proc;
	return 0;
}

/* Break if need be, then pin what is there; a few rounds while the name
 * keeps turning into a shared inode. 0 or -errno. */
static int break_and_pin(struct cl_meta *m, bool orphans)
{
	struct timespec t0;
	int e = 0, round;

	for (round = 0; round < CL_LOOK_TRIES; round++) {
		clock_gettime(CLOCK_REALTIME_COARSE, &t0);
		if (round > 0 || orphans) {
			e = meta_break(m, round > 0 || orphans);
			if (e < 0)
				return e;
			if (m->same && m->same->hit)
				return 0; /* a change that is none: nothing to pin */
		}
		e = pin(m, &t0);
		if (e <= 0)
			return e;
		m->target = m->path;
	}
	return -CL_ESHARED;
}

int cl_meta_begin_same(struct cl_meta *m, int dirfd, const char *path,
		       bool nofollow, int how, struct cl_same *same)
{
	int e;

	m->saved = errno;
	m->dirfd = dirfd;
	m->path = path;
	m->target = path;
	m->fd = -1;
	m->how = how;
	m->nofollow = nofollow;
	m->retried = false;
	m->pinned = false;
	m->same = same;
	if (!path)
		return 0; /* the real call says EFAULT */
	e = break_and_pin(m, false);
	if (e == 0 && same && same->hit)
		e = same->result;
	if (e < 0) {
		cl_debug("metadata change of %s: the break failed (%d)", path, -e);
		errno = -e;
		return -1;
	}
	errno = m->saved;
	return same && same->hit;
}

int cl_meta_begin(struct cl_meta *m, int dirfd, const char *path,
		  bool nofollow, int how)
{
	return cl_meta_begin_same(m, dirfd, path, nofollow, how, NULL);
}

static bool meta_again(struct cl_meta *m, int r)
{
	int e;

	if (r == 0 || errno != EACCES || m->retried || !m->path)
		return false;
	m->retried = true;
	unpin(m);
	m->target = m->path;
	e = meta_break(m, true);
	if (e < 0 || m->target == m->path) {
		errno = e < 0 ? -e : EACCES;
		return false;
	}
	e = break_and_pin(m, false);
	if (e < 0) {
		errno = -e;
		return false;
	}
	cl_debug("metadata change of %s: protected orphan unshared, again", m->path);
	errno = m->saved;
	return true;
}

bool cl_meta_again(struct cl_meta *m, int r)
{
	bool again = meta_again(m, r);
	int e = errno;

	if (!again) {
		unpin(m);
		errno = e;
	}
	return again;
}

/* Unshare FD's inode in place when it is an orphaned mark (one name left,
 * ST its fstat). True when it was one and now is not. */
static bool fd_unshare_orphan(int fd, const struct stat *st)
{
	struct cl_record r;

	if (!S_ISREG(st->st_mode) || st->st_nlink != 1)
		return false;
	if (cl_mark_read_fd(fd, &r) <= 0)
		return false;
	if (cl_unshare_orphan(fd, st, &r) < 0)
		return false;
	cl_debug("fd %d: orphaned mark unshared in place", fd);
	return true;
}

int cl_meta_fd_begin_same(struct cl_meta *m, int fd, int how, char *path,
			  struct cl_same *same)
{
	struct cl_record r;
	struct stat st;
	int c, fl;

	m->saved = errno;
	m->dirfd = AT_FDCWD;
	m->path = NULL;
	m->target = NULL;
	m->fd = fd;
	m->how = how;
	m->nofollow = true;
	m->retried = false;
	m->same = same;
	if (fd < 0 || cl_cow_off || cl_fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		goto apply_to_fd; /* the real call says what it is */
	/* Opened by a name that has gone since (broken, removed, replaced):
	 * the inode is another name's file now, or (plain hard links) at
	 * least not what FD's name stands for any more. */
	if (st.st_nlink >= 1 && cl_cow_fd_name_gone(fd, &st)) {
		cl_debug("fd %d: opened by a name that is gone, its inode has "
			 "other names: the change is refused", fd);
		errno = CL_ESHARED;
		return -1;
	}
	if (st.st_nlink <= 1) {
		if (how & CL_META_ORPHANS)
			(void)fd_unshare_orphan(fd, &st);
		goto apply_to_fd;
	}
	c = cl_cow_classify(fd, AT_FDCWD, NULL, &st, &r);
	if (c < 0) {
		errno = -c;
		return -1;
	}
	if (c == 0)
		goto apply_to_fd;
	fl = (how & CL_META_OPATH) ? 0 : cl_fcntl(fd, F_GETFL, 0);
	if (fl >= 0 && (fl & O_PATH))
		goto apply_to_fd; /* EBADF from the real call, nothing to break */
	c = cl_cow_break_fd_same(fd, &st, path, need_of(how), same);
	if (c == 0 && same && same->hit) {
		if (same->result < 0) {
			errno = -same->result;
			return -1;
		}
		errno = m->saved;
		return 2; /* a change that is none: nothing broken */
	}
	if (c < 0) {
		cl_debug("fd %d: metadata change on a shared inode, the break "
			 "failed (%d)", fd, -c);
		errno = -c;
		return -1;
	}
	cl_debug("fd %d: metadata change on a shared inode: %s broken, "
		 "applied by path", fd, path);
	errno = m->saved;
	return 1;
apply_to_fd:
	errno = m->saved;
	return 0;
}

int cl_meta_fd_begin(struct cl_meta *m, int fd, int how, char *path)
{
	return cl_meta_fd_begin_same(m, fd, how, path, NULL);
}

bool cl_meta_fd_again(struct cl_meta *m, int r)
{
	struct stat st;

	if (r == 0 || errno != EACCES || m->retried || m->fd < 0)
		return false;
	m->retried = true;
	if (cl_fstat(m->fd, &st) < 0 || !fd_unshare_orphan(m->fd, &st)) {
		errno = EACCES;
		return false;
	}
	errno = m->saved;
	return true;
}

/* ---- chmod -------------------------------------------------------------- */

/* An orphaned mark is unshared before a chmod: restoring its recorded bits
 * later would undo the mode the user chose. */
static int chmod_path(int dirfd, const char *path, mode_t mode, int flags,
		      int (*real)(int, const char *, mode_t, int))
{
	struct cl_same s = { cl_same_mode, &mode, false, 0 };
	struct cl_meta m;
	int c, r;

	c = cl_meta_begin_same(&m, dirfd, path, flags & AT_SYMLINK_NOFOLLOW,
			       CL_META_ORPHANS | CL_META_OWNER, &s);
	if (c != 0)
		return c < 0 ? -1 : 0;
	do
		r = m.pinned ? REAL(chmod)(m.target, mode)
			     : real(dirfd, m.target, mode, flags);
	while (cl_meta_again(&m, r));
	return r;
}

static int chmod_fd(int fd, mode_t mode, int (*real)(int, mode_t))
{
	struct cl_same s = { cl_same_mode, &mode, false, 0 };
	char path[PATH_MAX];
	struct cl_meta m;
	int c, r;

	c = cl_meta_fd_begin_same(&m, fd, CL_META_ORPHANS | CL_META_OWNER, path, &s);
	if (c == 2)
		return 0;
	if (c != 0)
		return c < 0 ? -1 : REAL(chmod)(path, mode);
	do
		r = real(fd, mode);
	while (cl_meta_fd_again(&m, r));
	return r;
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

	if (path && path[0] == '\0' && (flags & AT_EMPTY_PATH))
		return chmod_fd(dirfd, mode, via_fchmodat_fd);
	return chmod_path(dirfd, path, mode, flags, via_fchmodat);
}

CL_EXPORT int fchmod(int fd, mode_t mode)
{
	return chmod_fd(fd, mode, via_fchmod);
}

/* ---- chown -------------------------------------------------------------- */

static int chown_path(int dirfd, const char *path, uid_t uid, gid_t gid,
		      int flags, int (*real)(int, const char *, uid_t, gid_t, int))
{
	struct cl_same_owner o = { uid, gid };
	struct cl_same s = { cl_same_owner, &o, false, 0 };
	struct cl_meta m;
	int c, r;

	c = cl_meta_begin_same(&m, dirfd, path, flags & AT_SYMLINK_NOFOLLOW,
			       CL_META_OWNER, &s);
	if (c != 0)
		return c < 0 ? -1 : 0;
	do
		r = m.pinned ? REAL(chown)(m.target, uid, gid)
			     : real(dirfd, m.target, uid, gid, flags);
	while (cl_meta_again(&m, r));
	return r;
}

static int chown_fd(int fd, uid_t uid, gid_t gid, int (*real)(int, uid_t, gid_t),
		    int how)
{
	struct cl_same_owner o = { uid, gid };
	struct cl_same s = { cl_same_owner, &o, false, 0 };
	char path[PATH_MAX];
	struct cl_meta m;
	int c, r;

	c = cl_meta_fd_begin_same(&m, fd, CL_META_OWNER | how, path, &s);
	if (c == 2)
		return 0;
	if (c != 0)
		return c < 0 ? -1 : REAL(lchown)(path, uid, gid);
	do
		r = real(fd, uid, gid);
	while (cl_meta_fd_again(&m, r));
	return r;
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

	if (path && path[0] == '\0' && (flags & AT_EMPTY_PATH))
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
 * leaves the name's atime what the other names share (DESIGN §4). Times
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
static int times_path(int dirfd, const char *path, const struct timespec *ts,
		      int flags, long unit)
{
	struct cl_same s = { 0 };
	struct cl_same_times t;
	struct cl_meta m;
	int c, r;

	if (omits_all(ts))
		return REAL(utimensat)(dirfd, path, ts, flags);
	c = cl_meta_begin_same(&m, dirfd, path, flags & AT_SYMLINK_NOFOLLOW,
			       times_how(ts), times_same(&s, &t, ts, unit));
	if (c != 0)
		return c < 0 ? -1 : 0;
	do
		r = m.pinned ? REAL(utimensat)(AT_FDCWD, m.target, ts,
					       flags & ~AT_SYMLINK_NOFOLLOW)
			     : REAL(utimensat)(dirfd, m.target, ts, flags);
	while (cl_meta_again(&m, r));
	return r;
}

static int times_fd(int fd, const struct timespec *ts, long unit)
{
	struct cl_same s = { 0 };
	struct cl_same_times t;
	char path[PATH_MAX];
	struct cl_meta m;
	int c, r;

	if (omits_all(ts))
		return REAL(futimens)(fd, ts);
	c = cl_meta_fd_begin_same(&m, fd, times_how(ts), path,
				  times_same(&s, &t, ts, unit));
	if (c == 2)
		return 0;
	if (c != 0)
		return c < 0 ? -1 : REAL(utimensat)(AT_FDCWD, path, ts,
						    AT_SYMLINK_NOFOLLOW);
	do
		r = REAL(futimens)(fd, ts);
	while (cl_meta_fd_again(&m, r));
	return r;
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

CL_EXPORT int utimes(const char *path, const struct timeval t[2])
{
	struct timespec ts[2];

	if (!cl_path_arg(path))
		return REAL(utimes)(path, t);
	if (t && !tv_to_ts(t, ts))
		return -1;
	return times_path(AT_FDCWD, path, t ? ts : NULL, 0, 1000);
}

CL_EXPORT int lutimes(const char *path, const struct timeval t[2])
{
	struct timespec ts[2];

	if (!cl_path_arg(path))
		return REAL(lutimes)(path, t);
	if (t && !tv_to_ts(t, ts))
		return -1;
	return times_path(AT_FDCWD, path, t ? ts : NULL, AT_SYMLINK_NOFOLLOW, 1000);
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

/* utimensat(fd, "", ..., AT_EMPTY_PATH) is futimens; a NULL path, which
 * the kernel would take as the fd, glibc refuses with EINVAL. */
CL_EXPORT int utimensat(int dirfd, const char *path, const struct timespec t[2],
			int flags)
{
	if (!cl_path_arg(path))
		return REAL(utimensat)(dirfd, path, t, flags); /* glibc: EINVAL */
	if (cl_names_fd(path, flags))
		return times_fd(dirfd, t, 1);
	return times_path(dirfd, path, t, flags, 1);
}

CL_EXPORT int futimens(int fd, const struct timespec t[2])
{
	return times_fd(fd, t, 1);
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
 * equal and changes no timestamps, so no name sees a change. */
static int check_dedupe(const struct file_dedupe_range *d)
{
	if (!d)
		return 0; /* EFAULT from the kernel */
	for (unsigned i = 0; i < d->dest_count; i++)
		if (check_dest((int)d->info[i].dest_fd) < 0)
			return -1;
	return 0;
}

/* ioctl is variadic: the third argument is read as a pointer, as glibc's
 * own ioctl does. Requests other than the ones below pass straight through
 * with no system call of ours. */
CL_EXPORT int ioctl(int fd, unsigned long req, ...)
{
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
