/* SPDX-License-Identifier: MIT */
/* The core's only door to the kernel: raw system calls that return the
 * result or -errno. They never go through libc's named wrappers, so the core
 * cannot recurse into the preload shim, and tests can inject faults through
 * cl_fault_hook. They leave errno as it was, failing or not (sys.c). */
#ifndef CL_SYS_H
#define CL_SYS_H

#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/uio.h>

/* One code per wrapped call, for fault injection and debugging. */
enum cl_op {
#define SYS(op, type, name, params, call) CL_OP_##op,
#define SYS_HAND(op, type, name, params) CL_OP_##op,
#include "sys.def"
#undef SYS
#undef SYS_HAND
	CL_OP_NR
};

/* When set, called before each call; a non-zero return is an errno that the
 * call then fails with, without reaching the kernel. Tests only. */
extern int (*cl_fault_hook)(enum cl_op op);

/* The calls: int cl_close(int fd), etc., one per sys.def row. */
struct file_handle;
#define SYS(op, type, name, params, call) type cl_##name params;
#define SYS_HAND(op, type, name, params) type cl_##name params;
#include "sys.def"
#undef SYS
#undef SYS_HAND

/* A record from cl_getdents64(). */
struct cl_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

#endif
