/* SPDX-License-Identifier: MIT */
/* Presentation (docs/DESIGN.md §4): stat and access present a cowlink as the
 * private file it stands for -- st_mode | recorded write bits, st_nlink == 1 --
 * so that tar, rsync -H and cp -a treat names as separate files and editors see
 * a writable file. Every alias is a short entry point into one body per
 * struct type. The real call runs first; only a regular file with
 * st_nlink > 1 costs more (the mark is read), so one-link inodes cost no
 * extra system call. A failure to classify presents the raw metadata: stat
 * itself never fails because of us. */
#include <limits.h>
#include <string.h>

#include "decide.h"
#include "identity.h"
#include "metachange.h"
#include "preload.h"
#include "real.h"

/* Is the inode described by these fields (from a stat of DIRFD/PATH, or of
 * FD when FD >= 0) a cowlink? 1 with *wbits the recorded write bits to show,
 * else 0 (not one, or it could not be told: show it raw). */
static int cow_bits(int fd, int dirfd, const char *path, int flags, mode_t mode,
		    nlink_t nlink, dev_t dev, ino_t ino,
		    const struct timespec *ctim, mode_t *wbits)
{
	struct cl_record r;
	struct stat st;
	int c;

	/* An *at call on "" with AT_EMPTY_PATH (or a NULL path) is about DIRFD
	 * itself. Decided here, off the one-link fast path. */
	if (fd < 0 && cl_names_fd(path, flags))
		fd = dirfd;
	/* Only these fields are read by classify (and the caches' keys). */
	st.st_mode = mode;
	st.st_nlink = nlink;
	st.st_dev = dev;
	st.st_ino = ino;
	st.st_ctim = *ctim;
	c = nlink > 1 ? cl_cow_classify_shown(fd, dirfd, path, &st, &r)
		      : cl_cow_orphan(fd, dirfd, path, &st, &r);
	if (c <= 0)
		return 0;
	*wbits = r.wbits & 0222;
	cl_debug("stat %s: a cowlink, presented with mode %o and one link",
		 fd >= 0 ? "(fd)" : path, (unsigned)((mode | *wbits) & 07777));
	return 1;
}

/* Present ST (struct stat / struct stat64: one body each via this macro,
 * the types differ off LP64). R is the real call's result. Multi-link
 * files, and one-link files without the owner write bit (orphans left
 * without the shim), cost a look at the mark. */
#define LOOK(mode, nlink) ((nlink) > 1 || !((mode) & S_IWUSR))
#define PRESENT(r, fd, dirfd, path, flags, st)                                \
	do {                                                                  \
		mode_t wb_;                                                   \
		if ((r) == 0 && S_ISREG((st)->st_mode) &&                     \
		    __builtin_expect(LOOK((st)->st_mode, (st)->st_nlink), 0) && \
		    cow_bits(fd, dirfd, path, flags, (st)->st_mode, (st)->st_nlink, \
			     (st)->st_dev, (st)->st_ino, &(st)->st_ctim, &wb_)) { \
			(st)->st_mode |= wb_;                                 \
			(st)->st_nlink = 1;                                   \
		}                                                             \
	} while (0)

/* The number this process shows for the inode (identity.h): every type,
 * since a number a break moved may since belong to a directory. After
 * PRESENT, whose caches key on the real number. */
#define SHOW_INO(r, st)                                                       \
	do {                                                                  \
		if (__builtin_expect(cl_identity_used, 0) && (r) == 0)        \
			cl_identity_show((st)->st_dev, &(st)->st_ino);        \
	} while (0)

static int present(int r, int fd, int dirfd, const char *path, int flags,
		   struct stat *st)
{
	PRESENT(r, fd, dirfd, path, flags, st);
	SHOW_INO(r, st);
	return r;
}

static int present64(int r, int fd, int dirfd, const char *path, int flags,
		     struct stat64 *st)
{
	PRESENT(r, fd, dirfd, path, flags, st);
	SHOW_INO(r, st);
	return r;
}

#define CALL(sym, ...) (REAL_MISSING(sym) ? cl_enosys() : REAL(sym)(__VA_ARGS__))

/* stat, lstat, fstat and fstatat in one size (SFX: nothing or 64). */
#define STAT_FAMILY(sfx)                                                       \
	CL_EXPORT int stat##sfx(const char *path, struct stat##sfx *st)       \
	{                                                                      \
		return present##sfx(CALL(stat##sfx, path, st), -1, AT_FDCWD,   \
				    path, 0, st);                              \
	}                                                                      \
	CL_EXPORT int lstat##sfx(const char *path, struct stat##sfx *st)      \
	{                                                                      \
		return present##sfx(CALL(lstat##sfx, path, st), -1, AT_FDCWD,  \
				    path, 0, st);                              \
	}                                                                      \
	CL_EXPORT int fstat##sfx(int fd, struct stat##sfx *st)                \
	{                                                                      \
		return present##sfx(CALL(fstat##sfx, fd, st), fd, AT_FDCWD,    \
				    NULL, 0, st);                              \
	}                                                                      \
	CL_EXPORT int fstatat##sfx(int dirfd, const char *path,               \
				   struct stat##sfx *st, int flags)            \
	{                                                                      \
		return present##sfx(CALL(fstatat##sfx, dirfd, path, st, flags), \
				    -1, dirfd, path, flags, st);               \
	}

