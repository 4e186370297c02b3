/* SPDX-License-Identifier: MIT */
/* The per-fd table (see fdtab.h). Plain static memory: fork copies it, which
 * is right since the child's fds are copies too. A vfork child shares it
 * with a parent whose fds may differ, so it may only invalidate: a page
 * marked MADV_WIPEONFORK holds the pid that owns the table; a fork child
 * finds it zeroed and takes it over, a vfork child finds its parent's pid
 * there and does not mark. */
#include "fdtab.h"

#include <sys/mman.h>

#include "sys.h"

uint8_t cl_fdtab[CL_FDTAB_SIZE];

/* The highest fd a check or an invalidation ever started on: every entry
 * above it is untouched, so a range invalidation (closefrom(3) before an
 * exec, in every subprocess) stops there instead of at 65535. Raised before
 * the byte is read, so a check in flight is always below it. */
unsigned cl_fd_hiwater;

/* The owner's pid, in a page wiped on fork; NULL until cl_fdtab_init. */
static int *owner;

void cl_fdtab_init(void)
{
	long p;

	if (__atomic_load_n(&owner, __ATOMIC_ACQUIRE))
		return;
	/* Raw calls: mmap and madvise by name may be our own wrappers, and
	 * libc's syscall() would cost every process a lazy binding. */
	p = cl_mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p < 0 && p >= -4095)
		return;
	/* Without MADV_WIPEONFORK (Linux < 4.14) a fork child looks like a
	 * vfork child: it never marks, it only checks every time. */
	(void)cl_madvise((void *)p, 4096, MADV_WIPEONFORK);
	__atomic_store_n(&owner, (int *)p, __ATOMIC_RELEASE);
}

/* May this process store SAFE (it owns the table's fds)? */
static bool may_mark(void)
{
	int *o = __atomic_load_n(&owner, __ATOMIC_ACQUIRE);
	int me, was;

	if (!o)
		return false;
	me = (int)cl_getpid();
	was = __atomic_load_n(o, __ATOMIC_RELAXED);
	if (was == me)
		return true;
	if (was != 0)
		return false; /* vfork child: the parent's table */
	/* First mark in this process, or the first after a fork. */
	return __atomic_compare_exchange_n(o, &was, me, false, __ATOMIC_RELAXED,
					   __ATOMIC_RELAXED) || was == me;
}

uint8_t cl_fd_begin_check(int fd)
{
	if ((unsigned)fd >= CL_FDTAB_SIZE)
		return 0;
	cl_fd_raise_hiwater((unsigned)fd);
	return __atomic_load_n(&cl_fdtab[fd], __ATOMIC_SEQ_CST);
}

bool cl_fd_mark_safe(int fd, uint8_t seen)
{
	uint8_t want = (uint8_t)((seen & ~CL_FD_STATE) | CL_FD_SAFE);

	if ((unsigned)fd >= CL_FDTAB_SIZE || !may_mark())
		return false;
	return __atomic_compare_exchange_n(&cl_fdtab[fd], &seen, want, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

uint8_t cl_fd_invalidate(int fd)
{
	return cl_fd_invalidate_inline(fd);
}

void cl_fd_invalidate_range(unsigned lo, unsigned hi)
{
	unsigned top = __atomic_load_n(&cl_fd_hiwater, __ATOMIC_SEQ_CST);

	if (hi > top)
		hi = top;
	/* Every entry, UNKNOWN ones too: a check may be in flight on any. */
	for (unsigned fd = lo; fd <= hi; fd++)
		(void)cl_fd_invalidate((int)fd);
}
