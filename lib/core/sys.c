/* SPDX-License-Identifier: MIT */
/* Raw system calls for the core (see sys.h). */
#include "sys.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

int (*cl_fault_hook)(enum cl_op op);

/* Fail with an injected errno when a test asks for one. */
#define FAULT(op)                                                     \
	do {                                                          \
		if (__builtin_expect(cl_fault_hook != NULL, 0)) {     \
			int e_ = cl_fault_hook(op);                   \
			if (e_)                                       \
				return -e_;                           \
		}                                                     \
	} while (0)

/* A cl_* call never changes errno, so that no caller needs to save it
 * around one. On x86-64 the kernel's own answer (the result, or -errno in
 * [-4095, -1]) is taken straight from the syscall instruction: no errno is
 * written, and none read, which would cost a call to __errno_location on
 * every raw call (bench case 6's write-open makes several). Elsewhere
 * syscall(), whose errno is read on failure and put back. */
#if defined(__x86_64__) && !defined(CL_SYS_LIBC) /* CL_SYS_LIBC: test the other */
static inline long raw6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
}
#define RAW7(nr, a, b, c, d, e, f, ...)                                      \
	raw6((long)(nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), \
	     (long)(f))
#define RAW(...) RAW7(__VA_ARGS__, 0, 0, 0, 0, 0, 0)
#else
static inline long raw_ret(long r, int saved)
{
	if (r == -1) {
		r = -errno;
		errno = saved;
	}
	return r;
}
#define RAW(...)                                                  \
	__extension__({                                           \
		int saved_ = errno;                               \
		raw_ret(syscall(__VA_ARGS__), saved_);            \
	})
#endif

#define SC(op, ...)                              \
	do {                                     \
		FAULT(op);                       \
		return RAW(__VA_ARGS__);         \
	} while (0)

/* The body of every SYS row of sys.def. */
#define SYS(op, type, name, params, call)                             \
	type cl_##name params                                         \
	{                                                             \
		FAULT(CL_OP_##op);                                    \
		return RAW call;                                      \
	}
#define SYS_HAND(op, type, name, params)
#include "sys.def"
#undef SYS
#undef SYS_HAND

#ifndef SYS_getxattrat
#define SYS_getxattrat 464 /* the same on every architecture (Linux 6.13) */
#endif

/* SYS_HAND: value and size travel in a struct, and older headers lack the nr. */
ssize_t cl_getxattrat(int d, const char *p, int atflags, const char *name, void *v, size_t n)
{
	struct {
		uint64_t value;
		uint32_t size;
		uint32_t flags;
	} args = { (uint64_t)(uintptr_t)v, (uint32_t)n, 0 };

	SC(CL_OP_GETXATTRAT, SYS_getxattrat, d, p, atflags, name, &args, sizeof args);
}
