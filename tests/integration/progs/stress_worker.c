/* SPDX-License-Identifier: MIT */
/* One process of the concurrency stress test: THREADS threads doing random
 * operations on the names given on the command line, through libc (so the
 * preloaded shim sees them):
 *   names "a*": append a unique line (O_APPEND), read, chmod;
 *   names "t*": truncate to one of a few shorter lengths, read.
 * Every append is logged to LOG as "<name> <line>" after the write returned,
 * so the driver can check each one is present exactly once.
 * It runs for SECONDS and until it has made MIN_APPENDS appends (race.h:
 * MIN_APPENDS defaults to 0, the cap to race.h's).
 * usage: stress_worker LOG SECONDS[:MIN_APPENDS] THREADS NAME... */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "race.h"

static const char *logpath;
static char **names;
static int nnames;
static struct race_clock race;
static long appends;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *logfp;
static int failures;

static void bad(const char *what, const char *name)
{
	fprintf(stderr, "stress_worker %d: %s %s: %s\n", (int)getpid(), what,
		name, strerror(errno));
	__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
}

static void *run(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg ^ (unsigned)getpid() * 2654435761u;
	long seq = 0;
	char line[96], buf[4096];

	while (race_more(&race, &appends, &appends)) {
		const char *name = names[rand_r(&seed) % (unsigned)nnames];
		int op = (int)(rand_r(&seed) % 10), fd;

		if (name[strlen(name) - 1] == '/')
			continue;
		if (strrchr(name, '/')[1] == 'a') {
			if (op < 6) {
				int n = snprintf(line, sizeof line, "p%d.t%lu.%ld\n",
						 (int)getpid(), (unsigned long)(uintptr_t)arg, seq++);
				fd = open(name, O_WRONLY | O_APPEND);
				if (fd < 0) { bad("open for append", name); continue; }
				if (write(fd, line, (size_t)n) != n) bad("append", name);
				close(fd);
				race_add(&appends);
				pthread_mutex_lock(&log_lock);
				fprintf(logfp, "%s %s", name, line);
				fflush(logfp);
				pthread_mutex_unlock(&log_lock);
			} else if (op < 8) {
				if (chmod(name, op == 6 ? 0640 : 0644)) bad("chmod", name);
			} else {
				fd = open(name, O_RDONLY);
				if (fd < 0) { bad("open for read", name); continue; }
				while (read(fd, buf, sizeof buf) > 0)
					;
				close(fd);
			}
		} else {
			if (op < 4) {
				off_t len = (off_t)(1 + rand_r(&seed) % 3) * 1000;
				if (truncate(name, len)) bad("truncate", name);
			} else {
				fd = open(name, O_RDONLY);
				if (fd < 0) { bad("open for read", name); continue; }
				while (read(fd, buf, sizeof buf) > 0)
					;
				close(fd);
			}
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads;
	pthread_t tid[64];

	if (argc < 5) {
		fprintf(stderr, "usage: stress_worker LOG SECONDS[:MIN_APPENDS] THREADS NAME...\n");
		return 2;
	}
	logpath = argv[1];
	{
		char *arg[2] = { argv[2], strchr(argv[2], ':') };

		arg[1] = arg[1] ? arg[1] + 1 : "0";
		race_start(&race, arg, 2);
	}
	threads = atoi(argv[3]);
	if (threads < 1 || threads > 64)
		return 2;
	names = argv + 4;
	nnames = argc - 4;
	logfp = fopen(logpath, "a");
	if (!logfp) {
		perror(logpath);
		return 2;
	}
	for (int i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, run, (void *)(uintptr_t)i);
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	fclose(logfp);
	return failures ? 1 : 0;
}
