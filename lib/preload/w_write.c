/* SPDX-License-Identifier: MIT */
/* Writes through fds the shim did not open (docs/DESIGN.md §4, the fd table).
 * The fast path on a known-safe fd is a bounds check, one relaxed load and the
 * real call: no system call, lock, TLS or getenv. An unknown fd is checked
 * once (cl_cow_check_fd); a writable fd on a shared inode makes the call fail
 * with ETXTBSY. real_<sym> of the non-optional rows is called without
 * REAL(): a SAFE byte implies they were resolved (cl_cow_mark_safe). */
#include "preload.h"
#include "decide.h"

/* The table and the real_* pointers are this library's own: saying so lets
 * the fast path reach them without a GOT load (one instruction less). */
#pragma GCC visibility push(hidden)
#include "fdtab.h"
#include "real.h"
#pragma GCC visibility pop

/* Check FD when it is not known safe; on refusal set errno and return
 * FAILVAL from the calling wrapper. */
#define CHECK_OR_FAIL(fd, failval)                           \
	do {                                                 \
		int e_ = cl_cow_check_fd(fd);                \
		if (e_ < 0) {                                \
			errno = -e_;                         \
			return failval;                      \
		}                                            \
	} while (0)

/* The slow paths live apart so that the fast path needs no stack frame:
 * it compiles to a tail jump. */
#define SLOW static __attribute__((noinline, cold))

/* A write-family wrapper writing to the fd FD and its slow path: the fast
 * path on a known-safe fd, else the check once, then the real call. ARGS:
 * PARAMS' names, parenthesised. FAST: the fd is the one called fd. */
#define FAST_TO(fd, type, sym, params, args)                         \
	SLOW type sym##_slow params                                  \
	{                                                            \
		CHECK_OR_FAIL(fd, -1);                               \
		return REAL(sym) args;                               \
	}                                                            \
	CL_EXPORT type sym params                                    \
	{                                                            \
		if (__builtin_expect(cl_fd_is_safe(fd), 1))          \
			return real_##sym args;                      \
		return sym##_slow args;                              \
	}
#define FAST(type, sym, params, args) FAST_TO(fd, type, sym, params, args)

FAST(ssize_t, write, (int fd, const void *buf, size_t n), (fd, buf, n))
FAST(ssize_t, pwrite, (int fd, const void *buf, size_t n, off_t off), (fd, buf, n, off))
FAST(ssize_t, pwrite64, (int fd, const void *buf, size_t n, off64_t off), (fd, buf, n, off))
FAST(ssize_t, writev, (int fd, const struct iovec *iov, int cnt), (fd, iov, cnt))
FAST(ssize_t, pwritev, (int fd, const struct iovec *iov, int cnt, off_t off), (fd, iov, cnt, off))
FAST(ssize_t, pwritev64, (int fd, const struct iovec *iov, int cnt, off64_t off), (fd, iov, cnt, off))

CL_EXPORT ssize_t pwritev2(int fd, const struct iovec *iov, int cnt, off_t off,
			   int flags)
{
	if (REAL_MISSING(pwritev2))
		return cl_enosys();
	if (!cl_fd_is_safe(fd))
		CHECK_OR_FAIL(fd, -1);
	return real_pwritev2(fd, iov, cnt, off, flags);
}

CL_EXPORT ssize_t pwritev64v2(int fd, const struct iovec *iov, int cnt,
			      off64_t off, int flags)
{
	if (REAL_MISSING(pwritev64v2))
		return cl_enosys();
	if (!cl_fd_is_safe(fd))
		CHECK_OR_FAIL(fd, -1);
	return real_pwritev64v2(fd, iov, cnt, off, flags);
}

FAST(int, ftruncate, (int fd, off_t len), (fd, len))
FAST(int, ftruncate64, (int fd, off64_t len), (fd, len))
FAST(int, fallocate, (int fd, int mode, off_t off, off_t len), (fd, mode, off, len))
FAST(int, fallocate64, (int fd, int mode, off64_t off, off64_t len), (fd, mode, off, len))

/* posix_fallocate reports its error as the return value, errno untouched. */
#define POSIX_FALLOCATE(sym, off_type)                               \
	CL_EXPORT int sym(int fd, off_type off, off_type len)        \
	{                                                            \
		int e;                                               \
                                                                     \
		if (__builtin_expect(cl_fd_is_safe(fd), 1))          \
			return real_##sym(fd, off, len);             \
		e = cl_cow_check_fd(fd);                             \
		if (e < 0)                                           \
			return -e;                                   \
		return REAL(sym)(fd, off, len);                      \
	}
POSIX_FALLOCATE(posix_fallocate, off_t)
POSIX_FALLOCATE(posix_fallocate64, off64_t)

