/* SPDX-License-Identifier: MIT */
/* Raw system calls for the core (see sys.h). */
#include "sys.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

int (*cl_fault_hook)(enum cl_op op);

#define L_(x) ((long)(x))
/* The 8th of its arguments: what a list of 1 to 7 picks from 7 names. */
#define PICK_(_1, _2, _3, _4, _5, _6, _7, m, ...) m

/* A cl_* call never changes errno, so that no caller needs to save it
 * around one. On x86-64 the kernel's own answer (the result, or -errno in
 * [-4095, -1]) is taken straight from the syscall instruction: no errno is
 * written, and none read, which would cost a call to __errno_location on
 * every raw call (bench case 6's write-open makes several). Each arity has
 * its own asm, which loads only the registers its arguments use. Elsewhere
 * syscall(), whose errno is read on failure and put back. */
#if defined(__x86_64__) && !defined(CL_SYS_LIBC) /* CL_SYS_LIBC: test the other */
#define CLOBBERS "rcx", "r11", "memory"
static inline long raw0(long nr)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(nr) : CLOBBERS);
	return r;
}

static inline long raw1(long nr, long a)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a) : CLOBBERS);
	return r;
}

static inline long raw2(long nr, long a, long b)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b) : CLOBBERS);
	return r;
}

static inline long raw3(long nr, long a, long b, long c)
{
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : CLOBBERS);
	return r;
}

static inline long raw4(long nr, long a, long b, long c, long d)
{
	register long r10 __asm__("r10") = d;
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : CLOBBERS);
	return r;
}

static inline long raw5(long nr, long a, long b, long c, long d, long e)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : CLOBBERS);
	return r;
}

static inline long raw6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : CLOBBERS);
	return r;
}

#define RAW1_(nr) raw0(L_(nr))
#define RAW2_(nr, a) raw1(L_(nr), L_(a))
#define RAW3_(nr, a, b) raw2(L_(nr), L_(a), L_(b))
#define RAW4_(nr, a, b, c) raw3(L_(nr), L_(a), L_(b), L_(c))
#define RAW5_(nr, a, b, c, d) raw4(L_(nr), L_(a), L_(b), L_(c), L_(d))
#define RAW6_(nr, a, b, c, d, e) raw5(L_(nr), L_(a), L_(b), L_(c), L_(d), L_(e))
#define RAW7_(nr, a, b, c, d, e, f) \
	raw6(L_(nr), L_(a), L_(b), L_(c), L_(d), L_(e), L_(f))
/* RAW(nr, args...): the call with as many arguments as given. */
#define RAW(...) \
	PICK_(__VA_ARGS__, RAW7_, RAW6_, RAW5_, RAW4_, RAW3_, RAW2_, RAW1_, -)(__VA_ARGS__)
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

/* A call while a test's fault hook is set: the hook's errno, or the call.
 * Out of line and with every argument, so that the common path, which only
 * tests the hook, needs no stack frame and no saved register. */
static __attribute__((noinline, cold)) long hooked(enum cl_op op, long nr, long a, long b,
						    long c, long d, long e, long f)
{
	int e_ = cl_fault_hook(op);

	if (e_)
		return -e_;
	return RAW(nr, a, b, c, d, e, f);
}

#define HK1_(op, nr) hooked(op, L_(nr), 0, 0, 0, 0, 0, 0)
#define HK2_(op, nr, a) hooked(op, L_(nr), L_(a), 0, 0, 0, 0, 0)
#define HK3_(op, nr, a, b) hooked(op, L_(nr), L_(a), L_(b), 0, 0, 0, 0)
#define HK4_(op, nr, a, b, c) hooked(op, L_(nr), L_(a), L_(b), L_(c), 0, 0, 0)
#define HK5_(op, nr, a, b, c, d) hooked(op, L_(nr), L_(a), L_(b), L_(c), L_(d), 0, 0)
#define HK6_(op, nr, a, b, c, d, e) \
	hooked(op, L_(nr), L_(a), L_(b), L_(c), L_(d), L_(e), 0)
#define HK7_(op, nr, a, b, c, d, e, f) \
	hooked(op, L_(nr), L_(a), L_(b), L_(c), L_(d), L_(e), L_(f))
#define HOOKED(op, ...) \
	PICK_(__VA_ARGS__, HK7_, HK6_, HK5_, HK4_, HK3_, HK2_, HK1_, -)(op, __VA_ARGS__)

/* The body of a call: the hook's path when a test set one, else RAW. */
#define SC(op, ...)                                               \
	do {                                                      \
		if (__builtin_expect(cl_fault_hook != NULL, 0))   \
			return HOOKED(op, __VA_ARGS__);           \
		return RAW(__VA_ARGS__);                          \
	} while (0)

/* The body of every SYS row of sys.def. */
#define SYS(op, type, name, params, call)                             \
	type cl_##name params                                         \
	{                                                             \
		SC(CL_OP_##op, SC_ARGS_ call);                        \
	}
#define SC_ARGS_(...) __VA_ARGS__
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
