/* SPDX-License-Identifier: MIT */
/* truncate(path, n): break keeping only the first n bytes (none for 0: the
 * private file starts empty), then the real truncate on the private file.
 * A protected cowlink or orphan that still answers EACCES is broken and the
 * call retried once. */
#include <limits.h>

#include "decide.h"
#include "preload.h"
#include "real.h"

static int trunc_body(int (*real)(const char *, off64_t), const char *path,
		      off64_t len)
{
	char name[PATH_MAX];
	int saved = errno, e = 0, r; /* a failed real truncate's EACCES before the retry */

	/* After a break, truncate the name that was broken: PATH may be a
	 * magic link that still leads to the shared inode. */
	if (len >= 0) {
		e = cl_cow_break_if_cow(AT_FDCWD, path, false, len, false, name);
		if (e < 0)
			return (int)cl_ret(e);
	}
	r = real(e > 0 ? name : path, len);
	if (r < 0 && errno == EACCES && len >= 0) {
		e = cl_cow_break_if_cow(AT_FDCWD, path, false, len, true, name);
		if (e <= 0) {
			errno = e < 0 ? -e : EACCES;
			return -1;
		}
		errno = saved;
		r = real(name, len);
	}
	return r;
}

/* truncate's off_t is off64_t here (LP64); this adapter keeps one body. */
static int real_trunc32(const char *path, off64_t len)
{
	return REAL(truncate)(path, (off_t)len);
}

static int real_trunc64(const char *path, off64_t len)
{
	return REAL(truncate64)(path, len);
}

CL_EXPORT int truncate(const char *path, off_t len)
{
	return trunc_body(real_trunc32, path, len);
}

CL_EXPORT int truncate64(const char *path, off64_t len)
{
	return trunc_body(real_trunc64, path, len);
}
