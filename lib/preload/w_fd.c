/* Calls that change what an fd number means: they only invalidate the fd
 * table (after the real call, so that a check racing with the close and a
 * reuse of the number cannot leave SAFE behind). Never mark anything safe
 * here: vfork children share the table and come through these too. */
#include <stdarg.h>
#include <string.h>

#include "fdtab.h"
#include "preload.h"
#include "real.h"

CL_EXPORT int close(int fd)
{
	int r = REAL(close)(fd);

	(void)cl_fd_invalidate(fd);
	return r;
}

CL_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	int r;

	if (REAL_MISSING(close_range)) {
		errno = ENOSYS;
		return -1;
	}
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
	int r = REAL(dup)(fd);

	if (r >= 0)
		(void)cl_fd_invalidate(r);
	return r;
}

CL_EXPORT int dup2(int fd, int fd2)
{
	int r = REAL(dup2)(fd, fd2);

	if (r >= 0)
		(void)cl_fd_invalidate(r);
	return r;
}

CL_EXPORT int dup3(int fd, int fd2, int flags)
{
	int r = REAL(dup3)(fd, fd2, flags);

	if (r >= 0)
		(void)cl_fd_invalidate(r);
	return r;
}

/* fcntl's third argument is an int or a pointer; like glibc, pass it on as
 * a pointer-sized value. */
static int fcntl_body(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
	int r = real(fd, cmd, arg);

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

	if (REAL_MISSING(fcntl64)) {
		errno = ENOSYS;
		return -1;
	}
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

	if (REAL_MISSING(recvmmsg)) {
		errno = ENOSYS;
		return -1;
	}
	r = real_recvmmsg(fd, vec, n, flags, timeout);
	for (int i = 0; i < r; i++)
		invalidate_rights(&vec[i].msg_hdr);
	return r;
}
