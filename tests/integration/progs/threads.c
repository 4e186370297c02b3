/* SPDX-License-Identifier: MIT */
/* threads PATH N: N threads open PATH for append at once (released
 * together by a barrier), each writes one line "thread <i>" and closes. */
#include "prog.h"
#include <pthread.h>

static pthread_barrier_t go;
static const char *path;

static void *one(void *arg)
{
	char line[32];
	int n = snprintf(line, sizeof line, "thread %ld\n", (long)(intptr_t)arg);
	int fd;

	pthread_barrier_wait(&go);
	fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0 || write(fd, line, (size_t)n) != n || close(fd) < 0) {
		perror(path);
		exit(1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[64];
	long i, n;

	if (argc < 3)
		return usage("threads PATH N");
	path = argv[1];
	n = atol(argv[2]);
	if (n < 1 || n > 64)
		return 2;
	pthread_barrier_init(&go, NULL, (unsigned)n);
	for (i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, one, (void *)(intptr_t)i))
			return 2;
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return outcome(0);
}