STAT_FAMILY()
STAT_FAMILY(64)

/* The pre-2.33 names that old binaries still call (glibc.h declares them). */
CL_EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
	return present(CALL(__xstat, ver, path, st), -1, AT_FDCWD, path, 0, st);
}

CL_EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
	return present(CALL(__lxstat, ver, path, st), -1, AT_FDCWD, path, 0, st);
}

CL_EXPORT int __fxstat(int ver, int fd, struct stat *st)
{
	return present(CALL(__fxstat, ver, fd, st), fd, AT_FDCWD, NULL, 0, st);
}

CL_EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st,
			 int flags)
{
	return present(CALL(__fxstatat, ver, dirfd, path, st, flags), -1, dirfd,
		       path, flags, st);
}

CL_EXPORT int __xstat64(int ver, const char *path, struct stat64 *st)
{
	return present64(CALL(__xstat64, ver, path, st), -1, AT_FDCWD, path, 0,
			 st);
}

CL_EXPORT int __lxstat64(int ver, const char *path, struct stat64 *st)
{
	return present64(CALL(__lxstat64, ver, path, st), -1, AT_FDCWD, path, 0,
			 st);
}

CL_EXPORT int __fxstat64(int ver, int fd, struct stat64 *st)
{
	return present64(CALL(__fxstat64, ver, fd, st), fd, AT_FDCWD, NULL, 0,
			 st);
}

CL_EXPORT int __fxstatat64(int ver, int dirfd, const char *path,
			   struct stat64 *st, int flags)
{
	return present64(CALL(__fxstatat64, ver, dirfd, path, st, flags), -1,
			 dirfd, path, flags, st);
}

/* statx's presentation: patch only the fields the kernel says it filled
 * (stx_mask). The type and link count decide; when the kernel left the link
 * count out but filled the mode, one fstatat tells it. */
static inline dev_t statx_dev(const struct statx *stx)
{
	return cl_makedev(stx->stx_dev_major, stx->stx_dev_minor);
}

static void present_statx(int dirfd, const char *path, int flags, struct statx *stx)
{
	struct timespec ctim;
	struct stat st;
	nlink_t nlink;
	mode_t wb;
	int fd = -1;

	if (!(stx->stx_mask & STATX_TYPE) || !S_ISREG(stx->stx_mode))
		return;
	if (cl_names_fd(path, flags))
		fd = dirfd;
	if (stx->stx_mask & STATX_NLINK) {
		nlink = stx->stx_nlink;
	} else if (stx->stx_mask & STATX_MODE) {
		if (fd >= 0 ? cl_fstat(fd, &st) < 0
			    : cl_fstatat(dirfd, path, &st,
					 flags & AT_SYMLINK_NOFOLLOW) < 0)
			return;
		nlink = st.st_nlink;
	} else {
		return;
	}
	if (__builtin_expect(!(stx->stx_mask & STATX_MODE) || !LOOK(stx->stx_mode, nlink), 1))
		return;
	/* The caches key on ctime: a kernel asked for neither time leaves it
	 * out (Linux 6.13's multigrain timestamps), and a zero ctime is then
	 * no key at all -- the mark is read. */
	ctim.tv_sec = 0;
	ctim.tv_nsec = 0;
	if ((stx->stx_mask & (STATX_CTIME | STATX_INO)) == (STATX_CTIME | STATX_INO)) {
		ctim.tv_sec = stx->stx_ctime.tv_sec;
		ctim.tv_nsec = stx->stx_ctime.tv_nsec;
	}
	if (!cow_bits(fd, dirfd, fd >= 0 ? NULL : path, flags,
		      (mode_t)stx->stx_mode, nlink,
		      statx_dev(stx),
		      (ino_t)stx->stx_ino, &ctim, &wb))
		return;
	if (stx->stx_mask & STATX_MODE)
		stx->stx_mode |= (uint16_t)wb;
	if (stx->stx_mask & STATX_NLINK)
		stx->stx_nlink = 1;
}

CL_EXPORT int statx(int dirfd, const char *path, int flags, unsigned mask,
		    struct statx *stx)
{
	int r = CALL(statx, dirfd, path, flags, mask, stx);

	if (r != 0)
		return r;
	present_statx(dirfd, path, flags, stx);
	/* Last: the presentation's caches key on the real number. */
	if (__builtin_expect(cl_identity_used, 0) && (stx->stx_mask & STATX_INO)) {
		ino_t ino = (ino_t)stx->stx_ino;

		cl_identity_show(statx_dev(stx), &ino);
		stx->stx_ino = (uint64_t)ino;
	}
	return r;
}

