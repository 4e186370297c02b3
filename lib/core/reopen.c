/* SPDX-License-Identifier: MIT */
/* Giving an inherited writable fd on a shared inode the private copy of
 * its name, once that is broken: the shim's constructor (fds 0-2 of the
 * program it is loaded into) and cowlink_spawn (those of the command). */
#include "internal.h"

#include <errno.h>

#include "banned.h"

int cl_fd_reopen(int fd, const char *name, int fl)
{
	int nfd, fdfl, e;
	off_t off;

	fl &= O_ACCMODE | O_APPEND | O_NONBLOCK | O_SYNC | O_DSYNC | O_DIRECT |
	      O_NOATIME | O_LARGEFILE;
	nfd = cl_openat(AT_FDCWD, name, fl | O_NOFOLLOW | O_CLOEXEC, 0);
	if (nfd < 0)
		return nfd;
	off = cl_lseek(fd, 0, SEEK_CUR);
	if (off > 0)
		(void)cl_lseek(nfd, off, SEEK_SET);
	fdfl = cl_fcntl(fd, F_GETFD, 0);
	e = cl_dup3(nfd, fd, fdfl > 0 && (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0);
	(void)cl_close(nfd);
	return e < 0 ? e : 0;
}
