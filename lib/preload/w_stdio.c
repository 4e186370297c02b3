/* SPDX-License-Identifier: MIT */
/* stdio opens. glibc opens inside fopen with an internal call no wrapper
 * sees: a write mode is therefore opened by the shim's own write-open and
 * handed to fdopen. freopen and ",ccs=" modes still decide on the path
 * first (break, copying nothing for "w"), then the real call opens the
 * private file. The mode string is read as glibc reads it. */
#include <limits.h>
#include <string.h>

#include "decide.h"
#include "fdtab.h"
#include "preload.h"
#include "real.h"

/* open(2) flags for an fopen MODE, as glibc's _IO_new_file_fopen reads it:
 * 'r', 'w' or 'a', then up to six of "+xbmce" and others until ',' (",ccs=")
 * or the end. -1 for a mode glibc rejects (the real call says EINVAL). */
static int mode_flags(const char *mode)
{
	int acc, extra;

	switch (mode[0]) {
	case 'r':
		acc = O_RDONLY;
		extra = 0;
		break;
	case 'w':
		acc = O_WRONLY;
		extra = O_CREAT | O_TRUNC;
		break;
	case 'a':
		acc = O_WRONLY;
		extra = O_CREAT | O_APPEND;
		break;
	default:
		return -1;
	}
	for (int i = 1; i < 7 && mode[i] && mode[i] != ','; i++) {
		if (mode[i] == '+')
			acc = O_RDWR;
		else if (mode[i] == 'x')
			extra |= O_EXCL;
		else if (mode[i] == 'e')
			extra |= O_CLOEXEC;
	}
	return acc | extra;
}

#define WRITES(fl) ((fl) > 0 && ((fl) & O_ACCMODE) != O_RDONLY)
#define EXCL(fl) (((fl) & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))

/* Before a real fopen of PATH with FL: break a cowlink there (nothing
 * copied when FL truncates). 1 broken (go on with NAME, not PATH, which
 * may be a magic link to the old inode), 0 nothing done, or -errno. */
static int before_open(const char *path, int fl, bool orphans, char *name)
{
	if (!WRITES(fl) || EXCL(fl))
		return 0;
	return cl_cow_break_if_cow(AT_FDCWD, path, false, (fl & O_TRUNC) ? 0 : -1,
				   orphans, name);
}

/* fopen for writing without glibc's internal open: the shim's own write-open
 * (which looks at what it opened, and truncates only then), then fdopen.
 * Not for ",ccs=" modes, which only fopen understands. */
static FILE *fopen_by_fd(const char *path, const char *mode, int fl)
{
	int fd;
	FILE *f;

	fd = cl_open_write(AT_FDCWD, path, fl, 0666);
	if (fd < 0)
		return NULL;
	f = REAL(fdopen)(fd, mode);
	if (!f) {
		(void)cl_close(fd);
		(void)cl_fd_invalidate(fd);
	}
	return f;
}

static FILE *fopen_body(FILE *(*real)(const char *, const char *),
			const char *path, const char *mode)
{
	int fl = mode && path ? mode_flags(mode) : -1;
	char name[PATH_MAX];
	int saved = errno, e; /* a failed real fopen's EACCES before the retry */
	FILE *f;

	if (WRITES(fl) && !cl_cow_off && !strchr(mode, ','))
		return fopen_by_fd(path, mode, fl);
	e = before_open(path, fl, false, name);
	if (e < 0) {
		errno = -e;
		return NULL;
	}
	f = real(e > 0 ? name : path, mode);
	if (!f && errno == EACCES && WRITES(fl) && !EXCL(fl)) {
		/* A protected cowlink whose mark we could not see before, or
		 * an orphan: break and retry once. */
		e = before_open(path, fl, true, name);
		if (e <= 0) {
			errno = e < 0 ? -e : EACCES;
			return NULL;
		}
		errno = saved;
		f = real(name, mode);
	}
	if (f)
		(void)cl_fd_invalidate(fileno(f));
	return f;
}

static FILE *real_fopen32(const char *path, const char *mode)
{
	return REAL(fopen)(path, mode);
}

static FILE *real_fopen64b(const char *path, const char *mode)
{
	return REAL(fopen64)(path, mode);
}

CL_EXPORT FILE *fopen(const char *path, const char *mode)
{
	return fopen_body(real_fopen32, path, mode);
}

CL_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	return fopen_body(real_fopen64b, path, mode);
}

/* freopen: with a path, like fopen. With NULL (a mode change on the same
 * file, which glibc reopens through /proc/self/fd) and a write mode, the
 * fd's name is broken and the private file reopened by that name. */
static FILE *freopen_body(FILE *(*real)(const char *, const char *, FILE *),
			  const char *path, const char *mode, FILE *f)
{
	char name[PATH_MAX];
	struct cl_record r;
	struct stat st;
	int fl = mode ? mode_flags(mode) : -1;
	/* The break before the real call (before_open, cl_cow_classify,
	 * cl_cow_break) and libc's fileno do not promise to keep errno. */
	int saved = errno, fd = f ? fileno(f) : -1, e;
	FILE *res;

	if (path) {
		e = before_open(path, fl, false, name);
		if (e > 0)
			path = name;
	} else if (WRITES(fl) && fd >= 0 && cl_fstat(fd, &st) == 0) {
		e = cl_cow_classify(fd, AT_FDCWD, NULL, &st, &r);
		if (e > 0) {
			e = cl_cow_break(&(struct cl_break_req){ .fd = fd, .fdst = &st,
				.name = name });
			if (e == 0)
				path = name;
		}
	} else {
		e = 0;
	}
	if (e < 0) {
		errno = -e;
		return NULL;
	}
	errno = saved;
	res = real(path, mode, f);
	if (fd >= 0)
		(void)cl_fd_invalidate(fd);
	if (res)
		(void)cl_fd_invalidate(fileno(res));
	return res;
}

CL_EXPORT FILE *freopen(const char *path, const char *mode, FILE *f)
{
	return freopen_body(REAL(freopen), path, mode, f);
}

CL_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *f)
{
	return freopen_body(REAL(freopen64), path, mode, f);
}

/* fdopen for writing: the fd may be one the shim never saw. */
CL_EXPORT FILE *fdopen(int fd, const char *mode)
{
	int fl = mode ? mode_flags(mode) : -1;

	if (WRITES(fl) && !cl_fd_is_safe(fd)) {
		int e = cl_cow_check_fd(fd);

		if (e < 0) {
			errno = -e;
			return NULL;
		}
	}
	return REAL(fdopen)(fd, mode);
}
