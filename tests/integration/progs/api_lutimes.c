/* SPDX-License-Identifier: MIT */
/* lutimes(PATH, {SECS.5, SECS.5}). */
#include "prog.h"
#include <sys/time.h>

int main(int argc, char **argv)
{
	struct timeval t[2];

	if (argc < 3)
		return usage("api_lutimes PATH SECS");
	t[0].tv_sec = t[1].tv_sec = atol(argv[2]);
	t[0].tv_usec = t[1].tv_usec = 500000;
	return outcome(lutimes(argv[1], t) < 0);
}