/* copy_file_range, sendfile, splice: only the target fd is written. */
CL_EXPORT ssize_t copy_file_range(int in, off64_t *inoff, int out,
				  off64_t *outoff, size_t n, unsigned flags)
{
	if (REAL_MISSING(copy_file_range))
		return cl_enosys();
	if (!cl_fd_is_safe(out))
		CHECK_OR_FAIL(out, -1);
	return real_copy_file_range(in, inoff, out, outoff, n, flags);
}

FAST_TO(out, ssize_t, sendfile, (int out, int in, off_t *off, size_t n), (out, in, off, n))
FAST_TO(out, ssize_t, sendfile64, (int out, int in, off64_t *off, size_t n), (out, in, off, n))
FAST_TO(out, ssize_t, splice,
	(int in, off64_t *inoff, int out, off64_t *outoff, size_t n, unsigned flags),
	(in, inoff, out, outoff, n, flags))

/* A shared mapping (MAP_SHARED, MAP_SHARED_VALIDATE: anything but
 * MAP_PRIVATE) of a file fd writes the file, now or after an mprotect. */
#define MAPS_FILE(flags, fd) \
	((fd) >= 0 && !((flags) & MAP_ANONYMOUS) && ((flags) & MAP_TYPE) != MAP_PRIVATE)

/* POSIX AIO writes in a helper thread through glibc-internal calls: each
 * write request's fd is checked before it is queued. */
#define AIO_CHECK(cb) CHECK_OR_FAIL((cb)->aio_fildes, -1)

CL_EXPORT int aio_write(struct aiocb *cb)
{
	if (!cl_fd_is_safe(cb->aio_fildes))
		AIO_CHECK(cb);
	return REAL(aio_write)(cb);
}

CL_EXPORT int aio_write64(struct aiocb64 *cb)
{
	if (!cl_fd_is_safe(cb->aio_fildes))
		AIO_CHECK(cb);
	return REAL(aio_write64)(cb);
}

/* lio_listio: every LIO_WRITE in LIST; a refusal fails the whole call
 * before anything is queued (EIO would say some were). */
#define LIO_CHECK(list, n)                                                   \
	do {                                                                 \
		for (int i_ = 0; i_ < (n); i_++)                             \
			if (list[i_] && list[i_]->aio_lio_opcode == LIO_WRITE && \
			    !cl_fd_is_safe(list[i_]->aio_fildes))            \
				AIO_CHECK(list[i_]);                         \
	} while (0)

CL_EXPORT int lio_listio(int mode, struct aiocb *const list[], int n,
			 struct sigevent *sev)
{
	LIO_CHECK(list, n);
	return REAL(lio_listio)(mode, list, n, sev);
}

CL_EXPORT int lio_listio64(int mode, struct aiocb64 *const list[], int n,
			   struct sigevent *sev)
{
	LIO_CHECK(list, n);
	return REAL(lio_listio64)(mode, list, n, sev);
}

CL_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (!MAPS_FILE(flags, fd) || cl_fd_is_safe(fd))
		return REAL(mmap)(addr, len, prot, flags, fd, off);
	CHECK_OR_FAIL(fd, MAP_FAILED);
	return REAL(mmap)(addr, len, prot, flags, fd, off);
}

CL_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd,
		       off64_t off)
{
	if (!MAPS_FILE(flags, fd) || cl_fd_is_safe(fd))
		return REAL(mmap64)(addr, len, prot, flags, fd, off);
	CHECK_OR_FAIL(fd, MAP_FAILED);
	return REAL(mmap64)(addr, len, prot, flags, fd, off);
}

/* dprintf and friends format into an fd through glibc-internal writes that
 * the write wrapper never sees: check the fd here, then format. The _chk
 * forms are what _FORTIFY_SOURCE makes of them (glibc.h declares them). */

CL_EXPORT int vdprintf(int fd, const char *fmt, va_list ap)
{
	if (!cl_fd_is_safe(fd))
		CHECK_OR_FAIL(fd, -1);
	return REAL(vdprintf)(fd, fmt, ap);
}

CL_EXPORT int dprintf(int fd, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (!cl_fd_is_safe(fd))
		CHECK_OR_FAIL(fd, -1);
	va_start(ap, fmt);
	r = REAL(vdprintf)(fd, fmt, ap);
	va_end(ap);
	return r;
}

CL_EXPORT int __vdprintf_chk(int fd, int flag, const char *fmt, va_list ap)
{
	if (REAL_MISSING(__vdprintf_chk))
		return cl_enosys();
	if (!cl_fd_is_safe(fd))
		CHECK_OR_FAIL(fd, -1);
	return real___vdprintf_chk(fd, flag, fmt, ap);
}

CL_EXPORT int __dprintf_chk(int fd, int flag, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (REAL_MISSING(__vdprintf_chk))
		return cl_enosys();
	if (!cl_fd_is_safe(fd))
		CHECK_OR_FAIL(fd, -1);
	va_start(ap, fmt);
	r = real___vdprintf_chk(fd, flag, fmt, ap);
	va_end(ap);
	return r;
}
