/* SPDX-License-Identifier: MIT */
/* The glibc entry points the shim wraps that no header declares to it: the
 * fortify twins (declared only under _FORTIFY_SOURCE, which the shim is built
 * without) and the pre-2.33 stat names that old binaries still call. wrap.def
 * is checked against these as against every other prototype (real.c). */
#ifndef CL_GLIBC_H
#define CL_GLIBC_H

#include <stdarg.h>
#include <sys/stat.h>

int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

int __xstat(int ver, const char *path, struct stat *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __fxstat(int ver, int fd, struct stat *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstat64(int ver, int fd, struct stat64 *st);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st,
		 int flags);

int __vdprintf_chk(int fd, int flag, const char *fmt, va_list ap);
int __dprintf_chk(int fd, int flag, const char *fmt, ...);

#endif
