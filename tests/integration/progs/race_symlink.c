/* SPDX-License-Identifier: MIT */
/* Race harness (issue 5, security): one thread breaks DIR/x over and over
 * (through the core, as the shim does) while another keeps swapping DIR/x
 * between a cowlink and a symlink to OUTSIDE/target, and the directory DIR
 * itself between the real one and a symlink to OUTSIDE. The break must
 * never write outside DIR, never replace or change OUTSIDE/target, and DIR/y
 * (the other name of the set) must never change.
 * usage: race_symlink BASE SECONDS [ROUNDS [CAP]]: for SECONDS and until
 * ROUNDS breaks have been made (race.h)
 * BASE holds real/{x,y,x.link -> ../outside/target}, outside/{target,x}, and
 * the symlinks d -> real and d.link -> outside, which the racer exchanges. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cowlink.h"
#include "race.h"

static volatile int stop;
static char base[4096];
static long swaps, breaks, errors;

static void path(char *out, const char *rel)
{
	if (snprintf(out, 4096, "%s/%s", base, rel) >= 4096)
		abort();
}

static void *racer(void *arg)
{
	char a[4096], b[4096], d[4096], e[4096];
	(void)arg;
	path(a, "real/x");
	path(b, "real/x.link");
	path(d, "d");
	path(e, "d.link");
	while (!stop) {
		/* Swap the name x between the cowlink and the symlink... */
		if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0)
			swaps++;
		/* ...and the directory d between real/ and outside/. */
		if (renameat2(AT_FDCWD, d, AT_FDCWD, e, RENAME_EXCHANGE) == 0)
			swaps++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	struct race_clock race;
	char x[4096], y[4096], rx[4096];

	if (argc < 3 || argc > 5)
		return 2;
	snprintf(base, sizeof base, "%s", argv[1]);
	race_start(&race, argv + 2, argc - 2);
	path(x, "d/x");
	path(y, "real/y");
	path(rx, "real/x");
	pthread_create(&t, NULL, racer, NULL);
	do {
		/* Share real/x with real/y again (whatever the racer put there),
		 * then break through d/x, which may lead anywhere. */
		int e = cowlink_link(y, rx, COWLINK_FORCE | COWLINK_REFLINK_NEVER, NULL);
		if (e && e != -ENOENT && errors++ < 5)
			fprintf(stderr, "cowlink_link: %s\n", strerror(-e));
		e = cowlink_break(x);
		if (e == 0)
			breaks++;
		else if (e != -ENOENT && e != -ELOOP && e != -ENOTDIR && errors++ < 5)
			fprintf(stderr, "cowlink_break: %s\n", strerror(-e));
	} while (race_more(&race, &breaks, &breaks));
	stop = 1;
	pthread_join(t, NULL);
	printf("%ld breaks, %ld swaps, %ld other errors\n", breaks, swaps, errors);
	return 0;
}
