/* SPDX-License-Identifier: MIT */
/* The break lock (docs/DESIGN.md §4, "Concurrent writers"): flock(LOCK_EX) on
 * the directory fd a break opens anyway, taken with LOCK_NB and a bounded retry
 * so that a stuck holder cannot hang a writer forever, and released
 * explicitly. */
#include "internal.h"

#include <errno.h>
#include <sys/file.h>
#include <time.h>

#include "banned.h"

unsigned cl_lock_wait_ms = CL_LOCK_WAIT_MS;

void cl_backoff_start(struct cl_backoff *b)
{
	clock_gettime(CLOCK_MONOTONIC, &b->start);
	b->us = 50;
}

bool cl_backoff_wait(struct cl_backoff *b, unsigned limit_ms)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - b->start.tv_sec) * 1000L +
	     (now.tv_nsec - b->start.tv_nsec) / 1000000L;
	if (ms >= (long)limit_ms)
		return false;
	nanosleep(&(struct timespec){ 0, b->us * 1000 }, NULL);
	if (b->us < 20000)
		b->us *= 2;
	return true;
}

/* Try the lock, backing off until it is ours or cl_lock_wait_ms have
 * passed. Errors other than "held by someone else" (EBADF on an O_PATH fd,
 * ENOLCK) are returned at once so the caller can decide to go on without
 * the lock. */
int cl_lock_dir(int dirfd)
{
	struct cl_backoff b;
	int e;

	cl_backoff_start(&b);
	for (;;) {
		e = cl_flock(dirfd, LOCK_EX | LOCK_NB);
		if (e != -EWOULDBLOCK && e != -EINTR)
			return e;
		if (!cl_backoff_wait(&b, cl_lock_wait_ms)) {
			cl_debug("lock: still busy after %u ms, giving up", cl_lock_wait_ms);
			return -EWOULDBLOCK;
		}
	}
}

/* Release explicitly rather than relying on close: the caller may keep the
 * fd a little longer, and a dup elsewhere would keep the lock alive. */
void cl_unlock_dir(int dirfd)
{
	(void)cl_flock(dirfd, LOCK_UN);
}
