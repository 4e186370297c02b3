/* SPDX-License-Identifier: MIT */
/* See identity.h. A few slots by fd number, written and read lock-free: a
 * slot is trusted only when its device and new inode match what the reader
 * has and its fd still has the generation it was recorded with, so a torn,
 * closed or reused slot shows nothing. */
#include "identity.h"

#include <stdint.h>

#include "fdtab.h"

#define SLOTS 16

static struct slot {
	int fd;
	unsigned char gen;
	uint64_t dev, ino, old;
} slots[SLOTS];

int cl_identity_used;

void cl_identity_put(int fd, unsigned char byte, dev_t dev, ino_t ino, ino_t old_ino)
{
	struct slot *s;

	if (fd < 0)
		return;
	s = &slots[(unsigned)fd % SLOTS];
	__atomic_store_n(&s->fd, -1, __ATOMIC_RELEASE);
	__atomic_store_n(&s->gen, (unsigned char)(byte & ~CL_FD_STATE), __ATOMIC_RELAXED);
	__atomic_store_n(&s->dev, (uint64_t)dev, __ATOMIC_RELAXED);
	__atomic_store_n(&s->ino, (uint64_t)ino, __ATOMIC_RELAXED);
	__atomic_store_n(&s->old, (uint64_t)old_ino, __ATOMIC_RELAXED);
	__atomic_store_n(&s->fd, fd, __ATOMIC_RELEASE);
	__atomic_store_n(&cl_identity_used, 1, __ATOMIC_RELAXED);
}

void cl_identity_show(dev_t dev, ino_t *ino)
{
	for (unsigned i = 0; i < SLOTS; i++) {
		struct slot *s = &slots[i];
		int fd = __atomic_load_n(&s->fd, __ATOMIC_ACQUIRE);
		uint64_t old;

		if (fd < 0 || (unsigned)fd >= CL_FDTAB_SIZE ||
		    __atomic_load_n(&s->ino, __ATOMIC_RELAXED) != (uint64_t)*ino ||
		    __atomic_load_n(&s->dev, __ATOMIC_RELAXED) != (uint64_t)dev)
			continue;
		old = __atomic_load_n(&s->old, __ATOMIC_RELAXED);
		if (__atomic_load_n(&s->gen, __ATOMIC_RELAXED) !=
			    (__atomic_load_n(&cl_fdtab[fd], __ATOMIC_ACQUIRE) & ~CL_FD_STATE) ||
		    __atomic_load_n(&s->fd, __ATOMIC_ACQUIRE) != fd)
			continue; /* closed since, or being rewritten */
		*ino = (ino_t)old;
		return;
	}
}
