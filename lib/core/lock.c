/* SPDX-License-Identifier: MIT */
/* The break lock (docs/DESIGN.md §4, "Concurrent writers"): flock(LOCK_EX) on
 * the directory fd a break opens anyway, and the inode lock, the same on a
 * file's own fd (§4, Names): both taken with LOCK_NB and a bounded retry so
 * that a stuck holder cannot hang a writer forever, and released
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

/* Try the lock on FD, backing off until it is ours or LIMIT_MS have
 * passed. Errors other than "held by someone else" (EBADF on an O_PATH fd,
 * ENOLCK) are returned at once so the caller can decide to go on without
 * the lock. */
static int lock_within(int fd, unsigned limit_ms)
{
	struct cl_backoff b;
	int e;

	cl_backoff_start(&b);
	for (;;) {
		e = cl_flock(fd, LOCK_EX | LOCK_NB);
		if (e != -EWOULDBLOCK && e != -EINTR)
			return e;
		if (!cl_backoff_wait(&b, limit_ms)) {
			cl_debug("lock: still busy after %u ms, giving up", limit_ms);
			return -EWOULDBLOCK;
		}
	}
}

int cl_lock_dir(int dirfd)
{
	return lock_within(dirfd, cl_lock_wait_ms);
}

/* 200 ms: the holder is another unshare (or a linker giving bits back),
 * a handful of system calls, stalled at worst by a loaded machine's
 * scheduler; a user's flock of the file costs each unshare this once. */
bool cl_lock_inode(int fd)
{
	int e = lock_within(fd, CL_INODE_WAIT_MS);

	if (e)
		cl_debug("inode lock: not had (%d), going on without", -e);
	return !e;
}

void cl_unlock_inode(int fd)
{
	(void)cl_flock(fd, LOCK_UN);
}

/* Release explicitly rather than relying on close: the caller may keep the
 * fd a little longer, and a dup elsewhere would keep the lock alive. */
void cl_unlock_dir(int dirfd)
{
	(void)cl_flock(dirfd, LOCK_UN);
}
