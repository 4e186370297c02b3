/* SPDX-License-Identifier: MIT */
/* The per-fd table of the write family (docs/DESIGN.md §4): one atomic byte per
 * fd, lock-free and async-signal-safe. A byte is (generation << 2) | state.
 * Only a check (an fstat of the fd) may mark an fd SAFE, and only with a
 * compare-and-swap from the byte it read before the fstat; everything that
 * changes what an fd number means bumps the generation, so a check that
 * raced with close + reuse fails its swap and stores nothing. The 6-bit
 * generation wraps after 64 invalidations of one fd during one check: a
 * stale SAFE then needs 64 closes of that fd inside one fstat. */
#ifndef CL_FDTAB_H
#define CL_FDTAB_H

#include <stdbool.h>
#include <stdint.h>

/* fds at or above this are never cached: every call on them checks. */
#define CL_FDTAB_SIZE 65536

#define CL_FD_UNKNOWN   0u
#define CL_FD_SAFE      1u    /* a check found no shared inode behind a writable fd */
#define CL_FD_STATE     3u
#define CL_FD_GEN_ONE   4u

extern uint8_t cl_fdtab[CL_FDTAB_SIZE];

/* The write fast path: bounds check and one relaxed load. */
static inline bool cl_fd_is_safe(int fd)
{
	return (unsigned)fd < CL_FDTAB_SIZE &&
	       (__atomic_load_n(&cl_fdtab[fd], __ATOMIC_RELAXED) & CL_FD_SAFE);
}

/* Before a check: the byte to hand to cl_fd_mark_safe (0 out of range). */
uint8_t cl_fd_begin_check(int fd);
/* After a check found FD safe: store SAFE unless FD was invalidated since
 * SEEN was read (or we are a vfork child sharing the parent's table, or the
 * table is not set up yet). True when stored. */
bool cl_fd_mark_safe(int fd, uint8_t seen);
/* FD now means something else: bump its generation, state UNKNOWN. Returns
 * the new byte (a check may start from it). Async-signal-safe. */
uint8_t cl_fd_invalidate(int fd);

/* The highest fd a check or an invalidation ever started on (fdtab.c). */
extern unsigned cl_fd_hiwater;

/* Raise cl_fd_hiwater to FD. */
static inline void cl_fd_raise_hiwater(unsigned fd)
{
	unsigned h = __atomic_load_n(&cl_fd_hiwater, __ATOMIC_SEQ_CST);

	while (fd > h && !__atomic_compare_exchange_n(&cl_fd_hiwater, &h, fd, true,
						      __ATOMIC_SEQ_CST,
						      __ATOMIC_SEQ_CST))
		;
}

/* cl_fd_invalidate, inline where a hot path (a write-open) calls it. */
static inline uint8_t cl_fd_invalidate_inline(int fd)
{
	uint8_t old, new_;

	if ((unsigned)fd >= CL_FDTAB_SIZE)
		return 0;
	cl_fd_raise_hiwater((unsigned)fd);
	old = __atomic_load_n(&cl_fdtab[fd], __ATOMIC_RELAXED);
	do
		new_ = (uint8_t)((old & ~CL_FD_STATE) + CL_FD_GEN_ONE);
	while (!__atomic_compare_exchange_n(&cl_fdtab[fd], &old, new_, true,
					    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	return new_;
}
/* Invalidate every fd in [lo, hi] (clamped to the table). */
void cl_fd_invalidate_range(unsigned lo, unsigned hi);

/* Set up the vfork guard (the constructor calls it; before it, nothing is
 * marked SAFE). */
void cl_fdtab_init(void);

#endif
