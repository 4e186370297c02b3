/* SPDX-License-Identifier: MIT */
/* Reading (and writing) the caller's memory without faulting (docs/DESIGN.md §4, "Caller
 * memory"). A wrapper that must look at what a pointer argument points to
 * before the kernel has accepted it -- an xattr name it may have to refuse,
 * the times that decide whether a break is due -- copies it with these: a
 * bad pointer is then an answer (-EFAULT, and the wrapper lets the real call
 * give the kernel's), not a SIGSEGV in the shim. A getpid and a
 * process_vm_readv each, so never on a fast path: wherever the kernel reads a pointer before the
 * shim needs it, the shim reads it after the kernel instead. Implemented in
 * peek.c. */
#ifndef CL_PEEK_H
#define CL_PEEK_H

#include <stdbool.h>
#include <stddef.h>

/* N bytes at SRC into DST: 0, or -EFAULT when any of them is unreadable. */
int cl_peek(void *dst, const void *src, size_t n);

/* The string at SRC into DST (CAP bytes): 0, -EFAULT when it is unreadable
 * before its NUL, -ENAMETOOLONG when it has no NUL in CAP bytes. */
int cl_peek_str(char *dst, size_t cap, const char *src);

/* N bytes of SRC into the caller's DST, which the kernel has not written:
 * 0, or -EFAULT when DST is not writable (nothing written then, or part). */
int cl_poke(void *dst, const void *src, size_t n);

/* *PATH == '\0', false when PATH is unreadable (the kernel then says EFAULT
 * wherever the path goes). */
bool cl_peek_empty(const char *path);

#endif
