/* SPDX-License-Identifier: MIT */
/* Calls that change what an fd number means: they only invalidate the fd
 * table (after the real call, so that a check racing with the close and a
 * reuse of the number cannot leave SAFE behind). Nothing is marked safe
 * here but by the check itself, which knows vfork children.
 *
 * The dup family also refuses to copy a writable fd on a shared inode onto
 * 0, 1 or 2 (ETXTBSY, as a write through it would get): stdio writes
 * stdin/stdout/stderr with glibc-internal calls that no wrapper sees (bash's
 * `exec 1>&3; echo hi`). Other numbers are written through the wrapped
 * calls (or fdopen, which checks). A known-safe fd costs nothing; another
 * one fstat (a shell's redirection of stdout: one more call). */
#include <stdarg.h>
#include <string.h>

#include "decide.h"
#include "fdtab.h"
#include "preload.h"
#include "real.h"

/* 0, or -1 with errno ETXTBSY when FD is a writable fd on a shared inode
 * that would become fd TO (0-2 checked; -1: the lowest free number). */
static int dup_ok(int fd, int to)
{
	int e;

	if (to > 2 || __builtin_expect(cl_fd_is_safe(fd), 1))
		return 0;
	e = cl_cow_check_fd(fd);
	if (e == 0)
		return 0;
	cl_debug("dup of fd %d: a writable fd on a shared inode, refused", fd);
	errno = -e;
	return -1;
}

CL_EXPORT int close(int fd)
{
	int r = REAL(close)(fd);

	(void)cl_fd_invalidate(fd);
	return r;
}

CL_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	int r;

	if (REAL_MISSING(close_range))
		return cl_enosys();
	r = real_close_range(first, last, flags);
	if (r == 0)
		cl_fd_invalidate_range(first, last);
	return r;
}

CL_EXPORT void closefrom(int lowfd)
{
	if (!REAL_MISSING(closefrom))
		real_closefrom(lowfd);
	cl_fd_invalidate_range(lowfd < 0 ? 0 : (unsigned)lowfd, ~0u);
}

CL_EXPORT int dup(int fd)
{
	int r;

	if (dup_ok(fd, -1) < 0)
		return -1;
	r = REAL(dup)(fd);

	if (r >= 0)
		(void)cl_fd_invalidate(r);
	return r;
}

CL_EXPORT int dup2(int fd, int fd2)
{
	int r;

	if (dup_ok(fd, fd2) < 0)
		return -1;
	r = REAL(dup2)(fd, fd2);

	if (r >= 0)
		(void)cl_fd_invalidate(r);
	return r;
}

CL_EXPORT int dup3(int fd, int fd2, int flags)
{
	int r;

	if (dup_ok(fd, fd2) < 0)
		return -1;
	r = REAL(dup3)(fd, fd2, flags);

	if (r >= 0)
		(void)cl_fd_invalidate(r);
	return r;
}

/* fcntl's third argument is an int or a pointer; like glibc, pass it on as
 * a pointer-sized value. */
static int fcntl_body(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
	int r;

	if ((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) &&
	    dup_ok(fd, (int)(intptr_t)arg > 2 ? (int)(intptr_t)arg : -1) < 0)
		return -1;
	r = real(fd, cmd, arg);

	if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		(void)cl_fd_invalidate(r);
	return r;
}

CL_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_body(REAL(fcntl), fd, cmd, arg);
}

CL_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	if (REAL_MISSING(fcntl64))
		return cl_enosys();
	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_body(real_fcntl64, fd, cmd, arg);
}

/* Every fd that arrives with SCM_RIGHTS takes a number whose old meaning the
 * table may still hold. */
/* Received descriptors (SCM_RIGHTS) take numbers that may have been closed
 * past our wrappers (glibc's own fclose): invalidate each. */
static void invalidate_rights(struct msghdr *msg)
{
	struct cmsghdr *c;

	if (!msg || !msg->msg_control)
		return;
	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n;
		const unsigned char *p;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		p = CMSG_DATA(c);
		for (size_t i = 0; i < n; i++) {
			int nfd;

			memcpy(&nfd, p + i * sizeof(int), sizeof nfd);
			(void)cl_fd_invalidate(nfd);
		}
	}
}

CL_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t r = REAL(recvmsg)(fd, msg, flags);

	if (r >= 0)
		invalidate_rights(msg);
	return r;
}

CL_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int n, int flags,
		       struct timespec *timeout)
{
	int r;

	if (REAL_MISSING(recvmmsg))
		return cl_enosys();
	r = real_recvmmsg(fd, vec, n, flags, timeout);
	for (int i = 0; i < r; i++)
		invalidate_rights(&vec[i].msg_hdr);
	return r;
}
