/* SPDX-License-Identifier: MIT */
/* utime(PATH, {SECS, SECS}). */
#include "prog.h"
#include <utime.h>

int main(int argc, char **argv)
{
	struct utimbuf t;

	if (argc < 3)
		return usage("api_utime PATH SECS");
	t.actime = t.modtime = atol(argv[2]);
	return outcome(utime(argv[1], &t) < 0);
}
