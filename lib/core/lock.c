/* The break lock (DESIGN §4, "Concurrent writers"): flock(LOCK_EX) on the
 * directory fd a break opens anyway, taken with LOCK_NB and a bounded retry so
 * that a stuck holder cannot hang a writer forever, and released explicitly. */
#include "internal.h"

#include <errno.h>
#include <sys/file.h>
#include <time.h>

#include "banned.h"

unsigned cl_lock_wait_ms = CL_LOCK_WAIT_MS;

/* Milliseconds from A to B. */
static long elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000L + (b->tv_nsec - a->tv_nsec) / 1000000L;
}

/* Try the lock, then back off exponentially (50 us up to 20 ms a nap) until
 * it is ours or cl_lock_wait_ms have passed. Errors other than "held by
 * someone else" (EBADF on an O_PATH fd, ENOLCK) are returned at once so the
 * caller can decide to go on without the lock. */
int cl_lock_dir(int dirfd)
{
	struct timespec start, now, nap;
	long us = 50;
	int e;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		e = cl_flock(dirfd, LOCK_EX | LOCK_NB);
		if (e != -EWOULDBLOCK && e != -EINTR)
			return e;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (elapsed_ms(&start, &now) >= (long)cl_lock_wait_ms) {
			cl_debug("lock: still busy after %u ms, giving up", cl_lock_wait_ms);
			return -EWOULDBLOCK;
		}
		nap.tv_sec = 0;
		nap.tv_nsec = us * 1000;
		nanosleep(&nap, NULL);
		if (us < 20000)
			us *= 2;
	}
}

/* Release explicitly rather than relying on close: the caller may keep the
 * fd a little longer, and a dup elsewhere would keep the lock alive. */
void cl_unlock_dir(int dirfd)
{
	(void)cl_flock(dirfd, LOCK_UN);
}
