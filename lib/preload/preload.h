/* SPDX-License-Identifier: MIT */
/* Common includes and helpers of the shim's wrapper families. The shim is
 * compiled without _FILE_OFFSET_BITS=64 and without fortification, so that
 * `open`, `stat`, `mmap`... below are the plain symbols, not redirects. */
#ifndef CL_PRELOAD_H
#define CL_PRELOAD_H

#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

#include "glibc.h"
#include "internal.h"

/* Exported entry points (everything else is hidden). */
#define CL_EXPORT __attribute__((visibility("default")))

/* Turn a core result (0 / count or -errno) into the libc convention, keeping
 * errno untouched on success. */
static inline long cl_ret(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* via_NAME: the real SYM called as ARGS from PARAMS, the signature of the
 * shared body of SYM's family, so that one body serves a family's path,
 * *at and fd forms. */
#define CL_VIA(name, sym, params, args) \
	static int via_##name params    \
	{                               \
		return REAL(sym) args;  \
	}

/* The answer of an optional row's wrapper when libc lacks the symbol
 * (CL_W_OPTIONAL): what a libc without the call would give. */
static inline int cl_enosys(void)
{
	errno = ENOSYS;
	return -1;
}

#endif
