/* SPDX-License-Identifier: MIT */
/* The mark of a pinned inode, and is it a cowlink by its mark alone
 * (record.h), apart from record.c, whose parser is fuzzed alone. The
 * decision to act is cl_verdict's (verdict.c). */
#include "internal.h"

#include <errno.h>

#include "banned.h"

int cl_mark_read_pinned(int fd, struct cl_record *r)
{
	char proc[CL_PROC_FD_MAX];
	int m = cl_mark_read_fd(fd, r);

	if (m == -EBADF) { /* O_PATH: fgetxattr refuses it, as getxattrat's "" */
		cl_proc_fd_path(fd, proc);
		m = cl_mark_read_deref(proc, r);
	}
	return m;
}

bool cl_cow_candidate(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_nlink != 0 &&
	       (st->st_nlink > 1 || !(st->st_mode & S_IWUSR));
}

int cl_cow_mark_of(int fd, int dirfd, const char *path, const struct stat *st,
		   struct cl_record *r)
{
	if (!cl_cow_candidate(st))
		return 0;
	if (fd >= 0)
		return cl_mark_read_pinned(fd, r);
	return path ? cl_mark_read_follow(dirfd, path, r) : 0;
}