/* The directory part of absolute NAME into DIR (PATH_MAX bytes). */
static void dir_of(const char *name, char *dir)
{
	size_t n = strlen(name);

	while (n > 1 && name[n - 1] != '/')
		n--;
	if (n > 1)
		n--; /* drop the slash, keep "/" for the root */
	memcpy(dir, name, n);
	dir[n] = '\0';
}

/* May the caller break the file NAME (ST its stat, WBITS the recorded
 * bits): the engine's own rule (cl_may_break: the presented mode and ACL,
 * and keeping owner and group), asked on a read-only fd for the ACL; a
 * file the caller cannot even open for reading cannot be copied. */
static bool may_break(const char *name, const struct stat *st, mode_t wbits)
{
	int fd, e;

	fd = cl_openat(AT_FDCWD, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		       O_NONBLOCK | O_NOCTTY, 0);
	if (fd < 0)
		return false;
	e = cl_may_break(fd, st, st->st_mode | wbits, CL_NEED_WRITE);
	(void)cl_close(fd);
	return e == 0;
}

/* W_OK on a cowlink (or an orphaned mark) that the real call refused: would
 * a write succeed, break included? The break needs what may_break says
 * (docs/DESIGN.md §5) and write and search permission on the directory of the
 * name. MODE's other bits are asked of the real call. 0: yes; -1 with errno:
 * no, or not a cowlink (errno then is what the real call said, EACCES). */
static int access_cow(int dirfd, const char *path, int mode, int flags,
		      int (*real_ok)(int dirfd, const char *path, int mode,
				     int flags))
{
	char name[PATH_MAX], dir[PATH_MAX];
	struct cl_record r;
	struct stat st;
	int fd, c;

	fd = cl_openat(dirfd, path, O_PATH | O_CLOEXEC |
		       ((flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0), 0);
	if (fd < 0)
		goto refused;
	c = cl_fstat(fd, &st);
	if (c == 0 && S_ISREG(st.st_mode))
		c = cl_cow_fd_path(fd, &st, name);
	else
		c = -1;
	(void)cl_close(fd);
	if (c < 0)
		goto refused;
	if (st.st_nlink > 1)
		c = cl_cow_classify(-1, AT_FDCWD, name, &st, &r);
	else
		c = cl_mark_read_path(name, &r); /* an orphan is unshared */
	if (c <= 0)
		goto refused;
	if (!may_break(name, &st, r.wbits)) {
		cl_debug("access(W_OK) %s: a cowlink the caller may not break", path);
		goto refused;
	}
	dir_of(name, dir);
	if (real_ok(AT_FDCWD, dir, W_OK | X_OK, flags & AT_EACCESS) < 0) {
		cl_debug("access(W_OK) %s: a cowlink in a directory the caller "
			 "may not write", path);
		return -1;
	}
	if ((mode & ~W_OK) && real_ok(dirfd, path, mode & ~W_OK, flags) < 0)
		return -1;
	cl_debug("access(W_OK) %s: a cowlink, writable by a break", path);
	return 0;
refused:
	return (int)cl_ret(-EACCES);
}

/* The four entry points answer through their own real function (access
 * checks real ids, the others effective ones), W_OK first. On success the
 * answer stands: a cowlink the caller may write in place is one it may
 * break too but for a directory it cannot write (documented; checking every
 * success would cost one-link files a system call). */
CL_VIA(access, access, (int dirfd, const char *path, int mode, int flags), (path, mode))
CL_VIA(eaccess, eaccess, (int dirfd, const char *path, int mode, int flags), (path, mode))
CL_VIA(euidaccess, euidaccess, (int dirfd, const char *path, int mode, int flags), (path, mode))
CL_VIA(faccessat, faccessat, (int dirfd, const char *path, int mode, int flags), (dirfd, path, mode, flags))

static int access_body(int (*real_ok)(int, const char *, int, int),
		       int dirfd, const char *path, int mode, int flags)
{
	int saved = errno, r; /* the real access call's EACCES is not the answer yet */

	r = real_ok(dirfd, path, mode, flags);
	if (r == 0 || !(mode & W_OK) || errno != EACCES)
		return r;
	errno = saved;
	return access_cow(dirfd, path, mode, flags,
			  real_ok == via_access ? via_faccessat : real_ok);
}

CL_EXPORT int access(const char *path, int mode)
{
	return access_body(via_access, AT_FDCWD, path, mode, 0);
}

CL_EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	return access_body(via_faccessat, dirfd, path, mode, flags);
}

CL_EXPORT int euidaccess(const char *path, int mode)
{
	return access_body(via_euidaccess, AT_FDCWD, path, mode, AT_EACCESS);
}

CL_EXPORT int eaccess(const char *path, int mode)
{
	return access_body(via_eaccess, AT_FDCWD, path, mode, AT_EACCESS);
}
