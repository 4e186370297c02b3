/* SPDX-License-Identifier: MIT */
/* The user.cowlink record: "cowlink v1 w=0222", with " unsharing" after it
 * while an orphan is being unshared (break.c). One parser, fuzzed. */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

static const char magic[] = "cowlink v";
static const char dying[] = " unsharing";

/* Parse exactly "cowlink v<version> w=<octal>", then an optional
 * " unsharing" and an optional trailing newline. Anything else is malformed; a version other than ours is
 * unknown. Both leave *r zeroed, which callers treat as a cowlink. */
int cl_record_parse(const void *buf, size_t len, struct cl_record *r)
{
	const char *p = buf, *end = p + len;
	unsigned long v = 0, w = 0;
	size_t digits;
	bool unsharing = false;

	r->version = 0;
	r->wbits = 0;
	r->dying = false;
	if (len < sizeof magic - 1 || memcmp(p, magic, sizeof magic - 1))
		return -EINVAL;
	p += sizeof magic - 1;
	for (digits = 0; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > UINT_MAX)
			return -EINVAL;
	}
	if (!digits || v == 0)
		return -EINVAL;
	if (v != CL_RECORD_VERSION)
		return -EPROTO;
	if (end - p < 3 || memcmp(p, " w=", 3))
		return -EINVAL;
	p += 3;
	for (digits = 0; p < end && *p >= '0' && *p <= '7'; p++, digits++) {
		w = w * 8 + (unsigned long)(*p - '0');
		if (digits > 6)
			return -EINVAL;
	}
	if (!digits || (w & ~0222ul))
		return -EINVAL;
	if ((size_t)(end - p) >= sizeof dying - 1 && !memcmp(p, dying, sizeof dying - 1)) {
		p += sizeof dying - 1;
		unsharing = true;
	}
	if (p < end && *p == '\n')
		p++;
	if (p != end)
		return -EINVAL;
	r->version = (unsigned)v;
	r->wbits = (mode_t)w;
	r->dying = unsharing;
	return 0;
}

size_t cl_record_format(const struct cl_record *r, char *buf)
{
	int n = snprintf(buf, CL_RECORD_MAX, "cowlink v%u w=%04o%s",
			 (unsigned)CL_RECORD_VERSION, (unsigned)(r->wbits & 0222),
			 r->dying ? dying : "");
	return n < 0 ? 0 : (size_t)n;
}

/* Turn a getxattr result into the 1 / 0 / -errno answer. */
static int mark_result(ssize_t n, const char *buf, struct cl_record *r)
{
	if (n == -ENODATA || n == -ENOTSUP) {
		r->version = 0;
		r->wbits = 0;
		return 0;
	}
	if (n == -ERANGE) { /* longer than any record of ours: malformed */
		r->version = 0;
		r->wbits = 0;
		return 1;
	}
	if (n < 0)
		return (int)n;
	(void)cl_record_parse(buf, (size_t)n, r);
	return 1;
}

int cl_mark_read_fd(int fd, struct cl_record *r)
{
	char buf[CL_RECORD_MAX];
	return mark_result(cl_fgetxattr(fd, CL_XATTR, buf, sizeof buf), buf, r);
}

int cl_mark_read_path(const char *path, struct cl_record *r)
{
	char buf[CL_RECORD_MAX];
	return mark_result(cl_lgetxattr(path, CL_XATTR, buf, sizeof buf), buf, r);
}

int cl_mark_read_deref(const char *path, struct cl_record *r)
{
	char buf[CL_RECORD_MAX];
	return mark_result(cl_getxattr(path, CL_XATTR, buf, sizeof buf), buf, r);
}

/* Set once getxattrat(2) answered ENOSYS: the kernel predates 6.13. */
static bool no_getxattrat;

/* The mark of DIRFD/NAME, FOLLOW or not a final symlink: from a path
 * (AT_FDCWD or absolute), by getxattrat -- one lookup relative to the
 * directory -- or, before Linux 6.13, through /proc/self/fd/DIRFD/NAME. */
static int mark_read_at(int dirfd, const char *name, bool follow, struct cl_record *r)
{
	char path[PATH_MAX], buf[CL_RECORD_MAX];
	ssize_t got;
	int n;

	if (dirfd != AT_FDCWD && name[0] != '/') {
		if (!__atomic_load_n(&no_getxattrat, __ATOMIC_RELAXED)) {
			got = cl_getxattrat(dirfd, name, follow ? 0 : AT_SYMLINK_NOFOLLOW,
					    CL_XATTR, buf, sizeof buf);
			if (got != -ENOSYS)
				return mark_result(got, buf, r);
			__atomic_store_n(&no_getxattrat, true, __ATOMIC_RELAXED);
		}
		n = snprintf(path, sizeof path, "/proc/self/fd/%d/%s", dirfd, name);
		if (n < 0 || (size_t)n >= sizeof path)
			return -ENAMETOOLONG;
		name = path;
	}
	/* getxattr follows symlinks, magic links included, on every kernel. */
	return follow ? cl_mark_read_deref(name, r) : cl_mark_read_path(name, r);
}

int cl_mark_read_at(int dirfd, const char *name, struct cl_record *r)
{
	return mark_read_at(dirfd, name, false, r);
}

int cl_mark_read_follow(int dirfd, const char *path, struct cl_record *r)
{
	return mark_read_at(dirfd, path, true, r);
}

int cl_mark_write_fd(int fd, const struct cl_record *r, int xflags)
{
	char buf[CL_RECORD_MAX];
	size_t n = cl_record_format(r, buf);
	return cl_fsetxattr(fd, CL_XATTR, buf, n, xflags);
}

int cl_mark_remove_fd(int fd)
{
	int e = cl_fremovexattr(fd, CL_XATTR);
	return e == -ENODATA ? 0 : e;
}
