/* SPDX-License-Identifier: MIT */
/* ThreadSanitizer stress of the shim's fd table (lib/preload/fdtab.c):
 * checker threads race a "closer" that changes what an fd means. In each
 * round the closer flips the fd between a safe file (even) and a shared
 * writable one (odd) a few times, invalidating after each flip as close()
 * does; checkers read the byte, look at the meaning (their "fstat"), and
 * mark SAFE only when it was safe. At the end of every round the table may
 * say SAFE only if the fd now means a safe file. Rounds are separated by a
 * barrier so that fewer than 64 invalidations (the generation's period)
 * happen during any one check. Exit 0 on success. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "fdtab.h"

#define CHECKERS 3
#define ROUNDS 3000
#define FDS 4

static pthread_barrier_t start, stop;
static int meaning[FDS]; /* atomic: even safe, odd shared */
static unsigned long stale, marks;

static void *checker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	for (int r = 0; r < ROUNDS; r++) {
		pthread_barrier_wait(&start);
		for (int i = 0; i < 200; i++) {
			int fd = (int)(rand_r(&seed) % FDS);
			uint8_t seen = cl_fd_begin_check(fd);

			if (cl_fd_is_safe(fd))
				continue;
			if (__atomic_load_n(&meaning[fd], __ATOMIC_ACQUIRE) % 2 == 0 &&
			    cl_fd_mark_safe(fd, seen))
				__atomic_fetch_add(&marks, 1, __ATOMIC_RELAXED);
		}
		pthread_barrier_wait(&stop);
	}
	return NULL;
}

static void *closer(void *arg)
{
	unsigned seed = 12345;

	for (int r = 0; r < ROUNDS; r++) {
		pthread_barrier_wait(&start);
		for (int i = 0, n = 1 + (int)(rand_r(&seed) % 8); i < n; i++) {
			int fd = (int)(rand_r(&seed) % FDS);

			__atomic_fetch_add(&meaning[fd], 1, __ATOMIC_ACQ_REL);
			(void)cl_fd_invalidate(fd);
		}
		pthread_barrier_wait(&stop);
		/* Everyone is quiet: check the invariant. */
		for (int fd = 0; fd < FDS; fd++)
			if (cl_fd_is_safe(fd) &&
			    __atomic_load_n(&meaning[fd], __ATOMIC_ACQUIRE) % 2)
				stale++;
	}
	return NULL;
}

int main(void)
{
	pthread_t t[CHECKERS + 1];

	cl_fdtab_init();
	pthread_barrier_init(&start, NULL, CHECKERS + 1);
	pthread_barrier_init(&stop, NULL, CHECKERS + 1);
	for (int i = 0; i < CHECKERS; i++)
		pthread_create(&t[i], NULL, checker, (void *)(uintptr_t)(i + 1));
	pthread_create(&t[CHECKERS], NULL, closer, NULL);
	for (int i = 0; i <= CHECKERS; i++)
		pthread_join(t[i], NULL);
	printf("%lu marks, %lu stale SAFE\n", marks, stale);
	if (!marks) {
		fprintf(stderr, "FAIL: no check ever marked an fd safe\n");
		return 1;
	}
	if (stale) {
		fprintf(stderr, "FAIL: a stale SAFE survived an invalidation\n");
		return 1;
	}
	return 0;
}
