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

/* syscall() reports failure through errno; turn that into -errno and
 * put back the errno the caller had (SAVED): a cl_* call never changes it,
 * so that no caller needs to save it around one. */
static inline long ret(long r, int saved)
{
	if (r == -1) {
		r = -errno;
		errno = saved;
	}
	return r;
}

#define SC(op, ...)                                              \
	do {                                                     \
		int saved_ = errno;                              \
		FAULT(op);                                       \
		return ret(syscall(__VA_ARGS__), saved_);        \
	} while (0)

/* The body of every SYS row of sys.def. */
#define SYS(op, type, name, params, call)                             \
	type cl_##name params                                         \
	{                                                             \
		int saved_ = errno;                                   \
		FAULT(CL_OP_##op);                                    \
		return ret(syscall call, saved_);                     \
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
